#!/usr/bin/env bats
# capsa-runtime: linux.seccomp in real containers (busybox bundles).

load helpers

# Whether `capsa-runtime run` works at all, probed once per file: these tests are about seccomp, not the runtime.
setup_file() {
	local tmp
	tmp=$(mktemp -d /tmp/capsa-test-seccomp-probe-XXXXXX)
	echo no >"$BATS_FILE_TMPDIR/runtime_ok"
	if [ -x "$RUNTIME" ]; then
		mkdir -p "$tmp/state"
		if (
			BUNDLE="$tmp/bundle"
			make_bundle "$BUNDLE" true >/dev/null 2>&1 &&
				"$RUNTIME" --root "$tmp/state" run -b "$BUNDLE" capsa-test-seccomp-probe >/dev/null 2>&1
		); then
			echo yes >"$BATS_FILE_TMPDIR/runtime_ok"
		fi
		"$RUNTIME" --root "$tmp/state" delete --force capsa-test-seccomp-probe >/dev/null 2>&1 || true
	fi
	grep -o " $tmp[^ ]*" /proc/self/mountinfo 2>/dev/null | sort -r | while read -r m; do umount -l "$m" || true; done
	rm -rf "$tmp"
}

setup() {
	[ -x "$RUNTIME" ] || skip "needs capsa-runtime run ($RUNTIME is not built)"
	[ "$(cat "$BATS_FILE_TMPDIR/runtime_ok")" = yes ] || skip "needs capsa-runtime run (a trivial bundle does not run)"
	# runtime/seccomp.c is linked only once the init calls it (--gc-sections drops it otherwise).
	grep -q "SCMP_ACT_NOTIFY cannot be the default action" "$RUNTIME" ||
		skip "needs capsa-runtime to apply linux.seccomp (runtime/seccomp.c is not linked in yet)"
	capsa_setup_tmp
	BUNDLE="$TEST_TMP/bundle"
	make_bundle "$BUNDLE" true
	config_edit "$BUNDLE" '.root.readonly = false'
}

teardown() {
	if [ -n "${LISTENER_PID:-}" ]; then
		kill "$LISTENER_PID" 2>/dev/null || true
		wait "$LISTENER_PID" 2>/dev/null || true
	fi
	capsa_teardown_tmp
}

# Sets linux.seccomp to the JSON given.
set_seccomp() {
	config_edit "$BUNDLE" ".linux.seccomp = $1"
}

@test "seccomp: a rule denying mkdir with errnoRet makes mkdir fail with that errno" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42}]}'
	set_args "$BUNDLE" sh -c 'mkdir /tmp/capsa-denied; echo "rc=$?"; touch /tmp/capsa-allowed && echo touched'
	run rt run -b "$BUNDLE" "$(cid)"
	echo "$output"
	[ "$status" -eq 0 ]
	# ENOMSG is 42: the errno comes from the rule, not from the kernel.
	[[ "$output" == *"No message of desired type"* ]]
	[[ "$output" == *"rc=1"* ]]
	[[ "$output" == *"touched"* ]]
	[ ! -e "$BUNDLE/rootfs/tmp/capsa-denied" ]
	[ -e "$BUNDLE/rootfs/tmp/capsa-allowed" ]
}

@test "seccomp: without errnoRet SCMP_ACT_ERRNO gives EPERM" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
	set_args "$BUNDLE" mkdir /tmp/capsa-denied
	run rt run -b "$BUNDLE" "$(cid)"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "seccomp: args matching denies personality only for one value" {
	# PER_LINUX32 (8) is denied; PER_LINUX (0) is not.
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 66, "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]}'
	set_args "$BUNDLE" sh -c 'linux64 true && echo linux64-ok; linux32 true || echo linux32-denied'
	run rt run -b "$BUNDLE" "$(cid)"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"linux64-ok"* ]]
	[[ "$output" == *"linux32-denied"* ]]
	[[ "$output" == *"Object is remote"* ]] # EREMOTE, 66
}

@test "seccomp: SCMP_ACT_KILL_PROCESS kills the container process with SIGSYS" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"}]}'
	set_args "$BUNDLE" mkdir /tmp/capsa-killed
	run rt run -b "$BUNDLE" "$(cid)"
	# run returns 128 + the signal: SIGSYS is 31.
	[ "$status" -eq 159 ]
	[ ! -e "$BUNDLE/rootfs/tmp/capsa-killed" ]
}

@test "seccomp: the filter is in place in the container (Seccomp: 2) and the runtime's setup was not filtered" {
	# An allow-list profile: the runtime's own work after clone must happen before the load, or create would fail.
	set_seccomp "$(jq -c '.' "$CAPSA_TOP/runtime/seccomp-default.json")"
	set_args "$BUNDLE" grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status
	run rt run -b "$BUNDLE" "$(cid)"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Seccomp:"*"2"* ]]
}

@test "seccomp: the default profile runs busybox's tools and blocks keyctl and unshare -U" {
	set_seccomp "$(jq -c '.' "$CAPSA_TOP/runtime/seccomp-default.json")"
	# A static probe calling keyctl: busybox has no keyctl applet.
	cat >"$TEST_TMP/keyctl.c" <<-'EOF'
		#include <errno.h>
		#include <stdio.h>
		#include <string.h>
		#include <sys/syscall.h>
		#include <unistd.h>
		int main(void)
		{
			long r = syscall(SYS_keyctl, 0, -3, 0);
			printf("keyctl: %s\n", r < 0 ? strerror(errno) : "allowed");
			return r < 0;
		}
	EOF
	cc -static -O2 -o "$BUNDLE/rootfs/bin/keyctl-probe" "$TEST_TMP/keyctl.c"
	# One line: set_args passes each line as its own argument.
	local script='set -e; cd /tmp; echo hello > f; cat f | sed s/h/H/ | grep -q Hello; ls -la / > /dev/null;'
	script+=' tar cf t.tar f; mkdir x; tar xf t.tar -C x; ps > /dev/null; date > /dev/null; id > /dev/null;'
	script+=' sleep 0; find / -xdev -name f > /dev/null; echo tools-ok;'
	script+=' keyctl-probe || true; unshare -U true || echo unshare-denied'
	set_args "$BUNDLE" sh -c "$script"
	run rt run -b "$BUNDLE" "$(cid)"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"tools-ok"* ]]
	[[ "$output" == *"keyctl: Operation not permitted"* ]]
	[[ "$output" == *"unshare-denied"* ]]
}

@test "seccomp: without the profile the same keyctl probe is allowed (the filter is what blocks it)" {
	cat >"$TEST_TMP/keyctl.c" <<-'EOF'
		#include <sys/syscall.h>
		#include <unistd.h>
		int main(void)
		{
			return syscall(SYS_keyctl, 0, -3, 0) < 0;
		}
	EOF
	cc -static -O2 -o "$BUNDLE/rootfs/bin/keyctl-probe" "$TEST_TMP/keyctl.c"
	config_edit "$BUNDLE" 'del(.linux.seccomp)'
	set_args "$BUNDLE" keyctl-probe
	run rt run -b "$BUNDLE" "$(cid)"
	[ "$status" -eq 0 ]
}

@test "seccomp: notify sends the fd and the state to the listener, which answers mkdir" {
	local sock="$TEST_TMP/listener.sock" out="$TEST_TMP/listener.out"
	"$TEST_HELPERS/seccomp_listener" "$sock" errno:66 >"$out" 2>"$TEST_TMP/listener.err" &
	LISTENER_PID=$!
	wait_for grep -q '^ready$' "$out"
	set_seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$sock\", \"listenerMetadata\": \"capsa-test-meta\", \"syscalls\": [{\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}"
	set_args "$BUNDLE" sh -c 'mkdir /tmp/capsa-notified; echo "rc=$?"'
	run rt run -b "$BUNDLE" "$(cid)"
	echo "$output"
	cat "$out" "$TEST_TMP/listener.err"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Object is remote"* ]]
	[[ "$output" == *"rc=1"* ]]
	[ ! -e "$BUNDLE/rootfs/tmp/capsa-notified" ]
	# The listener ends once the container's processes are gone; its output says what it got.
	wait "$LISTENER_PID"
	LISTENER_PID=
	grep -q '^notify mkdir.* /tmp/capsa-notified$' "$out"
	local state
	state=$(sed -n 's/^state //p' "$out")
	[ "$(jq -r '.fds[0]' <<<"$state")" = seccompFd ]
	[ "$(jq -r '.metadata' <<<"$state")" = capsa-test-meta ]
	[ "$(jq -r '.state.id' <<<"$state")" = "$(cid)" ]
	[ "$(jq -r '.pid' <<<"$state")" -gt 0 ]
}

@test "seccomp: notify with a listener that is not there fails the create and leaves nothing" {
	set_seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$TEST_TMP/nobody.sock\", \"syscalls\": [{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}"
	run rt run -b "$BUNDLE" "$(cid)"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"nobody.sock"* ]]
	[ ! -e "$RUNTIME_ROOT/$(cid)" ]
}

@test "seccomp: invalid profiles are refused at create with the reason" {
	# Each passes the JSON schema but not the translation.
	local bad
	for bad in \
		'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}|listenerPath' \
		'{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ALLOW", "errnoRet": 1}]}|errnoRet' \
		'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}|index 6'; do
		set_seccomp "${bad%|*}"
		run rt run -b "$BUNDLE" "$(cid)"
		echo "$output"
		[ "$status" -ne 0 ]
		[[ "$output" == *"${bad#*|}"* ]]
		[ ! -e "$RUNTIME_ROOT/$(cid)" ]
	done
}

@test "seccomp: unknown syscall names are skipped, the container still runs" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["capsa_no_such_syscall", "mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42}]}'
	set_args "$BUNDLE" sh -c 'mkdir /tmp/x || echo denied'
	run rt run -b "$BUNDLE" "$(cid)"
	[ "$status" -eq 0 ]
	[[ "$output" == *"denied"* ]]
}

@test "seccomp: the filter is applied without noNewPrivileges too (as Docker runs containers)" {
	config_edit "$BUNDLE" '.process.noNewPrivileges = false'
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42}]}'
	set_args "$BUNDLE" sh -c 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; mkdir /tmp/capsa-denied; echo "rc=$?"'
	run rt run -b "$BUNDLE" "$(cid)"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"NoNewPrivs:"*"0"* ]]
	[[ "$output" == *"Seccomp:"*"2"* ]]
	[[ "$output" == *"No message of desired type"* ]]
	[ ! -e "$BUNDLE/rootfs/tmp/capsa-denied" ]
}

@test "seccomp: compiled filters are cached under the runtime root; a changed profile or a damaged entry is compiled again" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42}]}'
	set_args "$BUNDLE" sh -c 'mkdir /tmp/capsa-denied 2>&1; echo "rc=$?"'
	# The first container makes the root (nothing cached yet), the second compiles and writes the entry.
	rt run -b "$BUNDLE" "$(cid a)" >/dev/null
	run rt run -b "$BUNDLE" "$(cid b)"
	[[ "$output" == *"No message of desired type"* ]]
	entries=("$RUNTIME_ROOT"/@seccomp-cache/*)
	[ "${#entries[@]}" -eq 1 ]
	entry=${entries[0]}
	# A hit: the same filter, so the same errno.
	run rt run -b "$BUNDLE" "$(cid c)"
	[[ "$output" == *"No message of desired type"* ]]
	# Another errno: another profile, another entry, and the new errno (not the cached one).
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}'
	run rt run -b "$BUNDLE" "$(cid d)"
	[[ "$output" == *"Permission denied"* ]]
	[ "$(ls "$RUNTIME_ROOT/@seccomp-cache" | wc -l)" -eq 2 ]
	# The first entry damaged (its last byte flipped): not used, compiled again, replaced.
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42}]}'
	size=$(stat -c %s "$entry")
	printf '\377' | dd of="$entry" bs=1 seek=$((size - 1)) conv=notrunc status=none
	before=$(md5sum <"$entry")
	run rt run -b "$BUNDLE" "$(cid e)"
	[[ "$output" == *"No message of desired type"* ]]
	[ "$(md5sum <"$entry")" != "$before" ]
	run rt run -b "$BUNDLE" "$(cid f)"
	[[ "$output" == *"No message of desired type"* ]]
	# Another profile's entry under this one's name is not used either: the key inside is compared.
	other=$(ls "$RUNTIME_ROOT"/@seccomp-cache/* | grep -v "$entry")
	cp "$other" "$entry"
	run rt run -b "$BUNDLE" "$(cid g)"
	[[ "$output" == *"No message of desired type"* ]]
}
