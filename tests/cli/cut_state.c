/*
 * cut_state.c: `kevrr cut --from N` keeps the state, over the whole corpus.
 *
 * For every trace of corpus/ (with its NAME.opts sidecar) and several N,
 * it runs `kevrr cut TRACE --from N -o CUT` (the command a user runs), then
 * replays TRACE and CUT under every profile through the core and checks:
 *
 *   - the final simulated kernels are equal (the cut's snapshot is the
 *     kernel before N, and the kernel does not depend on the profile but
 *     for v888's IFF_UP, which the dump shows and no handler reads: the
 *     kernels are compared under hardened and v963);
 *   - every kernel-backed key (kevrr/drift.h) of the two final stores has
 *     the same backed value, except the keys on which the whole trace's
 *     store contradicts its kernel: there the cut, which starts from the
 *     kernel, holds the kernel's value (configd restarted at N would too).
 *
 * A configd that would crash at prime on the cut's kernel (a faithful
 * profile meeting a name it cannot convert, D9, or a NULL address, D18)
 * cannot be compared: those cases are counted and listed, not failed.
 *
 * Usage: cut_state KEVRR CORPUS_DIR WORK_DIR
 * Exit 0 when every comparison holds, 1 otherwise.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "kevrr/kevrr.h"
#include "kevrr/trace.h"

#define MAX_TRACES 512
#define MAX_CUTS   5

static const char *kevrr, *work;
static unsigned failures, compared, keys_compared, skipped;

/* One replay: its world, and whether prime stopped (a crash at start). */
typedef struct run {
    kev_world *w;
    bool prime_stopped;
} run;

static void on_finding(void *ctx, const kev_finding *f)
{
    run *r = ctx;
    kev_world_where at;
    kev_world_where_get(r->w, &at);
    if (f->stops && at.phase == KEV_PHASE_PRIME)
        r->prime_stopped = true;
}

/* The options of a trace's sidecar NAME.opts, into o. */
static void sidecar(const char *trace, kev_world_opts *o)
{
    char path[1024];
    snprintf(path, sizeof path, "%.*s.opts", (int)(strlen(trace) - 4), trace);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    char tok[64];
    while (fscanf(f, "%63s", tok) == 1) {
        if (tok[0] == '#') {
            int c;
            while ((c = fgetc(f)) != EOF && c != '\n')
                ;
        } else if (strcmp(tok, "--ilp32") == 0) {
            o->ilp32 = true;
        } else if (strcmp(tok, "--verbose") == 0) {
            o->verbose = true;
        } else if (strcmp(tok, "--recv-buffer") == 0 && fscanf(f, "%63s", tok) == 1) {
            o->recv_buffer = (uint32_t)strtoul(tok, NULL, 10);
        }
    }
    fclose(f);
}

/* Replays `path` into r->w (made here). Returns the record count, or -1. */
static long replay(const char *path, const kev_world_opts *base, run *r)
{
    kev_world_opts o = *base;
    o.on_finding = on_finding;
    o.finding_ctx = r;
    r->prime_stopped = false;
    r->w = kev_world_new(&o);
    int err;
    kev_trace_reader *t = kev_trace_open(path, 0, &err, NULL);
    if (r->w == NULL || t == NULL) {
        fprintf(stderr, "cut_state: %s: cannot replay\n", path);
        kev_trace_close(t);
        return -1;
    }
    const kev_trace_meta *m = kev_trace_meta_get(t);
    if (m->snapshot &&
        kev_world_load_snapshot(r->w, m->snapshot, m->snapshot_len, NULL) != 0) {
        kev_trace_close(t);
        return -1;
    }
    kev_trace_rec rec;
    long n = 0;
    while (kev_trace_next(t, &rec) == 1) {
        n++;
        if (rec.kind == KEV_TR_ERROR)
            kev_world_feed_error(r->w, rec.err, rec.err_name, rec.t_ns);
        else
            kev_world_feed(r->w, rec.data,
                           rec.caplen < KEV_MAX_BATCH ? rec.caplen : KEV_MAX_BATCH,
                           rec.t_ns);
    }
    kev_trace_close(t);
    kev_world_finish(r->w);
    return n;
}

/* The backed part of a key's value, rendered ("(none)" when nothing is
 * backed), with the interface list's names sorted (its order is not the
 * kernel's to say). */
static void backed_text(const char *key, const kev_value *v, kev_strbuf *out)
{
    kev_value *b = kev_drift_backed_part(key, v);
    kev_strbuf_clear(out);
    if (b == NULL || kev_value_count(b) == 0) {
        kev_strbuf_adds(out, "(none)");
    } else if (strcmp(key, "State:/Network/Interface") == 0) {
        const kev_value *a = kev_value_dict_get(b, "Interfaces");
        size_t n = a ? kev_value_count(a) : 0;
        const char **names = calloc(n + 1, sizeof *names);
        for (size_t i = 0; names && i < n; i++)
            names[i] = kev_value_get_string(kev_value_array_at(a, i), NULL);
        for (size_t i = 1; names && i < n; i++)
            for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
                const char *t = names[j];
                names[j] = names[j - 1];
                names[j - 1] = t;
            }
        for (size_t i = 0; names && i < n; i++)
            kev_strbuf_addf(out, "%s ", names[i]);
        free(names);
    } else {
        kev_value_format(b, out);
    }
    kev_value_unref(b);
}

/* Compares the backed keys of the two final stores. */
static void compare_stores(const char *label, const kev_world *whole, const kev_world *cut)
{
    const kev_store *sw = kev_world_store(whole), *sc = kev_world_store(cut);
    const char **keys[2] = {NULL, NULL};
    size_t n[2] = {0, 0};
    kev_store_keys_sorted(sw, &keys[0], &n[0]);
    kev_store_keys_sorted(sc, &keys[1], &n[1]);
    kev_strbuf a = KEV_STRBUF_INIT, b = KEV_STRBUF_INIT;
    for (int side = 0; side < 2; side++) {
        for (size_t i = 0; i < n[side]; i++) {
            const char *key = keys[side][i];
            const kev_drift_family *f = kev_drift_family_of(key);
            if (f == NULL || !f->backed)
                continue;
            if (side == 1 && kev_store_get(sw, key) != NULL)
                continue; /* compared from the whole trace's side */
            kev_drift_item it;
            if (kev_drift_check(whole, key, &it) == 1) {
                kev_drift_item_clear(&it);
                continue; /* the whole trace's store contradicts its kernel here */
            }
            backed_text(key, kev_store_get(sw, key), &a);
            backed_text(key, kev_store_get(sc, key), &b);
            keys_compared++;
            if (strcmp(kev_strbuf_str(&a), kev_strbuf_str(&b)) != 0) {
                printf("FAIL: %s: %s\n  whole: %s\n  cut:   %s\n", label, key,
                       kev_strbuf_str(&a), kev_strbuf_str(&b));
                failures++;
            }
        }
    }
    kev_strbuf_free(&a);
    kev_strbuf_free(&b);
    free(keys[0]);
    free(keys[1]);
}

static void compare_kernels(const char *label, const kev_world *whole, const kev_world *cut)
{
    kev_strbuf a = KEV_STRBUF_INIT, b = KEV_STRBUF_INIT;
    kev_kernel_format(kev_world_kernel_const(whole), &a);
    kev_kernel_format(kev_world_kernel_const(cut), &b);
    if (strcmp(kev_strbuf_str(&a), kev_strbuf_str(&b)) != 0) {
        printf("FAIL: %s: the final kernels differ\n--- whole\n%s--- cut\n%s", label,
               kev_strbuf_str(&a), kev_strbuf_str(&b));
        failures++;
    }
    kev_strbuf_free(&a);
    kev_strbuf_free(&b);
}

/* Runs `kevrr cut TRACE --from N -o CUT`. */
static bool cut(const char *trace, long from, const char *out)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' cut '%s' --from %ld -o '%s'", kevrr, trace, from, out);
    int st = system(cmd);
    if (st != 0) {
        printf("FAIL: %s exited %d\n", cmd, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        failures++;
        return false;
    }
    return true;
}

/* Every cut point of one trace, every profile. */
static void check_trace(const char *trace)
{
    kev_world_opts base;
    kev_world_opts_init(&base);
    sidecar(trace, &base);
    run probe;
    long n = replay(trace, &base, &probe);
    kev_world_free(probe.w);
    if (n < 2)
        return;
    long points[MAX_CUTS] = {1, n / 3, n / 2, 2 * n / 3, n - 1};
    char out[1024];
    snprintf(out, sizeof out, "%s/cut.kev", work);
    for (size_t i = 0; i < MAX_CUTS; i++) {
        if (points[i] < 1 || (i > 0 && points[i] == points[i - 1]) ||
            !cut(trace, points[i], out))
            continue;
        for (int p = 0; p < KEV_PROFILE__COUNT; p++) {
            kev_world_opts o = base;
            o.profile = (kev_profile)p;
            run whole, part;
            char label[1200];
            snprintf(label, sizeof label, "%s --from %ld (%s)", trace, points[i],
                     kev_profile_name(o.profile));
            if (replay(trace, &o, &whole) < 0 || replay(out, &o, &part) < 0) {
                failures++;
            } else if (part.prime_stopped) {
                printf("skip: %s: configd would crash at prime on the cut's kernel\n",
                       label);
                skipped++;
            } else {
                compared++;
                compare_stores(label, whole.w, part.w);
                if (o.profile != KEV_PROFILE_V888)
                    compare_kernels(label, whole.w, part.w);
            }
            kev_world_free(whole.w);
            kev_world_free(part.w);
        }
    }
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: cut_state KEVRR CORPUS_DIR WORK_DIR\n");
        return 2;
    }
    kevrr = argv[1];
    work = argv[3];
    static const char *const dirs[] = {"codes", "scenarios", "regressions", "examples"};
    char *traces[MAX_TRACES];
    size_t nt = 0;
    for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/%s", argv[2], dirs[d]);
        DIR *dp = opendir(dir);
        struct dirent *de;
        while (dp && (de = readdir(dp)) != NULL && nt < MAX_TRACES) {
            size_t len = strlen(de->d_name);
            if (len > 4 && strcmp(de->d_name + len - 4, ".kev") == 0) {
                traces[nt] = malloc(strlen(dir) + len + 2);
                sprintf(traces[nt++], "%s/%s", dir, de->d_name);
            }
        }
        if (dp)
            closedir(dp);
    }
    qsort(traces, nt, sizeof *traces, cmp_names);
    for (size_t i = 0; i < nt; i++) {
        check_trace(traces[i]);
        free(traces[i]);
    }
    printf("cut_state: %zu traces, %u cut replays compared (%u keys), %u skipped, %u "
           "failure(s)\n",
           nt, compared, keys_compared, skipped, failures);
    return failures || nt < 50 || compared == 0 ? 1 : 0;
}
