/* Lab 10, thread-local: the torture driver. One check per run.
 *
 *   $ build/labs/10-thread-local/broken/test isolation
 *   FAIL: thread 7 reads back its own user 'user-7-0' / it read 'user-4-0', another thread's (check isolation, seed 720874985)
 *   $ build/labs/10-thread-local/fixed/test freed
 *   ok: freed: 48 rounds of 32 threads: 32 sessions live while they ran, 0 after they exited, nothing left allocated
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lab.h"
#include "session.h"

/* Several threads may catch a broken session at once: the first one to
 * fail reports it and ends the process; the rest wait for that, so the
 * check prints one FAIL line. */
static atomic_int failing;
#define FAIL_ONCE(...)                                                         \
    do {                                                                       \
        if (atomic_exchange(&failing, 1))                                      \
            for (;;)                                                           \
                pause();                                                       \
        lab_fail(__VA_ARGS__);                                                 \
    } while (0)

/* Fails unless got is the string want (NULL standing for "no user"). The
 * text is copied first: in a broken session another thread may be
 * rewriting it while it is reported. */
static void expect_str(const char *what, const char *want, const char *got) {
    char seen[SESSION_GREETING_MAX + 2] = "(none)";
    if (got != NULL)
        snprintf(seen, sizeof seen, "'%.*s'", SESSION_GREETING_MAX - 1, got);
    int same = want == NULL ? got == NULL : got != NULL && strcmp(want, got) == 0;
    if (!same)
        FAIL_ONCE("%s is %s%s%s / it is %s", what, want ? "'" : "", want ? want : "(none)", want ? "'" : "",
                 seen);
}

static void check_single(const lab_opts_t *o) {
    (void)o;
    LAB_EXPECT_EQ(0, session_live(), "sessions before any use");
    expect_str("the user before any set", NULL, session_user());
    expect_str("the greeting without a user", "Hello, stranger!", session_greeting());
    LAB_EXPECT_EQ(1, session_live(), "sessions after this thread's first greeting");

    char name[64] = "alice";
    session_set_user(name);
    strcpy(name, "mallory"); /* the session keeps its own copy */
    expect_str("the user after set('alice')", "alice", session_user());
    expect_str("the greeting", "Hello, alice!", session_greeting());
    session_set_user(session_user()); /* set to itself: a no-op */
    expect_str("the user after setting it to itself", "alice", session_user());

    session_set_user("bob");
    const char *g = session_greeting();
    expect_str("the greeting after set('bob')", "Hello, bob!", g);
    expect_str("the same greeting after another call", "Hello, bob!", session_greeting());

    memset(name, 'x', 40);
    name[40] = '\0';
    session_set_user(name);
    name[SESSION_NAME_MAX - 1] = '\0';
    expect_str("a 40-character name, cut to 31", name, session_user());

    /* A name is any string, '%' included: the greeting prints it as it is. */
    static const char *const percent[] = {"100%% sure", "50%off", "%d%x%c"};
    for (size_t i = 0; i < sizeof percent / sizeof percent[0]; i++) {
        char want[SESSION_GREETING_MAX];
        snprintf(want, sizeof want, "Hello, %s!", percent[i]);
        session_set_user(percent[i]);
        expect_str("the user after setting a name with '%'", percent[i], session_user());
        expect_str("the greeting of a name with '%' (printed as it is)", want, session_greeting());
    }

    session_set_user(NULL);
    expect_str("the user after set(NULL)", NULL, session_user());
    expect_str("the greeting after set(NULL)", "Hello, stranger!", session_greeting());
    LAB_EXPECT_EQ(1, session_live(), "sessions of one thread, however often it calls");
    lab_pass("one thread: set, look up, greet (names with %% too), copy, cut, forget; one session");
}

static void *newcomer(void *arg) {
    const char *name = arg;
    expect_str("a new thread's user (it has set none)", NULL, session_user());
    expect_str("a new thread's greeting", "Hello, stranger!", session_greeting());
    session_set_user(name);
    expect_str("the new thread's user after its own set", name, session_user());
    return NULL;
}

/* No race at all: threads one after another. Each starts with no user, and
 * what one sets never shows in another. */
static void check_fresh_thread(const lab_opts_t *o) {
    (void)o;
    session_set_user("main-user");
    char *names[] = {"first-worker", "second-worker"};
    for (int i = 0; i < 2; i++) {
        pthread_t t;
        lab_thread_create(&t, NULL, newcomer, names[i]);
        lab_thread_join(t, NULL);
        expect_str("the main thread's user after a worker set its own", "main-user", session_user());
    }
    expect_str("the main thread's greeting", "Hello, main-user!", session_greeting());
    lab_pass("two threads in turn: each started with no user, none changed another's");
}

typedef struct {
    long rounds;
    int check_values;
    _Atomic long done;
} iso_t;

/* Set a user of one's own, let the others run, then read it back, and the
 * greeting made from it. */
static void set_pause_read(const lab_worker_t *w) {
    iso_t *x = w->arg;
    char mine[SESSION_NAME_MAX], want[SESSION_GREETING_MAX];
    for (long r = 0; r < x->rounds; r++) {
        snprintf(mine, sizeof mine, "user-%d-%ld", w->index, r);
        session_set_user(mine);
        lab_pause();
        const char *u = session_user();
        if (x->check_values && (u == NULL || strcmp(u, mine) != 0)) {
            char seen[SESSION_NAME_MAX] = "(none)";
            if (u != NULL)
                snprintf(seen, sizeof seen, "%s", u);
            FAIL_ONCE("thread %d reads back its own user '%s' / it read '%s', another thread's", w->index, mine,
                     seen);
        }
        snprintf(want, sizeof want, "Hello, %s!", mine);
        const char *g = session_greeting();
        lab_pause();
        if (x->check_values && strcmp(g, want) != 0) {
            char seen[SESSION_GREETING_MAX];
            snprintf(seen, sizeof seen, "%s", g);
            FAIL_ONCE("thread %d's greeting is '%s' / it is '%s'", w->index, want, seen);
        }
        atomic_fetch_add_explicit(&x->done, 1, memory_order_relaxed);
    }
}

static void check_isolation(const lab_opts_t *o) {
    int n = lab_opt_threads(o, 8);
    iso_t x = {.rounds = lab_opt_iters(o, 300), .check_values = 1};
    atomic_init(&x.done, 0);
    lab_threads_run(n, set_pause_read, &x);
    LAB_EXPECT_EQ((long)n * x.rounds, atomic_load(&x.done), "rounds finished");
    lab_pass("%d threads x %ld rounds of set, pause, read back: each saw only its own user and greeting", n,
             x.rounds);
}

typedef struct {
    pthread_barrier_t all_in, all_seen;
    atomic_long live_seen_min, live_seen_max;
    const char *greeting[1024];
} mem_t;

static void barrier_wait(pthread_barrier_t *b) {
    int rc = pthread_barrier_wait(b);
    if (rc != 0 && rc != PTHREAD_BARRIER_SERIAL_THREAD)
        lab_pthread_die(rc, "pthread_barrier_wait(b)", __FILE__, __LINE__);
}

/* Use the session, wait until every thread has, count, wait until every
 * thread has counted, exit. On the way three threads in four set a user,
 * forget it (twice), set two more and replace one with the other, and every
 * other thread ends without a user; the fourth only asks for its greeting,
 * which makes its session too (a session handed to the clean-up only when a
 * user is set is never freed): whatever the session makes, copies or drops
 * on any of those paths must be freed by the time the thread has exited,
 * which the driver counts. */
static void use_and_exit(const lab_worker_t *w) {
    mem_t *m = w->arg;
    char mine[SESSION_NAME_MAX], other[SESSION_NAME_MAX], want[SESSION_GREETING_MAX];
    snprintf(mine, sizeof mine, "user-%d", w->index);
    snprintf(other, sizeof other, "user-%d-again", w->index);
    int only_greets = w->index % 4 == 3, stranger = w->index % 2;
    if (!only_greets) {
        session_set_user(mine);
        session_set_user(NULL); /* forget it: a copy of the name dropped here is a leak */
        session_set_user(NULL);
        session_set_user(other);
        session_set_user(mine); /* replace one name with another */
        if (stranger)
            session_set_user(NULL);
    }
    snprintf(want, sizeof want, "Hello, %s!", stranger ? "stranger" : mine);
    m->greeting[w->index] = session_greeting();
    expect_str(only_greets ? "the greeting of a thread that set no user"
                           : "the greeting after set, set(NULL) twice, set, set",
               want, m->greeting[w->index]);
    barrier_wait(&m->all_in);
    long live = session_live();
    long lo = atomic_load(&m->live_seen_min), hi = atomic_load(&m->live_seen_max);
    while (live < lo && !atomic_compare_exchange_weak(&m->live_seen_min, &lo, live)) {
    }
    while (live > hi && !atomic_compare_exchange_weak(&m->live_seen_max, &hi, live)) {
    }
    barrier_wait(&m->all_seen);
}

/* 48 rounds of 32: 1536 threads in one process, half as many again as
 * PTHREAD_KEYS_MAX (1024 in glibc). A session design that takes a pthread
 * key per thread (for its destructor) and never gives it back runs out of
 * keys about the 1020th thread: every thread must get its session, not the
 * first thousand. */
enum { FREED_ROUNDS = 48 };

/* Many more short-lived threads than cores, made and ended together, with
 * the implementation's own code perturbed (the check's pause mode is
 * random, which turns perturbation on): its first-use and clean-up
 * paths run in many threads at once. Freeing is counted by the driver (the
 * implementation's live allocations, before and after each round), not
 * taken from session_live(); session_live() must agree with what the
 * driver knows: n while the n threads run, 0 once they have exited. */
static void check_freed(const lab_opts_t *o) {
    int n = lab_opt_threads(o, 32);
    long rounds = lab_opt_iters(o, FREED_ROUNDS);
    if (n > 1024)
        lab_fail("at most 1024 threads / asked for %d", n);
    LAB_EXPECT_EQ(0, session_live(), "sessions before any thread used one");
    for (long r = 0; r < rounds; r++) {
        mem_t m;
        memset(&m, 0, sizeof m);
        LAB_PTHREAD(pthread_barrier_init(&m.all_in, NULL, (unsigned)n));
        LAB_PTHREAD(pthread_barrier_init(&m.all_seen, NULL, (unsigned)n));
        atomic_init(&m.live_seen_min, 1L << 40);
        atomic_init(&m.live_seen_max, -1);
        long before = lab_impl_live_allocs();
        lab_threads_run(n, use_and_exit, &m);
        long after_allocs = lab_impl_live_allocs();
        LAB_PTHREAD(pthread_barrier_destroy(&m.all_in));
        LAB_PTHREAD(pthread_barrier_destroy(&m.all_seen));
        long lo = atomic_load(&m.live_seen_min), hi = atomic_load(&m.live_seen_max);
        if (lo != n || hi != n)
            lab_fail("while %d threads each held a session, session_live() is %d / round %ld: it read %ld to %ld",
                     n, n, r, lo, hi);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
                if (m.greeting[i] == m.greeting[j])
                    lab_fail("each thread greets in a buffer of its own / threads %d and %d shared one", j, i);
        if (before >= 0 && after_allocs != before)
            lab_fail("a thread's session, and every name it copied, is freed when it exits / round %ld: %d threads "
                     "set, forgot (set(NULL)) and replaced users, or only greeted, and exited, and %ld blocks the "
                     "implementation allocated are still live (counted by the driver)",
                     r, n, after_allocs - before);
        long after = session_live();
        if (after != 0)
            lab_fail("after its %d threads exited (some only greeted, setting no user), session_live() is 0 / "
                     "round %ld: it is %ld",
                     n, r, after);
    }
    lab_pass("%ld rounds of %d threads: %d sessions live while they ran, 0 after they exited, nothing left "
             "allocated",
             rounds, n, n);
}

/* For the ThreadSanitizer build: threads set, read and greet at once. */
static void check_race_free(const lab_opts_t *o) {
    int n = lab_opt_threads(o, 4);
    iso_t x = {.rounds = lab_opt_iters(o, 1000), .check_values = 0};
    atomic_init(&x.done, 0);
    lab_threads_run(n, set_pause_read, &x);
    LAB_EXPECT_EQ((long)n * x.rounds, atomic_load(&x.done), "rounds finished");
    lab_pass("%d threads x %ld rounds of set, read, greet: no race", n, x.rounds);
}

static const lab_check_t checks[] = {
    {"single", "one thread: set, look up, greet (names with %), copy, cut, forget; one session", check_single,
     LAB_PAUSE_OFF},
    {"fresh-thread", "each new thread starts with no user and changes no other's", check_fresh_thread,
     LAB_PAUSE_OFF},
    {"isolation", "8 threads x 300 rounds of set, pause, read back: each sees only its own", check_isolation,
     LAB_PAUSE_RANDOM},
    {"freed", "48 rounds of 32 threads (1536, more than the 1024 pthread keys): a session each, set and forget or "
     "only greet, all freed at exit", check_freed,
     LAB_PAUSE_RANDOM},
    {"race-free", "threads set, read and greet at once, for the ThreadSanitizer build", check_race_free,
     LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
