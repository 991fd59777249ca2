/* A lab 01 submission that prints 100 MB before it does anything else. The
 * file-size limit ends it long before the disk or the report fills.
 * expect-score: 0
 * expect-reason: wrote more output than the 1 MiB allowed
 */
#include "counter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

counter_t *counter_create(void) {
    static char line[1000];
    memset(line, 'x', sizeof line - 1);
    for (int i = 0; i < 100 * 1000; i++)
        puts(line);
    return calloc(1, 64);
}
void counter_inc(counter_t *c) { ++*(long *)c; }
long counter_get(counter_t *c) { return *(long *)c; }
void counter_destroy(counter_t *c) { free(c); }
