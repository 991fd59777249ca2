/* Wrong: one writers' lock for the whole program: a process-shared
 * mutex mapped once (pthread_once) on the first chan_open() and used by
 * every channel ("the writers share one lock"; it also saves a mapping per
 * channel). Every send on any channel takes it for its whole frame. A send
 * that waits for room on one channel (its reader is busy or slow) then
 * holds up every send on every other channel of the process and of its
 * children, though those have room and a reader. chan.h: chan_send()
 * sends "whole, waiting for room as long as it takes" and only "Messages
 * sent at the same time by other processes or threads on the same channel
 * never mix": the exclusion is per channel. Two channels that feed each
 * other (a request channel and a reply channel, or a consumer that reads A
 * only after a message on B) deadlock. The threads-share-end check opens
 * two channels; a thread sends 4 MiB on A, which nobody reads yet, and once
 * a pipe is seen full another sends 5 bytes on B, whose reader waits: here
 * they never arrive, and the stall watch fails the check, every run. */
/* Lab 15, pipes: the reference fix.
 *
 * Every message travels as a frame, a 4-byte length and then the bytes, and
 * both ends move whole frames whatever the kernel does: a read or a write
 * that moves fewer bytes than asked (the pipe was empty or full, a signal
 * came) is simply continued, and EINTR is retried. A write of more than
 * PIPE_BUF bytes is not atomic: other writers' bytes can land in the middle
 * of it, length prefix or not. So the writers share one lock, a
 * process-shared mutex in memory mapped before the fork, held for a whole
 * frame; the consumer needs no lock. That is what Python's
 * multiprocessing.Queue does (a pipe, a header, a lock among writers).
 * After the fork every process closes the ends it will not use: the
 * consumer its copy of the write end (else it never sees EOF), each
 * producer its copy of the read end (else a producer blocks forever on a
 * full pipe after the consumer has gone).
 */
#define _GNU_SOURCE
#include "chan.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab.h"

struct chan {
    int fd;
    pthread_mutex_t *wlock; /* sending ends: shared by every writer; NULL on a receiving end */
};

/* The writers' lock: one process-shared mutex in anonymous shared memory,
 * mapped once, the first time a channel is opened, and kept for the life of
 * the program (every later fork shares it). */
static pthread_mutex_t *writers_lock;
static pthread_once_t writers_once = PTHREAD_ONCE_INIT;

static void writers_lock_init(void) {
    pthread_mutex_t *lock =
        mmap(NULL, sizeof *lock, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (lock == MAP_FAILED)
        return;
    pthread_mutexattr_t a;
    LAB_PTHREAD(pthread_mutexattr_init(&a));
    LAB_PTHREAD(pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED));
    lab_mutex_init(lock, &a);
    LAB_PTHREAD(pthread_mutexattr_destroy(&a));
    writers_lock = lock;
}

int chan_open(chan_t **rx, chan_t **tx) {
    pthread_once(&writers_once, writers_lock_init);
    if (writers_lock == NULL) {
        errno = ENOMEM;
        return -1;
    }
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    pthread_mutex_t *lock = writers_lock;
    *rx = lab_calloc(1, sizeof **rx);
    (*rx)->fd = fds[0];
    *tx = lab_calloc(1, sizeof **tx);
    (*tx)->fd = fds[1];
    (*tx)->wlock = lock;
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
        if (p == 0) {
            /* A producer never reads. Its copy of the read end would count
             * as a reader, so once the consumer left, a write to a full
             * pipe would wait forever instead of failing with EPIPE. */
            chan_close(r);
            _exit(producer(t, i, arg));
        }
        pids[i] = p;
    }
    /* The consumer never writes. While its copy of the write end is open,
     * the pipe has a writer, and a read after the last producer ended
     * would wait forever instead of returning 0 (EOF). */
    chan_close(t);
    *rx = r;
    return 0;
}

/* All of iov[0..n-1] into fd: a short count (the pipe filled up and a
 * signal came) continues where it stopped, EINTR starts again. */
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
    /* Held for the whole frame, small ones too: a small frame is written
     * atomically, but it could still land inside another writer's big one. */
    lab_mutex_lock(tx->wlock);
    int rc = writev_full(tx->fd, iov, 2);
    int e = errno;
    lab_mutex_unlock(tx->wlock);
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

/* Read and forget n bytes: a message too long for the caller's buffer. */
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

ssize_t chan_recv(chan_t *rx, void *buf, size_t cap) {
    uint32_t len;
    int r = read_full(rx->fd, &len, sizeof len);
    if (r <= 0)
        return r; /* 0: EOF between frames, the stream's normal end */
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
    r = read_full(rx->fd, buf, len);
    if (r <= 0) {
        if (r == 0)
            errno = EPROTO;
        return -1;
    }
    return (ssize_t)len;
}

int chan_close(chan_t *c) {
    int rc = 0;
    /* the writers' lock is the program's, shared by every channel: kept */
    /* No retry on EINTR: Linux has closed the descriptor either way. */
    if (close(c->fd) != 0)
        rc = -1;
    free(c);
    return rc;
}
