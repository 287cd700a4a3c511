/*
 * decode.c: the field-by-field decoder of a recv() batch (kevrr/decode.h),
 * and its text, JSON and hex-dump forms.
 *
 * Each payload layout of eventmon-facts.md s3 is a table of field
 * descriptors (name, kind, offset, size); one generic reader walks a table
 * through the bounds-checked cursor, and one table of kinds says how each
 * kind is read and shown. Framing is kev_wire_next()'s, so the decoder
 * accepts exactly the records the simulated kernel and the hardened profile
 * accept, and reports the first framing error as the batch's last item.
 */
#include "kevrr/decode.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kev_cursor.h"
#include "kev_fmt.h"
#include "kevrr/error.h"

/* ------------------------------------------------------------------------
 * Layout tables
 */

/* A named value of an I32 field (link-quality thresholds). */
typedef struct value_name {
    int32_t v;
    const char *name;
} value_name;

typedef struct field_desc {
    const char *name;
    kev_dfield_kind kind;
    uint32_t off;
    uint32_t len;            /* 0: the value of the field before (hw_addr after hw_len) */
    const value_name *names; /* NULL, or a table ending with a NULL name */
} field_desc;

typedef struct layout_desc {
    const field_desc *fields;
    size_t n;
    uint32_t size; /* the payload's LP64 sizeof (before any hw_len bytes) */
} layout_desc;

/* The tables keep one row per field: the formatter is kept off them. */
/* clang-format off */
static const value_name lqm_names[] = {
    {-2, "OFF"},   {-1, "UNKNOWN"}, {10, "ABORT"}, {20, "MINIMALLY_VIABLE"},
    {50, "POOR"},  {100, "GOOD"},   {0, NULL}};

#define F(name, kind, off, len) {name, kind, off, len, NULL}
/* net_event_data, which starts most payloads. */
#define LINK_FIELDS                                                           \
    F("if_family", KEV_DF_U32, KEV_OFF_IF_FAMILY, 4),                         \
    F("if_unit", KEV_DF_U32, KEV_OFF_IF_UNIT, 4),                             \
    F("if_name", KEV_DF_NAME, KEV_OFF_IF_NAME, KEV_IFNAMSIZ)
/* A sockaddr_in6 at payload offset `b`. */
#define SIN6_FIELDS(p, b)                                                     \
    F(p ".sin6_len", KEV_DF_U8, (b), 1),                                      \
    F(p ".sin6_family", KEV_DF_U8, (b) + 1, 1),                               \
    F(p ".sin6_port", KEV_DF_U16BE, (b) + 2, 2),                              \
    F(p ".sin6_flowinfo", KEV_DF_U32BE, (b) + 4, 4),                          \
    F(p ".sin6_addr", KEV_DF_IPV6, (b) + KEV_OFF_SIN6_ADDR, 16),              \
    F(p ".sin6_scope_id", KEV_DF_U32, (b) + 24, 4)

static const field_desc f_link[] = {LINK_FIELDS};

static const field_desc f_in_data[] = {
    LINK_FIELDS,
    F("ia_addr", KEV_DF_IPV4, KEV_OFF_IN_ADDR, 4),
    F("ia_net", KEV_DF_IPV4_HOST, KEV_OFF_IN_NET, 4),
    F("ia_netmask", KEV_DF_IPV4_HOST, KEV_OFF_IN_NETMASK, 4),
    F("ia_subnet", KEV_DF_IPV4_HOST, KEV_OFF_IN_SUBNET, 4),
    F("ia_subnetmask", KEV_DF_IPV4_HOST, KEV_OFF_IN_SUBNETMASK, 4),
    F("ia_netbroadcast", KEV_DF_IPV4, KEV_OFF_IN_NETBROADCAST, 4),
    F("ia_dstaddr", KEV_DF_IPV4, KEV_OFF_IN_DSTADDR, 4),
};

static const field_desc f_in_collision[] = {
    LINK_FIELDS,
    F("ia_ipaddr", KEV_DF_IPV4, KEV_OFF_COLL_IPADDR, 4),
    F("hw_len", KEV_DF_U8, KEV_OFF_COLL_HWLEN, 1),
    F("hw_addr", KEV_DF_MAC, KEV_OFF_COLL_HWADDR, 0),
};

static const field_desc f_in_portinuse[] = {
    F("port", KEV_DF_U16, KEV_OFF_PORT, 2),
    F("req_pid", KEV_DF_U32, KEV_OFF_REQ_PID, 4),
    F("reserved", KEV_DF_HEX, 8, 8),
};

static const field_desc f_in6_data[] = {
    LINK_FIELDS,
    SIN6_FIELDS("ia_addr", KEV_OFF_IN6_ADDR),
    SIN6_FIELDS("ia_net", KEV_OFF_IN6_NET),
    SIN6_FIELDS("ia_dstaddr", KEV_OFF_IN6_DSTADDR),
    SIN6_FIELDS("ia_prefixmask", KEV_OFF_IN6_PREFIXMASK),
    F("ia_plen", KEV_DF_U32, KEV_OFF_IN6_PLEN, 4),
    F("ia6_flags", KEV_DF_FLAGS6, KEV_OFF_IN6_FLAGS, 4),
    F("ia_lifetime.ia6t_expire", KEV_DF_U32, KEV_OFF_IN6_LIFETIME, 4),
    F("ia_lifetime.ia6t_preferred", KEV_DF_U32, KEV_OFF_IN6_LIFETIME + 4, 4),
    F("ia_lifetime.ia6t_vltime", KEV_DF_U32, KEV_OFF_IN6_LIFETIME + 8, 4),
    F("ia_lifetime.ia6t_pltime", KEV_DF_U32, KEV_OFF_IN6_LIFETIME + 12, 4),
    F("ia_mac", KEV_DF_MAC, KEV_OFF_IN6_MAC, KEV_ETHER_ADDR_LEN),
};

static const field_desc f_dl_proto[] = {
    LINK_FIELDS,
    F("proto_family", KEV_DF_U32, KEV_OFF_PROTO_FAMILY, 4),
    F("proto_remaining_count", KEV_DF_U32, KEV_OFF_PROTO_REMAINING, 4),
};

static const field_desc f_dl_lqm[] = {
    LINK_FIELDS,
    {"link_quality_metric", KEV_DF_I32, KEV_OFF_LQM, 4, lqm_names},
};

static const field_desc f_dl_issues[] = {
    LINK_FIELDS,
    F("modid", KEV_DF_HEX, KEV_OFF_ISSUES_MODID, KEV_DLIL_MODIDLEN),
    F("timestamp", KEV_DF_TIME, KEV_OFF_ISSUES_TIMESTAMP, 8),
    F("info", KEV_DF_HEX, KEV_OFF_ISSUES_INFO, KEV_DLIL_MODARGLEN),
};

static const field_desc f_dl_issues_i386[] = {
    LINK_FIELDS,
    F("modid", KEV_DF_HEX, KEV_OFF_ISSUES_MODID, KEV_DLIL_MODIDLEN),
    F("timestamp", KEV_DF_TIME, KEV_OFF_ISSUES_TIMESTAMP_I386, 8),
    F("info", KEV_DF_HEX, KEV_OFF_ISSUES_INFO_I386, KEV_DLIL_MODARGLEN),
};

static const field_desc f_dl_rrc[] = {
    LINK_FIELDS,
    F("rrc_state", KEV_DF_U32, KEV_SZ_NET_EVENT_DATA, 4),
};

static const field_desc f_nd6_event[] = {
    LINK_FIELDS,
    F("in6_address", KEV_DF_IPV6, KEV_OFF_ND6_ADDR, 16),
    F("val", KEV_DF_U32, KEV_OFF_ND6_VAL, 4),
};

/* The largest layout leaves room for its trailing bytes. */
_Static_assert(sizeof f_in6_data / sizeof f_in6_data[0] < KEV_DECODE_MAX_FIELDS,
               "KEV_DECODE_MAX_FIELDS too small for kev_in6_data");

#define L(tab, size) {tab, sizeof tab / sizeof tab[0], size}
static const layout_desc layouts[] = {
    [KEV_L_NONE] = {NULL, 0, 0},
    [KEV_L_NET_EVENT_DATA] = L(f_link, KEV_SZ_NET_EVENT_DATA),
    [KEV_L_IN_DATA] = L(f_in_data, KEV_SZ_IN_DATA),
    [KEV_L_IN_COLLISION] = L(f_in_collision, KEV_SZ_IN_COLLISION),
    [KEV_L_IN_ARPFAILURE] = L(f_link, KEV_SZ_IN_ARPFAILURE),
    [KEV_L_IN_PORTINUSE] = L(f_in_portinuse, KEV_SZ_IN_PORTINUSE),
    [KEV_L_IN6_DATA] = L(f_in6_data, KEV_SZ_IN6_DATA),
    [KEV_L_DL_PROTO_DATA] = L(f_dl_proto, KEV_SZ_DL_PROTO_DATA),
    [KEV_L_DL_LQM] = L(f_dl_lqm, KEV_SZ_DL_LQM),
    [KEV_L_DL_ISSUES] = L(f_dl_issues, KEV_SZ_DL_ISSUES),
    [KEV_L_DL_RRC_STATE] = L(f_dl_rrc, KEV_SZ_DL_RRC_STATE),
    [KEV_L_ND6_EVENT] = L(f_nd6_event, KEV_SZ_ND6_EVENT),
};
static const layout_desc layout_issues_i386 =
    L(f_dl_issues_i386, KEV_SZ_DL_ISSUES_I386);
#undef L
#undef F
/* clang-format on */

/* ------------------------------------------------------------------------
 * Kinds: how each is read. Shown by the value functions further down.
 */

typedef struct kind_def {
    const char *name;
    uint8_t width; /* numeric kinds: bytes of the number; 0: bytes only */
    bool be;       /* network order */
    bool is_signed;
} kind_def;

static const kind_def kinds[KEV_DF__COUNT] = {
    [KEV_DF_U8] = {"u8", 1, false, false},
    [KEV_DF_U16] = {"u16", 2, false, false},
    [KEV_DF_U16BE] = {"u16be", 2, true, false},
    [KEV_DF_U32] = {"u32", 4, false, false},
    [KEV_DF_U32BE] = {"u32be", 4, true, false},
    [KEV_DF_I32] = {"i32", 4, false, true},
    [KEV_DF_U64] = {"u64", 8, false, false},
    [KEV_DF_TIME] = {"time", 8, false, false},
    [KEV_DF_FLAGS6] = {"flags", 4, false, false},
    [KEV_DF_IPV4] = {"ipv4", 0, false, false},
    [KEV_DF_IPV4_HOST] = {"ipv4_host", 4, false, false},
    [KEV_DF_IPV6] = {"ipv6", 0, false, false},
    [KEV_DF_NAME] = {"name", 0, false, false},
    [KEV_DF_MAC] = {"mac", 0, false, false},
    [KEV_DF_HEX] = {"hex", 0, false, false},
};

const char *kev_decode_kind_name(kev_dfield_kind k)
{
    return (unsigned)k < KEV_DF__COUNT ? kinds[k].name : "?";
}

/* ------------------------------------------------------------------------
 * Reading
 */

/* Reads a number of `k->width` bytes at the cursor. */
static void read_number(kev_cursor *c, const kind_def *k, kev_dfield *f)
{
    uint8_t b[8];
    uint64_t v = 0;
    /* The caller checked that the field is inside the payload. */
    (void)kev__cur_bytes(c, b, k->width);
    for (unsigned i = 0; i < k->width; i++) {
        unsigned shift = k->be ? 8u * (k->width - 1u - i) : 8u * i;
        v |= (uint64_t)b[i] << shift;
    }
    f->u = v;
    if (k->is_signed)
        f->i = v >= 0x80000000u ? (int64_t)v - ((int64_t)1 << 32) : (int64_t)v;
}

/* Fills `f` from descriptor `fd` (length `len`) in the payload cursor:
 * missing when the payload ends before the field does. */
static void read_field(kev_cursor *c, const field_desc *fd, uint32_t len, bool len_known,
                       kev_dfield *f)
{
    f->name = fd->name;
    f->kind = fd->kind;
    f->off = fd->off;
    f->len = len;
    if (!len_known || kev__cur_seek(c, fd->off) != 0 || kev__cur_left(c) < len) {
        f->missing = true;
        return;
    }
    f->bytes = c->p + c->off;
    if (kinds[fd->kind].width != 0)
        read_number(c, &kinds[fd->kind], f);
    for (const value_name *vn = fd->names; vn && vn->name; vn++)
        if (vn->v == f->i)
            f->value_name = vn->name;
}

/* The descriptor table of a record's layout. */
static const layout_desc *layout_of(kev_layout l, uint32_t flags)
{
    if (l == KEV_L_DL_ISSUES && (flags & KEV_DECODE_ILP32))
        return &layout_issues_i386;
    return (size_t)l < sizeof layouts / sizeof layouts[0] ? &layouts[l]
                                                          : &layouts[KEV_L_NONE];
}

/* Appends a hex field for the payload bytes from `from` on ("trailing"
 * after a layout, "payload" when there is none). */
static void add_rest(kev_decoded *r, kev_cursor *c, uint32_t from, const char *name)
{
    if (from >= r->payload_len || r->n_fields >= KEV_DECODE_MAX_FIELDS)
        return;
    field_desc fd = {name, KEV_DF_HEX, from, r->payload_len - from, NULL};
    read_field(c, &fd, fd.len, true, &r->fields[r->n_fields++]);
}

/* Walks the layout's descriptors over the payload. */
static void decode_fields(kev_decoded *r, const uint8_t *payload, uint32_t flags)
{
    kev_cursor c;
    kev__cur_init(&c, payload, r->payload_len);
    const layout_desc *ld = layout_of(r->layout, flags);
    uint32_t size = ld->size;
    for (size_t i = 0; i < ld->n; i++) {
        const field_desc *fd = &ld->fields[i];
        uint32_t len = fd->len;
        bool known = true;
        if (len == 0) { /* hw_addr: as many bytes as hw_len (never first) says */
            const kev_dfield *prev = &r->fields[r->n_fields - 1];
            known = !prev->missing;
            len = known ? (uint32_t)prev->u : 0;
            size += len;
        }
        read_field(&c, fd, len, known, &r->fields[r->n_fields++]);
    }
    if (r->layout == KEV_L_NONE)
        add_rest(r, &c, 0, "payload");
    else
        add_rest(r, &c, size, "trailing");
}

/* ------------------------------------------------------------------------
 * The walk
 */

/* "KEV_VENDOR_APPLE", or "?" and the number. */
static void set_name(char out[KEV_DECODE_NAME_MAX], const char *name, uint32_t v)
{
    if (name != NULL)
        snprintf(out, KEV_DECODE_NAME_MAX, "%s", name);
    else
        snprintf(out, KEV_DECODE_NAME_MAX, "?%" PRIu32, v);
}

int kev_decode_record(const uint8_t *buf, size_t len, size_t off, const kev_msg_header *h,
                      uint32_t flags, kev_decoded *out)
{
    /* The caller's framing is checked again: the fields are read from
     * buf + off + 24 on, up to total_size. */
    if (buf == NULL || off > len || h->total_size < KEV_MSG_HEADER_SIZE ||
        h->total_size > len - off)
        return KEV_EINVAL;
    memset(out, 0, sizeof *out);
    out->kind = KEV_DECODED_RECORD;
    out->offset = off;
    out->hdr = *h;
    out->payload_len = h->total_size - KEV_MSG_HEADER_SIZE;
    bool apple_net =
        h->vendor_code == KEV_VENDOR_APPLE && h->kev_class == KEV_NETWORK_CLASS;
    out->def = apple_net ? kev_event_lookup(h->kev_subclass, h->event_code) : NULL;
    out->layout = out->def ? out->def->layout : KEV_L_NONE;
    set_name(out->vendor_name, kev_wire_vendor_name(h->vendor_code), h->vendor_code);
    set_name(out->class_name, kev_wire_class_name(h->kev_class), h->kev_class);
    set_name(out->subclass_name, apple_net ? kev_wire_subclass_name(h->kev_subclass) : NULL,
             h->kev_subclass);
    set_name(out->code_name, out->def ? out->def->name : NULL, h->event_code);
    out->n_fields = 0;
    decode_fields(out, buf + off + KEV_MSG_HEADER_SIZE, flags);
    return 0;
}

void kev_decode_init(kev_decoder *d, const uint8_t *buf, size_t len, uint32_t flags)
{
    d->buf = buf;
    d->len = buf != NULL ? len : 0;
    d->pos = 0;
    d->flags = flags;
    d->index = 0;
    d->done = false;
}

/* The damage item for kev_wire_next()'s error `rc` at d->pos (out->index
 * is set). */
static void set_damage(const kev_decoder *d, int rc, const kev_msg_header *h,
                       kev_decoded *out)
{
    size_t left = d->len - d->pos;
    unsigned idx = out->index;
    out->kind = KEV_DECODED_DAMAGE;
    out->offset = d->pos;
    out->err = rc;
    if (rc == KEV_ETRUNC) {
        snprintf(out->message, sizeof out->message,
                 "record %u at offset %zu: header cut short: %zu bytes left, "
                 "a header needs %u",
                 idx, d->pos, left, KEV_MSG_HEADER_SIZE);
        return;
    }
    out->hdr = *h;
    if (rc == KEV_EFORMAT)
        snprintf(out->message, sizeof out->message,
                 "record %u at offset %zu: total_size %" PRIu32
                 " is below the %u-byte header",
                 idx, d->pos, h->total_size, KEV_MSG_HEADER_SIZE);
    else
        snprintf(out->message, sizeof out->message,
                 "record %u at offset %zu: total_size %" PRIu32
                 " runs past the end of the batch (%zu bytes left)",
                 idx, d->pos, h->total_size, left);
}

int kev_decode_next(kev_decoder *d, kev_decoded *out)
{
    if (d->done)
        return 0;
    size_t off = 0;
    kev_msg_header h;
    memset(&h, 0, sizeof h);
    int rc = kev_wire_next(d->buf, d->len, &d->pos, &off, &h);
    if (rc == 0) {
        d->done = true;
        return 0;
    }
    if (rc < 0) {
        memset(out, 0, sizeof *out);
        out->index = d->index++;
        set_damage(d, rc, &h, out);
        d->done = true;
        return rc;
    }
    /* Cannot fail: kev_wire_next() framed the record. */
    (void)kev_decode_record(d->buf, d->len, off, &h, d->flags, out);
    out->index = d->index++;
    return 1;
}

/* ------------------------------------------------------------------------
 * Value text
 */

/* inet_ntop(AF_INET6) as BSD libc writes it (kev__fmt_ipv6). */
static void add_ipv6(kev_strbuf *out, const uint8_t a[16])
{
    char buf[46];
    kev__fmt_ipv6(buf, a);
    kev_strbuf_adds(out, buf);
}

static void add_ipv4(kev_strbuf *out, const uint8_t a[4])
{
    char buf[16];
    kev_strbuf_add(out, buf, kev__fmt_ipv4(buf, a));
}

static void add_ipv4_host(kev_strbuf *out, uint64_t v)
{
    uint8_t a[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    add_ipv4(out, a);
}

/* Hex of p[0..n), with `sep` between bytes when it is not NUL. */
static void add_hex(kev_strbuf *out, const uint8_t *p, size_t n, char sep)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        if (sep && i)
            kev_strbuf_addc(out, sep);
        kev_strbuf_addc(out, digits[p[i] >> 4]);
        kev_strbuf_addc(out, digits[p[i] & 0xf]);
    }
}

/* The name up to its first NUL, escaped as reports escape bytes (\", \\,
 * \xNN for anything outside printable ASCII). `json` escapes that text
 * once more for a JSON string. */
static void add_name(kev_strbuf *out, const kev_dfield *f, bool json)
{
    const uint8_t *nul = kev__find_nul(f->bytes, f->len);
    size_t n = nul ? (size_t)(nul - f->bytes) : f->len;
    const char *bs = json ? "\\\\" : "\\";
    for (size_t i = 0; i < n; i++) {
        uint8_t c = f->bytes[i];
        if (c == '"')
            kev_strbuf_addf(out, "%s%s", bs, json ? "\\\"" : "\"");
        else if (c == '\\')
            kev_strbuf_addf(out, "%s%s", bs, bs);
        else if (c < 0x20 || c >= 0x7f)
            kev_strbuf_addf(out, "%sx%02x", bs, (unsigned)c);
        else
            kev_strbuf_addc(out, (char)c);
    }
}

static const char *const flag6_names[] = {
    "ANYCAST",  "TENTATIVE", "DUPLICATED", "DETACHED",   "DEPRECATED", "NODAD",
    "AUTOCONF", "TEMPORARY", "DYNAMIC",    "OPTIMISTIC", "SECURED",    "SWIFTDAD"};

/* "DUPLICATED|AUTOCONF|0x1000": names of the known bits, then the rest. */
static void add_flags6(kev_strbuf *out, uint64_t v)
{
    const size_t n = sizeof flag6_names / sizeof flag6_names[0];
    bool first = true;
    for (size_t b = 0; b < n; b++) {
        if (!(v & ((uint64_t)1 << b)))
            continue;
        if (!first)
            kev_strbuf_addc(out, '|');
        kev_strbuf_adds(out, flag6_names[b]);
        first = false;
    }
    uint64_t rest = v & ~(((uint64_t)1 << n) - 1);
    if (rest)
        kev_strbuf_addf(out, "%s0x%" PRIx64, first ? "" : "|", rest);
}

/* "2023-11-14T22:13:20Z" for Unix seconds `t`: proleptic Gregorian, the
 * days-to-date step of Howard Hinnant's civil_from_days; no libc time
 * zone, so the output never depends on the host. */
static void add_utc(kev_strbuf *out, uint64_t t)
{
    int64_t days = (int64_t)(t / 86400u), sod = (int64_t)(t % 86400u);
    int64_t z = days + 719468, era = z / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);
    kev_strbuf_addf(out,
                    "%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02" PRId64 ":%02" PRId64
                    ":%02" PRId64 "Z",
                    y, m, d, sod / 3600, sod / 60 % 60, sod % 60);
}

/* Appends `open`, the annotation of a field, and `close`, or nothing when
 * the field has none. Annotations are printable ASCII without quotes or
 * backslashes, so they go into JSON strings as they are. */
static void add_note(kev_strbuf *out, const kev_dfield *f, const char *open,
                     const char *close)
{
    const char *nm = f->value_name;
    bool unterminated = f->kind == KEV_DF_NAME && !kev__find_nul(f->bytes, f->len);
    bool any = f->kind == KEV_DF_TIME || f->kind == KEV_DF_IPV4_HOST ||
               (f->kind == KEV_DF_FLAGS6 && f->u != 0) || nm || unterminated;
    if (!any)
        return;
    kev_strbuf_adds(out, open);
    if (f->kind == KEV_DF_TIME)
        add_utc(out, f->u);
    else if (f->kind == KEV_DF_FLAGS6)
        add_flags6(out, f->u);
    else if (f->kind == KEV_DF_IPV4_HOST)
        kev_strbuf_addf(out, "0x%08" PRIx64, f->u);
    else
        kev_strbuf_adds(out, nm ? nm : "not NUL-terminated");
    kev_strbuf_adds(out, close);
}

/* The main value: numbers in decimal (flags in hex), the byte kinds in
 * their text form, hex cut after `hex_max` bytes. Only KEV_DF_NAME can
 * produce quotes or backslashes, and only when `json` is false. */
static void add_main(kev_strbuf *out, const kev_dfield *f, size_t hex_max, bool json)
{
    switch (f->kind) {
    case KEV_DF_IPV4:
        add_ipv4(out, f->bytes);
        break;
    case KEV_DF_IPV4_HOST:
        add_ipv4_host(out, f->u);
        break;
    case KEV_DF_IPV6:
        add_ipv6(out, f->bytes);
        break;
    case KEV_DF_NAME:
        add_name(out, f, json);
        break;
    case KEV_DF_MAC:
        add_hex(out, f->bytes, f->len, ':');
        break;
    case KEV_DF_HEX:
        add_hex(out, f->bytes, f->len < hex_max ? f->len : hex_max, 0);
        if (f->len > hex_max)
            kev_strbuf_addf(out, "... (%" PRIu32 " bytes)", f->len);
        break;
    case KEV_DF_I32:
        kev_strbuf_addf(out, "%" PRId64, f->i);
        break;
    case KEV_DF_FLAGS6:
        kev_strbuf_addf(out, "0x%" PRIx64, f->u);
        break;
    default:
        kev_strbuf_addf(out, "%" PRIu64, f->u);
        break;
    }
}

void kev_decode_field_value(const kev_dfield *f, uint32_t payload_len, kev_strbuf *out)
{
    if (f->missing) {
        kev_strbuf_addf(out, "(missing: record ends at +%" PRIu32 ")", payload_len);
        return;
    }
    if (f->len == 0) { /* an empty hw_addr, trailing or payload */
        kev_strbuf_adds(out, "(empty)");
        return;
    }
    const char *q = f->kind == KEV_DF_NAME ? "\"" : "";
    kev_strbuf_adds(out, q);
    add_main(out, f, KEV_DECODE_TEXT_HEX_MAX, false);
    kev_strbuf_adds(out, q);
    add_note(out, f, " (", ")");
}

/* ------------------------------------------------------------------------
 * Text form
 */

/* " key=NAME(v)", or " key=?v" when the value has no name. */
static void add_named(kev_strbuf *out, const char *key, const char *name, uint32_t v)
{
    if (name[0] == '?')
        kev_strbuf_addf(out, " %s=%s", key, name);
    else
        kev_strbuf_addf(out, " %s=%s(%" PRIu32 ")", key, name, v);
}

void kev_decode_format_text(const kev_decoded *r, kev_strbuf *out)
{
    if (r->kind == KEV_DECODED_DAMAGE) {
        kev_strbuf_addf(out, "damage: %s (%s)\n", r->message, kev_err_name(r->err));
        return;
    }
    const kev_msg_header *h = &r->hdr;
    kev_strbuf_addf(out, "record %u at offset %zu: %s total_size=%" PRIu32 " id=%" PRIu32,
                    r->index, r->offset, r->code_name, h->total_size, h->id);
    add_named(out, "vendor", r->vendor_name, h->vendor_code);
    add_named(out, "class", r->class_name, h->kev_class);
    add_named(out, "subclass", r->subclass_name, h->kev_subclass);
    kev_strbuf_addf(out, " code=%" PRIu32 " layout=%s\n", h->event_code,
                    kev_layout_name(r->layout));
    for (size_t i = 0; i < r->n_fields; i++) {
        const kev_dfield *f = &r->fields[i];
        kev_strbuf_addf(out, "  +%" PRIu32 " %s: ", f->off, f->name);
        kev_decode_field_value(f, r->payload_len, out);
        kev_strbuf_addc(out, '\n');
    }
}

/* ------------------------------------------------------------------------
 * JSON form
 */

/* A JSON string of `s`: quotes, backslashes and every byte outside
 * printable ASCII escaped (the strings given are ASCII already). */
static void json_str(kev_strbuf *out, const char *s)
{
    kev_strbuf_addc(out, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            kev_strbuf_addf(out, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            kev_strbuf_addf(out, "\\u%04x", (unsigned)c);
        else
            kev_strbuf_addc(out, (char)c);
    }
    kev_strbuf_addc(out, '"');
}

/* ,"value":... and ,"text":"..." of a field that was read. */
static void json_value(kev_strbuf *out, const kev_dfield *f)
{
    if (kinds[f->kind].width == 0) {
        kev_strbuf_adds(out, ",\"value\":\"");
        add_main(out, f, SIZE_MAX, true);
        kev_strbuf_addc(out, '"');
        add_note(out, f, ",\"text\":\"", "\"");
        return;
    }
    if (f->kind == KEV_DF_I32)
        kev_strbuf_addf(out, ",\"value\":%" PRId64, f->i);
    else
        kev_strbuf_addf(out, ",\"value\":%" PRIu64, f->u);
    if (f->kind == KEV_DF_IPV4_HOST) { /* the number, then its dotted form */
        kev_strbuf_adds(out, ",\"text\":\"");
        add_ipv4_host(out, f->u);
        kev_strbuf_addc(out, '"');
    } else {
        add_note(out, f, ",\"text\":\"", "\"");
    }
}

static void json_field(kev_strbuf *out, const kev_dfield *f)
{
    kev_strbuf_adds(out, "{\"name\":");
    json_str(out, f->name);
    kev_strbuf_addf(out, ",\"offset\":%" PRIu32 ",\"size\":%" PRIu32 ",\"kind\":", f->off,
                    f->len);
    json_str(out, kev_decode_kind_name(f->kind));
    if (f->missing)
        kev_strbuf_adds(out, ",\"missing\":true");
    else
        json_value(out, f);
    kev_strbuf_addc(out, '}');
}

/* ,"KEY":N,"NAMEKEY":"NAME" for one header field. */
static void json_hdr(kev_strbuf *out, const char *key, uint32_t v, const char *name_key,
                     const char *name)
{
    kev_strbuf_addf(out, ",\"%s\":%" PRIu32 ",\"%s\":", key, v, name_key);
    json_str(out, name);
}

void kev_decode_format_json(const kev_decoded *r, kev_strbuf *out)
{
    if (r->kind == KEV_DECODED_DAMAGE) {
        kev_strbuf_addf(out,
                        "{\"type\":\"damage\",\"index\":%u,\"offset\":%zu,"
                        "\"error\":",
                        r->index, r->offset);
        json_str(out, kev_err_name(r->err));
        kev_strbuf_adds(out, ",\"message\":");
        json_str(out, r->message);
        kev_strbuf_adds(out, "}\n");
        return;
    }
    const kev_msg_header *h = &r->hdr;
    kev_strbuf_addf(out,
                    "{\"type\":\"record\",\"index\":%u,\"offset\":%zu,"
                    "\"total_size\":%" PRIu32,
                    r->index, r->offset, h->total_size);
    json_hdr(out, "vendor_code", h->vendor_code, "vendor", r->vendor_name);
    json_hdr(out, "kev_class", h->kev_class, "class", r->class_name);
    json_hdr(out, "kev_subclass", h->kev_subclass, "subclass", r->subclass_name);
    kev_strbuf_addf(out, ",\"id\":%" PRIu32, h->id);
    json_hdr(out, "event_code", h->event_code, "event", r->code_name);
    kev_strbuf_adds(out, ",\"layout\":");
    json_str(out, kev_layout_name(r->layout));
    kev_strbuf_adds(out, ",\"fields\":[");
    for (size_t i = 0; i < r->n_fields; i++) {
        if (i)
            kev_strbuf_addc(out, ',');
        json_field(out, &r->fields[i]);
    }
    kev_strbuf_adds(out, "]}\n");
}

/* ------------------------------------------------------------------------
 * Hex dump
 */

/* One xxd line: offset, up to 16 bytes as eight 2-byte groups, ASCII. */
static void hexdump_line(const uint8_t *p, size_t n, size_t at, kev_strbuf *out)
{
    static const char digits[] = "0123456789abcdef";
    char line[16 * 3 + 8 + 16];
    size_t o = 0;
    for (size_t i = 0; i < 16; i++) {
        line[o++] = i < n ? digits[p[i] >> 4] : ' ';
        line[o++] = i < n ? digits[p[i] & 0xf] : ' ';
        if (i % 2 == 1)
            line[o++] = ' ';
    }
    line[o++] = ' ';
    for (size_t i = 0; i < n; i++)
        line[o++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '.';
    kev_strbuf_addf(out, "%08zx: ", at);
    kev_strbuf_add(out, line, o);
    kev_strbuf_addc(out, '\n');
}

void kev_decode_hexdump(const uint8_t *p, size_t n, size_t base_offset, kev_strbuf *out)
{
    for (size_t i = 0; i < n; i += 16)
        hexdump_line(p + i, n - i < 16 ? n - i : 16, base_offset + i, out);
}
