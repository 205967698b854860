#!/usr/bin/env bats
# capsa-runtime exec: a new process in a running container.

load helpers

setup() {
	capsa_setup_tmp
	BUNDLE="$TEST_TMP/bundle"
	make_bundle "$BUNDLE" sleep 1000
	config_edit "$BUNDLE" '.hostname = "capsa-exec-host" | .process.env += ["FROM_CONFIG=1"]'
	ID=$(cid)
	rt run -d -b "$BUNDLE" "$ID"
}

teardown() {
	capsa_teardown_tmp
}

@test "exec runs in the container's namespaces and returns the exit code" {
	run rt exec "$ID" sh -c 'hostname; echo $FROM_CONFIG; ls /proc | grep -c "^[0-9]"'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = capsa-exec-host ]
	[ "${lines[1]}" = 1 ]
	# Only the container's processes are visible: sleep, sh and grep's pipeline.
	[ "${lines[2]}" -le 4 ]
	run rt exec "$ID" sh -c 'exit 42'
	[ "$status" -eq 42 ]
	# The same mount namespace: a file written by one exec is seen by the next.
	rt exec "$ID" sh -c 'echo shared > /dev/shm/x'
	run rt exec "$ID" cat /dev/shm/x
	[ "$output" = shared ]
}

@test "exec joins the container's cgroup" {
	local pid
	pid=$(rt state "$ID" | jq .pid)
	rt exec -d --pid-file "$TEST_TMP/exec.pid" "$ID" sleep 100
	local epid
	epid=$(cat "$TEST_TMP/exec.pid")
	# in every hierarchy, the container's cgroup (the child joins it itself)
	assert_one_cgroup "$epid"
	[ "$(cut -d: -f3- /proc/$epid/cgroup | sort -u)" = "$(cut -d: -f3- /proc/$pid/cgroup | sort -u)" ]
	[ "$(readlink /proc/$epid/ns/pid)" = "$(readlink /proc/$pid/ns/pid)" ]
	[ "$(readlink /proc/$epid/ns/mnt)" = "$(readlink /proc/$pid/ns/mnt)" ]
	[ "$(readlink /proc/$epid/ns/net)" = "$(readlink /proc/$pid/ns/net)" ]
	kill "$epid"
}

@test "exec overrides: env, user, groups, cwd, capabilities, no-new-privs" {
	run rt exec -e FOO=bar -e FROM_CONFIG=2 -u 1000:1001 -g 7 --cwd /tmp "$ID" sh -c 'echo $FOO $FROM_CONFIG; id -u; id -g; id -G; pwd; grep NoNewPrivs /proc/self/status'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "bar 2" ]
	[ "${lines[1]}" = 1000 ]
	[ "${lines[2]}" = 1001 ]
	[ "${lines[3]}" = "1001 7" ]
	[ "${lines[4]}" = /tmp ]
	[[ "${lines[5]}" == *1 ]]   # the default spec has noNewPrivileges
	run rt exec --cap CAP_SYS_ADMIN "$ID" grep CapEff /proc/self/status
	[ "$output" = "CapEff:	0000000020200420" ]
	run rt exec --cap CAP_BOGUS "$ID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"unknown capability CAP_BOGUS"* ]]
	run rt exec -u nobody "$ID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"--user nobody: expected UID[:GID]"* ]]
	run rt exec -e NOEQUALS "$ID" true
	[ "$status" -ne 0 ]
}

@test "exec --process runs a process.json" {
	cat >"$TEST_TMP/process.json" <<'JSON'
{"args": ["sh", "-c", "echo from-process-json $X; id -u"], "env": ["X=42", "PATH=/bin"], "cwd": "/", "user": {"uid": 5, "gid": 5}}
JSON
	run rt exec --process "$TEST_TMP/process.json" "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "from-process-json 42" ]
	[ "${lines[1]}" = 5 ]
	echo '{"args": []}' >"$TEST_TMP/bad.json"
	run rt exec --process "$TEST_TMP/bad.json" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"args"* ]]
	run rt exec --process "$TEST_TMP/process.json" "$ID" echo too-much
	[ "$status" -ne 0 ]
}

@test "exec with a terminal over --console-socket" {
	"$TEST_HELPERS/console_recv" "$TEST_TMP/c.sock" >"$TEST_TMP/c.out" 2>/dev/null &
	local recv=$!
	wait_for test -e "$TEST_TMP/c.sock.ready"
	rt exec -t -d --console-socket "$TEST_TMP/c.sock" "$ID" sh -c 'tty; echo done'
	wait "$recv"
	grep -q '^/dev/pts/[0-9]' "$TEST_TMP/c.out"
	grep -q '^done' "$TEST_TMP/c.out"
	run rt exec -t -d "$ID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"console-socket"* ]]
}

@test "exec into a paused container needs --ignore-paused; a stopped one fails" {
	rt pause "$ID"
	run rt exec "$ID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"paused container (use --ignore-paused)"* ]]
	rt exec -d --ignore-paused "$ID" true
	rt resume "$ID"
	rt kill "$ID" KILL
	wait_for sh -c "[ \"\$($RUNTIME --root $RUNTIME_ROOT state $ID | jq -r .status)\" = stopped ]"
	run rt exec "$ID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot exec in a stopped container"* ]]
	run rt exec capsa-test-no-such-container true
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
}

@test "a missing program is reported, not a bare status" {
	run rt exec "$ID" no-such-program
	[ "$status" -ne 0 ]
	[[ "$output" == *'exec: "no-such-program": executable file not found in $PATH'* ]]
}

@test "20 execs in parallel all succeed" {
	local i
	for i in $(seq 1 20); do
		(rt exec "$ID" sh -c "echo exec-$i" >"$TEST_TMP/out.$i" 2>&1; echo $? >"$TEST_TMP/rc.$i") &
	done
	wait
	for i in $(seq 1 20); do
		[ "$(cat "$TEST_TMP/rc.$i")" = 0 ]
		[ "$(cat "$TEST_TMP/out.$i")" = "exec-$i" ]
	done
}
