/*
 * report.c: the canonical text report (docs/report-format.md).
 *
 * Lines are built in the world's buffer and handed to the sink at the end of
 * each batch, tick or error, so memory stays bounded by one batch whatever
 * the trace length. Nothing in the report depends on pointers, hash order,
 * the wall clock or the locale: the same input gives the same bytes.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "kev_core.h"
#include "kev_sb.h"
#include "kev_fmt.h"

bool kev__reporting(const kev_world *w)
{
    return w->opts.sink.write != NULL;
}

void kev__report_flush(kev_world *w)
{
    if (w->out.len && kev__reporting(w))
        w->opts.sink.write(w->opts.sink.ctx, w->out.p, w->out.len);
    w->out.len = 0;
    if (w->out.p)
        w->out.p[0] = '\0';
}

void kev__report_line(kev_world *w, const char *fmt, ...)
{
    if (!kev__reporting(w))
        return;
    va_list ap;
    va_start(ap, fmt);
    kev_strbuf_vaddf(&w->out, fmt, ap);
    va_end(ap);
    kev__sb_addc(&w->out, '\n');
}

void kev__report_bytes_escaped(kev_strbuf *out, const char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            continue;
        /* Runs of plain bytes go in one append. */
        kev__sb_add(out, p + run, i - run);
        run = i + 1;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            kev__sb_add(out, esc, 2);
        } else {
            char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 0xf]};
            kev__sb_add(out, esc, 4);
        }
    }
    kev__sb_add(out, p + run, n - run);
}

/* The kernel in its snapshot text form, each line indented by two spaces,
 * appended to `o` (the report's buffer, or a kev_world_state caller's). */
static void dump_kernel(kev_world *w, kev_strbuf *o)
{
    kev_strbuf_clear(&w->tmp);
    kev_kernel_format(w->kernel, &w->tmp);
    const char *p = kev_strbuf_str(&w->tmp);
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        kev__sb_adds(o, "  ");
        kev__sb_add(o, p, n);
        kev__sb_addc(o, '\n');
        p += n + (nl != NULL);
    }
}

void kev__report_text_escaped(kev_strbuf *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0, i = 0;
    for (; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            continue;
        kev__sb_add(out, s + run, i - run);
        run = i + 1;
        if (c == '\\') {
            kev__sb_add(out, "\\\\", 2);
        } else {
            char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 0xf]};
            kev__sb_add(out, esc, 4);
        }
    }
    kev__sb_add(out, s + run, i - run);
}

void kev__report_header(kev_world *w)
{
    if (!kev__reporting(w))
        return;
    kev__report_line(w, "kevrr-report %d", KEV_REPORT_VERSION);
    kev__report_line(w, "profile %s abi %s recv-buffer %u verbose %s",
                     w->prof->name, w->opts.ilp32 ? "ilp32" : "lp64",
                     w->recv_buffer, w->opts.verbose ? "yes" : "no");
    if (w->snapshot_source[0] != '\0')
        kev__report_line(w, "snapshot-source %s", w->snapshot_source);
    if (kev_kernel_count(w->kernel) > 0) {
        kev__report_line(w, "snapshot interfaces=%zu", kev_kernel_count(w->kernel));
        dump_kernel(w, &w->out);
    }
}

/* Store observer: one line per applied operation. */
void kev__report_store_op(void *ctx, const kev_store_op *op)
{
    kev_world *w = ctx;
    if (w->opts.store_observer.on_op)
        w->opts.store_observer.on_op(w->opts.store_observer.ctx, op);
    if (w->opts.drift)
        kev__drift_mark_key(w, op->key);
    if (!kev__reporting(w))
        return;
    kev_strbuf *o = &w->out;
    static const char *const kinds[] = {"  set ", "  remove ", "  notify "};
    kev__sb_adds(o, op->direct ? "  set-direct " : kinds[op->kind]);
    kev__report_bytes_escaped(o, op->key, strlen(op->key));
    if (op->kind == KEV_STORE_SET) {
        kev__sb_adds(o, " = ");
        kev_value_format(op->value, o);
    } else if (!op->existed) {
        kev__sb_adds(o, " (absent)");
    }
    kev__sb_addc(o, '\n');
    if (op->kind == KEV_STORE_NOTIFY)
        kev__note_notify(w, op->key);
}

void kev__report_commit(void *ctx, size_t changed)
{
    kev_world *w = ctx;
    char num[24];
    if (w->opts.store_observer.on_commit)
        w->opts.store_observer.on_commit(w->opts.store_observer.ctx, changed);
    if (!kev__reporting(w))
        return;
    kev__sb_add(&w->out, "  commit changed=", 17);
    kev__sb_add(&w->out, num, kev__fmt_u64(num, changed));
    kev__sb_addc(&w->out, '\n');
}

void kev__report_u64(kev_world *w, uint64_t v)
{
    char num[24];
    kev__sb_add(&w->out, num, kev__fmt_u64(num, v));
}

void kev__report_time(kev_world *w, uint64_t t_ns)
{
    char num[32];
    kev__sb_add(&w->out, num, kev__fmt_time(num, t_ns));
}

void kev__note_notify(kev_world *w, const char *key)
{
    if (!kev__reporting(w))
        return;
    const kev_value *v = kev_store_get(w->notes, key);
    /* Notified keys can be unbounded (an ARP collision key carries the
     * address and MAC): past the cap they are only counted, so memory stays
     * bounded whatever the trace length. */
    if (v == NULL && kev_store_count(w->notes) >= KEV_NOTES_MAX_KEYS) {
        w->notes_overflow++;
        return;
    }
    int64_t n = v ? kev_value_get_int(v) : 0;
    kev_value *nv = kev_value_int(n + 1);
    if (nv != NULL)
        (void)kev_store_set_value(w->notes, key, nv, NULL);
    kev_value_unref(nv);
}

/* "  KEY = VALUE" for every key of `s`, sorted, appended to `o`. The
 * report's own buffer goes to the sink every 64 KiB, so a large store does
 * not sit in memory twice. */
static void dump_store(kev_world *w, kev_strbuf *o, const kev_store *s, bool counts)
{
    const char **keys = NULL;
    size_t n = 0;
    if (kev_store_keys_sorted(s, &keys, &n) != 0) {
        kev_strbuf_adds(o, "  (out of memory)\n");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        kev__sb_adds(o, "  ");
        kev__report_bytes_escaped(o, keys[i], strlen(keys[i]));
        kev__sb_adds(o, counts ? " count=" : " = ");
        kev_value_format(kev_store_get(s, keys[i]), o);
        kev__sb_addc(o, '\n');
        if (o == &w->out && w->out.len > 65536)
            kev__report_flush(w);
    }
    free(keys);
}

/* The final-state sections, "final" through "end", appended to `o`. */
static void final_sections(kev_world *w, kev_strbuf *o)
{
    const kev_world_stats *s = &w->stats;
    kev_strbuf_addf(o, "final t=%llu.%09llu\n", (unsigned long long)(w->now / 1000000000u),
                    (unsigned long long)(w->now % 1000000000u));
    kev_strbuf_addf(o, "store keys=%zu\n", kev_store_count(w->store));
    dump_store(w, o, w->store, false);
    kev_strbuf_addf(o, "kernel interfaces=%zu\n", kev_kernel_count(w->kernel));
    dump_kernel(w, o);
    kev_strbuf_addf(o, "notifications keys=%zu\n", kev_store_count(w->notes));
    dump_store(w, o, w->notes, true);
    if (w->notes_overflow)
        kev_strbuf_addf(o, "  (%llu more notifications on keys past the first %u)\n",
                        (unsigned long long)w->notes_overflow, KEV_NOTES_MAX_KEYS);
    if (w->opts.drift)
        kev__drift_report(w, o);
    kev_strbuf_addf(o,
                    "stats batches=%llu errors=%llu events=%llu handled=%llu "
                    "defects=%llu diagnostics=%llu stopped=%llu commits=%llu "
                    "posts=%llu monitoring=%s\n",
                    (unsigned long long)s->batches, (unsigned long long)s->errors,
                    (unsigned long long)s->events, (unsigned long long)s->handled,
                    (unsigned long long)s->defects, (unsigned long long)s->diagnostics,
                    (unsigned long long)s->stopped, (unsigned long long)s->commits,
                    (unsigned long long)s->posts, s->monitoring ? "yes" : "no");
    kev_strbuf_adds(o, "end\n");
}

void kev__report_final(kev_world *w)
{
    if (!kev__reporting(w))
        return;
    final_sections(w, &w->out);
}

int kev_world_state(kev_world *w, kev_strbuf *out)
{
    final_sections(w, out);
    return out->err;
}
