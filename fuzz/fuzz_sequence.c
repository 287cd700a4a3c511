/*
 * fuzz/fuzz_sequence.c: several recv() results into the hardened core, to
 * reach the stateful paths one batch cannot: an interface attached in one
 * batch and used in the next, addresses added and removed, the startup
 * timer ticks, failed recv()s between batches.
 *
 * The input is the multi-batch form (docs/fuzz-input.md, `kevrr export
 * --multi`): batches and failed recv()s, entry i at T0 + i ms. The same
 * invariants as fuzz_batch hold after every input, and after the reset.
 */
#include "kev_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return kev_fuzz_run(KEV_PROFILE_HARDENED, KEV_FUZZ_MULTI, false, NULL, data, size);
}
