/*
 * fuzz/fuzz_batch.c: one recv() batch into the hardened core.
 *
 * The input is the batch's bytes (a single-batch file, `kevrr export -o`).
 * After every input the world is finished and its invariants checked
 * (kev_fuzz_finish_check: store and simulated kernel consistent, no defect
 * reported by hardened; on a fixed sample of inputs also the report
 * rendered and the kernel's dump reloaded), then it is reset and checked
 * empty, so no input can lean on state an earlier one left.
 */
#include "kev_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return kev_fuzz_run(KEV_PROFILE_HARDENED, KEV_FUZZ_SINGLE, false, NULL, data, size);
}
