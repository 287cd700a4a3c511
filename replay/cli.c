/*
 * cli.c: helpers shared by the kevrr subcommands.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void kev_cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "kevrr %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

bool kev_cli_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

/* Grows `*buf` so it holds at least `need` bytes; false when out of memory. */
static bool grow(char **buf, size_t *alloc, size_t need)
{
    if (need <= *alloc)
        return true;
    size_t n = *alloc ? *alloc : 4096;
    while (n < need)
        n *= 2;
    char *nb = realloc(*buf, n);
    if (nb == NULL)
        return false;
    *buf = nb;
    *alloc = n;
    return true;
}

char *kev_cli_read_file(const char *path, size_t cap, size_t *len)
{
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "kevrr: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t size = 0, alloc = 0;
    const char *why = NULL;
    for (;;) {
        if (!grow(&buf, &alloc, size + 4096 + 1)) {
            why = "out of memory";
            break;
        }
        size_t n = fread(buf + size, 1, alloc - size - 1, f);
        size += n;
        if (size > cap) {
            why = "larger than the size cap";
            break;
        }
        if (n == 0) {
            if (ferror(f))
                why = "read error";
            break;
        }
    }
    if (!is_stdin)
        fclose(f);
    if (why != NULL) {
        fprintf(stderr, "kevrr: %s: %s\n", path, why);
        free(buf);
        return NULL;
    }
    buf[size] = '\0';
    *len = size;
    return buf;
}

void kev_cli_file_write(void *ctx, const char *p, size_t n)
{
    kev_file_sink *s = ctx;
    if (!s->failed && fwrite(p, 1, n, s->f) != n)
        s->failed = true;
}
