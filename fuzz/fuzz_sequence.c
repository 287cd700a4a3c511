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
    static kev_world *w;
    static kev_fuzz_render r;
    if (w == NULL)
        w = kev_fuzz_world_new(KEV_PROFILE_HARDENED, false, kev_fuzz_sink_render(&r), NULL,
                               NULL);
    r.len = 0;
    r.head[0] = '\0';
    kev_fuzz_feed_multi(w, data, size);
    kev_fuzz_finish_check(w, &r);
    kev_fuzz_reset_check(w);
    return 0;
}
