#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image:
# it installs the Debian packages grading needs (the list is the suite's own,
# scripts/ensure-deps), nothing else.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
scripts/ensure-deps test
# Build the lab's test driver now, so that grading a submission starts at once.
make -s build-grader
