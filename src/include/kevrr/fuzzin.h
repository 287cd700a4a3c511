/*
 * kevrr/fuzzin.h: the multi-batch input format of the fuzz targets for
 * stateful code (docs/fuzz-input.md), and its codec.
 *
 * A single-batch fuzz input is just the batch's bytes; this is the other
 * form, for a sequence of recv() results: entries, each a little-endian u16
 * L and then
 *
 *   L = 0x0000..0xFFFD   L bytes: one batch;
 *   L = 0xFFFE           a u32 length M, then M bytes: one batch (how a batch
 *                        of 65534..65536 bytes is written);
 *   L = 0xFFFF           a u16 errno: one failed recv().
 *
 * Entry i happens at t0 + i * step (KEV_FUZZIN_T0_NS, KEV_FUZZIN_STEP_NS by
 * default). Every byte string decodes, and always to the same items: a
 * length past the end takes what is left, a header cut short ends the
 * input, bytes past KEV_FUZZIN_MAX_INPUT and entries past
 * KEV_FUZZIN_MAX_ITEMS are ignored, and a batch longer than
 * KEV_FUZZIN_MAX_BATCH is cut to it (its true length kept in `origlen`).
 *
 * Neither side allocates: the decoder is a plain struct walking the
 * caller's bytes (items point into them), the encoder writes into the
 * caller's buffer or through a write callback, and refuses, before writing
 * anything, an entry that would take the input past a cap.
 */
#ifndef KEVRR_FUZZIN_H
#define KEVRR_FUZZIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kevrr/scenario.h"
#include "kevrr/wire.h"

/* Entry headers. */
#define KEV_FUZZIN_LEN_BIG    0xFFFEu /* a u32 length follows */
#define KEV_FUZZIN_LEN_ERROR  0xFFFFu /* a u16 errno follows */
#define KEV_FUZZIN_HEADER_MAX 6u      /* the longest entry header */

/* Caps: entries per input, bytes of one batch (what recv() can return to
 * the core), bytes of one input. */
#define KEV_FUZZIN_MAX_ITEMS 4096u
#define KEV_FUZZIN_MAX_BATCH KEV_MAX_BATCH
#define KEV_FUZZIN_MAX_INPUT ((size_t)16 << 20)

/* The default clock: entry i happens at T0 + i * STEP (those of the
 * scenario language: 2023-11-14T22:13:20Z, 1 ms). */
#define KEV_FUZZIN_T0_NS   KEV_SCENARIO_T0_NS
#define KEV_FUZZIN_STEP_NS KEV_SCENARIO_STEP_NS

typedef enum kev_fuzzin_kind {
    KEV_FUZZIN_BATCH, /* one recv() batch */
    KEV_FUZZIN_ERROR  /* one failed recv() */
} kev_fuzzin_kind;

/* One decoded entry. `data` points into the decoder's input. */
typedef struct kev_fuzzin_item {
    kev_fuzzin_kind kind;
    uint32_t index;      /* entry number, from 0 */
    size_t offset;       /* where its header starts in the input */
    uint64_t t_ns;       /* t0 + index * step (saturating at UINT64_MAX) */
    const uint8_t *data; /* BATCH: the bytes (NULL when len is 0) */
    uint32_t len;        /* BATCH: bytes delivered, <= KEV_FUZZIN_MAX_BATCH */
    uint32_t origlen;    /* BATCH: bytes the entry holds (> len when cut) */
    uint32_t stated;     /* the length its header states (> origlen when the
                            input ends first); for ERROR, 2 */
    int err;             /* ERROR: the errno value, 0..65535 */
} kev_fuzzin_item;

/* Why the decoding stopped (valid once kev_fuzzin_next returned 0). */
typedef enum kev_fuzzin_stop {
    KEV_FUZZIN_END = 0,       /* the last entry ended exactly at the end */
    KEV_FUZZIN_CUT_HEADER,    /* 1..5 bytes left, too few for a header: ignored */
    KEV_FUZZIN_TOO_MANY_ITEMS /* KEV_FUZZIN_MAX_ITEMS entries read; the rest ignored */
} kev_fuzzin_stop;

/* The decoder: a plain struct set up by kev_fuzzin_dec_init. The caller may
 * change t0_ns and step_ns before the first kev_fuzzin_next. */
typedef struct kev_fuzzin_dec {
    const uint8_t *buf;
    size_t len;       /* bytes considered: at most KEV_FUZZIN_MAX_INPUT */
    size_t input_len; /* the input's length as given */
    size_t pos;
    uint32_t index;
    uint64_t t0_ns, step_ns;
    bool done;
    kev_fuzzin_stop stop;
    size_t stop_offset; /* where the ignored bytes start (== len at END) */
} kev_fuzzin_dec;

/* Starts decoding buf[0..len) (`buf` may be NULL when len is 0) with the
 * default clock. */
void kev_fuzzin_dec_init(kev_fuzzin_dec *d, const uint8_t *buf, size_t len);

/* Fills *it with the next entry and returns 1, or returns 0 at the end
 * (d->stop says why, d->stop_offset where). Never fails: every byte string
 * is an input. */
int kev_fuzzin_next(kev_fuzzin_dec *d, kev_fuzzin_item *it);

/* Where the encoder's bytes go: 0, or a negative KEV_E* code (which the
 * encoder returns, and remembers). */
typedef int (*kev_fuzzin_write_fn)(void *ctx, const uint8_t *p, size_t n);

typedef struct kev_fuzzin_enc {
    kev_fuzzin_write_fn write; /* NULL: into buf[0..cap) */
    void *ctx;
    uint8_t *buf;
    size_t cap;
    size_t len;     /* bytes of the input so far */
    uint32_t items; /* entries so far */
    int err;        /* the first write error, sticky */
} kev_fuzzin_enc;

/* An encoder into buf[0..cap), or one writing through `write`. */
void kev_fuzzin_enc_init(kev_fuzzin_enc *e, uint8_t *buf, size_t cap);
void kev_fuzzin_enc_init_write(kev_fuzzin_enc *e, kev_fuzzin_write_fn write, void *ctx);

/* Appends one batch (`len` bytes; `data` may be NULL when len is 0) or one
 * failed recv(). Returns 0; KEV_ETOOBIG, writing nothing, when the batch is
 * over KEV_FUZZIN_MAX_BATCH or the input would pass KEV_FUZZIN_MAX_ITEMS
 * entries or KEV_FUZZIN_MAX_INPUT bytes; KEV_ERANGE, writing nothing, when
 * `err` is outside 0..65535 or buf has no room; or the write error. The
 * shortest header is always used, so encoding is canonical. */
int kev_fuzzin_enc_batch(kev_fuzzin_enc *e, const uint8_t *data, size_t len);
int kev_fuzzin_enc_error(kev_fuzzin_enc *e, int err);

/* The bytes kev_fuzzin_enc_batch writes for a batch of `len` bytes (its
 * header and the data). */
size_t kev_fuzzin_batch_size(size_t len);

#endif
