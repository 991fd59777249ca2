/* Wrong: to refuse sold-out flights fast, flight_book() first looks the
 * flight up in a small static table of recently sold-out flights (guarded
 * by a mutex of its own, so no data race), which flight_destroy() never
 * cleans. The allocator hands a destroyed flight's block to the next
 * flight_create(), so a new flight with free seats at that address is
 * refused as "full": against booking.h's 1 "when a seat was free" and the
 * README's "a booking succeeds while seats are free ... flights are
 * independent". The last-seat check creates a 1-seat flight, books it
 * full and destroys it, round after round: within a few rounds a new
 * flight lands on a remembered address and none of its 8 bookers gets the
 * seat, every run. The oversell check fails it too: its crowd's first
 * 40-seat flight lands where a sold-out 100-seat flight was, and nobody
 * gets a seat. */
#include "booking.h"

#include <stdlib.h>

#include "lab.h"

#define SOLD_OUT_CACHE 8

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static flight_t *sold_out[SOLD_OUT_CACHE]; /* recently sold-out flights */
static int next_slot;

struct flight {
    pthread_mutex_t lock;
    int seats;
};

static int known_sold_out(flight_t *f) {
    int hit = 0;
    lab_mutex_lock(&cache_lock);
    for (int i = 0; i < SOLD_OUT_CACHE; i++)
        if (sold_out[i] == f)
            hit = 1;
    lab_mutex_unlock(&cache_lock);
    return hit;
}

static void remember_sold_out(flight_t *f) {
    lab_mutex_lock(&cache_lock);
    sold_out[next_slot] = f;
    next_slot = (next_slot + 1) % SOLD_OUT_CACHE;
    lab_mutex_unlock(&cache_lock);
}

flight_t *flight_create(int seats) {
    flight_t *f = lab_calloc(1, sizeof *f);
    lab_mutex_init(&f->lock, NULL);
    f->seats = seats;
    return f;
}

int flight_book(flight_t *f) {
    if (known_sold_out(f)) /* fast refusal: no need to touch the flight */
        return 0;
    int booked = 0, full = 0;
    lab_mutex_lock(&f->lock);
    if (f->seats > 0) {
        lab_pause();
        f->seats--;
        booked = 1;
    } else {
        full = 1;
    }
    lab_mutex_unlock(&f->lock);
    if (full)
        remember_sold_out(f);
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
