# The student copy as a student meets it: its README, every link and file
# its READMEs name, and the commands they give, run in the copy itself.
load helpers

setup_file() {
    cd "$ROOT"
    make -s dist-student DIST="$BATS_FILE_TMPDIR/dist" >"$BATS_FILE_TMPDIR/dist.out" 2>&1 ||
        { cat "$BATS_FILE_TMPDIR/dist.out" >&3; return 1; }
}

setup() {
    copy=$BATS_FILE_TMPDIR/dist/locklab-student
    cd "$copy"
    # the copy's own build folder, as a student has it
    unset BUILD LOCKLAB_BUILD
}

@test "student copy: its README is the student's guide, and each lab's says what stays home" {
    cmp README.md "$ROOT/docs/STUDENT.md"
    local lab
    for lab in $("$ROOT/scripts/lab" list); do
        assert_file_exists "labs/$lab/README.md"
        # the note names exactly the references this lab has at home
        want=$(cd "$ROOT/labs/$lab" && ls fixed.c alt-*.c workload.c 2>/dev/null | sort | paste -sd' ')
        got=$(head -n 1 "labs/$lab/README.md" | grep -o '`[^`]*\.c`' | tr -d '`' | sort | paste -sd' ')
        assert_equal "$got" "$want"
    done
}

@test "student copy: every link and every file a README names is there, or said to stay home" {
    local readme dir target missing=()
    while IFS= read -r readme; do
        dir=$(dirname "$readme")
        # Markdown links and images, but web addresses and anchors
        while IFS= read -r target; do
            target=${target%%#*}
            [[ -z $target || $target == http* || $target == mailto:* ]] && continue
            [[ -e $dir/$target ]] || missing+=("$readme: link $target")
        done < <(grep -o '\]([^)]*)' "$readme" | sed -E 's/^\]\(//; s/\)$//; s/ .*//')
        # File names in code spans: a path from the top or the lab's folder.
        while IFS= read -r target; do
            [[ $target == *NN* || $target == *'*'* || $target == *'<'* || $target == *'$'* ]] && continue
            [[ $target == build/* || $target == dist/* || $target == results/* || $target == plots/* ]] && continue
            [[ -e $target || -e $dir/$target || -e $dir/$(basename "$target") ]] && continue
            # a lab's file, named by the top README for every lab
            [[ $readme == ./README.md ]] && compgen -G "labs/*/$(basename "$target")" >/dev/null && continue
            # named as staying with the instructor: on a lab README's first
            # line, or in the top README's paragraph that says so
            head -n 1 "$readme" | grep -qF "\`$(basename "$target")\`" && continue
            [[ $readme == ./README.md ]] && tr '\n' ' ' <"$readme" | grep -qF "that your instructor's copy has and yours does not" &&
                [[ $target == fixed.c || $target == alt-*.c || $target == workload.c ]] && continue
            # a file the README itself says this lab does not have
            grep -qE "(no|not) [^.]*\(\`$target\`\)" "$readme" && continue
            missing+=("$readme: names $target")
        done < <(grep -o '`[A-Za-z0-9_./-]*\.\(c\|h\|md\|bats\|sh\)`' "$readme" | tr -d '`' | sort -u)
    done < <(find . -name README.md -not -path './build/*')
    if ((${#missing[@]})); then
        printf '%s\n' "${missing[@]}"
        false
    fi
}

@test "student copy: make help lists only what works here" {
    run make -s help
    assert_success
    refute_output --regexp 'make (test|meta|mutants|gradescope|autolab|prairielearn|dist-student) '
    assert_output --partial 'make check'
    # and what it lists as instructor-only really does not work here
    run make -s test
    assert_failure
    assert_output --partial "this copy has no tests of its own"
}

@test "student copy: the README's loop, run as a student runs it" {
    run make -s bench LAB=99
    assert_failure
    assert_output --regexp "unknown lab '99'"
    [[ ! -d build/labs ]] || fail "a bad LAB built something before it was refused"

    # the copy comes with student.c = broken.c: start keeps it and builds
    run make -s start LAB=01
    assert_success
    assert_output --partial "labs/01-race-counter/student.c already exists; left as it is"
    assert_output --partial "watch the bug: build/labs/01-race-counter/broken/test --list"
    cmp labs/01-race-counter/student.c labs/01-race-counter/broken.c
    # the README's next step: watch the bug
    need_bin build/labs/01-race-counter/broken/test
    run build/labs/01-race-counter/broken/test --list
    assert_success
    assert_output --partial lost-updates
    run build/labs/01-race-counter/broken/test lost-updates
    assert_failure 1
    assert_output --regexp '^FAIL: .* lost'

    run make -s check LAB=01
    assert_failure
    assert_output --partial "total 4/20"
    # every failed check gives the command that runs it again, and that
    # command fails again: 10 tries each, at least 9 failures
    mapfile -t reruns < <(grep -oE 'rerun: scripts/replay .*' <<<"$output" | sed 's/^rerun: //')
    nfailed=$(awk '/^  \[ *[0-9]+\/ *[0-9]+\]/ { split(substr($0, 4), a, /[]\/]/); if (a[1] + 0 < a[2] + 0) n++ } END { print n + 0 }' <<<"$output")
    ((nfailed >= 1)) || fail "broken.c failed no check"
    assert_equal "${#reruns[@]}" "$nfailed"
    local cmd k fails rc
    for cmd in "${reruns[@]}"; do
        fails=0
        for k in 1 2 3 4 5 6 7 8 9 10; do
            # shellcheck disable=SC2086
            rc=0
            $cmd --tries 1 >"$BATS_TEST_TMPDIR/replay.out" 2>&1 || rc=$?
            if ((rc == 1)); then fails=$((fails + 1)); fi
        done
        ((fails >= 9)) || fail "'$cmd' failed again in only $fails of 10 tries: $(cat "$BATS_TEST_TMPDIR/replay.out")"
    done
    # make check built the student's own driver, for replaying a check
    need_bin build/labs/01-race-counter/student/test
    run build/labs/01-race-counter/student/test lost-updates
    assert_failure 1
}
