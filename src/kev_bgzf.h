/*
 * kev_bgzf.h (internal): BGZF members, the framing under kevrr traces
 * (docs/trace-format.md).
 *
 * A member is a gzip member (RFC 1952) of at most KEV_BGZF_MAX_MEMBER bytes
 * whose header carries the `BC` extra subfield (the member's size, as
 * htslib's bgzip writes it) and kevrr's `KV` subfield (where the first
 * pcapng block and the first record of the member are), then raw deflate
 * data, CRC32 and ISIZE. The encoder turns up to KEV_BGZF_MAX_DATA bytes
 * into one member; the reader reads members from a file descriptor with a
 * large read buffer, inflates each straight from that buffer, verifies its
 * size, CRC32 and ISIZE, tells apart every way a file can end or break,
 * resynchronises after damage, and hops from header to header for seeks.
 */
#ifndef KEV_BGZF_H
#define KEV_BGZF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kevrr/trace.h"

/* Layout. Our members' header: the 12 gzip bytes (ID1 ID2 CM FLG MTIME
 * XFL OS XLEN), `BC` (4 + 2) and `KV` (4 + 18). */
#define KEV_BGZF_GZIP_HDR    12u
#define KEV_BGZF_BC_LEN      6u
#define KEV_BGZF_KV_SLEN     18u
#define KEV_BGZF_KV_LEN      (4u + KEV_BGZF_KV_SLEN)
#define KEV_BGZF_HDR_LEN     (KEV_BGZF_GZIP_HDR + KEV_BGZF_BC_LEN + KEV_BGZF_KV_LEN)
#define KEV_BGZF_TRAILER     8u /* CRC32, ISIZE */
#define KEV_BGZF_MIN_DEFLATE 2u /* the shortest raw deflate stream: 03 00 */
#define KEV_BGZF_EOF_LEN     28u
#define KEV_BGZF_NO_BLOCK    0xFFFFu /* KV first_block_off: no block starts here */
/* The reader's input buffer: several members, read in big chunks. */
#define KEV_BGZF_INBUF (4u * KEV_BGZF_MAX_MEMBER)

/* The standard empty member that ends a BGZF file (htslib's bytes). */
extern const uint8_t kev__bgzf_eof[KEV_BGZF_EOF_LEN];

/* The KV subfield. */
typedef struct kev_bgzf_kv {
    uint16_t first_block_off; /* first pcapng block starting in the member's
                                 data, or KEV_BGZF_NO_BLOCK */
    uint64_t first_batch;     /* index of the first record starting in the
                                 member, or of the next record if none does */
    uint64_t first_t_ns;      /* that record's timestamp; 0 if none starts */
} kev_bgzf_kv;

/* A parsed member header. */
typedef struct kev_bgzf_head {
    size_t hdr_len;    /* 12 + XLEN: where the deflate data starts */
    size_t member_len; /* BSIZE + 1 */
    bool has_kv;
    kev_bgzf_kv kv;
} kev_bgzf_head;

/* Parses the member header in the `n` bytes at `p`. Returns 0; KEV_ETRUNC
 * when `n` is too short to hold the header but what there is could start
 * one; KEV_EFORMAT when the bytes are not a BGZF member header, with `why`
 * (at most `whysz` bytes) naming the field and its value. Subfields other
 * than BC and KV are skipped, as RFC 1952 asks. */
int kev__bgzf_head_parse(const uint8_t *p, size_t n, kev_bgzf_head *h, char *why,
                         size_t whysz);

/* ---------------------------------------------------------------- encoder */

typedef struct kev_bgzf_enc kev_bgzf_enc;

/* A deflate context at `level` (0-9); NULL when out of memory. */
kev_bgzf_enc *kev__bgzf_enc_new(int level);
void kev__bgzf_enc_free(kev_bgzf_enc *e); /* accepts NULL */

/* Compresses `len` (<= KEV_BGZF_MAX_DATA) bytes into one member at `out`
 * (room for KEV_BGZF_MAX_MEMBER bytes), with the KV subfield when `kv` is
 * not NULL. Should deflate expand the data past the member's room, the data
 * is stored instead (one stored deflate block always fits). Returns 0 with
 * *out_len set, or KEV_EINVAL (len over the cap). */
int kev__bgzf_enc_member(kev_bgzf_enc *e, const kev_bgzf_kv *kv, const uint8_t *data,
                         size_t len, uint8_t *out, size_t *out_len);

/* ---------------------------------------------------------------- reader */

typedef struct kev_bgzf_reader kev_bgzf_reader;

/* One inflated member; `data` is valid until the next call on the reader. */
typedef struct kev_bgzf_member {
    const uint8_t *data;
    size_t len;
    uint64_t offset; /* file offset of the member; for a chunk of a gzip or
                        pcapng stream, the offset of its data in the stream */
    uint64_t index;  /* member index from 0 (after a resynchronisation:
                        counting the members recognised) */
    kev_bgzf_head head;
} kev_bgzf_member;

/* A reader on `fd` (not owned: the caller closes it); NULL when out of
 * memory. Reading starts at the descriptor's current position, taken as
 * file offset 0 unless the descriptor can tell its position. */
kev_bgzf_reader *kev__bgzf_reader_new(int fd);
void kev__bgzf_reader_free(kev_bgzf_reader *r); /* accepts NULL */

/* Reads, inflates and verifies the next member. Returns 1 with *m filled;
 * 0 at the end of the file, with d->status KEV_TS_OK (the last member was
 * empty: the EOF member) or KEV_TS_NO_EOF; or a negative KEV_E* code with
 * *d saying what is wrong and where (KEV_TS_TORN_MEMBER, KEV_TS_BAD_MEMBER,
 * KEV_TS_BAD_CRC, KEV_TS_IO). After damage the reader stays on the member at
 * fault: only kev__bgzf_resync or kev__bgzf_seek move it on. d->block is
 * left for the caller. */
int kev__bgzf_read(kev_bgzf_reader *r, kev_bgzf_member *m, kev_trace_damage *d);

/* Salvage: scans forward, byte by byte from one past the member at fault,
 * for the next member whose header parses and whose data inflates to its
 * CRC32 and ISIZE; the next kev__bgzf_read returns it. Returns 1 when one is
 * found, 0 when the file ends first, KEV_EIO on a read error. *bad counts
 * the plausible headers met on the way whose member did not verify. Ends
 * always: every step moves forward. */
int kev__bgzf_resync(kev_bgzf_reader *r, uint64_t *bad);

/* Reads the header of the member at file `offset` without inflating it
 * (for seeks). Returns 1 with *h filled; 0 when the file ends at or inside
 * the header; KEV_EFORMAT when it is not a member header; KEV_EINVAL when
 * the file cannot seek; KEV_EIO. Leaves the read position undefined: call
 * kev__bgzf_seek next. */
int kev__bgzf_peek(kev_bgzf_reader *r, uint64_t offset, kev_bgzf_head *h);

/* Moves to the member at file `offset`, numbering it `index`. Returns 0 or
 * KEV_EINVAL when the file cannot seek. */
int kev__bgzf_seek(kev_bgzf_reader *r, uint64_t offset, uint64_t index);

/* Tells the container from the file's first bytes (read, not consumed):
 * BGZF (also a first member too damaged or too short to parse, when it
 * still shows BGZF's marks), gzip or plain pcapng; gzip and pcapng are then
 * handed out as chunks of data, members without KV. Returns 0, or a fault
 * in *d: KEV_TS_NOT_TRACE naming what the file is instead (a pcap, text, a
 * scenario), KEV_TS_IO. Call it once, before the first read. */
int kev__bgzf_detect(kev_bgzf_reader *r, kev_trace_damage *d);

/* The container kev__bgzf_detect found; *streams: gzip streams begun. */
kev_trace_container kev__bgzf_container(const kev_bgzf_reader *r, uint64_t *streams);

/* Members inflated, their compressed and uncompressed bytes. */
void kev__bgzf_reader_stats(const kev_bgzf_reader *r, uint64_t *members,
                            uint64_t *file_bytes, uint64_t *raw_bytes);

#endif
