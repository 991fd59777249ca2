/* Wrong: the flight's mutex is made lazily on the first booking
 * (`if (f->lock == NULL) { allocate, init }`), lab 02's own check-then-act
 * bug one level down: the first bookers of a new flight all see NULL, each
 * makes and locks its own mutex, and the seat is sold to several of them;
 * the pointer itself is read and written unsynchronised. That breaks "a
 * seat is never sold twice" (booking.h) and the README's "no data race".
 * The last-seat check releases 8 threads together on a fresh 1-seat
 * flight, 200 rounds, with the window held open: a round sells 2 seats,
 * every run; race-free's ThreadSanitizer run reports the pointer. */
#include "booking.h"

#include <stdlib.h>

#include "lab.h"

struct flight {
    pthread_mutex_t *lock; /* made on first use */
    int seats;
};

flight_t *flight_create(int seats) {
    flight_t *f = lab_calloc(1, sizeof *f);
    f->seats = seats;
    return f;
}

static pthread_mutex_t *lock_of(flight_t *f) {
    if (f->lock == NULL) {
        pthread_mutex_t *m = lab_calloc(1, sizeof *m);
        lab_mutex_init(m, NULL);
        f->lock = m;
    }
    return f->lock;
}

int flight_book(flight_t *f) {
    int booked = 0;
    pthread_mutex_t *m = lock_of(f);
    lab_mutex_lock(m);
    if (f->seats > 0) {
        lab_pause();
        f->seats--;
        booked = 1;
    }
    lab_mutex_unlock(m);
    return booked;
}

int flight_seats_left(flight_t *f) {
    pthread_mutex_t *m = lock_of(f);
    lab_mutex_lock(m);
    int n = f->seats;
    lab_mutex_unlock(m);
    return n;
}

void flight_destroy(flight_t *f) {
    if (f->lock) {
        lab_mutex_destroy(f->lock);
        free(f->lock);
    }
    free(f);
}
