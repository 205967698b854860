#!/bin/bash
# `make demo`: build a busybox image locally (from Debian's busybox-static), import it with
# capsa, run a container from it as a user would, and the same rootfs through capsa-runtime.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/capsa-demo-XXXXXX)
trap 'rm -rf "$work"' EXIT
capsa=("$top/build/capsa")
"$top/tests/images/build-busybox.sh" "$work" >/dev/null
echo "+ capsa import $work/rootfs busybox-demo --change 'CMD [\"sh\"]'"
"${capsa[@]}" import --change 'CMD ["sh"]' "$work/rootfs" busybox-demo
echo "+ capsa images busybox-demo"
"${capsa[@]}" images busybox-demo
echo "+ capsa run --rm busybox-demo sh -c ..."
"${capsa[@]}" run --rm busybox-demo sh -c 'echo "hello from capsa: $(hostname), pid $$, $(ls /bin | wc -l) busybox tools"; grep ^CapEff /proc/self/status'
echo "exit status: $?"
echo "+ capsa-runtime run (the same rootfs as an OCI bundle)"
mkdir -p "$work/bundle"
ln -s "$work/rootfs" "$work/bundle/rootfs"
cd "$work/bundle"
"$top/build/capsa-runtime" spec
jq '.process.terminal = false | .process.args = ["echo", "hello from capsa-runtime"]' config.json >config.json.new
mv config.json.new config.json
"$top/build/capsa-runtime" --root /run/capsa-demo run "demo-$$"
