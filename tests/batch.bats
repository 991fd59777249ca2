# grade-batch as an instructor meets it: progress per student, a warning when
# the class looks like another lab's, grades kept out of the suite, nothing
# left behind by a batch that could not start; and over several hosts with
# --sshlogin (a loopback sshd of the test's own).
load helpers

# An sshd of the test's own on loopback, for grade-batch --sshlogin: a host
# key and a client key made here, root by key only (tests run as root in
# CI). When it cannot start, the reason goes into sshd.fail and the test that
# needs it fails with it: never a silent skip.
setup_file() {
    local d=$BATS_FILE_TMPDIR/ssh port
    mkdir -p "$d"
    sshd_fail() { echo "$*" >"$d/sshd.fail"; }
    ((EUID == 0)) || { sshd_fail "not root (uid $EUID): the loopback sshd logs in as root"; return 0; }
    [[ -x /usr/sbin/sshd ]] || { sshd_fail "no /usr/sbin/sshd: install openssh-server (scripts/ensure-deps test)"; return 0; }
    ssh-keygen -q -t ed25519 -N '' -C locklab-test-host -f "$d/host_key" &&
        ssh-keygen -q -t ed25519 -N '' -C locklab-test-client -f "$d/client_key" &&
        cp "$d/client_key.pub" "$d/authorized_keys" || { sshd_fail "ssh-keygen failed"; return 0; }
    # A free port: nothing answers on it.
    for port in {2222..2299}; do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
    done
    cat >"$d/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $d/host_key
AuthorizedKeysFile $d/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile $d/sshd.pid
CONF
    cat >"$d/ssh_config" <<CONF
Host localhost-alias
    HostName 127.0.0.1
    Port $port
    User root
    IdentityFile $d/client_key
    IdentitiesOnly yes
    BatchMode yes
    StrictHostKeyChecking no
    UserKnownHostsFile /dev/null
    LogLevel ERROR
CONF
    # sshd will not start without its privilege separation folder.
    [[ -d /run/sshd ]] || mkdir -p -m 755 /run/sshd
    /usr/sbin/sshd -t -f "$d/sshd_config" 2>"$d/sshd.test" || { sshd_fail "sshd -t rejects the config: $(cat "$d/sshd.test")"; return 0; }
    # No descriptor of Bats's held open: Bats waits for those.
    /usr/sbin/sshd -D -f "$d/sshd_config" -E "$d/sshd.log" </dev/null >/dev/null 2>&1 3>&- &
    echo $! >"$d/sshd.bgpid"
    for _ in {1..50}; do
        ssh -F "$d/ssh_config" localhost-alias true 2>"$d/ssh.err" && return 0
        kill -0 "$(cat "$d/sshd.bgpid")" 2>/dev/null || break
        sleep 0.2
    done
    sshd_fail "no ssh login to the loopback sshd on port $port: $(cat "$d/ssh.err") / sshd said: $(cat "$d/sshd.log" 2>/dev/null)"
}

teardown_file() {
    local pidf=$BATS_FILE_TMPDIR/ssh/sshd.bgpid
    [[ -s $pidf ]] && kill "$(cat "$pidf")" 2>/dev/null
    return 0
}

setup() {
    cd "$ROOT"
    export HOME=$BATS_TEST_TMPDIR/home
    mkdir -p "$HOME"
}

@test "grade-batch: lab 07 files graded as lab 01 are named as such; a line per student; the default folder is outside the suite" {
    class=$BATS_TEST_TMPDIR/class
    mkdir -p "$class/eve"
    for s in ann ben cid; do cp labs/07-condition/broken.c "$class/$s.c"; done
    # a folder whose one .c file has another name, as Gradescope takes it
    cp labs/01-race-counter/fixed.c "$class/eve/counter_final.c"
    run --separate-stderr grading/grade-batch --jobs 2 01 "$class"
    assert_success
    assert_line --regexp "^grading 4 submissions for 01-race-counter, 2 at a time, into $HOME/locklab-grades/grades-01-race-counter-[0-9-]+/$"
    for s in ann ben cid; do assert_line "  $s: 0/20 build-failed"; done
    assert_line "  eve: 20/20 graded"
    [[ $stderr == *"3 of 4 submissions do not build; most include queue.h, which 01-race-counter does not have: are these 07-condition submissions?"* ]] ||
        fail "no wrong-lab warning: $stderr"
    run ls "$HOME/locklab-grades"
    assert_output --regexp '^grades-01-race-counter-[0-9]{8}-[0-9]{6}$'
}

@test "grade-batch: grades never go inside the suite; an empty class or a bad lab leaves nothing behind" {
    mkdir -p "$BATS_TEST_TMPDIR/empty"
    run grading/grade-batch --out "$BATS_TEST_TMPDIR/out" 01 "$BATS_TEST_TMPDIR/empty"
    assert_equal "$status" 2
    assert_output --partial "no submissions in"
    assert_not_exist "$BATS_TEST_TMPDIR/out"
    run grading/grade-batch 01 "$BATS_TEST_TMPDIR/empty"
    assert_equal "$status" 2
    assert_not_exist "$HOME/locklab-grades"
    run grading/grade-batch 99 "$BATS_TEST_TMPDIR/empty"
    assert_equal "$status" 2
    assert_output --partial "unknown lab '99'"
    run grading/grade-batch --out "$ROOT/grades-here" 01 tests/hostile
    assert_equal "$status" 2
    assert_output --partial "is inside the suite"
    assert_not_exist "$ROOT/grades-here"
}

@test "grade-batch --sshlogin: jobs on this host and over ssh (loopback), the same gradebook as a local batch" {
    local d=$BATS_FILE_TMPDIR/ssh
    [[ ! -e $d/sshd.fail ]] || fail "the loopback sshd could not start: $(cat "$d/sshd.fail")"
    class=$BATS_TEST_TMPDIR/class
    mkdir -p "$class"
    cp labs/01-race-counter/fixed.c "$class/ann.c"
    cp labs/01-race-counter/broken.c "$class/ben.c"
    cp tests/fixtures/reports/syntax-error.c "$class/cid.c"
    # The class and the grades are at the same paths on both "hosts": the
    # shared folder grade-batch --help asks for.
    PARALLEL_SSH="ssh -F $d/ssh_config" run --separate-stderr grading/grade-batch --sshlogin "1/:,1/localhost-alias" \
        --out "$BATS_TEST_TMPDIR/remote" 01 "$class"
    assert_success
    assert_line "grading 3 submissions for 01-race-counter on 1/:,1/localhost-alias, into $BATS_TEST_TMPDIR/remote/"
    assert_line "  ann: 20/20 graded"
    assert_line "  ben: 4/20 graded"
    assert_line "  cid: 0/20 build-failed"
    run cat "$BATS_TEST_TMPDIR/remote/gradebook.csv"
    assert_equal "${#lines[@]}" 4
    assert_line --index 1 '"ann","01-race-counter",20,20,4,6,4,6,"graded"'
    assert_line --index 2 '"ben","01-race-counter",4,20,4,0,0,0,"graded"'
    assert_line --index 3 '"cid","01-race-counter",0,20,0,0,0,0,"build-failed"'
    # Some of it really went through ssh: parallel's job log names the host,
    # and the sshd let the key in.
    run awk -F'\t' 'NR > 1 { print $2 }' "$BATS_TEST_TMPDIR/remote/jobs.log"
    assert_equal "${#lines[@]}" 3
    assert_line "localhost-alias"
    assert_file_contains "$d/sshd.log" "Accepted publickey for root"
    # The same class graded here alone: the same gradebook.
    run grading/grade-batch --jobs 2 --out "$BATS_TEST_TMPDIR/local" 01 "$class"
    assert_success
    run diff "$BATS_TEST_TMPDIR/local/gradebook.csv" "$BATS_TEST_TMPDIR/remote/gradebook.csv"
    assert_success
    run awk -F'\t' 'NR > 1 { print $2 }' "$BATS_TEST_TMPDIR/local/jobs.log"
    refute_line "localhost-alias"
}

@test "grade-batch --sshlogin: an empty list is bad usage" {
    run grading/grade-batch --sshlogin "" 01 "$BATS_TEST_TMPDIR"
    assert_equal "$status" 2
    assert_output --partial "--sshlogin wants parallel's list of logins"
}
