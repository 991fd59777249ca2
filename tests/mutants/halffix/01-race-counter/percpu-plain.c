/* Wrong: a per-CPU counter (the kernel's percpu idea): one padded slot per
 * CPU, picked with sched_getcpu() and updated with a plain read-add-write,
 * because "only one thread runs on a CPU at a time". A thread preempted
 * between its read and its write (another then runs on that CPU and adds to
 * the same slot), or moved to another CPU after sched_getcpu() returned,
 * shares its slot with another: increments are lost, against counter.h's
 * "no increment may ever be lost", and the slots are read and written with
 * no synchronisation (README: "calls from many threads are free of data
 * races"). lost-updates (4 threads, the window stretched) and crowd (96
 * threads on 2 CPUs) lose thousands of increments every run; race-free's
 * ThreadSanitizer run reports the unlocked slot. */
#define _GNU_SOURCE
#include "counter.h"

#include <sched.h>
#include <stdlib.h>

#include "lab.h"

#define CPUS 64
#define CACHE_LINE 64

struct slot {
    _Alignas(CACHE_LINE) long value;
};

struct counter {
    struct slot slot[CPUS];
};

counter_t *counter_create(void) {
    counter_t *c = lab_aligned_alloc(CACHE_LINE, sizeof *c);
    for (int i = 0; i < CPUS; i++)
        c->slot[i].value = 0;
    return c;
}

void counter_inc(counter_t *c) {
    int cpu = sched_getcpu();
    if (cpu < 0)
        cpu = 0;
    struct slot *s = &c->slot[cpu % CPUS];
    long v = s->value; /* nobody else runs on this CPU right now... */
    lab_pause();
    s->value = v + 1;
}

long counter_get(counter_t *c) {
    long sum = 0;
    for (int i = 0; i < CPUS; i++)
        sum += __atomic_load_n(&c->slot[i].value, __ATOMIC_RELAXED);
    return sum;
}

void counter_destroy(counter_t *c) { free(c); }
