/* The user's name is a heap copy (malloc, cut to 31 characters), freed
 * when another name replaces it and when the thread exits, but set(NULL)
 * only drops the pointer ("forget it") without freeing the copy: every
 * set(NULL) after a set(name) leaks the old name for good, even after the
 * thread has exited. Demonstration: in the freed check every thread sets a
 * user, forgets it twice, sets two more, and half of them forget the last
 * one before exiting; the driver's own count of the implementation's live
 * allocations is up by 48 blocks after the first round of 32 threads
 * (one per thread, and one more for each thread that ended without a
 * user). */
#include "session.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

typedef struct {
    char *user; /* the user's name, a copy of its own, or NULL */
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
    if (name == NULL) { /* forget the user */
        s->user = NULL;
        return;
    }
    size_t len = strlen(name);
    if (len > SESSION_NAME_MAX - 1)
        len = SESSION_NAME_MAX - 1; /* longer names are cut */
    char *copy = malloc(len + 1);
    if (copy == NULL)
        abort();
    memcpy(copy, name, len);
    copy[len] = '\0';
    free(s->user); /* after the copy: name may be s->user itself */
    s->user = copy;
}

const char *session_user(void) {
    session_t *s = session_mine(0);
    return s != NULL ? s->user : NULL;
}

const char *session_greeting(void) {
    session_t *s = session_mine(1);
    /* The same two steps as broken.c: the pause is harmless now, since no
     * other thread can write this buffer. */
    int n = snprintf(s->greeting, sizeof s->greeting, "Hello, ");
    lab_pause();
    snprintf(s->greeting + n, sizeof s->greeting - (size_t)n, "%s!", s->user != NULL ? s->user : "stranger");
    return s->greeting;
}

long session_live(void) { return atomic_load_explicit(&live, memory_order_relaxed); }
