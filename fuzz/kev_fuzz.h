/*
 * fuzz/kev_fuzz.h: what the fuzz targets share (docs/fuzzing.md).
 *
 * Every target is one file with LLVMFuzzerTestOneInput, built three ways
 * from the same source: for libFuzzer, for AFL++ (persistent mode,
 * shared-memory test cases, through $LIB_FUZZING_ENGINE) and as a plain
 * regression binary (regression_driver.c). The helpers here hold the parts
 * the targets have in common: a world kept across inputs and reset between
 * them, feeding the two input forms (one batch, or the multi-batch form of
 * kevrr/fuzzin.h), the invariants checked after every input, and the
 * finding hook that turns a seed defect into an abort carrying its id.
 *
 * A violated invariant, or a selected defect, prints one line starting
 * "kevrr " on stderr and calls abort(), so every engine counts it as a
 * crash, and the line's first words are its deduplication key.
 */
#ifndef KEV_FUZZ_H
#define KEV_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kevrr/strbuf.h"
#include "kevrr/world.h"

/* The libFuzzer entry point every target defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Records one trace input may feed (fuzz_trace): a few KiB of compressed
 * input can inflate to millions of records, which would only time out. */
#define KEV_FUZZ_TRACE_MAX_RECORDS 4096u

/* How many report bytes a rendering check keeps to look at (the header). */
#define KEV_FUZZ_REPORT_HEAD 32u

/* The expensive checks (rendering the whole report, reloading the kernel's
 * dump) run on one input in KEV_FUZZ_SAMPLE, chosen by a hash of its bytes
 * so that the choice is the same on every run (a crash reproduces), and on
 * every input when kev_fuzz_check_all is set: the regression driver sets
 * it, and so does KEV_FUZZ_CHECK_ALL=1 in the environment. The cheap
 * checks run on every input. */
#define KEV_FUZZ_SAMPLE 16u
extern bool kev_fuzz_check_all;
/* True when `data` gets the expensive checks. */
bool kev_fuzz_sampled(const uint8_t *data, size_t size);
/* A hash of the input (its size and at most 64 bytes at each end) for the
 * choices a target makes per input, so that a crash reproduces. */
uint32_t kev_fuzz_hash(const uint8_t *data, size_t size);

/* Prints "kevrr invariant: WHAT" (printf-style) and aborts. */
void kev_fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* A report sink that keeps the report's first bytes and counts the rest:
 * enough to check that the report renders, at little cost. */
typedef struct kev_fuzz_render {
    char head[KEV_FUZZ_REPORT_HEAD + 1];
    size_t len;
} kev_fuzz_render;

/* A sink into `r`, or into `full` (the whole text) when `full` is not NULL. */
kev_sink kev_fuzz_sink_render(kev_fuzz_render *r);
kev_sink kev_fuzz_sink_text(kev_strbuf *full);

/* A new world for `profile` with the given sink and options, or abort. A
 * target keeps its worlds for the life of the process; they are freed at
 * exit (an atexit handler), so that teardown runs under the sanitizers and
 * counts in coverage like the rest of the core. */
kev_world *kev_fuzz_world_new(kev_profile profile, bool verbose, kev_sink sink,
                              void (*on_finding)(void *, const kev_finding *), void *ctx);
/* The same, tracking drift (every batch's begins and ends reported, and to
 * `on_drift`) when `on_drift` is not NULL. */
kev_world *kev_fuzz_world_new_opts(kev_profile profile, bool verbose, kev_sink sink,
                                   void (*on_finding)(void *, const kev_finding *), void *ctx,
                                   void (*on_drift)(void *, const kev_drift_item *, bool));

/* Feeds `data` as one recv() batch at the scenario clock's start; a batch
 * over KEV_MAX_BATCH is cut to it, as `kevrr replay` cuts one. */
void kev_fuzz_feed_single(kev_world *w, const uint8_t *data, size_t size);
/* Feeds `data` in the multi-batch form (docs/fuzz-input.md): every byte
 * string decodes, so every input is fed. */
void kev_fuzz_feed_multi(kev_world *w, const uint8_t *data, size_t size);

/* Finishes the world and checks the invariants of its final state: the
 * store enumerates as it counts, sorted, every key readable; the simulated
 * kernel's names are valid and unique and its caps hold; hardened's
 * interface list names each interface once and it reported no defect;
 * with `full`, the kernel's dump also loads back to the same dump and the
 * report rendered (`r` when not NULL). Aborts on a violation. */
void kev_fuzz_finish_check(kev_world *w, const kev_fuzz_render *r, bool full);

/* Resets the world and checks that nothing was carried over: no store key,
 * no interface, every statistic zero, monitoring on. Aborts otherwise. */
void kev_fuzz_reset_check(kev_world *w);

/* Which defects abort, from KEV_FUZZ_DEFECTS: "7,12" (or "D7"), "all";
 * unset, empty or "none": none, so that every target is clean in an
 * engine's default environment (docs/fuzzing.md). Parsed once; a bad value
 * aborts with a message. */
bool kev_fuzz_defect_selected(int id);

/* on_finding hook of the faithful targets: a selected defect prints
 * "kevrr defect DN (CODE): PROFILE batch B event E offset O: MESSAGE" and
 * aborts. */
void kev_fuzz_on_defect(void *ctx, const kev_finding *f);

/* The body of the single-world targets: `profile` fed the input in `form`
 * (single batch, or multi-batch), in a world that renders its report when
 * the input is sampled (and one without a sink otherwise), finished,
 * checked and reset. `verbose` and `on_finding` as in kev_world_opts. The
 * worlds live as long as the process, which fuzzes one profile (another
 * aborts). */
typedef enum kev_fuzz_form { KEV_FUZZ_SINGLE, KEV_FUZZ_MULTI } kev_fuzz_form;
int kev_fuzz_run(kev_profile profile, kev_fuzz_form form, bool verbose,
                 void (*on_finding)(void *, const kev_finding *), const uint8_t *data,
                 size_t size);

/* The legacy targets' body: `profile` (a faithful one) in configd's
 * verbose mode (so D16 is reachable), the input in the multi-batch form (so
 * D12 is), each selected defect an abort (none unless KEV_FUZZ_DEFECTS
 * asks), and the invariants after every input. A legacy target is one file,
 * fuzz/fuzz_legacy_PROFILE.c, calling this, and one line of
 * fuzz/targets.list: the scripts and CMake derive the profile from the
 * name. */
int kev_fuzz_run_legacy(kev_profile profile, const uint8_t *data, size_t size);
/* The same in the data model `ilp32` selects (kev_world_opts.ilp32: 32-bit
 * arithmetic and layouts, where D13 and D14 live), for every world of the
 * process: the ILP32 targets, fuzz/fuzz_ilp32_PROFILE.c. One process runs
 * one data model (another aborts). */
int kev_fuzz_run_legacy_abi(kev_profile profile, bool ilp32, const uint8_t *data, size_t size);

#endif
