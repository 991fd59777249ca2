# Bad input to every command gets one clear line on stderr and a non-zero
# exit; and the student loop (make start / check) behaves as promised.
load helpers

setup() {
    cd "$ROOT"
}

# one_line_error STATUS: after `run --separate-stderr`, the command failed
# with that status, said one line on stderr and nothing on stdout.
one_line_error() {
    assert_equal "$status" "$1"
    assert_equal "${#stderr_lines[@]}" 1
    assert_equal "$output" ""
}

@test "scripts/lab resolves every spelling of a lab" {
    for spelling in 01 1 race-counter 01-race-counter; do
        run scripts/lab resolve "$spelling"
        assert_success
        assert_output 01-race-counter
    done
}

@test "scripts/lab: an unknown lab gets one line listing the labs" {
    run --separate-stderr scripts/lab resolve 99
    assert_equal "$status" 2
    assert_equal "${#stderr_lines[@]}" 1
    assert_regex "$stderr" "unknown lab '99'.*01-race-counter"
}

@test "make check with an unknown lab: one line naming the labs, non-zero" {
    run make -s --no-print-directory check LAB=nope
    assert_failure
    assert_line --partial "unknown lab 'nope'"
    assert_line --partial 01-race-counter
}

@test "make start without LAB says to name one" {
    # make adds its own "*** [start] Error 2" line after ours.
    run --separate-stderr make -s --no-print-directory start
    assert_equal "$status" 2
    assert_equal "$output" ""
    assert_regex "${stderr_lines[0]}" "^locklab: say which lab, e.g. LAB=01; the labs are: 01-race-counter"
}

@test "make help lists every public target, one line each" {
    run make -s --no-print-directory help
    assert_success
    for t in all test bench plots start check grade deps help clean; do
        assert_line --regexp "^  make $t "
    done
}

@test "make start creates student.c from broken.c once and never overwrites it" {
    copy=$BATS_TEST_TMPDIR/copy
    mkdir -p "$copy"
    cp -r Makefile scripts labs "$copy/"
    rm -f "$copy"/labs/*/student.c
    run make -s -C "$copy" --no-print-directory start LAB=1
    assert_success
    assert_output --partial "created labs/01-race-counter/student.c"
    cmp "$copy/labs/01-race-counter/broken.c" "$copy/labs/01-race-counter/student.c"
    echo "/* my work */" >>"$copy/labs/01-race-counter/student.c"
    run make -s -C "$copy" --no-print-directory start LAB=race-counter
    assert_success
    assert_output --partial "already exists"
    run tail -n1 "$copy/labs/01-race-counter/student.c"
    assert_output "/* my work */"
}

@test "make check without student.c tells how to start" {
    copy=$BATS_TEST_TMPDIR/copy
    mkdir -p "$copy"
    cp -r Makefile scripts labs grading "$copy/"
    rm -f "$copy"/labs/*/student.c
    run make -s -C "$copy" --no-print-directory check LAB=01
    assert_failure
    assert_output --partial "make start LAB=01"
}

@test "grading/grade: bad usage, missing file, wrong kind of file, unknown lab" {
    run --separate-stderr grading/grade
    one_line_error 2
    run --separate-stderr grading/grade 01 /nonexistent.c
    assert_equal "$status" 2
    assert_equal "$stderr" "grading/grade: no such file or folder: /nonexistent.c"
    run --separate-stderr grading/grade 01 Makefile
    assert_equal "$status" 2
    assert_regex "$stderr" "ending in .c"
    run --separate-stderr grading/grade 42 labs/01-race-counter/fixed.c
    assert_equal "$status" 2
    assert_regex "$stderr" "unknown lab '42'"
    run --separate-stderr grading/grade --repeat zero 01 labs/01-race-counter/fixed.c
    assert_equal "$status" 2
    assert_regex "$stderr" "--repeat wants"
    run --separate-stderr grading/grade --results /nonexistent/dir/r.tsv 01 labs/01-race-counter/fixed.c
    assert_equal "$status" 2
    assert_regex "$stderr" "cannot write results"
}

@test "grading/grade: a file that does not compile scores 0 and shows the compiler's error" {
    printf '#include "counter.h"\nvoid counter_inc(counter_t *c) { c->nope++ }\n' >"$BATS_TEST_TMPDIR/bad.c"
    run grading/grade 01 "$BATS_TEST_TMPDIR/bad.c"
    assert_equal "$status" 1
    assert_line --partial "does not compile"
    assert_line --regexp 'bad\.c:2:.*error'
    assert_line "total 0/20"
}

@test "a lab driver: unknown check, unknown option, bad numbers, no check" {
    t=$BUILD/labs/01-race-counter/fixed/test
    need_bin "$t"
    run --separate-stderr "$t" nosuch
    one_line_error 2
    assert_regex "$stderr" "unknown check 'nosuch'.*single"
    run --separate-stderr "$t" --frobnicate single
    assert_equal "$status" 2
    assert_regex "$stderr" "unknown option"
    for bad in "--threads 0" "--threads x" "--iters -5" "--seed -1" "--pause maybe" "--timeout 0"; do
        # shellcheck disable=SC2086
        run --separate-stderr "$t" $bad single
        assert_equal "$status" 2
        assert_equal "${#stderr_lines[@]}" 1
    done
    run --separate-stderr "$t"
    assert_equal "$status" 2
}

@test "scripts/ensure-deps: an unknown group is refused; nothing missing means silence" {
    run --separate-stderr scripts/ensure-deps everything
    assert_equal "$status" 2
    assert_regex "$stderr" "unknown group"
    # make test got here, so everything is installed: no output, no apt-get.
    run scripts/ensure-deps all
    assert_success
    assert_output ""
}

@test "scripts/ensure-deps as a non-root user with a package missing: one line, the exact command" {
    # A fake dpkg-query that says one package is missing; setpriv drops root.
    # (Bats' own temporary folders are private to root, so use one of ours.)
    fake=$(mktemp -d /tmp/locklab-fake.XXXXXX)
    chmod 755 "$fake"
    printf '#!/bin/sh\n[ "$3" = gnuplot-nox ] && exit 1\necho ii\n' >"$fake/dpkg-query"
    chmod 755 "$fake/dpkg-query"
    run --separate-stderr setpriv --reuid=nobody --regid=nogroup --clear-groups \
        env PATH="$fake:$PATH" "$ROOT/scripts/ensure-deps" bench
    assert_equal "$status" 1
    rm -rf "$fake"
    assert_equal "$stderr" "locklab: missing Debian packages; as root run: apt-get install -y --no-install-recommends gnuplot-nox"
}
