#!/usr/bin/env bats
# Lab 10, thread-local: the grade. One @test per check of the torture
# driver; points and `catches-broken` (broken.c must fail it every run) are
# Bats tags.
load ../../grading/lib/lab

# bats test_tags=points:3
@test "one thread: set, look up and greet names of every length; the session keeps its own copy, within the memory it allocated" {
    lab_check single
}

# bats test_tags=points:3,catches-broken
@test "a new thread starts with no user, and setting one changes no other thread's" {
    lab_check fresh-thread
}

# bats test_tags=points:5,catches-broken
@test "isolation: 8 threads x 300 rounds of set, pause, read back see only their own user" {
    lab_check isolation
}

# bats test_tags=points:5,catches-broken
@test "a session per thread from its first use until it exits, logged out or not, freed with every name it copied (48 rounds of 32, counted by the driver); threads that live on keep theirs" {
    lab_check freed
}

# bats test_tags=points:4,catches-broken,counts-if-correct
@test "ThreadSanitizer finds no data race in set, look-up and greeting" {
    lab_check_tsan race-free
}
