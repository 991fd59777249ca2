/* Half of broken.c fixed: the user is per thread (a _Thread_local array),
 * but the greeting is still formatted into one static buffer for the whole
 * process, the asctime() trap. Demonstration: in the isolation check a
 * thread's greeting is rewritten by another thread's between its return
 * and the read, so a thread reads "Hello, user-3-12!" for its own user
 * user-5-12; ThreadSanitizer reports the two writes to the buffer. */
#include "session.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "lab.h"

typedef struct {
    char user[SESSION_NAME_MAX];
    int has_user;
} session_t;

static atomic_long live;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key;
static char greeting[SESSION_GREETING_MAX]; /* one for every thread: the bug */

static void session_free(void *p) {
    free(p);
    atomic_fetch_sub(&live, 1);
}

static void key_create(void) { LAB_PTHREAD(pthread_key_create(&key, session_free)); }

static session_t *session_mine(int make) {
    LAB_PTHREAD(pthread_once(&key_once, key_create));
    session_t *s = pthread_getspecific(key);
    if (s == NULL && make) {
        s = lab_calloc(1, sizeof *s);
        LAB_PTHREAD(pthread_setspecific(key, s));
        atomic_fetch_add(&live, 1);
    }
    return s;
}

void session_set_user(const char *name) {
    session_t *s = session_mine(1);
    if (name == s->user)
        return;
    s->has_user = name != NULL;
    snprintf(s->user, sizeof s->user, "%s", name != NULL ? name : "");
}

const char *session_user(void) {
    session_t *s = session_mine(0);
    return s != NULL && s->has_user ? s->user : NULL;
}

const char *session_greeting(void) {
    session_t *s = session_mine(1);
    int n = snprintf(greeting, sizeof greeting, "Hello, ");
    lab_pause();
    snprintf(greeting + n, sizeof greeting - (size_t)n, "%s!", s->has_user ? s->user : "stranger");
    return greeting;
}

long session_live(void) { return atomic_load(&live); }
