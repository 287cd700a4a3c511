/*
 * kev_fmt.h (internal): number formatting for the hot paths (store keys,
 * interface names, addresses), where snprintf's cost would dominate an
 * event. Each function writes without a NUL and returns the bytes written.
 */
#ifndef KEV_FMT_H
#define KEV_FMT_H

#include <stddef.h>
#include <stdint.h>

/* Decimal of `v`: at most 10 bytes. */
static inline size_t kev__fmt_u32(char *out, uint32_t v)
{
    char tmp[10];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

/* Decimal of `v`: at most 20 bytes. */
static inline size_t kev__fmt_u64(char *out, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

/* A trace time in ns as "SECONDS.NNNNNNNNN": at most 30 bytes. */
static inline size_t kev__fmt_time(char *out, uint64_t t_ns)
{
    size_t n = kev__fmt_u64(out, t_ns / 1000000000u);
    uint32_t frac = (uint32_t)(t_ns % 1000000000u);
    out[n++] = '.';
    for (int i = 8; i >= 0; i--, frac /= 10)
        out[n + (size_t)i] = (char)('0' + frac % 10);
    return n + 9;
}

/* Decimal of `v` as %d prints it: at most 11 bytes. */
static inline size_t kev__fmt_i32(char *out, int32_t v)
{
    if (v >= 0)
        return kev__fmt_u32(out, (uint32_t)v);
    out[0] = '-';
    return 1 + kev__fmt_u32(out + 1, (uint32_t)0 - (uint32_t)v);
}

/* "a.b.c.d": at most 15 bytes. */
static inline size_t kev__fmt_ipv4(char *out, const uint8_t a[4])
{
    size_t n = 0;
    for (int i = 0; i < 4; i++) {
        if (i)
            out[n++] = '.';
        n += kev__fmt_u32(out + n, a[i]);
    }
    return n;
}

/* Lowercase hex of `v` without leading zeros (%x): at most 8 bytes. */
static inline size_t kev__fmt_hex(char *out, uint32_t v)
{
    static const char digits[] = "0123456789abcdef";
    char tmp[8];
    size_t n = 0;
    do {
        tmp[n++] = digits[v & 0xf];
        v >>= 4;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

/* inet_ntop(AF_INET6) as BSD libc writes it: the longest run (first on
 * ties) of two or more zero words becomes "::", and the IPv4-compatible and
 * IPv4-mapped forms end in a dotted quad. `out` holds 46 bytes. */
static inline void kev__fmt_ipv6(char out[46], const uint8_t a[16])
{
    unsigned words[8];
    int best = -1, best_len = 0, cur = -1, cur_len = 0;
    for (int i = 0; i < 8; i++) {
        words[i] = (unsigned)(a[2 * i] << 8 | a[2 * i + 1]);
        if (words[i] == 0) {
            if (cur < 0)
                cur = i, cur_len = 0;
            if (++cur_len > best_len)
                best = cur, best_len = cur_len;
        } else {
            cur = -1;
        }
    }
    if (best_len < 2)
        best = -1;
    size_t o = 0;
    for (int i = 0; i < 8; i++) {
        if (best >= 0 && i >= best && i < best + best_len) {
            if (i == best)
                out[o++] = ':';
            continue;
        }
        if (i != 0)
            out[o++] = ':';
        if (i == 6 && best == 0 &&
            (best_len == 6 || (best_len == 5 && words[5] == 0xffff))) {
            o += kev__fmt_ipv4(out + o, a + 12);
            break;
        }
        o += kev__fmt_hex(out + o, words[i]);
    }
    if (best >= 0 && best + best_len == 8)
        out[o++] = ':';
    out[o] = '\0';
}

/* memchr(p, 0, n) for the 16-byte name fields: a plain loop beats the
 * library's vector memchr, whose setup dominates at this size. */
static inline const uint8_t *kev__find_nul(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] == 0)
            return p + i;
    return NULL;
}

#endif
