/* locklab-bench: the course's central table, measured. Runs workloads under
 * the regimes (gil, object, process and the baselines) for a range of worker
 * counts, timed through Google Benchmark (manual time: one iteration is one
 * whole run, repeated), verifies every run's final state, and writes a new
 * results folder.
 *
 *   build/harness/locklab-bench --workload cpu --regime gil,object,process --workers 1,2
 *   [ 1/6] cpu gil workers=1 ...
 *   results: results/20261123-050102-vm
 *
 * Options (lists are comma-separated; workers also take ranges like 1-4):
 *   --workload LIST    workloads (default: all; --list shows them)
 *   --regime LIST      gil, object, process, unsafe, atomic, sharded
 *                      (default: every regime each workload supports)
 *   --workers LIST     worker counts (default 1, 2, 4, ... up to the usable PUs,
 *                      then twice them, as harness/counts)
 *   --pin POLICY       none, compact or scatter (default compact)
 *   --interval LIST    GIL switch intervals in microseconds (default 5000)
 *   --share LIST       `objects`: fractions of updates to the hot object (default 0)
 *   --ops N            operations per worker (default: each workload's own)
 *   --repetitions N    rounds, each running every combination once (default 5)
 *   --check-gil        count GIL holders at every hand-over and fail a run
 *                      that ever saw two (off by default: it costs time)
 *   --out DIR          parent of the run folder (default results)
 *   --also             start another segment of the same run: the options
 *                      after it (workload to ops) start from their defaults
 *                      again, e.g. --workload cpu --also --workload io --workers 8
 *   --list, --help
 * Exit: 0; 1 when a run's final state was wrong (other than `unsafe`
 * losing updates, which is reported, not failed) or the GIL ever had two
 * holders; 2 for bad input (one line on stderr).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "gbench.h"
#include "pin.h"
#include "regime.h"

#ifndef LOCKLAB_GIL_IMPL
#define LOCKLAB_GIL_IMPL "?"
#endif
#ifndef LOCKLAB_CFLAGS
#define LOCKLAB_CFLAGS "?"
#endif
#ifndef LOCKLAB_HWLOC_VERSION
#define LOCKLAB_HWLOC_VERSION "?"
#endif
#ifndef LOCKLAB_GBENCH_VERSION
#define LOCKLAB_GBENCH_VERSION "?"
#endif

#define MAXLIST 64

__attribute__((noreturn, format(printf, 1, 2))) static void bad(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "locklab-bench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

/* ---- options ---------------------------------------------------------------- */
static const workload_t *workloads[MAXLIST];
static int nworkloads;
static regime_t regimes[REGIME_COUNT];
static int nregimes;
static long workers[MAXLIST];
static int nworkers;
static long intervals[MAXLIST];
static int nintervals;
static double shares[MAXLIST];
static int nshares;
static long ops_override;
static int repetitions = 5;
static pin_policy_t pin = PIN_COMPACT;
static const char *out_parent = "results";
static int check_gil;
/* Every worker count any segment uses, for the pinning plan. */
static long all_workers[MAXLIST * 4];
static int nall_workers;

/* Splits a comma-separated list, calling each() on every item. */
static void each_item(const char *opt, const char *list, void (*each)(const char *opt, const char *item)) {
    if (*list == '\0')
        bad("%s wants a list, got nothing", opt);
    char *copy = strdup(list), *save = NULL;
    if (copy == NULL)
        bad("out of memory");
    for (char *it = strtok_r(copy, ",", &save); it; it = strtok_r(NULL, ",", &save))
        each(opt, it);
    if (list[strlen(list) - 1] == ',' || strstr(list, ",,") || list[0] == ',')
        bad("%s: empty item in '%s'", opt, list);
    free(copy);
}

static long parse_long(const char *opt, const char *s, long lo, long hi) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        bad("%s wants whole numbers from %ld to %ld, not '%s'", opt, lo, hi, s);
    return v;
}

static void add_workload(const char *opt, const char *item) {
    const workload_t *wl = workload_find(item);
    if (wl == NULL)
        bad("%s: unknown workload '%s' (--list shows them)", opt, item);
    if (nworkloads == MAXLIST)
        bad("%s: too many", opt);
    workloads[nworkloads++] = wl;
}

static void add_regime(const char *opt, const char *item) {
    regime_t r;
    if (regime_parse(item, &r) != 0)
        bad("%s: unknown regime '%s' (gil, object, process, unsafe, atomic, sharded)", opt, item);
    regimes[nregimes++ % REGIME_COUNT] = r;
}

static void add_workers(const char *opt, const char *item) {
    const char *dash = strchr(item, '-');
    long lo, hi;
    if (dash && dash != item) {
        char first[32];
        snprintf(first, sizeof first, "%.*s", (int)(dash - item), item);
        lo = parse_long(opt, first, 1, 1024);
        hi = parse_long(opt, dash + 1, 1, 1024);
        if (hi < lo)
            bad("%s: empty range '%s'", opt, item);
    } else {
        lo = hi = parse_long(opt, item, 1, 1024);
    }
    for (long v = lo; v <= hi; v++) {
        if (nworkers == MAXLIST)
            bad("%s: at most %d counts", opt, MAXLIST);
        workers[nworkers++] = v;
    }
}

static void add_interval(const char *opt, const char *item) {
    if (nintervals == MAXLIST)
        bad("%s: too many", opt);
    intervals[nintervals++] = parse_long(opt, item, 1, 10000000);
}

static void add_share(const char *opt, const char *item) {
    char *end;
    errno = 0;
    double v = strtod(item, &end);
    if (errno || end == item || *end || !(v >= 0 && v <= 1))
        bad("%s wants fractions from 0 to 1, not '%s'", opt, item);
    if (nshares == MAXLIST)
        bad("%s: too many", opt);
    shares[nshares++] = v;
}

static void list_workloads(void) {
    for (int i = 0; workload_at(i); i++) {
        const workload_t *wl = workload_at(i);
        printf("%-10s %s\n           regimes:", wl->name, wl->about);
        for (int r = 0; r < REGIME_COUNT; r++)
            if (wl->regimes & REGIME_BIT(r))
                printf(" %s", regime_name((regime_t)r));
        printf("; default ops %ld", wl->default_ops);
        if (wl->lab)
            printf("; lab %s", wl->lab);
        printf("\n");
    }
}

/* ---- the benchmarks ------------------------------------------------------------ */
typedef struct {
    const workload_t *wl;
    wl_params_t p;
    int reps_done;
    char name[160];
} combo_t;

typedef struct {
    const combo_t *c;
    int repetition;
    regime_result_t r;
} row_t;

static combo_t *combos;
static int ncombos, cap_combos;
static row_t *rows;
static int nrows, cap_rows;
static int failures;

static void *grow(void *p, int *cap, size_t size) {
    *cap = *cap ? 2 * *cap : 64;
    void *q = realloc(p, (size_t)*cap * size);
    if (q == NULL)
        bad("out of memory");
    return q;
}

static void bm_run(gb_state_t *st, void *arg) {
    combo_t *c = arg;
    const int round = c->reps_done;
    while (gb_keep_running(st)) {
        regime_result_t r;
        c->p.seed = 0x5eedULL + (uint64_t)c->reps_done;
        if (regime_run(c->wl, &c->p, pin, &r) != 0) {
            gb_skip_with_error(st, "the run could not be carried out");
            failures++;
            continue;
        }
        gb_set_iteration_time(st, r.seconds);
        int bad_state = r.wrong || (r.lost_updates > 0 && c->p.regime != REGIME_UNSAFE) ||
                        r.max_holders > 1;
        if (bad_state) {
            fprintf(stderr, "locklab-bench: %s: WRONG: %s%s\n", c->name, r.why,
                    r.max_holders > 1 ? " (two GIL holders at once)" : "");
            failures++;
        }
        if (nrows == cap_rows)
            rows = grow(rows, &cap_rows, sizeof *rows);
        rows[nrows++] = (row_t){c, c->reps_done++, r};
        gb_counter_set(st, "ops", (double)r.ops, GB_COUNTER_DEFAULT);
        gb_counter_set(st, "lost_updates", (double)r.lost_updates, GB_COUNTER_DEFAULT);
        gb_counter_set(st, "wrapped", r.wrapped, GB_COUNTER_DEFAULT);
        if (r.nlat > 0) {
            gb_counter_set(st, "lat_p50_us", r.lat_p50 * 1e6, GB_COUNTER_DEFAULT);
            gb_counter_set(st, "lat_p99_us", r.lat_p99 * 1e6, GB_COUNTER_DEFAULT);
            gb_counter_set(st, "lat_max_us", r.lat_max * 1e6, GB_COUNTER_DEFAULT);
        }
    }
    char label[200];
    /* Every round registers the combination again with one repetition, so
     * Google Benchmark's repetition_index is 0 throughout: the round is here. */
    snprintf(label, sizeof label, "workload=%s regime=%s workers=%d pin=%s interval_us=%ld share=%g round=%d",
             c->wl->name, regime_name(c->p.regime), c->p.workers, pin_policy_name(pin),
             c->p.interval_us, c->p.share, round);
    gb_set_label(st, label);
}

static int progress_count;
/* One line per combination in the first round, then one per round. */
static void progress(const char *name, int64_t rep, void *arg) {
    (void)rep;
    int total = *(int *)arg, done = ++progress_count;
    if (done <= total)
        fprintf(stderr, "[%*d/%d] %s\n", total >= 100 ? 3 : 2, done, total, name);
    else if (done % total == 0)
        fprintf(stderr, "round %d of %d done\n", done / total, repetitions);
}

static void add_combo(const workload_t *wl, regime_t r, int w, long interval, double share) {
    if (ncombos == cap_combos)
        combos = grow(combos, &cap_combos, sizeof *combos);
    combo_t *c = &combos[ncombos++];
    memset(c, 0, sizeof *c);
    c->wl = wl;
    c->p = (wl_params_t){.regime = r, .workers = w, .ops = ops_override ? ops_override : wl->default_ops,
                         .share = share, .interval_us = interval, .check_gil = check_gil};
    snprintf(c->name, sizeof c->name, "%s/%s/workers:%d/interval_us:%ld/share:%g", wl->name,
             regime_name(r), w, interval, share);
}

/* ---- results ---------------------------------------------------------------------- */
static int same_series(const combo_t *a, const combo_t *b) {
    return a->wl == b->wl && a->p.regime == b->p.regime && a->p.interval_us == b->p.interval_us &&
           a->p.share == b->p.share;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median throughput of the same series at one worker, or 0. */
static double one_worker_rate(const combo_t *c) {
    double v[256];
    int n = 0;
    for (int i = 0; i < nrows && n < 256; i++)
        if (same_series(rows[i].c, c) && rows[i].c->p.workers == 1 && rows[i].r.seconds > 0)
            v[n++] = (double)rows[i].r.ops / rows[i].r.seconds;
    if (n == 0)
        return 0;
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static FILE *open_in(const char *dir, const char *name) {
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        bad("cannot write %s: %s", path, strerror(errno));
    return f;
}

static void close_checked(FILE *f, const char *what) {
    if (ferror(f) | fclose(f))
        bad("error writing %s", what);
}

static void write_tidy(const char *dir) {
    FILE *f = open_in(dir, "tidy.csv");
    fprintf(f, "workload,regime,workers,pin,interval_us,share,repetition,ops,seconds,ops_per_s,"
               "speedup_vs_1,lost_updates,lat_p50_us,lat_p99_us,lat_max_us,wrapped,max_holders,"
               "gil_switches,gil_forced_drops\n");
    for (int i = 0; i < nrows; i++) {
        const row_t *w = &rows[i];
        const wl_params_t *p = &w->c->p;
        double rate = w->r.seconds > 0 ? (double)w->r.ops / w->r.seconds : 0;
        double one = one_worker_rate(w->c);
        fprintf(f, "%s,%s,%d,%s,%ld,%g,%d,%lld,%.9f,%.3f,", w->c->wl->name, regime_name(p->regime),
                p->workers, pin_policy_name(pin), p->interval_us, p->share, w->repetition, w->r.ops,
                w->r.seconds, rate);
        if (one > 0)
            fprintf(f, "%.4f", rate / one);
        fprintf(f, ",%ld,", w->r.lost_updates);
        if (w->r.nlat > 0)
            fprintf(f, "%.1f,%.1f,%.1f", w->r.lat_p50 * 1e6, w->r.lat_p99 * 1e6, w->r.lat_max * 1e6);
        else
            fprintf(f, ",,");
        fprintf(f, ",%d,%d,%lu,%lu\n", w->r.wrapped, w->r.max_holders, w->r.gil_switches,
                w->r.gil_forced_drops);
    }
    close_checked(f, "tidy.csv");
}

static void write_machine(const char *dir, const char *run) {
    FILE *f = open_in(dir, "machine.txt");
    struct utsname u;
    uname(&u);
    char model[256] = "?", line[512];
    FILE *ci = fopen("/proc/cpuinfo", "r");
    while (ci && fgets(line, sizeof line, ci))
        if (strncmp(line, "model name", 10) == 0) {
            char *colon = strchr(line, ':');
            if (colon) {
                snprintf(model, sizeof model, "%s", colon + 2);
                model[strcspn(model, "\n")] = '\0';
            }
            break;
        }
    if (ci)
        fclose(ci);
    time_t t = time(NULL);
    char date[64];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S%z", localtime(&t));
    const char *git = getenv("LOCKLAB_GIT");
    fprintf(f, "run: %s\nkind: harness\ndate: %s\nhost: %s\ncpu: %s\n", run, date, u.nodename, model);
    fprintf(f, "cpus online: %ld, usable by this run: %d\n", sysconf(_SC_NPROCESSORS_ONLN), pin_pu_count());
    fprintf(f, "topology: %d packages, %d numa nodes, %d cores, %d pus\n", pin_package_count(),
            pin_numa_count(), pin_core_count(), pin_pu_count());
    fprintf(f, "kernel: %s %s %s %s\n", u.sysname, u.release, u.version, u.machine);
    fprintf(f, "compiler: gcc %s\nflags: %s\n", __VERSION__, LOCKLAB_CFLAGS);
    fprintf(f, "google benchmark: %s\nhwloc: %s\n", LOCKLAB_GBENCH_VERSION, LOCKLAB_HWLOC_VERSION);
    /* The gil regime's lock is a lab 17 implementation: the reference, or
     * in the student copy the student's own, which the claims must name. */
    fprintf(f, "gil: %s\n", LOCKLAB_GIL_IMPL);
    fprintf(f, "git: %s\npin: %s\nrepetitions: %d\n", git && *git ? git : "unknown",
            pin_policy_name(pin), repetitions);
    close_checked(f, "machine.txt");
}

static void write_pinning(const char *dir) {
    FILE *f = open_in(dir, "pinning.csv");
    for (int i = 0; i < nall_workers; i++)
        pin_plan_write_csv(f, pin, (int)all_workers[i], i == 0);
    close_checked(f, "pinning.csv");
    f = open_in(dir, "topology.txt");
    pin_topology_write(f);
    close_checked(f, "topology.txt");
}

/* Turns the options given since the last --also into combinations, then
 * forgets them, so the next segment starts from the defaults. */
static void end_segment(void) {
    if (nworkloads == 0)
        for (int i = 0; workload_at(i); i++)
            workloads[nworkloads++] = workload_at(i);
    if (nworkers == 0) {
        /* as harness/counts: 1, 2, 4, ... up to the usable PUs, then twice them */
        int pus = pin_pu_count() > 0 ? pin_pu_count() : 1;
        for (int c = 1; c < pus && nworkers < MAXLIST - 2; c *= 2)
            workers[nworkers++] = c;
        workers[nworkers++] = pus;
        workers[nworkers++] = 2 * pus;
    }
    if (nintervals == 0)
        intervals[nintervals++] = 5000;
    if (nshares == 0)
        shares[nshares++] = 0;
    int before = ncombos;
    for (int i = 0; i < nworkloads; i++)
        for (int r = 0; r < REGIME_COUNT; r++) {
            const workload_t *wl = workloads[i];
            int wanted = nregimes == 0;
            for (int j = 0; j < nregimes && j < REGIME_COUNT; j++)
                wanted |= regimes[j] == (regime_t)r;
            if (!wanted || !(wl->regimes & REGIME_BIT(r)))
                continue;
            /* the interval matters only under the GIL; the share only to `objects` */
            int is_objects = strcmp(wl->name, "objects") == 0;
            int ni = r == REGIME_GIL ? nintervals : 1;
            int ns = is_objects ? nshares : 1;
            for (int s = 0; s < ns; s++)
                for (int iv = 0; iv < ni; iv++)
                    for (int w = 0; w < nworkers; w++)
                        add_combo(wl, (regime_t)r, (int)workers[w], r == REGIME_GIL ? intervals[iv] : 0,
                                  is_objects ? shares[s] : 0);
        }
    if (ncombos == before)
        bad("no workload runs under the regimes asked for (--list shows which do)");
    for (int w = 0; w < nworkers; w++) {
        int seen = 0;
        for (int k = 0; k < nall_workers; k++)
            seen |= all_workers[k] == workers[w];
        if (!seen && nall_workers < MAXLIST * 4)
            all_workers[nall_workers++] = workers[w];
    }
    nworkloads = nregimes = nworkers = nintervals = nshares = 0;
    ops_override = 0;
}

int main(int argc, char **argv) {
    /* before the options: the default worker counts come from the topology */
    int pin_ok = pin_init() == 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            printf("usage: locklab-bench [--workload LIST] [--regime LIST] [--workers LIST]\n"
                   "         [--pin none|compact|scatter] [--interval LIST] [--share LIST]\n"
                   "         [--ops N] [--repetitions N] [--check-gil] [--out DIR] [--also ...]\n"
                   "       locklab-bench --list | --help\n"
                   "Runs workloads under regimes, verifies every run, writes a results folder\n"
                   "(gbench.json, tidy.csv, machine.txt, topology.txt, pinning.csv) under DIR.\n");
            return 0;
        }
        if (strcmp(a, "--list") == 0) {
            list_workloads();
            return 0;
        }
        if (strcmp(a, "--check-gil") == 0) {
            check_gil = 1;
            continue;
        }
        if (strcmp(a, "--also") == 0) {
            end_segment();
            continue;
        }
        static const char *const takes[] = {"--workload", "--regime", "--workers", "--pin", "--interval",
                                            "--share", "--ops", "--repetitions", "--out"};
        int k = -1;
        for (int j = 0; j < 9; j++)
            if (strcmp(a, takes[j]) == 0)
                k = j;
        if (k < 0)
            bad("unknown option '%s' (try --help)", a);
        if (i + 1 >= argc)
            bad("%s needs a value", a);
        const char *v = argv[++i];
        switch (k) {
        case 0: each_item(a, v, add_workload); break;
        case 1: each_item(a, v, add_regime); break;
        case 2: each_item(a, v, add_workers); break;
        case 3:
            if (pin_policy_parse(v, &pin) != 0)
                bad("--pin wants none, compact or scatter, not '%s'", v);
            break;
        case 4: each_item(a, v, add_interval); break;
        case 5: each_item(a, v, add_share); break;
        case 6: ops_override = parse_long(a, v, 1, 1000000000L); break;
        case 7: repetitions = (int)parse_long(a, v, 1, 1000); break;
        default: out_parent = v; break;
        }
    }
    end_segment();
    struct stat sb;
    if (stat(out_parent, &sb) != 0 || !S_ISDIR(sb.st_mode) || access(out_parent, W_OK) != 0)
        bad("--out: '%s' is not a folder this run can write into", out_parent);

    if (!pin_ok)
        bad("hwloc could not load this machine's topology");

    /* results/<date>-<time>-<host>, written under a temporary name first */
    char host[64] = "host", stamp[32], run[128], tmp[PATH_MAX], dest[PATH_MAX + 160];
    gethostname(host, sizeof host - 1);
    host[strcspn(host, ".")] = '\0';
    time_t now = time(NULL);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime(&now));
    snprintf(run, sizeof run, "%s-%s", stamp, host);
    snprintf(tmp, sizeof tmp, "%s/.tmp-%s-XXXXXX", out_parent, run);
    if (mkdtemp(tmp) == NULL)
        bad("cannot make a folder in '%s': %s", out_parent, strerror(errno));

    /* Rounds: every combination runs once per round, in the order given, and
     * the rounds follow each other, so a combination's repetitions are spread
     * over the whole run instead of taken back to back. A slow spell of the
     * machine (another job, or a virtual CPU the host lends elsewhere for a
     * few seconds) then costs each combination at most a round or two, which
     * the median over repetitions leaves out, and the 1-worker and 2-worker
     * runs of a series are never seconds apart. Google Benchmark runs
     * benchmarks in the order they were registered, so each round registers
     * them all again, each with one repetition. */
    for (int r = 0; r < repetitions; r++)
        for (int i = 0; i < ncombos; i++)
            gb_repetitions(gb_iterations(gb_use_manual_time(gb_register(combos[i].name, bm_run, &combos[i])), 1), 1);
    char json[PATH_MAX + 16];
    snprintf(json, sizeof json, "%s/gbench.json", tmp);
    gb_run_opts_t o = {.json_out = json, .quiet = true, .progress = progress, .progress_arg = &ncombos};
    if (gb_run(&o) < 0)
        bad("running the benchmarks failed");

    write_tidy(tmp);
    write_machine(tmp, run);
    write_pinning(tmp);

    snprintf(dest, sizeof dest, "%s/%s", out_parent, run);
    for (int n = 2; access(dest, F_OK) == 0; n++)
        snprintf(dest, sizeof dest, "%s/%s-%d", out_parent, run, n);
    if (rename(tmp, dest) != 0)
        bad("cannot rename %s to %s: %s", tmp, dest, strerror(errno));
    char link_tmp[PATH_MAX + 16], link_final[PATH_MAX + 16];
    snprintf(link_tmp, sizeof link_tmp, "%s/.latest.tmp", out_parent);
    snprintf(link_final, sizeof link_final, "%s/latest", out_parent);
    unlink(link_tmp);
    if (symlink(strrchr(dest, '/') + 1, link_tmp) != 0 || rename(link_tmp, link_final) != 0)
        bad("cannot point %s at the run", link_final);
    printf("results: %s\n", dest);
    pin_fini();
    if (failures)
        fprintf(stderr, "locklab-bench: %d run(s) ended in a wrong state (see above)\n", failures);
    return failures ? 1 : 0;
}
