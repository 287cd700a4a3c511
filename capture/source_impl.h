/*
 * capture/source_impl.h: what the source files share inside kevrr_live
 * (not for the library's clients): the source handle and the helpers
 * source_darwin.c uses.
 */
#ifndef KEV_CAPTURE_SOURCE_IMPL_H
#define KEV_CAPTURE_SOURCE_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "source.h"

/* Cap on a filter description ("vendor=4294967295 class=... subclass=..."). */
#define KEV_SOURCE_MAX_FILTER 96u

struct kev_source {
    int fd;
    char spec[KEV_SOURCE_MAX_SPEC];
    char filter[KEV_SOURCE_MAX_FILTER];
    bool has_filter;
    char *unlink_path; /* unix: the path bound, removed at close */
};

/* snprintf into err[0..errlen) (nothing when err is NULL). */
void kev__source_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A new source around `fd` (NULL when out of memory; fd is not closed). */
kev_source *kev__source_new(int fd, const char *spec, const char *filter);
/* SO_RCVBUF, O_NONBLOCK, FD_CLOEXEC from `o`. 0, or -1 with the message. */
int kev__source_setup(int fd, const char *spec, const kev_source_opts *o, char *err,
                      size_t errlen);
/* pf_system[:VENDOR/CLASS/SUBCLASS]: source_darwin.c on Darwin; elsewhere
 * a refusal ("pf_system: Darwin's kernel event socket; not on this system").
 * `rest` is what follows "pf_system". */
kev_source *kev__source_open_pf_system(const char *spec, const char *rest,
                                       const kev_source_opts *o, char *err, size_t errlen);
/* Parses ":V/C/S" (or "" for the default 1/1/0) into the three codes.
 * 0 or -1. Shared so the parse is tested on every system. */
int kev__source_parse_filter(const char *rest, unsigned long v[3]);

#endif
