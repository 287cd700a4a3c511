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
KEV_TEST(v1405) { run_profile(KEV_PROFILE_V1405); }

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
        bool handled = false;
        for (int v = 0; v < KEV_VER__COUNT; v++)
            handled |= t[i].handler[v] != KEV_H_NONE;
        if (!handled)
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

/* kev_world_state renders exactly the final sections kev_world_finish
 * appends (the daemon's state query is compared with replay reports), and
 * writes nothing to the sink; on a world not yet started it shows the
 * snapshot kernel and an empty store, and does not start it. */
KEV_TEST(state_matches_final)
{
    tl_run r;
    tl_run_scenario(&r, KEV_PROFILE_HARDENED, NULL,
                    "kernel if lo0 flags 0x8049 media none\nattach en0\nlink on en0\n"
                    "inet add en0 10.0.0.2/24\nat +7s\nlqm en0 50\nraw 00000000\n");
    size_t before = r.report.len;
    kev_strbuf st = KEV_STRBUF_INIT;
    ASSERT_EQ_INT(kev_world_state(r.w, &st), 0);
    ASSERT_EQ_INT(r.report.len, before);
    ASSERT_EQ_STR(kev_strbuf_str(&st), tl_final_section(kev_strbuf_str(&r.report)));
    ASSERT_CONTAINS(kev_strbuf_str(&st), "\nstats batches=5 ");
    ASSERT_CONTAINS(kev_strbuf_str(&st), "  State:/Network/Interface/en0/IPv4 = ");
    tl_free(&r);

    kev_world_opts o;
    kev_world_opts_init(&o);
    kev_world *w = kev_world_new(&o);
    ASSERT_NOT_NULL(w);
    kev_strbuf err = KEV_STRBUF_INIT;
    static const char snap[] = "if lo0 flags 0x8049 media none\n";
    ASSERT_EQ_INT(kev_kernel_load_text(kev_world_kernel(w), snap, sizeof snap - 1, &err), 0);
    kev_strbuf_clear(&st);
    ASSERT_EQ_INT(kev_world_state(w, &st), 0);
    ASSERT_EQ_STR(kev_strbuf_str(&st),
                  "final t=0.000000000\nstore keys=0\nkernel interfaces=1\n"
                  "  if lo0 flags 0x8049 media none lqm -1 refcnt 0 cheap\n"
                  "notifications keys=0\nstats batches=0 errors=0 events=0 handled=0 "
                  "defects=0 diagnostics=0 stopped=0 commits=0 posts=0 monitoring=yes\nend\n");
    /* Still not started: the first feed primes at its own time. */
    ASSERT_EQ_INT(kev_world_feed(w, NULL, 0, 1700000000000000000ull), 0);
    kev_strbuf_clear(&st);
    ASSERT_EQ_INT(kev_world_state(w, &st), 0);
    ASSERT_CONTAINS(kev_strbuf_str(&st), "final t=1700000000.000000000\n");
    kev_strbuf_free(&st);
    kev_strbuf_free(&err);
    kev_world_free(w);
}

/* The store observer: what a mirror sees, rendered as the report renders
 * store operations and commits, is exactly those lines of the report, with
 * or without a sink. */
static void mirror_op(void *ctx, const kev_store_op *op)
{
    static const char *const kinds[] = {"set", "remove", "notify"};
    kev_strbuf_addf(ctx, "  %s %s\n", op->direct ? "set-direct" : kinds[op->kind], op->key);
}

static void sink_add(void *ctx, const char *p, size_t n) { kev_strbuf_add(ctx, p, n); }

static void mirror_commit(void *ctx, size_t changed)
{
    kev_strbuf_addf(ctx, "  commit changed=%zu\n", changed);
}

/* The report's store-operation and commit lines, values and "(absent)" cut. */
static void store_lines(const char *report, kev_strbuf *out)
{
    static const char *const heads[] = {"  set ", "  set-direct ", "  remove ", "  notify ",
                                        "  commit "};
    for (const char *p = report; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
            if (strncmp(p, heads[i], strlen(heads[i])) != 0)
                continue;
            const char *eq = strstr(p, " = ");
            const char *ab = strstr(p, " (absent)");
            size_t keep = eq && eq < p + n ? (size_t)(eq - p)
                          : ab && ab < p + n ? (size_t)(ab - p)
                                             : n;
            kev_strbuf_add(out, p, keep);
            kev_strbuf_addc(out, '\n');
            break;
        }
        p += n + (nl != NULL);
    }
}

KEV_TEST(store_observer_sees_every_op)
{
    static const char scn[] = "attach en0\nlink on en0\ninet add en0 10.0.0.2/24\n"
                              "raw 00000000\nlink off en0\ndetach en0\n";
    for (int with_sink = 0; with_sink < 2; with_sink++) {
        kev_strbuf seen = KEV_STRBUF_INIT, want = KEV_STRBUF_INIT;
        tl_run ref;
        tl_run_scenario(&ref, KEV_PROFILE_HARDENED, NULL, scn);
        store_lines(kev_strbuf_str(&ref.report), &want);
        tl_free(&ref);

        tl_run r;
        memset(&r, 0, sizeof r);
        kev_world_opts o;
        kev_world_opts_init(&o);
        o.store_observer.on_op = mirror_op;
        o.store_observer.on_commit = mirror_commit;
        o.store_observer.ctx = &seen;
        if (with_sink) {
            o.sink.write = sink_add;
            o.sink.ctx = &r.report;
        }
        r.w = kev_world_new(&o);
        ASSERT_NOT_NULL(r.w);
        tl_feed_scenario(&r, scn);
        ASSERT_TRUE(want.len > 200);
        ASSERT_EQ_STR(kev_strbuf_str(&seen), kev_strbuf_str(&want));
        kev_strbuf_free(&seen);
        kev_strbuf_free(&want);
        tl_free(&r);
    }
}

KEV_TEST_MAIN(KEV_T(state_matches_final), KEV_T(store_observer_sees_every_op), KEV_T(missing_link_status), KEV_T(hardened), KEV_T(v888), KEV_T(v963), KEV_T(v1405), KEV_T(every_handled_code_covered),
              KEV_T(commit_order))
