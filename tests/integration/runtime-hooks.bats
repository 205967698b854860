#!/usr/bin/env bats
# capsa-runtime: OCI hooks run at the right moment, with the state on stdin.

load helpers

setup() {
	capsa_setup_tmp
	BUNDLE="$TEST_TMP/bundle"
	make_bundle "$BUNDLE" sh -c 'sleep 1000'
	HOOK="$TEST_TMP/hook.sh"
	# The hook records its name, the state it got on stdin and whether it sees the container's root.
	cat >"$HOOK" <<'SH'
#!/bin/sh
name=$1
out=$2
state=$(cat)
echo "$name $(echo "$state" | /usr/bin/jq -r '.status + " " + .id') env=$HOOK_ENV" >>"$out"
SH
	chmod 755 "$HOOK"
	# Hooks that run in the container's namespace after pivot_root need the hook inside the rootfs too.
	cp "$HOOK" "$BUNDLE/rootfs/hook.sh"
	mkdir -p "$BUNDLE/rootfs/usr/bin"
}

teardown() {
	capsa_teardown_tmp
}

hook_json() {
	local name=$1 path=${2:-$HOOK} out=${3:-$TEST_TMP/hooks.log}
	printf '{"path": "%s", "args": ["hook", "%s", "%s"], "env": ["HOOK_ENV=%s"]}' "$path" "$name" "$out" "$name"
}

@test "all six hooks run in lifecycle order with the state on stdin" {
	config_edit "$BUNDLE" ".hooks = {
		\"prestart\": [$(hook_json prestart)],
		\"createRuntime\": [$(hook_json createRuntime)],
		\"createContainer\": [$(hook_json createContainer)],
		\"poststart\": [$(hook_json poststart)],
		\"poststop\": [$(hook_json poststop)]}"
	local id
	id=$(cid)
	rt create -b "$BUNDLE" "$id"
	run cat "$TEST_TMP/hooks.log"
	[ "${lines[0]}" = "prestart creating $id env=prestart" ]
	[ "${lines[1]}" = "createRuntime creating $id env=createRuntime" ]
	[ "${lines[2]}" = "createContainer creating $id env=createContainer" ]
	[ "${#lines[@]}" -eq 3 ]
	rt start "$id"
	run cat "$TEST_TMP/hooks.log"
	[ "${lines[3]}" = "poststart running $id env=poststart" ]
	rt delete -f "$id"
	run cat "$TEST_TMP/hooks.log"
	[ "${lines[4]}" = "poststop stopped $id env=poststop" ]
}

@test "startContainer hooks run inside the container before the process" {
	# The path resolves in the container: /hook.sh writes to /tmp inside it.
	cp /usr/bin/jq "$BUNDLE/rootfs/usr/bin/jq" 2>/dev/null || skip "jq binary not copyable"
	for lib in $(ldd /usr/bin/jq | grep -o '/[^ ]*'); do
		mkdir -p "$BUNDLE/rootfs$(dirname "$lib")"
		cp "$lib" "$BUNDLE/rootfs$lib"
	done
	config_edit "$BUNDLE" ".hooks = {\"startContainer\": [$(hook_json startContainer /hook.sh /tmp/hooks.log)]} | .root.readonly = false"
	set_args "$BUNDLE" sh -c 'cat /tmp/hooks.log'
	run rt run -b "$BUNDLE" "$(cid)"
	[ "$status" -eq 0 ]
	[ "$output" = "startContainer running $(cid) env=startContainer" ]
}

@test "a failing hook fails create with its stderr and leaves nothing" {
	printf '#!/bin/sh\necho "capsa-test hook says no" >&2\nexit 3\n' >"$TEST_TMP/bad.sh"
	chmod 755 "$TEST_TMP/bad.sh"
	config_edit "$BUNDLE" ".hooks = {\"createRuntime\": [{\"path\": \"$TEST_TMP/bad.sh\"}]}"
	run rt create -b "$BUNDLE" "$(cid)"
	[ "$status" -ne 0 ]
	[[ "$output" == *"createRuntime hook: hook $TEST_TMP/bad.sh exited with status 3: capsa-test hook says no"* ]]
	[ ! -e "$RUNTIME_ROOT/$(cid)" ]
	assert_no_mounts
}

@test "a hook that runs past its timeout is killed and fails the operation" {
	printf '#!/bin/sh\nsleep 100\n' >"$TEST_TMP/slow.sh"
	chmod 755 "$TEST_TMP/slow.sh"
	config_edit "$BUNDLE" ".hooks = {\"prestart\": [{\"path\": \"$TEST_TMP/slow.sh\", \"timeout\": 1}]}"
	run rt create -b "$BUNDLE" "$(cid)"
	[ "$status" -ne 0 ]
	[[ "$output" == *"timed out after 1s"* ]]
	[ ! -e "$RUNTIME_ROOT/$(cid)" ]
}

@test "a failing poststop hook only warns" {
	config_edit "$BUNDLE" ".hooks = {\"poststop\": [{\"path\": \"/bin/false\"}]}"
	rt create -b "$BUNDLE" "$(cid)"
	run rt delete -f "$(cid)"
	[ "$status" -eq 0 ]
	[[ "$output" == *"poststop hook"* ]]
	[ ! -e "$RUNTIME_ROOT/$(cid)" ]
}

@test "a hook path must be absolute" {
	config_edit "$BUNDLE" '.hooks = {"prestart": [{"path": "relative/hook"}]}'
	run rt create -b "$BUNDLE" "$(cid)"
	[ "$status" -ne 0 ]
	[[ "$output" == *"hooks.prestart[0].path"* ]]
}

@test "hooks get the state on stdin and no other fd of the runtime or its caller" {
	printf '#!/bin/sh\nls /proc/self/fd > %s/fds\n' "$TEST_TMP" >"$TEST_TMP/fds.sh"
	chmod 755 "$TEST_TMP/fds.sh"
	config_edit "$BUNDLE" ".hooks = {\"createRuntime\": [{\"path\": \"$TEST_TMP/fds.sh\"}]}"
	rt create -b "$BUNDLE" "$(cid)" 7</dev/null
	# 0 1 2, and 3 is ls's own directory fd.
	[ "$(tr '\n' ' ' <"$TEST_TMP/fds")" = "0 1 2 3 " ]
	rt delete -f "$(cid)"
}
