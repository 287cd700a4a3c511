/*
 * test_cache.c: configd's cache.c batching (src/kev_cache.h): Copy's
 * precedence, how set/remove/notify move keys between the pending
 * containers, de-duplication and order, one SetMultiple per write (seen
 * through a store observer that logs every op and commit), discarding on
 * close, and a randomized run against a naive reference model of the three
 * containers. Lifetimes are checked by ASan's leak checker.
 */
#include <stdint.h>

#include "kev_cache.h"
#include "kev_test.h"
#include "kevrr/error.h"
#include "kevrr/store.h"
#include "kevrr/strbuf.h"
#include "kevrr/value.h"

/* ---- an observer that logs every op and commit as one line ------------ */

static void log_op(void *ctx, const kev_store_op *op)
{
    static const char *const names[] = {"set", "remove", "notify"};
    kev_strbuf *sb = ctx;
    kev_strbuf_addf(sb, "%s %s", names[op->kind], op->key);
    if (op->value) {
        kev_strbuf_addc(sb, ' ');
        kev_value_format(op->value, sb);
    }
    if (op->existed)
        kev_strbuf_adds(sb, " existed");
    if (op->direct)
        kev_strbuf_adds(sb, " direct");
    kev_strbuf_addc(sb, '\n');
}

static void log_commit(void *ctx, size_t changed)
{
    kev_strbuf_addf(ctx, "commit %zu\n", changed);
}

/* A store, a cache in front of it, and the log of what reaches the store. */
typedef struct fixture {
    kev_store *store;
    kev_cache *cache;
    kev_strbuf log;
    kev_store_observer obs;
} fixture;

static void fx_init(fixture *f)
{
    f->store = kev_store_new();
    ASSERT_NOT_NULL(f->store);
    f->cache = kev__cache_new(f->store);
    ASSERT_NOT_NULL(f->cache);
    kev_strbuf_init(&f->log);
    f->obs.on_op = log_op;
    f->obs.on_commit = log_commit;
    f->obs.ctx = &f->log;
}

static void fx_free(fixture *f)
{
    kev__cache_free(f->cache);
    kev_store_free(f->store);
    kev_strbuf_free(&f->log);
}

/* Asserts the log is `want`, then empties it. */
static void check_log(fixture *f, const char *want)
{
    ASSERT_EQ_INT(f->log.err, 0);
    ASSERT_EQ_STR(kev_strbuf_str(&f->log), want);
    kev_strbuf_clear(&f->log);
}

static void store_int(fixture *f, const char *key, int64_t i)
{
    kev_value *v = kev_value_int(i);
    ASSERT_EQ_INT(kev_store_set_value(f->store, key, v, NULL), 0);
    kev_value_unref(v);
}

static void cset(fixture *f, const char *key, int64_t i)
{
    ASSERT_EQ_INT(kev__cache_set(f->cache, key, kev_value_int(i)), 0);
}

/* Asserts that Copy(key) gives the int `want`, or NULL when `present` is
 * false. */
static void check_copy(fixture *f, const char *key, bool present, int64_t want)
{
    kev_value *v = kev__cache_copy(f->cache, key);
    if (!present) {
        ASSERT_NULL(v);
        return;
    }
    ASSERT_NOT_NULL(v);
    ASSERT_EQ_INT(kev_value_get_int(v), want);
    kev_value_unref(v);
}

/* ---- tests ------------------------------------------------------------ */

KEV_TEST(copy_precedence)
{
    fixture f;
    fx_init(&f);
    store_int(&f, "K", 1);
    store_int(&f, "L", 2);
    kev__cache_open(f.cache);
    check_copy(&f, "K", true, 1); /* the store */
    cset(&f, "K", 10);
    check_copy(&f, "K", true, 10); /* pending set over the store */
    ASSERT_EQ_INT(kev__cache_remove(f.cache, "K"), 0);
    check_copy(&f, "K", false, 0); /* pending removal over the store */
    cset(&f, "K", 11);
    check_copy(&f, "K", true, 11); /* a set after the removal wins */
    check_copy(&f, "L", true, 2);
    ASSERT_EQ_INT(kev__cache_notify(f.cache, "L"), 0);
    check_copy(&f, "L", true, 2); /* a notify does not hide the value */
    ASSERT_EQ_INT(kev__cache_remove(f.cache, "L"), 0);
    check_copy(&f, "L", false, 0);
    check_copy(&f, "M", false, 0);
    ASSERT_NULL(kev__cache_copy(f.cache, NULL));
    /* Nothing reached the store yet. */
    ASSERT_EQ_INT(kev_value_get_int(kev_store_get(f.store, "K")), 1);
    ASSERT_EQ_INT(kev_value_get_int(kev_store_get(f.store, "L")), 2);
    ASSERT_EQ_INT(kev__cache_write(f.cache, &f.obs), 1);
    check_log(&f, "set K 11 existed\nremove L existed\nnotify L\ncommit 2\n");
    kev__cache_close(f.cache);
    fx_free(&f);
}

KEV_TEST(copy_returns_a_new_reference)
{
    fixture f;
    fx_init(&f);
    store_int(&f, "K", 1);
    kev__cache_open(f.cache);
    kev_value *from_store = kev__cache_copy(f.cache, "K");
    ASSERT_TRUE(from_store == kev_store_get(f.store, "K"));
    kev_value *pending = kev_value_cstring("pending");
    ASSERT_EQ_INT(kev__cache_set(f.cache, "P", kev_value_ref(pending)), 0);
    kev_value *from_set = kev__cache_copy(f.cache, "P");
    ASSERT_TRUE(from_set == pending);
    kev_value_unref(pending);
    /* Both outlive their holders. */
    kev__cache_close(f.cache);
    kev_store_reset(f.store);
    ASSERT_EQ_INT(kev_value_get_int(from_store), 1);
    size_t len;
    ASSERT_EQ_STR(kev_value_get_string(from_set, &len), "pending");
    kev_value_unref(from_store);
    kev_value_unref(from_set);
    fx_free(&f);
}

KEV_TEST(set_after_remove_leaves_removals)
{
    fixture f;
    fx_init(&f);
    store_int(&f, "K", 1);
    kev__cache_open(f.cache);
    ASSERT_EQ_INT(kev__cache_remove(f.cache, "K"), 0);
    cset(&f, "K", 5);
    ASSERT_EQ_INT(kev__cache_write(f.cache, &f.obs), 1);
    check_log(&f, "set K 5 existed\ncommit 1\n");
    kev__cache_close(f.cache);
    ASSERT_EQ_INT(kev_value_get_int(kev_store_get(f.store, "K")), 5);
    fx_free(&f);
}

KEV_TEST(remove_after_set_leaves_set)
{
    fixture f;
    fx_init(&f);
    kev__cache_open(f.cache);
    cset(&f, "K", 5);
    ASSERT_EQ_INT(kev__cache_remove(f.cache, "K"), 0);
    ASSERT_TRUE(kev__cache_pending(f.cache));
    ASSERT_EQ_INT(kev__cache_write(f.cache, &f.obs), 1);
    check_log(&f, "remove K\ncommit 0\n");
    kev__cache_close(f.cache);
    ASSERT_NULL(kev_store_get(f.store, "K"));
    fx_free(&f);
}

KEV_TEST(dedup_removals_and_notifys)
{
    fixture f;
    fx_init(&f);
    store_int(&f, "A", 1);
    kev__cache_open(f.cache);
    ASSERT_EQ_INT(kev__cache_remove(f.cache, "A"), 0);
    ASSERT_EQ_INT(kev__cache_notify(f.cache, "N"), 0);
    ASSERT_EQ_INT(kev__cache_remove(f.cache, "A"), 0);
    ASSERT_EQ_INT(kev__cache_notify(f.cache, "N"), 0);
    ASSERT_EQ_INT(kev__cache_remove(f.cache, "B"), 0);
    ASSERT_EQ_INT(kev__cache_notify(f.cache, "A"), 0);
    ASSERT_EQ_INT(kev__cache_notify(f.cache, "N"), 0);
    ASSERT_EQ_INT(kev__cache_write(f.cache, &f.obs), 1);
    /* Changed: A (removed, then notified: once) and N. */
    check_log(&f, "remove A existed\nremove B\nnotify N\nnotify A\ncommit 2\n");
    kev__cache_close(f.cache);
    fx_free(&f);
}

KEV_TEST(set_keeps_first_set_position)
{
    fixture f;
    fx_init(&f);
    kev__cache_open(f.cache);
    cset(&f, "A", 1);
    cset(&f, "B", 2);
    cset(&f, "A", 3); /* replaces the pending value, stays first */
    ASSERT_EQ_INT(kev__cache_write(f.cache, &f.obs), 1);
    check_log(&f, "set A 3\nset B 2\ncommit 2\n");
    kev__cache_close(f.cache);

    /* Taken out and put back, a key goes to the end. */
    kev__cache_open(f.cache);
    cset(&f, "A", 4);
    cset(&f, "B", 5);
    ASSERT_EQ_INT(kev__cache_remove(f.cache, "A"), 0);
    cset(&f, "A", 6);
    ASSERT_EQ_INT(kev__cache_remove(f.cache, "X"), 0);
    ASSERT_EQ_INT(kev__cache_remove(f.cache, "Y"), 0);
    cset(&f, "X", 7);
    ASSERT_EQ_INT(kev__cache_remove(f.cache, "X"), 0);
    ASSERT_EQ_INT(kev__cache_write(f.cache, &f.obs), 1);
    check_log(&f, "set B 5 existed\nset A 6 existed\nremove Y\nremove X\n"
                  "commit 2\n");
    kev__cache_close(f.cache);
    fx_free(&f);
}

KEV_TEST(batch_reaches_store_in_phase_order)
{
    fixture f;
    fx_init(&f);
    store_int(&f, "r1", 1);
    store_int(&f, "n1", 2);
    kev__cache_open(f.cache);
    cset(&f, "c", 1);
    ASSERT_EQ_INT(kev__cache_notify(f.cache, "n1"), 0);
    ASSERT_EQ_INT(kev__cache_remove(f.cache, "r1"), 0);
    cset(&f, "a", 2);
    ASSERT_EQ_INT(kev__cache_remove(f.cache, "r2"), 0);
    ASSERT_EQ_INT(kev__cache_notify(f.cache, "n2"), 0);
    cset(&f, "b", 3);
    ASSERT_EQ_INT(kev__cache_write(f.cache, &f.obs), 1);
    check_log(&f, "set c 1\nset a 2\nset b 3\n"
                  "remove r1 existed\nremove r2\n"
                  "notify n1 existed\nnotify n2\n"
                  "commit 6\n");
    kev__cache_close(f.cache);
    fx_free(&f);
}

KEV_TEST(one_commit_per_write)
{
    fixture f;
    fx_init(&f);
    kev__cache_open(f.cache);
    ASSERT_FALSE(kev__cache_pending(f.cache));
    ASSERT_EQ_INT(kev__cache_write(f.cache, &f.obs), 0); /* nothing pending */
    check_log(&f, "");
    cset(&f, "A", 1);
    cset(&f, "B", 2);
    ASSERT_EQ_INT(kev__cache_notify(f.cache, "C"), 0);
    ASSERT_TRUE(kev__cache_pending(f.cache));
    ASSERT_EQ_INT(kev__cache_write(f.cache, &f.obs), 1);
    check_log(&f, "set A 1\nset B 2\nnotify C\ncommit 3\n");
    kev__cache_close(f.cache);
    ASSERT_FALSE(kev__cache_pending(f.cache));
    ASSERT_EQ_INT(kev__cache_write(f.cache, &f.obs), 0);
    check_log(&f, "");

    /* Like configd's cache_write, a write does not empty the containers:
     * writing again before close makes the same call again. */
    kev__cache_open(f.cache);
    cset(&f, "A", 3);
    ASSERT_EQ_INT(kev__cache_write(f.cache, &f.obs), 1);
    ASSERT_EQ_INT(kev__cache_write(f.cache, &f.obs), 1);
    check_log(&f, "set A 3 existed\ncommit 1\nset A 3 existed\ncommit 1\n");
    kev__cache_close(f.cache);
    fx_free(&f);
}

KEV_TEST(close_without_write_discards)
{
    fixture f;
    fx_init(&f);
    store_int(&f, "L", 1);
    kev__cache_open(f.cache);
    cset(&f, "K", 1);
    ASSERT_EQ_INT(kev__cache_remove(f.cache, "L"), 0);
    ASSERT_EQ_INT(kev__cache_notify(f.cache, "M"), 0);
    kev__cache_close(f.cache);
    ASSERT_FALSE(kev__cache_pending(f.cache));
    ASSERT_NULL(kev_store_get(f.store, "K"));
    ASSERT_EQ_INT(kev_value_get_int(kev_store_get(f.store, "L")), 1);
    kev__cache_open(f.cache);
    check_copy(&f, "K", false, 0);
    check_copy(&f, "L", true, 1);
    ASSERT_EQ_INT(kev__cache_write(f.cache, &f.obs), 0);
    check_log(&f, "");

    /* Opening again also drops a batch that was never closed. */
    cset(&f, "K", 2);
    kev__cache_open(f.cache);
    ASSERT_FALSE(kev__cache_pending(f.cache));
    check_copy(&f, "K", false, 0);
    /* And freeing a cache with pending values releases them. */
    cset(&f, "K", 3);
    fx_free(&f);
}

KEV_TEST(many_set_remove_of_one_key)
{
    fixture f;
    fx_init(&f);
    kev__cache_open(f.cache);
    cset(&f, "first", 0);
    ASSERT_EQ_INT(kev__cache_remove(f.cache, "other"), 0);
    for (int i = 0; i < 10000; i++) {
        cset(&f, "K", i);
        ASSERT_EQ_INT(kev__cache_remove(f.cache, "K"), 0);
    }
    cset(&f, "last", 1);
    ASSERT_EQ_INT(kev__cache_write(f.cache, &f.obs), 1);
    check_log(&f, "set first 0\nset last 1\nremove other\nremove K\ncommit 2\n");
    kev__cache_close(f.cache);
    fx_free(&f);
}

KEV_TEST(bad_keys_and_caps)
{
    fixture f;
    fx_init(&f);
    char *longkey = malloc(KEV_STORE_MAX_KEY + 2);
    ASSERT_NOT_NULL(longkey);
    memset(longkey, 'k', KEV_STORE_MAX_KEY + 1);
    longkey[KEV_STORE_MAX_KEY + 1] = '\0';
    kev__cache_open(f.cache);
    /* Failures consume the value (the leak checker would see it). */
    ASSERT_EQ_INT(kev__cache_set(f.cache, longkey, kev_value_int(1)), KEV_ETOOBIG);
    ASSERT_EQ_INT(kev__cache_remove(f.cache, longkey), KEV_ETOOBIG);
    ASSERT_EQ_INT(kev__cache_notify(f.cache, longkey), KEV_ETOOBIG);
    ASSERT_NULL(kev__cache_copy(f.cache, longkey));
    ASSERT_EQ_INT(kev__cache_set(f.cache, NULL, kev_value_int(1)), KEV_EINVAL);
    ASSERT_EQ_INT(kev__cache_set(f.cache, "k", NULL), KEV_EINVAL);
    ASSERT_EQ_INT(kev__cache_remove(f.cache, NULL), KEV_EINVAL);
    ASSERT_EQ_INT(kev__cache_notify(f.cache, NULL), KEV_EINVAL);
    ASSERT_FALSE(kev__cache_pending(f.cache));
    longkey[KEV_STORE_MAX_KEY] = '\0'; /* at the cap: accepted */
    ASSERT_EQ_INT(kev__cache_notify(f.cache, longkey), 0);

    char key[32];
    for (int i = 1; i < KEV_CACHE_MAX_KEYS; i++) {
        snprintf(key, sizeof key, "n%d", i);
        ASSERT_EQ_INT(kev__cache_notify(f.cache, key), 0);
    }
    ASSERT_EQ_INT(kev__cache_set(f.cache, "one-more", kev_value_int(1)), KEV_ETOOBIG);
    ASSERT_EQ_INT(kev__cache_remove(f.cache, "one-more"), KEV_ETOOBIG);
    /* Keys already touched still work. */
    cset(&f, "n1", 1);
    ASSERT_EQ_INT(kev__cache_remove(f.cache, "n2"), 0);
    ASSERT_EQ_INT(kev__cache_write(f.cache, &f.obs), 1);
    ASSERT_CONTAINS(kev_strbuf_str(&f.log), "set n1 1\nremove n2\nnotify kkkk");
    ASSERT_CONTAINS(kev_strbuf_str(&f.log), "\nnotify n8191\ncommit 8192\n");
    kev__cache_close(f.cache);
    ASSERT_EQ_U64(kev_store_count(f.store), 1);

    /* The next batch has the full budget again. */
    kev__cache_open(f.cache);
    cset(&f, "one-more", 1);
    kev__cache_close(f.cache);
    free(longkey);
    fx_free(&f);
    ASSERT_NULL(kev__cache_new(NULL));
    kev__cache_free(NULL); /* accepted */
}

/* ---- a randomized run against a naive model --------------------------- */

#define MKEYS 3000

/* The three containers of kev_cache.h, kept the obvious O(n) way. */
typedef struct cmodel {
    int set[MKEYS], rem[MKEYS], notif[MKEYS];
    int nset, nrem, nnotif;
    int64_t setval[MKEYS];
} cmodel;

static int list_find(const int *l, int n, int id)
{
    for (int i = 0; i < n; i++)
        if (l[i] == id)
            return i;
    return -1;
}

static void list_take(int *l, int *n, int id)
{
    int i = list_find(l, *n, id);
    if (i < 0)
        return;
    memmove(&l[i], &l[i + 1], (size_t)(*n - i - 1) * sizeof *l);
    (*n)--;
}

static void list_add(int *l, int *n, int id)
{
    if (list_find(l, *n, id) < 0)
        l[(*n)++] = id;
}

static void mkey(char *buf, size_t n, int id)
{
    snprintf(buf, n, "State:/Network/Interface/en%d/Link", id);
}

/* One random op on both the cache and the model, then a Copy check. */
static void model_step(fixture *f, cmodel *m, int id, uint32_t dice, int64_t seq)
{
    char key[64];
    mkey(key, sizeof key, id);
    if (dice < 5) {
        cset(f, key, seq);
        list_take(m->rem, &m->nrem, id);
        if (list_find(m->set, m->nset, id) < 0)
            m->set[m->nset++] = id;
        m->setval[id] = seq;
    } else if (dice < 8) {
        ASSERT_EQ_INT(kev__cache_remove(f->cache, key), 0);
        list_take(m->set, &m->nset, id);
        list_add(m->rem, &m->nrem, id);
    } else {
        ASSERT_EQ_INT(kev__cache_notify(f->cache, key), 0);
        list_add(m->notif, &m->nnotif, id);
    }
    const kev_value *in_store = kev_store_get(f->store, key);
    kev_value *got = kev__cache_copy(f->cache, key);
    if (list_find(m->set, m->nset, id) >= 0)
        ASSERT_EQ_INT(kev_value_get_int(got), m->setval[id]);
    else if (list_find(m->rem, m->nrem, id) >= 0)
        ASSERT_NULL(got);
    else
        ASSERT_TRUE(got == in_store);
    kev_value_unref(got);
}

/* Writes the model's containers straight to `ref` and returns the log. */
static void model_write(const cmodel *m, kev_store *ref, kev_strbuf *log)
{
    static char keys[3][MKEYS][64];
    static const char *sk[MKEYS], *rk[MKEYS], *nk[MKEYS];
    static kev_value *sv[MKEYS];
    for (int i = 0; i < m->nset; i++) {
        mkey(keys[0][i], 64, m->set[i]);
        sk[i] = keys[0][i];
        sv[i] = kev_value_int(m->setval[m->set[i]]);
    }
    for (int i = 0; i < m->nrem; i++) {
        mkey(keys[1][i], 64, m->rem[i]);
        rk[i] = keys[1][i];
    }
    for (int i = 0; i < m->nnotif; i++) {
        mkey(keys[2][i], 64, m->notif[i]);
        nk[i] = keys[2][i];
    }
    kev_store_batch b = {
        sk, sv, (size_t)m->nset, rk, (size_t)m->nrem, nk, (size_t)m->nnotif};
    kev_store_observer o = {log_op, log_commit, log};
    ASSERT_EQ_INT(kev_store_set_multiple(ref, &b, &o), 0);
    for (int i = 0; i < m->nset; i++)
        kev_value_unref(sv[i]);
}

KEV_TEST(random_batches_match_model)
{
    static cmodel m;
    fixture f;
    fx_init(&f);
    kev_store *ref = kev_store_new();
    kev_strbuf want = KEV_STRBUF_INIT;
    uint32_t rng = 777;
    int64_t seq = 0;
    for (int batch = 0; batch < 8; batch++) {
        memset(&m, 0, sizeof m);
        kev__cache_open(f.cache);
        /* Batches of growing size: 5 ops up to ~20000, on up to 3000 keys. */
        int ops = 5 << (batch * 2 > 12 ? 12 : batch * 2);
        int span = batch == 0 ? 4 : MKEYS >> (7 - batch);
        for (int i = 0; i < ops; i++) {
            rng = rng * 1664525u + 1013904223u;
            int id = (int)((rng >> 8) % (uint32_t)span);
            rng = rng * 1664525u + 1013904223u;
            model_step(&f, &m, id, (rng >> 8) % 10, seq++);
        }
        int wrote = kev__cache_write(f.cache, &f.obs);
        ASSERT_EQ_INT(wrote, (m.nset + m.nrem + m.nnotif) > 0);
        kev__cache_close(f.cache);
        kev_strbuf_clear(&want);
        if (wrote)
            model_write(&m, ref, &want);
        check_log(&f, kev_strbuf_str(&want));
    }
    /* Both stores ended the same. */
    const char **k1, **k2;
    size_t n1, n2;
    ASSERT_EQ_INT(kev_store_keys_sorted(f.store, &k1, &n1), 0);
    ASSERT_EQ_INT(kev_store_keys_sorted(ref, &k2, &n2), 0);
    ASSERT_EQ_U64(n1, n2);
    ASSERT_TRUE(n1 > 100);
    for (size_t i = 0; i < n1; i++) {
        ASSERT_EQ_STR(k1[i], k2[i]);
        ASSERT_TRUE(
            kev_value_equal(kev_store_get(f.store, k1[i]), kev_store_get(ref, k2[i])));
    }
    free(k1);
    free(k2);
    kev_strbuf_free(&want);
    kev_store_free(ref);
    fx_free(&f);
}

KEV_TEST_MAIN(KEV_T(copy_precedence), KEV_T(copy_returns_a_new_reference),
              KEV_T(set_after_remove_leaves_removals), KEV_T(remove_after_set_leaves_set),
              KEV_T(dedup_removals_and_notifys), KEV_T(set_keeps_first_set_position),
              KEV_T(batch_reaches_store_in_phase_order), KEV_T(one_commit_per_write),
              KEV_T(close_without_write_discards), KEV_T(many_set_remove_of_one_key),
              KEV_T(bad_keys_and_caps), KEV_T(random_batches_match_model))
