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
#   LAB_SANDBOX         1 (default): every run in grading/lib/sandbox; 0: bare
#
# Every run goes through grading/lib/run-check, which runs the binary (in the
# sandbox), caps what it printed and hands over a fresh pass token: a run
# passes only with exit status 0 AND that token printed back by the driver
# after the check returned, so neither an early exit(0) nor printed text can
# pass a check.

: "${LAB_CHECK_TIMEOUT:=30}"

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
    local inner
    inner=$(awk -v t="$LAB_CHECK_TIMEOUT" 'BEGIN { print (t > 4 ? t - 2 : t / 2) }')
    lab__token=$(printf '%08x%08x%08x' "$SRANDOM" "$SRANDOM" "$SRANDOM")
    LAB_PASS_TOKEN=$lab__token run timeout -k 2 "$LAB_CHECK_TIMEOUT" \
        "$BATS_TEST_DIRNAME/../../grading/lib/run-check" "$bin" --timeout "$inner" "$@"
}

# Prints the reason for a failed run of the driver and returns 1; returns 0
# when it passed.
lab__judge() {
    local line sig
    case $status in
        0)
            grep -qxF "pass-token: $lab__token" <<<"$output" && return 0
            echo "reason: the program ended (status 0) before the check finished: does your code call exit()?"
            ;;
        124 | 137)
            echo "reason: killed after ${LAB_CHECK_TIMEOUT} s without an answer: a deadlock, a lost wakeup or an endless loop"
            ;;
        66)
            line=$(grep -m1 '^SUMMARY: ThreadSanitizer' <<<"$output" | sed -E 's#/[^ ]*/##g')
            echo "reason: ${line#SUMMARY: }"
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
        if verdict=$(lab__judge); then
            ok=$((ok + 1))
        elif [[ -z $first ]]; then
            first=$verdict
        fi
    done
    ((ok == n)) && return 0
    echo "lab-runs: $ok/$n"
    echo "$first"
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
