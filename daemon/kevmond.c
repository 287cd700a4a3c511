/*
 * kevmond.c: the kernel-event monitor as a daemon. Reads recv() batches
 * from a live source (capture/source.h: Darwin's PF_SYSTEM event socket, or
 * a datagram socket on any OS), feeds each to the hardened core and the
 * simulated world at its receive time, records it in the flight recorder
 * (flight.h), and answers state queries on a control socket (ctl.h). Runs
 * in the foreground, logging to stderr; docs/daemon.md.
 *
 * One thread, one poll() loop over the self-pipe the signal handlers write
 * to, the source (non-blocking, drained until EAGAIN or DRAIN_MAX records
 * per wakeup), and the control socket and its connections. The recorder's
 * flush timer runs from the poll timeout. Nothing in a signal handler but
 * one write() to the pipe.
 *
 * The world's clock is the receive time of each batch (CLOCK_REALTIME),
 * and the same time goes to the recorder, so the flight-recorder trace
 * replays (`kevrr replay`) to exactly the daemon's state: the startup
 * timer ticks with the input, never from an idle timeout, because a replay
 * only sees the recorded batches.
 */
#define _POSIX_C_SOURCE 200809L /* sigaction, clock_gettime, fcntl, pipe */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "ctl.h"
#include "ctl_proto.h"
#include "flight.h"
#include "hostinfo.h"
#include "kevrr/kevrr.h"
#include "recorder.h"
#include "source.h"

/* Records taken from the source per wakeup before the loop looks at
 * signals and the control socket again: a flood cannot starve them. */
#define DRAIN_MAX 1024u
/* The poll timeout: the recorder's flush timer and the control
 * connections' deadlines are looked at least this often. */
#define POLL_MAX_MS 200
/* Findings are logged at most once per this interval; the others are
 * counted and the count is logged with the next one. */
#define FINDING_LOG_NS 1000000000ull
/* The report's recent text the `log` query answers with. */
#define REPORT_RING 65536u
/* Cap on a path the daemon builds. */
#define MAX_PATH     4096u
/* Option defaults (docs/daemon.md). */
#define DEF_RING_FILE_BYTES (8ull << 20)
#define DEF_RING_FILES      8u
#define DEF_FLUSH_MS        1000u
#define DEF_KEEP_INTERVAL_S 300u
#define DEF_KEEP_MAX        20u

static const char usage_text[] =
    "usage: kevmond [OPTIONS] SOURCE\n"
    "\n"
    "Run configd's kernel-event monitor live: read recv() batches from SOURCE,\n"
    "feed them to the hardened core and the simulated store, record them in a\n"
    "flight recorder, and answer queries (kevrr query) on a control socket.\n"
    "Runs in the foreground; logs go to stderr. docs/daemon.md.\n"
    "\n"
    "SOURCE: pf_system[:VENDOR/CLASS/SUBCLASS] (Darwin), unix:/PATH, udp:HOST:PORT, fd:N\n"
    "\n"
    "  --state-dir DIR          ring/, kept/, state.txt and the control socket\n"
    "                           (default " KEVMOND_DEFAULT_STATE_DIR ")\n"
    "  --control PATH           the control socket (default STATE_DIR/" KEVMOND_SOCKET_NAME
    ")\n"
    "  --snapshot FILE|host|none  the kernel's interfaces at start: a snapshot\n"
    "                           file, this host's (getifaddrs), or none (default:\n"
    "                           host on Darwin, none elsewhere)\n"
    "  --store NAME             store backend (default sim; built: sim)\n"
    "  --rcvbuf N               SO_RCVBUF of the source socket\n"
    "  --pidfile FILE           write the pid to FILE, locked while running\n"
    "flight recorder:\n"
    "  --no-record              no flight recorder (no ring, no keeps)\n"
    "  --ring-file-bytes N      rotate a ring file at N bytes (default 8388608)\n"
    "  --ring-files N           ring files kept, 2.. (default 8)\n"
    "  --ring-level N           zlib level 1..9 of the ring (default: the\n"
    "                           recorder's, 1: fastest)\n"
    "  --flush-ms N             flush at least every N ms (default 1000)\n"
    "  --keep-interval S        keep the ring on a finding at most every S seconds\n"
    "                           (default 300)\n"
    "  --keep-max N             kept rings at most, 0..10000 (default 20)\n"
    "  --no-keep-on-finding     keep only on SIGUSR2 or `kevrr query keep`\n"
    "  -q, --quiet              log warnings and errors only\n"
    "  -h, --help               this help\n"
    "  --version                print the version\n"
    "\n"
    "signals: TERM, INT stop cleanly (the recorder's file is closed whole);\n"
    "HUP starts a new ring file; USR1 writes STATE_DIR/state.txt; USR2 keeps\n"
    "the ring. exit status: 0 stopped by a signal; 1 setup failed or the\n"
    "source failed; 2 usage.\n";

/* ---------------------------------------------------------------- options */

typedef struct kevmond_opts {
    const char *source, *state_dir, *control, *snapshot, *store, *pidfile;
    uint64_t rcvbuf, ring_file_bytes, ring_files, ring_level, flush_ms, keep_interval_s,
        keep_max;
    bool no_record, no_keep_on_finding, quiet, help, version;
} kevmond_opts;

typedef enum opt_kind { OPT_FLAG, OPT_STR, OPT_U64 } opt_kind;

/* One option: its kind, where it is stored in kevmond_opts, and for
 * numbers the range it must lie in. */
typedef struct opt_def {
    const char *name;
    opt_kind kind;
    size_t off;
    uint64_t min, max;
} opt_def;

#define O_(f) offsetof(kevmond_opts, f)
static const opt_def opt_defs[] = {
    {"--state-dir", OPT_STR, O_(state_dir), 0, 0},
    {"--control", OPT_STR, O_(control), 0, 0},
    {"--snapshot", OPT_STR, O_(snapshot), 0, 0},
    {"--store", OPT_STR, O_(store), 0, 0},
    {"--pidfile", OPT_STR, O_(pidfile), 0, 0},
    {"--rcvbuf", OPT_U64, O_(rcvbuf), 0, INT_MAX},
    {"--ring-file-bytes", OPT_U64, O_(ring_file_bytes), 4096, 1ull << 40},
    {"--ring-files", OPT_U64, O_(ring_files), 2, KEV_RECORDER_MAX_FILES},
    {"--ring-level", OPT_U64, O_(ring_level), KEV_TRACE_LEVEL_MIN, KEV_TRACE_LEVEL_MAX},
    {"--flush-ms", OPT_U64, O_(flush_ms), 1, 3600000},
    {"--keep-interval", OPT_U64, O_(keep_interval_s), 0, 1ull << 32},
    {"--keep-max", OPT_U64, O_(keep_max), 0, KEVMOND_FLIGHT_MAX_KEPT},
    {"--no-record", OPT_FLAG, O_(no_record), 0, 0},
    {"--no-keep-on-finding", OPT_FLAG, O_(no_keep_on_finding), 0, 0},
    {"--quiet", OPT_FLAG, O_(quiet), 0, 0},
    {"-q", OPT_FLAG, O_(quiet), 0, 0},
    {"--help", OPT_FLAG, O_(help), 0, 0},
    {"-h", OPT_FLAG, O_(help), 0, 0},
    {"--version", OPT_FLAG, O_(version), 0, 0},
};
#undef O_
#define N_OPTS (sizeof opt_defs / sizeof opt_defs[0])

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("kevmond: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("; see kevmond --help\n", stderr);
    va_end(ap);
    return -1;
}

/* Stores one option's value (NULL for a flag). 0 or -1. */
static int opt_store(kevmond_opts *o, const opt_def *d, const char *v)
{
    char *base = (char *)o + d->off;
    if (d->kind == OPT_FLAG) {
        *(bool *)(void *)base = true;
        return 0;
    }
    if (d->kind == OPT_STR) {
        *(const char **)(void *)base = v;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long n = v[0] >= '0' && v[0] <= '9' ? strtoull(v, &end, 10) : 0;
    if (end == NULL || *end != '\0' || errno != 0 || n < d->min || n > d->max)
        return usage_error("%s takes a number from %" PRIu64 " to %" PRIu64 ", not '%s'",
                           d->name, d->min, d->max, v);
    *(uint64_t *)(void *)base = n;
    return 0;
}

/* "--name V", "--name=V", flags; one SOURCE argument. 0 or -1. */
static int parse_args(int argc, char **argv, kevmond_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || strcmp(a, "-") == 0) {
            if (o->source)
                return usage_error("one SOURCE only ('%s' and '%s')", o->source, a);
            o->source = a;
            continue;
        }
        const char *eq = strchr(a, '=');
        size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        const opt_def *d = NULL;
        for (size_t k = 0; k < N_OPTS && d == NULL; k++)
            if (strlen(opt_defs[k].name) == nlen && strncmp(opt_defs[k].name, a, nlen) == 0)
                d = &opt_defs[k];
        if (d == NULL)
            return usage_error("unknown option '%s'", a);
        const char *v = NULL;
        if (d->kind == OPT_FLAG && eq)
            return usage_error("%s takes no value", d->name);
        if (d->kind != OPT_FLAG) {
            v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (v == NULL)
                return usage_error("%s needs a value", d->name);
        }
        if (opt_store(o, d, v) != 0)
            return -1;
    }
    if (!o->help && !o->version && o->source == NULL)
        return usage_error("no SOURCE given");
    return 0;
}

static void opts_defaults(kevmond_opts *o)
{
    memset(o, 0, sizeof *o);
    o->state_dir = KEVMOND_DEFAULT_STATE_DIR;
    o->store = "sim";
    o->ring_file_bytes = DEF_RING_FILE_BYTES;
    o->ring_files = DEF_RING_FILES;
    o->flush_ms = DEF_FLUSH_MS;
    o->keep_interval_s = DEF_KEEP_INTERVAL_S;
    o->keep_max = DEF_KEEP_MAX;
}

/* ------------------------------------------------------------ the daemon */

/* The recent report text, for the `log` query: a ring of bytes. */
typedef struct report_ring {
    char buf[REPORT_RING];
    size_t head; /* where the next byte goes */
    bool wrapped;
} report_ring;

typedef struct kevmond {
    kevmond_opts o;
    char control[MAX_PATH];
    kev_strbuf snapshot;
    kev_host_info host;
    kev_source *src;
    kevmond_flight *flight;
    bool flight_failed_logged;
    kevmond_ctl *ctl;
    kev_world *w;
    const kevmond_backend *backend;
    void *backend_state;
    int sig_r, sig_w, pid_fd;
    uint8_t *buf;
    report_ring *log;
    bool stop;
    int exit_code;
    uint64_t start_real, start_mono;
    /* received: batches, truncated records, transient errors recorded
     * (ENOBUFS), interrupted receives retried (EINTR) */
    uint64_t received, truncated, transient, interrupted;
    /* findings: counted, the first since the last keep attempt pending */
    uint64_t findings, findings_unlogged, finding_logged_at;
    bool finding_logged_any, pending, capped_logged;
    char pending_reason[KEVMOND_FLIGHT_MAX_REASON];
    char pending_detail[KEVMOND_FLIGHT_MAX_DETAIL];
} kevmond;

/* The write end of the self-pipe, for the signal handlers. */
static volatile sig_atomic_t g_sig_fd = -1;

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool g_quiet;

static void logf_(const char *level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void logf_(const char *level, const char *fmt, ...)
{
    if (g_quiet && strcmp(level, "info") == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "kevmond: %s: ", level);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---------------------------------------------------------- report ring */

static void ring_write(void *ctx, const char *p, size_t n)
{
    report_ring *r = ctx;
    if (n >= REPORT_RING) {
        memcpy(r->buf, p + n - REPORT_RING, REPORT_RING);
        r->head = 0;
        r->wrapped = true;
        return;
    }
    size_t first = REPORT_RING - r->head < n ? REPORT_RING - r->head : n;
    memcpy(r->buf + r->head, p, first);
    memcpy(r->buf, p + first, n - first);
    if (r->head + n >= REPORT_RING)
        r->wrapped = true;
    r->head = (r->head + n) % REPORT_RING;
}

/* The ring's text from its first whole line. */
static void ring_text(const report_ring *r, kev_strbuf *out)
{
    size_t start = out->len;
    if (r->wrapped)
        kev_strbuf_add(out, r->buf + r->head, REPORT_RING - r->head);
    kev_strbuf_add(out, r->buf, r->head);
    if (r->wrapped && out->err == 0) {
        const char *nl = memchr(out->p + start, '\n', out->len - start);
        size_t cut = nl ? (size_t)(nl - (out->p + start)) + 1 : out->len - start;
        memmove(out->p + start, out->p + start + cut, out->len - start - cut + 1);
        out->len -= cut;
    }
}

/* ------------------------------------------------------------- findings */

static void on_finding(void *ctx, const kev_finding *f)
{
    kevmond *d = ctx;
    d->findings++;
    if (!d->pending) {
        d->pending = true;
        snprintf(d->pending_reason, sizeof d->pending_reason, "%s-%s",
                 f->kind == KEV_FINDING_DEFECT ? "defect" : "diag", f->code);
        snprintf(d->pending_detail, sizeof d->pending_detail,
                 "%s %s batch %" PRIu64 " event %u offset %u: %s",
                 f->kind == KEV_FINDING_DEFECT ? "defect" : "diag", f->code, f->batch,
                 f->event, f->offset, f->message);
    }
    uint64_t now = clock_ns(CLOCK_MONOTONIC);
    if (d->finding_logged_any && now - d->finding_logged_at < FINDING_LOG_NS) {
        d->findings_unlogged++;
        return;
    }
    d->finding_logged_any = true;
    d->finding_logged_at = now;
    if (d->findings_unlogged)
        logf_("info", "%" PRIu64 " findings not logged in the last second",
              d->findings_unlogged);
    d->findings_unlogged = 0;
    logf_("info", "batch %" PRIu64 " event %u offset %u: %s%s: %s", f->batch, f->event,
          f->offset, f->kind == KEV_FINDING_DEFECT ? "defect " : "diag ", f->code,
          f->message);
}

/* Keeps the ring aside: automatically for a finding, or when asked
 * (SIGUSR2, the keep query). Logs what happened; `msg` gets the kept
 * directory or why not. */
static kevmond_keep_result keep_ring(kevmond *d, bool automatic, const char *reason,
                                     const char *detail, kev_strbuf *msg)
{
    if (d->flight == NULL) {
        kev_strbuf_adds(msg, "the flight recorder is off (--no-record)");
        return KEVMOND_KEEP_FAILED;
    }
    kevmond_keep_result r =
        kevmond_flight_keep(d->flight, clock_ns(CLOCK_REALTIME), clock_ns(CLOCK_MONOTONIC),
                            automatic, reason, detail, msg);
    if (r == KEVMOND_KEPT)
        logf_("info", "ring kept: %s", kev_strbuf_str(msg));
    else if (r == KEVMOND_KEEP_FAILED)
        logf_("error", "keeping the ring failed: %s", kev_strbuf_str(msg));
    else if (r == KEVMOND_KEEP_CAPPED && (!automatic || !d->capped_logged))
        logf_("warning", "ring not kept: %s", kev_strbuf_str(msg));
    if (r == KEVMOND_KEEP_CAPPED && automatic)
        d->capped_logged = true;
    return r;
}

static void keep_pending(kevmond *d)
{
    d->pending = false;
    if (d->o.no_keep_on_finding || d->flight == NULL)
        return;
    kev_strbuf msg = KEV_STRBUF_INIT;
    (void)keep_ring(d, true, d->pending_reason, d->pending_detail, &msg);
    kev_strbuf_free(&msg);
}

/* ------------------------------------------------------------- receiving */

/* A recorder error is sticky: logged once, then monitoring goes on
 * without recording. */
static void recorded(kevmond *d, int rc)
{
    if (rc == 0 || d->flight_failed_logged)
        return;
    const char *why = NULL;
    (void)kevmond_flight_failed(d->flight, &why);
    logf_("error", "flight recorder: %s; monitoring goes on without it",
          why ? why : strerror(rc));
    d->flight_failed_logged = true;
}

/* One batch: recorded, then fed, at the same receive time. */
static bool on_batch(kevmond *d, const kev_recv *r)
{
    uint64_t t = clock_ns(CLOCK_REALTIME);
    d->received++;
    if (r->origlen > r->caplen)
        d->truncated++;
    if (d->flight)
        recorded(d, kevmond_flight_batch(d->flight, t, d->buf, r->caplen, r->origlen));
    /* What kevrr replay feeds for the same record. */
    size_t fed = r->caplen > KEV_MAX_BATCH ? KEV_MAX_BATCH : r->caplen;
    int rc = kev_world_feed(d->w, d->buf, fed, t);
    if (rc != 0)
        logf_("error", "batch %" PRIu64 ": the core failed: %s", d->received - 1,
              kev_strerror(rc));
    if (d->pending)
        keep_pending(d);
    return true;
}

/* A failed recv(), recorded and fed (the hardened core notes it and goes
 * on: D12 fixed). */
static void feed_error(kevmond *d, const kev_recv *r)
{
    uint64_t t = clock_ns(CLOCK_REALTIME);
    const char *name = kev_errno_name(r->err);
    if (d->flight)
        recorded(d, kevmond_flight_error(d->flight, t, r->err, name));
    (void)kev_world_feed_error(d->w, r->err, name, t);
    if (d->pending)
        keep_pending(d);
}

/* EAGAIN: drained; EINTR: retried, not recorded (nothing was lost);
 * ENOBUFS: events were dropped by the kernel: recorded and fed. */
static bool on_transient(kevmond *d, const kev_recv *r)
{
    if (r->err == EAGAIN || r->err == EWOULDBLOCK)
        return false;
    if (r->err == EINTR) {
        d->interrupted++;
        return true;
    }
    d->transient++;
    logf_("warning", "recv: %s; monitoring continues", strerror(r->err));
    feed_error(d, r);
    return true;
}

/* Anything else: the socket is gone. Recorded, then a clean stop. */
static bool on_fatal(kevmond *d, const kev_recv *r)
{
    logf_("error", "recv from %s: %s; stopping", kev_source_spec(d->src), strerror(r->err));
    feed_error(d, r);
    d->stop = true;
    d->exit_code = 1;
    return false;
}

static bool (*const on_recv[])(kevmond *, const kev_recv *) = {
    [KEV_RECV_BATCH] = on_batch,
    [KEV_RECV_TRANSIENT] = on_transient,
    [KEV_RECV_FATAL] = on_fatal,
};

static void drain(kevmond *d)
{
    for (unsigned i = 0; i < DRAIN_MAX && !d->stop; i++) {
        kev_recv r;
        kev_source_recv(d->src, d->buf, KEV_SOURCE_BUFFER, &r);
        if ((unsigned)r.kind >= sizeof on_recv / sizeof on_recv[0] ||
            !on_recv[r.kind](d, &r))
            return;
    }
}

/* ------------------------------------------------------------ state text */

/* The lines of `text` from the one starting with `from` up to (not
 * including) the one starting with `to`. */
static void section(const char *text, const char *from, const char *to, kev_strbuf *out)
{
    size_t fl = strlen(from), tl = strlen(to);
    const char *p = text, *start = NULL;
    while (*p) {
        if (start == NULL && strncmp(p, from, fl) == 0)
            start = p;
        else if (start && strncmp(p, to, tl) == 0)
            break;
        const char *nl = strchr(p, '\n');
        p = nl ? nl + 1 : p + strlen(p);
    }
    if (start)
        kev_strbuf_add(out, start, (size_t)(p - start));
}

/* /proc/self/statm's resident pages, in KiB; 0 where there is none. */
static uint64_t rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, res = 0;
    if (f == NULL)
        return 0;
    int n = fscanf(f, "%llu %llu", &size, &res);
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return n == 2 && page > 0 ? res * (uint64_t)page / 1024u : 0;
}

static void stats_text(kevmond *d, kev_strbuf *out)
{
    const kev_world_stats *s = kev_world_stats_get(d->w);
    uint64_t now_real = clock_ns(CLOCK_REALTIME), now_mono = clock_ns(CLOCK_MONOTONIC);
    kev_strbuf_addf(out,
                    "kevmond %s\npid %ld\nsource %s\nprofile hardened\nstarted %" PRIu64
                    ".%09" PRIu64 "\nuptime_s %" PRIu64 "\nnow %" PRIu64 ".%09" PRIu64 "\n",
                    KEVRR_VERSION_STRING, (long)getpid(), kev_source_spec(d->src),
                    d->start_real / 1000000000u, d->start_real % 1000000000u,
                    (now_mono - d->start_mono) / 1000000000u, now_real / 1000000000u,
                    now_real % 1000000000u);
    kev_strbuf_addf(out,
                    "recv.batches %" PRIu64 "\nrecv.truncated %" PRIu64
                    "\nrecv.transient %" PRIu64 "\nrecv.interrupted %" PRIu64
                    "\nfindings %" PRIu64 "\nqueries %" PRIu64 "\n",
                    d->received, d->truncated, d->transient, d->interrupted, d->findings,
                    kevmond_ctl_requests(d->ctl));
    kev_strbuf_addf(
        out,
        "world.batches %" PRIu64 "\nworld.errors %" PRIu64 "\nworld.events %" PRIu64
        "\nworld.handled %" PRIu64 "\nworld.defects %" PRIu64 "\nworld.diagnostics %" PRIu64
        "\nworld.stopped %" PRIu64 "\nworld.commits %" PRIu64 "\nworld.posts %" PRIu64
        "\nworld.monitoring %s\nworld.keys %zu\nworld.interfaces %zu\n",
        s->batches, s->errors, s->events, s->handled, s->defects, s->diagnostics,
        s->stopped, s->commits, s->posts, s->monitoring ? "yes" : "no",
        kev_store_count(kev_world_store(d->w)),
        kev_kernel_count(kev_world_kernel_const(d->w)));
    d->backend->stats(d->backend_state, out);
    if (d->flight)
        kevmond_flight_stats_text(d->flight, out);
    else
        kev_strbuf_adds(out, "recorder off\n");
    uint64_t rss = rss_kib();
    if (rss)
        kev_strbuf_addf(out, "rss_kib %" PRIu64 "\n", rss);
}

/* --------------------------------------------------------------- queries */

typedef const char *(*query_fn)(kevmond *d, const char *arg, kev_strbuf *body);

static const char *q_state(kevmond *d, const char *arg, kev_strbuf *body)
{
    (void)arg;
    return kev_world_state(d->w, body) == 0 ? NULL : "out of memory";
}

/* store and kernel: one section of the state. */
static const char *q_section(kevmond *d, kev_strbuf *body, const char *from, const char *to)
{
    kev_strbuf all = KEV_STRBUF_INIT;
    const char *err = kev_world_state(d->w, &all) == 0 ? NULL : "out of memory";
    if (err == NULL)
        section(kev_strbuf_str(&all), from, to, body);
    kev_strbuf_free(&all);
    return err;
}

static const char *q_store(kevmond *d, const char *arg, kev_strbuf *body)
{
    (void)arg;
    return q_section(d, body, "store keys=", "kernel interfaces=");
}

static const char *q_kernel(kevmond *d, const char *arg, kev_strbuf *body)
{
    (void)arg;
    return q_section(d, body, "kernel interfaces=", "notifications keys=");
}

/* One key the kernel contradicts (kevrr/drift.h), as a report's drift
 * section lists it but without "since" (kevmond does not track it). */
static void drift_line(void *ctx, const kev_drift_item *it)
{
    kev_strbuf *b = ctx;
    kev_strbuf_addf(b, "  %s: %s (%s)\n    store: ", it->key, it->reason, it->detail);
    if (it->store)
        kev_value_format(it->store, b);
    else
        kev_strbuf_adds(b, "(absent)");
    kev_strbuf_adds(b, "\n    kernel: ");
    if (it->kernel)
        kev_value_format(it->kernel, b);
    else
        kev_strbuf_adds(b, "(nothing)");
    kev_strbuf_addc(b, '\n');
}

static const char *q_drift(kevmond *d, const char *arg, kev_strbuf *body)
{
    (void)arg;
    kev_strbuf lines = KEV_STRBUF_INIT;
    long n = kev_drift_scan(d->w, drift_line, &lines);
    if (n >= 0) {
        kev_strbuf_addf(body, "drift keys=%ld\n", n);
        kev_strbuf_add(body, lines.p ? lines.p : "", lines.len);
    }
    kev_strbuf_free(&lines);
    return n >= 0 ? NULL : "out of memory";
}

static const char *q_stats(kevmond *d, const char *arg, kev_strbuf *body)
{
    (void)arg;
    stats_text(d, body);
    return NULL;
}

static const char *q_log(kevmond *d, const char *arg, kev_strbuf *body)
{
    (void)arg;
    ring_text(d->log, body);
    return NULL;
}

static const char *q_keep(kevmond *d, const char *arg, kev_strbuf *body)
{
    static char why[KEVMOND_CTL_MAX_STATUS];
    kev_strbuf msg = KEV_STRBUF_INIT;
    kevmond_keep_result r =
        keep_ring(d, false, arg[0] ? arg : "query", "asked by a query", &msg);
    if (r == KEVMOND_KEPT)
        kev_strbuf_addf(body, "%s\n", kev_strbuf_str(&msg));
    else
        snprintf(why, sizeof why, "%s", kev_strbuf_str(&msg));
    kev_strbuf_free(&msg);
    return r == KEVMOND_KEPT ? NULL : why;
}

static const char *q_ping(kevmond *d, const char *arg, kev_strbuf *body)
{
    (void)d;
    (void)arg;
    kev_strbuf_adds(body, "pong\n");
    return NULL;
}

static const char *q_help(kevmond *d, const char *arg, kev_strbuf *body);

static const struct query {
    const char *name;
    query_fn fn;
    const char *summary;
} queries[] = {
    {"state", q_state, "the final-state sections of a report, now (final .. end)"},
    {"store", q_store, "the store section: store keys=N and KEY = VALUE lines"},
    {"kernel", q_kernel, "the simulated kernel section: kernel interfaces=N and its lines"},
    {"drift", q_drift, "the store keys the kernel contradicts now (docs/fidelity.md, Drift)"},
    {"stats", q_stats, "daemon, core, store, recorder and keep figures: NAME VALUE lines"},
    {"log", q_log, "the report's most recent lines (at most 64 KiB)"},
    {"keep", q_keep, "keep the flight-recorder ring aside now [REASON]"},
    {"ping", q_ping, "answers pong"},
    {"help", q_help, "this list"},
};
#define N_QUERIES (sizeof queries / sizeof queries[0])

static const char *q_help(kevmond *d, const char *arg, kev_strbuf *body)
{
    (void)d;
    (void)arg;
    for (size_t i = 0; i < N_QUERIES; i++)
        kev_strbuf_addf(body, "%-7s %s\n", queries[i].name, queries[i].summary);
    return NULL;
}

static const char *answer(void *ctx, const char *cmd, const char *arg, kev_strbuf *body)
{
    for (size_t i = 0; i < N_QUERIES; i++)
        if (strcmp(queries[i].name, cmd) == 0)
            return queries[i].fn(ctx, arg, body);
    return "unknown command; try help";
}

/* --------------------------------------------------------------- signals */

static void on_signal(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    if (g_sig_fd >= 0) {
        ssize_t n = write(g_sig_fd, &b, 1);
        (void)n; /* a full pipe already holds a wakeup */
    }
    errno = saved;
}

/* SIGUSR1: the state and the statistics into STATE_DIR/state.txt,
 * written under a temporary name and renamed. */
static void sig_dump(kevmond *d)
{
    char path[MAX_PATH], tmp[MAX_PATH + 8];
    snprintf(path, sizeof path, "%s/state.txt", d->o.state_dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    kev_strbuf text = KEV_STRBUF_INIT;
    int rc = kev_world_state(d->w, &text);
    stats_text(d, &text);
    FILE *f = rc == 0 && text.err == 0 ? fopen(tmp, "w") : NULL;
    bool ok = f != NULL && fwrite(text.p, 1, text.len, f) == text.len;
    if (f != NULL && fclose(f) != 0)
        ok = false;
    if (ok && rename(tmp, path) == 0) {
        logf_("info", "state written to %s (%zu keys, %" PRIu64 " batches)", path,
              kev_store_count(kev_world_store(d->w)), kev_world_stats_get(d->w)->batches);
    } else {
        logf_("error", "cannot write %s: %s", path, strerror(errno));
        (void)unlink(tmp);
    }
    kev_strbuf_free(&text);
}

static void sig_keep(kevmond *d)
{
    kev_strbuf msg = KEV_STRBUF_INIT;
    (void)keep_ring(d, false, "sigusr2", "SIGUSR2", &msg);
    kev_strbuf_free(&msg);
}

static void sig_rotate(kevmond *d)
{
    if (d->flight == NULL)
        return;
    recorded(d, kevmond_flight_rotate(d->flight, clock_ns(CLOCK_REALTIME)));
    logf_("info", "SIGHUP: a new ring file");
}

static void sig_stop(kevmond *d)
{
    d->stop = true;
}

static const struct sig_action {
    int sig;
    void (*fn)(kevmond *d);
} sig_actions[] = {
    {SIGTERM, sig_stop}, {SIGINT, sig_stop},  {SIGHUP, sig_rotate},
    {SIGUSR1, sig_dump}, {SIGUSR2, sig_keep},
};
#define N_SIGS (sizeof sig_actions / sizeof sig_actions[0])

static void handle_signals(kevmond *d)
{
    unsigned char b[64];
    ssize_t n;
    while ((n = read(d->sig_r, b, sizeof b)) > 0)
        for (ssize_t i = 0; i < n; i++)
            for (size_t k = 0; k < N_SIGS; k++)
                if (sig_actions[k].sig == b[i])
                    sig_actions[k].fn(d);
}

static int set_flags(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 ||
                   fcntl(fd, F_SETFD, FD_CLOEXEC) != 0
               ? -1
               : 0;
}

static int install_signals(kevmond *d)
{
    int p[2];
    if (pipe(p) != 0 || set_flags(p[0]) != 0 || set_flags(p[1]) != 0) {
        logf_("error", "self-pipe: %s", strerror(errno));
        return -1;
    }
    d->sig_r = p[0];
    d->sig_w = p[1];
    g_sig_fd = p[1];
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t k = 0; k < N_SIGS; k++)
        if (sigaction(sig_actions[k].sig, &sa, NULL) != 0)
            return -1;
    sa.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &sa, NULL);
}

/* --------------------------------------------------------------- pidfile */

static int pidfile_open(kevmond *d)
{
    const char *path = d->o.pidfile;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        logf_("error", "%s: %s", path, strerror(errno));
        return -1;
    }
    (void)fchmod(fd, 0644); /* a pid is no secret: readable despite the umask */
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd, F_SETLK, &fl) != 0) {
        char old[32] = "";
        ssize_t n = read(fd, old, sizeof old - 1);
        old[n > 0 ? n : 0] = '\0';
        old[strcspn(old, "\n")] = '\0';
        logf_("error", "%s: another kevmond (pid %s) is running", path, old[0] ? old : "?");
        close(fd);
        return -1;
    }
    char text[32];
    int len = snprintf(text, sizeof text, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || write(fd, text, (size_t)len) != len) {
        logf_("error", "%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    d->pid_fd = fd;
    return 0;
}

/* ----------------------------------------------------------------- setup */

/* The state directory, 0700; one an older kevmond left open is closed. */
static int make_state_dir(const char *dir)
{
    struct stat st;
    if (mkdir(dir, 0700) == 0)
        return 0;
    if (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
        if ((st.st_mode & 077) != 0 && chmod(dir, 0700) != 0)
            logf_("warning", "%s: cannot make it 0700: %s", dir, strerror(errno));
        return 0;
    }
    logf_("error", "%s: cannot create the state directory: %s", dir,
          errno == EEXIST ? "a file is in the way" : strerror(errno));
    return -1;
}

/* The kernel's interfaces at start: a file, the host's, or none
 * (kev_snapshot_take: host on Darwin, none elsewhere, unless --snapshot
 * says); the recorder's traces carry it, first line saying where from. */
static int load_snapshot(kevmond *d)
{
    const char *s = d->o.snapshot ? d->o.snapshot : kev_snapshot_default();
    kev_strbuf err = KEV_STRBUF_INIT;
    int rc = kev_snapshot_take(s, &d->snapshot, NULL, &err);
    if (rc == 0)
        rc = kev_world_load_snapshot(d->w, kev_strbuf_str(&d->snapshot), d->snapshot.len, &err);
    if (rc != 0)
        logf_("error", "--snapshot %s", kev_strbuf_str(&err));
    kev_strbuf_free(&err);
    return rc == 0 ? 0 : -1;
}

static void store_op(void *ctx, const kev_store_op *op)
{
    kevmond *d = ctx;
    d->backend->op(d->backend_state, op);
}

static void store_commit(void *ctx, size_t changed)
{
    kevmond *d = ctx;
    d->backend->commit(d->backend_state, changed);
}

static int make_world(kevmond *d)
{
    kev_strbuf err = KEV_STRBUF_INIT;
    d->backend = kevmond_backend_find(d->o.store);
    if (d->backend == NULL) {
        kevmond_backend_names(&err);
        logf_("error", "--store %s: no such backend (built: %s)", d->o.store,
              kev_strbuf_str(&err));
        kev_strbuf_free(&err);
        return -1;
    }
    if (d->backend->open(&d->backend_state, &err) != 0) {
        logf_("error", "store backend %s: %s", d->backend->name, kev_strbuf_str(&err));
        kev_strbuf_free(&err);
        return -1;
    }
    kev_strbuf_free(&err);
    kev_world_opts wo;
    kev_world_opts_init(&wo);
    wo.profile = KEV_PROFILE_HARDENED;
    /* The report goes to a bounded ring (the log query); rendering it is
     * also what counts notifications for the state's summary. */
    wo.sink.write = ring_write;
    wo.sink.ctx = d->log;
    wo.on_finding = on_finding;
    wo.finding_ctx = d;
    wo.store_observer.on_op = store_op;
    wo.store_observer.on_commit = store_commit;
    wo.store_observer.ctx = d;
    d->w = kev_world_new(&wo);
    if (d->w == NULL) {
        logf_("error", "out of memory");
        return -1;
    }
    return 0;
}

static int open_flight(kevmond *d)
{
    static const uint16_t one = 1;
    kev_trace_meta meta;
    memset(&meta, 0, sizeof meta);
    meta.source = kev_source_spec(d->src);
    meta.filter = kev_source_filter(d->src);
    meta.os = d->host.os[0] ? d->host.os : NULL;
    meta.hardware = d->host.hardware[0] ? d->host.hardware : NULL;
    meta.tool = "kevmond " KEVRR_VERSION_STRING;
    meta.comment = "kevmond flight recorder";
    meta.snapshot = d->snapshot.len ? kev_strbuf_str(&d->snapshot) : NULL;
    meta.snapshot_len = d->snapshot.len;
    meta.big_endian = *(const uint8_t *)&one == 0;
    meta.start_ns = d->start_real;
    kevmond_flight_opts fo;
    memset(&fo, 0, sizeof fo);
    fo.state_dir = d->o.state_dir;
    fo.file_bytes = d->o.ring_file_bytes;
    fo.files = (uint32_t)d->o.ring_files;
    fo.flush_ns = d->o.flush_ms * 1000000u;
    fo.level = (int)d->o.ring_level;
    fo.keep_interval_ns = d->o.keep_interval_s * 1000000000u;
    fo.keep_max = (uint32_t)d->o.keep_max;
    fo.meta = &meta;
    kev_strbuf err = KEV_STRBUF_INIT, notes = KEV_STRBUF_INIT;
    int rc = kevmond_flight_open(&fo, d->start_real, &d->flight, &err, &notes);
    if (rc != 0)
        logf_("error", "%s", kev_strbuf_str(&err));
    for (const char *p = kev_strbuf_str(&notes); *p;) {
        size_t n = strcspn(p, "\n");
        logf_("info", "%.*s", (int)n, p);
        p += n + (p[n] == '\n');
    }
    kev_strbuf_free(&err);
    kev_strbuf_free(&notes);
    return rc;
}

static int setup(kevmond *d)
{
    d->start_real = clock_ns(CLOCK_REALTIME);
    d->start_mono = clock_ns(CLOCK_MONOTONIC);
    d->buf = malloc(KEV_SOURCE_BUFFER);
    d->log = calloc(1, sizeof *d->log);
    if (d->buf == NULL || d->log == NULL) {
        logf_("error", "out of memory");
        return -1;
    }
    if (install_signals(d) != 0 || (d->o.pidfile && pidfile_open(d) != 0) ||
        make_state_dir(d->o.state_dir) != 0 || make_world(d) != 0 || load_snapshot(d) != 0)
        return -1;
    int n = d->o.control ? snprintf(d->control, sizeof d->control, "%s", d->o.control)
                         : snprintf(d->control, sizeof d->control, "%s/%s", d->o.state_dir,
                                    KEVMOND_SOCKET_NAME);
    if (n < 0 || (size_t)n >= sizeof d->control) {
        logf_("error", "the control socket's path is too long");
        return -1;
    }
    kev_host_info_get(&d->host);
    kev_source_opts so = {(int)d->o.rcvbuf, true};
    char why[KEV_SOURCE_MAX_ERROR];
    if (kev_source_open(d->o.source, &so, &d->src, why, sizeof why) != 0) {
        logf_("error", "%s", why);
        return -1;
    }
    if (!d->o.no_record && open_flight(d) != 0)
        return -1;
    kev_strbuf err = KEV_STRBUF_INIT;
    int rc = kevmond_ctl_open(d->control, answer, d, &d->ctl, &err);
    if (rc != 0)
        logf_("error", "control socket %s", kev_strbuf_str(&err));
    kev_strbuf_free(&err);
    return rc;
}

static void teardown(kevmond *d)
{
    uint64_t now = clock_ns(CLOCK_REALTIME);
    if (d->flight) {
        int rc = kevmond_flight_close(d->flight, now);
        if (rc != 0 && !d->flight_failed_logged)
            logf_("error", "flight recorder: %s", strerror(rc));
    }
    if (d->ctl)
        logf_("info", "stopped after %" PRIu64 " batches (%" PRIu64 " findings)",
              d->received, d->findings);
    kevmond_ctl_close(d->ctl);
    kev_source_close(d->src);
    kev_world_free(d->w);
    if (d->backend && d->backend_state)
        d->backend->close(d->backend_state);
    if (d->pid_fd >= 0) {
        (void)unlink(d->o.pidfile);
        close(d->pid_fd);
    }
    g_sig_fd = -1;
    if (d->sig_r >= 0) {
        close(d->sig_r);
        close(d->sig_w);
    }
    kev_strbuf_free(&d->snapshot);
    free(d->buf);
    free(d->log);
}

/* ------------------------------------------------------------------ loop */

static void serve(kevmond *d)
{
    struct pollfd fds[2 + KEVMOND_CTL_MAX_FDS];
    int timeout = d->o.flush_ms < POLL_MAX_MS ? (int)d->o.flush_ms : POLL_MAX_MS;
    while (!d->stop) {
        fds[0] = (struct pollfd){.fd = d->sig_r, .events = POLLIN};
        fds[1] = (struct pollfd){.fd = kev_source_fd(d->src), .events = POLLIN};
        size_t nctl = kevmond_ctl_fds(d->ctl, fds + 2);
        int rc = poll(fds, 2 + nctl, timeout);
        if (rc < 0 && errno != EINTR) {
            logf_("error", "poll: %s", strerror(errno));
            d->exit_code = 1;
            break;
        }
        if (rc > 0 && fds[0].revents)
            handle_signals(d);
        if (rc > 0 && fds[1].revents && !d->stop)
            drain(d);
        kevmond_ctl_serve(d->ctl, fds + 2, rc > 0 ? nctl : 0, clock_ns(CLOCK_MONOTONIC));
        if (d->flight)
            recorded(d, kevmond_flight_tick(d->flight, clock_ns(CLOCK_REALTIME)));
    }
}

int main(int argc, char **argv)
{
    static kevmond d;
    d.sig_r = d.sig_w = d.pid_fd = -1;
    opts_defaults(&d.o);
    if (parse_args(argc, argv, &d.o) != 0)
        return 2;
    if (d.o.help) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (d.o.version) {
        printf("kevmond %s\n", KEVRR_VERSION_STRING);
        return 0;
    }
    g_quiet = d.o.quiet;
    /* What kevmond writes is the host's network history: its user's only.
     * Every file it creates is 0600 and every directory 0700 (the ring
     * files come from the recorder's fopen, which takes no mode). */
    umask(077);
    if (setup(&d) != 0) {
        teardown(&d);
        return 1;
    }
    logf_("info", "monitoring %s (pid %ld); control socket %s; flight recorder %s",
          kev_source_spec(d.src), (long)getpid(), d.control, d.flight ? "on" : "off");
    serve(&d);
    teardown(&d);
    return d.exit_code;
}
