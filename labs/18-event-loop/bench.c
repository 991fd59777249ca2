/* Lab 18, event loop: the benchmarks. Many concurrent waits, served three
 * ways: by the lab's event loop (loop_serve() of the implementation being
 * timed), by a thread per connection, and by a process per connection.
 *
 * One operation is a batch of N connections (N = 16, 64, 256; the op is
 * named "016-loop", "064-threads", ...). Every client says hello, waits
 * for the answer, thinks for 10 ms, sends one request, waits for that
 * answer and hangs up. The clients are played by one thread of the bench
 * with a poll() loop of its own, the same for every design, so a batch
 * takes 10 ms plus whatever the design adds: a design that serves the
 * clients one at a time (broken.c) takes N x 10 ms.
 *
 * Besides time, each design's memory is measured once, before the timed
 * batches, at the moment all N connections are waiting (every hello
 * answered): the resident memory it added per connection (for processes,
 * each child's private pages and page tables), and the address space it
 * reserved per connection. Both go to the JSON as counters,
 * rss_kib_per_conn and vm_kib_per_conn. The thread and process designs are
 * baselines, registered in fixed's binary only.
 *
 * The floor of each NNN-loop (impl=floor, floor=poll): the bare system
 * call an event loop stands on, a poll() over every connection in one
 * thread, inline here: each readable connection read once, its complete
 * lines upper-cased and sent back, closed at EOF. No timers, no idle
 * timeout, no write buffering: what loop_serve() does above it is the lab.
 *
 * The bench thread is pinned (labbench_thread_begin), and every thread and
 * process it starts inherits that, so all designs and the clients share
 * one CPU under --pin compact: a fair fight for work that mostly waits.
 *
 *   $ build/labs/18-event-loop/fixed/bench --benchmark_min_time=0.1
 *   loop/16/real_time/threads:1   11.1 ms   0.48 ms   12 conns=16 ... rss_kib_per_conn=0 ... op=016-loop
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "labbench.h"
#include "loop.h"

enum { MAXN = 256, LINE = 64 };
static const double THINK = 0.010; /* each client's pause between hello and request */

typedef enum { DESIGN_LOOP, DESIGN_THREADS, DESIGN_PROCESSES, DESIGN_POLL } design_t;
/* The poll floor's op is the loop's: it is the floor of that op. */
static const char *const design_name[] = {"loop", "threads", "procs", "loop"};

/* ---- the clients: one thread, its own poll() loop ------------------------ */
typedef enum { C_HELLO, C_THINK, C_REQUEST, C_BYE, C_DONE } phase_t;

typedef struct {
    int fd;
    phase_t phase;
    double wake; /* C_THINK: when to send the request */
    char in[LINE];
    size_t in_len;
} client_t;

typedef struct {
    int n;
    design_t design;
    int server[MAXN]; /* the server ends, for the design */
    client_t cl[MAXN];
    pid_t pid[MAXN];                             /* DESIGN_PROCESSES: the children */
    atomic_int forked;                           /* how many pid[] are filled in */
    int sample;                                  /* measure memory when every hello is answered */
    double base_rss, base_vm, peak_rss, peak_vm; /* KiB */
    char error[160];                             /* what went wrong, or "" */
    pthread_t tid;
    /* The clients' poll set, allocated here rather than by the client
     * thread: a thread's first malloc may reserve a whole arena (64 MiB of
     * address space) and spoil the memory measured. */
    struct pollfd pfd[MAXN];
    int who[MAXN]; /* pfd[k] is client who[k] */
} batch_t;

/* Keeps the first thing that went wrong. */
__attribute__((format(printf, 2, 3))) static void batch_fail(batch_t *b, const char *fmt, ...) {
    if (b->error[0] != '\0')
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->error, sizeof b->error, fmt, ap);
    va_end(ap);
}

/* KiB from a "Name:  123 kB" line of a /proc file; 0 if absent. Plain
 * open and read into a stack buffer: stdio would malloc, and a thread's
 * first malloc can reserve a whole arena, which would then be measured. */
static double proc_kib(const char *path, const char *name) {
    char buf[8192];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    size_t len = 0;
    ssize_t r;
    while (len < sizeof buf - 1 && (r = read(fd, buf + len, sizeof buf - 1 - len)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    buf[len] = '\0';
    size_t n = strlen(name);
    for (const char *p = buf; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, name, n) == 0 && p[n] == ':')
            return strtod(p + n + 1, NULL);
    return 0;
}

static void mem_self(double *rss, double *vm) {
    *rss = proc_kib("/proc/self/status", "VmRSS");
    *vm = proc_kib("/proc/self/status", "VmSize");
}

/* The peak, when all n connections are waiting on the server. */
static void mem_peak(batch_t *b) {
    mem_self(&b->peak_rss, &b->peak_vm);
    if (b->design != DESIGN_PROCESSES)
        return;
    while (atomic_load(&b->forked) < b->n) /* a child may answer before its parent noted its pid */
        sched_yield();
    char path[64];
    for (int i = 0; i < b->n; i++) {
        /* A child shares its parent's pages until it writes to them: only
         * its private pages, and its page tables, are its own cost. */
        snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)b->pid[i]);
        b->peak_rss += proc_kib(path, "Private_Clean") + proc_kib(path, "Private_Dirty");
        snprintf(path, sizeof path, "/proc/%d/status", (int)b->pid[i]);
        b->peak_rss += proc_kib(path, "VmPTE");
        b->peak_vm += proc_kib(path, "VmSize");
    }
}

static void client_send(batch_t *b, int i, const char *what) {
    char line[LINE];
    int len = snprintf(line, sizeof line, "%s %d\n", what, i);
    /* A short line into an empty socket: it goes in one piece. */
    if (send(b->cl[i].fd, line, (size_t)len, MSG_NOSIGNAL) != len)
        batch_fail(b, "client %d could not send", i);
}

/* A whole answer arrived on client i: is it the right one? */
static int client_answer_ok(batch_t *b, int i, const char *to) {
    char want[LINE];
    int len = snprintf(want, sizeof want, "%s %d\n", to, i);
    client_t *c = &b->cl[i];
    if ((size_t)len != c->in_len || memcmp(want, c->in, c->in_len) != 0) {
        batch_fail(b, "wrong answer to %s from client %d", to, i);
        return 0;
    }
    c->in_len = 0;
    return 1;
}

static void *clients_main(void *arg) {
    batch_t *b = arg;
    struct pollfd *pfd = b->pfd;
    int *who = b->who;
    int done = 0, hellos = 0;
    /* When sampling, every client holds its request back until all hellos
     * are answered, so that all n connections are open and waiting at the
     * peak, however slowly the design starts them; but for 1 s at most,
     * for a design that never has them all waiting at once (broken.c). */
    int hold = b->sample;
    double hold_end = lab_now() + 1.0;
    for (int i = 0; i < b->n; i++)
        client_send(b, i, "hello");
    while (done < b->n && b->error[0] == '\0') {
        double now = lab_now(), first = hold ? hold_end : -1;
        if (hold && (hellos == b->n || now >= hold_end)) {
            mem_peak(b);
            hold = 0;
            first = -1;
            for (int i = 0; i < b->n; i++)
                b->cl[i].wake = now + THINK;
        }
        int k = 0;
        for (int i = 0; i < b->n; i++) {
            client_t *c = &b->cl[i];
            if (c->phase == C_THINK && !hold && c->wake <= now) {
                client_send(b, i, "request");
                c->phase = C_REQUEST;
            }
            if (c->phase == C_THINK && !hold && (first < 0 || c->wake < first))
                first = c->wake;
            if (c->phase == C_HELLO || c->phase == C_REQUEST || c->phase == C_BYE) {
                pfd[k] = (struct pollfd){c->fd, POLLIN, 0};
                who[k++] = i;
            }
        }
        struct timespec ts, *tp = NULL;
        if (first >= 0) {
            double d = first - now;
            ts.tv_sec = (time_t)d;
            ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
            tp = &ts;
        }
        if (ppoll(pfd, (nfds_t)k, tp, NULL) < 0 && errno != EINTR) {
            batch_fail(b, "clients' poll failed: %s", strerror(errno));
            break;
        }
        for (int j = 0; j < k; j++) {
            if (!(pfd[j].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            int i = who[j];
            client_t *c = &b->cl[i];
            ssize_t r = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, 0);
            if (r < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (r <= 0) {
                if (c->phase != C_BYE)
                    batch_fail(b, "server closed client %d early", i);
                c->phase = C_DONE;
                done++;
                continue;
            }
            if (c->phase == C_BYE) {
                batch_fail(b, "bytes after the last answer on client %d", i);
                continue;
            }
            c->in_len += (size_t)r;
            if (c->in[c->in_len - 1] != '\n') {
                if (c->in_len == sizeof c->in)
                    batch_fail(b, "answer too long on client %d", i);
                continue;
            }
            if (c->phase == C_HELLO && client_answer_ok(b, i, "HELLO")) {
                c->phase = C_THINK;
                c->wake = lab_now() + THINK;
                hellos++;
            } else if (c->phase == C_REQUEST && client_answer_ok(b, i, "REQUEST")) {
                c->phase = C_BYE;
                if (shutdown(c->fd, SHUT_WR) != 0)
                    batch_fail(b, "shutdown failed on client %d", i);
            }
        }
    }
    /* After a failure, hang up on every server, so none waits for ever. */
    if (b->error[0] != '\0')
        for (int i = 0; i < b->n; i++)
            shutdown(b->cl[i].fd, SHUT_RDWR);
    return NULL;
}

/* ---- the blocking server of the thread and process designs ----------------- */
/* A connection's whole conversation, with blocking calls: what a thread or
 * a process per connection does, and what broken.c does inside its loop.
 * Only recv, send and close: safe in a child forked from a threaded parent. */
static void session_serve(int fd) {
    char buf[4096];
    size_t len = 0;
    for (;;) {
        ssize_t r = recv(fd, buf + len, sizeof buf - len, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        size_t end = len + (size_t)r, start = 0;
        for (size_t i = len; i < end; i++) {
            if (buf[i] >= 'a' && buf[i] <= 'z')
                buf[i] = (char)(buf[i] - 'a' + 'A');
            if (buf[i] != '\n')
                continue;
            for (size_t off = start; off <= i;) {
                ssize_t w = send(fd, buf + off, i + 1 - off, MSG_NOSIGNAL);
                if (w < 0 && errno == EINTR)
                    continue;
                if (w < 0)
                    goto out;
                off += (size_t)w;
            }
            start = i + 1;
        }
        memmove(buf, buf + start, end - start);
        len = end - start;
        if (len == sizeof buf)
            break; /* a line longer than the buffer: not this bench's clients */
    }
out:
    close(fd);
}

static void *session_thread(void *arg) {
    session_serve((int)(intptr_t)arg);
    return NULL;
}

/* ---- the floor: a bare poll() loop ------------------------------------------ */
static void poll_serve(batch_t *b) {
    int n = b->n, open = n;
    long requests = 0;
    struct pollfd p[MAXN];
    char buf[MAXN][LINE];
    size_t len[MAXN];
    for (int i = 0; i < n; i++)
        p[i] = (struct pollfd){.fd = b->server[i], .events = POLLIN}, len[i] = 0;
    while (open > 0) {
        if (poll(p, (nfds_t)n, -1) < 0) {
            if (errno == EINTR)
                continue;
            batch_fail(b, "poll failed: %s", strerror(errno));
            break;
        }
        for (int i = 0; i < n; i++) {
            if (p[i].fd < 0 || p[i].revents == 0)
                continue;
            ssize_t r = recv(p[i].fd, buf[i] + len[i], LINE - len[i], 0);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0 || len[i] + (size_t)r == LINE) { /* EOF, an error, or a line too long */
                close(p[i].fd);
                p[i].fd = -1;
                open--;
                continue;
            }
            size_t end = len[i] + (size_t)r, start = 0;
            for (size_t k = len[i]; k < end; k++) {
                char *c = &buf[i][k];
                if (*c >= 'a' && *c <= 'z')
                    *c = (char)(*c - 'a' + 'A');
                if (*c != '\n')
                    continue;
                /* a line of a few bytes: one send takes it whole */
                if (send(p[i].fd, buf[i] + start, k + 1 - start, MSG_NOSIGNAL) != (ssize_t)(k + 1 - start))
                    batch_fail(b, "a short send to connection %d", i);
                requests++;
                start = k + 1;
            }
            memmove(buf[i], buf[i] + start, end - start);
            len[i] = end - start;
        }
    }
    for (int i = 0; i < n; i++)
        if (p[i].fd >= 0)
            close(p[i].fd);
    if (requests != 2L * n)
        batch_fail(b, "the poll floor answered %ld requests (%d connections)", requests, n);
}

/* ---- one batch ---------------------------------------------------------------- */
static int batch_open(batch_t *b) {
    for (int i = 0; i < b->n; i++) {
        int sv[2], fl = -1;
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 &&
            ((fl = fcntl(sv[1], F_GETFL)) < 0 || fcntl(sv[1], F_SETFL, fl | O_NONBLOCK) < 0)) {
            close(sv[0]);
            close(sv[1]);
            fl = -1;
        }
        if (fl < 0) {
            batch_fail(b, "cannot make connection %d: %s", i, strerror(errno));
            for (int j = 0; j < i; j++) {
                close(b->server[j]);
                close(b->cl[j].fd);
            }
            return -1;
        }
        b->server[i] = sv[0];
        b->cl[i] = (client_t){.fd = sv[1], .phase = C_HELLO};
    }
    atomic_store(&b->forked, 0);
    return 0;
}

static void batch_close(batch_t *b) {
    for (int i = 0; i < b->n; i++)
        close(b->cl[i].fd);
}

/* Serves the batch's server ends with the design; they are closed after. */
static void batch_serve(batch_t *b) {
    int n = b->n;
    if (b->design == DESIGN_POLL) {
        poll_serve(b);
    } else if (b->design == DESIGN_LOOP) {
        loop_stats_t st;
        if (loop_serve(b->server, n, 0, &st) != 0)
            batch_fail(b, "loop_serve failed: %s", strerror(errno));
        else if (st.requests != 2L * n || st.closed != n)
            batch_fail(b, "loop_serve counted %ld requests, %ld closed (%d connections)", st.requests,
                       st.closed, n);
    } else if (b->design == DESIGN_THREADS) {
        pthread_t t[MAXN];
        int started = 0;
        for (; started < n; started++)
            if (pthread_create(&t[started], NULL, session_thread, (void *)(intptr_t)b->server[started]) != 0)
                break;
        if (started < n) {
            batch_fail(b, "pthread_create failed after %d threads", started);
            for (int i = started; i < n; i++)
                close(b->server[i]);
        }
        for (int i = 0; i < started; i++)
            lab_thread_join(t[i], NULL);
    } else {
        int started = 0;
        for (; started < n; started++) {
            pid_t p = fork();
            if (p < 0)
                break;
            if (p == 0) {
                /* Only this connection's server end stays open in the
                 * child: a copy of another's would keep that one from
                 * ever reaching its client as EOF. */
                for (int j = started + 1; j < n; j++)
                    close(b->server[j]);
                for (int j = 0; j < n; j++)
                    close(b->cl[j].fd);
                session_serve(b->server[started]);
                _exit(0);
            }
            b->pid[started] = p;
            atomic_fetch_add(&b->forked, 1);
            close(b->server[started]);
        }
        if (started < n) {
            batch_fail(b, "fork failed after %d children", started);
            for (int i = started; i < n; i++)
                close(b->server[i]);
            atomic_store(&b->forked, n); /* nobody waits for the rest */
        }
        for (int i = 0; i < started; i++)
            while (waitpid(b->pid[i], NULL, 0) < 0 && errno == EINTR)
                ;
    }
}

/* One whole batch: clients and server, then the clients' verdict. */
static void batch_run(batch_t *b) {
    lab_thread_create(&b->tid, NULL, clients_main, b);
    batch_serve(b);
    lab_thread_join(b->tid, NULL);
}

static void bm_serve(gb_state_t *st, void *arg) {
    design_t design = (design_t)(intptr_t)arg;
    labbench_thread_begin(st);
    batch_t *b = lab_calloc(1, sizeof *b);
    b->n = (int)gb_range_arg(st, 0);
    b->design = design;
    if (b->n < 1 || b->n > MAXN) {
        gb_skip_with_error(st, "connections out of range");
        free(b);
        return;
    }
    /* Memory, once, untimed: a batch that samples at its peak. */
    double rss = 0, vm = 0;
    if (batch_open(b) == 0) {
        b->sample = 1;
        mem_self(&b->base_rss, &b->base_vm);
        batch_run(b);
        batch_close(b);
        b->sample = 0;
        rss = (b->peak_rss - b->base_rss) / b->n;
        vm = (b->peak_vm - b->base_vm) / b->n;
    }
    while (gb_keep_running(st)) {
        gb_pause_timing(st);
        int ok = b->error[0] == '\0' && batch_open(b) == 0;
        gb_resume_timing(st);
        if (!ok)
            break;
        batch_run(b);
        gb_pause_timing(st);
        batch_close(b);
        gb_resume_timing(st);
    }
    if (b->error[0] != '\0')
        gb_skip_with_error(st, b->error);
    gb_counter_set(st, "rss_kib_per_conn", rss, GB_COUNTER_DEFAULT);
    gb_counter_set(st, "vm_kib_per_conn", vm, GB_COUNTER_DEFAULT);
    gb_counter_set(st, "conns", b->n, GB_COUNTER_DEFAULT);
    char op[32];
    snprintf(op, sizeof op, "%03d-%s", b->n, design_name[design]);
    labbench_thread_end(st, op, gb_iterations_done(st));
    free(b);
}

static const int64_t conns[] = {16, 64, 256};

static void register_design(design_t d) {
    gb_bench_t *b = gb_register(design_name[d], bm_serve, (void *)(intptr_t)d);
    gb_unit(gb_threads(gb_use_real_time(gb_args_list(b, conns, 3)), 1), GB_MS);
}

void lab_bench_register(const labbench_t *lb) {
    /* The batch is what is timed, whatever --threads says: one server
     * thread (or its threads and processes) against one client thread. */
    register_design(DESIGN_LOOP);
    if (lb->reference) {
        register_design(DESIGN_THREADS);
        register_design(DESIGN_PROCESSES);
    }
    labbench_t one = *lb;
    one.threads = (const int[]){1}, one.nthreads = 1;
    gb_bench_t *f = labbench_register_floor(&one, "loop-floor", "poll", bm_serve, (void *)(intptr_t)DESIGN_POLL);
    if (f)
        gb_unit(gb_args_list(f, conns, 3), GB_MS);
}
