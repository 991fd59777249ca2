# Shared set-up for the project's own Bats tests (tests/*.bats).
# Load with `load helpers`. Gives ROOT (the checkout), BUILD (out-of-tree build
# folder, `make` fills it) and bats-support / bats-assert / bats-file.
ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
BUILD=${LOCKLAB_BUILD:-$ROOT/build}
export ROOT BUILD
bats_require_minimum_version 1.5.0
load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load
load /usr/lib/bats/bats-file/load

# need_bin PATH: fail loudly (never skip) when a binary `make` should have built is absent.
need_bin() {
    [[ -x $1 ]] || fail "missing $1: run 'make' first"
}

# hostile_want FILE KEY [uninspected]: what a hostile case's header expects
# (" * expect-KEY: ..." for the grade as it is, with the inspection of the
# object; with "uninspected", " * uninspected-KEY: ..." for the sandbox
# alone, LAB_INSPECT=0, falling back to expect-KEY where the case has no
# uninspected-score line: the inspection let it through, so the two agree).
hostile_want() {
    local file=$1 key=$2 mode=${3:-}
    if [[ $mode == uninspected ]] && grep -q '^ \* uninspected-score: ' "$file"; then
        sed -n "s/^ \\* uninspected-$key: //p" "$file"
    else
        sed -n "s/^ \\* expect-$key: //p" "$file"
    fi
}
