#!/bin/bash
# `make demo`: build a busybox image locally and run a container from it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/capsa-demo-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bundle/rootfs"/{bin,proc,sys,dev,etc,tmp}
cp /bin/busybox "$work/bundle/rootfs/bin/"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$work/bundle/rootfs/bin/$a"; done
cd "$work/bundle"
"$top/build/capsa-runtime" spec
jq '.process.terminal = false | .process.args = ["sh", "-c", "echo \"hello from capsa: $(hostname), pid $$, $(ls /bin | wc -l) busybox tools\"; cat /proc/self/status | grep ^Cap"]' \
	config.json >config.json.new && mv config.json.new config.json
echo "+ capsa-runtime run demo-$$"
"$top/build/capsa-runtime" --root /run/capsa-demo run "demo-$$"
echo "exit status: $?"
