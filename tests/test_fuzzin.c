/*
 * test_fuzzin.c: the multi-batch fuzz input codec (kevrr/fuzzin.h,
 * docs/fuzz-input.md): round trips, the escape for batches of 65534 bytes
 * and more, failed recv()s, every cap, every way an input can end, and
 * random byte strings (they must all decode, deterministically, without
 * reading outside the input: ASan checks that under KEV_SANITIZE).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kev_test.h"
#include "kevrr/error.h"
#include "kevrr/fuzzin.h"

/* Decodes buf[0..len) into at most `max` items; returns how many. */
static size_t decode_all(const uint8_t *buf, size_t len, kev_fuzzin_item *items, size_t max,
                         kev_fuzzin_dec *d)
{
    size_t n = 0;
    kev_fuzzin_item it;
    kev_fuzzin_dec_init(d, buf, len);
    while (kev_fuzzin_next(d, &it) == 1) {
        ASSERT_TRUE(n < max);
        items[n++] = it;
    }
    ASSERT_EQ_INT(kev_fuzzin_next(d, &it), 0); /* stays at the end */
    return n;
}

/* Fills p[0..n) with a pattern that depends on `seed`. */
static void pattern(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 31u + seed);
}

KEV_TEST(round_trip)
{
    static const size_t sizes[] = {0, 1, 24, 1000, 0xFFFD, 0xFFFE, 0xFFFF, 65536};
    enum { N = sizeof sizes / sizeof sizes[0] };
    static uint8_t data[65536], out[8 * 65600];
    kev_fuzzin_enc e;
    kev_fuzzin_enc_init(&e, out, sizeof out);
    pattern(data, sizeof data, 7);
    for (size_t i = 0; i < N; i++) {
        ASSERT_EQ_INT(kev_fuzzin_enc_batch(&e, data, sizes[i]), 0);
        if (i == 2)
            ASSERT_EQ_INT(kev_fuzzin_enc_error(&e, 35), 0);
    }
    ASSERT_EQ_INT(kev_fuzzin_enc_error(&e, 65535), 0);
    ASSERT_EQ_U64(e.items, N + 2);
    kev_fuzzin_item items[N + 2];
    kev_fuzzin_dec d;
    ASSERT_EQ_U64(decode_all(out, e.len, items, N + 2, &d), N + 2);
    ASSERT_EQ_INT(d.stop, KEV_FUZZIN_END);
    ASSERT_EQ_U64(d.stop_offset, e.len);
    size_t k = 0, off = 0;
    for (size_t i = 0; i < N + 2; i++) {
        const kev_fuzzin_item *it = &items[i];
        ASSERT_EQ_U64(it->index, i);
        ASSERT_EQ_U64(it->offset, off);
        ASSERT_EQ_U64(it->t_ns, KEV_FUZZIN_T0_NS + i * KEV_FUZZIN_STEP_NS);
        if (i == 3 || i == N + 1) {
            ASSERT_EQ_INT(it->kind, KEV_FUZZIN_ERROR);
            ASSERT_EQ_INT(it->err, i == 3 ? 35 : 65535);
            off += 4;
            continue;
        }
        ASSERT_EQ_INT(it->kind, KEV_FUZZIN_BATCH);
        ASSERT_EQ_U64(it->len, sizes[k]);
        ASSERT_EQ_U64(it->origlen, sizes[k]);
        ASSERT_EQ_U64(it->stated, sizes[k]);
        if (sizes[k])
            ASSERT_EQ_MEM(it->data, data, sizes[k]);
        else
            ASSERT_NULL(it->data);
        off += kev_fuzzin_batch_size(sizes[k++]);
    }
}

/* Batches of 0xFFFE bytes and more take the 6-byte escape; below it the
 * plain u16; a non-canonical escape for a small batch still decodes. */
KEV_TEST(big_escape)
{
    ASSERT_EQ_U64(kev_fuzzin_batch_size(0xFFFD), 2 + 0xFFFD);
    ASSERT_EQ_U64(kev_fuzzin_batch_size(0xFFFE), 6 + 0xFFFE);
    ASSERT_EQ_U64(kev_fuzzin_batch_size(65536), 6 + 65536);
    static uint8_t data[65536], out[65542];
    kev_fuzzin_enc e;
    kev_fuzzin_enc_init(&e, out, sizeof out);
    ASSERT_EQ_INT(kev_fuzzin_enc_batch(&e, data, 65536), 0);
    static const uint8_t hdr[6] = {0xFE, 0xFF, 0x00, 0x00, 0x01, 0x00};
    ASSERT_EQ_MEM(out, hdr, 6);
    ASSERT_EQ_INT(kev_fuzzin_enc_batch(&e, data, 65537), KEV_ETOOBIG);

    const uint8_t small[] = {0xFE, 0xFF, 3, 0, 0, 0, 'a', 'b', 'c', 1, 0, 'z'};
    kev_fuzzin_item items[4];
    kev_fuzzin_dec d;
    ASSERT_EQ_U64(decode_all(small, sizeof small, items, 4, &d), 2);
    ASSERT_EQ_U64(items[0].len, 3);
    ASSERT_EQ_MEM(items[0].data, "abc", 3);
    ASSERT_EQ_U64(items[1].offset, 9);
    ASSERT_EQ_U64(items[1].len, 1);
    ASSERT_EQ_INT(items[1].data[0], 'z');
    ASSERT_EQ_INT(d.stop, KEV_FUZZIN_END);
}

/* A length past the end takes what is left; a batch over the cap is cut,
 * its true length kept. */
KEV_TEST(lengths_past_end_and_over_cap)
{
    const uint8_t in[] = {10, 0, 'a', 'b', 'c'};
    kev_fuzzin_item items[2];
    kev_fuzzin_dec d;
    ASSERT_EQ_U64(decode_all(in, sizeof in, items, 2, &d), 1);
    ASSERT_EQ_U64(items[0].stated, 10);
    ASSERT_EQ_U64(items[0].origlen, 3);
    ASSERT_EQ_U64(items[0].len, 3);
    ASSERT_EQ_INT(d.stop, KEV_FUZZIN_END);

    size_t n = 6 + 100000;
    uint8_t *big = calloc(1, n);
    ASSERT_NOT_NULL(big);
    big[0] = 0xFE; /* the escape, then the u32 */
    big[1] = 0xFF;
    big[2] = 0xA0; /* 100000 = 0x186A0 */
    big[3] = 0x86;
    big[4] = 0x01;
    ASSERT_EQ_U64(decode_all(big, n, items, 2, &d), 1);
    ASSERT_EQ_U64(items[0].stated, 100000);
    ASSERT_EQ_U64(items[0].origlen, 100000);
    ASSERT_EQ_U64(items[0].len, KEV_FUZZIN_MAX_BATCH);
    ASSERT_TRUE(items[0].data == big + 6);
    free(big);
}

/* A header cut short ends the input: one byte, an escape without its
 * length, an error without its errno. */
KEV_TEST(cut_headers)
{
    static const struct {
        uint8_t in[8];
        size_t len, items, stop_offset;
    } cases[] = {
        {{0x07}, 1, 0, 0},
        {{0, 0, 0x05}, 3, 1, 2},
        {{0xFE, 0xFF, 1, 0, 0}, 5, 0, 0},
        {{0xFF, 0xFF, 35}, 3, 0, 0},
        {{1, 0, 'x', 0, 0}, 5, 2, 5}, /* two bytes: a whole (empty) entry */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kev_fuzzin_item items[4];
        kev_fuzzin_dec d;
        size_t n = decode_all(cases[i].in, cases[i].len, items, 4, &d);
        ASSERT_EQ_U64(n, cases[i].items);
        ASSERT_EQ_U64(d.stop_offset, cases[i].stop_offset);
        ASSERT_EQ_INT(d.stop, cases[i].stop_offset == cases[i].len ? KEV_FUZZIN_END
                                                                   : KEV_FUZZIN_CUT_HEADER);
    }
    /* FF FF is the error escape, never a length: without its errno, the
     * header is cut short. */
    kev_fuzzin_item items[4];
    kev_fuzzin_dec d;
    const uint8_t ff[] = {1, 0, 'x', 0xFF, 0xFF, 0x01};
    ASSERT_EQ_U64(decode_all(ff, sizeof ff, items, 4, &d), 1);
    ASSERT_EQ_INT(d.stop, KEV_FUZZIN_CUT_HEADER);
    ASSERT_EQ_U64(d.stop_offset, 3);
    /* The empty input: no items, a clean end. */
    ASSERT_EQ_U64(decode_all(NULL, 0, items, 4, &d), 0);
    ASSERT_EQ_INT(d.stop, KEV_FUZZIN_END);
}

KEV_TEST(errors)
{
    uint8_t out[16];
    kev_fuzzin_enc e;
    kev_fuzzin_enc_init(&e, out, sizeof out);
    ASSERT_EQ_INT(kev_fuzzin_enc_error(&e, -1), KEV_ERANGE);
    ASSERT_EQ_INT(kev_fuzzin_enc_error(&e, 65536), KEV_ERANGE);
    ASSERT_EQ_INT(kev_fuzzin_enc_error(&e, 0), 0);
    ASSERT_EQ_INT(kev_fuzzin_enc_error(&e, 4), 0);
    static const uint8_t want[8] = {0xFF, 0xFF, 0, 0, 0xFF, 0xFF, 4, 0};
    ASSERT_EQ_U64(e.len, 8);
    ASSERT_EQ_MEM(out, want, 8);
    kev_fuzzin_item items[4];
    kev_fuzzin_dec d;
    ASSERT_EQ_U64(decode_all(out, e.len, items, 4, &d), 2);
    ASSERT_EQ_INT(items[1].kind, KEV_FUZZIN_ERROR);
    ASSERT_EQ_INT(items[1].err, 4);
    ASSERT_EQ_U64(items[1].stated, 2);
    ASSERT_NULL(items[1].data);
    ASSERT_EQ_U64(items[1].len, 0);
}

/* The buffer encoder refuses an entry without room, writing nothing. */
KEV_TEST(buffer_room)
{
    uint8_t out[8];
    memset(out, 0xAA, sizeof out);
    kev_fuzzin_enc e;
    kev_fuzzin_enc_init(&e, out, sizeof out);
    ASSERT_EQ_INT(kev_fuzzin_enc_batch(&e, (const uint8_t *)"abcd", 4), 0);
    ASSERT_EQ_INT(kev_fuzzin_enc_batch(&e, (const uint8_t *)"abc", 3), KEV_ERANGE);
    ASSERT_EQ_INT(kev_fuzzin_enc_error(&e, 9), KEV_ERANGE);
    ASSERT_EQ_U64(e.len, 6);
    ASSERT_EQ_U64(e.items, 1);
    ASSERT_EQ_INT(out[6], 0xAA);
    ASSERT_EQ_INT(kev_fuzzin_enc_batch(&e, NULL, 0), 0);
    ASSERT_EQ_U64(e.len, 8);
}

static int count_write(void *ctx, const uint8_t *p, size_t n)
{
    (void)p;
    *(size_t *)ctx += n;
    return 0;
}

static int failing_write(void *ctx, const uint8_t *p, size_t n)
{
    (void)p;
    (void)n;
    return ++*(int *)ctx >= 2 ? KEV_EIO : 0;
}

/* Entries per input and bytes per input are capped on both sides. */
KEV_TEST(caps)
{
    size_t written = 0;
    kev_fuzzin_enc e;
    kev_fuzzin_enc_init_write(&e, count_write, &written);
    for (unsigned i = 0; i < KEV_FUZZIN_MAX_ITEMS; i++)
        ASSERT_EQ_INT(kev_fuzzin_enc_batch(&e, NULL, 0), 0);
    ASSERT_EQ_INT(kev_fuzzin_enc_batch(&e, NULL, 0), KEV_ETOOBIG);
    ASSERT_EQ_INT(kev_fuzzin_enc_error(&e, 1), KEV_ETOOBIG);
    ASSERT_EQ_U64(written, 2 * KEV_FUZZIN_MAX_ITEMS);

    /* One more entry than the cap: the decoder stops at the cap. */
    size_t n = 2 * (KEV_FUZZIN_MAX_ITEMS + 1);
    uint8_t *zeros = calloc(1, n);
    ASSERT_NOT_NULL(zeros);
    kev_fuzzin_dec d;
    kev_fuzzin_item it;
    size_t count = 0;
    kev_fuzzin_dec_init(&d, zeros, n);
    while (kev_fuzzin_next(&d, &it) == 1)
        count++;
    ASSERT_EQ_U64(count, KEV_FUZZIN_MAX_ITEMS);
    ASSERT_EQ_INT(d.stop, KEV_FUZZIN_TOO_MANY_ITEMS);
    ASSERT_EQ_U64(d.stop_offset, n - 2);
    free(zeros);

    /* Bytes: 256 batches of 65536 bytes pass 16 MiB. */
    static uint8_t data[65536];
    written = 0;
    kev_fuzzin_enc_init_write(&e, count_write, &written);
    unsigned ok = 0;
    while (kev_fuzzin_enc_batch(&e, data, sizeof data) == 0)
        ok++;
    ASSERT_EQ_U64(ok, KEV_FUZZIN_MAX_INPUT / (65536 + 6));
    ASSERT_TRUE(written <= KEV_FUZZIN_MAX_INPUT);
    /* What is left (64004 bytes) takes a 2-byte header. */
    ASSERT_EQ_INT(kev_fuzzin_enc_batch(&e, data, KEV_FUZZIN_MAX_INPUT - written - 2), 0);
    ASSERT_EQ_U64(written, KEV_FUZZIN_MAX_INPUT);
    ASSERT_EQ_INT(kev_fuzzin_enc_error(&e, 1), KEV_ETOOBIG);

    /* The decoder ignores what lies past 16 MiB. */
    uint8_t *huge = calloc(1, KEV_FUZZIN_MAX_INPUT + 100);
    ASSERT_NOT_NULL(huge);
    memset(huge, 0xFE, 6); /* the escape, stating 0xFEFEFEFE bytes */
    huge[1] = 0xFF;
    kev_fuzzin_dec_init(&d, huge, KEV_FUZZIN_MAX_INPUT + 100);
    ASSERT_EQ_INT(kev_fuzzin_next(&d, &it), 1);
    ASSERT_EQ_U64(it.stated, 0xFEFEFEFEu);
    ASSERT_EQ_U64(it.origlen, KEV_FUZZIN_MAX_INPUT - 6);
    ASSERT_EQ_U64(it.len, KEV_FUZZIN_MAX_BATCH);
    ASSERT_EQ_INT(kev_fuzzin_next(&d, &it), 0);
    ASSERT_EQ_INT(d.stop, KEV_FUZZIN_END);
    ASSERT_EQ_U64(d.input_len, KEV_FUZZIN_MAX_INPUT + 100);
    free(huge);
}

/* A failing write is returned and sticks. */
KEV_TEST(write_error_sticks)
{
    int calls = 0;
    kev_fuzzin_enc e;
    kev_fuzzin_enc_init_write(&e, failing_write, &calls);
    ASSERT_EQ_INT(kev_fuzzin_enc_batch(&e, (const uint8_t *)"ab", 2), KEV_EIO);
    ASSERT_EQ_INT(kev_fuzzin_enc_batch(&e, NULL, 0), KEV_EIO);
    ASSERT_EQ_INT(kev_fuzzin_enc_error(&e, 4), KEV_EIO);
    ASSERT_EQ_U64(e.items, 0);
}

KEV_TEST(clock)
{
    const uint8_t in[] = {0, 0, 0, 0, 0, 0};
    kev_fuzzin_dec d;
    kev_fuzzin_item it;
    kev_fuzzin_dec_init(&d, in, sizeof in);
    d.t0_ns = 5;
    d.step_ns = 10;
    for (unsigned i = 0; i < 3; i++) {
        ASSERT_EQ_INT(kev_fuzzin_next(&d, &it), 1);
        ASSERT_EQ_U64(it.t_ns, 5 + 10 * i);
    }
    kev_fuzzin_dec_init(&d, in, sizeof in);
    d.t0_ns = UINT64_MAX - 1;
    d.step_ns = 1;
    ASSERT_EQ_INT(kev_fuzzin_next(&d, &it), 1);
    ASSERT_EQ_INT(kev_fuzzin_next(&d, &it), 1);
    ASSERT_EQ_U64(it.t_ns, UINT64_MAX);
    ASSERT_EQ_INT(kev_fuzzin_next(&d, &it), 1);
    ASSERT_EQ_U64(it.t_ns, UINT64_MAX); /* saturates, never wraps */
}

static uint32_t rng(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Random bytes, biased towards the escape values and short lengths. */
static void random_input(uint8_t *p, size_t n, uint32_t *s)
{
    static const uint8_t specials[] = {0x00, 0x01, 0x02, 0x05, 0xFE, 0xFF};
    for (size_t i = 0; i < n; i++) {
        uint32_t r = rng(s);
        p[i] = r % 3 ? specials[(r >> 8) % sizeof specials] : (uint8_t)(r >> 16);
    }
}

#define RANDOM_MAX_ITEMS 200

/* Field by field: structs may hold padding. */
static bool same_item(const kev_fuzzin_item *x, const kev_fuzzin_item *y)
{
    return x->kind == y->kind && x->index == y->index && x->offset == y->offset &&
           x->t_ns == y->t_ns && x->data == y->data && x->len == y->len &&
           x->origlen == y->origlen && x->stated == y->stated && x->err == y->err;
}

/* Every random input decodes; twice gives the same items; items tile the
 * considered bytes in order; re-encoding what was decoded decodes to the
 * same batches and errors. */
KEV_TEST(random_bytes)
{
    uint32_t seed = 0x9e3779b9u;
    static kev_fuzzin_item a[RANDOM_MAX_ITEMS], b[RANDOM_MAX_ITEMS], c[RANDOM_MAX_ITEMS];
    static uint8_t re[RANDOM_MAX_ITEMS * 8];
    for (int round = 0; round < 20000; round++) {
        size_t n = rng(&seed) % 300;
        uint8_t *in = malloc(n ? n : 1); /* exact size: ASan sees any overread */
        ASSERT_NOT_NULL(in);
        random_input(in, n, &seed);
        kev_fuzzin_dec d1, d2, d3;
        size_t na = decode_all(in, n, a, RANDOM_MAX_ITEMS, &d1);
        size_t nb = decode_all(in, n, b, RANDOM_MAX_ITEMS, &d2);
        ASSERT_EQ_U64(na, nb);
        ASSERT_EQ_INT(d1.stop, d2.stop);
        ASSERT_EQ_U64(d1.stop_offset, d2.stop_offset);
        for (size_t i = 0; i < na; i++)
            ASSERT_TRUE(same_item(&a[i], &b[i]));
        ASSERT_TRUE(d1.stop_offset <= n);
        ASSERT_TRUE(n - d1.stop_offset < KEV_FUZZIN_HEADER_MAX);
        kev_fuzzin_enc e;
        kev_fuzzin_enc_init(&e, re, sizeof re);
        for (size_t i = 0; i < na; i++) {
            ASSERT_EQ_U64(a[i].index, i);
            ASSERT_TRUE(a[i].len <= a[i].origlen && a[i].origlen <= n);
            if (a[i].len)
                ASSERT_TRUE(a[i].data >= in && a[i].data + a[i].len <= in + n);
            ASSERT_TRUE(i == 0 || a[i].offset > a[i - 1].offset);
            int rc = a[i].kind == KEV_FUZZIN_ERROR
                         ? kev_fuzzin_enc_error(&e, a[i].err)
                         : kev_fuzzin_enc_batch(&e, a[i].data, a[i].len);
            ASSERT_EQ_INT(rc, 0);
        }
        ASSERT_EQ_U64(decode_all(re, e.len, c, RANDOM_MAX_ITEMS, &d3), na);
        ASSERT_EQ_INT(d3.stop, KEV_FUZZIN_END);
        for (size_t i = 0; i < na; i++) {
            ASSERT_EQ_INT(c[i].kind, a[i].kind);
            ASSERT_EQ_INT(c[i].err, a[i].err);
            ASSERT_EQ_U64(c[i].len, a[i].len);
            ASSERT_TRUE(a[i].len == 0 || memcmp(c[i].data, a[i].data, a[i].len) == 0);
        }
        free(in);
    }
}

KEV_TEST_MAIN(KEV_T(round_trip), KEV_T(big_escape), KEV_T(lengths_past_end_and_over_cap),
              KEV_T(cut_headers), KEV_T(errors), KEV_T(buffer_room), KEV_T(caps),
              KEV_T(write_error_sticks), KEV_T(clock), KEV_T(random_bytes))
