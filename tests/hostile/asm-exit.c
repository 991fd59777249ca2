/* A lab 01 submission that ends the program with status 0 through a system
 * call of its own in inline assembly, past every function of the C library
 * a grader could replace or refuse. It counts nothing.
 * The inspection refuses inline assembly. Without it the program still
 * ends before the driver's verdict, so no pass token follows the status 0.
 * expect-score: 0
 * expect-reason: refused before anything ran
 * expect-output: refused: has inline assembly
 * uninspected-score: 0
 * uninspected-reason: ended \(status 0\) before the check finished
 */
#include "counter.h"

#include <stdlib.h>

counter_t *counter_create(void) { return calloc(1, 64); }
void counter_inc(counter_t *c) {
    (void)c;
#if defined(__x86_64__)
    __asm__ volatile("mov $231, %%eax\n\txor %%edi, %%edi\n\tsyscall" ::: "rax", "rdi", "rcx", "r11", "memory");
#elif defined(__aarch64__)
    __asm__ volatile("mov x8, #94\n\tmov x0, #0\n\tsvc #0" ::: "x0", "x8", "memory");
#endif
}
long counter_get(counter_t *c) { return *(long *)c; }
void counter_destroy(counter_t *c) { free(c); }
