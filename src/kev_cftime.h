/*
 * kev_cftime.h (internal): the message log's clock, CFAbsoluteTime printed
 * with "%12.8f", in two flavours.
 *
 * configd stamps each message with CFAbsoluteTimeGetCurrent(), which
 * CoreFoundation computes in binary64 from gettimeofday():
 * `(double)tv_sec - 978307200.0`, then `+= 1.0e-6 * (double)tv_usec`, each
 * step rounded to nearest, and CFStringCreateWithFormat prints the double's
 * exact value rounded to 8 decimals. kev__cf_time_configd reproduces that
 * bit for bit from a trace time cut to microseconds, with integer arithmetic
 * only (no floating point, so no dependence on the FPU, FLT_EVAL_METHOD or
 * the C library's printf). Every profile uses it, hardened included
 * (docs/fidelity.md, "The store, the cache and the clock").
 */
#ifndef KEV_CFTIME_H
#define KEV_CFTIME_H

#include <stddef.h>
#include <stdint.h>

/* Seconds between the Unix epoch and CFAbsoluteTime's (2001-01-01). */
#define KEV_CF_EPOCH_OFFSET 978307200
/* Room for any formatted time: sign, 11 integer digits, '.', 8 decimals,
 * NUL. */
#define KEV_CF_TIME_CAP 32u

/* CFAbsoluteTimeGetCurrent() at Unix time `t_ns` (ns), as configd prints
 * it: the time cut to whole microseconds (gettimeofday), the double
 * arithmetic of CFDate.c, then "%12.8f" of that double, rounded half to
 * even on its exact binary value. Writes a NUL-terminated string into
 * `out` and returns its length (at least 12: right-aligned in 12). */
size_t kev__cf_time_configd(uint64_t t_ns, char out[KEV_CF_TIME_CAP]);

#endif
