/*
 * kernel.c: the simulated kernel of kevrr/kernel.h, the state that the
 * stubbed getifaddrs() and interface ioctls of eventmon-facts.md s4.5
 * answer from, with its snapshot text parser and its canonical dump.
 *
 * Interfaces live in a dense array in attach order. Beside it runs a
 * parallel array of compact slots: each holds a copy of the interface name
 * with its length, so that kev_kernel_find (called several times per event)
 * rejects most interfaces on their first byte and compares the rest with an
 * early-exit loop instead of strncmp calls, and the capacities of the
 * per-interface address arrays, which kev_iface has no field for. The copy
 * is made at attach: callers holding a mutable kev_iface must not rename
 * it.
 *
 * The snapshot text is untrusted. It is cut into lines and tokens through
 * bounds-checked cursors, never copied into fixed buffers without a cap,
 * and every number is range-checked. A line is parsed completely before it
 * changes the kernel, so a bad line leaves no trace.
 */
#include "kevrr/kernel.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "kevrr/error.h"

/* Bytes of an interface name, without its NUL. */
#define KEV__IFNAME_MAX 15u
/* First capacities of the interface table and of one address array. */
#define KEV__IFS_FIRST_CAP 8u
#define KEV__ADDRS_FIRST_CAP 2u
/* An escaped name (\xNN is 4 bytes per byte) and its NUL. */
#define KEV__NAME_TEXT_MAX (KEV__IFNAME_MAX * 4u + 1u)
/* Bytes of an offending token quoted in a message, and its rendering
 * (escaped, "..." when cut, NUL). */
#define KEV__SHOW_MAX 64u
#define KEV__SHOW_TEXT_MAX (KEV__SHOW_MAX * 4u + 4u)
/* The longest valid IPv6 text: 6 groups of 4 digits and a dotted quad. */
#define KEV__IPV6_TEXT_MAX 45u

#define KEV__LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* The interface table                                                 */
/* ------------------------------------------------------------------ */

typedef struct if_slot {
    char name[16];                /* the interface's name, NUL-padded */
    uint32_t len;                 /* its length, 1..15 */
    uint32_t cap_inet, cap_inet6; /* entries allocated in inet / inet6 */
} if_slot;

struct kev_kernel {
    kev_iface *ifs; /* n interfaces in attach order, cap allocated */
    if_slot *slots; /* parallel to ifs */
    size_t n, cap;
};

/* The index of the interface named `name` (strncmp on 16 bytes), or k->n.
 * This is the hot path. A slot matches when name[0..len] equals its name
 * including the NUL at len (len <= 15, so within strncmp's 16 bytes); the
 * loop stops at the first difference, so it never reads `name` past its
 * NUL, and an empty `name` matches nothing. */
static size_t find_index(const kev_kernel *k, const char *name)
{
    if (name == NULL)
        return k->n;
    const char first = name[0];
    for (size_t i = 0; i < k->n; i++) {
        const if_slot *s = &k->slots[i];
        if (s->name[0] != first)
            continue;
        size_t j = 1;
        while (j <= s->len && name[j] == s->name[j])
            j++;
        if (j > s->len) {
            assert(strncmp(name, k->ifs[i].name, 16) == 0);
            return i;
        }
    }
    return k->n;
}

/* Length of `s`, reading at most `max` bytes (returns max when no NUL). */
static size_t bounded_len(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n] != '\0')
        n++;
    return n;
}

/* SystemConfiguration calls cellular interfaces (pdp_ip*) expensive. */
/* The media status a newly attached interface reports (docs/fidelity.md):
 * virtual interfaces without media (loopback, tunnels, PPP) make
 * SIOCGIFMEDIA fail; everything else reports valid media, link down until
 * LINK_ON. The family is the name without its unit digits. */
static kev_media default_media(const char *name)
{
    static const char *const no_media[] = {"lo", "gif", "stf", "utun", "ipsec", "ppp"};
    size_t len = strlen(name);
    while (len > 0 && name[len - 1] >= '0' && name[len - 1] <= '9')
        len--;
    for (size_t i = 0; i < sizeof no_media / sizeof no_media[0]; i++)
        if (strlen(no_media[i]) == len && memcmp(name, no_media[i], len) == 0)
            return KEV_MEDIA_NONE;
    return KEV_MEDIA_INACTIVE;
}

static bool name_is_expensive(const char *name)
{
    return strncmp(name, "pdp_ip", 6) == 0;
}

kev_kernel *kev_kernel_new(void)
{
    return calloc(1, sizeof(kev_kernel));
}

void kev_kernel_reset(kev_kernel *k)
{
    for (size_t i = 0; i < k->n; i++) {
        free(k->ifs[i].inet);
        free(k->ifs[i].inet6);
    }
    k->n = 0;
}

void kev_kernel_free(kev_kernel *k)
{
    if (k == NULL)
        return;
    kev_kernel_reset(k);
    free(k->ifs);
    free(k->slots);
    free(k);
}

size_t kev_kernel_count(const kev_kernel *k)
{
    return k ? k->n : 0;
}

const kev_iface *kev_kernel_at(const kev_kernel *k, size_t i)
{
    return k && i < k->n ? &k->ifs[i] : NULL;
}

kev_iface *kev_kernel_find(kev_kernel *k, const char *name)
{
    size_t i = find_index(k, name);
    return i < k->n ? &k->ifs[i] : NULL;
}

const kev_iface *kev_kernel_find_const(const kev_kernel *k, const char *name)
{
    size_t i = find_index(k, name);
    return i < k->n ? &k->ifs[i] : NULL;
}

/* Makes room for one more interface (the caller checked the cap). Returns
 * 0 or KEV_ENOMEM; capacity only grows once both arrays have. */
static int ifs_reserve(kev_kernel *k)
{
    if (k->n < k->cap)
        return 0;
    size_t cap = k->cap ? k->cap * 2 : KEV__IFS_FIRST_CAP;
    if (cap > KEV_KERNEL_MAX_IFS)
        cap = KEV_KERNEL_MAX_IFS;
    kev_iface *ifs = realloc(k->ifs, cap * sizeof *ifs);
    if (ifs == NULL)
        return KEV_ENOMEM;
    k->ifs = ifs;
    if_slot *slots = realloc(k->slots, cap * sizeof *slots);
    if (slots == NULL)
        return KEV_ENOMEM;
    k->slots = slots;
    k->cap = cap;
    return 0;
}

int kev_kernel_attach(kev_kernel *k, const char *name, kev_iface **out)
{
    if (out)
        *out = NULL;
    size_t len = name ? bounded_len(name, KEV__IFNAME_MAX + 1) : 0;
    if (len == 0 || len > KEV__IFNAME_MAX)
        return KEV_EINVAL;
    size_t i = find_index(k, name);
    if (i < k->n) {
        if (out) /* the existing one, untouched */
            *out = &k->ifs[i];
        return KEV_EEXIST;
    }
    if (k->n >= KEV_KERNEL_MAX_IFS)
        return KEV_ETOOBIG;
    int rc = ifs_reserve(k);
    if (rc)
        return rc;
    kev_iface *f = &k->ifs[k->n];
    memset(f, 0, sizeof *f);
    memcpy(f->name, name, len);
    f->media = default_media(f->name);
    f->lqm = KEV_LQM_UNKNOWN;
    f->expensive = name_is_expensive(f->name);
    if_slot *s = &k->slots[k->n];
    memcpy(s->name, f->name, sizeof s->name);
    s->len = (uint32_t)len;
    s->cap_inet = s->cap_inet6 = 0;
    k->n++;
    if (out)
        *out = f;
    return 0;
}

int kev_kernel_detach(kev_kernel *k, const char *name)
{
    size_t i = find_index(k, name);
    if (i == k->n)
        return KEV_ENOENT;
    free(k->ifs[i].inet);
    free(k->ifs[i].inet6);
    size_t tail = k->n - i - 1;
    memmove(&k->ifs[i], &k->ifs[i + 1], tail * sizeof *k->ifs);
    memmove(&k->slots[i], &k->slots[i + 1], tail * sizeof *k->slots);
    k->n--;
    return 0;
}

/* Makes room for entry n + 1 of an address array `p` of `size`-byte
 * entries holding *cap, doubling up to KEV_KERNEL_MAX_ADDRS (the caller
 * checked the cap). Returns the array, or NULL (p kept) when out of
 * memory. */
static void *addrs_reserve(void *p, size_t n, uint32_t *cap, size_t size)
{
    if (n < *cap)
        return p;
    uint32_t c = *cap ? *cap * 2u : KEV__ADDRS_FIRST_CAP;
    if (c > KEV_KERNEL_MAX_ADDRS)
        c = KEV_KERNEL_MAX_ADDRS;
    void *q = realloc(p, (size_t)c * size);
    if (q)
        *cap = c;
    return q;
}

/* Removes entry i of an array of *n entries of `size` bytes, keeping the
 * order of the rest. */
static void remove_at(void *arr, size_t *n, size_t i, size_t size)
{
    unsigned char *b = arr;
    memmove(b + i * size, b + (i + 1) * size, (*n - i - 1) * size);
    (*n)--;
}

/* Entries are matched on their address only when it is there: an entry
 * modelling a NULL ifa_addr is never replaced nor removed by address. */
static size_t inet_index(const kev_iface *f, const uint8_t addr[4])
{
    for (size_t j = 0; j < f->n_inet; j++)
        if (f->inet[j].has_addr && memcmp(f->inet[j].addr, addr, 4) == 0)
            return j;
    return f->n_inet;
}

static size_t inet6_index(const kev_iface *f, const uint8_t addr[16])
{
    for (size_t j = 0; j < f->n_inet6; j++)
        if (f->inet6[j].has_addr && memcmp(f->inet6[j].addr, addr, 16) == 0)
            return j;
    return f->n_inet6;
}

int kev_kernel_inet_set(kev_kernel *k, const char *name, const kev_inet_addr *a)
{
    size_t i = find_index(k, name);
    if (i == k->n)
        return KEV_ENOENT;
    kev_iface *f = &k->ifs[i];
    size_t j = a->has_addr ? inet_index(f, a->addr) : f->n_inet;
    if (j < f->n_inet) {
        f->inet[j] = *a;
        return 0;
    }
    if (f->n_inet >= KEV_KERNEL_MAX_ADDRS)
        return KEV_ETOOBIG;
    kev_inet_addr *arr = addrs_reserve(f->inet, f->n_inet,
                                       &k->slots[i].cap_inet, sizeof *arr);
    if (arr == NULL)
        return KEV_ENOMEM;
    f->inet = arr;
    f->inet[f->n_inet++] = *a;
    return 0;
}

int kev_kernel_inet_remove(kev_kernel *k, const char *name, const uint8_t addr[4])
{
    kev_iface *f = kev_kernel_find(k, name);
    if (f == NULL)
        return KEV_ENOENT;
    size_t j = inet_index(f, addr);
    if (j == f->n_inet)
        return KEV_ENOENT;
    remove_at(f->inet, &f->n_inet, j, sizeof *f->inet);
    return 0;
}

int kev_kernel_inet6_set(kev_kernel *k, const char *name, const kev_inet6_addr *a)
{
    size_t i = find_index(k, name);
    if (i == k->n)
        return KEV_ENOENT;
    kev_iface *f = &k->ifs[i];
    size_t j = a->has_addr ? inet6_index(f, a->addr) : f->n_inet6;
    if (j < f->n_inet6) {
        f->inet6[j] = *a;
        return 0;
    }
    if (f->n_inet6 >= KEV_KERNEL_MAX_ADDRS)
        return KEV_ETOOBIG;
    kev_inet6_addr *arr = addrs_reserve(f->inet6, f->n_inet6,
                                        &k->slots[i].cap_inet6, sizeof *arr);
    if (arr == NULL)
        return KEV_ENOMEM;
    f->inet6 = arr;
    f->inet6[f->n_inet6++] = *a;
    return 0;
}

int kev_kernel_inet6_remove(kev_kernel *k, const char *name, const uint8_t addr[16])
{
    kev_iface *f = kev_kernel_find(k, name);
    if (f == NULL)
        return KEV_ENOENT;
    size_t j = inet6_index(f, addr);
    if (j == f->n_inet6)
        return KEV_ENOENT;
    remove_at(f->inet6, &f->n_inet6, j, sizeof *f->inet6);
    return 0;
}

kev_inet6_addr *kev_kernel_inet6_find(kev_kernel *k, const char *name,
                                      const uint8_t addr[16])
{
    kev_iface *f = kev_kernel_find(k, name);
    if (f == NULL)
        return NULL;
    size_t j = inet6_index(f, addr);
    return j < f->n_inet6 ? &f->inet6[j] : NULL;
}

/* ------------------------------------------------------------------ */
/* Text helpers shared by the parser and the dump                      */
/* ------------------------------------------------------------------ */

static const char *const media_names[] = {"none", "unknown", "inactive",
                                          "active"};

/* The value of hex digit `ch`, or -1. */
static int hex_value(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Writes `name` (at most 15 bytes before its NUL) as snapshot text into
 * dst[KEV__NAME_TEXT_MAX]: \xNN for bytes <= 0x20 and >= 0x7f, \\ for a
 * backslash, and \x23 for a leading '#' (which would start a comment). */
static void name_render(char *dst, const char *name)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < KEV__IFNAME_MAX && name[i] != '\0'; i++) {
        unsigned char b = (unsigned char)name[i];
        if (b == '\\') {
            dst[o++] = '\\';
            dst[o++] = '\\';
        } else if (b <= 0x20 || b >= 0x7f || (i == 0 && b == '#')) {
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[b >> 4];
            dst[o++] = hex[b & 0xf];
        } else {
            dst[o++] = (char)b;
        }
    }
    dst[o] = '\0';
}

/* Writes the first KEV__SHOW_MAX bytes of a token into
 * dst[KEV__SHOW_TEXT_MAX] for a message: control and non-ASCII bytes as
 * \xNN, "..." when the token was longer. */
static void show_text(char *dst, const char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < n && i < KEV__SHOW_MAX; i++) {
        unsigned char b = (unsigned char)p[i];
        if (b < 0x20 || b >= 0x7f) {
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[b >> 4];
            dst[o++] = hex[b & 0xf];
        } else {
            dst[o++] = (char)b;
        }
    }
    if (n > KEV__SHOW_MAX) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
}

/* Sets the first `len` bits of m[0..nbytes) (len <= 8 * nbytes). */
static void prefix_to_mask(uint8_t *m, size_t nbytes, unsigned len)
{
    for (size_t i = 0; i < nbytes; i++) {
        unsigned bits = len >= 8 ? 8 : len;
        m[i] = (uint8_t)(0xff00u >> bits);
        len -= bits;
    }
}

/* The prefix length of a contiguous mask (ones, then zeros), or -1. */
static int mask_to_prefix(const uint8_t *m, size_t nbytes)
{
    int len = 0;
    bool zeros = false;
    for (size_t i = 0; i < nbytes; i++) {
        for (int bit = 7; bit >= 0; bit--) {
            bool one = (m[i] >> bit) & 1u;
            if (one && zeros)
                return -1;
            if (one)
                len++;
            else
                zeros = true;
        }
    }
    return len;
}

/* Parses exactly "A.B.C.D" from p[0..n): decimal 0..255, no leading zeros
 * (inet_aton would read 010 as octal). */
static bool parse_ipv4(const char *p, size_t n, uint8_t out[4])
{
    size_t i = 0;
    for (size_t part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= n || p[i] != '.')
                return false;
            i++;
        }
        size_t start = i;
        unsigned v = 0;
        while (i < n && i - start < 3 && p[i] >= '0' && p[i] <= '9')
            v = v * 10u + (unsigned)(p[i++] - '0');
        if (i == start || v > 255 || (i - start > 1 && p[start] == '0'))
            return false;
        out[part] = (uint8_t)v;
    }
    return i == n;
}

/* Parses one group of 1..4 hex digits p[0..n). NULL or why not. */
static const char *parse_hex_group(const char *p, size_t n, uint16_t *g)
{
    unsigned v = 0;
    if (n == 0)
        return "empty group (':::' or a stray ':')";
    for (size_t i = 0; i < n; i++)
        if (hex_value(p[i]) < 0)
            return "unexpected character";
    if (n > 4)
        return "a group has more than 4 hex digits";
    for (size_t i = 0; i < n; i++)
        v = v * 16u + (unsigned)hex_value(p[i]);
    *g = (uint16_t)v;
    return NULL;
}

/* Reads the groups of an IPv6 text into g[] (*ng of them) and the group
 * index where "::" stands into *gap (9 when none). NULL or why not. */
static const char *ipv6_groups(const char *s, size_t n, uint16_t g[8],
                               size_t *ng, size_t *gap)
{
    size_t i = 0;
    if (n > 0 && s[0] == ':') {
        if (n < 2 || s[1] != ':')
            return "starts with a single ':'";
        *gap = 0;
        i = 2;
    }
    while (i < n) {
        size_t end = i;
        while (end < n && s[end] != ':')
            end++;
        if (memchr(s + i, '.', end - i) != NULL) { /* embedded IPv4 */
            uint8_t q[4];
            if (end != n)
                return "an IPv4 part must come last";
            if (*ng > 6)
                return "more than 8 groups";
            if (!parse_ipv4(s + i, end - i, q))
                return "bad IPv4 part";
            g[(*ng)++] = (uint16_t)(q[0] << 8 | q[1]);
            g[(*ng)++] = (uint16_t)(q[2] << 8 | q[3]);
            return NULL;
        }
        if (*ng == 8)
            return "more than 8 groups";
        const char *why = parse_hex_group(s + i, end - i, &g[*ng]);
        if (why)
            return why;
        (*ng)++;
        if (end == n)
            return NULL;
        i = end + 1; /* past the ':' */
        if (i == n)
            return "ends with a single ':'";
        if (s[i] == ':') {
            if (*gap != 9)
                return "more than one '::'";
            *gap = *ng;
            i++;
        }
    }
    return NULL;
}

/* Parses an RFC 4291 IPv6 text p[0..n) (with "::" and an optional dotted
 * quad in the last 32 bits) into out[16]. NULL or why not. */
static const char *parse_ipv6(const char *s, size_t n, uint8_t out[16])
{
    uint16_t g[8] = {0}, full[8] = {0};
    size_t ng = 0, gap = 9;
    if (n == 0)
        return "empty";
    if (n > KEV__IPV6_TEXT_MAX)
        return "too long";
    const char *why = ipv6_groups(s, n, g, &ng, &gap);
    if (why)
        return why;
    if (gap == 9 && ng != 8)
        return "fewer than 8 groups and no '::'";
    if (gap != 9 && ng == 8)
        return "'::' stands for no group";
    size_t tail = gap == 9 ? 0 : ng - gap;
    for (size_t j = 0; j < ng - tail; j++)
        full[j] = g[j];
    for (size_t j = 0; j < tail; j++)
        full[8 - tail + j] = g[ng - tail + j];
    for (size_t j = 0; j < 8; j++) {
        out[2 * j] = (uint8_t)(full[j] >> 8);
        out[2 * j + 1] = (uint8_t)(full[j] & 0xffu);
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* The dump                                                            */
/* ------------------------------------------------------------------ */

static void add_ipv4(kev_strbuf *sb, const uint8_t a[4])
{
    kev_strbuf_addf(sb, "%u.%u.%u.%u", (unsigned)a[0], (unsigned)a[1],
                    (unsigned)a[2], (unsigned)a[3]);
}

/* RFC 5952: lowercase, no leading zeros, the longest run of two or more
 * zero groups (the first on a tie) as "::", no dotted quad. */
static void add_ipv6(kev_strbuf *sb, const uint8_t a[16])
{
    unsigned g[8];
    size_t best = 8, best_len = 0;
    for (size_t i = 0; i < 8; i++)
        g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
    for (size_t i = 0; i < 8;) {
        size_t j = i;
        while (j < 8 && g[j] == 0)
            j++;
        if (j - i >= 2 && j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j > i ? j : i + 1;
    }
    for (size_t i = 0; i < 8;) {
        if (i == best) {
            kev_strbuf_adds(sb, "::");
            i += best_len;
            continue;
        }
        if (i > 0 && i != best + best_len)
            kev_strbuf_addc(sb, ':');
        kev_strbuf_addf(sb, "%x", g[i++]);
    }
}

/* " /LEN" for a contiguous mask, else " mask ADDR"; nbytes is 4 or 16. */
static void add_mask(kev_strbuf *sb, const uint8_t *m, size_t nbytes)
{
    int len = mask_to_prefix(m, nbytes);
    if (len >= 0) {
        kev_strbuf_addf(sb, "/%d", len);
        return;
    }
    kev_strbuf_adds(sb, " mask ");
    if (nbytes == 4)
        add_ipv4(sb, m);
    else
        add_ipv6(sb, m);
}

static void format_inet(kev_strbuf *sb, const char *name, const kev_inet_addr *a)
{
    kev_strbuf_addf(sb, "inet %s ", name);
    add_ipv4(sb, a->addr);
    add_mask(sb, a->mask, 4);
    kev_strbuf_adds(sb, " peer ");
    add_ipv4(sb, a->peer);
    if (!a->has_addr)
        kev_strbuf_adds(sb, " noaddr");
    if (!a->has_mask)
        kev_strbuf_adds(sb, " nomask");
    if (!a->has_peer)
        kev_strbuf_adds(sb, " nopeer");
    kev_strbuf_addc(sb, '\n');
}

static void format_inet6(kev_strbuf *sb, const char *name,
                         const kev_inet6_addr *a)
{
    kev_strbuf_addf(sb, "inet6 %s ", name);
    add_ipv6(sb, a->addr);
    add_mask(sb, a->mask, 16);
    kev_strbuf_addf(sb, " flags 0x%" PRIx32, a->flags);
    if (a->has_dst) {
        kev_strbuf_adds(sb, " peer ");
        add_ipv6(sb, a->dst);
    }
    if (!a->has_addr)
        kev_strbuf_adds(sb, " noaddr");
    if (!a->has_mask)
        kev_strbuf_adds(sb, " nomask");
    if (a->flags_fail)
        kev_strbuf_adds(sb, " flagsfail");
    kev_strbuf_addc(sb, '\n');
}

static void format_iface(kev_strbuf *sb, const kev_iface *f)
{
    char name[KEV__NAME_TEXT_MAX];
    name_render(name, f->name);
    size_t m = (size_t)f->media;
    kev_strbuf_addf(sb,
                    "if %s flags 0x%" PRIx32 " media %s lqm %" PRId32
                    " refcnt %" PRIu32 " %s\n",
                    name, f->flags,
                    m < KEV__LEN(media_names) ? media_names[m] : "inactive",
                    f->lqm, f->rt_refcnt, f->expensive ? "expensive" : "cheap");
    for (size_t j = 0; j < f->n_inet; j++)
        format_inet(sb, name, &f->inet[j]);
    for (size_t j = 0; j < f->n_inet6; j++)
        format_inet6(sb, name, &f->inet6[j]);
}

void kev_kernel_format(const kev_kernel *k, kev_strbuf *out)
{
    for (size_t i = 0; i < k->n; i++)
        format_iface(out, &k->ifs[i]);
}

/* ------------------------------------------------------------------ */
/* The snapshot parser                                                 */
/* ------------------------------------------------------------------ */

/* A token: n bytes at p, inside the text. */
typedef struct span {
    const char *p;
    size_t n;
} span;

/* The tokens of one line (without its '\n' and a trailing '\r'). */
typedef struct line_cur {
    const char *p;
    size_t n, off;
} line_cur;

typedef struct snap_ctx {
    kev_kernel *k;
    kev_strbuf *err; /* may be NULL */
    size_t line;     /* 1-based */
    const char *dir; /* the directive being parsed, for messages */
    line_cur cur;
} snap_ctx;

static bool is_blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* The next token of the line into *t; false at the end of the line or at a
 * '#' starting a token (the rest of the line is a comment). */
static bool next_token(line_cur *c, span *t)
{
    while (c->off < c->n && is_blank(c->p[c->off]))
        c->off++;
    if (c->off >= c->n || c->p[c->off] == '#') {
        c->off = c->n;
        return false;
    }
    size_t start = c->off;
    while (c->off < c->n && !is_blank(c->p[c->off]))
        c->off++;
    t->p = c->p + start;
    t->n = c->off - start;
    return true;
}

static bool tok_is(span t, const char *kw)
{
    size_t n = strlen(kw);
    return t.n == n && memcmp(t.p, kw, n) == 0;
}

static int vfail(snap_ctx *c, int code, bool with_dir, const char *fmt,
                 va_list ap) __attribute__((format(printf, 4, 0)));
static int fail(snap_ctx *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_plain(snap_ctx *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends "line N: [DIR: ]message" to the error buffer; returns code. */
static int vfail(snap_ctx *c, int code, bool with_dir, const char *fmt,
                 va_list ap)
{
    if (c->err == NULL)
        return code;
    if (c->line > 0) /* 0: one line loaded by itself, numbered by the caller */
        kev_strbuf_addf(c->err, "line %zu: ", c->line);
    if (with_dir && c->dir)
        kev_strbuf_addf(c->err, "%s: ", c->dir);
    kev_strbuf_vaddf(c->err, fmt, ap);
    return code;
}

/* A message prefixed with the line and the directive. */
static int fail(snap_ctx *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail(c, code, true, fmt, ap);
    va_end(ap);
    return rc;
}

/* A message prefixed with the line only. */
static int fail_plain(snap_ctx *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail(c, code, false, fmt, ap);
    va_end(ap);
    return rc;
}

enum { NUM_OK, NUM_BAD, NUM_RANGE };

/* Parses p[0..n) as digits in `base` (10 or 16) up to `max`: NUM_OK,
 * NUM_BAD (empty or a non-digit), NUM_RANGE (all digits, too large). */
static int parse_uint(const char *p, size_t n, unsigned base, uint64_t max,
                      uint64_t *out)
{
    uint64_t v = 0;
    bool over = false;
    if (n == 0)
        return NUM_BAD;
    for (size_t i = 0; i < n; i++) {
        int d = hex_value(p[i]);
        if (d < 0 || (unsigned)d >= base)
            return NUM_BAD;
        if (!over && v > (max - (unsigned)d) / base)
            over = true;
        else if (!over)
            v = v * base + (unsigned)d;
    }
    if (over)
        return NUM_RANGE;
    *out = v;
    return NUM_OK;
}

/* A decimal value 0..max of the option `what`. */
static int take_udec(snap_ctx *c, const char *what, span v, uint64_t max,
                     uint64_t *out)
{
    char shown[KEV__SHOW_TEXT_MAX];
    int r = parse_uint(v.p, v.n, 10, max, out);
    if (r == NUM_OK)
        return 0;
    show_text(shown, v.p, v.n);
    if (r == NUM_RANGE)
        return fail(c, KEV_EFORMAT, "%s %s is out of range 0..%" PRIu64, what,
                    shown, max);
    return fail(c, KEV_EFORMAT, "%s \"%s\" is not a decimal number", what,
                shown);
}

/* A signed 32-bit decimal value of the option `what`. */
static int take_i32(snap_ctx *c, const char *what, span v, int32_t *out)
{
    char shown[KEV__SHOW_TEXT_MAX];
    bool neg = v.n > 0 && v.p[0] == '-';
    size_t skip = neg ? 1 : 0;
    uint64_t x = 0;
    int r = parse_uint(v.p + skip, v.n - skip, 10,
                       neg ? (uint64_t)INT32_MAX + 1 : (uint64_t)INT32_MAX, &x);
    if (r == NUM_OK) {
        *out = neg ? (int32_t)(-(int64_t)x) : (int32_t)x;
        return 0;
    }
    show_text(shown, v.p, v.n);
    if (r == NUM_RANGE)
        return fail(c, KEV_EFORMAT,
                    "%s %s is out of range -2147483648..2147483647", what,
                    shown);
    return fail(c, KEV_EFORMAT, "%s \"%s\" is not a decimal number", what,
                shown);
}

/* A "0xHEX" value 0..0xffffffff of the option `what`. */
static int take_hex32(snap_ctx *c, const char *what, span v, uint32_t *out)
{
    char shown[KEV__SHOW_TEXT_MAX];
    uint64_t x = 0;
    int r = NUM_BAD;
    if (v.n > 2 && v.p[0] == '0' && (v.p[1] == 'x' || v.p[1] == 'X'))
        r = parse_uint(v.p + 2, v.n - 2, 16, UINT32_MAX, &x);
    if (r == NUM_OK) {
        *out = (uint32_t)x;
        return 0;
    }
    show_text(shown, v.p, v.n);
    if (r == NUM_RANGE)
        return fail(c, KEV_EFORMAT, "%s %s is out of range 0x0..0xffffffff",
                    what, shown);
    return fail(c, KEV_EFORMAT, "%s \"%s\" is not 0x followed by hex digits",
                what, shown);
}

static int take_ipv4(snap_ctx *c, const char *what, span v, uint8_t out[4])
{
    char shown[KEV__SHOW_TEXT_MAX];
    if (parse_ipv4(v.p, v.n, out))
        return 0;
    show_text(shown, v.p, v.n);
    return fail(c, KEV_EFORMAT, "%s \"%s\" is not an IPv4 address A.B.C.D",
                what, shown);
}

static int take_ipv6(snap_ctx *c, const char *what, span v, uint8_t out[16])
{
    char shown[KEV__SHOW_TEXT_MAX];
    const char *why = parse_ipv6(v.p, v.n, out);
    if (why == NULL)
        return 0;
    show_text(shown, v.p, v.n);
    return fail(c, KEV_EFORMAT, "%s \"%s\" is not an IPv6 address: %s", what,
                shown, why);
}

/* Decodes a name token (\xNN and \\ escapes) into out[16], zero-padded.
 * NULL or why not. */
static const char *name_decode(span t, char out[16])
{
    size_t n = 0, i = 0;
    memset(out, 0, 16);
    while (i < t.n) {
        unsigned char b = (unsigned char)t.p[i];
        size_t step = 1;
        if (b == '\\') {
            if (i + 1 < t.n && t.p[i + 1] == '\\') {
                step = 2;
            } else if (i + 3 < t.n && t.p[i + 1] == 'x' &&
                       hex_value(t.p[i + 2]) >= 0 && hex_value(t.p[i + 3]) >= 0) {
                b = (unsigned char)(hex_value(t.p[i + 2]) * 16 +
                                    hex_value(t.p[i + 3]));
                step = 4;
            } else {
                return "has a bad escape (only \\xNN and \\\\ exist)";
            }
        }
        if (b == 0)
            return "contains a NUL byte";
        if (n == KEV__IFNAME_MAX)
            return "is longer than 15 bytes";
        out[n++] = (char)b;
        i += step;
    }
    return n ? NULL : "is empty";
}

/* The interface name that follows the directive, into name[16]. */
static int take_name(snap_ctx *c, char name[16])
{
    char shown[KEV__SHOW_TEXT_MAX];
    span t;
    if (!next_token(&c->cur, &t))
        return fail(c, KEV_EFORMAT, "missing interface name");
    const char *why = name_decode(t, name);
    if (why == NULL)
        return 0;
    show_text(shown, t.p, t.n);
    return fail(c, KEV_EFORMAT, "interface name \"%s\" %s", shown, why);
}

/* One option of a directive: its keyword, whether a value token follows,
 * and what it does to the directive's pending settings `o`. */
typedef int (*opt_fn)(snap_ctx *c, void *o, span v);
typedef struct opt_row {
    const char *kw;
    bool has_value;
    opt_fn fn;
} opt_row;

/* Applies the remaining tokens of the line as options from `rows`, in
 * token order. */
static int take_options(snap_ctx *c, const opt_row *rows, size_t nrows,
                        void *o)
{
    span t, v = {NULL, 0};
    while (next_token(&c->cur, &t)) {
        const opt_row *r = NULL;
        for (size_t i = 0; i < nrows && r == NULL; i++)
            if (tok_is(t, rows[i].kw))
                r = &rows[i];
        if (r == NULL) {
            char shown[KEV__SHOW_TEXT_MAX];
            show_text(shown, t.p, t.n);
            return fail(c, KEV_EFORMAT, "unknown option \"%s\"", shown);
        }
        if (r->has_value && !next_token(&c->cur, &v))
            return fail(c, KEV_EFORMAT, "option %s needs a value", r->kw);
        int rc = r->fn(c, o, v);
        if (rc)
            return rc;
    }
    return 0;
}

/* --- if NAME [options] --- */

typedef struct if_opts {
    uint32_t flags;
    kev_media media;
    int32_t lqm;
    uint32_t refcnt;
    bool expensive;
} if_opts;

static int if_up(snap_ctx *c, void *o, span v)
{
    (void)c, (void)v;
    ((if_opts *)o)->flags |= KEV_IFF_UP;
    return 0;
}

static int if_p2p(snap_ctx *c, void *o, span v)
{
    (void)c, (void)v;
    ((if_opts *)o)->flags |= KEV_IFF_POINTOPOINT;
    return 0;
}

static int if_flags(snap_ctx *c, void *o, span v)
{
    return take_hex32(c, "flags", v, &((if_opts *)o)->flags);
}

static int if_media(snap_ctx *c, void *o, span v)
{
    char shown[KEV__SHOW_TEXT_MAX];
    for (size_t i = 0; i < KEV__LEN(media_names); i++) {
        if (tok_is(v, media_names[i])) {
            ((if_opts *)o)->media = (kev_media)i;
            return 0;
        }
    }
    show_text(shown, v.p, v.n);
    return fail(c, KEV_EFORMAT,
                "media \"%s\" is not none, unknown, inactive or active", shown);
}

static int if_lqm(snap_ctx *c, void *o, span v)
{
    return take_i32(c, "lqm", v, &((if_opts *)o)->lqm);
}

static int if_refcnt(snap_ctx *c, void *o, span v)
{
    uint64_t x = 0;
    int rc = take_udec(c, "refcnt", v, UINT32_MAX, &x);
    if (rc == 0)
        ((if_opts *)o)->refcnt = (uint32_t)x;
    return rc;
}

static int if_expensive(snap_ctx *c, void *o, span v)
{
    (void)c, (void)v;
    ((if_opts *)o)->expensive = true;
    return 0;
}

static int if_cheap(snap_ctx *c, void *o, span v)
{
    (void)c, (void)v;
    ((if_opts *)o)->expensive = false;
    return 0;
}

static const opt_row if_rows[] = {
    {"up", false, if_up},         {"p2p", false, if_p2p},
    {"flags", true, if_flags},    {"media", true, if_media},
    {"lqm", true, if_lqm},        {"refcnt", true, if_refcnt},
    {"expensive", false, if_expensive}, {"cheap", false, if_cheap},
};

static int load_if(snap_ctx *c)
{
    char name[16], shown[KEV__NAME_TEXT_MAX];
    int rc = take_name(c, name);
    if (rc)
        return rc;
    if_opts o = {0, KEV_MEDIA_INACTIVE, KEV_LQM_UNKNOWN, 0,
                 name_is_expensive(name)};
    rc = take_options(c, if_rows, KEV__LEN(if_rows), &o);
    if (rc)
        return rc;
    kev_iface *f = NULL;
    rc = kev_kernel_attach(c->k, name, &f);
    name_render(shown, name);
    if (rc == KEV_EEXIST)
        return fail_plain(c, rc, "interface %s defined twice", shown);
    if (rc == KEV_ETOOBIG)
        return fail(c, rc, "interface %s is past the cap of %d interfaces",
                    shown, KEV_KERNEL_MAX_IFS);
    if (rc)
        return fail(c, rc, "interface %s: %s", shown, kev_strerror(rc));
    f->flags = o.flags;
    f->media = o.media;
    f->lqm = o.lqm;
    f->rt_refcnt = o.refcnt;
    f->expensive = o.expensive;
    return 0;
}

/* The interface an address line names, or NULL after a message. */
static kev_iface *address_iface(snap_ctx *c, const char *name)
{
    char shown[KEV__NAME_TEXT_MAX];
    kev_iface *f = kev_kernel_find(c->k, name);
    if (f == NULL) {
        name_render(shown, name);
        fail(c, KEV_ENOENT, "no interface %s (an if line must define it first)",
             shown);
    }
    return f;
}

/* The message for a failed kev_kernel_inet(6)_set. */
static int set_failed(snap_ctx *c, int rc, const char *name, const char *family)
{
    char shown[KEV__NAME_TEXT_MAX];
    name_render(shown, name);
    if (rc == KEV_ETOOBIG)
        return fail(c, rc, "interface %s already has %d %s addresses (the cap)",
                    shown, KEV_KERNEL_MAX_ADDRS, family);
    return fail(c, rc, "interface %s: %s", shown, kev_strerror(rc));
}

/* Splits "ADDR/LEN" into its address and (when there is a '/') length. */
static bool split_prefix(span t, span *addr, span *len)
{
    const char *slash = memchr(t.p, '/', t.n);
    *addr = t;
    if (slash == NULL)
        return false;
    addr->n = (size_t)(slash - t.p);
    len->p = slash + 1;
    len->n = t.n - addr->n - 1;
    return true;
}

/* --- inet NAME A.B.C.D(/LEN | mask A.B.C.D) [options] --- */

typedef struct inet_opts {
    kev_inet_addr a;
    bool mask_set, peer_set, noaddr, nomask, nopeer;
} inet_opts;

static int inet_peer(snap_ctx *c, void *o, span v)
{
    inet_opts *io = o;
    io->peer_set = true;
    return take_ipv4(c, "peer", v, io->a.peer);
}

static int inet_mask(snap_ctx *c, void *o, span v)
{
    inet_opts *io = o;
    if (io->mask_set)
        return fail(c, KEV_EFORMAT, "the mask is given twice (/LEN or mask)");
    io->mask_set = true;
    return take_ipv4(c, "mask", v, io->a.mask);
}

static int inet_noaddr(snap_ctx *c, void *o, span v)
{
    (void)c, (void)v;
    ((inet_opts *)o)->noaddr = true;
    return 0;
}

static int inet_nomask(snap_ctx *c, void *o, span v)
{
    (void)c, (void)v;
    ((inet_opts *)o)->nomask = true;
    return 0;
}

static int inet_nopeer(snap_ctx *c, void *o, span v)
{
    (void)c, (void)v;
    ((inet_opts *)o)->nopeer = true;
    return 0;
}

static const opt_row inet_rows[] = {
    {"peer", true, inet_peer},
    {"mask", true, inet_mask},
    {"noaddr", false, inet_noaddr},
    {"nomask", false, inet_nomask},
    {"nopeer", false, inet_nopeer},
    /* Other spellings of peer, kept: the scenario's dest, inet6's dst. */
    {"dest", true, inet_peer},
    {"dst", true, inet_peer},
};

/* The address token of an inet line: A.B.C.D or A.B.C.D/LEN. */
static int take_inet_address(snap_ctx *c, inet_opts *o)
{
    span t, addr, len;
    uint64_t plen = 0;
    if (!next_token(&c->cur, &t))
        return fail(c, KEV_EFORMAT, "missing address");
    bool has_len = split_prefix(t, &addr, &len);
    int rc = take_ipv4(c, "address", addr, o->a.addr);
    if (rc || !has_len)
        return rc;
    rc = take_udec(c, "prefix length", len, 32, &plen);
    if (rc)
        return rc;
    prefix_to_mask(o->a.mask, 4, (unsigned)plen);
    o->mask_set = true;
    return 0;
}

/* Settles the peer and the has_* flags once all options are known. */
static void inet_finish(inet_opts *o, uint32_t ifflags)
{
    kev_inet_addr *a = &o->a;
    if (o->peer_set) {
        a->has_peer = true;
    } else if (ifflags & KEV_IFF_POINTOPOINT) {
        memset(a->peer, 0, sizeof a->peer);
        a->has_peer = false;
    } else { /* the broadcast the kernel would derive */
        for (size_t i = 0; i < 4; i++)
            a->peer[i] = (uint8_t)(a->addr[i] | ~a->mask[i]);
        a->has_peer = true;
    }
    a->has_addr = !o->noaddr;
    a->has_mask = !o->nomask;
    if (o->nopeer)
        a->has_peer = false;
}

static int load_inet(snap_ctx *c)
{
    char name[16];
    inet_opts o;
    memset(&o, 0, sizeof o);
    int rc = take_name(c, name);
    if (rc == 0)
        rc = take_inet_address(c, &o);
    if (rc == 0)
        rc = take_options(c, inet_rows, KEV__LEN(inet_rows), &o);
    if (rc)
        return rc;
    if (!o.mask_set)
        return fail(c, KEV_EFORMAT, "the address has no /LEN and no mask");
    kev_iface *f = address_iface(c, name);
    if (f == NULL)
        return KEV_ENOENT;
    inet_finish(&o, f->flags);
    rc = kev_kernel_inet_set(c->k, name, &o.a);
    return rc ? set_failed(c, rc, name, "IPv4") : 0;
}

/* --- inet6 NAME ADDR(/LEN | mask ADDR) [options] --- */

typedef struct inet6_opts {
    kev_inet6_addr a;
    bool mask_set, noaddr, nomask;
} inet6_opts;

static int inet6_flags(snap_ctx *c, void *o, span v)
{
    return take_hex32(c, "flags", v, &((inet6_opts *)o)->a.flags);
}

static int inet6_dst(snap_ctx *c, void *o, span v)
{
    inet6_opts *io = o;
    io->a.has_dst = true;
    return take_ipv6(c, "peer", v, io->a.dst);
}

static int inet6_mask(snap_ctx *c, void *o, span v)
{
    inet6_opts *io = o;
    if (io->mask_set)
        return fail(c, KEV_EFORMAT, "the mask is given twice (/LEN or mask)");
    io->mask_set = true;
    return take_ipv6(c, "mask", v, io->a.mask);
}

static int inet6_noaddr(snap_ctx *c, void *o, span v)
{
    (void)c, (void)v;
    ((inet6_opts *)o)->noaddr = true;
    return 0;
}

static int inet6_nomask(snap_ctx *c, void *o, span v)
{
    (void)c, (void)v;
    ((inet6_opts *)o)->nomask = true;
    return 0;
}

static int inet6_flagsfail(snap_ctx *c, void *o, span v)
{
    (void)c, (void)v;
    ((inet6_opts *)o)->a.flags_fail = true;
    return 0;
}

static const opt_row inet6_rows[] = {
    {"flags", true, inet6_flags},
    {"peer", true, inet6_dst},
    /* Older spellings of peer, kept. */
    {"dst", true, inet6_dst},
    {"dest", true, inet6_dst},
    {"mask", true, inet6_mask},
    {"noaddr", false, inet6_noaddr},
    {"nomask", false, inet6_nomask},
    {"flagsfail", false, inet6_flagsfail},
};

/* The address token of an inet6 line: ADDR or ADDR/LEN. */
static int take_inet6_address(snap_ctx *c, inet6_opts *o)
{
    span t, addr, len;
    uint64_t plen = 0;
    if (!next_token(&c->cur, &t))
        return fail(c, KEV_EFORMAT, "missing address");
    bool has_len = split_prefix(t, &addr, &len);
    int rc = take_ipv6(c, "address", addr, o->a.addr);
    if (rc || !has_len)
        return rc;
    rc = take_udec(c, "prefix length", len, 128, &plen);
    if (rc)
        return rc;
    prefix_to_mask(o->a.mask, 16, (unsigned)plen);
    o->mask_set = true;
    return 0;
}

static int load_inet6(snap_ctx *c)
{
    char name[16];
    inet6_opts o;
    memset(&o, 0, sizeof o);
    int rc = take_name(c, name);
    if (rc == 0)
        rc = take_inet6_address(c, &o);
    if (rc == 0)
        rc = take_options(c, inet6_rows, KEV__LEN(inet6_rows), &o);
    if (rc)
        return rc;
    if (!o.mask_set)
        return fail(c, KEV_EFORMAT, "the address has no /LEN and no mask");
    if (address_iface(c, name) == NULL)
        return KEV_ENOENT;
    o.a.has_addr = !o.noaddr;
    o.a.has_mask = !o.nomask;
    rc = kev_kernel_inet6_set(c->k, name, &o.a);
    return rc ? set_failed(c, rc, name, "IPv6") : 0;
}

/* --- lines --- */

typedef struct dir_row {
    const char *kw;
    int (*fn)(snap_ctx *c);
} dir_row;

static const dir_row dir_rows[] = {
    {"if", load_if},
    {"inet", load_inet},
    {"inet6", load_inet6},
};

/* Loads one line p[0..n): blank, a comment, or a directive. */
static int load_line(snap_ctx *c, const char *p, size_t n)
{
    char shown[KEV__SHOW_TEXT_MAX];
    span t;
    c->cur.p = p;
    c->cur.n = n;
    c->cur.off = 0;
    c->dir = NULL;
    if (!next_token(&c->cur, &t))
        return 0;
    for (size_t i = 0; i < KEV__LEN(dir_rows); i++) {
        if (tok_is(t, dir_rows[i].kw)) {
            c->dir = dir_rows[i].kw;
            return dir_rows[i].fn(c);
        }
    }
    show_text(shown, t.p, t.n);
    return fail(c, KEV_EFORMAT,
                "unknown directive \"%s\" (expected if, inet or inet6)", shown);
}

int kev_kernel_load_line(kev_kernel *k, const char *line, size_t n, kev_strbuf *err)
{
    snap_ctx c = {k, err, 0, NULL, {NULL, 0, 0}};
    if (line == NULL && n > 0)
        return KEV_EINVAL;
    if (memchr(line, '\n', n) != NULL)
        return fail_plain(&c, KEV_EFORMAT, "a line break inside one line");
    if (n > 0 && line[n - 1] == '\r')
        n--;
    return load_line(&c, line, n);
}

int kev_kernel_load_text(kev_kernel *k, const char *text, size_t len,
                         kev_strbuf *err)
{
    snap_ctx c = {k, err, 0, NULL, {NULL, 0, 0}};
    if (len > KEV_KERNEL_MAX_SNAPSHOT) {
        if (err)
            kev_strbuf_addf(err, "snapshot of %zu bytes is over the cap of %zu",
                            len, KEV_KERNEL_MAX_SNAPSHOT);
        return KEV_ETOOBIG;
    }
    if (text == NULL && len > 0)
        return KEV_EINVAL;
    size_t off = 0;
    while (off < len) {
        const char *nl = memchr(text + off, '\n', len - off);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t n = end - off;
        if (n > 0 && text[off + n - 1] == '\r')
            n--;
        c.line++;
        int rc = load_line(&c, text + off, n);
        if (rc)
            return rc;
        off = nl ? end + 1 : len;
    }
    return 0;
}

bool kev_kernel_snapshot_source(const char *text, size_t len, char *out, size_t cap)
{
    static const char tag[] = "# source:";
    const size_t tlen = sizeof tag - 1;
    if (cap > 0)
        out[0] = '\0';
    if (text == NULL || cap == 0 || len < tlen || memcmp(text, tag, tlen) != 0)
        return false;
    size_t i = tlen;
    while (i < len && (text[i] == ' ' || text[i] == '\t'))
        i++;
    size_t n = 0, max = cap - 1 < KEV_SNAPSHOT_SOURCE_MAX ? cap - 1 : KEV_SNAPSHOT_SOURCE_MAX;
    for (; i < len && text[i] != '\n' && text[i] != '\r' && n < max; i++) {
        unsigned char b = (unsigned char)text[i];
        out[n++] = b >= 0x20 && b < 0x7f ? (char)b : '?';
    }
    while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t'))
        n--;
    out[n] = '\0';
    return n > 0;
}
