/* Lab 06, semaphore: the torture driver. One check per run: 10 users share
 * a pool of 3 connections, as in the course.
 *
 *   $ build/labs/06-semaphore/broken/test at-most
 *   FAIL: at most 3 of 10 users hold a connection at once / 5 did (check at-most, seed 31)
 *   $ build/labs/06-semaphore/fixed/test idle-wait
 *   ok: idle-wait: 3 users waited for a busy pool; the busiest ran or was runnable 1% of its wait (0.000 s of CPU)
 */
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "lab.h"
#include "pool.h"

#define STALL_S 1.0
#define STALL_REASON "a user never got a connection in 1 s"

enum { SIZE = 3, USERS = 10 };

static void check_single(const lab_opts_t *o) {
    (void)o;
    pool_t *p = pool_create(SIZE);
    int seen[SIZE] = {0}, conn[SIZE];
    for (int i = 0; i < SIZE; i++) {
        conn[i] = pool_acquire(p);
        if (conn[i] < 0 || conn[i] >= SIZE || seen[conn[i]]++)
            lab_fail("%d acquires give the connections 0..%d once each / acquire %d gave %d", SIZE, SIZE - 1,
                     i + 1, conn[i]);
    }
    for (int i = 0; i < SIZE; i++)
        pool_release(p, conn[i]);
    for (int round = 0; round < 1000; round++) {
        int c = pool_acquire(p);
        if (c < 0 || c >= SIZE)
            lab_fail("a connection numbered 0..%d / got %d", SIZE - 1, c);
        pool_release(p, c);
    }
    pool_destroy(p);
    lab_pass("one user: %d distinct connections, given back and taken again 1000 times", SIZE);
}

/* Two pools of SIZE are used at once, half the users on each: a pool
 * that keeps its count or its free list in a static variable mixes them
 * up. Holders and hand-outs are counted per pool by the driver, while the
 * users are inside, never taken from the pool's word. */
enum { POOLS = 2 };

typedef struct {
    pool_t *p[POOLS];
    long rounds;
    atomic_int holders[POOLS], most[POOLS];
    atomic_int held[POOLS][SIZE]; /* who holds each connection */
    _Atomic long served;
    atomic_int bad_conn, twice; /* out-of-range numbers; double hand-outs */
    long queries[POOLS][SIZE];  /* each connection's own state: plain, so only the pool orders its users */
} room_t;

static void user(const lab_worker_t *w) {
    room_t *r = w->arg;
    int k = w->index % POOLS;
    for (long i = 0; i < r->rounds; i++) {
        int c = pool_acquire(r->p[k]);
        int now = atomic_fetch_add(&r->holders[k], 1) + 1;
        for (int m = atomic_load(&r->most[k]); now > m && !atomic_compare_exchange_weak(&r->most[k], &m, now);)
            ;
        if (c < 0 || c >= SIZE) {
            atomic_store(&r->bad_conn, c == 0 ? -1 : c); /* never 0: 0 means none seen */
            atomic_fetch_sub(&r->holders[k], 1);
            atomic_fetch_add(&r->served, 1);
            continue;
        }
        if (atomic_exchange(&r->held[k][c], 1) != 0)
            atomic_fetch_add(&r->twice, 1);
        lab_pause(); /* the query */
        atomic_store(&r->held[k][c], 0);
        atomic_fetch_sub(&r->holders[k], 1);
        /* After the driver's own atomics, so that nothing but the pool makes
         * the previous user's write happen before ours: a pool that hands a
         * connection on without ordering the two (a relaxed flag) is a data
         * race here, which the ThreadSanitizer build reports. */
        r->queries[k][c]++;
        pool_release(r->p[k], c);
        atomic_fetch_add_explicit(&r->served, 1, memory_order_relaxed);
    }
}

static void crowd(room_t *r, int users, long rounds) {
    for (int k = 0; k < POOLS; k++) {
        r->p[k] = pool_create(SIZE);
        atomic_init(&r->holders[k], 0);
        atomic_init(&r->most[k], 0);
        for (int c = 0; c < SIZE; c++)
            atomic_init(&r->held[k][c], 0);
    }
    memset(r->queries, 0, sizeof r->queries);
    r->rounds = rounds;
    atomic_init(&r->served, 0);
    atomic_init(&r->bad_conn, 0);
    atomic_init(&r->twice, 0);
    lab_stall_t *s = lab_stall_watch(&r->served, STALL_S, STALL_REASON);
    lab_threads_run(users, user, r);
    lab_stall_stop(s);
    if (atomic_load(&r->bad_conn) != 0)
        lab_fail("connection numbers 0..%d / got %d", SIZE - 1, atomic_load(&r->bad_conn));
    if (atomic_load(&r->served) != users * rounds)
        lab_fail("%ld requests served / %ld", users * rounds, (long)atomic_load(&r->served));
}

static int crowd_most(room_t *r) {
    int most = 0;
    for (int k = 0; k < POOLS; k++)
        if (atomic_load(&r->most[k]) > most)
            most = atomic_load(&r->most[k]);
    return most;
}

static void crowd_end(room_t *r) {
    for (int k = 0; k < POOLS; k++)
        pool_destroy(r->p[k]);
}

static void check_at_most(const lab_opts_t *o) {
    int users = lab_opt_threads(o, 2 * USERS);
    room_t r;
    crowd(&r, users, lab_opt_iters(o, 200));
    if (crowd_most(&r) > SIZE)
        lab_fail("at most %d of %d users hold a connection of one pool at once / %d did", SIZE, users / POOLS,
                 crowd_most(&r));
    crowd_end(&r);
    lab_pass("2 pools, %d users each x %ld requests on %d connections: never more than %d at once, all served",
             users / POOLS, r.rounds, SIZE, SIZE);
}

static void check_no_double(const lab_opts_t *o) {
    int users = lab_opt_threads(o, 2 * USERS);
    room_t r;
    crowd(&r, users, lab_opt_iters(o, 200));
    if (atomic_load(&r.twice) != 0)
        lab_fail("no connection held by two users at once / it happened %d times", atomic_load(&r.twice));
    crowd_end(&r);
    lab_pass("2 pools, %d users each x %ld requests: no connection ever held twice, all served", users / POOLS,
             r.rounds);
}

typedef struct {
    pool_t *p;
    double cpu[USERS], busy[USERS], wall[USERS];
    _Atomic long served;
} idle_t;

static void waiter(const lab_worker_t *w) {
    idle_t *x = w->arg;
    double c0 = lab_thread_cpu(), b0 = lab_thread_busy(), t0 = lab_now();
    int c = pool_acquire(x->p);
    x->busy[w->index] = lab_thread_busy() - b0;
    x->cpu[w->index] = lab_thread_cpu() - c0;
    x->wall[w->index] = lab_now() - t0;
    pool_release(x->p, c);
    atomic_fetch_add(&x->served, 1);
}

static void *hold_then_release(void *arg) {
    idle_t *x = arg;
    int c = pool_acquire(x->p);
    atomic_fetch_add(&x->served, 1);
    struct timespec ts = {0, 300 * 1000 * 1000};
    nanosleep(&ts, NULL);
    pool_release(x->p, c);
    return NULL;
}

/* A pool of 1 held for 300 ms while 3 users wait: waiting must sleep. What
 * is judged is the time each waiter spent running or runnable (waiting for
 * a CPU), from the scheduler's account: a sleeping waiter has almost none
 * (its wake-up, a few ms at most on a busy machine), a spinning one all of
 * its wait, idle or loaded, with or without sched_yield() in the loop (a
 * yielding spinner on a busy machine gets little CPU time, so CPU time
 * alone would let it pass). The bound is a quarter of the wait. */
static void check_idle_wait(const lab_opts_t *o) {
    int users = lab_opt_threads(o, 3);
    if (users > USERS)
        users = USERS;
    idle_t x = {.p = pool_create(1)};
    atomic_init(&x.served, 0);
    pthread_t holder;
    lab_thread_create(&holder, NULL, hold_then_release, &x);
    while (atomic_load(&x.served) == 0) /* the holder has the connection */
        sched_yield();
    lab_stall_t *s = lab_stall_watch(&x.served, STALL_S, STALL_REASON);
    lab_threads_run(users, waiter, &x);
    lab_stall_stop(s);
    lab_thread_join(holder, NULL);
    double worst = -1, wall = 0, cpu = 0;
    for (int i = 0; i < users; i++)
        if (x.busy[i] / x.wall[i] > worst)
            worst = x.busy[i] / x.wall[i], wall = x.wall[i], cpu = x.cpu[i];
    if (worst > 0.25)
        lab_fail("a user waiting for a full pool sleeps (running or waiting for a CPU < 25%% of the wait) / "
                 "one was for %.3f s of a %.3f s wait (%.3f s of it on a CPU): it spins",
                 worst * wall, wall, cpu);
    pool_destroy(x.p);
    lab_pass("%d users waited for a busy pool; the busiest ran or was runnable %.0f%% of its wait (%.3f s of "
             "CPU)",
             users, 100 * worst, cpu);
}

/* Short and unpaused, for the ThreadSanitizer build. */
static void check_race_free(const lab_opts_t *o) {
    room_t r;
    crowd(&r, lab_opt_threads(o, 8), lab_opt_iters(o, 2000));
    crowd_end(&r);
    lab_pass("users sharing the pool: all served");
}

static const lab_check_t checks[] = {
    {"single", "one user: distinct connections, taken and given back", check_single, LAB_PAUSE_OFF},
    {"at-most", "2 pools of 3, 10 users x 200 requests on each: at most 3 inside a pool", check_at_most,
     LAB_PAUSE_RANDOM},
    {"no-double", "2 pools of 3, 10 users x 200 requests on each: no connection held twice", check_no_double,
     LAB_PAUSE_RANDOM},
    {"idle-wait", "users waiting for a full pool sleep instead of spinning", check_idle_wait, LAB_PAUSE_OFF},
    {"race-free", "short concurrent run for the ThreadSanitizer build", check_race_free, LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
