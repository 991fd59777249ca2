#!/usr/bin/env bats
# Lab 08, event: the grade. One @test per check of the torture driver;
# points and `catches-broken` (broken.c must fail it every run) are Bats
# tags. A waiter that never wakes fails its check within 1 s.
load ../../grading/lib/lab

# bats test_tags=points:3
@test "one thread: set, clear, a wait on a set event returns at once; two events apart" {
    lab_check single
}

# bats test_tags=points:2
@test "wait(0.2) on an unset event returns 0 after about 0.2 s, also while the event is set and cleared meanwhile" {
    lab_check timeout
}

# bats test_tags=points:3
@test "wait(0.2) still times out after 0.2 s when the wall clock jumps an hour either way" {
    lab_check clock-jump
}

# bats test_tags=points:3
@test "16 waiters asleep on one event all wake when it is set, whatever their negative or long timeout, after waits that timed out or a set cleared before they woke" {
    lab_check many-waiters
}

# bats test_tags=points:4,catches-broken
@test "no lost wakeup: 500 rounds of 4 waiters racing one set(), every waiter wakes; no lost set: is_set() says 1 to pollers of a set event and after one's own set()" {
    lab_check lost-wakeup
}

# bats test_tags=points:2
@test "a waiting thread sleeps: running or waiting for a CPU under a quarter of the wait; 16 waiters use under 10 ms of CPU together" {
    lab_check idle
}

# bats test_tags=points:3,catches-broken,counts-if-correct
@test "ThreadSanitizer finds no data race in set, clear, is_set and wait, and what was written before set() is seen by whoever sees the event set" {
    lab_check_tsan race-free
}
