/* Tests of harness/pin.c, driven by tests/pin.bats.
 *
 *   test_pin threads POLICY N     N threads pin themselves and report where they ran
 *   test_pin procs POLICY N       the same with N forked processes
 *   test_pin plan SYNTH POLICY N  the plan on a synthetic topology ("pack:2 core:2 pu:2")
 *   test_pin topology [SYNTH]     the topology summary (of a synthetic one)
 *
 * threads/procs print "worker,planned_pu,observed_pu,wrapped" rows and exit 0
 * only if, under compact or scatter, every worker ran on its planned PU.
 *   $ test_pin threads compact 3
 *   worker,planned_pu,observed_pu,wrapped
 *   0,0,0,0
 *   1,1,1,0
 *   2,0,0,1
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pin.h"

static pin_policy_t policy;
static int nworkers;
static pthread_barrier_t gate;

__attribute__((noreturn)) static void usage(const char *why) {
    fprintf(stderr, "test_pin: %s\n", why);
    exit(2);
}

static int parse_n(const char *s) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > 256)
        usage("N wants a whole number from 1 to 256");
    return (int)v;
}

/* Busy work long enough that the scheduler has had every chance to move us. */
static void spin(void) {
    volatile unsigned long x = 0;
    for (unsigned long i = 0; i < 20000000UL; i++)
        x += i;
}

static pin_slot_t *slots;

static void *thread_main(void *arg) {
    int w = (int)(long)arg;
    int rc = pthread_barrier_wait(&gate);
    if (rc != 0 && rc != PTHREAD_BARRIER_SERIAL_THREAD)
        abort();
    if (pin_thread_self(policy, w, nworkers, &slots[w]) != 0) {
        perror("pin_thread_self");
        exit(1);
    }
    spin();
    pin_slot_observe(&slots[w]);
    return NULL;
}

static int report(void) {
    int bad = 0;
    printf("worker,planned_pu,observed_pu,wrapped\n");
    for (int i = 0; i < nworkers; i++) {
        printf("%d,%d,%d,%d\n", slots[i].worker, slots[i].pu_os, slots[i].observed_pu,
               slots[i].wrapped);
        if (slots[i].observed_pu < 0 || (policy != PIN_NONE && slots[i].observed_pu != slots[i].pu_os))
            bad = 1;
    }
    return bad;
}

static int run_threads(void) {
    pthread_t *t = calloc((size_t)nworkers, sizeof *t);
    if (!t || pthread_barrier_init(&gate, NULL, (unsigned)nworkers) != 0)
        usage("out of memory");
    for (long i = 0; i < nworkers; i++)
        if (pthread_create(&t[i], NULL, thread_main, (void *)i) != 0)
            usage("cannot create a thread");
    for (int i = 0; i < nworkers; i++)
        pthread_join(t[i], NULL);
    free(t);
    return report();
}

/* Each child pins itself, works, and writes its slot back through a pipe;
 * the parent stays single-threaded throughout. */
static int run_procs(void) {
    int fds[2];
    if (pipe(fds) != 0)
        usage("cannot make a pipe");
    for (int i = 0; i < nworkers; i++) {
        pid_t pid = fork();
        if (pid < 0)
            usage("cannot fork");
        if (pid == 0) {
            close(fds[0]);
            pin_slot_t s;
            if (pin_process_self(policy, i, nworkers, &s) != 0)
                _exit(1);
            spin();
            pin_slot_observe(&s);
            _exit(write(fds[1], &s, sizeof s) == (ssize_t)sizeof s ? 0 : 1);
        }
    }
    close(fds[1]);
    int got = 0;
    pin_slot_t s;
    while (read(fds[0], &s, sizeof s) == (ssize_t)sizeof s)
        if (s.worker >= 0 && s.worker < nworkers) {
            slots[s.worker] = s;
            got++;
        }
    int failed = 0, status;
    while (wait(&status) > 0)
        failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    if (failed || got != nworkers) {
        fprintf(stderr, "test_pin: %d of %d workers reported\n", got, nworkers);
        return 1;
    }
    return report();
}

int main(int argc, char **argv) {
    if ((argc == 2 || argc == 3) && strcmp(argv[1], "topology") == 0) {
        if ((argc == 3 ? pin_init_synthetic(argv[2]) : pin_init()) != 0)
            usage("hwloc could not load the topology");
        return pin_topology_write(stdout) == 0 ? 0 : 1;
    }
    if (argc == 5 && strcmp(argv[1], "plan") == 0) {
        if (pin_policy_parse(argv[3], &policy) != 0)
            usage("policy wants none, compact or scatter");
        nworkers = parse_n(argv[4]);
        if (pin_init_synthetic(argv[2]) != 0)
            usage("hwloc refused that synthetic topology");
        pin_slot_t s;
        if (pin_thread_self(policy, 0, nworkers, &s) == 0 && policy != PIN_NONE)
            usage("binding on a synthetic topology should have been refused");
        return pin_plan_write_csv(stdout, policy, nworkers, 1) == 0 ? 0 : 1;
    }
    if (argc != 4 || (strcmp(argv[1], "threads") != 0 && strcmp(argv[1], "procs") != 0))
        usage("usage: test_pin threads|procs POLICY N | plan SYNTH POLICY N | topology [SYNTH]");
    if (pin_policy_parse(argv[2], &policy) != 0)
        usage("policy wants none, compact or scatter");
    nworkers = parse_n(argv[3]);
    if (pin_init() != 0)
        usage("hwloc could not load the topology");
    slots = calloc((size_t)nworkers, sizeof *slots);
    if (!slots)
        usage("out of memory");
    int rc = strcmp(argv[1], "threads") == 0 ? run_threads() : run_procs();
    pin_fini();
    free(slots);
    return rc;
}
