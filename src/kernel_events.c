/*
 * kernel_events.c: the simulated kernel's event source.
 *
 * The real kernel changes its state and then posts the event; configd reads
 * the state back later (getifaddrs, ioctls). So before any profile walks a
 * batch, every well-framed Apple network event in it is applied here, with
 * strict framing and the true payload sizes, whatever the profile. The
 * profiles then see the same kernel, which is what makes the differential
 * property meaningful. Events the real kernel could not have posted
 * (a name without NUL, a payload shorter than its struct) change nothing.
 * The modelling choices are listed in docs/fidelity.md.
 */
#include <stdio.h>
#include <string.h>

#include "kev_core.h"
#include "kev_cursor.h"
#include "kev_fmt.h"

/* The payload of one event, bounded by its total_size. */
typedef struct kev_payload {
    const uint8_t *p;
    size_t len;
} kev_payload;

static uint32_t pl_u32(const kev_payload *pl, size_t off)
{
    kev_cursor c;
    uint32_t v = 0;
    kev__cur_init(&c, pl->p, pl->len);
    if (kev__cur_seek(&c, off) == 0)
        (void)kev__cur_u32le(&c, &v);
    return v;
}

/* The kernel's own name for the event's interface: if_name then the unit in
 * decimal, as ifnet names are formed. False when the kernel could not have
 * sent it. */
static bool kernel_name(const kev_payload *pl, char out[KEV_IFNAMSIZ])
{
    if (pl->len < KEV_SZ_NET_EVENT_DATA)
        return false;
    const uint8_t *name = pl->p + KEV_OFF_IF_NAME;
    const uint8_t *nul = kev__find_nul(name, KEV_IFNAMSIZ);
    if (nul == NULL || nul == name)
        return false;
    char tmp[KEV_IFNAMSIZ + 12];
    size_t len = (size_t)(nul - name);
    memcpy(tmp, name, len);
    len += kev__fmt_u32(tmp + len, pl_u32(pl, KEV_OFF_IF_UNIT));
    if (len >= KEV_IFNAMSIZ)
        return false;
    memcpy(out, tmp, len);
    out[len] = '\0';
    return true;
}

/* A host-order u32 mask to network-order bytes. */
static void mask_bytes(uint32_t host, uint8_t out[4])
{
    out[0] = (uint8_t)(host >> 24);
    out[1] = (uint8_t)(host >> 16);
    out[2] = (uint8_t)(host >> 8);
    out[3] = (uint8_t)host;
}

static void apply_inet(kev_kernel *k, const char *name, uint32_t code,
                       const kev_payload *pl)
{
    if (pl->len < KEV_SZ_IN_DATA || kev_kernel_find(k, name) == NULL)
        return;
    kev_inet_addr a;
    memset(&a, 0, sizeof a);
    memcpy(a.addr, pl->p + KEV_OFF_IN_ADDR, 4);
    if (code == KEV_INET_ADDR_DELETED) {
        (void)kev_kernel_inet_remove(k, name, a.addr);
        return;
    }
    kev_iface *ifp = kev_kernel_find(k, name);
    mask_bytes(pl_u32(pl, KEV_OFF_IN_SUBNETMASK), a.mask);
    memcpy(a.peer, pl->p + KEV_OFF_IN_DSTADDR, 4);
    bool p2p = a.peer[0] | a.peer[1] | a.peer[2] | a.peer[3];
    if (p2p) {
        ifp->flags |= KEV_IFF_POINTOPOINT;
    } else {
        /* The event does not carry the broadcast address: derive it. */
        for (int i = 0; i < 4; i++)
            a.peer[i] = (uint8_t)(a.addr[i] | (uint8_t)~a.mask[i]);
    }
    a.has_addr = a.has_mask = a.has_peer = true;
    ifp->flags |= KEV_IFF_UP;
    (void)kev_kernel_inet_set(k, name, &a);
}

static bool nonzero16(const uint8_t *p)
{
    uint8_t acc = 0;
    for (int i = 0; i < 16; i++)
        acc |= p[i];
    return acc != 0;
}

static void apply_inet6(kev_kernel *k, const char *name, uint32_t code,
                        const kev_payload *pl)
{
    if (pl->len < KEV_SZ_IN6_DATA || kev_kernel_find(k, name) == NULL)
        return;
    const uint8_t *addr = pl->p + KEV_OFF_IN6_ADDR + KEV_OFF_SIN6_ADDR;
    if (code == KEV_INET6_ADDR_DELETED) {
        (void)kev_kernel_inet6_remove(k, name, addr);
        return;
    }
    if (code > KEV_INET6_NEW_RTADV_ADDR)
        return; /* DEFROUTER and NAT64 requests change no address */
    kev_inet6_addr a;
    memset(&a, 0, sizeof a);
    memcpy(a.addr, addr, 16);
    memcpy(a.mask, pl->p + KEV_OFF_IN6_PREFIXMASK + KEV_OFF_SIN6_ADDR, 16);
    memcpy(a.dst, pl->p + KEV_OFF_IN6_DSTADDR + KEV_OFF_SIN6_ADDR, 16);
    a.has_dst = nonzero16(a.dst);
    a.flags = pl_u32(pl, KEV_OFF_IN6_FLAGS);
    a.has_addr = a.has_mask = true;
    /* A destination makes the interface point-to-point (the flag is sticky:
     * no event clears it). */
    kev_kernel_find(k, name)->flags |= KEV_IFF_UP | (a.has_dst ? KEV_IFF_POINTOPOINT : 0u);
    (void)kev_kernel_inet6_set(k, name, &a);
}

static void apply_nd6(kev_kernel *k, const char *name, uint32_t code,
                      const kev_payload *pl)
{
    if (pl->len < KEV_SZ_ND6_EVENT)
        return;
    const uint8_t *addr = pl->p + KEV_OFF_ND6_ADDR;
    if (code == KEV_ND6_ADDR_EXPIRED) {
        (void)kev_kernel_inet6_remove(k, name, addr);
        return;
    }
    kev_inet6_addr *a = kev_kernel_inet6_find(k, name, addr);
    if (a == NULL)
        return;
    if (code == KEV_ND6_ADDR_DETACHED)
        a->flags |= KEV_IN6_IFF_DETACHED;
    else if (code == KEV_ND6_ADDR_DEPRECATED)
        a->flags |= KEV_IN6_IFF_DEPRECATED;
}

static void apply_dl(kev_kernel *k, const char *name, uint32_t code,
                     const kev_payload *pl)
{
    kev_iface *ifp = kev_kernel_find(k, name);
    switch (code) {
    case KEV_DL_IF_ATTACHED:
        (void)kev_kernel_attach(k, name, NULL);
        return;
    case KEV_DL_IF_DETACHED:
        (void)kev_kernel_detach(k, name);
        return;
    default:
        break;
    }
    if (ifp == NULL)
        return;
    if (code == KEV_DL_LINK_ON || code == KEV_DL_LINK_OFF)
        ifp->media = code == KEV_DL_LINK_ON ? KEV_MEDIA_ACTIVE : KEV_MEDIA_INACTIVE;
    else if (code == KEV_DL_LINK_QUALITY_METRIC_CHANGED && pl->len >= KEV_SZ_DL_LQM)
        ifp->lqm = (int32_t)pl_u32(pl, KEV_OFF_LQM);
    else if (code == KEV_DL_IF_IDLE_ROUTE_REFCNT)
        ifp->rt_refcnt = 0; /* posted when the count drops to zero */
}

/* True for the (subclass, code) pairs this file applies: every other event
 * leaves the kernel as it is, so its name need not even be parsed. */
static bool changes_kernel(uint32_t subclass, uint32_t code)
{
    switch (subclass) {
    case KEV_DL_SUBCLASS:
        return (code >= KEV_DL_IF_ATTACHED && code <= KEV_DL_LINK_ON && code != KEV_DL_IF_DETACHING) ||
               code == KEV_DL_IF_IDLE_ROUTE_REFCNT || code == KEV_DL_LINK_QUALITY_METRIC_CHANGED;
    case KEV_INET_SUBCLASS:
        return code >= KEV_INET_NEW_ADDR && code <= KEV_INET_SIFNETMASK;
    case KEV_INET6_SUBCLASS:
        return code >= KEV_INET6_NEW_USER_ADDR && code <= KEV_INET6_NEW_RTADV_ADDR;
    case KEV_ND6_SUBCLASS:
        return code >= KEV_ND6_ADDR_DETACHED && code <= KEV_ND6_ADDR_EXPIRED;
    default:
        return false;
    }
}

/* The interface an event changes in the kernel (see changes_kernel). */
static bool event_target(const kev_msg_header *h, const kev_payload *pl,
                         char name[KEV_IFNAMSIZ])
{
    if (h->vendor_code != KEV_VENDOR_APPLE || h->kev_class != KEV_NETWORK_CLASS)
        return false;
    return changes_kernel(h->kev_subclass, h->event_code) && kernel_name(pl, name);
}

static void apply_event(kev_kernel *k, const kev_msg_header *h,
                        const kev_payload *pl, kev__touched_fn touched, void *ctx)
{
    char name[KEV_IFNAMSIZ];
    if (!event_target(h, pl, name))
        return;
    switch (h->kev_subclass) {
    case KEV_DL_SUBCLASS:
        apply_dl(k, name, h->event_code, pl);
        break;
    case KEV_INET_SUBCLASS:
        apply_inet(k, name, h->event_code, pl);
        break;
    case KEV_INET6_SUBCLASS:
        apply_inet6(k, name, h->event_code, pl);
        break;
    case KEV_ND6_SUBCLASS:
        apply_nd6(k, name, h->event_code, pl);
        break;
    default:
        break;
    }
    if (touched != NULL)
        touched(ctx, name);
}

void kev__kernel_apply_batch(kev_kernel *k, const uint8_t *bytes, size_t len,
                             kev__touched_fn touched, void *ctx)
{
    size_t pos = 0, off;
    kev_msg_header h;
    while (kev_wire_next(bytes, len, &pos, &off, &h) == 1) {
        kev_payload pl = {bytes + off + KEV_MSG_HEADER_SIZE,
                          h.total_size - KEV_MSG_HEADER_SIZE};
        apply_event(k, &h, &pl, touched, ctx);
    }
}

void kev_kernel_apply_batch(kev_kernel *k, const uint8_t *bytes, size_t len)
{
    kev__kernel_apply_batch(k, bytes, len, NULL, NULL);
}

bool kev_kernel_event_iface(const kev_msg_header *h, const uint8_t *p, size_t n,
                            char name[16])
{
    kev_payload pl = {p, n};
    name[0] = '\0';
    return p != NULL && event_target(h, &pl, name);
}
