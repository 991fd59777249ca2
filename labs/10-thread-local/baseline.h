/* Lab 10, thread-local: the design thread-local storage replaces, for the
 * bench (fixed's binary) and the harness workload only; the checks never
 * see it. Without per-thread storage, per-thread data goes into one global
 * table keyed by the thread's id, and since every thread reads and writes
 * that table, every look-up takes its lock. A thread leaves the table
 * before it exits (here the caller says when: a table cannot tell).
 *
 * Self-contained (the harness build of workload.c sees no lab.h): pthread
 * calls are checked by LOCKED_CALL, which aborts with the call's name. */
#ifndef LOCKLAB_SESSION_BASELINE_H
#define LOCKLAB_SESSION_BASELINE_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

#define LOCKED_CALL(call)                                                      \
    do {                                                                       \
        int locked_rc_ = (call);                                               \
        if (locked_rc_ != 0) {                                                 \
            fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, strerror(locked_rc_)); \
            abort();                                                           \
        }                                                                      \
    } while (0)

enum { LOCKED_SLOTS = 256 }; /* a power of two, more than the threads of a run */

typedef struct {
    pthread_mutex_t m;
    struct {
        pthread_t tid;
        int used;
        char user[SESSION_NAME_MAX];
    } slot[LOCKED_SLOTS];
} locked_table_t;

static inline void locked_init(locked_table_t *t) {
    memset(t, 0, sizeof *t);
    LOCKED_CALL(pthread_mutex_init(&t->m, NULL));
}

static inline void locked_destroy(locked_table_t *t) { LOCKED_CALL(pthread_mutex_destroy(&t->m)); }

/* The calling thread's slot (open addressing from a hash of its id), or a
 * free one where it would go. Call with the lock held. */
static inline int locked_find(locked_table_t *t, pthread_t me) {
    uint64_t h = (uint64_t)me * 0x9e3779b97f4a7c15ULL;
    int i = (int)(h >> 56) & (LOCKED_SLOTS - 1);
    for (int k = 0; k < LOCKED_SLOTS; k++, i = (i + 1) & (LOCKED_SLOTS - 1))
        if (!t->slot[i].used || pthread_equal(t->slot[i].tid, me))
            return i;
    fprintf(stderr, "locked_find: more than %d threads in the table\n", LOCKED_SLOTS);
    abort();
}

static inline void locked_set_user(locked_table_t *t, const char *name) {
    pthread_t me = pthread_self();
    LOCKED_CALL(pthread_mutex_lock(&t->m));
    int i = locked_find(t, me);
    t->slot[i].tid = me;
    t->slot[i].used = 1;
    snprintf(t->slot[i].user, sizeof t->slot[i].user, "%s", name);
    LOCKED_CALL(pthread_mutex_unlock(&t->m));
}

/* Copies the calling thread's user into out (SESSION_NAME_MAX bytes):
 * 1, or 0 if it has none. The copy is made under the lock, since a slot
 * can move when another thread leaves. */
static inline int locked_user(locked_table_t *t, char *out) {
    pthread_t me = pthread_self();
    LOCKED_CALL(pthread_mutex_lock(&t->m));
    int i = locked_find(t, me), found = t->slot[i].used;
    if (found)
        memcpy(out, t->slot[i].user, SESSION_NAME_MAX);
    LOCKED_CALL(pthread_mutex_unlock(&t->m));
    return found;
}

/* Removes the calling thread. Linear probing cannot just blank a slot (it
 * would cut the chains of others), so the following run is put back. */
static inline void locked_leave(locked_table_t *t) {
    pthread_t me = pthread_self();
    LOCKED_CALL(pthread_mutex_lock(&t->m));
    int i = locked_find(t, me);
    if (t->slot[i].used) {
        t->slot[i].used = 0;
        for (int j = (i + 1) & (LOCKED_SLOTS - 1); t->slot[j].used; j = (j + 1) & (LOCKED_SLOTS - 1)) {
            pthread_t tid = t->slot[j].tid;
            char user[SESSION_NAME_MAX];
            memcpy(user, t->slot[j].user, sizeof user);
            t->slot[j].used = 0;
            int k = locked_find(t, tid);
            t->slot[k].tid = tid;
            t->slot[k].used = 1;
            memcpy(t->slot[k].user, user, sizeof user);
        }
    }
    LOCKED_CALL(pthread_mutex_unlock(&t->m));
}

#endif
