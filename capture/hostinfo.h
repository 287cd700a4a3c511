/*
 * capture/hostinfo.h: what a capture records about the host it runs on:
 * host name, OS and release, hardware (uname), and an interface snapshot
 * from getifaddrs() in the text form kev_kernel_load_text reads, so that
 * `kevrr replay` of a captured trace starts from the interfaces the host
 * had. `kevrr capture` and kevmond are its clients.
 */
#ifndef KEV_CAPTURE_HOSTINFO_H
#define KEV_CAPTURE_HOSTINFO_H

#include <stddef.h>

#include "kevrr/strbuf.h"

/* Caps on each field (longer values are cut). */
#define KEV_HOST_MAX_NAME 256u
#define KEV_HOST_MAX_OS 256u
#define KEV_HOST_MAX_HW 128u

typedef struct kev_host_info {
    char hostname[KEV_HOST_MAX_NAME]; /* "" when unknown */
    char os[KEV_HOST_MAX_OS];         /* "Linux 6.8.0", "Darwin 17.7.0" */
    char hardware[KEV_HOST_MAX_HW];   /* "x86_64" */
} kev_host_info;

/* Fills `h` from gethostname() and uname(); fields it cannot learn are "". */
void kev_host_info_get(kev_host_info *h);

/* Appends the interface snapshot (kev_kernel_format's text) built from
 * getifaddrs(): every interface in the order getifaddrs() first names it
 * (at most KEV_KERNEL_MAX_IFS), its IFF flags (UP, BROADCAST, LOOPBACK,
 * POINTOPOINT, RUNNING, MULTICAST as Darwin numbers them), its media
 * status taken from IFF_RUNNING (active or inactive; none for the families
 * that have no media), and its IPv4 and IPv6 addresses with their masks and
 * broadcast or destination addresses (at most KEV_KERNEL_MAX_ADDRS of each
 * family). Entries beyond the caps, and names longer than 15 bytes, are
 * left out and counted in *skipped (may be NULL). Returns 0, or a KEV_E*
 * code when getifaddrs() fails or memory runs out. */
int kev_host_snapshot(kev_strbuf *out, size_t *skipped);

/* The default of --snapshot: "host" on Darwin (a Mac's interfaces are what
 * configd sees), "none" elsewhere (another host's are not a Mac's). */
const char *kev_snapshot_default(void);

/* The snapshot `kevrr capture --snapshot` and kevmond start from: `spec`
 * "host" (kev_host_snapshot), "none" (no interface), a FILE in the snapshot
 * text form (it must load), or NULL for kev_snapshot_default(). Appends to
 * `out` a first line "# source: ..." saying where it came from ("host
 * getifaddrs (NAME, OS)", "none (...)", "file PATH"; the report's
 * snapshot-source line), then the snapshot text. Returns 0, or -1 with
 * the reason appended to `err` ("PATH: line 3: ..."). *skipped (may be
 * NULL): host entries left out (see kev_host_snapshot). */
int kev_snapshot_take(const char *spec, kev_strbuf *out, size_t *skipped, kev_strbuf *err);

#endif
