/* Wrong: fixed.c, but event_is_set() must "never block a poller", so it
 * only tries the mutex and, when another thread holds it (a waiter looking
 * at the flag, another poller, a set() or clear() under way), answers 0:
 * "busy means it is changing, so not set yet". No data race, but a set
 * event is reported unset whenever anyone else is inside the event, e.g.
 * while other threads poll or wait on it. event.h: "1 if the event is set
 * now, else 0".
 * The grader: lost-wakeup has 2 threads poll is_set() of an event set
 * once and never cleared, 1000 times each, while 2 others set it again
 * and wait on it: hundreds of the answers are 0 every run (and its
 * racing setters, each calling is_set() after its own set(), see 0 too). */
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

int event_is_set(event_t *e) {
    if (pthread_mutex_trylock(&e->m) != 0)
        return 0; /* busy: being changed, not set yet */
    int v = e->flag;
    lab_mutex_unlock(&e->m);
    return v;
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

int event_wait(event_t *e, double timeout_s) {
    struct timespec deadline = {0, 0};
    if (timeout_s >= 0)
        deadline = deadline_after(timeout_s);
    lab_mutex_lock(&e->m);
    lab_pause();
    while (!e->flag) {
        if (timeout_s < 0) {
            lab_cond_wait(&e->c, &e->m);
            continue;
        }
        int rc = pthread_cond_timedwait(&e->c, &e->m, &deadline);
        if (rc == ETIMEDOUT)
            break;
        if (rc != 0)
            lab_pthread_die(rc, "pthread_cond_timedwait", __FILE__, __LINE__);
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
