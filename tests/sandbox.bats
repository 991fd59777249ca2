# The sandbox's second level (grading/lib/sandbox: seccomp), on a faithful
# emulation of a container host: tests/c/container.c runs the grader as root
# under a seccomp filter that refuses new namespaces and mounts, with
# CAP_SYS_ADMIN gone from every set, as Docker's default profile does; the
# project is moved into a folder that is 0700 to root (as the hosts keep
# theirs), and its old place covered. Everything is graded once, in
# setup_file, inside one such container: lab 01 and lab 14's fixed.c and
# broken.c, the hostile corpus (tests/hostile/*.c, whatever it holds) as a
# class, and what the level cannot contain, through the sandbox directly.
load helpers

# The hostile batch runs with short checks, so the hanging cases end soon;
# a case must end within this bound (generous: the machine may be loaded).
BOUND=120

# The files and processes a level-2 sandbox may have left: files owned by
# the sandbox's uids (200000-299999) in the folders it could write to (the
# only world-writable folders of a Debian system: /tmp, /var/tmp, /dev/shm,
# /run/lock; and /work, where the project lives) outside any grade's own folder
# (/tmp/locklab-grade.*, where bwrap grades running beside this one chown
# their builds to such a uid), and processes of those uids in this PID
# namespace that are not a bwrap of another grade (bwrap's children live in
# PID namespaces of their own).
leftovers() {
    find /tmp /var/tmp /dev/shm /run/lock /work -xdev -path '*/locklab-grade.*' -prune -o \
        \( -uid +199999 -uid -300000 -print \) 2>/dev/null | sort -u
    local pid uid ns
    ns=$(readlink /proc/self/ns/pid)
    for pid in $(ps -eo pid=,uid= | awk '$2 >= 200000 && $2 < 300000 { print $1 }'); do
        [[ $(readlink "/proc/$pid/ns/pid" 2>/dev/null) == "$ns" ]] || continue
        [[ $(cat "/proc/$pid/comm" 2>/dev/null) == bwrap ]] && continue
        echo "process $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
    done
}

setup_file() {
    cd "$ROOT"
    need_bin "$BUILD/grading/seccomp-exec"
    local t=$BATS_FILE_TMPDIR
    gcc -std=gnu11 -O2 -Wall -Wextra -Werror tests/c/container.c -o "$t/container" -lseccomp ||
        fail "tests/c/container.c does not build"
    leftovers >"$t/leftovers.before"
    # The container's root-only folder, with the project inside.
    box=$(mktemp -d /tmp/locklab-container.XXXXXX)
    echo "$box" >"$t/box"
    mkdir "$box/locklab" "$t/out"
    # The graders' temporary folders: the sandbox's uid needs nothing in
    # them (the seccomp level copies what a command needs), so Bats' own is
    # as good as any; one of this file's own, to find leftovers by path.
    mkdir -m 711 "$t/tmp"
    cat >"$t/inside.sh" <<'EOF'
set -u
cd "$1" || exit 1
out=$2
export TMPDIR=$3
grading/lib/sandbox --probe --out "$out/probe.log" -- true >"$out/level"
LAB_SANDBOX_LEVEL=bwrap grading/lib/sandbox --out "$out/bwrap.log" -- true
echo $? >"$out/bwrap.rc"
for sub in 01/fixed 01/broken 14/fixed 14/broken; do
    lab=${sub%/*} impl=${sub#*/}
    dir=$(scripts/lab resolve "$lab")
    grading/grade --quiet --out "$out/$lab-$impl" "$lab" "labs/$dir/$impl.c"
    echo $? >"$out/$lab-$impl/rc"
done
start=$SECONDS
# Without the inspection of the object (LAB_INSPECT=0): what this level
# contains on its own, for the day the inspection misses something.
LAB_INSPECT=0 LAB_CHECK_TIMEOUT=5 grading/grade-batch --jobs 2 --out "$out/hostile" 01 tests/hostile >"$out/batch.out" 2>&1
echo $? >"$out/batch.rc"
echo $((SECONDS - start)) >"$out/batch.secs"
# What the level cannot contain, and what it does, seen from the sandbox.
grading/lib/sandbox --out "$out/peek.log" -- sh -c '
    echo "uid $(id -u)"
    echo "hostname: $(cat /etc/hostname)"
    echo "processes seen: $(ls /proc | grep -c "^[0-9]")"
    cat "$1/labs/01-race-counter/fixed.c" >/dev/null 2>&1 && echo "fixed.c: read" || echo "fixed.c: refused"
    ls "$1/build" >/dev/null 2>&1 && echo "build: listed" || echo "build: refused"
    bash -c "exec 3<>/dev/tcp/127.0.0.1/9" 2>&1 | grep -q "socket: Operation not permitted" && echo "tcp: no socket"
    cat /proc/1/environ >/dev/null 2>&1 && echo "init environ: read" || echo "init environ: refused"
    echo made >/tmp/locklab-peek-$(id -u) && echo "tmp: written"
    sleep 600 &
    echo done' sh "$PWD"
echo $? >"$out/peek.rc"
# A sandbox killed outright leaves its folder; the next one sweeps it.
sleep 3
grading/lib/sandbox --out "$out/sweep.log" -- true
EOF
    # Other checkouts of the suite on this machine (a developer's, CI's):
    # a container host has none, so they are covered.
    local d covers=()
    for d in /work/* /tmp/* /root/* /home/*; do
        [[ -f $d/labs/01-race-counter/fixed.c && ! $d -ef $ROOT && $d != "$box" ]] && covers+=(--cover "$d")
    done
    "$t/container" --move "$ROOT" "$box/locklab" "${covers[@]}" -- bash "$t/inside.sh" "$box/locklab" "$t/out" "$t/tmp" \
        >"$t/container.log" 2>&1
    echo $? >"$t/container.rc"
    leftovers >"$t/leftovers.after"
}

teardown_file() {
    rm -rf "$(cat "$BATS_FILE_TMPDIR/box")"
}

setup() {
    out=$BATS_FILE_TMPDIR/out
}

@test "in the container bubblewrap cannot start, and the probe picks the seccomp level as root" {
    assert_equal "$(cat "$BATS_FILE_TMPDIR/container.rc")" 0
    assert_equal "$(cat "$out/bwrap.rc")" 1
    run cat "$out/bwrap.log"
    assert_output --partial "bwrap: No permissions to create new namespace"
    assert_equal "$(cat "$out/level")" "uid+seccomp"
}

# graded LAB IMPL SCORE: the grade's report says SCORE/20 at the seccomp level.
graded() {
    local rep=$out/$1-$2/report.json
    assert_file_exists "$rep"
    run jq -r '"\(.sandbox) \(.status) \(.score)/\(.max_score)"' "$rep"
    assert_output "uid+seccomp graded $3"
    run cat "$out/$1-$2/report.txt"
    assert_line "  sandbox: uid+seccomp (no namespaces on this host: a uid of its own, rlimits, a seccomp filter)"
    run grep -c '<property name="sandbox" value="uid+seccomp"/>' "$out/$1-$2/junit.xml"
    assert_output 1
    run jq -r .output "$out/$1-$2/results.json"
    assert_line --partial "sandbox: uid+seccomp"
}

@test "lab 01 fixed.c: 20/20 at the seccomp level" {
    graded 01 fixed 20/20
    assert_equal "$(cat "$out/01-fixed/rc")" 0
}

@test "lab 01 broken.c: 4/20 at the seccomp level, as with bubblewrap" {
    graded 01 broken 4/20
    run jq -r '.tests[] | select(.status == "failed") | .reason' "$out/01-broken/report.json"
    assert_line --regexp ' lost'
    assert_line --partial 'ThreadSanitizer'
}

@test "lab 14 (processes) fixed.c: full marks at the seccomp level" {
    run jq -r '"\(.score) \(.max_score)"' "$out/14-fixed/report.json"
    read -r got max <<<"$output"
    graded 14 fixed "$max/$max"
}

@test "lab 14 (processes) broken.c: caught at the seccomp level" {
    run jq -r '.max_score' "$out/14-broken/report.json"
    local max=$output
    run jq -r '.score' "$out/14-broken/report.json"
    ((output < max)) || fail "broken.c got $output/$max"
    graded 14 broken "$output/$max"
}

@test "the hostile corpus, not inspected: each case scores what its header says for the sandbox alone, in bounded time" {
    local grades=$out/hostile f name rep want rx text
    assert_equal "$(cat "$out/batch.rc")" 0
    for f in "$ROOT"/tests/hostile/*.c; do
        name=$(basename "$f" .c)
        rep=$grades/students/$name/report.json
        assert_file_exists "$rep"
        want=$(hostile_want "$f" score uninspected)
        [[ -n $want ]] || fail "$f has no expect-score line"
        run jq -r '"\(.sandbox) \(.score)/\(.max_score)"' "$rep"
        # the header's score is a regular expression (a number, mostly)
        [[ $output =~ ^uid\+seccomp\ ($want)/20$ ]] || fail "$name: $output, its header says $want/20"
        (($(jq .execution_time "$rep") <= BOUND)) || fail "$name took $(jq .execution_time "$rep") s"
        rx=$(hostile_want "$f" reason uninspected)
        if [[ -n $rx ]]; then
            run jq -r '.tests[] | select(.status == "failed") | .reason' "$rep"
            [[ $output =~ $rx ]] || fail "$name: no reason matches '$rx': $output"
        fi
        text=$(sed -n 's/^ \* refuse-output: //p' "$f")
        if [[ -n $text ]]; then
            run grep -rF "$text" "$grades/students/$name"
            [[ $status != 0 ]] || fail "$name: its report shows '$text'"
        fi
    done
    local n
    n=$(ls "$ROOT"/tests/hostile/*.c | wc -l)
    (($(cat "$out/batch.secs") <= BOUND * (n / 2 + 1))) || fail "the batch took $(cat "$out/batch.secs") s"
}

@test "the hostile corpus: nothing read, nothing reached over the network" {
    local grades=$out/hostile
    # read-fixed hunts for fixed.c; the network case gets no socket at all.
    run jq -r '.tests[].output' "$grades/students/read-fixed/report.json"
    refute_output --partial 'read-fixed: found'
    run jq -r '.tests[].output' "$grades/students/network/report.json"
    refute_output --partial 'network: connected'
}

@test "no process left behind, no file written outside the grades' folders" {
    run diff "$BATS_FILE_TMPDIR/leftovers.before" "$BATS_FILE_TMPDIR/leftovers.after"
    assert_output ""
    run ls -A /tmp/locklab-sandbox
    assert_output ""
    run ls -A "$BATS_FILE_TMPDIR/tmp"
    assert_output ""
}

@test "what the seccomp level cannot contain, as documented, and what it does" {
    assert_equal "$(cat "$out/peek.rc")" 0
    run cat "$out/peek.log"
    assert_line --regexp '^uid 2[0-9]{5}$'
    # Cannot contain: world-readable host files, other processes in /proc,
    # writes to world-writable folders (removed after the command).
    assert_line "hostname: $(cat /etc/hostname)"
    local seen
    seen=$(sed -n 's/^processes seen: //p' "$out/peek.log")
    ((seen > 10)) || fail "saw only $seen processes"
    assert_line "tmp: written"
    # Contains: the project, the build, the network, other processes' secrets.
    assert_line "fixed.c: refused"
    assert_line "build: refused"
    assert_line "tcp: no socket"
    assert_line "init environ: refused"
    assert_line "done"
    run bash -c 'ls /tmp/locklab-peek-* 2>/dev/null'
    assert_output ""
}

@test "on this host, which allows namespaces, the probe picks bwrap" {
    run env LAB_SANDBOX_LEVEL=auto "$ROOT/grading/lib/sandbox" --probe --out "$BATS_FILE_TMPDIR/host-probe.log" -- true
    assert_output "bwrap"
}
