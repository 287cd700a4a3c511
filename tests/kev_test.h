/*
 * kev_test.h: the tiny test harness of kevrr's suites.
 *
 * A suite is one C file with KEV_TEST(name) functions and one
 * KEV_TEST_MAIN(KEV_T(a), KEV_T(b), ...) at the end. CMake registers one
 * CTest entry per KEV_TEST (it greps the file), running `test_SUITE name`;
 * with no argument the binary runs every test. An assertion that fails
 * prints both sides and the location, and ends the test with exit status 1.
 */
#ifndef KEV_TEST_H
#define KEV_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct kev_test_case {
    const char *name;
    void (*fn)(void);
} kev_test_case;

#define KEV_TEST(name) static void test_##name(void)
#define KEV_T(name) {#name, test_##name}

#define KEV__FAIL(...)                                                        \
    do {                                                                      \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                       \
        fprintf(stderr, __VA_ARGS__);                                         \
        fputc('\n', stderr);                                                  \
        exit(1);                                                              \
    } while (0)

#define ASSERT_TRUE(c)                                                        \
    do {                                                                      \
        if (!(c))                                                             \
            KEV__FAIL("ASSERT_TRUE(%s) failed", #c);                          \
    } while (0)

#define ASSERT_FALSE(c) ASSERT_TRUE(!(c))

#define ASSERT_EQ_INT(a, b)                                                   \
    do {                                                                      \
        long long kev__a = (long long)(a), kev__b = (long long)(b);           \
        if (kev__a != kev__b)                                                 \
            KEV__FAIL("ASSERT_EQ_INT(%s, %s): %lld != %lld", #a, #b, kev__a,  \
                      kev__b);                                                \
    } while (0)

#define ASSERT_EQ_U64(a, b)                                                   \
    do {                                                                      \
        unsigned long long kev__a = (unsigned long long)(a),                  \
                           kev__b = (unsigned long long)(b);                  \
        if (kev__a != kev__b)                                                 \
            KEV__FAIL("ASSERT_EQ_U64(%s, %s): %llu != %llu", #a, #b, kev__a,  \
                      kev__b);                                                \
    } while (0)

#define ASSERT_NULL(p)                                                        \
    do {                                                                      \
        if ((p) != NULL)                                                      \
            KEV__FAIL("ASSERT_NULL(%s) failed", #p);                          \
    } while (0)

#define ASSERT_NOT_NULL(p)                                                    \
    do {                                                                      \
        if ((p) == NULL)                                                      \
            KEV__FAIL("ASSERT_NOT_NULL(%s) failed", #p);                      \
    } while (0)

#define ASSERT_EQ_STR(a, b)                                                   \
    do {                                                                      \
        const char *kev__a = (a), *kev__b = (b);                              \
        if (kev__a == NULL || kev__b == NULL || strcmp(kev__a, kev__b) != 0)  \
            KEV__FAIL("ASSERT_EQ_STR(%s, %s):\n  left:  \"%s\"\n  right: \"%s\"", \
                      #a, #b, kev__a ? kev__a : "(null)",                     \
                      kev__b ? kev__b : "(null)");                            \
    } while (0)

/* Asserts that `hay` contains `needle`, printing `hay` when it does not. */
#define ASSERT_CONTAINS(hay, needle)                                          \
    do {                                                                      \
        const char *kev__h = (hay), *kev__n = (needle);                       \
        if (kev__h == NULL || strstr(kev__h, kev__n) == NULL)                 \
            KEV__FAIL("ASSERT_CONTAINS(%s, \"%s\") failed; text:\n%s", #hay,  \
                      kev__n, kev__h ? kev__h : "(null)");                    \
    } while (0)

#define ASSERT_NOT_CONTAINS(hay, needle)                                      \
    do {                                                                      \
        const char *kev__h = (hay), *kev__n = (needle);                       \
        if (kev__h != NULL && strstr(kev__h, kev__n) != NULL)                 \
            KEV__FAIL("ASSERT_NOT_CONTAINS(%s, \"%s\") failed; text:\n%s",   \
                      #hay, kev__n, kev__h);                                  \
    } while (0)

#define ASSERT_EQ_MEM(a, b, n)                                                \
    do {                                                                      \
        if (memcmp((a), (b), (n)) != 0)                                       \
            KEV__FAIL("ASSERT_EQ_MEM(%s, %s, %s) failed", #a, #b, #n);        \
    } while (0)

static inline int kev__test_run(const kev_test_case *cases, size_t n, int argc,
                                char **argv)
{
    size_t ran = 0;
    for (size_t i = 0; i < n; i++) {
        if (argc > 1 && strcmp(argv[1], cases[i].name) != 0)
            continue;
        cases[i].fn();
        ran++;
    }
    if (ran == 0) {
        fprintf(stderr, "no test named %s\n", argc > 1 ? argv[1] : "(any)");
        return 2;
    }
    printf("%zu passed, 0 failed\n", ran);
    return 0;
}

#define KEV_TEST_MAIN(...)                                                    \
    int main(int argc, char **argv)                                           \
    {                                                                         \
        static const kev_test_case kev__cases[] = {__VA_ARGS__};              \
        return kev__test_run(kev__cases,                                      \
                             sizeof kev__cases / sizeof kev__cases[0], argc,  \
                             argv);                                           \
    }

#endif
