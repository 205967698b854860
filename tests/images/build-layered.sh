#!/bin/bash
# Builds a three-layer OCI image (OUT/layered, tag "latest", also OUT/layered-docker.tar) that holds what
# unpacking must get right: whiteouts, an opaque directory, hard links, setuid and sticky modes,
# security.capability and user xattrs, a fifo and a device node.
#   layer 1 (umoci repack): busybox rootfs from OUT/rootfs plus /data test files
#   layer 2 (umoci repack): deletes /data/del-me and /data/b (umoci writes .wh. whiteouts), adds /data/new
#   layer 3 (umoci raw add-layer of a tar written by python3): /data/opq made opaque, /data/a/1 whited out
set -euo pipefail
out=${1:?usage: build-layered.sh OUTDIR (after build-busybox.sh OUTDIR)}
out=$(cd "$out" && pwd)
[ -d "$out/rootfs" ] || { echo "run build-busybox.sh $out first" >&2; exit 1; }
img="$out/layered"
bundle="$out/layered-bundle"
rm -rf "$img" "$bundle"
umoci init --layout "$img"
umoci new --image "$img:latest"
umoci unpack --image "$img:latest" "$bundle" >/dev/null
r="$bundle/rootfs"
cp -a "$out/rootfs/." "$r/"
mkdir -p "$r/data/a" "$r/data/b" "$r/data/opq"
echo one >"$r/data/a/1"
echo two >"$r/data/a/2"
echo x >"$r/data/b/x"
echo old1 >"$r/data/opq/old1"
echo old2 >"$r/data/opq/old2"
echo bye >"$r/data/del-me"
cp "$r/bin/busybox" "$r/bin/suid-busybox"
chmod 4755 "$r/bin/suid-busybox"
mkdir -p "$r/data/sticky" && chmod 1777 "$r/data/sticky"
echo linked >"$r/data/hard1"
ln "$r/data/hard1" "$r/data/hard2"
cp "$r/bin/busybox" "$r/data/caps"
# cap_net_raw+ep as a v2 file capability
setfattr -n security.capability -v 0sAQAAAgAgAAAAAAAAAAAAAAAAAAA= "$r/data/caps"
echo attr >"$r/data/xattr"
setfattr -n user.capsa -v hello "$r/data/xattr"
mkfifo "$r/data/fifo"
mknod "$r/data/null" c 1 3
chown 1000:100 "$r/data/a/2"
touch -d '2001-02-03 04:05:06' "$r/data/a/2"
umoci repack --image "$img:latest" "$bundle" >/dev/null

umoci unpack --image "$img:latest" "$bundle.2" >/dev/null
rm -f "$bundle.2/rootfs/data/del-me"
rm -rf "$bundle.2/rootfs/data/b"
echo new >"$bundle.2/rootfs/data/new"
umoci repack --image "$img:latest" "$bundle.2" >/dev/null
rm -rf "$bundle" "$bundle.2"

python3 - "$out/layer3.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    def add(name, data=None, kind=tarfile.REGTYPE, mode=0o644):
        ti = tarfile.TarInfo(name)
        ti.type, ti.mode, ti.mtime = kind, mode, 1700000000
        if data is not None:
            ti.size = len(data)
        t.addfile(ti, io.BytesIO(data) if data is not None else None)
    add("data/", kind=tarfile.DIRTYPE, mode=0o755)
    add("data/opq/", kind=tarfile.DIRTYPE, mode=0o755)
    add("data/opq/.wh..wh..opq", b"")
    add("data/opq/fresh", b"fresh\n")
    add("data/a/", kind=tarfile.DIRTYPE, mode=0o755)
    add("data/a/.wh.1", b"")
PY
umoci raw add-layer --image "$img:latest" "$out/layer3.tar"
rm -f "$out/layer3.tar"
umoci config --image "$img:latest" --config.cmd /bin/sh --config.user user --config.workingdir /data
umoci gc --layout "$img"
rm -f "$out/layered-docker.tar"
skopeo copy -q "oci:$img:latest" "docker-archive:$out/layered-docker.tar:capsa-test/layered:latest"
