#!/bin/bash
# Builds busybox test images from Debian's busybox-static with the tools users really use:
#   OUT/rootfs/            the rootfs (busybox, applet symlinks, /etc/passwd and /etc/group)
#   OUT/oci/               OCI layout made by umoci (tag "latest", gzip layer, Cmd ["sh"])
#   OUT/busybox-oci.tar    that layout as an oci-archive
#   OUT/busybox-docker.tar docker-archive by skopeo, named busybox:latest
#   OUT/zstd/              OCI layout with a zstd layer (skopeo --dest-compress-format zstd)
#   OUT/multi/             OCI layout whose index lists linux/amd64 and linux/arm64 (python3)
set -euo pipefail
out=${1:?usage: build-busybox.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
busybox=${BUSYBOX:-/bin/busybox}
mkdir -p "$out"
out=$(cd "$out" && pwd)

root="$out/rootfs"
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,root,home/user,usr/bin,var}
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
cat >"$root/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:A User:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PW
cat >"$root/etc/group" <<'GR'
root:x:0:
wheel:x:10:user
users:x:100:user,nobody
user:x:1000:
nogroup:x:65534:
GR
chmod 1777 "$root/tmp"
chown 1000:1000 "$root/home/user"

oci="$out/oci"
bundle="$out/bundle"
rm -rf "$oci" "$bundle"
umoci init --layout "$oci"
umoci new --image "$oci:latest"
umoci unpack --image "$oci:latest" "$bundle" >/dev/null
cp -a "$root/." "$bundle/rootfs/"
umoci repack --image "$oci:latest" "$bundle" >/dev/null
umoci config --image "$oci:latest" --config.cmd sh --config.env PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	--config.workingdir / --config.label org.example.test=busybox --config.stopsignal SIGQUIT \
	--config.exposedports 8080/tcp --config.volume /data
umoci gc --layout "$oci"
rm -rf "$bundle"

rm -f "$out/busybox-oci.tar" "$out/busybox-docker.tar"
tar -C "$oci" -cf "$out/busybox-oci.tar" .
skopeo copy -q "oci:$oci:latest" "docker-archive:$out/busybox-docker.tar:busybox:latest"
rm -rf "$out/zstd"
skopeo copy -q --dest-compress-format zstd "oci:$oci:latest" "oci:$out/zstd:latest"
rm -rf "$out/multi"
python3 "$here/make-multiplatform.py" "$oci" "$out/multi"
