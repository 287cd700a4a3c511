/*
 * fuzz/regression_driver.c: the engine for regression mode (zstd's
 * regression_driver.c is the model): a main() that feeds every file named
 * on the command line, and every regular file of every folder named (sorted
 * by name, names starting with '.' left out), to LLVMFuzzerTestOneInput,
 * each one twice, so that an input leaning on state an earlier one left
 * shows up here too, and with every invariant checked on every input
 * (kev_fuzz_check_all), not only on a sample. No fuzzer runtime is needed: this is how CI runs every
 * seed and every regression file through every target under ASan and UBSan.
 *
 * Arguments starting with '-' are ignored, so a libFuzzer command line
 * (`-runs=0 DIR`) works unchanged. An input is read whole, up to
 * KEV_FUZZ_MAX_FILE bytes (more is an error: no target takes it).
 * Exit: 0 every input ran; 1 an input could not be read; 2 usage. A target
 * that finds something aborts, which is the failure CTest sees.
 */
#define _POSIX_C_SOURCE 200809L /* opendir, stat */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kev_fuzz.h"

/* The largest input read: the multi-batch form's cap, plus one byte so
 * that anything longer is seen to be longer. */
#define KEV_FUZZ_MAX_FILE ((size_t)16 << 20)
/* Files taken from one folder. */
#define KEV_FUZZ_MAX_DIR_FILES 1000000u

/* Reads `path` whole into *buf (grown as needed). 0, or -1 with a message. */
static int read_file(const char *path, uint8_t **buf, size_t *cap, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "regression: %s: %s\n", path, strerror(errno));
        return -1;
    }
    *len = 0;
    for (;;) {
        if (*len == *cap) {
            size_t ncap = *cap ? *cap * 2 : 65536;
            if (ncap > KEV_FUZZ_MAX_FILE + 1)
                ncap = KEV_FUZZ_MAX_FILE + 1;
            uint8_t *p = *cap == ncap ? NULL : realloc(*buf, ncap);
            if (p == NULL) {
                fprintf(stderr, "regression: %s: over %zu bytes\n", path, KEV_FUZZ_MAX_FILE);
                fclose(f);
                return -1;
            }
            *buf = p;
            *cap = ncap;
        }
        size_t k = fread(*buf + *len, 1, *cap - *len, f);
        *len += k;
        if (k == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad || *len > KEV_FUZZ_MAX_FILE) {
        fprintf(stderr, "regression: %s: %s\n", path, bad ? "read error" : "too large");
        return -1;
    }
    return 0;
}

static int run_file(const char *path, uint8_t **buf, size_t *cap)
{
    size_t len = 0;
    if (read_file(path, buf, cap, &len) != 0)
        return -1;
    (void)LLVMFuzzerTestOneInput(*buf, len);
    (void)LLVMFuzzerTestOneInput(*buf, len);
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs the regular files of `dir` in name order; returns the files run, or
 * -1 on an error. */
static long run_dir(const char *dir, uint8_t **buf, size_t *cap)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "regression: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, ncap = 0;
    long rc = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL && rc == 0;) {
        if (e->d_name[0] == '.')
            continue;
        if (n == ncap) {
            char **p = ncap < KEV_FUZZ_MAX_DIR_FILES
                           ? realloc(names, (ncap = ncap ? ncap * 2 : 256) * sizeof *names)
                           : NULL;
            if (p == NULL) {
                rc = -1;
                break;
            }
            names = p;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        if ((names[n] = malloc(len)) == NULL) {
            rc = -1;
            break;
        }
        snprintf(names[n++], len, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (rc != 0)
        fprintf(stderr, "regression: %s: out of memory or too many files\n", dir);
    if (n > 0)
        qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (rc >= 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
            rc = run_file(names[i], buf, cap) == 0 ? rc + 1 : -1;
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    uint8_t *buf = NULL;
    size_t cap = 0;
    long files = 0;
    int args = 0;
    kev_fuzz_check_all = true; /* every check on every input (kev_fuzz.h) */
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (argv[i][0] == '-')
            continue;
        args++;
        long k = stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)
                     ? run_dir(argv[i], &buf, &cap)
                     : (run_file(argv[i], &buf, &cap) == 0 ? 1 : -1);
        if (k < 0) {
            free(buf);
            return 1;
        }
        files += k;
    }
    free(buf);
    if (args == 0) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    fprintf(stderr, "regression: %s: %ld input(s) ran, each twice\n", argv[0], files);
    return 0;
}
