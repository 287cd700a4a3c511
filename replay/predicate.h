/*
 * predicate.h: what `kevrr reduce` and `kevrr bisect` share: the predicate
 * language (docs/cli.md): atoms about events (`defect D5`, `diag CODE`,
 * `stops`), about the report (`diverges GOLDEN`, `contains TEXT`) and about
 * the state at the end or after a batch (`absent`, `present`, `equals`,
 * `drift`, `differs-from`), combined with `not` and `and`; a trace loaded
 * into memory as a list of records; and the evaluator that replays a
 * candidate list of records through one reusable world (reset between
 * evaluations, the snapshot loaded again each time) and says whether the
 * predicate holds.
 *
 * An evaluation stops feeding as soon as the answer is known: the atoms
 * about events only ever turn true, so the predicate is evaluated in three
 * values (true, false, not known yet) after each record, and decided as
 * soon as the atoms still open cannot change it: at the matching finding,
 * the stopped batch, the first byte of the report that differs from the
 * golden, the end of the searched text. Only `diverges` and `contains`
 * render the report at all, only `differs-from` replays a second profile;
 * the others run the core's fast path without a sink.
 */
#ifndef KEV_PREDICATE_H
#define KEV_PREDICATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "kevrr/drift.h"

/* Caps. The text of `contains` (after its escapes); the terms of one
 * predicate (atoms and `not`s); the records and batch bytes a trace loaded
 * into memory may hold (more: cut it first); the evaluations a reduction
 * may spend (--max-tests). */
#define KEV_PRED_MAX_TEXT      4096u
#define KEV_PRED_MAX_ATOMS     32u
#define KEV_PRED_MAX_RECORDS   ((size_t)1 << 22)
#define KEV_PRED_MAX_BYTES     ((size_t)1 << 28)
#define KEV_PRED_DEFAULT_TESTS 20000u

/* The predicate language, as the --help of reduce and bisect shows it. */
#define KEV_PRED_HELP                                                                     \
    "predicates (docs/cli.md):\n"                                                          \
    "  defect D5 [CODE]    a defect finding D5 (with that code): v888, v963\n"             \
    "  diag CODE           a diagnostic with that code: hardened\n"                        \
    "  stops               a batch was stopped (the original crashes or hangs)\n"          \
    "  absent KEY          at the end, the store has no KEY (utun3/IPv4, interfaces,\n"    \
    "                      or a whole key)\n"                                              \
    "  present KEY         ... has KEY\n"                                                  \
    "  equals KEY VALUE    ... KEY holds VALUE, as the report writes it\n"                 \
    "  drift [KEY|FAMILY]  ... the store contradicts the kernel (on KEY, on a key of\n"    \
    "                      FAMILY such as IPv4, or anywhere)\n"                            \
    "  differs-from P [KEY] ... the store differs from profile P's (on KEY)\n"             \
    "  at N PRED           one of the five above, after batch N instead of at the end\n"   \
    "  not PRED, PRED and PRED\n"                                                          \
    "  diverges GOLDEN     the report differs from the file GOLDEN\n"                      \
    "  contains TEXT       the report contains TEXT (escapes \\n, \\t, \\\\)\n"    \
    "  (equals, diverges and contains take the rest: in a combination, put them last)\n"

typedef enum kev_pred_kind {
    KEV_PRED_DEFECT,   /* a defect finding with this id (and code) */
    KEV_PRED_DIAG,     /* a diagnostic finding with this code */
    KEV_PRED_DIVERGES, /* the report differs from the golden file */
    KEV_PRED_STOPS,    /* a batch was stopped (crash or hang emulated) */
    KEV_PRED_CONTAINS, /* the report contains the text */
    KEV_PRED_ABSENT,   /* the store has no `key` */
    KEV_PRED_PRESENT,  /* the store has `key` */
    KEV_PRED_EQUALS,   /* `key` holds `value` (as the report renders it) */
    KEV_PRED_DRIFT,    /* the store contradicts the kernel (kevrr/drift.h) */
    KEV_PRED_DIFFERS,  /* the store differs from profile `other`'s */
    KEV_PRED_AND,      /* a and b */
    KEV_PRED_NOT       /* not a */
} kev_pred_kind;

/* A parsed predicate: a tree of nodes (the root by value, the rest
 * allocated); kev_pred_free() frees it. */
typedef struct kev_pred {
    kev_pred_kind kind;
    int defect; /* DEFECT: 1..KEV_DEFECT_MAX */
    char *code; /* DEFECT (NULL: any code), DIAG: the finding code */
    char *text; /* CONTAINS: the text, escapes resolved */
    size_t text_len;
    char *golden; /* DIVERGES: the golden report's path */
    char *key;    /* ABSENT, PRESENT, EQUALS; DRIFT, DIFFERS (NULL: any key) */
    const kev_drift_family *family; /* DRIFT: the family (of `key`, or named) */
    char *value;                    /* EQUALS */
    kev_profile other;              /* DIFFERS */
    bool has_at;                    /* state atoms: after batch `at`, not at the end */
    uint64_t at;
    struct kev_pred *a, *b; /* AND: a and b; NOT: a */
    int state;              /* the evaluator's: 1 true, 0 false, -1 not decided */
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
/* True when the predicate, once true on a prefix of a trace, stays true on
 * every longer one: atoms about events (defect, diag, stops, diverges,
 * contains outside the final state) combined with `and`. State atoms and
 * `not` can come and go (bisect says so). */
bool kev_pred_monotone(const kev_pred *p);
/* The first node of kind `k` in the predicate (depth first), or NULL. */
const kev_pred *kev_pred_find(const kev_pred *p, kev_pred_kind k);

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

/* The options reduce and bisect share, as given on the command line
 * (`until`: --predicate, or its deprecated spelling --until). */
typedef struct kev_pred_cli {
    const char *until, *profile, *recv_buffer;
    bool ilp32, verbose;
} kev_pred_cli;

/* Number of rows kev_pred_cli_opts fills. */
#define KEV_PRED_CLI_OPTS 6u

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
int kev_pred_eval_open(const char *cmd, const char *path, kev_pred *p,
                       const kev_world_opts *o, const kev_trace_meta *m,
                       kev_pred_eval **out);
/* The snapshot loaded before each evaluation from now on (borrowed; must
 * stay valid): a window of the trace starts from the kernel's state there
 * (kevrr reduce). The trace's own at first. */
void kev_pred_eval_set_snapshot(kev_pred_eval *e, const char *text, size_t len);
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
