#!/usr/bin/env bats
# capsa's container commands (run, ps, logs, stop, kill, rm, wait, inspect, ...) against a busybox image
# imported into a private store; every container's cgroup lives under a capsa-test- parent.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	export IMAGES_DIR
	IMAGES_DIR=$(mktemp -d /tmp/capsa-test-cli-XXXXXX)
	make_busybox_rootfs "$IMAGES_DIR/rootfs"
	echo 'user:x:1000:1000::/home/user:/bin/sh' >>"$IMAGES_DIR/rootfs/etc/passwd"
	echo 'user:x:1000:' >>"$IMAGES_DIR/rootfs/etc/group"
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

# Fails when anything of container $1 (full id) is left: directory, rootfs, runtime state, cgroup, monitor.
assert_gone() {
	local id=$1
	[ ! -e "$STORE/containers/$id" ]
	[ ! -e "$STORE/rootfs/$id" ]
	[ ! -e "$STORE/run/$id" ]
	! ls -d /sys/fs/cgroup/*/"$CAPSA_CGROUP_PARENT/$id" 2>/dev/null || false
	! grep -q "$id" /proc/self/mountinfo || false
}

@test "run: output, exit status, stdout and stderr kept apart" {
	run c run --rm bb echo hello
	[ "$status" -eq 0 ]
	[ "$output" = "hello" ]
	c run --rm bb sh -c 'echo out; echo err >&2; exit 3' >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
	[ "$rc" -eq 3 ]
	[ "$(cat "$TEST_TMP/out")" = "out" ]
	[ "$(cat "$TEST_TMP/err")" = "err" ]
}

@test "run: a caller's umask of 077 changes nothing in the container: its root, /etc files and process umask" {
	# a hardened login's umask: as dockerd, capsa works under 022 and gives the container 022
	run bash -c "umask 077; $(printf '%q ' "$CAPSA" --root "$STORE") run --rm -u 1000 -v capsa-test-umask:/vol bb \
		sh -c 'stat -c \"%n %a\" / /etc/hosts /etc/hostname /etc/resolv.conf /vol; umask; echo x >/tmp/f; stat -c %a /tmp/f'"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "/ 755" ]
	[ "${lines[1]}" = "/etc/hosts 644" ]
	[ "${lines[2]}" = "/etc/hostname 644" ]
	[ "${lines[3]}" = "/etc/resolv.conf 644" ]
	[ "${lines[4]}" = "/vol 755" ]
	[ "${lines[5]}" = "0022" ]
	[ "${lines[6]}" = 644 ]
	c volume rm capsa-test-umask >/dev/null
}

@test "run: docker's exit codes (125 capsa, 126 cannot invoke, 127 not found)" {
	run -127 c run --rm bb nosuchcommand
	[ "$status" -eq 127 ]
	[[ "$output" == *'exec: "nosuchcommand": executable file not found in $PATH'* ]]
	run -126 c run --rm bb /etc/passwd
	[ "$status" -eq 126 ]
	[[ "$output" == *"Permission denied"* ]]
	run c run --rm no-such-image true
	[ "$status" -eq 125 ]
	[[ "$output" == *"Unable to find image 'no-such-image' locally"* ]]
	# nothing is left behind by the failures
	[ -z "$(c ps -aq)" ]
}

@test "run: bad flag values are refused with a message naming the value" {
	run c run -m 12q bb true
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid size: '12q'"* ]]
	run c run --cpus abc bb true
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid value for --cpus: 'abc'"* ]]
	run c run -v relative/path:/data bb true
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid volume specification: 'relative/path:/data'"* ]]
	run c run -v /tmp:data bb true
	[ "$status" -eq 125 ]
	[[ "$output" == *"must be absolute"* ]]
	run c run --mount type=nfs,target=/x bb true
	[ "$status" -eq 125 ]
	[[ "$output" == *'unknown type "nfs"'* ]]
	run c run --restart sometimes bb true
	[ "$status" -eq 125 ]
	[[ "$output" == *'invalid restart policy "sometimes"'* ]]
	run c run --timeout 10parsecs bb true
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid duration"* ]]
	run c run --name 'bad name!' bb true
	[ "$status" -eq 125 ]
	[[ "$output" == *'invalid container name'* ]]
	run c run --network bridge2 bb true
	[ "$status" -eq 125 ]
	run c run --nosuchflag bb true
	[ "$status" -eq 125 ]
	run c run -v /nonexistent-capsa-test:/x bb true
	[ "$status" -eq 125 ]
	[[ "$output" == *"bind source path /nonexistent-capsa-test does not exist"* ]]
	[ -z "$(c ps -aq)" ]
}

@test "run -d, ps, logs, stop, wait, rm" {
	id=$(c run -d --name capsa-test-web bb sh -c 'echo started; trap "echo bye; exit 7" TERM; while :; do sleep 1; done')
	[[ "$id" =~ ^[0-9a-f]{64}$ ]]
	run c ps
	[[ "${lines[0]}" =~ ^CONTAINER\ ID ]]
	[[ "${lines[1]}" == "${id:0:12}"* ]]
	[[ "${lines[1]}" == *"Up"*"capsa-test-web" ]]
	[ "$(c ps -q)" = "${id:0:12}" ]
	wait_for sh -c "\"$CAPSA\" --root \"$STORE\" logs capsa-test-web | grep -q started"
	c stop -t 30 capsa-test-web
	run c wait capsa-test-web
	[ "$output" = "7" ]
	run c logs capsa-test-web
	[ "${lines[0]}" = "started" ]
	[ "${lines[1]}" = "bye" ]
	# json-file format
	jq -e 'select(.stream == "stdout") | .log and .time' "$STORE/containers/$id/$id-json.log" >/dev/null
	[ -z "$(c ps -q)" ]
	[[ "$(c ps -a)" == *"Exited (7)"* ]]
	c rm "${id:0:8}"
	assert_gone "$id"
}

@test "stop: SIGKILL after the timeout when the stop signal is ignored" {
	id=$(c run -d bb sh -c 'trap "" TERM; echo ready; while :; do sleep 1; done')
	wait_for sh -c "\"$CAPSA\" --root \"$STORE\" logs $id | grep -q ready"
	c stop -t 1 "$id"
	[ "$(c wait "$id")" = "137" ]
	[ "$(c inspect "$id" | jq -r '.[0].State.Status')" = "exited" ]
}

@test "kill, rm of a running container needs -f" {
	id=$(c run -d bb sh -c 'trap "exit 9" USR1; echo ready; while :; do sleep 1; done')
	run c rm "$id"
	[ "$status" -ne 0 ]
	[[ "$output" == *"stop the container before removing or force remove"* ]]
	wait_for sh -c "\"$CAPSA\" --root \"$STORE\" logs $id | grep -q ready"
	c kill -s USR1 "$id"
	[ "$(c wait "$id")" = "9" ]
	run c kill "$id"
	[ "$status" -ne 0 ]
	[[ "$output" == *"is not running"* ]]
	id2=$(c run -d bb sleep 1000)
	c rm -f "$id2"
	assert_gone "$id2"
	c rm "$id"
	assert_gone "$id"
}

@test "rm -f after kill -9 of the monitor leaves nothing behind" {
	id=$(c run -d bb sleep 1000)
	mon=$(jq -r .monitorPid "$STORE/containers/$id/state.json")
	init=$(jq -r .pid "$STORE/containers/$id/state.json")
	# once the container runs, the monitor is the small capsa-monitor program (the init was cloned from
	# the sealed capsa before that)
	wait_for small_monitor "$mon"
	kill -9 "$mon"
	# the container outlives its monitor and is still reported running
	kill -0 "$init"
	[[ "$(c ps)" == *"${id:0:12}"* ]]
	c rm -f "$id"
	assert_gone "$id"
	# gone, or a zombie waiting for a reaper that is not ours (its monitor was killed)
	[ ! -e "/proc/$init" ] || grep -q '^State:.*Z' "/proc/$init/status"
}

@test "rm -f after kill -9 of capsa itself in the foreground" {
	c run --name capsa-test-fg bb sleep 1000 &
	pid=$!
	wait_for sh -c "\"$CAPSA\" --root \"$STORE\" ps | grep -q capsa-test-fg"
	kill -9 "$pid"
	wait "$pid" || true
	# the monitor keeps the container
	[[ "$(c ps)" == *"capsa-test-fg"* ]]
	id=$(c inspect capsa-test-fg | jq -r '.[0].Id')
	c rm -f capsa-test-fg
	assert_gone "$id"
}

@test "names are unique; concurrent run --name: exactly one wins" {
	c create --name capsa-test-dup bb true >/dev/null
	run c create --name capsa-test-dup bb true
	[ "$status" -eq 125 ]
	[[ "$output" == *'the container name "/capsa-test-dup" is already in use'* ]]
	for i in 1 2 3 4; do
		c run -d --name capsa-test-race bb sleep 100 >"$TEST_TMP/race.$i" 2>&1 &
	done
	wait
	[ "$(grep -l '^[0-9a-f]\{64\}$' "$TEST_TMP"/race.* | wc -l)" -eq 1 ]
	[ "$(grep -l 'already in use' "$TEST_TMP"/race.* | wc -l)" -eq 3 ]
	[ "$(c ps -a --filter name=capsa-test-race -q | wc -l)" -eq 1 ]
}

@test "create, start -a, id prefixes and names" {
	id=$(c create --name capsa-test-cs bb echo created-then-started)
	[[ "$(c ps -a)" == *"Created"* ]]
	run c start -a "${id:0:6}"
	[ "$status" -eq 0 ]
	[ "$output" = "created-then-started" ]
	run c start -a capsa-test-cs
	[ "$output" = "created-then-started" ]
	run c inspect nosuch
	[ "$status" -ne 0 ]
	[[ "$output" == *"No such container: nosuch"* ]]
}

@test "inspect: docker's main fields" {
	id=$(c run -d --name capsa-test-insp -e FOO=bar -w /tmp -u 1000 --hostname capsa-h -l k=v --restart on-failure:3 bb sleep 1000)
	j=$(c inspect capsa-test-insp)
	[ "$(echo "$j" | jq -r '.[0].Id')" = "$id" ]
	[ "$(echo "$j" | jq -r '.[0].Name')" = "/capsa-test-insp" ]
	[ "$(echo "$j" | jq -r '.[0].State.Running')" = "true" ]
	[ "$(echo "$j" | jq -r '.[0].State.Status')" = "running" ]
	[ "$(echo "$j" | jq -r '.[0].State.Pid')" -gt 1 ]
	[ "$(echo "$j" | jq -r '.[0].Path')" = "sleep" ]
	[ "$(echo "$j" | jq -r '.[0].Args[0]')" = "1000" ]
	[ "$(echo "$j" | jq -r '.[0].Config.Env[]' | grep -c '^FOO=bar$')" -eq 1 ]
	[ "$(echo "$j" | jq -r '.[0].Config.WorkingDir')" = "/tmp" ]
	[ "$(echo "$j" | jq -r '.[0].Config.Hostname')" = "capsa-h" ]
	[ "$(echo "$j" | jq -r '.[0].Config.Labels.k')" = "v" ]
	[ "$(echo "$j" | jq -r '.[0].HostConfig.RestartPolicy.Name')" = "on-failure" ]
	[ "$(echo "$j" | jq -r '.[0].HostConfig.RestartPolicy.MaximumRetryCount')" = "3" ]
	# docker's -f templates, one line per container; bad templates fail naming the action.
	[ "$(c inspect -f '{{.State.Status}} {{.State.Pid}}' "$id")" = "running $(echo "$j" | jq -r '.[0].State.Pid')" ]
	[ "$(c inspect --format '{{index .Config.Labels "k"}}|{{json .Config.Labels}}|{{.Name | upper}}' "$id")" = 'v|{"k":"v"}|/CAPSA-TEST-INSP' ]
	[ "$(c inspect -f '{{.Id}}' "$id" capsa-test-insp | sort -u)" = "$id" ]
	run -1 c inspect -f '{{.State.Status' "$id"
	[[ "$output" == *"--format: template: unclosed action"* ]]
	run -1 c inspect -f '{{range .Args}}{{.}}{{end}}' "$id"
	[[ "$output" == *"{{range}} is not supported"* ]]
	c kill "$id"
	c wait "$id" >/dev/null
	[ "$(c inspect "$id" | jq -r '.[0].State.ExitCode')" = "137" ]
	[ "$(c inspect "$id" | jq -r '.[0].State.FinishedAt')" != "0001-01-01T00:00:00Z" ]
}

@test "the process: env, workdir, user, hostname, read-only rootfs, capabilities" {
	run c run --rm -e A=1 -w /tmp -u 1000:1000 --hostname capsa-box bb sh -c 'echo $A $(pwd) $(id -u):$(id -g) $(hostname) $(cat /etc/hostname)'
	[ "$output" = "1 /tmp 1000:1000 capsa-box capsa-box" ]
	run c run --rm -u user bb id -un
	[ "$output" = "user" ]
	run c run --rm --read-only bb touch /x
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	# docker's 14 default capabilities: CapBnd 0xa80425fb
	run c run --rm bb sh -c 'grep CapBnd /proc/self/status'
	[[ "$output" == *"00000000a80425fb" ]]
	run c run --rm --cap-drop ALL --cap-add CHOWN bb sh -c 'grep CapBnd /proc/self/status'
	[[ "$output" == *"0000000000000001" ]]
	# --privileged: every capability capsa itself has
	run c run --rm --privileged bb sh -c 'grep CapBnd /proc/self/status'
	[ "$output" = "$(grep CapBnd /proc/self/status)" ]
	# the seccomp filter is on by default, off with --privileged
	run c run --rm bb sh -c 'grep ^Seccomp: /proc/self/status'
	[[ "$output" == *"2" ]]
	run c run --rm --security-opt seccomp=unconfined bb sh -c 'grep ^Seccomp: /proc/self/status'
	[[ "$output" == *"0" ]]
	# /dev/shm is 64 MiB
	run c run --rm bb df -k /dev/shm
	[[ "${lines[1]}" == *" 65536 "* ]]
}

@test "volumes, binds, tmpfs" {
	mkdir "$TEST_TMP/host"
	echo from-host >"$TEST_TMP/host/f"
	run c run --rm -v "$TEST_TMP/host:/data:ro" bb cat /data/f
	[ "$output" = "from-host" ]
	run c run --rm -v "$TEST_TMP/host:/data:ro" bb touch /data/g
	[ "$status" -ne 0 ]
	c run --rm --mount "type=bind,source=$TEST_TMP/host,target=/data" bb sh -c 'echo w >/data/g'
	[ "$(cat "$TEST_TMP/host/g")" = "w" ]
	c run --rm -v capsa-test-vol:/v bb sh -c 'echo kept >/v/x'
	run c run --rm -v capsa-test-vol:/v bb cat /v/x
	[ "$output" = "kept" ]
	run c run --rm --tmpfs /scratch:size=1m bb df -k /scratch
	[[ "${lines[1]}" == tmpfs*" 1024 "* ]]
}

@test "resources: memory, pids and cpu limits reach the cgroup" {
	id=$(c run -d -m 64m --pids-limit 20 --cpus 0.5 bb sleep 1000)
	d=/sys/fs/cgroup/memory/$CAPSA_CGROUP_PARENT/$id
	[ "$(cat "$d/memory.limit_in_bytes")" = "67108864" ]
	[ "$(cat /sys/fs/cgroup/pids/$CAPSA_CGROUP_PARENT/$id/pids.max)" = "20" ]
	[ "$(cat /sys/fs/cgroup/cpu/$CAPSA_CGROUP_PARENT/$id/cpu.cfs_quota_us)" = "50000" ]
	c rm -f "$id"
	assert_gone "$id"
}

@test "-i streams stdin and closes it at EOF" {
	run sh -c "printf 'line1\nline2\n' | \"$CAPSA\" --root \"$STORE\" run --rm -i bb sh -c 'cat; echo done'"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "line1" ]
	[ "${lines[1]}" = "line2" ]
	[ "${lines[2]}" = "done" ]
	# without -i the container reads /dev/null
	run sh -c "echo x | \"$CAPSA\" --root \"$STORE\" run --rm bb cat"
	[ "$output" = "" ]
}

@test "-it: a terminal in raw mode, its size, ctrl-p ctrl-q detaches" {
	run script -qec "stty cols 91 rows 17; \"$CAPSA\" --root \"$STORE\" run --rm -it bb sh -c 'tty; stty size'" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/0"* ]]
	[[ "$output" == *"17 91"* ]]
	# detach with ctrl-p ctrl-q, then attach is possible and the container keeps running
	script -qec "(sleep 1; printf '\\020\\021') | \"$CAPSA\" --root \"$STORE\" run -it --name capsa-test-tty bb sh -c 'while :; do sleep 1; done'" /dev/null >"$TEST_TMP/tty.out" || true
	[[ "$(c inspect capsa-test-tty | jq -r '.[0].State.Status')" == "running" ]]
	c rm -f capsa-test-tty
}

@test "--timeout stops the container and exits 124; --stats-file has the summary" {
	run c run --rm --timeout 1s --stop-timeout 1 --stats-file "$TEST_TMP/stats.json" bb sleep 1000
	[ "$status" -eq 124 ]
	jq -e '.timed_out == true and .exit_code == 137 and .wall_time_s >= 1' "$TEST_TMP/stats.json"
	c run --rm --stats-file "$TEST_TMP/s2.json" bb sh -c 'exit 5' || true
	jq -e '.timed_out == false and .exit_code == 5 and (.cpu_user_s | type) == "number" and (.peak_memory_bytes | type) == "number"' "$TEST_TMP/s2.json"
	[ -z "$(c ps -aq)" ]
}

@test "restart policies: on-failure:N retries N times, stop ends always" {
	id=$(c run -d --restart on-failure:2 bb sh -c 'echo run; exit 1')
	wait_for sh -c "[ \"\$(\"$CAPSA\" --root \"$STORE\" inspect $id | jq -r '.[0].State.Status')\" = exited ]"
	[ "$(c inspect "$id" | jq -r '.[0].RestartCount')" = "2" ]
	[ "$(c logs "$id" | grep -c run)" -eq 3 ]
	id2=$(c run -d --restart always bb sleep 1000)
	c stop -t 1 "$id2"
	[ "$(c inspect "$id2" | jq -r '.[0].State.Status')" = "exited" ]
	run c run --rm --restart always bb true
	[ "$status" -eq 125 ]
	[[ "$output" == *"conflicting options"* ]]
}

@test "logs: --tail, -f follows until the container exits, -t timestamps" {
	id=$(c run -d bb sh -c 'for i in 1 2 3 4 5; do echo l$i; done; read x </dev/null; sleep 1; echo last')
	run c logs -f "$id"
	[ "${#lines[@]}" -eq 6 ]
	[ "${lines[5]}" = "last" ]
	run c logs --tail 2 "$id"
	[ "${lines[0]}" = "l5" ]
	[ "${lines[1]}" = "last" ]
	run c logs -t --tail 1 "$id"
	[[ "$output" =~ ^20[0-9][0-9]-[0-9-]+T[0-9:.]+Z\ last$ ]]
	run c logs --tail abc "$id"
	[ "$status" -eq 125 ]
}

@test "pause, unpause, rename, restart" {
	id=$(c run -d --name capsa-test-p bb sleep 1000)
	c pause capsa-test-p
	[ "$(c inspect "$id" | jq -r '.[0].State.Status')" = "paused" ]
	[[ "$(c ps)" == *"(Paused)"* ]]
	c unpause capsa-test-p
	[ "$(c inspect "$id" | jq -r '.[0].State.Status')" = "running" ]
	c rename capsa-test-p capsa-test-q
	[ "$(c inspect capsa-test-q | jq -r '.[0].Id')" = "$id" ]
	run c rename capsa-test-q 'bad/name'
	[ "$status" -ne 0 ]
	pid1=$(c inspect "$id" | jq -r '.[0].State.Pid')
	c restart -t 1 capsa-test-q
	[ "$(c inspect "$id" | jq -r '.[0].State.Status')" = "running" ]
	[ "$(c inspect "$id" | jq -r '.[0].State.Pid')" != "$pid1" ]
}

@test "exec: status, user names, env, workdir, terminal, errors" {
	c run -d --name capsa-test-ex bb sleep 1000 >/dev/null
	run c exec capsa-test-ex sh -c 'echo in; exit 4'
	[ "$status" -eq 4 ]
	[ "$output" = "in" ]
	run c exec -u nobody capsa-test-ex id -u
	[ "$output" = "65534" ]
	run c exec -w /tmp -e X=y capsa-test-ex sh -c 'echo $X $(pwd)'
	[ "$output" = "y /tmp" ]
	run -127 c exec capsa-test-ex nosuch
	[[ "$output" == *'exec: "nosuch": executable file not found'* ]]
	run script -qec "\"$CAPSA\" --root \"$STORE\" exec -it capsa-test-ex tty" /dev/null
	[[ "$output" == *"/dev/pts/"* ]]
	c stop -t 0 capsa-test-ex >/dev/null
	run c exec capsa-test-ex true
	[ "$status" -ne 0 ]
	[[ "$output" == *"is not running"* ]]
}

@test "top, stats, cp in both directions (inside the container's root), export" {
	id=$(c run -d --name capsa-test-misc bb sh -c 'echo inside >/tmp/f; echo ready; exec sleep 1000')
	wait_for sh -c "\"$CAPSA\" --root \"$STORE\" logs $id | grep -q ready"
	run c top capsa-test-misc
	[[ "${lines[0]}" =~ ^PID\ +PPID\ +CMD ]]
	[[ "$output" == *"sleep 1000"* ]]
	run c stats --no-stream --format json capsa-test-misc
	[ "$(echo "$output" | jq -r .PIDs)" -ge 1 ]
	mkdir "$TEST_TMP/cp"
	c cp capsa-test-misc:/tmp/f "$TEST_TMP/cp/"
	[ "$(cat "$TEST_TMP/cp/f")" = "inside" ]
	echo from-host >"$TEST_TMP/cp/h"
	c cp "$TEST_TMP/cp/h" capsa-test-misc:/tmp/
	[ "$(c exec capsa-test-misc cat /tmp/h)" = "from-host" ]
	# a symlink in the container that points at the host's /etc stays inside the container's root
	c exec capsa-test-misc ln -s /etc /tmp/escape
	c cp capsa-test-misc:/tmp/escape/passwd "$TEST_TMP/cp/passwd"
	[ "$(cat "$TEST_TMP/cp/passwd")" = "$(c exec capsa-test-misc cat /etc/passwd)" ]
	run c cp capsa-test-misc:/nonexistent "$TEST_TMP/cp/x"
	[ "$status" -ne 0 ]
	run c cp "$TEST_TMP/cp/h" "$TEST_TMP/cp/h2"
	[ "$status" -eq 125 ]
	c export -o "$TEST_TMP/fs.tar" capsa-test-misc
	tar -tf "$TEST_TMP/fs.tar" | grep -qx 'tmp/h'
	tar -tf "$TEST_TMP/fs.tar" | grep -qx 'bin/busybox'
}

@test "volume create/ls/inspect/rm; container prune; system df; info; version" {
	c volume create capsa-test-vol
	[[ "$(c volume ls -q)" == *capsa-test-vol* ]]
	[ "$(c volume inspect capsa-test-vol | jq -r '.[0].Mountpoint')" = "$STORE/volumes/capsa-test-vol/_data" ]
	run c volume create 'bad/name'
	[ "$status" -ne 0 ]
	[[ "$output" == *"invalid volume name"* ]]
	c run -d --name capsa-test-vu -v capsa-test-vol:/v bb sleep 1000 >/dev/null
	run c volume rm capsa-test-vol
	[ "$status" -ne 0 ]
	[[ "$output" == *"in use"* ]]
	c rm -f capsa-test-vu
	c volume rm capsa-test-vol
	[ -z "$(c volume ls -q)" ]
	c run --name capsa-test-done1 bb true
	c run --name capsa-test-done2 bb true
	keep=$(c run -d bb sleep 1000)
	run c container prune
	[ "${#lines[@]}" -eq 3 ]
	[ "$(c ps -aq --no-trunc)" = "$keep" ]
	run c system df
	[[ "${lines[2]}" =~ ^Containers\ +1\ +1 ]]
	[[ "$(c info)" == *"Running: 1"* ]]
	[[ "$(c version)" == *"Version:"* ]]
}

@test "OOM kill is recorded; json-file rotation with max-size/max-file, logs -f across rotation" {
	run c run --name capsa-test-oom -m 8m --memory-swap 8m bb sh -c 'x=$(head -c 60000000 /dev/zero | tr "\0" a); echo survived'
	[ "$status" -eq 137 ]
	[ "$(c inspect capsa-test-oom | jq -r '.[0].State.OOMKilled')" = "true" ]
	id=$(c run -d --log-opt max-size=2k --log-opt max-file=3 bb sh -c 'read x </dev/null; sleep 1; i=0; while [ $i -lt 300 ]; do echo line$i; i=$((i+1)); done')
	run c logs -f "$id"
	[ "${lines[${#lines[@]}-1]}" = "line299" ]
	# every line seen once, in order, across the rotations that happened while following
	[ "$(printf '%s\n' "${lines[@]}" | grep -c '^line')" -eq "$(printf '%s\n' "${lines[@]}" | sort -u | grep -c '^line')" ]
	[ -f "$STORE/containers/$id/$id-json.log.1" ]
	[ -f "$STORE/containers/$id/$id-json.log.2" ]
	[ ! -e "$STORE/containers/$id/$id-json.log.3" ]
	[ "$(stat -c %s "$STORE/containers/$id/$id-json.log.1")" -le 2048 ]
	run c run --log-opt max-size=lots bb true
	[ "$status" -eq 125 ]
	run c run --log-driver syslog bb true
	[ "$status" -eq 125 ]
}

@test "kill -9 of capsa at several points of run, then rm -f: nothing left" {
	for delay in 0 0.005 0.01 0.02 0.05 0.1 0.2; do
		c run --name "capsa-test-k$(echo "$delay" | tr -d .)" bb sleep 1000 >/dev/null 2>&1 &
		pid=$!
		sleep "$delay"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	for id in $(c ps -aq --no-trunc); do
		c rm -f "$id" >/dev/null
	done
	[ -z "$(ls "$STORE/containers" | grep -v '^lock$')" ]
	[ -z "$(ls "$STORE/rootfs" 2>/dev/null | grep -v '^mount-')" ]
	# the compiled seccomp filter cache (@seccomp-cache) is kept on purpose
	[ -z "$(ls "$STORE/run" 2>/dev/null | grep -v "^@seccomp-cache$")" ]
	! ls -d /sys/fs/cgroup/*/"$CAPSA_CGROUP_PARENT"/*/ 2>/dev/null || false
	assert_no_mounts
}

@test "attach to a -dit container, type into it, detach with --detach-keys; start -ai" {
	c run -dit --name capsa-test-att bb sh >/dev/null
	script -qec "(sleep 1; printf 'echo \$((6*7))x\\r'; sleep 2; printf '\\030x') | \"$CAPSA\" --root \"$STORE\" attach --detach-keys ctrl-x,x capsa-test-att" /dev/null >"$TEST_TMP/att.out" || true
	grep -q '42x' "$TEST_TMP/att.out"
	[ "$(c inspect capsa-test-att | jq -r '.[0].State.Status')" = "running" ]
	run c attach nosuch
	[ "$status" -ne 0 ]
	run c attach --detach-keys shift-a capsa-test-att
	[ "$status" -ne 0 ]
	[[ "$output" == *"invalid detach keys"* ]]
	c create -i --name capsa-test-ai bb sh -c 'read l; echo got-$l' >/dev/null
	run sh -c "echo abc | \"$CAPSA\" --root \"$STORE\" start -ai capsa-test-ai"
	[ "$status" -eq 0 ]
	[ "$output" = "got-abc" ]
	c rm -f capsa-test-att
	run c attach capsa-test-ai
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot attach to a stopped container"* ]]
}

@test "logs --since/--until: Unix times, RFC 3339 with a zone or an offset, local times; bad values refused" {
	id=$(c run -d bb sh -c 'echo one; sleep 1; echo two; sleep 100')
	for _ in $(seq 1 100); do [ "$(c logs "$id" | wc -l)" -eq 2 ] && break; sleep 0.1; done
	t1=$(c logs -t "$id" | sed -n 1p | cut -d' ' -f1)
	t2=$(c logs -t "$id" | sed -n 2p | cut -d' ' -f1)
	e1=$(date -u -d "$t1" +%s.%N)
	s2=$(date -u -d "$t2" +%s) # the second of "two": after "one", which came a second earlier
	[ "$(c logs --since "$s2" "$id")" = two ]
	[ "$(c logs --until "$e1" "$id")" = one ]
	[ "$(c logs --since "$(date -u -d "@$s2" +%Y-%m-%dT%H:%M:%SZ)" "$id")" = two ]
	[ "$(c logs --since "$(TZ=UTC-05:30 date -d "@$s2" +%Y-%m-%dT%H:%M:%S+05:30)" "$id")" = two ]
	# without a zone it is the caller's local time, as docker's
	[ "$(TZ=CAPSA-05:30 c logs --since "$(TZ=CAPSA-05:30 date -d "@$s2" +%Y-%m-%dT%H:%M:%S)" "$id")" = two ]
	[ "$(TZ=CAPSA+03:00 c logs --since "$(TZ=CAPSA+03:00 date -d "@$s2" +%Y-%m-%dT%H:%M:%S)" "$id")" = two ]
	[ "$(c logs --since 1h "$id" | wc -l)" -eq 2 ]
	for bad in yesterday 2026-13-01 12abc -5m 2026-11-29T08:00:00+5; do
		run c logs --since "$bad" "$id"
		[ "$status" -ne 0 ]
		[[ "$output" == *"--since: invalid time '$bad'"* ]]
	done
	run c logs --until 2025-02-29 "$id"
	[[ "$output" == *"--until: invalid time '2025-02-29'"* ]]
	c rm -f "$id" >/dev/null
}

@test "ps --filter: one key's values are alternatives, name= is a regular expression, exited=; bad ones refused" {
	c run -d --name capsa-test-fweb bb sleep 100 >/dev/null
	c create --name capsa-test-fnew bb true >/dev/null
	c run --name capsa-test-fjob bb sh -c 'exit 3' || true
	[ "$(c ps -f status=running -f status=created --format '{{.Names}}' | sort | tr '\n' ' ')" = \
		"capsa-test-fnew capsa-test-fweb " ]
	[ "$(c ps -a -f 'name=^capsa-test-f(web|job)$' --format '{{.Names}}' | sort | tr '\n' ' ')" = \
		"capsa-test-fjob capsa-test-fweb " ]
	[ "$(c ps -a -q -f name=^fweb | wc -l)" -eq 0 ]
	[ "$(c ps -f exited=3 --format '{{.Names}}')" = capsa-test-fjob ]
	[ -z "$(c ps -q -f exited=0)" ]
	[ "$(c ps -f status=running -f name=fnew -q | wc -l)" -eq 0 ]
	for bad in status=up 'name=(' exited=300 type=vms nokey; do
		run c ps -f "$bad"
		[ "$status" -eq 125 ]
		[[ "$output" == *"invalid filter"* ]]
	done
	c rm -f capsa-test-fweb capsa-test-fnew capsa-test-fjob >/dev/null
	# docker's other template fields scripts use
	mkdir "$TEST_TMP/h"
	c run -d --name capsa-test-fmt -l a=1 -l b=two -v capsa-test-fvol:/v -v "$TEST_TMP/h:/h" --tmpfs /t \
		--network none bb sleep 100 >/dev/null
	[ "$(c ps -f name=fmt --format '{{.Networks}}|{{.Labels}}|{{.Mounts}}')" = \
		"none|a=1,b=two|capsa-test-fvol,$TEST_TMP/h" ]
	[[ "$(c ps -f name=fmt --format '{{.RunningFor}}')" == *" ago" ]]
	c rm -f -v capsa-test-fmt >/dev/null
	c volume rm capsa-test-fvol >/dev/null
}

@test "--env-file, --entrypoint, --stop-signal, ps filters and formats, logs --since" {
	printf '# a comment\nFROM_FILE=yes\n\nOTHER=1\n' >"$TEST_TMP/env"
	run c run --rm --env-file "$TEST_TMP/env" bb sh -c 'echo $FROM_FILE$OTHER'
	[ "$output" = "yes1" ]
	run c run --rm --env-file "$TEST_TMP/nonexistent" bb true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--env-file"* ]]
	run c run --rm --entrypoint /bin/echo bb from-entrypoint
	[ "$output" = "from-entrypoint" ]
	id=$(c run -d --name capsa-test-sig --stop-signal USR1 -l team=a bb sh -c 'trap "exit 3" USR1; echo up; while :; do sleep 1; done')
	[ "$(c inspect "$id" | jq -r '.[0].Config.StopSignal')" = "SIGUSR1" ]
	[ "$(c ps -q --filter label=team=a)" = "${id:0:12}" ]
	[ -z "$(c ps -q --filter label=team=b)" ]
	[ "$(c ps --format json | jq -r .Names)" = "capsa-test-sig" ]
	[ "$(c ps --format '{{.Names}}\t{{.State}} {{.Label "team"}}')" = "$(printf 'capsa-test-sig\trunning a')" ]
	run c ps --format '{{.Nope}}'
	[ "$status" -ne 0 ]
	[[ "$output" == *'unknown field ".Nope"'* ]]
	run c ps --filter bogus=1
	[ "$status" -eq 125 ]
	wait_for sh -c "\"$CAPSA\" --root \"$STORE\" logs $id | grep -q up"
	[ "$(c logs --since 1h "$id")" = "up" ]
	[ -z "$(c logs --until 2000-01-01T00:00:00Z "$id")" ]
	c stop -t 30 "$id"
	[ "$(c wait "$id")" = "3" ]
}

@test "an image VOLUME becomes an anonymous volume with the image's content; rm -v removes it" {
	cp -a "$IMAGES_DIR/rootfs" "$TEST_TMP/vroot"
	mkdir -p "$TEST_TMP/vroot/data"
	echo seeded >"$TEST_TMP/vroot/data/seed"
	c import -c 'VOLUME /data' "$TEST_TMP/vroot" bbvol >/dev/null
	id=$(c run -d bbvol sh -c 'cat /data/seed; echo more >/data/new; echo ok')
	c wait "$id" >/dev/null
	run c logs "$id"
	[ "${lines[0]}" = "seeded" ]
	vol=$(c inspect "$id" | jq -r '.[0].Mounts[] | select(.Destination == "/data") | .Name')
	[ "$(cat "$STORE/volumes/$vol/_data/new")" = "more" ]
	# an explicit mount at the same path wins over the image's volume
	mkdir "$TEST_TMP/mine"
	run c run --rm -v "$TEST_TMP/mine:/data" bbvol ls /data
	[ "$output" = "" ]
	c rm -v "$id"
	[ ! -e "$STORE/volumes/$vol" ]
}

@test "stop, kill, pause, wait on several containers: a bad one is reported, the others still act" {
	id=$(c run -d bb sleep 1000)
	run c pause capsa-test-no-such-container "$id"
	[ "$status" -eq 1 ]
	[[ "$output" == *"capsa: pause: "*"capsa-test-no-such-container"* ]]
	[[ "$output" == *"$id"* ]]
	run c unpause "$id" capsa-test-no-such-container
	[ "$status" -eq 1 ]
	[[ "$output" == *"$id"* ]]
	run c stop -t 0 capsa-test-no-such-container "$id"
	[ "$status" -eq 1 ]
	[ "$(c wait "$id")" = 137 ]
	run c wait
	[ "$status" -ne 0 ]
	[[ "$output" == *"requires at least 1 argument"* ]]
	c rm "$id"
	assert_gone "$id"
}
