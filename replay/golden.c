/*
 * golden.c: report lines and the streaming comparison with a golden
 * report (golden.h).
 *
 * The comparison reads the golden one line at a time as the produced
 * report arrives, so neither report is ever held whole. While they agree
 * it keeps only where it stands (line number, section) and the last
 * KEV_GOLDEN_CONTEXT lines, the context of a future hunk. At the first
 * difference it collects, on each side, the rest of the section the
 * difference is in (and the next section too when the difference is a
 * section starting early or late on one side), within KEV_GOLDEN_MAX_LINES
 * lines and KEV_GOLDEN_MAX_BYTES bytes, and diffs the two with a
 * longest-common-subsequence table over what is left once the common
 * prefix and suffix are set aside.
 */
#include "golden.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Report lines -------------------------------------------------------- */

/* Top-level lines: the first word, the kind, the section it opens, and
 * what follows: 0 nothing we need, 1 a batch or error index, 2 a tick
 * number, 3 "after batch|error N" (replay's --step). */
static const struct {
    const char *word;
    const char *kind;
    kev_rsec sec;
    int num;
} top_lines[] = {
    {"kevrr-report", "header", KEV_RSEC_HEADER, 0},
    {"profile", "header", KEV_RSEC_HEADER, 0},
    {"snapshot", "snapshot", KEV_RSEC_SNAPSHOT, 0},
    {"snapshot-source", "snapshot-source", KEV_RSEC_HEADER, 0},
    {"prime", "prime", KEV_RSEC_EVENTS, 0},
    {"batch", "batch", KEV_RSEC_EVENTS, 1},
    {"error", "error", KEV_RSEC_EVENTS, 1},
    {"tick", "tick", KEV_RSEC_EVENTS, 2},
    {"final", "final", KEV_RSEC_TAIL, 0},
    {"store", "store", KEV_RSEC_STORE, 0},
    {"kernel", "kernel", KEV_RSEC_KERNEL, 0},
    {"notifications", "notifications", KEV_RSEC_NOTES, 0},
    {"drift", "drift", KEV_RSEC_DRIFT, 0},
    {"stats", "stats", KEV_RSEC_TAIL, 0},
    {"end", "end", KEV_RSEC_TAIL, 0},
    {"state", "state", KEV_RSEC_STORE, 3},
};

/* Lines inside a prime, batch, error or tick: the first word, the kind,
 * and where the key is: 0 none, 1 up to " = ", 2 the rest without
 * " (absent)". */
static const struct {
    const char *word;
    const char *kind;
    int key;
} event_lines[] = {
    {"event", "event", 0},
    {"handler", "handler", 0},
    {"defect", "defect", 0},
    {"diag", "diag", 0},
    {"set", "set", 1},
    {"set-direct", "set-direct", 1},
    {"remove", "remove", 2},
    {"notify", "notify", 2},
    {"commit", "commit", 0},
    {"post", "post", 0},
    {"stopped:", "stopped", 0},
    {"size", "size-check", 0},
    {"missed", "missed-event", 0},
    {"kernel", "kernel-change", 0},
    {"not", "not-processed", 0},
    {"capture", "capture-truncated", 0},
    {"cache", "cache-failed", 0},
    {"drift", "drift-change", 3},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The first occurrence of s in p[0..n) (or, with `last`, the last), or NULL. */
static const char *find(const char *p, size_t n, const char *s, bool last)
{
    size_t k = strlen(s);
    const char *hit = NULL;
    for (size_t i = 0; i + k <= n; i++) {
        if (memcmp(p + i, s, k) == 0) {
            hit = p + i;
            if (!last)
                break;
        }
    }
    return hit;
}

/* The length of the word at p[0..n) (up to a space). */
static size_t word_len(const char *p, size_t n)
{
    size_t k = 0;
    while (k < n && p[k] != ' ')
        k++;
    return k;
}

static bool word_is(const char *p, size_t n, const char *w)
{
    return n == strlen(w) && memcmp(p, w, n) == 0;
}

/* The decimal number at p[0..n) (up to a space) into *v; false if none. */
static bool number(const char *p, size_t n, uint64_t *v)
{
    size_t k = word_len(p, n);
    *v = 0;
    for (size_t i = 0; i < k; i++) {
        if (p[i] < '0' || p[i] > '9' || *v > (UINT64_MAX - 9) / 10)
            return false;
        *v = *v * 10 + (uint64_t)(p[i] - '0');
    }
    return k > 0;
}

/* "state after batch N": the words after "state" put into the label; the
 * offset of N in p, or n when there is none. */
static size_t state_label(kev_rctx *c, const char *p, size_t n, size_t at)
{
    at += word_len(p + at, n - at) + 1; /* "after" */
    if (at >= n)
        return n;
    size_t k = word_len(p + at, n - at);
    if (k > 8 || at + k >= n)
        return n;
    snprintf(c->label, sizeof c->label, "state after %.*s", (int)k, p + at);
    return at + k + 1;
}

/* A top-level line: moves the context to its section. */
static void parse_top(kev_rctx *c, const char *p, size_t n, kev_rline *out)
{
    size_t w = word_len(p, n);
    size_t t = 0;
    while (t < COUNT(top_lines) && !word_is(p, w, top_lines[t].word))
        t++;
    c->has_batch = false;
    if (t == COUNT(top_lines)) {
        c->sec = KEV_RSEC_TAIL;
        out->kind = "other";
        snprintf(c->label, sizeof c->label, "%.*s", (int)(w < 40 ? w : 40), p);
        return;
    }
    c->sec = top_lines[t].sec;
    out->kind = top_lines[t].kind;
    snprintf(c->label, sizeof c->label, "%s", top_lines[t].kind);
    size_t at = w + 1;
    if (top_lines[t].num == 3 && at < n)
        at = state_label(c, p, n, at);
    uint64_t v;
    if (top_lines[t].num != 0 && at < n && number(p + at, n - at, &v)) {
        size_t used = strlen(c->label);
        snprintf(c->label + used, sizeof c->label - used, " %llu", (unsigned long long)v);
        c->has_batch = top_lines[t].num != 2;
        c->batch = v;
    }
}

/* The key of an indented line p[0..n) whose key starts at `k`. */
static void key_until(const char *p, size_t n, size_t k, const char *stop, bool last,
                      kev_rline *out)
{
    if (k > n)
        return;
    const char *e = find(p + k, n - k, stop, last);
    if (e == NULL)
        return;
    out->key = p + k;
    out->key_len = (size_t)(e - (p + k));
}

static void parse_event_line(const char *p, size_t n, kev_rline *out)
{
    size_t w = word_len(p + 2, n - 2);
    size_t t = 0;
    while (t < COUNT(event_lines) && !word_is(p + 2, w, event_lines[t].word))
        t++;
    if (t == COUNT(event_lines))
        return;
    out->kind = event_lines[t].kind;
    size_t k = 2 + w + 1;
    if (event_lines[t].key == 3) {
        /* "drift KEY begins: ..." or "drift KEY ends" */
        static const char ends[] = " ends";
        size_t e = sizeof ends - 1;
        if (n > k + e && memcmp(p + n - e, ends, e) == 0) {
            out->key = p + k;
            out->key_len = n - e - k;
        } else {
            key_until(p, n, k, " begins: ", false, out);
        }
    } else if (event_lines[t].key == 1) {
        key_until(p, n, k, " = ", false, out);
    } else if (event_lines[t].key == 2 && k < n) {
        static const char absent[] = " (absent)";
        size_t len = n - k, a = sizeof absent - 1;
        if (len > a && memcmp(p + n - a, absent, a) == 0)
            len -= a;
        out->key = p + k;
        out->key_len = len;
    }
}

void kev_rline_parse(kev_rctx *c, const char *p, size_t n, kev_rline *out)
{
    out->top = n == 0 || p[0] != ' ';
    out->kind = "other";
    out->key = NULL;
    out->key_len = 0;
    if (out->top) {
        parse_top(c, p, n, out);
        return;
    }
    if (n < 2 || p[1] != ' ')
        return;
    switch (c->sec) {
    case KEV_RSEC_EVENTS:
        parse_event_line(p, n, out);
        break;
    case KEV_RSEC_STORE:
        out->kind = "store-entry";
        key_until(p, n, 2, " = ", false, out);
        break;
    case KEV_RSEC_NOTES:
        out->kind = "notification-count";
        key_until(p, n, 2, " count=", true, out);
        break;
    case KEV_RSEC_SNAPSHOT:
        out->kind = "snapshot-entry";
        break;
    case KEV_RSEC_KERNEL:
        out->kind = "kernel-entry";
        break;
    case KEV_RSEC_DRIFT:
        if (n > 4 && p[2] == ' ') {
            out->kind = p[4] == 's' ? "drift-store" : "drift-kernel";
        } else {
            out->kind = "drift-entry";
            key_until(p, n, 2, " since ", false, out);
            if (out->key == NULL)
                key_until(p, n, 2, ": ", false, out);
        }
        break;
    default:
        break;
    }
}

/* ---- Comparison ---------------------------------------------------------- */

/* The lines of one side from the first difference on. */
typedef struct side {
    kev_strbuf text; /* the lines back to back */
    size_t *off;     /* n + 1 offsets into text */
    size_t n;
    unsigned tops; /* top-level lines taken */
    unsigned tail; /* 1 + the lines taken past the end of the section */
    bool done, truncated;
    bool eof;   /* it holds everything up to the end of its report */
    bool no_nl; /* its last line ends the file without a newline */
} side;

enum { MATCHING, COLLECTING, DONE };

struct kev_golden {
    FILE *f;
    int err; /* errno of a read error or ENOMEM, else 0 */
    kev_strbuf exp;
    bool exp_eof, exp_no_nl, exp_long;
    uint64_t line; /* lines that matched */
    kev_rctx ctx;  /* the section the matching lines reached */
    kev_strbuf ring[KEV_GOLDEN_CONTEXT];
    unsigned ring_n, ring_at; /* lines held; the next slot */
    int phase;
    side s[2]; /* 0: the golden, 1: the produced report */
    kev_strbuf first[2], key;
    char where[48];
    kev_golden_diff res;
};

kev_golden *kev_golden_open(const char *path)
{
    kev_golden *g = calloc(1, sizeof *g);
    if (g == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    g->f = fopen(path, "rb");
    if (g->f == NULL) {
        int e = errno;
        free(g);
        errno = e;
        return NULL;
    }
    return g;
}

void kev_golden_free(kev_golden *g)
{
    if (g == NULL)
        return;
    if (g->f)
        fclose(g->f);
    kev_strbuf_free(&g->exp);
    for (unsigned i = 0; i < KEV_GOLDEN_CONTEXT; i++)
        kev_strbuf_free(&g->ring[i]);
    for (int i = 0; i < 2; i++) {
        kev_strbuf_free(&g->s[i].text);
        free(g->s[i].off);
        kev_strbuf_free(&g->first[i]);
    }
    kev_strbuf_free(&g->key);
    free(g);
}

/* Appends to the golden line being read, unless it is over its cap. */
static void exp_add(kev_golden *g, const char *p, size_t n)
{
    if (g->exp.len + n > KEV_GOLDEN_MAX_LINE)
        g->exp_long = true;
    else
        kev_strbuf_add(&g->exp, p, n);
}

/* Reads the golden's next line into g->exp (exp_eof at its end). */
static void read_expected(kev_golden *g)
{
    kev_strbuf_clear(&g->exp);
    g->exp_no_nl = g->exp_long = false;
    char chunk[512];
    size_t k = 0;
    bool any = false;
    int c;
    while ((c = getc(g->f)) != EOF && c != '\n') {
        any = true;
        chunk[k++] = (char)c;
        if (k == sizeof chunk) {
            exp_add(g, chunk, k);
            k = 0;
        }
    }
    exp_add(g, chunk, k);
    if (g->exp.err && g->err == 0)
        g->err = ENOMEM;
    if (c == EOF && ferror(g->f) && g->err == 0)
        g->err = errno ? errno : EIO;
    g->exp_eof = c == EOF && !any;
    g->exp_no_nl = c == EOF && any;
}

static bool is_top(const char *p, size_t n)
{
    return n == 0 || p[0] != ' ';
}

/* Remembers a matching line as context for a later hunk. */
static void ring_push(kev_golden *g, const char *p, size_t n)
{
    kev_strbuf *r = &g->ring[g->ring_at];
    kev_strbuf_clear(r);
    kev_strbuf_add(r, p, n);
    g->ring_at = (g->ring_at + 1) % KEV_GOLDEN_CONTEXT;
    if (g->ring_n < KEV_GOLDEN_CONTEXT)
        g->ring_n++;
}

/* Adds a line to a side, until it reaches the end of what the diff needs
 * (a top-level line past the allowed ones) or a cap. */
static void side_push(kev_golden *g, side *s, const char *p, size_t n)
{
    if (s->done)
        return;
    if (s->n > 0 && is_top(p, n) && s->tops >= KEV_GOLDEN_SECTIONS && s->tail == 0)
        s->tail = 1; /* the section ends: then a few lines of trailing context */
    if (s->tail > KEV_GOLDEN_CONTEXT) {
        s->done = true;
        return;
    }
    s->tail += s->tail > 0;
    if (s->n == KEV_GOLDEN_MAX_LINES || s->text.len + n > KEV_GOLDEN_MAX_BYTES) {
        s->done = s->truncated = true;
        return;
    }
    if (s->off == NULL && (s->off = malloc((KEV_GOLDEN_MAX_LINES + 1) * sizeof *s->off)))
        s->off[0] = 0;
    if (s->off == NULL) {
        s->done = true;
        g->err = ENOMEM;
        return;
    }
    s->tops += is_top(p, n);
    kev_strbuf_add(&s->text, p, n);
    s->off[++s->n] = s->text.len;
    if (s->text.err)
        g->err = ENOMEM;
}

/* The golden's side: the line just read, then as many more as needed. */
static void collect_expected(kev_golden *g)
{
    side *s = &g->s[0];
    while (!g->exp_eof && !s->done && g->err == 0) {
        side_push(g, s, g->exp.p ? g->exp.p : "", g->exp.len);
        if (s->done)
            break;
        s->no_nl = g->exp_no_nl;
        if (g->exp_long)
            s->truncated = s->done = true;
        else
            read_expected(g);
    }
    s->eof = g->exp_eof && g->err == 0;
    s->done = true;
    fclose(g->f);
    g->f = NULL;
}

/* The section the difference is in, and the key its line names. */
static void locate(kev_golden *g, const char *a, size_t n, bool act_eof)
{
    bool etop = g->exp_eof || is_top(g->exp.p, g->exp.len);
    bool atop = act_eof || is_top(a, n);
    kev_rctx c = g->ctx;
    kev_rline l;
    if (etop && atop) {
        if (act_eof)
            kev_rline_parse(&c, g->exp.p ? g->exp.p : "", g->exp.len, &l);
        else
            kev_rline_parse(&c, a, n, &l);
    }
    snprintf(g->where, sizeof g->where, "%s", c.label[0] ? c.label : "header");
    for (int i = act_eof ? 0 : 1; i >= 0 && g->key.len == 0; i--) {
        c = g->ctx;
        const char *p = i ? a : g->exp.p;
        size_t len = i ? n : g->exp.len;
        if (p == NULL || (i == 0 && g->exp_eof))
            continue;
        kev_rline_parse(&c, p, len, &l);
        if (l.key != NULL)
            kev_strbuf_add(&g->key, l.key, l.key_len);
    }
}

/* The reports part at this line: note where, then collect both sides. */
static void diverge(kev_golden *g, const char *a, size_t n, bool act_eof)
{
    g->res.line = g->line + 1;
    locate(g, a, n, act_eof);
    if (!g->exp_eof)
        kev_strbuf_add(&g->first[0], g->exp.p ? g->exp.p : "", g->exp.len);
    if (!act_eof)
        kev_strbuf_add(&g->first[1], a, n);
    g->res.where = g->where;
    g->res.expected = g->exp_eof ? NULL : kev_strbuf_str(&g->first[0]);
    g->res.actual = act_eof ? NULL : kev_strbuf_str(&g->first[1]);
    g->res.key = g->key.len ? kev_strbuf_str(&g->key) : NULL;
    g->res.no_newline = g->exp_no_nl;
    if (!act_eof)
        side_push(g, &g->s[1], a, n);
    collect_expected(g);
    g->phase = act_eof ? DONE : COLLECTING;
}

void kev_golden_line(kev_golden *g, const char *p, size_t n)
{
    if (g->phase == COLLECTING) {
        side_push(g, &g->s[1], p, n);
        if (g->s[1].done)
            g->phase = DONE;
        return;
    }
    if (g->phase == DONE || g->err)
        return;
    read_expected(g);
    bool same = !g->exp_eof && !g->exp_no_nl && !g->exp_long && g->exp.len == n &&
                (n == 0 || memcmp(g->exp.p, p, n) == 0);
    if (!same) {
        diverge(g, p, n, false);
        return;
    }
    kev_rline l;
    kev_rline_parse(&g->ctx, p, n, &l);
    ring_push(g, p, n);
    g->line++;
}

int kev_golden_end(kev_golden *g)
{
    if (g->phase == MATCHING && g->err == 0) {
        read_expected(g);
        if (g->exp_eof && g->err == 0)
            return 0;
        diverge(g, NULL, 0, true);
    }
    g->s[1].eof = !g->s[1].done;
    g->s[1].done = true;
    g->phase = DONE;
    g->res.truncated = g->s[0].truncated || g->s[1].truncated;
    if (g->err) {
        errno = g->err;
        return -1;
    }
    return 1;
}

const kev_golden_diff *kev_golden_result(const kev_golden *g)
{
    return &g->res;
}

/* ---- Unified diff -------------------------------------------------------- */

typedef struct dline {
    const char *p;
    size_t n;
    uint64_t h;
    bool no_nl, top;
} dline;

static uint64_t hash(const char *p, size_t n, bool no_nl)
{
    uint64_t h = 1469598103934665603u ^ (uint64_t)no_nl; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211u;
    return h;
}

static bool same(const dline *a, const dline *b)
{
    return a->h == b->h && a->n == b->n && a->no_nl == b->no_nl &&
           (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

/* The context lines, then side `i`'s lines. NULL when out of memory. */
static dline *side_lines(const kev_golden *g, int i, size_t *count)
{
    const side *s = &g->s[i];
    *count = g->ring_n + s->n;
    dline *d = malloc((*count + 1) * sizeof *d);
    if (d == NULL)
        return NULL;
    for (unsigned k = 0; k < g->ring_n; k++) {
        const kev_strbuf *r = &g->ring[(g->ring_at + KEV_GOLDEN_CONTEXT - g->ring_n + k) %
                                       KEV_GOLDEN_CONTEXT];
        d[k] = (dline){kev_strbuf_str(r), r->len, 0, false, false};
    }
    for (size_t k = 0; k < s->n; k++)
        d[g->ring_n + k] = (dline){s->text.p + s->off[k], s->off[k + 1] - s->off[k], 0,
                                   s->no_nl && k + 1 == s->n, false};
    for (size_t k = 0; k < *count; k++) {
        d[k].h = hash(d[k].p, d[k].n, d[k].no_nl);
        d[k].top = is_top(d[k].p, d[k].n);
    }
    return d;
}

static uint16_t max16(uint16_t a, uint16_t b)
{
    return a >= b ? a : b;
}

/* The edit script turning a[0..n) into b[0..m): '=', '-' or '+' per step,
 * from a longest common subsequence of the middle once the common prefix
 * and suffix are set aside (all '-' then all '+' if the table does not fit
 * in memory). Returns the number of steps, or 0 when out of memory. */
static size_t edit_script(const dline *a, size_t n, const dline *b, size_t m, char *ops)
{
    size_t pre = 0, suf = 0, k = 0;
    while (pre < n && pre < m && same(&a[pre], &b[pre]))
        pre++;
    while (suf < n - pre && suf < m - pre && same(&a[n - 1 - suf], &b[m - 1 - suf]))
        suf++;
    size_t rn = n - pre - suf, rm = m - pre - suf, w = rm + 1;
    uint16_t *t = calloc((rn + 1) * w, sizeof *t);
    const dline *ra = a + pre, *rb = b + pre;
    /* t[i * w + j]: the LCS length of ra[i..rn) and rb[j..rm). */
    for (size_t i = rn; t && i-- > 0;)
        for (size_t j = rm; j-- > 0;)
            t[i * w + j] = same(&ra[i], &rb[j])
                               ? (uint16_t)(t[(i + 1) * w + j + 1] + 1)
                               : max16(t[(i + 1) * w + j], t[i * w + j + 1]);
    memset(ops, '=', pre);
    k = pre;
    for (size_t i = 0, j = 0; i < rn || j < rm;) {
        char op = '+';
        if (t && i < rn && j < rm && same(&ra[i], &rb[j]))
            op = '=';
        else if (i < rn && (j == rm || !t || t[(i + 1) * w + j] >= t[i * w + j + 1]))
            op = '-';
        ops[k++] = op;
        i += op != '+';
        j += op != '-';
    }
    memset(ops + k, '=', suf);
    free(t);
    return k + suf;
}

/* Where the reports agree again: the first pair of equal top-level lines
 * at or after `from` (smallest i + j, then smallest i). Top-level lines
 * (batch, error and tick headers with their index and time, the final
 * sections) are nearly unique, so unlike the repetitive lines inside
 * sections they anchor the two sides reliably. */
static bool find_sync(const dline *a, size_t n, const dline *b, size_t m, size_t from,
                      size_t *si, size_t *sj)
{
    bool found = false;
    for (size_t i = from; i < n; i++) {
        for (size_t j = from; a[i].top && j < m && (!found || i + j < *si + *sj); j++) {
            if (b[j].top && same(&a[i], &b[j])) {
                *si = i;
                *sj = j;
                found = true;
            }
        }
    }
    return found;
}

/* Without an anchor, where the script can be trusted: the windows of the two sides end at
 * places that need not correspond, so what follows the last common line
 * may be an artefact of where they were cut, unless both sides reach the
 * end of their reports. Returns the number of steps to keep. */
static size_t trusted(const char *ops, size_t nops, bool both_whole)
{
    size_t first = 0, last = nops;
    while (first < nops && ops[first] == '=')
        first++;
    for (size_t k = nops; k-- > first;) {
        if (ops[k] == '=') {
            last = k + 1;
            break;
        }
    }
    return both_whole || last == nops ? nops : last;
}

/* "L" or "L,N" for a hunk's range starting at 0-based `at` of `count`
 * lines, file line numbers from `base` (an empty range names the line
 * before it, as diff -u does). */
static void range(kev_strbuf *out, uint64_t base, size_t at, size_t count)
{
    uint64_t first = base + at - (count == 0 ? 1 : 0);
    if (count == 1)
        kev_strbuf_addf(out, "%llu", (unsigned long long)first);
    else
        kev_strbuf_addf(out, "%llu,%zu", (unsigned long long)first, count);
}

/* One hunk: ops[s..e), starting at a[ai] and b[bi]. */
static void hunk(kev_strbuf *out, const char *ops, size_t s, size_t e, const dline *a,
                 size_t ai, const dline *b, size_t bi, uint64_t base)
{
    size_t na = 0, nb = 0;
    for (size_t k = s; k < e; k++) {
        na += ops[k] != '+';
        nb += ops[k] != '-';
    }
    kev_strbuf_adds(out, "@@ -");
    range(out, base, ai, na);
    kev_strbuf_adds(out, " +");
    range(out, base, bi, nb);
    kev_strbuf_adds(out, " @@\n");
    for (size_t k = s; k < e; k++) {
        const dline *l = ops[k] == '+' ? &b[bi++] : &a[ai++];
        bi += ops[k] == '=';
        kev_strbuf_addc(out, ops[k] == '=' ? ' ' : ops[k]);
        kev_strbuf_add(out, l->p, l->n);
        kev_strbuf_adds(out, l->no_nl ? "\n\\ No newline at end of file\n" : "\n");
    }
}

/* Groups the script into hunks: changes at most twice the context apart
 * share one, as in diff -u. */
static void hunks(kev_strbuf *out, const char *ops, size_t nops, const dline *a,
                  const dline *b, uint64_t base)
{
    const size_t ctx = KEV_GOLDEN_CONTEXT;
    size_t k = 0, ai = 0, bi = 0;
    while (k < nops) {
        size_t first = k;
        while (first < nops && ops[first] == '=')
            first++;
        if (first == nops)
            break;
        size_t s = first - (first - k < ctx ? first - k : ctx), last = first;
        for (size_t q = first; q < nops && q <= last + 2 * ctx + 1; q++)
            if (ops[q] != '=')
                last = q;
        size_t e = last + 1 + ctx < nops ? last + 1 + ctx : nops;
        for (; k < s; k++) {
            ai += ops[k] != '+';
            bi += ops[k] != '-';
        }
        hunk(out, ops, s, e, a, ai, b, bi, base);
        for (; k < e; k++) {
            ai += ops[k] != '+';
            bi += ops[k] != '-';
        }
    }
}

void kev_golden_udiff(const kev_golden *g, const char *from, const char *to,
                      kev_strbuf *out)
{
    size_t n, m;
    dline *a = side_lines(g, 0, &n), *b = side_lines(g, 1, &m);
    char *ops = malloc(n + m + 1);
    if (a == NULL || b == NULL || ops == NULL) {
        kev_strbuf_adds(out, "(out of memory: no diff)\n");
    } else {
        kev_strbuf_addf(out, "--- %s\n+++ %s\n", from, to);
        size_t si = 0, sj = 0, nops;
        if (find_sync(a, n, b, m, g->ring_n, &si, &sj)) {
            size_t k = 0; /* trailing context: what agrees from the anchor on */
            while (k < KEV_GOLDEN_CONTEXT && si + k < n && sj + k < m &&
                   same(&a[si + k], &b[sj + k]))
                k++;
            nops = edit_script(a, si + k, b, sj + k, ops);
        } else {
            nops = edit_script(a, n, b, m, ops);
            nops = trusted(ops, nops, g->s[0].eof && g->s[1].eof);
        }
        hunks(out, ops, nops, a, b, g->res.line - g->ring_n);
    }
    free(ops);
    free(a);
    free(b);
}
