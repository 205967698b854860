#!/usr/bin/env bats
# `capsa run --vm-root initramfs|disk|auto`: a micro-VM whose root is the image as an initramfs (a newc cpio
# cached per image, vm/<id>.cpio, unpacked by the guest kernel into its tmpfs) instead of the ext4 disk;
# through User-mode Linux, and the initrd's wiring through the KVM backend with a guest test program.

load helpers
bats_require_minimum_version 1.5.0

UML=${CAPSA_UML:-/usr/bin/linux.uml}
GUESTS="${CAPSA_VM_GUESTS:-$CAPSA_TOP/build/vm/guest}"

setup_file() {
	export IMAGES_DIR
	IMAGES_DIR=$(mktemp -d /tmp/capsa-test-vminitramfs-XXXXXX)
	make_busybox_rootfs "$IMAGES_DIR/rootfs"
	echo 'user:x:1000:1000::/home/user:/bin/sh' >>"$IMAGES_DIR/rootfs/etc/passwd"
	echo 'user:x:1000:' >>"$IMAGES_DIR/rootfs/etc/group"
	mkdir -p "$IMAGES_DIR/rootfs/srv"
	printf 'line one\nline two\n' >"$IMAGES_DIR/rootfs/srv/data.txt"
	ln -s ../../../../etc/shadow "$IMAGES_DIR/rootfs/srv/escape"
}

teardown_file() {
	rm -rf "$IMAGES_DIR"
}

setup() {
	capsa_setup_tmp
	capsa_cli_setup
	c import "$IMAGES_DIR/rootfs" bb >/dev/null
}

teardown() {
	capsa_cli_cleanup
	capsa_teardown_tmp
}

need_uml() {
	[ -x "$UML" ] || skip "$UML is not installed (user-mode-linux; make deps)"
	[ -x "$CAPSA_TOP/build/capsa-vminit" ] || skip "build/capsa-vminit is not built (make all)"
}

hex() {
	c image inspect -f '{{.Id}}' "$1" | sed 's/^sha256://'
}

# Nothing of the VMs is left: no UML process, cgroup, scratch dir, mount, record or in-use mark.
assert_vm_gone() {
	! pgrep -f "ubdb=$STORE" >/dev/null || false
	[ -z "$(find /sys/fs/cgroup -maxdepth 3 -path "*/$CAPSA_CGROUP_PARENT/*" -type d 2>/dev/null)" ]
	[ -z "$(find "$STORE/run" -mindepth 1 -maxdepth 1 -name 'vm-*' 2>/dev/null)" ]
	! grep -q " $STORE" /proc/self/mountinfo || false
	[ -z "$(c ps -aq)" ]
	[ -z "$(find "$STORE/rootfs" -mindepth 1 -maxdepth 1 2>/dev/null)" ]
}

@test "vm-initramfs: output, stdin and exit codes 0, 1, 3, 127 and 137 are the process's; only the cpio is made" {
	need_uml
	run --separate-stderr c run --rm --vm-root initramfs bb sh -c 'echo hello; echo oops >&2; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = hello ]
	[ "$stderr" = oops ]
	run c run --rm --vm-root initramfs bb true
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run c run --rm --vm-root initramfs bb false
	[ "$status" -eq 1 ]
	run c run --rm --vm-root initramfs bb sh -c 'kill -9 $$'
	[ "$status" -eq 137 ]
	run -127 c run --rm --vm-root initramfs bb nosuchcommand
	[[ "$output" == *nosuchcommand* ]]
	run c run --rm -i --vm-root initramfs bb sh -c 'tr a-z A-Z' <<<"piped in"
	[ "$output" = "PIPED IN" ]
	# the image's cpio, cached; no ext4 disk was made for it
	[ "$(ls "$STORE/vm")" = "$(hex bb).cpio" ]
	assert_vm_gone
}

@test "vm-initramfs: the root is the guest's tmpfs; writes never reach the cached cpio or the next VM" {
	need_uml
	# The kernel's rootfs, a tmpfs (it has a size; a ramfs would not).
	run c run --rm --vm-root initramfs bb sh -c \
		'awk "\$2 == \"/\" {print \$3, \$4}" /proc/mounts; echo x >/srv/new; cat /srv/data.txt | grep two; rm /bin/ls; echo done'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "rootfs rw,size="* ]]
	[ "${lines[1]}" = "line two" ]
	[ "${lines[2]}" = done ]
	cpio=$STORE/vm/$(hex bb).cpio
	sum=$(sha256sum <"$cpio")
	run c run --rm --vm-root initramfs bb sh -c 'test -e /srv/new && echo leaked || echo fresh; test -e /bin/ls && echo ls'
	[ "${lines[0]}" = fresh ]
	[ "${lines[1]}" = ls ]
	[ "$(sha256sum <"$cpio")" = "$sum" ]
	# a link out of the image is a link in the guest, never the host's file
	run c run --rm --vm-root initramfs bb sh -c 'readlink /srv/escape; cat /srv/escape 2>/dev/null || echo none'
	[ "${lines[0]}" = ../../../../etc/shadow ]
	[ "${lines[1]}" = none ]
	assert_vm_gone
}

@test "vm-initramfs: env, working directory, user, hostname and -t are the container's" {
	need_uml
	run c run --rm --vm-root initramfs -e FOO=bar -w /srv -u user --hostname capsa-test-vm bb \
		sh -c 'echo "$FOO $(pwd) $(id -u):$(id -g) $(hostname)"'
	[ "$status" -eq 0 ]
	[ "$output" = "bar /srv 1000:1000 capsa-test-vm" ]
	# -t: the console is the process's terminal, and nothing that waited on it before is echoed. `exec`:
	# script runs this with $SHELL, and a shell that forks (dash) would leave timeout, and with it capsa,
	# in a background process group of the terminal, where setting it raw stops capsa with SIGTTOU.
	run script -qec "exec timeout 120 $CAPSA --root $STORE run --rm -it --vm-root initramfs bb sh -c 'tty; exit 5'" \
		/dev/null </dev/null
	echo "status $status, output: $(printf %q "$output")"
	[ "$status" -eq 5 ]
	[ "$output" = $'/dev/tty1\r' ]
}

@test "vm-initramfs: --vm-root disk still boots the ext4 disk; inspect says which root each VM used" {
	need_uml
	run c run --vm-root disk --name "$(cid d)" bb sh -c 'awk "\$2 == \"/\" {print \$3}" /proc/mounts'
	[ "$status" -eq 0 ]
	[ "$output" = ext4 ]
	[ "$(c inspect -f '{{.Vm.Root}}' "$(cid d)")" = disk ]
	[ "$(c inspect -f '{{.Vm.Disk}}' "$(cid d)")" = "$STORE/vm/$(hex bb).ext4" ]
	run c run --vm-root initramfs --name "$(cid i)" bb true
	[ "$status" -eq 0 ]
	[ "$(c inspect -f '{{.Vm.Root}}' "$(cid i)")" = initramfs ]
	[ "$(c inspect -f '{{.Vm.Disk}}' "$(cid i)")" = "$STORE/vm/$(hex bb).cpio" ]
	# a container started again boots the root it was created with
	run c start -a "$(cid i)"
	[ "$status" -eq 0 ]
	[ "$(c inspect -f '{{.Vm.Root}}' "$(cid i)")" = initramfs ]
	# plain --vm keeps the disk
	c run --vm --name "$(cid p)" bb true
	[ "$(c inspect -f '{{.Vm.Root}}' "$(cid p)")" = disk ]
	c rm "$(cid d)" "$(cid i)" "$(cid p)" >/dev/null
	assert_vm_gone
}

@test "vm-initramfs: --vm-root auto picks the initramfs for busybox, the disk for an image over 1/8 of --memory" {
	need_uml
	c run --vm-root auto --name "$(cid a)" bb true
	[ "$(c inspect -f '{{.Vm.Root}}' "$(cid a)")" = initramfs ]
	# busybox + 12 MiB: within the 16 MiB limit and 1/8 of the default 256 MiB, over 1/8 of 96 MiB
	mkdir -p "$TEST_TMP/big"
	cp -a "$IMAGES_DIR/rootfs/." "$TEST_TMP/big/"
	head -c $((12 << 20)) /dev/urandom >"$TEST_TMP/big/blob"
	c import "$TEST_TMP/big" big >/dev/null
	c create --vm-root auto --name "$(cid b)" big true >/dev/null
	[ "$(c inspect -f '{{.Vm.Root}}' "$(cid b)")" = initramfs ]
	run c run --vm-root auto -m 96m --name "$(cid m)" big sh -c 'wc -c </blob'
	[ "$status" -eq 0 ]
	[ "$output" = $((12 << 20)) ]
	[ "$(c inspect -f '{{.Vm.Root}}' "$(cid m)")" = disk ]
	c rm "$(cid a)" "$(cid b)" "$(cid m)" >/dev/null
	assert_vm_gone
}

@test "vm-initramfs: a bad --vm-root value is refused naming it, leaving nothing" {
	for v in ramfs "" Disk; do
		run -125 c run --rm --vm-root "$v" bb true
		[[ "$output" == *"--vm-root $v: not disk, initramfs or auto"* ]]
		run -125 c create --vm-root "$v" bb true
		[[ "$output" == *"--vm-root $v: not disk, initramfs or auto"* ]]
	done
	[ -z "$(c ps -aq)" ]
	[ -z "$(find "$STORE/containers" -mindepth 1 -maxdepth 1 2>/dev/null)" ]
	[ -z "$(find "$STORE/vm" -mindepth 1 2>/dev/null)" ]
	assert_vm_gone
}

@test "vm-initramfs: a cached cpio holding another capsa-vminit, half-written or pruned is made again" {
	need_uml
	c run --rm --vm-root initramfs bb true
	cpio=$STORE/vm/$(hex bb).cpio
	stamp=$(getfattr --only-values -n user.capsa.vminit "$cpio")
	[ -n "$stamp" ]
	setfattr -n user.capsa.vminit -v "0:0.000000000" "$cpio"
	echo half >"$STORE/vm/.capsa-vm-$(hex bb | cut -c1-16).cpio.tmp"
	run c run --rm --vm-root initramfs bb echo again
	[ "$status" -eq 0 ]
	[ "$output" = again ]
	[ "$(getfattr --only-values -n user.capsa.vminit "$cpio")" = "$stamp" ]
	[ "$(ls -A "$STORE/vm")" = "$(hex bb).cpio" ]
	# image prune keeps the roots of the images it keeps; a created VM boots the cpio it holds open
	# even when the file is gone, and a start after that makes it again
	c create --vm-root initramfs --name "$(cid pr)" bb echo back >/dev/null
	c image prune -f >/dev/null
	[ -f "$cpio" ]
	rm "$cpio"
	run c start -a "$(cid pr)"
	[ "$status" -eq 0 ]
	[ "$output" = back ]
	run c start -a "$(cid pr)"
	[ "$status" -eq 0 ]
	[ "$output" = back ]
	[ -f "$cpio" ]
	c rm "$(cid pr)" >/dev/null
	assert_vm_gone
}

@test "vm-initramfs: the KVM backend passes capsa's cpio as the initrd with rdinit=, byte-exact, and no root disk" {
	[ -w /dev/kvm ] || skip "no /dev/kvm"
	[ -x "$TEST_HELPERS/vmrun" ] && [ -f "$GUESTS/hello.elf" ] || skip "guest programs not built (make vm-guests)"
	[ -x "$CAPSA_TOP/build/capsa-vminit" ] || skip "build/capsa-vminit is not built (make all)"
	# The guest program stands in for the kernel: it prints its command line, then ends without the
	# process's status (so the run fails); the VMM loaded what capsa made.
	export CAPSA_VM_ALLOW_PVM=1 CAPSA_VM_KERNEL_LOG=$TEST_TMP/kernel.log
	run c run --rm --network none --hypervisor kvm --kernel "$GUESTS/hello.elf" --vm-root initramfs bb true
	[ "$status" -eq 125 ]
	grep -q 'hello from the capsa guest' "$CAPSA_VM_KERNEL_LOG"
	# the config disk, the console and the stderr console: no root disk before them
	grep -q '^cmdline: console=ttyS0 rdinit=/capsa-vminit panic=-1 .* virtio_mmio.device=4K@0xd0000000:5 virtio_mmio.device=4K@0xd0001000:6 virtio_mmio.device=4K@0xd0002000:7$' \
		"$CAPSA_VM_KERNEL_LOG"
	! grep -q 'root=/dev/vda' "$CAPSA_VM_KERNEL_LOG" || false
	cpio=$STORE/vm/$(hex bb).cpio
	[ -f "$cpio" ]
	run "$TEST_HELPERS/vmrun" --no-console --initrd "$cpio" --cmdline do=initrd "$GUESTS/hello.elf"
	[ "$status" -eq 0 ]
	[[ "$output" == *"initrd: $(stat -c %s "$cpio") bytes, page-aligned 1, hash $(initrd_hash "$cpio"), first line: 070701"* ]]
	assert_vm_gone
}
