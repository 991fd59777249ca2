/* Lab 18, event loop: the torture driver. One check per run.
 *
 * Each check makes socket pairs, hands the server ends to loop_serve() on
 * the main thread, and plays the clients on the other ends: from threads
 * of their own (one per connection), or, in `single`, from the main thread
 * before the loop starts. Clients check every answer they get, byte for
 * byte, and fail the check from wherever they are. A loop that waits for
 * one client while the others need it is reported when the others' time
 * is up (well under 1 s), with that reason, never waited out; so is a
 * loop whose idle timer does not fire while every client is silent (1.5 s
 * after the loop started).
 *
 *   $ build/labs/18-event-loop/broken/test stagger
 *   FAIL: check finishes within 0.575 s / one slow client stalled the rest: ... (check stagger, seed 42)
 *   $ build/labs/18-event-loop/fixed/test stagger
 *   ok: stagger: 20 clients pausing 5..100 ms each (1.050 s in all) were all served in 0.104 s
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "loop.h"

enum { MAXCONN = 64 };

/* ---- small tools ----------------------------------------------------------- */
static void sleep_s(double s) {
    if (s <= 0)
        return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* --threads is the number of connections (clients) here. Out of range:
 * bad usage, one line and exit 2. */
static int opt_conns(const lab_opts_t *o, int dflt, int lo) {
    int n = lab_opt_threads(o, dflt);
    if (n < lo || n > MAXCONN) {
        fprintf(stderr, "test: --threads (connections) for %s wants %d to %d, not %d\n", o->check, lo,
                MAXCONN, n);
        exit(2);
    }
    return n;
}

static void pair_make(int *server, int *client) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        lab_fail("socketpair() works / %s", strerror(errno));
    *server = sv[0];
    *client = sv[1];
}

static void upcase(char *dst, const char *src, size_t n) {
    for (size_t i = 0; i < n; i++)
        dst[i] = (src[i] >= 'a' && src[i] <= 'z') ? (char)(src[i] - 'a' + 'A') : src[i];
}

/* Everything, or fail the check: a client's request must reach the server. */
static void send_all(int fd, const char *p, size_t n, int conn) {
    while (n > 0) {
        ssize_t r = send(fd, p, n, MSG_NOSIGNAL);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            lab_fail("client %d can send its request / send: %s (the server closed the connection early?)",
                     conn, strerror(errno));
        p += r;
        n -= (size_t)r;
    }
}

static void send_str(int fd, const char *s, int conn) { send_all(fd, s, strlen(s), conn); }

static void shut_wr(int fd, int conn) {
    if (shutdown(fd, SHUT_WR) != 0)
        lab_fail("client %d can end its requests (shutdown) / %s", conn, strerror(errno));
}

/* ---- a client's view of its connection --------------------------------------- */
typedef struct {
    int fd;
    int conn;
    char buf[4096];
    size_t len, off;
} reader_t;

static void reader_init(reader_t *r, int fd, int conn) {
    r->fd = fd;
    r->conn = conn;
    r->len = r->off = 0;
}

/* The next byte from the server: 0..255, or -1 at EOF (or a reset). */
static int reader_byte(reader_t *r) {
    if (r->off == r->len) {
        ssize_t n;
        do
            n = recv(r->fd, r->buf, sizeof r->buf, 0);
        while (n < 0 && errno == EINTR);
        if (n <= 0)
            return -1;
        r->len = (size_t)n;
        r->off = 0;
    }
    return (unsigned char)r->buf[r->off++];
}

/* The next byte, left for the next read: 0..255, or -1 at EOF. */
static int reader_peek(reader_t *r) {
    int ch = reader_byte(r);
    if (ch >= 0)
        r->off--;
    return ch;
}

/* Shows a line for a failure message: printable, and short. */
static const char *shown(const char *s, size_t n, char *out, size_t cap) {
    size_t k = 0;
    out[k++] = '"';
    for (size_t i = 0; i < n && k + 8 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\n')
            k += (size_t)snprintf(out + k, cap - k, "\\n");
        else if (ch < 32 || ch > 126)
            k += (size_t)snprintf(out + k, cap - k, "\\x%02x", ch);
        else
            out[k++] = (char)ch;
    }
    snprintf(out + k, cap - k, "%s\"", k + 8 >= cap ? "..." : "");
    return out;
}

/* The answer to `request` (a whole line) must come next. */
static void expect_answer(reader_t *r, const char *request) {
    size_t n = strlen(request);
    char want[256], got[256];
    if (n >= sizeof want)
        lab_fail("driver: requests fit in %zu bytes / got %zu", sizeof want, n);
    upcase(want, request, n);
    size_t k = 0;
    int ch = 0;
    while (k < n && (ch = reader_byte(r)) >= 0) {
        got[k++] = (char)ch;
        if (ch == '\n')
            break;
    }
    if (k != n || memcmp(want, got, n) != 0) {
        char a[96], b[96];
        lab_fail("client %d gets %s / got %s%s", r->conn, shown(want, n, a, sizeof a),
                 shown(got, k, b, sizeof b), ch < 0 ? " and then EOF: the server closed the connection" : "");
    }
}

/* After the client's shutdown, the server owes nothing more and closes. */
static void expect_eof(reader_t *r) {
    int ch = reader_byte(r);
    if (ch >= 0)
        lab_fail("client %d reads EOF after its last answer / got one more byte 0x%02x", r->conn, ch);
}

/* ---- running the loop against client threads --------------------------------- */
typedef struct client client_t;
struct client {
    int conn; /* 0 .. n-1: which connection this client is */
    int fd;   /* the client's end */
    pthread_t tid;
    void *shared; /* the check's own state */
};

/* How many times the calling thread has blocked (given up its CPU to wait:
 * voluntary context switches). A loop asleep in poll() blocks there; one
 * that spins never blocks, however little CPU a loaded machine gives it, so
 * this tells the two apart where its share of CPU alone may not. */
static long thread_blocked(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_THREAD, &ru) != 0)
        lab_fail("getrusage(RUSAGE_THREAD) works / %s", strerror(errno));
    return ru.ru_nvcsw;
}

typedef struct {
    loop_stats_t st;
    double took; /* seconds loop_serve() ran */
    int rc;
    double cpu;   /* the loop thread's CPU seconds in loop_serve() */
    long blocked; /* times the loop thread blocked in it */
} served_t;

/* Starts a thread per client running fn, serves the server ends on this
 * thread, then waits for the clients. */
static served_t serve_with_clients(int n, const int *server, client_t *cl, void *(*fn)(void *), double idle) {
    for (int i = 0; i < n; i++)
        lab_thread_create(&cl[i].tid, NULL, fn, &cl[i]);
    served_t s;
    long b0 = thread_blocked();
    double c0 = lab_thread_cpu(), t0 = lab_now();
    s.rc = loop_serve(server, n, idle, &s.st);
    s.took = lab_now() - t0;
    s.cpu = lab_thread_cpu() - c0;
    s.blocked = thread_blocked() - b0;
    if (s.rc != 0)
        lab_fail("loop_serve() returns 0 / it returned %d: %s", s.rc, strerror(errno));
    for (int i = 0; i < n; i++) {
        lab_thread_join(cl[i].tid, NULL);
        close(cl[i].fd);
    }
    return s;
}

static void pairs_make(int n, int *server, client_t *cl, void *shared) {
    for (int i = 0; i < n; i++) {
        pair_make(&server[i], &cl[i].fd);
        cl[i].conn = i;
        cl[i].shared = shared;
    }
}

static void expect_stats(const loop_stats_t *st, long requests, long closed, long timed_out) {
    LAB_EXPECT_EQ(requests, st->requests, "requests answered (stats.requests)");
    LAB_EXPECT_EQ(closed, st->closed, "connections closed (stats.closed)");
    LAB_EXPECT_EQ(timed_out, st->timed_out, "connections closed by the idle timer (stats.timed_out)");
}

/* A descriptor that loop_serve() has closed (only where no other thread
 * can have opened one with the same number since). */
static void expect_closed(int fd, const char *what) {
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
        lab_fail("loop_serve() closes %s when the connection ends / it is still open", what);
}

/* Descriptors open in this process: to see one that loop_serve() opened
 * for itself (an epoll or a timer fd) and left open. Only while no other
 * thread opens or closes any. */
static int fds_open(void) {
    int n = 0;
    for (int fd = 0; fd < 4096; fd++)
        n += fcntl(fd, F_GETFD) != -1;
    return n;
}

/* The highest descriptor open, or -1. */
static int fd_highest(void) {
    int top = -1;
    for (int fd = 0; fd < 4096; fd++)
        if (fcntl(fd, F_GETFD) != -1)
            top = fd;
    return top;
}

/* ---- single: one thread, everything sent before the loop starts ---------------- */
/* loop.h: "fds NULL with n > 0: EINVAL". In a child (the process is single-
 * threaded here), so that a loop that reads the NULL array dies there and
 * the check says so; without a child (fork refused), in this process. */
static void null_fds(void) {
    loop_stats_t st;
    pid_t pid = fork();
    if (pid == 0) {
        errno = 0;
        int rc = loop_serve(NULL, 1, 0, &st);
        _exit(rc == -1 && errno == EINVAL ? 0 : rc == -1 ? 2 : 3);
    }
    if (pid < 0) {
        errno = 0;
        int rc = loop_serve(NULL, 1, 0, &st);
        if (rc != -1 || errno != EINVAL)
            lab_fail("loop_serve(NULL, 1) returns -1 with errno EINVAL / it returned %d, errno %d", rc, errno);
        return;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            lab_fail("waitpid works / %s", strerror(errno));
    if (WIFSIGNALED(status))
        lab_fail("loop_serve(NULL, 1) (fds NULL with n > 0) returns -1 with errno EINVAL, touching nothing / it "
                 "was killed by signal %d (%s): it read the NULL array (is only n < 0 checked?)",
                 WTERMSIG(status), strsignal(WTERMSIG(status)));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        lab_fail("loop_serve(NULL, 1) (fds NULL with n > 0) returns -1 with errno EINVAL / it %s",
                 WIFEXITED(status) && WEXITSTATUS(status) == 2 ? "returned -1 with another errno"
                                                                : "did not return -1");
}

/* loop.h: -1 "if waiting itself fails (every fd closed even then)". A
 * poll() over more descriptors than RLIMIT_NOFILE allows fails with EINVAL
 * whatever they are, so FAILING connections under a limit of half as many
 * make it fail (an epoll design cannot make its epoll fd there either). A
 * design that can serve anyway may; one that fails must have closed every
 * fd it owns. */
enum { FAILING = 8 };

static int wait_fails(void) {
    int server[FAILING], client[FAILING];
    for (int i = 0; i < FAILING; i++) {
        pair_make(&server[i], &client[i]);
        send_all(client[i], "x\n", 2, i);
        shut_wr(client[i], i);
    }
    struct rlimit was, low;
    if (getrlimit(RLIMIT_NOFILE, &was) != 0)
        lab_fail("getrlimit(RLIMIT_NOFILE) works / %s", strerror(errno));
    low = was;
    low.rlim_cur = FAILING / 2;
    if (setrlimit(RLIMIT_NOFILE, &low) != 0)
        lab_fail("setrlimit(RLIMIT_NOFILE) works / %s", strerror(errno));
    loop_stats_t st;
    errno = 0;
    int rc = loop_serve(server, FAILING, 0, &st);
    int err = errno;
    if (setrlimit(RLIMIT_NOFILE, &was) != 0)
        lab_fail("setrlimit(RLIMIT_NOFILE) works / %s", strerror(errno));
    if (rc != 0 && (rc != -1 || err == 0))
        lab_fail("when waiting fails, loop_serve() returns -1 with errno set / it returned %d, errno %d", rc, err);
    for (int i = 0; i < FAILING; i++) {
        if (fcntl(server[i], F_GETFD) != -1 || errno != EBADF)
            lab_fail("loop_serve() closes every fd it owns, also when waiting itself fails (loop.h) / %d "
                     "connections under a descriptor limit of %d (a poll() over them says EINVAL): it returned "
                     "%d (%s) and left the fd of connection %d open",
                     FAILING, FAILING / 2, rc, rc == 0 ? "served" : strerror(err), i);
        reader_t r;
        reader_init(&r, client[i], i);
        if (rc == 0)
            expect_answer(&r, "x\n");
        expect_eof(&r);
        close(client[i]);
    }
    return rc;
}

/* ---- a signal while the loop waits ---------------------------------------------
 * loop.h: -1 only for bad arguments "or if waiting itself fails". A signal
 * whose handler was installed without SA_RESTART (a timer, a profiler's
 * SIGPROF, SIGCHLD, SIGWINCH) makes a wait in poll() or epoll_wait() return
 * -1 with EINTR, which SA_RESTART never restarts anyway: the wait did not
 * fail, and the loop must wait again. The client sends the signal only once
 * the loop's thread is asleep in such a wait (its /proc syscall file, or,
 * where that cannot be read, asleep in 5 looks in a row), and nothing else
 * can wake it then: the client says nothing until the handler has run. */
static atomic_int interrupted;
static void on_interrupt(int sig) {
    (void)sig;
    atomic_store(&interrupted, 1);
}


/* 1 if thread tid is in a call that waits for descriptors, 0 if not, -1
 * if its syscall file cannot be read. */
static int in_wait_call(int tid) {
    char path[64], buf[128];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    long nr = strtol(buf, NULL, 10);
    static const long waits[] = {
#ifdef SYS_poll
        SYS_poll,
#endif
#ifdef SYS_select
        SYS_select,
#endif
#ifdef SYS_epoll_wait
        SYS_epoll_wait,
#endif
#ifdef SYS_epoll_pwait2
        SYS_epoll_pwait2,
#endif
        SYS_ppoll, SYS_pselect6, SYS_epoll_pwait,
    };
    for (size_t i = 0; i < sizeof waits / sizeof *waits; i++)
        if (nr == waits[i])
            return 1;
    return 0;
}

typedef struct {
    pthread_t loop;
    int loop_tid;
    int answered; /* 1: the request after the signal was answered, then EOF */
    int how;      /* 1: seen in a waiting call; 0: only seen asleep */
} interrupt_t;

static void *interrupt_client(void *p) {
    client_t *c = p;
    interrupt_t *in = c->shared;
    int asleep = 0;
    double until = lab_now() + 2.0;
    for (;;) {
        char st = lab_task_state(in->loop_tid);
        int w = in_wait_call(in->loop_tid);
        asleep = st == 'S' ? asleep + 1 : 0;
        if (st == 'S' && w == 1) {
            in->how = 1;
            break;
        }
        if (asleep >= 5 && (w < 0 || lab_now() > until))
            break;
        sleep_s(0.001);
    }
    pthread_kill(in->loop, SIGUSR2);
    while (!atomic_load(&interrupted))
        sleep_s(0.001);
    const char req[] = "after the signal\n";
    ssize_t w = send(c->fd, req, sizeof req - 1, MSG_NOSIGNAL);
    if (w != (ssize_t)(sizeof req - 1) || shutdown(c->fd, SHUT_WR) != 0)
        return NULL;
    reader_t r;
    reader_init(&r, c->fd, c->conn);
    char want[sizeof req];
    upcase(want, req, sizeof req - 1);
    for (size_t i = 0; i < sizeof req - 1; i++)
        if (reader_byte(&r) != (unsigned char)want[i])
            return NULL;
    in->answered = reader_byte(&r) < 0;
    return NULL;
}

/* Serves one client, which signals the loop's thread while it waits and
 * only then sends a request; the loop must answer it and return 0. */
static int signal_while_waiting(void) {
    struct sigaction was;
    lab_interrupts_install(on_interrupt, &was); /* the wait returns EINTR */
    atomic_store(&interrupted, 0);
    interrupt_t in = {.loop = pthread_self(), .loop_tid = (int)gettid()};
    int server[1];
    client_t cl[1];
    pairs_make(1, server, cl, &in);
    lab_thread_create(&cl[0].tid, NULL, interrupt_client, &cl[0]);
    loop_stats_t st;
    int rc = loop_serve(server, 1, 0, &st);
    int err = errno;
    lab_thread_join(cl[0].tid, NULL);
    close(cl[0].fd);
    sigaction(SIGUSR2, &was, NULL);
    if (rc != 0)
        lab_fail("a signal (handler without SA_RESTART) while loop_serve() waits is no failure of the wait: it "
                 "goes on serving and returns 0 / it returned %d (%s)%s: a poll() or epoll_wait() that says "
                 "EINTR must simply be called again",
                 rc, strerror(err), in.answered ? "" : ", the request sent after the signal never answered");
    if (!in.answered)
        lab_fail("after a signal interrupted its wait, the loop answers the next request, then EOF / the client "
                 "got no answer");
    expect_stats(&st, 1, 1, 0);
    return in.how;
}

static void check_single(const lab_opts_t *o) {
    (void)o;
    loop_stats_t st = {7, 7, 7};
    LAB_EXPECT_EQ(0, loop_serve(NULL, 0, 0, &st), "loop_serve() of no connections");
    expect_stats(&st, 0, 0, 0);
    errno = 0;
    int bad = loop_serve(NULL, -1, 0, NULL);
    if (bad != -1 || errno != EINVAL)
        lab_fail("loop_serve(n = -1) returns -1 with errno EINVAL / it returned %d, errno %d", bad, errno);
    null_fds();

    /* Connection 0: three requests and a tail with no newline; connection
     * 1: hangs up without a word. Both end at once, so the loop returns. */
    int server[2], client[2];
    pair_make(&server[0], &client[0]);
    pair_make(&server[1], &client[1]);
    int before = fds_open();
    const char sent[] = "hello, world\n\nMiXeD case 123 \xff~ done\ntail without newline";
    const char want[] = "HELLO, WORLD\n\nMIXED CASE 123 \xff~ DONE\n";
    send_all(client[0], sent, sizeof sent - 1, 0);
    shut_wr(client[0], 0);
    shut_wr(client[1], 1);
    if (loop_serve(server, 2, 0, &st) != 0)
        lab_fail("loop_serve() returns 0 / it returned -1: %s", strerror(errno));
    expect_stats(&st, 3, 2, 0);
    expect_closed(server[0], "the server end of connection 0");
    expect_closed(server[1], "the server end of connection 1");
    if (fds_open() != before - 2)
        lab_fail("loop_serve() leaves no descriptor of its own open when it returns / %d more open than "
                 "before it ran (an epoll or timer fd not closed?)",
                 fds_open() - (before - 2));

    char got[sizeof want + 64];
    size_t k = 0;
    reader_t r;
    reader_init(&r, client[0], 0);
    for (int ch; k < sizeof got && (ch = reader_byte(&r)) >= 0;)
        got[k++] = (char)ch;
    if (k != sizeof want - 1 || memcmp(got, want, k) != 0) {
        char a[128], b[128];
        lab_fail("client 0 gets %s, then EOF / got %s", shown(want, sizeof want - 1, a, sizeof a),
                 shown(got, k, b, sizeof b));
    }
    reader_init(&r, client[1], 1);
    expect_eof(&r);
    close(client[0]);
    close(client[1]);

    /* No descriptor left to open: a loop that needs one of its own (epoll)
     * may fail, but then with every connection's fd closed, as promised;
     * one that needs none serves as usual. */
    pair_make(&server[0], &client[0]);
    send_all(client[0], "x\n", 2, 0);
    shut_wr(client[0], 0);
    struct rlimit was, full;
    if (getrlimit(RLIMIT_NOFILE, &was) != 0)
        lab_fail("getrlimit(RLIMIT_NOFILE) works / %s", strerror(errno));
    full = was;
    full.rlim_cur = (rlim_t)fd_highest() + 1;
    if (setrlimit(RLIMIT_NOFILE, &full) != 0)
        lab_fail("setrlimit(RLIMIT_NOFILE) works / %s", strerror(errno));
    static int holes[4096]; /* the free numbers below the limit, taken */
    int nholes = 0;
    while (nholes < 4096 && (holes[nholes] = dup(2)) >= 0)
        nholes++;
    errno = 0;
    int rc = loop_serve(server, 1, 0, &st);
    int err = errno;
    while (nholes > 0)
        close(holes[--nholes]);
    if (setrlimit(RLIMIT_NOFILE, &was) != 0)
        lab_fail("setrlimit(RLIMIT_NOFILE) works / %s", strerror(errno));
    expect_closed(server[0], "the connection's fd, also when it cannot serve (no descriptor left)");
    reader_init(&r, client[0], 0);
    if (rc == 0) {
        const char *w = "X\n";
        for (int i = 0; w[i] != '\0'; i++)
            if (reader_byte(&r) != w[i])
                lab_fail("with no descriptor left to open, the loop serves or fails / it returned 0 without "
                         "answering \"x\"");
    } else if (rc != -1 || err == 0) {
        lab_fail("with no descriptor left to open, loop_serve() returns 0 or -1 with errno set / it returned "
                 "%d, errno %d",
                 rc, err);
    }
    expect_eof(&r);
    close(client[0]);
    int failed = wait_fails();
    int how = signal_while_waiting();
    lab_pass("one connection: 3 lines answered in order, a tail without newline ignored, EOF and close; "
             "an empty connection closed; n = 0, n < 0 and a NULL array handled; no descriptor left open; with "
             "no descriptor to spare it %s; %d connections under a limit of %d descriptors it %s; a signal "
             "while it waited (%s) did not stop it",
             rc == 0 ? "served" : "failed with the connection closed", FAILING, FAILING / 2,
             failed == 0 ? "served" : "failed with every fd closed",
             how ? "in its waiting call" : "asleep in 5 looks");
}

/* ---- pieces: partial reads and many lines per read ------------------------------ */
typedef struct {
    char *stream; /* what the client sends */
    size_t len;
    size_t answered; /* the prefix up to the last '\n' */
    uint64_t seed;
} script_t;

static char random_char(uint64_t *rs) {
    static const char set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;!?-_/\t";
    uint64_t x = lab_rand_next(rs) % 100;
    if (x < 5)
        return (char)(0x80 + lab_rand_next(rs) % 128); /* bytes above ASCII pass unchanged */
    return set[lab_rand_next(rs) % (sizeof set - 1)];
}

/* 30 lines of 0..120 bytes and one of 20000, in random order, then a tail
 * without '\n' that must get no answer. */
static script_t script_make(uint64_t seed) {
    script_t s = {lab_calloc(32 * 20200, 1), 0, 0, seed};
    uint64_t rs = seed;
    int big = (int)(lab_rand_next(&rs) % 31);
    for (int line = 0; line < 31; line++) {
        size_t len = line == big ? 20000 : lab_rand_next(&rs) % 121;
        for (size_t i = 0; i < len; i++)
            s.stream[s.len++] = random_char(&rs);
        s.stream[s.len++] = '\n';
    }
    s.answered = s.len;
    size_t tail = 1 + lab_rand_next(&rs) % 20;
    for (size_t i = 0; i < tail; i++)
        s.stream[s.len++] = random_char(&rs);
    return s;
}

static void *pieces_client(void *p) {
    client_t *c = p;
    script_t *s = &((script_t *)c->shared)[c->conn];
    uint64_t rs = s->seed ^ 0x9e3779b97f4a7c15ULL;
    /* Pieces of 1 byte to 8 KiB, cut anywhere (mid-line, several lines in
     * one), with a short pause after some: the server sees every kind of
     * partial read. */
    for (size_t off = 0; off < s->len;) {
        uint64_t kind = lab_rand_next(&rs) % 10;
        size_t piece = kind < 3   ? 1 + lab_rand_next(&rs) % 16
                       : kind < 9 ? 17 + lab_rand_next(&rs) % 500
                                  : 513 + lab_rand_next(&rs) % 8000;
        if (piece > s->len - off)
            piece = s->len - off;
        send_all(c->fd, s->stream + off, piece, c->conn);
        off += piece;
        uint64_t pause = lab_rand_next(&rs) % 8;
        if (pause == 0)
            sleep_s(0.0002 + (double)(lab_rand_next(&rs) % 800) * 1e-6);
        else if (pause == 1)
            sched_yield();
    }
    shut_wr(c->fd, c->conn);

    char *want = lab_calloc(s->answered + 1, 1);
    char *got = lab_calloc(s->answered + 64, 1);
    upcase(want, s->stream, s->answered);
    size_t k = 0;
    reader_t r;
    reader_init(&r, c->fd, c->conn);
    for (int ch; k < s->answered + 64 && (ch = reader_byte(&r)) >= 0;)
        got[k++] = (char)ch;
    size_t at = 0;
    while (at < k && at < s->answered && got[at] == want[at])
        at++;
    if (k != s->answered || at != k) {
        char a[64], b[64];
        size_t wn = s->answered - at < 24 ? s->answered - at : 24, gn = k - at < 24 ? k - at : 24;
        lab_fail("client %d gets the %zu bytes of its 31 answers, then EOF / got %zu bytes, the first "
                 "difference at byte %zu: wanted %s, got %s",
                 c->conn, s->answered, k, at, shown(want + at, wn, a, sizeof a),
                 shown(got + at, gn, b, sizeof b));
    }
    free(want);
    free(got);
    return NULL;
}

static void check_pieces(const lab_opts_t *o) {
    int n = opt_conns(o, 4, 1);
    int server[MAXCONN];
    client_t cl[MAXCONN];
    script_t sc[MAXCONN];
    for (int i = 0; i < n; i++)
        sc[i] = script_make(lab_seed_for(i));
    pairs_make(n, server, cl, sc);
    served_t s = serve_with_clients(n, server, cl, pieces_client, 0);
    expect_stats(&s.st, 31L * n, n, 0);
    size_t bytes = 0;
    for (int i = 0; i < n; i++) {
        bytes += sc[i].len;
        free(sc[i].stream);
    }
    lab_pass("%d clients sent %zu bytes in pieces of 1 byte to 8 KiB: every one of %d lines answered intact, "
             "in order (%.3f s)",
             n, bytes, 31 * n, s.took);
}

/* ---- stagger: many slow clients, served in the time of the slowest ------------------ */
typedef struct {
    double delay[MAXCONN];
    pthread_mutex_t m;
    int max_threads;  /* most threads seen in this process while clients waited */
    int saw_children; /* loop_serve() had started a process */
} stagger_t;

static int threads_now(void) {
    FILE *f = fopen("/proc/self/status", "r");
    int n = 0;
    char line[256];
    if (f == NULL)
        return 0; /* no /proc: nothing to judge by */
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    fclose(f);
    return n;
}

static int children_now(void) {
    char path[64], buf[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    size_t k = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[k] = '\0';
    return strspn(buf, " \n") < k;
}

/* Hello, answer; then the next request in two pieces with the client's own
 * pause between them: the pause starts only once the server has answered
 * the hello, so a server that serves one client at a time pays every pause
 * in turn. */
static void *stagger_client(void *p) {
    client_t *c = p;
    stagger_t *sg = c->shared;
    reader_t r;
    reader_init(&r, c->fd, c->conn);
    char hello[64], req[128];
    snprintf(hello, sizeof hello, "hello from client %d\n", c->conn);
    snprintf(req, sizeof req, "client %d paused %.1f ms in the middle of this request\n", c->conn,
             sg->delay[c->conn] * 1e3);
    send_str(c->fd, hello, c->conn);
    expect_answer(&r, hello);
    size_t half = strlen(req) / 2;
    send_all(c->fd, req, half, c->conn);
    int t = threads_now(), kids = children_now();
    lab_mutex_lock(&sg->m);
    if (t > sg->max_threads)
        sg->max_threads = t;
    sg->saw_children |= kids;
    lab_mutex_unlock(&sg->m);
    sleep_s(sg->delay[c->conn]);
    send_str(c->fd, req + half, c->conn);
    expect_answer(&r, req);
    shut_wr(c->fd, c->conn);
    expect_eof(&r);
    return NULL;
}

static void check_stagger(const lab_opts_t *o) {
    int n = opt_conns(o, 20, 2);
    stagger_t sg = {.max_threads = 0};
    lab_mutex_init(&sg.m, NULL);
    /* Distinct pauses, 5 ms apart, up to 5 ms x n, in a random order. */
    const double step = 0.100 / 20;
    double sum = 0, max = step * n;
    for (int i = 0; i < n; i++)
        sg.delay[i] = step * (i + 1);
    uint64_t rs = lab_seed_for(0);
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(lab_rand_next(&rs) % (uint64_t)(i + 1));
        double d = sg.delay[i];
        sg.delay[i] = sg.delay[j];
        sg.delay[j] = d;
    }
    for (int i = 0; i < n; i++)
        sum += sg.delay[i];
    /* Halfway from the slowest client to the sum: generous for a loop that
     * waits on them all at once, out of reach for one that waits on each in
     * turn, which needs the whole sum. */
    double limit = max + (sum - max) / 2;
    char reason[300];
    snprintf(reason, sizeof reason,
             "one slow client stalled the rest: %d clients pausing %.0f..%.0f ms each (%.3f s in all) were "
             "not all served in %.3f s; the loop waits on one client at a time",
             n, step * 1e3, max * 1e3, sum, limit);

    int server[MAXCONN];
    client_t cl[MAXCONN];
    pairs_make(n, server, cl, &sg);
    lab_watchdog_arm(limit, reason);
    served_t s = serve_with_clients(n, server, cl, stagger_client, 0);
    lab_watchdog_arm(o->timeout, "timed out: a deadlock, a lost wakeup or an endless loop");
    expect_stats(&s.st, 2L * n, n, 0);
    /* The driver's own threads: this one and one per client. */
    if (sg.max_threads > n + 2)
        lab_fail("loop_serve() runs on the calling thread alone / the process had %d threads while it "
                 "served %d clients (at most %d are the driver's)",
                 sg.max_threads, n, n + 1);
    if (sg.saw_children)
        lab_fail("loop_serve() runs on the calling thread alone / it started a child process");
    lab_mutex_destroy(&sg.m);
    lab_pass("%d clients pausing %.0f..%.0f ms each (%.3f s in all) were all served in %.3f s", n, step * 1e3,
             max * 1e3, sum, s.took);
}

/* ---- stuck and slow-reader: one client the loop must not wait for ------------------- */
typedef struct {
    pthread_mutex_t m;
    pthread_cond_t c; /* on CLOCK_MONOTONIC */
    int done;         /* other clients finished */
    int others;
    int gated; /* the others wait for client 0's go */
    int go;
    double window;     /* seconds they get */
    const char *story; /* what client 0 does to the loop, for the failure */
} hold_t;

static void hold_init(hold_t *h, int others, int gated, double window, const char *story) {
    pthread_condattr_t a;
    LAB_PTHREAD(pthread_condattr_init(&a));
    LAB_PTHREAD(pthread_condattr_setclock(&a, CLOCK_MONOTONIC));
    lab_cond_init(&h->c, &a);
    LAB_PTHREAD(pthread_condattr_destroy(&a));
    lab_mutex_init(&h->m, NULL);
    h->done = 0;
    h->others = others;
    h->gated = gated;
    h->go = 0;
    h->window = window;
    h->story = story;
}

static void hold_destroy(hold_t *h) {
    lab_cond_destroy(&h->c);
    lab_mutex_destroy(&h->m);
}

/* Client 0 waits until every other client is done, or fails the check
 * when their time is up. */
static void hold_wait_others(hold_t *h, double t0) {
    double end = t0 + h->window;
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    double left = end - lab_now();
    if (left < 0)
        left = 0;
    dl.tv_sec += (time_t)left;
    dl.tv_nsec += (long)((left - (double)(time_t)left) * 1e9);
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    lab_mutex_lock(&h->m);
    while (h->done < h->others) {
        int rc = pthread_cond_timedwait(&h->c, &h->m, &dl);
        if (rc == ETIMEDOUT)
            break;
        if (rc != 0)
            lab_pthread_die(rc, "pthread_cond_timedwait(&h->c, &h->m, &dl)", __FILE__, __LINE__);
    }
    int done = h->done;
    lab_mutex_unlock(&h->m);
    if (done < h->others)
        lab_fail("the other %d clients are served while %s / only %d of them were done after %.2f s: "
                 "the loop waited for client 0",
                 h->others, h->story, done, h->window);
}

static void hold_go(hold_t *h) {
    lab_mutex_lock(&h->m);
    h->go = 1;
    lab_cond_broadcast(&h->c);
    lab_mutex_unlock(&h->m);
}

/* The others: hello, then two more requests with 10 ms to think before
 * each, then goodbye. */
static void *other_client(void *p) {
    client_t *c = p;
    hold_t *h = c->shared;
    lab_mutex_lock(&h->m);
    while (h->gated && !h->go)
        lab_cond_wait(&h->c, &h->m);
    lab_mutex_unlock(&h->m);
    reader_t r;
    reader_init(&r, c->fd, c->conn);
    char req[64];
    for (int k = 0; k < 3; k++) {
        if (k > 0)
            sleep_s(0.010);
        snprintf(req, sizeof req, "request %d of client %d\n", k, c->conn);
        send_str(c->fd, req, c->conn);
        expect_answer(&r, req);
    }
    shut_wr(c->fd, c->conn);
    expect_eof(&r);
    lab_mutex_lock(&h->m);
    h->done++;
    lab_cond_broadcast(&h->c);
    lab_mutex_unlock(&h->m);
    return NULL;
}

static const char stuck_req[] = "the first half of this request came long before the second\n";
enum { STUCK_HALF = 24 };

static void *stuck_client(void *p) {
    client_t *c = p;
    hold_t *h = c->shared;
    hold_wait_others(h, lab_now()); /* its half request went out before the loop started */
    reader_t r;
    reader_init(&r, c->fd, c->conn);
    send_str(c->fd, stuck_req + STUCK_HALF, c->conn);
    expect_answer(&r, stuck_req);
    shut_wr(c->fd, c->conn);
    expect_eof(&r);
    return NULL;
}

static void *run_client(void *p) {
    client_t *c = p;
    return c->conn == 0 ? stuck_client(p) : other_client(p);
}

static void check_stuck(const lab_opts_t *o) {
    int n = opt_conns(o, 20, 2);
    hold_t h;
    hold_init(&h, n - 1, 0, 0.6, "client 0 sits on half a request");
    int server[MAXCONN];
    client_t cl[MAXCONN];
    pairs_make(n, server, cl, &h);
    send_all(cl[0].fd, stuck_req, STUCK_HALF, 0); /* ready before anyone else */
    served_t s = serve_with_clients(n, server, cl, run_client, 0);
    expect_stats(&s.st, 1 + 3L * (n - 1), n, 0);
    hold_destroy(&h);
    lab_pass("while client 0 sat on half a request, the other %d clients were all served; %.3f s in all",
             n - 1, s.took);
}

/* Client 0 sends requests for 1 MiB of answers and reads none of them
 * until the others are done: far more than a socket holds, so a loop that
 * writes with a blocking send() ends up waiting for client 0 to read. A
 * loop may stop reading client 0 while it owes it too much (that is
 * back-pressure, and fine); it may not stop serving the others, who start
 * once client 0 has sent all it could. */
enum { FLOOD_LINES = 1024, FLOOD_LINE = 1024, FLOOD_EARLY = 64 };

static void flood_line(char *line, int k) {
    memset(line, 'a' + k % 26, FLOOD_LINE - 1);
    snprintf(line, 16, "%08d", k);
    line[8] = ' ';
    line[FLOOD_LINE - 1] = '\n';
}

typedef struct {
    int fd;
    int conn;
    int sent;   /* requests sent whole */
    size_t off; /* bytes of request `sent` already sent */
    long got;   /* answer bytes received and checked */
    int want_k; /* the answer in want[], or -1 */
    char want[FLOOD_LINE];
} flood_t;

/* Sends what the socket takes now: 1 if anything went, 0 if nothing. */
static int flood_send(flood_t *f) {
    char line[FLOOD_LINE];
    int moved = 0;
    while (f->sent < FLOOD_LINES) {
        flood_line(line, f->sent);
        ssize_t r = send(f->fd, line + f->off, FLOOD_LINE - f->off, MSG_NOSIGNAL);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (r < 0)
            lab_fail("client 0 can send its requests / send: %s", strerror(errno));
        moved = 1;
        f->off += (size_t)r;
        if (f->off == FLOOD_LINE) {
            f->off = 0;
            f->sent++;
        }
    }
    return moved;
}

/* Reads and checks what has arrived: -1 at EOF, else the bytes read (0:
 * nothing there). */
static int flood_recv(flood_t *f) {
    char buf[16384];
    ssize_t r = recv(f->fd, buf, sizeof buf, 0);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
    /* A server that closes a connection whose requests it has not all read
     * (answers owed, the idle timer) resets it: closed, like an EOF. */
    if (r == 0 || (r < 0 && errno == ECONNRESET))
        return -1;
    if (r < 0)
        lab_fail("client %d can read its answers / recv: %s", f->conn, strerror(errno));
    for (ssize_t i = 0; i < r; i++, f->got++) {
        int k = (int)(f->got / FLOOD_LINE), at = (int)(f->got % FLOOD_LINE);
        if (k >= f->sent)
            lab_fail("client %d gets answers to whole requests only / got answer byte %ld after %d requests",
                     f->conn, f->got, f->sent);
        if (k != f->want_k) {
            char line[FLOOD_LINE];
            flood_line(line, k);
            upcase(f->want, line, FLOOD_LINE);
            f->want_k = k;
        }
        if (buf[i] != f->want[at])
            lab_fail("client %d gets its %d answers intact / answer %d differs at byte %d: 0x%02x, not 0x%02x",
                     f->conn, f->sent, k, at, (unsigned char)buf[i], (unsigned char)f->want[at]);
    }
    return (int)r;
}

static void *flood_client(void *p) {
    client_t *c = p;
    hold_t *h = c->shared;
    flood_t f = {.fd = c->fd, .sent = FLOOD_EARLY, .want_k = -1}; /* the first went before the loop started */
    /* Non-blocking, so that a server that stops reading cannot stop this
     * client from going on. */
    int fl = fcntl(c->fd, F_GETFL);
    if (fl < 0 || fcntl(c->fd, F_SETFL, fl | O_NONBLOCK) < 0)
        lab_fail("client 0 can make its socket non-blocking / %s", strerror(errno));
    /* Send until all is sent, or until the server has taken nothing for
     * 0.1 s (it stopped reading client 0); only then do the others start,
     * and they get the window to be served in. */
    double last = lab_now();
    while (f.sent < FLOOD_LINES && lab_now() - last < 0.1) {
        if (flood_send(&f)) {
            last = lab_now();
        } else {
            struct pollfd pf = {c->fd, POLLOUT, 0};
            poll(&pf, 1, 10);
        }
    }
    hold_go(h);
    hold_wait_others(h, lab_now());
    /* Now read the answers while sending the rest. */
    int eof = 0, shut = 0;
    while (!eof) {
        flood_send(&f);
        if (f.sent == FLOOD_LINES && !shut) {
            shut_wr(c->fd, 0);
            shut = 1;
        }
        struct pollfd pf = {c->fd, (short)(POLLIN | (shut ? 0 : POLLOUT)), 0};
        if (poll(&pf, 1, 1000) < 0 && errno != EINTR)
            lab_fail("client 0 can wait for its socket / poll: %s", strerror(errno));
        if (pf.revents & (POLLIN | POLLHUP | POLLERR))
            eof = flood_recv(&f) < 0;
    }
    if (f.got != (long)FLOOD_LINES * FLOOD_LINE)
        lab_fail("client 0 gets %d answers, then EOF / got %ld bytes of %ld", FLOOD_LINES, f.got,
                 (long)FLOOD_LINES * FLOOD_LINE);
    return NULL;
}

static void *flood_or_other(void *p) {
    client_t *c = p;
    return c->conn == 0 ? flood_client(p) : other_client(p);
}

/* ---- clients that leave, or wait, with answers owed ---------------------------
 * The server end's send buffer is set to its least (about 4.5 KiB on
 * Linux), so OWED_LINES requests of 1 KiB leave the loop owing most of their
 * answers to a client that does not read them: no megabyte of traffic is
 * needed. 60 KiB also stays under what a loop with back-pressure (alt-epoll:
 * 64 KiB) lets a client owe before it stops reading it, so every design
 * reads all of them at once. */
enum { OWED_LINES = 60 };
static const double LEAVE_WATCH = 3.0; /* seconds: a loop that serves them returns in a few ms */

static void sndbuf_least(int fd) {
    int v = 1; /* the kernel raises it to its minimum */
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v) != 0)
        lab_fail("setsockopt(SO_SNDBUF) works / %s", strerror(errno));
}

static void send_owed(int fd, int conn) {
    char line[FLOOD_LINE];
    for (int k = 0; k < OWED_LINES; k++) {
        flood_line(line, k);
        send_all(fd, line, FLOOD_LINE, conn);
    }
}

typedef struct {
    hold_t h;
    atomic_int left; /* clients 0 and 1 that have closed their ends */
} leave_t;

/* Client 0 sends its requests, shuts down its writing side and closes its
 * end; client 1 closes without the shutdown (its unread answers make the
 * kernel report a reset). Neither reads an answer. The loop's send() then
 * fails (EPIPE), or its recv() (ECONNRESET): the connection has ended, and
 * must be closed. The others start once both have gone. */
static void *leaver_client(void *p) {
    client_t *c = p;
    leave_t *lv = c->shared;
    if (c->conn > 1)
        return other_client(p);
    send_owed(c->fd, c->conn);
    if (c->conn == 0)
        shut_wr(c->fd, 0);
    close(c->fd);
    c->fd = -1; /* serve_with_clients() closes it no more */
    if (atomic_fetch_add(&lv->left, 1) + 1 == 2)
        hold_go(&lv->h);
    if (c->conn == 0)
        hold_wait_others(&lv->h, lab_now());
    return NULL;
}

/* A client that leaves with answers owed: the loop must end its connection
 * (loop.h: "A connection that fails (the peer reset it) just ends"), serve
 * the others meanwhile, and return once all have ended. A loop that takes
 * every failed send() or recv() for EAGAIN keeps the dead connection for
 * ever, woken at once on every turn (POLLHUP): it spins, and never returns. */
static void slow_reader_leaves(int n) {
    leave_t lv;
    atomic_init(&lv.left, 0);
    hold_init(&lv.h, n - 2, 1, 0.6, "clients 0 and 1 left with answers owed");
    int server[MAXCONN];
    client_t cl[MAXCONN];
    pairs_make(n, server, cl, &lv);
    sndbuf_least(server[0]);
    sndbuf_least(server[1]);
    char reason[400];
    snprintf(reason, sizeof reason,
             "loop_serve() returns once every connection has ended, and it had not: client 0 (after "
             "shutdown(SHUT_WR)) and client 1 had closed their ends, owed %d answers each, and the other %d "
             "were done: "
             "a send() failing with EPIPE, or a recv() with ECONNRESET, taken for EAGAIN keeps a dead "
             "connection for ever",
             OWED_LINES, n - 2);
    lab_watchdog_arm(LEAVE_WATCH, reason);
    served_t s = serve_with_clients(n, server, cl, leaver_client, 0);
    if (s.st.closed != n || s.st.timed_out != 0 || s.st.requests < 3L * (n - 2))
        lab_fail("stats count %d connections closed, none by the timer, at least %ld requests / closed %ld, "
                 "timed out %ld, requests %ld",
                 n, 3L * (n - 2), s.st.closed, s.st.timed_out, s.st.requests);
    hold_destroy(&lv.h);
}

static void check_slow_reader(const lab_opts_t *o) {
    int n = opt_conns(o, 20, 2);
    hold_t h;
    hold_init(&h, n - 1, 1, 0.6, "client 0 reads none of the answers to its 1 MiB of requests");
    int server[MAXCONN];
    client_t cl[MAXCONN];
    pairs_make(n, server, cl, &h);
    /* Client 0's first requests are there before the loop starts, so that
     * it is ready at the loop's first look, however late its thread runs. */
    char line[FLOOD_LINE];
    for (int k = 0; k < FLOOD_EARLY; k++) {
        flood_line(line, k);
        send_all(cl[0].fd, line, FLOOD_LINE, 0);
    }
    served_t s = serve_with_clients(n, server, cl, flood_or_other, 0);
    expect_stats(&s.st, FLOOD_LINES + 3L * (n - 1), n, 0);
    hold_destroy(&h);
    slow_reader_leaves(n < 4 ? 4 : n);
    lab_watchdog_arm(o->timeout, "timed out: a deadlock, a lost wakeup or an endless loop");
    lab_pass("while client 0 read none of its 1 MiB of answers, the other %d clients were all served (%.3f s "
             "in all); two clients that left with answers owed were closed, the others served, and the loop "
             "returned",
             n - 1, s.took);
}

/* ---- idle-timeout: the timer --------------------------------------------------------- */
/* Three phases, each its own loop_serve():
 *  - mixed: a silent client among a busy one and one that pauses briefly;
 *    the busy ones keep waking the loop.
 *  - all quiet: no client says anything, so nothing but the timer itself
 *    can wake the loop: it must still close them all, and loop_serve()
 *    must return.
 *  - trickle: one request longer than the timeout, sent a few bytes at a
 *    time with short gaps: each byte that arrives restarts the timer, a
 *    whole line or not.
 * No verdict hangs on a timer being punctual: a close may come up to
 * CLOSE_SLACK late, and a client the machine held up for a whole timeout
 * (a loaded machine does that) may rightly be closed. */
enum { TICKS = 5, QUIET_CONNS = 3, TRICKLE_PIECE = 3, TRICKLE_TRIES = 3 };
static const double IDLE = 0.2, TICK = 0.05, CLOSE_SLACK = 1.3, QUIET_WATCH = 2.5;
static const double TRICKLE_IDLE = 0.3, TRICKLE_GAP = 0.05;
static const char trickle_req[] = "this request trickles in, 3 bytes at a time\n";

typedef struct {
    double t0;             /* before the clients started, so before the loop's clock */
    _Atomic long answered; /* answers the clients got */
    atomic_int excused;    /* clients held up by the machine for IDLE, and rightly closed */
    long reads0;           /* the implementation's clock readings before the loop started */
} idle_t;

/* Sends one request from client 1 or 2 and checks its answer: 1, or 0 if
 * the server closed the connection and that was right. *since is when the
 * previous request started to go out (at first: before the loop started).
 * The server heard nothing from this client for at most the time from then
 * to the end of this send, so if that is under IDLE, a close is a timer
 * that does not count from the last byte heard. If it is over IDLE, the
 * machine held this client up that long (it happens on a loaded machine):
 * the connection was idle and the close was right. */
/* The hint a failure gives while the time of day is stepped. */
static const char *stepped(void) {
    return lab_clock_jump != 0 ? " (the time of day had been stepped an hour off meanwhile, as NTP or an "
                                 "administrator does: does the timer read the wall clock, not a steady one?)"
                               : "";
}

static int idle_request(client_t *c, reader_t *r, idle_t *it, const char *req, int k, double *since) {
    double start = lab_now();
    ssize_t w = send(c->fd, req, strlen(req), MSG_NOSIGNAL);
    double quiet = lab_now() - *since;
    if (w != (ssize_t)strlen(req) || reader_peek(r) < 0) {
        if (quiet >= IDLE) {
            atomic_fetch_add(&it->excused, 1);
            return 0;
        }
        lab_fail("a client never quiet for %.2f s stays open / client %d was closed at its request %d, "
                 "%.3f s in, though it had been quiet for at most %.3f s: the timer must count from the last "
                 "byte heard, not from the start%s",
                 IDLE, c->conn, k, lab_now() - it->t0, quiet, stepped());
    }
    *since = start;
    expect_answer(r, req);
    atomic_fetch_add(&it->answered, 1);
    return 1;
}

static void *idle_client(void *p) {
    client_t *c = p;
    idle_t *it = c->shared;
    reader_t r;
    reader_init(&r, c->fd, c->conn);
    char req[64];
    double since = it->t0;
    if (c->conn == 0) { /* silent: the timer must close it */
        int ch = reader_byte(&r);
        double at = lab_now() - it->t0;
        if (ch >= 0)
            lab_fail("a silent client gets nothing, then EOF / it got byte 0x%02x", ch);
        if (at < IDLE || at > IDLE + CLOSE_SLACK)
            lab_fail(
                "a client silent from the start is closed %.2f to %.2f s after the loop started / it was "
                "closed after %.3f s%s",
                IDLE, IDLE + CLOSE_SLACK, at, stepped());
        return NULL;
    }
    if (c->conn == 1) { /* a pause well inside the timeout */
        if (!idle_request(c, &r, it, "hello\n", 0, &since))
            return NULL;
        sleep_s(IDLE / 2);
        if (!idle_request(c, &r, it, "still here\n", 1, &since))
            return NULL;
    } else { /* busy for longer than the timeout, never quiet for long */
        for (int k = 0; k < TICKS; k++) {
            sleep_s(TICK);
            snprintf(req, sizeof req, "tick %d\n", k);
            if (!idle_request(c, &r, it, req, k, &since))
                return NULL;
            if (k == 1) /* the wall clock is stepped an hour forward (lab.h) */
                lab_clock_jump = 3600;
        }
    }
    shut_wr(c->fd, c->conn);
    expect_eof(&r);
    return NULL;
}

/* Waits for the server to close the connection, until lab_now() reaches
 * `by`: when the client saw EOF (lab_now()), or -1 if it was still open
 * then. A byte from the server fails the check: it owes this client
 * nothing. */
static double eof_by(reader_t *r, double by) {
    for (;;) {
        if (r->off == r->len) {
            /* Past `by`, one last look that does not wait: a client the
             * machine held up must not miss an EOF that came in time. */
            double left = by - lab_now();
            struct pollfd pf = {r->fd, POLLIN, 0};
            int k = poll(&pf, 1, left > 0 ? (int)(left * 1000) + 1 : 0);
            if (k < 0 && errno != EINTR)
                lab_fail("client %d can wait for its socket / poll: %s", r->conn, strerror(errno));
            if (k == 0 && left <= 0)
                return -1;
            if (k <= 0)
                continue;
        }
        int ch = reader_byte(r);
        if (ch >= 0)
            lab_fail("client %d, owed nothing, gets nothing more, then EOF / it got byte 0x%02x", r->conn,
                     ch);
        return lab_now();
    }
}

/* All quiet: no client ever says a word, so nothing but the timer itself
 * can wake the loop (traffic of any kind, even at the very start, could
 * come late on a loaded machine and wake a loop that waits for it). */
static void *quiet_client(void *p) {
    client_t *c = p;
    idle_t *it = c->shared;
    reader_t r;
    reader_init(&r, c->fd, c->conn);
    if (c->conn == 0) {
        /* Once the loop has read a clock, the wall clock is stepped two
         * hours back (from an hour ahead): a deadline taken from it is then
         * two hours off. Nothing is sent, so nothing wakes the loop. */
        while (lab_impl_clock_reads() == it->reads0 && lab_now() - it->t0 < IDLE / 2)
            sleep_s(0.001);
        lab_clock_jump = -3600;
    }
    double at = eof_by(&r, it->t0 + IDLE + CLOSE_SLACK);
    if (at < 0)
        lab_fail("with every client silent, the %.2f s idle timer still closes each one by %.2f s / "
                 "client %d, silent from the start like all %d, was still open %.3f s in: nothing woke the "
                 "loop, and its timer was never looked at (poll() must wait no longer than until the "
                 "earliest deadline)%s",
                 IDLE, IDLE + CLOSE_SLACK, c->conn, QUIET_CONNS, lab_now() - it->t0, stepped());
    if (at - it->t0 < IDLE)
        lab_fail("a silent client is closed no sooner than %.2f s after the loop started / client %d was "
                 "closed after %.3f s",
                 IDLE, c->conn, at - it->t0);
    return NULL;
}

typedef struct {
    double t0;
    int excused; /* the machine held the client up for the timeout, and it was closed */
} trickle_t;

/* One request, TRICKLE_PIECE bytes every TRICKLE_GAP (a sixth of the
 * timeout), longer in all than the timeout: the server hears from this
 * client all the time, though a whole line only at the end. */
static void *trickle_client(void *p) {
    client_t *c = p;
    trickle_t *tr = c->shared;
    reader_t r;
    reader_init(&r, c->fd, c->conn);
    size_t len = strlen(trickle_req), off = 0;
    double prev = tr->t0, most = 0; /* when the last piece started out; the longest quiet */
    int closed = 0;
    while (off < len && !closed) {
        if (off > 0)
            sleep_s(TRICKLE_GAP);
        size_t piece = len - off < TRICKLE_PIECE ? len - off : TRICKLE_PIECE;
        double start = lab_now();
        ssize_t w;
        do
            w = send(c->fd, trickle_req + off, piece, MSG_NOSIGNAL);
        while (w < 0 && errno == EINTR);
        if (lab_now() - prev > most)
            most = lab_now() - prev;
        prev = start;
        if (w > 0)
            off += (size_t)w;
        else
            closed = 1;
    }
    if (!closed && reader_peek(&r) < 0) { /* closed before the answer */
        closed = 1;
        if (lab_now() - prev > most)
            most = lab_now() - prev;
    }
    if (closed) {
        if (most >= TRICKLE_IDLE) {
            tr->excused = 1;
            return NULL;
        }
        lab_fail("client %d, sending a %zu-byte request %d bytes every %.2f s (never quiet for as long as "
                 "the %.2f s timeout), gets its answer / the server closed the connection by %.3f s in, "
                 "after %zu of the %zu bytes, though the client had been quiet for at most %.3f s: the timer "
                 "must restart at every byte heard, not at every whole request",
                 c->conn, len, TRICKLE_PIECE, TRICKLE_GAP, TRICKLE_IDLE, lab_now() - tr->t0, off, len, most);
    }
    expect_answer(&r, trickle_req);
    shut_wr(c->fd, c->conn);
    expect_eof(&r);
    return NULL;
}

/* Draining: a client sends OWED_LINES requests at once and from then on
 * only reads its answers, slowly: one recv() every DRAIN_TICK (one, so that
 * the loop's refills cannot keep pace with a reader that takes them as they
 * come). The server end's send buffer is at its least, so each time the
 * client has read, the loop can send it a few KiB more (4480 bytes here),
 * and owes it the rest: all of it would take some 14 ticks (2.7 s). Nothing
 * arrives from the client after its requests, so the timer must close it
 * about DRAIN_IDLE after them, dropping the answers still owed (loop.h). A
 * loop that restarts the timer whenever it sends (every tick, well inside
 * the timeout) keeps the connection open until everything is delivered:
 * past DRAIN_IDLE + CLOSE_SLACK, the same slack as for a silent client.
 * Two such clients at once: one stays silent after its requests, the other
 * shuts down its writing side after them. That one, too, is a connection
 * nothing has arrived from since (loop.h), owed answers it is slow to take:
 * a loop that exempts connections at EOF from the timer ("we owe them")
 * delivers all 2.7 s of answers, and a client that never read would keep
 * its connection for ever. Only its upper bound is judged: that answers
 * owed at EOF are sent is proved where every answer is read (single,
 * pieces, sleeps). */
static const double DRAIN_IDLE = 0.5, DRAIN_TICK = 0.2;

typedef struct {
    int shut;                /* 1: shutdown(SHUT_WR) after the requests */
    double begun, sent, eof; /* the requests began to go out, were sent; EOF came */
    long got;                /* answer bytes received before EOF */
} drain_t;

static void *drain_client(void *p) {
    client_t *c = p;
    drain_t *d = c->shared;
    d->begun = lab_now();
    send_owed(c->fd, c->conn);
    if (d->shut)
        shut_wr(c->fd, c->conn);
    d->sent = lab_now();
    int fl = fcntl(c->fd, F_GETFL);
    if (fl < 0 || fcntl(c->fd, F_SETFL, fl | O_NONBLOCK) < 0)
        lab_fail("client %d can make its socket non-blocking / %s", c->conn, strerror(errno));
    flood_t f = {.fd = c->fd, .conn = c->conn, .sent = OWED_LINES, .want_k = -1};
    double by = d->sent + DRAIN_IDLE + CLOSE_SLACK;
    for (;;) {
        sleep_s(DRAIN_TICK);
        if (flood_recv(&f) < 0)
            break;
        if (lab_now() > by)
            lab_fail("a client that sent %d requests at once%s and since only reads its answers, slowly, is "
                     "closed by the %.2f s idle timer about then, the answers still owed dropped (by %.2f s after "
                     "its last request) / it was still open %.3f s after its last request, and had got %ld of %ld "
                     "bytes of answers: the timer must count from the last byte heard, %s",
                     OWED_LINES, d->shut ? ", then shut down its writing side," : "", DRAIN_IDLE,
                     DRAIN_IDLE + CLOSE_SLACK, lab_now() - d->sent, f.got, (long)OWED_LINES * FLOOD_LINE,
                     d->shut ? "also for a connection at EOF (nothing arrives from it either)"
                             : "not restart when answers are sent, and no send() may wait for the client to read");
    }
    d->eof = lab_now();
    d->got = f.got;
    if (!d->shut && d->eof - d->begun < DRAIN_IDLE)
        lab_fail("a client that sent its requests and only reads is closed no sooner than the %.2f s idle timer "
                 "after its last byte / it was closed %.3f s after its requests began to go out",
                 DRAIN_IDLE, d->eof - d->begun);
    return NULL;
}

/* Beside a stream that never pauses: connections 1 and 2 are the two ends
 * of one socketpair, so each answer the loop sends on one is the next
 * request on the other, and a line put in each before the loop starts
 * bounces for ever. Every turn thus ends with something to read for the
 * next one, whatever the scheduler does (no client thread feeds it): a
 * poll() never times out, and a loop that looks at its idle timers only
 * when poll() returns 0 never closes the silent connection 0. Connection 3
 * comes after the pair, with a request sent before the loop starts: a loop
 * that serves only the first ready connection of each poll() never gets to
 * it while the pair bounces. Client 0 ends the bouncing, once it has seen
 * EOF (or the time to see it is up) and the answer to connection 3 has
 * been sent (or the loop's thread has spent BOUNCE_CPU seconds of CPU
 * without sending it: a fair loop needs a few turns, whatever the load), by
 * shutting down a duplicate of connection 1's descriptor (the loop's own
 * stays valid). */
static const double BOUNCE_CPU = 0.1;
static const char asked_req[] = "asked beside a bouncing pair\n";

typedef struct {
    double t0, eof_at; /* eof_at: when client 0 saw EOF, or -1 */
    int bouncer;       /* the duplicate of connection 1 */
    int asker;         /* connection 3's client end */
    clockid_t loop_cpu; /* the CPU clock of the thread running the loop */
    double starved;    /* CPU seconds the loop spent without answering connection 3, or -1 */
} bounce_t;

static double cpu_of(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *beside_bounce_client(void *p) {
    client_t *c = p;
    bounce_t *b = c->shared;
    reader_t r;
    reader_init(&r, c->fd, c->conn);
    b->eof_at = eof_by(&r, b->t0 + IDLE + CLOSE_SLACK);
    double c0 = cpu_of(b->loop_cpu);
    for (;;) {
        struct pollfd pf = {b->asker, POLLIN, 0};
        if (poll(&pf, 1, 1) > 0)
            break;
        if (cpu_of(b->loop_cpu) - c0 >= BOUNCE_CPU) {
            b->starved = cpu_of(b->loop_cpu) - c0;
            break;
        }
    }
    if (shutdown(b->bouncer, SHUT_RDWR) != 0)
        lab_fail("the driver ends the bouncing line / shutdown: %s", strerror(errno));
    return NULL;
}

static double beside_bounce(void) {
    int fds[4], sv[2];
    client_t cl;
    bounce_t b = {.t0 = lab_now(), .eof_at = -1, .starved = -1};
    if (pthread_getcpuclockid(pthread_self(), &b.loop_cpu) != 0)
        lab_fail("the driver can read its thread's CPU clock / pthread_getcpuclockid failed");
    pairs_make(1, fds, &cl, &b);
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        lab_fail("socketpair works / %s", strerror(errno));
    fds[1] = sv[0];
    fds[2] = sv[1];
    send_all(sv[0], "ping\n", 5, 1); /* the request on connection 2 */
    send_all(sv[1], "pong\n", 5, 2); /* and on connection 1 */
    pair_make(&fds[3], &b.asker);
    send_str(b.asker, asked_req, 3);
    b.bouncer = dup(sv[0]);
    if (b.bouncer < 0)
        lab_fail("dup works / %s", strerror(errno));
    lab_thread_create(&cl.tid, NULL, beside_bounce_client, &cl);
    loop_stats_t st;
    int rc = loop_serve(fds, 4, IDLE, &st);
    int err = errno;
    lab_thread_join(cl.tid, NULL);
    close(cl.fd);
    close(b.bouncer);
    if (rc != 0)
        lab_fail("loop_serve() returns 0 / it returned %d: %s", rc, strerror(err));
    reader_t ar;
    reader_init(&ar, b.asker, 3);
    if (b.starved >= 0 || reader_peek(&ar) < 0)
        lab_fail("every connection with a whole request is served, also beside connections that always have one "
                 "/ connection 3, after a pair whose line bounces for ever, %s: does each turn serve only the "
                 "first ready connection?",
                 b.starved >= 0 ? "was not answered while the loop's thread spent 0.1 s of CPU (hundreds of "
                                  "turns) serving the pair"
                                : "was closed without the answer to the request it sent before the loop started");
    expect_answer(&ar, asked_req);
    close(b.asker);
    if (b.eof_at < 0)
        lab_fail("a silent client is closed by the %.2f s idle timer also while other connections keep the loop "
                 "busy / beside two connections that always had a line to answer, it was still open %.2f s "
                 "in: are the idle timers looked at only when poll() times out?",
                 IDLE, IDLE + CLOSE_SLACK);
    if (b.eof_at - b.t0 < IDLE)
        lab_fail("a silent client is closed no sooner than %.2f s after the loop started / beside a busy pair "
                 "it was closed after %.3f s",
                 IDLE, b.eof_at - b.t0);
    LAB_EXPECT_EQ(4, st.closed, "connections closed (stats.closed)");
    if (st.timed_out < 2)
        lab_fail("the silent client and the one answered beside the pair count in stats.timed_out / it is %ld",
                 st.timed_out);
    return b.eof_at - b.t0;
}

static void check_idle_timeout(const lab_opts_t *o) {
    /* Mixed: a silent client among talkers. The time of day is stepped an
     * hour forward while they talk, and two hours back while all are quiet
     * (then set right): a timer read from it closes the talkers at once, or
     * the quiet ones never. */
    idle_t it = {.t0 = lab_now()};
    atomic_init(&it.answered, 0);
    atomic_init(&it.excused, 0);
    int server[MAXCONN];
    client_t cl[MAXCONN];
    pairs_make(3, server, cl, &it);
    served_t s = serve_with_clients(3, server, cl, idle_client, IDLE);
    int excused = atomic_load(&it.excused);
    expect_stats(&s.st, atomic_load(&it.answered), 3, 1 + excused);

    /* All quiet: the clients fail the check if not closed in time; the
     * watchdog if loop_serve() still does not return. */
    idle_t q = {.t0 = lab_now(), .reads0 = lab_impl_clock_reads()};
    pairs_make(QUIET_CONNS, server, cl, &q);
    char reason[300];
    snprintf(reason, sizeof reason,
             "with all %d clients silent and a %.2f s idle timer, loop_serve() had not returned after "
             "%.1f s: the timer did not close them (poll() must wait no longer than until the earliest "
             "deadline)",
             QUIET_CONNS, IDLE, QUIET_WATCH);
    lab_watchdog_arm(QUIET_WATCH, reason);
    served_t sq = serve_with_clients(QUIET_CONNS, server, cl, quiet_client, IDLE);
    lab_watchdog_arm(o->timeout, "timed out: a deadlock, a lost wakeup or an endless loop");
    lab_clock_jump = 0;
    expect_stats(&sq.st, 0, QUIET_CONNS, QUIET_CONNS);

    /* Beside a pair of connections whose line bounces for ever. */
    double beside = beside_bounce();

    /* Trickle: tried again if the machine held the client up for a whole
     * timeout (then its close was right, and proves nothing). */
    served_t st = {.took = 0};
    int tries = 0;
    trickle_t tr = {.excused = 1};
    while (tr.excused && tries < TRICKLE_TRIES) {
        tries++;
        tr = (trickle_t){.t0 = lab_now()};
        pairs_make(1, server, cl, &tr);
        st = serve_with_clients(1, server, cl, trickle_client, TRICKLE_IDLE);
        if (tr.excused)
            expect_stats(&st.st, st.st.requests, 1, 1);
        else
            expect_stats(&st.st, 1, 1, 0);
    }
    /* Draining: answers sent do not restart the timer, and a client at
     * EOF is timed like any other. */
    drain_t dr = {0}, drs = {.shut = 1};
    pairs_make(2, server, cl, &dr);
    cl[1].shared = &drs;
    sndbuf_least(server[0]);
    sndbuf_least(server[1]);
    served_t sd = serve_with_clients(2, server, cl, drain_client, DRAIN_IDLE);
    expect_stats(&sd.st, sd.st.requests, 2, 2);

    char trickled[200], held[100] = "";
    if (tr.excused)
        snprintf(trickled, sizeof trickled,
                 "the trickling client was held up by the machine for the whole timeout in each of %d tries, "
                 "and closed (that proves nothing)",
                 tries);
    else
        snprintf(trickled, sizeof trickled,
                 "a request trickled in %d bytes every %.2f s for %.3f s was answered under a %.2f s timer%s",
                 TRICKLE_PIECE, TRICKLE_GAP, st.took, TRICKLE_IDLE,
                 tries > 1 ? " (once the machine no longer held the client up)" : "");
    if (excused)
        snprintf(held, sizeof held, " (%d client%s held up by the machine for the timeout, and closed)",
                 excused, excused > 1 ? "s" : "");
    lab_pass("idle timeout %.2f s: the silent client was closed; one that paused %.2f s and one that sent a "
             "request every %.2f s for %.2f s were served to the end%s; with all %d clients silent, all were "
             "closed and the loop returned in %.3f s; a silent client beside a line bouncing between two "
             "connections was closed after %.3f s; %s; a client that only read its answers after its "
             "requests was closed %.3f s after them under a %.2f s timer, with %ld of %ld bytes of answers, "
             "and one that had shut down its writing side too after %.3f s, with %ld",
             IDLE, IDLE / 2, TICK, TICK * TICKS, held, QUIET_CONNS, sq.took, beside, trickled, dr.eof - dr.sent,
             DRAIN_IDLE, dr.got, (long)OWED_LINES * FLOOD_LINE, drs.eof - drs.sent, drs.got);
}

/* ---- sleeps: a loop with nothing to do burns no CPU ------------------------------------- */
/* Two phases: the clients say nothing for QUIET seconds with an idle timer
 * far off (30 s), then for SHORT_QUIET with one under a second
 * (SHORT_IDLE), well inside it: a loop must sleep while its timer runs,
 * also when the next deadline is less than a second away. */
static const double QUIET = 0.25, FAR_IDLE = 30.0, SHORT_QUIET = 0.3, SHORT_IDLE = 0.8;

typedef struct {
    double t0, quiet, idle;
    atomic_int excused; /* clients held up by the machine for the timeout, and rightly closed */
} sleepy_t;

static void *late_client(void *p) {
    client_t *c = p;
    sleepy_t *sl = c->shared;
    reader_t r;
    reader_init(&r, c->fd, c->conn);
    sleep_s(sl->quiet);
    char req[64];
    snprintf(req, sizeof req, "late hello from client %d\n", c->conn);
    ssize_t w = send(c->fd, req, strlen(req), MSG_NOSIGNAL);
    double quiet = lab_now() - sl->t0;
    if (w != (ssize_t)strlen(req) || reader_peek(&r) < 0) {
        if (quiet >= sl->idle) {
            atomic_fetch_add(&sl->excused, 1);
            return NULL;
        }
        lab_fail("client %d, quiet for %.2f s with a %.2f s idle timer, is served / the server closed the "
                 "connection %.3f s in",
                 c->conn, sl->quiet, sl->idle, lab_now() - sl->t0);
    }
    expect_answer(&r, req);
    shut_wr(c->fd, c->conn);
    expect_eof(&r);
    return NULL;
}

/* Serves n clients quiet for `quiet` s under an idle timer of `idle` s;
 * serve_with_clients() measures the loop thread around loop_serve() alone
 * (not while it starts or joins the clients). */
static served_t sleeps_phase(int n, double quiet, double idle, int *excused) {
    int server[MAXCONN];
    client_t cl[MAXCONN];
    sleepy_t sl = {.t0 = lab_now(), .quiet = quiet, .idle = idle};
    atomic_init(&sl.excused, 0);
    pairs_make(n, server, cl, &sl);
    served_t u = serve_with_clients(n, server, cl, late_client, idle);
    int ex = atomic_load(&sl.excused);
    expect_stats(&u.st, n - ex, n, ex);
    *excused += ex;
    return u;
}

/* Measured on the loop's own thread: a tenth of its wall time in CPU is a
 * generous bound (a loop asleep in poll() uses well under a millisecond),
 * and while its clients are quiet for a good part of a second it must
 * block at least once. */
static void sleep_verdict(const served_t *u, const char *expected, const char *hint) {
    if (u->cpu > 0.1 * u->took || u->blocked == 0)
        lab_fail("%s (CPU < 10%% of its time, and it blocks) / it used %.3f s of CPU in %.3f s%s: %s",
                 expected, u->cpu, u->took, u->blocked == 0 ? " and never once blocked (it never slept)" : "",
                 hint);
}

/* A client that has sent its requests and shut down its writing side, and
 * takes its answers only after HALF_WAIT: the loop owes it most of them and
 * can do nothing for it until it reads, so it must sleep meanwhile. A socket
 * at EOF is always readable, so a loop that still asks poll() for POLLIN
 * there is woken at once on every turn. The client watches the loop's
 * thread through its wait: the thread's CPU clock (pthread_getcpuclockid),
 * and its state in /proc every millisecond, where a thread that spins is
 * runnable whether or not a loaded machine gives it a CPU. */
static const double HALF_WAIT = 0.5;

typedef struct {
    pthread_t loop; /* the loop's thread */
    int loop_tid;
    double cpu, took; /* the loop's CPU seconds over the client's wait; the wait */
    int looks, runnable;
} halfclosed_t;

static double thread_clock(pthread_t t) {
    clockid_t id;
    struct timespec ts;
    if (pthread_getcpuclockid(t, &id) != 0 || clock_gettime(id, &ts) != 0)
        lab_fail("the loop thread's CPU clock can be read / %s", strerror(errno));
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *halfclosed_client(void *p) {
    client_t *c = p;
    halfclosed_t *hc = c->shared;
    send_owed(c->fd, c->conn);
    shut_wr(c->fd, c->conn);
    double c0 = thread_clock(hc->loop), t0 = lab_now();
    while (lab_now() - t0 < HALF_WAIT) {
        char st = lab_task_state(hc->loop_tid);
        if (st != 0) {
            hc->looks++;
            hc->runnable += st == 'R';
        }
        sleep_s(0.001);
    }
    hc->took = lab_now() - t0;
    hc->cpu = thread_clock(hc->loop) - c0;
    flood_t f = {.fd = c->fd, .conn = c->conn, .sent = OWED_LINES, .want_k = -1};
    while (flood_recv(&f) >= 0) {
    }
    if (f.got != (long)OWED_LINES * FLOOD_LINE)
        lab_fail("client %d gets its %d answers, then EOF / got %ld bytes of %ld", c->conn, OWED_LINES, f.got,
                 (long)OWED_LINES * FLOOD_LINE);
    return NULL;
}

/* After a connection has closed: client 0 sends a request and shuts down
 * at once, so its connection ends at the start; client 1 then sends a byte
 * every AFTER_TICK, a request in slow pieces, for AFTER_WATCH past
 * AFTER_IDLE, the timer. Once client 0's stale deadline (AFTER_IDLE after
 * its last byte) is past, a closed connection's deadline means nothing: a
 * loop that still works its poll() timeout out from it gets 0 on every
 * turn and spins. Client 1 watches the loop's thread from AFTER_IDLE +
 * 0.05 s after client 0 saw EOF, when that stale deadline is past whatever
 * the machine did, until its own last byte: CPU clock and state, as the
 * half-closed client does. A byte every AFTER_TICK keeps client 1's own
 * timer far off; if the machine held it up for a whole AFTER_IDLE it may
 * rightly be closed, and that run judges nothing. */
static const double AFTER_IDLE = 0.5, AFTER_TICK = 0.1, AFTER_WATCH = 0.3;

typedef struct {
    pthread_t loop;
    int loop_tid;
    atomic_int first_done; /* client 0 has read its EOF */
    double cpu, took;
    int looks, runnable, excused;
} after_t;

static void *after_client(void *p) {
    client_t *c = p;
    after_t *af = c->shared;
    reader_t r;
    reader_init(&r, c->fd, c->conn);
    if (c->conn == 0) {
        send_str(c->fd, "goodbye\n", 0);
        shut_wr(c->fd, 0);
        expect_answer(&r, "goodbye\n");
        expect_eof(&r);
        atomic_store(&af->first_done, 1);
        return NULL;
    }
    while (!atomic_load(&af->first_done))
        sleep_s(0.001);
    double t0 = lab_now(), last = t0, from = t0 + AFTER_IDLE + 0.05, to = from + AFTER_WATCH, c0 = -1, w0 = 0;
    int sent = 0;
    for (;;) {
        double now = lab_now();
        if (now >= last + AFTER_TICK || sent == 0) {
            if (now - last >= AFTER_IDLE) { /* held up for a whole timeout: a close would be right */
                af->excused = 1;
                return NULL;
            }
            if (send(c->fd, "z", 1, MSG_NOSIGNAL) != 1)
                lab_fail("client 1, sending a byte every %.2f s under a %.2f s timer, is not closed / its send "
                         "failed %.3f s after its previous byte: %s",
                         AFTER_TICK, AFTER_IDLE, now - last, strerror(errno));
            last = now;
            sent++;
        }
        if (now >= to)
            break;
        if (now >= from) {
            if (c0 < 0) {
                c0 = thread_clock(af->loop);
                w0 = now;
            }
            char st = lab_task_state(af->loop_tid);
            if (st != 0) {
                af->looks++;
                af->runnable += st == 'R';
            }
        }
        sleep_s(0.001);
    }
    af->cpu = thread_clock(af->loop) - c0;
    af->took = lab_now() - w0;
    char req[64];
    memset(req, 'z', (size_t)sent);
    req[sent] = '\n';
    req[sent + 1] = '\0';
    send_str(c->fd, "\n", 1);
    shut_wr(c->fd, 1);
    expect_answer(&r, req);
    expect_eof(&r);
    return NULL;
}

static void check_sleeps(const lab_opts_t *o) {
    int n = opt_conns(o, 8, 1), excused = 0;
    char what[200];
    served_t far = sleeps_phase(n, QUIET, FAR_IDLE, &excused);
    snprintf(what, sizeof what, "with a %.0f s idle timer, a loop whose %d clients are quiet for %.2f s "
             "sleeps", FAR_IDLE, n, QUIET);
    sleep_verdict(&far, what, "it does not sleep while no client has anything for it");
    served_t near = sleeps_phase(n, SHORT_QUIET, SHORT_IDLE, &excused);
    snprintf(what, sizeof what, "with a %.2f s idle timer, a loop whose %d clients are quiet for %.2f s "
             "sleeps", SHORT_IDLE, n, SHORT_QUIET);
    sleep_verdict(&near, what,
                  "it spins while the next deadline is under a second away (is poll()'s timeout rounded down "
                  "to whole seconds, so 0?)");
    halfclosed_t hc = {.loop = pthread_self(), .loop_tid = (int)gettid()};
    int server[1];
    client_t cl[1];
    pairs_make(1, server, cl, &hc);
    sndbuf_least(server[0]);
    served_t half = serve_with_clients(1, server, cl, halfclosed_client, 0);
    expect_stats(&half.st, OWED_LINES, 1, 0);
    if (hc.cpu > 0.1 * hc.took || (hc.looks > 0 && 2 * hc.runnable > hc.looks))
        lab_fail("while a client that has shut down its writing side is owed answers it takes only after %.1f s, "
                 "the loop sleeps (CPU < 10%% of the time, asleep in most looks) / it used %.3f s of CPU in %.3f "
                 "s and was runnable in %d of %d looks: it is woken at once on every turn (does it still ask "
                 "poll() for POLLIN on a connection at EOF? a socket there is always readable)",
                 HALF_WAIT, hc.cpu, hc.took, hc.runnable, hc.looks);
    after_t af = {.loop = pthread_self(), .loop_tid = (int)gettid()};
    atomic_init(&af.first_done, 0);
    int server2[2];
    client_t cl2[2];
    pairs_make(2, server2, cl2, &af);
    served_t after = serve_with_clients(2, server2, cl2, after_client, AFTER_IDLE);
    if (af.excused)
        expect_stats(&after.st, 1, 2, 1);
    else
        expect_stats(&after.st, 2, 2, 0);
    if (!af.excused && (af.cpu > 0.1 * af.took || (af.looks > 0 && 2 * af.runnable > af.looks)))
        lab_fail("once a connection has closed, the loop still sleeps while the other has nothing for it (CPU < "
                 "10%% of the time, asleep in most looks) / from %.2f s after the first connection closed, with "
                 "a %.2f s timer and the other client sending a byte every %.2f s, it used %.3f s of CPU in "
                 "%.3f s and was runnable in %d of %d looks: it spins (is poll()'s timeout worked out from the "
                 "closed connection's deadline, long past?)",
                 AFTER_IDLE + 0.05, AFTER_IDLE, AFTER_TICK, af.cpu, af.took, af.runnable, af.looks);
    char after_note[160];
    if (af.excused)
        snprintf(after_note, sizeof after_note, "the other client was held up by the machine for the timeout "
                 "(that proves nothing)");
    else
        snprintf(after_note, sizeof after_note, "%.4f s of CPU in %.3f s, runnable in %d of %d looks", af.cpu,
                 af.took, af.runnable, af.looks);
    lab_pass("%d clients quiet for %.2f s with a %.0f s timer: the loop used %.4f s of CPU in %.3f s "
             "(sleeps: %ld); quiet for %.2f s with a %.2f s timer: %.4f s in %.3f s (sleeps: %ld)%s; owing a "
             "half-closed client that read only after %.1f s: %.4f s of CPU, runnable in %d of %d looks; after a "
             "connection closed, %s",
             n, QUIET, FAR_IDLE, far.cpu, far.took, far.blocked, SHORT_QUIET, SHORT_IDLE, near.cpu,
             near.took, near.blocked,
             excused ? " (clients held up by the machine for the timeout, and closed)" : "", HALF_WAIT, hc.cpu,
             hc.runnable, hc.looks, after_note);
}

static const lab_check_t checks[] = {
    {"single", "one thread: answers in order, no answer to a tail without newline, EOF closes", check_single,
     LAB_PAUSE_OFF},
    {"pieces", "4 clients send 31 lines each in pieces of 1 byte to 8 KiB: every answer intact", check_pieces,
     LAB_PAUSE_OFF},
    {"stagger", "20 clients each pause 5..100 ms mid-request: all served in about the longest pause",
     check_stagger, LAB_PAUSE_OFF},
    {"stuck", "one client sits on half a request: the other 19 are served meanwhile", check_stuck,
     LAB_PAUSE_OFF},
    {"slow-reader", "one client reads none of 1 MiB of answers: the other 19 are served meanwhile",
     check_slow_reader, LAB_PAUSE_OFF},
    {"idle-timeout",
     "a silent client is closed after 0.2 s, also when all are silent; busy, briefly quiet or trickling ones "
     "are not",
     check_idle_timeout, LAB_PAUSE_OFF},
    {"sleeps",
     "while no client has anything to say, the loop burns (almost) no CPU, with a 30 s or a 0.8 s idle timer",
     check_sleeps, LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
