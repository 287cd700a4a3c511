/*
 * fuzz/fuzz_legacy_v963.c: the faithful v963 profile (configd-963's
 * eventmon.c), defects and all.
 *
 * The input is the multi-batch form (docs/fuzz-input.md), so failed recv()s
 * (D12) are reachable, and configd's verbose mode is on, so D16 is. A seed
 * defect the profile reports aborts with its id first on the line:
 *
 *   kevrr defect D7 (misaligned-header): v963 batch 0 event 1 offset 25: ...
 *
 * so the engines count it as a crash and deduplicate by id, when
 * KEV_FUZZ_DEFECTS selects it ("7,12", "all"). By default none does: in an
 * engine's environment (ClusterFuzzLite, OSS-Fuzz) the target checks that
 * the emulation itself never crashes, leaks or breaks an invariant,
 * whatever it reports (docs/fuzzing.md).
 */
#include "kev_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return kev_fuzz_run_legacy(KEV_PROFILE_V963, data, size);
}
