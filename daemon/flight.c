/*
 * flight.c: kevmond's flight recorder (flight.h): the ring through
 * capture's rotating recorder, and keeping it aside under kept/.
 */
#define _POSIX_C_SOURCE 200809L /* link, mkdir, opendir, gmtime_r */

#include "flight.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "recorder.h"

/* The ring's base name (the recorder numbers it: flight.0.kev, ...), the
 * kept ring's note, and the cap on ring files found at open. */
#define RING_BASE "flight.kev"
#define KEPT_NOTE "kept.txt"
#define MAX_SCAN  100000u
/* "-2" .. "-99": suffixes tried after a kept name already taken. */
#define MAX_SUFFIX 99
/* The copy fallback's buffer. */
#define COPY_CHUNK 65536u

struct kevmond_flight {
    kevmond_flight_opts o;
    kev_recorder *rec;
    char ring_dir[KEVMOND_FLIGHT_MAX_PATH];
    char kept_dir[KEVMOND_FLIGHT_MAX_PATH];
    bool kept_any;      /* an automatic keep happened (last_keep is valid) */
    uint64_t last_keep; /* monotonic ns of the last automatic keep */
    kevmond_flight_stats st;
};

/* ---------------------------------------------------------------- helpers */

/* dir/name into out[KEVMOND_FLIGHT_MAX_PATH]; -1 when it does not fit. */
static int join(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, KEVMOND_FLIGHT_MAX_PATH, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= KEVMOND_FLIGHT_MAX_PATH ? -1 : 0;
}

/* mkdir (0700: the host's network history is its user's only) that
 * accepts an existing directory, closing one an older kevmond left 0755. */
static int make_dir(const char *path, kev_strbuf *err)
{
    struct stat st;
    if (mkdir(path, 0700) == 0)
        return 0;
    if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        if ((st.st_mode & 077) != 0)
            (void)chmod(path, 0700);
        return 0;
    }
    kev_strbuf_addf(err, "%s: cannot create the directory: %s", path,
                    errno == EEXIST ? "a file is in the way" : strerror(errno));
    return -1;
}

/* Copies src to dst (created, not replaced): the fallback when link()
 * cannot join the two (another file system). */
static int copy_file(const char *src, const char *dst)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) {
        close(in);
        return -1;
    }
    static char buf[COPY_CHUNK];
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = read(in, buf, sizeof buf)) != 0) {
        if (n < 0) {
            rc = errno == EINTR ? 0 : -1;
            continue;
        }
        for (ssize_t off = 0; off < n && rc == 0;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w > 0)
                off += w;
            else if (errno != EINTR)
                rc = -1;
        }
    }
    if (close(out) != 0)
        rc = -1;
    close(in);
    if (rc != 0)
        (void)unlink(dst);
    return rc;
}

static int link_or_copy(const char *src, const char *dst)
{
    return link(src, dst) == 0 ? 0 : copy_file(src, dst);
}

/* "20261123T101500Z" for a realtime ns. */
static void stamp(uint64_t now_ns, char out[32], bool iso)
{
    time_t secs = (time_t)(now_ns / 1000000000u);
    struct tm tm;
    if (gmtime_r(&secs, &tm) == NULL ||
        strftime(out, 32, iso ? "%Y-%m-%dT%H:%M:%S" : "%Y%m%dT%H%M%SZ", &tm) == 0)
        snprintf(out, 32, "%llu", (unsigned long long)secs);
}

/* The reason as a file-name word: [a-z0-9-], at most MAX_REASON - 1 bytes. */
static void reason_word(const char *reason, char out[KEVMOND_FLIGHT_MAX_REASON])
{
    size_t i = 0;
    for (; reason[i] && i < KEVMOND_FLIGHT_MAX_REASON - 1; i++) {
        char c = reason[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
        out[i] = ok ? c : (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : '-';
    }
    out[i] = '\0';
    if (i == 0)
        snprintf(out, KEVMOND_FLIGHT_MAX_REASON, "unknown");
}

/* Creates kept/STAMP-REASON (or with -2, -3, ...) into path. */
static int make_kept_dir(kevmond_flight *f, uint64_t now_ns, const char *reason,
                         char path[KEVMOND_FLIGHT_MAX_PATH], kev_strbuf *msg)
{
    char st[32], word[KEVMOND_FLIGHT_MAX_REASON], name[128];
    stamp(now_ns, st, false);
    reason_word(reason, word);
    for (int k = 1; k <= MAX_SUFFIX; k++) {
        if (k == 1)
            snprintf(name, sizeof name, "%s-%s", st, word);
        else
            snprintf(name, sizeof name, "%s-%s-%d", st, word, k);
        if (join(path, f->kept_dir, name) != 0) {
            kev_strbuf_addf(msg, "%s: path too long", f->kept_dir);
            return -1;
        }
        if (mkdir(path, 0700) == 0)
            return 0;
        if (errno != EEXIST) {
            kev_strbuf_addf(msg, "%s: cannot create: %s", path, strerror(errno));
            return -1;
        }
    }
    kev_strbuf_addf(msg, "%s: %d kept rings in the same second", path, MAX_SUFFIX);
    return -1;
}

/* Writes kept.txt: why, when, the files, and the command that replays them. */
static int write_note(const char *dir, uint64_t now_ns, const char *reason,
                      const char *detail, const char *files)
{
    char path[KEVMOND_FLIGHT_MAX_PATH], iso[32];
    if (join(path, dir, KEPT_NOTE) != 0)
        return -1;
    FILE *fp = fopen(path, "w");
    if (fp == NULL)
        return -1;
    stamp(now_ns, iso, true);
    fprintf(fp, "reason %s\ntime %s.%09lluZ\n", reason, iso,
            (unsigned long long)(now_ns % 1000000000u));
    if (detail && *detail)
        fprintf(fp, "detail %s\n", detail);
    fprintf(fp, "files %s\n", files);
    if (strchr(files, ' '))
        fprintf(fp, "replay kevrr merge %s -o ring.kev && kevrr replay ring.kev\n", files);
    else if (*files)
        fprintf(fp, "replay kevrr replay %s\n", files);
    return fclose(fp) == 0 ? 0 : -1;
}

/* Entries of `dir` for which keep(name) holds, sorted by (length, bytes):
 * numeric order for flight.K.kev. Returns the count, or -1. */
static int cmp_names(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    size_t lx = strlen(x), ly = strlen(y);
    return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
}

typedef struct name_list {
    char **v;
    size_t n;
} name_list;

static void names_free(name_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static bool is_trace_name(const char *d, const char *name)
{
    (void)d;
    size_t n = strlen(name);
    return n > 4 && strcmp(name + n - 4, ".kev") == 0;
}

static bool is_kept_name(const char *d, const char *name)
{
    char p[KEVMOND_FLIGHT_MAX_PATH];
    struct stat st;
    return name[0] != '.' && join(p, d, name) == 0 && stat(p, &st) == 0 &&
           S_ISDIR(st.st_mode);
}

static int list_dir(const char *dir, bool (*keep)(const char *, const char *), name_list *l)
{
    DIR *dp = opendir(dir);
    if (dp == NULL)
        return -1;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(dp)) != NULL) {
        if (!keep(dir, e->d_name))
            continue;
        char **nv = l->n < MAX_SCAN ? realloc(l->v, (l->n + 1) * sizeof *nv) : NULL;
        char *s = nv ? strdup(e->d_name) : NULL;
        if (nv)
            l->v = nv;
        if (s == NULL)
            rc = -1;
        else
            l->v[l->n++] = s;
    }
    closedir(dp);
    if (rc == 0 && l->n > 1)
        qsort(l->v, l->n, sizeof *l->v, cmp_names);
    return rc;
}

/* ------------------------------------------------------------------ open */

/* Files a previous run left in ring/: kept aside as "previous-run" (moved,
 * so the new ring never reopens a name a kept file shares), or removed when
 * the cap is reached. */
static int adopt_previous(kevmond_flight *f, uint64_t now_ns, kev_strbuf *err,
                          kev_strbuf *notes)
{
    name_list l = {NULL, 0};
    if (list_dir(f->ring_dir, is_trace_name, &l) != 0) {
        kev_strbuf_addf(err, "%s: cannot list: %s", f->ring_dir, strerror(errno));
        names_free(&l);
        return -1;
    }
    if (l.n == 0)
        return 0;
    char dir[KEVMOND_FLIGHT_MAX_PATH], src[KEVMOND_FLIGHT_MAX_PATH],
        dst[KEVMOND_FLIGHT_MAX_PATH];
    kev_strbuf files = KEV_STRBUF_INIT, why = KEV_STRBUF_INIT;
    bool keep = f->st.held < f->o.keep_max &&
                make_kept_dir(f, now_ns, "previous-run", dir, &why) == 0;
    for (size_t i = 0; i < l.n; i++) {
        if (join(src, f->ring_dir, l.v[i]) != 0)
            continue;
        if (keep && join(dst, dir, l.v[i]) == 0 && rename(src, dst) == 0) {
            kev_strbuf_addf(&files, "%s%s", files.len ? " " : "", l.v[i]);
            continue;
        }
        (void)unlink(src);
    }
    if (keep) {
        (void)write_note(dir, now_ns, "previous-run", "the ring a previous run left behind",
                         kev_strbuf_str(&files));
        f->st.held++;
        kev_strbuf_addf(notes, "a previous run's ring (%zu files) kept in %s\n", l.n, dir);
    } else {
        kev_strbuf_addf(notes, "a previous run's ring (%zu files) removed: %s\n", l.n,
                        why.len ? kev_strbuf_str(&why)
                                : "the cap on kept rings is reached");
    }
    kev_strbuf_free(&files);
    kev_strbuf_free(&why);
    names_free(&l);
    return 0;
}

int kevmond_flight_open(const kevmond_flight_opts *o, uint64_t now_ns, kevmond_flight **out,
                        kev_strbuf *err, kev_strbuf *notes)
{
    *out = NULL;
    kevmond_flight *f = calloc(1, sizeof *f);
    if (f == NULL) {
        kev_strbuf_adds(err, "out of memory");
        return -1;
    }
    f->o = *o;
    char ring_path[KEVMOND_FLIGHT_MAX_PATH];
    if (join(f->ring_dir, o->state_dir, "ring") != 0 ||
        join(f->kept_dir, o->state_dir, "kept") != 0 ||
        join(ring_path, f->ring_dir, RING_BASE) != 0) {
        kev_strbuf_addf(err, "%s: path too long", o->state_dir);
        free(f);
        return -1;
    }
    name_list kept = {NULL, 0};
    if (make_dir(o->state_dir, err) != 0 || make_dir(f->ring_dir, err) != 0 ||
        make_dir(f->kept_dir, err) != 0 ||
        list_dir(f->kept_dir, is_kept_name, &kept) != 0) {
        if (err->len == 0)
            kev_strbuf_addf(err, "%s: cannot list: %s", f->kept_dir, strerror(errno));
        names_free(&kept);
        free(f);
        return -1;
    }
    f->st.held = kept.n;
    names_free(&kept);
    if (adopt_previous(f, now_ns, err, notes) != 0) {
        free(f);
        return -1;
    }
    kev_recorder_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.path = ring_path;
    ro.max_bytes = o->file_bytes;
    ro.max_files = o->files;
    ro.flush_interval_ns = o->flush_ns;
    ro.level = o->level;
    ro.meta = o->meta;
    char why[256];
    if (kev_recorder_open(&ro, now_ns, &f->rec, why, sizeof why) != 0) {
        kev_strbuf_addf(err, "flight recorder: %s", why);
        free(f);
        return -1;
    }
    *out = f;
    return 0;
}

/* ------------------------------------------------------------- recording */

int kevmond_flight_batch(kevmond_flight *f, uint64_t t_ns, const uint8_t *data,
                         uint32_t caplen, uint32_t origlen)
{
    return kev_recorder_batch(f->rec, t_ns, data, caplen, origlen);
}

int kevmond_flight_error(kevmond_flight *f, uint64_t t_ns, int err, const char *name)
{
    return kev_recorder_error(f->rec, t_ns, err, name);
}

int kevmond_flight_tick(kevmond_flight *f, uint64_t now_ns)
{
    return kev_recorder_tick(f->rec, now_ns);
}

int kevmond_flight_rotate(kevmond_flight *f, uint64_t now_ns)
{
    return kev_recorder_rotate(f->rec, now_ns);
}

/* ------------------------------------------------------------------ keep */

typedef struct keep_ctx {
    const char *dir;
    const char *current;
    kev_strbuf files;
    int failed_errno;
} keep_ctx;

/* kev_recorder_files callback: links one closed ring file into the kept
 * directory (the current, just-opened file stays out). */
static int keep_one(const char *path, void *vctx)
{
    keep_ctx *c = vctx;
    if (c->current && strcmp(path, c->current) == 0)
        return 0;
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    char dst[KEVMOND_FLIGHT_MAX_PATH];
    if (join(dst, c->dir, name) != 0 || link_or_copy(path, dst) != 0) {
        /* A file removed by hand meanwhile is skipped; others fail the keep. */
        if (errno != ENOENT)
            c->failed_errno = errno ? errno : EIO;
        return 0;
    }
    kev_strbuf_addf(&c->files, "%s%s", c->files.len ? " " : "", name);
    return 0;
}

kevmond_keep_result kevmond_flight_keep(kevmond_flight *f, uint64_t now_ns,
                                        uint64_t mono_ns, bool automatic,
                                        const char *reason, const char *detail,
                                        kev_strbuf *msg)
{
    if (automatic && f->kept_any && mono_ns - f->last_keep < f->o.keep_interval_ns) {
        f->st.skipped_interval++;
        kev_strbuf_adds(msg, "kept less than the keep interval ago");
        return KEVMOND_KEEP_TOO_SOON;
    }
    if (f->st.held >= f->o.keep_max) {
        f->st.skipped_cap++;
        kev_strbuf_addf(msg, "%llu kept rings in %s: the cap (--keep-max) is reached",
                        (unsigned long long)f->st.held, f->kept_dir);
        return KEVMOND_KEEP_CAPPED;
    }
    if (automatic) {
        f->kept_any = true;
        f->last_keep = mono_ns;
    }
    char dir[KEVMOND_FLIGHT_MAX_PATH];
    int rc = kev_recorder_rotate(f->rec, now_ns);
    if (rc != 0) {
        f->st.failed++;
        kev_strbuf_addf(msg, "flight recorder: %s", strerror(rc));
        return KEVMOND_KEEP_FAILED;
    }
    if (make_kept_dir(f, now_ns, reason, dir, msg) != 0) {
        f->st.failed++;
        return KEVMOND_KEEP_FAILED;
    }
    keep_ctx c = {dir, kev_recorder_current(f->rec), KEV_STRBUF_INIT, 0};
    (void)kev_recorder_files(f->rec, keep_one, &c);
    f->st.held++;
    if (c.failed_errno != 0 ||
        write_note(dir, now_ns, reason, detail, kev_strbuf_str(&c.files)) != 0) {
        f->st.failed++;
        kev_strbuf_addf(msg, "%s: kept in part: %s", dir,
                        strerror(c.failed_errno ? c.failed_errno : errno));
        kev_strbuf_free(&c.files);
        return KEVMOND_KEEP_FAILED;
    }
    f->st.kept++;
    kev_strbuf_addf(msg, "%s (%s)", dir, kev_strbuf_str(&c.files));
    kev_strbuf_free(&c.files);
    return KEVMOND_KEPT;
}

/* ----------------------------------------------------------------- stats */

void kevmond_flight_stats_get(const kevmond_flight *f, kevmond_flight_stats *s)
{
    *s = f->st;
}

void kevmond_flight_stats_text(const kevmond_flight *f, kev_strbuf *out)
{
    kev_recorder_stats rs;
    kev_recorder_stats_get(f->rec, &rs);
    const char *why = NULL;
    int err = kev_recorder_failed(f->rec, &why);
    kev_strbuf_addf(out,
                    "recorder on\nrecorder.current %s\nrecorder.records %llu\n"
                    "recorder.batches %llu\nrecorder.errors %llu\nrecorder.raw_bytes %llu\n"
                    "recorder.file_bytes %llu\nrecorder.files %llu\nrecorder.flushes %llu\n"
                    "recorder.failed %s\n",
                    kev_recorder_current(f->rec), (unsigned long long)rs.records,
                    (unsigned long long)rs.batches, (unsigned long long)rs.errors,
                    (unsigned long long)rs.raw_bytes, (unsigned long long)rs.file_bytes,
                    (unsigned long long)rs.files, (unsigned long long)rs.flushes,
                    err ? (why ? why : strerror(err)) : "no");
    kev_strbuf_addf(
        out,
        "keep.kept %llu\nkeep.held %llu\nkeep.max %u\nkeep.skipped_interval %llu\n"
        "keep.skipped_cap %llu\nkeep.failed %llu\n",
        (unsigned long long)f->st.kept, (unsigned long long)f->st.held, f->o.keep_max,
        (unsigned long long)f->st.skipped_interval, (unsigned long long)f->st.skipped_cap,
        (unsigned long long)f->st.failed);
}

int kevmond_flight_failed(const kevmond_flight *f, const char **msg)
{
    return kev_recorder_failed(f->rec, msg);
}

int kevmond_flight_close(kevmond_flight *f, uint64_t stop_ns)
{
    if (f == NULL)
        return 0;
    int rc = kev_recorder_close(f->rec, stop_ns);
    free(f);
    return rc;
}
