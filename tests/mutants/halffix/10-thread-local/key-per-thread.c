/* alt-tls.c's design, but each thread makes a pthread key of its own on
 * first use, to register the destructor that frees its session, and no key
 * is ever deleted. A key is a process-wide resource: glibc has 1024
 * (PTHREAD_KEYS_MAX) for the whole process, and a key stays taken after its
 * thread has exited, so about the 1020th thread that uses a session finds
 * none left and the process aborts in pthread_key_create() (EAGAIN): a
 * server with a thread per connection dies after ~1000 connections.
 * Demonstration: the freed check runs 48 rounds of 32 threads, 1536 in one
 * process: the check crashes with SIGABRT in round 32 or so, naming
 * pthread_key_create() "Resource temporarily unavailable". */
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


/* Run in each exiting thread that made a session. It forgets the pointer
 * too, in case another key's destructor later asks for the session (it
 * would then get a new one, freed in the next round of destructors). */
static void session_free(void *p) {
    free(p);
    mine = NULL;
    atomic_fetch_sub_explicit(&live, 1, memory_order_relaxed);
}


/* The calling thread's session; made first if `make` and there is none. */
static session_t *session_mine(int make) {
    session_t *s = mine;
    if (s == NULL && make) {
        s = lab_calloc(1, sizeof *s);
        /* register this thread's clean-up: a key whose destructor frees s */
        pthread_key_t cleanup;
        LAB_PTHREAD(pthread_key_create(&cleanup, session_free));
        LAB_PTHREAD(pthread_setspecific(cleanup, s));
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
