/* Lab 16, pools, as harness workloads: the course's question of which pool
 * suits which job, asked of the lab's own fixed.c.
 *   pool-cpu  each task sums the squares of 128 x 1000 consecutive integers
 *             (an operation is 1000 of them, as in the harness's `cpu`)
 *   pool-io   each task blocks for 1 ms in poll() on a pipe nobody writes
 *             (an operation is one task; a run has at most 400 of them, as
 *             a millisecond is a millisecond on any machine)
 * The regime picks the pool, and `workers` is its size:
 *   gil      fixed.c's thread pool, each task holding the harness's GIL
 *            while it runs its "interpreter" code and letting go of it
 *            around the blocking poll(), as CPython does: the course's
 *            ThreadPoolExecutor
 *   object   the same pool with no GIL: a free-threaded ThreadPoolExecutor
 *   process  fixed.c's ppool_map over the same tasks in forked workers:
 *            the course's ProcessPoolExecutor / Pool.map
 * The regime's worker 0 plays the main program: it starts the pool, submits
 * every task, waits for the futures (outside the GIL, as a Python thread
 * blocked in result() is, and the last one first), and shuts the pool down;
 * the regime's other workers have nothing to do (under `process` they are
 * still forked, and that is in the time). Starting and stopping the pool is
 * part of the timed run, as in `with ThreadPoolExecutor(n) as ex:`.
 *
 * Pinning: the regime pins worker 0 to one CPU, and threads and processes
 * inherit their creator's CPU mask; so worker 0 first takes back every CPU
 * the harness could use at setup, and the pool's threads and processes run
 * wherever the kernel puts them. The build links each implementation with
 * its functions renamed (lab16_fixed__pool_create, ...). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "workload.h"

typedef struct pool pool_t;
typedef struct future future_t;
pool_t *lab16_fixed__pool_create(int threads);
future_t *lab16_fixed__pool_submit(pool_t *p, long (*fn)(void *arg), void *arg);
long lab16_fixed__future_get(future_t *f);
void lab16_fixed__future_free(future_t *f);
void lab16_fixed__pool_shutdown(pool_t *p, int wait);
int lab16_fixed__ppool_map(int procs, long (*fn)(long x), const long *in, long *out, size_t n);

enum { SPAN = 1000, TASK_OPS = 128, IO_MAX_TASKS = 400 };

typedef enum { JOB_CPU, JOB_IO } job_kind_t;

typedef struct {
    job_kind_t kind;
    cpu_set_t cpus; /* what the harness could run on, before any pinning */
    int quiet[2];   /* a pipe nobody writes: poll() on it waits out its timeout */
    uint64_t tasks, sum;
    int failed;
} state_t;

typedef struct {
    uint64_t tasks, sum;
    int failed;
} result_t;

typedef struct {
    result_t r;
} local_t;

/* For the forked workers of ppool_map, whose task function takes one long:
 * the children are copies of worker 0 made after these are set. */
static long proc_ops;
static int proc_quiet_fd = -1;

/* Operations first .. first+TASK_OPS-1 (not beyond ops): their squares,
 * summed modulo 2^64 like the closed form verify() uses. */
static uint64_t squares(long task, long ops) {
    long first = task * TASK_OPS, last = first + TASK_OPS < ops ? first + TASK_OPS : ops;
    uint64_t sum = 0;
    for (uint64_t x = (uint64_t)first * SPAN; x < (uint64_t)last * SPAN; x++) {
        uint64_t y = x;
        __asm__("" : "+r"(y)); /* or the compiler sums the series in closed form */
        sum += y * y;
    }
    return sum;
}

/* 1 when the wait ran its full course, as a request would. */
static long quiet_wait(int fd) {
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    return poll(&pfd, 1, 1) == 0;
}

static long tasks_for(const wl_params_t *p, job_kind_t kind) {
    if (kind == JOB_CPU)
        return (p->ops + TASK_OPS - 1) / TASK_OPS;
    return p->ops < IO_MAX_TASKS ? p->ops : IO_MAX_TASKS;
}

/* ---- the thread pool's tasks: each holds the GIL while it runs its own code */
typedef struct {
    wl_worker_t *w; /* worker 0: the regime's GIL hooks (no-ops without a GIL) */
    state_t *s;
    long task;
} job_t;

static void gil_take(wl_worker_t *w) { w->block_end(w); }
static void gil_drop(wl_worker_t *w) { w->block_begin(w); }

static long thread_cpu_job(void *arg) {
    job_t *j = arg;
    gil_take(j->w);
    uint64_t sum = squares(j->task, j->w->p->ops);
    gil_drop(j->w);
    return (long)sum;
}

static long thread_io_job(void *arg) {
    job_t *j = arg;
    gil_take(j->w); /* the task's own code starts... */
    gil_drop(j->w); /* ...and makes a blocking call, which lets go of the GIL */
    long ok = quiet_wait(j->s->quiet[0]);
    gil_take(j->w); /* back from the call, the code goes on */
    gil_drop(j->w); /* the task ends; its worker waits for the next one */
    return ok;
}

static long proc_cpu_job(long task) { return (long)squares(task, proc_ops); }
static long proc_io_job(long task) {
    (void)task;
    return quiet_wait(proc_quiet_fd);
}

/* ---- the harness's side -------------------------------------------------------- */
static void *setup_kind(const wl_params_t *p, job_kind_t kind) {
    (void)p;
    state_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->kind = kind;
    if (sched_getaffinity(0, sizeof s->cpus, &s->cpus) != 0 || pipe(s->quiet) != 0) {
        fprintf(stderr, "pool workload: %s\n", strerror(errno));
        free(s);
        return NULL;
    }
    return s;
}
static void *setup_cpu(const wl_params_t *p) { return setup_kind(p, JOB_CPU); }
static void *setup_io(const wl_params_t *p) { return setup_kind(p, JOB_IO); }

static void teardown(void *p) {
    state_t *s = p;
    close(s->quiet[0]);
    close(s->quiet[1]);
    free(s);
}

static void *worker_init(void *shared, int index, const wl_params_t *p) {
    (void)shared, (void)index, (void)p;
    return calloc(1, sizeof(local_t));
}
static void worker_fini(void *local) { free(local); }

/* Worker 0 runs every task; the others have none. */
static long worker_ops_cpu(const wl_params_t *p, int index) { return index == 0 ? p->ops : 0; }
static long worker_ops_io(const wl_params_t *p, int index) {
    return index == 0 ? tasks_for(p, JOB_IO) : 0;
}

static void run_threads(wl_worker_t *w, state_t *s, long ntasks, local_t *l) {
    job_t *jobs = calloc((size_t)ntasks, sizeof *jobs);
    future_t **fs = calloc((size_t)ntasks, sizeof *fs);
    if (jobs == NULL || fs == NULL) {
        l->r.failed = 1;
        free(jobs);
        free(fs);
        return;
    }
    long (*fn)(void *) = s->kind == JOB_CPU ? thread_cpu_job : thread_io_job;
    pool_t *pool = lab16_fixed__pool_create(w->p->workers);
    for (long t = 0; t < ntasks; t++) {
        jobs[t] = (job_t){w, s, t};
        fs[t] = lab16_fixed__pool_submit(pool, fn, &jobs[t]);
    }
    /* Waiting on a future is a blocking call, made outside the GIL. The
     * last task submitted is about the last to finish, so waiting for it
     * first puts this thread to sleep once, not once per task: a wake-up
     * for each of thousands of futures would cost the run a share of a CPU
     * that has nothing to do with the pool being measured. */
    w->block_begin(w);
    for (long t = ntasks - 1; t >= 0; t--) {
        l->r.sum += (uint64_t)lab16_fixed__future_get(fs[t]);
        lab16_fixed__future_free(fs[t]);
        l->r.tasks++;
    }
    lab16_fixed__pool_shutdown(pool, 1);
    w->block_end(w);
    free(jobs);
    free(fs);
}

static void run_processes(wl_worker_t *w, state_t *s, long ntasks, local_t *l) {
    long *in = calloc((size_t)ntasks, sizeof *in), *out = calloc((size_t)ntasks, sizeof *out);
    if (in == NULL || out == NULL) {
        l->r.failed = 1;
        free(in);
        free(out);
        return;
    }
    for (long t = 0; t < ntasks; t++)
        in[t] = t;
    proc_ops = w->p->ops;
    proc_quiet_fd = s->quiet[0];
    if (lab16_fixed__ppool_map(w->p->workers, s->kind == JOB_CPU ? proc_cpu_job : proc_io_job, in, out,
                               (size_t)ntasks) != 0) {
        fprintf(stderr, "pool workload: ppool_map: %s\n", strerror(errno));
        l->r.failed = 1;
    } else {
        for (long t = 0; t < ntasks; t++)
            l->r.sum += (uint64_t)out[t];
        l->r.tasks = (uint64_t)ntasks;
    }
    free(in);
    free(out);
}

/* The whole program, once: every task of the run, through one pool. */
static long run(wl_worker_t *w, long first, long n) {
    state_t *s = w->shared;
    local_t *l = w->local;
    if (first != 0 || n <= 0) /* slice is as large as any run: one call does it all */
        return n;
    if (sched_setaffinity(0, sizeof s->cpus, &s->cpus) != 0) {
        fprintf(stderr, "pool workload: sched_setaffinity: %s\n", strerror(errno));
        l->r.failed = 1;
        return 0;
    }
    long ntasks = tasks_for(w->p, s->kind);
    if (w->p->regime == REGIME_PROCESS)
        run_processes(w, s, ntasks, l);
    else
        run_threads(w, s, ntasks, l);
    return l->r.failed ? 0 : n;
}

static void result(wl_worker_t *w, void *out) { memcpy(out, &((local_t *)w->local)->r, sizeof(result_t)); }

static void merge(void *shared, int index, const void *res, const wl_params_t *p) {
    (void)index, (void)p;
    state_t *s = shared;
    result_t r;
    memcpy(&r, res, sizeof r);
    s->tasks += r.tasks;
    s->sum += r.sum;
    s->failed |= r.failed;
}

static long verify(void *shared, const wl_params_t *p, char *why, size_t len) {
    state_t *s = shared;
    uint64_t want_tasks = (uint64_t)tasks_for(p, s->kind), want_sum;
    if (s->kind == JOB_CPU) {
        unsigned __int128 n = (unsigned __int128)p->ops * SPAN; /* sum of x^2 for x < n */
        want_sum = n == 0 ? 0 : (uint64_t)((n - 1) * n * (2 * n - 1) / 6);
    } else {
        want_sum = want_tasks; /* every wait ran its full course */
    }
    if (!s->failed && s->tasks == want_tasks && s->sum == want_sum)
        return 0;
    snprintf(why, len, "%s%llu of %llu tasks came back, %s %llu, expected %llu",
             s->failed ? "the pool failed; " : "", (unsigned long long)s->tasks,
             (unsigned long long)want_tasks, s->kind == JOB_CPU ? "sum of squares" : "full waits",
             (unsigned long long)s->sum, (unsigned long long)want_sum);
    return -1;
}

static const workload_t pool_cpu = {
    .name = "pool-cpu",
    .lab = "16-pools",
    .about = "lab 16: CPU-bound tasks (sums of squares) through a thread or process pool",
    .regimes = REGIME_BIT(REGIME_GIL) | REGIME_BIT(REGIME_OBJECT) | REGIME_BIT(REGIME_PROCESS),
    .slice = 1L << 40,
    .default_ops = 600000,
    .result_size = sizeof(result_t),
    .setup = setup_cpu,
    .teardown = teardown,
    .worker_init = worker_init,
    .worker_fini = worker_fini,
    .worker_ops = worker_ops_cpu,
    .run = run,
    .result = result,
    .merge = merge,
    .verify = verify,
};
WORKLOAD_REGISTER(pool_cpu)

static const workload_t pool_io = {
    .name = "pool-io",
    .lab = "16-pools",
    .about = "lab 16: I/O-bound tasks (1 ms blocking waits, at most 400) through a thread or process pool",
    .regimes = REGIME_BIT(REGIME_GIL) | REGIME_BIT(REGIME_OBJECT) | REGIME_BIT(REGIME_PROCESS),
    .blocking = 1,
    .slice = 1L << 40,
    .default_ops = 400,
    .result_size = sizeof(result_t),
    .setup = setup_io,
    .teardown = teardown,
    .worker_init = worker_init,
    .worker_fini = worker_fini,
    .worker_ops = worker_ops_io,
    .run = run,
    .result = result,
    .merge = merge,
    .verify = verify,
};
WORKLOAD_REGISTER(pool_io)
