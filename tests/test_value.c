/*
 * test_value.c: property-list values (kevrr/value.h): the canonical
 * rendering of every type, equality, reference counting and copy-on-write,
 * dictionary order, and the caps. Lifetimes are checked by running under
 * ASan with the leak checker: every test releases all it creates.
 */
#include <stdint.h>

#include "kev_test.h"
#include "kevrr/error.h"
#include "kevrr/strbuf.h"
#include "kevrr/value.h"

/* Renders `v` into a static buffer (valid until the next call). */
static const char *render(const kev_value *v)
{
    static kev_strbuf sb = KEV_STRBUF_INIT;
    kev_strbuf_clear(&sb);
    kev_value_format(v, &sb);
    ASSERT_EQ_INT(sb.err, 0);
    return kev_strbuf_str(&sb);
}

/* Asserts that `v` (consumed) renders as `want`. */
static void check_render(kev_value *v, const char *want)
{
    ASSERT_NOT_NULL(v);
    ASSERT_EQ_STR(render(v), want);
    kev_value_unref(v);
}

static void set_int(kev_value *d, const char *key, int64_t i)
{
    ASSERT_EQ_INT(kev_value_dict_set(d, key, kev_value_int(i)), 0);
}

static void append_str(kev_value *a, const char *s)
{
    ASSERT_EQ_INT(kev_value_array_append(a, kev_value_cstring(s)), 0);
}

KEV_TEST(render_scalars)
{
    check_render(kev_value_bool(true), "true");
    check_render(kev_value_bool(false), "false");
    check_render(kev_value_int(0), "0");
    check_render(kev_value_int(-1), "-1");
    check_render(kev_value_int(INT64_MAX), "9223372036854775807");
    check_render(kev_value_int(INT64_MIN), "-9223372036854775808");
    ASSERT_EQ_STR(render(NULL), "(null)");
}

KEV_TEST(render_strings)
{
    check_render(kev_value_cstring(""), "\"\"");
    check_render(kev_value_cstring("en0"), "\"en0\"");
    check_render(kev_value_cstring("a\"b\\c"), "\"a\\\"b\\\\c\"");
    check_render(kev_value_cstring("\n\t\r"), "\"\\n\\t\\r\"");
    check_render(kev_value_cstring("\x01\x1f\x7f "), "\"\\x01\\x1f\\x7f \"");
    /* Bytes >= 0x80 are copied as they are. */
    check_render(kev_value_cstring("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
    /* An embedded NUL is part of the string. */
    check_render(kev_value_string("a\0b", 3), "\"a\\x00b\"");
    check_render(kev_value_string(NULL, 0), "\"\"");
}

KEV_TEST(render_data)
{
    static const uint8_t bytes[] = {0x00, 0x0a, 0x0b, 0xff, 0x7f};
    check_render(kev_value_data(NULL, 0), "<>");
    check_render(kev_value_data(bytes, sizeof bytes), "<000a0bff7f>");
}

KEV_TEST(render_dates_civil)
{
    check_render(kev_value_date(0.0), "date(2001-01-01T00:00:00Z)");
    check_render(kev_value_date(-0.0), "date(2001-01-01T00:00:00Z)");
    check_render(kev_value_date(978307200.0), "date(2032-01-02T00:00:00Z)");
    check_render(kev_value_date(1038073417.0), "date(2033-11-23T17:43:37Z)");
    check_render(kev_value_date(-1.0), "date(2000-12-31T23:59:59Z)");
    check_render(kev_value_date(-978307200.0), "date(1970-01-01T00:00:00Z)");
    check_render(kev_value_date(730900800.0), "date(2024-02-29T12:00:00Z)");
    check_render(kev_value_date(-26438401.0), "date(2000-02-29T23:59:59Z)");
    check_render(kev_value_date(-3182198400.0), "date(1900-03-01T00:00:00Z)");
    /* The first and last second of years 1..9999. */
    check_render(kev_value_date(-63113904000.0), "date(0001-01-01T00:00:00Z)");
    check_render(kev_value_date(252423993599.0), "date(9999-12-31T23:59:59Z)");
}

KEV_TEST(render_dates_abs)
{
    check_render(kev_value_date(0.5), "date(abs=0.500000)");
    check_render(kev_value_date(-0.25), "date(abs=-0.250000)");
    check_render(kev_value_date(730900800.125), "date(abs=730900800.125000)");
    /* One second outside years 1..9999. */
    check_render(kev_value_date(-63113904001.0), "date(abs=-63113904001.000000)");
    check_render(kev_value_date(252423993600.0), "date(abs=252423993600.000000)");
    check_render(kev_value_date(1e15), "date(abs=1000000000000000.000000)");
}

KEV_TEST(render_containers)
{
    check_render(kev_value_array_new(), "[]");
    check_render(kev_value_dict_new(), "{}");

    kev_value *a = kev_value_array_new();
    append_str(a, "en0");
    ASSERT_EQ_INT(kev_value_array_append(a, kev_value_int(7)), 0);
    ASSERT_EQ_INT(kev_value_array_append(a, kev_value_array_new()), 0);
    check_render(a, "[\"en0\", 7, []]");

    kev_value *d = kev_value_dict_new();
    kev_value *ifs = kev_value_array_new();
    append_str(ifs, "lo0");
    append_str(ifs, "en0");
    ASSERT_EQ_INT(kev_value_dict_set(d, "Interfaces", ifs), 0);
    kev_value *inner = kev_value_dict_new();
    ASSERT_EQ_INT(kev_value_dict_set(inner, "Active", kev_value_bool(true)), 0);
    ASSERT_EQ_INT(kev_value_dict_set(d, "Link", inner), 0);
    ASSERT_EQ_INT(kev_value_dict_set(d, "Empty", kev_value_dict_new()), 0);
    check_render(d, "{Empty = {}; Interfaces = [\"lo0\", \"en0\"]; "
                    "Link = {Active = true}}");
}

KEV_TEST(render_dict_sorted_bytewise)
{
    kev_value *d = kev_value_dict_new();
    set_int(d, "b", 1);
    set_int(d, "a", 2);
    set_int(d, "_", 3);
    set_int(d, "B", 4);
    set_int(d, "a.b-c_9", 5);
    set_int(d, "\xc3\xa9", 6); /* >= 0x80 sorts after ASCII */
    ASSERT_EQ_STR(kev_value_dict_key_at(d, 0), "B");
    ASSERT_EQ_STR(kev_value_dict_key_at(d, 5), "\xc3\xa9");
    check_render(d, "{B = 4; _ = 3; a = 2; a.b-c_9 = 5; b = 1; \"\xc3\xa9\" = 6}");
}

KEV_TEST(render_dict_quoted_keys)
{
    kev_value *d = kev_value_dict_new();
    set_int(d, "State:/Network", 1);
    set_int(d, "has space", 2);
    set_int(d, "q\"t", 3);
    set_int(d, "", 4);
    set_int(d, "tab\t", 5);
    check_render(d, "{\"\" = 4; \"State:/Network\" = 1; \"has space\" = 2; "
                    "\"q\\\"t\" = 3; \"tab\\t\" = 5}");
}

KEV_TEST(dict_set_get_remove)
{
    kev_value *d = kev_value_dict_new();
    const char *longkey = "a-key-much-longer-than-the-inline-buffer-of-entries";
    set_int(d, "Active", 1);
    set_int(d, longkey, 2);
    set_int(d, "Active", 3); /* replaces */
    ASSERT_EQ_U64(kev_value_count(d), 2);
    ASSERT_EQ_INT(kev_value_get_int(kev_value_dict_get(d, "Active")), 3);
    ASSERT_EQ_INT(kev_value_get_int(kev_value_dict_get(d, longkey)), 2);
    ASSERT_NULL(kev_value_dict_get(d, "Missing"));
    ASSERT_EQ_STR(kev_value_dict_key_at(d, 1), longkey);
    ASSERT_EQ_INT(kev_value_get_int(kev_value_dict_value_at(d, 1)), 2);
    ASSERT_NULL(kev_value_dict_key_at(d, 2));
    ASSERT_NULL(kev_value_dict_value_at(d, 2));
    ASSERT_TRUE(kev_value_dict_remove(d, longkey));
    ASSERT_FALSE(kev_value_dict_remove(d, longkey));
    ASSERT_EQ_U64(kev_value_count(d), 1);
    check_render(d, "{Active = 3}");
}

KEV_TEST(dict_many_keys_stay_sorted)
{
    kev_value *d = kev_value_dict_new();
    char key[16];
    /* Insert in a scrambled order: 37 is coprime with 100. */
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "k%03d", i * 37 % 100);
        set_int(d, key, i * 37 % 100);
    }
    ASSERT_EQ_U64(kev_value_count(d), 100);
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "k%03d", i);
        ASSERT_EQ_STR(kev_value_dict_key_at(d, (size_t)i), key);
        ASSERT_EQ_INT(kev_value_get_int(kev_value_dict_get(d, key)), i);
    }
    for (int i = 0; i < 100; i += 2) {
        snprintf(key, sizeof key, "k%03d", i);
        ASSERT_TRUE(kev_value_dict_remove(d, key));
    }
    ASSERT_EQ_STR(kev_value_dict_key_at(d, 0), "k001");
    ASSERT_EQ_STR(kev_value_dict_key_at(d, 49), "k099");
    kev_value_unref(d);
}

KEV_TEST(array_strings)
{
    kev_value *a = kev_value_array_new();
    append_str(a, "en0");
    ASSERT_EQ_INT(kev_value_array_append(a, kev_value_int(1)), 0);
    append_str(a, "lo0");
    append_str(a, "en0");
    ASSERT_EQ_INT(kev_value_array_append(a, kev_value_string("e\0n", 3)), 0);
    ASSERT_TRUE(kev_value_array_has_string(a, "lo0", 3));
    ASSERT_FALSE(kev_value_array_has_string(a, "lo", 2));
    ASSERT_TRUE(kev_value_array_has_string(a, "e\0n", 3));
    ASSERT_FALSE(kev_value_array_has_string(a, "e", 1));
    /* Removes the first match only. */
    ASSERT_TRUE(kev_value_array_remove_string(a, "en0", 3));
    ASSERT_EQ_STR(render(a), "[1, \"lo0\", \"en0\", \"e\\x00n\"]");
    ASSERT_TRUE(kev_value_array_remove_string(a, "en0", 3));
    ASSERT_FALSE(kev_value_array_remove_string(a, "en0", 3));
    ASSERT_EQ_U64(kev_value_count(a), 3);
    ASSERT_EQ_INT(kev_value_get_int(kev_value_array_at(a, 0)), 1);
    ASSERT_NULL(kev_value_array_at(a, 3));
    check_render(a, "[1, \"lo0\", \"e\\x00n\"]");
}

KEV_TEST(getters_and_types)
{
    kev_value *s = kev_value_cstring("x");
    kev_value *dt = kev_value_date(12.5);
    size_t len = 99;
    ASSERT_EQ_STR(kev_value_get_string(s, &len), "x");
    ASSERT_EQ_U64(len, 1);
    ASSERT_NULL(kev_value_get_data(s, &len));
    ASSERT_EQ_U64(len, 0);
    ASSERT_FALSE(kev_value_get_bool(s));
    ASSERT_EQ_INT(kev_value_get_int(s), 0);
    ASSERT_TRUE(kev_value_get_date(dt) == 12.5);
    ASSERT_TRUE(kev_value_get_date(s) == 0.0);
    ASSERT_EQ_U64(kev_value_count(s), 0);
    ASSERT_EQ_INT(kev_value_type(dt), KEV_VT_DATE);
    ASSERT_EQ_STR(kev_vtype_name(KEV_VT_BOOL), "bool");
    ASSERT_EQ_STR(kev_vtype_name(KEV_VT_INT), "int");
    ASSERT_EQ_STR(kev_vtype_name(KEV_VT_STRING), "string");
    ASSERT_EQ_STR(kev_vtype_name(KEV_VT_DATA), "data");
    ASSERT_EQ_STR(kev_vtype_name(KEV_VT_DATE), "date");
    ASSERT_EQ_STR(kev_vtype_name(KEV_VT_ARRAY), "array");
    ASSERT_EQ_STR(kev_vtype_name(KEV_VT_DICT), "dict");
    /* Type mismatches are refused, and the item is consumed. */
    ASSERT_EQ_INT(kev_value_array_append(s, kev_value_int(1)), KEV_EINVAL);
    ASSERT_EQ_INT(kev_value_dict_set(s, "k", kev_value_int(1)), KEV_EINVAL);
    kev_value_unref(s);
    kev_value_unref(dt);
}

KEV_TEST(equality)
{
    kev_value *a = kev_value_dict_new(), *b = kev_value_dict_new();
    set_int(a, "x", 1);
    set_int(a, "y", 2);
    set_int(b, "y", 2); /* other insertion order */
    set_int(b, "x", 1);
    ASSERT_TRUE(kev_value_equal(a, b));
    set_int(b, "x", 3);
    ASSERT_FALSE(kev_value_equal(a, b));
    ASSERT_TRUE(kev_value_equal(NULL, NULL));
    ASSERT_FALSE(kev_value_equal(a, NULL));
    ASSERT_FALSE(kev_value_equal(NULL, a));

    kev_value *s1 = kev_value_string("ab", 2), *s2 = kev_value_string("ab", 2);
    kev_value *s3 = kev_value_string("ab\0", 3), *d1 = kev_value_data("ab", 2);
    ASSERT_TRUE(kev_value_equal(s1, s2));
    ASSERT_FALSE(kev_value_equal(s1, s3));
    ASSERT_FALSE(kev_value_equal(s1, d1)); /* same bytes, other type */

    kev_value *i1 = kev_value_int(1), *t1 = kev_value_bool(true);
    kev_value *dt1 = kev_value_date(5.0), *dt2 = kev_value_date(5.0);
    kev_value *dt3 = kev_value_date(5.5);
    ASSERT_FALSE(kev_value_equal(i1, t1));
    ASSERT_TRUE(kev_value_equal(dt1, dt2));
    ASSERT_FALSE(kev_value_equal(dt1, dt3));

    kev_value *x = kev_value_array_new(), *y = kev_value_array_new();
    append_str(x, "a");
    append_str(x, "b");
    append_str(y, "b");
    append_str(y, "a");
    ASSERT_FALSE(kev_value_equal(x, y)); /* arrays are ordered */
    ASSERT_TRUE(kev_value_array_remove_string(y, "b", 1));
    append_str(y, "b");
    ASSERT_TRUE(kev_value_equal(x, y));

    kev_value *vals[] = {a, b, s1, s2, s3, d1, i1, t1, dt1, dt2, dt3, x, y};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        kev_value_unref(vals[i]);
}

KEV_TEST(equality_nested)
{
    kev_value *a = kev_value_dict_new(), *b = kev_value_dict_new();
    kev_value *la = kev_value_array_new(), *lb = kev_value_array_new();
    append_str(la, "en0");
    append_str(lb, "en0");
    ASSERT_EQ_INT(kev_value_dict_set(a, "Interfaces", la), 0);
    ASSERT_EQ_INT(kev_value_dict_set(b, "Interfaces", lb), 0);
    ASSERT_TRUE(kev_value_equal(a, b));
    kev_value *c = kev_value_copy(b);
    kev_value *lc = kev_value_copy(kev_value_dict_get(c, "Interfaces"));
    append_str(lc, "en1");
    ASSERT_EQ_INT(kev_value_dict_set(c, "Interfaces", lc), 0);
    ASSERT_FALSE(kev_value_equal(a, c));
    ASSERT_TRUE(kev_value_equal(a, b));
    kev_value_unref(a);
    kev_value_unref(b);
    check_render(c, "{Interfaces = [\"en0\", \"en1\"]}");
}

KEV_TEST(copy_on_write)
{
    kev_value *orig = kev_value_dict_new();
    kev_value *list = kev_value_array_new();
    append_str(list, "en0");
    ASSERT_EQ_INT(kev_value_dict_set(orig, "Interfaces", list), 0);
    ASSERT_EQ_INT(kev_value_dict_set(orig, "Active", kev_value_bool(true)), 0);
    const char *longkey = "Key-longer-than-the-inline-buffer-of-an-entry";
    set_int(orig, longkey, 9);
    kev_value *shared = kev_value_ref(orig); /* as the store would hold it */

    /* Shared values refuse mutation, and still consume the item. */
    ASSERT_EQ_INT(kev_value_dict_set(shared, "X", kev_value_int(1)), KEV_EINVAL);
    ASSERT_FALSE(kev_value_dict_remove(shared, "Active"));

    kev_value *c = kev_value_copy(shared);
    ASSERT_TRUE(c != shared);
    ASSERT_TRUE(kev_value_equal(c, shared));
    /* One level deep: the children are the same objects. */
    ASSERT_TRUE(kev_value_dict_get(c, "Interfaces") == list);
    ASSERT_TRUE(kev_value_dict_get(c, longkey) == kev_value_dict_get(shared, longkey));
    /* ...and now shared, hence immutable: append to a copy instead. */
    ASSERT_EQ_INT(kev_value_array_append(list, kev_value_int(1)), KEV_EINVAL);
    ASSERT_FALSE(kev_value_array_remove_string(list, "en0", 3));

    ASSERT_TRUE(kev_value_dict_remove(c, "Active"));
    set_int(c, "New", 2);
    ASSERT_TRUE(kev_value_dict_remove(c, longkey));
    ASSERT_EQ_STR(render(shared), "{Active = true; Interfaces = [\"en0\"]; "
                                  "Key-longer-than-the-inline-buffer-of-an-entry = 9}");
    ASSERT_EQ_STR(render(c), "{Interfaces = [\"en0\"]; New = 2}");

    kev_value_unref(shared);
    kev_value_unref(orig);
    /* `list` lives on through the copy. */
    ASSERT_EQ_U64(kev_value_count(kev_value_dict_get(c, "Interfaces")), 1);
    check_render(c, "{Interfaces = [\"en0\"]; New = 2}");
}

KEV_TEST(copy_scalars_and_arrays)
{
    kev_value *s = kev_value_string("a\0b", 3);
    kev_value *sc = kev_value_copy(s);
    ASSERT_TRUE(sc != s);
    ASSERT_TRUE(kev_value_equal(s, sc));
    kev_value *dd = kev_value_data("\x01\x02", 2);
    kev_value *ddc = kev_value_copy(dd);
    ASSERT_TRUE(kev_value_equal(dd, ddc));
    kev_value *a = kev_value_array_new();
    ASSERT_EQ_INT(kev_value_array_append(a, kev_value_ref(s)), 0);
    kev_value *ac = kev_value_copy(a);
    ASSERT_TRUE(kev_value_array_at(ac, 0) == s);
    append_str(ac, "more");
    ASSERT_EQ_U64(kev_value_count(a), 1);
    ASSERT_EQ_STR(render(ac), "[\"a\\x00b\", \"more\"]");
    kev_value *ed = kev_value_dict_new(), *ea = kev_value_array_new();
    kev_value *edc = kev_value_copy(ed), *eac = kev_value_copy(ea);
    ASSERT_EQ_STR(render(edc), "{}");
    ASSERT_EQ_STR(render(eac), "[]");
    kev_value *vals[] = {s, sc, dd, ddc, a, ac, ed, ea, edc, eac};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        kev_value_unref(vals[i]);
    ASSERT_NULL(kev_value_copy(NULL));
}

KEV_TEST(refcount_lifetime)
{
    kev_value *s = kev_value_cstring("shared");
    kev_value *a = kev_value_array_new(), *d = kev_value_dict_new();
    ASSERT_EQ_INT(kev_value_array_append(a, kev_value_ref(s)), 0);
    ASSERT_EQ_INT(kev_value_dict_set(d, "k", kev_value_ref(s)), 0);
    kev_value_unref(s); /* the containers keep it alive */
    kev_value_unref(a);
    ASSERT_EQ_STR(render(kev_value_dict_get(d, "k")), "\"shared\"");
    /* Replacing a value with itself keeps it alive. */
    kev_value *same = kev_value_ref((kev_value *)kev_value_dict_get(d, "k"));
    kev_value_unref(d);
    ASSERT_EQ_STR(render(same), "\"shared\"");
    d = kev_value_dict_new();
    ASSERT_EQ_INT(kev_value_dict_set(d, "k", kev_value_ref(same)), 0);
    ASSERT_EQ_INT(kev_value_dict_set(d, "k", kev_value_ref(same)), 0);
    kev_value_unref(same);
    check_render(d, "{k = \"shared\"}");
    kev_value_unref(NULL); /* accepted */
    ASSERT_NULL(kev_value_ref(NULL));
}

KEV_TEST(refuses_cycles_and_nulls)
{
    kev_value *a = kev_value_array_new();
    ASSERT_EQ_INT(kev_value_array_append(a, NULL), KEV_EINVAL);
    ASSERT_EQ_INT(kev_value_dict_set(a, "k", kev_value_int(1)), KEV_EINVAL);
    kev_value *d = kev_value_dict_new();
    ASSERT_EQ_INT(kev_value_dict_set(d, NULL, kev_value_int(1)), KEV_EINVAL);
    ASSERT_EQ_INT(kev_value_array_append(NULL, kev_value_int(1)), KEV_EINVAL);
    /* Appending an array to itself would be a cycle, never freed. The
     * call consumes the reference it was given, so give it an extra one. */
    ASSERT_EQ_INT(kev_value_array_append(a, kev_value_ref(a)), KEV_EINVAL);
    ASSERT_NULL(kev_value_cstring(NULL));
    ASSERT_NULL(kev_value_string(NULL, 1));
    check_render(a, "[]");
    check_render(d, "{}");
}

KEV_TEST(caps_bytes)
{
    char *big = malloc(KEV_VALUE_MAX_BYTES + 2);
    ASSERT_NOT_NULL(big);
    memset(big, 'x', KEV_VALUE_MAX_BYTES + 1);
    big[KEV_VALUE_MAX_BYTES + 1] = '\0';
    kev_value *s = kev_value_string(big, KEV_VALUE_MAX_BYTES);
    size_t len = 0;
    ASSERT_NOT_NULL(s);
    ASSERT_NOT_NULL(kev_value_get_string(s, &len));
    ASSERT_EQ_U64(len, KEV_VALUE_MAX_BYTES);
    kev_value *dt = kev_value_data(big, KEV_VALUE_MAX_BYTES);
    ASSERT_NOT_NULL(dt);
    ASSERT_NULL(kev_value_string(big, KEV_VALUE_MAX_BYTES + 1));
    ASSERT_NULL(kev_value_data(big, KEV_VALUE_MAX_BYTES + 1));
    ASSERT_NULL(kev_value_cstring(big));
    /* A dictionary key is capped like a string. */
    kev_value *d = kev_value_dict_new();
    ASSERT_EQ_INT(kev_value_dict_set(d, big, kev_value_int(1)), KEV_ETOOBIG);
    big[KEV_VALUE_MAX_BYTES] = '\0';
    ASSERT_EQ_INT(kev_value_dict_set(d, big, kev_value_int(1)), 0);
    ASSERT_EQ_U64(strlen(kev_value_dict_key_at(d, 0)), KEV_VALUE_MAX_BYTES);
    free(big);
    kev_value_unref(s);
    kev_value_unref(dt);
    kev_value_unref(d);
}

KEV_TEST(caps_items)
{
    kev_value *item = kev_value_bool(true);
    kev_value *a = kev_value_array_new();
    for (size_t i = 0; i < KEV_VALUE_MAX_ITEMS; i++)
        ASSERT_EQ_INT(kev_value_array_append(a, kev_value_ref(item)), 0);
    ASSERT_EQ_INT(kev_value_array_append(a, kev_value_ref(item)), KEV_ETOOBIG);
    ASSERT_EQ_U64(kev_value_count(a), KEV_VALUE_MAX_ITEMS);

    kev_value *d = kev_value_dict_new();
    char key[16];
    for (size_t i = 0; i < KEV_VALUE_MAX_ITEMS; i++) {
        snprintf(key, sizeof key, "k%06zu", i);
        ASSERT_EQ_INT(kev_value_dict_set(d, key, kev_value_ref(item)), 0);
    }
    ASSERT_EQ_INT(kev_value_dict_set(d, "zzz", kev_value_ref(item)), KEV_ETOOBIG);
    /* Replacing an existing key is not growth. */
    ASSERT_EQ_INT(kev_value_dict_set(d, "k000000", kev_value_int(5)), 0);
    ASSERT_EQ_U64(kev_value_count(d), KEV_VALUE_MAX_ITEMS);
    ASSERT_EQ_INT(kev_value_get_int(kev_value_dict_get(d, "k000000")), 5);
    kev_value_unref(a);
    kev_value_unref(d);
    kev_value_unref(item);
}

KEV_TEST_MAIN(KEV_T(render_scalars), KEV_T(render_strings), KEV_T(render_data),
              KEV_T(render_dates_civil), KEV_T(render_dates_abs), KEV_T(render_containers),
              KEV_T(render_dict_sorted_bytewise), KEV_T(render_dict_quoted_keys),
              KEV_T(dict_set_get_remove), KEV_T(dict_many_keys_stay_sorted),
              KEV_T(array_strings), KEV_T(getters_and_types), KEV_T(equality),
              KEV_T(equality_nested), KEV_T(copy_on_write), KEV_T(copy_scalars_and_arrays),
              KEV_T(refcount_lifetime), KEV_T(refuses_cycles_and_nulls), KEV_T(caps_bytes),
              KEV_T(caps_items))
