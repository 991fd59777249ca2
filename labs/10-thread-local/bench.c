/* Lab 10, thread-local: the benchmarks. Every thread first sets a user of
 * its own (its name starts with a letter no other thread's does), then:
 *   lookup    session_user(), and a look at the name's first letter
 *   request   session_set_user() and session_greeting(): a request's start
 * A thread that finds another thread's letter counts a wrong answer, which
 * the table shows in its "lost updates" column: broken.c, with one user for
 * the process, answers wrongly for all but the thread that set it last.
 *
 * In fixed's binary, `locked-lookup` times the design thread-local storage
 * replaces: each thread's user in one global table keyed by thread id,
 * behind one mutex (baseline.h).
 *
 *   $ build/labs/10-thread-local/fixed/bench --threads 1,2
 */
#include <string.h>

#include "baseline.h"
#include "labbench.h"
#include "session.h"

enum { BATCH = 256 };

/* A user name per thread, told apart by its first letter. */
static void name_for(int t, char *name) { snprintf(name, SESSION_NAME_MAX, "%c-user-%d", 'A' + t % 26, t); }

static void bm_lookup(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    char mine[SESSION_NAME_MAX];
    name_for(gb_thread_index(st), mine);
    session_set_user(mine);
    long wrong = 0;
    /* The clobber makes every look-up a real one, as separate calls in a
     * program are: without it the optimiser could hoist it out of the loop. */
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            const char *u = session_user();
            wrong += u == NULL || u[0] != mine[0];
            GB_CLOBBER_MEMORY();
        }
    gb_counter_set(st, "lost_updates", (double)wrong, GB_COUNTER_DEFAULT);
    labbench_thread_end(st, "lookup", gb_iterations_done(st));
}

static void bm_request(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    char mine[SESSION_NAME_MAX];
    name_for(gb_thread_index(st), mine);
    long wrong = 0;
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            session_set_user(mine);
            const char *g = session_greeting(); /* "Hello, " then the name */
            wrong += g[7] != mine[0];
            GB_CLOBBER_MEMORY();
        }
    gb_counter_set(st, "lost_updates", (double)wrong, GB_COUNTER_DEFAULT);
    labbench_thread_end(st, "request", gb_iterations_done(st));
}

static locked_table_t table = {.m = PTHREAD_MUTEX_INITIALIZER};

static void bm_locked_lookup(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    char mine[SESSION_NAME_MAX], got[SESSION_NAME_MAX];
    name_for(gb_thread_index(st), mine);
    locked_set_user(&table, mine);
    long wrong = 0;
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            wrong += !locked_user(&table, got) || got[0] != mine[0];
            GB_CLOBBER_MEMORY();
        }
    locked_leave(&table);
    gb_counter_set(st, "lost_updates", (double)wrong, GB_COUNTER_DEFAULT);
    labbench_thread_end(st, "locked-lookup", gb_iterations_done(st));
}

void lab_bench_register(const labbench_t *lb) {
    labbench_register(lb, "lookup", bm_lookup, NULL);
    labbench_register(lb, "request", bm_request, NULL);
    if (lb->reference)
        labbench_register(lb, "locked-lookup", bm_locked_lookup, NULL);
}
