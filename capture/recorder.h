/*
 * capture/recorder.h: a trace writer that rotates. Writes recv() batches
 * through the library's trace writer (kevrr/trace.h) into one file or a
 * sequence of files, rotated by size, by time and on request, optionally
 * as a ring that keeps only the last N files (tcpdump's -C, -G, -W). A BGZF
 * member is closed at least every flush interval, so a kill loses at most
 * that much. `kevrr capture` and kevmond's flight recorder are its clients.
 *
 * File names: without rotation, exactly `path`. With rotation (any of
 * max_bytes, max_seconds, max_files, or a rotate call), file k (k = 0, 1,
 * 2, ...) is `path` with ".k" inserted before a ".kev" suffix, or appended
 * when there is none: cap.kev -> cap.0.kev, cap.1.kev, ... The ring deletes
 * the oldest file when a new one would make more than max_files.
 *
 * Time is the caller's (CLOCK_REALTIME ns for timestamps; the caller passes
 * `now_ns` so tests can drive it). Errors (ENOSPC, EFBIG from RLIMIT_FSIZE,
 * EIO) are sticky: the first one is returned by every later call, and
 * kev_recorder_close still leaves every file a readable trace up to what
 * was written.
 */
#ifndef KEV_CAPTURE_RECORDER_H
#define KEV_CAPTURE_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kevrr/trace.h"

/* Named caps: a path, a ring. */
#define KEV_RECORDER_MAX_PATH 4096u
#define KEV_RECORDER_MAX_FILES 100000u
/* The default flush interval: 1 s. */
#define KEV_RECORDER_FLUSH_NS 1000000000ull
/* The default compression level: zlib's fastest. A live recorder must keep
 * up with bursts (the kernel drops what overflows the socket buffer); level
 * 1 costs about a third of level 6's CPU for files 10-15 % larger, and a
 * trace can be recompressed offline (kevrr cut). */
#define KEV_RECORDER_LEVEL KEV_TRACE_LEVEL_MIN

typedef struct kev_recorder kev_recorder;

typedef struct kev_recorder_opts {
    const char *path;           /* -w FILE */
    uint64_t max_bytes;         /* -C: rotate once a file holds this many bytes (0: never) */
    uint64_t max_seconds;       /* -G: rotate every N seconds of `now_ns` (0: never) */
    uint32_t max_files;         /* -W: keep only the last N files (0: keep all) */
    uint64_t flush_interval_ns; /* 0 picks KEV_RECORDER_FLUSH_NS */
    bool fsync;                 /* fsync() on every flush */
    /* Metadata of every file (copied; start_ns is set per file). */
    const kev_trace_meta *meta;
    int level; /* zlib level 1..9; 0 picks KEV_RECORDER_LEVEL */
} kev_recorder_opts;

typedef struct kev_recorder_stats {
    uint64_t records;     /* batches + failed recv()s, all files */
    uint64_t batches;
    uint64_t errors;      /* failed recv()s recorded */
    uint64_t raw_bytes;   /* batch bytes captured */
    uint64_t file_bytes;  /* compressed bytes written, all files */
    uint64_t files;       /* files opened so far */
    uint64_t flushes;
} kev_recorder_stats;

/* Opens the first file at time now_ns. Returns 0, or -1 with a message in
 * err[0..errlen). */
int kev_recorder_open(const kev_recorder_opts *o, uint64_t now_ns, kev_recorder **out,
                      char *err, size_t errlen);
/* One batch / one failed recv(). Rotates first when a limit is due.
 * Returns 0 or the sticky errno. */
int kev_recorder_batch(kev_recorder *r, uint64_t t_ns, const uint8_t *data, uint32_t caplen,
                       uint32_t origlen);
int kev_recorder_error(kev_recorder *r, uint64_t t_ns, int err, const char *err_name);
/* Flushes when the flush interval has passed since the last flush, and
 * rotates when max_seconds has; call it at least every flush interval
 * (from the poll timeout). Returns 0 or the sticky errno. */
int kev_recorder_tick(kev_recorder *r, uint64_t now_ns);
/* Flushes now (fsync when `sync`). */
int kev_recorder_flush(kev_recorder *r, bool sync);
/* Closes the current file whole (ISB + EOF member) and opens the next
 * (SIGHUP; the flight recorder before keeping the ring aside). */
int kev_recorder_rotate(kev_recorder *r, uint64_t now_ns);
/* The files of the ring that are closed and whole, oldest first, then the
 * current one: calls fn(path, ctx) for each; stops early when fn returns
 * non-zero and returns that value. */
int kev_recorder_files(const kev_recorder *r, int (*fn)(const char *path, void *ctx),
                       void *ctx);
/* The file being written. */
const char *kev_recorder_current(const kev_recorder *r);
void kev_recorder_stats_get(const kev_recorder *r, kev_recorder_stats *s);
/* The first error met (0 if none), and its message. */
int kev_recorder_failed(const kev_recorder *r, const char **msg);
/* Closes the current file whole (ISB at stop_ns, EOF member) and frees.
 * Returns 0 or the first error met. Accepts NULL. */
int kev_recorder_close(kev_recorder *r, uint64_t stop_ns);

#endif
