/*
 * capture/stub/sys/kern_event.h: a stand-in for Darwin's <sys/kern_event.h>
 * holding only what source_pf.c uses, with the values of
 * eventmon-facts.md s1.2 (xnu bsd/sys/kern_event.h). It lets the test build
 * compile the Darwin source on any system (KEV_PF_SYSTEM_STUB); it is never
 * used on Darwin, where the real header is checked against the same values.
 */
#ifndef KEV_STUB_SYS_KERN_EVENT_H
#define KEV_STUB_SYS_KERN_EVENT_H

#include <stdint.h>

struct kev_request {
    uint32_t vendor_code;
    uint32_t kev_class;
    uint32_t kev_subclass;
};

/* _IOW('e', 2, struct kev_request) in Darwin's encoding. */
#define SIOCSKEVFILT 0x800C6502ul

#endif
