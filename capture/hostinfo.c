/*
 * hostinfo.c: the host facts and interface snapshot of hostinfo.h.
 *
 * The snapshot is built by loading getifaddrs()'s answer into a simulated
 * kernel (kevrr/kernel.h) and formatting that, so it is by construction
 * text that kev_kernel_load_text reads back, within the same caps.
 */
#define _DEFAULT_SOURCE /* getifaddrs, IFF_* */
#define _POSIX_C_SOURCE 200809L

#include "hostinfo.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kevrr/error.h"
#include "kevrr/kernel.h"

void kev_host_info_get(kev_host_info *h)
{
    struct utsname u;
    memset(h, 0, sizeof *h);
    if (gethostname(h->hostname, sizeof h->hostname - 1) != 0)
        h->hostname[0] = '\0';
    if (uname(&u) == 0) {
        snprintf(h->os, sizeof h->os, "%s %s", u.sysname, u.release);
        snprintf(h->hardware, sizeof h->hardware, "%s", u.machine);
    }
}

/* The host's IFF_* bits and Darwin's (what the snapshot stores). */
static const struct {
    unsigned host, darwin;
} iff_map[] = {
    {IFF_UP, KEV_IFF_UP},
    {IFF_BROADCAST, KEV_IFF_BROADCAST},
    {IFF_LOOPBACK, KEV_IFF_LOOPBACK},
    {IFF_POINTOPOINT, KEV_IFF_POINTOPOINT},
    {IFF_RUNNING, KEV_IFF_RUNNING},
    {IFF_MULTICAST, KEV_IFF_MULTICAST},
};
#define N_IFF_MAP (sizeof iff_map / sizeof iff_map[0])

static uint32_t darwin_flags(unsigned host)
{
    uint32_t f = 0;
    for (size_t i = 0; i < N_IFF_MAP; i++)
        if (host & iff_map[i].host)
            f |= iff_map[i].darwin;
    return f;
}

/* Attaches (or finds) the interface of `ifa` and sets its flags and media.
 * NULL when it cannot be held (name too long, table full). */
static kev_iface *iface_of(kev_kernel *k, const struct ifaddrs *ifa)
{
    kev_iface *i = kev_kernel_find(k, ifa->ifa_name);
    if (i != NULL)
        return i;
    if (kev_kernel_attach(k, ifa->ifa_name, &i) != 0)
        return NULL;
    i->flags = darwin_flags(ifa->ifa_flags);
    /* Families without media (lo, utun, ...) keep NONE, as attach set. */
    if (i->media != KEV_MEDIA_NONE)
        i->media = (ifa->ifa_flags & IFF_RUNNING) ? KEV_MEDIA_ACTIVE : KEV_MEDIA_INACTIVE;
    return i;
}

static int add_inet(kev_kernel *k, const struct ifaddrs *ifa)
{
    kev_inet_addr a;
    memset(&a, 0, sizeof a);
    memcpy(a.addr, &((const struct sockaddr_in *)(const void *)ifa->ifa_addr)->sin_addr, 4);
    a.has_addr = true;
    if (ifa->ifa_netmask != NULL) {
        memcpy(a.mask, &((const struct sockaddr_in *)(const void *)ifa->ifa_netmask)->sin_addr,
               4);
        a.has_mask = true;
    }
    /* ifa_dstaddr is the broadcast address, or the peer on p2p links. */
    const struct sockaddr *peer = ifa->ifa_dstaddr;
    if (peer != NULL && peer->sa_family == AF_INET &&
        (ifa->ifa_flags & (IFF_BROADCAST | IFF_POINTOPOINT))) {
        memcpy(a.peer, &((const struct sockaddr_in *)(const void *)peer)->sin_addr, 4);
        a.has_peer = true;
    }
    return kev_kernel_inet_set(k, ifa->ifa_name, &a);
}

static int add_inet6(kev_kernel *k, const struct ifaddrs *ifa)
{
    kev_inet6_addr a;
    memset(&a, 0, sizeof a);
    memcpy(a.addr, &((const struct sockaddr_in6 *)(const void *)ifa->ifa_addr)->sin6_addr, 16);
    a.has_addr = true;
    if (ifa->ifa_netmask != NULL) {
        memcpy(a.mask,
               &((const struct sockaddr_in6 *)(const void *)ifa->ifa_netmask)->sin6_addr, 16);
        a.has_mask = true;
    }
    const struct sockaddr *dst = ifa->ifa_dstaddr;
    if (dst != NULL && dst->sa_family == AF_INET6 && (ifa->ifa_flags & IFF_POINTOPOINT)) {
        memcpy(a.dst, &((const struct sockaddr_in6 *)(const void *)dst)->sin6_addr, 16);
        a.has_dst = true;
    }
    return kev_kernel_inet6_set(k, ifa->ifa_name, &a);
}

/* One getifaddrs() entry into the kernel; false when it was left out. */
static bool add_entry(kev_kernel *k, const struct ifaddrs *ifa)
{
    if (ifa->ifa_name == NULL || iface_of(k, ifa) == NULL)
        return false;
    if (ifa->ifa_addr == NULL)
        return true;
    if (ifa->ifa_addr->sa_family == AF_INET)
        return add_inet(k, ifa) == 0;
    if (ifa->ifa_addr->sa_family == AF_INET6)
        return add_inet6(k, ifa) == 0;
    return true; /* AF_LINK, AF_PACKET: the interface alone */
}

int kev_host_snapshot(kev_strbuf *out, size_t *skipped)
{
    struct ifaddrs *list = NULL;
    size_t left_out = 0;
    if (getifaddrs(&list) != 0)
        return KEV_EIO;
    kev_kernel *k = kev_kernel_new();
    if (k == NULL) {
        freeifaddrs(list);
        return KEV_ENOMEM;
    }
    for (const struct ifaddrs *ifa = list; ifa != NULL; ifa = ifa->ifa_next)
        left_out += !add_entry(k, ifa);
    freeifaddrs(list);
    kev_kernel_format(k, out);
    kev_kernel_free(k);
    if (skipped != NULL)
        *skipped = left_out;
    return out->err;
}

const char *kev_snapshot_default(void)
{
#ifdef __APPLE__
    return "host"; /* a Mac's interfaces are what configd would see */
#else
    return "none"; /* another host's interfaces are not a Mac's */
#endif
}

/* Appends the file at `path` (at most KEV_KERNEL_MAX_SNAPSHOT bytes). */
static int read_snapshot_file(const char *path, kev_strbuf *out, kev_strbuf *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        kev_strbuf_addf(err, "%s: %s", path, strerror(errno));
        return -1;
    }
    char chunk[4096];
    size_t n, total = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && total <= KEV_KERNEL_MAX_SNAPSHOT) {
        kev_strbuf_add(out, chunk, n);
        total += n;
    }
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad || total > KEV_KERNEL_MAX_SNAPSHOT) {
        kev_strbuf_addf(err, "%s: %s", path,
                        bad ? "read error" : "longer than the snapshot cap (1 MiB)");
        return -1;
    }
    return 0;
}

int kev_snapshot_take(const char *spec, kev_strbuf *out, size_t *skipped, kev_strbuf *err)
{
    if (skipped != NULL)
        *skipped = 0;
    if (spec == NULL)
        spec = kev_snapshot_default();
    if (strcmp(spec, "none") == 0) {
        kev_strbuf_adds(out, "# source: none (no interfaces: --snapshot none)\n");
        return out->err ? -1 : 0;
    }
    if (strcmp(spec, "host") == 0) {
        kev_host_info h;
        kev_host_info_get(&h);
        kev_strbuf_addf(out, "# source: host getifaddrs (%s%s%s)\n", h.hostname,
                        h.hostname[0] && h.os[0] ? ", " : "", h.os);
        if (kev_host_snapshot(out, skipped) != 0) {
            kev_strbuf_adds(err, "cannot list this host's interfaces (getifaddrs)");
            return -1;
        }
        return 0;
    }
    kev_strbuf_adds(out, "# source: file ");
    for (const char *c = spec; *c; c++)
        kev_strbuf_addc(out, *c >= 0x20 && *c < 0x7f ? *c : '?');
    kev_strbuf_addc(out, '\n');
    size_t at = out->len;
    if (read_snapshot_file(spec, out, err) != 0)
        return -1;
    /* It must load, or every replay of the trace would refuse it. */
    kev_kernel *k = kev_kernel_new();
    int rc = k ? kev_kernel_load_text(k, out->p + at, out->len - at, err) : KEV_ENOMEM;
    kev_kernel_free(k);
    if (rc != 0 && err->len == 0)
        kev_strbuf_adds(err, kev_strerror(rc));
    if (rc != 0) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s: %s", spec, kev_strbuf_str(err));
        kev_strbuf_clear(err);
        kev_strbuf_adds(err, msg);
    }
    return rc == 0 ? 0 : -1;
}
