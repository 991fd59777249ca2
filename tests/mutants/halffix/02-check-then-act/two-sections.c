/* Half-fix: check and act each under the lock, but in two critical
 * sections: the lock is let go between them, so another booking can take
 * the seat that was seen free. The check no longer holds when the act runs:
 * oversold, as in broken.c. */
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
    lab_mutex_lock(&f->lock);
    int free_seat = f->seats > 0;
    lab_mutex_unlock(&f->lock);
    if (!free_seat)
        return 0;
    lab_mutex_lock(&f->lock);
    f->seats--;
    lab_mutex_unlock(&f->lock);
    return 1;
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
