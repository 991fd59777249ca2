# grade-batch as an instructor meets it: progress per student, a warning when
# the class looks like another lab's, grades kept out of the suite, nothing
# left behind by a batch that could not start.
load helpers

setup() {
    cd "$ROOT"
    export HOME=$BATS_TEST_TMPDIR/home
    mkdir -p "$HOME"
}

@test "grade-batch: lab 07 files graded as lab 01 are named as such; a line per student; the default folder is outside the suite" {
    class=$BATS_TEST_TMPDIR/class
    mkdir -p "$class/eve"
    for s in ann ben cid; do cp labs/07-condition/broken.c "$class/$s.c"; done
    # a folder whose one .c file has another name, as Gradescope takes it
    cp labs/01-race-counter/fixed.c "$class/eve/counter_final.c"
    run --separate-stderr grading/grade-batch --jobs 2 01 "$class"
    assert_success
    assert_line --regexp "^grading 4 submissions for 01-race-counter, 2 at a time, into $HOME/locklab-grades/grades-01-race-counter-[0-9-]+/$"
    for s in ann ben cid; do assert_line "  $s: 0/20 build-failed"; done
    assert_line "  eve: 20/20 graded"
    [[ $stderr == *"3 of 4 submissions do not build; most include queue.h, which 01-race-counter does not have: are these 07-condition submissions?"* ]] ||
        fail "no wrong-lab warning: $stderr"
    run ls "$HOME/locklab-grades"
    assert_output --regexp '^grades-01-race-counter-[0-9]{8}-[0-9]{6}$'
}

@test "grade-batch: grades never go inside the suite; an empty class or a bad lab leaves nothing behind" {
    mkdir -p "$BATS_TEST_TMPDIR/empty"
    run grading/grade-batch --out "$BATS_TEST_TMPDIR/out" 01 "$BATS_TEST_TMPDIR/empty"
    assert_equal "$status" 2
    assert_output --partial "no submissions in"
    assert_not_exist "$BATS_TEST_TMPDIR/out"
    run grading/grade-batch 01 "$BATS_TEST_TMPDIR/empty"
    assert_equal "$status" 2
    assert_not_exist "$HOME/locklab-grades"
    run grading/grade-batch 99 "$BATS_TEST_TMPDIR/empty"
    assert_equal "$status" 2
    assert_output --partial "unknown lab '99'"
    run grading/grade-batch --out "$ROOT/grades-here" 01 tests/hostile
    assert_equal "$status" 2
    assert_output --partial "is inside the suite"
    assert_not_exist "$ROOT/grades-here"
}
