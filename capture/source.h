/*
 * capture/source.h: where live recv() batches come from. One small
 * interface over the sockets kevrr can listen on; `kevrr capture` and
 * `kevmond` are its clients.
 *
 * A source is named by a spec string:
 *   pf_system[:VENDOR/CLASS/SUBCLASS]  Darwin's kernel event socket,
 *                                      socket(PF_SYSTEM, SOCK_RAW,
 *                                      SYSPROTO_EVENT) + SIOCSKEVFILT
 *                                      (default 1/1/0: Apple, network, any
 *                                      subclass; eventmon-facts.md s1.2).
 *                                      Only on Darwin.
 *   unix:/path                         binds an AF_UNIX datagram socket
 *                                      (an existing socket file is replaced)
 *   udp:HOST:PORT                      binds a UDP socket (IPv4 or IPv6)
 *   fd:N                               an inherited datagram socket
 *
 * Receiving is recvmsg() into the caller's buffer with MSG_TRUNC detection:
 * a record longer than the buffer keeps its true length in origlen.
 */
#ifndef KEV_CAPTURE_SOURCE_H
#define KEV_CAPTURE_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The buffer a source's client passes to kev_source_recv: large enough for
 * any record a datagram socket or the event socket can deliver. */
#define KEV_SOURCE_BUFFER 65536u
/* Cap on a spec string and on an error message. */
#define KEV_SOURCE_MAX_SPEC 1024u
#define KEV_SOURCE_MAX_ERROR 256u

typedef struct kev_source kev_source;

typedef struct kev_source_opts {
    /* SO_RCVBUF to request (0: leave the system default). */
    int rcvbuf;
    /* Open non-blocking (the daemon polls; capture blocks). */
    bool nonblock;
} kev_source_opts;

/* What one kev_source_recv() returned. */
typedef enum kev_recv_kind {
    KEV_RECV_BATCH,     /* a record: caplen bytes in the buffer, origlen its true length */
    KEV_RECV_TRANSIENT, /* EINTR, EAGAIN/EWOULDBLOCK, ENOBUFS: recorded, then go on */
    KEV_RECV_FATAL      /* anything else: record it and end cleanly */
} kev_recv_kind;

typedef struct kev_recv {
    kev_recv_kind kind;
    uint32_t caplen;  /* bytes stored in the buffer (<= its size) */
    uint32_t origlen; /* the record's true length (> caplen when truncated) */
    int err;          /* errno for TRANSIENT/FATAL */
} kev_recv;

/* Opens the source named by `spec`. Returns 0, or -1 with a message
 * ("unix:/x: bind: Permission denied") in err[0..errlen). */
int kev_source_open(const char *spec, const kev_source_opts *o, kev_source **out, char *err,
                    size_t errlen);
/* Receives one record into buf[0..cap). Never blocks on a nonblock source. */
void kev_source_recv(kev_source *s, uint8_t *buf, size_t cap, kev_recv *r);
/* The socket, for poll(). */
int kev_source_fd(const kev_source *s);
/* The canonical spec ("unix:/tmp/k.sock") and the filter description
 * ("vendor=1 class=1 subclass=0", or NULL when the source has none), for the
 * trace metadata. */
const char *kev_source_spec(const kev_source *s);
const char *kev_source_filter(const kev_source *s);
/* Closes the socket (and unlinks a unix: path it bound). Accepts NULL. */
void kev_source_close(kev_source *s);

/* "EAGAIN", "EINTR", ...: the errno's symbolic name, or NULL when unknown. */
const char *kev_errno_name(int err);

#endif
