/*
 * test_defects.c: every seed defect D1-D18 (eventmon-facts.md s5), from its
 * minimal input: the faithful profile(s) that have it report it with the
 * right id (and stop the batch where the original would crash or hang),
 * the profiles that do not have it do not report it, and hardened handles
 * the same input cleanly: no defect, no stopped batch, at most diagnostics.
 */
#include <string.h>

#include "kev_test.h"
#include "testlib.h"

#include "defect_cases.h"

static void check_faithful(const defect_case *c, kev_profile p)
{
    tl_opts o = {c->ilp32, c->verbose, 0, false};
    tl_run r;
    tl_run_scenario(&r, p, &o, c->scenario);
    bool want = (c->has & (1u << p)) != 0;
    bool got = tl_has_finding(&r, c->id, c->code);
    if (want != got)
        KEV__FAIL("D%d %s on %s%s: %s\nfindings:\n%s\nreport:\n%s", c->id, c->code,
                  kev_profile_name(p), c->ilp32 ? " ilp32" : "",
                  want ? "not reported" : "reported but the version lacks it",
                  tl_findings_text(&r), kev_strbuf_str(&r.report));
    for (size_t i = 0; want && i < r.n_findings; i++) {
        const kev_finding *f = &r.findings[i];
        ASSERT_EQ_INT(f->kind, KEV_FINDING_DEFECT);
        ASSERT_EQ_INT(f->profile, p);
        if (f->defect == c->id && strcmp(f->code, c->code) == 0) {
            ASSERT_EQ_INT(f->stops, c->stops);
            ASSERT_TRUE(f->message[0] != '\0');
        }
    }
    if (want && c->stops)
        ASSERT_TRUE(kev_world_stats_get(r.w)->stopped >= 1 ||
                    strstr(kev_strbuf_str(&r.report), "stopped") != NULL);
    tl_free(&r);
}

static void check_hardened(const defect_case *c)
{
    tl_opts o = {c->ilp32, c->verbose, 0, false};
    tl_run r;
    tl_run_scenario(&r, KEV_PROFILE_HARDENED, &o, c->scenario);
    for (size_t i = 0; i < r.n_findings; i++) {
        if (r.findings[i].kind != KEV_FINDING_DIAGNOSTIC || r.findings[i].stops)
            KEV__FAIL("hardened on D%d input: %s", c->id, tl_findings_text(&r));
    }
    ASSERT_EQ_U64(kev_world_stats_get(r.w)->stopped, 0);
    ASSERT_EQ_U64(kev_world_stats_get(r.w)->defects, 0);
    ASSERT_CONTAINS(kev_strbuf_str(&r.report), "\nend\n");
    tl_free(&r);
}

static void check_defect(int id)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof defect_cases / sizeof defect_cases[0]; i++) {
        if (defect_cases[i].id != id)
            continue;
        for (int p = 0; p < KEV_PROFILE__COUNT; p++)
            if (kev_profile_faithful((kev_profile)p))
                check_faithful(&defect_cases[i], (kev_profile)p);
        check_hardened(&defect_cases[i]);
        n++;
    }
    ASSERT_TRUE(n > 0);
}

KEV_TEST(d01) { check_defect(1); }
KEV_TEST(d02) { check_defect(2); }
KEV_TEST(d03) { check_defect(3); }
KEV_TEST(d04) { check_defect(4); }
KEV_TEST(d05) { check_defect(5); }
KEV_TEST(d06) { check_defect(6); }
KEV_TEST(d07) { check_defect(7); }
KEV_TEST(d08) { check_defect(8); }
KEV_TEST(d09) { check_defect(9); }
KEV_TEST(d10) { check_defect(10); }
KEV_TEST(d11) { check_defect(11); }
KEV_TEST(d12) { check_defect(12); }
KEV_TEST(d13) { check_defect(13); }
KEV_TEST(d14) { check_defect(14); }
KEV_TEST(d15) { check_defect(15); }
KEV_TEST(d16) { check_defect(16); }
KEV_TEST(d17) { check_defect(17); }
KEV_TEST(d18) { check_defect(18); }

/* D6 puts stale bytes in the store: with the poison pattern the metric is
 * 0xA5A5A5A5, deterministically. */
KEV_TEST(d06_stale_value)
{
    tl_run r;
    tl_run_scenario(&r, KEV_PROFILE_V963, NULL, "attach en0\nlqm en0 5 trunc 48 size 48\n");
    ASSERT_EQ_STR(tl_value(&r, "State:/Network/Interface/en0/LinkQuality"),
                  "{LinkQuality = -1515870811}");
    tl_free(&r);
    tl_run_scenario(&r, KEV_PROFILE_HARDENED, NULL, "attach en0\nlqm en0 5 trunc 48 size 48\n");
    ASSERT_EQ_STR(tl_value(&r, "State:/Network/Interface/en0/LinkQuality"), "(absent)");
    ASSERT_TRUE(tl_has_finding(&r, 6, "payload-short"));
    tl_free(&r);
}

/* D1 stops the batch: nothing queued before the looping event reaches the
 * store, and the next batch is processed normally. */
KEV_TEST(d01_discards_batch)
{
    tl_run r;
    tl_run_scenario(&r, KEV_PROFILE_V888, NULL,
                    "batch\nattach en0\nraw 00000000\nend\nattach en1\n");
    ASSERT_EQ_STR(tl_value(&r, "State:/Network/Interface"), "{Interfaces = [\"en1\"]}");
    ASSERT_EQ_U64(kev_world_stats_get(r.w)->stopped, 1);
    /* The kernel did attach en0: only configd's view lost it. */
    ASSERT_NOT_NULL(kev_kernel_find(kev_world_kernel(r.w), "en0"));
    tl_free(&r);
}

/* D12: after a recv() error the faithful profiles process nothing more;
 * hardened goes on. */
KEV_TEST(d12_monitoring)
{
    tl_run r;
    tl_run_scenario(&r, KEV_PROFILE_V963, NULL, "error EAGAIN\nattach en0\n");
    ASSERT_FALSE(kev_world_stats_get(r.w)->monitoring);
    ASSERT_EQ_STR(tl_value(&r, "State:/Network/Interface"), "(absent)");
    tl_free(&r);
    tl_run_scenario(&r, KEV_PROFILE_HARDENED, NULL, "error EAGAIN\nattach en0\n");
    ASSERT_TRUE(kev_world_stats_get(r.w)->monitoring);
    ASSERT_EQ_STR(tl_value(&r, "State:/Network/Interface"), "{Interfaces = [\"en0\"]}");
    tl_free(&r);
}

/* D10: CF-1153 reads the byte as Latin-1, so the key holds U+00E9. */
KEV_TEST(d10_latin1_key)
{
    tl_run r;
    tl_run_scenario(&r, KEV_PROFILE_V888, NULL, "arp rtr-failure \\xe90\n");
    ASSERT_CONTAINS(kev_strbuf_str(&r.report),
                    "notify State:/Network/Interface/\\xc3\\xa90/IPv4RouterARPFailure");
    tl_free(&r);
}

/* D17: the kernel's IFF_UP is really cleared by v888 only. */
KEV_TEST(d17_kernel_flag)
{
    static const char sc[] = "kernel if en0 up\nproto detached en0 2 0\n";
    tl_run r;
    tl_run_scenario(&r, KEV_PROFILE_V888, NULL, sc);
    ASSERT_EQ_INT(kev_kernel_find(kev_world_kernel(r.w), "en0")->flags & KEV_IFF_UP, 0);
    tl_free(&r);
    tl_run_scenario(&r, KEV_PROFILE_V963, NULL, sc);
    ASSERT_EQ_INT(kev_kernel_find(kev_world_kernel(r.w), "en0")->flags & KEV_IFF_UP,
                  KEV_IFF_UP);
    tl_free(&r);
}

KEV_TEST_MAIN(KEV_T(d01), KEV_T(d02), KEV_T(d03), KEV_T(d04), KEV_T(d05), KEV_T(d06),
              KEV_T(d07), KEV_T(d08), KEV_T(d09), KEV_T(d10), KEV_T(d11), KEV_T(d12),
              KEV_T(d13), KEV_T(d14), KEV_T(d15), KEV_T(d16), KEV_T(d17), KEV_T(d18),
              KEV_T(d06_stale_value), KEV_T(d01_discards_batch), KEV_T(d12_monitoring),
              KEV_T(d10_latin1_key), KEV_T(d17_kernel_flag))
