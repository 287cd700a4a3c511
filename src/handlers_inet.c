/*
 * handlers_inet.c: the IPv4 and IPv6 side of KernelEventMonitor (ev_ipv4.c,
 * ev_ipv6.c): per-interface address dictionaries rebuilt from the simulated
 * getifaddrs(), and the notify-only events (ARP collision, router ARP
 * failure/alive, port in use, duplicated address, NAT64 prefix request,
 * router expired).
 *
 * The address updates never use the addresses carried by the event: they
 * re-read the kernel. The original walks getifaddrs() into a CFDictionary of
 * new values and then applies them in CFDictionary order; we apply them in
 * interface order (each interface's entries are contiguous and its key is
 * unique), which differs only in the order of set operations within one
 * commit when several interfaces change at once (docs/fidelity.md).
 */
#include <stdio.h>
#include <string.h>

#include "kev_core.h"
#include "kev_fmt.h"

/* ------------------------------------------------------------------------
 * Text forms
 */

/* IP_FORMAT "%d.%d.%d.%d" into `out` (16 bytes), NUL-terminated. */
static int fmt_ipv4(char *out, size_t cap, const uint8_t a[4])
{
    (void)cap;
    size_t n = kev__fmt_ipv4(out, a);
    out[n] = '\0';
    return (int)n;
}

/* appendPrefixLen: 8 per leading 0xff byte, then the leading one bits of
 * the next byte from bit 7 down to bit 1 (bit 0 is never looked at: 0x81
 * counts 1); 0 when a later bit or byte is set. */
static int prefix_len(const uint8_t m[16])
{
    int plen = 0, byte = 0, bit;
    for (; byte < 16 && m[byte] == 0xff; byte++)
        plen += 8;
    if (byte == 16)
        return plen;
    for (bit = 7; bit != 0; bit--, plen++)
        if (!(m[byte] & (1u << bit)))
            break;
    for (; bit != 0; bit--)
        if (m[byte] & (1u << bit))
            return 0;
    for (byte++; byte < 16; byte++)
        if (m[byte])
            return 0;
    return plen;
}

/* The KAME embedded scope of fe80::/10 and ff02::/16-style addresses is
 * zeroed before the address is written. */
static void clear_scope(uint8_t a[16])
{
    bool ll = a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
    bool mcll = a[0] == 0xff && (a[1] & 0x0f) == 0x02;
    if (ll || mcll)
        a[2] = a[3] = 0;
}

/* ------------------------------------------------------------------------
 * Shared update machinery (copyIF and updateStore)
 */

/* The properties an update rebuilds, per family. */
typedef struct family_def {
    const char *entity;
    const char *props[4];
} family_def;

static const family_def fam_v4 = {
    "IPv4", {"Addresses", "SubnetMasks", "DestAddresses", "BroadcastAddresses"}};
static const family_def fam_v6 = {
    "IPv6", {"Addresses", "DestAddresses", "Flags", "PrefixLength"}};

/* Arrays being built for one interface, appended in the seed's order. */
typedef struct addr_arrays {
    kev_value *a[4];
} addr_arrays;

static void arrays_append(addr_arrays *arr, int slot, kev_value *item)
{
    if (arr->a[slot] == NULL)
        arr->a[slot] = kev_value_array_new();
    if (arr->a[slot] != NULL)
        (void)kev_value_array_append(arr->a[slot], item);
    else
        kev_value_unref(item);
}

static void append_str(addr_arrays *arr, int slot, const char *s)
{
    arrays_append(arr, slot, kev_value_cstring(s));
}

/* copyIF: the old store value (any type, may be NULL) and the new dict
 * built from it without the family's address properties. */
static kev_value *copy_if(kev_world *w, const family_def *f, const char *key,
                          kev_value **old)
{
    *old = kev__cache_copy(w->cache, key);
    if (*old == NULL || kev_value_type(*old) != KEV_VT_DICT)
        return kev_value_dict_new();
    return kev_value_dict_copy_without(*old, f->props, 4);
}

/* updateStore: write when absent or different, and flag the change even
 * when nothing is written. v1405's IPv6 writes whatever it built, changed or
 * not, and flags only a change (ev_ipv6.c 1405 226-253). Consumes `arr`,
 * `d` and `old`. */
static void update_store(kev_world *w, const family_def *f, const char *key,
                         kev_value *old, kev_value *d, addr_arrays *arr)
{
    for (int i = 0; i < 4; i++)
        if (arr->a[i] != NULL && d != NULL)
            (void)kev_value_dict_set(d, f->props[i], arr->a[i]);
        else
            kev_value_unref(arr->a[i]);
    bool changed = d != NULL && (old == NULL || !kev_value_equal(old, d));
    bool write = changed || (d != NULL && f == &fam_v6 && w->prof->ipv6_set_always);
    if (write) {
        if (kev_value_count(d) > 0)
            (void)kev__cache_set(w->cache, key, kev_value_ref(d));
        else if (old != NULL)
            (void)kev__cache_remove(w->cache, key);
    }
    if (changed)
        w->network_changed = true;
    kev_value_unref(d);
    kev_value_unref(old);
}

/* The seed dereferences ifa_addr of every getifaddrs() entry before looking
 * at its family or name (D18). False when the batch is stopped. */
static bool check_null_addrs(kev_world *w)
{
    if (!w->prof->faithful)
        return true;
    for (size_t i = 0; i < kev_kernel_count(w->kernel); i++) {
        const kev_iface *ifp = kev_kernel_at(w->kernel, i);
        for (size_t j = 0; j < ifp->n_inet; j++)
            if (!ifp->inet[j].has_addr)
                return kev__finding(w, 18, "ifaddr-null", 0, true,
                                    "getifaddrs entry %zu of %s has a NULL ifa_addr",
                                    j, ifp->name);
        for (size_t j = 0; j < ifp->n_inet6; j++)
            if (!ifp->inet6[j].has_addr)
                return kev__finding(w, 18, "ifaddr-null", 0, true,
                                    "getifaddrs IPv6 entry %zu of %s has a NULL "
                                    "ifa_addr",
                                    j, ifp->name);
    }
    return true;
}

/* A NULL sockaddr the seed would dereference: D18 (faithful) or a skipped
 * entry (hardened). Returns true when the entry can be used. Without a
 * world (drift's re-read of the kernel), an unusable entry is skipped. */
static bool entry_usable(kev_world *w, bool ok, const char *ifname, const char *what)
{
    if (ok || w == NULL)
        return ok;
    if (w->prof->faithful)
        kev__finding(w, 18, "ifaddr-null", 0, true,
                     "getifaddrs entry of %s has a NULL %s", ifname, what);
    else
        kev__finding(w, 18, "ifaddr-null", 0, false,
                     "getifaddrs entry of %s has no %s; entry skipped", ifname, what);
    return false;
}

/* ------------------------------------------------------------------------
 * IPv4
 */

static void v4_entry(kev_world *w, const kev_iface *ifp, const kev_inet_addr *a,
                     addr_arrays *arr)
{
    char s[16];
    bool p2p = (ifp->flags & KEV_IFF_POINTOPOINT) != 0;
    if (!entry_usable(w, a->has_addr, ifp->name, "ifa_addr") ||
        !entry_usable(w, a->has_peer, ifp->name, p2p ? "ifa_dstaddr" : "ifa_broadaddr") ||
        (!p2p && !entry_usable(w, a->has_mask, ifp->name, "ifa_netmask")))
        return;
    fmt_ipv4(s, sizeof s, a->addr);
    append_str(arr, 0, s);
    fmt_ipv4(s, sizeof s, a->peer);
    append_str(arr, p2p ? 2 : 3, s);
    if (!p2p) {
        fmt_ipv4(s, sizeof s, a->mask);
        append_str(arr, 1, s);
    }
}

/* ------------------------------------------------------------------------
 * IPv6
 */

static void v6_entry(kev_world *w, const kev_iface *ifp, const kev_inet6_addr *a,
                     addr_arrays *arr)
{
    char s[46];
    uint8_t addr[16];
    bool p2p = (ifp->flags & KEV_IFF_POINTOPOINT) != 0;
    if (!entry_usable(w, a->has_addr, ifp->name, "ifa_addr") ||
        !entry_usable(w, a->has_mask, ifp->name, "ifa_netmask"))
        return;
    memcpy(addr, a->addr, 16);
    clear_scope(addr);
    kev__fmt_ipv6(s, addr);
    append_str(arr, 0, s);
    arrays_append(arr, 3, kev_value_int(prefix_len(a->mask)));
    /* A failed SIOCGIFAFLAG_IN6 leaves the sockaddr_in6's first word in the
     * union: len 28, family 30, i.e. 7708. */
    arrays_append(arr, 2, kev_value_int(a->flags_fail ? 7708 : (int32_t)a->flags));
    if (p2p && a->has_dst) {
        memcpy(addr, a->dst, 16);
        clear_scope(addr);
        kev__fmt_ipv6(s, addr);
        append_str(arr, 1, s);
    }
}

/* ------------------------------------------------------------------------
 * What a re-read gives (drift.c)
 */

const char *const *kev__inet_props(bool v6)
{
    return v6 ? fam_v6.props : fam_v4.props;
}

kev_value *kev__inet_expected(const kev_iface *ifp, bool v6)
{
    addr_arrays arr = {{NULL, NULL, NULL, NULL}};
    size_t n = v6 ? ifp->n_inet6 : ifp->n_inet;
    for (size_t j = 0; j < n; j++) {
        if (v6)
            v6_entry(NULL, ifp, &ifp->inet6[j], &arr);
        else
            v4_entry(NULL, ifp, &ifp->inet[j], &arr);
    }
    const char *const *props = kev__inet_props(v6);
    kev_value *d = kev_value_dict_new();
    for (int i = 0; i < 4; i++) {
        if (arr.a[i] != NULL && d != NULL)
            (void)kev_value_dict_set(d, props[i], arr.a[i]);
        else
            kev_value_unref(arr.a[i]);
    }
    return d;
}

/* ------------------------------------------------------------------------
 * The update itself, for one family
 */

static void update_family(kev_world *w, const family_def *f, const char *name)
{
    bool v4 = f == &fam_v4, found = false;
    char key[KEV_KEY_CAP];
    if (!check_null_addrs(w))
        return;
    for (size_t i = 0; i < kev_kernel_count(w->kernel) && !w->batch_stopped; i++) {
        const kev_iface *ifp = kev_kernel_at(w->kernel, i);
        size_t n = v4 ? ifp->n_inet : ifp->n_inet6;
        if (n == 0 || (name && strncmp(name, ifp->name, KEV_IFNAMSIZ) != 0))
            continue;
        if (name == NULL && !kev__kernel_name_ok(w, ifp->name))
            continue;
        found = true;
        if (!kev__if_key(w, key, ifp->name, KEV_ENC_MACROMAN, f->entity))
            continue;
        kev_value *old;
        kev_value *d = copy_if(w, f, key, &old);
        addr_arrays arr = {{NULL, NULL, NULL, NULL}};
        for (size_t j = 0; j < n && !w->batch_stopped; j++) {
            if (v4)
                v4_entry(w, ifp, &ifp->inet[j], &arr);
            else
                v6_entry(w, ifp, &ifp->inet6[j], &arr);
        }
        update_store(w, f, key, old, d, &arr);
    }
    /* The last address of the named interface went away. */
    if (name && !found && !w->batch_stopped &&
        kev__if_key(w, key, name, KEV_ENC_MACROMAN, f->entity)) {
        kev_value *old;
        kev_value *d = copy_if(w, f, key, &old);
        addr_arrays arr = {{NULL, NULL, NULL, NULL}};
        update_store(w, f, key, old, d, &arr);
    }
}

void kev__ipv4_update(kev_world *w, const char *name)
{
    update_family(w, &fam_v4, name);
}

void kev__ipv6_update(kev_world *w, const char *name)
{
    update_family(w, &fam_v6, name);
}

/* ------------------------------------------------------------------------
 * Handlers
 */

void kev__h_ipv4_update(kev_world *w, kev_ev *e)
{
    kev__ipv4_update(w, e->ifname);
    if (!w->batch_stopped && e->hdr.event_code != KEV_INET_ADDR_DELETED)
        kev__check_interface_link_status(w, e->ifname);
}

/* Notifies ".../<name>/<entity>" with the name in (lenient) ASCII. */
static void notify_entity(kev_world *w, const char *name, const char *entity)
{
    char key[KEV_KEY_CAP];
    if (kev__if_key(w, key, name, KEV_ENC_ASCII, entity))
        (void)kev__cache_notify(w->cache, key);
}

/* Appends "/hh:hh:..." for `n` bytes (the seed's "%s%02x" loop). */
static void append_hw(kev_strbuf *sb, const uint8_t *hw, size_t n)
{
    for (size_t i = 0; i < n; i++)
        kev_strbuf_addf(sb, "%s%02x", i == 0 ? "/" : ":", hw[i]);
}

void kev__h_arp_collision(kev_world *w, kev_ev *e)
{
    uint8_t ip[4], hw_len, hw[255];
    char key[KEV_KEY_CAP], s[16];
    if (!kev__ev_bytes(w, KEV_OFF_COLL_IPADDR, ip, 4) ||
        !kev__ev_u8(w, KEV_OFF_COLL_HWLEN, &hw_len) ||
        !kev__ev_bytes(w, KEV_OFF_COLL_HWADDR, hw, hw_len) ||
        !kev__if_key(w, key, e->ifname, KEV_ENC_ASCII, "IPv4ARPCollision"))
        return;
    kev_strbuf_clear(&w->tmp);
    kev_strbuf_adds(&w->tmp, key);
    fmt_ipv4(s, sizeof s, ip);
    kev_strbuf_addf(&w->tmp, "/%s", s);
    append_hw(&w->tmp, hw, hw_len);
    if (w->tmp.err == 0)
        (void)kev__cache_notify(w->cache, kev_strbuf_str(&w->tmp));
}

void kev__h_port_in_use(kev_world *w, kev_ev *e)
{
    uint8_t port[2];
    uint32_t pid;
    char key[96];
    (void)e;
    if (!kev__ev_bytes(w, KEV_OFF_PORT, port, 2) || !kev__ev_u32(w, KEV_OFF_REQ_PID, &pid))
        return;
    /* The port is already in host order in the event (the kernel applied
     * ntohs); both numbers are printed with %d. */
    snprintf(key, sizeof key, "State:/Network/Protocol/IPv4/PortInUse/%d/%d",
             (int)(port[0] | port[1] << 8), (int)(int32_t)pid);
    (void)kev__cache_notify(w->cache, key);
}

void kev__h_arp_rtr_failure(kev_world *w, kev_ev *e)
{
    notify_entity(w, e->ifname, "IPv4RouterARPFailure");
}

void kev__h_arp_rtr_alive(kev_world *w, kev_ev *e)
{
    notify_entity(w, e->ifname, "IPv4RouterARPAlive");
}

/* ipv6_duplicated_address: ".../IPv6DuplicatedAddress/<addr>/<mac>". */
static void duplicated_address(kev_world *w, kev_ev *e)
{
    uint8_t addr[16], mac[KEV_ETHER_ADDR_LEN];
    char key[KEV_KEY_CAP], s[46];
    if (!kev__ev_bytes(w, KEV_OFF_IN6_ADDR + KEV_OFF_SIN6_ADDR, addr, 16) ||
        !kev__ev_bytes(w, KEV_OFF_IN6_MAC, mac, sizeof mac) ||
        !kev__if_key(w, key, e->ifname, KEV_ENC_ASCII, "IPv6DuplicatedAddress"))
        return;
    kev__fmt_ipv6(s, addr);
    kev_strbuf_clear(&w->tmp);
    kev_strbuf_addf(&w->tmp, "%s/%s", key, s);
    append_hw(&w->tmp, mac, sizeof mac);
    if (w->tmp.err == 0)
        (void)kev__cache_notify(w->cache, kev_strbuf_str(&w->tmp));
}

void kev__h_ipv6_update(kev_world *w, kev_ev *e)
{
    kev__ipv6_update(w, e->ifname);
    if (w->batch_stopped)
        return;
    if (e->hdr.event_code == KEV_INET6_NEW_USER_ADDR) {
        uint32_t flags;
        if (!kev__ev_u32(w, KEV_OFF_IN6_FLAGS, &flags))
            return;
        if (flags & KEV_IN6_IFF_DUPLICATED)
            duplicated_address(w, e);
        if (w->batch_stopped)
            return;
    }
    if (e->hdr.event_code != KEV_INET6_ADDR_DELETED)
        kev__check_interface_link_status(w, e->ifname);
}

void kev__h_nd6_update(kev_world *w, kev_ev *e)
{
    kev__ipv6_update(w, e->ifname);
}

void kev__h_nat64_request(kev_world *w, kev_ev *e)
{
    notify_entity(w, e->ifname, "NAT64PrefixRequest");
}

void kev__h_rtr_expired(kev_world *w, kev_ev *e)
{
    notify_entity(w, e->ifname, "IPv6RouterExpired");
}
