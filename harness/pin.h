/* Where the harness's workers run: hwloc pinning for threads and for forked
 * processes, and a record of it.
 *
 * A plan gives worker i one PU (hardware thread). `compact` fills PUs in
 * topology order (both hardware threads of a core, then the next core, then
 * the next package); `scatter` spreads workers as far apart as it can (one
 * per package first, then one per core, hardware-thread siblings last);
 * `none` binds nothing. Only the PUs this process may run on count (a
 * `taskset` or cgroup limit is respected). With more workers than PUs, worker
 * i shares the PU of worker i % PUs, and its slot says so (`wrapped`).
 */
#ifndef LOCKLAB_PIN_H
#define LOCKLAB_PIN_H

#include <stdio.h>

typedef enum { PIN_NONE, PIN_COMPACT, PIN_SCATTER } pin_policy_t;

typedef struct {
    int worker;      /* 0 .. nworkers-1 */
    int pu_os;       /* OS index of the PU (as sched_getcpu() says it); -1 for none */
    int core;        /* logical index of its core; -1 for none or unknown */
    int package;     /* logical index of its package; -1 for none or unknown */
    int wrapped;     /* 1 when worker >= the PU count: it shares a PU */
    int observed_pu; /* where the worker really ran (pin_slot_observe); -1 until then */
} pin_slot_t;

int pin_policy_parse(const char *s, pin_policy_t *out); /* "none"/"compact"/"scatter": 0, else -1 */
const char *pin_policy_name(pin_policy_t p);            /* the name pin_policy_parse takes */

int pin_init(void);                         /* load this machine's topology: 0, or -1 */
int pin_init_synthetic(const char *desc);   /* a made-up one, e.g. "pack:2 core:2 pu:2" (plans only) */
void pin_fini(void);                        /* free the topology */
int pin_pu_count(void);                     /* PUs this process may use */
int pin_core_count(void);                   /* cores holding those PUs */
int pin_package_count(void);                /* packages holding those PUs */
int pin_numa_count(void);                   /* NUMA nodes local to those PUs */

/* Fill slots[0..nworkers-1] for policy p. 0, or -1 (not initialised, n < 1). */
int pin_plan(pin_policy_t p, int nworkers, pin_slot_t *slots);
/* Bind the calling thread / process to worker's PU in the plan for nworkers,
 * and fill *slot. 0, or -1 with errno (ENOTSUP on a synthetic topology). */
int pin_thread_self(pin_policy_t p, int worker, int nworkers, pin_slot_t *slot);
int pin_process_self(pin_policy_t p, int worker, int nworkers, pin_slot_t *slot);
/* The same for a child just forked from this process and still single-
 * threaded: binds without allocating or reading /proc, so it touches (and
 * copies) no page of the parent's heap. Either way the caller is already on
 * its PU when the call returns. */
int pin_child_self(pin_policy_t p, int worker, int nworkers, pin_slot_t *slot);
/* Record where the caller runs right now (sched_getcpu) into slot->observed_pu. */
void pin_slot_observe(pin_slot_t *slot);

/* The plan as CSV: "policy,workers,worker,pu_os,core,package,wrapped"
 * (the header line only when header is non-zero). 0, or -1. */
int pin_plan_write_csv(FILE *f, pin_policy_t p, int nworkers, int header);
/* A summary of the machine as "key: value" lines. 0, or -1. */
int pin_topology_write(FILE *f);

#endif
