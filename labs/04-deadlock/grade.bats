#!/usr/bin/env bats
# Lab 04, deadlock: the grade. One @test per check of the torture driver;
# points and `catches-broken` (broken.c must fail it every run) are Bats
# tags. A hang fails its check within 1 s with a named reason.
load ../../grading/lib/lab

# bats test_tags=points:2
@test "one thread: money moves both ways and the total is kept" {
    lab_check single
}

# bats test_tags=points:3,catches-broken
@test "a transfer from an account to itself returns and changes nothing" {
    lab_check self
}

# bats test_tags=points:5,catches-broken
@test "no deadlock: 4 threads transfer a->b and b->a at once, 2000 times each" {
    lab_check opposite
}

# bats test_tags=points:5,catches-broken
@test "no deadlock: 8 threads x 1000 random transfers among 5 accounts, total kept" {
    lab_check random
}

# bats test_tags=points:5,catches-broken
@test "ThreadSanitizer finds no lock-order inversion (and no race) in account_transfer" {
    lab_check_tsan lock-order
}
