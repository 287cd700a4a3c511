/*
 * flight.h: kevmond's flight recorder: every batch the daemon receives goes
 * into a bounded ring of trace files (capture/recorder.h, the writer
 * `kevrr capture` uses), and on demand the ring is kept aside, so a field
 * bug can be replayed offline with `kevrr replay`.
 *
 * Layout under the state directory:
 *   ring/flight.K.kev         the ring (K = 0, 1, ...; at most `files` of
 *                             them, each rotated at `file_bytes`)
 *   kept/STAMP-REASON/        one kept ring: STAMP is the UTC time of the
 *                             keep (20261123T101500Z), REASON what caused
 *                             it (sigusr2, query, diag-size-zero, previous-run);
 *                             "-2", "-3", ... follow a name already taken
 *     flight.K.kev ...        the ring's closed files, hard links (copies
 *                             when linking fails), oldest first
 *     kept.txt                why, when, and how to replay them
 *
 * Keeping rotates first, so every kept file is whole. Keeps caused by
 * findings are rate-limited (at most one per keep interval) and all keeps
 * stop at `keep_max` kept rings (counted across restarts): disk use is
 * bounded by keep_max + 1 rings. Files left in ring/ by a previous run
 * (a crash, a kill -9) are kept aside as "previous-run" at open.
 */
#ifndef KEVMOND_FLIGHT_H
#define KEVMOND_FLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kevrr/strbuf.h"
#include "kevrr/trace.h"

/* Caps: a reason word, a detail line, a path under the state directory,
 * the kept rings one state directory may hold. */
#define KEVMOND_FLIGHT_MAX_REASON 48u
#define KEVMOND_FLIGHT_MAX_DETAIL 512u
#define KEVMOND_FLIGHT_MAX_PATH   4096u
#define KEVMOND_FLIGHT_MAX_KEPT   10000u

typedef struct kevmond_flight_opts {
    const char *state_dir;
    uint64_t file_bytes;       /* rotate a ring file at this size */
    uint32_t files;            /* ring files at most */
    uint64_t flush_ns;         /* close a member at least this often */
    int level;                 /* zlib level 1..9; 0: the recorder's default */
    uint64_t keep_interval_ns; /* automatic keeps at most this often */
    uint32_t keep_max;         /* kept rings at most (<= KEVMOND_FLIGHT_MAX_KEPT) */
    const kev_trace_meta *meta;
} kevmond_flight_opts;

typedef struct kevmond_flight_stats {
    uint64_t kept;             /* rings kept by this run */
    uint64_t held;             /* kept rings in kept/ now (this run's and earlier) */
    uint64_t skipped_interval; /* automatic keeps skipped: too soon after the last */
    uint64_t skipped_cap;      /* keeps refused: keep_max reached */
    uint64_t failed;           /* keeps that failed (I/O) */
} kevmond_flight_stats;

/* What a keep did. */
typedef enum kevmond_keep_result {
    KEVMOND_KEPT,
    KEVMOND_KEEP_TOO_SOON, /* automatic, within the keep interval */
    KEVMOND_KEEP_CAPPED,   /* keep_max kept rings already */
    KEVMOND_KEEP_FAILED    /* I/O error: why in the message */
} kevmond_keep_result;

typedef struct kevmond_flight kevmond_flight;

/* Creates ring/ and kept/ under the state directory, keeps a previous
 * run's ring aside, and opens the recorder at `now_ns` (realtime). Returns
 * 0, or -1 with why in `err`. Notes for the log (a previous ring kept) go
 * to `notes`, one per line. */
int kevmond_flight_open(const kevmond_flight_opts *o, uint64_t now_ns, kevmond_flight **out,
                        kev_strbuf *err, kev_strbuf *notes);

/* One batch / one failed recv(), at receive time. Return 0 or the
 * recorder's sticky errno. */
int kevmond_flight_batch(kevmond_flight *f, uint64_t t_ns, const uint8_t *data,
                         uint32_t caplen, uint32_t origlen);
int kevmond_flight_error(kevmond_flight *f, uint64_t t_ns, int err, const char *name);
/* Flush and time rotation; call at least every flush interval. */
int kevmond_flight_tick(kevmond_flight *f, uint64_t now_ns);
/* Closes the current file and starts the next (SIGHUP). */
int kevmond_flight_rotate(kevmond_flight *f, uint64_t now_ns);

/* Keeps the ring aside. `now_ns` (realtime) names it; `mono_ns` (a
 * monotonic clock) rate-limits automatic keeps. `reason` is a short word
 * ([a-z0-9-], others become '-'); `detail` (may be NULL) goes into
 * kept.txt. On KEVMOND_KEPT, `msg` gets the kept directory's path; on the
 * other results, why. */
kevmond_keep_result kevmond_flight_keep(kevmond_flight *f, uint64_t now_ns,
                                        uint64_t mono_ns, bool automatic,
                                        const char *reason, const char *detail,
                                        kev_strbuf *msg);

/* Appends "NAME VALUE" lines (recorder and keep figures) for the stats
 * query. */
void kevmond_flight_stats_text(const kevmond_flight *f, kev_strbuf *out);
void kevmond_flight_stats_get(const kevmond_flight *f, kevmond_flight_stats *s);
/* The recorder's first error (0 if none) and its message. */
int kevmond_flight_failed(const kevmond_flight *f, const char **msg);

/* Closes the current file whole at `stop_ns` and frees. Returns 0 or the
 * first error met. Accepts NULL. */
int kevmond_flight_close(kevmond_flight *f, uint64_t stop_ns);

#endif
