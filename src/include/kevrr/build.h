/*
 * kevrr/build.h: building kern_event_msg records the way the kernel posts
 * them (eventmon-facts.md s3, "What the kernel actually posts"), for the
 * scenario compiler (kevrr gen), the tests and the fuzzers.
 *
 * All values are plain structs; nothing allocates. Builders write into a
 * caller's buffer and return the number of bytes written, or 0 when it does
 * not fit (or the layout is unknown).
 */
#ifndef KEVRR_BUILD_H
#define KEVRR_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kevrr/events.h"

/* Every field any payload layout carries. Unused fields are ignored. */
typedef struct kev_fields {
    char name[16];           /* if_name (copied up to 16 bytes, NUL-padded) */
    uint32_t unit;
    uint32_t family;         /* if_family */
    uint8_t addr4[4];        /* network order */
    uint32_t prefix4;        /* 0..32 */
    uint8_t dst4[4];         /* point-to-point destination, or zeros */
    uint8_t addr6[16];
    uint32_t prefix6;        /* 0..128 */
    uint8_t dst6[16];
    uint32_t flags6;         /* IN6_IFF_* */
    uint8_t mac[6];          /* ia_mac */
    uint8_t hw_len;          /* ARP collision */
    uint8_t hw[255];
    uint16_t port;           /* host order */
    uint32_t pid;
    uint32_t proto_family;
    uint32_t remaining;
    int32_t lqm;
    uint8_t modid[20];
    uint64_t timestamp;      /* Unix seconds, as the kernel sends */
    uint8_t info[12];
    uint32_t nd6_val;
    uint32_t rrc_state;
} kev_fields;

/* The payload of `layout` filled from `f`. ilp32 selects the i386
 * kev_dl_issues layout. */
size_t kev_build_payload(kev_layout layout, const kev_fields *f, bool ilp32,
                         uint8_t *out, size_t cap);

/* A whole record: header (vendor Apple, class network, total_size = 24 +
 * plen, the given id) followed by `payload`. */
size_t kev_build_record(uint8_t *out, size_t cap, uint32_t subclass, uint32_t code,
                        uint32_t id, const uint8_t *payload, size_t plen);

/* A record for (subclass, code) with the payload layout the event table
 * gives it (KEV_L_NONE: no payload). */
size_t kev_build_event(uint8_t *out, size_t cap, uint32_t subclass, uint32_t code,
                       uint32_t id, const kev_fields *f);

/* Sets f->name from a C string (truncated to 16 bytes) and f->unit. */
void kev_fields_name(kev_fields *f, const char *name, uint32_t unit);

#endif
