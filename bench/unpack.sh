#!/bin/bash
# Load + unpack of the Debian minbase image (one gzip layer) side by side:
#   capsa   capsa load -i debian-oci.tar (verifies and stores the blobs, unpacks and verifies the layer)
#   umoci   umoci unpack of the same image from its OCI layout
#   podman  podman load -i debian-oci.tar into a private overlay storage
#   tar     tar -xzf of the layer blob alone: the floor
#   tar+sync the same followed by syncfs (sync -f): the floor for a store that, like capsa's, makes a
#            layer durable before recording it (capsa syncfs's each snapshot)
# Each run starts from an empty target; prints medians (hyperfine) and the ratio to tar.
# usage: bench/unpack.sh [RUNS]   (default 7; builds tests/.cache/debian-oci once, which takes minutes)
# BENCH_DIR=/dev/shm measures on tmpfs (CPU cost only, no disk writeback).
set -euo pipefail
runs=${1:-7}
top=$(cd "$(dirname "$0")/.." && pwd)
capsa="$top/build/capsa"
[ -x "$capsa" ] || { echo "bench: build capsa first (make)" >&2; exit 1; }
for t in hyperfine umoci podman jq; do
	command -v $t >/dev/null || { echo "bench: $t is missing (make deps)" >&2; exit 1; }
done
layout=$("$top/tests/images/build-debian.sh")
archive="$layout.tar"
layer=$(jq -r '.layers[0].digest' "$layout/blobs/sha256/$(jq -r '.manifests[0].digest' "$layout/index.json" | cut -d: -f2)" | cut -d: -f2)
work=$(mktemp -d "${BENCH_DIR:-/tmp}/capsa-test-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
pod="podman --root $work/t/pod/root --runroot $work/t/pod/run --storage-driver overlay --events-backend none"

echo "image: $(du -h "$layout/blobs/sha256/$layer" | cut -f1) gzip layer, $(nproc) CPUs, kernel $(uname -r)"
hyperfine --runs "$runs" --warmup 1 --export-json "$work/h.json" --style basic \
	--prepare "rm -rf $work/t; mkdir -p $work/t; sync" \
	-n capsa "$capsa --root $work/t/store load -q -i $archive" \
	-n umoci "umoci unpack --image $layout:latest $work/t/bundle >/dev/null" \
	-n podman "$pod load -q -i $archive >/dev/null" \
	-n tar "tar -xzf $layout/blobs/sha256/$layer -C $work/t" \
	-n tar+sync "tar -xzf $layout/blobs/sha256/$layer -C $work/t && sync -f $work/t" >"$work/out" 2>&1 || {
	cat "$work/out"
	exit 1
}
echo
printf '%-8s %10s %10s %10s\n' tool median min ratio
jq -r '(.results[] | select(.command == "tar") | .median) as $tar |
	.results[] | [.command, (.median * 1000 | floor | tostring) + " ms",
	(.min * 1000 | floor | tostring) + " ms", ((.median / $tar * 100 | round) / 100 | tostring) + "x"] | @tsv' \
	"$work/h.json" | while IFS=$'\t' read -r n m mi r; do printf '%-8s %10s %10s %10s\n' "$n" "$m" "$mi" "$r"; done
