/* Wrong submission for lab 08 (examiner E): the deadline is worked out in
 * one 64-bit count of nanoseconds, now_ns + (int64_t)(timeout_s * 1e9), and
 * any non-zero return of pthread_cond_timedwait() is taken for "the
 * deadline has passed". Wrong: timeout_s * 1e9 does not fit in an int64_t
 * above about 9.2e9 s; the deadline comes out negative (EINVAL), and
 * event_wait(e, 1e10) on an unset event returns 0 at once. event.h: wait
 * returns 0 only "if timeout_s seconds (>= 0) pass first", for any timeout.
 * How the grader shows it: many-waiters has waiters with timeouts of 1e10 s
 * and 1e12 s among its 16, asleep until set(): they return 0 before set()
 * is called, and the check fails at once, every run. */
#include "event.h"

#include <errno.h>
#include <stdint.h>
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
    if (timeout_s < 0) {
        lab_cond_wait(&e->c, &e->m);
        return 0;
    }
    /* 0: woken; anything else: the deadline is gone */
    return pthread_cond_timedwait(&e->c, &e->m, deadline) == 0 ? 0 : ETIMEDOUT;
}

static struct timespec deadline_after(double timeout_s) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    int64_t ns = (int64_t)t.tv_sec * 1000000000 + t.tv_nsec + (int64_t)(timeout_s * 1e9);
    t.tv_sec = (time_t)(ns / 1000000000);
    t.tv_nsec = (long)(ns % 1000000000);
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
