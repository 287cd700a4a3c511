/*
 * fuzz/fuzz_diff.c: the differential property between hardened and each of
 * v963 and v1405 (spec/DESIGN.md, docs/fidelity.md "Where hardened
 * differs", docs/configd-1405.md "hardened and v1405").
 *
 * The input is one batch, fed to the three profiles. Where v963 (v1405)
 * reports no defect, hardened and it must end in the same store, simulated
 * kernel and notifications, "except for fixes that are listed, each with its defect
 * id" (spec/DESIGN.md): when they differ, hardened must have given a
 * diagnostic that explains it, one of the deliberate differences of
 * docs/fidelity.md or one that names the seed defect it fixes. A
 * diagnostic with no defect id flags input the seed handles the same way,
 * so it explains nothing. Where v963 meets a defect's condition without
 * reporting it (a record with total_size below 24 whose class v963 ignores:
 * it steps over it, hardened stops the batch as D2's fix), the defect id of
 * hardened's diagnostic is what explains the difference.
 * Against v1405, its one listed version difference is left out of the
 * comparison first: the notifications of .../InterfaceDelegation, which
 * v1405 posts on KEV_DL_IFDELEGATE_CHANGED and hardened (v963's semantics)
 * does not. The notification summary's key count is not compared either
 * (each key's line is). Otherwise the target aborts with "kevrr invariant:
 * differential: ..." and both states. Every world also passes the
 * invariants of fuzz_batch.
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

/* The store, kernel and notification sections of a report, from the store
 * listing to the statistics line, into `out`: without the notification
 * summary's key count, and, for v1405, without its version lines. */
static void state_part(kev_profile p, const kev_strbuf *report, kev_strbuf *out)
{
    static const char delegation[] = "/InterfaceDelegation count=";
    const char *text = kev_strbuf_str(report);
    const char *from = strstr(text, "\nstore keys=");
    const char *to = from ? strstr(from, "\nstats ") : NULL;
    if (from == NULL || to == NULL)
        kev_fuzz_fail("differential: a report has no store or stats section");
    kev_strbuf_clear(out);
    for (const char *line = from + 1; line < to;) {
        const char *nl = memchr(line, '\n', (size_t)(to - line));
        size_t n = nl ? (size_t)(nl - line) : (size_t)(to - line);
        bool skip = strncmp(line, "notifications keys=", 19) == 0;
        if (!skip && p == KEV_PROFILE_V1405 && n >= sizeof delegation)
            for (size_t i = 0; i + sizeof delegation - 1 <= n && !skip; i++)
                skip = memcmp(line + i, delegation, sizeof delegation - 1) == 0;
        if (!skip) {
            kev_strbuf_add(out, line, n);
            kev_strbuf_add(out, "\n", 1);
        }
        line += n + 1;
    }
}

/* Hardened against the faithful world `fw` of profile `p`. */
static void compare(kev_profile p, kev_world *fw, const kev_strbuf *fr, const kev_strbuf *hr,
                    const diff_findings *hf)
{
    static kev_strbuf a = KEV_STRBUF_INIT, b = KEV_STRBUF_INIT;
    if (kev_world_stats_get(fw)->defects != 0)
        return;
    state_part(p, fr, &a);
    state_part(p, hr, &b);
    if (a.err != 0 || b.err != 0)
        kev_fuzz_fail("differential: a state could not be held (%d, %d)", a.err, b.err);
    if ((a.len != b.len || memcmp(kev_strbuf_str(&a), kev_strbuf_str(&b), a.len) != 0) &&
        hf->listed == 0)
        kev_fuzz_fail("differential: hardened differs from %s without a diagnostic "
                      "that explains it (first diagnostic: %s)\n%s:%s\nhardened:%s",
                      kev_profile_name(p), hf->unlisted ? hf->unlisted : "none",
                      kev_profile_name(p), kev_strbuf_str(&a), kev_strbuf_str(&b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The faithful profiles hardened is compared with. */
    static const kev_profile faithful[] = {KEV_PROFILE_V963, KEV_PROFILE_V1405};
    enum { NF = sizeof faithful / sizeof faithful[0] };
    static kev_world *hw, *fw[NF];
    static kev_strbuf hr = KEV_STRBUF_INIT, fr[NF] = {KEV_STRBUF_INIT, KEV_STRBUF_INIT};
    static diff_findings hf;
    if (hw == NULL) {
        hw = kev_fuzz_world_new(KEV_PROFILE_HARDENED, false, kev_fuzz_sink_text(&hr),
                                on_hardened, &hf);
        for (int i = 0; i < NF; i++)
            fw[i] = kev_fuzz_world_new(faithful[i], false, kev_fuzz_sink_text(&fr[i]), NULL,
                                       NULL);
    }
    bool full = kev_fuzz_sampled(data, size);
    kev_strbuf_clear(&hr);
    memset(&hf, 0, sizeof hf);
    kev_fuzz_feed_single(hw, data, size);
    kev_fuzz_finish_check(hw, NULL, full);
    for (int i = 0; i < NF; i++) {
        kev_strbuf_clear(&fr[i]);
        kev_fuzz_feed_single(fw[i], data, size);
        kev_fuzz_finish_check(fw[i], NULL, full);
        if (hr.err != 0 || fr[i].err != 0)
            kev_fuzz_fail("differential: a report could not be held (%d, %d)", hr.err,
                          fr[i].err);
        compare(faithful[i], fw[i], &fr[i], &hr, &hf);
    }
    kev_fuzz_reset_check(hw);
    for (int i = 0; i < NF; i++)
        kev_fuzz_reset_check(fw[i]);
    return 0;
}
