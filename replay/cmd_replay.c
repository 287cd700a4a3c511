/*
 * cmd_replay.c: `kevrr replay`: feeds trace files into the core with the
 * simulated world, one fresh world per trace with the trace's interface
 * snapshot loaded first, and prints the report; or compares the report
 * with a golden report (the regression corpus) and says where they part,
 * with a unified diff; or rewrites the golden. It is what CI runs on every
 * change and what a developer runs on a field trace.
 *
 * Everything streams: the trace is read one record at a time, the world
 * hands its report over batch by batch, and each report line goes at once
 * to the report file (text or JSON lines), to the golden being rewritten
 * and to the golden comparison (golden.h), which keeps only what a diff
 * needs. Memory does not grow with a trace's length.
 *
 * The lines pass through one place (on_line), which also leaves out what
 * precedes --from (the batches before it are still fed, so the state at
 * --from is right), notes a truncated capture, and adds --step's "state
 * after" listings.
 */
#define _POSIX_C_SOURCE 200809L /* isatty, fileno, mkdir, stat */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "golden.h"
#include "replay.h"

static const char replay_usage[] =
    "usage: kevrr replay [OPTIONS] TRACE...\n"
    "\n"
    "Feed each TRACE ('-' reads stdin) into the event-processing core with the\n"
    "simulated kernel and store, the trace's interface snapshot loaded first,\n"
    "and print the report (docs/report-format.md); or compare the report with\n"
    "a golden report (--expect, --expect-dir), or rewrite the golden (--update).\n"
    "\n"
    "core:\n"
    "  --profile P|LIST|all  the core's profile: @PROFILES@\n"
    "                     (default: hardened); several, comma-separated, or\n"
    "                     all: each trace is replayed under each, in turn\n"
    "  --ilp32            emulate 32-bit (i386) arithmetic and layouts\n"
    "  --recv-buffer N    receive buffer, 24..65536 (default: 65536 for hardened,\n"
    "                     1024 for @FAITHFUL@); a longer record is cut to it\n"
    "  --verbose          configd's verbose mode (logEvent on size failures)\n"
    "  --salvage          read on past damage in the trace\n"
    "range (X: a batch index from 0; a time, Unix seconds with a '.', such as\n"
    "1700000000.5; or +DURATION after the first batch: +1.5s, +250ms):\n"
    "  --from X           report from batch X (or the first batch at or after\n"
    "                     a time); the batches before it are fed, not reported\n"
    "  --to X             stop before batch X (or the first at or after a time);\n"
    "                     --until is its deprecated spelling\n"
    "  --step             after each batch, list the store (\"state after\")\n"
    "  --drift            end with the keys whose value the kernel contradicts\n"
    "                     (\"drift\", docs/fidelity.md) and where each parted\n"
    "  --drift-each       --drift, and after each batch the keys that start or\n"
    "                     stop drifting\n"
    "output:\n"
    "  -o FILE            write the reports to FILE ('-': stdout; the default\n"
    "                     without --expect, --expect-dir and --update);\n"
    "                     --report is its deprecated spelling\n"
    "  --format F         text (default) or json: one object per report line\n"
    "  --expect GOLDEN    compare the report with GOLDEN (one TRACE, one profile)\n"
    "  --expect-dir DIR   compare each TRACE with DIR/NAME.PROFILE.report (NAME:\n"
    "                     TRACE's file name without .kev, .pcapng, .pcap, .gz,\n"
    "                     .bgz or .scn: cap.0.kev -> DIR/cap.0.v963.report)\n"
    "  --update           write the golden(s) instead of comparing\n"
    "  --junit FILE       write a JUnit XML file: one test suite per profile,\n"
    "                     one test case per trace\n"
    "  --fail-on-defect   exit 4 when a defect is reported\n"
    "  -q, --quiet        no progress bar, no \"matches\" or \"updated\" lines\n"
    "  -h, --help         this help\n"
    "\n"
    "exit status (several traces: the worst, in the order 5, 3, 1, 4, 0):\n"
    "0 done, every report as expected; 1 a report differs from its golden;\n"
    "2 usage; 3 a trace or golden is missing, unreadable or damaged, or a\n"
    "snapshot does not load; 4 a defect was reported (--fail-on-defect);\n"
    "5 out of memory, or an output could not be written.\n";

/* The command being run (replay, or run with its scenario source): set
 * once by kev_replay_main. */
static struct {
    const char *name, *usage;
    const kev_replay_src *src;
} rcmd = {"replay", replay_usage, NULL};

/* Progress: redrawn every this many records (not by the clock, so that
 * replay does no system call per record). */
#define PROGRESS_EVERY 4096u
#define PROGRESS_WIDTH 30
/* A JUnit failure quotes at most this much of the diff. */
#define JUNIT_MAX_TEXT ((size_t)1 << 20)
/* A --fail-on-defect failure names this many defects, then "...". */
#define DEFECTS_NAMED 8u

typedef struct replay_opts {
    kev_world_opts world;
    kev_profile profiles[KEV_PROFILE__COUNT]; /* --profile LIST|all, in order */
    size_t n_profiles;
    bool salvage, step, json, update, fail_on_defect, quiet;
    kev_cli_range range; /* --from, --to */
    const char *report, *expect, *expect_dir, *junit;
} replay_opts;

/* What lasts across the traces of one command. */
typedef struct replay {
    replay_opts o;
    FILE *rf;      /* the report's file (or stdout), or NULL: not written */
    bool progress; /* stderr is a terminal the bar may use */
    /* JUnit: one test suite per profile, in the order replayed. */
    struct {
        kev_strbuf cases;
        unsigned tests, failures, errors;
    } suite[KEV_PROFILE__COUNT];
    unsigned tests, failures, errors;
    bool write_failed; /* the report could not be written: said once */
} replay;

/* The report's file, for messages. */
static const char *report_name(const replay *rp)
{
    return rp->o.report && strcmp(rp->o.report, "-") != 0 ? rp->o.report
                                                          : "standard output";
}

/* One trace being replayed. */
typedef struct trace_run {
    replay *rp;
    const char *path;
    char *golden;
    kev_trace_reader *r;
    kev_world *w;
    kev_golden *g;   /* the comparison, or NULL */
    kev_cli_out upd; /* the golden being rewritten (upd.f NULL if not) */
    kev_strbuf partial, json, step;
    kev_rctx ctx;
    uint64_t lines; /* report lines written */
    bool drop;      /* the record being fed lies before --from */
    bool from_reached, have_first, oom;
    uint64_t first_t, next_index, records;
    bool note; /* the record being fed is a truncated capture */
    uint32_t caplen, origlen, fed;
    uint64_t file_size;
    bool bar;                /* the progress bar is drawn */
    int code;                /* exit code so far */
    kev_strbuf msg, verdict; /* for JUnit: the error, the divergence */
    kev_strbuf defects;      /* the first DEFECTS_NAMED defects, named */
    uint64_t n_defects;
} trace_run;

/* ---------------------------------------------------------------- helpers */

/* The worse of two exit codes: internal, input, diverged, defect, ok. */
static int worse(int a, int b)
{
    static const int rank[] = {
        [KEV_EXIT_OK] = 0,    [KEV_EXIT_DEFECT] = 1,   [KEV_EXIT_DIVERGED] = 2,
        [KEV_EXIT_INPUT] = 3, [KEV_EXIT_INTERNAL] = 4, [KEV_EXIT_USAGE] = 5};
    return rank[b] > rank[a] ? b : a;
}

/* Prints "kevrr replay: ..." on stderr, keeps it for JUnit, and makes
 * `code` the trace's exit code if it is worse. */
static void trace_error(trace_run *t, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void trace_error(trace_run *t, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kev_strbuf_clear(&t->msg);
    kev_strbuf_vaddf(&t->msg, fmt, ap);
    va_end(ap);
    kev_cli_error(rcmd.name, "%s", kev_strbuf_str(&t->msg));
    t->code = worse(t->code, code);
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    return d ? memcpy(d, s, n) : NULL;
}

/* TRACE's last path component without its trace extensions, which are
 * taken off the end one by one (.kev, .pcapng, .pcap, .gz, .bgz, .scn): every
 * other part stays, so that the names that tell traces apart keep doing so
 * (capture's cap.0.kev and cap.1.kev: cap.0, cap.1; field.kev.gz: field).
 * "stdin" for "-". */
static void trace_name(const char *path, kev_strbuf *out)
{
    static const char *const exts[] = {".kev", ".pcapng", ".pcap", ".gz", ".bgz", ".scn"};
    const char *slash = strrchr(path, '/');
    const char *b = slash ? slash + 1 : path;
    if (strcmp(path, "-") == 0)
        b = "stdin";
    size_t n = strlen(b);
    for (bool cut = true; cut;) {
        cut = false;
        for (size_t i = 0; i < sizeof exts / sizeof exts[0] && !cut; i++) {
            size_t k = strlen(exts[i]);
            if (n > k && memcmp(b + n - k, exts[i], k) == 0) {
                n -= k;
                cut = true;
            }
        }
    }
    kev_strbuf_add(out, b, n);
}

/* The golden of TRACE: --expect, or DIR/NAME.PROFILE.report; NULL when
 * neither is given or out of memory (*oom). */
static char *golden_path(const replay_opts *o, const char *trace, bool *oom)
{
    *oom = false;
    if (o->expect) {
        char *p = dup_str(o->expect);
        *oom = p == NULL;
        return p;
    }
    if (o->expect_dir == NULL)
        return NULL;
    kev_strbuf sb = KEV_STRBUF_INIT;
    kev_strbuf_adds(&sb, o->expect_dir);
    if (sb.len && sb.p[sb.len - 1] != '/')
        kev_strbuf_addc(&sb, '/');
    trace_name(trace, &sb);
    kev_strbuf_addf(&sb, ".%s.report", kev_profile_name(o->world.profile));
    char *p = sb.err ? NULL : dup_str(kev_strbuf_str(&sb));
    *oom = p == NULL;
    kev_strbuf_free(&sb);
    return p;
}

/* ---------------------------------------------------------------- options */

/* Two traces whose goldens in --expect-dir would be the same file. */
static int check_names(const replay_opts *o, int nargs, char **args)
{
    int rc = 0;
    kev_strbuf a = KEV_STRBUF_INIT, b = KEV_STRBUF_INIT;
    for (int i = 0; i < nargs && rc == 0; i++) {
        kev_strbuf_clear(&a);
        trace_name(args[i], &a);
        for (int j = i + 1; j < nargs && rc == 0; j++) {
            kev_strbuf_clear(&b);
            trace_name(args[j], &b);
            if (strcmp(kev_strbuf_str(&a), kev_strbuf_str(&b)) == 0) {
                kev_cli_error(rcmd.name, "%s and %s would share the golden %s/%s.%s.report",
                              args[i], args[j], o->expect_dir, kev_strbuf_str(&a),
                              kev_profile_name(o->profiles[0]));
                rc = -1;
            }
        }
    }
    kev_strbuf_free(&a);
    kev_strbuf_free(&b);
    return rc;
}

/* With --expect-dir, neither -o nor --junit may be a golden read: each
 * trace's, under each profile. 0 or -1 (after a message). */
static int check_dir_goldens(const replay_opts *o, int nargs, char **args)
{
    if (o->expect_dir == NULL || o->update || (o->report == NULL && o->junit == NULL))
        return 0;
    replay_opts po = *o;
    int rc = 0;
    for (int i = 0; i < nargs && rc == 0; i++) {
        for (size_t k = 0; k < o->n_profiles && rc == 0; k++) {
            bool oom;
            po.world.profile = o->profiles[k];
            char *g = golden_path(&po, args[i], &oom);
            if (g == NULL) {
                kev_cli_error(rcmd.name, "out of memory");
                return -1;
            }
            if (kev_cli_out_not_input(rcmd.name, o->report, &g, 1) != 0 ||
                kev_cli_out_not_input(rcmd.name, o->junit, &g, 1) != 0)
                rc = -1;
            free(g);
        }
    }
    return rc;
}

/* The combinations of options that make sense. 0 or -1. */
static int check_args(const replay_opts *o, int nargs, char **args)
{
    const char *why = NULL;
    bool golden = o->expect || o->expect_dir;
    const char *noun = rcmd.src ? rcmd.src->noun : "trace";
    char none[64];
    snprintf(none, sizeof none, "no %s given", noun);
    if (nargs < 1)
        why = none;
    else if (rcmd.src && rcmd.src->single && nargs > 1)
        why = "give exactly one";
    else if (rcmd.src && o->salvage)
        why = "--salvage reads damaged traces, not scenarios";
    else if (o->expect && o->expect_dir)
        why = "give --expect or --expect-dir, not both";
    else if (o->update && !golden)
        why = "--update needs --expect GOLDEN or --expect-dir DIR";
    else if (o->expect && nargs > 1)
        why = "--expect compares one trace; use --expect-dir DIR for several";
    else if (o->expect && o->n_profiles > 1)
        why = "--expect is one golden, for one profile; use --expect-dir DIR for several";
    else if (golden && o->report && strcmp(o->report, "-") == 0)
        why = "with --expect, --expect-dir or --update, standard output carries the "
              "verdicts: give -o a file";
    else if ((o->junit && strcmp(o->junit, "-") == 0) ||
             (o->expect && strcmp(o->expect, "-") == 0))
        why = "--junit and --expect need a file name, not '-'";
    if (why) {
        kev_cli_error(rcmd.name, "%s; see kevrr help %s", why, rcmd.name);
        return -1;
    }
    /* No output may be one of the traces (or the golden read): refused
     * before anything is opened for writing. */
    if (kev_cli_out_not_input(rcmd.name, o->report, args, (size_t)nargs) != 0 ||
        kev_cli_out_not_input(rcmd.name, o->junit, args, (size_t)nargs) != 0 ||
        (o->update &&
         kev_cli_out_not_input(rcmd.name, o->expect, args, (size_t)nargs) != 0))
        return -1;
    if (o->expect && !o->update &&
        (kev_cli_out_not_input(rcmd.name, o->report, (char *const *)&o->expect, 1) != 0 ||
         kev_cli_out_not_input(rcmd.name, o->junit, (char *const *)&o->expect, 1) != 0))
        return -1;
    if (check_dir_goldens(o, nargs, args) != 0)
        return -1;
    return o->expect_dir ? check_names(o, nargs, args) : 0;
}

/* The option values that need checking. 0 or -1. */
static int parse_values(replay_opts *o, const char *profile, const char *recv,
                        const char *format, const char *from, const char *to)
{
    uint64_t rb = 0;
    o->profiles[0] = o->world.profile;
    o->n_profiles = 1;
    if (profile &&
        kev_cli_profiles_parse(rcmd.name, profile, o->profiles, &o->n_profiles) != 0)
        return -1;
    o->world.profile = o->profiles[0];
    if (recv && (kev_cli_parse_u64(recv, &rb) != 0 || rb < KEV_MSG_HEADER_SIZE ||
                 rb > KEV_MAX_BATCH)) {
        kev_cli_error(rcmd.name, "--recv-buffer '%s' is not in 24..65536", recv);
        return -1;
    }
    o->world.recv_buffer = (uint32_t)rb;
    if (kev_cli_format_parse(rcmd.name, format, &o->json) != 0)
        return -1;
    return kev_cli_range_parse(rcmd.name, from, to, &o->range);
}

/* Parses argv into o; the traces end up in argv[1..1 + *nargs). Returns 0,
 * 1 after --help, -1 after a message. */
static int parse_args(replay_opts *o, int argc, char **argv, int *nargs)
{
    const char *profile = NULL, *recv = NULL, *format = NULL, *from = NULL, *to = NULL;
    const kev_cli_opt opts[] = {{"--profile", &profile, NULL, NULL},
                                {"--ilp32", NULL, &o->world.ilp32, NULL},
                                {"--recv-buffer", &recv, NULL, NULL},
                                {"--verbose", NULL, &o->world.verbose, NULL},
                                {"--salvage", NULL, &o->salvage, NULL},
                                {"--from", &from, NULL, NULL},
                                {"--to", &to, NULL, NULL},
                                {"--until", &to, NULL, "--to"},
                                {"--step", NULL, &o->step, NULL},
                                {"--drift", NULL, &o->world.drift, NULL},
                                {"--drift-each", NULL, &o->world.drift_each, NULL},
                                {"-o", &o->report, NULL, NULL},
                                {"--report", &o->report, NULL, "-o"},
                                {"--format", &format, NULL, NULL},
                                {"--expect", &o->expect, NULL, NULL},
                                {"--expect-dir", &o->expect_dir, NULL, NULL},
                                {"--update", NULL, &o->update, NULL},
                                {"--junit", &o->junit, NULL, NULL},
                                {"--fail-on-defect", NULL, &o->fail_on_defect, NULL},
                                {"--quiet", NULL, &o->quiet, NULL},
                                {"-q", NULL, &o->quiet, NULL}};
    int rc = kev_cli_parse(rcmd.name, argc, argv, opts, sizeof opts / sizeof opts[0],
                           rcmd.usage, nargs);
    if (rc != 0)
        return rc;
    if (parse_values(o, profile, recv, format, from, to) != 0)
        return -1;
    o->world.drift = o->world.drift || o->world.drift_each;
    return check_args(o, *nargs, argv + 1);
}

/* ----------------------------------------------------------- report lines */

/* One report line as a JSON object (docs/report-format.md, JSON lines). */
static void put_json(trace_run *t, const char *p, size_t n, const kev_rline *l)
{
    kev_strbuf *b = &t->json;
    kev_strbuf_clear(b);
    kev_strbuf_adds(b, "{\"trace\":");
    kev_cli_escape(b, t->path, strlen(t->path), true);
    kev_strbuf_addf(b, ",\"line\":%" PRIu64 ",\"batch\":", t->lines);
    if (t->ctx.has_batch)
        kev_strbuf_addf(b, "%" PRIu64, t->ctx.batch);
    else
        kev_strbuf_adds(b, "null");
    kev_strbuf_addf(b, ",\"kind\":\"%s\",\"key\":", l->kind);
    kev_cli_escape(b, l->key, l->key_len, true);
    kev_strbuf_adds(b, ",\"text\":");
    kev_cli_escape(b, p, n, true);
    kev_strbuf_adds(b, "}\n");
    if (b->err)
        t->oom = true;
    else
        (void)kev_cli_fwrite(t->rp->rf, b->p, b->len);
}

/* A line goes to the report, the golden being rewritten and the
 * comparison. */
static void emit(trace_run *t, const char *p, size_t n, const kev_rline *l)
{
    t->lines++;
    FILE *rf = t->rp->rf;
    if (rf && t->rp->o.json) {
        put_json(t, p, n, l);
    } else if (rf) {
        (void)kev_cli_fwrite(rf, p, n);
        (void)kev_cli_fwrite(rf, "\n", 1);
    }
    if (t->upd.f) {
        (void)kev_cli_fwrite(t->upd.f, p, n);
        (void)kev_cli_fwrite(t->upd.f, "\n", 1);
    }
    if (t->g)
        kev_golden_line(t->g, p, n);
}

static void on_line(trace_run *t, const char *p, size_t n);

/* "  capture truncated ...": the batch just opened is a truncated capture. */
static void emit_note(trace_run *t)
{
    char line[96];
    int k =
        snprintf(line, sizeof line,
                 "  capture truncated caplen=%" PRIu32 " origlen=%" PRIu32 " fed=%" PRIu32,
                 t->caplen, t->origlen, t->fed);
    t->note = false;
    on_line(t, line, (size_t)k);
}

/* Every report line passes here: it is classified (section, batch, kind,
 * key), left out when it belongs to a record before --from (the header
 * and snapshot always stay), and written. */
static void on_line(trace_run *t, const char *p, size_t n)
{
    kev_rline l;
    kev_rline_parse(&t->ctx, p, n, &l);
    if (t->drop && t->ctx.sec != KEV_RSEC_HEADER && t->ctx.sec != KEV_RSEC_SNAPSHOT)
        return;
    emit(t, p, n, &l);
    if (t->note && l.top && t->ctx.sec == KEV_RSEC_EVENTS && strcmp(l.kind, "batch") == 0)
        emit_note(t);
}

/* True when the report goes out as the core writes it: no line needs to
 * be classified (no JSON, no golden, no --from, no note to insert). The
 * common case, and the one replay throughput depends on. */
static bool passthrough(const trace_run *t)
{
    const replay_opts *o = &t->rp->o;
    return !o->json && o->range.from.kind == KEV_BOUND_NONE && t->g == NULL && !t->note &&
           t->partial.len == 0;
}

/* Writes whole lines unparsed, counting them. */
static void pass_lines(trace_run *t, const char *p, size_t n)
{
    for (const char *q = p, *end = p + n; (q = memchr(q, '\n', (size_t)(end - q))); q++)
        t->lines++;
    if (t->rp->rf)
        (void)kev_cli_fwrite(t->rp->rf, p, n);
    if (t->upd.f)
        (void)kev_cli_fwrite(t->upd.f, p, n);
}

/* The world's sink: cuts what it writes into lines. */
static void sink_write(void *ctx, const char *p, size_t n)
{
    trace_run *t = ctx;
    /* The core flushes whole lines; a chunk ending in '\n' can pass as is. */
    if (n > 0 && p[n - 1] == '\n' && passthrough(t)) {
        pass_lines(t, p, n);
        return;
    }
    while (n > 0) {
        const char *nl = memchr(p, '\n', n);
        if (nl == NULL) {
            kev_strbuf_add(&t->partial, p, n);
            break;
        }
        size_t k = (size_t)(nl - p);
        if (t->partial.len > 0) {
            kev_strbuf_add(&t->partial, p, k);
            on_line(t, kev_strbuf_str(&t->partial), t->partial.len);
            kev_strbuf_clear(&t->partial);
        } else {
            on_line(t, p, k);
        }
        p += k + 1;
        n -= k + 1;
    }
    if (t->partial.err)
        t->oom = true;
}

/* A store key as the report writes it: '"' and '\' escaped, other bytes
 * outside printable ASCII as \xNN. */
static void put_key(kev_strbuf *b, const char *k)
{
    for (const unsigned char *p = (const unsigned char *)k; *p; p++) {
        if (*p == '"' || *p == '\\')
            kev_strbuf_addf(b, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            kev_strbuf_addf(b, "\\x%02x", *p);
        else
            kev_strbuf_addc(b, (char)*p);
    }
}

/* --step: "state after batch N keys=K", then the store as the final
 * listing writes it (keys sorted bytewise, values canonical). */
static void emit_state(trace_run *t, const char *kind)
{
    const kev_store *s = kev_world_store(t->w);
    const kev_world_stats *st = kev_world_stats_get(t->w);
    const char **keys = NULL;
    size_t n = 0;
    if (kev_store_keys_sorted(s, &keys, &n) != 0) {
        t->oom = true;
        return;
    }
    kev_strbuf *b = &t->step;
    kev_strbuf_clear(b);
    kev_strbuf_addf(b, "state after %s %" PRIu64 " keys=%zu", kind,
                    st->batches + st->errors - 1, n);
    on_line(t, kev_strbuf_str(b), b->len);
    for (size_t i = 0; i < n; i++) {
        kev_strbuf_clear(b);
        kev_strbuf_adds(b, "  ");
        put_key(b, keys[i]);
        kev_strbuf_adds(b, " = ");
        kev_value_format(kev_store_get(s, keys[i]), b);
        on_line(t, kev_strbuf_str(b), b->len);
    }
    if (b->err)
        t->oom = true;
    free(keys);
}

/* --------------------------------------------------------------- progress */

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* "NAME [#####     ]  45% 123456 of ~270000 batches", from how much of
 * the file was read. */
static void progress_draw(trace_run *t)
{
    uint64_t members, fbytes, raw;
    kev_trace_reader_stats(t->r, &members, &fbytes, &raw);
    double frac = 0;
    if (t->file_size > 0 && fbytes > 0)
        frac = fbytes >= t->file_size ? 1.0 : (double)fbytes / (double)t->file_size;
    int fill = (int)(frac * PROGRESS_WIDTH);
    fprintf(stderr, "\r%s [%.*s%*s] %3d%% %" PRIu64, base_name(t->path), fill,
            "##############################", PROGRESS_WIDTH - fill, "", (int)(frac * 100),
            t->records);
    if (frac > 0)
        fprintf(stderr, " of ~%.0f", (double)t->records / frac);
    fputs(" batches", stderr);
    fflush(stderr);
    t->bar = true;
}

static void progress_end(trace_run *t)
{
    if (t->bar)
        fputs("\r\033[K", stderr);
    t->bar = false;
}

/* ------------------------------------------------------------------- feed */

/* Does the record reach the bound (kev_cli_bound_reached)? */
static bool reaches(const trace_run *t, const kev_cli_bound *b, const kev_trace_rec *rec)
{
    return kev_cli_bound_reached(b, t->first_t, rec->index, rec->t_ns);
}

/* Records missing between two read ones: lost to damage (salvage). */
static void note_gap(trace_run *t, const kev_trace_rec *rec)
{
    if (rec->index > t->next_index)
        kev_cli_error(rcmd.name,
                      "%s: records %" PRIu64 "..%" PRIu64 " lost to damage; the "
                      "report numbers only the records fed, so its indexes shift",
                      t->path, t->next_index, rec->index - 1);
    t->next_index = rec->index + 1;
}

/* Feeds one record; a capture cut short (caplen < origlen) or over
 * KEV_MAX_BATCH is fed what there is, and noted in the report. */
static int feed_one(trace_run *t, const kev_trace_rec *rec)
{
    if (rec->kind == KEV_TR_ERROR)
        return kev_world_feed_error(t->w, rec->err, rec->err_name, rec->t_ns);
    t->fed = rec->caplen > KEV_MAX_BATCH ? KEV_MAX_BATCH : rec->caplen;
    t->caplen = rec->caplen;
    t->origlen = rec->origlen;
    t->note = t->fed < rec->origlen;
    int rc = kev_world_feed(t->w, rec->data, t->fed, rec->t_ns);
    t->note = false;
    return rc;
}

/* How the reading ended: damage is an error (3); a trace cut short, or
 * damage read past with --salvage, a note. */
static void read_end(trace_run *t, int rc)
{
    uint64_t skipped = 0;
    const kev_trace_damage *d = kev_trace_end(t->r, &skipped);
    if (d->status == KEV_TS_OK)
        return;
    kev_strbuf sb = KEV_STRBUF_INIT;
    kev_cli_damage_text(d, &sb);
    bool cut = kev_cli_status_cut(d->status);
    if (rc < 0)
        trace_error(t, KEV_EXIT_INPUT, "%s: %s (the report stops there)", t->path,
                    kev_strbuf_str(&sb));
    else if (!cut)
        kev_cli_error(rcmd.name,
                      "%s: %s; salvage: %" PRIu64 " member(s) skipped, the "
                      "records read replayed",
                      t->path, kev_strbuf_str(&sb), skipped);
    else
        kev_cli_error(rcmd.name, "%s: %s; every record before it was replayed", t->path,
                      kev_strbuf_str(&sb));
    kev_strbuf_free(&sb);
}

/* Feeds the records in range, then the report's final state. */
static void feed_all(trace_run *t)
{
    const replay_opts *o = &t->rp->o;
    kev_trace_rec rec;
    int rc;
    while ((rc = kev_trace_next(t->r, &rec)) == 1) {
        if (!t->have_first)
            t->first_t = rec.t_ns;
        t->have_first = true;
        if (reaches(t, &o->range.to, &rec))
            break;
        note_gap(t, &rec);
        t->from_reached = t->from_reached || o->range.from.kind == KEV_BOUND_NONE ||
                          reaches(t, &o->range.from, &rec);
        t->drop = !t->from_reached;
        int frc = feed_one(t, &rec);
        t->drop = false;
        if (frc != 0) {
            progress_end(t);
            trace_error(t, KEV_EXIT_INTERNAL, "%s: record %" PRIu64 ": %s", t->path,
                        rec.index, kev_strerror(frc));
            return;
        }
        if (o->step && t->from_reached)
            emit_state(t, rec.kind == KEV_TR_ERROR ? "error" : "batch");
        if (++t->records % PROGRESS_EVERY == 0 && t->rp->progress)
            progress_draw(t);
    }
    progress_end(t);
    if (rc <= 0)
        read_end(t, rc);
    int frc = kev_world_finish(t->w);
    if (t->partial.len > 0) /* the world ends its lines; never left, but never lost */
        on_line(t, kev_strbuf_str(&t->partial), t->partial.len);
    if (frc != 0 || t->oom)
        trace_error(t, KEV_EXIT_INTERNAL, "%s: out of memory", t->path);
}

/* ------------------------------------------------------------------ begin */

/* Opens the trace; on failure the message says why. */
static int open_trace(trace_run *t)
{
    int err;
    kev_trace_damage d;
    if (rcmd.src) {
        int code = KEV_EXIT_INPUT;
        kev_strbuf why = KEV_STRBUF_INIT;
        t->r = rcmd.src->open(rcmd.src->ctx, t->path,
                              t->rp->o.salvage ? KEV_TRACE_SALVAGE : 0, &code, &why);
        if (t->r == NULL)
            trace_error(t, code, "%s", why.len ? kev_strbuf_str(&why) : "cannot open");
        kev_strbuf_free(&why);
        return t->r ? 0 : -1;
    }
    t->r = kev_trace_open(t->path, t->rp->o.salvage ? KEV_TRACE_SALVAGE : 0, &err, &d);
    if (t->r != NULL)
        return 0;
    if (err == KEV_ENOMEM) {
        trace_error(t, KEV_EXIT_INTERNAL, "%s: out of memory", t->path);
    } else if (d.status == KEV_TS_IO && strncmp(d.message, "cannot open ", 12) == 0) {
        trace_error(t, KEV_EXIT_INPUT, "%s", d.message); /* it names the file */
    } else {
        kev_strbuf sb = KEV_STRBUF_INIT;
        kev_cli_damage_text(&d, &sb);
        trace_error(t, KEV_EXIT_INPUT, "%s: %s", t->path, kev_strbuf_str(&sb));
        kev_strbuf_free(&sb);
    }
    return -1;
}

/* The golden: opened to compare, or GOLDEN.tmp opened to rewrite it. */
static int open_golden(trace_run *t)
{
    bool oom;
    t->golden = golden_path(&t->rp->o, t->path, &oom);
    if (oom) {
        trace_error(t, KEV_EXIT_INTERNAL, "out of memory");
        return -1;
    }
    if (t->golden == NULL)
        return 0;
    if (t->rp->o.update) {
        if (t->rp->o.expect_dir && mkdir(t->rp->o.expect_dir, 0777) != 0 &&
            errno != EEXIST) {
            trace_error(t, KEV_EXIT_INTERNAL, "cannot create %s: %s", t->rp->o.expect_dir,
                        strerror(errno));
            return -1;
        }
        if (kev_cli_out_open(&t->upd, rcmd.name, t->golden) == 0)
            return 0;
        t->upd.f = NULL;
        trace_error(t, KEV_EXIT_INTERNAL, "cannot write %s", t->golden);
        return -1;
    }
    if ((t->g = kev_golden_open(t->golden)) != NULL)
        return 0;
    if (errno == ENOENT)
        trace_error(t, KEV_EXIT_INPUT, "%s: no such golden (create it with --update)",
                    t->golden);
    else
        trace_error(t, errno == ENOMEM ? KEV_EXIT_INTERNAL : KEV_EXIT_INPUT,
                    "cannot read %s: %s", t->golden, strerror(errno));
    return -1;
}

/* A finding: the first defects are named for --fail-on-defect ("D5
 * name-unterminated at batch 3 event 0"). */
static void on_finding(void *ctx, const kev_finding *f)
{
    trace_run *t = ctx;
    if (f->kind != KEV_FINDING_DEFECT || t->n_defects++ >= DEFECTS_NAMED)
        return;
    kev_strbuf_addf(&t->defects, "%sD%d %s at batch %" PRIu64 " event %" PRIu32,
                    t->n_defects > 1 ? ", " : "", f->defect, f->code, f->batch, f->event);
}

/* A fresh world reporting to on_line, with the trace's snapshot loaded. */
static int open_world(trace_run *t)
{
    kev_world_opts wo = t->rp->o.world;
    wo.sink.write = sink_write;
    wo.sink.ctx = t;
    if (t->rp->o.fail_on_defect && wo.on_finding == NULL) {
        wo.on_finding = on_finding;
        wo.finding_ctx = t;
    }
    if ((t->w = kev_world_new(&wo)) == NULL) {
        trace_error(t, KEV_EXIT_INTERNAL, "out of memory");
        return -1;
    }
    const kev_trace_meta *m = kev_trace_meta_get(t->r);
    if (m->snapshot == NULL || m->snapshot_len == 0)
        return 0;
    kev_strbuf err = KEV_STRBUF_INIT;
    int rc = kev_world_load_snapshot(t->w, m->snapshot, m->snapshot_len, &err);
    if (rc != 0)
        trace_error(t, rc == KEV_ENOMEM ? KEV_EXIT_INTERNAL : KEV_EXIT_INPUT,
                    "%s: snapshot: %s", t->path,
                    err.len ? kev_strbuf_str(&err) : kev_strerror(rc));
    kev_strbuf_free(&err);
    return rc == 0 ? 0 : -1;
}

/* -------------------------------------------------------------------- end */

/* "  NAME LINE", control bytes as \xNN (a stray '\r' would hide the
 * difference), or "(end of report)". */
static void put_line(kev_strbuf *v, const char *name, const char *line, bool no_nl)
{
    kev_strbuf_addf(v, "  %s ", name);
    for (const unsigned char *p = (const unsigned char *)line; p && *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            kev_strbuf_addf(v, "\\x%02x", *p);
        else
            kev_strbuf_addc(v, (char)*p);
    }
    kev_strbuf_adds(v, line == NULL ? "(end of report)\n"
                       : no_nl      ? " (no newline at end of file)\n"
                                    : "\n");
}

/* Says where the report parts from its golden, with the diff. */
static void diverged(trace_run *t)
{
    const kev_golden_diff *d = kev_golden_result(t->g);
    kev_strbuf *v = &t->verdict;
    kev_strbuf_addf(v, "%s: diverged at %s (line %" PRIu64 ") from %s\n", t->path, d->where,
                    d->line, t->golden);
    put_line(v, "expected:", d->expected, d->no_newline);
    put_line(v, "actual:  ", d->actual, false);
    if (d->key)
        kev_strbuf_addf(v, "  key: %s\n", d->key);
    kev_strbuf to = KEV_STRBUF_INIT;
    kev_strbuf_addf(&to, "%s (replayed, %s)", t->path,
                    kev_profile_name(t->rp->o.world.profile));
    kev_golden_udiff(t->g, t->golden, kev_strbuf_str(&to), v);
    kev_strbuf_free(&to);
    if (d->truncated)
        kev_strbuf_addf(v, "(the diff stops where a section passes %u lines or %zu MiB)\n",
                        KEV_GOLDEN_MAX_LINES, KEV_GOLDEN_MAX_BYTES >> 20);
    fputs(kev_strbuf_str(v), stdout);
    kev_strbuf_clear(&t->msg);
    kev_strbuf_addf(&t->msg, "diverged at %s (line %" PRIu64 ")", d->where, d->line);
    t->code = worse(t->code, KEV_EXIT_DIVERGED);
}

/* The comparison's verdict. */
static void compare_end(trace_run *t)
{
    int rc = kev_golden_end(t->g);
    if (rc == 0 && !t->rp->o.quiet)
        printf("%s: matches %s\n", t->path, t->golden);
    else if (rc > 0)
        diverged(t);
    else if (rc < 0)
        trace_error(t, errno == ENOMEM ? KEV_EXIT_INTERNAL : KEV_EXIT_INPUT,
                    "cannot read %s: %s", t->golden, strerror(errno));
}

/* Renames GOLDEN.tmp to GOLDEN when the replay went well, else drops it. */
static void update_end(trace_run *t)
{
    bool failed = ferror(t->upd.f) != 0;
    bool keep = !failed && (t->code == KEV_EXIT_OK || t->code == KEV_EXIT_DEFECT);
    if (kev_cli_out_close(&t->upd, rcmd.name, keep) != 0 || failed)
        trace_error(t, KEV_EXIT_INTERNAL, "cannot write %s", t->golden);
    else if (keep && !t->rp->o.quiet)
        printf("updated %s\n", t->golden);
    t->upd.f = NULL;
}

/* After the final state: defects, the verdict, the golden. */
static void trace_end(trace_run *t)
{
    const kev_world_stats *st = kev_world_stats_get(t->w);
    if (t->rp->o.fail_on_defect && st->defects > 0) {
        kev_strbuf_clear(&t->msg);
        kev_strbuf_addf(&t->msg, "%" PRIu64 " defect%s reported: %s%s", st->defects,
                        st->defects == 1 ? "" : "s", kev_strbuf_str(&t->defects),
                        st->defects > DEFECTS_NAMED ? ", ..." : "");
        kev_cli_error(rcmd.name, "%s: %s (--fail-on-defect)", t->path,
                      kev_strbuf_str(&t->msg));
        t->code = worse(t->code, KEV_EXIT_DEFECT);
    }
    bool replayed = t->code == KEV_EXIT_OK || t->code == KEV_EXIT_DEFECT;
    if (t->g && replayed)
        compare_end(t);
    if (t->upd.f)
        update_end(t);
}

/* ------------------------------------------------------------------ JUnit */

/* Appends s[0..n) as XML character data (or an attribute value): control
 * bytes and invalid UTF-8 as \xNN (kev_cli_escape; newlines and
 * backslashes kept as they are), then &, <, >, " and ' as entities;
 * newlines kept, or as &#10; in an attribute. U+FFFE and U+FFFF, not XML
 * characters, become \xNN too. */
static void xml_text(kev_strbuf *out, const char *s, size_t n, bool attr)
{
    kev_strbuf e = KEV_STRBUF_INIT;
    for (size_t i = 0; i < n;) {
        size_t k = 0; /* up to a newline or backslash: ASCII, never inside UTF-8 */
        while (i + k < n && s[i + k] != '\n' && s[i + k] != '\\')
            k++;
        kev_cli_escape(&e, s + i, k, false);
        if (i + k < n)
            kev_strbuf_addc(&e, s[i + k]);
        i += k + 1;
    }
    const unsigned char *p = (const unsigned char *)kev_strbuf_str(&e);
    for (size_t i = 0; i < e.len; i++) {
        static const char *const ent[] = {['&'] = "&amp;",
                                          ['<'] = "&lt;",
                                          ['>'] = "&gt;",
                                          ['"'] = "&quot;",
                                          ['\''] = "&apos;"};
        if (p[i] < sizeof ent / sizeof ent[0] && ent[p[i]])
            kev_strbuf_adds(out, ent[p[i]]);
        else if (p[i] == '\n')
            kev_strbuf_adds(out, attr ? "&#10;" : "\n");
        else if (p[i] == 0xef && i + 2 < e.len && p[i + 1] == 0xbf && p[i + 2] >= 0xbe) {
            kev_strbuf_addf(out, "\\xef\\xbf\\x%02x", p[i + 2]);
            i += 2;
        } else
            kev_strbuf_addc(out, (char)p[i]);
    }
    kev_strbuf_free(&e);
}

/* One <testcase>: named after the trace, classed by profile; an <error>
 * when it could not be replayed, a <failure> for a divergence (the diff
 * in its text) or, with --fail-on-defect, for defects. */
static void junit_case(replay *rp, const trace_run *t)
{
    size_t p = (size_t)rp->o.world.profile;
    kev_strbuf *j = &rp->suite[p].cases;
    rp->tests++;
    rp->suite[p].tests++;
    kev_strbuf_adds(j, "    <testcase name=\"");
    xml_text(j, t->path, strlen(t->path), true);
    kev_strbuf_addf(j, "\" classname=\"%s\"", kev_profile_name(rp->o.world.profile));
    if (t->code == KEV_EXIT_OK) {
        kev_strbuf_adds(j, "/>\n");
        return;
    }
    bool error = t->code == KEV_EXIT_INPUT || t->code == KEV_EXIT_INTERNAL;
    const char *tag = error ? "error" : "failure";
    rp->errors += error;
    rp->failures += !error;
    rp->suite[p].errors += error;
    rp->suite[p].failures += !error;
    kev_strbuf_addf(j, ">\n      <%s message=\"", tag);
    xml_text(j, t->msg.p ? t->msg.p : "", t->msg.len, true);
    kev_strbuf_adds(j, "\">");
    const kev_strbuf *body = t->verdict.len && !error ? &t->verdict : &t->msg;
    size_t n = body->len < JUNIT_MAX_TEXT ? body->len : JUNIT_MAX_TEXT;
    xml_text(j, body->p ? body->p : "", n, false);
    if (n < body->len)
        kev_strbuf_adds(j, "\n(cut)");
    kev_strbuf_addf(j, "</%s>\n    </testcase>\n", tag);
}

/* The JUnit file: <testsuites name="kevrr CMD"> holding one <testsuite>
 * per profile, named by the profile, in the order replayed. */
static int junit_write(replay *rp)
{
    kev_cli_out o;
    kev_strbuf x = KEV_STRBUF_INIT;
    kev_strbuf_addf(&x,
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<testsuites name=\"kevrr %s\" tests=\"%u\" failures=\"%u\" "
                    "errors=\"%u\">\n",
                    rcmd.name, rp->tests, rp->failures, rp->errors);
    for (size_t i = 0; i < rp->o.n_profiles; i++) {
        size_t p = (size_t)rp->o.profiles[i];
        kev_strbuf_addf(&x,
                        "  <testsuite name=\"%s\" tests=\"%u\" failures=\"%u\" "
                        "errors=\"%u\" skipped=\"0\">\n",
                        kev_profile_name(rp->o.profiles[i]), rp->suite[p].tests,
                        rp->suite[p].failures, rp->suite[p].errors);
        kev_strbuf_add(&x, rp->suite[p].cases.p, rp->suite[p].cases.len);
        kev_strbuf_adds(&x, "  </testsuite>\n");
        if (rp->suite[p].cases.err)
            x.err = rp->suite[p].cases.err;
    }
    kev_strbuf_adds(&x, "</testsuites>\n");
    if (x.err) {
        kev_strbuf_free(&x);
        kev_cli_error(rcmd.name, "out of memory");
        return KEV_EXIT_INTERNAL;
    }
    int code = kev_cli_out_open(&o, rcmd.name, rp->o.junit);
    if (code == KEV_EXIT_OK) {
        (void)kev_cli_fwrite(o.f, x.p, x.len);
        code = kev_cli_out_close(&o, rcmd.name, true);
    }
    kev_strbuf_free(&x);
    return code;
}

/* ---------------------------------------------------------------- command */

static void trace_free(trace_run *t)
{
    if (t->upd.f)
        kev_cli_out_close(&t->upd, rcmd.name, false);
    kev_golden_free(t->g);
    kev_world_free(t->w);
    kev_trace_close(t->r);
    free(t->golden);
    kev_strbuf_free(&t->partial);
    kev_strbuf_free(&t->json);
    kev_strbuf_free(&t->step);
    kev_strbuf_free(&t->msg);
    kev_strbuf_free(&t->verdict);
    kev_strbuf_free(&t->defects);
}

/* Replays one trace; returns its exit code. */
static int replay_trace(replay *rp, const char *path)
{
    trace_run t;
    memset(&t, 0, sizeof t);
    t.rp = rp;
    t.path = path;
    struct stat st;
    if (rcmd.src == NULL && strcmp(path, "-") != 0 && stat(path, &st) == 0)
        t.file_size = (uint64_t)st.st_size;
    if (open_trace(&t) == 0 && open_golden(&t) == 0 && open_world(&t) == 0) {
        feed_all(&t);
        trace_end(&t);
    }
    if (rp->rf && ferror(rp->rf) && !rp->write_failed) {
        rp->write_failed = true; /* said once, here, for the first trace it hit */
        trace_error(&t, KEV_EXIT_INTERNAL, "cannot write %s: %s", report_name(rp),
                    strerror(kev_cli_write_errno()));
    }
    if (rp->o.junit)
        junit_case(rp, &t);
    int code = t.code;
    trace_free(&t);
    return code;
}

/* Opens where the reports go: --report FILE, else stdout unless the
 * goldens take them. FILE is written in place, as `kevrr run` writes it
 * (so /dev/null or a pipe will do). */
static int report_open(replay *rp)
{
    const replay_opts *o = &rp->o;
    const char *path = o->report ? o->report : o->expect || o->expect_dir ? NULL : "-";
    if (path == NULL)
        return 0;
    rp->rf = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (rp->rf != NULL)
        return 0;
    kev_cli_error(rcmd.name, "cannot write %s: %s", path, strerror(errno));
    return KEV_EXIT_INTERNAL;
}

static int report_close(replay *rp)
{
    if (rp->rf == NULL)
        return KEV_EXIT_OK;
    if (rp->write_failed) { /* said already */
        if (rp->rf != stdout)
            fclose(rp->rf);
        return KEV_EXIT_INTERNAL;
    }
    return kev_cli_stream_close(rcmd.name, rp->rf, report_name(rp));
}

int kev_replay_main(const char *name, const char *usage, const kev_replay_src *src,
                    int argc, char **argv)
{
    rcmd.name = name;
    rcmd.usage = usage;
    rcmd.src = src;
    replay rp;
    memset(&rp, 0, sizeof rp);
    kev_world_opts_init(&rp.o.world);
    int nargs = 0, prc = parse_args(&rp.o, argc, argv, &nargs);
    if (prc != 0)
        return prc > 0 ? KEV_EXIT_OK : KEV_EXIT_USAGE;
    int code = report_open(&rp);
    if (code != KEV_EXIT_OK)
        return code;
    /* No bar when the report itself goes to the same terminal. */
    rp.progress =
        !rp.o.quiet && isatty(STDERR_FILENO) && !(rp.rf == stdout && isatty(STDOUT_FILENO));
    /* Each profile in turn, each trace under it: a fresh world each time. */
    for (size_t k = 0; k < rp.o.n_profiles; k++) {
        rp.o.world.profile = rp.o.profiles[k];
        for (int i = 1; i <= nargs; i++) {
            code = worse(code, replay_trace(&rp, argv[i]));
            fflush(stdout);
        }
    }
    code = worse(code, report_close(&rp));
    if (rp.o.junit)
        code = worse(code, junit_write(&rp));
    for (size_t p = 0; p < KEV_PROFILE__COUNT; p++)
        kev_strbuf_free(&rp.suite[p].cases);
    return code;
}

static int replay_cmd(int argc, char **argv)
{
    return kev_replay_main("replay", replay_usage, NULL, argc, argv);
}

const kev_cmd kev_cmd_replay = {"replay", replay_cmd,
                                "replay traces through the core; compare with goldens",
                                replay_usage};
