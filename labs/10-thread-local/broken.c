/* Lab 10, thread-local: the classic mistake, one "current user" for the
 * whole process.
 *
 * The session (the user and the greeting buffer) is a plain global, made
 * on first use, so every thread reads and writes the same one: a thread
 * that sets its user and then looks it up a moment later may find another
 * thread's user there, and a greeting it is handed can be rewritten by
 * another thread while it reads it (the static-buffer trap of asctime()
 * and strtok()). Single-threaded it is all correct, which is why it
 * survives until the program serves two users at once. The one session is
 * never freed, since no thread owns it. */
#include "session.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "lab.h"

typedef struct {
    char user[SESSION_NAME_MAX];
    int has_user;
    char greeting[SESSION_GREETING_MAX];
} session_t;

static atomic_long live; /* sessions made and not yet freed */

static session_t *the_session; /* one for every thread: the bug */

/* The calling thread's session; made first if `make` and there is none. */
static session_t *session_mine(int make) {
    if (the_session == NULL && make) {
        the_session = lab_calloc(1, sizeof *the_session);
        atomic_fetch_add_explicit(&live, 1, memory_order_relaxed);
    }
    return the_session;
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
    /* Built in two steps, as a formatter builds a line piece by piece; the
     * pause between them is where another thread's greeting can land. */
    int n = snprintf(s->greeting, sizeof s->greeting, "Hello, ");
    lab_pause();
    snprintf(s->greeting + n, sizeof s->greeting - (size_t)n, "%s!", s->has_user ? s->user : "stranger");
    return s->greeting;
}

long session_live(void) { return atomic_load_explicit(&live, memory_order_relaxed); }
