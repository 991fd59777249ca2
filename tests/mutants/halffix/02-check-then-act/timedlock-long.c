/* Wrong: so that a terminal never hangs on a busy flight, flight_book()
 * waits for the flight's lock with pthread_mutex_timedlock() and a 5 s
 * deadline and, when it expires, reports the flight full. booking.h
 * promises 0 only "when the flight is full": a holder slowed down for 5 s
 * gets bookings refused on a flight with free seats. The driver holds a
 * booker for at most 2 s, so the deadline itself is never reached: the
 * oversell check's busy flight sets the implementation's wall clock a day
 * behind (lab_clock_jump), and a deadline computed from that clock has
 * passed before the call begins, so the first booking that meets the held
 * lock is refused, every run, whatever the timeout. */
#include "booking.h"

#include <errno.h>
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
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5; /* a customer waits 5 s at most */
    int rc = pthread_mutex_timedlock(&f->lock, &until);
    if (rc == ETIMEDOUT)
        return 0; /* the booking system is busy: no seat for you */
    if (rc != 0)
        lab_pthread_die(rc, "pthread_mutex_timedlock", __FILE__, __LINE__);
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
