/* Wrong: after each poll() the loop serves only the first ready connection
 * (the lowest-numbered one) and polls again, "so the poll set is always
 * fresh". A connection that always has input (a client streaming requests,
 * or two connections bouncing lines) is found ready first on every turn,
 * and the ones after it wait until it falls quiet: one busy client stops
 * everybody else, against the README's "no handler ever waits ... a stuck
 * client or one that reads nothing stops nobody else" (every connection is
 * served "until every one has ended", loop.h, not one at a time).
 * The idle-timeout check puts a connection with a request after a pair
 * whose line bounces for ever: it is never served while the pair bounces,
 * and the idle timer closes it unanswered, every run. */
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lab.h"

enum { READ_CHUNK = 4096 }; /* a recv at a time; a longer line grows the buffer */

typedef struct {
    char *p;
    size_t len;  /* bytes held */
    size_t done; /* input: bytes already searched for '\n'; output: bytes sent */
    size_t cap;
} buf_t;

typedef struct {
    int fd;         /* -1 once closed */
    int eof;        /* the client has sent its last byte */
    int dead;       /* the connection failed: close it, owe nothing */
    double last_in; /* when a byte last arrived (lab_now()), for the idle timer */
    buf_t in;       /* received bytes not yet part of an answered line */
    buf_t out;      /* answers not yet sent */
} conn_t;

static void buf_reserve(buf_t *b, size_t more) {
    if (b->cap - b->len >= more)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < more)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL) {
        fprintf(stderr, "loop: out of memory for a %zu-byte buffer\n", cap);
        abort();
    }
    b->p = p;
    b->cap = cap;
}

/* Answer every whole line in the input buffer, then keep only the partial
 * line after the last '\n'. */
static void conn_answer(conn_t *c, loop_stats_t *st) {
    /* Answers already sent give their room back once they fill half the
     * buffer, so a slow reader's buffer holds only what it still owes. */
    if (c->out.done > 0 && c->out.done >= c->out.len - c->out.done) {
        memmove(c->out.p, c->out.p + c->out.done, c->out.len - c->out.done);
        c->out.len -= c->out.done;
        c->out.done = 0;
    }
    size_t start = 0;
    char *nl;
    while ((nl = memchr(c->in.p + c->in.done, '\n', c->in.len - c->in.done)) != NULL) {
        size_t end = (size_t)(nl - c->in.p) + 1;
        buf_reserve(&c->out, end - start);
        for (size_t i = start; i < end; i++) {
            char ch = c->in.p[i];
            c->out.p[c->out.len++] = (ch >= 'a' && ch <= 'z') ? (char)(ch - 'a' + 'A') : ch;
        }
        st->requests++;
        start = c->in.done = end;
    }
    c->in.done = c->in.len;
    if (start > 0) {
        memmove(c->in.p, c->in.p + start, c->in.len - start);
        c->in.len -= start;
        c->in.done -= start;
    }
}

/* Take in what the client has sent so far (one recv, into the loop's
 * scratch buffer) and answer it. Only the bytes that came are copied into
 * the connection's own buffer: reserving a whole READ_CHUNK per connection
 * would make a loop of 256 clients touch a megabyte of fresh memory. */
static void conn_read(conn_t *c, loop_stats_t *st, char *scratch) {
    ssize_t r = recv(c->fd, scratch, READ_CHUNK, 0);
    if (r > 0) {
        buf_reserve(&c->in, (size_t)r);
        memcpy(c->in.p + c->in.len, scratch, (size_t)r);
        c->in.len += (size_t)r;
        c->last_in = lab_now();
        conn_answer(c, st);
    } else if (r == 0) {
        c->eof = 1;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        c->dead = 1; /* e.g. ECONNRESET */
    }
}

/* Send what the socket takes of the answers owed. */
static void conn_flush(conn_t *c) {
    while (c->out.done < c->out.len) {
        ssize_t r = send(c->fd, c->out.p + c->out.done, c->out.len - c->out.done, MSG_NOSIGNAL);
        if (r >= 0) {
            c->out.done += (size_t)r;
        } else if (errno != EINTR) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                c->dead = 1; /* e.g. EPIPE: the client is gone */
            return;
        }
    }
    c->out.len = c->out.done = 0;
}

/* The client has something for us: take in what has come, answer the
 * whole lines in it, send what the socket takes, and go back to the loop. */
static void conn_serve(conn_t *c, loop_stats_t *st, char *scratch) {
    conn_read(c, st, scratch);
    conn_flush(c);
}

static void conn_close(conn_t *c, loop_stats_t *st) {
    close(c->fd); /* the descriptor is gone whatever close() says */
    c->fd = -1;
    st->closed++;
    free(c->in.p);
    free(c->out.p);
    c->in = c->out = (buf_t){0};
}

/* Milliseconds until the earliest idle deadline (rounded up, so the loop
 * does not wake a moment early and spin), or -1: no timer. */
static int next_timeout_ms(const conn_t *c, int n, double idle, double now) {
    if (idle <= 0)
        return -1;
    double first = -1;
    for (int i = 0; i < n; i++)
        if (c[i].fd >= 0 && (first < 0 || c[i].last_in + idle < first))
            first = c[i].last_in + idle;
    if (first < 0)
        return -1;
    double ms = (first - now) * 1000.0;
    if (ms <= 0)
        return 0;
    if (ms > 3600000)
        return 3600000;
    int whole = (int)ms;
    return whole < ms ? whole + 1 : whole;
}

int loop_serve(const int *fds, int n, double idle_timeout_s, loop_stats_t *out) {
    if (n < 0 || (n > 0 && fds == NULL)) {
        errno = EINVAL;
        return -1;
    }
    loop_stats_t st = {0, 0, 0};
    conn_t *c = lab_calloc((size_t)n + 1, sizeof *c);
    struct pollfd *pfd = lab_calloc((size_t)n + 1, sizeof *pfd);
    int *who = lab_calloc((size_t)n + 1, sizeof *who); /* pfd[k] is c[who[k]] */
    char scratch[READ_CHUNK];
    double now = lab_now();
    for (int i = 0; i < n; i++) {
        c[i].fd = fds[i];
        c[i].last_in = now;
        /* The whole fix rests on this: a read or write that would wait
         * fails with EAGAIN instead, and the loop moves on. */
        int fl = fcntl(fds[i], F_GETFL);
        if (fl < 0 || fcntl(fds[i], F_SETFL, fl | O_NONBLOCK) < 0)
            c[i].dead = 1;
    }

    int open = n, rc = 0;
    while (open > 0) {
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (c[i].fd < 0)
                continue;
            short ev = c[i].eof ? 0 : POLLIN;
            if (c[i].out.done < c[i].out.len)
                ev |= POLLOUT;
            pfd[k] = (struct pollfd){c[i].fd, ev, 0};
            who[k++] = i;
        }
        int r = poll(pfd, (nfds_t)k, next_timeout_ms(c, n, idle_timeout_s, lab_now()));
        if (r < 0 && errno != EINTR) {
            rc = -1;
            break;
        }
        /* Serve the first connection that is ready, then look again: the
         * set changes as connections close, so its answers go stale. */
        for (int j = 0; j < k && r > 0; j++) {
            conn_t *x = &c[who[j]];
            short re = pfd[j].revents;
            if (re == 0)
                continue;
            if (re & POLLNVAL)
                x->dead = 1;
            else if (!x->eof && (re & (POLLIN | POLLHUP | POLLERR)))
                conn_serve(x, &st, scratch);
            else if (re & (POLLOUT | POLLHUP | POLLERR))
                conn_flush(x);
            break;
        }
        now = lab_now();
        for (int i = 0; i < n; i++) {
            if (c[i].fd < 0)
                continue;
            if (c[i].dead || (c[i].eof && c[i].out.done == c[i].out.len)) {
                conn_close(&c[i], &st);
                open--;
            } else if (idle_timeout_s > 0 && now - c[i].last_in >= idle_timeout_s) {
                conn_close(&c[i], &st);
                st.timed_out++;
                open--;
            }
        }
    }
    int saved = errno;
    for (int i = 0; i < n; i++)
        if (c[i].fd >= 0)
            conn_close(&c[i], &st);
    free(who);
    free(pfd);
    free(c);
    if (out != NULL)
        *out = st;
    errno = saved;
    return rc;
}
