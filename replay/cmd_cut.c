/*
 * cmd_cut.c: `kevrr cut`: copies a range of batches [A, B) of a trace into
 * a new trace with the same metadata and snapshot, the comment saying
 * where it came from. The bounds are batch indexes or times; they are
 * resolved to indexes first by seeking (which inflates one or two members
 * whatever the trace's length), so that the comment can name them before
 * the first record is written. Records are then streamed, one at a time.
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"

static const char cut_usage[] =
    "usage: kevrr cut [OPTIONS] TRACE -o OUT\n"
    "\n"
    "Copy the batches [A, B) of TRACE into OUT, with the same metadata and\n"
    "snapshot; the comment gets 'cut from TRACE batches A..B'. Failed recv()s\n"
    "count as batches. A bound past the end is the end.\n"
    "\n"
    "options:\n"
    "  -o OUT           the trace to write ('-': standard output)\n"
    "  --from N         A: batch N (0-based; default 0)\n"
    "  --to M           B: batch M, which is not copied (default: the end)\n"
    "  --from-time T    A: the first batch at or after time T\n"
    "  --to-time T      B: the first batch at or after time T (not copied)\n"
    "  -h, --help       this help\n"
    "\n"
    "T is Unix seconds with up to 9 decimals (1700000000.25), or +DURATION\n"
    "after the trace's first batch, with a unit ns, us, ms or s (+1.5s).\n"
    "\n"
    "exit status: 0 done, 2 usage, 3 unreadable or damaged trace (no output\n"
    "is left), 5 output error.\n";

/* One bound of the range, as given. */
typedef struct cut_bound {
    const char *batch, *time; /* --from/--to, --from-time/--to-time */
    const char *name;         /* "--from", "--to" for messages */
    bool by_time, relative, given;
    uint64_t v; /* the index, or the time in ns */
} cut_bound;

/* Checks and parses one bound. 0, or -1 after printing a usage error. */
static int bound_parse(cut_bound *b)
{
    if (b->batch && b->time) {
        kev_cli_error("cut", "give %s or %s-time, not both", b->name, b->name);
        return -1;
    }
    b->given = b->batch || b->time;
    b->by_time = b->time != NULL;
    if (b->time && kev_cli_parse_time(b->time, &b->v, &b->relative) != 0) {
        kev_cli_error("cut",
                      "%s-time '%s' is not Unix seconds (1700000000.25) or "
                      "+DURATION (+1.5s)",
                      b->name, b->time);
        return -1;
    }
    b->relative = b->by_time && b->relative;
    return kev_cli_opt_u64("cut", b->name, b->batch, &b->v);
}

/* The index past the last record: the Interface Statistics Block's count
 * when the trace ends with one, else counted by reading. */
static int end_index(kev_trace_reader *r, uint64_t *end)
{
    kev_trace_rec rec;
    int rc = kev_trace_seek_batch(r, UINT64_MAX);
    if (rc == KEV_ENOENT && kev_trace_stats_block(r, NULL, NULL, end))
        return 0;
    *end = 0;
    rc = kev_trace_seek_batch(r, 0);
    if (rc == 0)
        while ((rc = kev_trace_next(r, &rec)) > 0)
            *end = rec.index + 1;
    return rc == KEV_ENOENT ? 0 : rc;
}

/* The index of the first record at or after the bound (or the end). */
static int bound_resolve(kev_trace_reader *r, const cut_bound *b, uint64_t t0,
                         uint64_t *index)
{
    kev_trace_rec rec;
    uint64_t t = b->relative ? t0 + b->v : b->v;
    if (b->relative && t < t0)
        t = UINT64_MAX; /* past any time */
    int rc = b->by_time ? kev_trace_seek_time(r, t) : kev_trace_seek_batch(r, b->v);
    if (rc == KEV_ENOENT)
        return end_index(r, index);
    if (rc == 0 && (rc = kev_trace_next(r, &rec)) > 0)
        *index = rec.index;
    return rc < 0 ? rc : 0;
}

/* Resolves the range: [*a, *b), with *a <= *b. */
static int cut_range(kev_trace_reader *r, cut_bound *from, cut_bound *to, uint64_t *a,
                     uint64_t *b)
{
    kev_trace_rec rec;
    uint64_t t0 = 0;
    int rc = 0;
    if (from->relative || to->relative) {
        rc = kev_trace_seek_batch(r, 0);
        if (rc == 0 && (rc = kev_trace_next(r, &rec)) > 0)
            t0 = rec.t_ns;
        rc = rc == KEV_ENOENT ? 0 : rc < 0 ? rc : 0;
    }
    *a = *b = 0;
    if (rc == 0 && from->given)
        rc = bound_resolve(r, from, t0, a);
    if (rc == 0)
        rc = to->given ? bound_resolve(r, to, t0, b) : end_index(r, b);
    if (*b < *a)
        *b = *a; /* --to before --from: nothing to copy */
    return rc;
}

/* Copies the records [a, b) to `w` (whose close reports a write error);
 * *stop gets the last one's time. Returns 0 or the reader's error; a note
 * when the copy ran into the end of a trace cut short. */
static int cut_copy(kev_trace_reader *r, const char *path, kev_trace_writer *w, uint64_t a,
                    uint64_t b, uint64_t *stop)
{
    kev_trace_rec rec;
    int rc = a < b ? kev_trace_seek_batch(r, a) : 0;
    while (rc == 0 && a < b && (rc = kev_trace_next(r, &rec)) > 0 && rec.index < b) {
        *stop = rec.t_ns;
        if (kev_cli_trace_copy(w, &rec) != 0)
            break;
        rc = 0;
    }
    if (rc == 0 && a < b)
        (void)kev_cli_trace_end_ok("cut", path, r);
    return rc < 0 ? rc : 0;
}

/* Writes OUT: the input's metadata with the comment extended, [a, b). */
static int cut_write(kev_trace_reader *r, FILE *f, const char *path, uint64_t a, uint64_t b,
                     int *write_err)
{
    kev_trace_meta m = *kev_trace_meta_get(r);
    kev_strbuf comment = KEV_STRBUF_INIT;
    kev_cli_comment_begin(&comment, m.comment);
    kev_strbuf_addf(&comment, "cut from %s batches %" PRIu64 "..%" PRIu64, path, a, b);
    m.comment = kev_strbuf_str(&comment);
    int rc = comment.err;
    kev_trace_writer *w = rc ? NULL : kev_trace_writer_open(f, &m, &rc);
    uint64_t stop = m.start_ns;
    int read_rc = w ? cut_copy(r, path, w, a, b, &stop) : 0;
    if (read_rc == 0)
        rc = w ? kev_trace_writer_close(w, stop) : rc;
    else
        kev_trace_writer_abandon(w);
    kev_strbuf_free(&comment);
    *write_err = rc;
    return read_rc;
}

/* Says why reading failed: the trace's damage, or the error. */
static void read_error(kev_trace_reader *r, const char *path, int rc)
{
    const kev_trace_damage *d = kev_trace_end(r, NULL);
    kev_strbuf sb = KEV_STRBUF_INIT;
    if (d->status != KEV_TS_OK)
        kev_cli_damage_text(d, &sb);
    else
        kev_strbuf_adds(&sb, kev_strerror(rc));
    kev_cli_error("cut", "%s: %s", path, kev_strbuf_str(&sb));
    kev_strbuf_free(&sb);
}

/* Resolves the range and writes OUT. Returns the exit code. */
static int cut_run(kev_trace_reader *r, const char *path, const char *out, cut_bound *from,
                   cut_bound *to)
{
    uint64_t a, b;
    int werr = 0, rc = cut_range(r, from, to, &a, &b);
    kev_cli_out o;
    if (rc != 0) {
        read_error(r, path, rc);
        return KEV_EXIT_INPUT;
    }
    int exit_code = kev_cli_out_open(&o, "cut", out);
    if (exit_code != 0)
        return exit_code;
    rc = cut_write(r, o.f, path, a, b, &werr);
    if (rc != 0)
        read_error(r, path, rc);
    else if (werr != 0)
        kev_cli_error("cut", "%s: %s", out, kev_strerror(werr));
    exit_code = kev_cli_out_close(&o, "cut", rc == 0 && werr == 0);
    return rc != 0 ? KEV_EXIT_INPUT : werr != 0 ? KEV_EXIT_INTERNAL : exit_code;
}

static int cut(int argc, char **argv)
{
    const char *out = NULL;
    cut_bound from = {NULL, NULL, "--from", false, false, false, 0};
    cut_bound to = {NULL, NULL, "--to", false, false, false, 0};
    const kev_cli_opt opts[] = {{"-o", &out, NULL},
                                {"--from", &from.batch, NULL},
                                {"--to", &to.batch, NULL},
                                {"--from-time", &from.time, NULL},
                                {"--to-time", &to.time, NULL}};
    int nargs, prc = kev_cli_parse("cut", argc, argv, opts, 5, cut_usage, &nargs);
    if (prc != 0)
        return prc > 0 ? KEV_EXIT_OK : KEV_EXIT_USAGE;
    if (bound_parse(&from) != 0 || bound_parse(&to) != 0)
        return KEV_EXIT_USAGE;
    if (nargs != 1 || out == NULL || strcmp(argv[1], "-") == 0) {
        kev_cli_error("cut", "%s; see kevrr help cut",
                      nargs != 1    ? "give exactly one trace"
                      : out == NULL ? "no output: -o OUT"
                                    : "cut seeks: it reads a file, not standard input");
        return KEV_EXIT_USAGE;
    }
    kev_trace_reader *r = kev_cli_trace_open("cut", argv[1], 0);
    if (r == NULL)
        return KEV_EXIT_INPUT;
    int exit_code = cut_run(r, argv[1], out, &from, &to);
    kev_trace_close(r);
    return exit_code;
}

const kev_cmd kev_cmd_cut = {"cut", cut, "copy a range of batches into a new trace",
                             cut_usage};
