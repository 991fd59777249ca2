/* Wrong submission for lab 10 (examiner E): fixed.c's pthread key, but the
 * user name is a heap copy sized for the name: set_user() frees the old
 * copy first, then copies the new name. Wrong: session.h says
 * session_user()'s string "stays valid until this thread sets another
 * user", so a caller may pass it back, session_set_user(session_user()):
 * set_user() then frees the name it is about to copy and reads freed
 * memory (a use after free). The header: "Make `name` (copied) the calling
 * thread's user".
 * How the grader shows it: single sets "alice", then
 * session_set_user(session_user()), and expects the user still to be
 * "alice": it is not (the copy is made from freed memory), every run. */
#include "session.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

typedef struct {
    char *user; /* a heap copy, or NULL */
    char greeting[SESSION_GREETING_MAX];
} session_t;

static atomic_long live; /* sessions made and not yet freed */

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key; /* each thread's slot holds its own session */

/* Run by each exiting thread whose slot holds a session. */
static void session_free(void *p) {
    session_t *s = p;
    free(s->user);
    free(s);
    atomic_fetch_sub_explicit(&live, 1, memory_order_relaxed);
}

static void key_create(void) { LAB_PTHREAD(pthread_key_create(&key, session_free)); }

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
    free(s->user); /* drop the old name */
    s->user = NULL;
    if (name != NULL) {
        size_t n = strlen(name);
        if (n > SESSION_NAME_MAX - 1)
            n = SESSION_NAME_MAX - 1; /* longer names are cut */
        s->user = lab_calloc(n + 1, 1);
        memcpy(s->user, name, n);
    }
}

const char *session_user(void) {
    session_t *s = session_mine(0);
    return s != NULL ? s->user : NULL;
}

const char *session_greeting(void) {
    session_t *s = session_mine(1);
    int n = snprintf(s->greeting, sizeof s->greeting, "Hello, ");
    lab_pause();
    snprintf(s->greeting + n, sizeof s->greeting - (size_t)n, "%s!", s->user != NULL ? s->user : "stranger");
    return s->greeting;
}

long session_live(void) { return atomic_load_explicit(&live, memory_order_relaxed); }
