#!/usr/bin/env bats
# Lab 09, barrier: the grade. One @test per check of the torture driver;
# points and `catches-broken` (broken.c must fail it every run) are Bats
# tags. A barrier that never opens again fails its check within 1 s.
load ../../grading/lib/lab

# bats test_tags=points:3
@test "a barrier for one thread never blocks and is always serial; 1100 barriers made and destroyed in turn" {
    lab_check single
}

# bats test_tags=points:6,catches-broken
@test "3 tours at once (3, 5 and 2 threads), each at 2 barriers, 2000 rounds: nobody leaves a round before all have arrived, not even at a barrier made after another was destroyed, nor when 160 new threads join two that stay, nor when one is 1.6 s late and signals interrupt the waits, nor at a barrier for 257 or 65537; no hang" {
    lab_check rounds
}

# bats test_tags=points:5,catches-broken
@test "3 tours at once (3, 5 and 2 threads), each at 2 barriers, 2000 rounds: exactly one serial thread per round, 1 there and 0 elsewhere" {
    lab_check serial
}

# bats test_tags=points:6,catches-broken,counts-if-correct
@test "ThreadSanitizer: the barrier orders writes before it and reads after it; barriers made and destroyed by 4 threads at once share nothing" {
    lab_check_tsan race-free
}
