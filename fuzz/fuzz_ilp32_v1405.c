/*
 * fuzz/fuzz_ilp32_v1405.c: the faithful v1405 profile as configd built for a
 * 32-bit data model (i386, armv7k, arm64_32: kevrr replay --ilp32), where
 * the loop's size arithmetic is 32-bit and the LinkIssues payload has the
 * i386 layout: D13 (v888's offset wraps) and D14 (v963's and v1405's
 * negative (ssize_t)total_size) live here, and nowhere on LP64.
 *
 * Otherwise as fuzz_legacy_v1405: the multi-batch form, configd's verbose
 * mode, a defect an abort only when KEV_FUZZ_DEFECTS selects it, the
 * invariants after every input (docs/fuzzing.md).
 */
#include "kev_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return kev_fuzz_run_legacy_abi(KEV_PROFILE_V1405, true, data, size);
}
