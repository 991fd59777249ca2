#!/usr/bin/env bats
# Lab 18, event loop: the grade. One @test per check of the torture driver;
# points and `catches-broken` (broken.c must fail it every run) are Bats
# tags. A loop that waits for one client while others need it fails its
# check within 0.6 s, an idle timer that does not fire while every client
# is silent within 1.5 s, and a loop that never returns after its clients
# left with answers owed within 3 s; none is waited out.
load ../../grading/lib/lab

# bats test_tags=points:2
@test "one connection: answers in order, a tail without newline ignored, EOF closes; a NULL array is EINVAL; every fd closed also when waiting fails; a signal while the loop waits stops nothing" {
    lab_check single
}

# bats test_tags=points:3
@test "4 clients send 31 lines each in pieces of 1 byte to 8 KiB: every answer intact, in order" {
    lab_check pieces
}

# bats test_tags=points:5,catches-broken
@test "20 clients each pause 5..100 ms mid-request: all served in about the longest pause, not the sum" {
    lab_check stagger
}

# bats test_tags=points:3,catches-broken
@test "one client sits on half a request: the other 19 are served meanwhile" {
    lab_check stuck
}

# bats test_tags=points:2,catches-broken
@test "one client reads none of 1 MiB of answers: the other 19 are served meanwhile; clients that leave with answers owed are closed, and the loop returns" {
    lab_check slow-reader
}

# bats test_tags=points:2,catches-broken
@test "idle timer: a silent client is closed after 0.2 s, also when every client is silent, beside connections never quiet, and one that only reads its answers, also after shutting down; a busy, briefly quiet or trickling one is not" {
    lab_check idle-timeout
}

# bats test_tags=points:2
@test "while no client has anything to say, the loop sleeps (almost no CPU), with an idle timer of 30 s or of 0.8 s, while a half-closed client is slow to take its answers, and after a connection has closed" {
    lab_check sleeps
}

# bats test_tags=points:1,counts-if-correct
@test "ThreadSanitizer: the loop and 4 client threads share no memory unsafely" {
    lab_check_tsan pieces
}
