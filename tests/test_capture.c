/*
 * test_capture.c: the live sources (capture/source.h) and the rotating
 * recorder (capture/recorder.h) on real sockets and files: MSG_TRUNC with
 * the true length kept, EAGAIN on a non-blocking source, errno names, the
 * Darwin source compiled against stub headers (its filter parse and its
 * failure on a system without PF_SYSTEM), rotation by time with a ring,
 * the first SIGHUP-style rotation renaming the file, the flush interval,
 * a file size limit (EFBIG: sticky, the file readable up to it), and the
 * interface snapshot loading back.
 */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostinfo.h"
#include "kev_test.h"
#include "kevrr/kernel.h"
#include "recorder.h"
#include "source.h"
#include "source_impl.h"

#define S 1000000000ull

/* ---------------------------------------------------------------- helpers */

/* A fresh temporary directory; the caller frees the name. */
static char *tmp_dir(void)
{
    char *p = malloc(64);
    snprintf(p, 64, "/tmp/kevrr-test-capture-XXXXXX");
    if (mkdtemp(p) == NULL)
        abort();
    return p;
}

static void rm_dir(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Reads a trace: its batches, the first byte of each into firsts (up to
 * n), and how it ended. */
static uint64_t read_trace(const char *path, uint8_t *firsts, size_t n, kev_trace_status *end)
{
    int err;
    kev_trace_reader *r = kev_trace_open(path, 0, &err, NULL);
    ASSERT_NOT_NULL(r);
    kev_trace_rec rec;
    uint64_t count = 0;
    while (kev_trace_next(r, &rec) == 1) {
        if (count < n && rec.caplen > 0)
            firsts[count] = rec.data[0];
        count++;
    }
    *end = kev_trace_end(r, NULL)->status;
    kev_trace_close(r);
    return count;
}

/* A datagram socketpair; [0] becomes the source through fd:N. */
static kev_source *pair_source(int sv[2], bool nonblock)
{
    char spec[32], err[KEV_SOURCE_MAX_ERROR];
    kev_source *s = NULL;
    ASSERT_EQ_INT(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
    snprintf(spec, sizeof spec, "fd:%d", sv[0]);
    kev_source_opts o = {0, nonblock};
    ASSERT_EQ_INT(kev_source_open(spec, &o, &s, err, sizeof err), 0);
    ASSERT_EQ_STR(kev_source_spec(s), spec);
    ASSERT_NULL(kev_source_filter(s));
    return s;
}

/* ---------------------------------------------------------------- sources */

KEV_TEST(source_truncation_keeps_true_length)
{
    int sv[2];
    kev_source *s = pair_source(sv, false);
    uint8_t out[300], buf[100];
    for (size_t i = 0; i < sizeof out; i++)
        out[i] = (uint8_t)i;
    ASSERT_EQ_INT((int)send(sv[1], out, sizeof out, 0), 300);
    ASSERT_EQ_INT((int)send(sv[1], out, 40, 0), 40);
    kev_recv r;
    kev_source_recv(s, buf, sizeof buf, &r);
    ASSERT_EQ_INT(r.kind, KEV_RECV_BATCH);
    ASSERT_EQ_U64(r.caplen, 100);
    ASSERT_EQ_U64(r.origlen, 300); /* the true length, not the buffer's */
    ASSERT_EQ_MEM(buf, out, 100);
    /* The rest of the long datagram is gone: the next is the short one. */
    kev_source_recv(s, buf, sizeof buf, &r);
    ASSERT_EQ_INT(r.kind, KEV_RECV_BATCH);
    ASSERT_EQ_U64(r.caplen, 40);
    ASSERT_EQ_U64(r.origlen, 40);
    kev_source_close(s);
    close(sv[1]);
}

KEV_TEST(source_nonblock_empty_is_transient_eagain)
{
    int sv[2];
    kev_source *s = pair_source(sv, true);
    uint8_t buf[16];
    kev_recv r;
    kev_source_recv(s, buf, sizeof buf, &r);
    ASSERT_EQ_INT(r.kind, KEV_RECV_TRANSIENT);
    ASSERT_TRUE(r.err == EAGAIN || r.err == EWOULDBLOCK);
    ASSERT_EQ_STR(kev_errno_name(r.err), "EAGAIN");
    kev_source_close(s);
    close(sv[1]);
}

KEV_TEST(source_unix_bind_and_unlink)
{
    char *dir = tmp_dir(), spec[128], path[96], err[KEV_SOURCE_MAX_ERROR];
    snprintf(path, sizeof path, "%s/k.sock", dir);
    snprintf(spec, sizeof spec, "unix:%s", path);
    kev_source *s = NULL;
    ASSERT_EQ_INT(kev_source_open(spec, NULL, &s, err, sizeof err), 0);
    ASSERT_TRUE(exists(path));
    kev_source_close(s);
    ASSERT_FALSE(exists(path));
    /* A regular file at the path is not replaced: bind fails, named. */
    FILE *f = fopen(path, "w");
    ASSERT_NOT_NULL(f);
    fclose(f);
    ASSERT_EQ_INT(kev_source_open(spec, NULL, &s, err, sizeof err), -1);
    ASSERT_CONTAINS(err, "k.sock: bind: Address already in use");
    ASSERT_TRUE(exists(path));
    rm_dir(dir);
    free(dir);
}

KEV_TEST(source_errors_are_named)
{
    char err[KEV_SOURCE_MAX_ERROR];
    kev_source *s = NULL;
    ASSERT_EQ_INT(kev_source_open("fd:x", NULL, &s, err, sizeof err), -1);
    ASSERT_EQ_STR(err, "fd:x: expected fd:N, N a file descriptor number");
    ASSERT_EQ_INT(kev_source_open("udp:127.0.0.1", NULL, &s, err, sizeof err), -1);
    ASSERT_EQ_STR(err, "udp:127.0.0.1: expected udp:HOST:PORT (udp:[::1]:PORT for IPv6)");
    ASSERT_EQ_INT(kev_source_open("unix:", NULL, &s, err, sizeof err), -1);
    ASSERT_CONTAINS(err, "unix:: the path must be 1 to ");
    ASSERT_NULL(s);
}

KEV_TEST(errno_names)
{
    ASSERT_EQ_STR(kev_errno_name(EINTR), "EINTR");
    ASSERT_EQ_STR(kev_errno_name(ENOBUFS), "ENOBUFS");
    ASSERT_EQ_STR(kev_errno_name(EFBIG), "EFBIG");
    ASSERT_NULL(kev_errno_name(0));
    ASSERT_NULL(kev_errno_name(-7));
}

/* The Darwin source, built against capture/stub/ on this system. */
KEV_TEST(pf_system_filter_parse)
{
    unsigned long v[3];
    ASSERT_EQ_INT(kev__source_parse_filter("", v), 0);
    ASSERT_TRUE(v[0] == 1 && v[1] == 1 && v[2] == 0);
    ASSERT_EQ_INT(kev__source_parse_filter(":1/6/0", v), 0);
    ASSERT_TRUE(v[0] == 1 && v[1] == 6 && v[2] == 0);
    ASSERT_EQ_INT(kev__source_parse_filter(":0/0/0", v), 0);
    ASSERT_EQ_INT(kev__source_parse_filter(":4294967295/1/2", v), 0);
    ASSERT_EQ_U64(v[0], 4294967295u);
    ASSERT_EQ_INT(kev__source_parse_filter(":4294967296/1/2", v), -1);
    ASSERT_EQ_INT(kev__source_parse_filter(":1/2", v), -1);
    ASSERT_EQ_INT(kev__source_parse_filter(":1/2/3/4", v), -1);
    ASSERT_EQ_INT(kev__source_parse_filter(":1/-2/3", v), -1);
    ASSERT_EQ_INT(kev__source_parse_filter("x", v), -1);
}

KEV_TEST(pf_system_socket_fails_cleanly_without_darwin)
{
    char err[KEV_SOURCE_MAX_ERROR];
    kev_source *s = NULL;
    ASSERT_EQ_INT(kev_source_open("pf_system:1/2/3/", NULL, &s, err, sizeof err), -1);
    ASSERT_EQ_STR(err, "pf_system:1/2/3/: expected pf_system or pf_system:VENDOR/CLASS/SUBCLASS");
#ifndef __APPLE__
    /* The real code path: socket(PF_SYSTEM) is refused by a non-Darwin
     * kernel, and the message names the call. */
    ASSERT_EQ_INT(kev_source_open("pf_system", NULL, &s, err, sizeof err), -1);
    ASSERT_CONTAINS(err, "pf_system: socket(PF_SYSTEM): ");
#endif
    ASSERT_NULL(s);
}

/* ---------------------------------------------------------------- recorder */

static const kev_trace_meta test_meta = {"unix:/t", NULL, "TestOS 1", "x86_64", "kevrr test",
                                         NULL, "if en0 up\n", 10, false, 0};

static kev_recorder *rec_open(kev_recorder_opts *o, uint64_t now)
{
    char err[256];
    kev_recorder *r = NULL;
    o->meta = &test_meta;
    if (kev_recorder_open(o, now, &r, err, sizeof err) != 0)
        KEV__FAIL("kev_recorder_open: %s", err);
    return r;
}

static int collect(const char *path, void *ctx)
{
    char *list = ctx;
    const char *base = strrchr(path, '/');
    strcat(list, base ? base + 1 : path);
    strcat(list, " ");
    return 0;
}

KEV_TEST(recorder_time_rotation_ring)
{
    char *dir = tmp_dir(), path[128], name[160], list[512] = "";
    snprintf(path, sizeof path, "%s/r.kev", dir);
    kev_recorder_opts o = {path, 0, 10, 2, 0, false, NULL};
    kev_recorder *r = rec_open(&o, 1000 * S);
    uint8_t b[8] = {0};
    /* One batch a second for 35 s: files 0..3 (a new one every 10 s). */
    for (uint8_t i = 0; i < 35; i++) {
        b[0] = i;
        ASSERT_EQ_INT(kev_recorder_batch(r, 1000 * S + i * S, b, sizeof b, sizeof b), 0);
    }
    snprintf(name, sizeof name, "%s/r.3.kev", dir);
    ASSERT_EQ_STR(kev_recorder_current(r), name);
    ASSERT_EQ_INT(kev_recorder_files(r, collect, list), 0);
    ASSERT_EQ_STR(list, "r.2.kev r.3.kev ");
    kev_recorder_stats st;
    kev_recorder_stats_get(r, &st);
    ASSERT_EQ_U64(st.batches, 35);
    ASSERT_EQ_U64(st.files, 4);
    ASSERT_EQ_INT(kev_recorder_close(r, 1035 * S), 0);
    snprintf(name, sizeof name, "%s/r.1.kev", dir);
    ASSERT_FALSE(exists(name)); /* out of the ring */
    snprintf(name, sizeof name, "%s/r.2.kev", dir);
    uint8_t firsts[16];
    kev_trace_status end;
    ASSERT_EQ_U64(read_trace(name, firsts, 16, &end), 10);
    ASSERT_EQ_INT(end, KEV_TS_OK);
    ASSERT_EQ_INT(firsts[0], 20); /* seconds 20..29 */
    snprintf(name, sizeof name, "%s/r.3.kev", dir);
    ASSERT_EQ_U64(read_trace(name, firsts, 16, &end), 5);
    ASSERT_EQ_INT(firsts[4], 34);
    rm_dir(dir);
    free(dir);
}

KEV_TEST(recorder_first_rotation_renames)
{
    char *dir = tmp_dir(), path[128], name[160], list[512] = "";
    snprintf(path, sizeof path, "%s/plain", dir); /* no .kev: the number is appended */
    kev_recorder_opts o = {path, 0, 0, 0, 0, false, NULL};
    kev_recorder *r = rec_open(&o, 5 * S);
    uint8_t b[4] = {1, 2, 3, 4};
    ASSERT_EQ_STR(kev_recorder_current(r), path);
    ASSERT_EQ_INT(kev_recorder_batch(r, 6 * S, b, 4, 4), 0);
    ASSERT_EQ_INT(kev_recorder_rotate(r, 7 * S), 0);
    ASSERT_EQ_INT(kev_recorder_batch(r, 8 * S, b, 4, 4), 0);
    ASSERT_EQ_INT(kev_recorder_error(r, 9 * S, EINTR, "EINTR"), 0);
    ASSERT_EQ_INT(kev_recorder_files(r, collect, list), 0);
    ASSERT_EQ_STR(list, "plain.0 plain.1 ");
    ASSERT_EQ_INT(kev_recorder_close(r, 10 * S), 0);
    ASSERT_FALSE(exists(path));
    uint8_t firsts[4];
    kev_trace_status end;
    snprintf(name, sizeof name, "%s/plain.0", dir);
    ASSERT_EQ_U64(read_trace(name, firsts, 4, &end), 1);
    ASSERT_EQ_INT(end, KEV_TS_OK);
    snprintf(name, sizeof name, "%s/plain.1", dir);
    ASSERT_EQ_U64(read_trace(name, firsts, 4, &end), 2); /* a batch and the EINTR */
    ASSERT_EQ_INT(end, KEV_TS_OK);
    rm_dir(dir);
    free(dir);
}

KEV_TEST(recorder_flush_interval)
{
    char *dir = tmp_dir(), path[128];
    snprintf(path, sizeof path, "%s/f.kev", dir);
    kev_recorder_opts o = {path, 0, 0, 0, 500000000ull, false, NULL};
    kev_recorder *r = rec_open(&o, 0);
    uint8_t b[4] = {7, 0, 0, 0}, firsts[4];
    kev_trace_status end;
    /* The header is on disk at once; a batch waits for the interval. */
    ASSERT_EQ_U64(read_trace(path, firsts, 4, &end), 0);
    ASSERT_EQ_INT(end, KEV_TS_NO_EOF);
    ASSERT_EQ_INT(kev_recorder_batch(r, 100000000ull, b, 4, 4), 0);
    ASSERT_EQ_INT(kev_recorder_tick(r, 400000000ull), 0);
    ASSERT_EQ_U64(read_trace(path, firsts, 4, &end), 0);
    ASSERT_EQ_INT(kev_recorder_tick(r, 500000000ull), 0);
    ASSERT_EQ_U64(read_trace(path, firsts, 4, &end), 1);
    ASSERT_EQ_INT(end, KEV_TS_NO_EOF);
    ASSERT_EQ_INT(firsts[0], 7);
    ASSERT_EQ_INT(kev_recorder_close(r, S), 0);
    ASSERT_EQ_U64(read_trace(path, firsts, 4, &end), 1);
    ASSERT_EQ_INT(end, KEV_TS_OK);
    rm_dir(dir);
    free(dir);
}

KEV_TEST(recorder_file_size_limit)
{
    char *dir = tmp_dir(), path[128];
    snprintf(path, sizeof path, "%s/big.kev", dir);
    struct rlimit old, lim;
    ASSERT_EQ_INT(getrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, SIG_IGN);
    lim = old;
    lim.rlim_cur = 200000;
    ASSERT_EQ_INT(setrlimit(RLIMIT_FSIZE, &lim), 0);
    kev_recorder_opts o = {path, 0, 0, 0, 0, false, NULL};
    kev_recorder *r = rec_open(&o, 0);
    uint8_t b[64];
    int rc = 0;
    uint64_t i;
    /* Random-looking bytes, so the members do not shrink to nothing. */
    uint32_t x = 12345;
    for (i = 0; i < 100000 && rc == 0; i++) {
        for (size_t k = 0; k < sizeof b; k++) {
            x = x * 1103515245u + 12345u;
            b[k] = (uint8_t)(x >> 16);
        }
        b[0] = (uint8_t)i;
        rc = kev_recorder_batch(r, i, b, sizeof b, sizeof b);
    }
    ASSERT_EQ_INT(rc, EFBIG);
    /* Sticky: every later call says the same. */
    ASSERT_EQ_INT(kev_recorder_batch(r, i, b, sizeof b, sizeof b), EFBIG);
    ASSERT_EQ_INT(kev_recorder_tick(r, 10 * S), EFBIG);
    const char *msg;
    ASSERT_EQ_INT(kev_recorder_failed(r, &msg), EFBIG);
    ASSERT_CONTAINS(msg, "big.kev: write: File too large");
    ASSERT_EQ_INT(kev_recorder_close(r, 10 * S), EFBIG);
    ASSERT_EQ_INT(setrlimit(RLIMIT_FSIZE, &old), 0);
    struct stat st;
    ASSERT_EQ_INT(stat(path, &st), 0);
    ASSERT_TRUE(st.st_size <= 200000 && st.st_size > 65536);
    /* Cut back to whole members: readable, "cut short", a prefix. */
    uint8_t firsts[4];
    kev_trace_status end;
    uint64_t n = read_trace(path, firsts, 4, &end);
    ASSERT_TRUE(n > 0 && n < i);
    ASSERT_EQ_INT(end, KEV_TS_NO_EOF);
    ASSERT_EQ_INT(firsts[3], 3);
    rm_dir(dir);
    free(dir);
}

KEV_TEST(recorder_refuses_bad_options)
{
    char err[256];
    kev_recorder *r = NULL;
    kev_recorder_opts o = {"-", 1000, 0, 0, 0, false, NULL};
    ASSERT_EQ_INT(kev_recorder_open(&o, 0, &r, err, sizeof err), -1);
    ASSERT_EQ_STR(err, "standard output cannot be rotated");
    kev_recorder_opts o2 = {"/nonexistent-dir/x.kev", 0, 0, 0, 0, false, NULL};
    ASSERT_EQ_INT(kev_recorder_open(&o2, 0, &r, err, sizeof err), -1);
    ASSERT_EQ_STR(err, "/nonexistent-dir/x.kev: cannot create: No such file or directory");
    ASSERT_NULL(r);
}

/* ---------------------------------------------------------------- host */

KEV_TEST(host_snapshot_loads_back)
{
    kev_strbuf sb = KEV_STRBUF_INIT, err = KEV_STRBUF_INIT;
    size_t skipped = 99;
    ASSERT_EQ_INT(kev_host_snapshot(&sb, &skipped), 0);
    ASSERT_EQ_U64(skipped, 0);
    kev_kernel *k = kev_kernel_new();
    ASSERT_EQ_INT(kev_kernel_load_text(k, kev_strbuf_str(&sb), sb.len, &err), 0);
    /* Every host has a loopback interface with 127.0.0.1. */
    bool lo = false;
    for (size_t i = 0; i < kev_kernel_count(k); i++) {
        const kev_iface *f = kev_kernel_at(k, i);
        if ((f->flags & KEV_IFF_LOOPBACK) && f->n_inet > 0 && f->inet[0].addr[0] == 127)
            lo = true;
    }
    ASSERT_TRUE(lo);
    kev_host_info h;
    kev_host_info_get(&h);
    ASSERT_TRUE(h.os[0] != '\0' && h.hardware[0] != '\0');
    kev_kernel_free(k);
    kev_strbuf_free(&sb);
    kev_strbuf_free(&err);
}

KEV_TEST_MAIN(KEV_T(source_truncation_keeps_true_length),
              KEV_T(source_nonblock_empty_is_transient_eagain), KEV_T(source_unix_bind_and_unlink),
              KEV_T(source_errors_are_named), KEV_T(errno_names), KEV_T(pf_system_filter_parse),
              KEV_T(pf_system_socket_fails_cleanly_without_darwin),
              KEV_T(recorder_time_rotation_ring), KEV_T(recorder_first_rotation_renames),
              KEV_T(recorder_flush_interval), KEV_T(recorder_file_size_limit),
              KEV_T(recorder_refuses_bad_options), KEV_T(host_snapshot_loads_back))
