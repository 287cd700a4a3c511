/*
 * world_cases.h: the well-formed scenarios of test_world.c with their
 * expected store values and report lines. Shared with test_props.c, which
 * runs the same inputs through the differential and determinism checks.
 */
#ifndef KEV_WORLD_CASES_H
#define KEV_WORLD_CASES_H

#include <stdbool.h>

#include "kevrr/world.h"

#define H (1u << KEV_PROFILE_HARDENED)
#define V8 (1u << KEV_PROFILE_V888)
#define V9 (1u << KEV_PROFILE_V963)
#define V14 (1u << KEV_PROFILE_V1405)
#define ALL (H | V8 | V9 | V14)

#define IF "State:/Network/Interface"

typedef struct expect {
    const char *key;   /* a store key, or NULL for a report check */
    const char *value; /* rendered value, "(absent)", or report text */
    bool absent_text;  /* report check: the text must NOT appear */
} expect;

typedef struct world_case {
    const char *name;
    unsigned profiles;
    const char *scenario;
    expect ex[8];
} world_case;

static const world_case world_cases[] = {
    {"attach", ALL, "attach en0\n",
     {{IF, "{Interfaces = [\"en0\"]}"},
      {IF "/en0/Link", "{Active = false}"},
      {IF "/en0/LinkQuality", "(absent)"},
      {"Plugin:KernelEventMonitor", "[\"721692800.00000000: link_add en0\"]"}}},
    /* The message log's clock is configd's double (CFDate.c): 1 ms past the
     * second prints ...00100005, 2 ms ...00199997 (docs/fidelity.md). */
    {"message clock 1 ms", ALL, "at 1700000000.001\nattach en0\n",
     {{"Plugin:KernelEventMonitor", "[\"721692800.00100005: link_add en0\"]"}}},
    {"message clock 2 ms", ALL, "at 1700000000.002\nattach en0\n",
     {{"Plugin:KernelEventMonitor", "[\"721692800.00199997: link_add en0\"]"}}},
    {"attach tunnel has no media", ALL, "attach utun0\n",
     {{IF, "{Interfaces = [\"utun0\"]}"}, {IF "/utun0/Link", "(absent)"},
      {NULL, "  remove " IF "/utun0/Link (absent)"}}},
    {"attach twice keeps one entry", ALL, "attach en0\nattach en0\n",
     {{IF, "{Interfaces = [\"en0\"]}"}}},
    {"link on", ALL, "attach en0\nlink on en0\n", {{IF "/en0/Link", "{Active = true}"}}},
    {"link off", ALL, "attach en0\nlink on en0\nlink off en0\n",
     {{IF "/en0/Link", "{Active = false}"}}},
    {"expensive when up", ALL, "attach pdp_ip0\nlink on pdp_ip0\n",
     {{IF "/pdp_ip0/Link", "{Active = true; Expensive = true}"}}},
    /* v963 computes Expensive only when the link is up or unknown. */
    {"expensive when down v963", H | V9 | V14, "attach pdp_ip0\n",
     {{IF "/pdp_ip0/Link", "{Active = false}"}}},
    {"expensive when down v888", V8, "attach pdp_ip0\n",
     {{IF "/pdp_ip0/Link", "{Active = false; Expensive = true}"}}},
    {"link for unknown interface", ALL, "link on en5\n",
     {{IF "/en5/Link", "(absent)"}, {NULL, "  remove " IF "/en5/Link (absent)"}}},
    {"detaching", ALL, "attach en0\ndetaching en0\n",
     {{IF "/en0/Link", "{Active = false; Detaching = true}"}}},
    {"detach v963 removes NAT64", H | V9 | V14,
     "attach en0\nattach en1\nlqm en0 50\ndetach en0\n",
     {{IF, "{Interfaces = [\"en1\"]}"},
      {IF "/en0/Link", "(absent)"},
      {IF "/en0/LinkQuality", "(absent)"},
      {NULL, "  remove " IF "/en0/NAT64 (absent)"}}},
    {"detach v888 keeps NAT64", V8, "attach en0\ndetach en0\n",
     {{IF, "{Interfaces = []}"},
      {NULL, "  remove " IF "/en0/NAT64", true},
      {NULL, "  remove " IF "/en0/Link"}}},
    {"detach unknown does nothing", ALL, "attach en0\ndetach en7\n",
     {{IF, "{Interfaces = [\"en0\"]}"}, {NULL, "  remove " IF "/en7/Link", true}}},
    {"lqm", ALL, "attach en0\nlqm en0 50\n",
     {{IF "/en0/LinkQuality", "{LinkQuality = 50}"}}},
    {"lqm unknown removes", ALL, "attach en0\nlqm en0 50\nlqm en0 -1\n",
     {{IF "/en0/LinkQuality", "(absent)"}}},
    {"lqm off is kept", ALL, "attach en0\nlqm en0 -2\n",
     {{IF "/en0/LinkQuality", "{LinkQuality = -2}"}}},
    {"issues faithful epoch", V8 | V9 | V14,
     "attach en0\nissues en0 0102030405 1700000000 0a0b\n",
     {{IF "/en0/LinkIssues",
       "{Info = <0a0b00000000000000000000>; ModuleID = "
       "<0102030405000000000000000000000000000000>; TimeStamp = "
       "date(2054-11-14T22:13:20Z)}"}}},
    {"issues hardened epoch", H, "attach en0\nissues en0 0102030405 1700000000\n",
     {{IF "/en0/LinkIssues",
       "{ModuleID = <0102030405000000000000000000000000000000>; TimeStamp = "
       "date(2023-11-14T22:13:20Z)}"}}},
    {"idle route", ALL, "attach en0\nidle en0\n",
     {{NULL, "  notify " IF "/en0/IdleRoute (absent)"}, {IF "/en0/IdleRoute", "(absent)"}}},
    {"idle route unknown interface", ALL, "idle en3\n",
     {{NULL, "IdleRoute", true}}},
    {"proto detached v888 marks down", V8,
     "attach en0\ninet add en0 10.0.0.2/24\nproto detached en0 2 0\n",
     {{NULL, "  kernel SIOCSIFFLAGS en0 IFF_UP cleared"},
      {NULL, "if en0 flags 0x0 "}}},
    {"proto attached v888 marks up", V8, "attach en0\nproto attached en0 2 1\n",
     {{NULL, "  kernel SIOCSIFFLAGS en0 IFF_UP set"}, {NULL, "if en0 flags 0x1 "}}},
    {"proto v963 only logs", H | V9 | V14, "attach en0\nproto detached en0 2 0\n",
     {{NULL, "SIOCSIFFLAGS", true}, {NULL, "if en0 flags 0x0 "}}},
    {"inet add", ALL, "attach en0\ninet add en0 10.0.0.2/24\n",
     {{IF "/en0/IPv4",
       "{Addresses = [\"10.0.0.2\"]; BroadcastAddresses = [\"10.0.0.255\"]; "
       "SubnetMasks = [\"255.255.255.0\"]}"},
      {NULL, "  post com.apple.system.config.network_change"}}},
    {"inet two addresses", ALL,
     "attach en0\ninet add en0 10.0.0.2/24\ninet add en0 192.168.1.5/16\n",
     {{IF "/en0/IPv4",
       "{Addresses = [\"10.0.0.2\", \"192.168.1.5\"]; BroadcastAddresses = "
       "[\"10.0.0.255\", \"192.168.255.255\"]; SubnetMasks = [\"255.255.255.0\", "
       "\"255.255.0.0\"]}"}}},
    {"inet point-to-point", ALL, "attach utun0\ninet add utun0 10.8.0.2/32 dest 10.8.0.1\n",
     {{IF "/utun0/IPv4", "{Addresses = [\"10.8.0.2\"]; DestAddresses = [\"10.8.0.1\"]}"}}},
    {"inet del removes", ALL,
     "attach en0\ninet add en0 10.0.0.2/24\ninet del en0 10.0.0.2/24\n",
     {{IF "/en0/IPv4", "(absent)"}, {NULL, "  remove " IF "/en0/IPv4\n"}}},
    {"inet change", ALL,
     "attach en0\ninet add en0 10.0.0.2/24\ninet netmask en0 10.0.0.2/16\n",
     {{IF "/en0/IPv4",
       "{Addresses = [\"10.0.0.2\"]; BroadcastAddresses = [\"10.0.255.255\"]; "
       "SubnetMasks = [\"255.255.0.0\"]}"}}},
    {"inet keeps other properties", ALL,
     "attach en0\ninet add en0 10.0.0.2/24\ninet dstaddr en0 10.0.0.2/24\n"
     "inet brdaddr en0 10.0.0.2/24\ninet change en0 10.0.0.2/24\n",
     {{IF "/en0/IPv4",
       "{Addresses = [\"10.0.0.2\"]; BroadcastAddresses = [\"10.0.0.255\"]; "
       "SubnetMasks = [\"255.255.255.0\"]}"}}},
    {"inet6 add", ALL, "attach en0\ninet6 add en0 2001:db8::5/64 flags 0x40\n",
     {{IF "/en0/IPv6",
       "{Addresses = [\"2001:db8::5\"]; Flags = [64]; PrefixLength = [64]}"}}},
    {"inet6 link-local scope cleared", ALL,
     "attach en0\ninet6 ll en0 fe80:4::1/64 flags 0x20\n",
     {{IF "/en0/IPv6", "{Addresses = [\"fe80::1\"]; Flags = [32]; PrefixLength = [64]}"}}},
    {"inet6 rtadv and change", ALL,
     "attach en0\ninet6 rtadv en0 2001:db8::7/64\ninet6 change en0 2001:db8::7/64 flags 0x10\n",
     {{IF "/en0/IPv6", "{Addresses = [\"2001:db8::7\"]; Flags = [16]; PrefixLength = [64]}"}}},
    {"inet6 del", ALL, "attach en0\ninet6 add en0 2001:db8::5/64\ninet6 del en0 2001:db8::5/64\n",
     {{IF "/en0/IPv6", "(absent)"}}},
    {"inet6 duplicated", ALL,
     "attach en0\ninet6 add en0 2001:db8::9/64 flags 0x4 mac 00:11:22:33:44:55\n",
     {{NULL, "  notify " IF "/en0/IPv6DuplicatedAddress/2001:db8::9/00:11:22:33:44:55"}}},
    {"inet6 point-to-point", ALL,
     "kernel if utun1 p2p\ninet6 add utun1 2001:db8::1/128 dest 2001:db8::2\n",
     {{IF "/utun1/IPv6",
       "{Addresses = [\"2001:db8::1\"]; DestAddresses = [\"2001:db8::2\"]; Flags = [0]; "
       "PrefixLength = [128]}"}}},
    {"prefix length quirk", ALL,
     "kernel if en0\nkernel inet6 en0 2001:db8::1 mask ffff:ffff:ffff:ffff:8100::\n"
     "inet6 change en0 2001:db8::2/64\n",
     {{NULL, "PrefixLength = [65, 64]"}}},
    {"flags ioctl failure", ALL,
     "kernel if en0\nkernel inet6 en0 2001:db8::1/64 flagsfail\ninet6 change en0 2001:db8::2/64\n",
     {{NULL, "Flags = [7708, 0]"}}},
    /* v1405 (docs/configd-1405.md): IFDELEGATE_CHANGED notifies
     * InterfaceDelegation (s2); an unchanged IPv6 dictionary is set again
     * (s3); ticks do not re-remove an absent Link (s4); units are unsigned
     * (s5). */
    {"ifdelegate v1405 notifies", V14, "attach en0\nevent 2 25 en0\n",
     {{NULL, "  handler interface_update_delegation ifname=\"en0\"\n"
             "  notify " IF "/en0/InterfaceDelegation (absent)\n  commit changed=1\nfinal"},
      {IF "/en0/InterfaceDelegation", "(absent)"}}},
    {"ifdelegate ignored before v1405", H | V8 | V9, "attach en0\nevent 2 25 en0\n",
     {{NULL, "KEV_DL_IFDELEGATE_CHANGED ignored"}, {NULL, "InterfaceDelegation", true}}},
    {"inet6 unchanged set again v1405", V14,
     "attach en0\ninet6 add en0 2001:db8::5/64\ninet6 change en0 2001:db8::5/64\n",
     {{NULL, "KEV_INET6_CHANGED_ADDR\n  handler interface_update_ipv6 ifname=\"en0\"\n"
             "  set " IF "/en0/IPv6 = {Addresses = [\"2001:db8::5\"]; Flags = [0]; "
             "PrefixLength = [64]}\n  commit changed=1\nfinal"}}},
    {"inet6 unchanged not set before v1405", H | V8 | V9,
     "attach en0\ninet6 add en0 2001:db8::5/64\ninet6 change en0 2001:db8::5/64\n",
     {{NULL, "KEV_INET6_CHANGED_ADDR\n  handler interface_update_ipv6 ifname=\"en0\"\n"
             "final"}}},
    {"ticks re-remove an absent link before v1405", H | V8 | V9,
     "attach utun0\nat +7s\nlqm utun0 1\n",
     {{NULL, "tick 1 t=1700000006.000000000\n  remove " IF "/utun0/Link (absent)\n"
             "  commit changed=0\n"}}},
    {"ticks leave an absent link alone v1405", V14, "attach utun0\nat +7s\nlqm utun0 1\n",
     {{NULL, "tick 1 t=1700000006.000000000\nbatch 1 "}}},
    {"unit printed unsigned v1405", V14, "attach a:2147483648\n",
     {{IF, "{Interfaces = [\"a2147483648\"]}"}}},
    {"defrouter v888 re-reads", V8, "attach en0\ninet6 defrouter en0\n",
     {{NULL, "  handler interface_update_ipv6"}}},
    {"defrouter v963 ignores", H | V9 | V14, "attach en0\ninet6 defrouter en0\n",
     {{NULL, "KEV_INET6_DEFROUTER ignored"}}},
    {"nat64 request", H | V9 | V14, "attach en0\ninet6 nat64 en0\n",
     {{NULL, "  notify " IF "/en0/NAT64PrefixRequest (absent)"}}},
    {"nat64 v888 ignores", V8, "attach en0\ninet6 nat64 en0\n",
     {{NULL, "KEV_INET6_REQUEST_NAT64_PREFIX ignored"}, {NULL, "NAT64PrefixRequest", true}}},
    {"nd6 router expired", H | V9 | V14, "attach en0\nnd6 rtr-expired en0\n",
     {{NULL, "  notify " IF "/en0/IPv6RouterExpired (absent)"}}},
    {"nd6 expired re-reads", H | V9 | V14,
     "attach en0\ninet6 add en0 2001:db8::5/64\nnd6 expired en0 2001:db8::5\n",
     {{IF "/en0/IPv6", "(absent)"}}},
    {"nd6 deprecated flags", H | V9 | V14,
     "attach en0\ninet6 add en0 2001:db8::5/64\nnd6 deprecated en0 2001:db8::5\n",
     {{IF "/en0/IPv6", "{Addresses = [\"2001:db8::5\"]; Flags = [16]; PrefixLength = [64]}"}}},
    {"nd6 detached flags", H | V9 | V14,
     "attach en0\ninet6 add en0 2001:db8::5/64\nnd6 detached en0 2001:db8::5\n",
     {{IF "/en0/IPv6", "{Addresses = [\"2001:db8::5\"]; Flags = [8]; PrefixLength = [64]}"}}},
    {"nd6 v888 ignores", V8, "attach en0\nnd6 rtr-expired en0\n",
     {{NULL, "KEV_ND6_SUBCLASS ignored"}}},
    {"arp collision", ALL, "attach en0\narp collision en0 10.0.0.9 0a:0b:0c:0d:0e:0f\n",
     {{NULL, "  notify " IF "/en0/IPv4ARPCollision/10.0.0.9/0a:0b:0c:0d:0e:0f (absent)"}}},
    {"arp collision no hw", ALL, "attach en0\narp collision en0 10.0.0.9 -\n",
     {{NULL, "  notify " IF "/en0/IPv4ARPCollision/10.0.0.9 (absent)"}}},
    {"arp router failure", ALL, "arp rtr-failure en0\narp rtr-alive en0\n",
     {{NULL, "  notify " IF "/en0/IPv4RouterARPFailure (absent)"},
      {NULL, "  notify " IF "/en0/IPv4RouterARPAlive (absent)"}}},
    {"port in use", ALL, "portinuse 5353 4242\n",
     {{NULL, "  notify State:/Network/Protocol/IPv4/PortInUse/5353/4242 (absent)"}}},
    {"ignored dl code", ALL, "event 2 1 en0\n",
     {{NULL, "KEV_DL_SIFFLAGS ignored"}, {NULL, "  commit changed", true}}},
    {"unknown subclass", ALL, "event 12 1\n", {{NULL, "KEV_MPTCP_SUBCLASS"}}},
    {"other vendor skipped", ALL, "attach en0 vendor 7\n",
     {{NULL, "vendor=7 skipped"}, {IF, "(absent)"}}},
    {"prime lists snapshot interfaces", ALL,
     "kernel if en0 media active\nkernel inet en0 10.0.0.2/24\nlqm en0 30\n",
     {{IF, "{Interfaces = [\"en0\"]}"},
      {IF "/en0/Link", "{Active = true}"},
      {IF "/en0/IPv4",
       "{Addresses = [\"10.0.0.2\"]; BroadcastAddresses = [\"10.0.0.255\"]; "
       "SubnetMasks = [\"255.255.255.0\"]}"},
      {NULL, "721692800.00000000: prime en0"}}},
    /* The startup window: 20 ticks of 6 s, then the message log is gone. */
    {"ticks run on the trace clock", ALL,
     "kernel if en0\nlqm en0 30\nat +13s\nlqm en0 40\n",
     {{NULL, "tick 2 t=1700000012.000000000"}, {NULL, "tick 3", true}}},
    {"message log closes after 120 s", ALL,
     "kernel if en0\nlqm en0 30\nat +121s\nattach en1\n",
     {{NULL, "tick 20 t=1700000120.000000000"},
      {"Plugin:KernelEventMonitor", "[\"721692800.00000000: prime en0\"]"},
      {IF, "{Interfaces = [\"en0\", \"en1\"]}"}}},
};

#endif
