/* Wrong: fixed.c with "no broadcast when nobody sleeps": a wait counts
 * itself in `sleepers` once, before its first sleep, and set() broadcasts
 * only when that count is non-zero and then zeroes it ("all of them are
 * awake now"); a timed-out wait takes itself off. A waiter woken by set()
 * that finds the event cleared again before it gets the mutex back goes to
 * sleep again uncounted, and the next set() skips the broadcast it needs:
 * a wait(-1) sleeps on with the event set. event.h: "Set the event: every
 * thread waiting in event_wait() wakes".
 * The grader: many-waiters ends with a wait(-1) and a wait(3600) seen
 * asleep, held still (a signal whose handler waits for the driver) while
 * the event is set and at once cleared: they wake to an unset event and
 * sleep again uncounted; the event is then set, no broadcast comes, and
 * the stall watchdog fails the check after 1 s, every run. */
#include "event.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "lab.h"

struct event {
    pthread_mutex_t m;
    pthread_cond_t c; /* on CLOCK_MONOTONIC */
    int flag;
    int sleepers; /* waits that went to sleep since the last set() */
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
    if (e->sleepers > 0) { /* skip the wake-up when nobody sleeps */
        lab_cond_broadcast(&e->c);
        e->sleepers = 0; /* all of them are awake now */
    }
    lab_mutex_unlock(&e->m);
}

void event_clear(event_t *e) {
    lab_mutex_lock(&e->m);
    e->flag = 0;
    lab_mutex_unlock(&e->m);
}

int event_is_set(event_t *e) {
    lab_mutex_lock(&e->m);
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
    int counted = 0;
    if (!e->flag) {
        e->sleepers++;
        counted = 1;
    }
    while (!e->flag) {
        if (timeout_s < 0) {
            lab_cond_wait(&e->c, &e->m);
            continue;
        }
        int rc = pthread_cond_timedwait(&e->c, &e->m, &deadline);
        if (rc == ETIMEDOUT) {
            if (counted && e->sleepers > 0)
                e->sleepers--; /* timed out: not asleep any more */
            break;
        }
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
