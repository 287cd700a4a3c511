/*
 * cmd_dump.c: `kevrr dump`: prints a trace batch by batch: a header line
 * (index, time, length, or the failed recv()), then each record decoded
 * field by field (kevrr/decode.h), optionally a hex dump of the batch; or
 * one JSON object per batch and line. It streams: one batch in memory. A
 * range of batches is reached by seeking, without inflating what lies
 * before it.
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"

static const char dump_usage[] =
    "usage: kevrr dump [OPTIONS] TRACE\n"
    "\n"
    "Print TRACE ('-' reads stdin) batch by batch: a header line (index, time\n"
    "as SECONDS.NANOS and ISO 8601 UTC, length, or the failed recv()), then\n"
    "each record decoded field by field.\n"
    "\n"
    "options:\n"
    "  --hex        add a hex dump of each batch\n"
    "  --json       one JSON object per batch, one per line\n"
    "  --from N     start at batch N (0-based; default 0)\n"
    "  --to M       stop before batch M (exclusive; default: the end)\n"
    "  -h, --help   this help\n"
    "\n"
    "exit status: 0 done, 2 usage, 3 unreadable trace, or damaged or cut\n"
    "short before --to (everything before the damage is printed).\n";

typedef struct dump_opts {
    bool hex, json;
    uint64_t from, to; /* [from, to) */
} dump_opts;

/* The records of a batch: text blocks, or the JSON array's elements. */
static void put_records(kev_strbuf *out, const kev_trace_rec *rec, bool json)
{
    kev_decoder d;
    kev_decoded r;
    kev_decode_init(&d, rec->data, rec->caplen, 0);
    for (unsigned n = 0; kev_decode_next(&d, &r) != 0; n++) {
        if (!json) {
            kev_decode_format_text(&r, out);
            continue;
        }
        if (n)
            kev_strbuf_addc(out, ',');
        kev_decode_format_json(&r, out);
        if (out->len && out->p[out->len - 1] == '\n')
            out->len--; /* kev_decode_format_json ends its object with one */
        if (out->p)
            out->p[out->len] = '\0';
    }
}

static void put_text(kev_strbuf *out, const kev_trace_rec *rec, bool hex)
{
    kev_cli_time t;
    kev_cli_time_format(rec->t_ns, &t);
    kev_strbuf_addf(out, "batch %" PRIu64 " at %s (%s): ", rec->index, t.secs, t.utc);
    if (rec->kind == KEV_TR_ERROR) {
        if (rec->err_name)
            kev_strbuf_addf(out, "recv() failed: %s (errno %d)\n", rec->err_name, rec->err);
        else
            kev_strbuf_addf(out, "recv() failed: errno %d\n", rec->err);
        return;
    }
    if (rec->origlen > rec->caplen)
        kev_strbuf_addf(out, "%" PRIu32 " of %" PRIu32 " bytes (truncated)\n", rec->caplen,
                        rec->origlen);
    else
        kev_strbuf_addf(out, "%" PRIu32 " bytes\n", rec->caplen);
    put_records(out, rec, false);
    if (hex)
        kev_decode_hexdump(rec->data, rec->caplen, 0, out);
}

static void put_json(kev_strbuf *out, const kev_trace_rec *rec, bool hex)
{
    kev_cli_time t;
    kev_cli_time_format(rec->t_ns, &t);
    kev_strbuf_addf(out,
                    "{\"type\":\"%s\",\"index\":%" PRIu64 ",\"t_ns\":%" PRIu64
                    ",\"time\":\"%s\",\"utc\":\"%s\"",
                    rec->kind == KEV_TR_ERROR ? "error" : "batch", rec->index, rec->t_ns,
                    t.secs, t.utc);
    if (rec->kind == KEV_TR_ERROR) {
        kev_strbuf_addf(out, ",\"errno\":%d,\"name\":", rec->err);
        kev_cli_escape(out, rec->err_name, rec->err_name ? strlen(rec->err_name) : 0, true);
        kev_strbuf_adds(out, "}\n");
        return;
    }
    kev_strbuf_addf(out, ",\"caplen\":%" PRIu32 ",\"origlen\":%" PRIu32 ",\"records\":[",
                    rec->caplen, rec->origlen);
    put_records(out, rec, true);
    kev_strbuf_adds(out, "]");
    if (hex) {
        kev_strbuf_adds(out, ",\"hex\":\"");
        for (uint32_t i = 0; i < rec->caplen; i++)
            kev_strbuf_addf(out, "%02x", rec->data[i]);
        kev_strbuf_adds(out, "\"");
    }
    kev_strbuf_adds(out, "}\n");
}

/* Positions the reader at --from: a seek, or reading on for standard
 * input, which cannot seek. Returns 1 when there is a record to dump in
 * *rec, 0 at the end, a negative KEV_E* code on damage. */
static int dump_start(kev_trace_reader *r, uint64_t from, kev_trace_rec *rec)
{
    if (from > 0) {
        int rc = kev_trace_seek_batch(r, from);
        if (rc == KEV_ENOENT)
            return 0;
        if (rc != 0 && rc != KEV_EINVAL)
            return rc;
    }
    int rc;
    while ((rc = kev_trace_next(r, rec)) > 0 && rec->index < from)
        ;
    return rc;
}

static int dump_trace(kev_trace_reader *r, const dump_opts *o, const char *path)
{
    kev_strbuf out = KEV_STRBUF_INIT;
    kev_trace_rec rec;
    int rc;
    for (rc = dump_start(r, o->from, &rec); rc > 0 && rec.index < o->to;
         rc = kev_trace_next(r, &rec)) {
        kev_strbuf_clear(&out);
        (o->json ? put_json : put_text)(&out, &rec, o->hex);
        if (out.err || fwrite(out.p, 1, out.len, stdout) != out.len) {
            kev_cli_error("dump", "%s",
                          out.err ? "out of memory" : "error writing the dump");
            kev_strbuf_free(&out);
            return KEV_EXIT_INTERNAL;
        }
    }
    kev_strbuf_free(&out);
    if (rc > 0) /* stopped at --to: what follows is not our business */
        return KEV_EXIT_OK;
    if (rc < 0 && kev_trace_end(r, NULL)->status == KEV_TS_OK) {
        kev_cli_error("dump", "%s: seek to batch %" PRIu64 ": %s", path, o->from,
                      kev_strerror(rc));
        return KEV_EXIT_INPUT;
    }
    return kev_cli_trace_end_ok("dump", path, r) &&
                   kev_trace_end(r, NULL)->status == KEV_TS_OK
               ? KEV_EXIT_OK
               : KEV_EXIT_INPUT;
}

static int dump(int argc, char **argv)
{
    dump_opts o = {false, false, 0, UINT64_MAX};
    const char *from = NULL, *to = NULL;
    const kev_cli_opt opts[] = {{"--hex", NULL, &o.hex, NULL},
                                {"--json", NULL, &o.json, NULL},
                                {"--from", &from, NULL, NULL},
                                {"--to", &to, NULL, NULL}};
    int nargs, prc = kev_cli_parse("dump", argc, argv, opts, 4, dump_usage, &nargs);
    if (prc != 0)
        return prc > 0 ? KEV_EXIT_OK : KEV_EXIT_USAGE;
    if (kev_cli_opt_u64("dump", "--from", from, &o.from) != 0 ||
        kev_cli_opt_u64("dump", "--to", to, &o.to) != 0)
        return KEV_EXIT_USAGE;
    if (nargs != 1) {
        kev_cli_error("dump", "give exactly one trace; see kevrr help dump");
        return KEV_EXIT_USAGE;
    }
    kev_trace_reader *r = kev_cli_trace_open("dump", argv[1], 0);
    if (r == NULL)
        return KEV_EXIT_INPUT;
    int exit_code = dump_trace(r, &o, argv[1]);
    kev_trace_close(r);
    if (fflush(stdout) != 0 && exit_code == KEV_EXIT_OK) {
        kev_cli_error("dump", "error writing the dump");
        exit_code = KEV_EXIT_INTERNAL;
    }
    return exit_code;
}

const kev_cmd kev_cmd_dump = {"dump", dump, "print a trace batch by batch, records decoded",
                              dump_usage};
