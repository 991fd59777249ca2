#!/usr/bin/env bats
# Lab 07, condition: the grade. One @test per check of the torture driver;
# points and `catches-broken` (broken.c must fail it every run) are Bats
# tags. A thread that never wakes fails its check within about 1 s.
load ../../grading/lib/lab

# bats test_tags=points:4
@test "one thread: FIFO order, any long item (-1, 2^40, LONG_MIN), capacity, close drains and then ends" {
    lab_check single
}

# bats test_tags=points:5,catches-broken
@test "4 producers, 6 consumers, capacity 4, beside a second queue: every item is taken exactly once, and a put() wakes a consumer of its own queue, two puts in a row two consumers; a get() waits 3.5 s for an item" {
    lab_check exactly-once
}

# bats test_tags=points:4,catches-broken
@test "capacity 1 with 6 producers, beside a second queue: never overfull, queue_len() 0..1 whenever an observer reads it, nothing lost, and a get() wakes a producer of its own queue, two gets in a row two producers" {
    lab_check capacity
}

# bats test_tags=points:4,catches-broken
@test "close() wakes every waiting consumer and every waiting producer, whatever the queue holds; a producer woken after close() adds nothing, and every block is freed" {
    lab_check close-wakes-all
}

# bats test_tags=points:3,catches-broken,counts-if-correct
@test "ThreadSanitizer finds no data race between a producer and a consumer, or in close() while others wait, put or get" {
    lab_check_tsan race-free
}
