#!/usr/bin/env bats
# Lab 16, pools: the grade. One @test per check of the torture driver;
# points and `catches-broken` (broken.c must fail it every run) are Bats
# tags. A pool that stops making progress fails its check within about 1 s.
load ../../grading/lib/lab

# bats test_tags=points:3
@test "one thread: pool_create() never returns NULL, task states, values read after future_done(), tasks start in order (also with one worker of 2 free), idle pools shut down, 10000 submits (also from a task) return at once, nothing left allocated" {
    lab_check single
}

# bats test_tags=points:3,catches-broken
@test "future_get() waits for a running task, a queued task, and 200 fresh ones" {
    lab_check future-waits
}

# bats test_tags=points:4,catches-broken
@test "3000 tasks from 4 threads, got one by one and through pool_map: each runs exactly once, each value right, every future freed (pool_map's own too)" {
    lab_check exactly-once
}

# bats test_tags=points:3,catches-broken
@test "shutdown(wait=1) drains: every queued task runs before it returns" {
    lab_check drain
}

# bats test_tags=points:2
@test "shutdown(wait=0) cancels the queued tasks at once and lets the running one finish" {
    lab_check cancel
}

# bats test_tags=points:2,catches-broken
@test "every waiter wakes: 4 getters on each of 4 futures, 3 on each of 4 cancelled ones; future_free() waits while others finish" {
    lab_check many-waiters
}

# bats test_tags=points:2,catches-broken
@test "a pool of 4 keeps its 4 workers: after bursts of short tasks, 4 tasks that wait for each other run at once" {
    lab_check workers-stay
}

# bats test_tags=points:2
@test "idle workers, and a future_get() waiting behind a slow task, burn (almost) no CPU" {
    lab_check idle
}

# bats test_tags=points:3
@test "process pool: ppool_map computes 10000 items on 4 processes, and 8 small maps, each once, results exact, a dead worker reported (ECHILD), the caller's own child left to it, signals to the caller cut nothing short, no child or descriptor left, also when a fork fails" {
    lab_check process-map
}

# bats test_tags=points:3,catches-broken,counts-if-correct
@test "ThreadSanitizer finds no data race in submit, get, map, drain and cancel" {
    lab_check_tsan race-free
}
