#!/usr/bin/env bats
# Lab 14, shared memory: the grade. One @test per check of the torture
# driver; points and `catches-broken` (broken.c must fail it every run) are
# Bats tags. Worker processes that all sleep with no add finishing fail
# their check within a second, with a reason.
load ../../grading/lib/lab

# bats test_tags=points:3
@test "one process: create, add, update, get; two values stay apart; values past 32 bits; destroy unmaps; create aborts when it cannot map" {
    lab_check single
}

# bats test_tags=points:2
@test "the value is shared: a forked child's changes reach the parent and back, also one forked while a thread is inside update()" {
    lab_check fork
}

# bats test_tags=points:6,catches-broken
@test "5 processes x 1000 adds on one value, the window stretched: none lost, each update returns what it stored; a slow holder keeps the lock" {
    lab_check processes
}

# bats test_tags=points:5,catches-broken
@test "a process killed holding the lock: the 4 waiting for it finish, the count exact, the lock still excludes, and add, update and get each survive being first after a death; a death inside add() undoes no add" {
    lab_check holder-killed
}

# bats test_tags=points:2,catches-broken
@test "4 threads x 2500 adds on the same value, the window stretched: none lost, each update returns what it stored" {
    lab_check threads
}

# bats test_tags=points:2,catches-broken,counts-if-correct
@test "ThreadSanitizer finds no data race in add, update and get" {
    lab_check_tsan race-free
}
