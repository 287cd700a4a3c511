/*
 * defect_cases.h: the minimal input of every seed defect D1-D18, the
 * profiles that have it and how the original fails. Shared by
 * test_defects.c and test_props.c.
 */
#ifndef KEV_DEFECT_CASES_H
#define KEV_DEFECT_CASES_H

#include <stdbool.h>

#include "kevrr/world.h"

#define V8 (1u << KEV_PROFILE_V888)
#define V9 (1u << KEV_PROFILE_V963)
#define V14 (1u << KEV_PROFILE_V1405)

typedef struct defect_case {
    int id;
    const char *code;      /* the finding code expected */
    unsigned has;          /* faithful profiles that report it */
    bool stops;            /* the original crashes or hangs there */
    bool ilp32, verbose;
    const char *scenario;
} defect_case;

static const defect_case defect_cases[] = {
    {1, "size-zero", V8 | V9 | V14, true, false, false, "raw 00000000\n"},
    {1, "size-zero", V8 | V9 | V14, true, false, false,
     "raw 000000000000000000000000000000000000000000000000\n"},
    /* 24 bytes H(4,1,1,2,9) and nothing else: dataLen wraps. */
    {2, "size-below-header", V8 | V9 | V14, false, false, false,
     "attach en0 size 4 trunc 24\n"},
    /* Event 1 at offset 24 has total_size 4 and its header lies past the 28
     * received bytes. */
    {3, "header-past-data", V8 | V9 | V14, false, false, false,
     "raw 180000000000000000000000000000000000000000000000 04000000\n"},
    /* A 4-byte record at offset 1020: its header is read past the buffer. */
    {4, "header-past-buffer", V8 | V9 | V14, true, false, false,
     "batch\nevent 3 1 vendor 0 pad 996\nraw 04000000\nend\n"},
    /* An unterminated name that ends at offset 1024. */
    {5, "name-scan-past-buffer", V8 | V9 | V14, true, false, false,
     "batch\nevent 3 1 vendor 0 pad 952\nattach AAAAAAAAAAAAAAAA:0\nend\n"},
    {5, "name-unterminated", V8 | V9 | V14, false, false, false,
     "batch\nattach AAAAAAAAAAAAAAAA:0\nattach en0\nend\n"},
    /* LQM with only a net_event_data: the metric is read past the event. */
    {6, "read-past-event", V8 | V9 | V14, false, false, false,
     "attach en0\nlqm en0 5 trunc 48 size 48\n"},
    {6, "read-past-event", V8 | V9 | V14, false, false, false,
     "attach en0\nissues en0 01 1 trunc 48 size 48\n"},
    /* total_size 25: the next header is misaligned. */
    {7, "misaligned-header", V8 | V9 | V14, false, false, false,
     "batch\nevent 3 1 pad 1\nevent 3 1\nend\n"},
    /* A 1100-byte record cut to configd's 1024-byte buffer. */
    {8, "record-truncated", V8 | V9 | V14, false, false, false, "event 3 1 pad 1076\n"},
    /* A name that is not UTF-8 crashes v963 on the link path. */
    {9, "name-not-utf8", V9 | V14, true, false, false, "attach en0\nlink on \\xff0\n"},
    /* A valid 2-byte character at positions 14-15, cut in half by the
     * 15-byte truncation (the name fills its field; `pad 1` ends it). */
    {9, "name-not-utf8", V9 | V14, true, false, false,
     "link on abcdefghijklmn\\xc3\\xa9:7 pad 1\n"},
    /* v1405's new IFDELEGATE_CHANGED case converts the name with UTF-8 too. */
    {9, "name-not-utf8", V14, true, false, false, "attach en0\nevent 2 25 \\xff0\n"},
    {10, "name-not-ascii", V8 | V9 | V14, false, false, false, "arp rtr-failure \\xe90\n"},
    {11, "name-ends-in-digit", V8 | V9 | V14, false, false, false,
     "attach utun1:23\nattach utun:123\n"},
    /* v1405 prints the unit with %u (docs/configd-1405.md s5). */
    {11, "unit-negative", V8 | V9, false, false, false, "attach en:4294967295\n"},
    {11, "name-truncated", V8 | V9 | V14, false, false, false, "attach abcdefghijklmn:123\n"},
    {12, "recv-error", V8 | V9 | V14, false, false, false, "error EAGAIN\nattach en0\n"},
    /* ILP32 v888: offset 24 + 0xFFFFFFE8 wraps to 0, and the loop runs
     * events 0 and 1 forever. */
    {13, "offset-wraps", V8, false, true, false,
     "batch\nevent 3 1 vendor 0\nevent 3 1 vendor 0 size 4294967272\nend\n"},
    {13, "offset-loops", V8, true, true, false,
     "batch\nevent 3 1 vendor 0\nevent 3 1 vendor 0 size 4294967272\nend\n"},
    /* ILP32 v963: (ssize_t)0x80000000 is negative: the check passes and the
     * next header is read 2 GiB before the buffer. */
    {14, "size-negative", V9 | V14, false, true, false, "event 3 1 vendor 0 size 2147483648\n"},
    {14, "header-before-buffer", V9 | V14, true, true, false,
     "event 3 1 vendor 0 size 2147483648\n"},
    /* ... and when the jump lands inside the buffer, the loop never ends. */
    {14, "offset-loops", V9 | V14, true, true, false,
     "batch\nevent 3 1 vendor 0\nevent 3 1 vendor 0 size 4294967272\nend\n"},
    {15, "timestamp-epoch", V8 | V9 | V14, false, false, false,
     "attach en0\nissues en0 01 1700000000\n"},
    /* Verbose logEvent on a 30-byte event reads the word at +28. */
    {16, "log-read-past-event", V8 | V9 | V14, false, false, true,
     "attach en0 size 30 trunc 30\n"},
    {17, "proto-marks-down", V8, false, false, false,
     "attach en0\nproto detached en0 2 0\n"},
    {18, "ifaddr-null", V8 | V9 | V14, true, false, false,
     "kernel if en0\nkernel inet en0 10.0.0.2/24 noaddr\ninet add en0 10.0.0.3/24\n"},
    {18, "ifaddr-null", V8 | V9 | V14, true, false, false,
     "kernel if en0\nkernel inet en0 10.0.0.2/24 nomask\ninet add en0 10.0.0.3/24\n"},
};

#endif
