#!/bin/bash
# `capsa run --rm IMAGE true` against `podman run --rm` (with crun and with runc) and against
# `capsa-runtime run` on a prepared bundle, interleaved in one run; medians. Then what one process start
# of capsa and of capsa-runtime costs, and the RSS of one monitor (by then the small capsa-monitor
# program) holding a sleeping container.
#
# Every contender gets private state: capsa --root, podman --root/--runroot with cgroupfs, no events,
# no network. As in bench/start.sh, everything runs in a private mount namespace without the hybrid
# host's /sys/fs/cgroup/unified, which crun 1.8 refuses.
set -euo pipefail
RUNS=${RUNS:-20}
. "$(dirname "$0")/lib.sh"

if [ -z "${CAPSA_BENCH_INNER:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "bench/run.sh: needs root" >&2; exit 1; }
	exec unshare -m env CAPSA_BENCH_INNER=1 "$0" "$@"
fi
mount --make-rprivate /
umount /sys/fs/cgroup/unified 2>/dev/null || true

work=$(bench_workdir)
export CAPSA_CGROUP_PARENT=capsa-bench-$$
cleanup() {
	"$CAPSA_TOP/build/capsa" --root "$work/capsa" rm -f bench-rss bench-cfg >/dev/null 2>&1 || true
	podman --root "$work/podman" --runroot "$work/podman-run" --cgroup-manager cgroupfs --events-backend none \
		system reset -f >/dev/null 2>&1 || true
	grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -rf "$work"
	for d in /sys/fs/cgroup/*/"$CAPSA_CGROUP_PARENT"; do [ -d "$d" ] && rmdir "$d" 2>/dev/null || true; done
}
trap cleanup EXIT

bench_bundle "$work/bundle" /bin/true
rootfs="$work/bundle/rootfs"
echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
echo 'root:x:0:' >"$rootfs/etc/group"

capsa() { "$CAPSA_TOP/build/capsa" --root "$work/capsa" "$@"; }
podman_() {
	podman --root "$work/podman" --runroot "$work/podman-run" --cgroup-manager cgroupfs --events-backend none \
		--log-level error "$@"
}
capsa import "$rootfs" bench >/dev/null
tar -C "$rootfs" -c . | podman_ import - localhost/bench >/dev/null 2>&1

# The same config capsa generates (docker's defaults: seccomp profile, capabilities, masked paths, /etc
# binds), run by capsa-runtime alone on a plain copy of the rootfs: what the engine adds on top.
cfg_id=$(capsa create --name bench-cfg --network none bench true)
mkdir -p "$work/capsa-bundle"
cp -a "$rootfs" "$work/capsa-bundle/rootfs"
jq --arg r "$work/capsa-bundle/rootfs" --arg cg "/$CAPSA_CGROUP_PARENT/rt-same" '.root.path = $r | .root.readonly = false | .linux.cgroupsPath = $cg' \
	"$work/capsa/containers/$cfg_id/bundle/config.json" >"$work/capsa-bundle/config.json"

declare -A cmd
cmd[capsa]="capsa run --rm --network none bench true"
cmd[capsa-runtime-same-config]="$CAPSA_TOP/build/capsa-runtime --root $work/rt2 run -b $work/capsa-bundle bench"
cmd[capsa-runtime]="$CAPSA_TOP/build/capsa-runtime --root $work/rt run -b $work/bundle bench"
command -v crun >/dev/null && cmd[podman-crun]="podman_ run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 --runtime $(command -v crun) localhost/bench true"
command -v runc >/dev/null && cmd[podman-runc]="podman_ run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 --runtime $(command -v runc) localhost/bench true"
names=("${!cmd[@]}")

# Warm-up; a contender that cannot run here is reported and left out.
for n in "${names[@]}"; do
	: >"$work/$n.times"
	if ! err=$(eval "${cmd[$n]}" 2>&1 >/dev/null); then
		echo "skipped $n: $(echo "$err" | tail -1)"
		unset "cmd[$n]"
	fi
done
names=("${!cmd[@]}")
for i in $(seq 1 "$RUNS"); do
	for n in $(printf '%s\n' "${names[@]}" | shuf); do
		t0=$(now_ns)
		eval "${cmd[$n]}" >/dev/null
		t1=$(now_ns)
		echo $((t1 - t0)) >>"$work/$n.times"
	done
done

base=$(stats "$work/capsa-runtime.times" | cut -d' ' -f1)
printf '| command | median ms | p10 ms | p90 ms | vs capsa-runtime |\n|---|---|---|---|---|\n'
for n in capsa capsa-runtime capsa-runtime-same-config podman-crun podman-runc; do
	[ -n "${cmd[$n]:-}" ] || continue
	read -r med p10 p90 < <(stats "$work/$n.times")
	printf '| %s | %s | %s | %s | %+.2f ms |\n' "$n" "$med" "$p10" "$p90" "$(awk -v a="$med" -v b="$base" 'BEGIN{print a-b}')"
done
echo "($RUNS runs each, interleaved; capsa and podman run --rm --network none IMAGE true, capsa-runtime run on a bundle; $(bench_state_note "$work"))"
if [ -f "$work/podman-crun.times" ]; then
	awk -v a="$(stats "$work/capsa.times" | cut -d' ' -f1)" -v b="$(stats "$work/podman-crun.times" | cut -d' ' -f1)" \
		'BEGIN{printf "capsa run / podman run (crun): %.2fx (target 0.1x)\n", a/b}'
fi

# What one start of each binary costs (capsa run starts capsa twice: the sealed re-exec): most of it is
# loading and initialising the shared libraries the binary links.
: >"$work/start-capsa.times"
: >"$work/start-runtime.times"
for i in $(seq 1 "$RUNS"); do
	t0=$(now_ns)
	"$CAPSA_TOP/build/capsa" version >/dev/null
	t1=$(now_ns)
	"$CAPSA_TOP/build/capsa-runtime" --version >/dev/null
	t2=$(now_ns)
	echo $((t1 - t0)) >>"$work/start-capsa.times"
	echo $((t2 - t1)) >>"$work/start-runtime.times"
done
printf 'process start: capsa %s ms (%s shared libraries), capsa-runtime %s ms (%s) (medians)\n' \
	"$(stats "$work/start-capsa.times" | cut -d' ' -f1)" "$(ldd "$CAPSA_TOP/build/capsa" | grep -c '=>')" \
	"$(stats "$work/start-runtime.times" | cut -d' ' -f1)" "$(ldd "$CAPSA_TOP/build/capsa-runtime" | grep -c '=>')"

capsa run -d --name bench-rss --network none bench sleep 1000 >/dev/null
mon=$(jq -r .monitorPid "$work/capsa/containers/$(capsa inspect bench-rss | jq -r '.[0].Id')/state.json")
# The full monitor keeps a container for its first 100 ms, then the small program takes over.
for _ in $(seq 50); do
	[[ "$(readlink "/proc/$mon/exe")" == */capsa-monitor ]] && break
	sleep 0.1
done
echo "monitor program: $(basename "$(readlink "/proc/$mon/exe")")"
awk '/^VmRSS|^RssAnon|^RssFile/ {printf "monitor %s %s kB\n", $1, $2}' "/proc/$mon/status"
awk '/^Pss:|^Private_Dirty/ {printf "monitor %s %s kB\n", $1, $2}' "/proc/$mon/smaps_rollup"
