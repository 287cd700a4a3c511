/*
 * test_decode.c: the batch decoder (kevrr/decode.h): the exact text and
 * JSON of every payload layout, records cut short, framing damage, names
 * with bytes that need escaping, the IPv6 and time text forms, the hex
 * dump, and JSON validity checked by a small RFC 8259 syntax checker.
 */
#include <string.h>

#include "kev_cursor.h"
#include "kev_test.h"
#include "kevrr/decode.h"
#include "kevrr/kevrr.h"

/* ------------------------------------------------------------------------
 * A JSON syntax checker (RFC 8259 grammar; no semantic checks beyond it).
 */

typedef struct json_in {
    const char *p;
    int depth;
} json_in;

static bool json_value(json_in *j);

static void json_ws(json_in *j)
{
    while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
        j->p++;
}

static bool json_lit(json_in *j, const char *lit)
{
    size_t n = strlen(lit);
    if (strncmp(j->p, lit, n) != 0)
        return false;
    j->p += n;
    return true;
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool json_string(json_in *j)
{
    if (*j->p++ != '"')
        return false;
    for (;;) {
        unsigned char c = (unsigned char)*j->p++;
        if (c == '"')
            return true;
        if (c < 0x20) /* controls (and the NUL ending the text) */
            return false;
        if (c != '\\')
            continue;
        c = (unsigned char)*j->p++;
        if (c == 'u') {
            for (int i = 0; i < 4; i++)
                if (!is_hex(*j->p++))
                    return false;
        } else if (!strchr("\"\\/bfnrt", c) || c == 0) {
            return false;
        }
    }
}

static bool json_digits(json_in *j)
{
    if (*j->p < '0' || *j->p > '9')
        return false;
    while (*j->p >= '0' && *j->p <= '9')
        j->p++;
    return true;
}

static bool json_number(json_in *j)
{
    if (*j->p == '-')
        j->p++;
    if (*j->p == '0')
        j->p++;
    else if (!json_digits(j))
        return false;
    if (*j->p == '.') {
        j->p++;
        if (!json_digits(j))
            return false;
    }
    if (*j->p == 'e' || *j->p == 'E') {
        j->p++;
        if (*j->p == '+' || *j->p == '-')
            j->p++;
        if (!json_digits(j))
            return false;
    }
    return true;
}

/* An object (close '}') or array (close ']') after its opening bracket. */
static bool json_container(json_in *j, char close)
{
    json_ws(j);
    if (*j->p == close) {
        j->p++;
        return true;
    }
    for (;;) {
        json_ws(j);
        if (close == '}') {
            if (!json_string(j))
                return false;
            json_ws(j);
            if (*j->p++ != ':')
                return false;
        }
        if (!json_value(j))
            return false;
        json_ws(j);
        char c = *j->p++;
        if (c == close)
            return true;
        if (c != ',')
            return false;
    }
}

static bool json_value(json_in *j)
{
    bool ok;
    json_ws(j);
    if (++j->depth > 64)
        return false;
    switch (*j->p) {
    case '{':
        j->p++;
        ok = json_container(j, '}');
        break;
    case '[':
        j->p++;
        ok = json_container(j, ']');
        break;
    case '"':
        ok = json_string(j);
        break;
    case 't':
        ok = json_lit(j, "true");
        break;
    case 'f':
        ok = json_lit(j, "false");
        break;
    case 'n':
        ok = json_lit(j, "null");
        break;
    default:
        ok = json_number(j);
        break;
    }
    j->depth--;
    return ok;
}

/* True when every line of `text` is one valid JSON text. */
static bool json_lines_valid(const char *text)
{
    while (*text) {
        const char *nl = strchr(text, '\n');
        size_t n = nl ? (size_t)(nl - text) : strlen(text);
        char line[8192];
        if (n >= sizeof line)
            return false;
        memcpy(line, text, n);
        line[n] = '\0';
        json_in j = {line, 0};
        if (!json_value(&j))
            return false;
        json_ws(&j);
        if (*j.p != '\0')
            return false;
        text += n + (nl != NULL);
    }
    return true;
}

/* ------------------------------------------------------------------------
 * Helpers
 */

typedef struct decoded_text {
    kev_strbuf text, json;
    int last_rc; /* the last non-zero return of kev_decode_next */
    unsigned items;
} decoded_text;

/* Decodes a whole batch into its text and JSON forms. */
static void decode_all(decoded_text *dt, const uint8_t *b, size_t n, uint32_t flags)
{
    kev_decoder d;
    kev_decoded r;
    int rc;
    kev_strbuf_init(&dt->text);
    kev_strbuf_init(&dt->json);
    dt->last_rc = 0;
    dt->items = 0;
    kev_decode_init(&d, b, n, flags);
    while ((rc = kev_decode_next(&d, &r)) != 0) {
        kev_decode_format_text(&r, &dt->text);
        kev_decode_format_json(&r, &dt->json);
        dt->last_rc = rc;
        dt->items++;
    }
    ASSERT_EQ_INT(kev_decode_next(&d, &r), 0); /* stays at the end */
    ASSERT_EQ_INT(dt->text.err, 0);
    ASSERT_EQ_INT(dt->json.err, 0);
    if (!json_lines_valid(kev_strbuf_str(&dt->json)))
        KEV__FAIL("invalid JSON:\n%s", kev_strbuf_str(&dt->json));
}

static void decoded_free(decoded_text *dt)
{
    kev_strbuf_free(&dt->text);
    kev_strbuf_free(&dt->json);
}

/* Fields named "en" unit 1, family 2 (IFNET_FAMILY_ETHERNET... any). */
static kev_fields base_fields(void)
{
    kev_fields f;
    memset(&f, 0, sizeof f);
    kev_fields_name(&f, "en", 1);
    f.family = 6;
    return f;
}

/* Builds the event and checks its decoded text. */
static void expect_event_text(uint32_t sub, uint32_t code, const kev_fields *f,
                              const char *want)
{
    uint8_t buf[512];
    size_t n = kev_build_event(buf, sizeof buf, sub, code, 42, f);
    ASSERT_TRUE(n >= KEV_MSG_HEADER_SIZE);
    decoded_text dt;
    decode_all(&dt, buf, n, 0);
    ASSERT_EQ_INT(dt.last_rc, 1);
    ASSERT_EQ_STR(kev_strbuf_str(&dt.text), want);
    decoded_free(&dt);
}

#define APPLE_NET "vendor=KEV_VENDOR_APPLE(1) class=KEV_NETWORK_CLASS(1) "
#define LINK_LINES                                                                         \
    "  +0 if_family: 6\n"                                                                  \
    "  +4 if_unit: 1\n"                                                                    \
    "  +8 if_name: \"en\"\n"

/* ------------------------------------------------------------------------
 * One test per layout
 */

KEV_TEST(layout_net_event_data)
{
    kev_fields f = base_fields();
    expect_event_text(
        KEV_DL_SUBCLASS, KEV_DL_LINK_ON, &f,
        "record 0 at offset 0: KEV_DL_LINK_ON total_size=48 id=42 " APPLE_NET
        "subclass=KEV_DL_SUBCLASS(2) code=13 layout=net_event_data\n" LINK_LINES);
    /* The JSON form of the same record, key for key. */
    uint8_t buf[64];
    size_t n = kev_build_event(buf, sizeof buf, KEV_DL_SUBCLASS, KEV_DL_LINK_ON, 42, &f);
    decoded_text dt;
    decode_all(&dt, buf, n, 0);
    ASSERT_EQ_STR(
        kev_strbuf_str(&dt.json),
        "{\"type\":\"record\",\"index\":0,\"offset\":0,\"total_size\":48,"
        "\"vendor_code\":1,\"vendor\":\"KEV_VENDOR_APPLE\",\"kev_class\":1,"
        "\"class\":\"KEV_NETWORK_CLASS\",\"kev_subclass\":2,"
        "\"subclass\":\"KEV_DL_SUBCLASS\",\"id\":42,\"event_code\":13,"
        "\"event\":\"KEV_DL_LINK_ON\",\"layout\":\"net_event_data\",\"fields\":["
        "{\"name\":\"if_family\",\"offset\":0,\"size\":4,\"kind\":\"u32\",\"value\":6},"
        "{\"name\":\"if_unit\",\"offset\":4,\"size\":4,\"kind\":\"u32\",\"value\":1},"
        "{\"name\":\"if_name\",\"offset\":8,\"size\":16,\"kind\":\"name\",\"value\":\"en\"}"
        "]}\n");
    decoded_free(&dt);
}

/* KEV_DL_IFDELEGATE_CHANGED, which configd-1405 handles: a bare
 * net_event_data (what dlil posts when an interface's delegate changes). */
KEV_TEST(ifdelegate_changed)
{
    kev_fields f = base_fields();
    expect_event_text(
        KEV_DL_SUBCLASS, KEV_DL_IFDELEGATE_CHANGED, &f,
        "record 0 at offset 0: KEV_DL_IFDELEGATE_CHANGED total_size=48 id=42 " APPLE_NET
        "subclass=KEV_DL_SUBCLASS(2) code=25 layout=net_event_data\n" LINK_LINES);
}

KEV_TEST(layout_in_data)
{
    kev_fields f = base_fields();
    const uint8_t a[4] = {172, 16, 5, 9}, dst[4] = {172, 16, 5, 1};
    memcpy(f.addr4, a, 4);
    memcpy(f.dst4, dst, 4);
    f.prefix4 = 20;
    /* Class B: classful mask 255.255.0.0, ANDed with /20 gives /16. */
    expect_event_text(
        KEV_INET_SUBCLASS, KEV_INET_NEW_ADDR, &f,
        "record 0 at offset 0: KEV_INET_NEW_ADDR total_size=76 id=42 " APPLE_NET
        "subclass=KEV_INET_SUBCLASS(1) code=1 layout=kev_in_data\n" LINK_LINES
        "  +24 ia_addr: 172.16.5.9\n"
        "  +28 ia_net: 172.16.0.0 (0xac100000)\n"
        "  +32 ia_netmask: 255.255.0.0 (0xffff0000)\n"
        "  +36 ia_subnet: 172.16.0.0 (0xac100000)\n"
        "  +40 ia_subnetmask: 255.255.240.0 (0xfffff000)\n"
        "  +44 ia_netbroadcast: 172.16.255.255\n"
        "  +48 ia_dstaddr: 172.16.5.1\n");
}

KEV_TEST(layout_in_data_json_host_order)
{
    kev_fields f = base_fields();
    const uint8_t a[4] = {10, 0, 0, 2};
    memcpy(f.addr4, a, 4);
    f.prefix4 = 24;
    uint8_t buf[128];
    size_t n =
        kev_build_event(buf, sizeof buf, KEV_INET_SUBCLASS, KEV_INET_NEW_ADDR, 1, &f);
    decoded_text dt;
    decode_all(&dt, buf, n, 0);
    /* Host-order masks: the number as the kernel stored it, then dotted. */
    ASSERT_CONTAINS(
        kev_strbuf_str(&dt.json),
        "{\"name\":\"ia_subnetmask\",\"offset\":40,\"size\":4,"
        "\"kind\":\"ipv4_host\",\"value\":4294967040,\"text\":\"255.255.255.0\"}");
    ASSERT_CONTAINS(kev_strbuf_str(&dt.json),
                    "{\"name\":\"ia_addr\",\"offset\":24,\"size\":4,\"kind\":\"ipv4\","
                    "\"value\":\"10.0.0.2\"}");
    decoded_free(&dt);
}

KEV_TEST(layout_in_collision)
{
    kev_fields f = base_fields();
    const uint8_t a[4] = {192, 168, 1, 20};
    const uint8_t hw[6] = {0x00, 0x1b, 0x63, 0x84, 0x45, 0xe6};
    memcpy(f.addr4, a, 4);
    f.hw_len = 6;
    memcpy(f.hw, hw, 6);
    /* 24 + 32 + 6 = 62: the odd size the kernel really sends. */
    expect_event_text(
        KEV_INET_SUBCLASS, KEV_INET_ARPCOLLISION, &f,
        "record 0 at offset 0: KEV_INET_ARPCOLLISION total_size=62 id=42 " APPLE_NET
        "subclass=KEV_INET_SUBCLASS(1) code=7 layout=kev_in_collision\n" LINK_LINES
        "  +24 ia_ipaddr: 192.168.1.20\n"
        "  +28 hw_len: 6\n"
        "  +29 hw_addr: 00:1b:63:84:45:e6\n");
    f.hw_len = 0;
    expect_event_text(
        KEV_INET_SUBCLASS, KEV_INET_ARPCOLLISION, &f,
        "record 0 at offset 0: KEV_INET_ARPCOLLISION total_size=56 id=42 " APPLE_NET
        "subclass=KEV_INET_SUBCLASS(1) code=7 layout=kev_in_collision\n" LINK_LINES
        "  +24 ia_ipaddr: 192.168.1.20\n"
        "  +28 hw_len: 0\n"
        "  +29 hw_addr: (empty)\n");
}

KEV_TEST(layout_in_arpfailure)
{
    kev_fields f = base_fields();
    expect_event_text(
        KEV_INET_SUBCLASS, KEV_INET_ARPRTRALIVE, &f,
        "record 0 at offset 0: KEV_INET_ARPRTRALIVE total_size=48 id=42 " APPLE_NET
        "subclass=KEV_INET_SUBCLASS(1) code=10 layout=kev_in_arpfailure\n" LINK_LINES);
}

KEV_TEST(layout_in_portinuse)
{
    kev_fields f = base_fields();
    f.port = 8080;
    f.pid = 4242;
    expect_event_text(
        KEV_INET_SUBCLASS, KEV_INET_PORTINUSE, &f,
        "record 0 at offset 0: KEV_INET_PORTINUSE total_size=40 id=42 " APPLE_NET
        "subclass=KEV_INET_SUBCLASS(1) code=8 layout=kev_in_portinuse\n"
        "  +0 port: 8080\n"
        "  +4 req_pid: 4242\n"
        "  +8 reserved: 0000000000000000\n");
}

/* A kev_in6_data record with every sockaddr_in6 field of ia_addr and
 * every lifetime set, to see each byte order. */
static size_t build_in6_sample(uint8_t *buf, size_t cap)
{
    kev_fields f = base_fields();
    const uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    const uint8_t mac[6] = {0x02, 0, 0, 0xaa, 0xbb, 0xcc};
    memcpy(f.addr6, a6, 16);
    memcpy(f.mac, mac, 6);
    f.prefix6 = 64;
    f.flags6 = 0x440; /* AUTOCONF | SECURED */
    size_t n =
        kev_build_event(buf, cap, KEV_INET6_SUBCLASS, KEV_INET6_NEW_USER_ADDR, 3, &f);
    ASSERT_EQ_U64(n, 192);
    uint8_t *p = buf + KEV_MSG_HEADER_SIZE;
    p[KEV_OFF_IN6_ADDR + 2] = 0x1f; /* sin6_port 8080, network order */
    p[KEV_OFF_IN6_ADDR + 3] = 0x90;
    p[KEV_OFF_IN6_ADDR + 7] = 5;                  /* sin6_flowinfo 5, network order */
    kev__put_u32le(p + KEV_OFF_IN6_ADDR + 24, 4); /* sin6_scope_id */
    for (uint32_t i = 0; i < 4; i++)
        kev__put_u32le(p + KEV_OFF_IN6_LIFETIME + 4 * i, 100 * (i + 1));
    return n;
}

KEV_TEST(layout_in6_data)
{
    uint8_t buf[256];
    size_t n = build_in6_sample(buf, sizeof buf);
    decoded_text dt;
    decode_all(&dt, buf, n, 0);
    ASSERT_EQ_STR(
        kev_strbuf_str(&dt.text),
        "record 0 at offset 0: KEV_INET6_NEW_USER_ADDR total_size=192 id=3 " APPLE_NET
        "subclass=KEV_INET6_SUBCLASS(6) code=1 layout=kev_in6_data\n" LINK_LINES
        "  +24 ia_addr.sin6_len: 28\n"
        "  +25 ia_addr.sin6_family: 30\n"
        "  +26 ia_addr.sin6_port: 8080\n"
        "  +28 ia_addr.sin6_flowinfo: 5\n"
        "  +32 ia_addr.sin6_addr: 2001:db8::1\n"
        "  +48 ia_addr.sin6_scope_id: 4\n"
        "  +52 ia_net.sin6_len: 0\n"
        "  +53 ia_net.sin6_family: 0\n"
        "  +54 ia_net.sin6_port: 0\n"
        "  +56 ia_net.sin6_flowinfo: 0\n"
        "  +60 ia_net.sin6_addr: ::\n"
        "  +76 ia_net.sin6_scope_id: 0\n"
        "  +80 ia_dstaddr.sin6_len: 0\n"
        "  +81 ia_dstaddr.sin6_family: 0\n"
        "  +82 ia_dstaddr.sin6_port: 0\n"
        "  +84 ia_dstaddr.sin6_flowinfo: 0\n"
        "  +88 ia_dstaddr.sin6_addr: ::\n"
        "  +104 ia_dstaddr.sin6_scope_id: 0\n"
        "  +108 ia_prefixmask.sin6_len: 28\n"
        "  +109 ia_prefixmask.sin6_family: 30\n"
        "  +110 ia_prefixmask.sin6_port: 0\n"
        "  +112 ia_prefixmask.sin6_flowinfo: 0\n"
        "  +116 ia_prefixmask.sin6_addr: ffff:ffff:ffff:ffff::\n"
        "  +132 ia_prefixmask.sin6_scope_id: 0\n"
        "  +136 ia_plen: 64\n"
        "  +140 ia6_flags: 0x440 (AUTOCONF|SECURED)\n"
        "  +144 ia_lifetime.ia6t_expire: 100\n"
        "  +148 ia_lifetime.ia6t_preferred: 200\n"
        "  +152 ia_lifetime.ia6t_vltime: 300\n"
        "  +156 ia_lifetime.ia6t_pltime: 400\n"
        "  +160 ia_mac: 02:00:00:aa:bb:cc\n");
    ASSERT_CONTAINS(kev_strbuf_str(&dt.json),
                    "{\"name\":\"ia6_flags\",\"offset\":140,\"size\":4,\"kind\":\"flags\","
                    "\"value\":1088,\"text\":\"AUTOCONF|SECURED\"}");
    ASSERT_CONTAINS(kev_strbuf_str(&dt.json),
                    "{\"name\":\"ia_addr.sin6_port\",\"offset\":26,\"size\":2,"
                    "\"kind\":\"u16be\",\"value\":8080}");
    decoded_free(&dt);
}

KEV_TEST(in6_flags_names)
{
    static const struct {
        uint32_t v;
        const char *text;
    } cases[] = {
        {0, "0x0"},
        {0x4, "0x4 (DUPLICATED)"},
        {0xfff, "0xfff (ANYCAST|TENTATIVE|DUPLICATED|DETACHED|DEPRECATED|NODAD|"
                "AUTOCONF|TEMPORARY|DYNAMIC|OPTIMISTIC|SECURED|SWIFTDAD)"},
        {0x80001002, "0x80001002 (TENTATIVE|0x80001000)"},
        {0x10000, "0x10000 (0x10000)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kev_fields f = base_fields();
        f.flags6 = cases[i].v;
        uint8_t buf[256];
        size_t n = kev_build_event(buf, sizeof buf, KEV_INET6_SUBCLASS,
                                   KEV_INET6_CHANGED_ADDR, 1, &f);
        kev_decoder d;
        kev_decoded r;
        kev_decode_init(&d, buf, n, 0);
        ASSERT_EQ_INT(kev_decode_next(&d, &r), 1);
        const kev_dfield *fl = NULL;
        for (size_t k = 0; k < r.n_fields; k++)
            if (strcmp(r.fields[k].name, "ia6_flags") == 0)
                fl = &r.fields[k];
        ASSERT_NOT_NULL(fl);
        ASSERT_EQ_INT(fl->kind, KEV_DF_FLAGS6);
        kev_strbuf sb = KEV_STRBUF_INIT;
        kev_decode_field_value(fl, r.payload_len, &sb);
        ASSERT_EQ_STR(kev_strbuf_str(&sb), cases[i].text);
        kev_strbuf_free(&sb);
    }
}

KEV_TEST(layout_dl_proto_data)
{
    kev_fields f = base_fields();
    f.proto_family = 2;
    f.remaining = 0;
    expect_event_text(
        KEV_DL_SUBCLASS, KEV_DL_PROTO_DETACHED, &f,
        "record 0 at offset 0: KEV_DL_PROTO_DETACHED total_size=56 id=42 " APPLE_NET
        "subclass=KEV_DL_SUBCLASS(2) code=15 layout=kev_dl_proto_data\n" LINK_LINES
        "  +24 proto_family: 2\n"
        "  +28 proto_remaining_count: 0\n");
}

KEV_TEST(layout_dl_lqm)
{
    static const struct {
        int32_t v;
        const char *line;
    } cases[] = {
        {-1, "  +24 link_quality_metric: -1 (UNKNOWN)\n"},
        {-2, "  +24 link_quality_metric: -2 (OFF)\n"},
        {50, "  +24 link_quality_metric: 50 (POOR)\n"},
        {100, "  +24 link_quality_metric: 100 (GOOD)\n"},
        {37, "  +24 link_quality_metric: 37\n"},
        {INT32_MIN, "  +24 link_quality_metric: -2147483648\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kev_fields f = base_fields();
        f.lqm = cases[i].v;
        char want[512];
        snprintf(want, sizeof want,
                 "record 0 at offset 0: KEV_DL_LINK_QUALITY_METRIC_CHANGED total_size=52 "
                 "id=42 " APPLE_NET "subclass=KEV_DL_SUBCLASS(2) code=20 "
                 "layout=kev_dl_link_quality_metric_data\n" LINK_LINES "%s",
                 cases[i].line);
        expect_event_text(KEV_DL_SUBCLASS, KEV_DL_LINK_QUALITY_METRIC_CHANGED, &f, want);
    }
}

/* The threshold name is in the decoded field too, not only in the text. */
KEV_TEST(lqm_value_name)
{
    kev_fields f = base_fields();
    f.lqm = -1;
    uint8_t buf[64];
    size_t n = kev_build_event(buf, sizeof buf, KEV_DL_SUBCLASS,
                               KEV_DL_LINK_QUALITY_METRIC_CHANGED, 1, &f);
    kev_decoder d;
    kev_decoded r;
    kev_decode_init(&d, buf, n, 0);
    ASSERT_EQ_INT(kev_decode_next(&d, &r), 1);
    ASSERT_EQ_STR(r.fields[3].name, "link_quality_metric");
    ASSERT_EQ_INT(r.fields[3].i, -1);
    ASSERT_EQ_U64(r.fields[3].u, 0xffffffffu);
    ASSERT_EQ_STR(r.fields[3].value_name, "UNKNOWN");
    ASSERT_NULL(r.fields[1].value_name);
}

KEV_TEST(layout_dl_issues)
{
    kev_fields f = base_fields();
    memcpy(f.modid, "\x01\x02modid", 7);
    f.timestamp = 1700000000;
    f.info[0] = 0xde;
    f.info[11] = 0xad;
    expect_event_text(
        KEV_DL_SUBCLASS, KEV_DL_ISSUES, &f,
        "record 0 at offset 0: KEV_DL_ISSUES total_size=96 id=42 " APPLE_NET
        "subclass=KEV_DL_SUBCLASS(2) code=24 layout=kev_dl_issues\n" LINK_LINES
        "  +24 modid: 01026d6f64696400000000000000000000000000\n"
        "  +48 timestamp: 1700000000 (2023-11-14T22:13:20Z)\n"
        "  +56 info: de00000000000000000000ad\n");
}

/* The i386 layout (timestamp @44, info @52, size 64) behind the flag. */
KEV_TEST(layout_dl_issues_i386)
{
    kev_fields f = base_fields();
    f.modid[19] = 0x7f;
    f.timestamp = 951782400; /* 2000-02-29 */
    f.info[0] = 1;
    uint8_t payload[128], buf[160];
    size_t pn = kev_build_payload(KEV_L_DL_ISSUES, &f, true, payload, sizeof payload);
    ASSERT_EQ_U64(pn, 64);
    size_t n =
        kev_build_record(buf, sizeof buf, KEV_DL_SUBCLASS, KEV_DL_ISSUES, 5, payload, pn);
    decoded_text dt;
    decode_all(&dt, buf, n, KEV_DECODE_ILP32);
    ASSERT_EQ_STR(kev_strbuf_str(&dt.text),
                  "record 0 at offset 0: KEV_DL_ISSUES total_size=88 id=5 " APPLE_NET
                  "subclass=KEV_DL_SUBCLASS(2) code=24 layout=kev_dl_issues\n" LINK_LINES
                  "  +24 modid: 000000000000000000000000000000000000007f\n"
                  "  +44 timestamp: 951782400 (2000-02-29T00:00:00Z)\n"
                  "  +52 info: 010000000000000000000000\n");
    decoded_free(&dt);
    /* Read as LP64, the timestamp takes the i386 one's upper half and
     * info[0..4) (1 << 32), and info runs past the 64-byte payload. */
    decode_all(&dt, buf, n, 0);
    ASSERT_CONTAINS(kev_strbuf_str(&dt.text),
                    "  +48 timestamp: 4294967296 (2106-02-07T06:28:16Z)\n");
    ASSERT_CONTAINS(kev_strbuf_str(&dt.text),
                    "  +56 info: (missing: record ends at +64)\n");
    decoded_free(&dt);
}

KEV_TEST(layout_dl_rrc_state)
{
    kev_fields f = base_fields();
    f.rrc_state = 3;
    expect_event_text(
        KEV_DL_SUBCLASS, KEV_DL_RRC_STATE_CHANGED, &f,
        "record 0 at offset 0: KEV_DL_RRC_STATE_CHANGED total_size=52 id=42 " APPLE_NET
        "subclass=KEV_DL_SUBCLASS(2) code=28 layout=kev_dl_rrc_state\n" LINK_LINES
        "  +24 rrc_state: 3\n");
}

KEV_TEST(layout_nd6_event)
{
    kev_fields f = base_fields();
    const uint8_t a6[16] = {0xfe, 0x80, 0, 4, [8] = 0x12, 0x34, [15] = 0xff};
    memcpy(f.addr6, a6, 16);
    f.nd6_val = 1800;
    expect_event_text(
        KEV_ND6_SUBCLASS, KEV_ND6_RTR_EXPIRED, &f,
        "record 0 at offset 0: KEV_ND6_RTR_EXPIRED total_size=68 id=42 " APPLE_NET
        "subclass=KEV_ND6_SUBCLASS(7) code=9 layout=kev_nd6_event\n" LINK_LINES
        "  +24 in6_address: fe80:4::1234:0:0:ff\n"
        "  +40 val: 1800\n");
}

/* KEV_L_NONE rows and unknown events: the payload as hex. */
KEV_TEST(layout_none_and_unknown_names)
{
    kev_fields f = base_fields();
    expect_event_text(
        KEV_DL_SUBCLASS, KEV_DL_NODE_PRESENCE, &f,
        "record 0 at offset 0: KEV_DL_NODE_PRESENCE total_size=24 id=42 " APPLE_NET
        "subclass=KEV_DL_SUBCLASS(2) code=21 layout=none\n");
    uint8_t buf[128];
    const uint8_t pl[5] = {1, 2, 3, 0xfe, 0xff};
    size_t n = kev_build_record(buf, sizeof buf, KEV_DL_SUBCLASS, 99, 9, pl, 5);
    size_t m = kev_build_record(buf + n, sizeof buf - n, KEV_ND6_SUBCLASS, 1, 10, pl, 0);
    /* Other vendor and class: no table row even for a known (sub, code). */
    kev__put_u32le(buf + n + 4, 7);
    kev__put_u32le(buf + n + 8, 9);
    decoded_text dt;
    decode_all(&dt, buf, n + m, 0);
    ASSERT_EQ_STR(kev_strbuf_str(&dt.text),
                  "record 0 at offset 0: ?99 total_size=29 id=9 " APPLE_NET
                  "subclass=KEV_DL_SUBCLASS(2) code=99 layout=none\n"
                  "  +0 payload: 010203feff\n"
                  "record 1 at offset 29: ?1 total_size=24 id=10 vendor=?7 class=?9 "
                  "subclass=?7 code=1 layout=none\n");
    ASSERT_CONTAINS(kev_strbuf_str(&dt.json),
                    "\"vendor_code\":7,\"vendor\":\"?7\",\"kev_class\":9,\"class\":\"?9\","
                    "\"kev_subclass\":7,\"subclass\":\"?7\",\"id\":10,\"event_code\":1,"
                    "\"event\":\"?1\",\"layout\":\"none\",\"fields\":[]}");
    decoded_free(&dt);
}

KEV_TEST(trailing_bytes)
{
    kev_fields f = base_fields();
    uint8_t payload[64], buf[128];
    size_t pn = kev_build_payload(KEV_L_NET_EVENT_DATA, &f, false, payload, sizeof payload);
    memcpy(payload + pn, "\xaa\xbb\xcc", 3);
    size_t n = kev_build_record(buf, sizeof buf, KEV_DL_SUBCLASS, KEV_DL_LINK_OFF, 1,
                                payload, pn + 3);
    decoded_text dt;
    decode_all(&dt, buf, n, 0);
    ASSERT_EQ_STR(kev_strbuf_str(&dt.text),
                  "record 0 at offset 0: KEV_DL_LINK_OFF total_size=51 id=1 " APPLE_NET
                  "subclass=KEV_DL_SUBCLASS(2) code=12 layout=net_event_data\n" LINK_LINES
                  "  +24 trailing: aabbcc\n");
    decoded_free(&dt);
    /* The text form shows at most KEV_DECODE_TEXT_HEX_MAX bytes; JSON all. */
    uint8_t big[24 + 24 + 100], pl[24 + 100];
    memcpy(pl, payload, 24);
    memset(pl + 24, 0x5a, 100);
    n = kev_build_record(big, sizeof big, KEV_DL_SUBCLASS, KEV_DL_LINK_OFF, 1, pl,
                         sizeof pl);
    decode_all(&dt, big, n, 0);
    ASSERT_CONTAINS(kev_strbuf_str(&dt.text), "5a5a... (100 bytes)\n");
    char all[201];
    memset(all, 0, sizeof all);
    for (int i = 0; i < 100; i++)
        memcpy(all + 2 * i, "5a", 2);
    ASSERT_CONTAINS(kev_strbuf_str(&dt.json), all);
    decoded_free(&dt);
}

/* Every row of the event table decodes under its own name and layout,
 * with no field missing and no trailing bytes. */
KEV_TEST(every_table_row)
{
    size_t rows;
    const kev_event_def *t = kev_event_table(&rows);
    for (size_t i = 0; i < rows; i++) {
        kev_fields f = base_fields();
        f.hw_len = 6;
        uint8_t buf[512];
        size_t n = kev_build_event(buf, sizeof buf, t[i].subclass, t[i].code, 1, &f);
        kev_decoder d;
        kev_decoded r;
        kev_decode_init(&d, buf, n, 0);
        ASSERT_EQ_INT(kev_decode_next(&d, &r), 1);
        ASSERT_EQ_STR(r.code_name, t[i].name);
        ASSERT_TRUE(r.def == &t[i]);
        ASSERT_EQ_INT(r.layout, t[i].layout);
        for (size_t k = 0; k < r.n_fields; k++) {
            if (r.fields[k].missing || strcmp(r.fields[k].name, "trailing") == 0)
                KEV__FAIL("%s: field %s", t[i].name, r.fields[k].name);
        }
        ASSERT_EQ_INT(kev_decode_next(&d, &r), 0);
        decoded_text dt;
        decode_all(&dt, buf, n, 0);
        ASSERT_EQ_INT(dt.items, 1);
        decoded_free(&dt);
    }
}

/* ------------------------------------------------------------------------
 * Records cut short and framing damage
 */

KEV_TEST(truncated_record)
{
    kev_fields f = base_fields();
    f.lqm = 50;
    uint8_t buf[128];
    size_t n = kev_build_event(buf, sizeof buf, KEV_DL_SUBCLASS,
                               KEV_DL_LINK_QUALITY_METRIC_CHANGED, 1, &f);
    /* D6's case: a bare net_event_data where the metric should follow. */
    kev__put_u32le(buf, 48);
    decoded_text dt;
    decode_all(&dt, buf, n, 0);
    ASSERT_EQ_STR(kev_strbuf_str(&dt.text),
                  "record 0 at offset 0: KEV_DL_LINK_QUALITY_METRIC_CHANGED total_size=48 "
                  "id=1 " APPLE_NET "subclass=KEV_DL_SUBCLASS(2) code=20 "
                  "layout=kev_dl_link_quality_metric_data\n" LINK_LINES
                  "  +24 link_quality_metric: (missing: record ends at +24)\n"
                  "damage: record 1 at offset 48: header cut short: 4 bytes left, a header "
                  "needs 24 (KEV_ETRUNC)\n");
    ASSERT_CONTAINS(kev_strbuf_str(&dt.json),
                    "{\"name\":\"link_quality_metric\",\"offset\":24,\"size\":4,"
                    "\"kind\":\"i32\",\"missing\":true}]}\n");
    decoded_free(&dt);
    /* A name cut in the middle is missing as a whole: never half read. */
    kev__put_u32le(buf, 24 + 20);
    decode_all(&dt, buf, 44, 0);
    ASSERT_EQ_STR(kev_strbuf_str(&dt.text),
                  "record 0 at offset 0: KEV_DL_LINK_QUALITY_METRIC_CHANGED total_size=44 "
                  "id=1 " APPLE_NET "subclass=KEV_DL_SUBCLASS(2) code=20 "
                  "layout=kev_dl_link_quality_metric_data\n"
                  "  +0 if_family: 6\n"
                  "  +4 if_unit: 1\n"
                  "  +8 if_name: (missing: record ends at +20)\n"
                  "  +24 link_quality_metric: (missing: record ends at +20)\n");
    decoded_free(&dt);
}

KEV_TEST(truncated_in6_and_collision)
{
    kev_fields f = base_fields();
    uint8_t buf[256];
    size_t n =
        kev_build_event(buf, sizeof buf, KEV_INET6_SUBCLASS, KEV_INET6_NEW_LL_ADDR, 1, &f);
    ASSERT_EQ_U64(n, 192);
    kev__put_u32le(buf, 24 + 140); /* ends right before ia6_flags */
    decoded_text dt;
    decode_all(&dt, buf, 24 + 140, 0);
    const char *t = kev_strbuf_str(&dt.text);
    ASSERT_CONTAINS(t, "  +136 ia_plen: 0\n"
                       "  +140 ia6_flags: (missing: record ends at +140)\n"
                       "  +144 ia_lifetime.ia6t_expire: (missing: record ends at +140)\n");
    ASSERT_CONTAINS(t, "  +160 ia_mac: (missing: record ends at +140)\n");
    decoded_free(&dt);

    /* Collision: hw_len says 6, the record holds 2 of them; then no hw_len. */
    f.hw_len = 6;
    n = kev_build_event(buf, sizeof buf, KEV_INET_SUBCLASS, KEV_INET_ARPCOLLISION, 1, &f);
    kev__put_u32le(buf, 24 + 31);
    decode_all(&dt, buf, 24 + 31, 0);
    ASSERT_CONTAINS(kev_strbuf_str(&dt.text),
                    "  +28 hw_len: 6\n"
                    "  +29 hw_addr: (missing: record ends at +31)\n");
    decoded_free(&dt);
    kev__put_u32le(buf, 24 + 28);
    decode_all(&dt, buf, 24 + 28, 0);
    ASSERT_CONTAINS(kev_strbuf_str(&dt.text),
                    "  +24 ia_ipaddr: 0.0.0.0\n"
                    "  +28 hw_len: (missing: record ends at +28)\n"
                    "  +29 hw_addr: (missing: record ends at +28)\n");
    decoded_free(&dt);
}

/* The three framing errors of kev_wire_next, after one good record. */
KEV_TEST(damaged_framing)
{
    kev_fields f = base_fields();
    uint8_t buf[256];
    size_t a = kev_build_event(buf, sizeof buf, KEV_DL_SUBCLASS, KEV_DL_LINK_ON, 1, &f);
    size_t b =
        kev_build_event(buf + a, sizeof buf - a, KEV_DL_SUBCLASS, KEV_DL_LINK_OFF, 2, &f);
    static const struct {
        uint32_t size2; /* second record's total_size */
        size_t cut;     /* bytes of the second record in the batch */
        int rc;
        const char *line;
        const char *json;
    } cases[] = {
        {48, 10, KEV_ETRUNC,
         "damage: record 1 at offset 48: header cut short: 10 bytes left, a header "
         "needs 24 (KEV_ETRUNC)\n",
         "{\"type\":\"damage\",\"index\":1,\"offset\":48,\"error\":\"KEV_ETRUNC\","
         "\"message\":\"record 1 at offset 48: header cut short: 10 bytes left, a header "
         "needs 24\"}\n"},
        {20, 48, KEV_EFORMAT,
         "damage: record 1 at offset 48: total_size 20 is below the 24-byte header "
         "(KEV_EFORMAT)\n",
         "{\"type\":\"damage\",\"index\":1,\"offset\":48,\"error\":\"KEV_EFORMAT\","
         "\"message\":\"record 1 at offset 48: total_size 20 is below the 24-byte "
         "header\"}\n"},
        {0, 48, KEV_EFORMAT,
         "damage: record 1 at offset 48: total_size 0 is below the 24-byte header "
         "(KEV_EFORMAT)\n",
         NULL},
        {49, 48, KEV_ETOOBIG,
         "damage: record 1 at offset 48: total_size 49 runs past the end of the batch "
         "(48 bytes left) (KEV_ETOOBIG)\n",
         "{\"type\":\"damage\",\"index\":1,\"offset\":48,\"error\":\"KEV_ETOOBIG\","
         "\"message\":\"record 1 at offset 48: total_size 49 runs past the end of the "
         "batch (48 bytes left)\"}\n"},
        {0xffffffffu, 48, KEV_ETOOBIG,
         "damage: record 1 at offset 48: total_size 4294967295 runs past the end of the "
         "batch (48 bytes left) (KEV_ETOOBIG)\n",
         NULL},
    };
    ASSERT_EQ_U64(b, 48);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kev__put_u32le(buf + a, cases[i].size2);
        decoded_text dt;
        decode_all(&dt, buf, a + cases[i].cut, 0);
        ASSERT_EQ_INT(dt.last_rc, cases[i].rc);
        ASSERT_EQ_INT(dt.items, 2);
        const char *t = kev_strbuf_str(&dt.text);
        ASSERT_TRUE(strncmp(t, "record 0 at offset 0: KEV_DL_LINK_ON ", 37) == 0);
        ASSERT_EQ_STR(strstr(t, "damage:"), cases[i].line);
        if (cases[i].json)
            ASSERT_EQ_STR(strstr(kev_strbuf_str(&dt.json), "{\"type\":\"damage\""),
                          cases[i].json);
        decoded_free(&dt);
    }
}

KEV_TEST(damage_item_fields_and_empty_batch)
{
    uint8_t buf[24] = {0};
    kev__put_u32le(buf, 7);
    kev_decoder d;
    kev_decoded r;
    kev_decode_init(&d, buf, sizeof buf, 0);
    ASSERT_EQ_INT(kev_decode_next(&d, &r), KEV_EFORMAT);
    ASSERT_EQ_INT(r.kind, KEV_DECODED_DAMAGE);
    ASSERT_EQ_INT(r.err, KEV_EFORMAT);
    ASSERT_EQ_U64(r.offset, 0);
    ASSERT_EQ_U64(r.index, 0);
    ASSERT_EQ_U64(r.hdr.total_size, 7);
    ASSERT_EQ_INT(kev_decode_next(&d, &r), 0);
    ASSERT_EQ_INT(kev_decode_next(&d, &r), 0);
    kev_decode_init(&d, NULL, 0, 0);
    ASSERT_EQ_INT(kev_decode_next(&d, &r), 0);
    kev_decode_init(&d, buf, 0, 0);
    ASSERT_EQ_INT(kev_decode_next(&d, &r), 0);
    /* Several records: indexes and offsets advance. */
    uint8_t two[96];
    kev_fields f = base_fields();
    size_t a = kev_build_event(two, sizeof two, KEV_DL_SUBCLASS, KEV_DL_IF_ATTACHED, 1, &f);
    a += kev_build_event(two + a, sizeof two - a, KEV_DL_SUBCLASS, KEV_DL_IF_DETACHED, 2,
                         &f);
    kev_decode_init(&d, two, a, 0);
    ASSERT_EQ_INT(kev_decode_next(&d, &r), 1);
    ASSERT_EQ_INT(kev_decode_next(&d, &r), 1);
    ASSERT_EQ_U64(r.index, 1);
    ASSERT_EQ_U64(r.offset, 48);
    ASSERT_EQ_STR(r.code_name, "KEV_DL_IF_DETACHED");
    ASSERT_EQ_INT(kev_decode_next(&d, &r), 0);
}

/* kev_decode_record, for callers with their own walk, checks the framing
 * it is given instead of trusting it. */
KEV_TEST(decode_record_checks_framing)
{
    kev_fields f = base_fields();
    uint8_t buf[64];
    size_t n = kev_build_event(buf, sizeof buf, KEV_DL_SUBCLASS, KEV_DL_LINK_ON, 7, &f);
    kev_msg_header h;
    ASSERT_EQ_INT(kev_wire_header_read(buf, n, 0, &h), 0);
    kev_decoded r;
    ASSERT_EQ_INT(kev_decode_record(buf, n, 0, &h, 0, &r), 0);
    ASSERT_EQ_STR(r.code_name, "KEV_DL_LINK_ON");
    ASSERT_EQ_U64(r.n_fields, 3);
    ASSERT_EQ_U64(r.index, 0);
    r.n_fields = 99;
    ASSERT_EQ_INT(kev_decode_record(buf, n - 1, 0, &h, 0, &r), KEV_EINVAL);
    ASSERT_EQ_INT(kev_decode_record(buf, n, 1, &h, 0, &r), KEV_EINVAL);
    ASSERT_EQ_INT(kev_decode_record(buf, n, n + 1, &h, 0, &r), KEV_EINVAL);
    ASSERT_EQ_INT(kev_decode_record(NULL, n, 0, &h, 0, &r), KEV_EINVAL);
    h.total_size = 23;
    ASSERT_EQ_INT(kev_decode_record(buf, n, 0, &h, 0, &r), KEV_EINVAL);
    ASSERT_EQ_U64(r.n_fields, 99); /* untouched */
}

/* ------------------------------------------------------------------------
 * Text forms
 */

KEV_TEST(names_with_nonprintable_bytes)
{
    kev_fields f = base_fields();
    memcpy(f.name, "e\x01\"\\\xffn", 7);
    uint8_t buf[64];
    size_t n = kev_build_event(buf, sizeof buf, KEV_DL_SUBCLASS, KEV_DL_IF_ATTACHED, 1, &f);
    decoded_text dt;
    decode_all(&dt, buf, n, 0);
    ASSERT_CONTAINS(kev_strbuf_str(&dt.text), "  +8 if_name: \"e\\x01\\\"\\\\\\xffn\"\n");
    ASSERT_CONTAINS(kev_strbuf_str(&dt.json),
                    "\"kind\":\"name\",\"value\":\"e\\\\x01\\\\\\\"\\\\\\\\\\\\xffn\"}");
    decoded_free(&dt);
    /* Sixteen bytes and no NUL: all shown, and said so. */
    memcpy(f.name, "abcdefghijklm\tno", 16);
    n = kev_build_event(buf, sizeof buf, KEV_DL_SUBCLASS, KEV_DL_IF_ATTACHED, 1, &f);
    decode_all(&dt, buf, n, 0);
    ASSERT_CONTAINS(kev_strbuf_str(&dt.text),
                    "  +8 if_name: \"abcdefghijklm\\x09no\" (not NUL-terminated)\n");
    ASSERT_CONTAINS(
        kev_strbuf_str(&dt.json),
        "\"value\":\"abcdefghijklm\\\\x09no\",\"text\":\"not NUL-terminated\"}");
    decoded_free(&dt);
    /* Bytes after the first NUL are not part of the name. */
    memcpy(f.name, "en\0junk", 7);
    n = kev_build_event(buf, sizeof buf, KEV_DL_SUBCLASS, KEV_DL_IF_ATTACHED, 1, &f);
    decode_all(&dt, buf, n, 0);
    ASSERT_CONTAINS(kev_strbuf_str(&dt.text), "  +8 if_name: \"en\"\n");
    decoded_free(&dt);
}

/* inet_ntop's BSD form, through the ND6 event's address. */
KEV_TEST(ipv6_text_forms)
{
    static const struct {
        uint8_t a[16];
        const char *text;
    } cases[] = {
        {{0}, "::"},
        {{[15] = 1}, "::1"},
        {{[10] = 0xff, 0xff, 1, 2, 3, 4}, "::ffff:1.2.3.4"},
        {{[12] = 1, 2, 3, 4}, "::1.2.3.4"},
        {{0, 1}, "1::"},
        {{0x20, 0x01, 0x0d, 0xb8, [9] = 1, [15] = 1}, "2001:db8::1:0:0:1"},
        {{0, 1, [6] = 0, 2, [15] = 3}, "1:0:0:2::3"},
        {{0, 1, 0, 0, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7}, "1:0:2:3:4:5:6:7"},
        {{0xff, 0x02, [15] = 0xfb}, "ff02::fb"},
        {{0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23,
          0x45, 0x67, 0x89},
         "abcd:ef01:2345:6789:abcd:ef01:2345:6789"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kev_fields f = base_fields();
        memcpy(f.addr6, cases[i].a, 16);
        uint8_t buf[96];
        size_t n = kev_build_event(buf, sizeof buf, KEV_ND6_SUBCLASS, KEV_ND6_RA, 1, &f);
        kev_decoder d;
        kev_decoded r;
        kev_decode_init(&d, buf, n, 0);
        ASSERT_EQ_INT(kev_decode_next(&d, &r), 1);
        ASSERT_EQ_STR(r.fields[3].name, "in6_address");
        kev_strbuf sb = KEV_STRBUF_INIT;
        kev_decode_field_value(&r.fields[3], r.payload_len, &sb);
        ASSERT_EQ_STR(kev_strbuf_str(&sb), cases[i].text);
        kev_strbuf_free(&sb);
    }
}

KEV_TEST(time_text_forms)
{
    static const struct {
        uint64_t t;
        const char *text;
    } cases[] = {
        {0, "0 (1970-01-01T00:00:00Z)"},
        {951782400, "951782400 (2000-02-29T00:00:00Z)"},
        {4107542399u, "4107542399 (2100-02-28T23:59:59Z)"},
        {4107542400u, "4107542400 (2100-03-01T00:00:00Z)"},
        {253402300799u, "253402300799 (9999-12-31T23:59:59Z)"},
        {UINT64_MAX, "18446744073709551615 (584554051223-11-09T07:00:15Z)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kev_fields f = base_fields();
        f.timestamp = cases[i].t;
        uint8_t buf[128];
        size_t n = kev_build_event(buf, sizeof buf, KEV_DL_SUBCLASS, KEV_DL_ISSUES, 1, &f);
        kev_decoder d;
        kev_decoded r;
        kev_decode_init(&d, buf, n, 0);
        ASSERT_EQ_INT(kev_decode_next(&d, &r), 1);
        ASSERT_EQ_STR(r.fields[4].name, "timestamp");
        ASSERT_EQ_U64(r.fields[4].u, cases[i].t);
        kev_strbuf sb = KEV_STRBUF_INIT;
        kev_decode_field_value(&r.fields[4], r.payload_len, &sb);
        ASSERT_EQ_STR(kev_strbuf_str(&sb), cases[i].text);
        kev_strbuf_free(&sb);
    }
}

KEV_TEST(kind_names)
{
    ASSERT_EQ_STR(kev_decode_kind_name(KEV_DF_U8), "u8");
    ASSERT_EQ_STR(kev_decode_kind_name(KEV_DF_IPV4_HOST), "ipv4_host");
    ASSERT_EQ_STR(kev_decode_kind_name(KEV_DF_HEX), "hex");
    ASSERT_EQ_STR(kev_decode_kind_name(KEV_DF__COUNT), "?");
}

/* Byte for byte what `xxd` prints (and `xxd -o 4096` for the offset). */
KEV_TEST(hexdump)
{
    const uint8_t b[] = "0123456789abcdefXYZ\x01\xff";
    kev_strbuf sb = KEV_STRBUF_INIT;
    kev_decode_hexdump(b, sizeof b - 1, 0, &sb);
    ASSERT_EQ_STR(kev_strbuf_str(&sb),
                  "00000000: 3031 3233 3435 3637 3839 6162 6364 6566  0123456789abcdef\n"
                  "00000010: 5859 5a01 ff                             XYZ..\n");
    kev_strbuf_clear(&sb);
    kev_decode_hexdump(b + 10, 3, 4096, &sb);
    ASSERT_EQ_STR(kev_strbuf_str(&sb),
                  "00001000: 6162 63                                  abc\n");
    kev_strbuf_clear(&sb);
    kev_decode_hexdump(b, 0, 0, &sb);
    ASSERT_EQ_STR(kev_strbuf_str(&sb), "");
    kev_strbuf_free(&sb);
}

/* The checker itself: it must reject what RFC 8259 rejects. */
KEV_TEST(json_checker)
{
    ASSERT_TRUE(
        json_lines_valid("{\"a\":[1,-2.5e3,true,false,null,\"x\\u00e9\\n\"],\"b\":{}}\n"));
    ASSERT_TRUE(json_lines_valid("[]\n{}\n"));
    static const char *const bad[] = {
        "{\"a\":1,}", "{\"a\" 1}", "[1 2]", "\"\\x01\"",   "\"a\tb\"", "01",          "1.",
        "{\"a\":1}x", "{'a':1}",   "[",     "\"\\u12g4\"", "-",        "{\"a\":tru}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (json_lines_valid(bad[i]))
            KEV__FAIL("accepted invalid JSON: %s", bad[i]);
}

KEV_TEST_MAIN(KEV_T(layout_net_event_data), KEV_T(ifdelegate_changed), KEV_T(layout_in_data),
              KEV_T(layout_in_data_json_host_order), KEV_T(layout_in_collision),
              KEV_T(layout_in_arpfailure), KEV_T(layout_in_portinuse),
              KEV_T(layout_in6_data), KEV_T(in6_flags_names), KEV_T(layout_dl_proto_data),
              KEV_T(layout_dl_lqm), KEV_T(lqm_value_name), KEV_T(layout_dl_issues),
              KEV_T(layout_dl_issues_i386), KEV_T(layout_dl_rrc_state),
              KEV_T(layout_nd6_event), KEV_T(layout_none_and_unknown_names),
              KEV_T(trailing_bytes), KEV_T(every_table_row), KEV_T(truncated_record),
              KEV_T(truncated_in6_and_collision), KEV_T(damaged_framing),
              KEV_T(damage_item_fields_and_empty_batch),
              KEV_T(decode_record_checks_framing), KEV_T(names_with_nonprintable_bytes),
              KEV_T(ipv6_text_forms), KEV_T(time_text_forms), KEV_T(kind_names),
              KEV_T(hexdump), KEV_T(json_checker))
