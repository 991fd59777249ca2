/* Lab 07, condition: the benchmarks. Every thread puts an item and then
 * takes one, as fast as it can, through one shared queue of capacity 1, 16
 * or 1024 (the benchmark's argument). A thread that has put always finds
 * an item to take, so nobody can wait forever, yet with capacity 1 almost
 * every put waits for a get and every get wakes a producer: the cost of
 * sleeping and waking on a condition, against the cheap case where the
 * queue has room.
 *
 * The floor of each capacity (impl=floor, floor=pthread_cond_pair): the C
 * library has no bounded blocking queue, so the nearest honest floor is
 * the textbook one built straight on its primitives, inline here: a ring
 * under one pthread mutex with a condition for "not full" and one for
 * "not empty", each signalled only when someone sleeps on it.
 *
 *   $ build/labs/07-condition/fixed/bench --threads 1,2,4
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "labbench.h"
#include "queue.h"

enum { BATCH = 64 };

static queue_t *shared;
static const int64_t caps[] = {1, 16, 1024};
static char ops[3][16];

static void bm_queue(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    int cap = (int)gb_range_arg(st, 0);
    const char *op = "queue";
    for (int k = 0; k < 3; k++)
        if (caps[k] == cap)
            op = ops[k];
    if (gb_thread_index(st) == 0)
        shared = queue_create(cap);
    long item = gb_thread_index(st), sink = 0;
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            queue_put(shared, item);
            queue_get(shared, &item);
            sink += item;
        }
    GB_DO_NOT_OPTIMIZE(sink);
    if (gb_thread_index(st) == 0)
        queue_destroy(shared);
    labbench_thread_end(st, op, gb_iterations_done(st));
}

static struct {
    pthread_mutex_t m;
    pthread_cond_t not_full, not_empty;
    int cap, head, count, want_room, want_item;
    long *ring;
} fq = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, 0, NULL};

static inline void fq_put(long v) {
    pthread_mutex_lock(&fq.m);
    while (fq.count == fq.cap) {
        fq.want_room++;
        pthread_cond_wait(&fq.not_full, &fq.m);
        fq.want_room--;
    }
    fq.ring[(fq.head + fq.count++) % fq.cap] = v;
    if (fq.want_item)
        pthread_cond_signal(&fq.not_empty);
    pthread_mutex_unlock(&fq.m);
}

static inline long fq_get(void) {
    pthread_mutex_lock(&fq.m);
    while (fq.count == 0) {
        fq.want_item++;
        pthread_cond_wait(&fq.not_empty, &fq.m);
        fq.want_item--;
    }
    long v = fq.ring[fq.head];
    fq.head = (fq.head + 1) % fq.cap;
    fq.count--;
    if (fq.want_room)
        pthread_cond_signal(&fq.not_full);
    pthread_mutex_unlock(&fq.m);
    return v;
}

static void bm_floor(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    int cap = (int)gb_range_arg(st, 0);
    const char *op = "queue";
    for (int k = 0; k < 3; k++)
        if (caps[k] == cap)
            op = ops[k];
    if (gb_thread_index(st) == 0) {
        fq.ring = calloc((size_t)cap, sizeof *fq.ring);
        if (fq.ring == NULL)
            abort();
        fq.cap = cap, fq.head = 0, fq.count = 0;
    }
    long item = gb_thread_index(st), sink = 0;
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            fq_put(item);
            item = fq_get();
            sink += item;
        }
    GB_DO_NOT_OPTIMIZE(sink);
    if (gb_thread_index(st) == 0)
        free(fq.ring); /* after the stop barrier */
    labbench_thread_end(st, op, gb_iterations_done(st));
}

void lab_bench_register(const labbench_t *lb) {
    for (int k = 0; k < 3; k++)
        snprintf(ops[k], sizeof ops[k], "capacity-%d", (int)caps[k]);
    gb_args_list(labbench_register(lb, "queue", bm_queue, NULL), caps, 3);
    gb_bench_t *f = labbench_register_floor(lb, "queue-floor", "pthread_cond_pair", bm_floor, NULL);
    if (f)
        gb_args_list(f, caps, 3);
}
