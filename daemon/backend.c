/*
 * backend.c: the table of store backends (backend.h) and the simulated
 * one. The simulated store itself lives in the core's world; this backend
 * only counts what reached it, so the stats query can show the traffic a
 * real store would have received.
 */
#include "backend.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct sim_state {
    uint64_t ops[3]; /* by kev_store_opkind */
    uint64_t direct, commits, changed;
} sim_state;

static int sim_open(void **state, kev_strbuf *err)
{
    sim_state *s = calloc(1, sizeof *s);
    if (s == NULL) {
        kev_strbuf_adds(err, "out of memory");
        return -1;
    }
    *state = s;
    return 0;
}

static void sim_op(void *state, const kev_store_op *op)
{
    sim_state *s = state;
    if ((unsigned)op->kind < 3u)
        s->ops[op->kind]++;
    if (op->direct)
        s->direct++;
}

static void sim_commit(void *state, size_t changed)
{
    sim_state *s = state;
    s->commits++;
    s->changed += changed;
}

static void sim_stats(void *state, kev_strbuf *out)
{
    const sim_state *s = state;
    kev_strbuf_addf(out,
                    "store.backend sim\nstore.sets %llu\nstore.removes %llu\n"
                    "store.notifies %llu\nstore.direct %llu\nstore.commits %llu\n"
                    "store.changed %llu\n",
                    (unsigned long long)s->ops[KEV_STORE_SET],
                    (unsigned long long)s->ops[KEV_STORE_REMOVE],
                    (unsigned long long)s->ops[KEV_STORE_NOTIFY],
                    (unsigned long long)s->direct, (unsigned long long)s->commits,
                    (unsigned long long)s->changed);
}

static void sim_close(void *state)
{
    free(state);
}

static const kevmond_backend backends[] = {
    {"sim", "the simulated store only (the core's; what replays compare with)", sim_open,
     sim_op, sim_commit, sim_stats, sim_close},
};
#define N_BACKENDS (sizeof backends / sizeof backends[0])

const kevmond_backend *kevmond_backend_find(const char *name)
{
    for (size_t i = 0; i < N_BACKENDS; i++)
        if (strcmp(backends[i].name, name) == 0)
            return &backends[i];
    return NULL;
}

void kevmond_backend_names(kev_strbuf *out)
{
    for (size_t i = 0; i < N_BACKENDS; i++)
        kev_strbuf_addf(out, "%s%s", i ? ", " : "", backends[i].name);
}
