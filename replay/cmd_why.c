/*
 * cmd_why.c: `kevrr why KEY TRACE`: the history of one store key in a
 * replay. It replays TRACE through the core with three observers: the
 * writes handlers queue in configd's cache (kev_world_opts.queue_observer,
 * with kev_world_where_get saying which event and handler queued them), the
 * operations the store applies (store_observer), and drift (on_drift). So
 * it can tell, for KEY, every set, remove and notify with the batch, the
 * record's offset, the event and the handler, and whether it was committed,
 * replaced by a later write of the same batch, or discarded when the batch
 * stopped; the moment monitoring stopped and the batches not processed
 * after it that carried events for the key's interface; and, when the store
 * and the kernel disagree on KEY at the end, the batch where they parted
 * and the events of it the store missed.
 *
 * Nothing is parsed from report text. It streams: the writes of one record
 * are held until the record is done (so their outcome is known), then
 * printed; memory does not grow with the trace.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kevrr/drift.h"
#include "predicate.h"

static const char why_usage[] =
    "usage: kevrr why KEY TRACE [OPTIONS]\n"
    "\n"
    "The history of the store key KEY in TRACE's replay: every set, remove and\n"
    "notify of it with the batch, the record's offset, the event and the handler,\n"
    "and whether it was committed or discarded (a stopped batch); when monitoring\n"
    "stopped and the batches not processed after it that had events for the key's\n"
    "interface; and, when the store and the kernel disagree on KEY at the end,\n"
    "since which batch and which event the store missed (docs/fidelity.md, Drift).\n"
    "\n"
    "KEY: a whole key (State:/Network/Interface/utun3/IPv4), IF/ENTITY for\n"
    "State:/Network/Interface/IF/ENTITY (utun3/IPv4), or 'interfaces' for the\n"
    "interface list.\n"
    "\n"
    "options:\n"
    "  --profile P       the core's profile (default hardened)\n"
    "  --format F        text (default) or json: one JSON object per line\n"
    "  -o FILE           write to FILE ('-': standard output, the default)\n"
    "  --ilp32           emulate 32-bit (i386) arithmetic and layouts\n"
    "  --recv-buffer N   receive buffer size, 24..65536\n"
    "  --verbose         configd's verbose mode (logEvent on size failures)\n"
    "  -h, --help        this help\n"
    "\n"
    "exit status: 0 done, 2 usage, 3 TRACE unreadable or its snapshot does not\n"
    "load, 5 output error.\n";

/* Writes of one record held until it is done; more are counted only. */
#define WHY_MAX_PENDING 64u
/* Events of one batch listed for the key's interface; more are counted. */
#define WHY_MAX_EVENTS 16u

/* What became of a queued write. */
typedef enum outcome { O_PENDING, O_COMMITTED, O_REPLACED, O_DISCARDED } outcome;

/* One write of KEY: where it was queued (or applied directly), and what. */
typedef struct write_entry {
    kev_world_where at; /* event_name and handler point to static strings */
    char ifname[KEV_IFNAMSIZ];
    kev_store_opkind kind;
    bool direct;
    kev_strbuf value;
    outcome out;
} write_entry;

/* One event of a batch that changes the key's interface in the kernel. */
typedef struct target_event {
    uint32_t index, off;
    const char *name; /* the event's name, or NULL */
    uint32_t subclass, code;
} target_event;

typedef struct why {
    const char *key, *trace;
    char ifname[KEV_IFNAMSIZ]; /* the key's interface, or "" */
    bool list;                 /* KEY is the interface list */
    bool json;
    FILE *f;
    kev_world *w;
    kev_world_opts o;
    /* the record being fed */
    const kev_trace_rec *rec;
    write_entry pending[WHY_MAX_PENDING];
    size_t n_pending, over_pending;
    char stop_reason[96]; /* the finding that stopped the current batch */
    bool drift_began;     /* KEY started drifting in this record */
    /* across the trace */
    bool monitoring;
    uint64_t not_processed, not_processed_first, not_processed_last, not_processed_shown;
    bool have_since;
    uint64_t since;
    target_event missed[WHY_MAX_EVENTS];
    size_t n_missed, over_missed;
    char missed_why[160];
    kev_strbuf line; /* the output line being built */
} why;

/* ------------------------------------------------------------------ output */

static void out_line(why *y)
{
    kev_strbuf_addc(&y->line, '\n');
    fwrite(y->line.p, 1, y->line.len, y->f);
    kev_strbuf_clear(&y->line);
}

/* JSON: `"name":` then a string (NULL: null). */
static void j_str(why *y, const char *name, const char *s)
{
    kev_strbuf_addf(&y->line, ",\"%s\":", name);
    kev_cli_escape(&y->line, s, s ? strlen(s) : 0, true);
}

/* The start of a line about record `index` at time `t`: text "batch N
 * t=S" (or "error N"), JSON {"kind":K,"record":N,"t":"S". */
static void line_begin(why *y, const char *kind, const kev_trace_rec *r)
{
    kev_cli_time t;
    kev_cli_time_format(r->t_ns, &t);
    if (y->json)
        kev_strbuf_addf(&y->line, "{\"kind\":\"%s\",\"record\":%" PRIu64 ",\"t\":\"%s\"",
                        kind, r->index, t.secs);
    else
        kev_strbuf_addf(&y->line, "%s %" PRIu64 " t=%s",
                        r->kind == KEV_TR_ERROR ? "error" : "batch", r->index, t.secs);
}

static const char *const kind_names[] = {"set", "remove", "notify"};
static const char *const outcome_names[] = {"pending", "committed", "replaced",
                                            "discarded"};

/* Where a write was queued: "event 0 off=0 KEV_INET_NEW_ADDR, handler H",
 * "tick 3, handler update_interfaces", "prime". */
static void where_text(why *y, const write_entry *e)
{
    const kev_world_where *at = &e->at;
    if (y->json) {
        const char *ph = at->phase == KEV_PHASE_PRIME  ? "prime"
                         : at->phase == KEV_PHASE_TICK ? "tick"
                                                       : "event";
        j_str(y, "during", ph);
        if (at->phase == KEV_PHASE_TICK)
            kev_strbuf_addf(&y->line, ",\"tick\":%" PRIu32, at->tick);
        if (at->in_event) {
            kev_strbuf_addf(&y->line, ",\"event\":%" PRIu32 ",\"offset\":%" PRIu32,
                            at->event, at->offset);
            j_str(y, "code", at->event_name);
            j_str(y, "ifname", e->ifname);
        }
        j_str(y, "handler", at->handler);
        return;
    }
    if (at->in_event) {
        kev_strbuf_addf(&y->line, " event %" PRIu32 " off=%" PRIu32 " %s", at->event,
                        at->offset, at->event_name ? at->event_name : "(unknown code)");
        if (e->ifname[0]) {
            kev_strbuf_adds(&y->line, " ");
            kev_cli_escape(&y->line, e->ifname, strlen(e->ifname), false);
        }
    }
    if (at->handler && at->in_event)
        kev_strbuf_addf(&y->line, ", handler %s", at->handler);
}

static void print_write(why *y, const write_entry *e)
{
    const char *kind = e->direct ? "set-direct" : kind_names[e->kind];
    if (!y->json && e->at.phase == KEV_PHASE_PRIME)
        kev_strbuf_adds(&y->line, "prime");
    else if (!y->json && e->at.phase == KEV_PHASE_TICK)
        kev_strbuf_addf(&y->line, "tick %" PRIu32 " (before batch %" PRIu64 ")", e->at.tick,
                        y->rec->index);
    else
        line_begin(y, "write", y->rec);
    if (y->json && e->at.phase != KEV_PHASE_BATCH && e->at.phase != KEV_PHASE_ERROR) {
        kev_strbuf_clear(&y->line);
        kev_strbuf_addf(&y->line, "{\"kind\":\"write\",\"record\":%" PRIu64, y->rec->index);
    }
    if (y->json) {
        j_str(y, "op", kind);
        where_text(y, e);
        if (e->kind == KEV_STORE_SET)
            j_str(y, "value", kev_strbuf_str(&e->value));
        j_str(y, "outcome", outcome_names[e->out]);
        if (e->out == O_DISCARDED)
            j_str(y, "why", y->stop_reason);
        kev_strbuf_adds(&y->line, "}");
        out_line(y);
        return;
    }
    where_text(y, e);
    kev_strbuf_addf(&y->line, ": %s", kind);
    if (e->kind == KEV_STORE_SET) {
        kev_strbuf_adds(&y->line, " ");
        kev_strbuf_add(&y->line, e->value.p ? e->value.p : "", e->value.len);
    }
    kev_strbuf_addf(&y->line, ": %s", outcome_names[e->out]);
    if (e->out == O_DISCARDED)
        kev_strbuf_addf(&y->line, " (%s)", y->stop_reason);
    else if (e->out == O_REPLACED)
        kev_strbuf_adds(&y->line, " (a later write in the same batch)");
    out_line(y);
}

/* -------------------------------------------------------------- observers */

static void pending_add(why *y, const kev_store_op *op, bool direct)
{
    if (y->n_pending == WHY_MAX_PENDING) {
        y->over_pending++;
        return;
    }
    write_entry *e = &y->pending[y->n_pending++];
    kev_world_where_get(y->w, &e->at);
    snprintf(e->ifname, sizeof e->ifname, "%s", e->at.ifname ? e->at.ifname : "");
    e->kind = op->kind;
    e->direct = direct;
    e->out = direct ? O_COMMITTED : O_PENDING;
    kev_strbuf_clear(&e->value);
    if (op->value)
        kev_value_format(op->value, &e->value);
}

/* A handler queued a write in the cache. */
static void on_queue(void *ctx, const kev_store_op *op)
{
    why *y = ctx;
    if (strcmp(op->key, y->key) == 0)
        pending_add(y, op, false);
}

/* The store applied an operation: the writes queued for KEY so far are
 * committed, the last one as it is, the earlier ones replaced by it. */
static void on_apply(void *ctx, const kev_store_op *op)
{
    why *y = ctx;
    if (strcmp(op->key, y->key) != 0)
        return;
    if (op->direct) {
        pending_add(y, op, true);
        return;
    }
    size_t last = y->n_pending;
    for (size_t i = 0; i < y->n_pending; i++)
        if (y->pending[i].out == O_PENDING && !y->pending[i].direct &&
            (y->pending[i].kind == KEV_STORE_NOTIFY) == (op->kind == KEV_STORE_NOTIFY))
            last = i;
    for (size_t i = 0; i < y->n_pending; i++) {
        write_entry *e = &y->pending[i];
        if (e->out != O_PENDING || e->direct ||
            (e->kind == KEV_STORE_NOTIFY) != (op->kind == KEV_STORE_NOTIFY))
            continue;
        e->out = i == last ? O_COMMITTED : O_REPLACED;
    }
}

static void on_finding(void *ctx, const kev_finding *f)
{
    why *y = ctx;
    if (f->stops)
        snprintf(y->stop_reason, sizeof y->stop_reason, "the batch stopped: D%d %s",
                 f->defect, f->code ? f->code : "");
}

static void on_drift(void *ctx, const kev_drift_item *it, bool begins)
{
    why *y = ctx;
    if (strcmp(it->key, y->key) != 0)
        return;
    y->drift_began = begins;
    y->have_since = begins;
    if (begins)
        y->since = it->since_kind == KEV_DRIFT_SINCE_BATCH ? it->since : 0;
}

/* ------------------------------------------------------------------ events */

/* Does an event that changes interface `name` in the kernel concern KEY? */
static bool concerns(const why *y, const kev_msg_header *h, const char *name)
{
    if (y->list)
        return h->kev_subclass == KEV_DL_SUBCLASS &&
               (h->event_code == KEV_DL_IF_ATTACHED || h->event_code == KEV_DL_IF_DETACHED);
    return y->ifname[0] != '\0' && strcmp(name, y->ifname) == 0;
}

/* The events of a batch that change KEY's interface in the kernel. */
static size_t targets(const why *y, const kev_trace_rec *r, target_event *out, size_t cap,
                      size_t *over)
{
    size_t pos = 0, off, n = 0;
    uint32_t index = 0;
    kev_msg_header h;
    char name[KEV_IFNAMSIZ];
    *over = 0;
    if (r->kind != KEV_TR_BATCH)
        return 0;
    size_t len = r->caplen < KEV_MAX_BATCH ? r->caplen : KEV_MAX_BATCH;
    for (; kev_wire_next(r->data, len, &pos, &off, &h) == 1; index++) {
        const uint8_t *p = r->data + off + KEV_MSG_HEADER_SIZE;
        if (!kev_kernel_event_iface(&h, p, h.total_size - KEV_MSG_HEADER_SIZE, name) ||
            !concerns(y, &h, name))
            continue;
        if (n == cap) {
            (*over)++;
            continue;
        }
        const kev_event_def *d = kev_event_lookup(h.kev_subclass, h.event_code);
        out[n++] = (target_event){index, (uint32_t)off, d ? d->name : NULL, h.kev_subclass,
                                  h.event_code};
    }
    return n;
}

/* " event 0 off=0 KEV_INET_ADDR_DELETED" for each, or a JSON array. */
static void events_text(why *y, const target_event *ev, size_t n, size_t over)
{
    if (y->json) {
        kev_strbuf_adds(&y->line, ",\"events\":[");
        for (size_t i = 0; i < n; i++) {
            kev_strbuf_addf(&y->line, "%s{\"event\":%" PRIu32 ",\"offset\":%" PRIu32,
                            i ? "," : "", ev[i].index, ev[i].off);
            j_str(y, "code", ev[i].name);
            kev_strbuf_adds(&y->line, "}");
        }
        kev_strbuf_addf(&y->line, "],\"more_events\":%zu", over);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        kev_strbuf_addf(&y->line, "%s event %" PRIu32 " off=%" PRIu32 " ", i ? ";" : "",
                        ev[i].index, ev[i].off);
        if (ev[i].name)
            kev_strbuf_adds(&y->line, ev[i].name);
        else
            kev_strbuf_addf(&y->line, "subclass %" PRIu32 " code %" PRIu32, ev[i].subclass,
                            ev[i].code);
    }
    if (over)
        kev_strbuf_addf(&y->line, " (and %zu more)", over);
}

/* A record fed while monitoring was stopped: shown when it had events for
 * KEY's interface, counted either way. */
static void not_processed(why *y, const kev_trace_rec *r)
{
    target_event ev[WHY_MAX_EVENTS];
    size_t over, n = targets(y, r, ev, WHY_MAX_EVENTS, &over);
    if (y->not_processed++ == 0)
        y->not_processed_first = r->index;
    y->not_processed_last = r->index;
    if (n == 0)
        return;
    y->not_processed_shown++;
    line_begin(y, "not-processed", r);
    if (!y->json)
        kev_strbuf_adds(&y->line, ": not processed (monitoring stopped):");
    events_text(y, ev, n, over);
    if (y->json)
        kev_strbuf_adds(&y->line, "}");
    out_line(y);
}

/* The record where KEY started drifting: what of it the store missed. */
static void note_missed(why *y, const kev_trace_rec *r, bool was_monitoring, bool stopped)
{
    y->n_missed = targets(y, r, y->missed, WHY_MAX_EVENTS, &y->over_missed);
    if (!was_monitoring)
        snprintf(y->missed_why, sizeof y->missed_why, "not processed: monitoring stopped");
    else if (stopped)
        snprintf(y->missed_why, sizeof y->missed_why, "its writes were discarded: %s",
                 y->stop_reason);
    else
        snprintf(y->missed_why, sizeof y->missed_why,
                 "processed, but the store did not follow the kernel");
}

/* ------------------------------------------------------------------- feed */

static void print_monitoring_stopped(why *y, const kev_trace_rec *r)
{
    line_begin(y, "monitoring-stopped", r);
    if (y->json) {
        kev_strbuf_addf(&y->line, ",\"errno\":%d", r->err);
        j_str(y, "name", r->err_name);
        kev_strbuf_adds(&y->line, "}");
    } else {
        kev_strbuf_addf(&y->line, ": recv() failed (%s): monitoring stopped for good (D12)",
                        r->err_name ? r->err_name : "?");
    }
    out_line(y);
}

/* Feeds one record and tells what it did to KEY. */
static int feed(why *y, const kev_trace_rec *r)
{
    const kev_world_stats *st = kev_world_stats_get(y->w);
    bool was_monitoring = st->monitoring;
    uint64_t stopped_before = st->stopped;
    y->rec = r;
    y->n_pending = y->over_pending = 0;
    y->stop_reason[0] = '\0';
    y->drift_began = false;
    int rc;
    if (r->kind == KEV_TR_ERROR) {
        rc = kev_world_feed_error(y->w, r->err, r->err_name, r->t_ns);
    } else {
        size_t n = r->caplen < KEV_MAX_BATCH ? r->caplen : KEV_MAX_BATCH;
        rc = kev_world_feed(y->w, r->data, n, r->t_ns);
    }
    if (rc != 0)
        return rc;
    bool stopped = st->stopped > stopped_before;
    for (size_t i = 0; i < y->n_pending; i++) {
        if (y->pending[i].out == O_PENDING)
            y->pending[i].out = O_DISCARDED;
        if (y->stop_reason[0] == '\0')
            snprintf(y->stop_reason, sizeof y->stop_reason, "the commit failed");
        print_write(y, &y->pending[i]);
    }
    if (y->over_pending) {
        line_begin(y, "more-writes", r);
        kev_strbuf_addf(&y->line,
                        y->json ? ",\"count\":%zu}" : ": %zu more writes not shown",
                        y->over_pending);
        out_line(y);
    }
    if (was_monitoring && !st->monitoring)
        print_monitoring_stopped(y, r);
    else if (!was_monitoring && r->kind == KEV_TR_BATCH)
        not_processed(y, r);
    if (y->drift_began)
        note_missed(y, r, was_monitoring, stopped);
    return 0;
}

/* ------------------------------------------------------------------ the end */

static void value_or(kev_strbuf *sb, const kev_value *v, const char *none)
{
    if (v)
        kev_value_format(v, sb);
    else
        kev_strbuf_adds(sb, none);
}

static void print_summary_not_processed(why *y)
{
    if (y->not_processed == 0)
        return;
    if (y->json) {
        kev_strbuf_addf(&y->line,
                        "{\"kind\":\"not-processed-summary\",\"records\":%" PRIu64
                        ",\"first\":%" PRIu64 ",\"last\":%" PRIu64 ",\"shown\":%" PRIu64
                        "}",
                        y->not_processed, y->not_processed_first, y->not_processed_last,
                        y->not_processed_shown);
    } else {
        kev_strbuf_addf(&y->line,
                        "not processed after monitoring stopped: %" PRIu64
                        " batch(es), %" PRIu64 "..%" PRIu64 "; %" PRIu64
                        " with events for %s (shown above)",
                        y->not_processed, y->not_processed_first, y->not_processed_last,
                        y->not_processed_shown, y->list ? "the interface list" : y->ifname);
    }
    out_line(y);
}

/* The store's value, the kernel's, and the drift with what was missed. */
static int print_end(why *y)
{
    kev_strbuf v = KEV_STRBUF_INIT;
    const kev_value *sv = kev_store_get(kev_world_store(y->w), y->key);
    bool backed;
    kev_value *kv = kev_drift_expected(y->w, y->key, &backed);
    kev_drift_item it;
    int drifts = kev_drift_check(y->w, y->key, &it);
    print_summary_not_processed(y);
    value_or(&v, sv, "(absent)");
    if (y->json) {
        kev_strbuf_adds(&y->line, "{\"kind\":\"end\"");
        j_str(y, "store", sv ? kev_strbuf_str(&v) : NULL);
        kev_strbuf_clear(&v);
        value_or(&v, kv, "");
        j_str(y, "kernel", kv ? kev_strbuf_str(&v) : NULL);
        kev_strbuf_addf(&y->line, ",\"backed\":%s,\"drift\":%s", backed ? "true" : "false",
                        drifts == 1 ? "true" : "false");
    } else {
        kev_strbuf_addf(&y->line, "store at the end: %s", kev_strbuf_str(&v));
        out_line(y);
        kev_strbuf_clear(&v);
        value_or(&v, kv, backed ? "(nothing)" : "(not backed by the kernel)");
        kev_strbuf_addf(&y->line, "kernel at the end: %s", kev_strbuf_str(&v));
    }
    if (drifts == 1) {
        if (y->json) {
            j_str(y, "reason", it.reason);
            j_str(y, "detail", it.detail);
            if (it.since_kind == KEV_DRIFT_SINCE_BATCH)
                kev_strbuf_addf(&y->line, ",\"since\":%" PRIu64, it.since);
            else
                j_str(y, "since", it.since_kind == KEV_DRIFT_SINCE_PRIME ? "prime" : NULL);
            j_str(y, "missed_how", y->n_missed ? y->missed_why : NULL);
            events_text(y, y->missed, y->n_missed, y->over_missed);
        } else {
            out_line(y);
            kev_strbuf_adds(&y->line, "drift");
            if (it.since_kind == KEV_DRIFT_SINCE_BATCH)
                kev_strbuf_addf(&y->line, " since batch %" PRIu64, it.since);
            else if (it.since_kind == KEV_DRIFT_SINCE_PRIME)
                kev_strbuf_adds(&y->line, " since prime");
            kev_strbuf_addf(&y->line, ": %s (%s)", it.reason, it.detail);
            if (y->n_missed > 0) {
                out_line(y);
                kev_strbuf_addf(&y->line, "the store missed: batch %" PRIu64 ":", it.since);
                events_text(y, y->missed, y->n_missed, y->over_missed);
                kev_strbuf_addf(&y->line, " (%s)", y->missed_why);
            }
        }
    } else if (!y->json) {
        out_line(y);
        kev_strbuf_adds(&y->line, backed
                                      ? "no drift: the store agrees with the kernel"
                                      : "no drift: the kernel backs nothing in this key");
    }
    if (y->json)
        kev_strbuf_adds(&y->line, "}");
    out_line(y);
    if (drifts == 1)
        kev_drift_item_clear(&it);
    kev_value_unref(kv);
    kev_strbuf_free(&v);
    return drifts < 0 ? drifts : 0;
}

static void print_header(why *y)
{
    if (y->json) {
        kev_strbuf_adds(&y->line, "{\"kind\":\"key\"");
        j_str(y, "key", y->key);
        j_str(y, "trace", y->trace);
        j_str(y, "profile", kev_profile_name(y->o.profile));
        kev_strbuf_adds(&y->line, "}");
    } else {
        kev_strbuf_adds(&y->line, "why ");
        kev_cli_escape(&y->line, y->key, strlen(y->key), false);
        kev_strbuf_adds(&y->line, " in ");
        kev_cli_escape(&y->line, y->trace, strlen(y->trace), false);
        kev_strbuf_addf(&y->line, " (profile %s)", kev_profile_name(y->o.profile));
    }
    out_line(y);
}

/* ---------------------------------------------------------------- command */

/* The world with the observers, the trace's snapshot loaded. */
static int open_world(why *y, const kev_trace_meta *m)
{
    kev_world_opts wo = y->o;
    wo.queue_observer = (kev_store_observer){on_queue, NULL, y};
    wo.store_observer = (kev_store_observer){on_apply, NULL, y};
    wo.on_finding = on_finding;
    wo.finding_ctx = y;
    wo.drift = true;
    wo.on_drift = on_drift;
    wo.drift_ctx = y;
    if ((y->w = kev_world_new(&wo)) == NULL) {
        kev_cli_error("why", "out of memory");
        return KEV_EXIT_INTERNAL;
    }
    if (m->snapshot == NULL || m->snapshot_len == 0)
        return KEV_EXIT_OK;
    kev_strbuf err = KEV_STRBUF_INIT;
    int rc = kev_world_load_snapshot(y->w, m->snapshot, m->snapshot_len, &err);
    if (rc != 0)
        kev_cli_error("why", "%s: snapshot: %s", y->trace,
                      err.len ? kev_strbuf_str(&err) : kev_strerror(rc));
    kev_strbuf_free(&err);
    return rc == 0 ? KEV_EXIT_OK : rc == KEV_ENOMEM ? KEV_EXIT_INTERNAL : KEV_EXIT_INPUT;
}

/* Replays the trace and prints the history. */
static int why_run(why *y)
{
    kev_trace_reader *r = kev_cli_trace_open("why", y->trace, 0);
    if (r == NULL)
        return KEV_EXIT_INPUT;
    int exit_code = open_world(y, kev_trace_meta_get(r));
    kev_trace_rec rec;
    int rc = 0;
    if (exit_code == KEV_EXIT_OK) {
        print_header(y);
        /* prime, at the first record's time (or now, with none) */
        while ((rc = kev_trace_next(r, &rec)) == 1 && (rc = feed(y, &rec)) == 0)
            ;
        if (rc < 0 && rc != KEV_ENOMEM && kev_trace_end(r, NULL)->status != KEV_TS_OK) {
            (void)kev_cli_trace_end_ok("why", y->trace, r);
            exit_code = KEV_EXIT_INPUT;
        } else if (rc < 0) {
            kev_cli_error("why", "%s: replay: %s", y->trace, kev_strerror(rc));
            exit_code = KEV_EXIT_INTERNAL;
        } else if (!kev_cli_trace_end_ok("why", y->trace, r)) {
            exit_code = KEV_EXIT_INPUT;
        }
        if (!kev_world_stats_get(y->w)->batches && !kev_world_stats_get(y->w)->errors)
            (void)kev_world_start(y->w, 0);
        if (print_end(y) != 0 && exit_code == KEV_EXIT_OK)
            exit_code = KEV_EXIT_INTERNAL;
    }
    kev_world_free(y->w);
    kev_trace_close(r);
    return exit_code;
}

/* Parses the options; 0, 1 after --help, -1 after a message. */
static int parse_args(why *y, int argc, char **argv, const char **out)
{
    const char *profile = NULL, *format = NULL, *recv = NULL;
    bool ilp32 = false, verbose = false;
    const kev_cli_opt opts[] = {{"--profile", &profile, NULL, NULL},
                                {"--format", &format, NULL, NULL},
                                {"-o", out, NULL, NULL},
                                {"--ilp32", NULL, &ilp32, NULL},
                                {"--recv-buffer", &recv, NULL, NULL},
                                {"--verbose", NULL, &verbose, NULL}};
    int nargs, rc = kev_cli_parse("why", argc, argv, opts, sizeof opts / sizeof opts[0],
                                  why_usage, &nargs);
    if (rc != 0)
        return rc;
    kev_world_opts_init(&y->o);
    uint64_t rb = 0;
    if (nargs != 2) {
        kev_cli_error("why", "give a KEY and a TRACE; see kevrr help why");
        return -1;
    }
    if ((profile && kev_cli_profile_parse("why", profile, &y->o.profile) != 0) ||
        kev_cli_format_parse("why", format, &y->json) != 0 ||
        kev_cli_opt_u64("why", "--recv-buffer", recv, &rb) != 0)
        return -1;
    if (recv && (rb < KEV_MSG_HEADER_SIZE || rb > KEV_MAX_BATCH)) {
        kev_cli_error("why", "--recv-buffer '%s' is not in 24..65536", recv);
        return -1;
    }
    y->o.recv_buffer = (uint32_t)rb;
    y->o.ilp32 = ilp32;
    y->o.verbose = verbose;
    y->trace = argv[2];
    if (strcmp(y->trace, "-") == 0) {
        kev_cli_error("why", "give TRACE as a file (the history is read in one pass, but "
                             "the trace is named in the output)");
        return -1;
    }
    kev_strbuf whyb = KEV_STRBUF_INIT;
    y->key = kev_pred_key_parse(argv[1], strlen(argv[1]), &whyb);
    if (y->key == NULL)
        kev_cli_error("why", "%s", kev_strbuf_str(&whyb));
    kev_strbuf_free(&whyb);
    return y->key ? 0 : -1;
}

/* The key's interface, for the events that concern it. */
static void key_iface(why *y)
{
    static const char prefix[] = "State:/Network/Interface/";
    y->list = strcmp(y->key, "State:/Network/Interface") == 0;
    y->ifname[0] = '\0';
    if (strncmp(y->key, prefix, sizeof prefix - 1) != 0)
        return;
    const char *name = y->key + sizeof prefix - 1, *slash = strchr(name, '/');
    size_t n = slash ? (size_t)(slash - name) : 0;
    if (n > 0 && n < KEV_IFNAMSIZ) {
        memcpy(y->ifname, name, n);
        y->ifname[n] = '\0';
    }
}

static int why_cmd(int argc, char **argv)
{
    why *y = calloc(1, sizeof *y);
    if (y == NULL) {
        kev_cli_error("why", "out of memory");
        return KEV_EXIT_INTERNAL;
    }
    const char *out = NULL;
    int prc = parse_args(y, argc, argv, &out);
    int exit_code = prc > 0 ? KEV_EXIT_OK : prc < 0 ? KEV_EXIT_USAGE : KEV_EXIT_OK;
    char *inputs[1] = {(char *)y->trace};
    if (prc == 0 && out && kev_cli_out_not_input("why", out, inputs, 1) != 0)
        exit_code = KEV_EXIT_USAGE;
    else if (prc == 0) {
        key_iface(y);
        kev_cli_out o;
        exit_code = kev_cli_out_open(&o, "why", out ? out : "-");
        if (exit_code == KEV_EXIT_OK) {
            y->f = o.f;
            exit_code = why_run(y);
            bool failed = ferror(y->f) != 0;
            if (failed)
                kev_cli_error("why", "error writing %s", out ? out : "standard output");
            int crc = kev_cli_out_close(&o, "why", exit_code == KEV_EXIT_OK && !failed);
            exit_code = failed ? KEV_EXIT_INTERNAL : exit_code ? exit_code : crc;
        }
    }
    for (size_t i = 0; i < WHY_MAX_PENDING; i++)
        kev_strbuf_free(&y->pending[i].value);
    kev_strbuf_free(&y->line);
    free((char *)y->key);
    free(y);
    return exit_code;
}

const kev_cmd kev_cmd_why = {"why", why_cmd,
                             "the history of one store key in a replay, and why it drifts",
                             why_usage};
