#!/usr/bin/env bats
# Lab 15, pipes: the grade. One @test per check of the torture driver;
# points and `catches-broken` (broken.c must fail it every run) are Bats
# tags. A consumer or a producer that would wait forever fails its check
# within a second, with the reason, and its producers are killed.
load ../../grading/lib/lab

# bats test_tags=points:3
@test "one producer: 1000 small messages in order, intact; empty and too-long messages handled, into buffers of 0 and 1 bytes too, also one longer than any pipe" {
    lab_check single
}

# bats test_tags=points:5,catches-broken
@test "4 producers x 48 messages of 8 B to 192 KiB: each exactly once, intact, in per-producer order" {
    lab_check many-producers
}

# bats test_tags=points:3,catches-broken
@test "2 producers x 3 threads sharing each one's sending end, and 3 threads on one chan_open() end: frames never mix; a full channel holds up no other" {
    lab_check threads-share-end
}

# bats test_tags=points:3,catches-broken
@test "the consumer sees EOF once every producer has ended; no child left, no descriptor or mapping leaked, also after a failed spawn; EPROTO for a producer killed inside a message" {
    lab_check eof
}

# bats test_tags=points:3,catches-broken
@test "producers get EPIPE, not a hang, when the consumer quits early" {
    lab_check consumer-quits
}

# bats test_tags=points:3,catches-broken
@test "signals every 250 us interrupt blocked reads and writes: every message still intact, and a drop goes on" {
    lab_check eintr
}
