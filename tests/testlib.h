/*
 * testlib.h: helpers the core's test suites share: run a scenario through
 * a world of a given profile, collect its report and findings, and look up
 * store values as rendered text.
 */
#ifndef KEV_TESTLIB_H
#define KEV_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>

#include "kevrr/kevrr.h"
#include "kevrr/scenario.h"

#define TL_MAX_FINDINGS 64

/* One run: the world (kept for inspection), its report and findings. */
typedef struct tl_run {
    kev_world *w;
    kev_strbuf report;
    size_t n_findings;
    kev_finding findings[TL_MAX_FINDINGS];
} tl_run;

/* Options beyond the profile; NULL means the defaults. */
typedef struct tl_opts {
    bool ilp32;
    bool verbose;
    uint32_t recv_buffer;
    bool no_report; /* run without a sink */
    bool drift, drift_each; /* track drift (kevrr/drift.h) */
} tl_opts;

/* Compiles `scenario` and feeds it to a new world of `profile`, then
 * finishes the report. Aborts the test (exit 1) when the scenario does not
 * compile. The caller frees with tl_free. */
void tl_run_scenario(tl_run *r, kev_profile profile, const tl_opts *o,
                     const char *scenario);
/* Feeds more of a scenario into an existing run (no finish). */
void tl_feed_scenario(tl_run *r, const char *scenario);
void tl_free(tl_run *r);

/* The value under `key`, rendered canonically into a static buffer, or
 * "(absent)". */
const char *tl_value(const tl_run *r, const char *key);
/* Appends every "KEY = VALUE" of the store, sorted, one per line. */
void tl_store_text(const tl_run *r, kev_strbuf *out);
/* True when a finding with this defect number (and code, when not NULL)
 * was reported. */
bool tl_has_finding(const tl_run *r, int defect, const char *code);
/* The first finding, or NULL. */
const kev_finding *tl_first_finding(const tl_run *r);
/* A printable list of the findings, for failure messages. */
const char *tl_findings_text(const tl_run *r);

/* The final-state part of a report (from the "final" line), which the
 * differential tests compare. Points into `report`. */
const char *tl_final_section(const char *report);

#endif
