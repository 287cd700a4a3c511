/*
 * bench_core.c: throughput of the event-processing core and the cost of
 * resetting a world. Prints figures; asserts nothing (targets are judged by
 * a person reading them: docs/benchmarks.md).
 *
 * The mix is what a Mac's kernel delivers, one event per recv() batch:
 * interfaces attaching, link on, IPv4 and IPv6 addresses added and deleted,
 * link-quality changes, link off, detach. Batches are built before timing.
 *
 * usage: bench_core [EVENTS [PROFILE on|off]]   (default 2,000,000 events,
 * every profile with and without the report; naming one configuration
 * runs only that, for profiling)
 */
#define _POSIX_C_SOURCE 199309L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kevrr/kevrr.h"

typedef struct batch {
    uint32_t len;
    uint8_t bytes[KEV_MSG_HEADER_SIZE + KEV_SZ_IN6_DATA];
} batch;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void add(batch *b, size_t *n, uint32_t sub, uint32_t code, const kev_fields *f)
{
    b[*n].len = (uint32_t)kev_build_event(b[*n].bytes, sizeof b[*n].bytes, sub, code,
                                          (uint32_t)*n + 1, f);
    (*n)++;
}

/* One life of interface `i`: 12 events. */
static void life(batch *b, size_t *n, unsigned i, unsigned round)
{
    kev_fields f;
    memset(&f, 0, sizeof f);
    kev_fields_name(&f, i % 2 ? "en" : "utun", i);
    f.addr4[0] = 10;
    f.addr4[1] = (uint8_t)i;
    f.addr4[3] = (uint8_t)(round % 250 + 2);
    f.prefix4 = 24;
    f.addr6[0] = 0x20;
    f.addr6[1] = 0x01;
    f.addr6[15] = (uint8_t)(round + 1);
    f.prefix6 = 64;
    f.flags6 = 0x40;
    add(b, n, KEV_DL_SUBCLASS, KEV_DL_IF_ATTACHED, &f);
    add(b, n, KEV_DL_SUBCLASS, KEV_DL_LINK_ON, &f);
    add(b, n, KEV_INET_SUBCLASS, KEV_INET_NEW_ADDR, &f);
    add(b, n, KEV_INET6_SUBCLASS, KEV_INET6_NEW_USER_ADDR, &f);
    for (int q = 0; q < 3; q++) {
        f.lqm = 50 + 25 * q;
        add(b, n, KEV_DL_SUBCLASS, KEV_DL_LINK_QUALITY_METRIC_CHANGED, &f);
    }
    add(b, n, KEV_INET_SUBCLASS, KEV_INET_ADDR_DELETED, &f);
    add(b, n, KEV_INET6_SUBCLASS, KEV_INET6_ADDR_DELETED, &f);
    add(b, n, KEV_DL_SUBCLASS, KEV_DL_LINK_OFF, &f);
    add(b, n, KEV_DL_SUBCLASS, KEV_DL_IF_DETACHING, &f);
    add(b, n, KEV_DL_SUBCLASS, KEV_DL_IF_DETACHED, &f);
}

static batch *make_mix(size_t want, size_t *n)
{
    batch *b = malloc((want + 12) * sizeof *b);
    if (b == NULL)
        return NULL;
    *n = 0;
    for (unsigned round = 0; *n < want; round++)
        life(b, n, round % 8, round / 8);
    return b;
}

/* Repetitions per configuration: the median is printed. */
#define REPS 5

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void count_sink(void *ctx, const char *p, size_t len)
{
    (void)p;
    *(size_t *)ctx += len;
}

/* Feeds the mix once; returns seconds. */
static double run_mix(kev_profile p, bool report, const batch *b, size_t n, size_t *bytes)
{
    kev_world_opts o;
    kev_world_opts_init(&o);
    o.profile = p;
    if (report) {
        o.sink.write = count_sink;
        o.sink.ctx = bytes;
    }
    kev_world *w = kev_world_new(&o);
    if (w == NULL)
        return -1;
    uint64_t t = 1700000000000000000ull;
    double t0 = now_s();
    for (size_t i = 0; i < n; i++, t += 10000000u)
        kev_world_feed(w, b[i].bytes, b[i].len, t);
    double dt = now_s() - t0;
    kev_world_free(w);
    return dt;
}

/* Mean cost of kev_world_reset after touching `ifs` interfaces. */
static double reset_cost(unsigned ifs, int reps)
{
    kev_world_opts o;
    kev_world_opts_init(&o);
    kev_world *w = kev_world_new(&o);
    batch bt;
    kev_fields f;
    double total = 0;
    memset(&f, 0, sizeof f);
    for (int r = 0; r < reps; r++) {
        uint64_t t = 1700000000000000000ull;
        for (unsigned i = 0; i < ifs; i++) {
            kev_fields_name(&f, "en", i);
            bt.len = (uint32_t)kev_build_event(bt.bytes, sizeof bt.bytes, KEV_DL_SUBCLASS,
                                               KEV_DL_IF_ATTACHED, 1, &f);
            kev_world_feed(w, bt.bytes, bt.len, t += 1000);
        }
        double t0 = now_s();
        kev_world_reset(w);
        total += now_s() - t0;
    }
    kev_world_free(w);
    return total / reps;
}

int main(int argc, char **argv)
{
    size_t want = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000000;
    size_t n;
    batch *b = make_mix(want, &n);
    if (b == NULL) {
        fprintf(stderr, "bench_core: out of memory\n");
        return 1;
    }
    printf("kevrr core benchmark: %zu events, one per batch (attach, link on, inet/inet6 "
           "add+del, 3x lqm, link off, detaching, detach)\n",
           n);
    printf("each figure: the median of %d runs (best in brackets); the machine is shared\n",
           REPS);
    printf("%-10s %-8s %12s %12s %12s %14s\n", "profile", "report", "events/s", "ns/event",
           "(best ns)", "report MB/s");
    static const kev_profile profiles[] = {KEV_PROFILE_HARDENED, KEV_PROFILE_V963,
                                           KEV_PROFILE_V888};
    if (argc > 3) {
        kev_profile p;
        size_t bytes = 0;
        if (kev_profile_parse(argv[2], &p) != 0)
            return 2;
        double dt = run_mix(p, strcmp(argv[3], "on") == 0, b, n, &bytes);
        printf("%s %s: %.0f events/s\n", argv[2], argv[3], (double)n / dt);
        free(b);
        return 0;
    }
    for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++) {
        for (int rep = 0; rep < 2; rep++) {
            double dts[REPS];
            size_t bytes = 0;
            for (int k = 0; k < REPS; k++) {
                bytes = 0;
                dts[k] = run_mix(profiles[i], rep == 1, b, n, &bytes);
            }
            qsort(dts, REPS, sizeof dts[0], cmp_double);
            double dt = dts[REPS / 2];
            printf("%-10s %-8s %12.0f %12.1f %12.1f %14.1f\n", kev_profile_name(profiles[i]),
                   rep ? "on" : "off", (double)n / dt, dt * 1e9 / (double)n,
                   dts[0] * 1e9 / (double)n, rep ? (double)bytes / dt / 1e6 : 0.0);
        }
    }
    printf("\nreset cost (hardened), by state touched since the last reset:\n");
    static const unsigned sizes[] = {0, 1, 10, 100, 200};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        printf("  %3u interfaces attached: %9.0f ns per reset\n", sizes[i],
               reset_cost(sizes[i], 200) * 1e9);
    free(b);
    return 0;
}
