/* Half-fix of lab 08: event_is_set() takes the mutex, but event_wait()
 * still looks at the flag before taking it (broken.c's first mistake).
 * Wrong: a set() between the look and the wait broadcasts to nobody, and
 * the waiter sleeps through an event that is already set (lost wakeup). */
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
    struct timespec deadline = deadline_after(timeout_s);
    if (e->flag) /* look without the mutex first */
        return 1;
    lab_pause(); /* set() and its broadcast may come right here */
    lab_mutex_lock(&e->m);
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
