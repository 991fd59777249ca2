/* Wrong submission for lab 10: session_set_user(NULL) ("log out") frees the
 * thread's session at once and the next call makes a new one, so
 * session_live() drops while threads that used their session still run,
 * breaking session.h: a session is "made on its first use and freed when the
 * thread exits", and session_live() is N "while N threads have used their
 * session". How the grader shows it: freed reads session_live() in every
 * thread as soon as all 32 of a round have used their sessions, before any
 * greets: a quarter of them made set(NULL) their last call and still run, so
 * the count is 26, not 34 (the 32 and two long-lived threads), every round. */
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

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key; /* each thread's slot holds its own session */

/* Run by each exiting thread whose slot holds a session. */
static void session_free(void *p) {
    free(p);
    atomic_fetch_sub_explicit(&live, 1, memory_order_relaxed);
}

static void key_create(void) { LAB_PTHREAD(pthread_key_create(&key, session_free)); }

/* The calling thread's session; made first if `make` and there is none. */
static session_t *session_mine(int make) {
    LAB_PTHREAD(pthread_once(&key_once, key_create));
    session_t *s = pthread_getspecific(key);
    if (s == NULL && make) {
        s = lab_calloc(1, sizeof *s);
        LAB_PTHREAD(pthread_setspecific(key, s));
        atomic_fetch_add_explicit(&live, 1, memory_order_relaxed);
    }
    return s;
}

void session_set_user(const char *name) {
    if (name == NULL) { /* logging out ends the session: give its memory back now */
        session_t *old = session_mine(0);
        if (old != NULL) {
            LAB_PTHREAD(pthread_setspecific(key, NULL));
            session_free(old);
        }
        return;
    }
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
