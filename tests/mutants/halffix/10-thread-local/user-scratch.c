/* Wrong submission for lab 10 (examiner H): fixed.c's pthread key, but each
 * session has one "out" buffer for everything it hands back:
 * session_user() copies the user into it and returns the copy ("never hand
 * out a pointer into the session"), and session_greeting() formats into
 * the same buffer. Wrong: session.h: session_user()'s string "stays valid
 * until this thread sets another user or exits"; here the thread's next
 * greeting overwrites it with "Hello, <user>!". Isolation between threads
 * is right: the buffer is per thread.
 * How the grader shows it: single sets "alice", keeps the pointer
 * session_user() gives, asks for the greeting and reads the kept string:
 * it is "Hello, alice!", every run. */
#include "session.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "lab.h"

typedef struct {
    char user[SESSION_NAME_MAX];
    int has_user;
    char out[SESSION_GREETING_MAX]; /* what this thread's calls hand out */
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
    session_t *s = session_mine(1);
    if (name == s->user || name == s->out) {
        if (name == s->out && name != NULL) { /* a copy we handed out */
            char tmp[SESSION_NAME_MAX];
            snprintf(tmp, sizeof tmp, "%s", name);
            snprintf(s->user, sizeof s->user, "%s", tmp);
            s->has_user = 1;
        }
        return;
    }
    s->has_user = name != NULL;
    snprintf(s->user, sizeof s->user, "%s", name != NULL ? name : "");
}

const char *session_user(void) {
    session_t *s = session_mine(0);
    if (s == NULL || !s->has_user)
        return NULL;
    /* Hand out a copy, not the session's own field: a caller that writes
     * through the pointer cannot change the user. */
    snprintf(s->out, sizeof s->out, "%s", s->user);
    return s->out;
}

const char *session_greeting(void) {
    session_t *s = session_mine(1);
    /* The same two steps as broken.c: the pause is harmless now, since no
     * other thread can write this buffer. */
    int n = snprintf(s->out, sizeof s->out, "Hello, ");
    lab_pause();
    snprintf(s->out + n, sizeof s->out - (size_t)n, "%s!", s->has_user ? s->user : "stranger");
    return s->out;
}

long session_live(void) { return atomic_load_explicit(&live, memory_order_relaxed); }
