/*
 * drift.c: the store against the kernel (kevrr/drift.h).
 *
 * One row per key family says how its keys are spelled and what the kernel
 * backs of their values: a builder of the value a fresh re-read of the
 * kernel would give (the handlers' own builders, kev__inet_expected), and
 * the properties of the store's value compared with it. A store value and
 * the kernel agree when those properties are equal; when they are not, the
 * row's "member" property (Addresses, Interfaces) names what is gone or
 * missing, else the first property that differs is named. Adding a family
 * is adding a row (and, when the kernel backs it, one builder).
 *
 * The tracker (kev__drift_*) runs inside a world made with opts.drift: the
 * keys a batch may have changed (the store's operations, the interfaces its
 * events changed in the kernel) are marked dirty and checked at the end of
 * the batch; a key that starts drifting records the batch, one that stops
 * forgets it. Checking only what changed keeps the cost per batch small.
 */
#include "kevrr/drift.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kev_core.h"
#include "kev_sb.h"
#include "kevrr/error.h"

#define IF_PREFIX     KEV_INTERFACES_KEY "/"
#define IF_PREFIX_LEN (sizeof IF_PREFIX - 1)
/* The longest key a per-interface family builds: prefix, name, entity. */
#define DRIFT_KEY_CAP 128u

/* How a row's keys are spelled. */
typedef enum match_kind {
    M_EXACT,     /* the key is `pattern` */
    M_PREFIX,    /* the key starts with `pattern` */
    M_ENTITY,    /* State:/Network/Interface/<if>/<entity> */
    M_ENTITY_SUB /* State:/Network/Interface/<if>/<entity>/... */
} match_kind;

/* The value the kernel backs for one key: a dictionary (new reference),
 * empty when it backs nothing there; NULL when out of memory. `ifp` is the
 * key's interface (NULL when the kernel has none), `k` the kernel. */
typedef kev_value *(*expect_fn)(const kev_kernel *k, const kev_iface *ifp);

typedef struct family_row {
    kev_drift_family pub;
    match_kind match;
    const char *pattern;        /* M_EXACT, M_PREFIX: the key or its prefix */
    expect_fn expect;           /* backed families */
    const char *props[4];       /* the compared properties */
    const char *member;         /* the property whose items are gone or missing */
    bool member_set;            /* compare `member` as a set (order is not backed) */
    const char *gone, *missing; /* reasons for a member gone / missing */
} family_row;

static kev_value *expect_list(const kev_kernel *k, const kev_iface *ifp);
static kev_value *expect_link(const kev_kernel *k, const kev_iface *ifp);
static kev_value *expect_ipv4(const kev_kernel *k, const kev_iface *ifp);
static kev_value *expect_ipv6(const kev_kernel *k, const kev_iface *ifp);
static kev_value *expect_quality(const kev_kernel *k, const kev_iface *ifp);

/* clang-format off */
static const family_row rows[] = {
    {{"interfaces", true, "the interface list: the kernel's interfaces (as a set)"},
     M_EXACT, KEV_INTERFACES_KEY, expect_list, {"Interfaces"}, "Interfaces", true,
     "list-extra", "list-missing"},
    {{"Link", true, "Active: the media status (SIOCGIFMEDIA); nothing when the interface has no media"},
     M_ENTITY, NULL, expect_link, {"Active"}, NULL, false, NULL, NULL},
    {{"IPv4", true, "the address arrays a getifaddrs() re-read gives (Addresses, SubnetMasks, DestAddresses, BroadcastAddresses)"},
     M_ENTITY, NULL, expect_ipv4, {"Addresses", "SubnetMasks", "DestAddresses", "BroadcastAddresses"},
     "Addresses", false, "address-gone", "address-missing"},
    {{"IPv6", true, "the address arrays a getifaddrs() re-read gives (Addresses, DestAddresses, Flags, PrefixLength)"},
     M_ENTITY, NULL, expect_ipv6, {"Addresses", "DestAddresses", "Flags", "PrefixLength"},
     "Addresses", false, "address-gone", "address-missing"},
    {{"LinkQuality", true, "the link quality metric (SIOCGIFLINKQUALITYMETRIC); nothing when UNKNOWN (-1)"},
     M_ENTITY, NULL, expect_quality, {"LinkQuality"}, NULL, false, NULL, NULL},
    {{"LinkIssues", false, "nothing: the event's payload, which the kernel keeps no state of"},
     M_ENTITY, NULL, NULL, {NULL}, NULL, false, NULL, NULL},
    {{"NAT64", false, "nothing: only ever removed"},
     M_ENTITY, NULL, NULL, {NULL}, NULL, false, NULL, NULL},
    {{"IPv4ARPCollision", false, "nothing: a notification"},
     M_ENTITY_SUB, NULL, NULL, {NULL}, NULL, false, NULL, NULL},
    {{"IPv4RouterARPFailure", false, "nothing: a notification"},
     M_ENTITY, NULL, NULL, {NULL}, NULL, false, NULL, NULL},
    {{"IPv4RouterARPAlive", false, "nothing: a notification"},
     M_ENTITY, NULL, NULL, {NULL}, NULL, false, NULL, NULL},
    {{"IPv6DuplicatedAddress", false, "nothing: a notification"},
     M_ENTITY_SUB, NULL, NULL, {NULL}, NULL, false, NULL, NULL},
    {{"NAT64PrefixRequest", false, "nothing: a notification"},
     M_ENTITY, NULL, NULL, {NULL}, NULL, false, NULL, NULL},
    {{"IPv6RouterExpired", false, "nothing: a notification"},
     M_ENTITY, NULL, NULL, {NULL}, NULL, false, NULL, NULL},
    {{"IdleRoute", false, "nothing: a notification"},
     M_ENTITY, NULL, NULL, {NULL}, NULL, false, NULL, NULL},
    {{"InterfaceDelegation", false, "nothing: a notification (v1405)"},
     M_ENTITY, NULL, NULL, {NULL}, NULL, false, NULL, NULL},
    {{"PortInUse", false, "nothing: a notification"},
     M_PREFIX, "State:/Network/Protocol/IPv4/PortInUse/", NULL, {NULL}, NULL, false, NULL, NULL},
    {{"messages", false, "nothing: configd's message log"},
     M_EXACT, KEV_MESSAGES_KEY, NULL, {NULL}, NULL, false, NULL, NULL},
};
/* clang-format on */
#define N_ROWS (sizeof rows / sizeof rows[0])

/* ------------------------------------------------------------------ families */

const kev_drift_family *kev_drift_family_at(size_t i)
{
    return i < N_ROWS ? &rows[i].pub : NULL;
}

const kev_drift_family *kev_drift_family_named(const char *name)
{
    for (size_t i = 0; name != NULL && i < N_ROWS; i++)
        if (strcmp(rows[i].pub.name, name) == 0)
            return &rows[i].pub;
    return NULL;
}

const char *kev_drift_family_names(void)
{
    static char names[512];
    if (names[0] == '\0') {
        size_t n = 0;
        for (size_t i = 0; i < N_ROWS; i++)
            n += (size_t)snprintf(names + n, sizeof names - n, "%s%s", i ? ", " : "",
                                  rows[i].pub.name);
    }
    return names;
}

/* May `name` (n bytes) be compared? Printable ASCII without '/', 1..15
 * bytes: every profile spells it the same way in its keys. */
static bool name_comparable(const char *name, size_t n)
{
    if (n == 0 || n >= KEV_IFNAMSIZ)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] <= 0x20 || (unsigned char)name[i] >= 0x7f ||
            name[i] == '/')
            return false;
    return true;
}

/* The row of `key`, with the interface name of a per-interface key in
 * ifname[16] ("" otherwise; "" too when it is not comparable). */
static const family_row *row_of(const char *key, char ifname[KEV_IFNAMSIZ])
{
    ifname[0] = '\0';
    for (size_t i = 0; i < N_ROWS; i++) {
        const family_row *r = &rows[i];
        if (r->match == M_EXACT && strcmp(key, r->pattern) == 0)
            return r;
        if (r->match == M_PREFIX && strncmp(key, r->pattern, strlen(r->pattern)) == 0)
            return r;
    }
    if (strncmp(key, IF_PREFIX, IF_PREFIX_LEN) != 0)
        return NULL;
    const char *name = key + IF_PREFIX_LEN, *slash = strchr(name, '/');
    if (slash == NULL)
        return NULL;
    const char *entity = slash + 1, *end = strchr(entity, '/');
    size_t elen = end ? (size_t)(end - entity) : strlen(entity);
    for (size_t i = 0; i < N_ROWS; i++) {
        const family_row *r = &rows[i];
        if ((r->match != M_ENTITY && r->match != M_ENTITY_SUB) ||
            strlen(r->pub.name) != elen || memcmp(r->pub.name, entity, elen) != 0)
            continue;
        if ((r->match == M_ENTITY) != (end == NULL))
            continue;
        size_t n = (size_t)(slash - name);
        if (name_comparable(name, n)) {
            memcpy(ifname, name, n);
            ifname[n] = '\0';
        }
        return r;
    }
    return NULL;
}

const kev_drift_family *kev_drift_family_of(const char *key)
{
    char ifname[KEV_IFNAMSIZ];
    const family_row *r = key ? row_of(key, ifname) : NULL;
    return r ? &r->pub : NULL;
}

/* ----------------------------------------------------------------- builders */

static kev_value *expect_list(const kev_kernel *k, const kev_iface *ifp)
{
    (void)ifp;
    kev_value *d = kev_value_dict_new(), *a = kev_value_array_new();
    for (size_t i = 0; d != NULL && a != NULL && i < kev_kernel_count(k); i++) {
        const char *name = kev_kernel_at(k, i)->name;
        if (name_comparable(name, strlen(name)))
            (void)kev_value_array_append(a, kev_value_cstring(name));
    }
    if (d == NULL || a == NULL) {
        kev_value_unref(d);
        kev_value_unref(a);
        return NULL;
    }
    if (kev_value_count(a) > 0)
        (void)kev_value_dict_set(d, "Interfaces", a);
    else
        kev_value_unref(a);
    return d;
}

static kev_value *expect_link(const kev_kernel *k, const kev_iface *ifp)
{
    (void)k;
    kev_value *d = kev_value_dict_new();
    if (d != NULL && ifp != NULL &&
        (ifp->media == KEV_MEDIA_ACTIVE || ifp->media == KEV_MEDIA_INACTIVE))
        (void)kev_value_dict_set(d, "Active",
                                 kev_value_bool(ifp->media == KEV_MEDIA_ACTIVE));
    return d;
}

static kev_value *expect_ipv4(const kev_kernel *k, const kev_iface *ifp)
{
    (void)k;
    return ifp ? kev__inet_expected(ifp, false) : kev_value_dict_new();
}

static kev_value *expect_ipv6(const kev_kernel *k, const kev_iface *ifp)
{
    (void)k;
    return ifp ? kev__inet_expected(ifp, true) : kev_value_dict_new();
}

static kev_value *expect_quality(const kev_kernel *k, const kev_iface *ifp)
{
    (void)k;
    kev_value *d = kev_value_dict_new();
    if (d != NULL && ifp != NULL && ifp->lqm != KEV_LQM_THRESH_UNKNOWN)
        (void)kev_value_dict_set(d, "LinkQuality", kev_value_int(ifp->lqm));
    return d;
}

/* The compared properties of a store value: a new dictionary holding those
 * of r->props that `v` (a dictionary, or anything else) has. */
static kev_value *project(const family_row *r, const kev_value *v)
{
    kev_value *d = kev_value_dict_new();
    if (d == NULL || v == NULL || kev_value_type(v) != KEV_VT_DICT)
        return d;
    for (size_t i = 0; i < 4 && r->props[i] != NULL; i++) {
        const kev_value *p = kev_value_dict_get(v, r->props[i]);
        if (p != NULL)
            (void)kev_value_dict_set(d, r->props[i], kev_value_copy(p));
    }
    return d;
}

/* --------------------------------------------------------------- comparing */

/* The first string of array `a` (may be NULL) that `b` (may be NULL) does
 * not hold, or NULL. Interface names that are not compared (see
 * name_comparable) are passed over. */
static const char *first_not_in(const kev_value *a, const kev_value *b)
{
    size_t n = a && kev_value_type(a) == KEV_VT_ARRAY ? kev_value_count(a) : 0;
    for (size_t i = 0; i < n; i++) {
        const kev_value *s = kev_value_array_at(a, i);
        size_t len;
        const char *str =
            kev_value_type(s) == KEV_VT_STRING ? kev_value_get_string(s, &len) : NULL;
        if (str == NULL || (len < KEV_IFNAMSIZ && !name_comparable(str, len)))
            continue;
        if (b == NULL || kev_value_type(b) != KEV_VT_ARRAY ||
            !kev_value_array_has_string(b, str, len))
            return str;
    }
    return NULL;
}

/* Are the members of two arrays the same set of strings? */
static bool same_set(const kev_value *a, const kev_value *b)
{
    return first_not_in(a, b) == NULL && first_not_in(b, a) == NULL;
}

/* Equal, with the member property compared as a set when the row says. */
static bool agree(const family_row *r, const kev_value *s, const kev_value *e)
{
    if (!r->member_set)
        return kev_value_equal(s, e);
    for (size_t i = 0; i < 4 && r->props[i] != NULL; i++) {
        const kev_value *a = kev_value_dict_get(s, r->props[i]);
        const kev_value *b = kev_value_dict_get(e, r->props[i]);
        bool same = strcmp(r->props[i], r->member) == 0 ? same_set(a, b)
                    : a == NULL || b == NULL            ? a == b
                                                        : kev_value_equal(a, b);
        if (!same)
            return false;
    }
    return true;
}

/* Sets the reason and detail of a disagreement between the projected store
 * value `s` (the store holds the key when `present`) and the kernel's `e`. */
static void explain(const family_row *r, const kev_value *s, const kev_value *e,
                    bool present, kev_drift_item *it)
{
    const char *m;
    if (r->member) {
        const kev_value *sm = kev_value_dict_get(s, r->member);
        const kev_value *em = kev_value_dict_get(e, r->member);
        if ((m = first_not_in(sm, em)) != NULL) {
            it->reason = r->gone;
            snprintf(it->detail, sizeof it->detail, "the store lists %s, the kernel %s", m,
                     em ? "does not have it" : "has none");
            return;
        }
        if ((m = first_not_in(em, sm)) != NULL) {
            it->reason = present ? r->missing : "key-missing";
            snprintf(it->detail, sizeof it->detail, "the kernel has %s, the store %s", m,
                     present ? "does not list it" : "has no key");
            return;
        }
    }
    if (!present) {
        it->reason = "key-missing";
        snprintf(it->detail, sizeof it->detail,
                 "the kernel backs a value, the store has no key");
        return;
    }
    if (kev_value_count(e) == 0) {
        it->reason = "key-stale";
        snprintf(it->detail, sizeof it->detail, "the kernel backs no %s, the store has one",
                 kev_value_count(s) == 1 ? kev_value_dict_key_at(s, 0) : "value");
        return;
    }
    it->reason = "value-differs";
    for (size_t i = 0; i < 4 && r->props[i] != NULL; i++) {
        const kev_value *a = kev_value_dict_get(s, r->props[i]);
        const kev_value *b = kev_value_dict_get(e, r->props[i]);
        if (a == NULL && b == NULL)
            continue;
        if (a == NULL || b == NULL || !kev_value_equal(a, b)) {
            snprintf(it->detail, sizeof it->detail, "%s: the store %s the kernel's",
                     r->props[i],
                     a == NULL   ? "lacks"
                     : b == NULL ? "has one, not"
                                 : "differs from");
            return;
        }
    }
    snprintf(it->detail, sizeof it->detail, "the values differ");
}

/* The kernel's value for a key of row `r` (interface `ifname`, "" for none):
 * *ifp the interface (NULL when the kernel has none). NULL when out of
 * memory. */
static kev_value *expected_of(const family_row *r, const kev_kernel *k, const char *ifname,
                              const kev_iface **ifp)
{
    *ifp = ifname[0] ? kev_kernel_find_const(k, ifname) : NULL;
    return r->expect(k, *ifp);
}

/* Fills `it` for a key of a backed row; 1 when it drifts, 0, or KEV_ENOMEM. */
static int compare_key(const kev_world *w, const family_row *r, const char *key,
                       const char *ifname, kev_drift_item *it)
{
    const kev_iface *ifp;
    const kev_value *sv = kev_store_get(w->store, key);
    kev_value *e = expected_of(r, w->kernel, ifname, &ifp);
    kev_value *s = project(r, sv);
    if (e == NULL || s == NULL) {
        kev_value_unref(e);
        kev_value_unref(s);
        return KEV_ENOMEM;
    }
    memset(it, 0, sizeof *it);
    it->key = key;
    it->family = r->pub.name;
    snprintf(it->ifname, sizeof it->ifname, "%s", ifname);
    it->store = sv;
    int rc = 0;
    bool per_if = r->match == M_ENTITY || r->match == M_ENTITY_SUB;
    if (per_if && ifp == NULL) {
        rc = kev_value_count(s) > 0;
        it->reason = "interface-gone";
        snprintf(it->detail, sizeof it->detail, "the kernel has no interface %s", ifname);
    } else if (!agree(r, s, e)) {
        rc = 1;
        explain(r, s, e, sv != NULL, it);
    }
    if (rc == 1 && kev_value_count(e) > 0)
        it->kernel = kev_value_ref(e);
    kev_value_unref(e);
    kev_value_unref(s);
    return rc;
}

/* The since of a drifting key, from the world's tracker. */
static void since_of(const kev_world *w, kev_drift_item *it)
{
    it->since_kind = KEV_DRIFT_SINCE_UNKNOWN;
    if (w->drift_since == NULL)
        return;
    const kev_value *v = kev_store_get(w->drift_since, it->key);
    if (v == NULL)
        return;
    int64_t b = kev_value_get_int(v);
    it->since_kind = b < 0 ? KEV_DRIFT_SINCE_PRIME : KEV_DRIFT_SINCE_BATCH;
    it->since = b < 0 ? 0 : (uint64_t)b;
}

void kev_drift_item_clear(kev_drift_item *it)
{
    kev_value_unref(it->kernel);
    it->kernel = NULL;
}

/* Checks `key` without the tracker's since. */
static int check_now(const kev_world *w, const char *key, kev_drift_item *out)
{
    char ifname[KEV_IFNAMSIZ];
    memset(out, 0, sizeof *out);
    const family_row *r = row_of(key, ifname);
    if (r == NULL || r->expect == NULL)
        return 0;
    bool per_if = r->match == M_ENTITY || r->match == M_ENTITY_SUB;
    if (per_if && ifname[0] == '\0')
        return 0; /* a name whose spelling depends on the profile */
    int rc = compare_key(w, r, key, ifname, out);
    if (rc != 1)
        kev_drift_item_clear(out);
    return rc;
}

int kev_drift_check(const kev_world *w, const char *key, kev_drift_item *out)
{
    int rc = check_now(w, key, out);
    if (rc == 1)
        since_of(w, out);
    return rc;
}

kev_value *kev_drift_expected(const kev_world *w, const char *key, bool *backed)
{
    char ifname[KEV_IFNAMSIZ];
    const family_row *r = row_of(key, ifname);
    if (backed)
        *backed = r != NULL && r->expect != NULL;
    if (r == NULL || r->expect == NULL)
        return NULL;
    const kev_iface *ifp;
    kev_value *e = expected_of(r, w->kernel, ifname, &ifp);
    if (e != NULL && kev_value_count(e) == 0) {
        kev_value_unref(e);
        e = NULL;
    }
    return e;
}

kev_value *kev_drift_backed_part(const char *key, const kev_value *v)
{
    char ifname[KEV_IFNAMSIZ];
    const family_row *r = row_of(key, ifname);
    if (r == NULL || r->expect == NULL || v == NULL)
        return NULL;
    return project(r, v);
}

/* ------------------------------------------------------------------- scans */

/* A growing list of owned key strings. */
typedef struct key_list {
    char **k;
    size_t n, cap;
    bool oom;
} key_list;

static void list_add(key_list *l, const char *key)
{
    if (l->oom)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 32;
        char **k = realloc(l->k, cap * sizeof *k);
        if (k == NULL) {
            l->oom = true;
            return;
        }
        l->k = k;
        l->cap = cap;
    }
    size_t len = strlen(key) + 1;
    if ((l->k[l->n] = malloc(len)) == NULL) {
        l->oom = true;
        return;
    }
    memcpy(l->k[l->n++], key, len);
}

static void list_free(key_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->k[i]);
    free(l->k);
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Builds "State:/Network/Interface/<name>/<entity>" into out[DRIFT_KEY_CAP]. */
static void if_key(char out[DRIFT_KEY_CAP], const char *name, const char *entity)
{
    snprintf(out, DRIFT_KEY_CAP, "%s%s/%s", IF_PREFIX, name, entity);
}

/* Adds the keys of interface `name` for every backed per-interface row. */
static void add_iface_keys(key_list *l, const char *name)
{
    char key[DRIFT_KEY_CAP];
    if (!name_comparable(name, strlen(name)))
        return;
    for (size_t i = 0; i < N_ROWS; i++) {
        if (rows[i].expect == NULL || rows[i].match != M_ENTITY)
            continue;
        if_key(key, name, rows[i].pub.name);
        list_add(l, key);
    }
}

/* The keys worth checking now: the store's keys of backed rows, and the
 * keys the kernel's interfaces (and the list) would have. Sorted, unique. */
static int candidate_keys(const kev_world *w, key_list *l)
{
    const char **keys = NULL;
    size_t n = 0;
    if (kev_store_keys_sorted(w->store, &keys, &n) != 0)
        return KEV_ENOMEM;
    char ifname[KEV_IFNAMSIZ];
    for (size_t i = 0; i < n; i++) {
        const family_row *r = row_of(keys[i], ifname);
        if (r != NULL && r->expect != NULL)
            list_add(l, keys[i]);
    }
    free(keys);
    list_add(l, KEV_INTERFACES_KEY);
    for (size_t i = 0; i < kev_kernel_count(w->kernel); i++)
        add_iface_keys(l, kev_kernel_at(w->kernel, i)->name);
    if (l->oom)
        return KEV_ENOMEM;
    if (l->n > 1)
        qsort(l->k, l->n, sizeof *l->k, cmp_keys);
    size_t u = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (u > 0 && strcmp(l->k[u - 1], l->k[i]) == 0)
            free(l->k[i]);
        else
            l->k[u++] = l->k[i];
    }
    l->n = u;
    return 0;
}

long kev_drift_scan(const kev_world *w, void (*fn)(void *ctx, const kev_drift_item *it),
                    void *ctx)
{
    key_list l = {NULL, 0, 0, false};
    int rc = candidate_keys(w, &l);
    long count = 0;
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        kev_drift_item it;
        rc = kev_drift_check(w, l.k[i], &it);
        if (rc == 1) {
            count++;
            if (fn)
                fn(ctx, &it);
            kev_drift_item_clear(&it);
            rc = 0;
        }
    }
    list_free(&l);
    return rc < 0 ? rc : count;
}

/* ----------------------------------------------------------------- tracker */

int kev__drift_init(kev_world *w)
{
    w->drift_since = kev_store_new();
    w->drift_dirty = kev_store_new();
    w->drift_mark = kev_value_bool(true);
    return w->drift_since && w->drift_dirty && w->drift_mark ? 0 : KEV_ENOMEM;
}

void kev__drift_free(kev_world *w)
{
    kev_store_free(w->drift_since);
    kev_store_free(w->drift_dirty);
    kev_value_unref(w->drift_mark);
}

void kev__drift_reset(kev_world *w)
{
    if (w->drift_since == NULL)
        return;
    kev_store_reset(w->drift_since);
    kev_store_reset(w->drift_dirty);
}

void kev__drift_mark_key(kev_world *w, const char *key)
{
    if (w->drift_dirty != NULL && kev_store_get(w->drift_dirty, key) == NULL)
        (void)kev_store_set_value(w->drift_dirty, key, w->drift_mark, NULL);
}

void kev__drift_mark_iface(void *ctx, const char *name)
{
    kev_world *w = ctx;
    char key[DRIFT_KEY_CAP];
    if (!name_comparable(name, strlen(name)))
        return;
    kev__drift_mark_key(w, KEV_INTERFACES_KEY);
    for (size_t i = 0; i < N_ROWS; i++) {
        if (rows[i].expect == NULL || rows[i].match != M_ENTITY)
            continue;
        if_key(key, name, rows[i].pub.name);
        kev__drift_mark_key(w, key);
    }
}

void kev__drift_mark_all(kev_world *w)
{
    kev__drift_mark_key(w, KEV_INTERFACES_KEY);
    for (size_t i = 0; i < kev_kernel_count(w->kernel); i++)
        kev__drift_mark_iface(w, kev_kernel_at(w->kernel, i)->name);
}

/* "  drift KEY begins: REASON (DETAIL)" or "  drift KEY ends". */
static void report_transition(kev_world *w, const kev_drift_item *it, bool begins)
{
    kev__sb_adds(&w->out, "  drift ");
    kev__report_bytes_escaped(&w->out, it->key, strlen(it->key));
    if (begins) {
        kev_strbuf_addf(&w->out, " begins: %s (", it->reason);
        kev__report_text_escaped(&w->out, it->detail);
        kev__sb_adds(&w->out, ")\n");
    } else {
        kev__sb_adds(&w->out, " ends\n");
    }
}

/* Forgets that `key` drifts. */
static void since_forget(kev_world *w, const char *key)
{
    const char *keys[1] = {key};
    kev_store_batch b = {NULL, NULL, 0, keys, 1, NULL, 0};
    (void)kev_store_set_multiple(w->drift_since, &b, NULL);
}

/* One dirty key: records where it starts or stops drifting. */
static int settle_key(kev_world *w, const char *key, bool at_prime)
{
    kev_drift_item it;
    int rc = check_now(w, key, &it);
    if (rc < 0)
        return rc;
    bool had = kev_store_get(w->drift_since, key) != NULL;
    if (rc == (int)had) {
        rc = 0;
        goto done;
    }
    if (rc == 1) {
        kev_value *v = kev_value_int(at_prime ? -1 : (int64_t)w->batch);
        rc = v ? kev_store_set_value(w->drift_since, key, v, NULL) : KEV_ENOMEM;
        kev_value_unref(v);
        if (rc != 0)
            goto done;
        since_of(w, &it);
    } else {
        since_forget(w, key);
        char ifname[KEV_IFNAMSIZ];
        const family_row *r = row_of(key, ifname);
        it.key = key;
        it.family = r ? r->pub.name : "";
        snprintf(it.ifname, sizeof it.ifname, "%s", ifname);
        it.store = kev_store_get(w->store, key);
    }
    if (w->opts.drift_each && kev__reporting(w))
        report_transition(w, &it, !had);
    if (w->opts.on_drift)
        w->opts.on_drift(w->opts.drift_ctx, &it, !had);
    rc = 0;
done:
    kev_drift_item_clear(&it);
    return rc;
}

void kev__drift_settle(kev_world *w, bool at_prime)
{
    if (w->drift_dirty == NULL || kev_store_count(w->drift_dirty) == 0)
        return;
    const char **keys = NULL;
    size_t n = 0;
    if (kev_store_keys_sorted(w->drift_dirty, &keys, &n) != 0) {
        kev__report_line(w, "  drift: out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (settle_key(w, keys[i], at_prime) != 0)
            kev__report_line(w, "  drift: out of memory");
    free(keys);
    kev_store_reset(w->drift_dirty);
}

/* The final section's entry for one drifting key. */
static void report_item(void *ctx, const kev_drift_item *it)
{
    kev_strbuf *o = ctx;
    kev__sb_adds(o, "  ");
    kev__report_bytes_escaped(o, it->key, strlen(it->key));
    if (it->since_kind == KEV_DRIFT_SINCE_PRIME)
        kev__sb_adds(o, " since prime");
    else if (it->since_kind == KEV_DRIFT_SINCE_BATCH)
        kev_strbuf_addf(o, " since batch %llu", (unsigned long long)it->since);
    kev_strbuf_addf(o, ": %s (", it->reason);
    kev__report_text_escaped(o, it->detail);
    kev__sb_adds(o, ")\n    store: ");
    if (it->store)
        kev_value_format(it->store, o);
    else
        kev__sb_adds(o, "(absent)");
    kev__sb_adds(o, "\n    kernel: ");
    if (it->kernel)
        kev_value_format(it->kernel, o);
    else
        kev__sb_adds(o, "(nothing)");
    kev__sb_addc(o, '\n');
}

void kev__drift_report(kev_world *w, kev_strbuf *o)
{
    kev_strbuf body = KEV_STRBUF_INIT;
    long n = kev_drift_scan(w, report_item, &body);
    if (n < 0)
        kev_strbuf_adds(o, "drift keys=?\n  (out of memory)\n");
    else
        kev_strbuf_addf(o, "drift keys=%ld\n", n);
    if (n >= 0 && body.len)
        kev_strbuf_add(o, body.p, body.len);
    kev_strbuf_free(&body);
}
