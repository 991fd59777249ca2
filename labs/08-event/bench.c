/* Lab 08, event: the benchmarks. `ping-pong` pairs the threads up (0 with
 * 1, 2 with 3, ...): one sets the other's event and waits on its own, the
 * other answers, so each operation is a wake-up on one event and a
 * wake-up back, and ns per operation is about two wake-up latencies. It
 * needs an even thread count and is registered only for those. `set-wait`
 * has every thread set, wait on and clear an event of its own: the cost of
 * an event when nobody has to sleep. broken.c can lose a wake-up and hang
 * in ping-pong; the harness reports that as a run that did not finish.
 *
 *   $ build/labs/08-event/fixed/bench --threads 1,2
 */
#include "event.h"
#include "labbench.h"

enum { MAXT = 256, BATCH = 16 };

static event_t *ev[MAXT];

static void bm_ping_pong(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    int t = gb_thread_index(st), n = gb_thread_count(st);
    if (n > MAXT) {
        gb_skip_with_error(st, "too many threads");
        return;
    }
    if (t == 0)
        for (int i = 0; i < n; i++)
            ev[i] = event_create();
    event_t *mine = NULL, *peer = NULL;
    int leader = (t & 1) == 0;
    while (gb_keep_running_batch(st, BATCH)) {
        if (mine == NULL) { /* inside the loop: thread 0 made the events before its start barrier */
            mine = ev[t];
            peer = ev[t ^ 1];
        }
        for (int i = 0; i < BATCH; i++) {
            if (leader) {
                event_set(peer);
                event_wait(mine, -1);
                event_clear(mine);
            } else {
                event_wait(mine, -1);
                event_clear(mine);
                event_set(peer);
            }
        }
    }
    int64_t done = gb_iterations_done(st);
    labbench_thread_end(st, "ping-pong", done);
}

/* Each thread's own event: destroyed by its owner after the loop. */
static void bm_set_wait(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    event_t *e = event_create();
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            event_set(e);
            event_wait(e, -1);
            event_clear(e);
        }
    event_destroy(e);
    labbench_thread_end(st, "set-wait", gb_iterations_done(st));
}

void lab_bench_register(const labbench_t *lb) {
    gb_bench_t *b = NULL;
    for (int k = 0; k < lb->nthreads; k++)
        if (lb->threads[k] % 2 == 0) {
            if (b == NULL)
                b = gb_use_real_time(gb_register("ping-pong", bm_ping_pong, NULL));
            gb_threads(b, lb->threads[k]);
        }
    labbench_register(lb, "set-wait", bm_set_wait, NULL);
}
