/* Wrong: "make it faster" by batching. Each thread counts into a
 * _Thread_local pending count for the one counter it used last and adds it
 * to the counter's shared atomic every 256 increments, when it moves to
 * another counter or reads its own, and, through a pthread_key destructor,
 * when the thread exits. But that last flush goes to whatever counter the
 * thread used last, alive or not: a thread that incremented a counter and
 * then idles (no longer using it) outlives counter_destroy(); when it exits
 * it writes its pending count into freed memory, i.e. into whatever
 * counter malloc() has put there since. That breaks counter.h's "A new
 * counter at zero" and the README's "counters are independent". The crowd
 * check has each of its 96 threads end with 5 increments of an old
 * counter of its own; once all have (none has exited), worker 0 destroys
 * the old counters (after a few spares, so that the freed blocks go where
 * calloc() looks) and makes 96 new ones, which take their memory: after
 * the join the new counters read 5 instead of 0, every run. */
#include "counter.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

#define BATCH 256

struct counter {
    atomic_long value;
};

static _Thread_local counter_t *pend_c;
static _Thread_local long pend_n;

static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void flush(void) {
    if (pend_c && pend_n)
        atomic_fetch_add_explicit(&pend_c->value, pend_n, memory_order_relaxed);
    pend_n = 0;
}

static void at_exit_flush(void *unused) {
    (void)unused;
    flush(); /* the thread's last increments reach the counter before join */
}

static void make_key(void) { LAB_PTHREAD(pthread_key_create(&exit_key, at_exit_flush)); }

counter_t *counter_create(void) {
    pthread_once(&key_once, make_key);
    counter_t *c = lab_calloc(1, sizeof *c);
    atomic_init(&c->value, 0);
    return c;
}

void counter_inc(counter_t *c) {
    if (pend_c != c) {
        flush();
        pend_c = c;
        pthread_setspecific(exit_key, (void *)1); /* so that the destructor runs */
    }
    if (++pend_n >= BATCH)
        flush();
}

long counter_get(counter_t *c) {
    if (pend_c == c)
        flush(); /* my own increments first */
    return atomic_load_explicit(&c->value, memory_order_relaxed);
}

void counter_destroy(counter_t *c) {
    if (pend_c == c) { /* my own pending count dies with it */
        pend_c = NULL;
        pend_n = 0;
    }
    free(c);
}
