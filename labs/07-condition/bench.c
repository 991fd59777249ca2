/* Lab 07, condition: the benchmarks. Every thread puts an item and then
 * takes one, as fast as it can, through one shared queue of capacity 1, 16
 * or 1024 (the benchmark's argument). A thread that has put always finds
 * an item to take, so nobody can wait forever, yet with capacity 1 almost
 * every put waits for a get and every get wakes a producer: the cost of
 * sleeping and waking on a condition, against the cheap case where the
 * queue has room.
 *
 *   $ build/labs/07-condition/fixed/bench --threads 1,2,4
 */
#include <stdio.h>

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

void lab_bench_register(const labbench_t *lb) {
    for (int k = 0; k < 3; k++)
        snprintf(ops[k], sizeof ops[k], "capacity-%d", (int)caps[k]);
    gb_args_list(labbench_register(lb, "queue", bm_queue, NULL), caps, 3);
}
