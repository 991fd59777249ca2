# The grader itself: repeated runs, results rows, hangs, crashes, and a
# meta-test that really fails when a lab's grader cannot tell broken from fixed.
load helpers

setup() {
    cd "$ROOT"
    fx=$ROOT/tests/fixtures/01
}

@test "grade --repeat: per-check pass counts and a results row per check" {
    run grading/grade --repeat 3 --results "$BATS_TEST_TMPDIR/r.tsv" 01 labs/01-race-counter/broken.c
    assert_equal "$status" 1
    assert_line --regexp '^  \[ 4/ 4\] one thread counts exactly.*\(passed 3/3 runs\)$'
    assert_line --regexp '^  \[ 0/ 8\] no increment lost.*\(passed 0/3 runs\)$'
    assert_line "total 4/20"
    run cut -f2-5 "$BATS_TEST_TMPDIR/r.tsv"
    assert_output "$(printf '4\t4\t3\t3\n0\t8\t0\t3\n0\t8\t0\t3')"
}

@test "the reason a check failed names the student's own file" {
    run grading/grade 01 labs/01-race-counter/broken.c
    assert_line --regexp '^          ThreadSanitizer: data race broken\.c:[0-9]+ in counter_'
    assert_line --regexp '^          4 threads x 20000 increments == 80000 / got [0-9]+: [0-9]+ lost \(check lost-updates, seed [0-9]+\)$'
}

@test "a deadlocked submission scores 0 with a reason, in bounded time" {
    SECONDS=0
    LAB_CHECK_TIMEOUT=4 run grading/grade 01 "$fx/deadlock.c"
    assert_equal "$status" 1
    assert_line "total 0/20"
    assert_line --partial "check finishes within 2 s / timed out: a deadlock, a lost wakeup or an endless loop"
    ((SECONDS < 30))
}

@test "a submission that ignores the alarm is killed by the outer watchdog" {
    SECONDS=0
    LAB_CHECK_TIMEOUT=3 run grading/grade 01 "$fx/deaf-spinner.c"
    assert_equal "$status" 1
    assert_line "total 0/20"
    assert_line --partial "killed after 3 s without an answer"
    ((SECONDS < 30))
    run pgrep -f "locklab-grade.*/submission/test"
    assert_failure
}

@test "a crashing submission scores 0 and says which signal" {
    run grading/grade 01 "$fx/segfault.c"
    assert_equal "$status" 1
    assert_line "total 0/20"
    assert_line --partial "crashed with SIGSEGV"
}

@test "the meta-test fails when broken.c is not caught, and when fixed.c is not full marks" {
    copy=$BATS_TEST_TMPDIR/copy
    mkdir -p "$copy"
    cp -r Makefile scripts labs grading tests "$copy/"
    rm -f "$copy"/labs/*/student.c "$copy"/labs/01-race-counter/alt-*.c
    # swap the two: the "broken" one now passes, the "fixed" one now fails
    cp labs/01-race-counter/fixed.c "$copy/labs/01-race-counter/broken.c"
    cp labs/01-race-counter/broken.c "$copy/labs/01-race-counter/fixed.c"
    run "$copy/tests/meta" --runs 2 01
    assert_line "1..2"
    assert_line --regexp '^not ok 1 - 01-race-counter fixed\.c: not full marks in every run$'
    assert_line --regexp '^# no increment lost.*: passed 0/2 runs; '
    assert_line --regexp '^not ok 2 - 01-race-counter broken\.c: not caught as it must be$'
    assert_line --regexp '^# meant to catch it, but it passed 2/2 runs: no increment lost'
}
