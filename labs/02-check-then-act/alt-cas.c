/* Lab 02, check-then-act: a lock-free alternative.
 *
 * Compare-and-swap makes check and act one instruction: "if seats is still
 * n, make it n - 1". If another booking changed it in between, the swap
 * fails, we see the new value and check again. No seat is sold on a stale
 * check, because the act itself re-checks. */
#include "booking.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

struct flight {
    atomic_int seats;
};

flight_t *flight_create(int seats) {
    flight_t *f = lab_calloc(1, sizeof *f);
    atomic_init(&f->seats, seats);
    return f;
}

int flight_book(flight_t *f) {
    int n = atomic_load_explicit(&f->seats, memory_order_relaxed);
    while (n > 0) {
        lab_pause(); /* the window is harmless here: the swap re-checks */
        if (atomic_compare_exchange_weak_explicit(&f->seats, &n, n - 1, memory_order_relaxed,
                                                  memory_order_relaxed))
            return 1;
        /* n now holds the current count: check again */
    }
    return 0;
}

int flight_seats_left(flight_t *f) { return atomic_load_explicit(&f->seats, memory_order_relaxed); }

void flight_destroy(flight_t *f) { free(f); }
