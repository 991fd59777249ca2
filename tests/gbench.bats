# The Google Benchmark C shim (harness/gbench.h): each feature the labs and
# the harness rely on, checked in the JSON Google Benchmark itself writes, so
# a shim that forwards to the wrong call or drops a setting shows up here.
load helpers

setup_file() {
    need_bin "$BUILD/tests/test_gbench"
    T=$BUILD/tests/test_gbench
    J=$BATS_FILE_TMPDIR/out.json
    "$T" "$J" >"$BATS_FILE_TMPDIR/stdout" 2>"$BATS_FILE_TMPDIR/stderr"
    echo $? >"$BATS_FILE_TMPDIR/status"
    export T J
}

# one PREFIX FILTER: exactly one run's name starts with PREFIX, and FILTER is
# true of it. (jq -e alone would judge only the last of several results.)
one() {
    run jq -e --arg p "$1" "[.benchmarks[] | select(.name | startswith(\$p))]
        | length == 1 and (.[0] | $2)" "$J"
    assert_success
}

# q FILTER: FILTER over the whole JSON is true.
q() {
    run jq -e "$1" "$J"
    assert_success
}

@test "gb_run succeeds quietly and writes JSON with the machine context" {
    assert_equal "$(cat "$BATS_FILE_TMPDIR/status")" 0
    assert_equal "$(cat "$BATS_FILE_TMPDIR/stderr")" ""
    run tail -n 1 "$BATS_FILE_TMPDIR/stdout"
    assert_output "ran 28, progress calls 34"
    # quiet: nothing on stdout but the test program's own lines
    run grep -cvE '^(progress |ran )' "$BATS_FILE_TMPDIR/stdout"
    assert_output 0
    q '.context.num_cpus >= 1 and (.context.executable | endswith("/test_gbench"))'
}

@test "a single argument and an argument list, each value reaching the function" {
    one single/ '.name == "single/42/iterations:10" and .arg == 42 and .iterations == 10'
    q '[.benchmarks[] | select(.name | startswith("args_list/")) | [.name, .arg]]
        == [["args_list/3/iterations:10", 3], ["args_list/5/iterations:10", 5], ["args_list/8/iterations:10", 8]]'
}

@test "a range with multiplier 4, a dense range with step 5 and an argument name" {
    q '[.benchmarks[] | select(.name | startswith("range/")) | .arg] == [1, 4, 16, 64]'
    q '[.benchmarks[] | select(.name | startswith("dense/")) | [.name, .arg]]
        == [["dense/n:0/iterations:10", 0], ["dense/n:5/iterations:10", 5], ["dense/n:10/iterations:10", 10]]'
}

@test "threads 1 and 2 with real time: indexes, counts, summed and avg-threads counters" {
    one threads/iterations:100/real_time/threads:1 \
        '.threads == 1 and .iterations == 100 and .index_sum == 0 and .count == 1 and .ones == 1 and .seven == 7'
    # counters are summed over threads: 0+1, 1+1; avg-threads divides by 2
    one threads/iterations:100/real_time/threads:2 \
        '.threads == 2 and .iterations == 200 and .index_sum == 1 and .count == 2 and .ones == 2 and .seven == 7'
}

@test "a thread range doubles from 1 to 4" {
    q '[.benchmarks[] | select(.name | startswith("thread_range/")) | [.threads, .iterations, .index_sum]]
        == [[1, 10, 0], [2, 20, 1], [4, 40, 6]]'
}

@test "2 threads, real time: iterations summed, time per iteration over all threads, items/s in total" {
    # each thread: 20 iterations of a 1 ms sleep, one item each
    one thread_items/ '.iterations == 40 and .time_unit == "ms"
        and .real_time > 0.45 and .real_time < 0.8
        and (.items_per_second * .real_time / 1e3 - 1 | fabs) < 1e-6'
    # 10 iterations each, of 1 ms in one thread and 3 ms in the other: the
    # time is the threads' mean (20 ms / 20), not the slower one's (30 / 20)
    one thread_uneven/ '.iterations == 20 and .real_time > 0.95 and .real_time < 1.4
        and (.items_per_second * .real_time / 1e3 - 1 | fabs) < 1e-6'
}

@test "manual time: exactly the 1 ms per iteration the benchmark claimed" {
    one manual/ '.name == "manual/iterations:5/manual_time" and .iterations == 5
        and .real_time == 1 and .time_unit == "ms"'
}

@test "items and bytes processed: rates over the run's CPU seconds" {
    # items_per_second x seconds gives back the 3 items per iteration set
    one items/ '.iterations == 1000 and (.items_per_second * .cpu_time * .iterations / 1e9 - 3000 | fabs) < 1e-3
        and (.bytes_per_second / .items_per_second - 4096 / 3 | fabs) < 1e-6'
}

@test "counter flags: rate, avg-iterations, iteration-invariant, invert and a combination" {
    one items/ '(.rate * .cpu_time * .iterations / 1e9 - 1000 | fabs) < 1e-3
        and .per_iteration == 2 and .invariant == 500 and .inverted == 0.25
        and .inverted_per_iteration == 8 and .max_iterations == 1000'
}

@test "a label, and a time unit of seconds" {
    one label/ '.label == "hello world" and .time_unit == "s" and .real_time < 1e-3'
}

@test "skip with error: the run is marked, its loop never runs, the shim sees it" {
    one error/ '.error_occurred == true and .error_message == "deliberate failure"
        and .label == "flagged, loop skipped" and .real_time == 0'
}

@test "3 repetitions: three runs, then mean, median, stddev and cv of them" {
    q '[.benchmarks[] | select(.run_name == "reps/iterations:10/repeats:3")
        | .repetition_index // .aggregate_name] == [0, 1, 2, "mean", "median", "stddev", "cv"]'
    q '[.benchmarks[] | select(.run_name == "reps/iterations:10/repeats:3")]
        | (.[3].real_time - ((.[0].real_time + .[1].real_time + .[2].real_time) / 3) | fabs) < 1e-9
          and .[3].iterations == 3'
}

@test "aggregates only drops the runs from the JSON; display aggregates only keeps them" {
    q '[.benchmarks[] | select(.name | startswith("reps_agg/")) | .aggregate_name]
        == ["mean", "median", "stddev", "cv"]'
    q '[.benchmarks[] | select(.name | startswith("reps_display/")) | .repetition_index // .aggregate_name]
        == [0, 1, 2, "mean", "median", "stddev", "cv"]'
}

@test "keep running batch: batches of 64 over 1000 iterations report 16 whole batches" {
    one batch/ '.iterations == 1024 and .batches == 16'
}

@test "paused timing: the 2 ms timed sleep counts, the 20 ms paused one does not" {
    one paused/ '.iterations == 3 and .time_unit == "ms" and .real_time >= 2 and .real_time < 10'
}

@test "min time: enough 1 ms iterations to last at least 0.05 s" {
    one min_time/ '.name == "min_time/min_time:0.050/min_warmup_time:0.010/real_time"
        and .time_unit == "us" and .iterations * .real_time / 1e6 >= 0.05'
}

@test "progress: one call per finished run, with its repetition, none for aggregates" {
    # the runs reps_agg keeps out of the JSON are announced too
    run jq -r '.benchmarks[]
        | if .run_type == "iteration" then "progress \(.run_name) \(.repetition_index)"
          elif (.name | startswith("reps_agg/")) and .aggregate_name == "mean"
          then range(.repetitions) as $i | "progress \(.run_name) \($i)"
          else empty end' "$J"
    assert_success
    expected=$output
    run grep '^progress ' "$BATS_FILE_TMPDIR/stdout"
    assert_output "$expected"
    assert_line "progress reps_agg/iterations:10/repeats:3 2"
    refute_line --partial _mean
    assert_equal "${#lines[@]}" 34
}

@test "not quiet: the console table, and no JSON file asked for" {
    run --separate-stderr "$T" --loud - '^single/'
    assert_success
    assert_line --regexp '^Benchmark +Time +CPU +Iterations'
    assert_line --regexp '^single/42/iterations:10 +[0-9.]+ ns +[0-9.]+ ns +10 arg=42$'
    assert_line "ran 1, progress calls 1"
}

@test "filter and default repetitions: 2 runs each of the 3 matching benchmarks" {
    run "$T" "$BATS_TEST_TMPDIR/f.json" '^args_list/' 2
    assert_success
    assert_line "ran 3, progress calls 6"
    run jq -e '[.benchmarks[] | select(.run_type == "iteration") | [.arg, .repetition_index]]
        == [[3, 0], [3, 1], [5, 0], [5, 1], [8, 0], [8, 1]]
        and ([.benchmarks[] | .name | startswith("args_list/")] | all)' "$BATS_TEST_TMPDIR/f.json"
    assert_success
}

@test "a filter starting with '-' runs everything else" {
    run "$T" "$BATS_TEST_TMPDIR/f.json" '-^(min_time|paused|thread_|reps)'
    assert_success
    assert_line --regexp '^ran 18, '
    run jq -e '[.benchmarks[].name | select(test("^(min_time|paused|thread_|reps)"))] == []
        and (.benchmarks | length) == 18' "$BATS_TEST_TMPDIR/f.json"
    assert_success
}

@test "a bad filter: one line on stderr, failure, no file touched" {
    run --separate-stderr "$T" "$BATS_TEST_TMPDIR/bad.json" '('
    assert_failure 1
    assert_equal "${#stderr_lines[@]}" 1
    assert_regex "$stderr" "^gbench: bad filter '\(': "
    assert_file_not_exists "$BATS_TEST_TMPDIR/bad.json"
}

@test "a filter matching nothing: 0 run, Google Benchmark says why" {
    run --separate-stderr "$T" "$BATS_TEST_TMPDIR/none.json" '^no_such_benchmark'
    assert_success
    assert_output "ran 0, progress calls 0"
    assert_equal "$stderr" "Failed to match any benchmarks against regex: ^no_such_benchmark"
}

@test "gb_run with the JSON in a missing folder: one line on stderr, failure" {
    run --separate-stderr "$T" "$BATS_TEST_TMPDIR/missing/x.json"
    assert_failure 1
    assert_output ""
    assert_equal "${#stderr_lines[@]}" 1
    assert_equal "$stderr" "gbench: cannot write the JSON file '$BATS_TEST_TMPDIR/missing/x.json': No such file or directory"
    run --separate-stderr "$T" "$BATS_TEST_TMPDIR"
    assert_failure 1
    assert_equal "$stderr" "gbench: cannot write the JSON file '$BATS_TEST_TMPDIR': Is a directory"
}

@test "gb_main takes Google Benchmark's flags" {
    run --separate-stderr "$T" --benchmark_filter='^label/' --benchmark_format=json
    assert_success
    run jq -e '[.benchmarks[].name] == ["label/iterations:10"]' <<<"$output"
    assert_success
    run "$T" --benchmark_filter='^single/' --benchmark_out="$BATS_TEST_TMPDIR/m.json" --benchmark_out_format=json
    assert_success
    assert_line --regexp '^single/42/iterations:10 '
    run jq -e '[.benchmarks[] | [.name, .arg]] == [["single/42/iterations:10", 42]]' "$BATS_TEST_TMPDIR/m.json"
    assert_success
}

@test "gb_main rejects an unknown --benchmark_ flag with exit 2 and runs nothing" {
    run --separate-stderr "$T" --benchmark_filter='^single/' --benchmark_foo=1
    assert_equal "$status" 2
    assert_output ""
    assert_equal "${#stderr_lines[@]}" 1
    assert_equal "$stderr" "$T: error: unrecognized command-line flag: --benchmark_foo=1"
}
