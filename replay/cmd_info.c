/*
 * cmd_info.c: `kevrr info`: what a trace holds, in one streaming pass:
 * its format version and metadata, the snapshot's size and interfaces,
 * how many batches and failed recv()s it has and over what time, its raw
 * and compressed sizes, the events it carries by subclass and code (each
 * batch walked with the payload decoder), and how it ended. As text, or as
 * one JSON object per trace and line.
 */
#define _POSIX_C_SOURCE 200809L /* stat */

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "kevrr/scenario.h" /* kev_darwin_errno_name */

static const char info_usage[] =
    "usage: kevrr info [--format text|json] [--from X] [--to X] TRACE...\n"
    "\n"
    "Describe each TRACE ('-' reads stdin): format version, metadata,\n"
    "snapshot, batches and failed recv()s, time span, sizes, the container,\n"
    "events by subclass and code, truncated batches, and how the trace ended.\n"
    "\n"
    "options:\n"
    "  --format F   text (default) or json: one JSON object per trace, one per\n"
    "               line (--json is the deprecated spelling)\n"
    "  --from X     count the batches from X (a batch index, a Unix time with a\n"
    "               '.', or +DURATION after the first batch); the whole trace\n"
    "               is still read, to say how it ends\n"
    "  --to X       count the batches before X (not included)\n"
    "  -h, --help   this help\n"
    "\n"
    "exit status: 0 every trace whole, 2 usage, 3 a trace unreadable,\n"
    "damaged or cut short (what was read is still shown).\n";

/* Caps on what is counted by kind: distinct event kinds (the rest count as
 * "other"), errno values (from 0; the rest count as "other"). */
#define INFO_MAX_KINDS   4096u
#define INFO_ERRNO_SLOTS 128u

/* One kind of event: its header numbers (the sort key) and how many. */
typedef struct ev_kind {
    uint32_t vendor, klass, subclass, code;
    uint64_t n;
    char name[4 * KEV_DECODE_NAME_MAX];
} ev_kind;

typedef struct info_stats {
    uint64_t batches, errors, truncated, backwards;
    uint64_t first_ns, last_ns;
    uint64_t records, damaged, other_kinds;
    uint64_t errnos[INFO_ERRNO_SLOTS], other_errnos;
    ev_kind *kinds; /* sorted by (vendor, class, subclass, code) */
    size_t n_kinds, cap_kinds;
    uint64_t members, raw_bytes, file_bytes;
} info_stats;

static int kind_cmp(const ev_kind *k, const kev_msg_header *h)
{
    const uint32_t a[4] = {k->vendor, k->klass, k->subclass, k->code};
    const uint32_t b[4] = {h->vendor_code, h->kev_class, h->kev_subclass, h->event_code};
    for (int i = 0; i < 4; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

/* Where the kind of `r` is, or goes (binary search). */
static size_t kind_find(const info_stats *s, const kev_decoded *r, bool *found)
{
    size_t lo = 0, hi = s->n_kinds;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = kind_cmp(&s->kinds[mid], &r->hdr);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

/* Doubles the room for kinds, up to INFO_MAX_KINDS. 0 or KEV_ENOMEM. */
static int kinds_grow(info_stats *s)
{
    size_t cap = s->cap_kinds ? 2 * s->cap_kinds : 32;
    cap = cap < INFO_MAX_KINDS ? cap : INFO_MAX_KINDS;
    ev_kind *k = realloc(s->kinds, cap * sizeof *k);
    if (k == NULL)
        return KEV_ENOMEM;
    s->kinds = k;
    s->cap_kinds = cap;
    return 0;
}

/* Counts one record by kind. 0 or KEV_ENOMEM. */
static int kind_count(info_stats *s, const kev_decoded *r)
{
    bool found;
    size_t at = kind_find(s, r, &found);
    if (!found && s->n_kinds == INFO_MAX_KINDS) {
        s->other_kinds++;
        return 0;
    }
    if (!found) {
        if (s->n_kinds == s->cap_kinds && kinds_grow(s) != 0)
            return KEV_ENOMEM;
        memmove(&s->kinds[at + 1], &s->kinds[at], (s->n_kinds - at) * sizeof *s->kinds);
        s->n_kinds++;
        ev_kind *k = &s->kinds[at];
        k->vendor = r->hdr.vendor_code;
        k->klass = r->hdr.kev_class;
        k->subclass = r->hdr.kev_subclass;
        k->code = r->hdr.event_code;
        k->n = 0;
        if (r->def != NULL) /* a known Apple network event: its name says it all */
            snprintf(k->name, sizeof k->name, "%s", r->code_name);
        else
            snprintf(k->name, sizeof k->name, "%s %s %s %s", r->vendor_name, r->class_name,
                     r->subclass_name, r->code_name);
    }
    s->kinds[at].n++;
    return 0;
}

/* Walks one batch with the decoder, counting records and damage. */
static int count_batch(info_stats *s, const kev_trace_rec *rec)
{
    kev_decoder d;
    kev_decoded r;
    int rc;
    kev_decode_init(&d, rec->data, rec->caplen, 0);
    while ((rc = kev_decode_next(&d, &r)) != 0) {
        if (rc < 0) {
            s->damaged++;
            continue;
        }
        s->records++;
        if (kind_count(s, &r) != 0)
            return KEV_ENOMEM;
    }
    return 0;
}

static int count_rec(info_stats *s, const kev_trace_rec *rec)
{
    if (s->batches + s->errors == 0)
        s->first_ns = rec->t_ns;
    else if (rec->t_ns < s->last_ns)
        s->backwards++;
    s->last_ns = rec->t_ns;
    if (rec->kind == KEV_TR_ERROR) {
        s->errors++;
        if (rec->err >= 0 && (unsigned)rec->err < INFO_ERRNO_SLOTS)
            s->errnos[rec->err]++;
        else
            s->other_errnos++;
        return 0;
    }
    s->batches++;
    s->truncated += rec->origlen > rec->caplen;
    return count_batch(s, rec);
}

/* Reads every record, counting those in `rg`. Returns 0, or KEV_ENOMEM. */
static int info_read(kev_trace_reader *r, const char *path, const kev_cli_range *rg,
                     info_stats *s)
{
    kev_trace_rec rec;
    struct stat st;
    int rc;
    bool have_first = false;
    uint64_t t0 = 0;
    while ((rc = kev_trace_next(r, &rec)) > 0) {
        t0 = have_first ? t0 : rec.t_ns;
        have_first = true;
        bool in = (rg->from.kind == KEV_BOUND_NONE ||
                   kev_cli_bound_reached(&rg->from, t0, rec.index, rec.t_ns)) &&
                  !kev_cli_bound_reached(&rg->to, t0, rec.index, rec.t_ns);
        if (in && count_rec(s, &rec) != 0)
            return KEV_ENOMEM;
    }
    kev_trace_reader_stats(r, &s->members, &s->file_bytes, &s->raw_bytes);
    kev_trace_container kind;
    uint64_t streams;
    kev_trace_container_get(r, &kind, NULL, &streams);
    if (kind != KEV_TC_BGZF) /* chunks are no members: gzip's streams, or none */
        s->members = kind == KEV_TC_GZIP ? streams : 0;
    if (strcmp(path, "-") != 0 && stat(path, &st) == 0)
        s->file_bytes = (uint64_t)st.st_size;
    return 0;
}

/* ---- Output ---------------------------------------------------------- */

/* One output: the buffer, and whether it is JSON. */
typedef struct info_out {
    kev_strbuf sb;
    bool json;
    bool first;
} info_out;

/* Starts a field: the text key padded to a column, or ,"key": in JSON.
 * A field shown in one form only passes "" for the other key. */
static void key(info_out *o, const char *text_key, const char *json_key)
{
    if (o->json) {
        kev_strbuf_addf(&o->sb, "%s\"%s\":", o->first ? "" : ",", json_key);
        o->first = false;
    } else {
        kev_strbuf_addf(&o->sb, "%-19s ", text_key);
    }
}

static void end_field(info_out *o)
{
    if (!o->json)
        kev_strbuf_addc(&o->sb, '\n');
}

static void field_str(info_out *o, const char *tk, const char *jk, const char *v)
{
    key(o, tk, jk);
    kev_cli_escape(&o->sb, v, v ? strlen(v) : 0, o->json);
    end_field(o);
}

static void field_u64(info_out *o, const char *tk, const char *jk, uint64_t v)
{
    key(o, tk, jk);
    kev_strbuf_addf(&o->sb, "%" PRIu64, v);
    end_field(o);
}

/* A size: "N bytes" and a note as text, N in JSON. */
static void field_bytes(info_out *o, const char *tk, const char *jk, uint64_t v,
                        const char *note)
{
    key(o, tk, jk);
    kev_strbuf_addf(&o->sb, o->json ? "%" PRIu64 : "%" PRIu64 " bytes", v);
    if (!o->json)
        kev_strbuf_adds(&o->sb, note);
    end_field(o);
}

/* A time: the ns in JSON, "SECONDS.NANOS (ISO)" as text. */
static void field_time(info_out *o, const char *tk, const char *jk, uint64_t t_ns)
{
    kev_cli_time t;
    kev_cli_time_format(t_ns, &t);
    key(o, tk, jk);
    if (o->json)
        kev_strbuf_addf(&o->sb, "%" PRIu64, t_ns);
    else
        kev_strbuf_addf(&o->sb, "%s (%s)", t.secs, t.utc);
    end_field(o);
}

/* The snapshot: its size, and how many interfaces it loads into a kernel. */
static void put_snapshot(info_out *o, const kev_trace_meta *m)
{
    kev_kernel *k = m->snapshot_len ? kev_kernel_new() : NULL;
    kev_strbuf err = KEV_STRBUF_INIT;
    int rc = k ? kev_kernel_load_text(k, m->snapshot, m->snapshot_len, &err) : KEV_ENOMEM;
    size_t n = rc == 0 ? kev_kernel_count(k) : 0;
    if (o->json) {
        key(o, "", "snapshot_bytes");
        kev_strbuf_addf(&o->sb, "%zu", m->snapshot_len);
        key(o, "", "snapshot_interfaces");
        if (m->snapshot_len == 0 || rc == 0)
            kev_strbuf_addf(&o->sb, "%zu", n);
        else
            kev_strbuf_adds(&o->sb, "null");
    } else {
        key(o, "snapshot:", "");
        if (m->snapshot_len == 0)
            kev_strbuf_adds(&o->sb, "none");
        else if (rc == 0)
            kev_strbuf_addf(&o->sb, "%zu bytes, %zu interface%s", m->snapshot_len, n,
                            n == 1 ? "" : "s");
        else
            kev_strbuf_addf(&o->sb, "%zu bytes, does not load: %s", m->snapshot_len,
                            err.len ? kev_strbuf_str(&err) : kev_strerror(rc));
        end_field(o);
    }
    kev_strbuf_free(&err);
    kev_kernel_free(k);
}

static void put_meta(info_out *o, const kev_trace_reader *r)
{
    const kev_trace_meta *m = kev_trace_meta_get(r);
    unsigned major, minor;
    kev_trace_version(r, &major, &minor);
    key(o, "format:", "format");
    kev_strbuf_addf(&o->sb, o->json ? "\"%u.%u\"" : "%u.%u", major, minor);
    end_field(o);
    field_str(o, "source:", "source", m->source);
    field_str(o, "filter:", "filter", m->filter);
    field_str(o, "os:", "os", m->os);
    field_str(o, "hardware:", "hardware", m->hardware);
    field_str(o, "tool:", "tool", m->tool);
    field_str(o, "comment:", "comment", m->comment);
    field_str(o, "byte order:", "byte_order",
              m->big_endian ? "big-endian" : "little-endian");
    if (m->start_ns) {
        field_time(o, "capture start:", "start_ns", m->start_ns);
    } else {
        key(o, "capture start:", "start_ns");
        kev_strbuf_adds(&o->sb, o->json ? "null" : "unknown");
        end_field(o);
    }
    put_snapshot(o, m);
}

/* " (1 EAGAIN, 2 ENOBUFS)" after the count, or the JSON array of counts. */
static void put_errnos(info_out *o, const info_stats *s)
{
    const char *sep = "";
    kev_strbuf_adds(&o->sb, o->json ? "[" : s->errors ? " (" : "");
    for (unsigned e = 0; e < INFO_ERRNO_SLOTS; e++) {
        if (s->errnos[e] == 0)
            continue;
        const char *name = kev_darwin_errno_name((int)e);
        if (o->json) {
            kev_strbuf_addf(&o->sb, "%s{\"errno\":%u,\"name\":", sep, e);
            kev_cli_escape(&o->sb, name, name ? strlen(name) : 0, true);
            kev_strbuf_addf(&o->sb, ",\"count\":%" PRIu64 "}", s->errnos[e]);
        } else if (name) {
            kev_strbuf_addf(&o->sb, "%s%" PRIu64 " %s", sep, s->errnos[e], name);
        } else {
            kev_strbuf_addf(&o->sb, "%s%" PRIu64 " errno %u", sep, s->errnos[e], e);
        }
        sep = ", ";
    }
    if (s->other_errnos)
        kev_strbuf_addf(&o->sb,
                        o->json ? "%s{\"errno\":null,\"name\":null,\"count\":%" PRIu64 "}"
                                : "%s%" PRIu64 " other",
                        sep, s->other_errnos);
    kev_strbuf_adds(&o->sb, o->json ? "]" : s->errors ? ")" : "");
}

/* Batches, errors, time span, truncation, sizes. */
static void put_counts(info_out *o, const info_stats *s)
{
    field_u64(o, "batches:", "batches", s->batches);
    key(o, "errors:", "errors");
    kev_strbuf_addf(&o->sb, "%" PRIu64, s->errors);
    if (o->json)
        key(o, "", "errnos");
    put_errnos(o, s);
    end_field(o);
    if (s->batches + s->errors > 0) {
        field_time(o, "first:", "first_ns", s->first_ns);
        field_time(o, "last:", "last_ns", s->last_ns);
        uint64_t d = s->last_ns >= s->first_ns ? s->last_ns - s->first_ns : 0;
        key(o, "duration:", "duration_ns");
        if (o->json)
            kev_strbuf_addf(&o->sb, "%" PRIu64, d);
        else
            kev_strbuf_addf(&o->sb, "%" PRIu64 ".%09" PRIu64 " s", d / 1000000000u,
                            d % 1000000000u);
        end_field(o);
    }
    field_u64(o, "time goes back:", "time_goes_back", s->backwards);
    field_u64(o, "truncated batches:", "truncated_batches", s->truncated);
    field_bytes(o, "raw size:", "raw_bytes", s->raw_bytes, " (pcapng)");
    field_bytes(o, "file size:", "file_bytes", s->file_bytes, "");
    key(o, "compression:", "compression_ratio");
    double ratio = s->file_bytes ? (double)s->raw_bytes / (double)s->file_bytes : 0.0;
    kev_strbuf_addf(&o->sb, o->json ? "%.3f" : "%.3f:1", ratio);
    end_field(o);
    field_u64(o, "members:", "members", s->members);
}

/* What wraps the pcapng data, and what that allows. */
static void put_container(info_out *o, const kev_trace_reader *r)
{
    kev_trace_container kind;
    bool indexed;
    uint64_t streams;
    kev_trace_container_get(r, &kind, &indexed, &streams);
    static const char *const json_names[] = {
        [KEV_TC_BGZF] = "bgzf", [KEV_TC_GZIP] = "gzip", [KEV_TC_PCAPNG] = "pcapng"};
    if (o->json) {
        field_str(o, "", "container", json_names[kind]);
        key(o, "", "indexed");
        kev_strbuf_adds(&o->sb, indexed ? "true" : "false");
        return;
    }
    key(o, "container:", "");
    if (kind == KEV_TC_BGZF && indexed)
        kev_strbuf_adds(&o->sb, "BGZF with kevrr's index: seeks hop members, salvage");
    else if (kind == KEV_TC_BGZF)
        kev_strbuf_adds(&o->sb, "BGZF without kevrr's index (bgzip's?): read in order, "
                                "no salvage");
    else if (kind == KEV_TC_GZIP)
        kev_strbuf_addf(&o->sb, "gzip, %" PRIu64 " stream%s: read in order, no salvage",
                        streams, streams == 1 ? "" : "s");
    else
        kev_strbuf_adds(&o->sb, "pcapng, uncompressed: read in order, no salvage");
    end_field(o);
}

/* Records by kind, in header order. */
static void put_events(info_out *o, const info_stats *s)
{
    field_u64(o, "records:", "records", s->records);
    field_u64(o, "damaged records:", "damaged_records", s->damaged);
    if (o->json)
        key(o, "", "events");
    kev_strbuf_adds(&o->sb, o->json ? "[" : s->n_kinds ? "events:\n" : "events: none\n");
    for (size_t i = 0; i < s->n_kinds; i++) {
        const ev_kind *k = &s->kinds[i];
        if (!o->json) {
            kev_strbuf_addf(&o->sb, "  %-40s %" PRIu64 "\n", k->name, k->n);
            continue;
        }
        kev_strbuf_addf(&o->sb,
                        "%s{\"vendor_code\":%" PRIu32 ",\"kev_class\":%" PRIu32
                        ",\"kev_subclass\":%" PRIu32 ",\"event_code\":%" PRIu32
                        ",\"name\":",
                        i ? "," : "", k->vendor, k->klass, k->subclass, k->code);
        kev_cli_escape(&o->sb, k->name, strlen(k->name), true);
        kev_strbuf_addf(&o->sb, ",\"count\":%" PRIu64 "}", k->n);
    }
    if (o->json)
        kev_strbuf_adds(&o->sb, "]");
    if (s->other_kinds)
        field_u64(o, "other kinds:", "other_kinds", s->other_kinds);
}

/* The ISB's figures, and how the trace ended. */
static void put_end(info_out *o, const kev_trace_reader *r)
{
    uint64_t start, stop, count;
    bool isb = kev_trace_stats_block(r, &start, &stop, &count);
    kev_cli_time t;
    kev_cli_time_format(stop, &t);
    if (o->json) {
        key(o, "", "stats_block");
        if (isb)
            kev_strbuf_addf(&o->sb, "{\"records\":%" PRIu64 ",\"stop_ns\":%" PRIu64 "}",
                            count, stop);
        else
            kev_strbuf_adds(&o->sb, "null");
    } else {
        bool indexed;
        kev_trace_container_get(r, NULL, &indexed, NULL);
        key(o, "stats block:", "");
        if (isb)
            kev_strbuf_addf(&o->sb, "%" PRIu64 " records, stop %s (%s)\n", count, t.secs,
                            t.utc);
        else
            kev_strbuf_adds(&o->sb,
                            indexed ? "none (the capture was not closed)\n" : "none\n");
    }
    const kev_trace_damage *d = kev_trace_end(r, NULL);
    if (o->json) {
        field_str(o, "", "end", kev_cli_status_label(d->status));
        field_str(o, "", "end_message", d->message);
        return;
    }
    key(o, "end:", "");
    kev_cli_damage_text(d, &o->sb);
    end_field(o);
}

static int info_one(const char *path, bool json, const kev_cli_range *rg)
{
    kev_trace_reader *r = kev_cli_trace_open("info", path, 0);
    if (r == NULL)
        return KEV_EXIT_INPUT;
    info_stats s;
    memset(&s, 0, sizeof s);
    int rc = info_read(r, path, rg, &s);
    info_out o = {KEV_STRBUF_INIT, json, true};
    kev_strbuf_adds(&o.sb, json ? "{" : "");
    field_str(&o, "trace:", "file", path);
    put_meta(&o, r);
    put_counts(&o, &s);
    put_container(&o, r);
    put_events(&o, &s);
    put_end(&o, r);
    kev_strbuf_adds(&o.sb, json ? "}\n" : "");
    bool whole = kev_trace_end(r, NULL)->status == KEV_TS_OK;
    int exit_code = rc != 0 || o.sb.err ? KEV_EXIT_INTERNAL
                    : whole             ? KEV_EXIT_OK
                                        : KEV_EXIT_INPUT;
    if (exit_code == KEV_EXIT_INTERNAL)
        kev_cli_error("info", "%s: out of memory", path);
    else
        (void)kev_cli_fwrite(stdout, o.sb.p, o.sb.len);
    kev_strbuf_free(&o.sb);
    free(s.kinds);
    kev_trace_close(r);
    return exit_code;
}

static int info(int argc, char **argv)
{
    bool json = false;
    const char *format = NULL, *from = NULL, *to = NULL;
    const kev_cli_opt opts[] = {{"--format", &format, NULL, NULL},
                                {"--json", NULL, &json, "--format json"},
                                {"--from", &from, NULL, NULL},
                                {"--to", &to, NULL, NULL}};
    int nargs, prc = kev_cli_parse("info", argc, argv, opts, sizeof opts / sizeof opts[0],
                                   info_usage, &nargs);
    if (prc != 0)
        return prc > 0 ? KEV_EXIT_OK : KEV_EXIT_USAGE;
    kev_cli_range rg;
    if (kev_cli_format_parse("info", format, &json) != 0 ||
        kev_cli_range_parse("info", from, to, &rg) != 0)
        return KEV_EXIT_USAGE;
    if (nargs == 0) {
        kev_cli_error("info", "no trace given; see kevrr help info");
        return KEV_EXIT_USAGE;
    }
    int exit_code = KEV_EXIT_OK;
    for (int i = 1; i <= nargs; i++) {
        if (i > 1 && !json)
            (void)kev_cli_fwrite(stdout, "\n", 1);
        int rc = info_one(argv[i], json, &rg);
        exit_code = rc > exit_code ? rc : exit_code;
    }
    if (kev_cli_stream_close("info", stdout, "standard output") != KEV_EXIT_OK)
        return KEV_EXIT_INTERNAL;
    return exit_code;
}

const kev_cmd kev_cmd_info = {"info", info,
                              "describe traces: metadata, counts, events, end", info_usage};
