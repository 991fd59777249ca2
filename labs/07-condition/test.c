/* Lab 07, condition: the torture driver. One check per run. Producers put
 * numbered items, consumers take them and tick them off, so a lost item, a
 * duplicate or an invented one is seen the moment it happens.
 *
 *   $ build/labs/07-condition/broken/test exactly-once
 *   FAIL: every item taken exactly once / item 3071 taken twice (check exactly-once, seed 12)
 *   $ build/labs/07-condition/fixed/test close-wakes-all
 *   ok: close-wakes-all: 6 consumers asleep on an empty queue got 0 and 6 producers asleep on a full one got -1 after close()
 */
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "lab.h"
#include "queue.h"

#define STALL_S 1.0
#define SENTINEL (-7L) /* "no more items": ends one consumer */

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void check_single(const lab_opts_t *o) {
    (void)o;
    queue_t *q = queue_create(3);
    long v = -1;
    for (long i = 1; i <= 3; i++)
        LAB_EXPECT_EQ(0, queue_put(q, i * 10), "put into a queue with room");
    LAB_EXPECT_EQ(3, queue_len(q), "length after 3 puts into capacity 3");
    for (long i = 1; i <= 3; i++) {
        LAB_EXPECT_EQ(1, queue_get(q, &v), "get from a non-empty queue");
        LAB_EXPECT_EQ(i * 10, v, "items come out in the order put");
    }
    for (long i = 0; i < 1000; i++) { /* the ring wraps many times */
        queue_put(q, i);
        queue_put(q, i + 1);
        queue_get(q, &v);
        LAB_EXPECT_EQ(i, v, "FIFO order across wrap-arounds");
        queue_get(q, &v);
        LAB_EXPECT_EQ(i + 1, v, "FIFO order across wrap-arounds");
    }
    queue_put(q, 7);
    queue_close(q);
    LAB_EXPECT_EQ(-1, queue_put(q, 8), "put after close");
    LAB_EXPECT_EQ(1, queue_get(q, &v), "get after close while an item is left");
    LAB_EXPECT_EQ(7, v, "the item left at close");
    LAB_EXPECT_EQ(0, queue_get(q, &v), "get after close on an empty queue");
    queue_destroy(q);
    lab_pass("one thread: FIFO order, capacity, close drains then ends");
}

typedef struct {
    queue_t *q;
    int producers, consumers;
    long per_producer; /* items asked of each producer */
    long *made;        /* made[p]: items producer p put (fewer when time ran short) */
    atomic_int *seen;  /* seen[item]: times taken */
    atomic_int producing;
    _Atomic long taken;
    atomic_int most; /* the longest queue a consumer saw */
    int cap;
} flow_t;

static void produce(flow_t *f, int p) {
    /* Each item is a wake-up: on a machine busy with other work they can
     * take 100 times as long as idle, so producing stops when 40% of the
     * check's time is gone; every verdict holds for any number of items. */
    long i = 0;
    for (; i < f->per_producer && !(i % 32 == 0 && lab_time_spent(0.4)); i++) {
        if (queue_put(f->q, p * f->per_producer + i) != 0)
            lab_fail("put on an open queue returns 0 / it returned -1");
        int len = queue_len(f->q);
        if (len > f->cap)
            lab_fail("a put() returned with the queue over capacity: capacity %d / it held %d (look at put()'s wait)",
                     f->cap, len);
    }
    f->made[p] = i;
    /* The last producer hands each consumer a sentinel, as the course does:
     * these checks judge put() and get() alone; close() has its own check,
     * whose waiters are surely asleep when it comes. */
    if (atomic_fetch_sub(&f->producing, 1) == 1)
        for (int c = 0; c < f->consumers; c++)
            if (queue_put(f->q, SENTINEL) != 0)
                lab_fail("put on an open queue returns 0 / it returned -1");
}

static void consume(flow_t *f) {
    long item, total = (long)f->producers * f->per_producer;
    while (queue_get(f->q, &item) == 1) {
        if (item == SENTINEL)
            return;
        if (item < 0 || item >= total)
            lab_fail("every item taken was put / took %ld, never put", item);
        if (atomic_fetch_add(&f->seen[item], 1) != 0)
            lab_fail("every item taken exactly once / item %ld taken twice (a get() that took from an empty queue, "
                     "or a put() into a full one that overwrote a slot)",
                     item);
        int len = queue_len(f->q);
        for (int m = atomic_load(&f->most); len > m && !atomic_compare_exchange_weak(&f->most, &m, len);)
            ;
        atomic_fetch_add_explicit(&f->taken, 1, memory_order_relaxed);
    }
}

typedef struct {
    flow_t *f;
    int producers;
} roles_t;

static void worker(const lab_worker_t *w) {
    roles_t *r = w->arg;
    if (w->index < r->producers)
        produce(r->f, w->index);
    else
        consume(r->f);
}

/* producers x per items through a queue of `cap`, consumers taking them;
 * fails on the first wrong item, a stall, a loss, or an overfull queue.
 * Returns how many items were put (producers * per unless time ran short). */
static long flow(int producers, int consumers, long per, int cap) {
    long total = producers * per;
    flow_t f = {.q = queue_create(cap), .producers = producers, .consumers = consumers, .per_producer = per,
                .cap = cap};
    f.seen = lab_calloc((size_t)total, sizeof *f.seen);
    f.made = lab_calloc((size_t)producers, sizeof *f.made);
    atomic_init(&f.producing, producers);
    atomic_init(&f.taken, 0);
    atomic_init(&f.most, 0);
    roles_t r = {&f, producers};
    lab_stall_t *s = lab_stall_watch(&f.taken, STALL_S, "no item moved in 1 s: a producer or consumer never woke");
    lab_threads_run(producers + consumers, worker, &r);
    lab_stall_stop(s);
    queue_close(f.q);
    long left = 0;
    if (queue_get(f.q, &left) != 0)
        lab_fail("every item put was taken once, then close() leaves the queue empty / it still held %ld", left);
    long taken = atomic_load(&f.taken), made = 0;
    for (int p = 0; p < producers; p++)
        made += f.made[p];
    if (taken != made) {
        long missing = -1;
        for (int p = 0; p < producers && missing < 0; p++)
            for (long i = p * per; i < p * per + f.made[p] && missing < 0; i++)
                if (atomic_load(&f.seen[i]) == 0)
                    missing = i;
        lab_fail("all %ld items taken before the consumers ended / %ld taken, item %ld never", made, taken,
                 missing);
    }
    if (atomic_load(&f.most) > cap)
        lab_fail("a put() returned with the queue over capacity: capacity %d / it held %d (look at put()'s wait)", cap,
                 atomic_load(&f.most));
    free(f.seen);
    free(f.made);
    queue_destroy(f.q);
    return made;
}

static void check_exactly_once(const lab_opts_t *o) {
    int consumers = lab_opt_threads(o, 6);
    long per = lab_opt_iters(o, 3000);
    long made = flow(4, consumers, per, 4);
    lab_pass("4 producers x %ld items%s, %d consumers, capacity 4: each item taken exactly once, all "
             "consumers ended on their sentinels",
             per, lab_cut_note(made, 4 * per), consumers);
}

static void check_capacity(const lab_opts_t *o) {
    int producers = lab_opt_threads(o, 6);
    long per = lab_opt_iters(o, 2000);
    long made = flow(producers, 1, per, 1);
    lab_pass("%d producers x %ld items%s into a queue of capacity 1, one consumer: never overfull, none lost",
             producers, per, lab_cut_note(made, producers * per));
}

/* close() concerns both kinds of waiter: consumers asleep on an empty queue
 * and producers asleep on a full one. Two queues, one of each, are closed
 * while all of their waiters sleep; a close() that wakes one waiter per
 * condition (a signal), or only one kind, leaves some asleep. */
enum { CLOSE_WAITERS = 6, CLOSE_CAP = 2 };

typedef struct {
    queue_t *empty, *full;
    atomic_int entered;
    _Atomic long ended;
} closing_t;

static void sleeper(const lab_worker_t *w) {
    closing_t *c = w->arg;
    long item = 0;
    atomic_fetch_add(&c->entered, 1);
    if (w->index % 2 == 0) {
        if (queue_get(c->empty, &item) != 0)
            lab_fail("get on a closed, empty queue returns 0 / it returned an item (%ld)", item);
    } else if (queue_put(c->full, 1000 + w->index) != -1) {
        lab_fail("a put waiting on a full queue returns -1 once it is closed / it returned 0");
    }
    atomic_fetch_add(&c->ended, 1);
}

static void *close_later(void *arg) {
    closing_t *c = arg;
    while (atomic_load(&c->entered) < 2 * CLOSE_WAITERS)
        sched_yield();
    sleep_ms(200); /* long enough for every waiter to be asleep */
    queue_close(c->full);
    queue_close(c->empty);
    return NULL;
}

/* Waiters of both kinds asleep, then close() from another thread. */
static void close_scenario(void) {
    closing_t c = {.empty = queue_create(CLOSE_CAP), .full = queue_create(CLOSE_CAP)};
    for (long i = 0; i < CLOSE_CAP; i++)
        LAB_EXPECT_EQ(0, queue_put(c.full, i), "put into a queue with room");
    atomic_init(&c.entered, 0);
    atomic_init(&c.ended, 0);
    pthread_t t;
    lab_thread_create(&t, NULL, close_later, &c);
    lab_stall_t *s = lab_stall_watch(&c.ended, 1.0 + 0.2, "a waiter never woke after close(): it must wake every "
                                                          "waiting consumer and every waiting producer");
    lab_threads_run(2 * CLOSE_WAITERS, sleeper, &c);
    lab_stall_stop(s);
    lab_thread_join(t, NULL);
    long v = -1;
    for (long i = 0; i < CLOSE_CAP; i++) {
        LAB_EXPECT_EQ(1, queue_get(c.full, &v), "get after close while items are left");
        LAB_EXPECT_EQ(i, v, "the items put before close, in order");
    }
    LAB_EXPECT_EQ(0, queue_get(c.full, &v), "get after close once drained");
    queue_destroy(c.empty);
    queue_destroy(c.full);
}

static void check_close_wakes_all(const lab_opts_t *o) {
    (void)o;
    close_scenario();
    lab_pass("%d consumers asleep on an empty queue got 0 and %d producers asleep on a full one got -1 "
             "after close()",
             CLOSE_WAITERS, CLOSE_WAITERS);
}

/* One producer, one consumer, unpaused, for the ThreadSanitizer build;
 * then close() from one thread while others wait in get() and put(): a
 * close() that sets its flag or wakes the waiters without the queue's
 * lock races with every waiter that reads the flag. */
static void check_race_free(const lab_opts_t *o) {
    flow(1, 1, lab_opt_iters(o, 2000), 2);
    close_scenario();
    lab_pass("a producer and a consumer, then close() while others wait: every item once, in bounds");
}

static const lab_check_t checks[] = {
    {"single", "one thread: FIFO, capacity, close drains then ends", check_single, LAB_PAUSE_OFF},
    {"exactly-once", "4 producers, 6 consumers, capacity 4: every item taken exactly once",
     check_exactly_once, LAB_PAUSE_RANDOM},
    {"capacity", "6 producers, 1 consumer, capacity 1: never overfull, nothing lost", check_capacity,
     LAB_PAUSE_RANDOM},
    {"close-wakes-all", "close() wakes 6 consumers on an empty queue and 6 producers on a full one",
     check_close_wakes_all, LAB_PAUSE_OFF},
    {"race-free", "a producer and a consumer, then close() while others wait, for the ThreadSanitizer build",
     check_race_free, LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
