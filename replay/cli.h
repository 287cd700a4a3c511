/*
 * cli.h: what the kevrr subcommands share: the command table entry, exit
 * codes, and small helpers for reading input files and writing reports.
 */
#ifndef KEV_CLI_H
#define KEV_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "kevrr/kevrr.h"

/* Exit codes, documented in docs/cli.md. */
enum {
    KEV_EXIT_OK = 0,
    KEV_EXIT_DIVERGED = 1, /* replay differs from its golden (kevrr replay) */
    KEV_EXIT_USAGE = 2,
    KEV_EXIT_INPUT = 3,    /* an input could not be read or parsed */
    KEV_EXIT_DEFECT = 4,   /* --fail-on-defect and a defect was reported */
    KEV_EXIT_INTERNAL = 5  /* out of memory or an I/O error on output */
};

typedef struct kev_cmd {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    const char *usage; /* full --help text */
} kev_cmd;

extern const kev_cmd kev_cmd_run;

/* Reads a whole file (or "-" for stdin) of at most `cap` bytes into a
 * malloc'd, NUL-terminated buffer. On error prints "kevrr: PATH: why" and
 * returns NULL. */
char *kev_cli_read_file(const char *path, size_t cap, size_t *len);

/* A sink writing to a FILE, remembering write errors. */
typedef struct kev_file_sink {
    FILE *f;
    bool failed;
} kev_file_sink;
void kev_cli_file_write(void *ctx, const char *p, size_t n);

/* Prints "kevrr CMD: message" to stderr. */
void kev_cli_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* True when argv[i] is "-h" or "--help". */
bool kev_cli_is_help(const char *arg);

#endif
