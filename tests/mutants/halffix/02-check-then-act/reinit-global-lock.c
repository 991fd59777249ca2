/* Wrong: alt-global.c's one lock for every flight, but declared without an
 * initialiser and set up with lab_mutex_init() in flight_create() ("before
 * use"). Every new flight resets the lock every booking takes, also while
 * another thread holds it booking an older flight: the lock reads free
 * under its holder, a second booker walks in, and a seat is sold twice (or
 * a waiter is never woken). That breaks "Any number of threads may book at
 * once; a seat is never sold twice" (booking.h) and "flights are
 * independent" (README). The race-free check's ThreadSanitizer run has one
 * thread create, book and destroy flights of its own, one per turn, while
 * 4 others book and 2 read: the lock's re-initialisation is a write no
 * synchronisation orders against their lock calls, reported on its first
 * turn, every run. */
#include "booking.h"

#include <stdlib.h>

#include "lab.h"

static pthread_mutex_t everything;

struct flight {
    int seats;
};

flight_t *flight_create(int seats) {
    flight_t *f = lab_calloc(1, sizeof *f);
    lab_mutex_init(&everything, NULL); /* make sure the lock is ready */
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
