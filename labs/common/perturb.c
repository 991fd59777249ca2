/* Perturbation of an implementation's own code, for the grader's builds.
 *
 * lab_pause() widens only the windows the lab's author marked. A student's
 * bugs sit elsewhere: between an unlock and the next lock, between an atomic
 * load and the store that was meant to go with it, in a loop that polls. The
 * grader's build of an implementation (broken.c, fixed.c, alt-*.c,
 * student.c: see `make print-PERTURB_CFLAGS` and grading/grade) is therefore
 * compiled and linked so that three kinds of place call in here:
 *   - every synchronisation call it makes (pthread mutex, rwlock, condition,
 *     spin lock, barrier, once, thread creation, semaphores): objcopy
 *     renames its references, pthread_mutex_lock -> lab_wrap_pthread_mutex_lock
 *     and so on (perturb.syms), so the driver's own calls stay untouched;
 *   - every C11 atomic operation written with <stdatomic.h>'s generic
 *     functions: labs/common/perturb/stdatomic.h shadows the system header
 *     for that build and calls lab_perturb_point() before each;
 *   - the start of every basic block: -fsanitize-coverage=trace-pc calls
 *     __sanitizer_cov_trace_pc().
 * Each place draws from a per-thread stream seeded from the run's seed and,
 * now and then, yields, spins or sleeps a few microseconds. Nothing happens
 * unless the driver turned perturbation on (lab_perturb_on, set by lab_main
 * from the check's settings), so checks that time things run unperturbed.
 *
 * Perturbation is placed outside critical sections (before a lock, after an
 * unlock), where it widens a wrong design's windows and costs a correct one
 * little: a yield while holding a lock would make every other thread wait
 * out a time slice on a loaded machine.
 *
 * The same file shifts the implementation's view of the wall clock by
 * lab_clock_jump seconds (clock_gettime(CLOCK_REALTIME), gettimeofday,
 * time): a timed wait computed from the wall clock then ends far too early or
 * far too late, as it would when an administrator or NTP steps the clock,
 * while one on CLOCK_MONOTONIC is untouched. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/time.h>
#include <time.h>

#include "lab.h"

static atomic_int streams;
static _Thread_local uint64_t state;
static _Thread_local int ready;

static uint64_t draw(void) {
    if (!ready) {
        state = lab_seed_for(2000 + atomic_fetch_add(&streams, 1));
        ready = 1;
    }
    return lab_rand_next(&state);
}

/* One chance in `odds` of a disturbance: mostly a yield (another runnable
 * thread takes the CPU right here) or a short spin (the other core gets
 * ahead), rarely a sleep of a few microseconds (many operations pass). */
static void jitter(unsigned odds) {
    uint64_t r = draw();
    if (r % odds != 0)
        return;
    r /= odds;
    unsigned pick = (unsigned)(r % 16);
    r >>= 4;
    if (pick < 8) {
        sched_yield();
    } else if (pick < 15) {
        for (volatile unsigned i = 0, n = (unsigned)(r % 3000); i < n; i++) {
        }
    } else {
        struct timespec ts = {0, (long)(1000 + r % 20000)};
        nanosleep(&ts, NULL);
    }
}

#define PERTURBING() __builtin_expect(lab_perturb_on != 0, 0)

void lab_perturb_point(void) {
    if (PERTURBING())
        jitter(4);
}

void __sanitizer_cov_trace_pc(void);
void __sanitizer_cov_trace_pc(void) {
    if (PERTURBING())
        jitter(128);
}

/* Before taking: another thread may get there first. After giving back:
 * another thread may run between this section and the caller's next one. */
#define WRAP_TAKE(ret, name, params, args)                                     \
    ret lab_wrap_##name params;                                                \
    ret lab_wrap_##name params {                                               \
        if (PERTURBING())                                                      \
            jitter(2);                                                         \
        return name args;                                                      \
    }
#define WRAP_GIVE(ret, name, params, args)                                     \
    ret lab_wrap_##name params;                                                \
    ret lab_wrap_##name params {                                               \
        ret rc_ = name args;                                                   \
        if (PERTURBING())                                                      \
            jitter(2);                                                         \
        return rc_;                                                            \
    }

WRAP_TAKE(int, pthread_mutex_lock, (pthread_mutex_t * m), (m))
WRAP_TAKE(int, pthread_mutex_trylock, (pthread_mutex_t * m), (m))
WRAP_TAKE(int, pthread_mutex_timedlock, (pthread_mutex_t * m, const struct timespec *t), (m, t))
WRAP_GIVE(int, pthread_mutex_unlock, (pthread_mutex_t * m), (m))
WRAP_TAKE(int, pthread_rwlock_rdlock, (pthread_rwlock_t * l), (l))
WRAP_TAKE(int, pthread_rwlock_wrlock, (pthread_rwlock_t * l), (l))
WRAP_TAKE(int, pthread_rwlock_tryrdlock, (pthread_rwlock_t * l), (l))
WRAP_TAKE(int, pthread_rwlock_trywrlock, (pthread_rwlock_t * l), (l))
WRAP_GIVE(int, pthread_rwlock_unlock, (pthread_rwlock_t * l), (l))
WRAP_TAKE(int, pthread_spin_lock, (pthread_spinlock_t * l), (l))
WRAP_TAKE(int, pthread_spin_trylock, (pthread_spinlock_t * l), (l))
WRAP_GIVE(int, pthread_spin_unlock, (pthread_spinlock_t * l), (l))
/* A wait gives the mutex back and takes it again: perturbed on the way in
 * (the state the caller just checked may change before it sleeps, if its
 * design lets it), and one wait in four returns at once without a signal: a
 * spurious wake-up, which POSIX allows and glibc almost never delivers. The
 * mutex is still given back and taken again, so other threads may change
 * the state in between; a caller that waits in a `while` checks it again
 * and waits once more, one that waits under an `if` goes on as if it had
 * been told. */
static int spurious(pthread_mutex_t *m) {
    if (draw() % 4 != 0)
        return -1;
    int rc = pthread_mutex_unlock(m);
    if (rc != 0)
        return rc;
    jitter(1);
    return pthread_mutex_lock(m);
}
int lab_wrap_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
int lab_wrap_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m) {
    if (PERTURBING()) {
        jitter(2);
        int rc = spurious(m);
        if (rc >= 0)
            return rc;
    }
    return pthread_cond_wait(c, m);
}
int lab_wrap_pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t);
int lab_wrap_pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t) {
    if (PERTURBING()) {
        jitter(2);
        int rc = spurious(m);
        if (rc >= 0)
            return rc;
    }
    return pthread_cond_timedwait(c, m, t);
}
WRAP_GIVE(int, pthread_cond_signal, (pthread_cond_t * c), (c))
WRAP_GIVE(int, pthread_cond_broadcast, (pthread_cond_t * c), (c))
WRAP_GIVE(int, pthread_barrier_wait, (pthread_barrier_t * b), (b))
WRAP_TAKE(int, pthread_once, (pthread_once_t * o, void (*f)(void)), (o, f))
WRAP_GIVE(int, pthread_create,
          (pthread_t * t, const pthread_attr_t *a, void *(*f)(void *), void *arg), (t, a, f, arg))
WRAP_TAKE(int, sem_wait, (sem_t * s), (s))
WRAP_TAKE(int, sem_trywait, (sem_t * s), (s))
WRAP_TAKE(int, sem_timedwait, (sem_t * s, const struct timespec *t), (s, t))
WRAP_GIVE(int, sem_post, (sem_t * s), (s))

/* ---- the wall clock, as the implementation sees it ----------------------- */
static void shift(struct timespec *ts) {
    double j = lab_clock_jump;
    if (j == 0)
        return;
    long long ns = (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec + (long long)(j * 1e9);
    ts->tv_sec = (time_t)(ns / 1000000000LL);
    ts->tv_nsec = (long)(ns % 1000000000LL);
}

int lab_wrap_clock_gettime(clockid_t id, struct timespec *ts);
int lab_wrap_clock_gettime(clockid_t id, struct timespec *ts) {
    int rc = clock_gettime(id, ts);
    if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
        shift(ts);
    return rc;
}

int lab_wrap_gettimeofday(struct timeval *tv, void *tz);
int lab_wrap_gettimeofday(struct timeval *tv, void *tz) {
    struct timespec ts;
    int rc = clock_gettime(CLOCK_REALTIME, &ts);
    (void)tz;
    if (rc == 0 && tv != NULL) {
        shift(&ts);
        tv->tv_sec = ts.tv_sec;
        tv->tv_usec = ts.tv_nsec / 1000;
    }
    return rc;
}

time_t lab_wrap_time(time_t *t);
time_t lab_wrap_time(time_t *t) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    shift(&ts);
    if (t != NULL)
        *t = ts.tv_sec;
    return ts.tv_sec;
}

/* ---- the implementation's allocations, counted -------------------------- */
#include <stdlib.h>
#include <string.h>

extern _Atomic long lab_impl_allocs;
extern const int lab_perturb_linked;
const int lab_perturb_linked = 1;

static void *counted(void *p) {
    if (p != NULL)
        atomic_fetch_add_explicit(&lab_impl_allocs, 1, memory_order_relaxed);
    return p;
}

#define WRAP_ALLOC(name, params, args)                                         \
    void *lab_wrap_##name params;                                              \
    void *lab_wrap_##name params { return counted(name args); }
WRAP_ALLOC(malloc, (size_t n), (n))
WRAP_ALLOC(calloc, (size_t n, size_t size), (n, size))
WRAP_ALLOC(aligned_alloc, (size_t align, size_t n), (align, n))
WRAP_ALLOC(strdup, (const char *s), (s))
WRAP_ALLOC(lab_calloc, (size_t n, size_t size), (n, size))
WRAP_ALLOC(lab_aligned_alloc, (size_t align, size_t n), (align, n))

void *lab_wrap_realloc(void *p, size_t n);
void *lab_wrap_realloc(void *p, size_t n) {
    void *q = realloc(p, n);
    if (p == NULL)
        return counted(q);
    if (n == 0 && q == NULL) /* realloc(p, 0) freed p */
        atomic_fetch_sub_explicit(&lab_impl_allocs, 1, memory_order_relaxed);
    return q;
}

int lab_wrap_posix_memalign(void **p, size_t align, size_t n);
int lab_wrap_posix_memalign(void **p, size_t align, size_t n) {
    int rc = posix_memalign(p, align, n);
    if (rc == 0)
        counted(*p);
    return rc;
}

void lab_wrap_free(void *p);
void lab_wrap_free(void *p) {
    if (p != NULL)
        atomic_fetch_sub_explicit(&lab_impl_allocs, 1, memory_order_relaxed);
    free(p);
}
