/* Wrong submission for lab 08 (examiner E): timed waits loop on the flag,
 * but a wait without a timeout uses `if`: "the only thing that wakes a
 * wait-for-ever is set()'s broadcast". Wrong: a condition wait may return
 * spuriously, and between set()'s broadcast and the waiter getting the
 * mutex back another thread can clear() the event; the waiter then returns
 * 0 from a wait that has no timeout. event.h: "timeout_s < 0 waits
 * forever", and wait returns 0 only "if timeout_s seconds (>= 0) pass
 * first".
 * How the grader shows it: lost-wakeup runs 500 rounds of 4 waiters in
 * wait(-1) released together with a setter, in the perturbing build, where
 * one condition wait in four returns at once without a signal (a spurious
 * wake-up): a waiter that goes on under its `if` returns 0 and the check
 * fails, every run. */
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
    lab_mutex_lock(&e->m);
    lab_pause(); /* the same window: set() now waits for the mutex */
    if (timeout_s < 0) {
        if (!e->flag) /* only set() wakes a wait for ever: then it is set */
            wait_once(e, timeout_s, &deadline);
    } else {
        while (!e->flag)
            if (wait_once(e, timeout_s, &deadline) == ETIMEDOUT)
                break;
    }
    int v = e->flag;
    lab_mutex_unlock(&e->m);
    return v;
}

void event_destroy(event_t *e) {
    lab_cond_destroy(&e->c);
    lab_mutex_destroy(&e->m);
    free(e);
}
