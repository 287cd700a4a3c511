/*
 * test_world.c: every event code of the table, well-formed, through every
 * profile, with the store keys and values (and notifications) configd would
 * produce (eventmon-facts.md s4.2-s4.4).
 *
 * Each case is a scenario plus expectations: a key's rendered value (or
 * "(absent)"), or a line the report must (or must not) contain. A case
 * names the profiles it applies to, so the few places where v888, v963 and
 * hardened differ are spelled out next to each other.
 */
#include <string.h>

#include "kev_test.h"
#include "testlib.h"

#include "world_cases.h"

static void check_case(const world_case *c, kev_profile p)
{
    tl_run r;
    tl_run_scenario(&r, p, NULL, c->scenario);
    for (size_t i = 0; i < sizeof c->ex / sizeof c->ex[0] && c->ex[i].value; i++) {
        const expect *e = &c->ex[i];
        if (e->key) {
            const char *got = tl_value(&r, e->key);
            if (strcmp(got, e->value) != 0)
                KEV__FAIL("case '%s' profile %s key %s:\n  got:  %s\n  want: %s\n%s",
                          c->name, kev_profile_name(p), e->key, got, e->value,
                          kev_strbuf_str(&r.report));
        } else {
            bool has = strstr(kev_strbuf_str(&r.report), e->value) != NULL;
            if (has == e->absent_text)
                KEV__FAIL("case '%s' profile %s: report %s \"%s\":\n%s", c->name,
                          kev_profile_name(p), e->absent_text ? "has" : "lacks",
                          e->value, kev_strbuf_str(&r.report));
        }
    }
    /* Well-formed input: no defect and no diagnostic, except the semantic
     * defects well-formed events carry (D15 on LinkIssues, D17 on v888's
     * PROTO_DETACHED with no protocol left). */
    for (size_t i = 0; i < r.n_findings; i++)
        if (r.findings[i].defect != 15 && r.findings[i].defect != 17)
            KEV__FAIL("case '%s' profile %s: unexpected finding\n%s", c->name,
                      kev_profile_name(p), tl_findings_text(&r));
    tl_free(&r);
}

static void run_profile(kev_profile p)
{
    size_t ran = 0;
    for (size_t i = 0; i < sizeof world_cases / sizeof world_cases[0]; i++) {
        if (world_cases[i].profiles & (1u << p)) {
            check_case(&world_cases[i], p);
            ran++;
        }
    }
    ASSERT_TRUE(ran > 30);
}

KEV_TEST(hardened) { run_profile(KEV_PROFILE_HARDENED); }
KEV_TEST(v888) { run_profile(KEV_PROFILE_V888); }
KEV_TEST(v963) { run_profile(KEV_PROFILE_V963); }

/* Every handled row of the event table is exercised by some case above:
 * the report names the row for each event processed. */
KEV_TEST(every_handled_code_covered)
{
    size_t n;
    const kev_event_def *t = kev_event_table(&n);
    kev_strbuf all = KEV_STRBUF_INIT;
    for (int p = 0; p < KEV_PROFILE__COUNT; p++) {
        for (size_t i = 0; i < sizeof world_cases / sizeof world_cases[0]; i++) {
            tl_run r;
            tl_run_scenario(&r, (kev_profile)p, NULL, world_cases[i].scenario);
            kev_strbuf_adds(&all, kev_strbuf_str(&r.report));
            tl_free(&r);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (t[i].handler[KEV_VER_888] == KEV_H_NONE && t[i].handler[KEV_VER_963] == KEV_H_NONE)
            continue;
        char want[96];
        snprintf(want, sizeof want, " %s\n", t[i].name);
        if (strstr(kev_strbuf_str(&all), want) == NULL)
            KEV__FAIL("no case processes %s", t[i].name);
    }
    kev_strbuf_free(&all);
}

/* One commit per batch: sets, then removals, then notifications. */
KEV_TEST(commit_order)
{
    tl_run r;
    tl_run_scenario(&r, KEV_PROFILE_V963, NULL,
                    "attach en0\nlqm en0 50\nbatch\narp rtr-failure en0\nlqm en0 -1\n"
                    "link on en0\nend\n");
    const char *rep = kev_strbuf_str(&r.report);
    const char *b = strstr(rep, "batch 2 ");
    ASSERT_NOT_NULL(b);
    const char *set = strstr(b, "  set " IF "/en0/Link");
    const char *rem = strstr(b, "  remove " IF "/en0/LinkQuality");
    const char *note = strstr(b, "  notify " IF "/en0/IPv4RouterARPFailure");
    const char *commit = strstr(b, "  commit changed=3");
    ASSERT_TRUE(set && rem && note && commit);
    ASSERT_TRUE(set < rem && rem < note && note < commit);
    /* attach, lqm, the group: prime had nothing to write. */
    ASSERT_EQ_INT(kev_world_stats_get(r.w)->commits, 3);
    tl_free(&r);
}

/* check_interface_link_status: during the startup window an address event
 * fills in a Link key that is missing (here because the kernel's media
 * changed without a LINK event reaching configd, as when the socket buffer
 * overflows); after the window it adds no message. */
static void missing_link(uint64_t later_ns, const char *want_link, bool want_msg)
{
    tl_run r;
    tl_run_scenario(&r, KEV_PROFILE_V963, NULL, "kernel if en0 media none\nlqm en0 10\n");
    ASSERT_EQ_STR(tl_value(&r, IF "/en0/Link"), "(absent)");
    kev_kernel_find(kev_world_kernel(r.w), "en0")->media = KEV_MEDIA_ACTIVE;
    char sc[96];
    snprintf(sc, sizeof sc, "at +%llums\ninet add en0 10.0.0.2/24\n",
             (unsigned long long)(later_ns / 1000000u));
    tl_feed_scenario(&r, sc);
    ASSERT_EQ_STR(tl_value(&r, IF "/en0/Link"), want_link);
    ASSERT_EQ_INT(strstr(kev_strbuf_str(&r.report), "added missing link status en0") != NULL,
                  want_msg);
    tl_free(&r);
}

KEV_TEST(missing_link_status)
{
    missing_link(1000000000ull, "{Active = true}", true);
    /* After the window the message log is gone; the ticks themselves have
     * refreshed the link status of every listed interface meanwhile. */
    missing_link(121000000000ull, "{Active = true}", false);
}

KEV_TEST_MAIN(KEV_T(missing_link_status), KEV_T(hardened), KEV_T(v888), KEV_T(v963), KEV_T(every_handled_code_covered),
              KEV_T(commit_order))
