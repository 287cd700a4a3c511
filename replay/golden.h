/*
 * golden.h: reading kevrr reports line by line (docs/report-format.md):
 * what each line is, and the streaming comparison of a report being
 * produced with a golden report on disk, with a unified diff of the first
 * place where they part. `kevrr replay` uses both.
 */
#ifndef KEV_GOLDEN_H
#define KEV_GOLDEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kevrr/strbuf.h"

/* ---- Report lines -------------------------------------------------------- */

/* The section a report line belongs to: the header, the snapshot, the
 * lines of prime, a batch, a failed recv() or a tick ("events"), a store
 * listing (the final store, or replay's "state after"), the kernel dump,
 * the notification counts, or another top-level line (final, stats, end). */
typedef enum kev_rsec {
    KEV_RSEC_NONE,
    KEV_RSEC_HEADER,
    KEV_RSEC_SNAPSHOT,
    KEV_RSEC_EVENTS,
    KEV_RSEC_STORE,
    KEV_RSEC_KERNEL,
    KEV_RSEC_NOTES,
    KEV_RSEC_DRIFT,
    KEV_RSEC_TAIL
} kev_rsec;

/* Where a reader of a report stands: updated by each top-level line (one
 * that does not start with a space). Start from {0}. */
typedef struct kev_rctx {
    kev_rsec sec;
    bool has_batch; /* the section is batch N, error N or state after N */
    uint64_t batch;
    char label[48]; /* "batch 7", "error 8", "tick 1", "prime", "final", ... */
} kev_rctx;

/* What one line is. `kind` is a stable name ("batch", "set", "defect",
 * "store-entry", ...; docs/report-format.md lists them); `key` points into
 * the line at the store key it names, as the report escapes it, or is NULL. */
typedef struct kev_rline {
    bool top;
    const char *kind;
    const char *key;
    size_t key_len;
} kev_rline;

/* Classifies p[0..n) (without its newline) and, for a top-level line,
 * moves *c to the section it opens. */
void kev_rline_parse(kev_rctx *c, const char *p, size_t n, kev_rline *out);

/* ---- Comparison with a golden report ------------------------------------- */

/* How many lines of each side, after the first difference, the diff looks
 * at, and how many bytes; past either, the diff stops (and says so). */
#define KEV_GOLDEN_MAX_LINES 2000u
#define KEV_GOLDEN_MAX_BYTES ((size_t)4 << 20)
/* After the first difference, each side is read on through this many
 * more section headers (top-level lines) and then KEV_GOLDEN_CONTEXT
 * lines, so that both hold the line where they agree again. */
#define KEV_GOLDEN_SECTIONS 2u
/* Longest golden line read in full; a longer one never matches. */
#define KEV_GOLDEN_MAX_LINE ((size_t)4 << 20)
/* Lines of context around each change in the diff. */
#define KEV_GOLDEN_CONTEXT 3u

typedef struct kev_golden kev_golden;

/* Where the two reports part (valid once kev_golden_end returned 1). */
typedef struct kev_golden_diff {
    uint64_t line;        /* the first differing line, from 1 */
    const char *where;    /* "batch 7", "final", ...: the section it is in */
    const char *expected; /* the golden's line, or NULL: the golden ended */
    const char *actual;   /* the produced line, or NULL: the report ended */
    const char *key;      /* the store key that line names, or NULL */
    bool no_newline;      /* the golden's line ends its file without a newline */
    bool truncated;       /* a side went past the caps: the diff stops there */
} kev_golden_diff;

/* Opens GOLDEN for reading. NULL with errno set (ENOMEM when out of memory). */
kev_golden *kev_golden_open(const char *path);
void kev_golden_free(kev_golden *g); /* accepts NULL */

/* One line of the produced report, p[0..n) without its newline. Memory
 * stays bounded: three lines of context while the reports agree, then the
 * sections where they part, within the caps above. */
void kev_golden_line(kev_golden *g, const char *p, size_t n);

/* The produced report is complete. Returns 0 when it equals the golden
 * byte for byte, 1 when it does not (see kev_golden_result), -1 when the
 * golden could not be read (errno) or memory ran out (ENOMEM). */
int kev_golden_end(kev_golden *g);
const kev_golden_diff *kev_golden_result(const kev_golden *g);

/* Appends the unified diff of the sections where the reports part: "---
 * FROM" and "+++ TO" headers, then hunks ("@@ -L,N +L,N @@", golden line
 * numbers) with KEV_GOLDEN_CONTEXT lines of context. */
void kev_golden_udiff(const kev_golden *g, const char *from, const char *to,
                      kev_strbuf *out);

#endif
