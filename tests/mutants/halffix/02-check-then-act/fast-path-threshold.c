/* Wrong: a "fast path" that bets on the number of threads. While more than
 * 16 seats are left, a booking takes one with an atomic decrement and no
 * lock ("more than there will ever be bookers racing"); only the last 16
 * are booked under the flight's mutex with a real check. When more than 16
 * bookings see 17 or more seats at once, all of them decrement and the
 * locked path later finds the count at or below 0: more seats sold than the
 * flight has, against booking.h's "Any number of threads may book at once;
 * a seat is never sold twice and the count of free seats never goes below
 * zero". With 8 bookers the bet mostly wins. The oversell check, after
 * its 8 bookers, releases 64 threads together on a flight of 40 seats, the
 * pause hook yielding in the window: some 55 of them see "plenty" and take
 * a seat, in the first of its 10 rounds, every run. */
#include "booking.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

#define FAST_ABOVE 16 /* more than any number of threads booking at once */

struct flight {
    pthread_mutex_t lock; /* for the last FAST_ABOVE seats */
    atomic_int seats;
};

flight_t *flight_create(int seats) {
    flight_t *f = lab_calloc(1, sizeof *f);
    lab_mutex_init(&f->lock, NULL);
    atomic_init(&f->seats, seats);
    return f;
}

int flight_book(flight_t *f) {
    if (atomic_load(&f->seats) > FAST_ABOVE) { /* lots left: no need to lock */
        lab_pause();
        atomic_fetch_sub(&f->seats, 1);
        return 1;
    }
    int booked = 0;
    lab_mutex_lock(&f->lock);
    if (atomic_load(&f->seats) > 0) { /* the last few: check and act as one */
        lab_pause();
        atomic_fetch_sub(&f->seats, 1);
        booked = 1;
    }
    lab_mutex_unlock(&f->lock);
    return booked;
}

int flight_seats_left(flight_t *f) { return atomic_load(&f->seats); }

void flight_destroy(flight_t *f) {
    lab_mutex_destroy(&f->lock);
    free(f);
}
