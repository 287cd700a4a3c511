/*
 * bench_capture.c: how fast `kevrr capture` records from a unix datagram
 * socket with no batch lost, beside a plain loop that receives and writes
 * the raw bytes (no compression, no trace format), in the same run.
 *
 * A fast sender (sendmmsg() where there is one, else send(); a blocking
 * AF_UNIX SOCK_DGRAM socket, so a full receive queue makes it wait and
 * nothing is dropped) sends N numbered 52-byte batches (a
 * KEV_DL_LINK_QUALITY_METRIC_CHANGED event each) to the receiver, which
 * exits after N batches (capture -c N, at its default compression level 1
 * and at --level 6). Printed per receiver: batches/s
 * from the first send to its exit, and its CPU time per batch (user +
 * system, from wait4()). It then checks the capture holds exactly N
 * batches. Figures, not a test: docs/benchmarks.md.
 *
 * Usage: bench_capture KEVRR [N]   (N default 1,000,000)
 */
#define _GNU_SOURCE /* sendmmsg, wait4 */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kevrr/trace.h"

#define BATCH_LEN 52u
#define SEND_VEC 64u
#define RUNS 3

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* A link-quality event with id i + 1. */
static void make_batch(uint8_t *b, uint32_t i)
{
    memset(b, 0, BATCH_LEN);
    put32(b, BATCH_LEN);
    put32(b + 4, 1);  /* Apple */
    put32(b + 8, 1);  /* network */
    put32(b + 12, 2); /* DL */
    put32(b + 16, i + 1);
    put32(b + 20, 20); /* LINK_QUALITY_METRIC_CHANGED */
    memcpy(b + 32, "en", 2);
    put32(b + 48, i % 100);
}

static int connect_to(const char *path)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    for (int tries = 0; tries < 500; tries++) {
        int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
            return fd;
        if (fd >= 0)
            close(fd);
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    return -1;
}

/* Sends n batches; 0 or -1. */
static int send_all(int fd, uint32_t n)
{
    static uint8_t bufs[SEND_VEC][BATCH_LEN];
    struct iovec iov[SEND_VEC];
    uint32_t i = 0;
#ifdef __linux__
    struct mmsghdr mm[SEND_VEC];
    while (i < n) {
        unsigned k = n - i < SEND_VEC ? n - i : SEND_VEC;
        for (unsigned j = 0; j < k; j++) {
            make_batch(bufs[j], i + j);
            iov[j].iov_base = bufs[j];
            iov[j].iov_len = BATCH_LEN;
            memset(&mm[j], 0, sizeof mm[j]);
            mm[j].msg_hdr.msg_iov = &iov[j];
            mm[j].msg_hdr.msg_iovlen = 1;
        }
        int sent = sendmmsg(fd, mm, k, 0);
        if (sent < 0 && errno != EINTR)
            return -1;
        i += sent > 0 ? (uint32_t)sent : 0;
    }
#else
    (void)iov;
    for (; i < n; i++) {
        make_batch(bufs[0], i);
        if (send(fd, bufs[0], BATCH_LEN, 0) < 0)
            return -1;
    }
#endif
    return 0;
}

/* The plain receiver: recv() then fwrite() of the raw bytes, n times. */
static void plain_loop(const char *sock, const char *out, uint32_t n)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    unlink(sock);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        _exit(2);
    FILE *f = fopen(out, "wb");
    static uint8_t buf[65536];
    for (uint32_t i = 0; f != NULL && i < n; i++) {
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r < 0 || fwrite(buf, 1, (size_t)r, f) != (size_t)r)
            _exit(3);
    }
    _exit(f != NULL && fclose(f) == 0 ? 0 : 4);
}

typedef struct result {
    double rate, cpu_us;
    int status;
} result;

/* Runs one receiver against the sender: the plain loop when `level` is
 * NULL, else kevrr capture at that compression level. */
static result run(const char *kevrr, const char *level, const char *sock, const char *out,
                  uint32_t n)
{
    result res = {0, 0, -1};
    char count[32];
    snprintf(count, sizeof count, "%" PRIu32, n);
    unlink(sock);
    pid_t pid = fork();
    if (pid == 0) {
        if (level == NULL)
            plain_loop(sock, out, n);
        char spec[160];
        snprintf(spec, sizeof spec, "unix:%s", sock);
        execl(kevrr, kevrr, "capture", "-q", "-i", spec, "-w", out, "-c", count,
              "--level", level, "--duration", "120s", (char *)NULL);
        _exit(127);
    }
    int fd = connect_to(sock);
    if (fd < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return res;
    }
    uint64_t t0 = mono_ns();
    int src = send_all(fd, n);
    struct rusage ru;
    int status;
    wait4(pid, &status, 0, &ru);
    uint64_t t1 = mono_ns();
    close(fd);
    double cpu = (double)ru.ru_utime.tv_sec * 1e6 + (double)ru.ru_utime.tv_usec +
                 (double)ru.ru_stime.tv_sec * 1e6 + (double)ru.ru_stime.tv_usec;
    res.rate = (double)n / ((double)(t1 - t0) / 1e9);
    res.cpu_us = cpu / n;
    res.status = src == 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return res;
}

/* Batches in a trace (must be n, in order). */
static uint64_t trace_batches(const char *path, uint32_t n, bool *in_order)
{
    int err;
    kev_trace_reader *r = kev_trace_open(path, 0, &err, NULL);
    kev_trace_rec rec;
    uint64_t count = 0;
    uint8_t want[BATCH_LEN];
    *in_order = r != NULL;
    while (r != NULL && kev_trace_next(r, &rec) == 1) {
        make_batch(want, (uint32_t)count);
        if (count >= n || rec.caplen != BATCH_LEN || memcmp(rec.data, want, BATCH_LEN) != 0)
            *in_order = false;
        count++;
    }
    kev_trace_close(r);
    return count;
}

/* The receivers, in the order they run (each run, all of them). */
static const struct {
    const char *label;
    const char *level; /* NULL: the plain loop */
} receivers[] = {
    {"plain recv+fwrite:", NULL},
    {"kevrr capture:", "1"}, /* the default level */
    {"capture --level 6:", "6"},
};
#define N_RECEIVERS (sizeof receivers / sizeof receivers[0])

/* Runs every receiver RUNS times, keeping the best rate of each; checks
 * every trace holds the n batches sent, in order. Returns 0, or 1 when a
 * run failed or lost a batch. */
static int run_all(const char *kevrr, const char *sock, const char *out, const char *raw,
                   uint32_t n, result best[N_RECEIVERS], long long size[N_RECEIVERS])
{
    int bad = 0;
    for (int k = 0; k < RUNS; k++)
        for (size_t i = 0; i < N_RECEIVERS; i++) {
            const char *path = receivers[i].level ? out : raw;
            result r = run(kevrr, receivers[i].level, sock, path, n);
            bool ordered = true;
            uint64_t got = receivers[i].level ? trace_batches(out, n, &ordered) : n;
            if (r.status != 0 || got != n || !ordered) {
                fprintf(stderr, "run %d, %s exit %d, %" PRIu64 " batches captured%s\n", k,
                        receivers[i].label, r.status, got, ordered ? "" : ", not the ones sent");
                bad = 1;
            }
            struct stat st;
            size[i] = stat(path, &st) == 0 ? (long long)st.st_size : 0;
            if (r.rate > best[i].rate)
                best[i] = r;
        }
    return bad;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_capture KEVRR [N]\n");
        return 2;
    }
    uint32_t n = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 1000000u;
    char dir[] = "/tmp/kevrr-bench-capture-XXXXXX", sock[96], out[96], raw[96];
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(sock, sizeof sock, "%s/s.sock", dir);
    snprintf(out, sizeof out, "%s/cap.kev", dir);
    snprintf(raw, sizeof raw, "%s/plain.bin", dir);
    signal(SIGPIPE, SIG_IGN);
    printf("bench_capture: %" PRIu32 " batches of %u bytes, blocking AF_UNIX datagrams, best of "
           "%d runs\n",
           n, BATCH_LEN, RUNS);
    result best[N_RECEIVERS] = {{0, 0, 0}};
    long long size[N_RECEIVERS] = {0};
    int bad = run_all(argv[1], sock, out, raw, n, best, size);
    for (size_t i = 0; i < N_RECEIVERS; i++) {
        printf("%-20s %10.0f batches/s  %6.2f us CPU/batch", receivers[i].label, best[i].rate,
               best[i].cpu_us);
        if (i > 0 && best[0].rate > 0 && size[i] > 0)
            printf("  (%.2f x plain; file %lld bytes, %.1f:1)", best[i].rate / best[0].rate,
                   size[i], (double)size[0] / (double)size[i]);
        printf("\n");
    }
    printf("lost batches:        %s\n", bad ? "SOME (see above)" : "none");
    unlink(out);
    unlink(raw);
    unlink(sock);
    rmdir(dir);
    return bad;
}
