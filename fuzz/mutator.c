/*
 * fuzz/mutator.c: the structure-aware mutator (mutator.h): parse the input
 * into entries and records, apply one to four structured mutations drawn
 * from a table, write the input back; or, a quarter of the time (and for
 * opaque inputs always), plain byte mutation.
 *
 * The input is parsed into owned copies (an entry: a batch or a failed
 * recv(); a batch: its pieces, each a record or the opaque tail), so every
 * mutation is a small edit of a list and re-encoding is the only place
 * where sizes are computed. What no longer fits in `max` is dropped from
 * the end, so the result always fits.
 */
#include "mutator.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kevrr/events.h"
#include "kevrr/fuzzin.h"
#include "kevrr/wire.h"

/* Entries one input is read into (the multi-batch form's own cap). */
#define MUT_MAX_ENTRIES KEV_FUZZIN_MAX_ITEMS
/* Structured mutations applied in one call: 1..MUT_MAX_STACK. */
#define MUT_MAX_STACK 4u
/* Out of 16 calls, how many use plain byte mutation instead. */
#define MUT_BYTES_SHARE 4u
/* Out of 16 size changes, how many break total_size on purpose. */
#define MUT_BREAK_SHARE 2u

typedef struct mut_piece {
    uint8_t *p;
    size_t n;
} mut_piece;

typedef struct mut_entry {
    bool error;
    int err;
    mut_piece *pc;
    size_t npc, cap;
} mut_entry;

typedef struct mut_input {
    mut_entry *e;
    size_t n, cap;
    size_t records; /* pieces held, against KEV_MUT_MAX_RECORDS */
    uint64_t rng;
    bool oom;
} mut_input;

/* ------------------------------------------------------------- helpers */

static uint64_t rnd(mut_input *in)
{
    uint64_t z = (in->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A uniform value in [0, n) (0 when n is 0). */
static size_t below(mut_input *in, size_t n)
{
    return n ? (size_t)(rnd(in) % n) : 0;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

int kev_mut_form_parse(const char *s, kev_mut_form *out)
{
    static const struct {
        const char *name;
        kev_mut_form form;
    } forms[] = {{"single", KEV_MUT_SINGLE},
                 {"multi", KEV_MUT_MULTI},
                 {"bytes", KEV_MUT_BYTES},
                 {"trace", KEV_MUT_BYTES}};
    for (size_t i = 0; s != NULL && i < sizeof forms / sizeof forms[0]; i++)
        if (strcmp(s, forms[i].name) == 0) {
            *out = forms[i].form;
            return 0;
        }
    return -1;
}

/* ------------------------------------------------------ building lists */

static mut_entry *entry_add(mut_input *in, size_t at)
{
    if (in->n >= MUT_MAX_ENTRIES)
        return NULL;
    if (in->n == in->cap) {
        size_t ncap = in->cap ? in->cap * 2 : 8;
        mut_entry *p = realloc(in->e, ncap * sizeof *p);
        if (p == NULL) {
            in->oom = true;
            return NULL;
        }
        in->e = p;
        in->cap = ncap;
    }
    memmove(&in->e[at + 1], &in->e[at], (in->n - at) * sizeof *in->e);
    in->n++;
    memset(&in->e[at], 0, sizeof in->e[at]);
    return &in->e[at];
}

/* Inserts a copy of p[0..n) as piece `at` of `e`; false when full. */
static bool piece_add(mut_input *in, mut_entry *e, size_t at, const uint8_t *p, size_t n)
{
    if (in->records >= KEV_MUT_MAX_RECORDS)
        return false;
    if (e->npc == e->cap) {
        size_t ncap = e->cap ? e->cap * 2 : 4;
        mut_piece *q = realloc(e->pc, ncap * sizeof *q);
        if (q == NULL) {
            in->oom = true;
            return false;
        }
        e->pc = q;
        e->cap = ncap;
    }
    uint8_t *copy = malloc(n ? n : 1);
    if (copy == NULL) {
        in->oom = true;
        return false;
    }
    if (n)
        memcpy(copy, p, n);
    memmove(&e->pc[at + 1], &e->pc[at], (e->npc - at) * sizeof *e->pc);
    e->pc[at].p = copy;
    e->pc[at].n = n;
    e->npc++;
    in->records++;
    return true;
}

static void piece_del(mut_input *in, mut_entry *e, size_t at)
{
    free(e->pc[at].p);
    memmove(&e->pc[at], &e->pc[at + 1], (e->npc - at - 1) * sizeof *e->pc);
    e->npc--;
    in->records--;
}

static void entry_free(mut_input *in, mut_entry *e)
{
    while (e->npc)
        piece_del(in, e, e->npc - 1);
    free(e->pc);
}

static void entry_del(mut_input *in, size_t at)
{
    entry_free(in, &in->e[at]);
    memmove(&in->e[at], &in->e[at + 1], (in->n - at - 1) * sizeof *in->e);
    in->n--;
}

static void input_free(mut_input *in)
{
    while (in->n)
        entry_del(in, in->n - 1);
    free(in->e);
}

/* Splits a batch into pieces with the lenient framing: whole records, then
 * whatever is left as one tail. */
static void batch_parse(mut_input *in, mut_entry *e, const uint8_t *p, size_t n)
{
    size_t pos = 0;
    while (pos < n) {
        size_t len = n - pos;
        if (len >= KEV_MSG_HEADER_SIZE) {
            uint32_t ts = rd32(p + pos);
            if (ts >= KEV_MSG_HEADER_SIZE && ts <= len)
                len = ts;
        }
        if (!piece_add(in, e, e->npc, p + pos, len))
            return;
        pos += len;
    }
}

static void input_parse(mut_input *in, kev_mut_form form, const uint8_t *p, size_t n)
{
    if (form == KEV_MUT_SINGLE) {
        mut_entry *e = entry_add(in, 0);
        if (e != NULL)
            batch_parse(in, e, p, n);
        return;
    }
    kev_fuzzin_dec d;
    kev_fuzzin_item it;
    kev_fuzzin_dec_init(&d, p, n);
    while (kev_fuzzin_next(&d, &it) == 1) {
        mut_entry *e = entry_add(in, in->n);
        if (e == NULL)
            return;
        e->error = it.kind == KEV_FUZZIN_ERROR;
        e->err = it.err;
        if (!e->error)
            batch_parse(in, e, it.data, it.len);
    }
}

static size_t batch_len(const mut_entry *e)
{
    size_t n = 0;
    for (size_t i = 0; i < e->npc; i++)
        n += e->pc[i].n;
    return n;
}

/* Writes the input into out[0..max): the entries that fit, in order. */
static size_t input_write(const mut_input *in, kev_mut_form form, uint8_t *out, size_t max)
{
    size_t len = 0;
    if (form == KEV_MUT_SINGLE) {
        for (size_t i = 0; in->n > 0 && i < in->e[0].npc; i++) {
            const mut_piece *pc = &in->e[0].pc[i];
            if (len + pc->n > max || len + pc->n > KEV_MAX_BATCH)
                break;
            memcpy(out + len, pc->p, pc->n);
            len += pc->n;
        }
        return len;
    }
    kev_fuzzin_enc enc;
    kev_fuzzin_enc_init(&enc, out, max);
    for (size_t i = 0; i < in->n; i++) {
        const mut_entry *e = &in->e[i];
        if (e->error) {
            if (kev_fuzzin_enc_error(&enc, e->err) != 0)
                break;
            continue;
        }
        size_t n = batch_len(e);
        if (n > KEV_MAX_BATCH || kev_fuzzin_batch_size(n) > max - enc.len)
            break;
        uint8_t *tmp = malloc(n ? n : 1);
        if (tmp == NULL)
            break;
        size_t off = 0;
        for (size_t k = 0; k < e->npc; k++) {
            memcpy(tmp + off, e->pc[k].p, e->pc[k].n);
            off += e->pc[k].n;
        }
        int rc = kev_fuzzin_enc_batch(&enc, tmp, n);
        free(tmp);
        if (rc != 0)
            break;
    }
    return enc.len;
}

/* ------------------------------------------------------------- records */

/* A random batch entry, or NULL when there is none. */
static mut_entry *pick_batch(mut_input *in)
{
    if (in->n == 0)
        return NULL;
    size_t start = below(in, in->n);
    for (size_t k = 0; k < in->n; k++) {
        mut_entry *e = &in->e[(start + k) % in->n];
        if (!e->error)
            return e;
    }
    return NULL;
}

/* The piece of a random batch that is a record (at least a header), or
 * NULL. */
static mut_piece *pick_record(mut_input *in, mut_entry **pe)
{
    mut_entry *e = pick_batch(in);
    if (e == NULL || e->npc == 0)
        return NULL;
    size_t start = below(in, e->npc);
    for (size_t k = 0; k < e->npc; k++) {
        mut_piece *pc = &e->pc[(start + k) % e->npc];
        if (pc->n >= KEV_MSG_HEADER_SIZE) {
            if (pe)
                *pe = e;
            return pc;
        }
    }
    return NULL;
}

/* The size a row's payload needs to pass every check and read. */
static uint32_t row_size(const kev_event_def *d)
{
    uint32_t n = 0;
    for (int v = 0; v < KEV_VER__COUNT; v++) {
        n = d->check[v] > n ? d->check[v] : n;
        n = d->reads[v] > n ? d->reads[v] : n;
    }
    return n;
}

static const kev_event_def *pick_row(mut_input *in)
{
    size_t n = 0;
    const kev_event_def *t = kev_event_table(&n);
    return &t[below(in, n)];
}

/* A payload size near the row's: its natural size, a check or read bound,
 * or one of those plus or minus a few bytes. */
static size_t size_near(mut_input *in, const kev_event_def *d)
{
    static const int deltas[] = {0, 0, 0, -1, 1, -4, 4, -3, 3};
    size_t base = row_size(d);
    switch (below(in, 4)) {
    case 0: base = d->check[below(in, KEV_VER__COUNT)]; break;
    case 1: base = d->reads[below(in, KEV_VER__COUNT)]; break;
    default: break;
    }
    long s = (long)base + deltas[below(in, sizeof deltas / sizeof deltas[0])];
    return s < 0 ? 0 : (size_t)s;
}

/* Resizes a record to 24 + payload bytes (zero-filled growth), keeping
 * total_size consistent. */
static bool record_resize(mut_input *in, mut_piece *pc, size_t payload)
{
    size_t n = KEV_MSG_HEADER_SIZE + payload;
    if (n > KEV_MUT_MAX_RECORD)
        return false;
    uint8_t *p = realloc(pc->p, n);
    if (p == NULL) {
        in->oom = true;
        return false;
    }
    if (n > pc->n)
        memset(p + pc->n, 0, n - pc->n);
    pc->p = p;
    pc->n = n;
    wr32(p, (uint32_t)n);
    return true;
}

/* Names configd meets, and the shapes of names that break it. */
static void name_write(mut_input *in, uint8_t name[KEV_IFNAMSIZ])
{
    static const char *const common[] = {"en", "en0", "lo0", "utun", "utun1", "awdl0",
                                         "pdp_ip0", "bridge0", "ipsec0", "gif0"};
    memset(name, 0, KEV_IFNAMSIZ);
    switch (below(in, 6)) {
    case 0: { /* length 0..16, printable, no NUL when 16 */
        size_t n = below(in, KEV_IFNAMSIZ + 1);
        for (size_t i = 0; i < n; i++)
            name[i] = (uint8_t)('a' + below(in, 26));
        break;
    }
    case 1: /* 16 bytes, no NUL at all */
        for (size_t i = 0; i < KEV_IFNAMSIZ; i++)
            name[i] = (uint8_t)('A' + below(in, 26));
        break;
    case 2: { /* high bytes */
        size_t n = 1 + below(in, KEV_IFNAMSIZ - 1);
        for (size_t i = 0; i < n; i++)
            name[i] = (uint8_t)(below(in, 2) ? 0x80 + below(in, 128) : 'a' + below(in, 26));
        break;
    }
    case 3: /* a 2-byte UTF-8 character at 14-15, cut by the 15-byte limit */
        memset(name, 'a', 14);
        name[14] = 0xc3;
        name[15] = below(in, 2) ? 0xa9 : 0;
        break;
    default: {
        const char *s = common[below(in, sizeof common / sizeof common[0])];
        memcpy(name, s, strlen(s));
        break;
    }
    }
}

/* ---------------------------------------------------------- mutations */

/* Each returns true when it changed something. */
typedef bool (*mut_fn)(mut_input *in, const mut_input *other);

/* A new record of a table row with a payload size near its layout's. */
static bool m_insert(mut_input *in, const mut_input *other)
{
    (void)other;
    mut_entry *e = pick_batch(in);
    const kev_event_def *d = pick_row(in);
    uint8_t rec[KEV_MUT_MAX_RECORD];
    size_t payload = size_near(in, d);
    if (e == NULL || KEV_MSG_HEADER_SIZE + payload > sizeof rec)
        return false;
    memset(rec, 0, sizeof rec);
    kev_msg_header h = {(uint32_t)(KEV_MSG_HEADER_SIZE + payload), KEV_VENDOR_APPLE,
                        KEV_NETWORK_CLASS, d->subclass, (uint32_t)rnd(in), d->code};
    kev_wire_header_write(rec, &h);
    uint8_t *pl = rec + KEV_MSG_HEADER_SIZE;
    if (payload >= KEV_SZ_NET_EVENT_DATA) {
        wr32(pl + KEV_OFF_IF_FAMILY, (uint32_t)below(in, 4));
        wr32(pl + KEV_OFF_IF_UNIT, below(in, 8) ? (uint32_t)below(in, 4) : (uint32_t)rnd(in));
        name_write(in, pl + KEV_OFF_IF_NAME);
    }
    for (size_t i = KEV_SZ_NET_EVENT_DATA; i < payload; i++)
        pl[i] = below(in, 3) ? 0 : (uint8_t)rnd(in);
    if (d->layout == KEV_L_IN_COLLISION && payload > KEV_OFF_COLL_HWLEN)
        pl[KEV_OFF_COLL_HWLEN] = KEV_ETHER_ADDR_LEN;
    return piece_add(in, e, below(in, e->npc + 1), rec, KEV_MSG_HEADER_SIZE + payload);
}

static bool m_delete(mut_input *in, const mut_input *other)
{
    (void)other;
    mut_entry *e = pick_batch(in);
    if (e == NULL || e->npc == 0)
        return false;
    piece_del(in, e, below(in, e->npc));
    return true;
}

/* Inserts a copy of piece `pc` (which may be one of e's own) at a random
 * place in batch `e`. */
static bool insert_copy(mut_input *in, mut_entry *e, const mut_piece *pc)
{
    uint8_t *copy = malloc(pc->n ? pc->n : 1);
    if (copy == NULL)
        return false;
    memcpy(copy, pc->p, pc->n);
    bool ok = piece_add(in, e, below(in, e->npc + 1), copy, pc->n);
    free(copy);
    return ok;
}

static bool m_duplicate(mut_input *in, const mut_input *other)
{
    (void)other;
    mut_entry *e = pick_batch(in);
    if (e == NULL || e->npc == 0)
        return false;
    return insert_copy(in, e, &e->pc[below(in, e->npc)]);
}

/* Swaps two pieces, of one batch or of two. */
static bool m_reorder(mut_input *in, const mut_input *other)
{
    (void)other;
    mut_entry *a = pick_batch(in), *b = pick_batch(in);
    if (a == NULL || b == NULL || a->npc == 0 || b->npc == 0)
        return false;
    size_t i = below(in, a->npc), j = below(in, b->npc);
    mut_piece t = a->pc[i];
    a->pc[i] = b->pc[j];
    b->pc[j] = t;
    return true;
}

/* Copies a record of the other input (or of this one) into a batch. */
static bool m_splice(mut_input *in, const mut_input *other)
{
    const mut_input *src = other && other->n ? other : in;
    const mut_entry *se = &src->e[below(in, src->n)];
    mut_entry *e = pick_batch(in);
    if (e == NULL || se->error || se->npc == 0)
        return false;
    return insert_copy(in, e, &se->pc[below(in, se->npc)]);
}

/* Gives a record the subclass and code of a table row (or only the code,
 * or a vendor/class that is not Apple network). */
static bool m_set_code(mut_input *in, const mut_input *other)
{
    (void)other;
    mut_piece *pc = pick_record(in, NULL);
    const kev_event_def *d = pick_row(in);
    if (pc == NULL)
        return false;
    switch (below(in, 8)) {
    case 0: wr32(pc->p + 4, (uint32_t)below(in, 3)); break;     /* vendor */
    case 1: wr32(pc->p + 8, (uint32_t)below(in, 8)); break;     /* class */
    case 2: wr32(pc->p + 20, (uint32_t)below(in, 40)); break;   /* code only */
    default:
        wr32(pc->p + 4, KEV_VENDOR_APPLE);
        wr32(pc->p + 8, KEV_NETWORK_CLASS);
        wr32(pc->p + 12, d->subclass);
        wr32(pc->p + 20, d->code);
        break;
    }
    return true;
}

/* Resizes a record's payload around its row's sizes (total_size follows),
 * or, sometimes, breaks total_size: 0, below 24, past the batch, odd. */
static bool m_size(mut_input *in, const mut_input *other)
{
    (void)other;
    mut_entry *e = NULL;
    mut_piece *pc = pick_record(in, &e);
    if (pc == NULL)
        return false;
    if (below(in, 16) < MUT_BREAK_SHARE) {
        uint32_t v;
        switch (below(in, 4)) {
        case 0: v = 0; break;
        case 1: v = (uint32_t)below(in, KEV_MSG_HEADER_SIZE); break;
        case 2: v = (uint32_t)(batch_len(e) + 1 + below(in, 1024)); break;
        default: v = (uint32_t)pc->n + 1 + (uint32_t)below(in, 3); break;
        }
        wr32(pc->p, v);
        return true;
    }
    const kev_event_def *d = kev_event_lookup(rd32(pc->p + 12), rd32(pc->p + 20));
    size_t payload = d ? size_near(in, d) : below(in, KEV_SZ_IN6_DATA + 8);
    return record_resize(in, pc, payload);
}

/* Rewrites if_name of a record that carries one. */
static bool m_name(mut_input *in, const mut_input *other)
{
    (void)other;
    mut_piece *pc = pick_record(in, NULL);
    if (pc == NULL || pc->n < KEV_MSG_HEADER_SIZE + KEV_OFF_IF_NAME + KEV_IFNAMSIZ)
        return false;
    name_write(in, pc->p + KEV_MSG_HEADER_SIZE + KEV_OFF_IF_NAME);
    return true;
}

/* hw_len of an ARP collision: 0, 6, 255 or any, and the record sized to
 * 32 + hw_len (as the check wants) or 29 + hw_len (as the data is). */
static bool m_hwlen(mut_input *in, const mut_input *other)
{
    (void)other;
    mut_piece *pc = pick_record(in, NULL);
    if (pc == NULL || pc->n < KEV_MSG_HEADER_SIZE + KEV_SZ_IN_COLLISION)
        return false;
    const kev_event_def *d = kev_event_lookup(rd32(pc->p + 12), rd32(pc->p + 20));
    if (d == NULL || d->layout != KEV_L_IN_COLLISION) {
        wr32(pc->p + 12, KEV_INET_SUBCLASS);
        wr32(pc->p + 20, KEV_INET_ARPCOLLISION);
    }
    static const uint8_t lens[] = {0, 6, 6, 255, 1, 16};
    uint8_t hw = (uint8_t)(below(in, 4) ? lens[below(in, sizeof lens)] : rnd(in));
    pc->p[KEV_MSG_HEADER_SIZE + KEV_OFF_COLL_HWLEN] = hw;
    if (below(in, 2))
        return record_resize(in, pc, (below(in, 2) ? 32u : 29u) + hw);
    return true;
}

/* Multi-batch only: entries. A failed recv() inserted (EAGAIN, EINTR or
 * any), an entry deleted, duplicated or moved, a batch split in two or two
 * merged. */
static bool m_entries(mut_input *in, const mut_input *other)
{
    (void)other;
    static const int errs[] = {35, 4, 55, 9};
    size_t at = below(in, in->n + 1);
    switch (below(in, 5)) {
    case 0: {
        mut_entry *e = entry_add(in, at);
        if (e == NULL)
            return false;
        e->error = true;
        e->err = below(in, 4) ? errs[below(in, 4)] : (int)below(in, 65536);
        return true;
    }
    case 1:
        if (in->n < 2)
            return false;
        entry_del(in, below(in, in->n));
        return true;
    case 2: {
        if (in->n == 0)
            return false;
        size_t from = below(in, in->n);
        mut_entry *e = entry_add(in, at);
        if (e == NULL)
            return false;
        if (from >= at)
            from++;
        e->error = in->e[from].error;
        e->err = in->e[from].err;
        for (size_t k = 0; k < in->e[from].npc; k++)
            if (!piece_add(in, e, e->npc, in->e[from].pc[k].p, in->e[from].pc[k].n))
                break;
        return true;
    }
    case 3: { /* split a batch at a piece boundary */
        mut_entry *e = pick_batch(in);
        if (e == NULL || e->npc < 2)
            return false;
        size_t idx = (size_t)(e - in->e), cut = 1 + below(in, e->npc - 1);
        mut_entry *n = entry_add(in, idx + 1);
        if (n == NULL)
            return false;
        e = &in->e[idx]; /* entry_add may move the array */
        n->pc = malloc((e->npc - cut) * sizeof *n->pc);
        if (n->pc == NULL)
            return false;
        memcpy(n->pc, &e->pc[cut], (e->npc - cut) * sizeof *n->pc);
        n->npc = n->cap = e->npc - cut;
        e->npc = cut;
        return true;
    }
    default: { /* merge a batch into the next one */
        if (in->n < 2)
            return false;
        size_t i = below(in, in->n - 1);
        if (in->e[i].error || in->e[i + 1].error)
            return false;
        while (in->e[i + 1].npc) {
            mut_piece pc = in->e[i + 1].pc[0];
            if (!piece_add(in, &in->e[i], in->e[i].npc, pc.p, pc.n))
                return false;
            piece_del(in, &in->e[i + 1], 0);
        }
        entry_del(in, i + 1);
        return true;
    }
    }
}

static const mut_fn mutations[] = {m_insert, m_insert, m_delete, m_duplicate, m_reorder,
                                   m_splice, m_set_code, m_size,  m_size,      m_name,
                                   m_name,   m_hwlen};

/* ------------------------------------------------------- byte fallback */

/* The mutator's own byte mutation (AFL++ applies its havoc besides). */
static size_t own_bytes(uint8_t *data, size_t size, size_t max, uint64_t seed)
{
    mut_input r = {0};
    r.rng = seed;
    size_t n = 1 + below(&r, 4);
    for (size_t k = 0; k < n; k++) {
        switch (below(&r, 4)) {
        case 0:
            if (size)
                data[below(&r, size)] ^= (uint8_t)(1u << below(&r, 8));
            break;
        case 1:
            if (size)
                data[below(&r, size)] = (uint8_t)rnd(&r);
            break;
        case 2:
            if (size < max) {
                size_t at = below(&r, size + 1);
                memmove(data + at + 1, data + at, size - at);
                data[at] = (uint8_t)rnd(&r);
                size++;
            }
            break;
        default:
            if (size > 1) {
                size_t at = below(&r, size);
                memmove(data + at, data + at + 1, size - at - 1);
                size--;
            }
            break;
        }
    }
    return size;
}

size_t kev_mut_mutate(kev_mut_form form, uint8_t *data, size_t size, size_t max,
                      const uint8_t *other, size_t other_size, uint64_t seed,
                      kev_mut_bytes_fn bytes)
{
    mut_input in = {0}, oth = {0};
    in.rng = seed;
    if (bytes == NULL)
        bytes = own_bytes;
    if (size > max)
        size = max;
    if (form == KEV_MUT_BYTES || below(&in, 16) < MUT_BYTES_SHARE)
        return bytes(data, size, max, rnd(&in));
    input_parse(&in, form, data, size);
    if (other != NULL)
        input_parse(&oth, form, other, other_size);
    if (in.n == 0 && entry_add(&in, 0) == NULL) {
        input_free(&in);
        input_free(&oth);
        return bytes(data, size, max, rnd(&in));
    }
    size_t todo = 1 + below(&in, MUT_MAX_STACK), done = 0;
    for (size_t tries = 0; done < todo && tries < 4 * MUT_MAX_STACK && !in.oom; tries++) {
        bool changed = form == KEV_MUT_MULTI && below(&in, 4) == 0
                           ? m_entries(&in, &oth)
                           : mutations[below(&in, sizeof mutations / sizeof mutations[0])](
                                 &in, &oth);
        done += changed;
    }
    size_t n = done && !in.oom ? input_write(&in, form, data, max) : 0;
    uint64_t next = rnd(&in);
    input_free(&in);
    input_free(&oth);
    if (n == 0)
        return bytes(data, size, max, next);
    return n;
}

/* ------------------------------------------------------ engine hooks */

#if defined(KEV_MUTATOR_LIBFUZZER)
#include <stdio.h>

#ifndef KEV_MUTATOR_FORM
#define KEV_MUTATOR_FORM "single"
#endif

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2,
                                 uint8_t *out, size_t max_out, unsigned int seed);

static size_t lf_bytes(uint8_t *data, size_t size, size_t max, uint64_t seed)
{
    (void)seed;
    return LLVMFuzzerMutate(data, size, max);
}

/* KEV_MUTATOR=off turns the structure off at run time (the same binary
 * then mutates as plain libFuzzer does), for the time-to-defect runs. */
static int lf_form(kev_mut_form *form)
{
    static int state; /* 0 unknown, 1 on, 2 off */
    static kev_mut_form f;
    if (state == 0) {
        const char *off = getenv("KEV_MUTATOR");
        state = off != NULL && strcmp(off, "off") == 0 ? 2 : 1;
        if (kev_mut_form_parse(KEV_MUTATOR_FORM, &f) != 0)
            f = KEV_MUT_BYTES;
    }
    *form = f;
    return state;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    kev_mut_form form;
    if (lf_form(&form) == 2)
        return LLVMFuzzerMutate(data, size, max_size);
    return kev_mut_mutate(form, data, size, max_size, NULL, 0, seed, lf_bytes);
}

size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2,
                                 uint8_t *out, size_t max_out, unsigned int seed)
{
    kev_mut_form form;
    size_t n = s1 < max_out ? s1 : max_out;
    memcpy(out, d1, n);
    if (lf_form(&form) == 2 || form == KEV_MUT_BYTES) {
        /* libFuzzer's own idea of a cross-over: a prefix of one, the rest of
         * the other. */
        size_t cut = s1 ? seed % (n + 1) : 0, rest = s2 < max_out - cut ? s2 : max_out - cut;
        memcpy(out + cut, d2, rest);
        return cut + rest;
    }
    return kev_mut_mutate(form, out, n, max_out, d2, s2, seed, lf_bytes);
}
#endif

#if defined(KEV_MUTATOR_AFL)
/* The AFL++ custom mutator API (docs/custom_mutators.md): the form comes
 * from KEV_MUTATOR_FORM (single, multi, bytes), as scripts/fuzz-afl.sh sets
 * it from fuzz/targets.list. */
#include <stdio.h>

typedef struct kev_afl_state {
    uint64_t seed;
    kev_mut_form form;
    uint8_t *buf;
    size_t cap;
} kev_afl_state;

void *afl_custom_init(void *afl, unsigned int seed);
size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
                       uint8_t *add_buf, size_t add_buf_size, size_t max_size);
void afl_custom_deinit(void *data);

void *afl_custom_init(void *afl, unsigned int seed)
{
    (void)afl;
    kev_afl_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->seed = seed;
    if (kev_mut_form_parse(getenv("KEV_MUTATOR_FORM"), &s->form) != 0) {
        fprintf(stderr, "kevrr mutator: KEV_MUTATOR_FORM unset or not single/multi/bytes: "
                        "byte mutation only\n");
        s->form = KEV_MUT_BYTES;
    }
    return s;
}

size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
                       uint8_t *add_buf, size_t add_buf_size, size_t max_size)
{
    kev_afl_state *s = data;
    if (max_size > s->cap) {
        uint8_t *p = realloc(s->buf, max_size);
        if (p == NULL) {
            *out_buf = buf;
            return buf_size;
        }
        s->buf = p;
        s->cap = max_size;
    }
    size_t n = buf_size < max_size ? buf_size : max_size;
    memcpy(s->buf, buf, n);
    s->seed = s->seed * 6364136223846793005ull + 1442695040888963407ull;
    *out_buf = s->buf;
    return kev_mut_mutate(s->form, s->buf, n, max_size, add_buf, add_buf_size, s->seed, NULL);
}

void afl_custom_deinit(void *data)
{
    kev_afl_state *s = data;
    if (s != NULL)
        free(s->buf);
    free(s);
}
#endif
