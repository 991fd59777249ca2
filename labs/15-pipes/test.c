/* Lab 15, pipes: the torture driver. One check per run. Producers are
 * forked by the implementation's chan_spawn_producers() from this
 * single-threaded process; every message carries its producer and number
 * and is filled with bytes derived from them and the seed, so the consumer
 * can tell a whole message from a piece, a mixture or a repeat. A check
 * that fails kills and reaps its producers first; a producer also dies
 * with its parent (PR_SET_PDEATHSIG), so none outlives a check.
 *
 *   $ build/labs/15-pipes/broken/test eof
 *   FAIL: consumer never saw EOF: a write end is still open somewhere / progress stopped at 0 (check eof, seed 4217)
 *   $ build/labs/15-pipes/fixed/test many-producers
 *   ok: many-producers: 4 producers x 48 messages of 8 B to 192 KiB (108 over PIPE_BUF) arrived exactly once, intact, in order
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chan.h"
#include "lab.h"

enum {
    MAXP = 64,              /* producers at most */
    TAG = 8,                /* a message's first bytes: producer and number */
    BIG_MAX = 192 * 1024,   /* the largest message any check sends */
    CAP = 256 * 1024,       /* the consumer's buffer */
    QUIT_MSG = 16 * 1024,   /* consumer-quits: message size */
    QUIT_COUNT = 1000,      /* ...and how many each producer tries to send */
    PIPE_CAPACITY = 65536,  /* Linux's default: more never fits in one read */
};

/* What a message looks like, by check. */
typedef enum { KIND_SMALL, KIND_TINY, KIND_MIXED, KIND_EINTR, KIND_QUIT } kind_t;

/* ---- the producers, as seen from this process ---------------------------- */
static pid_t kids[MAXP];
static int nkids;
static pid_t parent_pid;
static timer_t tick_timer;
static int tick_on;
static volatile sig_atomic_t ticks;

static void tick_stop(void) {
    if (tick_on) {
        timer_delete(tick_timer);
        tick_on = 0;
    }
}

static void kids_kill(void) {
    for (int i = 0; i < nkids; i++)
        if (kids[i] > 0)
            kill(kids[i], SIGKILL);
    for (int i = 0; i < nkids; i++)
        if (kids[i] > 0) {
            while (waitpid(kids[i], NULL, 0) < 0 && errno == EINTR) {
            }
            kids[i] = 0;
        }
}

static void describe_status(int st, char *out, size_t len);

/* lab_fail, after stopping the signals and killing and reaping the
 * producers that are still there. A producer that has already ended badly
 * is named: its failure is often the cause of what the consumer saw. */
__attribute__((noreturn, format(printf, 1, 2))) static void bail(const char *fmt, ...) {
    char what[480], news[200] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    tick_stop();
    for (int i = 0; i < nkids && news[0] == '\0'; i++) {
        int st;
        if (kids[i] > 0 && waitpid(kids[i], &st, WNOHANG) == kids[i]) {
            kids[i] = 0;
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                char why[160];
                describe_status(st, why, sizeof why);
                snprintf(news, sizeof news, " (producer %d had ended: %s)", i, why);
            }
        }
    }
    kids_kill();
    lab_fail("%s%s", what, news);
}

/* How a producer's exit status reads; producers exit 10 + errno when a
 * send fails. */
static void describe_status(int st, char *out, size_t len) {
    if (WIFEXITED(st) && WEXITSTATUS(st) >= 10)
        snprintf(out, len, "chan_send failed: %s", strerror(WEXITSTATUS(st) - 10));
    else if (WIFEXITED(st) && WEXITSTATUS(st) == 3)
        snprintf(out, len, "it sent everything although the consumer had gone");
    else if (WIFEXITED(st))
        snprintf(out, len, "it exited with status %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(out, len, "it died of signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
    else
        snprintf(out, len, "wait status %#x", (unsigned)st);
}

/* Reap producer i (blocking) and fail unless it exited with status 0. */
static void reap_ok(int i) {
    int st;
    pid_t r;
    while ((r = waitpid(kids[i], &st, 0)) < 0 && errno == EINTR) {
    }
    if (r < 0)
        bail("producer %d (pid %d) can be reaped / waitpid: %s", i, (int)kids[i], strerror(errno));
    kids[i] = 0;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        char why[160];
        describe_status(st, why, sizeof why);
        bail("producer %d ends with status 0 / %s", i, why);
    }
}

static void reap_all_ok(void) {
    for (int i = 0; i < nkids; i++)
        reap_ok(i);
    nkids = 0;
}

static chan_t *spawn(int nprod, chan_producer_fn fn, void *arg) {
    chan_t *rx = NULL;
    parent_pid = getpid();
    if (chan_spawn_producers(nprod, fn, arg, &rx, kids) != 0)
        lab_fail("chan_spawn_producers(%d) returns 0 / -1: %s", nprod, strerror(errno));
    nkids = nprod;
    for (int i = 0; i < nprod; i++)
        if (kids[i] <= 0)
            bail("pids[%d] is a producer's pid / got %d", i, (int)kids[i]);
    return rx;
}

/* First thing in every producer: die with the parent, so that a check that
 * fails (or its watchdog) never leaves a producer behind. */
static void producer_begin(void) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent_pid) /* the parent was gone before prctl */
        _exit(99);
}

/* ---- messages ------------------------------------------------------------- */
static uint64_t msg_seed;

static uint64_t msg_hash(int p, uint32_t seq, uint64_t salt) {
    uint64_t s = msg_seed ^ salt ^ ((uint64_t)(unsigned)p * 0x9e3779b97f4a7c15ULL) ^
                 ((uint64_t)seq * 0xc2b2ae3d27d4eb4fULL);
    return lab_rand_next(&s);
}

static size_t msg_size(kind_t kind, int p, uint32_t seq, uint32_t nmsg) {
    uint64_t r = msg_hash(p, seq, 0x5157);
    switch (kind) {
    case KIND_SMALL:
        return 1 + r % 512;
    case KIND_TINY:
        return TAG + r % (257 - TAG);
    case KIND_EINTR: /* first half small (the consumer waits), then big (the producer does) */
        if (seq < nmsg / 2)
            return TAG + r % (257 - TAG);
        return 32 * 1024 + r % (160 * 1024 - 32 * 1024 + 1);
    case KIND_QUIT:
        return QUIT_MSG;
    case KIND_MIXED:
        break;
    }
    /* Every eighth message is bigger than a pipe holds; the rest are evenly
     * spread over four bands around PIPE_BUF and the pipe's capacity. */
    unsigned band = seq % 8 == 3 ? 3 : (unsigned)(r & 3);
    uint64_t v = r >> 2;
    switch (band) {
    case 0:
        return TAG + v % (257 - TAG);
    case 1:
        return 257 + v % (PIPE_BUF - 256);
    case 2:
        return PIPE_BUF + 1 + v % (PIPE_CAPACITY - PIPE_BUF);
    default:
        return PIPE_CAPACITY + 1 + v % (BIG_MAX - PIPE_CAPACITY);
    }
}

/* The bytes of message seq of producer p: its producer and number first
 * (when it is long enough), then bytes derived from both and the seed. */
static void msg_fill(unsigned char *b, size_t len, int p, uint32_t seq) {
    size_t off = 0;
    if (len >= TAG) {
        uint32_t p32 = (uint32_t)p;
        memcpy(b, &p32, 4);
        memcpy(b + 4, &seq, 4);
        off = TAG;
    }
    uint64_t s = msg_hash(p, seq, 0xb17e5);
    while (off < len) {
        uint64_t v = lab_rand_next(&s);
        size_t k = len - off < 8 ? len - off : 8;
        memcpy(b + off, &v, k);
        off += k;
    }
}

/* ---- the consumer's bookkeeping ------------------------------------------- */
typedef struct {
    kind_t kind;
    int nprod;
    const char *who; /* what a sender is called in a verdict: "producer" unless said */
    uint32_t nmsg;   /* per producer */
    uint32_t next[MAXP];
    long got, over_pipe_buf;
    unsigned char *want;
} stream_t;

static void stream_init(stream_t *s, kind_t kind, int nprod, uint32_t nmsg) {
    memset(s, 0, sizeof *s);
    s->who = "producer";
    s->kind = kind;
    s->nprod = nprod;
    s->nmsg = nmsg;
    s->want = lab_calloc(1, CAP);
}

/* One message as chan_recv() returned it (n is its return value). */
static void stream_take(stream_t *s, const unsigned char *got, ssize_t n) {
    long total = (long)s->nprod * s->nmsg;
    if (n < 0)
        bail("chan_recv returns message %ld of %ld / -1: %s%s", s->got + 1, total, strerror(errno),
             errno == EPROTO ? ": the stream ended inside a message" : "");
    if (n == 0)
        bail("%ld messages before EOF / EOF after %ld", total, s->got);
    int p = 0;
    if (s->nprod > 1) {
        if (n < TAG)
            bail("whole messages (8 bytes or more) / a message of %zd bytes: a piece of one", n);
        uint32_t p32, seq;
        memcpy(&p32, got, 4);
        memcpy(&seq, got + 4, 4);
        if (p32 >= (uint32_t)s->nprod)
            bail("whole messages / message %ld names sender %u of %d: bytes of several messages mixed up",
                 s->got + 1, p32, s->nprod);
        p = (int)p32;
        if (seq < s->next[p])
            bail("each message exactly once / message %u of %s %d arrived twice", seq, s->who, p);
        if (seq > s->next[p])
            bail("%s %d's messages in order / its message %u came when %u was due "
                 "(lost or out of order)",
                 s->who, p, seq, s->next[p]);
    }
    uint32_t seq = s->next[p];
    if (seq >= s->nmsg)
        bail("%u messages from %s %d / one more", s->nmsg, s->who, p);
    size_t len = msg_size(s->kind, p, seq, s->nmsg);
    if ((size_t)n != len)
        bail("message %u of %s %d intact, %zu bytes / got %zd bytes%s", seq, s->who, p, len, n,
             (size_t)n < len ? ": a short read, taken for the whole message" : ": more than one message");
    msg_fill(s->want, len, p, seq);
    if (memcmp(s->want, got, len) != 0) {
        size_t off = 0;
        while (off < len && s->want[off] == got[off])
            off++;
        bail("message %u of %s %d (%zu bytes) intact / its bytes differ from offset %zu on: "
             "%s",
             seq, s->who, p, len, off,
             len > PIPE_CAPACITY ? "a short read, or another message's bytes inside it"
                                 : "another message's bytes inside it, or a piece missing");
    }
    if (len > PIPE_BUF)
        s->over_pipe_buf++;
    s->next[p]++;
    s->got++;
}

static void stream_free(stream_t *s) { free(s->want); }

/* ---- producers ---------------------------------------------------------------- */
typedef struct {
    kind_t kind;
    uint32_t nmsg;
    int drop_after; /* single: then a DROP_BIG message to be dropped, and a DROP_TAIL one */
    atomic_int *sending; /* set to 1 (shared memory) just before the DROP_BIG send, when not NULL */
} plan_t;

/* single: after its small messages, the producer sends one message bigger
 * than any pipe an unprivileged process can have (fs.pipe-max-size, 1 MiB
 * by default), which the consumer drops (EMSGSIZE) while the producer is
 * still writing it, and then one more that must arrive intact. */
enum { DROP_BIG = 2 * 1024 * 1024 + 3, DROP_CAP = 1000, DROP_TAIL = 300 };

/* Sleep until t (monotonic), whatever signals come meanwhile. */
static void sleep_until(double t) {
    struct timespec ts = {(time_t)t, (long)((t - (double)(time_t)t) * 1e9)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

static void sleep_s(double s) { sleep_until(lab_now() + s); }

static void on_tick(int sig) {
    (void)sig;
    ticks = ticks + 1;
}

/* SIGUSR1 every `us` microseconds to this process, with a handler installed
 * without SA_RESTART: a blocked read or write is cut short by every tick. */
static void tick_start(long us) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_tick;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL) != 0)
        bail("sigaction(SIGUSR1) / %s", strerror(errno));
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    if (timer_create(CLOCK_MONOTONIC, &ev, &tick_timer) != 0)
        bail("timer_create / %s", strerror(errno));
    struct itimerspec it = {{0, us * 1000}, {0, us * 1000}};
    if (timer_settime(tick_timer, 0, &it, NULL) != 0)
        bail("timer_settime / %s", strerror(errno));
    tick_on = 1;
}

static int send_fail(void) { return 10 + (errno > 0 && errno < 200 ? errno : 0); }

/* Sends plan->nmsg messages of its kind; in the EINTR check, under a timer
 * of its own, pausing before each small message so the consumer waits. */
static int producer_main(chan_t *tx, int index, void *arg) {
    const plan_t *plan = arg;
    producer_begin();
    if (plan->kind == KIND_EINTR)
        tick_start(250);
    unsigned char *buf = malloc(plan->drop_after ? DROP_BIG : BIG_MAX);
    if (buf == NULL)
        return 2;
    for (uint32_t seq = 0; seq < plan->nmsg; seq++) {
        size_t len = msg_size(plan->kind, index, seq, plan->nmsg);
        msg_fill(buf, len, index, seq);
        if (plan->kind == KIND_EINTR && seq < plan->nmsg / 2)
            sleep_s(0.002);
        if (chan_send(tx, buf, len) != 0)
            return send_fail();
    }
    if (plan->drop_after) {
        msg_fill(buf, DROP_BIG, index, plan->nmsg);
        if (plan->sending != NULL)
            atomic_store(plan->sending, 1);
        if (chan_send(tx, buf, DROP_BIG) != 0)
            return send_fail();
        msg_fill(buf, DROP_TAIL, index, plan->nmsg + 1);
        if (chan_send(tx, buf, DROP_TAIL) != 0)
            return send_fail();
    }
    return 0;
}

/* threads-share-end: each producer process runs THREADS_PER threads on its
 * one sending end; thread t of producer i is sender i x THREADS_PER + t. */
enum { THREADS_PER = 3 };

typedef struct {
    chan_t *tx;
    int index;
    uint32_t nmsg;
    atomic_int failed; /* 10 + errno of the first failed send, else 0 */
} crew_plan_t;

static void sender_thread(const lab_worker_t *w) {
    crew_plan_t *c = w->arg;
    int me = c->index * THREADS_PER + w->index;
    unsigned char *buf = malloc(BIG_MAX);
    if (buf == NULL) {
        atomic_store(&c->failed, 2);
        return;
    }
    for (uint32_t seq = 0; seq < c->nmsg && !atomic_load(&c->failed); seq++) {
        size_t len = msg_size(KIND_MIXED, me, seq, c->nmsg);
        msg_fill(buf, len, me, seq);
        if (chan_send(c->tx, buf, len) != 0) {
            int want = 0;
            atomic_compare_exchange_strong(&c->failed, &want, send_fail());
        }
    }
    free(buf);
}

static int producer_threads(chan_t *tx, int index, void *arg) {
    const plan_t *plan = arg;
    producer_begin();
    crew_plan_t c = {.tx = tx, .index = index, .nmsg = plan->nmsg};
    atomic_init(&c.failed, 0);
    lab_threads_run(THREADS_PER, sender_thread, &c);
    return atomic_load(&c.failed);
}

/* threads-share-end, within one process: a chan_open() channel, whose
 * sending end THREADS_PER threads share while thread 0 receives. */
typedef struct {
    crew_plan_t senders;
    chan_t *rx;
    stream_t *s;
    unsigned char *buf;
    _Atomic long *progress;
} open_plan_t;

static void open_worker(const lab_worker_t *w) {
    open_plan_t *op = w->arg;
    if (w->index > 0) {
        lab_worker_t me = {.index = w->index - 1, .count = THREADS_PER, .arg = &op->senders};
        sender_thread(&me);
        return;
    }
    long total = (long)THREADS_PER * op->senders.nmsg;
    for (long k = 0; k < total; k++) {
        stream_take(op->s, op->buf, chan_recv(op->rx, op->buf, CAP));
        atomic_fetch_add_explicit(op->progress, 1, memory_order_relaxed);
    }
}

/* Keeps sending until the consumer has gone: EPIPE is the right ending. */
static int producer_until_epipe(chan_t *tx, int index, void *arg) {
    (void)arg;
    producer_begin();
    signal(SIGPIPE, SIG_IGN);
    unsigned char *buf = malloc(QUIT_MSG);
    if (buf == NULL)
        return 2;
    for (uint32_t seq = 0; seq < QUIT_COUNT; seq++) {
        msg_fill(buf, QUIT_MSG, index, seq);
        if (chan_send(tx, buf, QUIT_MSG) != 0)
            return errno == EPIPE ? 0 : send_fail();
    }
    return 3;
}

/* ---- checks ---------------------------------------------------------------------- */

/* chan.h: a message is 1 .. CHAN_MSG_MAX bytes, "EINVAL for a bad length":
 * the upper edge as well as 0. The lengths are one past the largest, and
 * 2^32 + 5, which a check made on the 32-bit header's copy of the length
 * takes for 5. No buffer of a gigabyte is needed: the one passed is a
 * page followed by a page that cannot be read, so a send that goes ahead
 * anyway moves the first page and then fails with EFAULT (or dies of
 * SIGSEGV), at once, instead of filling a pipe nobody reads and waiting. */
static void expect_too_long(chan_t *tx) {
    long page = sysconf(_SC_PAGESIZE);
    unsigned char *two = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (two == MAP_FAILED)
        lab_fail("mmap() of two pages works / %s", strerror(errno));
    if (mprotect(two + page, (size_t)page, PROT_NONE) != 0)
        lab_fail("mprotect() of a guard page works / %s", strerror(errno));
    static const size_t lens[] = {(size_t)CHAN_MSG_MAX + 1, ((size_t)1 << 32) + 5};
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        errno = 0;
        int rc = chan_send(tx, two, lens[k]);
        if (rc != -1 || errno != EINVAL)
            lab_fail("a message of %zu bytes, over CHAN_MSG_MAX (%u), is refused with EINVAL (chan.h: 1 .. "
                     "CHAN_MSG_MAX bytes) / chan_send returned %d (%s): it went ahead",
                     lens[k], CHAN_MSG_MAX, rc, rc == 0 ? "no error" : strerror(errno));
    }
    munmap(two, (size_t)page * 2);
}

/* One process first (chan_open), then one producer process: small messages
 * in order; an empty message is refused; a message too long for the buffer
 * is dropped with EMSGSIZE and the next one still arrives. */
static void check_single(const lab_opts_t *o) {
    long nmsg = lab_opt_iters(o, 1000);
    lab_watchdog_arm(5, "the consumer waits for a message that never comes");
    unsigned char *buf = lab_calloc(1, CAP), *want = lab_calloc(1, CAP);
    chan_t *rx, *tx;
    if (chan_open(&rx, &tx) != 0)
        lab_fail("chan_open returns 0 / -1: %s", strerror(errno));
    errno = 0;
    int rc = chan_send(tx, "x", 0);
    if (rc != -1 || errno != EINVAL)
        lab_fail("an empty message is refused with EINVAL / chan_send returned %d (%s)", rc, strerror(errno));
    expect_too_long(tx);
    /* Too long for the buffer: 300 bytes into 100, 40 into 0 and 2 into 1
     * (the smallest buffers: a drop that reads through the caller's buffer
     * makes no progress through 0 bytes); 1 byte into 1 fits. */
    static const size_t sizes[] = {1, 7, 8, 300, 5, PIPE_BUF - 4, 40, 2, 1, 6};
    static const size_t caps[] = {CAP, CAP, CAP, 100, CAP, CAP, 0, 1, 1, CAP};
    enum { NSMALL = sizeof sizes / sizeof sizes[0] };
    for (int k = 0; k < NSMALL; k++) {
        msg_fill(want, sizes[k], 0, (uint32_t)k);
        if (chan_send(tx, want, sizes[k]) != 0)
            lab_fail("chan_send of %zu bytes returns 0 / -1: %s", sizes[k], strerror(errno));
    }
    for (int k = 0; k < NSMALL; k++) {
        size_t cap = caps[k];
        if (cap == 0)
            lab_watchdog_arm(5, "chan_recv() of a 40-byte message into a 0-byte buffer returns -1, EMSGSIZE: "
                                "it never returned (does the drop read through the caller's buffer, 0 bytes "
                                "at a time?)");
        errno = 0;
        ssize_t n = chan_recv(rx, buf, cap);
        if (cap == 0)
            lab_watchdog_arm(5, "the consumer waits for a message that never comes");
        if (sizes[k] > cap) {
            if (n != -1 || errno != EMSGSIZE)
                lab_fail("a %zu-byte message into a %zu-byte buffer: -1, EMSGSIZE / got %zd (%s)", sizes[k], cap,
                         n, strerror(errno));
            continue;
        }
        msg_fill(want, sizes[k], 0, (uint32_t)k);
        if (n != (ssize_t)sizes[k] || memcmp(buf, want, sizes[k]) != 0)
            lab_fail("one process: message %d intact, %zu bytes / got %zd bytes%s", k, sizes[k], n,
                     n == (ssize_t)sizes[k] ? ", other bytes" : "");
    }
    if (chan_close(tx) != 0)
        lab_fail("chan_close of the sending end returns 0 / -1: %s", strerror(errno));
    ssize_t n = chan_recv(rx, buf, CAP);
    if (n != 0)
        lab_fail("one process: EOF (0) once the sending end is closed / got %zd", n);
    chan_close(rx);

    msg_seed = lab_seed_for(15);
    plan_t plan = {KIND_SMALL, (uint32_t)nmsg, 1, NULL};
    rx = spawn(1, producer_main, &plan);
    stream_t s;
    stream_init(&s, KIND_SMALL, 1, (uint32_t)nmsg);
    for (long k = 0; k < nmsg; k++)
        stream_take(&s, buf, chan_recv(rx, buf, CAP));
    /* A message of 2 MiB into a 1000-byte buffer, from a producer that is
     * still writing it (no pipe holds it all): dropped whole, and the
     * channel still usable. */
    errno = 0;
    n = chan_recv(rx, buf, DROP_CAP);
    if (n != -1 || errno != EMSGSIZE)
        bail("a %d-byte message into a %d-byte buffer: -1, EMSGSIZE / got %zd (%s)", DROP_BIG, DROP_CAP, n,
             strerror(errno));
    msg_fill(want, DROP_TAIL, 0, (uint32_t)nmsg + 1);
    n = chan_recv(rx, buf, CAP);
    if (n != DROP_TAIL || memcmp(buf, want, DROP_TAIL) != 0)
        bail("after a %d-byte message dropped with EMSGSIZE while its producer was still writing it, the next "
             "message (%d bytes) intact / got %zd%s%s",
             DROP_BIG, DROP_TAIL, n, n < 0 ? ": " : n == DROP_TAIL ? " bytes, other ones" : " bytes",
             n < 0 ? strerror(errno) : "");
    chan_close(rx);
    reap_all_ok();
    stream_free(&s);
    free(want);
    free(buf);
    lab_pass("one process: 10 messages (3 too long, into buffers of 100, 0 and 1 bytes) and EOF; one producer: "
             "%ld messages of 1 to 512 B in order, intact; a 2 MiB one dropped while it was being written, the "
             "next intact",
             nmsg);
}

/* Messages of random sizes, many over PIPE_BUF and some over what a pipe
 * holds, from several producers at once. */
static void check_many(const lab_opts_t *o) {
    int nprod = lab_opt_threads(o, 4);
    long nmsg = lab_opt_iters(o, 48);
    if (nprod > MAXP)
        lab_fail("at most %d producers / --threads %d", MAXP, nprod);
    msg_seed = lab_seed_for(15);
    plan_t plan = {KIND_MIXED, (uint32_t)nmsg, 0, NULL};
    chan_t *rx = spawn(nprod, producer_main, &plan);
    /* The children are forked: a thread is safe from here on. */
    _Atomic long progress;
    atomic_init(&progress, 0);
    lab_stall_t *st = lab_stall_watch(&progress, 1.0,
                                      "messages stopped arriving: the consumer waits for bytes no producer "
                                      "will send (a message boundary was lost)");
    unsigned char *buf = lab_calloc(1, CAP);
    stream_t s;
    stream_init(&s, KIND_MIXED, nprod, (uint32_t)nmsg);
    for (long k = 0; k < nprod * nmsg; k++) {
        stream_take(&s, buf, chan_recv(rx, buf, CAP));
        atomic_fetch_add_explicit(&progress, 1, memory_order_relaxed);
    }
    lab_stall_stop(st);
    chan_close(rx);
    reap_all_ok();
    lab_pass("%d producers x %ld messages of 8 B to %d KiB (%ld over PIPE_BUF) arrived exactly once, intact, "
             "in order",
             nprod, nmsg, BIG_MAX / 1024, s.over_pipe_buf);
    stream_free(&s);
    free(buf);
}

/* Channels are independent: chan.h excludes only sends "on the same
 * channel". A thread sends one message larger than any pipe holds (4 MiB:
 * past pipe-max-size's default of 1 MiB, so even an enlarged pipe fills)
 * on channel A, which nobody reads yet, and sleeps waiting for room; once
 * it is asleep, a second thread sends 5 bytes on channel B, whose reader
 * (the driver) waits for them. They must arrive while A stays full: a lock
 * shared by every channel, held by A's sender for its whole frame, keeps
 * B's sender out, every run, and with A's sender, B's and the driver all
 * asleep the stall watch fails the check. Then A is drained. */
enum { TWO_BIG = 4 << 20 };

typedef struct {
    chan_t *tx;
    const unsigned char *buf;
    size_t len;
    atomic_int rc; /* 1 + chan_send's result once it returned */
} two_send_t;

static void *two_sender(void *arg) {
    two_send_t *t = arg;
    int rc = chan_send(t->tx, t->buf, t->len);
    atomic_store(&t->rc, rc == 0 ? 1 : 2 + errno);
    return NULL;
}

/* Until one of this process's pipes is full (FIONREAD at F_GETPIPE_SZ): A's
 * sender is then inside its frame, whatever lock it takes for it, and
 * waits for room. 1, or 0 after `most` seconds (a precondition only). */
static int a_pipe_full(double most) {
    double until = lab_now() + most;
    do {
        DIR *d = opendir("/proc/self/fd");
        if (d == NULL)
            return 0;
        struct dirent *e;
        int full = 0;
        while (!full && (e = readdir(d)) != NULL) {
            char path[64], link[64];
            int fd = atoi(e->d_name);
            if (e->d_name[0] == '.' || fd == dirfd(d))
                continue;
            snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
            ssize_t k = readlink(path, link, sizeof link - 1);
            if (k <= 0)
                continue;
            link[k] = '\0';
            int queued = 0, size = fcntl(fd, F_GETPIPE_SZ);
            full = strncmp(link, "pipe:", 5) == 0 && size > 0 && ioctl(fd, FIONREAD, &queued) == 0 &&
                   queued >= size;
        }
        closedir(d);
        if (full)
            return 1;
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    } while (lab_now() < until);
    return 0;
}

static void two_channels(void) {
    chan_t *arx, *atx, *brx, *btx;
    if (chan_open(&arx, &atx) != 0 || chan_open(&brx, &btx) != 0)
        lab_fail("chan_open returns 0 / -1: %s", strerror(errno));
    unsigned char *big = lab_calloc(1, TWO_BIG);
    for (size_t i = 0; i < TWO_BIG; i++)
        big[i] = (unsigned char)(i * 7 + 1);
    two_send_t a = {.tx = atx, .buf = big, .len = TWO_BIG}, b = {.tx = btx, .buf = (const unsigned char *)"hello",
                                                                  .len = 5};
    atomic_init(&a.rc, 0);
    atomic_init(&b.rc, 0);
    pthread_t ta, tb;
    lab_thread_create(&ta, NULL, two_sender, &a);
    a_pipe_full(5.0); /* A's sender is inside its frame and waits for room */
    _Atomic long progress;
    atomic_init(&progress, 0);
    lab_stall_t *st = lab_stall_watch(&progress, 1.0,
                                      "channels are independent (chan.h excludes sends on the same channel "
                                      "only): a 5-byte send on channel B never arrived while a send on channel "
                                      "A, which nobody read yet, waited for room (one lock for every channel?)");
    lab_thread_create(&tb, NULL, two_sender, &b);
    char got[16];
    ssize_t n = chan_recv(brx, got, sizeof got);
    atomic_fetch_add(&progress, 1);
    lab_stall_stop(st);
    if (n != 5 || memcmp(got, "hello", 5) != 0)
        lab_fail("a message sent on channel B arrives on B, whole / chan_recv returned %zd", n);
    lab_thread_join(tb, NULL);
    if (atomic_load(&b.rc) != 1)
        lab_fail("chan_send of 5 bytes on channel B returns 0 / it failed: %s",
                 strerror(atomic_load(&b.rc) - 2));
    unsigned char *back = lab_calloc(1, TWO_BIG);
    n = chan_recv(arx, back, TWO_BIG);
    if (n != TWO_BIG || memcmp(back, big, TWO_BIG) != 0)
        lab_fail("the 4 MiB message on channel A arrives whole once read / chan_recv returned %zd", n);
    lab_thread_join(ta, NULL);
    if (atomic_load(&a.rc) != 1)
        lab_fail("chan_send of 4 MiB on channel A returns 0 / it failed: %s", strerror(atomic_load(&a.rc) - 2));
    chan_close(atx);
    chan_close(btx);
    chan_close(arx);
    chan_close(brx);
    free(back);
    free(big);
}

/* The header lets the threads of a process share one sending end: several
 * threads per producer send frames bigger than PIPE_BUF at once, and
 * their frames must not mix any more than those of separate processes. */
static void check_threads(const lab_opts_t *o) {
    int nprod = lab_opt_threads(o, 2);
    long nmsg = lab_opt_iters(o, 24);
    if (nprod * THREADS_PER > MAXP)
        lab_fail("at most %d producers / --threads %d", MAXP / THREADS_PER, nprod);
    msg_seed = lab_seed_for(15);
    plan_t plan = {KIND_MIXED, (uint32_t)nmsg, 0, NULL};
    chan_t *rx = spawn(nprod, producer_threads, &plan);
    _Atomic long progress;
    atomic_init(&progress, 0);
    lab_stall_t *st = lab_stall_watch(&progress, 1.0,
                                      "messages stopped arriving: the consumer waits for bytes no sender "
                                      "will send (a message boundary was lost)");
    unsigned char *buf = lab_calloc(1, CAP);
    int senders = nprod * THREADS_PER;
    stream_t s;
    stream_init(&s, KIND_MIXED, senders, (uint32_t)nmsg);
    for (long k = 0; k < senders * nmsg; k++) {
        stream_take(&s, buf, chan_recv(rx, buf, CAP));
        atomic_fetch_add_explicit(&progress, 1, memory_order_relaxed);
    }
    lab_stall_stop(st);
    chan_close(rx);
    reap_all_ok();
    long over = s.over_pipe_buf;
    stream_free(&s);

    /* The same within one process: chan_open()'s sending end is "for its
     * threads" too. THREADS_PER threads send the same mix on it at once
     * while another receives (the producers are reaped: threads are safe
     * now). */
    chan_t *tx;
    if (chan_open(&rx, &tx) != 0)
        lab_fail("chan_open returns 0 / -1: %s", strerror(errno));
    open_plan_t op = {.senders = {.tx = tx, .index = 0, .nmsg = (uint32_t)nmsg}, .rx = rx, .s = &s, .buf = buf,
                      .progress = &progress};
    atomic_init(&op.senders.failed, 0);
    stream_init(&s, KIND_MIXED, THREADS_PER, (uint32_t)nmsg);
    s.who = "chan_open() sending thread";
    atomic_store(&progress, 0);
    st = lab_stall_watch(&progress, 1.0,
                         "messages stopped arriving on a chan_open() channel: the receiving thread waits for "
                         "bytes no sending thread will send (a message boundary was lost)");
    lab_threads_run(THREADS_PER + 1, open_worker, &op);
    lab_stall_stop(st);
    int failed = atomic_load(&op.senders.failed);
    if (failed != 0)
        lab_fail("chan_send on a chan_open() end shared by %d threads returns 0 / %s", THREADS_PER,
                 failed >= 10 ? strerror(failed - 10) : "a sender could not allocate");
    chan_close(tx);
    ssize_t n = chan_recv(rx, buf, CAP);
    if (n != 0)
        lab_fail("EOF (0) on a chan_open() channel once its sending end is closed / got %zd", n);
    chan_close(rx);
    two_channels();
    lab_pass("%d producers x %d threads on each one's sending end x %ld messages of 8 B to %d KiB "
             "(%ld over PIPE_BUF): exactly once, intact, in per-thread order; the same from %d threads on one "
             "chan_open() end (%ld over PIPE_BUF); a send on one channel while another stays full",
             nprod, THREADS_PER, nmsg, BIG_MAX / 1024, over, THREADS_PER, s.over_pipe_buf);
    stream_free(&s);
    free(buf);
}

/* ---- a fork that fails ----------------------------------------------------------
 * chan_spawn_producers() promises -1 with errno set "then no producer is
 * left running" when it cannot start them all. Its third fork fails, for
 * any user, by lab_fork_fail_start() (lab.h: a seccomp filter hands each
 * fork to a judge, which fails the third with EAGAIN, as at the process
 * limit). A filter cannot be taken off again: this is the last thing the
 * check does, and no fork follows it. */
enum { FAIL_FORK = 3, FAIL_NPROD = 4 };

/* A producer of the failed spawn: it waits (asleep) until it is killed. */
static int producer_waits(chan_t *tx, int index, void *arg) {
    (void)tx, (void)index, (void)arg;
    producer_begin();
    for (;;)
        pause();
    return 0; /* not reached */
}

/* The driver's children but `except`, from /proc (the kernel's list of
 * each thread's children, else every process's parent); how many. */
static int children_of_mine(pid_t except, pid_t *out, int max) {
    int n = 0;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        long pid;
        while (n < max && fscanf(f, "%ld", &pid) == 1)
            if ((pid_t)pid != except)
                out[n++] = (pid_t)pid;
        fclose(f);
        return n;
    }
    DIR *d = opendir("/proc");
    if (d == NULL)
        lab_fail("/proc can be read, to find the producers / %s", strerror(errno));
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < max) {
        char buf[512];
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%.20s/stat", e->d_name);
        FILE *s = fopen(path, "r");
        if (s == NULL)
            continue;
        size_t k = fread(buf, 1, sizeof buf - 1, s);
        fclose(s);
        buf[k] = '\0';
        const char *close = strrchr(buf, ')');
        int ppid;
        if (close != NULL && sscanf(close + 2, "%*c %d", &ppid) == 1 && ppid == (int)getpid() &&
            atoi(e->d_name) != (int)except)
            out[n++] = (pid_t)atoi(e->d_name);
    }
    closedir(d);
    return n;
}

static char proc_state(pid_t pid);

/* chan_spawn_producers(FAIL_NPROD) whose FAIL_FORK-th fork fails: -1 with
 * errno set, and then no producer running and no descriptor left open.
 * Producers that were started wait asleep until killed; one still asleep
 * 0.5 s after the call returned (a killed one ends at once) was left
 * running. Says in note what it did. */
static void expect_failed_spawn(char *note, size_t len) {
    char why[160] = "";
    int fds_before = lab_open_fds();
    pid_t judge = lab_fork_fail_start(FAIL_FORK, why, sizeof why);
    if (judge < 0) {
        snprintf(note, len, "; no fork could be made to fail here (%s)", why);
        return;
    }
    parent_pid = getpid();
    pid_t pids[FAIL_NPROD] = {0};
    chan_t *rx = NULL;
    errno = 0;
    int rc = chan_spawn_producers(FAIL_NPROD, producer_waits, NULL, &rx, pids);
    int e = errno;
    if (rc == 0) {
        /* It tried the fork again, and the judge let it through: fine. */
        for (int i = 0; i < FAIL_NPROD; i++)
            if (pids[i] > 0)
                kill(pids[i], SIGKILL);
        chan_close(rx);
    } else if (rc != -1 || e == 0) {
        lab_fail("chan_spawn_producers(%d) whose fork number %d fails (EAGAIN) returns -1 with errno set / it "
                 "returned %d, errno %d",
                 FAIL_NPROD, FAIL_FORK, rc, e);
    }
    /* Every child but the judge must end now (a killed producer wakes at
     * once and is reaped here if the implementation left it a zombie). */
    double asleep_since = -1;
    for (;;) {
        pid_t kids_now[MAXP];
        int n = children_of_mine(judge, kids_now, MAXP), asleep = 0, live = 0;
        for (int i = 0; i < n; i++) {
            int st;
            pid_t r = waitpid(kids_now[i], &st, WNOHANG);
            if (r == kids_now[i] || (r < 0 && errno == ECHILD))
                continue;
            live++;
            char c = proc_state(kids_now[i]);
            asleep += c == 'S' || c == 'D' || c == 'T';
        }
        if (live == 0)
            break;
        if (rc == 0 || asleep < live) {
            asleep_since = rc == 0 ? asleep_since : -1;
        } else if (asleep_since < 0) {
            asleep_since = lab_now();
        } else if (lab_now() - asleep_since >= 0.5) {
            int left = live;
            for (int i = 0; i < n; i++)
                kill(kids_now[i], SIGKILL);
            for (int i = 0; i < n; i++)
                waitpid(kids_now[i], NULL, 0);
            kill(judge, SIGKILL);
            waitpid(judge, NULL, 0);
            lab_fail("no producer left running once chan_spawn_producers() returns -1 / its fork number %d "
                     "failed (EAGAIN) and it returned -1, but %d producer%s it had started %s still running "
                     "0.5 s later",
                     FAIL_FORK, left, left == 1 ? "" : "s", left == 1 ? "was" : "were");
        }
        sleep_s(0.002);
    }
    kill(judge, SIGKILL);
    while (waitpid(judge, NULL, 0) < 0 && errno == EINTR) {
    }
    int fds_after = lab_open_fds();
    if (fds_after != fds_before)
        lab_fail("a failed chan_spawn_producers() leaves no descriptor open / %d open before, %d after it "
                 "returned %d",
                 fds_before, fds_after, rc);
    snprintf(note, len,
             rc == 0 ? "; a spawn whose fork %d failed tried again and started them all"
                     : "; a spawn whose fork %d failed returned -1 (%s) and left no producer running",
             FAIL_FORK, strerror(e));
}

/* A producer that dies inside a message: it says (in a page shared with
 * the driver) that it is about to send DROP_BIG bytes, more than any pipe
 * holds, to a consumer that does not read yet; once it sleeps, it sleeps
 * in the middle of that frame, every time, and the driver kills it there. */
static int producer_cut_short(chan_t *tx, int index, void *arg) {
    atomic_int *sending = arg;
    producer_begin();
    unsigned char *buf = malloc(DROP_BIG);
    if (buf == NULL)
        return 2;
    msg_fill(buf, DROP_BIG, index, 0);
    atomic_store(sending, 1);
    if (chan_send(tx, buf, DROP_BIG) != 0)
        return send_fail();
    return 0;
}

/* chan.h: -1 with EPROTO "when the stream ends inside a message (its
 * sender died while sending)". */
static void expect_eproto(void) {
    atomic_int *sending =
        mmap(NULL, sizeof *sending, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sending == MAP_FAILED)
        lab_fail("mmap of a shared page works / %s", strerror(errno));
    atomic_init(sending, 0);
    chan_t *rx = spawn(1, producer_cut_short, sending);
    /* Asleep after it began to send: blocked in write() with the pipe
     * full, part of its frame in the pipe and the rest not (a loaded
     * machine only makes it later). A send that never sleeps (it polls
     * for room) has long begun its frame after 10 s. */
    double t0 = lab_now();
    while (!atomic_load(sending) || (proc_state(kids[0]) != 'S' && lab_now() - t0 < 10)) {
        int st;
        if (waitpid(kids[0], &st, WNOHANG) == kids[0]) {
            kids[0] = 0;
            char why[160];
            describe_status(st, why, sizeof why);
            bail("a producer sending %d bytes to a consumer that does not read waits inside its send / %s",
                 DROP_BIG, why);
        }
        if (lab_now() - t0 > 20)
            bail("a producer starts sending %d bytes / it did not within 20 s", DROP_BIG);
        sleep_s(0.001);
    }
    kids_kill();
    nkids = 0;
    unsigned char *buf = lab_calloc(1, DROP_BIG);
    _Atomic long ends;
    atomic_init(&ends, 0);
    lab_stall_t *st = lab_stall_watch(&ends, 0.5,
                                      "consumer never saw the end of a stream cut short: a write end is still open "
                                      "somewhere");
    errno = 0;
    ssize_t n = chan_recv(rx, buf, DROP_BIG);
    int e = errno;
    lab_stall_stop(st);
    if (n != -1 || e != EPROTO)
        lab_fail("a producer killed inside a %d-byte message (asleep in write(), the pipe full), then reaped: the "
                 "next chan_recv() returns -1, EPROTO / got %zd%s%s",
                 DROP_BIG, n, n == 0 ? " (the end of the stream, as if the message had never begun)" : n < 0 ? ": " : " bytes",
                 n < 0 ? strerror(e) : "");
    chan_close(rx);
    free(buf);
    munmap(sending, sizeof *sending);
}

/* How many mappings this process has: the lines of /proc/self/maps, read
 * with read() so that counting allocates nothing of its own. */
static int maps_count(void) {
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        lab_fail("/proc/self/maps can be read / %s", strerror(errno));
    char buf[4096];
    int lines = 0;
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) != 0) {
        if (r < 0) {
            if (errno == EINTR)
                continue;
            lab_fail("/proc/self/maps can be read / %s", strerror(errno));
        }
        for (ssize_t i = 0; i < r; i++)
            lines += buf[i] == '\n';
    }
    close(fd);
    return lines;
}

/* chan.h: chan_close() closes this process's end "and free[s] it": what
 * chan_open() set up for an end goes with it, its writers' lock too. A
 * mapping per channel left behind (a lock in shared memory never
 * unmapped) is counted as descriptors are: MAP_CYCLES channels opened and
 * closed in a row, nothing else done in between, must leave the mappings
 * as they were; one left per channel adds MAP_CYCLES. Malloc may map an
 * arena of its own meanwhile, so a few more are let through. */
enum { MAP_CYCLES = 64 };

static void expect_no_mapping_left(void) {
    chan_t *rx, *tx;
    if (chan_open(&rx, &tx) != 0) /* once first: whatever is set up once per program */
        lab_fail("chan_open returns 0 / -1: %s", strerror(errno));
    chan_close(tx);
    chan_close(rx);
    int before = maps_count();
    for (int i = 0; i < MAP_CYCLES; i++) {
        if (chan_open(&rx, &tx) != 0)
            lab_fail("chan_open returns 0 (%d channels opened and closed before) / -1: %s", i, strerror(errno));
        if (chan_close(tx) != 0 || chan_close(rx) != 0)
            lab_fail("chan_close returns 0 / -1: %s", strerror(errno));
    }
    int after = maps_count();
    if (after - before >= MAP_CYCLES / 2)
        lab_fail("chan_close() frees what chan_open() set up for the end (chan.h: \"Close this process's end of "
                 "the channel and free it\") / %d channels opened and closed added %d mappings (%d before, %d "
                 "after in /proc/self/maps): a mapping, such as the writers' lock, left behind per channel",
                 MAP_CYCLES, after - before, before, after);
}

/* When every producer has ended, the consumer's next chan_recv() is 0. */
static void check_eof(const lab_opts_t *o) {
    int nprod = lab_opt_threads(o, 3);
    long nmsg = lab_opt_iters(o, 100);
    if (nprod > MAXP)
        lab_fail("at most %d producers / --threads %d", MAXP, nprod);
    msg_seed = lab_seed_for(15);
    int fds_before = lab_open_fds();
    plan_t plan = {KIND_TINY, (uint32_t)nmsg, 0, NULL};
    chan_t *rx = spawn(nprod, producer_main, &plan);
    _Atomic long progress;
    atomic_init(&progress, 0);
    lab_stall_t *st = lab_stall_watch(&progress, 1.0, "messages stopped arriving before the end");
    unsigned char *buf = lab_calloc(1, CAP);
    stream_t s;
    stream_init(&s, KIND_TINY, nprod, (uint32_t)nmsg);
    for (long k = 0; k < nprod * nmsg; k++) {
        stream_take(&s, buf, chan_recv(rx, buf, CAP));
        atomic_fetch_add_explicit(&progress, 1, memory_order_relaxed);
    }
    lab_stall_stop(st);
    /* Every producer has ended now: nothing should hold a write end, and
     * the read returns at once. A main thread asleep in it for half a
     * second is waiting for a writer that is not coming. */
    reap_all_ok();
    _Atomic long ends;
    atomic_init(&ends, 0);
    st = lab_stall_watch(&ends, 0.5, "consumer never saw EOF: a write end is still open somewhere");
    ssize_t n = chan_recv(rx, buf, CAP);
    lab_stall_stop(st);
    if (n != 0)
        lab_fail("EOF (0) after the last message / chan_recv returned %zd%s%s", n, n < 0 ? ": " : "",
                 n < 0 ? strerror(errno) : "");
    chan_close(rx);
    pid_t left = waitpid(-1, NULL, WNOHANG);
    if (left != -1 || errno != ECHILD)
        lab_fail("no child left once the producers are reaped / waitpid(-1) found %d", (int)left);
    int fds_after = lab_open_fds();
    if (fds_after != fds_before)
        lab_fail("the consumer's descriptors all closed once chan_close() returns / %d open before "
                 "chan_spawn_producers(), %d after chan_close(): a pipe end leaked",
                 fds_before, fds_after);
    stream_free(&s);
    free(buf);
    expect_no_mapping_left();
    /* The other end of a stream: one that ends inside a message. */
    expect_eproto();
    char note[200];
    expect_failed_spawn(note, sizeof note);
    lab_pass("%d producers x %ld messages, then EOF; no child left, no descriptor leaked; %d channels opened and "
             "closed left no mapping; a producer killed inside a message gave EPROTO%s",
             nprod, nmsg, MAP_CYCLES, note);
}

/* One process's state letter in /proc: S or D when it sleeps in the kernel. */
static char proc_state(pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return '?';
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *close = strrchr(buf, ')');
    return close != NULL && close[1] == ' ' ? close[2] : '?';
}

/* The consumer quits early: producers writing into the full pipe must be
 * told (EPIPE), not left waiting for a reader that will never come. */
static void check_consumer_quits(const lab_opts_t *o) {
    int nprod = lab_opt_threads(o, 2);
    if (nprod > MAXP)
        lab_fail("at most %d producers / --threads %d", MAXP, nprod);
    msg_seed = lab_seed_for(15);
    chan_t *rx = spawn(nprod, producer_until_epipe, NULL);
    unsigned char *buf = lab_calloc(1, CAP);
    ssize_t n = chan_recv(rx, buf, CAP);
    if (n != QUIT_MSG)
        bail("a first message of %d bytes / chan_recv returned %zd", QUIT_MSG, n);
    chan_close(rx);
    /* Judge a hang by the producers' state, not the clock alone: a
     * producer told of EPIPE is woken at once, so every one of them asleep
     * in the kernel for half a second is stuck; runnable is only slow. */
    double asleep_since = -1;
    for (;;) {
        int live = 0, asleep = 0;
        for (int i = 0; i < nkids; i++) {
            if (kids[i] <= 0)
                continue;
            int stv;
            pid_t r = waitpid(kids[i], &stv, WNOHANG);
            if (r == kids[i]) {
                kids[i] = 0;
                if (!WIFEXITED(stv) || WEXITSTATUS(stv) != 0) {
                    char why[160];
                    describe_status(stv, why, sizeof why);
                    bail("producer %d ends with EPIPE once the consumer has gone / %s", i, why);
                }
                continue;
            }
            live++;
            char c = proc_state(kids[i]);
            if (c == 'S' || c == 'D')
                asleep++;
        }
        if (live == 0)
            break;
        if (asleep < live) {
            asleep_since = -1;
        } else if (asleep_since < 0) {
            asleep_since = lab_now();
        } else if (lab_now() - asleep_since >= 0.5) {
            bail("producers end with EPIPE once the consumer has gone / %d of them still blocked on a full "
                 "pipe 0.5 s later: a read end is still open in a producer",
                 live);
        }
        sleep_s(0.002);
    }
    nkids = 0;
    free(buf);
    lab_pass("%d producers were told (EPIPE) that the consumer had gone, and ended", nprod);
}

/* eintr, a drop: the consumer asleep in read() in the middle of dropping a
 * message too long for its buffer when its signal comes. */
typedef struct {
    pid_t producer;       /* stopped in the middle of the message */
    pthread_t consumer;   /* the driver's main thread, inside chan_recv() */
    int interrupted;      /* its signal came while it slept */
} drop_signal_t;

static void *drop_interrupter(void *arg) {
    drop_signal_t *d = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL); /* SIGUSR1 is for the consumer */
    /* The consumer drops what the stopped producer wrote, then has nothing
     * to read: asleep, inside the drop, until the producer goes on. */
    if (lab_others_asleep(5.0)) {
        sig_atomic_t before = ticks;
        pthread_kill(d->consumer, SIGUSR1);
        double t0 = lab_now();
        while (ticks == before && lab_now() - t0 < 5)
            sleep_s(0.001);
        d->interrupted = ticks != before;
    }
    kill(d->producer, SIGCONT);
    return NULL;
}

/* A producer sends DROP_BIG bytes (more than any pipe holds) and then
 * DROP_TAIL; it is stopped in the middle of the first, so the consumer,
 * dropping it into a DROP_CAP-byte buffer, sleeps in read() when a signal
 * comes. The drop must go on: -1, EMSGSIZE, and the next message intact.
 * Returns 1 when the signal came while the consumer slept. */
static int drop_interrupted(atomic_int *sending) {
    atomic_store(sending, 0);
    plan_t plan = {KIND_EINTR, 0, 1, sending};
    chan_t *rx = spawn(1, producer_main, &plan);
    /* Asleep once it has begun: blocked in write() with the pipe full. */
    double t0 = lab_now();
    while (!atomic_load(sending) || proc_state(kids[0]) != 'S') {
        if (lab_now() - t0 > 10)
            bail("a producer sending %d bytes to a consumer that does not read waits for room / it did not "
                 "within 10 s",
                 DROP_BIG);
        sleep_s(0.0002);
    }
    kill(kids[0], SIGSTOP);
    for (char c; (c = proc_state(kids[0])) != 'T' && c != 't';) {
        if (c == 'Z' || c == '?')
            bail("a producer stopped (SIGSTOP) inside its send stays stopped / its state is %c", c);
        sleep_s(0.001);
    }
    drop_signal_t d = {.producer = kids[0], .consumer = pthread_self()};
    pthread_t helper;
    LAB_PTHREAD(pthread_create(&helper, NULL, drop_interrupter, &d));
    unsigned char *buf = lab_calloc(1, CAP), *want = lab_calloc(1, CAP);
    errno = 0;
    ssize_t n = chan_recv(rx, buf, DROP_CAP);
    int e = errno;
    LAB_PTHREAD(pthread_join(helper, NULL));
    if (n != -1 || e != EMSGSIZE)
        bail("a %d-byte message into a %d-byte buffer, with a signal while the drop waits for the rest: -1, "
             "EMSGSIZE / got %zd (%s)%s",
             DROP_BIG, DROP_CAP, n, strerror(e),
             e == EINTR ? ": the signal cut the drop short, with the rest of the message still in the pipe" : "");
    msg_fill(want, DROP_TAIL, 0, 1);
    n = chan_recv(rx, buf, CAP);
    if (n != DROP_TAIL || memcmp(buf, want, DROP_TAIL) != 0)
        bail("after a drop interrupted by a signal, the next message (%d bytes) intact / got %zd%s%s", DROP_TAIL, n,
             n < 0 ? ": " : n == DROP_TAIL ? " bytes, other ones" : " bytes", n < 0 ? strerror(errno) : "");
    chan_close(rx);
    reap_all_ok();
    free(want);
    free(buf);
    return d.interrupted;
}

/* Signals every 250 us in every process, while the consumer waits for
 * messages (first half) and while producers wait for room (second half). */
static void check_eintr(const lab_opts_t *o) {
    int nprod = lab_opt_threads(o, 2);
    long nmsg = lab_opt_iters(o, 32);
    if (nprod > MAXP)
        lab_fail("at most %d producers / --threads %d", MAXP, nprod);
    lab_watchdog_arm(5, "messages stopped arriving while signals came: a producer gave up or lost its place");
    msg_seed = lab_seed_for(15);
    plan_t plan = {KIND_EINTR, (uint32_t)nmsg, 0, NULL};
    chan_t *rx = spawn(nprod, producer_main, &plan);
    tick_start(250);
    unsigned char *buf = lab_calloc(1, CAP);
    stream_t s;
    stream_init(&s, KIND_EINTR, nprod, (uint32_t)nmsg);
    for (long k = 0; k < nprod * nmsg; k++) {
        /* In the second half the consumer dawdles, so the pipe is full
         * and the producers wait in write() when the signals come. */
        if (k >= nprod * nmsg / 2)
            sleep_s(0.001);
        stream_take(&s, buf, chan_recv(rx, buf, CAP));
    }
    tick_stop();
    long caught = ticks;
    chan_close(rx);
    reap_all_ok();
    stream_free(&s);
    free(buf);
    atomic_int *sending = mmap(NULL, sizeof *sending, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sending == MAP_FAILED)
        lab_fail("mmap of a shared page works / %s", strerror(errno));
    int dropped = drop_interrupted(sending);
    munmap(sending, sizeof *sending);
    lab_pass("%d producers x %ld messages with SIGUSR1 every 250 us in every process (%ld caught by the "
             "consumer): all arrived intact, in order; a 2 MiB message dropped %s",
             nprod, nmsg, caught,
             dropped ? "although a signal came while the drop waited" : "(no signal while it waited)");
}

static const lab_check_t checks[] = {
    {"single", "one process, then one producer: small messages in order; empty and too-long messages (also into "
               "0 and 1 bytes), one longer than any pipe",
     check_single, LAB_PAUSE_OFF},
    {"many-producers", "4 producers x 48 messages of 8 B to 192 KiB: exactly once, intact, in order",
     check_many, LAB_PAUSE_OFF},
    {"threads-share-end", "2 producers x 3 threads on each one's sending end, 3 threads on a chan_open() end: "
                          "frames never mix; a send on one channel while another stays full",
     check_threads, LAB_PAUSE_RANDOM},
    {"eof", "the consumer sees EOF once every producer has ended; no descriptor or mapping leaked; EPROTO for "
            "a producer killed inside a message; a failed spawn leaves no producer",
     check_eof, LAB_PAUSE_OFF},
    {"consumer-quits", "producers get EPIPE, not a hang, when the consumer quits early", check_consumer_quits,
     LAB_PAUSE_OFF},
    {"eintr", "signals every 250 us interrupt blocked reads and writes: every message still intact, and a drop "
              "goes on",
     check_eintr, LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
