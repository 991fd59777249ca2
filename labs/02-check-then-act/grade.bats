#!/usr/bin/env bats
# Lab 02, check-then-act: the grade. One @test per check of the torture
# driver; points and `catches-broken` (broken.c must fail it every run) are
# Bats tags. grading/grade runs it with LAB_TEST and LAB_TSAN set.
load ../../grading/lib/lab

# bats test_tags=points:4
@test "one thread books until the flight is full, then is refused; a flight of 100000 seats books 100000" {
    lab_check single
}

# bats test_tags=points:6,catches-broken
@test "no overselling: 8 threads x 50 attempts on each of 2 flights of 100 seats book exactly 100, never below 0; 64 threads racing for 40 seats get exactly 40; bookings waiting behind a held one (201 at once) all served" {
    lab_check oversell
}

# bats test_tags=points:6,catches-broken
@test "the last seat goes to exactly one of 8 racing threads, 200 rounds" {
    lab_check last-seat
}

# bats test_tags=points:4,catches-broken,counts-if-correct
@test "ThreadSanitizer finds no data race in flight_book or flight_seats_left (read while others book, also on a sold-out flight)" {
    lab_check_tsan race-free
}
