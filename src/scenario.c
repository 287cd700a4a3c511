/*
 * scenario.c: the scenario compiler (kevrr/scenario.h; the grammar is in
 * docs/scenario.md). A scenario is line-oriented text: each line is one
 * statement, dispatched through one table of {keyword, sub-keyword,
 * handler}. Event statements fill a kev_fields, the builders of
 * kevrr/build.h turn it into a kern_event_msg record, and the record goes
 * out as a BATCH item of its own or joins the open `batch ... end` group.
 * `error` emits an ERROR item, `kernel` lines collect the SNAPSHOT text.
 *
 * Parsing is strict and self-contained (no strtol, no inet_pton, no OS
 * networking headers): every number, address and name is checked for range
 * and full consumption, and the first problem stops compilation with one
 * message "line N: <statement>: <detail>" naming the offending token.
 */
#include "kevrr/scenario.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "kevrr/build.h"
#include "kevrr/error.h"
#include "kevrr/events.h"
#include "kevrr/kernel.h"
#include "kevrr/wire.h"

/* ---- Darwin errno names ------------------------------------------------ */

typedef struct errno_def {
    const char *name;
    int value;
} errno_def;

/* <sys/errno.h> of macOS: every value 1..ELAST (106) has a name; the first
 * row of a value is its canonical name (EAGAIN before EWOULDBLOCK). */
/* clang-format off */
static const errno_def darwin_errnos[] = {
    {"EPERM", 1}, {"ENOENT", 2}, {"ESRCH", 3}, {"EINTR", 4}, {"EIO", 5},
    {"ENXIO", 6}, {"E2BIG", 7}, {"ENOEXEC", 8}, {"EBADF", 9}, {"ECHILD", 10},
    {"EDEADLK", 11}, {"ENOMEM", 12}, {"EACCES", 13}, {"EFAULT", 14},
    {"ENOTBLK", 15}, {"EBUSY", 16}, {"EEXIST", 17}, {"EXDEV", 18},
    {"ENODEV", 19}, {"ENOTDIR", 20}, {"EISDIR", 21}, {"EINVAL", 22},
    {"ENFILE", 23}, {"EMFILE", 24}, {"ENOTTY", 25}, {"ETXTBSY", 26},
    {"EFBIG", 27}, {"ENOSPC", 28}, {"ESPIPE", 29}, {"EROFS", 30},
    {"EMLINK", 31}, {"EPIPE", 32}, {"EDOM", 33}, {"ERANGE", 34},
    {"EAGAIN", 35}, {"EWOULDBLOCK", 35}, {"EINPROGRESS", 36},
    {"EALREADY", 37}, {"ENOTSOCK", 38}, {"EDESTADDRREQ", 39},
    {"EMSGSIZE", 40}, {"EPROTOTYPE", 41}, {"ENOPROTOOPT", 42},
    {"EPROTONOSUPPORT", 43}, {"ESOCKTNOSUPPORT", 44}, {"ENOTSUP", 45},
    {"EPFNOSUPPORT", 46}, {"EAFNOSUPPORT", 47}, {"EADDRINUSE", 48},
    {"EADDRNOTAVAIL", 49}, {"ENETDOWN", 50}, {"ENETUNREACH", 51},
    {"ENETRESET", 52}, {"ECONNABORTED", 53}, {"ECONNRESET", 54},
    {"ENOBUFS", 55}, {"EISCONN", 56}, {"ENOTCONN", 57}, {"ESHUTDOWN", 58},
    {"ETOOMANYREFS", 59}, {"ETIMEDOUT", 60}, {"ECONNREFUSED", 61},
    {"ELOOP", 62}, {"ENAMETOOLONG", 63}, {"EHOSTDOWN", 64},
    {"EHOSTUNREACH", 65}, {"ENOTEMPTY", 66}, {"EPROCLIM", 67},
    {"EUSERS", 68}, {"EDQUOT", 69}, {"ESTALE", 70}, {"EREMOTE", 71},
    {"EBADRPC", 72}, {"ERPCMISMATCH", 73}, {"EPROGUNAVAIL", 74},
    {"EPROGMISMATCH", 75}, {"EPROCUNAVAIL", 76}, {"ENOLCK", 77},
    {"ENOSYS", 78}, {"EFTYPE", 79}, {"EAUTH", 80}, {"ENEEDAUTH", 81},
    {"EPWROFF", 82}, {"EDEVERR", 83}, {"EOVERFLOW", 84}, {"EBADEXEC", 85},
    {"EBADARCH", 86}, {"ESHLIBVERS", 87}, {"EBADMACHO", 88},
    {"ECANCELED", 89}, {"EIDRM", 90}, {"ENOMSG", 91}, {"EILSEQ", 92},
    {"ENOATTR", 93}, {"EBADMSG", 94}, {"EMULTIHOP", 95}, {"ENODATA", 96},
    {"ENOLINK", 97}, {"ENOSR", 98}, {"ENOSTR", 99}, {"EPROTO", 100},
    {"ETIME", 101}, {"EOPNOTSUPP", 102}, {"ENOPOLICY", 103},
    {"ENOTRECOVERABLE", 104}, {"EOWNERDEAD", 105}, {"EQFULL", 106},
};
/* clang-format on */
#define N_ERRNOS (sizeof darwin_errnos / sizeof darwin_errnos[0])

int kev_darwin_errno(const char *name)
{
    if (name == NULL)
        return -1;
    for (size_t i = 0; i < N_ERRNOS; i++)
        if (strcmp(darwin_errnos[i].name, name) == 0)
            return darwin_errnos[i].value;
    return -1;
}

const char *kev_darwin_errno_name(int value)
{
    for (size_t i = 0; i < N_ERRNOS; i++)
        if (darwin_errnos[i].value == value)
            return darwin_errnos[i].name;
    return NULL;
}

/* ---- Compiler state ---------------------------------------------------- */

typedef struct tok {
    const char *p;
    size_t n;
} tok;

/* Tokens are separated by at least one blank, so a line holds at most
 * half its length in tokens (rounded up). */
#define MAX_TOKS (KEV_SCENARIO_MAX_LINE / 2 + 1)
/* One record before `trunc`: header, the largest payload (an ARP collision
 * with 255 hardware bytes), and up to KEV_MAX_BATCH bytes of `pad`. */
#define MAX_PAYLOAD (KEV_SZ_IN_COLLISION + 255u)
#define REC_CAP     (KEV_MSG_HEADER_SIZE + MAX_PAYLOAD + KEV_MAX_BATCH)

/* Option bits: the record options every event statement takes, then the
 * field options of particular statements. */
/* clang-format off */
enum {
    O_SIZE = 1 << 0, O_PAD = 1 << 1, O_TRUNC = 1 << 2, O_VENDOR = 1 << 3,
    O_CLASS = 1 << 4, O_FAMILY = 1 << 5, O_DEST4 = 1 << 6, O_DEST6 = 1 << 7,
    O_FLAGS = 1 << 8, O_MAC = 1 << 9, O_VAL = 1 << 10
};
/* clang-format on */
#define O_RECORD (O_SIZE | O_PAD | O_TRUNC | O_VENDOR | O_CLASS)

/* Statement flags. */
#define F_LEN_OPTIONAL 0x1u /* ADDR/LEN may omit /LEN (the `del` forms) */
#define F_ZERO_IN6     0x2u /* kev_in6_data with every address field zero */

typedef struct scn scn;
typedef struct stmt_def stmt_def;
typedef int (*stmt_fn)(scn *s, const stmt_def *d, size_t i);

struct stmt_def {
    const char *kw;
    const char *sub; /* NULL: the keyword alone is the statement */
    stmt_fn fn;      /* called with the index of the first argument token */
    uint32_t subclass, code;
    unsigned opts;  /* O_* field options besides O_RECORD */
    unsigned flags; /* F_* */
};

struct scn {
    kev_scn_emit emit;
    void *ctx;
    kev_strbuf *err;
    unsigned line;
    const char *kw, *sub; /* the statement being compiled, for messages */
    const char *lp;       /* the line's text (no '\n', no trailing '\r') */
    size_t ln;
    tok toks[MAX_TOKS];
    size_t ntok;
    uint64_t t, step;
    bool t_over; /* the last step carried t past 2^64 - 1 */
    uint32_t next_id;
    bool seen_event; /* an event, error or batch statement was seen */
    bool in_batch;
    unsigned batch_line;
    size_t blen;
    kev_strbuf snap;
    bool have_snap, snap_done;
    unsigned snap_line;
    kev_kernel *kernel; /* the kernel lines loaded so far: each is checked */
    uint8_t batch[KEV_MAX_BATCH];
    uint8_t rec[REC_CAP];
    char name[KEV_SCENARIO_MAX_LINE + 1];
};

/* Record options. */
typedef struct rec_opts {
    unsigned seen;
    uint32_t size, vendor, klass, pad, trunc;
} rec_opts;

#define TOKF    "'%.*s'"
#define TOKA(t) (int)(t)->n, (t)->p

/* Appends "line N: [statement: ]detail" to s->err and returns `code`. */
static int fail(scn *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(scn *s, int code, const char *fmt, ...)
{
    if (s->err == NULL)
        return code;
    kev_strbuf_addf(s->err, "line %u: ", s->line);
    if (s->kw && s->sub)
        kev_strbuf_addf(s->err, "%s %s: ", s->kw, s->sub);
    else if (s->kw)
        kev_strbuf_addf(s->err, "%s: ", s->kw);
    va_list ap;
    va_start(ap, fmt);
    kev_strbuf_vaddf(s->err, fmt, ap);
    va_end(ap);
    return code;
}

/* ---- Lexical helpers --------------------------------------------------- */

static bool tok_eq(const tok *t, const char *s)
{
    size_t n = strlen(s);
    return t->n == n && memcmp(t->p, s, n) == 0;
}

static int decval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : -1;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Result of the number parsers. */
enum { P_OK, P_BAD, P_RANGE, P_FRACTION };

/* An unsigned decimal number, or with hex_ok also 0xHEX; every byte must
 * belong to it (no sign, no blanks). */
static int parse_num(const char *p, size_t n, bool hex_ok, uint64_t *out)
{
    unsigned base = 10;
    size_t i = 0;
    if (hex_ok && n > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        i = 2;
    }
    if (i == n)
        return P_BAD;
    uint64_t v = 0;
    bool big = false;
    for (; i < n; i++) {
        int d = base == 16 ? hexval(p[i]) : decval(p[i]);
        if (d < 0)
            return P_BAD;
        if (v > (UINT64_MAX - (uint64_t)d) / base)
            big = true;
        v = v * base + (uint64_t)d;
    }
    if (big)
        return P_RANGE;
    *out = v;
    return P_OK;
}

/* DIGITS[.DIGITS] (at most 9 decimals) times `mult`, exact to the unit. */
static int parse_scaled(const char *p, size_t n, uint64_t mult, uint64_t *out)
{
    const char *dot = memchr(p, '.', n);
    size_t il = dot ? (size_t)(dot - p) : n;
    uint64_t ip, frac = 0, scale = 1;
    if (il == 0)
        return P_BAD;
    int rc = parse_num(p, il, false, &ip);
    if (rc != P_OK)
        return rc;
    if (dot) {
        size_t fl = n - il - 1;
        if (fl == 0 || fl > 9 || parse_num(dot + 1, fl, false, &frac) != P_OK)
            return P_BAD;
        for (size_t j = 0; j < fl; j++)
            scale *= 10;
    }
    if (ip > UINT64_MAX / mult)
        return P_RANGE;
    uint64_t whole = ip * mult, part = frac * mult; /* frac, mult < 10^9 + 1 */
    if (part % scale != 0)
        return P_FRACTION;
    if (part / scale > UINT64_MAX - whole)
        return P_RANGE;
    *out = whole + part / scale;
    return P_OK;
}

/* A duration: NUMBER followed by ns, us, ms or s; a bare 0 also works. */
static int parse_dur(const char *p, size_t n, uint64_t *out)
{
    static const struct {
        const char *unit;
        uint64_t mult;
    } units[] = {{"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}};
    if (n == 1 && p[0] == '0') {
        *out = 0;
        return P_OK;
    }
    for (size_t k = 0; k < sizeof units / sizeof units[0]; k++) {
        size_t ul = strlen(units[k].unit);
        if (n > ul && memcmp(p + n - ul, units[k].unit, ul) == 0)
            return parse_scaled(p, n - ul, units[k].mult, out);
    }
    return P_BAD;
}

/* A dotted quad: four decimal parts 0..255, no leading zeros. */
static bool parse_ip4(const char *p, size_t n, uint8_t out[4])
{
    size_t i = 0;
    for (int k = 0; k < 4; k++) {
        if (k > 0) {
            if (i >= n || p[i] != '.')
                return false;
            i++;
        }
        size_t st = i;
        unsigned v = 0;
        while (i < n && i - st < 3 && decval(p[i]) >= 0)
            v = v * 10 + (unsigned)decval(p[i++]);
        if (i == st || v > 255 || (i - st > 1 && p[st] == '0'))
            return false;
        out[k] = (uint8_t)v;
    }
    return i == n;
}

/* Places parsed groups into out, expanding the "::" before group `gap`. */
static void ip6_expand(const uint16_t g[8], size_t ng, size_t gap, uint8_t out[16])
{
    memset(out, 0, 16);
    size_t k = 0;
    for (size_t j = 0; j < ng; j++, k++) {
        if (j == gap)
            k += 8 - ng;
        out[2 * k] = (uint8_t)(g[j] >> 8);
        out[2 * k + 1] = (uint8_t)g[j];
    }
}

/* RFC 4291 text: 1..4 hex digit groups, at most one "::", optionally a
 * dotted quad as the last 32 bits. No zone index. */
static bool parse_ip6(const char *p, size_t n, uint8_t out[16])
{
    uint16_t g[8];
    size_t ng = 0, i = 0, gap = SIZE_MAX;
    if (n >= 2 && p[0] == ':' && p[1] == ':') {
        gap = 0;
        i = 2;
    } else if (n == 0 || p[0] == ':') {
        return false;
    }
    while (i < n) {
        size_t st = i, d = 0;
        unsigned v = 0;
        while (i < n && d < 4 && hexval(p[i]) >= 0) {
            v = v * 16 + (unsigned)hexval(p[i++]);
            d++;
        }
        if (i < n && p[i] == '.') {
            uint8_t q[4];
            if (ng > 6 || !parse_ip4(p + st, n - st, q))
                return false;
            g[ng++] = (uint16_t)(q[0] << 8 | q[1]);
            g[ng++] = (uint16_t)(q[2] << 8 | q[3]);
            break;
        }
        if (d == 0 || ng == 8)
            return false;
        g[ng++] = (uint16_t)v;
        if (i == n)
            break;
        if (p[i++] != ':' || i == n)
            return false;
        if (p[i] == ':') {
            if (gap != SIZE_MAX)
                return false;
            gap = ng;
            i++;
        }
    }
    if (gap == SIZE_MAX ? ng != 8 : ng > 7)
        return false;
    ip6_expand(g, ng, gap, out);
    return true;
}

/* HEX digits, an even number of them, into at most cap bytes. */
static int parse_hex(const char *p, size_t n, uint8_t *out, size_t cap, size_t *len)
{
    if (n == 0 || n % 2 != 0)
        return P_BAD;
    for (size_t j = 0; j < n; j++)
        if (hexval(p[j]) < 0)
            return P_BAD;
    if (n / 2 > cap)
        return P_RANGE;
    for (size_t j = 0; j < n; j += 2)
        out[j / 2] = (uint8_t)(hexval(p[j]) << 4 | hexval(p[j + 1]));
    *len = n / 2;
    return P_OK;
}

/* HH:HH:...:HH (two hex digits per byte) into at most cap bytes; "-" is
 * no bytes. */
static int parse_colon_hex(const char *p, size_t n, uint8_t *out, size_t cap, size_t *len)
{
    if (n == 1 && p[0] == '-') {
        *len = 0;
        return P_OK;
    }
    if ((n + 1) % 3 != 0)
        return P_BAD;
    size_t cnt = (n + 1) / 3;
    for (size_t k = 0; k < cnt; k++) {
        const char *q = p + 3 * k;
        if (hexval(q[0]) < 0 || hexval(q[1]) < 0 || (k + 1 < cnt && q[2] != ':'))
            return P_BAD;
    }
    if (cnt > cap)
        return P_RANGE;
    for (size_t k = 0; k < cnt; k++)
        out[k] = (uint8_t)(hexval(p[3 * k]) << 4 | hexval(p[3 * k + 1]));
    *len = cnt;
    return P_OK;
}

/* ---- Argument helpers (fail with a message) ---------------------------- */

/* Token i, or NULL (with "missing WHAT" reported: KEV_EFORMAT). */
static const tok *arg(scn *s, size_t i, const char *what)
{
    if (i < s->ntok)
        return &s->toks[i];
    (void)fail(s, KEV_EFORMAT, "missing %s", what);
    return NULL;
}

static int no_more(scn *s, size_t i)
{
    if (i < s->ntok)
        return fail(s, KEV_EFORMAT, "unexpected " TOKF, TOKA(&s->toks[i]));
    return 0;
}

static int get_u64(scn *s, const tok *t, const char *what, uint64_t max, uint64_t *v)
{
    int rc = parse_num(t->p, t->n, true, v);
    if (rc == P_BAD)
        return fail(s, KEV_EFORMAT, "bad %s " TOKF, what, TOKA(t));
    if (rc != P_OK || *v > max)
        return fail(s, KEV_EFORMAT, "%s out of range " TOKF " (max %llu)", what, TOKA(t),
                    (unsigned long long)max);
    return 0;
}

static int get_u32(scn *s, const tok *t, const char *what, uint32_t max, uint32_t *v)
{
    uint64_t w = 0;
    int rc = get_u64(s, t, what, max, &w);
    if (rc == 0)
        *v = (uint32_t)w;
    return rc;
}

static int arg_u32(scn *s, size_t i, const char *what, uint32_t max, uint32_t *v)
{
    const tok *t = arg(s, i, what);
    return t ? get_u32(s, t, what, max, v) : KEV_EFORMAT;
}

/* A signed 32-bit decimal number. */
static int arg_i32(scn *s, size_t i, const char *what, int32_t *v)
{
    const tok *t = arg(s, i, what);
    if (t == NULL)
        return KEV_EFORMAT;
    bool neg = t->n > 0 && t->p[0] == '-';
    uint64_t m;
    int rc = parse_num(t->p + neg, t->n - neg, false, &m);
    if (rc == P_BAD)
        return fail(s, KEV_EFORMAT, "bad %s " TOKF, what, TOKA(t));
    if (rc != P_OK || m > (neg ? 2147483648u : 2147483647u))
        return fail(s, KEV_EFORMAT, "%s out of range " TOKF " (-2147483648..2147483647)",
                    what, TOKA(t));
    *v = neg ? (int32_t)(-(int64_t)m) : (int32_t)m;
    return 0;
}

/* A token of the form ADDR[/LEN] (IPv4 when len == 4, else IPv6). Without
 * /LEN, `*plen` gets `dflt` when `dflt` is not UINT32_MAX. */
static int arg_prefix(scn *s, size_t i, size_t alen, uint32_t dflt, uint8_t *addr,
                      uint32_t *plen)
{
    const tok *t = arg(s, i, "address");
    if (t == NULL)
        return KEV_EFORMAT;
    const char *sl = memchr(t->p, '/', t->n);
    size_t an = sl ? (size_t)(sl - t->p) : t->n;
    bool ok = alen == 4 ? parse_ip4(t->p, an, addr) : parse_ip6(t->p, an, addr);
    if (!ok)
        return fail(s, KEV_EFORMAT, "bad address " TOKF, TOKA(t));
    if (sl == NULL) {
        if (dflt == UINT32_MAX)
            return fail(s, KEV_EFORMAT, "missing /LEN in " TOKF, TOKA(t));
        *plen = dflt;
        return 0;
    }
    uint64_t v;
    size_t ln = t->n - an - 1;
    if (parse_num(sl + 1, ln, false, &v) != P_OK || v > alen * 8)
        return fail(s, KEV_EFORMAT, "bad prefix length " TOKF, TOKA(t));
    *plen = (uint32_t)v;
    return 0;
}

/* Ends arg_name: s->name holds the decoded if_name in its first `namelen`
 * bytes, `ut` is the text of the unit; `t` is the whole token. */
static int name_finish(scn *s, const tok *t, size_t namelen, const tok *ut, kev_fields *f)
{
    uint64_t unit;
    int rc = parse_num(ut->p, ut->n, false, &unit);
    if (rc == P_BAD)
        return fail(s, KEV_EFORMAT, "bad name " TOKF ": bad unit", TOKA(t));
    if (rc != P_OK || unit > UINT32_MAX)
        return fail(s, KEV_EFORMAT, "bad name " TOKF ": unit out of range", TOKA(t));
    if (namelen == 0)
        return fail(s, KEV_EFORMAT, "bad name " TOKF ": empty interface name", TOKA(t));
    if (namelen > KEV_IFNAMSIZ)
        return fail(s, KEV_EFORMAT, "bad name " TOKF ": if_name longer than 16 bytes",
                    TOKA(t));
    s->name[namelen] = '\0';
    kev_fields_name(f, s->name, (uint32_t)unit);
    return 0;
}

/* NAME: if_name followed by decimal unit digits, or if_name:unit. Escapes
 * \xNN (not \x00) and \\ give any byte; escaped bytes never count as unit
 * digits. */
static int arg_name(scn *s, size_t i, kev_fields *f)
{
    const tok *t = arg(s, i, "interface name");
    if (t == NULL)
        return KEV_EFORMAT;
    size_t nb = 0, lit = 0, j = 0;
    while (j < t->n && t->p[j] != ':') {
        char c = t->p[j];
        if (c == '\\' && j + 1 < t->n && t->p[j + 1] == '\\') {
            c = '\\';
            j += 2;
        } else if (c == '\\') {
            if (j + 3 >= t->n || t->p[j + 1] != 'x' || hexval(t->p[j + 2]) < 0 ||
                hexval(t->p[j + 3]) < 0)
                return fail(s, KEV_EFORMAT, "bad name " TOKF ": bad escape", TOKA(t));
            c = (char)(hexval(t->p[j + 2]) << 4 | hexval(t->p[j + 3]));
            if (c == '\0')
                return fail(s, KEV_EFORMAT, "bad name " TOKF ": \\x00 is not allowed",
                            TOKA(t));
            j += 4;
        } else {
            lit = decval(c) >= 0 ? lit + 1 : 0;
            s->name[nb++] = c;
            j++;
            continue;
        }
        lit = 0;
        s->name[nb++] = c;
    }
    if (j < t->n) {
        tok ut = {t->p + j + 1, t->n - j - 1};
        return name_finish(s, t, nb, &ut, f);
    }
    if (lit == 0)
        return fail(s, KEV_EFORMAT, "name %.*s has no unit", TOKA(t));
    tok ut = {t->p + t->n - lit, lit};
    return name_finish(s, t, nb - lit, &ut, f);
}

/* ---- Options ------------------------------------------------------------ */

typedef int (*opt_fn)(scn *s, const tok *v, kev_fields *f, rec_opts *o);

/* An option: parsed by `fn`, or, when `fn` is NULL, a u32 up to `max`
 * stored at offset `off` of the record options or (in_fields) the fields. */
typedef struct opt_def {
    const char *name;
    unsigned bit;
    opt_fn fn;
    bool in_fields;
    size_t off;
    uint32_t max;
} opt_def;

#define OPT_REC(n, b, member, max) {n, b, NULL, false, offsetof(rec_opts, member), max}
#define OPT_FIELD(n, b, member) {n, b, NULL, true, offsetof(kev_fields, member), UINT32_MAX}
#define OPT_FN(n, b, fn) {n, b, fn, false, 0, 0}

/* Parses the value of a plain u32 option into its place. */
static int opt_u32(scn *s, const opt_def *d, const tok *v, kev_fields *f, rec_opts *o)
{
    char *base = d->in_fields ? (char *)f : (char *)o;
    return get_u32(s, v, d->name, d->max, (uint32_t *)(void *)(base + d->off));
}

static int opt_dest4(scn *s, const tok *v, kev_fields *f, rec_opts *o)
{
    (void)o;
    if (!parse_ip4(v->p, v->n, f->dst4))
        return fail(s, KEV_EFORMAT, "bad peer address " TOKF, TOKA(v));
    return 0;
}

static int opt_dest6(scn *s, const tok *v, kev_fields *f, rec_opts *o)
{
    (void)o;
    if (!parse_ip6(v->p, v->n, f->dst6))
        return fail(s, KEV_EFORMAT, "bad peer address " TOKF, TOKA(v));
    return 0;
}

static int opt_mac(scn *s, const tok *v, kev_fields *f, rec_opts *o)
{
    (void)o;
    size_t n;
    if (parse_colon_hex(v->p, v->n, f->mac, sizeof f->mac, &n) != P_OK ||
        n != sizeof f->mac)
        return fail(s, KEV_EFORMAT, "bad mac " TOKF, TOKA(v));
    return 0;
}

/* clang-format off */
static const opt_def opt_table[] = {
    OPT_REC("size", O_SIZE, size, UINT32_MAX),
    OPT_REC("pad", O_PAD, pad, KEV_MAX_BATCH),
    OPT_REC("trunc", O_TRUNC, trunc, UINT32_MAX),
    OPT_REC("vendor", O_VENDOR, vendor, UINT32_MAX),
    OPT_REC("class", O_CLASS, klass, UINT32_MAX),
    OPT_FIELD("family", O_FAMILY, family),
    OPT_FN("peer", O_DEST4, opt_dest4),
    OPT_FN("peer", O_DEST6, opt_dest6),
    /* Older spellings of peer, kept: dest (events), dst (kernel IPv6). */
    OPT_FN("dest", O_DEST4, opt_dest4),
    OPT_FN("dest", O_DEST6, opt_dest6),
    OPT_FN("dst", O_DEST4, opt_dest4),
    OPT_FN("dst", O_DEST6, opt_dest6),
    OPT_FIELD("flags", O_FLAGS, flags6),
    OPT_FN("mac", O_MAC, opt_mac),
    OPT_FIELD("val", O_VAL, nd6_val),
};
/* clang-format on */
#define N_OPTS (sizeof opt_table / sizeof opt_table[0])

/* Is the token an option keyword? (Ends optional positional arguments.) */
static bool is_opt_word(const tok *t)
{
    for (size_t k = 0; k < N_OPTS; k++)
        if (tok_eq(t, opt_table[k].name))
            return true;
    return false;
}

/* Parses `KEY VALUE` pairs from token i on; each key once, any order. */
static int parse_opts(scn *s, size_t i, unsigned allowed, kev_fields *f, rec_opts *o)
{
    for (; i < s->ntok; i += 2) {
        const tok *k = &s->toks[i];
        const opt_def *d = NULL;
        for (size_t j = 0; j < N_OPTS && d == NULL; j++)
            if ((opt_table[j].bit & allowed) && tok_eq(k, opt_table[j].name))
                d = &opt_table[j];
        if (d == NULL)
            return fail(s, KEV_EFORMAT, "unknown option " TOKF, TOKA(k));
        if (o->seen & d->bit)
            return fail(
                s, KEV_EFORMAT, "duplicate option " TOKF "%s", TOKA(k),
                d->bit & (O_DEST4 | O_DEST6) ? " (peer, dest and dst are one option)" : "");
        if (i + 1 >= s->ntok)
            return fail(s, KEV_EFORMAT, "option " TOKF " needs a value", TOKA(k));
        o->seen |= d->bit;
        const tok *v = &s->toks[i + 1];
        int rc = d->fn ? d->fn(s, v, f, o) : opt_u32(s, d, v, f, o);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- Items and records -------------------------------------------------- */

/* Emits the SNAPSHOT item, once, if there were kernel lines. */
static int flush_snapshot(scn *s)
{
    if (s->snap_done)
        return 0;
    s->snap_done = true;
    if (!s->have_snap)
        return 0;
    kev_scn_item it = {KEV_SCN_SNAPSHOT, s->t, NULL, s->snap.len, 0, NULL, s->snap_line};
    it.bytes = (const uint8_t *)kev_strbuf_str(&s->snap);
    return s->emit(s->ctx, &it);
}

/* Emits a BATCH or ERROR item at the current time, then steps the time. */
static int emit_item(scn *s, kev_scn_item *it)
{
    int rc = flush_snapshot(s);
    if (rc)
        return rc;
    if (s->t_over)
        return fail(s, KEV_EFORMAT, "time passes 18446744073.709551615 s");
    it->t_ns = s->t;
    rc = s->emit(s->ctx, it);
    if (rc)
        return rc;
    if (s->step > UINT64_MAX - s->t)
        s->t_over = true;
    else
        s->t += s->step;
    return 0;
}

/* Adds record bytes to the open batch, or emits them as a batch. */
static int push_bytes(scn *s, const uint8_t *b, size_t n)
{
    size_t have = s->in_batch ? s->blen : 0;
    if (n > KEV_MAX_BATCH - have)
        return fail(s, KEV_ETOOBIG, "batch of %zu bytes exceeds the cap of %u", have + n,
                    KEV_MAX_BATCH);
    if (s->in_batch) {
        if (n)
            memcpy(s->batch + s->blen, b, n);
        s->blen += n;
        return 0;
    }
    kev_scn_item it = {KEV_SCN_BATCH, 0, b, n, 0, NULL, s->line};
    return emit_item(s, &it);
}

/* Builds the record (header + payload + pad), applies the header options
 * and `trunc`, consumes an id, and pushes it. */
static int put_record(scn *s, uint32_t sub, uint32_t code, const uint8_t *payload,
                      size_t plen, const rec_opts *o)
{
    size_t n = kev_build_record(s->rec, REC_CAP, sub, code, s->next_id, payload, plen);
    if (n == 0)
        return fail(s, KEV_EINVAL, "record does not fit");
    memset(s->rec + n, 0, o->pad);
    n += o->pad;
    kev_msg_header h;
    (void)kev_wire_header_read(s->rec, n, 0, &h);
    h.total_size = (o->seen & O_SIZE) ? o->size : (uint32_t)n;
    if (o->seen & O_VENDOR)
        h.vendor_code = o->vendor;
    if (o->seen & O_CLASS)
        h.kev_class = o->klass;
    kev_wire_header_write(s->rec, &h);
    if (o->seen & O_TRUNC) {
        if (o->trunc > n)
            return fail(s, KEV_EFORMAT, "trunc %u exceeds the record length %zu", o->trunc,
                        n);
        n = o->trunc;
    }
    s->next_id++;
    return push_bytes(s, s->rec, n);
}

/* Ends every event statement: options from token i, payload, record. */
static int finish_event(scn *s, const stmt_def *d, size_t i, kev_fields *f, uint32_t sub,
                        uint32_t code)
{
    rec_opts o = {0, 0, 0, 0, 0, 0};
    s->seen_event = true;
    int rc = parse_opts(s, i, d->opts | O_RECORD, f, &o);
    if (rc)
        return rc;
    const kev_event_def *ev = kev_event_lookup(sub, code);
    kev_layout layout = ev ? ev->layout : KEV_L_NONE;
    uint8_t payload[MAX_PAYLOAD];
    size_t plen = kev_build_payload(layout, f, false, payload, sizeof payload);
    if ((d->flags & F_ZERO_IN6) && plen == KEV_SZ_IN6_DATA)
        memset(payload + KEV_OFF_IN6_ADDR, 0, KEV_SZ_IN6_DATA - KEV_OFF_IN6_ADDR);
    return put_record(s, sub, code, payload, plen, &o);
}

/* ---- Event statements ---------------------------------------------------- */

/* NAME only: the net_event_data statements, arp rtr-*, inet6 defrouter and
 * nat64. */
static int ev_link(scn *s, const stmt_def *d, size_t i)
{
    kev_fields f;
    memset(&f, 0, sizeof f);
    int rc = arg_name(s, i, &f);
    return rc ? rc : finish_event(s, d, i + 1, &f, d->subclass, d->code);
}

static int ev_proto(scn *s, const stmt_def *d, size_t i)
{
    kev_fields f;
    memset(&f, 0, sizeof f);
    int rc = arg_name(s, i, &f);
    if (!rc)
        rc = arg_u32(s, i + 1, "protocol family", UINT32_MAX, &f.proto_family);
    if (!rc)
        rc = arg_u32(s, i + 2, "remaining count", UINT32_MAX, &f.remaining);
    return rc ? rc : finish_event(s, d, i + 3, &f, d->subclass, d->code);
}

static int ev_lqm(scn *s, const stmt_def *d, size_t i)
{
    kev_fields f;
    memset(&f, 0, sizeof f);
    int rc = arg_name(s, i, &f);
    if (!rc)
        rc = arg_i32(s, i + 1, "link quality", &f.lqm);
    return rc ? rc : finish_event(s, d, i + 2, &f, d->subclass, d->code);
}

/* A HEX token of at most cap bytes into out (zero padded); "-" is none. */
static int arg_hexfield(scn *s, const tok *t, const char *what, uint8_t *out, size_t cap)
{
    size_t n;
    if (t->n == 1 && t->p[0] == '-')
        return 0;
    int rc = parse_hex(t->p, t->n, out, cap, &n);
    if (rc == P_BAD)
        return fail(s, KEV_EFORMAT, "bad %s " TOKF, what, TOKA(t));
    if (rc != P_OK)
        return fail(s, KEV_EFORMAT, "%s longer than %zu bytes " TOKF, what, cap, TOKA(t));
    return 0;
}

static int ev_issues(scn *s, const stmt_def *d, size_t i)
{
    kev_fields f;
    memset(&f, 0, sizeof f);
    const tok *t;
    int rc = arg_name(s, i, &f);
    if (rc)
        return rc;
    if ((t = arg(s, i + 1, "module id")) == NULL)
        return KEV_EFORMAT;
    rc = arg_hexfield(s, t, "module id", f.modid, sizeof f.modid);
    if (rc)
        return rc;
    if ((t = arg(s, i + 2, "timestamp")) == NULL)
        return KEV_EFORMAT;
    rc = get_u64(s, t, "timestamp", UINT64_MAX, &f.timestamp);
    if (rc)
        return rc;
    i += 3;
    if (i < s->ntok && !is_opt_word(&s->toks[i])) {
        rc = arg_hexfield(s, &s->toks[i++], "info", f.info, sizeof f.info);
        if (rc)
            return rc;
    }
    return finish_event(s, d, i, &f, d->subclass, d->code);
}

static int ev_inet(scn *s, const stmt_def *d, size_t i)
{
    kev_fields f;
    memset(&f, 0, sizeof f);
    uint32_t dflt = (d->flags & F_LEN_OPTIONAL) ? 32 : UINT32_MAX;
    int rc = arg_name(s, i, &f);
    if (!rc)
        rc = arg_prefix(s, i + 1, 4, dflt, f.addr4, &f.prefix4);
    return rc ? rc : finish_event(s, d, i + 2, &f, d->subclass, d->code);
}

static int ev_inet6(scn *s, const stmt_def *d, size_t i)
{
    kev_fields f;
    memset(&f, 0, sizeof f);
    uint32_t dflt = (d->flags & F_LEN_OPTIONAL) ? 128 : UINT32_MAX;
    int rc = arg_name(s, i, &f);
    if (!rc)
        rc = arg_prefix(s, i + 1, 16, dflt, f.addr6, &f.prefix6);
    return rc ? rc : finish_event(s, d, i + 2, &f, d->subclass, d->code);
}

static int ev_nd6(scn *s, const stmt_def *d, size_t i)
{
    kev_fields f;
    memset(&f, 0, sizeof f);
    int rc = arg_name(s, i, &f);
    if (rc)
        return rc;
    i++;
    if (i < s->ntok && !is_opt_word(&s->toks[i])) {
        const tok *t = &s->toks[i++];
        if (!parse_ip6(t->p, t->n, f.addr6))
            return fail(s, KEV_EFORMAT, "bad address " TOKF, TOKA(t));
    }
    return finish_event(s, d, i, &f, d->subclass, d->code);
}

static int ev_collision(scn *s, const stmt_def *d, size_t i)
{
    kev_fields f;
    memset(&f, 0, sizeof f);
    const tok *t;
    size_t n = 0;
    int rc = arg_name(s, i, &f);
    if (rc)
        return rc;
    if ((t = arg(s, i + 1, "address")) == NULL)
        return KEV_EFORMAT;
    if (!parse_ip4(t->p, t->n, f.addr4))
        return fail(s, KEV_EFORMAT, "bad address " TOKF, TOKA(t));
    if ((t = arg(s, i + 2, "hardware address")) == NULL)
        return KEV_EFORMAT;
    rc = parse_colon_hex(t->p, t->n, f.hw, sizeof f.hw, &n);
    if (rc == P_BAD)
        return fail(s, KEV_EFORMAT, "bad hardware address " TOKF, TOKA(t));
    if (rc != P_OK)
        return fail(s, KEV_EFORMAT, "hardware address longer than 255 bytes");
    f.hw_len = (uint8_t)n;
    return finish_event(s, d, i + 3, &f, d->subclass, d->code);
}

static int ev_portinuse(scn *s, const stmt_def *d, size_t i)
{
    kev_fields f;
    memset(&f, 0, sizeof f);
    uint32_t port = 0;
    int rc = arg_u32(s, i, "port", UINT16_MAX, &port);
    if (!rc)
        rc = arg_u32(s, i + 1, "pid", UINT32_MAX, &f.pid);
    f.port = (uint16_t)port;
    return rc ? rc : finish_event(s, d, i + 2, &f, d->subclass, d->code);
}

/* event SUBCLASS CODE [NAME]: the table's layout, fields zero but the name. */
static int ev_any(scn *s, const stmt_def *d, size_t i)
{
    kev_fields f;
    memset(&f, 0, sizeof f);
    uint32_t sub = 0, code = 0;
    int rc = arg_u32(s, i, "subclass", UINT32_MAX, &sub);
    if (!rc)
        rc = arg_u32(s, i + 1, "code", UINT32_MAX, &code);
    if (rc)
        return rc;
    i += 2;
    if (i < s->ntok && !is_opt_word(&s->toks[i])) {
        rc = arg_name(s, i++, &f);
        if (rc)
            return rc;
    }
    return finish_event(s, d, i, &f, sub, code);
}

/* raw HEX...: the bytes verbatim; no header, no id. */
static int st_raw(scn *s, const stmt_def *d, size_t i)
{
    (void)d;
    size_t len = 0;
    if (i >= s->ntok)
        return fail(s, KEV_EFORMAT, "missing hex bytes");
    s->seen_event = true;
    for (; i < s->ntok; i++) {
        const tok *t = &s->toks[i];
        size_t n;
        if (parse_hex(t->p, t->n, s->rec + len, REC_CAP - len, &n) != P_OK)
            return fail(s, KEV_EFORMAT, "bad hex " TOKF, TOKA(t));
        len += n;
    }
    return push_bytes(s, s->rec, len);
}

/* ---- Other statements ---------------------------------------------------- */

static int st_error(scn *s, const stmt_def *d, size_t i)
{
    (void)d;
    const tok *t = arg(s, i, "errno");
    if (t == NULL)
        return KEV_EFORMAT;
    if (s->in_batch)
        return fail(s, KEV_EFORMAT, "not allowed inside batch (opened at line %u)",
                    s->batch_line);
    const errno_def *e = NULL;
    uint64_t v = 0;
    bool num = parse_num(t->p, t->n, false, &v) == P_OK;
    for (size_t k = 0; k < N_ERRNOS && e == NULL; k++)
        if (num ? (uint64_t)darwin_errnos[k].value == v : tok_eq(t, darwin_errnos[k].name))
            e = &darwin_errnos[k];
    if (e == NULL)
        return fail(s, KEV_EFORMAT, "unknown errno " TOKF, TOKA(t));
    int rc = no_more(s, i + 1);
    if (rc)
        return rc;
    s->seen_event = true;
    kev_scn_item it = {KEV_SCN_ERROR, 0, NULL, 0, e->value, e->name, s->line};
    return emit_item(s, &it);
}

static int dur_error(scn *s, const tok *t, int rc)
{
    if (rc == P_RANGE)
        return fail(s, KEV_EFORMAT, "duration out of range " TOKF, TOKA(t));
    if (rc == P_FRACTION)
        return fail(s, KEV_EFORMAT, "duration " TOKF " is not a whole number of ns",
                    TOKA(t));
    return fail(s, KEV_EFORMAT, "bad duration " TOKF " (a number and ns, us, ms or s)",
                TOKA(t));
}

static int st_at(scn *s, const stmt_def *d, size_t i)
{
    (void)d;
    const tok *t = arg(s, i, "time");
    uint64_t v;
    if (t == NULL)
        return KEV_EFORMAT;
    int rc = no_more(s, i + 1);
    if (rc)
        return rc;
    if (t->n > 0 && t->p[0] == '+') {
        rc = parse_dur(t->p + 1, t->n - 1, &v);
        if (rc != P_OK)
            return dur_error(s, t, rc);
        if (s->t_over || v > UINT64_MAX - s->t)
            return fail(s, KEV_EFORMAT, "time overflows at " TOKF, TOKA(t));
        s->t += v;
        return 0;
    }
    rc = parse_scaled(t->p, t->n, 1000000000u, &v);
    if (rc == P_RANGE)
        return fail(s, KEV_EFORMAT, "time out of range " TOKF, TOKA(t));
    if (rc != P_OK)
        return fail(s, KEV_EFORMAT, "bad time " TOKF, TOKA(t));
    s->t = v;
    s->t_over = false;
    return 0;
}

static int st_step(scn *s, const stmt_def *d, size_t i)
{
    (void)d;
    const tok *t = arg(s, i, "duration");
    uint64_t v;
    if (t == NULL)
        return KEV_EFORMAT;
    int rc = no_more(s, i + 1);
    if (rc)
        return rc;
    rc = parse_dur(t->p, t->n, &v);
    if (rc != P_OK)
        return dur_error(s, t, rc);
    s->step = v;
    return 0;
}

static int st_id(scn *s, const stmt_def *d, size_t i)
{
    (void)d;
    int rc = arg_u32(s, i, "id", UINT32_MAX, &s->next_id);
    return rc ? rc : no_more(s, i + 1);
}

static int st_batch(scn *s, const stmt_def *d, size_t i)
{
    (void)d;
    if (s->in_batch)
        return fail(s, KEV_EFORMAT, "nested batch (group opened at line %u)",
                    s->batch_line);
    int rc = no_more(s, i);
    if (rc)
        return rc;
    s->seen_event = true;
    s->in_batch = true;
    s->batch_line = s->line;
    s->blen = 0;
    return 0;
}

static int st_end(scn *s, const stmt_def *d, size_t i)
{
    (void)d;
    if (!s->in_batch)
        return fail(s, KEV_EFORMAT, "no open batch");
    int rc = no_more(s, i);
    if (rc)
        return rc;
    s->in_batch = false;
    kev_scn_item it = {KEV_SCN_BATCH, 0, s->batch, s->blen, 0, NULL, s->batch_line};
    return emit_item(s, &it);
}

/* kernel REST: the rest of the line, verbatim, joins the snapshot text. */
static int st_kernel(scn *s, const stmt_def *d, size_t i)
{
    (void)d;
    (void)i;
    if (s->seen_event) {
        s->kw = NULL;
        return fail(s, KEV_EFORMAT, "kernel lines must come before the first event");
    }
    const char *p = s->toks[0].p + s->toks[0].n, *end = s->lp + s->ln;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (!s->have_snap)
        s->snap_line = s->line;
    s->have_snap = true;
    /* Checked as the kernel will load it, so that a typo is found here,
     * with the file's line, not when a trace of it is replayed. */
    kev_strbuf why = KEV_STRBUF_INIT;
    int rc = kev_kernel_load_line(s->kernel, p, (size_t)(end - p), &why);
    if (rc != 0) {
        rc = fail(s, rc == KEV_ENOMEM ? KEV_ENOMEM : KEV_EFORMAT, "%s",
                  why.len ? kev_strbuf_str(&why) : kev_strerror(rc));
        kev_strbuf_free(&why);
        return rc;
    }
    kev_strbuf_add(&s->snap, p, (size_t)(end - p));
    kev_strbuf_addc(&s->snap, '\n');
    if (s->snap.err)
        return fail(s, s->snap.err, "snapshot text: %s", kev_strerror(s->snap.err));
    return 0;
}

/* ---- Dispatch ------------------------------------------------------------ */

#define IN  KEV_INET_SUBCLASS
#define DL  KEV_DL_SUBCLASS
#define I6  KEV_INET6_SUBCLASS
#define ND  KEV_ND6_SUBCLASS
#define ODL O_FAMILY
#define OI6 (O_FAMILY | O_DEST6 | O_FLAGS | O_MAC)
#define ON6 (O_FAMILY | O_VAL)

/* clang-format off */
static const stmt_def stmt_table[] = {
    {"at", NULL, st_at, 0, 0, 0, 0},
    {"step", NULL, st_step, 0, 0, 0, 0},
    {"id", NULL, st_id, 0, 0, 0, 0},
    {"batch", NULL, st_batch, 0, 0, 0, 0},
    {"end", NULL, st_end, 0, 0, 0, 0},
    {"kernel", NULL, st_kernel, 0, 0, 0, 0},
    {"error", NULL, st_error, 0, 0, 0, 0},
    {"raw", NULL, st_raw, 0, 0, 0, 0},
    {"event", NULL, ev_any, 0, 0, 0, 0},
    {"attach", NULL, ev_link, DL, KEV_DL_IF_ATTACHED, ODL, 0},
    {"detaching", NULL, ev_link, DL, KEV_DL_IF_DETACHING, ODL, 0},
    {"detach", NULL, ev_link, DL, KEV_DL_IF_DETACHED, ODL, 0},
    {"link", "on", ev_link, DL, KEV_DL_LINK_ON, ODL, 0},
    {"link", "off", ev_link, DL, KEV_DL_LINK_OFF, ODL, 0},
    {"proto", "attached", ev_proto, DL, KEV_DL_PROTO_ATTACHED, ODL, 0},
    {"proto", "detached", ev_proto, DL, KEV_DL_PROTO_DETACHED, ODL, 0},
    {"idle", NULL, ev_link, DL, KEV_DL_IF_IDLE_ROUTE_REFCNT, ODL, 0},
    {"delegate", NULL, ev_link, DL, KEV_DL_IFDELEGATE_CHANGED, ODL, 0},
    {"lqm", NULL, ev_lqm, DL, KEV_DL_LINK_QUALITY_METRIC_CHANGED, ODL, 0},
    {"issues", NULL, ev_issues, DL, KEV_DL_ISSUES, ODL, 0},
    {"inet", "add", ev_inet, IN, KEV_INET_NEW_ADDR, ODL | O_DEST4, 0},
    {"inet", "change", ev_inet, IN, KEV_INET_CHANGED_ADDR, ODL | O_DEST4, 0},
    {"inet", "del", ev_inet, IN, KEV_INET_ADDR_DELETED, ODL | O_DEST4, F_LEN_OPTIONAL},
    {"inet", "dstaddr", ev_inet, IN, KEV_INET_SIFDSTADDR, ODL | O_DEST4, 0},
    {"inet", "brdaddr", ev_inet, IN, KEV_INET_SIFBRDADDR, ODL | O_DEST4, 0},
    {"inet", "netmask", ev_inet, IN, KEV_INET_SIFNETMASK, ODL | O_DEST4, 0},
    {"inet6", "add", ev_inet6, I6, KEV_INET6_NEW_USER_ADDR, OI6, 0},
    {"inet6", "change", ev_inet6, I6, KEV_INET6_CHANGED_ADDR, OI6, 0},
    {"inet6", "del", ev_inet6, I6, KEV_INET6_ADDR_DELETED, OI6, F_LEN_OPTIONAL},
    {"inet6", "ll", ev_inet6, I6, KEV_INET6_NEW_LL_ADDR, OI6, 0},
    {"inet6", "rtadv", ev_inet6, I6, KEV_INET6_NEW_RTADV_ADDR, OI6, 0},
    {"inet6", "defrouter", ev_link, I6, KEV_INET6_DEFROUTER, ODL, F_ZERO_IN6},
    {"inet6", "nat64", ev_link, I6, KEV_INET6_REQUEST_NAT64_PREFIX, ODL, F_ZERO_IN6},
    {"nd6", "ra", ev_nd6, ND, KEV_ND6_RA, ON6, 0},
    {"nd6", "ndfailure", ev_nd6, ND, KEV_ND6_NDFAILURE, ON6, 0},
    {"nd6", "ndalive", ev_nd6, ND, KEV_ND6_NDALIVE, ON6, 0},
    {"nd6", "dad-failure", ev_nd6, ND, KEV_ND6_DAD_FAILURE, ON6, 0},
    {"nd6", "dad-success", ev_nd6, ND, KEV_ND6_DAD_SUCCESS, ON6, 0},
    {"nd6", "detached", ev_nd6, ND, KEV_ND6_ADDR_DETACHED, ON6, 0},
    {"nd6", "deprecated", ev_nd6, ND, KEV_ND6_ADDR_DEPRECATED, ON6, 0},
    {"nd6", "expired", ev_nd6, ND, KEV_ND6_ADDR_EXPIRED, ON6, 0},
    {"nd6", "rtr-expired", ev_nd6, ND, KEV_ND6_RTR_EXPIRED, ON6, 0},
    {"nd6", "pfx-expired", ev_nd6, ND, KEV_ND6_PFX_EXPIRED, ON6, 0},
    {"arp", "collision", ev_collision, IN, KEV_INET_ARPCOLLISION, ODL, 0},
    {"arp", "rtr-failure", ev_link, IN, KEV_INET_ARPRTRFAILURE, ODL, 0},
    {"arp", "rtr-alive", ev_link, IN, KEV_INET_ARPRTRALIVE, ODL, 0},
    {"portinuse", NULL, ev_portinuse, IN, KEV_INET_PORTINUSE, 0, 0},
};
/* clang-format on */
#define N_STMTS (sizeof stmt_table / sizeof stmt_table[0])

/* "missing kind" / "unknown kind": lists the sub-keywords of `kw`. */
static int kind_error(scn *s, const char *kw, const tok *bad)
{
    char list[256];
    size_t n = 0;
    for (size_t k = 0; k < N_STMTS; k++) {
        const char *sub = stmt_table[k].sub;
        size_t sl = sub ? strlen(sub) : 0;
        if (sub == NULL || strcmp(stmt_table[k].kw, kw) != 0 || n + sl + 3 > sizeof list)
            continue;
        if (n > 0) {
            memcpy(list + n, ", ", 2);
            n += 2;
        }
        memcpy(list + n, sub, sl);
        n += sl;
    }
    list[n] = '\0';
    s->kw = kw;
    if (bad == NULL)
        return fail(s, KEV_EFORMAT, "missing kind (%s)", list);
    return fail(s, KEV_EFORMAT, "unknown kind " TOKF " (%s)", TOKA(bad), list);
}

static int dispatch(scn *s)
{
    const tok *k = &s->toks[0];
    const char *kw = NULL; /* the keyword matched, when a sub-keyword did not */
    for (size_t j = 0; j < N_STMTS; j++) {
        const stmt_def *d = &stmt_table[j];
        if (!tok_eq(k, d->kw))
            continue;
        kw = d->kw;
        if (d->sub != NULL && (s->ntok < 2 || !tok_eq(&s->toks[1], d->sub)))
            continue;
        s->kw = d->kw;
        s->sub = d->sub;
        return d->fn(s, d, d->sub ? 2 : 1);
    }
    if (kw != NULL)
        return kind_error(s, kw, s->ntok < 2 ? NULL : &s->toks[1]);
    return fail(s, KEV_EFORMAT, "unknown statement " TOKF, TOKA(k));
}

/* Splits the line into tokens; a token starting with '#' ends it. */
static void tokenize(scn *s)
{
    size_t i = 0;
    s->ntok = 0;
    while (i < s->ln) {
        while (i < s->ln && (s->lp[i] == ' ' || s->lp[i] == '\t'))
            i++;
        if (i == s->ln || s->lp[i] == '#')
            break;
        size_t st = i;
        while (i < s->ln && s->lp[i] != ' ' && s->lp[i] != '\t')
            i++;
        s->toks[s->ntok].p = s->lp + st;
        s->toks[s->ntok].n = i - st;
        s->ntok++;
    }
}

static int do_line(scn *s, const char *p, size_t n)
{
    s->kw = s->sub = NULL;
    if (n > 0 && p[n - 1] == '\r')
        n--;
    if (n > KEV_SCENARIO_MAX_LINE)
        return fail(s, KEV_ETOOBIG, "line too long: %zu bytes (cap %u)", n,
                    KEV_SCENARIO_MAX_LINE);
    if (memchr(p, '\0', n) != NULL)
        return fail(s, KEV_EFORMAT, "NUL byte in line");
    s->lp = p;
    s->ln = n;
    tokenize(s);
    return s->ntok ? dispatch(s) : 0;
}

static int compile(scn *s, const char *text, size_t len)
{
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        s->line++;
        int rc = do_line(s, text + pos, end - pos);
        if (rc)
            return rc;
        pos = end + 1;
    }
    s->kw = s->sub = NULL;
    if (s->in_batch) {
        s->line = s->batch_line;
        s->kw = "batch";
        return fail(s, KEV_EFORMAT, "not closed by end");
    }
    return flush_snapshot(s);
}

int kev_scenario_compile(const char *text, size_t len, kev_scn_emit emit, void *ctx,
                         kev_strbuf *err)
{
    if (emit == NULL || (text == NULL && len > 0))
        return KEV_EINVAL;
    if (len > KEV_SCENARIO_MAX_TEXT) {
        if (err)
            kev_strbuf_addf(err, "text: %zu bytes exceeds the cap of %zu", len,
                            KEV_SCENARIO_MAX_TEXT);
        return KEV_ETOOBIG;
    }
    scn *s = calloc(1, sizeof *s);
    if (s == NULL) {
        if (err)
            kev_strbuf_adds(err, "scenario: out of memory");
        return KEV_ENOMEM;
    }
    s->emit = emit;
    s->ctx = ctx;
    s->err = err;
    s->t = KEV_SCENARIO_T0_NS;
    s->step = KEV_SCENARIO_STEP_NS;
    s->next_id = 1;
    kev_strbuf_init(&s->snap);
    s->kernel = kev_kernel_new();
    int rc = s->kernel ? compile(s, text, len) : KEV_ENOMEM;
    if (s->kernel == NULL && err)
        kev_strbuf_adds(err, "scenario: out of memory");
    kev_kernel_free(s->kernel);
    kev_strbuf_free(&s->snap);
    free(s);
    return rc;
}
