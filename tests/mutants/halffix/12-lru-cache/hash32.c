/* Wrong: buckets come from Knuth's 32-bit multiplicative hash of the key's
 * low 32 bits, so keys that differ only above bit 31 (shard << 32 | id) all
 * fall into one bucket and every get and put walks a chain as long as the
 * cache: the README promises gets and puts "cost the same whatever the
 * keys". The eviction check counts the instructions of the same calls on
 * multiples of 2^32 and on consecutive keys (trap flag): 8 times as many
 * and more, every run. */
#include "lru.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "lab.h"

typedef struct node node_t;
struct node {
    uint64_t key, value;
    node_t *prev, *next; /* the LRU list: most recently used first */
    node_t *chain;       /* the next entry in the same hash bucket */
};

struct lru {
    pthread_mutex_t m; /* held by every operation, for its whole length */
    size_t capacity;
    size_t size;      /* nodes[0 .. size) are in use */
    node_t list;      /* the list's sentinel: list.next is the newest, list.prev the oldest */
    node_t **buckets; /* the hash map: a chain of entries per bucket */
    size_t mask;      /* buckets - 1 (their number is a power of two) */
    unsigned bits;    /* log2 of the number of buckets */
    node_t *nodes;    /* every entry the cache will ever need, allocated once */
};

/* Knuth's multiplicative (Fibonacci) hashing: multiply by 2^32 / phi and
 * keep the top bits of the 32-bit product, which depend on every bit of
 * the key (the low bits would not: multiples of 65536 all end in zeros). */
static size_t bucket_of(const lru_t *c, uint64_t key) {
    uint32_t h = (uint32_t)key * 2654435761u;
    return (size_t)(h >> (32 - c->bits));
}

static node_t **bucket(lru_t *c, uint64_t key) { return &c->buckets[bucket_of(c, key)]; }

static node_t *map_find(lru_t *c, uint64_t key) {
    for (node_t *n = *bucket(c, key); n != NULL; n = n->chain)
        if (n->key == key)
            return n;
    return NULL;
}

static void map_add(lru_t *c, node_t *n) {
    node_t **b = bucket(c, n->key);
    n->chain = *b;
    lab_pause(); /* the same window: the mutex keeps other puts out */
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
    while (nb < 2 * capacity) /* chains of one entry or none, mostly */
        nb *= 2;
    c->capacity = capacity;
    c->list.next = c->list.prev = &c->list;
    c->buckets = lab_calloc(nb, sizeof *c->buckets);
    c->mask = nb - 1;
    while ((1ULL << c->bits) < nb)
        c->bits++;
    c->nodes = lab_calloc(capacity, sizeof *c->nodes);
    return c;
}

int lru_get(lru_t *c, uint64_t key, uint64_t *value) {
    lab_mutex_lock(&c->m);
    node_t *n = map_find(c, key);
    if (n != NULL) {
        list_unlink(n);
        lab_pause(); /* out of the list, but no eviction can run now */
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
        lab_pause(); /* the same splice as in get */
        list_push_front(c, n);
        lab_mutex_unlock(&c->m);
        return;
    }
    if (c->size < c->capacity) {
        n = &c->nodes[c->size];
        lab_pause(); /* nobody else can take this free entry */
        c->size++;
    } else {
        n = c->list.prev; /* the least recently used */
        list_unlink(n);
        map_remove(c, n);
        lab_pause(); /* no get can be using the entry: gets hold the mutex too */
    }
    n->key = key;
    n->value = value;
    map_add(c, n);
    list_push_front(c, n);
    lab_mutex_unlock(&c->m);
}

size_t lru_size(lru_t *c) {
    lab_mutex_lock(&c->m);
    size_t n = c->size;
    lab_mutex_unlock(&c->m);
    return n;
}

/* ---- the invariant check --------------------------------------------------- */
static int complain(char *why, size_t len, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return -1;
}

/* An entry in use, as opposed to a stray pointer, the sentinel or a spare. */
static int in_use(const lru_t *c, const node_t *n) {
    uintptr_t p = (uintptr_t)n, lo = (uintptr_t)c->nodes;
    return p >= lo && p < lo + c->size * sizeof *n && (p - lo) % sizeof *n == 0;
}

/* seen[i]: bit 1 when nodes[i] is in the map, bit 2 when in the list. Every
 * walk is bounded by the entry count, so a cycle is reported, not followed. */
static int check_with(lru_t *c, unsigned char *seen, char *why, size_t len) {
    if (c->size > c->capacity)
        return complain(why, len, "%zu entries in a cache of capacity %zu", c->size, c->capacity);
    size_t mapped = 0;
    for (size_t b = 0; b <= c->mask; b++)
        for (node_t *n = c->buckets[b]; n != NULL; n = n->chain) {
            if (!in_use(c, n))
                return complain(why, len, "a hash chain links to something that is not an entry in use");
            if (seen[n - c->nodes] & 1)
                return complain(why, len, "the map holds the entry of key %llu twice (a chain runs in a cycle?)",
                                (unsigned long long)n->key);
            seen[n - c->nodes] |= 1;
            if (bucket_of(c, n->key) != b)
                return complain(why, len, "key %llu sits in the wrong hash bucket", (unsigned long long)n->key);
            mapped++;
        }
    size_t listed = 0;
    node_t *prev = &c->list;
    for (node_t *n = c->list.next; n != &c->list; prev = n, n = n->next) {
        if (!in_use(c, n))
            return complain(why, len, "the LRU list links to something that is not an entry in use (after %zu entries)",
                            listed);
        if (seen[n - c->nodes] & 2)
            return complain(why, len, "the LRU list runs in a cycle (key %llu comes round again)",
                            (unsigned long long)n->key);
        seen[n - c->nodes] |= 2;
        if (n->prev != prev)
            return complain(why, len, "the LRU list's links disagree: key %llu's back link is not the entry before it",
                            (unsigned long long)n->key);
        node_t *m = map_find(c, n->key);
        if (m != n && m != NULL && (seen[n - c->nodes] & 1))
            return complain(why, len, "key %llu has two entries (a put added a key that was already there)",
                            (unsigned long long)n->key);
        if (m != n)
            return complain(why, len, "the LRU list holds key %llu but the map does not find that entry",
                            (unsigned long long)n->key);
        listed++;
    }
    if (c->list.prev != prev)
        return complain(why, len, "the LRU list's tail link does not point to its last entry");
    for (size_t i = 0; i < c->size; i++)
        if (seen[i] == 1)
            return complain(why, len, "the map holds key %llu but the LRU list does not",
                            (unsigned long long)c->nodes[i].key);
    if (listed != c->size || mapped != c->size)
        return complain(why, len, "the count says %zu entries, the LRU list holds %zu and the map %zu", c->size,
                        listed, mapped);
    return 0;
}

int lru_check(lru_t *c, char *why, size_t len) {
    unsigned char *seen = lab_calloc(c->capacity, 1);
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
