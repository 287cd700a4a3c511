/*
 * cmd_query.c: `kevrr query`: the client of kevmond's control socket
 * (ctl_proto.h, docs/daemon.md). Sends one request line, checks the status
 * line, and copies exactly the announced body to the output; an answer cut
 * short, a malformed status line or a silent daemon is an error, never a
 * partial result taken for a whole one.
 */
#define _POSIX_C_SOURCE 200809L /* socket, setsockopt */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "ctl_proto.h"

static const char query_usage[] =
    "usage: kevrr query [OPTIONS] COMMAND [ARG]\n"
    "\n"
    "Ask a running kevmond (docs/daemon.md) and print its answer. COMMAND:\n"
    "  state    the final-state sections of a report, now (final .. end): what\n"
    "           `kevrr replay` prints last for the same batches\n"
    "  store    the store section      kernel   the simulated kernel section\n"
    "  stats    NAME VALUE lines: daemon, core, store, recorder, keeps\n"
    "  log      the report's most recent lines\n"
    "  keep     keep the flight-recorder ring aside now [REASON]; prints where\n"
    "  ping     answers pong             help     the daemon's command list\n"
    "\n"
    "options:\n"
    "  --socket PATH    the control socket (default: $" KEVMOND_SOCKET_ENV ", else\n"
    "                   " KEVMOND_DEFAULT_SOCKET ")\n"
    "  --timeout S      give up after S seconds without progress (default 10)\n"
    "  -o FILE          write the answer to FILE (default: standard output)\n"
    "  -h, --help       this help\n"
    "\n"
    "exit status: 0 answered; 1 the daemon answered with an error; 2 usage;\n"
    "3 no daemon answers on the socket, or its answer is cut short or\n"
    "malformed; 5 the output could not be written.\n";

/* Default and largest --timeout, in seconds. */
#define QUERY_TIMEOUT_S     10u
#define QUERY_MAX_TIMEOUT_S 86400u
/* The body is copied in chunks of this size. */
#define QUERY_CHUNK 65536u

/* Connects to `path` with send and receive timeouts; the fd, or -1 after
 * printing why. */
static int connect_daemon(const char *path, uint64_t timeout_s)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa.sun_path) {
        kev_cli_error("query", "%s: a socket path is at most %zu bytes", path,
                      sizeof sa.sun_path - 1);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct timeval tv = {(time_t)timeout_s, 0};
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0 ||
        connect(fd, (const struct sockaddr *)&sa, sizeof sa) != 0) {
        kev_cli_error("query", "cannot reach kevmond at %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, 0);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads up to n bytes; returns how many (0 at the end), or -1. */
static ssize_t recv_some(int fd, char *p, size_t n)
{
    for (;;) {
        ssize_t r = recv(fd, p, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        return r;
    }
}

/* The status line, byte by byte so that no body byte is read with it.
 * 0, or -1 after printing why. */
static int read_status(int fd, char *line, size_t cap, const char *path)
{
    size_t n = 0;
    while (n + 1 < cap) {
        ssize_t r = recv_some(fd, line + n, 1);
        if (r <= 0) {
            kev_cli_error("query", "%s: %s before the status line ended", path,
                          r == 0 ? "the connection closed"
                          : (errno == EAGAIN || errno == EWOULDBLOCK) ? "timed out"
                                                                      : strerror(errno));
            return -1;
        }
        if (line[n] == '\n') {
            line[n] = '\0';
            return 0;
        }
        n++;
    }
    kev_cli_error("query", "%s: the status line is longer than %u bytes", path,
                  KEVMOND_CTL_MAX_STATUS);
    return -1;
}

/* Copies exactly `len` body bytes to `f`, then expects the end. Returns an
 * exit code. */
static int copy_body(int fd, uint64_t len, FILE *f, const char *path)
{
    static char buf[QUERY_CHUNK];
    uint64_t got = 0;
    while (got < len) {
        size_t want = len - got < sizeof buf ? (size_t)(len - got) : sizeof buf;
        ssize_t r = recv_some(fd, buf, want);
        if (r <= 0) {
            kev_cli_error("query",
                          "%s: the answer ends after %" PRIu64 " of %" PRIu64 " bytes%s%s",
                          path, got, len, r < 0 ? ": " : "", r < 0 ? strerror(errno) : "");
            return KEV_EXIT_INPUT;
        }
        if (fwrite(buf, 1, (size_t)r, f) != (size_t)r) {
            kev_cli_error("query", "cannot write the answer: %s", strerror(errno));
            return KEV_EXIT_INTERNAL;
        }
        got += (uint64_t)r;
    }
    char extra;
    if (recv_some(fd, &extra, 1) > 0) {
        kev_cli_error("query", "%s: more bytes than the %" PRIu64 " announced", path, len);
        return KEV_EXIT_INPUT;
    }
    return KEV_EXIT_OK;
}

/* "ok LEN" (digits only, at most KEVMOND_CTL_MAX_BODY) into *len. */
static int parse_ok(const char *line, uint64_t *len)
{
    if (strncmp(line, "ok ", 3) != 0 || kev_cli_parse_u64(line + 3, len) != 0)
        return -1;
    return *len <= KEVMOND_CTL_MAX_BODY ? 0 : -1;
}

/* COMMAND [ARG...] joined by spaces, with its newline; checks the cap. */
static int build_request(int nargs, char **args, char *req, size_t cap)
{
    size_t n = 0;
    for (int i = 0; i < nargs; i++) {
        size_t l = strlen(args[i]);
        if (n + l + 2 > cap)
            return -1;
        if (i)
            req[n++] = ' ';
        memcpy(req + n, args[i], l);
        n += l;
    }
    req[n++] = '\n';
    req[n] = '\0';
    return 0;
}

static int run_query(int argc, char **argv)
{
    const char *socket_path = NULL, *timeout = NULL, *out = NULL;
    const kev_cli_opt opts[] = {{"--socket", &socket_path, NULL, NULL},
                                {"--timeout", &timeout, NULL, NULL},
                                {"-o", &out, NULL, NULL}};
    int nargs = 0;
    int prc = kev_cli_parse("query", argc, argv, opts, sizeof opts / sizeof opts[0],
                            query_usage, &nargs);
    if (prc != 0)
        return prc > 0 ? KEV_EXIT_OK : KEV_EXIT_USAGE;
    uint64_t timeout_s = QUERY_TIMEOUT_S;
    if (kev_cli_opt_u64("query", "--timeout", timeout, &timeout_s) != 0)
        return KEV_EXIT_USAGE;
    char req[KEVMOND_CTL_MAX_REQUEST + 1];
    const char *why = nargs < 1 ? "no COMMAND given"
                      : timeout_s < 1 || timeout_s > QUERY_MAX_TIMEOUT_S
                          ? "--timeout takes 1 to 86400 seconds"
                      : build_request(nargs, argv + 1, req, sizeof req) != 0
                          ? "the request is longer than the protocol allows (256 bytes)"
                          : NULL;
    if (why) {
        kev_cli_error("query", "%s; see kevrr help query", why);
        return KEV_EXIT_USAGE;
    }
    if (socket_path == NULL)
        socket_path = getenv(KEVMOND_SOCKET_ENV);
    if (socket_path == NULL || socket_path[0] == '\0')
        socket_path = KEVMOND_DEFAULT_SOCKET;

    int fd = connect_daemon(socket_path, timeout_s);
    if (fd < 0)
        return KEV_EXIT_INPUT;
    char line[KEVMOND_CTL_MAX_STATUS];
    uint64_t len = 0;
    int code = KEV_EXIT_INPUT;
    if (send_all(fd, req, strlen(req)) != 0) {
        kev_cli_error("query", "%s: cannot send the request: %s", socket_path,
                      strerror(errno));
    } else if (read_status(fd, line, sizeof line, socket_path) != 0) {
        /* printed */
    } else if (strncmp(line, "error ", 6) == 0) {
        kev_cli_error("query", "kevmond: %s", line + 6);
        code = KEV_EXIT_DIVERGED;
    } else if (parse_ok(line, &len) != 0) {
        kev_cli_error("query", "%s: not a status line: '%.80s'", socket_path, line);
    } else {
        kev_cli_out o;
        code = kev_cli_out_open(&o, "query", out ? out : "-");
        if (code == KEV_EXIT_OK) {
            code = copy_body(fd, len, o.f, socket_path);
            int crc = kev_cli_out_close(&o, "query", code == KEV_EXIT_OK);
            if (code == KEV_EXIT_OK)
                code = crc;
        }
    }
    close(fd);
    return code;
}

const kev_cmd kev_cmd_query = {"query", run_query,
                               "ask a running kevmond: state, stats, keep", query_usage};
