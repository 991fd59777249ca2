/* Wrong submission for lab 10: the greeting buffer is sized as "Hello, " +
 * the longest name + the NUL, forgetting the "!", which is appended only "if
 * there is room", so a 31-character user (any cut name) is greeted "Hello,
 * <name>" without "!", breaking session.h: the greeting is "Hello, <user>!"
 * and "always fits in SESSION_GREETING_MAX bytes". How the grader shows it:
 * single greets a name of every length from 1 to 40 and expects "Hello,
 * <user>!" whole: the 31-character name (and every longer one, cut to 31) is
 * greeted without its "!", every run. */
#include "session.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "lab.h"

typedef struct {
    char user[SESSION_NAME_MAX];
    int has_user;
    char greeting[sizeof "Hello, " + SESSION_NAME_MAX - 1]; /* "Hello, ", the name, the NUL */
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
    size_t n = (size_t)snprintf(s->greeting, sizeof s->greeting, "Hello, ");
    lab_pause();
    n += (size_t)snprintf(s->greeting + n, sizeof s->greeting - n, "%s", s->has_user ? s->user : "stranger");
    if (n + 1 < sizeof s->greeting) { /* the "!", if there is room left */
        s->greeting[n] = '!';
        s->greeting[n + 1] = '\0';
    }
    return s->greeting;
}

long session_live(void) { return atomic_load_explicit(&live, memory_order_relaxed); }
