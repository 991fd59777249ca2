/* Lab 13, once-init: the API of a lazily built singleton, the program's
 * configuration: built on the first call to config_get(), by exactly one
 * thread, and shared read-only by every thread after that. broken.c,
 * fixed.c, alt-*.c and student.c all include this header.
 *
 * Building it is slow (it stands for reading and parsing a file), and
 * config_fill() below, the one builder every implementation uses, says so
 * with a lab_pause() after each field it writes. */
#ifndef LOCKLAB_CONFIG_H
#define LOCKLAB_CONFIG_H

#include <string.h>

#include "lab.h"

#define CONFIG_VERSION 13
#define CONFIG_NAME "locklab"
#define CONFIG_WORKERS 8
#define CONFIG_PRIMES 16

typedef struct {
    int version;               /* CONFIG_VERSION */
    char name[16];             /* CONFIG_NAME */
    int workers;               /* CONFIG_WORKERS */
    int primes[CONFIG_PRIMES]; /* the first CONFIG_PRIMES primes: 2, 3, 5, ... */
    unsigned checksum;         /* config_checksum() of the fields above */
} config_t;

/* The configuration, built on the first call (by one thread, however many
 * call at once) and the same fully built object for every call after. Never
 * NULL. Read-only for callers. */
const config_t *config_get(void);

/* How many times a configuration has been built since the program started
 * (or since the last config_reset_for_test()). Exactly 1 after any number
 * of config_get() calls. The grader does not take this number on trust: it
 * counts the calls of config_fill() itself (config_fill_seen() below), and
 * the two must agree. */
long config_builds(void);

/* For tests only: forget (and free) the configuration, so that the next
 * config_get() builds it again, and set config_builds() to 0. Call it only
 * while no thread is inside config_get() or still using the old object,
 * and start the threads that will call config_get() next after it (or
 * hand them the news through a lock). */
void config_reset_for_test(void);

/* A checksum over every field but itself. */
static inline unsigned config_checksum(const config_t *c) {
    unsigned h = 2166136261u; /* FNV-1a over the values, not the padding */
    const int ints[] = {c->version, c->workers};
    for (int i = 0; i < 2; i++)
        h = (h ^ (unsigned)ints[i]) * 16777619u;
    for (size_t i = 0; i < sizeof c->name; i++)
        h = (h ^ (unsigned char)c->name[i]) * 16777619u;
    for (int i = 0; i < CONFIG_PRIMES; i++)
        h = (h ^ (unsigned)c->primes[i]) * 16777619u;
    return h;
}

/* Defined by the test driver, which counts builds with it; absent (NULL)
 * elsewhere. An implementation never calls or defines it. */
extern void config_fill_seen(void) __attribute__((weak));
/* The same for the end of a build, in the thread that built it: from here
 * until its config_get() returns, the driver lets other callers in whenever
 * that thread is held up (by the grader's perturbation), to see what the
 * fast path hands out while the object is being published. */
extern void config_fill_done(void) __attribute__((weak));

/* The builder: fills a zeroed config_t field by field, slowly; the
 * checksum goes last. Every implementation builds the configuration with
 * it, and only with it: the driver counts builds by its calls. It does not
 * count for config_builds(): the caller does. */
static inline void config_fill(config_t *c) {
    if (config_fill_seen != NULL)
        config_fill_seen();
    c->version = CONFIG_VERSION;
    lab_pause();
    strncpy(c->name, CONFIG_NAME, sizeof c->name - 1);
    lab_pause();
    c->workers = CONFIG_WORKERS;
    lab_pause();
    int found = 0;
    for (int n = 2; found < CONFIG_PRIMES; n++) {
        int prime = 1;
        for (int d = 2; d * d <= n; d++)
            prime &= n % d != 0;
        if (prime) {
            c->primes[found++] = n;
            lab_pause();
        }
    }
    c->checksum = config_checksum(c);
    if (config_fill_done != NULL)
        config_fill_done();
}

#endif
