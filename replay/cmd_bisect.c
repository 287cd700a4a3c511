/*
 * cmd_bisect.c: `kevrr bisect`: the first batch at which a predicate
 * (predicate.h) becomes true, replaying prefixes [0..i] of the trace.
 *
 * It checks the whole trace first, then binary-searches the prefixes,
 * assuming the predicate is monotone (true on a prefix, true on every
 * longer one), and verifies the answer i with two fresh replays: prefix
 * [0..i-1] false, [0..i] true (the search saw them so; a replay that
 * answers otherwise is not deterministic, an internal error). Findings,
 * stopped batches and report lines only accumulate, so every predicate is
 * monotone except `contains` when it matches the final state, which can
 * come and go: bisect says so when that is where the text was found, or
 * when the whole trace does not contain it.
 *
 * A prefix is replayed as a trace of its own, final state included,
 * except for `diverges`: a prefix's final state is not the whole trace's,
 * so a prefix diverges when the lines its batches wrote differ from the
 * golden's.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "predicate.h"

static const char bisect_usage[] =
    "usage: kevrr bisect TRACE --predicate 'PREDICATE' [OPTIONS]\n"
    "\n"
    "Print the first batch N at which PREDICATE becomes true when replaying\n"
    "the batches 0..N of TRACE: 'first batch: N (t=SECONDS)', after a line\n"
    "naming the profile used. Binary search, assuming the predicate stays true\n"
    "once true, then a check of N - 1 and N. A prefix is a trace of its own:\n"
    "state predicates look at its end. For diverges, a prefix diverges when the\n"
    "report lines its batches wrote differ from GOLDEN's (the final state is\n"
    "left out).\n"
    "\n"
    KEV_PRED_HELP
    "\n"
    "options:\n"
    "  --predicate PRED  the predicate (required; --until is its deprecated\n"
    "                    spelling)\n"
    "  --profile P       @PROFILES@ (default: v963 for defect,\n"
    "                    hardened otherwise)\n"
    "  --ilp32           emulate 32-bit (i386) arithmetic and layouts\n"
    "  --recv-buffer N   receive buffer size, 24..65536\n"
    "  --verbose         configd's verbose mode (logEvent on size failures)\n"
    "  -q, --quiet       no line naming the profile\n"
    "  -h, --help        this help\n"
    "\n"
    "exit status: 0 found, 1 PREDICATE is never true, 2 usage, 3 TRACE or\n"
    "GOLDEN unreadable, 5 internal error.\n";

typedef struct bisector {
    kev_pred_eval *ev;
    const kev_trace_rec **view; /* the whole trace, in order */
    size_t n;
    bool finish; /* prefixes are replayed with their final state */
    bool state;  /* the predicate looks at the state (not monotone) */
} bisector;

/* Is the predicate true on the prefix [0..i]? 1, 0 or a KEV_E* code. */
static int prefix_holds(const bisector *bs, size_t i)
{
    return kev_pred_eval_run(bs->ev, bs->view, i + 1, bs->finish);
}

/* Binary search for the first true prefix, the whole trace being true. */
static int search(const bisector *bs, size_t *first)
{
    size_t lo = 0, hi = bs->n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int rc = prefix_holds(bs, mid);
        if (rc < 0)
            return rc;
        if (rc)
            hi = mid;
        else
            lo = mid + 1;
    }
    *first = lo;
    return 0;
}

/* Replays [0..i-1] and [0..i] afresh: 1 when they say false and true,
 * 0 when not (the search saw them so: the replay is not deterministic). */
static int verify(const bisector *bs, size_t i)
{
    int before = i > 0 ? prefix_holds(bs, i - 1) : 0;
    if (before < 0)
        return before;
    int at = prefix_holds(bs, i);
    return at < 0 ? at : before == 0 && at == 1;
}

/* Finds and verifies the first batch; says when the answer is uncertain.
 * 0, or a negative KEV_E* code from a replay, or KEV_ERANGE when the
 * verification failed. */
static int bisect_find(const bisector *bs, size_t *first)
{
    int rc = search(bs, first);
    if (rc == 0)
        rc = verify(bs, *first);
    if (rc == 0) {
        kev_cli_error("bisect",
                      "prefixes 0..%zu and 0..%zu do not replay as false and true again: "
                      "the replay is not deterministic",
                      *first ? *first - 1 : 0, *first);
        return KEV_ERANGE;
    }
    if (rc == 1 && kev_pred_eval_in_final(bs->ev))
        kev_cli_error("bisect",
                      "the text is found in the final state, which can come and "
                      "go: batch %zu is where it turns true, perhaps not the first",
                      *first);
    else if (rc == 1 && bs->state)
        kev_cli_error("bisect",
                      "the predicate looks at the state, which can come and go: batch %zu "
                      "is where it turns true, perhaps not the first",
                      *first);
    return rc == 1 ? 0 : rc;
}

/* Says why an evaluation failed; the exit code. */
static int eval_error(const kev_pred *p, int rc)
{
    if (rc == KEV_EIO) {
        kev_cli_error("bisect", "%s: read error", kev_pred_find(p, KEV_PRED_DIVERGES)->golden);
        return KEV_EXIT_INPUT;
    }
    kev_cli_error("bisect", "replay: %s", kev_strerror(rc));
    return KEV_EXIT_INTERNAL;
}

/* Says why no batch makes the predicate true: exit 1 (or an error's). */
static int never(const bisector *bs, const kev_pred *p, const char *path, const char *until)
{
    const kev_pred *dv = kev_pred_find(p, KEV_PRED_DIVERGES);
    if (bs->n == 0) {
        kev_cli_error("bisect", "%s has no batches", path);
        return KEV_EXIT_DIVERGED;
    }
    kev_cli_error("bisect", "'%s' is not true on the whole of %s", until, path);
    if (kev_pred_find(p, KEV_PRED_CONTAINS) || !kev_pred_monotone(p))
        kev_cli_error("bisect",
                      "bisect assumes a predicate stays true once true; one about the "
                      "state or the final report may hold on a shorter prefix only");
    if (dv == NULL || p->kind != KEV_PRED_DIVERGES)
        return KEV_EXIT_DIVERGED;
    int rc = kev_pred_eval_run(bs->ev, bs->view, bs->n, true);
    if (rc == 1)
        kev_cli_error(
            "bisect",
            "the batches' lines match %s; the final state differs at line %" PRIu64,
            dv->golden, kev_pred_eval_diff_line(bs->ev));
    return rc < 0 ? eval_error(p, rc) : KEV_EXIT_DIVERGED;
}

/* The whole trace, then the search; prints the answer. */
static int bisect_run(bisector *bs, const kev_pred *p, const char *path, const char *until)
{
    int rc = bs->n ? prefix_holds(bs, bs->n - 1) : 0;
    if (rc == 0)
        return never(bs, p, path, until);
    size_t first = 0;
    if (rc > 0)
        rc = bisect_find(bs, &first);
    if (rc != 0) /* KEV_ERANGE: bisect_find said why */
        return rc == KEV_ERANGE ? KEV_EXIT_INTERNAL : eval_error(p, rc);
    kev_cli_time t;
    kev_cli_time_format(bs->view[first]->t_ns, &t);
    printf("first batch: %" PRIu64 " (t=%s)\n", bs->view[first]->index, t.secs);
    if (fflush(stdout) != 0) {
        kev_cli_error("bisect", "error writing to standard output");
        return KEV_EXIT_INTERNAL;
    }
    return KEV_EXIT_OK;
}

/* Loads TRACE, opens the evaluator and bisects. */
static int bisect_trace(const char *path, kev_pred *p, const kev_world_opts *o,
                        const char *until)
{
    kev_pred_trace t;
    bisector bs = {NULL, NULL, 0, p->kind != KEV_PRED_DIVERGES, false};
    bs.state = !kev_pred_monotone(p);
    int exit_code = kev_pred_trace_load("bisect", path, &t);
    if (exit_code == 0)
        exit_code =
            kev_pred_eval_open("bisect", path, p, o, kev_trace_meta_get(t.r), &bs.ev);
    if (exit_code == 0 && (bs.view = malloc((t.n ? t.n : 1) * sizeof *bs.view)) == NULL) {
        kev_cli_error("bisect", "out of memory");
        exit_code = KEV_EXIT_INTERNAL;
    }
    if (exit_code == 0) {
        for (size_t i = 0; i < t.n; i++)
            bs.view[i] = &t.recs[i];
        bs.n = t.n;
        exit_code = bisect_run(&bs, p, path, until);
    }
    free(bs.view);
    kev_pred_eval_close(bs.ev);
    kev_pred_trace_free(&t);
    return exit_code;
}

static int bisect(int argc, char **argv)
{
    kev_pred_cli c;
    bool quiet = false;
    memset(&c, 0, sizeof c);
    kev_cli_opt opts[KEV_PRED_CLI_OPTS + 2] = {{"-q", NULL, &quiet, NULL},
                                               {"--quiet", NULL, &quiet, NULL}};
    kev_pred_cli_opts(&c, opts + 2);
    int nargs, prc = kev_cli_parse("bisect", argc, argv, opts, KEV_PRED_CLI_OPTS + 2,
                                   bisect_usage, &nargs);
    if (prc != 0)
        return prc > 0 ? KEV_EXIT_OK : KEV_EXIT_USAGE;
    if (nargs != 1) {
        kev_cli_error("bisect", "give exactly one trace; see kevrr help bisect");
        return KEV_EXIT_USAGE;
    }
    kev_pred p;
    kev_world_opts o;
    int exit_code = kev_pred_cli_setup("bisect", &c, &p, &o);
    if (exit_code == 0 && !quiet)
        printf("bisect: %s with profile %s%s\n", argv[1], kev_profile_name(o.profile),
               c.profile ? "" : " (the default for this predicate; choose with --profile)");
    if (exit_code == 0)
        exit_code = bisect_trace(argv[1], &p, &o, c.until);
    kev_pred_free(&p);
    return exit_code;
}

const kev_cmd kev_cmd_bisect = {"bisect", bisect,
                                "find the first batch at which a predicate becomes true",
                                bisect_usage};
