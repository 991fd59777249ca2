/* Lab 15, pipes: the benchmarks. Threads work in pairs (0 with 1, 2 with
 * 3, ...), so only even thread counts are registered: the even thread of a
 * pair sends messages of one size through a channel of its own, the odd
 * one receives them. `pipe-64B` .. `pipe-64KiB` time chan_send/chan_recv
 * through the implementation's pipe; each thread counts its own sends or
 * receives, so ns/op per thread is the time per message, and the bytes
 * per second of all pairs are size x ops/s / 2. In fixed's binary,
 * `shm-64B` .. `shm-64KiB` move the same frames through a ring of the same
 * capacity as a pipe (64 KiB) in shared memory (MAP_SHARED, as it would be
 * between processes): two memcpy()s per message and no system call, with a
 * reader or writer that finds the ring empty or full spinning a little
 * and then yielding. broken.c cannot carry a frame over PIPE_BUF whole even
 * from one producer (a read returns part of it, the stream falls out of
 * step and ends up waiting for bytes that never come), so its binary
 * registers only the sizes it can carry.
 *
 * The floor of each pipe-SIZE (impl=floor, floor=pipe_writev_read): a bare
 * pipe(2) per pair, the frame (4-byte length, then the message) sent with
 * writev() and received with read()s until it is whole, no lock and no
 * checks: the system calls any framed pipe channel must make.
 *
 *   $ build/labs/15-pipes/fixed/bench --threads 2
 */
#define _GNU_SOURCE
#include <limits.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "chan.h"
#include "labbench.h"

enum { MAXT = 256, BATCH = 16, RING = 65536, NSIZES = 4 };

static const int64_t sizes[NSIZES] = {64, 1024, 4096, 65536};
static const char *const size_names[NSIZES] = {"64B", "1KiB", "4KiB", "64KiB"};
static char op_pipe[NSIZES][16], op_shm[NSIZES][16];

static const char *op_for(char ops[][16], int64_t size) {
    for (int k = 0; k < NSIZES; k++)
        if (sizes[k] == size)
            return ops[k];
    return "?";
}

/* ---- through the implementation's pipe ---------------------------------- */
static chan_t *rxs[MAXT / 2], *txs[MAXT / 2];

static void bm_pipe(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    int t = gb_thread_index(st), n = gb_thread_count(st);
    size_t size = (size_t)gb_range_arg(st, 0);
    if (n > MAXT || n % 2 != 0) {
        gb_skip_with_error(st, "pairs of threads only");
        return;
    }
    if (t == 0)
        for (int p = 0; p < n / 2; p++)
            if (chan_open(&rxs[p], &txs[p]) != 0) {
                gb_skip_with_error(st, "chan_open failed");
                return;
            }
    unsigned char *buf = malloc(size);
    if (buf == NULL) {
        gb_skip_with_error(st, "out of memory");
        return;
    }
    memset(buf, t, size);
    chan_t *c = NULL;
    int sender = (t & 1) == 0, bad = 0;
    while (gb_keep_running_batch(st, BATCH)) {
        if (c == NULL) /* inside the loop: thread 0 opened the channels before its start barrier */
            c = sender ? txs[t / 2] : rxs[t / 2];
        for (int i = 0; i < BATCH; i++)
            if (sender)
                bad |= chan_send(c, buf, size) != 0;
            else
                bad |= chan_recv(c, buf, size) != (ssize_t)size;
    }
    if (c != NULL)
        chan_close(c);
    free(buf);
    if (bad)
        gb_skip_with_error(st, "a message did not arrive whole");
    labbench_thread_end(st, op_for(op_pipe, (int64_t)size), gb_iterations_done(st));
}

/* ---- the baseline: a ring in shared memory ------------------------------- */
typedef struct {
    _Alignas(64) _Atomic uint64_t head; /* bytes ever written */
    _Alignas(64) _Atomic uint64_t tail; /* bytes ever read */
    _Alignas(64) unsigned char data[RING];
} ring_t;

static ring_t *rings[MAXT / 2];

/* Wait a little on the CPU (the other side is usually running, on the
 * other core), then give the CPU away: with more threads than CPUs the
 * other side may need this one. */
static void ring_wait(unsigned *spins) {
    if (++*spins < 200)
        __builtin_ia32_pause();
    else
        sched_yield();
}

static void ring_put(ring_t *r, const void *src, size_t n) {
    uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    const unsigned char *s = src;
    unsigned spins = 0;
    while (n > 0) {
        uint64_t room = RING - (h - atomic_load_explicit(&r->tail, memory_order_acquire));
        if (room == 0) {
            ring_wait(&spins);
            continue;
        }
        size_t at = (size_t)(h % RING), k = n;
        if (k > room)
            k = (size_t)room;
        if (k > RING - at)
            k = RING - at;
        memcpy(r->data + at, s, k);
        h += k;
        s += k;
        n -= k;
        atomic_store_explicit(&r->head, h, memory_order_release);
        spins = 0;
    }
}

static void ring_get(ring_t *r, void *dst, size_t n) {
    uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    unsigned char *d = dst;
    unsigned spins = 0;
    while (n > 0) {
        uint64_t avail = atomic_load_explicit(&r->head, memory_order_acquire) - t;
        if (avail == 0) {
            ring_wait(&spins);
            continue;
        }
        size_t at = (size_t)(t % RING), k = n;
        if (k > avail)
            k = (size_t)avail;
        if (k > RING - at)
            k = RING - at;
        memcpy(d, r->data + at, k);
        t += k;
        d += k;
        n -= k;
        atomic_store_explicit(&r->tail, t, memory_order_release);
        spins = 0;
    }
}

static void bm_shm(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    int t = gb_thread_index(st), n = gb_thread_count(st);
    size_t size = (size_t)gb_range_arg(st, 0);
    if (n > MAXT || n % 2 != 0) {
        gb_skip_with_error(st, "pairs of threads only");
        return;
    }
    if (t == 0)
        for (int p = 0; p < n / 2; p++) {
            void *m = mmap(NULL, sizeof(ring_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
            if (m == MAP_FAILED) {
                gb_skip_with_error(st, "mmap failed");
                return;
            }
            rings[p] = m; /* zero-filled: head == tail == 0 */
        }
    unsigned char *buf = malloc(size);
    if (buf == NULL) {
        gb_skip_with_error(st, "out of memory");
        return;
    }
    memset(buf, t, size);
    ring_t *r = NULL;
    int sender = (t & 1) == 0, bad = 0;
    while (gb_keep_running_batch(st, BATCH)) {
        if (r == NULL)
            r = rings[t / 2];
        for (int i = 0; i < BATCH; i++) {
            /* The same frame as the pipe carries: a length, then the bytes. */
            uint32_t len = (uint32_t)size;
            if (sender) {
                ring_put(r, &len, sizeof len);
                ring_put(r, buf, size);
            } else {
                ring_get(r, &len, sizeof len);
                bad |= len != size;
                ring_get(r, buf, len <= size ? len : size);
            }
        }
    }
    free(buf);
    if (t == 0) /* after the loop's end barrier, so nobody still uses them */
        for (int p = 0; p < n / 2; p++)
            munmap(rings[p], sizeof(ring_t));
    if (bad)
        gb_skip_with_error(st, "a frame came out of step");
    labbench_thread_end(st, op_for(op_shm, (int64_t)size), gb_iterations_done(st));
}

/* ---- the floor: a bare pipe -------------------------------------------- */
static int floor_fds[MAXT / 2][2];

static int floor_read_full(int fd, void *buf, size_t n) {
    for (size_t got = 0; got < n;) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

static int floor_send(int fd, const void *buf, size_t len) {
    uint32_t hdr = (uint32_t)len;
    struct iovec iov[2] = {{&hdr, sizeof hdr}, {(void *)buf, len}};
    size_t left = sizeof hdr + len;
    while (left > 0) {
        ssize_t w = writev(fd, iov, 2);
        if (w <= 0)
            return -1;
        left -= (size_t)w;
        for (int k = 0; k < 2; k++) { /* skip what went out */
            size_t d = (size_t)w < iov[k].iov_len ? (size_t)w : iov[k].iov_len;
            iov[k].iov_base = (char *)iov[k].iov_base + d, iov[k].iov_len -= d, w -= (ssize_t)d;
        }
    }
    return 0;
}

static void bm_floor(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    int t = gb_thread_index(st), n = gb_thread_count(st);
    size_t size = (size_t)gb_range_arg(st, 0);
    if (n > MAXT || n % 2 != 0) {
        gb_skip_with_error(st, "pairs of threads only");
        return;
    }
    if (t == 0)
        for (int p = 0; p < n / 2; p++)
            if (pipe(floor_fds[p]) != 0) {
                gb_skip_with_error(st, "pipe failed");
                return;
            }
    unsigned char *buf = malloc(size);
    if (buf == NULL) {
        gb_skip_with_error(st, "out of memory");
        return;
    }
    memset(buf, t, size);
    int sender = (t & 1) == 0, bad = 0, fd = -1;
    while (gb_keep_running_batch(st, BATCH)) {
        if (fd < 0)
            fd = floor_fds[t / 2][sender ? 1 : 0];
        for (int i = 0; i < BATCH; i++)
            if (sender) {
                bad |= floor_send(fd, buf, size) != 0;
            } else {
                uint32_t len = 0;
                bad |= floor_read_full(fd, &len, sizeof len) != 0 || len != size ||
                       floor_read_full(fd, buf, size) != 0;
            }
    }
    if (fd >= 0)
        close(fd);
    free(buf);
    if (bad)
        gb_skip_with_error(st, "a message did not arrive whole");
    labbench_thread_end(st, op_for(op_pipe, (int64_t)size), gb_iterations_done(st));
}

static void register_sizes(const labbench_t *lb, const char *name, gb_fn_t fn, size_t max, const char *floor) {
    gb_bench_t *b = NULL;
    for (int k = 0; k < lb->nthreads; k++)
        if (lb->threads[k] % 2 == 0) {
            if (b == NULL) {
                /* a floor's registration with no thread counts: the pairs' counts follow */
                labbench_t none = *lb;
                none.nthreads = 0;
                b = floor ? labbench_register_floor(&none, name, floor, fn, NULL)
                          : gb_use_real_time(gb_register(name, fn, NULL));
            }
            gb_threads(b, lb->threads[k]);
        }
    if (b == NULL)
        return;
    for (int k = 0; k < NSIZES; k++)
        if ((size_t)sizes[k] <= max)
            gb_arg(b, sizes[k]);
}

void lab_bench_register(const labbench_t *lb) {
    for (int k = 0; k < NSIZES; k++) {
        snprintf(op_pipe[k], sizeof op_pipe[k], "pipe-%s", size_names[k]);
        snprintf(op_shm[k], sizeof op_shm[k], "shm-%s", size_names[k]);
    }
    /* A frame is the message and its 4-byte length. */
    size_t max = strcmp(lb->impl, "broken") == 0 ? PIPE_BUF - 4 : SIZE_MAX;
    register_sizes(lb, "pipe", bm_pipe, max, NULL);
    if (lb->reference)
        register_sizes(lb, "shm", bm_shm, SIZE_MAX, NULL);
    if (lb->floors)
        register_sizes(lb, "pipe-floor", bm_floor, SIZE_MAX, "pipe_writev_read");
}
