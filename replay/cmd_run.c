/*
 * cmd_run.c: `kevrr run`: compiles a scenario (docs/scenario.md) and feeds
 * its batches into the core, printing the report. It is `kevrr replay` on
 * the trace `kevrr gen` makes of the scenario: the scenario is compiled
 * into an unnamed temporary trace and handed to replay's engine
 * (replay.h), so run takes replay's options (profiles, ranges, --step,
 * --format, --expect, -o, JUnit) and prints the same bytes.
 */
#define _POSIX_C_SOURCE 200809L /* fileno */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kevrr/scenario.h"
#include "replay.h"

static const char run_usage[] =
    "usage: kevrr run [OPTIONS] SCENARIO\n"
    "\n"
    "Compile SCENARIO (docs/scenario.md; '-' reads stdin) and feed each batch\n"
    "into the event-processing core with the simulated kernel and store, then\n"
    "print the report (docs/report-format.md): the report kevrr replay prints\n"
    "for the trace kevrr gen makes of SCENARIO, with the same options.\n"
    "\n"
    "core:\n"
    "  --profile P|LIST|all  the core's profile: @PROFILES@\n"
    "                     (default: hardened); several, comma-separated, or\n"
    "                     all: the scenario is run under each, in turn\n"
    "  --ilp32            emulate 32-bit (i386) arithmetic and layouts\n"
    "  --recv-buffer N    receive buffer, 24..65536 (default: 65536 for hardened,\n"
    "                     1024 for @FAITHFUL@)\n"
    "  --verbose          configd's verbose mode (logEvent on size failures)\n"
    "range (X: a batch index from 0, a Unix time with a '.', or +DURATION):\n"
    "  --from X, --to X   report batches [X, Y) (the earlier ones are fed)\n"
    "  --step             after each batch, list the store (\"state after\")\n"
    "  --drift            end with the keys whose value the kernel contradicts\n"
    "  --drift-each       --drift, and the keys that start or stop drifting\n"
    "                     after each batch\n"
    "output:\n"
    "  -o FILE            write the report to FILE ('-': stdout, the default);\n"
    "                     --report is its deprecated spelling\n"
    "  --format F         text (default) or json: one object per report line\n"
    "  --expect GOLDEN    compare the report with GOLDEN\n"
    "  --expect-dir DIR   compare with DIR/NAME.PROFILE.report\n"
    "  --update           write the golden instead of comparing\n"
    "  --junit FILE       write a JUnit XML file\n"
    "  --fail-on-defect   exit 4 when a defect is reported\n"
    "  -q, --quiet        no progress bar, no \"matches\" or \"updated\" lines\n"
    "  -h, --help         this help\n"
    "\n"
    "exit status: 0 done (and as expected), 1 the report differs from its\n"
    "golden, 2 usage, 3 unreadable or invalid scenario (or golden), 4 a defect\n"
    "was reported (with --fail-on-defect), 5 output error.\n";

/* The scenario, compiled once into an unnamed temporary file. */
typedef struct run_src {
    FILE *trace;
    int fail_code;   /* the scenario was refused: the exit code, */
    kev_strbuf fail; /* and why (said again for each profile) */
} run_src;

/* Compiles the scenario at `path` into src->trace. 0, or the exit code
 * with `msg` saying why. */
static int compile(run_src *src, const char *path, kev_strbuf *msg)
{
    size_t len;
    char *text = kev_cli_read_file(path, KEV_SCENARIO_MAX_TEXT, &len, msg);
    if (text == NULL)
        return KEV_EXIT_INPUT;
    if (kev_cli_looks_like_trace(text, len)) {
        free(text);
        kev_strbuf_addf(msg, "%s: a trace, not a scenario: kevrr replay reads traces",
                        path);
        return KEV_EXIT_INPUT;
    }
    int code = KEV_EXIT_OK;
    bool scn_err = false;
    kev_strbuf err = KEV_STRBUF_INIT;
    src->trace = tmpfile();
    int rc =
        src->trace ? kev_gen_trace(src->trace, text, len, "run", &err, &scn_err) : KEV_EIO;
    if (src->trace == NULL) {
        kev_strbuf_addf(msg, "cannot create a temporary file: %s", strerror(errno));
        code = KEV_EXIT_INTERNAL;
    } else if (rc != 0 && scn_err) {
        kev_strbuf_addf(msg, "%s: %s", path, kev_strbuf_str(&err));
        code = KEV_EXIT_INPUT;
    } else if (rc != 0 || fflush(src->trace) != 0) {
        kev_strbuf_addf(msg, "cannot write a temporary file: %s",
                        kev_cli_write_strerror(rc ? rc : KEV_EIO));
        code = KEV_EXIT_INTERNAL;
    }
    kev_strbuf_free(&err);
    free(text);
    return code;
}

/* The engine's opener: the compiled scenario, from its start each time
 * (once per profile); the engine closes the reader. */
static kev_trace_reader *run_open(void *ctx, const char *path, unsigned flags, int *code,
                                  kev_strbuf *msg)
{
    run_src *src = ctx;
    if (src->fail_code == KEV_EXIT_OK && src->trace == NULL &&
        (src->fail_code = compile(src, path, &src->fail)) != KEV_EXIT_OK && src->trace) {
        fclose(src->trace); /* what a failed compilation left */
        src->trace = NULL;
    }
    if (src->fail_code != KEV_EXIT_OK) {
        kev_strbuf_adds(msg, kev_strbuf_str(&src->fail));
        *code = src->fail_code;
        return NULL;
    }
    int err;
    kev_trace_damage d = {0};
    kev_trace_reader *r = NULL;
    if (fseek(src->trace, 0, SEEK_SET) == 0)
        r = kev_trace_open_fd(fileno(src->trace), path, flags, &err, &d);
    if (r == NULL) {
        kev_strbuf_addf(msg, "%s: the compiled trace does not read back: %s", path,
                        d.message);
        *code = KEV_EXIT_INTERNAL;
    }
    return r;
}

static int run(int argc, char **argv)
{
    run_src ctx = {NULL, KEV_EXIT_OK, KEV_STRBUF_INIT};
    const kev_replay_src src = {"scenario", true, run_open, &ctx};
    int code = kev_replay_main("run", run_usage, &src, argc, argv);
    /* The engine closes each reader it opened; this one is the opener's. */
    if (ctx.trace)
        fclose(ctx.trace);
    kev_strbuf_free(&ctx.fail);
    return code;
}

const kev_cmd kev_cmd_run = {"run", run, "feed a scenario into the core and print the report",
                             run_usage};
