/* Lab 06, semaphore: the benchmarks. Every thread takes a connection from a
 * shared pool, touches it, and gives it back, as fast as it can; the pool
 * holds 1, 2, 4 or 8 connections (the benchmark's argument). With fewer
 * connections than threads, users queue and the cost of sleeping and
 * waking shows; with more, only the bookkeeping is left. fixed.c (sem_t)
 * and alt-condvar.c (mutex + condition) are timed alike; broken.c spins
 * and can hand one connection to two users, which thread 0 counts.
 *
 * The floor of each size (impl=floor, floor=sem_t): a bare POSIX counting
 * semaphore for the count, and an atomic exchange over the slots' busy
 * flags to pick which connection (a free one always exists once sem_wait
 * has returned): the least a pool that names its connections can do on
 * the library's own counting primitive.
 *
 *   $ build/labs/06-semaphore/fixed/bench --threads 1,2,4
 */
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "labbench.h"
#include "pool.h"

enum { BATCH = 64, MAXCONN = 8 };

static pool_t *shared;
static atomic_int held[MAXCONN];
static atomic_long twice;
static const int64_t sizes[] = {1, 2, 4, 8};
static char ops[4][16];

/* The op's name for a pool of `size` (ops[] is filled at registration). */
static const char *op_for(int size) {
    for (int k = 0; k < 4; k++)
        if (sizes[k] == size)
            return ops[k];
    return "pool";
}

static void bm_pool(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    int size = (int)gb_range_arg(st, 0);
    const char *op = op_for(size);
    if (gb_thread_index(st) == 0) {
        shared = pool_create(size);
        atomic_store(&twice, 0);
    }
    long mine = 0;
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            int c = pool_acquire(shared);
            if (c >= 0 && c < MAXCONN) {
                mine += atomic_exchange(&held[c], 1); /* someone else has it: counted */
                atomic_store(&held[c], 0);
            }
            pool_release(shared, c);
        }
    atomic_fetch_add(&twice, mine);
    if (gb_thread_index(st) == 0) {
        /* other threads may still be adding theirs: the count is a lower bound */
        gb_counter_set(st, "lost_updates", (double)atomic_load(&twice), GB_COUNTER_DEFAULT);
        pool_destroy(shared);
    }
    labbench_thread_end(st, op, gb_iterations_done(st));
}

static sem_t floor_sem;
static atomic_int floor_busy[MAXCONN];

static void bm_floor(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    int size = (int)gb_range_arg(st, 0);
    const char *op = op_for(size);
    if (gb_thread_index(st) == 0) {
        if (sem_init(&floor_sem, 0, (unsigned)size) != 0)
            abort();
        for (int c = 0; c < MAXCONN; c++)
            atomic_store(&floor_busy[c], 0);
        atomic_store(&twice, 0);
    }
    long mine = 0;
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            while (sem_wait(&floor_sem) != 0) /* only EINTR */
                ;
            int c = 0;
            while (atomic_exchange_explicit(&floor_busy[c], 1, memory_order_acquire))
                c = c + 1 == size ? 0 : c + 1;
            mine += atomic_exchange(&held[c], 1); /* the same touch as the pool's users */
            atomic_store(&held[c], 0);
            atomic_store_explicit(&floor_busy[c], 0, memory_order_release);
            sem_post(&floor_sem);
        }
    atomic_fetch_add(&twice, mine);
    if (gb_thread_index(st) == 0) {
        gb_counter_set(st, "lost_updates", (double)atomic_load(&twice), GB_COUNTER_DEFAULT);
        sem_destroy(&floor_sem); /* after the stop barrier: nobody waits on it */
    }
    labbench_thread_end(st, op, gb_iterations_done(st));
}

void lab_bench_register(const labbench_t *lb) {
    for (int k = 0; k < 4; k++)
        snprintf(ops[k], sizeof ops[k], "pool-of-%d", (int)sizes[k]);
    gb_args_list(labbench_register(lb, "pool", bm_pool, NULL), sizes, 4);
    gb_bench_t *f = labbench_register_floor(lb, "pool-floor", "sem_t", bm_floor, NULL);
    if (f)
        gb_args_list(f, sizes, 4);
}
