/* Wrong submission for lab 08 (examiner H): fixed.c's wait, preceded by an
 * "adaptive" spin of up to 20 ms on an atomic copy of the flag before it
 * sleeps on the condition. Wrong: event.h: "A waiting thread sleeps; it
 * does not spin." Every wait longer than a few microseconds burns 20 ms of
 * a CPU, 16 waiters 16 x 20 ms, taking the CPUs from the thread that would
 * set the event.
 * How the grader shows it: idle's single 0.3 s wait allows a quarter of it
 * running or runnable, which 20 ms passes; then 16 threads wait(0.1) at
 * once, and their CPU time together must stay under 10 ms: they used 26 to
 * 82 ms (a sleeping wait costs some 30 us), and the check fails ("the waits
 * spin before they sleep"). */
#include "event.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "lab.h"

struct event {
    pthread_mutex_t m;
    pthread_cond_t c; /* on CLOCK_MONOTONIC */
    atomic_int flag; /* written under the mutex; spun on without it */
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
    atomic_store_explicit(&e->flag, 1, memory_order_release);
    lab_cond_broadcast(&e->c);
    lab_mutex_unlock(&e->m);
}

void event_clear(event_t *e) {
    lab_mutex_lock(&e->m);
    atomic_store_explicit(&e->flag, 0, memory_order_release);
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
    lab_mutex_lock(&e->m);
    int v = e->flag;
    lab_mutex_unlock(&e->m);
    return v;
}

int event_wait(event_t *e, double timeout_s) {
    /* The deadline counts from the call; a wait with no timeout has none and
     * need not read the clock (a clock read costs as much as the rest of a
     * wait on a set event). */
    struct timespec deadline = {0, 0};
    if (timeout_s >= 0)
        deadline = deadline_after(timeout_s);
    /* Adaptive wait: most events are set within a few ms, and a sleep and
     * a wake-up cost more than a short spin, so spin up to 20 ms (or the
     * timeout, if shorter) on the flag before going to sleep. */
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    double spin = timeout_s >= 0 && timeout_s < 0.02 ? timeout_s : 0.02;
    for (;;) {
        if (atomic_load_explicit(&e->flag, memory_order_acquire))
            break;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) * 1e-9 >= spin)
            break;
    }
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
