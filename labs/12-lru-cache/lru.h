/* Lab 12, LRU cache: the API of a fixed-size cache of 64-bit keys and values
 * that evicts the least recently used entry when it is full, the store
 * behind a memoising decorator. broken.c, fixed.c, alt-*.c and student.c all
 * include this header.
 *
 * get, put and size may be called from many threads at once. "Used" means a
 * put of the key or a get that hit it: both make the entry the most recent.
 *
 * Striping. A cache of capacity >= 2 * LRU_STRIPE_MIN may be split by a hash
 * of the key into stripes, each with its own lock, its own LRU order and an
 * equal share of the capacity (alt-striped.c does this). A full stripe then
 * evicts its own least recently used entry, which for well-spread keys is
 * one of the oldest in the cache but not always the very oldest: LRU order
 * is exact per stripe and approximate across the whole cache. A cache of
 * capacity < 2 * LRU_STRIPE_MIN is never split, so its LRU order is exact.
 */
#ifndef LOCKLAB_LRU_H
#define LOCKLAB_LRU_H

#include <stddef.h>
#include <stdint.h>

typedef struct lru lru_t;

/* Fewest entries a stripe may hold. */
#define LRU_STRIPE_MIN 16

/* An empty cache that holds at most `capacity` (>= 1) entries. Never
 * returns NULL. */
lru_t *lru_create(size_t capacity);

/* 1 and *value set to the value last put for `key`, which becomes the most
 * recently used entry; 0 if `key` is not cached (*value is left alone). */
int lru_get(lru_t *c, uint64_t key, uint64_t *value);

/* Cache `value` for `key`, replacing any value it had; the entry becomes
 * the most recently used. A new key in a full cache (or a full stripe)
 * first evicts the least recently used entry. */
void lru_put(lru_t *c, uint64_t key, uint64_t value);

/* Entries cached now (never more than the capacity). */
size_t lru_size(lru_t *c);

/* Checks the cache's structure: at most `capacity` entries, the hash map
 * and the LRU list hold the same entries, every link of the list agrees
 * with the link back, no cycles, and the entry count matches. 0 when all
 * hold; else -1, with one line on what is wrong in why[0..len). Call it only
 * while no other thread uses the cache; it never loops forever, whatever
 * state the cache is in. */
int lru_check(lru_t *c, char *why, size_t len);

void lru_destroy(lru_t *c);

#endif
