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

/* The kernel in its snapshot text form, each line indented by two spaces. */
static void dump_kernel(kev_world *w)
{
    kev_strbuf_clear(&w->tmp);
    kev_kernel_format(w->kernel, &w->tmp);
    const char *p = kev_strbuf_str(&w->tmp);
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        kev__sb_adds(&w->out, "  ");
        kev__sb_add(&w->out, p, n);
        kev__sb_addc(&w->out, '\n');
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
    if (kev_kernel_count(w->kernel) > 0) {
        kev__report_line(w, "snapshot interfaces=%zu", kev_kernel_count(w->kernel));
        dump_kernel(w);
    }
}

/* Store observer: one line per applied operation. */
void kev__report_store_op(void *ctx, const kev_store_op *op)
{
    kev_world *w = ctx;
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

/* "  KEY = VALUE" for every key of `s`, sorted. */
static void dump_store(kev_world *w, const kev_store *s, bool counts)
{
    const char **keys = NULL;
    size_t n = 0;
    if (kev_store_keys_sorted(s, &keys, &n) != 0) {
        kev__report_line(w, "  (out of memory)");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        kev__sb_adds(&w->out, "  ");
        kev__report_bytes_escaped(&w->out, keys[i], strlen(keys[i]));
        kev__sb_adds(&w->out, counts ? " count=" : " = ");
        kev_value_format(kev_store_get(s, keys[i]), &w->out);
        kev__sb_addc(&w->out, '\n');
        if (w->out.len > 65536)
            kev__report_flush(w);
    }
    free(keys);
}

void kev__report_final(kev_world *w)
{
    if (!kev__reporting(w))
        return;
    const kev_world_stats *s = &w->stats;
    kev__report_line(w, "final t=%llu.%09llu", (unsigned long long)(w->now / 1000000000u),
                     (unsigned long long)(w->now % 1000000000u));
    kev__report_line(w, "store keys=%zu", kev_store_count(w->store));
    dump_store(w, w->store, false);
    kev__report_line(w, "kernel interfaces=%zu", kev_kernel_count(w->kernel));
    dump_kernel(w);
    kev__report_line(w, "notifications keys=%zu", kev_store_count(w->notes));
    dump_store(w, w->notes, true);
    if (w->notes_overflow)
        kev__report_line(w, "  (%llu more notifications on keys past the first %u)",
                         (unsigned long long)w->notes_overflow, KEV_NOTES_MAX_KEYS);
    kev__report_line(w,
                     "stats batches=%llu errors=%llu events=%llu handled=%llu "
                     "defects=%llu diagnostics=%llu stopped=%llu commits=%llu "
                     "posts=%llu monitoring=%s",
                     (unsigned long long)s->batches, (unsigned long long)s->errors,
                     (unsigned long long)s->events, (unsigned long long)s->handled,
                     (unsigned long long)s->defects,
                     (unsigned long long)s->diagnostics,
                     (unsigned long long)s->stopped, (unsigned long long)s->commits,
                     (unsigned long long)s->posts, s->monitoring ? "yes" : "no");
    kev__report_line(w, "end");
}
