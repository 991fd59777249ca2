/* Lab 15, pipes: the classic mistakes, all three of them.
 *
 * A message is one writev() of a length and the bytes, and one read() for
 * each: as if the kernel always moved everything asked for, in one piece.
 * It does while messages are small and nothing interrupts. A write of more
 * than PIPE_BUF bytes into a pipe is not atomic, though: it goes in piece
 * by piece as the consumer makes room, and other producers' pieces go in
 * between. A read returns what is in the pipe now, which can be part of a
 * message; a signal ends a blocked read or write early, with EINTR or with
 * a short count. And after the fork nobody closes the ends they do not
 * use: the consumer keeps a write end, so it never sees EOF, and each
 * producer keeps a read end, so a producer whose consumer has gone waits
 * forever on a full pipe.
 */
#define _GNU_SOURCE
#include "chan.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab.h"

struct chan {
    int fd;
};

int chan_open(chan_t **rx, chan_t **tx) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    *rx = lab_calloc(1, sizeof **rx);
    (*rx)->fd = fds[0];
    *tx = lab_calloc(1, sizeof **tx);
    (*tx)->fd = fds[1];
    return 0;
}

/* Kill and reap the first n producers: a failed spawn leaves none behind. */
static void stop_producers(const pid_t *pids, int n) {
    for (int i = 0; i < n; i++)
        kill(pids[i], SIGKILL);
    for (int i = 0; i < n; i++)
        while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR) {
        }
}

int chan_spawn_producers(int nprod, chan_producer_fn producer, void *arg, chan_t **rx, pid_t *pids) {
    if (nprod < 1) {
        errno = EINVAL;
        return -1;
    }
    chan_t *r, *t;
    if (chan_open(&r, &t) != 0)
        return -1;
    for (int i = 0; i < nprod; i++) {
        pid_t p = fork();
        if (p < 0) {
            int e = errno;
            stop_producers(pids, i);
            chan_close(r);
            chan_close(t);
            errno = e;
            return -1;
        }
        if (p == 0)
            _exit(producer(t, i, arg)); /* the child still holds r too */
        pids[i] = p;
    }
    *rx = r; /* ...and the parent still holds t */
    return 0;
}

int chan_send(chan_t *tx, const void *buf, size_t len) {
    if (len == 0 || len > CHAN_MSG_MAX) {
        errno = EINVAL;
        return -1;
    }
    uint32_t hdr = (uint32_t)len;
    struct iovec iov[2] = {{&hdr, sizeof hdr}, {(void *)buf, len}};
    if (writev(tx->fd, iov, 2) < 0) /* one call: a short count goes unnoticed */
        return -1;
    return 0;
}

/* Read and forget n bytes: a message too long for the caller's buffer. */
static int drop(int fd, size_t n) {
    char scratch[4096];
    while (n > 0) {
        ssize_t r = read(fd, scratch, n < sizeof scratch ? n : sizeof scratch);
        if (r <= 0) {
            if (r == 0)
                errno = EPROTO;
            return -1;
        }
        n -= (size_t)r;
    }
    return 0;
}

ssize_t chan_recv(chan_t *rx, void *buf, size_t cap) {
    uint32_t len;
    ssize_t n = read(rx->fd, &len, sizeof len); /* assumes all 4 bytes come at once */
    if (n <= 0)
        return n; /* 0: EOF; -1: an error, or EINTR */
    if (len == 0 || len > CHAN_MSG_MAX) {
        errno = EPROTO;
        return -1;
    }
    if (len > cap) {
        if (drop(rx->fd, len) != 0)
            return -1;
        errno = EMSGSIZE;
        return -1;
    }
    if (read(rx->fd, buf, len) < 0) /* ...and the whole message in one read */
        return -1;
    return (ssize_t)len;
}

int chan_close(chan_t *c) {
    int rc = close(c->fd);
    free(c);
    return rc;
}
