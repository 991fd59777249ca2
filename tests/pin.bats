# hwloc pinning (harness/pin.c): workers run where the plan says, threads and
# forked processes alike; wrapping past the PU count is recorded; plans on
# made-up topologies are exact; a taskset limit is respected.
load helpers

setup() {
    T=$BUILD/tests/test_pin
    need_bin "$T"
    NPU=$(nproc)
}

# check_run KIND POLICY N: every worker ran on its planned PU, and exactly the
# workers past the PU count are marked wrapped.
check_run() {
    run "$T" "$1" "$2" "$3"
    assert_success
    assert_equal "${#lines[@]}" $(($3 + 1))
    run awk -F, -v n="$NPU" 'NR > 1 && ($2 != $3 || $4 != ($1 >= n))' <<<"$output"
    assert_output ""
}

@test "threads, compact: 1, the PU count, and twice the PU count" {
    check_run threads compact 1
    check_run threads compact "$NPU"
    check_run threads compact $((2 * NPU))
}

@test "threads, scatter: 1, the PU count, and twice the PU count" {
    check_run threads scatter 1
    check_run threads scatter "$NPU"
    check_run threads scatter $((2 * NPU))
}

@test "forked processes, compact and scatter, with wrapping" {
    check_run procs compact $((NPU + 1))
    check_run procs scatter $((2 * NPU))
}

@test "wrapped workers share the PU of worker i mod PUs" {
    run "$T" threads compact $((2 * NPU))
    assert_success
    run awk -F, -v n="$NPU" 'NR > 1 { pu[$1] = $2 } END { for (i = n; i < 2 * n; i++) if (pu[i] != pu[i - n]) print i }' <<<"$output"
    assert_output ""
}

@test "policy none binds nothing but records a real PU" {
    run "$T" threads none 3
    assert_success
    run awk -F, -v n="$NPU" 'NR > 1 && ($2 != -1 || $3 < 0 || $3 >= n || $4 != 0)' <<<"$output"
    assert_output ""
}

@test "compact plan on pack:2 core:2 pu:2 fills one core's PUs first" {
    run "$T" plan "pack:2 core:2 pu:2" compact 8
    assert_success
    assert_equal "$(cut -d, -f4 <<<"$output" | tail -n +2 | paste -sd' ')" "0 1 2 3 4 5 6 7"
    assert_equal "$(cut -d, -f5 <<<"$output" | tail -n +2 | paste -sd' ')" "0 0 1 1 2 2 3 3"
    assert_equal "$(cut -d, -f6 <<<"$output" | tail -n +2 | paste -sd' ')" "0 0 0 0 1 1 1 1"
}

@test "scatter plan on pack:2 core:2 pu:2: packages first, then cores, then PUs" {
    run "$T" plan "pack:2 core:2 pu:2" scatter 8
    assert_success
    assert_equal "$(cut -d, -f4 <<<"$output" | tail -n +2 | paste -sd' ')" "0 4 2 6 1 5 3 7"
    assert_equal "$(cut -d, -f6 <<<"$output" | tail -n +2 | paste -sd' ')" "0 1 0 1 0 1 0 1"
}

@test "scatter plan on core:4 pu:2 uses every core before any second hardware thread" {
    run "$T" plan "core:4 pu:2" scatter 8
    assert_success
    assert_equal "$(cut -d, -f4 <<<"$output" | tail -n +2 | paste -sd' ')" "0 2 4 6 1 3 5 7"
    run "$T" plan "core:4 pu:2" compact 10
    assert_equal "$(cut -d, -f4 <<<"$output" | tail -n +2 | paste -sd' ')" "0 1 2 3 4 5 6 7 0 1"
    assert_equal "$(cut -d, -f7 <<<"$output" | tail -n +2 | paste -sd' ')" "0 0 0 0 0 0 0 0 1 1"
}

# A bigger machine than this one: 2 packages x 2 NUMA nodes x 4 cores x 2 PUs
# (PU os index = 16 * package + 8 * node + 2 * core + thread).
BIG="pack:2 numa:2 core:4 pu:2"

@test "scatter plan on $BIG: packages, then NUMA nodes, then cores, then PUs" {
    run "$T" plan "$BIG" scatter 32
    assert_success
    pus=$(cut -d, -f4 <<<"$output" | tail -n +2 | paste -sd' ')
    # one worker on each package, then on each node, then on each core ...
    assert_equal "$(cut -d' ' -f1-4 <<<"$pus")" "0 16 8 24"
    assert_equal "$(cut -d' ' -f1-16 <<<"$pus" | tr ' ' '\n' | awk '{print int($1 / 2)}' | sort -u | wc -l)" 16
    # ... and the second hardware thread of a core only past 16 workers
    assert_equal "$(cut -d' ' -f1-16 <<<"$pus" | tr ' ' '\n' | awk '$1 % 2' | wc -l)" 0
    assert_equal "$(tr ' ' '\n' <<<"$pus" | sort -n | paste -sd' ')" "$(seq 0 31 | paste -sd' ')"
}

@test "compact plan on $BIG fills a core, a node, then a package" {
    run "$T" plan "$BIG" compact 32
    assert_success
    assert_equal "$(cut -d, -f4 <<<"$output" | tail -n +2 | paste -sd' ')" "$(seq 0 31 | paste -sd' ')"
    assert_equal "$(cut -d, -f6 <<<"$output" | tail -n +2 | uniq -c | awk '{print $1 "x" $2}' | paste -sd' ')" "16x0 16x1"
}

@test "the topology summary of $BIG counts packages, NUMA nodes, cores and PUs" {
    run "$T" topology "$BIG"
    assert_success
    assert_line "packages: 2"
    assert_line "numa nodes: 4"
    assert_line "cores: 16"
    assert_line "pus: 32"
    assert_line "scatter order: 0,16,8,24,2,18,10,26,4,20,12,28,6,22,14,30,1,17,9,25,3,19,11,27,5,21,13,29,7,23,15,31"
}

@test "the topology summary agrees with the machine" {
    run "$T" topology
    assert_success
    assert_line "pus: $NPU"
    assert_line "cores: $(hwloc-calc --number-of core all)"
    assert_line --regexp '^hwloc api: 2\.[0-9]+\.[0-9]+'
    assert_line "restricted: no"
}

@test "under taskset only the allowed PU is planned, and the rest wrap onto it" {
    last=$((NPU - 1))
    run taskset -c "$last" "$T" threads compact 3
    assert_success
    run awk -F, -v p="$last" 'NR > 1 && ($2 != p || $3 != p || $4 != ($1 >= 1))' <<<"$output"
    assert_output ""
    run taskset -c "$last" "$T" topology
    assert_line "pus: 1"
    assert_line --partial "restricted: yes"
}

@test "bad input: one line on stderr, exit 2" {
    for args in "threads wide 2" "threads compact 0" "threads compact x" "procs compact -1" \
        "plan bogus compact 2" "plan pack:2 sideways 2" "nonsense" ""; do
        # shellcheck disable=SC2086
        run --separate-stderr "$T" $args
        assert_equal "$status" 2
        assert_equal "${#stderr_lines[@]}" 1
    done
}
