/* Lab 18, event loop: another correct design, on epoll, with back-pressure
 * and a timer queue.
 *
 * The handlers are fixed.c's: non-blocking descriptors, a buffer each way
 * per connection, a handler that takes what has come and returns. What
 * changes is the bookkeeping around them, the way servers for many
 * thousands of connections do it:
 *  - epoll keeps the set of watched descriptors in the kernel, so a wake-up
 *    costs the number of ready connections, not the number of open ones
 *    (poll() hands the whole array to the kernel at every call). The loop
 *    tells epoll only what changes: watch for room to write while answers
 *    are owed, stop watching for input after EOF.
 *  - Back-pressure: a client that does not read its answers gets no more
 *    of its requests read once 64 KiB of answers are owed to it, so a
 *    client cannot make the server buffer without limit.
 *  - Every connection has the same idle timeout, so the deadlines come in
 *    the order the connections were last heard from: a queue, where a
 *    connection that sends something moves to the back, and the earliest
 *    deadline is always the front's. Finding it costs O(1), not a scan. */
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lab.h"

enum {
    READ_CHUNK = 4096,    /* a recv at a time; a longer line grows the buffer */
    OWED_MAX = 64 * 1024, /* answers owed to a client before its input waits */
    EVENTS = 64,          /* ready connections taken per epoll_wait() */
};

typedef struct {
    char *p;
    size_t len;  /* bytes held */
    size_t done; /* input: bytes already searched for '\n'; output: bytes sent */
    size_t cap;
} buf_t;

typedef struct conn conn_t;
struct conn {
    int fd;              /* -1 once closed */
    int eof;             /* the client has sent its last byte */
    int dead;            /* the connection failed: close it, owe nothing */
    double last_in;      /* when a byte last arrived (lab_now()), for the idle timer */
    buf_t in;            /* received bytes not yet part of an answered line */
    buf_t out;           /* answers not yet sent */
    uint32_t events;     /* what epoll watches for on fd now */
    conn_t *prev, *next; /* the idle queue: least recently heard from first */
};

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

/* Take in what the client has sent so far (one recv into the loop's
 * scratch buffer) and answer it; only the bytes that came join the
 * connection's buffer, which stays as small as its partial line. */
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

typedef struct {
    int ep;
    conn_t *c;
    int n;
    double idle;          /* > 0: the idle timeout */
    conn_t *first, *last; /* the idle queue */
    loop_stats_t st;
} loop_t;

static void queue_remove(loop_t *l, conn_t *c) {
    *(c->prev ? &c->prev->next : &l->first) = c->next;
    *(c->next ? &c->next->prev : &l->last) = c->prev;
    c->prev = c->next = NULL;
}

static void queue_append(loop_t *l, conn_t *c) {
    c->prev = l->last;
    c->next = NULL;
    *(l->last ? &l->last->next : &l->first) = c;
    l->last = c;
}

/* What epoll should watch for on c, given its state. */
static uint32_t conn_wants(const conn_t *c) {
    size_t owed = c->out.len - c->out.done;
    uint32_t ev = 0;
    if (!c->eof && owed < OWED_MAX)
        ev |= EPOLLIN;
    if (owed > 0)
        ev |= EPOLLOUT;
    return ev;
}

static void conn_close(loop_t *l, conn_t *c) {
    epoll_ctl(l->ep, EPOLL_CTL_DEL, c->fd, NULL); /* close() would drop it too; this says so */
    close(c->fd);
    c->fd = -1;
    l->st.closed++;
    queue_remove(l, c);
    free(c->in.p);
    free(c->out.p);
    c->in = c->out = (buf_t){0};
}

/* After c was served: close it if it is done, else tell epoll what it
 * waits for now. Returns 1 if it was closed. */
static int conn_settle(loop_t *l, conn_t *c) {
    uint32_t want = conn_wants(c);
    if (c->dead || (c->eof && want == 0)) {
        conn_close(l, c);
        return 1;
    }
    if (want != c->events) {
        struct epoll_event ev = {.events = want, .data.ptr = c};
        if (epoll_ctl(l->ep, EPOLL_CTL_MOD, c->fd, &ev) != 0) {
            conn_close(l, c);
            return 1;
        }
        c->events = want;
    }
    return 0;
}

/* Milliseconds until the front of the idle queue times out (rounded up,
 * so the loop does not wake a moment early and spin), or -1: no timer. */
static int next_timeout_ms(const loop_t *l, double now) {
    if (l->idle <= 0 || l->first == NULL)
        return -1;
    double ms = (l->first->last_in + l->idle - now) * 1000.0;
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
    loop_t l = {.ep = epoll_create1(EPOLL_CLOEXEC), .n = n, .idle = idle_timeout_s};
    if (l.ep < 0) { /* nothing to wait with: the connections end here */
        int saved = errno;
        for (int i = 0; i < n; i++)
            close(fds[i]);
        errno = saved;
        return -1;
    }
    l.c = lab_calloc((size_t)n + 1, sizeof *l.c);
    int open = 0, rc = 0;
    double now = lab_now();
    for (int i = 0; i < n; i++) {
        conn_t *c = &l.c[i];
        c->fd = fds[i];
        c->last_in = now;
        c->events = EPOLLIN;
        queue_append(&l, c);
        open++;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        int fl = fcntl(c->fd, F_GETFL);
        if (fl < 0 || fcntl(c->fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
            epoll_ctl(l.ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
            c->dead = 1; /* not watched: closed below */
    }
    for (int i = 0; i < n; i++)
        if (l.c[i].dead) {
            conn_close(&l, &l.c[i]);
            open--;
        }

    struct epoll_event ready[EVENTS];
    char scratch[READ_CHUNK];
    while (open > 0) {
        int r = epoll_wait(l.ep, ready, EVENTS, next_timeout_ms(&l, lab_now()));
        if (r < 0 && errno != EINTR) {
            rc = -1;
            break;
        }
        for (int j = 0; j < r; j++) {
            conn_t *c = ready[j].data.ptr;
            uint32_t re = ready[j].events;
            double before = c->last_in;
            if ((c->events & EPOLLIN) && (re & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                conn_serve(c, &l.st, scratch);
            else if (re & (EPOLLOUT | EPOLLHUP | EPOLLERR))
                conn_flush(c);
            if (c->last_in != before) { /* heard from: to the back of the queue */
                queue_remove(&l, c);
                queue_append(&l, c);
            }
            open -= conn_settle(&l, c);
        }
        /* The idle timer: the front has the earliest deadline. */
        now = lab_now();
        while (l.idle > 0 && l.first != NULL && now - l.first->last_in >= l.idle) {
            conn_close(&l, l.first);
            l.st.timed_out++;
            open--;
        }
    }
    int saved = errno;
    for (int i = 0; i < n; i++)
        if (l.c[i].fd >= 0)
            conn_close(&l, &l.c[i]);
    close(l.ep);
    free(l.c);
    if (out != NULL)
        *out = l.st;
    errno = saved;
    return rc;
}
