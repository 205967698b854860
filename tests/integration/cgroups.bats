#!/usr/bin/env bats
# cgroups/ through the cgtool driver: limits, stats, freezer, kill, destroy, device rules, the
# container's cgroup mount. Runs on the host (hybrid: v1 resources) and, through
# tests/vm/run-v2.sh, inside a User-mode Linux guest with a pure cgroup v2 hierarchy.

load helpers

CGTOOL="$TEST_HELPERS/cgtool"

setup() {
	[ -x "$CGTOOL" ] || skip "cgtool not built (make test-helpers)"
	capsa_setup_tmp
	TOPCG="/$TEST_ID_PREFIX"
	CG="$TOPCG/c"
	MODE=$("$CGTOOL" mode)
	"$CGTOOL" create "$CG" >/dev/null
}

teardown() {
	if [ -n "${CG:-}" ]; then
		"$CGTOOL" kill "$CG" 2>/dev/null || true
		"$CGTOOL" destroy "$CG" 2>/dev/null || true
		local d
		for d in /sys/fs/cgroup"$TOPCG" /sys/fs/cgroup/*"$TOPCG"; do
			[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
		done
	fi
	capsa_teardown_tmp
}

# The directory of $CG in the hierarchy holding controller $1 (v2: the one tree).
cgdir() {
	if [ "$MODE" = unified ]; then
		echo "/sys/fs/cgroup$CG"
	else
		echo "/sys/fs/cgroup/$1$CG"
	fi
}

stat_of() {
	"$CGTOOL" stats "$CG" | awk -v k="$1" '$1 == k { print $2 }'
}

# Runs a command in the cgroup in the background, keeping bats' fd 3 out of it.
run_bg() {
	"$CGTOOL" run "$CG" -- "$@" 3>&- &
}

@test "cgroups: create makes the cgroup in every hierarchy; the process joins it" {
	run "$CGTOOL" run "$CG" -- cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	if [ "$MODE" = unified ]; then
		[ -d "/sys/fs/cgroup$CG" ]
		[[ "$output" == *"0::$CG"* ]]
	else
		[ -d "/sys/fs/cgroup/memory$CG" ]
		[ -d "/sys/fs/cgroup/pids$CG" ]
		[[ "$output" == *":memory:$CG"* ]]
		[[ "$output" == *":pids:$CG"* ]]
		if [ "$MODE" = hybrid ]; then
			[ -d "/sys/fs/cgroup/unified$CG" ]
			[[ "$output" == *"0::$CG"* ]]
		fi
	fi
}

@test "cgroups: a relative cgroupsPath is below the caller's cgroup" {
	run "$CGTOOL" run "$CG" -- "$CGTOOL" create "capsa-test-rel"
	[ "$status" -eq 0 ]
	[ "$output" = "$CG/capsa-test-rel" ]
	[ -d "$(cgdir pids)/capsa-test-rel" ]
}

@test "cgroups: memory limit: a process allocating past it is OOM-killed and counted" {
	# memory+swap equal to memory: no swap to escape into.
	"$CGTOOL" apply "$CG" --memory 33554432 --memory-swap 33554432
	[ "$(stat_of mem_limit)" = 33554432 ]
	run "$CGTOOL" oom-watch "$CG" -- perl -e '$x = "a" x (256 * 1024 * 1024); print "survived\n"'
	echo "$output"
	[ "$status" -eq 137 ]
	[[ "$output" == *"killed by signal 9"* ]]
	[[ "$output" != *survived* ]]
	[[ "$output" == *"oom_fd readable"* ]]
	[[ "$output" == *"oom_kills 1"* ]]
	[ "$("$CGTOOL" oom "$CG")" = 1 ]
	[ "$(stat_of oom_kill_events)" = 1 ]
}

@test "cgroups: pids.max stops a fork loop" {
	"$CGTOOL" apply "$CG" --pids 5
	[ "$(stat_of pids_limit)" = 5 ]
	run "$CGTOOL" run "$CG" -- sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 1000 >/dev/null 2>&1 & done'
	echo "$output"
	[[ "$output" == *"ork"* ]] # dash: "Cannot fork"
	[ "$(stat_of pids_current)" -le 5 ]
	n=$("$CGTOOL" pids "$CG" | wc -l)
	[ "$n" -ge 1 ] && [ "$n" -le 5 ]
}

@test "cgroups: a CPU-bound process under a quota is throttled" {
	"$CGTOOL" apply "$CG" --cpu-quota 1000 --cpu-period 10000
	run "$CGTOOL" run "$CG" -- sh -c 'i=0; while [ $i -lt 60000 ]; do i=$((i+1)); done'
	[ "$status" -eq 0 ]
	"$CGTOOL" stats "$CG"
	[ "$(stat_of cpu_nr_throttled)" -gt 0 ]
	[ "$(stat_of cpu_nr_periods)" -gt 0 ]
}

@test "cgroups: cpuset pins the process to the given CPU" {
	if [ "$MODE" = unified ] && ! grep -qw cpuset /sys/fs/cgroup/cgroup.controllers; then
		skip "this kernel offers no cpuset controller in cgroup v2"
	fi
	"$CGTOOL" apply "$CG" --cpuset-cpus 0
	run "$CGTOOL" run "$CG" -- grep Cpus_allowed_list /proc/self/status
	[ "$status" -eq 0 ]
	[[ "$output" =~ Cpus_allowed_list:[[:space:]]+0$ ]]
}

@test "cgroups: device rules allow /dev/null and deny a made-up device node" {
	mknod "$TEST_TMP/dev240" c 240 0
	# Without rules the kernel itself has no such device.
	run "$CGTOOL" run "$CG" -- cat "$TEST_TMP/dev240"
	[[ "$output" == *"No such device"* ]]
	"$CGTOOL" apply "$CG" --device-deny a --device-allow c:1:3:rwm --device-allow c:1:5:rwm
	run "$CGTOOL" run "$CG" -- sh -c 'echo hi > /dev/null && head -c 4 /dev/zero | wc -c'
	[ "$status" -eq 0 ]
	[ "$output" = 4 ]
	run "$CGTOOL" run "$CG" -- cat "$TEST_TMP/dev240"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
	run "$CGTOOL" run "$CG" -- mknod "$TEST_TMP/other" c 240 1
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
	[ ! -e "$TEST_TMP/other" ]
	# An update replaces the rules: now the device is allowed (and the kernel says it does not exist).
	"$CGTOOL" apply "$CG" --device-deny a --device-allow c:1:3:rwm --device-allow c:240:0:r
	run "$CGTOOL" run "$CG" -- cat "$TEST_TMP/dev240"
	[[ "$output" == *"No such device"* ]]
}

@test "cgroups: freeze stops a counter and thaw lets it continue" {
	run_bg sh -c "i=0; while :; do i=\$((i+1)); echo \$i > $TEST_TMP/n.tmp; mv $TEST_TMP/n.tmp $TEST_TMP/n; sleep 0.02; done"
	wait_for test -s "$TEST_TMP/n"
	"$CGTOOL" freeze "$CG"
	[ "$("$CGTOOL" frozen "$CG")" = frozen ]
	a=$(cat "$TEST_TMP/n")
	sleep 0.5
	b=$(cat "$TEST_TMP/n")
	[ "$a" = "$b" ]
	"$CGTOOL" thaw "$CG"
	[ "$("$CGTOOL" frozen "$CG")" = thawed ]
	wait_for sh -c "[ \"\$(cat $TEST_TMP/n)\" != '$b' ]"
}

@test "cgroups: kill_all leaves no process, even a frozen one" {
	run_bg sleep 1000
	run_bg sh -c 'sleep 1000 & sleep 1000 & wait'
	wait_for sh -c "[ \$('$CGTOOL' pids '$CG' | wc -l) -ge 4 ]"
	pids=$("$CGTOOL" pids "$CG")
	"$CGTOOL" freeze "$CG"
	"$CGTOOL" kill "$CG"
	[ -z "$("$CGTOOL" pids "$CG")" ]
	for p in $pids; do
		# Gone, or a zombie waiting for its parent (outside the cgroup) to reap it.
		! kill -0 "$p" 2>/dev/null || grep -q '^State:.*Z' "/proc/$p/status"
	done
	wait
}

@test "cgroups: kill_all stops a process that keeps forking" {
	"$CGTOOL" apply "$CG" --pids 40
	run_bg sh -c 'while :; do sleep 1000 >/dev/null 2>&1 & done 2>/dev/null'
	wait_for sh -c "[ \$('$CGTOOL' pids '$CG' | wc -l) -ge 20 ]"
	"$CGTOOL" kill "$CG"
	[ -z "$("$CGTOOL" pids "$CG")" ]
	"$CGTOOL" destroy "$CG"
	wait
}

@test "cgroups: destroy refuses a cgroup with processes quickly and clearly" {
	run_bg sleep 1000
	wait_for sh -c "[ -n \"\$('$CGTOOL' pids '$CG')\" ]"
	run "$CGTOOL" destroy "$CG"
	[ "$status" -eq 1 ]
	[[ "$output" == *"processes are still in it"* ]]
	"$CGTOOL" kill "$CG"
	"$CGTOOL" destroy "$CG"
	wait
}

@test "cgroups: destroy leaves no directory, including child cgroups" {
	mkdir "$(cgdir pids)/child"
	"$CGTOOL" destroy "$CG"
	[ -z "$(ls -d /sys/fs/cgroup"$CG" /sys/fs/cgroup/*"$CG" 2>/dev/null)" ]
	# Destroying again is not an error.
	run "$CGTOOL" destroy "$CG"
	[[ "$output" == *"does not exist"* ]]
}

@test "cgroups: an update changes limits in place (only the given fields)" {
	"$CGTOOL" apply "$CG" --memory 67108864 --pids 7
	[ "$(stat_of mem_limit)" = 67108864 ]
	"$CGTOOL" apply "$CG" --memory 134217728
	[ "$(stat_of mem_limit)" = 134217728 ]
	[ "$(stat_of pids_limit)" = 7 ]
	"$CGTOOL" apply "$CG" --pids -1
	[ "$(stat_of pids_limit)" = 18446744073709551615 ]
	# Raising memory and memory+swap together (v1 needs memsw raised first) and lowering them again.
	"$CGTOOL" apply "$CG" --memory 33554432 --memory-swap 33554432
	"$CGTOOL" apply "$CG" --memory 67108864 --memory-swap 67108864
	[ "$(stat_of mem_limit)" = 67108864 ]
	[ "$(stat_of mem_swap_limit)" = 0 ]
	"$CGTOOL" apply "$CG" --memory-swap 100663296 --memory 67108864
	[ "$(stat_of mem_swap_limit)" = 33554432 ]
	"$CGTOOL" apply "$CG" --memory 33554432 --memory-swap 33554432
	[ "$(stat_of mem_limit)" = 33554432 ]
}

@test "cgroups: values the kernel refuses come back naming the file and value" {
	run "$CGTOOL" apply "$CG" --cpu-quota 500 --cpu-period 100000
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" =~ "cgroup: write 500"( 100000)?" to cpu."(cfs_quota_us|max)": Invalid argument" ]]
	run "$CGTOOL" apply "$CG" --pids -1 --device-allow x:1:1:r
	[ "$status" -eq 1 ]
	[[ "$output" == *"devices[0]"*"type 'x'"* ]]
	if [ "$MODE" != unified ]; then
		run "$CGTOOL" apply "$CG" --cpuset-cpus 99
		[[ "$output" == *"cgroup: write 99 to cpuset.cpus:"* ]]
	else
		run "$CGTOOL" apply "$CG" --memory-swap 100
		[[ "$output" == *"memory.swap 100 cannot be set without a memory limit"* ]]
		run "$CGTOOL" apply "$CG" --unified nosuch.knob=1
		[[ "$output" == *"'nosuch.knob'"*"not available"* ]]
	fi
}

@test "cgroups: bad paths are refused and create nothing" {
	run "$CGTOOL" create "system.slice:capsa:x"
	[ "$status" -eq 1 ]
	[[ "$output" == *"systemd cgroup driver is not supported; use a path"* ]]
	run "$CGTOOL" create "$TOPCG/../capsa-test-escape"
	[ "$status" -eq 1 ]
	[[ "$output" == *"'..' is not allowed"* ]]
	[ -z "$(ls -d /sys/fs/cgroup/capsa-test-escape /sys/fs/cgroup/*/capsa-test-escape 2>/dev/null)" ]
	run "$CGTOOL" stats "$TOPCG/capsa-test-nothere"
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not exist"* ]]
}

@test "cgroups: the container's cgroup view mounted on a directory" {
	"$CGTOOL" apply "$CG" --pids 9
	mkdir "$TEST_TMP/mnt"
	run "$CGTOOL" mount "$CG" "$TEST_TMP/mnt" -- sh -c "ls $TEST_TMP/mnt; cat $TEST_TMP/mnt/pids/pids.max 2>/dev/null; grep ' $TEST_TMP/mnt' /proc/self/mountinfo"
	echo "$output"
	[ "$status" -eq 0 ]
	if [ "$MODE" = unified ]; then
		[[ "$output" == *"cgroup.controllers"* ]]
		[[ "$output" == *"$TEST_TMP/mnt "*"- cgroup2 "* ]]
	else
		# One directory per hierarchy, each the container's own cgroup (pids.max is ours).
		[[ "$output" == *memory* && "$output" == *pids* ]]
		[[ "$output" == *$'\n9\n'* ]]
		[[ "$output" == *"$TEST_TMP/mnt "*"- tmpfs "* ]]
		[[ "$output" == *"$CG $TEST_TMP/mnt/pids "*"- cgroup "* ]]
	fi
	CGTOOL_MOUNT_RO=1 run "$CGTOOL" mount "$CG" "$TEST_TMP/mnt" -- mkdir "$TEST_TMP/mnt/x"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	assert_no_mounts
}

@test "cgroups: the v2 BPF device filter also works on this kernel's v2 tree (hybrid hosts)" {
	[ "$MODE" = hybrid ] || skip "only meaningful on a hybrid host (unified hosts use it for every device test)"
	mknod "$TEST_TMP/dev240" c 240 0
	"$CGTOOL" bpf-devices "$CG" --device-allow a --device-deny c:240:0:rw
	run "$CGTOOL" run "$CG" -- cat "$TEST_TMP/dev240"
	[[ "$output" == *"Operation not permitted"* ]]
	run "$CGTOOL" run "$CG" -- sh -c 'echo hi > /dev/null'
	[ "$status" -eq 0 ]
	# mknod was not denied: only r and w.
	run "$CGTOOL" run "$CG" -- mknod "$TEST_TMP/again" c 240 0
	[ "$status" -eq 0 ]
	# Replacing the filter drops the old one.
	"$CGTOOL" bpf-devices "$CG" --device-allow a
	run "$CGTOOL" run "$CG" -- cat "$TEST_TMP/dev240"
	[[ "$output" == *"No such device"* ]]
}

@test "cgroups: a resources.json (what update -r takes) is converted for the host's cgroup version" {
	cat >"$TEST_TMP/res.json" <<'JSON'
{"memory": {"limit": 67108864}, "pids": {"limit": 11},
 "cpu": {"shares": 512, "quota": 20000, "period": 100000}}
JSON
	"$CGTOOL" apply "$CG" --resources "$TEST_TMP/res.json"
	[ "$(stat_of mem_limit)" = 67108864 ]
	[ "$(stat_of pids_limit)" = 11 ]
	if [ "$MODE" = unified ]; then
		[ "$(cat "$(cgdir cpu)/cpu.weight")" = 20 ]
		[ "$(cat "$(cgdir cpu)/cpu.max")" = "20000 100000" ]
	else
		[ "$(cat "$(cgdir cpu)/cpu.shares")" = 512 ]
		[ "$(cat "$(cgdir cpu)/cpu.cfs_quota_us")" = 20000 ]
	fi
	echo '{"pids": {"limit": "x"}}' >"$TEST_TMP/bad.json"
	run "$CGTOOL" apply "$CG" --resources "$TEST_TMP/bad.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"linux.resources.pids.limit: expected an integer"* ]]
}

@test "cgroups: block I/O throttling and weights: applied, or refused naming what is missing" {
	local dev
	dev=$(cat /sys/block/*/dev 2>/dev/null | head -1)
	[ -n "$dev" ] || skip "no block device in this kernel"
	"$CGTOOL" apply "$CG" --blkio-read-bps "$dev:1048576"
	if [ "$MODE" = unified ]; then
		grep -q "^$dev rbps=1048576 " "$(cgdir io)/io.max"
	else
		grep -q "^$dev 1048576$" "$(cgdir blkio)/blkio.throttle.read_bps_device"
	fi
	run "$CGTOOL" apply "$CG" --blkio-weight 500
	if [ "$status" -ne 0 ]; then
		[[ "$output" == *"weight"*"not supported by this kernel"* || "$output" == *"neither io.bfq.weight nor io.weight"* ]]
	fi
}
