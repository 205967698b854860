#!/bin/bash
# exec into a running container: `exec ID true`, capsa-runtime against crun
# and runc, interleaved in one run; medians and the ratio to crun. Each runtime
# runs its own sleeping container from the same busybox bundle.
set -euo pipefail
RUNS=${RUNS:-30}
. "$(dirname "$0")/lib.sh"

if [ -z "${CAPSA_BENCH_INNER:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "bench/exec.sh: needs root" >&2; exit 1; }
	exec unshare -m env CAPSA_BENCH_INNER=1 "$0" "$@"
fi
# Same environment for all: crun 1.8 refuses this hybrid cgroup host (see start.sh).
mount --make-rprivate /
umount /sys/fs/cgroup/unified 2>/dev/null || true

work=$(mktemp -d /run/capsa-bench-XXXXXX)
declare -A cmd=([capsa-runtime]="$CAPSA_TOP/build/capsa-runtime")
command -v crun >/dev/null && cmd[crun]=$(command -v crun)
command -v runc >/dev/null && cmd[runc]=$(command -v runc)
names=("${!cmd[@]}")
cleanup() {
	for n in "${names[@]}"; do "${cmd[$n]}" --root "$work/root-$n" delete -f bench-exec >/dev/null 2>&1 || true; done
	rm -rf "$work"
}
trap cleanup EXIT
bench_bundle "$work/bundle" sleep 100000

for n in "${names[@]}"; do
	"${cmd[$n]}" --root "$work/root-$n" run -d -b "$work/bundle" bench-exec >/dev/null </dev/null
	: >"$work/$n.times"
	"${cmd[$n]}" --root "$work/root-$n" exec bench-exec true
done
for i in $(seq 1 "$RUNS"); do
	for n in $(printf '%s\n' "${names[@]}" | shuf); do
		t0=$(now_ns)
		"${cmd[$n]}" --root "$work/root-$n" exec bench-exec true
		t1=$(now_ns)
		echo $((t1 - t0)) >>"$work/$n.times"
	done
done

crun_median=""
[ -n "${cmd[crun]:-}" ] && crun_median=$(stats "$work/crun.times" | cut -d' ' -f1)
printf '| runtime | version | median ms | p10 ms | p90 ms | vs crun |\n|---|---|---|---|---|---|\n'
for n in capsa-runtime crun runc; do
	[ -n "${cmd[$n]:-}" ] || continue
	read -r med p10 p90 < <(stats "$work/$n.times")
	ver=$("${cmd[$n]}" --version | head -1 | awk '{print $NF}')
	ratio="-"
	[ -n "$crun_median" ] && ratio=$(awk -v a="$med" -v b="$crun_median" 'BEGIN {printf "%.2fx", a/b}')
	printf '| %s | %s | %s | %s | %s | %s |\n' "$n" "$ver" "$med" "$p10" "$p90" "$ratio"
done
echo "($RUNS runs each, interleaved; exec ID true into a running busybox container)"
