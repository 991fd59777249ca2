/* The regimes (see regime.h) and the workload registry (see workload.h). */
#define _GNU_SOURCE
#include "regime.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gil.h"

/* ---- registry ------------------------------------------------------------- */
#define MAX_WORKLOADS 64
static const workload_t *registry[MAX_WORKLOADS];
static int nregistered;

void workload_register(const workload_t *wl) {
    if (nregistered == MAX_WORKLOADS) {
        fprintf(stderr, "harness: more than %d workloads\n", MAX_WORKLOADS);
        abort();
    }
    /* kept in name order, so listings never depend on link order */
    int i = nregistered++;
    while (i > 0 && strcmp(registry[i - 1]->name, wl->name) > 0) {
        registry[i] = registry[i - 1];
        i--;
    }
    registry[i] = wl;
}

const workload_t *workload_find(const char *name) {
    for (int i = 0; i < nregistered; i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

const workload_t *workload_at(int i) { return i >= 0 && i < nregistered ? registry[i] : NULL; }

static const char *const regime_names[REGIME_COUNT] = {"gil",    "object", "process",
                                                       "unsafe", "atomic", "sharded"};
const char *regime_name(regime_t r) { return r < REGIME_COUNT ? regime_names[r] : "?"; }
int regime_parse(const char *s, regime_t *out) {
    for (int i = 0; i < REGIME_COUNT; i++)
        if (strcmp(s, regime_names[i]) == 0) {
            *out = (regime_t)i;
            return 0;
        }
    return -1;
}

void wl_latency_add(wl_worker_t *w, double seconds) {
    if (w->nlat == w->cap_lat) {
        long cap = w->cap_lat ? 2 * w->cap_lat : 256;
        double *lat = realloc(w->lat, (size_t)cap * sizeof *lat);
        if (lat == NULL)
            return; /* a lost sample, not a lost run */
        w->lat = lat;
        w->cap_lat = cap;
    }
    w->lat[w->nlat++] = seconds;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* ---- threads ---------------------------------------------------------------- */
typedef struct {
    const workload_t *wl;
    const wl_params_t *p;
    pin_policy_t pin;
    pthread_barrier_t gate;
    gil_t *gil;
    atomic_int holders;
    atomic_int max_holders;
    int failed;
} run_ctx_t;

typedef struct {
    wl_worker_t w;
    run_ctx_t *ctx;
    long done;
    double start, end; /* this worker's own clock readings */
    pin_slot_t slot;
    unsigned char *result;
    pthread_t tid;
} thread_t;

/* The instrumented check behind "never two holders": count holders as
 * the GIL is taken and given up, and keep the most ever seen at once. */
static void holder_enter(run_ctx_t *c) {
    if (!c->p->check_gil)
        return;
    int h = atomic_fetch_add(&c->holders, 1) + 1;
    int m = atomic_load(&c->max_holders);
    while (h > m && !atomic_compare_exchange_weak(&c->max_holders, &m, h)) {
    }
}
static void holder_leave(run_ctx_t *c) {
    if (c->p->check_gil)
        atomic_fetch_sub(&c->holders, 1);
}

static void gil_block_begin(wl_worker_t *w) {
    run_ctx_t *c = w->regime_ctx;
    holder_leave(c);
    gil_release(c->gil);
}
static void gil_block_end(wl_worker_t *w) {
    run_ctx_t *c = w->regime_ctx;
    gil_acquire(c->gil);
    holder_enter(c);
}
static void no_block(wl_worker_t *w) { (void)w; }

/* Batches of wl->slice operations, with a GIL checkpoint between them.
 * Returns the operations done. */
static long work(wl_worker_t *w, const workload_t *wl, run_ctx_t *c) {
    long ops = wl->worker_ops ? wl->worker_ops(w->p, w->index) : w->p->ops, slice = wl->slice > 0 ? wl->slice : 1, done = 0;
    while (done < ops) {
        long want = ops - done < slice ? ops - done : slice;
        long did = wl->run(w, done, want);
        done += did;
        if (did < want)
            break;
        if (c != NULL && c->gil != NULL) {
            holder_leave(c);
            gil_check(c->gil);
            holder_enter(c);
        }
    }
    return done;
}

static void *thread_main(void *arg) {
    thread_t *t = arg;
    run_ctx_t *c = t->ctx;
    if (pin_thread_self(c->pin, t->w.index, c->p->workers, &t->slot) != 0)
        c->failed = 1;
    pin_slot_observe(&t->slot);
    int rc = pthread_barrier_wait(&c->gate);
    if (rc != 0 && rc != PTHREAD_BARRIER_SERIAL_THREAD)
        abort();
    t->start = now();
    if (c->gil) {
        gil_acquire(c->gil);
        holder_enter(c);
    }
    t->done = work(&t->w, c->wl, c);
    if (c->gil) {
        holder_leave(c);
        gil_release(c->gil);
    }
    t->end = now();
    return NULL;
}

static int run_threads(run_ctx_t *c, thread_t *ts, double *seconds) {
    int n = c->p->workers;
    if (pthread_barrier_init(&c->gate, NULL, (unsigned)n + 1) != 0)
        return -1;
    int started = 0;
    for (; started < n; started++)
        if (pthread_create(&ts[started].tid, NULL, thread_main, &ts[started]) != 0)
            break;
    if (started < n) {
        /* cannot release a gate sized for n: report instead of hanging */
        fprintf(stderr, "harness: could only start %d of %d threads\n", started, n);
        exit(1);
    }
    pthread_barrier_wait(&c->gate);
    /* From the first worker's start to the last one's end, each read by the
     * worker itself: this thread may well not run the moment the gate opens. */
    double first = 0, last = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(ts[i].tid, NULL);
        if (i == 0 || ts[i].start < first)
            first = ts[i].start;
        if (i == 0 || ts[i].end > last)
            last = ts[i].end;
    }
    *seconds = last - first;
    pthread_barrier_destroy(&c->gate);
    return 0;
}

/* ---- processes -------------------------------------------------------------- */
/* All of len bytes through a pipe, whatever short counts and signals do:
 * write when writing is non-zero, else read. 0, or -1 at EOF or on error. */
static int transfer_all(int fd, void *buf, size_t len, int writing) {
    char *p = buf;
    while (len > 0) {
        ssize_t k = writing ? write(fd, p, len) : read(fd, p, len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        len -= (size_t)k;
    }
    return 0;
}
#define write_all(fd, buf, len) transfer_all((fd), (buf), (len), 1)
#define read_all(fd, buf, len) transfer_all((fd), (buf), (len), 0)

/* Each child is its own "interpreter": it works on its copy of the state
 * and sends back its result, framed by its index, through one pipe. The
 * clock runs from before the first fork until the last result is folded in,
 * so start-up and transfer are paid for, as with multiprocessing. */
static int run_processes(run_ctx_t *c, thread_t *ts, double *seconds) {
    const workload_t *wl = c->wl;
    int n = c->p->workers, fds[2];
    if (pipe(fds) != 0)
        return -1;
    fflush(NULL); /* nothing buffered may be written twice */
    double t0 = now();
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "harness: fork: %s\n", strerror(errno));
            exit(1);
        }
        if (pid == 0) {
            /* Every page the child writes is copied from the parent's at a
             * fault (about 17 us each under this project's VM), so the child
             * keeps its own figures on its stack, in the frame it sends,
             * rather than in the parent's arrays. */
            close(fds[0]);
            pin_slot_t slot;
            if (pin_child_self(c->pin, i, n, &slot) != 0)
                _exit(3);
            pin_slot_observe(&slot);
            long done = work(&ts[i].w, wl, NULL);
            /* One write per frame: all children share the pipe, and only a
             * single write of at most PIPE_BUF bytes is never interleaved
             * with another's. */
            unsigned char frame[sizeof(int) + sizeof(long) + sizeof(pin_slot_t) + wl->result_size];
            size_t len = 0;
            int idx = i;
            memcpy(frame + len, &idx, sizeof idx), len += sizeof idx;
            memcpy(frame + len, &done, sizeof done), len += sizeof done;
            memcpy(frame + len, &slot, sizeof slot), len += sizeof slot;
            max_align_t result[wl->result_size / sizeof(max_align_t) + 1]; /* aligned for any result */
            wl->result(&ts[i].w, result);
            memcpy(frame + len, result, wl->result_size), len += wl->result_size;
            _exit(write_all(fds[1], frame, len) == 0 ? 0 : 4);
        }
    }
    close(fds[1]);
    int got = 0;
    for (;;) {
        int idx;
        long done;
        pin_slot_t slot;
        if (read_all(fds[0], &idx, sizeof idx) != 0)
            break;
        if (idx < 0 || idx >= n || read_all(fds[0], &done, sizeof done) != 0 ||
            read_all(fds[0], &slot, sizeof slot) != 0 ||
            read_all(fds[0], ts[idx].result, wl->result_size) != 0)
            break;
        ts[idx].slot = slot;
        ts[idx].done = done;
        wl->merge(ts[idx].w.shared, idx, ts[idx].result, c->p);
        got++;
    }
    close(fds[0]);
    int status, bad = 0;
    while (wait(&status) > 0)
        bad |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    *seconds = now() - t0;
    if (bad || got != n) {
        fprintf(stderr, "harness: %d of %d worker processes reported\n", got, n);
        return -1;
    }
    return 0;
}

/* ---- one run -------------------------------------------------------------------- */
static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double percentile(const double *v, long n, double q) {
    long i = (long)(q * (double)(n - 1) + 0.5);
    return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

int regime_run(const workload_t *wl, const wl_params_t *p, pin_policy_t pin, regime_result_t *out) {
    memset(out, 0, sizeof *out);
    if (wl->result_size > PIPE_BUF - sizeof(int) - sizeof(long) - sizeof(pin_slot_t)) {
        fprintf(stderr, "harness: workload %s: a result of %zu bytes cannot cross a pipe in one write\n",
                wl->name, wl->result_size);
        return -1;
    }
    if (!(wl->regimes & REGIME_BIT(p->regime))) {
        fprintf(stderr, "harness: workload %s does not run under regime %s\n", wl->name,
                regime_name(p->regime));
        return -1;
    }
    run_ctx_t c = {.wl = wl, .p = p, .pin = pin};
    atomic_init(&c.holders, 0);
    atomic_init(&c.max_holders, 0);
    if (p->regime == REGIME_GIL)
        c.gil = gil_create(p->interval_us);

    void *shared = wl->setup(p);
    int n = p->workers;
    thread_t *ts = calloc((size_t)n, sizeof *ts);
    unsigned char *results = calloc((size_t)n, wl->result_size ? wl->result_size : 1);
    if (ts == NULL || results == NULL || shared == NULL) {
        fprintf(stderr, "harness: out of memory\n");
        exit(1);
    }
    for (int i = 0; i < n; i++) {
        thread_t *t = &ts[i];
        t->ctx = &c;
        t->result = results + (size_t)i * wl->result_size;
        t->w.index = i;
        t->w.p = p;
        t->w.shared = shared;
        t->w.local = wl->worker_init ? wl->worker_init(shared, i, p) : NULL;
        t->w.block_begin = c.gil ? gil_block_begin : no_block;
        t->w.block_end = c.gil ? gil_block_end : no_block;
        t->w.regime_ctx = &c;
    }

    int rc = p->regime == REGIME_PROCESS ? run_processes(&c, ts, &out->seconds)
                                         : run_threads(&c, ts, &out->seconds);
    if (rc == 0 && c.failed) {
        fprintf(stderr, "harness: pinning a worker failed\n");
        rc = -1;
    }
    if (rc == 0 && p->regime != REGIME_PROCESS)
        for (int i = 0; i < n; i++) {
            wl->result(&ts[i].w, ts[i].result);
            wl->merge(shared, i, ts[i].result, p);
        }

    if (rc == 0) {
        for (int i = 0; i < n; i++)
            out->ops += ts[i].done;
        long v = wl->verify(shared, p, out->why, sizeof out->why);
        out->lost_updates = v > 0 ? v : 0;
        out->wrong = v < 0;
        for (int i = 0; i < n; i++)
            out->nlat += ts[i].w.nlat;
        if (out->nlat > 0) {
            double *all = malloc((size_t)out->nlat * sizeof *all);
            long k = 0;
            for (int i = 0; i < n && all; i++) {
                memcpy(all + k, ts[i].w.lat, (size_t)ts[i].w.nlat * sizeof *all);
                k += ts[i].w.nlat;
            }
            if (all) {
                qsort(all, (size_t)k, sizeof *all, cmp_double);
                out->lat_p50 = percentile(all, k, 0.50);
                out->lat_p99 = percentile(all, k, 0.99);
                out->lat_max = all[k - 1];
                free(all);
            }
        }
        for (int i = 0; i < n; i++)
            out->wrapped += ts[i].slot.wrapped;
        out->max_holders = atomic_load(&c.max_holders);
        if (c.gil) {
            gil_stats_t s;
            gil_stats(c.gil, &s);
            out->gil_switches = s.acquires;
            out->gil_drop_requests = s.drop_requests;
            out->gil_forced_drops = s.forced_drops;
        }
    }
    for (int i = 0; i < n; i++) {
        if (wl->worker_fini)
            wl->worker_fini(ts[i].w.local);
        free(ts[i].w.lat);
    }
    wl->teardown(shared);
    if (c.gil)
        gil_destroy(c.gil);
    free(results);
    free(ts);
    return rc;
}
