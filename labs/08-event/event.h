/* Lab 08, event: the API of a one-time signal that many threads can wait
 * for. broken.c, fixed.c, alt-*.c and student.c all include this header. */
#ifndef LOCKLAB_EVENT_H
#define LOCKLAB_EVENT_H

typedef struct event event_t;

/* An event, not set. Never returns NULL. */
event_t *event_create(void);

/* Set the event: every thread waiting in event_wait() wakes, and later
 * waits return at once until event_clear(). Setting twice is harmless. */
void event_set(event_t *e);

/* Unset the event. */
void event_clear(event_t *e);

/* 1 if the event is set now, else 0. */
int event_is_set(event_t *e);

/* Wait until the event is set: 1 once it is (at once if it already is), 0
 * if `timeout_s` seconds (>= 0) pass first. timeout_s < 0 waits forever.
 * A waiting thread sleeps; it does not spin. The timeout is measured on
 * the monotonic clock: a step of the wall clock (CLOCK_REALTIME, which
 * pthread_cond_timedwait() uses unless told otherwise) must neither shorten
 * nor stretch it. */
int event_wait(event_t *e, double timeout_s);

void event_destroy(event_t *e);

#endif
