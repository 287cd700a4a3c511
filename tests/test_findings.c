/*
 * test_findings.c: the table of finding codes (src/findings.c) against
 * the sources: every code a kev__finding call in the core passes is in the
 * table, and the table's lookups answer as the predicates need.
 */
#include <stdio.h>
#include <string.h>

#include "kev_test.h"

#include "kevrr/world.h"

#ifndef KEV_SOURCE_DIR
#error "KEV_SOURCE_DIR must name the source tree"
#endif

static const char *const sources[] = {"world.c", "handlers_dl.c", "handlers_inet.c"};

/* Every `kev__finding(w, ..., "code"` in one file: returns how many. */
static size_t check_file(const char *name)
{
    char path[512], text[1 << 17];
    snprintf(path, sizeof path, "%s/src/%s", KEV_SOURCE_DIR, name);
    FILE *f = fopen(path, "r");
    ASSERT_NOT_NULL(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    size_t found = 0;
    for (const char *p = text; (p = strstr(p, "kev__finding(w,")) != NULL; p++) {
        const char *q = strchr(p, '"'), *e = q ? strchr(q + 1, '"') : NULL;
        ASSERT_TRUE(q != NULL && e != NULL && e - q < 40);
        char code[40];
        snprintf(code, sizeof code, "%.*s", (int)(e - q - 1), q + 1);
        if (!kev_finding_code_known(KEV_FINDING_DEFECT, 0, code) &&
            !kev_finding_code_known(KEV_FINDING_DIAGNOSTIC, 0, code))
            KEV__FAIL("%s: code \"%s\" is not in src/findings.c", name, code);
        found++;
    }
    return found;
}

KEV_TEST(every_source_code_is_known)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++)
        n += check_file(sources[i]);
    ASSERT_TRUE(n >= 45);
}

KEV_TEST(lookups)
{
    ASSERT_TRUE(kev_finding_code_known(KEV_FINDING_DEFECT, 5, "name-unterminated"));
    ASSERT_FALSE(kev_finding_code_known(KEV_FINDING_DEFECT, 6, "name-unterminated"));
    ASSERT_TRUE(kev_finding_code_known(KEV_FINDING_DIAGNOSTIC, 0, "payload-short"));
    ASSERT_FALSE(kev_finding_code_known(KEV_FINDING_DEFECT, 0, "payload-short"));
    ASSERT_FALSE(kev_finding_code_known(KEV_FINDING_DIAGNOSTIC, 0, "timestamp-epoch"));
    ASSERT_TRUE(kev_finding_code_known(KEV_FINDING_DEFECT, 14, "offset-loops"));
    ASSERT_TRUE(kev_finding_code_known(KEV_FINDING_DEFECT, 17, NULL));
    char list[256];
    ASSERT_EQ_U64(kev_finding_codes_list(KEV_FINDING_DEFECT, 5, list, sizeof list), 2);
    ASSERT_EQ_STR(list, "name-scan-past-buffer, name-unterminated");
    ASSERT_EQ_U64(kev_finding_codes_list(KEV_FINDING_DIAGNOSTIC, 0, list, 12), 17);
    ASSERT_EQ_STR(list, "size-zero, ");
}

KEV_TEST_MAIN(KEV_T(every_source_code_is_known), KEV_T(lookups))
