/*
 * trace_read.c: the trace reader of kevrr/trace.h (docs/trace-format.md).
 *
 * Members come from the BGZF layer (bgzf.c) one at a time, verified. The
 * pcapng blocks inside them are read in place when a block lies in one
 * member (the common case: the writer never splits a block that fits in a
 * member) and assembled in one buffer, capped by the block's kind, when it
 * spans members. Every length is checked against its cap before it is used.
 * The reader checks each member's KV subfield against what it finds (where
 * the first block and the first record start), so damage to the only header
 * bytes that no CRC covers is caught too.
 *
 * Faults fill r->fault and make a function return a negative KEV_E* code;
 * the top level either stops there or, in salvage mode, skips to the next
 * member that holds a block boundary and goes on.
 */
#define _POSIX_C_SOURCE 200809L /* open, close */

#include "kevrr/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kev_bgzf.h"
#include "kev_cursor.h"
#include "kev_pcapng.h"
#include "kevrr/error.h"

/* The assembly buffer starts at this size and grows up to the block's cap. */
#define ASM_INITIAL (64u * 1024u)
/* Block index of the first record in a kevrr trace: after the SHB and IDB.
 * After a seek or a resynchronisation, block indexes are counted from it. */
#define FIRST_RECORD_BLOCK 2u
/* Digits accepted in a decimal value of a custom option. */
#define DEC_MAX_DIGITS 20u

enum {
    STR_SOURCE,
    STR_FILTER,
    STR_SHB_OS,
    STR_IF_OS,
    STR_HARDWARE,
    STR_TOOL,
    STR_COMMENT,
    STR_N
};

/* One block, all its bytes, in a member's data or the assembly buffer. */
typedef struct blk {
    uint32_t type;
    const uint8_t *p;
    size_t len;
    bool spans; /* it started in an earlier member */
} blk;

/* Where the block being read started, and the KV record check its start
 * member owes until the block's kind (and time) are known. */
typedef struct blk_start {
    uint64_t member, offset;
    size_t data_off;
    bool owe_rec;
    kev_bgzf_kv kv;
} blk_start;

/* A position to read from: the home (the first record) or a seek target. */
typedef struct spot {
    uint64_t offset, member, block, next_rec;
    size_t pos;
    bool kv_block;
} spot;

typedef struct opt {
    uint16_t code, len;
    const uint8_t *v;
} opt;

struct kev_trace_reader {
    int fd;
    bool own_fd;
    bool seekable; /* the descriptor can seek (a file, not a pipe or FIFO) */
    unsigned flags;
    kev_bgzf_reader *bz;
    kev_trace_container kind;
    bool kv_seen; /* a member with kevrr's KV subfield was read */
    /* The data stream: the current member and the next unread byte. */
    kev_bgzf_member m;
    bool have_m;
    size_t pos;
    bool kv_block, kv_rec; /* a block, a record started in the member */
    int type_state;        /* 0 between blocks, 1 in a header, 2 type known */
    bool blk_is_epb;
    blk_start at;
    uint8_t *asmb;
    size_t asm_cap;
    /* pcapng state. */
    bool be, have_shb, have_idb;
    uint64_t ts_mult; /* ns per timestamp unit */
    uint64_t block, next_rec;
    /* Metadata. */
    kev_trace_meta meta;
    char *str[STR_N];
    char *snap;
    size_t snap_len;
    unsigned major, minor;
    bool isb;
    uint64_t isb_start, isb_stop, isb_count;
    /* Faults and the end. */
    kev_trace_damage fault; /* the latest fault, or how the data ended */
    bool fault_bgzf;        /* ... found by the member layer */
    kev_trace_damage end;   /* what kev_trace_end reports */
    bool damaged;
    uint64_t skipped;
    bool done;
    int done_rc;
    /* The current record's extras, a record held back by a seek, home. */
    char errname[KEV_ERRNAME_MAX + 1];
    bool pending;
    kev_trace_rec pend;
    spot home;
};

static bool salvaging(const kev_trace_reader *r)
{
    return (r->flags & KEV_TRACE_SALVAGE) != 0;
}

/* ---------------------------------------------------------------- faults */

static int status_code(kev_trace_status st)
{
    switch (st) {
    case KEV_TS_OK:
        return 0;
    case KEV_TS_NO_EOF:
    case KEV_TS_TORN_MEMBER:
    case KEV_TS_MISSING:
        return KEV_ETRUNC;
    case KEV_TS_TOO_BIG:
        return KEV_ETOOBIG;
    case KEV_TS_IO:
        return KEV_EIO;
    default:
        return KEV_EFORMAT;
    }
}

static int fail(kev_trace_reader *r, kev_trace_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A fault in the block being read: "block B (member M at offset O, data
 * offset D): ...". */
static int fail(kev_trace_reader *r, kev_trace_status st, const char *fmt, ...)
{
    kev_trace_damage *d = &r->fault;
    va_list ap;
    d->status = st;
    d->file_offset = r->at.offset;
    d->member = r->at.member;
    d->block = r->block;
    int n = 0;
    if (st == KEV_TS_NOT_TRACE)
        ; /* what the file is, not where: no place to name */
    else if (r->kind == KEV_TC_BGZF)
        n = snprintf(d->message, sizeof d->message,
                     "block %llu (member %llu at offset %llu, data offset %zu): ",
                     (unsigned long long)r->block, (unsigned long long)r->at.member,
                     (unsigned long long)r->at.offset, r->at.data_off);
    else /* a chunk's offset is where its data starts in the stream */
        n = snprintf(d->message, sizeof d->message,
                     "block %llu at offset %llu%s: ", (unsigned long long)r->block,
                     (unsigned long long)(r->at.offset + r->at.data_off),
                     r->kind == KEV_TC_GZIP ? " of the gzip data" : "");
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < sizeof d->message)
        vsnprintf(d->message + n, sizeof d->message - (size_t)n, fmt, ap);
    va_end(ap);
    r->fault_bgzf = false;
    return status_code(st) ? status_code(st) : KEV_EFORMAT;
}

/* Remembers the first damage. */
static void note_damage(kev_trace_reader *r)
{
    if (!r->damaged) {
        r->damaged = true;
        r->end = r->fault;
    }
}

static int kv_fail(kev_trace_reader *r, uint64_t member, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A member's KV disagrees with its data. The data itself verified, so in
 * salvage mode this is noted and reading goes on. */
static int kv_fail(kev_trace_reader *r, uint64_t member, uint64_t off, const char *fmt, ...)
{
    kev_trace_damage *d = &r->fault;
    va_list ap;
    d->status = KEV_TS_BAD_MEMBER;
    d->file_offset = off;
    d->member = member;
    d->block = r->block;
    int n = snprintf(d->message, sizeof d->message, "member %llu at offset %llu: KV ",
                     (unsigned long long)member, (unsigned long long)off);
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof d->message)
        vsnprintf(d->message + n, sizeof d->message - (size_t)n, fmt, ap);
    va_end(ap);
    r->fault_bgzf = false;
    if (salvaging(r)) {
        note_damage(r);
        return 0;
    }
    return KEV_EFORMAT;
}

/* Checks a KV's first record against the one found. */
static int kv_rec_check(kev_trace_reader *r, const kev_bgzf_kv *kv, uint64_t member,
                        uint64_t off, uint64_t batch, uint64_t t)
{
    if (kv->first_batch == batch && kv->first_t_ns == t)
        return 0;
    return kv_fail(r, member, off,
                   "first_batch %llu first_t_ns %llu, the data says %llu and %llu",
                   (unsigned long long)kv->first_batch, (unsigned long long)kv->first_t_ns,
                   (unsigned long long)batch, (unsigned long long)t);
}

/* ---------------------------------------------------------------- members */

/* The checks a member's KV owes when the reader leaves the member. */
static int member_done(kev_trace_reader *r)
{
    const kev_bgzf_head *h = &r->m.head;
    if (!h->has_kv)
        return 0;
    if (!r->kv_block && h->kv.first_block_off != KEV_BGZF_NO_BLOCK)
        return kv_fail(r, r->m.index, r->m.offset,
                       "first_block_off 0x%04x, but no block starts in the member",
                       h->kv.first_block_off);
    /* Checked already, owed by the block in progress, or (a member with
     * fewer than 4 bytes of a block) not knowable. */
    if (r->kv_rec || (r->type_state != 0 && r->at.member == r->m.index) ||
        r->type_state == 1)
        return 0;
    uint64_t next = r->next_rec + (r->type_state == 2 && r->blk_is_epb ? 1u : 0u);
    return kv_rec_check(r, &h->kv, r->m.index, r->m.offset, next, 0);
}

/* Leaves the current member for the next: 1, 0 at the end of the file
 * (r->fault says how it ended), or a fault. */
static int member_next(kev_trace_reader *r)
{
    if (r->have_m) {
        int rc = member_done(r);
        if (rc)
            return rc;
        r->have_m = false;
    }
    int rc = kev__bgzf_read(r->bz, &r->m, &r->fault);
    r->fault.block = r->block;
    if (rc < 0) {
        r->fault_bgzf = true;
        return rc;
    }
    if (rc == 0)
        return 0;
    r->have_m = true;
    r->pos = 0;
    r->kv_block = r->kv_rec = false;
    r->kv_seen = r->kv_seen || r->m.head.has_kv;
    return 1;
}

/* Makes sure unread data is at hand: 1, 0 at the end, or a fault. */
static int stream_ready(kev_trace_reader *r)
{
    while (!r->have_m || r->pos == r->m.len) {
        int rc = member_next(r);
        if (rc <= 0)
            return rc;
    }
    return 1;
}

/* Starts reading member `m` (just read) at data offset `pos`. */
static int start_at(kev_trace_reader *r, const spot *s)
{
    r->have_m = true;
    r->pos = s->pos;
    r->next_rec = s->next_rec;
    r->block = s->block;
    r->kv_block = s->kv_block;
    r->kv_rec = false;
    r->type_state = 0;
    r->at.owe_rec = false;
    if (s->pos <= r->m.len)
        return 0;
    r->pos = r->m.len; /* in salvage mode, go on from the next member */
    r->kv_block = true;
    return kv_fail(r, r->m.index, r->m.offset,
                   "first_block_off %zu past the %zu bytes of data", s->pos, r->m.len);
}

/* ---------------------------------------------------------------- blocks */

static int rd16(const kev_trace_reader *r, kev_cursor *c, uint16_t *v)
{
    int rc = kev__cur_u16le(c, v);
    if (rc == 0 && r->be)
        *v = (uint16_t)((*v >> 8) | (*v << 8));
    return rc;
}

static int rd32(const kev_trace_reader *r, kev_cursor *c, uint32_t *v)
{
    int rc = kev__cur_u32le(c, v);
    if (rc == 0 && r->be)
        *v = (*v >> 24) | ((*v >> 8) & 0xff00u) | ((*v << 8) & 0xff0000u) | (*v << 24);
    return rc;
}

/* A u64 option value in the section's byte order. */
static int rd64(const kev_trace_reader *r, kev_cursor *c, uint64_t *v)
{
    uint32_t a, b;
    if (kev__cur_left(c) < 8)
        return KEV_ETRUNC;
    (void)rd32(r, c, &a);
    (void)rd32(r, c, &b);
    *v = r->be ? ((uint64_t)a << 32) | b : ((uint64_t)b << 32) | a;
    return 0;
}

/* A pcapng timestamp (high word, low word) in nanoseconds. */
static int rd_ts(kev_trace_reader *r, kev_cursor *c, uint64_t *ns)
{
    uint32_t hi, lo;
    if (rd32(r, c, &hi) || rd32(r, c, &lo))
        return fail(r, KEV_TS_BAD_FRAMING, "timestamp cut short");
    uint64_t units = ((uint64_t)hi << 32) | lo;
    if (units > UINT64_MAX / r->ts_mult)
        return fail(r, KEV_TS_BAD_FRAMING,
                    "timestamp %llu units overflows 64-bit nanoseconds",
                    (unsigned long long)units);
    *ns = units * r->ts_mult;
    return 0;
}

/* Marks the start of a block in the current member and checks the KV. */
static int block_mark(kev_trace_reader *r)
{
    const kev_bgzf_head *h = &r->m.head;
    r->at.member = r->m.index;
    r->at.offset = r->m.offset;
    r->at.data_off = r->pos;
    r->at.owe_rec = false;
    r->type_state = 1;
    if (!h->has_kv)
        return 0;
    if (!r->kv_rec) {
        r->at.owe_rec = true;
        r->at.kv = h->kv;
    }
    if (r->kv_block)
        return 0;
    r->kv_block = true;
    if (h->kv.first_block_off == r->pos)
        return 0;
    return kv_fail(r, r->m.index, r->m.offset,
                   "first_block_off 0x%04x, the first block starts at 0x%04zx",
                   h->kv.first_block_off, r->pos);
}

/* The data ended inside the block being read, `have` of `want` bytes in. */
static int end_in_block(kev_trace_reader *r, size_t have, size_t want)
{
    /* A stream has no end marker: ending inside a block is being cut short. */
    if (r->fault.status == KEV_TS_OK && r->kind != KEV_TC_BGZF)
        return fail(r, KEV_TS_NO_EOF,
                    "the file ends %zu bytes into the block, which needs %zu: cut short",
                    have, want);
    if (r->fault.status == KEV_TS_OK)
        return fail(r, KEV_TS_BAD_FRAMING,
                    "the data ends %zu bytes into the block, which needs %zu", have, want);
    return fail(r, KEV_TS_NO_EOF,
                "no EOF member: the file ends after member %llu, %zu bytes into this "
                "block, which needs %zu",
                (unsigned long long)(r->fault.member ? r->fault.member - 1 : 0), have,
                want);
}

/* Copies stream bytes into the assembly buffer until it holds `want`. */
static int asm_take(kev_trace_reader *r, size_t *have, size_t want)
{
    if (want > r->asm_cap) {
        uint8_t *p = realloc(r->asmb, want);
        if (p == NULL)
            return fail(r, KEV_TS_IO, "out of memory for a %zu-byte block", want);
        r->asmb = p;
        r->asm_cap = want;
    }
    while (*have < want) {
        if (!r->have_m || r->pos == r->m.len) {
            int rc = member_next(r);
            if (rc == 0)
                return end_in_block(r, *have, want);
            if (rc < 0)
                return rc;
            continue;
        }
        size_t k = r->m.len - r->pos;
        k = k < want - *have ? k : want - *have;
        memcpy(r->asmb + *have, r->m.data + r->pos, k);
        r->pos += k;
        *have += k;
    }
    return 0;
}

/* Reads a block's type and total length from its first 12 bytes (an SHB's
 * byte-order magic sets the section's byte order) and checks the length
 * against the block's cap. */
static int block_head(kev_trace_reader *r, const uint8_t *h, uint32_t *type,
                      uint32_t *total)
{
    kev_cursor c;
    uint32_t bom;
    kev__cur_init(&c, h, KEV_PCAPNG_BLOCK_MIN);
    (void)kev__cur_u32le(&c, type); /* the SHB's type reads the same both ways */
    if (*type == KEV_PCAPNG_SHB && !r->have_shb) {
        (void)kev__cur_seek(&c, 8);
        (void)kev__cur_u32le(&c, &bom);
        if (bom != KEV_PCAPNG_BYTE_ORDER_MAGIC && bom != 0x4D3C2B1Au)
            return fail(r, KEV_TS_BAD_FRAMING, "byte-order magic 0x%08x, expected 0x%08x",
                        bom, KEV_PCAPNG_BYTE_ORDER_MAGIC);
        r->be = bom != KEV_PCAPNG_BYTE_ORDER_MAGIC;
    } else if (!r->have_shb && r->block == 0 && r->next_rec == 0 &&
               *type > KEV_PCAPNG_MAX_STD_TYPE) {
        /* Not even a pcapng block: compressed data of something else. A
         * gzip inside (`gzip -9 trace.kev`) is a trace compressed twice. */
        bool twice = h[0] == 0x1f && h[1] == 0x8b;
        return fail(r, KEV_TS_NOT_TRACE,
                    "%s data that is not pcapng (it starts with %02x %02x %02x %02x%s)",
                    r->kind == KEV_TC_GZIP ? "gzip" : "BGZF", h[0], h[1], h[2], h[3],
                    twice ? ": gzip data again, a file compressed twice: gunzip it once" : "");
    } else if (!r->have_shb) {
        return fail(r, KEV_TS_BAD_FRAMING,
                    "block type 0x%08x, expected a Section Header Block (0x%08x) first",
                    *type, KEV_PCAPNG_SHB);
    }
    c.off = 0;
    (void)rd32(r, &c, type);
    (void)rd32(r, &c, total);
    uint32_t cap = (*type == KEV_PCAPNG_SHB || *type == KEV_PCAPNG_IDB)
                       ? KEV_TRACE_MAX_HEADER_BLOCK
                       : KEV_TRACE_MAX_BLOCK;
    if (*total < KEV_PCAPNG_BLOCK_MIN || *total % 4 != 0)
        return fail(r, KEV_TS_BAD_FRAMING,
                    "total length %u: not a multiple of 4 of at least %u", *total,
                    KEV_PCAPNG_BLOCK_MIN);
    if (*total > cap)
        return fail(r, KEV_TS_TOO_BIG, "total length %u over its cap of %u bytes (%s)",
                    *total, cap,
                    cap == KEV_TRACE_MAX_BLOCK ? "KEV_TRACE_MAX_BLOCK"
                                               : "KEV_TRACE_MAX_HEADER_BLOCK");
    return 0;
}

/* Reads the next block whole: 1, 0 at the end of the data (between
 * blocks), or a fault. */
static int next_block(kev_trace_reader *r, blk *b)
{
    int rc = stream_ready(r);
    if (rc <= 0)
        return rc;
    if ((rc = block_mark(r)) != 0)
        return rc;
    size_t avail = r->m.len - r->pos, have = 0;
    const uint8_t *h = r->m.data + r->pos;
    if (avail < KEV_PCAPNG_BLOCK_MIN) {
        if ((rc = asm_take(r, &have, KEV_PCAPNG_BLOCK_MIN)) != 0)
            return rc;
        h = r->asmb;
    }
    uint32_t total = 0;
    if ((rc = block_head(r, h, &b->type, &total)) != 0)
        return rc;
    r->type_state = 2;
    r->blk_is_epb = b->type == KEV_PCAPNG_EPB;
    if (have == 0 && avail >= total) {
        b->p = h;
        r->pos += total;
    } else {
        if ((rc = asm_take(r, &have, total)) != 0)
            return rc;
        b->p = r->asmb;
    }
    b->len = total;
    b->spans = r->at.member != r->m.index;
    r->type_state = 0;
    kev_cursor c;
    uint32_t trailer;
    kev__cur_init(&c, b->p + total - 4, 4);
    (void)rd32(r, &c, &trailer);
    if (trailer != total)
        return fail(r, KEV_TS_BAD_FRAMING, "total length %u in header, %u in trailer",
                    total, trailer);
    return 1;
}

/* ---------------------------------------------------------------- options */

/* The next option of the options area in `c`: 1, 0 at opt_endofopt or the
 * area's end, or a fault when an option runs past the area. */
static int opt_next(kev_trace_reader *r, kev_cursor *c, opt *o)
{
    if (kev__cur_left(c) == 0)
        return 0;
    if (rd16(r, c, &o->code) || rd16(r, c, &o->len))
        return fail(r, KEV_TS_BAD_FRAMING, "the options end inside an option header");
    if (o->code == KEV_OPT_ENDOFOPT)
        return 0;
    if (kev__pad4(o->len) > kev__cur_left(c))
        return fail(r, KEV_TS_BAD_FRAMING,
                    "option %u of length %u runs %zu bytes past the block", o->code, o->len,
                    kev__pad4(o->len) - kev__cur_left(c));
    o->v = c->p + c->off;
    (void)kev__cur_skip(c, kev__pad4(o->len));
    return 1;
}

typedef int (*opt_fn)(kev_trace_reader *r, const opt *o, void *ctx);

/* Calls `fn` on each option of block `b` from offset `off`. */
static int opts_walk(kev_trace_reader *r, const blk *b, size_t off, opt_fn fn, void *ctx)
{
    kev_cursor c;
    opt o = {0, 0, NULL};
    int rc;
    kev__cur_init(&c, b->p, b->len - 4);
    if (kev__cur_seek(&c, off))
        return fail(r, KEV_TS_BAD_FRAMING, "fixed fields run past the block");
    while ((rc = opt_next(r, &c, &o)) == 1)
        if ((rc = fn(r, &o, ctx)) != 0)
            return rc;
    return rc;
}

/* Is `o` kevrr's custom option `key`? Then *val, *len are its text after
 * the key. */
static bool custom_key(const kev_trace_reader *r, const opt *o, const char *key,
                       const uint8_t **val, size_t *len)
{
    kev_cursor c;
    uint32_t pen;
    size_t klen = strlen(key);
    if (o->code != KEV_OPT_CUSTOM_STR && o->code != KEV_OPT_CUSTOM_STR_NOCOPY)
        return false;
    kev__cur_init(&c, o->v, o->len);
    if (rd32(r, &c, &pen) || pen != KEV_TRACE_PEN || kev__cur_left(&c) < klen ||
        memcmp(o->v + KEV_PCAPNG_PEN_LEN, key, klen) != 0)
        return false;
    *val = o->v + KEV_PCAPNG_PEN_LEN + klen;
    *len = o->len - KEV_PCAPNG_PEN_LEN - klen;
    return true;
}

static int str_set(kev_trace_reader *r, int slot, const uint8_t *v, size_t len)
{
    char *s = malloc(len + 1);
    if (s == NULL)
        return fail(r, KEV_TS_IO, "out of memory for a %zu-byte option", len);
    memcpy(s, v, len);
    s[len] = '\0';
    free(r->str[slot]);
    r->str[slot] = s;
    return 0;
}

/* A decimal number of at most DEC_MAX_DIGITS digits, at most `max`. */
static bool dec_parse(const uint8_t *v, size_t len, uint64_t max, uint64_t *out)
{
    uint64_t x = 0;
    if (len == 0 || len > DEC_MAX_DIGITS)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9' || x > (max - (uint64_t)(v[i] - '0')) / 10)
            return false;
        x = x * 10 + (uint64_t)(v[i] - '0');
    }
    *out = x;
    return true;
}

/* "kevrr.format=MAJOR.MINOR": refuses a newer major version. */
static int on_format(kev_trace_reader *r, const uint8_t *v, size_t len)
{
    const uint8_t *dot = memchr(v, '.', len);
    uint64_t major, minor;
    if (dot == NULL || !dec_parse(v, (size_t)(dot - v), 0xFFFF, &major) ||
        !dec_parse(dot + 1, len - (size_t)(dot - v) - 1, 0xFFFF, &minor))
        return fail(r, KEV_TS_BAD_FRAMING, "kevrr.format value \"%.*s\" is not MAJOR.MINOR",
                    (int)(len < 32 ? len : 32), (const char *)v);
    if (major > KEV_TRACE_FORMAT_MAJOR)
        return fail(r, KEV_TS_NEWER_MAJOR,
                    "trace format %u.%u is newer than this kevrr (%u.%u)", (unsigned)major,
                    (unsigned)minor, KEV_TRACE_FORMAT_MAJOR, KEV_TRACE_FORMAT_MINOR);
    if (major < KEV_TRACE_FORMAT_MAJOR)
        return fail(r, KEV_TS_BAD_FRAMING, "trace format %u.%u: no such version",
                    (unsigned)major, (unsigned)minor);
    r->major = (unsigned)major;
    r->minor = (unsigned)minor;
    return 0;
}

static int shb_opt(kev_trace_reader *r, const opt *o, void *ctx)
{
    static const struct {
        uint16_t code;
        int slot;
    } strs[] = {{KEV_OPT_COMMENT, STR_COMMENT},
                {KEV_OPT_SHB_HARDWARE, STR_HARDWARE},
                {KEV_OPT_SHB_OS, STR_SHB_OS},
                {KEV_OPT_SHB_USERAPPL, STR_TOOL}};
    const uint8_t *v;
    size_t len;
    uint64_t start;
    (void)ctx;
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        if (o->code == strs[i].code)
            return str_set(r, strs[i].slot, o->v, o->len);
    if (custom_key(r, o, KEV_KEY_FORMAT, &v, &len))
        return on_format(r, v, len);
    if (custom_key(r, o, KEV_KEY_BYTEORDER, &v, &len)) {
        if (len != 2 || (memcmp(v, "le", 2) != 0 && memcmp(v, "be", 2) != 0))
            return fail(r, KEV_TS_BAD_FRAMING, "kevrr.byteorder value \"%.*s\": le or be",
                        (int)(len < 32 ? len : 32), (const char *)v);
        r->meta.big_endian = v[0] == 'b';
    }
    if (custom_key(r, o, KEV_KEY_START, &v, &len)) {
        if (!dec_parse(v, len, UINT64_MAX, &start))
            return fail(r, KEV_TS_BAD_FRAMING,
                        "kevrr.start_ns value is not a decimal number");
        r->meta.start_ns = start;
    }
    return 0; /* other options are skipped */
}

/* Section Header Block: byte order (read by block_head), version, metadata. */
static int on_shb(kev_trace_reader *r, const blk *b, kev_trace_rec *rec)
{
    kev_cursor c;
    uint16_t major, minor;
    (void)rec;
    if (r->have_shb)
        return fail(r, KEV_TS_BAD_FRAMING,
                    "a second Section Header Block: a trace is one section");
    if (b->len < KEV_PCAPNG_SHB_FIXED)
        return fail(r, KEV_TS_BAD_FRAMING,
                    "total length %zu, a Section Header Block needs %u", b->len,
                    KEV_PCAPNG_SHB_FIXED);
    kev__cur_init(&c, b->p, b->len);
    (void)kev__cur_seek(&c, 12);
    (void)rd16(r, &c, &major);
    (void)rd16(r, &c, &minor);
    if (major != KEV_PCAPNG_MAJOR)
        return fail(r, KEV_TS_BAD_FRAMING, "pcapng version %u.%u; kevrr reads %u.x", major,
                    minor, KEV_PCAPNG_MAJOR);
    int rc = opts_walk(r, b, KEV_PCAPNG_SHB_FIXED - 4, shb_opt, NULL);
    if (rc == 0)
        r->have_shb = true;
    return rc;
}

/* Appends a snapshot chunk ("kevrr.snapshot=" restarts it). */
static int snap_add(kev_trace_reader *r, const uint8_t *v, size_t len, bool restart)
{
    if (restart)
        r->snap_len = 0;
    if (len > KEV_TRACE_MAX_SNAPSHOT - r->snap_len)
        return fail(r, KEV_TS_TOO_BIG,
                    "snapshot of more than %u bytes (KEV_TRACE_MAX_SNAPSHOT)",
                    KEV_TRACE_MAX_SNAPSHOT);
    char *p = realloc(r->snap, r->snap_len + len + 1);
    if (p == NULL)
        return fail(r, KEV_TS_IO, "out of memory for the snapshot");
    memcpy(p + r->snap_len, v, len);
    r->snap = p;
    r->snap_len += len;
    p[r->snap_len] = '\0';
    return 0;
}

static int idb_opt(kev_trace_reader *r, const opt *o, void *ctx)
{
    const uint8_t *v;
    size_t len;
    (void)ctx;
    if (o->code == KEV_OPT_IF_NAME)
        return str_set(r, STR_SOURCE, o->v, o->len);
    if (o->code == KEV_OPT_IF_OS)
        return str_set(r, STR_IF_OS, o->v, o->len);
    if (o->code == KEV_OPT_IF_FILTER && o->len >= 1 && o->v[0] == KEV_PCAPNG_FILTER_STRING)
        return str_set(r, STR_FILTER, o->v + 1, o->len - 1u);
    if (o->code == KEV_OPT_IF_TSRESOL) {
        /* 10^-v seconds; binary resolutions and finer than ns are refused. */
        if (o->len != 1 || o->v[0] > KEV_PCAPNG_TSRESOL_NS)
            return fail(r, KEV_TS_BAD_FRAMING,
                        "if_tsresol 0x%02x (length %u): kevrr reads 10^-0 "
                        "to 10^-9 seconds",
                        o->len ? o->v[0] : 0, o->len);
        r->ts_mult = 1;
        for (unsigned i = o->v[0]; i < KEV_PCAPNG_TSRESOL_NS; i++)
            r->ts_mult *= 10;
        return 0;
    }
    if (custom_key(r, o, KEV_KEY_SNAPSHOT, &v, &len))
        return snap_add(r, v, len, true);
    if (custom_key(r, o, KEV_KEY_SNAPSHOT_MORE, &v, &len))
        return snap_add(r, v, len, false);
    return 0;
}

/* A capture of another link type, named when it is a common one. */
static int foreign_linktype(kev_trace_reader *r, uint16_t linktype)
{
    static const struct {
        uint16_t type;
        const char *name;
    } known[] = {{0, "BSD loopback"}, {1, "Ethernet"},       {101, "raw IP"},
                 {105, "802.11"},     {113, "Linux cooked"}, {127, "802.11 radiotap"},
                 {228, "IPv4"},       {229, "IPv6"},         {276, "Linux cooked v2"}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (known[i].type == linktype)
            return fail(r, KEV_TS_BAD_LINKTYPE,
                        "link type %u (%s): a network capture, not a kevrr trace (link "
                        "type %u, LINKTYPE_USER0)",
                        linktype, known[i].name, KEV_TRACE_LINKTYPE);
    return fail(r, KEV_TS_BAD_LINKTYPE,
                "link type %u, expected %u (LINKTYPE_USER0): not a kevrr trace", linktype,
                KEV_TRACE_LINKTYPE);
}

/* Interface Description Block: our link type, the time resolution, the
 * source, filter and snapshot. */
static int on_idb(kev_trace_reader *r, const blk *b, kev_trace_rec *rec)
{
    kev_cursor c;
    uint16_t linktype;
    (void)rec;
    if (r->have_idb)
        return fail(r, KEV_TS_BAD_FRAMING,
                    "a second Interface Description Block: a trace has one interface");
    if (b->len < KEV_PCAPNG_IDB_FIXED)
        return fail(r, KEV_TS_BAD_FRAMING,
                    "total length %zu, an Interface Description Block needs %u", b->len,
                    KEV_PCAPNG_IDB_FIXED);
    kev__cur_init(&c, b->p, b->len);
    (void)kev__cur_seek(&c, 8);
    (void)rd16(r, &c, &linktype);
    if (linktype != KEV_TRACE_LINKTYPE)
        return foreign_linktype(r, linktype);
    r->ts_mult = 1000; /* without if_tsresol: microseconds */
    int rc = opts_walk(r, b, KEV_PCAPNG_IDB_FIXED - 4, idb_opt, NULL);
    if (rc == 0)
        r->have_idb = true;
    return rc;
}

/* "kevrr.errno=35 EAGAIN" (the name is optional). */
static int on_errno(kev_trace_reader *r, const uint8_t *v, size_t len, kev_trace_rec *rec)
{
    const uint8_t *sp = memchr(v, ' ', len);
    size_t num = sp ? (size_t)(sp - v) : len, name = sp ? len - num - 1 : 0;
    uint64_t e;
    bool ok = dec_parse(v, num, 0x7FFFFFFF, &e) &&
              (!sp || (name >= 1 && name <= KEV_ERRNAME_MAX));
    for (size_t i = 0; ok && i < name; i++) {
        uint8_t ch = sp[1 + i];
        ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
             (ch >= '0' && ch <= '9') || ch == '_';
    }
    if (!ok)
        return fail(r, KEV_TS_BAD_FRAMING, "kevrr.errno value \"%.*s\" is not ERRNO [NAME]",
                    (int)(len < 48 ? len : 48), (const char *)v);
    memcpy(r->errname, sp ? sp + 1 : v, name);
    r->errname[name] = '\0';
    rec->kind = KEV_TR_ERROR;
    rec->err = (int)e;
    rec->err_name = name ? r->errname : NULL;
    return 0;
}

static int epb_opt(kev_trace_reader *r, const opt *o, void *ctx)
{
    const uint8_t *v;
    size_t len;
    if (custom_key(r, o, KEV_KEY_ERRNO, &v, &len))
        return on_errno(r, v, len, ctx);
    return 0;
}

/* Enhanced Packet Block: one batch, or one failed recv(). */
static int on_epb(kev_trace_reader *r, const blk *b, kev_trace_rec *rec)
{
    kev_cursor c;
    uint32_t iface, caplen, origlen;
    if (!r->have_idb)
        return fail(r, KEV_TS_BAD_FRAMING,
                    "an Enhanced Packet Block before the Interface Description Block");
    if (b->len < KEV_PCAPNG_EPB_FIXED)
        return fail(r, KEV_TS_BAD_FRAMING,
                    "total length %zu, an Enhanced Packet Block needs %u", b->len,
                    KEV_PCAPNG_EPB_FIXED);
    kev__cur_init(&c, b->p, b->len);
    (void)kev__cur_seek(&c, 8);
    (void)rd32(r, &c, &iface);
    int rc = rd_ts(r, &c, &rec->t_ns);
    if (rc)
        return rc;
    (void)rd32(r, &c, &caplen);
    (void)rd32(r, &c, &origlen);
    size_t room = b->len - KEV_PCAPNG_EPB_FIXED;
    if (iface != 0)
        return fail(r, KEV_TS_BAD_FRAMING, "interface %u; the trace has only interface 0",
                    iface);
    if (caplen > room)
        return fail(r, KEV_TS_BAD_FRAMING,
                    "caplen %u exceeds the block's room of %zu bytes", caplen, room);
    if (origlen < caplen)
        return fail(r, KEV_TS_BAD_FRAMING, "origlen %u is less than caplen %u", origlen,
                    caplen);
    rec->kind = KEV_TR_BATCH;
    rec->data = b->p + KEV_PCAPNG_EPB_FIXED - 4;
    rec->caplen = caplen;
    rec->origlen = origlen;
    rec->err = 0;
    rec->err_name = NULL;
    rc = opts_walk(r, b, KEV_PCAPNG_EPB_FIXED - 4 + kev__pad4(caplen), epb_opt, rec);
    if (rc == 0 && rec->kind == KEV_TR_ERROR && caplen != 0)
        return fail(r, KEV_TS_BAD_FRAMING, "a failed recv() with %u bytes of data", caplen);
    return rc ? rc : 1;
}

static int isb_opt(kev_trace_reader *r, const opt *o, void *ctx)
{
    kev_cursor c;
    (void)ctx;
    if (o->code != KEV_OPT_ISB_STARTTIME && o->code != KEV_OPT_ISB_ENDTIME &&
        o->code != KEV_OPT_ISB_IFRECV)
        return 0;
    if (o->len != 8)
        return fail(r, KEV_TS_BAD_FRAMING, "ISB option %u of length %u, expected 8",
                    o->code, o->len);
    kev__cur_init(&c, o->v, 8);
    if (o->code == KEV_OPT_ISB_IFRECV)
        return rd64(r, &c, &r->isb_count);
    return rd_ts(r, &c, o->code == KEV_OPT_ISB_STARTTIME ? &r->isb_start : &r->isb_stop);
}

/* Interface Statistics Block: capture start and stop, the batch count. */
static int on_isb(kev_trace_reader *r, const blk *b, kev_trace_rec *rec)
{
    kev_cursor c;
    uint32_t iface;
    (void)rec;
    if (!r->have_idb)
        return fail(r, KEV_TS_BAD_FRAMING,
                    "an Interface Statistics Block before the Interface Description Block");
    if (b->len < KEV_PCAPNG_ISB_FIXED)
        return fail(r, KEV_TS_BAD_FRAMING,
                    "total length %zu, an Interface Statistics Block needs %u", b->len,
                    KEV_PCAPNG_ISB_FIXED);
    kev__cur_init(&c, b->p, b->len);
    (void)kev__cur_seek(&c, 8);
    (void)rd32(r, &c, &iface);
    if (iface != 0)
        return fail(r, KEV_TS_BAD_FRAMING, "interface %u; the trace has only interface 0",
                    iface);
    r->isb_start = r->isb_count = 0;
    int rc = rd_ts(r, &c, &r->isb_stop); /* isb_endtime, when present, overrides */
    rc = rc ? rc : opts_walk(r, b, KEV_PCAPNG_ISB_FIXED - 4, isb_opt, NULL);
    r->isb = rc == 0;
    return rc;
}

typedef int (*block_fn)(kev_trace_reader *r, const blk *b, kev_trace_rec *rec);

/* The blocks kevrr reads; any other block is skipped. */
static const struct {
    uint32_t type;
    block_fn fn;
} block_kinds[] = {
    {KEV_PCAPNG_SHB, on_shb},
    {KEV_PCAPNG_IDB, on_idb},
    {KEV_PCAPNG_EPB, on_epb},
    {KEV_PCAPNG_ISB, on_isb},
};

/* Settles the KV record check that the block's start member owes: with a
 * record, against it; without, only when the member ended inside the block
 * (otherwise a later record in the member will be its first). */
static int owed_check(kev_trace_reader *r, bool is_rec, uint64_t t, bool spans)
{
    if (!r->at.owe_rec)
        return 0;
    r->at.owe_rec = false;
    if (is_rec && !spans)
        r->kv_rec = true;
    if (!is_rec && !spans)
        return 0;
    return kv_rec_check(r, &r->at.kv, r->at.member, r->at.offset, r->next_rec,
                        is_rec ? t : 0);
}

/* Handles one block: 1 with a record, 0 without, or a fault. */
static int dispatch(kev_trace_reader *r, const blk *b, kev_trace_rec *rec)
{
    int rc = 0;
    for (size_t i = 0; i < sizeof block_kinds / sizeof block_kinds[0]; i++)
        if (block_kinds[i].type == b->type)
            rc = block_kinds[i].fn(r, b, rec);
    if (rc >= 0) {
        int k = owed_check(r, rc == 1, rc == 1 ? rec->t_ns : 0, b->spans);
        rc = k ? k : rc;
    }
    if (rc == 1)
        rec->index = r->next_rec++;
    if (rc >= 0)
        r->block++;
    return rc;
}

/* ---------------------------------------------------------------- salvage */

static bool salvageable(kev_trace_status st)
{
    return st == KEV_TS_TORN_MEMBER || st == KEV_TS_BAD_CRC || st == KEV_TS_BAD_MEMBER ||
           st == KEV_TS_BAD_FRAMING || st == KEV_TS_TOO_BIG;
}

/* After damage: drops the current member (resynchronising byte by byte
 * when the member itself was damaged), then skips members until one with a
 * KV names a block boundary, and starts there. Returns 1, 0 when the file
 * ends first, or KEV_EIO. */
static int salvage(kev_trace_reader *r)
{
    uint64_t bad = 0;
    bool resync = r->fault_bgzf;
    r->skipped++;
    if (r->kind != KEV_TC_BGZF)
        return 0; /* a stream has no later member to start again from */
    r->have_m = false;
    r->type_state = 0;
    r->at.owe_rec = false;
    for (;;) {
        if (resync) {
            int rc = kev__bgzf_resync(r->bz, &bad);
            r->skipped += bad;
            bad = 0;
            if (rc <= 0)
                return rc;
        }
        int rc = kev__bgzf_read(r->bz, &r->m, &r->fault);
        if (rc == 0 || (rc < 0 && r->fault.status == KEV_TS_IO))
            return rc;
        resync = rc < 0;
        if (resync) {
            r->skipped++;
            continue;
        }
        const kev_bgzf_head *h = &r->m.head;
        if (h->has_kv && h->kv.first_block_off < r->m.len) {
            spot s = {r->m.offset,
                      r->m.index,
                      FIRST_RECORD_BLOCK + h->kv.first_batch,
                      h->kv.first_batch,
                      h->kv.first_block_off,
                      false};
            (void)start_at(r, &s);
            return 1;
        }
        if (r->m.len > 0)
            r->skipped++; /* whole, but no block starts in it */
    }
}

/* At a clean end: does the trace's own account agree with what was read?
 * Its statistics block counts the records; a trace with kevrr's index is
 * closed with one, so an EOF member with none before it means the members
 * between were lost (whole members of data removed leave no other trace). */
static void end_checks(kev_trace_reader *r)
{
    kev_trace_damage *d = &r->fault;
    if (d->status != KEV_TS_OK)
        return;
    if (r->isb && r->isb_count != r->next_rec) {
        d->status = KEV_TS_MISSING;
        snprintf(d->message, sizeof d->message,
                 "the statistics block counts %llu record%s, the trace holds %llu",
                 (unsigned long long)r->isb_count, r->isb_count == 1 ? "" : "s",
                 (unsigned long long)r->next_rec);
    } else if (!r->isb && r->kv_seen) {
        d->status = KEV_TS_MISSING;
        snprintf(d->message, sizeof d->message,
                 "the EOF member ends the file at offset %llu, but no statistics block "
                 "came before it: the trace's end is missing (after record %llu)",
                 (unsigned long long)d->file_offset, (unsigned long long)r->next_rec);
    }
}

/* Ends the reading: the status kev_trace_end reports and what
 * kev_trace_next returns from now on. */
static int finish(kev_trace_reader *r, int rc)
{
    r->done = true;
    if (rc == 0)
        end_checks(r);
    if (!r->damaged)
        r->end = r->fault;
    kev_trace_status st = r->fault.status;
    bool ending = st == KEV_TS_OK || st == KEV_TS_NO_EOF || st == KEV_TS_TORN_MEMBER ||
                  st == KEV_TS_MISSING;
    r->done_rc = (rc < 0 && !ending && !(salvaging(r) && salvageable(st))) ? rc : 0;
    return r->done_rc;
}

/* A fault met while reading: salvage (1: go on) or stop (the return). */
static int on_fault(kev_trace_reader *r, int rc)
{
    if (!salvaging(r) || !salvageable(r->fault.status))
        return finish(r, rc);
    note_damage(r);
    rc = salvage(r);
    return rc == 1 ? 1 : finish(r, rc);
}

/* ---------------------------------------------------------------- open */

/* Builds the public metadata from what the SHB and IDB held. */
static void meta_sync(kev_trace_reader *r)
{
    kev_trace_meta *m = &r->meta;
    m->source = r->str[STR_SOURCE];
    m->filter = r->str[STR_FILTER];
    m->os = r->str[STR_SHB_OS] ? r->str[STR_SHB_OS] : r->str[STR_IF_OS];
    m->hardware = r->str[STR_HARDWARE];
    m->tool = r->str[STR_TOOL];
    m->comment = r->str[STR_COMMENT];
    m->snapshot = r->snap;
    m->snapshot_len = r->snap_len;
}

static spot here(const kev_trace_reader *r)
{
    spot s = {r->m.offset, r->m.index, r->block, r->next_rec, r->pos, r->kv_block};
    return s;
}

/* The data ended before the IDB. */
static int end_early(kev_trace_reader *r)
{
    if (r->fault.status == KEV_TS_OK)
        return fail(r, KEV_TS_BAD_FRAMING,
                    "the trace ends before its Interface Description Block");
    if (r->fault.file_offset > 0) /* else "the file is empty" says it */
        snprintf(
            r->fault.message, sizeof r->fault.message,
            "no EOF member: the file ends at offset %llu, before the trace's Interface "
            "Description Block",
            (unsigned long long)r->fault.file_offset);
    return KEV_ETRUNC;
}

/* Reads the SHB and IDB. In salvage mode, damage before the IDB loses the
 * metadata: reading then goes on from the next block boundary as if the
 * headers had been default ones (little-endian, nanoseconds). */
static int read_headers(kev_trace_reader *r)
{
    kev_trace_rec rec;
    while (!r->have_idb) {
        blk b;
        int rc = next_block(r, &b);
        if (rc == 1)
            rc = dispatch(r, &b, &rec);
        else if (rc == 0)
            rc = end_early(r);
        if (rc >= 0)
            continue;
        if (!salvaging(r) || !salvageable(r->fault.status)) {
            r->end = r->fault;
            return rc;
        }
        note_damage(r);
        if (salvage(r) != 1)
            return status_code(r->end.status) ? status_code(r->end.status) : KEV_EFORMAT;
        r->have_shb = r->have_idb = true;
        r->ts_mult = 1;
    }
    r->home = here(r);
    meta_sync(r);
    return 0;
}

/* Fills *damage for a file that cannot be opened or read as one. */
static void open_error(kev_trace_damage *damage, int *err, const char *name, int e)
{
    *err = e == ENOENT ? KEV_ENOENT : KEV_EIO;
    damage->status = KEV_TS_IO;
    snprintf(damage->message, sizeof damage->message, "cannot open %s: %s", name,
             strerror(e));
}

/* A reader on `fd` (closed with the reader when `own`). */
static kev_trace_reader *open_on(int fd, bool own, const char *name, unsigned flags,
                                 int *err, kev_trace_damage *damage)
{
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        open_error(damage, err, name, EISDIR);
        if (own)
            close(fd);
        return NULL;
    }
    kev_trace_reader *r = calloc(1, sizeof *r);
    if (r == NULL) {
        if (own)
            close(fd);
        *err = KEV_ENOMEM;
        return NULL;
    }
    r->fd = fd;
    r->own_fd = own;
    r->seekable = lseek(fd, 0, SEEK_CUR) >= 0;
    r->flags = flags;
    r->ts_mult = 1;
    r->home.block = FIRST_RECORD_BLOCK;
    r->bz = kev__bgzf_reader_new(fd);
    r->asmb = malloc(ASM_INITIAL);
    r->asm_cap = ASM_INITIAL;
    int rc = (r->bz && r->asmb) ? 0 : KEV_ENOMEM;
    if (rc == 0 && (rc = kev__bgzf_detect(r->bz, &r->end)) == 0) {
        r->kind = kev__bgzf_container(r->bz, NULL);
        rc = read_headers(r);
    }
    if (rc) {
        *damage = r->end;
        *err = rc;
        kev_trace_close(r);
        return NULL;
    }
    *err = 0;
    return r;
}

/* The caller's error outputs, or scratch ones when it passed NULL. */
typedef struct open_outs {
    kev_trace_damage damage;
    int err;
} open_outs;

static void outs_init(open_outs *scratch, kev_trace_damage **damage, int **err)
{
    *damage = *damage ? *damage : &scratch->damage;
    *err = *err ? *err : &scratch->err;
    memset(*damage, 0, sizeof **damage);
}

kev_trace_reader *kev_trace_open(const char *path, unsigned flags, int *err,
                                 kev_trace_damage *damage)
{
    open_outs scratch;
    outs_init(&scratch, &damage, &err);
    if (path == NULL) {
        *err = KEV_EINVAL;
        damage->status = KEV_TS_IO;
        snprintf(damage->message, sizeof damage->message, "cannot open (null): no path");
        return NULL;
    }
    bool is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        open_error(damage, err, path, errno);
        return NULL;
    }
    /* Standard input is never seeked, even when it is a file. */
    kev_trace_reader *r = open_on(fd, !is_stdin, path, flags, err, damage);
    if (r && is_stdin)
        r->seekable = false;
    return r;
}

kev_trace_reader *kev_trace_open_fd(int fd, const char *name, unsigned flags, int *err,
                                    kev_trace_damage *damage)
{
    open_outs scratch;
    outs_init(&scratch, &damage, &err);
    return open_on(fd, false, name ? name : "(descriptor)", flags, err, damage);
}

void kev_trace_container_get(const kev_trace_reader *r, kev_trace_container *kind,
                             bool *indexed, uint64_t *streams)
{
    kev_trace_container k = kev__bgzf_container(r->bz, streams);
    if (kind)
        *kind = k;
    if (indexed)
        *indexed = r->kv_seen;
}

void kev_trace_close(kev_trace_reader *r)
{
    if (r == NULL)
        return;
    if (r->own_fd)
        close(r->fd);
    kev__bgzf_reader_free(r->bz);
    for (int i = 0; i < STR_N; i++)
        free(r->str[i]);
    free(r->snap);
    free(r->asmb);
    free(r);
}

const kev_trace_meta *kev_trace_meta_get(const kev_trace_reader *r)
{
    return &r->meta;
}

void kev_trace_version(const kev_trace_reader *r, unsigned *major, unsigned *minor)
{
    if (major)
        *major = r->major;
    if (minor)
        *minor = r->minor;
}

/* ---------------------------------------------------------------- records */

int kev_trace_next(kev_trace_reader *r, kev_trace_rec *rec)
{
    if (r->pending) {
        r->pending = false;
        *rec = r->pend;
        return 1;
    }
    while (!r->done) {
        blk b;
        int rc = next_block(r, &b);
        if (rc == 1)
            rc = dispatch(r, &b, rec);
        else if (rc == 0)
            return finish(r, 0);
        if (rc == 1)
            return 1;
        if (rc < 0 && on_fault(r, rc) != 1)
            return r->done_rc;
    }
    return r->done_rc;
}

const kev_trace_damage *kev_trace_end(const kev_trace_reader *r, uint64_t *skipped)
{
    if (skipped)
        *skipped = r->skipped;
    return &r->end;
}

bool kev_trace_stats_block(const kev_trace_reader *r, uint64_t *start_ns, uint64_t *stop_ns,
                           uint64_t *batches)
{
    if (start_ns)
        *start_ns = r->isb ? r->isb_start : 0;
    if (stop_ns)
        *stop_ns = r->isb ? r->isb_stop : 0;
    if (batches)
        *batches = r->isb ? r->isb_count : 0;
    return r->isb;
}

void kev_trace_reader_stats(const kev_trace_reader *r, uint64_t *members,
                            uint64_t *file_bytes, uint64_t *raw_bytes)
{
    kev__bgzf_reader_stats(r->bz, members, file_bytes, raw_bytes);
}

/* ---------------------------------------------------------------- seeks */

/* Is a member whose KV is `kv` a place to start looking for the target
 * (`past`: it starts after the target, so the hop can stop)? */
static bool seek_fits(const kev_bgzf_kv *kv, uint64_t index, uint64_t t, bool by_time,
                      bool *past)
{
    if (by_time) {
        *past = kv->first_t_ns != 0 && kv->first_t_ns >= t;
        return kv->first_t_ns != 0 && kv->first_t_ns < t;
    }
    *past = kv->first_batch > index;
    return kv->first_batch <= index;
}

/* Hops member headers from the start of the file and returns the last
 * member after the headers where reading can start and still meet the
 * target (the home when there is none). */
static int seek_spot(kev_trace_reader *r, uint64_t index, uint64_t t, bool by_time,
                     spot *best)
{
    uint64_t off = 0;
    *best = r->home;
    for (uint64_t member = 0;; member++) {
        kev_bgzf_head h;
        bool past = false;
        int rc = kev__bgzf_peek(r->bz, off, &h);
        if (rc == KEV_EINVAL)
            return rc;
        if (rc != 1)
            return 0; /* the end, or damage: start from the best so far */
        if (h.has_kv && seek_fits(&h.kv, index, t, by_time, &past) &&
            h.kv.first_block_off != KEV_BGZF_NO_BLOCK && off > r->home.offset) {
            spot s = {off,
                      member,
                      FIRST_RECORD_BLOCK + h.kv.first_batch,
                      h.kv.first_batch,
                      h.kv.first_block_off,
                      false};
            *best = s;
        }
        if (past)
            return 0;
        off += h.member_len;
    }
}

/* Restarts reading at `s` with a fresh end state. */
static int seek_restart(kev_trace_reader *r, const spot *s)
{
    int rc = kev__bgzf_seek(r->bz, s->offset, s->member);
    if (rc)
        return rc;
    r->done = r->damaged = r->pending = r->have_m = false;
    r->skipped = 0;
    memset(&r->end, 0, sizeof r->end);
    memset(&r->fault, 0, sizeof r->fault);
    r->type_state = 0;
    r->at.owe_rec = false;
    rc = kev__bgzf_read(r->bz, &r->m, &r->fault);
    r->fault.block = s->block;
    if (rc == 0) {
        finish(r, 0);
        return KEV_ENOENT;
    }
    if (rc < 0) {
        r->fault_bgzf = true;
        return on_fault(r, rc) == 1 ? 0 : (r->done_rc ? r->done_rc : KEV_ENOENT);
    }
    rc = start_at(r, s);
    return rc < 0 ? finish(r, rc) : 0;
}

static int seek_to(kev_trace_reader *r, uint64_t index, uint64_t t, bool by_time)
{
    spot s;
    kev_trace_rec rec;
    /* A pipe or FIFO cannot seek: say so before touching the reading. */
    if (!r->seekable)
        return KEV_EINVAL;
    int rc = seek_spot(r, index, t, by_time, &s);
    rc = rc ? rc : seek_restart(r, &s);
    if (rc)
        return rc;
    for (;;) {
        rc = kev_trace_next(r, &rec);
        if (rc <= 0)
            return rc < 0 ? rc : KEV_ENOENT;
        if (by_time ? rec.t_ns >= t : rec.index >= index) {
            r->pend = rec;
            r->pending = true;
            return 0;
        }
    }
}

int kev_trace_seek_batch(kev_trace_reader *r, uint64_t index)
{
    return seek_to(r, index, 0, false);
}

int kev_trace_seek_time(kev_trace_reader *r, uint64_t t_ns)
{
    return seek_to(r, 0, t_ns, true);
}
