/* Lab 14, shared memory: the API of one number that several processes (or
 * threads) add to, the C counterpart of multiprocessing.Value. broken.c,
 * fixed.c, alt-*.c and student.c all include this header.
 *
 * The value lives in memory mapped MAP_SHARED, so a process forked after
 * shm_value_create() works on the very same number as its parent, not on a
 * copy. Everything here may be called from any process or thread that can
 * see the value. */
#ifndef LOCKLAB_SHMVALUE_H
#define LOCKLAB_SHMVALUE_H

typedef struct shm_value shm_value_t;

/* A multi-step change for shm_value_update(): the new value, from the old.
 * It may be called more than once for one update (an implementation may
 * retry), so it must not have side effects that count. */
typedef long shm_value_fn_t(long old, void *arg);

/* A value set to `initial`, in shared memory: children forked after this
 * call share it. Never returns NULL (aborts with a reason instead). */
shm_value_t *shm_value_create(long initial);

/* Add `delta`: one step, as if nothing else ran meanwhile. */
void shm_value_add(shm_value_t *v, long delta);

/* Replace the value by fn(old, arg) as one step (no other change comes
 * between reading `old` and storing the result) and return what was
 * stored. Python's `with v.get_lock(): v.value = f(v.value)`. */
long shm_value_update(shm_value_t *v, shm_value_fn_t *fn, void *arg);

/* The value now. */
long shm_value_get(shm_value_t *v);

/* Unmap the value. Only when no process or thread uses it any more. */
void shm_value_destroy(shm_value_t *v);

#endif
