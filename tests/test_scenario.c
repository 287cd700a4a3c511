/*
 * test_scenario.c: the scenario compiler (kevrr/scenario.h). Each test
 * compiles a small scenario, collects the items it emits, and checks the
 * exact bytes of the records (header fields, payload fields at the named
 * offsets of kevrr/wire.h), the times, and the error messages verbatim.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kev_test.h"
#include "kevrr/error.h"
#include "kevrr/scenario.h"
#include "kevrr/strbuf.h"
#include "kevrr/wire.h"

/* ---- Collecting items ---------------------------------------------------- */

#define MAX_ITEMS 32

typedef struct got_item {
    kev_scn_kind kind;
    uint64_t t;
    uint8_t *bytes; /* a copy */
    size_t len;
    int err;
    const char *err_name;
    unsigned line;
} got_item;

typedef struct got {
    got_item it[MAX_ITEMS];
    size_t n;
    size_t stop_at; /* when non-zero: return stop_value from that item on */
    int stop_value;
    kev_strbuf err;
    int rc;
} got;

static int collect(void *ctx, const kev_scn_item *item)
{
    got *g = ctx;
    if (g->n == MAX_ITEMS)
        KEV__FAIL("more than %d items", MAX_ITEMS);
    got_item *o = &g->it[g->n++];
    o->kind = item->kind;
    o->t = item->t_ns;
    o->len = item->len;
    o->bytes = malloc(item->len ? item->len : 1);
    ASSERT_NOT_NULL(o->bytes);
    if (item->len)
        memcpy(o->bytes, item->bytes, item->len);
    o->err = item->err;
    o->err_name = item->err_name;
    o->line = item->line;
    if (g->stop_at != 0 && g->n >= g->stop_at)
        return g->stop_value;
    return 0;
}

static void got_init(got *g)
{
    memset(g, 0, sizeof *g);
    kev_strbuf_init(&g->err);
}

static void got_free(got *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->it[i].bytes);
    kev_strbuf_free(&g->err);
    g->n = 0;
}

/* Compiles `text` into g (already initialised); returns the result. */
static int run(got *g, const char *text)
{
    g->rc = kev_scenario_compile(text, strlen(text), collect, g, &g->err);
    return g->rc;
}

/* Compiles `text`, which must succeed. */
static void run_ok(got *g, const char *text)
{
    got_init(g);
    run(g, text);
    ASSERT_EQ_STR(kev_strbuf_str(&g->err), "");
    ASSERT_EQ_INT(g->rc, 0);
}

/* Compiles `text`, which must fail with `rc` and exactly `msg`. */
static void run_fail(const char *text, int rc, const char *msg)
{
    got g;
    got_init(&g);
    run(&g, text);
    ASSERT_EQ_STR(kev_strbuf_str(&g.err), msg);
    ASSERT_EQ_INT(g.rc, rc);
    got_free(&g);
}

static uint32_t u32at(const uint8_t *p, size_t off)
{
    return (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 | (uint32_t)p[off + 2] << 16 |
           (uint32_t)p[off + 3] << 24;
}

static uint64_t u64at(const uint8_t *p, size_t off)
{
    return (uint64_t)u32at(p, off) | (uint64_t)u32at(p, off + 4) << 32;
}

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return 0;
    return 1;
}

/* The header of the record at p: Apple, network class, and the rest. */
#define CHECK_HDR(p, total, sub, id, code)                                                 \
    do {                                                                                   \
        ASSERT_EQ_U64(u32at((p), 0), (total));                                             \
        ASSERT_EQ_U64(u32at((p), 4), KEV_VENDOR_APPLE);                                    \
        ASSERT_EQ_U64(u32at((p), 8), KEV_NETWORK_CLASS);                                   \
        ASSERT_EQ_U64(u32at((p), 12), (sub));                                              \
        ASSERT_EQ_U64(u32at((p), 16), (id));                                               \
        ASSERT_EQ_U64(u32at((p), 20), (code));                                             \
    } while (0)

/* net_event_data at payload p: family, unit, and a NUL-padded name. */
#define CHECK_LINK(p, family, unit, name)                                                  \
    do {                                                                                   \
        char kev__nm[KEV_IFNAMSIZ] = {0};                                                  \
        memcpy(kev__nm, (name), strlen(name));                                             \
        ASSERT_EQ_U64(u32at((p), KEV_OFF_IF_FAMILY), (family));                            \
        ASSERT_EQ_U64(u32at((p), KEV_OFF_IF_UNIT), (unit));                                \
        ASSERT_EQ_MEM((p) + KEV_OFF_IF_NAME, kev__nm, KEV_IFNAMSIZ);                       \
    } while (0)

#define H  KEV_MSG_HEADER_SIZE
#define T0 KEV_SCENARIO_T0_NS
#define MS 1000000ull

/* ---- Statements ---------------------------------------------------------- */

KEV_TEST(dl_link_statements)
{
    got g;
    run_ok(&g, "attach en0\n"
               "detaching en1\n"
               "detach en2\n"
               "link on en3\n"
               "link off en4\n"
               "idle en5\n"
               "delegate en6\n");
    static const uint32_t codes[] = {KEV_DL_IF_ATTACHED, KEV_DL_IF_DETACHING,
                                     KEV_DL_IF_DETACHED, KEV_DL_LINK_ON,
                                     KEV_DL_LINK_OFF,    KEV_DL_IF_IDLE_ROUTE_REFCNT,
                                     KEV_DL_IFDELEGATE_CHANGED};
    ASSERT_EQ_INT(g.n, 7);
    for (unsigned k = 0; k < 7; k++) {
        const got_item *it = &g.it[k];
        ASSERT_EQ_INT(it->kind, KEV_SCN_BATCH);
        ASSERT_EQ_U64(it->len, H + KEV_SZ_NET_EVENT_DATA);
        ASSERT_EQ_U64(it->t, T0 + k * KEV_SCENARIO_STEP_NS);
        ASSERT_EQ_INT(it->line, k + 1);
        CHECK_HDR(it->bytes, 48, KEV_DL_SUBCLASS, k + 1, codes[k]);
        CHECK_LINK(it->bytes + H, 0, k, "en"); /* if_name without the unit */
    }
    got_free(&g);
}

KEV_TEST(family_option)
{
    got g;
    run_ok(&g, "attach en0 family 6\n"
               "inet add en1 10.0.0.2/24 family 0x2\n"
               "nd6 ra en2 family 30\n");
    CHECK_LINK(g.it[0].bytes + H, 6, 0, "en");
    CHECK_LINK(g.it[1].bytes + H, 2, 1, "en");
    CHECK_LINK(g.it[2].bytes + H, 30, 2, "en");
    got_free(&g);
}

KEV_TEST(proto_statements)
{
    got g;
    run_ok(&g, "proto attached en0 2 1\nproto detached utun3 30 0\n");
    ASSERT_EQ_INT(g.n, 2);
    const uint8_t *p = g.it[0].bytes;
    ASSERT_EQ_U64(g.it[0].len, H + KEV_SZ_DL_PROTO_DATA);
    CHECK_HDR(p, 56, KEV_DL_SUBCLASS, 1, KEV_DL_PROTO_ATTACHED);
    CHECK_LINK(p + H, 0, 0, "en");
    ASSERT_EQ_U64(u32at(p + H, KEV_OFF_PROTO_FAMILY), 2);
    ASSERT_EQ_U64(u32at(p + H, KEV_OFF_PROTO_REMAINING), 1);
    p = g.it[1].bytes;
    CHECK_HDR(p, 56, KEV_DL_SUBCLASS, 2, KEV_DL_PROTO_DETACHED);
    CHECK_LINK(p + H, 0, 3, "utun");
    ASSERT_EQ_U64(u32at(p + H, KEV_OFF_PROTO_FAMILY), 30);
    ASSERT_EQ_U64(u32at(p + H, KEV_OFF_PROTO_REMAINING), 0);
    got_free(&g);
}

KEV_TEST(lqm_statement)
{
    got g;
    run_ok(&g, "lqm en0 -2\nlqm en0 100\nlqm en0 -2147483648\n");
    const uint8_t *p = g.it[0].bytes;
    ASSERT_EQ_U64(g.it[0].len, H + KEV_SZ_DL_LQM);
    CHECK_HDR(p, 52, KEV_DL_SUBCLASS, 1, KEV_DL_LINK_QUALITY_METRIC_CHANGED);
    CHECK_LINK(p + H, 0, 0, "en");
    ASSERT_EQ_U64(u32at(p + H, KEV_OFF_LQM), 0xfffffffeu);
    ASSERT_EQ_U64(u32at(g.it[1].bytes + H, KEV_OFF_LQM), 100);
    ASSERT_EQ_U64(u32at(g.it[2].bytes + H, KEV_OFF_LQM), 0x80000000u);
    got_free(&g);
}

KEV_TEST(issues_statement)
{
    got g;
    run_ok(&g, "issues en0 0102030405060708090a0b0c0d0e0f1011121314 1700000000 A1a2\n"
               "issues pdp_ip1 beef 18446744073709551615\n"
               "issues en2 - 0 - size 48\n");
    static const uint8_t modid[20] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
                                      11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
    static const uint8_t info[12] = {0xa1, 0xa2};
    static const uint8_t modid2[20] = {0xbe, 0xef};
    const uint8_t *p = g.it[0].bytes;
    ASSERT_EQ_U64(g.it[0].len, H + KEV_SZ_DL_ISSUES);
    CHECK_HDR(p, 96, KEV_DL_SUBCLASS, 1, KEV_DL_ISSUES);
    CHECK_LINK(p + H, 0, 0, "en");
    ASSERT_EQ_MEM(p + H + KEV_OFF_ISSUES_MODID, modid, 20);
    ASSERT_TRUE(all_zero(p + H + 44, 4)); /* padding */
    ASSERT_EQ_U64(u64at(p + H, KEV_OFF_ISSUES_TIMESTAMP), 1700000000u);
    ASSERT_EQ_MEM(p + H + KEV_OFF_ISSUES_INFO, info, 12);
    p = g.it[1].bytes;
    CHECK_LINK(p + H, 0, 1, "pdp_ip");
    ASSERT_EQ_MEM(p + H + KEV_OFF_ISSUES_MODID, modid2, 20);
    ASSERT_EQ_U64(u64at(p + H, KEV_OFF_ISSUES_TIMESTAMP), UINT64_MAX);
    ASSERT_TRUE(all_zero(p + H + KEV_OFF_ISSUES_INFO, 12));
    p = g.it[2].bytes;
    ASSERT_EQ_U64(g.it[2].len, 96);
    ASSERT_EQ_U64(u32at(p, 0), 48); /* D6: the size the seed checks */
    ASSERT_TRUE(all_zero(p + H + KEV_OFF_ISSUES_MODID, 72 - 24));
    got_free(&g);
}

/* The facts' example (eventmon-facts.md s3): 10.0.0.2/24 on en0. */
KEV_TEST(inet_add_facts_example)
{
    got g;
    run_ok(&g, "inet add en0 10.0.0.2/24\n");
    ASSERT_EQ_INT(g.n, 1);
    const uint8_t *p = g.it[0].bytes;
    ASSERT_EQ_U64(g.it[0].len, H + KEV_SZ_IN_DATA);
    CHECK_HDR(p, 76, KEV_INET_SUBCLASS, 1, KEV_INET_NEW_ADDR);
    CHECK_LINK(p + H, 0, 0, "en");
    static const uint8_t addr[4] = {0x0a, 0x00, 0x00, 0x02};
    static const uint8_t mask_le[4] = {0x00, 0xff, 0xff, 0xff};
    static const uint8_t bcast[4] = {0x0a, 0xff, 0xff, 0xff};
    ASSERT_EQ_MEM(p + H + KEV_OFF_IN_ADDR, addr, 4);
    ASSERT_EQ_U64(u32at(p + H, KEV_OFF_IN_NET), 0x0a000000u);
    ASSERT_EQ_U64(u32at(p + H, KEV_OFF_IN_NETMASK), 0xff000000u);
    ASSERT_EQ_U64(u32at(p + H, KEV_OFF_IN_SUBNET), 0x0a000000u);
    ASSERT_EQ_U64(u32at(p + H, KEV_OFF_IN_SUBNETMASK), 0xffffff00u);
    ASSERT_EQ_MEM(p + H + KEV_OFF_IN_SUBNETMASK, mask_le, 4);
    ASSERT_EQ_MEM(p + H + KEV_OFF_IN_NETBROADCAST, bcast, 4);
    ASSERT_TRUE(all_zero(p + H + KEV_OFF_IN_DSTADDR, 4));
    got_free(&g);
}

KEV_TEST(inet_other_codes)
{
    got g;
    run_ok(&g, "inet change en0 10.0.0.3/8\n"
               "inet del en0 192.168.1.5\n"
               "inet dstaddr utun0 10.1.0.1/32 dest 10.1.0.2\n"
               "inet brdaddr en0 172.16.0.1/16\n"
               "inet netmask en0 0.0.0.0/0\n");
    static const uint32_t codes[] = {KEV_INET_CHANGED_ADDR, KEV_INET_ADDR_DELETED,
                                     KEV_INET_SIFDSTADDR, KEV_INET_SIFBRDADDR,
                                     KEV_INET_SIFNETMASK};
    ASSERT_EQ_INT(g.n, 5);
    for (unsigned k = 0; k < 5; k++)
        CHECK_HDR(g.it[k].bytes, 76, KEV_INET_SUBCLASS, k + 1, codes[k]);
    /* del without /LEN: a /32 host, class C */
    const uint8_t *p = g.it[1].bytes + H;
    ASSERT_EQ_U64(u32at(p, KEV_OFF_IN_SUBNETMASK), 0xffffffffu);
    ASSERT_EQ_U64(u32at(p, KEV_OFF_IN_NETMASK), 0xffffff00u);
    ASSERT_EQ_U64(u32at(p, KEV_OFF_IN_NET), 0xc0a80100u);
    static const uint8_t dst[4] = {10, 1, 0, 2};
    p = g.it[2].bytes + H;
    CHECK_LINK(p, 0, 0, "utun");
    ASSERT_EQ_MEM(p + KEV_OFF_IN_DSTADDR, dst, 4);
    p = g.it[3].bytes + H; /* class B, /16 */
    ASSERT_EQ_U64(u32at(p, KEV_OFF_IN_NETMASK), 0xffff0000u);
    ASSERT_EQ_U64(u32at(p, KEV_OFF_IN_SUBNET), 0xac100000u);
    p = g.it[4].bytes + H;
    ASSERT_EQ_U64(u32at(p, KEV_OFF_IN_SUBNETMASK), 0);
    got_free(&g);
}

KEV_TEST(inet6_add_with_options)
{
    got g;
    run_ok(&g, "inet6 add en0 fe80::1:2/64 flags 0x44 dest 2001:db8::9 "
               "mac 00:11:22:33:aa:FF\n");
    const uint8_t *p = g.it[0].bytes;
    ASSERT_EQ_U64(g.it[0].len, H + KEV_SZ_IN6_DATA);
    CHECK_HDR(p, 192, KEV_INET6_SUBCLASS, 1, KEV_INET6_NEW_USER_ADDR);
    p += H;
    CHECK_LINK(p, 0, 0, "en");
    static const uint8_t addr[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2};
    static const uint8_t mask[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t dst[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                    0,    0,    0,    0,    0, 0, 0, 9};
    static const uint8_t mac[6] = {0x00, 0x11, 0x22, 0x33, 0xaa, 0xff};
    ASSERT_EQ_INT(p[KEV_OFF_IN6_ADDR], 28);
    ASSERT_EQ_INT(p[KEV_OFF_IN6_ADDR + 1], 30);
    ASSERT_EQ_MEM(p + KEV_OFF_IN6_ADDR + KEV_OFF_SIN6_ADDR, addr, 16);
    ASSERT_EQ_INT(p[KEV_OFF_IN6_PREFIXMASK], 28);
    ASSERT_EQ_MEM(p + KEV_OFF_IN6_PREFIXMASK + KEV_OFF_SIN6_ADDR, mask, 16);
    ASSERT_EQ_INT(p[KEV_OFF_IN6_DSTADDR], 28);
    ASSERT_EQ_MEM(p + KEV_OFF_IN6_DSTADDR + KEV_OFF_SIN6_ADDR, dst, 16);
    ASSERT_TRUE(all_zero(p + KEV_OFF_IN6_NET, 28));
    ASSERT_EQ_U64(u32at(p, KEV_OFF_IN6_PLEN), 64);
    ASSERT_EQ_U64(u32at(p, KEV_OFF_IN6_FLAGS), 0x44);
    ASSERT_TRUE(all_zero(p + KEV_OFF_IN6_LIFETIME, 16));
    ASSERT_EQ_MEM(p + KEV_OFF_IN6_MAC, mac, 6);
    got_free(&g);
}

KEV_TEST(inet6_other_codes)
{
    got g;
    run_ok(&g, "inet6 change en0 2001:db8::1/64\n"
               "inet6 del en0 2001:db8::1\n"
               "inet6 ll en0 fe80::1/64\n"
               "inet6 rtadv en0 2001:db8::2/64 flags 0x40\n"
               "inet6 defrouter en0\n"
               "inet6 nat64 pdp_ip0\n");
    static const uint32_t codes[] = {
        KEV_INET6_CHANGED_ADDR,   KEV_INET6_ADDR_DELETED, KEV_INET6_NEW_LL_ADDR,
        KEV_INET6_NEW_RTADV_ADDR, KEV_INET6_DEFROUTER,    KEV_INET6_REQUEST_NAT64_PREFIX};
    ASSERT_EQ_INT(g.n, 6);
    for (unsigned k = 0; k < 6; k++)
        CHECK_HDR(g.it[k].bytes, 192, KEV_INET6_SUBCLASS, k + 1, codes[k]);
    ASSERT_EQ_U64(u32at(g.it[1].bytes + H, KEV_OFF_IN6_PLEN), 128); /* del default */
    ASSERT_EQ_U64(u32at(g.it[3].bytes + H, KEV_OFF_IN6_FLAGS), 0x40);
    /* defrouter and nat64: the full struct, every address field zero */
    CHECK_LINK(g.it[4].bytes + H, 0, 0, "en");
    ASSERT_TRUE(all_zero(g.it[4].bytes + H + KEV_OFF_IN6_ADDR, 168 - 24));
    CHECK_LINK(g.it[5].bytes + H, 0, 0, "pdp_ip");
    ASSERT_TRUE(all_zero(g.it[5].bytes + H + KEV_OFF_IN6_ADDR, 168 - 24));
    got_free(&g);
}

/* IPv6 text forms, checked through nd6 (which copies the raw address). */
KEV_TEST(ipv6_parser)
{
    static const struct {
        const char *text;
        uint8_t b[16];
    } ok[] = {
        {"::", {0}},
        {"::1", {[15] = 1}},
        {"1::", {0, 1}},
        {"fe80::1:2", {0xfe, 0x80, [13] = 1, [15] = 2}},
        {"1:2:3:4:5:6:7:8", {0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8}},
        {"2001:DB8:0:0:0:0:0:aBcD", {0x20, 0x01, 0x0d, 0xb8, [14] = 0xab, [15] = 0xcd}},
        {"::ffff:192.0.2.1", {[10] = 0xff, [11] = 0xff, [12] = 192, 0, 2, 1}},
        {"1:2:3:4:5:6:1.2.3.4", {0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 1, 2, 3, 4}},
        {"::1.2.3.4", {[12] = 1, 2, 3, 4}},
        {"1:2:3:4:5:6:7::", {0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0}},
        {"1::8", {0, 1, [15] = 8}},
    };
    for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++) {
        char text[128];
        got g;
        snprintf(text, sizeof text, "nd6 ra en0 %s\n", ok[k].text);
        run_ok(&g, text);
        ASSERT_EQ_MEM(g.it[0].bytes + H + KEV_OFF_ND6_ADDR, ok[k].b, 16);
        got_free(&g);
    }
    /* clang-format off */
    static const char *const bad[] = {
        ":", ":::", "1:::2", "1::2::3", "12345::", ":1::", "1::2:", "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7", "::1.2.3", "1::2%en0", "::1.2.3.256", "::01.2.3.4",
        "1:2:3:4:5:6:7:1.2.3.4", "g::1", "1:2:3:4:5:6:7:8::", "::1.2.3.4:5",
    };
    /* clang-format on */
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char text[128], msg[128];
        snprintf(text, sizeof text, "nd6 ra en0 %s\n", bad[k]);
        snprintf(msg, sizeof msg, "line 1: nd6 ra: bad address '%s'", bad[k]);
        run_fail(text, KEV_EFORMAT, msg);
    }
}

KEV_TEST(nd6_statements)
{
    got g;
    run_ok(&g, "nd6 ra en0\nnd6 ndfailure en0\nnd6 ndalive en0\nnd6 dad-failure en0\n"
               "nd6 dad-success en0\nnd6 detached en0\nnd6 deprecated en0\n"
               "nd6 expired en0\nnd6 rtr-expired en1 fe80::1 val 7\n"
               "nd6 pfx-expired en0 val 0xffffffff\n");
    ASSERT_EQ_INT(g.n, 10);
    for (unsigned k = 0; k < 10; k++)
        CHECK_HDR(g.it[k].bytes, 68, KEV_ND6_SUBCLASS, k + 1, k + 1);
    ASSERT_TRUE(all_zero(g.it[0].bytes + H + KEV_OFF_ND6_ADDR, 20));
    const uint8_t *p = g.it[8].bytes + H;
    static const uint8_t a[16] = {0xfe, 0x80, [15] = 1};
    CHECK_LINK(p, 0, 1, "en");
    ASSERT_EQ_MEM(p + KEV_OFF_ND6_ADDR, a, 16);
    ASSERT_EQ_U64(u32at(p, KEV_OFF_ND6_VAL), 7);
    ASSERT_EQ_U64(u32at(g.it[9].bytes + H, KEV_OFF_ND6_VAL), 0xffffffffu);
    got_free(&g);
}

KEV_TEST(arp_statements)
{
    got g;
    run_ok(&g, "arp collision en0 192.168.1.7 00:11:22:33:44:55\n"
               "arp collision en0 10.0.0.1 -\n"
               "arp collision en0 10.0.0.1 01:02:03:04:05:06:07:08:09:0a\n"
               "arp rtr-failure en1\n"
               "arp rtr-alive en1\n");
    static const uint8_t ip[4] = {192, 168, 1, 7};
    static const uint8_t hw[6] = {0, 0x11, 0x22, 0x33, 0x44, 0x55};
    const uint8_t *p = g.it[0].bytes;
    /* 24 + 32 + 6 = 62: the odd size of the facts (s1.1) */
    ASSERT_EQ_U64(g.it[0].len, 62);
    CHECK_HDR(p, 62, KEV_INET_SUBCLASS, 1, KEV_INET_ARPCOLLISION);
    CHECK_LINK(p + H, 0, 0, "en");
    ASSERT_EQ_MEM(p + H + KEV_OFF_COLL_IPADDR, ip, 4);
    ASSERT_EQ_INT(p[H + KEV_OFF_COLL_HWLEN], 6);
    ASSERT_EQ_MEM(p + H + KEV_OFF_COLL_HWADDR, hw, 6);
    ASSERT_EQ_U64(g.it[1].len, 56);
    CHECK_HDR(g.it[1].bytes, 56, KEV_INET_SUBCLASS, 2, KEV_INET_ARPCOLLISION);
    ASSERT_EQ_INT(g.it[1].bytes[H + KEV_OFF_COLL_HWLEN], 0);
    ASSERT_EQ_U64(g.it[2].len, 66);
    ASSERT_EQ_INT(g.it[2].bytes[H + KEV_OFF_COLL_HWLEN], 10);
    ASSERT_EQ_INT(g.it[2].bytes[H + KEV_OFF_COLL_HWADDR + 9], 0x0a);
    CHECK_HDR(g.it[3].bytes, 48, KEV_INET_SUBCLASS, 4, KEV_INET_ARPRTRFAILURE);
    CHECK_LINK(g.it[3].bytes + H, 0, 1, "en");
    CHECK_HDR(g.it[4].bytes, 48, KEV_INET_SUBCLASS, 5, KEV_INET_ARPRTRALIVE);
    got_free(&g);
}

KEV_TEST(arp_collision_255_bytes)
{
    char text[64 + 3 * 256];
    size_t n = (size_t)snprintf(text, sizeof text, "arp collision en0 10.0.0.1 ");
    for (int k = 0; k < 255; k++)
        n += (size_t)snprintf(text + n, sizeof text - n, k ? ":%02x" : "%02x", k);
    got g;
    run_ok(&g, text);
    ASSERT_EQ_U64(g.it[0].len, 24 + 32 + 255);
    ASSERT_EQ_INT(g.it[0].bytes[H + KEV_OFF_COLL_HWLEN], 255);
    ASSERT_EQ_INT(g.it[0].bytes[H + KEV_OFF_COLL_HWADDR + 254], 254);
    got_free(&g);
    memcpy(text + n, ":ff", 4);
    run_fail(text, KEV_EFORMAT,
             "line 1: arp collision: hardware address longer than 255 bytes");
}

KEV_TEST(portinuse_statement)
{
    got g;
    run_ok(&g, "portinuse 8080 4242\nportinuse 65535 0\n");
    const uint8_t *p = g.it[0].bytes;
    ASSERT_EQ_U64(g.it[0].len, H + KEV_SZ_IN_PORTINUSE);
    CHECK_HDR(p, 40, KEV_INET_SUBCLASS, 1, KEV_INET_PORTINUSE);
    ASSERT_EQ_INT(p[H + KEV_OFF_PORT], 0x90); /* 8080 = 0x1f90, host order */
    ASSERT_EQ_INT(p[H + KEV_OFF_PORT + 1], 0x1f);
    ASSERT_EQ_U64(u32at(p + H, KEV_OFF_REQ_PID), 4242);
    ASSERT_TRUE(all_zero(p + H + 8, 8));
    ASSERT_EQ_INT(g.it[1].bytes[H], 0xff);
    ASSERT_EQ_INT(g.it[1].bytes[H + 1], 0xff);
    got_free(&g);
}

KEV_TEST(event_statement)
{
    got g, a;
    run_ok(&g, "event 2 9 en0\nevent 99 5\nevent 1 8\nevent 6 1 en7\nevent 7 6\n"
               "event 2 26 utun1:3\n");
    run_ok(&a, "attach en0\n");
    ASSERT_EQ_U64(g.it[0].len, a.it[0].len);
    ASSERT_EQ_MEM(g.it[0].bytes, a.it[0].bytes, a.it[0].len);
    CHECK_HDR(g.it[1].bytes, 24, 99, 2, 5); /* unknown: no payload */
    ASSERT_EQ_U64(g.it[1].len, 24);
    CHECK_HDR(g.it[2].bytes, 40, 1, 3, 8);
    ASSERT_TRUE(all_zero(g.it[2].bytes + H, 16));
    CHECK_HDR(g.it[3].bytes, 192, 6, 4, 1);
    CHECK_LINK(g.it[3].bytes + H, 0, 7, "en");
    CHECK_HDR(g.it[4].bytes, 68, 7, 5, 6);
    CHECK_LINK(g.it[4].bytes + H, 0, 0, "");
    CHECK_HDR(g.it[5].bytes, 48, 2, 6, KEV_DL_AWDL_RESTRICTED);
    CHECK_LINK(g.it[5].bytes + H, 0, 3, "utun1");
    got_free(&g);
    got_free(&a);
}

KEV_TEST(raw_statement)
{
    got g;
    run_ok(&g, "raw 0102 03 0405\nraw FFfe\nattach en0\n");
    static const uint8_t b0[5] = {1, 2, 3, 4, 5};
    ASSERT_EQ_INT(g.n, 3);
    ASSERT_EQ_U64(g.it[0].len, 5);
    ASSERT_EQ_MEM(g.it[0].bytes, b0, 5);
    ASSERT_EQ_U64(g.it[1].len, 2);
    ASSERT_EQ_INT(g.it[1].bytes[0], 0xff);
    ASSERT_EQ_INT(g.it[1].bytes[1], 0xfe);
    ASSERT_EQ_U64(g.it[1].t, T0 + MS);
    CHECK_HDR(g.it[2].bytes, 48, 2, 1, 9); /* raw consumes no id */
    got_free(&g);
}

KEV_TEST(record_options)
{
    got g;
    run_ok(&g, "attach en0 size 0\n"
               "attach en0 pad 4\n"
               "attach en0 pad 4 size 25\n"
               "attach en0 trunc 30\n"
               "attach en0 vendor 2 class 0x10\n"
               "attach en0 trunc 0\n"
               "attach en0 size 1100 trunc 48 pad 0\n");
    ASSERT_EQ_INT(g.n, 7);
    ASSERT_EQ_U64(g.it[0].len, 48);
    ASSERT_EQ_U64(u32at(g.it[0].bytes, 0), 0);
    ASSERT_EQ_U64(g.it[1].len, 52);
    CHECK_HDR(g.it[1].bytes, 52, 2, 2, 9);
    ASSERT_TRUE(all_zero(g.it[1].bytes + 48, 4));
    ASSERT_EQ_U64(g.it[2].len, 52);
    ASSERT_EQ_U64(u32at(g.it[2].bytes, 0), 25);
    ASSERT_EQ_U64(g.it[3].len, 30);
    CHECK_HDR(g.it[3].bytes, 48, 2, 4, 9); /* total_size unchanged */
    ASSERT_EQ_U64(u32at(g.it[4].bytes, 4), 2);
    ASSERT_EQ_U64(u32at(g.it[4].bytes, 8), 16);
    ASSERT_EQ_U64(u32at(g.it[4].bytes, 12), 2);
    ASSERT_EQ_U64(g.it[5].len, 0); /* the record is gone, its id used */
    CHECK_HDR(g.it[6].bytes, 1100, 2, 7, 9);
    ASSERT_EQ_U64(g.it[6].len, 48);
    got_free(&g);
}

KEV_TEST(name_forms)
{
    got g;
    run_ok(&g, "attach utun12\nattach pdp_ip0\nattach bridge100\nattach utun1:23\n"
               "attach utun:123\nattach en\\xff7\nattach a\\\\b3\nattach en\\x300\n"
               "attach ABCDEFGHIJKLMNOP5\nattach ABCDEFGHIJKLMNO\\x50:4294967295\n"
               "attach en007\nattach \\x23x1\n");
    CHECK_LINK(g.it[0].bytes + H, 0, 12, "utun");
    CHECK_LINK(g.it[1].bytes + H, 0, 0, "pdp_ip");
    CHECK_LINK(g.it[2].bytes + H, 0, 100, "bridge");
    CHECK_LINK(g.it[3].bytes + H, 0, 23, "utun1"); /* D11: both "utun123" */
    CHECK_LINK(g.it[4].bytes + H, 0, 123, "utun");
    CHECK_LINK(g.it[5].bytes + H, 0, 7, "en\xff");
    CHECK_LINK(g.it[6].bytes + H, 0, 3, "a\\b");
    CHECK_LINK(g.it[7].bytes + H, 0, 0, "en0"); /* escaped digits stay in the name */
    /* 16 bytes: no NUL in if_name (D5) */
    ASSERT_EQ_MEM(g.it[8].bytes + H + KEV_OFF_IF_NAME, "ABCDEFGHIJKLMNOP", 16);
    ASSERT_EQ_U64(u32at(g.it[8].bytes + H, KEV_OFF_IF_UNIT), 5);
    ASSERT_EQ_MEM(g.it[9].bytes + H + KEV_OFF_IF_NAME, "ABCDEFGHIJKLMNOP", 16);
    ASSERT_EQ_U64(u32at(g.it[9].bytes + H, KEV_OFF_IF_UNIT), 4294967295u);
    CHECK_LINK(g.it[10].bytes + H, 0, 7, "en");
    CHECK_LINK(g.it[11].bytes + H, 0, 1, "#x");
    got_free(&g);
}

KEV_TEST(name_errors)
{
    run_fail("attach en\n", KEV_EFORMAT, "line 1: attach: name en has no unit");
    run_fail("attach en\\x41\n", KEV_EFORMAT, "line 1: attach: name en\\x41 has no unit");
    run_fail("attach en4294967296\n", KEV_EFORMAT,
             "line 1: attach: bad name 'en4294967296': unit out of range");
    run_fail("attach 0\n", KEV_EFORMAT,
             "line 1: attach: bad name '0': empty interface name");
    run_fail("attach :5\n", KEV_EFORMAT,
             "line 1: attach: bad name ':5': empty interface name");
    run_fail("attach en:x\n", KEV_EFORMAT, "line 1: attach: bad name 'en:x': bad unit");
    run_fail("attach utun1:\n", KEV_EFORMAT, "line 1: attach: bad name 'utun1:': bad unit");
    run_fail("attach en\\x000\n", KEV_EFORMAT,
             "line 1: attach: bad name 'en\\x000': \\x00 is not allowed");
    run_fail("attach en\\q0\n", KEV_EFORMAT,
             "line 1: attach: bad name 'en\\q0': bad escape");
    run_fail("attach en\\x4\n", KEV_EFORMAT,
             "line 1: attach: bad name 'en\\x4': bad escape");
    run_fail("attach ABCDEFGHIJKLMNOPQ0\n", KEV_EFORMAT,
             "line 1: attach: bad name 'ABCDEFGHIJKLMNOPQ0': if_name longer than 16 "
             "bytes");
    run_fail("attach\n", KEV_EFORMAT, "line 1: attach: missing interface name");
}

/* ---- Time ---------------------------------------------------------------- */

KEV_TEST(times)
{
    got g;
    run_ok(&g, "attach en0\n"
               "at 1700000100.25\n"
               "attach en1\n"
               "at +1.5s\n"
               "attach en2\n"
               "step 0\n"
               "attach en3\n"
               "attach en4\n"
               "step 250us\n"
               "at +10us\n"
               "attach en5\n"
               "attach en6\n"
               "at +250ms\nat +7ns\nat +0\n"
               "error EINTR\n"
               "at 5\n"
               "attach en7\n"
               "at 18446744073.709551615\n"
               "step 0\n"
               "attach en8\n");
    const uint64_t t1 = 1700000100250000000ull;
    const uint64_t t2 = t1 + MS + 1500 * MS;
    ASSERT_EQ_INT(g.n, 10);
    ASSERT_EQ_U64(g.it[0].t, T0);
    ASSERT_EQ_U64(g.it[1].t, t1);
    ASSERT_EQ_U64(g.it[2].t, t2);
    ASSERT_EQ_U64(g.it[3].t, t2 + MS);
    ASSERT_EQ_U64(g.it[4].t, t2 + MS);
    ASSERT_EQ_U64(g.it[5].t, t2 + MS + 10000);
    ASSERT_EQ_U64(g.it[6].t, t2 + MS + 10000 + 250000);
    ASSERT_EQ_U64(g.it[7].t, t2 + MS + 10000 + 500000 + 250 * MS + 7);
    ASSERT_EQ_INT(g.it[7].kind, KEV_SCN_ERROR);
    ASSERT_EQ_U64(g.it[8].t, 5000000000ull);
    ASSERT_EQ_U64(g.it[9].t, UINT64_MAX);
    got_free(&g);
}

KEV_TEST(time_errors)
{
    run_fail("at +1.5ns\n", KEV_EFORMAT,
             "line 1: at: duration '+1.5ns' is not a whole number of ns");
    run_fail("step 5\n", KEV_EFORMAT,
             "line 1: step: bad duration '5' (a number and ns, us, ms or s)");
    run_fail("step 1.5m\n", KEV_EFORMAT,
             "line 1: step: bad duration '1.5m' (a number and ns, us, ms or s)");
    run_fail("at 18446744073.709551616\n", KEV_EFORMAT,
             "line 1: at: time out of range '18446744073.709551616'");
    run_fail("at 1.0000000001\n", KEV_EFORMAT, "line 1: at: bad time '1.0000000001'");
    run_fail("at -1\n", KEV_EFORMAT, "line 1: at: bad time '-1'");
    run_fail("at\n", KEV_EFORMAT, "line 1: at: missing time");
    run_fail("at 1 2\n", KEV_EFORMAT, "line 1: at: unexpected '2'");
    run_fail("step 18446744073709551616ns\n", KEV_EFORMAT,
             "line 1: step: duration out of range '18446744073709551616ns'");
    run_fail("at 18446744073.709551615\nat +1ns\n", KEV_EFORMAT,
             "line 2: at: time overflows at '+1ns'");
    /* the step past 2^64 - 1 is only an error when a time is needed */
    got g;
    got_init(&g);
    run(&g, "at 18446744073.709551615\nattach en0\nattach en1\n");
    ASSERT_EQ_INT(g.rc, KEV_EFORMAT);
    ASSERT_EQ_STR(kev_strbuf_str(&g.err),
                  "line 3: attach: time passes 18446744073.709551615 s");
    ASSERT_EQ_INT(g.n, 1);
    got_free(&g);
    run_ok(&g, "at 18446744073.709551615\nattach en0\nat 1\nattach en1\n");
    ASSERT_EQ_U64(g.it[1].t, 1000000000u);
    got_free(&g);
}

KEV_TEST(id_statement)
{
    got g;
    run_ok(&g, "id 4294967295\nattach en0\nattach en1\nid 100\nattach en2\n");
    ASSERT_EQ_U64(u32at(g.it[0].bytes, 16), 4294967295u);
    ASSERT_EQ_U64(u32at(g.it[1].bytes, 16), 0); /* wraps as the kernel's counter */
    ASSERT_EQ_U64(u32at(g.it[2].bytes, 16), 100);
    got_free(&g);
}

/* ---- Groups, errors, snapshots -------------------------------------------- */

KEV_TEST(batch_group)
{
    got g;
    run_ok(&g, "attach en9\n"
               "batch\n"
               "attach en0\n"
               "at +1s\n"
               "inet add en0 10.0.0.2/24\n"
               "raw 0a0b\n"
               "end\n"
               "attach en1\n"
               "batch\n"
               "end\n");
    ASSERT_EQ_INT(g.n, 4);
    const got_item *b = &g.it[1];
    ASSERT_EQ_INT(b->kind, KEV_SCN_BATCH);
    ASSERT_EQ_U64(b->len, 48 + 76 + 2);
    ASSERT_EQ_U64(b->t, T0 + MS + 1000 * MS); /* the time at `end` */
    ASSERT_EQ_INT(b->line, 2);
    CHECK_HDR(b->bytes, 48, 2, 2, KEV_DL_IF_ATTACHED);
    CHECK_HDR(b->bytes + 48, 76, 1, 3, KEV_INET_NEW_ADDR);
    ASSERT_EQ_INT(b->bytes[124], 0x0a);
    ASSERT_EQ_INT(b->bytes[125], 0x0b);
    CHECK_HDR(g.it[2].bytes, 48, 2, 4, KEV_DL_IF_ATTACHED);
    ASSERT_EQ_U64(g.it[2].t, b->t + MS);
    ASSERT_EQ_INT(g.it[2].line, 8);
    ASSERT_EQ_U64(g.it[3].len, 0); /* an empty group: a zero-length recv() */
    ASSERT_EQ_INT(g.it[3].line, 9);
    got_free(&g);
}

KEV_TEST(batch_caps)
{
    got g;
    /* 48 + 65488 = 65536 exactly: fits */
    run_ok(&g, "batch\nattach en0 pad 65488\nend\nattach en0 pad 65488\n");
    ASSERT_EQ_U64(g.it[0].len, KEV_MAX_BATCH);
    ASSERT_EQ_U64(g.it[1].len, KEV_MAX_BATCH);
    got_free(&g);
    run_fail("batch\nattach en0\nattach en0 pad 65488\nend\n", KEV_ETOOBIG,
             "line 3: attach: batch of 65584 bytes exceeds the cap of 65536");
    run_fail("attach en0 pad 65489\n", KEV_ETOOBIG,
             "line 1: attach: batch of 65537 bytes exceeds the cap of 65536");
    run_fail("attach en0 pad 65537\n", KEV_EFORMAT,
             "line 1: attach: pad out of range '65537' (max 65536)");
    /* trunc applies before the cap */
    run_ok(&g, "attach en0 pad 65536 trunc 100\n");
    ASSERT_EQ_U64(g.it[0].len, 100);
    ASSERT_EQ_U64(u32at(g.it[0].bytes, 0), 48 + 65536);
    got_free(&g);
}

KEV_TEST(error_items)
{
    got g;
    run_ok(&g, "error EAGAIN\nerror EWOULDBLOCK\nerror 55\nerror ECONNRESET\n"
               "error EPIPE\nerror 035\n");
    ASSERT_EQ_INT(g.n, 6);
    ASSERT_EQ_INT(g.it[0].kind, KEV_SCN_ERROR);
    ASSERT_EQ_INT(g.it[0].err, 35);
    ASSERT_EQ_STR(g.it[0].err_name, "EAGAIN");
    ASSERT_EQ_U64(g.it[0].len, 0);
    ASSERT_EQ_U64(g.it[0].t, T0);
    ASSERT_EQ_INT(g.it[1].err, 35);
    ASSERT_EQ_STR(g.it[1].err_name, "EWOULDBLOCK");
    ASSERT_EQ_U64(g.it[1].t, T0 + MS);
    ASSERT_EQ_INT(g.it[2].err, 55);
    ASSERT_EQ_STR(g.it[2].err_name, "ENOBUFS");
    ASSERT_EQ_INT(g.it[3].err, 54);
    ASSERT_EQ_INT(g.it[4].err, 32);
    ASSERT_EQ_STR(g.it[5].err_name, "EAGAIN");
    ASSERT_EQ_INT(g.it[5].line, 6);
    got_free(&g);
}

KEV_TEST(darwin_errno_table)
{
    static const struct {
        const char *name;
        int value;
    } want[] = {
        {"EPERM", 1},      {"EINTR", 4},        {"EIO", 5},       {"EBADF", 9},
        {"ENOMEM", 12},    {"EFAULT", 14},      {"EINVAL", 22},   {"EPIPE", 32},
        {"EAGAIN", 35},    {"EWOULDBLOCK", 35}, {"ENOTSOCK", 38}, {"EMSGSIZE", 40},
        {"ENOTSUP", 45},   {"ECONNRESET", 54},  {"ENOBUFS", 55},  {"ENOTCONN", 57},
        {"ETIMEDOUT", 60}, {"EOPNOTSUPP", 102}, {"EQFULL", 106},
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
        ASSERT_EQ_INT(kev_darwin_errno(want[k].name), want[k].value);
    ASSERT_EQ_INT(kev_darwin_errno("EFOO"), -1);
    ASSERT_EQ_INT(kev_darwin_errno("eagain"), -1);
    ASSERT_EQ_INT(kev_darwin_errno(NULL), -1);
    ASSERT_EQ_STR(kev_darwin_errno_name(35), "EAGAIN");
    ASSERT_EQ_STR(kev_darwin_errno_name(55), "ENOBUFS");
    ASSERT_EQ_STR(kev_darwin_errno_name(60), "ETIMEDOUT");
    ASSERT_NULL(kev_darwin_errno_name(0));
    ASSERT_NULL(kev_darwin_errno_name(107));
    ASSERT_NULL(kev_darwin_errno_name(-1));
    for (int v = 1; v <= 106; v++)
        ASSERT_EQ_INT(kev_darwin_errno(kev_darwin_errno_name(v)), v);
}

KEV_TEST(kernel_snapshot)
{
    got g;
    run_ok(&g, "step 2ms\n"
               "kernel if en0 up media active\n"
               "# a comment\n"
               "kernel   inet en0 10.0.0.2/24   # kept\r\n"
               "kernel\n"
               "at 1700000001\n"
               "attach en0\n"
               "error ENOBUFS\n");
    ASSERT_EQ_INT(g.n, 3);
    static const char snap[] = "if en0 up media active\ninet en0 10.0.0.2/24   # kept\n\n";
    ASSERT_EQ_INT(g.it[0].kind, KEV_SCN_SNAPSHOT);
    ASSERT_EQ_U64(g.it[0].len, sizeof snap - 1);
    ASSERT_EQ_MEM(g.it[0].bytes, snap, sizeof snap - 1);
    ASSERT_EQ_INT(g.it[0].line, 2);
    ASSERT_EQ_U64(g.it[0].t, 1700000001000000000ull);
    ASSERT_EQ_INT(g.it[1].kind, KEV_SCN_BATCH);
    ASSERT_EQ_U64(g.it[1].t, 1700000001000000000ull);
    ASSERT_EQ_INT(g.it[2].kind, KEV_SCN_ERROR);
    ASSERT_EQ_U64(g.it[2].t, 1700000001000000000ull + 2 * MS);
    got_free(&g);

    /* only kernel lines: the snapshot comes at the end */
    run_ok(&g, "kernel if en0\n");
    ASSERT_EQ_INT(g.n, 1);
    ASSERT_EQ_INT(g.it[0].kind, KEV_SCN_SNAPSHOT);
    ASSERT_EQ_U64(g.it[0].len, 7);
    ASSERT_EQ_MEM(g.it[0].bytes, "if en0\n", 7);
    got_free(&g);

    /* before a group: emitted at `end`, just before the batch */
    run_ok(&g, "kernel if en0\nbatch\nattach en0\nend\n");
    ASSERT_EQ_INT(g.n, 2);
    ASSERT_EQ_INT(g.it[0].kind, KEV_SCN_SNAPSHOT);
    ASSERT_EQ_INT(g.it[1].kind, KEV_SCN_BATCH);
    got_free(&g);

    /* no kernel lines, no snapshot */
    run_ok(&g, "attach en0\n");
    ASSERT_EQ_INT(g.n, 1);
    ASSERT_EQ_INT(g.it[0].kind, KEV_SCN_BATCH);
    got_free(&g);

    run_fail("attach en0\nkernel if en0\n", KEV_EFORMAT,
             "line 2: kernel lines must come before the first event");
    run_fail("batch\nkernel if en0\nend\n", KEV_EFORMAT,
             "line 2: kernel lines must come before the first event");
}

KEV_TEST(emit_stop_value)
{
    got g;
    got_init(&g);
    g.stop_at = 2;
    g.stop_value = 7;
    ASSERT_EQ_INT(run(&g, "attach en0\nattach en1\nattach en2\n"), 7);
    ASSERT_EQ_INT(g.n, 2);
    ASSERT_EQ_STR(kev_strbuf_str(&g.err), "");
    got_free(&g);

    got_init(&g);
    g.stop_at = 1;
    g.stop_value = -100;
    ASSERT_EQ_INT(run(&g, "kernel if en0\nattach en0\n"), -100);
    ASSERT_EQ_INT(g.n, 1);
    ASSERT_EQ_INT(g.it[0].kind, KEV_SCN_SNAPSHOT);
    got_free(&g);

    got_init(&g); /* a stop on the last item is still returned */
    g.stop_at = 1;
    g.stop_value = 1;
    ASSERT_EQ_INT(run(&g, "error EIO\n"), 1);
    got_free(&g);
}

KEV_TEST(comments_blank_lines_crlf)
{
    got g;
    run_ok(&g, "  # only a comment\n\n\t\n\tattach\ten0  # trailing comment\r\n"
               "link on en0#1\r\n"
               "link off en0");
    ASSERT_EQ_INT(g.n, 3);
    ASSERT_EQ_INT(g.it[0].line, 4);
    CHECK_HDR(g.it[0].bytes, 48, 2, 1, KEV_DL_IF_ATTACHED);
    /* '#' inside a token is part of it: the name is "en0#" with unit 1 */
    CHECK_LINK(g.it[1].bytes + H, 0, 1, "en0#");
    ASSERT_EQ_INT(g.it[2].line, 6);
    got_free(&g);
    run_ok(&g, "");
    ASSERT_EQ_INT(g.n, 0);
    got_free(&g);
}

KEV_TEST(error_messages)
{
    static const struct {
        const char *text;
        int rc;
        const char *msg;
    } cases[] = {
        {"attach en0\n\n\n\n\n\ninet add en0 10.0.0.300/24\n", KEV_EFORMAT,
         "line 7: inet add: bad address '10.0.0.300/24'"},
        {"frobnicate en0\n", KEV_EFORMAT, "line 1: unknown statement 'frobnicate'"},
        {"ATTACH en0\n", KEV_EFORMAT, "line 1: unknown statement 'ATTACH'"},
        {"inet bogus en0 10.0.0.1/8\n", KEV_EFORMAT,
         "line 1: inet: unknown kind 'bogus' (add, change, del, dstaddr, brdaddr, "
         "netmask)"},
        {"link\n", KEV_EFORMAT, "line 1: link: missing kind (on, off)"},
        {"inet add en0 10.0.0.1\n", KEV_EFORMAT,
         "line 1: inet add: missing /LEN in '10.0.0.1'"},
        {"inet add en0 10.0.0.1/33\n", KEV_EFORMAT,
         "line 1: inet add: bad prefix length '10.0.0.1/33'"},
        {"inet add en0 010.0.0.1/8\n", KEV_EFORMAT,
         "line 1: inet add: bad address '010.0.0.1/8'"},
        {"inet6 add en0 fe80::1/129\n", KEV_EFORMAT,
         "line 1: inet6 add: bad prefix length 'fe80::1/129'"},
        {"inet dstaddr en0 10.0.0.1/32 dest 10.0.0\n", KEV_EFORMAT,
         "line 1: inet dstaddr: bad peer address '10.0.0'"},
        {"inet6 add en0 ::1/128 mac 00:11:22\n", KEV_EFORMAT,
         "line 1: inet6 add: bad mac '00:11:22'"},
        {"attach en0 foo 1\n", KEV_EFORMAT, "line 1: attach: unknown option 'foo'"},
        {"attach en0 mac 00:00:00:00:00:00\n", KEV_EFORMAT,
         "line 1: attach: unknown option 'mac'"},
        {"portinuse 1 2 family 3\n", KEV_EFORMAT,
         "line 1: portinuse: unknown option 'family'"},
        {"attach en0 size 1 size 2\n", KEV_EFORMAT,
         "line 1: attach: duplicate option 'size'"},
        {"attach en0 size\n", KEV_EFORMAT, "line 1: attach: option 'size' needs a value"},
        {"attach en0 size -1\n", KEV_EFORMAT, "line 1: attach: bad size '-1'"},
        {"attach en0 size 4294967296\n", KEV_EFORMAT,
         "line 1: attach: size out of range '4294967296' (max 4294967295)"},
        {"attach en0 trunc 49\n", KEV_EFORMAT,
         "line 1: attach: trunc 49 exceeds the record length 48"},
        {"lqm en0 2147483648\n", KEV_EFORMAT,
         "line 1: lqm: link quality out of range '2147483648' (-2147483648..2147483647)"},
        {"lqm en0 -\n", KEV_EFORMAT, "line 1: lqm: bad link quality '-'"},
        {"portinuse 65536 1\n", KEV_EFORMAT,
         "line 1: portinuse: port out of range '65536' (max 65535)"},
        {"portinuse 80\n", KEV_EFORMAT, "line 1: portinuse: missing pid"},
        {"proto attached en0 2\n", KEV_EFORMAT,
         "line 1: proto attached: missing remaining count"},
        {"issues en0 0102030405060708090a0b0c0d0e0f101112131415 0\n", KEV_EFORMAT,
         "line 1: issues: module id longer than 20 bytes "
         "'0102030405060708090a0b0c0d0e0f101112131415'"},
        {"issues en0 123 0\n", KEV_EFORMAT, "line 1: issues: bad module id '123'"},
        {"issues en0 00 0 00112233445566778899aabbcc\n", KEV_EFORMAT,
         "line 1: issues: info longer than 12 bytes '00112233445566778899aabbcc'"},
        {"arp collision en0 10.0.0.1 0:11\n", KEV_EFORMAT,
         "line 1: arp collision: bad hardware address '0:11'"},
        {"raw 0g\n", KEV_EFORMAT, "line 1: raw: bad hex '0g'"},
        {"raw 012\n", KEV_EFORMAT, "line 1: raw: bad hex '012'"},
        {"raw\n", KEV_EFORMAT, "line 1: raw: missing hex bytes"},
        {"error EFOO\n", KEV_EFORMAT, "line 1: error: unknown errno 'EFOO'"},
        {"error 107\n", KEV_EFORMAT, "line 1: error: unknown errno '107'"},
        {"error EIO EIO\n", KEV_EFORMAT, "line 1: error: unexpected 'EIO'"},
        {"batch\nerror EIO\n", KEV_EFORMAT,
         "line 2: error: not allowed inside batch (opened at line 1)"},
        {"batch\nattach en0\nbatch\n", KEV_EFORMAT,
         "line 3: batch: nested batch (group opened at line 1)"},
        {"attach en0\nend\n", KEV_EFORMAT, "line 2: end: no open batch"},
        {"at 1\nbatch\nattach en0\n", KEV_EFORMAT, "line 2: batch: not closed by end"},
        {"batch x\n", KEV_EFORMAT, "line 1: batch: unexpected 'x'"},
        {"id -1\n", KEV_EFORMAT, "line 1: id: bad id '-1'"},
        {"event 2\n", KEV_EFORMAT, "line 1: event: missing code"},
        {"nd6 ra en0 fe80::1 val\n", KEV_EFORMAT,
         "line 1: nd6 ra: option 'val' needs a value"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        run_fail(cases[k].text, cases[k].rc, cases[k].msg);
}

KEV_TEST(nul_byte_in_text)
{
    static const char text[] = "attach en0\nattach en\0\n";
    got g;
    got_init(&g);
    int rc = kev_scenario_compile(text, sizeof text - 1, collect, &g, &g.err);
    ASSERT_EQ_INT(rc, KEV_EFORMAT);
    ASSERT_EQ_STR(kev_strbuf_str(&g.err), "line 2: NUL byte in line");
    ASSERT_EQ_INT(g.n, 1); /* items before the error stay emitted */
    got_free(&g);
}

KEV_TEST(caps)
{
    /* a line of exactly KEV_SCENARIO_MAX_LINE bytes is fine; one more is not */
    char *text = malloc(2 * KEV_SCENARIO_MAX_LINE + 64);
    ASSERT_NOT_NULL(text);
    size_t n = (size_t)snprintf(text, 2 * KEV_SCENARIO_MAX_LINE + 64, "attach en0\n#");
    memset(text + n, 'x', KEV_SCENARIO_MAX_LINE - 1);
    n += KEV_SCENARIO_MAX_LINE - 1;
    memcpy(text + n, "\nattach en1\n", 13);
    got g;
    run_ok(&g, text);
    ASSERT_EQ_INT(g.n, 2);
    got_free(&g);
    memcpy(text + n, "x\nattach en1\n", 14);
    got_init(&g);
    ASSERT_EQ_INT(run(&g, text), KEV_ETOOBIG);
    ASSERT_EQ_STR(kev_strbuf_str(&g.err), "line 2: line too long: 4097 bytes (cap 4096)");
    ASSERT_EQ_INT(g.n, 1);
    got_free(&g);
    free(text);

    size_t big = KEV_SCENARIO_MAX_TEXT + 1;
    text = malloc(big);
    ASSERT_NOT_NULL(text);
    memset(text, '\n', big);
    got_init(&g);
    ASSERT_EQ_INT(kev_scenario_compile(text, big, collect, &g, &g.err), KEV_ETOOBIG);
    ASSERT_EQ_STR(kev_strbuf_str(&g.err),
                  "text: 16777217 bytes exceeds the cap of 16777216");
    ASSERT_EQ_INT(g.n, 0);
    got_free(&g);
    /* exactly at the cap: blank lines, nothing emitted */
    got_init(&g);
    ASSERT_EQ_INT(kev_scenario_compile(text, big - 1, collect, &g, &g.err), 0);
    ASSERT_EQ_INT(g.n, 0);
    got_free(&g);
    free(text);
}

KEV_TEST(bad_arguments_and_null_err)
{
    got g;
    got_init(&g);
    ASSERT_EQ_INT(kev_scenario_compile("attach en0", 10, NULL, &g, NULL), KEV_EINVAL);
    ASSERT_EQ_INT(kev_scenario_compile(NULL, 1, collect, &g, NULL), KEV_EINVAL);
    ASSERT_EQ_INT(kev_scenario_compile(NULL, 0, collect, &g, NULL), 0);
    /* err may be NULL: the code alone comes back */
    ASSERT_EQ_INT(kev_scenario_compile("attach en\n", 10, collect, &g, NULL), KEV_EFORMAT);
    ASSERT_EQ_INT(g.n, 0);
    /* text need not be NUL-terminated: only len bytes are read */
    ASSERT_EQ_INT(kev_scenario_compile("attach en0XYZ", 10, collect, &g, NULL), 0);
    ASSERT_EQ_INT(g.n, 1);
    CHECK_LINK(g.it[0].bytes + H, 0, 0, "en");
    got_free(&g);
}

/* The complete example of docs/scenario.md compiles as documented. */
KEV_TEST(docs_example)
{
    got g;
    run_ok(&g, "# en0 comes up, gets addresses, loses its link; then the socket fails.\n"
               "kernel if en0 up media active\n"
               "\n"
               "at 1700000000.5\n"
               "attach en0\n"
               "batch                        # one recv() with two records\n"
               "  link on en0\n"
               "  inet add en0 192.168.1.20/24\n"
               "end\n"
               "at +2s\n"
               "inet6 add en0 fe80::1/64 flags 0x44 mac 00:11:22:33:44:55\n"
               "lqm en0 50\n"
               "attach utun1:23              # D11: formats as utun123\n"
               "attach utun123\n"
               "attach en1 size 12           # total_size below 24\n"
               "raw 30000000 01000000 01000000 02000000 09000000 0d000000\n"
               "step 0\n"
               "error EAGAIN\n"
               "error ENOBUFS\n");
    ASSERT_EQ_INT(g.n, 11);
    ASSERT_EQ_INT(g.it[0].kind, KEV_SCN_SNAPSHOT);
    ASSERT_EQ_U64(g.it[2].len, 48 + 76);
    ASSERT_EQ_U64(g.it[2].t, 1700000000501000000ull);
    ASSERT_EQ_U64(g.it[3].t, 1700000002502000000ull);
    ASSERT_EQ_U64(u32at(g.it[7].bytes, 0), 12);
    ASSERT_EQ_U64(g.it[8].len, 24);
    ASSERT_EQ_U64(g.it[9].t, g.it[10].t);
    ASSERT_EQ_STR(g.it[10].err_name, "ENOBUFS");
    got_free(&g);
}

/* Kernel lines are checked as the kernel will load them, with the file's
 * line in the message, so gen and run refuse what replay could not load. */
KEV_TEST(kernel_lines_checked)
{
    run_fail(
        "kernel if en0 up\n\nkernel if en1 media actve\nattach en0\n", KEV_EFORMAT,
        "line 3: kernel: if: media \"actve\" is not none, unknown, inactive or active");
    run_fail("# no interface yet\nkernel inet en0 10.0.0.1/8\n", KEV_EFORMAT,
             "line 2: kernel: inet: no interface en0 (an if line must define it first)");
    run_fail("kernel if en0\nkernel if en0\n", KEV_EFORMAT,
             "line 2: kernel: interface en0 defined twice");
    run_fail("kernel bogus en0\n", KEV_EFORMAT,
             "line 1: kernel: unknown directive \"bogus\" (expected if, inet or inet6)");
    /* The kernel's comments and blank lines are fine. */
    got g;
    run_ok(&g, "kernel\nkernel # nothing\nkernel if en0 up\n");
    got_free(&g);
}

/* One keyword for the other address: peer; dest and dst are the same
 * option, in events and in kernel lines. */
KEV_TEST(peer_keyword_and_aliases)
{
    static const char *const inet[] = {"peer", "dest", "dst"};
    got a, b;
    run_ok(&a, "inet dstaddr utun0 10.0.0.1/32 peer 10.0.0.2\n"
               "inet6 add utun0 fd00::1/128 peer fd00::2 flags 0x20\n");
    for (size_t i = 1; i < sizeof inet / sizeof inet[0]; i++) {
        char text[200];
        snprintf(text, sizeof text,
                 "inet dstaddr utun0 10.0.0.1/32 %s 10.0.0.2\n"
                 "inet6 add utun0 fd00::1/128 %s fd00::2 flags 0x20\n",
                 inet[i], inet[i]);
        run_ok(&b, text);
        ASSERT_EQ_INT(b.n, a.n);
        for (size_t k = 0; k < a.n; k++) {
            ASSERT_EQ_U64(b.it[k].len, a.it[k].len);
            ASSERT_EQ_MEM(b.it[k].bytes, a.it[k].bytes, a.it[k].len);
        }
        got_free(&b);
    }
    got_free(&a);
    run_fail("inet dstaddr utun0 10.0.0.1/32 peer 10.0.0.2 dest 10.0.0.3\n", KEV_EFORMAT,
             "line 1: inet dstaddr: duplicate option 'dest' (peer, dest and dst are one "
             "option)");
    run_ok(&a, "kernel if utun0 p2p\n"
               "kernel inet utun0 10.0.0.1/32 peer 10.0.0.2\n"
               "kernel inet6 utun0 fd00::1/128 peer fd00::2\n"
               "kernel inet6 utun0 fd00::3/128 dst fd00::4\n"
               "kernel inet6 utun0 fd00::5/128 dest fd00::6\n");
    got_free(&a);
}

KEV_TEST_MAIN(KEV_T(dl_link_statements), KEV_T(family_option), KEV_T(proto_statements),
              KEV_T(lqm_statement), KEV_T(issues_statement), KEV_T(inet_add_facts_example),
              KEV_T(inet_other_codes), KEV_T(inet6_add_with_options),
              KEV_T(inet6_other_codes), KEV_T(ipv6_parser), KEV_T(nd6_statements),
              KEV_T(arp_statements), KEV_T(arp_collision_255_bytes),
              KEV_T(portinuse_statement), KEV_T(event_statement), KEV_T(raw_statement),
              KEV_T(record_options), KEV_T(name_forms), KEV_T(name_errors), KEV_T(times),
              KEV_T(time_errors), KEV_T(id_statement), KEV_T(batch_group),
              KEV_T(batch_caps), KEV_T(error_items), KEV_T(darwin_errno_table),
              KEV_T(kernel_snapshot), KEV_T(emit_stop_value),
              KEV_T(comments_blank_lines_crlf), KEV_T(error_messages),
              KEV_T(nul_byte_in_text), KEV_T(caps), KEV_T(bad_arguments_and_null_err),
              KEV_T(docs_example), KEV_T(kernel_lines_checked),
              KEV_T(peer_keyword_and_aliases))
