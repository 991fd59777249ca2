/* Lab 07, condition: the torture driver. One check per run. Producers put
 * numbered items, consumers take them and tick them off, so a lost item, a
 * duplicate or an invented one is seen the moment it happens.
 *
 *   $ build/labs/07-condition/broken/test exactly-once
 *   FAIL: every item taken exactly once / item 3071 taken twice (check exactly-once, seed 12)
 *   $ build/labs/07-condition/fixed/test close-wakes-all
 *   ok: close-wakes-all: 6 consumers asleep on an empty queue got 0 and 6 producers asleep on a full one got -1 after close()
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
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
    /* Items are any long: beyond 32 bits, and -1, which a get() that uses
     * it internally for "closed and empty" mistakes for the end. */
    static const long any[] = {-1, 1L << 40, LONG_MIN, LONG_MAX, -5000000000L, -1};
    for (size_t i = 0; i < sizeof any / sizeof any[0]; i += 3) {
        for (size_t k = i; k < i + 3; k++)
            LAB_EXPECT_EQ(0, queue_put(q, any[k]), "put into a queue with room");
        for (size_t k = i; k < i + 3; k++) {
            v = 0;
            LAB_EXPECT_EQ(1, queue_get(q, &v), "get from an open queue holding an item (-1, 2^40, LONG_MIN, ...)");
            LAB_EXPECT_EQ(any[k], v, "any long item comes out as put");
        }
    }
    queue_put(q, 7);
    queue_put(q, -1);
    queue_close(q);
    LAB_EXPECT_EQ(-1, queue_put(q, 8), "put after close");
    LAB_EXPECT_EQ(1, queue_get(q, &v), "get after close while an item is left");
    LAB_EXPECT_EQ(7, v, "the item left at close");
    LAB_EXPECT_EQ(1, queue_get(q, &v), "get after close while an item (-1) is left");
    LAB_EXPECT_EQ(-1, v, "the item left at close");
    LAB_EXPECT_EQ(0, queue_get(q, &v), "get after close on an empty queue");
    queue_destroy(q);
    lab_pass("one thread: FIFO order, capacity, items -1, 2^40, LONG_MIN, LONG_MAX, close drains then ends");
}

/* A lane: one queue with its own producers and consumers. Checks run two
 * lanes at once, so that a queue that shares its mutex, conditions or
 * ring with every other queue (statics) mixes items or wake-ups up. The
 * items of lane L are L * LANE_SPAN + 0 .. producers * per - 1. */
#define LANE_SPAN 1000000000L
enum { LANES_MAX = 2 };

typedef struct {
    int producers, consumers;
    long per; /* items asked of each producer */
    int cap;
    int observe; /* an observer thread reads queue_len() all through the run */
} lane_spec_t;

typedef struct {
    queue_t *q;
    int lane, producers, consumers;
    long per_producer;
    long *made;       /* made[p]: items producer p put (fewer when time ran short) */
    atomic_int *seen; /* seen[item - base]: times taken */
    atomic_int producing;
    atomic_int most; /* the longest queue a consumer saw */
    int cap;
    _Atomic long *taken; /* every lane's, for the stall watchdog */
} flow_t;

static void produce(flow_t *f, int p) {
    /* Each item is a wake-up: on a machine busy with other work they can
     * take 100 times as long as idle, so producing stops when 40% of the
     * check's time is gone; every verdict holds for any number of items. */
    long i = 0, base = f->lane * LANE_SPAN;
    for (; i < f->per_producer && !(i % 32 == 0 && lab_time_spent(0.4)); i++) {
        if (queue_put(f->q, base + p * f->per_producer + i) != 0)
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
    long item, base = f->lane * LANE_SPAN, total = (long)f->producers * f->per_producer;
    while (queue_get(f->q, &item) == 1) {
        if (item == SENTINEL)
            return;
        if (item < base || item >= base + total) {
            long lane = item / LANE_SPAN;
            if (item >= 0 && lane < LANES_MAX && lane != f->lane)
                lab_fail("a consumer takes only what was put into its own queue / a consumer of queue %d took "
                         "item %ld, put into queue %ld (queues share state?)",
                         f->lane + 1, item, lane + 1);
            lab_fail("every item taken was put / took %ld, never put", item);
        }
        if (atomic_fetch_add(&f->seen[item - base], 1) != 0)
            lab_fail("every item taken exactly once / item %ld taken twice (a get() that took from an empty queue, "
                     "or a put() into a full one that overwrote a slot)",
                     item);
        int len = queue_len(f->q);
        for (int m = atomic_load(&f->most); len > m && !atomic_compare_exchange_weak(&f->most, &m, len);)
            ;
        atomic_fetch_add_explicit(f->taken, 1, memory_order_relaxed);
    }
}

typedef struct {
    flow_t *f;
    int lanes;
} roles_t;

static void worker(const lab_worker_t *w) {
    roles_t *r = w->arg;
    int i = w->index;
    for (int l = 0; l < r->lanes; l++) {
        flow_t *f = &r->f[l];
        if (i < f->producers) {
            produce(f, i);
            return;
        }
        i -= f->producers;
        if (i < f->consumers) {
            consume(f);
            return;
        }
        i -= f->consumers;
    }
}

/* queue_len() is "items in the queue now": always 0..capacity, also while
 * puts and gets are under way. The producers and consumers read it only
 * right after their own calls; an observer thread beside them reads it
 * over and over while they work (perturbed, as they are), so that a
 * length put together from two readings that are not of one moment (items
 * put, then items taken, each read without the lock while both move) is
 * read between them: the gets made meanwhile overtake the puts counted,
 * and the difference is negative, or the other way round, over capacity. */
typedef struct {
    flow_t *f;
    int lanes;
    atomic_int stop;
    long reads, bad;
    int first, first_lane; /* the first length out of bounds */
} observer_t;

static void *observe_len(void *arg) {
    observer_t *ob = arg;
    while (!atomic_load_explicit(&ob->stop, memory_order_relaxed))
        for (int l = 0; l < ob->lanes; l++) {
            int len = queue_len(ob->f[l].q);
            ob->reads++;
            if (len < 0 || len > ob->f[l].cap) {
                if (ob->bad++ == 0)
                    ob->first = len, ob->first_lane = l;
            }
        }
    return NULL;
}

/* Items through `lanes` queues at once, each with its producers and
 * consumers; fails on the first wrong item, a stall, a loss, or an
 * overfull queue, or (spec->observe) a length out of bounds while they
 * work. Returns how many items were put into the first queue (producers *
 * per unless time ran short). */
static long flow(const lane_spec_t *spec, int lanes) {
    flow_t f[LANES_MAX];
    _Atomic long taken;
    atomic_init(&taken, 0);
    int threads = 0;
    for (int l = 0; l < lanes; l++) {
        const lane_spec_t *ls = &spec[l];
        f[l] = (flow_t){.q = queue_create(ls->cap), .lane = l, .producers = ls->producers,
                        .consumers = ls->consumers, .per_producer = ls->per, .cap = ls->cap, .taken = &taken};
        f[l].seen = lab_calloc((size_t)(ls->producers * ls->per), sizeof *f[l].seen);
        f[l].made = lab_calloc((size_t)ls->producers, sizeof *f[l].made);
        atomic_init(&f[l].producing, ls->producers);
        atomic_init(&f[l].most, 0);
        threads += ls->producers + ls->consumers;
    }
    roles_t r = {f, lanes};
    observer_t ob = {.f = f, .lanes = lanes};
    atomic_init(&ob.stop, 0);
    pthread_t obt;
    if (spec[0].observe)
        lab_thread_create(&obt, NULL, observe_len, &ob);
    lab_stall_t *s = lab_stall_watch(&taken, STALL_S, "no item moved in 1 s: a producer or consumer never woke");
    lab_threads_run(threads, worker, &r);
    lab_stall_stop(s);
    if (spec[0].observe) {
        atomic_store(&ob.stop, 1);
        lab_thread_join(obt, NULL);
        if (ob.bad != 0)
            lab_fail("queue_len() is the number of items in the queue now: 0..%d, also while puts and gets are "
                     "under way / an observer read %d from queue %d while producers and consumers worked (%ld of "
                     "its %ld readings out of bounds): a length made of two readings that are not of one moment",
                     f[ob.first_lane].cap, ob.first, ob.first_lane + 1, ob.bad, ob.reads);
    }
    long first_made = 0;
    for (int l = 0; l < lanes; l++) {
        flow_t *fl = &f[l];
        long per = fl->per_producer, cap = fl->cap;
        queue_close(fl->q);
        long left = 0;
        if (queue_get(fl->q, &left) != 0)
            lab_fail("every item put was taken once, then close() leaves the queue empty / queue %d still held %ld",
                     l + 1, left);
        long lane_taken = 0, made = 0;
        for (long i = 0; i < fl->producers * per; i++)
            lane_taken += atomic_load(&fl->seen[i]);
        for (int p = 0; p < fl->producers; p++)
            made += fl->made[p];
        if (lane_taken != made) {
            long missing = -1;
            for (int p = 0; p < fl->producers && missing < 0; p++)
                for (long i = p * per; i < p * per + fl->made[p] && missing < 0; i++)
                    if (atomic_load(&fl->seen[i]) == 0)
                        missing = l * LANE_SPAN + i;
            lab_fail("all %ld items of queue %d taken before the consumers ended / %ld taken, item %ld never", made,
                     l + 1, lane_taken, missing);
        }
        if (atomic_load(&fl->most) > cap)
            lab_fail("a put() returned with the queue over capacity: capacity %ld / it held %d (look at put()'s "
                     "wait)",
                     cap, atomic_load(&fl->most));
        free(fl->seen);
        free(fl->made);
        queue_destroy(fl->q);
        if (l == 0)
            first_made = made;
    }
    return first_made;
}

/* ---- queues are independent ---------------------------------------------
 * A put() wakes a consumer of its own queue. Two empty queues A and B of
 * capacity 1: consumers fall asleep on one, then on the other (seen
 * asleep), and one item goes into A: A's consumer must get it, and B's
 * must sleep on. A mutex and conditions shared by every queue (statics)
 * hand the one wake-up to whichever sleeper the condition picks, a
 * consumer of B, who finds B empty and sleeps again, while A's sleeps next
 * to its item: no progress for 1 s fails. Both orders are tried (B's three
 * first, then A's one first), so whichever sleeper the condition wakes
 * first, one order picks a consumer of B. The same with producers asleep on
 * two full queues, and a get() from A. Perturbation and pauses are off
 * meanwhile: the verdict rests on who sleeps, not on timing. */
enum { OTHERS = 3 };

typedef struct {
    queue_t *q;
    long item;
    int r;
    atomic_int done;
    atomic_int may_end; /* a thread the driver may signal stays alive until then */
} call_t;

static void call_done(call_t *c) {
    atomic_store(&c->done, 1);
    while (!atomic_load(&c->may_end))
        sleep_ms(1);
}

static void *get_call(void *arg) {
    call_t *c = arg;
    c->r = queue_get(c->q, &c->item);
    call_done(c);
    return NULL;
}

static void *put_call(void *arg) {
    call_t *c = arg;
    c->r = queue_put(c->q, c->item);
    call_done(c);
    return NULL;
}

static void start_call(pthread_t *t, call_t *c, queue_t *q, long item, int producer, int linger) {
    *c = (call_t){.q = q, .item = item};
    atomic_init(&c->done, 0);
    atomic_init(&c->may_end, !linger);
    lab_thread_create(t, NULL, producer ? put_call : get_call, c);
}

static void independent(int producers) {
    const char *who = producers ? "producer" : "consumer";
    lab_pause_mode_t mode = lab_pause_mode;
    int perturb = lab_perturb_on;
    lab_pause_mode = LAB_PAUSE_OFF;
    lab_perturb_on = 0;
    for (int order = 0; order < 2; order++) {
        queue_t *a = queue_create(1), *b = queue_create(1);
        if (producers) {
            LAB_EXPECT_EQ(0, queue_put(a, 1), "put into a queue with room");
            LAB_EXPECT_EQ(0, queue_put(b, 2), "put into a queue with room");
        }
        pthread_t ta, tb[OTHERS];
        call_t ca, cb[OTHERS];
        for (int step = 0; step < 2; step++) {
            if ((step == 0) == (order == 0))
                for (int i = 0; i < OTHERS; i++)
                    start_call(&tb[i], &cb[i], b, 20 + i, producers, 0);
            else
                start_call(&ta, &ca, a, 10, producers, 0);
            lab_others_asleep(1.0); /* asleep in their waits, in this order (only a precondition) */
        }
        _Atomic long moved;
        atomic_init(&moved, 0);
        lab_stall_t *s = lab_stall_watch(
            &moved, STALL_S,
            producers ? "a producer waiting on full queue A never got the room a get() from A made (one of "
                        "another full queue slept too): each queue needs its own mutex and conditions"
                      : "a consumer waiting on empty queue A never got the item put into A (one of another empty "
                        "queue slept too): each queue needs its own mutex and conditions");
        long v = -1;
        if (producers) {
            LAB_EXPECT_EQ(1, queue_get(a, &v), "get from a full queue");
            LAB_EXPECT_EQ(1, v, "the item in the queue");
        } else {
            LAB_EXPECT_EQ(0, queue_put(a, 42), "put into an empty queue");
        }
        lab_thread_join(ta, NULL);
        atomic_fetch_add(&moved, 1);
        if (producers) {
            LAB_EXPECT_EQ(0, ca.r, "a put() woken by room returns");
            LAB_EXPECT_EQ(1, queue_get(a, &v), "get after the woken put()");
            LAB_EXPECT_EQ(10, v, "the item the woken producer put");
        } else {
            LAB_EXPECT_EQ(1, ca.r, "a get() woken by an item returns");
            LAB_EXPECT_EQ(42, ca.item, "the item the woken consumer got");
        }
        for (int i = 0; i < OTHERS; i++)
            if (atomic_load(&cb[i].done))
                lab_fail("a %s waiting on queue B waits on while something happens to queue A only / one returned "
                         "(%d, item %ld)",
                         who, cb[i].r, cb[i].item);
        /* B's waiters go on their way, by puts and gets alone. */
        if (producers)
            for (int i = 0; i <= OTHERS; i++)
                LAB_EXPECT_EQ(1, queue_get(b, &v), "get from a full queue");
        else
            for (int i = 0; i < OTHERS; i++)
                LAB_EXPECT_EQ(0, queue_put(b, 30 + i), "put into a queue with room");
        for (int i = 0; i < OTHERS; i++) {
            lab_thread_join(tb[i], NULL);
            atomic_fetch_add(&moved, 1);
        }
        lab_stall_stop(s);
        queue_destroy(a);
        queue_destroy(b);
    }
    lab_pause_mode = mode;
    lab_perturb_on = perturb;
}

/* ---- every put wakes a consumer, every get a producer --------------------
 * One item serves one consumer, so each put() must wake one, not only the
 * put() that finds the queue empty. Two consumers asleep on an empty queue
 * of capacity 4, then two puts in a row: each consumer must get an item.
 * "In a row" is made, not hoped for: both consumers are held still
 * (lab_hold_thread: a signal whose handler naps until the driver lets go;
 * their waits then go on with whatever wake-ups came meanwhile) while both puts
 * run, so neither can take the first item before the second put. A put()
 * that signals only on "empty -> not empty" then wakes one of the two, and
 * the other sleeps next to the second item: no progress for 1 s fails. The
 * same with two producers asleep on a full queue and two gets in a row
 * (a get() that signals only on "full -> not full"). Perturbation and pauses
 * are off meanwhile: the verdict rests on who sleeps, not on timing. */
enum { ROW = 2, ROW_CAP = 4 };
#define ROW_HOLD_MOST_S 2.0 /* a design asleep while holding its lock cannot hang the puts */

static void in_a_row(int producers) {
    const char *who = producers ? "producer" : "consumer";
    lab_pause_mode_t mode = lab_pause_mode;
    int perturb = lab_perturb_on;
    lab_pause_mode = LAB_PAUSE_OFF;
    lab_perturb_on = 0;
    lab_hold_install(ROW_HOLD_MOST_S);
    queue_t *q = queue_create(ROW_CAP);
    if (producers)
        for (long i = 0; i < ROW_CAP; i++)
            LAB_EXPECT_EQ(0, queue_put(q, i), "put into a queue with room");
    pthread_t t[ROW];
    call_t c[ROW];
    for (int i = 0; i < ROW; i++)
        start_call(&t[i], &c[i], q, 100 + i, producers, 1);
    lab_others_asleep(1.0); /* asleep in their waits (only a precondition) */
    for (int i = 0; i < ROW; i++)
        lab_hold_thread(t[i]);
    long v = -1;
    for (long i = 0; i < ROW; i++) {
        if (producers) {
            LAB_EXPECT_EQ(1, queue_get(q, &v), "get from a full queue");
            LAB_EXPECT_EQ(i, v, "items come out in the order put");
        } else {
            LAB_EXPECT_EQ(0, queue_put(q, 10 + i), "put into a queue with room");
        }
    }
    (void)lab_hold_release(); /* 0 only where two puts took 2 s: the round proves less, and fails nothing correct */
    _Atomic long moved;
    atomic_init(&moved, 0);
    lab_stall_t *s = lab_stall_watch(
        &moved, STALL_S,
        producers ? "two producers asleep on a full queue, two gets in a row: one producer slept on beside the "
                    "room the second get() made (every get() must wake a producer, not only the one that finds "
                    "the queue full)"
                  : "two consumers asleep on an empty queue, two puts in a row: one consumer slept on beside the "
                    "second item (every put() must wake a consumer, not only the one that finds the queue empty)");
    for (int i = 0; i < ROW; i++) {
        while (!atomic_load(&c[i].done))
            sleep_ms(1);
        atomic_fetch_add(&moved, 1);
    }
    lab_stall_stop(s);
    long got = 0;
    for (int i = 0; i < ROW; i++) {
        if (c[i].r != (producers ? 0 : 1))
            lab_fail("a %s woken on an open queue returns %d / it returned %d", who, producers ? 0 : 1, c[i].r);
        got += producers ? 0 : c[i].item;
        atomic_store(&c[i].may_end, 1);
        lab_thread_join(t[i], NULL);
    }
    if (!producers && got != 10 + 11)
        lab_fail("two consumers, two items put: each gets one of them / they got items summing to %ld", got);
    queue_destroy(q);
    lab_pause_mode = mode;
    lab_perturb_on = perturb;
}

/* get() waits while the queue is empty and open, however long: a consumer
 * on a queue of its own falls asleep as the check starts, and its item is
 * put only once LATE_S has passed since it was seen asleep (a sleep, which
 * can only last longer), after the rest of the check, which takes part of
 * that time anyway. A get() that gives up after a while ("the producers
 * must have died") and returns 0, or anything, on an open queue has done so
 * by then: the check fails on it, and on a get() that then misses the item.
 * A give-up time longer than LATE_S less the lateness of its timer is not
 * caught (it would cost the check that length in waiting). */
#define LATE_S 3.3

typedef struct {
    pthread_t t;
    queue_t *q;
    long item;
    int r;
    atomic_int entered, done;
    double asleep; /* when the driver saw it asleep in get() */
} late_t;

static void *late_consumer(void *arg) {
    late_t *l = arg;
    atomic_store(&l->entered, 1);
    l->r = queue_get(l->q, &l->item);
    atomic_store(&l->done, 1);
    return NULL;
}

static void late_start(late_t *l) {
    l->q = queue_create(1);
    atomic_init(&l->entered, 0);
    atomic_init(&l->done, 0);
    lab_thread_create(&l->t, NULL, late_consumer, l);
    while (!atomic_load(&l->entered))
        sleep_ms(1);
    lab_others_asleep(1.0); /* a design that spins is never seen asleep: then its wait counts from here */
    l->asleep = lab_now();
}

static void late_finish(late_t *l) {
    while (lab_now() < l->asleep + LATE_S && !atomic_load(&l->done))
        sleep_ms(50);
    if (!atomic_load(&l->done))
        lab_others_asleep(0.5); /* a give-up whose timer fired late returns meanwhile */
    if (atomic_load(&l->done))
        lab_fail("get() on an open queue waits until an item is put, however long that takes / it returned %d "
                 "%.2f s after it was seen asleep, with the queue empty and open (a get() must not give up)",
                 l->r, lab_now() - l->asleep);
    _Atomic long ended;
    atomic_init(&ended, 0);
    lab_stall_t *s = lab_stall_watch(&ended, STALL_S, "a consumer that waited 3.5 s on an empty queue never got "
                                                      "the item then put");
    LAB_EXPECT_EQ(0, queue_put(l->q, 77), "put into an open queue with room");
    lab_thread_join(l->t, NULL);
    atomic_fetch_add(&ended, 1);
    lab_stall_stop(s);
    if (l->r != 1 || l->item != 77)
        lab_fail("a get() that waited %.1f s on an open queue gets the item then put / it returned %d (item %ld)",
                 LATE_S, l->r, l->item);
    queue_close(l->q);
    queue_destroy(l->q);
}

static void check_exactly_once(const lab_opts_t *o) {
    int consumers = lab_opt_threads(o, 6);
    long per = lab_opt_iters(o, 3000);
    lane_spec_t spec[2] = {{4, consumers, per, 4, 0}, {1, 1, per / 4, 2, 0}};
    late_t late;
    late_start(&late);
    long made = flow(spec, 2);
    independent(0);
    in_a_row(0);
    late_finish(&late);
    lab_pass("4 producers x %ld items%s, %d consumers, capacity 4, beside a second queue: each item taken exactly "
             "once, from its own queue, all consumers ended on their sentinels; a put() into one of two queues "
             "woke its own sleeping consumer; two puts in a row woke two sleeping consumers; a consumer that "
             "waited %.1f s on an empty queue got the item then put",
             per, lab_cut_note(made, 4 * per), consumers, LATE_S);
}

static void check_capacity(const lab_opts_t *o) {
    int producers = lab_opt_threads(o, 6);
    long per = lab_opt_iters(o, 2000);
    lane_spec_t spec[2] = {{producers, 1, per, 1, 1}, {2, 1, per / 4, 1, 0}};
    long made = flow(spec, 2);
    independent(1);
    in_a_row(1);
    lab_pass("%d producers x %ld items%s into a queue of capacity 1, one consumer, beside a second such queue: "
             "never overfull, none lost, queue_len() 0..1 whenever an observer read it meanwhile; a get() from one "
             "of two full queues woke its own sleeping producer; two gets in a row woke two sleeping producers",
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

/* A put() that was waiting when close() came returns -1 and adds nothing,
 * even when a get() makes room before it wakes: capacity 1, full, a
 * producer asleep in put() (seen asleep); close() and then get() while
 * the producer is held still (above), so that both surely come before it
 * looks again. A put() that tests "closed" only while the queue is full
 * finds room, adds its item to the closed queue and returns 0: the next
 * get() then returns that item instead of 0. The put() cannot be ordered
 * before close(): the queue was full until the get() that came after it. */
static void put_woken_after_close(void) {
    lab_hold_install(0.5);
    queue_t *q = queue_create(1);
    LAB_EXPECT_EQ(0, queue_put(q, 5), "put into a queue with room");
    pthread_t t;
    call_t c;
    start_call(&t, &c, q, 6, 1, 1);
    int asleep = lab_others_asleep(1.0); /* held only while asleep in its wait */
    if (asleep)
        lab_hold_thread(t);
    queue_close(q);
    long v = -1;
    LAB_EXPECT_EQ(1, queue_get(q, &v), "get after close while an item is left");
    LAB_EXPECT_EQ(5, v, "the item left at close");
    if (asleep)
        lab_hold_release();
    _Atomic long ended;
    atomic_init(&ended, 0);
    lab_stall_t *s = lab_stall_watch(&ended, STALL_S, "a producer waiting on a full queue never woke after close()");
    while (!atomic_load(&c.done))
        sleep_ms(1);
    atomic_fetch_add(&ended, 1);
    atomic_store(&c.may_end, 1);
    lab_thread_join(t, NULL);
    lab_stall_stop(s);
    if (c.r != -1 || queue_get(q, &v) != 0)
        lab_fail("a put() waiting on a full queue when close() came returns -1 and adds nothing, even if a get() "
                 "made room before it woke / it returned %d, and the closed queue then held %s",
                 c.r, c.r == -1 ? "an item" : "its item");
    queue_destroy(q);
}

/* close() wakes every waiter, also when the queue is neither empty nor
 * full: MID_WAITERS consumers seen asleep on an empty queue of capacity
 * MID_CAP are held still (lab_hold_thread: their waits go on afterwards
 * with whatever wake-ups came meanwhile) while the driver puts one item
 * and closes the queue, so close() finds one item in it, every run. A put()
 * wakes one consumer for its item; a close() that broadcasts only when the
 * queue is empty (or full) leaves the others asleep on a closed queue once
 * that one took the item: no progress for 1 s fails. The same with
 * producers asleep on a full queue, one get() and close(). */
enum { MID_WAITERS = 3, MID_CAP = 4 };

static void close_mid_queue(int producers) {
    const char *who = producers ? "producer" : "consumer";
    lab_hold_install(ROW_HOLD_MOST_S);
    queue_t *q = queue_create(MID_CAP);
    if (producers)
        for (long i = 0; i < MID_CAP; i++)
            LAB_EXPECT_EQ(0, queue_put(q, i), "put into a queue with room");
    pthread_t t[MID_WAITERS];
    call_t c[MID_WAITERS];
    for (int i = 0; i < MID_WAITERS; i++)
        start_call(&t[i], &c[i], q, 100 + i, producers, 1);
    lab_others_asleep(1.0); /* asleep in their waits (only a precondition) */
    for (int i = 0; i < MID_WAITERS; i++)
        lab_hold_thread(t[i]);
    long v = -1;
    if (producers) {
        LAB_EXPECT_EQ(1, queue_get(q, &v), "get from a full queue");
        LAB_EXPECT_EQ(0, v, "the oldest item");
    } else {
        LAB_EXPECT_EQ(0, queue_put(q, 42), "put into an empty queue");
    }
    queue_close(q);
    (void)lab_hold_release(); /* 0 only where a put and a close took 2 s: proves less, fails nothing correct */
    _Atomic long ended;
    atomic_init(&ended, 0);
    lab_stall_t *s = lab_stall_watch(
        &ended, STALL_S,
        producers ? "producers asleep on a full queue, one get() then close() (the queue neither empty nor full): "
                    "a producer never woke (close() must wake every waiter, whatever the queue holds)"
                  : "consumers asleep on an empty queue, one put() then close() (the queue neither empty nor "
                    "full): a consumer never woke (close() must wake every waiter, whatever the queue holds)");
    for (int i = 0; i < MID_WAITERS; i++) {
        while (!atomic_load(&c[i].done))
            sleep_ms(1);
        atomic_fetch_add(&ended, 1);
    }
    lab_stall_stop(s);
    int got = 0;
    for (int i = 0; i < MID_WAITERS; i++) {
        if (producers && c[i].r != -1)
            lab_fail("a put() waiting when close() came returns -1 / a %s returned %d", who, c[i].r);
        if (!producers && (c[i].r < 0 || c[i].r > 1 || (c[i].r == 1 && c[i].item != 42)))
            lab_fail("a get() waiting when one item was put and the queue closed gets that item or 0 / it "
                     "returned %d (item %ld)",
                     c[i].r, c[i].item);
        got += c[i].r == 1;
        atomic_store(&c[i].may_end, 1);
        lab_thread_join(t[i], NULL);
    }
    if (!producers && got != 1)
        lab_fail("one item put, then close(), %d consumers waiting: one gets it, the others 0 / %d got an item",
                 MID_WAITERS, got);
    if (producers)
        for (long i = 1; i < MID_CAP; i++) {
            LAB_EXPECT_EQ(1, queue_get(q, &v), "get after close while items are left");
            LAB_EXPECT_EQ(i, v, "the items put before close, in order");
        }
    LAB_EXPECT_EQ(0, queue_get(q, &v), "get after close once drained");
    queue_destroy(q);
}

/* close() while consumers are on their way to sleep: RACE_ROUNDS fresh
 * queues, each with RACE_WAITERS consumers released together into get()
 * and a closer that calls close() once they are all under way, after a
 * delay that sweeps a range from round to round, with random pauses and
 * perturbation in the queue's code (which also holds a consumer up between
 * its look at the queue and its sleep, now and then). Every consumer must
 * return 0. A close() that sets its flag and broadcasts without the
 * queue's mutex reaches nobody when it comes while a consumer has looked
 * ("empty and open") and not yet slept: that consumer sleeps for ever on a
 * closed queue, and no progress for 1 s fails. */
enum { RACE_ROUNDS = 200, RACE_WAITERS = 4 };

typedef struct {
    queue_t *q;
    int round;
    atomic_int entered;
    _Atomic long *ended;
} racing_t;

static void racer(const lab_worker_t *w) {
    racing_t *r = w->arg;
    if (w->index == RACE_WAITERS) {
        while (atomic_load(&r->entered) < RACE_WAITERS)
            sched_yield();
        for (volatile int i = 0, n = (r->round % 32) * 200; i < n; i++) /* sweeps where close() lands */
            ;
        queue_close(r->q);
        return;
    }
    long v = -1;
    atomic_fetch_add(&r->entered, 1);
    int got = queue_get(r->q, &v);
    if (got != 0)
        lab_fail("get on a closed, empty queue returns 0 / it returned %d (item %ld)", got, v);
    atomic_fetch_add(r->ended, 1);
}

static long close_racing_waiters(void) {
    lab_pause_mode_t mode = lab_pause_mode;
    int perturb = lab_perturb_on;
    lab_pause_mode = LAB_PAUSE_RANDOM;
    lab_perturb_on = 1;
    _Atomic long ended;
    atomic_init(&ended, 0);
    lab_stall_t *s = lab_stall_watch(&ended, STALL_S,
                                     "a consumer on its way to sleep when close() came never woke: close() must "
                                     "set \"closed\" and wake the waiters with the queue's mutex held, or a "
                                     "consumer that has looked but not yet slept misses the wake-up");
    int k = 0;
    for (; k < RACE_ROUNDS && !(k >= RACE_ROUNDS / 4 && lab_time_spent(0.6)); k++) {
        racing_t r = {.q = queue_create(2), .round = k, .ended = &ended};
        atomic_init(&r.entered, 0);
        lab_threads_run(RACE_WAITERS + 1, racer, &r);
        queue_destroy(r.q);
    }
    lab_stall_stop(s);
    lab_pause_mode = mode;
    lab_perturb_on = perturb;
    return k;
}

/* Memory: the driver counts the implementation's allocations less its
 * frees (lab_impl_live_allocs). A put() that meets a closed queue adds
 * nothing, and keeps nothing either: every block allocated during this
 * check (by queue_create(), by the puts that were refused after close(),
 * by the 6 + 3 producers woken by close() and the one woken after it) must
 * be freed once every queue is destroyed. A queue made, used, closed and
 * destroyed first counts whatever a design keeps per thread for good
 * before the count starts; the other threads have ended by then. */
static void check_close_wakes_all(const lab_opts_t *o) {
    (void)o;
    queue_t *warm = queue_create(1);
    long v;
    queue_put(warm, 1);
    queue_get(warm, &v);
    queue_close(warm);
    queue_put(warm, 2);
    queue_get(warm, &v);
    queue_destroy(warm);
    long live = lab_impl_live_allocs();
    close_scenario();
    close_mid_queue(0);
    close_mid_queue(1);
    put_woken_after_close();
    long raced = close_racing_waiters();
    lab_expect_freed(live, "close() while producers wait on full queues (each put() then returns -1), and "
                           "queue_destroy() of every queue,");
    lab_pass("%d consumers asleep on an empty queue got 0 and %d producers asleep on a full one got -1 "
             "after close(); %d consumers (producers) held still while one item was put (taken) and the queue "
             "closed all woke; a producer woken after close() and a get() got -1 and added nothing; %ld closes "
             "racing %d consumers on their way to sleep woke them all; every block allocated freed once the "
             "queues were destroyed",
             CLOSE_WAITERS, CLOSE_WAITERS, MID_WAITERS, raced, RACE_WAITERS);
}

/* For the ThreadSanitizer build: close() while producers put and consumers
 * get, on fresh queues, RUN_ROUNDS times. The queue is big enough that no
 * producer ever waits, and each goes on putting until a put() returns -1
 * (after RUN_ITEMS puts it waits for close() to have returned, through a
 * relaxed flag, which orders nothing for ThreadSanitizer). So every
 * producer makes a put() call that starts after close() wrote "closed"
 * with nothing in between to order the two: a put() that reads the flag
 * before it takes the queue's lock (a "fast path") races with close()
 * every round, not only when the timing is unlucky. */
enum { RUN_ROUNDS = 10, RUN_PRODUCERS = 2, RUN_CONSUMERS = 2, RUN_ITEMS = 64 };

typedef struct {
    queue_t *q;
    atomic_int puts, closed;
} running_t;

static void runner(const lab_worker_t *w) {
    running_t *r = w->arg;
    if (w->index == 0) { /* the closer: once the producers are under way */
        while (atomic_load_explicit(&r->puts, memory_order_relaxed) < RUN_ITEMS / 2)
            sched_yield();
        queue_close(r->q);
        atomic_store_explicit(&r->closed, 1, memory_order_relaxed);
    } else if (w->index <= RUN_PRODUCERS) {
        for (long i = 0;; i++) {
            if (i == RUN_ITEMS)
                while (!atomic_load_explicit(&r->closed, memory_order_relaxed))
                    sched_yield();
            if (queue_put(r->q, i) != 0)
                break;
            atomic_fetch_add_explicit(&r->puts, 1, memory_order_relaxed);
        }
    } else {
        long v;
        while (queue_get(r->q, &v) == 1)
            ;
    }
}

static void close_while_running(void) {
    for (int k = 0; k < RUN_ROUNDS; k++) {
        running_t r = {.q = queue_create(2 * RUN_PRODUCERS * RUN_ITEMS)};
        atomic_init(&r.puts, 0);
        atomic_init(&r.closed, 0);
        lab_threads_run(1 + RUN_PRODUCERS + RUN_CONSUMERS, runner, &r);
        long v;
        LAB_EXPECT_EQ(0, queue_get(r.q, &v), "get after close once the consumers drained it");
        queue_destroy(r.q);
    }
}

/* One producer, one consumer, unpaused, for the ThreadSanitizer build;
 * then close() from one thread while others wait in get() and put(): a
 * close() that sets its flag or wakes the waiters without the queue's
 * lock races with every waiter that reads the flag; then close() while
 * others put and get (above). */
static void check_race_free(const lab_opts_t *o) {
    lane_spec_t spec = {1, 1, lab_opt_iters(o, 2000), 2, 0};
    flow(&spec, 1);
    close_scenario();
    close_while_running();
    lab_pass("a producer and a consumer, then close() while others wait, then close() while others put and get "
             "(%d rounds): every item once, in bounds",
             RUN_ROUNDS);
}

static const lab_check_t checks[] = {
    {"single", "one thread: FIFO, capacity, any long item (-1, 2^40, LONG_MIN), close drains then ends",
     check_single, LAB_PAUSE_OFF},
    {"exactly-once",
     "4 producers, 6 consumers, capacity 4, beside a second queue: every item taken exactly once; a put() wakes "
     "a consumer of its own queue, two puts in a row wake two (unperturbed); a get() waits 3.5 s for an item",
     check_exactly_once, LAB_PAUSE_RANDOM},
    {"capacity",
     "6 producers, 1 consumer, capacity 1, beside a second queue: never overfull, queue_len() 0..1 to an "
     "observer all along, nothing lost; a get() wakes a producer of its own queue, two gets in a row wake two "
     "(unperturbed)",
     check_capacity, LAB_PAUSE_RANDOM},
    {"close-wakes-all",
     "close() wakes 6 consumers on an empty queue and 6 producers on a full one, and 3 of each kind on a queue "
     "neither empty nor full; a producer woken after close() and a get() adds nothing",
     check_close_wakes_all, LAB_PAUSE_OFF},
    {"race-free",
     "a producer and a consumer, then close() while others wait, then while others put and get, for the "
     "ThreadSanitizer build",
     check_race_free, LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
