/* Wrong: each session keeps its user as its own copy on the heap (strdup,
 * so that a name of any length fits before it is cut), and the pthread key's
 * destructor frees the session first and then the copy, which it reads out
 * of the session it has just freed: a use after free in every thread that
 * exits with a user. Most runs it even works, as long as nothing has taken
 * the freed block back. The grader keeps freed blocks out of use and
 * watches them (perturb.c's quarantine), so the read of s->user fails
 * every check in which a thread exits with a user, every run, with "memory
 * is not used after it is freed". */
#include "session.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

typedef struct {
    char *user; /* NULL: none */
    char greeting[SESSION_GREETING_MAX];
} session_t;

static atomic_long live; /* sessions made and not yet freed */

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key; /* each thread's slot holds its own session */

/* Run by each exiting thread whose slot holds a session. */
static void session_free(void *p) {
    session_t *s = p;
    free(s);
    free(s->user);
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
    if (name == s->user)
        return;
    char *copy = NULL;
    if (name != NULL) {
        size_t n = strnlen(name, SESSION_NAME_MAX - 1);
        copy = malloc(n + 1);
        if (copy == NULL)
            abort();
        memcpy(copy, name, n);
        copy[n] = '\0';
    }
    free(s->user);
    s->user = copy;
}

const char *session_user(void) {
    session_t *s = session_mine(0);
    return s != NULL ? s->user : NULL;
}

const char *session_greeting(void) {
    session_t *s = session_mine(1);
    snprintf(s->greeting, sizeof s->greeting, "Hello, %s!", s->user != NULL ? s->user : "stranger");
    return s->greeting;
}

long session_live(void) { return atomic_load_explicit(&live, memory_order_relaxed); }
