/* Wrong submission for lab 10 (examiner E): alt-tls.c's design (a
 * _Thread_local pointer to a heap session, a pthread key only for the
 * clean-up at thread exit), but the session is handed to the key in
 * session_set_user() only ("the clean-up matters once a user is stored"),
 * not where it is made. Wrong: a thread that only asks for its greeting
 * makes a session the key never sees: it is never freed, and
 * session_live() never counts it down. session.h: "Every thread has its own
 * session, made on its first use and freed when the thread exits";
 * session_live(): "it drops by one as each of them exits".
 * How the grader shows it: in freed, one thread in four only greets, never
 * setting a user; after each round of 32 the driver's own count of the
 * implementation's live blocks is 8 higher than before it, and the check
 * fails in the first round, every run. */
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
        mine = s;
        atomic_fetch_add_explicit(&live, 1, memory_order_relaxed);
    }
    return s;
}

void session_set_user(const char *name) {
    session_t *s = session_mine(1);
    /* a user is stored from now on: have the session freed at thread exit */
    LAB_PTHREAD(pthread_once(&key_once, key_create));
    LAB_PTHREAD(pthread_setspecific(key, s));
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
