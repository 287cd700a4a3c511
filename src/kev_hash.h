/*
 * kev_hash.h (internal): the key hash the store and the cache share.
 *
 * kev__key_hash hashes the NUL-terminated `key` and stores its length in
 * `*len`. The NUL is looked for in at most KEV_STORE_MAX_KEY + 1 bytes, so
 * an absurd key costs no more than a long legal one; `*len` is then one
 * more than the cap. The key is mixed eight bytes at a time (keys are ~35
 * bytes and every operation hashes one), then finished with murmur3's
 * fmix64. The value depends on the host's byte order, which is harmless:
 * hash order is never observable (keys come out sorted).
 */
#ifndef KEV_HASH_H
#define KEV_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kevrr/store.h"

/* The hash multiplies modulo 2^64 on purpose. UBSan's unsigned-integer-
 * overflow check (not undefined behaviour, but on in OSS-Fuzz's undefined
 * builds) is told so, for this function alone. */
#if defined(__clang__)
#define KEV_HASH_WRAPS __attribute__((no_sanitize("unsigned-integer-overflow")))
#else
#define KEV_HASH_WRAPS
#endif

KEV_HASH_WRAPS static inline uint32_t kev__key_hash(const char *key, size_t *len)
{
    const char *nul = memchr(key, '\0', (size_t)KEV_STORE_MAX_KEY + 1);
    size_t n = nul ? (size_t)(nul - key) : (size_t)KEV_STORE_MAX_KEY + 1;
    uint64_t h = 0x9e3779b97f4a7c15u ^ n, w;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, key + i, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9u;
        h ^= h >> 31;
    }
    if (n >= 8) {
        memcpy(&w, key + n - 8, 8); /* the tail, overlapping the last word */
    } else {
        w = 0;
        for (size_t j = 0; j < n; j++)
            w |= (uint64_t)(unsigned char)key[j] << (8 * j);
    }
    h = (h ^ w) * 0xbf58476d1ce4e5b9u;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53u;
    h ^= h >> 33;
    *len = n;
    return (uint32_t)h;
}

#endif
