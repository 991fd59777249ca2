/* Wrong: booking.h promises that any number of threads may book and
 * read at once (README: "no data race", flight_seats_left() included):
 * each function has its own function-local static mutex. flight_book() is
 * right among bookers (one lock for all flights, like alt-global.c), but
 * flight_seats_left() locks a different mutex, so its read of seats races
 * with the decrement in flight_book(). The count is never wrong after the
 * join, only the reads while others book are unsynchronised.
 * The grader shows it: the ThreadSanitizer check (race-free) has 2 threads
 * read the seats left while 4 book, and TSan reports the read racing with
 * the booking's write every run (16/20). */
#include "booking.h"

#include <stdlib.h>

#include "lab.h"

struct flight {
    int seats;
};

flight_t *flight_create(int seats) {
    flight_t *f = lab_calloc(1, sizeof *f);
    f->seats = seats;
    return f;
}

int flight_book(flight_t *f) {
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    int booked = 0;
    lab_mutex_lock(&lock);
    if (f->seats > 0) {
        lab_pause();
        f->seats--;
        booked = 1;
    }
    lab_mutex_unlock(&lock);
    return booked;
}

int flight_seats_left(flight_t *f) {
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    lab_mutex_lock(&lock);
    int n = f->seats;
    lab_mutex_unlock(&lock);
    return n;
}

void flight_destroy(flight_t *f) { free(f); }
