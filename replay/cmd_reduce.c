/*
 * cmd_reduce.c: `kevrr reduce`: shrinks a trace while a predicate
 * (predicate.h) stays true. On a long trace it first narrows to the window
 * that matters: the shortest prefix on which the predicate holds (a binary
 * search, as bisect does), then the latest start of a window before its
 * end that still makes it hold, the window starting from the simulated
 * kernel's state at its first batch (its snapshot, as `kevrr cut --from`
 * writes it: configd starting there). Then delta debugging (Zeller's
 * ddmin) in three passes: over the batches (their order and times kept),
 * over the records of each remaining batch (split with the strict framing
 * of kev_wire_next, never inside a record; what is not well framed stays
 * one opaque tail), then over the bytes of each batch (cutting its end,
 * removing ranges, zeroing ranges). The passes repeat until a round
 * changes nothing.
 *
 * Every candidate is a list of records held in memory and replayed from a
 * fresh world; only a candidate on which the predicate holds is adopted,
 * so the current one always satisfies it and the result is a valid trace
 * with the input's metadata and snapshot (or the window's). Without a time
 * budget nothing depends on the clock: the same input, predicate and
 * options give the same result. The evaluations are capped (--max-tests),
 * the time too (--max-time), and SIGINT or SIGTERM stop the reduction: the
 * best candidate so far is written and the summary says why it stopped.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "predicate.h"

static const char reduce_usage[] =
    "usage: kevrr reduce TRACE -o SMALL --predicate 'PREDICATE' [OPTIONS]\n"
    "\n"
    "Reduce TRACE to a smaller trace on which PREDICATE still holds: first the\n"
    "window that matters (the shortest prefix where it holds, then the latest\n"
    "start before its end that keeps it, starting from the kernel's state\n"
    "there), then delta debugging over batches (order and times kept), over the\n"
    "records of each batch, over bytes (cutting the end, removing ranges,\n"
    "zeroing). SMALL has TRACE's metadata and snapshot (a window's: the kernel\n"
    "at its start); its comment gets 'reduced from TRACE by kevrr reduce:\n"
    "PREDICATE'. Deterministic, but for --max-time. Progress on stderr (current\n"
    "size, evaluations per second). SIGINT or SIGTERM: SMALL gets the smallest\n"
    "trace found so far, and the summary says so.\n"
    "\n"
    KEV_PRED_HELP
    "\n"
    "options:\n"
    "  -o SMALL          the trace to write ('-': standard output)\n"
    "  --predicate PRED  the predicate to keep true (required; --until is its\n"
    "                    deprecated spelling)\n"
    "  --max-tests N     stop after N evaluations (default 20000)\n"
    "  --max-time T      stop after T (60, 60s, 500ms, 2.5s): the smallest trace\n"
    "                    found by then is written\n"
    "  --no-window       no narrowing to a window: keep TRACE's snapshot\n"
    "  -q, --quiet       no progress\n"
    "  --profile P       @PROFILES@ (default: v963 for defect,\n"
    "                    hardened otherwise)\n"
    "  --ilp32           emulate 32-bit (i386) arithmetic and layouts\n"
    "  --recv-buffer N   receive buffer size, 24..65536\n"
    "  --verbose         configd's verbose mode (logEvent on size failures)\n"
    "  -h, --help        this help\n"
    "\n"
    "exit status: 0 done, 1 TRACE does not satisfy PREDICATE, 2 usage, 3 TRACE\n"
    "or GOLDEN unreadable, 5 output error.\n";

/* What a test answers: the predicate holds or not; anything else (the cap,
 * the time budget, a signal, a negative KEV_E* code) stops the reduction. */
enum { TEST_FALSE = 0, TEST_TRUE = 1, TEST_CAP = 2, TEST_TIME = 3, TEST_SIGNAL = 4 };

/* Progress: redrawn on a terminal at most every REDUCE_TTY_MS; elsewhere a
 * line per phase and at most one every REDUCE_LOG_MS. */
#define REDUCE_TTY_MS 200u
#define REDUCE_LOG_MS 5000u
/* Windows are looked for only in traces at least this long. */
#define REDUCE_WINDOW_MIN 4u

/* The signal that stopped the reduction (SIGINT, SIGTERM), or 0. */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

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
    bool quiet, tty;       /* no progress; stderr is a terminal */
    uint64_t max_time_ns;  /* 0: no budget */
    uint64_t t_start, t_last;
    uint64_t tests_last;   /* evaluations at the last progress line */
    const char *phase_shown;
    const kev_pred_trace *t;
    const char *path;
    size_t orig_batches;   /* batches in TRACE */
    kev_strbuf snap;       /* a window's snapshot, once narrowed past batch 0 */
    bool windowed;
    uint64_t win_from, win_to; /* the window's first and last record index */
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

/* The monotonic clock in ns (progress and --max-time only). */
static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Shows where the reduction is: the phase, the current size, the
 * evaluations and their rate. On a terminal the line is redrawn; elsewhere
 * a line is printed when the phase changes, and at most every 5 s. */
static void progress(reducer *rd, bool force)
{
    if (rd->quiet)
        return;
    uint64_t t = now_ns(), k = kev_pred_eval_count(rd->ev);
    bool new_phase = rd->phase != rd->phase_shown;
    uint64_t every = (rd->tty ? REDUCE_TTY_MS : REDUCE_LOG_MS) * 1000000ull;
    if (!force && !(new_phase && !rd->tty) && t - rd->t_last < every)
        return;
    double dt = (double)(t - rd->t_last) / 1e9;
    double rate = dt > 0 ? (double)(k - rd->tests_last) / dt : 0;
    if (new_phase || t - rd->t_start < 1000000ull)
        rate = (double)k / ((double)(t - rd->t_start) / 1e9 + 1e-9);
    counts c;
    count(rd->cur, rd->n, &c);
    fprintf(stderr, "%skevrr reduce: %-8s %zu batches, %zu bytes; %" PRIu64
            " evaluations, %.0f/s%s",
            rd->tty ? "\r" : "", rd->phase, c.batches, c.bytes, k, rate,
            rd->tty ? "   " : "\n");
    fflush(stderr);
    rd->t_last = t;
    rd->tests_last = k;
    rd->phase_shown = rd->phase;
}

/* Why the reduction must stop before the next evaluation, or TEST_FALSE. */
static int must_stop(const reducer *rd)
{
    if (stop_signal != 0)
        return TEST_SIGNAL;
    if (kev_pred_eval_count(rd->ev) >= rd->max_tests)
        return TEST_CAP;
    if (rd->max_time_ns && now_ns() - rd->t_start >= rd->max_time_ns)
        return TEST_TIME;
    return TEST_FALSE;
}

/* Evaluates view[0..n): TEST_TRUE, TEST_FALSE, a stop code or a KEV_E*
 * code. */
static int try_view(reducer *rd, size_t n)
{
    int stop = must_stop(rd);
    if (stop != TEST_FALSE)
        return stop;
    int rc = kev_pred_eval_run(rd->ev, rd->view, n, true);
    progress(rd, false);
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

/* ------------------------------------------------------- pass 0: window */

/* The candidate made of the records cur[a..b]. */
static int test_range(reducer *rd, size_t a, size_t b)
{
    for (size_t i = a; i <= b; i++)
        rd->view[i - a] = &rd->cur[i];
    return try_view(rd, b - a + 1);
}

/* The snapshot of the simulated kernel before cur[s] (cur still being the
 * trace from its start): TRACE's snapshot and the events of cur[0..s), as
 * the core applies them whatever the profile. 0 or a KEV_E* code. */
static int kernel_before(const reducer *rd, size_t s, kev_strbuf *out)
{
    const kev_trace_meta *m = kev_trace_meta_get(rd->t->r);
    kev_kernel *k = kev_kernel_new();
    if (k == NULL)
        return KEV_ENOMEM;
    int rc = m->snapshot ? kev_kernel_load_text(k, m->snapshot, m->snapshot_len, NULL) : 0;
    for (size_t i = 0; rc == 0 && i < s; i++) {
        const kev_trace_rec *r = &rd->cur[i];
        if (r->kind == KEV_TR_BATCH)
            kev_kernel_apply_batch(k, r->data,
                                   r->caplen < KEV_MAX_BATCH ? r->caplen : KEV_MAX_BATCH);
    }
    kev_strbuf_clear(out);
    kev_strbuf_addf(out, "# source: kernel state before batch %" PRIu64 " of ", rd->cur[s].index);
    for (const char *c = rd->path; *c; c++)
        kev_strbuf_addc(out, *c >= 0x20 && *c < 0x7f ? *c : '?');
    kev_strbuf_adds(out, " (kevrr reduce)\n");
    kev_kernel_format(k, out);
    kev_kernel_free(k);
    return rc != 0 ? rc : out->err;
}

/* Keeps cur[a..b] (nothing of cur is owned yet). */
static void keep_range(reducer *rd, size_t a, size_t b)
{
    memmove(rd->cur, rd->cur + a, (b - a + 1) * sizeof *rd->cur);
    rd->n = b - a + 1;
}

/* The shortest prefix cur[0..end] on which the predicate holds, by binary
 * search (the whole holds). TEST_FALSE, or a stop code. */
static int narrow_prefix(reducer *rd)
{
    size_t lo = 0, hi = rd->n - 1;
    rd->phase = "prefix";
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int rc = test_range(rd, 0, mid);
        if (rc == TEST_TRUE)
            hi = mid; /* [0..hi] held: adopting it keeps the candidate true */
        else if (rc == TEST_FALSE)
            lo = mid + 1;
        else
            return rc;
    }
    keep_range(rd, 0, hi);
    return TEST_FALSE;
}

/* The latest start s of a window cur[s..end] on which the predicate holds
 * when it starts from the kernel's state before s; then whether TRACE's
 * own snapshot does as well (the smaller input). TEST_FALSE, or a stop
 * code; the candidate (and its snapshot) are adopted as found. */
static int narrow_start(reducer *rd)
{
    size_t lo = 0, hi = rd->n - 1, end = rd->n - 1;
    kev_strbuf probe = KEV_STRBUF_INIT;
    int rc = TEST_FALSE;
    rd->phase = "window";
    while (lo < hi && (rc == TEST_FALSE || rc == TEST_TRUE)) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if ((rc = kernel_before(rd, mid, &probe)) != 0)
            break;
        kev_pred_eval_set_snapshot(rd->ev, probe.p, probe.len);
        rc = test_range(rd, mid, end);
        if (rc == TEST_TRUE) {
            kev_strbuf tmp = rd->snap;
            rd->snap = probe;
            probe = tmp;
            lo = mid;
        } else if (rc == TEST_FALSE) {
            hi = mid - 1;
        }
    }
    const kev_trace_meta *m = kev_trace_meta_get(rd->t->r);
    if (lo > 0 && (rc == TEST_FALSE || rc == TEST_TRUE)) {
        /* A window needs its state only if TRACE's snapshot will not do. */
        kev_pred_eval_set_snapshot(rd->ev, m->snapshot, m->snapshot_len);
        rc = test_range(rd, lo, end);
        rd->windowed = rc != TEST_TRUE;
        rd->win_from = rd->cur[lo].index;
        rd->win_to = rd->cur[end].index;
        keep_range(rd, lo, end);
    }
    if (rd->windowed)
        kev_pred_eval_set_snapshot(rd->ev, rd->snap.p, rd->snap.len);
    else
        kev_pred_eval_set_snapshot(rd->ev, m->snapshot, m->snapshot_len);
    kev_strbuf_free(&probe);
    return rc == TEST_TRUE ? TEST_FALSE : rc;
}

/* Pass 0: the window that matters, on a trace long enough. */
static int narrow(reducer *rd)
{
    if (rd->n < REDUCE_WINDOW_MIN)
        return TEST_FALSE;
    int rc = narrow_prefix(rd);
    return rc == TEST_FALSE && rd->n >= 2 ? narrow_start(rd) : rc;
}

/* ------------------------------------------------------------- driver */

/* The window, then the passes, repeated until a round adopts nothing.
 * TEST_FALSE when done, else the stop code. */
static int reduce_all(reducer *rd, bool window)
{
    int rc = window ? narrow(rd) : TEST_FALSE;
    for (uint64_t before = UINT64_MAX; rc == TEST_FALSE && before != rd->adopted;) {
        before = rd->adopted;
        rc = reduce_batches(rd);
        for (size_t b = 0; rc == TEST_FALSE && b < rd->n; b++)
            rc = reduce_records(rd, b);
        for (size_t b = 0; rc == TEST_FALSE && b < rd->n; b++)
            rc = reduce_bytes(rd, b);
    }
    if (!rd->quiet && rd->tty)
        fprintf(stderr, "\r%100s\r", "");
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
    kev_strbuf_free(&rd->snap);
}

/* -------------------------------------------------------------- output */

/* Writes the candidate to `f`: the input's metadata, the comment saying
 * where it came from. Returns 0 or a KEV_E* code. */
static int write_small(const reducer *rd, const kev_trace_meta *in, const char *path,
                       const char *until, FILE *f)
{
    kev_trace_meta m = *in;
    if (rd->windowed) {
        m.snapshot = rd->snap.p;
        m.snapshot_len = rd->snap.len;
    }
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

/* Why the reduction stopped early, for the summary's last line. */
static const char *stop_note(int rc)
{
    switch (rc) {
    case TEST_CAP:
        return " (cap reached: the result may not be minimal)";
    case TEST_TIME:
        return " (time budget reached: the result may not be minimal)";
    case TEST_SIGNAL:
        return stop_signal == SIGTERM ? " (interrupted by SIGTERM: the smallest trace found "
                                        "so far; it may not be minimal)"
                                      : " (interrupted by SIGINT: the smallest trace found "
                                        "so far; it may not be minimal)";
    default:
        return "";
    }
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
    if (rd->windowed)
        fprintf(f, "window: batches %" PRIu64 "..%" PRIu64 ", from the kernel's state before "
                   "batch %" PRIu64 " (the snapshot)\n",
                rd->win_from, rd->win_to, rd->win_from);
    fprintf(f, "batches: %zu -> %zu\n", a.batches, b.batches);
    fprintf(f, "records: %zu -> %zu\n", a.records, b.records);
    fprintf(f, "bytes: %zu -> %zu\n", a.bytes, b.bytes);
    double secs = (double)(now_ns() - rd->t_start) / 1e9;
    fprintf(f, "evaluations: %" PRIu64 " of at most %" PRIu64 "%s\n",
            kev_pred_eval_count(rd->ev), rd->max_tests, stop_note(rc));
    if (!rd->quiet)
        fprintf(stderr, "kevrr reduce: %" PRIu64 " evaluations in %.1f s (%.0f/s)\n",
                kev_pred_eval_count(rd->ev), secs,
                secs > 0 ? (double)kev_pred_eval_count(rd->ev) / secs : 0.0);
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

/* SIGINT and SIGTERM stop the reduction (the best so far is written). */
static void catch_signals(bool on)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on ? on_signal : SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Checks the whole trace, reduces it, writes SMALL and the summary. */
static int reduce_run(reducer *rd, const kev_pred_trace *t, const kev_pred *p,
                      const kev_pred_cli *c, const kev_world_opts *o, const char *path,
                      const char *out, bool window)
{
    for (size_t i = 0; i < t->n; i++)
        rd->view[i] = &t->recs[i];
    int rc = kev_pred_eval_run(rd->ev, rd->view, t->n, true);
    if (rc == TEST_FALSE)
        kev_cli_error("reduce", "%s does not satisfy '%s' (profile %s): nothing to reduce",
                      path, c->until, kev_profile_name(o->profile));
    if (rc != TEST_TRUE)
        return rc == TEST_FALSE ? KEV_EXIT_DIVERGED : eval_error(p, rc);
    rc = reduce_all(rd, window);
    if (rc < 0)
        return eval_error(p, rc);
    if (rc == TEST_SIGNAL && !rd->quiet)
        kev_cli_error("reduce", "%s: writing the smallest trace found so far to %s",
                      stop_signal == SIGTERM ? "SIGTERM" : "SIGINT", out);
    int exit_code = reduce_output(rd, t, path, out, c->until);
    if (exit_code == 0)
        summary(rd, t, path, out, o, rc, strcmp(out, "-") == 0 ? stderr : stdout);
    return exit_code;
}

/* What the command line asks of the reduction beyond the predicate. */
typedef struct reduce_opts {
    uint64_t max_tests, max_time_ns;
    bool quiet, no_window;
} reduce_opts;

/* Loads TRACE, opens the evaluator and reduces. */
static int reduce_trace(const char *path, const char *out, const kev_pred_cli *c,
                        kev_pred *p, const kev_world_opts *o, const reduce_opts *ro)
{
    kev_pred_trace t;
    reducer rd;
    memset(&rd, 0, sizeof rd);
    rd.max_tests = ro->max_tests;
    rd.max_time_ns = ro->max_time_ns;
    rd.quiet = ro->quiet;
    rd.tty = isatty(STDERR_FILENO) == 1;
    rd.path = path;
    rd.t = &t;
    rd.t_start = rd.t_last = now_ns();
    int exit_code = kev_pred_trace_load("reduce", path, &t);
    if (exit_code == 0)
        exit_code =
            kev_pred_eval_open("reduce", path, p, o, kev_trace_meta_get(t.r), &rd.ev);
    if (exit_code == 0 && reducer_init(&rd, &t) != 0) {
        kev_cli_error("reduce", "out of memory");
        exit_code = KEV_EXIT_INTERNAL;
    }
    if (exit_code == 0) {
        stop_signal = 0;
        catch_signals(true);
        exit_code = reduce_run(&rd, &t, p, c, o, path, out, !ro->no_window);
        catch_signals(false);
    }
    kev_pred_eval_close(rd.ev);
    reducer_free(&rd);
    kev_pred_trace_free(&t);
    return exit_code;
}

/* --max-time T: seconds ("60", "2.5") or a duration with a unit ("500ms",
 * "60s"). 0 or -1 after a message. */
static int parse_max_time(const char *v, uint64_t *ns)
{
    char buf[64];
    bool rel;
    size_t n = v ? strlen(v) : 0;
    if (v == NULL)
        return 0;
    bool unit = n > 0 && (v[n - 1] < '0' || v[n - 1] > '9');
    if (n == 0 || n > 40 || v[0] == '+' ||
        snprintf(buf, sizeof buf, "+%s%s", v, unit ? "" : "s") < 0 ||
        kev_cli_parse_time(buf, ns, &rel) != 0 || *ns == 0) {
        kev_cli_error("reduce", "--max-time '%s' is not a duration (60, 60s, 500ms)", v);
        return -1;
    }
    return 0;
}

static int reduce(int argc, char **argv)
{
    const char *out = NULL, *max = NULL, *max_time = NULL;
    kev_pred_cli c;
    reduce_opts ro = {KEV_PRED_DEFAULT_TESTS, 0, false, false};
    memset(&c, 0, sizeof c);
    kev_cli_opt opts[6 + KEV_PRED_CLI_OPTS] = {{"-o", &out, NULL, NULL},
                                               {"--max-tests", &max, NULL, NULL},
                                               {"--max-time", &max_time, NULL, NULL},
                                               {"--no-window", NULL, &ro.no_window, NULL},
                                               {"-q", NULL, &ro.quiet, NULL},
                                               {"--quiet", NULL, &ro.quiet, NULL}};
    kev_pred_cli_opts(&c, opts + 6);
    int nargs, prc = kev_cli_parse("reduce", argc, argv, opts, sizeof opts / sizeof opts[0],
                                   reduce_usage, &nargs);
    if (prc != 0)
        return prc > 0 ? KEV_EXIT_OK : KEV_EXIT_USAGE;
    if (kev_cli_opt_u64("reduce", "--max-tests", max, &ro.max_tests) != 0 ||
        parse_max_time(max_time, &ro.max_time_ns) != 0)
        return KEV_EXIT_USAGE;
    if (nargs != 1 || out == NULL || ro.max_tests == 0) {
        kev_cli_error("reduce", "%s; see kevrr help reduce",
                      nargs != 1    ? "give exactly one trace"
                      : out == NULL ? "no output: -o SMALL"
                                    : "--max-tests must be at least 1");
        return KEV_EXIT_USAGE;
    }
    if (kev_cli_out_not_input("reduce", out, argv + 1, 1) != 0)
        return KEV_EXIT_USAGE;
    kev_pred p;
    kev_world_opts o;
    int exit_code = kev_pred_cli_setup("reduce", &c, &p, &o);
    if (exit_code == 0)
        exit_code = reduce_trace(argv[1], out, &c, &p, &o, &ro);
    kev_pred_free(&p);
    return exit_code;
}

const kev_cmd kev_cmd_reduce = {
    "reduce", reduce, "shrink a trace while a predicate stays true", reduce_usage};
