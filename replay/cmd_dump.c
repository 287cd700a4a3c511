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
    "  --format F   text (default) or json: one JSON object per batch, one per\n"
    "               line (--json is the deprecated spelling)\n"
    "  --from X     start at batch X (default 0): a batch index from 0, a Unix\n"
    "               time with a '.' (the first batch at or after it), or\n"
    "               +DURATION after the first batch (+1.5s, +250ms)\n"
    "  --to X       stop before batch X (not included; default: the end)\n"
    "  -h, --help   this help\n"
    "\n"
    "exit status: 0 done, 2 usage, 3 unreadable trace, or damaged or cut\n"
    "short before --to (everything before the damage is printed).\n";

typedef struct dump_opts {
    bool hex, json;
    kev_cli_range range; /* [from, to) */
    const char *to_text; /* --to as given */
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

/* The time bound `b` stands for, given the first record's time. */
static uint64_t bound_time(const kev_cli_bound *b, uint64_t t0)
{
    if (b->kind == KEV_BOUND_TIME)
        return b->v;
    return t0 > UINT64_MAX - b->v ? UINT64_MAX : t0 + b->v;
}

/* Positions the reader at --from: a seek, or reading on where the trace
 * cannot seek (standard input, a FIFO). *t0 gets the first record's time
 * (for +DURATION bounds). Returns 1 when there is a record to dump in
 * *rec, 0 at the end, a negative KEV_E* code on damage. */
static int dump_start(kev_trace_reader *r, const kev_cli_bound *from, uint64_t *t0,
                      kev_trace_rec *rec)
{
    int rc = kev_trace_next(r, rec);
    if (rc <= 0)
        return rc;
    *t0 = rec->t_ns;
    if (from->kind == KEV_BOUND_NONE ||
        kev_cli_bound_reached(from, *t0, rec->index, rec->t_ns))
        return 1;
    rc = from->kind == KEV_BOUND_INDEX ? kev_trace_seek_batch(r, from->v)
                                       : kev_trace_seek_time(r, bound_time(from, *t0));
    if (rc == KEV_ENOENT)
        return 0;
    if (rc == 0)
        return kev_trace_next(r, rec);
    if (rc != KEV_EINVAL)
        return rc;
    while ((rc = kev_trace_next(r, rec)) > 0 &&
           !kev_cli_bound_reached(from, *t0, rec->index, rec->t_ns))
        ;
    return rc;
}

static int dump_trace(kev_trace_reader *r, const dump_opts *o, const char *path,
                      const char *from)
{
    kev_strbuf out = KEV_STRBUF_INIT;
    kev_trace_rec rec;
    uint64_t t0 = 0;
    int rc;
    uint64_t dumped = 0;
    for (rc = dump_start(r, &o->range.from, &t0, &rec);
         rc > 0 && !kev_cli_bound_reached(&o->range.to, t0, rec.index, rec.t_ns);
         rc = kev_trace_next(r, &rec), dumped++) {
        kev_strbuf_clear(&out);
        (o->json ? put_json : put_text)(&out, &rec, o->hex);
        if (out.err || !kev_cli_fwrite(stdout, out.p, out.len)) {
            if (out.err)
                kev_cli_error("dump", "out of memory");
            else
                kev_cli_stream_close("dump", stdout, "standard output");
            kev_strbuf_free(&out);
            return KEV_EXIT_INTERNAL;
        }
    }
    kev_strbuf_free(&out);
    /* Ends of two kinds (an index and a time) are known empty only now. */
    if (rc > 0 && dumped == 0 && o->range.from.kind != KEV_BOUND_NONE &&
        kev_cli_range_check_resolved("dump", path, from, o->to_text, rec.index, rec.index))
        return KEV_EXIT_USAGE;
    if (rc > 0) /* stopped at --to: what follows is not our business */
        return KEV_EXIT_OK;
    if (rc < 0 && kev_trace_end(r, NULL)->status == KEV_TS_OK) {
        kev_cli_error("dump", "%s: seek to --from %s: %s", path, from, kev_strerror(rc));
        return KEV_EXIT_INPUT;
    }
    return kev_cli_trace_end_ok("dump", path, r) &&
                   kev_trace_end(r, NULL)->status == KEV_TS_OK
               ? KEV_EXIT_OK
               : KEV_EXIT_INPUT;
}

static int dump(int argc, char **argv)
{
    dump_opts o;
    memset(&o, 0, sizeof o);
    const char *from = NULL, *to = NULL, *format = NULL;
    bool json = false;
    const kev_cli_opt opts[] = {{"--hex", NULL, &o.hex, NULL},
                                {"--format", &format, NULL, NULL},
                                {"--json", NULL, &json, "--format json"},
                                {"--from", &from, NULL, NULL},
                                {"--to", &to, NULL, NULL}};
    int nargs, prc = kev_cli_parse("dump", argc, argv, opts, sizeof opts / sizeof opts[0],
                                   dump_usage, &nargs);
    if (prc != 0)
        return prc > 0 ? KEV_EXIT_OK : KEV_EXIT_USAGE;
    o.json = json;
    o.to_text = to;
    if (kev_cli_format_parse("dump", format, &o.json) != 0 ||
        kev_cli_range_parse("dump", from, to, &o.range) != 0)
        return KEV_EXIT_USAGE;
    if (nargs != 1) {
        kev_cli_error("dump", "give exactly one trace; see kevrr help dump");
        return KEV_EXIT_USAGE;
    }
    kev_trace_reader *r = kev_cli_trace_open("dump", argv[1], 0);
    if (r == NULL)
        return KEV_EXIT_INPUT;
    int exit_code = dump_trace(r, &o, argv[1], from);
    kev_trace_close(r);
    if (exit_code != KEV_EXIT_INTERNAL &&
        kev_cli_stream_close("dump", stdout, "standard output") != KEV_EXIT_OK)
        exit_code = KEV_EXIT_INTERNAL;
    return exit_code;
}

const kev_cmd kev_cmd_dump = {"dump", dump, "print a trace batch by batch, records decoded",
                              dump_usage};
