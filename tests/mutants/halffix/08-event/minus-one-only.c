/* Wrong submission for lab 08 (examiner B): only timeout_s == -1 means
 * "wait for ever". Wrong: event.h says timeout_s < 0 waits for ever; any
 * other negative timeout (-2, -0.5, -INFINITY) is taken as a deadline of
 * "now", and event_wait() on an unset event returns 0 at once.
 * How the grader shows it: many-waiters' waiters wait with -1, -2, -0.5,
 * -1e-3, -1e9, -inf, 30 and 3600 s; the one with -2 (or -0.5, ...)
 * returns 0 before set() is called, which fails the check at once. */
#include "event.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "lab.h"

struct event {
    pthread_mutex_t m;
    pthread_cond_t c; /* on CLOCK_MONOTONIC */
    int flag;
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
    e->flag = 1;
    lab_cond_broadcast(&e->c);
    lab_mutex_unlock(&e->m);
}

void event_clear(event_t *e) {
    lab_mutex_lock(&e->m);
    e->flag = 0;
    lab_mutex_unlock(&e->m);
}

/* One wait on the condition, with the mutex held: 0, or ETIMEDOUT once the
 * deadline has passed. */
static int wait_once(event_t *e, double timeout_s, const struct timespec *deadline) {
    if (timeout_s == -1) { /* -1: no timeout, as in the course's wait(None) */
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
    if (timeout_s != -1)
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
