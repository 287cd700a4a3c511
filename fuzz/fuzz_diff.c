/*
 * fuzz/fuzz_diff.c: the differential property between hardened and v963
 * (spec/DESIGN.md, docs/fidelity.md "Where hardened differs").
 *
 * The input is one batch, fed to both profiles. Where v963 reports no
 * defect, the two must end in the same store, simulated kernel and
 * notifications, "except for fixes that are listed, each with its defect
 * id" (spec/DESIGN.md): when they differ, hardened must have given a
 * diagnostic that explains it, one of the deliberate differences of
 * docs/fidelity.md or one that names the seed defect it fixes. A
 * diagnostic with no defect id flags input the seed handles the same way,
 * so it explains nothing. Where v963 meets a defect's condition without
 * reporting it (a record with total_size below 24 whose class v963 ignores:
 * it steps over it, hardened stops the batch as D2's fix), the defect id of
 * hardened's diagnostic is what explains the difference.
 * Otherwise the target aborts with "kevrr invariant: differential: ..."
 * and both states. Both worlds also pass the invariants of fuzz_batch.
 */
#include <string.h>

#include "kev_fuzz.h"

/* Diagnostic codes by which hardened deliberately differs from v963 on
 * input v963 handles without a defect (docs/fidelity.md). */
static const char *const listed[] = {"name-not-ascii", "name-invalid", "name-empty",
                                     "ifaddr-null"};

/* The hardened diagnostics of the current input: how many explain a
 * difference (listed, or naming a defect), and the first that does not. */
typedef struct diff_findings {
    size_t listed;
    const char *unlisted;
} diff_findings;

static void on_hardened(void *ctx, const kev_finding *f)
{
    diff_findings *d = ctx;
    for (size_t i = 0; i < sizeof listed / sizeof listed[0]; i++)
        if (strcmp(f->code, listed[i]) == 0 || f->defect != 0) {
            d->listed++;
            return;
        }
    if (d->unlisted == NULL)
        d->unlisted = f->code;
}

/* The store, kernel and notification sections of a report: from the store
 * listing to the statistics line. */
static void state_part(const kev_strbuf *report, const char **p, size_t *n)
{
    const char *text = kev_strbuf_str(report);
    const char *from = strstr(text, "\nstore keys=");
    const char *to = from ? strstr(from, "\nstats ") : NULL;
    if (from == NULL || to == NULL)
        kev_fuzz_fail("differential: a report has no store or stats section");
    *p = from;
    *n = (size_t)(to - from);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static kev_world *hw, *vw;
    static kev_strbuf hr = KEV_STRBUF_INIT, vr = KEV_STRBUF_INIT;
    static diff_findings hf;
    if (hw == NULL) {
        hw = kev_fuzz_world_new(KEV_PROFILE_HARDENED, false, kev_fuzz_sink_text(&hr),
                                on_hardened, &hf);
        vw = kev_fuzz_world_new(KEV_PROFILE_V963, false, kev_fuzz_sink_text(&vr), NULL, NULL);
    }
    kev_strbuf_clear(&hr);
    kev_strbuf_clear(&vr);
    memset(&hf, 0, sizeof hf);
    kev_fuzz_feed_single(hw, data, size);
    kev_fuzz_feed_single(vw, data, size);
    bool full = kev_fuzz_sampled(data, size);
    kev_fuzz_finish_check(hw, NULL, full);
    kev_fuzz_finish_check(vw, NULL, full);
    if (hr.err != 0 || vr.err != 0)
        kev_fuzz_fail("differential: a report could not be held (%d, %d)", hr.err, vr.err);
    if (kev_world_stats_get(vw)->defects == 0) {
        const char *a, *b;
        size_t na, nb;
        state_part(&vr, &a, &na);
        state_part(&hr, &b, &nb);
        if ((na != nb || memcmp(a, b, na) != 0) && hf.listed == 0)
            kev_fuzz_fail("differential: hardened differs from v963 without a diagnostic "
                          "that explains it (first diagnostic: %s)\nv963:%.*s\nhardened:%.*s",
                          hf.unlisted ? hf.unlisted : "none", (int)na, a, (int)nb, b);
    }
    kev_fuzz_reset_check(hw);
    kev_fuzz_reset_check(vw);
    return 0;
}
