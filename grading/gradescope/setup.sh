#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image
# (Ubuntu 22.04 by default; 24.04 and Debian 12 work the same): it installs
# the packages grading needs, with names all three have
# (scripts/ensure-deps grade: no Bats helper libraries, which 22.04 lacks
# and grading never loads), then builds every lab's test driver once, so
# that grading a submission starts at once.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
scripts/ensure-deps grade
make -s build-grader
