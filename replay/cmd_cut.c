/*
 * cmd_cut.c: `kevrr cut`: copies a range of batches [A, B) of a trace into
 * a new trace with the same metadata, the comment saying where it came
 * from. Its snapshot is the simulated kernel's state before batch A (the
 * trace's snapshot and the events of batches 0..A-1, as the core applies
 * them whatever the profile), so that the window replays as configd
 * starting at A, priming itself from the kernel; with --keep-snapshot (or
 * A = 0) it is the trace's own. The bounds are batch indexes or times; they
 * are resolved to indexes first by seeking (which inflates one or two
 * members whatever the trace's length), so that the comment can name them
 * before the first record is written. Records are then streamed, one at a
 * time (from the start when the kernel's state is needed).
 */
#define _POSIX_C_SOURCE 200809L /* stat */

#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const char cut_usage[] =
    "usage: kevrr cut [OPTIONS] TRACE -o OUT\n"
    "\n"
    "Copy the batches [A, B) of TRACE into OUT, with the same metadata; the\n"
    "comment gets 'cut from TRACE batches A..B'. OUT's snapshot is the simulated\n"
    "kernel's state before batch A, so that OUT replays as configd starting at A\n"
    "(it primes itself from the kernel); --keep-snapshot keeps TRACE's. Failed\n"
    "recv()s count as batches. A bound past the end is the end.\n"
    "\n"
    "options:\n"
    "  -o OUT           the trace to write ('-': standard output)\n"
    "  --from X         A: batch X, or the first batch at or after time X\n"
    "                   (default 0)\n"
    "  --to X           B: likewise; batch B is not copied (default: the end)\n"
    "  --keep-snapshot  OUT gets TRACE's snapshot, not the kernel's state at A\n"
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

/* The snapshot of the simulated kernel before batch `a`, into `out`: the
 * trace's snapshot and the events of batches 0..a-1 (the reader is then
 * just before batch a). Returns 0 or a KEV_E* code; *bad_snapshot when it
 * is the trace's snapshot that does not load (its error then in `out`). */
static int kernel_before(kev_trace_reader *r, const char *path, uint64_t a, kev_strbuf *out,
                         bool *bad_snapshot)
{
    const kev_trace_meta *m = kev_trace_meta_get(r);
    kev_kernel *k = kev_kernel_new();
    *bad_snapshot = false;
    if (k == NULL)
        return KEV_ENOMEM;
    int rc = m->snapshot ? kev_kernel_load_text(k, m->snapshot, m->snapshot_len, out) : 0;
    *bad_snapshot = rc != 0;
    if (rc == 0)
        rc = kev_trace_seek_batch(r, 0);
    kev_trace_rec rec;
    for (uint64_t i = 0; rc == 0 && i < a; i++) {
        int n = kev_trace_next(r, &rec);
        if (n <= 0) {
            rc = n < 0 ? n : KEV_ETRUNC;
            break;
        }
        if (rec.kind == KEV_TR_BATCH)
            kev_kernel_apply_batch(k, rec.data,
                                   rec.caplen < KEV_MAX_BATCH ? rec.caplen : KEV_MAX_BATCH);
    }
    if (rc == 0) {
        kev_strbuf_addf(out, "# source: kernel state before batch %" PRIu64 " of ", a);
        for (const char *c = path; *c; c++)
            kev_strbuf_addc(out, *c >= 0x20 && *c < 0x7f ? *c : '?');
        kev_strbuf_adds(out, " (kevrr cut)\n");
        kev_kernel_format(k, out);
        rc = out->err;
    }
    kev_kernel_free(k);
    return rc;
}

/* Copies the records [a, b) to `w` (whose close reports a write error);
 * *stop gets the last one's time. The reader is taken to batch a unless it
 * is there (`at_a`). Returns 0 or the reader's error; a note when the copy
 * ran into the end of a trace cut short. */
static int cut_copy(kev_trace_reader *r, const char *path, kev_trace_writer *w, uint64_t a,
                    uint64_t b, bool at_a, uint64_t *stop)
{
    kev_trace_rec rec;
    int rc = a < b && !at_a ? kev_trace_seek_batch(r, a) : 0;
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

/* Writes OUT: the input's metadata with the comment extended, [a, b); the
 * snapshot `snap` when not NULL. */
static int cut_write(kev_trace_reader *r, FILE *f, const char *path, uint64_t a, uint64_t b,
                     const kev_strbuf *snap, int *write_err)
{
    kev_trace_meta m = *kev_trace_meta_get(r);
    kev_strbuf comment = KEV_STRBUF_INIT;
    kev_cli_comment_begin(&comment, m.comment);
    kev_strbuf_addf(&comment, "cut from %s batches %" PRIu64 "..%" PRIu64, path, a, b);
    m.comment = kev_strbuf_str(&comment);
    if (snap != NULL) {
        m.snapshot = kev_strbuf_str(snap);
        m.snapshot_len = snap->len;
    }
    int rc = comment.err;
    kev_trace_writer *w = rc ? NULL : kev_trace_writer_open(f, &m, &rc);
    uint64_t stop = m.start_ns;
    int read_rc = w ? cut_copy(r, path, w, a, b, snap != NULL, &stop) : 0;
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

/* The kernel's state before batch a, when it is wanted (a > 0, and not
 * --keep-snapshot): 0 with *snap set, or the exit code after a message. */
static int state_at(kev_trace_reader *r, const char *path, uint64_t a, uint64_t b,
                    bool keep, kev_strbuf *buf, const kev_strbuf **snap)
{
    *snap = NULL;
    if (keep || a == 0 || a >= b)
        return KEV_EXIT_OK;
    bool bad_snapshot = false;
    int rc = kernel_before(r, path, a, buf, &bad_snapshot);
    if (bad_snapshot) {
        kev_cli_error("cut", "%s: snapshot: %s", path,
                      buf->len ? kev_strbuf_str(buf) : kev_strerror(rc));
        return rc == KEV_ENOMEM ? KEV_EXIT_INTERNAL : KEV_EXIT_INPUT;
    }
    if (rc == KEV_ENOMEM) {
        kev_cli_error("cut", "out of memory");
        return KEV_EXIT_INTERNAL;
    }
    if (rc != 0) {
        read_error(r, path, rc);
        return KEV_EXIT_INPUT;
    }
    *snap = buf;
    return KEV_EXIT_OK;
}

/* Resolves the range and writes OUT. Returns the exit code. */
static int cut_run(kev_trace_reader *r, const char *path, const char *out,
                   const kev_cli_range *rg, const char *from, const char *to, bool keep)
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
    kev_strbuf buf = KEV_STRBUF_INIT;
    const kev_strbuf *snap;
    int exit_code = state_at(r, path, a, b, keep, &buf, &snap);
    if (exit_code == 0)
        exit_code = kev_cli_out_open(&o, "cut", out);
    if (exit_code != 0) {
        kev_strbuf_free(&buf);
        return exit_code;
    }
    rc = cut_write(r, o.f, path, a, b, snap, &werr);
    kev_strbuf_free(&buf);
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
    bool keep = false;
    const kev_cli_opt opts[] = {{"-o", &out, NULL, NULL},
                                {"--keep-snapshot", NULL, &keep, NULL},
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
        cut_run(r, argv[1], out, &rg, from ? from : from_time, to ? to : to_time, keep);
    kev_trace_close(r);
    return exit_code;
}

const kev_cmd kev_cmd_cut = {"cut", cut, "copy a range of batches into a new trace",
                             cut_usage};
