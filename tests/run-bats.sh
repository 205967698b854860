#!/bin/bash
# Runs the bats suite (or the files given) and ends with one summary line "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
# The tests see the shell a fresh CI machine gives: script(1) and others run commands with $SHELL, and
# dash (/bin/sh) forks where an interactive login's bash would exec (which once hid a test's hang).
export SHELL=/bin/sh
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(tests/integration/*.bats)
out=$(mktemp)
bats --tap "${files[@]}" | tee "$out"
rc=${PIPESTATUS[0]}
pass=$(grep -cE '^ok [0-9]+' "$out" | tr -d ' ')
skip=$(grep -cE '^ok [0-9]+ .*# skip' "$out" | tr -d ' ')
fail=$(grep -cE '^not ok [0-9]+' "$out" | tr -d ' ')
rm -f "$out"
echo "bats: $((pass - skip)) passed, $fail failed, $skip skipped"
exit "$rc"
