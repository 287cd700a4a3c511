/*
 * ctl.h: kevmond's control socket (the server side of ctl_proto.h): a
 * listening AF_UNIX stream socket and up to KEVMOND_CTL_MAX_CLIENTS
 * connections, all non-blocking, driven by the daemon's poll() loop. A slow
 * or silent client never blocks the daemon: it is dropped after
 * KEVMOND_CTL_TIMEOUT_NS.
 */
#ifndef KEVMOND_CTL_H
#define KEVMOND_CTL_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "kevrr/strbuf.h"

/* Connections served at once, and how long one may take from connect to
 * the last byte of the answer. */
#define KEVMOND_CTL_MAX_CLIENTS 8u
#define KEVMOND_CTL_TIMEOUT_NS  10000000000ull
/* Connections past those, told "error busy: too many connections": each is
 * answered, then held (what it sends read and dropped) until it closes or
 * KEVMOND_CTL_BUSY_NS pass, so that it reads the answer rather than a reset.
 * With these taken too, new connections wait in the listen backlog. */
#define KEVMOND_CTL_MAX_BUSY 32u
#define KEVMOND_CTL_BUSY_NS  2000000000ull
/* Poll entries the control socket needs at most. */
#define KEVMOND_CTL_MAX_FDS (1u + KEVMOND_CTL_MAX_CLIENTS + KEVMOND_CTL_MAX_BUSY)

/* Answers one request: `cmd` is its first word, `arg` the rest ("" when
 * none). Fills `body` and returns NULL (ok), or returns an error message
 * (error; the body is dropped). */
typedef const char *(*kevmond_ctl_fn)(void *ctx, const char *cmd, const char *arg,
                                      kev_strbuf *body);

typedef struct kevmond_ctl kevmond_ctl;

/* Listens on `path` (mode 0600). A stale socket file there is replaced;
 * one a live daemon answers on is not. Returns 0, or -1 with why in `err`. */
int kevmond_ctl_open(const char *path, kevmond_ctl_fn fn, void *ctx, kevmond_ctl **out,
                     kev_strbuf *err);
/* Fills fds[0..) with what to poll; returns how many (<= KEVMOND_CTL_MAX_FDS). */
size_t kevmond_ctl_fds(kevmond_ctl *c, struct pollfd *fds);
/* Serves what poll() reported on the entries kevmond_ctl_fds filled, and
 * drops connections past their deadline (`mono_ns`, a monotonic clock). */
void kevmond_ctl_serve(kevmond_ctl *c, const struct pollfd *fds, size_t n,
                       uint64_t mono_ns);
/* Requests answered (ok or error) so far. */
uint64_t kevmond_ctl_requests(const kevmond_ctl *c);
/* Closes every connection and the socket, and removes the socket file.
 * Accepts NULL. */
void kevmond_ctl_close(kevmond_ctl *c);

#endif
