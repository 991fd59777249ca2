# The reports of grading/grade as their real consumers read them: JUnit XML
# through xmllint and Python's junitparser, TAP through Perl's TAP::Parser
# and Python's tappy, the JSON through jq. Three grades feed them: a
# submission that fails every check while printing bytes made to break a
# reader (tests/fixtures/reports/hostile-output.c), the reference (every
# check passes) and a build failure. Each consumer's counts are held against
# report.json, the grader's own verdicts.
load helpers

# Debian's python3-junitparser and python3-tap install for Debian's python3,
# which a pyenv or venv python3 first on PATH cannot import.
PY=/usr/bin/python3

setup_file() {
    cd "$ROOT"
    local d=$BATS_FILE_TMPDIR rc
    rc=0
    grading/grade --quiet --out "$d/hostile" 01 tests/fixtures/reports/hostile-output.c 2>"$d/hostile.err" || rc=$?
    echo $rc >"$d/hostile.rc"
    rc=0
    grading/grade --quiet --out "$d/fixed" 01 labs/01-race-counter/fixed.c 2>"$d/fixed.err" || rc=$?
    echo $rc >"$d/fixed.rc"
    rc=0
    grading/grade --quiet --out "$d/build" 01 tests/fixtures/reports/syntax-error.c 2>"$d/build.err" || rc=$?
    echo $rc >"$d/build.rc"
}

setup() {
    cd "$ROOT"
    for mod in junitparser tap; do
        "$PY" -c "import $mod" 2>/dev/null || fail "$PY cannot import $mod: install the Debian packages (scripts/ensure-deps test)"
    done
}

# The three report folders, by name.
kinds=(hostile fixed build)

@test "reports: the three grades ran as expected, and the hostile bytes reached the reports" {
    assert_equal "$(cat "$BATS_FILE_TMPDIR/hostile.rc")" 1
    assert_equal "$(cat "$BATS_FILE_TMPDIR/fixed.rc")" 0
    assert_equal "$(cat "$BATS_FILE_TMPDIR/build.rc")" 1
    local h=$BATS_FILE_TMPDIR/hostile
    assert_equal "$(jq -r .status "$h/report.json")" graded
    assert_equal "$(jq -r .status "$BATS_FILE_TMPDIR/fixed/report.json")" graded
    assert_equal "$(jq -r .status "$BATS_FILE_TMPDIR/build/report.json")" build-failed
    # Otherwise the consumers below would be reading harmless text.
    run jq -r '.tests[0].output' "$h/report.json"
    assert_line "ok 1 - fake"
    assert_line "not ok"
    assert_line "</failure>]]>&<"
    assert_line "# TODO"
    assert_line --partial "ok 7 - fake, behind a bare CR"
    assert_line --partial "ok 8 - fake, behind a NEL"
    assert_file_contains "$h/junit.xml" '&lt;/failure&gt;]]&gt;&amp;&lt;'
    assert_file_contains "$h/report.tap" '^#   \| ok 1 - fake$'
}

@test "reports: the verdicts survive: every check of the hostile submission fails in every format" {
    local h=$BATS_FILE_TMPDIR/hostile n
    n=$(jq '.tests | length' "$h/report.json")
    ((n > 0)) || fail "no checks in report.json"
    assert_equal "$(jq '[.tests[] | select(.status == "failed")] | length' "$h/report.json")" "$n"
    assert_equal "$(jq '[.tests[] | select(.status == "failed" and .score == 0)] | length' "$h/results.json")" "$n"
    assert_equal "$(jq .score "$h/results.json")" 0
    assert_equal "$(grep -c '^not ok [0-9]' "$h/report.tap")" "$n"
    assert_equal "$(xmllint --xpath 'count(//testcase/failure)' "$h/junit.xml")" "$n"
}

@test "junit.xml: xmllint accepts it; every testcase has a time; the suite has errors and skipped" {
    for k in "${kinds[@]}"; do
        local x=$BATS_FILE_TMPDIR/$k/junit.xml
        run xmllint --noout "$x"
        assert_success
        assert_output ""
        assert_equal "$(xmllint --xpath 'count(//testcase)' "$x")" "$(jq '.tests | length' "$BATS_FILE_TMPDIR/$k/report.json")"
        assert_equal "$(xmllint --xpath 'count(//testcase[not(@time)])' "$x")" 0
        assert_equal "$(xmllint --xpath 'count(//testsuite)' "$x")" 1
        assert_equal "$(xmllint --xpath 'count(//testsuite[@errors and @skipped and @failures and @tests and @time])' "$x")" 1
    done
}

# junit_counts DIR: "tests failures errors skipped" as junitparser reads
# DIR/junit.xml (from the cases themselves, and the suite's attributes must
# agree), then one line per case: its name and pass, failure or error; and
# for an error, whether its text holds MARK (the environment's).
junit_counts() {
    MARK=${MARK:-} "$PY" - "$1/junit.xml" <<'EOF'
import os, sys
from junitparser import JUnitXml, Failure, Error, Skipped
xml = JUnitXml.fromfile(sys.argv[1])
mark = os.environ["MARK"]
suites = list(xml) if isinstance(xml, JUnitXml) else [xml]
tests = failures = errors = skipped = 0
lines = []
for suite in suites:
    st = [0, 0, 0, 0]
    for case in suite:
        if case.time is None:
            sys.exit("no time on " + case.name)
        st[0] += 1
        kind = "pass"
        for r in case.result:
            if isinstance(r, Failure):
                kind = "failure"
                st[1] += 1
            elif isinstance(r, Error):
                kind = "error" + (" with the compiler's words" if mark and mark in (r.text or "") else "")
                st[2] += 1
            elif isinstance(r, Skipped):
                kind = "skipped"
                st[3] += 1
        lines.append(case.name + ": " + kind)
    if [suite.tests, suite.failures, suite.errors, suite.skipped] != st:
        sys.exit("suite %s says %r, its cases %r" % (suite.name, [suite.tests, suite.failures, suite.errors, suite.skipped], st))
    tests, failures, errors, skipped = tests + st[0], failures + st[1], errors + st[2], skipped + st[3]
print(tests, failures, errors, skipped)
print("\n".join(lines))
EOF
}

# What junit_counts must say, from report.json.
junit_want() {
    jq -r --arg mark "${MARK:-}" '
      (if .status == "graded" then "failure" else "error" end) as $bad |
      (.tests | length) as $n | ([.tests[] | select(.status != "passed")] | length) as $f |
      "\($n) \(if $bad == "failure" then $f else 0 end) \(if $bad == "error" then $f else 0 end) 0",
      (.tests[] | .name + ": " + (if .status == "passed" then "pass"
        elif $bad == "failure" then "failure"
        else "error" + (if $mark != "" then " with the compiler'"'"'s words" else "" end) end))' "$1/report.json"
}

@test "junit.xml: junitparser counts the tests, failures and errors report.json has" {
    for k in hostile fixed; do
        run junit_counts "$BATS_FILE_TMPDIR/$k"
        assert_success
        assert_output "$(junit_want "$BATS_FILE_TMPDIR/$k")"
    done
    run junit_counts "$BATS_FILE_TMPDIR/hostile"
    assert_line --index 0 "4 4 0 0"
    run junit_counts "$BATS_FILE_TMPDIR/fixed"
    assert_line --index 0 "4 0 0 0"
}

@test "junit.xml: a build failure is an <error> per check, holding the compiler's message" {
    local b=$BATS_FILE_TMPDIR/build
    # The compiler's own error line, as report.json keeps it.
    MARK=$(jq -r '.compiler | split("\n")[] | select(test("error:"))' "$b/report.json" | head -n 1)
    [[ $MARK == *"syntax-error.c:"*"error:"* ]] || fail "no compiler error in report.json: $(jq .compiler "$b/report.json")"
    export MARK
    run junit_counts "$b"
    assert_success
    assert_output "$(junit_want "$b")"
    assert_line --index 0 "4 0 4 0"
}

# tap_perl FILE / tap_py FILE: "planned run parse-errors", then "N ok" or
# "N not ok" per test line (the raw verdict: a TODO directive would not
# change it), then "todo K" for test lines that carry a TODO or SKIP.
tap_perl() {
    perl -MTAP::Parser -e '
        open my $fh, "<:raw", $ARGV[0] or die "$ARGV[0]: $!";
        my $tap = do { local $/; <$fh> };
        my $p = TAP::Parser->new({ tap => $tap });
        my (@lines, $directives);
        while (my $r = $p->next) {
            next unless $r->is_test;
            push @lines, $r->number . " " . ($r->is_actual_ok ? "ok" : "not ok");
            $directives++ if $r->has_todo || $r->has_skip;
        }
        my @errors = $p->parse_errors;
        print join(" ", $p->tests_planned // "none", $p->tests_run, scalar @errors), "\n";
        print "$_\n" for @lines;
        print "todo ", $directives // 0, "\n";
        print STDERR "$_\n" for @errors;' "$1"
}

tap_py() {
    "$PY" - "$1" <<'EOF'
import contextlib, sys
from tap.parser import Parser
planned, lines, directives = "none", [], 0
# tappy prints a warning on stdout when it lacks its YAML module.
with contextlib.redirect_stdout(sys.stderr):
    parsed = list(Parser().parse_file(sys.argv[1]))
for line in parsed:
    if line.category == "plan":
        planned = str(line.expected_tests)
    elif line.category == "test":
        lines.append("%s %s" % (line.number, "ok" if line.ok else "not ok"))
        if line.todo or line.skip:
            directives += 1
print(planned, len(lines), 0)
print("\n".join(lines))
print("todo", directives)
EOF
}

# What both must say, from report.json.
tap_want() {
    jq -r '(.tests | length) as $n | "\($n) \($n) 0",
      (.tests | to_entries[] | "\(.key + 1) \(if .value.status == "passed" then "ok" else "not ok" end)"),
      "todo 0"' "$1/report.json"
}

@test "report.tap: Perl's TAP::Parser sees the plan's tests, the verdicts of report.json, nothing of the student's fake lines" {
    for k in "${kinds[@]}"; do
        run --separate-stderr tap_perl "$BATS_FILE_TMPDIR/$k/report.tap"
        assert_success
        assert_output "$(tap_want "$BATS_FILE_TMPDIR/$k")"
        assert_equal "$stderr" ""
    done
}

@test "report.tap: Python's tappy sees the plan's tests, the verdicts of report.json, nothing of the student's fake lines" {
    for k in "${kinds[@]}"; do
        run --separate-stderr tap_py "$BATS_FILE_TMPDIR/$k/report.tap"
        assert_success
        assert_output "$(tap_want "$BATS_FILE_TMPDIR/$k")"
    done
}

@test "results.json and report.json: valid JSON, no raw control character in any string but LF and tab" {
    for k in "${kinds[@]}"; do
        for f in results.json report.json; do
            local j=$BATS_FILE_TMPDIR/$k/$f
            run jq -e . "$j"
            assert_success
            # C0 (but tab and LF), DEL and C1; and U+FFFE, U+FFFF.
            run jq -r '[.. | strings | select(test("[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffe\uffff]"))] | length' "$j"
            assert_output 0
        done
    done
    # The hostile bytes are still there for the student to read, made visible.
    run jq -r '.tests[0].output' "$BATS_FILE_TMPDIR/hostile/results.json"
    assert_line --partial 'progress 50%\x0Dok 7 - fake'
    assert_line --partial 'control \x01 and \x1B[31mred'
    assert_line --partial 'invalid UTF-8 \xFF\xFE and a lone \xC3 here'
    assert_line --partial 'a C1 control: next line \xC2\x85ok 8 - fake'
}
