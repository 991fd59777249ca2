/* Lab 11, reader-writer lock: the benchmarks. Every thread looks keys up
 * in one shared table of 4096 numbers (a read: count the entries equal to
 * the key, a scan of 16 KiB) and now and then changes an entry (a write). The
 * mixes are `read100` (reads only), `read99`, `read90` and `read50`: the
 * percentage of operations that are reads. Each is timed with the
 * implementation's reader-writer lock around the table; in fixed's binary,
 * `mutex-readNN` times the same mixes with one plain pthread mutex, which
 * lets one thread in at a time, reader or writer. A reader-writer lock pays
 * off only when readers really overlap: many reads, a read section long
 * enough to be worth sharing, and more than one CPU.
 *
 * The floor of each readNN (impl=floor, floor=pthread_rwlock_prefer_writer):
 * the same loop around the library's own reader-writer lock, of the kind
 * rwlock.h asks for (a waiting writer gets in while readers keep coming):
 * PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP. alt-pthread.c wraps the
 * same primitive behind the lab's API.
 *
 *   $ build/labs/11-rwlock/fixed/bench --threads 1,2 --benchmark_filter=read99
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "labbench.h"
#include "rwlock.h"

enum { TABLE = 4096, BATCH = 16 };

typedef struct {
    int pct; /* reads per hundred operations */
    char rw_name[16], mutex_name[24], floor_name[24];
} mix_t;

static mix_t mixes[] = {{100, "", "", ""}, {99, "", "", ""}, {90, "", "", ""}, {50, "", "", ""}};

static rwlock_t *rw;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int table[TABLE];

/* The read section: how many entries hold `key`. */
static inline int lookup(int key) {
    int hits = 0;
    for (int i = 0; i < TABLE; i++)
        hits += table[i] == key;
    return hits;
}

/* A per-thread xorshift: which operation, which key, which entry. */
static inline uint32_t next(uint32_t *x) {
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

/* Thread 0 sets up before the loop's start barrier, so every thread sees
 * the table (and the lock) ready. */
static void setup(gb_state_t *st, int with_rwlock) {
    if (gb_thread_index(st) == 0) {
        if (with_rwlock)
            rw = rwlock_create();
        for (int i = 0; i < TABLE; i++)
            table[i] = i % 251;
    }
}

static void bm_rwlock(gb_state_t *st, void *arg) {
    const mix_t *m = arg;
    labbench_thread_begin(st);
    setup(st, 1);
    uint32_t x = 2463534242u + 977u * (uint32_t)gb_thread_index(st);
    long sink = 0;
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            uint32_t r = next(&x);
            if ((int)(r % 100) < m->pct) {
                rwlock_rdlock(rw);
                sink += lookup((int)(r >> 8) % 251);
                rwlock_rdunlock(rw);
            } else {
                rwlock_wrlock(rw);
                table[(r >> 8) % TABLE] = (int)(r >> 20) % 251;
                rwlock_wrunlock(rw);
            }
        }
    GB_DO_NOT_OPTIMIZE(sink);
    int64_t done = gb_iterations_done(st);
    labbench_thread_end(st, m->rw_name, done);
    if (gb_thread_index(st) == 0)
        rwlock_destroy(rw); /* the loop ends at a barrier: nobody uses it now */
}

static void bm_mutex(gb_state_t *st, void *arg) {
    const mix_t *m = arg;
    labbench_thread_begin(st);
    setup(st, 0);
    uint32_t x = 2463534242u + 977u * (uint32_t)gb_thread_index(st);
    long sink = 0;
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            uint32_t r = next(&x);
            pthread_mutex_lock(&mu);
            if ((int)(r % 100) < m->pct)
                sink += lookup((int)(r >> 8) % 251);
            else
                table[(r >> 8) % TABLE] = (int)(r >> 20) % 251;
            pthread_mutex_unlock(&mu);
        }
    GB_DO_NOT_OPTIMIZE(sink);
    int64_t done = gb_iterations_done(st);
    labbench_thread_end(st, m->mutex_name, done);
}

static pthread_rwlock_t floor_rw;

static void bm_floor(gb_state_t *st, void *arg) {
    const mix_t *m = arg;
    labbench_thread_begin(st);
    setup(st, 0);
    uint32_t x = 2463534242u + 977u * (uint32_t)gb_thread_index(st);
    long sink = 0;
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            uint32_t r = next(&x);
            if ((int)(r % 100) < m->pct) {
                pthread_rwlock_rdlock(&floor_rw);
                sink += lookup((int)(r >> 8) % 251);
                pthread_rwlock_unlock(&floor_rw);
            } else {
                pthread_rwlock_wrlock(&floor_rw);
                table[(r >> 8) % TABLE] = (int)(r >> 20) % 251;
                pthread_rwlock_unlock(&floor_rw);
            }
        }
    GB_DO_NOT_OPTIMIZE(sink);
    labbench_thread_end(st, m->rw_name, gb_iterations_done(st));
}

void lab_bench_register(const labbench_t *lb) {
    if (lb->floors) {
        pthread_rwlockattr_t a;
        if (pthread_rwlockattr_init(&a) ||
            pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP) ||
            pthread_rwlock_init(&floor_rw, &a) || pthread_rwlockattr_destroy(&a))
            abort();
    }
    for (size_t k = 0; k < sizeof mixes / sizeof mixes[0]; k++) {
        mix_t *m = &mixes[k];
        snprintf(m->rw_name, sizeof m->rw_name, "read%d", m->pct);
        snprintf(m->mutex_name, sizeof m->mutex_name, "mutex-read%d", m->pct);
        labbench_register(lb, m->rw_name, bm_rwlock, m);
        if (lb->reference)
            labbench_register(lb, m->mutex_name, bm_mutex, m);
        snprintf(m->floor_name, sizeof m->floor_name, "read%d-floor", m->pct);
        labbench_register_floor(lb, m->floor_name, "pthread_rwlock_prefer_writer", bm_floor, m);
    }
}
