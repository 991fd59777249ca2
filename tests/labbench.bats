# The lab bench pipeline end to end on lab 01, kept short: every
# implementation timed in one run, tidy CSV well-formed, JSON parses, the
# counts verified, plots drawn, and a run never overwriting another.
load helpers

setup_file() {
    export OUT=$BATS_FILE_TMPDIR/results
    export PLOTS=$BATS_FILE_TMPDIR/plots
    "$ROOT/harness/lab-bench" 01 --reps 2 --threads 1,2,3 --min-time 0.01 --out "$OUT" --plots "$PLOTS" \
        >"$BATS_FILE_TMPDIR/stdout" 2>"$BATS_FILE_TMPDIR/stderr"
}

@test "one run folder, complete, pointed at by latest, no temporary left" {
    run ls -A "$OUT"
    assert_equal "${#lines[@]}" 2
    assert_line latest
    assert_line --regexp '^[0-9]{8}-[0-9]{6}-.+-01$'
    for f in gbench.json tidy.csv summary.csv machine.txt topology.txt pinning.csv; do
        assert_file_not_empty "$OUT/latest/$f"
    done
}

@test "gbench.json parses and holds every implementation x thread count x repetition" {
    run jq -r '.benchmarks[] | .label' "$OUT/latest/gbench.json"
    assert_success
    # counter: 4 implementations and the floor x 3 thread counts x 2 reps
    run jq '[.benchmarks[] | select(.label | test("op=counter"))] | length' "$OUT/latest/gbench.json"
    assert_output 30
    run jq '[.benchmarks[] | select(.label | test("^impl=floor op=counter .* floor=[a-z_]+$"))] | length' \
        "$OUT/latest/gbench.json"
    assert_output 6
    run jq -e '.context.num_cpus > 0 and .context.locklab_lab == "01-race-counter"' "$OUT/latest/gbench.json"
    assert_success
}

@test "tidy.csv: a header, the same column count on every row, no errors" {
    run head -n1 "$OUT/latest/tidy.csv"
    assert_output "lab,impl,op,pin,threads,repetition,iterations,ops_per_s,ns_per_op,lost_updates,lost_fraction,wrapped,error,floor"
    run awk -F, '{ print NF }' "$OUT/latest/tidy.csv"
    assert_equal "$(sort -u <<<"$output")" 14
    assert_equal "${#lines[@]}" 31
    run awk -F, 'NR > 1 && ($13 != "" || $8 <= 0)' "$OUT/latest/tidy.csv"
    assert_output ""
}

@test "the floor: every implementation's ratio to it, per thread count, in summary.csv and the table" {
    # each of the 5 rows of counter has the floor's primitive and a ratio at each thread count
    run awk -F, 'NR == 1 { print $13 "," $14 } NR > 1 && $2 == "counter" && ($13 == "" || $14 <= 0) { print "bad: " $0 }' \
        "$OUT/latest/summary.csv"
    assert_output "floor,x_floor"
    run awk -F, 'NR > 1 && $1 == "floor" { print $3 ":" $14 }' "$OUT/latest/summary.csv"
    assert_output "$(printf '1:1\n2:1\n3:1')"
    run grep -F '| x floor |' "$BATS_FILE_TMPDIR/stdout"
    assert_success
    run grep -E '^\| floor \([a-z_]+\) \| counter \| 2 \| .* \| 1\.00x \|' "$BATS_FILE_TMPDIR/stdout"
    assert_success
    run grep -E '^\| fixed \| counter \| 2 \| .*\| [0-9]+\.[0-9]{2}x \| [0-9.]+x \| [0-9.]+% \|$' "$BATS_FILE_TMPDIR/stdout"
    assert_success
}

@test "the harness verifies the counts: the correct designs lose nothing, broken loses updates at 2 threads" {
    run awk -F, 'NR > 1 && $3 == "counter" && $2 != "broken" && $10 != 0' "$OUT/latest/tidy.csv"
    assert_output ""
    run awk -F, 'NR > 1 && $3 == "counter" && $2 == "broken" && $5 >= 2 && $10 > 0 && $11 > 0 && $11 < 1' "$OUT/latest/tidy.csv"
    assert_equal "${#lines[@]}" 4
}

@test "the pinning plan records wrapping: 3 threads on fewer PUs wrap" {
    npu=$(nproc)
    run awk -F, -v n="$npu" 'NR > 1 && $2 == 3 && $3 >= n && $7 != 1' "$OUT/latest/pinning.csv"
    assert_output ""
    run awk -F, -v n="$npu" 'NR > 1 && $2 == 3 && $3 < n && $7 != 0' "$OUT/latest/pinning.csv"
    assert_output ""
    run awk -F, 'NR > 1 && $5 == 3 && $12 == ""' "$OUT/latest/tidy.csv"
    assert_output ""
}

@test "machine facts name CPU, kernel, compiler, library versions and revision" {
    for k in cpu kernel compiler 'bench flags' 'google benchmark' hwloc git pin; do
        run grep -E "^$k: .+" "$OUT/latest/machine.txt"
        assert_success
    done
    run grep -c '' "$OUT/latest/topology.txt"
    (( output > 3 ))
}

@test "plots drawn: PNG and SVG, non-empty, titled with the run" {
    assert_file_not_empty "$PLOTS/01-race-counter.png"
    # the PNG signature: \x89 then "PNG"
    run bash -c "head -c 4 '$PLOTS/01-race-counter.png' | tail -c 3"
    assert_output PNG
    run grep -c "$(basename "$(readlink "$OUT/latest")")" "$PLOTS/01-race-counter.svg"
    (( output >= 1 ))
}

@test "a second run makes a new folder and leaves the first untouched" {
    first=$(readlink "$OUT/latest")
    sum=$(cat "$OUT/$first"/* | md5sum)
    sleep 1
    run "$ROOT/harness/lab-bench" 01 --reps 1 --threads 1 --min-time 0.01 --out "$OUT" --plots "$PLOTS"
    assert_success
    second=$(readlink "$OUT/latest")
    [[ $second != "$first" ]]
    assert_equal "$(cat "$OUT/$first"/* | md5sum)" "$sum"
}

@test "lab-bench: bad input is one line and exit 2" {
    for args in "" "99" "01 --reps 0" "01 --threads 1,,2" "01 --pin wide" "01 --min-time x" "01 --timeout 0" "01 --bogus"; do
        # shellcheck disable=SC2086
        run --separate-stderr "$ROOT/harness/lab-bench" $args --out "$BATS_TEST_TMPDIR/r"
        assert_equal "$status" 2
        assert_equal "${#stderr_lines[@]}" 1
    done
    run --separate-stderr "$ROOT/harness/lab-bench" 01 --out /proc/nope
    assert_equal "$status" 2
}

@test "the bench binary: bad locklab options are one line and exit 2" {
    b=$BUILD/labs/01-race-counter/fixed/bench
    need_bin "$b"
    for args in "--pin wide" "--threads 0" "--threads 1,x" "--frob" "--topology /proc/nope/x"; do
        # shellcheck disable=SC2086
        run --separate-stderr "$b" $args --no-run
        assert_equal "$status" 2
        assert_equal "${#stderr_lines[@]}" 1
    done
}

@test "the lab's harness workload runs under every regime it supports, beside the table" {
    # the first run of this file (a later test made a second one)
    run1=$(ls -d "$OUT"/2* | head -n1)
    assert_file_not_empty "$run1/harness/summary.csv"
    assert_file_not_empty "$run1/harness/tidy.csv"
    run grep -c '^kind: harness' "$run1/harness/machine.txt"
    assert_output 1
    for r in gil object process unsafe atomic sharded; do
        run grep -c "^counter,$r," "$run1/harness/summary.csv"
        assert_output 3
    done
    run grep -F "The lab's workload under the harness's regimes" "$BATS_FILE_TMPDIR/stdout"
    assert_success
    assert_file_not_empty "$PLOTS/harness-counter.png"
}

# A build folder whose broken bench hangs (as a deadlock lab's does) and
# whose alt-atomic bench fails at once: the run goes on without them.
fake_build() {
    local b=$BATS_TEST_TMPDIR/build/labs/01-race-counter
    mkdir -p "$b"/{fixed,broken,alt-atomic,alt-sharded}
    ln -s "$BUILD/labs/01-race-counter/fixed/bench" "$b/fixed/bench"
    ln -s "$BUILD/labs/01-race-counter/alt-sharded/bench" "$b/alt-sharded/bench"
    printf '#!/bin/sh\nexec sleep 60\n' >"$b/broken/bench"
    printf '#!/bin/sh\necho "bench: out of flights" >&2\nexit 3\n' >"$b/alt-atomic/bench"
    chmod +x "$b/broken/bench" "$b/alt-atomic/bench"
}

@test "an implementation that hangs or fails is killed, reported and left out; the run completes" {
    fake_build
    SECONDS=0
    run --separate-stderr env LOCKLAB_BUILD="$BATS_TEST_TMPDIR/build" "$ROOT/harness/lab-bench" 01 --reps 2 \
        --threads 1 --min-time 0.01 --timeout 2 --out "$BATS_TEST_TMPDIR/r" --plots "$BATS_TEST_TMPDIR/p"
    assert_success
    ((SECONDS < 30))
    run grep '^dropped: ' "$BATS_TEST_TMPDIR/r/latest/machine.txt"
    assert_line --regexp '^dropped: broken: round 1: killed after 2 s'
    assert_line --regexp '^dropped: alt-atomic: round 1: failed with exit status 3: bench: out of flights$'
    assert_equal "${#lines[@]}" 2
    run cut -d, -f2 "$BATS_TEST_TMPDIR/r/latest/tidy.csv"
    refute_line broken
    refute_line alt-atomic
    assert_line fixed
    assert_line alt-sharded
    run "$ROOT/harness/table" "$BATS_TEST_TMPDIR/r/latest"
    assert_line "Not in the table (they did not finish a round):"
    assert_line --partial "- broken: round 1: killed after 2 s"
    [[ ! -e $BATS_TEST_TMPDIR/r/latest/harness ]]
}

@test "a reference that fails stops the run with one line, and nothing is written" {
    fake_build
    rm "$BATS_TEST_TMPDIR/build/labs/01-race-counter/fixed/bench"
    printf '#!/bin/sh\nexit 1\n' >"$BATS_TEST_TMPDIR/build/labs/01-race-counter/fixed/bench"
    chmod +x "$BATS_TEST_TMPDIR/build/labs/01-race-counter/fixed/bench"
    run --separate-stderr env LOCKLAB_BUILD="$BATS_TEST_TMPDIR/build" "$ROOT/harness/lab-bench" 01 --reps 1 \
        --threads 1 --timeout 2 --out "$BATS_TEST_TMPDIR/r" --plots "$BATS_TEST_TMPDIR/p"
    assert_equal "$status" 2
    assert_equal "${#stderr_lines[@]}" 1
    [[ $stderr == *"the reference failed"* ]]
    run ls -A "$BATS_TEST_TMPDIR/r"
    assert_output ""
}

@test "the bench binary: floors are fixed's, or any implementation's with --floors (the student copy's leader)" {
    b=$BUILD/labs/01-race-counter/broken/bench
    need_bin "$b"
    run "$b" --threads 1 --benchmark_list_tests=true
    refute_line --partial floor
    run "$b" --threads 1 --floors --benchmark_list_tests=true
    assert_line --partial counter-floor
    run "$BUILD/labs/01-race-counter/fixed/bench" --threads 1 --benchmark_list_tests=true
    assert_line --partial counter-floor
}
