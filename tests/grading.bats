# The grader itself: repeated runs, results rows, the report formats, folder
# submissions, bad input, batches, and a meta-test that really fails when a
# lab's grader cannot tell broken from fixed. Hangs, crashes and attacks on
# the grader are the hostile corpus's (hostile.bats).
load helpers

setup() {
    cd "$ROOT"
}

@test "grade --repeat: per-check pass counts and a results row per check" {
    run grading/grade --repeat 3 --results "$BATS_TEST_TMPDIR/r.tsv" 01 labs/01-race-counter/broken.c
    assert_equal "$status" 1
    assert_line --regexp '^  \[ 4/ 4\] one thread counts exactly.*\(passed 3/3 runs\)$'
    assert_line --regexp '^  \[ 0/ 6\] no increment lost: 4 threads.*\(passed 0/3 runs\)$'
    assert_line "total 4/20"
    run cut -f2-5 "$BATS_TEST_TMPDIR/r.tsv"
    assert_output "$(printf '4\t4\t3\t3\n0\t6\t0\t3\n0\t4\t0\t3\n0\t6\t0\t3')"
}

@test "a ThreadSanitizer check counts only when every other check passed, and says so" {
    # fixed.c adding deposits in a double: exact up to 2^53, so only the
    # one-thread check sees it (its balances go past 2^53), nothing else is
    # wrong (the race check's own run passes)
    sed 's/a->balance = b + amount;/a->balance = (long)((double)b + (double)amount);/' labs/03-bank-account/fixed.c >"$BATS_TEST_TMPDIR/double-sum.c"
    run cmp -s labs/03-bank-account/fixed.c "$BATS_TEST_TMPDIR/double-sum.c"
    assert_failure
    run grading/grade --repeat 2 --results "$BATS_TEST_TMPDIR/r.tsv" 03 "$BATS_TEST_TMPDIR/double-sum.c"
    assert_equal "$status" 1
    assert_line --regexp '^  \[ 0/ 4\] ThreadSanitizer finds no data race.*\(passed 0/2 runs\)$'
    assert_line '          not counted: this check'"'"'s points need every other check passed, and "one thread: deposits add, withdrawals subtract, an overdraft is refused, balances past 2^32 and 2^53 exact" failed (its own runs: 2 of 2 passed, no race found)'
    # the row: no points, 0 runs that scored, its own 2 of 2, gated
    run awk -F'\t' '/^ThreadSanitizer/ { print $2, $4, $7, $8 }' "$BATS_TEST_TMPDIR/r.tsv"
    assert_output "0 0 2 gated"
    # fixed.c itself: the check counts, its row is not gated
    run grading/grade --results "$BATS_TEST_TMPDIR/f.tsv" 03 labs/03-bank-account/fixed.c
    assert_equal "$status" 0
    run awk -F'\t' '/^ThreadSanitizer/ { print $2, $4, $7, ($8 == "" ? "counted" : $8) }' "$BATS_TEST_TMPDIR/f.tsv"
    assert_output "4 1 1 counted"
}

@test "the grader's build holds up the submission's own loads and stores: a volatile counter loses increments every run" {
    # value++ on a volatile is a load and a store with nothing between them
    # but an add: only the perturbation of memory accesses (perturb.c, the
    # build's -fsanitize=thread calls) gets another thread in there
    run grading/grade --repeat 3 01 tests/mutants/halffix/01-race-counter/volatile.c
    assert_equal "$status" 1
    assert_line --regexp '^  \[ 0/ 6\] no increment lost: 4 threads x 1500.*\(passed 0/3 runs\)$'
    assert_line --regexp '^  \[ 0/ 4\] no increment lost: 96 threads.*\(passed 0/3 runs\)$'
    assert_line "total 4/20"
}

@test "a read of freed memory inside the C library (strlen) fails with its reason, every run" {
    # the read is in libc, which the grader's build does not instrument: only
    # perturb.c's wrappers of the memory and string calls can see it
    run grading/grade --repeat 2 10 tests/mutants/halffix/10-thread-local/strlen-after-free.c
    assert_equal "$status" 1
    assert_line --regexp '^  \[ 0/ 5\] isolation: .*\(passed 0/2 runs\)$'
    assert_line --regexp "memory is not used after it is freed / the implementation's read by strlen at 0x[0-9a-f]+ is inside a block it had already freed"
    # the same design measuring the old name before freeing it: full marks
    perl -0pe 's/    free\(old\);\n(    if .*\n        s->longest = strlen\(old\);\n)/$1    free(old);\n/' \
        tests/mutants/halffix/10-thread-local/strlen-after-free.c >"$BATS_TEST_TMPDIR/strlen-before-free.c"
    run cmp -s tests/mutants/halffix/10-thread-local/strlen-after-free.c "$BATS_TEST_TMPDIR/strlen-before-free.c"
    assert_failure
    run grading/grade --repeat 2 10 "$BATS_TEST_TMPDIR/strlen-before-free.c"
    assert_equal "$status" 0
}

@test "a lock in shared memory without PTHREAD_PROCESS_SHARED fails every check another process uses it in, with why" {
    sed '/pthread_mutexattr_setpshared/d' labs/15-pipes/fixed.c >"$BATS_TEST_TMPDIR/private.c"
    run grading/grade --repeat 2 15 "$BATS_TEST_TMPDIR/private.c"
    assert_equal "$status" 1
    assert_line --regexp '^  \[ 0/ 5\] 4 producers x 48 messages.*\(passed 0/2 runs\)$'
    assert_line --regexp '^  \[ 0/ 3\] producers get EPIPE.*\(passed 0/2 runs\)$'
    assert_line --regexp 'a mutex used by more than one process is made for it / the mutex at 0x[0-9a-f]+, in memory shared between processes \(MAP_SHARED\), was initialised by process [0-9]+ without PTHREAD_PROCESS_SHARED, and process [0-9]+ used it'
    assert_line "total 0/20"
    # a robust mutex is process-shared in glibc whatever the attribute says
    # (lab 14's README): left alone
    sed '/pthread_mutexattr_setpshared/d' labs/14-shared-memory/fixed.c >"$BATS_TEST_TMPDIR/robust.c"
    run grading/grade 14 "$BATS_TEST_TMPDIR/robust.c"
    assert_equal "$status" 0
    assert_line "total 20/20"
}

@test "the reason a check failed names the student's own file" {
    run grading/grade 01 labs/01-race-counter/broken.c
    assert_line --regexp '^          ThreadSanitizer: data race: counter_(inc|get) \(broken\.c:[0-9]+\) (reads|writes) holding no lock, while (counter_(inc|get) \(broken\.c:[0-9]+\) (read|wrote) it earlier in another thread|another thread (read|wrote) it earlier \(TSan no longer had its stack: run the replay again to see it\),) holding no lock$'
    assert_line --regexp '^          4 threads x 1500 increments == 6000 / got [0-9]+: [0-9]+ lost \(check lost-updates, seed [0-9]+\)$'
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
    assert_line --regexp '^not ok 2 - 01-race-counter broken\.c: not graded as grade\.bats and its README say$'
    assert_line --regexp '^# meant to catch it, but it passed 2/2 runs: no increment lost'
    assert_line '# the README says broken.c scores 4/20; it got 20/20'
}

@test "grade --out writes every format, whole, and --format picks stdout" {
    out=$BATS_TEST_TMPDIR/rep
    run grading/grade --format gradescope --out "$out" 01 labs/01-race-counter/broken.c
    assert_equal "$status" 1
    # stdout is Gradescope's results.json, the same as the file
    assert_equal "$output" "$(cat "$out/results.json")"
    run ls -A "$out"
    assert_output "$(printf 'autolab.txt\njunit.xml\nreport.json\nreport.tap\nreport.txt\nresults.json')"
    # Gradescope: top-level score and execution_time, tests with the five fields
    run jq -r '[.score, (.execution_time | type), (.tests | length)] | @tsv' "$out/results.json"
    assert_output "$(printf '4\tnumber\t4')"
    run jq -r '.tests[] | [.name, .score, .max_score, .status, .visibility, (.output | length > 0)] | @tsv' "$out/results.json"
    assert_line --index 0 "$(printf 'one thread counts exactly; two counters stay independent\t4\t4\tpassed\tvisible\tfalse')"
    assert_line --index 1 --regexp $'^no increment lost: 4 threads.*\t0\t6\tfailed\tvisible\ttrue$'
    # Autolab: the last line is {"scores": {...}} and adds up to the total
    run bash -c "tail -n 1 '$out/autolab.txt' | jq '[.scores[]] | add'"
    assert_output 4
    # TAP: a plan, one line per check, the reason as a diagnostic
    run cat "$out/report.tap"
    assert_line "1..4"
    assert_line "ok 1 - one thread counts exactly; two counters stay independent # 4/4 points"
    assert_line --regexp '^not ok 2 - no increment lost: 4 threads.* # 0/6 points$'
    assert_line --regexp '^# 4 threads x 1500 increments == 6000 / got [0-9]+'
    # JUnit: four testcases, three failures, the reason in the message
    run grep -c '<testcase ' "$out/junit.xml"
    assert_output 4
    run grep -c '<failure message="' "$out/junit.xml"
    assert_output 3
    assert_file_contains "$out/junit.xml" 'failures="3"'
    run grading/grade --format junit 01 labs/01-race-counter/broken.c
    assert_line --index 0 '<?xml version="1.0" encoding="UTF-8"?>'
}

@test "a folder submission: student.c or NN-slug.c inside; anything else is one clear line" {
    d=$BATS_TEST_TMPDIR/alice
    mkdir -p "$d"
    cp tests/hostile/include-fixed.c "$d/01-race-counter.c"
    run grading/grade --format json 01 "$d"
    assert_equal "$status" 1
    run jq -r '[.status, .submission, .score] | @tsv' <<<"$output"
    assert_output "$(printf 'build-failed\t01-race-counter.c\t0')"
    rm "$d/01-race-counter.c"
    run grading/grade 01 "$d"
    assert_equal "$status" 2
    assert_output "grading/grade: no student.c or 01-race-counter.c in the folder $d, and not one single .c file"
}

@test "grade: bad input gets one line and exit 2" {
    run grading/grade --format pdf 01 labs/01-race-counter/broken.c
    assert_equal "$status" 2
    assert_output --partial "--format wants text, tap, junit, gradescope, autolab or json, not 'pdf'"
    run grading/grade 99 labs/01-race-counter/broken.c
    assert_equal "$status" 2
    assert_output --partial "unknown lab '99'"
    run grading/grade 01 "$BATS_TEST_TMPDIR/none.c"
    assert_equal "$status" 2
    assert_output "grading/grade: no such file or folder: $BATS_TEST_TMPDIR/none.c"
    touch "$BATS_TEST_TMPDIR/ro" && chmod 444 "$BATS_TEST_TMPDIR/ro"
    run grading/grade --out "$BATS_TEST_TMPDIR/ro" 01 labs/01-race-counter/broken.c
    assert_equal "$status" 2
    assert_output --partial "cannot write reports into"
}

@test "grade-batch: a gradebook row per student, statuses, a summary; one bad submission stops nothing" {
    class=$BATS_TEST_TMPDIR/class
    mkdir -p "$class/bob" "$class/carol" "$class/dan"
    cp labs/01-race-counter/fixed.c "$class/alice.c"
    cp labs/01-race-counter/broken.c "$class/bob/student.c"
    cp tests/hostile/include-fixed.c "$class/carol/01-race-counter.c"
    echo "nothing here" >"$class/dan/notes.txt"
    echo "not code" >"$class/README"
    run grading/grade-batch --jobs 2 --out "$BATS_TEST_TMPDIR/grades" 01 "$class"
    assert_success
    assert_line --regexp "^graded 4 submissions for 01-race-counter in [0-9]+ s -> $BATS_TEST_TMPDIR/grades/$"
    assert_line "mean 6.0/20, median 2/20, min 0, max 20; full marks 1"
    assert_line '   90-100%    1  #'
    assert_line '   20- 29%    1  #'
    run cat "$BATS_TEST_TMPDIR/grades/gradebook.csv"
    assert_line --index 0 '"student","lab","score","max","one thread counts exactly; two counters stay independent","no increment lost: 4 threads x 1500 with the race window stretched","no increment lost: 96 threads add to 2 counters at once, 150 times each","ThreadSanitizer finds no data race in counter_inc or counter_get","status"'
    assert_line --index 1 '"alice","01-race-counter",20,20,4,6,4,6,"graded"'
    assert_line --index 2 '"bob","01-race-counter",4,20,4,0,0,0,"graded"'
    assert_line --index 3 '"carol","01-race-counter",0,20,0,0,0,0,"build-failed"'
    assert_line --index 4 '"dan","01-race-counter",0,20,0,0,0,0,"no-submission"'
    assert_file_exists "$BATS_TEST_TMPDIR/grades/students/bob/results.json"
    # never over an existing gradebook
    run grading/grade-batch --out "$BATS_TEST_TMPDIR/grades" 01 "$class"
    assert_equal "$status" 2
    assert_output --partial "exists and is not an empty folder"
}

@test "a performance check: a correct but slow design passes every other check and loses the speed points, with the ratio" {
    run grading/grade --format json 12 tests/fixtures/12/scan-lru.c
    assert_equal "$status" 1
    run jq -r '.score, (.tests[] | "\(.score)/\(.max_score) \(.tags | join(","))")' <<<"$output"
    assert_output "$(printf '20\n4/4 \n3/3 \n8/8 catches-broken\n5/5 catches-broken,counts-if-correct\n0/4 perf')"
    run grading/grade 12 tests/fixtures/12/scan-lru.c
    assert_line --regexp "^          hit50 at 1 thread runs at 0\.0[0-9]+x the reference's throughput; full points from 0\.5x$"
}

@test "random numbers without SRANDOM (bash before 5.1): /dev/urandom, two draws differ and are not zero" {
    # `unset SRANDOM` takes away its special meaning, as an old bash never
    # gave it one. An od on PATH that leaves a mark proves the fallback ran.
    mkdir -p "$BATS_TEST_TMPDIR/bin"
    printf '#!/bin/sh\n: >>"%s/od-ran"\nexec /usr/bin/od "$@"\n' "$BATS_TEST_TMPDIR" >"$BATS_TEST_TMPDIR/bin/od"
    chmod +x "$BATS_TEST_TMPDIR/bin/od"
    run env PATH="$BATS_TEST_TMPDIR/bin:$PATH" bash -c '
        set -u
        unset SRANDOM
        [[ -z ${SRANDOM:-} ]] || { echo "SRANDOM still special"; exit 3; }
        source grading/lib/random.bash
        random_u32 a && random_u32 b && random_hex x 3 && random_hex y 3 || exit 4
        echo "$a $b $x $y"'
    assert_success
    assert_file_exist "$BATS_TEST_TMPDIR/od-ran"
    read -r a b x y <<<"$output"
    [[ $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ ]] || fail "not numbers: $output"
    ((a != 0 && b != 0)) || fail "a zero draw: $output"
    ((a != b)) || fail "two draws alike: $output"
    [[ $x =~ ^[0-9a-f]{24}$ && $y =~ ^[0-9a-f]{24}$ ]] || fail "not 24 hex digits: $output"
    [[ $x != 000000000000000000000000 && $x != "$y" ]] || fail "a zero or repeated token: $output"
    # With SRANDOM (bash 5.1+), no process at all.
    rm -f "$BATS_TEST_TMPDIR/od-ran"
    run env PATH="$BATS_TEST_TMPDIR/bin:$PATH" bash -c 'source grading/lib/random.bash; random_u32 a; random_hex x 3; echo "$a $x"'
    assert_success
    assert_output --regexp '^[0-9]+ [0-9a-f]{24}$'
    assert_file_not_exist "$BATS_TEST_TMPDIR/od-ran"
    # The grader draws only through these.
    run grep -nE '\$\{?SRANDOM' grading/lib/lab.bash grading/lib/sandbox
    assert_failure
}

@test "lab.bash's pass token and the sandbox's uid on a bash without SRANDOM" {
    run bash -c 'unset SRANDOM; BATS_TEST_DIRNAME=labs/01-race-counter; run() { :; }
        source grading/lib/lab.bash; lab__run /bin/true; t1=$lab__token; lab__run /bin/true; echo "$t1 $lab__token"'
    assert_success
    read -r t1 t2 <<<"$output"
    [[ $t1 =~ ^[0-9a-f]{24}$ && $t1 != 000000000000000000000000 && $t1 != "$t2" ]] || fail "tokens: $output"
    ((EUID == 0)) || skip "the sandbox picks a uid of its own only as root"
    # The sandbox sourced into a bash without SRANDOM: two runs, two uids.
    local uids=()
    for i in 1 2; do
        run bash -c 'unset SRANDOM; set -- --out "$1" -- /bin/sh -c "id -u"; source grading/lib/sandbox' - "$BATS_TEST_TMPDIR/id$i"
        assert_success
        uids+=("$(cat "$BATS_TEST_TMPDIR/id$i")")
    done
    [[ ${uids[0]} =~ ^2[0-9]{5}$ && ${uids[1]} =~ ^2[0-9]{5}$ ]] || fail "not sandbox uids: ${uids[*]}"
    [[ ${uids[0]} != "${uids[1]}" && ${uids[0]} != 200000 ]] || fail "the same uid twice, or the zero draw's: ${uids[*]}"
}
