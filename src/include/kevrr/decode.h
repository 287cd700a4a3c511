/*
 * kevrr/decode.h: a field-by-field decoder of one recv() batch, for
 * `kevrr dump` and the fuzz tools.
 *
 * The decoder walks a batch with the strict framing of kev_wire_next() and
 * describes each record as a plain struct the caller owns: where it is, its
 * header, the names of its vendor, class, subclass and code, and its payload
 * fields per the layout the event table gives it (eventmon-facts.md s3).
 * Nothing allocates while decoding; byte fields point into the caller's
 * batch, so a kev_decoded is valid only while that batch is. A field that
 * extends past the record's total_size is marked missing and not read.
 * Framing damage (a header cut short, a total_size below 24 or past the
 * batch) ends the walk with one final damage item.
 *
 * Typical use:
 *
 *     kev_decoder d;
 *     kev_decoded r;
 *     int rc, status = 0;
 *     kev_decode_init(&d, buf, len, 0);
 *     while ((rc = kev_decode_next(&d, &r)) != 0) {
 *         kev_decode_format_text(&r, &out);
 *         if (rc < 0)
 *             status = rc;
 *     }
 */
#ifndef KEVRR_DECODE_H
#define KEVRR_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kevrr/events.h"
#include "kevrr/strbuf.h"
#include "kevrr/wire.h"

/* Decoder flags. */
#define KEV_DECODE_ILP32 0x1u /* kev_dl_issues in its i386 layout (s3, ILP32) */

/* Caps. A record has at most KEV_DECODE_MAX_FIELDS fields (kev_in6_data
 * has 34, plus one for trailing bytes); names are at most
 * KEV_DECODE_NAME_MAX - 1 bytes; the damage message is at most
 * KEV_DECODE_MSG_MAX - 1 bytes. The text form shows at most
 * KEV_DECODE_TEXT_HEX_MAX bytes of one hex field (the JSON form all). */
#define KEV_DECODE_MAX_FIELDS   40u
#define KEV_DECODE_NAME_MAX     40u
#define KEV_DECODE_MSG_MAX      160u
#define KEV_DECODE_TEXT_HEX_MAX 64u

/* How a field's bytes are read and shown. */
typedef enum kev_dfield_kind {
    KEV_DF_U8,        /* u: the byte */
    KEV_DF_U16,       /* u: little-endian (host order) */
    KEV_DF_U16BE,     /* u: network order (sin6_port) */
    KEV_DF_U32,       /* u: little-endian */
    KEV_DF_U32BE,     /* u: network order (sin6_flowinfo) */
    KEV_DF_I32,       /* i: little-endian, signed; named values shown */
    KEV_DF_U64,       /* u: little-endian */
    KEV_DF_TIME,      /* u: little-endian u64 Unix seconds, shown as UTC too */
    KEV_DF_FLAGS6,    /* u: little-endian u32 of IN6_IFF_* bits, shown by name */
    KEV_DF_IPV4,      /* bytes: an in_addr, network order */
    KEV_DF_IPV4_HOST, /* u: a little-endian (host order) u32 shown dotted */
    KEV_DF_IPV6,      /* bytes: an in6_addr, shown as BSD inet_ntop does */
    KEV_DF_NAME,      /* bytes: a char array up to its first NUL, escaped */
    KEV_DF_MAC,       /* bytes: colon-separated hex (any length) */
    KEV_DF_HEX,       /* bytes: plain hex */
    KEV_DF__COUNT
} kev_dfield_kind;

/* One payload field. Offsets are payload offsets (the record's offset
 * minus the 24-byte header), as in eventmon-facts.md s3. */
typedef struct kev_dfield {
    const char *name; /* static: "ia_addr", "ia_addr.sin6_port" */
    kev_dfield_kind kind;
    uint32_t off;           /* payload offset of the field */
    uint32_t len;           /* its size in bytes */
    bool missing;           /* extends past total_size: not read */
    uint64_t u;             /* unsigned kinds: the value */
    int64_t i;              /* KEV_DF_I32: the value */
    const char *value_name; /* static name of the value ("UNKNOWN"), or NULL */
    const uint8_t *bytes;   /* the field's bytes in the batch; NULL when missing */
} kev_dfield;

typedef enum kev_decoded_kind {
    KEV_DECODED_RECORD, /* a well-framed record */
    KEV_DECODED_DAMAGE  /* framing damage: the walk ends here */
} kev_decoded_kind;

/* One item of a batch: a record or the final damage item. */
typedef struct kev_decoded {
    kev_decoded_kind kind;
    unsigned index; /* item number in the batch, from 0 */
    size_t offset;  /* where the record (or the damage) starts in the batch */
    /* Records only. */
    kev_msg_header hdr;
    const kev_event_def *def; /* the table row; NULL unless Apple network and known */
    kev_layout layout;        /* KEV_L_NONE when def is NULL */
    uint32_t payload_len;     /* total_size - 24 */
    /* "KEV_VENDOR_APPLE" style, or "?" and the number ("?99"). */
    char vendor_name[KEV_DECODE_NAME_MAX];
    char class_name[KEV_DECODE_NAME_MAX];
    char subclass_name[KEV_DECODE_NAME_MAX];
    char code_name[KEV_DECODE_NAME_MAX];
    size_t n_fields;
    kev_dfield fields[KEV_DECODE_MAX_FIELDS];
    /* Damage only: the KEV_E* code and a message naming value and place. */
    int err;
    char message[KEV_DECODE_MSG_MAX];
} kev_decoded;

/* The walk over one batch: a plain struct, set up by kev_decode_init. */
typedef struct kev_decoder {
    const uint8_t *buf;
    size_t len;
    size_t pos;     /* next record */
    uint32_t flags; /* KEV_DECODE_* */
    unsigned index; /* items returned so far */
    bool done;      /* damage was returned: nothing follows */
} kev_decoder;

/* Starts a walk over `buf[0..len)` (`buf` may be NULL when len is 0). */
void kev_decode_init(kev_decoder *d, const uint8_t *buf, size_t len, uint32_t flags);

/* Fills `*out` with the next item. Returns 1 for a record, a negative
 * KEV_E* code for the damage item (KEV_ETRUNC, KEV_EFORMAT, KEV_ETOOBIG as
 * kev_wire_next() gives them; `*out` describes it), and 0 at the end of the
 * batch or after the damage item (`*out` untouched). */
int kev_decode_next(kev_decoder *d, kev_decoded *out);

/* Decodes the record at `off` whose header is `*h`, for callers with their
 * own walk; out->index is 0. Returns 0, or KEV_EINVAL (and leaves `*out`
 * untouched) unless the whole record, total_size >= 24 bytes, lies in
 * buf[0..len). */
int kev_decode_record(const uint8_t *buf, size_t len, size_t off, const kev_msg_header *h,
                      uint32_t flags, kev_decoded *out);

/* Appends a field's value as the text form shows it (no name, no
 * newline): "10.0.0.2", "\"en0\"", "0x44 DUPLICATED|AUTOCONF", or
 * "(missing: record ends at +N)" with N the record's payload length. */
void kev_decode_field_value(const kev_dfield *f, uint32_t payload_len, kev_strbuf *out);

/* A kind's name: "u32", "ipv6", ... */
const char *kev_decode_kind_name(kev_dfield_kind k);

/* Appends one header line, then one line per field indented by two spaces
 * ("  +24 ia_addr: 10.0.0.2"); for damage, one "damage ..." line. */
void kev_decode_format_text(const kev_decoded *r, kev_strbuf *out);

/* Appends one JSON object (RFC 8259) and a newline, keys in a fixed order:
 * records {"type":"record","index","offset","total_size","vendor_code",
 * "vendor","kev_class","class","kev_subclass","subclass","id","event_code",
 * "event","layout","fields":[{"name","offset","size","kind", then "value"
 * (number or string) and for some kinds "text", or "missing":true}]};
 * damage {"type":"damage","index","offset","error","message"}. */
void kev_decode_format_json(const kev_decoded *r, kev_strbuf *out);

/* Appends an xxd-style hex dump of p[0..n): 16 bytes per line,
 * "%08x: " with base_offset added, eight groups of two bytes, two spaces,
 * and the bytes as ASCII ('.' for non-printable). */
void kev_decode_hexdump(const uint8_t *p, size_t n, size_t base_offset, kev_strbuf *out);

#endif
