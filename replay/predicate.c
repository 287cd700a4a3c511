/*
 * predicate.c: the predicates of `kevrr reduce` and `kevrr bisect`: their
 * parser, the options both commands take, a trace loaded into memory, and
 * the evaluator that replays a candidate through one world, reset between
 * evaluations, and stops as soon as the answer is known.
 *
 * `diverges` compares the report with the golden file while it streams out
 * of the core: the golden is read alongside, piece by piece, and the first
 * differing byte ends the evaluation (its line is remembered for messages),
 * so memory does not grow with the report. `contains` runs a
 * Knuth-Morris-Pratt matcher over the same stream, so a match may straddle
 * the pieces the core writes.
 */
#define _POSIX_C_SOURCE 200809L

#include "predicate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kevrr/drift.h"

/* ------------------------------------------------------------------ keys */

char *kev_pred_key_parse(const char *s, size_t n, kev_strbuf *why)
{
    static const char ifs[] = "State:/Network/Interface";
    kev_strbuf k = KEV_STRBUF_INIT;
    if (n == 10 && memcmp(s, "interfaces", 10) == 0)
        kev_strbuf_adds(&k, ifs);
    else if (memchr(s, ':', n) != NULL)
        kev_strbuf_add(&k, s, n); /* a whole key: "State:/...", "Plugin:..." */
    else
        kev_strbuf_addf(&k, "%s/%.*s", ifs, (int)n, s);
    const char *key = kev_strbuf_str(&k);
    if (k.err || kev_drift_family_of(key) != NULL) {
        char *out = k.err ? NULL : strdup(key);
        if (out == NULL)
            kev_strbuf_adds(why, "out of memory");
        kev_strbuf_free(&k);
        return out;
    }
    /* Name the family part the user wrote, when there is one. */
    const char *slash = memchr(s, '/', n), *fam = s;
    size_t flen = n;
    if (slash != NULL && memchr(s, ':', n) == NULL) {
        fam = slash + 1;
        flen = n - (size_t)(fam - s);
        const char *end = memchr(fam, '/', flen);
        flen = end ? (size_t)(end - fam) : flen;
    }
    kev_strbuf_addf(why, "'%.*s': unknown key family '%.*s' (%s)", (int)n, s, (int)flen, fam,
                    kev_drift_family_names());
    kev_strbuf_free(&k);
    return NULL;
}

/* ---------------------------------------------------------------- parser */

/* Splits the next blank-separated token off *s into *tok (not terminated)
 * and returns its length; *s moves past it and the blanks that follow. */
static size_t token(const char **s, const char **tok)
{
    const char *p = *s;
    while (*p == ' ' || *p == '\t')
        p++;
    *tok = p;
    while (*p != '\0' && *p != ' ' && *p != '\t')
        p++;
    size_t n = (size_t)(p - *tok);
    while (*p == ' ' || *p == '\t')
        p++;
    *s = p;
    return n;
}

/* A NUL-terminated copy of s[0..n), or NULL when out of memory. */
static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* Is tok[0..n) a finding code: lowercase letters, digits and '-'? */
static bool code_ok(const char *tok, size_t n)
{
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((tok[i] >= 'a' && tok[i] <= 'z') || (tok[i] >= '0' && tok[i] <= '9') ||
              tok[i] == '-'))
            return false;
    return true;
}

/* Takes a finding code token into p->code. */
static int take_code(kev_pred *p, const char *tok, size_t n, kev_strbuf *why)
{
    if (!code_ok(tok, n)) {
        kev_strbuf_addf(why, "'%.*s' is not a finding code (such as name-unterminated)",
                        (int)n, tok);
        return KEV_EINVAL;
    }
    p->code = dup_n(tok, n);
    return p->code ? 0 : KEV_ENOMEM;
}

/* The id of "D<N>", N in 1..KEV_DEFECT_MAX without a leading zero; 0 when
 * tok[0..n) is not one. */
static int defect_id(const char *tok, size_t n)
{
    if (n < 2 || n > 3 || tok[0] != 'D' || tok[1] == '0')
        return 0;
    int id = 0;
    for (size_t i = 1; i < n; i++) {
        if (tok[i] < '0' || tok[i] > '9')
            return 0;
        id = id * 10 + (tok[i] - '0');
    }
    return id <= KEV_DEFECT_MAX ? id : 0;
}

/* "D5" or "D5 CODE". */
static int parse_defect(kev_pred *p, const char *rest, kev_strbuf *why)
{
    const char *tok;
    size_t n = token(&rest, &tok);
    if ((p->defect = defect_id(tok, n)) == 0) {
        kev_strbuf_addf(why, "defect takes D1..D%d, not '%.*s'", KEV_DEFECT_MAX, (int)n,
                        tok);
        return KEV_EINVAL;
    }
    n = token(&rest, &tok);
    int rc = n ? take_code(p, tok, n, why) : 0;
    if (rc == 0 && *rest != '\0') {
        kev_strbuf_addf(why, "defect takes D<N> and an optional code, then nothing: '%s'",
                        rest);
        rc = KEV_EINVAL;
    }
    return rc;
}

/* "CODE". */
static int parse_diag(kev_pred *p, const char *rest, kev_strbuf *why)
{
    const char *tok;
    size_t n = token(&rest, &tok);
    if (n == 0 || *rest != '\0') {
        kev_strbuf_adds(why, "diag takes one diagnostic code (such as payload-short)");
        return KEV_EINVAL;
    }
    return take_code(p, tok, n, why);
}

/* Nothing. */
static int parse_none(kev_pred *p, const char *rest, kev_strbuf *why)
{
    (void)p;
    if (*rest == '\0')
        return 0;
    kev_strbuf_addf(why, "stops takes nothing, not '%s'", rest);
    return KEV_EINVAL;
}

/* "GOLDEN": the rest, trailing blanks dropped. */
static int parse_diverges(kev_pred *p, const char *rest, kev_strbuf *why)
{
    size_t n = strlen(rest);
    while (n > 0 && (rest[n - 1] == ' ' || rest[n - 1] == '\t'))
        n--;
    if (n == 0) {
        kev_strbuf_adds(why, "diverges takes the golden report's path");
        return KEV_EINVAL;
    }
    p->golden = dup_n(rest, n);
    return p->golden ? 0 : KEV_ENOMEM;
}

/* "TEXT": the rest, verbatim but for the escapes \n, \t and \\. */
static int parse_contains(kev_pred *p, const char *rest, kev_strbuf *why)
{
    size_t n = strlen(rest), k = 0;
    if (n == 0 || n > KEV_PRED_MAX_TEXT) {
        kev_strbuf_addf(why, "contains takes a text of 1..%u bytes", KEV_PRED_MAX_TEXT);
        return KEV_EINVAL;
    }
    if ((p->text = malloc(n + 1)) == NULL)
        return KEV_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        char c = rest[i];
        if (c == '\\') {
            c = rest[++i];
            if (c != 'n' && c != 't' && c != '\\') {
                kev_strbuf_adds(why, "contains: a backslash starts \\n, \\t or \\\\ only");
                return KEV_EINVAL;
            }
            c = c == 'n' ? '\n' : c == 't' ? '\t' : '\\';
        }
        p->text[k++] = c;
    }
    p->text[k] = '\0';
    p->text_len = k;
    return 0;
}

/* The predicates: keyword, kind, and the parser of what follows. */
/* clang-format off */
static const struct {
    const char *word;
    kev_pred_kind kind;
    int (*parse)(kev_pred *p, const char *rest, kev_strbuf *why);
} pred_table[] = {
    {"defect", KEV_PRED_DEFECT, parse_defect},
    {"diag", KEV_PRED_DIAG, parse_diag},
    {"diverges", KEV_PRED_DIVERGES, parse_diverges},
    {"stops", KEV_PRED_STOPS, parse_none},
    {"contains", KEV_PRED_CONTAINS, parse_contains},
};
/* clang-format on */

int kev_pred_parse(const char *s, kev_pred *p, kev_strbuf *why)
{
    memset(p, 0, sizeof *p);
    const char *tok;
    size_t n = token(&s, &tok);
    for (size_t i = 0; i < sizeof pred_table / sizeof pred_table[0]; i++) {
        if (strlen(pred_table[i].word) == n && memcmp(pred_table[i].word, tok, n) == 0) {
            p->kind = pred_table[i].kind;
            return pred_table[i].parse(p, s, why);
        }
    }
    kev_strbuf_addf(why,
                    "unknown predicate '%.*s' (defect, diag, diverges, stops, contains)",
                    (int)n, tok);
    return KEV_EINVAL;
}

void kev_pred_free(kev_pred *p)
{
    free(p->code);
    free(p->text);
    free(p->golden);
    memset(p, 0, sizeof *p);
}

/* ------------------------------------------------------------ options */

void kev_pred_cli_opts(kev_pred_cli *c, kev_cli_opt *rows)
{
    rows[0] = (kev_cli_opt){"--until", &c->until, NULL, NULL};
    rows[1] = (kev_cli_opt){"--profile", &c->profile, NULL, NULL};
    rows[2] = (kev_cli_opt){"--recv-buffer", &c->recv_buffer, NULL, NULL};
    rows[3] = (kev_cli_opt){"--ilp32", NULL, &c->ilp32, NULL};
    rows[4] = (kev_cli_opt){"--verbose", NULL, &c->verbose, NULL};
}

/* The profile: given, or the default for the predicate; refuses a pairing
 * that can never hold. 0 or -1 after the message. */
static int setup_profile(const char *cmd, const kev_pred_cli *c, const kev_pred *p,
                         kev_world_opts *o)
{
    if (c->profile == NULL) {
        o->profile = p->kind == KEV_PRED_DEFECT ? KEV_PROFILE_V963 : KEV_PROFILE_HARDENED;
        return 0;
    }
    if (kev_profile_parse(c->profile, &o->profile) != 0) {
        kev_cli_error(cmd, "unknown profile '%s' (hardened, v888, v963)", c->profile);
        return -1;
    }
    bool faithful = o->profile != KEV_PROFILE_HARDENED;
    if (p->kind == KEV_PRED_DEFECT && !faithful) {
        kev_cli_error(cmd, "only v888 and v963 report defects: use diag with hardened");
        return -1;
    }
    if (p->kind == KEV_PRED_DIAG && faithful) {
        kev_cli_error(cmd, "only hardened reports diagnostics: use defect with %s",
                      kev_profile_name(o->profile));
        return -1;
    }
    return 0;
}

int kev_pred_cli_setup(const char *cmd, const kev_pred_cli *c, kev_pred *p,
                       kev_world_opts *o)
{
    kev_world_opts_init(o);
    memset(p, 0, sizeof *p);
    if (c->until == NULL) {
        kev_cli_error(cmd, "no predicate: --until 'PREDICATE'; see kevrr help %s", cmd);
        return KEV_EXIT_USAGE;
    }
    kev_strbuf why = KEV_STRBUF_INIT;
    int rc = kev_pred_parse(c->until, p, &why);
    if (rc != 0)
        kev_cli_error(cmd, "--until '%s': %s", c->until,
                      rc == KEV_ENOMEM ? "out of memory" : kev_strbuf_str(&why));
    kev_strbuf_free(&why);
    if (rc != 0)
        return rc == KEV_ENOMEM ? KEV_EXIT_INTERNAL : KEV_EXIT_USAGE;
    uint64_t rb = 0;
    if (setup_profile(cmd, c, p, o) != 0 ||
        kev_cli_opt_u64(cmd, "--recv-buffer", c->recv_buffer, &rb) != 0)
        return KEV_EXIT_USAGE;
    if (c->recv_buffer && (rb < KEV_MSG_HEADER_SIZE || rb > KEV_MAX_BATCH)) {
        kev_cli_error(cmd, "--recv-buffer '%s' is not in 24..65536", c->recv_buffer);
        return KEV_EXIT_USAGE;
    }
    o->recv_buffer = (uint32_t)rb;
    o->ilp32 = c->ilp32;
    o->verbose = c->verbose;
    return 0;
}

/* --------------------------------------------------------- the trace */

/* A trace being loaded: the records' arena offsets until they are final. */
typedef struct loader {
    kev_pred_trace *t;
    size_t *off;       /* per record: offset of its bytes or error name, or SIZE_MAX */
    size_t cap;        /* records allocated */
    size_t len, alloc; /* arena bytes used and allocated */
} loader;

/* Room for one more record. 0, KEV_ETOOBIG or KEV_ENOMEM. */
static int loader_room(loader *l)
{
    if (l->t->n >= KEV_PRED_MAX_RECORDS)
        return KEV_ETOOBIG;
    if (l->t->n < l->cap)
        return 0;
    size_t cap = l->cap ? 2 * l->cap : 256;
    kev_trace_rec *recs = realloc(l->t->recs, cap * sizeof *recs);
    if (recs != NULL)
        l->t->recs = recs;
    size_t *off = realloc(l->off, cap * sizeof *off);
    if (off != NULL)
        l->off = off;
    if (recs == NULL || off == NULL)
        return KEV_ENOMEM;
    l->cap = cap;
    return 0;
}

/* Copies p[0..n) into the arena at *at. 0, KEV_ETOOBIG or KEV_ENOMEM. */
static int loader_copy(loader *l, const void *p, size_t n, size_t *at)
{
    if (n > KEV_PRED_MAX_BYTES - l->len)
        return KEV_ETOOBIG;
    if (l->len + n > l->alloc) {
        size_t alloc = l->alloc ? l->alloc : 65536;
        while (alloc < l->len + n)
            alloc *= 2;
        uint8_t *b = realloc(l->t->bytes, alloc);
        if (b == NULL)
            return KEV_ENOMEM;
        l->t->bytes = b;
        l->alloc = alloc;
    }
    if (n > 0)
        memcpy(l->t->bytes + l->len, p, n);
    *at = l->len;
    l->len += n;
    return 0;
}

/* Appends one record read from the trace. */
static int loader_add(loader *l, const kev_trace_rec *rec)
{
    int rc = loader_room(l);
    size_t at = SIZE_MAX, i = l->t->n;
    if (rc == 0 && rec->kind == KEV_TR_BATCH && rec->caplen > 0)
        rc = loader_copy(l, rec->data, rec->caplen, &at);
    else if (rc == 0 && rec->kind == KEV_TR_ERROR && rec->err_name != NULL)
        rc = loader_copy(l, rec->err_name, strlen(rec->err_name) + 1, &at);
    if (rc != 0)
        return rc;
    l->t->recs[i] = *rec;
    l->off[i] = at;
    l->t->n++;
    return 0;
}

/* Points every record at its bytes, now that the arena moves no more. */
static void loader_fix(loader *l)
{
    for (size_t i = 0; i < l->t->n; i++) {
        kev_trace_rec *r = &l->t->recs[i];
        const uint8_t *p = l->off[i] == SIZE_MAX ? NULL : l->t->bytes + l->off[i];
        r->data = r->kind == KEV_TR_BATCH ? p : NULL;
        r->err_name = r->kind == KEV_TR_ERROR ? (const char *)p : NULL;
    }
}

/* Says why reading stopped: the loader's cap, or the trace's damage. */
static int load_error(const char *cmd, const char *path, const kev_trace_reader *r, int rc,
                      bool reading)
{
    if (rc == KEV_ENOMEM) {
        kev_cli_error(cmd, "%s: out of memory", path);
        return KEV_EXIT_INTERNAL;
    }
    if (!reading) {
        kev_cli_error(cmd,
                      "%s: more than %zu batches or %zu MiB of them: cut it first "
                      "(kevrr cut)",
                      path, KEV_PRED_MAX_RECORDS, KEV_PRED_MAX_BYTES >> 20);
        return KEV_EXIT_INPUT;
    }
    if (kev_trace_end(r, NULL)->status == KEV_TS_OK)
        kev_cli_error(cmd, "%s: %s", path, kev_strerror(rc));
    else
        (void)kev_cli_trace_end_ok(cmd, path, r);
    return KEV_EXIT_INPUT;
}

int kev_pred_trace_load(const char *cmd, const char *path, kev_pred_trace *t)
{
    memset(t, 0, sizeof *t);
    if ((t->r = kev_cli_trace_open(cmd, path, 0)) == NULL)
        return KEV_EXIT_INPUT;
    loader l = {t, NULL, 0, 0, 0};
    kev_trace_rec rec;
    int rc, add = 0;
    do
        rc = kev_trace_next(t->r, &rec);
    while (rc > 0 && (add = loader_add(&l, &rec)) == 0);
    if (add == 0 && rc == 0)
        loader_fix(&l);
    free(l.off);
    if (add != 0 || rc < 0)
        return load_error(cmd, path, t->r, add ? add : rc, add == 0);
    return kev_cli_trace_end_ok(cmd, path, t->r) ? 0 : KEV_EXIT_INPUT;
}

void kev_pred_trace_free(kev_pred_trace *t)
{
    kev_trace_close(t->r);
    free(t->recs);
    free(t->bytes);
    memset(t, 0, sizeof *t);
}

size_t kev_pred_count_records(const uint8_t *data, size_t len)
{
    size_t pos = 0, off, n = 0;
    kev_msg_header h;
    while (kev_wire_next(data, len, &pos, &off, &h) > 0)
        n++;
    return n;
}

/* ----------------------------------------------------------- evaluator */

struct kev_pred_eval {
    const kev_pred *p;
    const kev_trace_meta *meta;
    kev_world *w;
    FILE *golden;       /* diverges */
    size_t *fail;       /* contains: the KMP failure function */
    size_t match;       /* contains: text bytes matched so far */
    uint64_t line;      /* diverges: report lines found equal so far */
    uint64_t diff_line; /* diverges: the first line that differs */
    uint64_t count;     /* evaluations run */
    bool hit;           /* the predicate holds (so far) */
    bool finishing;     /* the final state is being written */
    bool in_final;      /* the hit came in the final state */
    int io_err;         /* the golden could not be read */
    uint8_t gbuf[4096]; /* golden bytes being compared */
};

static void hit(kev_pred_eval *e)
{
    e->hit = true;
    e->in_final = e->finishing;
}

/* Compares report bytes p[0..n) with the golden's next bytes. */
static void golden_compare(kev_pred_eval *e, const char *p, size_t n)
{
    while (n > 0) {
        size_t k = n < sizeof e->gbuf ? n : sizeof e->gbuf;
        size_t got = fread(e->gbuf, 1, k, e->golden), same = 0;
        if (got < k && ferror(e->golden)) {
            e->io_err = KEV_EIO;
            return;
        }
        for (; same < got && (uint8_t)p[same] == e->gbuf[same]; same++)
            e->line += p[same] == '\n';
        if (same < k) {
            e->diff_line = e->line + 1;
            hit(e);
            return;
        }
        p += k;
        n -= k;
    }
}

/* Runs the text matcher over report bytes p[0..n). */
static void contains_feed(kev_pred_eval *e, const char *p, size_t n)
{
    const char *t = e->p->text;
    size_t j = e->match;
    for (size_t i = 0; i < n; i++) {
        while (j > 0 && p[i] != t[j])
            j = e->fail[j - 1];
        if (p[i] == t[j] && ++j == e->p->text_len) {
            hit(e);
            return;
        }
    }
    e->match = j;
}

/* The report sink: only `diverges` and `contains` have one. */
static void eval_write(void *ctx, const char *p, size_t n)
{
    kev_pred_eval *e = ctx;
    if (e->hit || e->io_err != 0)
        return;
    if (e->p->kind == KEV_PRED_CONTAINS)
        contains_feed(e, p, n);
    else
        golden_compare(e, p, n);
}

/* The finding callback: only `defect` and `diag` have one. */
static void eval_finding(void *ctx, const kev_finding *f)
{
    kev_pred_eval *e = ctx;
    const kev_pred *p = e->p;
    kev_finding_kind want =
        p->kind == KEV_PRED_DEFECT ? KEV_FINDING_DEFECT : KEV_FINDING_DIAGNOSTIC;
    if (f->kind != want || (p->kind == KEV_PRED_DEFECT && f->defect != p->defect))
        return;
    if (p->code == NULL || (f->code != NULL && strcmp(f->code, p->code) == 0))
        hit(e);
}

/* The KMP failure function of the text: fail[i] is the length of the
 * longest proper prefix of text[0..i] that is also its suffix. */
static size_t *kmp_table(const char *t, size_t m)
{
    size_t *fail = malloc(m * sizeof *fail);
    if (fail == NULL)
        return NULL;
    fail[0] = 0;
    for (size_t i = 1, k = 0; i < m; i++) {
        while (k > 0 && t[i] != t[k])
            k = fail[k - 1];
        k += t[i] == t[k];
        fail[i] = k;
    }
    return fail;
}

/* Loads the trace's snapshot into the (fresh) world's kernel. */
static int load_snapshot(kev_pred_eval *e, kev_strbuf *err)
{
    if (e->meta->snapshot == NULL)
        return 0;
    return kev_kernel_load_text(kev_world_kernel(e->w), e->meta->snapshot,
                                e->meta->snapshot_len, err);
}

/* The world, wired to the predicate: a sink only when the report is
 * looked at, a finding callback only when findings are. */
static kev_world *eval_world(kev_pred_eval *e, const kev_world_opts *o)
{
    kev_world_opts wo = *o;
    kev_pred_kind k = e->p->kind;
    if (k == KEV_PRED_DEFECT || k == KEV_PRED_DIAG) {
        wo.on_finding = eval_finding;
        wo.finding_ctx = e;
    }
    if (k == KEV_PRED_DIVERGES || k == KEV_PRED_CONTAINS) {
        wo.sink.write = eval_write;
        wo.sink.ctx = e;
    }
    return kev_world_new(&wo);
}

/* Opens the golden and checks the snapshot. 0 or an exit code. */
static int eval_inputs(const char *cmd, const char *path, kev_pred_eval *e)
{
    if (e->p->kind == KEV_PRED_DIVERGES &&
        (e->golden = fopen(e->p->golden, "rb")) == NULL) {
        kev_cli_error(cmd, "cannot open %s: %s", e->p->golden, strerror(errno));
        return KEV_EXIT_INPUT;
    }
    kev_strbuf err = KEV_STRBUF_INIT;
    int rc = load_snapshot(e, &err);
    if (rc != 0)
        kev_cli_error(cmd, "%s: snapshot: %s", path,
                      err.len ? kev_strbuf_str(&err) : kev_strerror(rc));
    kev_strbuf_free(&err);
    return rc == 0 ? 0 : rc == KEV_ENOMEM ? KEV_EXIT_INTERNAL : KEV_EXIT_INPUT;
}

int kev_pred_eval_open(const char *cmd, const char *path, const kev_pred *p,
                       const kev_world_opts *o, const kev_trace_meta *m,
                       kev_pred_eval **out)
{
    *out = NULL;
    kev_pred_eval *e = calloc(1, sizeof *e);
    if (e != NULL) {
        e->p = p;
        e->meta = m;
        e->w = eval_world(e, o);
        if (p->kind == KEV_PRED_CONTAINS)
            e->fail = kmp_table(p->text, p->text_len);
    }
    if (e == NULL || e->w == NULL || (p->kind == KEV_PRED_CONTAINS && e->fail == NULL)) {
        kev_pred_eval_close(e);
        kev_cli_error(cmd, "out of memory");
        return KEV_EXIT_INTERNAL;
    }
    int rc = eval_inputs(cmd, path, e);
    if (rc != 0) {
        kev_pred_eval_close(e);
        return rc;
    }
    *out = e;
    return 0;
}

void kev_pred_eval_close(kev_pred_eval *e)
{
    if (e == NULL)
        return;
    if (e->golden != NULL)
        fclose(e->golden);
    kev_world_free(e->w);
    free(e->fail);
    free(e);
}

/* A fresh world with the snapshot, the golden rewound, nothing matched. */
static int eval_begin(kev_pred_eval *e)
{
    e->count++;
    e->match = 0;
    e->line = e->diff_line = 0;
    e->hit = e->finishing = e->in_final = false;
    e->io_err = 0;
    if (e->golden != NULL && fseek(e->golden, 0, SEEK_SET) != 0)
        return KEV_EIO;
    kev_world_reset(e->w);
    return load_snapshot(e, NULL);
}

/* Feeds one record. */
static int eval_feed(kev_pred_eval *e, const kev_trace_rec *r)
{
    int rc;
    if (r->kind == KEV_TR_ERROR) {
        rc = kev_world_feed_error(e->w, r->err, r->err_name, r->t_ns);
    } else {
        size_t n = r->caplen < KEV_MAX_BATCH ? r->caplen : KEV_MAX_BATCH;
        rc = kev_world_feed(e->w, r->data, n, r->t_ns);
    }
    if (e->p->kind == KEV_PRED_STOPS && kev_world_stats_get(e->w)->stopped > 0)
        hit(e);
    return rc;
}

/* Writes the final state; `diverges` then wants the golden ended too. */
static int eval_finish(kev_pred_eval *e)
{
    e->finishing = true;
    int rc = kev_world_finish(e->w);
    if (rc != 0 || e->hit || e->io_err != 0 || e->p->kind != KEV_PRED_DIVERGES)
        return rc;
    if (getc(e->golden) != EOF) {
        e->diff_line = e->line + 1;
        hit(e);
    } else if (ferror(e->golden)) {
        e->io_err = KEV_EIO;
    }
    return 0;
}

int kev_pred_eval_run(kev_pred_eval *e, const kev_trace_rec *const *recs, size_t n,
                      bool finish)
{
    int rc = eval_begin(e);
    for (size_t i = 0; rc == 0 && !e->hit && e->io_err == 0 && i < n; i++)
        rc = eval_feed(e, recs[i]);
    kev_pred_kind k = e->p->kind;
    bool reads_report = k == KEV_PRED_DIVERGES || k == KEV_PRED_CONTAINS;
    if (rc == 0 && !e->hit && e->io_err == 0 && finish && reads_report)
        rc = eval_finish(e);
    if (rc == 0)
        rc = e->io_err;
    return rc < 0 ? rc : e->hit;
}

uint64_t kev_pred_eval_count(const kev_pred_eval *e)
{
    return e->count;
}

uint64_t kev_pred_eval_diff_line(const kev_pred_eval *e)
{
    return e->diff_line;
}

bool kev_pred_eval_in_final(const kev_pred_eval *e)
{
    return e->in_final;
}
