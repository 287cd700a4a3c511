/*
 * test_cftime.c: the message log's clock (src/cftime.c).
 *
 * The configd clock must print what configd prints: "%12.8f" of the double
 * CFAbsoluteTimeGetCurrent() computes from gettimeofday(). The expected
 * strings below were computed independently, with Python's binary64
 * arithmetic and its correctly rounded formatting, from the same formula
 * (CFDate.c: `(double)tv_sec - 978307200.0`, then `+= 1.0e-6 *
 * (double)tv_usec`). On a glibc machine whose doubles are evaluated in
 * binary64 the suite also compares against the C library itself on many
 * random times.
 */
#include <float.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kev_cftime.h"
#include "kev_test.h"

typedef struct clock_case {
    uint64_t t_ns;
    const char *want;
} clock_case;

static const clock_case configd_cases[] = {
    /* The two values: 1 ms and 2 ms past a whole second. */
    {1700000000001000000uLL, "721692800.00100005"},
    {1700000000002000000uLL, "721692800.00199997"},
    {1700000000000000000uLL, "721692800.00000000"},
    /* Nanoseconds below the microsecond are cut, never rounded. */
    {1700000000000001999uLL, "721692800.00000095"},
    {1700000000999999999uLL, "721692800.99999905"},
    {1700000006000500000uLL, "721692806.00049996"},
    /* Around CFAbsoluteTime's epoch, and before it (negative). */
    {0uLL, "-978307200.00000000"},
    {978307200000000000uLL, "  0.00000000"},
    {978307200000001000uLL, "  0.00000100"},
    {978307199999999000uLL, " -0.00000100"},
    {978307199999999999uLL, " -0.00000100"},
    /* The double is exactly halfway between two 8-decimal values: ties go
     * to the even digit (D + 1/512 and D + 3/512, D = 2^33). */
    {9568241792001953000uLL, "8589934592.00195312"},
    {9568241792005859000uLL, "8589934592.00585938"},
    /* The largest trace time. */
    {18446744073709551615uLL, "17468436873.70955276"},
    {1234567890123456789uLL, "256260690.12345600"},
    {4555151432373432122uLL, "3576844232.37343216"},
    {4718225421256202644uLL, "3739918221.25620222"},
    {16100723658425231096uLL, "15122416458.42523193"},
    {16629058834826897586uLL, "15650751634.82689667"},
    {9523476716097681927uLL, "8545169516.09768105"},
    {1534916789385630849uLL, "556609589.38563001"},
    {1889463621930372360uLL, "911156421.93037200"},
    {1777367421304067592uLL, "799060221.30406702"},
    {1740961144220393732uLL, "762653944.22039294"},
    {1676895521235970777uLL, "698588321.23597002"},
    {1605993796182537676uLL, "627686596.18253696"},
    {1752784250148655085uLL, "774477050.14865506"},
    {1612334966495991369uLL, "634027766.49599099"},
    {1750333034918800269uLL, "772025834.91880000"},
    {1672139860829509704uLL, "693832660.82950902"},
};

KEV_TEST(configd_values)
{
    for (size_t i = 0; i < sizeof configd_cases / sizeof configd_cases[0]; i++) {
        char got[KEV_CF_TIME_CAP];
        size_t n = kev__cf_time_configd(configd_cases[i].t_ns, got);
        if (strcmp(got, configd_cases[i].want) != 0)
            KEV__FAIL("t=%llu: got \"%s\", want \"%s\"",
                      (unsigned long long)configd_cases[i].t_ns, got,
                      configd_cases[i].want);
        ASSERT_EQ_U64(n, strlen(configd_cases[i].want));
    }
}

/* The C library's own computation, where it is known to be binary64 and
 * correctly rounded (glibc's printf prints a double's exact value). */
#if defined(__GLIBC__) && FLT_EVAL_METHOD == 0
static void libc_clock(uint64_t t_ns, char out[KEV_CF_TIME_CAP])
{
    volatile double ret = (double)(t_ns / 1000000000u) - 978307200.0;
    volatile double micro = 1.0e-6 * (double)(t_ns % 1000000000u / 1000u);
    ret += micro;
    snprintf(out, KEV_CF_TIME_CAP, "%12.8f", ret);
}
#endif

KEV_TEST(configd_matches_libc)
{
#if defined(__GLIBC__) && FLT_EVAL_METHOD == 0
    uint64_t x = 0x9e3779b97f4a7c15uLL;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        /* Half the draws near today, half anywhere in the trace's range. */
        uint64_t t = i & 1 ? x : 1500000000000000000uLL + x % 400000000000000000uLL;
        char want[KEV_CF_TIME_CAP], got[KEV_CF_TIME_CAP];
        libc_clock(t, want);
        kev__cf_time_configd(t, got);
        if (strcmp(got, want) != 0)
            KEV__FAIL("t=%llu: got \"%s\", libc \"%s\"", (unsigned long long)t, got, want);
    }
#else
    printf("skipped: no binary64 glibc to compare with\n");
#endif
}

KEV_TEST_MAIN(KEV_T(configd_values), KEV_T(configd_matches_libc))
