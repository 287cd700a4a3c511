/*
 * fuzz/kev_fuzz.c: the helpers every fuzz target shares (kev_fuzz.h): the
 * two input forms, the invariants checked after every input, the reset
 * check, and the defect hook of the faithful targets.
 *
 * The checks use only the core's public API, so they hold the core to what
 * its headers promise; a violation aborts with one "kevrr ..." line that
 * names what broke.
 */
#define _POSIX_C_SOURCE 200809L /* strnlen, strtok_r */

#include "kev_fuzz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kevrr/drift.h"
#include "kevrr/fuzzin.h"
#include "kevrr/kernel.h"
#include "kevrr/scenario.h"
#include "kevrr/store.h"
#include "kevrr/value.h"
#include "kevrr/wire.h"

/* The store key holding hardened's list of interfaces, and its field. */
#define KEV_FUZZ_IFLIST_KEY   "State:/Network/Interface"
#define KEV_FUZZ_IFLIST_FIELD "Interfaces"
/* Bytes at each end of an input that choose whether it is sampled. */
#define KEV_FUZZ_SAMPLE_BYTES 64u
/* The longest KEV_FUZZ_DEFECTS value read. */
#define KEV_FUZZ_DEFECTS_MAX 256u

bool kev_fuzz_check_all;

/* FNV-1a multiplies modulo 2^32 on purpose: UBSan's unsigned-integer-
 * overflow check (on in OSS-Fuzz's undefined builds) is told so. */
#if defined(__clang__)
#define KEV_FUZZ_WRAPS __attribute__((no_sanitize("unsigned-integer-overflow")))
#else
#define KEV_FUZZ_WRAPS
#endif

/* FNV-1a over the size and at most the first and last
 * KEV_FUZZ_SAMPLE_BYTES bytes: enough to spread the choices, and cheap
 * whatever the input's length. */
KEV_FUZZ_WRAPS uint32_t kev_fuzz_hash(const uint8_t *data, size_t size)
{
    uint32_t h = 2166136261u ^ (uint32_t)size;
    size_t head = size < 2 * KEV_FUZZ_SAMPLE_BYTES ? size : KEV_FUZZ_SAMPLE_BYTES;
    for (size_t i = 0; i < head; i++)
        h = (h ^ data[i]) * 16777619u;
    for (size_t i = size - (size - head < KEV_FUZZ_SAMPLE_BYTES ? size - head
                                                                  : KEV_FUZZ_SAMPLE_BYTES);
         i < size; i++)
        h = (h ^ data[i]) * 16777619u;
    return h;
}

bool kev_fuzz_sampled(const uint8_t *data, size_t size)
{
    static int env = -1;
    if (env < 0) {
        const char *e = getenv("KEV_FUZZ_CHECK_ALL");
        env = e != NULL && strcmp(e, "1") == 0;
    }
    if (kev_fuzz_check_all || env)
        return true;
    return kev_fuzz_hash(data, size) % KEV_FUZZ_SAMPLE == 0;
}

void kev_fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    fputs("kevrr invariant: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    abort();
}

/* ------------------------------------------------------------- sinks */

static void render_write(void *ctx, const char *p, size_t n)
{
    kev_fuzz_render *r = ctx;
    if (r->len < KEV_FUZZ_REPORT_HEAD) {
        size_t take = KEV_FUZZ_REPORT_HEAD - r->len;
        if (take > n)
            take = n;
        memcpy(r->head + r->len, p, take);
        r->head[r->len + take] = '\0';
    }
    r->len += n;
}

kev_sink kev_fuzz_sink_render(kev_fuzz_render *r)
{
    kev_sink s = {render_write, r};
    return s;
}

static void text_write(void *ctx, const char *p, size_t n)
{
    kev_strbuf_add(ctx, p, n);
}

kev_sink kev_fuzz_sink_text(kev_strbuf *full)
{
    kev_sink s = {text_write, full};
    return s;
}

/* The worlds a process made (kev_fuzz_world_new): every target makes at
 * most a handful, once. */
#define KEV_FUZZ_MAX_WORLDS 8
static kev_world *worlds[KEV_FUZZ_MAX_WORLDS];
static size_t nworlds;

/* At exit: the worlds freed, as a tool would free them. */
static void worlds_free(void)
{
    while (nworlds > 0)
        kev_world_free(worlds[--nworlds]);
}

kev_world *kev_fuzz_world_new(kev_profile profile, bool verbose, kev_sink sink,
                              void (*on_finding)(void *, const kev_finding *), void *ctx)
{
    return kev_fuzz_world_new_opts(profile, verbose, sink, on_finding, ctx, NULL);
}

/* The data model of every world this process makes (kev_fuzz_run_legacy_abi
 * sets it before the first). */
static bool abi_ilp32;

kev_world *kev_fuzz_world_new_opts(kev_profile profile, bool verbose, kev_sink sink,
                                   void (*on_finding)(void *, const kev_finding *), void *ctx,
                                   void (*on_drift)(void *, const kev_drift_item *, bool))
{
    if (nworlds == KEV_FUZZ_MAX_WORLDS)
        kev_fuzz_fail("kev_fuzz_world_new: more than %d worlds", KEV_FUZZ_MAX_WORLDS);
    if (nworlds == 0 && atexit(worlds_free) != 0)
        kev_fuzz_fail("kev_fuzz_world_new: atexit failed");
    kev_world_opts o;
    kev_world_opts_init(&o);
    o.profile = profile;
    o.verbose = verbose;
    o.sink = sink;
    o.on_finding = on_finding;
    o.finding_ctx = ctx;
    o.drift = o.drift_each = on_drift != NULL;
    o.on_drift = on_drift;
    o.ilp32 = abi_ilp32;
    kev_world *w = kev_world_new(&o);
    if (w == NULL)
        kev_fuzz_fail("kev_world_new(%s) failed", kev_profile_name(profile));
    worlds[nworlds++] = w;
    return w;
}

/* ------------------------------------------------------------ feeding */

static void feed_checked(kev_world *w, const uint8_t *p, size_t n, uint64_t t_ns)
{
    int rc = kev_world_feed(w, p, n, t_ns);
    if (rc != 0)
        kev_fuzz_fail("kev_world_feed(%zu bytes) returned %d", n, rc);
}

void kev_fuzz_feed_single(kev_world *w, const uint8_t *data, size_t size)
{
    feed_checked(w, data, size > KEV_MAX_BATCH ? KEV_MAX_BATCH : size, KEV_SCENARIO_T0_NS);
}

void kev_fuzz_feed_multi(kev_world *w, const uint8_t *data, size_t size)
{
    kev_fuzzin_dec d;
    kev_fuzzin_item it;
    kev_fuzzin_dec_init(&d, data, size);
    while (kev_fuzzin_next(&d, &it) == 1) {
        if (it.kind == KEV_FUZZIN_BATCH) {
            feed_checked(w, it.data, it.len, it.t_ns);
        } else if (kev_world_feed_error(w, it.err, NULL, it.t_ns) != 0) {
            kev_fuzz_fail("kev_world_feed_error(%d) failed", it.err);
        }
    }
}

/* --------------------------------------------------------- invariants */

/* The store: kev_store_keys_sorted agrees with kev_store_count, the keys
 * are strictly increasing (no duplicate), within the key cap, and each one
 * reads back a value. */
static void check_store(const kev_store *s)
{
    const char **keys = NULL;
    size_t n = 0;
    if (kev_store_keys_sorted(s, &keys, &n) != 0)
        kev_fuzz_fail("store: kev_store_keys_sorted failed");
    if (n != kev_store_count(s))
        kev_fuzz_fail("store: %zu keys listed, %zu counted", n, kev_store_count(s));
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(keys[i]);
        if (len == 0 || len > KEV_STORE_MAX_KEY)
            kev_fuzz_fail("store: key %zu has length %zu", i, len);
        if (i > 0 && strcmp(keys[i - 1], keys[i]) >= 0)
            kev_fuzz_fail("store: keys %zu and %zu out of order: \"%s\", \"%s\"", i - 1, i,
                          keys[i - 1], keys[i]);
        if (kev_store_get(s, keys[i]) == NULL)
            kev_fuzz_fail("store: listed key \"%s\" has no value", keys[i]);
    }
    free(keys);
}

/* One interface: a name of 1..15 bytes that finds this very interface, and
 * address counts within the kernel's cap. */
static void check_iface(const kev_kernel *k, size_t i)
{
    const kev_iface *f = kev_kernel_at(k, i);
    if (f == NULL)
        kev_fuzz_fail("kernel: interface %zu of %zu missing", i, kev_kernel_count(k));
    size_t len = strnlen(f->name, sizeof f->name);
    if (len == 0 || len >= sizeof f->name)
        kev_fuzz_fail("kernel: interface %zu has a name of %zu bytes", i, len);
    if (kev_kernel_find_const(k, f->name) != f)
        kev_fuzz_fail("kernel: name \"%s\" of interface %zu is not unique", f->name, i);
    if (f->n_inet > KEV_KERNEL_MAX_ADDRS || f->n_inet6 > KEV_KERNEL_MAX_ADDRS)
        kev_fuzz_fail("kernel: %s holds %zu/%zu addresses, cap %d", f->name, f->n_inet,
                      f->n_inet6, KEV_KERNEL_MAX_ADDRS);
}

/* The kernel: caps and names hold, and (with `full`) its dump loads back
 * into a fresh kernel that dumps the same text (kevrr/kernel.h promises
 * it). */
static void check_kernel(const kev_kernel *k, bool full)
{
    static kev_kernel *again;
    static kev_strbuf a = KEV_STRBUF_INIT, b = KEV_STRBUF_INIT, err = KEV_STRBUF_INIT;
    size_t n = kev_kernel_count(k);
    if (n > KEV_KERNEL_MAX_IFS)
        kev_fuzz_fail("kernel: %zu interfaces, cap %d", n, KEV_KERNEL_MAX_IFS);
    for (size_t i = 0; i < n; i++)
        check_iface(k, i);
    if (!full)
        return;
    if (again == NULL && (again = kev_kernel_new()) == NULL)
        kev_fuzz_fail("kernel: kev_kernel_new failed");
    kev_kernel_reset(again);
    kev_strbuf_clear(&a);
    kev_strbuf_clear(&b);
    kev_strbuf_clear(&err);
    kev_kernel_format(k, &a);
    if (kev_kernel_load_text(again, kev_strbuf_str(&a), a.len, &err) != 0)
        kev_fuzz_fail("kernel: its dump does not load back: %s\n%s", kev_strbuf_str(&err),
                      kev_strbuf_str(&a));
    kev_kernel_format(again, &b);
    if (a.len != b.len || memcmp(kev_strbuf_str(&a), kev_strbuf_str(&b), a.len) != 0)
        kev_fuzz_fail("kernel: dump and reloaded dump differ:\n%s---\n%s", kev_strbuf_str(&a),
                      kev_strbuf_str(&b));
}

/* Store and kernel agree where configd keeps a list: the interface list
 * (when present) is an array of strings, each named once. */
static void check_iflist(const kev_store *s)
{
    const kev_value *d = kev_store_get(s, KEV_FUZZ_IFLIST_KEY);
    if (d == NULL)
        return;
    if (kev_value_type(d) != KEV_VT_DICT)
        kev_fuzz_fail("store: %s is a %s", KEV_FUZZ_IFLIST_KEY,
                      kev_vtype_name(kev_value_type(d)));
    const kev_value *a = kev_value_dict_get(d, KEV_FUZZ_IFLIST_FIELD);
    if (a == NULL || kev_value_type(a) != KEV_VT_ARRAY)
        kev_fuzz_fail("store: %s has no %s array", KEV_FUZZ_IFLIST_KEY, KEV_FUZZ_IFLIST_FIELD);
    size_t n = kev_value_count(a);
    for (size_t i = 0; i < n; i++) {
        size_t li, lj;
        const kev_value *vi = kev_value_array_at(a, i);
        if (kev_value_type(vi) != KEV_VT_STRING)
            kev_fuzz_fail("store: %s entry %zu is not a string", KEV_FUZZ_IFLIST_FIELD, i);
        const char *si = kev_value_get_string(vi, &li);
        for (size_t j = 0; j < i; j++) {
            const char *sj = kev_value_get_string(kev_value_array_at(a, j), &lj);
            if (li == lj && memcmp(si, sj, li) == 0)
                kev_fuzz_fail("store: interface \"%.*s\" listed twice", (int)li, si);
        }
    }
}

void kev_fuzz_finish_check(kev_world *w, const kev_fuzz_render *r, bool full)
{
    int rc = kev_world_finish(w);
    if (rc != 0)
        kev_fuzz_fail("kev_world_finish returned %d", rc);
    check_store(kev_world_store(w));
    check_kernel(kev_world_kernel_const(w), full);
    if (kev_world_options(w)->profile == KEV_PROFILE_HARDENED) {
        const kev_world_stats *st = kev_world_stats_get(w);
        check_iflist(kev_world_store(w));
        if (st->defects != 0 || st->stopped != 0)
            kev_fuzz_fail("hardened reported %llu defect(s), stopped %llu batch(es)",
                          (unsigned long long)st->defects, (unsigned long long)st->stopped);
    }
    if (full && r != NULL && (r->len == 0 || strncmp(r->head, "kevrr-report", 12) != 0))
        kev_fuzz_fail("the report did not render (%zu bytes, starts \"%s\")", r->len, r->head);
}

void kev_fuzz_reset_check(kev_world *w)
{
    kev_world_reset(w);
    const kev_world_stats *st = kev_world_stats_get(w);
    if (kev_store_count(kev_world_store(w)) != 0)
        kev_fuzz_fail("reset: %zu store keys carried over", kev_store_count(kev_world_store(w)));
    if (kev_kernel_count(kev_world_kernel_const(w)) != 0)
        kev_fuzz_fail("reset: %zu interfaces carried over",
                      kev_kernel_count(kev_world_kernel_const(w)));
    if (st->batches || st->errors || st->events || st->handled || st->defects ||
        st->diagnostics || st->stopped || st->commits || st->posts || !st->monitoring)
        kev_fuzz_fail("reset: statistics carried over (batches %llu, events %llu, monitoring %d)",
                      (unsigned long long)st->batches, (unsigned long long)st->events,
                      (int)st->monitoring);
}

/* ------------------------------------------------------------- defects */

/* Parses KEV_FUZZ_DEFECTS into `mask` (bit N: DN aborts). Unset or empty
 * selects none: an engine's default environment (ClusterFuzzLite,
 * OSS-Fuzz, which set no variable of ours) must never see a seed defect
 * as a crash; local campaigns hunt them by asking. */
static void parse_defects(const char *s, uint32_t *mask)
{
    char buf[KEV_FUZZ_DEFECTS_MAX];
    *mask = 0;
    if (s == NULL || *s == '\0' || strcmp(s, "none") == 0)
        return;
    if (strcmp(s, "all") == 0) {
        *mask = ~(uint32_t)0;
        return;
    }
    if (strlen(s) >= sizeof buf)
        kev_fuzz_fail("KEV_FUZZ_DEFECTS: longer than %u bytes", KEV_FUZZ_DEFECTS_MAX - 1);
    strcpy(buf, s);
    for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok != NULL;
         tok = strtok_r(NULL, ", ", &save)) {
        char *end = NULL;
        long id = strtol(tok + (tok[0] == 'D' || tok[0] == 'd'), &end, 10);
        if (end == NULL || *end != '\0' || id < 1 || id > KEV_DEFECT_MAX)
            kev_fuzz_fail("KEV_FUZZ_DEFECTS: '%s' is not a defect id 1..%d (\"7,12\", \"D5\", "
                          "\"all\", \"none\")",
                          tok, KEV_DEFECT_MAX);
        *mask |= (uint32_t)1 << id;
    }
}

bool kev_fuzz_defect_selected(int id)
{
    static uint32_t mask;
    static bool parsed;
    if (!parsed) {
        parse_defects(getenv("KEV_FUZZ_DEFECTS"), &mask);
        parsed = true;
    }
    return id >= 1 && id <= KEV_DEFECT_MAX && (mask >> id & 1u);
}

void kev_fuzz_on_defect(void *ctx, const kev_finding *f)
{
    (void)ctx;
    if (f->kind != KEV_FINDING_DEFECT || !kev_fuzz_defect_selected(f->defect))
        return;
    fprintf(stderr, "kevrr defect D%d (%s): %s batch %llu event %u offset %u: %s\n", f->defect,
            f->code, kev_profile_name(f->profile), (unsigned long long)f->batch, f->event,
            f->offset, f->message);
    fflush(stderr);
    abort();
}

/* Drift (kevrr/drift.h) is tracked in the world that renders its report (1
 * input in 16). The tracking re-checks after each batch only the keys the
 * batch could change, so it must agree with a fresh scan of every key: the
 * keys that began drifting and have not ended are exactly the ones the
 * scan finds at the end. */
static long drifting;

static void on_drift(void *ctx, const kev_drift_item *it, bool begins)
{
    (void)ctx;
    (void)it;
    drifting += begins ? 1 : -1;
}

static void drift_check(const kev_world *w)
{
    long now = kev_drift_scan(w, NULL, NULL);
    if (now < 0)
        kev_fuzz_fail("kev_drift_scan returned %ld", now);
    if (now != drifting)
        kev_fuzz_fail("drift: %ld key(s) drift at the end, the tracking says %ld", now,
                      drifting);
    drifting = 0;
}

int kev_fuzz_run(kev_profile profile, kev_fuzz_form form, bool verbose,
                 void (*on_finding)(void *, const kev_finding *), const uint8_t *data,
                 size_t size)
{
    /* One world rendering its report, one without a sink (the fast path),
     * each created on first use; a process fuzzes one profile. */
    static kev_world *w[2];
    static kev_fuzz_render r;
    static int first = -1;
    if (first < 0)
        first = (int)profile;
    if (first != (int)profile)
        kev_fuzz_fail("kev_fuzz_run: profile %s after %s in one process",
                      kev_profile_name(profile), kev_profile_name((kev_profile)first));
    bool full = kev_fuzz_sampled(data, size);
    kev_world **pw = &w[full];
    if (*pw == NULL)
        *pw = full ? kev_fuzz_world_new_opts(profile, verbose, kev_fuzz_sink_render(&r),
                                             on_finding, NULL, on_drift)
                   : kev_fuzz_world_new(profile, verbose, (kev_sink){NULL, NULL}, on_finding,
                                        NULL);
    r.len = 0;
    r.head[0] = '\0';
    if (form == KEV_FUZZ_MULTI)
        kev_fuzz_feed_multi(*pw, data, size);
    else
        kev_fuzz_feed_single(*pw, data, size);
    kev_fuzz_finish_check(*pw, full ? &r : NULL, full);
    if (full)
        drift_check(*pw);
    kev_fuzz_reset_check(*pw);
    return 0;
}

int kev_fuzz_run_legacy(kev_profile profile, const uint8_t *data, size_t size)
{
    return kev_fuzz_run_legacy_abi(profile, false, data, size);
}

int kev_fuzz_run_legacy_abi(kev_profile profile, bool ilp32, const uint8_t *data, size_t size)
{
    static int first = -1;
    if (first < 0) {
        first = ilp32;
        abi_ilp32 = ilp32;
    }
    if (first != (int)ilp32)
        kev_fuzz_fail("kev_fuzz_run_legacy_abi: %s after %s in one process",
                      ilp32 ? "ilp32" : "lp64", first ? "ilp32" : "lp64");
#ifdef KEV_FUZZ_AFL_DRIVER
    /* AFL++'s libAFLDriver calls the target once with the 4 bytes "##SI"
     * before its loop, to warm it up. In the multi-batch form they are a
     * batch of 2 bytes, which every faithful profile reports as D3: every
     * run would crash before fuzzing starts. build.sh defines this for
     * AFL++ builds only. */
    if (size == 4 && memcmp(data, "##SI", 4) == 0)
        return 0;
#endif
    return kev_fuzz_run(profile, KEV_FUZZ_MULTI, true, kev_fuzz_on_defect, data, size);
}
