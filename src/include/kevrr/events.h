/*
 * kevrr/events.h: the event table, one row per (subclass, code) of the
 * Apple network class that some configd version handles or explicitly
 * ignores (eventmon-facts.md s2.3 and s4.1).
 *
 * A row says what the walker needs to dispatch without re-encoding the
 * seed's nested switches: the payload layout, the size check each version
 * applies (`check`: the dataLen the seed requires), the bytes each version
 * actually reads (`reads`: when larger than `check`, that is defect D6), and
 * the handler each version runs (KEV_H_NONE: the version ignores the code).
 * Versions: configd-888, configd-963 and configd-1405 (docs/configd-1405.md).
 * The hardened profile runs the v963 handler and requires the larger of
 * `check` and `reads`.
 */
#ifndef KEVRR_EVENTS_H
#define KEVRR_EVENTS_H

#include <stddef.h>
#include <stdint.h>

/* Payload layouts (s3). */
typedef enum kev_layout {
    KEV_L_NONE,           /* no payload read */
    KEV_L_NET_EVENT_DATA, /* bare net_event_data */
    KEV_L_IN_DATA,
    KEV_L_IN_COLLISION,
    KEV_L_IN_ARPFAILURE,
    KEV_L_IN_PORTINUSE,
    KEV_L_IN6_DATA,
    KEV_L_DL_PROTO_DATA,
    KEV_L_DL_LQM,
    KEV_L_DL_ISSUES,
    KEV_L_DL_RRC_STATE,
    KEV_L_ND6_EVENT
} kev_layout;

/* Handlers (s4.3); one identifier per distinct behaviour. */
typedef enum kev_handler_id {
    KEV_H_NONE,            /* ignored */
    KEV_H_IPV4_UPDATE,     /* ipv4_interface_update + link check (not ADDR_DELETED) */
    KEV_H_ARP_COLLISION,
    KEV_H_PORT_IN_USE,
    KEV_H_ARP_RTR_FAILURE,
    KEV_H_ARP_RTR_ALIVE,
    KEV_H_IPV6_UPDATE,     /* interface_update_ipv6 (+DAD on NEW_USER_ADDR) + link check */
    KEV_H_ND6_UPDATE,      /* interface_update_ipv6 only (ND6 6-8, v963) */
    KEV_H_NAT64_REQUEST,
    KEV_H_RTR_EXPIRED,
    KEV_H_LINK_ADD,
    KEV_H_LINK_DETACHING,
    KEV_H_LINK_REMOVE,
    KEV_H_LINK_STATUS,     /* LINK_ON / LINK_OFF */
    KEV_H_PROTO_MARK,      /* v888: mark_if_up / mark_if_down */
    KEV_H_PROTO_LOG,       /* v963: log only */
    KEV_H_IDLE_ROUTE,
    KEV_H_LINK_QUALITY,
    KEV_H_LINK_ISSUES,
    KEV_H_IFDELEGATE,      /* v1405: interface_update_delegation */
    KEV_H__COUNT
} kev_handler_id;

/* configd versions a row describes. */
enum { KEV_VER_888 = 0, KEV_VER_963 = 1, KEV_VER_1405 = 2, KEV_VER__COUNT = 3 };

/* Row flags. */
#define KEV_EVF_LINK_DATA 0x1u /* payload starts with net_event_data: the name is formatted */
#define KEV_EVF_HWLEN 0x2u     /* check also requires 32 + hw_len (ARPCOLLISION) */

typedef struct kev_event_def {
    uint32_t subclass;
    uint32_t code;
    const char *name;  /* e.g. "KEV_DL_IF_ATTACHED" */
    kev_layout layout;
    uint32_t flags;    /* KEV_EVF_* */
    uint16_t check[KEV_VER__COUNT]; /* required dataLen per version (0: none) */
    uint16_t reads[KEV_VER__COUNT]; /* highest payload byte read + 1 (LP64) */
    kev_handler_id handler[KEV_VER__COUNT];
} kev_event_def;

/* The row for (subclass, code) of the Apple network class, or NULL. */
const kev_event_def *kev_event_lookup(uint32_t subclass, uint32_t code);
/* All rows, sorted by (subclass, code). */
const kev_event_def *kev_event_table(size_t *n);
const char *kev_layout_name(kev_layout l);
const char *kev_handler_name(kev_handler_id h);
/* The name of a version column: "v888", "v963", "v1405" (the faithful
 * profile that runs it), or "?". */
const char *kev_version_name(int ver);

#endif
