/* Lab 02, check-then-act: the reference fix.
 *
 * The check and the act must be one step as far as other threads can tell,
 * so one critical section spans both: while we hold the flight's mutex
 * nobody else can look at the seat count, so the seat we saw free is still
 * free when we take it. The lock is per flight: bookings on different
 * flights never wait for each other. */
#include "booking.h"

#include <stdlib.h>

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
    lab_mutex_lock(&f->lock);
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
