#!/bin/bash
# Container start-up: create + start + wait + delete of /bin/true in a busybox
# bundle (each runtime's `run`, which does exactly that), capsa-runtime against
# crun and runc, interleaved in one run. Prints a table with medians and the
# ratio to crun.
#
# The bundle says ociVersion 1.0.2: crun 1.8 rejects 1.2.0 as unknown.
# crun 1.8 (Debian 12) refuses this hybrid cgroup host, so every contender runs
# in one private mount namespace where /sys/fs/cgroup/unified is unmounted.
set -euo pipefail
RUNS=${RUNS:-30}
. "$(dirname "$0")/lib.sh"

if [ -z "${CAPSA_BENCH_INNER:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "bench/start.sh: needs root" >&2; exit 1; }
	exec unshare -m env CAPSA_BENCH_INNER=1 "$0" "$@"
fi
mount --make-rprivate /
umount /sys/fs/cgroup/unified 2>/dev/null || true

# State roots on tmpfs under /run, where every runtime keeps them by default.
work=$(bench_workdir)
trap 'umount -l "$work" 2>/dev/null; rm -rf "$work"' EXIT
bench_bundle "$work/bundle" /bin/true

declare -A cmd=([capsa-runtime]="$CAPSA_TOP/build/capsa-runtime")
command -v crun >/dev/null && cmd[crun]=$(command -v crun)
command -v runc >/dev/null && cmd[runc]=$(command -v runc)
names=("${!cmd[@]}")

for n in "${names[@]}"; do
	: >"$work/$n.times"
	# One warm-up run each (page cache, dynamic loader).
	"${cmd[$n]}" --root "$work/root-$n" run -b "$work/bundle" "bench-warm" >/dev/null
done
for i in $(seq 1 "$RUNS"); do
	# A different order each round, so no runtime always runs right after another.
	for n in $(printf '%s\n' "${names[@]}" | shuf); do
		t0=$(now_ns)
		"${cmd[$n]}" --root "$work/root-$n" run -b "$work/bundle" "bench-$i" >/dev/null
		t1=$(now_ns)
		echo $((t1 - t0)) >>"$work/$n.times"
	done
done

report "$work" capsa-runtime crun runc
echo "($RUNS runs each, interleaved; create+start+wait+delete of /bin/true)"
