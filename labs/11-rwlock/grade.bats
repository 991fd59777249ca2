#!/usr/bin/env bats
# Lab 11, reader-writer lock: the grade. One @test per check of the torture
# driver; points and `catches-broken` (broken.c must fail it every run) are
# Bats tags. A writer that readers keep out fails its check after 1 s.
load ../../grading/lib/lab

# bats test_tags=points:2
@test "one thread: read, write, write, read, 1000 times, nothing blocks" {
    lab_check single
}

# bats test_tags=points:3
@test "readers overlap: 4, then 300 readers hold the read lock at once, a writer stays out of 256, readers asleep behind a writer are woken when it leaves, a writer waiting for one lock holds back nobody on another, and a held lock stays held however many locks are created after it" {
    lab_check overlap
}

# bats test_tags=points:5
@test "6 threads x 1000 sections, 1 in 4 a write: never a reader with a writer, never two writers" {
    lab_check exclusion
}

# bats test_tags=points:6,catches-broken
@test "no starvation: 3 writers x 3 requests each get in within 1 s while 4 readers keep the read lock in turns" {
    lab_check starvation
}

# bats test_tags=points:4,counts-if-correct
@test "ThreadSanitizer finds no data race in reads and writes of a shared table" {
    lab_check_tsan race-free
}

# A performance check (grading/lib/lab.bash, lab_perf): with reads only,
# the point of a reader-writer lock is that readers overlap; the
# submission's bench against fixed.c's, in the same run.
# bats test_tags=points:4,perf
@test "speed: reads only, 2 threads, at least half the reference's throughput" {
    lab_perf read100 2 0.5
}
