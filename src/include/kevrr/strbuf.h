/*
 * kevrr/strbuf.h: a growable byte buffer for building text (reports, keys,
 * value renderings).
 *
 * A failed allocation is sticky: the buffer remembers it in `err` and
 * ignores further appends, so callers can append freely and check once.
 */
#ifndef KEVRR_STRBUF_H
#define KEVRR_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

/* Caps the size of one buffer: appends past it fail with KEV_ETOOBIG. */
#define KEV_STRBUF_MAX ((size_t)1 << 30)

typedef struct kev_strbuf {
    char *p;    /* NUL-terminated when non-NULL */
    size_t len; /* bytes used, not counting the NUL */
    size_t cap; /* bytes allocated */
    int err;    /* 0, or the first KEV_E* error met */
} kev_strbuf;

#define KEV_STRBUF_INIT {NULL, 0, 0, 0}

void kev_strbuf_init(kev_strbuf *sb);
void kev_strbuf_free(kev_strbuf *sb);         /* accepts NULL */
void kev_strbuf_clear(kev_strbuf *sb);        /* len = 0, keeps capacity, clears err */
void kev_strbuf_add(kev_strbuf *sb, const void *p, size_t n);
void kev_strbuf_adds(kev_strbuf *sb, const char *s);
void kev_strbuf_addc(kev_strbuf *sb, char c);
void kev_strbuf_addf(kev_strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void kev_strbuf_vaddf(kev_strbuf *sb, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Returns the text (never NULL: "" when empty). */
const char *kev_strbuf_str(const kev_strbuf *sb);

#endif
