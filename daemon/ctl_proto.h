/*
 * ctl_proto.h: kevmond's control protocol, shared by the daemon (ctl.c)
 * and its client (`kevrr query`, cmd_query.c). docs/daemon.md is the
 * reference; in short:
 *
 *   client connects to the control socket (AF_UNIX, SOCK_STREAM)
 *   client sends   COMMAND [ARGUMENT] "\n"       at most KEVMOND_CTL_MAX_REQUEST bytes
 *   daemon answers "ok LENGTH\n" and LENGTH bytes of body,
 *               or "error MESSAGE\n" (no body)
 *   daemon closes the connection: one request per connection.
 *
 * Commands (kevmond.c's table): state, store, kernel, stats, log, keep,
 * ping, help.
 */
#ifndef KEVMOND_CTL_PROTO_H
#define KEVMOND_CTL_PROTO_H

/* A request line, its newline included. */
#define KEVMOND_CTL_MAX_REQUEST 256u
/* The status line of an answer, its newline included ("ok 1073741824\n",
 * or "error " and a message the daemon keeps shorter than this). */
#define KEVMOND_CTL_MAX_STATUS 512u
/* A body: the state of a full store renders to far less than this. */
#define KEVMOND_CTL_MAX_BODY ((unsigned long long)1 << 30)
/* Where kevmond listens by default, and the client looks: STATE_DIR's
 * default with the socket's default name. */
#define KEVMOND_DEFAULT_STATE_DIR "/var/lib/kevmond"
#define KEVMOND_SOCKET_NAME       "kevmond.sock"
#define KEVMOND_DEFAULT_SOCKET    KEVMOND_DEFAULT_STATE_DIR "/" KEVMOND_SOCKET_NAME
/* The environment variable the client reads when --socket is not given. */
#define KEVMOND_SOCKET_ENV "KEVMOND_SOCKET"

#endif
