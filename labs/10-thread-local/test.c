/* Lab 10, thread-local: the torture driver. One check per run.
 *
 *   $ build/labs/10-thread-local/broken/test isolation
 *   FAIL: thread 7 reads back its own user 'user-7-0' / it read 'user-4-0', another thread's (check isolation, seed 720874985)
 *   $ build/labs/10-thread-local/fixed/test freed
 *   ok: freed: 48 rounds of 32 threads: 32 sessions live while they ran (also just after a quarter logged out), 2 after they exited, nothing left allocated; the main thread and one that lived across the rounds kept their users
 */
#include <stdatomic.h>
#include <stdint.h>
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

/* Every block a name copy or a session lives in, bounded: in the grader's
 * build the implementation's malloc, calloc and realloc reach these (the
 * executable's definitions stand in for the C library's, as glibc allows),
 * and while `single` runs they hand out blocks from a pool of the driver's
 * own, each followed by guard bytes up to the next block. A copy that
 * writes one byte past what it allocated (malloc(strlen(name)) and then its
 * NUL) changes a guard byte the driver reads back, whatever the length and
 * wherever the allocator would have put the block: glibc's rounding of
 * sizes hides that byte for every length but a few. Outside `single`, and
 * in the ThreadSanitizer build (whose runtime owns malloc), nothing
 * changes. */
#ifndef __SANITIZE_THREAD__
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);

enum { GUARD_POOL = 1 << 16, GUARD_PAD = 16, GUARD_BYTE = 0xa5 };
typedef struct {
    size_t size, freed;
} guard_hdr_t; /* 16 bytes: the block after it stays 16-aligned */
static _Alignas(16) unsigned char guard_pool[GUARD_POOL];
static atomic_size_t guard_used;
static atomic_int guarding;

static size_t guard_span(size_t n) { return sizeof(guard_hdr_t) + (n + 15) / 16 * 16 + GUARD_PAD; }

static int guard_owns(const void *p) {
    return (const unsigned char *)p >= guard_pool && (const unsigned char *)p < guard_pool + GUARD_POOL;
}

static void *guard_alloc(size_t n) {
    size_t span = guard_span(n), off = atomic_fetch_add(&guard_used, span);
    if (span > GUARD_POOL || off > GUARD_POOL - span)
        return NULL; /* the pool is used up: the C library's block, unguarded */
    guard_hdr_t *h = (guard_hdr_t *)(guard_pool + off);
    h->size = n;
    h->freed = 0;
    unsigned char *b = (unsigned char *)(h + 1);
    memset(b + n, GUARD_BYTE, span - sizeof *h - n);
    return b;
}

void *malloc(size_t n) {
    void *p = atomic_load_explicit(&guarding, memory_order_relaxed) ? guard_alloc(n) : NULL;
    return p != NULL ? p : __libc_malloc(n);
}

void *calloc(size_t n, size_t size) {
    if (!atomic_load_explicit(&guarding, memory_order_relaxed) || (size != 0 && n > SIZE_MAX / size))
        return __libc_calloc(n, size);
    void *p = guard_alloc(n * size);
    return p != NULL ? memset(p, 0, n * size) : __libc_calloc(n, size);
}

void free(void *p) {
    if (guard_owns(p)) {
        /* Never reused, so that its guard can be read back later; filled
         * with '#' and a NUL, as the C library's free() overwrites what it
         * frees, so that a read of a freed name (a copy made after freeing
         * its source) finds no name there. */
        guard_hdr_t *h = (guard_hdr_t *)p - 1;
        if (h->size > 0) {
            memset(p, '#', h->size - 1);
            ((char *)p)[h->size - 1] = '\0';
        }
        h->freed = 1;
    } else
        __libc_free(p);
}

void *realloc(void *p, size_t n) {
    if (!guard_owns(p))
        return __libc_realloc(p, n);
    if (n == 0) {
        free(p);
        return NULL;
    }
    void *q = malloc(n);
    size_t old = ((guard_hdr_t *)p - 1)->size;
    if (q != NULL) {
        memcpy(q, p, old < n ? old : n);
        free(p);
    }
    return q;
}

static void guard_start(void) { atomic_store(&guarding, 1); }
static void guard_stop(void) { atomic_store(&guarding, 0); }

/* Fails if any block handed out since guard_start(), live or freed, has a
 * guard byte changed: something wrote past the end of what it allocated. */
static void guard_check(const char *after) {
    size_t used = atomic_load(&guard_used);
    for (size_t off = 0; off < used && off < GUARD_POOL;) {
        guard_hdr_t *h = (guard_hdr_t *)(guard_pool + off);
        size_t span = guard_span(h->size);
        if (span > GUARD_POOL - off)
            break;
        const unsigned char *b = (const unsigned char *)(h + 1);
        for (size_t i = h->size; i < span - sizeof *h; i++)
            if (b[i] != GUARD_BYTE) {
                guard_stop();
                lab_fail("the session writes only inside the memory it allocated / after %s, byte %zu of a "
                         "%zu-byte block it allocated (%s) was written: %zu past its end (the driver's guard bytes)",
                         after, i, h->size, h->freed ? "freed since" : "still live", i - h->size + 1);
            }
        off += span;
    }
}
#else
static void guard_start(void) {}
static void guard_stop(void) {}
static void guard_check(const char *after) { (void)after; }
#endif

static void check_single(const lab_opts_t *o) {
    (void)o;
    guard_start();
    LAB_EXPECT_EQ(0, session_live(), "sessions before any use");
    expect_str("the user before any set", NULL, session_user());
    expect_str("the greeting without a user", "Hello, stranger!", session_greeting());
    LAB_EXPECT_EQ(1, session_live(), "sessions after this thread's first greeting");

    char name[64] = "alice";
    session_set_user(name);
    guard_check("set_user('alice')");
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
    guard_check("set_user() of a 40-character name");
    name[SESSION_NAME_MAX - 1] = '\0';
    expect_str("a 40-character name, cut to 31", name, session_user());

    /* Every length up to past the cut: a copy sized one byte short of its
     * NUL shows at any length in the driver's guard bytes. */
    for (int len = 1; len <= 40; len++) {
        char what[64];
        memset(name, 'a' + len % 26, (size_t)len);
        name[len] = '\0';
        session_set_user(name);
        snprintf(what, sizeof what, "set_user() of a %d-character name", len);
        guard_check(what);
        if (len >= SESSION_NAME_MAX)
            name[SESSION_NAME_MAX - 1] = '\0';
        expect_str(what, name, session_user());
        /* and its greeting, whole: the longest names (31 characters, and
         * every longer one cut to 31) fill "Hello, <user>!" up to 39
         * characters, which SESSION_GREETING_MAX holds; a buffer sized
         * without the "!" loses it for them only */
        char want[SESSION_GREETING_MAX];
        snprintf(want, sizeof want, "Hello, %.*s!", SESSION_NAME_MAX - 1, name);
        snprintf(what, sizeof what, "the greeting of a %d-character name", len);
        expect_str(what, want, session_greeting());
    }

    /* The user's string stays valid until this thread sets another user:
     * a greeting or a count in between leave it as it was. */
    session_set_user("alice");
    const char *who = session_user();
    expect_str("the greeting after set('alice')", "Hello, alice!", session_greeting());
    expect_str("the user's string kept from session_user(), after a greeting (valid until this thread sets another "
               "user)",
               "alice", who);
    (void)session_live();
    expect_str("the user's string kept from session_user(), after a greeting and a count", "alice", who);

    /* An empty name is a name: only NULL forgets the user. */
    session_set_user("");
    expect_str("the user after set('') (a user named '', not none: only NULL forgets)", "", session_user());
    expect_str("the greeting of the user ''", "Hello, !", session_greeting());

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
    guard_check("set, look up, greet and forget");
    guard_stop();
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
        /* 11 characters or more, never a multiple of 8: what a copy one
         * byte short of its NUL does is `single`'s to show, every run; here
         * ThreadSanitizer would see that byte only when it falls in an
         * 8-byte cell of another thread's freed block, now and then. */
        snprintf(mine, sizeof mine, "user-%d-%04ld", w->index, r);
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
    pthread_barrier_t all_used, used_seen, all_in, all_seen;
    atomic_long used_seen_min, used_seen_max; /* session_live() once all have used theirs, before greeting */
    atomic_long live_seen_min, live_seen_max;
    const char *greeting[1024];
} mem_t;

/* Folds one reading into a [min, max] pair. */
static void seen_range(atomic_long *min, atomic_long *max, long v) {
    long lo = atomic_load(min), hi = atomic_load(max);
    while (v < lo && !atomic_compare_exchange_weak(min, &lo, v)) {
    }
    while (v > hi && !atomic_compare_exchange_weak(max, &hi, v)) {
    }
}

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
 * which the driver counts. The first count comes as soon as all have used
 * their sessions, before the others greet: a quarter of the threads have
 * just logged out (their last call was set(NULL)) and still run, so a
 * session that set(NULL) frees ("logging out ends the session") is missing
 * from it; their greeting then makes a new one, which the second count
 * would not miss. */
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
            session_set_user(NULL); /* log out, and go on running */
    } else {
        m->greeting[w->index] = session_greeting();
    }
    barrier_wait(&m->all_used);
    seen_range(&m->used_seen_min, &m->used_seen_max, session_live());
    barrier_wait(&m->used_seen);
    if (!only_greets)
        m->greeting[w->index] = session_greeting();
    snprintf(want, sizeof want, "Hello, %s!", stranger ? "stranger" : mine);
    expect_str(only_greets ? "the greeting of a thread that set no user"
                           : "the greeting after set, set(NULL) twice, set, set",
               want, m->greeting[w->index]);
    barrier_wait(&m->all_in);
    seen_range(&m->live_seen_min, &m->live_seen_max, session_live());
    barrier_wait(&m->all_seen);
}

/* A thread that lives across all the rounds, as a server's long-lived
 * thread does beside its short-lived ones: it sets its user and greets
 * before the first round, sleeps through all of them, and then must find
 * its user and greeting as it left them. Sessions handed out in turn from
 * a fixed pool (reused by the 256th thread after it, say) give its session
 * to a newcomer, which wipes it. */
#define KEEPER_USER "keeper-lives-across-all-rounds"
typedef struct {
    pthread_barrier_t ready, rounds_over;
} keeper_t;

static void *keeper(void *arg) {
    keeper_t *k = arg;
    session_set_user(KEEPER_USER);
    expect_str("the long-lived thread's greeting", "Hello, " KEEPER_USER "!", session_greeting());
    barrier_wait(&k->ready);
    barrier_wait(&k->rounds_over);
    expect_str("the user of a thread that lived across all the rounds, after the other threads came and went (it "
               "set '" KEEPER_USER "' before the first)",
               KEEPER_USER, session_user());
    expect_str("the greeting of a thread that lived across all the rounds, after the others came and went",
               "Hello, " KEEPER_USER "!", session_greeting());
    return NULL;
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
    /* Two threads hold a session across every round: this one and the
     * keeper. They count in session_live() throughout. */
    static const char main_user[] = "main-thread-through-all-rounds";
    session_set_user(main_user);
    keeper_t k;
    LAB_PTHREAD(pthread_barrier_init(&k.ready, NULL, 2));
    LAB_PTHREAD(pthread_barrier_init(&k.rounds_over, NULL, 2));
    pthread_t kt;
    lab_thread_create(&kt, NULL, keeper, &k);
    barrier_wait(&k.ready);
    const long base = 2;
    long held = session_live();
    if (held != base)
        lab_fail("with the main thread and one other running, each after setting a user, session_live() is %ld / "
                 "it is %ld",
                 base, held);
    for (long r = 0; r < rounds; r++) {
        mem_t m;
        memset(&m, 0, sizeof m);
        LAB_PTHREAD(pthread_barrier_init(&m.all_used, NULL, (unsigned)n));
        LAB_PTHREAD(pthread_barrier_init(&m.used_seen, NULL, (unsigned)n));
        LAB_PTHREAD(pthread_barrier_init(&m.all_in, NULL, (unsigned)n));
        LAB_PTHREAD(pthread_barrier_init(&m.all_seen, NULL, (unsigned)n));
        atomic_init(&m.used_seen_min, 1L << 40);
        atomic_init(&m.used_seen_max, -1);
        atomic_init(&m.live_seen_min, 1L << 40);
        atomic_init(&m.live_seen_max, -1);
        long before = lab_impl_live_allocs();
        lab_threads_run(n, use_and_exit, &m);
        long after_allocs = lab_impl_live_allocs();
        LAB_PTHREAD(pthread_barrier_destroy(&m.all_used));
        LAB_PTHREAD(pthread_barrier_destroy(&m.used_seen));
        LAB_PTHREAD(pthread_barrier_destroy(&m.all_in));
        LAB_PTHREAD(pthread_barrier_destroy(&m.all_seen));
        long lo = atomic_load(&m.used_seen_min), hi = atomic_load(&m.used_seen_max);
        if (lo != n + base || hi != n + base)
            lab_fail("a session lives from its thread's first use until the thread exits: with %d threads running "
                     "that have all used theirs (%d of them last logged out with set(NULL)), and %ld long-lived "
                     "ones, session_live() is %ld / round %ld: it read %ld to %ld (does set(NULL) free the "
                     "session?)",
                     n, (n + 2) / 4, base, n + base, r, lo, hi);
        lo = atomic_load(&m.live_seen_min), hi = atomic_load(&m.live_seen_max);
        if (lo != n + base || hi != n + base)
            lab_fail("while %d threads each held a session, and %ld long-lived ones theirs, session_live() is %ld / "
                     "round %ld: it read %ld to %ld",
                     n, base, n + base, r, lo, hi);
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
        if (after != base)
            lab_fail("after its %d threads exited (some only greeted, setting no user), session_live() is %ld, the "
                     "sessions of the %ld long-lived threads / round %ld: it is %ld",
                     n, base, base, r, after);
        char what[160];
        snprintf(what, sizeof what, "the main thread's user after %ld threads came and went (it set it before "
                 "the first)", (r + 1) * n);
        expect_str(what, main_user, session_user());
        snprintf(what, sizeof what, "the main thread's greeting after %ld threads came and went", (r + 1) * n);
        expect_str(what, "Hello, main-thread-through-all-rounds!", session_greeting());
    }
    barrier_wait(&k.rounds_over);
    lab_thread_join(kt, NULL);
    LAB_PTHREAD(pthread_barrier_destroy(&k.ready));
    LAB_PTHREAD(pthread_barrier_destroy(&k.rounds_over));
    lab_pass("%ld rounds of %d threads: %d sessions live while they ran (also just after a quarter logged out), %ld "
             "after they exited, nothing left allocated; the main thread and one that lived across the rounds kept "
             "their users",
             rounds, n, n, base);
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
     "only greet, counted also just after logging out, all freed at exit; the main thread and one long-lived thread "
     "keep their users throughout", check_freed,
     LAB_PAUSE_RANDOM},
    {"race-free", "threads set, read and greet at once, for the ThreadSanitizer build", check_race_free,
     LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
