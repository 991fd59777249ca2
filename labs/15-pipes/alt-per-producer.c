/* Lab 15, pipes: another correct design, a pipe per producer.
 *
 * Frames and full read/write loops as in fixed.c, but no lock between
 * producers: each producer process writes into a pipe of its own, so no
 * other process's bytes can ever land inside its frames, however big. The
 * consumer holds every read end and poll()s them, reading one whole frame
 * from whichever is ready (taking them in turn, so a busy producer cannot
 * starve the others), and reports the end of the stream once every pipe
 * has reached EOF. Closing unused ends matters even more here: a producer
 * that kept its siblings' write ends would hold their pipes open, so the
 * consumer would never see EOF on them. Threads of one process still share
 * their sending end, under a mutex of that process.
 *
 * The price is a descriptor per producer in the consumer and a poll() per
 * message; the gain is that producers never wait for each other.
 */
#define _GNU_SOURCE
#include "chan.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab.h"

struct chan {
    struct pollfd *in; /* receiving end: one per pipe, fd -1 once at EOF */
    int nin;
    int turn; /* the pipe to look at first next time */
    int out;  /* sending end: the write end, -1 on a receiving end */
    pthread_mutex_t wlock; /* sending end: its threads take turns */
};

static chan_t *end_rx(const int *fds, int n) {
    chan_t *c = lab_calloc(1, sizeof *c);
    c->in = lab_calloc((size_t)n, sizeof *c->in);
    for (int i = 0; i < n; i++)
        c->in[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
    c->nin = n;
    c->out = -1;
    return c;
}

static chan_t *end_tx(int fd) {
    chan_t *c = lab_calloc(1, sizeof *c);
    c->out = fd;
    lab_mutex_init(&c->wlock, NULL);
    return c;
}

int chan_open(chan_t **rx, chan_t **tx) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    *rx = end_rx(&fds[0], 1);
    *tx = end_tx(fds[1]);
    return 0;
}

static void close_all(const int *fds, int n) {
    for (int i = 0; i < n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

int chan_spawn_producers(int nprod, chan_producer_fn producer, void *arg, chan_t **rx, pid_t *pids) {
    if (nprod < 1) {
        errno = EINVAL;
        return -1;
    }
    int *rfd = lab_calloc((size_t)nprod, sizeof *rfd), *wfd = lab_calloc((size_t)nprod, sizeof *wfd);
    for (int i = 0; i < nprod; i++)
        rfd[i] = wfd[i] = -1;
    int made = 0, e = 0;
    for (; made < nprod; made++) {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0) {
            e = errno;
            break;
        }
        rfd[made] = fds[0];
        wfd[made] = fds[1];
    }
    int forked = 0;
    if (made == nprod)
        for (; forked < nprod; forked++) {
            pid_t p = fork();
            if (p < 0) {
                e = errno;
                break;
            }
            if (p == 0) {
                /* Keep only this producer's own write end: a read end would
                 * keep writers blocked after the consumer left, a sibling's
                 * write end would keep that sibling's pipe from EOF. */
                int mine = wfd[forked];
                wfd[forked] = -1;
                close_all(rfd, nprod);
                close_all(wfd, nprod);
                _exit(producer(end_tx(mine), forked, arg));
            }
            pids[forked] = p;
        }
    /* The consumer writes into none of the pipes. */
    close_all(wfd, nprod);
    free(wfd);
    if (forked < nprod) {
        for (int i = 0; i < forked; i++)
            kill(pids[i], SIGKILL);
        for (int i = 0; i < forked; i++)
            while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR) {
            }
        close_all(rfd, nprod);
        free(rfd);
        errno = e;
        return -1;
    }
    *rx = end_rx(rfd, nprod);
    free(rfd);
    return 0;
}

/* All of iov[0..n-1] into fd: a short count continues where it stopped,
 * EINTR starts again. */
static int writev_full(int fd, struct iovec *iov, int n) {
    while (n > 0) {
        ssize_t w = writev(fd, iov, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        while (n > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    return 0;
}

int chan_send(chan_t *tx, const void *buf, size_t len) {
    if (len == 0 || len > CHAN_MSG_MAX) {
        errno = EINVAL;
        return -1;
    }
    uint32_t hdr = (uint32_t)len;
    struct iovec iov[2] = {{&hdr, sizeof hdr}, {(void *)buf, len}};
    lab_mutex_lock(&tx->wlock);
    int rc = writev_full(tx->out, iov, 2);
    int e = errno;
    lab_mutex_unlock(&tx->wlock);
    errno = e;
    return rc;
}

/* n bytes from fd: 1 once all are in, 0 at EOF before the first byte, -1
 * on error (EPROTO when EOF cuts the bytes short). */
static int read_full(int fd, void *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r > 0) {
            got += (size_t)r;
        } else if (r == 0) {
            if (got == 0)
                return 0;
            errno = EPROTO;
            return -1;
        } else if (errno != EINTR) {
            return -1;
        }
    }
    return 1;
}

static int drop(int fd, size_t n) {
    char scratch[4096];
    while (n > 0) {
        size_t k = n < sizeof scratch ? n : sizeof scratch;
        int r = read_full(fd, scratch, k);
        if (r <= 0) {
            if (r == 0)
                errno = EPROTO;
            return -1;
        }
        n -= k;
    }
    return 0;
}

/* One frame from one pipe: its length, 0 at that pipe's EOF, or -1. Once
 * a header is in, the rest follows from the same producer, so waiting for
 * it blocks nobody else for long. */
static ssize_t recv_frame(int fd, void *buf, size_t cap) {
    uint32_t len;
    int r = read_full(fd, &len, sizeof len);
    if (r <= 0)
        return r;
    if (len == 0 || len > CHAN_MSG_MAX) {
        errno = EPROTO;
        return -1;
    }
    if (len > cap) {
        if (drop(fd, len) != 0)
            return -1;
        errno = EMSGSIZE;
        return -1;
    }
    r = read_full(fd, buf, len);
    if (r <= 0) {
        if (r == 0)
            errno = EPROTO;
        return -1;
    }
    return (ssize_t)len;
}

ssize_t chan_recv(chan_t *rx, void *buf, size_t cap) {
    for (;;) {
        int live = 0;
        for (int i = 0; i < rx->nin; i++)
            live += rx->in[i].fd >= 0;
        if (live == 0)
            return 0; /* every pipe at EOF: the end of the stream */
        if (poll(rx->in, (nfds_t)rx->nin, -1) < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        for (int k = 0; k < rx->nin; k++) {
            int i = (rx->turn + k) % rx->nin;
            if (rx->in[i].fd < 0 || rx->in[i].revents == 0)
                continue;
            rx->turn = (i + 1) % rx->nin;
            ssize_t n = recv_frame(rx->in[i].fd, buf, cap);
            if (n != 0)
                return n;
            close(rx->in[i].fd); /* this producer is done; poll the rest again */
            rx->in[i].fd = -1;
            break;
        }
    }
}

int chan_close(chan_t *c) {
    int rc = 0;
    for (int i = 0; i < c->nin; i++)
        if (c->in[i].fd >= 0 && close(c->in[i].fd) != 0)
            rc = -1;
    if (c->out >= 0) {
        if (close(c->out) != 0)
            rc = -1;
        lab_mutex_destroy(&c->wlock);
    }
    free(c->in);
    free(c);
    return rc;
}
