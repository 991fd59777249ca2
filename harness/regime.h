/* How workers run a workload: the regimes of the course's central table.
 *
 * regime_run() performs one complete, timed run: it sets up the workload,
 * starts p->workers workers (threads released together by a gate, or forked
 * processes), pins them, waits for all, folds their results together and
 * verifies the final state. Under REGIME_GIL every worker holds the one
 * global lock (labs/17-gil's implementation) while it works, checks it
 * between batches, and releases it around blocking calls.
 */
#ifndef LOCKLAB_REGIME_H
#define LOCKLAB_REGIME_H

#include "pin.h"
#include "workload.h"

typedef struct {
    double seconds;       /* wall time: first worker's start to last one's end (threads),
                             first fork to last result (processes) */
    long long ops;        /* operations done, all workers */
    long lost_updates;    /* from verify: 0 exact, > 0 lost */
    int wrong;            /* verify said the state is wrong in another way */
    char why[200];        /* verify's reason when not exact */
    long nlat;            /* latency samples, all workers */
    double lat_p50, lat_p99, lat_max; /* seconds; 0 without samples */
    int wrapped;          /* workers that share a PU */
    int max_holders;      /* most GIL holders seen at once (1 is right; 0 unless check_gil) */
    unsigned long gil_switches, gil_drop_requests, gil_forced_drops;
} regime_result_t;

/* One run. 0, or -1 with a line on stderr (the workload refuses the regime,
 * a thread or process could not start, a child failed). */
int regime_run(const workload_t *wl, const wl_params_t *p, pin_policy_t pin, regime_result_t *out);

#endif
