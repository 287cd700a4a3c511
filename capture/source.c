/*
 * source.c: the live sources of source.h that every POSIX system has:
 * unix:/path (a bound AF_UNIX datagram socket), udp:HOST:PORT (a bound UDP
 * socket) and fd:N (an inherited datagram socket), and the receive path
 * they share: recvmsg() with MSG_TRUNC detection. Darwin's kernel event
 * socket (pf_system) is opened in source_darwin.c; on other systems the
 * spec is refused with a clear message.
 *
 * Specs are parsed through a table of prefixes, one opener per row.
 */

#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L

#include "source.h"
#include "source_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Cap on a udp: host name and on a port's text. */
#define SOURCE_MAX_HOST 256u
#define SOURCE_MAX_PORT 8u
/* The largest fd: accepted (an int; anything larger is a typo). */
#define SOURCE_MAX_FD 1000000L

void kev__source_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* A new source around `fd`, its canonical spec and filter (may be NULL). */
kev_source *kev__source_new(int fd, const char *spec, const char *filter)
{
    kev_source *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->fd = fd;
    snprintf(s->spec, sizeof s->spec, "%s", spec);
    if (filter != NULL) {
        snprintf(s->filter, sizeof s->filter, "%s", filter);
        s->has_filter = true;
    }
    return s;
}

/* Applies the options every source shares: SO_RCVBUF, O_NONBLOCK,
 * close-on-exec. 0, or -1 with the message. */
int kev__source_setup(int fd, const char *spec, const kev_source_opts *o, char *err,
                      size_t errlen)
{
    if (o != NULL && o->rcvbuf > 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &o->rcvbuf, sizeof o->rcvbuf) != 0) {
        kev__source_err(err, errlen, "%s: setsockopt SO_RCVBUF %d: %s", spec, o->rcvbuf,
                        strerror(errno));
        return -1;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || (o != NULL && o->nonblock && fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
        kev__source_err(err, errlen, "%s: fcntl: %s", spec, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- unix: */

/* Removes a socket file left at `path` by an earlier run; anything else
 * there (a regular file, a directory) is left alone and bind() fails. */
static void unlink_stale_socket(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        (void)unlink(path);
}

static kev_source *open_unix(const char *spec, const char *rest, const kev_source_opts *o,
                             char *err, size_t errlen)
{
    struct sockaddr_un sa;
    size_t n = strlen(rest);
    memset(&sa, 0, sizeof sa);
    /* sun_path must hold the path and its NUL. */
    if (n == 0 || n >= sizeof sa.sun_path) {
        kev__source_err(err, errlen, "%s: the path must be 1 to %zu bytes", spec,
                        sizeof sa.sun_path - 1);
        return NULL;
    }
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, rest, n);
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0) {
        kev__source_err(err, errlen, "%s: socket: %s", spec, strerror(errno));
        return NULL;
    }
    unlink_stale_socket(rest);
    if (bind(fd, (const struct sockaddr *)&sa, sizeof sa) != 0) {
        kev__source_err(err, errlen, "%s: bind: %s", spec, strerror(errno));
        close(fd);
        return NULL;
    }
    kev_source *s = kev__source_setup(fd, spec, o, err, errlen) == 0
                        ? kev__source_new(fd, spec, NULL)
                        : NULL;
    char *path = s ? strdup(rest) : NULL;
    if (s == NULL || path == NULL) {
        if (s != NULL)
            kev__source_err(err, errlen, "%s: out of memory", spec);
        free(s);
        (void)unlink(rest);
        close(fd);
        return NULL;
    }
    s->unlink_path = path;
    return s;
}

/* ---------------------------------------------------------------- udp: */

/* Splits "HOST:PORT" or "[V6]:PORT" into host and port. 0 or -1. */
static int split_host_port(const char *rest, char host[SOURCE_MAX_HOST],
                           char port[SOURCE_MAX_PORT])
{
    const char *colon = strrchr(rest, ':');
    if (colon == NULL || colon[1] == '\0' || strlen(colon + 1) >= SOURCE_MAX_PORT)
        return -1;
    const char *h = rest;
    size_t hl = (size_t)(colon - rest);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl == 0 || hl >= SOURCE_MAX_HOST)
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    strcpy(port, colon + 1);
    return 0;
}

static kev_source *open_udp(const char *spec, const char *rest, const kev_source_opts *o,
                            char *err, size_t errlen)
{
    char host[SOURCE_MAX_HOST], port[SOURCE_MAX_PORT];
    if (split_host_port(rest, host, port) != 0) {
        kev__source_err(err, errlen, "%s: expected udp:HOST:PORT (udp:[::1]:PORT for IPv6)",
                        spec);
        return NULL;
    }
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int grc = getaddrinfo(host, port, &hints, &ai);
    if (grc != 0) {
        kev__source_err(err, errlen, "%s: %s", spec, gai_strerror(grc));
        return NULL;
    }
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        kev__source_err(err, errlen, "%s: %s: %s", spec, fd < 0 ? "socket" : "bind",
                        strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return NULL;
    }
    freeaddrinfo(ai);
    kev_source *s = kev__source_setup(fd, spec, o, err, errlen) == 0
                        ? kev__source_new(fd, spec, NULL)
                        : NULL;
    if (s == NULL)
        close(fd);
    return s;
}

/* ---------------------------------------------------------------- fd: */

static kev_source *open_fd(const char *spec, const char *rest, const kev_source_opts *o,
                           char *err, size_t errlen)
{
    char *end;
    errno = 0;
    long v = strtol(rest, &end, 10);
    if (rest[0] < '0' || rest[0] > '9' || *end != '\0' || errno != 0 || v > SOURCE_MAX_FD) {
        kev__source_err(err, errlen, "%s: expected fd:N, N a file descriptor number", spec);
        return NULL;
    }
    int fd = (int)v, type = 0;
    socklen_t len = sizeof type;
    /* A record per recv() needs a datagram-like socket: a stream would
     * split and merge records. */
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
        kev__source_err(err, errlen, "%s: not a socket: %s", spec, strerror(errno));
        return NULL;
    }
    if (type != SOCK_DGRAM && type != SOCK_RAW && type != SOCK_SEQPACKET) {
        kev__source_err(err, errlen, "%s: a stream socket (need a datagram socket)", spec);
        return NULL;
    }
    if (kev__source_setup(fd, spec, o, err, errlen) != 0)
        return NULL;
    kev_source *s = kev__source_new(fd, spec, NULL);
    if (s == NULL)
        kev__source_err(err, errlen, "%s: out of memory", spec);
    return s;
}

/* ---------------------------------------------------------------- table */

typedef kev_source *(*source_opener)(const char *spec, const char *rest,
                                     const kev_source_opts *o, char *err, size_t errlen);

static const struct {
    const char *prefix; /* with its ':', or the whole word */
    source_opener open;
} source_kinds[] = {
    {"unix:", open_unix},
    {"udp:", open_udp},
    {"fd:", open_fd},
    {"pf_system", kev__source_open_pf_system},
};
#define N_SOURCE_KINDS (sizeof source_kinds / sizeof source_kinds[0])

int kev_source_open(const char *spec, const kev_source_opts *o, kev_source **out, char *err,
                    size_t errlen)
{
    *out = NULL;
    if (spec == NULL || strlen(spec) >= KEV_SOURCE_MAX_SPEC) {
        kev__source_err(err, errlen, "source spec missing or longer than %u bytes",
                        KEV_SOURCE_MAX_SPEC - 1);
        return -1;
    }
    for (size_t i = 0; i < N_SOURCE_KINDS; i++) {
        size_t n = strlen(source_kinds[i].prefix);
        if (strncmp(spec, source_kinds[i].prefix, n) != 0)
            continue;
        *out = source_kinds[i].open(spec, spec + n, o, err, errlen);
        return *out ? 0 : -1;
    }
    kev__source_err(err, errlen,
                    "%s: unknown source (pf_system[:V/C/S], unix:/path, udp:HOST:PORT, fd:N)",
                    spec);
    return -1;
}

/* ---------------------------------------------------------------- recv */

static kev_recv_kind classify(int err)
{
    /* Transient: a signal, a non-blocking socket with nothing queued, or a
     * momentary shortage of kernel buffers. */
    if (err == EINTR || err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS)
        return KEV_RECV_TRANSIENT;
    return KEV_RECV_FATAL;
}

#ifdef __linux__
/* Linux: MSG_TRUNC in the flags makes recvmsg() return a datagram's true
 * length (AF_UNIX since 3.4, UDP since 2.6.8). */
#define SOURCE_RECV_FLAGS MSG_TRUNC
#else
#define SOURCE_RECV_FLAGS 0
#endif

/* The true length of the next record where recvmsg() cannot tell it:
 * SO_NREAD (Darwin, BSD) gives the size of the first datagram queued.
 * 0 when unknown. */
static size_t next_record_len(int fd)
{
#if !defined(__linux__) && defined(SO_NREAD)
    int n = 0;
    socklen_t len = sizeof n;
    if (getsockopt(fd, SOL_SOCKET, SO_NREAD, &n, &len) == 0 && n > 0)
        return (size_t)n;
#else
    (void)fd;
#endif
    return 0;
}

void kev_source_recv(kev_source *s, uint8_t *buf, size_t cap, kev_recv *r)
{
    struct iovec iov = {buf, cap};
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    memset(r, 0, sizeof *r);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    size_t hint = SOURCE_RECV_FLAGS ? 0 : next_record_len(s->fd);
    ssize_t n = recvmsg(s->fd, &mh, SOURCE_RECV_FLAGS);
    if (n < 0) {
        r->err = errno;
        r->kind = classify(r->err);
        return;
    }
    size_t got = (size_t)n, stored = got < cap ? got : cap;
    size_t true_len = got;
    if (mh.msg_flags & MSG_TRUNC) {
        /* Without a true length (no Linux MSG_TRUNC, no SO_NREAD), say
         * "at least one byte more" rather than nothing. */
        true_len = got > cap ? got : hint > cap ? hint : cap + 1;
    }
    /* A datagram over 4 GiB cannot exist; the cap keeps the cast honest. */
    r->kind = KEV_RECV_BATCH;
    r->caplen = (uint32_t)(stored > UINT32_MAX ? UINT32_MAX : stored);
    r->origlen = (uint32_t)(true_len > UINT32_MAX ? UINT32_MAX : true_len);
}

int kev_source_fd(const kev_source *s)
{
    return s->fd;
}

const char *kev_source_spec(const kev_source *s)
{
    return s->spec;
}

const char *kev_source_filter(const kev_source *s)
{
    return s->has_filter ? s->filter : NULL;
}

void kev_source_close(kev_source *s)
{
    if (s == NULL)
        return;
    if (s->fd >= 0)
        close(s->fd);
    if (s->unlink_path != NULL) {
        (void)unlink(s->unlink_path);
        free(s->unlink_path);
    }
    free(s);
}

/* ---------------------------------------------------------------- errno */

/* The errno values a capture can meet, by name. Values differ between
 * systems, so the table is built from the host's macros. */
#define ERRNO_ROW(e) {e, #e}
static const struct {
    int value;
    const char *name;
} errno_names[] = {
    ERRNO_ROW(EINTR),       ERRNO_ROW(EAGAIN),     ERRNO_ROW(ENOBUFS),
    ERRNO_ROW(EBADF),       ERRNO_ROW(EFAULT),     ERRNO_ROW(EINVAL),
    ERRNO_ROW(ENOMEM),      ERRNO_ROW(ENOTSOCK),   ERRNO_ROW(ENOTCONN),
    ERRNO_ROW(ECONNREFUSED), ERRNO_ROW(ECONNRESET), ERRNO_ROW(EMSGSIZE),
    ERRNO_ROW(EIO),         ERRNO_ROW(ENOSPC),     ERRNO_ROW(EFBIG),
    ERRNO_ROW(EPIPE),       ERRNO_ROW(EACCES),     ERRNO_ROW(EPERM),
    ERRNO_ROW(ENOENT),      ERRNO_ROW(EEXIST),     ERRNO_ROW(EADDRINUSE),
    ERRNO_ROW(ETIMEDOUT),   ERRNO_ROW(ENETDOWN),   ERRNO_ROW(EHOSTUNREACH),
    ERRNO_ROW(EOPNOTSUPP),  ERRNO_ROW(EDQUOT),     ERRNO_ROW(EROFS),
};
#define N_ERRNO_NAMES (sizeof errno_names / sizeof errno_names[0])

const char *kev_errno_name(int err)
{
    /* EWOULDBLOCK is EAGAIN wherever both exist with one value. */
    if (err == EWOULDBLOCK && EWOULDBLOCK != EAGAIN)
        return "EWOULDBLOCK";
    for (size_t i = 0; i < N_ERRNO_NAMES; i++)
        if (errno_names[i].value == err)
            return errno_names[i].name;
    return NULL;
}
