/*
 * fuzz/fuzz_batch.c: one recv() batch into the hardened core.
 *
 * The input is the batch's bytes (a single-batch file, `kevrr export -o`).
 * After every input the world is finished and its invariants checked
 * (kev_fuzz_finish_check: store and simulated kernel consistent, the report
 * rendered, no defect reported by hardened), then it is reset and checked
 * empty, so no input can lean on state an earlier one left.
 */
#include "kev_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static kev_world *w;
    static kev_fuzz_render r;
    if (w == NULL)
        w = kev_fuzz_world_new(KEV_PROFILE_HARDENED, false, kev_fuzz_sink_render(&r), NULL,
                               NULL);
    r.len = 0;
    r.head[0] = '\0';
    kev_fuzz_feed_single(w, data, size);
    kev_fuzz_finish_check(w, &r);
    kev_fuzz_reset_check(w);
    return 0;
}
