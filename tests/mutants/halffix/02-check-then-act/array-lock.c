/* Wrong: a fair lock per flight, the textbook array-based queue lock
 * (Anderson's lock) with 128 slots ("far more terminals than will ever book
 * one flight at once"). With more than 128 threads waiting for one flight,
 * tickets t and t + 128 share a slot: both walk in when its flag goes up
 * (a seat sold twice), or the late "clear my flag" wipes out a later
 * hand-over and a waiter is never let in: bookings stop for good. That
 * breaks booking.h's "Any number of threads may book at once; a seat is
 * never sold twice". The oversell check holds a looping booker still
 * (lab_hold_thread) inside its critical section (proved by a second
 * booking that waits 0.3 s), then lets 200 more threads book while it is
 * held, so 201 wait at once; after the release the queue loses a
 * hand-over and the stall watch fails the check (bookings stopped), every
 * run. */
#include "booking.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "lab.h"

#define SLOTS 128
#define CACHE_LINE 64

struct slot {
    _Alignas(CACHE_LINE) atomic_bool go;
};

struct flight {
    struct slot slot[SLOTS];
    _Alignas(CACHE_LINE) atomic_uint tail;
    int seats;
};

static unsigned lock(flight_t *f) {
    unsigned me = atomic_fetch_add_explicit(&f->tail, 1, memory_order_relaxed) % SLOTS;
    while (!atomic_load_explicit(&f->slot[me].go, memory_order_acquire))
        sched_yield();
    return me;
}

static void unlock(flight_t *f, unsigned me) {
    atomic_store_explicit(&f->slot[me].go, false, memory_order_relaxed);
    atomic_store_explicit(&f->slot[(me + 1) % SLOTS].go, true, memory_order_release);
}

flight_t *flight_create(int seats) {
    flight_t *f = lab_aligned_alloc(CACHE_LINE, sizeof *f);
    for (int i = 0; i < SLOTS; i++)
        atomic_init(&f->slot[i].go, i == 0);
    atomic_init(&f->tail, 0);
    f->seats = seats;
    return f;
}

int flight_book(flight_t *f) {
    int booked = 0;
    unsigned me = lock(f);
    if (f->seats > 0) {
        lab_pause();
        f->seats--;
        booked = 1;
    }
    unlock(f, me);
    return booked;
}

int flight_seats_left(flight_t *f) {
    unsigned me = lock(f);
    int n = f->seats;
    unlock(f, me);
    return n;
}

void flight_destroy(flight_t *f) { free(f); }
