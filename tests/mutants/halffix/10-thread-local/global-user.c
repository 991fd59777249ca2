/* The other half of broken.c fixed: each thread formats its greeting in a
 * buffer of its own, but the "current user" is still one global, under a
 * lock: the lock stops torn names, not threads overwriting each other's
 * user. Demonstration: in the isolation check thread 5 sets user-5-0,
 * pauses, and reads back user-2-0; fresh-thread's new thread starts with
 * the main thread's user instead of none. */
#include "session.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "lab.h"

typedef struct {
    char greeting[SESSION_GREETING_MAX];
} session_t;

static atomic_long live;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key;
static pthread_mutex_t user_lock = PTHREAD_MUTEX_INITIALIZER;
static char user[SESSION_NAME_MAX]; /* one for every thread: the bug */
static int has_user;
static _Thread_local char user_copy[SESSION_NAME_MAX];

static void session_free(void *p) {
    free(p);
    atomic_fetch_sub(&live, 1);
}

static void key_create(void) { LAB_PTHREAD(pthread_key_create(&key, session_free)); }

static session_t *session_mine(void) {
    LAB_PTHREAD(pthread_once(&key_once, key_create));
    session_t *s = pthread_getspecific(key);
    if (s == NULL) {
        s = lab_calloc(1, sizeof *s);
        LAB_PTHREAD(pthread_setspecific(key, s));
        atomic_fetch_add(&live, 1);
    }
    return s;
}

void session_set_user(const char *name) {
    session_mine();
    lab_mutex_lock(&user_lock);
    if (name != user) {
        has_user = name != NULL;
        snprintf(user, sizeof user, "%s", name != NULL ? name : "");
    }
    lab_mutex_unlock(&user_lock);
}

/* A copy per thread, so the caller's string is not rewritten under it. */
const char *session_user(void) {
    lab_mutex_lock(&user_lock);
    int has = has_user;
    snprintf(user_copy, sizeof user_copy, "%s", user);
    lab_mutex_unlock(&user_lock);
    return has ? user_copy : NULL;
}

const char *session_greeting(void) {
    session_t *s = session_mine();
    const char *u = session_user();
    int n = snprintf(s->greeting, sizeof s->greeting, "Hello, ");
    lab_pause();
    snprintf(s->greeting + n, sizeof s->greeting - (size_t)n, "%s!", u != NULL ? u : "stranger");
    return s->greeting;
}

long session_live(void) { return atomic_load(&live); }
