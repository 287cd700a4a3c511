/*
 * kev_pcapng.h (internal): the pcapng block types, option codes and fixed
 * sizes that the trace writer and reader share (docs/trace-format.md), and
 * the keys of kevrr's custom options.
 */
#ifndef KEV_PCAPNG_H
#define KEV_PCAPNG_H

#include <stddef.h>

/* Block types. */
#define KEV_PCAPNG_SHB 0x0A0D0D0Au
#define KEV_PCAPNG_IDB 0x00000001u
#define KEV_PCAPNG_ISB 0x00000005u
#define KEV_PCAPNG_EPB 0x00000006u

/* Block types above this one are no pcapng block of any kind we know of
 * (the standard ones are small numbers; the SHB's is the exception). */
#define KEV_PCAPNG_MAX_STD_TYPE 0x0000FFFFu

#define KEV_PCAPNG_BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define KEV_PCAPNG_MAJOR            1u
#define KEV_PCAPNG_MINOR            0u
#define KEV_PCAPNG_SNAPLEN          262144u

/* Fixed sizes: a block's header (type, total length) and trailer (total
 * length), and each block's fixed part before its options, trailer
 * included. */
#define KEV_PCAPNG_BLOCK_MIN 12u
#define KEV_PCAPNG_SHB_FIXED 28u /* type len bom major minor seclen(8) trailer */
#define KEV_PCAPNG_IDB_FIXED 20u /* type len linktype reserved snaplen trailer */
#define KEV_PCAPNG_EPB_FIXED 32u /* type len iface ts_hi ts_lo caplen origlen trailer */
#define KEV_PCAPNG_ISB_FIXED 24u /* type len iface ts_hi ts_lo trailer */

/* Option codes. */
#define KEV_OPT_ENDOFOPT          0u
#define KEV_OPT_COMMENT           1u
#define KEV_OPT_CUSTOM_STR        2988u  /* PEN + UTF-8 text, may be copied */
#define KEV_OPT_CUSTOM_STR_NOCOPY 19372u /* PEN + UTF-8 text, do not copy */
#define KEV_OPT_SHB_HARDWARE      2u
#define KEV_OPT_SHB_OS            3u
#define KEV_OPT_SHB_USERAPPL      4u
#define KEV_OPT_IF_NAME           2u
#define KEV_OPT_IF_TSRESOL        9u
#define KEV_OPT_IF_FILTER         11u
#define KEV_OPT_IF_OS             12u
#define KEV_OPT_ISB_STARTTIME     2u
#define KEV_OPT_ISB_ENDTIME       3u
#define KEV_OPT_ISB_IFRECV        4u

/* An option's value is at most 65535 bytes (its length field is 16 bits);
 * a custom option spends 4 of them on the PEN. */
#define KEV_PCAPNG_OPT_MAX 65535u
#define KEV_PCAPNG_PEN_LEN 4u
/* if_tsresol 9: timestamps count nanoseconds. */
#define KEV_PCAPNG_TSRESOL_NS 9u
/* The first byte of an if_filter value: 0 = a filter string. */
#define KEV_PCAPNG_FILTER_STRING 0u

/* kevrr's custom option keys (the text starts with the key). */
#define KEV_KEY_FORMAT        "kevrr.format="
#define KEV_KEY_BYTEORDER     "kevrr.byteorder="
#define KEV_KEY_START         "kevrr.start_ns="
#define KEV_KEY_SNAPSHOT      "kevrr.snapshot="
#define KEV_KEY_SNAPSHOT_MORE "kevrr.snapshot+="
#define KEV_KEY_ERRNO         "kevrr.errno="

/* The snapshot is split over options of at most this many bytes of text,
 * cut after a newline when one falls in the second half of a chunk. */
#define KEV_SNAPSHOT_CHUNK 60000u

/* An errno name ("EAGAIN") is at most this long; [A-Za-z0-9_] only. */
#define KEV_ERRNAME_MAX 31u

static inline size_t kev__pad4(size_t n)
{
    return (n + 3u) & ~(size_t)3u;
}

#endif
