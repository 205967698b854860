#!/usr/bin/env bats
# The KVM backend's stderr console (capsa_vm_config.console_err_fd, Linux's hvc1 for run --vm): a second
# virtio-console with output only, after the first, driven by capsa's own guest program (this host's PVM
# KVM cannot boot Linux, so vminit's use of hvc1 is not run here).

load helpers

VMRUN="$TEST_HELPERS/vmrun"
GUESTS="${CAPSA_VM_GUESTS:-$CAPSA_TOP/build/vm/guest}"

setup() {
	[ -c /dev/kvm ] || skip "no /dev/kvm on this host"
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "/dev/kvm is not usable by this user"
	[ -x "$VMRUN" ] && [ -f "$GUESTS/console.elf" ] || skip "guest programs not built (make vm-guests)"
	capsa_setup_tmp
}

teardown() {
	capsa_teardown_tmp
}

@test "vm-stdio: with a stderr console the guest's first console is still stdout, and the stderr file stays empty" {
	run bash -c "echo 'hello there' | '$VMRUN' --console-out '$TEST_TMP/out' --console-err '$TEST_TMP/err' '$GUESTS/console.elf'"
	[ "$status" -eq 0 ]
	[ "$(cat "$TEST_TMP/out")" = "$(printf 'console: ready\nHELLO THERE')" ]
	[ -f "$TEST_TMP/err" ]
	[ ! -s "$TEST_TMP/err" ]
}

@test "vm-stdio: the stderr console alone is a working virtio-console that writes to its file" {
	run "$VMRUN" --no-console --console-err "$TEST_TMP/err" --cmdline lines=0 "$GUESTS/console.elf"
	[ "$status" -eq 0 ]
	[[ "$output" == *"uart: console guest up"* ]]
	[ "$(cat "$TEST_TMP/err")" = "console: ready" ]
}

@test "vm-stdio: a stderr console that cannot be opened is refused by name" {
	run "$VMRUN" --console-err /nonexistent/capsa-test-dir/err "$GUESTS/console.elf"
	[ "$status" -ne 0 ]
	[[ "$output" == *"/nonexistent/capsa-test-dir/err"* ]]
}
