/*
 * cmd_capture.c: `kevrr capture`: records the recv() batches of a live
 * source (source.h) into a trace, through the rotating recorder
 * (recorder.h): the tcpdump of kevrr.
 *
 * The loop reads the socket with blocking recv()s, as configd does, woken
 * at least every half flush interval by SO_RCVTIMEO (flushes, rotation by
 * time, the status line, --duration) and by signals, whose handlers only
 * set flags (no SA_RESTART, so recv() returns EINTR): SIGINT and SIGTERM
 * end the capture whole (exit 0), SIGHUP rotates, SIGUSR1 (and SIGINFO)
 * print the statistics. Those EAGAINs and EINTRs are the capture's own
 * doing and are not recorded; every other failed recv() is (ENOBUFS
 * continues, anything else ends the capture). A blocking loop costs one
 * system call per batch, where poll() plus a non-blocking drain costs two
 * whenever the reader keeps up. SIGXFSZ is ignored so that a file size
 * limit gives EFBIG, which ends the capture with the trace readable up to
 * the limit.
 */
#define _DEFAULT_SOURCE /* initgroups */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "hostinfo.h"
#include "recorder.h"
#include "source.h"

static const char capture_usage[] =
    "usage: kevrr capture -i SOURCE -o FILE [OPTIONS]\n"
    "\n"
    "Record the recv() batches of a live source into a trace\n"
    "(docs/trace-format.md, docs/capture.md). SIGINT and SIGTERM end the\n"
    "capture with a whole trace (exit 0); SIGHUP starts the next file;\n"
    "SIGUSR1 (SIGINFO, ^T, where it exists) prints the statistics.\n"
    "\n"
    "sources:\n"
    "  pf_system[:V/C/S]  Darwin's kernel event socket with the SIOCSKEVFILT\n"
    "                     filter vendor/class/subclass (default 1/1/0: Apple,\n"
    "                     network, any subclass); only on Darwin, the default\n"
    "                     there\n"
    "  unix:/path         bind an AF_UNIX datagram socket at path\n"
    "  udp:HOST:PORT      bind a UDP socket (udp:[::1]:PORT for IPv6)\n"
    "  fd:N               an inherited datagram socket\n"
    "\n"
    "options:\n"
    "  -i SOURCE          where the batches come from (see above)\n"
    "  -o FILE            the trace ('-': standard output, no rotation); -w,\n"
    "                     tcpdump's spelling, is the deprecated one here\n"
    "  -C SIZE            rotate once a file holds SIZE bytes (suffix k, M, G:\n"
    "                     powers of 1000; tcpdump's -C 10 is -C 10M here)\n"
    "  -G SECONDS         rotate every SECONDS seconds\n"
    "  -W COUNT           keep only the last COUNT files (a ring)\n"
    "                     With -C, -G, -W or a SIGHUP, file k is FILE with .k\n"
    "                     before its .kev suffix: cap.kev -> cap.0.kev, ...\n"
    "  -c COUNT           stop after COUNT batches\n"
    "  --duration TIME    stop after TIME (10, 10s, 500ms, 2.5s)\n"
    "  --flush-interval TIME\n"
    "                     close a compressed member at least this often, so a\n"
    "                     kill loses at most this much (default 1s)\n"
    "  --fsync            fsync() the file at every flush\n"
    "  --level N          zlib compression level: 1 (fastest, the default: a\n"
    "                     live capture must keep up) to 9 (smallest)\n"
    "  --buffer BYTES     the receive buffer (default and most 65536); a longer\n"
    "                     record is stored cut, with its true length\n"
    "  --rcvbuf BYTES     the socket's SO_RCVBUF\n"
    "  --comment TEXT     a comment for the trace\n"
    "  --snapshot host|none|FILE\n"
    "                     the interfaces replay starts from: this host's\n"
    "                     (getifaddrs), none, or a snapshot file (default: host\n"
    "                     on Darwin, none elsewhere: another host's are not a\n"
    "                     Mac's); the trace says which\n"
    "  -Z USER            when root, drop to USER after opening the source\n"
    "  -q, --quiet        no status line and no summary\n"
    "  -h, --help         this help\n"
    "\n"
    "exit status: 0 done (count, duration, SIGINT or SIGTERM), 2 usage,\n"
    "3 the source cannot be opened or a recv() failed fatally (the failure is\n"
    "recorded), 5 the trace cannot be written (what was written stays\n"
    "readable).\n";

/* Caps: a file of the ring, records drained per wake-up (so signals and
 * flushes are seen under load), the status line's period. */
#define CAPTURE_MAX_BUFFER KEV_SOURCE_BUFFER
#define CAPTURE_DRAIN_MAX 1024u
#define CAPTURE_STATUS_NS 500000000ull
/* The longest a recv() blocks before the loop looks at its timers. */
#define CAPTURE_MAX_SLEEP_MS 1000
/* Cap on the trace comment built from the host name and --comment. */
#define CAPTURE_MAX_COMMENT 4096u

/* Signal flags, set by the handler and read by the loop. */
static volatile sig_atomic_t sig_stop, sig_rotate, sig_stats;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        sig_rotate = 1;
    else if (sig == SIGUSR1
#ifdef SIGINFO
             || sig == SIGINFO
#endif
    )
        sig_stats = 1;
    else
        sig_stop = 1;
}

/* Handlers without SA_RESTART, so poll() returns at once. */
static void signals_install(void)
{
    static const int caught[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1,
#ifdef SIGINFO
                                 SIGINFO,
#endif
    };
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_signal;
    for (size_t i = 0; i < sizeof caught / sizeof caught[0]; i++)
        sigaction(caught[i], &sa, NULL);
    /* A file size limit then fails write() with EFBIG instead of killing
     * us; a closed stdout pipe fails with EPIPE. */
    signal(SIGXFSZ, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
}

static uint64_t now_ns(int clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---------------------------------------------------------------- options */

typedef struct capture_opts {
    const char *source, *file, *comment, *user, *snapshot;
    uint64_t count, duration_ns, buffer, rcvbuf;
    kev_recorder_opts rec;
    bool quiet, fsync;
} capture_opts;

/* A size: digits and an optional k, M or G (powers of 1000). 0 or -1. */
static int parse_size(const char *s, uint64_t *out)
{
    static const struct {
        char suffix;
        uint64_t mul;
    } units[] = {{'k', 1000u}, {'K', 1000u}, {'M', 1000000u}, {'G', 1000000000u}};
    char digits[32];
    size_t n = strlen(s);
    uint64_t mul = 1;
    for (size_t i = 0; n > 0 && i < sizeof units / sizeof units[0]; i++)
        if (s[n - 1] == units[i].suffix) {
            mul = units[i].mul;
            n--;
        }
    if (n == 0 || n >= sizeof digits)
        return -1;
    memcpy(digits, s, n);
    digits[n] = '\0';
    uint64_t v;
    if (kev_cli_parse_u64(digits, &v) != 0 || v > UINT64_MAX / mul)
        return -1;
    *out = v * mul;
    return 0;
}

/* A duration: "10" (seconds), or a number with a unit (ns, us, ms, s), as
 * kev_cli_parse_time's +DURATION. 0 or -1. */
static int parse_duration(const char *s, uint64_t *out)
{
    char buf[64];
    size_t n = strlen(s);
    if (n == 0 || n + 3 > sizeof buf)
        return -1;
    bool unit = s[n - 1] < '0' || s[n - 1] > '9';
    snprintf(buf, sizeof buf, "+%s%s", s, unit ? "" : "s");
    bool relative;
    return kev_cli_parse_time(buf, out, &relative) == 0 && relative ? 0 : -1;
}

/* Reads the option values into `o`; 0 or KEV_EXIT_USAGE (message printed). */
static int capture_values(capture_opts *o, const char *const v[9])
{
    /* v: -C, -G, -W, -c, --duration, --flush-interval, --buffer, --rcvbuf,
     * --level */
    uint64_t files = 0, level = KEV_RECORDER_LEVEL;
    if (v[0] && parse_size(v[0], &o->rec.max_bytes) != 0) {
        kev_cli_error("capture", "-C takes a size (1000000, 500k, 10M), not '%s'", v[0]);
        return KEV_EXIT_USAGE;
    }
    if (kev_cli_opt_u64("capture", "-G", v[1], &o->rec.max_seconds) ||
        kev_cli_opt_u64("capture", "-W", v[2], &files) ||
        kev_cli_opt_u64("capture", "-c", v[3], &o->count) ||
        kev_cli_opt_u64("capture", "--buffer", v[6], &o->buffer) ||
        kev_cli_opt_u64("capture", "--rcvbuf", v[7], &o->rcvbuf) ||
        kev_cli_opt_u64("capture", "--level", v[8], &level))
        return KEV_EXIT_USAGE;
    if (level < KEV_TRACE_LEVEL_MIN || level > KEV_TRACE_LEVEL_MAX) {
        kev_cli_error("capture", "--level: %d (fastest) to %d (smallest)", KEV_TRACE_LEVEL_MIN,
                      KEV_TRACE_LEVEL_MAX);
        return KEV_EXIT_USAGE;
    }
    o->rec.level = (int)level;
    if ((v[4] && parse_duration(v[4], &o->duration_ns) != 0) ||
        (v[5] && (parse_duration(v[5], &o->rec.flush_interval_ns) != 0 ||
                  o->rec.flush_interval_ns == 0))) {
        kev_cli_error("capture", "%s takes a duration (10, 10s, 500ms), not '%s'",
                      v[4] ? "--duration" : "--flush-interval", v[4] ? v[4] : v[5]);
        return KEV_EXIT_USAGE;
    }
    if (files > KEV_RECORDER_MAX_FILES || o->buffer == 0 || o->buffer > CAPTURE_MAX_BUFFER ||
        o->rcvbuf > INT32_MAX) {
        kev_cli_error("capture", "%s",
                      files > KEV_RECORDER_MAX_FILES ? "-W: at most 100000 files"
                      : o->rcvbuf > INT32_MAX       ? "--rcvbuf: too large"
                                                    : "--buffer: 1 to 65536 bytes");
        return KEV_EXIT_USAGE;
    }
    o->rec.max_files = (uint32_t)files;
    return KEV_EXIT_OK;
}

static int capture_parse(int argc, char **argv, capture_opts *o)
{
    const char *v[9] = {NULL};
    const kev_cli_opt opts[] = {
        {"-i", &o->source, NULL, NULL},    {"-o", &o->file, NULL, NULL},
        {"-C", &v[0], NULL, NULL},         {"-G", &v[1], NULL, NULL},
        {"-W", &v[2], NULL, NULL},         {"-c", &v[3], NULL, NULL},
        {"--duration", &v[4], NULL, NULL}, {"--flush-interval", &v[5], NULL, NULL},
        {"--buffer", &v[6], NULL, NULL},   {"--rcvbuf", &v[7], NULL, NULL},
        {"--level", &v[8], NULL, NULL},    {"--comment", &o->comment, NULL, NULL},
        {"-Z", &o->user, NULL, NULL},      {"--fsync", NULL, &o->fsync, NULL},
        {"--snapshot", &o->snapshot, NULL, NULL},
        {"-q", NULL, &o->quiet, NULL},     {"--quiet", NULL, &o->quiet, NULL},
        {"-w", &o->file, NULL, "-o"}, /* tcpdump's spelling, deprecated here */
    };
    int nargs, prc = kev_cli_parse("capture", argc, argv, opts, sizeof opts / sizeof opts[0],
                                   capture_usage, &nargs);
    if (prc != 0)
        return prc > 0 ? 1 : KEV_EXIT_USAGE;
#ifdef __APPLE__
    if (o->source == NULL)
        o->source = "pf_system";
#endif
    if (nargs != 0 || o->source == NULL || o->file == NULL) {
        kev_cli_error("capture", "%s; see kevrr help capture",
                      nargs != 0         ? "unexpected argument"
                      : o->source == NULL ? "no source: -i SOURCE"
                                          : "no output: -o FILE");
        return KEV_EXIT_USAGE;
    }
    o->buffer = CAPTURE_MAX_BUFFER;
    int rc = capture_values(o, v);
    o->rec.path = o->file;
    o->rec.fsync = o->fsync;
    return rc;
}

/* ---------------------------------------------------------------- setup */

/* Drops root to `user` (its uid, gid and groups), as tcpdump -Z does. */
static int drop_privileges(const char *user)
{
    if (geteuid() != 0) {
        kev_cli_error("capture", "-Z %s: not running as root, nothing to drop", user);
        return KEV_EXIT_USAGE;
    }
    errno = 0;
    const struct passwd *pw = getpwnam(user);
    if (pw == NULL) {
        kev_cli_error("capture", "-Z %s: no such user", user);
        return KEV_EXIT_USAGE;
    }
    if (initgroups(user, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
        setuid(pw->pw_uid) != 0) {
        kev_cli_error("capture", "-Z %s: %s", user, strerror(errno));
        return KEV_EXIT_INTERNAL;
    }
    /* Regaining root must be impossible now. */
    if (setuid(0) == 0) {
        kev_cli_error("capture", "-Z %s: root could be regained; stopping", user);
        return KEV_EXIT_INTERNAL;
    }
    return KEV_EXIT_OK;
}

/* The metadata every file of the capture carries. */
typedef struct capture_meta {
    kev_trace_meta meta;
    kev_host_info host;
    kev_strbuf snapshot, comment;
    char tool[64];
} capture_meta;

/* The metadata, the snapshot taken as --snapshot says. 0, or the exit
 * code after a message (a snapshot file that cannot be read or loaded). */
static int meta_build(capture_meta *m, const capture_opts *o, const kev_source *src)
{
    size_t skipped = 0;
    const uint16_t one = 1;
    memset(m, 0, sizeof *m);
    kev_host_info_get(&m->host);
    kev_strbuf_init(&m->snapshot);
    kev_strbuf_init(&m->comment);
    kev_strbuf err = KEV_STRBUF_INIT;
    int rc = kev_snapshot_take(o->snapshot, &m->snapshot, &skipped, &err);
    bool host = o->snapshot ? strcmp(o->snapshot, "host") == 0
                            : strcmp(kev_snapshot_default(), "host") == 0;
    if (rc != 0 && !host) {
        kev_cli_error("capture", "--snapshot %s", kev_strbuf_str(&err));
        kev_strbuf_free(&err);
        return KEV_EXIT_INPUT;
    }
    kev_strbuf_free(&err);
    if (rc != 0)
        fprintf(stderr, "kevrr capture: no interface snapshot: getifaddrs() failed\n");
    else if (skipped > 0)
        fprintf(stderr,
                "kevrr capture: %zu interface entries left out of the snapshot (over the "
                "caps or names over 15 bytes)\n",
                skipped);
    if (m->host.hostname[0])
        kev_strbuf_addf(&m->comment, "host %s", m->host.hostname);
    if (o->comment != NULL)
        kev_strbuf_addf(&m->comment, "%s%.*s", m->comment.len ? "; " : "",
                        (int)CAPTURE_MAX_COMMENT, o->comment);
    snprintf(m->tool, sizeof m->tool, "kevrr %s", KEVRR_VERSION_STRING);
    m->meta.source = kev_source_spec(src);
    m->meta.filter = kev_source_filter(src);
    m->meta.os = m->host.os[0] ? m->host.os : NULL;
    m->meta.hardware = m->host.hardware[0] ? m->host.hardware : NULL;
    m->meta.tool = m->tool;
    m->meta.comment = m->comment.len ? kev_strbuf_str(&m->comment) : NULL;
    m->meta.snapshot = m->snapshot.len ? kev_strbuf_str(&m->snapshot) : NULL;
    m->meta.snapshot_len = m->snapshot.len;
    m->meta.big_endian = *(const uint8_t *)&one == 0;
    return KEV_EXIT_OK;
}

static void meta_free(capture_meta *m)
{
    kev_strbuf_free(&m->snapshot);
    kev_strbuf_free(&m->comment);
}

/* ---------------------------------------------------------------- the loop */

typedef struct capture_run {
    const capture_opts *o;
    kev_source *src;
    kev_recorder *rec;
    uint8_t *buf;
    uint64_t start_mono, next_status, last_batches, last_status_mono;
    bool status_line; /* a terminal, not --quiet */
    int exit_code;
    bool done;
    const char *why_fatal; /* set when a recv() failed fatally */
    int fatal_err;
} capture_run;

/* Prints the statistics (SIGUSR1, and the summary). */
static void print_stats(const capture_run *c, const char *prefix)
{
    kev_recorder_stats s;
    kev_recorder_stats_get(c->rec, &s);
    double secs = (double)(now_ns(CLOCK_MONOTONIC) - c->start_mono) / 1e9;
    fprintf(stderr,
            "kevrr capture: %s%" PRIu64 " batches, %" PRIu64 " failed recv(), %" PRIu64
            " bytes (%" PRIu64 " in files), %" PRIu64 " file%s, %.1f s, %.0f batches/s; "
            "now %s\n",
            prefix, s.batches, s.errors, s.raw_bytes, s.file_bytes, s.files,
            s.files == 1 ? "" : "s", secs, secs > 0 ? (double)s.batches / secs : 0.0,
            kev_recorder_current(c->rec));
}

/* The live status line on a terminal: batches, bytes, rate, errors, file. */
static void status_update(capture_run *c, uint64_t mono)
{
    if (!c->status_line || mono < c->next_status)
        return;
    kev_recorder_stats s;
    kev_recorder_stats_get(c->rec, &s);
    double dt = (double)(mono - c->last_status_mono) / 1e9;
    double rate = dt > 0 ? (double)(s.batches - c->last_batches) / dt : 0.0;
    fprintf(stderr, "\r%" PRIu64 " batches  %.1f MB  %.0f/s  %" PRIu64 " errors  %s\033[K",
            s.batches, (double)s.raw_bytes / 1e6, rate, s.errors, kev_recorder_current(c->rec));
    fflush(stderr);
    c->last_batches = s.batches;
    c->last_status_mono = mono;
    c->next_status = mono + CAPTURE_STATUS_NS;
}

/* The recorder failed: the message, exit 5, stop. */
static void write_failed(capture_run *c)
{
    const char *msg;
    kev_recorder_failed(c->rec, &msg);
    if (c->status_line)
        fputc('\n', stderr);
    kev_cli_error("capture", "%s; the trace is readable up to there", msg ? msg : "write error");
    c->exit_code = KEV_EXIT_INTERNAL;
    c->done = true;
}

/* One failed recv(): recorded; a fatal one ends the capture. */
static void record_failure(capture_run *c, const kev_recv *r)
{
    if (kev_recorder_error(c->rec, now_ns(CLOCK_REALTIME), r->err, kev_errno_name(r->err)))
        write_failed(c);
    if (r->kind == KEV_RECV_FATAL && !c->done) {
        c->fatal_err = r->err;
        c->exit_code = KEV_EXIT_INPUT;
        c->done = true;
    }
}

/* Receives until a wake-up is due (at most CAPTURE_DRAIN_MAX records, so
 * signals and timers are seen under load). */
static void drain(capture_run *c)
{
    kev_recv r;
    kev_recorder_stats s;
    for (unsigned i = 0; i < CAPTURE_DRAIN_MAX && !c->done; i++) {
        kev_source_recv(c->src, c->buf, (size_t)c->o->buffer, &r);
        if (r.kind == KEV_RECV_BATCH) {
            if (kev_recorder_batch(c->rec, now_ns(CLOCK_REALTIME), c->buf, r.caplen,
                                   r.origlen) != 0) {
                write_failed(c);
                return;
            }
            kev_recorder_stats_get(c->rec, &s);
            if (c->o->count && s.batches >= c->o->count)
                c->done = true;
            continue;
        }
        /* SO_RCVTIMEO expired or one of our signals arrived: a wake-up. */
        if (r.err == EAGAIN || r.err == EWOULDBLOCK || r.err == EINTR)
            return;
        record_failure(c, &r);
    }
}

/* Handles the signal flags between wake-ups. */
static void handle_signals(capture_run *c)
{
    if (sig_stats) {
        sig_stats = 0;
        print_stats(c, "");
    }
    if (sig_rotate) {
        sig_rotate = 0;
        int rc = kev_recorder_rotate(c->rec, now_ns(CLOCK_REALTIME));
        if (rc == EINVAL)
            kev_cli_error("capture", "SIGHUP: standard output cannot be rotated");
        else if (rc != 0)
            write_failed(c);
    }
    if (sig_stop)
        c->done = true;
}

/* Wakes a blocked recv() at least every half flush interval (at most
 * CAPTURE_MAX_SLEEP_MS), so flushes and timers are never late by more. */
static int set_wakeup(capture_run *c)
{
    uint64_t ms = c->o->rec.flush_interval_ns / 2000000u;
    ms = ms < 1 ? 1 : ms > CAPTURE_MAX_SLEEP_MS ? CAPTURE_MAX_SLEEP_MS : ms;
    struct timeval tv = {(time_t)(ms / 1000u), (suseconds_t)(ms % 1000u * 1000u)};
    if (setsockopt(kev_source_fd(c->src), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) {
        kev_cli_error("capture", "%s: setsockopt SO_RCVTIMEO: %s", kev_source_spec(c->src),
                      strerror(errno));
        return -1;
    }
    return 0;
}

static void capture_loop(capture_run *c)
{
    if (set_wakeup(c) != 0) {
        c->exit_code = KEV_EXIT_INTERNAL;
        return;
    }
    while (!c->done) {
        handle_signals(c);
        uint64_t mono = now_ns(CLOCK_MONOTONIC);
        if (c->done || (c->o->duration_ns && mono - c->start_mono >= c->o->duration_ns))
            break;
        if (kev_recorder_tick(c->rec, now_ns(CLOCK_REALTIME)) != 0) {
            write_failed(c);
            break;
        }
        status_update(c, mono);
        drain(c);
    }
}

/* Ends the capture: closes the trace whole, says why it stopped. */
static int capture_finish(capture_run *c)
{
    if (c->status_line)
        fputs("\r\033[K", stderr);
    if (!c->o->quiet)
        print_stats(c, "");
    int wrc = kev_recorder_failed(c->rec, NULL);
    int rc = kev_recorder_close(c->rec, now_ns(CLOCK_REALTIME));
    if (rc != 0 && wrc == 0) {
        kev_cli_error("capture", "closing the trace: %s", strerror(rc));
        c->exit_code = KEV_EXIT_INTERNAL;
    }
    if (c->fatal_err)
        kev_cli_error("capture", "%s: recv: %s; the capture stopped (the failure is recorded)",
                      kev_source_spec(c->src), strerror(c->fatal_err));
    return c->exit_code;
}

static int capture_start(const capture_opts *o, capture_run *c, capture_meta *m)
{
    char err[KEV_SOURCE_MAX_ERROR];
    kev_source_opts so = {(int)o->rcvbuf, false};
    if (kev_source_open(o->source, &so, &c->src, err, sizeof err) != 0) {
        kev_cli_error("capture", "%s", err);
        return KEV_EXIT_INPUT;
    }
    if (o->user != NULL) {
        int rc = drop_privileges(o->user);
        if (rc != KEV_EXIT_OK)
            return rc;
    }
    int mrc = meta_build(m, o, c->src);
    if (mrc != KEV_EXIT_OK)
        return mrc;
    kev_recorder_opts ro = o->rec;
    ro.meta = &m->meta;
    char rerr[KEV_RECORDER_MAX_PATH + 256];
    if (kev_recorder_open(&ro, now_ns(CLOCK_REALTIME), &c->rec, rerr, sizeof rerr) != 0) {
        kev_cli_error("capture", "%s", rerr);
        return KEV_EXIT_INTERNAL;
    }
    if ((c->buf = malloc((size_t)o->buffer)) == NULL) {
        kev_cli_error("capture", "out of memory");
        return KEV_EXIT_INTERNAL;
    }
    return KEV_EXIT_OK;
}

static int capture_cmd(int argc, char **argv)
{
    capture_opts o;
    memset(&o, 0, sizeof o);
    int rc = capture_parse(argc, argv, &o);
    if (rc != KEV_EXIT_OK)
        return rc == 1 ? KEV_EXIT_OK : rc;
    signals_install();
    capture_run c;
    capture_meta m;
    memset(&c, 0, sizeof c);
    memset(&m, 0, sizeof m);
    c.o = &o;
    rc = capture_start(&o, &c, &m);
    if (rc == KEV_EXIT_OK) {
        c.start_mono = c.last_status_mono = now_ns(CLOCK_MONOTONIC);
        c.status_line = !o.quiet && isatty(STDERR_FILENO);
        capture_loop(&c);
        rc = capture_finish(&c);
    } else {
        kev_recorder_close(c.rec, now_ns(CLOCK_REALTIME));
    }
    free(c.buf);
    kev_source_close(c.src);
    meta_free(&m);
    return rc;
}

const kev_cmd kev_cmd_capture = {"capture", capture_cmd,
                                 "record a live source's batches into a trace", capture_usage};
