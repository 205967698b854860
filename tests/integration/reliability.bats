#!/usr/bin/env bats
# Reliability: the leak checker finds each kind of leftover, and capsa-runtime's lifecycle, failures and
# kill -9 in the middle of create leave nothing behind by its measure.

load helpers

LEAKCHECK="$CAPSA_TOP/tests/leakcheck.sh"

setup() {
	capsa_setup_tmp
	SNAP="$BATS_TEST_TMPDIR/leak.snap"
	"$LEAKCHECK" snapshot "$SNAP"
	# Only this test's resources count: other tests may run on the machine at the same time.
	MINE="$TEST_ID_PREFIX"
}

teardown() {
	[ -n "${SLEEPER:-}" ] && kill "$SLEEPER" 2>/dev/null
	[ -n "${LINK:-}" ] && ip link del "$LINK" 2>/dev/null
	[ -n "${NFT:-}" ] && nft delete table inet "$NFT" 2>/dev/null
	[ -n "${NETNS:-}" ] && ip netns del "$NETNS" 2>/dev/null
	[ -n "${CG:-}" ] && rmdir "$CG" 2>/dev/null
	[ -n "${RUNDIR:-}" ] && rm -rf "$RUNDIR"
	capsa_teardown_tmp
	"$LEAKCHECK" compare "$SNAP" "$MINE"
}

# Fails unless compare reports exactly a leak matching $1 (a regex on "leaked: KIND VALUE").
expect_leak() {
	run "$LEAKCHECK" compare "$SNAP" "$MINE"
	[ "$status" -eq 1 ] || { echo "compare did not fail: $output" >&2; return 1; }
	[[ "$output" =~ leaked:\ $1 ]] || { echo "no '$1' in: $output" >&2; return 1; }
}

expect_clean() {
	run "$LEAKCHECK" compare "$SNAP" "$MINE"
	[ "$status" -eq 0 ] || { echo "unexpected leaks: $output" >&2; return 1; }
}

@test "leakcheck: usage errors and a missing snapshot" {
	run "$LEAKCHECK"
	[ "$status" -eq 2 ]
	[[ "$output" == *snapshot* ]]
	run "$LEAKCHECK" compare "$TEST_TMP/none"
	[ "$status" -eq 2 ]
	[[ "$output" == *"no snapshot $TEST_TMP/none"* ]]
	expect_clean
}

@test "leakcheck: a mount left under the test dir" {
	mkdir "$TEST_TMP/m"
	mount -t tmpfs capsa-test-tmpfs "$TEST_TMP/m"
	expect_leak "mount $TEST_TMP/m / tmpfs capsa-test-tmpfs"
	# A second mount on the same point is a leak too.
	mount -t tmpfs capsa-test-tmpfs "$TEST_TMP/m"
	umount "$TEST_TMP/m"
	expect_leak "mount $TEST_TMP/m"
	umount "$TEST_TMP/m"
	expect_clean
}

@test "leakcheck: cgroup directories in v1 hierarchies and the unified one" {
	local d found=0
	for d in /sys/fs/cgroup/pids /sys/fs/cgroup/unified /sys/fs/cgroup; do
		if [ -e "$d/cgroup.procs" ]; then
			CG="$d/$MINE"
			break
		fi
	done
	[ -n "${CG:-}" ] || skip "no pids or unified cgroup hierarchy"
	mkdir "$CG"
	expect_leak "cgroup $CG"
	rmdir "$CG"
	expect_clean
}

@test "leakcheck: network link, nft table and named netns" {
	# Link names are at most 15 bytes: match on the name itself.
	LINK="ct$(basename "$TEST_TMP" | tr -dc 'a-zA-Z0-9' | tail -c 8)"
	ip link add "$LINK" type bridge
	MINE="$LINK"
	expect_leak "link $LINK"
	ip link del "$LINK"
	expect_clean

	MINE="$TEST_ID_PREFIX"
	if command -v nft >/dev/null; then
		NFT="$MINE"
		nft add table inet "$NFT"
		expect_leak "nft inet $NFT"
		nft delete table inet "$NFT"
		expect_clean
	fi

	NETNS="$MINE"
	ip netns add "$NETNS"
	expect_leak "netns /run/netns/$NETNS"
	ip netns del "$NETNS"
	expect_clean
}

@test "leakcheck: /run/capsa* entries and processes naming capsa-test" {
	RUNDIR="/run/$MINE"
	mkdir -p "$RUNDIR/state"
	expect_leak "run $RUNDIR"
	rm -rf "$RUNDIR"
	expect_clean

	# exec -a names the process after this test; the check must see it but not itself or bats.
	bash -c "exec -a $MINE-sleeper sleep 1000" &
	SLEEPER=$!
	wait_for grep -q "$MINE-sleeper" "/proc/$SLEEPER/cmdline"
	expect_leak "proc $SLEEPER $MINE-sleeper 1000"
	kill "$SLEEPER"
	wait "$SLEEPER" || true
	SLEEPER=
	expect_clean
}

@test "runtime: create, start, kill, delete leave nothing" {
	make_bundle "$TEST_TMP/bundle" sleep 1000
	rt create -b "$TEST_TMP/bundle" "$(cid)"
	rt start "$(cid)"
	run "$LEAKCHECK" compare "$SNAP" "$MINE"
	[ "$status" -eq 1 ] # a running container is seen: its cgroup, state dir, mounts
	[[ "$output" == *"leaked: cgroup "*"$(cid)"* ]]
	rt kill "$(cid)" KILL
	wait_for sh -c "'$RUNTIME' --root '$RUNTIME_ROOT' state '$(cid)' | grep -q stopped"
	rt delete "$(cid)"
	capsa_teardown_tmp
	expect_clean
}

@test "runtime: failed creates (bad config, missing program, bad rootfs) leave nothing" {
	make_bundle "$TEST_TMP/bundle" no-such-program
	run rt create -b "$TEST_TMP/bundle" "$(cid)"
	[ "$status" -ne 0 ]
	config_edit "$TEST_TMP/bundle" '.process.args = "not an array"'
	run rt create -b "$TEST_TMP/bundle" "$(cid)"
	[ "$status" -ne 0 ]
	[[ "$output" == *process.args* ]]
	config_edit "$TEST_TMP/bundle" '.process.args = ["true"] | .root.path = "missing-rootfs"'
	run rt create -b "$TEST_TMP/bundle" "$(cid)"
	[ "$status" -ne 0 ]
	[[ "$output" == *missing-rootfs* ]]
	[ ! -e "$RUNTIME_ROOT/$(cid)" ]
	capsa_teardown_tmp
	expect_clean
}

@test "runtime: kill -9 during a createRuntime hook, then delete --force, leaves nothing" {
	make_bundle "$TEST_TMP/bundle" true
	# The hook replaces itself with a sleep that names this test, so it can be found and ended by pid.
	printf '#!/bin/bash\necho $PPID > %s/runtime.pid\necho $$ > %s/hook.pid\nexec -a %s-hook sleep 1000\n' \
		"$TEST_TMP" "$TEST_TMP" "$MINE" >"$TEST_TMP/hold.sh"
	chmod 755 "$TEST_TMP/hold.sh"
	config_edit "$TEST_TMP/bundle" ".hooks = {\"createRuntime\": [{\"path\": \"$TEST_TMP/hold.sh\"}]}"
	rt create -b "$TEST_TMP/bundle" "$(cid)" 3>&- &
	wait_for test -s "$TEST_TMP/hook.pid"
	kill -9 "$(cat "$TEST_TMP/runtime.pid")"
	SLEEPER=$(cat "$TEST_TMP/hook.pid")
	kill "$SLEEPER"
	SLEEPER=
	wait || true
	# What the killed create left is what the checker must see, and what delete --force must remove.
	expect_leak "cgroup /sys/fs/cgroup/.*$(cid)"
	rt delete --force "$(cid)"
	[ ! -e "$RUNTIME_ROOT/$(cid)" ]
	capsa_teardown_tmp
	expect_clean
}

@test "runtime: hooks and the container get no fd the runtime's caller left open" {
	# A leaked fd is an escape route (and a pipe held open keeps bats waiting): regression for runtime/hooks.c.
	make_bundle "$TEST_TMP/bundle" sh -c 'ls /proc/self/fd'
	printf '#!/bin/sh\nls /proc/$$/fd > %s/hook-fds\n' "$TEST_TMP" >"$TEST_TMP/hook.sh"
	chmod 755 "$TEST_TMP/hook.sh"
	config_edit "$TEST_TMP/bundle" ".hooks = {\"createRuntime\": [{\"path\": \"$TEST_TMP/hook.sh\"}]}"
	# 7 and 9 stand for whatever a caller (a shell, containerd, podman) forgot to mark close-on-exec.
	run rt run -b "$TEST_TMP/bundle" "$(cid)" 7>"$TEST_TMP/seven" 9<"$TEST_TMP/bundle/config.json"
	[ "$status" -eq 0 ]
	# The container: 0-2 and ls's own directory fd.
	[[ " $(echo $output) " != *" 7 "* && " $(echo $output) " != *" 9 "* ]]
	[ -s "$TEST_TMP/hook-fds" ]
	local hook
	hook=" $(echo $(cat "$TEST_TMP/hook-fds")) "
	[[ "$hook" != *" 7 "* && "$hook" != *" 9 "* ]] || { echo "the hook got fds$hook" >&2; return 1; }
}
