/*
 * test_wire.c: the wire layer (header reads, strict framing), the event
 * table (sorted, complete against eventmon-facts.md s2.3, the checks and
 * reads of s4.1) and the record builders (payload bytes at their offsets).
 */
#include <string.h>

#include "kev_test.h"
#include "kevrr/kevrr.h"

static const uint8_t hdr_bytes[24] = {
    0x30, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0x78, 0x56, 0x34, 0x12, 9, 0, 0, 0};

KEV_TEST(header_read_le)
{
    kev_msg_header h;
    ASSERT_EQ_INT(kev_wire_header_read(hdr_bytes, sizeof hdr_bytes, 0, &h), 0);
    ASSERT_EQ_U64(h.total_size, 48);
    ASSERT_EQ_U64(h.vendor_code, KEV_VENDOR_APPLE);
    ASSERT_EQ_U64(h.kev_class, KEV_NETWORK_CLASS);
    ASSERT_EQ_U64(h.kev_subclass, KEV_DL_SUBCLASS);
    ASSERT_EQ_U64(h.id, 0x12345678u);
    ASSERT_EQ_U64(h.event_code, KEV_DL_IF_ATTACHED);
    uint8_t out[24];
    kev_wire_header_write(out, &h);
    ASSERT_EQ_MEM(out, hdr_bytes, 24);
}

KEV_TEST(header_read_truncated)
{
    kev_msg_header h;
    for (size_t len = 0; len < 24; len++)
        ASSERT_EQ_INT(kev_wire_header_read(hdr_bytes, len, 0, &h), KEV_ETRUNC);
    ASSERT_EQ_INT(kev_wire_header_read(hdr_bytes, 24, 1, &h), KEV_ETRUNC);
    ASSERT_EQ_INT(kev_wire_header_read(hdr_bytes, 24, 25, &h), KEV_ETRUNC);
    ASSERT_EQ_INT(kev_wire_header_read(hdr_bytes, 24, (size_t)-1, &h), KEV_ETRUNC);
}

KEV_TEST(framing)
{
    uint8_t buf[128];
    kev_fields f;
    memset(&f, 0, sizeof f);
    kev_fields_name(&f, "en", 0);
    size_t a = kev_build_event(buf, sizeof buf, KEV_DL_SUBCLASS, KEV_DL_LINK_ON, 1, &f);
    size_t b = kev_build_event(buf + a, sizeof buf - a, KEV_DL_SUBCLASS, KEV_DL_LINK_OFF, 2, &f);
    ASSERT_EQ_U64(a, 48);
    ASSERT_EQ_U64(b, 48);
    size_t pos = 0, off;
    kev_msg_header h;
    ASSERT_EQ_INT(kev_wire_next(buf, a + b, &pos, &off, &h), 1);
    ASSERT_EQ_U64(off, 0);
    ASSERT_EQ_U64(h.event_code, KEV_DL_LINK_ON);
    ASSERT_EQ_INT(kev_wire_next(buf, a + b, &pos, &off, &h), 1);
    ASSERT_EQ_U64(off, 48);
    ASSERT_EQ_INT(kev_wire_next(buf, a + b, &pos, &off, &h), 0);
    /* A cut header, a size below the header, a size past the batch. */
    pos = 0;
    ASSERT_EQ_INT(kev_wire_next(buf, 20, &pos, &off, &h), KEV_ETRUNC);
    buf[0] = 4;
    pos = 0;
    ASSERT_EQ_INT(kev_wire_next(buf, 96, &pos, &off, &h), KEV_EFORMAT);
    buf[0] = 97;
    pos = 0;
    ASSERT_EQ_INT(kev_wire_next(buf, 96, &pos, &off, &h), KEV_ETOOBIG);
    ASSERT_EQ_U64(pos, 0);
}

KEV_TEST(table_sorted_and_unique)
{
    size_t n;
    const kev_event_def *t = kev_event_table(&n);
    ASSERT_EQ_U64(n, 68); /* s2.3: INET 10, DL 29, NETPOLICY+SOCKET 4, INET6 7, ND6 10, others 8 */
    for (size_t i = 1; i < n; i++) {
        bool ordered = t[i - 1].subclass < t[i].subclass ||
                       (t[i - 1].subclass == t[i].subclass && t[i - 1].code < t[i].code);
        if (!ordered)
            KEV__FAIL("row %zu (%s) out of order", i, t[i].name);
    }
    for (size_t i = 0; i < n; i++) {
        ASSERT_TRUE(kev_event_lookup(t[i].subclass, t[i].code) == &t[i]);
        ASSERT_TRUE(strncmp(t[i].name, "KEV_", 4) == 0);
    }
    ASSERT_NULL(kev_event_lookup(KEV_DL_SUBCLASS, 30));
    ASSERT_NULL(kev_event_lookup(99, 1));
    /* The fast index agrees with a linear search everywhere. */
    for (uint32_t sub = 0; sub < 40; sub++) {
        for (uint32_t code = 0; code < 64; code++) {
            const kev_event_def *want = NULL;
            for (size_t i = 0; i < n; i++)
                if (t[i].subclass == sub && t[i].code == code)
                    want = &t[i];
            if (kev_event_lookup(sub, code) != want)
                KEV__FAIL("lookup(%u, %u) disagrees with the table", sub, code);
        }
    }
    ASSERT_NULL(kev_event_lookup(UINT32_MAX, UINT32_MAX));
    ASSERT_NULL(kev_event_lookup(KEV_INET_SUBCLASS, UINT32_MAX));
}

/* s2.3: what each version does with each code. */
KEV_TEST(table_matches_facts)
{
    struct {
        uint32_t sub, code;
        kev_handler_id v888, v963;
        uint16_t check, reads;
    } want[] = {
        {KEV_INET_SUBCLASS, 1, KEV_H_IPV4_UPDATE, KEV_H_IPV4_UPDATE, 52, 24},
        {KEV_INET_SUBCLASS, 6, KEV_H_IPV4_UPDATE, KEV_H_IPV4_UPDATE, 52, 24},
        {KEV_INET_SUBCLASS, 7, KEV_H_ARP_COLLISION, KEV_H_ARP_COLLISION, 32, 29},
        {KEV_INET_SUBCLASS, 8, KEV_H_PORT_IN_USE, KEV_H_PORT_IN_USE, 16, 8},
        {KEV_INET_SUBCLASS, 9, KEV_H_ARP_RTR_FAILURE, KEV_H_ARP_RTR_FAILURE, 24, 24},
        {KEV_INET_SUBCLASS, 10, KEV_H_ARP_RTR_ALIVE, KEV_H_ARP_RTR_ALIVE, 24, 24},
        {KEV_DL_SUBCLASS, 9, KEV_H_LINK_ADD, KEV_H_LINK_ADD, 24, 24},
        {KEV_DL_SUBCLASS, 10, KEV_H_LINK_DETACHING, KEV_H_LINK_DETACHING, 24, 24},
        {KEV_DL_SUBCLASS, 11, KEV_H_LINK_REMOVE, KEV_H_LINK_REMOVE, 24, 24},
        {KEV_DL_SUBCLASS, 12, KEV_H_LINK_STATUS, KEV_H_LINK_STATUS, 24, 24},
        {KEV_DL_SUBCLASS, 13, KEV_H_LINK_STATUS, KEV_H_LINK_STATUS, 24, 24},
        {KEV_DL_SUBCLASS, 14, KEV_H_PROTO_MARK, KEV_H_PROTO_LOG, 32, 32},
        {KEV_DL_SUBCLASS, 15, KEV_H_PROTO_MARK, KEV_H_PROTO_LOG, 32, 32},
        {KEV_DL_SUBCLASS, 18, KEV_H_IDLE_ROUTE, KEV_H_IDLE_ROUTE, 24, 24},
        {KEV_DL_SUBCLASS, 20, KEV_H_LINK_QUALITY, KEV_H_LINK_QUALITY, 24, 28},
        {KEV_DL_SUBCLASS, 24, KEV_H_LINK_ISSUES, KEV_H_LINK_ISSUES, 24, 68},
        {KEV_INET6_SUBCLASS, 1, KEV_H_IPV6_UPDATE, KEV_H_IPV6_UPDATE, 168, 166},
        {KEV_INET6_SUBCLASS, 5, KEV_H_IPV6_UPDATE, KEV_H_IPV6_UPDATE, 168, 24},
        {KEV_ND6_SUBCLASS, 6, KEV_H_NONE, KEV_H_ND6_UPDATE, 44, 24},
        {KEV_ND6_SUBCLASS, 9, KEV_H_NONE, KEV_H_RTR_EXPIRED, 44, 24},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const kev_event_def *d = kev_event_lookup(want[i].sub, want[i].code);
        ASSERT_NOT_NULL(d);
        ASSERT_EQ_INT(d->handler[KEV_VER_888], want[i].v888);
        ASSERT_EQ_INT(d->handler[KEV_VER_963], want[i].v963);
        ASSERT_EQ_INT(d->check[KEV_VER_963], want[i].check);
        ASSERT_EQ_INT(d->reads[KEV_VER_963], want[i].reads);
        ASSERT_EQ_INT(d->handler[KEV_VER_1405], want[i].v963);
    }
    /* Version-specific rows. */
    const kev_event_def *d = kev_event_lookup(KEV_INET6_SUBCLASS, KEV_INET6_DEFROUTER);
    ASSERT_EQ_INT(d->handler[KEV_VER_888], KEV_H_IPV6_UPDATE);
    ASSERT_EQ_INT(d->handler[KEV_VER_963], KEV_H_NONE);
    ASSERT_EQ_INT(d->handler[KEV_VER_1405], KEV_H_NONE);
    d = kev_event_lookup(KEV_INET6_SUBCLASS, KEV_INET6_REQUEST_NAT64_PREFIX);
    ASSERT_EQ_INT(d->handler[KEV_VER_888], KEV_H_NONE);
    ASSERT_EQ_INT(d->handler[KEV_VER_963], KEV_H_NAT64_REQUEST);
    ASSERT_EQ_INT(d->handler[KEV_VER_1405], KEV_H_NAT64_REQUEST);
    /* configd-1405 handles IFDELEGATE_CHANGED (docs/configd-1405.md s2). */
    d = kev_event_lookup(KEV_DL_SUBCLASS, KEV_DL_IFDELEGATE_CHANGED);
    ASSERT_EQ_INT(d->handler[KEV_VER_963], KEV_H_NONE);
    ASSERT_EQ_INT(d->handler[KEV_VER_1405], KEV_H_IFDELEGATE);
    ASSERT_EQ_INT(d->check[KEV_VER_1405], 24);
    ASSERT_EQ_INT(d->reads[KEV_VER_1405], 24);
    /* Every ignored DL code of s2.3 has a row. */
    static const uint32_t ignored_dl[] = {1, 2, 3, 4, 5, 6, 7, 8, 16, 17, 19, 21, 22, 23,
                                          25, 26, 27, 28, 29};
    for (size_t i = 0; i < sizeof ignored_dl / sizeof ignored_dl[0]; i++) {
        d = kev_event_lookup(KEV_DL_SUBCLASS, ignored_dl[i]);
        ASSERT_NOT_NULL(d);
        ASSERT_EQ_INT(d->handler[KEV_VER_888], KEV_H_NONE);
        ASSERT_EQ_INT(d->handler[KEV_VER_963], KEV_H_NONE);
        if (ignored_dl[i] != KEV_DL_IFDELEGATE_CHANGED)
            ASSERT_EQ_INT(d->handler[KEV_VER_1405], KEV_H_NONE);
    }
    /* Apart from IFDELEGATE_CHANGED, 1405's switch is 963's: the same
     * handler, size check and bytes read on every row. */
    size_t n;
    const kev_event_def *t = kev_event_table(&n);
    for (size_t i = 0; i < n; i++) {
        if (t[i].subclass == KEV_DL_SUBCLASS && t[i].code == KEV_DL_IFDELEGATE_CHANGED)
            continue;
        ASSERT_EQ_INT(t[i].handler[KEV_VER_1405], t[i].handler[KEV_VER_963]);
        ASSERT_EQ_INT(t[i].check[KEV_VER_1405], t[i].check[KEV_VER_963]);
        ASSERT_EQ_INT(t[i].reads[KEV_VER_1405], t[i].reads[KEV_VER_963]);
    }
    for (uint32_t c = 1; c <= 10; c++)
        ASSERT_NOT_NULL(kev_event_lookup(KEV_ND6_SUBCLASS, c));
}

/* The facts' example: 10.0.0.2/24 on en0. */
KEV_TEST(build_in_data)
{
    kev_fields f;
    uint8_t p[64];
    memset(&f, 0, sizeof f);
    kev_fields_name(&f, "en", 0);
    memcpy(f.addr4, (const uint8_t[]){10, 0, 0, 2}, 4);
    f.prefix4 = 24;
    ASSERT_EQ_U64(kev_build_payload(KEV_L_IN_DATA, &f, false, p, sizeof p), 52);
    ASSERT_EQ_MEM(p + KEV_OFF_IN_ADDR, ((const uint8_t[]){0x0a, 0, 0, 2}), 4);
    ASSERT_EQ_MEM(p + KEV_OFF_IN_SUBNETMASK, ((const uint8_t[]){0, 0xff, 0xff, 0xff}), 4);
    ASSERT_EQ_MEM(p + KEV_OFF_IN_NETMASK, ((const uint8_t[]){0, 0, 0, 0xff}), 4);
    ASSERT_EQ_MEM(p + KEV_OFF_IN_NET, ((const uint8_t[]){0, 0, 0, 0x0a}), 4);
    ASSERT_EQ_MEM(p + KEV_OFF_IN_SUBNET, ((const uint8_t[]){0, 0, 0, 0x0a}), 4);
    ASSERT_EQ_MEM(p + KEV_OFF_IN_NETBROADCAST, ((const uint8_t[]){0x0a, 0xff, 0xff, 0xff}), 4);
    ASSERT_EQ_MEM(p + KEV_OFF_IF_NAME, "en\0", 3);
}

KEV_TEST(build_issues_layouts)
{
    kev_fields f;
    uint8_t p[80];
    memset(&f, 0, sizeof f);
    f.timestamp = 0x0102030405060708ull;
    f.info[0] = 0xaa;
    ASSERT_EQ_U64(kev_build_payload(KEV_L_DL_ISSUES, &f, false, p, sizeof p), 72);
    ASSERT_EQ_INT(p[KEV_OFF_ISSUES_TIMESTAMP], 0x08);
    ASSERT_EQ_INT(p[KEV_OFF_ISSUES_TIMESTAMP + 7], 0x01);
    ASSERT_EQ_INT(p[KEV_OFF_ISSUES_INFO], 0xaa);
    ASSERT_EQ_U64(kev_build_payload(KEV_L_DL_ISSUES, &f, true, p, sizeof p), 64);
    ASSERT_EQ_INT(p[KEV_OFF_ISSUES_TIMESTAMP_I386], 0x08);
    ASSERT_EQ_INT(p[KEV_OFF_ISSUES_INFO_I386], 0xaa);
    ASSERT_EQ_U64(kev_build_payload(KEV_L_DL_ISSUES, &f, false, p, 71), 0);
}

KEV_TEST(names)
{
    ASSERT_EQ_STR(kev_wire_subclass_name(KEV_ND6_SUBCLASS), "KEV_ND6_SUBCLASS");
    ASSERT_EQ_STR(kev_wire_class_name(KEV_NETWORK_CLASS), "KEV_NETWORK_CLASS");
    ASSERT_EQ_STR(kev_wire_vendor_name(KEV_VENDOR_APPLE), "KEV_VENDOR_APPLE");
    ASSERT_NULL(kev_wire_subclass_name(0));
    ASSERT_NULL(kev_wire_subclass_name(4000000000u));
    ASSERT_EQ_STR(kev_strerror(KEV_ETRUNC), "input ends before the field being read");
    ASSERT_EQ_STR(kev_err_name(KEV_EFORMAT), "KEV_EFORMAT");
    ASSERT_EQ_STR(kev_strerror(-999), "unknown error");
}

KEV_TEST_MAIN(KEV_T(header_read_le), KEV_T(header_read_truncated), KEV_T(framing),
              KEV_T(table_sorted_and_unique), KEV_T(table_matches_facts),
              KEV_T(build_in_data), KEV_T(build_issues_layouts), KEV_T(names))
