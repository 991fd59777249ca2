/* hwloc pinning (see pin.h). The topology is loaded once; the two orders
 * (compact and scatter) over the usable PUs are computed once from it, and
 * every plan is then "worker i gets order[i % n]". After loading, the
 * topology is only read, which hwloc allows from many threads at once, and a
 * forked child inherits it with the rest of the parent's memory. */
#define _GNU_SOURCE
#include "pin.h"

#include <errno.h>
#include <hwloc.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

static hwloc_topology_t topo;
static int loaded, synthetic;
static int npu;
static hwloc_obj_t *compact_order, *scatter_order; /* npu PUs each */
static int restricted;                             /* fewer PUs usable than the machine has */

int pin_policy_parse(const char *s, pin_policy_t *out) {
    static const char *const names[] = {"none", "compact", "scatter"};
    for (int i = 0; i < 3; i++)
        if (s != NULL && strcmp(s, names[i]) == 0) {
            *out = (pin_policy_t)i;
            return 0;
        }
    return -1;
}

const char *pin_policy_name(pin_policy_t p) {
    return p == PIN_COMPACT ? "compact" : p == PIN_SCATTER ? "scatter" : "none";
}

/* Scatter order: sort PUs by their position in the tree read from the
 * bottom up (rank among siblings at the PU level first, then at the core
 * level, ... then the package), so consecutive workers differ at the highest
 * level first. */
#define MAX_DEPTH 32
typedef struct {
    hwloc_obj_t pu;
    int depth;
    unsigned rank[MAX_DEPTH]; /* rank[0] at the PU, rank[depth-1] just below the root */
} scatter_key_t;

static int scatter_cmp(const void *a, const void *b) {
    const scatter_key_t *x = a, *y = b;
    for (int i = 0; i < x->depth && i < y->depth; i++)
        if (x->rank[i] != y->rank[i])
            return x->rank[i] < y->rank[i] ? -1 : 1;
    return x->pu->logical_index < y->pu->logical_index ? -1 : 1;
}

static int build_orders(void) {
    hwloc_bitmap_t usable = hwloc_bitmap_dup(hwloc_topology_get_allowed_cpuset(topo));
    if (!synthetic) {
        /* A taskset or an earlier binding narrows what we may use. */
        hwloc_bitmap_t bound = hwloc_bitmap_alloc();
        if (hwloc_get_cpubind(topo, bound, HWLOC_CPUBIND_PROCESS) == 0)
            hwloc_bitmap_and(usable, usable, bound);
        hwloc_bitmap_free(bound);
    }
    int total = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
    compact_order = calloc((size_t)total, sizeof *compact_order);
    scatter_order = calloc((size_t)total, sizeof *scatter_order);
    scatter_key_t *keys = calloc((size_t)total, sizeof *keys);
    if (!compact_order || !scatter_order || !keys) {
        free(keys);
        hwloc_bitmap_free(usable);
        return -1;
    }
    npu = 0;
    for (int i = 0; i < total; i++) {
        hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, (unsigned)i);
        if (!hwloc_bitmap_isset(usable, pu->os_index))
            continue;
        compact_order[npu] = pu;
        scatter_key_t *k = &keys[npu];
        k->pu = pu;
        for (hwloc_obj_t o = pu; o->parent != NULL && k->depth < MAX_DEPTH; o = o->parent)
            k->rank[k->depth++] = o->sibling_rank;
        npu++;
    }
    restricted = npu < total;
    qsort(keys, (size_t)npu, sizeof *keys, scatter_cmp);
    for (int i = 0; i < npu; i++)
        scatter_order[i] = keys[i].pu;
    free(keys);
    hwloc_bitmap_free(usable);
    return npu > 0 ? 0 : -1;
}

static int load(const char *synthetic_desc) {
    if (loaded)
        pin_fini();
    if (hwloc_topology_init(&topo) != 0)
        return -1;
    if (synthetic_desc != NULL && hwloc_topology_set_synthetic(topo, synthetic_desc) != 0) {
        hwloc_topology_destroy(topo);
        return -1;
    }
    if (hwloc_topology_load(topo) != 0) {
        hwloc_topology_destroy(topo);
        return -1;
    }
    loaded = 1;
    synthetic = synthetic_desc != NULL;
    if (build_orders() != 0) {
        pin_fini();
        return -1;
    }
    return 0;
}

int pin_init(void) { return load(NULL); }
int pin_init_synthetic(const char *desc) { return desc ? load(desc) : -1; }

void pin_fini(void) {
    if (!loaded)
        return;
    free(compact_order);
    free(scatter_order);
    compact_order = scatter_order = NULL;
    hwloc_topology_destroy(topo);
    loaded = synthetic = npu = restricted = 0;
}

int pin_pu_count(void) { return npu; }

/* Distinct ancestors of a type among the usable PUs. */
static int count_ancestors(hwloc_obj_type_t type) {
    int n = 0;
    hwloc_obj_t seen[1024];
    for (int i = 0; i < npu; i++) {
        hwloc_obj_t a = hwloc_get_ancestor_obj_by_type(topo, type, compact_order[i]);
        if (a == NULL)
            continue;
        int dup = 0;
        for (int k = 0; k < n && !dup; k++)
            dup = seen[k] == a;
        if (!dup && n < 1024)
            seen[n++] = a;
    }
    return n;
}
int pin_core_count(void) { return loaded ? count_ancestors(HWLOC_OBJ_CORE) : 0; }
int pin_package_count(void) { return loaded ? count_ancestors(HWLOC_OBJ_PACKAGE) : 0; }
int pin_numa_count(void) {
    if (!loaded)
        return 0;
    /* NUMA nodes hang beside the CPU tree in hwloc 2: count those whose
     * PUs include a usable one. */
    int n = 0, total = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
    for (int i = 0; i < total; i++) {
        hwloc_obj_t node = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, (unsigned)i);
        for (int k = 0; k < npu; k++)
            if (hwloc_bitmap_isset(node->cpuset, compact_order[k]->os_index)) {
                n++;
                break;
            }
    }
    return n;
}

static void fill_slot(pin_policy_t p, int worker, pin_slot_t *s) {
    s->worker = worker;
    s->observed_pu = -1;
    s->wrapped = worker >= npu;
    if (p == PIN_NONE) {
        s->pu_os = s->core = s->package = -1;
        s->wrapped = 0;
        return;
    }
    hwloc_obj_t pu = (p == PIN_COMPACT ? compact_order : scatter_order)[worker % npu];
    hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_CORE, pu);
    hwloc_obj_t pack = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_PACKAGE, pu);
    s->pu_os = (int)pu->os_index;
    s->core = core ? (int)core->logical_index : -1;
    s->package = pack ? (int)pack->logical_index : -1;
}

int pin_plan(pin_policy_t p, int nworkers, pin_slot_t *slots) {
    if (!loaded || nworkers < 1 || slots == NULL) {
        errno = EINVAL;
        return -1;
    }
    for (int i = 0; i < nworkers; i++)
        fill_slot(p, i, &slots[i]);
    return 0;
}

static int bind_self(pin_policy_t p, int worker, int nworkers, pin_slot_t *slot, int flags,
                     int fresh_child) {
    if (!loaded || worker < 0 || worker >= nworkers || slot == NULL) {
        errno = EINVAL;
        return -1;
    }
    fill_slot(p, worker, slot);
    if (p == PIN_NONE)
        return 0;
    if (synthetic) {
        errno = ENOTSUP;
        return -1;
    }
    /* No sched_yield() after binding: Linux moves a running thread off a
     * CPU its new mask excludes before sched_setaffinity() returns, and on a
     * busy machine a yield only hands the CPU to someone else's work. */
    if (fresh_child && slot->pu_os < CPU_SETSIZE) {
        /* A just-forked single-threaded child: its one thread is the whole
         * process, and a cpu_set_t on the stack binds it without what
         * hwloc's process binding does here (list /proc/self/task, malloc),
         * each page of it a copy-on-write fault in the child (see
         * README, "What starting a worker process costs"). */
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(slot->pu_os, &set);
        return sched_setaffinity(0, sizeof set, &set);
    }
    hwloc_obj_t pu = hwloc_get_pu_obj_by_os_index(topo, (unsigned)slot->pu_os);
    if (pu == NULL || hwloc_set_cpubind(topo, pu->cpuset, flags | HWLOC_CPUBIND_STRICT) != 0)
        return -1;
    return 0;
}

int pin_thread_self(pin_policy_t p, int worker, int nworkers, pin_slot_t *slot) {
    return bind_self(p, worker, nworkers, slot, HWLOC_CPUBIND_THREAD, 0);
}
int pin_process_self(pin_policy_t p, int worker, int nworkers, pin_slot_t *slot) {
    return bind_self(p, worker, nworkers, slot, HWLOC_CPUBIND_PROCESS, 0);
}
int pin_child_self(pin_policy_t p, int worker, int nworkers, pin_slot_t *slot) {
    return bind_self(p, worker, nworkers, slot, HWLOC_CPUBIND_PROCESS, 1);
}

void pin_slot_observe(pin_slot_t *slot) { slot->observed_pu = sched_getcpu(); }

int pin_plan_write_csv(FILE *f, pin_policy_t p, int nworkers, int header) {
    if (!loaded || nworkers < 1)
        return -1;
    if (header)
        fprintf(f, "policy,workers,worker,pu_os,core,package,wrapped\n");
    for (int i = 0; i < nworkers; i++) {
        pin_slot_t s;
        fill_slot(p, i, &s);
        fprintf(f, "%s,%d,%d,%d,%d,%d,%d\n", pin_policy_name(p), nworkers, i, s.pu_os, s.core,
                s.package, s.wrapped);
    }
    return ferror(f) ? -1 : 0;
}

static void write_cache(FILE *f, const char *key, hwloc_obj_type_t type) {
    hwloc_obj_t o = hwloc_get_obj_by_type(topo, type, 0);
    if (o != NULL && o->attr != NULL)
        fprintf(f, "%s: %llu KiB\n", key, (unsigned long long)o->attr->cache.size / 1024);
}

int pin_topology_write(FILE *f) {
    if (!loaded)
        return -1;
    unsigned v = hwloc_get_api_version();
    fprintf(f, "hwloc api: %u.%u.%u (built against %u.%u.%u)\n", v >> 16, (v >> 8) & 0xff,
            v & 0xff, HWLOC_API_VERSION >> 16, (HWLOC_API_VERSION >> 8) & 0xff,
            HWLOC_API_VERSION & 0xff);
    fprintf(f, "synthetic: %s\n", synthetic ? "yes" : "no");
    fprintf(f, "packages: %d\n", pin_package_count());
    fprintf(f, "numa nodes: %d\n", pin_numa_count());
    fprintf(f, "cores: %d\n", pin_core_count());
    fprintf(f, "pus: %d\n", npu);
    int cores = pin_core_count();
    fprintf(f, "pus per core: %d\n", cores > 0 ? npu / cores : 0);
    write_cache(f, "l1d", HWLOC_OBJ_L1CACHE);
    write_cache(f, "l2", HWLOC_OBJ_L2CACHE);
    write_cache(f, "l3", HWLOC_OBJ_L3CACHE);
    fprintf(f, "pu os indexes:");
    for (int i = 0; i < npu; i++)
        fprintf(f, "%s%u", i ? "," : " ", compact_order[i]->os_index);
    fprintf(f, "\n");
    fprintf(f, "restricted: %s\n", restricted ? "yes (taskset or cgroup)" : "no");
    fprintf(f, "compact order:");
    for (int i = 0; i < npu; i++)
        fprintf(f, "%s%u", i ? "," : " ", compact_order[i]->os_index);
    fprintf(f, "\nscatter order:");
    for (int i = 0; i < npu; i++)
        fprintf(f, "%s%u", i ? "," : " ", scatter_order[i]->os_index);
    fprintf(f, "\n");
    return ferror(f) ? -1 : 0;
}
