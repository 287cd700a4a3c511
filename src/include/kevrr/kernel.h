/*
 * kevrr/kernel.h: the simulated kernel (what getifaddrs() and the ioctls of
 * eventmon-facts.md section 4.5 answer from).
 *
 * It holds an interface table in attach order. Each interface has a name
 * (the formatted ifr_name, e.g. "en0": 1..15 bytes, any byte but NUL), the
 * IFF_* flags, its media status (what SIOCGIFMEDIA reports), the link
 * quality metric (SIOCGIFLINKQUALITYMETRIC), the route refcount
 * (SIOCGIFGETRTREFCNT), whether SystemConfiguration would call it expensive,
 * and its IPv4 and IPv6 addresses in the order they were added.
 *
 * The table is event-sourced by the core (see kev__kernel_apply_event in the
 * library) and may be loaded first from a snapshot, either through the
 * functions below or from the snapshot text format (kev_kernel_load_text).
 * Reset costs time proportional to the interfaces and addresses held.
 */
#ifndef KEVRR_KERNEL_H
#define KEVRR_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kevrr/strbuf.h"
#include "kevrr/wire.h"

/* Caps: more interfaces, or more addresses of one family on one interface,
 * are refused with KEV_ETOOBIG (events beyond them are ignored by the core,
 * which notes it). */
#define KEV_KERNEL_MAX_IFS 256
#define KEV_KERNEL_MAX_ADDRS 64
/* Cap on one snapshot text. */
#define KEV_KERNEL_MAX_SNAPSHOT ((size_t)1 << 20)

/* IFF_* flag bits (Darwin values). */
#define KEV_IFF_UP 0x1u
#define KEV_IFF_BROADCAST 0x2u
#define KEV_IFF_LOOPBACK 0x8u
#define KEV_IFF_POINTOPOINT 0x10u
#define KEV_IFF_RUNNING 0x40u
#define KEV_IFF_MULTICAST 0x8000u

/* What SIOCGIFMEDIA answers for an interface. */
typedef enum kev_media {
    KEV_MEDIA_NONE,     /* the ioctl fails (no media support, e.g. utun) */
    KEV_MEDIA_UNKNOWN,  /* succeeds, but IFM_AVALID is clear */
    KEV_MEDIA_INACTIVE, /* IFM_AVALID set, IFM_ACTIVE clear */
    KEV_MEDIA_ACTIVE    /* IFM_AVALID and IFM_ACTIVE set */
} kev_media;

/* IFNET_LQM_THRESH_UNKNOWN: what a fresh interface reports. */
#define KEV_LQM_UNKNOWN (-1)

/* One IPv4 address entry as getifaddrs() returns it. The has_* flags model
 * NULL sockaddr pointers (defect D18): the event source always sets them
 * all; only a snapshot can leave one out. `peer` is the broadcast address,
 * or the destination when the interface is IFF_POINTOPOINT. Addresses are in
 * network byte order (byte 0 is the first octet). */
typedef struct kev_inet_addr {
    uint8_t addr[4];
    uint8_t mask[4];
    uint8_t peer[4];
    bool has_addr, has_mask, has_peer;
} kev_inet_addr;

/* One IPv6 address entry. `flags` is what SIOCGIFAFLAG_IN6 returns
 * (IN6_IFF_*) unless `flags_fail` makes that ioctl fail. `dst` is the
 * destination for point-to-point interfaces. */
typedef struct kev_inet6_addr {
    uint8_t addr[16];
    uint8_t mask[16];
    uint8_t dst[16];
    uint32_t flags;
    bool has_addr, has_mask, has_dst;
    bool flags_fail;
} kev_inet6_addr;

typedef struct kev_iface {
    char name[16]; /* NUL-terminated */
    uint32_t flags;
    kev_media media;
    int32_t lqm;
    uint32_t rt_refcnt;
    bool expensive;
    size_t n_inet, n_inet6;
    kev_inet_addr *inet;   /* n_inet entries, owned by the kernel */
    kev_inet6_addr *inet6; /* n_inet6 entries, owned by the kernel */
} kev_iface;

typedef struct kev_kernel kev_kernel;

kev_kernel *kev_kernel_new(void);     /* NULL when out of memory */
void kev_kernel_free(kev_kernel *k);  /* accepts NULL */
void kev_kernel_reset(kev_kernel *k); /* no interfaces again */

size_t kev_kernel_count(const kev_kernel *k);
/* The i-th interface in attach order, or NULL. Borrowed; valid until the
 * kernel changes. */
const kev_iface *kev_kernel_at(const kev_kernel *k, size_t i);
/* The interface whose name equals `name` on its first 16 bytes (strncmp, as
 * eventmon matches getifaddrs entries), or NULL. Mutable access is for the
 * core and for loading snapshots. */
kev_iface *kev_kernel_find(kev_kernel *k, const char *name);
const kev_iface *kev_kernel_find_const(const kev_kernel *k, const char *name);

/* Attaches an interface named `name` (1..15 bytes) with the defaults of a
 * newly attached interface (docs/fidelity.md): flags 0, media INACTIVE
 * (NONE for the families lo, gif, stf, utun, ipsec and ppp),
 * lqm UNKNOWN, refcount 0, expensive for names starting "pdp_ip".
 * Returns 0, KEV_EEXIST when already attached (the existing one is left as
 * it is), KEV_EINVAL for a bad name, KEV_ETOOBIG past the cap. `out` (may be
 * NULL) gets the interface. */
int kev_kernel_attach(kev_kernel *k, const char *name, kev_iface **out);
/* Detaches (removes) an interface and its addresses. 0 or KEV_ENOENT. */
int kev_kernel_detach(kev_kernel *k, const char *name);

/* IPv4 addresses: add or replace (matched on `addr`), remove (0 or
 * KEV_ENOENT). Replacing keeps the entry's position. */
int kev_kernel_inet_set(kev_kernel *k, const char *name, const kev_inet_addr *a);
int kev_kernel_inet_remove(kev_kernel *k, const char *name, const uint8_t addr[4]);
/* IPv6 addresses, matched on `addr`. */
int kev_kernel_inet6_set(kev_kernel *k, const char *name, const kev_inet6_addr *a);
int kev_kernel_inet6_remove(kev_kernel *k, const char *name, const uint8_t addr[16]);
/* The entry for `addr` on `name`, or NULL. */
kev_inet6_addr *kev_kernel_inet6_find(kev_kernel *k, const char *name,
                                      const uint8_t addr[16]);

/* Loads a snapshot in the text form below (docs/scenario.md, Kernel
 * lines), adding to what is there.
 * On error returns KEV_EFORMAT (or another KEV_E*) and, when `err` is not
 * NULL, appends "line N: what is wrong" to it; lines before it stay loaded.
 *
 *   # comment
 *   if NAME [up] [p2p] [flags 0xHEX] [media none|unknown|inactive|active]
 *           [lqm N] [refcnt N] [expensive|cheap]
 *   inet NAME A.B.C.D/LEN [peer A.B.C.D] [noaddr] [nomask] [nopeer]
 *   inet NAME A.B.C.D mask A.B.C.D [peer A.B.C.D] [noaddr] [nomask] [nopeer]
 *   inet6 NAME ADDR/LEN [flags 0xHEX] [peer ADDR] [noaddr] [nomask]
 *           [flagsfail]
 *   inet6 NAME ADDR mask ADDR [flags 0xHEX] [peer ADDR] [noaddr] [nomask]
 *           [flagsfail]
 *
 * `peer` is the other address (an IPv4 broadcast, a point-to-point peer);
 * `dest` and `dst` are older spellings of it, still read.
 * Tokens are separated by spaces and tabs; options come in any order and
 * apply in token order; '#' starts a comment only at the start of a token;
 * a trailing '\r' is ignored. An address takes its mask from /LEN or from
 * `mask` (which the dump uses for a non-contiguous mask), exactly one of
 * the two. ADDR is RFC 4291 text (with "::", and a dotted quad in the last
 * 32 bits). `inet` without `peer` derives the broadcast (addr | ~mask), or
 * for a p2p interface leaves has_peer false. NAME is 1..15 bytes without
 * spaces; the escape \xNN (not \x00) gives any other byte and \\ a
 * backslash; a NAME starting with '#' must escape it. */
int kev_kernel_load_text(kev_kernel *k, const char *text, size_t len,
                         kev_strbuf *err);
/* Loads one line (no '\n' in it; a trailing '\r' is ignored) as
 * kev_kernel_load_text would, appending "DIRECTIVE: what is wrong" without
 * a line number on error: the caller knows where the line is (a scenario's
 * kernel lines). */
int kev_kernel_load_line(kev_kernel *k, const char *line, size_t n, kev_strbuf *err);

/* The longest snapshot source kept (see below), without its NUL. */
#define KEV_SNAPSHOT_SOURCE_MAX 200u

/* Where a snapshot text came from: when its first line is a comment
 * "# source: TEXT", copies TEXT (its first KEV_SNAPSHOT_SOURCE_MAX bytes,
 * bytes outside printable ASCII as '?') into out[cap] and returns true;
 * else out is "" and false. The loader skips the line as any comment. */
bool kev_kernel_snapshot_source(const char *text, size_t len, char *out, size_t cap);

/* Applies every well-framed Apple network event of one recv() batch to the
 * kernel, the way the real kernel changed itself before posting them. The
 * core does this before any profile walks the batch, so it is the same for
 * every profile (docs/fidelity.md): a tool can follow the kernel through a
 * trace without replaying configd (kevrr cut). */
void kev_kernel_apply_batch(kev_kernel *k, const uint8_t *bytes, size_t len);

/* The interface that the event with header `h` and payload p[0..n) (the
 * bytes after the header, within total_size) changes in the simulated
 * kernel: true with its name (if_name and the unit, as ifnet names are
 * formed) in name[16]; false for an event that changes nothing. */
bool kev_kernel_event_iface(const kev_msg_header *h, const uint8_t *p, size_t n,
                            char name[16]);

/* Appends the canonical dump of the kernel, in the snapshot text form above
 * (so a dump loads back to an equal kernel), interfaces in attach order and
 * every option spelled out. */
void kev_kernel_format(const kev_kernel *k, kev_strbuf *out);

#endif
