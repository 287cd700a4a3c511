/*
 * test_props.c: properties of the core over every unit-test input and over
 * random bytes.
 *
 * - differential: where v963 (or v1405) reports no defect, hardened ends in
 *   the same store, kernel and notifications, unless it reported one of the
 *   listed deliberate differences (docs/fidelity.md, "Where hardened
 *   differs"); against v1405, the notifications of its one listed version
 *   difference are left out first (docs/configd-1405.md, "hardened and
 *   v1405");
 * - determinism: every input fed twice, to a fresh world and to a reset
 *   one, gives byte-identical reports;
 * - robustness: random batches of 0..64 KiB through every profile and
 *   option never crash, leak or hang, and the report always renders.
 */
#include <string.h>

#include "defect_cases.h"
#include "kev_test.h"
#include "testlib.h"
#include "world_cases.h"

/* Diagnostic codes by which hardened deliberately differs from v963 on
 * input where v963 reports no defect (each fixes the defect noted). */
static const char *const listed_differences[] = {
    "name-not-ascii", /* D9/D10: names must be ASCII */
    "name-invalid",   /* control bytes, space, '/' cannot reach a key */
    "name-empty",     /* an empty name has no interface */
    "ifaddr-null",    /* D18 on the snapshot side */
    /* D11: hardened refuses units >= 2^31, which v963 prints negative (a
     * defect, so never compared) and v1405 prints unsigned. */
    "unit-out-of-range",
};

static bool listed(const char *code)
{
    for (size_t i = 0; i < sizeof listed_differences / sizeof listed_differences[0]; i++)
        if (strcmp(code, listed_differences[i]) == 0)
            return true;
    return false;
}

/* Notification lines of a version's listed difference from hardened: v1405
 * notifies .../InterfaceDelegation on KEV_DL_IFDELEGATE_CHANGED, which
 * hardened (v963's semantics) ignores. */
static bool version_line(kev_profile p, const char *line, size_t n)
{
    static const char delegation[] = "/InterfaceDelegation count=";
    if (p != KEV_PROFILE_V1405 || n < sizeof delegation)
        return false;
    for (size_t i = 0; i + sizeof delegation - 1 <= n; i++)
        if (memcmp(line + i, delegation, sizeof delegation - 1) == 0)
            return true;
    return false;
}

/* The store, kernel and notification parts of a report, without the
 * notification summary's key count and without `p`'s version lines. */
static void state_part(kev_profile p, const char *report, kev_strbuf *out)
{
    const char *from = strstr(report, "\nstore keys=");
    const char *to = strstr(report, "\nstats ");
    kev_strbuf_clear(out);
    if (!from || !to || to <= from)
        return;
    for (const char *line = from + 1; line < to;) {
        const char *nl = memchr(line, '\n', (size_t)(to - line));
        size_t n = nl ? (size_t)(nl - line) : (size_t)(to - line);
        if (strncmp(line, "notifications keys=", 19) != 0 && !version_line(p, line, n)) {
            kev_strbuf_add(out, line, n);
            kev_strbuf_add(out, "\n", 1);
        }
        line += n + 1;
    }
}

/* Returns 1 when compared, 0 when excluded. */
static int check_differential_with(kev_profile p, const char *scenario)
{
    tl_run v, h;
    int compared = 0;
    tl_run_scenario(&v, p, NULL, scenario);
    tl_run_scenario(&h, KEV_PROFILE_HARDENED, NULL, scenario);
    if (kev_world_stats_get(v.w)->defects == 0) {
        kev_strbuf a = KEV_STRBUF_INIT, b = KEV_STRBUF_INIT;
        state_part(p, kev_strbuf_str(&v.report), &a);
        state_part(p, kev_strbuf_str(&h.report), &b);
        ASSERT_TRUE(a.len > 0);
        if (strcmp(kev_strbuf_str(&a), kev_strbuf_str(&b)) != 0) {
            for (size_t i = 0; i < h.n_findings; i++)
                if (!listed(h.findings[i].code))
                    KEV__FAIL("hardened differs from %s without a listed reason on\n%s\n"
                              "%s:\n%s\nhardened:\n%s\nfindings: %s",
                              kev_profile_name(p), scenario, kev_profile_name(p),
                              kev_strbuf_str(&a), kev_strbuf_str(&b), tl_findings_text(&h));
            if (h.n_findings == 0)
                KEV__FAIL("hardened differs from %s silently on\n%s\n%s:\n%s\n"
                          "hardened:\n%s",
                          kev_profile_name(p), scenario, kev_profile_name(p),
                          kev_strbuf_str(&a), kev_strbuf_str(&b));
        }
        compared = 1;
        kev_strbuf_free(&a);
        kev_strbuf_free(&b);
    }
    tl_free(&v);
    tl_free(&h);
    return compared;
}

static void check_differential(kev_profile p)
{
    int compared = 0;
    for (size_t i = 0; i < sizeof world_cases / sizeof world_cases[0]; i++)
        compared += check_differential_with(p, world_cases[i].scenario);
    for (size_t i = 0; i < sizeof defect_cases / sizeof defect_cases[0]; i++)
        if (!defect_cases[i].ilp32 && !defect_cases[i].verbose)
            compared += check_differential_with(p, defect_cases[i].scenario);
    /* Most well-formed inputs are defect-free. */
    ASSERT_TRUE(compared >= 40);
}

KEV_TEST(differential) { check_differential(KEV_PROFILE_V963); }
KEV_TEST(differential_v1405) { check_differential(KEV_PROFILE_V1405); }

/* The listed version difference is the only one: an IFDELEGATE_CHANGED
 * leaves v1405 with one more notified key than hardened, and nothing else
 * apart. */
KEV_TEST(differential_v1405_listed)
{
    tl_run v, h;
    static const char sc[] = "attach en0\nevent 2 25 en0\n";
    tl_run_scenario(&v, KEV_PROFILE_V1405, NULL, sc);
    tl_run_scenario(&h, KEV_PROFILE_HARDENED, NULL, sc);
    ASSERT_CONTAINS(kev_strbuf_str(&v.report),
                    "\n  State:/Network/Interface/en0/InterfaceDelegation count=1\n");
    ASSERT_NOT_CONTAINS(kev_strbuf_str(&h.report), "InterfaceDelegation");
    kev_strbuf a = KEV_STRBUF_INIT, b = KEV_STRBUF_INIT;
    state_part(KEV_PROFILE_V1405, kev_strbuf_str(&v.report), &a);
    state_part(KEV_PROFILE_V1405, kev_strbuf_str(&h.report), &b);
    ASSERT_EQ_STR(kev_strbuf_str(&a), kev_strbuf_str(&b));
    /* Against v963 the line is not a listed difference. */
    state_part(KEV_PROFILE_V963, kev_strbuf_str(&v.report), &a);
    ASSERT_CONTAINS(kev_strbuf_str(&a), "InterfaceDelegation");
    kev_strbuf_free(&a);
    kev_strbuf_free(&b);
    tl_free(&v);
    tl_free(&h);
}

/* A listed difference really is one: a valid UTF-8 name is accepted by
 * v963 and refused by hardened, with its diagnostic. */
KEV_TEST(differential_listed)
{
    tl_run v, h;
    static const char sc[] = "attach \\xc3\\xa9n0\n";
    tl_run_scenario(&v, KEV_PROFILE_V963, NULL, sc);
    tl_run_scenario(&h, KEV_PROFILE_HARDENED, NULL, sc);
    ASSERT_EQ_U64(kev_world_stats_get(v.w)->defects, 0);
    ASSERT_EQ_STR(tl_value(&v, "State:/Network/Interface"), "{Interfaces = [\"\xc3\xa9n0\"]}");
    ASSERT_EQ_STR(tl_value(&h, "State:/Network/Interface"), "(absent)");
    ASSERT_TRUE(tl_has_finding(&h, 9, "name-not-ascii"));
    tl_free(&v);
    tl_free(&h);
}

static void run_twice(kev_profile p, const tl_opts *o, const char *scenario)
{
    tl_run a, b;
    tl_run_scenario(&a, p, o, scenario);
    tl_run_scenario(&b, p, o, scenario);
    ASSERT_EQ_STR(kev_strbuf_str(&a.report), kev_strbuf_str(&b.report));
    /* The same world, reset, gives the same report again. */
    kev_world_reset(a.w);
    kev_strbuf_clear(&a.report);
    a.n_findings = 0;
    ASSERT_EQ_U64(kev_store_count(kev_world_store(a.w)), 0);
    ASSERT_EQ_U64(kev_kernel_count(kev_world_kernel(a.w)), 0);
    tl_feed_scenario(&a, scenario);
    ASSERT_EQ_INT(kev_world_finish(a.w), 0);
    ASSERT_EQ_STR(kev_strbuf_str(&a.report), kev_strbuf_str(&b.report));
    tl_free(&a);
    tl_free(&b);
}

KEV_TEST(determinism)
{
    for (int p = 0; p < KEV_PROFILE__COUNT; p++) {
        for (size_t i = 0; i < sizeof world_cases / sizeof world_cases[0]; i++)
            run_twice((kev_profile)p, NULL, world_cases[i].scenario);
        for (size_t i = 0; i < sizeof defect_cases / sizeof defect_cases[0]; i++) {
            tl_opts o = {defect_cases[i].ilp32, defect_cases[i].verbose, 0, false};
            run_twice((kev_profile)p, &o, defect_cases[i].scenario);
        }
    }
}

/* A fixed-seed generator: the same bytes on every machine. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* A batch that is mostly plausible records with random damage, so the
 * walkers get past the first header often and reach the handlers. */
static void plausible_record(uint8_t *p, size_t n)
{
    static const uint32_t subclasses[] = {1, 2, 2, 2, 6, 7, 3, 12};
    uint32_t words[8] = {(uint32_t)n, 1, 1, subclasses[rng() % 8], (uint32_t)rng(),
                         (uint32_t)(rng() % 26), 0, (uint32_t)(rng() % 4)};
    if (rng() % 5 == 0)
        words[0] = (uint32_t)rng() % 64; /* damage the size */
    if (rng() % 9 == 0)
        words[7] = (uint32_t)rng(); /* a wild unit */
    for (int w = 0; w < 8; w++)
        for (int b = 0; b < 4; b++)
            p[4 * w + b] = (uint8_t)(words[w] >> (8 * b));
    if (n >= 48 && rng() % 6 != 0)
        memcpy(p + 32, rng() % 2 ? "en\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
                                 : "utun\0\0\0\0\0\0\0\0\0\0\0\0", 16);
}

static size_t random_batch(uint8_t *buf, size_t cap)
{
    size_t len = (rng() % 8 == 0) ? (size_t)(rng() % (cap + 1)) : (size_t)(rng() % 1200);
    size_t off = 0;
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)rng();
    while (off + 48 <= len && rng() % 5 != 0) {
        static const size_t sizes[] = {48, 52, 56, 76, 92, 96, 192, 68};
        size_t n = rng() % 4 ? sizes[rng() % 8] : 24 + (size_t)(rng() % 200);
        if (off + n > len)
            break;
        plausible_record(buf + off, n);
        off += n;
    }
    return len;
}

static void sink_null(void *ctx, const char *p, size_t n)
{
    size_t *total = ctx;
    (void)p;
    *total += n;
}

KEV_TEST(random_bytes)
{
    static uint8_t buf[KEV_MAX_BATCH];
    for (int cfg = 0; cfg < KEV_PROFILE__COUNT * 4; cfg++) {
        kev_world_opts o;
        size_t total = 0;
        kev_world_opts_init(&o);
        o.profile = (kev_profile)(cfg % KEV_PROFILE__COUNT);
        o.ilp32 = (cfg / KEV_PROFILE__COUNT) & 1;
        o.verbose = (cfg / KEV_PROFILE__COUNT) & 2;
        o.sink.write = sink_null;
        o.sink.ctx = &total;
        kev_world *w = kev_world_new(&o);
        ASSERT_NOT_NULL(w);
        static const char snap[] = "if en0 up\ninet en0 10.0.0.2/24\n";
        ASSERT_EQ_INT(kev_kernel_load_text(kev_world_kernel(w), snap, strlen(snap), NULL), 0);
        uint64_t t = 1700000000000000000ull;
        for (int i = 0; i < 2000; i++) {
            size_t len = random_batch(buf, sizeof buf);
            ASSERT_EQ_INT(kev_world_feed(w, buf, len, t), 0);
            t += rng() % 2000000000ull;
            /* A recv() error stops the faithful profiles for good (D12):
             * only hardened gets them along the way. */
            if (i % 97 == 96 && o.profile == KEV_PROFILE_HARDENED)
                ASSERT_EQ_INT(kev_world_feed_error(w, 35, "EAGAIN", t), 0);
        }
        ASSERT_EQ_INT(kev_world_finish(w), 0);
        ASSERT_TRUE(total > 0);
        const kev_world_stats *st = kev_world_stats_get(w);
        ASSERT_EQ_U64(st->batches, 2000);
        /* The generator reaches handlers and findings, not only framing. */
        ASSERT_TRUE(st->handled > 100);
        if (o.profile == KEV_PROFILE_HARDENED)
            ASSERT_TRUE(st->diagnostics > 100 && st->defects == 0 && st->stopped == 0);
        else
            ASSERT_TRUE(st->defects > 100);
        kev_world_free(w);
    }
}

/* Feeding without a sink (the fuzzing path) gives the same state. */
KEV_TEST(sinkless_same_state)
{
    size_t nonempty = 0;
    for (size_t i = 0; i < sizeof world_cases / sizeof world_cases[0]; i++) {
        tl_opts quiet = {false, false, 0, true};
        tl_run a, b;
        tl_run_scenario(&a, KEV_PROFILE_V963, NULL, world_cases[i].scenario);
        tl_run_scenario(&b, KEV_PROFILE_V963, &quiet, world_cases[i].scenario);
        kev_strbuf sa = KEV_STRBUF_INIT, sb = KEV_STRBUF_INIT;
        tl_store_text(&a, &sa);
        tl_store_text(&b, &sb);
        nonempty += sa.len > 0;
        ASSERT_EQ_STR(kev_strbuf_str(&sa), kev_strbuf_str(&sb));
        kev_strbuf_free(&sa);
        kev_strbuf_free(&sb);
        tl_free(&a);
        tl_free(&b);
    }
    ASSERT_TRUE(nonempty > 30);
}

KEV_TEST_MAIN(KEV_T(differential), KEV_T(differential_v1405), KEV_T(differential_v1405_listed), KEV_T(differential_listed), KEV_T(determinism),
              KEV_T(random_bytes), KEV_T(sinkless_same_state))
