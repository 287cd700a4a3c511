/*
 * trace_write.c: the trace writer of kevrr/trace.h (docs/trace-format.md).
 *
 * pcapng blocks are streamed into one member-sized buffer; a full buffer is
 * compressed into one BGZF member and written out. So memory is one member
 * of data plus one compressed member, whatever the trace's length. A block
 * that fits in a member never spans two: when it does not fit in what is
 * left of the current member, that member is closed first. Only blocks
 * bigger than a member (an IDB with a large snapshot, a batch near
 * KEV_TRACE_MAX_BLOCK) span members. Each member's KV subfield records where
 * its first block and its first record start, for seeks and salvage.
 *
 * Argument errors (EINVAL, ETOOBIG) leave the writer usable; an I/O or
 * memory error breaks it, and every later call returns that error.
 */
#define _POSIX_C_SOURCE 200809L /* fileno, fsync */

#include "kevrr/trace.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kev_bgzf.h"
#include "kev_cursor.h"
#include "kev_pcapng.h"
#include "kevrr/error.h"

struct kev_trace_writer {
    FILE *f;
    kev_bgzf_enc *enc;
    uint8_t *data;    /* the open member's data: KEV_BGZF_MAX_DATA bytes */
    size_t len;       /* bytes in it */
    uint8_t *member;  /* one compressed member: KEV_BGZF_MAX_MEMBER bytes */
    kev_bgzf_kv kv;   /* the open member's KV */
    bool kv_block;    /* a block starts in the open member */
    bool kv_rec;      /* a record starts in the open member */
    uint64_t records; /* EPBs begun (batches and errors) */
    uint64_t raw_bytes, file_bytes;
    uint64_t start_ns;
    int first_err; /* the first error of any call */
    int broken;    /* an I/O or memory error: nothing more is written */
    int sys_errno; /* with KEV_EIO: errno of the write or flush that failed */
};

/* One option to write: its code, then (custom options) the PEN, then
 * `pre_len` bytes of `pre` (a custom option's key, if_filter's type byte),
 * then `len` bytes of `val`. */
typedef struct wopt {
    uint16_t code;
    bool pen;
    const char *pre;
    size_t pre_len;
    const void *val;
    size_t len;
} wopt;

/* SHB and IDB options, the snapshot chunks included. */
#define WOPT_MAX (16u + KEV_TRACE_MAX_SNAPSHOT / (KEV_SNAPSHOT_CHUNK / 2u) + 1u)

typedef struct wopts {
    wopt v[WOPT_MAX];
    size_t n;
} wopts;

static int note(kev_trace_writer *w, int err)
{
    if (err && w->first_err == 0)
        w->first_err = err;
    return err;
}

static int breaks(kev_trace_writer *w, int err)
{
    if (w->broken == 0) {
        w->broken = err;
        if (err == KEV_EIO)
            w->sys_errno = errno ? errno : EIO; /* just set by the failed call */
    }
    return note(w, err);
}

/* ---------------------------------------------------------------- members */

/* Compresses and writes the open member, if it holds anything. */
static int member_close(kev_trace_writer *w)
{
    size_t n;
    if (w->broken || w->len == 0)
        return w->broken;
    if (!w->kv_block)
        w->kv.first_block_off = KEV_BGZF_NO_BLOCK;
    if (!w->kv_rec) {
        w->kv.first_batch = w->records; /* the next record's index */
        w->kv.first_t_ns = 0;
    }
    int rc = kev__bgzf_enc_member(w->enc, &w->kv, w->data, w->len, w->member, &n);
    if (rc)
        return breaks(w, rc);
    if (fwrite(w->member, 1, n, w->f) != n)
        return breaks(w, KEV_EIO);
    w->file_bytes += n;
    w->len = 0;
    w->kv_block = w->kv_rec = false;
    return 0;
}

/* Appends bytes, closing members as they fill. */
static void put(kev_trace_writer *w, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0 && !w->broken) {
        if (w->len == KEV_BGZF_MAX_DATA && member_close(w))
            return;
        size_t k = KEV_BGZF_MAX_DATA - w->len;
        k = k < n ? k : n;
        memcpy(w->data + w->len, b, k);
        w->len += k;
        w->raw_bytes += k;
        b += k;
        n -= k;
    }
}

static void put_u16(kev_trace_writer *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    put(w, b, 2);
}

static void put_u32(kev_trace_writer *w, uint32_t v)
{
    uint8_t b[4];
    kev__put_u32le(b, v);
    put(w, b, 4);
}

/* A timestamp as pcapng stores it: high 32 bits, then low 32 bits. */
static void put_ts(kev_trace_writer *w, uint64_t t)
{
    put_u32(w, (uint32_t)(t >> 32));
    put_u32(w, (uint32_t)t);
}

static void put_pad(kev_trace_writer *w, size_t n)
{
    static const uint8_t zero[4];
    put(w, zero, kev__pad4(n) - n);
}

/* Starts a block of `total` bytes: closes the open member first when the
 * block would fit in a member but not in what is left of this one, notes
 * the block (and, for a record at time `t`, the record) in the KV, and
 * writes the type and length. */
static void block_begin(kev_trace_writer *w, uint32_t type, size_t total, bool rec,
                        uint64_t t)
{
    if (w->len == KEV_BGZF_MAX_DATA ||
        (total <= KEV_BGZF_MAX_DATA && w->len + total > KEV_BGZF_MAX_DATA))
        if (member_close(w))
            return;
    if (!w->kv_block) {
        w->kv.first_block_off = (uint16_t)w->len;
        w->kv_block = true;
    }
    if (rec) {
        uint64_t index = w->records++;
        if (!w->kv_rec) {
            w->kv.first_batch = index;
            w->kv.first_t_ns = t;
            w->kv_rec = true;
        }
    }
    put_u32(w, type);
    put_u32(w, (uint32_t)total);
}

/* ---------------------------------------------------------------- options */

static size_t wopt_len(const wopt *o)
{
    return (o->pen ? KEV_PCAPNG_PEN_LEN : 0) + o->pre_len + o->len;
}

static int wopts_push(wopts *s, wopt o)
{
    if (s->n == WOPT_MAX || wopt_len(&o) > KEV_PCAPNG_OPT_MAX)
        return KEV_ETOOBIG;
    s->v[s->n++] = o;
    return 0;
}

/* Adds an option; `key` (custom options) makes it a custom option. */
static int wopts_add(wopts *s, uint16_t code, const char *key, const void *val, size_t len)
{
    return wopts_push(s, (wopt){code, key != NULL, key, key ? strlen(key) : 0, val, len});
}

/* Adds a string option when `s` is set. */
static int wopts_str(wopts *s, uint16_t code, const char *key, const char *str)
{
    return str ? wopts_add(s, code, key, str, strlen(str)) : 0;
}

/* Bytes the options take, opt_endofopt included (none when empty). */
static size_t wopts_size(const wopts *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        n += 4 + kev__pad4(wopt_len(&s->v[i]));
    return s->n ? n + 4 : 0;
}

static void wopts_put(kev_trace_writer *w, const wopts *s)
{
    for (size_t i = 0; i < s->n; i++) {
        const wopt *o = &s->v[i];
        size_t len = wopt_len(o);
        put_u16(w, o->code);
        put_u16(w, (uint16_t)len);
        if (o->pen)
            put_u32(w, KEV_TRACE_PEN);
        put(w, o->pre, o->pre_len);
        put(w, o->val, o->len);
        put_pad(w, len);
    }
    if (s->n)
        put_u32(w, 0); /* opt_endofopt, length 0 */
}

/* The next chunk of snapshot text: at most KEV_SNAPSHOT_CHUNK bytes, cut
 * after a newline in the chunk's second half when there is one, else not
 * inside a UTF-8 sequence. */
static size_t snap_chunk(const char *s, size_t left)
{
    if (left <= KEV_SNAPSHOT_CHUNK)
        return left;
    for (size_t i = KEV_SNAPSHOT_CHUNK; i > KEV_SNAPSHOT_CHUNK / 2; i--)
        if (s[i - 1] == '\n')
            return i;
    size_t n = KEV_SNAPSHOT_CHUNK;
    for (int k = 0; k < 3 && ((uint8_t)s[n] & 0xC0u) == 0x80u; k++)
        n--;
    return n;
}

static int wopts_snapshot(wopts *s, const kev_trace_meta *m)
{
    size_t off = 0;
    while (off < m->snapshot_len) {
        size_t n = snap_chunk(m->snapshot + off, m->snapshot_len - off);
        int rc =
            wopts_add(s, KEV_OPT_CUSTOM_STR, off ? KEV_KEY_SNAPSHOT_MORE : KEV_KEY_SNAPSHOT,
                      m->snapshot + off, n);
        if (rc)
            return rc;
        off += n;
    }
    return 0;
}

/* ---------------------------------------------------------------- blocks */

static int write_shb(kev_trace_writer *w, const kev_trace_meta *m)
{
    static const char *const order[2] = {"le", "be"};
    char version[24], start[24];
    wopts s;
    snprintf(version, sizeof version, "%u.%u", KEV_TRACE_FORMAT_MAJOR,
             KEV_TRACE_FORMAT_MINOR);
    snprintf(start, sizeof start, "%" PRIu64, m->start_ns);
    s.n = 0;
    int rc = wopts_str(&s, KEV_OPT_COMMENT, NULL, m->comment);
    rc = rc ? rc : wopts_str(&s, KEV_OPT_SHB_HARDWARE, NULL, m->hardware);
    rc = rc ? rc : wopts_str(&s, KEV_OPT_SHB_OS, NULL, m->os);
    rc = rc ? rc : wopts_str(&s, KEV_OPT_SHB_USERAPPL, NULL, m->tool);
    rc = rc ? rc : wopts_str(&s, KEV_OPT_CUSTOM_STR, KEV_KEY_FORMAT, version);
    rc = rc ? rc
            : wopts_str(&s, KEV_OPT_CUSTOM_STR, KEV_KEY_BYTEORDER, order[m->big_endian]);
    if (m->start_ns)
        rc = rc ? rc : wopts_str(&s, KEV_OPT_CUSTOM_STR, KEV_KEY_START, start);
    size_t total = KEV_PCAPNG_SHB_FIXED + wopts_size(&s);
    if (rc || total > KEV_TRACE_MAX_HEADER_BLOCK)
        return rc ? rc : KEV_ETOOBIG;
    block_begin(w, KEV_PCAPNG_SHB, total, false, 0);
    put_u32(w, KEV_PCAPNG_BYTE_ORDER_MAGIC);
    put_u16(w, KEV_PCAPNG_MAJOR);
    put_u16(w, KEV_PCAPNG_MINOR);
    put_u32(w, 0xFFFFFFFFu); /* section length: unknown */
    put_u32(w, 0xFFFFFFFFu);
    wopts_put(w, &s);
    put_u32(w, (uint32_t)total);
    return w->broken;
}

static int write_idb(kev_trace_writer *w, const kev_trace_meta *m)
{
    static const uint8_t tsresol = KEV_PCAPNG_TSRESOL_NS;
    static const char filter_string = (char)KEV_PCAPNG_FILTER_STRING;
    wopts so, *s = &so;
    s->n = 0;
    int rc = wopts_str(s, KEV_OPT_IF_NAME, NULL, m->source);
    rc = rc ? rc : wopts_add(s, KEV_OPT_IF_TSRESOL, NULL, &tsresol, 1);
    /* if_filter: a filter string is a 0 byte, then the text. */
    if (m->filter)
        rc = rc ? rc
                : wopts_push(s, (wopt){KEV_OPT_IF_FILTER, false, &filter_string, 1,
                                       m->filter, strlen(m->filter)});
    rc = rc ? rc : wopts_str(s, KEV_OPT_IF_OS, NULL, m->os);
    rc = rc ? rc : wopts_snapshot(s, m);
    size_t total = KEV_PCAPNG_IDB_FIXED + wopts_size(s);
    if (rc || total > KEV_TRACE_MAX_HEADER_BLOCK)
        return rc ? rc : KEV_ETOOBIG;
    block_begin(w, KEV_PCAPNG_IDB, total, false, 0);
    put_u16(w, (uint16_t)KEV_TRACE_LINKTYPE);
    put_u16(w, 0);
    put_u32(w, KEV_PCAPNG_SNAPLEN);
    wopts_put(w, s);
    put_u32(w, (uint32_t)total);
    return w->broken;
}

/* ---------------------------------------------------------------- API */

static void writer_free(kev_trace_writer *w)
{
    kev__bgzf_enc_free(w->enc);
    free(w->data);
    free(w->member);
    free(w);
}

/* Checks the metadata against the caps before anything is written. */
static int meta_check(const kev_trace_meta *m)
{
    if (m->snapshot_len && m->snapshot == NULL)
        return KEV_EINVAL;
    if (m->snapshot_len > KEV_TRACE_MAX_SNAPSHOT || m->snapshot_len > KEV_TRACE_MAX_OPTION)
        return KEV_ETOOBIG;
    return 0;
}

kev_trace_writer *kev_trace_writer_open(FILE *f, const kev_trace_meta *meta, int *err)
{
    return kev_trace_writer_open_level(f, meta, KEV_TRACE_LEVEL_DEFAULT, err);
}

kev_trace_writer *kev_trace_writer_open_level(FILE *f, const kev_trace_meta *meta, int level,
                                              int *err)
{
    static const kev_trace_meta none;
    const kev_trace_meta *m = meta ? meta : &none;
    bool level_ok = level >= KEV_TRACE_LEVEL_MIN && level <= KEV_TRACE_LEVEL_MAX;
    int rc = f && level_ok ? meta_check(m) : KEV_EINVAL;
    kev_trace_writer *w = rc ? NULL : calloc(1, sizeof *w);
    if (w == NULL) {
        *err = rc ? rc : KEV_ENOMEM;
        return NULL;
    }
    w->f = f;
    w->start_ns = m->start_ns;
    w->enc = kev__bgzf_enc_new(level);
    w->data = malloc(KEV_BGZF_MAX_DATA);
    w->member = malloc(KEV_BGZF_MAX_MEMBER);
    rc = (w->enc && w->data && w->member) ? 0 : KEV_ENOMEM;
    rc = rc ? rc : write_shb(w, m);
    rc = rc ? rc : write_idb(w, m);
    if (rc) {
        writer_free(w);
        *err = rc;
        return NULL;
    }
    *err = 0;
    return w;
}

int kev_trace_write_batch(kev_trace_writer *w, uint64_t t_ns, const uint8_t *data,
                          uint32_t caplen, uint32_t origlen)
{
    if (w->broken)
        return w->broken;
    if (origlen < caplen || (data == NULL && caplen > 0))
        return note(w, KEV_EINVAL);
    size_t total = KEV_PCAPNG_EPB_FIXED + kev__pad4(caplen);
    if (total > KEV_TRACE_MAX_BLOCK)
        return note(w, KEV_ETOOBIG);
    block_begin(w, KEV_PCAPNG_EPB, total, true, t_ns);
    put_u32(w, 0); /* interface 0 */
    put_ts(w, t_ns);
    put_u32(w, caplen);
    put_u32(w, origlen);
    put(w, data, caplen);
    put_pad(w, caplen);
    put_u32(w, (uint32_t)total);
    return w->broken;
}

/* Is `name` a plausible errno name: [A-Za-z0-9_], at most KEV_ERRNAME_MAX? */
static bool errname_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > KEV_ERRNAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    return true;
}

int kev_trace_write_error(kev_trace_writer *w, uint64_t t_ns, int err, const char *err_name)
{
    char comment[96], custom[64];
    wopts s;
    if (w->broken)
        return w->broken;
    if (err < 0 || (err_name && !errname_ok(err_name)))
        return note(w, KEV_EINVAL);
    if (err_name) {
        snprintf(comment, sizeof comment, "recv() failed: %s (errno %d)", err_name, err);
        snprintf(custom, sizeof custom, "%d %s", err, err_name);
    } else {
        snprintf(comment, sizeof comment, "recv() failed: errno %d", err);
        snprintf(custom, sizeof custom, "%d", err);
    }
    s.n = 0;
    (void)wopts_str(&s, KEV_OPT_COMMENT, NULL, comment); /* short: cannot fail */
    (void)wopts_str(&s, KEV_OPT_CUSTOM_STR, KEV_KEY_ERRNO, custom);
    size_t total = KEV_PCAPNG_EPB_FIXED + wopts_size(&s);
    block_begin(w, KEV_PCAPNG_EPB, total, true, t_ns);
    put_u32(w, 0);
    put_ts(w, t_ns);
    put_u32(w, 0); /* caplen */
    put_u32(w, 0); /* origlen */
    wopts_put(w, &s);
    put_u32(w, (uint32_t)total);
    return w->broken;
}

int kev_trace_flush(kev_trace_writer *w, bool sync)
{
    if (member_close(w))
        return w->broken;
    if (fflush(w->f) != 0)
        return breaks(w, KEV_EIO);
    /* A pipe or terminal cannot be synced, and need not be. */
    if (sync && fsync(fileno(w->f)) != 0 && errno != EINVAL && errno != EROFS)
        return breaks(w, KEV_EIO);
    return 0;
}

static void write_isb(kev_trace_writer *w, uint64_t stop_ns)
{
    uint8_t start[8], stop[8], count[8];
    wopts s;
    /* isb_starttime/endtime: high then low 32 bits; isb_ifrecv: a u64. */
    kev__put_u32le(start, (uint32_t)(w->start_ns >> 32));
    kev__put_u32le(start + 4, (uint32_t)w->start_ns);
    kev__put_u32le(stop, (uint32_t)(stop_ns >> 32));
    kev__put_u32le(stop + 4, (uint32_t)stop_ns);
    kev__put_u32le(count, (uint32_t)w->records);
    kev__put_u32le(count + 4, (uint32_t)(w->records >> 32));
    s.n = 0;
    if (w->start_ns)
        (void)wopts_add(&s, KEV_OPT_ISB_STARTTIME, NULL, start, 8);
    (void)wopts_add(&s, KEV_OPT_ISB_ENDTIME, NULL, stop, 8);
    (void)wopts_add(&s, KEV_OPT_ISB_IFRECV, NULL, count, 8);
    size_t total = KEV_PCAPNG_ISB_FIXED + wopts_size(&s);
    block_begin(w, KEV_PCAPNG_ISB, total, false, 0);
    put_u32(w, 0);
    put_ts(w, stop_ns);
    wopts_put(w, &s);
    put_u32(w, (uint32_t)total);
}

int kev_trace_writer_close(kev_trace_writer *w, uint64_t stop_ns)
{
    if (w == NULL)
        return 0;
    if (!w->broken) {
        write_isb(w, stop_ns);
        if (kev_trace_flush(w, false) == 0) {
            if (fwrite(kev__bgzf_eof, 1, KEV_BGZF_EOF_LEN, w->f) != KEV_BGZF_EOF_LEN ||
                fflush(w->f) != 0)
                breaks(w, KEV_EIO);
        }
    }
    int rc = w->first_err;
    int e = w->sys_errno;
    writer_free(w);
    if (rc == KEV_EIO && e != 0)
        errno = e; /* what the caller names: ENOSPC, not "I/O error" */
    return rc;
}

void kev_trace_writer_abandon(kev_trace_writer *w)
{
    if (w)
        writer_free(w);
}

void kev_trace_writer_stats(const kev_trace_writer *w, uint64_t *batches,
                            uint64_t *raw_bytes, uint64_t *file_bytes)
{
    if (batches)
        *batches = w->records;
    if (raw_bytes)
        *raw_bytes = w->raw_bytes;
    if (file_bytes)
        *file_bytes = w->file_bytes;
}
