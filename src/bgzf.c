/*
 * bgzf.c: BGZF members (kev_bgzf.h, docs/trace-format.md): the encoder the
 * trace writer puts its pcapng data through and the member reader under the
 * trace reader.
 *
 * The reader keeps a KEV_BGZF_INBUF-byte input buffer filled by large
 * read()s and inflates each member straight from it into one
 * KEV_BGZF_MAX_MEMBER-byte output buffer, so memory is bounded whatever the
 * file. Every length it uses (XLEN, SLEN, BSIZE, the inflated size) is
 * checked against the bytes present and the member cap before use.
 *
 * Read-ahead. Inflating and checking members (zlib inflate + CRC32) is a
 * large share of replay time, and the consumer (the trace reader's event
 * core) has its own work to do; so plain sequential reading runs on a
 * worker thread that stays up to KEV_BGZF_SLOTS members ahead, each
 * inflated into its own slot buffer. Invariants:
 *  - while the worker runs (a->running), it alone touches the input side of
 *    the reader (fd, in*, z, index, last_empty); the consumer only pops
 *    items under a->mu and counts statistics, so the statistics are what
 *    the consumer received;
 *  - the worker stops after pushing an end or a fault, so the reader then
 *    stands exactly on the member at fault, as kev__bgzf_resync expects;
 *  - resync, peek, seek and free stop and join the worker first and drop
 *    whatever it queued; the bytes delivered, and their order, are the same
 *    as without the worker;
 *  - the slot of the item last returned is held until the next call, so
 *    m->data stays valid until then, as the interface promises;
 *  - when the worker cannot start, reading runs on the caller's thread.
 *
 * Other containers. The same pcapng may come wrapped otherwise: gzip that
 * is not BGZF (gzip -9, one stream or several) or nothing at all (Wireshark's
 * tools write plain pcapng). kev__bgzf_detect tells them apart by the first
 * bytes; such a stream is then cut into chunks of up to KEV_BGZF_MAX_MEMBER
 * bytes of data, handed out as members without KV, so that the trace reader
 * reads them as it reads BGZF. They cannot be hopped: a peek finds no
 * member, a seek starts again from the beginning and skips chunks (the
 * same chunks: the cutting depends only on the bytes), and a resync finds
 * nothing to resume from.
 */
#define _POSIX_C_SOURCE 200809L /* read, pread, lseek, pthreads */

#include "kev_bgzf.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>
#include <zlib.h>

#include "kev_cursor.h"

/* Bytes the detection looks at: a gzip header up to the KV subfield's name,
 * or the start of a text line it quotes. */
#define DETECT_BYTES 64u
/* Text shown from a file that is not a trace. */
#define DETECT_SHOW 32u

const uint8_t kev__bgzf_eof[KEV_BGZF_EOF_LEN] = {
    0x1f, 0x8b, 0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x06, 0x00, 0x42, 0x43,
    0x02, 0x00, 0x1b, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

/* ID1 ID2 CM FLG: gzip, deflate, FEXTRA and no other flag. */
static const uint8_t gz_fixed[4] = {0x1f, 0x8b, 0x08, 0x04};
static const char *const gz_fixed_name[4] = {"ID1", "ID2", "CM", "FLG"};

static void put_u16le(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
}

static void put_u64le(uint8_t *b, uint64_t v)
{
    kev__put_u32le(b, (uint32_t)v);
    kev__put_u32le(b + 4, (uint32_t)(v >> 32));
}

/* ---------------------------------------------------------------- header */

/* Names a subfield: "'BC'" when printable, else "0x4243". */
static void sub_name(const uint8_t si[2], char out[12])
{
    if (si[0] >= 0x21 && si[0] < 0x7f && si[1] >= 0x21 && si[1] < 0x7f)
        snprintf(out, 12, "'%c%c'", si[0], si[1]);
    else
        snprintf(out, 12, "0x%02x%02x", si[0], si[1]);
}

/* Parses one BC or KV subfield's value (SLEN already checked to fit). */
static int sub_parse(const uint8_t si[2], kev_cursor *v, uint16_t slen, kev_bgzf_head *h,
                     bool *bc, uint16_t *bsize, char *why, size_t whysz)
{
    char name[12];
    sub_name(si, name);
    bool is_bc = si[0] == 'B' && si[1] == 'C';
    bool is_kv = si[0] == 'K' && si[1] == 'V';
    if (!is_bc && !is_kv)
        return kev__cur_skip(v, slen); /* unknown subfields are skipped */
    if (is_bc ? *bc : h->has_kv) {
        snprintf(why, whysz, "two %s subfields", name);
        return KEV_EFORMAT;
    }
    uint16_t want = is_bc ? 2u : (uint16_t)KEV_BGZF_KV_SLEN;
    if (slen != want) {
        snprintf(why, whysz, "%s subfield SLEN %u, expected %u", name, slen, want);
        return KEV_EFORMAT;
    }
    if (is_bc) {
        *bc = true;
        return kev__cur_u16le(v, bsize);
    }
    h->has_kv = true;
    if (kev__cur_u16le(v, &h->kv.first_block_off) ||
        kev__cur_u64le(v, &h->kv.first_batch) || kev__cur_u64le(v, &h->kv.first_t_ns))
        return KEV_EFORMAT; /* cannot happen: SLEN checked */
    return 0;
}

/* Walks the XLEN bytes of extra field; they must be exactly a sequence of
 * whole subfields, with one BC. */
static int subfields_parse(const uint8_t *x, size_t xlen, kev_bgzf_head *h, uint16_t *bsize,
                           char *why, size_t whysz)
{
    kev_cursor c;
    bool bc = false;
    kev__cur_init(&c, x, xlen);
    while (kev__cur_left(&c) > 0) {
        uint8_t si[2];
        uint16_t slen;
        char name[12];
        if (kev__cur_bytes(&c, si, 2) || kev__cur_u16le(&c, &slen)) {
            snprintf(why, whysz, "XLEN %zu ends inside a subfield header", xlen);
            return KEV_EFORMAT;
        }
        if (slen > kev__cur_left(&c)) {
            sub_name(si, name);
            snprintf(why, whysz, "subfield %s SLEN %u runs past XLEN %zu", name, slen,
                     xlen);
            return KEV_EFORMAT;
        }
        int rc = sub_parse(si, &c, slen, h, &bc, bsize, why, whysz);
        if (rc)
            return rc;
    }
    if (!bc) {
        snprintf(why, whysz, "no BC subfield in XLEN %zu", xlen);
        return KEV_EFORMAT;
    }
    return 0;
}

int kev__bgzf_head_parse(const uint8_t *p, size_t n, kev_bgzf_head *h, char *why,
                         size_t whysz)
{
    for (size_t i = 0; i < 4 && i < n; i++) {
        if (p[i] != gz_fixed[i]) {
            snprintf(why, whysz, "%s 0x%02x, expected 0x%02x", gz_fixed_name[i], p[i],
                     gz_fixed[i]);
            return KEV_EFORMAT;
        }
    }
    if (n < KEV_BGZF_GZIP_HDR)
        return KEV_ETRUNC;
    size_t xlen = (size_t)p[10] | ((size_t)p[11] << 8);
    if (n < KEV_BGZF_GZIP_HDR + xlen)
        return KEV_ETRUNC;
    uint16_t bsize = 0;
    memset(h, 0, sizeof *h);
    int rc = subfields_parse(p + KEV_BGZF_GZIP_HDR, xlen, h, &bsize, why, whysz);
    if (rc)
        return rc;
    h->hdr_len = KEV_BGZF_GZIP_HDR + xlen;
    h->member_len = (size_t)bsize + 1;
    /* Is there room for the shortest deflate stream and the trailer? */
    if (h->member_len < h->hdr_len + KEV_BGZF_MIN_DEFLATE + KEV_BGZF_TRAILER) {
        snprintf(why, whysz,
                 "BSIZE %u: a %zu-byte member cannot hold its %zu-byte header, "
                 "deflate data and trailer",
                 bsize, h->member_len, h->hdr_len);
        return KEV_EFORMAT;
    }
    return 0;
}

/* ---------------------------------------------------------------- encoder */

struct kev_bgzf_enc {
    z_stream z;
};

kev_bgzf_enc *kev__bgzf_enc_new(int level)
{
    kev_bgzf_enc *e = calloc(1, sizeof *e);
    if (e == NULL)
        return NULL;
    if (deflateInit2(&e->z, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(e);
        return NULL;
    }
    return e;
}

void kev__bgzf_enc_free(kev_bgzf_enc *e)
{
    if (e == NULL)
        return;
    deflateEnd(&e->z);
    free(e);
}

/* Deflates `len` bytes into `room` bytes at `out`; stores them in one
 * stored block when deflate does not fit. Returns the compressed size. */
static size_t deflate_data(kev_bgzf_enc *e, const uint8_t *data, size_t len, uint8_t *out,
                           size_t room)
{
    deflateReset(&e->z);
    e->z.next_in = (Bytef *)(uintptr_t)data; /* zlib does not write through it */
    e->z.avail_in = (uInt)len;
    e->z.next_out = out;
    e->z.avail_out = (uInt)room;
    if (deflate(&e->z, Z_FINISH) == Z_STREAM_END)
        return (size_t)e->z.total_out;
    /* One stored block: BFINAL=1 BTYPE=00, LEN, NLEN, the bytes. */
    out[0] = 0x01;
    put_u16le(out + 1, (uint16_t)len);
    put_u16le(out + 3, (uint16_t)~len);
    memcpy(out + 5, data, len);
    return len + 5;
}

int kev__bgzf_enc_member(kev_bgzf_enc *e, const kev_bgzf_kv *kv, const uint8_t *data,
                         size_t len, uint8_t *out, size_t *out_len)
{
    if (len > KEV_BGZF_MAX_DATA)
        return KEV_EINVAL;
    size_t hdr = KEV_BGZF_GZIP_HDR + KEV_BGZF_BC_LEN + (kv ? KEV_BGZF_KV_LEN : 0);
    size_t room = KEV_BGZF_MAX_MEMBER - hdr - KEV_BGZF_TRAILER;
    size_t clen = deflate_data(e, data, len, out + hdr, room);
    size_t total = hdr + clen + KEV_BGZF_TRAILER;

    memcpy(out, gz_fixed, 4);
    memset(out + 4, 0, 5); /* MTIME 0, XFL 0 */
    out[9] = 0xff;         /* OS unknown */
    put_u16le(out + 10, (uint16_t)(hdr - KEV_BGZF_GZIP_HDR));
    memcpy(out + 12, "BC\x02\x00", 4);
    put_u16le(out + 16, (uint16_t)(total - 1));
    if (kv) {
        memcpy(out + 18, "KV", 2);
        put_u16le(out + 20, (uint16_t)KEV_BGZF_KV_SLEN);
        put_u16le(out + 22, kv->first_block_off);
        put_u64le(out + 24, kv->first_batch);
        put_u64le(out + 32, kv->first_t_ns);
    }
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, data, (uInt)len);
    kev__put_u32le(out + hdr + clen, (uint32_t)crc);
    kev__put_u32le(out + hdr + clen + 4, (uint32_t)len);
    *out_len = total;
    return 0;
}

/* ---------------------------------------------------------------- reader */

/* Members the worker may have inflated and not yet handed over (one of
 * them held by the consumer). */
#define KEV_BGZF_SLOTS 4u

/* One read result: a member (its data in the item's slot) or an end or a
 * fault with its damage. */
typedef struct bgzf_item {
    int rc;
    kev_bgzf_member m;
    kev_trace_damage d;
} bgzf_item;

/* The read-ahead worker and its ring (see the top of this file). */
typedef struct bgzf_ahead {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    bool running;    /* consumer's: a worker thread exists, not yet joined */
    uint8_t *buf;    /* KEV_BGZF_SLOTS * KEV_BGZF_MAX_MEMBER, lazily */
    /* Under mu: */
    bool stop;       /* the consumer asks the worker to quit */
    unsigned first;  /* oldest slot in use: the held one, else the next queued */
    unsigned held;   /* 1 while the consumer holds slot `first` */
    unsigned queued; /* items pushed and not popped, after the held one */
    bgzf_item item[KEV_BGZF_SLOTS];
} bgzf_ahead;

struct kev_bgzf_reader {
    bgzf_ahead ahead;
    int fd;
    uint8_t *in;     /* KEV_BGZF_INBUF bytes */
    size_t in_pos;   /* next unread byte: the start of the next member */
    size_t in_len;   /* bytes valid in `in` */
    bool in_eof;     /* read() said end of file */
    uint64_t in_off; /* file offset of in[0] */
    uint8_t *out;    /* KEV_BGZF_MAX_MEMBER bytes: one member's data */
    z_stream z;
    uint64_t index;  /* index of the member at in_pos */
    bool last_empty; /* the last member read was empty (an EOF member) */
    bool ready;      /* resync left a verified member at in_pos */
    kev_bgzf_member ready_m;
    uint64_t n_members, n_file, n_raw;
    int io_errno; /* the errno of the last failed read() */
    /* The container (kev__bgzf_detect) and, for streams, where they are. */
    kev_trace_container kind;
    uint64_t base_off; /* file offset where reading started */
    uint64_t skip_to;  /* stream chunks before this index are skipped */
    z_stream gz;       /* gzip: the inflater, with its header and trailer */
    bool gz_init, gz_in_stream;
    uint64_t streams;  /* gzip streams begun */
    uint64_t gz_at;    /* file offset of the current gzip stream */
    uint64_t data_pos; /* stream data handed out so far (chunks' offsets) */
};

static void ahead_stop(kev_bgzf_reader *r);

/* The worker's lock and conditions; 0 or -1. */
static int ahead_init(bgzf_ahead *a)
{
    if (pthread_mutex_init(&a->mu, NULL))
        return -1;
    if (pthread_cond_init(&a->not_empty, NULL)) {
        pthread_mutex_destroy(&a->mu);
        return -1;
    }
    if (pthread_cond_init(&a->not_full, NULL)) {
        pthread_cond_destroy(&a->not_empty);
        pthread_mutex_destroy(&a->mu);
        return -1;
    }
    return 0;
}

static void ahead_destroy(bgzf_ahead *a)
{
    pthread_cond_destroy(&a->not_full);
    pthread_cond_destroy(&a->not_empty);
    pthread_mutex_destroy(&a->mu);
    free(a->buf);
}

kev_bgzf_reader *kev__bgzf_reader_new(int fd)
{
    kev_bgzf_reader *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->fd = fd;
    r->in = malloc(KEV_BGZF_INBUF);
    r->out = malloc(KEV_BGZF_MAX_MEMBER);
    if (r->in == NULL || r->out == NULL || inflateInit2(&r->z, -MAX_WBITS) != Z_OK) {
        free(r->in);
        free(r->out);
        free(r);
        return NULL;
    }
    if (ahead_init(&r->ahead)) {
        inflateEnd(&r->z);
        free(r->in);
        free(r->out);
        free(r);
        return NULL;
    }
    off_t here = lseek(fd, 0, SEEK_CUR);
    r->in_off = here > 0 ? (uint64_t)here : 0;
    r->base_off = r->in_off;
    r->kind = KEV_TC_BGZF;
    return r;
}

void kev__bgzf_reader_free(kev_bgzf_reader *r)
{
    if (r == NULL)
        return;
    ahead_stop(r);
    ahead_destroy(&r->ahead);
    inflateEnd(&r->z);
    if (r->gz_init)
        inflateEnd(&r->gz);
    free(r->in);
    free(r->out);
    free(r);
}

static int fault(kev_trace_damage *d, kev_trace_status st, uint64_t off, uint64_t member,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Fills *d; returns the KEV_E* code that goes with the status. */
static int fault(kev_trace_damage *d, kev_trace_status st, uint64_t off, uint64_t member,
                 const char *fmt, ...)
{
    va_list ap;
    d->status = st;
    d->file_offset = off;
    d->member = member;
    va_start(ap, fmt);
    vsnprintf(d->message, sizeof d->message, fmt, ap);
    va_end(ap);
    return st == KEV_TS_IO ? KEV_EIO : st == KEV_TS_TORN_MEMBER ? KEV_ETRUNC : KEV_EFORMAT;
}

/* Makes at least `need` bytes from in_pos available unless the file ends
 * first, reading as much as the buffer takes. Returns 0 or KEV_EIO. */
static int fill(kev_bgzf_reader *r, size_t need)
{
    if (r->in_len - r->in_pos >= need || r->in_eof)
        return 0;
    if (r->in_pos > 0) { /* slide the unread bytes to the front */
        memmove(r->in, r->in + r->in_pos, r->in_len - r->in_pos);
        r->in_off += r->in_pos;
        r->in_len -= r->in_pos;
        r->in_pos = 0;
    }
    while (r->in_len < need && r->in_len < KEV_BGZF_INBUF) {
        ssize_t n = read(r->fd, r->in + r->in_len, KEV_BGZF_INBUF - r->in_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r->io_errno = errno;
            return KEV_EIO;
        }
        if (n == 0) {
            r->in_eof = true;
            break;
        }
        r->in_len += (size_t)n;
    }
    return 0;
}

/* The fault for a failed read() at the current position, naming errno. */
static int read_fault(kev_bgzf_reader *r, kev_trace_damage *d)
{
    uint64_t off = r->in_off + r->in_pos;
    return fault(d, KEV_TS_IO, off, r->index, "read error at offset %llu: %s",
                 (unsigned long long)off, strerror(r->io_errno));
}

/* Inflates the member at `p` (header parsed, all `h->member_len` bytes
 * present) into `out` (KEV_BGZF_MAX_MEMBER bytes) and checks it against its trailer. Returns the
 * data's length, or -1 with `why` filled. */
static long inflate_member(kev_bgzf_reader *r, uint8_t *out, const uint8_t *p,
                           const kev_bgzf_head *h, char *why, size_t whysz)
{
    size_t clen = h->member_len - h->hdr_len - KEV_BGZF_TRAILER;
    inflateReset(&r->z);
    r->z.next_in = (Bytef *)(uintptr_t)(p + h->hdr_len); /* zlib does not write it */
    r->z.avail_in = (uInt)clen;
    r->z.next_out = out;
    r->z.avail_out = KEV_BGZF_MAX_MEMBER;
    int zrc = inflate(&r->z, Z_FINISH);
    size_t len = KEV_BGZF_MAX_MEMBER - r->z.avail_out;
    if (zrc == Z_STREAM_END && r->z.avail_in != 0) {
        snprintf(why, whysz, "deflate data ends %u bytes before the trailer",
                 r->z.avail_in);
        return -1;
    }
    if (zrc != Z_STREAM_END) {
        if (zrc == Z_BUF_ERROR && r->z.avail_out == 0)
            snprintf(why, whysz, "data inflates past %u bytes (KEV_BGZF_MAX_MEMBER)",
                     KEV_BGZF_MAX_MEMBER);
        else if (zrc == Z_BUF_ERROR)
            snprintf(why, whysz, "deflate data runs past the trailer");
        else
            snprintf(why, whysz, "deflate data corrupt (zlib: %s)",
                     r->z.msg ? r->z.msg : "error");
        return -1;
    }
    kev_cursor c;
    uint32_t want_crc, want_size;
    kev__cur_init(&c, p + h->member_len - KEV_BGZF_TRAILER, KEV_BGZF_TRAILER);
    (void)kev__cur_u32le(&c, &want_crc);
    (void)kev__cur_u32le(&c, &want_size);
    uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), out, (uInt)len);
    if (crc != want_crc) {
        snprintf(why, whysz, "CRC32 0x%08x in trailer, 0x%08x computed", want_crc, crc);
        return -1;
    }
    if (want_size != len) {
        snprintf(why, whysz, "ISIZE %u in trailer, %zu bytes inflated", want_size, len);
        return -1;
    }
    return (long)len;
}

/* Decodes the member at in_pos into `out`: 1 with *m, or a fault in *d. */
static int decode(kev_bgzf_reader *r, uint8_t *out, kev_bgzf_member *m,
                  kev_trace_damage *d)
{
    const uint8_t *p = r->in + r->in_pos;
    size_t avail = r->in_len - r->in_pos;
    uint64_t off = r->in_off + r->in_pos;
    char why[160];
    int rc = kev__bgzf_head_parse(p, avail, &m->head, why, sizeof why);
    if (rc == KEV_ETRUNC)
        return fault(d, KEV_TS_TORN_MEMBER, off, r->index,
                     "member %llu at offset %llu: the file ends %zu bytes into its header",
                     (unsigned long long)r->index, (unsigned long long)off, avail);
    if (rc)
        return fault(d, KEV_TS_BAD_MEMBER, off, r->index, "member %llu at offset %llu: %s",
                     (unsigned long long)r->index, (unsigned long long)off, why);
    if (m->head.member_len > avail)
        return fault(d, KEV_TS_TORN_MEMBER, off, r->index,
                     "member %llu at offset %llu: BSIZE says %zu bytes, the file ends "
                     "after %zu",
                     (unsigned long long)r->index, (unsigned long long)off,
                     m->head.member_len, avail);
    long len = inflate_member(r, out, p, &m->head, why, sizeof why);
    if (len < 0)
        return fault(d, KEV_TS_BAD_CRC, off, r->index, "member %llu at offset %llu: %s",
                     (unsigned long long)r->index, (unsigned long long)off, why);
    m->data = out;
    m->len = (size_t)len;
    m->offset = off;
    m->index = r->index;
    return 1;
}

/* Moves past the member just decoded. */
static void advance(kev_bgzf_reader *r, const kev_bgzf_member *m)
{
    r->in_pos += m->head.member_len;
    r->index++;
    r->last_empty = m->len == 0;
}

/* Counts a member handed to the caller. */
static void count(kev_bgzf_reader *r, const kev_bgzf_member *m)
{
    r->n_members++;
    r->n_file += m->head.member_len;
    r->n_raw += m->len;
}

/* One step of sequential reading, on whichever thread reads: the next
 * member inflated into `out` and moved past (1), the end (0) or a fault,
 * as kev__bgzf_read says. Counts nothing. */
static int stream_step(kev_bgzf_reader *r, uint8_t *out, kev_bgzf_member *m,
                       kev_trace_damage *d);

static int read_step(kev_bgzf_reader *r, uint8_t *out, kev_bgzf_member *m,
                     kev_trace_damage *d)
{
    if (r->kind != KEV_TC_BGZF) {
        int rc;
        while ((rc = stream_step(r, out, m, d)) == 1 && m->index < r->skip_to)
            ;
        return rc;
    }
    if (fill(r, KEV_BGZF_MAX_MEMBER))
        return read_fault(r, d);
    uint64_t off = r->in_off + r->in_pos;
    if (r->in_len == r->in_pos) {
        fault(d, r->last_empty ? KEV_TS_OK : KEV_TS_NO_EOF, off, r->index,
              r->last_empty
                  ? "clean end: EOF member, then the end of the file at offset %llu"
                  : "no EOF member: the file ends at offset %llu, after a member "
                    "with data",
              (unsigned long long)off);
        if (r->index == 0)
            snprintf(d->message, sizeof d->message, "no EOF member: the file is empty");
        return 0;
    }
    int rc = decode(r, out, m, d);
    if (rc == 1)
        advance(r, m);
    return rc;
}

/* The worker: read steps into free slots until an end, a fault or a stop
 * request. The slot written is never the held one nor a queued one:
 * first + held + queued only changes by the worker's own pushes. */
static void *ahead_main(void *arg)
{
    kev_bgzf_reader *r = arg;
    bgzf_ahead *a = &r->ahead;
    for (;;) {
        pthread_mutex_lock(&a->mu);
        while (!a->stop && a->held + a->queued == KEV_BGZF_SLOTS)
            pthread_cond_wait(&a->not_full, &a->mu);
        bool stop = a->stop;
        unsigned slot = (a->first + a->held + a->queued) % KEV_BGZF_SLOTS;
        pthread_mutex_unlock(&a->mu);
        if (stop)
            return NULL;
        bgzf_item *it = &a->item[slot];
        it->rc = read_step(r, a->buf + (size_t)slot * KEV_BGZF_MAX_MEMBER, &it->m, &it->d);
        pthread_mutex_lock(&a->mu);
        stop = a->stop || it->rc != 1;
        if (!a->stop) {
            a->queued++;
            pthread_cond_signal(&a->not_empty);
        }
        pthread_mutex_unlock(&a->mu);
        if (stop)
            return NULL; /* after an end or a fault: the reader stands on it */
    }
}

/* Starts the worker unless it runs; false when it cannot. */
static bool ahead_start(kev_bgzf_reader *r)
{
    bgzf_ahead *a = &r->ahead;
    if (a->running)
        return true;
    if (a->buf == NULL)
        a->buf = malloc((size_t)KEV_BGZF_SLOTS * KEV_BGZF_MAX_MEMBER);
    if (a->buf == NULL)
        return false;
    a->stop = false;
    a->first = a->held = a->queued = 0;
    if (pthread_create(&a->th, NULL, ahead_main, r))
        return false;
    a->running = true;
    return true;
}

/* Stops and joins the worker, dropping what it queued. */
static void ahead_stop(kev_bgzf_reader *r)
{
    bgzf_ahead *a = &r->ahead;
    if (!a->running)
        return;
    pthread_mutex_lock(&a->mu);
    a->stop = true;
    pthread_cond_signal(&a->not_full);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->th, NULL);
    a->running = false;
    a->stop = false;
    a->first = a->held = a->queued = 0;
}

/* Releases the held slot and takes the next item, waiting for it. */
static int ahead_pop(kev_bgzf_reader *r, kev_bgzf_member *m, kev_trace_damage *d)
{
    bgzf_ahead *a = &r->ahead;
    pthread_mutex_lock(&a->mu);
    if (a->held) {
        a->first = (a->first + 1) % KEV_BGZF_SLOTS;
        a->held = 0;
        pthread_cond_signal(&a->not_full);
    }
    while (a->queued == 0)
        pthread_cond_wait(&a->not_empty, &a->mu);
    const bgzf_item *it = &a->item[a->first];
    a->queued--;
    a->held = 1;
    pthread_mutex_unlock(&a->mu);
    /* The held item is the worker's no more: read it unlocked. */
    int rc = it->rc;
    if (rc == 1)
        *m = it->m;
    else if (rc < 0)
        m->head = it->m.head; /* as read_step leaves it after a fault */
    if (rc != 1) {
        uint64_t block = d->block; /* left for the caller */
        *d = it->d;
        d->block = block;
        ahead_stop(r); /* it has quit after pushing this */
    }
    return rc;
}

int kev__bgzf_read(kev_bgzf_reader *r, kev_bgzf_member *m, kev_trace_damage *d)
{
    int rc;
    if (r->ready) { /* left by resync, which ran with no worker */
        r->ready = false;
        *m = r->ready_m;
        advance(r, m);
        rc = 1;
    } else if (ahead_start(r)) {
        rc = ahead_pop(r, m, d);
    } else {
        rc = read_step(r, r->out, m, d);
    }
    if (rc == 1)
        count(r, m);
    return rc;
}

int kev__bgzf_resync(kev_bgzf_reader *r, uint64_t *bad)
{
    kev_trace_damage scratch;
    ahead_stop(r);
    r->ready = false;
    r->in_pos++; /* one past the member at fault */
    r->index++;
    if (r->kind != KEV_TC_BGZF)
        return 0; /* a stream has no member to resume from */
    for (;;) {
        if (fill(r, KEV_BGZF_MAX_MEMBER))
            return KEV_EIO;
        if (r->in_pos >= r->in_len)
            return 0;
        const uint8_t *q = memchr(r->in + r->in_pos, gz_fixed[0], r->in_len - r->in_pos);
        if (q == NULL) {
            r->in_pos = r->in_len;
            continue;
        }
        r->in_pos = (size_t)(q - r->in);
        if (fill(r, KEV_BGZF_MAX_MEMBER))
            return KEV_EIO;
        int rc = decode(r, r->out, &r->ready_m, &scratch);
        if (rc == 1) {
            r->ready = true;
            return 1;
        }
        if (scratch.status == KEV_TS_BAD_CRC) {
            (*bad)++;
            r->index++;
        }
        r->in_pos++;
    }
}

/* pread()s exactly `n` bytes at `off`: 1, 0 when the file ends first, or
 * KEV_EINVAL / KEV_EIO. */
static int pread_all(int fd, uint8_t *p, size_t n, uint64_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(fd, p + got, n - got, (off_t)(off + got));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return errno == ESPIPE ? KEV_EINVAL : KEV_EIO;
        if (k == 0)
            return 0;
        got += (size_t)k;
    }
    return 1;
}

int kev__bgzf_peek(kev_bgzf_reader *r, uint64_t offset, kev_bgzf_head *h)
{
    char why[160];
    if (r->kind != KEV_TC_BGZF)
        return 0; /* no member headers to hop: the caller reads from the start */
    /* The input buffer serves as scratch; the position is reset below. */
    ahead_stop(r);
    r->in_pos = r->in_len = 0;
    r->ready = false;
    int rc = pread_all(r->fd, r->in, KEV_BGZF_GZIP_HDR, offset);
    if (rc <= 0)
        return rc;
    size_t xlen = (size_t)r->in[10] | ((size_t)r->in[11] << 8);
    rc = pread_all(r->fd, r->in + KEV_BGZF_GZIP_HDR, xlen, offset + KEV_BGZF_GZIP_HDR);
    if (rc <= 0)
        return rc;
    rc = kev__bgzf_head_parse(r->in, KEV_BGZF_GZIP_HDR + xlen, h, why, sizeof why);
    return rc == 0 ? 1 : KEV_EFORMAT;
}

int kev__bgzf_seek(kev_bgzf_reader *r, uint64_t offset, uint64_t index)
{
    /* A descriptor that cannot seek is left to read on, worker and all. */
    if (lseek(r->fd, 0, SEEK_CUR) < 0)
        return KEV_EINVAL;
    ahead_stop(r);
    if (r->kind != KEV_TC_BGZF) {
        /* From the start again, skipping the chunks before `index`. */
        offset = r->base_off;
        r->skip_to = index;
        index = 0;
        r->gz_in_stream = false;
        r->streams = 0;
        r->data_pos = 0;
    }
    if (lseek(r->fd, (off_t)offset, SEEK_SET) < 0)
        return KEV_EINVAL;
    r->in_pos = r->in_len = 0;
    r->in_eof = false;
    r->in_off = offset;
    r->index = index;
    r->last_empty = false;
    r->ready = false;
    return 0;
}

void kev__bgzf_reader_stats(const kev_bgzf_reader *r, uint64_t *members,
                            uint64_t *file_bytes, uint64_t *raw_bytes)
{
    if (members)
        *members = r->n_members;
    if (file_bytes)
        *file_bytes = r->n_file;
    if (raw_bytes)
        *raw_bytes = r->n_raw;
}

/* ---------------------------------------------------------------- streams */

/* Starts the next gzip stream at in_pos: 1, 0 when the file ends there (a
 * clean end), or a fault when what follows is not a gzip stream. */
static int gz_begin(kev_bgzf_reader *r, kev_trace_damage *d)
{
    /* Both magic bytes: the caller's fill may have left only one. */
    if (fill(r, 2))
        return read_fault(r, d);
    uint64_t off = r->in_off + r->in_pos;
    size_t avail = r->in_len - r->in_pos;
    if (avail == 0) {
        fault(d, KEV_TS_OK, off, r->index,
              "clean end: gzip stream%s, then the end of the file at offset %llu",
              r->streams == 1 ? "" : "s", (unsigned long long)off);
        return 0;
    }
    const uint8_t *p = r->in + r->in_pos;
    if (avail < 2 || p[0] != 0x1f || p[1] != 0x8b)
        return fault(d, KEV_TS_BAD_MEMBER, off, r->index,
                     "%zu byte%s after gzip stream %llu at offset %llu are not a gzip "
                     "stream (0x%02x)",
                     avail, avail == 1 ? "" : "s", (unsigned long long)(r->streams - 1),
                     (unsigned long long)r->gz_at, p[0]);
    if (inflateReset(&r->gz) != Z_OK)
        return fault(d, KEV_TS_IO, off, r->index, "zlib: cannot reset the inflater");
    r->gz_in_stream = true;
    r->gz_at = off;
    r->streams++;
    return 1;
}

/* Inflates what the input buffer holds of the current gzip stream into
 * out[*len..cap). 1 to go on, 0 at the end of the stream, or a fault. */
static int gz_inflate(kev_bgzf_reader *r, uint8_t *out, size_t *len, size_t cap,
                      kev_trace_damage *d)
{
    size_t avail = r->in_len - r->in_pos;
    if (avail == 0 && r->in_eof)
        return fault(d, KEV_TS_TORN_MEMBER, r->gz_at, r->index,
                     "gzip stream %llu at offset %llu: the file ends inside it, at offset "
                     "%llu",
                     (unsigned long long)(r->streams - 1), (unsigned long long)r->gz_at,
                     (unsigned long long)(r->in_off + r->in_pos));
    r->gz.next_in = r->in + r->in_pos;
    r->gz.avail_in = (uInt)avail;
    r->gz.next_out = out + *len;
    r->gz.avail_out = (uInt)(cap - *len);
    int zrc = inflate(&r->gz, Z_NO_FLUSH);
    r->in_pos += avail - r->gz.avail_in;
    *len = cap - r->gz.avail_out;
    if (zrc == Z_STREAM_END) {
        r->gz_in_stream = false;
        return 0;
    }
    if (zrc == Z_OK || zrc == Z_BUF_ERROR)
        return 1; /* more input or more room needed */
    return fault(d, KEV_TS_BAD_CRC, r->gz_at, r->index,
                 "gzip stream %llu at offset %llu: %s (zlib)",
                 (unsigned long long)(r->streams - 1), (unsigned long long)r->gz_at,
                 r->gz.msg ? r->gz.msg : "corrupt data");
}

/* Fills `out` with the next chunk of a stream's data (at most
 * KEV_BGZF_MAX_MEMBER bytes): 1, 0 at the end (d says how it ended), or
 * a fault. Data inflated before a fault is handed out first; the fault
 * comes with the next call, found again. */
static int stream_step(kev_bgzf_reader *r, uint8_t *out, kev_bgzf_member *m,
                       kev_trace_damage *d)
{
    uint64_t start = r->in_off + r->in_pos;
    size_t len = 0;
    int rc = 1;
    while (len < KEV_BGZF_MAX_MEMBER && rc == 1) {
        if (fill(r, 1)) {
            rc = read_fault(r, d);
            break;
        }
        size_t avail = r->in_len - r->in_pos;
        if (r->kind == KEV_TC_PCAPNG && avail == 0) {
            fault(d, KEV_TS_OK, r->in_off + r->in_pos, r->index,
                  "clean end: the end of the file at offset %llu",
                  (unsigned long long)(r->in_off + r->in_pos));
            rc = 0;
        } else if (r->kind == KEV_TC_PCAPNG) {
            size_t k = KEV_BGZF_MAX_MEMBER - len;
            k = avail < k ? avail : k;
            memcpy(out + len, r->in + r->in_pos, k);
            r->in_pos += k;
            len += k;
        } else if (r->gz_in_stream || (rc = gz_begin(r, d)) == 1) {
            rc = gz_inflate(r, out, &len, KEV_BGZF_MAX_MEMBER, d);
            rc = rc == 0 ? 1 : rc; /* the next stream, if any, goes on */
        }
    }
    if (len == 0)
        return rc == 1 ? 0 : rc;
    m->data = out;
    m->len = len;
    m->offset = r->data_pos; /* where the chunk's data starts in the stream */
    m->index = r->index++;
    r->data_pos += len;
    memset(&m->head, 0, sizeof m->head);
    m->head.member_len = (size_t)(r->in_off + r->in_pos - start);
    return 1;
}

/* Names what a file that is not a trace is, from its first bytes. */
static int not_trace(const uint8_t *p, size_t n, kev_trace_damage *d)
{
    static const uint8_t pcap_magic[][4] = {{0xd4, 0xc3, 0xb2, 0xa1},
                                            {0xa1, 0xb2, 0xc3, 0xd4},
                                            {0x4d, 0x3c, 0xb2, 0xa1},
                                            {0xa1, 0xb2, 0x3c, 0x4d}};
    for (size_t i = 0; n >= 4 && i < sizeof pcap_magic / sizeof pcap_magic[0]; i++)
        if (memcmp(p, pcap_magic[i], 4) == 0)
            return fault(d, KEV_TS_NOT_TRACE, 0, 0,
                         "a pcap (libpcap) file, not pcapng: kevrr reads pcapng "
                         "(editcap -F pcapng converts it)");
    size_t text = 0;
    while (text < n && text < DETECT_BYTES &&
           ((p[text] >= 0x20 && p[text] < 0x7f) || p[text] == '\t' || p[text] == '\n' ||
            p[text] == '\r' || p[text] >= 0x80))
        text++;
    if (n > 0 && text == (n < DETECT_BYTES ? n : DETECT_BYTES)) {
        char shown[DETECT_SHOW + 1];
        size_t k = 0;
        for (; k < n && k < DETECT_SHOW && p[k] != '\n' && p[k] != '\r'; k++)
            shown[k] = p[k] >= 0x20 && p[k] < 0x7f ? (char)p[k] : '?';
        shown[k] = '\0';
        return fault(d, KEV_TS_NOT_TRACE, 0, 0,
                     "text (it starts \"%s\"): a scenario? kevrr run and "
                     "kevrr gen read those",
                     shown);
    }
    char hex[3 * 4 + 1] = "";
    for (size_t i = 0; i < n && i < 4; i++)
        snprintf(hex + (i ? 3 * i - 1 : 0), sizeof hex - 3 * i, "%s%02x", i ? " " : "",
                 p[i]);
    return fault(d, KEV_TS_NOT_TRACE, 0, 0,
                 "neither BGZF, gzip nor pcapng (the file starts with %s)", hex);
}

int kev__bgzf_detect(kev_bgzf_reader *r, kev_trace_damage *d)
{
    static const uint8_t shb[4] = {0x0a, 0x0d, 0x0d, 0x0a};
    if (fill(r, DETECT_BYTES))
        return read_fault(r, d);
    const uint8_t *p = r->in + r->in_pos;
    size_t n = r->in_len - r->in_pos;
    kev_bgzf_head h;
    char why[160];
    /* BGZF: a member header that parses, or one damaged but still showing
     * its BC or KV subfield where BGZF writers put them; also a file too
     * short to tell (the member reader says how it ends). */
    bool bc = n >= 16 && memcmp(p + 12, "BC\x02\x00", 4) == 0;
    bool kv = n >= 20 && memcmp(p + 18, "KV", 2) == 0;
    bool gz = n >= 2 && p[0] == 0x1f && p[1] == 0x8b;
    if (n < 20 && (n == 0 || p[0] == 0x1f))
        return 0;
    if (bc || kv || kev__bgzf_head_parse(p, n, &h, why, sizeof why) == 0)
        return 0;
    if (gz) {
        if (inflateInit2(&r->gz, 16 + MAX_WBITS) != Z_OK)
            return fault(d, KEV_TS_IO, 0, 0, "zlib: cannot start an inflater");
        r->gz_init = true;
        r->kind = KEV_TC_GZIP;
        return 0;
    }
    if (n >= 4 && memcmp(p, shb, 4) == 0) {
        r->kind = KEV_TC_PCAPNG;
        return 0;
    }
    return not_trace(p, n, d);
}

kev_trace_container kev__bgzf_container(const kev_bgzf_reader *r, uint64_t *streams)
{
    if (streams)
        *streams = r->streams;
    return r->kind;
}
