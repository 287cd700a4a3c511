/*
 * fuzz/fuzz_trace.c: whole trace files (pcapng blocks in BGZF members,
 * docs/trace-format.md), damage and all, through the trace reader into the
 * hardened core, the way `kevrr replay` reads them, and into one faithful
 * profile's core (v888, v963 or v1405, chosen by a hash of the input so a
 * crash reproduces; all three in the regression driver): the only target
 * whose inputs carry an interface snapshot, so the only one that reaches
 * a faithful prime over a snapshot and D18.
 *
 * The reader opens paths, so each input is written to one private
 * temporary file (under $TMPDIR or /tmp, the only place an OSS-Fuzz bot may
 * write) and opened from there. The snapshot, when the trace has one and it
 * loads, goes into the simulated kernel first; then every record (at most
 * KEV_FUZZ_TRACE_MAX_RECORDS) is fed. A trace that ends in damage is read a
 * second time in salvage mode. The core's invariants hold after every input.
 */
#define _POSIX_C_SOURCE 200809L /* mkstemp, pwrite, ftruncate */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kev_fuzz.h"
#include "kevrr/trace.h"
#include "kevrr/wire.h"

/* The temporary file's path: "$TMPDIR/kevrr-fuzz-trace-XXXXXX". */
#define TRACE_PATH_MAX 4096u

static char trace_path[TRACE_PATH_MAX];
static int trace_fd = -1;

static void remove_temp(void)
{
    if (trace_fd >= 0)
        unlink(trace_path);
}

/* Creates the temporary file once; aborts when it cannot. */
static void temp_open(void)
{
    const char *dir = getenv("TMPDIR");
    if (dir == NULL || *dir == '\0')
        dir = "/tmp";
    int n = snprintf(trace_path, sizeof trace_path, "%s/kevrr-fuzz-trace-XXXXXX", dir);
    if (n < 0 || (size_t)n >= sizeof trace_path)
        kev_fuzz_fail("fuzz_trace: TMPDIR is longer than %u bytes", TRACE_PATH_MAX);
    trace_fd = mkstemp(trace_path);
    if (trace_fd < 0)
        kev_fuzz_fail("fuzz_trace: cannot create %s", trace_path);
    atexit(remove_temp);
}

/* Replaces the temporary file's contents with the input. */
static void temp_write(const uint8_t *data, size_t size)
{
    if (ftruncate(trace_fd, 0) != 0)
        kev_fuzz_fail("fuzz_trace: cannot truncate %s", trace_path);
    for (size_t off = 0; off < size;) {
        ssize_t k = pwrite(trace_fd, data + off, size - off, (off_t)off);
        if (k <= 0)
            kev_fuzz_fail("fuzz_trace: cannot write %s", trace_path);
        off += (size_t)k;
    }
}

static void load_snapshot(kev_world *w, const kev_trace_meta *m)
{
    if (m->snapshot != NULL && m->snapshot_len > 0)
        (void)kev_world_load_snapshot(w, m->snapshot, m->snapshot_len, NULL);
}

/* One record into `w`. */
static void feed(kev_world *w, const kev_trace_rec *rec)
{
    if (rec->kind == KEV_TR_ERROR) {
        if (kev_world_feed_error(w, rec->err, rec->err_name, rec->t_ns) != 0)
            kev_fuzz_fail("fuzz_trace: kev_world_feed_error failed");
    } else if (kev_world_feed(w, rec->data,
                              rec->caplen > KEV_MAX_BATCH ? KEV_MAX_BATCH : rec->caplen,
                              rec->t_ns) != 0) {
        kev_fuzz_fail("fuzz_trace: kev_world_feed(%u bytes) failed", rec->caplen);
    }
}

/* Reads the trace at the temporary path with `flags`, feeding each record
 * to each of the `nw` worlds `w` (none: read only). Returns true when the
 * reading ended in damage (or the trace did not open). */
static bool read_trace(kev_world *const *w, size_t nw, unsigned flags)
{
    int err = 0;
    kev_trace_rec rec;
    kev_trace_reader *r = kev_trace_open(trace_path, flags, &err, NULL);
    if (r == NULL)
        return true;
    for (size_t i = 0; i < nw; i++)
        load_snapshot(w[i], kev_trace_meta_get(r));
    int rc = 0;
    for (uint32_t n = 0; n < KEV_FUZZ_TRACE_MAX_RECORDS && (rc = kev_trace_next(r, &rec)) == 1;
         n++) {
        for (size_t i = 0; i < nw; i++)
            feed(w[i], &rec);
    }
    bool damaged = rc < 0;
    if (rc == 0)
        damaged = kev_trace_end(r, NULL)->status != KEV_TS_OK;
    kev_trace_close(r);
    return damaged;
}

/* The faithful profiles a trace also runs under, one per input. */
static const kev_profile faithful[] = {KEV_PROFILE_V888, KEV_PROFILE_V963, KEV_PROFILE_V1405};
#define NFAITHFUL (sizeof faithful / sizeof faithful[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static kev_world *hardened, *legacy[NFAITHFUL];
    static kev_fuzz_render r;
    if (hardened == NULL) {
        temp_open();
        hardened = kev_fuzz_world_new(KEV_PROFILE_HARDENED, false, kev_fuzz_sink_render(&r),
                                      NULL, NULL);
    }
    kev_world *w[1 + NFAITHFUL] = {hardened};
    size_t nw = 1;
    /* Byte 8 of the hash: its low bits choose the sampled inputs. */
    size_t pick = (kev_fuzz_hash(data, size) >> 8) % NFAITHFUL;
    for (size_t i = 0; i < NFAITHFUL; i++) {
        if (!kev_fuzz_check_all && i != pick)
            continue;
        if (legacy[i] == NULL) /* verbose off, no sink: the report is hardened's */
            legacy[i] = kev_fuzz_world_new(faithful[i], false, (kev_sink){NULL, NULL}, NULL,
                                           NULL);
        w[nw++] = legacy[i];
    }
    r.len = 0;
    r.head[0] = '\0';
    temp_write(data, size);
    if (read_trace(w, nw, 0))
        (void)read_trace(NULL, 0, KEV_TRACE_SALVAGE);
    bool full = kev_fuzz_sampled(data, size);
    kev_fuzz_finish_check(hardened, &r, full);
    for (size_t i = 1; i < nw; i++)
        kev_fuzz_finish_check(w[i], NULL, full);
    for (size_t i = 0; i < nw; i++)
        kev_fuzz_reset_check(w[i]);
    return 0;
}
