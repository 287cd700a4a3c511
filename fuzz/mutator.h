/*
 * fuzz/mutator.h: the structure-aware mutator (docs/fuzzing.md), one C
 * source for both engines: compiled with KEV_MUTATOR_LIBFUZZER it defines
 * LLVMFuzzerCustomMutator and LLVMFuzzerCustomCrossOver (linked into a
 * libFuzzer target); with KEV_MUTATOR_AFL it defines the AFL++ custom
 * mutator API (afl_custom_init, afl_custom_fuzz, afl_custom_deinit) for a
 * shared library loaded with AFL_CUSTOM_MUTATOR_LIBRARY. Without either it
 * is only the function below, which the tests call.
 *
 * It knows the kern_event_msg framing and the event table: an input is read
 * as batches (one, or the multi-batch form's entries) of records, found
 * with a lenient framing (a record is a whole header with total_size from
 * 24 to the end of its batch; anything else ends the batch as one opaque
 * tail). It inserts, deletes, duplicates, reorders and splices records and
 * entries, sets codes from the table, resizes payloads around each layout's
 * size, mutates if_name and hw_len, keeps total_size consistent most of the
 * time and breaks it on purpose sometimes (0, below 24, past the batch,
 * odd), and falls back to plain byte mutation.
 */
#ifndef KEV_MUTATOR_H
#define KEV_MUTATOR_H

#include <stddef.h>
#include <stdint.h>

/* How a target's inputs are framed (fuzz/targets.list's input column). */
typedef enum kev_mut_form {
    KEV_MUT_SINGLE, /* one batch's bytes */
    KEV_MUT_MULTI,  /* the multi-batch form (kevrr/fuzzin.h) */
    KEV_MUT_BYTES   /* opaque (trace files): byte mutation only */
} kev_mut_form;

/* Caps: records one input is read into (the rest stays an opaque tail),
 * and the size of one record the mutator builds. */
#define KEV_MUT_MAX_RECORDS 4096u
#define KEV_MUT_MAX_RECORD  1200u

/* Plain byte mutation of data[0..size) in place, up to max bytes; returns
 * the new size. libFuzzer's LLVMFuzzerMutate, or the mutator's own. */
typedef size_t (*kev_mut_bytes_fn)(uint8_t *data, size_t size, size_t max, uint64_t seed);

/* Parses "single", "multi", "bytes" (or "trace", read as bytes); 0 or -1. */
int kev_mut_form_parse(const char *s, kev_mut_form *out);

/* Mutates data[0..size) in place into at most `max` bytes and returns the
 * new size. `other` (may be NULL) is a second
 * input to splice records from. The result depends only on the arguments.
 * `bytes` NULL uses the mutator's own byte mutation. */
size_t kev_mut_mutate(kev_mut_form form, uint8_t *data, size_t size, size_t max,
                      const uint8_t *other, size_t other_size, uint64_t seed,
                      kev_mut_bytes_fn bytes);

#endif
