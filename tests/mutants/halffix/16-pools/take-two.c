/* Wrong: when more tasks are queued than the pool has workers, a worker
 * takes two at once (one trip through the pool's lock for two tasks, "the
 * queue is long, everybody is busy anyway") and runs them one after the
 * other. The second one waits behind the first in that worker's hands while
 * other workers go idle and start tasks submitted after it, against
 * pool.h's "Tasks start in the order they were submitted"; and if the
 * first waits for the second's future, the pair deadlocks with idle
 * workers all around.
 * The grader: single holds both workers of a pool of 2 at gates, queues a gated task and 6 more,
 * lets one worker go (it takes the gated task, and here the next one with it) and then the
 * other: it starts the third while the second is still PENDING, every run.
 */
#include "pool.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab.h"

struct future {
    pthread_mutex_t m;
    pthread_cond_t c; /* broadcast when the task is DONE or CANCELLED */
    future_state_t state;
    long result;
    long (*fn)(void *arg);
    void *arg;
    future_t *next; /* the next task in the pool's queue while PENDING */
};

struct pool {
    pthread_mutex_t m;
    pthread_cond_t work; /* a task was queued, or shutdown began */
    future_t *head, *tail;
    int stop;
    int idle; /* workers asleep on `work`: nobody to wake when 0 */
    int queued; /* tasks in the queue */
    int nthreads;
    pthread_t *tids;
};

static void future_set(future_t *f, future_state_t state, long result) {
    lab_mutex_lock(&f->m);
    f->result = result;
    f->state = state;
    if (state != FUTURE_RUNNING)
        lab_cond_broadcast(&f->c);
    /* Once this unlock lets a waiter see DONE, the owner may free f: the
     * worker must not touch it again. */
    lab_mutex_unlock(&f->m);
}

static void *worker_main(void *arg) {
    pool_t *p = arg;
    lab_mutex_lock(&p->m);
    for (;;) {
        while (p->head == NULL && !p->stop) {
            p->idle++;
            lab_cond_wait(&p->work, &p->m);
            p->idle--;
        }
        if (p->head == NULL) /* stopping, and nothing is left to run */
            break;
        future_t *f = p->head, *second = NULL;
        p->head = f->next;
        p->queued--;
        /* More queued than there are workers: take the next one too, and
         * save a trip through the lock. */
        if (p->head != NULL && p->queued >= p->nthreads) {
            second = p->head;
            p->head = second->next;
            p->queued--;
        }
        if (p->head == NULL)
            p->tail = NULL;
        future_set(f, FUTURE_RUNNING, 0);
        lab_mutex_unlock(&p->m);
        lab_pause(); /* taken, not yet run: a getter must still wait */
        long (*fn)(void *) = f->fn;
        void *fn_arg = f->arg;
        future_set(f, FUTURE_DONE, fn(fn_arg));
        if (second != NULL) {
            future_set(second, FUTURE_RUNNING, 0);
            fn = second->fn;
            fn_arg = second->arg;
            future_set(second, FUTURE_DONE, fn(fn_arg));
        }
        lab_mutex_lock(&p->m);
    }
    lab_mutex_unlock(&p->m);
    return NULL;
}

pool_t *pool_create(int threads) {
    if (threads < 1) {
        fprintf(stderr, "pool_create: %d threads: a pool needs at least one\n", threads);
        abort();
    }
    pool_t *p = lab_calloc(1, sizeof *p);
    lab_mutex_init(&p->m, NULL);
    lab_cond_init(&p->work, NULL);
    p->nthreads = threads;
    p->tids = lab_calloc((size_t)threads, sizeof *p->tids);
    for (int i = 0; i < threads; i++)
        lab_thread_create(&p->tids[i], NULL, worker_main, p);
    return p;
}

future_t *pool_submit(pool_t *p, long (*fn)(void *arg), void *arg) {
    future_t *f = lab_calloc(1, sizeof *f);
    lab_mutex_init(&f->m, NULL);
    lab_cond_init(&f->c, NULL);
    f->state = FUTURE_PENDING;
    f->fn = fn;
    f->arg = arg;
    lab_mutex_lock(&p->m);
    if (p->tail != NULL)
        p->tail->next = f;
    else
        p->head = f;
    p->tail = f;
    p->queued++;
    /* One task needs one worker. A busy worker looks at the queue before
     * it sleeps again, so with nobody idle there is nobody to wake. */
    if (p->idle > 0)
        lab_cond_signal(&p->work);
    lab_mutex_unlock(&p->m);
    return f;
}

/* Sleeps until the task is DONE or CANCELLED; returns its value. */
static long future_wait(future_t *f) {
    lab_mutex_lock(&f->m);
    while (f->state == FUTURE_PENDING || f->state == FUTURE_RUNNING)
        lab_cond_wait(&f->c, &f->m);
    long r = f->result;
    lab_mutex_unlock(&f->m);
    return r;
}

long future_get(future_t *f) { return future_wait(f); }

future_state_t future_state(future_t *f) {
    lab_mutex_lock(&f->m);
    future_state_t s = f->state;
    lab_mutex_unlock(&f->m);
    return s;
}

int future_done(future_t *f) {
    future_state_t s = future_state(f);
    return s == FUTURE_DONE || s == FUTURE_CANCELLED;
}

void future_free(future_t *f) {
    future_wait(f); /* a worker may still be about to write into it */
    lab_cond_destroy(&f->c);
    lab_mutex_destroy(&f->m);
    free(f);
}

void pool_map(pool_t *p, long (*fn)(void *arg), void *const *args, long *results, size_t n) {
    future_t **fs = lab_calloc(n > 0 ? n : 1, sizeof *fs);
    for (size_t i = 0; i < n; i++)
        fs[i] = pool_submit(p, fn, args[i]);
    for (size_t i = 0; i < n; i++) {
        results[i] = future_get(fs[i]);
        future_free(fs[i]);
    }
    free(fs);
}

void pool_shutdown(pool_t *p, int wait) {
    lab_mutex_lock(&p->m);
    p->stop = 1;
    if (!wait) {
        while (p->head != NULL) {
            future_t *f = p->head;
            p->head = f->next; /* read before the owner may free f */
            future_set(f, FUTURE_CANCELLED, 0);
        }
        p->tail = NULL;
        p->queued = 0;
    }
    lab_cond_broadcast(&p->work);
    lab_mutex_unlock(&p->m);
    for (int i = 0; i < p->nthreads; i++)
        lab_thread_join(p->tids[i], NULL);
    lab_cond_destroy(&p->work);
    lab_mutex_destroy(&p->m);
    free(p->tids);
    free(p);
}

/* ---- the process pool ------------------------------------------------------
 * The workers are forked; they share one counter in shared memory, from
 * which each takes the next chunk of indices, and send (index, value) pairs
 * back through one pipe, a chunk per write. A write of at most PIPE_BUF
 * bytes to a pipe is never interleaved with another's, so the parent reads
 * whole pairs; it ends at EOF, once every worker has exited and so closed
 * its end, and checks that each index came back exactly once. */

typedef struct {
    size_t index;
    long value;
} ppool_pair_t;

/* As many pairs as one write may carry without being interleaved. */
enum { PPOOL_FRAME = PIPE_BUF / sizeof(ppool_pair_t) };

_Static_assert(ATOMIC_LONG_LOCK_FREE == 2, "the shared counter must be lock-free to work across processes");

/* All of len bytes, whatever short counts and signals do: 0, or -1 on an
 * error. */
static int ppool_write(int fd, const void *buf, size_t len) {
    const char *b = buf;
    while (len > 0) {
        ssize_t k = write(fd, b, len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        b += k;
        len -= (size_t)k;
    }
    return 0;
}

/* A worker process: chunks of indices until none are left. Exit status 0,
 * or 1 when the parent stopped reading. */
static int ppool_child(int fd, _Atomic unsigned long *next, size_t chunk, long (*fn)(long),
                       const long *in, size_t n) {
    ppool_pair_t frame[PPOOL_FRAME];
    for (;;) {
        size_t first = atomic_fetch_add(next, chunk);
        if (first >= n)
            return 0;
        size_t k = 0;
        for (size_t i = first; i < n && k < chunk; i++, k++)
            frame[k] = (ppool_pair_t){i, fn(in[i])};
        if (ppool_write(fd, frame, k * sizeof frame[0]) != 0)
            return 1;
    }
}

int ppool_map(int procs, long (*fn)(long x), const long *in, long *out, size_t n) {
    if (procs < 1 || (n > 0 && (in == NULL || out == NULL || fn == NULL))) {
        errno = EINVAL;
        return -1;
    }
    if (n == 0)
        return 0;
    if ((size_t)procs > n)
        procs = (int)n;
    /* Small enough chunks that the workers finish together, large enough
     * that the counter and the pipe are touched rarely. */
    size_t chunk = n / ((size_t)procs * 8);
    chunk = chunk < 1 ? 1 : chunk > PPOOL_FRAME ? PPOOL_FRAME : chunk;

    _Atomic unsigned long *next =
        mmap(NULL, sizeof *next, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (next == MAP_FAILED)
        return -1;
    atomic_init(next, 0);
    int fds[2];
    if (pipe(fds) != 0) {
        int e = errno;
        munmap((void *)next, sizeof *next);
        errno = e;
        return -1;
    }
    pid_t *pids = lab_calloc((size_t)procs, sizeof *pids);
    fflush(NULL); /* or the children's copies of stdio's buffers might be written twice */
    int started = 0, fork_errno = 0;
    for (; started < procs; started++) {
        pid_t pid = fork();
        if (pid < 0) {
            fork_errno = errno;
            break; /* the workers that did start take every index between them */
        }
        if (pid == 0) {
            close(fds[0]);
            _exit(ppool_child(fds[1], next, chunk, fn, in, n));
        }
        pids[started] = pid;
    }
    close(fds[1]); /* now EOF comes once the last worker has exited */

    unsigned char *seen = lab_calloc(n, 1);
    size_t got = 0, have = 0;
    int bad = 0;
    ppool_pair_t buf[PPOOL_FRAME];
    for (;;) { /* as much as is there, up to a frame; pairs may arrive cut in two */
        ssize_t k = read(fds[0], (char *)buf + have, sizeof buf - have);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        have += (size_t)k;
        size_t whole = have / sizeof buf[0];
        for (size_t i = 0; i < whole; i++) {
            if (buf[i].index >= n || seen[buf[i].index]) {
                bad = 1;
                continue;
            }
            seen[buf[i].index] = 1;
            out[buf[i].index] = buf[i].value;
            got++;
        }
        have -= whole * sizeof buf[0];
        memmove(buf, buf + whole, have);
    }
    if (have != 0) /* a worker died halfway through a write */
        bad = 1;
    close(fds[0]);
    for (int i = 0; i < started; i++) {
        int status;
        pid_t r;
        while ((r = waitpid(pids[i], &status, 0)) < 0 && errno == EINTR) {
        }
        if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            bad = 1;
    }
    free(seen);
    free(pids);
    munmap((void *)next, sizeof *next);
    if (started == 0) {
        errno = fork_errno;
        return -1;
    }
    if (bad || got != n) {
        errno = ECHILD;
        return -1;
    }
    return 0;
}
