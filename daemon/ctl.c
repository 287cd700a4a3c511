/*
 * ctl.c: kevmond's control socket (ctl.h, protocol in ctl_proto.h).
 *
 * Each connection is a small state machine: read the request line (at most
 * KEVMOND_CTL_MAX_REQUEST bytes), answer it through the daemon's function,
 * write the status line and the body as the socket takes them, close.
 */
#define _POSIX_C_SOURCE 200809L /* accept, fcntl, chmod */

#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_proto.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0 /* macOS: SIGPIPE is ignored by the daemon instead */
#endif

/* DRAIN: the answer is out and our side shut down; what the client still
 * sends is read and dropped until it closes, so that closing with unread
 * bytes (a request line too long) never resets the connection before the
 * client has read the answer. */
typedef enum conn_state { CONN_FREE, CONN_READ, CONN_WRITE, CONN_DRAIN } conn_state;

/* Bytes read and dropped per call in the DRAIN state. */
#define DRAIN_CHUNK 4096u

typedef struct conn {
    conn_state state;
    bool busy; /* told "busy": never served */
    int fd;
    uint64_t deadline;
    char req[KEVMOND_CTL_MAX_REQUEST + 1];
    size_t req_len;
    char status[KEVMOND_CTL_MAX_STATUS];
    size_t status_len, status_off;
    kev_strbuf body;
    size_t body_off;
} conn;

struct kevmond_ctl {
    int fd;
    char *path;
    kevmond_ctl_fn fn;
    void *ctx;
    uint64_t requests;
    conn conns[KEVMOND_CTL_MAX_CLIENTS + KEVMOND_CTL_MAX_BUSY];
    /* poll entry k (k >= 1) belongs to conns[slot[k]]. */
    size_t slot[KEVMOND_CTL_MAX_FDS];
};

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Is a daemon answering on `path`? (A stale file refuses the connection.) */
static bool live_socket(const struct sockaddr_un *sa)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    bool live = connect(fd, (const struct sockaddr *)sa, sizeof *sa) == 0;
    close(fd);
    return live;
}

int kevmond_ctl_open(const char *path, kevmond_ctl_fn fn, void *ctx, kevmond_ctl **out,
                     kev_strbuf *err)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa.sun_path) {
        kev_strbuf_addf(err, "%s: a socket path is at most %zu bytes", path,
                        sizeof sa.sun_path - 1);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            kev_strbuf_addf(err, "%s: exists and is not a socket", path);
            return -1;
        }
        if (live_socket(&sa)) {
            kev_strbuf_addf(err, "%s: another kevmond answers there", path);
            return -1;
        }
        (void)unlink(path);
    }
    kevmond_ctl *c = calloc(1, sizeof *c);
    char *p = c ? strdup(path) : NULL;
    if (p == NULL) {
        free(c);
        kev_strbuf_adds(err, "out of memory");
        return -1;
    }
    c->path = p;
    c->fn = fn;
    c->ctx = ctx;
    c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
    const char *what = "socket";
    if (c->fd >= 0 && fcntl(c->fd, F_SETFD, FD_CLOEXEC) == 0 && set_nonblock(c->fd) == 0 &&
        (what = "bind", bind(c->fd, (const struct sockaddr *)&sa, sizeof sa) == 0) &&
        (what = "chmod", chmod(path, 0600) == 0) &&
        (what = "listen", listen(c->fd, (int)KEVMOND_CTL_MAX_CLIENTS) == 0)) {
        *out = c;
        return 0;
    }
    kev_strbuf_addf(err, "%s: %s: %s", path, what, strerror(errno));
    if (c->fd >= 0) {
        close(c->fd);
        if (strcmp(what, "bind") != 0)
            (void)unlink(path);
    }
    free(c->path);
    free(c);
    return -1;
}

static void conn_drop(conn *k)
{
    if (k->state == CONN_FREE)
        return;
    close(k->fd);
    kev_strbuf_free(&k->body);
    memset(k, 0, sizeof *k);
    k->state = CONN_FREE;
}

/* Sets the status line: "ok LEN\n" or "error MSG\n" (the message cut to
 * fit, newlines and control bytes replaced). */
static void conn_answer(conn *k, const char *error)
{
    if (error == NULL && k->body.err != 0)
        error = "out of memory building the answer";
    if (error == NULL) {
        k->status_len =
            (size_t)snprintf(k->status, sizeof k->status, "ok %zu\n", k->body.len);
    } else {
        int n = snprintf(k->status, sizeof k->status - 1, "error %s", error);
        size_t len = n < 0 ? 0 : (size_t)n;
        if (len > sizeof k->status - 2)
            len = sizeof k->status - 2;
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)k->status[i] < 0x20)
                k->status[i] = ' ';
        k->status[len++] = '\n';
        k->status_len = len;
        kev_strbuf_clear(&k->body);
    }
    k->status_off = k->body_off = 0;
    k->state = CONN_WRITE;
}

/* A whole request line: printable ASCII, split at the first space. */
static void conn_request(kevmond_ctl *c, conn *k, size_t len)
{
    k->req[len] = '\0';
    if (len && k->req[len - 1] == '\r')
        k->req[--len] = '\0';
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)k->req[i] < 0x20 || (unsigned char)k->req[i] > 0x7e) {
            conn_answer(k, "the request is not printable ASCII");
            c->requests++;
            return;
        }
    }
    char *sp = strchr(k->req, ' ');
    const char *arg = "";
    if (sp) {
        *sp = '\0';
        arg = sp + 1;
    }
    kev_strbuf_clear(&k->body);
    conn_answer(k, k->req[0] ? c->fn(c->ctx, k->req, arg, &k->body) : "empty request");
    c->requests++;
}

static void conn_read(kevmond_ctl *c, conn *k)
{
    for (;;) {
        size_t room = KEVMOND_CTL_MAX_REQUEST - k->req_len;
        ssize_t n = room ? recv(k->fd, k->req + k->req_len, room, 0) : 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0 && room) { /* closed before a whole line, or an error */
            conn_drop(k);
            return;
        }
        char *nl = n > 0 ? memchr(k->req + k->req_len, '\n', (size_t)n) : NULL;
        k->req_len += n > 0 ? (size_t)n : 0;
        if (nl) {
            conn_request(c, k, (size_t)(nl - k->req));
            return;
        }
        if (k->req_len == KEVMOND_CTL_MAX_REQUEST) {
            conn_answer(k, "the request line is too long");
            c->requests++;
            return;
        }
    }
}

/* Writes what the socket takes; closes once everything is out. */
static void conn_write(conn *k)
{
    for (;;) {
        const char *p;
        size_t left;
        if (k->status_off < k->status_len) {
            p = k->status + k->status_off;
            left = k->status_len - k->status_off;
        } else if (k->body_off < k->body.len) {
            p = k->body.p + k->body_off;
            left = k->body.len - k->body_off;
        } else {
            (void)shutdown(k->fd, SHUT_WR);
            k->state = CONN_DRAIN;
            return;
        }
        ssize_t n = send(k->fd, p, left, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            conn_drop(k);
            return;
        }
        if (k->status_off < k->status_len)
            k->status_off += (size_t)n;
        else
            k->body_off += (size_t)n;
    }
}

/* Drops what the client still sends; closes at its end (or an error). */
static void conn_discard(conn *k)
{
    char sink[DRAIN_CHUNK];
    for (;;) {
        ssize_t n = recv(k->fd, sink, sizeof sink, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            conn_drop(k);
            return;
        }
    }
}

#define N_CONNS (KEVMOND_CTL_MAX_CLIENTS + KEVMOND_CTL_MAX_BUSY)

/* A free slot for a new connection: a served one while fewer than
 * KEVMOND_CTL_MAX_CLIENTS are, else a busy one; NULL when all are taken. */
static conn *free_slot(kevmond_ctl *c, bool *busy)
{
    size_t served = 0;
    conn *k = NULL;
    for (size_t i = 0; i < N_CONNS; i++) {
        served += c->conns[i].state != CONN_FREE && !c->conns[i].busy;
        if (k == NULL && c->conns[i].state == CONN_FREE)
            k = &c->conns[i];
    }
    *busy = served >= KEVMOND_CTL_MAX_CLIENTS;
    return k;
}

static void accept_all(kevmond_ctl *c, uint64_t mono_ns)
{
    for (;;) {
        bool busy;
        conn *k = free_slot(c, &busy);
        if (k == NULL)
            return; /* the rest wait in the backlog until a slot frees */
        int fd = accept(c->fd, NULL, NULL);
        if (fd < 0)
            return; /* EAGAIN: all taken; anything else: the next poll retries */
        if (set_nonblock(fd) != 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
            close(fd);
            continue;
        }
        memset(k, 0, sizeof *k);
        k->fd = fd;
        k->busy = busy;
        k->state = CONN_READ;
        k->deadline = mono_ns + (busy ? KEVMOND_CTL_BUSY_NS : KEVMOND_CTL_TIMEOUT_NS);
        if (busy) /* answered at once; then drained until the client closes */
            conn_answer(k, "busy: too many connections");
    }
}

size_t kevmond_ctl_fds(kevmond_ctl *c, struct pollfd *fds)
{
    size_t n = 0;
    bool busy;
    /* With every slot taken, the listening socket is not polled (it would
     * wake the loop at once, again and again). */
    short listen_events = free_slot(c, &busy) ? POLLIN : 0;
    fds[n++] = (struct pollfd){.fd = c->fd, .events = listen_events};
    for (size_t i = 0; i < N_CONNS; i++) {
        const conn *k = &c->conns[i];
        if (k->state == CONN_FREE)
            continue;
        c->slot[n] = i;
        fds[n++] = (struct pollfd){
            .fd = k->fd, .events = (short)(k->state == CONN_WRITE ? POLLOUT : POLLIN)};
    }
    return n;
}

void kevmond_ctl_serve(kevmond_ctl *c, const struct pollfd *fds, size_t n, uint64_t mono_ns)
{
    for (size_t j = 1; j < n; j++) {
        conn *k = &c->conns[c->slot[j]];
        if (k->state == CONN_FREE || k->fd != fds[j].fd || fds[j].revents == 0)
            continue;
        if (k->state == CONN_READ)
            conn_read(c, k);
        if (k->state == CONN_WRITE)
            conn_write(k);
        else if (k->state == CONN_DRAIN)
            conn_discard(k);
    }
    if (n > 0 && (fds[0].revents & POLLIN))
        accept_all(c, mono_ns);
    for (size_t i = 0; i < N_CONNS; i++)
        if (c->conns[i].state != CONN_FREE && mono_ns > c->conns[i].deadline)
            conn_drop(&c->conns[i]);
}

uint64_t kevmond_ctl_requests(const kevmond_ctl *c)
{
    return c->requests;
}

void kevmond_ctl_close(kevmond_ctl *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < N_CONNS; i++)
        conn_drop(&c->conns[i]);
    close(c->fd);
    (void)unlink(c->path);
    free(c->path);
    free(c);
}
