#!/bin/bash
# A Debian bookworm minbase image for the benchmark, built once and cached under tests/.cache/ (gitignored):
#   tests/.cache/debian-rootfs/     debootstrap --variant=minbase (slow: minutes, needs the Debian mirror)
#   tests/.cache/debian-oci/        OCI layout made by umoci (one gzip layer), tag "latest"
#   tests/.cache/debian-oci.tar     the same as an oci-archive
set -euo pipefail
cache=$(cd "$(dirname "$0")/.." && pwd)/.cache
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$cache"
if [ ! -x "$cache/debian-rootfs/bin/sh" ]; then
	rm -rf "$cache/debian-rootfs.tmp"
	debootstrap --variant=minbase bookworm "$cache/debian-rootfs.tmp" "$mirror" >"$cache/debootstrap.log"
	mv "$cache/debian-rootfs.tmp" "$cache/debian-rootfs"
fi
if [ ! -f "$cache/debian-oci/index.json" ] || [ ! -f "$cache/debian-oci.tar" ]; then
	rm -rf "$cache/debian-oci" "$cache/debian-bundle" "$cache/debian-oci.tar"
	umoci init --layout "$cache/debian-oci"
	umoci new --image "$cache/debian-oci:latest"
	umoci unpack --image "$cache/debian-oci:latest" "$cache/debian-bundle" >/dev/null
	cp -a "$cache/debian-rootfs/." "$cache/debian-bundle/rootfs/"
	# Like the official image: no downloaded packages or package lists.
	rm -rf "$cache"/debian-bundle/rootfs/var/cache/apt/archives/*.deb "$cache"/debian-bundle/rootfs/var/lib/apt/lists/*
	umoci repack --image "$cache/debian-oci:latest" "$cache/debian-bundle" >/dev/null
	umoci config --image "$cache/debian-oci:latest" --config.cmd bash
	umoci gc --layout "$cache/debian-oci"
	rm -rf "$cache/debian-bundle"
	tar -C "$cache/debian-oci" -cf "$cache/debian-oci.tar" .
fi
echo "$cache/debian-oci"
