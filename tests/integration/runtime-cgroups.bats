#!/usr/bin/env bats
# capsa-runtime ps, update, events and resource limits from the config.

load helpers

setup() {
	capsa_setup_tmp
	BUNDLE="$TEST_TMP/bundle"
	make_bundle "$BUNDLE" sleep 1000
	ID=$(cid)
}

teardown() {
	[ -n "${EVENTS_PID:-}" ] && kill "$EVENTS_PID" 2>/dev/null
	capsa_teardown_tmp
}

# The value of a cgroup knob as the container sees it (v1 or v2 names).
knob() {
	rt exec "$ID" sh -c "cat /sys/fs/cgroup/$1 2>/dev/null || cat /sys/fs/cgroup/$2"
}

@test "limits from the config are applied" {
	config_edit "$BUNDLE" '.linux.resources.memory = {"limit": 33554432} | .linux.resources.pids = {"limit": 40} | .linux.resources.cpu = {"quota": 50000, "period": 100000}'
	rt run -d -b "$BUNDLE" "$ID"
	[ "$(knob memory/memory.limit_in_bytes memory.max)" = 33554432 ]
	[ "$(knob pids/pids.max pids.max)" = 40 ]
	[ "$(knob cpu/cpu.cfs_quota_us cpu.max)" = 50000 ] || [ "$(knob cpu/cpu.cfs_quota_us cpu.max)" = "50000 100000" ]
}

@test "a value the kernel refuses fails create with the file and value" {
	config_edit "$BUNDLE" '.linux.resources.cpu = {"cpus": "999"}'
	run rt run -b "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"write 999 to cpuset.cpus"* ]]
	[ ! -e "$RUNTIME_ROOT/$ID" ]
}

@test "ps lists the container's processes as a table and as JSON" {
	rt run -d -b "$BUNDLE" "$ID"
	rt exec -d "$ID" sleep 999
	run rt ps -f json "$ID"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq length)" -eq 2 ]
	run rt ps "$ID"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *PID* ]]
	[[ "$output" == *"sleep 1000"* ]]
	[[ "$output" == *"sleep 999"* ]]
	[ "${#lines[@]}" -eq 3 ]
	run rt ps "$ID" -o 'pid;rm'
	[ "$status" -ne 0 ]
}

@test "update changes the limits of a running container" {
	rt run -d -b "$BUNDLE" "$ID"
	rt update --memory 64m --pids-limit 77 --cpu-shares 512 "$ID"
	[ "$(knob memory/memory.limit_in_bytes memory.max)" = 67108864 ]
	[ "$(knob pids/pids.max pids.max)" = 77 ]
	echo '{"pids": {"limit": 88}}' | rt update -r - "$ID"
	[ "$(knob pids/pids.max pids.max)" = 88 ]
	run rt update --memory lots "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *'--memory: invalid size "lots"'* ]]
	run rt update --cpu-shares 1 "$ID"
	[ "$status" -ne 0 ]
	run rt update "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"nothing to update"* ]]
	echo '{"pids": {"limit": "many"}}' >"$TEST_TMP/r.json"
	run rt update -r "$TEST_TMP/r.json" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"pids.limit"* ]]
}

@test "events --stats prints one runc-style stats event" {
	rt run -d -b "$BUNDLE" "$ID"
	run rt events --stats "$ID"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg id "$ID" '.type == "stats" and .id == $id and .data.pids.current == 1 and .data.memory.usage.usage > 0'
	run rt events --interval nonsense "$ID"
	[ "$status" -ne 0 ]
}

@test "an OOM kill shows up in events" {
	config_edit "$BUNDLE" '.linux.resources.memory = {"limit": 16777216, "swap": 16777216}'
	set_args "$BUNDLE" sh -c 'read x < /dev/stdin; sleep 1000'
	rt run -d -b "$BUNDLE" "$ID" </dev/null
	rt events --interval 1s "$ID" >"$TEST_TMP/events" &
	EVENTS_PID=$!
	# The first stats line means events is watching (it counted the OOM kills before it).
	wait_for grep -q '"type":"stats"' "$TEST_TMP/events"
	# Allocate past the limit in the container's cgroup.
	rt exec "$ID" dd if=/dev/zero of=/dev/null bs=64M count=1 || true
	wait_for grep -q '"type":"oom"' "$TEST_TMP/events"
	rt events --stats "$ID" | jq -e '.data.memory.oom_kill_events >= 1'
}

@test "ps, update and events on a missing container fail clearly" {
	for c in ps events update; do
		run rt $c capsa-test-nonexistent
		[ "$status" -ne 0 ]
	done
	run rt ps capsa-test-nonexistent
	[[ "$output" == *"does not exist"* ]]
}
