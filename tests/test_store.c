/*
 * test_store.c: the simulated dynamic store (kevrr/store.h): SetMultiple's
 * phases and what an observer sees of them (exact op logs and changed
 * counts), SetValue, bytewise key order, reset, growth with removals
 * against a reference model, and the caps. Lifetimes are checked by ASan's
 * leak checker: every test releases what it creates.
 */
#include <stdint.h>
#include <time.h>

#include "kev_test.h"
#include "kevrr/error.h"
#include "kevrr/store.h"
#include "kevrr/strbuf.h"
#include "kevrr/value.h"

/* ---- an observer that logs every op and commit as one line ------------ */

typedef struct oplog {
    kev_strbuf sb;
} oplog;

static void log_op(void *ctx, const kev_store_op *op)
{
    static const char *const names[] = {"set", "remove", "notify"};
    oplog *l = ctx;
    kev_strbuf_addf(&l->sb, "%s %s", names[op->kind], op->key);
    if (op->value) {
        kev_strbuf_addc(&l->sb, ' ');
        kev_value_format(op->value, &l->sb);
    }
    if (op->existed)
        kev_strbuf_adds(&l->sb, " existed");
    if (op->direct)
        kev_strbuf_adds(&l->sb, " direct");
    kev_strbuf_addc(&l->sb, '\n');
}

static void log_commit(void *ctx, size_t changed)
{
    oplog *l = ctx;
    kev_strbuf_addf(&l->sb, "commit %zu\n", changed);
}

static kev_store_observer observer(oplog *l)
{
    kev_store_observer o = {log_op, log_commit, l};
    return o;
}

/* Asserts the log is `want`, then empties it. */
static void check_log(oplog *l, const char *want)
{
    ASSERT_EQ_INT(l->sb.err, 0);
    ASSERT_EQ_STR(kev_strbuf_str(&l->sb), want);
    kev_strbuf_clear(&l->sb);
}

/* ---- helpers ---------------------------------------------------------- */

static int64_t get_int(const kev_store *s, const char *key)
{
    const kev_value *v = kev_store_get(s, key);
    ASSERT_NOT_NULL(v);
    ASSERT_EQ_INT(kev_value_type(v), KEV_VT_INT);
    return kev_value_get_int(v);
}

/* SetValue of an int, without an observer. */
static void put_int(kev_store *s, const char *key, int64_t i)
{
    kev_value *v = kev_value_int(i);
    ASSERT_EQ_INT(kev_store_set_value(s, key, v, NULL), 0);
    kev_value_unref(v);
}

static int set_multiple(kev_store *s, const char *const *sk, kev_value *const *sv,
                        size_t ns, const char *const *rk, size_t nr, const char *const *nk,
                        size_t nn, const kev_store_observer *o)
{
    kev_store_batch b = {sk, sv, ns, rk, nr, nk, nn};
    return kev_store_set_multiple(s, &b, o);
}

/* Renders the sorted keys as "k1,k2,...". */
static void check_keys(const kev_store *s, const char *want)
{
    const char **keys;
    size_t n;
    kev_strbuf sb = KEV_STRBUF_INIT;
    ASSERT_EQ_INT(kev_store_keys_sorted(s, &keys, &n), 0);
    ASSERT_EQ_U64(n, kev_store_count(s));
    for (size_t i = 0; i < n; i++) {
        if (i)
            kev_strbuf_addc(&sb, ',');
        kev_strbuf_adds(&sb, keys[i]);
    }
    ASSERT_EQ_STR(kev_strbuf_str(&sb), want);
    kev_strbuf_free(&sb);
    free(keys);
}

/* ---- tests ------------------------------------------------------------ */

KEV_TEST(set_get_replace)
{
    kev_store *s = kev_store_new();
    oplog l = {KEV_STRBUF_INIT};
    kev_store_observer o = observer(&l);
    kev_value *one = kev_value_int(1), *two = kev_value_int(2);
    const char *key = "State:/Network/Interface/en0/Link";

    ASSERT_NULL(kev_store_get(s, key));
    ASSERT_EQ_INT(kev_store_set_value(s, key, one, &o), 0);
    check_log(&l, "set State:/Network/Interface/en0/Link 1 direct\ncommit 1\n");
    ASSERT_TRUE(kev_store_get(s, key) == one); /* the store shares it */
    ASSERT_EQ_INT(kev_store_set_value(s, key, two, &o), 0);
    check_log(&l, "set State:/Network/Interface/en0/Link 2 existed direct\n"
                  "commit 1\n");
    /* The store keeps its own references. */
    kev_value_unref(one);
    kev_value_unref(two);
    ASSERT_EQ_INT(get_int(s, key), 2);
    ASSERT_EQ_U64(kev_store_count(s), 1);
    ASSERT_NULL(kev_store_get(s, "State:/Network/Interface/en0"));
    ASSERT_NULL(kev_store_get(s, NULL));
    kev_store_free(s);
    kev_strbuf_free(&l.sb);
}

KEV_TEST(set_equal_value_is_a_change)
{
    kev_store *s = kev_store_new();
    oplog l = {KEV_STRBUF_INIT};
    kev_store_observer o = observer(&l);
    kev_value *a = kev_value_cstring("x"), *b = kev_value_cstring("x");
    const char *k[] = {"k", "k"};
    kev_value *v[] = {a, b};
    ASSERT_EQ_INT(set_multiple(s, k, v, 1, NULL, 0, NULL, 0, &o), 0);
    check_log(&l, "set k \"x\"\ncommit 1\n");
    ASSERT_EQ_INT(set_multiple(s, k + 1, v + 1, 1, NULL, 0, NULL, 0, &o), 0);
    check_log(&l, "set k \"x\" existed\ncommit 1\n");
    /* The same key twice in one call is one changed key. */
    ASSERT_EQ_INT(set_multiple(s, k, v, 2, NULL, 0, NULL, 0, &o), 0);
    check_log(&l, "set k \"x\" existed\nset k \"x\" existed\ncommit 1\n");
    ASSERT_TRUE(kev_store_get(s, "k") == b);
    /* Setting the value already held keeps it alive. */
    ASSERT_EQ_INT(set_multiple(s, k + 1, v + 1, 1, NULL, 0, NULL, 0, &o), 0);
    check_log(&l, "set k \"x\" existed\ncommit 1\n");
    kev_value_unref(a);
    kev_value_unref(b);
    check_keys(s, "k");
    kev_store_free(s);
    kev_strbuf_free(&l.sb);
}

KEV_TEST(remove_existing_vs_missing)
{
    kev_store *s = kev_store_new();
    oplog l = {KEV_STRBUF_INIT};
    kev_store_observer o = observer(&l);
    put_int(s, "a", 1);
    put_int(s, "b", 2);
    const char *rk[] = {"a", "missing", "a"};
    ASSERT_EQ_INT(set_multiple(s, NULL, NULL, 0, rk, 3, NULL, 0, &o), 0);
    check_log(&l, "remove a existed\nremove missing\nremove a\ncommit 1\n");
    ASSERT_NULL(kev_store_get(s, "a"));
    check_keys(s, "b");
    /* Removing only missing keys changes nothing. */
    ASSERT_EQ_INT(set_multiple(s, NULL, NULL, 0, rk + 1, 1, NULL, 0, &o), 0);
    check_log(&l, "remove missing\ncommit 0\n");
    kev_store_free(s);
    kev_strbuf_free(&l.sb);
}

KEV_TEST(notify_existing_keeps_value)
{
    kev_store *s = kev_store_new();
    oplog l = {KEV_STRBUF_INIT};
    kev_store_observer o = observer(&l);
    kev_value *d = kev_value_dict_new();
    ASSERT_EQ_INT(kev_value_dict_set(d, "Active", kev_value_bool(true)), 0);
    ASSERT_EQ_INT(kev_store_set_value(s, "Link", d, NULL), 0);
    const char *nk[] = {"Link", "Link"};
    ASSERT_EQ_INT(set_multiple(s, NULL, NULL, 0, NULL, 0, nk, 2, &o), 0);
    check_log(&l, "notify Link existed\nnotify Link existed\ncommit 1\n");
    ASSERT_TRUE(kev_store_get(s, "Link") == d);
    kev_value_unref(d);
    kev_strbuf sb = KEV_STRBUF_INIT;
    kev_value_format(kev_store_get(s, "Link"), &sb);
    ASSERT_EQ_STR(kev_strbuf_str(&sb), "{Active = true}");
    kev_strbuf_free(&sb);
    kev_store_free(s);
    kev_strbuf_free(&l.sb);
}

KEV_TEST(notify_missing_leaves_nothing)
{
    kev_store *s = kev_store_new();
    oplog l = {KEV_STRBUF_INIT};
    kev_store_observer o = observer(&l);
    const char *nk[] = {"ghost", "ghost", "other"};
    ASSERT_EQ_INT(set_multiple(s, NULL, NULL, 0, NULL, 0, nk, 3, &o), 0);
    check_log(&l, "notify ghost\nnotify ghost\nnotify other\ncommit 2\n");
    ASSERT_NULL(kev_store_get(s, "ghost"));
    ASSERT_EQ_U64(kev_store_count(s), 0);
    static const char *dummy[1];
    const char **keys = dummy; /* must be overwritten */
    size_t n = 7;
    ASSERT_EQ_INT(kev_store_keys_sorted(s, &keys, &n), 0);
    ASSERT_NULL(keys);
    ASSERT_EQ_U64(n, 0);
    kev_store_free(s);
    kev_strbuf_free(&l.sb);
}

KEV_TEST(set_multiple_phase_order)
{
    kev_store *s = kev_store_new();
    oplog l = {KEV_STRBUF_INIT};
    kev_store_observer o = observer(&l);
    put_int(s, "old", 1);
    put_int(s, "gone", 2);
    put_int(s, "kept", 3);
    kev_value *v1 = kev_value_int(10), *v2 = kev_value_int(11);
    /* The arrays list the phases out of order on purpose: the store
     * applies sets, then removals, then notifies, whatever the caller. */
    const char *sk[] = {"b", "old"};
    kev_value *sv[] = {v1, v2};
    const char *rk[] = {"gone", "nothing", "b"};
    const char *nk[] = {"old", "b", "ghost", "ghost", "kept"};
    ASSERT_EQ_INT(set_multiple(s, sk, sv, 2, rk, 3, nk, 5, &o), 0);
    /* Changed, once each: b, old, gone, ghost, kept. Not "nothing". */
    check_log(&l, "set b 10\n"
                  "set old 11 existed\n"
                  "remove gone existed\n"
                  "remove nothing\n"
                  "remove b existed\n"
                  "notify old existed\n"
                  "notify b\n"
                  "notify ghost\n"
                  "notify ghost\n"
                  "notify kept existed\n"
                  "commit 5\n");
    check_keys(s, "kept,old");
    ASSERT_EQ_INT(get_int(s, "old"), 11);
    ASSERT_EQ_INT(get_int(s, "kept"), 3);
    kev_value_unref(v1);
    kev_value_unref(v2);
    /* An empty batch still commits, with nothing changed. */
    ASSERT_EQ_INT(set_multiple(s, NULL, NULL, 0, NULL, 0, NULL, 0, &o), 0);
    check_log(&l, "commit 0\n");
    /* Without on_commit, and without an observer at all. */
    kev_store_observer ops_only = {log_op, NULL, &l};
    ASSERT_EQ_INT(set_multiple(s, NULL, NULL, 0, nk, 1, NULL, 0, &ops_only), 0);
    check_log(&l, "remove old existed\n");
    ASSERT_EQ_INT(set_multiple(s, NULL, NULL, 0, nk + 4, 1, NULL, 0, NULL), 0);
    check_keys(s, "");
    kev_store_free(s);
    kev_strbuf_free(&l.sb);
}

KEV_TEST(keys_sorted_bytewise)
{
    kev_store *s = kev_store_new();
    const char *keys[] = {"b", "\xc3\xa9", "State:/Network/Interface/en0/Link", "a\x7f",
                          "B", "a",        "State:/Network/Interface",          ""};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        put_int(s, keys[i], (int64_t)i);
    check_keys(s, ",B,State:/Network/Interface,"
                  "State:/Network/Interface/en0/Link,a,a\x7f,b,\xc3\xa9");
    ASSERT_EQ_INT(get_int(s, ""), 7);
    ASSERT_EQ_INT(get_int(s, "\xc3\xa9"), 1);
    kev_store_free(s);
}

KEV_TEST(reset_then_reuse)
{
    kev_store *s = kev_store_new();
    oplog l = {KEV_STRBUF_INIT};
    kev_store_observer o = observer(&l);
    char key[64];
    kev_store_reset(s); /* an empty store resets too */
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 500; i++) {
            snprintf(key, sizeof key, "State:/Network/Interface/en%d/Link", i);
            kev_value *d = kev_value_dict_new(); /* held by the store only */
            ASSERT_EQ_INT(kev_value_dict_set(d, "Active", kev_value_int(round)), 0);
            ASSERT_EQ_INT(kev_store_set_value(s, key, d, NULL), 0);
            kev_value_unref(d);
        }
        ASSERT_EQ_U64(kev_store_count(s), 500);
        ASSERT_EQ_INT(kev_value_get_int(kev_value_dict_get(
                          kev_store_get(s, "State:/Network/Interface/en7/Link"), "Active")),
                      round);
        kev_store_reset(s);
        ASSERT_EQ_U64(kev_store_count(s), 0);
        ASSERT_NULL(kev_store_get(s, "State:/Network/Interface/en7/Link"));
        check_keys(s, "");
    }
    /* After a reset, keys are new again. */
    kev_value *v = kev_value_int(1);
    ASSERT_EQ_INT(kev_store_set_value(s, "State:/Network/Interface/en7/Link", v, &o), 0);
    check_log(&l, "set State:/Network/Interface/en7/Link 1 direct\ncommit 1\n");
    kev_value_unref(v);
    check_keys(s, "State:/Network/Interface/en7/Link");
    kev_store_free(s);
    kev_strbuf_free(&l.sb);
    kev_store_free(NULL); /* accepted */
}

/* ---- growth against a reference model --------------------------------- */

#define MODEL_KEYS 6000

typedef struct model {
    bool present[MODEL_KEYS];
    int64_t val[MODEL_KEYS];
    size_t count;
} model;

/* Remembers the `existed` flag of the last op seen. */
static void last_existed(void *ctx, const kev_store_op *op)
{
    *(int *)ctx = op->existed;
}

static void model_key(char *buf, size_t n, uint32_t id)
{
    snprintf(buf, n, "State:/Network/Interface/en%u/IPv4", id);
}

static uint32_t lcg(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return *state >> 8;
}

static void model_check(const kev_store *s, const model *m)
{
    char key[64];
    ASSERT_EQ_U64(kev_store_count(s), m->count);
    for (uint32_t id = 0; id < MODEL_KEYS; id++) {
        model_key(key, sizeof key, id);
        if (m->present[id])
            ASSERT_EQ_INT(get_int(s, key), m->val[id]);
        else
            ASSERT_NULL(kev_store_get(s, key));
    }
}

/* One random op on key `id`: set (60%), remove (30%) or notify (10%). */
static void model_step(kev_store *s, model *m, uint32_t id, uint32_t dice, int64_t seq)
{
    char key[64];
    const char *k = key;
    int existed = -1;
    kev_store_observer o = {last_existed, NULL, &existed};
    model_key(key, sizeof key, id);
    if (dice < 6) {
        kev_value *v = kev_value_int(seq);
        ASSERT_EQ_INT(set_multiple(s, &k, &v, 1, NULL, 0, NULL, 0, &o), 0);
        kev_value_unref(v);
        m->count += !m->present[id];
        ASSERT_EQ_INT(existed, m->present[id]);
        m->present[id] = true;
        m->val[id] = seq;
    } else if (dice < 9) {
        ASSERT_EQ_INT(set_multiple(s, NULL, NULL, 0, &k, 1, NULL, 0, &o), 0);
        ASSERT_EQ_INT(existed, m->present[id]);
        m->count -= m->present[id];
        m->present[id] = false;
    } else {
        ASSERT_EQ_INT(set_multiple(s, NULL, NULL, 0, NULL, 0, &k, 1, &o), 0);
        ASSERT_EQ_INT(existed, m->present[id]);
    }
}

KEV_TEST(growth_with_removals_matches_model)
{
    static model m;
    kev_store *s = kev_store_new();
    uint32_t rng = 12345;
    memset(&m, 0, sizeof m);
    for (int64_t seq = 0; seq < 80000; seq++) {
        /* Early on mostly sets, to grow the table through several sizes. */
        uint32_t id = lcg(&rng) % MODEL_KEYS;
        uint32_t dice = seq < 20000 ? 0 : lcg(&rng) % 10;
        model_step(s, &m, id, dice, seq);
        if (seq % 10000 == 9999)
            model_check(s, &m);
    }
    model_check(s, &m);
    /* The sorted keys are exactly the model's, in bytewise order. */
    const char **keys;
    size_t n;
    ASSERT_EQ_INT(kev_store_keys_sorted(s, &keys, &n), 0);
    ASSERT_EQ_U64(n, m.count);
    for (size_t i = 1; i < n; i++)
        ASSERT_TRUE(strcmp(keys[i - 1], keys[i]) < 0);
    free(keys);
    /* Remove everything, then the table must still work. */
    for (uint32_t id = 0; id < MODEL_KEYS; id++)
        model_step(s, &m, id, 6, 0);
    ASSERT_EQ_U64(kev_store_count(s), 0);
    model_check(s, &m);
    for (uint32_t id = 0; id < MODEL_KEYS; id += 3)
        model_step(s, &m, id, 0, id);
    model_check(s, &m);
    kev_store_free(s);
}

/* ---- caps and errors -------------------------------------------------- */

KEV_TEST(cap_key_length)
{
    kev_store *s = kev_store_new();
    oplog l = {KEV_STRBUF_INIT};
    kev_store_observer o = observer(&l);
    char *k = malloc(KEV_STORE_MAX_KEY + 2);
    ASSERT_NOT_NULL(k);
    memset(k, 'k', KEV_STORE_MAX_KEY + 1);
    k[KEV_STORE_MAX_KEY + 1] = '\0'; /* one byte over */
    kev_value *v = kev_value_int(1);
    const char *ck = k;
    ASSERT_EQ_INT(kev_store_set_value(s, k, v, &o), KEV_ETOOBIG);
    ASSERT_EQ_INT(set_multiple(s, NULL, NULL, 0, &ck, 1, NULL, 0, &o), KEV_ETOOBIG);
    ASSERT_EQ_INT(set_multiple(s, NULL, NULL, 0, NULL, 0, &ck, 1, &o), KEV_ETOOBIG);
    check_log(&l, ""); /* a failed call has no commit */
    ASSERT_NULL(kev_store_get(s, k));

    /* The operations before the failing one stay applied. */
    const char *sk[] = {"first", k, "third"};
    kev_value *sv[] = {v, v, v};
    ASSERT_EQ_INT(set_multiple(s, sk, sv, 3, NULL, 0, NULL, 0, &o), KEV_ETOOBIG);
    check_log(&l, "set first 1\n");
    check_keys(s, "first");

    k[KEV_STORE_MAX_KEY] = '\0'; /* exactly at the cap */
    ASSERT_EQ_INT(kev_store_set_value(s, k, v, NULL), 0);
    ASSERT_TRUE(kev_store_get(s, k) == v);
    ASSERT_EQ_INT(set_multiple(s, NULL, NULL, 0, &ck, 1, NULL, 0, &o), 0);
    kev_strbuf want = KEV_STRBUF_INIT;
    kev_strbuf_addf(&want, "remove %s existed\ncommit 1\n", k);
    check_log(&l, kev_strbuf_str(&want));
    kev_strbuf_free(&want);
    ASSERT_EQ_U64(kev_store_count(s), 1); /* "first" */
    free(k);
    kev_value_unref(v);
    kev_store_free(s);
    kev_strbuf_free(&l.sb);
}

KEV_TEST(null_arguments)
{
    kev_store *s = kev_store_new();
    oplog l = {KEV_STRBUF_INIT};
    kev_store_observer o = observer(&l);
    kev_value *v = kev_value_int(1);
    const char *nullkey[] = {NULL};
    kev_value *nullval[] = {NULL};
    const char *k[] = {"k"};
    ASSERT_EQ_INT(kev_store_set_value(s, "k", NULL, &o), KEV_EINVAL);
    ASSERT_EQ_INT(kev_store_set_value(s, NULL, v, &o), KEV_EINVAL);
    ASSERT_EQ_INT(set_multiple(s, k, nullval, 1, NULL, 0, NULL, 0, &o), KEV_EINVAL);
    ASSERT_EQ_INT(set_multiple(s, nullkey, &v, 1, NULL, 0, NULL, 0, &o), KEV_EINVAL);
    ASSERT_EQ_INT(set_multiple(s, NULL, NULL, 0, nullkey, 1, NULL, 0, &o), KEV_EINVAL);
    ASSERT_EQ_INT(set_multiple(s, NULL, NULL, 0, NULL, 0, nullkey, 1, &o), KEV_EINVAL);
    ASSERT_EQ_INT(kev_store_set_multiple(s, NULL, &o), KEV_EINVAL);
    check_log(&l, "");
    ASSERT_EQ_U64(kev_store_count(s), 0);
    kev_value_unref(v);
    kev_store_free(s);
    kev_strbuf_free(&l.sb);
}

KEV_TEST(cap_key_count)
{
    kev_store *s = kev_store_new();
    oplog l = {KEV_STRBUF_INIT};
    kev_store_observer o = observer(&l);
    kev_value *v = kev_value_bool(true);
    char key[32];
    for (size_t i = 0; i < KEV_STORE_MAX_KEYS; i++) {
        snprintf(key, sizeof key, "k%zu", i);
        ASSERT_EQ_INT(kev_store_set_value(s, key, v, NULL), 0);
    }
    ASSERT_EQ_U64(kev_store_count(s), KEV_STORE_MAX_KEYS);
    ASSERT_EQ_INT(kev_store_set_value(s, "one-more", v, &o), KEV_ETOOBIG);
    /* Replacing, removing and notifying still work on a full store; a
     * notify of a missing key creates nothing, so it fits too. */
    ASSERT_EQ_INT(kev_store_set_value(s, "k0", v, NULL), 0);
    const char *nk[] = {"one-more", "k1"};
    ASSERT_EQ_INT(set_multiple(s, NULL, NULL, 0, NULL, 0, nk, 2, &o), 0);
    check_log(&l, "notify one-more\nnotify k1 existed\ncommit 2\n");
    ASSERT_EQ_INT(set_multiple(s, NULL, NULL, 0, nk + 1, 1, NULL, 0, &o), 0);
    check_log(&l, "remove k1 existed\ncommit 1\n");
    ASSERT_EQ_INT(kev_store_set_value(s, "one-more", v, NULL), 0);
    ASSERT_EQ_U64(kev_store_count(s), KEV_STORE_MAX_KEYS);
    ASSERT_TRUE(kev_store_get(s, "one-more") == v);
    ASSERT_TRUE(kev_store_get(s, "k1048575") == v);
    ASSERT_NULL(kev_store_get(s, "k1"));
    kev_store_reset(s);
    ASSERT_EQ_U64(kev_store_count(s), 0);

    /* The table keeps its 2M slots, yet a reset costs only the keys held:
     * 20000 one-key runs take milliseconds, where clearing the whole table
     * each time (16 MiB) would take tens of seconds. */
    clock_t t0 = clock();
    for (int i = 0; i < 20000; i++) {
        ASSERT_EQ_INT(kev_store_set_value(s, "State:/Network/Interface", v, NULL), 0);
        kev_store_reset(s);
    }
    ASSERT_TRUE((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
    kev_value_unref(v);
    kev_store_free(s);
    kev_strbuf_free(&l.sb);
}

KEV_TEST_MAIN(KEV_T(set_get_replace), KEV_T(set_equal_value_is_a_change),
              KEV_T(remove_existing_vs_missing), KEV_T(notify_existing_keeps_value),
              KEV_T(notify_missing_leaves_nothing), KEV_T(set_multiple_phase_order),
              KEV_T(keys_sorted_bytewise), KEV_T(reset_then_reuse),
              KEV_T(growth_with_removals_matches_model), KEV_T(cap_key_length),
              KEV_T(null_arguments), KEV_T(cap_key_count))
