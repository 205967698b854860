# Shared helpers for capsa's benchmarks: a busybox bundle, timing, medians.
# Timings are wall-clock on a shared machine: each benchmark interleaves its
# contenders so that noise hits all of them alike, and reports medians.

CAPSA_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

bench_bundle() {
	local bundle=$1
	shift
	mkdir -p "$bundle/rootfs"/{bin,proc,sys,dev,etc,tmp}
	cp /bin/busybox "$bundle/rootfs/bin/busybox"
	for a in sh true echo sleep cat; do ln -sf busybox "$bundle/rootfs/bin/$a"; done
	(cd "$bundle" && "$CAPSA_TOP/build/capsa-runtime" spec)
	local args
	args=$(printf '%s\n' "$@" | jq -R . | jq -s .)
	jq ".ociVersion = \"1.0.2\" | .process.terminal = false | .process.args = $args" "$bundle/config.json" >"$bundle/config.json.new"
	mv "$bundle/config.json.new" "$bundle/config.json"
}

# bench_workdir: a fresh work directory for state roots, echoed. Runtimes keep their state under /run,
# which is a tmpfs on usual hosts; where it is not (this test machine's /run is ext4 mounted with
# discard, where each replaced state file costs a synchronous discard), a tmpfs is mounted on the work
# dir, in the benchmark's private mount namespace, for every contender alike. STATE=disk keeps the disk.
bench_workdir() {
	local w
	w=$(mktemp -d /run/capsa-bench-XXXXXX)
	if [ "${STATE:-tmpfs}" = tmpfs ] && [ "$(stat -f -c %T /run)" != tmpfs ]; then
		mount -t tmpfs -o mode=0700 capsa-bench "$w"
	fi
	echo "$w"
}

# bench_state_note WORK: says where the state roots live.
bench_state_note() {
	echo "state roots on $(stat -f -c %T "$1") ($1)"
}

now_ns() {
	date +%s%N
}

# stats FILE: prints "median p10 p90" in milliseconds of the nanosecond samples in FILE.
stats() {
	sort -n "$1" | awk '{v[NR]=$1} END {
		m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2;
		p10 = v[int(NR*0.1) > 0 ? int(NR*0.1) : 1]; p90 = v[int(NR*0.9) > 0 ? int(NR*0.9) : 1];
		printf "%.2f %.2f %.2f\n", m/1e6, p10/1e6, p90/1e6 }'
}

# report WORK NAMES...: the table of medians for the runtimes whose times are in WORK/NAME.times,
# with the ratio to crun's median; the binaries come from the associative array cmd.
report() {
	local work=$1
	shift
	local crun_median="" n med p10 p90 ver ratio
	[ -f "$work/crun.times" ] && crun_median=$(stats "$work/crun.times" | cut -d' ' -f1)
	printf '| runtime | version | median ms | p10 ms | p90 ms | vs crun |\n|---|---|---|---|---|---|\n'
	for n in "$@"; do
		[ -f "$work/$n.times" ] || continue
		read -r med p10 p90 < <(stats "$work/$n.times")
		ver=$("${cmd[$n]}" --version | head -1 | awk '{print $NF}')
		ratio="-"
		[ -n "$crun_median" ] && ratio=$(awk -v a="$med" -v b="$crun_median" 'BEGIN {printf "%.2fx", a/b}')
		printf '| %s | %s | %s | %s | %s | %s |\n' "$n" "$ver" "$med" "$p10" "$p90" "$ratio"
	done
}
