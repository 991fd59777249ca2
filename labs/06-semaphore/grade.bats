#!/usr/bin/env bats
# Lab 06, semaphore: the grade. One @test per check of the torture driver;
# points and `catches-broken` (broken.c must fail it every run) are Bats
# tags. A user that never gets a connection fails its check after 1 s.
load ../../grading/lib/lab

# bats test_tags=points:4
@test "one user, pools of 1, 3, 40, 100 and 1000: every connection once, given back and taken again, and every block freed" {
    lab_check single
}

# bats test_tags=points:5,catches-broken
@test "2 pools at once: at most 3 of the 10 users of a pool hold a connection at once, and every request is served, also with 100 users in line or two pools' users waiting; every block freed" {
    lab_check at-most
}

# bats test_tags=points:4,catches-broken
@test "2 pools at once: no connection is ever held by two users at once" {
    lab_check no-double
}

# bats test_tags=points:3,catches-broken
@test "users waiting 2.5 s for a full pool sleep until it comes back: running or waiting for a CPU under 20 ms of the wait, also one whose clocks read an hour behind as it began" {
    lab_check idle-wait
}

# bats test_tags=points:3
@test "a user waiting for a full pool keeps waiting through signals, and gets the connection given back" {
    lab_check interrupted
}

# bats test_tags=points:4,catches-broken,counts-if-correct
@test "ThreadSanitizer finds no data race in the pool, nor a connection handed on unordered" {
    lab_check_tsan race-free
}
