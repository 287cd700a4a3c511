/*
 * testlib.c: see testlib.h.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sink_write(void *ctx, const char *p, size_t n)
{
    kev_strbuf_add(ctx, p, n);
}

static void on_finding(void *ctx, const kev_finding *f)
{
    tl_run *r = ctx;
    if (r->n_findings < TL_MAX_FINDINGS)
        r->findings[r->n_findings++] = *f;
}

static int feed(void *ctx, const kev_scn_item *it)
{
    tl_run *r = ctx;
    switch (it->kind) {
    case KEV_SCN_SNAPSHOT: {
        kev_strbuf err = KEV_STRBUF_INIT;
        int rc = kev_world_load_snapshot(r->w, (const char *)it->bytes, it->len, &err);
        if (rc != 0) {
            fprintf(stderr, "snapshot does not load: %s\n", kev_strbuf_str(&err));
            exit(1);
        }
        kev_strbuf_free(&err);
        return 0;
    }
    case KEV_SCN_BATCH:
        return kev_world_feed(r->w, it->bytes, it->len, it->t_ns);
    case KEV_SCN_ERROR:
        return kev_world_feed_error(r->w, it->err, it->err_name, it->t_ns);
    }
    return 0;
}

void tl_feed_scenario(tl_run *r, const char *scenario)
{
    kev_strbuf err = KEV_STRBUF_INIT;
    int rc = kev_scenario_compile(scenario, strlen(scenario), feed, r, &err);
    if (rc != 0) {
        fprintf(stderr, "scenario does not run (%s): %s\n%s\n", kev_err_name(rc),
                kev_strbuf_str(&err), scenario);
        exit(1);
    }
    kev_strbuf_free(&err);
}

void tl_run_scenario(tl_run *r, kev_profile profile, const tl_opts *o,
                     const char *scenario)
{
    kev_world_opts wo;
    memset(r, 0, sizeof *r);
    kev_world_opts_init(&wo);
    wo.profile = profile;
    if (o) {
        wo.ilp32 = o->ilp32;
        wo.verbose = o->verbose;
        wo.recv_buffer = o->recv_buffer;
        wo.drift = o->drift || o->drift_each;
        wo.drift_each = o->drift_each;
    }
    if (!o || !o->no_report) {
        wo.sink.write = sink_write;
        wo.sink.ctx = &r->report;
    }
    wo.on_finding = on_finding;
    wo.finding_ctx = r;
    r->w = kev_world_new(&wo);
    if (r->w == NULL) {
        fprintf(stderr, "kev_world_new failed\n");
        exit(1);
    }
    tl_feed_scenario(r, scenario);
    if (kev_world_finish(r->w) != 0) {
        fprintf(stderr, "kev_world_finish failed\n");
        exit(1);
    }
}

void tl_free(tl_run *r)
{
    kev_world_free(r->w);
    kev_strbuf_free(&r->report);
    memset(r, 0, sizeof *r);
}

const char *tl_value(const tl_run *r, const char *key)
{
    static kev_strbuf sb;
    const kev_value *v = kev_store_get(kev_world_store(r->w), key);
    kev_strbuf_free(&sb);
    if (v == NULL)
        return "(absent)";
    kev_value_format(v, &sb);
    return kev_strbuf_str(&sb);
}

void tl_store_text(const tl_run *r, kev_strbuf *out)
{
    const kev_store *s = kev_world_store(r->w);
    const char **keys = NULL;
    size_t n = 0;
    if (kev_store_keys_sorted(s, &keys, &n) != 0) {
        fprintf(stderr, "kev_store_keys_sorted failed\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        kev_strbuf_addf(out, "%s = ", keys[i]);
        kev_value_format(kev_store_get(s, keys[i]), out);
        kev_strbuf_addc(out, '\n');
    }
    free(keys);
}

bool tl_has_finding(const tl_run *r, int defect, const char *code)
{
    for (size_t i = 0; i < r->n_findings; i++)
        if (r->findings[i].defect == defect &&
            (code == NULL || strcmp(code, r->findings[i].code) == 0))
            return true;
    return false;
}

const kev_finding *tl_first_finding(const tl_run *r)
{
    return r->n_findings ? &r->findings[0] : NULL;
}

const char *tl_findings_text(const tl_run *r)
{
    static kev_strbuf sb;
    kev_strbuf_free(&sb);
    for (size_t i = 0; i < r->n_findings; i++)
        kev_strbuf_addf(&sb, "D%d %s%s: %s\n", r->findings[i].defect,
                        r->findings[i].code, r->findings[i].stops ? " (stops)" : "",
                        r->findings[i].message);
    return r->n_findings ? kev_strbuf_str(&sb) : "(no findings)";
}

const char *tl_final_section(const char *report)
{
    const char *p = strstr(report, "\nfinal ");
    return p ? p + 1 : report;
}
