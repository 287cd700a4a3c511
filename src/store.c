/*
 * store.c: the simulated SCDynamicStore of kevrr/store.h.
 *
 * Keys live in a dense vector of entries (key copy, value, hash); an
 * open-addressing table of slots maps a key to its entry. The table uses
 * linear probing over a power-of-two number of slots, grown at 70% load,
 * and a multiplicative hash taken eight bytes at a time, finished by
 * murmur3's fmix64 (so that the low bits that pick the slot depend on every
 * byte). Each slot keeps the full hash, so probing
 * rarely touches an entry that does not match, and growing never rehashes a
 * key.
 *
 * Removal uses backward-shift deletion instead of tombstones: the slots
 * after the hole are moved back while that keeps them reachable, so the
 * table never fills with dead slots and lookups stay short after any mix
 * of sets and removes. The entry vector is kept dense by moving the last
 * entry into the hole. Every entry records the slot that points to it,
 * which makes both moves O(1) and lets kev_store_reset clear exactly the
 * slots in use: resetting costs time proportional to the keys held, never
 * to the table's capacity (which is kept for the next run, not shrunk).
 *
 * SetMultiple counts each key it changes once per call. An entry carries
 * the number (`mark`) of the last call that changed it; keys that are gone
 * by the time they are changed again (removed, or notified while missing)
 * are remembered in a second, scratch table of borrowed keys that is
 * emptied at the end of the call.
 */
#include "kevrr/store.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kev_hash.h"
#include "kevrr/error.h"

#define TAB_MIN_SLOTS 16u
#define TAB_MIN_ENTS  8u

typedef struct st_ent {
    char *key;      /* owned copy in the store, borrowed in the scratch set */
    kev_value *val; /* one reference; NULL in the scratch set */
    uint32_t klen;
    uint32_t hash;
    uint32_t slot; /* index of the slot that points to this entry */
    uint32_t mark; /* the last call (epoch) that changed this key */
} st_ent;

typedef struct st_slot {
    uint32_t idx1; /* entry index + 1; 0 means empty */
    uint32_t hash;
} st_slot;

typedef struct st_table {
    st_slot *slots;
    uint32_t mask; /* number of slots - 1 */
    st_ent *ents;
    uint32_t n, cap;
} st_table;

struct kev_store {
    st_table tab;  /* the keys and values */
    st_table gone; /* scratch: keys gone after being changed in this call */
    uint32_t epoch;
};

/* ---- hashing ---------------------------------------------------------- */

/* Keys are hashed with kev__key_hash (kev_hash.h), shared with the
 * cache. */

/* ---- the table -------------------------------------------------------- */

static int tab_init(st_table *t)
{
    t->slots = calloc(TAB_MIN_SLOTS, sizeof *t->slots);
    t->ents = malloc(TAB_MIN_ENTS * sizeof *t->ents);
    t->mask = TAB_MIN_SLOTS - 1;
    t->n = 0;
    t->cap = TAB_MIN_ENTS;
    return (t->slots && t->ents) ? 0 : KEV_ENOMEM;
}

static void tab_destroy(st_table *t)
{
    free(t->slots);
    free(t->ents);
}

/* Looks `key` up. True when found, with `*pos` its slot; else false. */
static bool tab_find(const st_table *t, const char *key, size_t klen, uint32_t hash,
                     uint32_t *pos)
{
    for (uint32_t i = hash & t->mask;; i = (i + 1) & t->mask) {
        const st_slot *sl = &t->slots[i];
        if (sl->idx1 == 0)
            return false;
        const st_ent *e = &t->ents[sl->idx1 - 1];
        if (sl->hash == hash && e->klen == klen && memcmp(e->key, key, klen) == 0) {
            *pos = i;
            return true;
        }
    }
}

/* Points the first free slot on `e`'s probe path at entry `idx`. */
static void tab_place(st_table *t, uint32_t idx)
{
    st_ent *e = &t->ents[idx];
    uint32_t i = e->hash & t->mask;
    while (t->slots[i].idx1 != 0)
        i = (i + 1) & t->mask;
    t->slots[i].idx1 = idx + 1;
    t->slots[i].hash = e->hash;
    e->slot = i;
}

/* Doubles the slots and re-places every entry (from its stored hash). */
static int tab_grow_slots(st_table *t)
{
    size_t nslots = ((size_t)t->mask + 1) * 2;
    st_slot *slots = calloc(nslots, sizeof *slots);
    if (slots == NULL)
        return KEV_ENOMEM;
    free(t->slots);
    t->slots = slots;
    t->mask = (uint32_t)(nslots - 1);
    for (uint32_t i = 0; i < t->n; i++)
        tab_place(t, i);
    return 0;
}

/* Makes room for one more entry. Returns 0, KEV_ETOOBIG (the table holds
 * KEV_STORE_MAX_KEYS already) or KEV_ENOMEM. */
static int tab_reserve(st_table *t)
{
    if (t->n >= KEV_STORE_MAX_KEYS)
        return KEV_ETOOBIG;
    if (t->n == t->cap) {
        uint32_t cap = t->cap ? t->cap * 2 : TAB_MIN_ENTS;
        st_ent *ents = realloc(t->ents, cap * sizeof *ents);
        if (ents == NULL)
            return KEV_ENOMEM;
        t->ents = ents;
        t->cap = cap;
    }
    /* Linear probing degrades fast past ~70% load. */
    if (((uint64_t)t->n + 1) * 10 > ((uint64_t)t->mask + 1) * 7)
        return tab_grow_slots(t);
    return 0;
}

/* Adds an entry for a key known to be absent and puts its index in
 * `*idx`. Returns 0 or a KEV_E* code. `key` is stored as given (the caller
 * owns the copying policy). */
static int tab_insert(st_table *t, char *key, size_t klen, uint32_t hash, uint32_t *idx)
{
    int err = tab_reserve(t);
    if (err)
        return err;
    *idx = t->n++;
    st_ent *e = &t->ents[*idx];
    e->key = key;
    e->val = NULL;
    e->klen = (uint32_t)klen;
    e->hash = hash;
    e->mark = 0;
    tab_place(t, *idx);
    return 0;
}

/* Empties slot `hole` by backward shift: each following slot of the same
 * cluster moves into the hole unless that would put it before its home
 * slot (where a lookup starts), in which case it stays and is skipped. */
static void tab_unslot(st_table *t, uint32_t hole)
{
    uint32_t j = hole;
    for (;;) {
        j = (j + 1) & t->mask;
        st_slot sl = t->slots[j];
        if (sl.idx1 == 0)
            break;
        uint32_t home = sl.hash & t->mask;
        /* Movable when the hole lies between its home and j (cyclically). */
        if (((j - home) & t->mask) >= ((j - hole) & t->mask)) {
            t->slots[hole] = sl;
            t->ents[sl.idx1 - 1].slot = hole;
            hole = j;
        }
    }
    t->slots[hole].idx1 = 0;
}

/* Removes entry `idx` (its key and value are the caller's to release) and
 * moves the last entry into its place. */
static void tab_delete(st_table *t, uint32_t idx)
{
    tab_unslot(t, t->ents[idx].slot);
    uint32_t last = --t->n;
    if (idx != last) {
        t->ents[idx] = t->ents[last];
        t->slots[t->ents[idx].slot].idx1 = idx + 1;
    }
}

/* Empties the table in time proportional to its entries: only their own
 * slots are cleared. `owned` releases keys and values too. */
static void tab_clear(st_table *t, bool owned)
{
    for (uint32_t i = 0; i < t->n; i++) {
        st_ent *e = &t->ents[i];
        t->slots[e->slot].idx1 = 0;
        if (owned) {
            free(e->key);
            kev_value_unref(e->val);
        }
    }
    t->n = 0;
}

/* ---- the store -------------------------------------------------------- */

kev_store *kev_store_new(void)
{
    kev_store *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    int e1 = tab_init(&s->tab), e2 = tab_init(&s->gone);
    if (e1 || e2) {
        kev_store_free(s);
        return NULL;
    }
    return s;
}

void kev_store_free(kev_store *s)
{
    if (s == NULL)
        return;
    tab_clear(&s->tab, true);
    tab_destroy(&s->tab);
    tab_destroy(&s->gone);
    free(s);
}

void kev_store_reset(kev_store *s)
{
    tab_clear(&s->tab, true);
}

/* The entry of `key`, or NULL (also for keys over the length cap, which
 * the store cannot hold). */
static st_ent *store_lookup(const kev_store *s, const char *key)
{
    size_t klen;
    uint32_t pos, hash = kev__key_hash(key, &klen);
    if (klen > KEV_STORE_MAX_KEY || !tab_find(&s->tab, key, klen, hash, &pos))
        return NULL;
    return &s->tab.ents[s->tab.slots[pos].idx1 - 1];
}

const kev_value *kev_store_get(const kev_store *s, const char *key)
{
    const st_ent *e = key ? store_lookup(s, key) : NULL;
    return e ? e->val : NULL;
}

size_t kev_store_count(const kev_store *s)
{
    return s->tab.n;
}

/* qsort order: strcmp compares as unsigned char, i.e. bytewise. */
static int cmp_keys(const void *a, const void *b)
{
    const char *const *x = a, *const *y = b;
    return strcmp(*x, *y);
}

int kev_store_keys_sorted(const kev_store *s, const char ***keys, size_t *n)
{
    *keys = NULL;
    *n = 0;
    if (s->tab.n == 0)
        return 0;
    const char **k = malloc(s->tab.n * sizeof *k);
    if (k == NULL)
        return KEV_ENOMEM;
    for (uint32_t i = 0; i < s->tab.n; i++)
        k[i] = s->tab.ents[i].key;
    qsort(k, s->tab.n, sizeof *k, cmp_keys);
    *keys = k;
    *n = s->tab.n;
    return 0;
}

/* ---- applying operations ---------------------------------------------- */

/* One SetMultiple/SetValue in progress. */
typedef struct st_call {
    kev_store *s;
    const kev_store_observer *obs;
    size_t changed; /* distinct keys changed so far */
} st_call;

/* Starts a call: a new epoch, so that no entry counts as changed yet. On
 * wrap-around the old marks could collide with new epochs, so they are
 * cleared (once every 2^32 calls). */
static st_call call_begin(kev_store *s, const kev_store_observer *obs)
{
    if (++s->epoch == 0) {
        for (uint32_t i = 0; i < s->tab.n; i++)
            s->tab.ents[i].mark = 0;
        s->epoch = 1;
    }
    st_call c = {s, obs, 0};
    return c;
}

static void call_report(const st_call *c, kev_store_opkind kind, const char *key,
                        const kev_value *v, bool existed, bool direct)
{
    if (c->obs == NULL || c->obs->on_op == NULL)
        return;
    kev_store_op op = {kind, key, v, existed, direct};
    c->obs->on_op(c->obs->ctx, &op);
}

/* Counts entry `e` as changed unless this call changed it already. */
static void call_touch(st_call *c, st_ent *e)
{
    if (e->mark != c->s->epoch) {
        e->mark = c->s->epoch;
        c->changed++;
    }
}

/* Hashes `key` for an operation: 0, KEV_EINVAL (NULL) or KEV_ETOOBIG. */
static int op_key(const char *key, size_t *klen, uint32_t *hash)
{
    if (key == NULL)
        return KEV_EINVAL;
    *hash = kev__key_hash(key, klen);
    return *klen > KEV_STORE_MAX_KEY ? KEV_ETOOBIG : 0;
}

/* Creates the entry of a missing key with a copy of the key and puts its
 * index in `*idx`. Returns 0 or a KEV_E* code. */
static int store_create(kev_store *s, const char *key, size_t klen, uint32_t hash,
                        uint32_t *idx)
{
    char *copy = malloc(klen + 1);
    if (copy == NULL)
        return KEV_ENOMEM;
    memcpy(copy, key, klen + 1);
    int err = tab_insert(&s->tab, copy, klen, hash, idx);
    if (err)
        free(copy);
    return err;
}

static int op_set(st_call *c, const char *key, kev_value *v, bool direct)
{
    size_t klen;
    uint32_t hash, pos;
    int err = op_key(key, &klen, &hash);
    if (err == 0 && v == NULL)
        err = KEV_EINVAL;
    if (err)
        return err;
    st_table *t = &c->s->tab;
    uint32_t idx = 0;
    bool existed = tab_find(t, key, klen, hash, &pos);
    if (existed)
        idx = t->slots[pos].idx1 - 1;
    else if ((err = store_create(c->s, key, klen, hash, &idx)) != 0)
        return err;
    st_ent *e = &t->ents[idx];
    kev_value_ref(v); /* before the unref: `v` may be the old value */
    kev_value_unref(e->val);
    e->val = v;
    call_touch(c, e);
    call_report(c, KEV_STORE_SET, key, v, existed, direct);
    return 0;
}

/* Remembers a key that is gone after being counted as changed. The scratch
 * set borrows the caller's key for the call; it never writes or frees it,
 * hence the cast. */
static int gone_add(st_call *c, const char *key, size_t klen, uint32_t hash)
{
    uint32_t idx;
    return tab_insert(&c->s->gone, (char *)(uintptr_t)key, klen, hash, &idx);
}

static bool gone_has(const st_call *c, const char *key, size_t klen, uint32_t hash)
{
    uint32_t pos;
    return tab_find(&c->s->gone, key, klen, hash, &pos);
}

/* Removes `key`. `track` says whether later operations of the call may
 * name it again (then it must be remembered as counted). */
static int op_remove(st_call *c, const char *key, bool track)
{
    size_t klen;
    uint32_t hash, pos;
    int err = op_key(key, &klen, &hash);
    if (err)
        return err;
    st_table *t = &c->s->tab;
    bool existed = tab_find(t, key, klen, hash, &pos);
    if (existed) {
        if (track && (err = gone_add(c, key, klen, hash)) != 0)
            return err;
        uint32_t idx = t->slots[pos].idx1 - 1;
        st_ent *e = &t->ents[idx];
        call_touch(c, e);
        free(e->key);
        kev_value_unref(e->val);
        tab_delete(t, idx);
    }
    call_report(c, KEV_STORE_REMOVE, key, NULL, existed, false);
    return 0;
}

/* Notifies `key`: an existing value is left as it is; a missing key would
 * be created and removed again, which leaves nothing, so it is not
 * created at all. Either way the key counts as changed. */
static int op_notify(st_call *c, const char *key, bool track)
{
    size_t klen;
    uint32_t hash, pos;
    int err = op_key(key, &klen, &hash);
    if (err)
        return err;
    st_table *t = &c->s->tab;
    bool existed = tab_find(t, key, klen, hash, &pos);
    if (existed) {
        call_touch(c, &t->ents[t->slots[pos].idx1 - 1]);
    } else if (!gone_has(c, key, klen, hash)) {
        if (track && (err = gone_add(c, key, klen, hash)) != 0)
            return err;
        c->changed++;
    }
    call_report(c, KEV_STORE_NOTIFY, key, NULL, existed, false);
    return 0;
}

/* Applies the three phases of `b` in configd-963's order. */
static int apply_batch(st_call *c, const kev_store_batch *b)
{
    int err = 0;
    for (size_t i = 0; err == 0 && i < b->n_set; i++)
        err = op_set(c, b->set_keys[i], b->set_values[i], false);
    /* A removed key matters again only if a notify may name it. */
    for (size_t i = 0; err == 0 && i < b->n_remove; i++)
        err = op_remove(c, b->remove_keys[i], b->n_notify > 0);
    for (size_t i = 0; err == 0 && i < b->n_notify; i++)
        err = op_notify(c, b->notify_keys[i], i + 1 < b->n_notify);
    return err;
}

/* Ends a call: forgets the scratch keys and, when the call succeeded,
 * reports the commit. A failed call has no commit: the operations it
 * applied were reported one by one, and the caller gets the error. */
static int call_end(st_call *c, int err)
{
    tab_clear(&c->s->gone, false);
    if (err == 0 && c->obs && c->obs->on_commit)
        c->obs->on_commit(c->obs->ctx, c->changed);
    return err;
}

int kev_store_set_multiple(kev_store *s, const kev_store_batch *b,
                           const kev_store_observer *obs)
{
    if (s == NULL || b == NULL)
        return KEV_EINVAL;
    st_call c = call_begin(s, obs);
    return call_end(&c, apply_batch(&c, b));
}

int kev_store_set_value(kev_store *s, const char *key, kev_value *v,
                        const kev_store_observer *obs)
{
    if (s == NULL)
        return KEV_EINVAL;
    st_call c = call_begin(s, obs);
    return call_end(&c, op_set(&c, key, v, true));
}
