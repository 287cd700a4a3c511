/*
 * cli.h: what the kevrr subcommands share: the command table entry, exit
 * codes, and small helpers for reading input files and writing reports.
 */
#ifndef KEV_CLI_H
#define KEV_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kevrr/kevrr.h"
#include "kevrr/trace.h"

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
extern const kev_cmd kev_cmd_gen;
extern const kev_cmd kev_cmd_info;
extern const kev_cmd kev_cmd_dump;
extern const kev_cmd kev_cmd_verify;
extern const kev_cmd kev_cmd_cut;
extern const kev_cmd kev_cmd_merge;
extern const kev_cmd kev_cmd_export;
extern const kev_cmd kev_cmd_import;
extern const kev_cmd kev_cmd_plot;
extern const kev_cmd kev_cmd_replay;
extern const kev_cmd kev_cmd_reduce;
extern const kev_cmd kev_cmd_bisect;
extern const kev_cmd kev_cmd_why;
extern const kev_cmd kev_cmd_capture; /* capture/cmd_capture.c */
extern const kev_cmd kev_cmd_send;    /* capture/cmd_send.c */
extern const kev_cmd kev_cmd_query;   /* daemon/cmd_query.c */

/* Reads a whole file (or "-" for stdin) of at most `cap` bytes into a
 * malloc'd, NUL-terminated buffer. On error appends why to `why` ("cannot
 * open PATH: No such file or directory", naming the file) and returns
 * NULL. */
char *kev_cli_read_file(const char *path, size_t cap, size_t *len, kev_strbuf *why);

/* kevrr gen's compiler (cmd_gen.c): the scenario `text` as a trace written
 * to `f`, the same bytes gen writes. Returns 0, or a KEV_E* code: a scenario
 * that does not compile (*scenario_error, "line N: ..." in `err`), or a
 * write error. */
int kev_gen_trace(FILE *f, const char *text, size_t len, const char *source,
                  kev_strbuf *err, bool *scenario_error);

/* Refuses a trace given where a scenario is expected (its first bytes are
 * gzip's or pcapng's): "kevrr CMD: PATH: a trace, not a scenario: kevrr
 * replay reads traces". Returns 0 or -1. */
int kev_cli_scenario_check(const char *cmd, const char *path, const char *text, size_t len);
/* Do the bytes start as a trace does (gzip's or pcapng's magic)? */
bool kev_cli_looks_like_trace(const char *text, size_t len);

/* A sink writing to a FILE, remembering write errors. */
typedef struct kev_file_sink {
    FILE *f;
    bool failed;
} kev_file_sink;
void kev_cli_file_write(void *ctx, const char *p, size_t n);

/* Writes n bytes to `f`. On failure keeps the errno of the first failed
 * write (kev_cli_write_errno) and returns false. Use it for every output,
 * so that a write error is named by its cause (ENOSPC), not by a later
 * call's. */
bool kev_cli_fwrite(FILE *f, const void *p, size_t n);
/* The errno of the first failed write (kev_cli_fwrite, the stream and
 * out helpers below), else errno, else EIO. */
int kev_cli_write_errno(void);
/* The text for a KEV_E* code met while writing: for KEV_EIO the system's
 * error (strerror of kev_cli_write_errno: "No space left on device"),
 * else kev_strerror. */
const char *kev_cli_write_strerror(int rc);
/* An output's name for messages: "standard output" for "-". */
const char *kev_cli_out_name(const char *path);

/* kev_trace_writer_close, keeping the errno of a write error for
 * kev_cli_write_strerror. */
int kev_cli_trace_close(kev_trace_writer *w, uint64_t stop_ns);
/* After a kev_trace_write_* call returned `rc`: keeps errno when it is
 * KEV_EIO (the failed write just set it). */
void kev_cli_trace_write_failed(int rc);

/* Flushes `f` (and closes it unless it is stdout or stderr); on a write
 * error met now or before prints "kevrr CMD: cannot write WHAT: why"
 * once and returns KEV_EXIT_INTERNAL, else 0. */
int kev_cli_stream_close(const char *cmd, FILE *f, const char *what);

/* Prints "kevrr CMD: message" to stderr. */
void kev_cli_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* True when argv[i] is "-h" or "--help". */
bool kev_cli_is_help(const char *arg);

/* The profile names of the core's profile table ("hardened, v888, v963 or
 * v1405"), or only the faithful ones; a static string. */
const char *kev_cli_profile_list(bool faithful_only);
/* Prints a --help text, with "@PROFILES@" and "@FAITHFUL@" replaced by
 * kev_cli_profile_list(false) and (true): no help lists profiles by hand. */
void kev_cli_usage_print(const char *usage, FILE *f);

/* ---- Helpers of the trace tools (gen, info, dump, verify, cut, merge) ---- */

/* Exit code of kevrr verify when a trace is not whole (shares 1 with
 * KEV_EXIT_DIVERGED: "the check failed"). */
#define KEV_EXIT_NOT_WHOLE KEV_EXIT_DIVERGED

/* One option of a subcommand for kev_cli_parse: "--name V" or "--name=V"
 * storing V in *value, or a flag (value NULL) setting *flag. An old
 * spelling kept as an alias names its replacement in `replaced_by`: it
 * works as before (point it at the same `value` or `flag`) and prints a
 * one-line deprecation note (docs/cli.md, Conventions). */
typedef struct kev_cli_opt {
    const char *name; /* "--from", "-o" */
    const char **value;
    bool *flag;
    const char *replaced_by; /* NULL, or the spelling to use instead */
} kev_cli_opt;

/* Parses argv[1..argc) against opts[0..n): options anywhere, "-h"/"--help"
 * prints `usage` to stdout, "--" ends the options, "-" alone is an
 * argument (stdin or stdout). A value option given twice is an error. The
 * arguments are moved, in order, to argv[1..1 + *nargs). Returns 0, 1 after
 * printing the help, or -1 after printing "kevrr CMD: ..." to stderr. */
int kev_cli_parse(const char *cmd, int argc, char **argv, const kev_cli_opt *opts, size_t n,
                  const char *usage, int *nargs);

/* A decimal u64: digits only, no sign or blanks. Returns 0 or -1. */
int kev_cli_parse_u64(const char *s, uint64_t *out);
/* The value `v` of option `name` as a decimal u64 into *out; leaves *out
 * alone when `v` is NULL (not given). Returns 0, or -1 after printing
 * "kevrr CMD: NAME takes a number, not 'V'". */
int kev_cli_opt_u64(const char *cmd, const char *name, const char *v, uint64_t *out);

/* A time: Unix seconds with up to 9 decimals ("1700000000.25": *relative
 * false), or "+DURATION" with a unit ns, us, ms or s ("+1.5s", "+250ms";
 * a bare "+0" too: *relative true), into nanoseconds. Returns 0 or -1
 * (malformed, not a whole number of ns, or past 2^64 - 1 ns). */
int kev_cli_parse_time(const char *s, uint64_t *t_ns, bool *relative);

/* ---- The shared vocabulary (docs/cli.md, Conventions) ------------------ */

/* One end of a range, --from or --to: a batch index ("12"), a Unix time
 * ("1700000000.25": it has a '.'), or a time after the trace's first record
 * ("+1.5s"). */
typedef enum kev_cli_bound_kind {
    KEV_BOUND_NONE,  /* not given */
    KEV_BOUND_INDEX, /* v: a record index from 0 */
    KEV_BOUND_TIME,  /* v: Unix time in ns */
    KEV_BOUND_AFTER  /* v: ns after the first record's time */
} kev_cli_bound_kind;

typedef struct kev_cli_bound {
    kev_cli_bound_kind kind;
    uint64_t v;
} kev_cli_bound;

/* A range of records [from, to): `to` is never included. */
typedef struct kev_cli_range {
    kev_cli_bound from, to;
} kev_cli_range;

/* Parses the values of --from and --to (either may be NULL: not given).
 * A range that is empty or reversed by itself (both ends of one kind, to
 * <= from) is a usage error. Returns 0, or -1 after printing "kevrr CMD:
 * ...". */
int kev_cli_range_parse(const char *cmd, const char *from, const char *to,
                        kev_cli_range *rg);

/* Does the record (index, t_ns) lie at or past `b`? `first_t` is the time
 * of the trace's first record (for KEV_BOUND_AFTER). False when `b` is not
 * given. */
bool kev_cli_bound_reached(const kev_cli_bound *b, uint64_t first_t, uint64_t index,
                           uint64_t t_ns);

/* Resolves a range on a seekable trace to record indexes [*a, *b): a time
 * is the first record at or after it, a bound past the end is the end, and
 * `to` not given is the end. Reached by seeking (a member or two inflated,
 * whatever the trace's length); leaves the reader anywhere. Returns 0, or
 * the reader's negative KEV_E... code. Only when both ends are given can
 * *b be below *a; kev_cli_range_check_resolved refuses an empty result. */
int kev_cli_range_resolve(kev_trace_reader *r, const kev_cli_range *rg, uint64_t *a,
                          uint64_t *b);

/* A range whose ends are of different kinds (an index and a time) can only
 * be found empty once resolved: given both ends and *a >= *b, prints
 * "kevrr CMD: PATH: the range --from F --to T is empty (batches A..B)" and
 * returns -1 (a usage error); else 0. */
int kev_cli_range_check_resolved(const char *cmd, const char *path, const char *from,
                                 const char *to, uint64_t a, uint64_t b);

/* --format text|json: sets *json. Returns 0, or -1 after a message; NULL
 * (not given) leaves *json alone. */
int kev_cli_format_parse(const char *cmd, const char *v, bool *json);

/* A profile name, from the core's profile table. Returns 0, or -1 after
 * "kevrr CMD: unknown profile 'X': hardened, v888, ..." (the table's), or
 * for "all" or a list, "--profile 'X': one profile here (...)". */
int kev_cli_profile_parse(const char *cmd, const char *s, kev_profile *out);

/* A list of profiles: "v963", "v888,v963" or "all" (every profile, in the
 * table's order). Fills out[0..*n) without repeats; *n <= KEV_PROFILE__COUNT.
 * Returns 0, or -1 after a message. */
int kev_cli_profiles_parse(const char *cmd, const char *s,
                           kev_profile out[KEV_PROFILE__COUNT], size_t *n);

/* Refuses an output that is one of the inputs: the same file, by device
 * and inode (an output that does not exist yet is no input). "-" on either
 * side never matches. Call it before anything is opened for writing. Returns 0, or -1 after
 * "kevrr CMD: OUT is also an input (IN): refusing to overwrite it". */
int kev_cli_out_not_input(const char *cmd, const char *out, char *const *inputs, size_t n);

/* A Unix time in ns as "SECONDS.NANOS" and as ISO 8601 UTC
 * ("2023-11-14T22:13:20.000000000Z"). */
typedef struct kev_cli_time {
    char secs[32];
    char utc[80]; /* 31 used; room for what gcc thinks the fields could take */
} kev_cli_time;
void kev_cli_time_format(uint64_t t_ns, kev_cli_time *out);

/* Appends s[0..n) escaped: as a JSON string with its quotes (json), or as
 * text with control bytes, backslashes and invalid UTF-8 as \xNN and \\.
 * Valid UTF-8 passes through; a NULL `s` appends null (json) or "-". */
void kev_cli_escape(kev_strbuf *out, const char *s, size_t n, bool json);

/* A short label for how a trace ended: "whole", "cut short", "torn member",
 * "bad CRC", ... */
const char *kev_cli_status_label(kev_trace_status st);
/* Appends "LABEL: MESSAGE" ("torn member: member 2 at offset 1234: ..."),
 * the message escaped as kev_cli_escape does. */
void kev_cli_damage_text(const kev_trace_damage *d, kev_strbuf *out);

/* Opens a trace (kev_trace_open). On failure prints "kevrr CMD: PATH:
 * LABEL: MESSAGE" (or "kevrr CMD: cannot open PATH: why") and returns NULL. */
kev_trace_reader *kev_cli_trace_open(const char *cmd, const char *path, unsigned flags);

/* Appends what the trace was read from: ", 7 members" (BGZF), ", 2 gzip
 * streams", or ", uncompressed pcapng". */
void kev_cli_container_count(const kev_trace_reader *r, kev_strbuf *out);

/* Is `st` an ending that delivered every record there was to read (a trace
 * cut short: NO_EOF, TORN_MEMBER, MISSING)? */
bool kev_cli_status_cut(kev_trace_status st);

/* Prints a note when a trace whose records were all read did not end
 * whole: "kevrr CMD: PATH: LABEL: MESSAGE". Returns true when it ended
 * whole or cut short (kev_cli_status_cut: every record was delivered). */
bool kev_cli_trace_end_ok(const char *cmd, const char *path, const kev_trace_reader *r);

/* Writes one record read from a trace (a batch or a failed recv()). */
int kev_cli_trace_copy(kev_trace_writer *w, const kev_trace_rec *rec);

/* Appends `old` and "; " to a comment being built, unless `old` is NULL or
 * empty: the caller then appends its own note. */
void kev_cli_comment_begin(kev_strbuf *sb, const char *old);

/* An output file written under PATH.tmp and renamed to PATH when complete,
 * so that a failed command leaves no partial file; "-" is stdout; a PATH
 * that exists and is not a regular file (/dev/null, a FIFO) is written
 * directly. PATH.tmp is removed if SIGINT, SIGTERM or SIGHUP ends the
 * command before it is closed. */
typedef struct kev_cli_out {
    const char *path;
    char *tmp;   /* NULL for stdout and for `direct` */
    FILE *f;
    bool direct; /* PATH is not a regular file (a device, a FIFO): written in place */
} kev_cli_out;
/* Returns 0, or prints "kevrr CMD: cannot write PATH.tmp: why" and returns
 * KEV_EXIT_INTERNAL. */
int kev_cli_out_open(kev_cli_out *o, const char *cmd, const char *path);
/* With `keep`, closes and renames PATH.tmp to PATH (for stdout: flushes);
 * returns 0, or prints the error and returns KEV_EXIT_INTERNAL. Without,
 * closes and removes PATH.tmp and returns 0. */
int kev_cli_out_close(kev_cli_out *o, const char *cmd, bool keep);

#endif
