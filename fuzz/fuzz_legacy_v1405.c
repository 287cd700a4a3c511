/*
 * fuzz/fuzz_legacy_v1405.c: the faithful v1405 profile (configd-1405's
 * eventmon.c, docs/configd-1405.md), defects and all.
 *
 * The input is the multi-batch form (docs/fuzz-input.md), so failed recv()s
 * (D12) are reachable, and configd's verbose mode is on, so D16 is. A seed
 * defect the profile reports aborts with its id first on the line:
 *
 *   kevrr defect D9 (name-not-utf8): v1405 batch 0 event 1 offset 0: ...
 *
 * so the engines count it as a crash and deduplicate by id. Which defects
 * abort: KEV_FUZZ_DEFECTS ("9,12"; default every one; "none" to check only
 * the emulation itself, as CI's regression runs do).
 */
#include "kev_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return kev_fuzz_run_legacy(KEV_PROFILE_V1405, data, size);
}
