/*
 * kev_sb.h (internal): inline fast paths of kev_strbuf_add and friends for
 * the report and value renderers, which append a few bytes at a time, tens
 * of times per event. When the bytes fit in the capacity already there they
 * are copied in place; otherwise (or after an error) the library function
 * does the work, with its growth and sticky errors.
 */
#ifndef KEV_SB_H
#define KEV_SB_H

#include <string.h>

#include "kevrr/strbuf.h"

static inline void kev__sb_add(kev_strbuf *sb, const void *p, size_t n)
{
    if (sb->err == 0 && sb->p != NULL && n < sb->cap - sb->len) {
        memcpy(sb->p + sb->len, p, n);
        sb->len += n;
        sb->p[sb->len] = '\0';
        return;
    }
    kev_strbuf_add(sb, p, n);
}

static inline void kev__sb_addc(kev_strbuf *sb, char c)
{
    if (sb->err == 0 && sb->p != NULL && sb->cap - sb->len > 1) {
        sb->p[sb->len++] = c;
        sb->p[sb->len] = '\0';
        return;
    }
    kev_strbuf_add(sb, &c, 1);
}

static inline void kev__sb_adds(kev_strbuf *sb, const char *s)
{
    kev__sb_add(sb, s, strlen(s));
}

#endif
