/*
 * fuzz/test_mutator.c: the structure-aware mutator (fuzz/mutator.h) does
 * what docs/fuzzing.md says: deterministic for a seed, always within
 * max_len, keeps the framing most of the time and breaks total_size
 * sometimes, sets codes from the event table, reaches the if_name and
 * hw_len shapes that the defects need, and edits multi-batch entries.
 */
#include <string.h>

#include "kev_test.h"
#include "kevrr/events.h"
#include "kevrr/fuzzin.h"
#include "kevrr/wire.h"
#include "mutator.h"

#define ROUNDS 4000u
#define BUF    8192u

/* A well-formed batch: en0 attaches, then links on (two 48-byte records). */
static size_t seed_batch(uint8_t *buf)
{
    static const uint32_t codes[] = {KEV_DL_IF_ATTACHED, KEV_DL_LINK_ON};
    size_t n = 0;
    for (size_t i = 0; i < 2; i++) {
        kev_msg_header h = {48, KEV_VENDOR_APPLE, KEV_NETWORK_CLASS, KEV_DL_SUBCLASS,
                            (uint32_t)i, codes[i]};
        memset(buf + n, 0, 48);
        kev_wire_header_write(buf + n, &h);
        memcpy(buf + n + KEV_MSG_HEADER_SIZE + KEV_OFF_IF_NAME, "en", 2);
        n += 48;
    }
    return n;
}

/* What a strict walk of a batch finds. */
typedef struct walk {
    bool clean;            /* every record well framed to the end */
    bool name16, high, cut; /* if_name shapes seen */
    bool hw255;
    uint32_t rows[16 * 64]; /* subclass < 16, code < 64 */
} walk;

static void walk_batch(const uint8_t *p, size_t n, walk *w)
{
    size_t pos = 0, off;
    kev_msg_header h;
    int rc;
    while ((rc = kev_wire_next(p, n, &pos, &off, &h)) == 1) {
        const kev_event_def *d = kev_event_lookup(h.kev_subclass, h.event_code);
        const uint8_t *pl = p + off + KEV_MSG_HEADER_SIZE;
        size_t len = h.total_size - KEV_MSG_HEADER_SIZE;
        if (d != NULL && h.kev_subclass < 16 && h.event_code < 64)
            w->rows[h.kev_subclass * 64 + h.event_code] = 1;
        if (len >= KEV_OFF_IF_NAME + KEV_IFNAMSIZ) {
            const uint8_t *name = pl + KEV_OFF_IF_NAME;
            w->name16 |= memchr(name, 0, KEV_IFNAMSIZ) == NULL;
            for (size_t i = 0; i < KEV_IFNAMSIZ && name[i]; i++)
                w->high |= name[i] >= 0x80;
            w->cut |= name[14] == 0xc3;
        }
        if (d != NULL && d->layout == KEV_L_IN_COLLISION && len > KEV_OFF_COLL_HWLEN)
            w->hw255 |= pl[KEV_OFF_COLL_HWLEN] == 255;
    }
    w->clean = rc == 0;
}

KEV_TEST(deterministic)
{
    uint8_t a[BUF], b[BUF];
    for (uint64_t seed = 1; seed < 200; seed++) {
        size_t n = seed_batch(a);
        memcpy(b, a, n);
        size_t na = kev_mut_mutate(KEV_MUT_SINGLE, a, n, sizeof a, NULL, 0, seed, NULL);
        size_t nb = kev_mut_mutate(KEV_MUT_SINGLE, b, n, sizeof b, NULL, 0, seed, NULL);
        ASSERT_EQ_U64(na, nb);
        ASSERT_EQ_MEM(a, b, na);
    }
}

KEV_TEST(single_batch_structure)
{
    uint8_t buf[BUF];
    walk all;
    size_t clean = 0, rows = 0, max = 600;
    memset(&all, 0, sizeof all);
    for (uint64_t seed = 1; seed <= ROUNDS; seed++) {
        size_t n = seed_batch(buf);
        /* Mutate the result of the previous round half the time, so
         * stacked mutations are exercised too. */
        n = kev_mut_mutate(KEV_MUT_SINGLE, buf, n, max, NULL, 0, seed, NULL);
        ASSERT_TRUE(n <= max);
        n = kev_mut_mutate(KEV_MUT_SINGLE, buf, n, max, NULL, 0, seed * 7919, NULL);
        ASSERT_TRUE(n <= max);
        walk w;
        memset(&w, 0, sizeof w);
        walk_batch(buf, n, &w);
        clean += w.clean;
        all.name16 |= w.name16;
        all.high |= w.high;
        all.cut |= w.cut;
        all.hw255 |= w.hw255;
        for (size_t i = 0; i < sizeof w.rows / sizeof w.rows[0]; i++)
            all.rows[i] |= w.rows[i];
    }
    for (size_t i = 0; i < sizeof all.rows / sizeof all.rows[0]; i++)
        rows += all.rows[i];
    /* total_size consistent most of the time, broken sometimes. */
    ASSERT_TRUE(clean > ROUNDS / 2);
    ASSERT_TRUE(clean < ROUNDS);
    /* Codes from the table: most rows reached. */
    size_t nrows = 0;
    (void)kev_event_table(&nrows);
    ASSERT_TRUE(rows > nrows / 2);
    ASSERT_TRUE(all.name16 && all.high && all.cut && all.hw255);
}

KEV_TEST(multi_batch_entries)
{
    uint8_t buf[BUF], batch[256];
    size_t errors = 0, counts[8] = {0};
    for (uint64_t seed = 1; seed <= ROUNDS; seed++) {
        kev_fuzzin_enc e;
        kev_fuzzin_enc_init(&e, buf, sizeof buf);
        size_t bn = seed_batch(batch);
        ASSERT_EQ_INT(kev_fuzzin_enc_batch(&e, batch, bn), 0);
        ASSERT_EQ_INT(kev_fuzzin_enc_batch(&e, batch, bn), 0);
        size_t n = kev_mut_mutate(KEV_MUT_MULTI, buf, e.len, 2000, NULL, 0, seed, NULL);
        ASSERT_TRUE(n <= 2000);
        kev_fuzzin_dec d;
        kev_fuzzin_item it;
        size_t items = 0;
        kev_fuzzin_dec_init(&d, buf, n);
        while (kev_fuzzin_next(&d, &it) == 1) {
            items++;
            errors += it.kind == KEV_FUZZIN_ERROR;
        }
        counts[items < 7 ? items : 7]++;
    }
    /* Failed recv()s inserted, entries deleted and added. */
    ASSERT_TRUE(errors > 0);
    ASSERT_TRUE(counts[1] > 0 && counts[3] > 0);
    ASSERT_TRUE(counts[2] > ROUNDS / 4);
}

KEV_TEST(splice_from_other)
{
    uint8_t buf[BUF], other[64];
    size_t spliced = 0;
    /* The other input: one NETPOLICY record no seed has. */
    kev_msg_header h = {24, KEV_VENDOR_APPLE, KEV_NETWORK_CLASS, KEV_NETPOLICY_SUBCLASS, 77, 1};
    kev_wire_header_write(other, &h);
    for (uint64_t seed = 1; seed <= ROUNDS; seed++) {
        size_t n = seed_batch(buf);
        n = kev_mut_mutate(KEV_MUT_SINGLE, buf, n, sizeof buf, other, 24, seed, NULL);
        for (size_t i = 0; i + 24 <= n; i++)
            if (memcmp(buf + i, other, 24) == 0) {
                spliced++;
                break;
            }
    }
    ASSERT_TRUE(spliced > 0);
}

KEV_TEST(bytes_form_and_parse)
{
    uint8_t buf[64] = {1, 2, 3, 4};
    kev_mut_form f;
    ASSERT_EQ_INT(kev_mut_form_parse("multi", &f), 0);
    ASSERT_EQ_INT((int)f, (int)KEV_MUT_MULTI);
    ASSERT_EQ_INT(kev_mut_form_parse("trace", &f), 0);
    ASSERT_EQ_INT((int)f, (int)KEV_MUT_BYTES);
    ASSERT_EQ_INT(kev_mut_form_parse("pcap", &f), -1);
    size_t changed = 0;
    for (uint64_t seed = 1; seed < 100; seed++) {
        uint8_t c[64] = {1, 2, 3, 4};
        size_t n = kev_mut_mutate(KEV_MUT_BYTES, c, 4, sizeof c, NULL, 0, seed, NULL);
        ASSERT_TRUE(n >= 1 && n <= sizeof c);
        changed += n != 4 || memcmp(c, buf, 4) != 0;
    }
    ASSERT_TRUE(changed > 90);
}

KEV_TEST_MAIN(KEV_T(deterministic), KEV_T(single_batch_structure), KEV_T(multi_batch_entries),
              KEV_T(splice_from_other), KEV_T(bytes_form_and_parse))
