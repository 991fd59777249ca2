/* Wrong submission for lab 08 (examiner H): the deadline is now + timeout
 * on the monotonic clock with the fraction added to tv_nsec and no carry
 * into tv_sec, and any error of pthread_cond_timedwait() taken for "time
 * is up". Wrong: whenever the clock's nanoseconds plus the fraction reach
 * 1e9 the deadline is no valid timespec, pthread_cond_timedwait() fails at
 * once with EINVAL, and event_wait() returns 0 at once on an unset event.
 * event.h: 0 only "if `timeout_s` seconds (>= 0) pass first".
 * How the grader shows it: timeout makes its first wait(0.2) at .81 to .99
 * of a second of the monotonic clock, so the carry is due every run: it
 * returns 0 after 0.000 s ("the deadline's nanoseconds carry into its
 * seconds"). clock-jump starts its waits at .05 to .55 of a second, where
 * no carry is due, and passes. */
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
    if (timeout_s < 0) {
        lab_cond_wait(&e->c, &e->m);
        return 0;
    }
    int rc = pthread_cond_timedwait(&e->c, &e->m, deadline);
    return rc == 0 ? 0 : ETIMEDOUT; /* any error: treat as "time is up" */
}

static struct timespec deadline_after(double timeout_s) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if (timeout_s > 0) {
        time_t s = (time_t)timeout_s;
        t.tv_sec += s;
        t.tv_nsec += (long)((timeout_s - (double)s) * 1e9);
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
