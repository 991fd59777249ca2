/* Lab 02, check-then-act: the classic mistake.
 *
 * flight_book() checks that a seat is free, does some work (in the course, a
 * payment that takes a moment), then takes the seat. Between the check and
 * the act, other threads can check too: all of them see the same last seat,
 * all of them take it, and the flight is oversold. lab_pause() marks that
 * window. Even without the pause, `seats--` is itself a read, a subtract and
 * a write (lab 01's bug), so two bookings can also leave one seat counted as
 * free. */
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
    if (f->seats > 0) { /* check */
        lab_pause();    /* simulated work: the payment goes through */
        f->seats--;     /* act, on a check that may no longer hold */
        return 1;
    }
    return 0;
}

int flight_seats_left(flight_t *f) { return f->seats; }

void flight_destroy(flight_t *f) { free(f); }
