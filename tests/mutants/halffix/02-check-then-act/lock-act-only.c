/* Half-fix: the act is locked, the check is not. Two threads both see the
 * last seat free, then each takes the lock in turn and decrements: the
 * flight is oversold and seats go to -1. 8 threads racing for 1 seat sell
 * it twice within a few rounds. */
#include "booking.h"

#include <stdatomic.h>
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
    if (f->seats > 0) {
        lab_mutex_lock(&f->lock);
        f->seats--;
        lab_mutex_unlock(&f->lock);
        return 1;
    }
    return 0;
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
