/*
 * cache.c: configd's cache.c write batching (kev_cache.h, eventmon-facts.md
 * s4.4) in front of a kev_store.
 *
 * Every distinct key a batch sets, removes or notifies gets one record: a
 * copy of the key (in a byte arena), its hash, its pending value, and its
 * position in each of the three ordered containers (`set`, `removals`,
 * `notifys`), 0 when it is not a member. A container is a vector of record
 * numbers in insertion order; taking a key out of one only zeroes the
 * record's position, so the vector keeps a stale item that is skipped (a
 * valid item at index i is one whose record says i + 1). A vector that
 * would grow while more than half stale is compacted instead, so its size
 * stays linear in its live keys.
 *
 * Records are found through a small open-addressing index (linear probing,
 * at most half full). Its slots carry a generation number and are valid
 * only in the current one, so emptying the index at open/close is O(1).
 * Every operation is therefore O(1) expected, whatever the batch size (a
 * fuzzed batch can touch thousands of keys), and open/close keep all
 * capacity for the next batch: this is the fuzzing hot path.
 *
 * configd's fourth container, the read cache `keys`, is not kept: Copy
 * reads the store directly. That is observably the same, because nothing
 * writes the store between cache_open and cache_write (the one direct
 * write, Plugin:KernelEventMonitor, is posted after cache_close), so a
 * cached value would always equal the store's. And a key that was set or
 * removed in the batch is answered from `set` or `removals` before the
 * read cache is consulted.
 */
#include "kev_cache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kev_hash.h"
#include "kevrr/error.h"

enum { C_SET, C_REM, C_NOTIFY, C_COUNT };

#define INDEX_MIN_SLOTS 64u

typedef struct ck_rec {
    uint32_t key_off; /* the key's offset in the arena */
    uint32_t klen;
    uint32_t hash;
    uint32_t pos[C_COUNT]; /* index + 1 in each container; 0: not in it */
    kev_value *val;        /* the pending value while in `set` */
} ck_rec;

typedef struct ck_slot {
    uint32_t gen; /* valid only when equal to the cache's gen */
    uint32_t rec;
} ck_slot;

typedef struct ck_vec {
    uint32_t *p;
    uint32_t n;
    size_t cap;
} ck_vec;

struct kev_cache {
    kev_store *store;
    kev_store_observer queued; /* sees each queued write (kev__cache_observe) */
    ck_rec *recs;
    uint32_t n_recs;
    size_t cap_recs;
    char *arena;
    size_t arena_len, arena_cap;
    ck_slot *slots;
    uint32_t mask, gen;
    ck_vec order[C_COUNT];
    uint32_t live[C_COUNT];
    /* Scratch for cache_write: the batch's key and value arrays. */
    const char **keys;
    kev_value **vals;
    size_t keys_cap, vals_cap;
};

/* ---- lifetime --------------------------------------------------------- */

kev_cache *kev__cache_new(kev_store *store)
{
    if (store == NULL)
        return NULL;
    kev_cache *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->store = store;
    c->slots = calloc(INDEX_MIN_SLOTS, sizeof *c->slots);
    if (c->slots == NULL) {
        free(c);
        return NULL;
    }
    c->mask = INDEX_MIN_SLOTS - 1;
    c->gen = 1; /* calloc'd slots have gen 0: all empty */
    return c;
}

/* Drops the pending values and empties every container, keeping their
 * memory for the next batch. */
static void cache_empty(kev_cache *c)
{
    for (uint32_t i = 0; i < c->n_recs; i++)
        kev_value_unref(c->recs[i].val);
    c->n_recs = 0;
    c->arena_len = 0;
    for (int k = 0; k < C_COUNT; k++) {
        c->order[k].n = 0;
        c->live[k] = 0;
    }
    /* A new generation empties the index. After 2^32 of them old slots
     * could look valid again, so then they are really cleared. */
    if (++c->gen == 0) {
        memset(c->slots, 0, ((size_t)c->mask + 1) * sizeof *c->slots);
        c->gen = 1;
    }
}

void kev__cache_free(kev_cache *c)
{
    if (c == NULL)
        return;
    cache_empty(c);
    free(c->recs);
    free(c->arena);
    free(c->slots);
    for (int k = 0; k < C_COUNT; k++)
        free(c->order[k].p);
    free(c->keys);
    free(c->vals);
    free(c);
}

void kev__cache_open(kev_cache *c)
{
    cache_empty(c);
}

void kev__cache_close(kev_cache *c)
{
    cache_empty(c);
}

/* ---- the record index ------------------------------------------------- */

/* Keys are hashed with kev__key_hash (kev_hash.h), shared with the
 * store. */

static const char *rec_key(const kev_cache *c, const ck_rec *r)
{
    return c->arena + r->key_off;
}

/* Finds the record of `key`: its number, or -1 with `*slot` the free slot
 * where it would go. */
static long index_find(const kev_cache *c, const char *key, size_t klen, uint32_t hash,
                       uint32_t *slot)
{
    for (uint32_t i = hash & c->mask;; i = (i + 1) & c->mask) {
        const ck_slot *sl = &c->slots[i];
        if (sl->gen != c->gen) {
            *slot = i;
            return -1;
        }
        const ck_rec *r = &c->recs[sl->rec];
        if (r->hash == hash && r->klen == klen && memcmp(rec_key(c, r), key, klen) == 0)
            return (long)sl->rec;
    }
}

/* Doubles the index and re-places every record. */
static int index_grow(kev_cache *c)
{
    size_t nslots = ((size_t)c->mask + 1) * 2;
    ck_slot *slots = calloc(nslots, sizeof *slots);
    if (slots == NULL)
        return KEV_ENOMEM;
    free(c->slots);
    c->slots = slots;
    c->mask = (uint32_t)(nslots - 1);
    c->gen = 1;
    for (uint32_t r = 0; r < c->n_recs; r++) {
        uint32_t i = c->recs[r].hash & c->mask;
        while (slots[i].gen == c->gen)
            i = (i + 1) & c->mask;
        slots[i].gen = c->gen;
        slots[i].rec = r;
    }
    return 0;
}

/* Returns `p` (an array of `*cap` items of `size` bytes) grown to hold
 * `need` > 0 items, or NULL when out of memory (then `p` is untouched).
 * Capacity doubles, so appends are amortised O(1). */
static void *grow_to(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return p;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need)
        ncap *= 2;
    void *np = realloc(p, ncap * size);
    if (np != NULL)
        *cap = ncap;
    return np;
}

/* Makes room for one more record of `klen` key bytes. */
static int rec_reserve(kev_cache *c, size_t klen)
{
    if (c->n_recs >= KEV_CACHE_MAX_KEYS)
        return KEV_ETOOBIG;
    ck_rec *recs = grow_to(c->recs, &c->cap_recs, (size_t)c->n_recs + 1, sizeof *recs);
    if (recs == NULL)
        return KEV_ENOMEM;
    c->recs = recs;
    char *arena = grow_to(c->arena, &c->arena_cap, c->arena_len + klen + 1, 1);
    if (arena == NULL)
        return KEV_ENOMEM;
    c->arena = arena;
    /* Linear probing stays short at most half full. */
    if (((size_t)c->n_recs + 1) * 2 > (size_t)c->mask + 1)
        return index_grow(c);
    return 0;
}

/* The record of `key`, created (in no container) when missing. Returns its
 * number or a negative KEV_E* code. Keys the store would refuse are
 * refused here already, so a batch never fails as a whole at write time
 * for one of them; that also bounds the arena. */
static long rec_get(kev_cache *c, const char *key)
{
    if (key == NULL)
        return KEV_EINVAL;
    size_t klen;
    uint32_t slot, hash = kev__key_hash(key, &klen);
    if (klen > KEV_STORE_MAX_KEY)
        return KEV_ETOOBIG;
    long r = index_find(c, key, klen, hash, &slot);
    if (r >= 0)
        return r;
    int err = rec_reserve(c, klen);
    if (err)
        return err;
    (void)index_find(c, key, klen, hash, &slot); /* the index may have grown */
    uint32_t n = c->n_recs++;
    ck_rec *rec = &c->recs[n];
    memset(rec, 0, sizeof *rec);
    rec->key_off = (uint32_t)c->arena_len;
    rec->klen = (uint32_t)klen;
    rec->hash = hash;
    memcpy(c->arena + c->arena_len, key, klen + 1);
    c->arena_len += klen + 1;
    c->slots[slot].gen = c->gen;
    c->slots[slot].rec = n;
    return (long)n;
}

/* ---- the ordered containers ------------------------------------------- */

static bool in_container(const kev_cache *c, uint32_t r, int k)
{
    return c->recs[r].pos[k] != 0;
}

/* Drops the stale items of container `k` and renumbers the live ones. */
static void order_compact(kev_cache *c, int k)
{
    ck_vec *o = &c->order[k];
    uint32_t w = 0;
    for (uint32_t i = 0; i < o->n; i++) {
        uint32_t r = o->p[i];
        if (c->recs[r].pos[k] == i + 1) {
            o->p[w++] = r;
            c->recs[r].pos[k] = w;
        }
    }
    o->n = w;
}

/* Appends record `r` to container `k` (it is not a member). */
static int order_push(kev_cache *c, uint32_t r, int k)
{
    ck_vec *o = &c->order[k];
    if (o->n == o->cap && o->n > 2 * c->live[k])
        order_compact(c, k);
    uint32_t *p = grow_to(o->p, &o->cap, (size_t)o->n + 1, sizeof *p);
    if (p == NULL)
        return KEV_ENOMEM;
    o->p = p;
    o->p[o->n++] = r;
    c->recs[r].pos[k] = o->n;
    c->live[k]++;
    return 0;
}

/* Takes record `r` out of container `k` (it is a member). */
static void order_drop(kev_cache *c, uint32_t r, int k)
{
    c->recs[r].pos[k] = 0;
    c->live[k]--;
}

/* ---- operations ------------------------------------------------------- */

kev_value *kev__cache_copy(kev_cache *c, const char *key)
{
    if (key == NULL)
        return NULL;
    size_t klen;
    uint32_t slot, hash = kev__key_hash(key, &klen);
    long r = klen > KEV_STORE_MAX_KEY ? -1 : index_find(c, key, klen, hash, &slot);
    if (r >= 0 && in_container(c, (uint32_t)r, C_SET))
        return kev_value_ref(c->recs[r].val);
    if (r >= 0 && in_container(c, (uint32_t)r, C_REM))
        return NULL;
    /* The reference count of a shared value may change; its content not. */
    return kev_value_ref((kev_value *)kev_store_get(c->store, key));
}

void kev__cache_observe(kev_cache *c, const kev_store_observer *obs)
{
    c->queued = *obs;
}

/* Tells the queue observer, if any, what was just queued. */
static void queued(const kev_cache *c, kev_store_opkind kind, const char *key,
                   const kev_value *v)
{
    if (c->queued.on_op == NULL)
        return;
    kev_store_op op = {kind, key, v, kev_store_get(c->store, key) != NULL, false};
    c->queued.on_op(c->queued.ctx, &op);
}

int kev__cache_set(kev_cache *c, const char *key, kev_value *v)
{
    long r = v ? rec_get(c, key) : KEV_EINVAL;
    int err = r < 0 ? (int)r : 0;
    if (err == 0 && !in_container(c, (uint32_t)r, C_SET))
        err = order_push(c, (uint32_t)r, C_SET);
    if (err) {
        kev_value_unref(v);
        return err;
    }
    ck_rec *rec = &c->recs[r];
    if (rec->pos[C_REM])
        order_drop(c, (uint32_t)r, C_REM);
    kev_value_unref(rec->val); /* a replaced pending value */
    rec->val = v;
    queued(c, KEV_STORE_SET, key, v);
    return 0;
}

int kev__cache_remove(kev_cache *c, const char *key)
{
    long r = rec_get(c, key);
    if (r < 0)
        return (int)r;
    int err = 0;
    if (!in_container(c, (uint32_t)r, C_REM))
        err = order_push(c, (uint32_t)r, C_REM);
    if (err)
        return err;
    ck_rec *rec = &c->recs[r];
    if (rec->pos[C_SET]) {
        order_drop(c, (uint32_t)r, C_SET);
        kev_value_unref(rec->val);
        rec->val = NULL;
    }
    queued(c, KEV_STORE_REMOVE, key, NULL);
    return 0;
}

int kev__cache_notify(kev_cache *c, const char *key)
{
    long r = rec_get(c, key);
    if (r < 0)
        return (int)r;
    if (in_container(c, (uint32_t)r, C_NOTIFY))
        return 0;
    int err = order_push(c, (uint32_t)r, C_NOTIFY);
    if (err == 0)
        queued(c, KEV_STORE_NOTIFY, key, NULL);
    return err;
}

bool kev__cache_pending(const kev_cache *c)
{
    return c->live[C_SET] || c->live[C_REM] || c->live[C_NOTIFY];
}

/* ---- write ------------------------------------------------------------ */

/* Copies the live keys of container `k`, in order, to `out`; with `vals`,
 * their pending values too. Returns the number copied. */
static size_t order_collect(const kev_cache *c, int k, const char **out, kev_value **vals)
{
    const ck_vec *o = &c->order[k];
    size_t n = 0;
    for (uint32_t i = 0; i < o->n; i++) {
        const ck_rec *rec = &c->recs[o->p[i]];
        if (rec->pos[k] != i + 1)
            continue; /* stale: the key was taken out */
        if (vals)
            vals[n] = rec->val;
        out[n++] = rec_key(c, rec);
    }
    return n;
}

/* The pending containers stay as they are after a write (configd's
 * cache_write does not empty them either); cache_close drops them. */
int kev__cache_write(kev_cache *c, const kev_store_observer *obs)
{
    if (!kev__cache_pending(c))
        return 0;
    size_t ns = c->live[C_SET], nr = c->live[C_REM], nn = c->live[C_NOTIFY];
    const char **keys = grow_to(c->keys, &c->keys_cap, ns + nr + nn, sizeof *keys);
    if (keys == NULL)
        return KEV_ENOMEM;
    c->keys = keys;
    kev_value **vals = grow_to(c->vals, &c->vals_cap, ns ? ns : 1, sizeof *vals);
    if (vals == NULL)
        return KEV_ENOMEM;
    c->vals = vals;
    order_collect(c, C_SET, c->keys, c->vals);
    order_collect(c, C_REM, c->keys + ns, NULL);
    order_collect(c, C_NOTIFY, c->keys + ns + nr, NULL);
    kev_store_batch b = {c->keys, c->vals, ns, c->keys + ns, nr, c->keys + ns + nr, nn};
    int err = kev_store_set_multiple(c->store, &b, obs);
    return err ? err : 1;
}
