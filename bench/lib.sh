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
