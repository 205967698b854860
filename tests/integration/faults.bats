#!/usr/bin/env bats
# Faults from outside, with no test-only code in capsa: strace's syscall tampering kills capsa, the
# monitor, capsa-runtime or the container's init at the N-th call of a chosen syscall (walking every step
# of create, start, exec and rm), or makes one call fail (EPERM, ENOSPC). Afterwards rm -f, delete --force
# and prune must leave no mount, cgroup, state directory or process, and the store must still be usable.
# Also a store on a full tmpfs, and corrupted records. Every container's cgroup lives under a capsa-test-
# parent; the leak checker in capsa_teardown_tmp sees anything named after the test.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	export IMAGES_DIR
	IMAGES_DIR=$(mktemp -d /tmp/capsa-test-faults-XXXXXX)
	make_busybox_rootfs "$IMAGES_DIR/rootfs"
}

teardown_file() {
	rm -rf "$IMAGES_DIR"
}

setup() {
	command -v strace >/dev/null || skip "strace is not installed (make deps)"
	capsa_setup_tmp
	capsa_cli_setup
	c import "$IMAGES_DIR/rootfs" bb >/dev/null
}

teardown() {
	capsa_cli_cleanup
	grep -o " $TEST_TMP/small[^ ]*" /proc/self/mountinfo 2>/dev/null | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done
	capsa_teardown_tmp
}

# inject SYSCALL WHEN|error=E:when=N PROGRAM ARGS...: runs PROGRAM under strace -f with the fault; the
# status is PROGRAM's (137 when it was the one killed). $KILLED says whether any process was killed.
inject() {
	local sc=$1 how=$2
	shift 2
	case "$how" in
	[0-9]*) how="signal=KILL:when=$how" ;;
	esac
	local rc=0
	# strace -f waits for every traced process, and a container left "created" by a killed capsa keeps
	# its monitor waiting for start: by default stop following a process at its execve (the monitor
	# and the container's init run untraced). FOLLOW_EXEC=1 follows them too, for syscalls only the
	# monitor and init make, whose death ends everything. SIGKILL: strace can sit out a SIGTERM.
	local b=(-b execve) t0=$SECONDS
	[ "${FOLLOW_EXEC:-0}" = 0 ] || b=()
	timeout -s KILL 60 strace -f "${b[@]}" -qq -o "$TEST_TMP/strace.log" -e trace="$sc" \
		-e inject="$sc:$how" "$@" >"$TEST_TMP/out" 2>&1 || rc=$?
	KILLED=0
	grep -q 'killed by SIGKILL' "$TEST_TMP/strace.log" && KILLED=1
	# timeout killing strace means a traced process hung: a finding, not a fault walked.
	[ "$rc" -ne 137 ] || [ $((SECONDS - t0)) -lt 60 ] || {
		echo "hung under $sc:$how: $*" >&2
		return 1
	}
	return 0
}

# Nothing of any container in the store: records, rootfs, runtime state, cgroups, mounts, processes.
assert_store_clean() {
	local left
	left=$(ls -A "$STORE/containers" | grep -v '^lock$' || true)
	[ -z "$left" ] || {
		echo "left in containers/: $left" >&2
		ls -laR "$STORE/containers" >&2
		return 1
	}
	[ -z "$(ls -A "$STORE/rootfs" 2>/dev/null)" ] || {
		echo "left in rootfs/: $(ls -A "$STORE/rootfs")" >&2
		return 1
	}
	# (the compiled seccomp filter cache is kept on purpose)
	[ -z "$(ls -A "$STORE/run" 2>/dev/null | grep -v '^@seccomp-cache$')" ] || {
		echo "left in run/: $(ls -A "$STORE/run")" >&2
		return 1
	}
	! grep " $STORE" /proc/self/mountinfo >&2 || false
	! find /sys/fs/cgroup -mindepth 2 -path "*/$CAPSA_CGROUP_PARENT/*" -type d 2>/dev/null | grep . >&2 || false
	! pgrep -af "$STORE" >&2 || false
	# The store still works.
	run c ps -a
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	run c images
	[ "$status" -eq 0 ]
	[[ "$output" == *bb* ]]
}

remove_all() {
	local id
	for id in $(c ps -aq --no-trunc); do
		c rm -f "$id" >/dev/null || {
			echo "rm -f $id failed" >&2
			return 1
		}
	done
	c container prune -f >/dev/null
}

# walk SYSCALL MAX CMD...: kills at call 1, 2, 3, 5, 8, ... up to MAX, stopping once a run gets
# through without any process killed (every step of that syscall was walked).
walk() {
	local sc=$1 max=$2 n=1 prev=0 tmp
	shift 2
	while [ "$n" -le "$max" ]; do
		inject "$sc" "$n" "$@"
		[ "$KILLED" = 1 ] || break
		WALKED=$((WALKED + 1))
		tmp=$n
		n=$((n + prev > n ? n + prev : n + 1))
		prev=$tmp
	done
}

@test "faults: kill -9 at each step of run -d (capsa, monitor, init), then rm -f and prune leave nothing" {
	WALKED=0
	for sc in mkdirat openat renameat fsync flock clone clone3 execve wait4 write; do
		walk "$sc" 40 "$CAPSA" --root "$STORE" run -d bb true
	done
	# Calls only the monitor and the container's init make: these kill them at each step.
	for sc in mount open_tree move_mount pivot_root sethostname seccomp; do
		FOLLOW_EXEC=1 walk "$sc" 40 "$CAPSA" --root "$STORE" run -d bb true
	done
	echo "# $WALKED kills during run -d" >&3
	[ "$WALKED" -gt 40 ]
	# Whatever the kills left must still be listed or removable, not break the listing.
	run c ps -a
	[ "$status" -eq 0 ]
	remove_all
	assert_store_clean
}

@test "faults: kill -9 at each step of create and of start, separately" {
	WALKED=0
	for sc in mkdirat renameat mount clone clone3 execve write; do
		walk "$sc" 30 "$CAPSA" --root "$STORE" create bb true
	done
	remove_all
	assert_store_clean
	for sc in openat renameat clone clone3 write kill epoll_ctl; do
		for n in 1 2 3 5 8; do
			id=$(c create bb true)
			inject "$sc" "$n" "$CAPSA" --root "$STORE" start "$id"
			[ "$KILLED" = 1 ] && WALKED=$((WALKED + 1))
		done
	done
	echo "# $WALKED kills during create and start" >&3
	remove_all
	assert_store_clean
}

@test "faults: kill -9 at each step of exec leaves the container running and exec usable" {
	id=$(c run -d bb sleep 1000)
	WALKED=0
	# Followed past execve: capsa exec runs itself again from a sealed copy, and the steps that matter
	# (joining the namespaces, the process) come after that.
	for sc in openat clone clone3 setns execve write wait4; do
		FOLLOW_EXEC=1 walk "$sc" 20 "$CAPSA" --root "$STORE" exec "$id" true
	done
	echo "# $WALKED kills during exec" >&3
	[ "$WALKED" -gt 10 ]
	[ "$(c inspect "$id" | jq -r '.[0].State.Running')" = true ]
	run c exec "$id" echo still-here
	[ "$status" -eq 0 ]
	[ "$output" = still-here ]
	remove_all
	assert_store_clean
}

@test "faults: kill -9 at each step of rm -f, then rm -f again removes everything" {
	WALKED=0
	for sc in kill umount2 unlinkat rmdir renameat openat wait4; do
		for n in 1 2 4 8; do
			id=$(c run -d bb sleep 1000)
			inject "$sc" "$n" "$CAPSA" --root "$STORE" rm -f "$id"
			[ "$KILLED" = 1 ] && WALKED=$((WALKED + 1))
			c rm -f "$id" >/dev/null 2>&1 || [ -z "$(c ps -aq --filter "id=$id")" ]
		done
	done
	echo "# $WALKED kills during rm -f" >&3
	[ "$WALKED" -gt 10 ]
	remove_all
	assert_store_clean
}

@test "faults: capsa-runtime killed at each step of create, then delete --force leaves nothing" {
	make_bundle "$TEST_TMP/bundle" sleep 1000
	config_edit "$TEST_TMP/bundle" ".linux.cgroupsPath = \"$TEST_ID_PREFIX/rt\""
	WALKED=0
	for sc in mkdirat openat renameat mount pivot_root clone clone3 write prctl; do
		for n in 1 2 3 5 8 13; do
			ctr=$(cid "$sc-$n")
			inject "$sc" "$n" "$RUNTIME" --root "$RUNTIME_ROOT" create --bundle "$TEST_TMP/bundle" "$ctr"
			[ "$KILLED" = 1 ] && WALKED=$((WALKED + 1))
			"$RUNTIME" --root "$RUNTIME_ROOT" delete --force "$ctr" >/dev/null 2>&1 || true
			[ ! -e "$RUNTIME_ROOT/$ctr" ]
			assert_no_mounts
			! pgrep -f "$ctr" >/dev/null || false
		done
	done
	echo "# $WALKED kills during capsa-runtime create" >&3
	[ "$WALKED" -gt 5 ]
	# What a delete killed while removing the state directory leaves: a directory without state.json.
	ctr=$(cid half)
	mkdir "$RUNTIME_ROOT/$ctr"
	run "$RUNTIME" --root "$RUNTIME_ROOT" delete "$ctr"
	[ "$status" -ne 0 ]
	[[ "$output" == *"state.json: No such file or directory"* ]]
	"$RUNTIME" --root "$RUNTIME_ROOT" delete --force "$ctr"
	[ ! -e "$RUNTIME_ROOT/$ctr" ]
	! find /sys/fs/cgroup -mindepth 2 -path "*/$TEST_ID_PREFIX/*" -type d 2>/dev/null | grep . >&2 || false
}

@test "faults: failing mounts and a full disk on the record give a clear error and leave nothing" {
	for n in 1 2 3 5 8; do
		inject mount "error=EPERM:when=$n" "$CAPSA" --root "$STORE" run -d bb true
		if grep -q 'capsa:' "$TEST_TMP/out"; then
			grep -q 'Operation not permitted' "$TEST_TMP/out"
			grep -q 'mount' "$TEST_TMP/out"
		fi
	done
	inject renameat "error=ENOSPC:when=1" "$CAPSA" --root "$STORE" run -d bb true
	grep -q 'container.json: No space left on device' "$TEST_TMP/out"
	inject write "error=ENOSPC:when=1" "$CAPSA" --root "$STORE" run -d bb true
	inject fsync "error=EIO:when=1" "$CAPSA" --root "$STORE" run -d bb true
	grep -q 'Input/output error' "$TEST_TMP/out"
	remove_all
	assert_store_clean
}

@test "faults: import and load on a full store disk fail cleanly and the store stays usable" {
	mkdir -p "$TEST_TMP/small"
	mount -t tmpfs -o size=1m tmpfs "$TEST_TMP/small"
	small() { timeout 60 "$CAPSA" --root "$TEST_TMP/small/store" "$@"; }
	run small import "$IMAGES_DIR/rootfs" big
	[ "$status" -ne 0 ]
	[[ "$output" == *"write blob: No space left on device"* ]]
	run small images
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	c save -o "$TEST_TMP/bb.tar" bb
	run small load -i "$TEST_TMP/bb.tar"
	[ "$status" -ne 0 ]
	[[ "$output" == *"No space left on device"* ]]
	run small images
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	# Nothing half-written stays behind to take the space: with room again, both work.
	mount -o remount,size=64m "$TEST_TMP/small"
	small load -i "$TEST_TMP/bb.tar"
	small import "$IMAGES_DIR/rootfs" big
	[ "$(small images -q | sort -u | wc -l)" -ge 1 ]
	run small run --rm bb echo ok
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	umount "$TEST_TMP/small"
}

# corrupt FILE KIND: replaces FILE by a truncated copy, not JSON, or JSON with every type wrong.
corrupt() {
	case $2 in
	truncated) head -c 20 "$1" >"$1.new" ;;
	notjson) printf 'not json at all\n' >"$1.new" ;;
	types) jq -c 'with_entries(.value |= (if type == "string" then 42 else "x" end))' "$1" >"$1.new" ;;
	esac
	mv "$1.new" "$1"
}

@test "faults: a corrupted container record or state file is named in the error, ps -a still works" {
	id=$(c run -d bb sleep 1000)
	for what in container.json state.json; do
		f="$STORE/containers/$id/$what"
		[ -f "$f" ]
		cp "$f" "$TEST_TMP/good"
		for bad in truncated notjson types; do
			corrupt "$f" "$bad"
			run c inspect "$id"
			[ "$status" -ne 0 ]
			[[ "$output" == *"$what"* ]]
			run c ps -a
			[ "$status" -eq 0 ]
			cp "$TEST_TMP/good" "$f"
		done
	done
	# With the good files back the container is whole again and goes normally.
	c rm -f "$id" >/dev/null
	assert_store_clean
}

@test "faults: rm -f removes a container whose record or state file is corrupted" {
	for what in container.json state.json; do
		for bad in truncated notjson types; do
		id=$(c run -d bb sleep 1000)
		corrupt "$STORE/containers/$id/$what" $bad
		run c rm -f "$id"
		[ "$status" -eq 0 ]
		[ ! -e "$STORE/containers/$id" ]
		done
	done
	assert_store_clean
}
