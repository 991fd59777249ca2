/* Wrong: each session keeps its user as a heap copy sized for the name, and
 * set_user() keeps a statistic, the longest name the thread has had; it
 * frees the old copy first and measures it (strlen) afterwards: a read of
 * freed memory whenever a user is replaced or forgotten. The read happens
 * inside the C library, which the grader's build does not instrument; its
 * wrappers of the C library's memory and string calls look the string up
 * among the freed blocks (perturb.c's quarantine), so every check in which
 * a thread replaces its user fails with "memory is not used after it is
 * freed ... read by strlen", every run. */
#include "session.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

typedef struct {
    char *user;
    size_t longest; /* the longest name this thread has had, for statistics */
    char greeting[SESSION_GREETING_MAX];
} session_t;

static atomic_long live;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key;

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
    char *old = s->user;
    s->user = NULL;
    if (name != NULL) {
        size_t n = strnlen(name, SESSION_NAME_MAX - 1);
        s->user = malloc(n + 1);
        memcpy(s->user, name, n);
        s->user[n] = '\0';
    }
    free(old);
    if (old != NULL && strlen(old) > s->longest) /* measured after the free */
        s->longest = strlen(old);
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
