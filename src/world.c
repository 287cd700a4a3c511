/*
 * world.c: the world's lifecycle, the clock (prime and the startup timer),
 * and the batch walker: eventCallback of each profile.
 *
 * The faithful walker (v888, v963, v1405) copies the received bytes into an
 * emulated receive buffer (1024 bytes by default) whose tail holds
 * KEV_POISON_BYTE, and walks it with the seed's own loop: it checks
 * total_size against the received length only, never the header, and
 * computes sizes in the seed's types (LP64, or ILP32 when asked). Every read
 * the original would make outside its buffer, and every loop it would never
 * leave, is caught before it happens and reported as the defect it is.
 *
 * The hardened walker frames strictly (header present, 24 <= total_size <=
 * what is left), checks each event against everything its handler reads,
 * validates names, and reports a diagnostic instead of going wrong.
 */
#include "kev_core.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kev_cursor.h"
#include "kev_sb.h"
#include "kev_fmt.h"
#include "kevrr/drift.h"
#include "kevrr/error.h"

/* Subclasses whose case in processEvent_Apple_Network switches on (and so
 * reads) event_code: v888 breaks out of ND6 at once, v963 and v1405 handle
 * it. */
#define CODES_888 (1u << KEV_INET_SUBCLASS | 1u << KEV_DL_SUBCLASS | 1u << KEV_INET6_SUBCLASS)
#define CODES_963 (CODES_888 | 1u << KEV_ND6_SUBCLASS)

const kev_profile_def kev__profiles[KEV_PROFILE__COUNT] = {
    [KEV_PROFILE_HARDENED] = {.name = "hardened", .version = KEV_VER_963,
                              .faithful = false, .dl_enc = KEV_ENC_UTF8,
                              .idle_enc = KEV_ENC_UTF8, .nat64_on_remove = true,
                              .issues_unix_epoch = true, .status_remove_absent = true,
                              .code_subclasses = CODES_963},
    [KEV_PROFILE_V888] = {.name = "v888", .version = KEV_VER_888, .faithful = true,
                          .dl_enc = KEV_ENC_MACROMAN, .idle_enc = KEV_ENC_ASCII,
                          .nat64_on_remove = false, .expensive_always = true,
                          .mark_if_flags = true, .unit_signed = true,
                          .status_remove_absent = true, .code_subclasses = CODES_888},
    [KEV_PROFILE_V963] = {.name = "v963", .version = KEV_VER_963, .faithful = true,
                          .dl_enc = KEV_ENC_UTF8, .idle_enc = KEV_ENC_UTF8,
                          .nat64_on_remove = true, .unit_signed = true,
                          .status_remove_absent = true, .code_subclasses = CODES_963},
    /* configd-1405.100.8 (and 1345 on): docs/configd-1405.md. */
    [KEV_PROFILE_V1405] = {.name = "v1405", .version = KEV_VER_1405, .faithful = true,
                           .dl_enc = KEV_ENC_UTF8, .idle_enc = KEV_ENC_UTF8,
                           .nat64_on_remove = true, .ipv6_set_always = true,
                           .code_subclasses = CODES_963},
};

const char *kev_profile_name(kev_profile p)
{
    return (unsigned)p < KEV_PROFILE__COUNT ? kev__profiles[p].name : "?";
}

bool kev_profile_faithful(kev_profile p)
{
    return (unsigned)p < KEV_PROFILE__COUNT && kev__profiles[p].faithful;
}

int kev_profile_parse(const char *s, kev_profile *out)
{
    for (int p = 0; p < KEV_PROFILE__COUNT; p++) {
        if (strcmp(s, kev__profiles[p].name) == 0) {
            *out = (kev_profile)p;
            return 0;
        }
    }
    return KEV_EINVAL;
}

/* ------------------------------------------------------------------------
 * Lifecycle
 */

void kev_world_opts_init(kev_world_opts *o)
{
    memset(o, 0, sizeof *o);
    o->profile = KEV_PROFILE_HARDENED;
}

static uint32_t default_recv_buffer(const kev_profile_def *p)
{
    return p->faithful ? KEV_CONFIGD_RECV_BUFFER : KEV_MAX_BATCH;
}

kev_world *kev_world_new(const kev_world_opts *o)
{
    if (o == NULL || (unsigned)o->profile >= KEV_PROFILE__COUNT)
        return NULL;
    /* A buffer below one header cannot hold any event; above the batch cap
     * it would exceed what any reader hands us. */
    if (o->recv_buffer != 0 &&
        (o->recv_buffer < KEV_MSG_HEADER_SIZE || o->recv_buffer > KEV_MAX_BATCH))
        return NULL;
    kev_world *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->opts = *o;
    w->prof = &kev__profiles[o->profile];
    w->recv_buffer = o->recv_buffer ? o->recv_buffer : default_recv_buffer(w->prof);
    w->kernel = kev_kernel_new();
    w->store = kev_store_new();
    w->notes = kev_store_new();
    w->cache = w->store ? kev__cache_new(w->store) : NULL;
    if (w->prof->faithful) {
        w->rbuf = malloc(w->recv_buffer);
        w->visited = malloc(w->recv_buffer / 8 + 1);
    }
    if (!w->kernel || !w->store || !w->notes || !w->cache ||
        (w->prof->faithful && (!w->rbuf || !w->visited)) ||
        (o->drift && kev__drift_init(w) != 0)) {
        kev_world_free(w);
        return NULL;
    }
    if (o->queue_observer.on_op != NULL)
        kev__cache_observe(w->cache, &o->queue_observer);
    w->observer.on_op = kev__report_store_op;
    w->observer.on_commit = kev__report_commit;
    w->observer.ctx = w;
    w->stats.monitoring = true;
    return w;
}

void kev_world_free(kev_world *w)
{
    if (w == NULL)
        return;
    kev__cache_free(w->cache);
    kev_store_free(w->store);
    kev_store_free(w->notes);
    kev_kernel_free(w->kernel);
    kev_value_unref(w->messages);
    kev_strbuf_free(&w->out);
    kev_strbuf_free(&w->tmp);
    kev__drift_free(w);
    free(w->rbuf);
    free(w->visited);
    free(w);
}

void kev_world_reset(kev_world *w)
{
    kev__cache_close(w->cache);
    kev_store_reset(w->store);
    kev_store_reset(w->notes);
    w->notes_overflow = 0;
    kev_kernel_reset(w->kernel);
    kev_value_unref(w->messages);
    w->messages = NULL;
    w->messages_modified = false;
    w->network_changed = false;
    w->started = false;
    w->t0 = w->now = 0;
    w->ticks_done = 0;
    w->batch = 0;
    w->batch_stopped = false;
    w->in_batch = false;
    w->ev = NULL;
    memset(&w->stats, 0, sizeof w->stats);
    w->stats.monitoring = true;
    w->phase = KEV_PHASE_IDLE;
    w->tick_no = 0;
    w->handler = KEV_H_NONE;
    w->snapshot_source[0] = '\0';
    kev__drift_reset(w);
    kev_strbuf_clear(&w->out);
}

kev_kernel *kev_world_kernel(kev_world *w) { return w->kernel; }
const kev_kernel *kev_world_kernel_const(const kev_world *w) { return w->kernel; }
const kev_store *kev_world_store(const kev_world *w) { return w->store; }
const kev_world_stats *kev_world_stats_get(const kev_world *w) { return &w->stats; }
const kev_world_opts *kev_world_options(const kev_world *w) { return &w->opts; }

int kev_world_load_snapshot(kev_world *w, const char *text, size_t len, kev_strbuf *err)
{
    (void)kev_kernel_snapshot_source(text, len, w->snapshot_source,
                                     sizeof w->snapshot_source);
    return kev_kernel_load_text(w->kernel, text, len, err);
}

void kev_world_where_get(const kev_world *w, kev_world_where *out)
{
    memset(out, 0, sizeof *out);
    out->phase = w->phase;
    out->batch = w->batch;
    if (w->phase == KEV_PHASE_PRIME || w->phase == KEV_PHASE_TICK)
        out->batch = w->stats.batches + w->stats.errors; /* the record being fed */
    out->tick = w->phase == KEV_PHASE_TICK ? w->tick_no : 0;
    out->ifname = "";
    if (w->phase == KEV_PHASE_PRIME)
        out->handler = "prime";
    else if (w->phase == KEV_PHASE_TICK)
        out->handler = "update_interfaces";
    if (w->ev != NULL) {
        out->in_event = true;
        out->event = w->ev->index;
        out->offset = (uint32_t)w->ev->off;
        out->event_name = w->ev->def ? w->ev->def->name : NULL;
        out->ifname = w->ev->ifname;
    }
    if (w->handler != KEV_H_NONE)
        out->handler = kev_handler_name(w->handler);
}

/* ------------------------------------------------------------------------
 * Findings and payload reads
 */

bool kev__finding(kev_world *w, int defect, const char *code, size_t offset,
                  bool stops, const char *fmt, ...)
{
    kev_finding f;
    memset(&f, 0, sizeof f);
    f.kind = w->prof->faithful ? KEV_FINDING_DEFECT : KEV_FINDING_DIAGNOSTIC;
    f.defect = defect;
    f.code = code;
    f.profile = w->opts.profile;
    f.batch = w->batch;
    f.event = w->ev ? w->ev->index : 0;
    f.offset = (uint32_t)offset;
    f.stops = stops;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f.message, sizeof f.message, fmt, ap);
    va_end(ap);

    if (f.kind == KEV_FINDING_DEFECT)
        w->stats.defects++;
    else
        w->stats.diagnostics++;
    if (kev__reporting(w)) {
        /* The message may quote interface names: any bytes. */
        if (f.kind == KEV_FINDING_DEFECT)
            kev_strbuf_addf(&w->out, "  defect D%d %s event=%u offset=%u%s: ", defect, code,
                            f.event, f.offset, stops ? " STOPS" : "");
        else if (defect)
            kev_strbuf_addf(&w->out, "  diag %s (fixes D%d) event=%u offset=%u: ", code,
                            defect, f.event, f.offset);
        else
            kev_strbuf_addf(&w->out, "  diag %s event=%u offset=%u: ", code, f.event,
                            f.offset);
        kev__report_text_escaped(&w->out, f.message);
        kev__sb_addc(&w->out, '\n');
    }
    if (w->opts.on_finding)
        w->opts.on_finding(w->opts.finding_ctx, &f);
    if (stops)
        w->batch_stopped = true;
    return !w->batch_stopped;
}

/* Is [off, off+n) readable for the current event? Faithful profiles may
 * read anywhere in the emulated buffer (the original did); past its end is
 * D4. Hardened checked the event's size first, so failing here would be our
 * bug: it is still refused, never read. */
static bool ev_range(kev_world *w, size_t off, size_t n)
{
    kev_ev *e = w->ev;
    if (off <= e->limit && n <= e->limit - off)
        return true;
    if (w->prof->faithful)
        kev__finding(w, 4, "read-past-buffer", off, true,
                     "reads %zu bytes at offset %zu, past the end of the %u-byte "
                     "receive buffer",
                     n, off, w->recv_buffer);
    else
        kev__finding(w, 0, "internal-bounds", off, true,
                     "refused a %zu-byte read at offset %zu outside the event", n,
                     off);
    return false;
}

bool kev__ev_bytes(kev_world *w, uint32_t poff, void *dst, size_t n)
{
    size_t off = w->ev->off + KEV_MSG_HEADER_SIZE + poff;
    if (!ev_range(w, off, n))
        return false;
    memcpy(dst, w->ev->buf + off, n);
    return true;
}

bool kev__ev_u32(kev_world *w, uint32_t poff, uint32_t *v)
{
    uint8_t b[4];
    if (!kev__ev_bytes(w, poff, b, 4))
        return false;
    *v = (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) |
         ((uint32_t)b[3] << 24);
    return true;
}

bool kev__ev_u8(kev_world *w, uint32_t poff, uint8_t *v)
{
    return kev__ev_bytes(w, poff, v, 1);
}

/* ------------------------------------------------------------------------
 * Clock: prime() and the startup timer, on trace time
 */

static void post_network_changed(kev_world *w)
{
    if (!w->network_changed)
        return;
    w->network_changed = false;
    w->stats.posts++;
    kev__note_notify(w, KEV_NETWORK_CHANGE_NOTIFICATION);
    if (kev__reporting(w))
        kev__report_line(w, "  post %s", KEV_NETWORK_CHANGE_NOTIFICATION);
}

/* cache_write: one SetMultiple for whatever the batch queued. */
static void commit(kev_world *w)
{
    int rc = kev__cache_write(w->cache, &w->observer);
    if (rc > 0)
        w->stats.commits++;
    else if (rc < 0 && kev__reporting(w))
        kev__report_line(w, "  commit failed: %s", kev_strerror(rc));
    kev__cache_close(w->cache);
}

/* ------------------------------------------------------------------------
 * Steps: prime(), a timer tick and a batch each run between one cache_open
 * and one cache_write, then post and write the message log.
 */

/* What a step must be able to undo: the message log as it began. */
typedef struct step_mark {
    size_t messages;
    bool modified;
} step_mark;

/* cache_open, and the mark a stop rolls back to. */
static step_mark step_begin(kev_world *w)
{
    step_mark m = {w->messages ? kev_value_count(w->messages) : 0, w->messages_modified};
    kev__cache_open(w->cache);
    w->batch_stopped = false;
    return m;
}

/* The step crashed or hung (a defect that stops): configd never reached
 * cache_write, post_network_changed or messages_post, so nothing the step
 * queued reaches the store, nothing is posted, and the messages it logged
 * are never written, neither now nor by a later step's messages_post. The
 * simulated kernel keeps its changes (docs/fidelity.md). */
static void step_discard(kev_world *w, const step_mark *m)
{
    kev__cache_close(w->cache);
    w->network_changed = false;
    if (w->messages)
        kev_value_array_truncate(w->messages, m->messages);
    w->messages_modified = m->modified;
    if (kev__reporting(w))
        kev__report_line(w, "  stopped: queued store changes discarded");
}

static void prime(kev_world *w)
{
    kev_phase outer = w->phase;
    w->phase = KEV_PHASE_PRIME;
    if (kev__reporting(w))
        kev__report_line(w, "prime t=%llu.%09llu",
                         (unsigned long long)(w->t0 / 1000000000u),
                         (unsigned long long)(w->t0 % 1000000000u));
    /* messages_init() comes after cache_open: the log starts empty. */
    kev_value_unref(w->messages);
    w->messages = kev_value_array_new();
    w->messages_modified = false;
    step_mark m = step_begin(w);
    kev__update_interfaces(w, "prime", true);
    if (w->batch_stopped) {
        step_discard(w, &m);
    } else {
        commit(w);
        w->network_changed = true;
        post_network_changed(w);
        kev__messages_post(w);
    }
    w->batch_stopped = false;
    if (w->opts.drift) {
        kev__drift_mark_all(w);
        kev__drift_settle(w, true);
    }
    w->phase = outer;
    kev__report_flush(w);
}

static void tick(kev_world *w, uint32_t n)
{
    uint64_t t = w->t0 + KEV_TIMER_INTERVAL_NS * n;
    char msg[32];
    if (kev__reporting(w))
        kev__report_line(w, "tick %u t=%llu.%09llu", n,
                         (unsigned long long)(t / 1000000000u),
                         (unsigned long long)(t % 1000000000u));
    w->now = t;
    kev_phase outer = w->phase;
    w->phase = KEV_PHASE_TICK;
    w->tick_no = n;
    snprintf(msg, sizeof msg, "update %u (of %u)", n, KEV_TIMER_COUNT);
    step_mark m = step_begin(w);
    kev__update_interfaces(w, msg, false);
    if (w->batch_stopped) {
        step_discard(w, &m);
    } else {
        commit(w);
        kev__messages_post(w);
    }
    w->batch_stopped = false;
    if (n == KEV_TIMER_COUNT) {
        kev_value_unref(w->messages);
        w->messages = NULL;
        w->messages_modified = false;
    }
    w->phase = outer;
    kev__report_flush(w);
}

int kev_world_start(kev_world *w, uint64_t t_ns)
{
    if (w->started)
        return KEV_EINVAL;
    w->started = true;
    w->t0 = w->now = t_ns;
    kev__report_header(w);
    prime(w);
    return 0;
}

int kev_world_advance(kev_world *w, uint64_t t_ns)
{
    if (!w->started)
        return kev_world_start(w, t_ns);
    /* Compared as elapsed time, so that times near 2^64 cannot wrap. */
    while (w->ticks_done < KEV_TIMER_COUNT && t_ns >= w->t0 &&
           t_ns - w->t0 >= KEV_TIMER_INTERVAL_NS * (w->ticks_done + 1u))
        tick(w, ++w->ticks_done);
    /* The clock never runs backwards: a trace whose timestamps do keeps the
     * latest time seen. */
    if (t_ns > w->now)
        w->now = t_ns;
    return 0;
}

/* ------------------------------------------------------------------------
 * Names: copy_if_name
 */

/* Appends the decimal of `unit` as the seed's "%d" (or "%u") prints it. */
static size_t fmt_unit(char *dst, uint32_t unit, bool as_signed)
{
    return as_signed ? kev__fmt_i32(dst, (int32_t)unit) : kev__fmt_u32(dst, unit);
}

/* Fills e->ifname from `name` (name_len bytes) and unit, truncated to
 * IFNAMSIZ-1 like snprintf into char[16]. Returns the untruncated length. */
static size_t format_ifname(kev_ev *e, const uint8_t *name, size_t name_len,
                            uint32_t unit, bool as_signed)
{
    char full[KEV_IFNAMSIZ + 16];
    size_t n = name_len < KEV_IFNAMSIZ ? name_len : KEV_IFNAMSIZ;
    memcpy(full, name, n);
    size_t total = name_len + fmt_unit(full + n, unit, as_signed);
    size_t have = n + (total - name_len);
    size_t keep = have < KEV_IFNAMSIZ - 1 ? have : KEV_IFNAMSIZ - 1;
    memcpy(e->ifname, full, keep);
    e->ifname[keep] = '\0';
    e->ifname_len = keep;
    return total;
}

/* copy_if_name as the seed runs it: snprintf(ifr_name, 16, "%s%d", if_name,
 * if_unit), where %s scans for a NUL with no bound (D5) and %d prints units
 * >= 2^31 as negative numbers (D11); v1405 prints the unit with %u. */
static bool copy_if_name_faithful(kev_world *w, kev_ev *e)
{
    uint32_t unit;
    if (!kev__ev_u32(w, KEV_OFF_IF_UNIT, &unit))
        return false;
    size_t start = e->off + KEV_MSG_HEADER_SIZE + KEV_OFF_IF_NAME, i = start;
    while (i < w->recv_buffer && e->buf[i] != 0)
        i++;
    if (i >= w->recv_buffer)
        return kev__finding(w, 5, "name-scan-past-buffer", start, true,
                            "if_name has no NUL before the end of the %u-byte "
                            "buffer: %%s reads past it",
                            w->recv_buffer);
    size_t len = i - start;
    if (len >= KEV_IFNAMSIZ &&
        !kev__finding(w, 5, "name-unterminated", start, false,
                      "if_name is not NUL-terminated in its 16 bytes: %%s read "
                      "%zu bytes",
                      len))
        return false;
    size_t total = format_ifname(e, e->buf + start, len, unit, w->prof->unit_signed);
    if (unit > INT32_MAX && w->prof->unit_signed)
        kev__finding(w, 11, "unit-negative", start - 4, false,
                     "unit %u prints as %d with %%d", unit, (int)(int32_t)unit);
    if (total > KEV_IFNAMSIZ - 1)
        kev__finding(w, 11, "name-truncated", start, false,
                     "name and unit make %zu bytes, cut to 15: \"%s\"", total,
                     e->ifname);
    if (len > 0 && len < KEV_IFNAMSIZ && e->buf[i - 1] >= '0' && e->buf[i - 1] <= '9')
        kev__finding(w, 11, "name-ends-in-digit", start, false,
                     "if_name ends in a digit: another (name, unit) pair formats "
                     "to the same \"%s\"",
                     e->ifname);
    return !w->batch_stopped;
}

/* Hardened names: NUL-terminated in 16 bytes, printable ASCII without '/',
 * not ending in a digit, and name+unit within 15 bytes, so that one name
 * means one interface and one set of store keys. */
static bool copy_if_name_hardened(kev_world *w, kev_ev *e)
{
    const uint8_t *p = e->buf + e->off + KEV_MSG_HEADER_SIZE;
    size_t noff = e->off + KEV_MSG_HEADER_SIZE + KEV_OFF_IF_NAME;
    uint32_t unit = (uint32_t)p[4] | ((uint32_t)p[5] << 8) | ((uint32_t)p[6] << 16) |
                    ((uint32_t)p[7] << 24);
    const uint8_t *name = p + KEV_OFF_IF_NAME;
    const uint8_t *nul = kev__find_nul(name, KEV_IFNAMSIZ);
    if (nul == NULL)
        return kev__finding(w, 5, "name-unterminated", noff, false,
                            "if_name is not NUL-terminated in its 16 bytes; event "
                            "skipped"), false;
    size_t len = (size_t)(nul - name);
    if (len == 0)
        return kev__finding(w, 0, "name-empty", noff, false,
                            "if_name is empty; event skipped"), false;
    for (size_t i = 0; i < len; i++) {
        if (name[i] >= 0x80)
            return kev__finding(w, 9, "name-not-ascii", noff + i, false,
                                "if_name byte 0x%02x is not ASCII; event skipped",
                                name[i]), false;
        if (name[i] <= 0x20 || name[i] == 0x7f || name[i] == '/')
            return kev__finding(w, 0, "name-invalid", noff + i, false,
                                "if_name byte 0x%02x is not allowed in a store "
                                "key; event skipped",
                                name[i]), false;
    }
    if (name[len - 1] >= '0' && name[len - 1] <= '9')
        return kev__finding(w, 11, "name-ambiguous", noff, false,
                            "if_name ends in a digit, so name+unit is ambiguous; "
                            "event skipped"), false;
    if (unit > INT32_MAX)
        return kev__finding(w, 11, "unit-out-of-range", noff - 4, false,
                            "unit %u is not below 2^31; event skipped", unit), false;
    if (format_ifname(e, name, len, unit, false) > KEV_IFNAMSIZ - 1)
        return kev__finding(w, 11, "name-too-long", noff, false,
                            "name and unit exceed 15 bytes; event skipped"), false;
    return true;
}

/* ------------------------------------------------------------------------
 * One event
 */

/* "  event I off=O size=S NAME[what]": the row's name, or the subclass
 * and code, or only the subclass when the version never reads the code. */
static void report_event(kev_world *w, const kev_ev *e, bool code_read, const char *what)
{
    if (!kev__reporting(w))
        return;
    kev_strbuf *o = &w->out;
    const char *name = e->def ? e->def->name : NULL;
    const char *sub = kev_wire_subclass_name(e->hdr.kev_subclass);
    kev__sb_add(o, "  event ", 8);
    kev__report_u64(w, e->index);
    kev__sb_add(o, " off=", 5);
    kev__report_u64(w, e->off);
    kev__sb_add(o, " size=", 6);
    kev__report_u64(w, e->hdr.total_size);
    kev__sb_addc(o, ' ');
    kev__sb_adds(o, name ? name : sub ? sub : "subclass?");
    if (!name && code_read) {
        kev__sb_add(o, " code=", 6);
        kev__report_u64(w, e->hdr.event_code);
    }
    kev__sb_adds(o, what);
    kev__sb_addc(o, '\n');
}

/* An event that is not Apple's network class: the walker skips it. */
static void report_skipped(kev_world *w, const kev_ev *e)
{
    if (kev__reporting(w))
        kev__report_line(w, "  event %u off=%zu size=%u vendor=%u%s skipped", e->index,
                         e->off, e->hdr.total_size, e->hdr.vendor_code,
                         e->hdr.vendor_code == KEV_VENDOR_APPLE ? " class not network" : "");
}

/* The payload bytes a handler reads for this row (ILP32 moves ISSUES). */
static uint32_t reads_of(const kev_world *w, const kev_event_def *d, int ver)
{
    if (d->layout == KEV_L_DL_ISSUES && w->opts.ilp32)
        return KEV_SZ_DL_ISSUES_I386; /* info ends the i386 struct */
    return d->reads[ver];
}

static void run_handler(kev_world *w, kev_ev *e, kev_handler_id h)
{
    if (kev__reporting(w)) {
        kev__sb_add(&w->out, "  handler ", 10);
        kev__sb_adds(&w->out, kev_handler_name(h));
        if (e->def->flags & KEV_EVF_LINK_DATA) {
            kev__sb_add(&w->out, " ifname=\"", 9);
            kev__report_bytes_escaped(&w->out, e->ifname, e->ifname_len);
            kev__sb_addc(&w->out, '"');
        }
        kev__sb_addc(&w->out, '\n');
    }
    w->stats.handled++;
    w->handler = h;
    kev__handlers[h](w, e);
    w->handler = KEV_H_NONE;
}

/* logEvent in verbose mode: dumps u32 words while the word's start is below
 * total_size, so the last word can reach 3 bytes past the event (D16). */
static void log_event_faithful(kev_world *w, kev_ev *e)
{
    uint64_t ts = e->hdr.total_size;
    for (uint64_t j = KEV_MSG_HEADER_SIZE; j < ts; j += 4) {
        size_t off = e->off + (size_t)j;
        if (j + 4 > ts &&
            !kev__finding(w, 16, "log-read-past-event", off, false,
                          "verbose logEvent reads the word at +%llu of a "
                          "%llu-byte event",
                          (unsigned long long)j, (unsigned long long)ts))
            return;
        if (off + 4 > w->recv_buffer) {
            kev__finding(w, 4, "read-past-buffer", off, true,
                         "verbose logEvent reads past the %u-byte buffer",
                         w->recv_buffer);
            return;
        }
    }
}

static void size_check_failed(kev_world *w, kev_ev *e, uint64_t data_len,
                              uint64_t need)
{
    if (kev__reporting(w))
        kev__report_line(w, "  size check failed: dataLen %llu < %llu",
                         (unsigned long long)data_len, (unsigned long long)need);
    if (w->opts.verbose)
        log_event_faithful(w, e);
}

/* processEvent_Apple_Network as the seed version runs it. */
static void process_faithful(kev_world *w, kev_ev *e, bool code_read)
{
    const kev_profile_def *p = w->prof;
    kev_handler_id h = e->def ? e->def->handler[p->version] : KEV_H_NONE;
    if (h == KEV_H_NONE) {
        report_event(w, e, code_read, " ignored");
        return;
    }
    report_event(w, e, true, "");
    /* dataLen only matters to a case that compares it. */
    if (e->hdr.total_size < KEV_MSG_HEADER_SIZE &&
        !kev__finding(w, 2, "size-below-header", e->off, false,
                      "total_size %u is below the 24-byte header: dataLen wraps "
                      "and every size check passes",
                      e->hdr.total_size))
        return;
    /* dataLen = total_size - 24 in the seed's width: huge when total_size
     * is below 24 (D2), so every check below passes. */
    uint64_t data_len = (uint64_t)e->hdr.total_size - KEV_MSG_HEADER_SIZE;
    if (w->opts.ilp32)
        data_len &= 0xffffffffu;
    uint64_t need = e->def->check[p->version];
    if (data_len < need) {
        size_check_failed(w, e, data_len, need);
        return;
    }
    uint64_t reads = reads_of(w, e->def, p->version);
    if (e->def->flags & KEV_EVF_HWLEN) {
        uint8_t hw_len;
        if (!kev__ev_u8(w, KEV_OFF_COLL_HWLEN, &hw_len))
            return;
        if (data_len < KEV_SZ_IN_COLLISION + (uint64_t)hw_len) {
            size_check_failed(w, e, data_len, KEV_SZ_IN_COLLISION + hw_len);
            return;
        }
        reads += hw_len;
    }
    if (reads > data_len &&
        !kev__finding(w, 6, "read-past-event", e->off + KEV_MSG_HEADER_SIZE,
                      false,
                      "%s checks %llu payload bytes but reads %llu; the event "
                      "has %llu",
                      e->def->name, (unsigned long long)need,
                      (unsigned long long)reads, (unsigned long long)data_len))
        return;
    if ((e->def->flags & KEV_EVF_LINK_DATA) && !copy_if_name_faithful(w, e))
        return;
    run_handler(w, e, h);
}

/* The hardened event: everything the handler reads must be in the event. */
static void process_hardened(kev_world *w, kev_ev *e)
{
    kev_handler_id h = e->def ? e->def->handler[KEV_VER_963] : KEV_H_NONE;
    if (h == KEV_H_NONE) {
        report_event(w, e, true, " ignored");
        return;
    }
    report_event(w, e, true, "");
    uint32_t data_len = e->hdr.total_size - KEV_MSG_HEADER_SIZE;
    uint32_t check = e->def->check[KEV_VER_963];
    uint32_t reads = reads_of(w, e->def, KEV_VER_963);
    uint32_t need = check > reads ? check : reads;
    if (data_len < need) {
        kev__finding(w, reads > check ? 6 : 0, "payload-short", e->off, false,
                     "%s needs %u payload bytes, the event has %u; event skipped",
                     e->def->name, need, data_len);
        return;
    }
    if (e->def->flags & KEV_EVF_HWLEN) {
        uint8_t hw_len = e->buf[e->off + KEV_MSG_HEADER_SIZE + KEV_OFF_COLL_HWLEN];
        if (data_len < KEV_SZ_IN_COLLISION + (uint32_t)hw_len) {
            kev__finding(w, 0, "payload-short", e->off, false,
                         "ARP collision with hw_len %u needs %u payload bytes, "
                         "the event has %u; event skipped",
                         hw_len, KEV_SZ_IN_COLLISION + hw_len, data_len);
            return;
        }
    }
    if ((e->def->flags & KEV_EVF_LINK_DATA) && !copy_if_name_hardened(w, e))
        return;
    run_handler(w, e, h);
}

/* ------------------------------------------------------------------------
 * The faithful walker: eventCallback's loop
 */

/* Reads header field `foff` (0..20) of the event at `off` in the emulated
 * buffer: D3 when past the received bytes (uninitialised in the original),
 * D4 when past the buffer. */
static bool hdr_field(kev_world *w, size_t off, size_t status, uint32_t foff,
                      uint32_t *v, bool *d3_reported)
{
    size_t at = off + foff;
    if (at + 4 > w->recv_buffer)
        return kev__finding(w, 4, "header-past-buffer", at, true,
                            "reads header field +%u at offset %zu, past the "
                            "%u-byte receive buffer",
                            foff, at, w->recv_buffer);
    if (at + 4 > status && !*d3_reported) {
        *d3_reported = true;
        if (!kev__finding(w, 3, "header-past-data", at, false,
                          "header at offset %zu extends past the %zu received "
                          "bytes; field +%u is uninitialised",
                          off, status, foff))
            return false;
    }
    kev_cursor c;
    kev__cur_init(&c, w->rbuf, w->recv_buffer);
    (void)kev__cur_seek(&c, at);
    (void)kev__cur_u32le(&c, v);
    return true;
}

/* The seed's bound check `offset + total_size > status` and its step
 * `offset += total_size`, in the ABI's arithmetic. Returns false for the
 * "missed event" break. `*next` gets the offset the loop moves to after the
 * event; `*anomaly` gets 13 (v888) or 14 (v963) when, on ILP32, the check
 * passed only because the sum wrapped or total_size was negative as a
 * 32-bit ssize_t (0 otherwise). On LP64 both sums are 64-bit and safe. */
static bool bound_check(const kev_world *w, int64_t offset, uint32_t ts, size_t status,
                        int64_t *next, int *anomaly)
{
    *anomaly = 0;
    if (!w->opts.ilp32) {
        *next = offset + (int64_t)ts;
        return *next <= (int64_t)status;
    }
    /* Both versions store the 32-bit sum back into a 32-bit ssize_t. */
    uint32_t sum = (uint32_t)offset + ts;
    *next = sum > INT32_MAX ? (int64_t)sum - ((int64_t)1 << 32) : (int64_t)sum;
    if (w->prof->version == KEV_VER_888) {
        /* ssize_t + u_int32_t: unsigned 32-bit, compared unsigned (D13). */
        if (sum > (uint32_t)status)
            return false;
        if ((uint64_t)offset + ts > UINT32_MAX)
            *anomaly = 13;
        return true;
    }
    /* v963: ssize_t + (ssize_t)total_size in 32-bit int; its overflow is
     * modelled as the wrap the hardware does (D14). */
    if (*next > (int64_t)status)
        return false;
    if ((int32_t)ts < 0 || offset + (int64_t)ts > INT32_MAX)
        *anomaly = 14;
    return true;
}

/* Reports the 32-bit anomaly the bound check let through. */
static bool report_anomaly(kev_world *w, int anomaly, int64_t offset, uint32_t ts,
                           int64_t next)
{
    if (anomaly == 13)
        return kev__finding(w, 13, "offset-wraps", (size_t)offset, false,
                            "offset %lld + total_size %u wraps to %lld in 32-bit "
                            "arithmetic: the check passes and the loop goes back",
                            (long long)offset, ts, (long long)next);
    return kev__finding(w, 14, "size-negative", (size_t)offset, false,
                        "offset %lld + (ssize_t)total_size %d is %lld in 32-bit "
                        "arithmetic: the check passes",
                        (long long)offset, (int32_t)ts, (long long)next);
}

/* The fields of the header the seed reads for one event: vendor always,
 * the class only for Apple, then processEvent_Apple_Network. */
static void dispatch_faithful(kev_world *w, kev_ev *e, size_t status, bool *d3)
{
    if (!hdr_field(w, e->off, status, 4, &e->hdr.vendor_code, d3))
        return;
    if (e->hdr.vendor_code == KEV_VENDOR_APPLE &&
        !hdr_field(w, e->off, status, 8, &e->hdr.kev_class, d3))
        return;
    if (e->hdr.vendor_code != KEV_VENDOR_APPLE || e->hdr.kev_class != KEV_NETWORK_CLASS) {
        report_skipped(w, e);
        return;
    }
    if (!hdr_field(w, e->off, status, 12, &e->hdr.kev_subclass, d3))
        return;
    /* Only the subclasses this version switches on read the code. */
    bool reads_code = e->hdr.kev_subclass < 32 &&
                      (w->prof->code_subclasses >> e->hdr.kev_subclass) & 1u;
    if (reads_code) {
        if (!hdr_field(w, e->off, status, 20, &e->hdr.event_code, d3))
            return;
        e->def = kev_event_lookup(e->hdr.kev_subclass, e->hdr.event_code);
    }
    process_faithful(w, e, reads_code);
}

/* One iteration of eventCallback's loop at offset `at`: the header read,
 * the bound check, the event, and the step to `*offset`. */
static void walk_one_faithful(kev_world *w, kev_ev *e, uint32_t index, size_t at,
                              size_t status, int64_t *offset, bool *zero_step, int *back)
{
    bool d3 = false;
    e->index = index;
    e->off = at;
    e->def = NULL;
    memset(&e->hdr, 0, sizeof e->hdr);
    w->stats.events++;
    if ((at & 3) != 0 &&
        !kev__finding(w, 7, "misaligned-header", at, false,
                      "header at offset %zu is not 4-byte aligned: unaligned u32 loads",
                      at))
        return;
    if (!hdr_field(w, at, status, 0, &e->hdr.total_size, &d3))
        return;
    int64_t next;
    int anomaly;
    if (!bound_check(w, *offset, e->hdr.total_size, status, &next, &anomaly)) {
        if (kev__reporting(w))
            kev__report_line(w, "  missed event at offset %zu: total_size %u exceeds the "
                             "%zu received bytes",
                             at, e->hdr.total_size, status);
        *offset = (int64_t)status; /* the seed breaks out of the loop */
        return;
    }
    if (anomaly && !report_anomaly(w, anomaly, *offset, e->hdr.total_size, next))
        return;
    if (anomaly)
        *back = anomaly;
    dispatch_faithful(w, e, status, &d3);
    *zero_step = next == *offset;
    *offset = next;
}

/* The loop revisits an offset: it would never end. The step that closed
 * the cycle was either zero (D1) or a 32-bit wrap backwards (D13/D14). */
static void report_hang(kev_world *w, int64_t offset, bool zero_step, int back)
{
    if (zero_step || back == 0)
        kev__finding(w, 1, "size-zero", (size_t)offset, true,
                     "total_size 0 at offset %lld: the offset never advances and "
                     "the callback loops forever",
                     (long long)offset);
    else
        kev__finding(w, back, "offset-loops", (size_t)offset, true,
                     "the loop is back at offset %lld: it runs forever", (long long)offset);
}

static void walk_faithful(kev_world *w, const uint8_t *bytes, size_t len)
{
    size_t status = len < w->recv_buffer ? len : w->recv_buffer;
    if (len > w->recv_buffer &&
        !kev__finding(w, 8, "record-truncated", w->recv_buffer, false,
                      "a %zu-byte record is cut to the %u-byte receive buffer; "
                      "the rest is dropped unseen",
                      len, w->recv_buffer))
        return;
    if (status)
        memcpy(w->rbuf, bytes, status);
    memset(w->rbuf + status, KEV_POISON_BYTE, w->recv_buffer - status);
    /* Offsets seen, to detect a loop that would never end (D1, D13, D14). */
    memset(w->visited, 0, status / 8 + 1);

    kev_ev e;
    memset(&e, 0, sizeof e);
    e.buf = w->rbuf;
    e.limit = w->recv_buffer;
    w->ev = &e;
    int64_t offset = 0;
    bool zero_step = false;
    int back = 0;
    for (uint32_t index = 0; !w->batch_stopped; index++) {
        if (offset < 0) {
            kev__finding(w, 14, "header-before-buffer", 0, true,
                         "the next header is read %lld bytes before the buffer",
                         -(long long)offset);
            break;
        }
        if (offset >= (int64_t)status)
            break;
        size_t at = (size_t)offset;
        if (w->visited[at / 8] & (1u << (at % 8))) {
            report_hang(w, offset, zero_step, back);
            break;
        }
        w->visited[at / 8] |= (uint8_t)(1u << (at % 8));
        walk_one_faithful(w, &e, index, at, status, &offset, &zero_step, &back);
    }
    w->ev = NULL;
}

/* ------------------------------------------------------------------------
 * The hardened walker
 */

static bool frame_hardened(kev_world *w, kev_ev *e, const uint8_t *bytes,
                           size_t status)
{
    int rc = kev_wire_header_read(bytes, status, e->off, &e->hdr);
    if (rc != 0)
        return kev__finding(w, 3, "short-header", e->off, false,
                            "%zu bytes left at offset %zu, a header needs 24; "
                            "rest of batch skipped",
                            status - e->off, e->off), false;
    if (e->hdr.total_size == 0)
        return kev__finding(w, 1, "size-zero", e->off, false,
                            "total_size 0; rest of batch skipped"), false;
    if (e->hdr.total_size < KEV_MSG_HEADER_SIZE)
        return kev__finding(w, 2, "size-below-header", e->off, false,
                            "total_size %u is below the 24-byte header; rest of "
                            "batch skipped",
                            e->hdr.total_size), false;
    if (e->hdr.total_size > status - e->off)
        return kev__finding(w, 0, "size-past-batch", e->off, false,
                            "total_size %u exceeds the %zu bytes left; rest of "
                            "batch skipped",
                            e->hdr.total_size, status - e->off), false;
    return true;
}

static void walk_hardened(kev_world *w, const uint8_t *bytes, size_t len)
{
    size_t status = len < w->recv_buffer ? len : w->recv_buffer;
    if (len > w->recv_buffer)
        kev__finding(w, 8, "record-truncated", w->recv_buffer, false,
                     "a %zu-byte record is cut to the %u-byte receive buffer",
                     len, w->recv_buffer);
    kev_ev e;
    memset(&e, 0, sizeof e);
    e.buf = bytes;
    w->ev = &e;
    for (uint32_t index = 0; e.off < status; index++) {
        e.index = index;
        e.def = NULL;
        w->stats.events++;
        if (!frame_hardened(w, &e, bytes, status))
            break;
        e.limit = e.off + e.hdr.total_size;
        if (e.hdr.vendor_code == KEV_VENDOR_APPLE &&
            e.hdr.kev_class == KEV_NETWORK_CLASS) {
            e.def = kev_event_lookup(e.hdr.kev_subclass, e.hdr.event_code);
            process_hardened(w, &e);
        } else {
            report_skipped(w, &e);
        }
        if (w->batch_stopped)
            break;
        e.off += e.hdr.total_size;
    }
    w->ev = NULL;
}

/* ------------------------------------------------------------------------
 * Batches
 */

static void begin_batch(kev_world *w, const char *kind, uint64_t t_ns, size_t len)
{
    w->batch = w->stats.batches + w->stats.errors;
    if (!kev__reporting(w))
        return;
    kev__sb_adds(&w->out, kind);
    kev__sb_addc(&w->out, ' ');
    kev__report_u64(w, w->batch);
    kev__sb_add(&w->out, " t=", 3);
    kev__report_time(w, t_ns);
    kev__sb_add(&w->out, " len=", 5);
    kev__report_u64(w, len);
    kev__sb_addc(&w->out, '\n');
}

/* The end of a record: drift settled (its lines close the section), the
 * report handed over, the world idle again. */
static void end_record(kev_world *w)
{
    if (w->opts.drift)
        kev__drift_settle(w, false);
    w->phase = KEV_PHASE_IDLE;
    kev__report_flush(w);
}

/* eventCallback for one batch, after the kernel took its events. */
static void process_batch(kev_world *w, const uint8_t *bytes, size_t len)
{
    if (!w->stats.monitoring) {
        if (kev__reporting(w))
            kev__report_line(w, "  not processed: monitoring stopped (D12)");
        return;
    }
    /* recv() returning 0 is EOF: the seed returns at once. */
    if (len == 0)
        return;
    step_mark m = step_begin(w);
    w->in_batch = true;
    if (w->prof->faithful)
        walk_faithful(w, bytes, len);
    else
        walk_hardened(w, bytes, len);
    w->in_batch = false;
    if (w->batch_stopped) {
        w->stats.stopped++;
        step_discard(w, &m);
    } else {
        commit(w);
        post_network_changed(w);
        kev__messages_post(w);
    }
    w->batch_stopped = false;
}

int kev_world_feed(kev_world *w, const uint8_t *bytes, size_t len, uint64_t t_ns)
{
    if (len > KEV_MAX_BATCH || (bytes == NULL && len != 0))
        return KEV_EINVAL;
    int rc = kev_world_advance(w, t_ns);
    if (rc != 0)
        return rc;
    begin_batch(w, "batch", t_ns, len);
    w->phase = KEV_PHASE_BATCH;
    w->stats.batches++;
    /* The kernel changed whether or not configd still listens. */
    kev__kernel_apply_batch(w->kernel, bytes, len,
                            w->opts.drift ? kev__drift_mark_iface : NULL, w);
    process_batch(w, bytes, len);
    end_record(w);
    return 0;
}

int kev_world_feed_error(kev_world *w, int err, const char *err_name, uint64_t t_ns)
{
    int rc = kev_world_advance(w, t_ns);
    if (rc != 0)
        return rc;
    begin_batch(w, "error", t_ns, 0);
    w->phase = KEV_PHASE_ERROR;
    w->stats.errors++;
    const char *nm = err_name ? err_name : "?";
    if (!w->stats.monitoring) {
        if (kev__reporting(w))
            kev__report_line(w, "  not processed: monitoring stopped (D12)");
    } else if (w->prof->faithful) {
        kev__finding(w, 12, "recv-error", 0, false,
                     "recv() failed with errno %d (%s): the source is cancelled "
                     "and monitoring stops for good",
                     err, nm);
        w->stats.monitoring = false;
    } else {
        kev__finding(w, 12, "recv-error", 0, false,
                     "recv() failed with errno %d (%s); monitoring continues", err,
                     nm);
    }
    end_record(w);
    return 0;
}

int kev_world_finish(kev_world *w)
{
    if (!w->started)
        kev_world_start(w, 0);
    if (w->opts.drift)
        kev__drift_settle(w, false);
    kev__report_final(w);
    kev__report_flush(w);
    return w->out.err;
}
