/*
 * handlers_dl.c: the link-layer side of KernelEventMonitor (ev_dlil.c and
 * the shared services of eventmon.c): interface names and store keys, the
 * message log, the interface list, link status, link quality, link issues,
 * detaching, idle routes, v1405's interface delegation, and v888's PROTO_*
 * flag side effect. Also the
 * handler table the walker dispatches through.
 *
 * Every store read goes through the cache (cache.c Copy) and every write is
 * queued in it, exactly as the plugin's cache_SCDynamicStore* wrappers do;
 * only the message log is written directly.
 */
#include <stdio.h>
#include <string.h>

#include "kev_core.h"
#include "kevrr/error.h"

/* ------------------------------------------------------------------------
 * Names and keys
 */

/* Mac OS Roman 0x80..0xFF to Unicode (the CF MacRoman table). */
static const uint16_t macroman[128] = {
    0x00c4, 0x00c5, 0x00c7, 0x00c9, 0x00d1, 0x00d6, 0x00dc, 0x00e1,
    0x00e0, 0x00e2, 0x00e4, 0x00e3, 0x00e5, 0x00e7, 0x00e9, 0x00e8,
    0x00ea, 0x00eb, 0x00ed, 0x00ec, 0x00ee, 0x00ef, 0x00f1, 0x00f3,
    0x00f2, 0x00f4, 0x00f6, 0x00f5, 0x00fa, 0x00f9, 0x00fb, 0x00fc,
    0x2020, 0x00b0, 0x00a2, 0x00a3, 0x00a7, 0x2022, 0x00b6, 0x00df,
    0x00ae, 0x00a9, 0x2122, 0x00b4, 0x00a8, 0x2260, 0x00c6, 0x00d8,
    0x221e, 0x00b1, 0x2264, 0x2265, 0x00a5, 0x00b5, 0x2202, 0x2211,
    0x220f, 0x03c0, 0x222b, 0x00aa, 0x00ba, 0x03a9, 0x00e6, 0x00f8,
    0x00bf, 0x00a1, 0x00ac, 0x221a, 0x0192, 0x2248, 0x2206, 0x00ab,
    0x00bb, 0x2026, 0x00a0, 0x00c0, 0x00c3, 0x00d5, 0x0152, 0x0153,
    0x2013, 0x2014, 0x201c, 0x201d, 0x2018, 0x2019, 0x00f7, 0x25ca,
    0x00ff, 0x0178, 0x2044, 0x20ac, 0x2039, 0x203a, 0xfb01, 0xfb02,
    0x2021, 0x00b7, 0x201a, 0x201e, 0x2030, 0x00c2, 0x00ca, 0x00c1,
    0x00cb, 0x00c8, 0x00cd, 0x00ce, 0x00cf, 0x00cc, 0x00d3, 0x00d4,
    0xf8ff, 0x00d2, 0x00da, 0x00db, 0x00d9, 0x0131, 0x02c6, 0x02dc,
    0x00af, 0x02d8, 0x02d9, 0x02da, 0x00b8, 0x02dd, 0x02db, 0x02c7,
};

/* Appends code point `cp` (< 0x10000) as UTF-8; returns the bytes used. */
static size_t put_utf8(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    out[0] = (char)(0xe0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when invalid
 * (overlong forms, surrogates and values past U+10FFFF are invalid). */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    size_t len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
                 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (len == 0 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) ||
        (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
        return 0;
    return len;
}

static bool has_high_byte(const char *name)
{
    for (const uint8_t *p = (const uint8_t *)name; *p; p++)
        if (*p >= 0x80)
            return true;
    return false;
}

/* UTF-8 conversion that fails like CFStringCreateWithCString(..., UTF8). */
static bool convert_utf8(kev_world *w, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name), o = 0;
    const uint8_t *s = (const uint8_t *)name;
    for (size_t i = 0; i < n;) {
        size_t len = utf8_seq(s + i, n - i);
        if (len == 0) {
            if (w->prof->faithful)
                kev__finding(w, 9, "name-not-utf8", 0, true,
                             "ifr_name byte 0x%02x at %zu is not valid UTF-8: "
                             "CFStringCreateWithCString returns NULL and "
                             "CFRelease(NULL) crashes",
                             s[i], i);
            else
                kev__finding(w, 9, "name-not-utf8", 0, false,
                             "interface name is not valid UTF-8; skipped");
            return false;
        }
        if (o + len >= cap)
            return false;
        memcpy(out + o, s + i, len);
        o += len;
        i += len;
    }
    out[o] = '\0';
    return true;
}

/* Copies an all-ASCII name (every encoding maps it to itself). Returns
 * false, copying nothing, when a byte is >= 0x80 or it does not fit. */
static bool copy_ascii(const char *name, char *out, size_t cap)
{
    size_t i = 0;
    for (; name[i]; i++)
        if ((unsigned char)name[i] >= 0x80 || i + 1 >= cap)
            return false;
    memcpy(out, name, i + 1);
    return true;
}

bool kev__name_convert(kev_world *w, const char *name, kev_enc enc, char *out,
                       size_t cap)
{
    /* The common case: interface names are ASCII. */
    if (copy_ascii(name, out, cap))
        return true;
    if (enc == KEV_ENC_UTF8)
        return convert_utf8(w, name, out, cap);
    if (enc == KEV_ENC_ASCII && w->prof->faithful && has_high_byte(name) &&
        !kev__finding(w, 10, "name-not-ascii", 0, false,
                      "ifr_name has bytes >= 0x80 on an ASCII-encoded path; "
                      "CF-1153 reads them as Latin-1"))
        return false;
    size_t o = 0;
    for (const uint8_t *p = (const uint8_t *)name; *p; p++) {
        if (o + 4 > cap)
            return false;
        uint32_t cp = *p < 0x80 || enc == KEV_ENC_ASCII ? *p : macroman[*p - 0x80];
        o += put_utf8(out + o, cp);
    }
    out[o] = '\0';
    return true;
}

bool kev__kernel_name_ok(kev_world *w, const char *name)
{
    if (w->prof->faithful)
        return true;
    for (const uint8_t *p = (const uint8_t *)name; *p; p++) {
        if (*p <= 0x20 || *p >= 0x7f || *p == '/') {
            kev__finding(w, *p >= 0x80 ? 9 : 0, "name-invalid", 0, false,
                         "kernel interface name has byte 0x%02x, not allowed in a "
                         "store key; interface skipped",
                         *p);
            return false;
        }
    }
    return true;
}

bool kev__if_key(kev_world *w, char out[KEV_KEY_CAP], const char *name,
                 kev_enc enc, const char *entity)
{
    static const char prefix[] = KEV_INTERFACES_KEY "/";
    const size_t plen = sizeof prefix - 1;
    memcpy(out, prefix, plen);
    /* The converted name (at most 45 bytes) goes straight into the key. */
    if (!kev__name_convert(w, name, enc, out + plen, 64))
        return false;
    size_t n = plen + strlen(out + plen), elen = strlen(entity);
    if (n + 1 + elen >= KEV_KEY_CAP)
        return false;
    out[n] = '/';
    memcpy(out + n + 1, entity, elen + 1);
    return true;
}

/* ------------------------------------------------------------------------
 * Cache helpers
 */

static void cache_result(kev_world *w, int rc, const char *op, const char *key)
{
    if (rc != 0 && kev__reporting(w))
        kev__report_line(w, "  cache %s %s failed: %s", op, key, kev_strerror(rc));
}

static void cset(kev_world *w, const char *key, kev_value *v)
{
    cache_result(w, kev__cache_set(w->cache, key, v), "set", key);
}

static void cremove(kev_world *w, const char *key)
{
    cache_result(w, kev__cache_remove(w->cache, key), "remove", key);
}

static void cnotify(kev_world *w, const char *key)
{
    cache_result(w, kev__cache_notify(w->cache, key), "notify", key);
}

/* The store's dictionary under `key` through the cache (new ref), or NULL
 * when absent or not a dictionary. */
static kev_value *copy_dict(kev_world *w, const char *key)
{
    kev_value *v = kev__cache_copy(w->cache, key);
    if (v != NULL && kev_value_type(v) != KEV_VT_DICT) {
        kev_value_unref(v);
        v = NULL;
    }
    return v;
}

/* copy_entity: a mutable copy of the dictionary under `key`, or a new one. */
static kev_value *copy_entity(kev_world *w, const char *key)
{
    kev_value *old = copy_dict(w, key);
    kev_value *d = old ? kev_value_copy(old) : kev_value_dict_new();
    kev_value_unref(old);
    return d;
}

static void dict_set_bool(kev_value *d, const char *k, bool b)
{
    (void)kev_value_dict_set(d, k, kev_value_bool(b));
}

/* ------------------------------------------------------------------------
 * Messages (S_messages, on the trace clock)
 */

void kev__messages_add(kev_world *w, const char *msg, const char *arg)
{
    if (w->messages == NULL || kev_value_count(w->messages) >= KEV_MESSAGES_MAX)
        return;
    char when[KEV_CF_TIME_CAP], uarg[64];
    /* CFAbsoluteTimeGetCurrent() as configd computes and prints it, in
     * every profile (docs/fidelity.md). */
    kev__cf_time_configd(w->now, when);
    if (!kev__name_convert(w, arg, KEV_ENC_MACROMAN, uarg, sizeof uarg))
        return;
    char line[160];
    int n = snprintf(line, sizeof line, "%s: %s %s", when, msg, uarg);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    if (kev_value_array_append(w->messages, kev_value_string(line, len)) == 0)
        w->messages_modified = true;
}

void kev__messages_post(kev_world *w)
{
    if (w->messages == NULL || !w->messages_modified)
        return;
    /* The store gets its own copy: S_messages keeps growing afterwards. */
    kev_value *snap = kev_value_copy(w->messages);
    if (snap != NULL)
        (void)kev_store_set_value(w->store, KEV_MESSAGES_KEY, snap, &w->observer);
    kev_value_unref(snap);
    w->messages_modified = false;
}

/* ------------------------------------------------------------------------
 * Link status (S_link_update_status and interface_update_status)
 */

/* SIOCGIFMEDIA: the Active value, or NULL when not available. */
static const bool *media_active(const kev_iface *ifp)
{
    static const bool yes = true, no = false;
    if (ifp == NULL)
        return NULL;
    switch (ifp->media) {
    case KEV_MEDIA_ACTIVE:
        return &yes;
    case KEV_MEDIA_INACTIVE:
        return &no;
    default:
        return NULL;
    }
}

static void update_status(kev_world *w, const char *key, const bool *active,
                          bool attach, bool expensive, bool only_if_different)
{
    kev_value *old = copy_dict(w, key);
    kev_value *d = old ? kev_value_copy(old) : kev_value_dict_new();
    if (d == NULL) {
        kev_value_unref(old);
        return;
    }
    if (active)
        dict_set_bool(d, "Active", *active);
    else
        kev_value_dict_remove(d, "Active");
    if (attach)
        kev_value_dict_remove(d, "Detaching");
    if (expensive)
        dict_set_bool(d, "Expensive", true);
    else
        kev_value_dict_remove(d, "Expensive");
    if (kev_value_count(d) > 0) {
        if (!only_if_different || old == NULL || !kev_value_equal(old, d))
            cset(w, key, kev_value_ref(d));
    } else if (w->prof->status_remove_absent || !only_if_different || old != NULL) {
        /* v888/v963 queue the removal even when there is nothing to remove;
         * v1405 only when asked to or when the key exists. */
        cremove(w, key);
    }
    kev_value_unref(d);
    kev_value_unref(old);
}

void kev__link_update_status(kev_world *w, const char *name, bool attach,
                             bool only_if_different)
{
    char key[KEV_KEY_CAP];
    if (!kev__if_key(w, key, name, w->prof->dl_enc, "Link"))
        return;
    const kev_iface *ifp = kev_kernel_find_const(w->kernel, name);
    const bool *active = media_active(ifp);
    bool expensive = false;
    /* v963 asks only when the link is up or unknown; v888 always does. */
    if (w->prof->expensive_always || active == NULL || *active)
        expensive = ifp != NULL && ifp->expensive;
    update_status(w, key, active, attach, expensive, only_if_different);
}

/* link_update_status_if_missing, through check_interface_link_status: only
 * while the message log exists (the startup window). */
void kev__check_interface_link_status(kev_world *w, const char *name)
{
    char key[KEV_KEY_CAP];
    if (w->messages == NULL || !kev__if_key(w, key, name, w->prof->dl_enc, "Link"))
        return;
    kev_value *v = kev__cache_copy(w->cache, key);
    if (v != NULL) {
        kev_value_unref(v);
        return;
    }
    kev__link_update_status(w, name, false, false);
    if (w->batch_stopped)
        return;
    v = kev__cache_copy(w->cache, key);
    if (v != NULL)
        kev__messages_add(w, "added missing link status", name);
    kev_value_unref(v);
}

/* interface_update_quality_metric: LinkQuality {LinkQuality: q}, removed
 * when q is IFNET_LQM_THRESH_UNKNOWN. */
static void update_quality(kev_world *w, const char *name, int32_t q)
{
    char key[KEV_KEY_CAP];
    if (!kev__if_key(w, key, name, w->prof->dl_enc, "LinkQuality"))
        return;
    kev_value *d = copy_entity(w, key);
    if (d == NULL)
        return;
    if (q != KEV_LQM_THRESH_UNKNOWN)
        (void)kev_value_dict_set(d, "LinkQuality", kev_value_int(q));
    else
        kev_value_dict_remove(d, "LinkQuality");
    if (kev_value_count(d) > 0)
        cset(w, key, kev_value_ref(d));
    else
        cremove(w, key);
    kev_value_unref(d);
}

/* link_update_quality_metric: SIOCGIFLINKQUALITYMETRIC, -1 when it fails. */
static void read_quality(kev_world *w, const char *name)
{
    const kev_iface *ifp = kev_kernel_find_const(w->kernel, name);
    update_quality(w, name, ifp ? ifp->lqm : KEV_LQM_THRESH_UNKNOWN);
}

/* ------------------------------------------------------------------------
 * The interface list (State:/Network/Interface)
 */

static kev_value *list_copy(kev_world *w)
{
    kev_value *d = copy_dict(w, KEV_INTERFACES_KEY);
    const kev_value *a = d ? kev_value_dict_get(d, "Interfaces") : NULL;
    kev_value *list = a && kev_value_type(a) == KEV_VT_ARRAY ? kev_value_copy(a)
                                                             : kev_value_array_new();
    kev_value_unref(d);
    return list;
}

static void list_update(kev_world *w, kev_value *list)
{
    kev_value *d = copy_entity(w, KEV_INTERFACES_KEY);
    if (d == NULL)
        return;
    (void)kev_value_dict_set(d, "Interfaces", kev_value_ref(list));
    cset(w, KEV_INTERFACES_KEY, d);
}

/* interfaceListAddInterface: 1 when added (and its link status and quality
 * primed), 0 when present (status refreshed if different), -1 when the name
 * did not convert. */
static int list_add(kev_world *w, kev_value *list, const char *name)
{
    char uname[64];
    if (!kev__name_convert(w, name, w->prof->dl_enc, uname, sizeof uname))
        return -1;
    size_t ulen = strlen(uname);
    if (!kev_value_array_has_string(list, uname, ulen)) {
        (void)kev_value_array_append(list, kev_value_string(uname, ulen));
        kev__link_update_status(w, name, true, false);
        if (!w->batch_stopped)
            read_quality(w, name);
        return 1;
    }
    kev__link_update_status(w, name, false, true);
    return 0;
}

void kev__update_interfaces(kev_world *w, const char *msg, bool first_time)
{
    kev_value *list = list_copy(w);
    bool added = false;
    if (list == NULL)
        return;
    for (size_t i = 0; i < kev_kernel_count(w->kernel) && !w->batch_stopped; i++) {
        char name[KEV_IFNAMSIZ];
        memcpy(name, kev_kernel_at(w->kernel, i)->name, sizeof name);
        if (!kev__kernel_name_ok(w, name))
            continue;
        if (list_add(w, list, name) == 1) {
            kev__messages_add(w, msg, name);
            added = true;
        }
    }
    if (added && !w->batch_stopped)
        list_update(w, list);
    kev_value_unref(list);
    if (first_time && !w->batch_stopped) {
        kev__ipv4_update(w, NULL);
        if (!w->batch_stopped)
            kev__ipv6_update(w, NULL);
    }
}

/* ------------------------------------------------------------------------
 * DL handlers
 */

void kev__h_link_add(kev_world *w, kev_ev *e)
{
    kev_value *list = list_copy(w);
    if (list == NULL)
        return;
    if (list_add(w, list, e->ifname) == 1 && !w->batch_stopped) {
        kev__messages_add(w, "link_add", e->ifname);
        list_update(w, list);
    }
    kev_value_unref(list);
}

/* interface_remove: the link-layer keys of a removed interface. */
static void remove_link_keys(kev_world *w, const char *name)
{
    static const char *const entities[] = {"Link", "NAT64", "LinkQuality",
                                           "LinkIssues"};
    for (size_t i = 0; i < sizeof entities / sizeof entities[0]; i++) {
        char key[KEV_KEY_CAP];
        if (i == 1 && !w->prof->nat64_on_remove)
            continue;
        if (!kev__if_key(w, key, name, w->prof->dl_enc, entities[i]))
            return;
        cremove(w, key);
    }
}

void kev__h_link_remove(kev_world *w, kev_ev *e)
{
    char uname[64];
    if (!kev__name_convert(w, e->ifname, w->prof->dl_enc, uname, sizeof uname))
        return;
    kev_value *list = list_copy(w);
    if (list == NULL)
        return;
    if (kev_value_array_remove_string(list, uname, strlen(uname))) {
        remove_link_keys(w, e->ifname);
        if (!w->batch_stopped)
            list_update(w, list);
    }
    kev_value_unref(list);
}

void kev__h_link_detaching(kev_world *w, kev_ev *e)
{
    char key[KEV_KEY_CAP];
    if (!kev__if_key(w, key, e->ifname, w->prof->dl_enc, "Link"))
        return;
    kev_value *d = copy_entity(w, key);
    if (d == NULL)
        return;
    dict_set_bool(d, "Detaching", true);
    cset(w, key, d);
}

void kev__h_link_status(kev_world *w, kev_ev *e)
{
    kev__link_update_status(w, e->ifname, false, false);
}

/* v888: SIOCGIFFLAGS then SIOCSIFFLAGS with IFF_UP set, or cleared when no
 * protocol remains: the payload drives a real flag write (D17). */
void kev__h_proto_mark(kev_world *w, kev_ev *e)
{
    uint32_t family, remaining;
    if (!kev__ev_u32(w, KEV_OFF_PROTO_FAMILY, &family) ||
        !kev__ev_u32(w, KEV_OFF_PROTO_REMAINING, &remaining))
        return;
    kev_iface *ifp = kev_kernel_find(w->kernel, e->ifname);
    if (ifp == NULL)
        return; /* SIOCGIFFLAGS fails: nothing is written */
    if (remaining == 0) {
        kev__finding(w, 17, "proto-marks-down", e->off, false,
                     "%s with remaining 0 (pf %u) clears IFF_UP on %s through "
                     "SIOCSIFFLAGS",
                     e->def->name, family, ifp->name);
        ifp->flags &= ~KEV_IFF_UP;
    } else {
        ifp->flags |= KEV_IFF_UP;
    }
    if (kev__reporting(w)) {
        kev_strbuf_adds(&w->out, "  kernel SIOCSIFFLAGS ");
        kev__report_text_escaped(&w->out, ifp->name);
        kev_strbuf_adds(&w->out, remaining == 0 ? " IFF_UP cleared\n" : " IFF_UP set\n");
    }
}

/* v963: the event is only logged, which still reads both fields. */
void kev__h_proto_log(kev_world *w, kev_ev *e)
{
    uint32_t family, remaining;
    (void)e;
    if (kev__ev_u32(w, KEV_OFF_PROTO_FAMILY, &family))
        (void)kev__ev_u32(w, KEV_OFF_PROTO_REMAINING, &remaining);
}

/* v1405 interface_update_delegation: a notify of .../InterfaceDelegation,
 * the name through create_interface_cfstring (UTF-8: D9). */
void kev__h_ifdelegate(kev_world *w, kev_ev *e)
{
    char key[KEV_KEY_CAP];
    if (kev__if_key(w, key, e->ifname, w->prof->dl_enc, "InterfaceDelegation"))
        cnotify(w, key);
}

void kev__h_idle_route(kev_world *w, kev_ev *e)
{
    const kev_iface *ifp = kev_kernel_find_const(w->kernel, e->ifname);
    char key[KEV_KEY_CAP];
    /* Only when SIOCGIFGETRTREFCNT still answers 0. */
    if (ifp == NULL || ifp->rt_refcnt != 0)
        return;
    if (kev__if_key(w, key, e->ifname, w->prof->idle_enc, "IdleRoute"))
        cnotify(w, key);
}

void kev__h_link_quality(kev_world *w, kev_ev *e)
{
    uint32_t q;
    if (kev__ev_u32(w, KEV_OFF_LQM, &q))
        update_quality(w, e->ifname, (int32_t)q);
}

static bool read_u64(kev_world *w, uint32_t poff, uint64_t *v)
{
    uint32_t lo, hi;
    if (!kev__ev_u32(w, poff, &lo) || !kev__ev_u32(w, poff + 4, &hi))
        return false;
    *v = (uint64_t)lo | ((uint64_t)hi << 32);
    return true;
}

void kev__h_link_issues(kev_world *w, kev_ev *e)
{
    uint8_t modid[KEV_DLIL_MODIDLEN], info[KEV_DLIL_MODARGLEN];
    static const uint8_t zero[KEV_DLIL_MODARGLEN];
    uint64_t ts;
    uint32_t ts_off = w->opts.ilp32 ? KEV_OFF_ISSUES_TIMESTAMP_I386 : KEV_OFF_ISSUES_TIMESTAMP;
    uint32_t info_off = w->opts.ilp32 ? KEV_OFF_ISSUES_INFO_I386 : KEV_OFF_ISSUES_INFO;
    if (!kev__ev_bytes(w, KEV_OFF_ISSUES_MODID, modid, sizeof modid) ||
        !read_u64(w, ts_off, &ts) || !kev__ev_bytes(w, info_off, info, sizeof info))
        return;
    char key[KEV_KEY_CAP];
    if (!kev__if_key(w, key, e->ifname, w->prof->dl_enc, "LinkIssues"))
        return;
    kev_value *d = copy_entity(w, key);
    if (d == NULL)
        return;
    (void)kev_value_dict_set(d, "ModuleID", kev_value_data(modid, sizeof modid));
    if (memcmp(info, zero, sizeof info) != 0)
        (void)kev_value_dict_set(d, "Info", kev_value_data(info, sizeof info));
    else
        kev_value_dict_remove(d, "Info");
    double when = (double)ts;
    if (w->prof->issues_unix_epoch)
        when -= (double)KEV_CF_EPOCH_OFFSET;
    else
        kev__finding(w, 15, "timestamp-epoch", e->off + KEV_MSG_HEADER_SIZE + ts_off,
                     false,
                     "TimeStamp %llu is Unix time but CFDateCreate takes "
                     "CFAbsoluteTime: the date is stored 978307200 s late",
                     (unsigned long long)ts);
    (void)kev_value_dict_set(d, "TimeStamp", kev_value_date(when));
    cset(w, key, d);
}

/* ------------------------------------------------------------------------
 * The handler table
 */

const kev_handler_fn kev__handlers[KEV_H__COUNT] = {
    [KEV_H_NONE] = NULL,
    [KEV_H_IPV4_UPDATE] = kev__h_ipv4_update,
    [KEV_H_ARP_COLLISION] = kev__h_arp_collision,
    [KEV_H_PORT_IN_USE] = kev__h_port_in_use,
    [KEV_H_ARP_RTR_FAILURE] = kev__h_arp_rtr_failure,
    [KEV_H_ARP_RTR_ALIVE] = kev__h_arp_rtr_alive,
    [KEV_H_IPV6_UPDATE] = kev__h_ipv6_update,
    [KEV_H_ND6_UPDATE] = kev__h_nd6_update,
    [KEV_H_NAT64_REQUEST] = kev__h_nat64_request,
    [KEV_H_RTR_EXPIRED] = kev__h_rtr_expired,
    [KEV_H_LINK_ADD] = kev__h_link_add,
    [KEV_H_LINK_DETACHING] = kev__h_link_detaching,
    [KEV_H_LINK_REMOVE] = kev__h_link_remove,
    [KEV_H_LINK_STATUS] = kev__h_link_status,
    [KEV_H_PROTO_MARK] = kev__h_proto_mark,
    [KEV_H_PROTO_LOG] = kev__h_proto_log,
    [KEV_H_IDLE_ROUTE] = kev__h_idle_route,
    [KEV_H_LINK_QUALITY] = kev__h_link_quality,
    [KEV_H_LINK_ISSUES] = kev__h_link_issues,
    [KEV_H_IFDELEGATE] = kev__h_ifdelegate,
};
