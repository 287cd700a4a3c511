/*
 * strbuf.c: the growable text buffer of kevrr/strbuf.h. Capacity doubles,
 * so appends are amortised O(1); errors are sticky.
 */
#include "kevrr/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kevrr/error.h"

void kev_strbuf_init(kev_strbuf *sb)
{
    sb->p = NULL;
    sb->len = 0;
    sb->cap = 0;
    sb->err = 0;
}

void kev_strbuf_free(kev_strbuf *sb)
{
    if (sb == NULL)
        return;
    free(sb->p);
    kev_strbuf_init(sb);
}

void kev_strbuf_clear(kev_strbuf *sb)
{
    sb->len = 0;
    sb->err = 0;
    if (sb->p)
        sb->p[0] = '\0';
}

/* Makes room for `extra` more bytes plus the NUL; false (and err set) when
 * that is impossible. */
static int sb_reserve(kev_strbuf *sb, size_t extra)
{
    if (sb->err)
        return 0;
    if (extra > KEV_STRBUF_MAX - sb->len - 1) {
        sb->err = KEV_ETOOBIG;
        return 0;
    }
    size_t need = sb->len + extra + 1;
    if (need <= sb->cap)
        return 1;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(sb->p, cap);
    if (p == NULL) {
        sb->err = KEV_ENOMEM;
        return 0;
    }
    sb->p = p;
    sb->cap = cap;
    return 1;
}

void kev_strbuf_add(kev_strbuf *sb, const void *p, size_t n)
{
    if (!sb_reserve(sb, n))
        return;
    if (n)
        memcpy(sb->p + sb->len, p, n);
    sb->len += n;
    sb->p[sb->len] = '\0';
}

void kev_strbuf_adds(kev_strbuf *sb, const char *s)
{
    kev_strbuf_add(sb, s, strlen(s));
}

void kev_strbuf_addc(kev_strbuf *sb, char c)
{
    kev_strbuf_add(sb, &c, 1);
}

void kev_strbuf_vaddf(kev_strbuf *sb, const char *fmt, va_list ap)
{
    char small[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n < 0) {
        va_end(ap2);
        if (!sb->err)
            sb->err = KEV_EINVAL;
        return;
    }
    if ((size_t)n < sizeof small) {
        kev_strbuf_add(sb, small, (size_t)n);
    } else if (sb_reserve(sb, (size_t)n)) {
        vsnprintf(sb->p + sb->len, (size_t)n + 1, fmt, ap2);
        sb->len += (size_t)n;
    }
    va_end(ap2);
}

void kev_strbuf_addf(kev_strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kev_strbuf_vaddf(sb, fmt, ap);
    va_end(ap);
}

const char *kev_strbuf_str(const kev_strbuf *sb)
{
    return sb->p ? sb->p : "";
}
