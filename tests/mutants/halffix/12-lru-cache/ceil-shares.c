/* alt-striped.c with every stripe's share of the capacity rounded up ("so
 * that no entry is lost to the division"): when the stripe count does not
 * divide the capacity the shares add up to more than it, e.g. a cache of
 * 1000 in 16 stripes of 63 holds 1008 entries, a cache of 33 in 2 stripes
 * of 17 holds 34 (lru.h: "holds at most `capacity` entries"). Its
 * lru_check() checks each stripe against its own share only, and so agrees.
 * Demonstration: the eviction check puts ten times the capacity in
 * distinct keys into caches of capacities no allowed stripe count divides:
 * "a cache of capacity 33 holds at most 33 entries / lru_size() is 34". */
#include "lru.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

enum { MAX_STRIPES = 16, CACHE_LINE = 64 };

typedef struct node node_t;
struct node { /* links first: in the sentinel they follow the mutex in its line */
    node_t *prev, *next; /* the stripe's LRU list: most recently used first */
    uint64_t key, value;
    node_t *chain; /* the next entry in the same hash bucket */
};

typedef struct {
    pthread_mutex_t m; /* held by every operation on this stripe */
    node_t list;       /* sentinel: list.next is the newest, list.prev the oldest */
    size_t capacity;
    size_t size;      /* nodes[0 .. size) are in use */
    node_t **buckets; /* chains of entries */
    size_t mask;      /* buckets - 1 */
    node_t *nodes;    /* the stripe's entries, allocated once */
} __attribute__((aligned(CACHE_LINE))) stripe_t;

struct lru {
    size_t capacity;
    size_t nstripes; /* a power of two */
    stripe_t *stripes;
};

/* splitmix64's finaliser: the low bits pick a bucket, bits 32 and up a
 * stripe, so the keys of one stripe still spread over all its buckets. */
static uint64_t hash(uint64_t k) {
    k = (k ^ (k >> 30)) * 0xbf58476d1ce4e5b9ULL;
    k = (k ^ (k >> 27)) * 0x94d049bb133111ebULL;
    return k ^ (k >> 31);
}

static stripe_t *stripe_of(lru_t *c, uint64_t key) {
    return &c->stripes[(hash(key) >> 32) & (c->nstripes - 1)];
}

static node_t **bucket(stripe_t *s, uint64_t key) { return &s->buckets[hash(key) & s->mask]; }

static node_t *map_find(stripe_t *s, uint64_t key) {
    for (node_t *n = *bucket(s, key); n != NULL; n = n->chain)
        if (n->key == key)
            return n;
    return NULL;
}

static void map_add(stripe_t *s, node_t *n) {
    node_t **b = bucket(s, n->key);
    n->chain = *b;
    lab_pause(); /* the stripe's mutex keeps other puts out */
    *b = n;
}

static void map_remove(stripe_t *s, node_t *n) {
    for (node_t **p = bucket(s, n->key); *p != NULL; p = &(*p)->chain)
        if (*p == n) {
            *p = n->chain;
            return;
        }
}

static void list_unlink(node_t *n) {
    n->prev->next = n->next;
    n->next->prev = n->prev;
}

static void list_push_front(stripe_t *s, node_t *n) {
    n->next = s->list.next;
    n->prev = &s->list;
    s->list.next->prev = n;
    s->list.next = n;
}

static void stripe_init(stripe_t *s, size_t capacity) {
    lab_mutex_init(&s->m, NULL);
    size_t nb = 1;
    while (nb < 2 * capacity)
        nb *= 2;
    s->capacity = capacity;
    s->list.next = s->list.prev = &s->list;
    s->buckets = lab_calloc(nb, sizeof *s->buckets);
    s->mask = nb - 1;
    s->nodes = lab_calloc(capacity, sizeof *s->nodes);
}

lru_t *lru_create(size_t capacity) {
    if (capacity == 0) {
        fprintf(stderr, "lru_create: the capacity must be at least 1\n");
        abort();
    }
    lru_t *c = lab_calloc(1, sizeof *c);
    size_t n = 1;
    while (n < MAX_STRIPES && capacity / (2 * n) >= LRU_STRIPE_MIN)
        n *= 2;
    c->capacity = capacity;
    c->nstripes = n;
    c->stripes = lab_aligned_alloc(CACHE_LINE, n * sizeof *c->stripes);
    memset(c->stripes, 0, n * sizeof *c->stripes);
    size_t share = (capacity + n - 1) / n; /* rounded up: no entry lost to the division */
    for (size_t i = 0; i < n; i++)
        stripe_init(&c->stripes[i], share);
    return c;
}

int lru_get(lru_t *c, uint64_t key, uint64_t *value) {
    stripe_t *s = stripe_of(c, key);
    lab_mutex_lock(&s->m);
    node_t *n = map_find(s, key);
    if (n != NULL) {
        list_unlink(n);
        lab_pause(); /* out of the list, but no eviction can run in this stripe now */
        list_push_front(s, n);
        *value = n->value;
    }
    lab_mutex_unlock(&s->m);
    return n != NULL;
}

void lru_put(lru_t *c, uint64_t key, uint64_t value) {
    stripe_t *s = stripe_of(c, key);
    lab_mutex_lock(&s->m);
    node_t *n = map_find(s, key);
    if (n != NULL) {
        n->value = value;
        list_unlink(n);
        lab_pause();
        list_push_front(s, n);
        lab_mutex_unlock(&s->m);
        return;
    }
    if (s->size < s->capacity) {
        n = &s->nodes[s->size];
        lab_pause();
        s->size++;
    } else {
        n = s->list.prev; /* the stripe's least recently used */
        list_unlink(n);
        map_remove(s, n);
        lab_pause();
    }
    n->key = key;
    n->value = value;
    map_add(s, n);
    list_push_front(s, n);
    lab_mutex_unlock(&s->m);
}

/* The sum of the stripes' sizes, each read under its own lock: with other
 * threads busy it is a moment's estimate, but never above the capacity. */
size_t lru_size(lru_t *c) {
    size_t total = 0;
    for (size_t i = 0; i < c->nstripes; i++) {
        stripe_t *s = &c->stripes[i];
        lab_mutex_lock(&s->m);
        total += s->size;
        lab_mutex_unlock(&s->m);
    }
    return total;
}

/* ---- the invariant check --------------------------------------------------- */
static int complain(char *why, size_t len, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return -1;
}

static int in_use(const stripe_t *s, const node_t *n) {
    uintptr_t p = (uintptr_t)n, lo = (uintptr_t)s->nodes;
    return p >= lo && p < lo + s->size * sizeof *n && (p - lo) % sizeof *n == 0;
}

/* fixed.c's check, for stripe `si`, plus: every key is in its own stripe.
 * seen[i]: bit 1 when nodes[i] is in the map, bit 2 when in the list. */
static int check_stripe(lru_t *c, size_t si, unsigned char *seen, char *why, size_t len) {
    stripe_t *s = &c->stripes[si];
    if (s->size > s->capacity)
        return complain(why, len, "stripe %zu holds %zu entries, its share of the capacity is %zu", si, s->size,
                        s->capacity);
    size_t mapped = 0;
    for (size_t b = 0; b <= s->mask; b++)
        for (node_t *n = s->buckets[b]; n != NULL; n = n->chain) {
            if (!in_use(s, n))
                return complain(why, len, "a hash chain of stripe %zu links to something that is not an entry in use",
                                si);
            if (seen[n - s->nodes] & 1)
                return complain(why, len, "stripe %zu's map holds the entry of key %llu twice", si,
                                (unsigned long long)n->key);
            seen[n - s->nodes] |= 1;
            if ((hash(n->key) & s->mask) != b || stripe_of(c, n->key) != s)
                return complain(why, len, "key %llu sits in the wrong stripe or bucket", (unsigned long long)n->key);
            mapped++;
        }
    size_t listed = 0;
    node_t *prev = &s->list;
    for (node_t *n = s->list.next; n != &s->list; prev = n, n = n->next) {
        if (!in_use(s, n))
            return complain(why, len, "stripe %zu's LRU list links to something that is not an entry in use", si);
        if (seen[n - s->nodes] & 2)
            return complain(why, len, "stripe %zu's LRU list runs in a cycle", si);
        seen[n - s->nodes] |= 2;
        if (n->prev != prev)
            return complain(why, len, "stripe %zu's LRU list's links disagree at key %llu", si,
                            (unsigned long long)n->key);
        node_t *m = map_find(s, n->key);
        if (m != n && m != NULL && (seen[n - s->nodes] & 1))
            return complain(why, len, "key %llu has two entries (a put added a key that was already there)",
                            (unsigned long long)n->key);
        if (m != n)
            return complain(why, len, "the LRU list holds key %llu but the map does not find that entry",
                            (unsigned long long)n->key);
        listed++;
    }
    if (s->list.prev != prev)
        return complain(why, len, "stripe %zu's tail link does not point to its last entry", si);
    for (size_t i = 0; i < s->size; i++)
        if (seen[i] == 1)
            return complain(why, len, "the map holds key %llu but the LRU list does not",
                            (unsigned long long)s->nodes[i].key);
    if (listed != s->size || mapped != s->size)
        return complain(why, len, "stripe %zu's count says %zu entries, its list holds %zu and its map %zu", si,
                        s->size, listed, mapped);
    return 0;
}

int lru_check(lru_t *c, char *why, size_t len) {
    size_t total = 0;
    for (size_t i = 0; i < c->nstripes; i++) {
        stripe_t *s = &c->stripes[i];
        unsigned char *seen = lab_calloc(s->capacity, 1);
        lab_mutex_lock(&s->m);
        int rc = check_stripe(c, i, seen, why, len);
        total += s->size;
        lab_mutex_unlock(&s->m);
        free(seen);
        if (rc != 0)
            return rc;
    }
    return 0;
}

void lru_destroy(lru_t *c) {
    for (size_t i = 0; i < c->nstripes; i++) {
        lab_mutex_destroy(&c->stripes[i].m);
        free(c->stripes[i].nodes);
        free(c->stripes[i].buckets);
    }
    free(c->stripes);
    free(c);
}
