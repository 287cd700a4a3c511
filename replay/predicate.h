/*
 * predicate.h: what `kevrr reduce` and `kevrr bisect` share: the predicate
 * language (`defect D5`, `diag CODE`, `diverges GOLDEN`, `stops`,
 * `contains TEXT`; docs/cli.md), a trace loaded into memory as a list of
 * records, and the evaluator that replays a candidate list of records
 * through one reusable world (reset between evaluations, the trace's
 * snapshot loaded again each time) and says whether the predicate holds.
 *
 * An evaluation stops feeding as soon as the answer is known: at the
 * matching finding, the stopped batch, the first byte of the report that
 * differs from the golden, or the end of the searched text. Only `diverges`
 * and `contains` render the report at all; the others run the core's fast
 * path without a sink.
 */
#ifndef KEV_PREDICATE_H
#define KEV_PREDICATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"

/* Caps. The text of `contains` (after its escapes) and a whole predicate;
 * the records and batch bytes a trace loaded into memory may hold (more:
 * cut it first); the evaluations a reduction may spend (--max-tests). */
#define KEV_PRED_MAX_TEXT      4096u
#define KEV_PRED_MAX_RECORDS   ((size_t)1 << 22)
#define KEV_PRED_MAX_BYTES     ((size_t)1 << 28)
#define KEV_PRED_DEFAULT_TESTS 20000u

/* The predicate language, as the --help of reduce and bisect shows it. */
#define KEV_PRED_HELP                                                                     \
    "predicates:\n" \
    "  defect D5 [CODE]   a defect finding D5 (with that code): v888, v963\n" \
    "  diag CODE          a diagnostic with that code: hardened\n" \
    "  diverges GOLDEN    the report differs from the file GOLDEN\n" \
    "  stops              a batch was stopped (the original crashes or hangs)\n" \
    "  contains TEXT      the report contains TEXT (escapes \\n, \\t, \\\\)\n"

typedef enum kev_pred_kind {
    KEV_PRED_DEFECT,   /* a defect finding with this id (and code) */
    KEV_PRED_DIAG,     /* a diagnostic finding with this code */
    KEV_PRED_DIVERGES, /* the report differs from the golden file */
    KEV_PRED_STOPS,    /* a batch was stopped (crash or hang emulated) */
    KEV_PRED_CONTAINS  /* the report contains the text */
} kev_pred_kind;

/* A parsed predicate; kev_pred_free() frees its strings. */
typedef struct kev_pred {
    kev_pred_kind kind;
    int defect; /* DEFECT: 1..KEV_DEFECT_MAX */
    char *code; /* DEFECT (NULL: any code), DIAG: the finding code */
    char *text; /* CONTAINS: the text, escapes resolved */
    size_t text_len;
    char *golden; /* DIVERGES: the golden report's path */
} kev_pred;

/* A store key as a user writes it: a whole key ("State:/Network/Interface/
 * utun3/IPv4", "Plugin:KernelEventMonitor"), "IF/ENTITY[/...]" for
 * State:/Network/Interface/IF/ENTITY[/...] ("utun3/IPv4"), or "interfaces"
 * for the interface list. Its family must be one of kevrr/drift.h's.
 * Returns a malloc'd key, or NULL with the reason appended to `why` ("unknown
 * key family 'IPV4' (interfaces, Link, ...)"; "out of memory"). */
char *kev_pred_key_parse(const char *s, size_t n, kev_strbuf *why);

/* Parses `s`. Returns 0, or KEV_EINVAL / KEV_ENOMEM with the reason
 * appended to `why` ("defect takes D1..D18, not 'D19'"). */
int kev_pred_parse(const char *s, kev_pred *p, kev_strbuf *why);
void kev_pred_free(kev_pred *p); /* accepts a zeroed or parsed predicate */

/* A trace held in memory: its reader (kept open: it owns the metadata) and
 * its records in order, their bytes and error names copied out. */
typedef struct kev_pred_trace {
    kev_trace_reader *r;
    kev_trace_rec *recs;
    size_t n;
    uint8_t *bytes; /* what recs[i].data and .err_name point into */
} kev_pred_trace;

/* Reads the whole trace at `path`. Returns 0, or prints "kevrr CMD: ..."
 * and returns an exit code (KEV_EXIT_INPUT, KEV_EXIT_INTERNAL). A trace
 * cut short is taken up to its end, with a note. */
int kev_pred_trace_load(const char *cmd, const char *path, kev_pred_trace *t);
void kev_pred_trace_free(kev_pred_trace *t); /* accepts a zeroed one */

/* The options reduce and bisect share, as given on the command line. */
typedef struct kev_pred_cli {
    const char *until, *profile, *recv_buffer;
    bool ilp32, verbose;
} kev_pred_cli;

/* Number of rows kev_pred_cli_opts fills. */
#define KEV_PRED_CLI_OPTS 5u

/* Fills rows[0..KEV_PRED_CLI_OPTS) for kev_cli_parse. */
void kev_pred_cli_opts(kev_pred_cli *c, kev_cli_opt *rows);

/* Checks the options: parses the predicate and fills the world options
 * (default profile: v963 for `defect`, hardened otherwise; `defect` with
 * hardened and `diag` with v888 or v963 are refused, as they can never
 * hold). Returns 0, or prints the usage error and returns KEV_EXIT_USAGE. */
int kev_pred_cli_setup(const char *cmd, const kev_pred_cli *c, kev_pred *p,
                       kev_world_opts *o);

typedef struct kev_pred_eval kev_pred_eval;

/* An evaluator of `p` (borrowed, must outlive it) with world options `o`
 * and the trace's metadata `m` (its snapshot; borrowed). Loads the snapshot
 * once to check it and opens the golden file. Returns 0, or prints "kevrr
 * CMD: ..." and returns an exit code. */
int kev_pred_eval_open(const char *cmd, const char *path, const kev_pred *p,
                       const kev_world_opts *o, const kev_trace_meta *m,
                       kev_pred_eval **out);
void kev_pred_eval_close(kev_pred_eval *e); /* accepts NULL */

/* Replays recs[0..n) in a fresh world and evaluates the predicate: 1 true,
 * 0 false, or a negative KEV_E* code (KEV_EIO: the golden could not be
 * read; KEV_ENOMEM). With `finish`, the final state (store, kernel,
 * statistics) is part of the report and the golden must end where the
 * report does; without, the report is compared and searched only as far as
 * the batches wrote it (a prefix of the trace, whose final state is not the
 * whole trace's). Counts one evaluation. */
int kev_pred_eval_run(kev_pred_eval *e, const kev_trace_rec *const *recs, size_t n,
                      bool finish);

/* Evaluations run so far. */
uint64_t kev_pred_eval_count(const kev_pred_eval *e);
/* After a true `diverges`: the first line (from 1) that differs. After a
 * true `contains`: whether the text was found only in the final state
 * (which can come and go, so the predicate need not be monotone). */
uint64_t kev_pred_eval_diff_line(const kev_pred_eval *e);
bool kev_pred_eval_in_final(const kev_pred_eval *e);

/* Well-framed records in data[0..len) (kev_wire_next's strict framing),
 * up to the first one that is not. */
size_t kev_pred_count_records(const uint8_t *data, size_t len);

#endif
