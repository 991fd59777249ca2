/* Lab 10, thread-local: another correct design, a C11 _Thread_local
 * pointer, with a pthread key kept only for the clean-up.
 *
 * A _Thread_local variable is the cheapest per-thread storage there is: an
 * offset from the thread pointer, no call. But C runs no destructor for it
 * when a thread exits, so a pointer to heap memory in one would leak a
 * session per thread. The session is therefore also registered under a
 * pthread key whose destructor frees it; the key is touched once per
 * thread, on the slow path, and every later lookup is the plain TLS read.
 * (Holding the whole session inline in a _Thread_local variable would need
 * no free at all, but then nothing could tell when a thread's session
 * ends, and session_live() could not be kept.) */
#include "session.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "lab.h"

typedef struct {
    char user[SESSION_NAME_MAX];
    int has_user;
    char greeting[SESSION_GREETING_MAX];
} session_t;

static atomic_long live; /* sessions made and not yet freed */

static _Thread_local session_t *mine; /* the fast path */

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key; /* only so that each thread's session is freed */

/* Run in each exiting thread that made a session. It forgets the pointer
 * too, in case another key's destructor later asks for the session (it
 * would then get a new one, freed in the next round of destructors). */
static void session_free(void *p) {
    free(p);
    mine = NULL;
    atomic_fetch_sub_explicit(&live, 1, memory_order_relaxed);
}

static void key_create(void) { LAB_PTHREAD(pthread_key_create(&key, session_free)); }

/* The calling thread's session; made first if `make` and there is none. */
static session_t *session_mine(int make) {
    session_t *s = mine;
    if (s == NULL && make) {
        s = lab_calloc(1, sizeof *s);
        LAB_PTHREAD(pthread_once(&key_once, key_create));
        LAB_PTHREAD(pthread_setspecific(key, s));
        mine = s;
        atomic_fetch_add_explicit(&live, 1, memory_order_relaxed);
    }
    return s;
}

void session_set_user(const char *name) {
    session_t *s = session_mine(1);
    if (name == s->user)
        return; /* set to itself: copying onto itself would be undefined */
    s->has_user = name != NULL;
    snprintf(s->user, sizeof s->user, "%s", name != NULL ? name : "");
}

const char *session_user(void) {
    session_t *s = session_mine(0);
    return s != NULL && s->has_user ? s->user : NULL;
}

const char *session_greeting(void) {
    session_t *s = session_mine(1);
    /* In two steps, as in broken.c; no other thread can write this buffer. */
    int n = snprintf(s->greeting, sizeof s->greeting, "Hello, ");
    lab_pause();
    snprintf(s->greeting + n, sizeof s->greeting - (size_t)n, "%s!", s->has_user ? s->user : "stranger");
    return s->greeting;
}

long session_live(void) { return atomic_load_explicit(&live, memory_order_relaxed); }
