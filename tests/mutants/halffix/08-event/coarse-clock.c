/* Wrong submission for lab 08 (examiner H): fixed.c, but the deadline's
 * "now" is read from CLOCK_MONOTONIC_COARSE ("the same clock, cheaper")
 * while the condition times out on CLOCK_MONOTONIC. Wrong: the coarse
 * clock is the monotonic one as of the last tick, up to a tick (4 ms here)
 * behind, so a timed wait on an unset event returns 0 up to a tick before
 * its timeout has passed. event.h: 0 "if `timeout_s` seconds (>= 0) pass
 * first"; README: "wait(t) returns 0 when t passes first, no sooner".
 * How the grader shows it: timeout judges its waits against the monotonic
 * time since the call: the first wait(0.2) returns after 0.194 to 0.199 s
 * when its timer is punctual, and if not, one of 20 waits of 10 ms, each
 * started when the coarse clock is 1 to 3 ms behind, returns early ("it
 * returned 0 after 0.0071 s ... a clock that lags, such as
 * CLOCK_MONOTONIC_COARSE?"). clock-jump judges only what the jump does (an
 * end before 0.1 s, or none within 2 s), so it passes. */
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
    /* The coarse clock is the same monotonic clock, read from the vDSO
     * without touching the hardware timer: several times cheaper. */
    clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
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
