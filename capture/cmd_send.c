/*
 * cmd_send.c: `kevrr send`: sends a trace's batches, one datagram each, to
 * a socket at the pace they were recorded (or faster, or as fast as it
 * goes), once or in a loop: the tcpreplay of kevrr. It feeds `kevrr
 * capture` and kevmond in tests, and any program that reads a datagram
 * socket the way configd reads the kernel event socket.
 *
 * Sends block (AF_UNIX datagram sockets then wait for the receiver's queue
 * to have room: nothing is lost to a slow receiver); failed recv() records
 * have no datagram and are skipped (counted); a truncated record sends the
 * bytes it holds.
 */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const char send_usage[] =
    "usage: kevrr send TRACE -o DEST [--speed X | --topspeed] [--loop N] [-q]\n"
    "\n"
    "Send the batches of TRACE, one datagram each and in order, to DEST at the\n"
    "pace they were recorded. Failed recv() records are skipped (counted);\n"
    "a truncated record sends the bytes it holds.\n"
    "\n"
    "destinations:\n"
    "  unix:/path       an AF_UNIX datagram socket (kevrr capture -i unix:/path)\n"
    "  udp:HOST:PORT    a UDP socket (udp:[::1]:PORT for IPv6)\n"
    "  fd:N             an inherited socket, connected or socketpair()\n"
    "\n"
    "options:\n"
    "  -o DEST          where to send\n"
    "  --speed X        X times the recorded pace (2: twice as fast; 0.5: half)\n"
    "  --topspeed       as fast as the receiver takes them\n"
    "  --loop N         send the trace N times (default 1; 0: until killed)\n"
    "  -q, --quiet      no summary\n"
    "  -h, --help       this help\n"
    "\n"
    "exit status: 0 done, 2 usage, 3 unreadable trace (what came before the\n"
    "damage is sent), 5 the destination cannot be reached or a send failed.\n";

/* Caps: a host name and a port of udp:, the fastest --speed, a pause on
 * ENOBUFS (the kernel is short of buffers: wait, then send again). */
#define SEND_MAX_HOST 256u
#define SEND_MAX_PORT 8u
#define SEND_MAX_SPEED 1e9
#define SEND_NOBUFS_PAUSE_NS 1000000L

typedef struct send_opts {
    const char *trace, *dest;
    double speed; /* 0: top speed */
    uint64_t loops;
    bool quiet;
} send_opts;

typedef struct send_stats {
    uint64_t batches, bytes, skipped, truncated;
} send_stats;

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---------------------------------------------------------------- sockets */

static int connect_unix(const char *path)
{
    struct sockaddr_un sa;
    size_t n = strlen(path);
    memset(&sa, 0, sizeof sa);
    if (n == 0 || n >= sizeof sa.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, n);
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd >= 0 && connect(fd, (const struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static int connect_udp(const char *rest)
{
    char host[SEND_MAX_HOST], port[SEND_MAX_PORT];
    const char *colon = strrchr(rest, ':');
    size_t hl = colon ? (size_t)(colon - rest) : 0;
    const char *h = rest;
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (colon == NULL || hl == 0 || hl >= sizeof host || strlen(colon + 1) == 0 ||
        strlen(colon + 1) >= sizeof port) {
        errno = EINVAL;
        return -1;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    strcpy(port, colon + 1);
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV;
    if (getaddrinfo(host, port, &hints, &ai) != 0) {
        errno = EHOSTUNREACH;
        return -1;
    }
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        int e = errno;
        close(fd);
        fd = -1;
        errno = e;
    }
    freeaddrinfo(ai);
    return fd;
}

static int use_fd(const char *rest)
{
    uint64_t v;
    if (kev_cli_parse_u64(rest, &v) != 0 || v > INT32_MAX) {
        errno = EBADF;
        return -1;
    }
    return (int)v;
}

/* The destination kinds, by prefix. */
static const struct {
    const char *prefix;
    int (*open)(const char *rest);
} dest_kinds[] = {{"unix:", connect_unix}, {"udp:", connect_udp}, {"fd:", use_fd}};

/* Opens DEST; the socket, or -1 after printing why. */
static int dest_open(const char *dest)
{
    for (size_t i = 0; i < sizeof dest_kinds / sizeof dest_kinds[0]; i++) {
        size_t n = strlen(dest_kinds[i].prefix);
        if (strncmp(dest, dest_kinds[i].prefix, n) != 0)
            continue;
        int fd = dest_kinds[i].open(dest + n);
        if (fd < 0)
            kev_cli_error("send", "%s: %s", dest, strerror(errno));
        return fd;
    }
    kev_cli_error("send", "%s: unknown destination (unix:/path, udp:HOST:PORT, fd:N)", dest);
    return -1;
}

/* Sends one datagram, waiting out EINTR and ENOBUFS. 0 or the errno. */
static int send_one(int fd, const uint8_t *p, size_t n)
{
    for (;;) {
        if (send(fd, p, n, 0) >= 0)
            return 0;
        if (errno == EINTR)
            continue;
        if (errno != ENOBUFS && errno != EAGAIN)
            return errno;
        const struct timespec pause = {0, SEND_NOBUFS_PAUSE_NS};
        nanosleep(&pause, NULL);
    }
}

/* ---------------------------------------------------------------- pacing */

/* Sleeps until the monotonic clock reads `due` (ns), through signals: with
 * an absolute clock_nanosleep where there is one; macOS has none, so there
 * nanosleep() sleeps what is left, again after each interruption. */
static void sleep_until(uint64_t due)
{
#if defined(TIMER_ABSTIME) && !defined(__APPLE__)
    if (due <= mono_ns())
        return;
    struct timespec ts = {(time_t)(due / 1000000000u), (long)(due % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
#else
    for (uint64_t now = mono_ns(); now < due; now = mono_ns()) {
        uint64_t left = due - now;
        struct timespec ts = {(time_t)(left / 1000000000u), (long)(left % 1000000000u)};
        if (nanosleep(&ts, NULL) != 0 && errno != EINTR)
            return;
    }
#endif
}

/* Sleeps until the record at t_ns is due: `start` (monotonic) plus its
 * distance from the first record's time, divided by the speed. */
static void pace(const send_opts *o, uint64_t start, uint64_t t0, uint64_t t_ns)
{
    if (o->speed <= 0 || t_ns <= t0)
        return;
    double offset = (double)(t_ns - t0) / o->speed;
    if (offset > 9e18)
        offset = 9e18;
    sleep_until(start + (uint64_t)offset);
}

/* Sends the trace once. KEV_EXIT_OK, _INPUT (damage) or _INTERNAL. */
static int send_pass(const send_opts *o, int fd, send_stats *st)
{
    kev_trace_reader *r = kev_cli_trace_open("send", o->trace, 0);
    if (r == NULL)
        return KEV_EXIT_INPUT;
    kev_trace_rec rec;
    uint64_t start = mono_ns(), t0 = 0;
    bool first = true;
    int rc, exit_code = KEV_EXIT_OK;
    while (exit_code == KEV_EXIT_OK && (rc = kev_trace_next(r, &rec)) == 1) {
        if (first) {
            t0 = rec.t_ns;
            first = false;
        }
        pace(o, start, t0, rec.t_ns);
        if (rec.kind == KEV_TR_ERROR) {
            st->skipped++;
            continue;
        }
        int e = send_one(fd, rec.data, rec.caplen);
        if (e != 0) {
            kev_cli_error("send", "%s: batch %" PRIu64 ": send: %s", o->dest, rec.index,
                          strerror(e));
            exit_code = KEV_EXIT_INTERNAL;
            break;
        }
        st->batches++;
        st->bytes += rec.caplen;
        st->truncated += rec.origlen > rec.caplen;
    }
    if (exit_code == KEV_EXIT_OK && !kev_cli_trace_end_ok("send", o->trace, r))
        exit_code = KEV_EXIT_INPUT;
    kev_trace_close(r);
    return exit_code;
}

/* ---------------------------------------------------------------- command */

static int send_parse(int argc, char **argv, send_opts *o)
{
    const char *speed = NULL, *loops = NULL;
    bool top = false;
    const kev_cli_opt opts[] = {
        {"-o", &o->dest, NULL, NULL},     {"--speed", &speed, NULL, NULL},
        {"--topspeed", NULL, &top, NULL}, {"--loop", &loops, NULL, NULL},
        {"-q", NULL, &o->quiet, NULL},    {"--quiet", NULL, &o->quiet, NULL},
    };
    int nargs, prc = kev_cli_parse("send", argc, argv, opts, sizeof opts / sizeof opts[0],
                                   send_usage, &nargs);
    if (prc != 0)
        return prc > 0 ? 1 : KEV_EXIT_USAGE;
    if (nargs != 1 || o->dest == NULL || (top && speed != NULL)) {
        kev_cli_error("send", "%s; see kevrr help send",
                      nargs != 1        ? "give exactly one trace"
                      : o->dest == NULL ? "no destination: -o DEST"
                                        : "--speed and --topspeed together");
        return KEV_EXIT_USAGE;
    }
    o->trace = argv[1];
    o->loops = 1;
    o->speed = 1.0;
    if (kev_cli_opt_u64("send", "--loop", loops, &o->loops) != 0)
        return KEV_EXIT_USAGE;
    if (speed != NULL) {
        char *end;
        o->speed = strtod(speed, &end);
        if (*end != '\0' || end == speed || !(o->speed > 0) || o->speed > SEND_MAX_SPEED) {
            kev_cli_error("send", "--speed takes a number above 0 (0.5, 2, 100), not '%s'",
                          speed);
            return KEV_EXIT_USAGE;
        }
    }
    if (top)
        o->speed = 0;
    return KEV_EXIT_OK;
}

static int send_cmd(int argc, char **argv)
{
    send_opts o;
    memset(&o, 0, sizeof o);
    int rc = send_parse(argc, argv, &o);
    if (rc != KEV_EXIT_OK)
        return rc == 1 ? KEV_EXIT_OK : rc;
    int fd = dest_open(o.dest);
    if (fd < 0)
        return KEV_EXIT_INTERNAL;
    send_stats st;
    memset(&st, 0, sizeof st);
    uint64_t start = mono_ns();
    for (uint64_t i = 0; rc == KEV_EXIT_OK && (o.loops == 0 || i < o.loops); i++)
        rc = send_pass(&o, fd, &st);
    double secs = (double)(mono_ns() - start) / 1e9;
    if (!o.quiet)
        fprintf(stderr,
                "kevrr send: %" PRIu64 " batches, %" PRIu64 " bytes in %.3f s (%.0f batches/s); "
                "%" PRIu64 " failed recv() skipped, %" PRIu64 " truncated\n",
                st.batches, st.bytes, secs, secs > 0 ? (double)st.batches / secs : 0.0,
                st.skipped, st.truncated);
    if (strncmp(o.dest, "fd:", 3) != 0)
        close(fd);
    return rc;
}

const kev_cmd kev_cmd_send = {"send", send_cmd,
                              "send a trace's batches to a datagram socket at their pace",
                              send_usage};
