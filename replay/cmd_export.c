/*
 * cmd_export.c: `kevrr export`: turns a trace into fuzzer inputs: one
 * single-batch file per batch (the batch's bytes, nothing else) in a
 * directory, and/or the whole trace as one multi-batch input
 * (docs/fuzz-input.md) for the stateful targets. `kevrr import` goes the
 * other way. The output depends only on the trace: the same trace always
 * gives the same files.
 *
 * The trace is streamed, so memory stays bounded whatever its length. What
 * a format cannot hold is said on stderr, never dropped silently: failed
 * recv()s have no single-batch form, a truncated record keeps only its
 * captured bytes, and the multi-batch form has caps (KEV_FUZZIN_MAX_*).
 */
#define _POSIX_C_SOURCE 200809L /* mkdir, opendir */

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "kevrr/fuzzin.h"

static const char export_usage[] =
    "usage: kevrr export TRACE -o DIR | --multi -o FILE [--from X] [--to X]\n"
    "\n"
    "Write the batches of TRACE as fuzzer inputs (docs/fuzz-input.md): one file\n"
    "per batch in DIR, named batch-NNNNNN.bin after the batch's record index\n"
    "and holding its bytes (failed recv()s get no file; each is noted on\n"
    "stderr); or, with --multi, the whole trace as one multi-batch input,\n"
    "failed recv()s included. DIR is created if missing and must be empty.\n"
    "\n"
    "options:\n"
    "  -o DIR|FILE      the directory for the single-batch files; with --multi,\n"
    "                   the multi-batch file ('-': standard output)\n"
    "  --multi          write one multi-batch file (--multi FILE, which may be\n"
    "                   given with -o DIR, is the deprecated spelling)\n"
    "  --from X         the batches from X (a batch index, a Unix time with a\n"
    "                   '.', or +DURATION after the first batch)\n"
    "  --to X           the batches before X (not included)\n"
    "  -h, --help       this help\n"
    "\n"
    "exit status: 0 done, 2 usage (DIR not empty, more than 1,000,000 files),\n"
    "3 unreadable or damaged trace (what came before the damage is written),\n"
    "5 output error.\n";

/* Single-batch files are named by a 6-digit index: past it the names would
 * no longer sort in record order. */
#define EXPORT_MAX_FILES 1000000u
/* Notes printed one by one; the rest are counted. */
#define EXPORT_MAX_NOTES 20u

typedef struct export_ctx {
    const char *trace;
    kev_cli_range range; /* --from, --to */
    bool have_first;
    uint64_t first_t; /* the trace's first record's time (+DURATION bounds) */
    const char *dir;  /* NULL: no single-batch files */
    char *path;       /* DIR/batch-NNNNNN.bin, built per file */
    size_t path_cap;
    kev_cli_out multi; /* multi.f NULL: no multi-batch file */
    kev_fuzzin_enc enc;
    bool multi_full; /* the multi-batch file reached a cap */
    uint64_t files, multi_records, notes;
} export_ctx;

/* Prints "kevrr export: TRACE: record N: ..." for the first notes, counts
 * the others. */
static void note(export_ctx *x, uint64_t index, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note(export_ctx *x, uint64_t index, const char *fmt, ...)
{
    if (x->notes++ >= EXPORT_MAX_NOTES)
        return;
    va_list ap;
    fprintf(stderr, "kevrr export: %s: record %" PRIu64 ": ", x->trace, index);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* Creates DIR, or accepts it when it is an empty directory. */
static int prepare_dir(const char *dir)
{
    if (mkdir(dir, 0777) == 0)
        return KEV_EXIT_OK;
    if (errno != EEXIST) {
        kev_cli_error("export", "cannot create %s: %s", dir, strerror(errno));
        return KEV_EXIT_INTERNAL;
    }
    DIR *d = opendir(dir);
    if (d == NULL) {
        kev_cli_error("export", "%s: %s", dir, strerror(errno));
        return KEV_EXIT_USAGE;
    }
    const struct dirent *e;
    bool empty = true;
    while (empty && (e = readdir(d)) != NULL)
        empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
    closedir(d);
    if (!empty) {
        kev_cli_error("export",
                      "%s is not empty (it would mix with the files of another "
                      "export)",
                      dir);
        return KEV_EXIT_USAGE;
    }
    return KEV_EXIT_OK;
}

/* Writes one batch as DIR/batch-NNNNNN.bin. */
static int write_file(export_ctx *x, const kev_trace_rec *rec)
{
    if (rec->index >= EXPORT_MAX_FILES) {
        kev_cli_error("export",
                      "%s: record %" PRIu64 ": past %u single-batch files, names "
                      "would no longer sort in order (cut the trace first)",
                      x->trace, rec->index, EXPORT_MAX_FILES);
        return KEV_EXIT_USAGE;
    }
    snprintf(x->path, x->path_cap, "%s/batch-%06" PRIu64 ".bin", x->dir, rec->index);
    FILE *f = fopen(x->path, "wb");
    if (f == NULL) {
        kev_cli_error("export", "cannot write %s: %s", x->path, strerror(errno));
        return KEV_EXIT_INTERNAL;
    }
    (void)kev_cli_fwrite(f, rec->data, rec->caplen);
    if (kev_cli_stream_close("export", f, x->path) != KEV_EXIT_OK) {
        remove(x->path); /* never a file with part of a batch */
        return KEV_EXIT_INTERNAL;
    }
    x->files++;
    return KEV_EXIT_OK;
}

/* Says once why the multi-batch file ends before the trace does. */
static void multi_full(export_ctx *x, uint64_t index, int rc)
{
    x->multi_full = true;
    fprintf(stderr,
            "kevrr export: %s: record %" PRIu64 " and the rest are not in %s: %s (the "
            "format holds at most %u entries and %zu bytes)\n",
            x->trace, index, x->multi.path, kev_strerror(rc), KEV_FUZZIN_MAX_ITEMS,
            KEV_FUZZIN_MAX_INPUT);
}

/* Appends one record to the multi-batch file. */
static int write_multi(export_ctx *x, const kev_trace_rec *rec)
{
    if (x->multi_full)
        return KEV_EXIT_OK;
    int rc;
    if (rec->kind == KEV_TR_ERROR) {
        if (rec->err < 0 || rec->err > 0xFFFF) {
            note(x, rec->index,
                 "errno %d does not fit the multi-batch format "
                 "(0..65535): left out",
                 rec->err);
            return KEV_EXIT_OK;
        }
        rc = kev_fuzzin_enc_error(&x->enc, rec->err);
    } else {
        uint32_t n = rec->caplen;
        if (n > KEV_FUZZIN_MAX_BATCH) {
            note(x, rec->index, "%" PRIu32 " bytes: cut to %u in the multi-batch file", n,
                 KEV_FUZZIN_MAX_BATCH);
            n = KEV_FUZZIN_MAX_BATCH;
        }
        rc = kev_fuzzin_enc_batch(&x->enc, rec->data, n);
    }
    if (rc == KEV_ETOOBIG) {
        multi_full(x, rec->index, rc);
        return KEV_EXIT_OK;
    }
    if (rc != 0) {
        kev_cli_error("export", "cannot write %s: %s", kev_cli_out_name(x->multi.path),
                      kev_cli_write_strerror(rc));
        return KEV_EXIT_INTERNAL;
    }
    x->multi_records++;
    return KEV_EXIT_OK;
}

static int export_record(export_ctx *x, const kev_trace_rec *rec)
{
    if (rec->kind == KEV_TR_BATCH && rec->origlen > rec->caplen)
        note(x, rec->index,
             "truncated record: %" PRIu32 " bytes captured of %" PRIu32
             "; the captured bytes are exported",
             rec->caplen, rec->origlen);
    int rc = KEV_EXIT_OK;
    if (x->dir != NULL) {
        if (rec->kind == KEV_TR_ERROR)
            note(x, rec->index, "failed recv() (errno %d%s%s): no file in %s", rec->err,
                 rec->err_name ? " " : "", rec->err_name ? rec->err_name : "", x->dir);
        else
            rc = write_file(x, rec);
    }
    if (rc == KEV_EXIT_OK && x->multi.f != NULL)
        rc = write_multi(x, rec);
    return rc;
}

static int multi_write(void *ctx, const uint8_t *p, size_t n)
{
    return kev_cli_fwrite(ctx, p, n) ? 0 : KEV_EIO;
}

/* Reads every record of the trace into the outputs. */
static int export_all(export_ctx *x, kev_trace_reader *r)
{
    kev_trace_rec rec;
    int exit_code = KEV_EXIT_OK;
    bool stopped = false; /* at --to: what follows is not ours to judge */
    while (exit_code == KEV_EXIT_OK && !stopped && kev_trace_next(r, &rec) == 1) {
        if (!x->have_first)
            x->first_t = rec.t_ns;
        x->have_first = true;
        stopped = kev_cli_bound_reached(&x->range.to, x->first_t, rec.index, rec.t_ns);
        if (!stopped &&
            (x->range.from.kind == KEV_BOUND_NONE ||
             kev_cli_bound_reached(&x->range.from, x->first_t, rec.index, rec.t_ns)))
            exit_code = export_record(x, &rec);
    }
    if (exit_code == KEV_EXIT_OK && !stopped &&
        !kev_cli_trace_end_ok("export", x->trace, r))
        exit_code = KEV_EXIT_INPUT;
    if (x->notes > EXPORT_MAX_NOTES)
        fprintf(stderr, "kevrr export: %s: %" PRIu64 " more notes not shown\n", x->trace,
                x->notes - EXPORT_MAX_NOTES);
    return exit_code;
}

/* Opens the outputs; 0 or an exit code. */
static int export_open(export_ctx *x, const char *multi)
{
    if (x->dir != NULL) {
        int rc = prepare_dir(x->dir);
        if (rc != KEV_EXIT_OK)
            return rc;
        x->path_cap = strlen(x->dir) + sizeof "/batch-.bin" + 20;
        if ((x->path = malloc(x->path_cap)) == NULL) {
            kev_cli_error("export", "out of memory");
            return KEV_EXIT_INTERNAL;
        }
    }
    if (multi != NULL) {
        int rc = kev_cli_out_open(&x->multi, "export", multi);
        if (rc != 0) {
            x->multi.f = NULL;
            return rc;
        }
        kev_fuzzin_enc_init_write(&x->enc, multi_write, x->multi.f);
    }
    return KEV_EXIT_OK;
}

/* The deprecated `--multi FILE` (or `--multi=FILE`): --multi followed by
 * an argument that is not an option, where TRACE is then the only other
 * argument. Takes FILE out of argv (*argc shrinks) and returns it, or NULL
 * when --multi is the flag. */
static const char *old_multi(int *argc, char **argv)
{
    static const char *const valued[] = {"-o", "--from", "--to"};
    int at = -1, positional = 0;
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            positional += *argc - i - 1;
            break;
        }
        if (strncmp(argv[i], "--multi=", 8) == 0) {
            const char *file = argv[i] + 8;
            memmove(&argv[i], &argv[i + 1], (size_t)(*argc - i) * sizeof *argv);
            --*argc;
            return file;
        }
        bool takes = false;
        for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++)
            takes = takes || strcmp(argv[i], valued[k]) == 0;
        if (takes) {
            i++;
        } else if (strcmp(argv[i], "--multi") == 0 && i + 1 < *argc &&
                   (argv[i + 1][0] != '-' || strcmp(argv[i + 1], "-") == 0)) {
            at = ++i;
        } else if (argv[i][0] != '-' || strcmp(argv[i], "-") == 0) {
            positional++;
        }
    }
    if (at < 0 || positional != 1)
        return NULL;
    const char *file = argv[at];
    memmove(&argv[at], &argv[at + 1], (size_t)(*argc - at) * sizeof *argv);
    --*argc;
    return file;
}

static int export_cmd(int argc, char **argv)
{
    const char *out = NULL, *from = NULL, *to = NULL;
    bool multi_flag = false;
    const char *old = old_multi(&argc, argv);
    const kev_cli_opt opts[] = {{"-o", &out, NULL, NULL},
                                {"--multi", NULL, &multi_flag, NULL},
                                {"--from", &from, NULL, NULL},
                                {"--to", &to, NULL, NULL}};
    int nargs, prc = kev_cli_parse("export", argc, argv, opts, sizeof opts / sizeof opts[0],
                                   export_usage, &nargs);
    if (prc != 0)
        return prc > 0 ? KEV_EXIT_OK : KEV_EXIT_USAGE;
    if (old != NULL)
        kev_cli_error("export",
                      "--multi FILE is deprecated: use --multi -o FILE (docs/cli.md, "
                      "Conventions)");
    /* The outputs: -o is the multi-batch file with --multi, else DIR. */
    const char *dir = old || !multi_flag ? out : NULL;
    const char *multi = old ? old : multi_flag ? out : NULL;
    if (nargs != 1 || (dir == NULL && multi == NULL)) {
        kev_cli_error("export", "%s; see kevrr help export",
                      nargs != 1           ? "give exactly one trace"
                      : multi_flag && !old ? "no output: --multi -o FILE"
                                           : "no output: -o DIR or --multi -o FILE");
        return KEV_EXIT_USAGE;
    }
    export_ctx x;
    memset(&x, 0, sizeof x);
    if (kev_cli_range_parse("export", from, to, &x.range) != 0)
        return KEV_EXIT_USAGE;
    if (kev_cli_out_not_input("export", multi, argv + 1, 1) != 0 ||
        kev_cli_out_not_input("export", dir, argv + 1, 1) != 0)
        return KEV_EXIT_USAGE;
    x.trace = argv[1];
    x.dir = dir;
    kev_trace_reader *r = kev_cli_trace_open("export", x.trace, 0);
    int exit_code = r ? export_open(&x, multi) : KEV_EXIT_INPUT;
    if (exit_code == KEV_EXIT_OK)
        exit_code = export_all(&x, r);
    if (x.multi.f != NULL) {
        /* What came before damage in the trace is kept. */
        bool keep = exit_code == KEV_EXIT_OK || exit_code == KEV_EXIT_INPUT;
        int rc = kev_cli_out_close(&x.multi, "export", keep);
        exit_code = exit_code == KEV_EXIT_OK ? rc : exit_code;
    }
    free(x.path);
    kev_trace_close(r);
    return exit_code;
}

const kev_cmd kev_cmd_export = {"export", export_cmd,
                                "write a trace's batches as fuzzer inputs", export_usage};
