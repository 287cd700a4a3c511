/*
 * cftime.c: the message log's clock (kev_cftime.h).
 *
 * configd's CFAbsoluteTime is a binary64 double; we compute the same double
 * exactly with integers. A double is m * 2^-e here (m < 2^53 or m == 2^53
 * after a carry, e >= 0: every value we meet is below 2^35 in magnitude),
 * and the intermediate exact values need up to about 110 bits, held in a
 * two-limb unsigned integer. Rounding is IEEE 754's default, to nearest
 * with ties to even, as in CoreFoundation's `-` and `+=` and `*`.
 */
#include "kev_cftime.h"

#include <stdbool.h>
#include <stdio.h>

/* The double nearest 1.0e-6 (0x3EB0C6F7A0B5ED8D) is MICRO_MANT * 2^-72. */
#define MICRO_MANT  0x10C6F7A0B5ED8Dull
#define MICRO_SHIFT 72
/* Significand bits of binary64. */
#define MANT_BITS 53
/* 10^8: "%12.8f" prints eight decimals. */
#define DEC8 100000000u

/* ------------------------------------------------------------------------
 * A 128-bit unsigned integer, just the operations the clock needs.
 */

typedef struct u128 {
    uint64_t hi, lo;
} u128;

static u128 u128_of(uint64_t v)
{
    u128 r = {0, v};
    return r;
}

static bool u128_is_zero(u128 a)
{
    return a.hi == 0 && a.lo == 0;
}

static int u128_cmp(u128 a, u128 b)
{
    if (a.hi != b.hi)
        return a.hi < b.hi ? -1 : 1;
    return a.lo < b.lo ? -1 : a.lo > b.lo;
}

static u128 u128_add(u128 a, u128 b)
{
    u128 r = {a.hi + b.hi, a.lo + b.lo};
    r.hi += r.lo < a.lo;
    return r;
}

/* a - b; the callers ensure a >= b. */
static u128 u128_sub(u128 a, u128 b)
{
    u128 r = {a.hi - b.hi - (a.lo < b.lo), a.lo - b.lo};
    return r;
}

static u128 u128_shl(u128 a, unsigned n)
{
    u128 r;
    if (n == 0)
        return a;
    if (n >= 128)
        return u128_of(0);
    if (n >= 64) {
        r.hi = a.lo << (n - 64);
        r.lo = 0;
    } else {
        r.hi = (a.hi << n) | (a.lo >> (64 - n));
        r.lo = a.lo << n;
    }
    return r;
}

static u128 u128_shr(u128 a, unsigned n)
{
    u128 r;
    if (n == 0)
        return a;
    if (n >= 128)
        return u128_of(0);
    if (n >= 64) {
        r.hi = 0;
        r.lo = a.hi >> (n - 64);
    } else {
        r.lo = (a.lo >> n) | (a.hi << (64 - n));
        r.hi = a.hi >> n;
    }
    return r;
}

/* a mod 2^n. */
static u128 u128_low(u128 a, unsigned n)
{
    return u128_sub(a, u128_shl(u128_shr(a, n), n));
}

static unsigned u64_bitlen(uint64_t v)
{
    unsigned n = 0;
    while (v) {
        n++;
        v >>= 1;
    }
    return n;
}

static unsigned u128_bitlen(u128 a)
{
    return a.hi ? 64 + u64_bitlen(a.hi) : u64_bitlen(a.lo);
}

/* a * b; the callers keep a below 2^64 (a.hi == 0), so nothing is lost. */
static u128 u128_mul_small(u128 a, uint32_t b)
{
    uint64_t p0 = (a.lo & 0xffffffffu) * b;
    uint64_t p1 = (a.lo >> 32) * b;
    u128 r = u128_add(u128_of(p0), u128_shl(u128_of(p1), 32));
    r.hi += a.hi * b;
    return r;
}

/* ------------------------------------------------------------------------
 * Doubles as m * 2^-e
 */

/* Rounds the exact value v * 2^-e to MANT_BITS significant bits, to
 * nearest with ties to even: *m gets the significand (a carry can make it
 * exactly 2^53, which is the same double as 2^52 one binade up) and *e its
 * scale. */
static void round_double(u128 v, unsigned e, uint64_t *m, unsigned *me)
{
    unsigned len = u128_bitlen(v);
    if (len <= MANT_BITS) {
        *m = v.lo;
        *me = e;
        return;
    }
    unsigned s = len - MANT_BITS;
    uint64_t q = u128_shr(v, s).lo;
    u128 rem = u128_low(v, s), half = u128_shl(u128_of(1), s - 1);
    int c = u128_cmp(rem, half);
    if (c > 0 || (c == 0 && (q & 1u)))
        q++;
    *m = q;
    *me = e - s;
}

/* Appends "%.8f" of the nonnegative m * 2^-e (exact value, rounded half to
 * even, as printf rounds a double) to `out`; returns the bytes written. */
static size_t format_8(uint64_t m, unsigned e, char *out, size_t cap)
{
    u128 v = u128_of(m);
    u128 ipart = u128_shr(v, e), frac = u128_low(v, e);
    /* frac < 2^e and e <= 72 + 53, so frac * 10^8 fits in 128 bits. */
    u128 scaled = u128_mul_small(frac, DEC8);
    uint64_t digits = u128_shr(scaled, e).lo;
    if (e > 0) {
        u128 rem = u128_low(scaled, e), half = u128_shl(u128_of(1), e - 1);
        int c = u128_cmp(rem, half);
        if (c > 0 || (c == 0 && (digits & 1u)))
            digits++;
    }
    uint64_t whole = ipart.lo;
    if (digits == DEC8) {
        whole++;
        digits = 0;
    }
    int n = snprintf(out, cap, "%llu.%08llu", (unsigned long long)whole,
                     (unsigned long long)digits);
    return n < 0 ? 0 : (size_t)n;
}

/* "%12.8f" around `body`: right-aligned in 12 columns. */
static size_t pad12(const char *body, char out[KEV_CF_TIME_CAP])
{
    int n = snprintf(out, KEV_CF_TIME_CAP, "%12s", body);
    return n < 0 ? 0 : (size_t)n;
}

size_t kev__cf_time_configd(uint64_t t_ns, char out[KEV_CF_TIME_CAP])
{
    /* gettimeofday(): whole seconds and microseconds. */
    uint64_t sec = t_ns / 1000000000u;
    uint32_t usec = (uint32_t)(t_ns % 1000000000u / 1000u);

    /* (double)tv_sec - 978307200.0: both operands and the difference are
     * integers below 2^53 (sec < 2^35), so this step is exact. */
    bool neg = sec < (uint64_t)KEV_CF_EPOCH_OFFSET;
    uint64_t whole =
        neg ? (uint64_t)KEV_CF_EPOCH_OFFSET - sec : sec - (uint64_t)KEV_CF_EPOCH_OFFSET;

    /* 1.0e-6 * (double)tv_usec, rounded: usec * MICRO_MANT < 2^73. */
    u128 p = u128_add(u128_of((MICRO_MANT & 0xffffffffu) * usec),
                      u128_shl(u128_of((MICRO_MANT >> 32) * usec), 32));
    uint64_t bm;
    unsigned be;
    round_double(p, MICRO_SHIFT, &bm, &be);

    /* ret += that product, rounded: the exact sum at scale 2^-be (the
     * product is below 1, so a negative sum stays negative). */
    u128 sum = u128_shl(u128_of(whole), be);
    sum = neg ? u128_sub(sum, u128_of(bm)) : u128_add(sum, u128_of(bm));
    uint64_t am;
    unsigned ae;
    round_double(sum, be, &am, &ae);

    char body[KEV_CF_TIME_CAP];
    size_t n = 0;
    if (neg && !u128_is_zero(sum))
        body[n++] = '-';
    format_8(am, ae, body + n, sizeof body - n);
    return pad12(body, out);
}
