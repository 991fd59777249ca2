/* Lab 16, pools: the torture driver. One check per run. Tasks count their
 * own runs, so a task that ran twice, never ran, or was read before it
 * finished is named; a pool that stops making progress is reported after
 * 1 s with that reason, never waited out.
 *
 *   $ build/labs/16-pools/broken/test future-waits
 *   FAIL: future_get() of a running task waits for its value 4242 / it returned 0 while the task was still running: read before its task finished (check future-waits, seed 5)
 *   $ build/labs/16-pools/fixed/test exactly-once
 *   ok: exactly-once: 3000 tasks from 4 threads on 3 workers: each ran exactly once, and each future held its value when read
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "pool.h"

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- tasks ---------------------------------------------------------------------- */

/* The value task i must return: never 0, so a result field that was never
 * written cannot pass for one. */
static long expect_of(long i) { return (i * 2654435761L) % 1000003L + 1; }

/* Every run of any counting task, for the stall watchdog. */
static _Atomic long ran_total;

typedef struct {
    long index;
    _Atomic long runs;
} item_t;

static long count_task(void *arg) {
    item_t *it = arg;
    atomic_fetch_add(&it->runs, 1);
    atomic_fetch_add(&ran_total, 1);
    lab_pause(); /* the task's own work: it is running, not yet done */
    return expect_of(it->index);
}

static item_t *items_new(long n) {
    item_t *items = lab_calloc((size_t)n, sizeof *items);
    for (long i = 0; i < n; i++) {
        items[i].index = i;
        atomic_init(&items[i].runs, 0);
    }
    return items;
}

/* A gate the driver holds shut: tasks behind it stay RUNNING until it opens. */
typedef struct {
    pthread_mutex_t m;
    pthread_cond_t c;
    int started, open;
} gate_t;

typedef struct {
    gate_t *gate;
    long value;
} gated_t;

static void gate_init(gate_t *g) {
    lab_mutex_init(&g->m, NULL);
    lab_cond_init(&g->c, NULL);
    g->started = g->open = 0;
}

static void gate_destroy(gate_t *g) {
    lab_cond_destroy(&g->c);
    lab_mutex_destroy(&g->m);
}

static void gate_open(gate_t *g) {
    lab_mutex_lock(&g->m);
    g->open = 1;
    lab_cond_broadcast(&g->c);
    lab_mutex_unlock(&g->m);
}

static int gate_is_open(gate_t *g) {
    lab_mutex_lock(&g->m);
    int v = g->open;
    lab_mutex_unlock(&g->m);
    return v;
}

/* Until n tasks are inside the gate (they are RUNNING then). */
static void gate_wait_started(gate_t *g, int n) {
    lab_mutex_lock(&g->m);
    while (g->started < n)
        lab_cond_wait(&g->c, &g->m);
    lab_mutex_unlock(&g->m);
}

static long gated_task(void *arg) {
    gated_t *t = arg;
    gate_t *g = t->gate;
    lab_mutex_lock(&g->m);
    g->started++;
    lab_cond_broadcast(&g->c);
    while (!g->open)
        lab_cond_wait(&g->c, &g->m);
    lab_mutex_unlock(&g->m);
    return t->value;
}

/* Opens a gate after a while, from a thread of its own. */
typedef struct {
    gate_t *gate;
    long ms;
    pthread_t tid;
} opener_t;

static void *opener_main(void *arg) {
    opener_t *o = arg;
    sleep_ms(o->ms);
    gate_open(o->gate);
    return NULL;
}

static void opener_start(opener_t *o, gate_t *g, long ms) {
    o->gate = g;
    o->ms = ms;
    lab_thread_create(&o->tid, NULL, opener_main, o);
}

/* A task that notes its place among the tasks that started. */
typedef struct {
    _Atomic int *next;
    int place;
} ordered_t;

static long ordered_task(void *arg) {
    ordered_t *t = arg;
    t->place = atomic_fetch_add(t->next, 1);
    return t->place + 1;
}

/* Polls until f's state is `want`: the driver's own patience is 5 s. */
static void wait_state(future_t *f, future_state_t want, const char *expected) {
    double until = lab_now() + 5.0;
    future_state_t s;
    while ((s = future_state(f)) != want) {
        if (lab_now() > until)
            lab_fail("%s / after 5 s the future is still in state %d", expected, (int)s);
        sleep_ms(1);
    }
}

/* pool_shutdown() under a stall watchdog: a worker asleep through the
 * shutdown, or one that never leaves, is named after 1 s. */
static void shutdown_watched(pool_t *p, int wait) {
    lab_stall_t *st = lab_stall_watch(
        &ran_total, 1.0, "pool never finished: pool_shutdown() never returned (a worker asleep through it?)");
    pool_shutdown(p, wait);
    lab_stall_stop(st);
}

static const char *state_name(future_state_t s) {
    switch (s) {
    case FUTURE_PENDING: return "PENDING";
    case FUTURE_RUNNING: return "RUNNING";
    case FUTURE_DONE: return "DONE";
    case FUTURE_CANCELLED: return "CANCELLED";
    }
    return "not a state";
}

#define EXPECT_STATE(want, f, what)                                                                \
    do {                                                                                           \
        future_state_t s_ = future_state(f);                                                       \
        if (s_ != (want))                                                                          \
            lab_fail("%s is %s / it is %s", (what), state_name(want), state_name(s_));             \
    } while (0)

/* ---- the pool's headcount ------------------------------------------------------ */

/* pool.h: a pool of N is N worker threads, all started before pool_create()
 * returns, until pool_shutdown(). `expect` is the process's thread count
 * before the pool was created, plus N. Counted once every thread sleeps
 * (the pool idle between rounds), so a worker that left is gone from
 * /proc/self/task; a thread still on its way out only counts high, which
 * never fails a pool. */
static void headcount_check(int expect, int workers, const char *when) {
    if (expect < 0)
        return; /* no /proc */
    lab_others_asleep(2.0);
    int now = lab_thread_count();
    if (now >= 0 && now < expect)
        lab_fail("a pool of %d keeps its %d worker threads while it lives (pool.h) / %s, %d of them had "
                 "ended: a worker woken to find the queue empty must wait again, and leave only once "
                 "pool_shutdown() has begun",
                 workers, workers, when, expect - now);
}

/* pool.h: pool_create() returns a pool whose workers are "all started
 * before it returns". Counted at once, before any task is submitted: a pool
 * that starts its workers lazily (one per submit that finds nobody idle, as
 * ThreadPoolExecutor does) has none yet, every run. `before` is the count
 * taken just before pool_create() at the start of a check, when no thread
 * has ended lately: one still on its way out would only count high. */
static void created_check(int before, int workers) {
    if (before < 0)
        return; /* no /proc */
    int now = lab_thread_count();
    if (now >= 0 && now < before + workers)
        lab_fail("pool_create(%d) starts all %d workers before it returns (pool.h) / right after it returned, "
                 "before any submit, the process had %d more thread%s: workers started later, by the "
                 "submits?",
                 workers, workers, now - before, now - before == 1 ? "" : "s");
}

/* ---- submit returns at once ---------------------------------------------------- */

/* pool.h: pool_submit() queues the task "and return[s] its future at once",
 * from any thread, tasks included. A queue with room for a fixed number of
 * tasks, whose submit waits for a slot when it is full, breaks that as soon
 * as more tasks are queued than it holds while the workers are busy: the
 * submitter waits for the workers, and a task that submits into its own pool
 * of one waits for itself for ever. MANY_QUEUED is ten times what any other
 * check queues, past a ring of 8192; more would cost seconds in the grader's
 * build, where every mutex and condition a future initialises is looked up
 * in /proc/self/maps (labs/common/perturb.c). */
enum { MANY_QUEUED = 10000 };

/* Submits returned and futures read: the stall watchdog's progress. */
static _Atomic long submitted;

typedef struct {
    pool_t *p;
    item_t *items;
    future_t **fs;
    long n;
} spawner_t;

/* A task that submits n tasks into its own pool and returns. */
static long spawner_task(void *arg) {
    spawner_t *s = arg;
    for (long i = 0; i < s->n; i++) {
        s->fs[i] = pool_submit(s->p, count_task, &s->items[i]);
        atomic_fetch_add(&submitted, 1);
    }
    return s->n;
}

/* Reads and frees n futures of count_task on items[0..n-1], each once
 * future_done() says 1 (a get that waits would cost two wake-ups a task). */
static void many_verify(item_t *items, future_t **fs, long n, const char *how) {
    for (long i = 0; i < n; i++) {
        while (!future_done(fs[i]))
            sleep_ms(1);
        atomic_fetch_add(&submitted, 1);
    }
    for (long i = 0; i < n; i++) {
        long v = future_get(fs[i]);
        if (v != expect_of(i) || atomic_load(&items[i].runs) != 1)
            lab_fail("each of %ld tasks %s runs once and holds its value %ld / task %ld returned %ld after %ld "
                     "runs",
                     n, how, expect_of(i), i, v, atomic_load(&items[i].runs));
        future_free(fs[i]);
        atomic_fetch_add(&submitted, 1);
    }
}

/* `many` submits behind the one worker of a pool of 1 held at a gate, then
 * `many` submits from a task running on that worker: each must return at
 * once, under a stall watchdog (a submit asleep waiting for room is named
 * after 1 s). */
static void queue_unbounded(long many) {
    atomic_store(&submitted, 0);
    char why[320];
    snprintf(why, sizeof why,
             "pool_submit() returns its future at once, however many tasks are queued (pool.h), here %ld behind "
             "a busy worker, then %ld from the one worker's own task (a submit that waits for room in a queue "
             "of fixed size stops there); submits and reads counted",
             many, many);
    lab_stall_t *st = lab_stall_watch(&submitted, 1.0, why);
    pool_t *p = pool_create(1);
    gate_t g;
    gate_init(&g);
    gated_t ga = {&g, 4242};
    future_t *fa = pool_submit(p, gated_task, &ga);
    gate_wait_started(&g, 1);
    item_t *items = items_new(many);
    future_t **fs = lab_calloc((size_t)many, sizeof *fs);
    for (long i = 0; i < many; i++) {
        fs[i] = pool_submit(p, count_task, &items[i]);
        atomic_fetch_add(&submitted, 1);
    }
    gate_open(&g);
    wait_state(fa, FUTURE_DONE, "the task held at the gate finishes once it opens");
    LAB_EXPECT_EQ(4242, future_get(fa), "the task held at the gate");
    future_free(fa);
    many_verify(items, fs, many, "queued behind a busy worker");

    /* The pool's only worker submits: nobody else can make room. */
    for (long i = 0; i < many; i++)
        atomic_store(&items[i].runs, 0);
    spawner_t sp = {p, items, fs, many};
    future_t *fsp = pool_submit(p, spawner_task, &sp);
    while (!future_done(fsp))
        sleep_ms(1);
    LAB_EXPECT_EQ(many, future_get(fsp), "the task that submitted tasks");
    future_free(fsp);
    many_verify(items, fs, many, "submitted by a task into its own pool of 1");
    lab_stall_stop(st);
    shutdown_watched(p, 1);
    gate_destroy(&g);
    free(items);
    free(fs);
}

/* ---- pool_create() never returns NULL ------------------------------------------ */

/* pool.h: pool_create() "Never returns NULL": when a worker cannot be
 * started, it aborts with the reason, rather than hand its caller a NULL
 * the caller was told it never gets. A copy of the driver (fork, before the
 * check has started any thread, so no thread stack is kept for reuse)
 * caps its address space at what it uses now (RLIMIT_AS, as lab 01 does
 * for counter_create()), after setting aside room in malloc's heap for the
 * pool's own blocks. No thread stack can be mapped then, so
 * pthread_create() fails (EAGAIN) while malloc() still works; CREATE_NULL_N
 * workers, more than glibc keeps stacks of, fail even where some were kept.
 * The copy must end inside pool_create(): SIGABRT (abort() with a reason,
 * as fixed.c does) or a non-zero exit of its own; not return NULL, not die
 * of another signal (a failed pthread_create() not checked, its thread
 * handle then used). EXIT_RETURNED: NULL came back; exit 0: the pool
 * started (a pool that starts its workers later: nothing to judge). The
 * copy's output goes nowhere. */
enum { CREATE_NULL_N = 64, CREATE_ROOM = 1 << 20, EXIT_CAP_FAILED = 77, EXIT_RETURNED = 78 };

static void no_thread_copy(void) {
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
        dup2(null, 1);
        dup2(null, 2);
    }
    lab_watchdog_arm(20, "pool_create() copy with no room for a stack");
    /* The heap keeps what is freed (no trim, no mmap for big blocks), so the
     * pool's blocks come from this room once the cap is on. */
    mallopt(M_MMAP_THRESHOLD, 2 * CREATE_ROOM);
    mallopt(M_TRIM_THRESHOLD, 64 * CREATE_ROOM);
    free(lab_calloc(1, CREATE_ROOM));
    if (lab_cap_address_space() != 0)
        _exit(EXIT_CAP_FAILED);
    if (pool_create(CREATE_NULL_N) == NULL)
        _exit(EXIT_RETURNED);
    _exit(0);
}

static void expect_create_aborts(void) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        lab_fail("fork() works / %s", strerror(errno));
    if (pid == 0)
        no_thread_copy();
    int st;
    while (waitpid(pid, &st, 0) != pid)
        if (errno != EINTR)
            lab_fail("waitpid() works / %s", strerror(errno));
    if (WIFEXITED(st) && WEXITSTATUS(st) == EXIT_RETURNED)
        lab_fail("pool_create() never returns NULL (pool.h): it aborts when a worker cannot be started / "
                 "pool_create(%d), with no room left for a thread's stack (RLIMIT_AS), returned NULL",
                 CREATE_NULL_N);
    if (WIFEXITED(st) && WEXITSTATUS(st) == EXIT_CAP_FAILED)
        lab_fail("the driver caps the address space of a copy of itself / it could not");
    if (WIFSIGNALED(st) && WTERMSIG(st) != SIGABRT)
        lab_fail("pool_create() ends the program with a reason (abort) when a worker cannot be started / with "
                 "no room left for a thread's stack, the program died of signal %d (%s) instead",
                 WTERMSIG(st), strsignal(WTERMSIG(st)));
}

/* ---- checks -------------------------------------------------------------------- */

/* "Tasks start in the order they were submitted", also while a worker is
 * busy with an earlier one: a worker that takes more than one task per
 * trip to the queue (two at once "when the queue is long") keeps the
 * second in its hands, not started, while another worker goes on to the
 * tasks after it. A pool of 2, both workers held at gates of their own;
 * queued behind them a task with a gate of its own, then 6 that note
 * their places. One worker is let go and must start the gated task (the
 * head of the queue), which holds it; then the other is let go and must
 * start the 6 in order. A worker that took the gated task and the next one
 * together leaves that next one PENDING while the free worker starts the
 * one after it: a later task seen started while an earlier one is still
 * PENDING (read later first, so a right order never looks wrong), every
 * run, and the one left behind never starts while the gate is shut. */
static void in_order_while_one_runs(void) {
    enum { BEHIND = 6 };
    pool_t *p = pool_create(2);
    gate_t g1, g2, g3;
    gate_init(&g1);
    gate_init(&g2);
    gate_init(&g3);
    gated_t ga = {&g1, 1}, gb = {&g2, 2}, gc = {&g3, 3};
    future_t *fa = pool_submit(p, gated_task, &ga);
    gate_wait_started(&g1, 1);
    future_t *fb = pool_submit(p, gated_task, &gb);
    gate_wait_started(&g2, 1);
    future_t *fc = pool_submit(p, gated_task, &gc);
    _Atomic int next = 0;
    ordered_t ot[BEHIND];
    future_t *ofs[BEHIND];
    for (int i = 0; i < BEHIND; i++) {
        ot[i] = (ordered_t){&next, -1};
        ofs[i] = pool_submit(p, ordered_task, &ot[i]);
    }
    gate_open(&g1);
    gate_wait_started(&g3, 1); /* the freed worker runs the queue's head, held */
    gate_open(&g2);
    double until = lab_now() + 5.0;
    for (int done = 0; !done;) {
        done = 1;
        for (int i = BEHIND - 1; i >= 0; i--) {
            future_state_t later = future_state(ofs[i]);
            if (later != FUTURE_DONE)
                done = 0;
            if (i > 0 && later != FUTURE_PENDING && future_state(ofs[i - 1]) == FUTURE_PENDING)
                lab_fail("tasks start in the order they were submitted (pool.h), also while a worker runs an "
                         "earlier one: a pool of 2, one worker held by a task, 6 tasks queued after it for the "
                         "other / task %d of the 6 has started while task %d is still PENDING (does a worker take "
                         "more than one task at a time?)",
                         i + 1, i);
        }
        if (lab_now() > until)
            lab_fail("a pool of 2 whose one worker is held by a task runs the 6 tasks queued after it on the other / "
                     "after 5 s not all of them were DONE (is one of them waiting in the held worker's hands?)");
        if (!done)
            sleep_ms(1);
    }
    for (int i = 0; i < BEHIND; i++)
        if (ot[i].place != i)
            lab_fail("tasks start in the order they were submitted (pool.h), here 6 queued behind a task that holds "
                     "one worker of 2 / task %d of 6 in submission order started as number %d",
                     i + 1, ot[i].place + 1);
    gate_open(&g3);
    wait_state(fc, FUTURE_DONE, "the task held at the third gate finishes once it opens");
    wait_state(fa, FUTURE_DONE, "the task held at the first gate finishes once it opens");
    wait_state(fb, FUTURE_DONE, "the task held at the second gate finishes once it opens");
    future_free(fa);
    future_free(fb);
    future_free(fc);
    for (int i = 0; i < BEHIND; i++)
        future_free(ofs[i]);
    shutdown_watched(p, 1);
    gate_destroy(&g1);
    gate_destroy(&g2);
    gate_destroy(&g3);
}

/* One thread, one step at a time: states, values, shutdown of idle pools,
 * submits that return at once. It reads a result only once future_done()
 * said 1. */
static void check_single(const lab_opts_t *o) {
    expect_create_aborts(); /* first: before the driver has started a thread */
    long live = lab_impl_live_allocs();
    pool_t *p = pool_create(1);
    gate_t g;
    gate_init(&g);
    gated_t ga = {&g, 4242};
    future_t *fa = pool_submit(p, gated_task, &ga);
    gate_wait_started(&g, 1);
    EXPECT_STATE(FUTURE_RUNNING, fa, "a task inside its gate");
    LAB_EXPECT_EQ(0, future_done(fa), "future_done() of a running task");
    item_t *it = items_new(8);
    future_t *fb = pool_submit(p, count_task, &it[7]);
    EXPECT_STATE(FUTURE_PENDING, fb, "a task queued behind the only, busy, worker");
    LAB_EXPECT_EQ(0, future_done(fb), "future_done() of a queued task");
    LAB_EXPECT_EQ(0, atomic_load(&it[7].runs), "runs of a queued task");
    gate_open(&g);
    wait_state(fb, FUTURE_DONE, "the queued task finishes once the gate opens");
    EXPECT_STATE(FUTURE_DONE, fa, "the first task, once the second has finished");
    LAB_EXPECT_EQ(1, future_done(fa), "future_done() of a finished task");
    LAB_EXPECT_EQ(4242, future_get(fa), "future_get() of a finished task");
    LAB_EXPECT_EQ(4242, future_get(fa), "future_get() again");
    LAB_EXPECT_EQ(expect_of(7), future_get(fb), "future_get() of the second task");
    LAB_EXPECT_EQ(1, atomic_load(&it[7].runs), "runs of the second task");
    shutdown_watched(p, 1);
    future_free(fa); /* futures outlive their pool */
    future_free(fb);
    /* Pools that never saw a task, both ways, shut down once their workers
     * sleep: each must then be woken (one wake-up for several sleepers
     * leaves the others asleep, every run). */
    /* Tasks start in the order they were submitted, whichever worker is
     * free: a pool of 2, each worker held at a gate of its own, and 12
     * tasks queued behind them. Then one gate opens, and the worker it lets
     * go is the only one that can take tasks, so it must take all 12, one
     * after another, in order, while the other stays held (with one queue,
     * every correct design does: no two tasks run at once, so each notes
     * its place in the order taken). A queue per worker, tasks dealt out in
     * turn, leaves every second task waiting behind the held worker while
     * the free one starts the next: a later task seen started while an
     * earlier one is still PENDING (read later first, so a right order is
     * never seen wrong), every run. With one worker a queue taken from the
     * wrong end, or a stack, starts the last one first. */
    enum { ORDERED = 12 };
    p = pool_create(2);
    gate_destroy(&g);
    gate_init(&g);
    gate_t g2;
    gate_init(&g2);
    gated_t ga2 = {&g2, 4343};
    fa = pool_submit(p, gated_task, &ga);
    gate_wait_started(&g, 1);
    future_t *fa2 = pool_submit(p, gated_task, &ga2);
    gate_wait_started(&g2, 1);
    _Atomic int next = 0;
    ordered_t ot[ORDERED];
    future_t *ofs[ORDERED];
    for (int i = 0; i < ORDERED; i++) {
        ot[i] = (ordered_t){&next, -1};
        ofs[i] = pool_submit(p, ordered_task, &ot[i]);
    }
    gate_open(&g);
    double until = lab_now() + 5.0;
    for (int done = 0; !done;) {
        done = 1;
        for (int i = ORDERED - 1; i > 0; i--) {
            future_state_t later = future_state(ofs[i]);
            if (later != FUTURE_DONE)
                done = 0;
            if (later != FUTURE_PENDING && future_state(ofs[i - 1]) == FUTURE_PENDING)
                lab_fail("tasks start in the order they were submitted (pool.h), whichever worker is free: a pool "
                         "of 2, one worker held, 12 tasks queued / task %d of 12 in submission order has started "
                         "while task %d is still PENDING (a queue per worker?)",
                         i + 1, i);
        }
        if (lab_now() > until)
            lab_fail("a pool of 2 with one worker held runs the 12 queued tasks on the other / after 5 s not all "
                     "of them were DONE");
        if (!done)
            sleep_ms(1);
    }
    wait_state(fa, FUTURE_DONE, "the task held at the gate finishes once it opens");
    gate_open(&g2);
    wait_state(fa2, FUTURE_DONE, "the task held at the second gate finishes once it opens");
    future_free(fa);
    future_free(fa2);
    for (int i = 0; i < ORDERED; i++)
        future_free(ofs[i]);
    for (int i = 0; i < ORDERED; i++)
        if (ot[i].place != i)
            lab_fail("tasks start in the order they were submitted (pool.h), here 12 queued behind one busy "
                     "worker while the other is held / task %d of 12 in submission order started as number %d",
                     i + 1, ot[i].place + 1);
    gate_destroy(&g2);
    shutdown_watched(p, 1);
    in_order_while_one_runs();
    pool_t *idle = pool_create(3);
    lab_others_asleep(2.0);
    shutdown_watched(idle, 1);
    idle = pool_create(2);
    lab_others_asleep(2.0);
    shutdown_watched(idle, 0);
    gate_destroy(&g);
    free(it);
    long many = lab_opt_iters(o, MANY_QUEUED);
    queue_unbounded(many);
    lab_expect_freed(live, "pool_shutdown() of every pool and future_free() of every future (some after "
                           "their pool was gone)");
    lab_pass("one thread: RUNNING, PENDING, DONE, values read after future_done(), 12 tasks started in order, 6 more "
             "in order while a task held the other worker, "
             "idle pools shut down; %ld submits behind a busy worker and %ld from a task returned at once; "
             "nothing left allocated",
             many, many);
}

/* future_get() on a task that is running, or queued, waits for its value. */
static void check_future_waits(const lab_opts_t *o) {
    static _Atomic long gets;
    lab_stall_t *st = lab_stall_watch(&gets, 1.0,
                                      "pool never finished: a future_get() slept on after its task was done");
    long live = lab_impl_live_allocs();
    int before = lab_thread_count();
    pool_t *p = pool_create(2);
    created_check(before, 2);
    gate_t g;
    gate_init(&g);
    gated_t ga = {&g, 4242}, gb = {&g, 4343};
    future_t *fa = pool_submit(p, gated_task, &ga);
    gate_wait_started(&g, 1);
    opener_t op;
    opener_start(&op, &g, 30);
    long v = future_get(fa);
    atomic_fetch_add(&gets, 1);
    int opened = gate_is_open(&g);
    if (v != 4242 || !opened)
        lab_fail("future_get() of a running task waits for its value 4242 / it returned %ld%s", v,
                 opened ? "" : " while the task was still running: read before its task finished");
    lab_thread_join(op.tid, NULL);
    future_free(fa);
    gate_destroy(&g);

    /* Both workers held at a gate, a third task queued behind them. */
    gate_init(&g);
    fa = pool_submit(p, gated_task, &ga);
    future_t *fb = pool_submit(p, gated_task, &gb);
    gate_wait_started(&g, 2);
    item_t *it = items_new(1);
    future_t *fc = pool_submit(p, count_task, &it[0]);
    opener_start(&op, &g, 20);
    v = future_get(fc);
    atomic_fetch_add(&gets, 1);
    if (v != expect_of(0) || atomic_load(&it[0].runs) != 1)
        lab_fail("future_get() of a queued task waits for its value %ld / it returned %ld after %ld runs",
                 expect_of(0), v, atomic_load(&it[0].runs));
    LAB_EXPECT_EQ(4242, future_get(fa), "the first held task");
    LAB_EXPECT_EQ(4343, future_get(fb), "the second held task");
    lab_thread_join(op.tid, NULL);
    future_free(fa);
    future_free(fb);
    future_free(fc);
    gate_destroy(&g);
    free(it);

    /* Rounds of submit-then-get at once, with the worker's pauses random. */
    long rounds = lab_opt_iters(o, 200);
    it = items_new(rounds);
    for (long k = 0; k < rounds; k++) {
        future_t *f = pool_submit(p, count_task, &it[k]);
        v = future_get(f);
        atomic_fetch_add(&gets, 1);
        if (v != expect_of(k))
            lab_fail("future_get() right after submit waits for the value %ld / got %ld after %ld runs%s",
                     expect_of(k), v, atomic_load(&it[k].runs),
                     v == 0 ? ": read before its task finished" : "");
        future_free(f);
    }
    shutdown_watched(p, 1);
    lab_stall_stop(st);
    lab_expect_freed(live, "pool_shutdown() and future_free() of every future");
    free(it);
    lab_pass("a running task, a queued task and %ld submit-then-get rounds: every get waited for its value",
             rounds);
}

typedef struct {
    pool_t *p;
    item_t *items;
    long per, mapped; /* tasks a submitter submits one by one, then maps */
    long round, rounds;
    _Atomic long done;
} once_t;

enum { WINDOW = 16 };

static void once_check(item_t *it, long v) {
    long runs = atomic_load(&it->runs);
    if (v != expect_of(it->index))
        lab_fail("task %ld's future holds its value %ld when read / got %ld%s (it had run %ld times)",
                 it->index, expect_of(it->index), v,
                 v == 0 ? ": read before its task finished" : "", runs);
    if (runs != 1)
        lab_fail("task %ld ran exactly once when its future was read / it had run %ld times", it->index,
                 runs);
}

/* One round's share of a submitter's tasks: windows of tasks submitted, then
 * their futures read in order; then a batch of its own through pool_map(). */
static void once_submitter(const lab_worker_t *w) {
    once_t *o = w->arg;
    item_t *mine = o->items + (long)w->index * (o->per + o->mapped);
    long lo = o->per * o->round / o->rounds, hi = o->per * (o->round + 1) / o->rounds;
    future_t *fs[WINDOW];
    for (long k = lo; k < hi; k += WINDOW) {
        long m = hi - k < WINDOW ? hi - k : WINDOW;
        for (long j = 0; j < m; j++)
            fs[j] = pool_submit(o->p, count_task, &mine[k + j]);
        for (long j = 0; j < m; j++) {
            once_check(&mine[k + j], future_get(fs[j]));
            future_free(fs[j]);
            atomic_fetch_add(&o->done, 1);
        }
    }
    lo = o->mapped * o->round / o->rounds, hi = o->mapped * (o->round + 1) / o->rounds;
    item_t *batch = mine + o->per + lo;
    long n = hi - lo;
    void **args = lab_calloc((size_t)n + 1, sizeof *args);
    long *results = lab_calloc((size_t)n + 1, sizeof *results);
    for (long j = 0; j < n; j++)
        args[j] = &batch[j];
    pool_map(o->p, count_task, args, results, (size_t)n);
    for (long j = 0; j < n; j++)
        once_check(&batch[j], results[j]);
    atomic_fetch_add(&o->done, n);
    free(args);
    free(results);
}

/* In rounds, the pool left idle between them: every worker goes back to
 * sleep on an empty queue each time, which is where a worker that takes a
 * wake-up for "there is a task" (POSIX allows a wait to return without
 * one, and the grader's build makes some do) finds none and may leave. */
static void check_exactly_once(const lab_opts_t *o) {
    int submitters = lab_opt_threads(o, 4), workers = 3;
    once_t s = {.per = lab_opt_iters(o, 600)};
    s.mapped = s.per / 4;
    s.rounds = s.per >= 10 ? 10 : 1;
    long total = (long)submitters * (s.per + s.mapped);
    s.items = items_new(total);
    atomic_init(&s.done, 0);
    char why[160];
    snprintf(why, sizeof why,
             "pool never finished: a future_get() or pool_map() never returned, %ld tasks in all", total);
    lab_stall_t *st = lab_stall_watch(&s.done, 1.0, why);
    int expect = lab_thread_count();
    long live = lab_impl_live_allocs();
    s.p = pool_create(workers);
    created_check(expect, workers);
    expect = expect < 0 ? -1 : expect + workers;
    char when[64];
    for (s.round = 0; s.round < s.rounds; s.round++) {
        lab_threads_run(submitters, once_submitter, &s);
        snprintf(when, sizeof when, "after round %ld of %ld", s.round + 1, s.rounds);
        headcount_check(expect, workers, when);
    }
    lab_stall_stop(st);
    shutdown_watched(s.p, 1);
    for (long i = 0; i < total; i++)
        if (atomic_load(&s.items[i].runs) != 1)
            lab_fail("every task ran exactly once / task %ld ran %ld times", i,
                     atomic_load(&s.items[i].runs));
    /* pool_map() owns the futures it submits: its caller never sees them. */
    char what[200];
    snprintf(what, sizeof what,
             "%ld calls of pool_map() on %ld tasks in all, with pool_shutdown() and future_free() of the %ld "
             "futures submitted one by one",
             (long)submitters * s.rounds, (long)submitters * s.mapped, (long)submitters * s.per);
    lab_expect_freed(live, what);
    free(s.items);
    lab_pass("%ld tasks from %d threads on %d workers, in %ld rounds: each ran exactly once, and each future "
             "held its value when read",
             total, submitters, workers, s.rounds);
}

/* After shutdown(wait=1): every queued task ran once, every future is DONE. */
static void drain_verify(item_t *it, future_t **fs, long n, const char *how) {
    long never = 0, first = -1;
    for (long i = 0; i < n; i++)
        if (atomic_load(&it[i].runs) == 0 && never++ == 0)
            first = i;
    if (never > 0)
        lab_fail("pool_shutdown(p, 1) runs every queued task (%s) / %ld of %ld never ran, task %ld first: "
                 "dropped by the shutdown",
                 how, never, n, first);
    for (long i = 0; i < n; i++) {
        if (atomic_load(&it[i].runs) != 1)
            lab_fail("each queued task ran once (%s) / task %ld ran %ld times", how, i,
                     atomic_load(&it[i].runs));
        EXPECT_STATE(FUTURE_DONE, fs[i], "a future after pool_shutdown(p, 1)");
        LAB_EXPECT_EQ(expect_of(i), future_get(fs[i]), "a drained task's value");
        future_free(fs[i]);
    }
}

static void check_drain(const lab_opts_t *o) {
    /* Both workers held at a gate while the queue fills, so shutdown
     * certainly starts with every one of these tasks still queued. */
    long n = lab_opt_iters(o, 1000);
    long live = lab_impl_live_allocs();
    pool_t *p = pool_create(2);
    gate_t g;
    gate_init(&g);
    gated_t ga = {&g, 1}, gb = {&g, 2};
    future_t *fa = pool_submit(p, gated_task, &ga), *fb = pool_submit(p, gated_task, &gb);
    gate_wait_started(&g, 2);
    item_t *it = items_new(n);
    future_t **fs = lab_calloc((size_t)n, sizeof *fs);
    for (long i = 0; i < n; i++)
        fs[i] = pool_submit(p, count_task, &it[i]);
    opener_t op;
    opener_start(&op, &g, 20);
    shutdown_watched(p, 1);
    lab_thread_join(op.tid, NULL);
    drain_verify(it, fs, n, "both workers busy when it began");
    LAB_EXPECT_EQ(1, future_get(fa), "the first held task");
    LAB_EXPECT_EQ(2, future_get(fb), "the second held task");
    future_free(fa);
    future_free(fb);
    gate_destroy(&g);
    free(it);
    free(fs);

    /* Rounds of a fresh pool, a burst of tasks, and an immediate shutdown. */
    long rounds = 20, burst = 200, r = 0;
    it = items_new(burst);
    fs = lab_calloc((size_t)burst, sizeof *fs);
    /* On a machine busy with other work a round can take 100 times as long
     * as idle: no new round starts once 40% of the check's time is gone. */
    for (; r < rounds && !(r > 0 && lab_time_spent(0.4)); r++) {
        p = pool_create(3);
        for (long i = 0; i < burst; i++) {
            atomic_store(&it[i].runs, 0);
            fs[i] = pool_submit(p, count_task, &it[i]);
        }
        shutdown_watched(p, 1);
        drain_verify(it, fs, burst, "a burst shut down at once");
    }
    lab_expect_freed(live, "pool_shutdown(p, 1) of every pool and future_free() of every future");
    free(it);
    free(fs);
    lab_pass("shutdown(wait=1) ran all %ld tasks queued behind two busy workers, and %ld bursts%s of %ld", n,
             rounds, lab_cut_note(r, rounds), burst);
}

typedef struct {
    pool_t *p;
    pthread_t tid;
} shutdown_t;

static void *shutdown_main(void *arg) {
    shutdown_t *s = arg;
    pool_shutdown(s->p, 0);
    return NULL;
}

/* shutdown(wait=0): queued tasks are cancelled at once, the running one
 * finishes, and the call returns after it. */
static void check_cancel(const lab_opts_t *o) {
    enum { QUEUED = 10 };
    gate_t g;
    gate_init(&g);
    gated_t ga = {&g, 4242};
    long live = lab_impl_live_allocs();
    shutdown_t s = {.p = pool_create(1)};
    future_t *fa = pool_submit(s.p, gated_task, &ga);
    gate_wait_started(&g, 1);
    item_t *it = items_new(QUEUED);
    future_t *fs[QUEUED];
    for (int i = 0; i < QUEUED; i++)
        fs[i] = pool_submit(s.p, count_task, &it[i]);
    lab_thread_create(&s.tid, NULL, shutdown_main, &s);
    for (int i = 0; i < QUEUED; i++)
        wait_state(fs[i], FUTURE_CANCELLED,
                   "pool_shutdown(p, 0) cancels every queued task at once, while a task still runs");
    EXPECT_STATE(FUTURE_RUNNING, fa, "the running task while shutdown(wait=0) waits for it");
    double t0 = lab_now();
    for (int i = 0; i < QUEUED; i++) {
        LAB_EXPECT_EQ(1, future_done(fs[i]), "future_done() of a cancelled task");
        LAB_EXPECT_EQ(0, future_get(fs[i]), "future_get() of a cancelled task");
    }
    if (lab_now() - t0 > 1.0)
        lab_fail("future_get() of a cancelled task returns at once / %d of them took %.3f s", QUEUED,
                 lab_now() - t0);
    lab_watchdog_arm(o->timeout < 5 ? o->timeout : 5,
                     "pool never finished: pool_shutdown(p, 0) never returned after its running task ended");
    gate_open(&g);
    lab_thread_join(s.tid, NULL);
    EXPECT_STATE(FUTURE_DONE, fa, "the task that was running when shutdown(wait=0) began");
    LAB_EXPECT_EQ(4242, future_get(fa), "its value");
    for (int i = 0; i < QUEUED; i++) {
        LAB_EXPECT_EQ(0, atomic_load(&it[i].runs), "runs of a cancelled task");
        future_free(fs[i]);
    }
    future_free(fa);
    lab_expect_freed(live, "pool_shutdown(p, 0) and future_free() of a finished and 10 cancelled futures");
    gate_destroy(&g);
    free(it);
    lab_pass("shutdown(wait=0) cancelled %d queued tasks at once and returned after the running one", QUEUED);
}

/* ---- many waiters of every kind ---------------------------------------------- */

/* A thread that waits on one future (future_get, or future_free), with its
 * kernel thread id so the driver can see it asleep. */
typedef struct {
    future_t *f;
    int frees; /* 1: future_free() instead of future_get() */
    long got;
    atomic_int tid; /* 0 until the thread runs */
    atomic_int out; /* 1 once its call returned */
    pthread_t th;
} waiter_t;

static _Atomic long waits_ended;

static void *waiter_main(void *arg) {
    waiter_t *w = arg;
    atomic_store(&w->tid, (int)gettid());
    if (w->frees)
        future_free(w->f);
    else
        w->got = future_get(w->f);
    atomic_store(&w->out, 1);
    atomic_fetch_add(&waits_ended, 1);
    return NULL;
}

static void waiter_start(waiter_t *w, future_t *f, int frees) {
    w->f = f;
    w->frees = frees;
    w->got = -1;
    atomic_init(&w->tid, 0);
    atomic_init(&w->out, 0);
    lab_thread_create(&w->th, NULL, waiter_main, w);
}

/* Until every waiter is asleep in the kernel in three looks in a row: then
 * each is inside its wait, and whatever wakes it must reach it. A waiter
 * that returned already is named; one that never sleeps is spinning. */
static void waiters_asleep(waiter_t *w, int n, const char *what) {
    double until = lab_now() + 5.0;
    for (int calm = 0; calm < 3;) {
        int all = 1;
        for (int i = 0; i < n && all; i++) {
            if (atomic_load(&w[i].out))
                lab_fail("%s waits while its task is not finished / it returned %ld at once", what, w[i].got);
            int tid = atomic_load(&w[i].tid);
            char c = tid == 0 ? 'R' : lab_task_state(tid);
            all = c == 'S' || c == 'D';
        }
        calm = all ? calm + 1 : 0;
        if (lab_now() > until)
            lab_fail("%s sleeps while it waits / some still runnable after 5 s: spinning?", what);
        sleep_ms(2);
    }
}

/* Until `want` waits have ended; the stall watchdog names a waiter that
 * was never woken. */
static void waits_end(long want) {
    while (atomic_load(&waits_ended) < want)
        sleep_ms(1);
}

/* The header lets any number of threads wait on one future. Every one of
 * them must wake: 4 getters on each of 4 futures (2 running, 2 queued); 3
 * getters on each of 4 queued futures that shutdown(wait=0) cancels; and a
 * future_free() of a running task, which must keep waiting while other
 * tasks finish (and wake their waiters) around it. */
static void check_many_waiters(const lab_opts_t *o) {
    (void)o;
    enum { PER = 4, FUTS = 4, CPER = 3 };
    atomic_init(&waits_ended, 0);
    lab_stall_t *st = lab_stall_watch(&waits_ended, 1.0,
                                      "pool never finished: a waiter of a finished or cancelled future was "
                                      "never woken (a signal where every waiter needs a broadcast?)");
    long live = lab_impl_live_allocs();
    pool_t *p = pool_create(2);
    gate_t g;
    gate_init(&g);
    gated_t ga = {&g, 4242}, gb = {&g, 4343};
    item_t *it = items_new(2);
    future_t *fs[FUTS];
    long want[FUTS] = {4242, 4343, expect_of(0), expect_of(1)};
    fs[0] = pool_submit(p, gated_task, &ga);
    fs[1] = pool_submit(p, gated_task, &gb);
    gate_wait_started(&g, 2);
    fs[2] = pool_submit(p, count_task, &it[0]);
    fs[3] = pool_submit(p, count_task, &it[1]);
    waiter_t w[PER * FUTS];
    for (int i = 0; i < PER * FUTS; i++)
        waiter_start(&w[i], fs[i % FUTS], 0);
    waiters_asleep(w, PER * FUTS, "future_get() of a running or queued task");
    gate_open(&g);
    waits_end(PER * FUTS);
    for (int i = 0; i < PER * FUTS; i++) {
        lab_thread_join(w[i].th, NULL);
        if (w[i].got != want[i % FUTS])
            lab_fail("each of %d getters of a future gets its value %ld / one got %ld", PER, want[i % FUTS],
                     w[i].got);
    }
    for (int i = 0; i < FUTS; i++)
        future_free(fs[i]);
    gate_destroy(&g);

    /* future_free() of a running task while others finish around it. */
    gate_init(&g);
    gated_t gx = {&g, 7};
    future_t *fx = pool_submit(p, gated_task, &gx);
    gate_wait_started(&g, 1);
    waiter_t fr;
    waiter_start(&fr, fx, 1);
    waiters_asleep(&fr, 1, "future_free() of a running task");
    /* The 50 futures are freed after the loop, once the gate is open: this
     * part is about the free that waits, and a free right after each get
     * would also catch a worker that touches its future after publishing
     * DONE, but only when the get happened to land in that window. That
     * mistake is race-free's, every run. */
    item_t *more = items_new(50);
    future_t *done[50];
    for (long k = 0; k < 50; k++) {
        done[k] = pool_submit(p, count_task, &more[k]);
        LAB_EXPECT_EQ(expect_of(k), future_get(done[k]), "a task that ran beside a future_free()");
    }
    sleep_ms(5);
    if (atomic_load(&fr.out))
        lab_fail("future_free() of a running task waits until it has finished / it returned while the task "
                 "was still running, once other tasks had finished: a worker would write into freed memory");
    gate_open(&g);
    waits_end(PER * FUTS + 1);
    lab_thread_join(fr.th, NULL);
    shutdown_watched(p, 1);
    for (long k = 0; k < 50; k++)
        future_free(done[k]);
    free(more);
    gate_destroy(&g);

    /* Getters of queued tasks that shutdown(wait=0) cancels. */
    gate_init(&g);
    gated_t gc = {&g, 4242};
    shutdown_t sd = {.p = pool_create(1)};
    future_t *fa = pool_submit(sd.p, gated_task, &gc);
    gate_wait_started(&g, 1);
    item_t *cit = items_new(FUTS);
    for (int i = 0; i < FUTS; i++)
        fs[i] = pool_submit(sd.p, count_task, &cit[i]);
    waiter_t cw[CPER * FUTS];
    for (int i = 0; i < CPER * FUTS; i++)
        waiter_start(&cw[i], fs[i % FUTS], 0);
    waiters_asleep(cw, CPER * FUTS, "future_get() of a queued task");
    lab_thread_create(&sd.tid, NULL, shutdown_main, &sd);
    waits_end(PER * FUTS + 1 + CPER * FUTS);
    for (int i = 0; i < CPER * FUTS; i++) {
        lab_thread_join(cw[i].th, NULL);
        if (cw[i].got != 0)
            lab_fail("each of %d getters of a cancelled future gets 0 / one got %ld", CPER, cw[i].got);
    }
    lab_stall_stop(st);
    lab_watchdog_arm(o->timeout < 5 ? o->timeout : 5,
                     "pool never finished: pool_shutdown(p, 0) never returned after its running task ended");
    gate_open(&g);
    lab_thread_join(sd.tid, NULL);
    LAB_EXPECT_EQ(4242, future_get(fa), "the task that ran through shutdown(wait=0)");
    for (int i = 0; i < FUTS; i++)
        future_free(fs[i]);
    future_free(fa);
    lab_expect_freed(live, "pool_shutdown() of both pools and future_free() of every future, one while its "
                           "task ran");
    gate_destroy(&g);
    free(cit);
    free(it);
    lab_pass("%d getters on each of %d futures, a future_free() while %d tasks finished beside it, %d "
             "getters on each of %d cancelled futures: every one woke, none too early",
             PER, FUTS, 50, CPER, FUTS);
}

/* ---- the pool keeps its workers -------------------------------------------------- */

/* A task that waits (at most 3 s) until `need` tasks are inside at once. */
typedef struct {
    pthread_mutex_t m;
    pthread_cond_t c;
    int inside, need;
} meet_t;

static long meet_task(void *arg) {
    meet_t *mt = arg;
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += 3;
    lab_mutex_lock(&mt->m);
    mt->inside++;
    lab_cond_broadcast(&mt->c);
    while (mt->inside < mt->need)
        if (pthread_cond_timedwait(&mt->c, &mt->m, &until) == ETIMEDOUT)
            break;
    long seen = mt->inside;
    lab_mutex_unlock(&mt->m);
    return seen;
}

typedef struct {
    pool_t *p;
    item_t *items;
    long per;
} burst_t;

static void burst_submitter(const lab_worker_t *w) {
    burst_t *b = w->arg;
    item_t *mine = b->items + (long)w->index * b->per;
    for (long k = 0; k < b->per; k++) {
        future_t *f = pool_submit(b->p, count_task, &mine[k]);
        once_check(&mine[k], future_get(f));
        future_free(f);
    }
}

/* A pool of N is N workers for as long as it lives: after every burst of
 * short tasks (workers woken, and the queue emptied under them by busier
 * ones), N tasks that wait for each other must all run at once. */
static void check_workers_stay(const lab_opts_t *o) {
    enum { WORKERS = 4, SUBMITTERS = 3 };
    long rounds = lab_opt_iters(o, 25), per = 40;
    /* The task's own lab_pause() would only slow the bursts down: the
     * windows that matter are in the pool's code, perturbed here. */
    lab_perturb_on = 1;
    lab_stall_t *st = lab_stall_watch(&ran_total, 1.0,
                                      "pool never finished: queued tasks no worker took (did a worker leave?)");
    int expect = lab_thread_count();
    long live = lab_impl_live_allocs();
    pool_t *p = pool_create(WORKERS);
    created_check(expect, WORKERS);
    expect = expect < 0 ? -1 : expect + WORKERS;
    char when[64];
    item_t *items = items_new(SUBMITTERS * per);
    meet_t mt;
    lab_mutex_init(&mt.m, NULL);
    pthread_condattr_t ca;
    LAB_PTHREAD(pthread_condattr_init(&ca));
    LAB_PTHREAD(pthread_condattr_setclock(&ca, CLOCK_MONOTONIC));
    lab_cond_init(&mt.c, &ca);
    LAB_PTHREAD(pthread_condattr_destroy(&ca));
    for (long r = 0; r < rounds; r++) {
        for (long i = 0; i < SUBMITTERS * per; i++)
            atomic_store(&items[i].runs, 0);
        burst_t b = {p, items, per};
        lab_threads_run(SUBMITTERS, burst_submitter, &b);
        snprintf(when, sizeof when, "after burst %ld of %ld", r + 1, rounds);
        headcount_check(expect, WORKERS, when);
        mt.inside = 0;
        mt.need = WORKERS;
        future_t *fs[WORKERS];
        for (int i = 0; i < WORKERS; i++)
            fs[i] = pool_submit(p, meet_task, &mt);
        for (int i = 0; i < WORKERS; i++) {
            long seen = future_get(fs[i]);
            if (seen < WORKERS)
                lab_fail("a pool of %d runs %d tasks at once (round %ld) / only %ld got in within 3 s: a worker "
                         "left the pool (one woken to find the queue empty must wait again, not leave)",
                         WORKERS, WORKERS, r + 1, seen);
            future_free(fs[i]);
            atomic_fetch_add(&ran_total, 1);
        }
    }
    lab_stall_stop(st);
    shutdown_watched(p, 1);
    lab_expect_freed(live, "pool_shutdown() and future_free() of every future");
    lab_cond_destroy(&mt.c);
    lab_mutex_destroy(&mt.m);
    free(items);
    lab_pass("%ld rounds of %d x %ld short tasks, each followed by %d tasks that met inside the pool of %d",
             rounds, SUBMITTERS, per, WORKERS, WORKERS);
}

static long sleepy_task(void *arg) {
    (void)arg;
    sleep_ms(100);
    return 7;
}

static double process_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Under a tenth of the time in CPU, the whole process: a generous bound,
 * since sleeping threads use far less. */
static void expect_asleep(double c0, double t0, const char *who) {
    double cpu = process_cpu() - c0, wall = lab_now() - t0;
    if (cpu > 0.1 * wall)
        lab_fail("%s sleep (CPU < 10%% of the time) / the process used %.3f s of CPU in %.3f s", who, cpu,
                 wall);
}

/* Workers with nothing to do, and a thread waiting in future_get() for a
 * task queued behind a slow one, sleep rather than spin. */
static void check_idle(const lab_opts_t *o) {
    (void)o;
    long live = lab_impl_live_allocs();
    pool_t *p = pool_create(4);
    sleep_ms(20); /* the workers have started */
    double c0 = process_cpu(), t0 = lab_now();
    sleep_ms(100);
    expect_asleep(c0, t0, "4 workers with an empty queue");
    shutdown_watched(p, 1);

    p = pool_create(1);
    c0 = process_cpu(), t0 = lab_now();
    future_t *slow = pool_submit(p, sleepy_task, NULL);
    /* taken before the next is queued, so that one waits behind it whatever
     * order the pool takes its queue in (that is the single check's) */
    wait_state(slow, FUTURE_RUNNING, "the only worker takes the slow task");
    item_t *it = items_new(1);
    future_t *f = pool_submit(p, count_task, &it[0]);
    long v = future_get(f);
    expect_asleep(c0, t0, "a future_get() waiting for a task queued behind a 0.1 s one, and the pool,");
    LAB_EXPECT_EQ(expect_of(0), v, "the queued task's value");
    LAB_EXPECT_EQ(7, future_get(slow), "the slow task's value");
    double wall = lab_now() - t0;
    future_free(f);
    future_free(slow);
    shutdown_watched(p, 1);
    lab_expect_freed(live, "pool_shutdown() of two pools and future_free() of their futures");
    free(it);
    lab_pass("idle workers for 0.1 s, and a get waiting %.3f s behind a slow task: the process slept", wall);
}

/* ---- the process pool ---------------------------------------------------------- */

static long calls_here;            /* each worker process bumps its own copy */
static _Atomic long *calls_shared; /* one counter in shared memory for all of them */

static long proc_square(long x) {
    calls_here++;
    atomic_fetch_add(calls_shared, 1);
    return x * x + 1;
}

static long proc_pid(long x) {
    (void)x;
    atomic_fetch_add(calls_shared, 1);
    return (long)getpid();
}

/* A worker that dies in fn: on item `die_at` it is killed by a signal
 * (a crash, the OOM killer), or leaves quietly with status 0 before it
 * sent that chunk's results. Either way a result goes missing. */
static long die_at;
static int die_quietly;

static long proc_die(long x) {
    atomic_fetch_add(calls_shared, 1);
    if (x == die_at) {
        if (die_quietly)
            _exit(0);
        raise(SIGKILL);
    }
    return x * x + 1;
}

/* A signal to the caller while its ppool_map() waits for results. pool.h
 * promises 0 once every result is in, and -1 with ECHILD only "when a
 * worker died or a result went missing": a signal handler that runs
 * meanwhile, installed without SA_RESTART as timers and profilers are,
 * is neither. A read() of the result pipe it interrupts returns -1 with
 * EINTR, which must be tried again, not taken for the end of the results.
 * It is provoked, not hoped for: one worker (so nobody else writes), and
 * its fn holds item EINTR_AT until the caller is seen asleep (in /proc),
 * and then sends it SIGUSR2, EINTR_SIGNALS times, each once the handler of
 * the one before has run (the handler counts in shared memory). While fn
 * holds the item the pipe stays empty and its write end open, so a caller
 * asleep is asleep waiting for results, and the signal cuts that wait
 * short every time. Perturbation is off meanwhile: the only sleeps in the
 * caller are then its own waits. A caller never seen asleep (one that
 * polls) is let go after 5 s unsignalled: it has no wait to cut short. */
enum { EINTR_ITEMS = 64, EINTR_AT = 40, EINTR_SIGNALS = 3 };
static pid_t eintr_caller;
static _Atomic long *eintr_handled; /* in shared memory: the caller's handler counts, its worker reads */

static void eintr_handler(int sig) {
    (void)sig;
    atomic_fetch_add(eintr_handled, 1);
}

/* One letter of /proc/PID/stat: S when it sleeps in the kernel. */
static char process_state(pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return '?';
    ssize_t k = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (k <= 0)
        return '?';
    buf[k] = '\0';
    const char *paren = strrchr(buf, ')'); /* the name may hold spaces and parentheses */
    return paren != NULL && paren[1] == ' ' ? paren[2] : '?';
}

static long proc_signal_caller(long x) {
    atomic_fetch_add(calls_shared, 1);
    if (x == EINTR_AT) {
        struct timespec tick = {0, 100 * 1000};
        double until = lab_now() + 5.0;
        for (int k = 0; k < EINTR_SIGNALS && lab_now() < until; k++) {
            while (process_state(eintr_caller) != 'S' && lab_now() < until)
                nanosleep(&tick, NULL);
            if (lab_now() >= until)
                break;
            long seen = atomic_load(eintr_handled);
            kill(eintr_caller, SIGUSR2);
            while (atomic_load(eintr_handled) == seen && lab_now() < until)
                nanosleep(&tick, NULL);
        }
    }
    return x * 3 + 1;
}

static void expect_map_through_signals(long *in, long *out) {
    eintr_handled = mmap(NULL, sizeof *eintr_handled, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (eintr_handled == MAP_FAILED)
        lab_fail("a shared counter for the check / mmap: %s", strerror(errno));
    atomic_init(eintr_handled, 0);
    struct sigaction old;
    lab_interrupts_install(eintr_handler, &old); /* a blocked read() returns EINTR */
    eintr_caller = getpid();
    for (long i = 0; i < EINTR_ITEMS; i++) {
        in[i] = i;
        out[i] = -1;
    }
    int was = lab_perturb_on;
    lab_perturb_on = 0;
    atomic_store(calls_shared, 0);
    errno = 0;
    int rc = ppool_map(1, proc_signal_caller, in, out, EINTR_ITEMS);
    int err = errno;
    lab_perturb_on = was;
    long handled = atomic_load(eintr_handled);
    sigaction(SIGUSR2, &old, NULL);
    munmap((void *)eintr_handled, sizeof *eintr_handled);
    if (rc != 0)
        lab_fail("ppool_map returns 0 with every result although signal handlers ran in the caller while it "
                 "waited for them (pool.h: -1 only when a worker died or a result went missing) / it returned "
                 "%d (%s) after %ld SIGUSR2 (handler without SA_RESTART) came while it slept waiting: a read() "
                 "cut short by a signal (EINTR) taken for the end of the results?",
                 rc, strerror(err), handled);
    for (long i = 0; i < EINTR_ITEMS; i++)
        if (out[i] != i * 3 + 1)
            lab_fail("every result of a map through signals: out[%ld] == %ld / got %ld", i, i * 3 + 1, out[i]);
    for (long i = 0; i < EINTR_ITEMS; i++)
        in[i] = (long)i * 7 - 5000; /* as the rest of the check has them */
}

/* A slow fn is not a hung worker. pool.h: 0 "once every result is in and
 * every worker has exited", and ECHILD only "when a worker died or a
 * result went missing". A caller that takes some seconds without a result
 * for a hung worker (a poll() with a timeout, a deadline on a clock) gives
 * up on a worker that is only slow. One worker, and its fn holds item
 * QUIET_AT for as long as the caller waits in a call with a time limit:
 * it lets go once the caller is seen asleep, three looks in a row, in a
 * wait with no time limit (a read(), a poll() without a timeout, a
 * waitpid(): a caller that waits for results however long they take,
 * found within milliseconds, or one that gave up and now waits for its
 * workers), or after QUIET_MOST s in any case. A caller that gives up
 * after less than QUIET_MOST s of silence has given up before the result
 * is sent, every run; a right one costs a few milliseconds (one that waits
 * in slices with a time limit, QUIET_MOST s). Perturbation is off
 * meanwhile, so the caller's sleeps are its own waits. */
enum { QUIET_ITEMS = 4, QUIET_AT = 1 };
static const double QUIET_MOST = 3.0;
static pid_t quiet_caller;

/* 1 when `pid` sleeps in a call with no time limit; *sw: its context
 * switches so far (the same sleep, look after look, keeps them). */
static int asleep_untimed(pid_t pid, long *sw) {
    char path[64], line[256];
    *sw = -1;
    if (process_state(pid) != 'S')
        return 0;
    snprintf(path, sizeof path, "/proc/%d/syscall", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    long nr = -1;
    unsigned long a[6] = {0};
    if (fgets(line, sizeof line, f) == NULL ||
        sscanf(line, "%ld %lx %lx %lx %lx %lx %lx", &nr, &a[0], &a[1], &a[2], &a[3], &a[4], &a[5]) < 1)
        nr = -1;
    fclose(f);
    int untimed = nr >= 0;
#ifdef SYS_nanosleep
    if (nr == SYS_nanosleep)
        untimed = 0;
#endif
    if (nr == SYS_clock_nanosleep || nr == SYS_ppoll || nr == SYS_pselect6)
        untimed = nr == SYS_ppoll || nr == SYS_pselect6 ? a[2 + (nr == SYS_pselect6) * 2] == 0 : 0;
    if (nr == SYS_futex)
        untimed = a[3] == 0;
#ifdef SYS_poll
    if (nr == SYS_poll)
        untimed = (int)a[2] < 0;
#endif
#ifdef SYS_select
    if (nr == SYS_select)
        untimed = a[4] == 0;
#endif
#ifdef SYS_epoll_wait
    if (nr == SYS_epoll_wait)
        untimed = (int)a[3] < 0;
#endif
    if (nr == SYS_epoll_pwait)
        untimed = (int)a[3] < 0;
    if (!untimed)
        return 0;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return 0;
    long n, total = 0;
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1 ||
            sscanf(line, "nonvoluntary_ctxt_switches: %ld", &n) == 1)
            total += n;
    fclose(f);
    *sw = total;
    return 1;
}

static long proc_quiet(long x) {
    atomic_fetch_add(calls_shared, 1);
    if (x == QUIET_AT) {
        struct timespec tick = {0, 1000 * 1000};
        double t0 = lab_now();
        int still = 0;
        long last = -2;
        while (lab_now() - t0 < QUIET_MOST) {
            long sw;
            if (asleep_untimed(quiet_caller, &sw) && (still == 0 || sw == last))
                still++;
            else
                still = 0;
            last = sw;
            if (still >= 3)
                break;
            nanosleep(&tick, NULL);
        }
    }
    return x * 5 + 2;
}

static void expect_map_slow_item(long *in, long *out) {
    for (long i = 0; i < QUIET_ITEMS; i++) {
        in[i] = i;
        out[i] = -1;
    }
    quiet_caller = getpid();
#ifdef PR_SET_PTRACER
    /* Yama may keep a worker from reading its parent's /proc/PID/syscall. */
    prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
#endif
    int was = lab_perturb_on;
    lab_perturb_on = 0;
    atomic_store(calls_shared, 0);
    errno = 0;
    double t0 = lab_now();
    int rc = ppool_map(1, proc_quiet, in, out, QUIET_ITEMS);
    int err = errno;
    double took = lab_now() - t0;
    lab_perturb_on = was;
#ifdef PR_SET_PTRACER
    prctl(PR_SET_PTRACER, 0, 0, 0, 0);
#endif
    if (rc != 0)
        lab_fail("ppool_map returns 0 once every result is in, however long fn takes (pool.h: -1 only when a worker "
                 "died or a result went missing) / it returned %d (%s) after %.1f s, 1 worker whose fn held an item "
                 "while the caller waited with a time limit: a slow worker taken for a hung one?",
                 rc, strerror(err), took);
    for (long i = 0; i < QUIET_ITEMS; i++)
        if (out[i] != i * 5 + 2)
            lab_fail("every result of a map with a slow item: out[%ld] == %ld / got %ld", i, i * 5 + 2, out[i]);
    for (long i = 0; i < QUIET_ITEMS; i++)
        in[i] = (long)i * 7 - 5000; /* as the rest of the check has them */
}

static void ppool_expect(int procs, long (*fn)(long), const long *in, long *out, size_t n) {
    atomic_store(calls_shared, 0);
    if (ppool_map(procs, fn, in, out, n) != 0)
        lab_fail("ppool_map(%d procs, %zu items) returns 0 / it returned -1: %s", procs, n, strerror(errno));
    LAB_EXPECT_EQ(n, atomic_load(calls_shared), "calls of fn, all processes together (each item once)");
}

/* ---- a fork that fails ----------------------------------------------------------
 * pool.h: ppool_map() returns -1 with "what fork ... said" when a fork
 * fails, and (README contract) leaves no child and no descriptor behind
 * either way. Its third fork fails, for any user, by lab_fork_fail_start()
 * (lab.h: a seccomp filter hands each fork to a judge, which fails the
 * third with EAGAIN, as at the process limit). A filter cannot be taken
 * off again: this is the last thing the check does, and no fork follows
 * it. */
enum { FAIL_FORK = 3, FAIL_PROCS = 4 };

/* The calling thread's children but `except`, from the kernel's list
 * (/proc/self/task/T/children: zombies included, so a worker that has
 * ended but was never reaped counts); -1 where it cannot be read. */
static int children_left(pid_t except) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%ld/children", (long)syscall(SYS_gettid));
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    int n = 0;
    long pid;
    while (fscanf(f, "%ld", &pid) == 1)
        n += (pid_t)pid != except;
    fclose(f);
    return n;
}

/* ppool_map(FAIL_PROCS) on 100 items whose FAIL_FORK-th fork fails: either
 * 0 with every result (the workers that did start took every index), or -1
 * with errno set; then no child left, running or zombie, and as many
 * descriptors open as before. Says in note what it did. */
static void expect_failed_fork(const long *in, long *out, char *note, size_t len) {
    char why[160] = "";
    int fds_before = lab_open_fds();
    pid_t judge = lab_fork_fail_start(FAIL_FORK, why, sizeof why);
    if (judge < 0) {
        snprintf(note, len, "; no fork could be made to fail here (%s)", why);
        return;
    }
    atomic_store(calls_shared, 0);
    for (size_t i = 0; i < 100; i++)
        out[i] = -1;
    errno = 0;
    int rc = ppool_map(FAIL_PROCS, proc_square, in, out, 100);
    int e = errno;
    int left = children_left(judge);
    kill(judge, SIGKILL);
    while (waitpid(judge, NULL, 0) < 0 && errno == EINTR) {
    }
    if (rc == 0) {
        for (size_t i = 0; i < 100; i++)
            if (out[i] != in[i] * in[i] + 1)
                lab_fail("ppool_map(%d procs) whose fork number %d fails (EAGAIN) returns 0 only with every "
                         "result / out[%zu] is %ld, not %ld",
                         FAIL_PROCS, FAIL_FORK, i, out[i], in[i] * in[i] + 1);
    } else if (rc != -1 || e == 0) {
        lab_fail("ppool_map(%d procs) whose fork number %d fails (EAGAIN) returns 0, or -1 with errno set / it "
                 "returned %d, errno %d",
                 FAIL_PROCS, FAIL_FORK, rc, e);
    }
    if (left != 0)
        lab_fail("ppool_map leaves no child behind, even when a fork fails (README contract) / its fork number "
                 "%d failed (EAGAIN), it returned %d, and %d worker%s it had started %s still the caller's "
                 "children, never reaped",
                 FAIL_FORK, rc, left, left == 1 ? "" : "s", left == 1 ? "was" : "were");
    int fds_after = lab_open_fds();
    if (fds_after != fds_before)
        lab_fail("ppool_map closes every descriptor it opened, even when a fork fails / %d open before, %d "
                 "after: a pipe end leaked",
                 fds_before, fds_after);
    snprintf(note, len, "; a failed fork (number %d of %d) returned %d and left no child", FAIL_FORK, FAIL_PROCS,
             rc);
}

static void check_process_map(const lab_opts_t *o) {
    lab_watchdog_arm(o->timeout < 8 ? o->timeout : 8,
                     "ppool_map never returned: a worker hung, or a write end of the pipe stayed open");
    calls_shared =
        mmap(NULL, sizeof *calls_shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (calls_shared == MAP_FAILED)
        lab_fail("a shared counter for the check / mmap: %s", strerror(errno));
    atomic_init(calls_shared, 0);
    int fds_before = lab_open_fds();
    long live = lab_impl_live_allocs();
    size_t n = (size_t)lab_opt_iters(o, 10000), room = n < 100 ? 100 : n;
    long *in = lab_calloc(room, sizeof *in), *out = lab_calloc(room, sizeof *out);
    for (size_t i = 0; i < room; i++)
        in[i] = (long)i * 7 - 5000;
    ppool_expect(4, proc_square, in, out, n);
    for (size_t i = 0; i < n; i++)
        if (out[i] != in[i] * in[i] + 1)
            lab_fail("out[%zu] == %ld / got %ld", i, in[i] * in[i] + 1, out[i]);
    LAB_EXPECT_EQ(0, calls_here, "calls counted in the parent's own memory (each worker has its own copy)");

    /* Really other processes: none of the results is the parent's pid. */
    ppool_expect(3, proc_pid, in, out, 64);
    for (size_t i = 0; i < 64; i++)
        if (out[i] == (long)getpid() || out[i] <= 0)
            lab_fail("fn runs in worker processes, not in the caller (pid %ld) / item %zu ran in pid %ld",
                     (long)getpid(), i, out[i]);

    /* Edges: more processes than items, one process, nothing to do. */
    ppool_expect(8, proc_square, in, out, 3);
    for (size_t i = 0; i < 3; i++)
        LAB_EXPECT_EQ(in[i] * in[i] + 1, out[i], "a result with more processes than items");
    ppool_expect(1, proc_square, in, out, 100);
    for (size_t i = 0; i < 100; i++)
        LAB_EXPECT_EQ(in[i] * in[i] + 1, out[i], "a result with one process");
    ppool_expect(2, proc_square, in, out, 0);
    errno = 0;
    if (ppool_map(0, proc_square, in, out, 10) != -1 || errno != EINVAL)
        lab_fail("ppool_map(0 procs, ...) returns -1 with EINVAL / it did not (errno %d)", errno);

    /* A worker that dies: the call must say so (pool.h: -1 with ECHILD
     * "when a worker died or a result went missing"), having reaped every
     * worker (checked below). A parent that only reads what comes back and
     * reaps returns 0 with out[13] never written. */
    for (die_quietly = 0; die_quietly < 2; die_quietly++) {
        const char *how = die_quietly ? "calls _exit(0) (its chunk's results never sent)" : "is killed by SIGKILL";
        die_at = in[13];
        for (size_t i = 0; i < 100; i++)
            out[i] = -1;
        errno = 0;
        int rc = ppool_map(3, proc_die, in, out, 100);
        int err = errno;
        if (rc != -1 || err != ECHILD)
            lab_fail("ppool_map returns -1 with errno ECHILD when a worker dies (pool.h), here 3 processes on 100 "
                     "items, and the worker that computes item 13 %s / it returned %d, errno %d (%s)%s",
                     how, rc, err, strerror(err), rc == 0 ? ": a dead worker's missing results went unnoticed" : "");
    }

    /* The caller's own child, ended before the map and not yet reaped,
     * stays the caller's to reap: ppool_map() waits for its own workers
     * only (a waitpid(-1) takes this one for a worker and leaves a worker
     * behind, whichever order the kernel hands them out in). */
    pid_t own = fork();
    if (own < 0)
        lab_fail("a child of the driver's own / fork: %s", strerror(errno));
    if (own == 0)
        _exit(7);
    siginfo_t si;
    while (waitid(P_PID, (id_t)own, &si, WEXITED | WNOWAIT) != 0) /* a zombie now, still unreaped */
        if (errno != EINTR)
            lab_fail("waitid(WNOWAIT) on the driver's own child / %s", strerror(errno));
    atomic_store(calls_shared, 0);
    errno = 0;
    int own_rc = ppool_map(3, proc_square, in, out, 100);
    int own_err = errno, st = 0;
    pid_t r = waitpid(own, &st, WNOHANG);
    if (r != own || !WIFEXITED(st) || WEXITSTATUS(st) != 7)
        lab_fail("ppool_map reaps only the workers it forked: a child the caller started itself, which ended "
                 "(status 7) before the map, is still the caller's to reap after it / waitpid(child) returned "
                 "%ld (%s): the map took it for one of its workers",
                 (long)r, r < 0 ? strerror(errno) : "no status 7");
    if (own_rc != 0)
        lab_fail("ppool_map(3 procs, 100 items) returns 0 while the caller has an ended child of its own / it "
                 "returned %d: %s",
                 own_rc, strerror(own_err));
    errno = 0;
    pid_t stray = waitpid(-1, NULL, WNOHANG);
    if (stray != -1 || errno != ECHILD)
        lab_fail("ppool_map reaps every worker it forked, also while the caller has a child of its own / a "
                 "child was left after it returned (waitpid(-1, WNOHANG) said %ld)",
                 (long)stray);

    expect_map_through_signals(in, out);
    expect_map_slow_item(in, out);

    /* Many small maps with more processes than cores and the workers'
     * own code perturbed: two workers must never take the same indices. */
    lab_perturb_on = 1;
    for (int r = 0; r < 8; r++) {
        ppool_expect(4, proc_square, in, out, 48);
        for (size_t i = 0; i < 48; i++)
            LAB_EXPECT_EQ(in[i] * in[i] + 1, out[i], "a result of a small map on 4 processes");
    }
    lab_perturb_on = 0;
    int fds_after = lab_open_fds();
    lab_expect_freed(live, "ppool_map(), the calls that succeeded and those whose worker died,");
    if (fds_after != fds_before)
        lab_fail("ppool_map closes every descriptor it opened / %d open before the first call, %d after "
                 "the last: a pipe end leaked",
                 fds_before, fds_after);

    /* Every worker was waited for: no child is left, not even a zombie. */
    errno = 0;
    pid_t left = waitpid(-1, NULL, WNOHANG);
    if (left != -1 || errno != ECHILD)
        lab_fail("ppool_map reaps every worker it forked / a child was left (waitpid said %ld)", (long)left);
    /* Last: the filter that makes a fork fail stays on the process. */
    char note[256] = "";
    expect_failed_fork(in, out, note, sizeof note);
    free(in);
    free(out);
    munmap((void *)calls_shared, sizeof *calls_shared);
    lab_pass("%zu items on 4 processes, each computed once, by other processes, into their own memory; "
             "edges fine; a worker that died was reported (ECHILD); the caller's own child left to it; a map "
             "through signals whole; a slow item waited for; no child left%s",
             n, note);
}

/* ---- for the ThreadSanitizer build ----------------------------------------------- */

static void race_submitter(const lab_worker_t *w) {
    once_t *o = w->arg;
    item_t *mine = o->items + (long)w->index * o->per;
    future_t *fs[8];
    for (long k = 0; k < o->per; k += 8) {
        long m = o->per - k < 8 ? o->per - k : 8;
        for (long j = 0; j < m; j++)
            fs[j] = pool_submit(o->p, count_task, &mine[k + j]);
        for (long j = 0; j < m; j++) {
            future_state(fs[j]);
            future_done(fs[j]);
            once_check(&mine[k + j], future_get(fs[j]));
            future_free(fs[j]);
            atomic_fetch_add(&o->done, 1);
        }
    }
}

/* Everything once, with threads: submit and get from three threads, a map,
 * a drain and a cancel. */
static void check_race_free(const lab_opts_t *o) {
    once_t s = {.p = pool_create(3), .per = lab_opt_iters(o, 120)};
    s.items = items_new(3 * s.per);
    atomic_init(&s.done, 0);
    lab_stall_t *st = lab_stall_watch(&s.done, 1.0, "pool never finished: a future_get() never returned");
    lab_threads_run(3, race_submitter, &s);
    lab_stall_stop(st);

    enum { N = 64 };
    item_t *it = items_new(N);
    void *args[N];
    long results[N];
    for (int i = 0; i < N; i++)
        args[i] = &it[i];
    pool_map(s.p, count_task, args, results, N);
    for (int i = 0; i < N; i++)
        once_check(&it[i], results[i]);
    future_t *fs[N];
    for (int i = 0; i < N; i++) {
        atomic_store(&it[i].runs, 0);
        fs[i] = pool_submit(s.p, count_task, &it[i]);
    }
    shutdown_watched(s.p, 1);
    drain_verify(it, fs, N, "under ThreadSanitizer");

    gate_t g;
    gate_init(&g);
    gated_t ga = {&g, 4242};
    shutdown_t sd = {.p = pool_create(1)};
    future_t *fa = pool_submit(sd.p, gated_task, &ga);
    gate_wait_started(&g, 1);
    for (int i = 0; i < 4; i++)
        fs[i] = pool_submit(sd.p, count_task, &it[i]);
    lab_thread_create(&sd.tid, NULL, shutdown_main, &sd);
    for (int i = 0; i < 4; i++)
        wait_state(fs[i], FUTURE_CANCELLED, "pool_shutdown(p, 0) cancels queued tasks");
    gate_open(&g);
    lab_thread_join(sd.tid, NULL);
    LAB_EXPECT_EQ(4242, future_get(fa), "the running task's value");
    for (int i = 0; i < 4; i++)
        future_free(fs[i]);
    future_free(fa);
    gate_destroy(&g);
    free(it);
    free(s.items);
    lab_pass("submit, get, state, map, drain and cancel from several threads: no race");
}

static const lab_check_t checks[] = {
    {"single", "one thread: pool_create never NULL, task states, values after future_done(), FIFO start, idle "
               "pools shut down",
     check_single, LAB_PAUSE_OFF},
    {"future-waits", "future_get() waits for a running task, a queued task, and 200 fresh ones",
     check_future_waits, LAB_PAUSE_RANDOM},
    {"exactly-once", "3000 tasks from 4 threads, got and mapped: each runs once, each value right",
     check_exactly_once, LAB_PAUSE_RANDOM},
    {"drain", "shutdown(wait=1) runs every queued task", check_drain, LAB_PAUSE_RANDOM},
    {"cancel", "shutdown(wait=0) cancels queued tasks, lets the running one finish", check_cancel,
     LAB_PAUSE_OFF},
    {"many-waiters", "many getters per future, of done and cancelled tasks; future_free waits", check_many_waiters,
     LAB_PAUSE_RANDOM},
    {"workers-stay", "after bursts of short tasks the pool still runs N tasks at once", check_workers_stay,
     LAB_PAUSE_OFF},
    {"idle", "idle workers, and a get waiting behind a slow task, burn (almost) no CPU", check_idle,
     LAB_PAUSE_OFF},
    {"process-map", "ppool_map: 10000 items on 4 processes, each once, results exact, through signals",
     check_process_map, LAB_PAUSE_OFF},
    {"race-free", "submit, get, map, drain, cancel from threads, for the ThreadSanitizer build",
     check_race_free, LAB_PAUSE_RANDOM},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
