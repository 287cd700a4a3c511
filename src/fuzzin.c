/*
 * fuzzin.c: the multi-batch fuzz input format (kevrr/fuzzin.h,
 * docs/fuzz-input.md): a decoder for which every byte string is a valid,
 * deterministic input, and a canonical encoder that never writes past the
 * caps the decoder applies, so whatever it writes decodes back to the same
 * items.
 *
 * Every read goes through the bounds-checked cursor; nothing allocates.
 */
#include "kevrr/fuzzin.h"

#include "kev_cursor.h"
#include "kevrr/error.h"

/* ---------------------------------------------------------------- decoder */

void kev_fuzzin_dec_init(kev_fuzzin_dec *d, const uint8_t *buf, size_t len)
{
    d->buf = buf;
    d->input_len = len;
    /* Bytes past the cap are ignored, so a huge input costs no more than
     * the cap. */
    d->len = len < KEV_FUZZIN_MAX_INPUT ? len : KEV_FUZZIN_MAX_INPUT;
    d->pos = 0;
    d->index = 0;
    d->t0_ns = KEV_FUZZIN_T0_NS;
    d->step_ns = KEV_FUZZIN_STEP_NS;
    d->done = false;
    d->stop = KEV_FUZZIN_END;
    d->stop_offset = 0;
}

/* t0 + index * step, saturating instead of wrapping. */
static uint64_t item_time(const kev_fuzzin_dec *d, uint32_t index)
{
    if (d->step_ns != 0 && index > (UINT64_MAX - d->t0_ns) / d->step_ns)
        return UINT64_MAX;
    return d->t0_ns + (uint64_t)index * d->step_ns;
}

static int finish(kev_fuzzin_dec *d, kev_fuzzin_stop why)
{
    d->done = true;
    d->stop = why;
    d->stop_offset = d->pos;
    return 0;
}

/* Reads the header at the cursor into *it: the kind and the stated length
 * (the errno for errors). KEV_ETRUNC when the header is cut short. */
static int read_header(kev_cursor *c, kev_fuzzin_item *it)
{
    uint16_t l16;
    int rc = kev__cur_u16le(c, &l16);
    if (rc != 0)
        return rc;
    it->kind = KEV_FUZZIN_BATCH;
    it->stated = l16;
    if (l16 == KEV_FUZZIN_LEN_BIG)
        return kev__cur_u32le(c, &it->stated);
    if (l16 == KEV_FUZZIN_LEN_ERROR) {
        uint16_t e;
        if ((rc = kev__cur_u16le(c, &e)) != 0)
            return rc;
        it->kind = KEV_FUZZIN_ERROR;
        it->err = e;
        it->stated = 2;
    }
    return 0;
}

int kev_fuzzin_next(kev_fuzzin_dec *d, kev_fuzzin_item *it)
{
    if (d->done)
        return 0;
    if (d->pos == d->len)
        return finish(d, KEV_FUZZIN_END);
    if (d->index == KEV_FUZZIN_MAX_ITEMS)
        return finish(d, KEV_FUZZIN_TOO_MANY_ITEMS);
    kev_cursor c;
    kev__cur_init(&c, d->buf, d->len);
    c.off = d->pos;
    kev_fuzzin_item x = {0};
    if (read_header(&c, &x) != 0)
        return finish(d, KEV_FUZZIN_CUT_HEADER);
    x.index = d->index;
    x.offset = d->pos;
    x.t_ns = item_time(d, d->index);
    if (x.kind == KEV_FUZZIN_BATCH) {
        /* A length past the end takes what is left. */
        size_t left = kev__cur_left(&c);
        x.origlen = x.stated < left ? x.stated : (uint32_t)left;
        x.len = x.origlen < KEV_FUZZIN_MAX_BATCH ? x.origlen : KEV_FUZZIN_MAX_BATCH;
        x.data = x.len ? c.p + c.off : NULL;
        c.off += x.origlen;
    }
    d->pos = c.off;
    d->index++;
    *it = x;
    return 1;
}

/* ---------------------------------------------------------------- encoder */

static void enc_init(kev_fuzzin_enc *e)
{
    e->len = 0;
    e->items = 0;
    e->err = 0;
}

void kev_fuzzin_enc_init(kev_fuzzin_enc *e, uint8_t *buf, size_t cap)
{
    e->write = NULL;
    e->ctx = NULL;
    e->buf = buf;
    e->cap = buf ? cap : 0;
    enc_init(e);
}

void kev_fuzzin_enc_init_write(kev_fuzzin_enc *e, kev_fuzzin_write_fn write, void *ctx)
{
    e->write = write;
    e->ctx = ctx;
    e->buf = NULL;
    e->cap = 0;
    enc_init(e);
}

size_t kev_fuzzin_batch_size(size_t len)
{
    return (len < KEV_FUZZIN_LEN_BIG ? 2u : 6u) + len;
}

/* Is there room for one more entry of `size` bytes? */
static int check_room(const kev_fuzzin_enc *e, size_t size)
{
    if (e->err != 0)
        return e->err;
    if (e->items >= KEV_FUZZIN_MAX_ITEMS || size > KEV_FUZZIN_MAX_INPUT - e->len)
        return KEV_ETOOBIG;
    if (e->write == NULL && size > e->cap - e->len)
        return KEV_ERANGE;
    return 0;
}

/* Writes the header, then the data; counts the entry. */
static int put_entry(kev_fuzzin_enc *e, const uint8_t *hdr, size_t hn, const uint8_t *data,
                     size_t n)
{
    if (e->write == NULL) {
        memcpy(e->buf + e->len, hdr, hn);
        if (n)
            memcpy(e->buf + e->len + hn, data, n);
    } else {
        int rc = e->write(e->ctx, hdr, hn);
        if (rc == 0 && n)
            rc = e->write(e->ctx, data, n);
        if (rc != 0)
            return e->err = rc;
    }
    e->len += hn + n;
    e->items++;
    return 0;
}

int kev_fuzzin_enc_batch(kev_fuzzin_enc *e, const uint8_t *data, size_t len)
{
    if (len > KEV_FUZZIN_MAX_BATCH)
        return KEV_ETOOBIG;
    int rc = check_room(e, kev_fuzzin_batch_size(len));
    if (rc != 0)
        return rc;
    uint8_t hdr[KEV_FUZZIN_HEADER_MAX];
    size_t hn = 2;
    if (len < KEV_FUZZIN_LEN_BIG) {
        hdr[0] = (uint8_t)len;
        hdr[1] = (uint8_t)(len >> 8);
    } else {
        hdr[0] = 0xFE; /* KEV_FUZZIN_LEN_BIG, little-endian */
        hdr[1] = 0xFF;
        kev__put_u32le(hdr + 2, (uint32_t)len);
        hn = 6;
    }
    return put_entry(e, hdr, hn, data, len);
}

int kev_fuzzin_enc_error(kev_fuzzin_enc *e, int err)
{
    if (err < 0 || err > 0xFFFF)
        return KEV_ERANGE;
    int rc = check_room(e, 4);
    if (rc != 0)
        return rc;
    uint8_t hdr[4] = {0xFF, 0xFF, (uint8_t)err, (uint8_t)(err >> 8)};
    return put_entry(e, hdr, sizeof hdr, NULL, 0);
}
