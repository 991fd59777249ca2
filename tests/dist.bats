# What leaves the instructor's hands: the student copy of the suite
# (make dist-student) and a lab's Gradescope autograder (make gradescope).
load helpers

setup_file() {
    cd "$ROOT"
    make -s dist-student DIST="$BATS_FILE_TMPDIR/dist" >"$BATS_FILE_TMPDIR/dist.out" 2>&1
    echo $? >"$BATS_FILE_TMPDIR/dist.rc"
}

setup() {
    cd "$ROOT"
    copy=$BATS_FILE_TMPDIR/dist/locklab-student
}

@test "dist-student: a folder and a tarball, every lab with student.c = broken.c" {
    assert_equal "$(cat "$BATS_FILE_TMPDIR/dist.rc")" 0
    run cat "$BATS_FILE_TMPDIR/dist.out"
    assert_output --regexp "^student copy: .*/locklab-student/ and .*/locklab-student.tar.gz \([0-9]+ files, $(scripts/lab list | wc -l) labs, student.c = broken.c\)$"
    local lab
    for lab in $(scripts/lab list); do
        cmp "$copy/labs/$lab/student.c" "labs/$lab/broken.c" || fail "$lab: student.c is not broken.c"
        assert_file_exists "$copy/labs/$lab/grade.bats"
    done
    # the tarball holds exactly the folder
    diff <(tar -tzf "$BATS_FILE_TMPDIR/dist/locklab-student.tar.gz" | grep -v '/$' | sort) \
        <(cd "$BATS_FILE_TMPDIR/dist" && find locklab-student -type f | sort)
}

@test "dist-student: no reference solution leaked, by name or by content" {
    run find "$copy" \( -name fixed.c -o -name 'alt-*.c' -o -name workload.c \) -print
    assert_output ""
    assert_file_not_exists "$copy/tests/meta"
    assert_file_not_exists "$copy/.ci/run"
    # No file of the copy, in the folder or the tarball, has the content of
    # a reference, an alternative or a workload, whatever its name.
    refs=$BATS_TEST_TMPDIR/refs
    sha256sum labs/*/fixed.c labs/*/alt-*.c labs/*/workload.c | awk '{ print $1 }' | sort -u >"$refs"
    [[ $(wc -l <"$refs") -ge $(ls labs/*/fixed.c | wc -l) ]]
    run bash -c "find '$copy' -type f -exec sha256sum {} + | awk '{ print \$1 }' | sort -u | comm -12 - '$refs'"
    assert_output ""
    mkdir "$BATS_TEST_TMPDIR/untar"
    tar -xzf "$BATS_FILE_TMPDIR/dist/locklab-student.tar.gz" -C "$BATS_TEST_TMPDIR/untar"
    run bash -c "find '$BATS_TEST_TMPDIR/untar' -type f -exec sha256sum {} + | awk '{ print \$1 }' | sort -u | comm -12 - '$refs'"
    assert_output ""
    # A file marked instructor-only stays home too.
    mark=labs/01-race-counter/notes-for-instructors.md
    printf 'locklab: instructor-only\nthe answer is a mutex\n' >"$mark"
    scripts/dist-student "$BATS_TEST_TMPDIR/d2" >/dev/null
    rm -f "$mark"
    assert_file_not_exists "$BATS_TEST_TMPDIR/d2/locklab-student/$mark"
}

@test "dist-student: the copy builds, and make check reports the failing checks of the untouched code" {
    run env -u BUILD -u LOCKLAB_BUILD make -s -C "$copy" check LAB=01
    # the grader exits 1 below full marks; make says 2 for any failed recipe
    assert_equal "$status" 2
    assert_line --partial "check] Error 1"
    assert_line "lab 01-race-counter, submission student.c"
    assert_line --regexp '^  \[ 4/ 4\] one thread counts exactly'
    assert_line --regexp '^  \[ 0/ ?[0-9]+\] no increment lost: 4 threads'
    assert_line "total 4/20"
    run make -s -C "$copy" test
    assert_equal "$status" 2
    assert_output --partial "this copy has no tests of its own"
}

# Gradescope's own layout (gradescope-autograders.readthedocs.io, "Autograder
# Specifications"): the zip unpacked into ROOT/source, run_autograder copied
# to ROOT/run_autograder, setup.sh run from source/, the upload in
# ROOT/submission, results.json in ROOT/results; run_autograder started by
# its path from another folder, with nothing telling it where ROOT is.
@test "gradescope: unpacked and run as Gradescope does, under a root of the test's choosing" {
    run make -s gradescope LAB=01 DIST="$BATS_TEST_TMPDIR/gs"
    assert_success
    assert_output --regexp "^Gradescope autograder for 01-race-counter: .*/gradescope-01-race-counter.zip \([0-9]+ files\)$"
    ag=$BATS_TEST_TMPDIR/autograder
    mkdir -p "$ag/source" "$ag/submission"
    unzip -q "$BATS_TEST_TMPDIR/gs/gradescope-01-race-counter.zip" -d "$ag/source"
    assert_file_executable "$ag/source/setup.sh"
    assert_file_executable "$ag/source/run_autograder"
    cp "$ag/source/run_autograder" "$ag/run_autograder"
    # setup.sh asks only for what grading needs: no Bats helper libraries
    # (Ubuntu 22.04 has none), and grading loads none of them.
    run grep -E 'bats-(assert|support|file)' grading/lib/lab.bash labs/01-race-counter/grade.bats
    assert_failure
    run bash -c "sed -n 's/^grade=(\(.*\))$/\1/p' scripts/ensure-deps"
    refute_output --regexp 'bats-(assert|support|file)'
    assert_output --partial 'bats'
    (cd "$ag/source" && env -u BUILD -u LOCKLAB_BUILD ./setup.sh) >"$BATS_TEST_TMPDIR/setup.log" 2>&1 ||
        fail "setup.sh failed: $(tail -n 5 "$BATS_TEST_TMPDIR/setup.log")"
    assert_file_exists "$ag/source/build/labs/01-race-counter/test.tsan.o"

    cp labs/01-race-counter/fixed.c "$ag/submission/counter_solution.c"
    cd "$BATS_TEST_TMPDIR"
    run env -u BUILD -u LOCKLAB_BUILD -u AUTOGRADER_ROOT "$ag/run_autograder"
    assert_success
    run jq -r '[.score, .output_format, (.tests | length), ([.tests[].max_score] | add), (.tests | map(.visibility) | unique | join(","))] | @tsv' "$ag/results/results.json"
    # the lab's checks as its grade.bats has them today: name, points
    checks=$(awk -f "$ROOT/grading/lib/checks.awk" "$ROOT/labs/01-race-counter/grade.bats")
    assert_output "$(printf '20\ttext\t%d\t20\tvisible' "$(wc -l <<<"$checks")")"

    rm -f "$ag/submission"/*.c "$ag/results/results.json"
    cp "$ROOT/labs/01-race-counter/broken.c" "$ag/submission/student.c"
    run env -u BUILD -u LOCKLAB_BUILD -u AUTOGRADER_ROOT "$ag/run_autograder"
    assert_success
    run jq -r '.score, (.tests[] | "\(.score)/\(.max_score) \(.status)")' "$ag/results/results.json"
    # broken.c: the one-thread check passes, every other is caught
    assert_output "$(awk -F'\t' 'NR == 1 { print $2; print $2 "/" $2 " passed"; next } { print "0/" $2 " failed" }' <<<"$checks")"

    # Nothing graded: still a results.json that says why.
    rm "$ag/submission/student.c" "$ag/results/results.json"
    run env -u BUILD -u LOCKLAB_BUILD -u AUTOGRADER_ROOT "$ag/run_autograder"
    assert_success
    run jq -r '[.score, .output] | @tsv' "$ag/results/results.json"
    assert_output "$(printf '0\tUpload one C file: student.c (or 01-race-counter.c). Found 0 .c files.')"
}
