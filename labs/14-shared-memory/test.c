/* Lab 14, shared memory: the torture driver. One check per run.
 *
 * The process checks fork their workers from the driver's main thread
 * before any other thread exists (ThreadSanitizer gives up after a fork
 * from a threaded process, and a fork copies only the calling thread), and
 * prove correctness by exact counts; only the fork check's last child is
 * forked while a thread of the driver is inside update() on purpose (that
 * check does not run under ThreadSanitizer). A worker process dies with the driver
 * (PR_SET_PDEATHSIG), so a failed or timed-out check leaves none behind.
 * Workers that stop making progress while all of them sleep are reported
 * one second later with a named reason, never waited out.
 *
 *   $ build/labs/14-shared-memory/broken/test processes
 *   FAIL: 5 processes x 1000 adds == 5000 / got 1000: 4000 lost (check processes, seed 756034574)
 *   $ build/labs/14-shared-memory/fixed/test holder-killed
 *   ok: holder-killed: a process died holding the value's lock; the 4 waiting for it all finished, 4100 == 100 + 4 x 1000; then 4 x 1000 concurrent adds, none lost; after three more deaths, add(), update() and get() each locked first and went on; a process killed asleep inside add() lost no add that returned
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "shmvalue.h"

static void sleep_us(long us) {
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* update(+1) that notes what its fn computed, for "update() returns what
 * it stored": fn may run more than once (a retry), and what is stored is
 * one of its results, so the return must be one of them. */
enum { MAX_NOTED = 16 };
typedef struct {
    long results[MAX_NOTED]; /* the last MAX_NOTED results */
    long calls;
} noted_t;

static long plus_one_noted(long old, void *arg) {
    noted_t *nt = arg;
    nt->results[nt->calls++ % MAX_NOTED] = old + 1;
    return old + 1;
}

/* 1 when r is one of the results fn computed in this update; else writes
 * what happened into why. */
static int update_returned_stored(long r, const noted_t *nt, char *why, size_t len) {
    long n = nt->calls < MAX_NOTED ? nt->calls : MAX_NOTED;
    for (long i = 0; i < n; i++)
        if (nt->results[i] == r)
            return 1;
    if (nt->calls == 0)
        snprintf(why, len, "update(+1) returned %ld, and its fn was never called", r);
    else
        snprintf(why, len,
                 "update(+1) returned %ld, but it stored %ld (its fn's result%s): another change came between "
                 "its store and its return",
                 r, nt->results[(nt->calls - 1) % MAX_NOTED], nt->calls > 1 ? ", last of its retries" : "");
    return 0;
}

static long plus_hundred(long old, void *arg) {
    (void)arg;
    return old + 100;
}

static long times_three(long old, void *arg) {
    (void)arg;
    return old * 3;
}

/* ---- worker processes -------------------------------------------------------
 * The driver's own bookkeeping lives in a shared page of its own (the
 * board), so it never leans on the code under test. */
typedef struct {
    _Atomic long progress; /* adds finished, by every worker process */
    atomic_int started;    /* holder-killed: waiters that are running */
    atomic_int holding;    /* holder-killed: the doomed process is inside its update */
    atomic_int die;        /* holder-killed: the driver says "die now" */
    atomic_int update_bad; /* a worker's update() returned what it did not store... */
    char update_why[200];  /* ...and what happened (written by the first one) */
    long rets[2];          /* processes: what the two updates of 2x + 1 returned */
} board_t;

static void *map_shared(size_t len) {
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        lab_fail("mmap of %zu shared bytes works / %s", len, strerror(errno));
    memset(p, 0, len);
    return p;
}

static void unmap(void *p, size_t len) {
    if (munmap(p, len) != 0)
        lab_fail("munmap works / %s", strerror(errno));
}

enum { MAXPROC = 64 };

/* How a worker process says what went wrong: its exit status. */
enum {
    EXIT_ORPHAN = 70,   /* the driver was gone before the worker began */
    EXIT_OVERSHOT = 71, /* a waiter saw the value pass the one it waited for */
    EXIT_NO_DIE = 72,   /* the doomed process was never told to die */
    EXIT_LIVED = 73,    /* the doomed process came back from its update */
    EXIT_NOT_SEEN = 74, /* a child did not see what its parent stored */
    EXIT_UPDATE_RET = 75, /* update() returned a value its fn did not compute */
    EXIT_WRONG = 76,      /* the first call after a death saw a wrong value */
    EXIT_NOT_OWN = 79,    /* a child's value made after the fork changed by more than its adds */
};

typedef struct {
    pid_t pid;
    int status; /* from waitpid, once reaped */
    int reaped;
    int want_sig; /* 0: must exit 0; else must die of this signal */
    const char *role;
    const char *expect; /* what it must do, for the verdict; NULL: "every <role> process finishes" */
} child_t;

typedef struct {
    child_t c[MAXPROC];
    int n;
    int gate[2]; /* children wait for EOF on gate[0]: the parent closing gate[1] */
} crew_t;

static pid_t driver_pid;

static void crew_init(crew_t *cr, int gated) {
    memset(cr, 0, sizeof *cr);
    cr->gate[0] = cr->gate[1] = -1;
    driver_pid = getpid();
    if (gated && pipe(cr->gate) != 0)
        lab_fail("pipe works / %s", strerror(errno));
}

/* Forks a worker that runs fn(index, arg) and exits 0. */
static void crew_spawn(crew_t *cr, const char *role, int want_sig, void (*fn)(int, void *), int index,
                       void *arg) {
    if (cr->n == MAXPROC)
        lab_fail("at most %d worker processes / asked for more", MAXPROC);
    fflush(NULL); /* nothing buffered may be printed twice */
    pid_t pid = fork();
    if (pid < 0)
        lab_fail("fork works / %s", strerror(errno));
    if (pid == 0) {
        /* Die with the driver, whatever ends it (a failed check, its
         * watchdog, the grader's timeout): no worker outlives a check. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != driver_pid)
            _exit(EXIT_ORPHAN);
        if (cr->gate[0] >= 0) {
            char byte;
            close(cr->gate[1]);
            while (read(cr->gate[0], &byte, 1) < 0 && errno == EINTR) {
            }
            close(cr->gate[0]);
        }
        fn(index, arg);
        _exit(0);
    }
    cr->c[cr->n++] = (child_t){.pid = pid, .want_sig = want_sig, .role = role};
}

/* Opens the gate: every gated worker starts at once. */
static void crew_release(crew_t *cr) {
    if (cr->gate[1] >= 0) {
        close(cr->gate[1]);
        close(cr->gate[0]);
        cr->gate[0] = cr->gate[1] = -1;
    }
}

/* Reaps whatever has ended, without waiting. Returns how many are left. */
static int crew_reap(crew_t *cr) {
    for (;;) {
        int st;
        pid_t pid = waitpid(-1, &st, WNOHANG);
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid < 0 && errno != ECHILD)
            lab_fail("waitpid works / %s", strerror(errno));
        if (pid <= 0)
            break;
        for (int i = 0; i < cr->n; i++)
            if (cr->c[i].pid == pid) {
                cr->c[i].status = st;
                cr->c[i].reaped = 1;
            }
    }
    int left = 0;
    for (int i = 0; i < cr->n; i++)
        left += !cr->c[i].reaped;
    return left;
}

/* 1 when no worker still running is on a CPU or waiting for one (state R
 * in /proc): all of them sleep, so nobody will change anything. */
static int crew_asleep(const crew_t *cr) {
    for (int i = 0; i < cr->n; i++) {
        if (cr->c[i].reaped)
            continue;
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/%d/stat", (int)cr->c[i].pid);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue; /* just ended */
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        const char *close = strrchr(buf, ')');
        if (close != NULL && close[1] == ' ' && close[2] == 'R')
            return 0;
    }
    return 1;
}

static void crew_kill(crew_t *cr) {
    for (int i = 0; i < cr->n; i++)
        if (!cr->c[i].reaped && kill(cr->c[i].pid, SIGKILL) == 0) {
            while (waitpid(cr->c[i].pid, NULL, 0) < 0 && errno == EINTR) {
            }
            cr->c[i].reaped = 1;
        }
}

static void describe(int st, const board_t *b, char *buf, size_t len) {
    if (WIFSIGNALED(st)) {
        snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
        return;
    }
    const char *why = "";
    switch (WEXITSTATUS(st)) {
    case EXIT_ORPHAN: why = ": the driver was gone"; break;
    case EXIT_OVERSHOT: why = ": the value went past the one it was waiting for"; break;
    case EXIT_NO_DIE: why = ": it was never told to die"; break;
    case EXIT_LIVED: why = ": its update() returned, so fn was never called"; break;
    case EXIT_NOT_SEEN: why = ": it did not see the value its parent stored"; break;
    case EXIT_UPDATE_RET: why = ": its update() returned a value it did not store"; break;
    case EXIT_WRONG: why = ": it saw another value than the one the dead holder left"; break;
    case EXIT_NOT_OWN: why = ": its value was not 1100 (another value shares its place?)"; break;
    }
    if (WEXITSTATUS(st) == EXIT_UPDATE_RET && b != NULL && b->update_why[0] != '\0') {
        snprintf(buf, len, "exited with status %d: %s", WEXITSTATUS(st), b->update_why);
        return;
    }
    snprintf(buf, len, "exited with status %d%s", WEXITSTATUS(st), why);
}

/* Waits for every worker while watching board->progress. Progress that has
 * stopped for `stall` s while every worker sleeps (a lock nobody will ever
 * hand on), or for 5 x `stall` s whatever they do, kills them and fails
 * the check with `reason`. Then each worker must have ended as its role
 * says. */
static void crew_wait(crew_t *cr, board_t *b, double stall, const char *reason) {
    long last = atomic_load(&b->progress);
    double since = lab_now();
    while (crew_reap(cr) > 0) {
        long now = atomic_load(&b->progress);
        if (now != last) {
            last = now;
            since = lab_now();
        } else {
            double idle = lab_now() - since;
            if ((idle >= stall && crew_asleep(cr)) || idle >= 5 * stall) {
                crew_kill(cr);
                lab_fail("%s / no add finished for %.1f s (progress stopped at %ld)", reason, idle, now);
            }
        }
        sleep_us(2000);
    }
    if (b != NULL && atomic_load(&b->update_bad))
        lab_fail("update() returns what it stored, while other processes add / %s", b->update_why);
    for (int i = 0; i < cr->n; i++) {
        int st = cr->c[i].status, sig = cr->c[i].want_sig;
        int ok = sig ? WIFSIGNALED(st) && WTERMSIG(st) == sig : WIFEXITED(st) && WEXITSTATUS(st) == 0;
        if (!ok) {
            char how[320];
            describe(st, b, how, sizeof how);
            if (sig)
                lab_fail("the %s process dies of signal %d / it %s", cr->c[i].role, sig, how);
            if (cr->c[i].expect != NULL)
                lab_fail("%s / it %s", cr->c[i].expect, how);
            lab_fail("every %s process finishes / one %s", cr->c[i].role, how);
        }
    }
}

static int opt_processes(const lab_opts_t *o, int dflt, int least) {
    int n = lab_opt_threads(o, dflt);
    if (n < least || n > MAXPROC) {
        fprintf(stderr, "test: --threads (processes here) wants %d to %d, not %d\n", least, MAXPROC, n);
        exit(2);
    }
    return n;
}

/* Bytes this process has mapped shared (MAP_SHARED: an 's' in the
 * permissions of /proc/self/maps), or -1 without /proc. */
static long shared_mapped(void) {
    FILE *f = fopen("/proc/self/maps", "r");
    if (f == NULL)
        return -1;
    char line[512];
    long bytes = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned long lo, hi;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && perms[3] == 's')
            bytes += (long)(hi - lo);
    }
    fclose(f);
    return bytes;
}

/* SEQUENTIAL is many times what KEPT_PAGES could hold even packed: a
 * design that puts many values in one page (85 of 48 bytes to 4 KiB) and
 * never unmaps them keeps SEQUENTIAL / 85, some 47 pages, more than the
 * slack; 200 values would stay under it (3 pages). */
enum { CYCLES = 100, SEQUENTIAL = 4000, KEPT_PAGES = 16 };

/* shm_value_destroy() unmaps the value (and frees whatever create()
 * allocated): CYCLES values made and destroyed together, then SEQUENTIAL
 * made and destroyed one after the other, leave no more shared memory
 * mapped than KEPT_PAGES (a design may keep a little for reuse; one that
 * keeps every value keeps a page per value, or per 85 values packed) and
 * none of the implementation's blocks. */
static void expect_unmapped(void) {
    long page = sysconf(_SC_PAGESIZE), mapped = shared_mapped(), live = lab_impl_live_allocs();
    static shm_value_t *vs[CYCLES];
    for (int i = 0; i < CYCLES; i++)
        vs[i] = shm_value_create(i);
    for (int i = 0; i < CYCLES; i++) {
        shm_value_add(vs[i], 1);
        LAB_EXPECT_EQ(i + 1, shm_value_get(vs[i]), "one of 100 values after add(1)");
    }
    for (int i = 0; i < CYCLES; i++)
        shm_value_destroy(vs[i]);
    for (int i = 0; i < SEQUENTIAL; i++) {
        shm_value_t *v = shm_value_create(i);
        shm_value_add(v, 1);
        shm_value_destroy(v);
    }
    long now = shared_mapped(), made = CYCLES + SEQUENTIAL;
    if (mapped >= 0 && now >= 0 && now - mapped > KEPT_PAGES * page)
        lab_fail("shm_value_destroy() unmaps the value / after %ld values made and destroyed, %ld KiB more "
                 "are mapped shared than before (%ld pages: one per %ld values)",
                 made, (now - mapped) / 1024, (now - mapped) / page, made / ((now - mapped) / page));
    lab_expect_freed(live, "4100 shm_value_create() and shm_value_destroy()");
}

/* The value is a long (shmvalue.h: create(long initial), add(long delta),
 * long get()): it keeps every bit past 32, from create, through adds and
 * an update, and across INT_MAX and INT_MIN. An int in the page cuts
 * 5000000000 to 705032704, and INT_MAX + 1 to INT_MIN. */
static void expect_long_values(void) {
    shm_value_t *v = shm_value_create(5000000000L);
    LAB_EXPECT_EQ(5000000000L, shm_value_get(v), "a new value made with 5000000000 (a long past 32 bits)");
    shm_value_add(v, 3000000000L);
    LAB_EXPECT_EQ(8000000000L, shm_value_get(v), "5000000000 after add(3000000000)");
    shm_value_add(v, (long)INT_MAX - 8000000000L);
    LAB_EXPECT_EQ(INT_MAX, shm_value_get(v), "8000000000 after add(INT_MAX - 8000000000)");
    shm_value_add(v, 1);
    LAB_EXPECT_EQ((long)INT_MAX + 1, shm_value_get(v), "INT_MAX after add(1)");
    LAB_EXPECT_EQ(3L * ((long)INT_MAX + 1), shm_value_update(v, times_three, NULL),
                  "what update(x3) of INT_MAX + 1 returns");
    LAB_EXPECT_EQ(3L * ((long)INT_MAX + 1), shm_value_get(v), "INT_MAX + 1 after update(x3)");
    shm_value_add(v, -4L * ((long)INT_MAX + 1) - 1);
    LAB_EXPECT_EQ((long)INT_MIN - 1, shm_value_get(v), "3 x 2^31 after add(-4 x 2^31 - 1)");
    shm_value_destroy(v);
}

/* "Never returns NULL (aborts with a reason instead)": so also when the
 * mapping cannot be made. A copy of the driver caps its own address space
 * at what it has mapped already (as lab 01's create check does), so that
 * no mmap() of a new page can succeed, and calls create(): it must end the
 * copy with SIGABRT, or with a non-zero exit and a message on stderr; not
 * return NULL, and not die of another signal (a mapping checked against
 * NULL instead of MAP_FAILED goes on with (void *)-1 and faults on it). A
 * create that needs no new mapping (a value placed in a page it has
 * already) may return, with a value that works. The
 * copy's stderr comes back through a pipe; its stdout goes nowhere (its
 * watchdog, armed again since alarms do not survive a fork, must not print
 * a FAIL line of its own). Only a single-threaded driver forks it. */
enum { EXIT_CAP_FAILED = 77, EXIT_RETURNED = 78 };

static void no_memory_copy(int err) {
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0)
        dup2(null, 1);
    dup2(err, 2);
    lab_watchdog_arm(20, "create() with no address space left");
    if (lab_cap_address_space() != 0)
        _exit(EXIT_CAP_FAILED);
    void *probe = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (probe != MAP_FAILED)
        _exit(EXIT_CAP_FAILED); /* the cap did not hold: nothing to judge */
    /* A design that places the value in memory it has already mapped may
     * succeed here: then the value it returns must work. */
    shm_value_t *v = shm_value_create(1);
    if (v == NULL)
        _exit(EXIT_RETURNED);
    shm_value_add(v, 1);
    _exit(shm_value_get(v) == 2 ? 0 : EXIT_RETURNED);
}

static const char *expect_abort_no_memory(void) {
    int err[2];
    if (pipe(err) != 0)
        lab_fail("pipe works / %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        lab_fail("fork works / %s", strerror(errno));
    if (pid == 0) {
        close(err[0]);
        no_memory_copy(err[1]);
    }
    close(err[1]);
    size_t said = 0; /* bytes the copy wrote to stderr: its reason */
    for (;;) {
        char buf[256];
        ssize_t n = read(err[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        said += (size_t)n;
    }
    close(err[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            lab_fail("waitpid works / %s", strerror(errno));
    if (WIFEXITED(st) && WEXITSTATUS(st) == EXIT_CAP_FAILED)
        lab_fail("the driver caps the address space of a copy of itself / it could not");
    if (WIFEXITED(st) && WEXITSTATUS(st) == EXIT_RETURNED)
        lab_fail("shm_value_create() never returns NULL (aborts with a reason instead) / when no mmap() could "
                 "succeed (the address space capped with RLIMIT_AS), it returned NULL or a value that did not "
                 "work (1 after add(1) was not 2)");
    if (WIFSIGNALED(st) && WTERMSIG(st) != SIGABRT)
        lab_fail("shm_value_create() aborts with a reason when the mapping fails / it died of signal %d (%s) "
                 "when mmap() could not succeed (the address space capped with RLIMIT_AS): is mmap()'s result "
                 "checked against MAP_FAILED?",
                 WTERMSIG(st), strsignal(WTERMSIG(st)));
    if (WIFEXITED(st) && WEXITSTATUS(st) != 0 && said == 0)
        lab_fail("shm_value_create() aborts with a reason when the mapping fails / it exited with status %d and "
                 "no message when mmap() could not succeed",
                 WEXITSTATUS(st));
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "made a working value without a new mapping" : "aborts";
}

/* ---- checks ----------------------------------------------------------------- */
static void check_single(const lab_opts_t *o) {
    (void)o;
    shm_value_t *v = shm_value_create(5);
    LAB_EXPECT_EQ(5, shm_value_get(v), "a new value made with 5");
    shm_value_add(v, 3);
    LAB_EXPECT_EQ(8, shm_value_get(v), "5 after add(3)");
    shm_value_add(v, -10);
    LAB_EXPECT_EQ(-2, shm_value_get(v), "8 after add(-10)");
    LAB_EXPECT_EQ(-6, shm_value_update(v, times_three, NULL), "what update(x3) of -2 returns");
    LAB_EXPECT_EQ(-6, shm_value_get(v), "-2 after update(x3)");
    shm_value_t *w = shm_value_create(0);
    shm_value_add(w, 1);
    LAB_EXPECT_EQ(1, shm_value_get(w), "a second value after add(1)");
    LAB_EXPECT_EQ(-6, shm_value_get(v), "the first value after an add to the second");
    long n = lab_opt_iters(o, 10000);
    for (long i = 0; i < n; i++)
        shm_value_add(w, 2);
    LAB_EXPECT_EQ(1 + 2 * n, shm_value_get(w), "the second value after many add(2)");
    shm_value_destroy(w);
    shm_value_destroy(v);
    expect_unmapped();
    expect_long_values();
    const char *no_memory = expect_abort_no_memory();
    lab_pass("one process: create, add, update, get; two values stay apart; values past 32 bits kept; %d "
             "destroyed values unmapped; with no address space left, create() %s",
             CYCLES + SEQUENTIAL, no_memory);
}

typedef struct {
    shm_value_t *v;
    board_t *b;
    long iters;  /* adds per worker */
    long before; /* holder-killed: adds the doomed process makes first */
    long expect; /* holder-killed: the value a dead holder left */
} job_t;

static void child_adds(int index, void *arg) {
    (void)index;
    job_t *j = arg;
    shm_value_add(j->v, 5);
    shm_value_update(j->v, plus_hundred, NULL);
}

static void child_looks(int index, void *arg) {
    (void)index;
    job_t *j = arg;
    if (shm_value_get(j->v) != 116)
        _exit(EXIT_NOT_SEEN);
}

/* fn of the held update: the first call (inside the lock, where there is
 * one) says so on the board and waits for the driver's word; a retry (a
 * lock-free design's) returns at once. The check's watchdog ends a wait
 * that never gets its word. */
static long held_plus_one(long old, void *arg) {
    board_t *b = arg;
    if (atomic_fetch_add(&b->holding, 1) == 0)
        while (!atomic_load(&b->die))
            sleep_us(1000);
    return old + 1;
}

static void *held_updater(void *arg) {
    job_t *j = arg;
    shm_value_update(j->v, held_plus_one, j->b);
    return NULL;
}

static void child_adds_ten(int index, void *arg) {
    (void)index;
    job_t *j = arg;
    shm_value_add(j->v, 10);
    atomic_fetch_add_explicit(&j->b->progress, 1, memory_order_relaxed);
}

/* "A process forked after shm_value_create() works on the very same
 * number", and "everything here may be called from any process or thread":
 * also a process forked while another thread of its parent is inside a
 * call. fork() copies only the calling thread, and every private lock in
 * whatever state it is in: a lock of the parent's own memory taken by the
 * thread inside update() (a process-private mutex in front of the shared
 * one, say) is held in the child by a thread that does not exist there,
 * and the child's first call waits for ever. So a thread of the driver
 * holds an update(+1) still inside its fn, the driver forks a child that
 * adds 10, then lets the update finish: the child must finish too (no add
 * for 1 s while it sleeps fails). Whether both changes count is the
 * processes check's business (broken.c, with no lock, loses the child's
 * add here and passes this check, as it must). Last in the check: the
 * only fork of this lab's checks from a process with a thread. */
static void await_flag(crew_t *cr, atomic_int *flag, int want, double seconds, const char *what);

static void fork_while_held(job_t *j) {
    crew_t cr;
    crew_init(&cr, 0);
    atomic_store(&j->b->holding, 0);
    atomic_store(&j->b->die, 0);
    pthread_t t;
    LAB_PTHREAD(pthread_create(&t, NULL, held_updater, j));
    await_flag(&cr, &j->b->holding, 1, 10, "a thread's update() calls its fn");
    crew_spawn(&cr, "forked-while-held", 0, child_adds_ten, 0, j);
    cr.c[0].expect = "a child forked while a thread of its parent is inside update() uses the value once that "
                     "update is over (shmvalue.h: a process forked after create() works on the same number)";
    atomic_store(&j->b->die, 1);
    LAB_PTHREAD(pthread_join(t, NULL));
    crew_wait(&cr, j->b, 1.0,
              "a child forked while a thread of its parent is inside update() uses the value once that update is "
              "over (shmvalue.h: a process forked after create() works on the same number): its add(10) waits "
              "for ever, on a lock the fork copied held");
}

/* "Everything here may be called from any process": create() too, also
 * after a fork, in the child and in the parent; and "two values stay
 * apart". A design that carves values out of a shared page (or reuses
 * destroyed ones) with its bookkeeping in each process's private memory
 * hands the same slot to the child's new value and to the parent's, after
 * the fork as before it: each then changes the other's. So the child makes
 * a value (100), the parent then makes one (7), the child adds 1000 to its
 * own and must see 1100, and the parent's must still be 7. */
static void child_makes_own(int index, void *arg) {
    (void)index;
    job_t *j = arg;
    shm_value_t *x = shm_value_create(100);
    atomic_store(&j->b->holding, 1);
    while (!atomic_load(&j->b->die))
        sleep_us(1000);
    shm_value_add(x, 1000);
    if (shm_value_get(x) != 1100)
        _exit(EXIT_NOT_OWN);
    shm_value_destroy(x);
}

static void values_made_after_fork(job_t *j) {
    atomic_store(&j->b->holding, 0);
    atomic_store(&j->b->die, 0);
    crew_t cr;
    crew_init(&cr, 0);
    crew_spawn(&cr, "making its own value", 0, child_makes_own, 0, j);
    cr.c[0].expect = "a value a child makes after the fork is its own (two values stay apart): 100, then add(1000) "
                     "in the child, after the parent made a value of its own, == 1100";
    await_flag(&cr, &j->b->holding, 1, 5.0, "the child makes its value");
    shm_value_t *y = shm_value_create(7);
    atomic_store(&j->b->die, 1);
    crew_wait(&cr, j->b, 1.0, "a child adding to a value it made after the fork finishes");
    LAB_EXPECT_EQ(7, shm_value_get(y),
                  "a value the parent made after the fork (7), after a child added 1000 to a value the child made "
                  "after the fork (two values stay apart: do they share a slot?)");
    shm_value_add(y, 1);
    LAB_EXPECT_EQ(8, shm_value_get(y), "the parent's value made after the fork, after add(1)");
    shm_value_destroy(y);
}

/* The memory must really be shared: a child's changes reach the parent,
 * and the parent's reach a child; also a child forked while a thread of
 * the parent is inside a call. */
static void check_fork(const lab_opts_t *o) {
    (void)o;
    board_t *b = map_shared(sizeof *b);
    job_t j = {.v = shm_value_create(10), .b = b};
    crew_t cr;
    crew_init(&cr, 0);
    crew_spawn(&cr, "child", 0, child_adds, 0, &j);
    crew_wait(&cr, b, 5.0, "a forked child finishes its add and update");
    LAB_EXPECT_EQ(115, shm_value_get(j.v),
                  "in the parent, 10 after a forked child's add(5) and update(+100)");
    shm_value_add(j.v, 1);
    crew_init(&cr, 0);
    crew_spawn(&cr, "looking", 0, child_looks, 0, &j);
    crew_wait(&cr, b, 5.0, "a forked child finishes its get");
    values_made_after_fork(&j);
    fork_while_held(&j);
    shm_value_destroy(j.v);
    unmap(b, sizeof *b);
    lab_pass("a forked child's add and update reach the parent (115), "
             "the parent's add reaches a child (116); values made after the fork in the child and the parent "
             "stayed apart; a child forked while a thread was inside update() added once it was over");
}

/* In a worker process: update(+1) on v must return what it stored; the
 * first worker that sees otherwise says what on the board and exits. */
static void update_checked(shm_value_t *v, board_t *b) {
    noted_t nt = {.calls = 0};
    long r = shm_value_update(v, plus_one_noted, &nt);
    char why[200];
    if (!update_returned_stored(r, &nt, why, sizeof why)) {
        if (atomic_exchange(&b->update_bad, 1) == 0)
            snprintf(b->update_why, sizeof b->update_why, "%s", why);
        _exit(EXIT_UPDATE_RET);
    }
}

static void adder(int index, void *arg) {
    (void)index;
    job_t *j = arg;
    for (long i = 0; i < j->iters; i++) {
        if (i & 1)
            update_checked(j->v, j->b);
        else
            shm_value_add(j->v, 1);
        atomic_fetch_add_explicit(&j->b->progress, 1, memory_order_relaxed);
    }
}

/* A slow update while another process adds (below). */
static void slow_holder(job_t *j);

/* Two update(2x + 1) at once on a new value (below). */
static void not_an_add(board_t *b);

/* multiprocessing's five processes adding to one Value, with the window
 * between read and write stretched at random. */
static void check_processes(const lab_opts_t *o) {
    int n = opt_processes(o, 5, 1);
    long iters = lab_opt_iters(o, 1000);
    board_t *b = map_shared(sizeof *b);
    job_t j = {.v = shm_value_create(0), .b = b, .iters = iters};
    crew_t cr;
    crew_init(&cr, 1);
    for (int i = 0; i < n; i++)
        crew_spawn(&cr, "adding", 0, adder, i, &j);
    crew_release(&cr);
    crew_wait(&cr, b, 1.0,
              "processes stuck: every one asleep and no add finishing (do the lock's wake-ups reach "
              "other processes? PTHREAD_PROCESS_SHARED)");
    long want = n * iters, got = shm_value_get(j.v);
    if (got != want)
        lab_fail("%d processes x %ld adds == %ld / got %ld: %ld %s", n, iters, want, got,
                 got < want ? want - got : got - want, got < want ? "lost" : "too many");
    /* One step whatever fn takes: a holder that is slow, not dead, keeps
     * the lock. Unstretched, so that only the driver decides how long. */
    lab_pause_mode = LAB_PAUSE_OFF;
    lab_perturb_on = 0;
    slow_holder(&j);
    not_an_add(b);
    shm_value_destroy(j.v);
    unmap(b, sizeof *b);
    lab_pass("%d processes x %ld adds (half of them update(+1)) == %ld; a slow update kept the lock while another "
             "process waited to add; two updates of 2x + 1 at once made 5 into 23",
             n, iters, want);
}

/* fn of the doomed process's update: runs where the value's lock (if it has
 * one) is held, says so, waits for the word, and dies there. Its update
 * never stores anything, so the value keeps exactly the adds made before. */
static long hold_and_die(long old, void *arg) {
    board_t *b = arg;
    atomic_store(&b->holding, 1);
    double t0 = lab_now();
    while (!atomic_load(&b->die)) {
        if (lab_now() - t0 > 20)
            _exit(EXIT_NO_DIE);
        sleep_us(1000);
    }
    raise(SIGKILL);
    return old; /* not reached */
}

static void doomed(int index, void *arg) {
    (void)index;
    job_t *j = arg;
    for (long i = 0; i < j->before; i++) {
        shm_value_add(j->v, 1);
        atomic_fetch_add_explicit(&j->b->progress, 1, memory_order_relaxed);
    }
    shm_value_update(j->v, hold_and_die, j->b);
    _exit(EXIT_LIVED);
}

/* Waiter k adds its share when the value reaches before + k x iters, that
 * is when the waiters before it have added theirs. The turns make the count
 * exact even without a lock (no two waiters ever add at once), so this
 * check is about the lock surviving its holder, not about lost adds. While
 * the doomed process holds the lock, every waiter is stuck in get() or
 * add(), asleep on the lock. */
static void waiter(int index, void *arg) {
    job_t *j = arg;
    long turn = j->before + index * j->iters;
    atomic_fetch_add(&j->b->started, 1);
    for (;;) {
        long now = shm_value_get(j->v);
        if (now == turn)
            break;
        if (now > turn)
            _exit(EXIT_OVERSHOT);
        sleep_us(200);
    }
    for (long i = 0; i < j->iters; i++) {
        shm_value_add(j->v, 1);
        atomic_fetch_add_explicit(&j->b->progress, 1, memory_order_relaxed);
    }
}

/* Polls until *flag >= want, or fails after `seconds`. A worker that ends
 * meanwhile is reaped (and judged later by crew_wait). */
static void await_flag(crew_t *cr, atomic_int *flag, int want, double seconds, const char *what) {
    double t0 = lab_now();
    while (atomic_load(flag) < want) {
        crew_reap(cr);
        if (lab_now() - t0 > seconds) {
            crew_kill(cr);
            lab_fail("%s within %g s / still waiting (%d of %d)", what, seconds, atomic_load(flag), want);
        }
        sleep_us(1000);
    }
}

/* ---- a slow holder, not a dead one --------------------------------------------
 * A lock that passes to a waiter once its holder has kept it "too long"
 * (a lease, a timeout taken for a death) lets two in at once: the slow
 * holder's store then wipes out what the other did meanwhile. The slow
 * update below holds the lock until the driver lets it go, and the driver
 * does so only once an add has finished meanwhile (a lock-free design's
 * adds never wait, and its update then retries), or once the adding
 * process, after SLOW_HOLD s, is seen to wait for good: asleep in a wait
 * that has no time limit, or back to sleep again and again (a design that
 * polls the lock and finds it held each time). A sleep with a time limit
 * (a lease's nanosleep) is waited out, however late its timer fires. */
enum { SLOW_ADDS = 100 };
static const double SLOW_HOLD = 0.5;

/* fn of the slow update: the first call (inside the lock, where there is
 * one) says so and waits for the word; a retry returns at once. */
static long slow_plus_one(long old, void *arg) {
    board_t *b = arg;
    if (atomic_fetch_add(&b->holding, 1) == 0) {
        double t0 = lab_now();
        while (!atomic_load(&b->die)) {
            if (lab_now() - t0 > 30)
                _exit(EXIT_NO_DIE);
            sleep_us(1000);
        }
    }
    return old + 1;
}

static void slow_updater(int index, void *arg) {
    (void)index;
    job_t *j = arg;
    shm_value_update(j->v, slow_plus_one, j->b);
}

static void slow_adder(int index, void *arg) {
    (void)index;
    job_t *j = arg;
    atomic_fetch_add(&j->b->started, 1);
    for (int i = 0; i < SLOW_ADDS; i++) {
        shm_value_add(j->v, 1);
        atomic_fetch_add_explicit(&j->b->progress, 1, memory_order_relaxed);
    }
}

/* What a process is doing, from /proc: its state letter, its context
 * switches so far, and whether it sleeps in a call with a time limit. */
typedef struct {
    char state;
    long switches;
    int timed;
} seen_t;

static int timed_sleep(pid_t pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/syscall", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    long nr = -1;
    unsigned long a[6] = {0};
    if (fgets(line, sizeof line, f) != NULL)
        sscanf(line, "%ld %lx %lx %lx %lx %lx %lx", &nr, &a[0], &a[1], &a[2], &a[3], &a[4], &a[5]);
    fclose(f);
#ifdef SYS_nanosleep
    if (nr == SYS_nanosleep)
        return 1;
#endif
    if (nr == SYS_clock_nanosleep)
        return 1;
    if (nr == SYS_futex) /* a wait with a timeout (its 4th argument) */
        return a[3] != 0;
#ifdef SYS_poll
    if (nr == SYS_poll)
        return (int)a[2] >= 0;
#endif
#ifdef SYS_select
    if (nr == SYS_select)
        return a[4] != 0;
#endif
    if (nr == SYS_ppoll || nr == SYS_pselect6)
        return a[2 + (nr == SYS_pselect6) * 2] != 0;
    return 0;
}

static int look_at(pid_t pid, seen_t *s) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    long n;
    s->state = '?';
    s->switches = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "State:", 6) == 0)
            sscanf(line + 6, " %c", &s->state);
        else if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1 ||
                 sscanf(line, "nonvoluntary_ctxt_switches: %ld", &n) == 1)
            s->switches += n;
    }
    fclose(f);
    s->timed = s->state == 'S' && timed_sleep(pid);
    return 1;
}

/* One update(+1) whose fn keeps the lock while another process adds
 * SLOW_ADDS: nothing may be lost. */
static void slow_holder(job_t *j) {
    board_t *b = j->b;
    atomic_store(&b->holding, 0);
    atomic_store(&b->die, 0);
    atomic_store(&b->started, 0);
    long before = shm_value_get(j->v), p0 = atomic_load(&b->progress);
    crew_t cr;
    crew_init(&cr, 0);
    crew_spawn(&cr, "slow updating", 0, slow_updater, 0, j);
    await_flag(&cr, &b->holding, 1, 5.0, "the slow update gets inside its fn");
    double t0 = lab_now();
    crew_spawn(&cr, "adding while the update is slow", 0, slow_adder, 0, j);
    pid_t adder = cr.c[cr.n - 1].pid;
    await_flag(&cr, &b->started, 1, 5.0, "the adding process starts");
    long mark = -1, last = -1;
    int still = 0;
    const char *why = "it never stopped";
    for (;;) {
        crew_reap(&cr);
        if (atomic_load(&b->progress) != p0) {
            why = "an add finished meanwhile";
            break;
        }
        seen_t s;
        if (lab_now() - t0 >= SLOW_HOLD && look_at(adder, &s)) {
            if (mark < 0)
                mark = s.switches;
            if (s.switches - mark >= 5) {
                why = "the adding process kept waking and sleeping again";
                break;
            }
            still = s.state == 'S' && !s.timed && s.switches == last ? still + 1 : 0;
            last = s.switches;
            if (still >= 3) {
                why = "the adding process waited for the lock, asleep";
                break;
            }
        }
        if (lab_now() - t0 > 20 || cr.c[1].reaped)
            break;
        sleep_us(1000);
    }
    double held = lab_now() - t0;
    atomic_store(&b->die, 1);
    crew_wait(&cr, b, 1.0, "processes stuck after the slow update let go: the lock no longer works");
    long want = before + 1 + SLOW_ADDS, got = shm_value_get(j->v);
    if (got != want)
        lab_fail("a slow holder keeps the lock: update(+1) whose fn took %.1f s (%s), and %d adds from another "
                 "process, on %ld == %ld / got %ld: %ld lost (a holder that is slow is not dead: does the lock "
                 "pass to a waiter after a time?)",
                 held, why, SLOW_ADDS, before, want, got, want - got);
}

/* ---- an update whose fn is not an add ------------------------------------------
 * update() is "one step (no other change comes between reading `old` and
 * storing the result)" for any fn, not only for adds: a design that runs
 * fn outside the lock and then adds the difference it made (fn(old) - old)
 * to whatever the value is by then is right for +1, and wrong as soon as
 * fn is not an add. So two processes update the same new value with
 * x -> 2x + 1, whose every serial order of two gives f(f(5)) = 23: the
 * first one's fn holds (inside the lock, where there is one) until the
 * second's fn has run too (fn outside the lock, or a lock-free design's
 * attempt that will retry), or until the second process is seen waiting
 * for good (asleep in a call with no time limit, or waking and sleeping
 * again five times: polling a held lock). Nothing here depends on when the
 * driver lets go: a difference added on top of the other's store leaves
 * 5 + 6 + 6 = 17, every run. */
static long twice_plus_one_held(long old, void *arg) {
    board_t *b = arg;
    if (atomic_fetch_add(&b->holding, 1) == 0) {
        double t0 = lab_now();
        while (!atomic_load(&b->die)) {
            if (lab_now() - t0 > 30)
                _exit(EXIT_NO_DIE);
            sleep_us(1000);
        }
    }
    return 2 * old + 1;
}

static void twice_plus_one_updater(int index, void *arg) {
    job_t *j = arg;
    if (index == 1)
        atomic_fetch_add(&j->b->started, 1);
    j->b->rets[index] = shm_value_update(j->v, twice_plus_one_held, j->b);
}

static void not_an_add(board_t *b) {
    atomic_store(&b->holding, 0);
    atomic_store(&b->die, 0);
    atomic_store(&b->started, 0);
    job_t j = {.v = shm_value_create(5), .b = b};
    crew_t cr;
    crew_init(&cr, 0);
    crew_spawn(&cr, "updating with 2x + 1 (held)", 0, twice_plus_one_updater, 0, &j);
    await_flag(&cr, &b->holding, 1, 5.0, "the first update(2x + 1) gets inside its fn");
    crew_spawn(&cr, "updating with 2x + 1", 0, twice_plus_one_updater, 1, &j);
    pid_t second = cr.c[1].pid;
    await_flag(&cr, &b->started, 1, 5.0, "the second updating process starts");
    long mark = -1, last = -1;
    int still = 0;
    const char *why = "it never stopped";
    double t0 = lab_now();
    for (;;) {
        crew_reap(&cr);
        if (atomic_load(&b->holding) >= 2) {
            why = "the second update's fn ran meanwhile";
            break;
        }
        seen_t s;
        if (look_at(second, &s)) {
            if (mark < 0)
                mark = s.switches;
            if (s.switches - mark >= 5) {
                why = "the second update kept waking and sleeping again";
                break;
            }
            still = s.state == 'S' && !s.timed && s.switches == last ? still + 1 : 0;
            last = s.switches;
            if (still >= 3) {
                why = "the second update waited for the lock, asleep";
                break;
            }
        }
        if (lab_now() - t0 > 20 || cr.c[1].reaped)
            break;
        sleep_us(1000);
    }
    atomic_store(&b->die, 1);
    crew_wait(&cr, b, 1.0, "processes stuck after the held update(2x + 1) let go");
    long got = shm_value_get(j.v);
    if (got != 23)
        lab_fail("update() is one step for any fn, not only an add: 5, then update(x -> 2x + 1) in two processes at "
                 "once (%s) == 23 in either order / got %ld (is fn run on a value read outside the lock, and its "
                 "difference added afterwards?)",
                 why, got);
    long r0 = b->rets[0], r1 = b->rets[1];
    if (!((r0 == 11 && r1 == 23) || (r0 == 23 && r1 == 11)))
        lab_fail("two update(x -> 2x + 1) of 5 return what they stored, 11 and 23 / they returned %ld and %ld", r0,
                 r1);
    shm_value_destroy(j.v);
}

/* The first call to take the lock after a holder's death (index: 0 add,
 * 1 update, 2 get) is the one that meets EOWNERDEAD: whichever it is, it
 * must take the lock and go on. */
static const char *const first_calls[] = {"add(1)", "update(+1)", "get()"};

static void first_after_death(int index, void *arg) {
    job_t *j = arg;
    if (index == 0) {
        shm_value_add(j->v, 1);
    } else if (index == 1) {
        noted_t nt = {.calls = 0};
        if (shm_value_update(j->v, plus_one_noted, &nt) != j->expect + 1)
            _exit(EXIT_WRONG);
    } else if (shm_value_get(j->v) != j->expect) {
        _exit(EXIT_WRONG);
    }
}

/* A process dies holding the lock (inside update()'s fn); once it is dead,
 * one process makes the first call after the death, first_calls[which]. */
static void death_then(job_t *j, int which) {
    board_t *b = j->b;
    atomic_store(&b->holding, 0);
    atomic_store(&b->die, 0);
    job_t dj = *j;
    dj.before = 0;
    crew_t cr;
    crew_init(&cr, 0);
    crew_spawn(&cr, "doomed", SIGKILL, doomed, 0, &dj);
    await_flag(&cr, &b->holding, 1, 5.0, "the doomed process gets inside its update");
    atomic_store(&b->die, 1);
    crew_wait(&cr, b, 5.0, "the doomed process dies");
    static char expect[3][160], reason[3][160];
    snprintf(expect[which], sizeof expect[which],
             "after a holder's death, the next call to take the lock, %s, takes it (EOWNERDEAD) and goes on",
             first_calls[which]);
    snprintf(reason[which], sizeof reason[which],
             "lock wedged: the holder died, and the %s after it could not take the lock", first_calls[which]);
    crew_init(&cr, 0);
    crew_spawn(&cr, first_calls[which], 0, first_after_death, which, j);
    cr.c[cr.n - 1].expect = expect[which];
    crew_wait(&cr, b, 1.0, reason[which]);
    if (which < 2) /* add(1) and update(+1) */
        j->expect++;
    LAB_EXPECT_EQ(j->expect, shm_value_get(j->v), "the value after a death and the call after it");
}

/* ---- a holder killed inside add() --------------------------------------------
 * The deaths above come inside update()'s fn. Whatever a taker does after
 * EOWNERDEAD, it must not undo adds that returned: a "repair" that rolls
 * the value back to a snapshot that update() takes is harmless after a
 * death inside update(), but after one inside add() it undoes every add
 * since the last update. To die inside add(), a process adds in a loop
 * with the window stretched (lab_pause(), inside the lock in the lab's
 * designs, now and then sleeps); the driver stops it (SIGSTOP), and kills
 * it only if it was stopped asleep in such a sleep, inside its add; else it
 * lets it go on for an add or more and stops it again. The verdict does
 * not depend on where it died: the value must hold every add that
 * returned. */
static int stopped_in_sleep(pid_t pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/syscall", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    long nr = -1;
    if (fgets(line, sizeof line, f) == NULL || sscanf(line, "%ld", &nr) != 1)
        nr = -1;
    fclose(f);
#ifdef SYS_nanosleep
    if (nr == SYS_nanosleep)
        return 1;
#endif
    return nr == SYS_clock_nanosleep;
}

static char proc_state(pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return '?';
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *close = strrchr(buf, ')');
    return close != NULL && close[1] == ' ' ? close[2] : '?';
}

static void adder_until_killed(int index, void *arg) {
    (void)index;
    job_t *j = arg;
    for (;;) {
        shm_value_add(j->v, 1);
        atomic_fetch_add_explicit(&j->b->progress, 1, memory_order_relaxed);
    }
}

/* Stops at most: a process that sleeps in its window is mostly found
 * within a few (it is stopped when seen asleep), so 500 leave a margin of
 * orders of magnitude. One never seen asleep in 50 rounds of looking (a
 * design with no lock, or no window in add()) is killed where it is. */
enum { ADD_DEATH_TRIES = 500 };

/* Returns 1 when the process died asleep inside its add. */
static int killed_in_add(void) {
    board_t *b = map_shared(sizeof *b);
    job_t j = {.v = shm_value_create(0), .b = b};
    noted_t nt = {.calls = 0};
    LAB_EXPECT_EQ(1, shm_value_update(j.v, plus_one_noted, &nt), "update(+1) of a new value made with 0");
    lab_pause_mode = LAB_PAUSE_RANDOM;
    crew_t cr;
    crew_init(&cr, 0);
    crew_spawn(&cr, "adding until killed", SIGKILL, adder_until_killed, 0, &j);
    lab_pause_mode = LAB_PAUSE_OFF;
    pid_t pid = cr.c[0].pid;
    int inside = 0;
    long seen = 0;
    double t0 = lab_now();
    int tries = 0, asleep = 0;
    for (;;) {
        /* Let it finish one more add, so each stop lands somewhere else. */
        while (atomic_load(&b->progress) == seen) {
            if (crew_reap(&cr) == 0)
                crew_wait(&cr, b, 1.0, "the adding process keeps adding");
            if (lab_now() - t0 > 10) {
                crew_kill(&cr);
                lab_fail("a process adding in a loop makes progress / no add finished for 10 s");
            }
            sleep_us(100);
        }
        /* Stop it when it is seen asleep, which it is only in a sleep of
         * its window (it has the value to itself), if it sleeps at all. */
        int look = 0;
        while (look < 200 && proc_state(pid) != 'S')
            look++;
        asleep += look < 200;
        kill(pid, SIGSTOP);
        for (char c; (c = proc_state(pid)) != 'T';) {
            if (c == '?' || c == 'Z')
                crew_wait(&cr, b, 1.0, "the adding process keeps adding");
            sleep_us(100);
        }
        seen = atomic_load(&b->progress);
        tries++;
        inside = stopped_in_sleep(pid);
        /* Stopped, so `done` below is what returned before the death. One
         * never seen asleep while adding is killed where it is. */
        if (inside || tries == ADD_DEATH_TRIES || (tries >= 50 && asleep == 0))
            break;
        kill(pid, SIGCONT);
    }
    long done = atomic_load(&b->progress);
    kill(pid, SIGKILL);
    crew_wait(&cr, b, 1.0, "the adding process dies");
    /* 1, then `done` adds that returned, and perhaps the one in flight. */
    long got = shm_value_get(j.v);
    if (got != 1 + done && got != 2 + done)
        lab_fail("a process killed %s after %ld adds that returned, on a value that update(+1) made 1: the first "
                 "get() after the death == %ld (or %ld, with the add in flight) / got %ld: %ld returned adds undone "
                 "(a repair after EOWNERDEAD may not roll back what was done since some earlier moment)",
                 inside ? "asleep inside its add(), in the stretched window" : "while adding", done, 1 + done,
                 2 + done, got, 1 + done - got);
    shm_value_add(j.v, 1);
    LAB_EXPECT_EQ(got + 1, shm_value_get(j.v), "the value after a death inside add() and one more add");
    shm_value_destroy(j.v);
    unmap(b, sizeof *b);
    return inside;
}

static void check_holder_killed(const lab_opts_t *o) {
    int waiters = opt_processes(o, 5, 2) - 1;
    long iters = lab_opt_iters(o, 1000);
    board_t *b = map_shared(sizeof *b);
    job_t j = {.v = shm_value_create(0), .b = b, .iters = iters, .before = 100};
    crew_t cr;
    crew_init(&cr, 0);
    crew_spawn(&cr, "doomed", SIGKILL, doomed, 0, &j);
    await_flag(&cr, &b->holding, 1, 5.0, "the doomed process gets inside its update");
    for (int k = 0; k < waiters; k++)
        crew_spawn(&cr, "waiting", 0, waiter, k, &j);
    await_flag(&cr, &b->started, waiters, 5.0, "the waiting processes start");
    /* Give the waiters a moment to reach the lock and fall asleep on it
     * (the verdict does not depend on it: a waiter that comes later must
     * get past the dead holder just the same). */
    double t0 = lab_now();
    while (!crew_asleep(&cr) && lab_now() - t0 < 0.3)
        sleep_us(1000);
    atomic_store(&b->die, 1);
    crew_wait(&cr, b, 1.0, "lock wedged: the holder died and nobody could take it");

    long want = j.before + waiters * iters, got = shm_value_get(j.v);
    if (got != want)
        lab_fail("the dead holder's %ld adds and the %d waiters' %ld each == %ld / got %ld", j.before,
                 waiters, iters, want, got);
    shm_value_add(j.v, 1);
    LAB_EXPECT_EQ(want + 1, shm_value_get(j.v), "the value after one more add, in the driver");

    /* The turns above prove the lock can be taken after the death, not
     * that it still excludes anyone: a lock left unusable
     * (ENOTRECOVERABLE) whose errors are ignored lets everybody in. So
     * the same value now takes concurrent adds with the window stretched. */
    lab_pause_mode = LAB_PAUSE_RANDOM;
    lab_perturb_on = 1;
    crew_init(&cr, 1);
    for (int k = 0; k < waiters; k++)
        crew_spawn(&cr, "adding after the death", 0, adder, k, &j);
    crew_release(&cr);
    crew_wait(&cr, b, 1.0, "processes stuck after the holder's death: the lock no longer works");
    long after = want + 1 + waiters * iters;
    got = shm_value_get(j.v);
    if (got != after)
        lab_fail("after the holder's death the lock still excludes: %d processes x %ld concurrent adds "
                 "== %ld / got %ld (is every change made under the lock, and was it marked consistent after "
                 "EOWNERDEAD?)",
                 waiters, iters, after - want - 1, got - want - 1);

    /* Above, the first to lock after the death was a get() (the waiters
     * poll with it). Each call must survive meeting EOWNERDEAD: three more
     * deaths, after which add(), update() and get() in turn lock first. */
    lab_pause_mode = LAB_PAUSE_OFF;
    lab_perturb_on = 0;
    j.expect = after;
    for (int which = 0; which < 3; which++)
        death_then(&j, which);
    shm_value_destroy(j.v);
    unmap(b, sizeof *b);
    int in_add = killed_in_add();
    lab_pass("a process died holding the value's lock; the %d waiting for it all finished, "
             "%ld == %ld + %d x %ld; then %d x %ld concurrent adds, none lost; after three more deaths, "
             "add(), update() and get() each locked first and went on; a process killed %s lost no add that "
             "returned",
             waiters, want, j.before, waiters, iters, waiters, iters,
             in_add ? "asleep inside add()" : "while adding (never seen asleep inside add())");
}

/* ---- threads on the same value ----------------------------------------------- */
typedef struct {
    shm_value_t *v;
    long iters;
    _Atomic long progress;
    atomic_int adders_left;
    long went_back;     /* the reader saw the value go down */
    atomic_int failing; /* a thread is reporting a failure */
} tjob_t;

static void thread_adder(const lab_worker_t *w) {
    tjob_t *t = w->arg;
    for (long i = 0; i < t->iters; i++) {
        if (i & 1) {
            noted_t nt = {.calls = 0};
            long r = shm_value_update(t->v, plus_one_noted, &nt);
            char why[200];
            if (!update_returned_stored(r, &nt, why, sizeof why)) {
                if (atomic_exchange(&t->failing, 1))
                    for (;;)
                        pause(); /* another thread reports it */
                lab_fail("update() returns what it stored, while other threads add / %s", why);
            }
        } else {
            shm_value_add(t->v, 1);
        }
        atomic_fetch_add_explicit(&t->progress, 1, memory_order_relaxed);
    }
}

static void check_threads(const lab_opts_t *o) {
    int n = lab_opt_threads(o, 4);
    long iters = lab_opt_iters(o, 2500);
    tjob_t t = {.v = shm_value_create(0), .iters = iters};
    atomic_init(&t.progress, 0);
    lab_stall_t *s = lab_stall_watch(&t.progress, 1.0, "threads stuck: no add finished in 1 s");
    lab_threads_run(n, thread_adder, &t);
    lab_stall_stop(s);
    long want = n * iters, got = shm_value_get(t.v);
    if (got != want)
        lab_fail("%d threads x %ld adds == %ld / got %ld: %ld %s", n, iters, want, got,
                 got < want ? want - got : got - want, got < want ? "lost" : "too many");
    shm_value_destroy(t.v);
    lab_pass("%d threads x %ld adds (half of them update(+1)) == %ld", n, iters, want);
}

static void adder_or_reader(const lab_worker_t *w) {
    tjob_t *t = w->arg;
    if (w->index > 0) {
        thread_adder(w);
        atomic_fetch_sub(&t->adders_left, 1);
        return;
    }
    long prev = shm_value_get(t->v);
    while (atomic_load(&t->adders_left) > 0) {
        long now = shm_value_get(t->v);
        if (now < prev)
            t->went_back = 1;
        prev = now;
    }
}

/* For the ThreadSanitizer build: two threads add and update while a third
 * reads. */
static void check_race_free(const lab_opts_t *o) {
    long iters = lab_opt_iters(o, 2000);
    tjob_t t = {.v = shm_value_create(0), .iters = iters};
    atomic_init(&t.progress, 0);
    atomic_init(&t.adders_left, 2);
    lab_threads_run(3, adder_or_reader, &t);
    LAB_EXPECT_EQ(2 * iters, shm_value_get(t.v), "2 threads' adds");
    if (t.went_back)
        lab_fail("get() never goes down while others add / it did");
    shm_value_destroy(t.v);
    lab_pass("2 threads add and update while one reads: no race");
}

static const lab_check_t checks[] = {
    {"single", "one process: create, add, update, get; two values stay apart; values past 32 bits; destroy "
               "unmaps; create() aborts when it cannot map",
     check_single,
     LAB_PAUSE_OFF},
    {"fork", "a forked child's changes reach the parent and the parent's reach a child; a child forked while a "
             "thread is inside update() goes on once it is over",
     check_fork,
     LAB_PAUSE_OFF},
    {"processes", "5 processes x 1000 adds with the window stretched: none lost, updates return what they "
                  "stored; a slow holder keeps the lock",
     check_processes,
     LAB_PAUSE_RANDOM},
    {"holder-killed", "a process killed holding the lock: the 4 waiting for it finish, count exact; then add, "
                      "update, get each first after a death; a death inside add() undoes no add",
     check_holder_killed, LAB_PAUSE_OFF},
    {"threads", "4 threads x 2500 adds on the same value with the window stretched: none lost, updates return "
                "what they stored",
     check_threads, LAB_PAUSE_RANDOM},
    {"race-free", "adds, updates and reads from threads, for the ThreadSanitizer build",
     check_race_free, LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
