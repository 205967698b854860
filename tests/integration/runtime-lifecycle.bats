#!/usr/bin/env bats
# capsa-runtime: command line, lifecycle and bad input.

load helpers

setup() {
	capsa_setup_tmp
	BUNDLE="$TEST_TMP/bundle"
	make_bundle "$BUNDLE" echo hello
}

teardown() {
	capsa_teardown_tmp
}

# Fails if the state dir or a process of container $1 is left.
assert_gone() {
	[ ! -e "$RUNTIME_ROOT/$1" ] || { echo "state dir $1 left" >&2; return 1; }
	! pgrep -f "capsa-test-.*$1" >/dev/null 2>&1 || true
	assert_no_mounts
}

@test "version prints runtime and spec versions" {
	run "$RUNTIME" --version
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^capsa-runtime\ version\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	[ "${lines[1]}" = "spec: 1.2.0" ]
	[[ "$output" == *"libseccomp: "* ]]
}

@test "help on every command" {
	for c in create start run state kill delete list pause resume spec features; do
		run "$RUNTIME" "$c" --help
		[ "$status" -eq 0 ]
		[[ "$output" == usage:\ capsa-runtime\ $c* ]]
	done
}

@test "unknown command and unknown option are errors" {
	run "$RUNTIME" frobnicate
	[ "$status" -ne 0 ]
	[[ "$output" == *'unknown command "frobnicate"'* ]]
	run rt create --bogus x
	[ "$status" -ne 0 ]
	[[ "$output" == *"unknown option --bogus"* ]]
}

@test "spec writes a config that parses, and refuses to overwrite it" {
	mkdir "$TEST_TMP/s"
	run "$RUNTIME" spec -b "$TEST_TMP/s"
	[ "$status" -eq 0 ]
	jq -e '.ociVersion == "1.2.0" and .process.args == ["sh"] and .root.path == "rootfs"' "$TEST_TMP/s/config.json"
	run "$RUNTIME" spec -b "$TEST_TMP/s"
	[ "$status" -ne 0 ]
	[[ "$output" == *"config.json exists"* ]]
	run "$RUNTIME" spec --rootless -b "$TEST_TMP/r"
	[ "$status" -ne 0 ]
	mkdir "$TEST_TMP/r"
	"$RUNTIME" spec --rootless -b "$TEST_TMP/r"
	jq -e '[.linux.namespaces[].type] | index("user") != null' "$TEST_TMP/r/config.json"
}

@test "features prints the runtime-spec features document" {
	run "$RUNTIME" features
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.ociVersionMin and .ociVersionMax and (.linux.namespaces | index("pid") != null)'
}

@test "run prints the process output and exits with its status" {
	run rt run -b "$BUNDLE" "$(cid)"
	[ "$status" -eq 0 ]
	[ "$output" = "hello" ]
	assert_gone "$(cid)"
	set_args "$BUNDLE" sh -c 'exit 3'
	run rt run -b "$BUNDLE" "$(cid)"
	[ "$status" -eq 3 ]
	# Killed by a signal: 128 + N, like a shell.
	set_args "$BUNDLE" sleep 1000
	rt run -b "$BUNDLE" "$(cid)" &
	local runner=$!
	wait_for sh -c "[ \"\$($RUNTIME --root $RUNTIME_ROOT state $(cid) 2>/dev/null | jq -r .status)\" = running ]"
	rt kill "$(cid)" KILL
	local rc=0
	wait "$runner" || rc=$?
	[ "$rc" -eq 137 ]
	assert_gone "$(cid)"
}

@test "create, state, start, kill, delete follow the runtime spec" {
	set_args "$BUNDLE" sh -c 'echo started > /tmp/out; sleep 1000'
	config_edit "$BUNDLE" '.root.readonly = false'
	local id
	id=$(cid)
	rt create -b "$BUNDLE" --pid-file "$TEST_TMP/pid" "$id"
	run rt state "$id"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg id "$id" '.id == $id and .status == "created" and .ociVersion == "1.2.0"'
	local pid
	pid=$(echo "$output" | jq .pid)
	[ "$pid" -gt 0 ]
	[ "$(cat "$TEST_TMP/pid")" = "$pid" ]
	[ ! -e "$BUNDLE/rootfs/tmp/out" ]
	rt start "$id"
	[ "$(rt state "$id" | jq -r .status)" = running ]
	wait_for test -e "/proc/$pid/root/tmp/out"
	run rt start "$id"
	[ "$status" -ne 0 ]
	[[ "$output" == *"it is running, not created"* ]]
	run rt delete "$id"
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot delete container $id that is not stopped: running"* ]]
	rt kill "$id" KILL
	wait_for sh -c "[ \"\$($RUNTIME --root $RUNTIME_ROOT state $id | jq -r .status)\" = stopped ]"
	rt delete "$id"
	run rt state "$id"
	[ "$status" -ne 0 ]
	[[ "$output" == *"container $id does not exist"* ]]
	assert_gone "$id"
}

@test "kill accepts signal names and numbers, rejects unknown ones" {
	set_args "$BUNDLE" sleep 1000
	local id
	id=$(cid)
	rt run -d -b "$BUNDLE" "$id"
	run rt kill "$id" NOSUCHSIG
	[ "$status" -ne 0 ]
	[[ "$output" == *'unknown signal "NOSUCHSIG"'* ]]
	rt kill "$id" SIGCONT
	rt kill "$id" 18
	rt kill "$id" KILL
	wait_for sh -c "[ \"\$($RUNTIME --root $RUNTIME_ROOT state $id | jq -r .status)\" = stopped ]"
	run rt kill "$id"
	[ "$status" -ne 0 ]
	[[ "$output" == *"container is stopped"* ]]
	rt delete "$id"
}

@test "delete --force removes a running container; missing containers" {
	set_args "$BUNDLE" sleep 1000
	local id
	id=$(cid)
	rt run -d -b "$BUNDLE" "$id"
	local pid
	pid=$(rt state "$id" | jq .pid)
	rt delete --force "$id"
	# gone, or a zombie its parent (not the runtime: it has exited) has yet to reap
	! kill -0 "$pid" 2>/dev/null || grep -q '^State:.*Z' "/proc/$pid/status"
	assert_gone "$id"
	run rt delete "$id"
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
	run rt delete -f "$id"
	[ "$status" -eq 0 ]
}

@test "list shows containers as table, ids and json" {
	set_args "$BUNDLE" sleep 1000
	rt create -b "$BUNDLE" "$(cid a)"
	rt create -b "$BUNDLE" "$(cid b)"
	run rt list -q
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(cid a)" ]
	[ "${lines[1]}" = "$(cid b)" ]
	run rt list
	[[ "${lines[0]}" == ID* ]]
	[[ "$output" == *created* ]]
	rt list --format json | jq -e 'length == 2 and .[0].status == "created"'
	run rt list --format yaml
	[ "$status" -ne 0 ]
	rt delete -f "$(cid a)"
	rt delete -f "$(cid b)"
}

@test "bad container ids are rejected" {
	for id in "" "." ".." "a/b" "bad id" 'x$y'; do
		run rt create -b "$BUNDLE" "$id"
		[ "$status" -ne 0 ]
		[[ "$output" == *"container id"* ]]
	done
	[ -z "$(ls -A "$RUNTIME_ROOT")" ]
}

@test "a duplicate id is an error and leaves the first container alone" {
	set_args "$BUNDLE" sleep 1000
	rt create -b "$BUNDLE" "$(cid)"
	run rt create -b "$BUNDLE" "$(cid)"
	[ "$status" -ne 0 ]
	[[ "$output" == *"container with id $(cid) already exists"* ]]
	[ "$(rt state "$(cid)" | jq -r .status)" = created ]
	rt delete -f "$(cid)"
}

@test "a missing executable fails create with the reason and leaves nothing" {
	set_args "$BUNDLE" no-such-program
	run rt create -b "$BUNDLE" "$(cid)"
	[ "$status" -ne 0 ]
	[[ "$output" == *'exec: "no-such-program": executable file not found in $PATH'* ]]
	assert_gone "$(cid)"
	[ ! -d "/sys/fs/cgroup/pids/capsa/$(cid)" ]
	set_args "$BUNDLE" /bin/no-such-file
	run rt run -b "$BUNDLE" "$(cid)"
	[ "$status" -ne 0 ]
	[[ "$output" == *'exec: "/bin/no-such-file": No such file or directory'* ]]
	assert_gone "$(cid)"
}

@test "invalid config.json is rejected with the JSON path" {
	config_edit "$BUNDLE" '.process.args = []'
	run rt create -b "$BUNDLE" "$(cid)"
	[ "$status" -ne 0 ]
	[[ "$output" == *"config.json: process.args"* ]]
	assert_gone "$(cid)"
	echo '{"ociVersion": "1.2.0", ' >"$BUNDLE/config.json"
	run rt create -b "$BUNDLE" "$(cid)"
	[ "$status" -ne 0 ]
	[[ "$output" == *"config.json"*"line"* ]]
	assert_gone "$(cid)"
	run rt create -b "$TEST_TMP/nonexistent" "$(cid)"
	[ "$status" -ne 0 ]
	[[ "$output" == *"bundle $TEST_TMP/nonexistent: No such file or directory"* ]]
}

@test "unknown capability names are errors naming the capability" {
	config_edit "$BUNDLE" '.process.capabilities.bounding += ["CAP_NO_SUCH_THING"]'
	run rt create -b "$BUNDLE" "$(cid)"
	[ "$status" -ne 0 ]
	[[ "$output" == *"unknown capability CAP_NO_SUCH_THING"* ]]
	assert_gone "$(cid)"
}

@test "--systemd-cgroup is refused clearly" {
	run rt --systemd-cgroup create -b "$BUNDLE" "$(cid)"
	[ "$status" -ne 0 ]
	[[ "$output" == *"systemd cgroup driver is not supported"* ]]
}

@test "--log-format json writes runc-style JSON log lines" {
	set_args "$BUNDLE" no-such-program
	run rt --log "$TEST_TMP/log.json" --log-format json create -b "$BUNDLE" "$(cid)"
	[ "$status" -ne 0 ]
	jq -e 'select(.level == "error") | .msg | contains("executable file not found")' "$TEST_TMP/log.json"
	jq -e '.time' "$TEST_TMP/log.json"
	run rt --log-format xml list
	[ "$status" -ne 0 ]
}

@test "status survives the runtime: a container whose process died reports stopped" {
	set_args "$BUNDLE" sh -c 'sleep 1000'
	rt run -d -b "$BUNDLE" "$(cid)"
	pid=$(rt state "$(cid)" | jq .pid)
	kill -9 "$pid"
	wait_for sh -c "[ \"\$($RUNTIME --root $RUNTIME_ROOT state $(cid) | jq -r .status)\" = stopped ]"
	rt delete "$(cid)"
	assert_gone "$(cid)"
}

@test "pause and resume freeze the container; state says paused" {
	set_args "$BUNDLE" sh -c 'i=0; while true; do i=$((i+1)); echo $i > /tmp/c.new; mv /tmp/c.new /tmp/count; sleep 0.01; done'
	config_edit "$BUNDLE" '.root.readonly = false'
	rt run -d -b "$BUNDLE" "$(cid)"
	wait_for test -s "$BUNDLE/rootfs/tmp/count"
	rt pause "$(cid)"
	[ "$(rt state "$(cid)" | jq -r .status)" = paused ]
	local a b
	a=$(cat "$BUNDLE/rootfs/tmp/count")
	sleep 0.3
	b=$(cat "$BUNDLE/rootfs/tmp/count")
	[ "$a" = "$b" ]
	run rt pause "$(cid)"
	[ "$status" -ne 0 ]
	[[ "$output" == *"it is paused"* ]]
	rt resume "$(cid)"
	[ "$(rt state "$(cid)" | jq -r .status)" = running ]
	wait_for sh -c "[ \"\$(cat $BUNDLE/rootfs/tmp/count)\" != $b ]"
	# delete --force of a paused container works too
	rt pause "$(cid)"
	rt delete -f "$(cid)"
	assert_gone "$(cid)"
}

@test "kill -9 of the runtime in the middle of create: delete --force cleans up" {
	# A createRuntime hook holds create at a known point and tells us the runtime's pid.
	printf '#!/bin/sh\necho $$ > %s/hook.pid\necho $PPID > %s/runtime.pid\nexec sleep 1000\n' "$TEST_TMP" "$TEST_TMP" >"$TEST_TMP/hold.sh"
	chmod 755 "$TEST_TMP/hold.sh"
	config_edit "$BUNDLE" ".hooks = {\"createRuntime\": [{\"path\": \"$TEST_TMP/hold.sh\"}]}"
	rt create -b "$BUNDLE" "$(cid)" &
	wait_for test -s "$TEST_TMP/runtime.pid"
	kill -9 "$(cat "$TEST_TMP/runtime.pid")"
	kill "$(cat "$TEST_TMP/hook.pid")" || true
	wait || true
	[ -d "$RUNTIME_ROOT/$(cid)" ]
	local cg
	cg=$(jq -r .capsa.cgroupPath "$RUNTIME_ROOT/$(cid)/state.json")
	[ -d "/sys/fs/cgroup/pids$cg" ]
	rt delete --force "$(cid)"
	[ ! -e "$RUNTIME_ROOT/$(cid)" ]
	[ ! -d "/sys/fs/cgroup/pids$cg" ]
	[ ! -d "/sys/fs/cgroup/memory$cg" ]
	assert_no_mounts
}

@test "AppArmor and SELinux settings fail clearly where the host has neither" {
	[ ! -e /sys/kernel/security/apparmor ] || skip "this host has AppArmor"
	config_edit "$BUNDLE" '.process.apparmorProfile = "capsa-test-profile"'
	run rt create -b "$BUNDLE" "$(cid)"
	[ "$status" -ne 0 ]
	[[ "$output" == *"apparmorProfile capsa-test-profile: AppArmor is not enabled on this host"* ]]
	[ ! -e /sys/fs/selinux/enforce ] || skip "this host has SELinux"
	config_edit "$BUNDLE" 'del(.process.apparmorProfile) | .process.selinuxLabel = "system_u:system_r:container_t:s0"'
	run rt create -b "$BUNDLE" "$(cid)"
	[ "$status" -ne 0 ]
	[[ "$output" == *"SELinux is not enabled"* ]]
	assert_gone "$(cid)"
}
