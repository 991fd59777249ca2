# Helpers every lab's grade.bats loads (`load ../../grading/lib/lab`).
#
# A check runs one named check of the lab's torture driver under a watchdog
# and turns whatever happened into a pass, or a failure with one line
# "reason: ..." that a student can act on. grading/grade reads that line.
#
# Environment (set by grading/grade, or by hand to run a grade.bats alone):
#   LAB_TEST            the submission's normal build of test.c
#   LAB_TSAN            the same under ThreadSanitizer
#   LAB_CHECK_TIMEOUT   seconds before a check is killed (default 30)
#   LAB_REPEAT          run each check this many times (default 1); a check
#                       passes only if every run passed, and a failure says
#                       "lab-runs: K/N" before the first failing run's reason
#   LAB_SANDBOX         1 (default): every run in grading/lib/sandbox; 0: bare,
#                       for the suite's own code only (the meta-test)
#
# Every run goes through grading/lib/run-check, which runs the binary (in the
# sandbox), caps what it printed and hands over a fresh pass token: a run
# passes only with exit status 0 AND that token printed back by the driver
# after the check returned, so neither an early exit(0) nor printed text can
# pass a check.

: "${LAB_CHECK_TIMEOUT:=30}"
# The driver's own alarm: 2 s before the outer watchdog (half of it, when
# that is 4 s or less). Worked out once: a check may run many times.
# Pass tokens from random_hex: SRANDOM on bash 5.1+, /dev/urandom before.
source "${BASH_SOURCE[0]%/*}/random.bash"

lab__inner=$(awk -v t="$LAB_CHECK_TIMEOUT" 'BEGIN { print (t > 4 ? t - 2 : t / 2) }')

# The driver's own watchdog fires first and names the reason; the outer
# `timeout` is for code that blocks signals or ignores the alarm. Bats 1.8's
# BATS_TEST_TIMEOUT cannot kill a hung `run`, so it is not relied on.
lab__run() {
    local bin=$1
    shift
    if [[ -z $bin || ! -x $bin ]]; then
        echo "reason: grader error: no test binary at '${bin}'"
        return 1
    fi
    local inner=$lab__inner
    if ! random_hex lab__token 3; then
        echo "reason: grader error: no random source (SRANDOM or /dev/urandom) for the pass token"
        return 1
    fi
    if [[ ${LAB_SANDBOX:-1} == 0 ]]; then
        # Trusted code (the meta-test grading the suite's own files): no
        # sandbox, no output cap, no descriptor but 0-2 passed on.
        TSAN_OPTIONS=${LAB_TSAN_OPTIONS:-} LAB_PASS_TOKEN=$lab__token \
            run timeout -k 2 "$LAB_CHECK_TIMEOUT" "$bin" --timeout "$inner" "$@" 3>&- </dev/null
        return
    fi
    LAB_PASS_TOKEN=$lab__token run timeout -k 2 "$LAB_CHECK_TIMEOUT" \
        "$BATS_TEST_DIRNAME/../../grading/lib/run-check" "$bin" --timeout "$inner" "$@"
}

# A run passed: exit status 0 and this run's token on a line of its own.
# (No subprocess: the meta-test asks this thousands of times.)
lab__passed() {
    ((status == 0)) && [[ $'\n'$output$'\n' == *$'\n'"pass-token: $lab__token"$'\n'* ]]
}

# Prints the reason for a failed run of the driver and returns 1; returns 0
# when it passed.
lab__judge() {
    local line sig
    case $status in
        0)
            lab__passed && return 0
            echo "reason: the program ended (status 0) before the check finished: does your code call exit()?"
            ;;
        124 | 137)
            echo "reason: killed after ${LAB_CHECK_TIMEOUT} s without an answer: a deadlock, a lost wakeup or an endless loop"
            ;;
        66)
            # A race names both accesses in the student's own functions;
            # another report its SUMMARY; a stop without one (TSan's memory
            # limit, say) its ERROR line. File names lose their folders.
            line=$(awk -f "$BATS_TEST_DIRNAME/../../grading/lib/tsan-reason.awk" <<<"$output")
            [[ -n $line ]] || line=$(grep -m1 -o 'ThreadSanitizer: .*' <<<"$output" | head -c 300)
            echo "reason: $line"
            ;;
        1)
            line=$(grep -m1 '^FAIL: ' <<<"$output")
            if [[ -n $line ]]; then
                echo "reason: ${line#FAIL: }"
            else
                echo "reason: exited with status 1 without saying why"
            fi
            ;;
        125) echo "reason: grader error: the sandbox could not start ($(head -c 300 <<<"$output"))" ;;
        152) echo "reason: used up its CPU time (60 s of CPU): an endless loop, or threads spinning instead of sleeping" ;;
        153) echo "reason: wrote more output than the 1 MiB allowed; print less" ;;
        *)
            if ((status > 128)); then
                sig=$(kill -l $((status - 128)) 2>/dev/null || echo "signal $((status - 128))")
                echo "reason: crashed with SIG${sig#SIG}$(lab__where)"
            else
                echo "reason: exited with status $status"
            fi
            ;;
    esac
    # What the program printed, shortened, for the student's own digging.
    grep -av '^pass-token: ' <<<"$output" | head -c 2000 | head -n 15 | sed 's/^/  | /'
    return 1
}

# Where an abort came from, when a checked pthread call said so.
lab__where() {
    local l
    l=$(grep -m1 -E 'failed: ' <<<"$output")
    [[ -n $l ]] && echo " ($l)"
}

# Runs the driver LAB_REPEAT times, judging each run; the first failure's
# reason is kept. One Bats test then stands for all the runs, so a repeated
# grade pays Bats' own start-up once, not once per run.
lab__repeat() {
    local n=${LAB_REPEAT:-1} r ok=0 first="" verdict
    [[ $n =~ ^[1-9][0-9]*$ ]] || n=1
    for ((r = 1; r <= n; r++)); do
        lab__run "$@"
        if lab__passed || verdict=$(lab__judge); then
            ok=$((ok + 1))
        elif [[ -z $first ]]; then
            first=$verdict
        fi
    done
    ((ok == n)) && return 0
    echo "lab-runs: $ok/$n"
    echo "$first"
    # How a student runs this check again on their own build: the driver's
    # arguments as this check gave them (scripts/replay adds the seed).
    local build=test
    [[ $1 == "${LAB_TSAN:-}" ]] && build=test-tsan
    shift
    echo "replay: $build $*"
    return 1
}

# lab_check CHECK [driver options]: the normal build must pass CHECK.
lab_check() {
    lab__repeat "$LAB_TEST" "$@"
}

# lab_check_tsan CHECK [driver options]: the ThreadSanitizer build must pass
# CHECK with no report. Every report stops the program at once (exit 66).
lab_check_tsan() {
    # hard_rss_limit_mb and max_allocation_size_mb bound the memory of a
    # TSan build, which cannot run under an address-space limit.
    LAB_TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 hard_rss_limit_mb=4096 max_allocation_size_mb=4096 allocator_may_return_null=1 ${LAB_TSAN_EXTRA:-}" \
        lab__repeat "$LAB_TSAN" "$@"
}

# lab_perf BENCH THREADS TARGET: a performance check, for labs whose lesson
# is speed. Times the submission's benchmark BENCH (a name its bench.c
# registers) at THREADS threads against the reference's (fixed.c), both
# built for speed and run in the sandbox, alternating, three times each;
# compares the medians of their throughput. Passes when the submission
# reaches TARGET times the reference's throughput; below that it earns
# "score: F", the share of the points: ratio / TARGET.
# Environment: LAB_BENCH (the submission's bench binary), LAB_REF_BENCH.
lab_perf() {
    local bench=$1 threads=$2 target=$3 r who bin tok json ips sub=() ref=()
    for bin in "${LAB_BENCH:-}" "${LAB_REF_BENCH:-}"; do
        [[ -n $bin && -x $bin ]] || { echo "reason: grader error: no bench binary at '${bin}'"; return 1; }
    done
    for r in 1 2 3; do
        for who in sub ref; do
            ((r == 2)) && who=$([[ $who == sub ]] && echo ref || echo sub)
            bin=$LAB_BENCH
            [[ $who == ref ]] && bin=$LAB_REF_BENCH
            # The run's label must carry this token: printed JSON of the
            # submission's own making cannot.
            random_hex tok 2 || { echo "reason: grader error: no random source (SRANDOM or /dev/urandom) for the benchmark's label"; return 1; }
            tok=perf$tok
            json=$(mktemp "${TMPDIR:-/tmp}/locklab-perf.XXXXXX")
            timeout -k 2 60 "$BATS_TEST_DIRNAME/../../grading/lib/sandbox" --stage "$(dirname -- "$bin")" \
                --out "$json" -- "/sandbox/$(basename -- "$bin")" --impl "$tok" --pin none --threads "$threads" \
                --benchmark_filter="^$bench/" --benchmark_min_time=0.2 --benchmark_format=json
            ips=$(sed -n '/^{/,$p' "$json" | jq -r --arg tok "impl=$tok " --argjson t "$threads" \
                '[.benchmarks[] | select((.label + " " | contains($tok)) and .threads == $t) | .items_per_second] | first // empty' 2>/dev/null)
            rm -f -- "$json"
            if [[ -z $ips ]]; then
                [[ $who == ref ]] && { echo "reason: grader error: the reference's benchmark '$bench' gave no result"; return 1; }
                echo "reason: your benchmark '$bench' at $threads threads did not finish (a crash, a hang, or it took over 60 s)"
                echo "score: 0"
                return 1
            fi
            [[ $who == sub ]] && sub+=("$ips") || ref+=("$ips")
        done
    done
    local verdict
    verdict=$(printf '%s\n' "${sub[@]}" | sort -g | sed -n 2p)
    verdict=$(awk -v s="$verdict" -v r="$(printf '%s\n' "${ref[@]}" | sort -g | sed -n 2p)" -v t="$target" \
        'BEGIN { q = s / r; f = q / t; if (f > 1) f = 1; printf "%.3f %.3f %.3g %.3g", q, f, s, r }')
    local ratio frac s_ips r_ips
    read -r ratio frac s_ips r_ips <<<"$verdict"
    local at="at $threads threads"
    ((threads == 1)) && at="at 1 thread"
    echo "perf: $bench $at: yours $s_ips ops/s, the reference's $r_ips ops/s (medians of 3): ${ratio}x"
    awk -v q="$ratio" -v t="$target" 'BEGIN { exit !(q >= t) }' && return 0
    echo "reason: $bench $at runs at ${ratio}x the reference's throughput; full points from ${target}x"
    echo "score: $frac"
    return 1
}
