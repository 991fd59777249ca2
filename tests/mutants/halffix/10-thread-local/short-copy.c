/* Wrong submission for lab 10 (examiner H): fixed.c's pthread key, with the
 * user name kept as a heap copy sized for the name, cut to 31 characters,
 * freed when replaced, on set(NULL) and in the key's destructor. But the
 * copy is malloc(len), not malloc(len + 1): the terminating NUL is written
 * one byte past the block. Wrong: session.h: "Make `name` (copied) the
 * calling thread's user": every set of a non-empty name writes outside
 * what it allocated. glibc's rounding hides it for most lengths; for a
 * 24-character name the NUL lands on the next heap chunk's size field.
 * How the grader shows it: while single runs, the driver's own malloc,
 * calloc and realloc (standing in for the C library's) hand out blocks
 * followed by guard bytes, read back after each set: after set("alice")
 * byte 5 of the 5-byte copy is written, every run. (Only the
 * ThreadSanitizer check saw it before, now and then, as a use after free.) */
#include "session.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

typedef struct {
    char *user; /* a heap copy of the name, or NULL */
    char greeting[SESSION_GREETING_MAX];
} session_t;

static atomic_long live; /* sessions made and not yet freed */

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key; /* each thread's slot holds its own session */

/* Run by each exiting thread whose slot holds a session. */
static void session_free(void *p) {
    free(((session_t *)p)->user);
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
        return; /* set to itself */
    char *copy = NULL;
    if (name != NULL) {
        size_t len = strlen(name);
        if (len > SESSION_NAME_MAX - 1)
            len = SESSION_NAME_MAX - 1; /* cut to 31 characters */
        copy = malloc(len); /* just what the name needs */
        if (copy == NULL)
            abort();
        memcpy(copy, name, len);
        copy[len] = '\0';
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
    /* The same two steps as broken.c: the pause is harmless now, since no
     * other thread can write this buffer. */
    int n = snprintf(s->greeting, sizeof s->greeting, "Hello, ");
    lab_pause();
    snprintf(s->greeting + n, sizeof s->greeting - (size_t)n, "%s!", s->user != NULL ? s->user : "stranger");
    return s->greeting;
}

long session_live(void) { return atomic_load_explicit(&live, memory_order_relaxed); }
