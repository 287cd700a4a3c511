/*
 * source_pf.c: Darwin's kernel event socket, the source configd's
 * eventmon.c reads (eventmon-facts.md s1.2):
 *
 *   1. socket(PF_SYSTEM, SOCK_RAW, SYSPROTO_EVENT);
 *   2. ioctl(SIOCSKEVFILT) with a struct kev_request {vendor_code,
 *      kev_class, kev_subclass} (default 1/1/0: Apple, network, any).
 *      A new socket's vendor filter is 0xFFFFFFFF, so without this ioctl it
 *      receives nothing;
 *   3. the options every source shares (non-blocking when asked).
 *
 * Each recv() then returns exactly one event (one mbuf record, s1.4); the
 * common receive path of source.c applies. This file is compiled for real
 * only on Darwin. No Mac runs CI, so it is kept short enough to check line
 * by line against the facts, its constants are checked against the facts
 * at compile time, and a test compiles it on every system against stub
 * headers (capture/stub/, KEV_PF_SYSTEM_STUB) that hold the facts' values.
 */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L
#ifndef _DARWIN_C_SOURCE /* kev_target_setup defines it on Darwin */
#define _DARWIN_C_SOURCE    /* PF_SYSTEM in <sys/socket.h> */
#endif

#include "source_impl.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The default filter: KEV_VENDOR_APPLE, KEV_NETWORK_CLASS, KEV_ANY_SUBCLASS
 * (s2.1), what configd asks for. */
#define PF_DEFAULT_VENDOR 1ul
#define PF_DEFAULT_CLASS 1ul
#define PF_DEFAULT_SUBCLASS 0ul

int kev__source_parse_filter(const char *rest, unsigned long v[3])
{
    v[0] = PF_DEFAULT_VENDOR;
    v[1] = PF_DEFAULT_CLASS;
    v[2] = PF_DEFAULT_SUBCLASS;
    if (*rest == '\0')
        return 0;
    if (*rest++ != ':')
        return -1;
    for (int i = 0; i < 3; i++) {
        char *end;
        if (*rest < '0' || *rest > '9')
            return -1;
        errno = 0;
        v[i] = strtoul(rest, &end, 10);
        /* The codes are u_int32_t in struct kev_request. */
        if (errno != 0 || v[i] > UINT32_MAX || *end != (i < 2 ? '/' : '\0'))
            return -1;
        rest = end + (i < 2);
    }
    return 0;
}

#if defined(__APPLE__) || defined(KEV_PF_SYSTEM_STUB)

#include <sys/ioctl.h>
#include <sys/kern_event.h>
#include <sys/socket.h>
#include <sys/sys_domain.h>
#include <unistd.h>

/* The facts' values (s1.2); a header that disagrees stops the build. */
_Static_assert(PF_SYSTEM == 32, "PF_SYSTEM is 32 (eventmon-facts.md s1.2)");
_Static_assert(SYSPROTO_EVENT == 1, "SYSPROTO_EVENT is 1");
_Static_assert(SIOCSKEVFILT == 0x800C6502ul, "SIOCSKEVFILT is _IOW('e',2,kev_request)");
_Static_assert(sizeof(struct kev_request) == 12, "struct kev_request is 3 x u32");

kev_source *kev__source_open_pf_system(const char *spec, const char *rest,
                                       const kev_source_opts *o, char *err, size_t errlen)
{
    unsigned long v[3];
    if (kev__source_parse_filter(rest, v) != 0) {
        kev__source_err(err, errlen, "%s: expected pf_system or pf_system:VENDOR/CLASS/SUBCLASS",
                        spec);
        return NULL;
    }
    int fd = socket(PF_SYSTEM, SOCK_RAW, SYSPROTO_EVENT);
    if (fd < 0) {
        kev__source_err(err, errlen, "%s: socket(PF_SYSTEM): %s", spec, strerror(errno));
        return NULL;
    }
    struct kev_request req;
    memset(&req, 0, sizeof req);
    req.vendor_code = (uint32_t)v[0];
    req.kev_class = (uint32_t)v[1];
    req.kev_subclass = (uint32_t)v[2];
    if (ioctl(fd, SIOCSKEVFILT, &req) != 0) {
        kev__source_err(err, errlen, "%s: ioctl(SIOCSKEVFILT): %s", spec, strerror(errno));
        close(fd);
        return NULL;
    }
    char filter[KEV_SOURCE_MAX_FILTER];
    snprintf(filter, sizeof filter, "vendor=%lu class=%lu subclass=%lu", v[0], v[1], v[2]);
    kev_source *s = kev__source_setup(fd, spec, o, err, errlen) == 0
                        ? kev__source_new(fd, spec, filter)
                        : NULL;
    if (s == NULL)
        close(fd);
    return s;
}

#else

kev_source *kev__source_open_pf_system(const char *spec, const char *rest,
                                       const kev_source_opts *o, char *err, size_t errlen)
{
    (void)rest;
    (void)o;
    kev__source_err(err, errlen,
                    "%s: Darwin's kernel event socket does not exist on this system "
                    "(use unix:/path, udp:HOST:PORT or fd:N)",
                    spec);
    return NULL;
}

#endif
