/* Lab 02, check-then-act: the API of a flight's seat counter. broken.c,
 * fixed.c, alt-*.c and student.c all include this header. */
#ifndef LOCKLAB_BOOKING_H
#define LOCKLAB_BOOKING_H

typedef struct flight flight_t;

/* A flight with `seats` free seats (seats >= 0). Never returns NULL. */
flight_t *flight_create(int seats);

/* Book one seat: 1 when a seat was free and is now yours, 0 when the flight
 * is full. Any number of threads may book at once; a seat is never sold
 * twice and the count of free seats never goes below zero. */
int flight_book(flight_t *f);

/* Free seats now. Exact once every booking thread has been joined. */
int flight_seats_left(flight_t *f);

void flight_destroy(flight_t *f);

#endif
