#!/usr/bin/env bats
# capsa-runtime: what the process sees inside the container.

load helpers

setup() {
	capsa_setup_tmp
	BUNDLE="$TEST_TMP/bundle"
	make_bundle "$BUNDLE" true
}

teardown() {
	[ -z "${NETNS:-}" ] || ip netns del "$NETNS" 2>/dev/null || true
	capsa_teardown_tmp
}

# run_in CMD...: runs CMD in the bundle's container (foreground) and captures output and status.
run_in() {
	set_args "$BUNDLE" "$@"
	run rt run -b "$BUNDLE" "$(cid)"
}

@test "hostname, env, cwd and the default PATH" {
	config_edit "$BUNDLE" '.hostname = "capsa-test-host" | .process.env += ["FOO=bar baz"] | .process.cwd = "/tmp"'
	run_in sh -c 'hostname; echo "$FOO"; pwd'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "capsa-test-host" ]
	[ "${lines[1]}" = "bar baz" ]
	[ "${lines[2]}" = "/tmp" ]
}

@test "a missing cwd is created" {
	config_edit "$BUNDLE" '.process.cwd = "/work/dir"'
	run_in pwd
	[ "$status" -eq 0 ]
	[ "$output" = "/work/dir" ]
}

@test "user uid, gid, additional gids and umask" {
	config_edit "$BUNDLE" '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [5, 7], "umask": 63} | .process.cwd = "/tmp"'
	run_in sh -c 'id -u; id -g; id -G; umask'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 1001 ]
	[ "${lines[2]}" = "1001 5 7" ]
	[ "${lines[3]}" = "0077" ]
}

@test "without process.user.umask the process's umask is 022, not the caller's (as runc)" {
	set_args "$BUNDLE" sh -c 'umask; echo x >/dev/shm/f; stat -c %a /dev/shm/f'
	run bash -c "umask 077; $(printf '%q ' "$RUNTIME" --root "$RUNTIME_ROOT") run -b $(printf %q "$BUNDLE") $(cid)"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "0022" ]
	[ "${lines[1]}" = 644 ]
}

@test "capabilities are exactly what the config says" {
	# CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10)
	run_in sh -c 'grep -E "^Cap(Eff|Prm|Bnd|Inh|Amb)" /proc/self/status'
	[ "$status" -eq 0 ]
	[[ "$output" == *"CapEff:	0000000020000420"* ]]
	[[ "$output" == *"CapBnd:	0000000020000420"* ]]
	[[ "$output" == *"CapInh:	0000000000000000"* ]]
	config_edit "$BUNDLE" '.process.capabilities = {"bounding": ["CAP_CHOWN","CAP_KILL"], "effective": ["CAP_CHOWN"], "permitted": ["CAP_CHOWN"], "inheritable": ["CAP_CHOWN"], "ambient": ["CAP_CHOWN"]} | .process.user.uid = 1000'
	run_in sh -c 'grep -E "^Cap(Eff|Bnd|Amb)" /proc/self/status'
	[ "$status" -eq 0 ]
	[[ "$output" == *"CapEff:	0000000000000001"* ]]
	[[ "$output" == *"CapBnd:	0000000000000021"* ]]
	[[ "$output" == *"CapAmb:	0000000000000001"* ]]
}

@test "noNewPrivileges, rlimits and oomScoreAdj" {
	config_edit "$BUNDLE" '.process.noNewPrivileges = true | .process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 321, "hard": 654}] | .process.oomScoreAdj = 123'
	run_in sh -c 'grep NoNewPrivs /proc/self/status; ulimit -n; ulimit -Hn; cat /proc/self/oom_score_adj'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"NoNewPrivs:	1"* ]]
	[ "${lines[1]}" = 321 ]
	[ "${lines[2]}" = 654 ]
	[ "${lines[3]}" = 123 ]
	config_edit "$BUNDLE" '.process.rlimits = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]'
	run rt run -b "$BUNDLE" "$(cid)"
	[ "$status" -ne 0 ]
	[[ "$output" == *"RLIMIT_BOGUS"* ]]
}

@test "read-only root, masked and read-only paths" {
	# Masked files read as empty (/dev/null over them); /proc/keys exists on every kernel with keys.
	[ -e /proc/keys ] || skip "this kernel has no /proc/keys"
	run_in sh -c 'touch /x 2>&1; echo "keys:$(wc -c < /proc/keys)"; echo 1 > /proc/sys/kernel/domainname 2>&1; ls /sys/firmware | wc -l'
	[[ "${lines[0]}" == *"Read-only file system"* ]]
	[ "${lines[1]}" = "keys:0" ]
	[[ "${lines[2]}" == *"Read-only file system"* ]]
	[ "${lines[3]}" = 0 ]
	config_edit "$BUNDLE" '.root.readonly = false'
	run_in sh -c 'touch /x && echo ok'
	[ "$output" = ok ]
}

@test "/dev has the default nodes, links and no host devices" {
	run_in sh -c 'ls -l /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty | wc -l; readlink /dev/ptmx; readlink /dev/fd; readlink /dev/stdin; ls /dev/sda /dev/kmsg 2>&1 | wc -l; echo x > /dev/null && echo null-ok'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 6 ]
	[ "${lines[1]}" = "pts/ptmx" ]
	[ "${lines[2]}" = "/proc/self/fd" ]
	[ "${lines[3]}" = "/proc/self/fd/0" ]
	[ "${lines[5]}" = "null-ok" ]
}

@test "linux.devices creates nodes with mode and owner" {
	config_edit "$BUNDLE" '.linux.devices = [{"path": "/dev/capsa-test-null", "type": "c", "major": 1, "minor": 3, "fileMode": 432, "uid": 7, "gid": 8}]'
	run_in sh -c 'stat -c "%t:%T %a %u:%g %F" /dev/capsa-test-null'
	[ "$status" -eq 0 ]
	[ "$output" = "1:3 660 7:8 character special file" ]
}

@test "bind and tmpfs mounts with options" {
	mkdir -p "$TEST_TMP/share"
	echo from-host >"$TEST_TMP/share/file"
	config_edit "$BUNDLE" ".mounts += [{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$TEST_TMP/share\", \"options\": [\"rbind\", \"ro\"]}, {\"destination\": \"/scratch\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"size=1m\", \"mode=700\"]}, {\"destination\": \"/etc/one-file\", \"type\": \"bind\", \"source\": \"$TEST_TMP/share/file\", \"options\": [\"bind\"]}]"
	run_in sh -c 'cat /data/file; touch /data/x 2>&1; stat -c %a /scratch; grep " /scratch " /proc/mounts; cat /etc/one-file'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = from-host ]
	[[ "${lines[1]}" == *"Read-only file system"* ]]
	[ "${lines[2]}" = 700 ]
	[[ "${lines[3]}" == *"tmpfs /scratch tmpfs rw"*"size=1024k"* ]]
	[ "${lines[4]}" = from-host ]
	assert_no_mounts
}

@test "a bad mount gives the reason and leaves nothing behind" {
	config_edit "$BUNDLE" '.mounts += [{"destination": "/x", "type": "nosuchfs", "source": "none"}]'
	run rt run -b "$BUNDLE" "$(cid)"
	[ "$status" -ne 0 ]
	[[ "$output" == *"mount nosuchfs none to /x"*"No such device"* ]]
	[ ! -e "$RUNTIME_ROOT/$(cid)" ]
	config_edit "$BUNDLE" '.mounts[-1] = {"destination": "/x", "type": "bind", "source": "/no/such/dir"}'
	run rt run -b "$BUNDLE" "$(cid)"
	[ "$status" -ne 0 ]
	[[ "$output" == *"bind mount source /no/such/dir: No such file or directory"* ]]
	assert_no_mounts
}

@test "namespaced sysctls are set; host-wide ones are refused" {
	config_edit "$BUNDLE" '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmni": "1234"}'
	run_in sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = 1234 ]
	config_edit "$BUNDLE" '.linux.sysctl = {"kernel.panic": "1"}'
	run rt run -b "$BUNDLE" "$(cid)"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.sysctl: kernel.panic is not namespaced"* ]]
	config_edit "$BUNDLE" '.linux.sysctl = {"net.ipv4.ip_forward": "1"} | .linux.namespaces |= map(select(.type != "network"))'
	run rt run -b "$BUNDLE" "$(cid)"
	[ "$status" -ne 0 ]
	[[ "$output" == *"requires a new network namespace"* ]]
}

@test "namespaces: pid 1, own network, joining a namespace by path" {
	run_in sh -c 'echo $$; ls /sys/class/net | tr "\n" " "'
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = "lo " ]
	NETNS="$TEST_ID_PREFIX-ns"
	local ns=$NETNS
	ip netns add "$ns"
	ip -n "$ns" link set lo mtu 12345
	config_edit "$BUNDLE" ".linux.namespaces |= map(if .type == \"network\" then .path = \"/run/netns/$ns\" else . end)"
	run_in cat /sys/class/net/lo/mtu
	ip netns del "$ns"
	[ "$status" -eq 0 ]
	[ "$output" = 12345 ]
	config_edit "$BUNDLE" '.linux.namespaces |= map(if .type == "network" then .path = "/nonexistent/ns" else . end)'
	run_in true
	[ "$status" -ne 0 ]
	[[ "$output" == *"open network namespace /nonexistent/ns: No such file or directory"* ]]
}

@test "user namespace with uid and gid mappings" {
	chmod 755 "$TEST_TMP"
	config_edit "$BUNDLE" '.linux.namespaces += [{"type": "user"}] | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	chown -R 100000:100000 "$BUNDLE/rootfs"
	run_in sh -c 'id -u; cat /proc/self/uid_map'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[[ "${lines[1]}" =~ ^\ +0\ +100000\ +65536$ ]]
	config_edit "$BUNDLE" 'del(.linux.uidMappings)'
	run rt run -b "$BUNDLE" "$(cid)"
	[ "$status" -ne 0 ]
	[[ "$output" == *"uidMappings and gidMappings are required"* ]]
}

@test "time namespace offsets" {
	config_edit "$BUNDLE" '.linux.namespaces += [{"type": "time"}] | .linux.timeOffsets = {"boottime": {"secs": 864000, "nanosecs": 0}}'
	run_in cat /proc/uptime
	[ "$status" -eq 0 ]
	up=${output%%.*}
	[ "$up" -ge 864000 ]
}

@test "no host fd reaches the container; --preserve-fds passes extra fds" {
	run_in sh -c 'ls /proc/self/fd | tr "\n" " "'
	[ "$status" -eq 0 ]
	[ "$output" = "0 1 2 3 " ]   # 3 is ls's own directory fd
	set_args "$BUNDLE" sh -c 'cat <&3'
	echo via-fd-3 >"$TEST_TMP/fd3"
	run rt run --preserve-fds 1 -b "$BUNDLE" "$(cid)" 3<"$TEST_TMP/fd3"
	[ "$status" -eq 0 ]
	[ "$output" = via-fd-3 ]
	run rt run --preserve-fds -1 -b "$BUNDLE" "$(cid)"
	[ "$status" -ne 0 ]
}

@test "terminal: the pty master goes over --console-socket" {
	config_edit "$BUNDLE" '.process.terminal = true | .process.consoleSize = {"height": 33, "width": 77}'
	set_args "$BUNDLE" sh -c 'tty; stty size; stat -c %t:%T /dev/console'
	"$TEST_HELPERS/console_recv" "$TEST_TMP/console.sock" >"$TEST_TMP/console.out" 2>"$TEST_TMP/console.err" &
	local recv=$!
	wait_for test -e "$TEST_TMP/console.sock.ready"
	rt run -d --console-socket "$TEST_TMP/console.sock" -b "$BUNDLE" "$(cid)"
	wait "$recv"
	grep -q '^/dev/pts/0' "$TEST_TMP/console.out"
	grep -q '^33 77' "$TEST_TMP/console.out"
	grep -q '^88:0' "$TEST_TMP/console.out"   # /dev/console is the pty (major 136 = 0x88)
	grep -q 'got terminal /dev/pts/0' "$TEST_TMP/console.err"
	rt delete -f "$(cid)"
	run rt create -b "$BUNDLE" "$(cid)"
	[ "$status" -ne 0 ]
	[[ "$output" == *"console-socket"* ]]
}

@test "the init joins its cgroup in every hierarchy itself, from a user namespace too" {
	set_args "$BUNDLE" sleep 100
	rt create -b "$BUNDLE" "$(cid)"
	assert_one_cgroup "$(rt state "$(cid)" | jq .pid)"
	rt delete -f "$(cid)"
	# the tasks files were opened by the runtime before the clone: the mapped root may write them
	chmod 755 "$TEST_TMP"
	config_edit "$BUNDLE" '.linux.namespaces += [{"type": "user"}] | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	chown -R 100000:100000 "$BUNDLE/rootfs"
	rt create -b "$BUNDLE" "$(cid u)"
	assert_one_cgroup "$(rt state "$(cid u)" | jq .pid)"
	rt delete -f "$(cid u)"
}

@test "--no-pivot runs the container with MS_MOVE and chroot" {
	set_args "$BUNDLE" sh -c 'cat /proc/self/mountinfo | wc -l'
	run rt run --no-pivot -b "$BUNDLE" "$(cid)"
	[ "$status" -eq 0 ]
	[ "$output" -gt 3 ]
}

@test "run in the foreground with a terminal proxies the pty (no console socket needed)" {
	command -v script >/dev/null || skip "script(1) is not installed"
	config_edit "$BUNDLE" '.process.terminal = true'
	set_args "$BUNDLE" sh -c 'tty; exit 4'
	run script -qec "$RUNTIME --root $RUNTIME_ROOT run -b $BUNDLE $(cid)" /dev/null
	[ "$status" -eq 4 ]
	[[ "$output" == *"/dev/pts/0"* ]]
	[ ! -e "$RUNTIME_ROOT/$(cid)" ]
	run rt run -d -b "$BUNDLE" "$(cid)"
	[ "$status" -ne 0 ]
	[[ "$output" == *"console-socket"* ]]
}
