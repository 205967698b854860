#!/bin/bash
# capsa's KVM VMM on this host: every guest test program RUNS times (interleaved, so that machine noise hits
# all alike), with the median wall time of the whole VMM process, its setup and run time, the VM exits it
# counted and its peak RSS. Where qemu-system-x86_64 is installed, the same PVH guest program also runs under
# `qemu -M microvm` (PVH entry, isa-debug-exit on the same port) side by side.
# Then `capsa run --rm --vm IMAGE true` next to `capsa run --rm IMAGE true` (and qemu microvm with make
# vm-kernel's kernel on hardware KVM hosts). Linux guests under the VMM alone are not benchmarked here on a PVM host (see vm/README.md): set CAPSA_VM_LINUX=/path/to/vmlinux
# to time a Linux boot attempt anyway (it runs until it fails or CAPSA_VM_LINUX_TIMEOUT ms pass).
# Then --vm-root initramfs against the ext4 disk for small and large images (CAPSA_BENCH_ROOT=0 skips it).
set -euo pipefail
RUNS=${RUNS:-10}
. "$(dirname "$0")/lib.sh"

VMRUN=$CAPSA_TOP/build/tests/helpers/vmrun
G=$CAPSA_TOP/build/vm/guest
[ -c /dev/kvm ] || { echo "bench/vm.sh: no /dev/kvm" >&2; exit 1; }
make -C "$CAPSA_TOP" --no-print-directory vm-guests >/dev/null

tmp=$(mktemp -d /tmp/capsa-test-bench-vm-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
printf 'capsa disk sector 0\n' >"$tmp/disk.img"
truncate -s 1M "$tmp/disk.img"
printf 'one\ntwo\nthree\n' >"$tmp/in"

names=(hello hello-pvh cpus-4 smp-4 blk blk-noeventfd blk-evil console console-noeventfd user-50M kernel-100k)
declare -A args=(
	[hello]="--no-console $G/hello.elf"
	[hello-pvh]="--no-console $G/hello-pvh.elf"
	[cpus-4]="--no-console --cpus 4 $G/hello.elf"
	[smp-4]="--no-console --cpus 4 --cmdline cpus=4 $G/smp.elf"
	[blk]="--no-console --disk $tmp/disk.img --cmdline sectors=2048 $G/blk.elf"
	[blk-noeventfd]="--no-eventfds --no-console --disk $tmp/disk.img --cmdline sectors=2048 $G/blk.elf"
	[console-noeventfd]="--no-eventfds --console-in $tmp/in --console-out /dev/null --cmdline lines=3 $G/console.elf"
	[blk-evil]="--no-console --disk $tmp/disk.img --cmdline do=evil $G/blk.elf"
	[console]="--console-in $tmp/in --console-out /dev/null --cmdline lines=3 $G/console.elf"
	[user-50M]="--no-console --cmdline loops=50000000 $G/user.elf"
	[kernel-100k]="--no-console --cmdline kloop=100000 $G/hello.elf"
)
QEMU=$(command -v qemu-system-x86_64 || true)
if [ -n "$QEMU" ]; then
	names+=(qemu-hello-pvh)
fi

run_qemu() {
	# microvm with everything legacy off but the serial port; -kernel takes the PVH ELF note. PVM refuses
	# qemu's write of MSR_IA32_ARCH_CAPABILITIES (0x10a) and qemu aborts: hide that CPU feature.
	/usr/bin/time -f '%M' -o "$tmp/qemu.rss" "$QEMU" -M microvm,x-option-roms=off,rtc=off,pit=off,pic=off \
		-enable-kvm -cpu host,-arch-capabilities -m 256 -nodefaults -no-user-config -display none -serial file:/dev/null \
		-device isa-debug-exit,iobase=0x501,iosize=4 -kernel "$G/hello-pvh.elf" >/dev/null 2>"$tmp/qemu.err" || true
}

for ((r = 0; r < RUNS; r++)); do
	for n in "${names[@]}"; do
		t0=$(now_ns)
		if [ "$n" = qemu-hello-pvh ]; then
			run_qemu
		else
			# shellcheck disable=SC2086
			"$VMRUN" --stats ${args[$n]} >/dev/null 2>"$tmp/$n.err" || true
		fi
		t1=$(now_ns)
		echo $((t1 - t0)) >>"$tmp/$n.wall"
		if [ "$n" = qemu-hello-pvh ]; then
			cat "$tmp/qemu.rss" >>"$tmp/$n.rss"
			continue
		fi
		line=$(grep 'vmrun: exits' "$tmp/$n.err" || true)
		sed -n 's/.* run_ms=\([0-9.]*\).*/\1/p' <<<"$line" >>"$tmp/$n.run"
		sed -n 's/.* setup_ms=\([0-9.]*\).*/\1/p' <<<"$line" >>"$tmp/$n.setup"
		sed -n 's/.*maxrss_kib=\([0-9]*\).*/\1/p' <<<"$line" >>"$tmp/$n.rss"
		sed -n 's/.*exits total=\([0-9]*\) io=\([0-9]*\) mmio=\([0-9]*\).*/\1 \2 \3/p' <<<"$line" >"$tmp/$n.exits"
	done
done

median() {
	sort -n "$1" | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'
}

echo "capsa VMM, $RUNS runs each, $(uname -r), KVM: $("$VMRUN" --pvm-check >/dev/null && echo PVM || echo hardware)"
printf '%-16s %10s %10s %10s %10s %10s %8s %8s %9s\n' test wall_ms p10 p90 setup_ms run_ms exits io/mmio rss_kib
for n in "${names[@]}"; do
	read -r med p10 p90 < <(stats "$tmp/$n.wall")
	if [ "$n" = qemu-hello-pvh ]; then
		printf '%-16s %10s %10s %10s %10s %10s %8s %8s %9s\n' "$n" "$med" "$p10" "$p90" - - - - \
			"$(median "$tmp/$n.rss")"
		continue
	fi
	read -r total io mmio <"$tmp/$n.exits" || { total='?'; io='?'; mmio='?'; }
	printf '%-16s %10s %10s %10s %10s %10s %8s %8s %9s\n' "$n" "$med" "$p10" "$p90" "$(median "$tmp/$n.setup")" \
		"$(median "$tmp/$n.run")" "$total" "$io/$mmio" "$(median "$tmp/$n.rss")"
done

# `capsa run --rm IMAGE true` as a container and as a micro-VM (--vm: KVM where KVM runs Linux and make
# vm-kernel's kernel is there, User-mode Linux otherwise), interleaved; peak memory from --stats-file (the
# container's cgroup, the VM host process's: VMM or linux.uml). On hardware KVM hosts with qemu installed,
# qemu -M microvm boots the same kernel with the same image disk. CAPSA_BENCH_RUN=0 skips this part.
if [ "${CAPSA_BENCH_RUN:-1}" = 1 ]; then
	CAPSA=$CAPSA_TOP/build/capsa
	store=$tmp/store
	mkdir -p "$tmp/rootfs"/{bin,proc,sys,dev,etc,tmp}
	cp /bin/busybox "$tmp/rootfs/bin/busybox"
	for a in sh true echo; do ln -sf busybox "$tmp/rootfs/bin/$a"; done
	export CAPSA_CGROUP_PARENT=capsa-test-bench-vm-$$
	trap 'rm -rf "$tmp"; find /sys/fs/cgroup -maxdepth 2 -name "$CAPSA_CGROUP_PARENT" -type d -exec rmdir {} + 2>/dev/null' EXIT
	"$CAPSA" --root "$store" import "$tmp/rootfs" benchbb >/dev/null
	# A first VM run builds the image's cached ext4 disk; it is not timed.
	"$CAPSA" --root "$store" run --rm --vm benchbb true >/dev/null 2>&1 || true
	KERNEL=$CAPSA_TOP/build/vm-kernel/vmlinux
	disks=("$store"/vm/*.ext4)
	modes=(container vm)
	if [ -n "$QEMU" ] && [ -f "$KERNEL" ] && ! "$VMRUN" --pvm-check >/dev/null; then
		modes+=(qemu-microvm)
	fi
	for ((r = 0; r < RUNS; r++)); do
		for m in "${modes[@]}"; do
			t0=$(now_ns)
			case $m in
			container) "$CAPSA" --root "$store" run --rm --stats-file "$tmp/$m.json" benchbb true ;;
			vm) "$CAPSA" --root "$store" run --rm --vm --stats-file "$tmp/$m.json" benchbb true 2>"$tmp/vm.err" ;;
			qemu-microvm)
				/usr/bin/time -f '%M' -o "$tmp/qemu-run.rss" "$QEMU" -M microvm,x-option-roms=off,rtc=off \
					-enable-kvm -cpu host -m 256 -nodefaults -no-user-config -display none -no-reboot \
					-serial null -kernel "$KERNEL" -append "console=ttyS0 root=/dev/vda ro panic=-1 quiet" \
					-drive "id=d,file=${disks[0]},format=raw,if=none,readonly=on" \
					-device virtio-blk-device,drive=d >/dev/null 2>&1 || true
				;;
			esac >/dev/null || true
			t1=$(now_ns)
			echo $((t1 - t0)) >>"$tmp/run-$m.wall"
			if [ "$m" = qemu-microvm ]; then
				echo $(($(cat "$tmp/qemu-run.rss") * 1024)) >>"$tmp/run-$m.rss"
			else
				jq -r '.peak_memory_bytes // empty' "$tmp/$m.json" >>"$tmp/run-$m.rss" 2>/dev/null || true
			fi
		done
	done
	backend=$("$CAPSA" --root "$store" run --vm -d --name bench-backend benchbb true >/dev/null 2>&1 &&
		"$CAPSA" --root "$store" inspect -f '{{.HostConfig.Runtime}}' bench-backend 2>/dev/null || echo '?')
	"$CAPSA" --root "$store" rm -f bench-backend >/dev/null 2>&1 || true
	echo
	echo "capsa run --rm IMAGE true, $RUNS runs each, interleaved (VM backend: $backend)"
	printf '%-14s %10s %10s %10s %8s %12s\n' mode wall_ms p10 p90 ratio peak_rss_kib
	cmed=$(stats "$tmp/run-container.wall" | cut -d' ' -f1)
	for m in "${modes[@]}"; do
		read -r med p10 p90 < <(stats "$tmp/run-$m.wall")
		rss=-
		[ -s "$tmp/run-$m.rss" ] && rss=$(median "$tmp/run-$m.rss" | awk '{printf "%d", $1 / 1024}')
		printf '%-14s %10s %10s %10s %8s %12s\n' "$m" "$med" "$p10" "$p90" \
			"$(awk -v a="$med" -v b="$cmed" 'BEGIN {printf "%.1fx", a / b}')" "$rss"
	done
	[ -s "$tmp/vm.err" ] && echo "last VM run's stderr: $(tail -1 "$tmp/vm.err")"
fi

# A micro-VM's root as an initramfs or as the ext4 disk (--vm-root), through User-mode Linux, for a small
# image (busybox) and larger ones (busybox plus MIB MiB of incompressible files, CAPSA_BENCH_ROOT_SIZES):
# the first run (which builds the cached cpio or ext4), then interleaved: wall of `run --rm IMAGE true`,
# time to the first byte of `run --rm IMAGE echo x`, peak memory of the VM's cgroup (UML's memory file:
# the guest RAM the root takes), and the kernel's own time from boot to running init (printk, 10 ms
# ticks) for the cpio as capsa writes it, the same gzip -1'd, and the ext4 disk. CAPSA_BENCH_ROOT=0
# skips this part.
if [ "${CAPSA_BENCH_ROOT:-1}" = 1 ] && [ -x "${CAPSA_UML:-/usr/bin/linux.uml}" ]; then
	CAPSA=$CAPSA_TOP/build/capsa
	UML=${CAPSA_UML:-/usr/bin/linux.uml}
	rstore=$tmp/rootstore
	# Guest memory for every run: a 96 MiB initramfs does not unpack in the default 256 MiB.
	rmem=${CAPSA_BENCH_ROOT_MEM:-512m}
	export CAPSA_CGROUP_PARENT=capsa-test-bench-vmroot-$$
	trap 'rm -rf "$tmp"; find /sys/fs/cgroup -maxdepth 2 -name "$CAPSA_CGROUP_PARENT" -type d -exec rmdir {} + 2>/dev/null' EXIT
	imgs=()
	for mib in 0 ${CAPSA_BENCH_ROOT_SIZES:-24 96}; do
		r=$tmp/root-$mib
		mkdir -p "$r"/{bin,proc,sys,dev,etc,tmp,data}
		cp /bin/busybox "$r/bin/busybox"
		for a in sh true echo poweroff; do ln -sf busybox "$r/bin/$a"; done
		for ((i = 0; i < mib * 4; i++)); do head -c 262144 /dev/urandom >"$r/data/f$i"; done
		name=bb$mib
		"$CAPSA" --root "$rstore" import "$r" "$name" >/dev/null
		rm -rf "$r"
		imgs+=("$name")
	done
	for name in "${imgs[@]}"; do
		for m in initramfs disk; do
			t0=$(now_ns)
			"$CAPSA" --root "$rstore" run --rm --vm-root $m -m "$rmem" "$name" true >/dev/null 2>&1 || true
			echo $(($(now_ns) - t0)) >"$tmp/root-$name-$m.first"
		done
	done
	for ((r = 0; r < RUNS; r++)); do
		for name in "${imgs[@]}"; do
			for m in initramfs disk; do
				k=$tmp/root-$name-$m
				t0=$(now_ns)
				"$CAPSA" --root "$rstore" run --rm --vm-root $m -m "$rmem" --stats-file "$k.json" "$name" true \
					>/dev/null 2>"$k.err" || echo fail >>"$k.fails"
				echo $(($(now_ns) - t0)) >>"$k.wall"
				jq -r '.peak_memory_bytes // empty' "$k.json" >>"$k.rss" 2>/dev/null || true
				t0=$(now_ns)
				"$CAPSA" --root "$rstore" run --rm --vm-root $m -m "$rmem" "$name" echo x 2>/dev/null |
					{ head -c 1 >/dev/null; echo $(($(now_ns) - t0)) >>"$k.out1"; cat >/dev/null; } || true
			done
		done
	done
	echo
	echo "--vm-root through User-mode Linux, -m $rmem, $RUNS runs each, interleaved (ms; memory: the VM's peak, KiB)"
	printf '%-10s %-10s %9s %9s %9s %9s %9s %12s %6s\n' image root size_kib first_run wall p10 first_out peak_kib failed
	for name in "${imgs[@]}"; do
		hex=$("$CAPSA" --root "$rstore" images --no-trunc -q "$name" | head -1 | sed 's/^sha256://')
		for m in initramfs disk; do
			k=$tmp/root-$name-$m
			f=$rstore/vm/$hex.$([ $m = initramfs ] && echo cpio || echo ext4)
			size=$(($(stat -c %s "$f" 2>/dev/null || echo 0) / 1024))
			read -r med p10 _ < <(stats "$k.wall")
			read -r out1 _ < <(stats "$k.out1")
			rss=-
			[ -s "$k.rss" ] && rss=$(median "$k.rss" | awk '{printf "%d", $1 / 1024}')
			printf '%-10s %-10s %9s %9s %9s %9s %9s %12s %6s\n' "$name" $m "$size" \
				"$(awk -v n="$(cat "$k.first")" 'BEGIN {printf "%.0f", n / 1e6}')" "$med" "$p10" "$out1" "$rss" \
				"$(cat "$k.fails" 2>/dev/null | wc -l)"
			[ -s "$k.fails" ] && echo "  $name $m: $(tail -1 "$k.err")"
		done
	done
	# The kernel's own boot-to-init time, without capsa: init is busybox poweroff -f.
	echo
	echo "User-mode Linux alone, boot to init (kernel ms, median of $RUNS): cpio as written, gzip -1, ext4"
	printf '%-10s %9s %9s %9s %12s\n' image cpio cpio.gz ext4 gz_size_kib
	for name in "${imgs[@]}"; do
		hex=$("$CAPSA" --root "$rstore" images --no-trunc -q "$name" | head -1 | sed 's/^sha256://')
		gzip -1 -c "$rstore/vm/$hex.cpio" >"$tmp/$name.cpio.gz"
		for ((r = 0; r < RUNS; r++)); do
			for v in cpio cpio.gz ext4; do
				case $v in
				cpio) a=("initrd=$rstore/vm/$hex.cpio" rdinit=/bin/poweroff rootfstype=tmpfs) ;;
				cpio.gz) a=("initrd=$tmp/$name.cpio.gz" rdinit=/bin/poweroff rootfstype=tmpfs) ;;
				ext4) rm -f "$tmp/uml.cow"; a=("ubda=$tmp/uml.cow,$rstore/vm/$hex.ext4" root=/dev/ubda init=/bin/poweroff) ;;
				esac
				mkdir -p "$tmp/umld"
				TMPDIR=$tmp/umld timeout 120 "$UML" mem=${rmem%m}M "${a[@]}" printk.time=1 con=null \
					con0=null,fd:1 uml_dir="$tmp/umld" umid=bench -- -f 2>&1 |
					sed -n 's/^\[ *\([0-9.]*\)\] Run .* as init process.*/\1/p' |
					awk '{printf "%d\n", $1 * 1e9}' >>"$tmp/uml-$name-$v" || true
			done
		done
		printf '%-10s %9s %9s %9s %12s\n' "$name" "$(stats "$tmp/uml-$name-cpio" | cut -d' ' -f1)" \
			"$(stats "$tmp/uml-$name-cpio.gz" | cut -d' ' -f1)" "$(stats "$tmp/uml-$name-ext4" | cut -d' ' -f1)" \
			$(($(stat -c %s "$tmp/$name.cpio.gz") / 1024))
	done
fi

if [ -n "${CAPSA_VM_LINUX:-}" ]; then
	echo
	echo "Linux boot attempt: $CAPSA_VM_LINUX (timeout ${CAPSA_VM_LINUX_TIMEOUT:-300000} ms)"
	"$VMRUN" --stats --no-console --allow-pvm-linux --timeout "${CAPSA_VM_LINUX_TIMEOUT:-300000}" --mem 512 \
		--cmdline "console=ttyS0 earlyprintk=serial,ttyS0,115200 panic=-1 noxsave" "$CAPSA_VM_LINUX" \
		>"$tmp/linux.out" 2>"$tmp/linux.err" || true
	echo "last kernel line: $(grep -a '^\[' "$tmp/linux.out" | tail -1)"
	cat "$tmp/linux.err"
fi
