#!/usr/bin/env bats
# Lab 17, the GIL: the grade. One @test per check of the torture driver;
# points and `catches-broken` (broken.c must fail it every run) are Bats
# tags. A GIL that deadlocks fails its check within 2 s, with that reason.
load ../../grading/lib/lab

# bats test_tags=points:3
@test "one thread: acquire, check and release; a waiter sleeps, also through many intervals, asks only after its interval, and a release lets it in; a request answered by a release is counted, then gone, and drops no other GIL" {
    lab_check single
}

# bats test_tags=points:2,catches-broken
@test "a checkpoint nobody asked for takes no lock: 10000 checks alone, 1000 beside a thread waiting within its interval" {
    lab_check cheap-check
}

# bats test_tags=points:4
@test "never two holders: 4 threads take turns with pauses inside, a 100 us interval" {
    lab_check exclusion
}

# bats test_tags=points:5,catches-broken
@test "a forced drop wakes the waiter that asked; two CPU-bound threads on two CPUs: a waiting thread gets the GIL within 4 switch intervals" {
    lab_check fairness
}

# bats test_tags=points:5,catches-broken
@test "an I/O thread gets the GIL back within 4 switch intervals of a CPU-bound thread's work" {
    lab_check io-latency
}

# bats test_tags=points:3,counts-if-correct
@test "ThreadSanitizer finds no data race in state shared under the GIL" {
    lab_check_tsan race-free
}
