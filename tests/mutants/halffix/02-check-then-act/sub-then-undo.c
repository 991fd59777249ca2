/* Wrong: take a seat first, give it back if there was none. Every booking
 * decrements; one that took the count below zero adds the seat back. The
 * totals after the join are right, but while bookings bounce off a full
 * flight the count reads -1, -2...: "never below zero" is broken during the
 * run, and a reader polling flight_seats_left() sees it. */
#include "booking.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

struct flight {
    pthread_mutex_t lock;
    atomic_int seats;
};

flight_t *flight_create(int seats) {
    flight_t *f = lab_calloc(1, sizeof *f);
    lab_mutex_init(&f->lock, NULL);
    atomic_init(&f->seats, seats);
    return f;
}

int flight_book(flight_t *f) {
    if (atomic_fetch_sub(&f->seats, 1) > 0)
        return 1;
    atomic_fetch_add(&f->seats, 1);
    return 0;
}

int flight_seats_left(flight_t *f) {
    return atomic_load(&f->seats);
}

void flight_destroy(flight_t *f) {
    lab_mutex_destroy(&f->lock);
    free(f);
}
