/*
 * test_kernel.c: the simulated kernel (kevrr/kernel.h): the interface table
 * and its address lists, the snapshot text parser with each of its error
 * messages, the IPv6 text parser and RFC 5952 printer, and the property
 * that a dump loads back to a kernel with a byte-identical dump.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kev_test.h"
#include "kevrr/error.h"
#include "kevrr/kernel.h"
#include "kevrr/strbuf.h"
#include "kevrr/wire.h"

/* ---- helpers ---- */

/* Loads `text` into `k`, failing the test (with the message) on error. */
static void load_into(kev_kernel *k, const char *text)
{
    kev_strbuf err = KEV_STRBUF_INIT;
    int rc = kev_kernel_load_text(k, text, strlen(text), &err);
    if (rc != 0)
        KEV__FAIL("load failed (%s): %s\ntext:\n%s", kev_err_name(rc),
                  kev_strbuf_str(&err), text);
    ASSERT_EQ_INT(err.len, 0);
    kev_strbuf_free(&err);
}

static kev_kernel *load_new(const char *text)
{
    kev_kernel *k = kev_kernel_new();
    ASSERT_NOT_NULL(k);
    load_into(k, text);
    return k;
}

/* Loads `text` into a fresh kernel and asserts the code and the message. */
static void expect_error(const char *text, int want_rc, const char *want_msg)
{
    kev_kernel *k = kev_kernel_new();
    kev_strbuf err = KEV_STRBUF_INIT;
    ASSERT_NOT_NULL(k);
    int rc = kev_kernel_load_text(k, text, strlen(text), &err);
    if (rc != want_rc)
        KEV__FAIL("text:\n%s\ngave %s (%s), want %s", text, kev_err_name(rc),
                  kev_strbuf_str(&err), kev_err_name(want_rc));
    ASSERT_EQ_STR(kev_strbuf_str(&err), want_msg);
    kev_strbuf_free(&err);
    kev_kernel_free(k);
}

/* The dump of `k` as a malloc'd string (the caller frees). */
static char *dump(const kev_kernel *k)
{
    kev_strbuf sb = KEV_STRBUF_INIT;
    kev_kernel_format(k, &sb);
    ASSERT_EQ_INT(sb.err, 0);
    char *s = malloc(sb.len + 1);
    ASSERT_NOT_NULL(s);
    memcpy(s, kev_strbuf_str(&sb), sb.len + 1);
    kev_strbuf_free(&sb);
    return s;
}

/* The round-trip property: load(format(k)) dumps byte-identically; also
 * checks that the reloaded kernel's dump reloads identically again. */
static void assert_round_trip(const kev_kernel *k)
{
    char *a = dump(k);
    kev_kernel *k2 = load_new(a);
    char *b = dump(k2);
    ASSERT_EQ_STR(b, a);
    ASSERT_EQ_U64(kev_kernel_count(k2), kev_kernel_count(k));
    kev_kernel *k3 = load_new(b);
    char *c = dump(k3);
    ASSERT_EQ_STR(c, b);
    free(a);
    free(b);
    free(c);
    kev_kernel_free(k2);
    kev_kernel_free(k3);
}

static kev_inet_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    kev_inet_addr x;
    memset(&x, 0, sizeof x);
    x.addr[0] = a, x.addr[1] = b, x.addr[2] = c, x.addr[3] = d;
    memset(x.mask, 0xff, 3);
    x.peer[0] = a, x.peer[1] = b, x.peer[2] = c, x.peer[3] = 255;
    x.has_addr = x.has_mask = x.has_peer = true;
    return x;
}

static kev_inet6_addr v6(uint8_t last, uint32_t flags)
{
    kev_inet6_addr x;
    memset(&x, 0, sizeof x);
    x.addr[0] = 0xfe, x.addr[1] = 0x80, x.addr[15] = last;
    memset(x.mask, 0xff, 8);
    x.flags = flags;
    x.has_addr = x.has_mask = true;
    return x;
}

/* Parses `text` as an inet6 address through a snapshot; into out[16]. */
static void parse6(const char *text, uint8_t out[16])
{
    char buf[256];
    snprintf(buf, sizeof buf, "if en0\ninet6 en0 %s/64\n", text);
    kev_kernel *k = load_new(buf);
    const kev_iface *f = kev_kernel_at(k, 0);
    ASSERT_EQ_U64(f->n_inet6, 1);
    memcpy(out, f->inet6[0].addr, 16);
    kev_kernel_free(k);
}

/* Asserts that `text` is refused as an IPv6 address, for `why`. */
static void parse6_bad(const char *text, const char *why)
{
    char buf[256], msg[512];
    snprintf(buf, sizeof buf, "if en0\ninet6 en0 %s/64\n", text);
    snprintf(msg, sizeof msg,
             "line 2: inet6: address \"%s\" is not an IPv6 address: %s", text,
             why);
    expect_error(buf, KEV_EFORMAT, msg);
}

/* The RFC 5952 text the dump gives for the 8 groups g. */
static void assert_fmt6(const uint16_t g[8], const char *want)
{
    kev_kernel *k = kev_kernel_new();
    kev_inet6_addr a = v6(0, 0);
    for (int i = 0; i < 8; i++) {
        a.addr[2 * i] = (uint8_t)(g[i] >> 8);
        a.addr[2 * i + 1] = (uint8_t)g[i];
    }
    memset(a.mask, 0xff, 16);
    ASSERT_EQ_INT(kev_kernel_attach(k, "en0", NULL), 0);
    ASSERT_EQ_INT(kev_kernel_inet6_set(k, "en0", &a), 0);
    char *s = dump(k);
    char line[256];
    snprintf(line, sizeof line, "\ninet6 en0 %s/128 flags 0x0\n", want);
    ASSERT_CONTAINS(s, line);
    /* And the text parses back to the same bytes. */
    uint8_t back[16];
    parse6(want, back);
    ASSERT_EQ_MEM(back, a.addr, 16);
    free(s);
    kev_kernel_free(k);
}

/* ---- the interface table ---- */

KEV_TEST(attach_defaults)
{
    kev_kernel *k = kev_kernel_new();
    kev_iface *f = NULL;
    ASSERT_EQ_U64(kev_kernel_count(k), 0);
    ASSERT_EQ_INT(kev_kernel_attach(k, "en0", &f), 0);
    ASSERT_NOT_NULL(f);
    ASSERT_EQ_STR(f->name, "en0");
    ASSERT_EQ_U64(f->flags, 0);
    ASSERT_EQ_INT(f->media, KEV_MEDIA_INACTIVE);
    ASSERT_EQ_INT(f->lqm, KEV_LQM_UNKNOWN);
    ASSERT_EQ_INT(f->lqm, -1);
    ASSERT_EQ_U64(f->rt_refcnt, 0);
    ASSERT_FALSE(f->expensive);
    ASSERT_EQ_U64(f->n_inet, 0);
    ASSERT_EQ_U64(f->n_inet6, 0);
    ASSERT_EQ_INT(kev_kernel_attach(k, "pdp_ip0", &f), 0);
    ASSERT_TRUE(f->expensive);
    ASSERT_EQ_INT(kev_kernel_attach(k, "pdp_ip", &f), 0);
    ASSERT_TRUE(f->expensive);
    ASSERT_EQ_INT(kev_kernel_attach(k, "pdp_i", &f), 0);
    ASSERT_FALSE(f->expensive);
    ASSERT_EQ_INT(kev_kernel_attach(k, "xpdp_ip0", &f), 0);
    ASSERT_FALSE(f->expensive);
    ASSERT_EQ_U64(kev_kernel_count(k), 5);
    ASSERT_EQ_STR(kev_kernel_at(k, 0)->name, "en0");
    ASSERT_EQ_STR(kev_kernel_at(k, 4)->name, "xpdp_ip0");
    ASSERT_NULL(kev_kernel_at(k, 5));
    kev_kernel_free(k);
    kev_kernel_free(NULL);
}

KEV_TEST(attach_duplicate)
{
    kev_kernel *k = kev_kernel_new();
    kev_iface *f = NULL, *g = NULL;
    ASSERT_EQ_INT(kev_kernel_attach(k, "en0", &f), 0);
    f->flags = KEV_IFF_UP;
    f->lqm = 50;
    ASSERT_EQ_INT(kev_kernel_attach(k, "en0", &g), KEV_EEXIST);
    ASSERT_TRUE(g == f); /* the existing one, left as it is */
    ASSERT_EQ_U64(g->flags, KEV_IFF_UP);
    ASSERT_EQ_INT(g->lqm, 50);
    ASSERT_EQ_U64(kev_kernel_count(k), 1);
    ASSERT_EQ_INT(kev_kernel_attach(k, "en0", NULL), KEV_EEXIST);
    kev_kernel_free(k);
}

KEV_TEST(attach_bad_names)
{
    kev_kernel *k = kev_kernel_new();
    kev_iface *f = (kev_iface *)1;
    ASSERT_EQ_INT(kev_kernel_attach(k, "", &f), KEV_EINVAL);
    ASSERT_NULL(f);
    ASSERT_EQ_INT(kev_kernel_attach(k, NULL, NULL), KEV_EINVAL);
    ASSERT_EQ_INT(kev_kernel_attach(k, "abcdefghijklmnop", NULL), KEV_EINVAL);
    ASSERT_EQ_INT(kev_kernel_attach(k, "abcdefghijklmnopqrstuvwxyz", NULL),
                  KEV_EINVAL);
    ASSERT_EQ_U64(kev_kernel_count(k), 0);
    /* 15 bytes and odd bytes are fine. */
    ASSERT_EQ_INT(kev_kernel_attach(k, "abcdefghijklmno", NULL), 0);
    ASSERT_EQ_INT(kev_kernel_attach(k, "a b/\\\x01\xff#", &f), 0);
    ASSERT_EQ_STR(f->name, "a b/\\\x01\xff#");
    ASSERT_EQ_U64(kev_kernel_count(k), 2);
    kev_kernel_free(k);
}

KEV_TEST(attach_cap)
{
    kev_kernel *k = kev_kernel_new();
    char name[16];
    for (int i = 0; i < KEV_KERNEL_MAX_IFS; i++) {
        snprintf(name, sizeof name, "if%d", i);
        ASSERT_EQ_INT(kev_kernel_attach(k, name, NULL), 0);
    }
    ASSERT_EQ_U64(kev_kernel_count(k), KEV_KERNEL_MAX_IFS);
    ASSERT_EQ_INT(kev_kernel_attach(k, "one_more", NULL), KEV_ETOOBIG);
    ASSERT_EQ_INT(kev_kernel_attach(k, "if7", NULL), KEV_EEXIST);
    for (int i = 0; i < KEV_KERNEL_MAX_IFS; i++) {
        snprintf(name, sizeof name, "if%d", i);
        ASSERT_NOT_NULL(kev_kernel_find(k, name));
        ASSERT_TRUE(kev_kernel_at(k, (size_t)i) == kev_kernel_find(k, name));
    }
    ASSERT_EQ_INT(kev_kernel_detach(k, "if100"), 0);
    ASSERT_EQ_INT(kev_kernel_attach(k, "one_more", NULL), 0);
    ASSERT_EQ_STR(kev_kernel_at(k, KEV_KERNEL_MAX_IFS - 1)->name, "one_more");
    kev_kernel_free(k);
}

KEV_TEST(detach_keeps_order)
{
    kev_kernel *k = kev_kernel_new();
    const char *names[] = {"lo0", "en0", "en1", "utun0", "pdp_ip0"};
    for (size_t i = 0; i < 5; i++)
        ASSERT_EQ_INT(kev_kernel_attach(k, names[i], NULL), 0);
    kev_inet_addr a = v4(10, 0, 0, 1);
    ASSERT_EQ_INT(kev_kernel_inet_set(k, "en1", &a), 0);
    ASSERT_EQ_INT(kev_kernel_detach(k, "en0"), 0);
    ASSERT_EQ_INT(kev_kernel_detach(k, "en0"), KEV_ENOENT);
    ASSERT_EQ_INT(kev_kernel_detach(k, "nope"), KEV_ENOENT);
    ASSERT_EQ_U64(kev_kernel_count(k), 4);
    ASSERT_EQ_STR(kev_kernel_at(k, 0)->name, "lo0");
    ASSERT_EQ_STR(kev_kernel_at(k, 1)->name, "en1");
    ASSERT_EQ_STR(kev_kernel_at(k, 2)->name, "utun0");
    ASSERT_EQ_STR(kev_kernel_at(k, 3)->name, "pdp_ip0");
    ASSERT_EQ_U64(kev_kernel_at(k, 1)->n_inet, 1); /* moved with it */
    ASSERT_NULL(kev_kernel_find(k, "en0"));
    ASSERT_TRUE(kev_kernel_find(k, "utun0") == kev_kernel_at(k, 2));
    ASSERT_EQ_INT(kev_kernel_detach(k, "pdp_ip0"), 0); /* the last */
    ASSERT_EQ_INT(kev_kernel_detach(k, "lo0"), 0);     /* the first */
    ASSERT_EQ_U64(kev_kernel_count(k), 2);
    ASSERT_EQ_STR(kev_kernel_at(k, 0)->name, "en1");
    ASSERT_EQ_STR(kev_kernel_at(k, 1)->name, "utun0");
    /* Detached names can come back, at the end, with defaults. */
    ASSERT_EQ_INT(kev_kernel_attach(k, "en0", NULL), 0);
    ASSERT_EQ_STR(kev_kernel_at(k, 2)->name, "en0");
    ASSERT_EQ_U64(kev_kernel_at(k, 2)->n_inet, 0);
    kev_kernel_free(k);
}

KEV_TEST(find_strncmp_semantics)
{
    kev_kernel *k = kev_kernel_new();
    ASSERT_EQ_INT(kev_kernel_attach(k, "en0", NULL), 0);
    ASSERT_EQ_INT(kev_kernel_attach(k, "abcdefghijklmno", NULL), 0);
    ASSERT_EQ_INT(kev_kernel_attach(k, "\xc3\xa9t\xe9", NULL), 0);
    ASSERT_NOT_NULL(kev_kernel_find(k, "en0"));
    ASSERT_NULL(kev_kernel_find(k, "en"));
    ASSERT_NULL(kev_kernel_find(k, "en00"));
    ASSERT_NULL(kev_kernel_find(k, "En0"));
    ASSERT_NULL(kev_kernel_find(k, ""));
    ASSERT_NULL(kev_kernel_find(k, NULL));
    /* Bytes after the NUL do not count. */
    const char q[16] = {'e', 'n', '0', '\0', 'x', 'y', 'z'};
    ASSERT_TRUE(kev_kernel_find(k, q) == kev_kernel_at(k, 0));
    ASSERT_TRUE(kev_kernel_find_const(k, q) == kev_kernel_at(k, 0));
    ASSERT_TRUE(kev_kernel_find(k, "abcdefghijklmno") == kev_kernel_at(k, 1));
    ASSERT_NULL(kev_kernel_find(k, "abcdefghijklmnoX"));
    ASSERT_NULL(kev_kernel_find(k, "abcdefghijklmnoXYZ"));
    ASSERT_NULL(kev_kernel_find(k, "abcdefghijklmn"));
    ASSERT_TRUE(kev_kernel_find(k, "\xc3\xa9t\xe9") == kev_kernel_at(k, 2));
    /* A 16-byte name with no NUL: compared on 16 bytes, no byte read past
     * them (ASan checks the heap block's end). */
    char *raw = malloc(16);
    ASSERT_NOT_NULL(raw);
    memcpy(raw, "abcdefghijklmnop", 16);
    ASSERT_NULL(kev_kernel_find(k, raw));
    ASSERT_EQ_INT(kev_kernel_attach(k, raw, NULL), KEV_EINVAL);
    free(raw);
    kev_kernel_free(k);
}

/* find agrees with a reference strncmp scan on many names drawn from a
 * small alphabet (so that prefixes and near misses are common), each query
 * in a heap block of exactly its size so ASan sees any over-read. */
KEV_TEST(find_matches_reference_scan)
{
    kev_kernel *k = kev_kernel_new();
    uint32_t seed = 12345;
    char name[20];
    for (int round = 0; round < 20000; round++) {
        seed = seed * 1103515245u + 12345u;
        size_t len = (seed >> 16) % 18; /* 0..17: some invalid */
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            name[i] = "ab\xe9"[(seed >> 16) % 3];
        }
        name[len] = '\0';
        if (round % 3 == 0) {
            int rc = kev_kernel_attach(k, name, NULL);
            ASSERT_TRUE(rc == 0 || rc == KEV_EEXIST || rc == KEV_EINVAL ||
                        rc == KEV_ETOOBIG);
            continue;
        }
        char *q = malloc(len + 1);
        ASSERT_NOT_NULL(q);
        memcpy(q, name, len + 1);
        const kev_iface *want = NULL;
        for (size_t i = 0; i < kev_kernel_count(k) && want == NULL; i++)
            if (strncmp(q, kev_kernel_at(k, i)->name, 16) == 0)
                want = kev_kernel_at(k, i);
        ASSERT_TRUE(kev_kernel_find(k, q) == want);
        if (round % 7 == 0 && want != NULL)
            ASSERT_EQ_INT(kev_kernel_detach(k, q), 0);
        free(q);
    }
    ASSERT_TRUE(kev_kernel_count(k) > 50);
    kev_kernel_free(k);
}

KEV_TEST(inet_set_replace_remove)
{
    kev_kernel *k = kev_kernel_new();
    kev_inet_addr a = v4(10, 0, 0, 1), b = v4(10, 0, 0, 2), c = v4(10, 0, 0, 3);
    ASSERT_EQ_INT(kev_kernel_inet_set(k, "en0", &a), KEV_ENOENT);
    ASSERT_EQ_INT(kev_kernel_attach(k, "en0", NULL), 0);
    ASSERT_EQ_INT(kev_kernel_inet_set(k, "en0", &a), 0);
    ASSERT_EQ_INT(kev_kernel_inet_set(k, "en0", &b), 0);
    ASSERT_EQ_INT(kev_kernel_inet_set(k, "en0", &c), 0);
    const kev_iface *f = kev_kernel_find(k, "en0");
    ASSERT_EQ_U64(f->n_inet, 3);
    /* Replacing keeps the position. */
    kev_inet_addr b2 = b;
    b2.mask[2] = 0;
    b2.peer[2] = 255;
    ASSERT_EQ_INT(kev_kernel_inet_set(k, "en0", &b2), 0);
    ASSERT_EQ_U64(f->n_inet, 3);
    ASSERT_EQ_MEM(f->inet[1].addr, b.addr, 4);
    ASSERT_EQ_INT(f->inet[1].mask[2], 0);
    ASSERT_EQ_INT(f->inet[1].peer[2], 255);
    /* An entry without its address (NULL ifa_addr) never matches. */
    kev_inet_addr n = a;
    n.has_addr = false;
    ASSERT_EQ_INT(kev_kernel_inet_set(k, "en0", &n), 0);
    ASSERT_EQ_U64(f->n_inet, 4);
    ASSERT_FALSE(f->inet[3].has_addr);
    ASSERT_TRUE(f->inet[0].has_addr);
    ASSERT_EQ_INT(kev_kernel_inet_set(k, "en0", &n), 0);
    ASSERT_EQ_U64(f->n_inet, 5);
    ASSERT_EQ_INT(kev_kernel_inet_set(k, "en0", &a), 0); /* replaces [0] */
    ASSERT_EQ_U64(f->n_inet, 5);
    /* Removal matches has_addr entries only and keeps the order. */
    ASSERT_EQ_INT(kev_kernel_inet_remove(k, "en0", a.addr), 0);
    ASSERT_EQ_U64(f->n_inet, 4);
    ASSERT_EQ_MEM(f->inet[0].addr, b.addr, 4);
    ASSERT_EQ_MEM(f->inet[1].addr, c.addr, 4);
    ASSERT_FALSE(f->inet[2].has_addr);
    ASSERT_FALSE(f->inet[3].has_addr);
    ASSERT_EQ_INT(kev_kernel_inet_remove(k, "en0", a.addr), KEV_ENOENT);
    ASSERT_EQ_INT(kev_kernel_inet_remove(k, "en9", b.addr), KEV_ENOENT);
    ASSERT_EQ_INT(kev_kernel_inet_remove(k, "en0", c.addr), 0);
    ASSERT_EQ_INT(kev_kernel_inet_remove(k, "en0", b.addr), 0);
    ASSERT_EQ_U64(f->n_inet, 2);
    kev_kernel_free(k);
}

KEV_TEST(inet6_set_replace_remove)
{
    kev_kernel *k = kev_kernel_new();
    kev_inet6_addr a = v6(1, 0), b = v6(2, KEV_IN6_IFF_TENTATIVE), c = v6(3, 0);
    ASSERT_EQ_INT(kev_kernel_inet6_set(k, "en0", &a), KEV_ENOENT);
    ASSERT_NULL(kev_kernel_inet6_find(k, "en0", a.addr));
    ASSERT_EQ_INT(kev_kernel_attach(k, "en0", NULL), 0);
    ASSERT_EQ_INT(kev_kernel_inet6_set(k, "en0", &a), 0);
    ASSERT_EQ_INT(kev_kernel_inet6_set(k, "en0", &b), 0);
    ASSERT_EQ_INT(kev_kernel_inet6_set(k, "en0", &c), 0);
    const kev_iface *f = kev_kernel_find(k, "en0");
    ASSERT_EQ_U64(f->n_inet6, 3);
    kev_inet6_addr *e = kev_kernel_inet6_find(k, "en0", b.addr);
    ASSERT_TRUE(e == &f->inet6[1]);
    ASSERT_EQ_U64(e->flags, KEV_IN6_IFF_TENTATIVE);
    kev_inet6_addr b2 = b;
    b2.flags = KEV_IN6_IFF_AUTOCONF;
    b2.flags_fail = true;
    ASSERT_EQ_INT(kev_kernel_inet6_set(k, "en0", &b2), 0);
    ASSERT_EQ_U64(f->n_inet6, 3);
    ASSERT_EQ_U64(f->inet6[1].flags, KEV_IN6_IFF_AUTOCONF);
    ASSERT_TRUE(f->inet6[1].flags_fail);
    kev_inet6_addr n = a;
    n.has_addr = false;
    ASSERT_EQ_INT(kev_kernel_inet6_set(k, "en0", &n), 0);
    ASSERT_EQ_U64(f->n_inet6, 4);
    ASSERT_TRUE(kev_kernel_inet6_find(k, "en0", a.addr) == &f->inet6[0]);
    ASSERT_EQ_INT(kev_kernel_inet6_remove(k, "en0", a.addr), 0);
    ASSERT_NULL(kev_kernel_inet6_find(k, "en0", a.addr));
    ASSERT_EQ_U64(f->n_inet6, 3);
    ASSERT_EQ_INT(f->inet6[0].addr[15], 2);
    ASSERT_EQ_INT(f->inet6[1].addr[15], 3);
    ASSERT_FALSE(f->inet6[2].has_addr);
    ASSERT_EQ_INT(kev_kernel_inet6_remove(k, "en0", a.addr), KEV_ENOENT);
    ASSERT_EQ_INT(kev_kernel_inet6_remove(k, "en1", b.addr), KEV_ENOENT);
    kev_kernel_free(k);
}

KEV_TEST(address_caps)
{
    kev_kernel *k = kev_kernel_new();
    ASSERT_EQ_INT(kev_kernel_attach(k, "en0", NULL), 0);
    for (int i = 0; i < KEV_KERNEL_MAX_ADDRS; i++) {
        kev_inet_addr a = v4(10, 0, 1, (uint8_t)i);
        kev_inet6_addr b = v6((uint8_t)i, 0);
        ASSERT_EQ_INT(kev_kernel_inet_set(k, "en0", &a), 0);
        ASSERT_EQ_INT(kev_kernel_inet6_set(k, "en0", &b), 0);
    }
    kev_inet_addr a = v4(10, 0, 2, 0);
    kev_inet6_addr b = v6(200, 0);
    ASSERT_EQ_INT(kev_kernel_inet_set(k, "en0", &a), KEV_ETOOBIG);
    ASSERT_EQ_INT(kev_kernel_inet6_set(k, "en0", &b), KEV_ETOOBIG);
    a.has_addr = false;
    ASSERT_EQ_INT(kev_kernel_inet_set(k, "en0", &a), KEV_ETOOBIG);
    /* Replacing at the cap still works. */
    kev_inet_addr r = v4(10, 0, 1, 5);
    r.has_peer = false;
    ASSERT_EQ_INT(kev_kernel_inet_set(k, "en0", &r), 0);
    kev_inet6_addr r6 = v6(5, 0x40);
    ASSERT_EQ_INT(kev_kernel_inet6_set(k, "en0", &r6), 0);
    const kev_iface *f = kev_kernel_find(k, "en0");
    ASSERT_EQ_U64(f->n_inet, KEV_KERNEL_MAX_ADDRS);
    ASSERT_EQ_U64(f->n_inet6, KEV_KERNEL_MAX_ADDRS);
    ASSERT_FALSE(f->inet[5].has_peer);
    ASSERT_EQ_U64(f->inet6[5].flags, 0x40);
    ASSERT_EQ_INT(kev_kernel_inet_remove(k, "en0", r.addr), 0);
    a.has_addr = true;
    ASSERT_EQ_INT(kev_kernel_inet_set(k, "en0", &a), 0);
    ASSERT_EQ_U64(f->n_inet, KEV_KERNEL_MAX_ADDRS);
    ASSERT_EQ_MEM(f->inet[KEV_KERNEL_MAX_ADDRS - 1].addr, a.addr, 4);
    kev_kernel_free(k);
}

KEV_TEST(reset_then_reuse)
{
    kev_kernel *k = kev_kernel_new();
    for (int round = 0; round < 3; round++) {
        ASSERT_EQ_INT(kev_kernel_attach(k, "en0", NULL), 0);
        ASSERT_EQ_INT(kev_kernel_attach(k, "en1", NULL), 0);
        for (int i = 0; i < 10; i++) {
            kev_inet_addr a = v4(10, 0, 0, (uint8_t)i);
            kev_inet6_addr b = v6((uint8_t)i, 0);
            ASSERT_EQ_INT(kev_kernel_inet_set(k, "en1", &a), 0);
            ASSERT_EQ_INT(kev_kernel_inet6_set(k, "en0", &b), 0);
        }
        ASSERT_EQ_U64(kev_kernel_find(k, "en1")->n_inet, 10);
        ASSERT_EQ_U64(kev_kernel_find(k, "en0")->n_inet, 0);
        kev_kernel_reset(k);
        ASSERT_EQ_U64(kev_kernel_count(k), 0);
        ASSERT_NULL(kev_kernel_find(k, "en0"));
        ASSERT_NULL(kev_kernel_at(k, 0));
        char *s = dump(k);
        ASSERT_EQ_STR(s, "");
        free(s);
    }
    /* After a reset, a snapshot loads as into a new kernel. */
    load_into(k, "if en0 up\ninet en0 10.0.0.1/8\n");
    ASSERT_EQ_U64(kev_kernel_count(k), 1);
    ASSERT_EQ_U64(kev_kernel_at(k, 0)->n_inet, 1);
    kev_kernel_free(k);
}

/* ---- the snapshot text ---- */

KEV_TEST(snapshot_if_options)
{
    kev_kernel *k = load_new(
        "# a comment\n"
        "\n"
        "   \t  \n"
        "if en0 up media active lqm 100 refcnt 3\n"
        "if utun0 p2p up media none cheap   # trailing comment\n"
        "if pdp_ip0 media unknown lqm -2\n"
        "if pdp_ip1 cheap\n"
        "if en1 expensive media inactive\n"
        "if en2 flags 0x8863\n"
        "if en3 flags 0x0 up p2p\n"      /* token order: 0x11 */
        "if en4 up p2p flags 0X8000\n"   /* flags last: 0x8000 */
        "if\ten5\tup\r\n"                /* tabs and CRLF */
        "if en#6 lqm 0\n"                /* '#' inside a token */
        "if en7 lqm -2147483648 refcnt 4294967295 flags 0xffffffff\n"
        "if en8 lqm 2147483647 refcnt 007 flags 0x00000000001\n"
        "if en9 media none media active\n");
    ASSERT_EQ_U64(kev_kernel_count(k), 13);
    const kev_iface *f = kev_kernel_find(k, "en0");
    ASSERT_EQ_U64(f->flags, KEV_IFF_UP);
    ASSERT_EQ_INT(f->media, KEV_MEDIA_ACTIVE);
    ASSERT_EQ_INT(f->lqm, 100);
    ASSERT_EQ_U64(f->rt_refcnt, 3);
    ASSERT_FALSE(f->expensive);
    f = kev_kernel_find(k, "utun0");
    ASSERT_EQ_U64(f->flags, KEV_IFF_UP | KEV_IFF_POINTOPOINT);
    ASSERT_EQ_INT(f->media, KEV_MEDIA_NONE);
    ASSERT_EQ_INT(f->lqm, -1);
    f = kev_kernel_find(k, "pdp_ip0");
    ASSERT_TRUE(f->expensive);
    ASSERT_EQ_INT(f->media, KEV_MEDIA_UNKNOWN);
    ASSERT_EQ_INT(f->lqm, -2);
    ASSERT_FALSE(kev_kernel_find(k, "pdp_ip1")->expensive);
    ASSERT_TRUE(kev_kernel_find(k, "en1")->expensive);
    ASSERT_EQ_INT(kev_kernel_find(k, "en1")->media, KEV_MEDIA_INACTIVE);
    ASSERT_EQ_U64(kev_kernel_find(k, "en2")->flags, 0x8863);
    ASSERT_EQ_U64(kev_kernel_find(k, "en3")->flags, 0x11);
    ASSERT_EQ_U64(kev_kernel_find(k, "en4")->flags, 0x8000);
    ASSERT_EQ_U64(kev_kernel_find(k, "en5")->flags, 1);
    ASSERT_NOT_NULL(kev_kernel_find(k, "en#6"));
    f = kev_kernel_find(k, "en7");
    ASSERT_EQ_INT(f->lqm, INT32_MIN);
    ASSERT_EQ_U64(f->rt_refcnt, UINT32_MAX);
    ASSERT_EQ_U64(f->flags, UINT32_MAX);
    f = kev_kernel_find(k, "en8");
    ASSERT_EQ_INT(f->lqm, INT32_MAX);
    ASSERT_EQ_U64(f->rt_refcnt, 7);
    ASSERT_EQ_U64(f->flags, 1);
    ASSERT_EQ_INT(kev_kernel_find(k, "en9")->media, KEV_MEDIA_ACTIVE);
    kev_kernel_free(k);
}

KEV_TEST(snapshot_names)
{
    kev_kernel *k = load_new("if a\\x20b\n"
                             "if \\\\\n"
                             "if \\x23x\n"
                             "if x#\n"
                             "if \\xff\\x80\\x7F\n"
                             "if \xe9t\xe9\n"
                             "if /dev/tun\n"
                             "if abcdefghijklmno\n"
                             "if \\x09\\x01\n"
                             "inet a\\x20b 1.2.3.4/8\n");
    ASSERT_EQ_U64(kev_kernel_count(k), 9);
    ASSERT_EQ_STR(kev_kernel_at(k, 0)->name, "a b");
    ASSERT_EQ_STR(kev_kernel_at(k, 1)->name, "\\");
    ASSERT_EQ_STR(kev_kernel_at(k, 2)->name, "#x");
    ASSERT_EQ_STR(kev_kernel_at(k, 3)->name, "x#");
    ASSERT_EQ_STR(kev_kernel_at(k, 4)->name, "\xff\x80\x7f");
    ASSERT_EQ_STR(kev_kernel_at(k, 5)->name, "\xe9t\xe9");
    ASSERT_EQ_STR(kev_kernel_at(k, 6)->name, "/dev/tun");
    ASSERT_EQ_STR(kev_kernel_at(k, 7)->name, "abcdefghijklmno");
    ASSERT_EQ_STR(kev_kernel_at(k, 8)->name, "\t\x01");
    ASSERT_EQ_U64(kev_kernel_at(k, 0)->n_inet, 1);
    char *s = dump(k);
    ASSERT_EQ_STR(s,
        "if a\\x20b flags 0x0 media inactive lqm -1 refcnt 0 cheap\n"
        "inet a\\x20b 1.2.3.4/8 peer 1.255.255.255\n"
        "if \\\\ flags 0x0 media inactive lqm -1 refcnt 0 cheap\n"
        "if \\x23x flags 0x0 media inactive lqm -1 refcnt 0 cheap\n"
        "if x# flags 0x0 media inactive lqm -1 refcnt 0 cheap\n"
        "if \\xff\\x80\\x7f flags 0x0 media inactive lqm -1 refcnt 0 cheap\n"
        "if \\xe9t\\xe9 flags 0x0 media inactive lqm -1 refcnt 0 cheap\n"
        "if /dev/tun flags 0x0 media inactive lqm -1 refcnt 0 cheap\n"
        "if abcdefghijklmno flags 0x0 media inactive lqm -1 refcnt 0 cheap\n"
        "if \\x09\\x01 flags 0x0 media inactive lqm -1 refcnt 0 cheap\n");
    free(s);
    kev_kernel_free(k);
}

KEV_TEST(snapshot_inet)
{
    kev_kernel *k = load_new("if en0\n"
                             "if utun0 p2p\n"
                             "inet en0 10.0.0.2/24\n"
                             "inet en0 192.168.1.7/0\n"
                             "inet en0 172.16.0.1/32\n"
                             "inet en0 10.1.0.1 mask 255.0.255.0\n"
                             "inet en0 10.2.0.1/16 peer 10.2.0.9 noaddr\n"
                             "inet en0 10.3.0.1/16 nomask nopeer\n"
                             "inet utun0 10.8.0.2/32\n"
                             "inet utun0 10.8.0.3/32 peer 10.8.0.1\n"
                             "inet en0 10.0.0.2/25\n"); /* replaces [0] */
    const kev_iface *f = kev_kernel_find(k, "en0");
    ASSERT_EQ_U64(f->n_inet, 6);
    const kev_inet_addr *a = &f->inet[0];
    ASSERT_EQ_MEM(a->addr, "\x0a\x00\x00\x02", 4);
    ASSERT_EQ_MEM(a->mask, "\xff\xff\xff\x80", 4);
    ASSERT_EQ_MEM(a->peer, "\x0a\x00\x00\x7f", 4);
    ASSERT_TRUE(a->has_addr && a->has_mask && a->has_peer);
    a = &f->inet[1];
    ASSERT_EQ_MEM(a->mask, "\x00\x00\x00\x00", 4);
    ASSERT_EQ_MEM(a->peer, "\xff\xff\xff\xff", 4);
    a = &f->inet[2];
    ASSERT_EQ_MEM(a->mask, "\xff\xff\xff\xff", 4);
    ASSERT_EQ_MEM(a->peer, "\xac\x10\x00\x01", 4);
    a = &f->inet[3];
    ASSERT_EQ_MEM(a->mask, "\xff\x00\xff\x00", 4);
    ASSERT_EQ_MEM(a->peer, "\x0a\xff\x00\xff", 4);
    a = &f->inet[4];
    ASSERT_FALSE(a->has_addr);
    ASSERT_TRUE(a->has_mask && a->has_peer);
    ASSERT_EQ_MEM(a->addr, "\x0a\x02\x00\x01", 4);
    ASSERT_EQ_MEM(a->peer, "\x0a\x02\x00\x09", 4);
    a = &f->inet[5];
    ASSERT_TRUE(a->has_addr);
    ASSERT_FALSE(a->has_mask);
    ASSERT_FALSE(a->has_peer);
    ASSERT_EQ_MEM(a->mask, "\xff\xff\x00\x00", 4);
    f = kev_kernel_find(k, "utun0");
    ASSERT_EQ_U64(f->n_inet, 2);
    ASSERT_FALSE(f->inet[0].has_peer); /* p2p without peer */
    ASSERT_EQ_MEM(f->inet[0].peer, "\x00\x00\x00\x00", 4);
    ASSERT_TRUE(f->inet[1].has_peer);
    ASSERT_EQ_MEM(f->inet[1].peer, "\x0a\x08\x00\x01", 4);
    char *s = dump(k);
    ASSERT_CONTAINS(s, "\ninet en0 10.0.0.2/25 peer 10.0.0.127\n");
    ASSERT_CONTAINS(s, "\ninet en0 10.1.0.1 mask 255.0.255.0 peer 10.255.0.255\n");
    ASSERT_CONTAINS(s, "\ninet en0 10.2.0.1/16 peer 10.2.0.9 noaddr\n");
    ASSERT_CONTAINS(s, "\ninet en0 10.3.0.1/16 peer 10.3.255.255 nomask nopeer\n");
    ASSERT_CONTAINS(s, "\ninet utun0 10.8.0.2/32 peer 0.0.0.0 nopeer\n");
    free(s);
    kev_kernel_free(k);
}

KEV_TEST(snapshot_inet6)
{
    kev_kernel *k = load_new(
        "if en0\n"
        "inet6 en0 fe80::1/64 flags 0x40\n"
        "inet6 en0 2001:db8::5/128 dst 2001:db8::1 flagsfail\n"
        "inet6 en0 fe80::2 mask ffff:0:ffff:: noaddr nomask\n"
        "inet6 en0 ::/0\n"
        "inet6 en0 fe80::1/10 flags 0x2\n"); /* replaces [0] */
    const kev_iface *f = kev_kernel_find(k, "en0");
    ASSERT_EQ_U64(f->n_inet6, 4);
    const kev_inet6_addr *a = &f->inet6[0];
    ASSERT_EQ_MEM(a->addr, "\xfe\x80\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
    ASSERT_EQ_MEM(a->mask, "\xff\xc0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
    ASSERT_EQ_U64(a->flags, KEV_IN6_IFF_TENTATIVE);
    ASSERT_TRUE(a->has_addr && a->has_mask);
    ASSERT_FALSE(a->has_dst || a->flags_fail);
    a = &f->inet6[1];
    ASSERT_TRUE(a->has_dst && a->flags_fail);
    ASSERT_EQ_MEM(a->dst, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
    ASSERT_EQ_MEM(a->mask, "\xff\xff\xff\xff\xff\xff\xff\xff"
                           "\xff\xff\xff\xff\xff\xff\xff\xff", 16);
    a = &f->inet6[2];
    ASSERT_FALSE(a->has_addr || a->has_mask);
    ASSERT_EQ_MEM(a->mask, "\xff\xff\0\0\xff\xff\0\0\0\0\0\0\0\0\0\0", 16);
    a = &f->inet6[3];
    ASSERT_EQ_MEM(a->addr, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
    ASSERT_EQ_MEM(a->mask, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
    char *s = dump(k);
    ASSERT_EQ_STR(s,
        "if en0 flags 0x0 media inactive lqm -1 refcnt 0 cheap\n"
        "inet6 en0 fe80::1/10 flags 0x2\n"
        "inet6 en0 2001:db8::5/128 flags 0x0 peer 2001:db8::1 flagsfail\n"
        "inet6 en0 fe80::2 mask ffff:0:ffff:: flags 0x0 noaddr nomask\n"
        "inet6 en0 ::/0 flags 0x0\n");
    free(s);
    kev_kernel_free(k);
}

KEV_TEST(snapshot_odd_text)
{
    /* No final newline, CR only before LF, NULL err, empty text. */
    kev_kernel *k = kev_kernel_new();
    ASSERT_EQ_INT(kev_kernel_load_text(k, "if en0\r\nif en1", 14, NULL), 0);
    ASSERT_EQ_U64(kev_kernel_count(k), 2);
    ASSERT_EQ_INT(kev_kernel_load_text(k, "", 0, NULL), 0);
    ASSERT_EQ_INT(kev_kernel_load_text(k, NULL, 0, NULL), 0);
    ASSERT_EQ_INT(kev_kernel_load_text(k, NULL, 3, NULL), KEV_EINVAL);
    /* A NUL byte inside the text is just a byte: here, in a name. */
    static const char with_nul[] = "if en2\nif e\0x\n";
    kev_strbuf err = KEV_STRBUF_INIT;
    ASSERT_EQ_INT(kev_kernel_load_text(k, with_nul, sizeof with_nul - 1, &err),
                  KEV_EFORMAT);
    ASSERT_EQ_STR(kev_strbuf_str(&err),
                  "line 2: if: interface name \"e\\x00x\" contains a NUL byte");
    ASSERT_EQ_U64(kev_kernel_count(k), 3);
    /* A carriage return not at the end of the line is part of a token. */
    ASSERT_EQ_INT(kev_kernel_load_text(k, "if en3\r \n", 9, NULL), 0);
    ASSERT_EQ_STR(kev_kernel_at(k, 3)->name, "en3\r");
    kev_strbuf_free(&err);
    kev_kernel_free(k);
}

KEV_TEST(snapshot_adds_to_existing)
{
    kev_kernel *k = kev_kernel_new();
    ASSERT_EQ_INT(kev_kernel_attach(k, "en0", NULL), 0);
    load_into(k, "inet en0 10.0.0.1/8\nif en1\n");
    ASSERT_EQ_U64(kev_kernel_count(k), 2);
    ASSERT_EQ_U64(kev_kernel_find(k, "en0")->n_inet, 1);
    kev_strbuf err = KEV_STRBUF_INIT;
    kev_strbuf_adds(&err, "earlier; ");
    ASSERT_EQ_INT(kev_kernel_load_text(k, "if en0\n", 7, &err), KEV_EEXIST);
    ASSERT_EQ_STR(kev_strbuf_str(&err),
                  "earlier; line 1: interface en0 defined twice");
    kev_strbuf_free(&err);
    kev_kernel_free(k);
}

KEV_TEST(snapshot_error_keeps_earlier_lines)
{
    kev_kernel *k = kev_kernel_new();
    kev_strbuf err = KEV_STRBUF_INIT;
    const char *t = "if en0 up\n"
                    "inet en0 10.0.0.1/8\n"
                    "if en1 up lqm 5 media bogus\n"
                    "if en2\n";
    ASSERT_EQ_INT(kev_kernel_load_text(k, t, strlen(t), &err), KEV_EFORMAT);
    ASSERT_EQ_STR(kev_strbuf_str(&err),
                  "line 3: if: media \"bogus\" is not none, unknown, inactive "
                  "or active");
    /* Lines before stay; the bad line left nothing; later lines not read. */
    ASSERT_EQ_U64(kev_kernel_count(k), 1);
    ASSERT_EQ_U64(kev_kernel_find(k, "en0")->n_inet, 1);
    ASSERT_NULL(kev_kernel_find(k, "en1"));
    /* A bad inet line adds no address. */
    kev_strbuf_clear(&err);
    t = "inet en0 10.0.0.2/8 peer 1.2.3\n";
    ASSERT_EQ_INT(kev_kernel_load_text(k, t, strlen(t), &err), KEV_EFORMAT);
    ASSERT_EQ_STR(kev_strbuf_str(&err),
                  "line 1: inet: peer \"1.2.3\" is not an IPv4 address A.B.C.D");
    ASSERT_EQ_U64(kev_kernel_find(k, "en0")->n_inet, 1);
    kev_strbuf_free(&err);
    kev_kernel_free(k);
}

/* Each error of the snapshot parser: the text, the code, the message. */
static const struct error_case {
    const char *text;
    int rc;
    const char *msg;
} error_cases[] = {
    {"foo en0\n", KEV_EFORMAT,
     "line 1: unknown directive \"foo\" (expected if, inet or inet6)"},
    {"# ok\nIF en0\n", KEV_EFORMAT,
     "line 2: unknown directive \"IF\" (expected if, inet or inet6)"},
    {"if\n", KEV_EFORMAT, "line 1: if: missing interface name"},
    {"if #en0\n", KEV_EFORMAT, "line 1: if: missing interface name"},
    {"if abcdefghijklmnop\n", KEV_EFORMAT,
     "line 1: if: interface name \"abcdefghijklmnop\" is longer than 15 "
     "bytes"},
    {"if en\\q\n", KEV_EFORMAT,
     "line 1: if: interface name \"en\\q\" has a bad escape (only \\xNN "
     "and \\\\ exist)"},
    {"if en\\x4\n", KEV_EFORMAT,
     "line 1: if: interface name \"en\\x4\" has a bad escape (only \\xNN "
     "and \\\\ exist)"},
    {"if en\\x00\n", KEV_EFORMAT,
     "line 1: if: interface name \"en\\x00\" contains a NUL byte"},
    {"if en0\nif en0 up\n", KEV_EEXIST,
     "line 2: interface en0 defined twice"},
    {"if a\\x20b\nif a\\x20b\n", KEV_EEXIST,
     "line 2: interface a\\x20b defined twice"},
    {"if en0 bogus\n", KEV_EFORMAT, "line 1: if: unknown option \"bogus\""},
    {"if en0 up UP\n", KEV_EFORMAT, "line 1: if: unknown option \"UP\""},
    {"if en0 lqm\n", KEV_EFORMAT, "line 1: if: option lqm needs a value"},
    {"if en0 flags # none\n", KEV_EFORMAT,
     "line 1: if: option flags needs a value"},
    {"if en0 lqm 2147483648\n", KEV_EFORMAT,
     "line 1: if: lqm 2147483648 is out of range -2147483648..2147483647"},
    {"if en0 lqm -2147483649\n", KEV_EFORMAT,
     "line 1: if: lqm -2147483649 is out of range -2147483648..2147483647"},
    {"if en0 lqm abc\n", KEV_EFORMAT,
     "line 1: if: lqm \"abc\" is not a decimal number"},
    {"if en0 lqm -\n", KEV_EFORMAT,
     "line 1: if: lqm \"-\" is not a decimal number"},
    {"if en0 refcnt 4294967296\n", KEV_EFORMAT,
     "line 1: if: refcnt 4294967296 is out of range 0..4294967295"},
    {"if en0 refcnt -1\n", KEV_EFORMAT,
     "line 1: if: refcnt \"-1\" is not a decimal number"},
    {"if en0 refcnt 99999999999999999999999999\n", KEV_EFORMAT,
     "line 1: if: refcnt 99999999999999999999999999 is out of range "
     "0..4294967295"},
    {"if en0 flags 0x100000000\n", KEV_EFORMAT,
     "line 1: if: flags 0x100000000 is out of range 0x0..0xffffffff"},
    {"if en0 flags 12\n", KEV_EFORMAT,
     "line 1: if: flags \"12\" is not 0x followed by hex digits"},
    {"if en0 flags 0x\n", KEV_EFORMAT,
     "line 1: if: flags \"0x\" is not 0x followed by hex digits"},
    {"if en0 flags 0xg\n", KEV_EFORMAT,
     "line 1: if: flags \"0xg\" is not 0x followed by hex digits"},
    {"if en0 media sometimes\n", KEV_EFORMAT,
     "line 1: if: media \"sometimes\" is not none, unknown, inactive or "
     "active"},
    {"inet en9 10.0.0.1/8\n", KEV_ENOENT,
     "line 1: inet: no interface en9 (an if line must define it first)"},
    {"inet6 en9 ::1/128\n", KEV_ENOENT,
     "line 1: inet6: no interface en9 (an if line must define it first)"},
    {"if en0\n\ninet en0 10.0.0.1/33\n", KEV_EFORMAT,
     "line 3: inet: prefix length 33 is out of range 0..32"},
    {"if en0\ninet en0 10.0.0.1/\n", KEV_EFORMAT,
     "line 2: inet: prefix length \"\" is not a decimal number"},
    {"if en0\ninet en0 10.0.0.1/2x\n", KEV_EFORMAT,
     "line 2: inet: prefix length \"2x\" is not a decimal number"},
    {"if en0\ninet6 en0 ::1/129\n", KEV_EFORMAT,
     "line 2: inet6: prefix length 129 is out of range 0..128"},
    {"if en0\ninet en0 10.0.0.256/8\n", KEV_EFORMAT,
     "line 2: inet: address \"10.0.0.256\" is not an IPv4 address "
     "A.B.C.D"},
    {"if en0\ninet en0 10.0.0/8\n", KEV_EFORMAT,
     "line 2: inet: address \"10.0.0\" is not an IPv4 address A.B.C.D"},
    {"if en0\ninet en0 010.0.0.1/8\n", KEV_EFORMAT,
     "line 2: inet: address \"010.0.0.1\" is not an IPv4 address "
     "A.B.C.D"},
    {"if en0\ninet en0 1.2.3.4.5/8\n", KEV_EFORMAT,
     "line 2: inet: address \"1.2.3.4.5\" is not an IPv4 address "
     "A.B.C.D"},
    {"if en0\ninet en0\n", KEV_EFORMAT, "line 2: inet: missing address"},
    {"if en0\ninet6 en0 # none\n", KEV_EFORMAT,
     "line 2: inet6: missing address"},
    {"if en0\ninet en0 10.0.0.1\n", KEV_EFORMAT,
     "line 2: inet: the address has no /LEN and no mask"},
    {"if en0\ninet6 en0 ::1 flags 0x1\n", KEV_EFORMAT,
     "line 2: inet6: the address has no /LEN and no mask"},
    {"if en0\ninet en0 10.0.0.1/8 mask 255.0.0.0\n", KEV_EFORMAT,
     "line 2: inet: the mask is given twice (/LEN or mask)"},
    {"if en0\ninet6 en0 ::1 mask :: mask ::\n", KEV_EFORMAT,
     "line 2: inet6: the mask is given twice (/LEN or mask)"},
    {"if en0\ninet en0 10.0.0.1/8 peer\n", KEV_EFORMAT,
     "line 2: inet: option peer needs a value"},
    /* peer is one keyword for both families; dest and dst spell it too. */
    {"if en0\ninet en0 10.0.0.1/8 dst ::1\n", KEV_EFORMAT,
     "line 2: inet: peer \"::1\" is not an IPv4 address A.B.C.D"},
    {"if en0\ninet6 en0 ::1/64 peer 1.2.3.4\n", KEV_EFORMAT,
     "line 2: inet6: peer \"1.2.3.4\" is not an IPv6 address: fewer than 8 "
     "groups and no '::'"},
    {"if en0\ninet6 en0 ::1/64 dst fe80::g\n", KEV_EFORMAT,
     "line 2: inet6: peer \"fe80::g\" is not an IPv6 address: unexpected "
     "character"},
    {"if en0\ninet en0 10.0.0.1/8 bogus 1\n", KEV_EFORMAT,
     "line 2: inet: unknown option \"bogus\""},
    {"if en0\ninet6 en0 ::1/64 flags 1\n", KEV_EFORMAT,
     "line 2: inet6: flags \"1\" is not 0x followed by hex digits"},
    {"if en0\ninet6 en0 1:::2/64\n", KEV_EFORMAT,
     "line 2: inet6: address \"1:::2\" is not an IPv6 address: empty "
     "group (':::' or a stray ':')"},
    {"inet\n", KEV_EFORMAT, "line 1: inet: missing interface name"},
    {"if \xff\\x01 lqm x\n", KEV_EFORMAT,
     "line 1: if: lqm \"x\" is not a decimal number"},
    {"if \xff\\x01\nif \\xff\x01\n", KEV_EEXIST,
     "line 2: interface \\xff\\x01 defined twice"},
    {"if en0 media \x01\xfe\n", KEV_EFORMAT,
     "line 1: if: media \"\\x01\\xfe\" is not none, unknown, inactive or "
     "active"},
};

KEV_TEST(snapshot_errors)
{
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++)
        expect_error(error_cases[i].text, error_cases[i].rc,
                     error_cases[i].msg);
}

KEV_TEST(snapshot_long_token_is_cut_in_messages)
{
    char text[300], msg[300];
    memset(text, 'a', sizeof text);
    memcpy(text, "if en0 ", 7);
    memcpy(text + 7 + 200, "\n", 2);
    /* The token is 200 bytes; the message quotes 64 and "...". */
    snprintf(msg, sizeof msg, "line 1: if: unknown option \"%.64s...\"",
             text + 7);
    expect_error(text, KEV_EFORMAT, msg);
}

KEV_TEST(snapshot_caps)
{
    /* Addresses past the cap. */
    kev_strbuf t = KEV_STRBUF_INIT;
    kev_strbuf_adds(&t, "if en0\n");
    for (int i = 0; i <= KEV_KERNEL_MAX_ADDRS; i++)
        kev_strbuf_addf(&t, "inet en0 10.0.%d.1/24\n", i);
    expect_error(kev_strbuf_str(&t), KEV_ETOOBIG,
                 "line 66: inet: interface en0 already has 64 IPv4 addresses "
                 "(the cap)");
    kev_strbuf_clear(&t);
    kev_strbuf_adds(&t, "if en0\n");
    for (int i = 0; i <= KEV_KERNEL_MAX_ADDRS; i++)
        kev_strbuf_addf(&t, "inet6 en0 fe80::%x/64\n", i + 1);
    expect_error(kev_strbuf_str(&t), KEV_ETOOBIG,
                 "line 66: inet6: interface en0 already has 64 IPv6 addresses "
                 "(the cap)");
    /* Interfaces past the cap. */
    kev_strbuf_clear(&t);
    for (int i = 0; i <= KEV_KERNEL_MAX_IFS; i++)
        kev_strbuf_addf(&t, "if i%d\n", i);
    expect_error(kev_strbuf_str(&t), KEV_ETOOBIG,
                 "line 257: if: interface i256 is past the cap of 256 "
                 "interfaces");
    kev_strbuf_free(&t);
    /* A text past the snapshot cap is refused before it is read. */
    size_t big = KEV_KERNEL_MAX_SNAPSHOT + 1;
    char *p = malloc(big);
    ASSERT_NOT_NULL(p);
    memset(p, '\n', big);
    kev_kernel *k = kev_kernel_new();
    kev_strbuf err = KEV_STRBUF_INIT;
    ASSERT_EQ_INT(kev_kernel_load_text(k, p, big, &err), KEV_ETOOBIG);
    ASSERT_EQ_STR(kev_strbuf_str(&err),
                  "snapshot of 1048577 bytes is over the cap of 1048576");
    ASSERT_EQ_INT(kev_kernel_load_text(k, p, big - 1, NULL), 0);
    kev_strbuf_free(&err);
    kev_kernel_free(k);
    free(p);
}

/* ---- IPv6 text ---- */

KEV_TEST(ipv6_parse_valid)
{
    static const struct {
        const char *text;
        uint8_t bytes[16];
    } cases[] = {
        {"::", {0}},
        {"::1", {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
        {"1::", {0, 1}},
        {"fe80::1", {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
        {"2001:db8::1:0:0:1",
         {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1}},
        {"::ffff:10.0.0.1",
         {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1}},
        {"::1.2.3.4", {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}},
        {"1:2:3:4:5:6:1.2.3.4",
         {0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 1, 2, 3, 4}},
        {"1:2:3:4:5:6:7:8", {0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8}},
        {"1:2:3:4:5:6:7::", {0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0}},
        {"::2:3:4:5:6:7:8", {0, 0, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8}},
        {"ABCD:Ef01::0000:00ff",
         {0xab, 0xcd, 0xef, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff}},
        {"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
         {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
          0xff, 0xff, 0xff, 0xff, 0xff}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t got[16];
        parse6(cases[i].text, got);
        if (memcmp(got, cases[i].bytes, 16) != 0)
            KEV__FAIL("parse of %s gave other bytes", cases[i].text);
    }
}

KEV_TEST(ipv6_parse_invalid)
{
    parse6_bad("1:::2", "empty group (':::' or a stray ':')");
    parse6_bad(":::", "empty group (':::' or a stray ':')");
    parse6_bad("12345::", "a group has more than 4 hex digits");
    parse6_bad("1:2:3:4:5:6:7:8:9", "more than 8 groups");
    parse6_bad("1:2:3:4:5:6:7:1.2.3.4", "more than 8 groups");
    parse6_bad("1:2:3:4:5:6:7", "fewer than 8 groups and no '::'");
    parse6_bad("1.2.3.4", "fewer than 8 groups and no '::'");
    parse6_bad("1:2:3:4:5:6:7:8::", "'::' stands for no group");
    parse6_bad("::1:2:3:4:5:6:7:8", "'::' stands for no group");
    parse6_bad("1::2::3", "more than one '::'");
    parse6_bad(":1", "starts with a single ':'");
    parse6_bad(":", "starts with a single ':'");
    parse6_bad("1:", "ends with a single ':'");
    parse6_bad("1:2:", "ends with a single ':'");
    parse6_bad("g::1", "unexpected character");
    parse6_bad("fe80::1%en0", "unexpected character");
    parse6_bad("1.2.3.4::", "an IPv4 part must come last");
    parse6_bad("::1.2.3", "bad IPv4 part");
    parse6_bad("::ffff:010.0.0.1", "bad IPv4 part");
    parse6_bad("::ffff:1.2.3.256", "bad IPv4 part");
    parse6_bad("", "empty");
    parse6_bad("0000:0000:0000:0000:0000:0000:0000:0000:0000:0", "too long");
}

KEV_TEST(ipv6_format_rfc5952)
{
    static const struct {
        uint16_t g[8];
        const char *text;
    } cases[] = {
        {{0, 0, 0, 0, 0, 0, 0, 0}, "::"},
        {{0, 0, 0, 0, 0, 0, 0, 1}, "::1"},
        {{1, 0, 0, 0, 0, 0, 0, 0}, "1::"},
        {{0xfe80, 0, 0, 0, 0, 0, 0, 0}, "fe80::"},
        {{0x2001, 0xdb8, 0, 0, 0, 0, 2, 1}, "2001:db8::2:1"},
        {{0x2001, 0xdb8, 0, 1, 1, 1, 1, 1}, "2001:db8:0:1:1:1:1:1"},
        {{0x2001, 0, 0, 1, 0, 0, 0, 1}, "2001:0:0:1::1"},
        {{0x2001, 0xdb8, 0, 0, 1, 0, 0, 1}, "2001:db8::1:0:0:1"},
        {{0, 0, 0, 0, 0, 0xffff, 0x0a00, 1}, "::ffff:a00:1"},
        {{0, 0, 0, 0, 0, 0, 0x0102, 0x0304}, "::102:304"},
        {{0, 1, 0, 1, 0, 1, 0, 1}, "0:1:0:1:0:1:0:1"},
        {{1, 0, 0, 2, 0, 0, 0, 0}, "1:0:0:2::"},
        {{0, 0, 1, 0, 0, 0, 0, 2}, "0:0:1::2"},
        {{0x2001, 0xDB8, 0, 0, 0, 0, 0, 0xABCD}, "2001:db8::abcd"},
        {{0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff},
         "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
        {{0x00f0, 0x0f00, 0, 0x000a, 0, 0, 0, 0}, "f0:f00:0:a::"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_fmt6(cases[i].g, cases[i].text);
}

/* ---- the dump ---- */

KEV_TEST(format_exact)
{
    kev_kernel *k = kev_kernel_new();
    kev_iface *f = NULL;
    ASSERT_EQ_INT(kev_kernel_attach(k, "en0", &f), 0);
    f->flags = 0x8863;
    f->media = KEV_MEDIA_ACTIVE;
    f->lqm = 100;
    f->rt_refcnt = 2;
    kev_inet_addr a = v4(192, 168, 1, 20);
    ASSERT_EQ_INT(kev_kernel_inet_set(k, "en0", &a), 0);
    kev_inet6_addr b = v6(1, KEV_IN6_IFF_AUTOCONF);
    ASSERT_EQ_INT(kev_kernel_inet6_set(k, "en0", &b), 0);
    ASSERT_EQ_INT(kev_kernel_attach(k, "pdp_ip0", &f), 0);
    f->media = KEV_MEDIA_NONE;
    f->lqm = -2;
    ASSERT_EQ_INT(kev_kernel_attach(k, "utun0", &f), 0);
    f->flags = KEV_IFF_UP | KEV_IFF_POINTOPOINT;
    f->media = KEV_MEDIA_UNKNOWN;
    kev_inet_addr c = v4(10, 8, 0, 2);
    c.mask[3] = 0xff;
    c.peer[3] = 1;
    ASSERT_EQ_INT(kev_kernel_inet_set(k, "utun0", &c), 0);
    kev_inet6_addr d = v6(2, 0);
    d.has_dst = true;
    d.dst[0] = 0xfe, d.dst[1] = 0x80, d.dst[15] = 9;
    d.has_mask = false;
    d.flags_fail = true;
    ASSERT_EQ_INT(kev_kernel_inet6_set(k, "utun0", &d), 0);
    char *s = dump(k);
    ASSERT_EQ_STR(s,
        "if en0 flags 0x8863 media active lqm 100 refcnt 2 cheap\n"
        "inet en0 192.168.1.20/24 peer 192.168.1.255\n"
        "inet6 en0 fe80::1/64 flags 0x40\n"
        "if pdp_ip0 flags 0x0 media none lqm -2 refcnt 0 expensive\n"
        "if utun0 flags 0x11 media unknown lqm -1 refcnt 0 cheap\n"
        "inet utun0 10.8.0.2/32 peer 10.8.0.1\n"
        "inet6 utun0 fe80::2/64 flags 0x0 peer fe80::9 nomask flagsfail\n");
    free(s);
    assert_round_trip(k);
    kev_kernel_free(k);
}

KEV_TEST(round_trip_snapshot)
{
    kev_kernel *k = load_new(
        "if lo0 flags 0x8049 media none\n"
        "inet lo0 127.0.0.1/8\n"
        "inet6 lo0 ::1/128\n"
        "inet6 lo0 fe80::1/64 flags 0x20\n"
        "if en0 up media active lqm 50 refcnt 4\n"
        "inet en0 192.168.0.3/24\n"
        "inet en0 10.1.0.1 mask 255.0.255.0\n"
        "inet6 en0 2001:db8:0:0:1:0:0:1/64 flags 0x2 dst ::ffff:1.2.3.4\n"
        "inet6 en0 fe80::2 mask ffff:0:ffff:: noaddr nomask flagsfail\n"
        "if utun0 p2p up\n"
        "inet utun0 10.8.0.2/32\n"
        "inet utun0 10.8.0.3/32 peer 10.8.0.1 noaddr nomask nopeer\n"
        "if pdp_ip0 cheap lqm -2147483648 refcnt 4294967295\n"
        "if en9 flags 0xffffffff expensive\n");
    assert_round_trip(k);
    kev_kernel_free(k);
}

KEV_TEST(round_trip_weird_names)
{
    kev_kernel *k = kev_kernel_new();
    const char *names[] = {"a b", "\\", "#x", "x#", "\x7f", "\xff\x80",
                           "/dev/tun", "abcdefghijklmno", "\t\r\n\x01",
                           "\\x41", "\"q\"", "##", " ", "#", "\\\\\\"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        ASSERT_EQ_INT(kev_kernel_attach(k, names[i], NULL), 0);
        kev_inet_addr a = v4(10, 0, (uint8_t)i, 1);
        ASSERT_EQ_INT(kev_kernel_inet_set(k, names[i], &a), 0);
    }
    char *s = dump(k);
    kev_kernel *k2 = load_new(s);
    ASSERT_EQ_U64(kev_kernel_count(k2), kev_kernel_count(k));
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        ASSERT_EQ_STR(kev_kernel_at(k2, i)->name, names[i]);
        ASSERT_EQ_U64(kev_kernel_at(k2, i)->n_inet, 1);
    }
    ASSERT_CONTAINS(s, "\nif \\x23x flags");
    ASSERT_CONTAINS(s, "\nif \\\\x41 flags");
    ASSERT_CONTAINS(s, "\nif \\x23# flags");
    ASSERT_CONTAINS(s, "\nif \\x20 flags");
    free(s);
    kev_kernel_free(k2);
    assert_round_trip(k);
    kev_kernel_free(k);
}

KEV_TEST(round_trip_null_entries)
{
    kev_kernel *k = kev_kernel_new();
    ASSERT_EQ_INT(kev_kernel_attach(k, "en0", NULL), 0);
    ASSERT_EQ_INT(kev_kernel_attach(k, "utun1", NULL), 0);
    kev_kernel_find(k, "utun1")->flags = KEV_IFF_POINTOPOINT;
    kev_inet_addr a = v4(10, 0, 0, 1);
    /* Same bytes with and without has_addr; each NULL combination. */
    for (int bits = 0; bits < 8; bits++) {
        kev_inet_addr x = a;
        x.has_addr = bits & 1;
        x.has_mask = (bits >> 1) & 1;
        x.has_peer = (bits >> 2) & 1;
        x.mask[1] = (uint8_t)(bits * 17); /* some masks not contiguous */
        ASSERT_EQ_INT(kev_kernel_inet_set(k, "en0", &x), 0);
        ASSERT_EQ_INT(kev_kernel_inet_set(k, "utun1", &x), 0);
    }
    for (int bits = 0; bits < 16; bits++) {
        kev_inet6_addr y = v6(7, (uint32_t)bits << 28);
        y.has_addr = bits & 1;
        y.has_mask = (bits >> 1) & 1;
        y.has_dst = (bits >> 2) & 1;
        y.flags_fail = (bits >> 3) & 1;
        y.dst[15] = (uint8_t)bits; /* kept only with has_dst */
        y.mask[15] = (uint8_t)(bits & 1);
        ASSERT_EQ_INT(kev_kernel_inet6_set(k, "en0", &y), 0);
    }
    const kev_iface *f = kev_kernel_find(k, "en0");
    ASSERT_EQ_U64(f->n_inet, 5); /* the 4 has_addr ones replaced each other */
    ASSERT_EQ_U64(f->n_inet6, 9);
    char *s = dump(k);
    ASSERT_CONTAINS(s, "noaddr nomask nopeer\n");
    ASSERT_CONTAINS(s, " mask 255.119.255.0 peer 10.0.0.255\n");
    ASSERT_CONTAINS(s, " mask ffff:ffff:ffff:ffff::1 flags ");
    ASSERT_CONTAINS(s, " noaddr nomask flagsfail\n");
    free(s);
    assert_round_trip(k);
    kev_kernel_free(k);
}

KEV_TEST(round_trip_empty_and_full)
{
    kev_kernel *k = kev_kernel_new();
    assert_round_trip(k);
    /* A large kernel that still fits the snapshot cap. */
    char name[16];
    for (int i = 0; i < 64; i++) {
        snprintf(name, sizeof name, "en%d", i);
        ASSERT_EQ_INT(kev_kernel_attach(k, name, NULL), 0);
        for (int j = 0; j < 8; j++) {
            kev_inet_addr a = v4(10, (uint8_t)i, (uint8_t)j, 1);
            kev_inet6_addr b = v6((uint8_t)j, (uint32_t)j);
            b.addr[2] = (uint8_t)i;
            ASSERT_EQ_INT(kev_kernel_inet_set(k, name, &a), 0);
            ASSERT_EQ_INT(kev_kernel_inet6_set(k, name, &b), 0);
        }
    }
    assert_round_trip(k);
    kev_kernel_free(k);
}

KEV_TEST_MAIN(KEV_T(attach_defaults), KEV_T(attach_duplicate),
              KEV_T(attach_bad_names), KEV_T(attach_cap),
              KEV_T(detach_keeps_order), KEV_T(find_strncmp_semantics),
              KEV_T(find_matches_reference_scan),
              KEV_T(inet_set_replace_remove), KEV_T(inet6_set_replace_remove),
              KEV_T(address_caps), KEV_T(reset_then_reuse),
              KEV_T(snapshot_if_options), KEV_T(snapshot_names),
              KEV_T(snapshot_inet), KEV_T(snapshot_inet6),
              KEV_T(snapshot_odd_text), KEV_T(snapshot_adds_to_existing),
              KEV_T(snapshot_error_keeps_earlier_lines),
              KEV_T(snapshot_errors),
              KEV_T(snapshot_long_token_is_cut_in_messages),
              KEV_T(snapshot_caps), KEV_T(ipv6_parse_valid),
              KEV_T(ipv6_parse_invalid), KEV_T(ipv6_format_rfc5952),
              KEV_T(format_exact), KEV_T(round_trip_snapshot),
              KEV_T(round_trip_weird_names), KEV_T(round_trip_null_entries),
              KEV_T(round_trip_empty_and_full))
