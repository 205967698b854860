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

work=$(bench_workdir)
declare -A cmd=([capsa-runtime]="$CAPSA_TOP/build/capsa-runtime")
command -v crun >/dev/null && cmd[crun]=$(command -v crun)
command -v runc >/dev/null && cmd[runc]=$(command -v runc)
names=("${!cmd[@]}")
cleanup() {
	for n in "${names[@]}"; do "${cmd[$n]}" --root "$work/root-$n" delete -f bench-exec >/dev/null 2>&1 || true; done
	umount -l "$work" 2>/dev/null
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

report "$work" capsa-runtime crun runc
echo "($RUNS runs each, interleaved; exec ID true into a running busybox container)"
