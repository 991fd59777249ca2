#!/usr/bin/env bats
# Lab 01, race counter: what the grade is made of. One @test per check of the
# torture driver, its points in a Bats tag. grading/grade runs this file with
# LAB_TEST and LAB_TSAN naming the submission's two builds.
load ../../grading/lib/lab

# bats test_tags=points:4
@test "one thread counts exactly; two counters stay independent" {
    lab_check single
}

# bats test_tags=points:6,catches-broken
@test "no increment lost: 4 threads x 1500 with the race window stretched" {
    lab_check lost-updates
}

# bats test_tags=points:4,catches-broken
@test "no increment lost: 96 threads add to 2 counters at once, 150 times each" {
    lab_check crowd
}

# bats test_tags=points:6,catches-broken,counts-if-correct
@test "ThreadSanitizer finds no data race in counter_inc or counter_get" {
    lab_check_tsan race-free
}
