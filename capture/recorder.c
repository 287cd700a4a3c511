/*
 * recorder.c: the rotating trace writer of recorder.h.
 *
 * One kev_trace_writer at a time writes the current file, unbuffered by
 * stdio (the writer hands it whole BGZF members), so the file on disk
 * always ends at a member boundary unless a write() failed half way. When
 * one does (ENOSPC, EFBIG from RLIMIT_FSIZE, EIO), the error is kept with
 * its errno and message, the file is cut back to the end of its last whole
 * member, and nothing more is written: every file stays a readable trace
 * up to what was written ("cut short" when its end could not be written).
 */
#define _POSIX_C_SOURCE 200809L /* fileno, fsync, ftruncate */

#include "recorder.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kevrr/error.h"

/* Cap on the recorder's error message. */
#define RECORDER_MAX_MSG (KEV_RECORDER_MAX_PATH + 256u)
/* The suffix before which a file's number is inserted. */
#define RECORDER_SUFFIX ".kev"

struct kev_recorder {
    kev_recorder_opts o;
    char *path;             /* o.path, owned */
    kev_trace_meta meta;    /* strings owned */
    FILE *f;                /* the current file (stdout for "-") */
    kev_trace_writer *w;    /* its writer; NULL after an error closed it */
    bool to_stdout;
    bool rotating;          /* files are numbered (path.k.kev) */
    uint64_t index;         /* k of the current file */
    uint64_t file_start_ns; /* when the current file was opened */
    uint64_t last_flush_ns;
    bool dirty;             /* records written since the last flush */
    uint64_t closed_bytes;  /* compressed bytes of the files closed */
    kev_recorder_stats st;
    int err;                /* the sticky errno */
    char msg[RECORDER_MAX_MSG];
    char cur[KEV_RECORDER_MAX_PATH];
};

/* ---------------------------------------------------------------- errors */

/* Keeps the first error: `err` (an errno) and "PATH: what: strerror". */
static int fail(kev_recorder *r, int err, const char *what)
{
    if (r->err == 0) {
        r->err = err;
        snprintf(r->msg, sizeof r->msg, "%s: %s: %s", r->cur[0] ? r->cur : r->path, what,
                 strerror(err));
    }
    return r->err;
}

/* The errno behind a writer's KEV_E* code: for an I/O error, errno as the
 * failed write() left it (no call in between touches it). */
static int writer_errno(int kev_rc, int saved_errno)
{
    if (kev_rc == KEV_ENOMEM)
        return ENOMEM;
    if (kev_rc == KEV_EINVAL || kev_rc == KEV_ETOOBIG)
        return EINVAL;
    return saved_errno ? saved_errno : EIO;
}

/* After a failed write: cuts the file back to its last whole member (a
 * torn member would still read, but "cut short" is the truth), and drops
 * the writer. */
static void cut_back(kev_recorder *r)
{
    uint64_t good = 0;
    kev_trace_writer_stats(r->w, NULL, NULL, &good);
    kev_trace_writer_abandon(r->w);
    r->w = NULL;
    r->closed_bytes += good;
    if (!r->to_stdout && good <= (uint64_t)INT64_MAX)
        (void)ftruncate(fileno(r->f), (off_t)good);
}

/* Records the writer's failure `rc` (a KEV_E* code). */
static int writer_failed(kev_recorder *r, int rc, int saved_errno, const char *what)
{
    int e = writer_errno(rc, saved_errno);
    if (e == EINVAL)
        return e; /* a bad argument: the writer is still whole */
    fail(r, e, what);
    cut_back(r);
    return r->err;
}

/* ---------------------------------------------------------------- names */

/* File k's name: PATH with ".k" before a ".kev" suffix, or appended. */
static int file_name(const kev_recorder *r, uint64_t k, char *out, size_t cap)
{
    size_t n = strlen(r->path), sl = strlen(RECORDER_SUFFIX);
    bool suffix = n > sl && strcmp(r->path + n - sl, RECORDER_SUFFIX) == 0;
    size_t stem = suffix ? n - sl : n;
    int len = snprintf(out, cap, "%.*s.%" PRIu64 "%s", (int)stem, r->path, k,
                       suffix ? RECORDER_SUFFIX : "");
    return len > 0 && (size_t)len < cap ? 0 : -1;
}

/* The first file of the ring still kept. */
static uint64_t ring_first(const kev_recorder *r)
{
    uint32_t m = r->o.max_files;
    return m && r->index + 1 > m ? r->index + 1 - m : 0;
}

/* ---------------------------------------------------------------- files */

/* Opens file r->index at now_ns (its name in r->cur). */
static int file_open(kev_recorder *r, uint64_t now_ns)
{
    if (r->to_stdout) {
        r->f = stdout;
        snprintf(r->cur, sizeof r->cur, "-");
    } else {
        if (!r->rotating)
            snprintf(r->cur, sizeof r->cur, "%s", r->path);
        else if (file_name(r, r->index, r->cur, sizeof r->cur) != 0)
            return fail(r, ENAMETOOLONG, "file name");
        r->f = fopen(r->cur, "wb");
        if (r->f == NULL)
            return fail(r, errno, "cannot create");
        /* Whole members go straight to write(): no stdio buffer to lose or
         * to flush half way after an error. */
        setvbuf(r->f, NULL, _IONBF, 0);
    }
    kev_trace_meta m = r->meta;
    m.start_ns = now_ns;
    int rc;
    errno = 0;
    r->w = kev_trace_writer_open_level(r->f, &m, r->o.level, &rc);
    int saved = errno;
    if (r->w == NULL)
        return fail(r, writer_errno(rc, saved), "cannot write the trace header");
    r->file_start_ns = r->last_flush_ns = now_ns;
    r->st.files++;
    /* The header on disk at once: the file is a readable (empty) trace
     * from the start, and a bad path or a full disk shows now. */
    r->dirty = true;
    return kev_recorder_flush(r, r->o.fsync);
}

/* Closes the current file whole: ISB, EOF member, fsync when asked. */
static int file_close(kev_recorder *r, uint64_t stop_ns)
{
    int rc = 0;
    if (r->w != NULL && r->o.fsync) {
        errno = 0;
        rc = kev_trace_flush(r->w, true);
        int saved = errno;
        if (rc != 0)
            writer_failed(r, rc, saved, "write");
    }
    if (r->w != NULL) {
        uint64_t bytes = 0;
        kev_trace_writer_stats(r->w, NULL, NULL, &bytes);
        errno = 0;
        rc = kev_trace_writer_close(r->w, stop_ns);
        int saved = errno;
        r->w = NULL;
        /* With the ISB and EOF members: the file's size (no stdio buffer). */
        long pos = r->to_stdout ? -1 : ftell(r->f);
        r->closed_bytes += rc == 0 && pos > 0 ? (uint64_t)pos : bytes;
        if (rc != 0) {
            fail(r, writer_errno(rc, saved), "cannot close the trace");
            /* Back to the members written before the close began. */
            if (!r->to_stdout && bytes <= (uint64_t)INT64_MAX)
                (void)ftruncate(fileno(r->f), (off_t)bytes);
        } else if (r->o.fsync && !r->to_stdout && fsync(fileno(r->f)) != 0 && errno != EINVAL) {
            fail(r, errno, "fsync");
        }
        r->st.flushes++;
    }
    if (r->f != NULL && !r->to_stdout && fclose(r->f) != 0)
        fail(r, errno, "close");
    r->f = NULL;
    return r->err;
}

/* Removes the file that falls out of the ring when file r->index opens. */
static void ring_prune(kev_recorder *r)
{
    char old[KEV_RECORDER_MAX_PATH];
    uint32_t m = r->o.max_files;
    if (m == 0 || r->index < m || file_name(r, r->index - m, old, sizeof old) != 0)
        return;
    (void)unlink(old); /* already gone (removed by hand): nothing to do */
}

/* ---------------------------------------------------------------- open */

static char *dup_or_null(const char *s, bool *oom)
{
    if (s == NULL)
        return NULL;
    char *d = strdup(s);
    *oom |= d == NULL;
    return d;
}

static void meta_free(kev_trace_meta *m)
{
    free((char *)m->source);
    free((char *)m->filter);
    free((char *)m->os);
    free((char *)m->hardware);
    free((char *)m->tool);
    free((char *)m->comment);
    free((char *)m->snapshot);
}

/* Deep-copies the metadata (the snapshot by its length). */
static int meta_copy(kev_trace_meta *d, const kev_trace_meta *s)
{
    bool oom = false;
    memset(d, 0, sizeof *d);
    if (s == NULL)
        return 0;
    d->source = dup_or_null(s->source, &oom);
    d->filter = dup_or_null(s->filter, &oom);
    d->os = dup_or_null(s->os, &oom);
    d->hardware = dup_or_null(s->hardware, &oom);
    d->tool = dup_or_null(s->tool, &oom);
    d->comment = dup_or_null(s->comment, &oom);
    d->big_endian = s->big_endian;
    if (s->snapshot != NULL) {
        char *snap = malloc(s->snapshot_len + 1);
        oom |= snap == NULL;
        if (snap != NULL) {
            memcpy(snap, s->snapshot, s->snapshot_len);
            snap[s->snapshot_len] = '\0';
        }
        d->snapshot = snap;
        d->snapshot_len = s->snapshot_len;
    }
    return oom ? -1 : 0;
}

static void recorder_free(kev_recorder *r)
{
    meta_free(&r->meta);
    free(r->path);
    free(r);
}

int kev_recorder_open(const kev_recorder_opts *o, uint64_t now_ns, kev_recorder **out,
                      char *err, size_t errlen)
{
    *out = NULL;
    if (o == NULL || o->path == NULL || o->path[0] == '\0' ||
        strlen(o->path) + 24 >= KEV_RECORDER_MAX_PATH) {
        snprintf(err, errlen, "output path missing or longer than %u bytes",
                 KEV_RECORDER_MAX_PATH - 24);
        return -1;
    }
    bool rotating = o->max_bytes || o->max_seconds || o->max_files;
    if (o->level != 0 && (o->level < KEV_TRACE_LEVEL_MIN || o->level > KEV_TRACE_LEVEL_MAX)) {
        snprintf(err, errlen, "compression level %d: use %d..%d", o->level,
                 KEV_TRACE_LEVEL_MIN, KEV_TRACE_LEVEL_MAX);
        return -1;
    }
    if (o->max_files > KEV_RECORDER_MAX_FILES) {
        snprintf(err, errlen, "a ring of %" PRIu32 " files: at most %u", o->max_files,
                 KEV_RECORDER_MAX_FILES);
        return -1;
    }
    if (strcmp(o->path, "-") == 0 && rotating) {
        snprintf(err, errlen, "standard output cannot be rotated");
        return -1;
    }
    kev_recorder *r = calloc(1, sizeof *r);
    if (r == NULL || (r->path = strdup(o->path)) == NULL || meta_copy(&r->meta, o->meta)) {
        snprintf(err, errlen, "out of memory");
        if (r != NULL)
            recorder_free(r);
        return -1;
    }
    r->o = *o;
    r->o.path = r->path;
    r->o.meta = &r->meta;
    if (r->o.flush_interval_ns == 0)
        r->o.flush_interval_ns = KEV_RECORDER_FLUSH_NS;
    if (r->o.level == 0)
        r->o.level = KEV_RECORDER_LEVEL;
    r->to_stdout = strcmp(o->path, "-") == 0;
    r->rotating = rotating;
    if (file_open(r, now_ns) != 0) {
        snprintf(err, errlen, "%s", r->msg);
        if (r->f != NULL && !r->to_stdout) {
            fclose(r->f);
            (void)unlink(r->cur);
        }
        recorder_free(r);
        return -1;
    }
    *out = r;
    return 0;
}

/* ---------------------------------------------------------------- writing */

/* Is a size or time limit due before writing at t_ns? */
static bool rotation_due(const kev_recorder *r, uint64_t t_ns)
{
    if (r->o.max_seconds && t_ns >= r->file_start_ns &&
        (t_ns - r->file_start_ns) / 1000000000ull >= r->o.max_seconds)
        return true;
    if (r->o.max_bytes) {
        uint64_t bytes = 0;
        kev_trace_writer_stats(r->w, NULL, NULL, &bytes);
        return bytes >= r->o.max_bytes;
    }
    return false;
}

/* Rotates when due, then checks the writer is there. */
static int before_write(kev_recorder *r, uint64_t t_ns)
{
    if (r->err)
        return r->err;
    if (rotation_due(r, t_ns))
        return kev_recorder_rotate(r, t_ns);
    return 0;
}

/* Flushes when the interval has passed since the last flush. */
static int flush_if_due(kev_recorder *r, uint64_t now_ns)
{
    if (!r->dirty || now_ns < r->last_flush_ns ||
        now_ns - r->last_flush_ns < r->o.flush_interval_ns)
        return r->err;
    int rc = kev_recorder_flush(r, r->o.fsync);
    r->last_flush_ns = now_ns;
    return rc;
}

int kev_recorder_batch(kev_recorder *r, uint64_t t_ns, const uint8_t *data, uint32_t caplen,
                       uint32_t origlen)
{
    int rc = before_write(r, t_ns);
    if (rc)
        return rc;
    errno = 0;
    rc = kev_trace_write_batch(r->w, t_ns, data, caplen, origlen);
    int saved = errno;
    if (rc)
        return writer_failed(r, rc, saved, "write");
    r->st.records++;
    r->st.batches++;
    r->st.raw_bytes += caplen;
    r->dirty = true;
    return flush_if_due(r, t_ns);
}

int kev_recorder_error(kev_recorder *r, uint64_t t_ns, int err, const char *err_name)
{
    int rc = before_write(r, t_ns);
    if (rc)
        return rc;
    errno = 0;
    rc = kev_trace_write_error(r->w, t_ns, err, err_name);
    int saved = errno;
    if (rc)
        return writer_failed(r, rc, saved, "write");
    r->st.records++;
    r->st.errors++;
    r->dirty = true;
    return flush_if_due(r, t_ns);
}

int kev_recorder_tick(kev_recorder *r, uint64_t now_ns)
{
    if (r->err)
        return r->err;
    if (r->o.max_seconds && rotation_due(r, now_ns))
        return kev_recorder_rotate(r, now_ns);
    return flush_if_due(r, now_ns);
}

int kev_recorder_flush(kev_recorder *r, bool sync)
{
    if (r->err)
        return r->err;
    errno = 0;
    int rc = kev_trace_flush(r->w, sync || r->o.fsync);
    int saved = errno;
    if (rc)
        return writer_failed(r, rc, saved, "write");
    r->dirty = false;
    r->st.flushes++;
    return 0;
}

int kev_recorder_rotate(kev_recorder *r, uint64_t now_ns)
{
    if (r->err)
        return r->err;
    if (r->to_stdout)
        return EINVAL; /* not sticky: standard output goes on as one trace */
    if (file_close(r, now_ns) != 0)
        return r->err;
    if (!r->rotating) {
        /* The first rotation numbers the file written so far as file 0. */
        char first[KEV_RECORDER_MAX_PATH];
        r->rotating = true;
        if (file_name(r, 0, first, sizeof first) != 0)
            return fail(r, ENAMETOOLONG, "file name");
        if (rename(r->path, first) != 0)
            return fail(r, errno, "rename");
    }
    r->index++;
    ring_prune(r);
    return file_open(r, now_ns);
}

/* ---------------------------------------------------------------- queries */

int kev_recorder_files(const kev_recorder *r, int (*fn)(const char *path, void *ctx),
                       void *ctx)
{
    char name[KEV_RECORDER_MAX_PATH];
    if (!r->rotating)
        return fn(r->cur, ctx);
    for (uint64_t k = ring_first(r); k <= r->index; k++) {
        if (file_name(r, k, name, sizeof name) != 0)
            continue;
        int rc = fn(name, ctx);
        if (rc)
            return rc;
    }
    return 0;
}

const char *kev_recorder_current(const kev_recorder *r)
{
    return r->cur;
}

void kev_recorder_stats_get(const kev_recorder *r, kev_recorder_stats *s)
{
    uint64_t bytes = 0;
    *s = r->st;
    if (r->w != NULL)
        kev_trace_writer_stats(r->w, NULL, NULL, &bytes);
    s->file_bytes = r->closed_bytes + bytes;
}

int kev_recorder_failed(const kev_recorder *r, const char **msg)
{
    if (msg != NULL)
        *msg = r->err ? r->msg : NULL;
    return r->err;
}

int kev_recorder_close(kev_recorder *r, uint64_t stop_ns)
{
    if (r == NULL)
        return 0;
    (void)file_close(r, stop_ns);
    int rc = r->err;
    recorder_free(r);
    return rc;
}
