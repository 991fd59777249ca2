/* Wrong submission for lab 08 (examiner H): the flag is an atomic_int
 * written under the mutex with relaxed stores, and event_wait() and
 * event_is_set() start with a lock-free fast path, a relaxed load and
 * "already set: return 1". Wrong: a relaxed load orders nothing, so a
 * thread that sees the event set this way has no happens-before with
 * set(), and what the setter wrote before set() (the flight's gate, a
 * worker's result) races with its reads. README: the course's "wait at the
 * gate until the flight has landed", then board; contract: "no data race in
 * set, clear, is_set, wait".
 * How the grader shows it: race-free (ThreadSanitizer) has the setter write
 * a plain value before set(); the poller whose is_set() returns 1, and a
 * thread that calls wait(0) after set() returned (learnt through a relaxed
 * flag), read it: ThreadSanitizer reports the read in check_cargo every
 * run. */
#include "event.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "lab.h"

struct event {
    pthread_mutex_t m;
    pthread_cond_t c; /* on CLOCK_MONOTONIC */
    atomic_int flag; /* written under the mutex; read anywhere */
};

event_t *event_create(void) {
    event_t *e = lab_calloc(1, sizeof *e);
    pthread_condattr_t a;
    LAB_PTHREAD(pthread_condattr_init(&a));
    LAB_PTHREAD(pthread_condattr_setclock(&a, CLOCK_MONOTONIC));
    lab_cond_init(&e->c, &a);
    LAB_PTHREAD(pthread_condattr_destroy(&a));
    lab_mutex_init(&e->m, NULL);
    return e;
}

void event_set(event_t *e) {
    lab_mutex_lock(&e->m);
    atomic_store_explicit(&e->flag, 1, memory_order_relaxed);
    lab_cond_broadcast(&e->c);
    lab_mutex_unlock(&e->m);
}

void event_clear(event_t *e) {
    lab_mutex_lock(&e->m);
    atomic_store_explicit(&e->flag, 0, memory_order_relaxed);
    lab_mutex_unlock(&e->m);
}

/* One wait on the condition, with the mutex held: 0, or ETIMEDOUT once the
 * deadline has passed. */
static int wait_once(event_t *e, double timeout_s, const struct timespec *deadline) {
    if (timeout_s < 0) {
        lab_cond_wait(&e->c, &e->m);
        return 0;
    }
    int rc = pthread_cond_timedwait(&e->c, &e->m, deadline);
    if (rc != 0 && rc != ETIMEDOUT)
        lab_pthread_die(rc, "pthread_cond_timedwait(&e->c, &e->m, deadline)", __FILE__, __LINE__);
    return rc;
}

static struct timespec deadline_after(double timeout_s) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if (timeout_s > 0) {
        time_t s = (time_t)timeout_s;
        t.tv_sec += s;
        t.tv_nsec += (long)((timeout_s - (double)s) * 1e9);
        if (t.tv_nsec >= 1000000000L) {
            t.tv_sec++;
            t.tv_nsec -= 1000000000L;
        }
    }
    return t;
}

int event_is_set(event_t *e) {
    /* an atomic flag: no data race, no lock */
    return atomic_load_explicit(&e->flag, memory_order_relaxed);
}

int event_wait(event_t *e, double timeout_s) {
    /* The deadline counts from the call; a wait with no timeout has none and
     * need not read the clock (a clock read costs as much as the rest of a
     * wait on a set event). */
    /* Fast path: a set event needs no lock, no clock, no condition. */
    if (atomic_load_explicit(&e->flag, memory_order_relaxed))
        return 1;
    struct timespec deadline = {0, 0};
    if (timeout_s >= 0)
        deadline = deadline_after(timeout_s);
    lab_mutex_lock(&e->m);
    lab_pause(); /* the same window: set() now waits for the mutex */
    while (!e->flag)
        if (wait_once(e, timeout_s, &deadline) == ETIMEDOUT)
            break;
    int v = e->flag;
    lab_mutex_unlock(&e->m);
    return v;
}

void event_destroy(event_t *e) {
    lab_cond_destroy(&e->c);
    lab_mutex_destroy(&e->m);
    free(e);
}
