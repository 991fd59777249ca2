# The harness (locklab-bench and harness/suite): exact totals under every
# regime, the GIL's "never two holders" check (and that it can fail),
# pinning recorded, well-formed CSV and JSON, plots, and bad input.
load helpers

setup_file() {
    B=$BUILD/harness/locklab-bench
    need_bin "$B"
    OUT=$BATS_FILE_TMPDIR/results
    mkdir -p "$OUT"
    "$B" --check-gil --repetitions 2 --out "$OUT" \
        --workload cpu --workers 1,2,3 --ops 3000 \
        --also --workload io --workers 1,4 --ops 3 \
        --also --workload objects,counter --share 0,1 --workers 1,2,3 --ops 50000 \
        --also --workload convoy --workers 2 --interval 1000 --ops 5 \
        --also --workload spawn --workers 2 \
        >"$BATS_FILE_TMPDIR/stdout" 2>"$BATS_FILE_TMPDIR/stderr"
    echo $? >"$BATS_FILE_TMPDIR/status"
    export B OUT
}

@test "the run succeeds and names its folder" {
    assert_equal "$(cat "$BATS_FILE_TMPDIR/status")" 0
    run cat "$BATS_FILE_TMPDIR/stdout"
    assert_output --regexp "^results: $OUT/[0-9]{8}-[0-9]{6}-"
    for f in gbench.json tidy.csv machine.txt topology.txt pinning.csv; do
        assert_file_not_empty "$OUT/latest/$f"
    done
    run ls -A "$OUT"
    refute_output --partial .tmp
}

@test "a progress line per benchmark" {
    run grep -c '^\[ *[0-9]*/[0-9]*\] ' "$BATS_FILE_TMPDIR/stderr"
    (( output >= 20 ))
}

@test "exact totals under gil, object and process, for every workload" {
    # every row but unsafe must have lost nothing and done every operation
    run awk -F, 'NR > 1 && $2 != "unsafe" && $12 != 0' "$OUT/latest/tidy.csv"
    assert_output ""
    run awk -F, 'NR > 1 && $1 == "cpu" && $8 != $3 * 3000' "$OUT/latest/tidy.csv"
    assert_output ""
    for r in gil object process; do
        run awk -F, -v r="$r" 'NR > 1 && $2 == r' "$OUT/latest/tidy.csv"
        (( ${#lines[@]} >= 10 ))
    done
}

@test "the GIL never had two holders, and did hand over" {
    run awk -F, 'NR > 1 && $2 == "gil" && $17 != 1' "$OUT/latest/tidy.csv"
    assert_output ""
    # with 2+ CPU-bound workers the lock changed hands on request
    run awk -F, 'NR > 1 && $1 == "convoy" && $2 == "gil" && $19 > 0' "$OUT/latest/tidy.csv"
    assert_equal "${#lines[@]}" 2
}

@test "a GIL that excludes nobody is caught by the two-holders check" {
    bad=$BATS_FILE_TMPDIR/badgil
    run make -s -C "$ROOT" BUILD="$bad" GIL_IMPL=tests/fixtures/gil/no-exclusion.c "$bad/harness/locklab-bench"
    assert_success
    mkdir -p "$BATS_TEST_TMPDIR/r"
    run --separate-stderr "$bad/harness/locklab-bench" --check-gil --workload cpu --regime gil \
        --workers 2 --ops 20000 --repetitions 3 --out "$BATS_TEST_TMPDIR/r"
    assert_equal "$status" 1
    assert_regex "$stderr" "two GIL holders at once"
}

@test "unsafe reports its lost updates instead of failing" {
    run awk -F, 'NR > 1 && $2 == "unsafe" && $3 >= 2 && $6 == 1 { lost += $12 } END { print lost + 0 }' "$OUT/latest/tidy.csv"
    (( output > 0 ))
    run awk -F, 'NR > 1 && $2 == "unsafe" && $3 == 1 && $12 != 0' "$OUT/latest/tidy.csv"
    assert_output ""
}

@test "convoy measures the I/O worker's latency" {
    run awk -F, 'NR > 1 && $1 == "convoy" && ($13 == "" || $13 <= 0 || $14 < $13 || $15 < $14)' "$OUT/latest/tidy.csv"
    assert_output ""
}

@test "pinning recorded: plan for every worker count, wrapped workers counted" {
    npu=$(nproc)
    for n in 1 2 3 4; do
        run awk -F, -v n="$n" 'NR > 1 && $2 == n' "$OUT/latest/pinning.csv"
        assert_equal "${#lines[@]}" "$n"
    done
    run awk -F, -v p="$npu" 'NR > 1 && $3 == 3 && $16 != (3 > p ? 3 - p : 0)' "$OUT/latest/tidy.csv"
    assert_output ""
    assert_file_contains "$OUT/latest/topology.txt" "^pus: $npu$"
}

@test "tidy.csv: the promised header, a constant column count; gbench.json parses" {
    run head -n1 "$OUT/latest/tidy.csv"
    assert_output "workload,regime,workers,pin,interval_us,share,repetition,ops,seconds,ops_per_s,speedup_vs_1,lost_updates,lat_p50_us,lat_p99_us,lat_max_us,wrapped,max_holders,gil_switches,gil_forced_drops"
    run awk -F, '{ print NF }' "$OUT/latest/tidy.csv"
    assert_equal "$(sort -u <<<"$output")" 19
    run jq -e '[.benchmarks[] | select(.run_type == "iteration")] | length > 40 and all(.label | test("workload=.* regime=.*"))' "$OUT/latest/gbench.json"
    assert_success
    # two repetitions of each: iteration rows match tidy rows
    assert_equal "$(jq '[.benchmarks[] | select(.run_type == "iteration")] | length' "$OUT/latest/gbench.json")" \
        "$(($(wc -l <"$OUT/latest/tidy.csv") - 1))"
}

@test "machine facts: CPU, kernel, compiler, flags, library versions, revision" {
    for k in cpu kernel compiler flags 'google benchmark' hwloc git pin; do
        run grep -E "^$k: .+" "$OUT/latest/machine.txt"
        assert_success
    done
    assert_file_contains "$OUT/latest/topology.txt" "^hwloc api: "
}

@test "suite --quick: summary, claims table and every plot, PNG and SVG" {
    run "$ROOT/harness/suite" --quick --out "$BATS_TEST_TMPDIR/s" --plots "$BATS_TEST_TMPDIR/p"
    assert_success
    assert_line --partial "| blocking I/O speeds up with threads even under the GIL"
    assert_line --partial "| one hot shared object stops per-object locking from scaling"
    for p in cpu io objects-share0 objects-share1 counter convoy; do
        assert_file_not_empty "$BATS_TEST_TMPDIR/p/harness-$p.png"
        assert_file_not_empty "$BATS_TEST_TMPDIR/p/harness-$p.svg"
        run grep -E "run [0-9]{8}-[0-9]{6}" "$BATS_TEST_TMPDIR/p/harness-$p.svg"
        assert_success
    done
    run awk -F, '{ print NF }' "$BATS_TEST_TMPDIR/s/latest/summary.csv"
    assert_equal "$(sort -u <<<"$output")" 17
}

@test "bad input: one line on stderr, exit 2" {
    mkdir -p "$BATS_TEST_TMPDIR/r"
    for args in "--workload nope" "--regime fast" "--workers 0" "--workers 4-2" "--workers x" \
        "--pin wide" "--interval 0" "--share 1.5" "--share x" "--ops 0" "--repetitions 0" \
        "--bogus" "--workers" "--workload cpu --regime unsafe" "--workers 1,,2"; do
        # shellcheck disable=SC2086
        run --separate-stderr "$B" $args --out "$BATS_TEST_TMPDIR/r"
        assert_equal "$status" 2
        assert_equal "${#stderr_lines[@]}" 1
    done
    run --separate-stderr "$B" --out /nonexistent/dir
    assert_equal "$status" 2
    assert_regex "$stderr" "not a folder this run can write into"
    run ls -A "$BATS_TEST_TMPDIR/r"
    assert_output ""
}

@test "suite and claims: bad input is one line and exit 2" {
    run --separate-stderr "$ROOT/harness/suite" --reps 0
    assert_equal "$status" 2
    run --separate-stderr "$ROOT/harness/suite" --bogus
    assert_equal "$status" 2
    run --separate-stderr "$ROOT/harness/claims" /nonexistent
    assert_equal "$status" 2
    assert_equal "${#stderr_lines[@]}" 1
}

@test "every lab's workload runs under each regime it supports and verifies its state" {
    labs=$("$B" --list | awk '/^[a-z]/ { w = $1 } /; lab / { print w }' | paste -sd,)
    [[ -n $labs ]]
    mkdir -p "$BATS_TEST_TMPDIR/r"
    run --separate-stderr "$B" --check-gil --workload "$labs" --workers 1,2 --ops 20000 --repetitions 1 \
        --out "$BATS_TEST_TMPDIR/r"
    assert_success
    t=$BATS_TEST_TMPDIR/r/latest/tidy.csv
    for w in ${labs//,/ }; do
        for r in $("$B" --list | awk -v w="$w" '$1 == w { f = 1; next } f { sub(/^ *regimes: /, ""); sub(/;.*/, ""); print; exit }'); do
            run awk -F, -v w="$w" -v r="$r" 'NR > 1 && $1 == w && $2 == r' "$t"
            assert_equal "${#lines[@]}" 2
        done
    done
    # nothing lost but where no lock is the point; every GIL run exclusive
    run awk -F, 'NR > 1 && $2 != "unsafe" && $12 != 0' "$t"
    assert_output ""
    run awk -F, 'NR > 1 && $2 == "gil" && $17 != 1' "$t"
    assert_output ""
}

@test "worker counts follow the machine: powers of two up to the CPUs, the CPU count, then oversubscribed" {
    run "$ROOT/harness/counts" --cpus 2
    assert_output "1,2,4"
    run "$ROOT/harness/counts" --cpus 2 --times 4
    assert_output "1,2,4,8"
    run "$ROOT/harness/counts" --cpus 6
    assert_output "1,2,4,6,12"
    run "$ROOT/harness/counts" --cpus 64
    assert_output "1,2,4,8,16,32,64,128"
    run "$ROOT/harness/counts" --cpus 1
    assert_output "1,2"
    # this machine: ends at twice what nproc says
    run "$ROOT/harness/counts"
    assert_output --regexp ",$((2 * $(nproc)))$"
    run "$ROOT/harness/counts" --times x
    assert_failure 2
}
