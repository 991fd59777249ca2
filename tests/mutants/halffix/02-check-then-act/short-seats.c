/* Wrong: fixed.c's lock, but the seat count is a uint16_t ("no airliner
 * has more than 65 535 seats"). booking.h takes `int seats` (seats >= 0)
 * and promises "A flight with `seats` free seats" and "Free seats now": a
 * flight of 100 000 starts with 100 000 mod 65 536 = 34 464 seats, and the
 * 34 465th booking is refused although seats are free. The single check
 * makes a flight of 100 000 seats and reads 34 464 left, every run (the
 * oversell check's busy flight of two billion seats shows it too). */
#include "booking.h"

#include <stdint.h>
#include <stdlib.h>

#include "lab.h"

struct flight {
    pthread_mutex_t lock;
    uint16_t seats; /* no airliner has more than 65 535 seats */
};

flight_t *flight_create(int seats) {
    flight_t *f = lab_calloc(1, sizeof *f);
    lab_mutex_init(&f->lock, NULL);
    f->seats = (uint16_t)seats;
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
