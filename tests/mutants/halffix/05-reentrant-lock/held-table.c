/* Wrong submission for lab 05: the owner check without shared state: each
 * thread keeps the locks it holds, and at what depth, in a _Thread_local
 * table of 16 entries ("nobody holds more than 16 locks at once"), and the
 * lock itself is a plain mutex. Right for strangers and former owners; but
 * a thread that takes a 17th lock trips the table's assert and the program
 * aborts. That breaks the README's "A thread may hold several locks at
 * once, in any order: each lock keeps its own owner and depth".
 * How the grader shows it: the check `several` ends with one thread taking
 * 40 locks at once, each twice: the 17th acquire aborts. */
#include "rlock.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>

#include "lab.h"

#define MAX_HELD 16

struct rlock {
    pthread_mutex_t m;
};

struct held {
    rlock_t *lock;
    int depth;
};

static _Thread_local struct held held[MAX_HELD];
static _Thread_local int n_held;

static struct held *find(rlock_t *l) {
    for (int i = 0; i < n_held; i++)
        if (held[i].lock == l)
            return &held[i];
    return NULL;
}

rlock_t *rlock_create(void) {
    rlock_t *l = lab_calloc(1, sizeof *l);
    lab_mutex_init(&l->m, NULL);
    return l;
}

void rlock_acquire(rlock_t *l) {
    struct held *h = find(l);
    if (h) {
        h->depth++;
        return;
    }
    lab_mutex_lock(&l->m);
    assert(n_held < MAX_HELD);
    held[n_held].lock = l;
    held[n_held].depth = 1;
    n_held++;
}

int rlock_release(rlock_t *l) {
    struct held *h = find(l);
    if (!h)
        return EPERM;
    if (--h->depth == 0) {
        *h = held[--n_held]; /* move the last entry into the hole */
        lab_mutex_unlock(&l->m);
    }
    return 0;
}

void rlock_destroy(rlock_t *l) {
    lab_mutex_destroy(&l->m);
    free(l);
}
