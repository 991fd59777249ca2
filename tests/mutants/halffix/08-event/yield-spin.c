/* Wrong submission for lab 08: the waiter spins on an atomic flag with
 * sched_yield() instead of sleeping on a condition. No race and no lost
 * wakeup, but wrong: event.h says a waiting thread sleeps; each waiter burns
 * a CPU (in yield system calls) for as long as it waits. */
#include "event.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "lab.h"

struct event {
    atomic_int flag;
};

event_t *event_create(void) {
    event_t *e = lab_calloc(1, sizeof *e);
    atomic_init(&e->flag, 0);
    return e;
}

void event_set(event_t *e) { atomic_store(&e->flag, 1); }

void event_clear(event_t *e) { atomic_store(&e->flag, 0); }

int event_is_set(event_t *e) { return atomic_load(&e->flag); }

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int event_wait(event_t *e, double timeout_s) {
    double end = now() + timeout_s;
    while (!atomic_load(&e->flag)) {
        if (timeout_s >= 0 && now() >= end)
            return 0;
        sched_yield(); /* "polite" spinning */
    }
    return 1;
}

void event_destroy(event_t *e) { free(e); }
