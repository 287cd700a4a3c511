/*
 * test_edges.c: edge cases of the faithful emulation and of the simulated
 * world, each one a place where an earlier version of the core was wrong:
 * header fields the seed never reads, the handler that runs before a loop
 * is detected, the 32-bit arithmetic, the kernel after D12, the message
 * log of a stopped batch, hardened names that only the kernel knows, and
 * times near the top of the clock.
 */
#include <string.h>

#include "kev_test.h"
#include "testlib.h"

#define IF "State:/Network/Interface"

/* The seed reads kev_class only for Apple and event_code only in the
 * subclasses that switch on it: a vendor-0 record whose header ends past
 * the buffer is skipped, not a crash. */
KEV_TEST(unread_header_fields)
{
    tl_run r;
    tl_run_scenario(&r, KEV_PROFILE_V963, NULL,
                    "attach en0\nbatch\nlink on en0 pad 968\nraw 08000000 00000000\nend\n");
    ASSERT_FALSE(tl_has_finding(&r, 4, NULL));
    ASSERT_FALSE(tl_has_finding(&r, 3, NULL));
    ASSERT_EQ_STR(tl_value(&r, IF "/en0/Link"), "{Active = true}");
    tl_free(&r);
}

/* dataLen only exists for a handled case: an ignored record below 24
 * bytes is not D2. */
KEV_TEST(d2_only_for_handled_codes)
{
    tl_run r;
    tl_run_scenario(&r, KEV_PROFILE_V963, NULL, "event 3 1 size 4 trunc 24\n");
    ASSERT_FALSE(tl_has_finding(&r, 2, NULL));
    tl_free(&r);
    tl_run_scenario(&r, KEV_PROFILE_V963, NULL, "link on en0 size 4 trunc 24\n");
    ASSERT_TRUE(tl_has_finding(&r, 2, "size-below-header"));
    tl_free(&r);
}

/* D1: the handler runs (v888's flag write sticks) before the loop is
 * found to be endless. */
KEV_TEST(d1_handler_runs_first)
{
    tl_run r;
    tl_run_scenario(&r, KEV_PROFILE_V888, NULL,
                    "kernel if en0 up\nproto detached en0 2 0 size 0\n");
    ASSERT_TRUE(tl_has_finding(&r, 17, "proto-marks-down"));
    ASSERT_TRUE(tl_has_finding(&r, 1, "size-zero"));
    ASSERT_EQ_INT(kev_kernel_find(kev_world_kernel(r.w), "en0")->flags & KEV_IFF_UP, 0);
    tl_free(&r);
}

/* D13: a wrap that lands where the walk then ends normally is no hang: the
 * batch commits. */
KEV_TEST(d13_wrap_without_hang)
{
    tl_opts o = {true, false, 0, false};
    tl_run r;
    /* Event 1 at 24 wraps to 4; the total_size read there (bytes 4..8, the
     * vendor field 0x100 of event 0) exceeds the received length. */
    tl_run_scenario(&r, KEV_PROFILE_V888, &o,
                    "attach en0\nbatch\nevent 3 1 vendor 256\n"
                    "event 3 1 vendor 0 size 4294967276 pad 24\nlink on en0\nend\n");
    ASSERT_TRUE(tl_has_finding(&r, 13, "offset-wraps"));
    ASSERT_FALSE(tl_has_finding(&r, 13, "offset-loops"));
    ASSERT_EQ_U64(kev_world_stats_get(r.w)->stopped, 0);
    tl_free(&r);
}

/* D14 on ILP32 also comes from a sum that overflows a 32-bit int. */
KEV_TEST(d14_signed_overflow)
{
    tl_opts o = {true, false, 0, false};
    tl_run r;
    tl_run_scenario(&r, KEV_PROFILE_V963, &o,
                    "batch\nevent 3 1 vendor 0\nevent 3 1 vendor 0 size 2147483632\nend\n");
    ASSERT_TRUE(tl_has_finding(&r, 14, "size-negative"));
    ASSERT_TRUE(tl_has_finding(&r, 14, "header-before-buffer"));
    tl_free(&r);
    /* LP64 computes the same sum in 64 bits: a plain "missed event". */
    tl_run_scenario(&r, KEV_PROFILE_V963, NULL,
                    "batch\nevent 3 1 vendor 0\nevent 3 1 vendor 0 size 2147483632\nend\n");
    ASSERT_EQ_U64(kev_world_stats_get(r.w)->defects, 0);
    ASSERT_CONTAINS(kev_strbuf_str(&r.report), "missed event at offset 24");
    tl_free(&r);
}

/* i386 kev_dl_issues is 64 bytes, all of which the handler reads. */
KEV_TEST(ilp32_issues_size)
{
    tl_opts o = {true, false, 0, false};
    tl_run r;
    tl_run_scenario(&r, KEV_PROFILE_V963, &o,
                    "attach en0\nissues en0 01 1 trunc 86 size 86\n");
    ASSERT_TRUE(tl_has_finding(&r, 6, "read-past-event"));
    tl_free(&r);
    tl_run_scenario(&r, KEV_PROFILE_HARDENED, &o,
                    "attach en0\nissues en0 01 1 trunc 86 size 86\n");
    ASSERT_TRUE(tl_has_finding(&r, 6, "payload-short"));
    ASSERT_EQ_U64(kev_world_stats_get(r.w)->stopped, 0);
    tl_free(&r);
}

/* After D12 the kernel still changes and the startup timer still runs:
 * tick 1 finds the interface configd's dead socket never reported. */
KEV_TEST(kernel_after_d12)
{
    tl_run r;
    tl_run_scenario(&r, KEV_PROFILE_V963, NULL,
                    "attach en0\nerror EAGAIN\nattach en1\nat +7s\nerror EAGAIN\n");
    ASSERT_NOT_NULL(kev_kernel_find(kev_world_kernel(r.w), "en1"));
    ASSERT_EQ_STR(tl_value(&r, IF), "{Interfaces = [\"en0\", \"en1\"]}");
    ASSERT_CONTAINS(kev_strbuf_str(&r.report), "update 1 (of 20) en1");
    tl_free(&r);
}

/* A stopped batch logs nothing: its messages are rolled back with its
 * store changes. */
KEV_TEST(stopped_batch_messages)
{
    tl_run r;
    tl_run_scenario(&r, KEV_PROFILE_V888, NULL,
                    "batch\nattach en1\nraw 00000000\nend\nattach en2\n");
    ASSERT_EQ_STR(tl_value(&r, "Plugin:KernelEventMonitor"),
                  "[\"721692800.00100005: link_add en2\"]");
    tl_free(&r);
}

/* A stop rolls back everything its step logged, whichever step it is:
 * configd crashed before messages_post, so a later step must not post the
 * messages either (docs/fidelity.md, "Crashes and hangs stop the step").
 *
 * The issue's reproduction: batch 0 attaches en0 and a name that is not
 * UTF-8 (D9 stops it); tick 1 adds en0 to the list, logs "update 1 (of 20)
 * en0", then meets the bad name again and stops; batch 1's messages_post
 * must not write that message. */
KEV_TEST(stop_rolls_back_tick)
{
    tl_run r;
    tl_run_scenario(&r, KEV_PROFILE_V963, NULL,
                    "at 1700000000.000000000\n"
                    "raw 3000000001000000010000000200000001000000090000000000000000000000"
                    "656e00000000000000000000000000003000000001000000010000000200000002"
                    "000000090000000000000000000000656ee900000000000000000000000000\n"
                    "at 1700000006.500000000\n"
                    "raw 30000000010000000100000002000000030000000d00000000000000000000"
                    "00656e0000000000000000000000000000\n");
    ASSERT_EQ_STR(tl_value(&r, "Plugin:KernelEventMonitor"), "(absent)");
    const char *rep = kev_strbuf_str(&r.report);
    ASSERT_CONTAINS(rep, "tick 1 t=1700000006.000000000\n  defect D9 name-not-utf8");
    ASSERT_CONTAINS(rep, "crashes\n  stopped: queued store changes discarded\nbatch 1 ");
    ASSERT_EQ_STR(tl_value(&r, IF "/en0/Link"), "{Active = true}");
    ASSERT_EQ_STR(tl_value(&r, IF), "(absent)");
    tl_free(&r);
}

/* prime(): the snapshot's second interface has a name that is not UTF-8;
 * prime logs "prime en0" and crashes on the next one. */
KEV_TEST(stop_rolls_back_prime)
{
    tl_run r;
    tl_run_scenario(&r, KEV_PROFILE_V963, NULL,
                    "kernel if en0 media active\nkernel if en\\xe90\nlink on en0\n");
    ASSERT_EQ_STR(tl_value(&r, "Plugin:KernelEventMonitor"), "(absent)");
    const char *rep = kev_strbuf_str(&r.report);
    ASSERT_CONTAINS(rep, "prime t=1700000000.000000000\n  defect D9 name-not-utf8");
    ASSERT_CONTAINS(rep, "crashes\n  stopped: queued store changes discarded\nbatch 0 ");
    ASSERT_EQ_STR(tl_value(&r, IF "/en0/Link"), "{Active = true}");
    /* prime's forced network-change post never happened. */
    ASSERT_EQ_U64(kev_world_stats_get(r.w)->posts, 0);
    tl_free(&r);
}

/* A batch: link_add logs "link_add en1", then D9 stops the batch; the next
 * batch posts only its own message. */
KEV_TEST(stop_rolls_back_batch)
{
    tl_run r;
    tl_run_scenario(&r, KEV_PROFILE_V963, NULL,
                    "batch\nattach en1\nattach en\\xe90\nend\nattach en2\n");
    ASSERT_EQ_STR(tl_value(&r, "Plugin:KernelEventMonitor"),
                  "[\"721692800.00100005: link_add en2\"]");
    ASSERT_EQ_STR(tl_value(&r, IF), "{Interfaces = [\"en2\"]}");
    ASSERT_EQ_U64(kev_world_stats_get(r.w)->stopped, 1);
    tl_free(&r);
}

/* Hardened refuses a bad name even when only the kernel snapshot has it. */
KEV_TEST(hardened_kernel_names)
{
    tl_run r;
    tl_run_scenario(&r, KEV_PROFILE_HARDENED, NULL,
                    "kernel if a\\x2fb0\nkernel inet a\\x2fb0 10.0.0.2/24\nat +7s\nlqm en0 1\n");
    ASSERT_TRUE(tl_has_finding(&r, 0, "name-invalid"));
    ASSERT_NOT_CONTAINS(tl_final_section(kev_strbuf_str(&r.report)), IF "/a/b0");
    ASSERT_EQ_STR(tl_value(&r, IF), "(absent)");
    tl_free(&r);
    /* v963 takes it as configd would. */
    tl_run_scenario(&r, KEV_PROFILE_V963, NULL, "kernel if a\\x2fb0\nlqm en0 1\n");
    ASSERT_EQ_STR(tl_value(&r, IF), "{Interfaces = [\"a/b0\"]}");
    tl_free(&r);
}

/* Times near 2^64 ns neither overflow (UBSan would say) nor wrap ticks. */
KEV_TEST(clock_extremes)
{
    tl_run r;
    tl_run_scenario(&r, KEV_PROFILE_V963, NULL,
                    "at 18446744000\nattach en0\nat +60s\nattach en1\n");
    const char *rep = kev_strbuf_str(&r.report);
    ASSERT_CONTAINS(rep, "tick 10 t=18446744060.000000000");
    ASSERT_NOT_CONTAINS(rep, "tick 11");
    ASSERT_CONTAINS(rep, "17468436800.00000000: link_add en0");
    tl_free(&r);
    tl_run_scenario(&r, KEV_PROFILE_V963, NULL, "at 0\nattach en0\n");
    ASSERT_CONTAINS(kev_strbuf_str(&r.report), "-978307200.00000000: link_add en0");
    tl_free(&r);
}

/* An IPv6 destination makes the interface point-to-point in the kernel. */
KEV_TEST(ipv6_point_to_point_from_events)
{
    tl_run r;
    tl_run_scenario(&r, KEV_PROFILE_V963, NULL,
                    "attach utun0\ninet6 add utun0 2001:db8::1/128 dest 2001:db8::2\n");
    ASSERT_EQ_STR(tl_value(&r, IF "/utun0/IPv6"),
                  "{Addresses = [\"2001:db8::1\"]; DestAddresses = [\"2001:db8::2\"]; "
                  "Flags = [0]; PrefixLength = [128]}");
    tl_free(&r);
}

/* The notification summary counts at most KEV_NOTES_MAX_KEYS keys one by
 * one; more distinct keys (ARP collisions carry address and MAC) are only
 * counted, so a long trace cannot grow the report's memory. */
KEV_TEST(notification_summary_bounded)
{
    kev_strbuf sc = KEV_STRBUF_INIT;
    kev_strbuf_adds(&sc, "attach en0\n");
    for (int i = 0; i < 5000; i++)
        kev_strbuf_addf(&sc, "arp collision en0 10.%d.%d.1 00:11:22:33:44:55\n", i / 250,
                        i % 250);
    tl_opts quiet = {false, false, 0, false};
    tl_run r;
    tl_run_scenario(&r, KEV_PROFILE_HARDENED, &quiet, kev_strbuf_str(&sc));
    const char *fin = tl_final_section(kev_strbuf_str(&r.report));
    /* 4096 keys: 4095 collisions and the network-change post. */
    ASSERT_CONTAINS(fin, "notifications keys=4096\n");
    ASSERT_CONTAINS(fin, "  (905 more notifications on keys past the first 4096)\n");
    tl_free(&r);
    kev_strbuf_free(&sc);
}

KEV_TEST_MAIN(KEV_T(notification_summary_bounded), KEV_T(unread_header_fields), KEV_T(d2_only_for_handled_codes),
              KEV_T(d1_handler_runs_first), KEV_T(d13_wrap_without_hang),
              KEV_T(d14_signed_overflow), KEV_T(ilp32_issues_size), KEV_T(kernel_after_d12),
              KEV_T(stopped_batch_messages), KEV_T(stop_rolls_back_tick), KEV_T(stop_rolls_back_prime),
              KEV_T(stop_rolls_back_batch), KEV_T(hardened_kernel_names),
              KEV_T(clock_extremes), KEV_T(ipv6_point_to_point_from_events))
