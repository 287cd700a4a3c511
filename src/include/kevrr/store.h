/*
 * kevrr/store.h: the simulated SCDynamicStore (configd's server side).
 *
 * Keys are NUL-terminated byte strings mapped to property-list values.
 * kev_store_set_multiple() is SCDynamicStoreSetMultiple as configd-963's
 * server applies it: all sets in order, then all removals in order, then all
 * notifications in order. A set marks its key changed even when the value is
 * equal; removing a missing key does nothing; notifying an existing key
 * leaves its value, and notifying a missing key creates it and removes it
 * again, so nothing is left behind. Every applied operation is reported to
 * an observer, in order, so the caller can log it.
 *
 * Iteration is canonical: kev_store_keys_sorted() gives keys sorted bytewise,
 * never hash order. Resetting costs time proportional to the keys held, not
 * to any fixed capacity.
 */
#ifndef KEVRR_STORE_H
#define KEVRR_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "kevrr/value.h"

/* Caps: a key longer than this, or a store with more keys, is refused with
 * KEV_ETOOBIG. */
#define KEV_STORE_MAX_KEY 1024
#define KEV_STORE_MAX_KEYS ((size_t)1 << 20)

typedef struct kev_store kev_store;

typedef enum kev_store_opkind {
    KEV_STORE_SET,    /* value set (created or replaced) */
    KEV_STORE_REMOVE, /* key removed */
    KEV_STORE_NOTIFY  /* notification on a key */
} kev_store_opkind;

/* One applied operation, as passed to an observer. `value` is the value set
 * (SET only, else NULL); `existed` says whether the key held a value before
 * the operation; `direct` is true for kev_store_set_value (a write that
 * bypasses the cache, as Plugin:KernelEventMonitor is written). */
typedef struct kev_store_op {
    kev_store_opkind kind;
    const char *key;
    const kev_value *value;
    bool existed;
    bool direct;
} kev_store_op;

typedef struct kev_store_observer {
    void (*on_op)(void *ctx, const kev_store_op *op);
    /* Called once at the end of each SetMultiple/SetValue with the number of
     * keys watchers see as changed in that call. May be NULL. */
    void (*on_commit)(void *ctx, size_t changed);
    void *ctx;
} kev_store_observer;

/* What one SetMultiple carries. The arrays are borrowed for the call. */
typedef struct kev_store_batch {
    const char *const *set_keys;
    kev_value *const *set_values; /* borrowed: the store takes its own refs */
    size_t n_set;
    const char *const *remove_keys;
    size_t n_remove;
    const char *const *notify_keys;
    size_t n_notify;
} kev_store_batch;

kev_store *kev_store_new(void);      /* NULL when out of memory */
void kev_store_free(kev_store *s);   /* accepts NULL */
void kev_store_reset(kev_store *s);  /* empty again; cost grows with keys held */

/* The value under `key`, borrowed (valid until the store changes), or NULL. */
const kev_value *kev_store_get(const kev_store *s, const char *key);
size_t kev_store_count(const kev_store *s);

/* Fills `*keys` with a malloc'd array of the keys, sorted bytewise, borrowed
 * from the store (valid until it changes); the caller frees the array only.
 * Returns 0 or KEV_ENOMEM. With no keys, *keys is NULL and *n is 0. */
int kev_store_keys_sorted(const kev_store *s, const char ***keys, size_t *n);

/* SCDynamicStoreSetMultiple: applies `b` as described above and reports
 * each operation to `obs` (may be NULL). Returns 0 or a KEV_E* code; on
 * error the operations before the failing one stay applied. */
int kev_store_set_multiple(kev_store *s, const kev_store_batch *b,
                           const kev_store_observer *obs);

/* SCDynamicStoreSetValue: sets one key directly. Takes its own reference to
 * `v`. Returns 0 or a KEV_E* code. */
int kev_store_set_value(kev_store *s, const char *key, kev_value *v,
                        const kev_store_observer *obs);

#endif
