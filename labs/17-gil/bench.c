/* Lab 17, the GIL: the benchmarks.
 *
 * `cpu`: every thread runs chunks of CPU work (about 10 us each) under the
 * GIL, calling gil_check() between two chunks, as an interpreter checks
 * between bytecodes. One operation is one chunk. Under a GIL the threads
 * take turns, so the chunks done by all threads together per second stay
 * flat (or fall) as threads are added: the course's claim about CPU-bound
 * threads. A checkpoint that nobody needs should cost next to nothing.
 *
 * `io-1ms`, `io-5ms`: thread 0 serves requests: each waits 1 ms for its
 * "data" without the GIL (a sleep), then takes the GIL back to answer. The
 * other threads are CPU-bound, with a checkpoint every 1 ms of work as in
 * the tests (with much finer checkpoints the broken lock's race is lost less
 * often, but it is still a race). One operation is one request and every
 * thread counts the requests served, so ns/op per thread is the time one
 * request takes: about 1 ms alone, about 1 ms plus the switch interval (1 or
 * 5 ms) plus up to a chunk beside CPU-bound threads with a fair GIL, and far
 * more when the I/O thread has to win a race it keeps losing (the convoy). A
 * CPU-bound thread that has seen no request finish in 200 chunks stops
 * competing until the request is done, so that a starving I/O thread cannot
 * stall the benchmark for good: broken.c's figure is then a floor.
 *
 * The floor of each op (impl=floor, floor=pthread_mutex_handover): there is
 * no GIL in the C library; the nearest honest floor is the plainest one
 * made of its primitives, inline here: one pthread mutex, and a checkpoint
 * that, once the switch interval has passed since the holder took it,
 * unlocks and locks it again (whoever the kernel lets in wins: no request
 * to drop, no handing over to a waiter). Same loops as the lab's.
 *
 *   $ build/labs/17-gil/fixed/bench --threads 1,2
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "gil.h"
#include "labbench.h"

enum {
    CHUNK_ITERS = 8000,      /* `cpu`: about 10 us of work between checkpoints */
    BATCH = 100,             /* chunks between two calls into Google Benchmark */
    IO_CHUNK_ITERS = 800000, /* `io-*`: about 1 ms, as in the tests */
    IO_US = 1000,            /* the I/O wait of one request */
    CAP_CHUNKS = 200,        /* about 200 ms of work without a request finishing */
};

static uint64_t work(unsigned n) {
    uint64_t x = n;
    for (unsigned i = 0; i < n; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        __asm__("" : "+r"(x));
    }
    return x;
}

static void sleep_us(long us) {
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* One GIL per switch interval, made before any benchmark runs and reused by
 * every run (a GIL nobody holds is as good as new). */
static gil_t *gil_5ms, *gil_1ms;

/* ---- the floor: a plain mutex, given up at a checkpoint after the interval */
typedef struct {
    pthread_mutex_t m;
    long interval_ns;
    struct timespec since; /* when the holder took it */
} mgil_t;

static mgil_t mgil_5ms = {PTHREAD_MUTEX_INITIALIZER, 5000000L, {0, 0}};
static mgil_t mgil_1ms = {PTHREAD_MUTEX_INITIALIZER, 1000000L, {0, 0}};

static inline void mgil_acquire(mgil_t *g) {
    pthread_mutex_lock(&g->m);
    clock_gettime(CLOCK_MONOTONIC, &g->since);
}

static inline void mgil_release(mgil_t *g) { pthread_mutex_unlock(&g->m); }

static inline void mgil_check(mgil_t *g) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((now.tv_sec - g->since.tv_sec) * 1000000000L + (now.tv_nsec - g->since.tv_nsec) >= g->interval_ns) {
        mgil_release(g);
        mgil_acquire(g);
    }
}

/* The loops below run the lab's GIL and the floor alike. Each benchmark
 * passes one of these constant tables, and the loops are always inlined,
 * so the calls through it are resolved and inlined at compile time: no
 * indirect call in a timed loop. */
typedef struct {
    void (*acquire)(void *);
    void (*release)(void *);
    void (*check)(void *);
} lock_ops_t;

static void lab_acquire(void *g) { gil_acquire(g); }
static void lab_release(void *g) { gil_release(g); }
static void lab_check(void *g) { gil_check(g); }
static void floor_acquire(void *g) { mgil_acquire(g); }
static void floor_release(void *g) { mgil_release(g); }
static void floor_check(void *g) { mgil_check(g); }
static const lock_ops_t lab_ops = {lab_acquire, lab_release, lab_check};
static const lock_ops_t floor_ops = {floor_acquire, floor_release, floor_check};

#define INLINE static inline __attribute__((always_inline))

/* The lock is held across batches and let go before the last call into
 * Google Benchmark, whose end-of-run barrier must not be entered with it. */
INLINE void cpu_loop(gb_state_t *st, void *g, const lock_ops_t *ops) {
    labbench_thread_begin(st);
    int held = 0;
    while (gb_keep_running_batch(st, BATCH)) {
        if (!held) {
            ops->acquire(g);
            held = 1;
        }
        for (int i = 0; i < BATCH; i++) {
            GB_DO_NOT_OPTIMIZE(work(CHUNK_ITERS));
            ops->check(g);
        }
        if (gb_iterations_done(st) >= gb_max_iterations(st)) {
            ops->release(g);
            held = 0;
        }
    }
    if (held)
        ops->release(g);
    labbench_thread_end(st, "cpu", gb_iterations_done(st));
}

/* Requests served so far in the current run, and whether the I/O thread is
 * done; reset by thread 0 before its start barrier. */
static _Atomic long served;
static atomic_int io_done;

INLINE void io_thread(gb_state_t *st, void *g, const lock_ops_t *ops) {
    while (gb_keep_running(st)) {
        sleep_us(IO_US); /* waiting for the data, without the lock */
        ops->acquire(g);
        atomic_fetch_add(&served, 1); /* the answer, under the lock */
        ops->release(g);
    }
    atomic_store(&io_done, 1);
}

/* Iteration k of a CPU-bound thread lasts until request k has been served,
 * so every thread runs as many iterations as the I/O thread. The lock is
 * held across iterations, as in `cpu`. */
INLINE void io_cpu_thread(gb_state_t *st, void *g, const lock_ops_t *ops) {
    long k = 0;
    int held = 0;
    while (gb_keep_running(st)) {
        k++;
        if (!held) {
            ops->acquire(g);
            held = 1;
        }
        long chunks = 0;
        while (atomic_load_explicit(&served, memory_order_relaxed) < k &&
               !atomic_load_explicit(&io_done, memory_order_relaxed) && chunks < CAP_CHUNKS) {
            GB_DO_NOT_OPTIMIZE(work(IO_CHUNK_ITERS));
            chunks++;
            ops->check(g);
        }
        if (atomic_load_explicit(&served, memory_order_relaxed) < k &&
            !atomic_load_explicit(&io_done, memory_order_relaxed)) {
            /* The cap: stop competing until the starving request is through. */
            ops->release(g);
            held = 0;
            while (atomic_load_explicit(&served, memory_order_relaxed) < k &&
                   !atomic_load_explicit(&io_done, memory_order_relaxed))
                sleep_us(100);
        }
        if (held && gb_iterations_done(st) >= gb_max_iterations(st)) {
            ops->release(g);
            held = 0;
        }
    }
    if (held)
        ops->release(g);
}

INLINE void io_loop(gb_state_t *st, void *g, const lock_ops_t *ops, const char *op) {
    labbench_thread_begin(st);
    if (gb_thread_index(st) == 0) {
        atomic_store(&served, 0);
        atomic_store(&io_done, 0);
        io_thread(st, g, ops);
    } else {
        io_cpu_thread(st, g, ops);
    }
    labbench_thread_end(st, op, gb_iterations_done(st));
}

static void bm_cpu(gb_state_t *st, void *arg) {
    (void)arg;
    cpu_loop(st, gil_5ms, &lab_ops);
}

static void bm_io(gb_state_t *st, void *arg) {
    io_loop(st, arg, &lab_ops, arg == gil_1ms ? "io-1ms" : "io-5ms");
}

static void bm_floor_cpu(gb_state_t *st, void *arg) {
    (void)arg;
    cpu_loop(st, &mgil_5ms, &floor_ops);
}

static void bm_floor_io(gb_state_t *st, void *arg) {
    io_loop(st, arg, &floor_ops, arg == &mgil_1ms ? "io-1ms" : "io-5ms");
}

void lab_bench_register(const labbench_t *lb) {
    gil_5ms = gil_create(5000);
    gil_1ms = gil_create(1000);
    labbench_register(lb, "cpu", bm_cpu, NULL);
    labbench_register(lb, "io-1ms", bm_io, gil_1ms);
    labbench_register(lb, "io-5ms", bm_io, gil_5ms);
    labbench_register_floor(lb, "cpu-floor", "pthread_mutex_handover", bm_floor_cpu, NULL);
    labbench_register_floor(lb, "io-1ms-floor", "pthread_mutex_handover", bm_floor_io, &mgil_1ms);
    labbench_register_floor(lb, "io-5ms-floor", "pthread_mutex_handover", bm_floor_io, &mgil_5ms);
}
