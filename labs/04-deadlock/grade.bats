#!/usr/bin/env bats
# Lab 04, deadlock: the grade. One @test per check of the torture driver;
# points and `catches-broken` (broken.c must fail it every run) are Bats
# tags. A hang fails its check within 1 s with a named reason.
load ../../grading/lib/lab

# bats test_tags=points:2
@test "one thread: money moves both ways between any two accounts, ids 0 to INT_MAX, 1100 accounts open at once" {
    lab_check single
}

# bats test_tags=points:3,catches-broken
@test "a transfer from an account to itself returns and changes nothing" {
    lab_check self
}

# bats test_tags=points:5,catches-broken
@test "no deadlock, no transfer lost: 8 threads transfer a->b and b->a at once, also with their locks in lock step while other accounts are opened and signals arrive" {
    lab_check opposite
}

# bats test_tags=points:5,catches-broken
@test "no deadlock, no transfer lost: 8 threads x 500 random transfers among 5 accounts with ids 0 to 4, then x 1000 with ids 0 to 2^30" {
    lab_check random
}

# bats test_tags=points:3
@test "every transfer is one step: readers never see money in neither or both accounts" {
    lab_check in-flight
}

# TSan's lock-order report is off: it flags locks taken in both orders even
# under one outer lock that makes them safe (a correct design); the two
# no-deadlock checks above provoke a real cycle instead. broken.c hangs here
# all the same, on its movers' transfers from an account to itself.
# bats test_tags=points:2,catches-broken,counts-if-correct
@test "ThreadSanitizer finds no data race while threads transfer, also from an account to itself, and read balances" {
    LAB_TSAN_EXTRA=detect_deadlocks=0 lab_check_tsan race-free
}
