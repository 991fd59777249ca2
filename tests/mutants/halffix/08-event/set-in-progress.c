/* Wrong: fixed.c, with set() made cheap for concurrent setters ("setting
 * twice is harmless, so if another thread is already setting, leave it to
 * that one"): an atomic `setting` flag is swapped to 1, and a set() that
 * finds it 1 returns at once. But the other setter may not have set the
 * flag yet, or may be finishing a set() that a clear() has since undone:
 * set() returns with the event unset, its waiters asleep, and a set()
 * after a clear() can be lost for good. event.h: "Set the event: every
 * thread waiting in event_wait() wakes, and later waits return at once".
 * The grader: lost-wakeup ends with 100 rounds of 3 threads released
 * together that each call set() and then is_set(), the event cleared by
 * the driver only between rounds: is_set() says 0 in about a fifth of
 * the rounds (the setter that came second returned while the first was
 * held up on its way to the mutex), so the check fails every run. */
#include "event.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "lab.h"

struct event {
    pthread_mutex_t m;
    pthread_cond_t c; /* on CLOCK_MONOTONIC */
    int flag;
    atomic_int setting; /* a set() is under way */
};

event_t *event_create(void) {
    event_t *e = lab_calloc(1, sizeof *e);
    pthread_condattr_t a;
    LAB_PTHREAD(pthread_condattr_init(&a));
    LAB_PTHREAD(pthread_condattr_setclock(&a, CLOCK_MONOTONIC));
    lab_cond_init(&e->c, &a);
    LAB_PTHREAD(pthread_condattr_destroy(&a));
    lab_mutex_init(&e->m, NULL);
    atomic_init(&e->setting, 0);
    return e;
}

void event_set(event_t *e) {
    if (atomic_exchange(&e->setting, 1))
        return; /* another thread is setting it right now */
    lab_mutex_lock(&e->m);
    e->flag = 1;
    lab_cond_broadcast(&e->c);
    lab_mutex_unlock(&e->m);
    atomic_store(&e->setting, 0);
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
