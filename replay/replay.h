/*
 * replay.h: the engine of `kevrr replay`, shared with `kevrr run`: the
 * options (profiles, ranges, --step, --format, goldens, JUnit, -o), the
 * report's lines, the comparison with goldens and the exit codes. `run`
 * gives it a scenario compiled into a trace instead of a trace file, so
 * both commands take the same options and print the same bytes.
 */
#ifndef KEV_REPLAY_H
#define KEV_REPLAY_H

#include "cli.h"

/* Where the engine's inputs come from, when they are not trace files. */
typedef struct kev_replay_src {
    const char *noun; /* "scenario": for messages */
    bool single;      /* exactly one input */
    /* Opens input `path` as a trace (valid until the next call or
     * kev_replay_main's return). On failure appends to `msg` why (without
     * the "kevrr CMD: " prefix), sets *code to the exit code, returns NULL. */
    kev_trace_reader *(*open)(void *ctx, const char *path, unsigned flags, int *code,
                              kev_strbuf *msg);
    void *ctx;
} kev_replay_src;

/* Runs the engine as command `name` with the help text `usage`; `src` NULL
 * reads trace files. Returns the exit code. */
int kev_replay_main(const char *name, const char *usage, const kev_replay_src *src,
                    int argc, char **argv);

#endif
