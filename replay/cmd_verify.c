/*
 * cmd_verify.c: `kevrr verify`: reads each trace to its end, checking every
 * member's CRC and size and every block's framing, and says in one line
 * per trace whether it is whole or where and why it is not. With
 * --salvage it also reads past the damage, as the salvaging reader does,
 * and reports what could be recovered.
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"

static const char verify_usage[] =
    "usage: kevrr verify [--salvage] TRACE...\n"
    "\n"
    "Read each TRACE ('-' reads stdin) to its end and print one line per\n"
    "trace: 'TRACE: whole: ...' or where and why it is not whole.\n"
    "\n"
    "options:\n"
    "  --salvage    read past damage and report the records recovered and\n"
    "               the members skipped\n"
    "  -h, --help   this help\n"
    "\n"
    "exit status: 0 every trace whole, 1 a trace not whole (damaged or cut\n"
    "short), 2 usage, 3 a trace could not be opened or read.\n";

/* What one pass over a trace found. */
typedef struct verify_count {
    uint64_t records, lost; /* lost: indexes missing between records */
    uint64_t next;          /* the index the next record should have */
} verify_count;

static const char *plural(uint64_t n)
{
    return n == 1 ? "" : "s";
}

static void count_all(kev_trace_reader *r, verify_count *c)
{
    kev_trace_rec rec;
    while (kev_trace_next(r, &rec) > 0) {
        c->records++;
        if (rec.index > c->next)
            c->lost += rec.index - c->next;
        c->next = rec.index + 1;
    }
}

/* The line for a trace that opened; returns its exit code. */
static int verify_report(const char *path, kev_trace_reader *r, bool salvage,
                         kev_strbuf *out)
{
    verify_count c = {0, 0, 0};
    uint64_t skipped;
    count_all(r, &c);
    const kev_trace_damage *d = kev_trace_end(r, &skipped);
    kev_strbuf_addf(out, "%s: ", path);
    if (d->status == KEV_TS_OK && skipped == 0) {
        kev_strbuf_addf(out, "whole: %" PRIu64 " record%s", c.records, plural(c.records));
        kev_cli_container_count(r, out);
        kev_strbuf_addc(out, '\n');
        return KEV_EXIT_OK;
    }
    kev_cli_damage_text(d, out);
    if (salvage)
        kev_strbuf_addf(out,
                        "; salvage: %" PRIu64 " record%s recovered (%" PRIu64
                        " lost between them), %" PRIu64 " member%s skipped",
                        c.records, plural(c.records), c.lost, skipped, plural(skipped));
    kev_strbuf_addc(out, '\n');
    return d->status == KEV_TS_IO ? KEV_EXIT_INPUT : KEV_EXIT_NOT_WHOLE;
}

static int verify_one(const char *path, bool salvage)
{
    int err;
    kev_trace_damage d;
    kev_strbuf out = KEV_STRBUF_INIT;
    int exit_code;
    kev_trace_reader *r = kev_trace_open(path, salvage ? KEV_TRACE_SALVAGE : 0, &err, &d);
    if (r != NULL) {
        exit_code = verify_report(path, r, salvage, &out);
    } else if (d.status == KEV_TS_IO || err == KEV_ENOMEM) {
        /* Not a verdict on the trace: it could not be read at all. */
        kev_cli_error("verify", "%s", err == KEV_ENOMEM ? "out of memory" : d.message);
        exit_code = KEV_EXIT_INPUT;
    } else {
        kev_strbuf_addf(&out, "%s: ", path);
        kev_cli_damage_text(&d, &out);
        kev_strbuf_adds(&out, salvage ? "; salvage: nothing recovered\n" : "\n");
        exit_code = KEV_EXIT_NOT_WHOLE;
    }
    (void)kev_cli_fwrite(stdout, out.p, out.len);
    kev_strbuf_free(&out);
    kev_trace_close(r);
    return exit_code;
}

static int verify(int argc, char **argv)
{
    bool salvage = false;
    const kev_cli_opt opts[] = {{"--salvage", NULL, &salvage, NULL}};
    int nargs, prc = kev_cli_parse("verify", argc, argv, opts, 1, verify_usage, &nargs);
    if (prc != 0)
        return prc > 0 ? KEV_EXIT_OK : KEV_EXIT_USAGE;
    if (nargs == 0) {
        kev_cli_error("verify", "no trace given; see kevrr help verify");
        return KEV_EXIT_USAGE;
    }
    int exit_code = KEV_EXIT_OK;
    for (int i = 1; i <= nargs; i++) {
        int rc = verify_one(argv[i], salvage);
        exit_code = rc > exit_code ? rc : exit_code;
    }
    if (kev_cli_stream_close("verify", stdout, "standard output") != KEV_EXIT_OK)
        return KEV_EXIT_INTERNAL;
    return exit_code;
}

const kev_cmd kev_cmd_verify = {"verify", verify,
                                "check that traces are whole; say where not", verify_usage};
