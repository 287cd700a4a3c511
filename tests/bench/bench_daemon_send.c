/*
 * bench_daemon_send.c: a fast sender for kevmond's soak test and benchmark.
 * Sends N datagrams to an AF_UNIX datagram socket as fast as the receiver
 * takes them (blocking sends: a full receive queue makes the sender wait,
 * so nothing is lost and the rate measured is the receiver's), cycling
 * through the batches of a trace, with a given percentage replaced by
 * malformed batches built from them. The output depends only on the
 * arguments (a fixed PRNG), so runs are repeatable.
 *
 * usage: bench_daemon_send TRACE SOCKET N [MALFORMED_PERCENT [SEED]]
 * Prints one line: "sent N batches (M malformed, B bytes) in S s: R batches/s".
 * Exit 0, 1 on an error (said on stderr), 2 usage.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, socket */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "kevrr/kevrr.h"
#include "kevrr/trace.h"

/* Batches taken from the trace (the cycle), and the largest one kept. */
#define MAX_CYCLE 100000u
#define MAX_BATCH KEV_MAX_BATCH
/* The malformed variants, cycled through by the PRNG. */
#define N_VARIANTS 6u

typedef struct batch {
    uint8_t *p;
    uint32_t n;
} batch;

static uint64_t rng_state;

/* xorshift64*: a fixed, portable sequence. */
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* A malformed copy of `b` into out; returns its length. Each variant is a
 * kind of damage the hardened core must refuse with a diagnostic. */
static uint32_t malform(const batch *b, uint8_t *out)
{
    uint32_t n = b->n < MAX_BATCH ? b->n : MAX_BATCH;
    memcpy(out, b->p, n);
    unsigned v = (unsigned)(rng() % N_VARIANTS);
    if (n < KEV_MSG_HEADER_SIZE)
        v = 4;
    switch (v) {
    case 0: /* total_size 0: configd's D1 hang */
        put_u32(out, 0);
        return n;
    case 1: /* total_size below the header */
        put_u32(out, 12);
        return n;
    case 2: /* total_size past the batch */
        put_u32(out, n + 1 + (uint32_t)(rng() % 4096));
        return n;
    case 3: /* cut inside the header */
        return (uint32_t)(rng() % KEV_MSG_HEADER_SIZE);
    case 4: /* garbage of a random length */
    {
        uint32_t len = 1 + (uint32_t)(rng() % 256);
        for (uint32_t i = 0; i < len; i++)
            out[i] = (uint8_t)rng();
        return len;
    }
    default: /* the payload cut short (header says more than there is) */
        return n > KEV_MSG_HEADER_SIZE + 1 ? KEV_MSG_HEADER_SIZE + 1 : n;
    }
}

static int load(const char *path, batch *cycle, size_t *n)
{
    int err = 0;
    kev_trace_reader *r = kev_trace_open(path, 0, &err, NULL);
    if (r == NULL) {
        fprintf(stderr, "bench_daemon_send: %s: cannot read: %s\n", path,
                kev_strerror(err));
        return -1;
    }
    kev_trace_rec rec;
    *n = 0;
    while (*n < MAX_CYCLE && kev_trace_next(r, &rec) == 1) {
        if (rec.kind != KEV_TR_BATCH || rec.caplen == 0)
            continue;
        uint32_t len = rec.caplen < MAX_BATCH ? rec.caplen : MAX_BATCH;
        cycle[*n].p = malloc(len);
        if (cycle[*n].p == NULL)
            break;
        memcpy(cycle[*n].p, rec.data, len);
        cycle[(*n)++].n = len;
    }
    kev_trace_close(r);
    if (*n == 0) {
        fprintf(stderr, "bench_daemon_send: %s: no batches\n", path);
        return -1;
    }
    return 0;
}

static int dest(const char *path)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa.sun_path) {
        fprintf(stderr, "bench_daemon_send: %s: path too long\n", path);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0 || connect(fd, (const struct sockaddr *)&sa, sizeof sa) != 0) {
        fprintf(stderr, "bench_daemon_send: %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 6) {
        fprintf(stderr,
                "usage: bench_daemon_send TRACE SOCKET N [MALFORMED_PERCENT [SEED]]\n");
        return 2;
    }
    uint64_t total = strtoull(argv[3], NULL, 10);
    unsigned pct = argc > 4 ? (unsigned)strtoul(argv[4], NULL, 10) : 0;
    rng_state = argc > 5 ? strtoull(argv[5], NULL, 10) : 1;
    if (rng_state == 0 || pct > 100) {
        fprintf(stderr, "bench_daemon_send: SEED must be non-zero, PERCENT at most 100\n");
        return 2;
    }
    static batch cycle[MAX_CYCLE];
    static uint8_t bad[MAX_BATCH];
    size_t n = 0;
    if (load(argv[1], cycle, &n) != 0)
        return 1;
    int fd = dest(argv[2]);
    if (fd < 0)
        return 1;
    uint64_t malformed = 0, bytes = 0;
    double t0 = now_s();
    for (uint64_t i = 0; i < total; i++) {
        const batch *b = &cycle[i % n];
        const uint8_t *p = b->p;
        uint32_t len = b->n;
        /* Exactly pct in every 100 batches (the first pct of each hundred). */
        if (pct && (i % 100) < pct) {
            len = malform(b, bad);
            p = bad;
            malformed++;
        }
        ssize_t w;
        while ((w = send(fd, p, len, 0)) < 0 && (errno == EINTR || errno == ENOBUFS))
            ;
        if (w < 0) {
            fprintf(stderr, "bench_daemon_send: send %" PRIu64 ": %s\n", i,
                    strerror(errno));
            return 1;
        }
        bytes += len;
    }
    double dt = now_s() - t0;
    printf("sent %" PRIu64 " batches (%" PRIu64 " malformed, %" PRIu64 " bytes) in %.3f s: "
           "%.0f batches/s\n",
           total, malformed, bytes, dt, dt > 0 ? (double)total / dt : 0.0);
    close(fd);
    for (size_t i = 0; i < n; i++)
        free(cycle[i].p);
    return 0;
}
