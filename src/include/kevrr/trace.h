/*
 * kevrr/trace.h: trace files: pcapng blocks inside BGZF members
 * (docs/trace-format.md).
 *
 * A trace is a sequence of BGZF members (gzip members of at most 64 KiB of
 * data with the `BC` extra subfield, plus our `KV` subfield), ending with
 * the standard empty BGZF end-of-file member. Their concatenated data is a
 * pcapng section: a Section Header Block (metadata in options), one
 * Interface Description Block (link type KEV_TRACE_LINKTYPE, nanosecond
 * timestamps, source and snapshot in options), then one Enhanced Packet
 * Block per recv() batch, in order (frame N in Wireshark = batch N), and at
 * a clean close an Interface Statistics Block (capture start and stop,
 * batch count). A failed recv() is an EPB with no data, a comment and a
 * custom option carrying the errno.
 *
 * The writer streams with bounded memory (one member buffer). The reader
 * streams with bounded memory (one member and one block), checks every
 * member's size and CRC, tells apart every way a trace can end or break,
 * can skip damage (salvage), and seeks by batch or time through the `KV`
 * subfield without decompressing what it skips.
 *
 * The reader also takes the same pcapng wrapped otherwise, as Wireshark's
 * tools and gzip leave it, recognised by its first bytes: BGZF without
 * the `KV` subfield (htslib's bgzip), plain gzip (one stream or several),
 * and uncompressed pcapng. Those are read in order: a seek reads again
 * from the start, and salvage stops at the first damage.
 */
#ifndef KEVRR_TRACE_H
#define KEVRR_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* LINKTYPE_USER0: no registered link type carries kern_event_msg. */
#define KEV_TRACE_LINKTYPE 147u
/* The Private Enterprise Number in our custom options: 32473 is the one
 * IANA reserves for documentation and examples (RFC 5612); kevrr has none
 * of its own. */
#define KEV_TRACE_PEN 32473u
/* Trace format version, in the SHB's kevrr.format option. Readers refuse
 * a newer major version and ignore blocks and options they do not know. */
#define KEV_TRACE_FORMAT_MAJOR 1u
#define KEV_TRACE_FORMAT_MINOR 0u

/* Caps. A member holds at most KEV_BGZF_MAX_DATA bytes of data (a reader
 * accepts up to KEV_BGZF_MAX_MEMBER, the BGZF limit) and is at most
 * KEV_BGZF_MAX_MEMBER bytes long; a block (and so a batch with its options)
 * is at most KEV_TRACE_MAX_BLOCK bytes, except the SHB and IDB, which carry
 * the metadata and may reach KEV_TRACE_MAX_HEADER_BLOCK; a metadata value is
 * at most KEV_TRACE_MAX_OPTION bytes: one pcapng option holds at most 65535
 * bytes, so the snapshot (at most KEV_TRACE_MAX_SNAPSHOT bytes) is split
 * over several options and reassembled by the reader. */
#define KEV_BGZF_MAX_DATA          65280u
#define KEV_BGZF_MAX_MEMBER        65536u
#define KEV_TRACE_MAX_BLOCK        (128u * 1024u)
#define KEV_TRACE_MAX_OPTION       (1u << 20)
#define KEV_TRACE_MAX_SNAPSHOT     (1u << 20)
#define KEV_TRACE_MAX_HEADER_BLOCK (KEV_TRACE_MAX_OPTION + 256u * 1024u)

/* Metadata: all strings NUL-terminated, any may be NULL (omitted). */
typedef struct kev_trace_meta {
    /* "pf_system", "unix:/path", "udp:127.0.0.1:9000", "fd:3", "gen:FILE" */
    const char *source;
    const char *filter;   /* "vendor=1 class=1 subclass=0" */
    const char *os;       /* capturing host OS and release: "Darwin 17.7.0" */
    const char *hardware; /* "x86_64" */
    const char *tool;     /* "kevrr 0.1.0" */
    const char *comment;  /* free text */
    const char *snapshot; /* interface snapshot (kev_kernel_load_text form) */
    size_t snapshot_len;
    bool big_endian;   /* byte order of the capturing host's records */
    uint64_t start_ns; /* capture start, Unix ns (0: unknown) */
} kev_trace_meta;

/* ---------------------------------------------------------------- writer */

typedef struct kev_trace_writer kev_trace_writer;

/* Opens a writer on `f` (binary, positioned where the trace starts; the
 * writer does not close it) and writes the SHB and IDB. NULL on error with
 * *err set to a KEV_E* code. */
kev_trace_writer *kev_trace_writer_open(FILE *f, const kev_trace_meta *meta, int *err);
/* zlib compression levels: KEV_TRACE_LEVEL_MIN (fastest) to
 * KEV_TRACE_LEVEL_MAX (smallest); kev_trace_writer_open uses the default. */
#define KEV_TRACE_LEVEL_MIN 1
#define KEV_TRACE_LEVEL_DEFAULT 6
#define KEV_TRACE_LEVEL_MAX 9
/* kev_trace_writer_open with compression level `level` (KEV_EINVAL when
 * outside MIN..MAX). A live capture trades size for speed with level 1. */
kev_trace_writer *kev_trace_writer_open_level(FILE *f, const kev_trace_meta *meta, int level,
                                              int *err);

/* One recv() batch: `caplen` bytes at `data`, `origlen` the record's true
 * length (>= caplen; larger when the receiver truncated it). */
int kev_trace_write_batch(kev_trace_writer *w, uint64_t t_ns, const uint8_t *data,
                          uint32_t caplen, uint32_t origlen);
/* One failed recv(). `err_name` may be NULL. */
int kev_trace_write_error(kev_trace_writer *w, uint64_t t_ns, int err,
                          const char *err_name);
/* Closes the current member (if it holds anything) and fflush()es `f`:
 * everything written so far is then readable even if the process dies.
 * With `sync`, also fsync()s. */
int kev_trace_flush(kev_trace_writer *w, bool sync);
/* Writes the ISB (stop time `stop_ns`, the batch count), flushes, writes the
 * EOF member, and frees the writer. Returns 0 or the first error met by any
 * call on this writer; with KEV_EIO, errno is the system's error of the
 * write that failed (ENOSPC, EFBIG, ...). Accepts NULL. */
int kev_trace_writer_close(kev_trace_writer *w, uint64_t stop_ns);
/* Frees without writing the ISB or EOF member (what a crash leaves). */
void kev_trace_writer_abandon(kev_trace_writer *w);
/* Records written (batches and failed recv()s), uncompressed bytes (the
 * open member's included), compressed bytes written to `f` so far. */
void kev_trace_writer_stats(const kev_trace_writer *w, uint64_t *batches,
                            uint64_t *raw_bytes, uint64_t *file_bytes);

/* ---------------------------------------------------------------- reader */

typedef enum kev_trace_status {
    KEV_TS_OK = 0,       /* clean end: ISB-independent, EOF member present */
    KEV_TS_NO_EOF,       /* every member whole, but no EOF member (writer killed) */
    KEV_TS_TORN_MEMBER,  /* the file ends inside a member */
    KEV_TS_BAD_CRC,      /* a member's data is damaged: it does not inflate, or
                            its CRC32 or ISIZE does not match */
    KEV_TS_BAD_MEMBER,   /* not a BGZF member (magic, flags, BC subfield, BSIZE),
                            or its KV subfield disagrees with its data */
    KEV_TS_BAD_FRAMING,  /* pcapng framing broken (lengths, trailer, block order) */
    KEV_TS_BAD_LINKTYPE, /* the interface's link type is not ours */
    KEV_TS_NEWER_MAJOR,  /* a newer major format version */
    KEV_TS_TOO_BIG,      /* a length over its cap */
    KEV_TS_IO,           /* read error */
    KEV_TS_NOT_TRACE,    /* not a trace at all: a scenario, a pcap, a gzip of
                            something that is not pcapng, unknown bytes */
    KEV_TS_MISSING       /* every record read was whole, but the trace's own
                            account says records are missing: its statistics
                            block counts others, or (a trace with kevrr's
                            index) its EOF member follows no statistics
                            block: an ending, like KEV_TS_NO_EOF */
} kev_trace_status;

/* Where and why a trace stopped being readable (or was damaged, in
 * salvage mode, where it is the first damage met). */
typedef struct kev_trace_damage {
    kev_trace_status status;
    uint64_t file_offset; /* offset of the member (or byte) at fault */
    uint64_t member;      /* member index, from 0 */
    uint64_t block;       /* pcapng block index, from 0 */
    char message[240]; /* "member 17 at offset 40960: CRC 0x.. in trailer, 0x.. computed" */
} kev_trace_damage;

typedef enum kev_trace_kind {
    KEV_TR_BATCH, /* one recv() batch */
    KEV_TR_ERROR  /* one failed recv() */
} kev_trace_kind;

/* One record; data points into the reader's buffer and is valid until the
 * next call on the reader. */
typedef struct kev_trace_rec {
    kev_trace_kind kind;
    uint64_t index; /* batch number: frame number - 1 (errors count too) */
    uint64_t t_ns;
    const uint8_t *data;
    uint32_t caplen;
    uint32_t origlen;
    int err;              /* KEV_TR_ERROR: errno value */
    const char *err_name; /* KEV_TR_ERROR: name or NULL */
} kev_trace_rec;

typedef struct kev_trace_reader kev_trace_reader;

/* Salvage: skip damaged members (scanning forward byte by byte for the next
 * member that verifies), resynchronise on the next member whose KV names a
 * block boundary, and go on. A refusal (newer major version, foreign link
 * type) and an I/O error still stop the reader. Damage before the IDB loses
 * the metadata; reading then goes on with the defaults (little-endian,
 * nanoseconds). */
#define KEV_TRACE_SALVAGE 0x1u

/* Opens `path` ("-" for stdin: no seeking) and reads up to the IDB. NULL on
 * error with *err set (KEV_ETRUNC: the file ends before the IDB; KEV_EFORMAT,
 * KEV_ETOOBIG: damage or refusal; KEV_ENOENT, KEV_EIO: cannot open or read)
 * and, when `damage` is not NULL, the details there. */
kev_trace_reader *kev_trace_open(const char *path, unsigned flags, int *err,
                                 kev_trace_damage *damage);
/* kev_trace_open on an open descriptor (not owned: the caller closes it
 * after kev_trace_close), positioned where the trace starts; it seeks when
 * the descriptor can. `name` is for messages only. */
kev_trace_reader *kev_trace_open_fd(int fd, const char *name, unsigned flags, int *err,
                                    kev_trace_damage *damage);

/* What wraps the pcapng data, recognised by the file's first bytes. */
typedef enum kev_trace_container {
    KEV_TC_BGZF,  /* BGZF members: kevrr's (with KV) or another tool's */
    KEV_TC_GZIP,  /* gzip that is not BGZF, one stream or several */
    KEV_TC_PCAPNG /* uncompressed pcapng */
} kev_trace_container;

/* The container, whether it carries kevrr's KV index (seeks that hop
 * members, salvage), and, for gzip, how many streams were met so far. */
void kev_trace_container_get(const kev_trace_reader *r, kev_trace_container *kind,
                             bool *indexed, uint64_t *streams);
void kev_trace_close(kev_trace_reader *r); /* accepts NULL */

/* The metadata read from the SHB and IDB (strings owned by the reader). */
const kev_trace_meta *kev_trace_meta_get(const kev_trace_reader *r);
/* The format version the file declares (0.0 when it declares none). */
void kev_trace_version(const kev_trace_reader *r, unsigned *major, unsigned *minor);

/* Next record: 1 and *rec filled; 0 at the end (see kev_trace_end), which
 * includes a trace cut short (KEV_TS_NO_EOF, KEV_TS_TORN_MEMBER: everything
 * before the cut was delivered); or a negative KEV_E* code when the trace is
 * damaged otherwise and salvage is off (in salvage mode, only for a refusal
 * or an I/O error). Once it has returned <= 0 it returns the same again. */
int kev_trace_next(kev_trace_reader *r, kev_trace_rec *rec);

/* How the trace ended (valid after kev_trace_next returned <= 0): the
 * status, and where. In salvage mode `skipped` counts the members skipped. */
const kev_trace_damage *kev_trace_end(const kev_trace_reader *r, uint64_t *skipped);

/* The ISB's figures when the trace had one: capture start (0: unknown) and
 * stop, and the record count (batches and failed recv()s: the frames).
 * False when there was none (yet). */
bool kev_trace_stats_block(const kev_trace_reader *r, uint64_t *start_ns, uint64_t *stop_ns,
                           uint64_t *batches);

/* Positions the reader so that the next record is batch `index` (or the
 * first batch at or after `t_ns`, timestamps being taken as non-decreasing),
 * hopping member headers without decompressing the members it skips, then
 * skipping records inside the member where it starts. Returns 0, KEV_ENOENT
 * past the end, KEV_EINVAL when the input cannot seek, or the error met on
 * the way. A seek starts the reading afresh: kev_trace_end's status and
 * the skipped count restart. In salvage mode, when the batch was lost the
 * next record is the first one after it. */
int kev_trace_seek_batch(kev_trace_reader *r, uint64_t index);
int kev_trace_seek_time(kev_trace_reader *r, uint64_t t_ns);

/* Members inflated, their compressed and uncompressed bytes so far (the
 * member headers a seek hops over do not count). */
void kev_trace_reader_stats(const kev_trace_reader *r, uint64_t *members,
                            uint64_t *file_bytes, uint64_t *raw_bytes);

#endif
