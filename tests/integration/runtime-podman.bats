#!/usr/bin/env bats
# Podman drives capsa-runtime in place of runc (through conmon), with a private storage root.

load helpers

setup() {
	command -v podman >/dev/null || skip "podman is not installed"
	capsa_setup_tmp
	make_busybox_rootfs "$TEST_TMP/rootfs"
	# The hard rlimits cannot be raised on this host: give podman explicit ones.
	PODMAN=(podman --root "$TEST_TMP/storage" --runroot "$TEST_TMP/run" --cgroup-manager cgroupfs
		--events-backend none --runtime "$RUNTIME")
	RUNOPTS=(--network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --rootfs "$TEST_TMP/rootfs")
}

teardown() {
	if [ -n "${TEST_TMP:-}" ]; then
		"${PODMAN[@]}" rm -af -t 0 >/dev/null 2>&1 || true
		umount -R "$TEST_TMP/storage" 2>/dev/null || true
	fi
	capsa_teardown_tmp
}

@test "podman run --runtime capsa-runtime: output and exit codes" {
	run "${PODMAN[@]}" run --rm "${RUNOPTS[@]}" sh -c 'echo hello from podman; exit 7'
	[ "$status" -eq 7 ]
	[ "${lines[0]}" = "hello from podman" ]
}

@test "podman detached container: ps, exec-free lifecycle, stop and rm" {
	local name="capsa-test-$(basename "$TEST_TMP")"
	local id
	id=$("${PODMAN[@]}" run -d --name "$name" "${RUNOPTS[@]}" sleep 1000)
	run "${PODMAN[@]}" ps --format '{{.Names}} {{.Status}}'
	[[ "$output" == *"$name Up"* ]]
	"${PODMAN[@]}" stop -t 0 "$name"
	run "${PODMAN[@]}" ps -a --format '{{.Names}} {{.Status}}'
	[[ "$output" == *"$name Exited"* ]]
	"${PODMAN[@]}" rm "$name"
	# capsa-runtime delete removed the container's cgroup.
	[ ! -e "/sys/fs/cgroup/pids/libpod_parent/libpod-$id" ]
	[ ! -e "/sys/fs/cgroup/unified/libpod_parent/libpod-$id" ]
}

@test "podman passes limits through the config: memory and pids" {
	run "${PODMAN[@]}" run --rm --memory 64m --pids-limit 33 "${RUNOPTS[@]}" sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 67108864 ]
	[ "${lines[1]}" = 33 ]
}
