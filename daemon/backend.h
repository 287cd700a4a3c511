/*
 * backend.h: kevmond's store backends: where the store operations the core
 * applies go, besides the simulated store the core keeps (which answers
 * state queries and is what replays compare with).
 *
 * The core reports every applied operation and every commit through its
 * store observer (kevrr/world.h); the daemon hands them to the backend
 * chosen with --store. "sim" (the default, and the only one built here)
 * keeps the simulated store only and counts what it saw. A macOS build can
 * add a row that mirrors the operations into the real SCDynamicStore
 * (SCDynamicStoreSetMultiple per commit) without touching the daemon loop.
 */
#ifndef KEVMOND_BACKEND_H
#define KEVMOND_BACKEND_H

#include <stddef.h>

#include "kevrr/store.h"
#include "kevrr/strbuf.h"

typedef struct kevmond_backend {
    const char *name;
    const char *summary;
    /* Opens the backend's state into *state. Returns 0, or -1 with why in
     * `err`. */
    int (*open)(void **state, kev_strbuf *err);
    /* One applied operation; the batch's commit follows. */
    void (*op)(void *state, const kev_store_op *op);
    /* The end of one SetMultiple / SetValue. */
    void (*commit)(void *state, size_t changed);
    /* Appends "NAME VALUE" lines for the stats query. */
    void (*stats)(void *state, kev_strbuf *out);
    void (*close)(void *state); /* accepts NULL */
} kevmond_backend;

/* The backend named `name`, or NULL. */
const kevmond_backend *kevmond_backend_find(const char *name);
/* Appends the names of the built backends, comma-separated. */
void kevmond_backend_names(kev_strbuf *out);

#endif
