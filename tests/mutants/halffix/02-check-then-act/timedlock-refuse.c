/* Wrong: so that a terminal never hangs on a busy flight, flight_book()
 * waits for the flight's lock with pthread_mutex_timedlock() and a 100 ms
 * deadline and, when it expires, reports the flight full. booking.h
 * promises 0 only "when the flight is full", the README "a booking
 * succeeds while seats are free": any holder slowed down inside its
 * critical section gets bookings refused on a flight with free seats, and
 * nothing is oversold. The oversell check has one thread book in a loop on
 * a flight of two billion seats and holds it still with a signal
 * (lab_hold_thread), often inside its critical section, while a second
 * thread books; the held one is released only after that booking has
 * waited 0.3 s or returned: the first time it is held inside, the booking
 * is refused after 100 ms, every run. */
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
    until.tv_nsec += 100 * 1000 * 1000; /* a customer waits 100 ms at most */
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
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
