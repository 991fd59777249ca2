/* Thread-local storage built by hand: a table of sessions keyed by
 * pthread_self(), under one lock. It isolates threads while they run, but
 * nothing removes an entry when its thread exits, so the table grows, and
 * a new thread that is given a finished thread's id (glibc reuses them as
 * soon as a thread is joined) inherits that thread's session and user.
 * Demonstration: fresh-thread's second worker starts with the first's
 * user 'first-worker', not none; the freed check finds session_live() and
 * the driver's count of live allocations still up after the threads exit. */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>

#include "lab.h"

typedef struct entry {
    pthread_t owner;
    char user[SESSION_NAME_MAX];
    int has_user;
    char greeting[SESSION_GREETING_MAX];
    struct entry *next;
} entry_t;

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static entry_t *table;
static long live;

static entry_t *session_mine(int make) {
    pthread_t me = pthread_self();
    lab_mutex_lock(&table_lock);
    entry_t *e = table;
    while (e != NULL && !pthread_equal(e->owner, me))
        e = e->next;
    if (e == NULL && make) {
        e = lab_calloc(1, sizeof *e);
        e->owner = me;
        e->next = table;
        table = e;
        live++;
    }
    lab_mutex_unlock(&table_lock);
    return e;
}

void session_set_user(const char *name) {
    entry_t *e = session_mine(1);
    if (name == e->user)
        return;
    e->has_user = name != NULL;
    snprintf(e->user, sizeof e->user, "%s", name != NULL ? name : "");
}

const char *session_user(void) {
    entry_t *e = session_mine(0);
    return e != NULL && e->has_user ? e->user : NULL;
}

const char *session_greeting(void) {
    entry_t *e = session_mine(1);
    int n = snprintf(e->greeting, sizeof e->greeting, "Hello, ");
    lab_pause();
    snprintf(e->greeting + n, sizeof e->greeting - (size_t)n, "%s!", e->has_user ? e->user : "stranger");
    return e->greeting;
}

long session_live(void) {
    lab_mutex_lock(&table_lock);
    long n = live;
    lab_mutex_unlock(&table_lock);
    return n;
}
