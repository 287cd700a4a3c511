/*
 * kev_cache.h (internal): configd's cache.c write-batching layer
 * (eventmon-facts.md s4.4), in front of a kev_store.
 *
 * Between kev__cache_open and kev__cache_write the cache holds three pending
 * containers: `set` (key -> value, in first-set order), `removals` and
 * `notifys` (ordered, de-duplicated key lists). Reads go through
 * kev__cache_copy with cache.c's precedence. kev__cache_write makes exactly
 * one kev_store_set_multiple call when anything is pending, and nothing
 * otherwise. Costs are linear in the keys touched by the batch, which is a
 * handful per recv().
 */
#ifndef KEV_CACHE_H
#define KEV_CACHE_H

#include <stdbool.h>

#include "kevrr/store.h"

/* Cap on the distinct keys one batch may touch; past it, set/remove/notify
 * fail with KEV_ETOOBIG. A 64 KiB batch of minimal events stays below. */
#define KEV_CACHE_MAX_KEYS 8192

typedef struct kev_cache kev_cache;

kev_cache *kev__cache_new(kev_store *store); /* NULL when out of memory */
void kev__cache_free(kev_cache *c);          /* accepts NULL */

/* Begins a batch: empties the pending containers and the read cache. */
void kev__cache_open(kev_cache *c);

/* cache.c Copy: the pending set value if the key is in `set`; NULL if it is
 * in `removals`; otherwise the store's value. Returns a new reference (the
 * caller unrefs) or NULL. */
kev_value *kev__cache_copy(kev_cache *c, const char *key);

/* Set: takes the key out of `removals`, then puts it in `set` (replacing a
 * pending value; the first-set position is kept). Consumes one reference to
 * `v` (also on failure). */
int kev__cache_set(kev_cache *c, const char *key, kev_value *v);
/* Remove: takes the key out of `set`, then appends it to `removals` unless
 * it is there already. */
int kev__cache_remove(kev_cache *c, const char *key);
/* Notify: appends the key to `notifys` unless it is there already. */
int kev__cache_notify(kev_cache *c, const char *key);

/* Sets the observer that sees every write queued from now on (its on_op
 * with kind SET, REMOVE or NOTIFY, `existed` telling whether the store
 * holds the key; direct false); a zeroed observer turns it off. */
void kev__cache_observe(kev_cache *c, const kev_store_observer *obs);

/* True when any pending container is non-empty. */
bool kev__cache_pending(const kev_cache *c);

/* cache_write: one kev_store_set_multiple with the pending containers, in
 * their order, when anything is pending. Returns 1 when a commit was made,
 * 0 when there was nothing to write, or a negative KEV_E* code. */
int kev__cache_write(kev_cache *c, const kev_store_observer *obs);

/* cache_close: drops the pending containers and the read cache without
 * writing (what a crash before cache_write amounts to). */
void kev__cache_close(kev_cache *c);

#endif
