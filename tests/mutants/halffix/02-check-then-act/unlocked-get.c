/* Half-fix: flight_book() is right, flight_seats_left() reads without the
 * lock. A read racing with a locked write is a data race (undefined
 * behaviour in C11): a thread asking how many seats are left while others
 * book shows it to ThreadSanitizer every time. */
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
    int booked = 0;
    lab_mutex_lock(&f->lock);
    if (f->seats > 0) {
        f->seats--;
        booked = 1;
    }
    lab_mutex_unlock(&f->lock);
    return booked;
}

int flight_seats_left(flight_t *f) {
    return f->seats;
}

void flight_destroy(flight_t *f) {
    lab_mutex_destroy(&f->lock);
    free(f);
}
