/*
 * kevrr/drift.h: drift, the simulated store against the simulated kernel.
 *
 * The simulated kernel holds what the events imply; configd's store is its
 * view of it. A store key *drifts* when its value contradicts the kernel:
 * an address the kernel no longer has, an interface that is gone, a link
 * state that differs, or a key missing for an interface the kernel has.
 * "What the kernel backs" is defined per key family in a table (one row
 * per family, docs/fidelity.md "Drift"): for a backed family, the value a
 * fresh re-read of the kernel would give (the handlers' own builders), and
 * the properties of the store's value that are compared with it; the other
 * families (the message log, LinkIssues, the notify-only keys) are backed by
 * nothing and never drift.
 *
 * kev_drift_check and kev_drift_scan compare now; a world created with
 * kev_world_opts.drift also tracks, batch by batch, where each key and the
 * kernel parted (kev_drift_item.since), reports it in the report's "drift"
 * section and, with drift_each, a line whenever a key starts or stops
 * drifting (docs/report-format.md). Keys of interfaces whose names are not
 * printable ASCII are not compared: their spelling depends on the profile's
 * string encodings.
 */
#ifndef KEVRR_DRIFT_H
#define KEVRR_DRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kevrr/value.h"
#include "kevrr/world.h"

/* The longest detail text of one drift ("10.8.0.2 is not in the kernel"). */
#define KEV_DRIFT_DETAIL_MAX 160u

/* One key family, as the predicates and the documentation name it. */
typedef struct kev_drift_family {
    const char *name; /* "IPv4", "Link", "interfaces", "messages", ... */
    bool backed;      /* the kernel backs (part of) its value */
    const char *what; /* one line: what the kernel backs, or why nothing */
} kev_drift_family;

/* The families, in the table's order; NULL past the end. */
const kev_drift_family *kev_drift_family_at(size_t i);
/* The family named `name` (exact, case-sensitive), or NULL. */
const kev_drift_family *kev_drift_family_named(const char *name);
/* The family of a store key, or NULL when no row matches it. */
const kev_drift_family *kev_drift_family_of(const char *key);
/* The family names joined by ", ", for messages (a static string). */
const char *kev_drift_family_names(void);

/* Where a drift began: during prime (the state configd started from), or
 * after batch (or failed recv()) `batch`. Unknown when the world does not
 * track drift (kev_world_opts.drift off). */
typedef enum kev_drift_since_kind {
    KEV_DRIFT_SINCE_UNKNOWN,
    KEV_DRIFT_SINCE_PRIME,
    KEV_DRIFT_SINCE_BATCH
} kev_drift_since_kind;

/* One key on which the store and the kernel disagree. */
typedef struct kev_drift_item {
    const char *key;    /* the store key */
    const char *family; /* its family's name */
    char ifname[16];    /* the interface of a per-interface key, else "" */
    const char *reason; /* a stable code: interface-gone, key-missing, key-stale,
                           address-gone, address-missing, value-differs,
                           list-extra, list-missing */
    char detail[KEV_DRIFT_DETAIL_MAX]; /* in words: which address, which property */
    const kev_value *store;            /* the store's value, NULL when absent */
    kev_value *kernel;                 /* what the kernel backs, NULL when nothing */
    kev_drift_since_kind since_kind;
    uint64_t since; /* SINCE_BATCH: the record index */
} kev_drift_item;

/* Releases what an item filled by kev_drift_check holds (its kernel
 * value); the item may be filled again. Accepts a zeroed item. */
void kev_drift_item_clear(kev_drift_item *it);

/* Compares one key now. Returns 1 with *out filled (the caller clears it)
 * when the store and the kernel disagree on `key`; 0 when they agree, or
 * its family is unknown or not backed; or a negative KEV_E* code. `key`
 * must outlive the use of *out. */
int kev_drift_check(const kev_world *w, const char *key, kev_drift_item *out);

/* Calls `fn` for every key that drifts now, keys sorted bytewise: the
 * store's keys of backed families and the keys the kernel backs that the
 * store lacks. The item is valid during the call only. Returns the number
 * of drifting keys, or a negative KEV_E* code. */
long kev_drift_scan(const kev_world *w, void (*fn)(void *ctx, const kev_drift_item *it),
                    void *ctx);

/* The value the kernel backs for `key` now (a new reference), or NULL when
 * it backs nothing there or the family is not backed; *backed (may be
 * NULL) says whether the family is. */
kev_value *kev_drift_expected(const kev_world *w, const char *key, bool *backed);

/* The part of a store value that the kernel backs for `key`'s family (a
 * new reference; NULL when `v` is NULL or the family is not backed): the
 * values kev_drift_check compares. */
kev_value *kev_drift_backed_part(const char *key, const kev_value *v);

#endif
