/* Lab 12, LRU cache: the benchmarks. All threads share one cache of 4096
 * entries and do memoised lookups on it, as a decorated function would: get
 * a key drawn at random, and on a miss put the value computed for it. One
 * operation is one lookup. The key range sets the hit ratio:
 *   hit100  keys drawn from 2048, all of which fit: every get hits, so the
 *           cost is a get alone (which still moves an entry in the list)
 *   hit50   keys drawn from 8192, twice the capacity: about half the gets
 *           miss, and each miss is a put that evicts the oldest entry
 * The cache is filled before the clock starts, so the ratio holds from the
 * first lookup; each thread's measured hit ratio is reported as the counter
 * `hit_ratio` (averaged over threads) in gbench.json.
 *
 * broken.c is timed with one thread only: a second thread corrupts its
 * list within microseconds, and then it crashes or loops forever. Its row
 * is the price of the lookup with no lock at all, beside fixed.c's one
 * thread (an uncontended lock) and alt-striped.c's.
 *
 * The floor of both mixes (impl=floor, floor=pthread_mutex_direct_map): the
 * C library has no LRU cache, nor any concurrent map, so there is no
 * primitive for this job. The nearest honest floor is the least a shared
 * memo can do: one pthread mutex around a direct-mapped table of the same
 * capacity (key modulo size: a look at one slot, a put overwrites it), the
 * same loop and key draw, so the same hit ratios, and no recency order.
 * What a reference pays above it is the hash chain and the LRU list.
 *
 *   $ build/labs/12-lru-cache/fixed/bench --threads 1,2 --benchmark_filter=hit50
 */
#include <pthread.h>
#include <string.h>

#include "labbench.h"
#include "lru.h"

enum { CAPACITY = 4096, BATCH = 64 };

typedef struct {
    const char *op;
    uint64_t keys; /* keys are drawn from 0 .. keys-1 */
} mix_t;

static const mix_t mixes[] = {{"hit100", CAPACITY / 2}, {"hit50", 2 * CAPACITY}};

static lru_t *cache;

/* The value a decorated function would compute for `key`; cheap, so the
 * bench times the cache rather than the function. */
static uint64_t compute(uint64_t key) { return key * 0x9e3779b97f4a7c15ULL; }

static void bm_memo(gb_state_t *st, void *arg) {
    const mix_t *mix = arg;
    labbench_thread_begin(st);
    if (gb_thread_index(st) == 0) { /* before the start barrier of the timing loop */
        cache = lru_create(CAPACITY);
        for (uint64_t k = 0; k < CAPACITY && k < mix->keys; k++)
            lru_put(cache, k, compute(k));
    }
    uint64_t x = 0x9e3779b97f4a7c15ULL * (uint64_t)(gb_thread_index(st) + 1), range = mix->keys;
    int64_t hits = 0;
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
            uint64_t key = ((x >> 32) * range) >> 32, v;
            if (lru_get(cache, key, &v)) {
                hits++;
                GB_DO_NOT_OPTIMIZE(v);
            } else {
                lru_put(cache, key, compute(key));
            }
        }
    int64_t done = gb_iterations_done(st);
    gb_counter_set(st, "hit_ratio", done > 0 ? (double)hits / (double)done : 0, GB_COUNTER_AVG_THREADS);
    if (gb_thread_index(st) == 0) /* every thread has left the loop (its end barrier) */
        lru_destroy(cache);
    labbench_thread_end(st, mix->op, done);
}

static struct {
    pthread_mutex_t m;
    struct {
        uint64_t key, value; /* key + 1: 0 is an empty slot */
    } slot[CAPACITY];
} floor_memo = {.m = PTHREAD_MUTEX_INITIALIZER};

static void bm_floor(gb_state_t *st, void *arg) {
    const mix_t *mix = arg;
    labbench_thread_begin(st);
    if (gb_thread_index(st) == 0) {
        memset(floor_memo.slot, 0, sizeof floor_memo.slot);
        for (uint64_t k = 0; k < CAPACITY && k < mix->keys; k++)
            floor_memo.slot[k % CAPACITY].key = k + 1, floor_memo.slot[k % CAPACITY].value = compute(k);
    }
    uint64_t x = 0x9e3779b97f4a7c15ULL * (uint64_t)(gb_thread_index(st) + 1), range = mix->keys;
    int64_t hits = 0;
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            uint64_t key = ((x >> 32) * range) >> 32, s = key % CAPACITY, v = 0;
            pthread_mutex_lock(&floor_memo.m);
            int hit = floor_memo.slot[s].key == key + 1;
            if (hit)
                v = floor_memo.slot[s].value;
            pthread_mutex_unlock(&floor_memo.m);
            if (hit) {
                hits++;
                GB_DO_NOT_OPTIMIZE(v);
            } else {
                v = compute(key);
                pthread_mutex_lock(&floor_memo.m);
                floor_memo.slot[s].key = key + 1, floor_memo.slot[s].value = v;
                pthread_mutex_unlock(&floor_memo.m);
            }
        }
    int64_t done = gb_iterations_done(st);
    gb_counter_set(st, "hit_ratio", done > 0 ? (double)hits / (double)done : 0, GB_COUNTER_AVG_THREADS);
    labbench_thread_end(st, mix->op, done);
}

void lab_bench_register(const labbench_t *lb) {
    labbench_register_floor(lb, "hit100-floor", "pthread_mutex_direct_map", bm_floor, (void *)&mixes[0]);
    labbench_register_floor(lb, "hit50-floor", "pthread_mutex_direct_map", bm_floor, (void *)&mixes[1]);
    int alone = strcmp(lb->impl, "broken") == 0;
    for (size_t m = 0; m < sizeof mixes / sizeof mixes[0]; m++) {
        void *arg = (void *)&mixes[m];
        if (!alone) {
            labbench_register(lb, mixes[m].op, bm_memo, arg);
            continue;
        }
        for (int k = 0; k < lb->nthreads; k++)
            if (lb->threads[k] == 1)
                gb_threads(gb_use_real_time(gb_register(mixes[m].op, bm_memo, arg)), 1);
    }
}
