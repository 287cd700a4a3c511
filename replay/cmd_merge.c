/*
 * cmd_merge.c: `kevrr merge`: merges traces into one by timestamp. The
 * merge is stable (records with equal times keep their order within an
 * input, and across inputs the order of the files) and streams: it holds
 * one record per input, read in place in that input's reader, so memory
 * does not grow with the traces' lengths. The metadata and snapshot are
 * the first input's, the comment naming the other inputs and sources.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char merge_usage[] =
    "usage: kevrr merge -o OUT TRACE...\n"
    "\n"
    "Merge the TRACEs into OUT by timestamp. Equal times keep the order of\n"
    "each input, then the order of the files. OUT has the first trace's\n"
    "metadata and snapshot; its comment gets 'merged with TRACE (SOURCE), ...'\n"
    "and its capture start is the earliest one known. Every input must record\n"
    "the same byte order.\n"
    "\n"
    "options:\n"
    "  -o OUT       the trace to write ('-': standard output)\n"
    "  -h, --help   this help\n"
    "\n"
    "exit status: 0 done, 2 usage, 3 an input unreadable or damaged (no\n"
    "output is left), 5 output error. An input cut short (no EOF member,\n"
    "torn member) is merged up to the cut, with a note on stderr.\n";

/* One input: its reader and the record it holds (valid until its next
 * read, which happens only once the record has been written). */
typedef struct merge_in {
    const char *path;
    kev_trace_reader *r;
    kev_trace_rec rec;
    bool have;
} merge_in;

/* Reads the next record of input `in`. 0, or -1 after saying why not. */
static int advance(merge_in *in)
{
    int rc = kev_trace_next(in->r, &in->rec);
    in->have = rc > 0;
    if (rc > 0)
        return 0;
    if (rc == 0)
        return kev_cli_trace_end_ok("merge", in->path, in->r) ? 0 : -1;
    if (kev_trace_end(in->r, NULL)->status == KEV_TS_OK) /* else the end says it */
        kev_cli_error("merge", "%s: %s", in->path, kev_strerror(rc));
    else
        (void)kev_cli_trace_end_ok("merge", in->path, in->r);
    return -1;
}

/* The input holding the earliest record; the first such on ties. */
static merge_in *earliest(merge_in *ins, size_t n)
{
    merge_in *best = NULL;
    for (size_t i = 0; i < n; i++)
        if (ins[i].have && (best == NULL || ins[i].rec.t_ns < best->rec.t_ns))
            best = &ins[i];
    return best;
}

/* The output's metadata: the first input's, the earliest start, and the
 * comment naming the other inputs. Strings borrowed from the readers. */
static void merge_meta(merge_in *ins, size_t n, kev_trace_meta *m, kev_strbuf *comment)
{
    *m = *kev_trace_meta_get(ins[0].r);
    if (n == 1)
        return; /* nothing merged in */
    kev_cli_comment_begin(comment, m->comment);
    kev_strbuf_adds(comment, "merged with ");
    for (size_t i = 1; i < n; i++) {
        const kev_trace_meta *o = kev_trace_meta_get(ins[i].r);
        kev_strbuf_addf(comment, "%s%s", i > 1 ? ", " : "", ins[i].path);
        if (o->source)
            kev_strbuf_addf(comment, " (%s)", o->source);
        if (o->start_ns && (m->start_ns == 0 || o->start_ns < m->start_ns))
            m->start_ns = o->start_ns;
    }
    m->comment = kev_strbuf_str(comment);
}

/* Streams the merge into `w`. 0, or -1 when an input failed (said). */
static int merge_copy(merge_in *ins, size_t n, kev_trace_writer *w, uint64_t *stop)
{
    for (size_t i = 0; i < n; i++)
        if (advance(&ins[i]) != 0)
            return -1;
    merge_in *in;
    while ((in = earliest(ins, n)) != NULL) {
        *stop = in->rec.t_ns;
        if (kev_cli_trace_copy(w, &in->rec) != 0)
            return 0; /* the writer's close reports it */
        if (advance(in) != 0)
            return -1;
    }
    return 0;
}

/* Writes the merge to `f`. Returns the exit code. */
static int merge_write(merge_in *ins, size_t n, FILE *f, const char *out)
{
    kev_trace_meta m;
    kev_strbuf comment = KEV_STRBUF_INIT;
    merge_meta(ins, n, &m, &comment);
    int werr = comment.err;
    kev_trace_writer *w = werr ? NULL : kev_trace_writer_open(f, &m, &werr);
    uint64_t stop = m.start_ns;
    int exit_code = KEV_EXIT_OK;
    if (w != NULL && merge_copy(ins, n, w, &stop) != 0) {
        exit_code = KEV_EXIT_INPUT;
        kev_trace_writer_abandon(w);
    } else {
        werr = w ? kev_cli_trace_close(w, stop) : werr;
    }
    if (exit_code == KEV_EXIT_OK && werr != 0) {
        kev_cli_error("merge", "cannot write %s: %s", kev_cli_out_name(out),
                      kev_cli_write_strerror(werr));
        exit_code = KEV_EXIT_INTERNAL;
    }
    kev_strbuf_free(&comment);
    return exit_code;
}

/* Opens every input; checks they agree on the records' byte order. */
static int merge_open(merge_in *ins, char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ins[i].path = paths[i];
        ins[i].r = kev_cli_trace_open("merge", paths[i], 0);
        if (ins[i].r == NULL)
            return KEV_EXIT_INPUT;
        bool be = kev_trace_meta_get(ins[i].r)->big_endian;
        if (be != kev_trace_meta_get(ins[0].r)->big_endian) {
            kev_cli_error("merge",
                          "%s: records are %s-endian, %s's %s-endian: cannot merge",
                          paths[i], be ? "big" : "little", paths[0], be ? "little" : "big");
            return KEV_EXIT_INPUT;
        }
    }
    return KEV_EXIT_OK;
}

static int merge(int argc, char **argv)
{
    const char *out = NULL;
    const kev_cli_opt opts[] = {{"-o", &out, NULL, NULL}};
    int nargs, prc = kev_cli_parse("merge", argc, argv, opts, 1, merge_usage, &nargs);
    if (prc != 0)
        return prc > 0 ? KEV_EXIT_OK : KEV_EXIT_USAGE;
    if (nargs == 0 || out == NULL) {
        kev_cli_error("merge", "%s; see kevrr help merge",
                      nargs == 0 ? "no trace given" : "no output: -o OUT");
        return KEV_EXIT_USAGE;
    }
    size_t n = (size_t)nargs;
    if (kev_cli_out_not_input("merge", out, argv + 1, n) != 0)
        return KEV_EXIT_USAGE;
    merge_in *ins = calloc(n, sizeof *ins);
    if (ins == NULL) {
        kev_cli_error("merge", "out of memory");
        return KEV_EXIT_INTERNAL;
    }
    int exit_code = merge_open(ins, argv + 1, n);
    kev_cli_out o;
    if (exit_code == KEV_EXIT_OK && (exit_code = kev_cli_out_open(&o, "merge", out)) == 0) {
        exit_code = merge_write(ins, n, o.f, out);
        int close_code = kev_cli_out_close(&o, "merge", exit_code == KEV_EXIT_OK);
        exit_code = exit_code ? exit_code : close_code;
    }
    for (size_t i = 0; i < n; i++)
        kev_trace_close(ins[i].r);
    free(ins);
    return exit_code;
}

const kev_cmd kev_cmd_merge = {"merge", merge, "merge traces by timestamp into one",
                               merge_usage};
