#!/bin/bash
# Runs every libFuzzer target in $FUZZ_BUILD/fuzzers for $1 seconds (default 60) on its seed corpus
# tests/fuzz/corpus/<name> (name without the fuzz_ prefix, or with it). New inputs go to
# $FUZZ_BUILD/corpus/<name>, never into the source tree; crash, leak, timeout and OOM inputs are copied to
# tests/fuzz/crashes/<target>-<kind>-<hash>. Prints one table line per target, writes the table to
# $FUZZ_BUILD/results.txt and exits non-zero when any target crashed. Usage: run.sh [SECONDS] [TARGET...]
set -uo pipefail
cd "$(dirname "$0")/../.."
B=${FUZZ_BUILD:-build/fuzz}
secs=${1:-60}
shift || true
crashdir=tests/fuzz/crashes

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for f in "$B"/fuzzers/fuzz_*; do
		[ -x "$f" ] && targets+=("$(basename "$f")")
	done
fi
if [ ${#targets[@]} -eq 0 ]; then
	echo "fuzz: no targets in $B/fuzzers (make fuzz-build)" >&2
	exit 1
fi

mkdir -p "$B/logs" "$B/artifacts"
# A crash stops only the target that found it; the others still run.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

results="$B/results.txt"
printf '%-24s %6s %12s %8s %7s %7s  %s\n' target secs execs exec/s corpus crashes result | tee "$results"
total_crashes=0
for t in "${targets[@]}"; do
	short=${t#fuzz_}
	seeds=tests/fuzz/corpus/$short
	[ -d "$seeds" ] || seeds=tests/fuzz/corpus/$t
	work=$B/corpus/$short
	mkdir -p "$work"
	dirs=("$work")
	[ -d "$seeds" ] && dirs+=("$seeds")
	art=$B/artifacts/$t
	rm -rf "$art"
	mkdir -p "$art"
	log=$B/logs/$t.log
	# -timeout: one input taking 10 s is a hang worth reporting; -rss_limit_mb keeps a bomb from
	# taking the shared machine down.
	"$B/fuzzers/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		-print_final_stats=1 -artifact_prefix="$art/" "${dirs[@]}" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	ncorpus=$(find "$work" -type f | wc -l)
	crashes=0
	for a in "$art"/*; do
		[ -f "$a" ] || continue
		mkdir -p "$crashdir"
		kind=$(basename "$a" | cut -d- -f1)
		cp "$a" "$crashdir/$t-$kind-$(sha1sum "$a" | cut -c1-12)"
		crashes=$((crashes + 1))
	done
	result=ok
	if [ $crashes -gt 0 ]; then
		result="CRASH (see $log)"
	elif [ $rc -ne 0 ]; then
		# No artifact but a failure: the target did not start (a broken build or corpus).
		result="FAILED rc=$rc (see $log)"
		crashes=1
	fi
	total_crashes=$((total_crashes + crashes))
	printf '%-24s %6s %12s %8s %7s %7s  %s\n' "$t" "$secs" "${execs:-0}" "${rate:-0}" "$ncorpus" "$crashes" \
		"$result" | tee -a "$results"
done
if [ $total_crashes -gt 0 ]; then
	echo "fuzz: $total_crashes crash(es); inputs in $crashdir/, reproduce with $B/fuzzers/<target> <file>"
	exit 1
fi
echo "fuzz: no crashes"
