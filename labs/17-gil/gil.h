/* Lab 17, the GIL: the API of a global interpreter lock with CPython's
 * semantics (the design CPython has used since 3.2).
 *
 * One lock for the whole "interpreter": a thread runs workload code only
 * while it holds the GIL. It does not hold it forever: at checkpoints
 * (gil_check, CPython's eval-loop breaker) it gives the GIL away if a waiting
 * thread asked for it, and it releases it around blocking calls
 * (gil_release ... gil_acquire, CPython's Py_BEGIN/END_ALLOW_THREADS).
 *
 * This is also the lock behind the harness's `gil` regime: the harness links
 * whichever implementation the build names (labs/17-gil/fixed.c by default),
 * so there is one GIL, not two copies.
 */
#ifndef LOCKLAB_GIL_H
#define LOCKLAB_GIL_H

typedef struct gil gil_t;

/* A new, unheld GIL; a waiter asks for it after interval_us microseconds. */
gil_t *gil_create(long interval_us);
void gil_destroy(gil_t *g);

/* Take the GIL, waiting as long as it takes. */
void gil_acquire(gil_t *g);

/* Give the GIL up, e.g. before a blocking call. The caller must hold it. */
void gil_release(gil_t *g);

/* A checkpoint, called by the holder between pieces of work: if another
 * thread has asked for the GIL, hand it over and take it back later. Cheap
 * when nobody asked. */
void gil_check(gil_t *g);

/* What the lock did, for tests and benches. Exact once no thread uses it. */
typedef struct {
    unsigned long acquires;      /* times the GIL was taken */
    unsigned long drop_requests; /* times a waiter, tired of waiting, asked */
    unsigned long forced_drops;  /* times a holder gave it up on request */
} gil_stats_t;
void gil_stats(gil_t *g, gil_stats_t *out);

#endif
