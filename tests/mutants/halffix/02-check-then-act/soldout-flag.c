/* Wrong: an unlocked "sold out" fast path. flight_book() reads a plain
 * sold_out flag before taking the flight's mutex, and the booking that
 * takes the last seat sets it under the mutex: a read and a write that no
 * lock orders, a data race (undefined behaviour in C11), although every
 * count comes out right. The ThreadSanitizer check (race-free) sells
 * flight 1 out within its first turns and keeps booking it to the end, so
 * the write and the unlocked reads after it run side by side and TSan
 * reports them every run. */
#include "booking.h"

#include <stdlib.h>

#include "lab.h"

struct flight {
    pthread_mutex_t lock;
    int seats;
    int sold_out; /* set once, never cleared: safe to peek at without the lock */
};

flight_t *flight_create(int seats) {
    flight_t *f = lab_calloc(1, sizeof *f);
    lab_mutex_init(&f->lock, NULL);
    f->seats = seats;
    f->sold_out = seats == 0;
    return f;
}

int flight_book(flight_t *f) {
    if (f->sold_out) /* fast path: a full flight stays full */
        return 0;
    int booked = 0;
    lab_mutex_lock(&f->lock);
    if (f->seats > 0) {
        lab_pause();
        f->seats--;
        booked = 1;
        if (f->seats == 0)
            f->sold_out = 1;
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
