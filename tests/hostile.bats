# The hostile corpus: tests/hostile/*.c, each a lab 01 submission that
# attacks the grader (hangs, crashes, floods, lies, escapes, lingers, reads
# the pass token, replaces the C library or the driver). The whole corpus is
# graded as a class by grading/grade-batch with two jobs, as an instructor
# grades it; the cases the inspection of the object refuses are graded a
# second time without it (LAB_INSPECT=0), to prove that the sandbox alone
# contains them too. Each case is checked against its file header:
#   expect-score: N        the total it must get
#   expect-reason: ERE     some failed check's reason matches it
#   expect-output: TEXT    the report shows it (output or compiler messages)
#   uninspected-score, -reason, -output: the same, without the inspection
#   refuse-output: TEXT    neither report ever shows it
# and for all of them together: the batches end in bounded time, nothing
# outside the sandbox changed, and no sandboxed process is left.
load helpers

# Seconds one check may take here: short, so the hanging cases end soon.
export LAB_CHECK_TIMEOUT=5
# A check may take LAB_CHECK_TIMEOUT plus the kill grace and start-up; a
# submission three checks and its build (the compiler and the driver).
BOUND=60

tree_sum() {
    (cd "$ROOT" && find labs grading scripts tests Makefile -type f ! -name student.c -print0 |
        sort -z | xargs -0 sha256sum)
}

setup_file() {
    cd "$ROOT"
    tree_sum >"$BATS_FILE_TMPDIR/before"
    mkdir -p "$BATS_FILE_TMPDIR/class"
    echo "leave me" >"$BATS_FILE_TMPDIR/class/keep.txt"
    # A listener on the host's loopback, for network.c to try to reach.
    perl -MIO::Socket::INET -e '
        my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 47613, Listen => 5, ReuseAddr => 1)
            or die "listen: $!\n";
        open(my $log, ">", $ARGV[0]) or die; $log->autoflush(1); print $log "listening\n";
        while (my $c = $s->accept) { print $log "connection\n"; close $c }' "$BATS_FILE_TMPDIR/listener.log" &
    echo $! >"$BATS_FILE_TMPDIR/listener.pid"
    # The graders' temporary folders, where their binaries run from: a
    # folder of this batch's own, so that a leftover process of this batch,
    # and only of this batch, can be found by its path. Not inside Bats'
    # own (mode 700): the sandbox's user must be able to pass through.
    mktemp -d /tmp/locklab-hostile.XXXXXX >"$BATS_FILE_TMPDIR/tmpdir"
    chmod 711 "$(cat "$BATS_FILE_TMPDIR/tmpdir")"
    SECONDS=0
    TMPDIR=$(cat "$BATS_FILE_TMPDIR/tmpdir") grading/grade-batch --jobs 2 --out "$BATS_FILE_TMPDIR/class/grades" 01 tests/hostile \
        >"$BATS_FILE_TMPDIR/batch.out" 2>&1
    echo "$?" >"$BATS_FILE_TMPDIR/batch.rc"
    echo "$SECONDS" >"$BATS_FILE_TMPDIR/batch.secs"
    # The refused cases again, run in the sandbox as if the inspection had
    # missed them.
    mkdir -p "$BATS_FILE_TMPDIR/raw"
    cp $(grep -l '^ \* uninspected-score: ' tests/hostile/*.c) "$BATS_FILE_TMPDIR/raw/"
    SECONDS=0
    LAB_INSPECT=0 TMPDIR=$(cat "$BATS_FILE_TMPDIR/tmpdir") grading/grade-batch --jobs 2 \
        --out "$BATS_FILE_TMPDIR/class/raw-grades" 01 "$BATS_FILE_TMPDIR/raw" >"$BATS_FILE_TMPDIR/raw.out" 2>&1
    echo "$?" >"$BATS_FILE_TMPDIR/raw.rc"
    echo "$SECONDS" >"$BATS_FILE_TMPDIR/raw.secs"
    tree_sum >"$BATS_FILE_TMPDIR/after"
    kill "$(cat "$BATS_FILE_TMPDIR/listener.pid")"
}

teardown_file() {
    rm -rf "$(cat "$BATS_FILE_TMPDIR/tmpdir")"
}

setup() {
    grades=$BATS_FILE_TMPDIR/class/grades
}

# hostile_case NAME: the case's reports say what its header expects, with
# the inspection and (for a case it refuses) without.
hostile_case() {
    local name=$1 src=$ROOT/tests/hostile/$1.c
    hostile_report "$src" "$grades/students/$name" ""
    if grep -q '^ \* uninspected-score: ' "$src"; then
        hostile_report "$src" "$BATS_FILE_TMPDIR/class/raw-grades/students/$name" uninspected
    fi
}

# hostile_report SRC DIR MODE: DIR's report matches SRC's header for MODE
# ("" or uninspected).
hostile_report() {
    local src=$1 dir=$2 mode=$3 rep want rx text
    rep=$dir/report.json
    assert_file_exists "$rep"
    want=$(hostile_want "$src" score $mode)
    [[ -n $want ]] || fail "$src has no ${mode:-expect}-score line"
    run jq -r '"\(.score)/\(.max_score) in \(.execution_time) s"' "$rep"
    assert_output --regexp "^($want)/20 in [0-9]+ s$"
    (($(jq .execution_time "$rep") <= BOUND)) || fail "took $(jq .execution_time "$rep") s, more than $BOUND s"
    rx=$(hostile_want "$src" reason $mode)
    if [[ -n $rx ]]; then
        run jq -r '.tests[] | select(.status == "failed") | .reason' "$rep"
        assert_output --regexp "$rx"
    fi
    text=$(hostile_want "$src" output $mode)
    if [[ -n $text ]]; then
        run jq -r '.compiler, (.tests[] | .output)' "$rep"
        assert_output --partial "$text"
    fi
    text=$(sed -n 's/^ \* refuse-output: //p' "$src")
    if [[ -n $text ]]; then
        run grep -rF "$text" "$dir"
        assert_failure
    fi
}

@test "hostile: fork bomb" { hostile_case fork-bomb; }
@test "hostile: endless loop" { hostile_case endless-loop; }
@test "hostile: ignores the alarm and spins" { hostile_case deaf-spinner; }
@test "hostile: sleeps forever" { hostile_case sleep-forever; }
@test "hostile: deadlock" { hostile_case deadlock; }
@test "hostile: segfault" { hostile_case segfault; }
@test "hostile: abort" { hostile_case abort; }
@test "hostile: exit(0) inside an API call" { hostile_case exit-zero; }
@test "hostile: 100 MB of output" { hostile_case flood; }
@test "hostile: fake TAP and pass lines on every descriptor" { hostile_case fake-tap; }
@test "hostile: writes a report and the lab's files" { hostile_case write-report; }
@test "hostile: reads and prints fixed.c" { hostile_case read-fixed; }
@test "hostile: #include \"../fixed.c\"" { hostile_case include-fixed; }
@test "hostile: network connect" {
    hostile_case network
    # The host's listener was there all along, and nobody reached it.
    run cat "$BATS_FILE_TMPDIR/listener.log"
    assert_output "listening"
}
@test "hostile: 30 GB allocation" { hostile_case big-alloc; }
@test "hostile: a daemon that tries to outlive grading" { hostile_case daemon; }
@test "hostile: a constructor takes the pass token before main()" { hostile_case env-token; }
@test "hostile: the pass token from /proc/self/environ" { hostile_case proc-environ; }
@test "hostile: getenv() and exit() of its own replace the C library's" { hostile_case libc-override; }
@test "hostile: a weak definition of a driver function" { hostile_case driver-override; }
@test "hostile: SIGKILL to its parent, its group and everyone" { hostile_case signals; }
@test "hostile: scans its stack for the pass token" { hostile_case stack-scan; }
@test "hostile: exit(0) by a system call in inline assembly" { hostile_case asm-exit; }

@test "every file of the corpus has its test above" {
    local f
    for f in "$ROOT"/tests/hostile/*.c; do
        grep -qE "hostile_case $(basename "$f" .c)(;|$)" "$BATS_TEST_FILENAME" || fail "no test for $f"
    done
}

@test "the batch grades every case, writes a gradebook and ends in bounded time" {
    assert_equal "$(cat "$BATS_FILE_TMPDIR/batch.rc")" 0
    run wc -l <"$grades/gradebook.csv"
    assert_output "$(($(ls "$ROOT"/tests/hostile/*.c | wc -l) + 1))"
    run cat "$BATS_FILE_TMPDIR/batch.out"
    assert_line --regexp "^graded $(ls "$ROOT"/tests/hostile/*.c | wc -l) submissions for 01-race-counter in [0-9]+ s"
    # Two jobs: at most half the cases' bounds, one after another, plus one.
    (($(cat "$BATS_FILE_TMPDIR/batch.secs") <= BOUND * ($(ls "$ROOT"/tests/hostile/*.c | wc -l) / 2 + 1)))
    assert_equal "$(cat "$BATS_FILE_TMPDIR/raw.rc")" 0
    (($(cat "$BATS_FILE_TMPDIR/raw.secs") <= BOUND * ($(ls "$BATS_FILE_TMPDIR"/raw/*.c | wc -l) / 2 + 1)))
}

@test "nothing outside the sandbox changed: the project, the folder beside the grades, the system" {
    run diff "$BATS_FILE_TMPDIR/before" "$BATS_FILE_TMPDIR/after"
    assert_success
    assert_equal "$(cat "$BATS_FILE_TMPDIR/class/keep.txt")" "leave me"
    run ls "$BATS_FILE_TMPDIR/class"
    assert_output "$(printf 'grades\nkeep.txt\nraw-grades')"
    assert_file_not_exists /usr/hostile
    assert_file_not_exists /etc/hostile
    assert_file_not_exists /root/hostile
    run grep -rl 'total 20/20' "$grades" "$BATS_FILE_TMPDIR/class/raw-grades" --include=report.txt
    refute_output --partial fake-tap
}

@test "no sandboxed process is left behind" {
    # The sandbox runs student code as uids 200000-299999 (as root) or in a
    # PID namespace of its own: either way none may still run.
    run bash -c "ps -eo uid=,args= | awk '\$1 >= 200000 && \$1 < 300000'"
    assert_output ""
    run pgrep -f "$(cat "$BATS_FILE_TMPDIR/tmpdir")/"
    assert_failure
    run ls -A "$(cat "$BATS_FILE_TMPDIR/tmpdir")"
    assert_output ""
}
