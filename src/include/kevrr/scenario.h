/*
 * kevrr/scenario.h: the scenario language, a small human-readable way to
 * write a sequence of recv() batches (docs/scenario.md has the grammar).
 * `kevrr gen` compiles a scenario into a trace; `kevrr run` feeds one
 * straight into the core; the tests and the corpus are written in it.
 *
 * kev_scenario_compile() parses the whole text and calls `emit` once per
 * item, in order. Parsing is strict: an unknown word, a bad number or
 * address, a value out of range is an error naming the line and the word.
 */
#ifndef KEVRR_SCENARIO_H
#define KEVRR_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "kevrr/strbuf.h"

/* Caps: the text, and the records one `batch ... end` group may hold. */
#define KEV_SCENARIO_MAX_TEXT ((size_t)16 << 20)
#define KEV_SCENARIO_MAX_LINE 4096u

/* The default start time: 2023-11-14T22:13:20Z, in Unix nanoseconds. */
#define KEV_SCENARIO_T0_NS 1700000000000000000ull
/* The default time step after each item (1 ms). */
#define KEV_SCENARIO_STEP_NS 1000000ull

typedef enum kev_scn_kind {
    KEV_SCN_SNAPSHOT, /* snapshot text for kev_kernel_load_text (emitted once, first, if any) */
    KEV_SCN_BATCH,    /* one recv() batch: bytes[0..len) */
    KEV_SCN_ERROR     /* one failed recv(): err / err_name */
} kev_scn_kind;

typedef struct kev_scn_item {
    kev_scn_kind kind;
    uint64_t t_ns;         /* Unix epoch nanoseconds */
    const uint8_t *bytes;  /* BATCH: the batch; SNAPSHOT: the text */
    size_t len;
    int err;               /* ERROR: the Darwin errno value */
    const char *err_name;  /* ERROR: its name, e.g. "EAGAIN" */
    unsigned line;         /* line of the scenario the item comes from */
} kev_scn_item;

/* Returns 0 to go on, non-zero to stop compiling (that value is returned). */
typedef int (*kev_scn_emit)(void *ctx, const kev_scn_item *item);

/* Compiles `text`. Returns 0, the first non-zero value `emit` returned, or
 * a negative KEV_E* code with "line N: ..." appended to `err` (may be
 * NULL). Items emitted before an error stay emitted. */
int kev_scenario_compile(const char *text, size_t len, kev_scn_emit emit, void *ctx,
                         kev_strbuf *err);

/* The Darwin errno value of a name such as "EAGAIN" (EAGAIN 35, EINTR 4,
 * ENOBUFS 55, ...), or -1. And back: NULL when unknown. */
int kev_darwin_errno(const char *name);
const char *kev_darwin_errno_name(int value);

#endif
