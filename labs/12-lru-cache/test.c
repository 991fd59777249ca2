/* Lab 12, LRU cache: the torture driver. One check per run.
 *
 * Two checks prove the cache is a cache with one thread: exact LRU order
 * against a small model, and eviction at scale. The stress check then
 * lets threads mix gets and puts with the race windows stretched, and
 * afterwards looks at what is left: every hit must have returned a value
 * put for its key, the size must stay within the capacity, and the map and
 * the list must agree (lru_check(), then lookups of every key). A cache
 * that crashes is reported by the grader ("crashed with SIGSEGV"); a call
 * that loops forever round a cycle is reported once it has used 0.1 s of
 * its thread's CPU time, and threads that all sleep (a lock never
 * unlocked) by the stall watchdog after 1 s.
 *
 *   $ build/labs/12-lru-cache/broken/test stress
 *   FAIL: every get and put returns / thread 2 spent 101 ms of CPU in one call after 96 calls: a hash chain of the map has closed into a cycle (check stress, seed 416142604)
 *   $ build/labs/12-lru-cache/fixed/test lru-order
 *   ok: lru-order: 3000 gets and puts on a cache of 8 matched an exact LRU model; capacity 1 holds the last key
 */
#define _GNU_SOURCE /* REG_EFL, for the counted calls */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lab.h"
#include "lru.h"

/* Every value the driver puts names its key: key << 24 | writer << 20 |
 * sequence, so a hit can be checked against the key it was for. */
static uint64_t value_for(uint64_t key, unsigned writer, unsigned seq) {
    return key << 24 | (uint64_t)(writer & 0xf) << 20 | (seq & 0xfffff);
}
static uint64_t key_of(uint64_t value) { return value >> 24; }

/* The one-thread checks take milliseconds; one that hangs is a thread
 * waiting for a lock it holds itself (a path that returns without
 * unlocking), and is reported after 5 s rather than the grader's 30. */
static void single_watchdog(void) {
    lab_watchdog_arm(5.0, "a get or put never returned: a lock taken and never given back (a path without unlock?)");
}

static void expect_ok(lru_t *c, const char *when) {
    char why[256];
    if (lru_check(c, why, sizeof why) != 0)
        lab_fail("lru_check() passes %s / %s", when, why);
}

/* ---- one thread: exact LRU order ------------------------------------------------ */

/* The model: entries in order of use, oldest first. O(n), fine at 8. */
typedef struct {
    struct {
        uint64_t key, value;
    } e[64];
    int n, cap;
} model_t;

static int model_find(const model_t *m, uint64_t key) {
    for (int i = 0; i < m->n; i++)
        if (m->e[i].key == key)
            return i;
    return -1;
}

/* Entry i becomes the newest; returns its new index. */
static int model_touch(model_t *m, int i) {
    __typeof__(m->e[0]) x = m->e[i];
    memmove(&m->e[i], &m->e[i + 1], (size_t)(m->n - i - 1) * sizeof x);
    m->e[m->n - 1] = x;
    return m->n - 1;
}

static void model_put(model_t *m, uint64_t key, uint64_t value) {
    int i = model_find(m, key);
    if (i < 0 && m->n == m->cap) { /* evict the oldest */
        memmove(&m->e[0], &m->e[1], (size_t)(m->n - 1) * sizeof m->e[0]);
        m->n--;
    }
    if (i < 0) {
        i = m->n++;
        m->e[i].key = key;
    }
    m->e[model_touch(m, i)].value = value;
}

/* One step of a cache against its model: a put, or a get whose hit or miss
 * and value must be the model's; the size must be the model's after it. */
static void model_step_value(lru_t *c, model_t *m, int put, uint64_t key, uint64_t value, long s) {
    uint64_t v = 12345;
    if (put) {
        lru_put(c, key, value);
        model_put(m, key, value);
    } else {
        int want = model_find(m, key);
        int hit = lru_get(c, key, &v);
        if (hit != (want >= 0))
            lab_fail("cache of %d, step %ld: get(%llu) %s (exact LRU: the cache holds the %d most recently used "
                     "keys, %d now) / it %s",
                     m->cap, s, (unsigned long long)key, want >= 0 ? "hits" : "misses", m->cap, m->n,
                     hit ? "hit" : "missed");
        if (hit && v != m->e[want].value)
            lab_fail("cache of %d, step %ld: get(%llu) returns the value last put for it (%#llx) / got %#llx", m->cap,
                     s, (unsigned long long)key, (unsigned long long)m->e[want].value, (unsigned long long)v);
        if (!hit && v != 12345)
            lab_fail("cache of %d, step %ld: a miss leaves *value alone / get(%llu) missed and wrote %#llx", m->cap, s,
                     (unsigned long long)key, (unsigned long long)v);
        if (hit)
            model_touch(m, want);
    }
    if (lru_size(c) != (size_t)m->n)
        lab_fail("cache of %d, step %ld: lru_size() == %d / got %zu", m->cap, s, m->n, lru_size(c));
}

static void model_step(lru_t *c, model_t *m, int put, uint64_t key, long s) {
    model_step_value(c, m, put, key, value_for(key, 0, (unsigned)s), s);
}

/* Keys and values are 64-bit, all of them (lru.h): keys at and above 2^32,
 * among them pairs that agree in their low 32 bits (a key kept in 32 bits
 * finds the other one's entry, or none), and the values 0 and UINT64_MAX (a
 * value that doubles as "not cached" reads as a miss). On caches of 4 and
 * 8 (never split): each key is put with an extreme value and every key is
 * read back, then random gets and puts of these keys and values, every
 * step against the model. */
static const uint64_t wide_keys[] = {
    0, 1ULL << 32, 5, 5 + (1ULL << 32), 5 + (1ULL << 63), 0xffffffffULL, UINT64_MAX,
};
static const uint64_t wide_values[] = {0, UINT64_MAX, 1ULL << 63, 1ULL << 32, 1};
enum { WIDE_KEYS = sizeof wide_keys / sizeof wide_keys[0], WIDE_VALUES = sizeof wide_values / sizeof wide_values[0],
       WIDE_STEPS = 400 };

static void wide_run(int cap) {
    lru_t *c = lru_create((size_t)cap);
    model_t m = {.cap = cap};
    long s = 0;
    for (int i = 0; i < WIDE_KEYS; i++) {
        model_step_value(c, &m, 1, wide_keys[i], wide_values[i % WIDE_VALUES], s++);
        for (int j = 0; j <= i; j++) /* hits and misses, as the model says */
            model_step_value(c, &m, 0, wide_keys[j], 0, s++);
    }
    uint64_t rs = lab_seed_for(200 + cap);
    for (long i = 0; i < WIDE_STEPS; i++) {
        uint64_t r = lab_rand_next(&rs), value = wide_values[(r >> 8) % WIDE_VALUES];
        model_step_value(c, &m, r >> 40 & 1, wide_keys[r % WIDE_KEYS], value, s++);
    }
    expect_ok(c, "after gets and puts of 64-bit keys and values");
    lru_destroy(c);
}

/* Every capacity below 2 * LRU_STRIPE_MIN: a new cache is filled with as
 * many distinct keys as it holds (none may go: it is not full until the
 * last), each is read back, oldest first, then `steps` random gets and puts
 * on keys from one and a half times the capacity, every one against the
 * model. A cache split into stripes evicts from a full stripe before the
 * cache is full, which exact LRU never does. */
static void model_run(int cap, long steps) {
    lru_t *c = lru_create((size_t)cap);
    model_t m = {.cap = cap};
    long s = 0;
    for (uint64_t k = 0; k < (uint64_t)cap; k++)
        model_step(c, &m, 1, 1000 + k, s++);
    for (uint64_t k = 0; k < (uint64_t)cap; k++)
        model_step(c, &m, 0, 1000 + k, s++);
    uint64_t rs = lab_seed_for(100 + cap), keys = (uint64_t)(cap + cap / 2 + 2);
    for (long i = 0; i < steps; i++) {
        uint64_t r = lab_rand_next(&rs);
        model_step(c, &m, r >> 40 & 1, 1000 + r % keys, s++);
    }
    expect_ok(c, "after the fill and the random run");
    lru_destroy(c);
}

enum { EXACT_CAP_STEPS = 400 };

/* Below, with the instruction-stepped calls (x86-64 only). */
static char contend_note[100];
static void check_contended_get(void);

/* A cache below 2 * LRU_STRIPE_MIN entries is never striped (lru.h), so
 * every implementation owes it exact LRU order. */
static void check_lru_order(const lab_opts_t *o) {
    enum { CAP = 8, KEYS = 14 };
    long steps = lab_opt_iters(o, 3000);
    single_watchdog();
    lru_t *c = lru_create(CAP);
    uint64_t v = 12345;
    LAB_EXPECT_EQ(0, lru_size(c), "lru_size() of a new cache");
    LAB_EXPECT_EQ(0, lru_get(c, 7, &v), "get(7) on a new cache");
    LAB_EXPECT_EQ(12345, v, "*value after a miss (left alone)");
    expect_ok(c, "on a new cache");

    /* The steps the README names: fill, read the oldest, add one, update one. */
    for (uint64_t k = 1; k <= CAP; k++)
        lru_put(c, k, value_for(k, 0, 0));
    LAB_EXPECT_EQ(CAP, lru_size(c), "lru_size() after 8 puts into a cache of 8");
    if (!lru_get(c, 1, &v) || v != value_for(1, 0, 0))
        lab_fail("get(1) after putting 1..8 hits with 1's value / it did not");
    lru_put(c, 9, value_for(9, 0, 0)); /* evicts 2, the oldest now that 1 was read */
    if (lru_get(c, 2, &v))
        lab_fail("put 1..8, get 1, put 9 evicts 2 (the least recently used) / 2 is still cached");
    if (!lru_get(c, 1, &v))
        lab_fail("put 1..8, get 1, put 9 keeps 1 (a get makes it recent) / 1 was evicted");
    lru_put(c, 3, value_for(3, 0, 1)); /* an update: no eviction, 3 becomes recent */
    LAB_EXPECT_EQ(CAP, lru_size(c), "lru_size() after updating a cached key");
    lru_put(c, 10, value_for(10, 0, 0)); /* evicts 4 */
    if (lru_get(c, 4, &v) || !lru_get(c, 3, &v) || v != value_for(3, 0, 1))
        lab_fail("updating 3 makes it recent and keeps its new value; 4 goes next / not so");
    expect_ok(c, "after the scripted steps");
    lru_destroy(c);

    /* Then a long random run against the model, every result compared. */
    c = lru_create(CAP);
    model_t m = {.cap = CAP};
    uint64_t rs = lab_seed_for(1);
    for (long s = 0; s < steps; s++) {
        uint64_t r = lab_rand_next(&rs), key = r % KEYS;
        int want = model_find(&m, key);
        if (r >> 40 & 1) {
            lru_put(c, key, value_for(key, 0, (unsigned)s));
            model_put(&m, key, value_for(key, 0, (unsigned)s));
        } else {
            int hit = lru_get(c, key, &v);
            if (hit != (want >= 0))
                lab_fail("step %ld: get(%llu) %s (the model holds the %d most recently used keys) / it %s", s,
                         (unsigned long long)key, want >= 0 ? "hits" : "misses", CAP, hit ? "hit" : "missed");
            if (hit && v != m.e[want].value)
                lab_fail("step %ld: get(%llu) returns the value last put for it (%#llx) / got %#llx", s,
                         (unsigned long long)key, (unsigned long long)m.e[want].value, (unsigned long long)v);
            if (hit)
                model_touch(&m, want);
        }
        if (lru_size(c) != (size_t)m.n)
            lab_fail("step %ld: lru_size() == %d / got %zu", s, m.n, lru_size(c));
    }
    expect_ok(c, "after the random run");
    lru_destroy(c);

    /* Capacity 1: every new key evicts the last one. */
    c = lru_create(1);
    lru_put(c, 5, value_for(5, 0, 0));
    lru_put(c, 6, value_for(6, 0, 0));
    if (lru_get(c, 5, &v) || !lru_get(c, 6, &v) || lru_size(c) != 1)
        lab_fail("a cache of capacity 1 holds only the last key put / it does not");
    expect_ok(c, "on a cache of capacity 1");
    lru_destroy(c);

    /* Every capacity that lru.h never lets be split. */
    for (int cap = 1; cap < 2 * LRU_STRIPE_MIN; cap++)
        model_run(cap, EXACT_CAP_STEPS);
    wide_run(4);
    wide_run(8);
    check_contended_get();
    lab_pass("%ld gets and puts on a cache of %d matched an exact LRU model; capacity 1 holds the last key; "
             "capacities 1 to %d filled to the brim and %d random steps each, exact LRU; keys at and above 2^32 "
             "and the values 0 and UINT64_MAX kept as put%s",
             steps, CAP, 2 * LRU_STRIPE_MIN - 1, EXACT_CAP_STEPS, contend_note);
}

/* ---- one thread: eviction at scale ------------------------------------------------ */

/* ---- capacities that a striped cache must still keep ---------------------
 * The capacity is a bound on the whole cache, however it is split: shares
 * rounded up add up to more than it whenever the stripe count does not
 * divide it (a cache of 1000 in 16 stripes of 63 holds 1008). Each of these
 * capacities is divided evenly by no stripe count above 1 that lru.h
 * allows (stripes of at least LRU_STRIPE_MIN); ten times the capacity in
 * distinct keys fills every stripe of any split. */
static const size_t odd_caps[] = {33, 47, 63, 65, 100, 127, 129, 250, 333, 1000, 1023};

static void check_capacity_bound(void) {
    for (size_t i = 0; i < sizeof odd_caps / sizeof odd_caps[0]; i++) {
        size_t cap = odd_caps[i];
        lru_t *c = lru_create(cap);
        uint64_t v;
        for (uint64_t k = 0; k < 10 * cap; k++) {
            lru_put(c, k, value_for(k, 3, 0));
            size_t size = lru_size(c);
            if (size > cap)
                lab_fail("a cache of capacity %zu holds at most %zu entries / lru_size() is %zu after putting keys "
                         "0..%llu",
                         cap, cap, size, (unsigned long long)k);
        }
        size_t hits = 0;
        for (uint64_t k = 0; k < 10 * cap; k++)
            hits += (size_t)lru_get(c, k, &v);
        if (hits > cap)
            lab_fail("a cache of capacity %zu holds at most %zu keys / after %zu distinct puts, %zu of them hit", cap,
                     cap, 10 * cap, hits);
        if (hits != lru_size(c))
            lab_fail("gets find as many keys as lru_size() counts / a cache of %zu after %zu distinct puts: %zu "
                     "found, %zu counted",
                     cap, 10 * cap, hits, lru_size(c));
        expect_ok(c, "after ten times its capacity in distinct puts");
        lru_destroy(c);
    }
}

/* ---- stripes of at least LRU_STRIPE_MIN -----------------------------------
 * However a cache of 2 * LRU_STRIPE_MIN or more is split, each stripe holds
 * at least LRU_STRIPE_MIN entries, and only a full cache or a full stripe
 * evicts: so any LRU_STRIPE_MIN distinct keys put into a new cache all stay.
 * The driver cannot see the stripes, but it can find a set of keys that one
 * stripe cannot hold: it puts distinct keys into a new cache until the first
 * put that does not grow it (a stripe overflowed), then takes keys out of
 * that set, a chunk at a time, as long as the rest, put into a new cache,
 * still lose one. What is left is one stripe's share and one key more. A
 * cache whose smallest stripe holds fewer than LRU_STRIPE_MIN is found with
 * that many keys or fewer, whatever its hash. */
static const size_t split_caps[] = {32, 33, 48, 64, 100, 128, 256};

/* How many of keys[0..n) miss after all were put into a new cache of `cap`. */
static size_t misses_after_puts(size_t cap, const uint64_t *keys, size_t n) {
    lru_t *c = lru_create(cap);
    uint64_t v;
    for (size_t i = 0; i < n; i++)
        lru_put(c, keys[i], value_for(keys[i], 4, 0));
    size_t missed = 0;
    for (size_t i = 0; i < n; i++)
        missed += !lru_get(c, keys[i], &v);
    lru_destroy(c);
    return missed;
}

static void check_stripe_min(void) {
    static uint64_t set[1024], cand[1024];
    for (size_t ci = 0; ci < sizeof split_caps / sizeof split_caps[0]; ci++) {
        size_t cap = split_caps[ci], n = 0;
        lru_t *c = lru_create(cap);
        for (uint64_t k = 1; n < cap; k++) { /* until a put does not grow the cache */
            set[n++] = k;
            lru_put(c, k, value_for(k, 4, 0));
            if (lru_size(c) < n)
                break;
        }
        size_t grown = lru_size(c);
        lru_destroy(c);
        if (grown == n || misses_after_puts(cap, set, n) == 0)
            continue; /* nothing evicted before the cache was full */
        for (size_t chunk = n / 2; chunk >= 1; chunk /= 2)
            for (size_t i = 0; i < n;) {
                size_t len = chunk < n - i ? chunk : n - i, m = 0;
                for (size_t j = 0; j < n; j++)
                    if (j < i || j >= i + len)
                        cand[m++] = set[j];
                if (misses_after_puts(cap, cand, m) > 0) {
                    memcpy(set, cand, m * sizeof *set);
                    n = m;
                } else {
                    i += len;
                }
            }
        if (n <= LRU_STRIPE_MIN) {
            size_t missed = misses_after_puts(cap, set, n);
            char keys[256] = "";
            for (size_t i = 0, at = 0; i < n && at < sizeof keys - 24; i++)
                at += (size_t)snprintf(keys + at, sizeof keys - at, "%s%llu", i ? " " : "",
                                       (unsigned long long)set[i]);
            if (missed > 0)
                lab_fail("any %d distinct keys put into a new cache of %zu all stay (no stripe holds fewer than "
                         "LRU_STRIPE_MIN) / after putting these %zu, %zu missed: %s",
                         LRU_STRIPE_MIN, cap, n, missed, keys);
        }
    }
}

/* ---- O(1) whatever the keys, counted -------------------------------------
 * A get or a put costs the same whichever keys the cache holds: keys that
 * share their low bits (aligned addresses, page numbers, ids built as
 * shard << 16 | n) are keys like any others. A bucket taken from the key's
 * low bits (key & mask, key % a power of two) puts them all in one chain,
 * and every call walks it. The cost is counted, not timed: the driver runs
 * the same gets and puts with x86's trap flag set, one SIGTRAP per
 * instruction executed (the implementation's, the C library's inside its
 * calls, the driver's loop alike), on a cache of consecutive keys and on
 * caches of keys that are multiples of 65536 and of 2^32 (which share all
 * their low 32 bits). The counts are the implementation's own, so the same
 * code with the same keys gives the same
 * count on a busy machine as on an idle one. Only where the trap flag is
 * (x86-64), and not in the ThreadSanitizer build. */
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
#define COUNTED 1
#include <signal.h>
#include <ucontext.h>

/* A trap costs tens of microseconds on a virtual machine: few calls are
 * stepped, on many keys, so that a walked chain is long against the fixed
 * cost of a call. The cache is a quarter full, so that no stripe of a
 * striped cache evicts (one stripe's share is at least a sixteenth). */
enum { TRAP_FLAG = 0x100, SPREAD_CAP = 4096, SPREAD_KEYS = 1024, SPREAD_GETS = 8, SPREAD_PUTS = 4,
       SPREAD_RATIO = 8, SPREAD_BASE_MAX = 40000, BIG_CAP = 1 << 19, BIG_KEYS = 1 << 17, BIG_RATIO = 4 };
static volatile sig_atomic_t counting;
static volatile long insns, insn_limit;

static void on_insn(int sig, siginfo_t *si, void *ctx) {
    (void)sig, (void)si;
    ucontext_t *uc = ctx;
    if (!counting || ++insns >= insn_limit) { /* done, or far enough to judge */
        counting = 0;
        uc->uc_mcontext.gregs[REG_EFL] &= ~(greg_t)TRAP_FLAG;
    }
}

/* Instructions run by SPREAD_GETS gets (all hits) and SPREAD_PUTS puts of
 * new keys into a cache of `cap` that holds the `keys` keys (i + 1) *
 * stride; counting stops at `limit`. */
static long spread_cost(size_t cap, uint64_t keys, uint64_t stride, long limit) {
    lru_t *c = lru_create(cap);
    for (uint64_t i = 0; i < keys; i++)
        lru_put(c, (i + 1) * stride, i);
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_insn;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTRAP, &sa, &old);
    insns = 0;
    insn_limit = limit;
    counting = 1;
    uint64_t v, hits = 0;
    /* Sets the trap flag, clear of the red zone below the stack pointer. */
    __asm__ volatile("lea -128(%%rsp), %%rsp\n\t"
                     "pushfq\n\t"
                     "orq $0x100, (%%rsp)\n\t"
                     "popfq\n\t"
                     "lea 128(%%rsp), %%rsp" ::: "memory", "cc");
    for (uint64_t j = 0; j < SPREAD_GETS; j++) /* spread over the keys, old and new entries */
        hits += (uint64_t)lru_get(c, ((j * 997 + 13) % keys + 1) * stride, &v);
    for (uint64_t j = 0; j < SPREAD_PUTS; j++)
        lru_put(c, (keys + j + 1) * stride, j);
    counting = 0; /* the next instruction's trap clears the flag */
    __asm__ volatile("nop" ::: "memory");
    sigaction(SIGTRAP, &old, NULL);
    long n = insns;
    lru_destroy(c);
    if (hits != SPREAD_GETS)
        lab_fail("a cache of %zu keeps the %llu keys put into it (multiples of %llu) / %llu of %d gets hit", cap,
                 (unsigned long long)keys, (unsigned long long)stride, (unsigned long long)hits, SPREAD_GETS);
    return n;
}

/* ---- a get that hit makes its entry the most recent, under contention ---
 * "Used" means a get that hit, whoever else is using the cache at that
 * moment: a get that finds the lock busy still moves its entry to the
 * front. Whether a get finds the lock busy is made, not hoped for: a
 * contender thread's get of the newest key (which changes no order) is
 * stepped with the trap flag until it is about to unlock a lock it took in
 * that call (the C library's unlock entered with the same lock as argument
 * as a lock or trylock before it), and is parked there, in the signal
 * handler, holding the cache's lock; then a second thread's get of the
 * oldest key must wait for it (a trylock fails); once every other thread is
 * seen asleep the contender is let go. The next put of a new key must then
 * evict the second oldest, not the key just read. A design whose get takes
 * no lock the C library sees has nothing to contend for and is let be. */
enum { PARK_LOCKS = 8, PARK_STEPS = 20000 }; /* a get that runs longer is stepped no further */
static volatile sig_atomic_t parking, parked, park_go, park_n;
static void *volatile park_lock[PARK_LOCKS];
static volatile long park_steps;

static int ip_is(greg_t ip, void (*f)(void)) { return ip == (greg_t)(uintptr_t)f; }
#define IP_IS(ip, f) ip_is(ip, (void (*)(void))(f))

static void on_step(int sig, siginfo_t *si, void *ctx) {
    (void)sig, (void)si;
    ucontext_t *uc = ctx;
    greg_t ip = uc->uc_mcontext.gregs[REG_RIP];
    void *arg = (void *)(uintptr_t)uc->uc_mcontext.gregs[REG_RDI];
    if (parking && ++park_steps < PARK_STEPS) {
        if (IP_IS(ip, pthread_mutex_lock) || IP_IS(ip, pthread_mutex_trylock) || IP_IS(ip, pthread_spin_lock) ||
            IP_IS(ip, pthread_spin_trylock) || IP_IS(ip, pthread_rwlock_wrlock) || IP_IS(ip, pthread_rwlock_rdlock) ||
            IP_IS(ip, pthread_rwlock_trywrlock) || IP_IS(ip, pthread_rwlock_tryrdlock)) {
            if (park_n < PARK_LOCKS)
                park_lock[park_n++] = arg;
            return;
        }
        if (!IP_IS(ip, pthread_mutex_unlock) && !IP_IS(ip, pthread_spin_unlock) && !IP_IS(ip, pthread_rwlock_unlock))
            return;
        int mine = 0;
        for (int i = 0; i < park_n; i++)
            mine |= park_lock[i] == arg;
        if (!mine)
            return;
        parked = 1; /* about to unlock a lock it holds: hold it here */
        double until = lab_now() + 3.0; /* bounded: the round then proves nothing, and the watchdog speaks */
        while (!park_go && lab_now() < until)
            nanosleep(&(struct timespec){0, 50000}, NULL);
    }
    parking = 0;
    uc->uc_mcontext.gregs[REG_EFL] &= ~(greg_t)TRAP_FLAG;
}

typedef struct {
    lru_t *c;
    uint64_t key, v;
    int hit;
    atomic_int done;
} getter_t;

static void *contender_main(void *p) {
    getter_t *g = p;
    __asm__ volatile("lea -128(%%rsp), %%rsp\n\t"
                     "pushfq\n\t"
                     "orq $0x100, (%%rsp)\n\t"
                     "popfq\n\t"
                     "lea 128(%%rsp), %%rsp" ::: "memory", "cc");
    g->hit = lru_get(g->c, g->key, &g->v);
    parking = 0; /* the next instruction's trap clears the flag */
    __asm__ volatile("nop" ::: "memory");
    atomic_store(&g->done, 1);
    return NULL;
}

static void *getter_main(void *p) {
    getter_t *g = p;
    g->hit = lru_get(g->c, g->key, &g->v);
    atomic_store(&g->done, 1);
    return NULL;
}

static int contended_get(void) {
    enum { CAP = 8 };
    lru_t *c = lru_create(CAP);
    for (uint64_t k = 1; k <= CAP; k++)
        lru_put(c, k, value_for(k, 3, 0));
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_step;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTRAP, &sa, &old);
    parked = park_go = park_n = 0;
    park_steps = 0;
    parking = 1;
    getter_t h = {.c = c, .key = CAP}, g = {.c = c, .key = 1};
    atomic_init(&h.done, 0);
    atomic_init(&g.done, 0);
    pthread_t ht, gt;
    lab_thread_create(&ht, NULL, contender_main, &h);
    while (!parked && !atomic_load(&h.done))
        nanosleep(&(struct timespec){0, 100000}, NULL);
    int contended = parked;
    if (contended) {
        lab_thread_create(&gt, NULL, getter_main, &g);
        (void)lab_others_asleep(1.0); /* the getter waits for the contender's lock (or is done) */
        park_go = 1;
    }
    lab_thread_join(ht, NULL);
    sigaction(SIGTRAP, &old, NULL);
    if (!contended) {
        lru_destroy(c);
        return 0;
    }
    lab_thread_join(gt, NULL);
    if (!h.hit || h.v != value_for(CAP, 3, 0) || !g.hit || g.v != value_for(1, 3, 0))
        lab_fail("gets of cached keys hit with their values while another get holds the lock / get(%d) %s, get(1) "
                 "%s",
                 CAP, h.hit ? "hit" : "missed", g.hit ? "hit" : "missed");
    lru_put(c, CAP + 1, value_for(CAP + 1, 3, 0)); /* evicts 2: 1 was read */
    uint64_t v;
    if (!lru_get(c, 1, &v))
        lab_fail("a get that hit makes the entry the most recent, also while another thread holds the cache's lock "
                 "/ put 1..8, get(1) while another thread's get held the lock (a trylock of it fails), put 9: 1 "
                 "was evicted, as if it had never been read");
    if (lru_get(c, 2, &v))
        lab_fail("put 1..8, get(1) while another thread's get held the lock, put 9 evicts 2 (the least recently "
                 "used) / 2 is still cached");
    expect_ok(c, "after a get that waited for another's");
    lru_destroy(c);
    return 1;
}
#endif

static char spread_note[256];

static void check_contended_get(void) {
#ifdef COUNTED
    if (contended_get())
        snprintf(contend_note, sizeof contend_note,
                 "; a get that waited for another thread's lock made its entry the most recent");
#endif
}

static void check_key_spread(void) {
#ifdef COUNTED
    /* fixed.c runs about 5000 instructions here. A design that runs more
     * than SPREAD_BASE_MAX on consecutive keys is slow whatever the keys
     * (a scan of every entry: the speed check's business), and stepping 8
     * times as many would take seconds: it is not compared. */
    long base = spread_cost(SPREAD_CAP, SPREAD_KEYS, 1, SPREAD_BASE_MAX);
    if (base >= SPREAD_BASE_MAX) {
        snprintf(spread_note, sizeof spread_note,
                 "; %d gets and puts on consecutive keys ran over %d instructions: not compared with strided keys",
                 SPREAD_GETS + SPREAD_PUTS, SPREAD_BASE_MAX);
        return;
    }
    long limit = SPREAD_RATIO * base + 1;
    /* Keys that share their low 16 bits, and keys that share all their low
     * 32 (a hash of the key cut to 32 bits puts every one in one bucket). */
    static const uint64_t strides[] = {65536, (uint64_t)1 << 32};
    long strided[2];
    for (int k = 0; k < 2; k++) {
        strided[k] = spread_cost(SPREAD_CAP, SPREAD_KEYS, strides[k], limit);
        if (strided[k] >= limit)
            lab_fail("gets and puts are O(1) whatever the keys / %d gets and %d puts on a cache holding %d keys that "
                     "are multiples of %llu ran over %ld instructions (counted by the driver, one trap each), more "
                     "than %d times the %ld of the same calls on consecutive keys: a chain walked per call (do keys "
                     "that share their low %s bits all land in one bucket?)",
                     SPREAD_GETS, SPREAD_PUTS, SPREAD_KEYS, (unsigned long long)strides[k], strided[k] - 1,
                     SPREAD_RATIO, base, k == 0 ? "16" : "32");
    }
    /* O(1) also means a cost that does not grow with the cache: the same
     * calls on a cache 128 times as large, holding 128 times as many
     * consecutive keys. A map with a fixed number of buckets (1024, say)
     * walks chains that grow with the entries, 128 long here; fixed.c's
     * buckets grow with the capacity, and its count stays within a few
     * percent. */
    limit = BIG_RATIO * base + 1;
    long big = spread_cost(BIG_CAP, BIG_KEYS, 1, limit);
    if (big >= limit)
        lab_fail("gets and puts are O(1), at any size / %d gets and %d puts on a cache of %d holding %d consecutive "
                 "keys ran over %ld instructions (counted by the driver, one trap each), more than %d times the %ld "
                 "of the same calls on a cache of %d holding %d: a cost that grows with the cache (a hash map whose "
                 "buckets do not grow with the capacity?)",
                 SPREAD_GETS, SPREAD_PUTS, BIG_CAP, BIG_KEYS, big - 1, BIG_RATIO, base, SPREAD_CAP, SPREAD_KEYS);
    snprintf(spread_note, sizeof spread_note,
             "; %d gets and puts ran %ld instructions among keys that are multiples of 65536, %ld among multiples "
             "of 2^32, %ld among consecutive ones, %ld in a cache of %d",
             SPREAD_GETS + SPREAD_PUTS, strided[0], strided[1], base, big, BIG_CAP);
#endif
}

/* Large enough to be striped: the claims here hold for exact LRU and for an
 * LRU per stripe with well-spread keys alike. */
static void check_eviction(const lab_opts_t *o) {
    (void)o;
    enum { CAP = 1024 };
    single_watchdog();
    lru_t *c = lru_create(CAP);
    uint64_t v;
    for (uint64_t k = 0; k < 3 * CAP; k++) {
        lru_put(c, k, value_for(k, 1, 0));
        if (lru_size(c) > CAP)
            lab_fail("at most %d entries / %zu after putting keys 0..%llu", CAP, lru_size(c), (unsigned long long)k);
    }
    LAB_EXPECT_EQ(CAP, lru_size(c), "lru_size() after 3072 distinct puts into a cache of 1024");
    for (uint64_t k = 0; k < CAP; k++)
        if (lru_get(c, k, &v))
            lab_fail("keys 0..1023 are evicted by 2048 newer ones / key %llu is still cached", (unsigned long long)k);
    for (uint64_t k = 3 * CAP - CAP / 2; k < 3 * CAP; k++)
        if (!lru_get(c, k, &v) || v != value_for(k, 1, 0))
            lab_fail("the 512 newest keys hit with their values / key %llu did not", (unsigned long long)k);
    expect_ok(c, "after 3072 puts");

    /* A get makes an entry recent: put 768 keys (three quarters full, so
     * no stripe has had to evict yet), read the oldest 256, put 512 new
     * keys: 256 entries must go, and the 256 just read are not among them. */
    lru_destroy(c);
    c = lru_create(CAP);
    for (uint64_t k = 0; k < 3 * CAP / 4; k++)
        lru_put(c, k, value_for(k, 2, 0));
    for (uint64_t k = 0; k < CAP / 4; k++)
        if (!lru_get(c, k, &v))
            lab_fail("a cache of 1024 holding 768 keys holds key %llu / it missed", (unsigned long long)k);
    for (uint64_t k = CAP; k < CAP + CAP / 2; k++)
        lru_put(c, k, value_for(k, 2, 0));
    for (uint64_t k = 0; k < CAP / 4; k++)
        if (!lru_get(c, k, &v) || v != value_for(k, 2, 0))
            lab_fail("the 256 oldest keys, read just before 512 new puts, survive them / key %llu was evicted",
                     (unsigned long long)k);
    size_t before = lru_size(c);
    for (int i = 0; i < 1000; i++) /* the same key again and again takes one entry */
        lru_put(c, 7, value_for(7, 2, (unsigned)i));
    LAB_EXPECT_EQ(before, lru_size(c), "lru_size() after putting one cached key 1000 more times");
    if (!lru_get(c, 7, &v) || v != value_for(7, 2, 999))
        lab_fail("get(7) returns the last value put / it did not");
    expect_ok(c, "after the reads and updates");
    lru_destroy(c);

    check_capacity_bound();
    check_stripe_min();
    single_watchdog(); /* afresh: the counted calls are stepped, a trap per instruction */
    check_key_spread();
    lab_pass("a cache of %d keeps the newest keys, evicts the oldest, and a get keeps an entry; %zu capacities "
             "from %zu to %zu never held more than their capacity; no set of %d keys or fewer lost one in a new "
             "cache of %zu to %zu%s",
             CAP, sizeof odd_caps / sizeof odd_caps[0], odd_caps[0], odd_caps[sizeof odd_caps / sizeof odd_caps[0] - 1],
             LRU_STRIPE_MIN, split_caps[0], split_caps[sizeof split_caps / sizeof split_caps[0] - 1], spread_note);
}

/* ---- many threads ------------------------------------------------------------------ */
enum { STRESS_CAP = 64, STRESS_KEYS = 2 * STRESS_CAP, MAX_THREADS = 64 };

/* A get or put is a handful of steps, microseconds even with the pauses.
 * One that has used this much of its thread's CPU time without returning
 * is going round a cycle. Counting CPU time, not wall time, keeps a loaded
 * machine from looking like a loop, and catches a loop in a fraction of a
 * second instead of the stall watchdog's five. */
#define SPIN_CPU_LIMIT 0.1

typedef struct {
    _Atomic long ops;  /* this thread's finished operations */
    atomic_int state;  /* 0 not started, 1 running (cpu is set), 2 finished */
    clockid_t cpu;     /* the thread's CPU-time clock */
} spin_slot_t;

typedef struct {
    spin_slot_t slot[MAX_THREADS];
    int n;
    atomic_int stop;
    pthread_t tid;
} spin_watch_t;

static double clock_seconds(clockid_t id, int *ok) {
    struct timespec ts;
    *ok = clock_gettime(id, &ts) == 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *spin_main(void *p) {
    spin_watch_t *sw = p;
    long last[MAX_THREADS];
    double base[MAX_THREADS];
    for (int i = 0; i < sw->n; i++)
        last[i] = -1;
    struct timespec tick = {0, 2 * 1000 * 1000};
    while (!atomic_load(&sw->stop)) {
        nanosleep(&tick, NULL);
        for (int i = 0; i < sw->n; i++) {
            spin_slot_t *s = &sw->slot[i];
            if (atomic_load(&s->state) != 1)
                continue;
            long ops = atomic_load_explicit(&s->ops, memory_order_relaxed);
            int ok;
            double cpu = clock_seconds(s->cpu, &ok);
            if (!ok)
                continue; /* the thread has just ended */
            if (ops != last[i]) {
                last[i] = ops;
                base[i] = cpu;
            } else if (cpu - base[i] > SPIN_CPU_LIMIT) {
                lab_fail("every get and put returns / thread %d spent %.0f ms of CPU in one call after %ld calls: "
                         "a hash chain of the map has closed into a cycle",
                         i, 1e3 * (cpu - base[i]), ops);
            }
        }
    }
    return NULL;
}

static void spin_watch_start(spin_watch_t *sw, int n) {
    sw->n = n;
    for (int i = 0; i < n; i++) {
        atomic_init(&sw->slot[i].ops, 0);
        atomic_init(&sw->slot[i].state, 0);
    }
    atomic_init(&sw->stop, 0);
    lab_thread_create(&sw->tid, NULL, spin_main, sw);
}

static void spin_watch_stop(spin_watch_t *sw) {
    atomic_store(&sw->stop, 1);
    lab_thread_join(sw->tid, NULL);
}

/* Called by worker `i` before its first operation. */
static void spin_watch_enter(spin_watch_t *sw, int i) {
    LAB_PTHREAD(pthread_getcpuclockid(pthread_self(), &sw->slot[i].cpu));
    atomic_store(&sw->slot[i].state, 1);
}

/* The stress runs in rounds, and everything is checked after each round:
 * a structure broken in the middle of a run may be mended by the churn
 * that follows (a stray entry is evicted), so looking often is what makes
 * the catch certain. Rounds alternate two key ranges: twice the capacity,
 * where half the gets miss and most puts evict, and half the capacity,
 * where the keys settle in and a stray second entry for a key stays. */
enum { ROUNDS = 8 };

typedef struct {
    lru_t *c;
    long iters;      /* per thread and round of random gets and puts */
    long round_iters; /* per thread in the round under way */
    uint64_t keys;   /* this round's keys are 0 .. keys-1 */
    int round;
    int size_every;  /* each thread asks lru_size() every this many calls */
    int size_reader; /* thread 0 only asks lru_size(), and never takes the lock through get or put */
    _Atomic long progress; /* operations done, for the stall watchdog */
    _Atomic long wrong;    /* hits that returned another key's value */
    _Atomic uint64_t wrong_key, wrong_value;
    _Atomic long oversize; /* the largest lru_size() above the capacity seen while the threads ran */
    int herd_n;            /* a herd round: every thread puts herd[0 .. herd_n-1], in that order, twice */
    uint64_t herd[STRESS_CAP];
    spin_watch_t spin;
} stress_t;

/* Half gets, half puts; now and then a thread also asks for the size,
 * which it may do while others get and put. */
static void stress_worker(const lab_worker_t *w) {
    stress_t *s = w->arg;
    spin_slot_t *me = &s->spin.slot[w->index];
    spin_watch_enter(&s->spin, w->index);
    uint64_t rs = lab_seed_for(s->round * MAX_THREADS + w->index);
    for (long i = 0; s->size_reader && w->index == 0 && i < 4 * s->round_iters; i++) {
        long size = (long)lru_size(s->c);
        if (size > STRESS_CAP && size > atomic_load(&s->oversize))
            atomic_store(&s->oversize, size);
        atomic_fetch_add_explicit(&me->ops, 1, memory_order_relaxed);
    }
    for (long i = 0; !(s->size_reader && w->index == 0) && i < s->round_iters; i++) {
        uint64_t r = lab_rand_next(&rs), key = s->herd_n > 0 ? s->herd[i % s->herd_n] : r % s->keys, v;
        if (s->herd_n > 0 || r >> 40 & 1) {
            lru_put(s->c, key, value_for(key, (unsigned)w->index, (unsigned)i));
        } else if (lru_get(s->c, key, &v) && key_of(v) != key) {
            if (atomic_fetch_add(&s->wrong, 1) == 0) {
                atomic_store(&s->wrong_key, key);
                atomic_store(&s->wrong_value, v);
            }
        }
        if (i % s->size_every == 0) {
            long size = (long)lru_size(s->c);
            if (size > STRESS_CAP && size > atomic_load(&s->oversize))
                atomic_store(&s->oversize, size);
        }
        atomic_fetch_add_explicit(&me->ops, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&s->progress, 1, memory_order_relaxed);
    }
    atomic_store(&me->state, 2);
}

static int stress_threads(const lab_opts_t *o) {
    int threads = lab_opt_threads(o, 4);
    if (threads > MAX_THREADS)
        lab_fail("at most %d threads / --threads %d", MAX_THREADS, threads);
    return threads;
}

static void stress_init(stress_t *s, const lab_opts_t *o, int size_every, int size_reader) {
    s->iters = lab_opt_iters(o, 4000) / ROUNDS;
    if (s->iters < 1)
        s->iters = 1;
    s->size_every = size_every;
    s->size_reader = size_reader;
    atomic_init(&s->progress, 0);
    atomic_init(&s->wrong, 0);
    atomic_init(&s->wrong_key, 0);
    atomic_init(&s->wrong_value, 0);
    atomic_init(&s->oversize, 0);
}

/* One round of the workers, `iters` calls each, under the CPU-time
 * watchdog (a call that loops). */
static void run_round(stress_t *s, int threads, int round, long iters) {
    s->round = round;
    s->round_iters = iters;
    spin_watch_start(&s->spin, threads);
    lab_threads_run(threads, stress_worker, s);
    spin_watch_stop(&s->spin);
}

/* A round of random gets and puts. */
static void stress_round(stress_t *s, int threads, int round) {
    s->keys = round % 2 == 0 ? 2 * STRESS_CAP : STRESS_CAP / 2;
    s->herd_n = 0;
    run_round(s, threads, round, s->iters);
}

/* What the threads left, looked at by this thread alone, pauses off. */
static void stress_verify(stress_t *s, int threads, int round) {
    lab_pause_mode_t mode = lab_pause_mode;
    lab_pause_mode = LAB_PAUSE_OFF;
    long wrong = atomic_load(&s->wrong);
    if (wrong > 0)
        lab_fail("every hit returns a value put for its key / in round %d, get(%llu) returned a value put for key "
                 "%llu (%ld such hits so far)",
                 round + 1, (unsigned long long)atomic_load(&s->wrong_key),
                 (unsigned long long)key_of(atomic_load(&s->wrong_value)), wrong);
    if (atomic_load(&s->oversize) > 0)
        lab_fail("at most %d entries while %d threads get and put / lru_size() said %ld in round %d", STRESS_CAP,
                 threads, atomic_load(&s->oversize), round + 1);
    size_t size = lru_size(s->c);
    if (size > STRESS_CAP)
        lab_fail("at most %d entries after round %d / lru_size() says %zu", STRESS_CAP, round + 1, size);
    char why[256];
    if (lru_check(s->c, why, sizeof why) != 0)
        lab_fail("the map and the LRU list agree after round %d of %d threads x %ld gets and puts / %s", round + 1,
                 threads, s->iters, why);
    /* lru_check() found no cycle, so these lookups end. */
    size_t found = 0;
    for (uint64_t k = 0; k < 2 * STRESS_CAP; k++) {
        uint64_t v;
        if (lru_get(s->c, k, &v)) {
            found++;
            if (key_of(v) != k)
                lab_fail("every cached key holds a value put for it / after round %d key %llu holds one put for %llu",
                         round + 1, (unsigned long long)k, (unsigned long long)key_of(v));
        }
    }
    if (found != size)
        lab_fail("gets find as many keys as lru_size() counts / after round %d, %zu found, %zu counted (a key "
                 "cached twice, or an entry the map lost)",
                 round + 1, found, size);
    lab_pause_mode = mode;
}

/* A herd round: every thread puts the same keys, none of them cached, in
 * the same order, all at once, so several threads miss the same key at the
 * same moment. A put that looks its key up, lets go of the lock and takes
 * it again to insert (or that inserts under another lock than the one it
 * looked under) lets another thread insert that key in between, and the
 * cache then holds the key twice. HERD_KEYS new entries and their doubles
 * fit in the cache (and in a stripe of the smallest allowed), so a double
 * stays until stress_verify() looks. */
enum { HERD_ROUNDS = 16, HERD_KEYS = LRU_STRIPE_MIN / 2 };

static void herd_round(stress_t *s, int threads, int round) {
    lab_pause_mode_t mode = lab_pause_mode;
    lab_pause_mode = LAB_PAUSE_OFF;
    int n = 0;
    for (uint64_t k = lab_seed_for(round) % STRESS_KEYS, seen = 0; n < HERD_KEYS && seen < STRESS_KEYS; seen++) {
        uint64_t v, key = (k + seen) % STRESS_KEYS;
        if (!lru_get(s->c, key, &v)) /* at most STRESS_CAP of the STRESS_KEYS keys are cached */
            s->herd[n++] = key;
    }
    lab_pause_mode = mode;
    s->herd_n = n;
    run_round(s, threads, round, 2 * n);
    s->herd_n = 0;
}

static lab_stall_t *stress_stall_watch(stress_t *s) {
    return lab_stall_watch(&s->progress, 1.0,
                           "no get or put finished in 1 s while every thread slept: a lock that is never unlocked?");
}

static void check_stress(const lab_opts_t *o) {
    int threads = stress_threads(o);
    static stress_t s; /* static: the watch slots are large */
    stress_init(&s, o, 16, 0);
    s.c = lru_create(STRESS_CAP);
    lab_stall_t *st = stress_stall_watch(&s);
    /* On a machine busy with other work a round can take 100 times as long
     * as idle: no new round of random gets and puts starts once 30% of the
     * check's time is gone (the herd rounds, short, always run). */
    int rounds = 0;
    while (rounds < ROUNDS && !(rounds > 0 && lab_time_spent(0.3))) {
        stress_round(&s, threads, rounds);
        stress_verify(&s, threads, rounds);
        rounds++;
    }
    for (int r = ROUNDS; r < ROUNDS + HERD_ROUNDS; r++) {
        herd_round(&s, threads, r);
        stress_verify(&s, threads, r);
    }
    lab_stall_stop(st);
    size_t size = lru_size(s.c);
    lru_destroy(s.c);
    lab_pass("%d rounds%s of %d threads x %ld gets and puts, then %d rounds of every thread putting the same %d "
             "new keys, cache of %d: every hit right, no key twice, map and list agree, %zu entries at the end",
             ROUNDS, lab_cut_note(rounds, ROUNDS), threads, s.iters, HERD_ROUNDS, HERD_KEYS, STRESS_CAP, size);
}

/* For the ThreadSanitizer build: the same mix, no pauses, a new cache every
 * round, so the size changes (while the cache fills) as threads ask it.
 * Thread 0 does nothing but ask the size: a thread that also gets and puts
 * takes the lock there, and that alone would order its unlocked reads of
 * the size after the writes, hiding the race from ThreadSanitizer. */
static void check_race_free(const lab_opts_t *o) {
    int threads = stress_threads(o);
    if (threads < 2)
        lab_fail("at least 2 threads (one asks the size) / --threads %d", threads);
    static stress_t s;
    stress_init(&s, o, 4, 1);
    lab_stall_t *st = stress_stall_watch(&s);
    for (int r = 0; r < ROUNDS / 2; r++) {
        s.c = lru_create(STRESS_CAP);
        stress_round(&s, threads, r);
        /* No lru_check() here: this check is about data races alone, and a
         * structure the stress check finds broken must not also cost this
         * one's points now and then (a grade that varies from run to run). */
        lru_destroy(s.c);
    }
    lab_stall_stop(st);
    lab_pass("%d rounds of %d threads x %ld gets and puts on a new cache, 1 thread asking the size: no race",
             ROUNDS / 2, threads - 1, s.iters);
}

static const lab_check_t checks[] = {
    {"lru-order",
     "exact LRU order against a model on a cache of 8, and of every capacity below 32; 64-bit keys and values; a "
     "get that waits for another thread's lock still makes its entry the most recent (x86-64)",
     check_lru_order, LAB_PAUSE_OFF},
    {"eviction",
     "one thread: a cache of 1024 keeps the newest, evicts the oldest, a get keeps an entry; no cache holds more "
     "than its capacity; any 16 keys fit in a new cache; calls cost the same on strided keys and in a cache of 2^19 "
     "(instructions counted)",
     check_eviction, LAB_PAUSE_OFF},
    {"stress", "8 rounds of 4 threads mixing gets and puts with pauses, 16 of all putting the same new keys, each round checked",
     check_stress, LAB_PAUSE_RANDOM},
    {"race-free", "3 threads get and put while 1 asks the size, for the ThreadSanitizer build", check_race_free,
     LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
