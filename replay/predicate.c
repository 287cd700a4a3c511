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
#include "kevrr/error.h"

/* ------------------------------------------------------------------ keys */

/* Is s[0..n) the name of a key family? */
static bool family_known(const char *s, size_t n)
{
    char name[64];
    if (n >= sizeof name)
        return false;
    memcpy(name, s, n);
    name[n] = '\0';
    return kev_drift_family_named(name) != NULL;
}

char *kev_pred_key_parse(const char *s, size_t n, kev_strbuf *why)
{
    static const char ifs[] = "State:/Network/Interface";
    /* A whole key has a ':' before its first '/' ("State:/...", "Plugin:...");
     * IF/ENTITY/... may hold one later (a MAC address). */
    const char *colon = memchr(s, ':', n), *slash = memchr(s, '/', n);
    bool whole = colon != NULL && (slash == NULL || colon < slash);
    if (!whole && slash == s) {
        kev_strbuf_addf(why, "'%.*s': no interface name before '/'", (int)n, s);
        return NULL;
    }
    kev_strbuf k = KEV_STRBUF_INIT;
    if (n == 10 && memcmp(s, "interfaces", 10) == 0)
        kev_strbuf_adds(&k, ifs);
    else if (whole)
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
    const char *fam = s;
    size_t flen = n;
    if (slash != NULL && !whole) {
        fam = slash + 1;
        flen = n - (size_t)(fam - s);
        const char *end = memchr(fam, '/', flen);
        flen = end ? (size_t)(end - fam) : flen;
    }
    if (family_known(fam, flen))
        kev_strbuf_addf(why,
                        "'%.*s' is no key of family %.*s: give the key as the report "
                        "writes it (State:/..., Plugin:...), IF/ENTITY or interfaces",
                        (int)n, s, (int)flen, fam);
    else
        kev_strbuf_addf(why, "'%.*s': unknown key family '%.*s' (%s)", (int)n, s, (int)flen,
                        fam, kev_drift_family_names());
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

/* Is the next token `word` (without taking it)? */
static bool next_is(const char *s, const char *word)
{
    const char *tok;
    size_t n = token(&s, &tok);
    return n == strlen(word) && memcmp(tok, word, n) == 0;
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

/* What the parser needs: where it is, why it failed, how many atoms. */
typedef struct parser {
    const char *s;
    kev_strbuf *why;
    size_t atoms;
} parser;

/* The rest of the predicate, trailing blanks dropped: what `contains`,
 * `diverges` and `equals` take. */
static size_t rest_of(parser *ps, const char **start)
{
    size_t n = strlen(ps->s);
    while (n > 0 && (ps->s[n - 1] == ' ' || ps->s[n - 1] == '\t'))
        n--;
    *start = ps->s;
    ps->s += strlen(ps->s);
    return n;
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

/* A finding code known for (kind, defect) into p->code. */
static int take_code(parser *ps, kev_pred *p, kev_finding_kind kind, const char *tok, size_t n)
{
    if ((p->code = dup_n(tok, n)) == NULL)
        return KEV_ENOMEM;
    if (kev_finding_code_known(kind, kind == KEV_FINDING_DEFECT ? p->defect : 0, p->code))
        return 0;
    char list[1024];
    kev_finding_codes_list(kind, kind == KEV_FINDING_DEFECT ? p->defect : 0, list, sizeof list);
    if (kind == KEV_FINDING_DEFECT)
        kev_strbuf_addf(ps->why, "D%d is never reported as '%s' (its codes: %s)", p->defect,
                        p->code, list);
    else
        kev_strbuf_addf(ps->why, "unknown diagnostic '%s' (%s)", p->code, list);
    return KEV_EINVAL;
}

/* "D5" or "D5 CODE". */
static int parse_defect(parser *ps, kev_pred *p)
{
    const char *tok;
    size_t n = token(&ps->s, &tok);
    if ((p->defect = defect_id(tok, n)) == 0) {
        kev_strbuf_addf(ps->why, "defect takes D1..D%d, not '%.*s'", KEV_DEFECT_MAX, (int)n,
                        tok);
        return KEV_EINVAL;
    }
    if (*ps->s == '\0' || next_is(ps->s, "and"))
        return 0;
    n = token(&ps->s, &tok);
    return take_code(ps, p, KEV_FINDING_DEFECT, tok, n);
}

/* "CODE". */
static int parse_diag(parser *ps, kev_pred *p)
{
    const char *tok;
    size_t n = token(&ps->s, &tok);
    if (n == 0) {
        kev_strbuf_adds(ps->why, "diag takes one diagnostic code (such as payload-short)");
        return KEV_EINVAL;
    }
    return take_code(ps, p, KEV_FINDING_DIAGNOSTIC, tok, n);
}

/* Nothing. */
static int parse_none(parser *ps, kev_pred *p)
{
    (void)ps, (void)p;
    return 0;
}

/* "GOLDEN": the rest. */
static int parse_diverges(parser *ps, kev_pred *p)
{
    const char *r;
    size_t n = rest_of(ps, &r);
    if (n == 0) {
        kev_strbuf_adds(ps->why, "diverges takes the golden report's path");
        return KEV_EINVAL;
    }
    p->golden = dup_n(r, n);
    return p->golden ? 0 : KEV_ENOMEM;
}

/* "TEXT": the rest, verbatim but for the escapes \n, \t and \\. */
static int parse_contains(parser *ps, kev_pred *p)
{
    const char *rest;
    size_t n = rest_of(ps, &rest), k = 0;
    if (n == 0 || n > KEV_PRED_MAX_TEXT) {
        kev_strbuf_addf(ps->why, "contains takes a text of 1..%u bytes", KEV_PRED_MAX_TEXT);
        return KEV_EINVAL;
    }
    if ((p->text = malloc(n + 1)) == NULL)
        return KEV_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        char c = rest[i];
        if (c == '\\') {
            c = i + 1 < n ? rest[++i] : '\0';
            if (c != 'n' && c != 't' && c != '\\') {
                kev_strbuf_adds(ps->why, "contains: a backslash starts \\n, \\t or \\\\ only");
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

/* A KEY token into p->key. */
static int take_key(parser *ps, kev_pred *p, const char *what)
{
    const char *tok;
    size_t n = token(&ps->s, &tok);
    if (n == 0 || (n == 3 && memcmp(tok, "and", 3) == 0)) {
        kev_strbuf_addf(ps->why, "%s takes a store key (utun3/IPv4, interfaces, or a whole key)",
                        what);
        return KEV_EINVAL;
    }
    p->key = kev_pred_key_parse(tok, n, ps->why);
    return p->key ? 0 : KEV_EINVAL;
}

/* "KEY". */
static int parse_key(parser *ps, kev_pred *p)
{
    return take_key(ps, p, p->kind == KEV_PRED_ABSENT ? "absent" : "present");
}

/* "KEY VALUE": VALUE is the rest, as the report renders values. */
static int parse_equals(parser *ps, kev_pred *p)
{
    int rc = take_key(ps, p, "equals");
    const char *r;
    size_t n = rc == 0 ? rest_of(ps, &r) : 0;
    if (rc == 0 && n == 0) {
        kev_strbuf_adds(ps->why, "equals takes a key and a value as the report writes it "
                                 "({Addresses = [\"10.8.0.2\"]; ...})");
        return KEV_EINVAL;
    }
    if (rc == 0 && (p->value = dup_n(r, n)) == NULL)
        rc = KEV_ENOMEM;
    return rc;
}

/* "" (any key), "FAMILY" or "KEY": of a family the kernel backs. */
static int parse_drift(parser *ps, kev_pred *p)
{
    if (*ps->s == '\0' || next_is(ps->s, "and"))
        return 0;
    const char *tok;
    size_t n = token(&ps->s, &tok);
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(n < 63 ? n : 63), tok);
    p->family = n < 63 ? kev_drift_family_named(name) : NULL;
    if (p->family == NULL) {
        if ((p->key = kev_pred_key_parse(tok, n, ps->why)) == NULL)
            return KEV_EINVAL;
        p->family = kev_drift_family_of(p->key);
    }
    if (!p->family->backed) {
        kev_strbuf_addf(ps->why, "'%.*s': the kernel backs nothing in family %s (%s): it never "
                                 "drifts",
                        (int)n, tok, p->family->name, p->family->what);
        return KEV_EINVAL;
    }
    return 0;
}

/* "PROFILE" or "PROFILE KEY". */
static int parse_differs(parser *ps, kev_pred *p)
{
    const char *tok;
    size_t n = token(&ps->s, &tok);
    char name[32];
    snprintf(name, sizeof name, "%.*s", (int)(n < 31 ? n : 31), tok);
    if (n == 0 || n > 31 || kev_profile_parse(name, &p->other) != 0) {
        kev_strbuf_addf(ps->why, "differs-from takes a profile (%s), not '%.*s'",
                        kev_cli_profile_list(false), (int)n, tok);
        return KEV_EINVAL;
    }
    if (*ps->s == '\0' || next_is(ps->s, "and"))
        return 0;
    return take_key(ps, p, "differs-from PROFILE");
}

/* The atoms: keyword, kind, and the parser of what follows. */
/* clang-format off */
static const struct {
    const char *word;
    kev_pred_kind kind;
    int (*parse)(parser *ps, kev_pred *p);
} pred_table[] = {
    {"defect", KEV_PRED_DEFECT, parse_defect},
    {"diag", KEV_PRED_DIAG, parse_diag},
    {"diverges", KEV_PRED_DIVERGES, parse_diverges},
    {"stops", KEV_PRED_STOPS, parse_none},
    {"contains", KEV_PRED_CONTAINS, parse_contains},
    {"absent", KEV_PRED_ABSENT, parse_key},
    {"present", KEV_PRED_PRESENT, parse_key},
    {"equals", KEV_PRED_EQUALS, parse_equals},
    {"drift", KEV_PRED_DRIFT, parse_drift},
    {"differs-from", KEV_PRED_DIFFERS, parse_differs},
};
/* clang-format on */

/* Is the node a state atom (it looks at the world, at the end or at N)? */
static bool is_state(kev_pred_kind k)
{
    return k == KEV_PRED_ABSENT || k == KEV_PRED_PRESENT || k == KEV_PRED_EQUALS ||
           k == KEV_PRED_DRIFT || k == KEV_PRED_DIFFERS;
}

static int parse_and(parser *ps, kev_pred *out);

/* A new zeroed node, or NULL. */
static kev_pred *node_new(void)
{
    return calloc(1, sizeof(kev_pred));
}

/* "at N TERM": N a record index. */
static int parse_at(parser *ps, kev_pred *out);

/* "not TERM", "at N TERM", or an atom. */
static int parse_term(parser *ps, kev_pred *out)
{
    const char *tok;
    memset(out, 0, sizeof *out);
    size_t n = token(&ps->s, &tok);
    if (n == 3 && memcmp(tok, "not", 3) == 0) {
        out->kind = KEV_PRED_NOT;
        if (++ps->atoms > KEV_PRED_MAX_ATOMS) {
            kev_strbuf_addf(ps->why, "more than %u terms", KEV_PRED_MAX_ATOMS);
            return KEV_EINVAL;
        }
        if ((out->a = node_new()) == NULL)
            return KEV_ENOMEM;
        return parse_term(ps, out->a);
    }
    if (n == 2 && memcmp(tok, "at", 2) == 0)
        return parse_at(ps, out);
    for (size_t i = 0; i < sizeof pred_table / sizeof pred_table[0]; i++) {
        if (strlen(pred_table[i].word) == n && memcmp(pred_table[i].word, tok, n) == 0) {
            out->kind = pred_table[i].kind;
            if (++ps->atoms > KEV_PRED_MAX_ATOMS) {
                kev_strbuf_addf(ps->why, "more than %u terms", KEV_PRED_MAX_ATOMS);
                return KEV_EINVAL;
            }
            return pred_table[i].parse(ps, out);
        }
    }
    if (n == 0)
        kev_strbuf_adds(ps->why, "a predicate is missing (after 'not', 'and' or 'at N'?)");
    else
        kev_strbuf_addf(ps->why,
                        "unknown predicate '%.*s' (defect, diag, diverges, stops, contains, "
                        "absent, present, equals, drift, differs-from; not, and, at N)",
                        (int)n, tok);
    return KEV_EINVAL;
}

static int parse_at(parser *ps, kev_pred *out)
{
    const char *tok;
    size_t n = token(&ps->s, &tok);
    char num[24];
    snprintf(num, sizeof num, "%.*s", (int)(n < 23 ? n : 23), tok);
    uint64_t at;
    if (n == 0 || n > 20 || kev_cli_parse_u64(num, &at) != 0) {
        kev_strbuf_addf(ps->why, "at takes a batch index, not '%.*s'", (int)n, tok);
        return KEV_EINVAL;
    }
    int rc = parse_term(ps, out);
    if (rc != 0)
        return rc;
    if (!is_state(out->kind) || out->has_at) {
        kev_strbuf_adds(ps->why, "at N applies to absent, present, equals, drift and "
                                 "differs-from (the state after batch N)");
        return KEV_EINVAL;
    }
    out->has_at = true;
    out->at = at;
    return 0;
}

/* TERM { "and" TERM }. */
static int parse_and(parser *ps, kev_pred *out)
{
    int rc = parse_term(ps, out);
    while (rc == 0 && next_is(ps->s, "and")) {
        const char *tok;
        (void)token(&ps->s, &tok);
        kev_pred *left = node_new(), *right = node_new();
        if (left == NULL || right == NULL) {
            free(left);
            free(right);
            return KEV_ENOMEM;
        }
        *left = *out;
        memset(out, 0, sizeof *out);
        out->kind = KEV_PRED_AND;
        out->a = left;
        out->b = right;
        rc = parse_term(ps, right);
    }
    if (rc == 0 && *ps->s != '\0') {
        kev_strbuf_addf(ps->why, "'%s' follows a whole predicate (combine with 'and')", ps->s);
        rc = KEV_EINVAL;
    }
    return rc;
}

int kev_pred_parse(const char *s, kev_pred *p, kev_strbuf *why)
{
    parser ps = {s, why, 0};
    int rc = parse_and(&ps, p);
    if (rc != 0)
        kev_pred_free(p);
    return rc;
}

void kev_pred_free(kev_pred *p)
{
    if (p == NULL)
        return;
    if (p->a) {
        kev_pred_free(p->a);
        free(p->a);
    }
    if (p->b) {
        kev_pred_free(p->b);
        free(p->b);
    }
    free(p->code);
    free(p->text);
    free(p->golden);
    free(p->key);
    free(p->value);
    memset(p, 0, sizeof *p);
}

bool kev_pred_monotone(const kev_pred *p)
{
    if (p->kind == KEV_PRED_AND)
        return kev_pred_monotone(p->a) && kev_pred_monotone(p->b);
    return p->kind != KEV_PRED_NOT && !is_state(p->kind);
}

const kev_pred *kev_pred_find(const kev_pred *p, kev_pred_kind k)
{
    if (p == NULL)
        return NULL;
    if (p->kind == k)
        return p;
    const kev_pred *f = kev_pred_find(p->a, k);
    return f ? f : kev_pred_find(p->b, k);
}

/* ------------------------------------------------------------ options */

void kev_pred_cli_opts(kev_pred_cli *c, kev_cli_opt *rows)
{
    rows[0] = (kev_cli_opt){"--predicate", &c->until, NULL, NULL};
    rows[1] = (kev_cli_opt){"--until", &c->until, NULL, "--predicate"};
    rows[2] = (kev_cli_opt){"--profile", &c->profile, NULL, NULL};
    rows[3] = (kev_cli_opt){"--recv-buffer", &c->recv_buffer, NULL, NULL};
    rows[4] = (kev_cli_opt){"--ilp32", NULL, &c->ilp32, NULL};
    rows[5] = (kev_cli_opt){"--verbose", NULL, &c->verbose, NULL};
}

/* The profile: given, or the default for the predicate; refuses a pairing
 * that can never hold. 0 or -1 after the message. */
static int setup_profile(const char *cmd, const kev_pred_cli *c, const kev_pred *p,
                         kev_world_opts *o)
{
    const kev_pred *def = kev_pred_find(p, KEV_PRED_DEFECT);
    const kev_pred *diag = kev_pred_find(p, KEV_PRED_DIAG);
    if (c->profile == NULL)
        o->profile = def ? KEV_PROFILE_V963 : KEV_PROFILE_HARDENED;
    else if (kev_cli_profile_parse(cmd, c->profile, &o->profile) != 0)
        return -1;
    bool faithful = kev_profile_faithful(o->profile);
    if (def && !faithful) {
        kev_cli_error(cmd, "only %s report defects: use diag with hardened",
                      kev_cli_profile_list(true));
        return -1;
    }
    if (diag && faithful) {
        kev_cli_error(cmd, "only hardened reports diagnostics: use defect with %s",
                      kev_profile_name(o->profile));
        return -1;
    }
    return 0;
}

/* differs-from: another profile than the replay's, one for the whole
 * predicate. 0 or -1 after the message. */
static int check_differs(const char *cmd, const kev_pred *p, const kev_pred *first,
                         kev_profile used)
{
    if (p == NULL)
        return 0;
    if (p->kind == KEV_PRED_DIFFERS && p->other == used) {
        kev_cli_error(cmd, "differs-from %s: that is the profile replayed; name another",
                      kev_profile_name(used));
        return -1;
    }
    if (p->kind == KEV_PRED_DIFFERS && p->other != first->other) {
        kev_cli_error(cmd, "differs-from names %s and %s: one other profile per predicate",
                      kev_profile_name(first->other), kev_profile_name(p->other));
        return -1;
    }
    return check_differs(cmd, p->a, first, used) || check_differs(cmd, p->b, first, used) ? -1
                                                                                          : 0;
}

int kev_pred_cli_setup(const char *cmd, const kev_pred_cli *c, kev_pred *p,
                       kev_world_opts *o)
{
    kev_world_opts_init(o);
    memset(p, 0, sizeof *p);
    if (c->until == NULL) {
        kev_cli_error(cmd, "no predicate: --predicate 'PREDICATE'; see kevrr help %s", cmd);
        return KEV_EXIT_USAGE;
    }
    kev_strbuf why = KEV_STRBUF_INIT;
    int rc = kev_pred_parse(c->until, p, &why);
    if (rc != 0)
        kev_cli_error(cmd, "--predicate '%s': %s", c->until,
                      rc == KEV_ENOMEM ? "out of memory" : kev_strbuf_str(&why));
    kev_strbuf_free(&why);
    if (rc != 0)
        return rc == KEV_ENOMEM ? KEV_EXIT_INTERNAL : KEV_EXIT_USAGE;
    uint64_t rb = 0;
    const kev_pred *d = kev_pred_find(p, KEV_PRED_DIFFERS);
    if (setup_profile(cmd, c, p, o) != 0 || check_differs(cmd, p, d, o->profile) != 0 ||
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
    kev_pred *p;
    kev_pred *leaves[KEV_PRED_MAX_ATOMS]; /* the atoms, in the predicate's order */
    size_t n_leaves;
    kev_pred *report;    /* the `contains` or `diverges` atom, or NULL */
    bool findings;       /* a defect or diag atom wants the findings */
    const kev_trace_meta *meta;
    const char *snapshot; /* the snapshot loaded before each evaluation */
    size_t snapshot_len;
    kev_world *w;       /* the replay */
    kev_world *other;   /* differs-from: the other profile's replay, or NULL */
    FILE *golden;       /* diverges */
    size_t *fail;       /* contains: the KMP failure function */
    size_t match;       /* contains: text bytes matched so far */
    uint64_t line;      /* diverges: report lines found equal so far */
    uint64_t diff_line; /* diverges: the first line that differs */
    uint64_t count;     /* evaluations run */
    bool finishing;     /* the final state is being written */
    bool in_final;      /* the report atom turned true in the final state */
    int io_err;         /* the golden could not be read */
    int state_err;      /* a state atom could not be evaluated (KEV_ENOMEM) */
    uint8_t gbuf[4096]; /* golden bytes being compared */
};

/* The predicate's value now: 1 true, 0 false, -1 not known yet (three-
 * valued: an atom not decided yet is unknown). */
static int tri(const kev_pred *p)
{
    int a, b;
    switch (p->kind) {
    case KEV_PRED_NOT:
        a = tri(p->a);
        return a < 0 ? -1 : !a;
    case KEV_PRED_AND:
        a = tri(p->a);
        b = tri(p->b);
        return a == 0 || b == 0 ? 0 : a == 1 && b == 1 ? 1 : -1;
    default:
        return p->state;
    }
}

/* Collects the atoms (leaves) of `p` into e->leaves. */
static void collect(kev_pred_eval *e, kev_pred *p)
{
    if (p == NULL)
        return;
    if (p->kind == KEV_PRED_AND || p->kind == KEV_PRED_NOT) {
        collect(e, p->a);
        collect(e, p->b);
        return;
    }
    if (e->n_leaves < KEV_PRED_MAX_ATOMS)
        e->leaves[e->n_leaves++] = p;
    if (p->kind == KEV_PRED_CONTAINS || p->kind == KEV_PRED_DIVERGES)
        e->report = p;
    if (p->kind == KEV_PRED_DEFECT || p->kind == KEV_PRED_DIAG)
        e->findings = true;
}

static void hit(kev_pred_eval *e)
{
    if (e->report->state != 1)
        e->in_final = e->finishing;
    e->report->state = 1;
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
    const char *t = e->report->text;
    size_t j = e->match;
    for (size_t i = 0; i < n; i++) {
        while (j > 0 && p[i] != t[j])
            j = e->fail[j - 1];
        if (p[i] == t[j] && ++j == e->report->text_len) {
            hit(e);
            return;
        }
    }
    e->match = j;
}

/* The report sink: only with a `contains` or `diverges` atom. */
static void eval_write(void *ctx, const char *p, size_t n)
{
    kev_pred_eval *e = ctx;
    if (e->report->state == 1 || e->io_err != 0)
        return;
    if (e->report->kind == KEV_PRED_CONTAINS)
        contains_feed(e, p, n);
    else
        golden_compare(e, p, n);
}

/* The finding callback: only with a `defect` or `diag` atom. */
static void eval_finding(void *ctx, const kev_finding *f)
{
    kev_pred_eval *e = ctx;
    for (size_t i = 0; i < e->n_leaves; i++) {
        kev_pred *p = e->leaves[i];
        if (p->state == 1 || (p->kind != KEV_PRED_DEFECT && p->kind != KEV_PRED_DIAG))
            continue;
        kev_finding_kind want =
            p->kind == KEV_PRED_DEFECT ? KEV_FINDING_DEFECT : KEV_FINDING_DIAGNOSTIC;
        if (f->kind != want || (p->kind == KEV_PRED_DEFECT && f->defect != p->defect))
            continue;
        if (p->code == NULL || (f->code != NULL && strcmp(f->code, p->code) == 0))
            p->state = 1;
    }
}

/* ---- state atoms ---- */

/* Counts the drifting keys of one family (a kev_drift_scan callback). */
typedef struct family_count {
    const kev_drift_family *family;
    size_t n;
} family_count;

static void count_family(void *ctx, const kev_drift_item *it)
{
    family_count *fc = ctx;
    fc->n += strcmp(it->family, fc->family->name) == 0;
}

/* drift [KEY | FAMILY]: 1, 0 or a negative KEV_E* code. */
static int eval_drift(const kev_pred_eval *e, const kev_pred *p)
{
    if (p->key != NULL) {
        kev_drift_item it;
        int rc = kev_drift_check(e->w, p->key, &it);
        if (rc == 1)
            kev_drift_item_clear(&it);
        return rc;
    }
    family_count fc = {p->family, 0};
    long n = kev_drift_scan(e->w, p->family ? count_family : NULL, &fc);
    if (n < 0)
        return (int)n;
    return p->family ? fc.n > 0 : n > 0;
}

/* Do two stores differ: on `key`, or anywhere? 1, 0 or KEV_ENOMEM. */
static int stores_differ(const kev_store *a, const kev_store *b, const char *key)
{
    if (key != NULL) {
        const kev_value *x = kev_store_get(a, key), *y = kev_store_get(b, key);
        return x == NULL || y == NULL ? x != y : !kev_value_equal(x, y);
    }
    if (kev_store_count(a) != kev_store_count(b))
        return 1;
    const char **keys = NULL;
    size_t n = 0;
    if (kev_store_keys_sorted(a, &keys, &n) != 0)
        return KEV_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = stores_differ(a, b, keys[i]);
    free(keys);
    return rc;
}

/* "equals KEY VALUE": the value as the report renders it. */
static int value_is(const kev_value *v, const char *want)
{
    if (v == NULL)
        return 0;
    kev_strbuf sb = KEV_STRBUF_INIT;
    kev_value_format(v, &sb);
    int rc = sb.err ? KEV_ENOMEM : strcmp(kev_strbuf_str(&sb), want) == 0;
    kev_strbuf_free(&sb);
    return rc;
}

/* Decides a state atom on the world as it is now. */
static void eval_state(kev_pred_eval *e, kev_pred *p)
{
    const kev_store *s = kev_world_store(e->w);
    int rc = 0;
    switch (p->kind) {
    case KEV_PRED_ABSENT:
        rc = kev_store_get(s, p->key) == NULL;
        break;
    case KEV_PRED_PRESENT:
        rc = kev_store_get(s, p->key) != NULL;
        break;
    case KEV_PRED_EQUALS:
        rc = value_is(kev_store_get(s, p->key), p->value);
        break;
    case KEV_PRED_DRIFT:
        rc = eval_drift(e, p);
        break;
    case KEV_PRED_DIFFERS:
        rc = stores_differ(s, kev_world_store(e->other), p->key);
        break;
    default:
        return;
    }
    if (rc < 0 && e->state_err == 0)
        e->state_err = rc;
    p->state = rc == 1;
}

/* The state atoms `at N` whose point is reached after recs[i] (the last
 * record fed at or before N; i == SIZE_MAX: before the first). */
static void eval_at(kev_pred_eval *e, const kev_trace_rec *const *recs, size_t n, size_t i)
{
    for (size_t k = 0; k < e->n_leaves; k++) {
        kev_pred *p = e->leaves[k];
        if (!p->has_at || p->state >= 0)
            continue;
        bool fed_ok = i == SIZE_MAX || recs[i]->index <= p->at;
        bool next_past = i + 1 >= n || recs[i + 1]->index > p->at;
        if (fed_ok && next_past)
            eval_state(e, p);
    }
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

/* Loads the snapshot into a (fresh) world. */
static int load_snapshot(const kev_pred_eval *e, kev_world *w, kev_strbuf *err)
{
    if (e->snapshot == NULL || e->snapshot_len == 0)
        return 0;
    return kev_world_load_snapshot(w, e->snapshot, e->snapshot_len, err);
}

/* The world, wired to the predicate: a sink only when the report is
 * looked at, a finding callback only when findings are. */
static kev_world *eval_world(kev_pred_eval *e, const kev_world_opts *o)
{
    kev_world_opts wo = *o;
    if (e->findings) {
        wo.on_finding = eval_finding;
        wo.finding_ctx = e;
    }
    if (e->report != NULL) {
        wo.sink.write = eval_write;
        wo.sink.ctx = e;
    }
    return kev_world_new(&wo);
}

/* The other profile's world (differs-from): no sink, no callbacks. */
static kev_world *other_world(const kev_pred *d, const kev_world_opts *o)
{
    kev_world_opts wo;
    kev_world_opts_init(&wo);
    wo.profile = d->other;
    wo.ilp32 = o->ilp32;
    wo.verbose = o->verbose;
    wo.recv_buffer = o->recv_buffer;
    return kev_world_new(&wo);
}

/* Opens the golden and checks the snapshot. 0 or an exit code. */
static int eval_inputs(const char *cmd, const char *path, kev_pred_eval *e)
{
    const kev_pred *d = kev_pred_find(e->p, KEV_PRED_DIVERGES);
    if (d != NULL && (e->golden = fopen(d->golden, "rb")) == NULL) {
        kev_cli_error(cmd, "cannot open %s: %s", d->golden, strerror(errno));
        return KEV_EXIT_INPUT;
    }
    kev_strbuf err = KEV_STRBUF_INIT;
    int rc = load_snapshot(e, e->w, &err);
    if (rc != 0)
        kev_cli_error(cmd, "%s: snapshot: %s", path,
                      err.len ? kev_strbuf_str(&err) : kev_strerror(rc));
    kev_strbuf_free(&err);
    return rc == 0 ? 0 : rc == KEV_ENOMEM ? KEV_EXIT_INTERNAL : KEV_EXIT_INPUT;
}

int kev_pred_eval_open(const char *cmd, const char *path, kev_pred *p,
                       const kev_world_opts *o, const kev_trace_meta *m,
                       kev_pred_eval **out)
{
    *out = NULL;
    kev_pred_eval *e = calloc(1, sizeof *e);
    bool oom = e == NULL;
    if (!oom) {
        e->p = p;
        e->meta = m;
        e->snapshot = m->snapshot;
        e->snapshot_len = m->snapshot_len;
        collect(e, p);
        const kev_pred *d = kev_pred_find(p, KEV_PRED_DIFFERS);
        e->w = eval_world(e, o);
        e->other = d ? other_world(d, o) : NULL;
        if (e->report && e->report->kind == KEV_PRED_CONTAINS)
            e->fail = kmp_table(e->report->text, e->report->text_len);
        oom = e->w == NULL || (d && e->other == NULL) ||
              (e->report && e->report->kind == KEV_PRED_CONTAINS && e->fail == NULL);
    }
    if (oom) {
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

void kev_pred_eval_set_snapshot(kev_pred_eval *e, const char *text, size_t len)
{
    e->snapshot = text;
    e->snapshot_len = len;
}

void kev_pred_eval_close(kev_pred_eval *e)
{
    if (e == NULL)
        return;
    if (e->golden != NULL)
        fclose(e->golden);
    kev_world_free(e->w);
    kev_world_free(e->other);
    free(e->fail);
    free(e);
}

/* A fresh world with the snapshot, the golden rewound, nothing decided. */
static int eval_begin(kev_pred_eval *e)
{
    e->count++;
    e->match = 0;
    e->line = e->diff_line = 0;
    e->finishing = e->in_final = false;
    e->io_err = e->state_err = 0;
    for (size_t i = 0; i < e->n_leaves; i++)
        e->leaves[i]->state = -1;
    if (e->golden != NULL && fseek(e->golden, 0, SEEK_SET) != 0)
        return KEV_EIO;
    kev_world_reset(e->w);
    int rc = load_snapshot(e, e->w, NULL);
    if (rc == 0 && e->other != NULL) {
        kev_world_reset(e->other);
        rc = load_snapshot(e, e->other, NULL);
    }
    return rc;
}

/* Feeds one record to a world. */
static int feed_world(kev_world *w, const kev_trace_rec *r)
{
    if (r->kind == KEV_TR_ERROR)
        return kev_world_feed_error(w, r->err, r->err_name, r->t_ns);
    size_t n = r->caplen < KEV_MAX_BATCH ? r->caplen : KEV_MAX_BATCH;
    return kev_world_feed(w, r->data, n, r->t_ns);
}

/* Feeds one record to the replay (and the other profile's). */
static int eval_feed(kev_pred_eval *e, const kev_trace_rec *r)
{
    int rc = feed_world(e->w, r);
    if (rc == 0 && e->other != NULL)
        rc = feed_world(e->other, r);
    bool stopped = kev_world_stats_get(e->w)->stopped > 0;
    for (size_t i = 0; stopped && i < e->n_leaves; i++)
        if (e->leaves[i]->kind == KEV_PRED_STOPS)
            e->leaves[i]->state = 1;
    return rc;
}

/* Writes the final state; `diverges` then wants the golden ended too. */
static int eval_finish(kev_pred_eval *e)
{
    e->finishing = true;
    int rc = kev_world_finish(e->w);
    if (rc != 0 || e->report->state == 1 || e->io_err != 0 ||
        e->report->kind != KEV_PRED_DIVERGES)
        return rc;
    if (getc(e->golden) != EOF) {
        e->diff_line = e->line + 1;
        hit(e);
    } else if (ferror(e->golden)) {
        e->io_err = KEV_EIO;
    }
    return 0;
}

/* Decides what is left at the end: state atoms on the final state, atoms
 * waiting for an event are false. A candidate without records still
 * starts configd (prime), as a replay of an empty trace does. */
static void eval_end(kev_pred_eval *e, size_t n)
{
    if (n == 0) {
        (void)kev_world_start(e->w, 0); /* KEV_EINVAL: started by the finish */
        if (e->other != NULL)
            (void)kev_world_start(e->other, 0);
    }
    for (size_t i = 0; i < e->n_leaves; i++) {
        kev_pred *p = e->leaves[i];
        if (p->state < 0 && is_state(p->kind))
            eval_state(e, p);
        else if (p->state < 0)
            p->state = 0;
    }
}

int kev_pred_eval_run(kev_pred_eval *e, const kev_trace_rec *const *recs, size_t n,
                      bool finish)
{
    int rc = eval_begin(e);
    if (rc == 0 && n > 0)
        eval_at(e, recs, n, SIZE_MAX);
    for (size_t i = 0; rc == 0 && tri(e->p) < 0 && e->io_err == 0 && i < n; i++) {
        rc = eval_feed(e, recs[i]);
        if (rc == 0)
            eval_at(e, recs, n, i);
    }
    if (rc == 0 && tri(e->p) < 0 && e->io_err == 0 && finish && e->report != NULL &&
        e->report->state < 0)
        rc = eval_finish(e);
    if (rc == 0 && tri(e->p) < 0)
        eval_end(e, n);
    if (rc == 0)
        rc = e->io_err ? e->io_err : e->state_err;
    return rc < 0 ? rc : tri(e->p) == 1;
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
