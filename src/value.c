/*
 * value.c: the reference-counted property-list values of kevrr/value.h.
 *
 * Every value is one `struct kev_value`. Strings and data live in the same
 * allocation, right after the struct, NUL-terminated, with their length, so
 * a scalar costs one malloc. Arrays are a growable vector of child pointers.
 * Dictionaries are a vector of (key, value) entries kept sorted bytewise and
 * searched by binary search: configd's dictionaries hold 1 to 4 entries, for
 * which a sorted array beats any hash. Keys are copied into the entry itself
 * when short (every key configd writes is), else into their own allocation.
 *
 * Mutators refuse a value that is shared (more than one reference):
 * append and set return KEV_EINVAL, the removers return false. Mutating a
 * value the store or a container also holds would change it behind their
 * back, which is the bug copy-on-write exists to prevent.
 */
#include "kevrr/value.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kevrr/error.h"
#include "kev_sb.h"

/* Keys shorter than this are stored inside their dictionary entry. */
#define DICT_KEY_INLINE 24
/* Containers are allocated with room for this many items right after the
 * struct, in the same allocation: configd's arrays and dictionaries hold one
 * to four, so most containers cost one malloc. */
#define INLINE_ITEMS 4
/* The reference count of the two static booleans, which are never freed. */
#define IMMORTAL UINT32_MAX

typedef struct dict_ent {
    kev_value *val;
    char *heap;                /* the key when it does not fit in `inl` */
    char inl[DICT_KEY_INLINE]; /* the key (NUL-terminated) otherwise */
} dict_ent;

struct kev_value {
    uint32_t refs;
    kev_vtype type;
    union {
        bool b;
        int64_t i;
        double date;
        size_t len; /* string, data: the bytes follow the struct */
        struct {
            kev_value **items;
            uint32_t n, cap;
        } arr;
        struct {
            dict_ent *ents;
            uint32_t n, cap;
        } dict;
    } u;
};

/* ---- allocation ------------------------------------------------------- */

/* A new value of type `t` with one reference and `extra` bytes after it. */
static kev_value *value_alloc(kev_vtype t, size_t extra)
{
    kev_value *v = malloc(sizeof *v + extra);
    if (v == NULL)
        return NULL;
    v->refs = 1;
    v->type = t;
    return v;
}

/* The bytes of a string or data value (they follow the struct). */
static char *bytes_of(kev_value *v)
{
    return (char *)(v + 1);
}

static const char *cbytes_of(const kev_value *v)
{
    return (const char *)(v + 1);
}

static const char *ent_key(const dict_ent *e)
{
    return e->heap ? e->heap : e->inl;
}

/* Copies `klen` bytes of `key` into `e` (inline or on the heap). Returns 0
 * or KEV_ENOMEM. */
static int ent_set_key(dict_ent *e, const char *key, size_t klen)
{
    char *dst = e->inl;
    e->heap = NULL;
    if (klen >= DICT_KEY_INLINE) {
        dst = malloc(klen + 1);
        if (dst == NULL)
            return KEV_ENOMEM;
        e->heap = dst;
    }
    memcpy(dst, key, klen);
    dst[klen] = '\0';
    return 0;
}

/* The inline item storage that follows a container's struct. */
static void *inline_items(kev_value *v)
{
    return v + 1;
}

/* Drops what a container owns (children, keys, vectors), not `v` itself. */
static void value_free_children(kev_value *v)
{
    if (v->type == KEV_VT_ARRAY) {
        for (uint32_t i = 0; i < v->u.arr.n; i++)
            kev_value_unref(v->u.arr.items[i]);
        if ((void *)v->u.arr.items != inline_items(v))
            free(v->u.arr.items);
    } else if (v->type == KEV_VT_DICT) {
        for (uint32_t i = 0; i < v->u.dict.n; i++) {
            kev_value_unref(v->u.dict.ents[i].val);
            free(v->u.dict.ents[i].heap);
        }
        if ((void *)v->u.dict.ents != inline_items(v))
            free(v->u.dict.ents);
    }
}

/* ---- constructors ----------------------------------------------------- */

/* The two booleans are static and immortal: configd writes true and false
 * into every Link dictionary, and sharing them saves a malloc each time.
 * Their count is never changed, so sharing them across threads is safe. */
static kev_value bool_values[2] = {
    {IMMORTAL, KEV_VT_BOOL, {.b = false}},
    {IMMORTAL, KEV_VT_BOOL, {.b = true}},
};

kev_value *kev_value_bool(bool b)
{
    return &bool_values[b ? 1 : 0];
}

kev_value *kev_value_int(int64_t i)
{
    kev_value *v = value_alloc(KEV_VT_INT, 0);
    if (v)
        v->u.i = i;
    return v;
}

/* A string or data value holding a copy of `p[0..n)`, NUL-terminated. */
static kev_value *bytes_new(kev_vtype t, const void *p, size_t n)
{
    /* The cap also keeps `n + 1` below from overflowing. */
    if (n > KEV_VALUE_MAX_BYTES || (p == NULL && n != 0))
        return NULL;
    kev_value *v = value_alloc(t, n + 1);
    if (v == NULL)
        return NULL;
    v->u.len = n;
    if (n)
        memcpy(bytes_of(v), p, n);
    bytes_of(v)[n] = '\0';
    return v;
}

kev_value *kev_value_string(const char *utf8, size_t len)
{
    return bytes_new(KEV_VT_STRING, utf8, len);
}

kev_value *kev_value_cstring(const char *s)
{
    return s ? bytes_new(KEV_VT_STRING, s, strlen(s)) : NULL;
}

kev_value *kev_value_data(const void *p, size_t n)
{
    return bytes_new(KEV_VT_DATA, p, n);
}

kev_value *kev_value_date(double abs_time)
{
    kev_value *v = value_alloc(KEV_VT_DATE, 0);
    if (v)
        v->u.date = abs_time;
    return v;
}

/* An empty container with inline room for `cap` items (at least
 * INLINE_ITEMS; `cap` is at most KEV_VALUE_MAX_ITEMS). */
static kev_value *array_with_room(uint32_t cap)
{
    cap = cap < INLINE_ITEMS ? INLINE_ITEMS : cap;
    kev_value *v = value_alloc(KEV_VT_ARRAY, cap * sizeof(kev_value *));
    if (v) {
        v->u.arr.items = inline_items(v);
        v->u.arr.n = 0;
        v->u.arr.cap = cap;
    }
    return v;
}

static kev_value *dict_with_room(uint32_t cap)
{
    cap = cap < INLINE_ITEMS ? INLINE_ITEMS : cap;
    kev_value *v = value_alloc(KEV_VT_DICT, cap * sizeof(dict_ent));
    if (v) {
        v->u.dict.ents = inline_items(v);
        v->u.dict.n = 0;
        v->u.dict.cap = cap;
    }
    return v;
}

kev_value *kev_value_array_new(void)
{
    return array_with_room(0);
}

kev_value *kev_value_dict_new(void)
{
    return dict_with_room(0);
}

/* ---- references ------------------------------------------------------- */

kev_value *kev_value_ref(kev_value *v)
{
    if (v && v->refs != IMMORTAL)
        v->refs++;
    return v;
}

void kev_value_unref(kev_value *v)
{
    if (v == NULL || v->refs == IMMORTAL || --v->refs > 0)
        return;
    value_free_children(v);
    free(v);
}

/* ---- getters ---------------------------------------------------------- */

kev_vtype kev_value_type(const kev_value *v)
{
    return v->type;
}

const char *kev_vtype_name(kev_vtype t)
{
    switch (t) {
    case KEV_VT_BOOL:
        return "bool";
    case KEV_VT_INT:
        return "int";
    case KEV_VT_STRING:
        return "string";
    case KEV_VT_DATA:
        return "data";
    case KEV_VT_DATE:
        return "date";
    case KEV_VT_ARRAY:
        return "array";
    case KEV_VT_DICT:
        return "dict";
    }
    return "?";
}

static bool is_type(const kev_value *v, kev_vtype t)
{
    return v != NULL && v->type == t;
}

bool kev_value_get_bool(const kev_value *v)
{
    return is_type(v, KEV_VT_BOOL) ? v->u.b : false;
}

int64_t kev_value_get_int(const kev_value *v)
{
    return is_type(v, KEV_VT_INT) ? v->u.i : 0;
}

double kev_value_get_date(const kev_value *v)
{
    return is_type(v, KEV_VT_DATE) ? v->u.date : 0.0;
}

const char *kev_value_get_string(const kev_value *v, size_t *len)
{
    bool ok = is_type(v, KEV_VT_STRING);
    if (len)
        *len = ok ? v->u.len : 0;
    return ok ? cbytes_of(v) : NULL;
}

const uint8_t *kev_value_get_data(const kev_value *v, size_t *len)
{
    bool ok = is_type(v, KEV_VT_DATA);
    if (len)
        *len = ok ? v->u.len : 0;
    return ok ? (const uint8_t *)cbytes_of(v) : NULL;
}

size_t kev_value_count(const kev_value *v)
{
    if (is_type(v, KEV_VT_ARRAY))
        return v->u.arr.n;
    if (is_type(v, KEV_VT_DICT))
        return v->u.dict.n;
    return 0;
}

/* ---- mutation guards -------------------------------------------------- */

/* 0 when `c` is an unshared container of type `t` that may take `item`,
 * else KEV_EINVAL. Shared values are immutable (see the file comment); an
 * item equal to its container would be a reference cycle, never freed. */
static int check_mutable(const kev_value *c, kev_vtype t, const kev_value *item)
{
    if (!is_type(c, t) || c->refs != 1 || item == NULL || item == c)
        return KEV_EINVAL;
    return 0;
}

/* The capacity after `cap`, for a vector capped at KEV_VALUE_MAX_ITEMS. */
static uint32_t next_cap(uint32_t cap)
{
    uint32_t next = cap ? cap * 2 : INLINE_ITEMS;
    return next > KEV_VALUE_MAX_ITEMS ? (uint32_t)KEV_VALUE_MAX_ITEMS : next;
}

/* ---- arrays ----------------------------------------------------------- */

const kev_value *kev_value_array_at(const kev_value *a, size_t i)
{
    if (!is_type(a, KEV_VT_ARRAY) || i >= a->u.arr.n)
        return NULL;
    return a->u.arr.items[i];
}

/* Makes room for one more item. Returns 0, KEV_ETOOBIG or KEV_ENOMEM. */
static int array_reserve(kev_value *a)
{
    if (a->u.arr.n < a->u.arr.cap)
        return 0;
    if (a->u.arr.n >= KEV_VALUE_MAX_ITEMS)
        return KEV_ETOOBIG;
    uint32_t cap = next_cap(a->u.arr.cap);
    bool was_inline = (void *)a->u.arr.items == inline_items(a);
    kev_value **items = realloc(was_inline ? NULL : a->u.arr.items, cap * sizeof *items);
    if (items == NULL)
        return KEV_ENOMEM;
    if (was_inline)
        memcpy(items, a->u.arr.items, a->u.arr.n * sizeof *items);
    a->u.arr.items = items;
    a->u.arr.cap = cap;
    return 0;
}

int kev_value_array_append(kev_value *a, kev_value *item)
{
    int err = check_mutable(a, KEV_VT_ARRAY, item);
    if (err == 0)
        err = array_reserve(a);
    if (err) {
        kev_value_unref(item);
        return err;
    }
    a->u.arr.items[a->u.arr.n++] = item;
    return 0;
}

/* Index of the first string item equal to `s[0..len)`, or -1. */
static long array_find_string(const kev_value *a, const char *s, size_t len)
{
    if (!is_type(a, KEV_VT_ARRAY) || (s == NULL && len != 0))
        return -1;
    for (uint32_t i = 0; i < a->u.arr.n; i++) {
        const kev_value *it = a->u.arr.items[i];
        if (it->type == KEV_VT_STRING && it->u.len == len &&
            (len == 0 || memcmp(cbytes_of(it), s, len) == 0))
            return (long)i;
    }
    return -1;
}

bool kev_value_array_has_string(const kev_value *a, const char *s, size_t len)
{
    return array_find_string(a, s, len) >= 0;
}

bool kev_value_array_remove_string(kev_value *a, const char *s, size_t len)
{
    long at = array_find_string(a, s, len);
    if (at < 0 || a->refs != 1)
        return false;
    size_t i = (size_t)at;
    kev_value_unref(a->u.arr.items[i]);
    memmove(&a->u.arr.items[i], &a->u.arr.items[i + 1],
            (a->u.arr.n - i - 1) * sizeof a->u.arr.items[0]);
    a->u.arr.n--;
    return true;
}

void kev_value_array_truncate(kev_value *a, size_t n)
{
    if (!is_type(a, KEV_VT_ARRAY) || a->refs != 1)
        return;
    while (a->u.arr.n > n)
        kev_value_unref(a->u.arr.items[--a->u.arr.n]);
}

/* ---- dictionaries ----------------------------------------------------- */

/* Binary search: true when `key` is present, with `*pos` its index; else
 * false, with `*pos` where it would be inserted. strcmp compares as
 * unsigned char, which is the bytewise order the header promises. */
static bool dict_find(const kev_value *d, const char *key, uint32_t *pos)
{
    uint32_t lo = 0, hi = d->u.dict.n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ent_key(&d->u.dict.ents[mid]), key);
        if (c == 0) {
            *pos = mid;
            return true;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pos = lo;
    return false;
}

const kev_value *kev_value_dict_get(const kev_value *d, const char *key)
{
    uint32_t pos;
    if (!is_type(d, KEV_VT_DICT) || key == NULL || !dict_find(d, key, &pos))
        return NULL;
    return d->u.dict.ents[pos].val;
}

/* Makes room for one more entry. Returns 0, KEV_ETOOBIG or KEV_ENOMEM. */
static int dict_reserve(kev_value *d)
{
    if (d->u.dict.n < d->u.dict.cap)
        return 0;
    if (d->u.dict.n >= KEV_VALUE_MAX_ITEMS)
        return KEV_ETOOBIG;
    uint32_t cap = next_cap(d->u.dict.cap);
    bool was_inline = (void *)d->u.dict.ents == inline_items(d);
    dict_ent *ents = realloc(was_inline ? NULL : d->u.dict.ents, cap * sizeof *ents);
    if (ents == NULL)
        return KEV_ENOMEM;
    if (was_inline)
        memcpy(ents, d->u.dict.ents, d->u.dict.n * sizeof *ents);
    d->u.dict.ents = ents;
    d->u.dict.cap = cap;
    return 0;
}

/* Inserts a new entry (key, item) at `pos`. Returns 0 or a KEV_E* code;
 * on failure nothing changed and `item` is still the caller's. */
static int dict_insert(kev_value *d, uint32_t pos, const char *key, size_t klen,
                       kev_value *item)
{
    dict_ent e;
    int err = dict_reserve(d);
    if (err == 0)
        err = ent_set_key(&e, key, klen);
    if (err)
        return err;
    e.val = item;
    dict_ent *ents = d->u.dict.ents;
    memmove(&ents[pos + 1], &ents[pos], (d->u.dict.n - pos) * sizeof *ents);
    ents[pos] = e;
    d->u.dict.n++;
    return 0;
}

int kev_value_dict_set(kev_value *d, const char *key, kev_value *item)
{
    int err = check_mutable(d, KEV_VT_DICT, item);
    if (err == 0 && key == NULL)
        err = KEV_EINVAL;
    size_t klen = err ? 0 : strlen(key);
    if (err == 0 && klen > KEV_VALUE_MAX_BYTES)
        err = KEV_ETOOBIG;
    uint32_t pos = 0;
    if (err == 0 && dict_find(d, key, &pos)) {
        kev_value_unref(d->u.dict.ents[pos].val);
        d->u.dict.ents[pos].val = item;
        return 0;
    }
    if (err == 0)
        err = dict_insert(d, pos, key, klen, item);
    if (err)
        kev_value_unref(item);
    return err;
}

bool kev_value_dict_remove(kev_value *d, const char *key)
{
    uint32_t pos;
    if (!is_type(d, KEV_VT_DICT) || d->refs != 1 || key == NULL || !dict_find(d, key, &pos))
        return false;
    dict_ent *ents = d->u.dict.ents;
    kev_value_unref(ents[pos].val);
    free(ents[pos].heap);
    memmove(&ents[pos], &ents[pos + 1], (d->u.dict.n - pos - 1) * sizeof *ents);
    d->u.dict.n--;
    return true;
}

const char *kev_value_dict_key_at(const kev_value *d, size_t i)
{
    if (!is_type(d, KEV_VT_DICT) || i >= d->u.dict.n)
        return NULL;
    return ent_key(&d->u.dict.ents[i]);
}

const kev_value *kev_value_dict_value_at(const kev_value *d, size_t i)
{
    if (!is_type(d, KEV_VT_DICT) || i >= d->u.dict.n)
        return NULL;
    return d->u.dict.ents[i].val;
}

/* ---- copy ------------------------------------------------------------- */

/* A new array sharing the items of `a`. */
static kev_value *array_copy(const kev_value *a)
{
    uint32_t n = a->u.arr.n;
    kev_value *c = array_with_room(n);
    if (c == NULL)
        return NULL;
    for (uint32_t i = 0; i < n; i++)
        c->u.arr.items[i] = kev_value_ref(a->u.arr.items[i]);
    c->u.arr.n = n;
    return c;
}

/* A new dictionary sharing the values of `d`, with its own key copies. */
static kev_value *dict_copy(const kev_value *d)
{
    uint32_t n = d->u.dict.n;
    kev_value *c = dict_with_room(n);
    if (c == NULL)
        return NULL;
    for (uint32_t i = 0; i < n; i++) {
        const dict_ent *src = &d->u.dict.ents[i];
        dict_ent *dst = &c->u.dict.ents[i];
        const char *key = ent_key(src);
        if (ent_set_key(dst, key, strlen(key)) != 0) {
            kev_value_unref(c); /* frees the i entries copied so far */
            return NULL;
        }
        dst->val = kev_value_ref(src->val);
        c->u.dict.n = i + 1;
    }
    return c;
}

/* True when `key` is one of `keys[0..n)`. */
static bool key_listed(const char *key, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(key, keys[i]) == 0)
            return true;
    return false;
}

kev_value *kev_value_dict_copy_without(const kev_value *d, const char *const *keys,
                                       size_t nkeys)
{
    if (!is_type(d, KEV_VT_DICT))
        return NULL;
    kev_value *c = dict_with_room(d->u.dict.n);
    if (c == NULL)
        return NULL;
    for (uint32_t i = 0; i < d->u.dict.n; i++) {
        const dict_ent *src = &d->u.dict.ents[i];
        const char *key = ent_key(src);
        if (key_listed(key, keys, nkeys))
            continue;
        dict_ent *dst = &c->u.dict.ents[c->u.dict.n];
        if (ent_set_key(dst, key, strlen(key)) != 0) {
            kev_value_unref(c);
            return NULL;
        }
        dst->val = kev_value_ref(src->val);
        c->u.dict.n++;
    }
    return c;
}

kev_value *kev_value_copy(const kev_value *v)
{
    if (v == NULL)
        return NULL;
    switch (v->type) {
    case KEV_VT_BOOL:
        return kev_value_bool(v->u.b);
    case KEV_VT_INT:
        return kev_value_int(v->u.i);
    case KEV_VT_DATE:
        return kev_value_date(v->u.date);
    case KEV_VT_STRING:
    case KEV_VT_DATA:
        return bytes_new(v->type, cbytes_of(v), v->u.len);
    case KEV_VT_ARRAY:
        return array_copy(v);
    case KEV_VT_DICT:
        return dict_copy(v);
    }
    return NULL;
}

/* ---- equality --------------------------------------------------------- */

static bool array_equal(const kev_value *a, const kev_value *b)
{
    if (a->u.arr.n != b->u.arr.n)
        return false;
    for (uint32_t i = 0; i < a->u.arr.n; i++)
        if (!kev_value_equal(a->u.arr.items[i], b->u.arr.items[i]))
            return false;
    return true;
}

static bool dict_equal(const kev_value *a, const kev_value *b)
{
    if (a->u.dict.n != b->u.dict.n)
        return false;
    /* Both are sorted by key, so equal dictionaries match entry by entry. */
    for (uint32_t i = 0; i < a->u.dict.n; i++) {
        const dict_ent *x = &a->u.dict.ents[i], *y = &b->u.dict.ents[i];
        if (strcmp(ent_key(x), ent_key(y)) != 0 || !kev_value_equal(x->val, y->val))
            return false;
    }
    return true;
}

bool kev_value_equal(const kev_value *a, const kev_value *b)
{
    if (a == b)
        return true;
    if (a == NULL || b == NULL || a->type != b->type)
        return false;
    switch (a->type) {
    case KEV_VT_BOOL:
        return a->u.b == b->u.b;
    case KEV_VT_INT:
        return a->u.i == b->u.i;
    case KEV_VT_DATE:
        return a->u.date == b->u.date;
    case KEV_VT_STRING:
    case KEV_VT_DATA:
        return a->u.len == b->u.len && memcmp(cbytes_of(a), cbytes_of(b), a->u.len) == 0;
    case KEV_VT_ARRAY:
        return array_equal(a, b);
    case KEV_VT_DICT:
        return dict_equal(a, b);
    }
    return false;
}

/* ---- rendering -------------------------------------------------------- */

static const char hexdig[] = "0123456789abcdef";

/* The escape for byte `c` inside a quoted string, or NULL when the byte is
 * copied as it is. `buf` receives \xNN escapes. */
static const char *escape_of(unsigned char c, char buf[5])
{
    switch (c) {
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\n':
        return "\\n";
    case '\t':
        return "\\t";
    case '\r':
        return "\\r";
    }
    if (c >= 0x20 && c != 0x7f)
        return NULL;
    buf[0] = '\\';
    buf[1] = 'x';
    buf[2] = hexdig[c >> 4];
    buf[3] = hexdig[c & 0xf];
    buf[4] = '\0';
    return buf;
}

/* Appends `s[0..len)` as a quoted, escaped string. Runs of plain bytes are
 * appended in one call. */
static void format_quoted(const char *s, size_t len, kev_strbuf *out)
{
    size_t run = 0;
    kev__sb_addc(out, '"');
    for (size_t i = 0; i < len; i++) {
        char buf[5];
        const char *esc = escape_of((unsigned char)s[i], buf);
        if (esc == NULL)
            continue;
        kev__sb_add(out, s + run, i - run);
        kev__sb_adds(out, esc);
        run = i + 1;
    }
    kev__sb_add(out, s + run, len - run);
    kev__sb_addc(out, '"');
}

static void format_data(const uint8_t *p, size_t n, kev_strbuf *out)
{
    kev__sb_addc(out, '<');
    for (size_t i = 0; i < n; i++) {
        char hex[2] = {hexdig[p[i] >> 4], hexdig[p[i] & 0xf]};
        kev__sb_add(out, hex, 2);
    }
    kev__sb_addc(out, '>');
}

/* Floor division and modulo for a possibly negative `a`, b > 0. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b < 0) ? q - 1 : q;
}

/* The proleptic Gregorian date of `days` since 1970-01-01, by H. Hinnant's
 * public-domain civil_from_days: count 400-year eras from 0000-03-01, so
 * that leap days fall at the end of each year. No libc time functions:
 * they depend on the locale, the time zone and the range of time_t. */
static void civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
    int64_t z = days + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;                                      /* 0..146096 */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* 0..399 */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* 0..365 */
    int64_t mp = (5 * doy + 2) / 153;                                    /* 0..11 */
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* Seconds from the Unix epoch to CFAbsoluteTime 0 (2001-01-01 UTC). */
#define CF_EPOCH_UNIX 978307200

/* Renders `abs` as date(YYYY-MM-DDTHH:MM:SSZ) when it is a whole number of
 * seconds in years 1..9999; returns false (nothing appended) otherwise. */
static bool format_date_civil(double abs, kev_strbuf *out)
{
    /* Years 1..9999 lie within +-3e11 s; the bound also keeps the
     * conversion below defined (and rejects NaN and infinities). */
    if (!(abs >= -1e12 && abs <= 1e12))
        return false;
    int64_t t = (int64_t)abs;
    if ((double)t != abs)
        return false;
    t += CF_EPOCH_UNIX;
    int64_t days = floor_div(t, 86400), secs = t - days * 86400;
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 1 || y > 9999)
        return false;
    kev_strbuf_addf(out, "date(%04d-%02d-%02dT%02d:%02d:%02dZ)", (int)y, m, d,
                    (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
    return true;
}

static void format_date(double abs, kev_strbuf *out)
{
    if (!format_date_civil(abs, out))
        kev_strbuf_addf(out, "date(abs=%.6f)", abs);
}

/* True when `key` renders bare: non-empty and made of [A-Za-z0-9_.-] only.
 * An empty key is quoted (""), else it would render as nothing. */
static bool key_is_bare(const char *key)
{
    if (*key == '\0')
        return false;
    for (const char *p = key; *p; p++) {
        char c = *p;
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                  (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

static void format_array(const kev_value *a, kev_strbuf *out)
{
    kev__sb_addc(out, '[');
    for (uint32_t i = 0; i < a->u.arr.n; i++) {
        if (i)
            kev__sb_add(out, ", ", 2);
        kev_value_format(a->u.arr.items[i], out);
    }
    kev__sb_addc(out, ']');
}

static void format_dict(const kev_value *d, kev_strbuf *out)
{
    kev__sb_addc(out, '{');
    for (uint32_t i = 0; i < d->u.dict.n; i++) {
        const char *key = ent_key(&d->u.dict.ents[i]);
        if (i)
            kev__sb_add(out, "; ", 2);
        if (key_is_bare(key))
            kev__sb_adds(out, key);
        else
            format_quoted(key, strlen(key), out);
        kev__sb_add(out, " = ", 3);
        kev_value_format(d->u.dict.ents[i].val, out);
    }
    kev__sb_addc(out, '}');
}

void kev_value_format(const kev_value *v, kev_strbuf *out)
{
    if (v == NULL) {
        kev__sb_adds(out, "(null)");
        return;
    }
    switch (v->type) {
    case KEV_VT_BOOL:
        kev__sb_adds(out, v->u.b ? "true" : "false");
        break;
    case KEV_VT_INT: {
        /* Decimal by hand: printf dominated rendering a report. */
        char tmp[21], *q = tmp + sizeof tmp;
        /* The magnitude without wrapping (INT64_MIN's is 2^63). */
        uint64_t m = v->u.i < 0 ? ~(uint64_t)v->u.i + 1u : (uint64_t)v->u.i;
        do {
            *--q = (char)('0' + m % 10);
            m /= 10;
        } while (m);
        if (v->u.i < 0)
            *--q = '-';
        kev__sb_add(out, q, (size_t)(tmp + sizeof tmp - q));
        break;
    }
    case KEV_VT_STRING:
        format_quoted(cbytes_of(v), v->u.len, out);
        break;
    case KEV_VT_DATA:
        format_data((const uint8_t *)cbytes_of(v), v->u.len, out);
        break;
    case KEV_VT_DATE:
        format_date(v->u.date, out);
        break;
    case KEV_VT_ARRAY:
        format_array(v, out);
        break;
    case KEV_VT_DICT:
        format_dict(v, out);
        break;
    }
}
