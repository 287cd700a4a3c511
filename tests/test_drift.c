/*
 * test_drift.c: drift, the store against the kernel (kevrr/drift.h): every
 * rule of every backed family (the interface list, Link, IPv4, IPv6,
 * LinkQuality), the families backed by nothing, the names left out, where
 * a drift begins (prime or a batch) and ends, the report's lines, and the
 * family table itself.
 *
 * Most cases lose an update the way a field trace does: a failed recv()
 * stops v963's monitoring (D12) while the kernel goes on changing, or a
 * batch that hangs (D1) discards what it queued. A few rules no sequence of
 * events reaches (the store holds a value for a key the kernel backs
 * nothing for) are set up by writing the store directly.
 */
#include <string.h>

#include "kev_test.h"
#include "testlib.h"

#include "kevrr/drift.h"

#define IF "State:/Network/Interface/"

/* Appends "KEY: REASON since S" for one drifting key. */
static void line_of(void *ctx, const kev_drift_item *it)
{
    kev_strbuf *sb = ctx;
    kev_strbuf_addf(sb, "%s: %s", it->key, it->reason);
    if (it->since_kind == KEV_DRIFT_SINCE_PRIME)
        kev_strbuf_adds(sb, " since prime");
    else if (it->since_kind == KEV_DRIFT_SINCE_BATCH)
        kev_strbuf_addf(sb, " since %llu", (unsigned long long)it->since);
    kev_strbuf_addc(sb, '\n');
}

/* The drifting keys of a run, one line each, into a static buffer. */
static const char *drift_text(const tl_run *r)
{
    static char out[8192];
    kev_strbuf sb = KEV_STRBUF_INIT;
    long n = kev_drift_scan(r->w, line_of, &sb);
    ASSERT_TRUE(n >= 0);
    snprintf(out, sizeof out, "%s", sb.len ? kev_strbuf_str(&sb) : "");
    kev_strbuf_free(&sb);
    return out;
}

/* Runs `scn` with drift tracked under `p` and checks the drift is exactly
 * `want` (lines as drift_text writes them). */
static void expect_drift(kev_profile p, const char *scn, const char *want)
{
    tl_run r;
    tl_opts o = {.drift_each = true};
    tl_run_scenario(&r, p, &o, scn);
    const char *got = drift_text(&r);
    if (strcmp(got, want) != 0)
        KEV__FAIL("profile %s:\n--- got\n%s--- want\n%s--- report\n%s", kev_profile_name(p),
                  got, want, kev_strbuf_str(&r.report));
    tl_free(&r);
}

static void expect_all(const char *scn, const char *want)
{
    for (int p = 0; p < KEV_PROFILE__COUNT; p++)
        expect_drift((kev_profile)p, scn, want);
}

/* An interface up with everything the kernel backs, in batches 0..5. */
#define UP                                                                                 \
    "kernel if lo0 flags 0x8049 media none\n"                                              \
    "kernel inet lo0 127.0.0.1/8 peer 127.0.0.1\n"                                         \
    "attach en0\n"                                                                         \
    "link on en0\n"                                                                        \
    "inet add en0 10.0.0.2/24\n"                                                           \
    "inet6 add en0 fe80::1/64 flags 0x400\n"                                               \
    "lqm en0 50\n"                                                                         \
    "attach utun3\n"

/* ---- agreement ------------------------------------------------------------ */

KEV_TEST(none_when_configd_follows)
{
    expect_all(UP "inet add utun3 10.8.0.2/32 dest 10.8.0.1\n"
                  "inet6 add utun3 fd00::2/64 dest fd00::1\n"
                  "link off en0\ninet del en0 10.0.0.2/24\nlqm en0 -1\n"
                  "inet del utun3 10.8.0.2/32\ninet6 del utun3 fd00::2/64\n"
                  "detaching utun3\ndetach utun3\n",
               "");
}

/* ---- the interface list -------------------------------------------------- */

KEV_TEST(list_missing_and_key_missing)
{
    /* After the recv() error v963 hears of nothing: en1 attaches unseen. */
    expect_drift(KEV_PROFILE_V963, UP "error EAGAIN\nattach en1\n",
                 "State:/Network/Interface: list-missing since 7\n" IF
                 "en1/Link: key-missing since 7\n");
}

KEV_TEST(list_extra_and_interface_gone)
{
    expect_drift(KEV_PROFILE_V963, UP "error EAGAIN\ndetach en0\n",
                 "State:/Network/Interface: list-extra since 7\n" IF
                 "en0/IPv4: interface-gone since 7\n" IF
                 "en0/IPv6: interface-gone since 7\n" IF
                 "en0/Link: interface-gone since 7\n" IF
                 "en0/LinkQuality: interface-gone since 7\n");
    /* Hardened keeps monitoring, but link_remove never removes the IPv4 and
     * IPv6 keys: detached with its addresses, en0 leaves them stale. */
    expect_drift(KEV_PROFILE_HARDENED, UP "error EAGAIN\ndetach en0\n",
                 IF "en0/IPv4: interface-gone since 7\n" IF
                    "en0/IPv6: interface-gone since 7\n");
}

/* ---- IPv4 ------------------------------------------------------------------ */

KEV_TEST(ipv4_address_gone)
{
    expect_drift(KEV_PROFILE_V963, UP "error EAGAIN\ninet del en0 10.0.0.2/24\n",
                 IF "en0/IPv4: address-gone since 7\n");
    expect_drift(KEV_PROFILE_V888, UP "error EAGAIN\ninet del en0 10.0.0.2/24\n",
                 IF "en0/IPv4: address-gone since 7\n");
}

KEV_TEST(ipv4_address_missing)
{
    expect_drift(KEV_PROFILE_V963, UP "error EINTR\ninet add en0 10.0.0.3/24\n",
                 IF "en0/IPv4: address-missing since 7\n");
}

KEV_TEST(ipv4_key_missing)
{
    expect_drift(KEV_PROFILE_V963,
                 UP "error EAGAIN\ninet add utun3 10.8.0.2/32 dest 10.8.0.1\n",
                 IF "utun3/IPv4: key-missing since 7\n");
}

KEV_TEST(ipv4_value_differs)
{
    /* Same address, new mask: only SubnetMasks and BroadcastAddresses differ. */
    tl_run r;
    tl_opts o = {.drift = true};
    tl_run_scenario(&r, KEV_PROFILE_V963, &o,
                    UP "error EAGAIN\ninet change en0 10.0.0.2/16\n");
    kev_drift_item it;
    ASSERT_EQ_INT(kev_drift_check(r.w, IF "en0/IPv4", &it), 1);
    ASSERT_EQ_STR(it.reason, "value-differs");
    ASSERT_EQ_STR(it.detail, "SubnetMasks: the store differs from the kernel's");
    ASSERT_EQ_STR(it.family, "IPv4");
    ASSERT_EQ_STR(it.ifname, "en0");
    kev_strbuf sb = KEV_STRBUF_INIT;
    kev_value_format(it.kernel, &sb);
    ASSERT_EQ_STR(kev_strbuf_str(&sb),
                  "{Addresses = [\"10.0.0.2\"]; BroadcastAddresses = "
                  "[\"10.0.255.255\"]; SubnetMasks = [\"255.255.0.0\"]}");
    kev_strbuf_free(&sb);
    kev_drift_item_clear(&it);
    tl_free(&r);
}

/* ---- IPv6 ------------------------------------------------------------------ */

KEV_TEST(ipv6_flags_differ_in_v888)
{
    /* v888 ignores ND6: the kernel deprecates the address, the store keeps
     * the old Flags. v963 and hardened re-read. */
    const char *scn = UP "inet6 add en0 2001:db8::5/64 flags 0x40\n"
                         "nd6 deprecated en0 2001:db8::5\n";
    expect_drift(KEV_PROFILE_V888, scn, IF "en0/IPv6: value-differs since 7\n");
    expect_drift(KEV_PROFILE_V963, scn, "");
    expect_drift(KEV_PROFILE_HARDENED, scn, "");
}

KEV_TEST(ipv6_address_gone_and_missing)
{
    expect_drift(KEV_PROFILE_V963, UP "error EAGAIN\ninet6 del en0 fe80::1/64\n",
                 IF "en0/IPv6: address-gone since 7\n");
    expect_drift(KEV_PROFILE_V963, UP "error EAGAIN\ninet6 add en0 2001:db8::9/64\n",
                 IF "en0/IPv6: address-missing since 7\n");
}

/* ---- Link ------------------------------------------------------------------ */

KEV_TEST(link_active_differs)
{
    expect_drift(KEV_PROFILE_V963, UP "error EAGAIN\nlink off en0\n",
                 IF "en0/Link: value-differs since 7\n");
}

KEV_TEST(link_key_stale_without_media)
{
    /* A utun has no media: an Active in the store is backed by nothing. */
    tl_run r;
    tl_opts o = {.drift = true};
    tl_run_scenario(&r, KEV_PROFILE_V963, &o, UP);
    kev_value *d = kev_value_dict_new();
    ASSERT_EQ_INT(kev_value_dict_set(d, "Active", kev_value_bool(true)), 0);
    ASSERT_EQ_INT(
        kev_store_set_value((kev_store *)kev_world_store(r.w), IF "utun3/Link", d, NULL),
        0);
    kev_value_unref(d);
    kev_drift_item it;
    ASSERT_EQ_INT(kev_drift_check(r.w, IF "utun3/Link", &it), 1);
    ASSERT_EQ_STR(it.reason, "key-stale");
    ASSERT_EQ_STR(it.detail, "the kernel backs no Active, the store has one");
    ASSERT_NULL(it.kernel);
    kev_drift_item_clear(&it);
    /* Detaching alone is not backed: a Link {Detaching = true} agrees. */
    d = kev_value_dict_new();
    ASSERT_EQ_INT(kev_value_dict_set(d, "Detaching", kev_value_bool(true)), 0);
    ASSERT_EQ_INT(
        kev_store_set_value((kev_store *)kev_world_store(r.w), IF "utun3/Link", d, NULL),
        0);
    kev_value_unref(d);
    ASSERT_EQ_INT(kev_drift_check(r.w, IF "utun3/Link", &it), 0);
    tl_free(&r);
}

/* ---- LinkQuality ----------------------------------------------------------- */

KEV_TEST(quality_differs_and_stale)
{
    expect_drift(KEV_PROFILE_V963, UP "error EAGAIN\nlqm en0 10\n",
                 IF "en0/LinkQuality: value-differs since 7\n");
    expect_drift(KEV_PROFILE_V963, UP "error EAGAIN\nlqm en0 -1\n",
                 IF "en0/LinkQuality: key-stale since 7\n");
}

KEV_TEST(quality_stale_read_d6)
{
    /* A short LQM event: the kernel (strict) ignores it, v963 reads the
     * poison past the event (D6) and stores -1515870811. */
    expect_drift(KEV_PROFILE_V963, UP "lqm en0 20 trunc 48 size 48\n",
                 IF "en0/LinkQuality: value-differs since 6\n");
    expect_drift(KEV_PROFILE_HARDENED, UP "lqm en0 20 trunc 48 size 48\n", "");
}

/* ---- a batch that stops --------------------------------------------------- */

KEV_TEST(stop_discards_and_a_later_batch_mends)
{
    /* D1 in the batch that deletes the address: the removal is discarded.
     * A later address event re-reads the kernel and mends it. */
    const char *scn = UP "batch\ninet del en0 10.0.0.2/24\nraw 00000000\nend\n";
    expect_drift(KEV_PROFILE_V963, scn, IF "en0/IPv4: address-gone since 6\n");
    expect_drift(KEV_PROFILE_HARDENED, scn, "");
    tl_run r;
    tl_opts o = {.drift_each = true};
    tl_run_scenario(&r, KEV_PROFILE_V963, &o,
                    UP "batch\ninet del en0 10.0.0.2/24\nraw 00000000\nend\n"
                       "inet add en0 10.0.0.7/24\n");
    const char *rep = kev_strbuf_str(&r.report);
    ASSERT_CONTAINS(rep, "  stopped: queued store changes discarded\n  drift " IF
                         "en0/IPv4 begins: address-gone (the store lists 10.0.0.2, the "
                         "kernel has none)\n");
    ASSERT_CONTAINS(rep, "  drift " IF "en0/IPv4 ends\n");
    ASSERT_CONTAINS(rep, "drift keys=0\nstats ");
    ASSERT_EQ_STR(drift_text(&r), "");
    tl_free(&r);
}

/* ---- prime ----------------------------------------------------------------- */

KEV_TEST(since_prime)
{
    /* D18 at prime: v963 stops, the store never learns of the snapshot. */
    const char *scn = "kernel if en0 media active\n"
                      "kernel inet en0 10.0.0.2/24 noaddr\n"
                      "lqm en0 50\n";
    expect_drift(KEV_PROFILE_V963, scn,
                 "State:/Network/Interface: key-missing since prime\n" IF
                 "en0/Link: key-missing since prime\n");
}

/* ---- families backed by nothing -------------------------------------------- */

KEV_TEST(unbacked_families_never_drift)
{
    /* LinkIssues of a gone interface (a straggling ISSUES), notifications,
     * the message log: none drifts. */
    const char *scn =
        UP "detach utun3\nissues utun3 0102 1700000005\narp rtr-failure en0\n";
    tl_run r;
    tl_opts o = {.drift = true};
    tl_run_scenario(&r, KEV_PROFILE_V963, &o, scn);
    ASSERT_TRUE(strcmp(tl_value(&r, IF "utun3/LinkIssues"), "(absent)") != 0);
    kev_drift_item it;
    ASSERT_EQ_INT(kev_drift_check(r.w, IF "utun3/LinkIssues", &it), 0);
    ASSERT_EQ_INT(kev_drift_check(r.w, "Plugin:KernelEventMonitor", &it), 0);
    ASSERT_EQ_STR(drift_text(&r), "");
    bool backed = true;
    ASSERT_NULL(kev_drift_expected(r.w, "Plugin:KernelEventMonitor", &backed));
    ASSERT_FALSE(backed);
    tl_free(&r);
}

KEV_TEST(names_outside_ascii_are_left_out)
{
    /* v888 takes any byte (MacRoman keys): not compared, never drift. */
    expect_drift(KEV_PROFILE_V888, UP "attach en\\xe9:0\nerror EAGAIN\ndetach en\\xe9:0\n",
                 "");
}

/* ---- the API ------------------------------------------------------------------ */

KEV_TEST(families)
{
    static const struct {
        const char *key, *family;
    } cases[] = {
        {"State:/Network/Interface", "interfaces"},
        {IF "en0/Link", "Link"},
        {IF "en0/IPv4", "IPv4"},
        {IF "utun3/IPv6", "IPv6"},
        {IF "en0/LinkQuality", "LinkQuality"},
        {IF "en0/LinkIssues", "LinkIssues"},
        {IF "en0/NAT64", "NAT64"},
        {IF "en0/IPv4ARPCollision/10.0.0.9/00:11", "IPv4ARPCollision"},
        {IF "en0/IPv6DuplicatedAddress/fe80::1/00:11:22:33:44:55", "IPv6DuplicatedAddress"},
        {IF "en0/IdleRoute", "IdleRoute"},
        {IF "en0/InterfaceDelegation", "InterfaceDelegation"},
        {"State:/Network/Protocol/IPv4/PortInUse/80/12", "PortInUse"},
        {"Plugin:KernelEventMonitor", "messages"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const kev_drift_family *f = kev_drift_family_of(cases[i].key);
        ASSERT_NOT_NULL(f);
        ASSERT_EQ_STR(f->name, cases[i].family);
        ASSERT_TRUE(kev_drift_family_named(cases[i].family) == f);
    }
    ASSERT_NULL(kev_drift_family_of(IF "en0/IPV4"));
    ASSERT_NULL(kev_drift_family_of(IF "en0/IPv4/extra"));
    ASSERT_NULL(kev_drift_family_of(IF "en0/IPv4ARPCollision"));
    ASSERT_NULL(kev_drift_family_of("State:/Network/Global/IPv4"));
    ASSERT_NULL(kev_drift_family_named("ipv4"));
    size_t backed = 0, n = 0;
    for (const kev_drift_family *f; (f = kev_drift_family_at(n)) != NULL; n++)
        backed += f->backed;
    ASSERT_EQ_U64(backed, 5);
    ASSERT_CONTAINS(kev_drift_family_names(), "interfaces, Link, IPv4, IPv6, LinkQuality");
}

KEV_TEST(expected_and_backed_part)
{
    tl_run r;
    tl_run_scenario(&r, KEV_PROFILE_HARDENED, NULL, UP);
    kev_strbuf sb = KEV_STRBUF_INIT;
    kev_value *e = kev_drift_expected(r.w, IF "en0/Link", NULL);
    kev_value_format(e, &sb);
    ASSERT_EQ_STR(kev_strbuf_str(&sb), "{Active = true}");
    kev_value_unref(e);
    ASSERT_NULL(kev_drift_expected(r.w, IF "utun3/Link", NULL)); /* no media */
    e = kev_drift_expected(r.w, "State:/Network/Interface", NULL);
    kev_strbuf_clear(&sb);
    kev_value_format(e, &sb);
    ASSERT_EQ_STR(kev_strbuf_str(&sb), "{Interfaces = [\"lo0\", \"en0\", \"utun3\"]}");
    kev_value_unref(e);
    kev_value *part = kev_drift_backed_part(
        IF "en0/Link", kev_store_get(kev_world_store(r.w), IF "en0/Link"));
    kev_strbuf_clear(&sb);
    kev_value_format(part, &sb);
    ASSERT_EQ_STR(kev_strbuf_str(&sb), "{Active = true}");
    kev_value_unref(part);
    kev_strbuf_free(&sb);
    tl_free(&r);
}

KEV_TEST(report_section_only_when_asked)
{
    tl_run r;
    tl_run_scenario(&r, KEV_PROFILE_V963, NULL,
                    UP "error EAGAIN\ninet del en0 10.0.0.2/24\n");
    ASSERT_NOT_CONTAINS(kev_strbuf_str(&r.report), "drift");
    tl_free(&r);
    tl_opts o = {.drift = true};
    tl_run_scenario(&r, KEV_PROFILE_V963, &o,
                    UP "error EAGAIN\ninet del en0 10.0.0.2/24\n");
    const char *rep = kev_strbuf_str(&r.report);
    ASSERT_NOT_CONTAINS(rep, "  drift " IF); /* no per-batch lines without drift_each */
    ASSERT_CONTAINS(rep,
                    "notifications keys=1\n  com.apple.system.config.network_change "
                    "count=3\ndrift keys=1\n  " IF
                    "en0/IPv4 since batch 7: address-gone (the store lists 10.0.0.2, the "
                    "kernel has none)\n    store: {Addresses = [\"10.0.0.2\"]; "
                    "BroadcastAddresses = [\"10.0.0.255\"]; SubnetMasks = "
                    "[\"255.255.255.0\"]}\n    kernel: (nothing)\nstats ");
    tl_free(&r);
}

static void to_strbuf(void *ctx, const char *p, size_t n)
{
    kev_strbuf_add(ctx, p, n);
}

KEV_TEST(snapshot_source_in_the_header)
{
    tl_run r;
    tl_run_scenario(&r, KEV_PROFILE_HARDENED, NULL, "attach en0\n");
    ASSERT_NOT_CONTAINS(kev_strbuf_str(&r.report), "snapshot-source");
    tl_free(&r);
    kev_world_opts o;
    kev_world_opts_init(&o);
    kev_strbuf rep = KEV_STRBUF_INIT;
    o.sink.write = to_strbuf;
    o.sink.ctx = &rep;
    kev_world *w = kev_world_new(&o);
    static const char snap[] = "# source: host getifaddrs (Linux 6.1)\r\nif lo0 up\n";
    ASSERT_EQ_INT(kev_world_load_snapshot(w, snap, sizeof snap - 1, NULL), 0);
    ASSERT_EQ_INT(kev_world_finish(w), 0);
    ASSERT_CONTAINS(kev_strbuf_str(&rep), "verbose no\nsnapshot-source host getifaddrs "
                                          "(Linux 6.1)\nsnapshot interfaces=1\n");
    char src[8];
    ASSERT_TRUE(kev_kernel_snapshot_source(snap, sizeof snap - 1, src, sizeof src));
    ASSERT_EQ_STR(src, "host ge");
    ASSERT_FALSE(kev_kernel_snapshot_source("if lo0\n# source: x\n", 19, src, sizeof src));
    kev_world_free(w);
    kev_strbuf_free(&rep);
}

KEV_TEST_MAIN(KEV_T(none_when_configd_follows), KEV_T(list_missing_and_key_missing),
              KEV_T(list_extra_and_interface_gone), KEV_T(ipv4_address_gone),
              KEV_T(ipv4_address_missing), KEV_T(ipv4_key_missing),
              KEV_T(ipv4_value_differs), KEV_T(ipv6_flags_differ_in_v888),
              KEV_T(ipv6_address_gone_and_missing), KEV_T(link_active_differs),
              KEV_T(link_key_stale_without_media), KEV_T(quality_differs_and_stale),
              KEV_T(quality_stale_read_d6), KEV_T(stop_discards_and_a_later_batch_mends),
              KEV_T(since_prime), KEV_T(unbacked_families_never_drift),
              KEV_T(names_outside_ascii_are_left_out), KEV_T(families),
              KEV_T(expected_and_backed_part), KEV_T(report_section_only_when_asked),
              KEV_T(snapshot_source_in_the_header))
