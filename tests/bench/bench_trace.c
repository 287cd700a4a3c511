/*
 * bench_trace.c: throughput of the trace writer and reader, and the size
 * of a trace, each beside gzip on the same pcapng bytes. Prints figures;
 * asserts nothing (docs/benchmarks.md, "Trace files", says what they are
 * judged against: reading at least as fast as `gzip -dc`, BGZF at most 5%
 * larger than `gzip -6`).
 *
 * The trace is what a busy Mac's kernel delivers, one kern_event_msg per
 * recv() batch, built with kevrr/build.h before timing: link-quality
 * changes, IPv6 and IPv4 address events, ND6, link on/off, interfaces
 * coming and going, protocol attach/detach, link issues, ARP, RRC state,
 * over 16 interfaces, with random addresses and ids in sequence, and
 * timestamps in bursts (0.1 to 5 ms apart), pauses (10 to 500 ms) and
 * idle stretches (1 to 10 s).
 *
 * Each timing is the median of 3 runs. Writer and reader figures count
 * uncompressed pcapng bytes per second (what the reader hands out, what
 * the writer takes in), as do the gzip figures, so the rates compare.
 * gzip runs through system() on files in a temporary directory.
 *
 * usage: bench_trace [BATCHES [KEEP.trace]]   (default 2,000,000; KEEP
 * keeps the trace, e.g. for `kevrr plot`)
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, clock_gettime */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "kevrr/kevrr.h"
#include "kevrr/scenario.h"
#include "kevrr/trace.h"

#define REPS 3

/* The generated batches: bytes in one arena, an index beside it. */
typedef struct mix {
    uint8_t *bytes;
    size_t used, cap;
    uint32_t *off, *len;
    uint64_t *t;
    size_t n;
} mix;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static uint32_t rnd_below(uint32_t n)
{
    return (uint32_t)(rnd() % n);
}

static const struct {
    const char *name;
    uint32_t unit;
} ifaces[16] = {{"en", 0},       {"en", 1},     {"en", 2},     {"en", 3},
                {"utun", 0},     {"utun", 1},   {"utun", 2},   {"utun", 3},
                {"utun", 4},     {"utun", 5},   {"awdl", 0},   {"llw", 0},
                {"bridge", 100}, {"pdp_ip", 0}, {"pdp_ip", 1}, {"lo", 0}};

/* Event mix: (subclass, code) and a relative weight. */
static const struct {
    uint32_t subclass, code, weight;
} events[] = {
    {KEV_DL_SUBCLASS, KEV_DL_LINK_QUALITY_METRIC_CHANGED, 22},
    {KEV_INET6_SUBCLASS, KEV_INET6_NEW_USER_ADDR, 6},
    {KEV_INET6_SUBCLASS, KEV_INET6_CHANGED_ADDR, 6},
    {KEV_INET6_SUBCLASS, KEV_INET6_ADDR_DELETED, 4},
    {KEV_INET6_SUBCLASS, KEV_INET6_NEW_LL_ADDR, 2},
    {KEV_INET6_SUBCLASS, KEV_INET6_NEW_RTADV_ADDR, 2},
    {KEV_ND6_SUBCLASS, KEV_ND6_RA, 4},
    {KEV_ND6_SUBCLASS, KEV_ND6_DAD_SUCCESS, 3},
    {KEV_ND6_SUBCLASS, KEV_ND6_ADDR_DEPRECATED, 2},
    {KEV_ND6_SUBCLASS, KEV_ND6_NDALIVE, 1},
    {KEV_INET_SUBCLASS, KEV_INET_NEW_ADDR, 5},
    {KEV_INET_SUBCLASS, KEV_INET_CHANGED_ADDR, 2},
    {KEV_INET_SUBCLASS, KEV_INET_ADDR_DELETED, 3},
    {KEV_DL_SUBCLASS, KEV_DL_LINK_ON, 5},
    {KEV_DL_SUBCLASS, KEV_DL_LINK_OFF, 5},
    {KEV_DL_SUBCLASS, KEV_DL_IF_ATTACHED, 3},
    {KEV_DL_SUBCLASS, KEV_DL_IF_DETACHING, 2},
    {KEV_DL_SUBCLASS, KEV_DL_IF_DETACHED, 3},
    {KEV_DL_SUBCLASS, KEV_DL_PROTO_ATTACHED, 3},
    {KEV_DL_SUBCLASS, KEV_DL_PROTO_DETACHED, 2},
    {KEV_DL_SUBCLASS, KEV_DL_ISSUES, 3},
    {KEV_DL_SUBCLASS, KEV_DL_IF_IDLE_ROUTE_REFCNT, 1},
    {KEV_DL_SUBCLASS, KEV_DL_RRC_STATE_CHANGED, 2},
    {KEV_INET_SUBCLASS, KEV_INET_ARPCOLLISION, 1},
    {KEV_INET_SUBCLASS, KEV_INET_ARPRTRALIVE, 2},
};

/* Fields for one event on interface `i`: addresses drawn at random. */
static void random_fields(kev_fields *f, unsigned i)
{
    static const int32_t lqms[] = {-2, -1, 10, 20, 50, 100};
    memset(f, 0, sizeof *f);
    kev_fields_name(f, ifaces[i].name, ifaces[i].unit);
    f->addr4[0] = 192;
    f->addr4[1] = 168;
    f->addr4[2] = (uint8_t)rnd_below(4);
    f->addr4[3] = (uint8_t)(2 + rnd_below(250));
    f->prefix4 = 24;
    f->addr6[0] = rnd_below(2) ? 0xfe : 0x20;
    f->addr6[1] = f->addr6[0] == 0xfe ? 0x80 : 0x01;
    for (int k = 8; k < 16; k++)
        f->addr6[k] = (uint8_t)rnd();
    f->prefix6 = 64;
    f->flags6 = rnd_below(4) ? 0x40 : 0x02;
    for (int k = 0; k < 6; k++)
        f->mac[k] = f->hw[k] = (uint8_t)rnd();
    f->hw_len = 6;
    f->lqm = lqms[rnd_below(6)];
    f->proto_family = rnd_below(2) ? 2 : 30;
    f->remaining = rnd_below(3);
    f->timestamp = 1700000000u + rnd_below(100000);
    f->rrc_state = rnd_below(3);
    f->nd6_val = rnd_below(3600);
}

/* The gap before the next batch: bursts, pauses, idle stretches. */
static uint64_t random_gap(void)
{
    uint32_t r = rnd_below(100);
    if (r < 70)
        return 100000u + rnd_below(4900000u);
    if (r < 95)
        return 10000000u + rnd_below(490000000u);
    return 1000000000ull + rnd_below(9000000u) * 1000ull;
}

static int add_batch(mix *m, uint32_t id, uint64_t t)
{
    static uint32_t total;
    if (total == 0)
        for (size_t k = 0; k < sizeof events / sizeof events[0]; k++)
            total += events[k].weight;
    uint32_t w = rnd_below(total), i = 0;
    while (w >= events[i].weight)
        w -= events[i++].weight;
    kev_fields f;
    random_fields(&f, rnd_below(16));
    if (m->cap - m->used < 512)
        return -1;
    size_t n = kev_build_event(m->bytes + m->used, 512, events[i].subclass, events[i].code,
                               id, &f);
    if (n == 0)
        return -1;
    m->off[m->n] = (uint32_t)m->used;
    m->len[m->n] = (uint32_t)n;
    m->t[m->n++] = t;
    m->used += n;
    return 0;
}

static int make_mix(mix *m, size_t want)
{
    memset(m, 0, sizeof *m);
    m->cap = want * 200 + 512;
    m->bytes = malloc(m->cap);
    m->off = malloc(want * sizeof *m->off);
    m->len = malloc(want * sizeof *m->len);
    m->t = malloc(want * sizeof *m->t);
    if (!m->bytes || !m->off || !m->len || !m->t)
        return -1;
    uint64_t t = KEV_SCENARIO_T0_NS;
    for (size_t k = 0; k < want; k++, t += random_gap())
        if (add_batch(m, (uint32_t)k + 1, t) != 0)
            return -1;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v)
{
    qsort(v, REPS, sizeof v[0], cmp_double);
    return v[REPS / 2];
}

/* Writes the whole mix as a trace at `path`; returns seconds (-1 on error). */
static double write_trace(const mix *m, const char *path)
{
    double t0 = now_s();
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    kev_trace_meta meta;
    memset(&meta, 0, sizeof meta);
    meta.source = "bench_trace";
    meta.tool = "kevrr " KEVRR_VERSION_STRING;
    meta.start_ns = m->t[0];
    int err;
    kev_trace_writer *w = kev_trace_writer_open(f, &meta, &err);
    for (size_t k = 0; w && k < m->n; k++)
        err = kev_trace_write_batch(w, m->t[k], m->bytes + m->off[k], m->len[k], m->len[k]);
    err = w ? kev_trace_writer_close(w, m->t[m->n - 1]) : err;
    if (fclose(f) != 0 || err != 0)
        return -1;
    return now_s() - t0;
}

/* Reads the trace, touching every byte of every record; returns seconds
 * (-1 on error), the uncompressed bytes and the members. */
static double read_trace(const char *path, size_t want, uint64_t *raw, uint64_t *members)
{
    double t0 = now_s();
    int err;
    kev_trace_reader *r = kev_trace_open(path, 0, &err, NULL);
    if (r == NULL)
        return -1;
    kev_trace_rec rec;
    uint64_t n = 0, sum = 0;
    while (kev_trace_next(r, &rec) == 1) {
        for (uint32_t k = 0; k < rec.caplen; k++)
            sum += rec.data[k];
        n++;
    }
    bool ok = kev_trace_end(r, NULL)->status == KEV_TS_OK && n == want;
    kev_trace_reader_stats(r, members, NULL, raw);
    kev_trace_close(r);
    double dt = now_s() - t0;
    if (sum == 1) /* keeps the loop from being optimised away */
        printf(" ");
    return ok ? dt : -1;
}

/* Runs a shell command; returns seconds (-1 when it fails). */
static double timed(const char *cmd)
{
    double t0 = now_s();
    int rc = system(cmd);
    return rc == 0 ? now_s() - t0 : -1;
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* The figures of one benchmark run over a mix. */
typedef struct figures {
    double write_s, read_s, gzip_s, gunzip_s;
    uint64_t raw, members;
    long long trace_size, gzip_size;
} figures;

/* Times each job REPS times (median) in directory `dir`. 0 or -1. */
static int measure(const mix *m, const char *dir, figures *fg)
{
    char trace[512], raw[512], cmd[2048];
    double w[REPS], r[REPS], gz[REPS], gunz[REPS];
    snprintf(trace, sizeof trace, "%s/bench.trace", dir);
    snprintf(raw, sizeof raw, "%s/bench.pcapng", dir);
    for (int k = 0; k < REPS; k++)
        if ((w[k] = write_trace(m, trace)) < 0)
            return -1;
    for (int k = 0; k < REPS; k++)
        if ((r[k] = read_trace(trace, m->n, &fg->raw, &fg->members)) < 0)
            return -1;
    /* The same pcapng bytes, uncompressed, then through gzip. */
    snprintf(cmd, sizeof cmd, "gzip -dc '%s' > '%s'", trace, raw);
    if (timed(cmd) < 0 || (uint64_t)file_size(raw) != fg->raw)
        return -1;
    snprintf(cmd, sizeof cmd, "gzip -6 -c '%s' > '%s.gz'", raw, raw);
    for (int k = 0; k < REPS; k++)
        if ((gz[k] = timed(cmd)) < 0)
            return -1;
    snprintf(cmd, sizeof cmd, "gzip -dc '%s.gz' > /dev/null", raw);
    for (int k = 0; k < REPS; k++)
        if ((gunz[k] = timed(cmd)) < 0)
            return -1;
    fg->write_s = median(w);
    fg->read_s = median(r);
    fg->gzip_s = median(gz);
    fg->gunzip_s = median(gunz);
    fg->trace_size = file_size(trace);
    snprintf(raw, sizeof raw, "%s/bench.pcapng.gz", dir);
    fg->gzip_size = file_size(raw);
    return 0;
}

static void print_figures(const figures *fg, size_t n)
{
    double mb = (double)fg->raw / 1e6;
    printf("%-22s %10s %12s\n", "job", "MB/s", "batches/s");
    printf("%-22s %10.1f %12.0f\n", "kevrr trace writer", mb / fg->write_s,
           (double)n / fg->write_s);
    printf("%-22s %10.1f %12.0f\n", "kevrr trace reader", mb / fg->read_s,
           (double)n / fg->read_s);
    printf("%-22s %10.1f %12.0f\n", "gzip -6", mb / fg->gzip_s, (double)n / fg->gzip_s);
    printf("%-22s %10.1f %12.0f\n", "gzip -dc", mb / fg->gunzip_s,
           (double)n / fg->gunzip_s);
    double over = 100.0 * (double)(fg->trace_size - fg->gzip_size) / (double)fg->gzip_size;
    printf(
        "\nsizes: pcapng %llu bytes; trace (BGZF) %lld bytes (%.2f:1); gzip -6 %lld bytes "
        "(%.2f:1)\n",
        (unsigned long long)fg->raw, fg->trace_size,
        (double)fg->raw / (double)fg->trace_size, fg->gzip_size,
        (double)fg->raw / (double)fg->gzip_size);
    printf("BGZF size overhead over gzip -6: %+.2f%% (target: at most +5%%: %s)\n", over,
           over <= 5.0 ? "met" : "missed");
    /* Where it goes: each member's 40-byte header and 8-byte trailer (one
     * gzip stream has 18 bytes of both), and deflate starting each member
     * with an empty dictionary. */
    long long framing = (long long)fg->members * 48 - 18;
    printf(
        "  of which member framing: %llu members x 48 bytes = %+.2f%%; deflate restarting "
        "every %u bytes: %+.2f%%\n",
        (unsigned long long)fg->members, 100.0 * (double)framing / (double)fg->gzip_size,
        KEV_BGZF_MAX_DATA,
        100.0 * (double)(fg->trace_size - fg->gzip_size - framing) / (double)fg->gzip_size);
    printf("reading vs gzip -dc: %.2fx (target: at least 1x: %s)\n",
           fg->gunzip_s / fg->read_s, fg->read_s <= fg->gunzip_s ? "met" : "missed");
}

int main(int argc, char **argv)
{
    size_t want = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000000;
    const char *keep = argc > 2 ? argv[2] : NULL;
    char dir[] = "/tmp/bench_trace.XXXXXX";
    mix m;
    if (want == 0 || make_mix(&m, want) != 0 || mkdtemp(dir) == NULL) {
        fprintf(stderr, "bench_trace: out of memory or no temporary directory\n");
        return 1;
    }
    printf("kevrr trace benchmark: %zu batches, one kern_event_msg each (%.1f bytes on "
           "average), over %.0f s of trace time\n",
           m.n, (double)m.used / (double)m.n, (double)(m.t[m.n - 1] - m.t[0]) / 1e9);
    printf("each timing: the median of %d runs; MB/s count uncompressed pcapng bytes\n\n",
           REPS);
    figures fg;
    int rc = measure(&m, dir, &fg);
    if (rc == 0)
        print_figures(&fg, m.n);
    else
        fprintf(stderr, "bench_trace: a job failed (see above)\n");
    char cmd[1024];
    if (rc == 0 && keep != NULL) {
        snprintf(cmd, sizeof cmd, "cp '%s/bench.trace' '%s'", dir, keep);
        rc = system(cmd) == 0 ? 0 : -1;
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_trace: could not remove %s\n", dir);
    free(m.bytes);
    free(m.off);
    free(m.len);
    free(m.t);
    return rc == 0 ? 0 : 1;
}
