/* Wrong: counter_get() must not make readers wait behind incrementers, so
 * it tries the lock and, when an incrementer holds it, returns the value
 * read without the lock ("a slightly stale value is fine"). Under
 * contention that plain read runs beside a locked write of the same field:
 * a data race, against the README's "calls from many threads are free of
 * data races (inc and get ...)" and its hint "That read is a data race too,
 * even though it writes nothing". The race-free check's turns never meet a
 * held lock, so it first holds a looping incrementer still with a signal
 * (lab_hold_thread; under TSan it lands as a lock call returns, often
 * inside the critical section) while a reader calls counter_get(), 200
 * rounds, told and answered through relaxed atomics: the read that gave up
 * on the lock races with the held increment's write, and ThreadSanitizer
 * reports it, every run. */
#include "counter.h"

#include <errno.h>
#include <stdlib.h>

#include "lab.h"

struct counter {
    pthread_mutex_t lock;
    long value;
};

counter_t *counter_create(void) {
    counter_t *c = lab_calloc(1, sizeof *c);
    lab_mutex_init(&c->lock, NULL);
    return c;
}

void counter_inc(counter_t *c) {
    lab_mutex_lock(&c->lock);
    long v = c->value;
    lab_pause();
    c->value = v + 1;
    lab_mutex_unlock(&c->lock);
}

long counter_get(counter_t *c) {
    int rc = pthread_mutex_trylock(&c->lock);
    if (rc == EBUSY)
        return c->value; /* busy: don't wait, the last value will do */
    if (rc != 0)
        lab_pthread_die(rc, "pthread_mutex_trylock", __FILE__, __LINE__);
    long v = c->value;
    lab_mutex_unlock(&c->lock);
    return v;
}

void counter_destroy(counter_t *c) {
    lab_mutex_destroy(&c->lock);
    free(c);
}
