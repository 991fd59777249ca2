/* Wrong submission for lab 10 (examiner H): fixed.c's pthread key, but the
 * session has no "has a user" flag: the empty string means "no user" ("a
 * user name is never empty anyway"), so set(NULL) stores "" and
 * session_user() returns NULL when the name is "". Wrong: session.h: "Make
 * `name` (copied) the calling thread's user; NULL forgets it": only NULL
 * forgets, and session_user() is NULL only "if it has set none". A login
 * form's empty field or an account named "" is taken for "no user".
 * How the grader shows it: single sets the user "" and expects
 * session_user() to be "" and the greeting "Hello, !": session_user() is
 * NULL (and the greeting "Hello, stranger!"), every run. */
#include "session.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "lab.h"

typedef struct {
    char user[SESSION_NAME_MAX]; /* "" = no user */
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
    session_t *s = session_mine(1);
    if (name == s->user)
        return; /* set to itself: copying onto itself would be undefined */
    snprintf(s->user, sizeof s->user, "%s", name != NULL ? name : ""); /* NULL: empty again */
}

const char *session_user(void) {
    session_t *s = session_mine(0);
    return s != NULL && s->user[0] != '\0' ? s->user : NULL;
}

const char *session_greeting(void) {
    session_t *s = session_mine(1);
    /* The same two steps as broken.c: the pause is harmless now, since no
     * other thread can write this buffer. */
    int n = snprintf(s->greeting, sizeof s->greeting, "Hello, ");
    lab_pause();
    snprintf(s->greeting + n, sizeof s->greeting - (size_t)n, "%s!", s->user[0] != '\0' ? s->user : "stranger");
    return s->greeting;
}

long session_live(void) { return atomic_load_explicit(&live, memory_order_relaxed); }
