/*
 * cmd_cut.c: `kevrr cut`: copies a range of batches [A, B) of a trace into
 * a new trace with the same metadata and snapshot, the comment saying
 * where it came from. The bounds are batch indexes or times; they are
 * resolved to indexes first by seeking (which inflates one or two members
 * whatever the trace's length), so that the comment can name them before
 * the first record is written. Records are then streamed, one at a time.
 */
#define _POSIX_C_SOURCE 200809L /* stat */

#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

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
    "  --from X         A: batch X, or the first batch at or after time X\n"
    "                   (default 0)\n"
    "  --to X           B: likewise; batch B is not copied (default: the end)\n"
    "  -h, --help       this help\n"
    "\n"
    "X is a batch index from 0 (12), Unix seconds with up to 9 decimals\n"
    "(1700000000.25), or +DURATION after the trace's first batch, with a unit\n"
    "ns, us, ms or s (+1.5s). An empty or reversed range is a usage error.\n"
    "--from-time and --to-time are deprecated spellings of --from and --to.\n"
    "\n"
    "exit status: 0 done, 2 usage, 3 unreadable or damaged trace (no output\n"
    "is left), 5 output error.\n";

/* The deprecated --from-time/--to-time take a time even without a '.'
 * ("1700000000"), which --from/--to would read as a batch index. Into `b`,
 * unless NULL. 0, or -1 after a message. */
static int old_time_bound(const char *name, const char *v, kev_cli_bound *b)
{
    bool relative;
    if (v == NULL)
        return 0;
    if (b->kind != KEV_BOUND_NONE) {
        kev_cli_error("cut", "give %s or %s-time, not both", name, name);
        return -1;
    }
    if (kev_cli_parse_time(v, &b->v, &relative) != 0) {
        kev_cli_error(
            "cut", "%s-time '%s' is not Unix seconds (1700000000.25) or +DURATION (+1.5s)",
            name, v);
        return -1;
    }
    b->kind = relative ? KEV_BOUND_AFTER : KEV_BOUND_TIME;
    return 0;
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
        rc = w ? kev_cli_trace_close(w, stop) : rc;
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
static int cut_run(kev_trace_reader *r, const char *path, const char *out,
                   const kev_cli_range *rg, const char *from, const char *to)
{
    uint64_t a, b;
    int werr = 0, rc = kev_cli_range_resolve(r, rg, &a, &b);
    kev_cli_out o;
    if (rc != 0) {
        read_error(r, path, rc);
        return KEV_EXIT_INPUT;
    }
    if (kev_cli_range_check_resolved("cut", path, from, to, a, b) != 0)
        return KEV_EXIT_USAGE;
    int exit_code = kev_cli_out_open(&o, "cut", out);
    if (exit_code != 0)
        return exit_code;
    rc = cut_write(r, o.f, path, a, b, &werr);
    if (rc != 0)
        read_error(r, path, rc);
    else if (werr != 0)
        kev_cli_error("cut", "cannot write %s: %s", kev_cli_out_name(out),
                      kev_cli_write_strerror(werr));
    exit_code = kev_cli_out_close(&o, "cut", rc == 0 && werr == 0);
    return rc != 0 ? KEV_EXIT_INPUT : werr != 0 ? KEV_EXIT_INTERNAL : exit_code;
}

static int cut(int argc, char **argv)
{
    const char *out = NULL, *from = NULL, *to = NULL, *from_time = NULL, *to_time = NULL;
    const kev_cli_opt opts[] = {{"-o", &out, NULL, NULL},
                                {"--from", &from, NULL, NULL},
                                {"--to", &to, NULL, NULL},
                                {"--from-time", &from_time, NULL, "--from"},
                                {"--to-time", &to_time, NULL, "--to"}};
    int nargs, prc = kev_cli_parse("cut", argc, argv, opts, sizeof opts / sizeof opts[0],
                                   cut_usage, &nargs);
    if (prc != 0)
        return prc > 0 ? KEV_EXIT_OK : KEV_EXIT_USAGE;
    kev_cli_range rg;
    if (kev_cli_range_parse("cut", from, to, &rg) != 0 ||
        old_time_bound("--from", from_time, &rg.from) != 0 ||
        old_time_bound("--to", to_time, &rg.to) != 0)
        return KEV_EXIT_USAGE;
    if (nargs != 1 || out == NULL || strcmp(argv[1], "-") == 0) {
        kev_cli_error("cut", "%s; see kevrr help cut",
                      nargs != 1    ? "give exactly one trace"
                      : out == NULL ? "no output: -o OUT"
                                    : "cut seeks: it reads a file, not standard input");
        return KEV_EXIT_USAGE;
    }
    if (kev_cli_out_not_input("cut", out, argv + 1, 1) != 0)
        return KEV_EXIT_USAGE;
    /* Opening a FIFO would wait for a writer, and then cut could not seek
     * in it: say so first. */
    struct stat st;
    if (stat(argv[1], &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) {
        kev_cli_error("cut",
                      "%s is a FIFO: cut seeks, so it reads a file (copy the trace "
                      "to one first, or use kevrr dump --from/--to)",
                      argv[1]);
        return KEV_EXIT_USAGE;
    }
    kev_trace_reader *r = kev_cli_trace_open("cut", argv[1], 0);
    if (r == NULL)
        return KEV_EXIT_INPUT;
    int exit_code =
        cut_run(r, argv[1], out, &rg, from ? from : from_time, to ? to : to_time);
    kev_trace_close(r);
    return exit_code;
}

const kev_cmd kev_cmd_cut = {"cut", cut, "copy a range of batches into a new trace",
                             cut_usage};
