/* Wrong: the drop request is one atomic flag for the whole program, a
 * file-scope `static atomic_int` ("gil_check() must be one load: a global
 * is the cheapest; there is one interpreter anyway"), not a field of the
 * gil_t; everything else is per GIL. gil.h: gil_check(): "if another
 * thread has asked for the GIL, hand it over"; forced_drops counts "times
 * a holder gave it up on request"; the README: "no forced drop without a
 * waiter". With two GILs, a waiter's request for GIL A makes the holder of
 * GIL B, which nobody waits for, drop and retake B at its next checkpoint,
 * and B's retake clears the flag, so A's holder may never see the request
 * meant for it.
 * The grader: single holds two GILs on one thread with no checkpoint, lets
 * a waiter (20 ms interval) ask for A (made sure of from /proc: asleep past
 * its interval, then woken by its timer with nothing else to wake it), then
 * makes 10 checkpoints on B: B's stats must show no forced drop; here they
 * show 1, every run. */
#include "gil.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "lab.h"

struct gil {
    pthread_mutex_t mu;
    pthread_cond_t released; /* signalled when the GIL is let go */
    pthread_cond_t switched; /* broadcast when the GIL is taken */
    int locked;
    int waiters;
    unsigned long switch_number; /* how often the GIL was taken */
    const void *holder;          /* the current or last holder */
    long interval_us;
    gil_stats_t stats;
};

/* A unique address per thread: the holder's identity. */
static _Thread_local char self_tag;

/* The drop request: one flag, one load in gil_check(). */
static atomic_int drop_request_flag;
#define SELF ((const void *)&self_tag)

gil_t *gil_create(long interval_us) {
    gil_t *g = lab_calloc(1, sizeof *g);
    pthread_condattr_t attr;
    LAB_PTHREAD(pthread_condattr_init(&attr));
    /* interval timeouts must not jump with the wall clock */
    LAB_PTHREAD(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC));
    lab_mutex_init(&g->mu, NULL);
    lab_cond_init(&g->released, &attr);
    lab_cond_init(&g->switched, &attr);
    LAB_PTHREAD(pthread_condattr_destroy(&attr));
    g->interval_us = interval_us > 0 ? interval_us : 1;
    atomic_init(&drop_request_flag, 0);
    return g;
}

void gil_destroy(gil_t *g) {
    lab_cond_destroy(&g->switched);
    lab_cond_destroy(&g->released);
    lab_mutex_destroy(&g->mu);
    free(g);
}

static struct timespec deadline_after_us(long us) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += us / 1000000;
    t.tv_nsec += (us % 1000000) * 1000;
    if (t.tv_nsec >= 1000000000) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000;
    }
    return t;
}

void gil_acquire(gil_t *g) {
    lab_mutex_lock(&g->mu);
    g->waiters++;
    while (g->locked) {
        unsigned long seen = g->switch_number;
        struct timespec until = deadline_after_us(g->interval_us);
        int rc = pthread_cond_timedwait(&g->released, &g->mu, &until);
        if (rc != 0 && rc != ETIMEDOUT)
            lab_pthread_die(rc, "pthread_cond_timedwait(&g->released)", __FILE__, __LINE__);
        /* A whole interval passed and nobody else got it either: ask. */
        if (rc == ETIMEDOUT && g->locked && g->switch_number == seen &&
            !atomic_load_explicit(&drop_request_flag, memory_order_relaxed)) {
            atomic_store_explicit(&drop_request_flag, 1, memory_order_relaxed);
            g->stats.drop_requests++;
        }
    }
    g->waiters--;
    g->locked = 1;
    g->holder = SELF;
    g->switch_number++;
    g->stats.acquires++;
    /* The request that brought us here is served; a thread still waiting
     * will ask again after its own interval. */
    atomic_store_explicit(&drop_request_flag, 0, memory_order_relaxed);
    lab_cond_broadcast(&g->switched);
    lab_mutex_unlock(&g->mu);
}

void gil_release(gil_t *g) {
    lab_mutex_lock(&g->mu);
    g->locked = 0;
    lab_cond_signal(&g->released);
    lab_mutex_unlock(&g->mu);
}

void gil_check(gil_t *g) {
    if (__builtin_expect(!atomic_load_explicit(&drop_request_flag, memory_order_relaxed), 1))
        return;
    lab_mutex_lock(&g->mu);
    g->locked = 0;
    g->stats.forced_drops++;
    lab_cond_signal(&g->released);
    /* Forced switching: do not race back for the GIL until another thread
     * has taken it; otherwise the holder, already running, wins every time. */
    while (g->holder == SELF && g->waiters > 0)
        lab_cond_wait(&g->switched, &g->mu);
    lab_mutex_unlock(&g->mu);
    gil_acquire(g);
}

void gil_stats(gil_t *g, gil_stats_t *out) {
    lab_mutex_lock(&g->mu);
    *out = g->stats;
    lab_mutex_unlock(&g->mu);
}
