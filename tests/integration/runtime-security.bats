#!/usr/bin/env bats
# capsa-runtime: regression tests for the escape classes other runtimes shipped fixes for.

load helpers

setup() {
	capsa_setup_tmp
	BUNDLE="$TEST_TMP/bundle"
	make_bundle "$BUNDLE" true
}

teardown() {
	capsa_teardown_tmp
}

@test "CVE-2019-5736 class: the runtime runs from a sealed copy the container cannot write" {
	local before
	before=$(sha256sum "$RUNTIME" | cut -d' ' -f1)
	set_args "$BUNDLE" sleep 1000
	"$RUNTIME" --root "$RUNTIME_ROOT" run -b "$BUNDLE" "$(cid)" &
	local runner=$!
	wait_for sh -c "[ \"\$($RUNTIME --root $RUNTIME_ROOT state $(cid) 2>/dev/null | jq -r .status)\" = running ]"
	# The foreground runtime's own executable is a sealed memfd.
	[[ "$(readlink /proc/$runner/exe)" == /memfd:capsa-runtime* ]]
	run sh -c "echo x >> /proc/$runner/exe"
	[ "$status" -ne 0 ]
	rt kill "$(cid)" KILL
	wait "$runner" || true
	# An image whose entrypoint is '#!/proc/self/exe' gets the sealed copy, not the host binary.
	printf '#!/proc/self/exe\n' >"$BUNDLE/rootfs/evil"
	chmod 755 "$BUNDLE/rootfs/evil"
	config_edit "$BUNDLE" '.root.readonly = false'
	set_args "$BUNDLE" /evil
	run rt run -b "$BUNDLE" "$(cid)"
	[[ "$output" == *"capsa-runtime"* ]]
	[ "$(sha256sum "$RUNTIME" | cut -d' ' -f1)" = "$before" ]
}

@test "CVE-2024-21626 class: a cwd through a leaked fd is refused" {
	for fd in 3 4 5 6 7 8 9; do
		config_edit "$BUNDLE" ".process.cwd = \"/proc/self/fd/$fd\""
		run rt run -b "$BUNDLE" "$(cid)"
		[ "$status" -ne 0 ]
		[ ! -e "$RUNTIME_ROOT/$(cid)" ]
	done
}

@test "CVE-2021-30465 class: a symlink in the image cannot redirect a mount to the host" {
	mkdir -p "$TEST_TMP/host-dir"
	echo untouched >"$TEST_TMP/host-dir/marker"
	# An absolute symlink that points at the host directory if followed outside the rootfs.
	ln -s "$TEST_TMP/host-dir" "$BUNDLE/rootfs/evil"
	ln -s "../../../../../../../../$TEST_TMP/host-dir" "$BUNDLE/rootfs/evil2"
	config_edit "$BUNDLE" '.mounts += [{"destination": "/evil", "type": "tmpfs", "source": "tmpfs"}, {"destination": "/evil2/sub", "type": "tmpfs", "source": "tmpfs"}]'
	set_args "$BUNDLE" sh -c 'echo inside > /evil/f; ls /evil2'
	config_edit "$BUNDLE" '.root.readonly = false'
	run rt run -b "$BUNDLE" "$(cid)"
	[ "$status" -eq 0 ]
	# The host directory got no mount and no file; the tmpfs went inside the rootfs instead.
	[ "$(ls "$TEST_TMP/host-dir")" = marker ]
	[ -d "$BUNDLE/rootfs/$TEST_TMP/host-dir" ]
	! grep -q " $TEST_TMP/host-dir " /proc/self/mountinfo || false
}

@test "writes to /proc/sysrq-trigger and /sys are refused" {
	set_args "$BUNDLE" sh -c 'echo x > /sys/kernel/uevent_helper 2>&1; echo h > /proc/sysrq-trigger 2>&1; true'
	run rt run -b "$BUNDLE" "$(cid)"
	[[ "${lines[0]}" == *"Read-only file system"* ]]
	if [ -e /proc/sysrq-trigger ]; then
		[[ "${lines[1]}" == *"Read-only file system"* ]]
	fi
}

@test "without CAP_MKNOD and CAP_SYS_ADMIN the container cannot make devices or mount" {
	set_args "$BUNDLE" sh -c 'mknod /tmp/sda b 8 0 2>&1; mount -t tmpfs none /tmp 2>&1; true'
	config_edit "$BUNDLE" '.root.readonly = false'
	run rt run -b "$BUNDLE" "$(cid)"
	[[ "${lines[0]}" == *"Operation not permitted"* ]]
	[[ "${lines[1]}" == *"Operation not permitted"* || "${lines[1]}" == *[Pp]"ermission denied"* ]]
}
