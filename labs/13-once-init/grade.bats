#!/usr/bin/env bats
# Lab 13, once-init: the grade. One @test per check of the torture driver;
# points and `catches-broken` (broken.c must fail it every run) are Bats
# tags. builds-once does not catch broken.c (its lock does make the build
# run once); it catches the other classic, check-then-create with no lock.
# builds-once and fully-built also step one build instruction by
# instruction and look at every moment of its publication from a copy of
# the program (test.c: "every moment of the publication"); single steps one
# call after the first the same way (a second caller it holds up is a lock)
# and one reset (its frees noted); it also counts the locks of threads
# started after the first call, and resets twice in a row in a copy.
load ../../grading/lib/lab

# bats test_tags=points:3
@test "one thread, then new ones: built once, complete, the same object every call, no lock after the first in any thread, and a reset frees it, also twice in a row" {
    lab_check single
}

# bats test_tags=points:5
@test "builds once: 50 rounds of 8 threads racing the first call, one build and one object each, never NULL" {
    lab_check builds-once
}

# bats test_tags=points:6,catches-broken
@test "fully built: 50 rounds of 8 racing threads and every moment of one publication, each caller checks every field of what it got" {
    lab_check fully-built
}

# bats test_tags=points:6,catches-broken,counts-if-correct
@test "ThreadSanitizer finds no data race in config_get(), config_builds() and the reads of the config" {
    lab_check_tsan race-free
}
