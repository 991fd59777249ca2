/* Lab 13, once-init: the torture driver. One check per run. Each round
 * starts from config_reset_for_test() and releases its threads together at
 * the first config_get(), with random pauses inside the slow build.
 *
 *   $ build/labs/13-once-init/broken/test fully-built
 *   FAIL: thread 1 gets a fully built config / name is '', not 'locklab': it was handed the object while it was being built (check fully-built, seed 780849487)
 *   $ build/labs/13-once-init/fixed/test builds-once
 *   ok: builds-once: 50 rounds of 8 threads racing the first call: one build and one object each round
 */
#include <stdatomic.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
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
void config_fill_seen(void) { atomic_fetch_add(&fills, 1); }

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

static void check_single(const lab_opts_t *o) {
    (void)o;
    want_init();
    char why[128];
    const config_t *c = config_get();
    if (config_wrong(c, why, sizeof why))
        lab_fail("the first config_get() returns a fully built config / %s", why);
    expect_builds(1, "after the first config_get()");
    for (int i = 0; i < 100; i++)
        if (config_get() != c)
            lab_fail("every config_get() returns the same object / call %d returned another", i + 2);
    expect_builds(1, "after 101 calls");
    config_reset_for_test();
    atomic_store(&fills, 0);
    LAB_EXPECT_EQ(0, config_builds(), "builds after config_reset_for_test()");
    c = config_get();
    if (config_wrong(c, why, sizeof why))
        lab_fail("config_get() after a reset returns a fully built config / %s", why);
    expect_builds(1, "after a reset and a config_get()");
    if (config_get() != c)
        lab_fail("after a reset, every config_get() returns the same object / the second returned another");
    lab_pass("one thread: built once, complete, the same object every call; a reset builds it again");
}

enum { MAXT = 256 };

typedef struct {
    int verify; /* check every field of what each thread got */
    const config_t *got[MAXT];
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
}

static void run_rounds(const lab_opts_t *o, int verify, int *threads, long *rounds) {
    int n = lab_opt_threads(o, 8);
    long k = lab_opt_iters(o, 50);
    if (n > MAXT)
        lab_fail("at most %d threads / asked for %d", MAXT, n);
    want_init();
    long steady = 0;
    for (long i = 0; i < k; i++) {
        round_t r = {.verify = verify};
        reset(i, &steady);
        lab_threads_run(n, get_config, &r);
        char when[96];
        snprintf(when, sizeof when, "in round %ld, by %d threads racing the first call", i, n);
        expect_builds(1, when);
        for (int t = 1; t < n; t++)
            if (r.got[t] != r.got[0])
                lab_fail("every thread gets the same object / round %ld: threads 0 and %d got different ones", i,
                         t);
    }
    *threads = n;
    *rounds = k;
}

static void check_builds_once(const lab_opts_t *o) {
    int n;
    long k;
    run_rounds(o, 0, &n, &k);
    lab_pass("%ld rounds of %d threads racing the first call: one build and one object each round", k, n);
}

static void check_fully_built(const lab_opts_t *o) {
    int n;
    long k;
    run_rounds(o, 1, &n, &k);
    lab_pass("%ld rounds of %d threads racing the first call: every thread got a complete config", k, n);
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

static void check_race_free(const lab_opts_t *o) {
    int n = lab_opt_threads(o, 4);
    long k = lab_opt_iters(o, 15);
    if (n < 2)
        lab_fail("--threads for race-free is 2 or more / got %d", n);
    for (long i = 0; i < k; i++) {
        stagger_t st;
        atomic_init(&st.got_one, 0);
        config_reset_for_test();
        lab_threads_run(n, read_config, &st);
    }
    lab_pass("%ld rounds of %d threads, half racing the first call, half on the fast path: no race", k, n);
}

static const lab_check_t checks[] = {
    {"single", "one thread: built once, complete, the same object every call; reset builds again",
     check_single, LAB_PAUSE_OFF},
    {"builds-once", "50 rounds of 8 threads racing the first call: one build, one object", check_builds_once,
     LAB_PAUSE_RANDOM},
    {"fully-built", "50 rounds of 8 threads racing the first call: each checks every field it got",
     check_fully_built, LAB_PAUSE_RANDOM},
    {"race-free", "threads racing the first call, for the ThreadSanitizer build", check_race_free,
     LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
