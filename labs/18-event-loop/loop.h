/* Lab 18, event loop: the API of a tiny line server that serves many
 * connections from one thread. broken.c, fixed.c and student.c all include
 * this header.
 *
 * The protocol, per connection: the client sends requests, each a line
 * ending in '\n', as it likes (a line may come in many pieces, several may
 * come in one piece, a client may pause anywhere); the server answers each
 * request with the same line upper-cased (ASCII a-z to A-Z, every other
 * byte as it came, the '\n' included), in order. When the client has sent
 * its last request it shuts down its writing side; the server then sends
 * the answers still owed and closes its end, which the client reads as EOF.
 * Bytes after the last '\n' at EOF are not a request and get no answer.
 */
#ifndef LOCKLAB_LOOP_H
#define LOCKLAB_LOOP_H

typedef struct {
    long requests;  /* lines answered, over all connections */
    long closed;    /* connections ended: after EOF, on an error, or by the idle timer */
    long timed_out; /* of those, closed by the idle timer */
} loop_stats_t;

/* Serve the n connections fds[0..n-1] (connected stream sockets, e.g. from
 * socketpair(AF_UNIX, SOCK_STREAM)) until every one has ended, then return
 * 0 with the counts in *out (out may be NULL). loop_serve owns the fds: it
 * closes each one when its connection ends. It runs on the calling thread
 * only (no helper threads, no child processes), and it sleeps while no
 * connection has anything for it to do.
 *
 * idle_timeout_s > 0 is a timer per connection: a connection from which
 * nothing has arrived for that many seconds is closed (answers still owed
 * to it are dropped) and counted in timed_out. idle_timeout_s <= 0: no
 * timer, a connection may stay quiet for ever.
 *
 * A connection that fails (the peer reset it) just ends. Returns -1 with
 * errno set for bad arguments (n < 0, fds NULL with n > 0: EINVAL, and no
 * fd is touched) or if waiting itself fails (every fd closed even then). */
int loop_serve(const int *fds, int n, double idle_timeout_s, loop_stats_t *out);

#endif
