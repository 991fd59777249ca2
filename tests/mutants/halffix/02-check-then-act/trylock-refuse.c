/* Wrong: booking.h promises flight_book() returns "0 when the flight
 * is full", and the README "a booking succeeds while seats are free": this
 * one uses pthread_mutex_trylock() and, when another thread is inside
 * ("someone else is taking a seat right now"), gives up and reports the
 * flight full, although seats are free. Nothing is oversold, and the
 * checks with threads always try more times than there are seats (400
 * attempts for 100 seats, 8 racers for 1 seat) or take turns one call at a
 * time, so a wrongful refusal never changes a total they look at.
 * The grader shows it: oversell counts every success and leaves seats
 * behind (e.g. 77 booked, 23 left), and last-seat's rounds find seats left
 * after 64 threads try 40 seats, every run (10/20). */
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
    if (pthread_mutex_trylock(&f->lock) != 0)
        return 0; /* somebody else is booking: don't wait in line, it's taken */
    int booked = 0;
    if (f->seats > 0) {
        lab_pause();
        f->seats--;
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
