/* Lab 08, event: the benchmarks. `ping-pong` pairs the threads up (0 with
 * 1, 2 with 3, ...): one sets the other's event and waits on its own, the
 * other answers, so each operation is a wake-up on one event and a
 * wake-up back, and ns per operation is about two wake-up latencies. It
 * needs an even thread count and is registered only for those. `set-wait`
 * has every thread set, wait on and clear an event of its own: the cost of
 * an event when nobody has to sleep. broken.c can lose a wake-up and hang
 * in ping-pong; the harness reports that as a run that did not finish.
 *
 * The floor of both ops (impl=floor, floor=pthread_cond_flag): pthreads has
 * no event object, so the nearest honest floor is the flag the library's
 * primitives make one from, inline here: a pthread mutex, a condition and
 * an int, set with a broadcast (an event wakes every waiter), waited on in
 * a while loop, cleared under the mutex.
 *
 *   $ build/labs/08-event/fixed/bench --threads 1,2
 */
#include <pthread.h>
#include <stdlib.h>

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

typedef struct {
    pthread_mutex_t m;
    pthread_cond_t c;
    int flag;
} __attribute__((aligned(64))) flag_t;

static flag_t flags[MAXT];

static inline void flag_set(flag_t *f) {
    pthread_mutex_lock(&f->m);
    f->flag = 1;
    pthread_cond_broadcast(&f->c);
    pthread_mutex_unlock(&f->m);
}

static inline void flag_wait_clear(flag_t *f) {
    pthread_mutex_lock(&f->m);
    while (!f->flag)
        pthread_cond_wait(&f->c, &f->m);
    pthread_mutex_unlock(&f->m);
    pthread_mutex_lock(&f->m); /* the event's wait and clear are two calls */
    f->flag = 0;
    pthread_mutex_unlock(&f->m);
}

static void bm_floor_ping_pong(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    int t = gb_thread_index(st), n = gb_thread_count(st);
    if (n > MAXT) {
        gb_skip_with_error(st, "too many threads");
        return;
    }
    flag_t *mine = &flags[t], *peer = &flags[t ^ 1];
    if (t == 0)
        for (int i = 0; i < n; i++)
            flags[i].flag = 0;
    int leader = (t & 1) == 0;
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            if (leader) {
                flag_set(peer);
                flag_wait_clear(mine);
            } else {
                flag_wait_clear(mine);
                flag_set(peer);
            }
        }
    labbench_thread_end(st, "ping-pong", gb_iterations_done(st));
}

static void bm_floor_set_wait(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    flag_t *f = &flags[gb_thread_index(st) % MAXT];
    f->flag = 0;
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            flag_set(f);
            flag_wait_clear(f);
        }
    labbench_thread_end(st, "set-wait", gb_iterations_done(st));
}

void lab_bench_register(const labbench_t *lb) {
    if (lb->floors)
        for (int i = 0; i < MAXT; i++)
            if (pthread_mutex_init(&flags[i].m, NULL) || pthread_cond_init(&flags[i].c, NULL))
                abort();
    gb_bench_t *b = NULL;
    for (int k = 0; k < lb->nthreads; k++)
        if (lb->threads[k] % 2 == 0) {
            if (b == NULL)
                b = gb_use_real_time(gb_register("ping-pong", bm_ping_pong, NULL));
            gb_threads(b, lb->threads[k]);
        }
    /* ping-pong's floor runs at the same even thread counts */
    int even[MAXT];
    labbench_t pairs = *lb;
    pairs.threads = even, pairs.nthreads = 0;
    for (int k = 0; k < lb->nthreads && pairs.nthreads < MAXT; k++)
        if (lb->threads[k] % 2 == 0)
            even[pairs.nthreads++] = lb->threads[k];
    if (pairs.nthreads > 0)
        labbench_register_floor(&pairs, "ping-pong-floor", "pthread_cond_flag", bm_floor_ping_pong, NULL);
    labbench_register_floor(lb, "set-wait-floor", "pthread_cond_flag", bm_floor_set_wait, NULL);
    labbench_register(lb, "set-wait", bm_set_wait, NULL);
}
