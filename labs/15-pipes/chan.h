/* Lab 15, pipes: the API of a message channel over a pipe, between
 * producer processes (or threads) and one consumer. broken.c, fixed.c,
 * alt-*.c and student.c all include this header.
 *
 * A channel carries whole messages of 1 to CHAN_MSG_MAX bytes: what one
 * chan_send() sent, one chan_recv() returns, never a piece of it and never
 * two glued together. Messages of one sender arrive in the order sent. The
 * stream ends (chan_recv() returns 0) once every sending end is closed, in
 * every process that held one: that is the end-of-stream sentinel, sent
 * by the kernel rather than by the producers.
 */
#ifndef LOCKLAB_CHAN_H
#define LOCKLAB_CHAN_H

#include <stddef.h>
#include <sys/types.h>

/* The largest message (the length travels in 32 bits). */
#define CHAN_MSG_MAX (1u << 30)

/* One end of a channel, as one process holds it: a sending end or a
 * receiving end. A sending end may be shared by threads of its process;
 * a receiving end has one reader. */
typedef struct chan chan_t;

/* A channel within this process, for its threads: *rx receives what is
 * sent on *tx. 0, or -1 with errno set. */
int chan_open(chan_t **rx, chan_t **tx);

/* What a producer process runs: it sends on tx; its return value becomes
 * the process's exit status. It must not exit() itself. */
typedef int (*chan_producer_fn)(chan_t *tx, int index, void *arg);

/* Start `nprod` (>= 1) producer processes that all send into one channel,
 * and hand the caller its receiving end in *rx. Child i runs
 * producer(tx, i, arg) and then ends with _exit(its return value); its pid
 * is pids[i]. The caller reaps them (waitpid). Once every producer has
 * ended, the caller's chan_recv() returns 0: nothing else holds a sending
 * end. Call it from a single-threaded process. 0, or -1 with errno set
 * (then no producer is left running). */
int chan_spawn_producers(int nprod, chan_producer_fn producer, void *arg, chan_t **rx, pid_t *pids);

/* Send one message of `len` bytes (1 .. CHAN_MSG_MAX), whole, waiting for
 * room as long as it takes; a signal handler that runs meanwhile does not
 * cut it short. Messages sent at the same time by other processes or
 * threads on the same channel never mix with it. 0, or -1 with errno set:
 * EINVAL for a bad length, EPIPE once no receiving end is left (ignore
 * SIGPIPE to see that rather than die of it). */
int chan_send(chan_t *tx, const void *buf, size_t len);

/* Receive one whole message into buf and return its length; 0 at the end
 * of the stream (every sending end closed, nothing left); -1 with errno
 * set on error: EPROTO when the stream ends inside a message (its sender
 * died while sending). A message longer than `cap` is read and dropped,
 * and the call returns -1 with errno EMSGSIZE: the channel stays usable. A
 * signal handler that runs while it waits does not cut it short either. */
ssize_t chan_recv(chan_t *rx, void *buf, size_t cap);

/* Close this process's end of the channel and free it. 0, or -1 with
 * errno set (the end is closed and freed all the same). */
int chan_close(chan_t *c);

#endif
