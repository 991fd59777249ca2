/* Wrong: atomics make each step indivisible, not the pair. The check is an
 * atomic load and the act an atomic decrement: two threads both load 1,
 * both decrement, the flight sells a seat it never had and shows -1. No
 * data race for ThreadSanitizer to see; the count tells. */
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
    if (atomic_load(&f->seats) > 0) {
        atomic_fetch_sub(&f->seats, 1);
        return 1;
    }
    return 0;
}

int flight_seats_left(flight_t *f) {
    return atomic_load(&f->seats);
}

void flight_destroy(flight_t *f) {
    lab_mutex_destroy(&f->lock);
    free(f);
}
