/* Lab 17, the GIL: the broken design, the one CPython had before 3.2.
 *
 * The GIL here is a plain lock (a mutex, a condition and a flag saying
 * whether somebody holds it). The holder lets go at every checkpoint and
 * takes the lock again straight away, trusting that a waiting thread will
 * slip in between. It rarely does: the holder is already running, while the
 * waiter first has to be woken and scheduled, and by the time it looks the
 * holder has taken the lock back. Two CPU-bound threads on two cores: one
 * runs, the other starves. A thread back from I/O waits behind a CPU-bound
 * one for as long as that one keeps winning (the convoy effect).
 *
 * It is correct as a lock: never two holders, and a single thread sees no
 * difference. What it lacks is fairness.
 */
#include "gil.h"

#include <stdlib.h>

#include "lab.h"

struct gil {
    pthread_mutex_t mu;
    pthread_cond_t released; /* signalled when the GIL is let go */
    int locked;
    long interval_us; /* kept for the API; nothing here ever waits on a timer */
    gil_stats_t stats;
};

gil_t *gil_create(long interval_us) {
    gil_t *g = lab_calloc(1, sizeof *g);
    lab_mutex_init(&g->mu, NULL);
    lab_cond_init(&g->released, NULL);
    g->interval_us = interval_us > 0 ? interval_us : 1;
    return g;
}

void gil_destroy(gil_t *g) {
    lab_cond_destroy(&g->released);
    lab_mutex_destroy(&g->mu);
    free(g);
}

void gil_acquire(gil_t *g) {
    lab_mutex_lock(&g->mu);
    /* Wait for as long as the holder keeps the GIL: nobody ever asks it to
     * let go, and a wake-up that finds it taken again just waits again. */
    while (g->locked)
        lab_cond_wait(&g->released, &g->mu);
    g->locked = 1;
    g->stats.acquires++;
    lab_mutex_unlock(&g->mu);
}

void gil_release(gil_t *g) {
    lab_mutex_lock(&g->mu);
    g->locked = 0;
    lab_cond_signal(&g->released);
    lab_mutex_unlock(&g->mu);
}

void gil_check(gil_t *g) {
    /* "Give the others a chance": release and retake at once. The waiter
     * woken by the release is still on its way when the lock is taken back. */
    gil_release(g);
    gil_acquire(g);
}

void gil_stats(gil_t *g, gil_stats_t *out) {
    lab_mutex_lock(&g->mu);
    *out = g->stats;
    lab_mutex_unlock(&g->mu);
}
