#!/bin/sh
# Build capsa's guest kernel from Debian's linux-source: tinyconfig + vm/kernel/capsa.config.
# Usage: vm/kernel/build.sh OUTDIR. Cached: nothing is rebuilt while the fragment, this script
# and the linux-source version are the same as for the last successful build.
set -eu
out=${1:?usage: build.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
frag=$here/capsa.config

if ! ls /usr/src/linux-source-*.tar.xz >/dev/null 2>&1; then
	echo "vm-kernel: installing Debian's linux-source (apt-get)" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		linux-source bc flex bison libelf-dev libssl-dev >&2
fi
tarball=$(ls /usr/src/linux-source-*.tar.xz | sort -V | tail -n 1)
srcver=$(dpkg-query -W -f='${Version}' linux-source 2>/dev/null || basename "$tarball")
key=$(cat "$frag" "$here/build.sh" "$here/check-config.sh" | sha256sum | cut -c1-16)-$srcver

mkdir -p "$out"
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$key" ] && [ -f "$out/vmlinux" ] &&
	[ -f "$out/bzImage" ]; then
	echo "vm-kernel: up to date ($out/vmlinux, linux-source $srcver)"
	exit 0
fi
rm -f "$out/stamp"

src=$out/src
if [ ! -f "$src/.capsa-tarball" ] || [ "$(cat "$src/.capsa-tarball")" != "$tarball $srcver" ]; then
	rm -rf "$src"
	mkdir -p "$src"
	echo "vm-kernel: unpacking $tarball"
	tar -xf "$tarball" -C "$src" --strip-components=1
	echo "$tarball $srcver" >"$src/.capsa-tarball"
fi

jobs=${JOBS:-$(nproc)}
cd "$src"
make -s ARCH=x86_64 tinyconfig
./scripts/kconfig/merge_config.sh -m -O . .config "$frag" >/dev/null
make -s ARCH=x86_64 olddefconfig
"$here/check-config.sh" .config "$frag"
nice -n 10 make -s ARCH=x86_64 -j"$jobs" vmlinux bzImage
cp vmlinux "$out/vmlinux"
cp arch/x86/boot/bzImage "$out/bzImage"
cp .config "$out/config"
echo "$key" >"$out/stamp"
echo "vm-kernel: built $out/vmlinux ($(stat -c %s "$out/vmlinux") bytes) and $out/bzImage"
