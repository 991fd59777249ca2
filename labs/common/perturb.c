/* Perturbation of an implementation's own code, for the grader's builds.
 *
 * lab_pause() widens only the windows the lab's author marked. A student's
 * bugs sit elsewhere: between an unlock and the next lock, between an atomic
 * load and the store that was meant to go with it, in a loop that polls. The
 * grader's build of an implementation (broken.c, fixed.c, alt-*.c,
 * student.c: see `make print-PERTURB_CFLAGS` and grading/grade) is therefore
 * compiled and linked so that four kinds of place call in here:
 *   - every synchronisation call it makes (pthread mutex, rwlock, condition,
 *     spin lock, barrier, once, thread creation, semaphores): objcopy
 *     renames its references, pthread_mutex_lock -> lab_wrap_pthread_mutex_lock
 *     and so on (perturb.syms), so the driver's own calls stay untouched;
 *   - every C11 atomic operation written with <stdatomic.h>'s generic
 *     functions: labs/common/perturb/stdatomic.h shadows the system header
 *     for that build and calls lab_perturb_point() before each;
 *   - the start of every basic block: -fsanitize-coverage=trace-pc calls
 *     __sanitizer_cov_trace_pc();
 *   - every load and store of memory that may be shared, and every atomic
 *     builtin: -fsanitize=thread calls __tsan_read8() and the like, which
 *     this file defines in place of ThreadSanitizer's runtime (below).
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
 * while one on CLOCK_MONOTONIC is untouched. Checks of a wait that must
 * never give up also shift the steady clocks (lab_steady_jump, through
 * lab_clocks_shift) and count the implementation's clock readings. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/time.h>
#include <time.h>

#include "lab.h"

/* ---- freed memory, kept out of use ---------------------------------------- */
/* While lab_quarantine is set (lab_main sets it for every check), a block
 * the implementation frees is not handed back to malloc at once: its 16-byte
 * granules (glibc's blocks are 16-byte aligned, and a block's usable bytes
 * end where the next block's begin) go into a set, and every load, store
 * and atomic operation of the implementation, and every synchronisation
 * call it makes, looks its address up there. A hit is a use after free
 * and fails the check with its reason, every run: where the block would
 * otherwise be handed out again, or still hold what it held, a read of it
 * can pass unseen and a write to it lands in someone else's object. Freeing
 * a block twice fails the same way. At most Q_GRANULES granules wait (blocks
 * over Q_BIG bytes go back at once); then the oldest blocks are handed back.
 * A free that finds the set busy (another thread freeing, or a lock held at
 * fork) hands its block back at once: a use of that one goes unseen. */
#include <malloc.h>
#include <stdlib.h>

enum { Q_SLOTS = 1 << 18, Q_GRANULES = 1 << 16, Q_BLOCKS = 1 << 14, Q_BIG = 4096 };
#define Q_TOMB ((uintptr_t)1)
static _Atomic uintptr_t q_set[Q_SLOTS]; /* granule address; 0 empty, Q_TOMB removed */
static struct {
    void *p;
    size_t n;
} q_ring[Q_BLOCKS];
static unsigned q_head, q_count; /* the oldest block, how many wait */
static size_t q_granules, q_tombs;
static atomic_int q_live; /* q_count, for the lock-free fast path */
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
/* One bit per page (hashed): set while a waiting block may lie on it, so
 * that most accesses, to pages with no freed block, skip the set. Bits are
 * cleared only when the set is built again. */
enum { Q_PAGE_BITS = 1 << 16 };
static _Atomic uint64_t q_pages[Q_PAGE_BITS / 64];
static size_t q_page(uintptr_t a) { return (size_t)((a >> 12) * 0x9e3779b97f4a7c15ULL >> (64 - 16)); }
static int q_page_may(uintptr_t a) {
    size_t b = q_page(a);
    return (atomic_load_explicit(&q_pages[b / 64], memory_order_relaxed) >> (b % 64)) & 1;
}
static void q_page_mark(uintptr_t a) {
    size_t b = q_page(a);
    atomic_fetch_or_explicit(&q_pages[b / 64], (uint64_t)1 << (b % 64), memory_order_relaxed);
}

static size_t q_hash(uintptr_t g) { return (size_t)((g >> 4) * 0x9e3779b97f4a7c15ULL >> (64 - 18)); }

/* The slot holding granule g, or -1: the search both lookups share. */
static long q_find(uintptr_t g) {
    for (size_t i = q_hash(g), k = 0; k < Q_SLOTS; i = (i + 1) & (Q_SLOTS - 1), k++) {
        uintptr_t v = atomic_load_explicit(&q_set[i], memory_order_relaxed);
        if (v == 0)
            return -1;
        if (v == g)
            return (long)i;
    }
    return -1;
}

static int q_has(uintptr_t g) { return q_find(g) >= 0; }

static void q_put(uintptr_t g) {
    q_page_mark(g);
    size_t i = q_hash(g);
    while (atomic_load_explicit(&q_set[i], memory_order_relaxed) > Q_TOMB)
        i = (i + 1) & (Q_SLOTS - 1);
    if (atomic_load_explicit(&q_set[i], memory_order_relaxed) == Q_TOMB)
        q_tombs--;
    atomic_store_explicit(&q_set[i], g, memory_order_relaxed);
}

static void q_drop(uintptr_t g) {
    long i = q_find(g);
    if (i >= 0) {
        atomic_store_explicit(&q_set[i], Q_TOMB, memory_order_relaxed);
        q_tombs++;
    }
}

#define Q_EACH(g, p, n) for (uintptr_t g = (uintptr_t)(p) & ~(uintptr_t)15; g < (uintptr_t)(p) + (n); g += 16)

/* Hands the oldest waiting block back to malloc (q_lock held). */
static void q_release_oldest(void) {
    void *p = q_ring[q_head].p;
    size_t n = q_ring[q_head].n;
    Q_EACH(g, p, n) q_drop(g);
    q_granules -= (n + 15) / 16;
    q_head = (q_head + 1) % Q_BLOCKS;
    q_count--;
    atomic_store_explicit(&q_live, (int)q_count, memory_order_relaxed);
    free(p);
}

/* Tombstones lengthen every search: once they and the waiting granules
 * fill half the slots (the waiting ones alone fill at most a quarter), the
 * set is built again from the waiting blocks (q_lock held). A search meanwhile
 * may miss a block: a use goes unseen, never a false one reported. */
static void q_rebuild(void) {
    for (size_t i = 0; i < Q_SLOTS; i++)
        atomic_store_explicit(&q_set[i], 0, memory_order_relaxed);
    for (size_t i = 0; i < Q_PAGE_BITS / 64; i++)
        atomic_store_explicit(&q_pages[i], 0, memory_order_relaxed);
    q_tombs = 0;
    for (unsigned k = 0; k < q_count; k++) {
        unsigned j = (q_head + k) % Q_BLOCKS;
        Q_EACH(g, q_ring[j].p, q_ring[j].n) q_put(g);
    }
}

static void q_fail(const void *p, const char *what) {
    lab_fail("memory is not used after it is freed / the implementation's %s at %p is inside a block it had "
             "already freed (the grader keeps freed blocks out of use and watches them)",
             what, p);
}

/* An access of n bytes at p: its first and last granules are looked up,
 * which is where any access that reaches into a freed block lands (a freed
 * block is never split between live ones). */
static void q_hit(const void *p, size_t n, const char *what) {
    if (__builtin_expect(atomic_load_explicit(&q_live, memory_order_relaxed) == 0, 1) || p == NULL || n == 0)
        return;
    uintptr_t first = (uintptr_t)p & ~(uintptr_t)15, last = ((uintptr_t)p + n - 1) & ~(uintptr_t)15;
    if (!q_page_may(first) && !q_page_may(last))
        return;
    if (q_has(first) || (last != first && q_has(last)))
        q_fail(p, what);
}

/* Keeps p out of use instead of freeing it; 0 when it could not (p is then
 * the caller's to free). */
static int q_keep(void *p) {
    if (!lab_quarantine || p == NULL)
        return 0;
    size_t n = malloc_usable_size(p);
    if (n == 0 || n > Q_BIG || pthread_mutex_trylock(&q_lock) != 0)
        return 0;
    if (q_has((uintptr_t)p & ~(uintptr_t)15)) {
        pthread_mutex_unlock(&q_lock);
        lab_fail("a block is freed once / the implementation freed the block at %p a second time", p);
    }
    size_t grains = (n + 15) / 16;
    while (q_count > 0 && (q_count == Q_BLOCKS || q_granules + grains > Q_GRANULES))
        q_release_oldest();
    if (q_tombs + q_granules + grains > Q_SLOTS / 2)
        q_rebuild();
    Q_EACH(g, p, n) q_put(g);
    q_granules += grains;
    q_ring[(q_head + q_count) % Q_BLOCKS].p = p;
    q_ring[(q_head + q_count) % Q_BLOCKS].n = n;
    q_count++;
    atomic_store_explicit(&q_live, (int)q_count, memory_order_relaxed);
    pthread_mutex_unlock(&q_lock);
    return 1;
}

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

/* ---- objects in memory shared between processes ------------------------ */
/* A mutex, condition, rwlock, barrier or semaphore placed in a MAP_SHARED
 * mapping and used by more than one process must be made for it
 * (PTHREAD_PROCESS_SHARED, sem_init's pshared): POSIX leaves anything else
 * undefined, and glibc then keys its futexes to the one process, so a
 * wake-up never reaches a waiter in another one. Whether that waiter
 * sleeps forever depends on who happens to wait, so the checks that
 * provoke it catch it in some runs only. Here it is caught every time,
 * with its reason: an object set up private in a shared mapping is noted
 * at its initialisation, and the first call on it from another process
 * fails the check. A robust mutex is left alone: glibc makes every robust
 * mutex process-shared (its lock and unlock never use a private futex). */
enum { MAX_NOTED = 256 };
static struct {
    _Atomic(const void *) obj;
    pid_t pid;
    const char *what, *how;
} noted[MAX_NOTED];
static atomic_int n_noted;

static int in_shared_mapping(const void *p) {
    FILE *f = fopen("/proc/self/maps", "r");
    if (f == NULL)
        return 0;
    char line[512];
    int shared = 0;
    uintptr_t a = (uintptr_t)p;
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned long lo, hi;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && a >= lo && a < hi) {
            shared = perms[3] == 's';
            break;
        }
    }
    fclose(f);
    return shared;
}

/* At an initialisation: forgets what was noted at this address before (an
 * object made again), and notes it if it is private in shared memory. */
static void initialised(const void *obj, int pshared, const char *what, const char *how) {
    int n = atomic_load(&n_noted);
    for (int i = 0; i < n && i < MAX_NOTED; i++)
        if (noted[i].obj == obj)
            noted[i].obj = NULL;
    if (pshared || !in_shared_mapping(obj))
        return;
    int i = atomic_fetch_add(&n_noted, 1);
    if (i >= MAX_NOTED)
        return;
    noted[i].pid = getpid();
    noted[i].what = what;
    noted[i].how = how;
    atomic_store(&noted[i].obj, obj); /* last: a reader sees it whole */
}

static void used(const void *obj) {
    q_hit(obj, 1, "synchronisation call on an object");
    int n = atomic_load_explicit(&n_noted, memory_order_relaxed);
    if (__builtin_expect(n == 0, 1) || obj == NULL)
        return;
    for (int i = 0; i < n && i < MAX_NOTED; i++) {
        if (atomic_load(&noted[i].obj) != obj)
            continue;
        pid_t me = getpid();
        if (me != noted[i].pid)
            lab_fail("a %s used by more than one process is made for it / the %s at %p, in memory shared "
                     "between processes (MAP_SHARED), was initialised by process %d %s, and process %d used "
                     "it: POSIX leaves that undefined, and glibc's wake-ups then stay inside one process",
                     noted[i].what, noted[i].what, obj, (int)noted[i].pid, noted[i].how, (int)me);
        return;
    }
}

int lab_wrap_pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a);
int lab_wrap_pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a) {
    int ps = PTHREAD_PROCESS_PRIVATE, robust = PTHREAD_MUTEX_STALLED;
    if (a != NULL) {
        pthread_mutexattr_getpshared(a, &ps);
        pthread_mutexattr_getrobust(a, &robust);
    }
    initialised(m, ps == PTHREAD_PROCESS_SHARED || robust == PTHREAD_MUTEX_ROBUST, "mutex",
                "without PTHREAD_PROCESS_SHARED");
    return pthread_mutex_init(m, a);
}
int lab_wrap_pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a);
int lab_wrap_pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a) {
    int ps = PTHREAD_PROCESS_PRIVATE;
    if (a != NULL)
        pthread_condattr_getpshared(a, &ps);
    initialised(c, ps == PTHREAD_PROCESS_SHARED, "condition variable", "without PTHREAD_PROCESS_SHARED");
    return pthread_cond_init(c, a);
}
int lab_wrap_pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *a);
int lab_wrap_pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *a) {
    int ps = PTHREAD_PROCESS_PRIVATE;
    if (a != NULL)
        pthread_rwlockattr_getpshared(a, &ps);
    initialised(l, ps == PTHREAD_PROCESS_SHARED, "rwlock", "without PTHREAD_PROCESS_SHARED");
    return pthread_rwlock_init(l, a);
}
int lab_wrap_pthread_barrier_init(pthread_barrier_t *b, const pthread_barrierattr_t *a, unsigned n);
int lab_wrap_pthread_barrier_init(pthread_barrier_t *b, const pthread_barrierattr_t *a, unsigned n) {
    int ps = PTHREAD_PROCESS_PRIVATE;
    if (a != NULL)
        pthread_barrierattr_getpshared(a, &ps);
    initialised(b, ps == PTHREAD_PROCESS_SHARED, "barrier", "without PTHREAD_PROCESS_SHARED");
    return pthread_barrier_init(b, a, n);
}
int lab_wrap_sem_init(sem_t *s, int pshared, unsigned v);
int lab_wrap_sem_init(sem_t *s, int pshared, unsigned v) {
    initialised(s, pshared != 0, "semaphore", "with sem_init(..., 0, ...) (pshared 0)");
    return sem_init(s, pshared, v);
}

/* Before taking: another thread may get there first. After giving back:
 * another thread may run between this section and the caller's next one. */
extern _Thread_local long lab_impl_locks; /* lab.c: lab_impl_lock_calls() */
static void before_take(const void *obj) {
    used(obj);
    lab_impl_locks += obj != NULL; /* pthread_once has no lock */
    if (PERTURBING())
        jitter(2);
}
static void after_give(void) {
    if (PERTURBING())
        jitter(2);
}
#define WRAP_TAKE(ret, name, params, args, obj)                                \
    ret lab_wrap_##name params;                                                \
    ret lab_wrap_##name params {                                               \
        before_take((const void *)(obj));                                      \
        return name args;                                                      \
    }
#define WRAP_GIVE(ret, name, params, args, obj)                                \
    ret lab_wrap_##name params;                                                \
    ret lab_wrap_##name params {                                               \
        used((const void *)(obj));                                             \
        ret rc_ = name args;                                                   \
        after_give();                                                          \
        return rc_;                                                            \
    }

/* The lock-step phase (lab.h: lab_lockstep_until). A thread's mutexes and
 * spin locks are counted as it takes and gives them back. Within the
 * phase, a thread that holds one and tries another first waits until
 * someone holds that one (as it would find it had it been slower), and a
 * failed trylock sleeps 100 us still holding what its caller holds: two
 * threads that each hold one lock and try the other's fail in step, every
 * try. A blocking lock asked for while the caller holds another one
 * (hold and wait) waits, holding it, until a second thread asks for one the
 * same way or the phase ends. Both then go on to the real lock: two threads
 * that wait each for the other's lock deadlock here every time, however
 * long they backed off before they blocked. */
static _Thread_local int held;
static atomic_int hw_waiting;
static atomic_uint hw_gen;

static int in_lockstep(void) {
    double until = lab_lockstep_until;
    return until != 0 && held > 0 && lab_now() < until;
}

static void hold_and_wait(void) {
    double until = lab_lockstep_until;
    if (!in_lockstep())
        return;
    unsigned gen = atomic_load(&hw_gen);
    if (atomic_fetch_add(&hw_waiting, 1) > 0) {
        atomic_fetch_add(&hw_gen, 1); /* a partner was waiting: go, both */
    } else {
        while (atomic_load(&hw_gen) == gen && lab_now() < until)
            nanosleep(&(struct timespec){0, 100000}, NULL);
    }
    atomic_fetch_sub(&hw_waiting, 1);
}

/* glibc's mutex word and a spin lock's are non-zero while held. */
static int is_free(void *l, int mutex) {
    return __atomic_load_n(mutex ? &((pthread_mutex_t *)l)->__data.__lock : (int *)l, __ATOMIC_RELAXED) == 0;
}

static void before_try(void *l, int mutex) {
    while (is_free(l, mutex) && in_lockstep())
        nanosleep(&(struct timespec){0, 50000}, NULL);
}

static int tried(int rc) {
    if (rc == 0)
        held++;
    else if (rc == EBUSY && in_lockstep())
        nanosleep(&(struct timespec){0, 100000}, NULL);
    return rc;
}

#define WRAP_LOCK(name, type, call, args)                                      \
    int lab_wrap_##name call;                                                  \
    int lab_wrap_##name call {                                                 \
        before_take((const void *)l);                                          \
        hold_and_wait();                                                       \
        int rc_ = name args;                                                   \
        held += rc_ == 0;                                                      \
        return rc_;                                                            \
    }
#define WRAP_TRY(name, type, mutex)                                            \
    int lab_wrap_##name(type *l);                                              \
    int lab_wrap_##name(type *l) {                                             \
        before_take((const void *)l);                                          \
        before_try((void *)l, mutex);                                          \
        return tried(name(l));                                                 \
    }
#define WRAP_UNLOCK(name, type)                                                \
    int lab_wrap_##name(type *l);                                              \
    int lab_wrap_##name(type *l) {                                             \
        used((const void *)l);                                                 \
        int rc_ = name(l);                                                     \
        held -= rc_ == 0 && held > 0;                                          \
        after_give();                                                          \
        return rc_;                                                            \
    }

WRAP_LOCK(pthread_mutex_lock, pthread_mutex_t, (pthread_mutex_t * l), (l))
WRAP_TRY(pthread_mutex_trylock, pthread_mutex_t, 1)
WRAP_LOCK(pthread_mutex_timedlock, pthread_mutex_t, (pthread_mutex_t * l, const struct timespec *t), (l, t))
WRAP_UNLOCK(pthread_mutex_unlock, pthread_mutex_t)
WRAP_TAKE(int, pthread_rwlock_rdlock, (pthread_rwlock_t * l), (l), l)
WRAP_TAKE(int, pthread_rwlock_wrlock, (pthread_rwlock_t * l), (l), l)
WRAP_TAKE(int, pthread_rwlock_tryrdlock, (pthread_rwlock_t * l), (l), l)
WRAP_TAKE(int, pthread_rwlock_trywrlock, (pthread_rwlock_t * l), (l), l)
WRAP_GIVE(int, pthread_rwlock_unlock, (pthread_rwlock_t * l), (l), l)
WRAP_LOCK(pthread_spin_lock, pthread_spinlock_t, (pthread_spinlock_t * l), (l))
WRAP_TRY(pthread_spin_trylock, pthread_spinlock_t, 0)
WRAP_UNLOCK(pthread_spin_unlock, pthread_spinlock_t)
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
    used(c);
    used(m);
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
    used(c);
    used(m);
    if (PERTURBING()) {
        jitter(2);
        int rc = spurious(m);
        if (rc >= 0)
            return rc;
    }
    return pthread_cond_timedwait(c, m, t);
}
WRAP_GIVE(int, pthread_cond_signal, (pthread_cond_t * c), (c), c)
WRAP_GIVE(int, pthread_cond_broadcast, (pthread_cond_t * c), (c), c)
WRAP_GIVE(int, pthread_barrier_wait, (pthread_barrier_t * b), (b), b)
WRAP_TAKE(int, pthread_once, (pthread_once_t * o, void (*f)(void)), (o, f), NULL)
WRAP_GIVE(int, pthread_create,
          (pthread_t * t, const pthread_attr_t *a, void *(*f)(void *), void *arg), (t, a, f, arg), NULL)
WRAP_TAKE(int, sem_wait, (sem_t * s), (s), s)
WRAP_TAKE(int, sem_trywait, (sem_t * s), (s), s)
WRAP_TAKE(int, sem_timedwait, (sem_t * s, const struct timespec *t), (s, t), s)
WRAP_GIVE(int, sem_post, (sem_t * s), (s), s)

/* ---- the clocks, as the implementation sees them ------------------------- */
/* Every reading is counted (lab_impl_clock_reads), whatever the clock; the
 * wall clocks are shifted by lab_clock_jump, the steady ones by
 * lab_steady_jump and the CPU-time ones (the process's, a thread's, or one
 * from pthread_getcpuclockid: a negative id) by lab_cpu_jump. lab_now() and
 * lab_thread_cpu(), which lab.h offers the implementation too, are the
 * steady and the thread's CPU clock. */
extern _Atomic long lab_impl_clocks;
extern volatile double lab_cpu_jump;
static void shift_by(struct timespec *ts, double j) {
    if (j == 0)
        return;
    long long ns = (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec + (long long)(j * 1e9);
    long long sec = ns / 1000000000LL, rest = ns % 1000000000LL;
    if (rest < 0) /* a reading shifted below zero: tv_nsec stays in 0..999999999 */
        sec--, rest += 1000000000LL;
    ts->tv_sec = (time_t)sec;
    ts->tv_nsec = (long)rest;
}
static void counted_read(void) { atomic_fetch_add_explicit(&lab_impl_clocks, 1, memory_order_relaxed); }
static void shift(struct timespec *ts) {
    counted_read();
    shift_by(ts, lab_clock_jump);
}

static double jump_of(clockid_t id) {
    if (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE || id == CLOCK_TAI || id == CLOCK_REALTIME_ALARM)
        return lab_clock_jump;
    if (id == CLOCK_MONOTONIC || id == CLOCK_MONOTONIC_RAW || id == CLOCK_MONOTONIC_COARSE ||
        id == CLOCK_BOOTTIME || id == CLOCK_BOOTTIME_ALARM)
        return lab_steady_jump;
    if (id == CLOCK_PROCESS_CPUTIME_ID || id == CLOCK_THREAD_CPUTIME_ID || id < 0)
        return lab_cpu_jump;
    return 0;
}

int lab_wrap_clock_gettime(clockid_t id, struct timespec *ts);
int lab_wrap_clock_gettime(clockid_t id, struct timespec *ts) {
    int rc = clock_gettime(id, ts);
    if (rc == 0) {
        counted_read();
        shift_by(ts, jump_of(id));
    }
    return rc;
}

double lab_wrap_lab_now(void);
double lab_wrap_lab_now(void) {
    counted_read();
    return lab_now() + lab_steady_jump;
}

double lab_wrap_lab_thread_cpu(void);
double lab_wrap_lab_thread_cpu(void) {
    counted_read();
    return lab_thread_cpu() + lab_cpu_jump;
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
#include <stdarg.h>
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
    q_hit(p, 1, "realloc");
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
    if (!q_keep(p))
        free(p);
}

/* ---- the C library's memory and string calls ----------------------------- */
/* Their loads and stores happen inside the C library, which is not
 * instrumented: each call's ranges are looked up in the quarantine here, so
 * a copy into or out of a freed block (memcpy, strcpy, snprintf into it,
 * strlen of it, ...) is a use after free like a load or store. A string
 * read is looked up before it is measured, then whole. */
static size_t q_str(const char *s, const char *what) {
    q_hit(s, 1, what);
    size_t n = strlen(s) + 1;
    q_hit(s, n, what);
    return n;
}
static size_t q_strn(const char *s, size_t max, const char *what) {
    if (max == 0)
        return 0;
    q_hit(s, 1, what);
    size_t n = strnlen(s, max);
    n = n < max ? n + 1 : max;
    q_hit(s, n, what);
    return n;
}

#define MEM_WRAP(T, name, params, args, checks)                                \
    T lab_wrap_##name params;                                                  \
    T lab_wrap_##name params {                                                 \
        checks;                                                                \
        return name args;                                                      \
    }
MEM_WRAP(void *, memcpy, (void *d, const void *s, size_t n), (d, s, n),
         (q_hit(s, n, "read by memcpy"), q_hit(d, n, "write by memcpy")))
MEM_WRAP(void *, memmove, (void *d, const void *s, size_t n), (d, s, n),
         (q_hit(s, n, "read by memmove"), q_hit(d, n, "write by memmove")))
MEM_WRAP(void *, memset, (void *d, int c, size_t n), (d, c, n), q_hit(d, n, "write by memset"))
MEM_WRAP(int, memcmp, (const void *a, const void *b, size_t n), (a, b, n),
         (q_hit(a, n, "read by memcmp"), q_hit(b, n, "read by memcmp")))
MEM_WRAP(size_t, strlen, (const char *s), (s), q_str(s, "read by strlen"))
MEM_WRAP(size_t, strnlen, (const char *s, size_t max), (s, max), q_strn(s, max, "read by strnlen"))
MEM_WRAP(char *, strcpy, (char *d, const char *s), (d, s), q_hit(d, q_str(s, "read by strcpy"), "write by strcpy"))
MEM_WRAP(char *, strncpy, (char *d, const char *s, size_t n), (d, s, n),
         (q_strn(s, n, "read by strncpy"), q_hit(d, n, "write by strncpy")))
MEM_WRAP(int, strcmp, (const char *a, const char *b), (a, b),
         (q_str(a, "read by strcmp"), q_str(b, "read by strcmp")))
MEM_WRAP(int, strncmp, (const char *a, const char *b, size_t n), (a, b, n),
         (q_strn(a, n, "read by strncmp"), q_strn(b, n, "read by strncmp")))
MEM_WRAP(char *, strchr, (const char *s, int c), (s, c), q_str(s, "read by strchr"))
MEM_WRAP(char *, strcat, (char *d, const char *s), (d, s),
         q_hit(d, q_str(d, "read by strcat") + q_str(s, "read by strcat"), "write by strcat"))

int lab_wrap_vsnprintf(char *d, size_t n, const char *fmt, va_list ap);
int lab_wrap_vsnprintf(char *d, size_t n, const char *fmt, va_list ap) {
    q_hit(d, n, "write by vsnprintf");
    return vsnprintf(d, n, fmt, ap);
}
int lab_wrap_snprintf(char *d, size_t n, const char *fmt, ...);
int lab_wrap_snprintf(char *d, size_t n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = lab_wrap_vsnprintf(d, n, fmt, ap);
    va_end(ap);
    return r;
}

/* ---- every memory access of the implementation -------------------------- */
/* The grader's build of an implementation is also compiled with
 * -fsanitize=thread, but linked without ThreadSanitizer's runtime: the calls
 * the compiler puts before each load and store of shared memory
 * (__tsan_read8, __tsan_write4, ...) and in place of each atomic operation
 * (__tsan_atomic64_fetch_add, ...) come here instead. While a check has
 * lab_perturb_on set (and lab_perturb_mem, which a check may clear), one
 * access in MEM_ODDS is held up as jitter() holds up a lock call. That is
 * the only way into a window the submission made between two of its own
 * instructions, with no call and no branch between them: a store to one
 * account before the store to the other, the load and the store of `x++` on
 * a plain or volatile variable. Unlike the other places, these can be
 * inside a critical section, where holding up a correct design only delays
 * the threads that wait for its lock. The atomic operations do what they
 * are asked, at sequential consistency: the instrumentation passes the memory
 * order as a value, and the strongest order is always a correct one. */
enum { MEM_ODDS = 64 };

static inline void mem_point(void) {
    if (__builtin_expect(lab_perturb_mem != 0, 0) && PERTURBING())
        jitter(MEM_ODDS);
}

void __tsan_init(void);
void __tsan_init(void) {}
void __tsan_func_entry(void *pc);
void __tsan_func_entry(void *pc) { (void)pc; }
void __tsan_func_exit(void);
void __tsan_func_exit(void) {}
void __tsan_read_range(void *p, unsigned long n);
void __tsan_read_range(void *p, unsigned long n) { q_hit(p, n, "read"), mem_point(); }
void __tsan_write_range(void *p, unsigned long n);
void __tsan_write_range(void *p, unsigned long n) { q_hit(p, n, "write"), mem_point(); }
void __tsan_vptr_update(void **p, void *v);
void __tsan_vptr_update(void **p, void *v) { (void)p, (void)v; }
void __tsan_vptr_read(void **p);
void __tsan_vptr_read(void **p) { (void)p; }

#define MEM_ACCESS(name, n, what)                                              \
    void name(void *p);                                                        \
    void name(void *p) { q_hit(p, n, what), mem_point(); }
#define MEM_SIZES(kind)                                                        \
    MEM_ACCESS(__tsan_##kind##1, 1, #kind) MEM_ACCESS(__tsan_##kind##2, 2, #kind) \
    MEM_ACCESS(__tsan_##kind##4, 4, #kind) MEM_ACCESS(__tsan_##kind##8, 8, #kind) \
    MEM_ACCESS(__tsan_##kind##16, 16, #kind)
MEM_SIZES(read)
MEM_SIZES(write)
MEM_SIZES(unaligned_read)
MEM_SIZES(unaligned_write)
MEM_SIZES(volatile_read)
MEM_SIZES(volatile_write)
MEM_SIZES(unaligned_volatile_read)
MEM_SIZES(unaligned_volatile_write)

#define SC __ATOMIC_SEQ_CST
#define ATOMICS(bits, T)                                                                      \
    T __tsan_atomic##bits##_load(const volatile T *a, int mo);                                \
    T __tsan_atomic##bits##_load(const volatile T *a, int mo) {                               \
        (void)mo, q_hit((const void *)a, sizeof(T), "atomic load"), mem_point();              \
        return __atomic_load_n(a, SC);                                                        \
    }                                                                                         \
    void __tsan_atomic##bits##_store(volatile T *a, T v, int mo);                             \
    void __tsan_atomic##bits##_store(volatile T *a, T v, int mo) {                            \
        (void)mo, q_hit((const void *)a, sizeof(T), "atomic store"), mem_point();             \
        __atomic_store_n(a, v, SC);                                                           \
    }                                                                                         \
    ATOMIC_RMW(bits, T, exchange, __atomic_exchange_n)                                        \
    ATOMIC_RMW(bits, T, fetch_add, __atomic_fetch_add)                                        \
    ATOMIC_RMW(bits, T, fetch_sub, __atomic_fetch_sub)                                        \
    ATOMIC_RMW(bits, T, fetch_and, __atomic_fetch_and)                                        \
    ATOMIC_RMW(bits, T, fetch_or, __atomic_fetch_or)                                          \
    ATOMIC_RMW(bits, T, fetch_xor, __atomic_fetch_xor)                                        \
    ATOMIC_RMW(bits, T, fetch_nand, __atomic_fetch_nand)                                      \
    int __tsan_atomic##bits##_compare_exchange_strong(volatile T *a, T *c, T v, int mo, int fmo); \
    int __tsan_atomic##bits##_compare_exchange_strong(volatile T *a, T *c, T v, int mo, int fmo) { \
        (void)mo, (void)fmo, q_hit((const void *)a, sizeof(T), "atomic operation"), mem_point(); \
        return __atomic_compare_exchange_n(a, c, v, 0, SC, SC);                               \
    }                                                                                         \
    int __tsan_atomic##bits##_compare_exchange_weak(volatile T *a, T *c, T v, int mo, int fmo); \
    int __tsan_atomic##bits##_compare_exchange_weak(volatile T *a, T *c, T v, int mo, int fmo) { \
        (void)mo, (void)fmo, q_hit((const void *)a, sizeof(T), "atomic operation"), mem_point(); \
        return __atomic_compare_exchange_n(a, c, v, 1, SC, SC);                               \
    }                                                                                         \
    T __tsan_atomic##bits##_compare_exchange_val(volatile T *a, T c, T v, int mo, int fmo);   \
    T __tsan_atomic##bits##_compare_exchange_val(volatile T *a, T c, T v, int mo, int fmo) {  \
        (void)mo, (void)fmo, q_hit((const void *)a, sizeof(T), "atomic operation"), mem_point(); \
        __atomic_compare_exchange_n(a, &c, v, 0, SC, SC);                                     \
        return c;                                                                             \
    }
#define ATOMIC_RMW(bits, T, op, builtin)                                       \
    T __tsan_atomic##bits##_##op(volatile T *a, T v, int mo);                  \
    T __tsan_atomic##bits##_##op(volatile T *a, T v, int mo) {                 \
        (void)mo, q_hit((const void *)a, sizeof(T), "atomic operation"), mem_point(); \
        return builtin(a, v, SC);                                              \
    }
ATOMICS(8, uint8_t)
ATOMICS(16, uint16_t)
ATOMICS(32, uint32_t)
ATOMICS(64, uint64_t)

void __tsan_atomic_thread_fence(int mo);
void __tsan_atomic_thread_fence(int mo) {
    (void)mo;
    __atomic_thread_fence(SC);
}
void __tsan_atomic_signal_fence(int mo);
void __tsan_atomic_signal_fence(int mo) {
    (void)mo;
    __atomic_signal_fence(SC);
}
