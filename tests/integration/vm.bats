#!/usr/bin/env bats
# capsa's KVM VMM, end to end with the freestanding guest programs of vm/guest (built by `make vm-guests`):
# boot modes, exits, devices, interrupts, ring 3, and every way a VM can end.

load helpers

VMRUN="$TEST_HELPERS/vmrun"
GUESTS="${CAPSA_VM_GUESTS:-$CAPSA_TOP/build/vm/guest}"

setup() {
	[ -c /dev/kvm ] || skip "no /dev/kvm on this host"
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "/dev/kvm is not usable by this user"
	[ -x "$VMRUN" ] && [ -f "$GUESTS/hello.elf" ] || skip "guest programs not built (make vm-guests)"
	capsa_setup_tmp
}

teardown() {
	capsa_teardown_tmp
}

# A disk of 2048 sectors whose sector 0 starts with a known line.
make_disk() {
	printf 'capsa disk sector 0\n' >"$TEST_TMP/disk.img"
	truncate -s 1M "$TEST_TMP/disk.img"
}

@test "vm: a guest program prints on the UART and its exit status is ours" {
	run "$VMRUN" --no-console "$GUESTS/hello.elf"
	[ "$status" -eq 0 ]
	[[ "$output" == *"hello from the capsa guest"* ]]
	run "$VMRUN" --no-console --cmdline exit=3 "$GUESTS/hello.elf"
	[ "$status" -eq 3 ]
	run "$VMRUN" --no-console --cmdline exit=137 "$GUESTS/hello.elf"
	[ "$status" -eq 137 ]
}

@test "vm: the command line reaches the guest with the virtio-mmio devices announced" {
	make_disk
	run "$VMRUN" --disk "$TEST_TMP/disk.img" --cmdline "quiet answer=42" "$GUESTS/hello.elf"
	[ "$status" -eq 0 ]
	[[ "$output" == *"cmdline: quiet answer=42 virtio_mmio.device=4K@0xd0000000:5 virtio_mmio.device=4K@0xd0001000:6"* ]]
}

@test "vm: a PVH entry starts in 32-bit mode and the guest builds its own long mode" {
	run "$VMRUN" --no-console --cmdline exit=7 "$GUESTS/hello-pvh.elf"
	[ "$status" -eq 7 ]
	[[ "$output" == *"hello from the capsa guest"* ]]
}

@test "vm: CPUID comes from KVM with the hypervisor bit and KVM's signature" {
	run "$VMRUN" --no-console --cmdline do=cpuid "$GUESTS/hello.elf"
	[ "$status" -eq 0 ]
	[[ "$output" == *"hypervisor 1"* ]]
	[[ "$output" == *"cpuid 0x40000000: max 40000001 signature KVMKVMKVM"* ]]
}

@test "vm: exits are counted and reported" {
	"$VMRUN" --no-console --stats "$GUESTS/hello.elf" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	local stats
	stats=$(cat "$TEST_TMP/err")
	[[ "$stats" =~ exits\ total=([0-9]+)\ io=([0-9]+)\ mmio=([0-9]+) ]]
	# One port write per character printed, plus one to the exit port: every exit is counted.
	[ "${BASH_REMATCH[2]}" -eq $(($(wc -c <"$TEST_TMP/out") + 1)) ]
	[ "${BASH_REMATCH[3]}" -eq 0 ]
	[ "${BASH_REMATCH[1]}" -ge "${BASH_REMATCH[2]}" ]
}

@test "vm: a triple fault ends the VM with a clear error" {
	run "$VMRUN" --no-console --cmdline do=triple "$GUESTS/hello.elf"
	[ "$status" -eq 125 ]
	[[ "$output" == *"vmrun: triple fault: vcpu 0: triple fault at rip 0x"* ]]
}

@test "vm: a guest panic (pvpanic) is reported as such" {
	run "$VMRUN" --no-console --cmdline do=panic "$GUESTS/hello.elf"
	[ "$status" -eq 125 ]
	[[ "$output" == *"vmrun: guest panic"* ]]
}

@test "vm: an i8042 reset ends the VM" {
	run "$VMRUN" --no-console --cmdline do=reset "$GUESTS/hello.elf"
	[ "$status" -eq 125 ]
	[[ "$output" == *"vmrun: reset by the guest: i8042 reset"* ]]
}

@test "vm: exceptions reach the guest's own IDT" {
	run "$VMRUN" --no-console --cmdline do=exception "$GUESTS/hello.elf"
	[ "$status" -eq 106 ]
	[[ "$output" == *"guest: exception 6 at rip"* ]]
}

@test "vm: a hung guest is stopped by the timeout" {
	run "$VMRUN" --no-console --timeout 300 --cmdline do=hang "$GUESTS/hello.elf"
	[ "$status" -eq 125 ]
	[[ "$output" == *"vmrun: timed out: ran longer than 300 ms"* ]]
}

@test "vm: the host stops a running VM (SIGTERM to the VMM)" {
	"$VMRUN" --no-console --cmdline do=hang "$GUESTS/hello.elf" >"$TEST_TMP/out" 2>&1 &
	local pid=$!
	# Wait for the guest to be running, however slow the machine is.
	local i
	for i in $(seq 600); do
		grep -q "cmdline:" "$TEST_TMP/out" && break
		sleep 0.1
	done
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 125 ]
	grep -q "vmrun: stopped: stopped by the host" "$TEST_TMP/out"
}

@test "vm: several vCPUs (the others wait for a SIPI that never comes) still end cleanly" {
	run "$VMRUN" --no-console --cpus 4 --cmdline exit=5 "$GUESTS/hello.elf"
	[ "$status" -eq 5 ]
}

@test "vm: the boot vCPU wakes the others with INIT/SIPI; each comes up through real, protected and long mode" {
	run "$VMRUN" --no-console --timeout 120000 --cpus 4 --cmdline cpus=4 "$GUESTS/smp.elf"
	echo "$output"
	[ "$status" -eq 0 ]
	local id
	for id in 1 2 3; do
		[[ "$output" == *"up, apic id $id"* ]]
	done
	[[ "$output" == *"all 4 vCPUs up"* ]]
}

@test "vm: virtio-blk reads sector 0, writes sector 1, flushes, refuses a read past the end, with interrupts" {
	make_disk
	run "$VMRUN" --no-console --disk "$TEST_TMP/disk.img" --cmdline sectors=2048 "$GUESTS/blk.elf"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"sector 0: capsa disk sector 0"* ]]
	[[ "$output" == *"read past the end: status 1"* ]]
	[ "$(dd if="$TEST_TMP/disk.img" bs=512 skip=1 count=1 status=none | tr -d '\0')" = "written by the capsa guest" ]
	[ "$(stat -c %s "$TEST_TMP/disk.img")" -eq 1048576 ]
}

@test "vm: a read-only disk refuses the guest's write and stays unchanged" {
	make_disk
	local before
	before=$(sha256sum <"$TEST_TMP/disk.img")
	run "$VMRUN" --no-console --disk "$TEST_TMP/disk.img" --disk-ro --cmdline "ro=1" "$GUESTS/blk.elf"
	[ "$status" -eq 0 ]
	[[ "$output" == *"write to a read-only disk: status 1"* ]]
	[ "$(sha256sum <"$TEST_TMP/disk.img")" = "$before" ]
}

@test "vm: a copy-on-write disk takes the guest's writes, reads them back and leaves the file unchanged" {
	make_disk
	local before
	before=$(sha256sum <"$TEST_TMP/disk.img")
	mkdir "$TEST_TMP/cow"
	run "$VMRUN" --no-console --disk "$TEST_TMP/disk.img" --disk-cow "$TEST_TMP/cow" --cmdline sectors=2048 \
		"$GUESTS/blk.elf"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"sector 1 written and read back, sectors 0-1 read in one request"* ]]
	[ "$(sha256sum <"$TEST_TMP/disk.img")" = "$before" ]
	# the overlay was never a name in the directory
	[ -z "$(ls -A "$TEST_TMP/cow")" ]
	# a directory that cannot hold it is refused up front, naming the disk and the directory
	run "$VMRUN" --no-console --disk "$TEST_TMP/disk.img" --disk-cow "$TEST_TMP/capsa-test-none" "$GUESTS/blk.elf"
	[ "$status" -eq 125 ]
	[[ "$output" == *"disk $TEST_TMP/disk.img: copy-on-write overlay in $TEST_TMP/capsa-test-none: No such file or directory"* ]]
}

@test "vm: hostile virtqueue descriptors are refused, the VMM survives and the device works after a reset" {
	make_disk
	run "$VMRUN" --no-console --disk "$TEST_TMP/disk.img" --cmdline do=evil "$GUESTS/blk.elf"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c ': refused$' <<<"$output")" -eq 6 ]
	[[ "$output" == *"device needs a reset"* ]]
	[[ "$output" == *"evil: device recovered after reset"* ]]
}

@test "vm: the virtio-mmio transport refuses bad feature and queue setups and recovers on reset" {
	make_disk
	run "$VMRUN" --no-console --disk "$TEST_TMP/disk.img" --cmdline do=negotiate "$GUESTS/blk.elf"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"unoffered feature: FEATURES_OK refused"* ]]
	[[ "$output" == *"no VERSION_1: FEATURES_OK refused"* ]]
	[[ "$output" == *"queue size 3: queue refused, DEVICE_NEEDS_RESET"* ]]
	[[ "$output" == *"descriptors outside RAM: queue refused, DEVICE_NEEDS_RESET"* ]]
	[[ "$output" == *"negotiate: device works after a reset"* ]]
}

@test "vm: a disk that is not whole sectors is refused before the VM starts" {
	printf 'abc' >"$TEST_TMP/odd.img"
	run "$VMRUN" --no-console --disk "$TEST_TMP/odd.img" "$GUESTS/blk.elf"
	[ "$status" -eq 125 ]
	[[ "$output" == *"virtio-blk: disk $TEST_TMP/odd.img is not a regular file of whole 512-byte sectors"* ]]
	run "$VMRUN" --no-console --disk "$TEST_TMP/missing.img" "$GUESTS/blk.elf"
	[ "$status" -eq 125 ]
	[[ "$output" == *"missing.img: No such file or directory"* ]]
}

@test "vm: virtio-console carries stdio apart from the UART (input from a pipe)" {
	run bash -c "echo 'hello there' | '$VMRUN' --console-out '$TEST_TMP/console' '$GUESTS/console.elf'"
	[ "$status" -eq 0 ]
	[[ "$output" == *"uart: console guest up"* ]]
	[[ "$output" != *"HELLO"* ]]
	[ "$(cat "$TEST_TMP/console")" = "$(printf 'console: ready\nHELLO THERE')" ]
}

@test "vm: virtio-console input from a regular file, several lines" {
	printf 'one\ntwo\nthree\n' >"$TEST_TMP/in"
	run "$VMRUN" --console-in "$TEST_TMP/in" --console-out "$TEST_TMP/console" --cmdline lines=3 "$GUESTS/console.elf"
	[ "$status" -eq 0 ]
	[ "$(cat "$TEST_TMP/console")" = "$(printf 'console: ready\nONE\nTWO\nTHREE')" ]
}

@test "vm: a loop runs in guest ring 3 and comes back through a trap with the right result" {
	run "$VMRUN" --no-console --cmdline loops=1000 "$GUESTS/user.elf"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"back in ring 0 from user rip"* ]]
	[[ "$output" == *"user result checked"* ]]
	run "$VMRUN" --no-console --cmdline loops=50000000 "$GUESTS/user.elf"
	[ "$status" -eq 0 ]
	[[ "$output" == *"50000000 loops, result 5581853a73d247a9"* ]]
}

@test "vm: bad memory sizes, kernels and files are refused with the reason" {
	run "$VMRUN" --no-console --mem 3 "$GUESTS/hello.elf"
	[ "$status" -eq 125 ]
	[[ "$output" == *"memory of 3 MiB: 4..3072 MiB supported"* ]]
	run "$VMRUN" --no-console --mem 8192 "$GUESTS/hello.elf"
	[ "$status" -eq 125 ]
	run "$VMRUN" --no-console "$TEST_TMP/nothing"
	[ "$status" -eq 125 ]
	[[ "$output" == *"open kernel $TEST_TMP/nothing: No such file or directory"* ]]
	head -c 8192 /dev/urandom >"$TEST_TMP/junk"
	run "$VMRUN" --no-console "$TEST_TMP/junk"
	[ "$status" -eq 125 ]
	[[ "$output" == *"kernel $TEST_TMP/junk: neither a bzImage nor an ELF64 image"* ]]
	run "$VMRUN" --no-console --initrd "$TEST_TMP/nothing" "$GUESTS/hello.elf"
	[ "$status" -eq 125 ]
	[[ "$output" == *"open initrd"* ]]
}

@test "vm: on a PVM host a Linux kernel is refused up front with the reason" {
	"$VMRUN" --pvm-check >/dev/null || skip "this host has hardware virtualisation"
	# Any bzImage counts as Linux; this one is a guest program behind a real setup header.
	run "$VMRUN" --no-console "$GUESTS/hello.bzImage"
	[ "$status" -eq 125 ]
	[ "$output" = "vmrun: kernel $GUESTS/hello.bzImage: this host's KVM is PVM software virtualisation; Linux guests need hardware VT-x/AMD-V (or a PVM guest kernel)" ]
	run "$VMRUN" --pvm-check
	[ "$status" -eq 0 ]
	[[ "$output" == *"PVM software virtualisation"* ]]
}

@test "vm: the bzImage 64-bit boot protocol: load at pref_address, command line and initrd through boot_params" {
	head -c 300000 /dev/urandom >"$TEST_TMP/initrd"
	sed -i '1s/^/capsa initrd line\n/' "$TEST_TMP/initrd"
	run "$VMRUN" --allow-pvm-linux --no-console --initrd "$TEST_TMP/initrd" --cmdline "do=initrd exit=4" \
		"$GUESTS/hello.bzImage"
	echo "$output"
	[ "$status" -eq 4 ]
	[[ "$output" == *"cmdline: do=initrd exit=4"* ]]
	[[ "$output" == *"initrd: $(stat -c %s "$TEST_TMP/initrd") bytes, page-aligned 1, hash $(initrd_hash "$TEST_TMP/initrd"), first line: capsa initrd line"* ]]
}

@test "vm: the initrd reaches ELF (zero page) and PVH (module list) guests intact" {
	head -c 100000 /dev/urandom >"$TEST_TMP/initrd"
	local want
	want="initrd: 100000 bytes, page-aligned 1, hash $(initrd_hash "$TEST_TMP/initrd")"
	run "$VMRUN" --no-console --initrd "$TEST_TMP/initrd" --cmdline do=initrd "$GUESTS/hello.elf"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$want"* ]]
	run "$VMRUN" --no-console --initrd "$TEST_TMP/initrd" --cmdline do=initrd "$GUESTS/hello-pvh.elf"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$want"* ]]
	run "$VMRUN" --no-console --cmdline do=initrd "$GUESTS/hello-pvh.elf"
	[[ "$output" == *"initrd: none"* ]]
	truncate -s 300M "$TEST_TMP/big"
	run "$VMRUN" --no-console --mem 64 --initrd "$TEST_TMP/big" "$GUESTS/hello.elf"
	[ "$status" -eq 125 ]
	[[ "$output" == *"initrd $TEST_TMP/big (300 MiB) does not fit above the kernel"* ]]
}

@test "vm: the VMM leaves no fd, thread or mapping behind, on success and on failure" {
	make_disk
	run "$VMRUN" --check-leaks --no-console --disk "$TEST_TMP/disk.img" --cpus 2 "$GUESTS/blk.elf"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"vmrun: no leaks"* ]]
	run "$VMRUN" --check-leaks --console-out "$TEST_TMP/c" --cmdline do=triple "$GUESTS/hello.elf"
	[ "$status" -eq 0 ]
	run "$VMRUN" --check-leaks --no-console --disk "$TEST_TMP/missing.img" "$GUESTS/hello.elf"
	[ "$status" -eq 0 ]
	[[ "$output" == *"vmrun: no leaks"* ]]
	run "$VMRUN" --check-leaks --no-console --mem 4 "$GUESTS/hello.elf"
	[ "$status" -eq 0 ]
}

# The KVM backend's stderr console (capsa_vm_config.console_err_fd, Linux's hvc1 for run --vm): a second
# virtio-console with output only, after the first (this host's PVM KVM cannot boot Linux, so vminit's
# use of hvc1 is not run here).
@test "vm: stderr console: with a stderr console the guest's first console is still stdout, and the stderr file stays empty" {
	run bash -c "echo 'hello there' | '$VMRUN' --console-out '$TEST_TMP/out' --console-err '$TEST_TMP/err' '$GUESTS/console.elf'"
	[ "$status" -eq 0 ]
	[ "$(cat "$TEST_TMP/out")" = "$(printf 'console: ready\nHELLO THERE')" ]
	[ -f "$TEST_TMP/err" ]
	[ ! -s "$TEST_TMP/err" ]
}

@test "vm: stderr console: the stderr console alone is a working virtio-console that writes to its file" {
	run "$VMRUN" --no-console --console-err "$TEST_TMP/err" --cmdline lines=0 "$GUESTS/console.elf"
	[ "$status" -eq 0 ]
	[[ "$output" == *"uart: console guest up"* ]]
	[ "$(cat "$TEST_TMP/err")" = "console: ready" ]
}

@test "vm: stderr console: a stderr console that cannot be opened is refused by name" {
	run "$VMRUN" --console-err /nonexistent/capsa-test-dir/err "$GUESTS/console.elf"
	[ "$status" -ne 0 ]
	[[ "$output" == *"/nonexistent/capsa-test-dir/err"* ]]
}
