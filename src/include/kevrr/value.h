/*
 * kevrr/value.h: property-list values held by the simulated dynamic store.
 *
 * A value is one of the CFPropertyList types configd stores: boolean,
 * integer, string (UTF-8), data, date, array and dictionary. Values are
 * reference counted. A value is mutable only while its creator holds the sole
 * reference; once shared (stored, put in a container, or ref'd), it must be
 * treated as immutable: to change one, take kev_value_copy() and change that
 * (copy-on-write, the way configd takes a CFDictionaryCreateMutableCopy).
 *
 * The two booleans are shared, immortal values: ref and unref leave them
 * alone, and they are never mutable.
 *
 * Dictionaries keep their keys sorted bytewise, so iteration and rendering
 * are canonical. Rendering (kev_value_format) is the canonical text used in
 * reports: the same value always renders to the same bytes.
 */
#ifndef KEVRR_VALUE_H
#define KEVRR_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kevrr/strbuf.h"

/* Caps: a string, data, array or dictionary larger than these is refused
 * with KEV_ETOOBIG (nothing configd writes comes close). */
#define KEV_VALUE_MAX_BYTES ((size_t)1 << 20)
#define KEV_VALUE_MAX_ITEMS ((size_t)1 << 16)

typedef enum kev_vtype {
    KEV_VT_BOOL,
    KEV_VT_INT,
    KEV_VT_STRING,
    KEV_VT_DATA,
    KEV_VT_DATE,
    KEV_VT_ARRAY,
    KEV_VT_DICT
} kev_vtype;

typedef struct kev_value kev_value;

/* Constructors: a new value with one reference, or NULL when out of memory
 * or over a cap. Strings and data are copied. */
kev_value *kev_value_bool(bool b);
kev_value *kev_value_int(int64_t i);
kev_value *kev_value_string(const char *utf8, size_t len);
kev_value *kev_value_cstring(const char *s);
kev_value *kev_value_data(const void *p, size_t n);
/* A CFDate: `abs_time` is CFAbsoluteTime, seconds since 2001-01-01 00:00 UTC. */
kev_value *kev_value_date(double abs_time);
kev_value *kev_value_array_new(void);
kev_value *kev_value_dict_new(void);

/* Adds a reference and returns `v` (NULL stays NULL). */
kev_value *kev_value_ref(kev_value *v);
/* Drops a reference; frees the value (and drops its children) at zero.
 * Accepts NULL. */
void kev_value_unref(kev_value *v);

kev_vtype kev_value_type(const kev_value *v);
const char *kev_vtype_name(kev_vtype t); /* "bool", "int", ... */

/* Scalar getters. Each returns the zero value when `v` is not of its type. */
bool kev_value_get_bool(const kev_value *v);
int64_t kev_value_get_int(const kev_value *v);
double kev_value_get_date(const kev_value *v);
/* String bytes (NUL-terminated) and data bytes; `*len` gets the length. */
const char *kev_value_get_string(const kev_value *v, size_t *len);
const uint8_t *kev_value_get_data(const kev_value *v, size_t *len);

/* Number of items of an array or dictionary; 0 for scalars. */
size_t kev_value_count(const kev_value *v);

/* Arrays. kev_value_array_at returns a borrowed pointer or NULL when out of
 * range. append consumes one reference to `item` (also on failure, when it
 * unrefs it) and returns 0 or a KEV_E* code. */
const kev_value *kev_value_array_at(const kev_value *a, size_t i);
int kev_value_array_append(kev_value *a, kev_value *item);
/* True when the array holds a string equal to `s` (bytewise). */
bool kev_value_array_has_string(const kev_value *a, const char *s, size_t len);
/* Removes the first string equal to `s`; returns true when one was removed. */
bool kev_value_array_remove_string(kev_value *a, const char *s, size_t len);

/* Drops the items past the first `n` (an unshared array only). */
void kev_value_array_truncate(kev_value *a, size_t n);

/* Dictionaries, keys are NUL-terminated byte strings kept sorted bytewise.
 * get returns a borrowed pointer or NULL. set consumes one reference to
 * `item` (also on failure) and replaces any existing value. remove returns
 * true when the key was present. key_at/value_at index the sorted order. */
const kev_value *kev_value_dict_get(const kev_value *d, const char *key);
int kev_value_dict_set(kev_value *d, const char *key, kev_value *item);
bool kev_value_dict_remove(kev_value *d, const char *key);
const char *kev_value_dict_key_at(const kev_value *d, size_t i);
const kev_value *kev_value_dict_value_at(const kev_value *d, size_t i);

/* A new, unshared copy of `v` with one reference. Containers are copied one
 * level deep (children are shared by reference), which is what
 * copy-on-write needs. NULL when out of memory. */
kev_value *kev_value_copy(const kev_value *v);

/* A new, unshared copy of dictionary `d` without the entries whose keys are
 * in `keys[0..nkeys)` (what copy then remove would give, without touching
 * the removed values). NULL when `d` is not a dictionary or out of memory. */
kev_value *kev_value_dict_copy_without(const kev_value *d, const char *const *keys,
                                       size_t nkeys);

/* Deep structural equality (CFEqual). Two NULLs are equal. */
bool kev_value_equal(const kev_value *a, const kev_value *b);

/* Appends the canonical rendering of `v` to `out`:
 *   bool    true | false
 *   int     decimal, e.g. -1
 *   string  "..." with \" \\ \n \t \r and \xNN for other bytes < 0x20 and
 *           0x7f; bytes >= 0x80 are copied as they are (valid UTF-8)
 *   data    <0a0b0c> (lowercase hex, <> when empty)
 *   date    date(2033-11-23T17:43:37Z) when the time is integral and the
 *           year is 1..9999, else date(abs=%.6f)
 *   array   [item, item]
 *   dict    {Key = value; Key2 = value}  (sorted keys; a key that is not
 *           made of [A-Za-z0-9_.-] only is rendered as a quoted string)
 * NULL renders as (null). */
void kev_value_format(const kev_value *v, kev_strbuf *out);

#endif
