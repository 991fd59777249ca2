#!/usr/bin/env bats
# Lab 12, LRU cache: the grade. One @test per check of the torture driver;
# points and `catches-broken` (broken.c must fail it every run) are Bats
# tags. A cache that crashes fails its check with the signal's name; one
# that loops forever in a cycle fails it within seconds (stall watchdog).
load ../../grading/lib/lab

# bats test_tags=points:4
@test "exact LRU order on a cache of 8 and of every capacity below 32, checked against a model at every step, with any 64-bit key and value, also for a get that waits for another thread's lock" {
    lab_check lru-order
}

# bats test_tags=points:3
@test "one thread: a cache of 1024 keeps the newest keys, evicts the oldest, and a get keeps an entry; no cache holds more than its capacity, any 16 keys fit in a new one, and calls cost the same whatever the keys and however large the cache" {
    lab_check eviction
}

# bats test_tags=points:8,catches-broken
@test "8 rounds of 4 threads x 500 gets and puts with pauses, then 16 of all 4 putting the same new keys: every hit right, size <= capacity, no key twice, map and list agree" {
    lab_check stress
}

# bats test_tags=points:5,catches-broken,counts-if-correct
@test "ThreadSanitizer finds no data race in a mix of gets and puts" {
    lab_check_tsan race-free
}

# A performance check (grading/lib/lab.bash, lab_perf): the submission's
# bench against fixed.c's in the same run. An LRU that scans a list on every
# get or eviction is correct and far below half the reference's speed.
# bats test_tags=points:4,perf
@test "speed: gets and puts, half of them evicting, at least half the reference's throughput (1 thread)" {
    lab_perf hit50 1 0.5
}
