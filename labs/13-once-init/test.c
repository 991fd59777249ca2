/* Lab 13, once-init: the torture driver. One check per run. Each round
 * starts from config_reset_for_test() and releases its threads together at
 * the first config_get(), with random pauses inside the slow build; before
 * the rounds, one build is stepped and every moment of its publication is
 * looked at by a caller (see "every moment of the publication"). `single`
 * counts the implementation's lock calls after the first call (in the
 * calling thread and in threads started after it), resets twice in a row
 * (in a copy of the driver), steps one
 * such call with a copy of the program per instruction (a caller it holds
 * up is a lock, of whatever kind), and steps one reset, watching its frees.
 *
 *   $ build/labs/13-once-init/broken/test fully-built
 *   FAIL: thread 1 gets a fully built config / name is '', not 'locklab': it was handed the object while it was being built (check fully-built, seed 780849487)
 *   $ build/labs/13-once-init/fixed/test builds-once
 *   ok: builds-once: 50 rounds of 8 threads racing the first call: one build and one object each round; and one build stepped: 828 instructions after config_fill(), a caller in a copy of the program after each of the 27 of your code (6 blocked or spun)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "lab.h"

/* Several threads may catch a half-built object at once: the first one
 * reports it and ends the process, the rest wait for that, so the check
 * prints one FAIL line. */
static atomic_int failing;
#define FAIL_ONCE(...)                                                         \
    do {                                                                       \
        if (atomic_exchange(&failing, 1))                                      \
            for (;;)                                                           \
                pause();                                                       \
        lab_fail(__VA_ARGS__);                                                 \
    } while (0)

static config_t want; /* what a complete build holds, made by the driver itself */

/* Builds, counted by the driver: config_fill() reports each call here, so a
 * submission that builds twice cannot hide it behind its own count. */
static atomic_long fills;
/* While slow_gate is set, the build is held inside config_fill() (see
 * slow_build()), and slow_tid names the thread holding it. */
static atomic_int slow_gate, slow_tid;
void config_fill_seen(void) {
    atomic_fetch_add(&fills, 1);
    if (atomic_load(&slow_gate)) {
        atomic_store(&slow_tid, (int)lab_tid());
        while (atomic_load(&slow_gate))
            nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
}

static void want_init(void) {
    memset(&want, 0, sizeof want);
    lab_pause_mode_t mode = lab_pause_mode;
    lab_pause_mode = LAB_PAUSE_OFF;
    config_fill(&want);
    lab_pause_mode = mode;
    atomic_store(&fills, 0); /* the driver's own build is not the submission's */
}

/* Both counts of builds since the last reset: the driver's and the
 * submission's own; fails unless both are `expected`. */
static void expect_builds(long expected, const char *when) {
    long seen = atomic_load(&fills), told = config_builds();
    if (seen != expected)
        lab_fail("the config is built %ld time(s) %s / config_fill() ran %ld times", expected, when, seen);
    if (told != seen)
        lab_fail("config_builds() says how often the config was built / it says %ld, config_fill() ran %ld times "
                 "%s",
                 told, seen, when);
}

/* config_reset_for_test() frees the old object: the driver's count of the
 * implementation's live allocations must not grow from reset to reset.
 * (-1 in the ThreadSanitizer build, which does not count.) */
static void reset(long round, long *steady) {
    config_reset_for_test();
    atomic_store(&fills, 0);
    long live = lab_impl_live_allocs();
    if (live < 0)
        return;
    if (round == 1)
        *steady = live;
    else if (round > 1 && live != *steady)
        lab_fail("config_reset_for_test() frees the config it forgets / %ld blocks of the implementation were "
                 "live after reset %ld, %ld after reset 1 (a block lost per round)",
                 live, round, *steady);
}

/* Describes the first field of c that is not what a complete build holds,
 * into why; returns 0 when every field is right. */
static int config_wrong(const config_t *c, char *why, size_t len) {
    if (c == NULL)
        return snprintf(why, len, "config_get() returned NULL"), 1;
    if (c->version != want.version)
        return snprintf(why, len, "version is %d, not %d", c->version, want.version), 1;
    if (strncmp(c->name, want.name, sizeof c->name) != 0)
        return snprintf(why, len, "name is '%.15s', not '%s'", c->name, want.name), 1;
    if (c->workers != want.workers)
        return snprintf(why, len, "workers is %d, not %d", c->workers, want.workers), 1;
    for (int i = 0; i < CONFIG_PRIMES; i++)
        if (c->primes[i] != want.primes[i])
            return snprintf(why, len, "primes[%d] is %d, not %d", i, c->primes[i], want.primes[i]), 1;
    if (c->checksum != want.checksum)
        return snprintf(why, len, "checksum is %u, not %u", c->checksum, want.checksum), 1;
    return 0;
}

static const char *stepped_fast_path(const config_t *c);
static const char *stepped_reset(const config_t *c);

/* config.h asks only that no thread be inside config_get() or still use the
 * old object when config_reset_for_test() is called: a second reset right
 * after the first, with no config_get() between (one test's teardown, then
 * the next one's setup), is allowed, and has nothing left to free. It runs
 * in a forked copy of the driver, so that a double free, which glibc ends
 * with SIGABRT, becomes a verdict; the copy also counts the blocks the
 * reset frees itself (a free of a block already freed makes the count drop,
 * whether or not the C library notices) and then asks for the config, which
 * must be built again, once. The calling thread must be the only one. */
static void second_reset(void) {
    long live = lab_impl_live_allocs();
    pid_t pid = fork();
    if (pid < 0)
        lab_fail("a copy of the driver for a second reset / fork failed");
    if (pid == 0) {
        config_reset_for_test();
        long after = lab_impl_live_allocs();
        if (live >= 0 && after < live)
            _exit(3);
        atomic_store(&fills, 0);
        const config_t *c = config_get();
        char why[128];
        if (config_wrong(c, why, sizeof why))
            _exit(4);
        if (atomic_load(&fills) != 1 || config_builds() != 1)
            _exit(5);
        _exit(0);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return;
    char why[128];
    if (!WIFEXITED(status))
        snprintf(why, sizeof why, "the copy was killed by signal %d (a double free, say)", WTERMSIG(status));
    else if (WEXITSTATUS(status) == 3)
        snprintf(why, sizeof why, "it freed a block that was already freed (counted by the driver)");
    else if (WEXITSTATUS(status) == 4)
        snprintf(why, sizeof why, "the config_get() after it returned a config not fully built");
    else if (WEXITSTATUS(status) == 5)
        snprintf(why, sizeof why, "the config_get() after it did not build the config once");
    else
        snprintf(why, sizeof why, "the copy of the driver ended with status %d", WEXITSTATUS(status));
    lab_fail("config_reset_for_test() may be called again before any config_get() (config.h asks only that no "
             "thread be in config_get() or use the old object), and the next call builds once / a second reset "
             "right after the first: %s",
             why);
}

/* "After the first call, no lock" is about the program's first call, not
 * each thread's: threads started after it (a thread per request, a pool
 * that recycles its threads) call config_get() for their first time, and
 * each counts the lock calls of its own call (the driver counts per
 * thread). A cache of the pointer in thread-local storage, filled under
 * a lock, takes one in every new thread. */
enum { LATE_THREADS = 4 };
typedef struct {
    const config_t *got[LATE_THREADS];
    long locks[LATE_THREADS];
} late_t;

static void late_get(const lab_worker_t *w) {
    late_t *l = w->arg;
    long before = lab_impl_lock_calls();
    l->got[w->index] = config_get();
    l->locks[w->index] = before < 0 ? 0 : lab_impl_lock_calls() - before;
}

static void late_threads(const config_t *c) {
    late_t l;
    memset(&l, 0, sizeof l);
    lab_threads_run(LATE_THREADS, late_get, &l);
    for (int t = 0; t < LATE_THREADS; t++) {
        if (l.got[t] != c)
            lab_fail("every thread gets the same object / a thread started after the first call got another");
        if (l.locks[t] != 0)
            lab_fail("no lock after the first call, in any thread (README: \"after the first call, no lock\") / "
                     "a thread started after the first call took %ld lock(s) in its config_get() (counted by the "
                     "driver in that thread)",
                     l.locks[t]);
    }
}

static void check_single(const lab_opts_t *o) {
    (void)o;
    want_init();
    char why[128];
    const config_t *c = config_get();
    if (config_wrong(c, why, sizeof why))
        lab_fail("the first config_get() returns a fully built config / %s", why);
    expect_builds(1, "after the first config_get()");
    const char *fast_note = stepped_fast_path(c);
    /* The fast path: these calls come after the first, so none may take a
     * lock (counted where the lock calls are: not in the ThreadSanitizer
     * build). */
    long locks0 = lab_impl_lock_calls();
    int other = 0;
    for (int i = 0; i < 1000; i++)
        if (config_get() != c && other == 0)
            other = i + 2;
    long locks_taken = locks0 < 0 ? 0 : lab_impl_lock_calls() - locks0;
    if (other != 0)
        lab_fail("every config_get() returns the same object / call %d returned another", other);
    if (locks_taken != 0)
        lab_fail("no lock after the first call (the fast path only loads) / 1000 config_get() calls after the "
                 "first took %ld locks (pthread mutex, rwlock, spin lock or semaphore calls, counted by the driver)",
                 locks_taken);
    expect_builds(1, "after 1001 calls");
    const char *reset_note = stepped_reset(c);
    second_reset();
    atomic_store(&fills, 0);
    LAB_EXPECT_EQ(0, config_builds(), "builds after config_reset_for_test()");
    c = config_get();
    if (config_wrong(c, why, sizeof why))
        lab_fail("config_get() after a reset returns a fully built config / %s", why);
    expect_builds(1, "after a reset and a config_get()");
    if (config_get() != c)
        lab_fail("after a reset, every config_get() returns the same object / the second returned another");
    late_threads(c);
    lab_pass("one thread: built once, complete, the same object every call, no lock after the first (nor in %d "
             "threads started after it); a reset builds it again, a second reset in a row is harmless%s%s",
             LATE_THREADS, fast_note, reset_note);
}

/* ---- every moment of the publication, looked at --------------------------
 * A fast path goes wrong only for a caller that arrives at one precise
 * moment of the publication: after a `ready` flag was stored and before
 * the pointer, say, a window of one instruction that racing threads hit
 * now and then. So builds-once and fully-built also build the config once
 * in one thread that runs everything after config_fill() one instruction
 * at a time (x86's trap flag: a SIGTRAP after each), until its
 * config_get() returns. After every instruction of the implementation's
 * own code (not the C library's, nor the driver's: see impl_code_read), it
 * forks a copy of the process frozen at that moment, in which a new thread calls
 * config_get(). A copy whose caller blocks (on the lock the frozen builder
 * holds, in pthread_once) or spins is ended; one whose caller returns
 * reports what it got. So every state the implementation passes through
 * between the build and the return of its config_get() is seen by a
 * caller, every run. Only where the trap flag is (x86-64), and not in the
 * ThreadSanitizer build. */
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
#define STEPPED 1
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <elf.h>
#include <malloc.h>
#include <poll.h>
#include <ucontext.h>

extern char __executable_start[], etext[]; /* the program's own code (GNU ld) */
static int impl_code_at(uintptr_t pc);
static void on_step(int sig, siginfo_t *si, void *ctx);

typedef struct {
    _Atomic long tid;      /* the caller's thread in the copy */
    atomic_int state;      /* 1: in config_get(), 2: it returned, 3: checked */
    const config_t *got;   /* what it returned */
    char why[160];         /* what was wrong with it, "" if nothing */
} copy_report_t;

/* What is stepped: a build (from the end of config_fill() to the return of
 * its config_get(): copies look at the publication), a call after the
 * first (its fast path: copies look for a caller it holds up), or a reset
 * (no copies: the driver notes the blocks it frees). */
typedef enum { STEP_BUILD, STEP_FAST, STEP_RESET } step_mode_t;

/* A publication longer than this is looked at only in part (said in the
 * pass line): each copy costs a fork, a few ms on a loaded machine. */
enum { TRAP_FLAG = 0x100, MAX_STEPS = 200000, MAX_COPIES = 400 };
static copy_report_t *copy_report; /* shared with the copies (MAP_SHARED) */
static volatile sig_atomic_t step_armed, stepping, in_copy;
static int step_verify;                /* every field, or only not NULL (and the count of builds) */
static step_mode_t step_mode;
static const config_t *step_expect;    /* STEP_FAST: the object every caller must get */
static const config_t *step_watched;   /* STEP_RESET: the config whose block must be freed */
static volatile sig_atomic_t step_freed; /* STEP_RESET: a free() of the block holding step_watched */
static long steps, copies, copies_blocked;
static int step_cut;                   /* stopped before the builder's config_get() returned */
static char step_why[256];             /* the first wrong answer */

static void copy_caller_check(void) {
    const config_t *c = config_get();
    copy_report->got = c;
    atomic_store(&copy_report->state, 2);
    char why[160] = "";
    if (step_verify)
        config_wrong(c, why, sizeof why);
    else if (c == NULL)
        snprintf(why, sizeof why, "config_get() returned NULL");
    if (why[0] == '\0' && step_expect != NULL && c != step_expect)
        snprintf(why, sizeof why, "config_get() returned another object than every call before");
    /* A caller that holds the config asks how often it was built: as often
     * as config_fill() ran, whatever moment of the publication it came in
     * (config.h: "Exactly 1 after any number of config_get() calls"). Not
     * simply 1: in a copy, pthread_once() whose routine the frozen builder
     * is still in starts it again (glibc does so in a forked child), and the
     * copy builds its own. */
    long builds = config_builds(), built = atomic_load(&fills);
    if (why[0] == '\0' && (!step_verify || step_mode == STEP_FAST) && builds != built)
        snprintf(why, sizeof why, "config_builds() says %ld once config_get() has returned the config, built %ld "
                 "time(s) (config_fill() calls)",
                 builds, built);
    memcpy(copy_report->why, why, sizeof why);
    atomic_store(&copy_report->state, 3);
}

static void *copy_caller(void *arg) {
    (void)arg;
    atomic_store(&copy_report->tid, (long)syscall(SYS_gettid));
    atomic_store(&copy_report->state, 1);
    copy_caller_check();
    return NULL;
}

/* The state letter of thread tid of process pid (R, S, D, ...), and its
 * CPU seconds, from /proc; '?' where /proc cannot be read. */
static char task_state(pid_t pid, long tid, double *cpu) {
    char path[96], buf[512];
    snprintf(path, sizeof path, "/proc/%d/task/%ld/schedstat", (int)pid, tid);
    int fd = open(path, O_RDONLY);
    *cpu = 0;
    if (fd >= 0) {
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        buf[n > 0 ? n : 0] = '\0';
        *cpu = strtod(buf, NULL) * 1e-9;
    }
    snprintf(path, sizeof path, "/proc/%d/task/%ld/stat", (int)pid, tid);
    fd = open(path, O_RDONLY);
    if (fd < 0)
        return '?';
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    const char *close_paren = strrchr(buf, ')'); /* the name may hold spaces */
    return close_paren != NULL && close_paren[1] == ' ' ? close_paren[2] : '?';
}

/* The implementation's own code, where the copies are made: the address
 * ranges of the functions in the program's symbol table (/proc/self/exe)
 * that are neither the driver's nor labs/common's. Those (the
 * perturbation's calls in every basic block and memory access, the lock
 * wrappers) change nothing the fast path reads but between instructions of
 * the implementation, so copies made there would only repeat one made
 * next to them. The local symbols of an object follow an STT_FILE symbol
 * naming its source; the driver's and common's global functions are known
 * by name. Where the table cannot be read: every instruction of the
 * program's code. */
typedef struct {
    uintptr_t lo, hi;
} code_range_t;
enum { MAX_RANGES = 512 };
static code_range_t impl_code[MAX_RANGES];
static int impl_ranges = -1; /* -1: not read, 0: unreadable (every pc counts) */

static int driver_global(const char *name) {
    static const char *const prefixes[] = {"lab_", "__tsan_", "__sanitizer_", "pthread_", "sem_", "mtx_"};
    static const char *const names[] = {"main", "config_fill_seen", "config_fill_done"};
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(name, names[i]) == 0)
            return 1;
    return 0;
}

static void *read_at(int fd, off_t at, size_t len) {
    void *p = malloc(len ? len : 1);
    if (p != NULL && pread(fd, p, len, at) != (ssize_t)len) {
        free(p);
        p = NULL;
    }
    return p;
}

static void impl_code_read(void) {
    impl_ranges = 0;
    int fd = open("/proc/self/exe", O_RDONLY);
    if (fd < 0)
        return;
    Elf64_Ehdr eh;
    Elf64_Shdr *sh = NULL;
    Elf64_Sym *sym = NULL;
    char *str = NULL;
    int n = 0;
    if (pread(fd, &eh, sizeof eh, 0) != sizeof eh || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
        eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shentsize != sizeof(Elf64_Shdr))
        goto out;
    sh = read_at(fd, (off_t)eh.e_shoff, (size_t)eh.e_shnum * sizeof *sh);
    if (sh == NULL)
        goto out;
    int symtab = -1;
    for (int i = 0; i < eh.e_shnum; i++)
        if (sh[i].sh_type == SHT_SYMTAB && sh[i].sh_link < eh.e_shnum)
            symtab = i;
    if (symtab < 0)
        goto out;
    size_t nsym = sh[symtab].sh_size / sizeof *sym;
    sym = read_at(fd, (off_t)sh[symtab].sh_offset, nsym * sizeof *sym);
    const Elf64_Shdr *ss = &sh[sh[symtab].sh_link];
    str = read_at(fd, (off_t)ss->sh_offset, ss->sh_size);
    if (sym == NULL || str == NULL || ss->sh_size == 0)
        goto out;
    str[ss->sh_size - 1] = '\0';
    /* The load address: where config_fill_done is against its symbol. */
    uintptr_t base = 0;
    int based = 0;
    for (size_t i = 0; i < nsym; i++)
        if (sym[i].st_name < ss->sh_size && strcmp(str + sym[i].st_name, "config_fill_done") == 0 &&
            ELF64_ST_TYPE(sym[i].st_info) == STT_FUNC) {
            base = (uintptr_t)config_fill_done - (uintptr_t)sym[i].st_value;
            based = 1;
        }
    if (!based)
        goto out;
    /* This file's locals: the group that holds on_step (a submission may
     * be called test.c too). */
    long group = 0, mine = -1;
    for (size_t i = 0; i < nsym; i++) {
        if (ELF64_ST_TYPE(sym[i].st_info) == STT_FILE)
            group++;
        else if (ELF64_ST_TYPE(sym[i].st_info) == STT_FUNC && base + (uintptr_t)sym[i].st_value == (uintptr_t)on_step)
            mine = group;
    }
    int drivers_file = 0;
    group = 0;
    for (size_t i = 0; i < nsym && n < MAX_RANGES; i++) {
        const char *name = sym[i].st_name < ss->sh_size ? str + sym[i].st_name : "";
        int type = ELF64_ST_TYPE(sym[i].st_info), bind = ELF64_ST_BIND(sym[i].st_info);
        if (type == STT_FILE) {
            const char *slash = strrchr(name, '/');
            const char *file = slash != NULL ? slash + 1 : name;
            drivers_file = ++group == mine || strcmp(file, "lab.c") == 0 || strcmp(file, "perturb.c") == 0;
            continue;
        }
        if (type != STT_FUNC || sym[i].st_shndx == SHN_UNDEF || sym[i].st_size == 0)
            continue;
        if (bind == STB_LOCAL ? drivers_file : driver_global(name))
            continue;
        impl_code[n].lo = base + (uintptr_t)sym[i].st_value;
        impl_code[n].hi = impl_code[n].lo + (uintptr_t)sym[i].st_size;
        n++;
    }
    if (n == MAX_RANGES)
        n = 0; /* too many to list: every pc counts */
out:
    free(sh);
    free(sym);
    free(str);
    close(fd);
    impl_ranges = n;
    /* config_get() must be found among them, or the table is not what it seems. */
    if (n > 0 && !impl_code_at((uintptr_t)config_get))
        impl_ranges = 0;
}

static int impl_code_at(uintptr_t pc) {
    if (impl_ranges <= 0)
        return pc >= (uintptr_t)__executable_start && pc < (uintptr_t)etext;
    for (int i = 0; i < impl_ranges; i++)
        if (pc >= impl_code[i].lo && pc < impl_code[i].hi)
            return 1;
    return 0;
}

/* In the stepped thread, between two of its instructions: a copy of the
 * process, frozen here, where a new thread calls config_get(). */
static void look_from_a_copy(void) {
    atomic_store(&copy_report->state, 0);
    atomic_store(&copy_report->tid, 0);
    copy_report->why[0] = '\0';
    pid_t pid = fork();
    if (pid < 0)
        return;
    if (pid == 0) {
        in_copy = 1;
        stepping = 0;
        lab_perturb_on = 0;
        lab_pause_mode = LAB_PAUSE_OFF;
        pthread_t t;
        if (pthread_create(&t, NULL, copy_caller, NULL) == 0)
            pthread_join(t, NULL);
        _exit(0);
    }
    copies++;
    /* Ended once its caller is asleep in 3 looks in a row, 1 ms apart
     * (blocked), has spun for 10 ms of CPU, or after 10 s: none of these is
     * a verdict. A pidfd says at once when the copy is done. */
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    double start = lab_now();
    int asleep = 0, status;
    for (;;) {
        if (pidfd >= 0) {
            struct pollfd pf = {.fd = pidfd, .events = POLLIN};
            if (poll(&pf, 1, 1) > 0 && waitpid(pid, &status, 0) == pid)
                break;
        } else if (waitpid(pid, &status, WNOHANG) == pid) {
            break;
        } else {
            struct timespec ts = {0, 200 * 1000};
            nanosleep(&ts, NULL);
        }
        long tid = atomic_load(&copy_report->tid);
        double cpu = 0;
        char st = atomic_load(&copy_report->state) == 1 && tid != 0 ? task_state(pid, tid, &cpu) : 'R';
        asleep = st == 'S' || st == 'D' ? asleep + 1 : 0;
        if (asleep >= 3 || cpu > 0.01 || lab_now() - start > 10) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            if (pidfd >= 0)
                close(pidfd);
            copies_blocked++;
            /* During a build, a caller may wait for the builder; on the
             * fast path nobody holds anything a caller could wait for. */
            if (step_mode == STEP_FAST) {
                snprintf(step_why, sizeof step_why, "%s", st == 'S' || st == 'D' ? "it blocked" : "it spun");
                stepping = 0;
            }
            return;
        }
    }
    if (pidfd >= 0)
        close(pidfd);
    int state = atomic_load(&copy_report->state);
    if (state == 3 && copy_report->why[0] != '\0')
        snprintf(step_why, sizeof step_why, "%s", copy_report->why);
    else if (state == 2 && WIFSIGNALED(status))
        snprintf(step_why, sizeof step_why, "config_get() returned %p, which its caller could not read (signal %d)",
                 (const void *)copy_report->got, WTERMSIG(status));
    if (step_why[0] != '\0')
        stepping = 0; /* seen: no need to look further */
}

static void on_step(int sig, siginfo_t *si, void *ctx) {
    (void)sig, (void)si;
    ucontext_t *uc = ctx;
    if (stepping && (steps >= MAX_STEPS || copies >= MAX_COPIES || lab_time_spent(0.4))) {
        stepping = 0;
        step_cut = 1;
    }
    if (!stepping || ++steps > MAX_STEPS) {
        uc->uc_mcontext.gregs[REG_EFL] &= ~(greg_t)TRAP_FLAG;
        return;
    }
    const char *pc = (const char *)uc->uc_mcontext.gregs[REG_RIP];
    if (step_mode == STEP_RESET) {
        /* At the first instruction of free() (or of its PLT entry: the
         * address the driver sees for it), the first argument is the block. */
        void *p = (void *)uc->uc_mcontext.gregs[REG_RDI];
        if ((uintptr_t)pc == (uintptr_t)free && p != NULL && (const char *)step_watched >= (const char *)p &&
            (const char *)step_watched < (const char *)p + malloc_usable_size(p))
            step_freed = 1;
    } else if (impl_code_at((uintptr_t)pc)) {
        look_from_a_copy();
    }
    if (!stepping)
        uc->uc_mcontext.gregs[REG_EFL] &= ~(greg_t)TRAP_FLAG;
}
#endif

/* Called by config_fill() as it ends, in the thread that built: there the
 * stepped build starts stepping (the rest of this function, then the
 * implementation's code up to the return of its config_get()). */
#ifdef STEPPED
/* Sets the trap flag: from the next instruction on, each one traps into
 * on_step(). Clear of the red zone below the stack pointer, where the
 * caller may keep what it needs. */
static inline __attribute__((always_inline)) void trap_flag_on(void) {
    __asm__ volatile("lea -128(%%rsp), %%rsp\n\t"
                     "pushfq\n\t"
                     "orq $0x100, (%%rsp)\n\t"
                     "popfq\n\t"
                     "lea 128(%%rsp), %%rsp" ::: "memory", "cc");
}
#endif

void config_fill_done(void) {
#ifdef STEPPED
    if (!step_armed || in_copy)
        return;
    step_armed = 0;
    stepping = 1;
    trap_flag_on();
#endif
}

static char stepped_note[256] = "; no build stepped here (x86-64 and one thread only)";

#ifdef STEPPED
static struct sigaction step_old_action;
static int step_perturb;

/* Before a stepped call: the shared page for the copies' reports, the
 * SIGTRAP handler, the map of the implementation's code, perturbation off
 * (its jitter would only slow the steps). 0 when the process is not one
 * thread (the copies are forked from the stepped one). */
static int step_begin(step_mode_t mode) {
    if (lab_thread_count() > 1)
        return 0;
    copy_report = mmap(NULL, sizeof *copy_report, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (copy_report == MAP_FAILED)
        lab_fail("a shared page for the copies of the stepped call / mmap failed");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_step;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTRAP, &sa, &step_old_action);
    if (impl_ranges < 0)
        impl_code_read();
    step_perturb = lab_perturb_on;
    lab_perturb_on = 0;
    step_mode = mode;
    step_why[0] = '\0';
    steps = copies = copies_blocked = 0;
    step_cut = 0;
    return 1;
}

static void step_end(void) {
    stepping = 0; /* the next instruction's trap clears the flag */
    step_armed = 0;
    __asm__ volatile("nop" ::: "memory");
    lab_perturb_on = step_perturb;
    sigaction(SIGTRAP, &step_old_action, NULL);
    munmap(copy_report, sizeof *copy_report);
}

static const char *ordinal(long n) {
    return n % 10 == 1 && n % 100 != 11   ? "st"
           : n % 10 == 2 && n % 100 != 12 ? "nd"
           : n % 10 == 3 && n % 100 != 13 ? "rd"
                                          : "th";
}
#endif

/* The stepped build (see above), in the calling thread, which must be the
 * only thread of the process (the copies are forked from it). */
static void stepped_build(int verify) {
#ifdef STEPPED
    if (!step_begin(STEP_BUILD)) {
        snprintf(stepped_note, sizeof stepped_note, "; no build stepped: the driver was not alone");
        return;
    }
    config_reset_for_test();
    atomic_store(&fills, 0);
    step_verify = verify;
    step_expect = NULL;
    step_armed = 1;
    const config_t *c = config_get();
    step_end();
    if (step_why[0] != '\0')
        lab_fail("a thread that calls at any moment of the publication gets %s / %s to a thread that called "
                 "while the builder was stopped after config_fill(), at the %ld%s instruction of your code "
                 "after it (seen from a copy of the program frozen there)",
                 verify ? "a fully built config" : "the config, never NULL, and config_builds() then counts its build",
                 step_why, copies, ordinal(copies));
    char why[128];
    if (config_wrong(c, why, sizeof why))
        lab_fail("the thread that builds the config gets it fully built / %s", why);
    expect_builds(1, "after one config_get()");
    snprintf(stepped_note, sizeof stepped_note,
             "; and one build stepped: %ld instructions after config_fill(), a caller in a copy of the program "
             "after each of the %ld of your code (%ld blocked or spun)%s",
             steps, copies, copies_blocked,
             step_cut ? ", then no more: the publication was too long to look at whole" : "");
#else
    (void)verify;
#endif
}

/* A call after the first, stepped: after every instruction of the
 * implementation's code in it, a copy of the program frozen there, where a
 * new thread calls config_get(). The fast path takes no lock, so it holds
 * nothing another caller could wait for: every copy's caller must return,
 * with the same object, at once. A lock of any kind on the fast path (a
 * spin lock made of an atomic_flag too, which the lock count cannot see)
 * is caught here, held by the frozen caller: the copy's caller blocks or
 * spins. Returns a note for the pass line. */
static const char *stepped_fast_path(const config_t *c) {
#ifdef STEPPED
    static char note[160];
    if (!step_begin(STEP_FAST))
        return "; no call stepped: the driver was not alone";
    step_verify = 1;
    step_expect = c;
    stepping = 1;
    trap_flag_on();
    const config_t *got = config_get();
    step_end();
    step_expect = NULL;
    if (step_why[0] != '\0')
        lab_fail("no lock after the first call: no caller waits for another on the fast path / a config_get() "
                 "after the first, stopped at the %ld%s instruction of your code, held up a second caller: %s "
                 "(seen from a copy of the program frozen there, where the second caller called)",
                 copies, ordinal(copies), step_why);
    if (got != c)
        lab_fail("every config_get() returns the same object / the stepped call returned another");
    snprintf(note, sizeof note, "; a call after the first stepped: a second caller after each of its %ld "
             "instructions of your code got the config at once",
             copies);
    return note;
#else
    (void)c;
    return "";
#endif
}

/* config_reset_for_test() stepped, with no copies: at every call of free()
 * in it the driver notes the block, so a reset that keeps the config's
 * block (as a spare for the next build, say) is seen whatever else it
 * allocates or frees. Returns a note for the pass line. */
static const char *stepped_reset(const config_t *c) {
#ifdef STEPPED
    if (!step_begin(STEP_RESET)) {
        config_reset_for_test();
        return "; no reset stepped: the driver was not alone";
    }
    step_watched = c;
    step_freed = 0;
    /* free() itself must run to be seen: the grader's quarantine of freed
     * blocks (lab.h) would keep the block instead, so it is off here. */
    int kept = lab_quarantine;
    lab_quarantine = 0;
    stepping = 1;
    trap_flag_on();
    config_reset_for_test();
    step_end();
    lab_quarantine = kept;
    if (step_cut)
        return "; the reset was too long to watch whole";
    if (!step_freed)
        lab_fail("config_reset_for_test() frees the configuration (config.h: \"forget (and free)\") / the block "
                 "config_get() returned was not passed to free() by the reset (every instruction of it watched)");
    return "; the reset freed the config's block";
#else
    (void)c;
    config_reset_for_test();
    return "";
#endif
}

enum { MAXT = 256 };

typedef struct {
    int verify; /* check every field of what each thread got */
    const config_t *got[MAXT];
    long builds[MAXT]; /* config_builds() as each thread saw it once it had the config */
} round_t;

/* Arrive at a slightly different moment from the others, then ask. */
static void get_config(const lab_worker_t *w) {
    round_t *r = w->arg;
    lab_pause();
    const config_t *c = config_get();
    if (r->verify) {
        char why[128];
        if (config_wrong(c, why, sizeof why))
            FAIL_ONCE("thread %d gets a fully built config / %s%s", w->index, why,
                      c != NULL && c->checksum == 0 ? ": it was handed the object while it was being built" : "");
    }
    r->got[w->index] = c;
    r->builds[w->index] = config_builds();
}

static void run_rounds(const lab_opts_t *o, int verify, int *threads, long *rounds) {
    int n = lab_opt_threads(o, 8);
    long k = lab_opt_iters(o, 50);
    if (n > MAXT)
        lab_fail("at most %d threads / asked for %d", MAXT, n);
    want_init();
    stepped_build(verify);
    long steady = 0;
    for (long i = 0; i < k; i++) {
        round_t r = {.verify = verify};
        reset(i, &steady);
        lab_threads_run(n, get_config, &r);
        char when[96];
        snprintf(when, sizeof when, "in round %ld, by %d threads racing the first call", i, n);
        expect_builds(1, when);
        for (int t = 0; t < n; t++)
            if (r.got[t] == NULL)
                lab_fail("config_get() never returns NULL / round %ld: thread %d got NULL", i, t);
        for (int t = 0; t < n && !verify; t++)
            if (r.builds[t] != 1)
                lab_fail("config_builds() is exactly 1 after any number of config_get() calls / round %ld: thread "
                         "%d had its config and config_builds() said %ld",
                         i, t, r.builds[t]);
        for (int t = 1; t < n; t++)
            if (r.got[t] != r.got[0])
                lab_fail("every thread gets the same object / round %ld: threads 0 and %d got different ones", i,
                         t);
    }
    *threads = n;
    *rounds = k;
}

/* A build that takes long is still the only one: SLOW_CALLERS threads call
 * at once, and the one that builds is held inside config_fill() while the
 * others wait for it. Meanwhile the implementation's clocks read a day
 * behind, and jump two days ahead while a waiting caller waits (lab.h:
 * lab_clocks_shift, lab_clocks_ahead_while): a caller that waits only until
 * a deadline, or for so long by a clock it reads, and then builds the
 * config itself ("the builder must have died") or gives up, does so here. */
enum { SLOW_CALLERS = 4 };

typedef struct {
    atomic_int tid;
    const config_t *got;
} slow_caller_t;

static void *slow_call(void *arg) {
    slow_caller_t *c = arg;
    atomic_store(&c->tid, (int)lab_tid());
    c->got = config_get();
    return NULL;
}

static void slow_build(void) {
    config_reset_for_test();
    atomic_store(&fills, 0);
    lab_clocks_shift(-86400);
    atomic_store(&slow_tid, 0);
    atomic_store(&slow_gate, 1);
    pthread_t t[SLOW_CALLERS];
    slow_caller_t c[SLOW_CALLERS];
    for (int i = 0; i < SLOW_CALLERS; i++) {
        c[i] = (slow_caller_t){.got = NULL};
        lab_thread_create(&t[i], NULL, slow_call, &c[i]);
    }
    double start = lab_now();
    while (atomic_load(&slow_tid) == 0 && lab_now() - start < 10)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    int builder = atomic_load(&slow_tid);
    for (int i = 0; i < SLOW_CALLERS && builder != 0; i++) {
        int tid = 0;
        while (lab_now() - start < 10 && (tid = atomic_load(&c[i].tid)) == 0)
            sched_yield();
        if (tid != builder && tid != 0) {
            (void)lab_others_asleep(0.2); /* the others in their wait, as far as can be seen */
            lab_clocks_ahead_while(tid, 0.1, 0.3);
            break;
        }
    }
    atomic_store(&slow_gate, 0);
    for (int i = 0; i < SLOW_CALLERS; i++)
        lab_thread_join(t[i], NULL);
    lab_clocks_shift(0);
    if (builder == 0)
        lab_fail("the first config_get() builds the config / %d threads called it and none had called "
                 "config_fill() after 10 s",
                 SLOW_CALLERS);
    long seen = atomic_load(&fills);
    if (seen != 1)
        lab_fail("the config is built once, however long the build takes / while one build was held inside "
                 "config_fill(), %d threads waiting, config_fill() ran %ld times (a caller that waits only until "
                 "a deadline, or so long by a clock, and then builds it itself?)",
                 SLOW_CALLERS, seen);
    for (int i = 0; i < SLOW_CALLERS; i++)
        if (c[i].got == NULL || c[i].got != c[0].got)
            lab_fail("every caller gets the one config, however long the build takes / while one build was held "
                     "inside config_fill(), caller %d got %s",
                     i, c[i].got == NULL ? "NULL" : "another object than caller 0");
}

static void check_builds_once(const lab_opts_t *o) {
    int n;
    long k;
    run_rounds(o, 0, &n, &k);
    slow_build();
    lab_pass("%ld rounds of %d threads racing the first call: one build and one object each round; and a build "
             "held while %d callers waited, their clocks jumping: one build%s",
             k, n, SLOW_CALLERS, stepped_note);
}

static void check_fully_built(const lab_opts_t *o) {
    int n;
    long k;
    run_rounds(o, 1, &n, &k);
    lab_pass("%ld rounds of %d threads racing the first call: every thread got a complete config%s", k, n,
             stepped_note);
}

/* For the ThreadSanitizer build. Half of each round's threads race the
 * first call; the other half wait, on a relaxed flag that orders nothing,
 * until one racer has its config, and then call: they take the fast path,
 * where nothing but the implementation's own publication (a release store
 * read by an acquire load, pthread_once, a lock) orders the build before
 * their reads. A plain or relaxed pointer leaves them unordered, and the
 * sanitizer sees the build's writes race with these reads every round. */
typedef struct {
    atomic_int got_one;
} stagger_t;

static void read_config(const lab_worker_t *w) {
    stagger_t *st = w->arg;
    if (w->index % 2 == 1)
        while (!atomic_load_explicit(&st->got_one, memory_order_relaxed))
            sched_yield();
    const config_t *c = config_get();
    atomic_store_explicit(&st->got_one, 1, memory_order_relaxed);
    unsigned sum = (unsigned)c->version + (unsigned)c->workers + c->checksum + (unsigned char)c->name[0];
    for (int i = 0; i < CONFIG_PRIMES; i++)
        sum += (unsigned)c->primes[i];
    __asm__ volatile("" : : "r"(sum));
}

/* config_builds() is for any thread at any time (config.h: how many times
 * a configuration has been built since the program started), also while
 * another thread builds: a watcher asks it through each round, from before
 * the first config_get() to after the last, with nothing of the driver's
 * ordering its reads with the build (its stop flag is relaxed). A count
 * bumped under the lock but read without it races with the build's write,
 * every round. */
typedef struct {
    atomic_int stop;
    long last;
} watcher_t;

static void *watch_builds(void *arg) {
    watcher_t *w = arg;
    do {
        w->last = config_builds();
        sched_yield();
    } while (!atomic_load_explicit(&w->stop, memory_order_relaxed));
    return NULL;
}

static void check_race_free(const lab_opts_t *o) {
    int n = lab_opt_threads(o, 4);
    long k = lab_opt_iters(o, 15);
    if (n < 2)
        lab_fail("--threads for race-free is 2 or more / got %d", n);
    for (long i = 0; i < k; i++) {
        stagger_t st;
        atomic_init(&st.got_one, 0);
        config_reset_for_test();
        watcher_t w = {.last = 0};
        atomic_init(&w.stop, 0);
        pthread_t wt;
        lab_thread_create(&wt, NULL, watch_builds, &w);
        lab_threads_run(n, read_config, &st);
        atomic_store_explicit(&w.stop, 1, memory_order_relaxed);
        lab_thread_join(wt, NULL);
    }
    lab_pass("%ld rounds of %d threads, half racing the first call, half on the fast path, while another asks "
             "config_builds(): no race", k, n);
}

static const lab_check_t checks[] = {
    {"single", "one thread: built once, complete, the same object every call, no lock after the first (one call "
               "stepped, a copy per instruction; and 4 threads started after it); a reset frees it (stepped) and "
               "builds again; a second reset in a row is harmless",
     check_single, LAB_PAUSE_OFF},
    {"builds-once", "50 rounds of 8 threads racing the first call, and a stepped build: one build, one object, "
                    "never NULL, config_builds() right for every caller that has it",
     check_builds_once, LAB_PAUSE_RANDOM},
    {"fully-built", "50 rounds of 8 threads racing the first call, and a stepped build: each caller checks "
                    "every field it got",
     check_fully_built, LAB_PAUSE_RANDOM},
    {"race-free", "threads racing the first call, for the ThreadSanitizer build", check_race_free,
     LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
