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
 * The floor of both ops (impl=floor, floor=pthread_getspecific): the
 * library's per-thread slot, a pthread key, holding a bare session made by
 * the bench: `lookup` is one pthread_getspecific() and the letter's check,
 * `request` the same look-up, the name copied in, and the greeting written
 * with the same two snprintf() calls as the lab's designs.
 *
 *   $ build/labs/10-thread-local/fixed/bench --threads 1,2
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
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

typedef struct {
    char user[SESSION_NAME_MAX];
    char greeting[SESSION_GREETING_MAX];
} floor_session_t;

static pthread_key_t floor_key;

/* The calling thread's floor session, made on its first use (not timed). */
static floor_session_t *floor_session(void) {
    floor_session_t *s = pthread_getspecific(floor_key);
    if (s == NULL) {
        s = calloc(1, sizeof *s);
        if (s == NULL || pthread_setspecific(floor_key, s) != 0)
            abort();
    }
    return s;
}

static void bm_floor_lookup(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    char mine[SESSION_NAME_MAX];
    name_for(gb_thread_index(st), mine);
    memcpy(floor_session()->user, mine, sizeof mine);
    long wrong = 0;
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            const floor_session_t *s = pthread_getspecific(floor_key);
            wrong += s->user[0] != mine[0];
            GB_CLOBBER_MEMORY();
        }
    gb_counter_set(st, "lost_updates", (double)wrong, GB_COUNTER_DEFAULT);
    labbench_thread_end(st, "lookup", gb_iterations_done(st));
}

static void bm_floor_request(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    char mine[SESSION_NAME_MAX];
    name_for(gb_thread_index(st), mine);
    floor_session();
    long wrong = 0;
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            floor_session_t *s = pthread_getspecific(floor_key);
            snprintf(s->user, sizeof s->user, "%s", mine);
            s = pthread_getspecific(floor_key);
            int n = snprintf(s->greeting, sizeof s->greeting, "Hello, ");
            snprintf(s->greeting + n, sizeof s->greeting - (size_t)n, "%s!", s->user);
            wrong += s->greeting[7] != mine[0];
            GB_CLOBBER_MEMORY();
        }
    gb_counter_set(st, "lost_updates", (double)wrong, GB_COUNTER_DEFAULT);
    labbench_thread_end(st, "request", gb_iterations_done(st));
}

void lab_bench_register(const labbench_t *lb) {
    labbench_register(lb, "lookup", bm_lookup, NULL);
    labbench_register(lb, "request", bm_request, NULL);
    if (lb->reference)
        labbench_register(lb, "locked-lookup", bm_locked_lookup, NULL);
    if (lb->floors) {
        if (pthread_key_create(&floor_key, free) != 0)
            abort();
        labbench_register_floor(lb, "lookup-floor", "pthread_getspecific", bm_floor_lookup, NULL);
        labbench_register_floor(lb, "request-floor", "pthread_getspecific", bm_floor_request, NULL);
    }
}
