/*
 * events.c: the event table (kevrr/events.h). One row per (subclass, code)
 * of the Apple network class that some configd version handles or
 * explicitly ignores, sorted by (subclass, code) for binary search.
 *
 * Columns: check = the dataLen each version requires (s4.1), reads = the
 * highest payload byte each version actually reads plus one (LP64; the
 * name scan of copy_if_name is separate), handler per version, in the
 * order v888, v963, v1405 (docs/configd-1405.md: 1405's switch is 963's
 * plus IFDELEGATE_CHANGED).
 */
#include "kevrr/events.h"

#include <stddef.h>

#include "kevrr/wire.h"

#define LD KEV_EVF_LINK_DATA
/* A code every version handles the same way. */
#define BOTH(sub, code, lay, fl, chk, rd, h)                                  \
    {sub, code, #code, lay, fl, {chk, chk, chk}, {rd, rd, rd}, {h, h, h}}
/* A code v963 and v1405 handle (v888 ignores it). */
#define SINCE963(sub, code, lay, fl, chk, rd, h)                              \
    {sub, code, #code, lay, fl, {0, chk, chk}, {0, rd, rd}, {KEV_H_NONE, h, h}}
/* A code only v1405 handles. */
#define ONLY1405(sub, code, lay, fl, chk, rd, h)                              \
    {sub, code, #code, lay, fl, {0, 0, chk}, {0, 0, rd}, {KEV_H_NONE, KEV_H_NONE, h}}
/* A code every version ignores. */
#define IGNORED(sub, code, lay) IGNORED_AS(sub, code, #code, lay)
#define IGNORED_AS(sub, code, name, lay)                                      \
    {sub, code, name, lay, 0, {0, 0, 0}, {0, 0, 0}, {KEV_H_NONE, KEV_H_NONE, KEV_H_NONE}}

#define IN KEV_INET_SUBCLASS
#define DL KEV_DL_SUBCLASS
#define I6 KEV_INET6_SUBCLASS
#define ND KEV_ND6_SUBCLASS

static const kev_event_def table[] = {
    /* INET (1): kev_in_data for 1-6; the event's addresses are never read. */
    BOTH(IN, KEV_INET_NEW_ADDR, KEV_L_IN_DATA, LD, 52, 24, KEV_H_IPV4_UPDATE),
    BOTH(IN, KEV_INET_CHANGED_ADDR, KEV_L_IN_DATA, LD, 52, 24, KEV_H_IPV4_UPDATE),
    BOTH(IN, KEV_INET_ADDR_DELETED, KEV_L_IN_DATA, LD, 52, 24, KEV_H_IPV4_UPDATE),
    BOTH(IN, KEV_INET_SIFDSTADDR, KEV_L_IN_DATA, LD, 52, 24, KEV_H_IPV4_UPDATE),
    BOTH(IN, KEV_INET_SIFBRDADDR, KEV_L_IN_DATA, LD, 52, 24, KEV_H_IPV4_UPDATE),
    BOTH(IN, KEV_INET_SIFNETMASK, KEV_L_IN_DATA, LD, 52, 24, KEV_H_IPV4_UPDATE),
    /* Requires 32 + hw_len, reads 29 + hw_len: over-strict by 3, not a bug. */
    BOTH(IN, KEV_INET_ARPCOLLISION, KEV_L_IN_COLLISION, LD | KEV_EVF_HWLEN, 32,
         29, KEV_H_ARP_COLLISION),
    BOTH(IN, KEV_INET_PORTINUSE, KEV_L_IN_PORTINUSE, 0, 16, 8, KEV_H_PORT_IN_USE),
    BOTH(IN, KEV_INET_ARPRTRFAILURE, KEV_L_IN_ARPFAILURE, LD, 24, 24,
         KEV_H_ARP_RTR_FAILURE),
    BOTH(IN, KEV_INET_ARPRTRALIVE, KEV_L_IN_ARPFAILURE, LD, 24, 24,
         KEV_H_ARP_RTR_ALIVE),

    /* DL (2): bare net_event_data unless noted. */
    IGNORED(DL, KEV_DL_SIFFLAGS, KEV_L_NET_EVENT_DATA),
    IGNORED(DL, KEV_DL_SIFMETRICS, KEV_L_NET_EVENT_DATA),
    IGNORED(DL, KEV_DL_SIFMTU, KEV_L_NET_EVENT_DATA),
    IGNORED(DL, KEV_DL_SIFPHYS, KEV_L_NET_EVENT_DATA),
    IGNORED(DL, KEV_DL_SIFMEDIA, KEV_L_NET_EVENT_DATA),
    IGNORED(DL, KEV_DL_SIFGENERIC, KEV_L_NET_EVENT_DATA),
    IGNORED(DL, KEV_DL_ADDMULTI, KEV_L_NET_EVENT_DATA),
    IGNORED(DL, KEV_DL_DELMULTI, KEV_L_NET_EVENT_DATA),
    BOTH(DL, KEV_DL_IF_ATTACHED, KEV_L_NET_EVENT_DATA, LD, 24, 24, KEV_H_LINK_ADD),
    BOTH(DL, KEV_DL_IF_DETACHING, KEV_L_NET_EVENT_DATA, LD, 24, 24,
         KEV_H_LINK_DETACHING),
    BOTH(DL, KEV_DL_IF_DETACHED, KEV_L_NET_EVENT_DATA, LD, 24, 24,
         KEV_H_LINK_REMOVE),
    BOTH(DL, KEV_DL_LINK_OFF, KEV_L_NET_EVENT_DATA, LD, 24, 24, KEV_H_LINK_STATUS),
    BOTH(DL, KEV_DL_LINK_ON, KEV_L_NET_EVENT_DATA, LD, 24, 24, KEV_H_LINK_STATUS),
    {DL, KEV_DL_PROTO_ATTACHED, "KEV_DL_PROTO_ATTACHED", KEV_L_DL_PROTO_DATA, LD,
     {32, 32, 32}, {32, 32, 32}, {KEV_H_PROTO_MARK, KEV_H_PROTO_LOG, KEV_H_PROTO_LOG}},
    {DL, KEV_DL_PROTO_DETACHED, "KEV_DL_PROTO_DETACHED", KEV_L_DL_PROTO_DATA, LD,
     {32, 32, 32}, {32, 32, 32}, {KEV_H_PROTO_MARK, KEV_H_PROTO_LOG, KEV_H_PROTO_LOG}},
    IGNORED(DL, KEV_DL_LINK_ADDRESS_CHANGED, KEV_L_NET_EVENT_DATA),
    IGNORED(DL, KEV_DL_WAKEFLAGS_CHANGED, KEV_L_NET_EVENT_DATA),
    BOTH(DL, KEV_DL_IF_IDLE_ROUTE_REFCNT, KEV_L_NET_EVENT_DATA, LD, 24, 24,
         KEV_H_IDLE_ROUTE),
    IGNORED(DL, KEV_DL_IFCAP_CHANGED, KEV_L_NET_EVENT_DATA),
    /* D6: checks sizeof(net_event_data) but reads the metric at +24. */
    BOTH(DL, KEV_DL_LINK_QUALITY_METRIC_CHANGED, KEV_L_DL_LQM, LD, 24, 28,
         KEV_H_LINK_QUALITY),
    IGNORED(DL, KEV_DL_NODE_PRESENCE, KEV_L_NONE),
    IGNORED(DL, KEV_DL_NODE_ABSENCE, KEV_L_NONE),
    IGNORED(DL, KEV_DL_MASTER_ELECTED, KEV_L_NONE),
    /* D6: checks 24, reads modid, timestamp and info up to +68. */
    BOTH(DL, KEV_DL_ISSUES, KEV_L_DL_ISSUES, LD, 24, 68, KEV_H_LINK_ISSUES),
    /* v1405 notifies .../InterfaceDelegation (ev_dlil.c 622-639). */
    ONLY1405(DL, KEV_DL_IFDELEGATE_CHANGED, KEV_L_NET_EVENT_DATA, LD, 24, 24,
             KEV_H_IFDELEGATE),
    IGNORED(DL, KEV_DL_AWDL_RESTRICTED, KEV_L_NET_EVENT_DATA),
    IGNORED(DL, KEV_DL_AWDL_UNRESTRICTED, KEV_L_NET_EVENT_DATA),
    IGNORED(DL, KEV_DL_RRC_STATE_CHANGED, KEV_L_DL_RRC_STATE),
    IGNORED(DL, KEV_DL_QOS_MODE_CHANGED, KEV_L_NET_EVENT_DATA),

    /* NETPOLICY (3), SOCKET (4): every version breaks out at once. */
    IGNORED_AS(KEV_NETPOLICY_SUBCLASS, 1, "KEV_NETPOLICY_IFDENIED", KEV_L_NONE),
    IGNORED_AS(KEV_NETPOLICY_SUBCLASS, 2, "KEV_NETPOLICY_IFFAILED", KEV_L_NONE),
    IGNORED_AS(KEV_NETPOLICY_SUBCLASS, 3, "KEV_NETPOLICY_NETDENIED", KEV_L_NONE),
    IGNORED_AS(KEV_SOCKET_SUBCLASS, 1, "KEV_SOCKET_CLOSED", KEV_L_NONE),

    /* INET6 (6): the full kev_in6_data is required. NEW_USER_ADDR also
     * reads ia6_flags, and the address and MAC when DUPLICATED. */
    BOTH(I6, KEV_INET6_NEW_USER_ADDR, KEV_L_IN6_DATA, LD, 168, 166,
         KEV_H_IPV6_UPDATE),
    BOTH(I6, KEV_INET6_CHANGED_ADDR, KEV_L_IN6_DATA, LD, 168, 24, KEV_H_IPV6_UPDATE),
    BOTH(I6, KEV_INET6_ADDR_DELETED, KEV_L_IN6_DATA, LD, 168, 24, KEV_H_IPV6_UPDATE),
    BOTH(I6, KEV_INET6_NEW_LL_ADDR, KEV_L_IN6_DATA, LD, 168, 24, KEV_H_IPV6_UPDATE),
    BOTH(I6, KEV_INET6_NEW_RTADV_ADDR, KEV_L_IN6_DATA, LD, 168, 24,
         KEV_H_IPV6_UPDATE),
    /* v888 re-reads IPv6 on DEFROUTER; v963 and v1405 ignore it. */
    {I6, KEV_INET6_DEFROUTER, "KEV_INET6_DEFROUTER", KEV_L_IN6_DATA, LD,
     {168, 0, 0}, {24, 0, 0}, {KEV_H_IPV6_UPDATE, KEV_H_NONE, KEV_H_NONE}},
    SINCE963(I6, KEV_INET6_REQUEST_NAT64_PREFIX, KEV_L_IN6_DATA, LD, 168, 24,
            KEV_H_NAT64_REQUEST),

    /* ND6 (7): v888 ignores the whole subclass. */
    IGNORED(ND, KEV_ND6_RA, KEV_L_ND6_EVENT),
    IGNORED(ND, KEV_ND6_NDFAILURE, KEV_L_ND6_EVENT),
    IGNORED(ND, KEV_ND6_NDALIVE, KEV_L_ND6_EVENT),
    IGNORED(ND, KEV_ND6_DAD_FAILURE, KEV_L_ND6_EVENT),
    IGNORED(ND, KEV_ND6_DAD_SUCCESS, KEV_L_ND6_EVENT),
    SINCE963(ND, KEV_ND6_ADDR_DETACHED, KEV_L_ND6_EVENT, LD, 44, 24,
            KEV_H_ND6_UPDATE),
    SINCE963(ND, KEV_ND6_ADDR_DEPRECATED, KEV_L_ND6_EVENT, LD, 44, 24,
            KEV_H_ND6_UPDATE),
    SINCE963(ND, KEV_ND6_ADDR_EXPIRED, KEV_L_ND6_EVENT, LD, 44, 24,
            KEV_H_ND6_UPDATE),
    SINCE963(ND, KEV_ND6_RTR_EXPIRED, KEV_L_ND6_EVENT, LD, 44, 24,
            KEV_H_RTR_EXPIRED),
    IGNORED(ND, KEV_ND6_PFX_EXPIRED, KEV_L_ND6_EVENT),

    /* NECP (8), NETAGENT (9), LOG (10), NETEVENT (11): ignored. */
    IGNORED_AS(KEV_NECP_SUBCLASS, 1, "KEV_NECP_POLICIES_CHANGED", KEV_L_NONE),
    IGNORED_AS(KEV_NETAGENT_SUBCLASS, 1, "KEV_NETAGENT_REGISTERED", KEV_L_NONE),
    IGNORED_AS(KEV_NETAGENT_SUBCLASS, 2, "KEV_NETAGENT_UNREGISTERED", KEV_L_NONE),
    IGNORED_AS(KEV_NETAGENT_SUBCLASS, 3, "KEV_NETAGENT_UPDATED", KEV_L_NONE),
    IGNORED_AS(KEV_NETAGENT_SUBCLASS, 4, "KEV_NETAGENT_UPDATED_INTERFACES", KEV_L_NONE),
    IGNORED_AS(KEV_LOG_SUBCLASS, 0, "KEV_LOG_IPFWLOGEVENT", KEV_L_NONE),
    IGNORED_AS(KEV_NETEVENT_SUBCLASS, 1, "KEV_NETEVENT_APNFALLBACK", KEV_L_NONE),
    IGNORED_AS(KEV_NETEVENT_SUBCLASS, 2, "KEV_NETEVENT_CLAT46_EVENT", KEV_L_NONE),
};

const kev_event_def *kev_event_table(size_t *n)
{
    *n = sizeof table / sizeof table[0];
    return table;
}

/* Where each subclass's rows start in `table`: within a subclass the codes
 * are contiguous, so a lookup is two array reads, not a search (it runs for
 * every event). test_wire.table_sorted_and_unique checks this index against
 * a linear search of the table for every (subclass, code) pair. */
static const struct {
    uint8_t first_row, first_code, count;
} sub_index[] = {
    [KEV_INET_SUBCLASS] = {0, 1, 10},       [KEV_DL_SUBCLASS] = {10, 1, 29},
    [KEV_NETPOLICY_SUBCLASS] = {39, 1, 3},  [KEV_SOCKET_SUBCLASS] = {42, 1, 1},
    [KEV_INET6_SUBCLASS] = {43, 1, 7},      [KEV_ND6_SUBCLASS] = {50, 1, 10},
    [KEV_NECP_SUBCLASS] = {60, 1, 1},       [KEV_NETAGENT_SUBCLASS] = {61, 1, 4},
    [KEV_LOG_SUBCLASS] = {65, 0, 1},        [KEV_NETEVENT_SUBCLASS] = {66, 1, 2},
};

const kev_event_def *kev_event_lookup(uint32_t subclass, uint32_t code)
{
    if (subclass >= sizeof sub_index / sizeof sub_index[0])
        return NULL;
    uint32_t first = sub_index[subclass].first_code;
    if (code < first || code - first >= sub_index[subclass].count)
        return NULL;
    return &table[sub_index[subclass].first_row + (code - first)];
}

const char *kev_layout_name(kev_layout l)
{
    static const char *const names[] = {
        "none", "net_event_data", "kev_in_data", "kev_in_collision",
        "kev_in_arpfailure", "kev_in_portinuse", "kev_in6_data",
        "kev_dl_proto_data", "kev_dl_link_quality_metric_data", "kev_dl_issues",
        "kev_dl_rrc_state", "kev_nd6_event"};
    return (size_t)l < sizeof names / sizeof names[0] ? names[l] : "?";
}

const char *kev_version_name(int ver)
{
    static const char *const names[KEV_VER__COUNT] = {"v888", "v963", "v1405"};
    return ver >= 0 && ver < KEV_VER__COUNT ? names[ver] : "?";
}

const char *kev_handler_name(kev_handler_id h)
{
    static const char *const names[KEV_H__COUNT] = {
        "ignored", "ipv4_interface_update", "ipv4_arp_collision",
        "ipv4_port_in_use", "ipv4_router_arp_failure", "ipv4_router_arp_alive",
        "interface_update_ipv6", "interface_update_ipv6 (nd6)",
        "nat64_prefix_request", "ipv6_router_expired", "link_add",
        "interface_detaching", "link_remove", "link_update_status",
        "mark_if_up/mark_if_down", "log only", "interface_update_idle_state",
        "interface_update_quality_metric", "interface_update_link_issues",
        "interface_update_delegation"};
    return (size_t)h < KEV_H__COUNT ? names[h] : "?";
}
