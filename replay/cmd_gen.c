/*
 * cmd_gen.c: `kevrr gen`: compiles a scenario (docs/scenario.md) into a
 * trace (docs/trace-format.md): the kernel lines become the snapshot, each
 * batch an Enhanced Packet Block at its time, each `error` a failed recv().
 * The output depends on nothing but the scenario and the options (no host
 * name, no clock), so the same scenario always gives the same bytes. The
 * scenario is compiled twice: once to check it, so that an error leaves
 * no output at all (not even on standard output), then to write.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kevrr/scenario.h"

static const char gen_usage[] =
    "usage: kevrr gen [OPTIONS] SCENARIO -o TRACE\n"
    "\n"
    "Compile SCENARIO (docs/scenario.md; '-' reads stdin) into a trace\n"
    "(docs/trace-format.md). The output is byte-identical for the same\n"
    "scenario and options.\n"
    "\n"
    "options:\n"
    "  -o TRACE         the trace to write ('-': standard output)\n"
    "  --source TEXT    the trace's source (default: gen:BASENAME)\n"
    "  --comment TEXT   a comment for the trace\n"
    "  -h, --help       this help\n"
    "\n"
    "exit status: 0 done, 2 usage, 3 unreadable or invalid scenario,\n"
    "5 output error.\n";

/* What the writing pass carries from item to item. */
typedef struct gen_ctx {
    FILE *f;
    kev_trace_meta meta;
    char *snapshot; /* a copy of the snapshot item, for the writer to open with */
    kev_trace_writer *w;
    uint64_t last_ns;
    int err;
} gen_ctx;

/* The checking pass: the scenario must also fit a trace. */
static int check_item(void *ctx, const kev_scn_item *it)
{
    kev_strbuf *err = ctx;
    if (it->kind == KEV_SCN_SNAPSHOT && it->len > KEV_TRACE_MAX_SNAPSHOT) {
        kev_strbuf_addf(err,
                        "line %u: kernel: snapshot of %zu bytes exceeds the cap of %u "
                        "(KEV_TRACE_MAX_SNAPSHOT)",
                        it->line, it->len, KEV_TRACE_MAX_SNAPSHOT);
        return KEV_ETOOBIG;
    }
    return 0;
}

/* Opens the writer once the start time (the first item's) is known. */
static int gen_open(gen_ctx *g, uint64_t start_ns)
{
    g->meta.start_ns = start_ns;
    g->meta.snapshot = g->snapshot;
    g->w = kev_trace_writer_open(g->f, &g->meta, &g->err);
    return g->w ? 0 : g->err;
}

static int gen_item(void *ctx, const kev_scn_item *it)
{
    gen_ctx *g = ctx;
    g->last_ns = it->t_ns;
    if (it->kind == KEV_SCN_SNAPSHOT) {
        /* The snapshot comes just before the first record, at its time. */
        g->snapshot = malloc(it->len ? it->len : 1);
        if (g->snapshot == NULL)
            return KEV_ENOMEM;
        memcpy(g->snapshot, it->bytes, it->len);
        g->meta.snapshot_len = it->len;
        return gen_open(g, it->t_ns);
    }
    int rc = g->w ? 0 : gen_open(g, it->t_ns);
    if (rc)
        return rc;
    if (it->kind == KEV_SCN_ERROR)
        return kev_trace_write_error(g->w, it->t_ns, it->err, it->err_name);
    /* A scenario batch is at most KEV_MAX_BATCH bytes: it fits a u32. */
    return kev_trace_write_batch(g->w, it->t_ns, it->bytes, (uint32_t)it->len,
                                 (uint32_t)it->len);
}

/* Appends the default source: "gen:" and the scenario's file name. */
static void default_source(kev_strbuf *sb, const char *input)
{
    const char *slash = strrchr(input, '/');
    const char *base = strcmp(input, "-") == 0 ? "stdin" : slash ? slash + 1 : input;
    kev_strbuf_addf(sb, "gen:%s", base);
}

/* Writes the trace of an already checked scenario to `f`. 0 or KEV_E*. */
static int gen_write(FILE *f, const char *text, size_t len, const char *source,
                     const char *comment)
{
    gen_ctx g;
    memset(&g, 0, sizeof g);
    g.f = f;
    g.meta.source = source;
    g.meta.os = "kevrr gen";
    g.meta.tool = "kevrr " KEVRR_VERSION_STRING;
    g.meta.comment = comment;
    g.last_ns = KEV_SCENARIO_T0_NS; /* an empty scenario: its clock's start */
    int rc = kev_scenario_compile(text, len, gen_item, &g, NULL);
    if (rc == 0 && g.w == NULL)
        rc = gen_open(&g, g.last_ns);
    if (rc == 0)
        rc = kev_cli_trace_close(g.w, g.last_ns);
    else
        kev_trace_writer_abandon(g.w);
    free(g.snapshot);
    return rc;
}

/* Compiles the scenario once, writing nothing, to check it. Returns 0 or
 * a KEV_E* code with "line N: ..." in `err`. */
static int gen_compile_check(const char *text, size_t len, kev_strbuf *err)
{
    int rc = kev_scenario_compile(text, len, check_item, err, err);
    if (rc != 0 && err->len == 0)
        kev_strbuf_adds(err, kev_strerror(rc));
    return rc;
}

/* The check, as gen's exit code, after printing "kevrr gen: FILE: line N:
 * ..." on an error. */
static int gen_check(const char *input, const char *text, size_t len)
{
    kev_strbuf err = KEV_STRBUF_INIT;
    int rc = gen_compile_check(text, len, &err);
    if (rc != 0)
        kev_cli_error("gen", "%s: %s", input, kev_strbuf_str(&err));
    kev_strbuf_free(&err);
    return rc == 0 ? KEV_EXIT_OK : rc == KEV_ENOMEM ? KEV_EXIT_INTERNAL : KEV_EXIT_INPUT;
}

int kev_gen_trace(FILE *f, const char *text, size_t len, const char *source,
                  kev_strbuf *err, bool *scenario_error)
{
    int rc = gen_compile_check(text, len, err);
    *scenario_error = rc != 0 && rc != KEV_ENOMEM;
    return rc ? rc : gen_write(f, text, len, source, NULL);
}

/* Writes the trace of a checked scenario to OUT. Returns the exit code. */
static int gen_output(const char *out, const char *text, size_t len, const char *source,
                      const char *comment)
{
    kev_cli_out o;
    int exit_code = kev_cli_out_open(&o, "gen", out);
    if (exit_code != KEV_EXIT_OK)
        return exit_code;
    int rc = gen_write(o.f, text, len, source, comment);
    if (rc != 0)
        kev_cli_error("gen", "cannot write %s: %s", kev_cli_out_name(out),
                      kev_cli_write_strerror(rc));
    exit_code = kev_cli_out_close(&o, "gen", rc == 0);
    return rc != 0 ? KEV_EXIT_INTERNAL : exit_code;
}

static int gen(int argc, char **argv)
{
    const char *out = NULL, *source = NULL, *comment = NULL;
    const kev_cli_opt opts[] = {{"-o", &out, NULL, NULL},
                                {"--source", &source, NULL, NULL},
                                {"--comment", &comment, NULL, NULL}};
    int nargs, prc = kev_cli_parse("gen", argc, argv, opts, 3, gen_usage, &nargs);
    if (prc != 0)
        return prc > 0 ? KEV_EXIT_OK : KEV_EXIT_USAGE;
    if (nargs != 1 || out == NULL) {
        kev_cli_error("gen", "%s; see kevrr help gen",
                      nargs != 1 ? "give exactly one scenario" : "no output: -o TRACE");
        return KEV_EXIT_USAGE;
    }
    if (kev_cli_out_not_input("gen", out, argv + 1, 1) != 0)
        return KEV_EXIT_USAGE;
    size_t len;
    kev_strbuf why = KEV_STRBUF_INIT;
    char *text = kev_cli_read_file(argv[1], KEV_SCENARIO_MAX_TEXT, &len, &why);
    if (text == NULL)
        kev_cli_error("gen", "%s", why.err ? "out of memory" : kev_strbuf_str(&why));
    kev_strbuf_free(&why);
    if (text == NULL)
        return KEV_EXIT_INPUT;
    if (kev_cli_scenario_check("gen", argv[1], text, len) != 0) {
        free(text);
        return KEV_EXIT_INPUT;
    }
    kev_strbuf dflt = KEV_STRBUF_INIT;
    if (source == NULL)
        default_source(&dflt, argv[1]);
    int exit_code = dflt.err ? KEV_EXIT_INTERNAL : gen_check(argv[1], text, len);
    if (exit_code == KEV_EXIT_OK)
        exit_code =
            gen_output(out, text, len, source ? source : kev_strbuf_str(&dflt), comment);
    kev_strbuf_free(&dflt);
    free(text);
    return exit_code;
}

const kev_cmd kev_cmd_gen = {"gen", gen, "compile a scenario into a trace", gen_usage};
