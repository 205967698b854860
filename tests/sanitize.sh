#!/bin/bash
# Runs the unit tests, the given bats files and those in $ASAN_BATS_NOLEAK (with LeakSanitizer off) against the sanitizer build in $ASAN_BUILD (make check-asan).
# Sanitizer reports go to $ASAN_BUILD/logs/ rather than stderr, because bats tests compare the runtime's
# output and a container's init may write after its stderr is gone; every report there fails the run.
set -uo pipefail
cd "$(dirname "$0")/.."
B=${ASAN_BUILD:-build/asan}
top=$(pwd)
logs=$top/$B/logs
rm -rf "$logs"
mkdir -p "$logs"

# detect_leaks: LeakSanitizer at every exit() of an instrumented process (_exit paths skip it).
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:log_path=$logs/asan:log_exe_name=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan:log_exe_name=1"
export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp:print_suppressions=0"

# A process a test leaves behind holding bats' output pipe would otherwise stall the run for good.
bats_limit=${ASAN_BATS_TIMEOUT:-1200}
rc=0
units=()
for src in tests/unit/test_*.c; do
	units+=("$B/tests/$(basename "$src" .c)")
done
echo "check-asan: ${#units[@]} unit tests"
prove -f "${units[@]}" || rc=1

if [ $# -gt 0 ]; then
	echo "check-asan: bats smoke subset: $*"
	CAPSA_RUNTIME=$top/$B/capsa-runtime CAPSA_CLI=$top/$B/capsa CAPSA_TEST_HELPERS=$top/$B/tests/helpers \
		timeout --kill-after=30 "$bats_limit" ./tests/run-bats.sh "$@" || rc=1
fi
if [ -n "${ASAN_BATS_NOLEAK:-}" ]; then
	echo "check-asan: bats without leak checks: $ASAN_BATS_NOLEAK"
	# shellcheck disable=SC2086
	ASAN_OPTIONS=${ASAN_OPTIONS/detect_leaks=1/detect_leaks=0} CAPSA_RUNTIME=$top/$B/capsa-runtime \
		CAPSA_CLI=$top/$B/capsa CAPSA_TEST_HELPERS=$top/$B/tests/helpers timeout --kill-after=30 "$bats_limit" \
		./tests/run-bats.sh $ASAN_BATS_NOLEAK ||
		rc=1
fi

reports=$(find "$logs" -type f -size +0 | sort)
if [ -n "$reports" ]; then
	echo "check-asan: $(echo "$reports" | wc -l) sanitizer report(s):"
	for f in $reports; do
		echo "--- $f"
		grep -E 'ERROR|SUMMARY|runtime error|#[0-9] ' "$f" | head -25
	done
	rc=1
else
	echo "check-asan: no sanitizer reports"
fi
exit $rc
