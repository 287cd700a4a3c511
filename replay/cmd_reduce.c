/*
 * cmd_reduce.c: `kevrr reduce`: shrinks a trace while a predicate
 * (predicate.h) stays true, by delta debugging (Zeller's ddmin) in three
 * passes: over the batches (their order and times kept), over the records
 * of each remaining batch (split with the strict framing of kev_wire_next,
 * never inside a record; what is not well framed stays one opaque tail),
 * then over the bytes of each batch (cutting its end, removing ranges,
 * zeroing ranges). The passes repeat until a round changes nothing.
 *
 * Every candidate is a list of records held in memory and replayed from a
 * fresh world; only a candidate on which the predicate holds is adopted,
 * so the current one always satisfies it and the result is a valid trace
 * with the input's metadata and snapshot. Nothing depends on the clock:
 * the same input, predicate and options give the same result. The number
 * of evaluations is capped (--max-tests); at the cap the best candidate so
 * far is written.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "predicate.h"

static const char reduce_usage[] =
    "usage: kevrr reduce TRACE -o SMALL --until 'PREDICATE' [OPTIONS]\n"
    "\n"
    "Reduce TRACE to a smaller trace on which PREDICATE still holds, by delta\n"
    "debugging over batches (order and times kept), then over the records of\n"
    "each batch, then over bytes (cutting the end, removing ranges, zeroing).\n"
    "SMALL has TRACE's metadata and snapshot; its comment gets 'reduced from\n"
    "TRACE by kevrr reduce: PREDICATE'. The result is deterministic.\n"
    "\n"
    KEV_PRED_HELP
    "\n"
    "options:\n"
    "  -o SMALL          the trace to write ('-': standard output)\n"
    "  --until PRED      the predicate to keep true (required)\n"
    "  --max-tests N     stop after N evaluations (default 20000)\n"
    "  --profile P       hardened, v888 or v963 (default: v963 for defect,\n"
    "                    hardened otherwise)\n"
    "  --ilp32           emulate 32-bit (i386) arithmetic and layouts\n"
    "  --recv-buffer N   receive buffer size, 24..65536\n"
    "  --verbose         configd's verbose mode (logEvent on size failures)\n"
    "  -h, --help        this help\n"
    "\n"
    "exit status: 0 done, 1 TRACE does not satisfy PREDICATE, 2 usage, 3 TRACE\n"
    "or GOLDEN unreadable, 5 output error.\n";

/* What a test answers: the predicate holds or not; anything else (the cap,
 * a negative KEV_E* code) stops the reduction. */
enum { TEST_FALSE = 0, TEST_TRUE = 1, TEST_CAP = 2 };

/* Evaluations between two progress lines on a terminal. */
#define REDUCE_PROGRESS_EVERY 64u

/* One record of a batch being reduced: bytes [off, off + len). */
typedef struct chunk {
    size_t off, len;
} chunk;

typedef struct reducer {
    kev_pred_eval *ev;
    kev_trace_rec *cur;         /* the candidate: true under the predicate */
    uint8_t **own;              /* per record: bytes reduce made, or NULL */
    size_t n;                   /* records in the candidate */
    const kev_trace_rec **view; /* the candidate being tried */
    size_t *idx, *tmp;          /* ddmin's lists (room for `room` entries) */
    chunk *chunks;              /* the records of the batch being reduced */
    uint8_t *buf, *work;        /* batches being tried and reduced */
    uint64_t max_tests;
    uint64_t adopted; /* candidates adopted */
    const char *phase;
    bool progress; /* stderr is a terminal */
} reducer;

/* Sizes for the summary. */
typedef struct counts {
    size_t batches, records, bytes;
} counts;

static void count(const kev_trace_rec *recs, size_t n, counts *c)
{
    memset(c, 0, sizeof *c);
    c->batches = n;
    for (size_t i = 0; i < n; i++) {
        c->records += kev_pred_count_records(recs[i].data, recs[i].caplen);
        c->bytes += recs[i].caplen;
    }
}

/* Shows where the reduction is, on a terminal only. */
static void progress(const reducer *rd)
{
    uint64_t k = kev_pred_eval_count(rd->ev);
    if (!rd->progress || k % REDUCE_PROGRESS_EVERY != 0)
        return;
    counts c;
    count(rd->cur, rd->n, &c);
    fprintf(stderr, "\rkevrr reduce: %-8s %zu batches, %zu bytes, %" PRIu64 " evaluations ",
            rd->phase, c.batches, c.bytes, k);
    fflush(stderr);
}

/* Evaluates view[0..n): TEST_TRUE, TEST_FALSE, TEST_CAP or a KEV_E* code. */
static int try_view(reducer *rd, size_t n)
{
    if (kev_pred_eval_count(rd->ev) >= rd->max_tests)
        return TEST_CAP;
    int rc = kev_pred_eval_run(rd->ev, rd->view, n, true);
    progress(rd);
    rd->adopted += rc == TEST_TRUE;
    return rc;
}

/* Evaluates the candidate with batch `b`'s bytes replaced by data[0..len). */
static int try_batch(reducer *rd, size_t b, const uint8_t *data, size_t len)
{
    kev_trace_rec r = rd->cur[b];
    r.data = len ? data : NULL;
    r.caplen = r.origlen = (uint32_t)len;
    for (size_t i = 0; i < rd->n; i++)
        rd->view[i] = i == b ? &r : &rd->cur[i];
    return try_view(rd, rd->n);
}

/* Adopts data[0..len) as batch `b`'s bytes (copied; its true length is
 * now its length). 0 or KEV_ENOMEM. */
static int set_batch(reducer *rd, size_t b, const uint8_t *data, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    if (p == NULL)
        return KEV_ENOMEM;
    if (len > 0)
        memcpy(p, data, len);
    free(rd->own[b]);
    rd->own[b] = p;
    rd->cur[b].data = len ? p : NULL;
    rd->cur[b].caplen = rd->cur[b].origlen = (uint32_t)len;
    return 0;
}

/* ---------------------------------------------------------------- ddmin */

/* A ddmin test: does the predicate hold with the elements idx[0..n)? */
typedef int (*dd_test)(void *ctx, const size_t *idx, size_t n);

/* One ddmin round at `*parts` parts: each part alone, then (with more
 * than two) each complement. Adopts the first that holds into idx[0..*n)
 * and returns TEST_TRUE; TEST_FALSE when none does; or a stop code. */
static int dd_round(size_t *idx, size_t *n, size_t *tmp, size_t *parts, dd_test test,
                    void *ctx)
{
    size_t m = *n, p = *parts;
    for (int pass = 0; pass < 2 && (pass == 0 || p > 2); pass++) {
        for (size_t k = 0; k < p; k++) {
            size_t a = k * m / p, b = (k + 1) * m / p, len = pass ? m - (b - a) : b - a;
            if (len == 0 || len == m)
                continue;
            if (pass == 0) {
                memcpy(tmp, idx + a, len * sizeof *tmp);
            } else {
                memcpy(tmp, idx, a * sizeof *tmp);
                memcpy(tmp + a, idx + b, (m - b) * sizeof *tmp);
            }
            int rc = test(ctx, tmp, len);
            if (rc == TEST_FALSE)
                continue;
            if (rc != TEST_TRUE)
                return rc;
            memcpy(idx, tmp, len * sizeof *idx);
            *n = len;
            *parts = pass == 0 || p <= 3 ? 2 : p - 1;
            return TEST_TRUE;
        }
    }
    return TEST_FALSE;
}

/* Reduces idx[0..*n) (in order) to a 1-minimal list on which `test` holds,
 * the whole list holding to begin with. idx[0..*n) always holds, even when
 * a stop code is returned. Returns TEST_FALSE (done) or the stop code. */
static int ddmin(size_t *idx, size_t *n, size_t *tmp, dd_test test, void *ctx)
{
    size_t parts = 2;
    while (*n >= 2) {
        int rc = dd_round(idx, n, tmp, &parts, test, ctx);
        if (rc == TEST_TRUE)
            continue;
        if (rc != TEST_FALSE)
            return rc;
        if (parts >= *n)
            break;
        parts = parts * 2 < *n ? parts * 2 : *n;
    }
    return TEST_FALSE;
}

/* ------------------------------------------------------- pass 1: batches */

/* The candidate made of the records idx[0..n). */
static int test_records(void *ctx, const size_t *idx, size_t n)
{
    reducer *rd = ctx;
    for (size_t i = 0; i < n; i++)
        rd->view[i] = &rd->cur[idx[i]];
    return try_view(rd, n);
}

/* Keeps the records idx[0..m) (ascending), frees the others' bytes. */
static void keep_records(reducer *rd, const size_t *idx, size_t m)
{
    size_t k = 0;
    for (size_t i = 0; i < rd->n; i++) {
        if (k < m && idx[k] == i) {
            rd->cur[k] = rd->cur[i];
            rd->own[k++] = rd->own[i];
        } else {
            free(rd->own[i]);
        }
    }
    rd->n = m;
}

/* Pass 1: the empty trace first, then ddmin over the batches. */
static int reduce_batches(reducer *rd)
{
    size_t m = rd->n;
    rd->phase = "batches";
    for (size_t i = 0; i < m; i++)
        rd->idx[i] = i;
    int rc = m ? test_records(rd, rd->idx, 0) : TEST_FALSE;
    if (rc == TEST_TRUE)
        m = 0;
    else if (rc == TEST_FALSE)
        rc = ddmin(rd->idx, &m, rd->tmp, test_records, rd);
    keep_records(rd, rd->idx, m);
    return rc == TEST_TRUE ? TEST_FALSE : rc;
}

/* ------------------------------------------------------- pass 2: records */

/* Splits data[0..len) into its well-framed records and an opaque tail;
 * returns the number of chunks. */
static size_t split_records(const uint8_t *data, size_t len, chunk *out)
{
    size_t pos = 0, off, n = 0;
    kev_msg_header h;
    while (kev_wire_next(data, len, &pos, &off, &h) > 0)
        out[n++] = (chunk){off, pos - off};
    if (pos < len)
        out[n++] = (chunk){pos, len - pos};
    return n;
}

/* What test_chunks needs: the batch and its chunks. */
typedef struct chunk_test {
    reducer *rd;
    size_t b;
} chunk_test;

/* Joins the chunks idx[0..n) of batch `b` into rd->buf; their length. */
static size_t join_chunks(reducer *rd, size_t b, const size_t *idx, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        const chunk *c = &rd->chunks[idx[i]];
        memcpy(rd->buf + len, rd->cur[b].data + c->off, c->len);
        len += c->len;
    }
    return len;
}

static int test_chunks(void *ctx, const size_t *idx, size_t n)
{
    chunk_test *ct = ctx;
    size_t len = join_chunks(ct->rd, ct->b, idx, n);
    return try_batch(ct->rd, ct->b, ct->rd->buf, len);
}

/* Pass 2 on batch `b`: the empty batch first, then ddmin over records. */
static int reduce_records(reducer *rd, size_t b)
{
    const kev_trace_rec *r = &rd->cur[b];
    if (r->kind != KEV_TR_BATCH || r->caplen == 0)
        return TEST_FALSE;
    rd->phase = "records";
    size_t n = split_records(r->data, r->caplen, rd->chunks), m = n;
    int rc = try_batch(rd, b, NULL, 0);
    if (rc == TEST_TRUE)
        return set_batch(rd, b, NULL, 0);
    for (size_t i = 0; i < n; i++)
        rd->idx[i] = i;
    chunk_test ct = {rd, b};
    if (rc == TEST_FALSE)
        rc = ddmin(rd->idx, &m, rd->tmp, test_chunks, &ct);
    if (m < n) {
        size_t len = join_chunks(rd, b, rd->idx, m);
        int src = set_batch(rd, b, rd->buf, len);
        rc = src != 0 ? src : rc;
    }
    return rc;
}

/* --------------------------------------------------------- pass 3: bytes */

/* The largest power of two at most `n` (n > 0), or 0. */
static size_t pow2_floor(size_t n)
{
    size_t k = 1;
    while (n > 0 && k <= n / 2)
        k *= 2;
    return n ? k : 0;
}

/* Cuts rd->work[0..*len) from the end, k bytes at a time for halving k. */
static int cut_end(reducer *rd, size_t b, size_t *len)
{
    int rc = TEST_FALSE;
    for (size_t k = pow2_floor(*len); k > 0; k /= 2) {
        while (*len >= k && (rc = try_batch(rd, b, rd->work, *len - k)) == TEST_TRUE)
            *len -= k;
        if (rc != TEST_FALSE)
            return rc;
    }
    return rc;
}

/* Removes ranges of k bytes from rd->work[0..*len), for halving k. */
static int remove_ranges(reducer *rd, size_t b, size_t *len)
{
    for (size_t k = pow2_floor(*len); k > 0; k /= 2) {
        for (size_t i = 0; i + k <= *len;) {
            memcpy(rd->buf, rd->work, i);
            memcpy(rd->buf + i, rd->work + i + k, *len - i - k);
            int rc = try_batch(rd, b, rd->buf, *len - k);
            if (rc == TEST_TRUE) {
                memmove(rd->work + i, rd->work + i + k, *len - i - k);
                *len -= k;
            } else if (rc == TEST_FALSE) {
                i += k;
            } else {
                return rc;
            }
        }
    }
    return TEST_FALSE;
}

/* Is p[0..n) all zero? */
static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return false;
    return true;
}

/* Zeroes ranges of k bytes of rd->work[0..*lenp), for halving k. */
static int zero_ranges(reducer *rd, size_t b, size_t *lenp)
{
    size_t len = *lenp;
    for (size_t k = pow2_floor(len); k > 0; k /= 2) {
        for (size_t i = 0; i < len; i += k) {
            size_t n = len - i < k ? len - i : k;
            if (all_zero(rd->work + i, n))
                continue;
            memcpy(rd->buf, rd->work, len);
            memset(rd->buf + i, 0, n);
            int rc = try_batch(rd, b, rd->buf, len);
            if (rc == TEST_TRUE)
                memset(rd->work + i, 0, n);
            else if (rc != TEST_FALSE)
                return rc;
        }
    }
    return TEST_FALSE;
}

/* The byte passes, in order. */
typedef int (*byte_pass)(reducer *rd, size_t b, size_t *len);
static const byte_pass byte_passes[] = {cut_end, remove_ranges, zero_ranges};
#define N_BYTE_PASSES (sizeof byte_passes / sizeof byte_passes[0])

/* Pass 3 on batch `b`: its end, then ranges, then zeroes, each adopted
 * as it ends (so that progress shows it). */
static int reduce_bytes(reducer *rd, size_t b)
{
    const kev_trace_rec *r = &rd->cur[b];
    if (r->kind != KEV_TR_BATCH || r->caplen == 0)
        return TEST_FALSE;
    rd->phase = "bytes";
    size_t len = r->caplen;
    memcpy(rd->work, r->data, len);
    int rc = TEST_FALSE;
    for (size_t k = 0; rc == TEST_FALSE && k < N_BYTE_PASSES; k++) {
        uint64_t before = rd->adopted;
        rc = byte_passes[k](rd, b, &len);
        int src = rd->adopted != before ? set_batch(rd, b, rd->work, len) : 0;
        rc = src != 0 ? src : rc;
    }
    return rc;
}

/* ------------------------------------------------------------- driver */

/* The passes, repeated until a round adopts nothing. TEST_FALSE when done,
 * else the stop code. */
static int reduce_all(reducer *rd)
{
    int rc = TEST_FALSE;
    for (uint64_t before = UINT64_MAX; rc == TEST_FALSE && before != rd->adopted;) {
        before = rd->adopted;
        rc = reduce_batches(rd);
        for (size_t b = 0; rc == TEST_FALSE && b < rd->n; b++)
            rc = reduce_records(rd, b);
        for (size_t b = 0; rc == TEST_FALSE && b < rd->n; b++)
            rc = reduce_bytes(rd, b);
    }
    if (rd->progress)
        fprintf(stderr, "\r%79s\r", "");
    return rc;
}

/* Sets up the reducer on the loaded trace. 0 or KEV_ENOMEM. */
static int reducer_init(reducer *rd, const kev_pred_trace *t)
{
    size_t maxlen = 1;
    for (size_t i = 0; i < t->n; i++)
        maxlen = t->recs[i].caplen > maxlen ? t->recs[i].caplen : maxlen;
    size_t room = maxlen / KEV_MSG_HEADER_SIZE + 1;
    room = t->n > room ? t->n : room;
    size_t n = t->n ? t->n : 1;
    rd->cur = malloc(n * sizeof *rd->cur);
    rd->own = calloc(n, sizeof *rd->own);
    rd->view = malloc(n * sizeof *rd->view);
    rd->idx = malloc(room * sizeof *rd->idx);
    rd->tmp = malloc(room * sizeof *rd->tmp);
    rd->chunks = malloc(room * sizeof *rd->chunks);
    rd->buf = malloc(maxlen);
    rd->work = malloc(maxlen);
    if (!rd->cur || !rd->own || !rd->view || !rd->idx || !rd->tmp || !rd->chunks ||
        !rd->buf || !rd->work)
        return KEV_ENOMEM;
    if (t->n > 0)
        memcpy(rd->cur, t->recs, t->n * sizeof *rd->cur);
    rd->n = t->n;
    return 0;
}

static void reducer_free(reducer *rd)
{
    for (size_t i = 0; rd->own != NULL && i < rd->n; i++)
        free(rd->own[i]);
    free(rd->cur);
    free(rd->own);
    free(rd->view);
    free(rd->idx);
    free(rd->tmp);
    free(rd->chunks);
    free(rd->buf);
    free(rd->work);
}

/* -------------------------------------------------------------- output */

/* Writes the candidate to `f`: the input's metadata, the comment saying
 * where it came from. Returns 0 or a KEV_E* code. */
static int write_small(const reducer *rd, const kev_trace_meta *in, const char *path,
                       const char *until, FILE *f)
{
    kev_trace_meta m = *in;
    kev_strbuf comment = KEV_STRBUF_INIT;
    kev_cli_comment_begin(&comment, m.comment);
    kev_strbuf_addf(&comment, "reduced from %s by kevrr reduce: %s", path, until);
    m.comment = kev_strbuf_str(&comment);
    int rc = comment.err;
    kev_trace_writer *w = rc ? NULL : kev_trace_writer_open(f, &m, &rc);
    uint64_t stop = rd->n ? rd->cur[rd->n - 1].t_ns : m.start_ns;
    for (size_t i = 0; w != NULL && i < rd->n; i++)
        if (kev_cli_trace_copy(w, &rd->cur[i]) != 0)
            break; /* the close reports it */
    if (w != NULL)
        rc = kev_trace_writer_close(w, stop);
    kev_strbuf_free(&comment);
    return rc;
}

/* Writes SMALL. Returns the exit code. */
static int reduce_output(const reducer *rd, const kev_pred_trace *t, const char *path,
                         const char *out, const char *until)
{
    kev_cli_out o;
    int exit_code = kev_cli_out_open(&o, "reduce", out);
    if (exit_code != 0)
        return exit_code;
    int rc = write_small(rd, kev_trace_meta_get(t->r), path, until, o.f);
    if (rc != 0)
        kev_cli_error("reduce", "%s: %s", out, kev_strerror(rc));
    exit_code = kev_cli_out_close(&o, "reduce", rc == 0);
    return rc != 0 ? KEV_EXIT_INTERNAL : exit_code;
}

/* The summary: sizes before and after, evaluations used. */
static void summary(const reducer *rd, const kev_pred_trace *t, const char *path,
                    const char *out, const kev_world_opts *o, int rc, FILE *f)
{
    counts a, b;
    count(t->recs, t->n, &a);
    count(rd->cur, rd->n, &b);
    fprintf(f, "reduced: %s -> %s (profile %s%s)\n", path, out,
            kev_profile_name(o->profile), o->ilp32 ? ", ilp32" : "");
    fprintf(f, "batches: %zu -> %zu\n", a.batches, b.batches);
    fprintf(f, "records: %zu -> %zu\n", a.records, b.records);
    fprintf(f, "bytes: %zu -> %zu\n", a.bytes, b.bytes);
    fprintf(f, "evaluations: %" PRIu64 " of at most %" PRIu64 "%s\n",
            kev_pred_eval_count(rd->ev), rd->max_tests,
            rc == TEST_CAP ? " (cap reached: the result may not be minimal)" : "");
}

/* Says why an evaluation failed; the exit code. */
static int eval_error(const kev_pred *p, int rc)
{
    if (rc == KEV_EIO) {
        kev_cli_error("reduce", "%s: read error", kev_pred_find(p, KEV_PRED_DIVERGES)->golden);
        return KEV_EXIT_INPUT;
    }
    kev_cli_error("reduce", "replay: %s", kev_strerror(rc));
    return KEV_EXIT_INTERNAL;
}

/* Checks the whole trace, reduces it, writes SMALL and the summary. */
static int reduce_run(reducer *rd, const kev_pred_trace *t, const kev_pred *p,
                      const kev_pred_cli *c, const kev_world_opts *o, const char *path,
                      const char *out)
{
    for (size_t i = 0; i < t->n; i++)
        rd->view[i] = &t->recs[i];
    int rc = kev_pred_eval_run(rd->ev, rd->view, t->n, true);
    if (rc == TEST_FALSE)
        kev_cli_error("reduce", "%s does not satisfy '%s' (profile %s): nothing to reduce",
                      path, c->until, kev_profile_name(o->profile));
    if (rc != TEST_TRUE)
        return rc == TEST_FALSE ? KEV_EXIT_DIVERGED : eval_error(p, rc);
    rc = reduce_all(rd);
    if (rc < 0)
        return eval_error(p, rc);
    int exit_code = reduce_output(rd, t, path, out, c->until);
    if (exit_code == 0)
        summary(rd, t, path, out, o, rc, strcmp(out, "-") == 0 ? stderr : stdout);
    return exit_code;
}

/* Loads TRACE, opens the evaluator and reduces. */
static int reduce_trace(const char *path, const char *out, const kev_pred_cli *c,
                        kev_pred *p, const kev_world_opts *o, uint64_t max_tests)
{
    kev_pred_trace t;
    reducer rd;
    memset(&rd, 0, sizeof rd);
    rd.max_tests = max_tests;
    rd.progress = isatty(STDERR_FILENO) == 1;
    int exit_code = kev_pred_trace_load("reduce", path, &t);
    if (exit_code == 0)
        exit_code =
            kev_pred_eval_open("reduce", path, p, o, kev_trace_meta_get(t.r), &rd.ev);
    if (exit_code == 0 && reducer_init(&rd, &t) != 0) {
        kev_cli_error("reduce", "out of memory");
        exit_code = KEV_EXIT_INTERNAL;
    }
    if (exit_code == 0)
        exit_code = reduce_run(&rd, &t, p, c, o, path, out);
    kev_pred_eval_close(rd.ev);
    reducer_free(&rd);
    kev_pred_trace_free(&t);
    return exit_code;
}

static int reduce(int argc, char **argv)
{
    const char *out = NULL, *max = NULL;
    kev_pred_cli c;
    memset(&c, 0, sizeof c);
    kev_cli_opt opts[2 + KEV_PRED_CLI_OPTS] = {{"-o", &out, NULL, NULL},
                                               {"--max-tests", &max, NULL, NULL}};
    kev_pred_cli_opts(&c, opts + 2);
    int nargs, prc = kev_cli_parse("reduce", argc, argv, opts, sizeof opts / sizeof opts[0],
                                   reduce_usage, &nargs);
    if (prc != 0)
        return prc > 0 ? KEV_EXIT_OK : KEV_EXIT_USAGE;
    uint64_t max_tests = KEV_PRED_DEFAULT_TESTS;
    if (kev_cli_opt_u64("reduce", "--max-tests", max, &max_tests) != 0)
        return KEV_EXIT_USAGE;
    if (nargs != 1 || out == NULL || max_tests == 0) {
        kev_cli_error("reduce", "%s; see kevrr help reduce",
                      nargs != 1    ? "give exactly one trace"
                      : out == NULL ? "no output: -o SMALL"
                                    : "--max-tests must be at least 1");
        return KEV_EXIT_USAGE;
    }
    kev_pred p;
    kev_world_opts o;
    int exit_code = kev_pred_cli_setup("reduce", &c, &p, &o);
    if (exit_code == 0)
        exit_code = reduce_trace(argv[1], out, &c, &p, &o, max_tests);
    kev_pred_free(&p);
    return exit_code;
}

const kev_cmd kev_cmd_reduce = {
    "reduce", reduce, "shrink a trace while a predicate stays true", reduce_usage};
