/* Lab 02, check-then-act: correct, but one lock for every flight.
 *
 * The course's first fix: a single global lock around every booking. It is
 * right, and simple, but bookings on different flights now wait for each
 * other too; the bench shows what that costs next to fixed.c's lock per
 * flight. */
#include "booking.h"

#include <stdlib.h>

#include "lab.h"

static pthread_mutex_t everything = PTHREAD_MUTEX_INITIALIZER;

struct flight {
    int seats;
};

flight_t *flight_create(int seats) {
    flight_t *f = lab_calloc(1, sizeof *f);
    f->seats = seats;
    return f;
}

int flight_book(flight_t *f) {
    int booked = 0;
    lab_mutex_lock(&everything);
    if (f->seats > 0) {
        lab_pause();
        f->seats--;
        booked = 1;
    }
    lab_mutex_unlock(&everything);
    return booked;
}

int flight_seats_left(flight_t *f) {
    lab_mutex_lock(&everything);
    int n = f->seats;
    lab_mutex_unlock(&everything);
    return n;
}

void flight_destroy(flight_t *f) { free(f); }
