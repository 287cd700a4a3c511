/*
 * kevrr/wire.h: the kern_event_msg wire format (eventmon-facts.md s1-s3).
 *
 * A recv() batch from a PF_SYSTEM/SYSPROTO_EVENT socket is a sequence of
 * kern_event_msg records: a 24-byte header of six host-order (little-endian
 * on every Mac we model) u32 fields, then the payload. total_size covers the
 * header and the payload and is not padded. Everything here is read with
 * explicit little-endian loads through a bounds-checked cursor; nothing
 * casts a buffer to a struct.
 *
 * Payload offsets are the LP64 layouts (x86_64, arm64). The only ILP32
 * difference is kev_dl_issues on i386 (timestamp @44, info @52, size 64).
 */
#ifndef KEVRR_WIRE_H
#define KEVRR_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Caps. KEV_MAX_BATCH bounds one recv() batch (what any reader accepts). */
#define KEV_MAX_BATCH 65536u
#define KEV_MSG_HEADER_SIZE 24u
#define KEV_IFNAMSIZ 16u
#define KEV_ETHER_ADDR_LEN 6u
#define KEV_DLIL_MODIDLEN 20u
#define KEV_DLIL_MODARGLEN 12u
/* configd's receive buffer (union of char[1024] and kern_event_msg). */
#define KEV_CONFIGD_RECV_BUFFER 1024u
/* The kernel's record cap (MLEN on x86_64, s1.4): genuine events are below. */
#define KEV_KERNEL_MLEN 224u

/* Vendors and classes (s2.1). */
#define KEV_VENDOR_APPLE 1u
#define KEV_NETWORK_CLASS 1u
#define KEV_IOKIT_CLASS 2u
#define KEV_SYSTEM_CLASS 3u
#define KEV_APPLESHARE_CLASS 4u
#define KEV_FIREWALL_CLASS 5u
#define KEV_IEEE80211_CLASS 6u
#define KEV_NKE_CLASS 7u

/* Network subclasses (s2.2). */
#define KEV_INET_SUBCLASS 1u
#define KEV_DL_SUBCLASS 2u
#define KEV_NETPOLICY_SUBCLASS 3u
#define KEV_SOCKET_SUBCLASS 4u
#define KEV_ATALK_SUBCLASS 5u
#define KEV_INET6_SUBCLASS 6u
#define KEV_ND6_SUBCLASS 7u
#define KEV_NECP_SUBCLASS 8u
#define KEV_NETAGENT_SUBCLASS 9u
#define KEV_LOG_SUBCLASS 10u
#define KEV_NETEVENT_SUBCLASS 11u
#define KEV_MPTCP_SUBCLASS 12u
#define KEV_IPSEC_SUBCLASS 13u
#define KEV_POWER_SUBCLASS 14u

/* Event codes (s2.3). */
enum {
    KEV_INET_NEW_ADDR = 1, KEV_INET_CHANGED_ADDR = 2, KEV_INET_ADDR_DELETED = 3,
    KEV_INET_SIFDSTADDR = 4, KEV_INET_SIFBRDADDR = 5, KEV_INET_SIFNETMASK = 6,
    KEV_INET_ARPCOLLISION = 7, KEV_INET_PORTINUSE = 8,
    KEV_INET_ARPRTRFAILURE = 9, KEV_INET_ARPRTRALIVE = 10
};
enum {
    KEV_INET6_NEW_USER_ADDR = 1, KEV_INET6_CHANGED_ADDR = 2,
    KEV_INET6_ADDR_DELETED = 3, KEV_INET6_NEW_LL_ADDR = 4,
    KEV_INET6_NEW_RTADV_ADDR = 5, KEV_INET6_DEFROUTER = 6,
    KEV_INET6_REQUEST_NAT64_PREFIX = 7
};
enum {
    KEV_DL_SIFFLAGS = 1, KEV_DL_SIFMETRICS = 2, KEV_DL_SIFMTU = 3,
    KEV_DL_SIFPHYS = 4, KEV_DL_SIFMEDIA = 5, KEV_DL_SIFGENERIC = 6,
    KEV_DL_ADDMULTI = 7, KEV_DL_DELMULTI = 8, KEV_DL_IF_ATTACHED = 9,
    KEV_DL_IF_DETACHING = 10, KEV_DL_IF_DETACHED = 11, KEV_DL_LINK_OFF = 12,
    KEV_DL_LINK_ON = 13, KEV_DL_PROTO_ATTACHED = 14, KEV_DL_PROTO_DETACHED = 15,
    KEV_DL_LINK_ADDRESS_CHANGED = 16, KEV_DL_WAKEFLAGS_CHANGED = 17,
    KEV_DL_IF_IDLE_ROUTE_REFCNT = 18, KEV_DL_IFCAP_CHANGED = 19,
    KEV_DL_LINK_QUALITY_METRIC_CHANGED = 20, KEV_DL_NODE_PRESENCE = 21,
    KEV_DL_NODE_ABSENCE = 22, KEV_DL_MASTER_ELECTED = 23, KEV_DL_ISSUES = 24,
    KEV_DL_IFDELEGATE_CHANGED = 25, KEV_DL_AWDL_RESTRICTED = 26,
    KEV_DL_AWDL_UNRESTRICTED = 27, KEV_DL_RRC_STATE_CHANGED = 28,
    KEV_DL_QOS_MODE_CHANGED = 29, KEV_DL_LOW_POWER_MODE_CHANGED = 30
};
enum {
    KEV_ND6_RA = 1, KEV_ND6_NDFAILURE = 2, KEV_ND6_NDALIVE = 3,
    KEV_ND6_DAD_FAILURE = 4, KEV_ND6_DAD_SUCCESS = 5,
    KEV_ND6_ADDR_DETACHED = 6, KEV_ND6_ADDR_DEPRECATED = 7,
    KEV_ND6_ADDR_EXPIRED = 8, KEV_ND6_RTR_EXPIRED = 9, KEV_ND6_PFX_EXPIRED = 10
};

/* IN6_IFF_* flags (s2.3). */
#define KEV_IN6_IFF_ANYCAST 0x1u
#define KEV_IN6_IFF_TENTATIVE 0x2u
#define KEV_IN6_IFF_DUPLICATED 0x4u
#define KEV_IN6_IFF_DETACHED 0x8u
#define KEV_IN6_IFF_DEPRECATED 0x10u
#define KEV_IN6_IFF_AUTOCONF 0x40u

/* Link-quality thresholds (IFNET_LQM_THRESH_*). */
#define KEV_LQM_THRESH_OFF (-2)
#define KEV_LQM_THRESH_UNKNOWN (-1)

/* Payload sizes (LP64 sizeof) and field offsets within the payload (s3). */
#define KEV_SZ_NET_EVENT_DATA 24u /* if_family @0, if_unit @4, if_name[16] @8 */
#define KEV_OFF_IF_FAMILY 0u
#define KEV_OFF_IF_UNIT 4u
#define KEV_OFF_IF_NAME 8u
#define KEV_SZ_IN_DATA 52u /* link_data, then 7 u32 fields from @24 */
#define KEV_OFF_IN_ADDR 24u
#define KEV_OFF_IN_NET 28u
#define KEV_OFF_IN_NETMASK 32u
#define KEV_OFF_IN_SUBNET 36u
#define KEV_OFF_IN_SUBNETMASK 40u
#define KEV_OFF_IN_NETBROADCAST 44u
#define KEV_OFF_IN_DSTADDR 48u
#define KEV_SZ_IN_COLLISION 32u /* ia_ipaddr @24, hw_len u8 @28, hw_addr @29 */
#define KEV_OFF_COLL_IPADDR 24u
#define KEV_OFF_COLL_HWLEN 28u
#define KEV_OFF_COLL_HWADDR 29u
#define KEV_SZ_IN_ARPFAILURE 24u
#define KEV_SZ_IN_PORTINUSE 16u /* port u16 @0 (host order), req_pid u32 @4 */
#define KEV_OFF_PORT 0u
#define KEV_OFF_REQ_PID 4u
#define KEV_SZ_IN6_DATA 168u
#define KEV_OFF_IN6_ADDR 24u      /* sockaddr_in6 (28 bytes); sin6_addr @+8 */
#define KEV_OFF_IN6_NET 52u
#define KEV_OFF_IN6_DSTADDR 80u
#define KEV_OFF_IN6_PREFIXMASK 108u
#define KEV_OFF_IN6_PLEN 136u
#define KEV_OFF_IN6_FLAGS 140u
#define KEV_OFF_IN6_LIFETIME 144u
#define KEV_OFF_IN6_MAC 160u
#define KEV_OFF_SIN6_ADDR 8u      /* sin6_addr within a sockaddr_in6 */
#define KEV_SZ_DL_PROTO_DATA 32u /* proto_family @24, remaining_count @28 */
#define KEV_OFF_PROTO_FAMILY 24u
#define KEV_OFF_PROTO_REMAINING 28u
#define KEV_SZ_DL_LQM 28u /* link_quality_metric int @24 */
#define KEV_OFF_LQM 24u
#define KEV_SZ_DL_ISSUES 72u /* modid[20] @24, timestamp u64 @48, info[12] @56 */
#define KEV_OFF_ISSUES_MODID 24u
#define KEV_OFF_ISSUES_TIMESTAMP 48u
#define KEV_OFF_ISSUES_INFO 56u
#define KEV_SZ_DL_ISSUES_I386 64u /* timestamp @44, info @52 */
#define KEV_OFF_ISSUES_TIMESTAMP_I386 44u
#define KEV_OFF_ISSUES_INFO_I386 52u
#define KEV_SZ_DL_RRC_STATE 28u
#define KEV_SZ_ND6_EVENT 44u /* in6_address @24, val u32 @40 */
#define KEV_OFF_ND6_ADDR 24u
#define KEV_OFF_ND6_VAL 40u

/* The six header fields of one record. */
typedef struct kev_msg_header {
    uint32_t total_size;
    uint32_t vendor_code;
    uint32_t kev_class;
    uint32_t kev_subclass;
    uint32_t id;
    uint32_t event_code;
} kev_msg_header;

/* Reads the header at `off` of `buf[0..len)`. Returns 0, or KEV_ETRUNC when
 * fewer than 24 bytes remain (nothing is read then). */
int kev_wire_header_read(const uint8_t *buf, size_t len, size_t off,
                         kev_msg_header *h);

/* Writes a header at `out` (24 bytes), little-endian. */
void kev_wire_header_write(uint8_t out[KEV_MSG_HEADER_SIZE], const kev_msg_header *h);

/* Framing of a whole batch under the strict rules the hardened profile and
 * the simulated kernel use: each record's header fully present, total_size
 * at least 24 and within the batch. kev_wire_next() returns 1 and fills
 * `*h` and `*off` for the next well-framed record starting at `*pos` (and
 * advances `*pos` past it), 0 at a clean end, or a negative KEV_E* code with
 * `*pos` left at the bad record (KEV_ETRUNC: header cut short; KEV_EFORMAT:
 * total_size below 24; KEV_ETOOBIG: total_size past the batch). */
int kev_wire_next(const uint8_t *buf, size_t len, size_t *pos, size_t *off,
                  kev_msg_header *h);

/* Names for dump and reports: "KEV_VENDOR_APPLE" style, or NULL when the
 * value has no name. */
const char *kev_wire_vendor_name(uint32_t vendor);
const char *kev_wire_class_name(uint32_t kev_class);
const char *kev_wire_subclass_name(uint32_t subclass);

#endif
