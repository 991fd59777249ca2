/* Lab 10, thread-local: the API of a per-thread "session": the user a
 * thread is serving, and a greeting formatted for that user in a buffer
 * the thread owns. Every thread has its own session, made on its first
 * use and freed when the thread exits. broken.c, fixed.c, alt-*.c and
 * student.c all include this header. */
#ifndef LOCKLAB_SESSION_H
#define LOCKLAB_SESSION_H

/* A user name keeps at most SESSION_NAME_MAX - 1 characters; longer names
 * are cut. A greeting always fits in SESSION_GREETING_MAX bytes. */
#define SESSION_NAME_MAX 32
#define SESSION_GREETING_MAX (SESSION_NAME_MAX + 16)

/* Make `name` (copied) the calling thread's user; NULL forgets it. Other
 * threads' users do not change. */
void session_set_user(const char *name);

/* The calling thread's user, or NULL if it has set none (a new thread has
 * none). The string stays valid until this thread sets another user or
 * exits. */
const char *session_user(void);

/* "Hello, <user>!" ("Hello, stranger!" without a user), in the calling
 * thread's own buffer: valid until this thread's next call, and never
 * written by another thread. */
const char *session_greeting(void);

/* How many per-thread sessions exist now, in the whole process: made and
 * not yet freed. For tests: while N threads have used their session it is
 * N, and it drops by one as each of them exits. */
long session_live(void);

#endif
