#!/usr/bin/env bats
# `capsa run --vm`: the image's process in a User-mode Linux micro-VM (this host's /dev/kvm is PVM, where a
# stock kernel never reaches user space), with a container's output and exit codes, leaving nothing behind.
# A micro-VM is a container for the user: a record in ps (marked), logs, stop, kill, wait, rm, restart.

load helpers
bats_require_minimum_version 1.5.0

UML=${CAPSA_UML:-/usr/bin/linux.uml}

setup_file() {
	export IMAGES_DIR
	IMAGES_DIR=$(mktemp -d /tmp/capsa-test-vmrun-XXXXXX)
	make_busybox_rootfs "$IMAGES_DIR/rootfs"
	echo 'user:x:1000:1000::/home/user:/bin/sh' >>"$IMAGES_DIR/rootfs/etc/passwd"
	echo 'user:x:1000:' >>"$IMAGES_DIR/rootfs/etc/group"
	mkdir -p "$IMAGES_DIR/rootfs/srv"
	printf 'line one\nline two\n' >"$IMAGES_DIR/rootfs/srv/data.txt"
}

teardown_file() {
	rm -rf "$IMAGES_DIR"
}

setup() {
	[ -x "$UML" ] || skip "$UML is not installed (user-mode-linux; make deps)"
	[ -x "$CAPSA_TOP/build/capsa-vminit" ] || skip "build/capsa-vminit is not built (make all)"
	capsa_setup_tmp
	capsa_cli_setup
	c import "$IMAGES_DIR/rootfs" bb >/dev/null
}

teardown() {
	capsa_cli_cleanup
	capsa_teardown_tmp
}

# Nothing of a VM that ended is left running: no UML process, no scratch dir (config, COW file, UML's dir),
# no mount. (The containers' records stay until rm, as a container's.)
assert_vm_clean() {
	! pgrep -f "ubdb=$STORE" >/dev/null || false
	[ -z "$(find /sys/fs/cgroup -maxdepth 3 -path "*/$CAPSA_CGROUP_PARENT/*" -type d 2>/dev/null)" ]
	[ -z "$(find "$STORE/run" -mindepth 1 -maxdepth 1 -name 'vm-*' 2>/dev/null)" ]
	! grep -q " $STORE" /proc/self/mountinfo || false
}

# ... and after rm, not even a record or the image's in-use mark.
assert_vm_gone() {
	assert_vm_clean
	[ -z "$(c ps -aq)" ]
	[ -z "$(find "$STORE/containers" -mindepth 1 -maxdepth 1 -type d 2>/dev/null)" ]
	[ -z "$(find "$STORE/rootfs" -mindepth 1 -maxdepth 1 2>/dev/null)" ]
}

# Waits (bounded, a minute: a UML boot takes seconds on a busy host) until the container's log has text.
wait_log() {
	for _ in $(seq 1 600); do
		c logs "$1" 2>&1 | grep -q "$2" && return 0
		sleep 0.1
	done
	return 1
}

@test "run --vm: stdout and stderr come out apart, and the exit code is the process's" {
	run --separate-stderr c run --vm bb sh -c 'echo hello; echo oops >&2; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = hello ]
	[ "$stderr" = oops ]
	run c run --vm bb true
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run c run --vm bb false
	[ "$status" -eq 1 ]
	assert_vm_clean
}

@test "run --vm: a process killed by a signal gives 128+N, like a container's" {
	run c run --vm bb sh -c 'kill -9 $$'
	[ "$status" -eq 137 ]
	run -127 c run --vm bb nosuchcommand
	[[ "$output" == *"nosuchcommand"* ]]
}

@test "run --vm: env, working directory, user and hostname are the container's" {
	run c run --vm -e FOO=bar -w /srv -u user --hostname capsa-test-vm bb \
		sh -c 'echo "$FOO $(pwd) $(id -u):$(id -g) $(hostname)"'
	[ "$status" -eq 0 ]
	[ "$output" = "bar /srv 1000:1000 capsa-test-vm" ]
}

@test "run --vm: a shell script with pipes reads a file of the image; the image's disk is never written" {
	run c run --vm bb sh -c 'cat /srv/data.txt | grep two | tr a-z A-Z; echo x >/srv/new'
	[ "$status" -eq 0 ]
	[ "$output" = "LINE TWO" ]
	sum=$(md5sum "$STORE"/vm/*.ext4)
	run c run --vm bb sh -c 'test -e /srv/new && echo leaked || echo fresh'
	[ "$output" = fresh ]
	[ "$(md5sum "$STORE"/vm/*.ext4)" = "$sum" ]
	[ "$(find "$STORE/vm" -type f | wc -l)" -eq 1 ]
}

@test "run --vm: --memory is the guest's memory" {
	run c run --vm --memory 96m bb sh -c "awk '/MemTotal/ {print \$2}' /proc/meminfo"
	[ "$status" -eq 0 ]
	# MemTotal is a little less than mem= (the kernel's own reservations)
	[ "$output" -gt $((60 * 1024)) ]
	[ "$output" -le $((96 * 1024)) ]
	small=$output
	run c run --vm --memory 192m bb sh -c "awk '/MemTotal/ {print \$2}' /proc/meminfo"
	[ "$status" -eq 0 ]
	[ "$output" -gt $((96 * 1024)) ]
	[ "$output" -le $((192 * 1024)) ]
	[ "$output" -gt "$small" ]
}

@test "run --vm: SIGTERM to capsa reaches the guest's process (143, as a container's) and leaves nothing" {
	"$CAPSA" --root "$STORE" run --vm --name "$(cid fg)" bb sh -c 'echo up; exec sleep 300' >"$TEST_TMP/out" &
	pid=$!
	# the guest's boot takes seconds on a busy host: poll for longer than wait_for's 10 s
	for _ in $(seq 1 600); do grep -q up "$TEST_TMP/out" && break; sleep 0.1; done
	grep -q up "$TEST_TMP/out"
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 143 ]
	[ "$(c inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$(cid fg)")" = "exited 143" ]
	assert_vm_clean
}

@test "run --vm: a guest that cannot boot is an error naming why, with nothing left" {
	c run --vm bb true
	# A corrupt root disk: the guest kernel panics before init runs.
	for f in "$STORE"/vm/*.ext4; do
		dd if=/dev/zero of="$f" bs=1k seek=1 count=64 conv=notrunc status=none
	done
	run c run --vm --name "$(cid p)" bb true
	[ "$status" -eq 125 ]
	[[ "$output" == *"stopped without an exit status"*"Kernel panic"* ]]
	# the reason is the container's error, and in its log
	[[ "$(c inspect -f '{{.State.Error}}' "$(cid p)")" == *"stopped without an exit status"* ]]
	[[ "$(c logs "$(cid p)" 2>&1)" == *"stopped without an exit status"* ]]
	assert_vm_clean
}

@test "run --vm: bad input is refused with the flag and the reason, leaving nothing" {
	run c run --vm --network capsa-test-nonet bb true
	[ "$status" -eq 125 ]
	[[ "$output" == *"network capsa-test-nonet not found"* ]]
	run c run --vm --stop-signal USR1 bb true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--stop-signal 10"*"SIGTERM"* ]]
	run c run --vm --pull never capsa-test-no-such-image true
	[ "$status" -eq 125 ]
	[[ "$output" == *"capsa-test-no-such-image"* ]]
	CAPSA_UML=/nonexistent/linux.uml run c run --vm bb true
	[ "$status" -eq 125 ]
	[[ "$output" == *"/nonexistent/linux.uml"*"User-mode Linux"* ]]
	assert_vm_gone
}

@test "run --vm -d: a record in ps (marked vm), logs, inspect, and wait gives the guest's exit code" {
	id=$(c run -d --vm --name "$(cid d)" -m 128m bb sh -c 'echo one; echo two >&2; exit 5')
	[ "${#id}" -eq 64 ]
	run c wait "$id"
	[ "$status" -eq 0 ]
	[ "$output" = 5 ]
	run c logs "$(cid d)"
	[ "${lines[0]}" = one ]
	[ "${lines[1]}" = two ]
	run c ps -a
	[[ "$output" == *"bb (vm)"*"Exited (5)"*"$(cid d)"* ]]
	[ "$(c ps -a --filter type=vm --format '{{.Names}} {{.Type}}')" = "$(cid d) vm" ]
	[ -z "$(c ps -aq --filter type=container)" ]
	[ "$(c inspect -f '{{.HostConfig.Runtime}} {{.Vm.Backend}} {{.Vm.Memory}}' "$id")" = "capsa-vm-uml uml 134217728" ]
	assert_vm_clean
	c rm "$id" >/dev/null
	assert_vm_gone
}

@test "run --vm: cgroup (--cpus, top, stats), stop (SIGTERM to the guest's process: 143), restart, kill (137), a signal a VM cannot take" {
	id=$(c run -d --vm --cpus 0.5 --name "$(cid s)" bb sh -c 'echo up; exec sleep 300')
	wait_log "$id" up
	[ "$(c inspect -f '{{.State.Status}}' "$id")" = running ]
	# the VM's host processes have the container's cgroup: --cpus, top and stats
	q=$(cat /sys/fs/cgroup/cpu/"$CAPSA_CGROUP_PARENT/$id"/cpu.cfs_quota_us 2>/dev/null ||
		cut -d' ' -f1 /sys/fs/cgroup/"$CAPSA_CGROUP_PARENT/$id"/cpu.max)
	[ "$q" = 50000 ]
	[[ "$(c top "$id")" == *linux.uml* ]]
	[[ "$(c stats --no-stream "$id")" == *"$(cid s)"* ]]
	run c kill -s USR1 "$id"
	[ "$status" -ne 0 ]
	[[ "$output" == *"signal 10"*"micro-VM takes SIGKILL"* ]]
	c stop -t 60 "$id" >/dev/null
	[ "$(c inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$id")" = "exited 143" ]
	assert_vm_clean
	c restart "$id" >/dev/null
	for _ in $(seq 1 600); do [ "$(c logs "$id" | grep -c up)" -ge 2 ] && break; sleep 0.1; done
	[ "$(c logs "$id" | grep -c up)" -eq 2 ]
	c kill "$id" >/dev/null
	run c wait "$id"
	[ "$output" = 137 ]
	assert_vm_clean
	run c exec "$id" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"micro-VM"* ]]
	c rm "$id" >/dev/null
	assert_vm_gone
	# a process that ignores SIGTERM is killed after the stop timeout, as a container's
	id=$(c run -d --vm bb sh -c 'trap "" TERM; echo up; while :; do sleep 1; done')
	wait_log "$id" up
	c stop -t 1 "$id" >/dev/null
	[ "$(c inspect -f '{{.State.ExitCode}}' "$id")" = 137 ]
	c rm "$id" >/dev/null
	assert_vm_gone
}

@test "run --vm: pause freezes the whole VM (its cgroup), unpause thaws it; stop of a paused VM kills it" {
	id=$(c run -d --vm bb sh -c 'i=0; while :; do i=$((i+1)); echo "n$i"; sleep 0.1; done')
	wait_log "$id" n3
	c pause "$id" >/dev/null
	[ "$(c inspect -f '{{.State.Status}} {{.State.Paused}}' "$id")" = "paused true" ]
	[[ "$(c ps -f "id=$id" --format '{{.Status}}')" == *"(Paused)"* ]]
	# Frozen: the guest's counter stops (a line already written may still be on its way, so look twice).
	sleep 0.3
	n=$(c logs "$id" | wc -l)
	sleep 0.5
	[ "$(c logs "$id" | wc -l)" -eq "$n" ]
	run c pause "$id"
	[ "$status" -ne 0 ]
	[[ "$output" == *"is not running"* ]]
	c unpause "$id" >/dev/null
	[ "$(c inspect -f '{{.State.Status}}' "$id")" = running ]
	wait_log "$id" "n$((n + 3))"
	c pause "$id" >/dev/null
	c stop -t 1 "$id" >/dev/null
	[ "$(c inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$id")" = "exited 137" ]
	assert_vm_clean
	c rm "$id" >/dev/null
	assert_vm_gone
}

@test "run --vm: a restart policy and create/start, as for a container" {
	id=$(c run -d --vm --restart on-failure:2 --name "$(cid p)" bb sh -c 'echo run; exit 1')
	# each restart boots the guest again: poll (bounded) until the policy gave up
	for _ in $(seq 1 600); do
		[ "$(c inspect -f '{{.State.Status}} {{.RestartCount}}' "$id")" = "exited 2" ] && break
		sleep 0.1
	done
	[ "$(c inspect -f '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}' "$id")" = "exited 2 1" ]
	[ "$(c logs "$id" | grep -c run)" -eq 3 ]
	id2=$(c create --vm --name "$(cid c)" bb echo made)
	[ "$(c inspect -f '{{.State.Status}}' "$id2")" = created ]
	run c start -a "$id2"
	[ "$status" -eq 0 ]
	[ "$output" = made ]
	assert_vm_clean
}

@test "run --vm: rm -f of a running VM, --rm, and a name in use" {
	id=$(c run -d --vm --name "$(cid r)" bb sleep 300)
	run c run -d --vm --name "$(cid r)" bb true
	[ "$status" -eq 125 ]
	[[ "$output" == *"\"/$(cid r)\" is already in use"* ]]
	c rm -f "$id" >/dev/null
	assert_vm_gone
	run c run --rm --vm bb sh -c 'echo bye; exit 2'
	[ "$status" -eq 2 ]
	[ "$output" = bye ]
	assert_vm_gone
}

@test "run --vm: after kill -9 of the monitor or of linux.uml, or with its record unreadable, nothing is left" {
	id=$(c run -d --vm --name "$(cid k)" bb sh -c 'echo up; exec sleep 300')
	wait_log "$id" up
	mon=$(pgrep -f "capsa-monitor id=$id")
	[ -n "$mon" ]
	kill -9 $mon
	c rm -f "$id" >/dev/null
	assert_vm_gone
	# linux.uml killed from outside: the VM ended by SIGKILL (137), and nothing of it is left
	id=$(c run -d --vm bb sh -c 'echo up; exec sleep 300')
	wait_log "$id" up
	pkill -9 -f "ubdb=$STORE/run/vm-${id:0:12}/config"
	run c wait "$id"
	[ "$output" = 137 ]
	assert_vm_clean
	c rm "$id" >/dev/null
		# a running VM whose record cannot be read is still found from its id alone
	id=$(c run -d --vm bb sh -c 'echo up; exec sleep 300')
	wait_log "$id" up
	echo garbage >"$STORE/containers/$id/container.json"
	c rm -f "$id" >/dev/null 2>&1
	assert_vm_gone
}

@test "rmi: an image a VM container uses is refused; once removed, its VM disk goes with it; df counts it" {
	before=$(c system df | awk '$1 == "Images" {print $4}')
	c run --vm --name "$(cid i)" bb true
	[ "$(find "$STORE/vm" -name '*.ext4' | wc -l)" -eq 1 ]
	# system df counts the VM disk with the images
	[ "$(c system df | awk '$1 == "Images" {print $4}')" != "$before" ]
	run c rmi bb
	[ "$status" -ne 0 ]
	[[ "$output" == *"in use by a container"* ]]
	c rm "$(cid i)" >/dev/null
	c rmi bb >/dev/null
	[ -z "$(find "$STORE/vm" -name '*.ext4')" ]
	assert_vm_gone
}

@test "run --vm: what a run killed while making the VM disk left is cleared by the next one" {
	hex=$(c image inspect -f '{{.Id}}' bb | sed 's/^sha256://')
	mkdir -p "$STORE/vm" "$STORE/rootfs/capsa-vm-${hex:0:16}/rootfs"
	echo half >"$STORE/vm/.capsa-vm-${hex:0:16}.tmp"
	run c run --rm --vm bb echo ok
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	[ "$(ls -A "$STORE/vm")" = "$hex.ext4" ]
	assert_vm_gone
}

@test "compare: a container and a VM of the same command, with exit codes, and an SVG chart" {
	run c compare --runs 1 --svg "$TEST_TMP/chart.svg" bb sh -c 'echo hi; exit 4'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == WORKLOAD*MODE*WALL* ]]
	[[ "${lines[1]}" =~ ^command\ +container\ .*\ 4$ ]]
	[[ "${lines[2]}" =~ ^command\ +vm\ .*\ 4$ ]]
	# MEM(MiB), the cgroup's peak from each run's --stats-file: the VM's includes UML and its guest memory.
	read -r _ _ _ _ _ _ _ cmem _ <<<"${lines[1]}"
	read -r _ _ _ _ _ _ _ vmem _ <<<"${lines[2]}"
	awk -v c="$cmem" -v v="$vmem" 'BEGIN { exit !(c >= 0 && v > 1) }'
	# Two panels (wall time, memory) of two bars each, a background and a two-entry legend.
	python3 -c 'import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); assert len(d.getElementsByTagName("rect")) == 7; assert "host memory" in d.toxml()' \
		"$TEST_TMP/chart.svg"
	assert_vm_clean
	# No container is left by the container runs (run --rm).
	[ -z "$(c ps -aq)" ]
}

@test "compare: bad input is refused with the flag and the reason" {
	run c compare --runs 0 bb
	[ "$status" -ne 0 ]
	[[ "$output" == *"--runs 0"*"1 to 100"* ]]
	run c compare --runs x bb
	[ "$status" -ne 0 ]
	run c compare
	[ "$status" -ne 0 ]
	[[ "$output" == *"image"* ]]
	run c compare --runs 1 --svg /nonexistent/dir/c.svg bb true
	[ "$status" -ne 0 ]
	[[ "$output" == *"/nonexistent/dir/c.svg"* ]]
	# A chart that can be written but whose runs fail is not left behind.
	run c compare --runs 1 --svg "$TEST_TMP/c.svg" nosuchimage true
	[ "$status" -ne 0 ]
	[ ! -e "$TEST_TMP/c.svg" ]
}

@test "run --hypervisor: kvm is refused here naming PVM, uml runs, anything else is refused" {
	run c run --hypervisor kvm bb true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--hypervisor kvm"*"PVM"* ]]
	run c run --hypervisor xen bb true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--hypervisor xen"*"not kvm or uml"* ]]
	run c run --hypervisor uml bb echo ok
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	assert_vm_clean
}

# Runs "$@" (a capsa command line, quoted for sh) under script in a 91x17 terminal, its input from a fifo
# this shell holds open on fd 7, its output in $TEST_TMP/tty.out; its pid in $TTY_PID.
start_in_tty() {
	mkfifo "$TEST_TMP/tty.in"
	script -qec "stty cols 91 rows 17; exec $*" /dev/null <"$TEST_TMP/tty.in" >"$TEST_TMP/tty.out" 2>&1 &
	TTY_PID=$!
	exec 7>"$TEST_TMP/tty.in"
}

# Waits (bounded, a minute) until the terminal's output has $1.
wait_tty() {
	for _ in $(seq 1 600); do
		grep -q "$1" "$TEST_TMP/tty.out" && return 0
		sleep 0.1
	done
	cat "$TEST_TMP/tty.out"
	return 1
}

@test "run --vm -i: stdin reaches the guest's process byte for byte and its end closes the process's stdin" {
	run c run --rm -i --vm bb cat <<<"hi"
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
	# every byte value, the protocol's escape (0xff) and end (0x04) among them, twice in a row
	{ printf '\377\377\004\377\004'; head -c 100000 /dev/urandom; printf '\377'; } >"$TEST_TMP/in.bin"
	want=$(md5sum <"$TEST_TMP/in.bin")
	run c run --rm -i --vm bb sh -c 'md5sum; echo more: $(cat | wc -c)' <"$TEST_TMP/in.bin"
	[ "$status" -eq 0 ]
	[ "$output" = "$want
more: 0" ]
	# without -i, stdin is empty, as a container's
	run c run --rm --vm bb sh -c 'echo in: $(wc -c)' <<<"not for the guest"
	[ "$status" -eq 0 ]
	[ "$output" = "in: 0" ]
	assert_vm_gone
}

@test "run --vm: create -i + start -a -i, and attach to a detached -i VM, give the process stdin" {
	c create -i --vm --name "$(cid sa)" bb sh -c 'read -r x; echo got=$x; cat >&2' >/dev/null
	run --separate-stderr c start -a -i "$(cid sa)" <<<$'one\ntwo'
	[ "$status" -eq 0 ]
	[ "$output" = "got=one" ]
	[ "$stderr" = two ]
	c run -d -i --vm --name "$(cid at)" bb sh -c 'read -r x; echo got=$x; exit 7' >/dev/null
	run c attach "$(cid at)" <<<"hello"
	[ "$status" -eq 7 ]
	[ "$output" = "got=hello" ]
	c rm -f "$(cid sa)" "$(cid at)" >/dev/null
	assert_vm_gone
}

@test "run --vm -it: the process has a terminal of the client's size, with stderr on it, typed input and its exit code" {
	start_in_tty "\"$CAPSA\" --root \"$STORE\" run --rm -it --vm bb sh -c \
		'tty; stty size; echo oops >&2; echo ready; read -r l; echo got=\$l; exit 4'"
	wait_tty ready
	printf 'typed\r' >&7
	exec 7>&-
	rc=0
	wait "$TTY_PID" || rc=$?
	[ "$rc" -eq 4 ]
	out=$(tr -d '\r' <"$TEST_TMP/tty.out")
	[[ "$out" == *"/dev/tty1"* ]]
	[[ "$out" == *"17 91"* ]]
	[[ "$out" == *oops* ]]
	# the guest's terminal echoes what is typed and gives the line to the process
	[[ "$out" == *typed*"got=typed"* ]]
	assert_vm_gone
}

@test "run --vm -it: a resize reaches the guest; ctrl-p ctrl-q detaches and the VM keeps running; rm -f leaves nothing" {
	start_in_tty "\"$CAPSA\" --root \"$STORE\" run -it --vm --name $(cid d) bb sh -c \
		'trap \"stty size\" WINCH; echo ready; while :; do sleep 1; done'"
	wait_tty ready
	# the client's terminal (script's pty) resized: SIGWINCH to the client, through the monitor's pty and
	# UML's console to the guest's shell
	client=$(pgrep -P "$TTY_PID")
	stty -F "$(readlink "/proc/$client/fd/0")" rows 20 cols 50
	wait_tty "20 50"
	printf '\020\021' >&7
	exec 7>&-
	wait "$TTY_PID" || true
	[ "$(c inspect -f '{{.State.Status}}' "$(cid d)")" = running ]
	pgrep -f "ubdb=$STORE" >/dev/null
	c rm -f "$(cid d)" >/dev/null
	assert_vm_gone
}

@test "run --vm: a cached disk whose capsa-vminit is not the installed one (an upgrade) is made again" {
	run c run --rm -i --vm bb cat <<<"one"
	[ "$output" = one ]
	disk=$(echo "$STORE"/vm/*.ext4)
	getfattr --only-values -n user.capsa.vminit "$disk" | grep -q ':'
	# a disk of an older capsa: another init's stamp, or none at all
	setfattr -n user.capsa.vminit -v 1:2.3 "$disk"
	ino=$(stat -c %i "$disk")
	run c run --rm -i --vm bb cat <<<"two"
	[ "$status" -eq 0 ]
	[ "$output" = two ]
	[ "$(stat -c %i "$disk")" != "$ino" ]
	setfattr -x user.capsa.vminit "$disk"
	ino=$(stat -c %i "$disk")
	run c run --rm --vm bb true
	[ "$status" -eq 0 ]
	[ "$(stat -c %i "$disk")" != "$ino" ]
	# the same init: the disk is kept
	ino=$(stat -c %i "$disk")
	c run --rm --vm bb true
	[ "$(stat -c %i "$disk")" = "$ino" ]
	[ "$(find "$STORE/vm" -type f | wc -l)" -eq 1 ]
	assert_vm_gone
}

@test "run --vm: mkfs.ext4 is found in /usr/sbin when PATH lacks it (a root shell from plain su); a missing one is named" {
	run env PATH=/usr/bin:/bin "$CAPSA" --root "$STORE" run --rm --network none --vm bb echo hi
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
	rm -f "$STORE"/vm/*.ext4
	# with no mkfs.ext4 anywhere (an empty directory over /usr/sbin and /sbin, in a mount namespace of
	# the test's own), the error says which program and where it was looked for, and nothing is left
	mkdir "$TEST_TMP/empty"
	run -125 unshare -m sh -c "mount --bind $TEST_TMP/empty /usr/sbin && mount --bind $TEST_TMP/empty /sbin &&
		PATH=/usr/bin:/bin exec $CAPSA --root $STORE run --rm --network none --vm bb echo hi"
	[[ "$output" == *"making the VM disk of bb: mkfs.ext4: not found in PATH, /usr/sbin or /sbin"* ]]
	[ -z "$(find "$STORE/vm" -name '*.ext4*')" ]
	assert_vm_gone
}

@test "run --vm: under a --root too long for an absolute mconsole socket path, stop still asks the guest" {
	# sun_path holds 108 bytes: <root>/run/vm-<id12>/capsa/mconsole would not fit under this root (the
	# test's store from here on, so that teardown cleans it as any)
	STORE="$TEST_TMP/$(printf 'r%.0s' $(seq 1 90))"
	c import "$IMAGES_DIR/rootfs" bb >/dev/null
	id=$(c run -d --network none --vm bb sh -c 'trap "echo term; exit 7" TERM; echo up; while :; do sleep 1; done')
	wait_log "$id" up
	c stop -t 60 "$id" >/dev/null
	[ "$(c inspect -f '{{.State.ExitCode}}' "$id")" = 7 ]
	[[ "$(c logs "$id")" == *term* ]]
	c rm "$id" >/dev/null
	assert_vm_gone
}
