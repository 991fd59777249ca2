/* Wrong because: lru_size() reads an atomic count without the lock ("an
 * atomic needs no lock": no data race, so ThreadSanitizer is content), and
 * put() of a new key into a full cache follows the textbook order: add the
 * new entry (count + 1), then, if the count is over the capacity, evict the
 * oldest (count - 1). Between the two, under the lock, the count says
 * capacity + 1, and a thread asking lru_size() then gets capacity + 1.
 * lru.h: lru_size() is "Entries cached now (never more than the
 * capacity)", and a new key in a full cache "first evicts" the least
 * recently used entry. The grader's stress check asks lru_size() while
 * others put, but the window is a handful of instructions inside the
 * lock.
 * The grader shows it: stress reads lru_size() while 4 threads put new
 * keys into full caches, with the implementation perturbed inside its
 * critical sections: it reads capacity + 1 every run (11/24). */
#include "lru.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "lab.h"

typedef struct node node_t;
struct node {
    uint64_t key, value;
    node_t *prev, *next; /* the LRU list: most recently used first */
    node_t *chain;       /* the next entry in the same hash bucket, or the free list */
    int used;
};

struct lru {
    pthread_mutex_t m; /* held by get and put for their whole length */
    size_t capacity;
    atomic_size_t count; /* entries cached: read by lru_size() without the lock */
    node_t list;         /* sentinel: list.next is the newest, list.prev the oldest */
    node_t **buckets;
    size_t mask;
    node_t *nodes; /* capacity + 1 entries: room for the newcomer before the eviction */
    node_t *free;  /* entries not in use, chained */
};

static uint64_t hash(uint64_t k) {
    k = (k ^ (k >> 30)) * 0xbf58476d1ce4e5b9ULL;
    k = (k ^ (k >> 27)) * 0x94d049bb133111ebULL;
    return k ^ (k >> 31);
}

static node_t **bucket(lru_t *c, uint64_t key) { return &c->buckets[hash(key) & c->mask]; }

static node_t *map_find(lru_t *c, uint64_t key) {
    for (node_t *n = *bucket(c, key); n != NULL; n = n->chain)
        if (n->key == key)
            return n;
    return NULL;
}

static void map_add(lru_t *c, node_t *n) {
    node_t **b = bucket(c, n->key);
    n->chain = *b;
    lab_pause();
    *b = n;
}

static void map_remove(lru_t *c, node_t *n) {
    for (node_t **p = bucket(c, n->key); *p != NULL; p = &(*p)->chain)
        if (*p == n) {
            *p = n->chain;
            return;
        }
}

static void list_unlink(node_t *n) {
    n->prev->next = n->next;
    n->next->prev = n->prev;
}

static void list_push_front(lru_t *c, node_t *n) {
    n->next = c->list.next;
    n->prev = &c->list;
    c->list.next->prev = n;
    c->list.next = n;
}

lru_t *lru_create(size_t capacity) {
    if (capacity == 0) {
        fprintf(stderr, "lru_create: the capacity must be at least 1\n");
        abort();
    }
    lru_t *c = lab_calloc(1, sizeof *c);
    lab_mutex_init(&c->m, NULL);
    size_t nb = 1;
    while (nb < 2 * capacity)
        nb *= 2;
    c->capacity = capacity;
    atomic_init(&c->count, 0);
    c->list.next = c->list.prev = &c->list;
    c->buckets = lab_calloc(nb, sizeof *c->buckets);
    c->mask = nb - 1;
    c->nodes = lab_calloc(capacity + 1, sizeof *c->nodes);
    for (size_t i = capacity + 1; i-- > 0;) {
        c->nodes[i].chain = c->free;
        c->free = &c->nodes[i];
    }
    return c;
}

int lru_get(lru_t *c, uint64_t key, uint64_t *value) {
    lab_mutex_lock(&c->m);
    node_t *n = map_find(c, key);
    if (n != NULL) {
        list_unlink(n);
        lab_pause();
        list_push_front(c, n);
        *value = n->value;
    }
    lab_mutex_unlock(&c->m);
    return n != NULL;
}

void lru_put(lru_t *c, uint64_t key, uint64_t value) {
    lab_mutex_lock(&c->m);
    node_t *n = map_find(c, key);
    if (n != NULL) {
        n->value = value;
        list_unlink(n);
        lab_pause();
        list_push_front(c, n);
        lab_mutex_unlock(&c->m);
        return;
    }
    n = c->free; /* there is always one: capacity + 1 entries */
    c->free = n->chain;
    n->used = 1;
    n->key = key;
    n->value = value;
    map_add(c, n);
    list_push_front(c, n);
    if (atomic_fetch_add(&c->count, 1) + 1 > c->capacity) { /* over: evict the least recently used */
        node_t *old = c->list.prev;
        list_unlink(old);
        map_remove(c, old);
        old->used = 0;
        old->chain = c->free;
        c->free = old;
        atomic_fetch_sub(&c->count, 1);
    }
    lab_mutex_unlock(&c->m);
}

size_t lru_size(lru_t *c) { return atomic_load(&c->count); }

/* ---- the invariant check --------------------------------------------------- */
static int complain(char *why, size_t len, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return -1;
}

static int in_use(const lru_t *c, const node_t *n) {
    uintptr_t p = (uintptr_t)n, lo = (uintptr_t)c->nodes;
    return p >= lo && p < lo + (c->capacity + 1) * sizeof *n && (p - lo) % sizeof *n == 0 && n->used;
}

static int check_with(lru_t *c, unsigned char *seen, char *why, size_t len) {
    size_t count = atomic_load(&c->count);
    if (count > c->capacity)
        return complain(why, len, "%zu entries in a cache of capacity %zu", count, c->capacity);
    size_t mapped = 0;
    for (size_t b = 0; b <= c->mask; b++)
        for (node_t *n = c->buckets[b]; n != NULL; n = n->chain) {
            if (!in_use(c, n))
                return complain(why, len, "a hash chain links to something that is not an entry in use");
            if (seen[n - c->nodes] & 1)
                return complain(why, len, "the map holds the entry of key %llu twice", (unsigned long long)n->key);
            seen[n - c->nodes] |= 1;
            if ((hash(n->key) & c->mask) != b)
                return complain(why, len, "key %llu sits in the wrong hash bucket", (unsigned long long)n->key);
            if (++mapped > c->capacity + 1)
                return complain(why, len, "the map holds more entries than there are");
        }
    size_t listed = 0;
    node_t *prev = &c->list;
    for (node_t *n = c->list.next; n != &c->list; prev = n, n = n->next) {
        if (!in_use(c, n))
            return complain(why, len, "the LRU list links to something that is not an entry in use");
        if (seen[n - c->nodes] & 2)
            return complain(why, len, "the LRU list runs in a cycle (key %llu comes round again)",
                            (unsigned long long)n->key);
        seen[n - c->nodes] |= 2;
        if (n->prev != prev)
            return complain(why, len, "the LRU list's links disagree at key %llu", (unsigned long long)n->key);
        node_t *m = map_find(c, n->key);
        if (m != n && m != NULL && (seen[n - c->nodes] & 1))
            return complain(why, len, "key %llu has two entries", (unsigned long long)n->key);
        if (m != n)
            return complain(why, len, "the LRU list holds key %llu but the map does not find that entry",
                            (unsigned long long)n->key);
        listed++;
    }
    if (c->list.prev != prev)
        return complain(why, len, "the LRU list's tail link does not point to its last entry");
    for (size_t i = 0; i <= c->capacity; i++)
        if (seen[i] == 1)
            return complain(why, len, "the map holds key %llu but the LRU list does not",
                            (unsigned long long)c->nodes[i].key);
    if (listed != count || mapped != count)
        return complain(why, len, "the count says %zu entries, the LRU list holds %zu and the map %zu", count, listed,
                        mapped);
    return 0;
}

int lru_check(lru_t *c, char *why, size_t len) {
    unsigned char *seen = lab_calloc(c->capacity + 1, 1);
    lab_mutex_lock(&c->m);
    int rc = check_with(c, seen, why, len);
    lab_mutex_unlock(&c->m);
    free(seen);
    return rc;
}

void lru_destroy(lru_t *c) {
    lab_mutex_destroy(&c->m);
    free(c->nodes);
    free(c->buckets);
    free(c);
}
