# Autolab and PrairieLearn, each run in the layout the host itself makes
# (Gradescope's is in dist.bats). What the host reads back is read here the
# way the host reads it: Autolab's rule for the last line replayed, and
# PrairieLearn's results.json held to the fields its documentation names.
load helpers

setup() {
    cd "$ROOT"
}

# autolab_scores OUTPUT: the scores Autolab takes from a job's output, as
# JSON, by its own rule (app/controllers/... assessment_autograde_core.rb,
# parseAutoresult, github.com/autolab/Autolab): the last line of the output
# with trailing white space gone, every `word:` rewritten to `"word":`,
# decoded as JSON, and its "scores" object required. A line the rule breaks
# fails here as it fails there.
autolab_scores() {
    /usr/bin/python3 - "$1" <<'PY'
import json, re, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read().rstrip()
last = text.splitlines()[-1] if text else ""
parsed = json.loads(re.sub(r"([a-zA-Z0-9]+):", r'"\1":', last))
if not isinstance(parsed, dict) or not isinstance(parsed.get("scores"), dict):
    sys.exit("Missing 'scores' object in the autoresult")
print(json.dumps(parsed["scores"], sort_keys=True))
PY
}

# tango_make JOB: `make` in the job's folder as Tango starts it: a make of
# its own, not a sub-make of whatever runs these tests (`make test` exports
# MAKELEVEL and MAKEFLAGS, and a sub-make prints "Leaving directory" last).
tango_make() {
    (cd "$1" && env -u BUILD -u LOCKLAB_BUILD -u MAKELEVEL -u MAKEFLAGS -u MFLAGS make)
}

@test "autolab: every lab's keys survive Autolab's rewrite of the last line, one per check" {
    local lab dir line keys
    for dir in labs/[0-9][0-9]-*/; do
        lab=$(basename "$dir")
        keys=$(awk -f grading/autolab/keys.awk "$dir/grade.bats" | cut -f1)
        # each key a short identifier, no two alike, one per check
        run grep -cvE '^[a-z][a-z0-9_]*$' <<<"$keys"
        assert_output 0
        assert_equal "$(sort -u <<<"$keys" | wc -l)" "$(awk -f grading/lib/checks.awk "$dir/grade.bats" | wc -l)"
        # the line the job prints, every key with a score
        line=$(jq -Rsc 'split("\n") | map(select(. != "") | {(.): 1}) | {scores: add}' <<<"$keys")
        printf 'report text: with colons\n%s\n' "$line" >"$BATS_TEST_TMPDIR/out"
        run autolab_scores "$BATS_TEST_TMPDIR/out"
        assert_success
        assert_equal "$(jq -r 'keys[]' <<<"$output" | sort)" "$(sort <<<"$keys")"
    done
}

@test "autolab: a job in Tango's folder (handin, Makefile, autograde.tar) is graded below full marks and succeeds" {
    run make -s autolab LAB=01 DIST="$BATS_TEST_TMPDIR/dist"
    assert_success
    local pack=$BATS_TEST_TMPDIR/dist/autolab-01-race-counter
    # Tango copies three files into a new folder and runs make there; the
    # output Autolab keeps is stdout and stderr together.
    local job=$BATS_TEST_TMPDIR/job
    mkdir "$job"
    cp labs/01-race-counter/broken.c "$job/student.c"
    cp "$pack/autograde-Makefile" "$job/Makefile"
    cp "$pack/autograde.tar" "$job/autograde.tar"
    tango_make "$job" >"$BATS_TEST_TMPDIR/output" 2>&1
    assert_equal "$?" 0
    run autolab_scores "$BATS_TEST_TMPDIR/output"
    assert_success
    # the problems the instructor creates, and what broken.c earns: the
    # one-thread check, nothing else
    assert_equal "$(jq -r 'keys[]' <<<"$output" | sort)" "$(tail -n +2 "$pack/problems.tsv" | cut -f1 | sort)"
    assert_equal "$(jq -c '[to_entries[] | select(.value > 0) | .key]' <<<"$output")" '["single"]'
    assert_equal "$(jq '.single' <<<"$output")" "$(awk -F'\t' '$1 == "single" { print $2 }' "$pack/problems.tsv")"
    # the report above it says why the rest scored nothing
    run grep -c '^  \[ 0/' "$BATS_TEST_TMPDIR/output"
    assert_output 3

    # A handin that is not one C file: still a scores line, every key 0.
    rm "$job/student.c"
    tango_make "$job" >"$BATS_TEST_TMPDIR/output" 2>&1
    assert_equal "$?" 0
    run autolab_scores "$BATS_TEST_TMPDIR/output"
    assert_success
    assert_equal "$(jq '[.[]] | add' <<<"$output")" 0
    run grep -c 'Hand in one C file' "$BATS_TEST_TMPDIR/output"
    assert_output 1
}

# pl_job ROOT FILE...: PrairieLearn's /grade under ROOT (serverFilesCourse
# copied with execute bits on the entry point only, the student's files in
# student/, data/data.json), then the entry point run from /, as the
# container starts it.
pl_job() {
    local top=$1 name=locklab-01-race-counter
    shift
    rm -rf "$top"
    mkdir -p "$top/serverFilesCourse" "$top/student" "$top/data"
    cp -r "$BATS_FILE_TMPDIR/pl/prairielearn-01-race-counter/serverFilesCourse/$name" "$top/serverFilesCourse/"
    find "$top/serverFilesCourse" -type f -exec chmod a-x {} +
    chmod +x "$top/serverFilesCourse/$name/grading/prairielearn/run"
    echo '{"params": {}, "submitted_answers": {}}' >"$top/data/data.json"
    (($#)) && cp "$@" "$top/student/"
    (cd / && env -u BUILD -u LOCKLAB_BUILD "$top/serverFilesCourse/$name/grading/prairielearn/run") \
        >"$top.log" 2>&1
}

setup_file() {
    cd "$ROOT"
    make -s prairielearn LAB=01 DIST="$BATS_FILE_TMPDIR/pl" >"$BATS_FILE_TMPDIR/pl.out" 2>&1
}

@test "prairielearn: /grade as PrairieLearn lays it out; results.json as it documents" {
    local info=$BATS_FILE_TMPDIR/pl/prairielearn-01-race-counter/info.json
    run jq -r '.externalGradingOptions | [.enabled, .entrypoint, (.serverFilesCourse | join(",")), .timeout] | @tsv' "$info"
    assert_output "$(printf 'true\t/grade/serverFilesCourse/locklab-01-race-counter/grading/prairielearn/run\tlocklab-01-race-counter/\t300')"

    local top=$BATS_TEST_TMPDIR/grade
    cp labs/01-race-counter/fixed.c "$BATS_TEST_TMPDIR/student.c"
    pl_job "$top" "$BATS_TEST_TMPDIR/student.c"
    assert_equal "$?" 0
    local r=$top/results/results.json
    assert_file_exists "$r"
    # score in [0, 1]; each test with name, points, max_points, message, output
    run jq -r '[.gradable, .score, (.tests | length), ([.tests[].max_points] | add), ([.tests[].points] | add),
                ([.tests[] | has("name") and has("message") and has("output")] | all)] | @tsv' "$r"
    assert_output "$(printf 'true\t1\t%d\t20\t20\ttrue' "$(awk -f grading/lib/checks.awk labs/01-race-counter/grade.bats | wc -l)")"
    run jq -r .message "$r"
    assert_output "lab 01-race-counter, submission student.c: 20/20"
    # under PrairieLearn's 1 MB
    (($(stat -c %s "$r") < 1000000))
}

@test "prairielearn: a build failure or a missing file is not gradable (no attempt used), and says why" {
    local top=$BATS_TEST_TMPDIR/grade
    printf 'int counter_create(void) { return }\n' >"$BATS_TEST_TMPDIR/student.c"
    pl_job "$top" "$BATS_TEST_TMPDIR/student.c"
    assert_equal "$?" 0
    run jq -r '[.gradable, .score, (.format_errors | length > 0)] | @tsv' "$top/results/results.json"
    assert_output "$(printf 'false\t0\ttrue')"
    run jq -r '.format_errors | join("\n")' "$top/results/results.json"
    assert_output --partial "error"
    run jq -r .message "$top/results/results.json"
    assert_output --partial "does not compile (no attempt used)"

    pl_job "$top"
    assert_equal "$?" 0
    run jq -r '[.gradable, .message] | @tsv' "$top/results/results.json"
    assert_output "$(printf 'false\tSubmit one C file for lab 01-race-counter (student.c).')"
}

@test "prairielearn: broken.c scores what its checks earn, as a fraction" {
    local top=$BATS_TEST_TMPDIR/grade
    cp labs/01-race-counter/broken.c "$BATS_TEST_TMPDIR/student.c"
    pl_job "$top" "$BATS_TEST_TMPDIR/student.c"
    assert_equal "$?" 0
    run jq -r '[.gradable, .score, ([.tests[] | select(.points < .max_points)] | length)] | @tsv' "$top/results/results.json"
    assert_output "$(printf 'true\t0.2\t3')"
    run jq -r '[.tests[] | select(.points < .max_points) | .message | length > 0] | all' "$top/results/results.json"
    assert_output true
}
