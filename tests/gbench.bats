# The Google Benchmark C shim (harness/gbench.h): every feature the labs and
# the harness use, checked in the JSON that Google Benchmark itself writes.
load helpers

setup_file() {
    need_bin "$BUILD/tests/test_gbench"
    J=$BATS_FILE_TMPDIR/out.json
    "$BUILD/tests/test_gbench" run "$J" >"$BATS_FILE_TMPDIR/stdout"
    export J
}

# q FILTER: jq -e over the run's JSON (fails on false, null or a jq error).
q() {
    run jq -e "$1" "$J"
    assert_success
}

@test "gb_run wrote JSON that parses, with the machine context" {
    q '.context.num_cpus >= 1 and (.benchmarks | length) > 20'
}

@test "an argument list gives one run per value" {
    q '[.benchmarks[] | select(.name | startswith("args_list/")) | .arg] == [3, 5, 8]'
}

@test "a range with multiplier 4 and a dense range with step 5" {
    q '[.benchmarks[] | select(.name | startswith("range/")) | .arg] == [1, 4, 16, 64]'
    q '[.benchmarks[] | select(.name | startswith("dense/")) | .arg] == [0, 5, 10]'
    q '[.benchmarks[] | select(.name | startswith("dense/")) | .name] | all(test("/n:"))'
}

@test "threads: 1 and 2, each thread with its own index; avg-threads and summed counters" {
    q '[.benchmarks[] | select(.name | startswith("threads/")) | .threads] == [1, 2]'
    q '.benchmarks[] | select(.name | startswith("threads/") and endswith("threads:2"))
        | .index_sum == 1 and .count == 2 and .ones == 2 and .seven == 7 and .iterations == 200'
}

@test "manual time: exactly the 1 ms per iteration the benchmark claimed" {
    q '.benchmarks[] | select(.name | startswith("manual/")) | .real_time == 1 and .time_unit == "ms"'
}

@test "items and bytes processed give rates; rate, invert and avg-iterations counters" {
    q '.benchmarks[] | select(.name | startswith("items/"))
        | .items_per_second > 0 and .bytes_per_second > 0
          and (.bytes_per_second / .items_per_second - 4096 / 3 | fabs) < 0.01
          and .per_iteration == 2 and .inverted == 0.25 and .rate > 1000 and .max_iterations == 1000'
}

@test "a label, and an error that marks the run" {
    q '.benchmarks[] | select(.name | startswith("label/")) | .label == "hello world"'
    q '.benchmarks[] | select(.name | startswith("error/")) | .error_occurred == true and .error_message == "deliberate failure"'
}

@test "repetitions give three runs and mean, median, stddev and cv" {
    q '[.benchmarks[] | select(.name | startswith("reps/")) | select(.run_type == "iteration")] | length == 3'
    q '[.benchmarks[] | select(.name | startswith("reps/")) | .aggregate_name // empty] == ["mean", "median", "stddev", "cv"]'
    q '[.benchmarks[] | select(.name | startswith("reps_agg/")) | .run_type] | unique == ["aggregate"]'
}

@test "batches of 64: iterations are whole batches and cover the 1000 asked for" {
    q '.benchmarks[] | select(.name | startswith("batch/")) | .iterations % 64 == 0 and .iterations >= 1000 and .batches * 64 == .iterations'
}

@test "paused timing leaves the 20 ms sleeps out of the measured time" {
    q '.benchmarks[] | select(.name | startswith("paused/")) | .time_unit == "ms" and .real_time < 5'
}

@test "min time: the benchmark ran at least 0.05 s in all" {
    q '.benchmarks[] | select(.name | startswith("min_time/")) | .iterations * .real_time / 1e9 >= 0.05'
}

@test "the progress callback fires for each benchmark's results" {
    run cat "$BATS_FILE_TMPDIR/stdout"
    assert_line "progress manual/iterations:5/manual_time 0"
    assert_line "progress reps/iterations:10/repeats:3_mean -1"
    assert_line "progress reps_agg/iterations:10/repeats:3_mean -1"
    assert_line --regexp '^ran 21, progress calls 22$'
}

@test "gb_run with an unwritable JSON path: one line, failure" {
    run --separate-stderr "$BUILD/tests/test_gbench" run /nonexistent/dir/x.json
    assert_failure
    assert_equal "${#stderr_lines[@]}" 1
    assert_regex "$stderr" "cannot write '/nonexistent/dir/x.json'"
}

@test "gb_main takes Google Benchmark's flags and rejects unknown ones with exit 2" {
    run "$BUILD/tests/test_gbench" main --benchmark_filter='^label/' --benchmark_format=json
    assert_success
    run jq -e '[.benchmarks[].name] == ["label/iterations:10"]' <<<"$output"
    assert_success
    run --separate-stderr "$BUILD/tests/test_gbench" main --benchmark_bogus=1
    assert_equal "$status" 2
    assert_regex "$stderr" "unrecognized command-line flag: --benchmark_bogus=1"
}
