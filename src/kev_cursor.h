/*
 * kev_cursor.h (internal): the bounds-checked cursor every read of untrusted
 * bytes goes through. Loads are explicit little-endian; a read that would
 * pass the end fails with KEV_ETRUNC and reads nothing.
 */
#ifndef KEV_CURSOR_H
#define KEV_CURSOR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kevrr/error.h"

typedef struct kev_cursor {
    const uint8_t *p;
    size_t len; /* bytes readable from p */
    size_t off; /* next byte to read */
} kev_cursor;

static inline void kev__cur_init(kev_cursor *c, const uint8_t *p, size_t len)
{
    c->p = p;
    c->len = len;
    c->off = 0;
}

static inline size_t kev__cur_left(const kev_cursor *c)
{
    return c->len - c->off;
}

/* Moves to absolute offset `off` (may equal len). */
static inline int kev__cur_seek(kev_cursor *c, size_t off)
{
    if (off > c->len)
        return KEV_ETRUNC;
    c->off = off;
    return 0;
}

static inline int kev__cur_skip(kev_cursor *c, size_t n)
{
    if (n > kev__cur_left(c))
        return KEV_ETRUNC;
    c->off += n;
    return 0;
}

static inline int kev__cur_bytes(kev_cursor *c, void *dst, size_t n)
{
    if (n > kev__cur_left(c))
        return KEV_ETRUNC;
    if (n)
        memcpy(dst, c->p + c->off, n);
    c->off += n;
    return 0;
}

static inline int kev__cur_u8(kev_cursor *c, uint8_t *v)
{
    if (kev__cur_left(c) < 1)
        return KEV_ETRUNC;
    *v = c->p[c->off++];
    return 0;
}

static inline int kev__cur_u16le(kev_cursor *c, uint16_t *v)
{
    if (kev__cur_left(c) < 2)
        return KEV_ETRUNC;
    const uint8_t *b = c->p + c->off;
    *v = (uint16_t)(b[0] | (uint16_t)(b[1] << 8));
    c->off += 2;
    return 0;
}

static inline int kev__cur_u32le(kev_cursor *c, uint32_t *v)
{
    if (kev__cur_left(c) < 4)
        return KEV_ETRUNC;
    const uint8_t *b = c->p + c->off;
    *v = (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) |
         ((uint32_t)b[3] << 24);
    c->off += 4;
    return 0;
}

static inline int kev__cur_u64le(kev_cursor *c, uint64_t *v)
{
    if (kev__cur_left(c) < 8)
        return KEV_ETRUNC;
    const uint8_t *b = c->p + c->off;
    uint64_t x = 0;
    for (int i = 7; i >= 0; i--)
        x = (x << 8) | b[i];
    *v = x;
    c->off += 8;
    return 0;
}

/* Little-endian stores, for writers of records (gen, tests). */
static inline void kev__put_u32le(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)(v >> 16);
    b[3] = (uint8_t)(v >> 24);
}

#endif
