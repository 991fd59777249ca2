/* What every lab's implementation and driver share.
 *
 * Implementations (broken.c, fixed.c, alt-*.c, student.c) use the checked
 * pthread wrappers and the pause hook. Torture drivers (test.c) also use the
 * check registry, the thread runner, the watchdog and the one-line failure
 * report; lab_main() parses their command line, so every lab's driver takes
 * the same options and prints failures the same way.
 *
 * The pause hook is how a driver widens a race window, the way the course's
 * examples put a "simulated work" sleep between read and write: the
 * implementation calls lab_pause() inside the window, and the driver decides
 * whether that does nothing, yields, or waits a random while drawn from a
 * seed. Bench builds define LAB_NO_PAUSE so the hook costs nothing there.
 */
#ifndef LOCKLAB_LAB_H
#define LOCKLAB_LAB_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- checked pthread calls --------------------------------------------
 * pthread functions return an error number instead of setting errno. Each
 * wrapper checks it and, on failure, prints the call, where it was made and
 * strerror(rc), then aborts: a lab must never carry on after a failed lock
 * operation, because everything it measured after that would be a lie. */
void lab_pthread_die(int rc, const char *call, const char *file, int line);

#define LAB_PTHREAD(call)                                                      \
    do {                                                                       \
        int lab_rc_ = (call);                                                  \
        if (__builtin_expect(lab_rc_ != 0, 0))                                 \
            lab_pthread_die(lab_rc_, #call, __FILE__, __LINE__);               \
    } while (0)

#define lab_mutex_init(m, attr) LAB_PTHREAD(pthread_mutex_init((m), (attr)))
#define lab_mutex_lock(m) LAB_PTHREAD(pthread_mutex_lock(m))
#define lab_mutex_unlock(m) LAB_PTHREAD(pthread_mutex_unlock(m))
#define lab_mutex_destroy(m) LAB_PTHREAD(pthread_mutex_destroy(m))
#define lab_cond_init(c, attr) LAB_PTHREAD(pthread_cond_init((c), (attr)))
#define lab_cond_wait(c, m) LAB_PTHREAD(pthread_cond_wait((c), (m)))
#define lab_cond_signal(c) LAB_PTHREAD(pthread_cond_signal(c))
#define lab_cond_broadcast(c) LAB_PTHREAD(pthread_cond_broadcast(c))
#define lab_cond_destroy(c) LAB_PTHREAD(pthread_cond_destroy(c))
#define lab_thread_create(t, attr, fn, arg)                                    \
    LAB_PTHREAD(pthread_create((t), (attr), (fn), (arg)))
#define lab_thread_join(t, ret) LAB_PTHREAD(pthread_join((t), (ret)))

/* Allocation that cannot fail quietly: prints what was asked for and aborts. */
void *lab_calloc(size_t n, size_t size);
/* The same for memory aligned to `align` (a power of two, e.g. a cache line). */
void *lab_aligned_alloc(size_t align, size_t size);

/* ---- the pause hook ----------------------------------------------------- */
typedef enum {
    LAB_PAUSE_OFF,    /* the window stays as narrow as the hardware makes it */
    LAB_PAUSE_YIELD,  /* sched_yield(): another runnable thread gets the CPU */
    LAB_PAUSE_RANDOM, /* spin, yield or sleep, drawn from the seed */
} lab_pause_mode_t;

extern volatile lab_pause_mode_t lab_pause_mode;
void lab_pause_slow(void);

#ifdef LAB_NO_PAUSE
/* In bench builds the window is not stretched, but it stays a window: this
 * compiler barrier emits no instruction, yet stops the optimiser from
 * folding a thousand unlocked read-add-writes into one add, which would time
 * something no running program does. */
#define lab_pause() __asm__ volatile("" ::: "memory")
#else
/* Mark a race window: the driver may stretch it. Almost free when off. */
static inline void lab_pause(void) {
    if (__builtin_expect(lab_pause_mode != LAB_PAUSE_OFF, 0))
        lab_pause_slow();
}
#endif

/* ---- drivers: options, checks, failures --------------------------------- */
typedef struct {
    const char *check;     /* the check being run */
    uint64_t seed;         /* replay a run with --seed */
    int threads;           /* --threads, or the check's own default when 0 */
    long iters;            /* --iters, or the check's own default when 0 */
    double timeout;        /* seconds before the watchdog fails the check */
    lab_pause_mode_t pause;
} lab_opts_t;

typedef struct {
    const char *name;  /* what `test NAME` runs */
    const char *about; /* one line for --list */
    void (*run)(const lab_opts_t *opts);
    lab_pause_mode_t pause; /* the check's pause mode unless --pause says */
} lab_check_t;

/* Perturbation (labs/common/perturb.c): in the grader's build of an
 * implementation, its synchronisation calls, atomic operations and basic
 * blocks yield, spin or sleep now and then, drawn from the seed, while
 * lab_perturb_on is set. lab_main sets it for checks whose pause mode is not
 * off (checks that time something run unperturbed), or as --perturb on|off
 * says; a check may set it itself, e.g. only while its workers are in
 * flight (a check that does so should say it in its --list line). */
extern volatile int lab_perturb_on;
/* Also every load, store and atomic operation of the implementation's own
 * code, also inside its critical sections (perturb.c: the build is
 * instrumented as for ThreadSanitizer, with our runtime in its place), while
 * lab_perturb_on is set, unless a check clears this (on by default). */
extern volatile int lab_perturb_mem;
/* In the grader's build, blocks the implementation frees are kept out of
 * use for a while and watched (perturb.c): a load, store, atomic operation
 * or synchronisation call of the implementation on one, or a second free,
 * fails the check with its reason. lab_main sets it for every check; a
 * check may clear it. */
extern volatile int lab_quarantine;
/* Seconds added to every wall-clock reading the implementation makes
 * (CLOCK_REALTIME, gettimeofday, time) in the grader's build: a check of a
 * timeout sets it to prove the timeout does not hang on the wall clock. */
extern volatile double lab_clock_jump;
/* The same for the steady clocks (CLOCK_MONOTONIC, _RAW, _COARSE,
 * CLOCK_BOOTTIME), which a check of a timeout leaves alone; only checks of a
 * wait that must never give up move them, through these:
 * lab_clocks_shift(s): both clocks read s seconds off from now on (0: true
 * again). A check sets them a day behind while it holds a lock the
 * implementation waits for: a deadline computed from either clock has then
 * passed before the wait begins (pthread_mutex_timedlock, sem_timedwait,
 * pthread_mutex_clocklock, a pthread_cond_timedwait on either clock).
 * lab_clocks_ahead_while(tid, quiet, most): while thread `tid` waits in a
 * call, both clocks jump two days ahead of where they were, and the CPU-time
 * clocks (the process's, any thread's, lab_thread_cpu()) two days ahead of
 * the truth; returns 1 once
 * the implementation has read a clock since (an elapsed time it computes
 * then is two days: a wait that gives up after a while has given up), 0
 * once `tid` has been asleep `quiet` seconds without a reading (a wait in
 * the kernel, which no clock of ours moves), -1 after `most` seconds; then
 * puts the clocks back as they were. 0 at once where nothing counts (the
 * ThreadSanitizer build). lab_impl_clock_reads(): the implementation's clock
 * readings so far (clock_gettime of any clock, gettimeofday, time, lab_now,
 * lab_thread_cpu), -1 there. lab_now() is a steady clock here too. */
extern volatile double lab_steady_jump;
extern volatile double lab_cpu_jump;
void lab_clocks_shift(double seconds);
int lab_clocks_ahead_while(pid_t tid, double quiet, double most);
long lab_impl_clock_reads(void);
/* Until this lab_now() time (0, the default: never), the grader's build
 * runs the implementation's mutexes and spin locks in lock step
 * (perturb.c): a thread that holds one and tries another first waits until
 * that one is held, and a failed trylock sleeps 100 us before it returns,
 * still holding whatever its caller holds, as a preempted holder can make
 * it on any machine; a blocking lock asked for while the caller holds another
 * waits, holding it, until a second thread does the same or the time is
 * up. A design that retries for ever gets through when the time is up; one
 * that gives up backing off after so many tries and blocks for its second
 * lock deadlocks. A check sets it a few tenths of a second ahead. */
extern volatile double lab_lockstep_until;

/* Memory the implementation holds: its allocations (malloc, calloc,
 * realloc, aligned_alloc, posix_memalign, strdup, lab_calloc,
 * lab_aligned_alloc) less its frees, counted by the wrappers of the
 * perturbing build, so a check can see a leak or a free of something never
 * handed out without taking the implementation's word for it. Returns -1
 * where nothing counts (the ThreadSanitizer build): a check then skips that
 * part of its verdict. Frees of memory the driver allocated count too: a
 * check compares the count before and after the calls it makes. */
long lab_impl_live_allocs(void);
/* Lock calls the implementation made from the calling thread so far
 * (pthread mutex, rwlock and spin lock takes, semaphore waits; not
 * pthread_once), counted by the perturbing build's wrappers: for "no lock
 * on the fast path" promises, read around the calls judged. -1 where
 * nothing counts (the ThreadSanitizer build). */
long lab_impl_lock_calls(void);
/* Fails the check when the implementation holds more blocks than `before`
 * (an earlier lab_impl_live_allocs()): `what` names the calls in between,
 * e.g. "counter_create() then counter_destroy()". Nothing in the
 * ThreadSanitizer build, where nothing counts. */
void lab_expect_freed(long before, const char *what);

/* The whole main() of a torture driver:
 *   test [--seed N] [--pause off|yield|random] [--perturb on|off]
 *        [--threads N] [--iters N] [--timeout S] CHECK
 *   test --list
 * Runs one check under the watchdog. Exit 0 after a pass ("ok: ..." on
 * stdout), 1 after a failure (one "FAIL:" line on stdout), 2 for bad usage. */
int lab_main(int argc, char **argv, const lab_check_t *checks, size_t n);
#define LAB_NCHECKS(a) (sizeof(a) / sizeof((a)[0]))

/* Opts value or the check's own default. */
int lab_opt_threads(const lab_opts_t *o, int dflt);
long lab_opt_iters(const lab_opts_t *o, long dflt);

/* Fail the current check: prints
 *   FAIL: <expected> / <what happened> (check C, seed S)
 * and exits 1. The format gives both halves, e.g. "%ld increments / got %ld". */
__attribute__((noreturn, format(printf, 1, 2))) void lab_fail(const char *fmt, ...);

/* Report a pass: "ok: <check>: <detail>". Call once at the end of a check. */
__attribute__((format(printf, 1, 2))) void lab_pass(const char *fmt, ...);

#define LAB_EXPECT_EQ(expected, actual, what)                                  \
    do {                                                                       \
        long long lab_e_ = (long long)(expected), lab_a_ = (long long)(actual); \
        if (lab_e_ != lab_a_)                                                  \
            lab_fail("%s == %lld / got %lld", (what), lab_e_, lab_a_);         \
    } while (0)

/* A check's share of its own time: true once `fraction` of the check's
 * timeout has passed since it started. For a check whose turns slow down
 * with the machine's load (each one a hand-over that waits for a CPU): it
 * stops taking turns then, rather than run into the watchdog, and judges
 * the turns it took. Its verdict must not depend on how many there were;
 * its pass line should say when it stopped early. */
int lab_time_spent(double fraction);
/* For that pass line: "" when all `asked` were done, else
 * " (D of A done: the machine is busy, ...)" (one static buffer). */
const char *lab_cut_note(long done, long asked);

/* ---- watchdog ----------------------------------------------------------
 * A hang must become a failing check with a reason, not a grader that waits.
 * The alarm is process-wide (SIGALRM), so it works in single-threaded parents
 * that fork, and adds no thread. Arming again replaces the reason and time. */
void lab_watchdog_arm(double seconds, const char *reason);
void lab_watchdog_disarm(void);

/* ---- stall watchdog ----------------------------------------------------
 * For checks that must keep making progress (transfers, barrier rounds,
 * queue items): a monitor thread reads *progress every few milliseconds and
 * fails the check if it has not changed for `seconds` while every other
 * thread was asleep (a deadlock or a lost wakeup; a thread merely waiting
 * for a CPU on a loaded machine does not count), or for 5 x `seconds`
 * whatever the threads were doing (a spin that never ends), printing
 *   FAIL: <reason> / progress stopped at <n> (check C, seed S)
 * e.g. reason "deadlock: no transfer finished in 2 s". A hang is reported
 * after `seconds`, not after the whole check's timeout. The workers only
 * have to bump the counter (an atomic add, relaxed is enough). */
typedef struct lab_stall lab_stall_t;
lab_stall_t *lab_stall_watch(_Atomic long *progress, double seconds, const char *reason);
void lab_stall_stop(lab_stall_t *s); /* stops and frees the monitor */

/* ---- clocks -------------------------------------------------------------
 * lab_now: monotonic seconds, for deadlines and latencies.
 * lab_thread_cpu: CPU seconds the calling thread has used so far, for
 * "a waiting thread burns (almost) no CPU" checks: measure it in the waiting
 * thread around the wait, and allow a generous bound. */
double lab_now(void);
double lab_thread_cpu(void);
/* lab_thread_busy: seconds the calling thread has spent on a CPU or waiting
 * for one (runnable), from the scheduler's account of it
 * (/proc/thread-self/schedstat). A thread asleep in a wait adds to neither;
 * one that spins adds its whole wait, even when it calls sched_yield() on a
 * machine busy with other work and so gets little CPU time. For "a waiting
 * thread sleeps" checks that must hold under load; lab_thread_cpu() where
 * the file cannot be read. */
double lab_thread_busy(void);
/* Whether a call waits, or has not run yet. A check that holds one thread
 * still (lab_hold_thread, below) and asks a second to make a call that may
 * have to wait for the held one must tell "it waits" (asleep, or spinning)
 * from "it has not had a CPU yet" on a busy machine, or it releases the
 * held thread too soon and takes the round for one that waited.
 * lab_tid(): the calling thread's kernel id; the asked thread publishes it.
 * lab_await_answer(): after asking that thread for round `round`, returns
 * 1 once *answered reaches `round`; 0 once the thread has provably waited
 * in its call: *calling reached `round` (the thread sets it just before the
 * call) at least `wait` seconds ago, and the thread is asleep (state S or
 * D in /proc/self/task/T/stat) or has run on a CPU for 5 ms since (a spin,
 * or retries); -1 after `most` seconds without either (a machine too busy
 * to tell: the round proves nothing). Without /proc, `wait` seconds after
 * *calling reached the round count as a wait. Loads are relaxed: the driver
 * orders nothing between the two threads (a ThreadSanitizer check relies on
 * it). */
pid_t lab_tid(void);
/* lab_task_state(tid): the state letter of thread `tid` of this process
 * (R, S, D, ...; /proc/self/task/T/stat), or '\0' when it cannot be read
 * (no /proc, or the thread has ended). */
char lab_task_state(pid_t tid);
/* lab_interrupts_install: SIGUSR2 as a program that handles signals has
 * it: `handler` (NULL: one that does nothing) installed by sigaction()
 * without SA_RESTART (its default), so that a blocking call it interrupts
 * returns EINTR (a sem_wait() does whatever the flags). The handler that
 * was installed goes into *old unless `old` is NULL. Fails the check when
 * it cannot. */
struct sigaction;
void lab_interrupts_install(void (*handler)(int), struct sigaction *old);
/* lab_cap_address_space(): for a forked copy of the driver that must find
 * no address space left: grows its stack by 256 KiB first (so that an
 * abort's message and handler do not meet the cap), then caps RLIMIT_AS at
 * what the process has mapped now (/proc/self/statm). 0, or -1 when it
 * cannot. Only in a copy that ends with _exit() and starts no thread. */
int lab_cap_address_space(void);
int lab_await_answer(pid_t tid, _Atomic int *calling, _Atomic int *answered, int round, double wait, double most);
/* lab_busy_reads: reads of an object whose lock is busy, for a
 * ThreadSanitizer check. Checks that take turns never let a reader meet a
 * held lock (one call at a time), so a read that goes without the lock
 * only when the lock is busy (a trylock that gives up) would pass them.
 * One thread calls write(obj) in a loop; the driver holds it still
 * (lab_hold_thread) at whatever point it has reached, often inside the
 * write's critical section (TSan hands a signal over as an intercepted
 * call returns, such as the lock's), and meanwhile a second thread calls
 * read(obj). Held outside, the read is answered at once; inside, it waits,
 * or, if it gave up and read anyway, races with the held write: TSan
 * reports it. Questions and answers go through relaxed atomics, which TSan
 * does not count as synchronisation. Three reads that provably waited
 * (lab_await_answer, 0.05 s) are enough; a design that never waits gets
 * 200 reads, or a quarter of the check's time. Returns how many writes
 * were made, for the caller to compare with the object once joined. Uses
 * lab_hold_install(1.0). */
long lab_busy_reads(void (*write)(void *), void (*read)(void *), void *obj);
/* lab_others_asleep: waits until every other thread of the process is
 * asleep (state S or D in /proc/self/task/T/stat) in 5 samples in a row,
 * 1 ms apart, or `most` seconds have gone; 1 if they were, 0 if not. For a
 * check that must wake sleepers: a wake-up lost by a wrong design (a
 * signal for a broadcast) then loses the same sleepers every run, instead
 * of only when the threads happened to be asleep already. Only as a
 * precondition: a verdict never rests on it. */
int lab_others_asleep(double most);
/* lab_thread_count: how many threads this process has now (the entries of
 * /proc/self/task), or -1 without /proc. For "a pool of N keeps its N
 * threads": counted once every thread sleeps (lab_others_asleep), a thread
 * that has ended is gone from it. */
int lab_thread_count(void);
/* lab_open_fds: how many descriptors this process has open now (the
 * entries of /proc/self/fd, less the one reading it). Counted before and
 * after a call that must leave none behind; the driver opens none of its
 * own in between. Fails the check without /proc. */
int lab_open_fds(void);

/* A fork that fails, for any user. "Returns -1 when a fork fails, and
 * leaves nothing behind" can only be checked if a fork fails, and root is
 * not held by RLIMIT_NPROC. lab_fork_fail_start() starts a judge, a helper
 * process, then puts a seccomp filter on this process that hands every
 * process it creates (fork, vfork, clone without CLONE_THREAD) to the judge
 * (SECCOMP_RET_USER_NOTIF): the judge lets all through but the nth, which
 * gets EAGAIN, as at the process limit. Threads (clone3, clone with
 * CLONE_THREAD) pass uncounted. A filter cannot be taken off again, so
 * this is the last thing a check does before its verdict; kill and reap
 * the judge (its pid is returned) when done. Returns -1, with why in
 * `why`, where it cannot be done (no seccomp user notification here, or an
 * architecture other than x86-64 and aarch64). */
pid_t lab_fork_fail_start(int nth, char *why, size_t len);

/* Holding a sleeping thread still. Some orders must be made, not hoped for
 * ("close() and then get() both happen before the woken producer looks
 * again"). A thread seen asleep in the implementation's wait (so holding
 * none of its locks) is sent SIGUSR1 by lab_hold_thread(), whose handler
 * naps until lab_hold_release(): meanwhile that thread cannot look at
 * anything, whatever the scheduler does, and its wait then goes on
 * (SA_RESTART) with whatever wake-ups came meanwhile. A hold lasts at most
 * `most` seconds (lab_hold_install's), so a design caught napping while it
 * holds its own lock cannot hang the driver's next call;
 * lab_hold_release() returns 0 when a hold ran out before it (the round
 * then proves nothing). lab_hold_install() once per check, before the
 * first hold. Several threads may be held at once ("two consumers still
 * while two puts run in a row"): each lab_hold_thread() returns once its
 * thread naps, and lab_hold_release() lets all of them go. */
void lab_hold_install(double most);
void lab_hold_thread(pthread_t t);
int lab_hold_release(void);

/* ---- threads -----------------------------------------------------------
 * Starts n threads that all wait at one gate and are released together, so
 * they really overlap; returns when every one has finished. */
typedef struct {
    int index; /* 0 .. count-1 */
    int count;
    void *arg;
} lab_worker_t;
void lab_threads_run(int n, void (*fn)(const lab_worker_t *w), void *arg);

/* ---- turns, for ThreadSanitizer scenarios ---------------------------------
 * TSan reports two accesses that no synchronization orders. On a busy
 * machine threads often run one after another, each for a whole time slice,
 * and the submission's correct locks then order nearly everything it does:
 * the one access it left unlocked is ordered too, and goes unseen. A
 * turnstile makes n threads take turns, one operation per turn, round robin,
 * whatever the scheduler does. It hands turns over through relaxed atomics
 * only, which TSan does not count as synchronization, so what the submission
 * leaves unordered stays unordered in TSan's eyes. A thread waits for its
 * turn with sched_yield(). The turnstile ends (lab_turn_take returns 0 to
 * everyone) once `fraction` of the check's time has gone.
 *
 *   for (i = 0; i < ops && lab_turn_take(t, me); i++) {
 *       one_operation();
 *       lab_turn_give(t, me);
 *   }
 *   lab_turn_leave(t, me);   (always, when it takes no more turns)
 *
 * An operation must not wait for another thread's operation (no thread
 * moves while one has the turn). */
typedef struct lab_turns lab_turns_t;
lab_turns_t *lab_turns_new(int n, double fraction);
int lab_turn_take(lab_turns_t *t, int who); /* 1: who has the turn; 0: the turnstile ended */
void lab_turn_give(lab_turns_t *t, int who);
void lab_turn_leave(lab_turns_t *t, int who);
long lab_turns_taken(const lab_turns_t *t);
void lab_turns_free(lab_turns_t *t);

/* A small deterministic generator for drivers (splitmix64). */
uint64_t lab_rand_next(uint64_t *state);
uint64_t lab_seed_for(int stream); /* the run's seed mixed with a stream number */

#endif
