#!/usr/bin/env bats
# What a crash or a damaged file leaves in capsa's store, and the commands that clean it up: rm -f of a
# container whose record cannot be read, and container prune of half-made containers and orphaned
# runtime state.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	capsa_setup_tmp
	capsa_cli_setup
	make_busybox_rootfs "$TEST_TMP/rootfs"
	c import "$TEST_TMP/rootfs" bb >/dev/null
}

teardown() {
	capsa_cli_cleanup
	capsa_teardown_tmp
}

# Nothing of container $1 is left: directory, rootfs, runtime state, cgroup, mount, process.
assert_gone() {
	local id=$1
	[ ! -e "$STORE/containers/$id" ]
	[ ! -e "$STORE/rootfs/$id" ]
	[ ! -e "$STORE/run/$id" ]
	! ls -d /sys/fs/cgroup/*/"$CAPSA_CGROUP_PARENT/$id" 2>/dev/null || false
	! grep -q "$id" /proc/self/mountinfo || false
	! pgrep -f "$id" || false
}

@test "rm -f removes a running container whose record or state file is corrupted" {
	for what in container.json state.json; do
		id=$(c run -d bb sleep 1000)
		printf 'not json\n' >"$STORE/containers/$id/$what"
		# Without -f the error names the file; nothing is removed.
		run c rm "$id"
		[ "$status" -ne 0 ]
		[[ "$output" == *"$what: invalid JSON"* ]]
		[ -d "$STORE/containers/$id" ]
		run c rm -f "$id"
		[ "$status" -eq 0 ]
		[[ "$output" == *"removing ${id:0:12} by its id"* ]]
		assert_gone "$id"
	done
	# A prefix works as well; an unknown id still fails.
	id=$(c run -d bb sleep 1000)
	head -c 10 "$STORE/containers/$id/container.json" >"$STORE/containers/$id/x" &&
		mv "$STORE/containers/$id/x" "$STORE/containers/$id/container.json"
	c rm -f "${id:0:12}"
	assert_gone "$id"
	run c rm -f 0123456789ab
	[ "$status" -ne 0 ]
	[[ "$output" == *"No such container: 0123456789ab"* ]]
}

@test "rm -f removes the cgroup directories made ahead of a container whose creator was killed" {
	ls -d /sys/fs/cgroup/pids >/dev/null 2>&1 || skip "made ahead only on v1 and hybrid hosts"
	# What a capsa killed after making the cgroup's directories (cgroups/prime.c) and before its monitor
	# created the container leaves: the record and empty cgroup directories, no runtime state, no process.
	id=$(c create bb true)
	mon=$(jq -r .monitorPid "$STORE/containers/$id/state.json")
	init=$(jq -r .pid "$STORE/run/$id/state.json")
	kill -9 "$mon" "$init"
	while kill -0 "$init" 2>/dev/null; do sleep 0.05; done
	rm -rf "${STORE:?}/run/$id"
	ls -d /sys/fs/cgroup/pids/"$CAPSA_CGROUP_PARENT/$id"
	jq -e --arg p "/$CAPSA_CGROUP_PARENT/$id" '.cgroupPath == $p' "$STORE/containers/$id/container.json"
	c rm -f "$id"
	assert_gone "$id"
}

@test "container prune removes half-made containers and runtime state whose container is gone" {
	# A capsa killed between making the directory and its record leaves a directory with a temp file.
	half=$(printf 'a%.0s' {1..64})
	mkdir -p "$STORE/containers/$half"
	echo '{' >"$STORE/containers/$half/.container.json.tmp.1"
	# A container whose directory went away while it ran (rm killed half way).
	id=$(c run -d bb sleep 1000)
	pid=$(c inspect "$id" | jq -r '.[0].State.Pid')
	[ "$pid" -gt 0 ]
	cp -a "$STORE/containers/$id" "$TEST_TMP/saved"
	rm -rf "$STORE/containers/$id"
	# And a container that is fine stays.
	keep=$(c run -d bb sleep 1000)
	run c container prune -f
	[ "$status" -eq 0 ]
	[[ "$output" == *"$half"* ]]
	[ ! -e "$STORE/containers/$half" ]
	[ ! -e "$STORE/run/$id" ]
	! kill -0 "$pid" 2>/dev/null || false
	# The overlay of the vanished container is still mounted: its store entry goes with rm -f by id.
	mv "$TEST_TMP/saved" "$STORE/containers/$id"
	c rm -f "$id" >/dev/null
	assert_gone "$id"
	[ "$(c inspect "$keep" | jq -r '.[0].State.Running')" = true ]
}
