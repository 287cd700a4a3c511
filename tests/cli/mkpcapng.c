/*
 * mkpcapng.c: writes the pcapng file the Wireshark dissector test reads
 * (tests/cli/test_wireshark.sh), independently of the trace writer: a
 * plain, uncompressed pcapng section with one interface (LINKTYPE_USER0,
 * if_tsresol 9) and one Enhanced Packet Block per row of the event table,
 * each built with kev_build_event, then a few special batches (several
 * records, a failed recv(), broken framing, a short record, unknown codes).
 *
 * Usage: mkpcapng OUT.pcapng [CONFIGD.txt]. Prints one line per frame on
 * stdout, "NUMBER<TAB>INFO", the info column the dissector must show; with
 * CONFIGD.txt, also writes there one line per event-table frame,
 * "NUMBER<TAB>TEXT", the kevrr.configd field the dissector must show: what
 * each configd version runs for the event (the table's handler columns).
 */
#include <stdio.h>
#include <string.h>

#include "kev_cursor.h"
#include "kevrr/kevrr.h"

#define LINKTYPE_USER0 147u
#define MAX_BLOCK      2048u

typedef struct writer {
    FILE *f;
    unsigned frames;
    int err;
} writer;

/* One block: type, total length, body (padded to 4), total length. */
static void write_block(writer *w, uint32_t type, const uint8_t *body, size_t n)
{
    uint8_t b[MAX_BLOCK];
    size_t padded = (n + 3) & ~(size_t)3, total = padded + 12;
    if (total > sizeof b) {
        w->err = 1;
        return;
    }
    memset(b, 0, total);
    kev__put_u32le(b, type);
    kev__put_u32le(b + 4, (uint32_t)total);
    memcpy(b + 8, body, n);
    kev__put_u32le(b + 8 + padded, (uint32_t)total);
    if (fwrite(b, 1, total, w->f) != total)
        w->err = 1;
}

/* Appends option `code` with `len` bytes (padded) at b[*n]. */
static void add_option(uint8_t *b, size_t *n, uint16_t code, const void *v, uint16_t len)
{
    b[*n] = (uint8_t)code;
    b[*n + 1] = (uint8_t)(code >> 8);
    b[*n + 2] = (uint8_t)len;
    b[*n + 3] = (uint8_t)(len >> 8);
    memset(b + *n + 4, 0, (len + 3u) & ~3u);
    if (len)
        memcpy(b + *n + 4, v, len);
    *n += 4 + ((len + 3u) & ~3u);
}

static void write_headers(writer *w)
{
    uint8_t shb[16], idb[32];
    size_t n = 8;
    kev__put_u32le(shb, 0x1A2B3C4Du); /* byte-order magic */
    kev__put_u32le(shb + 4, 1);       /* version 1.0 */
    kev__put_u32le(shb + 8, 0xffffffffu);
    kev__put_u32le(shb + 12, 0xffffffffu); /* section length unknown */
    write_block(w, 0x0A0D0D0Au, shb, sizeof shb);
    kev__put_u32le(idb, LINKTYPE_USER0); /* link type, reserved 0 */
    kev__put_u32le(idb + 4, 0);          /* snaplen: no limit */
    const uint8_t tsresol = 9;           /* nanoseconds */
    add_option(idb, &n, 9, &tsresol, 1);
    add_option(idb, &n, 0, NULL, 0);
    write_block(w, 1, idb, n);
}

/* One EPB holding `len` bytes, with an optional comment. */
static void write_batch(writer *w, const uint8_t *data, size_t len, const char *comment)
{
    uint8_t b[MAX_BLOCK - 12];
    uint64_t t = 1700000000000000000ull + 1000ull * ++w->frames;
    size_t n = 20 + ((len + 3) & ~(size_t)3);
    if (n + 8 + (comment ? strlen(comment) + 8 : 0) > sizeof b) {
        w->err = 1;
        return;
    }
    memset(b, 0, n);
    kev__put_u32le(b, 0); /* interface 0 */
    kev__put_u32le(b + 4, (uint32_t)(t >> 32));
    kev__put_u32le(b + 8, (uint32_t)t);
    kev__put_u32le(b + 12, (uint32_t)len);
    kev__put_u32le(b + 16, (uint32_t)len);
    if (len)
        memcpy(b + 20, data, len);
    if (comment) {
        add_option(b, &n, 1, comment, (uint16_t)strlen(comment));
        add_option(b, &n, 0, NULL, 0);
    }
    write_block(w, 6, b, n);
}

/* The fields every table row is built with. */
static kev_fields sample_fields(void)
{
    static const uint8_t a6[16] = {0xfe, 0x80, [15] = 1};
    static const uint8_t mac[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
    static const uint8_t hw[6] = {0x00, 0x1b, 0x63, 0x84, 0x45, 0xe6};
    kev_fields f;
    memset(&f, 0, sizeof f);
    kev_fields_name(&f, "en", 0);
    f.family = 6;
    f.addr4[0] = 10, f.addr4[3] = 2, f.prefix4 = 24;
    memcpy(f.addr6, a6, 16);
    memcpy(f.mac, mac, 6);
    f.prefix6 = 64, f.flags6 = 0x44; /* DUPLICATED | AUTOCONF */
    f.hw_len = 6;
    memcpy(f.hw, hw, 6);
    f.port = 8080, f.pid = 4242;
    f.proto_family = 2, f.remaining = 1;
    f.lqm = 50;
    memcpy(f.modid, "wifi-driver", 11);
    f.timestamp = 1700000000;
    f.info[0] = 0xab;
    f.nd6_val = 1800, f.rrc_state = 2;
    return f;
}

/* "h1 (v888, v963); h2 (v1405)": each handler of the row with the versions
 * that run it, in the order they first appear. */
static void print_configd(FILE *out, unsigned frame, const kev_event_def *d)
{
    fprintf(out, "%u\t", frame);
    bool done[KEV_VER__COUNT] = {false};
    const char *sep = "";
    for (int v = 0; v < KEV_VER__COUNT; v++) {
        if (done[v])
            continue;
        fprintf(out, "%s%s (", sep, kev_handler_name(d->handler[v]));
        for (int u = v; u < KEV_VER__COUNT; u++) {
            if (d->handler[u] != d->handler[v])
                continue;
            fprintf(out, "%s%s", u == v ? "" : ", ", kev_version_name(u));
            done[u] = true;
        }
        fputc(')', out);
        sep = "; ";
    }
    fputc('\n', out);
}

static void write_table_rows(writer *w, FILE *configd)
{
    size_t rows;
    const kev_event_def *t = kev_event_table(&rows);
    kev_fields f = sample_fields();
    for (size_t i = 0; i < rows; i++) {
        uint8_t buf[512];
        size_t n =
            kev_build_event(buf, sizeof buf, t[i].subclass, t[i].code, (uint32_t)i + 1, &f);
        write_batch(w, buf, n, NULL);
        printf("%u\t%s\n", w->frames, t[i].name);
        if (configd)
            print_configd(configd, w->frames, &t[i]);
    }
}

/* Several records in one batch. */
static void write_multi(writer *w)
{
    kev_fields f = sample_fields();
    uint8_t buf[512];
    kev_fields_name(&f, "en", 1);
    f.addr4[0] = 192, f.addr4[1] = 168, f.addr4[2] = 1, f.addr4[3] = 5;
    size_t n =
        kev_build_event(buf, sizeof buf, KEV_DL_SUBCLASS, KEV_DL_IF_ATTACHED, 100, &f);
    n += kev_build_event(buf + n, sizeof buf - n, KEV_DL_SUBCLASS, KEV_DL_LINK_ON, 101, &f);
    n += kev_build_event(buf + n, sizeof buf - n, KEV_INET_SUBCLASS, KEV_INET_NEW_ADDR, 102,
                         &f);
    write_batch(w, buf, n, NULL);
    printf("%u\tKEV_DL_IF_ATTACHED, KEV_DL_LINK_ON, KEV_INET_NEW_ADDR\n", w->frames);
}

/* Damage: a failed recv(), a size below the header, a short record, and
 * codes no table knows. */
static void write_special(writer *w)
{
    kev_fields f = sample_fields();
    uint8_t buf[512];
    write_batch(w, NULL, 0, "recv() failed: EBADF (errno 9)");
    printf("%u\trecv() failed: EBADF (errno 9)\n", w->frames);
    size_t n = kev_build_event(buf, sizeof buf, KEV_DL_SUBCLASS, KEV_DL_LINK_OFF, 200, &f);
    n += kev_build_event(buf + n, sizeof buf - n, KEV_DL_SUBCLASS, KEV_DL_LINK_ON, 201, &f);
    kev__put_u32le(buf + 48, 20);
    write_batch(w, buf, n, NULL);
    printf("%u\tKEV_DL_LINK_OFF [malformed]\n", w->frames);
    n = kev_build_event(buf, sizeof buf, KEV_DL_SUBCLASS,
                        KEV_DL_LINK_QUALITY_METRIC_CHANGED, 202, &f);
    kev__put_u32le(buf, 48); /* D6: no room for the metric */
    write_batch(w, buf, 48, NULL);
    printf("%u\tKEV_DL_LINK_QUALITY_METRIC_CHANGED\n", w->frames);
    static const uint8_t junk[4] = {0xde, 0xad, 0xbe, 0xef};
    n = kev_build_record(buf, sizeof buf, KEV_DL_SUBCLASS, 99, 203, junk, 4);
    n += kev_build_record(buf + n, sizeof buf - n, 7, 1, 204, NULL, 0);
    kev__put_u32le(buf + 28 + 4, 7); /* second record: vendor 7, class 9 */
    kev__put_u32le(buf + 28 + 8, 9);
    write_batch(w, buf, n, NULL);
    printf("%u\tKEV_DL_SUBCLASS code 99, vendor 7 class 9 subclass 7 code 1\n", w->frames);
    memcpy(f.name, "e\x01n", 4);
    n = kev_build_event(buf, sizeof buf, KEV_DL_SUBCLASS, KEV_DL_IF_DETACHING, 205, &f);
    write_batch(w, buf, n, NULL);
    printf("%u\tKEV_DL_IF_DETACHING\n", w->frames);
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: %s OUT.pcapng [CONFIGD.txt]\n", argv[0]);
        return 2;
    }
    writer w = {fopen(argv[1], "wb"), 0, 0};
    if (w.f == NULL) {
        perror(argv[1]);
        return 1;
    }
    FILE *configd = argc == 3 ? fopen(argv[2], "w") : NULL;
    if (argc == 3 && configd == NULL) {
        perror(argv[2]);
        fclose(w.f);
        return 1;
    }
    write_headers(&w);
    write_table_rows(&w, configd);
    if (configd && fclose(configd) != 0)
        w.err = 1;
    write_multi(&w);
    write_special(&w);
    if (fclose(w.f) != 0 || w.err) {
        fprintf(stderr, "%s: write failed\n", argv[1]);
        return 1;
    }
    return 0;
}
