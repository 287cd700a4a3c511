/*
 * cmd_run.c: `kevrr run`: compiles a scenario and feeds its batches
 * straight into the core, printing the report. It is the quickest way to
 * see what a profile does with a sequence of events, and the main job of
 * the quick start until traces exist.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kevrr/scenario.h"

static const char run_usage[] =
    "usage: kevrr run [OPTIONS] SCENARIO\n"
    "\n"
    "Compile SCENARIO (docs/scenario.md; '-' reads stdin) and feed each batch\n"
    "into the event-processing core with the simulated kernel and store, then\n"
    "print the report (docs/report-format.md).\n"
    "\n"
    "options:\n"
    "  --profile P        hardened (default), v888 or v963\n"
    "  --ilp32            emulate 32-bit (i386) arithmetic and layouts\n"
    "  --recv-buffer N    receive buffer size (default: 1024 for v888/v963,\n"
    "                     65536 for hardened)\n"
    "  --verbose          configd's verbose mode (logEvent on size failures)\n"
    "  --report FILE      write the report to FILE instead of stdout\n"
    "  --fail-on-defect   exit 4 when a defect is reported\n"
    "  -h, --help         this help\n"
    "\n"
    "exit status: 0 done, 2 usage, 3 unreadable or invalid scenario,\n"
    "4 defect reported (with --fail-on-defect), 5 output error.\n";

typedef struct run_opts {
    kev_world_opts world;
    const char *report;
    const char *input;
    bool fail_on_defect;
} run_opts;

/* Parses the options with the shared parser: 0, 1 after --help, -1 on a
 * usage error (already reported). */
static int parse_args(int argc, char **argv, run_opts *o)
{
    const char *profile = NULL, *recv_buffer = NULL;
    bool ilp32 = false, verbose = false;
    const kev_cli_opt opts[] = {{"--profile", &profile, NULL, NULL},
                                {"--recv-buffer", &recv_buffer, NULL, NULL},
                                {"--report", &o->report, NULL, NULL},
                                {"--ilp32", NULL, &ilp32, NULL},
                                {"--verbose", NULL, &verbose, NULL},
                                {"--fail-on-defect", NULL, &o->fail_on_defect, NULL}};
    int nargs, rc = kev_cli_parse("run", argc, argv, opts, sizeof opts / sizeof opts[0],
                                  run_usage, &nargs);
    if (rc != 0)
        return rc;
    kev_world_opts_init(&o->world);
    o->world.ilp32 = ilp32;
    o->world.verbose = verbose;
    if (profile && kev_profile_parse(profile, &o->world.profile) != 0) {
        kev_cli_error("run", "unknown profile '%s' (hardened, v888, v963)", profile);
        return -1;
    }
    uint64_t rb = 0;
    if (recv_buffer && (kev_cli_parse_u64(recv_buffer, &rb) != 0 ||
                        rb < KEV_MSG_HEADER_SIZE || rb > KEV_MAX_BATCH)) {
        kev_cli_error("run", "--recv-buffer '%s' is not in 24..65536", recv_buffer);
        return -1;
    }
    o->world.recv_buffer = (uint32_t)rb;
    if (nargs != 1) {
        kev_cli_error("run", nargs == 0 ? "no scenario given; see kevrr help run"
                                        : "one scenario only");
        return -1;
    }
    o->input = argv[1];
    return 0;
}

/* Feeds one compiled item into the world. */
static int feed_item(void *ctx, const kev_scn_item *it)
{
    kev_world *w = ctx;
    switch (it->kind) {
    case KEV_SCN_SNAPSHOT: {
        kev_strbuf err = KEV_STRBUF_INIT;
        int rc = kev_kernel_load_text(kev_world_kernel(w), (const char *)it->bytes,
                                      it->len, &err);
        if (rc != 0)
            kev_cli_error("run", "kernel snapshot: %s", kev_strbuf_str(&err));
        kev_strbuf_free(&err);
        return rc;
    }
    case KEV_SCN_BATCH:
        return kev_world_feed(w, it->bytes, it->len, it->t_ns);
    case KEV_SCN_ERROR:
        return kev_world_feed_error(w, it->err, it->err_name, it->t_ns);
    }
    return 0;
}

static int run(int argc, char **argv)
{
    run_opts o;
    memset(&o, 0, sizeof o);
    int prc = parse_args(argc, argv, &o);
    if (prc != 0)
        return prc > 0 ? KEV_EXIT_OK : KEV_EXIT_USAGE;
    size_t len;
    char *text = kev_cli_read_file(o.input, KEV_SCENARIO_MAX_TEXT, &len);
    if (text == NULL)
        return KEV_EXIT_INPUT;
    if (kev_cli_scenario_check("run", o.input, text, len) != 0) {
        free(text);
        return KEV_EXIT_INPUT;
    }
    kev_file_sink sink = {stdout, false};
    if (o.report && (sink.f = fopen(o.report, "w")) == NULL) {
        kev_cli_error("run", "cannot write %s", o.report);
        free(text);
        return KEV_EXIT_INTERNAL;
    }
    o.world.sink.write = kev_cli_file_write;
    o.world.sink.ctx = &sink;
    kev_world *w = kev_world_new(&o.world);
    int exit_code = KEV_EXIT_OK;
    kev_strbuf err = KEV_STRBUF_INIT;
    int rc = w ? kev_scenario_compile(text, len, feed_item, w, &err) : KEV_ENOMEM;
    if (rc != 0) {
        kev_cli_error("run", "%s: %s", o.input, err.len ? kev_strbuf_str(&err) : kev_strerror(rc));
        exit_code = rc == KEV_ENOMEM ? KEV_EXIT_INTERNAL : KEV_EXIT_INPUT;
    } else if (kev_world_finish(w) != 0) {
        exit_code = KEV_EXIT_INTERNAL;
    } else if (o.fail_on_defect && kev_world_stats_get(w)->defects > 0) {
        exit_code = KEV_EXIT_DEFECT;
    }
    if (o.report && fclose(sink.f) != 0)
        sink.failed = true;
    else if (!o.report && fflush(stdout) != 0)
        sink.failed = true;
    if (sink.failed && exit_code == KEV_EXIT_OK) {
        kev_cli_error("run", "error writing the report");
        exit_code = KEV_EXIT_INTERNAL;
    }
    kev_strbuf_free(&err);
    kev_world_free(w);
    free(text);
    return exit_code;
}

const kev_cmd kev_cmd_run = {"run", run, "feed a scenario into the core and print the report",
                             run_usage};
