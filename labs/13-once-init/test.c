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

static void want_init(void) {
    memset(&want, 0, sizeof want);
    lab_pause_mode_t mode = lab_pause_mode;
    lab_pause_mode = LAB_PAUSE_OFF;
    config_fill(&want);
    lab_pause_mode = mode;
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
    LAB_EXPECT_EQ(1, config_builds(), "builds after the first config_get()");
    for (int i = 0; i < 100; i++)
        if (config_get() != c)
            lab_fail("every config_get() returns the same object / call %d returned another", i + 2);
    LAB_EXPECT_EQ(1, config_builds(), "builds after 101 calls");
    config_reset_for_test();
    LAB_EXPECT_EQ(0, config_builds(), "builds after config_reset_for_test()");
    c = config_get();
    if (config_wrong(c, why, sizeof why))
        lab_fail("config_get() after a reset returns a fully built config / %s", why);
    LAB_EXPECT_EQ(1, config_builds(), "builds after a reset and a config_get()");
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
    for (long i = 0; i < k; i++) {
        round_t r = {.verify = verify};
        config_reset_for_test();
        lab_threads_run(n, get_config, &r);
        long b = config_builds();
        if (b != 1)
            lab_fail("the config is built once per round / round %ld: %d threads racing the first call built "
                     "it %ld times",
                     i, n, b);
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

/* Read every field, as a user of the config does. */
static void read_config(const lab_worker_t *w) {
    (void)w;
    const config_t *c = config_get();
    unsigned sum = (unsigned)c->version + (unsigned)c->workers + c->checksum + (unsigned char)c->name[0];
    for (int i = 0; i < CONFIG_PRIMES; i++)
        sum += (unsigned)c->primes[i];
    __asm__ volatile("" : : "r"(sum));
}

/* For the ThreadSanitizer build: rounds of threads racing the first call
 * and reading what they got. */
static void check_race_free(const lab_opts_t *o) {
    int n = lab_opt_threads(o, 4);
    long k = lab_opt_iters(o, 15);
    for (long i = 0; i < k; i++) {
        config_reset_for_test();
        lab_threads_run(n, read_config, NULL);
    }
    lab_pass("%ld rounds of %d threads racing the first call: no race", k, n);
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
