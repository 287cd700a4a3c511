/*
 * cmd_import.c: `kevrr import`: turns fuzzer inputs back into a trace, so
 * that every fuzzer finding opens in Wireshark and replays in CI. Inputs
 * are single-batch files (a file is one batch: its bytes) or, with
 * --multi, multi-batch files (docs/fuzz-input.md); a directory stands for
 * its regular files sorted by name. Record i of the trace is at
 * T0 + i * STEP, so the trace depends on nothing but the inputs and the
 * options: no clock, no host name.
 *
 * Memory is bounded: one input at a time, at most KEV_FUZZIN_MAX_INPUT
 * bytes of a multi-batch file and KEV_MAX_BATCH bytes of a single-batch
 * one (the rest is counted, not kept: the cut batch keeps its true length
 * as origlen), and one directory's names.
 */
#define _POSIX_C_SOURCE 200809L /* opendir, stat */

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "kevrr/fuzzin.h"
#include "kevrr/scenario.h"

static const char import_usage[] =
    "usage: kevrr import -o TRACE [--multi] [--step DUR] [--t0 SECONDS] INPUT...\n"
    "\n"
    "Write a trace from fuzzer inputs (docs/fuzz-input.md): each INPUT is one\n"
    "batch (its bytes), or with --multi a multi-batch file (batches and failed\n"
    "recv()s). A directory stands for its regular files, sorted by name (names\n"
    "starting with '.' are left out). Record i is at T0 + i * STEP. A batch\n"
    "over 65536 bytes is cut to 65536, its true length kept as origlen.\n"
    "\n"
    "options:\n"
    "  -o TRACE         the trace to write ('-': standard output)\n"
    "  --multi          the inputs are multi-batch files\n"
    "  --step DUR       time between records: 1ms (default), 0, 250us, 2s\n"
    "  --t0 SECONDS     time of the first record, Unix seconds with up to 9\n"
    "                   decimals (default 1700000000, 2023-11-14T22:13:20Z)\n"
    "  -h, --help       this help\n"
    "\n"
    "exit status: 0 done, 2 usage, 3 unreadable input (no trace is written),\n"
    "5 output error.\n";

/* Notes printed one by one; the rest are counted. */
#define IMPORT_MAX_NOTES 20u
/* Files taken from one directory. */
#define IMPORT_MAX_DIR_FILES 1000000u
/* The bytes read from one input: a fuzzer input is far smaller; past this
 * (/dev/zero, a disk image given by mistake) the input is refused. */
#define IMPORT_MAX_INPUT (64u << 20)

typedef struct import_ctx {
    bool multi;
    uint64_t t0, step;
    const char *out;
    kev_trace_writer *w;
    uint64_t records, last_ns, notes;
    uint8_t *buf; /* the current input's bytes */
    size_t alloc;
    bool out_file; /* the trace being written is a file: out_st is its */
    struct stat out_st;
} import_ctx;

static void note(import_ctx *x, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note(import_ctx *x, const char *path, const char *fmt, ...)
{
    if (x->notes++ >= IMPORT_MAX_NOTES)
        return;
    va_list ap;
    fprintf(stderr, "kevrr import: %s: ", path);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* The time of the next record, or -1 when it would pass 2^64 - 1 ns. */
static int next_time(const import_ctx *x, uint64_t *t)
{
    uint64_t i = x->records;
    if (x->step != 0 && i > (UINT64_MAX - x->t0) / x->step)
        return -1;
    *t = x->t0 + i * x->step;
    return 0;
}

/* Grows x->buf to `need` bytes. */
static bool grow(import_ctx *x, size_t need)
{
    if (need <= x->alloc)
        return true;
    size_t n = x->alloc ? x->alloc : 65536;
    while (n < need)
        n *= 2;
    uint8_t *nb = realloc(x->buf, n);
    if (nb == NULL)
        return false;
    x->buf = nb;
    x->alloc = n;
    return true;
}

/* Reads the first `cap` bytes of `path` ("-": stdin) into x->buf and counts
 * the rest: *len bytes kept, *total in the file. 0 or an exit code. */
static int read_input(import_ctx *x, const char *path, size_t cap, size_t *len,
                      uint64_t *total)
{
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (f == NULL) {
        kev_cli_error("import", "cannot open %s: %s", path, strerror(errno));
        return KEV_EXIT_INPUT;
    }
    uint8_t skip[16384];
    bool oom = false;
    size_t n;
    *len = 0;
    *total = 0;
    do {
        uint8_t *dst = skip;
        size_t room = sizeof skip;
        if (*len < cap) {
            /* Grow by up to 64 KiB at a time, never past the cap. */
            if (!grow(x, cap - *len > 65536 ? *len + 65536 : cap)) {
                oom = true;
                break;
            }
            dst = x->buf + *len;
            room = (x->alloc < cap ? x->alloc : cap) - *len;
        }
        n = fread(dst, 1, room, f);
        *len += dst == skip ? 0 : n;
        *total += n;
    } while (n > 0 && *total <= IMPORT_MAX_INPUT);
    bool over = *total > IMPORT_MAX_INPUT;
    int e = errno;
    bool failed = oom || ferror(f) || over;
    if (!is_stdin)
        fclose(f);
    if (over)
        kev_cli_error("import",
                      "%s: more than %u bytes (IMPORT_MAX_INPUT): not a fuzzer input; "
                      "nothing written",
                      path, IMPORT_MAX_INPUT);
    else if (failed)
        kev_cli_error("import", "cannot read %s: %s", path,
                      oom ? "out of memory" : strerror(e));
    return !failed ? KEV_EXIT_OK : oom ? KEV_EXIT_INTERNAL : KEV_EXIT_INPUT;
}

/* Writes one batch (cut to KEV_MAX_BATCH) or one failed recv() (data NULL,
 * origlen 0, `err`). 0 or an exit code. */
static int put_record(import_ctx *x, const char *path, const uint8_t *data, uint32_t len,
                      uint64_t origlen, int err, bool is_error)
{
    uint64_t t;
    if (next_time(x, &t) != 0) {
        kev_cli_error("import",
                      "%s: record %" PRIu64 ": its time passes 2^64 - 1 ns "
                      "(--t0, --step)",
                      path, x->records);
        return KEV_EXIT_USAGE;
    }
    int rc;
    if (is_error) {
        rc = kev_trace_write_error(x->w, t, err, kev_darwin_errno_name(err));
    } else {
        if (origlen > UINT32_MAX) {
            note(x, path, "%" PRIu64 " bytes: origlen kept as %" PRIu32, origlen,
                 UINT32_MAX);
            origlen = UINT32_MAX;
        }
        rc = kev_trace_write_batch(x->w, t, data, len, (uint32_t)origlen);
    }
    if (rc != 0) {
        kev_cli_trace_write_failed(rc);
        kev_cli_error("import", "cannot write %s: %s", kev_cli_out_name(x->out),
                      kev_cli_write_strerror(rc));
        return KEV_EXIT_INTERNAL;
    }
    x->records++;
    x->last_ns = t;
    return KEV_EXIT_OK;
}

/* One single-batch file: one batch. */
static int import_single(import_ctx *x, const char *path)
{
    size_t len;
    uint64_t total;
    int rc = read_input(x, path, KEV_MAX_BATCH, &len, &total);
    if (rc != KEV_EXIT_OK)
        return rc;
    if (total > len)
        note(x, path, "%" PRIu64 " bytes: cut to %zu, origlen %" PRIu64 " kept", total, len,
             total);
    return put_record(x, path, x->buf, (uint32_t)len, total, 0, false);
}

/* Notes what a multi-batch entry lost: its tail past the end of the file,
 * or its bytes past the batch cap. */
static void note_entry(import_ctx *x, const char *path, const kev_fuzzin_item *it)
{
    if (it->kind == KEV_FUZZIN_BATCH && it->stated > it->origlen)
        note(x, path,
             "entry %" PRIu32 " at offset %zu: states %" PRIu32 " bytes, the file "
             "ends after %" PRIu32 ": it takes them",
             it->index, it->offset, it->stated, it->origlen);
    if (it->len < it->origlen)
        note(x, path,
             "entry %" PRIu32 " at offset %zu: %" PRIu32 " bytes: cut to %" PRIu32
             ", origlen kept",
             it->index, it->offset, it->origlen, it->len);
}

/* Notes why the decoding of a multi-batch file stopped early. */
static void note_stop(import_ctx *x, const char *path, const kev_fuzzin_dec *d,
                      uint64_t total)
{
    if (d->stop == KEV_FUZZIN_CUT_HEADER)
        note(x, path,
             "offset %zu: %zu trailing bytes, too few for an entry header: ignored",
             d->stop_offset, d->len - d->stop_offset);
    else if (d->stop == KEV_FUZZIN_TOO_MANY_ITEMS)
        note(x, path, "offset %zu: entries past %u (KEV_FUZZIN_MAX_ITEMS) ignored",
             d->stop_offset, KEV_FUZZIN_MAX_ITEMS);
    if (total > d->len)
        note(x, path, "bytes past %zu (KEV_FUZZIN_MAX_INPUT) ignored", d->len);
}

/* One multi-batch file: its entries, in order. */
static int import_multi(import_ctx *x, const char *path)
{
    size_t len;
    uint64_t total;
    int rc = read_input(x, path, KEV_FUZZIN_MAX_INPUT, &len, &total);
    kev_fuzzin_dec d;
    kev_fuzzin_item it;
    kev_fuzzin_dec_init(&d, x->buf, rc == KEV_EXIT_OK ? len : 0);
    while (rc == KEV_EXIT_OK && kev_fuzzin_next(&d, &it) == 1) {
        note_entry(x, path, &it);
        rc = put_record(x, path, it.data, it.len, it.origlen, it.err,
                        it.kind == KEV_FUZZIN_ERROR);
    }
    if (rc == KEV_EXIT_OK)
        note_stop(x, path, &d, total);
    return rc;
}

static int import_file(import_ctx *x, const char *path)
{
    return x->multi ? import_multi(x, path) : import_single(x, path);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in `dir` (without "." files), sorted; NULL and an exit code
 * on error. */
static char **list_dir(const char *dir, size_t *n, int *exit_code)
{
    DIR *d = opendir(dir);
    *n = 0;
    if (d == NULL) {
        kev_cli_error("import", "cannot open %s: %s", dir, strerror(errno));
        *exit_code = KEV_EXIT_INPUT;
        return NULL;
    }
    char **names = NULL;
    size_t cap = 0;
    const struct dirent *e;
    *exit_code = KEV_EXIT_OK;
    while (*exit_code == KEV_EXIT_OK && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (*n == IMPORT_MAX_DIR_FILES) {
            kev_cli_error("import", "%s: more than %u files", dir, IMPORT_MAX_DIR_FILES);
            *exit_code = KEV_EXIT_INPUT;
        } else if (*n == cap) {
            char **nn = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *names);
            *exit_code = nn ? KEV_EXIT_OK : KEV_EXIT_INTERNAL;
            names = nn ? nn : names;
        }
        if (*exit_code == KEV_EXIT_OK && (names[*n] = strdup(e->d_name)) != NULL)
            ++*n;
        else if (*exit_code == KEV_EXIT_OK)
            *exit_code = KEV_EXIT_INTERNAL;
    }
    closedir(d);
    if (*exit_code == KEV_EXIT_INTERNAL)
        kev_cli_error("import", "out of memory");
    if (*n > 1)
        qsort(names, *n, sizeof *names, cmp_names);
    return names;
}

/* A directory: its regular files, sorted by name. */
static int import_dir(import_ctx *x, const char *dir)
{
    size_t n, i;
    int rc;
    char **names = list_dir(dir, &n, &rc);
    size_t dlen = strlen(dir);
    for (i = 0; i < n && rc == KEV_EXIT_OK; i++) {
        size_t plen = dlen + strlen(names[i]) + 2;
        char *path = malloc(plen);
        struct stat st;
        if (path == NULL) {
            kev_cli_error("import", "out of memory");
            rc = KEV_EXIT_INTERNAL;
            break;
        }
        snprintf(path, plen, "%s/%s", dir, names[i]);
        bool ours = x->out_file && stat(path, &st) == 0 && st.st_dev == x->out_st.st_dev &&
                    st.st_ino == x->out_st.st_ino; /* OUT.tmp, being written here */
        if (!ours && stat(path, &st) == 0 && S_ISREG(st.st_mode))
            rc = import_file(x, path);
        free(path);
    }
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

/* Refuses an output that is one of the inputs, or a file in an input
 * directory. 0 or -1 after a message. */
static int out_check(const char *out, char **inputs, int n)
{
    if (kev_cli_out_not_input("import", out, inputs, (size_t)n) != 0)
        return -1;
    for (int i = 0; i < n; i++) {
        struct stat st;
        if (strcmp(inputs[i], "-") == 0 || stat(inputs[i], &st) != 0 ||
            !S_ISDIR(st.st_mode))
            continue;
        size_t k;
        int rc;
        char **names = list_dir(inputs[i], &k, &rc);
        for (size_t j = 0; j < k && rc == KEV_EXIT_OK; j++) {
            kev_strbuf sb = KEV_STRBUF_INIT;
            kev_strbuf_addf(&sb, "%s/%s", inputs[i], names[j]);
            char *one = sb.err ? NULL : sb.p;
            if (one && kev_cli_out_not_input("import", out, &one, 1) != 0)
                rc = KEV_EXIT_USAGE;
            kev_strbuf_free(&sb);
        }
        for (size_t j = 0; j < k; j++)
            free(names[j]);
        free(names);
        if (rc == KEV_EXIT_USAGE)
            return -1;
    }
    return 0;
}

static int import_input(import_ctx *x, const char *input)
{
    struct stat st;
    if (strcmp(input, "-") != 0 && stat(input, &st) != 0) {
        kev_cli_error("import", "cannot open %s: %s", input, strerror(errno));
        return KEV_EXIT_INPUT;
    }
    if (strcmp(input, "-") != 0 && S_ISDIR(st.st_mode))
        return import_dir(x, input);
    return import_file(x, input);
}

/* "import:" and the first input's last path component ("stdin" for -). */
static char *source_name(const char *input)
{
    size_t n = strlen(input);
    while (n > 1 && input[n - 1] == '/')
        n--;
    size_t b = n;
    while (b > 0 && input[b - 1] != '/')
        b--;
    bool is_stdin = strcmp(input, "-") == 0;
    size_t blen = is_stdin ? 5 : n - b;
    char *s = malloc(blen + sizeof "import:");
    if (s != NULL)
        snprintf(s, blen + sizeof "import:", "import:%.*s", (int)blen,
                 is_stdin ? "stdin" : input + b);
    return s;
}

/* Parses --step and --t0 into x; 0 or -1 after a message. */
static int parse_clock(import_ctx *x, const char *step, const char *t0)
{
    bool rel = false;
    char buf[64];
    x->t0 = KEV_FUZZIN_T0_NS;
    x->step = KEV_FUZZIN_STEP_NS;
    if (step != NULL && (snprintf(buf, sizeof buf, "+%s", step) >= (int)sizeof buf ||
                         kev_cli_parse_time(buf, &x->step, &rel) != 0)) {
        kev_cli_error("import", "--step '%s': not a duration (1ms, 250us, 2s, 0)", step);
        return -1;
    }
    if (t0 != NULL && (kev_cli_parse_time(t0, &x->t0, &rel) != 0 || rel)) {
        kev_cli_error("import", "--t0 '%s': not Unix seconds (1700000000.25)", t0);
        return -1;
    }
    return 0;
}

/* Writes the trace from argv[1..1 + nargs) into o.f; an exit code. */
static int import_write(import_ctx *x, FILE *f, char **inputs, int n)
{
    kev_trace_meta meta;
    memset(&meta, 0, sizeof meta);
    char *source = source_name(inputs[0]);
    meta.source = source;
    meta.tool = "kevrr " KEVRR_VERSION_STRING;
    meta.comment = x->multi ? "kevrr import of multi-batch fuzzer inputs"
                            : "kevrr import of single-batch fuzzer inputs";
    meta.start_ns = x->t0;
    int err = KEV_ENOMEM;
    x->w = source ? kev_trace_writer_open(f, &meta, &err) : NULL;
    free(source);
    if (x->w == NULL) {
        kev_cli_error("import", "cannot write %s: %s", kev_cli_out_name(x->out),
                      kev_strerror(err));
        return KEV_EXIT_INTERNAL;
    }
    x->last_ns = x->t0;
    int rc = KEV_EXIT_OK;
    for (int i = 0; i < n && rc == KEV_EXIT_OK; i++)
        rc = import_input(x, inputs[i]);
    if (rc != KEV_EXIT_OK) {
        kev_trace_writer_abandon(x->w);
        return rc;
    }
    if ((err = kev_cli_trace_close(x->w, x->last_ns)) != 0) {
        kev_cli_error("import", "cannot write %s: %s", kev_cli_out_name(x->out),
                      kev_cli_write_strerror(err));
        return KEV_EXIT_INTERNAL;
    }
    return KEV_EXIT_OK;
}

static int import_cmd(int argc, char **argv)
{
    import_ctx x;
    memset(&x, 0, sizeof x);
    const char *step = NULL, *t0 = NULL;
    const kev_cli_opt opts[] = {{"-o", &x.out, NULL, NULL},
                                {"--multi", NULL, &x.multi, NULL},
                                {"--step", &step, NULL, NULL},
                                {"--t0", &t0, NULL, NULL}};
    int nargs, prc = kev_cli_parse("import", argc, argv, opts, 4, import_usage, &nargs);
    if (prc != 0)
        return prc > 0 ? KEV_EXIT_OK : KEV_EXIT_USAGE;
    if (nargs < 1 || x.out == NULL) {
        kev_cli_error("import", "%s; see kevrr help import",
                      nargs < 1 ? "no input given" : "no output: -o TRACE");
        return KEV_EXIT_USAGE;
    }
    if (parse_clock(&x, step, t0) != 0 || out_check(x.out, argv + 1, nargs) != 0)
        return KEV_EXIT_USAGE;
    kev_cli_out o;
    int exit_code = kev_cli_out_open(&o, "import", x.out);
    if (exit_code == KEV_EXIT_OK) {
        x.out_file = o.f != stdout && fstat(fileno(o.f), &x.out_st) == 0;
        exit_code = import_write(&x, o.f, argv + 1, nargs);
        int rc = kev_cli_out_close(&o, "import", exit_code == KEV_EXIT_OK);
        exit_code = exit_code == KEV_EXIT_OK ? rc : exit_code;
    }
    if (x.notes > IMPORT_MAX_NOTES)
        fprintf(stderr, "kevrr import: %" PRIu64 " more notes not shown\n",
                x.notes - IMPORT_MAX_NOTES);
    free(x.buf);
    return exit_code;
}

const kev_cmd kev_cmd_import = {"import", import_cmd, "write a trace from fuzzer inputs",
                                import_usage};
