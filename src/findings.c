/*
 * findings.c: the table of finding codes the core reports (kevrr/world.h),
 * so that a tool can refuse a code that can never come (`kevrr reduce
 * --predicate 'diag payload-shrot'`). One row per (kind, defect, code): a
 * faithful profile's defect with its id, or a hardened diagnostic with the
 * seed defect it fixes (0: none). test_findings checks that every code
 * the sources pass to kev__finding is in it.
 */
#include <stdio.h>
#include <string.h>

#include "kevrr/world.h"

#define DEF  KEV_FINDING_DEFECT
#define DIAG KEV_FINDING_DIAGNOSTIC

/* clang-format off */
static const kev_finding_code codes[] = {
    {DEF, 1, "size-zero"},             {DIAG, 1, "size-zero"},
    {DEF, 2, "size-below-header"},     {DIAG, 2, "size-below-header"},
    {DEF, 3, "header-past-data"},      {DIAG, 3, "short-header"},
    {DEF, 4, "read-past-buffer"},      {DEF, 4, "header-past-buffer"},
    {DIAG, 0, "internal-bounds"},      {DIAG, 0, "size-past-batch"},
    {DEF, 5, "name-scan-past-buffer"}, {DEF, 5, "name-unterminated"},
    {DIAG, 5, "name-unterminated"},
    {DEF, 6, "read-past-event"},       {DIAG, 6, "payload-short"},
    {DIAG, 0, "payload-short"},
    {DEF, 7, "misaligned-header"},
    {DEF, 8, "record-truncated"},      {DIAG, 8, "record-truncated"},
    {DEF, 9, "name-not-utf8"},         {DIAG, 9, "name-not-utf8"},
    {DIAG, 9, "name-not-ascii"},       {DIAG, 9, "name-invalid"},
    {DIAG, 0, "name-invalid"},         {DIAG, 0, "name-empty"},
    {DEF, 10, "name-not-ascii"},
    {DEF, 11, "unit-negative"},        {DEF, 11, "name-truncated"},
    {DEF, 11, "name-ends-in-digit"},   {DIAG, 11, "name-ambiguous"},
    {DIAG, 11, "unit-out-of-range"},   {DIAG, 11, "name-too-long"},
    {DEF, 12, "recv-error"},           {DIAG, 12, "recv-error"},
    {DEF, 13, "offset-wraps"},         {DEF, 13, "offset-loops"},
    {DEF, 14, "offset-loops"},         {DEF, 14, "size-negative"},
    {DEF, 14, "header-before-buffer"},
    {DEF, 15, "timestamp-epoch"},
    {DEF, 16, "log-read-past-event"},
    {DEF, 17, "proto-marks-down"},
    {DEF, 18, "ifaddr-null"},          {DIAG, 18, "ifaddr-null"},
};
/* clang-format on */

const kev_finding_code *kev_finding_code_at(size_t i)
{
    return i < sizeof codes / sizeof codes[0] ? &codes[i] : NULL;
}

bool kev_finding_code_known(kev_finding_kind kind, int defect, const char *code)
{
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (codes[i].kind == kind && (defect == 0 || codes[i].defect == defect) &&
            (code == NULL || strcmp(codes[i].code, code) == 0))
            return true;
    return false;
}

size_t kev_finding_codes_list(kev_finding_kind kind, int defect, char *out, size_t cap)
{
    size_t n = 0, found = 0;
    if (cap > 0)
        out[0] = '\0';
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        if (codes[i].kind != kind || (defect != 0 && codes[i].defect != defect))
            continue;
        bool seen = false; /* a code listed under two ids is named once */
        for (size_t j = 0; j < i && !seen; j++)
            seen = codes[j].kind == kind && (defect == 0 || codes[j].defect == defect) &&
                   strcmp(codes[j].code, codes[i].code) == 0;
        if (seen)
            continue;
        int k = snprintf(out + n, n < cap ? cap - n : 0, "%s%s", found ? ", " : "",
                         codes[i].code);
        n += k > 0 ? (size_t)k : 0;
        found++;
    }
    if (n >= cap && cap > 0)
        out[cap - 1] = '\0';
    return found;
}
