#!/usr/bin/env bats
# The KVM backend of `capsa run --vm` (engine/vm_kvm.c). This host's /dev/kvm is PVM, where a Linux guest
# never reaches user space: the choice of backend and the errors are tested here; the boot itself only up
# to where the PVM emulation gives up (CAPSA_VM_ALLOW_PVM=1, with CAPSA_SLOW_TESTS=1 and make vm-kernel).

load helpers
bats_require_minimum_version 1.5.0

KERNEL=$CAPSA_TOP/build/vm-kernel/vmlinux

setup_file() {
	export IMAGES_DIR
	IMAGES_DIR=$(mktemp -d /tmp/capsa-test-vmkvm-XXXXXX)
	make_busybox_rootfs "$IMAGES_DIR/rootfs"
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

is_pvm() {
	[ -e /sys/module/kvm_pvm ] || ! grep -qwE 'vmx|svm' /proc/cpuinfo
}

# Nothing of a refused run: no record, no scratch dir, no VM process, no cgroup.
assert_nothing_left() {
	[ -z "$(c ps -aq)" ]
	[ -z "$(find "$STORE/run" -mindepth 1 -maxdepth 1 -name 'vm-*' 2>/dev/null)" ]
	[ -z "$(find "$STORE/containers" -mindepth 1 -maxdepth 1 -type d 2>/dev/null)" ]
	[ -z "$(find /sys/fs/cgroup -maxdepth 3 -path "*/$CAPSA_CGROUP_PARENT/*" -type d 2>/dev/null)" ]
}

@test "vm-kvm: --hypervisor kvm on a PVM host fails with the reason and leaves nothing" {
	is_pvm || skip "this host has hardware virtualisation"
	run -125 c run --rm --hypervisor kvm bb true
	[[ $output == *"--hypervisor kvm: this host's KVM is PVM software virtualisation; Linux guests need hardware VT-x/AMD-V (or a PVM guest kernel)"* ]]
	assert_nothing_left
	# --kernel asks for KVM as well.
	run -125 c run --rm --vm --kernel "$IMAGES_DIR/none" bb true
	[[ $output == *"--kernel: this host's KVM is PVM"* ]]
	assert_nothing_left
}

@test "vm-kvm: a missing or unusable --kernel is named with the reason" {
	[ -w /dev/kvm ] || skip "no /dev/kvm"
	export CAPSA_VM_ALLOW_PVM=1
	run -125 c run --rm --hypervisor kvm --kernel "$IMAGES_DIR/no-such-vmlinux" bb true
	[[ $output == *"--kernel: $IMAGES_DIR/no-such-vmlinux: No such file or directory"* ]]
	assert_nothing_left
	run -125 c run --rm --hypervisor kvm --kernel "$IMAGES_DIR" bb true
	[[ $output == *"--kernel: $IMAGES_DIR: not a regular file"* ]]
	assert_nothing_left
	run -125 c run --rm --hypervisor kvm --kernel "" bb true
	[[ $output == *"--kernel: empty path"* ]]
	assert_nothing_left
}

@test "vm-kvm: --kernel with --hypervisor uml and an unknown hypervisor are refused" {
	run -125 c run --rm --hypervisor uml --kernel /boot/vmlinuz bb true
	[[ $output == *"--kernel /boot/vmlinuz: only for --hypervisor kvm"* ]]
	run -125 c run --rm --hypervisor xen bb true
	[[ $output == *"--hypervisor xen: not kvm or uml"* ]]
	assert_nothing_left
}

@test "vm-kvm: a kernel that is not a kernel fails the VM with the loader's reason" {
	[ -w /dev/kvm ] || skip "no /dev/kvm"
	[ -x "$CAPSA_TOP/build/capsa-vminit" ] || skip "build/capsa-vminit is not built (make all)"
	export CAPSA_VM_ALLOW_PVM=1
	printf 'not a kernel at all\n' >"$IMAGES_DIR/junk"
	export CAPSA_VM_KERNEL_LOG=$BATS_TEST_TMPDIR/kernel.log
	run c run --rm --hypervisor kvm --kernel "$IMAGES_DIR/junk" bb true
	[ "$status" -ne 0 ]
	[[ $output == *"the guest stopped without an exit status (capsa-vmm exit 125; kernel: capsa-vmm: the VM could not start: kernel $IMAGES_DIR/junk: neither a bzImage nor an ELF64 image)"* ]]
	grep -q "capsa-vmm: the VM could not start: kernel $IMAGES_DIR/junk: " "$CAPSA_VM_KERNEL_LOG"
	assert_nothing_left
	# a relative --kernel names the caller's file: kept absolute, so a start from elsewhere uses it
	id=$(cd "$IMAGES_DIR" && c create --hypervisor kvm --kernel ./junk bb true)
	run c start -a "$id"
	[ "$status" -ne 0 ]
	[[ $output == *"kernel $IMAGES_DIR/junk: neither a bzImage nor an ELF64 image"* ]]
	c rm -f "$id" >/dev/null
	assert_nothing_left
}

@test "vm-kvm: the built kernel boots through the KVM backend with its devices up to the PVM limit" {
	[ "${CAPSA_SLOW_TESTS:-0}" = 1 ] || skip "slow (a kernel under PVM emulation): CAPSA_SLOW_TESTS=1"
	[ -f "$KERNEL" ] || skip "$KERNEL is not built (make vm-kernel)"
	[ -w /dev/kvm ] || skip "no /dev/kvm"
	[ -x "$CAPSA_TOP/build/capsa-vminit" ] || skip "build/capsa-vminit is not built (make all)"
	export CAPSA_VM_ALLOW_PVM=1
	export CAPSA_VM_KERNEL_LOG=$BATS_TEST_TMPDIR/kernel.log
	run c run --rm --hypervisor kvm --memory 192m --cpus 1 bb echo hello
	log=$(cat "$CAPSA_VM_KERNEL_LOG")
	grep -q '^Linux version 6\.' <<<"$log"
	grep -q 'Booting paravirtualized kernel on KVM' <<<"$log"
	# vda (the image), vdb (config/status) and hvc0 (the process's console), in virtio-mmio order.
	grep -q 'Kernel command line: console=ttyS0 root=/dev/vda rw .*init=/capsa-vminit .*virtio_mmio.device=4K@0xd0000000:5 virtio_mmio.device=4K@0xd0001000:6 virtio_mmio.device=4K@0xd0002000:7' <<<"$log"
	grep -q 'Memory: [0-9]*K/19[0-9]*K available' <<<"$log"
	if is_pvm; then
		# The emulation gives up before user space: a clear failure, not a hang, and nothing left.
		[ "$status" -ne 0 ]
		grep -q '^capsa-vmm: the guest ended: ' <<<"$log"
	else
		[ "$status" -eq 0 ]
		[ "$output" = hello ]
	fi
	assert_nothing_left
}

@test "vm-kvm: stop and kill of a running KVM VM end the VMM with 137 and leave nothing" {
	[ "${CAPSA_SLOW_TESTS:-0}" = 1 ] || skip "slow (a kernel under PVM emulation): CAPSA_SLOW_TESTS=1"
	[ -f "$KERNEL" ] || skip "$KERNEL is not built (make vm-kernel)"
	[ -w /dev/kvm ] || skip "no /dev/kvm"
	[ -x "$CAPSA_TOP/build/capsa-vminit" ] || skip "build/capsa-vminit is not built (make all)"
	export CAPSA_VM_ALLOW_PVM=1
	# Under PVM the guest kernel runs seconds of emulated boot before it fails; on hardware it sleeps:
	# either way it is still running when stop (right after run -d returns) reaches it.
	id=$(c run -d --hypervisor kvm bb sleep 100)
	c stop "$id"
	run c wait "$id"
	[ "$output" = 137 ]
	id2=$(c run -d --hypervisor kvm bb sleep 100)
	c kill "$id2"
	run c wait "$id2"
	[ "$output" = 137 ]
	[ -z "$(find "$STORE/run" -mindepth 1 -maxdepth 1 -name 'vm-*' 2>/dev/null)" ]
	! pgrep -f "$STORE" >/dev/null || false
	c rm "$id" "$id2" >/dev/null
	assert_nothing_left
}
