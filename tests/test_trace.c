/*
 * test_trace.c: trace files (kevrr/trace.h, docs/trace-format.md): exact
 * round trips of batches, errors, metadata and statistics; member layout
 * (KV subfield, EOF member, standard gzip framing, blocks that span
 * members); a killed writer; truncation at every byte and corruption of
 * every byte of a small multi-member trace, with and without salvage;
 * crafted files (lengths that claim gigabytes, a newer format, a foreign
 * link type, a big-endian section, unknown blocks and options); seeks that
 * must not inflate the members they skip.
 */
#define _POSIX_C_SOURCE 200809L /* mkstemp, fdopen, unlink */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "kev_bgzf.h"
#include "kev_test.h"
#include "kevrr/error.h"
#include "kevrr/trace.h"

/* ---- files ------------------------------------------------------------ */

/* A fresh temporary path (the file exists, empty); the caller unlinks. */
static char *tmp_path(void)
{
    char *p = malloc(64);
    ASSERT_NOT_NULL(p);
    snprintf(p, 64, "/tmp/kevrr-test-trace-XXXXXX");
    int fd = mkstemp(p);
    ASSERT_TRUE(fd >= 0);
    close(fd);
    return p;
}

static void spit(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    ASSERT_NOT_NULL(f);
    ASSERT_EQ_U64(fwrite(p, 1, n, f), n);
    ASSERT_EQ_INT(fclose(f), 0);
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ASSERT_NOT_NULL(f);
    ASSERT_EQ_INT(fseek(f, 0, SEEK_END), 0);
    long len = ftell(f);
    ASSERT_TRUE(len >= 0);
    rewind(f);
    uint8_t *p = malloc((size_t)len + 1);
    ASSERT_NOT_NULL(p);
    ASSERT_EQ_U64(fread(p, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return p;
}

static void rm(char *path)
{
    unlink(path);
    free(path);
}

/* ---- expected records ------------------------------------------------- */

typedef struct xrec {
    kev_trace_kind kind;
    uint64_t t;
    uint32_t caplen, origlen;
    int err;
    const char *name;
    uint8_t *data;
} xrec;

typedef struct xtrace {
    xrec *v;
    size_t n;
} xtrace;

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void x_add_batch(xtrace *x, uint64_t t, uint32_t caplen, uint32_t origlen,
                        uint64_t *seed)
{
    x->v = realloc(x->v, (x->n + 1) * sizeof *x->v);
    ASSERT_NOT_NULL(x->v);
    xrec *r = &x->v[x->n++];
    memset(r, 0, sizeof *r);
    r->kind = KEV_TR_BATCH;
    r->t = t;
    r->caplen = caplen;
    r->origlen = origlen;
    r->data = malloc(caplen + 1u);
    ASSERT_NOT_NULL(r->data);
    for (uint32_t i = 0; i < caplen; i++)
        r->data[i] = (uint8_t)(rng_next(seed) % 7u); /* compressible, not trivial */
}

static void x_add_error(xtrace *x, uint64_t t, int err, const char *name)
{
    x->v = realloc(x->v, (x->n + 1) * sizeof *x->v);
    ASSERT_NOT_NULL(x->v);
    xrec *r = &x->v[x->n++];
    memset(r, 0, sizeof *r);
    r->kind = KEV_TR_ERROR;
    r->t = t;
    r->err = err;
    r->name = name;
}

static void x_free(xtrace *x)
{
    for (size_t i = 0; i < x->n; i++)
        free(x->v[i].data);
    free(x->v);
    x->v = NULL;
    x->n = 0;
}

/* Writes `x` to `f`, flushing after every `flush_every` records (0: never);
 * closes cleanly with `stop_ns` unless `abandon_after` (records) is set. */
static void write_records(kev_trace_writer *w, const xtrace *x, size_t from, size_t to,
                          size_t flush_every)
{
    for (size_t i = from; i < to; i++) {
        const xrec *r = &x->v[i];
        int rc = r->kind == KEV_TR_BATCH
                     ? kev_trace_write_batch(w, r->t, r->data, r->caplen, r->origlen)
                     : kev_trace_write_error(w, r->t, r->err, r->name);
        ASSERT_EQ_INT(rc, 0);
        if (flush_every && (i + 1) % flush_every == 0)
            ASSERT_EQ_INT(kev_trace_flush(w, false), 0);
    }
}

static void write_trace(const char *path, const kev_trace_meta *meta, const xtrace *x,
                        size_t flush_every, uint64_t stop_ns)
{
    int err = -99;
    FILE *f = fopen(path, "wb");
    ASSERT_NOT_NULL(f);
    kev_trace_writer *w = kev_trace_writer_open(f, meta, &err);
    ASSERT_NOT_NULL(w);
    ASSERT_EQ_INT(err, 0);
    write_records(w, x, 0, x->n, flush_every);
    ASSERT_EQ_INT(kev_trace_writer_close(w, stop_ns), 0);
    ASSERT_EQ_INT(fclose(f), 0);
}

/* ---- reading everything ------------------------------------------------ */

typedef struct grec {
    kev_trace_kind kind;
    uint64_t index, t;
    uint32_t caplen, origlen;
    int err;
    bool has_name;
    char name[40];
    uint8_t *data;
} grec;

typedef struct got {
    grec *v;
    size_t n;
    bool opened;
    int err; /* kev_trace_open's error, or the last kev_trace_next's */
    kev_trace_damage end;
    uint64_t skipped;
} got;

static void got_free(got *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->v[i].data);
    free(g->v);
    memset(g, 0, sizeof *g);
}

static void got_add(got *g, const kev_trace_rec *rec)
{
    g->v = realloc(g->v, (g->n + 1) * sizeof *g->v);
    ASSERT_NOT_NULL(g->v);
    grec *r = &g->v[g->n++];
    memset(r, 0, sizeof *r);
    r->kind = rec->kind;
    r->index = rec->index;
    r->t = rec->t_ns;
    r->caplen = rec->caplen;
    r->origlen = rec->origlen;
    r->err = rec->err;
    r->has_name = rec->err_name != NULL;
    if (rec->err_name)
        snprintf(r->name, sizeof r->name, "%s", rec->err_name);
    r->data = malloc(rec->caplen + 1u);
    ASSERT_NOT_NULL(r->data);
    if (rec->caplen)
        memcpy(r->data, rec->data, rec->caplen);
}

/* Opens `path` and reads every record it yields. */
static void read_all(const char *path, unsigned flags, got *g)
{
    kev_trace_damage d;
    kev_trace_rec rec;
    memset(g, 0, sizeof *g);
    kev_trace_reader *r = kev_trace_open(path, flags, &g->err, &d);
    if (r == NULL) {
        ASSERT_TRUE(g->err < 0);
        g->end = d;
        return;
    }
    g->opened = true;
    int rc;
    size_t guard = 0;
    while ((rc = kev_trace_next(r, &rec)) == 1) {
        got_add(g, &rec);
        ASSERT_TRUE(++guard < 10000000);
    }
    g->err = rc;
    g->end = *kev_trace_end(r, &g->skipped);
    /* Once ended, it stays ended. */
    ASSERT_EQ_INT(kev_trace_next(r, &rec), rc);
    kev_trace_close(r);
}

static bool rec_matches(const grec *g, const xrec *x)
{
    if (g->kind != x->kind || g->t != x->t || g->caplen != x->caplen ||
        g->origlen != x->origlen || g->err != x->err)
        return false;
    if (x->kind == KEV_TR_ERROR &&
        (g->has_name != (x->name != NULL) || (x->name && strcmp(g->name, x->name) != 0)))
        return false;
    return x->caplen == 0 || memcmp(g->data, x->data, x->caplen) == 0;
}

/* Every record read is the written one with its index, in order. */
static void check_subset(const got *g, const xtrace *x)
{
    for (size_t i = 0; i < g->n; i++) {
        ASSERT_TRUE(g->v[i].index < x->n);
        if (i)
            ASSERT_TRUE(g->v[i].index > g->v[i - 1].index);
        if (!rec_matches(&g->v[i], &x->v[g->v[i].index]))
            KEV__FAIL("record %zu (index %llu) differs from the one written", i,
                      (unsigned long long)g->v[i].index);
    }
}

/* Exactly records 0..count-1. */
static void check_prefix(const got *g, const xtrace *x, size_t count)
{
    ASSERT_EQ_U64(g->n, count);
    check_subset(g, x);
    for (size_t i = 0; i < g->n; i++)
        ASSERT_EQ_U64(g->v[i].index, i);
}

static bool got_has(const got *g, uint64_t index)
{
    for (size_t i = 0; i < g->n; i++)
        if (g->v[i].index == index)
            return true;
    return false;
}

/* ---- member layout, parsed by hand ------------------------------------ */

typedef struct mem {
    size_t off, size;
    bool kv;
    uint16_t first_block_off;
    uint64_t first_batch, first_t;
    uint32_t isize;
} mem;

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* Splits a file we wrote into its members; returns their count. */
static size_t members_of(const uint8_t *p, size_t n, mem *out, size_t max)
{
    size_t k = 0, off = 0;
    while (off < n) {
        ASSERT_TRUE(k < max);
        ASSERT_TRUE(n - off >= KEV_BGZF_EOF_LEN);
        ASSERT_EQ_INT(p[off], 0x1f);
        mem *m = &out[k++];
        memset(m, 0, sizeof *m);
        size_t xlen = p[off + 10] | (size_t)p[off + 11] << 8;
        m->off = off;
        m->size = (size_t)(p[off + 16] | p[off + 17] << 8) + 1;
        m->kv = xlen == 28;
        if (m->kv) {
            ASSERT_EQ_INT(p[off + 18], 'K');
            m->first_block_off = (uint16_t)(p[off + 22] | p[off + 23] << 8);
            m->first_batch = le64(p + off + 24);
            m->first_t = le64(p + off + 32);
        }
        m->isize = le32(p + off + m->size - 4);
        ASSERT_TRUE(m->size <= KEV_BGZF_MAX_MEMBER);
        ASSERT_TRUE(m->isize <= KEV_BGZF_MAX_DATA);
        off += m->size;
    }
    ASSERT_EQ_U64(off, n);
    return k;
}

/* Records that start before member `i` (all of them past the last). */
static uint64_t records_before(const mem *ms, size_t nm, size_t i, size_t total)
{
    for (; i < nm; i++)
        if (ms[i].kv)
            return ms[i].first_batch;
    return total;
}

/* ---- traces used by several tests -------------------------------------- */

static const char snapshot_small[] =
    "if lo0 flags 0x8049 media none lqm -1 refcnt 0 cheap\n"
    "inet lo0 127.0.0.1/8 peer 127.255.255.255\n";

static kev_trace_meta meta_full(const char *snap, size_t snap_len)
{
    kev_trace_meta m;
    memset(&m, 0, sizeof m);
    m.source = "unix:/var/run/kev.sock";
    m.filter = "vendor=1 class=1 subclass=0";
    m.os = "Darwin 17.7.0";
    m.hardware = "x86_64";
    m.tool = "kevrr 0.1.0";
    m.comment = "captured for test_trace";
    m.snapshot = snap;
    m.snapshot_len = snap_len;
    m.big_endian = false;
    m.start_ns = 1700000000123456789ull;
    return m;
}

/* A small trace of `members` data members: 3 records per member (one of
 * them an error every other member, one empty batch), flushed after each
 * member's records; member 0 holds the SHB and IDB only. */
static void small_trace(const char *path, xtrace *x, size_t members)
{
    uint64_t seed = 42;
    kev_trace_meta m = meta_full(snapshot_small, sizeof snapshot_small - 1);
    for (size_t k = 0; k < members; k++) {
        uint64_t t = 1700000001000000000ull + k * 1000000000ull;
        x_add_batch(x, t, (uint32_t)(20 + 4 * k), (uint32_t)(20 + 4 * k), &seed);
        if (k % 2)
            x_add_error(x, t + 1, 35, "EAGAIN");
        else
            x_add_batch(x, t + 1, 0, 0, &seed);
        x_add_batch(x, t + 2, 13, 40, &seed);
    }
    int err;
    FILE *f = fopen(path, "wb");
    ASSERT_NOT_NULL(f);
    kev_trace_writer *w = kev_trace_writer_open(f, &m, &err);
    ASSERT_NOT_NULL(w);
    ASSERT_EQ_INT(kev_trace_flush(w, false), 0);
    write_records(w, x, 0, x->n, 3);
    ASSERT_EQ_INT(kev_trace_writer_close(w, 1700000099000000000ull), 0);
    fclose(f);
}

/* ---- round trips -------------------------------------------------------- */

static char *big_snapshot(size_t len)
{
    char *s = malloc(len + 1);
    ASSERT_NOT_NULL(s);
    for (size_t i = 0; i < len; i++)
        s[i] = i % 61 == 60 ? '\n' : (char)('a' + i % 26);
    s[len] = '\0';
    return s;
}

static void check_meta(const kev_trace_meta *a, const kev_trace_meta *b)
{
    ASSERT_EQ_STR(a->source, b->source);
    ASSERT_EQ_STR(a->filter, b->filter);
    ASSERT_EQ_STR(a->os, b->os);
    ASSERT_EQ_STR(a->hardware, b->hardware);
    ASSERT_EQ_STR(a->tool, b->tool);
    ASSERT_EQ_STR(a->comment, b->comment);
    ASSERT_EQ_U64(a->snapshot_len, b->snapshot_len);
    if (b->snapshot_len)
        ASSERT_EQ_MEM(a->snapshot, b->snapshot, b->snapshot_len);
    ASSERT_EQ_INT(a->big_endian, b->big_endian);
    ASSERT_EQ_U64(a->start_ns, b->start_ns);
}

/* Batches of 0 to 65536 bytes, some truncated (origlen > caplen), errors
 * with and without a name, varied gaps, and the extreme timestamps. */
static void round_trip_records(xtrace *x)
{
    static const uint32_t sizes[] = {0, 1, 24, 1000, 65536, 3, 4, 5, 7, 65280, 100};
    uint64_t seed = 7;
    uint64_t t = 1700000000000000000ull;
    for (size_t i = 0; i < 40; i++) {
        uint32_t cap = sizes[i % (sizeof sizes / sizeof sizes[0])];
        t += (i * 7919u) % 5000000u + 1;
        if (i % 9 == 4)
            x_add_error(x, t, i % 2 ? 35 : 4, i % 2 ? "EAGAIN" : NULL);
        else
            x_add_batch(x, t, cap, i % 5 == 3 ? cap + 4096u : cap, &seed);
    }
    x_add_batch(x, 0, 8, 8, &seed);          /* time 0 */
    x_add_batch(x, UINT64_MAX, 8, 8, &seed); /* the last nanosecond */
}

KEV_TEST(round_trip)
{
    xtrace x = {0};
    round_trip_records(&x);
    char *snap = big_snapshot(200000); /* the IDB spans members */
    kev_trace_meta m = meta_full(snap, 200000);
    char *path = tmp_path();
    int err;
    FILE *f = fopen(path, "wb");
    kev_trace_writer *w = kev_trace_writer_open(f, &m, &err);
    ASSERT_NOT_NULL(w);
    write_records(w, &x, 0, x.n, 0);
    uint64_t batches, raw, file;
    kev_trace_writer_stats(w, &batches, &raw, &file);
    ASSERT_EQ_U64(batches, x.n);
    ASSERT_TRUE(raw > 200000 + 4 * 65536);
    ASSERT_EQ_INT(kev_trace_writer_close(w, 1700000100000000000ull), 0);
    fclose(f);

    got g;
    read_all(path, 0, &g);
    ASSERT_EQ_INT(g.err, 0);
    ASSERT_EQ_INT(g.end.status, KEV_TS_OK);
    check_prefix(&g, &x, x.n);
    got_free(&g);

    kev_trace_damage d;
    kev_trace_reader *r = kev_trace_open(path, 0, &err, &d);
    ASSERT_NOT_NULL(r);
    check_meta(kev_trace_meta_get(r), &m);
    unsigned major, minor;
    kev_trace_version(r, &major, &minor);
    ASSERT_EQ_INT(major, 1);
    ASSERT_EQ_INT(minor, 0);
    ASSERT_FALSE(kev_trace_stats_block(r, NULL, NULL, NULL)); /* not reached yet */
    kev_trace_rec rec;
    while (kev_trace_next(r, &rec) == 1)
        ;
    uint64_t start, stop, count, members, fbytes, rbytes;
    ASSERT_TRUE(kev_trace_stats_block(r, &start, &stop, &count));
    ASSERT_EQ_U64(start, m.start_ns);
    ASSERT_EQ_U64(stop, 1700000100000000000ull);
    ASSERT_EQ_U64(count, x.n);
    kev_trace_reader_stats(r, &members, &fbytes, &rbytes);
    ASSERT_EQ_U64(rbytes, raw + 64); /* and the ISB: 24 + 3 options of 12 + 4 */
    ASSERT_TRUE(members >= 8);
    kev_trace_close(r);
    free(snap);
    x_free(&x);
    rm(path);
}

/* Every compression level writes the same records; levels outside 1..9 are
 * refused; the level is applied (level 1 and level 9 differ on text). */
KEV_TEST(compression_levels)
{
    xtrace x = {0};
    round_trip_records(&x);
    kev_trace_meta m = meta_full(NULL, 0);
    char *path = tmp_path();
    int err = 0;
    FILE *f = fopen(path, "wb");
    ASSERT_NOT_NULL(f);
    ASSERT_NULL(kev_trace_writer_open_level(f, &m, 0, &err));
    ASSERT_EQ_INT(err, KEV_EINVAL);
    ASSERT_NULL(kev_trace_writer_open_level(f, &m, 10, &err));
    ASSERT_EQ_INT(err, KEV_EINVAL);
    fclose(f);
    uint64_t file_bytes[KEV_TRACE_LEVEL_MAX + 1] = {0};
    for (int level = KEV_TRACE_LEVEL_MIN; level <= KEV_TRACE_LEVEL_MAX; level++) {
        f = fopen(path, "wb");
        kev_trace_writer *w = kev_trace_writer_open_level(f, &m, level, &err);
        ASSERT_NOT_NULL(w);
        write_records(w, &x, 0, x.n, 0);
        static const char text[] = "link quality metric changed en0 en1 en2 utun0 ";
        for (uint32_t i = 0; i < 2000; i++)
            ASSERT_EQ_INT(kev_trace_write_batch(w, 1, (const uint8_t *)text + i % 8, 32, 32),
                          0);
        uint64_t batches, raw;
        ASSERT_EQ_INT(kev_trace_flush(w, false), 0);
        kev_trace_writer_stats(w, &batches, &raw, &file_bytes[level]);
        ASSERT_EQ_INT(kev_trace_writer_close(w, 1700000100000000000ull), 0);
        fclose(f);
        got g;
        read_all(path, 0, &g);
        ASSERT_EQ_INT(g.err, 0);
        ASSERT_EQ_INT(g.end.status, KEV_TS_OK);
        ASSERT_EQ_U64(g.n, x.n + 2000);
        for (size_t i = 0; i < x.n; i++)
            ASSERT_TRUE(rec_matches(&g.v[i], &x.v[i]));
        got_free(&g);
    }
    ASSERT_TRUE(file_bytes[KEV_TRACE_LEVEL_MIN] != file_bytes[KEV_TRACE_LEVEL_MAX]);
    x_free(&x);
    rm(path);
}

KEV_TEST(empty_trace)
{
    xtrace x = {0};
    char *path = tmp_path();
    write_trace(path, NULL, &x, 0, 5);
    got g;
    read_all(path, 0, &g);
    ASSERT_TRUE(g.opened);
    ASSERT_EQ_INT(g.err, 0);
    ASSERT_EQ_U64(g.n, 0);
    ASSERT_EQ_INT(g.end.status, KEV_TS_OK);
    got_free(&g);

    int err;
    kev_trace_reader *r = kev_trace_open(path, 0, &err, NULL);
    const kev_trace_meta *m = kev_trace_meta_get(r);
    ASSERT_NULL(m->source);
    ASSERT_NULL(m->snapshot);
    ASSERT_EQ_U64(m->start_ns, 0);
    kev_trace_rec rec;
    ASSERT_EQ_INT(kev_trace_next(r, &rec), 0);
    uint64_t start = 1, stop, count = 1;
    ASSERT_TRUE(kev_trace_stats_block(r, &start, &stop, &count));
    ASSERT_EQ_U64(start, 0);
    ASSERT_EQ_U64(stop, 5);
    ASSERT_EQ_U64(count, 0);
    kev_trace_close(r);
    rm(path);
}

KEV_TEST(largest_snapshot_and_batch)
{
    xtrace x = {0};
    uint64_t seed = 3;
    uint32_t maxcap = KEV_TRACE_MAX_BLOCK - 32;
    x_add_batch(&x, 10, maxcap, maxcap, &seed);
    char *snap = big_snapshot(KEV_TRACE_MAX_SNAPSHOT);
    kev_trace_meta m = meta_full(snap, KEV_TRACE_MAX_SNAPSHOT);
    char *path = tmp_path();
    write_trace(path, &m, &x, 0, 11);
    got g;
    read_all(path, 0, &g);
    ASSERT_EQ_INT(g.end.status, KEV_TS_OK);
    check_prefix(&g, &x, 1);
    got_free(&g);
    int err;
    kev_trace_reader *r = kev_trace_open(path, 0, &err, NULL);
    ASSERT_NOT_NULL(r);
    check_meta(kev_trace_meta_get(r), &m);
    kev_trace_close(r);

    /* One byte more of snapshot, or of batch, is refused. */
    FILE *f = fopen(path, "wb");
    m.snapshot_len++;
    snap = realloc(snap, KEV_TRACE_MAX_SNAPSHOT + 2);
    m.snapshot = snap;
    ASSERT_NULL(kev_trace_writer_open(f, &m, &err));
    ASSERT_EQ_INT(err, KEV_ETOOBIG);
    kev_trace_writer *w = kev_trace_writer_open(f, NULL, &err);
    ASSERT_EQ_INT(kev_trace_write_batch(w, 1, x.v[0].data, maxcap + 1, maxcap + 1),
                  KEV_ETOOBIG);
    ASSERT_EQ_INT(kev_trace_write_batch(w, 1, x.v[0].data, 8, 7), KEV_EINVAL);
    ASSERT_EQ_INT(kev_trace_write_error(w, 1, 35, "bad name"), KEV_EINVAL);
    /* The writer stays usable; close reports the first error. */
    ASSERT_EQ_INT(kev_trace_write_batch(w, 1, x.v[0].data, 8, 8), 0);
    ASSERT_EQ_INT(kev_trace_writer_close(w, 2), KEV_ETOOBIG);
    fclose(f);
    got g2;
    read_all(path, 0, &g2);
    ASSERT_EQ_INT(g2.end.status, KEV_TS_OK);
    ASSERT_EQ_U64(g2.n, 1);
    got_free(&g2);
    free(snap);
    x_free(&x);
    rm(path);
}

/* ---- members ------------------------------------------------------------- */

KEV_TEST(small_blocks_never_span_members)
{
    xtrace x = {0};
    uint64_t seed = 11;
    for (size_t i = 0; i < 3000; i++)
        x_add_batch(&x, 1000 + i, (uint32_t)(50 + i % 300), (uint32_t)(50 + i % 300),
                    &seed);
    char *path = tmp_path();
    write_trace(path, NULL, &x, 0, 1);
    size_t n;
    uint8_t *p = slurp(path, &n);
    mem ms[256];
    size_t nm = members_of(p, n, ms, 256);
    ASSERT_TRUE(nm >= 10);
    for (size_t i = 0; i + 1 < nm; i++) {
        ASSERT_TRUE(ms[i].kv);
        ASSERT_EQ_INT(ms[i].first_block_off, 0); /* each member starts with a block */
        if (i > 0)
            ASSERT_EQ_U64(ms[i].first_t, 1000 + ms[i].first_batch);
    }
    /* Filled members are nearly full: a block of at most ~400 bytes did not fit. */
    for (size_t i = 1; i + 2 < nm; i++)
        ASSERT_TRUE(ms[i].isize > KEV_BGZF_MAX_DATA - 400);
    free(p);
    x_free(&x);
    rm(path);
}

/* Inflates every gzip member of `p` the way zcat does. */
static uint8_t *gunzip_all(const uint8_t *p, size_t n, size_t *out_len)
{
    size_t cap = 1 << 20, len = 0;
    uint8_t *out = malloc(cap);
    ASSERT_NOT_NULL(out);
    z_stream z;
    memset(&z, 0, sizeof z);
    ASSERT_EQ_INT(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)p;
    z.avail_in = (uInt)n;
    while (z.avail_in > 0) {
        if (cap - len < 65536) {
            cap *= 2;
            out = realloc(out, cap);
            ASSERT_NOT_NULL(out);
        }
        z.next_out = out + len;
        z.avail_out = (uInt)(cap - len);
        int rc = inflate(&z, Z_NO_FLUSH);
        len = cap - z.avail_out;
        if (rc == Z_STREAM_END)
            ASSERT_EQ_INT(inflateReset(&z), Z_OK);
        else
            ASSERT_EQ_INT(rc, Z_OK);
    }
    inflateEnd(&z);
    *out_len = len;
    return out;
}

/* Writes `data` as BGZF members of `chunk` bytes, without KV, then EOF. */
static void rewrap(const char *path, const uint8_t *data, size_t n, size_t chunk)
{
    kev_bgzf_enc *e = kev__bgzf_enc_new(1);
    uint8_t *member = malloc(KEV_BGZF_MAX_MEMBER);
    FILE *f = fopen(path, "wb");
    ASSERT_TRUE(e && member && f);
    for (size_t off = 0; off < n; off += chunk) {
        size_t k = n - off < chunk ? n - off : chunk, len;
        ASSERT_EQ_INT(kev__bgzf_enc_member(e, NULL, data + off, k, member, &len), 0);
        ASSERT_EQ_U64(fwrite(member, 1, len, f), len);
    }
    fwrite(kev__bgzf_eof, 1, KEV_BGZF_EOF_LEN, f);
    fclose(f);
    free(member);
    kev__bgzf_enc_free(e);
}

KEV_TEST(gzip_framing_and_eof_member)
{
    static const uint8_t htslib_eof[28] = {
        0x1f, 0x8b, 0x08, 0x04, 0,    0, 0, 0, 0, 0xff, 0x06, 0, 0x42, 0x43,
        0x02, 0,    0x1b, 0,    0x03, 0, 0, 0, 0, 0,    0,    0, 0,    0};
    xtrace x = {0};
    uint64_t seed = 5;
    for (size_t i = 0; i < 30; i++)
        x_add_batch(&x, 77 + i, i == 10 ? 70000u : (uint32_t)(i * 37),
                    i == 10 ? 70000u : (uint32_t)(i * 37), &seed);
    x_add_error(&x, 200, 4, "EINTR");
    char *snap = big_snapshot(150000);
    kev_trace_meta m = meta_full(snap, 150000);
    char *path = tmp_path();
    write_trace(path, &m, &x, 7, 300);
    size_t n, raw_len;
    uint8_t *p = slurp(path, &n);
    ASSERT_TRUE(n > 28);
    ASSERT_EQ_MEM(p + n - 28, htslib_eof, 28);
    /* Standard gzip framing: each member's header fields. */
    mem ms[64];
    size_t nm = members_of(p, n, ms, 64);
    for (size_t i = 0; i + 1 < nm; i++) {
        const uint8_t *h = p + ms[i].off;
        ASSERT_EQ_INT(h[3], 4);    /* FLG: FEXTRA */
        ASSERT_EQ_INT(h[9], 0xff); /* OS */
        ASSERT_EQ_INT(le32(h + 4), 0);
    }
    /* The members' data, as zcat sees it, is one pcapng stream... */
    uint8_t *raw = gunzip_all(p, n, &raw_len);
    ASSERT_EQ_U64(le32(raw), 0x0A0D0D0A);
    ASSERT_EQ_U64(le32(raw + 8), 0x1A2B3C4D);
    /* ...that reads the same cut into other members (odd sizes, no KV). */
    static const size_t chunks[] = {777, 4, 1, 65280, 12345};
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        if (chunks[c] == 1)
            rewrap(path, raw, raw_len < 3000 ? raw_len : 3000, 1); /* the start only */
        else
            rewrap(path, raw, raw_len, chunks[c]);
        got g;
        read_all(path, 0, &g);
        if (chunks[c] == 1) {
            ASSERT_EQ_INT(g.opened, 0); /* 3000 bytes: the IDB is not complete */
            ASSERT_EQ_INT(g.end.status, KEV_TS_BAD_FRAMING);
        } else {
            ASSERT_EQ_INT(g.end.status, KEV_TS_OK);
            check_prefix(&g, &x, x.n);
        }
        got_free(&g);
    }
    free(raw);
    free(p);
    free(snap);
    x_free(&x);
    rm(path);
}

KEV_TEST(killed_writer)
{
    xtrace x = {0};
    uint64_t seed = 9;
    for (size_t i = 0; i < 100; i++)
        x_add_batch(&x, 5000 + i * 10, (uint32_t)(i % 50) * 3, (uint32_t)(i % 50) * 3,
                    &seed);
    char *path = tmp_path();
    int err;
    FILE *f = fopen(path, "wb");
    kev_trace_writer *w = kev_trace_writer_open(f, NULL, &err);
    write_records(w, &x, 0, 90, 10); /* 9 flushes */
    write_records(w, &x, 90, 95, 0); /* never flushed */
    kev_trace_writer_abandon(w);
    fclose(f);
    size_t n;
    uint8_t *p = slurp(path, &n);
    mem ms[64];
    ASSERT_EQ_U64(members_of(p, n, ms, 64), 9); /* one per flush */
    free(p);
    got g;
    read_all(path, 0, &g);
    ASSERT_EQ_INT(g.err, 0);
    ASSERT_EQ_INT(g.end.status, KEV_TS_NO_EOF);
    ASSERT_CONTAINS(g.end.message, "no EOF member");
    check_prefix(&g, &x, 90);
    got_free(&g);
    read_all(path, KEV_TRACE_SALVAGE, &g);
    ASSERT_EQ_INT(g.end.status, KEV_TS_NO_EOF);
    ASSERT_EQ_U64(g.skipped, 0);
    check_prefix(&g, &x, 90);
    got_free(&g);

    /* Killed inside the member that holds the headers: nothing flushed. */
    f = fopen(path, "wb");
    w = kev_trace_writer_open(f, NULL, &err);
    kev_trace_writer_abandon(w);
    fclose(f);
    read_all(path, 0, &g);
    ASSERT_FALSE(g.opened);
    ASSERT_EQ_INT(g.err, KEV_ETRUNC);
    ASSERT_EQ_INT(g.end.status, KEV_TS_NO_EOF);
    ASSERT_EQ_STR(g.end.message, "no EOF member: the file is empty");
    got_free(&g);
    x_free(&x);
    rm(path);
}

/* A big batch spans members; damage to either of its members loses it and
 * only it, in salvage mode. */
KEV_TEST(salvage_spanning_block)
{
    xtrace x = {0};
    uint64_t seed = 13;
    for (size_t i = 0; i < 12; i++)
        x_add_batch(&x, 100 + i, i == 5 ? 130000u : 300u, i == 5 ? 130000u : 300u, &seed);
    char *path = tmp_path();
    write_trace(path, NULL, &x, 0, 1);
    size_t n;
    uint8_t *p = slurp(path, &n);
    mem ms[16];
    size_t nm = members_of(p, n, ms, 16);
    /* headers, 0..4 and the start of 5; the middle of 5; its end, 6..11 and
     * the ISB; EOF. */
    ASSERT_EQ_U64(nm, 4);
    ASSERT_EQ_INT(ms[1].first_block_off, KEV_BGZF_NO_BLOCK);
    ASSERT_EQ_U64(ms[1].first_batch, 6);
    ASSERT_EQ_U64(ms[1].first_t, 0);
    got g;
    read_all(path, 0, &g);
    check_prefix(&g, &x, 12);
    got_free(&g);
    /* The records each victim member takes with it. */
    static const uint64_t lost_lo[3] = {0, 5, 5}, lost_hi[3] = {5, 5, 11};
    for (size_t victim = 0; victim < 3; victim++) {
        uint8_t *q = malloc(n);
        memcpy(q, p, n);
        q[ms[victim].off + ms[victim].size - 9] ^= 0x55; /* last deflate byte */
        spit(path, q, n);
        read_all(path, KEV_TRACE_SALVAGE, &g);
        ASSERT_EQ_INT(g.end.status, KEV_TS_BAD_CRC);
        /* The damaged member, and for a lost start the spanned one after. */
        ASSERT_EQ_U64(g.skipped, victim == 0 ? 2 : 1);
        check_subset(&g, &x);
        for (uint64_t i = 0; i < 12; i++)
            ASSERT_EQ_INT(got_has(&g, i), i < lost_lo[victim] || i > lost_hi[victim]);
        got_free(&g);
        free(q);
    }
    free(p);
    x_free(&x);
    rm(path);
}

/* ---- truncation and corruption ------------------------------------------- */

KEV_TEST(truncation_at_every_offset)
{
    xtrace x = {0};
    char *path = tmp_path();
    small_trace(path, &x, 6);
    size_t n;
    uint8_t *p = slurp(path, &n);
    mem ms[16];
    size_t nm = members_of(p, n, ms, 16);
    ASSERT_EQ_U64(nm, 9); /* headers, 6 data members, the ISB, EOF */
    for (size_t cut = 0; cut <= n; cut++) {
        spit(path, p, cut);
        size_t i = 0; /* the member the cut falls in (or starts) */
        while (i < nm && ms[i].off + ms[i].size <= cut)
            i++;
        bool at_boundary = i == nm || ms[i].off == cut;
        uint64_t want = records_before(ms, nm, i, x.n);
        kev_trace_status st = cut == n      ? KEV_TS_OK
                              : at_boundary ? KEV_TS_NO_EOF
                                            : KEV_TS_TORN_MEMBER;
        for (unsigned flags = 0; flags <= KEV_TRACE_SALVAGE; flags += KEV_TRACE_SALVAGE) {
            got g;
            read_all(path, flags, &g);
            if (g.end.status != st)
                KEV__FAIL("cut %zu flags %u: status %d, expected %d: %s", cut, flags,
                          g.end.status, st, g.end.message);
            ASSERT_EQ_INT(g.opened, i >= 1 && cut >= ms[1].off);
            check_prefix(&g, &x, g.opened ? want : 0);
            if (g.opened)
                ASSERT_EQ_INT(g.err, 0);
            if (st == KEV_TS_TORN_MEMBER)
                ASSERT_EQ_U64(g.end.file_offset, ms[i].off);
            got_free(&g);
        }
    }
    free(p);
    x_free(&x);
    rm(path);
}

/* What a flipped byte at offset `o` of a member (with KV or not) must give
 * without salvage: 0 = harmless, else a status; -1 = "some damage". */
static int corruption_expect(size_t o, bool kv)
{
    size_t hdr = kv ? KEV_BGZF_HDR_LEN : 18;
    if (o < 4)
        return KEV_TS_BAD_MEMBER; /* ID1 ID2 CM FLG */
    if (o < 10)
        return 0; /* MTIME XFL OS: read by no one */
    if (o < 12 || (o >= 16 && o < 18))
        return -1; /* XLEN, BSIZE: the member's extent changes */
    if (o < 16)
        return KEV_TS_BAD_MEMBER; /* BC subfield */
    if (kv && o < 20)
        return 0; /* 'KV' renamed: an unknown subfield, skipped (and no KV) */
    if (kv && o < hdr)
        return KEV_TS_BAD_MEMBER; /* KV length or contents disagree with the data */
    return KEV_TS_BAD_CRC;        /* deflate data, CRC32, ISIZE */
}

/* One corrupted copy of a trace: the byte, the member it is in, and the
 * records [lo, hi) that start in that member. */
typedef struct flip {
    size_t at, member;
    uint8_t mask;
    int want;
    uint64_t lo, hi;
} flip;

/* Reads the corrupted file without and with salvage and checks both. */
static void check_flip(const char *path, const xtrace *x, const flip *c)
{
    got g, s;
    read_all(path, 0, &g);
    read_all(path, KEV_TRACE_SALVAGE, &s);
    check_subset(&g, x);
    check_subset(&s, x);
    if (c->want == 0) {
        ASSERT_EQ_INT(g.end.status, KEV_TS_OK);
        check_prefix(&g, x, x->n);
    } else if (c->want > 0 && (int)g.end.status != c->want) {
        KEV__FAIL("byte %zu (member %zu) ^0x%02x: status %d, expected %d: %s", c->at,
                  c->member, c->mask, g.end.status, c->want, g.end.message);
    } else if (g.end.status == KEV_TS_OK || g.end.status == KEV_TS_NO_EOF) {
        KEV__FAIL("byte %zu ^0x%02x: damage not seen: %s", c->at, c->mask, g.end.message);
    }
    /* Without salvage: a prefix, with everything before the damaged member
     * (KV damage may show only at the member's end). */
    if (c->want != 0) {
        ASSERT_TRUE(g.opened || c->member == 0);
        ASSERT_TRUE(g.n >= c->lo && g.n <= c->hi);
        check_prefix(&g, x, g.n);
    }
    /* With salvage: the same first damage, and every record of every other
     * member. */
    ASSERT_EQ_INT(s.end.status, g.end.status);
    for (uint64_t k = 0; k < x->n; k++)
        if ((k < c->lo || k >= c->hi) && !got_has(&s, k))
            KEV__FAIL("byte %zu ^0x%02x: salvage lost record %llu (%s)", c->at, c->mask,
                      (unsigned long long)k, s.end.message);
    if (s.end.status == KEV_TS_BAD_CRC)
        ASSERT_TRUE(s.skipped >= 1);
    got_free(&g);
    got_free(&s);
}

KEV_TEST(corruption_of_every_byte)
{
    static const uint8_t masks[] = {0x01, 0xff};
    xtrace x = {0};
    char *path = tmp_path();
    small_trace(path, &x, 5);
    size_t n, harmless = 0;
    uint8_t *p = slurp(path, &n);
    uint8_t *q = malloc(n);
    mem ms[16];
    size_t nm = members_of(p, n, ms, 16);
    for (size_t at = 0; at < n; at++) {
        flip c = {at, 0, 0, 0, 0, 0};
        while (ms[c.member].off + ms[c.member].size <= at)
            c.member++;
        c.want = corruption_expect(at - ms[c.member].off, ms[c.member].kv);
        c.lo = records_before(ms, nm, c.member, x.n);
        c.hi = records_before(ms, nm, c.member + 1, x.n);
        for (size_t k = 0; k < sizeof masks; k++) {
            c.mask = masks[k];
            memcpy(q, p, n);
            q[at] ^= c.mask;
            spit(path, q, n);
            check_flip(path, &x, &c);
            harmless += c.want == 0;
        }
    }
    /* MTIME, XFL, OS of every member; the 'KV' name of every data member. */
    ASSERT_EQ_U64(harmless, 2 * (6 * nm + 2 * (nm - 1)));
    free(q);
    free(p);
    x_free(&x);
    rm(path);
}

/* A 3-member small trace, its bytes and members. */
typedef struct fixture {
    xtrace x;
    char *path;
    uint8_t *p;
    size_t n;
    mem ms[8];
} fixture;

static void fixture_open(fixture *fx)
{
    memset(fx, 0, sizeof *fx);
    fx->path = tmp_path();
    small_trace(fx->path, &fx->x, 3);
    fx->p = slurp(fx->path, &fx->n);
    members_of(fx->p, fx->n, fx->ms, 8);
}

static void fixture_close(fixture *fx)
{
    free(fx->p);
    x_free(&fx->x);
    rm(fx->path);
}

KEV_TEST(damage_messages_members)
{
    fixture fx;
    fixture_open(&fx);
    const mem *ms = fx.ms;
    char want[240];
    got g;
    /* A CRC32 that is off by one bit. */
    size_t crc_at = ms[2].off + ms[2].size - 8;
    uint32_t crc = le32(fx.p + crc_at);
    fx.p[crc_at] ^= 0x10;
    spit(fx.path, fx.p, fx.n);
    read_all(fx.path, 0, &g);
    snprintf(want, sizeof want,
             "member 2 at offset %zu: CRC32 0x%08x in trailer, 0x%08x computed", ms[2].off,
             crc ^ 0x10u, crc);
    ASSERT_EQ_STR(g.end.message, want);
    ASSERT_EQ_INT(g.end.status, KEV_TS_BAD_CRC);
    ASSERT_EQ_U64(g.end.member, 2);
    ASSERT_EQ_U64(g.end.file_offset, ms[2].off);
    ASSERT_EQ_INT(g.err, KEV_EFORMAT);
    check_prefix(&g, &fx.x, 3);
    got_free(&g);
    fx.p[crc_at] ^= 0x10;
    /* A wrong FLG. */
    fx.p[ms[1].off + 3] = 0x0c;
    spit(fx.path, fx.p, fx.n);
    read_all(fx.path, 0, &g);
    snprintf(want, sizeof want, "member 1 at offset %zu: FLG 0x0c, expected 0x04",
             ms[1].off);
    ASSERT_EQ_STR(g.end.message, want);
    got_free(&g);
    fx.p[ms[1].off + 3] = 0x04;
    /* Torn inside the last data member. */
    spit(fx.path, fx.p, ms[3].off + 50);
    read_all(fx.path, 0, &g);
    snprintf(want, sizeof want,
             "member 3 at offset %zu: BSIZE says %zu bytes, the file ends after 50",
             ms[3].off, ms[3].size);
    ASSERT_EQ_STR(g.end.message, want);
    got_free(&g);
    fixture_close(&fx);
}

KEV_TEST(damage_messages_kv)
{
    fixture fx;
    fixture_open(&fx);
    char want[240];
    got g;
    /* A KV that points at the wrong block. */
    fx.p[fx.ms[3].off + 22] = 4;
    spit(fx.path, fx.p, fx.n);
    read_all(fx.path, 0, &g);
    snprintf(want, sizeof want,
             "member 3 at offset %zu: KV first_block_off 0x0004, the first block starts at "
             "0x0000",
             fx.ms[3].off);
    ASSERT_EQ_STR(g.end.message, want);
    ASSERT_EQ_INT(g.end.status, KEV_TS_BAD_MEMBER);
    check_prefix(&g, &fx.x, 6);
    got_free(&g);
    read_all(fx.path, KEV_TRACE_SALVAGE, &g); /* the data is whole: all of it */
    ASSERT_EQ_INT(g.end.status, KEV_TS_BAD_MEMBER);
    ASSERT_EQ_U64(g.skipped, 0);
    check_prefix(&g, &fx.x, fx.x.n);
    got_free(&g);
    fx.p[fx.ms[3].off + 22] = 0;
    /* A first record that is not where the KV says. */
    fx.p[fx.ms[2].off + 24] ^= 1;
    spit(fx.path, fx.p, fx.n);
    read_all(fx.path, 0, &g);
    snprintf(
        want, sizeof want,
        "member 2 at offset %zu: KV first_batch 2 first_t_ns %llu, the data says 3 and "
        "%llu",
        fx.ms[2].off, (unsigned long long)fx.x.v[3].t, (unsigned long long)fx.x.v[3].t);
    ASSERT_EQ_STR(g.end.message, want);
    check_prefix(&g, &fx.x, 3);
    got_free(&g);
    fixture_close(&fx);
}

/* ---- crafted files -------------------------------------------------------- */

/* A pcapng builder, in either byte order. */
typedef struct pb {
    uint8_t b[8192];
    size_t n;
    bool be;
} pb;

static void pb_bytes(pb *s, const void *p, size_t n)
{
    ASSERT_TRUE(s->n + n <= sizeof s->b);
    memcpy(s->b + s->n, p, n);
    s->n += n;
}

static void pb_u16(pb *s, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(s->be ? v >> 8 : v), (uint8_t)(s->be ? v : v >> 8)};
    pb_bytes(s, b, 2);
}

static void pb_u32(pb *s, uint32_t v)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (s->be ? 24 - 8 * i : 8 * i));
    pb_bytes(s, b, 4);
}

static size_t pb_begin(pb *s, uint32_t type)
{
    size_t at = s->n;
    pb_u32(s, type);
    pb_u32(s, 0);
    return at;
}

static void pb_pad(pb *s)
{
    while (s->n % 4)
        pb_bytes(s, "", 1);
}

static void pb_end(pb *s, size_t at)
{
    uint32_t total = (uint32_t)(s->n + 4 - at);
    pb_u32(s, total);
    size_t keep = s->n;
    s->n = at + 4;
    pb_u32(s, total);
    s->n = keep;
}

static void pb_opt(pb *s, uint16_t code, const void *v, size_t len)
{
    pb_u16(s, code);
    pb_u16(s, (uint16_t)len);
    pb_bytes(s, v, len);
    pb_pad(s);
}

static void pb_custom(pb *s, const char *text)
{
    pb_u16(s, 2988);
    pb_u16(s, (uint16_t)(4 + strlen(text)));
    pb_u32(s, KEV_TRACE_PEN);
    pb_bytes(s, text, strlen(text));
    pb_pad(s);
}

static void pb_shb(pb *s, const char *format)
{
    size_t at = pb_begin(s, 0x0A0D0D0A);
    pb_u32(s, 0x1A2B3C4D);
    pb_u16(s, 1);
    pb_u16(s, 0);
    pb_u32(s, 0xFFFFFFFF);
    pb_u32(s, 0xFFFFFFFF);
    pb_opt(s, 4, "crafted", 7);
    pb_opt(s, 4242, "unknown option", 14);
    if (format)
        pb_custom(s, format);
    pb_u32(s, 0);
    pb_end(s, at);
}

static void pb_idb(pb *s, uint16_t linktype, int tsresol)
{
    size_t at = pb_begin(s, 1);
    pb_u16(s, linktype);
    pb_u16(s, 0);
    pb_u32(s, 262144);
    pb_opt(s, 2, "crafted-source", 14);
    if (tsresol >= 0) {
        uint8_t v = (uint8_t)tsresol;
        pb_opt(s, 9, &v, 1);
    }
    pb_custom(s, "kevrr.future-option=1");
    pb_u32(s, 0);
    pb_end(s, at);
}

static void pb_epb(pb *s, uint64_t ts, const void *data, uint32_t caplen, uint32_t origlen)
{
    size_t at = pb_begin(s, 6);
    pb_u32(s, 0);
    pb_u32(s, (uint32_t)(ts >> 32));
    pb_u32(s, (uint32_t)ts);
    pb_u32(s, caplen);
    pb_u32(s, origlen);
    pb_bytes(s, data, caplen);
    pb_pad(s);
    pb_end(s, at);
}

/* Writes the crafted pcapng as BGZF members without KV, cut every
 * `chunk` bytes, then the EOF member. */
static void pb_save(const pb *s, const char *path, size_t chunk)
{
    rewrap(path, s->b, s->n, chunk);
}

static void craft_read(const pb *s, got *g)
{
    char *path = tmp_path();
    pb_save(s, path, 100);
    read_all(path, 0, g);
    rm(path);
}

KEV_TEST(crafted_good_both_byte_orders)
{
    for (int be = 0; be < 2; be++) {
        pb s = {.be = be != 0};
        pb_shb(&s, "kevrr.format=1.7");
        pb_idb(&s, 147, 9);
        pb_epb(&s, 0x0102030405060708ull, "abcdefg", 7, 9);
        size_t at = pb_begin(&s, 0x00000BAD); /* a custom block: skipped */
        pb_u32(&s, KEV_TRACE_PEN);
        pb_bytes(&s, "opaque", 6);
        pb_pad(&s);
        pb_end(&s, at);
        at = pb_begin(&s, 6); /* an error, with an unknown option before ours */
        pb_u32(&s, 0);
        pb_u32(&s, 0);
        pb_u32(&s, 99);
        pb_u32(&s, 0);
        pb_u32(&s, 0);
        pb_opt(&s, 1, "recv() failed: ENOBUFS (errno 55)", 33);
        pb_opt(&s, 777, "??", 2);
        pb_custom(&s, "kevrr.errno=55 ENOBUFS");
        pb_u32(&s, 0);
        pb_end(&s, at);
        got g;
        char *path = tmp_path();
        pb_save(&s, path, 100);
        read_all(path, 0, &g);
        ASSERT_EQ_INT(g.end.status, KEV_TS_OK);
        ASSERT_EQ_U64(g.n, 2);
        ASSERT_EQ_INT(g.v[0].kind, KEV_TR_BATCH);
        ASSERT_EQ_U64(g.v[0].t, 0x0102030405060708ull);
        ASSERT_EQ_INT(g.v[0].caplen, 7);
        ASSERT_EQ_INT(g.v[0].origlen, 9);
        ASSERT_EQ_MEM(g.v[0].data, "abcdefg", 7);
        ASSERT_EQ_INT(g.v[1].kind, KEV_TR_ERROR);
        ASSERT_EQ_U64(g.v[1].index, 1);
        ASSERT_EQ_U64(g.v[1].t, 99);
        ASSERT_EQ_INT(g.v[1].err, 55);
        ASSERT_EQ_STR(g.v[1].name, "ENOBUFS");
        got_free(&g);
        int err;
        kev_trace_reader *r = kev_trace_open(path, 0, &err, NULL);
        unsigned major, minor;
        kev_trace_version(r, &major, &minor);
        ASSERT_EQ_INT(major, 1);
        ASSERT_EQ_INT(minor, 7);
        ASSERT_EQ_STR(kev_trace_meta_get(r)->source, "crafted-source");
        ASSERT_EQ_STR(kev_trace_meta_get(r)->tool, "crafted");
        kev_trace_close(r);
        rm(path);
    }
}

KEV_TEST(crafted_microsecond_resolution)
{
    pb s = {0};
    pb_shb(&s, NULL);    /* no kevrr.format: version 0.0, read as 1.x */
    pb_idb(&s, 147, -1); /* no if_tsresol: microseconds */
    pb_epb(&s, 1700000000123456ull, "x", 1, 1);
    got g;
    craft_read(&s, &g);
    ASSERT_EQ_INT(g.end.status, KEV_TS_OK);
    ASSERT_EQ_U64(g.n, 1);
    ASSERT_EQ_U64(g.v[0].t, 1700000000123456000ull);
    got_free(&g);
    /* A timestamp whose nanoseconds overflow 64 bits. */
    pb s2 = {0};
    pb_shb(&s2, NULL);
    pb_idb(&s2, 147, 0); /* seconds */
    pb_epb(&s2, 20000000000ull, "x", 1, 1);
    craft_read(&s2, &g);
    ASSERT_EQ_INT(g.end.status, KEV_TS_BAD_FRAMING);
    ASSERT_CONTAINS(g.end.message, "timestamp 20000000000 units overflows");
    got_free(&g);
}

KEV_TEST(crafted_refusals)
{
    got g;
    pb s = {0};
    pb_shb(&s, "kevrr.format=2.0");
    pb_idb(&s, 147, 9);
    craft_read(&s, &g);
    ASSERT_FALSE(g.opened);
    ASSERT_EQ_INT(g.end.status, KEV_TS_NEWER_MAJOR);
    ASSERT_CONTAINS(g.end.message, "trace format 2.0 is newer than this kevrr (1.0)");
    got_free(&g);

    pb s2 = {0};
    pb_shb(&s2, "kevrr.format=1.0");
    pb_idb(&s2, 253, 9);
    craft_read(&s2, &g);
    ASSERT_FALSE(g.opened);
    ASSERT_EQ_INT(g.err, KEV_EFORMAT);
    ASSERT_EQ_INT(g.end.status, KEV_TS_BAD_LINKTYPE);
    ASSERT_CONTAINS(g.end.message, "block 1 (member 0 at offset 0, data offset ");
    ASSERT_CONTAINS(g.end.message, "link type 253, expected 147");
    got_free(&g);

    /* Neither refusal is damage that salvage could skip. */
    char *path = tmp_path();
    pb_save(&s, path, 100);
    read_all(path, KEV_TRACE_SALVAGE, &g);
    ASSERT_FALSE(g.opened);
    ASSERT_EQ_INT(g.end.status, KEV_TS_NEWER_MAJOR);
    got_free(&g);
    rm(path);

    pb s3 = {0}; /* an EPB first */
    pb_epb(&s3, 1, "x", 1, 1);
    craft_read(&s3, &g);
    ASSERT_EQ_INT(g.end.status, KEV_TS_BAD_FRAMING);
    ASSERT_CONTAINS(g.end.message, "expected a Section Header Block");
    got_free(&g);

    pb s4 = {0}; /* an EPB before the IDB */
    pb_shb(&s4, NULL);
    pb_epb(&s4, 1, "x", 1, 1);
    craft_read(&s4, &g);
    ASSERT_EQ_INT(g.end.status, KEV_TS_BAD_FRAMING);
    ASSERT_CONTAINS(g.end.message, "before the Interface Description Block");
    got_free(&g);
}

/* A trace whose third block is `mutate`d after the headers. */
static void craft_epb_case(void (*mutate)(pb *s, size_t at), kev_trace_status want,
                           const char *msg)
{
    pb s = {0};
    pb_shb(&s, "kevrr.format=1.0");
    pb_idb(&s, 147, 9);
    pb_epb(&s, 5, "good", 4, 4);
    size_t at = s.n;
    pb_epb(&s, 6, "12345678", 8, 8);
    pb_epb(&s, 7, "more", 4, 4);
    mutate(&s, at);
    got g;
    craft_read(&s, &g);
    if (g.end.status != want)
        KEV__FAIL("status %d, expected %d: %s", g.end.status, want, g.end.message);
    ASSERT_CONTAINS(g.end.message, msg);
    ASSERT_EQ_U64(g.n, 1); /* the good one before */
    ASSERT_EQ_U64(g.end.block, 3);
    got_free(&g);
}

static void put32(pb *s, size_t at, uint32_t v)
{
    size_t keep = s->n;
    s->n = at;
    pb_u32(s, v);
    s->n = keep;
}

static void huge_caplen(pb *s, size_t at)
{
    put32(s, at + 20, 0xFFFFFFF0u);
}

static void huge_total(pb *s, size_t at)
{
    put32(s, at + 4, 0xFFFFFFFCu);
}

static void odd_total(pb *s, size_t at)
{
    put32(s, at + 4, 38);
}

static void bad_trailer(pb *s, size_t at)
{
    put32(s, at + 36, 44);
}

static void short_origlen(pb *s, size_t at)
{
    put32(s, at + 24, 3);
}

static void other_iface(pb *s, size_t at)
{
    put32(s, at + 8, 1);
}

KEV_TEST(crafted_lengths)
{
    craft_epb_case(huge_caplen, KEV_TS_BAD_FRAMING,
                   "caplen 4294967280 exceeds the block's room of 8 bytes");
    craft_epb_case(
        huge_total, KEV_TS_TOO_BIG,
        "total length 4294967292 over its cap of 131072 bytes (KEV_TRACE_MAX_BLOCK)");
    craft_epb_case(odd_total, KEV_TS_BAD_FRAMING, "total length 38: not a multiple of 4");
    craft_epb_case(bad_trailer, KEV_TS_BAD_FRAMING,
                   "total length 40 in header, 44 in trailer");
    craft_epb_case(short_origlen, KEV_TS_BAD_FRAMING, "origlen 3 is less than caplen 8");
    craft_epb_case(other_iface, KEV_TS_BAD_FRAMING,
                   "interface 1; the trace has only interface 0");
}

KEV_TEST(crafted_salvage_skips_bad_framing)
{
    /* Framing damage inside a whole member: salvage goes on at the next
     * member that names a block boundary. The crafted members carry no
     * KV, so here nothing after the damage can be placed: salvage stops
     * without crashing and reports the framing damage. */
    pb s = {0};
    pb_shb(&s, NULL);
    pb_idb(&s, 147, 9);
    pb_epb(&s, 5, "good", 4, 4);
    size_t at = s.n;
    pb_epb(&s, 6, "12345678", 8, 8);
    put32(&s, at + 36, 44);
    got g;
    char *path = tmp_path();
    pb_save(&s, path, 64);
    read_all(path, KEV_TRACE_SALVAGE, &g);
    ASSERT_EQ_INT(g.end.status, KEV_TS_BAD_FRAMING);
    ASSERT_EQ_U64(g.n, 1);
    ASSERT_TRUE(g.skipped >= 1);
    ASSERT_EQ_INT(g.err, 0);
    got_free(&g);
    rm(path);
}

KEV_TEST(garbage_files)
{
    char *path = tmp_path();
    got g;
    spit(path, (const uint8_t *)"not a trace at all, just text\n", 30);
    read_all(path, 0, &g);
    ASSERT_EQ_INT(g.end.status, KEV_TS_NOT_TRACE);
    ASSERT_EQ_STR(g.end.message, "text (it starts \"not a trace at all, just text\"): a "
                                 "scenario? kevrr run and kevrr gen read those");
    got_free(&g);
    read_all(path, KEV_TRACE_SALVAGE, &g);
    ASSERT_FALSE(g.opened);
    ASSERT_EQ_INT(g.end.status, KEV_TS_NOT_TRACE);
    got_free(&g);
    static const uint8_t pcap[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0};
    spit(path, pcap, sizeof pcap);
    read_all(path, 0, &g);
    ASSERT_EQ_INT(g.end.status, KEV_TS_NOT_TRACE);
    ASSERT_CONTAINS(g.end.message, "a pcap (libpcap) file, not pcapng");
    got_free(&g);
    static const uint8_t zeros[100] = {0};
    spit(path, zeros, sizeof zeros);
    read_all(path, 0, &g);
    ASSERT_EQ_INT(g.end.status, KEV_TS_NOT_TRACE);
    ASSERT_EQ_STR(g.end.message,
                  "neither BGZF, gzip nor pcapng (the file starts with 00 00 00 00)");
    got_free(&g);
    spit(path, kev__bgzf_eof, KEV_BGZF_EOF_LEN);
    read_all(path, 0, &g);
    ASSERT_EQ_INT(g.end.status, KEV_TS_BAD_FRAMING);
    ASSERT_CONTAINS(g.end.message, "ends before its Interface Description Block");
    got_free(&g);
    ASSERT_NULL(kev_trace_open("/nonexistent/kevrr/trace", 0, &g.err, &g.end));
    ASSERT_EQ_INT(g.err, KEV_ENOENT);
    ASSERT_EQ_INT(g.end.status, KEV_TS_IO);
    /* A directory is named as one, not met as a read error. */
    ASSERT_NULL(kev_trace_open("/", 0, &g.err, &g.end));
    ASSERT_EQ_INT(g.end.status, KEV_TS_IO);
    ASSERT_EQ_STR(g.end.message, "cannot open /: Is a directory");
    rm(path);
}

/* ---- seeks ------------------------------------------------------------------ */

/* 2000 batches of 100 bytes, 1 us apart, flushed every 10: 200 members. */
static const uint64_t seek_t0 = 1700000000000000000ull;

static char *seek_trace(xtrace *x)
{
    uint64_t seed = 17;
    for (size_t i = 0; i < 2000; i++)
        x_add_batch(x, seek_t0 + i * 1000, 100, 100, &seed);
    char *path = tmp_path();
    write_trace(path, NULL, x, 10, seek_t0 + 5000000);
    size_t n;
    uint8_t *p = slurp(path, &n);
    mem ms[256];
    ASSERT_EQ_U64(members_of(p, n, ms, 256), 202); /* 200, the ISB's, EOF */
    free(p);
    return path;
}

/* Seeks, reads one record, and returns it with the members it inflated. */
static uint64_t seek_read(kev_trace_reader *r, bool by_time, uint64_t target,
                          kev_trace_rec *rec)
{
    uint64_t before, after;
    kev_trace_reader_stats(r, &before, NULL, NULL);
    ASSERT_EQ_INT(
        by_time ? kev_trace_seek_time(r, target) : kev_trace_seek_batch(r, target), 0);
    ASSERT_EQ_INT(kev_trace_next(r, rec), 1);
    kev_trace_reader_stats(r, &after, NULL, NULL);
    return after - before;
}

KEV_TEST(seek_by_batch)
{
    static const uint64_t targets[] = {1234, 0, 1999, 9, 10, 1000, 3};
    xtrace x = {0};
    char *path = seek_trace(&x);
    int err;
    kev_trace_reader *r = kev_trace_open(path, 0, &err, NULL);
    ASSERT_NOT_NULL(r);
    kev_trace_rec rec;
    for (size_t k = 0; k < sizeof targets / sizeof targets[0]; k++) {
        /* At most 2 members inflated: the other 200 were hopped. */
        ASSERT_TRUE(seek_read(r, false, targets[k], &rec) <= 2);
        ASSERT_EQ_U64(rec.index, targets[k]);
        ASSERT_EQ_U64(rec.t_ns, seek_t0 + targets[k] * 1000);
        ASSERT_EQ_MEM(rec.data, x.v[targets[k]].data, 100);
        ASSERT_EQ_INT(kev_trace_next(r, &rec), targets[k] == 1999 ? 0 : 1);
        if (targets[k] != 1999)
            ASSERT_EQ_U64(rec.index, targets[k] + 1);
    }
    ASSERT_EQ_INT(kev_trace_seek_batch(r, 2000), KEV_ENOENT);
    /* Reading on after a seek reaches the clean end. */
    ASSERT_EQ_INT(kev_trace_seek_batch(r, 1990), 0);
    size_t count = 0;
    while (kev_trace_next(r, &rec) == 1)
        count++;
    ASSERT_EQ_U64(count, 10);
    ASSERT_EQ_INT(kev_trace_end(r, NULL)->status, KEV_TS_OK);
    kev_trace_close(r);
    x_free(&x);
    rm(path);
}

KEV_TEST(seek_by_time)
{
    xtrace x = {0};
    char *path = seek_trace(&x);
    int err;
    kev_trace_reader *r = kev_trace_open(path, 0, &err, NULL);
    kev_trace_rec rec;
    ASSERT_TRUE(seek_read(r, true, seek_t0 + 777 * 1000, &rec) <= 2);
    ASSERT_EQ_U64(rec.index, 777);
    ASSERT_TRUE(seek_read(r, true, seek_t0 + 777 * 1000 - 1, &rec) <= 2);
    ASSERT_EQ_U64(rec.index, 777);
    ASSERT_TRUE(seek_read(r, true, seek_t0 + 1999 * 1000, &rec) <= 2);
    ASSERT_EQ_U64(rec.index, 1999);
    seek_read(r, true, 0, &rec);
    ASSERT_EQ_U64(rec.index, 0);
    ASSERT_EQ_INT(kev_trace_seek_time(r, seek_t0 + 1999 * 1000 + 1), KEV_ENOENT);
    ASSERT_EQ_INT(kev_trace_next(r, &rec), 0);
    kev_trace_close(r);
    x_free(&x);
    rm(path);
}

KEV_TEST(seek_refused_on_stdin)
{
    xtrace x = {0};
    char *path = seek_trace(&x);
    ASSERT_NOT_NULL(freopen(path, "rb", stdin));
    int err;
    kev_trace_reader *r = kev_trace_open("-", 0, &err, NULL);
    ASSERT_NOT_NULL(r);
    kev_trace_rec rec;
    ASSERT_EQ_INT(kev_trace_seek_batch(r, 5), KEV_EINVAL);
    ASSERT_EQ_INT(kev_trace_seek_time(r, 5), KEV_EINVAL);
    ASSERT_EQ_INT(kev_trace_next(r, &rec), 1);
    ASSERT_EQ_U64(rec.index, 0);
    kev_trace_close(r);
    x_free(&x);
    rm(path);
}

/* ---- other containers: plain pcapng, gzip, bgzip --------------------------- */

/* A trace of 1000 batches (each `extra` bytes longer) and an error, and
 * its pcapng data as zcat sees it (over 3 chunks of 64 KiB). */
#define PLAIN_N 1001u
static uint8_t *plain_trace(xtrace *x, char **path, size_t *raw_len, uint32_t extra)
{
    uint64_t seed = 23;
    for (size_t i = 0; i + 1 < PLAIN_N; i++)
        x_add_batch(x, seek_t0 + i * 1000, (uint32_t)(40 + i % 400) + extra,
                    (uint32_t)(40 + i % 400) + extra, &seed);
    x_add_error(x, seek_t0 + (PLAIN_N - 1) * 1000, 35, "EAGAIN");
    *path = tmp_path();
    write_trace(*path, NULL, x, 100, seek_t0 + 2000 * 1000);
    size_t n;
    uint8_t *p = slurp(*path, &n);
    uint8_t *raw = gunzip_all(p, n, raw_len);
    free(p);
    return raw;
}

/* `data` as gzip streams, a new one at each of the `ncuts` cut offsets. */
static void gzip_streams(const char *path, const uint8_t *data, size_t n,
                         const size_t *cuts, size_t ncuts)
{
    FILE *f = fopen(path, "wb");
    ASSERT_NOT_NULL(f);
    size_t cap = n + 1024;
    uint8_t *out = malloc(cap);
    ASSERT_NOT_NULL(out);
    for (size_t k = 0, at = 0; k <= ncuts; k++) {
        size_t end = k < ncuts ? cuts[k] : n;
        z_stream z;
        memset(&z, 0, sizeof z);
        ASSERT_EQ_INT(
            deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
        z.next_in = (Bytef *)(uintptr_t)(data + at);
        z.avail_in = (uInt)(end - at);
        z.next_out = out;
        z.avail_out = (uInt)cap;
        ASSERT_EQ_INT(deflate(&z, Z_FINISH), Z_STREAM_END);
        ASSERT_EQ_U64(fwrite(out, 1, cap - z.avail_out, f), cap - z.avail_out);
        deflateEnd(&z);
        at = end;
    }
    fclose(f);
    free(out);
}

/* Reads `path` whole and checks it holds exactly `x`, ending cleanly, in
 * container `kind`. */
static void check_container(const char *path, const xtrace *x, kev_trace_container kind)
{
    got g;
    read_all(path, 0, &g);
    ASSERT_EQ_INT(g.end.status, KEV_TS_OK);
    check_prefix(&g, x, x->n);
    ASSERT_EQ_U64(g.n, x->n);
    got_free(&g);
    int err;
    kev_trace_reader *r = kev_trace_open(path, 0, &err, NULL);
    ASSERT_NOT_NULL(r);
    kev_trace_container k;
    bool indexed = true;
    kev_trace_container_get(r, &k, &indexed, NULL);
    ASSERT_EQ_INT(k, kind);
    ASSERT_FALSE(indexed);
    /* Seeks work, reading in order from the start. */
    kev_trace_rec rec;
    static const uint64_t targets[] = {250, 3, 999, 0, PLAIN_N - 1};
    for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++) {
        ASSERT_EQ_INT(kev_trace_seek_batch(r, targets[t]), 0);
        ASSERT_EQ_INT(kev_trace_next(r, &rec), 1);
        ASSERT_EQ_U64(rec.index, targets[t]);
        ASSERT_EQ_U64(rec.t_ns, x->v[targets[t]].t);
    }
    ASSERT_EQ_INT(kev_trace_seek_time(r, seek_t0 + 123 * 1000 - 1), 0);
    ASSERT_EQ_INT(kev_trace_next(r, &rec), 1);
    ASSERT_EQ_U64(rec.index, 123);
    ASSERT_EQ_INT(kev_trace_seek_batch(r, PLAIN_N), KEV_ENOENT);
    kev_trace_close(r);
}

KEV_TEST(plain_pcapng_and_gzip)
{
    xtrace x = {0};
    char *path;
    size_t raw_len;
    uint8_t *raw = plain_trace(&x, &path, &raw_len, 0);
    ASSERT_TRUE(raw_len > 3 * 65536); /* several chunks */
    spit(path, raw, raw_len);
    check_container(path, &x, KEV_TC_PCAPNG);
    /* One gzip stream, and several cut anywhere (inside blocks too). */
    gzip_streams(path, raw, raw_len, NULL, 0);
    check_container(path, &x, KEV_TC_GZIP);
    const size_t cuts[] = {1, 100, 7777, 65536, 65537, raw_len - 3};
    gzip_streams(path, raw, raw_len, cuts, sizeof cuts / sizeof cuts[0]);
    check_container(path, &x, KEV_TC_GZIP);
    int err;
    uint64_t streams = 0;
    kev_trace_reader *r = kev_trace_open(path, 0, &err, NULL);
    kev_trace_rec rec;
    while (kev_trace_next(r, &rec) == 1)
        ;
    kev_trace_container_get(r, NULL, NULL, &streams);
    ASSERT_EQ_U64(streams, 7);
    kev_trace_close(r);
    /* BGZF without KV (bgzip): read in order too. */
    rewrap(path, raw, raw_len, 65280);
    check_container(path, &x, KEV_TC_BGZF);
    free(raw);
    x_free(&x);
    rm(path);
}

/* data[0..n) as one gzip stream at `level` into out[0..cap): its length. */
static size_t gzip_one(const uint8_t *data, size_t n, int level, uint8_t *out, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    ASSERT_EQ_INT(
        deflateInit2(&z, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    ASSERT_EQ_INT(deflate(&z, Z_FINISH), Z_STREAM_END);
    deflateEnd(&z);
    return cap - z.avail_out;
}

/* A gzip stream that begins on the last byte the reader's input buffer
 * holds (its second byte not read yet) is a stream, not junk. */
KEV_TEST(gzip_stream_at_the_input_buffer_end)
{
    xtrace x = {0};
    char *path;
    size_t raw_len;
    uint8_t *raw = plain_trace(&x, &path, &raw_len, 300);
    ASSERT_TRUE(raw_len > KEV_BGZF_INBUF);
    size_t cap = raw_len + 4096, want = KEV_BGZF_INBUF - 1, len = 0, k;
    uint8_t *gz = malloc(2 * cap);
    ASSERT_NOT_NULL(gz);
    /* Stored blocks (level 0): the stream grows with its data, byte by byte
     * between blocks, so some prefix makes it exactly `want` bytes long. */
    for (k = want - 64; k < raw_len && (len = gzip_one(raw, k, 0, gz, cap)) < want; k++)
        ;
    ASSERT_EQ_U64(len, want);
    len += gzip_one(raw + k, raw_len - k, 6, gz + len, cap);
    spit(path, gz, len);
    check_container(path, &x, KEV_TC_GZIP);
    free(gz);
    free(raw);
    x_free(&x);
    rm(path);
}

KEV_TEST(plain_pcapng_and_gzip_endings)
{
    xtrace x = {0};
    char *path;
    size_t raw_len;
    uint8_t *raw = plain_trace(&x, &path, &raw_len, 0);
    got g;
    /* Plain pcapng cut inside a block: cut short, every whole record read. */
    spit(path, raw, raw_len - 10);
    read_all(path, 0, &g);
    ASSERT_EQ_INT(g.end.status, KEV_TS_NO_EOF);
    ASSERT_CONTAINS(g.end.message, "bytes into the block, which needs");
    ASSERT_EQ_INT(g.err, 0);
    ASSERT_EQ_U64(g.n, x.n); /* only the statistics block was cut */
    got_free(&g);
    /* Cut between blocks, before the statistics block: its count is gone
     * with it, so the end looks clean (the tools write no ISB either). */
    spit(path, raw, raw_len / 2);
    read_all(path, 0, &g);
    ASSERT_TRUE(g.end.status == KEV_TS_NO_EOF || g.end.status == KEV_TS_OK);
    check_prefix(&g, &x, g.n);
    got_free(&g);
    /* gzip cut inside its compressed data. */
    gzip_streams(path, raw, raw_len, NULL, 0);
    size_t n;
    uint8_t *gz = slurp(path, &n);
    spit(path, gz, n / 2);
    read_all(path, 0, &g);
    ASSERT_EQ_INT(g.end.status, KEV_TS_TORN_MEMBER);
    ASSERT_CONTAINS(g.end.message, "gzip stream 0 at offset 0: the file ends inside it");
    check_prefix(&g, &x, g.n);
    ASSERT_TRUE(g.n > 0);
    got_free(&g);
    /* A damaged byte in the compressed data: damage, never a clean end.
     * (gzip's CRC covers the whole stream and is checked at its end, so
     * what was inflated before it is delivered as it came.) */
    gz[n / 2] ^= 0x55;
    spit(path, gz, n);
    read_all(path, 0, &g);
    ASSERT_TRUE(g.end.status == KEV_TS_BAD_CRC || g.end.status == KEV_TS_BAD_FRAMING ||
                g.end.status == KEV_TS_TOO_BIG);
    ASSERT_TRUE(g.err < 0);
    got_free(&g);
    /* Salvage needs BGZF: on gzip it stops at the first damage. */
    read_all(path, KEV_TRACE_SALVAGE, &g);
    ASSERT_TRUE(g.end.status != KEV_TS_OK);
    ASSERT_EQ_U64(g.skipped, 1);
    got_free(&g);
    gz[n / 2] ^= 0x55;
    /* Bytes after the last stream that are not one. */
    uint8_t *more = malloc(n + 5);
    memcpy(more, gz, n);
    memcpy(more + n, "junk\n", 5);
    spit(path, more, n + 5);
    read_all(path, 0, &g);
    ASSERT_EQ_INT(g.end.status, KEV_TS_BAD_MEMBER);
    ASSERT_EQ_STR(g.end.message,
                  "5 bytes after gzip stream 0 at offset 0 are not a gzip stream (0x6a)");
    ASSERT_EQ_U64(g.n, x.n);
    got_free(&g);
    free(more);
    free(gz);
    /* gzip of something that is not pcapng. */
    gzip_streams(path, (const uint8_t *)"attach en0\nlink on en0\n", 23, NULL, 0);
    read_all(path, 0, &g);
    ASSERT_EQ_INT(g.end.status, KEV_TS_NOT_TRACE);
    ASSERT_CONTAINS(g.end.message,
                    "gzip data that is not pcapng (it starts with 61 74 74 61)");
    got_free(&g);
    free(raw);
    x_free(&x);
    rm(path);
}

KEV_TEST(foreign_link_type_named)
{
    got g;
    pb s = {0};
    pb_shb(&s, NULL);
    pb_idb(&s, 1, 6);
    craft_read(&s, &g);
    ASSERT_EQ_INT(g.end.status, KEV_TS_BAD_LINKTYPE);
    ASSERT_CONTAINS(g.end.message, "link type 1 (Ethernet): a network capture, not a kevrr "
                                   "trace (link type 147, LINKTYPE_USER0)");
    got_free(&g);
}

/* ---- the trace's own account of its end ------------------------------------ */

KEV_TEST(statistics_block_count_checked)
{
    xtrace x = {0};
    char *path;
    size_t raw_len;
    uint8_t *raw = plain_trace(&x, &path, &raw_len, 0);
    /* The ISB is the last block: its isb_ifrecv is the u64 before the
     * endofopt and the trailer. */
    size_t isb = raw_len - le32(raw + raw_len - 4);
    ASSERT_EQ_U64(le32(raw + isb), 5);
    ASSERT_EQ_U64(le64(raw + raw_len - 16), x.n);
    raw[raw_len - 16]++;
    spit(path, raw, raw_len);
    got g;
    read_all(path, 0, &g);
    ASSERT_EQ_INT(g.end.status, KEV_TS_MISSING);
    ASSERT_EQ_STR(g.end.message,
                  "the statistics block counts 1002 records, the trace holds 1001");
    ASSERT_EQ_INT(g.err, 0); /* an ending: every record was delivered */
    ASSERT_EQ_U64(g.n, x.n);
    got_free(&g);
    free(raw);
    x_free(&x);
    rm(path);
}

KEV_TEST(last_data_member_removed)
{
    xtrace x = {0};
    char *path;
    size_t raw_len;
    uint8_t *raw = plain_trace(&x, &path, &raw_len, 0);
    free(raw);
    size_t n;
    uint8_t *p = slurp(path, &n);
    mem ms[64];
    size_t nm = members_of(p, n, ms, 64);
    ASSERT_TRUE(nm >= 4);
    /* Each data member in turn removed (the ISB's with the last): never whole. */
    for (size_t k = 1; k + 1 < nm; k++) {
        uint8_t *q = malloc(n);
        size_t qn = ms[k].off;
        memcpy(q, p, qn);
        memcpy(q + qn, p + ms[k].off + ms[k].size, n - ms[k].off - ms[k].size);
        qn += n - ms[k].off - ms[k].size;
        spit(path, q, qn);
        got g;
        read_all(path, 0, &g);
        if (g.end.status == KEV_TS_OK)
            KEV__FAIL("member %zu of %zu removed: read as whole (%zu records)", k, nm, g.n);
        if (k + 2 == nm) {
            ASSERT_EQ_INT(g.end.status, KEV_TS_MISSING);
            ASSERT_CONTAINS(g.end.message, "but no statistics block came before it");
        }
        check_subset(&g, &x);
        got_free(&g);
        free(q);
    }
    free(p);
    x_free(&x);
    rm(path);
}

KEV_TEST(seek_refused_on_a_fifo_without_harm)
{
    xtrace x = {0};
    char *path;
    size_t raw_len;
    uint8_t *raw = plain_trace(&x, &path, &raw_len, 0);
    free(raw);
    char fifo[64];
    snprintf(fifo, sizeof fifo, "%s.fifo", path);
    ASSERT_EQ_INT(mkfifo(fifo, 0600), 0);
    pid_t pid = fork();
    ASSERT_TRUE(pid >= 0);
    if (pid == 0) { /* the writer: the trace into the FIFO */
        size_t n;
        uint8_t *p = slurp(path, &n);
        FILE *f = fopen(fifo, "wb");
        fwrite(p, 1, n, f);
        fclose(f);
        _exit(0);
    }
    int err;
    kev_trace_reader *r = kev_trace_open(fifo, 0, &err, NULL);
    ASSERT_NOT_NULL(r);
    kev_trace_rec rec;
    ASSERT_EQ_INT(kev_trace_next(r, &rec), 1);
    ASSERT_EQ_INT(kev_trace_seek_batch(r, 200), KEV_EINVAL);
    size_t count = 1;
    while (kev_trace_next(r, &rec) == 1)
        count++;
    ASSERT_EQ_U64(count, x.n); /* the refused seek lost nothing */
    ASSERT_EQ_INT(kev_trace_end(r, NULL)->status, KEV_TS_OK);
    kev_trace_close(r);
    int st;
    waitpid(pid, &st, 0);
    unlink(fifo);
    x_free(&x);
    rm(path);
}

KEV_TEST_MAIN(KEV_T(round_trip), KEV_T(compression_levels), KEV_T(empty_trace),
              KEV_T(largest_snapshot_and_batch), KEV_T(small_blocks_never_span_members),
              KEV_T(gzip_framing_and_eof_member), KEV_T(killed_writer),
              KEV_T(salvage_spanning_block), KEV_T(truncation_at_every_offset),
              KEV_T(corruption_of_every_byte), KEV_T(damage_messages_members),
              KEV_T(damage_messages_kv), KEV_T(crafted_good_both_byte_orders),
              KEV_T(crafted_microsecond_resolution), KEV_T(crafted_refusals),
              KEV_T(crafted_lengths), KEV_T(crafted_salvage_skips_bad_framing),
              KEV_T(garbage_files), KEV_T(seek_by_batch), KEV_T(seek_by_time),
              KEV_T(seek_refused_on_stdin), KEV_T(plain_pcapng_and_gzip),
              KEV_T(gzip_stream_at_the_input_buffer_end),
              KEV_T(plain_pcapng_and_gzip_endings), KEV_T(foreign_link_type_named),
              KEV_T(statistics_block_count_checked), KEV_T(last_data_member_removed),
              KEV_T(seek_refused_on_a_fifo_without_harm))
