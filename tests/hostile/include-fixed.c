/* A lab 01 submission that is the reference solution, pulled in by the
 * preprocessor from where it sits beside the lab's header.
 * expect-score: 0
 * expect-reason: does not compile
 * expect-output: fixed.c: No such file or directory
 */
#include "../fixed.c"
