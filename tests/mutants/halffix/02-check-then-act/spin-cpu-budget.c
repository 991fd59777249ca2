/* Wrong: flight_book() spins on pthread_mutex_trylock() and gives up,
 * reporting the flight full, once the spin has burnt 1 s of the thread's own
 * CPU time (CLOCK_THREAD_CPUTIME_ID: "so that a stuck booking cannot eat a
 * core"). booking.h promises 0 only "when the flight is full": a holder
 * slowed down long enough gets bookings refused on a flight with free seats.
 * No check holds a booker that long; the oversell check's busy flight
 * catches it anyway: in a round where the booking waits behind the held one,
 * the CPU-time clocks too jump two days ahead before the holder is let go
 * (lab_clocks_ahead_while), every run. */
#include "booking.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

#include "lab.h"

struct flight {
    pthread_mutex_t lock;
    int seats;
};

flight_t *flight_create(int seats) {
    flight_t *f = lab_calloc(1, sizeof *f);
    lab_mutex_init(&f->lock, NULL);
    f->seats = seats;
    return f;
}

int flight_book(flight_t *f) {
    int booked = 0;
    struct timespec start, now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start);
    for (;;) {
        int rc = pthread_mutex_trylock(&f->lock);
        if (rc == 0)
            break;
        if (rc != EBUSY)
            lab_pthread_die(rc, "pthread_mutex_trylock", __FILE__, __LINE__);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
        if (now.tv_sec - start.tv_sec >= 1)
            return 0; /* this thread has burnt a second spinning: give up */
        sched_yield();
    }
    if (f->seats > 0) { /* check */
        lab_pause();    /* simulated work: others wait at the lock */
        f->seats--;     /* act, while the check still holds */
        booked = 1;
    }
    lab_mutex_unlock(&f->lock);
    return booked;
}

int flight_seats_left(flight_t *f) {
    lab_mutex_lock(&f->lock);
    int n = f->seats;
    lab_mutex_unlock(&f->lock);
    return n;
}

void flight_destroy(flight_t *f) {
    lab_mutex_destroy(&f->lock);
    free(f);
}
