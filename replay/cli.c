/*
 * cli.c: helpers shared by the kevrr subcommands.
 */
#define _POSIX_C_SOURCE 200809L

#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* The profile names, from the core's table, as "a, b, c or d". */
const char *kev_cli_profile_list(bool faithful_only)
{
    static char lists[2][KEV_PROFILE__COUNT * 16];
    char *out = lists[faithful_only];
    if (out[0] != '\0')
        return out;
    const char *names[KEV_PROFILE__COUNT];
    int n = 0;
    for (int p = 0; p < KEV_PROFILE__COUNT; p++)
        if (!faithful_only || kev_profile_faithful((kev_profile)p))
            names[n++] = kev_profile_name((kev_profile)p);
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        const char *sep = i == 0 ? "" : i == n - 1 ? " or " : ", ";
        int w = snprintf(out + len, sizeof lists[0] - len, "%s%s", sep, names[i]);
        if (w < 0 || (size_t)w >= sizeof lists[0] - len)
            break;
        len += (size_t)w;
    }
    return out;
}

void kev_cli_usage_print(const char *usage, FILE *f)
{
    static const struct {
        const char *token;
        bool faithful_only;
    } subst[] = {{"@PROFILES@", false}, {"@FAITHFUL@", true}};
    for (const char *p = usage; *p;) {
        const char *at = strchr(p, '@');
        size_t i = 0;
        if (at != NULL)
            for (; i < sizeof subst / sizeof subst[0]; i++)
                if (strncmp(at, subst[i].token, strlen(subst[i].token)) == 0)
                    break;
        if (at == NULL || i == sizeof subst / sizeof subst[0]) {
            size_t n = at ? (size_t)(at - p) + 1 : strlen(p);
            fwrite(p, 1, n, f);
            p += n;
            continue;
        }
        fwrite(p, 1, (size_t)(at - p), f);
        fputs(kev_cli_profile_list(subst[i].faithful_only), f);
        p = at + strlen(subst[i].token);
    }
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

char *kev_cli_read_file(const char *path, size_t cap, size_t *len, kev_strbuf *why)
{
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (f == NULL) {
        kev_strbuf_addf(why, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t size = 0, alloc = 0;
    bool failed = true;
    for (;;) {
        if (!grow(&buf, &alloc, size + 4096 + 1)) {
            kev_strbuf_addf(why, "%s: out of memory", path);
            break;
        }
        errno = 0;
        size_t n = fread(buf + size, 1, alloc - size - 1, f);
        size += n;
        if (size > cap) {
            kev_strbuf_addf(why, "%s: more than %zu bytes, the cap of this input", path,
                            cap);
            break;
        }
        if (n == 0) {
            failed = ferror(f) != 0;
            if (failed) /* a directory: EISDIR */
                kev_strbuf_addf(why, "cannot read %s: %s", path,
                                strerror(errno ? errno : EIO));
            break;
        }
    }
    if (!is_stdin)
        fclose(f);
    if (failed) {
        free(buf);
        return NULL;
    }
    buf[size] = '\0';
    *len = size;
    return buf;
}

bool kev_cli_looks_like_trace(const char *text, size_t len)
{
    static const unsigned char shb[4] = {0x0a, 0x0d, 0x0d, 0x0a};
    const unsigned char *p = (const unsigned char *)text;
    return (len >= 2 && p[0] == 0x1f && p[1] == 0x8b) ||
           (len >= 4 && memcmp(p, shb, 4) == 0);
}

int kev_cli_scenario_check(const char *cmd, const char *path, const char *text, size_t len)
{
    if (!kev_cli_looks_like_trace(text, len))
        return 0;
    kev_cli_error(cmd, "%s: a trace, not a scenario: kevrr replay reads traces", path);
    return -1;
}

void kev_cli_file_write(void *ctx, const char *p, size_t n)
{
    kev_file_sink *s = ctx;
    if (!s->failed && !kev_cli_fwrite(s->f, p, n))
        s->failed = true;
}

/* The errno of the first failed write, kept at the failure (later calls
 * may change errno). */
static int first_write_errno;

bool kev_cli_fwrite(FILE *f, const void *p, size_t n)
{
    if (n == 0 || fwrite(p, 1, n, f) == n)
        return true;
    if (first_write_errno == 0)
        first_write_errno = errno ? errno : EIO;
    return false;
}

int kev_cli_write_errno(void)
{
    return first_write_errno ? first_write_errno : errno ? errno : EIO;
}

const char *kev_cli_write_strerror(int rc)
{
    if (rc == KEV_EIO)
        return strerror(first_write_errno ? first_write_errno : errno ? errno : EIO);
    return kev_strerror(rc);
}

const char *kev_cli_out_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "standard output" : path;
}

int kev_cli_trace_close(kev_trace_writer *w, uint64_t stop_ns)
{
    int rc = kev_trace_writer_close(w, stop_ns);
    if (rc == KEV_EIO && first_write_errno == 0)
        first_write_errno = errno ? errno : EIO;
    return rc;
}

void kev_cli_trace_write_failed(int rc)
{
    if (rc == KEV_EIO && first_write_errno == 0)
        first_write_errno = errno ? errno : EIO;
}

int kev_cli_stream_close(const char *cmd, FILE *f, const char *what)
{
    bool failed = fflush(f) != 0;
    if (failed && first_write_errno == 0)
        first_write_errno = errno ? errno : EIO;
    failed = failed || ferror(f) != 0;
    if (f != stdout && f != stderr && fclose(f) != 0 && !failed) {
        failed = true;
        if (first_write_errno == 0)
            first_write_errno = errno ? errno : EIO;
    }
    if (!failed)
        return KEV_EXIT_OK;
    kev_cli_error(cmd, "cannot write %s: %s", what, strerror(kev_cli_write_errno()));
    return KEV_EXIT_INTERNAL;
}

/* ---- Temporary files removed on SIGINT, SIGTERM and SIGHUP -------------- */

/* The OUT.tmp files being written; a signal that ends the command removes
 * them (unlink is async-signal-safe) and then ends it as the signal would
 * have. A slot is set before the handler can need it and cleared only
 * after the file is gone or renamed. */
#define KEV_CLI_MAX_TMP 16
static char *volatile tmp_files[KEV_CLI_MAX_TMP];

static void on_fatal_signal(int sig)
{
    for (size_t i = 0; i < KEV_CLI_MAX_TMP; i++) {
        char *p = tmp_files[i];
        if (p != NULL)
            unlink(p);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Installs the handler once, for signals not ignored (a background job's
 * SIGINT stays ignored). */
static void tmp_handlers(void)
{
    static bool installed;
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    if (installed)
        return;
    installed = true;
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old, sa;
        if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL)
            continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_fatal_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
}

static void tmp_register(char *path)
{
    tmp_handlers();
    for (size_t i = 0; i < KEV_CLI_MAX_TMP; i++) {
        if (tmp_files[i] == NULL) {
            tmp_files[i] = path;
            return;
        }
    }
}

static void tmp_unregister(const char *path)
{
    for (size_t i = 0; i < KEV_CLI_MAX_TMP; i++)
        if (tmp_files[i] == path)
            tmp_files[i] = NULL;
}

/* ---- Helpers of the trace tools ------------------------------------------ */

/* The option `arg` names, and its inline value after '=' (or NULL). */
static const kev_cli_opt *opt_find(const kev_cli_opt *opts, size_t n, const char *arg,
                                   const char **inline_value)
{
    for (size_t k = 0; k < n; k++) {
        size_t len = strlen(opts[k].name);
        if (strncmp(arg, opts[k].name, len) != 0)
            continue;
        *inline_value = arg[len] == '=' ? arg + len + 1 : NULL;
        if (arg[len] == '\0' || (arg[len] == '=' && opts[k].value))
            return &opts[k];
    }
    return NULL;
}

/* Takes the option at argv[*i] (and its value). 0 or -1. */
static int opt_take(const char *cmd, int argc, char **argv, int *i, const kev_cli_opt *opts,
                    size_t n)
{
    const char *v;
    const kev_cli_opt *o = opt_find(opts, n, argv[*i], &v);
    if (o == NULL) {
        kev_cli_error(cmd, "unknown option '%s'; see kevrr help %s", argv[*i], cmd);
        return -1;
    }
    if (o->replaced_by != NULL)
        kev_cli_error(cmd, "%s is deprecated: use %s (docs/cli.md, Conventions)", o->name,
                      o->replaced_by);
    if (o->value == NULL) {
        *o->flag = true;
        return 0;
    }
    if (v == NULL && *i + 1 >= argc) {
        kev_cli_error(cmd, "%s needs a value", o->name);
        return -1;
    }
    if (*o->value != NULL) {
        kev_cli_error(cmd, "%s given twice", o->name);
        return -1;
    }
    *o->value = v ? v : argv[++*i];
    return 0;
}

int kev_cli_parse(const char *cmd, int argc, char **argv, const kev_cli_opt *opts, size_t n,
                  const char *usage, int *nargs)
{
    bool only_args = false;
    int np = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_args || a[0] != '-' || a[1] == '\0') {
            argv[1 + np++] = argv[i]; /* 1 + np <= i: nothing unread is overwritten */
        } else if (strcmp(a, "--") == 0) {
            only_args = true;
        } else if (kev_cli_is_help(a)) {
            kev_cli_usage_print(usage, stdout);
            return 1;
        } else if (opt_take(cmd, argc, argv, &i, opts, n) != 0) {
            return -1;
        }
    }
    *nargs = np;
    return 0;
}

/* Reads decimal digits at *p into *v (at most 19 + overflow check). */
static int digits_u64(const char **p, uint64_t *v, unsigned *count)
{
    *v = 0;
    *count = 0;
    for (; **p >= '0' && **p <= '9'; (*p)++, (*count)++) {
        unsigned d = (unsigned)(**p - '0');
        if (*v > (UINT64_MAX - d) / 10)
            return -1;
        *v = *v * 10 + d;
    }
    return *count ? 0 : -1;
}

int kev_cli_parse_u64(const char *s, uint64_t *out)
{
    unsigned n;
    return digits_u64(&s, out, &n) == 0 && *s == '\0' ? 0 : -1;
}

int kev_cli_opt_u64(const char *cmd, const char *name, const char *v, uint64_t *out)
{
    if (v == NULL || kev_cli_parse_u64(v, out) == 0)
        return 0;
    kev_cli_error(cmd, "%s takes a number, not '%s'", name, v);
    return -1;
}

/* Time units of kev_cli_parse_time, as in the scenario language. */
static const struct {
    const char *name;
    uint64_t ns;
} time_units[] = {{"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}};

static const uint64_t pow10_u64[10] = {1,      10,      100,      1000,      10000,
                                       100000, 1000000, 10000000, 100000000, 1000000000};

/* The unit `s` names: "" for absolute times (seconds); "" is allowed in a
 * duration only when the value is 0. 0 when unknown. */
static uint64_t time_unit(const char *s, bool relative, bool zero)
{
    if (*s == '\0')
        return !relative ? 1000000000u : zero ? 1 : 0;
    for (size_t k = 0; relative && k < sizeof time_units / sizeof time_units[0]; k++)
        if (strcmp(s, time_units[k].name) == 0)
            return time_units[k].ns;
    return 0;
}

int kev_cli_parse_time(const char *s, uint64_t *t_ns, bool *relative)
{
    uint64_t whole, frac = 0;
    unsigned n, nfrac = 0;
    *relative = *s == '+';
    s += *relative;
    if (digits_u64(&s, &whole, &n) != 0)
        return -1;
    if (*s == '.') {
        s++;
        if (digits_u64(&s, &frac, &nfrac) != 0 || nfrac > 9)
            return -1;
    }
    uint64_t unit = time_unit(s, *relative, whole == 0 && frac == 0 && nfrac == 0);
    if (unit == 0 || whole > UINT64_MAX / unit)
        return -1;
    /* frac < 10^9 and unit <= 10^9: the product fits. */
    if ((frac * unit) % pow10_u64[nfrac] != 0)
        return -1; /* not a whole number of nanoseconds */
    uint64_t part = frac * unit / pow10_u64[nfrac];
    if (whole * unit > UINT64_MAX - part)
        return -1;
    *t_ns = whole * unit + part;
    return 0;
}

/* The civil date of a day count since 1970-01-01 (H. Hinnant's
 * civil_from_days, for days >= 0). */
static void civil_from_days(uint64_t days, unsigned *y, unsigned *m, unsigned *d)
{
    uint64_t z = days + 719468;
    uint64_t era = z / 146097;
    uint64_t doe = z - era * 146097;
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    uint64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = (unsigned)(yoe + era * 400 + (*m <= 2));
}

void kev_cli_time_format(uint64_t t_ns, kev_cli_time *out)
{
    uint64_t secs = t_ns / 1000000000u, ns = t_ns % 1000000000u;
    uint64_t sod = secs % 86400;
    unsigned y, mo, d;
    civil_from_days(secs / 86400, &y, &mo, &d);
    snprintf(out->secs, sizeof out->secs, "%" PRIu64 ".%09" PRIu64, secs, ns);
    snprintf(out->utc, sizeof out->utc, "%04u-%02u-%02uT%02u:%02u:%02u.%09" PRIu64 "Z", y,
             mo, d, (unsigned)(sod / 3600), (unsigned)(sod / 60 % 60), (unsigned)(sod % 60),
             ns);
}

/* The length of the valid UTF-8 sequence at p[0..n) (1 to 4), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t len = c < 0x80                 ? 1
                 : c >= 0xC2 && c <= 0xDF ? 2
                 : c >= 0xE0 && c <= 0xEF ? 3
                 : c >= 0xF0 && c <= 0xF4 ? 4
                                          : 0;
    if (len == 0 || len > n)
        return 0;
    for (size_t k = 1; k < len; k++)
        if ((p[k] & 0xC0u) != 0x80u)
            return 0;
    /* Overlong forms, surrogates, and code points past U+10FFFF. */
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F) ||
        (c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F))
        return 0;
    return len;
}

void kev_cli_escape(kev_strbuf *out, const char *s, size_t n, bool json)
{
    if (s == NULL) {
        kev_strbuf_adds(out, json ? "null" : "-");
        return;
    }
    const unsigned char *p = (const unsigned char *)s;
    if (json)
        kev_strbuf_addc(out, '"');
    for (size_t i = 0; i < n;) {
        size_t len = utf8_len(p + i, n - i);
        bool plain = len > 1 || (len == 1 && p[i] >= 0x20 && p[i] != 0x7f && p[i] != '\\' &&
                                 !(json && p[i] == '"'));
        if (plain)
            kev_strbuf_add(out, p + i, len);
        else if (json && p[i] == '"')
            kev_strbuf_adds(out, "\\\"");
        else if (p[i] == '\\')
            kev_strbuf_adds(out, "\\\\");
        else
            kev_strbuf_addf(out, json ? "\\u%04x" : "\\x%02x", (unsigned)p[i]);
        i += plain ? len : 1;
    }
    if (json)
        kev_strbuf_addc(out, '"');
}

const char *kev_cli_status_label(kev_trace_status st)
{
    static const char *const labels[] = {
        [KEV_TS_OK] = "whole",
        [KEV_TS_NO_EOF] = "cut short",
        [KEV_TS_TORN_MEMBER] = "torn member",
        [KEV_TS_BAD_CRC] = "bad CRC",
        [KEV_TS_BAD_MEMBER] = "bad member",
        [KEV_TS_BAD_FRAMING] = "bad framing",
        [KEV_TS_BAD_LINKTYPE] = "foreign link type",
        [KEV_TS_NEWER_MAJOR] = "newer format",
        [KEV_TS_TOO_BIG] = "over a cap",
        [KEV_TS_IO] = "read error",
        [KEV_TS_NOT_TRACE] = "not a trace",
        [KEV_TS_MISSING] = "records missing",
    };
    size_t i = (size_t)st;
    return i < sizeof labels / sizeof labels[0] && labels[i] ? labels[i] : "unknown status";
}

void kev_cli_damage_text(const kev_trace_damage *d, kev_strbuf *out)
{
    kev_strbuf_addf(out, "%s: ", kev_cli_status_label(d->status));
    kev_cli_escape(out, d->message, strlen(d->message), false);
}

kev_trace_reader *kev_cli_trace_open(const char *cmd, const char *path, unsigned flags)
{
    int err;
    kev_trace_damage d;
    kev_trace_reader *r = kev_trace_open(path, flags, &err, &d);
    if (r != NULL)
        return r;
    if (err == KEV_ENOMEM) {
        kev_cli_error(cmd, "%s: out of memory", path);
    } else if (d.status == KEV_TS_IO && strncmp(d.message, "cannot open ", 12) == 0) {
        kev_cli_error(cmd, "%s", d.message); /* it names the file */
    } else {
        kev_strbuf sb = KEV_STRBUF_INIT;
        kev_cli_damage_text(&d, &sb);
        kev_cli_error(cmd, "%s: %s", path, kev_strbuf_str(&sb));
        kev_strbuf_free(&sb);
    }
    return NULL;
}

bool kev_cli_trace_end_ok(const char *cmd, const char *path, const kev_trace_reader *r)
{
    const kev_trace_damage *d = kev_trace_end(r, NULL);
    if (d->status == KEV_TS_OK)
        return true;
    kev_strbuf sb = KEV_STRBUF_INIT;
    kev_cli_damage_text(d, &sb);
    kev_cli_error(cmd, "%s: %s", path, kev_strbuf_str(&sb));
    kev_strbuf_free(&sb);
    return kev_cli_status_cut(d->status);
}

void kev_cli_container_count(const kev_trace_reader *r, kev_strbuf *out)
{
    kev_trace_container kind;
    uint64_t members, streams;
    kev_trace_container_get(r, &kind, NULL, &streams);
    kev_trace_reader_stats(r, &members, NULL, NULL);
    if (kind == KEV_TC_BGZF)
        kev_strbuf_addf(out, ", %" PRIu64 " member%s", members, members == 1 ? "" : "s");
    else if (kind == KEV_TC_GZIP)
        kev_strbuf_addf(out, ", %" PRIu64 " gzip stream%s", streams,
                        streams == 1 ? "" : "s");
    else
        kev_strbuf_adds(out, ", uncompressed pcapng");
}

bool kev_cli_status_cut(kev_trace_status st)
{
    return st == KEV_TS_NO_EOF || st == KEV_TS_TORN_MEMBER || st == KEV_TS_MISSING;
}

int kev_cli_trace_copy(kev_trace_writer *w, const kev_trace_rec *rec)
{
    if (rec->kind == KEV_TR_ERROR)
        return kev_trace_write_error(w, rec->t_ns, rec->err, rec->err_name);
    return kev_trace_write_batch(w, rec->t_ns, rec->data, rec->caplen, rec->origlen);
}

void kev_cli_comment_begin(kev_strbuf *sb, const char *old)
{
    if (old != NULL && old[0] != '\0') {
        kev_strbuf_adds(sb, old);
        kev_strbuf_adds(sb, "; ");
    }
}

int kev_cli_out_open(kev_cli_out *o, const char *cmd, const char *path)
{
    o->path = path;
    o->tmp = NULL;
    o->f = stdout;
    o->direct = false;
    if (strcmp(path, "-") == 0)
        return 0;
    /* A device or FIFO (/dev/null, a pipe) is written as it is: renaming a
     * temporary file over it would replace it. */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        o->f = fopen(path, "wb");
        if (o->f == NULL) {
            kev_cli_error(cmd, "cannot write %s: %s", path, strerror(errno));
            return KEV_EXIT_INTERNAL;
        }
        o->direct = true;
        return 0;
    }
    size_t n = strlen(path) + sizeof ".tmp";
    o->tmp = malloc(n);
    if (o->tmp == NULL) {
        kev_cli_error(cmd, "out of memory");
        return KEV_EXIT_INTERNAL;
    }
    snprintf(o->tmp, n, "%s.tmp", path);
    tmp_register(o->tmp);
    o->f = fopen(o->tmp, "wb");
    if (o->f == NULL) {
        kev_cli_error(cmd, "cannot write %s: %s", o->tmp, strerror(errno));
        tmp_unregister(o->tmp);
        free(o->tmp);
        o->tmp = NULL;
        return KEV_EXIT_INTERNAL;
    }
    return 0;
}

int kev_cli_out_close(kev_cli_out *o, const char *cmd, bool keep)
{
    if (o->direct) {
        o->direct = false;
        bool failed = ferror(o->f) != 0;
        if (fclose(o->f) != 0 && !failed && first_write_errno == 0)
            first_write_errno = errno ? errno : EIO, failed = true;
        if (failed && keep) {
            kev_cli_error(cmd, "cannot write %s: %s", kev_cli_out_name(o->path),
                          strerror(kev_cli_write_errno()));
            return KEV_EXIT_INTERNAL;
        }
        return 0;
    }
    if (o->tmp == NULL) {
        if (!keep) {
            (void)fflush(stdout);
            return 0;
        }
        return kev_cli_stream_close(cmd, stdout, "standard output");
    }
    int rc = 0;
    bool failed = ferror(o->f) != 0;
    if (fclose(o->f) != 0 && !failed)
        failed = true, first_write_errno = first_write_errno ? first_write_errno : errno;
    if (keep && (failed || rename(o->tmp, o->path) != 0)) {
        kev_cli_error(cmd, "cannot write %s: %s", o->path,
                      strerror(failed ? kev_cli_write_errno() : errno));
        rc = KEV_EXIT_INTERNAL;
    }
    if (!keep || rc != 0)
        remove(o->tmp);
    tmp_unregister(o->tmp);
    free(o->tmp);
    o->tmp = NULL;
    return rc;
}

/* ---- The shared vocabulary ------------------------------------------------ */

/* Parses one end of a range. 0, or -1 after a message. */
static int bound_parse(const char *cmd, const char *name, const char *v, kev_cli_bound *b)
{
    b->kind = KEV_BOUND_NONE;
    b->v = 0;
    if (v == NULL)
        return 0;
    bool relative = false;
    bool is_time = strchr(v, '.') != NULL || v[0] == '+';
    if (is_time ? kev_cli_parse_time(v, &b->v, &relative) == 0
                : kev_cli_parse_u64(v, &b->v) == 0) {
        b->kind = !is_time ? KEV_BOUND_INDEX : relative ? KEV_BOUND_AFTER : KEV_BOUND_TIME;
        return 0;
    }
    kev_cli_error(cmd,
                  "%s takes a batch index (12), a Unix time (1700000000.25) or a time "
                  "after the first batch (+1.5s, +250ms), not '%s'",
                  name, v);
    return -1;
}

int kev_cli_range_parse(const char *cmd, const char *from, const char *to,
                        kev_cli_range *rg)
{
    if (bound_parse(cmd, "--from", from, &rg->from) != 0 ||
        bound_parse(cmd, "--to", to, &rg->to) != 0)
        return -1;
    /* Ends of one kind compare by themselves; an index against a time only
     * once resolved on a trace (kev_cli_range_check_resolved). */
    if (rg->from.kind != KEV_BOUND_NONE && rg->from.kind == rg->to.kind &&
        rg->to.v <= rg->from.v) {
        kev_cli_error(cmd, "the range --from %s --to %s is %s: --to is not included", from,
                      to, rg->to.v == rg->from.v ? "empty" : "reversed");
        return -1;
    }
    return 0;
}

bool kev_cli_bound_reached(const kev_cli_bound *b, uint64_t first_t, uint64_t index,
                           uint64_t t_ns)
{
    switch (b->kind) {
    case KEV_BOUND_INDEX:
        return index >= b->v;
    case KEV_BOUND_TIME:
        return t_ns >= b->v;
    case KEV_BOUND_AFTER:
        /* Saturating: a duration past 2^64 - 1 ns is never reached. */
        return first_t <= UINT64_MAX - b->v && t_ns >= first_t + b->v;
    case KEV_BOUND_NONE:
        break;
    }
    return false;
}

/* The index past the last record: the Interface Statistics Block's count
 * when the trace ends with one, else counted by reading. */
static int end_index(kev_trace_reader *r, uint64_t *end)
{
    kev_trace_rec rec;
    int rc = kev_trace_seek_batch(r, UINT64_MAX);
    if (rc == KEV_ENOENT && kev_trace_stats_block(r, NULL, NULL, end))
        return 0;
    *end = 0;
    rc = kev_trace_seek_batch(r, 0);
    if (rc == 0)
        while ((rc = kev_trace_next(r, &rec)) > 0)
            *end = rec.index + 1;
    return rc == KEV_ENOENT ? 0 : rc;
}

/* The index of the first record at or after the bound (or the end). */
static int bound_resolve(kev_trace_reader *r, const kev_cli_bound *b, uint64_t t0,
                         uint64_t *index)
{
    kev_trace_rec rec;
    int rc;
    if (b->kind == KEV_BOUND_INDEX) {
        rc = kev_trace_seek_batch(r, b->v);
    } else {
        uint64_t t = b->v;
        if (b->kind == KEV_BOUND_AFTER)
            t = t0 > UINT64_MAX - b->v ? UINT64_MAX : t0 + b->v;
        rc = kev_trace_seek_time(r, t);
    }
    if (rc == KEV_ENOENT)
        return end_index(r, index);
    if (rc == 0 && (rc = kev_trace_next(r, &rec)) > 0)
        *index = rec.index;
    if (rc == 0)
        return end_index(r, index); /* the seek found the end */
    return rc < 0 ? rc : 0;
}

int kev_cli_range_resolve(kev_trace_reader *r, const kev_cli_range *rg, uint64_t *a,
                          uint64_t *b)
{
    kev_trace_rec rec;
    uint64_t t0 = 0;
    int rc = 0;
    if (rg->from.kind == KEV_BOUND_AFTER || rg->to.kind == KEV_BOUND_AFTER) {
        rc = kev_trace_seek_batch(r, 0);
        if (rc == 0 && (rc = kev_trace_next(r, &rec)) > 0)
            t0 = rec.t_ns;
        rc = rc == KEV_ENOENT ? 0 : rc < 0 ? rc : 0;
    }
    *a = *b = 0;
    if (rc == 0 && rg->from.kind != KEV_BOUND_NONE)
        rc = bound_resolve(r, &rg->from, t0, a);
    if (rc == 0)
        rc = rg->to.kind != KEV_BOUND_NONE ? bound_resolve(r, &rg->to, t0, b)
                                           : end_index(r, b);
    return rc;
}

int kev_cli_range_check_resolved(const char *cmd, const char *path, const char *from,
                                 const char *to, uint64_t a, uint64_t b)
{
    if (from == NULL || to == NULL || a < b)
        return 0;
    kev_cli_error(
        cmd, "%s: the range --from %s --to %s is empty (batches %" PRIu64 "..%" PRIu64 ")",
        path, from, to, a, b);
    return -1;
}

int kev_cli_format_parse(const char *cmd, const char *v, bool *json)
{
    if (v == NULL)
        return 0;
    if (strcmp(v, "text") != 0 && strcmp(v, "json") != 0) {
        kev_cli_error(cmd, "--format '%s': text or json", v);
        return -1;
    }
    *json = strcmp(v, "json") == 0;
    return 0;
}

/* One profile name. 0, or -1 after "unknown profile". */
static int profile_one(const char *cmd, const char *s, kev_profile *out)
{
    if (kev_profile_parse(s, out) == 0)
        return 0;
    kev_cli_error(cmd, "unknown profile '%s': %s", s, kev_cli_profile_list(false));
    return -1;
}

int kev_cli_profile_parse(const char *cmd, const char *s, kev_profile *out)
{
    if (strcmp(s, "all") == 0 || strchr(s, ',') != NULL) {
        kev_cli_error(cmd,
                      "--profile '%s': one profile here (%s); kevrr replay and kevrr run "
                      "take a list or all",
                      s, kev_cli_profile_list(false));
        return -1;
    }
    return profile_one(cmd, s, out);
}

int kev_cli_profiles_parse(const char *cmd, const char *s,
                           kev_profile out[KEV_PROFILE__COUNT], size_t *n)
{
    *n = 0;
    if (strcmp(s, "all") == 0) {
        for (int p = 0; p < KEV_PROFILE__COUNT; p++)
            out[(*n)++] = (kev_profile)p;
        return 0;
    }
    char name[64];
    for (const char *p = s;;) {
        size_t len = strcspn(p, ",");
        if (len == 0 || len >= sizeof name) {
            kev_cli_error(cmd, "--profile '%s': a profile, a comma-separated list or all",
                          s);
            return -1;
        }
        memcpy(name, p, len);
        name[len] = '\0';
        kev_profile prof;
        if (profile_one(cmd, name, &prof) != 0)
            return -1;
        bool seen = false;
        for (size_t k = 0; k < *n; k++)
            seen = seen || out[k] == prof;
        if (!seen)
            out[(*n)++] = prof;
        if (p[len] == '\0')
            return 0;
        p += len + 1;
    }
}

int kev_cli_out_not_input(const char *cmd, const char *out, char *const *inputs, size_t n)
{
    struct stat so, si;
    if (out == NULL || strcmp(out, "-") == 0 || stat(out, &so) != 0)
        return 0;
    for (size_t k = 0; k < n; k++) {
        if (strcmp(inputs[k], "-") == 0 || stat(inputs[k], &si) != 0)
            continue;
        if (so.st_dev == si.st_dev && so.st_ino == si.st_ino) {
            kev_cli_error(cmd, "%s is also an input (%s): refusing to overwrite it", out,
                          inputs[k]);
            return -1;
        }
    }
    return 0;
}
