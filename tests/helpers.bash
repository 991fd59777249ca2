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
