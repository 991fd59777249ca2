#!/usr/bin/env bats
# Lab 03, bank account: the grade. One @test per check of the torture
# driver; points and `catches-broken` (broken.c must fail it every run) are
# Bats tags. grading/grade runs it with LAB_TEST and LAB_TSAN set.
load ../../grading/lib/lab

# bats test_tags=points:4
@test "one thread: deposits add, withdrawals subtract, an overdraft is refused, balances past 2^32 and 2^53 exact" {
    lab_check single
}

# bats test_tags=points:6,catches-broken
@test "money is conserved and no covered withdrawal refused: 8 threads x 400 random deposits and withdrawals on 4 accounts and a reserve; a withdrawal waiting on a held deposit is paid, and one of a deposit another thread just made" {
    lab_check conserved
}

# bats test_tags=points:6,catches-broken
@test "no overdraft: of 8 threads withdrawing 60 from 100, exactly one is paid, 200 rounds" {
    lab_check no-overdraw
}

# bats test_tags=points:4,catches-broken,counts-if-correct
@test "ThreadSanitizer finds no data race in the account functions" {
    lab_check_tsan race-free
}
