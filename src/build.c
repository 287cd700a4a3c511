/*
 * build.c: record builders (kevrr/build.h). Offsets are the named ones of
 * kevrr/wire.h; byte order follows the kernel: host order (little-endian)
 * for integers, network order for in_addr and in6_addr, host order for the
 * kev_in_data masks and nets (s3, kev_in_data field meanings).
 */
#include "kevrr/build.h"

#include <string.h>

#include "kev_cursor.h"
#include "kevrr/wire.h"

void kev_fields_name(kev_fields *f, const char *name, uint32_t unit)
{
    memset(f->name, 0, sizeof f->name);
    size_t n = strlen(name);
    memcpy(f->name, name, n < sizeof f->name ? n : sizeof f->name);
    f->unit = unit;
}

static void put_link(uint8_t *p, const kev_fields *f)
{
    kev__put_u32le(p + KEV_OFF_IF_FAMILY, f->family);
    kev__put_u32le(p + KEV_OFF_IF_UNIT, f->unit);
    memcpy(p + KEV_OFF_IF_NAME, f->name, KEV_IFNAMSIZ);
}

static uint32_t be32(const uint8_t a[4])
{
    return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* kev_in_data as in_ifinit fills it: classful netmask ANDed with the subnet
 * mask, nets in host order, the classful network broadcast. */
static void put_in_data(uint8_t *p, const kev_fields *f)
{
    uint32_t addr = be32(f->addr4);
    uint32_t sub = f->prefix4 >= 32 ? 0xffffffffu
                   : f->prefix4 == 0 ? 0 : ~(0xffffffffu >> f->prefix4);
    uint32_t classful = (addr >> 31) == 0 ? 0xff000000u
                        : (addr >> 30) == 2 ? 0xffff0000u : 0xffffff00u;
    uint32_t net = classful & sub;
    put_link(p, f);
    memcpy(p + KEV_OFF_IN_ADDR, f->addr4, 4);
    kev__put_u32le(p + KEV_OFF_IN_NET, addr & net);
    kev__put_u32le(p + KEV_OFF_IN_NETMASK, net);
    kev__put_u32le(p + KEV_OFF_IN_SUBNET, addr & sub);
    kev__put_u32le(p + KEV_OFF_IN_SUBNETMASK, sub);
    put_be32(p + KEV_OFF_IN_NETBROADCAST, (addr & net) | ~net);
    memcpy(p + KEV_OFF_IN_DSTADDR, f->dst4, 4);
}

/* A sockaddr_in6: len 28, family AF_INET6 (30 on Darwin), the address. */
static void put_sin6(uint8_t *p, const uint8_t addr[16])
{
    p[0] = 28;
    p[1] = 30;
    memcpy(p + KEV_OFF_SIN6_ADDR, addr, 16);
}

static void put_in6_data(uint8_t *p, const kev_fields *f)
{
    uint8_t mask[16] = {0};
    for (uint32_t i = 0; i < 128 && i < f->prefix6; i++)
        mask[i / 8] |= (uint8_t)(0x80u >> (i % 8));
    put_link(p, f);
    put_sin6(p + KEV_OFF_IN6_ADDR, f->addr6);
    put_sin6(p + KEV_OFF_IN6_PREFIXMASK, mask);
    static const uint8_t zero[16];
    if (memcmp(f->dst6, zero, 16) != 0)
        put_sin6(p + KEV_OFF_IN6_DSTADDR, f->dst6);
    kev__put_u32le(p + KEV_OFF_IN6_PLEN, f->prefix6);
    kev__put_u32le(p + KEV_OFF_IN6_FLAGS, f->flags6);
    memcpy(p + KEV_OFF_IN6_MAC, f->mac, 6);
}

static void put_issues(uint8_t *p, const kev_fields *f, bool ilp32)
{
    put_link(p, f);
    memcpy(p + KEV_OFF_ISSUES_MODID, f->modid, KEV_DLIL_MODIDLEN);
    uint32_t ts = ilp32 ? KEV_OFF_ISSUES_TIMESTAMP_I386 : KEV_OFF_ISSUES_TIMESTAMP;
    kev__put_u32le(p + ts, (uint32_t)f->timestamp);
    kev__put_u32le(p + ts + 4, (uint32_t)(f->timestamp >> 32));
    memcpy(p + (ilp32 ? KEV_OFF_ISSUES_INFO_I386 : KEV_OFF_ISSUES_INFO), f->info,
           KEV_DLIL_MODARGLEN);
}

static size_t layout_size(kev_layout l, const kev_fields *f, bool ilp32)
{
    switch (l) {
    case KEV_L_NONE: return 0;
    case KEV_L_NET_EVENT_DATA: return KEV_SZ_NET_EVENT_DATA;
    case KEV_L_IN_DATA: return KEV_SZ_IN_DATA;
    case KEV_L_IN_COLLISION: return KEV_SZ_IN_COLLISION + f->hw_len;
    case KEV_L_IN_ARPFAILURE: return KEV_SZ_IN_ARPFAILURE;
    case KEV_L_IN_PORTINUSE: return KEV_SZ_IN_PORTINUSE;
    case KEV_L_IN6_DATA: return KEV_SZ_IN6_DATA;
    case KEV_L_DL_PROTO_DATA: return KEV_SZ_DL_PROTO_DATA;
    case KEV_L_DL_LQM: return KEV_SZ_DL_LQM;
    case KEV_L_DL_ISSUES: return ilp32 ? KEV_SZ_DL_ISSUES_I386 : KEV_SZ_DL_ISSUES;
    case KEV_L_DL_RRC_STATE: return KEV_SZ_DL_RRC_STATE;
    case KEV_L_ND6_EVENT: return KEV_SZ_ND6_EVENT;
    }
    return 0;
}

size_t kev_build_payload(kev_layout layout, const kev_fields *f, bool ilp32,
                         uint8_t *out, size_t cap)
{
    size_t n = layout_size(layout, f, ilp32);
    if (n > cap)
        return 0;
    memset(out, 0, n);
    switch (layout) {
    case KEV_L_NONE:
        break;
    case KEV_L_NET_EVENT_DATA:
    case KEV_L_IN_ARPFAILURE:
        put_link(out, f);
        break;
    case KEV_L_IN_DATA:
        put_in_data(out, f);
        break;
    case KEV_L_IN_COLLISION:
        put_link(out, f);
        memcpy(out + KEV_OFF_COLL_IPADDR, f->addr4, 4);
        out[KEV_OFF_COLL_HWLEN] = f->hw_len;
        memcpy(out + KEV_OFF_COLL_HWADDR, f->hw, f->hw_len);
        break;
    case KEV_L_IN_PORTINUSE:
        out[KEV_OFF_PORT] = (uint8_t)f->port;
        out[KEV_OFF_PORT + 1] = (uint8_t)(f->port >> 8);
        kev__put_u32le(out + KEV_OFF_REQ_PID, f->pid);
        break;
    case KEV_L_IN6_DATA:
        put_in6_data(out, f);
        break;
    case KEV_L_DL_PROTO_DATA:
        put_link(out, f);
        kev__put_u32le(out + KEV_OFF_PROTO_FAMILY, f->proto_family);
        kev__put_u32le(out + KEV_OFF_PROTO_REMAINING, f->remaining);
        break;
    case KEV_L_DL_LQM:
        put_link(out, f);
        kev__put_u32le(out + KEV_OFF_LQM, (uint32_t)f->lqm);
        break;
    case KEV_L_DL_ISSUES:
        put_issues(out, f, ilp32);
        break;
    case KEV_L_DL_RRC_STATE:
        put_link(out, f);
        kev__put_u32le(out + KEV_SZ_NET_EVENT_DATA, f->rrc_state);
        break;
    case KEV_L_ND6_EVENT:
        put_link(out, f);
        memcpy(out + KEV_OFF_ND6_ADDR, f->addr6, 16);
        kev__put_u32le(out + KEV_OFF_ND6_VAL, f->nd6_val);
        break;
    }
    return n;
}

size_t kev_build_record(uint8_t *out, size_t cap, uint32_t subclass, uint32_t code,
                        uint32_t id, const uint8_t *payload, size_t plen)
{
    if (cap < KEV_MSG_HEADER_SIZE || plen > cap - KEV_MSG_HEADER_SIZE ||
        plen > UINT32_MAX - KEV_MSG_HEADER_SIZE)
        return 0;
    kev_msg_header h = {(uint32_t)(KEV_MSG_HEADER_SIZE + plen), KEV_VENDOR_APPLE,
                        KEV_NETWORK_CLASS, subclass, id, code};
    kev_wire_header_write(out, &h);
    if (plen)
        memmove(out + KEV_MSG_HEADER_SIZE, payload, plen);
    return KEV_MSG_HEADER_SIZE + plen;
}

size_t kev_build_event(uint8_t *out, size_t cap, uint32_t subclass, uint32_t code,
                       uint32_t id, const kev_fields *f)
{
    const kev_event_def *d = kev_event_lookup(subclass, code);
    kev_layout l = d ? d->layout : KEV_L_NONE;
    uint8_t payload[KEV_SZ_IN_COLLISION + 255];
    size_t n = kev_build_payload(l, f, false, payload, sizeof payload);
    if (n == 0 && l != KEV_L_NONE)
        return 0;
    return kev_build_record(out, cap, subclass, code, id, payload, n);
}
