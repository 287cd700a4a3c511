/*
 * wire.c: reading and writing kern_event_msg headers, strict framing of a
 * batch, and the names of vendors, classes and subclasses.
 */
#include "kevrr/wire.h"

#include "kev_cursor.h"
#include "kevrr/error.h"

int kev_wire_header_read(const uint8_t *buf, size_t len, size_t off,
                         kev_msg_header *h)
{
    kev_cursor c;
    kev__cur_init(&c, buf, len);
    /* Is the whole header inside the batch? D3 reads past it. */
    if (kev__cur_seek(&c, off) != 0 || kev__cur_left(&c) < KEV_MSG_HEADER_SIZE)
        return KEV_ETRUNC;
    (void)kev__cur_u32le(&c, &h->total_size);
    (void)kev__cur_u32le(&c, &h->vendor_code);
    (void)kev__cur_u32le(&c, &h->kev_class);
    (void)kev__cur_u32le(&c, &h->kev_subclass);
    (void)kev__cur_u32le(&c, &h->id);
    (void)kev__cur_u32le(&c, &h->event_code);
    return 0;
}

void kev_wire_header_write(uint8_t out[KEV_MSG_HEADER_SIZE], const kev_msg_header *h)
{
    kev__put_u32le(out + 0, h->total_size);
    kev__put_u32le(out + 4, h->vendor_code);
    kev__put_u32le(out + 8, h->kev_class);
    kev__put_u32le(out + 12, h->kev_subclass);
    kev__put_u32le(out + 16, h->id);
    kev__put_u32le(out + 20, h->event_code);
}

int kev_wire_next(const uint8_t *buf, size_t len, size_t *pos, size_t *off,
                  kev_msg_header *h)
{
    if (*pos >= len)
        return 0;
    int rc = kev_wire_header_read(buf, len, *pos, h);
    if (rc != 0)
        return rc;
    /* D1/D2: a size below the header never advances past it. */
    if (h->total_size < KEV_MSG_HEADER_SIZE)
        return KEV_EFORMAT;
    /* The record must end inside the batch (the seed's own check). */
    if (h->total_size > len - *pos)
        return KEV_ETOOBIG;
    *off = *pos;
    *pos += h->total_size;
    return 1;
}

static const char *const vendor_names[] = {NULL, "KEV_VENDOR_APPLE"};

static const char *const class_names[] = {
    NULL, "KEV_NETWORK_CLASS", "KEV_IOKIT_CLASS", "KEV_SYSTEM_CLASS",
    "KEV_APPLESHARE_CLASS", "KEV_FIREWALL_CLASS", "KEV_IEEE80211_CLASS",
    "KEV_NKE_CLASS"};

static const char *const subclass_names[] = {
    NULL, "KEV_INET_SUBCLASS", "KEV_DL_SUBCLASS", "KEV_NETPOLICY_SUBCLASS",
    "KEV_SOCKET_SUBCLASS", "KEV_ATALK_SUBCLASS", "KEV_INET6_SUBCLASS",
    "KEV_ND6_SUBCLASS", "KEV_NECP_SUBCLASS", "KEV_NETAGENT_SUBCLASS",
    "KEV_LOG_SUBCLASS", "KEV_NETEVENT_SUBCLASS", "KEV_MPTCP_SUBCLASS",
    "KEV_IPSEC_SUBCLASS", "KEV_POWER_SUBCLASS"};

#define KEV__NAME_AT(tab, v)                                                  \
    ((v) < sizeof(tab) / sizeof((tab)[0]) ? (tab)[(v)] : NULL)

const char *kev_wire_vendor_name(uint32_t vendor)
{
    return KEV__NAME_AT(vendor_names, vendor);
}

const char *kev_wire_class_name(uint32_t kev_class)
{
    return KEV__NAME_AT(class_names, kev_class);
}

const char *kev_wire_subclass_name(uint32_t subclass)
{
    return KEV__NAME_AT(subclass_names, subclass);
}
