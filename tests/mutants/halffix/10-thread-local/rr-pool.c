/* Wrong submission for lab 10: sessions come from a static pool of 256
 * handed out round-robin by an atomic counter, so a thread that lives while
 * 256 others start shares its session with the 256th (its user is wiped and
 * both then read and write one session), breaking session.h: "Every thread
 * has its own session" and "a set changes only the calling thread's user".
 * How the grader shows it: freed has the main thread and one long-lived
 * thread set their users before the first of 48 rounds of 32 short-lived
 * threads; after each round the main thread reads its user and greeting
 * back: after 256 threads came and went, the pool's turn has come round to
 * the main thread's slot, and its user is gone (a newcomer's, or none),
 * every run. */
#include "session.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

typedef struct {
    char user[SESSION_NAME_MAX];
    int has_user;
    char greeting[SESSION_GREETING_MAX];
} session_t;

static atomic_long live; /* sessions made and not yet freed */

enum { POOL = 256 }; /* sessions, reused in turn: far more than the threads that run at once */
static session_t pool[POOL];
static atomic_uint next_slot;

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key; /* each thread's slot holds its own session */

/* Run by each exiting thread whose slot holds a session. */
static void session_free(void *p) {
    (void)p; /* the slot goes back to the pool: it is reused in turn */
    atomic_fetch_sub_explicit(&live, 1, memory_order_relaxed);
}

static void key_create(void) { LAB_PTHREAD(pthread_key_create(&key, session_free)); }

/* The calling thread's session; made first if `make` and there is none. */
static session_t *session_mine(int make) {
    LAB_PTHREAD(pthread_once(&key_once, key_create));
    session_t *s = pthread_getspecific(key);
    if (s == NULL && make) {
        s = &pool[atomic_fetch_add_explicit(&next_slot, 1, memory_order_relaxed) % POOL];
        memset(s, 0, sizeof *s);
        LAB_PTHREAD(pthread_setspecific(key, s));
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
    /* The same two steps as broken.c: the pause is harmless now, since no
     * other thread can write this buffer. */
    int n = snprintf(s->greeting, sizeof s->greeting, "Hello, ");
    lab_pause();
    snprintf(s->greeting + n, sizeof s->greeting - (size_t)n, "%s!", s->has_user ? s->user : "stranger");
    return s->greeting;
}

long session_live(void) { return atomic_load_explicit(&live, memory_order_relaxed); }
