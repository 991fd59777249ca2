/* main() of every lab bench binary.
 *
 *   build/labs/01-race-counter/fixed/bench [--impl NAME] [--pin none|compact|scatter]
 *       [--threads 1,2,4] [--floors] [--topology FILE] [--plan FILE] [--no-run] [--benchmark_* ...]
 *
 * The locklab options come first and are taken out; everything else goes to
 * Google Benchmark (e.g. --benchmark_out=x.json --benchmark_min_time=0.1).
 * --topology writes the hwloc summary, --plan the pinning plan of every thread
 * count (which PU each worker gets, and which wrapped around), then the
 * benchmarks run as usual, unless --no-run. --floors registers the lab's
 * primitive floors (fixed's binary always does; harness/lab-bench asks the
 * run's leading binary for them when there is no fixed.c). Bad input: one line on stderr, exit 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labbench.h"
#include "pin.h"

#define MAX_THREAD_COUNTS 32

static pin_policy_t pin_policy = PIN_COMPACT;
static int thread_counts[MAX_THREAD_COUNTS] = {1, 2, 4};
static int n_thread_counts = 3;
static char impl_name[64] = "?";

__attribute__((noreturn, format(printf, 1, 2))) static void bad_usage(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

static void parse_threads(const char *s) {
    n_thread_counts = 0;
    const char *p = s;
    while (*p) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 1 || v > 1024 || (*end != ',' && *end != '\0'))
            bad_usage("--threads wants a comma-separated list of counts from 1 to 1024, not '%s'", s);
        if (n_thread_counts == MAX_THREAD_COUNTS)
            bad_usage("--threads takes at most %d counts", MAX_THREAD_COUNTS);
        thread_counts[n_thread_counts++] = (int)v;
        p = *end ? end + 1 : end;
    }
    if (n_thread_counts == 0)
        bad_usage("--threads wants at least one count");
}

static FILE *open_out(const char *opt, const char *path) {
    FILE *f = fopen(path, "w");
    if (f == NULL)
        bad_usage("%s: cannot write '%s': %s", opt, path, strerror(errno));
    return f;
}

static void close_out(const char *path, FILE *f) {
    if (ferror(f) | fclose(f))
        bad_usage("error writing '%s'", path);
}

/* --opt=value or --opt value; returns the value, or NULL when argv[*i] is
 * not this option. */
static const char *opt_value(int argc, char **argv, int *i, const char *name) {
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] != '\0')
        return NULL;
    if (*i + 1 >= argc)
        bad_usage("%s needs a value", name);
    return argv[++*i];
}

static void *nothing(void *arg) { return arg; }

int main(int argc, char **argv) {
    const char *topology = NULL, *plan = NULL;
    int no_run = 0, floors = 0;
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0;
    if (rest == NULL)
        bad_usage("out of memory");
    rest[nrest++] = argv[0];

    /* Default implementation name: the folder the binary was built into. */
    char *copy = strdup(argv[0]);
    char *slash = copy ? strrchr(copy, '/') : NULL;
    if (slash) {
        *slash = '\0';
        char *dir = strrchr(copy, '/');
        snprintf(impl_name, sizeof impl_name, "%s", dir ? dir + 1 : copy);
    }
    free(copy);

    for (int i = 1; i < argc; i++) {
        const char *v;
        if ((v = opt_value(argc, argv, &i, "--impl"))) {
            if (!*v || strlen(v) >= sizeof impl_name)
                bad_usage("--impl wants a short name");
            snprintf(impl_name, sizeof impl_name, "%s", v);
        } else if ((v = opt_value(argc, argv, &i, "--pin"))) {
            if (pin_policy_parse(v, &pin_policy) != 0)
                bad_usage("--pin wants none, compact or scatter, not '%s'", v);
        } else if ((v = opt_value(argc, argv, &i, "--threads"))) {
            parse_threads(v);
        } else if ((v = opt_value(argc, argv, &i, "--topology"))) {
            topology = v;
        } else if ((v = opt_value(argc, argv, &i, "--plan"))) {
            plan = v;
        } else if (strcmp(argv[i], "--floors") == 0) {
            floors = 1;
        } else if (strcmp(argv[i], "--no-run") == 0) {
            no_run = 1;
        } else if (strncmp(argv[i], "--benchmark_", 12) == 0 || strcmp(argv[i], "--help") == 0) {
            rest[nrest++] = argv[i];
        } else {
            bad_usage("unknown option '%s' (locklab: --impl --pin --threads --floors --topology --plan --no-run; "
                      "the rest must be --benchmark_* options)",
                      argv[i]);
        }
    }

    /* glibc skips the atomic instructions of an uncontended mutex while a
     * process has never had a second thread. Benchmarks that ran before the
     * first thread would then time a cheaper lock than those after it: one
     * short-lived thread up front puts every benchmark on the same footing. */
    pthread_t t;
    if (pthread_create(&t, NULL, nothing, NULL) != 0 || pthread_join(t, NULL) != 0)
        bad_usage("cannot start a thread");

    if (pin_init() != 0)
        bad_usage("hwloc could not load this machine's topology");
    if (topology) {
        FILE *f = open_out("--topology", topology);
        pin_topology_write(f);
        close_out(topology, f);
    }
    if (plan) {
        FILE *f = open_out("--plan", plan);
        for (int k = 0; k < n_thread_counts; k++)
            pin_plan_write_csv(f, pin_policy, thread_counts[k], k == 0);
        close_out(plan, f);
    }

    if (no_run) {
        pin_fini();
        free(rest);
        return 0;
    }
    int reference = strcmp(impl_name, "fixed") == 0;
    labbench_t lb = {impl_name, reference, reference || floors, thread_counts, n_thread_counts};
    lab_bench_register(&lb);
    int rc = gb_main(nrest, rest);
    pin_fini();
    free(rest);
    return rc;
}

/* ---- what bench functions call -------------------------------------------- */
gb_bench_t *labbench_register(const labbench_t *lb, const char *name, gb_fn_t fn, void *arg) {
    gb_bench_t *b = gb_register(name, fn, arg);
    for (int k = 0; k < lb->nthreads; k++)
        gb_threads(b, lb->threads[k]);
    return gb_use_real_time(b);
}

/* A floor's benchmark runs through floor_run, which tells labbench_thread_end
 * on each of its threads which primitive it is timing: one indirect call per
 * thread and run, none in the timing loop. */
typedef struct {
    gb_fn_t fn;
    void *arg;
    const char *primitive;
} floor_t;

static _Thread_local const char *floor_primitive;

static void floor_run(gb_state_t *st, void *arg) {
    const floor_t *f = arg;
    floor_primitive = f->primitive;
    f->fn(st, f->arg);
    floor_primitive = NULL;
}

gb_bench_t *labbench_register_floor(const labbench_t *lb, const char *name, const char *primitive, gb_fn_t fn,
                                    void *arg) {
    if (!lb->floors)
        return NULL;
    if (!*primitive || strpbrk(primitive, " =,\"\t\n")) {
        fprintf(stderr, "bench: a floor's primitive is one word without '=' or ',', not '%s'\n", primitive);
        exit(2);
    }
    floor_t *f = malloc(sizeof *f); /* lives as long as the registration */
    if (f == NULL)
        bad_usage("out of memory");
    *f = (floor_t){fn, arg, primitive};
    return labbench_register(lb, name, floor_run, f);
}

void labbench_thread_begin(gb_state_t *st) {
    pin_slot_t slot;
    int worker = gb_thread_index(st), n = gb_thread_count(st);
    if (pin_thread_self(pin_policy, worker, n, &slot) != 0) {
        gb_skip_with_error(st, "pinning failed");
        return;
    }
    pin_slot_observe(&slot);
    if (pin_policy != PIN_NONE && slot.observed_pu != slot.pu_os) {
        gb_skip_with_error(st, "pinned thread ran on another PU");
        return;
    }
    /* The fraction of this run's threads that share a PU with another. */
    gb_counter_set(st, "wrapped", slot.wrapped ? 1.0 : 0.0, GB_COUNTER_AVG_THREADS);
}

void labbench_thread_end(gb_state_t *st, const char *op, int64_t ops) {
    char label[200];
    gb_set_items_processed(st, ops);
    if (floor_primitive)
        snprintf(label, sizeof label, "impl=floor op=%s pin=%s floor=%s", op, pin_policy_name(pin_policy),
                 floor_primitive);
    else
        snprintf(label, sizeof label, "impl=%s op=%s pin=%s", impl_name, op, pin_policy_name(pin_policy));
    gb_set_label(st, label);
}
