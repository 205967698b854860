#!/usr/bin/env bats
# The per-container monitor once the container runs (the small capsa-monitor program) and `run --init`
# (capsa-init as the container's PID 1), against a busybox image imported into a private store.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	export IMAGES_DIR
	IMAGES_DIR=$(mktemp -d /tmp/capsa-test-mon-XXXXXX)
	make_busybox_rootfs "$IMAGES_DIR/rootfs"
}

teardown_file() {
	rm -rf "$IMAGES_DIR"
}

setup() {
	capsa_setup_tmp
	capsa_cli_setup
	c import "$IMAGES_DIR/rootfs" bb >/dev/null
}

teardown() {
	capsa_cli_cleanup
	capsa_teardown_tmp
}

state() {
	jq -r ".$2" "$STORE/containers/$1/state.json"
}

assert_gone() {
	local id=$1
	[ ! -e "$STORE/containers/$id" ]
	[ ! -e "$STORE/rootfs/$id" ]
	[ ! -e "$STORE/run/$id" ]
	! ls -d /sys/fs/cgroup/*/"$CAPSA_CGROUP_PARENT/$id" 2>/dev/null || false
}

@test "a running container's monitor is the small capsa-monitor, under 1 MiB, and records the end" {
	id=$(c run -d bb sh -c 'echo started; sleep 1000')
	mon=$(state "$id" monitorPid)
	assert_one_cgroup "$(state "$id" pid)"
	# the full monitor keeps it for its first 100 ms, then the small program takes over
	wait_for small_monitor "$mon"
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$mon/status")
	echo "monitor VmRSS: $rss kB"
	[ "$rss" -lt 1024 ]
	# the init is still its child, and its log is written by it
	[ "$(awk '/^PPid/ {print $2}' "/proc/$(state "$id" pid)/status")" = "$mon" ]
	wait_for sh -c "\"$CAPSA\" --root \"$STORE\" logs $id | grep -q started"
	c kill -s KILL "$id"
	[ "$(c wait "$id")" = 137 ]
	[ "$(state "$id" status)" = exited ]
	[ "$(state "$id" exitCode)" = 137 ]
	[ "$(state "$id" finishedAt)" != null ]
	[ ! -e "/proc/$mon" ] || grep -q '^State:.*Z' "/proc/$mon/status"
	# the runtime forgot it (capsa __monitor-exit ran)
	[ ! -e "$STORE/run/$id" ]
}

@test "run --rm through the small monitor: status, output and nothing left" {
	run c run --rm --name capsa-test-rm bb sh -c 'echo out; echo err >&2; exit 5'
	[ "$status" -eq 5 ]
	[[ "$output" == *out* && "$output" == *err* ]]
	[ -z "$(c ps -aq)" ]
	[ -z "$(ls "$STORE/containers" | grep -v '^lock$')" ]
}

@test "stop, a timeout and a restart policy go through the small monitor" {
	id=$(c run -d --stop-timeout 1 bb sleep 1000)
	c stop "$id"
	[ "$(state "$id" exitCode)" = 137 ]
	run c run --timeout 1s bb sleep 1000
	[ "$status" -eq 124 ]
	id=$(c run -d --restart on-failure:2 bb sh -c 'exit 3')
	wait_for sh -c "[ \"\$(jq -r .status '$STORE/containers/$id/state.json')\" = exited ] && \
		[ \"\$(jq -r .restartCount '$STORE/containers/$id/state.json')\" = 2 ]"
	[ "$(state "$id" exitCode)" = 3 ]
	c rm "$id"
	assert_gone "$id"
}

@test "the hand-over to the small monitor keeps the run's wall time and a line not yet ended" {
	# sleep 0.4 outlasts the full monitor's 100 ms: the summary counts from the start, not the hand-over
	run c run --rm --stats-file "$TEST_TMP/s.json" bb sleep 0.4
	[ "$status" -eq 0 ]
	jq -e '.wall_time_s >= 0.4' "$TEST_TMP/s.json"
	# "abc" waits for its newline when the small program takes over: it is logged, not lost
	id=$(c run -d bb sh -c 'printf abc; sleep 0.5; echo def; sleep 1000')
	wait_for small_monitor "$(state "$id" monitorPid)"
	wait_for sh -c "\"$CAPSA\" --root \"$STORE\" logs $id | grep -q def"
	[ "$(c logs "$id")" = abcdef ]
	c rm -f "$id"
	assert_gone "$id"
}

@test "a created container waits in the small monitor; start, stop and kill of it act as docker's" {
	id=$(c create -e X=1 --timeout 300 bb sh -c 'echo "hello $X"; exit 3')
	mon=$(state "$id" monitorPid)
	small_monitor "$mon"
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$mon/status")
	echo "created monitor VmRSS: $rss kB"
	[ "$rss" -lt 1024 ]
	[ "$(state "$id" status)" = created ]
	# kill of a created container is refused (nothing runs); stop is a no-op that leaves it created
	run c kill "$id"
	[ "$status" -ne 0 ]
	[[ "$output" == *"is not running"* ]]
	c stop "$id" >/dev/null
	[ "$(state "$id" status)" = created ]
	# start runs the start through capsa-monitor-full __monitor-start and streams as before
	run c start -a "$id"
	[ "$status" -eq 3 ]
	[ "$output" = "hello 1" ]
	[ "$(state "$id" status)" = exited ]
	[ "$(state "$id" startedAt)" != null ]
	run c start -a "$id"
	[ "$status" -eq 3 ]
	# a created container removed with rm -f leaves nothing, its small monitor included
	id2=$(c create bb sleep 1000)
	mon2=$(state "$id2" monitorPid)
	c rm -f "$id2" >/dev/null
	[ ! -e "/proc/$mon2" ] || grep -q '^State:.*Z' "/proc/$mon2/status"
	[ ! -e "$STORE/containers/$id2" ]
	run "$(dirname "$CAPSA")/capsa-monitor" id=abc root=/x capsa=/y created=2
	[ "$status" -eq 125 ]
	[[ "$output" == *'argument "created=2": not 0 or 1'* ]]
}

@test "capsa-monitor and the hidden capsa commands refuse bad arguments, naming them" {
	run "$(dirname "$CAPSA")/capsa-monitor" id=abc
	[ "$status" -eq 125 ]
	[[ "$output" == *'argument "root": missing'* ]]
	run "$(dirname "$CAPSA")/capsa-monitor" id=abc root=/x capsa=/y pid=1 dir=3 listen=4 out=five
	[ "$status" -eq 125 ]
	[[ "$output" == *'argument "out=five": not a file descriptor'* ]]
	run "$(dirname "$CAPSA")/capsa-monitor-full" --root "$STORE" version
	[ "$status" -eq 125 ]
	[[ "$output" == *"usage: capsa-monitor-full --root ROOT"* ]]
	run "$(dirname "$CAPSA")/capsa-monitor-full" --root "$STORE" __monitor-create nosuch 99
	[ "$status" -eq 125 ]
	[[ "$output" == *'"99" is not an open file descriptor'* ]]
	run c __monitor-exit nosuch 0 0 0 zero
	[ "$status" -eq 125 ]
	[[ "$output" == *'"zero" is not a number'* ]]
	run c __monitor-exit nosuch 0 0 0 0
	[ "$status" -eq 1 ]
	[[ "$output" == *nosuch* ]]
}

@test "without capsa-monitor next to capsa the full monitor carries on" {
	mkdir "$TEST_TMP/bin"
	cp "$CAPSA" "$TEST_TMP/bin/capsa"
	id=$(timeout 120 "$TEST_TMP/bin/capsa" --root "$STORE" run -d bb sleep 1000)
	mon=$(state "$id" monitorPid)
	# it tries to hand over after the first 100 ms, says why it cannot, and stays
	wait_for grep -q "no capsa-monitor next to capsa" "$STORE/containers/$id/monitor.log"
	[[ "$(readlink "/proc/$mon/exe")" == /memfd:* ]]
	timeout 120 "$TEST_TMP/bin/capsa" --root "$STORE" rm -f "$id"
	assert_gone "$id"
	# --init needs capsa-init there: a clear error, nothing left
	run timeout 120 "$TEST_TMP/bin/capsa" --root "$STORE" run --rm --init bb true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--init: no capsa-init next to the capsa executable"* ]]
	[ -z "$(c ps -aq)" ]
	[ -z "$(ls "$STORE/containers" | grep -v '^lock$')" ]
}

@test "--init: PID 1 is capsa-init, the exit status passes through" {
	run c run --rm --init bb sh -c 'echo $$; cat /proc/1/comm'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" != 1 ]
	[ "${lines[1]}" = capsa-init ]
	id=$(c create --init bb true)
	[ "$(c inspect "$id" | jq -r '.[0].HostConfig.Init')" = true ]
	c rm "$id"
	run c run --rm --init bb sh -c 'exit 42'
	[ "$status" -eq 42 ]
	run c run --rm --init bb sh -c 'kill -KILL $$'
	[ "$status" -eq 137 ]
	run -127 c run --rm --init bb nosuch-command
	[ "$status" -eq 127 ]
	[[ "$output" == *"capsa-init: exec nosuch-command: No such file or directory"* ]]
	# read-only where it is mounted
	run c run --rm --init bb sh -c 'echo x >/sbin/capsa-init'
	[ "$status" -ne 0 ]
}

@test "--init: orphans are reaped (a double fork leaves no zombie)" {
	id=$(c run -d --init bb sh -c 'for i in 1 2 3; do sh -c "sleep 0 & exit 0"; done; echo forked; exec sleep 1000')
	wait_for sh -c "\"$CAPSA\" --root \"$STORE\" logs $id | grep -q forked"
	# three grandchildren were orphaned to PID 1; none may stay a zombie
	wait_for sh -c "! \"$CAPSA\" --root \"$STORE\" exec $id ps -o stat,comm | grep -q '^Z'"
	run c exec "$id" ps -o pid,stat,comm
	echo "$output"
	[[ "$output" != *" Z "* ]]
	[ "$(echo "$output" | grep -c sleep)" -eq 1 ]
}

@test "--init: stop delivers SIGTERM to the real process" {
	id=$(c run -d --init bb sh -c 'trap "echo got TERM; exit 7" TERM; echo ready; sleep 1000 & wait')
	wait_for sh -c "\"$CAPSA\" --root \"$STORE\" logs $id | grep -q ready"
	# a long grace period: only the forwarded SIGTERM can end it with 7
	c stop -t 100 "$id"
	[ "$(state "$id" exitCode)" = 7 ]
	run c logs "$id"
	[[ "$output" == *"got TERM"* ]]
}

@test "logs -f stopped while the log rotates twice loses no line" {
	mkdir "$TEST_TMP/go"
	id=$(c run -d -v "$TEST_TMP/go:/go" --log-opt max-size=1k --log-opt max-file=20 bb sh -c '
		echo ready
		for step in 1 2 3; do
			while [ ! -e /go/$step ]; do sleep 0.05; done
			seq $(( (step - 1) * 100 + 1 )) $(( step * 100 ))
		done
		echo finished')
	log="$STORE/containers/$id/$id-json.log"
	c logs -f "$id" >"$TEST_TMP/out" &
	lp=$!
	wait_for grep -q ready "$TEST_TMP/out"
	# the follower sleeps through at least two rotations of each burst
	kill -STOP "$lp"
	touch "$TEST_TMP/go/1"
	wait_for test -e "$log.2"
	kill -CONT "$lp"
	wait_for grep -qx 100 "$TEST_TMP/out"
	kill -STOP "$lp"
	touch "$TEST_TMP/go/2"
	wait_for test -e "$log.5"
	kill -CONT "$lp"
	touch "$TEST_TMP/go/3"
	wait "$lp"
	# every line once, in order
	diff <(echo ready; seq 1 300; echo finished) "$TEST_TMP/out"
}

@test "--stats-file: peak pids from the pids controller" {
	run c run --rm --stats-file "$TEST_TMP/stats.json" bb sh -c \
		'sleep 1000 & a=$!; sleep 1000 & b=$!; sleep 1000 & c=$!; kill $a $b $c; wait; exit 3'
	[ "$status" -eq 3 ]
	cat "$TEST_TMP/stats.json"
	[ "$(jq -r .peak_pids "$TEST_TMP/stats.json")" = 4 ]
	[ "$(jq -r .exit_code "$TEST_TMP/stats.json")" = 3 ]
	# a stats file that cannot be written does not keep the container from ending
	run c run --rm --stats-file /proc/capsa-test-nowhere/stats.json bb true
	[ "$status" -eq 0 ]
	[ -z "$(c ps -aq)" ]
}

@test "SIGTERM to the small monitor stops the container like capsa stop; kill -9 of it, then rm -f" {
	id=$(c run -d --stop-timeout 100 bb sh -c 'trap "exit 9" TERM; sleep 1000 & wait')
	mon=$(state "$id" monitorPid)
	wait_for small_monitor "$mon"
	kill -TERM "$mon"
	[ "$(c wait "$id")" = 9 ]
	[ "$(state "$id" status)" = exited ]
	id2=$(c run -d bb sleep 1000)
	mon=$(state "$id2" monitorPid)
	kill -9 "$mon"
	c rm -f "$id2"
	assert_gone "$id2"
	c rm "$id"
	assert_gone "$id"
}

@test "the end is recorded by the capsa that started the container, even after it was replaced" {
	mkdir "$TEST_TMP/bin"
	cp "$CAPSA" "$(dirname "$CAPSA")/capsa-monitor" "$TEST_TMP/bin/"
	id=$(timeout 120 "$TEST_TMP/bin/capsa" --root "$STORE" run -d bb sleep 1000)
	# an upgrade in progress: the binary the monitor would run is gone
	rm "$TEST_TMP/bin/capsa"
	c kill "$id"
	[ "$(c wait "$id")" = 137 ]
	[ "$(state "$id" status)" = exited ]
	[ "$(state "$id" error)" = null ]
	[ ! -e "$STORE/run/$id" ]
	c rm "$id"
	assert_gone "$id"
}

@test "wait, stop and kill right after the end: the monitor that is recording it is waited for" {
	# The monitor stops listening while it records the end (or has just exited): wait must take the
	# record, not fail to connect. Several rounds, because the window is short.
	for i in 1 2 3 4 5 6 7 8; do
		id=$(c run -d bb sleep 1000)
		c kill "$id" >/dev/null
		[ "$(c wait "$id")" = 137 ]
		c stop "$id" >/dev/null
		run c kill "$id"
		[ "$status" -ne 0 ]
		[[ "$output" == *"is not running"* ]]
		c rm "$id" >/dev/null
	done
	[ -z "$(c ps -aq)" ]
	# No socket at all while the monitor lives: wait waits for the monitor, then takes the record;
	# stop and kill of the still running container say the monitor does not answer, and wait nothing.
	id=$(c run -d bb sh -c 'trap "exit 9" TERM; sleep 1000 & wait')
	rm "$STORE/containers/$id/attach"
	run c kill "$id"
	[ "$status" -ne 0 ]
	[[ "$output" == *"the monitor of ${id:0:12} does not answer"* ]]
	run c stop -t 1 "$id"
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not answer"* ]]
	( c wait "$id" >"$TEST_TMP/code" ) &
	local waiter=$!
	kill -TERM "$(state "$id" monitorPid)"
	wait "$waiter"
	[ "$(cat "$TEST_TMP/code")" = 9 ]
	c rm "$id" >/dev/null
}

@test "a create that fails while its monitor starts leaves neither the container nor the monitor" {
	run c run --rm -v /capsa-test-nonexistent:/x bb true
	[ "$status" -eq 125 ]
	[[ "$output" == *"bind source path /capsa-test-nonexistent does not exist"* ]]
	[ -z "$(ls "$STORE/containers" | grep -v '^lock$')" ]
	# the monitor was forked before the failure; told nothing, it goes
	wait_for sh -c "! pgrep -f -- '--root $STORE [_]_monitor-create' >/dev/null"
}

@test "capsa run leaves the calling process in its own cgroup" {
	# capsa makes the container's cgroup directories ahead on a thread of its own (cgroups/prime.c)
	# and its init joins them; put the caller in a cgroup of its own and check that it is still
	# there afterwards, in every hierarchy.
	local cg=/$TEST_ID_PREFIX-caller d dirs=()
	if [ -e /sys/fs/cgroup/cgroup.procs ]; then
		dirs=("/sys/fs/cgroup$cg")
	else
		for d in /sys/fs/cgroup/*; do
			[ -e "$d/cgroup.procs" ] && dirs+=("$d$cg")
		done
	fi
	[ ${#dirs[@]} -gt 0 ]
	mkdir "${dirs[@]}"
	export CAPSA STORE
	run sh -c '
		# (a new cpuset cgroup has no CPUs yet and refuses the move: only the joined ones count)
		for d in "$@"; do echo $$ 2>/dev/null >"$d/cgroup.procs"; done
		before=$(sort /proc/self/cgroup)
		joined=$(grep -c -- "$0" /proc/$$/cgroup)
		[ "$joined" -ge 1 ] || exit 4
		"$CAPSA" --root "$STORE" run --rm --network none bb true || exit 1
		[ "$(sort /proc/self/cgroup)" = "$before" ] || { echo moved; exit 3; }
		echo "$joined $(grep -c -- "$0" /proc/$$/cgroup)"' "$cg" "${dirs[@]}"
	echo "$output"
	rmdir "${dirs[@]}"
	[ "$status" -eq 0 ]
	read -r before after <<<"${lines[-1]}"
	[ "$before" -eq "$after" ]
}

@test "the monitor holds nothing of the caller's working directory; a relative --stats-file is the caller's" {
	mkdir "$TEST_TMP/mnt" "$TEST_TMP/d"
	mount -t tmpfs capsa-test-cwd "$TEST_TMP/mnt"
	id=$(cd "$TEST_TMP/mnt" && c run -d bb sleep 100)
	# the directory capsa ran from unmounts while the container runs (a daemon keeps / as its cwd)
	run umount "$TEST_TMP/mnt"
	[ "$status" -eq 0 ] || umount -l "$TEST_TMP/mnt"
	[ "$status" -eq 0 ]
	mon=$(awk '/^PPid:/ { print $2 }' "/proc/$(c inspect -f '{{.State.Pid}}' "$id")/status")
	[ "$(readlink "/proc/$mon/cwd")" = / ]
	c rm -f "$id" >/dev/null
	# and the relative file the monitor writes at the end is in the caller's directory
	(cd "$TEST_TMP/d" && c run --rm --stats-file ./s.json bb true)
	jq -e '.exit_code == 0' "$TEST_TMP/d/s.json" >/dev/null
}
