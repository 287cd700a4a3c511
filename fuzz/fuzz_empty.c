/*
 * fuzz/fuzz_empty.c: a target that does nothing, built the same way as the
 * real ones (same compiler, flags, core objects, engine and mutator): the
 * baseline scripts/fuzz-bench.sh sets fuzz_batch's exec/s beside. It is not
 * in fuzz/targets.list: build.sh builds it only when KEV_FUZZ_EXTRA names
 * it, so it never ships as a target.
 */
#include "kev_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)data;
    (void)size;
    return 0;
}
