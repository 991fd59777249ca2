#!/usr/bin/env bats
# Lab 05, reentrant lock: the grade. One @test per check of the torture
# driver; points and `catches-broken` (broken.c must fail it every run) are
# Bats tags. An owner blocked on its own lock fails its check within 1 s.
load ../../grading/lib/lab

# bats test_tags=points:3
@test "one thread: acquire and release, 1000 times at depth 1" {
    lab_check single
}

# bats test_tags=points:4,catches-broken
@test "the owner acquires to depth 100 000 and releases 100 000 times" {
    lab_check nested
}

# bats test_tags=points:4,catches-broken
@test "mutual exclusion: 4 threads x 2000 sections nested 1-3 deep, one inside at a time" {
    lab_check exclusion
}

# bats test_tags=points:3,catches-broken
@test "releases by threads that do not hold the lock (strangers and former owners) are refused with EPERM, free or at any depth" {
    lab_check non-owner
}

# bats test_tags=points:3,catches-broken
@test "the lock passes to a waiter only after the owner's last release, however long, through signals and a stepped clock" {
    lab_check handoff
}

# bats test_tags=points:3,catches-broken
@test "several locks held at once by one thread (40 too), nested in any order: each keeps its own owner and depth" {
    lab_check several
}

# bats test_tags=points:3,counts-if-correct
@test "ThreadSanitizer finds no data race in the lock or the sections it guards" {
    LAB_TSAN_EXTRA=report_mutex_bugs=0 lab_check_tsan race-free
}
