/*
 * kev_core.h (internal): the world's state and the services the batch
 * walker (world.c), the handlers (handlers_dl.c, handlers_inet.c) and the
 * report (report.c) share.
 *
 * Profiles are data (kev__profiles[]): which seed version's handlers and
 * size checks apply, whether the emulation is faithful (1024-byte buffer,
 * poison, defects reported) or hardened (validate and go on), and the few
 * per-version behaviours the handlers consult.
 */
#ifndef KEV_CORE_H
#define KEV_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include "kev_cache.h"
#include "kev_cftime.h"
#include "kevrr/events.h"
#include "kevrr/kernel.h"
#include "kevrr/store.h"
#include "kevrr/strbuf.h"
#include "kevrr/value.h"
#include "kevrr/wire.h"
#include "kevrr/world.h"

/* The byte past the received data in the emulated receive buffer: what the
 * original left as uninitialised stack (docs/fidelity.md). */
#define KEV_POISON_BYTE 0xA5u
/* configd's startup timer: 20 ticks, one every 6 s (eventmon.c). */
#define KEV_TIMER_COUNT 20u
#define KEV_TIMER_INTERVAL_NS 6000000000ull
/* S_messages cap (MESSAGES_MAX). */
#define KEV_MESSAGES_MAX 100u
/* The notification configd posts (notify_post). */
#define KEV_NETWORK_CHANGE_NOTIFICATION "com.apple.system.config.network_change"
#define KEV_MESSAGES_KEY "Plugin:KernelEventMonitor"
#define KEV_INTERFACES_KEY "State:/Network/Interface"
/* Distinct keys the report's notification summary counts one by one. */
#define KEV_NOTES_MAX_KEYS 4096u

/* How a handler turns ifr_name bytes into a CFString. */
typedef enum kev_enc {
    KEV_ENC_MACROMAN, /* accepts every byte */
    KEV_ENC_ASCII,    /* CF-1153's lenient ASCII: bytes >= 0x80 as Latin-1 (D10) */
    KEV_ENC_UTF8      /* fails on invalid UTF-8: NULL CFString (D9) */
} kev_enc;

typedef struct kev_profile_def {
    const char *name;
    int version;         /* KEV_VER_*: the event table's column (handlers, checks) */
    bool faithful;       /* emulate buffer, poison and defects */
    kev_enc dl_enc;      /* create_interface_cfstring's encoding */
    kev_enc idle_enc;    /* IdleRoute's encoding */
    bool nat64_on_remove;   /* link_remove also removes NAT64 (v963) */
    bool expensive_always;  /* v888 computes Expensive whatever Active is */
    bool mark_if_flags;     /* v888 PROTO_* side effect */
    bool issues_unix_epoch; /* hardened: TimeStamp converted (fixes D15) */
    bool unit_signed;       /* copy_if_name prints the unit with %d (v888, v963; D11) */
    bool status_remove_absent; /* link status queues the removal of an absent
                                * Link even when only_if_different (v888, v963) */
    bool ipv6_set_always;   /* IPv6 keys are set even when unchanged (v1405) */
    uint32_t code_subclasses; /* bit s: the subclass-s case reads event_code */
} kev_profile_def;

extern const kev_profile_def kev__profiles[KEV_PROFILE__COUNT];

/* The event being processed, as the handlers see it. Payload reads go
 * through kev__ev_* so a faithful profile reads the emulated buffer (and
 * reports D4 past its end) while hardened never leaves the event. */
typedef struct kev_ev {
    const kev_event_def *def;
    kev_msg_header hdr;
    uint32_t index;      /* event index within the batch */
    size_t off;          /* event offset within the batch */
    const uint8_t *buf;  /* the bytes the walker reads */
    size_t limit;        /* reads must end at or before this offset */
    char ifname[KEV_IFNAMSIZ]; /* formatted ifr_name, NUL-terminated */
    size_t ifname_len;
} kev_ev;


struct kev_world {
    kev_world_opts opts;
    const kev_profile_def *prof;
    uint32_t recv_buffer;
    kev_kernel *kernel;
    kev_store *store;
    kev_cache *cache;
    kev_world_stats stats;
    kev_store_observer observer;

    /* clock and startup */
    bool started;
    uint64_t t0, now;
    uint32_t ticks_done;

    /* configd globals */
    bool network_changed;
    kev_value *messages; /* NULL outside the startup window */
    bool messages_modified;

    /* current batch */
    uint64_t batch;     /* index of the batch being processed */
    bool batch_stopped; /* a crash or hang was emulated */
    bool in_batch;
    kev_ev *ev;         /* event being handled, or NULL (prime, ticks) */
    uint8_t *rbuf;      /* emulated receive buffer (faithful profiles) */
    uint8_t *visited;   /* bitmap of the offsets the faithful loop visited */

    /* report */
    kev_strbuf out;     /* text pending for the sink */
    kev_strbuf tmp;     /* scratch: names, messages */
    kev_store *notes;   /* key -> int: notifications seen, for the summary */
    uint64_t notes_overflow; /* notifications on keys past KEV_NOTES_MAX_KEYS */
    /* where the world is (kev_world_where_get) */
    kev_phase phase;
    uint32_t tick_no;
    kev_handler_id handler; /* the handler running, or KEV_H_NONE */
    char snapshot_source[KEV_SNAPSHOT_SOURCE_MAX + 1];
    /* drift tracking (opts.drift; drift.c) */
    kev_store *drift_since; /* key -> int: the batch where it parted (-1: prime) */
    kev_store *drift_dirty; /* keys to check at the end of the batch */
    kev_value *drift_mark;  /* the value of a dirty key */
};

/* --- findings (world.c) --- */

/* Reports a defect (faithful profiles) or a diagnostic (hardened) for the
 * current event. `stops` ends the batch the way the original would crash or
 * hang. Returns false when the batch is now stopped, so callers can write
 * `if (!kev__finding(...)) return;`. */
bool kev__finding(kev_world *w, int defect, const char *code, size_t offset,
                  bool stops, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* --- payload reads (world.c) --- */

/* Reads the u32/u8/bytes at payload offset `poff` of the current event.
 * False (and the batch stopped with D4) when the read leaves the buffer. */
bool kev__ev_u32(kev_world *w, uint32_t poff, uint32_t *v);
bool kev__ev_u8(kev_world *w, uint32_t poff, uint8_t *v);
bool kev__ev_bytes(kev_world *w, uint32_t poff, void *dst, size_t n);

/* --- names and keys (handlers_dl.c) --- */

/* Appends `name` converted by `enc` to `out` as UTF-8. ASCII reports D10
 * for bytes >= 0x80 (faithful profiles). UTF-8 fails on invalid input: the
 * faithful v963 profile then reports D9 (the CFRelease(NULL) crash) and
 * stops the batch. Returns false when the batch is stopped. */
/* Keys built on the stack hold a converted name (15 bytes, at most 3 UTF-8
 * bytes each) and an entity; KEV_KEY_CAP leaves room for both. */
#define KEV_KEY_CAP 192u
bool kev__name_convert(kev_world *w, const char *name, kev_enc enc,
                       char *out, size_t cap);
/* Hardened only: true when an interface name from the simulated kernel
 * (a snapshot can hold anything) may become part of a store key, else a
 * diagnostic and false. Faithful profiles take every name, as configd. */
bool kev__kernel_name_ok(kev_world *w, const char *name);
/* Builds "State:/Network/Interface/<name>/<entity>" into `out`. False when
 * the name does not convert (see kev__name_convert). */
bool kev__if_key(kev_world *w, char out[KEV_KEY_CAP], const char *name,
                 kev_enc enc, const char *entity);

/* --- configd services (handlers_dl.c) --- */
void kev__messages_add(kev_world *w, const char *msg, const char *arg);
void kev__messages_post(kev_world *w);
void kev__update_interfaces(kev_world *w, const char *msg, bool first_time);
void kev__link_update_status(kev_world *w, const char *name, bool attach,
                             bool only_if_different);
void kev__check_interface_link_status(kev_world *w, const char *name);

/* --- handlers: one per kev_handler_id (handlers_dl.c, handlers_inet.c) --- */
typedef void (*kev_handler_fn)(kev_world *w, kev_ev *e);
extern const kev_handler_fn kev__handlers[KEV_H__COUNT];

void kev__h_link_add(kev_world *w, kev_ev *e);
void kev__h_link_detaching(kev_world *w, kev_ev *e);
void kev__h_link_remove(kev_world *w, kev_ev *e);
void kev__h_link_status(kev_world *w, kev_ev *e);
void kev__h_proto_mark(kev_world *w, kev_ev *e);
void kev__h_proto_log(kev_world *w, kev_ev *e);
void kev__h_idle_route(kev_world *w, kev_ev *e);
void kev__h_link_quality(kev_world *w, kev_ev *e);
void kev__h_link_issues(kev_world *w, kev_ev *e);
void kev__h_ifdelegate(kev_world *w, kev_ev *e);
void kev__h_ipv4_update(kev_world *w, kev_ev *e);
void kev__h_arp_collision(kev_world *w, kev_ev *e);
void kev__h_port_in_use(kev_world *w, kev_ev *e);
void kev__h_arp_rtr_failure(kev_world *w, kev_ev *e);
void kev__h_arp_rtr_alive(kev_world *w, kev_ev *e);
void kev__h_ipv6_update(kev_world *w, kev_ev *e);
void kev__h_nd6_update(kev_world *w, kev_ev *e);
void kev__h_nat64_request(kev_world *w, kev_ev *e);
void kev__h_rtr_expired(kev_world *w, kev_ev *e);

/* ipv4_interface_update / interface_update_ipv6 with a name, or NULL for
 * every interface (handlers_inet.c). */
void kev__ipv4_update(kev_world *w, const char *name);
void kev__ipv6_update(kev_world *w, const char *name);
/* The address properties of the IPv4 (IPv6) dictionary, in the seed's
 * order: Addresses, SubnetMasks, DestAddresses, BroadcastAddresses
 * (Addresses, DestAddresses, Flags, PrefixLength). */
const char *const *kev__inet_props(bool v6);
/* The address arrays a re-read of `ifp` gives, as a new dictionary (empty
 * when it has no usable address; NULL when out of memory): what drift
 * compares the store's IPv4/IPv6 value with. */
kev_value *kev__inet_expected(const kev_iface *ifp, bool v6);

/* --- the simulated kernel's event source (kernel_events.c) --- */
/* Applies every well-framed Apple network event of a batch to the kernel,
 * profile-independently: what the real kernel did before posting them.
 * `touched` (may be NULL) is called with the name of every interface an
 * event changed (drift tracking). */
typedef void (*kev__touched_fn)(void *ctx, const char *name);
void kev__kernel_apply_batch(kev_kernel *k, const uint8_t *bytes, size_t len,
                             kev__touched_fn touched, void *ctx);

/* --- drift tracking (drift.c) --- */
int kev__drift_init(kev_world *w); /* 0 or KEV_ENOMEM */
void kev__drift_free(kev_world *w);
void kev__drift_reset(kev_world *w);
/* Marks a store key, or every key of an interface (a kev__touched_fn), or
 * every interface of the kernel, to be checked at the next settle. */
void kev__drift_mark_key(kev_world *w, const char *key);
void kev__drift_mark_iface(void *w, const char *name);
void kev__drift_mark_all(kev_world *w);
/* Checks the marked keys: a key that starts drifting records the current
 * batch (or prime), one that stops is forgotten; each change is reported
 * (drift_each) and passed to on_drift. */
void kev__drift_settle(kev_world *w, bool at_prime);
/* Appends the final "drift keys=N" section. */
void kev__drift_report(kev_world *w, kev_strbuf *o);

/* --- report (report.c) --- */
bool kev__reporting(const kev_world *w);
void kev__report_flush(kev_world *w);
void kev__report_line(kev_world *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void kev__report_bytes_escaped(kev_strbuf *out, const char *p, size_t n);
/* Appends free text (a finding's message, an interface name) with bytes
 * below 0x20 or from 0x7f, and backslashes, escaped as \xNN and \\: one
 * report line stays one line of ASCII. Quotes are kept. */
void kev__report_text_escaped(kev_strbuf *out, const char *s);
/* Append a number, or a trace time as SECONDS.NNNNNNNNN, to the report
 * (the hot lines are built with these rather than printf). */
void kev__report_u64(kev_world *w, uint64_t v);
void kev__report_time(kev_world *w, uint64_t t_ns);
void kev__report_header(kev_world *w);
void kev__report_final(kev_world *w);
void kev__report_store_op(void *ctx, const kev_store_op *op);
void kev__report_commit(void *ctx, size_t changed);
void kev__note_notify(kev_world *w, const char *key);

#endif
