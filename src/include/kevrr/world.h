/*
 * kevrr/world.h: the event-processing core and the simulated world it runs
 * in. This is the one entry point the replayer, the fuzz targets and the
 * daemon share.
 *
 * A world owns a simulated kernel, a simulated dynamic store with configd's
 * cache in front of it, the message log, the network-change flag and a
 * clock that only the caller advances (trace timestamps, never the wall
 * clock). Each kev_world_feed() is one recv() batch, processed the way the
 * chosen profile's eventCallback would: one cache_open .. cache_write per
 * batch, then the network-change post, then the message log.
 *
 * Profiles (spec/DESIGN.md): v888, v963 and v1405 emulate configd-888,
 * configd-963 and configd-1405 (docs/configd-1405.md), defects included, over an emulated 1024-byte receive buffer whose bytes
 * past the received data hold a fixed poison pattern; where the original
 * would crash, hang or read out of bounds, the emulation reports the defect
 * and stops that batch instead. hardened validates framing, sizes and names,
 * never reads outside an event, and keeps going with a diagnostic.
 *
 * Output: a canonical, versioned text report (docs/report-format.md) is
 * written through the sink as batches are processed, so memory stays
 * bounded whatever the trace length; kev_world_finish() appends the final
 * state. Findings (defects and diagnostics) also go to an optional callback.
 */
#ifndef KEVRR_WORLD_H
#define KEVRR_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kevrr/kernel.h"
#include "kevrr/store.h"
#include "kevrr/strbuf.h"

/* The report format version printed on its first line. */
#define KEV_REPORT_VERSION 1

typedef enum kev_profile {
    KEV_PROFILE_HARDENED,
    KEV_PROFILE_V888,
    KEV_PROFILE_V963,
    KEV_PROFILE_V1405,
    KEV_PROFILE__COUNT
} kev_profile;

/* The profile's name ("hardened", "v888", "v963", "v1405"), or "?". The
 * profile table is the one list of names: tools that list profiles walk
 * 0..KEV_PROFILE__COUNT-1. */
const char *kev_profile_name(kev_profile p);
/* Parses a profile name; 0 or KEV_EINVAL. */
int kev_profile_parse(const char *s, kev_profile *out);
/* True for the profiles that emulate a configd release (they report
 * defects); false for hardened (diagnostics) and out-of-range values. */
bool kev_profile_faithful(kev_profile p);

/* Where report text goes. `write` gets every piece in order; NULL means no
 * report is rendered at all (the fast path for fuzzing and benchmarks). */
typedef struct kev_sink {
    void (*write)(void *ctx, const char *p, size_t n);
    void *ctx;
} kev_sink;

/* Defect ids D1..D18 (eventmon-facts.md s5). */
#define KEV_DEFECT_MAX 18

typedef enum kev_finding_kind {
    KEV_FINDING_DEFECT,    /* a faithful profile met a seed defect */
    KEV_FINDING_DIAGNOSTIC /* hardened refused or fixed something */
} kev_finding_kind;

/* One finding. `defect` is the D-number (1..18); for a diagnostic it is the
 * defect the hardened behaviour fixes, or 0 when it fixes none (input that
 * is merely malformed in a way the seed handles too). `code` is a short
 * stable identifier ("size-zero", "name-unterminated", ...). `stops` says
 * the original would crash or hang here, so the batch was stopped.
 * `event` is the index of the event within the batch and `offset` the byte
 * offset of the event (or of the offending field) within the batch. */
typedef struct kev_finding {
    kev_finding_kind kind;
    int defect;
    const char *code;
    kev_profile profile;
    uint64_t batch;
    uint32_t event;
    uint32_t offset;
    bool stops;
    char message[200];
} kev_finding;

/* A key on which the store and the kernel disagree (kevrr/drift.h). */
typedef struct kev_drift_item kev_drift_item;

/* One finding code the core can report: as a defect of a faithful profile
 * (with its id), or as a hardened diagnostic (with the id it fixes, 0 for
 * none). */
typedef struct kev_finding_code {
    kev_finding_kind kind;
    int defect;
    const char *code;
} kev_finding_code;

/* The table of codes, in order; NULL past the end. */
const kev_finding_code *kev_finding_code_at(size_t i);
/* True when `code` (NULL: any) is reported as `kind` with id `defect` (0:
 * any id). */
bool kev_finding_code_known(kev_finding_kind kind, int defect, const char *code);
/* The codes of `kind` (and id `defect`, 0: any) joined by ", " into
 * out[cap] (cut to fit); returns how many there are. */
size_t kev_finding_codes_list(kev_finding_kind kind, int defect, char *out, size_t cap);

typedef struct kev_world_opts {
    kev_profile profile;
    /* Emulate ILP32 (i386) arithmetic and the i386 kev_dl_issues layout:
     * makes D13 (v888) and D14 (v963, v1405) reachable. */
    bool ilp32;
    /* The recv() buffer size. 0 picks the profile's default: 1024 (configd's)
     * for the faithful profiles, KEV_MAX_BATCH for hardened. A batch longer than this is
     * cut the way the kernel cuts a record (the rest is lost; D8). */
    uint32_t recv_buffer;
    /* configd's _verbose: failing size checks dump the event (D16). */
    bool verbose;
    kev_sink sink;
    void (*on_finding)(void *ctx, const kev_finding *f);
    void *finding_ctx;
    /* Optional (NULL members are skipped): sees every operation applied to
     * the simulated store and every commit, in order, whether or not a sink
     * is set; a daemon mirrors them into another store (kevmond's store
     * backends). A stopped batch applies nothing, so it sees nothing. */
    kev_store_observer store_observer;
    /* Optional: sees every write a handler queues in configd's cache
     * (set, remove, notify), before the batch's commit, in order; with
     * kev_world_where_get the caller learns which event and handler queued
     * it (kevrr why). Writes a stopped batch queued are seen here and never
     * reach store_observer. on_commit is not used. */
    kev_store_observer queue_observer;
    /* Track drift (kevrr/drift.h): after prime and after every batch, the
     * keys whose value the kernel contradicts, and the batch where each
     * parted from it. The report then ends its state with a "drift"
     * section; with drift_each, every batch also reports the keys that
     * start or stop drifting. Off by default (it costs time per batch). */
    bool drift;
    bool drift_each;
    /* Optional (with drift): called when a key starts (`begins`) or stops
     * drifting; the item is valid during the call only. */
    void (*on_drift)(void *ctx, const kev_drift_item *it, bool begins);
    void *drift_ctx;
} kev_world_opts;

typedef struct kev_world_stats {
    uint64_t batches;       /* kev_world_feed calls */
    uint64_t errors;        /* kev_world_feed_error calls */
    uint64_t events;        /* records the walker visited */
    uint64_t handled;       /* events whose handler ran */
    uint64_t defects;       /* defect findings */
    uint64_t diagnostics;   /* diagnostic findings */
    uint64_t stopped;       /* batches stopped (crash/hang emulated) */
    uint64_t commits;       /* SetMultiple calls */
    uint64_t posts;         /* network-change notifications posted */
    bool monitoring;        /* false once a recv() error stopped it (faithful profiles, D12) */
} kev_world_stats;

typedef struct kev_world kev_world;

/* Fills `o` with the defaults: hardened, LP64, profile buffer, no sink. */
void kev_world_opts_init(kev_world_opts *o);

/* A new world, or NULL when out of memory or `o` is invalid. The options
 * are copied. */
kev_world *kev_world_new(const kev_world_opts *o);
void kev_world_free(kev_world *w); /* accepts NULL */
/* Back to a fresh world with the same options, without freeing what can be
 * reused; costs time proportional to the state touched since the last
 * reset. */
void kev_world_reset(kev_world *w);

/* The simulated kernel, to load a snapshot before the first batch. */
kev_kernel *kev_world_kernel(kev_world *w);
const kev_kernel *kev_world_kernel_const(const kev_world *w);
const kev_store *kev_world_store(const kev_world *w);
const kev_world_stats *kev_world_stats_get(const kev_world *w);
const kev_world_opts *kev_world_options(const kev_world *w);

/* Loads a snapshot (kev_kernel_load_text's form) into the simulated
 * kernel before the first batch. A first line "# source: TEXT" says where
 * the snapshot came from (a capture's host, a file, a cut); the report's
 * header then says so ("snapshot-source TEXT", docs/report-format.md).
 * Returns 0 or kev_kernel_load_text's error, with "line N: why" appended
 * to `err` (may be NULL). kev_world_reset forgets the snapshot. */
int kev_world_load_snapshot(kev_world *w, const char *text, size_t len, kev_strbuf *err);

/* Where the world is, for an observer or a finding callback: which record
 * is being fed, and within it which event and handler are running. */
typedef enum kev_phase {
    KEV_PHASE_IDLE,  /* between calls */
    KEV_PHASE_PRIME, /* configd's prime() at start */
    KEV_PHASE_TICK,  /* a startup timer tick (update_interfaces) */
    KEV_PHASE_BATCH, /* a recv() batch */
    KEV_PHASE_ERROR  /* a failed recv() */
} kev_phase;

typedef struct kev_world_where {
    kev_phase phase;
    uint64_t batch;         /* BATCH, ERROR: the record index; TICK, PRIME: the
                               record whose feeding runs it */
    uint32_t tick;          /* TICK: 1..20 */
    bool in_event;          /* an event is being processed */
    uint32_t event, offset; /* its index and byte offset in the batch */
    const char *event_name; /* "KEV_INET_NEW_ADDR", or NULL when unknown */
    const char *handler;    /* the running handler ("ipv4_interface_update"),
                               "prime", "update_interfaces", or NULL */
    const char *ifname;     /* the event's ifr_name, or "" */
} kev_world_where;

void kev_world_where_get(const kev_world *w, kev_world_where *out);

/* Starts monitoring at trace time `t_ns` (Unix epoch, nanoseconds): writes
 * the report header and runs configd's prime(). Called implicitly by the
 * first feed when not called before. Returns 0 or a KEV_E* code. */
int kev_world_start(kev_world *w, uint64_t t_ns);

/* Runs the startup timer ticks (every 6 s after start, 20 of them) that are
 * due at or before `t_ns`. feed and feed_error call it first. */
int kev_world_advance(kev_world *w, uint64_t t_ns);

/* One recv() batch that returned `len` bytes (0..KEV_MAX_BATCH) at trace
 * time `t_ns`. `len` larger than the receive buffer means the record was
 * longer than the buffer: it is cut to the buffer. Returns 0 (findings are
 * not errors) or KEV_EINVAL / KEV_ENOMEM. */
int kev_world_feed(kev_world *w, const uint8_t *bytes, size_t len, uint64_t t_ns);

/* One recv() that failed with `err` (an errno value of the capturing host;
 * `err_name` such as "EAGAIN" may be NULL). The faithful profiles stop monitoring for
 * good (D12); hardened notes it and goes on. */
int kev_world_feed_error(kev_world *w, int err, const char *err_name, uint64_t t_ns);

/* Appends the final state to the report: the store (sorted keys, canonical
 * values), the simulated kernel, the notification summary and the
 * statistics. Returns 0 or a KEV_E* code. */
int kev_world_finish(kev_world *w);

/* Renders the current state into `out`: the final-state sections, from
 * the "final t=" line through "end", byte for byte as kev_world_finish
 * would append them now, without finishing the world, starting it, or
 * writing to the sink (kevmond answers state queries with it). The
 * notification summary counts only while a sink is set. Returns 0 or the
 * buffer's error (KEV_ENOMEM, KEV_ETOOBIG). */
int kev_world_state(kev_world *w, kev_strbuf *out);

#endif
