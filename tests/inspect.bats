# grading/lib/inspect: what it refuses before a submission runs, and that it
# refuses no design the suite itself holds (every lab's broken.c, fixed.c
# and alt-*.c here; the mutation corpus's half-fixes and mutants go through
# it in tests/mutants/run, where a refusal fails: wrong or right, each is a
# submission to grade, never to refuse).
load helpers

setup() {
    cd "$ROOT"
    cflags=$(make -s print-CFLAGS WARN="-Wall -Wextra")
}

# inspect_file LAB FILE: compiles FILE as grading/grade does (alone, with the
# lab's headers in a folder named inc/; the object and, kept by the same
# compiler run, its preprocessed source) and runs the inspection on it.
inspect_file() {
    local labdir=labs/$1 file=$2 t
    t=$(mktemp -d "${BATS_TEST_TMPDIR:-${TMPDIR:-/tmp}}/i.XXXXXX")
    mkdir "$t/inc"
    cp "$labdir"/*.h labs/common/lab.h "$t/inc/"
    cp "$file" "$t/x.c"
    # shellcheck disable=SC2086
    (cd "$t" && cc $cflags -Iinc -save-temps=obj -c x.c -o x.o) 2>"$t/cc.log" ||
        { echo "does not compile: $(head -n 3 "$t/cc.log")"; return 3; }
    grading/lib/inspect "$labdir" "$t/x.o" "$t/x.i"
}

@test "inspect: every implementation of the suite may run" {
    local d lab f
    export cflags
    export -f inspect_file
    for d in labs/[0-9][0-9]-*/; do
        lab=$(basename "$d")
        for f in "$d"broken.c "$d"fixed.c "$d"alt-*.c; do
            [[ -f $f ]] && printf '%s\t%s\n' "$lab" "$f"
        done
    done >"$BATS_TEST_TMPDIR/files"
    (($(wc -l <"$BATS_TEST_TMPDIR/files") > 50))
    # two at a time per CPU: each is a compiler run and a few binutils
    run parallel --colsep '\t' -j 200% 'out=$(inspect_file {1} {2}) || echo "{2}: $out"' :::: "$BATS_TEST_TMPDIR/files"
    assert_success
    assert_output ""
}

# refused_with LAB WANT LINE: a submission for LAB made of a correct lab 01
# counter plus LINE is refused, with one line that matches WANT.
refused_with() {
    local lab=$1 want=$2 body=$3
    printf '%s\n' '#include "counter.h"' '#include <stdlib.h>' '#include <stdio.h>' \
        '#include <unistd.h>' '#include <signal.h>' '#include <pthread.h>' \
        'struct counter { pthread_mutex_t m; long n; };' \
        'counter_t *counter_create(void) { counter_t *c = calloc(1, sizeof *c); pthread_mutex_init(&c->m, NULL); return c; }' \
        'void counter_inc(counter_t *c) { pthread_mutex_lock(&c->m); c->n++; pthread_mutex_unlock(&c->m); }' \
        'long counter_get(counter_t *c) { pthread_mutex_lock(&c->m); long n = c->n; pthread_mutex_unlock(&c->m); return n; }' \
        'void counter_destroy(counter_t *c) { pthread_mutex_destroy(&c->m); free(c); }' \
        "$body" >"$BATS_TEST_TMPDIR/sub.c"
    run inspect_file "$lab" "$BATS_TEST_TMPDIR/sub.c"
    assert_equal "$status" 1
    assert_output --regexp "^refused: .*$want"
    assert_equal "${#lines[@]}" 1
}

@test "inspect: a plain correct counter may run" {
    printf '%s\n' '#include "counter.h"' '#include <stdlib.h>' \
        'struct counter { long n; };' \
        'static long bump(long n) { return n + 1; }' \
        'counter_t *counter_create(void) { return calloc(1, sizeof(struct counter)); }' \
        'void counter_inc(counter_t *c) { c->n = bump(c->n); }' \
        'long counter_get(counter_t *c) { return c->n; }' \
        'void counter_destroy(counter_t *c) { free(c); }' >"$BATS_TEST_TMPDIR/ok.c"
    run inspect_file 01-race-counter "$BATS_TEST_TMPDIR/ok.c"
    assert_success
    assert_output ""
}

@test "inspect: code that runs on its own" {
    refused_with 01-race-counter 'constructor' '__attribute__((constructor)) static void early(void) { }'
    refused_with 01-race-counter 'destructor' '__attribute__((destructor)) static void late(void) { }'
    refused_with 01-race-counter 'section' '__attribute__((section(".init_array"), used)) static void (*early)(void) = 0;'
}

@test "inspect: assembly, pragmas and linking attributes" {
    refused_with 01-race-counter 'inline assembly' 'static void f(void) { __asm__ volatile("nop"); } void (*g)(void) = f;'
    refused_with 01-race-counter 'alias' 'void other(void) __attribute__((alias("counter_destroy")));'
    refused_with 01-race-counter '#pragma weak' '#pragma weak counter_get'
}

@test "inspect: definitions of the C library's or the driver's names, and non-static helpers" {
    refused_with 01-race-counter 'defines exit\(\), which overrides the C library' 'void exit(int s) { (void)s; for (;;) { } }'
    refused_with 01-race-counter 'defines getenv\(\)' 'char *getenv(const char *n) { (void)n; return NULL; }'
    refused_with 01-race-counter "defines lab_pass\\(\\), which overrides the lab's driver" 'void lab_pass(const char *f, ...) { (void)f; }'
    refused_with 01-race-counter 'defines helper\(\), which is not in the lab.s API \(make helpers static\)' 'int helper(void) { return 1; }'
    refused_with 01-race-counter 'defines global data total' 'long total;'
}

@test "inspect: calls outside the allow lists, and names that no list may allow" {
    refused_with 01-race-counter 'calls getenv\(\)' 'const char *peek(void); const char *peek(void) { return getenv("LAB_PASS_TOKEN"); }' 
    refused_with 01-race-counter 'uses environ' 'extern char **environ; static char **e(void) { return environ; } char **(*ep)(void) = e;'
    refused_with 01-race-counter 'calls fork\(\), not allowed in this lab' 'static int f(void) { return fork(); } int (*fp)(void) = f;'
    refused_with 01-race-counter 'calls kill\(\)' 'static int f(void) { return kill(1, 9); } int (*fp)(void) = f;'
    refused_with 01-race-counter 'calls pthread_atfork\(\)' 'static int f(void) { return pthread_atfork(0, 0, 0); } int (*fp)(void) = f;'
    refused_with 01-race-counter 'calls exit\(\)' 'static void f(void) { exit(0); } void (*fp)(void) = f;'
}

@test "inspect: a lab's allow list adds what it needs, never what stays refused" {
    # fork is lab 14's (processes share memory), not lab 01's
    grep -qx fork labs/14-shared-memory/allow
    run grep -x fork labs/01-race-counter/allow
    assert_failure
    # an allow file cannot let getenv in: the never list wins
    cp -r labs/01-race-counter "$BATS_TEST_TMPDIR/01-copy"
    echo getenv >"$BATS_TEST_TMPDIR/01-copy/allow"
    printf '%s\n' '#include "counter.h"' '#include <stdlib.h>' 'struct counter { long n; };' \
        'counter_t *counter_create(void) { return getenv("X") ? NULL : calloc(1, sizeof(struct counter)); }' \
        'void counter_inc(counter_t *c) { c->n++; }' 'long counter_get(counter_t *c) { return c->n; }' \
        'void counter_destroy(counter_t *c) { free(c); }' >"$BATS_TEST_TMPDIR/g.c"
    mkdir -p "$BATS_TEST_TMPDIR/inc"
    cp labs/01-race-counter/*.h labs/common/lab.h "$BATS_TEST_TMPDIR/inc/"
    cc $cflags -I"$BATS_TEST_TMPDIR/inc" -c "$BATS_TEST_TMPDIR/g.c" -o "$BATS_TEST_TMPDIR/g.o"
    run grading/lib/inspect "$BATS_TEST_TMPDIR/01-copy" "$BATS_TEST_TMPDIR/g.o"
    assert_failure 1
    assert_output "refused: calls getenv(), not allowed in this lab"
}

@test "inspect: bad usage is one line and exit 2" {
    run grading/lib/inspect labs/01-race-counter
    assert_failure 2
    assert_output --partial "usage: grading/lib/inspect LABDIR OBJECT"
    run grading/lib/inspect labs/01-race-counter "$BATS_TEST_TMPDIR/none.o"
    assert_failure 2
    assert_output "grading/lib/inspect: not a readable object: $BATS_TEST_TMPDIR/none.o"
    echo "int x;" >"$BATS_TEST_TMPDIR/t.c"
    run grading/lib/inspect labs/01-race-counter "$BATS_TEST_TMPDIR/t.c"
    assert_failure 2
    assert_output --partial "not a relocatable object"
}

@test "grade: a refused submission scores 0 with status refused, in every format" {
    printf '%s\n' '#include "counter.h"' '#include <stdlib.h>' 'struct counter { long n; };' \
        'counter_t *counter_create(void) { return calloc(1, sizeof(struct counter)); }' \
        'void counter_inc(counter_t *c) { c->n++; }' 'long counter_get(counter_t *c) { return c->n; }' \
        'void counter_destroy(counter_t *c) { free(c); }' \
        'void exit(int s) { (void)s; for (;;) { } }' >"$BATS_TEST_TMPDIR/cheat.c"
    run grading/grade --out "$BATS_TEST_TMPDIR/rep" 01 "$BATS_TEST_TMPDIR/cheat.c"
    assert_equal "$status" 1
    assert_line "  refused before anything ran (0 points):"
    assert_line "  | refused: defines exit(), which overrides the C library"
    assert_line "total 0/20"
    run jq -r '[.status, .score, ([.tests[].score] | add)] | @tsv' "$BATS_TEST_TMPDIR/rep/report.json"
    assert_output "$(printf 'refused\t0\t0')"
    run grep -c '<error message="not run: the submission was refused' "$BATS_TEST_TMPDIR/rep/junit.xml"
    assert_output 4
    run grep -F '# refused before anything ran (0 points):' "$BATS_TEST_TMPDIR/rep/report.tap"
    assert_success
    run jq -r '.output' "$BATS_TEST_TMPDIR/rep/results.json"
    assert_output --partial "refused: defines exit()"
}
