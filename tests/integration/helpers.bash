# Common setup for capsa's bats tests. Every test gets a private temp dir and
# state roots under /tmp/capsa-test-*, and resources named capsa-test-*.

CAPSA_TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
RUNTIME="${CAPSA_RUNTIME:-$CAPSA_TOP/build/capsa-runtime}"
CAPSA="${CAPSA_CLI:-$CAPSA_TOP/build/capsa}"
TEST_HELPERS="${CAPSA_TEST_HELPERS:-$CAPSA_TOP/build/tests/helpers}"
BUSYBOX=${BUSYBOX:-/bin/busybox}
# Containers get no network unless a test asks for one (a network of its own, named capsa-test-*):
# capsa's default bridge (capsa0) is host-wide and not the tests' to create.
export CAPSA_DEFAULT_NETWORK=none

# Creates $TEST_TMP and a private runtime root; call from setup().
capsa_setup_tmp() {
	TEST_TMP=$(mktemp -d /tmp/capsa-test-XXXXXX)
	RUNTIME_ROOT="$TEST_TMP/state"
	mkdir -p "$RUNTIME_ROOT"
	TEST_ID_PREFIX="capsa-test-$(basename "$TEST_TMP" | sed 's/capsa-test-//')"
	# What this test leaves behind (mounts, cgroups, links, netns, processes named after it) fails it.
	# (CAPSA_LEAKCHECK=0 turns it off: the UML guest, where each check takes seconds.)
	if [ "${CAPSA_LEAKCHECK:-1}" != 0 ]; then
		LEAK_SNAPSHOT="$BATS_TEST_TMPDIR/leak.snapshot"
		"$CAPSA_TOP/tests/leakcheck.sh" snapshot "$LEAK_SNAPSHOT"
	fi
}

# Removes whatever capsa_setup_tmp made; call from teardown().
capsa_teardown_tmp() {
	[ -n "${TEST_TMP:-}" ] || return 0
	# Containers left by a failed test: force-delete them so no process or cgroup leaks.
	if [ -d "$RUNTIME_ROOT" ] && [ -x "$RUNTIME" ]; then
		for d in "$RUNTIME_ROOT"/*/; do
			[ -d "$d" ] || continue
			"$RUNTIME" --root "$RUNTIME_ROOT" delete --force "$(basename "$d")" >/dev/null 2>&1 || true
		done
	fi
	# Unmount anything still mounted below the temp dir (deepest first).
	grep -o " $TEST_TMP[^ ]*" /proc/self/mountinfo 2>/dev/null | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done
	rm -rf "$TEST_TMP"
	[ -z "${LEAK_SNAPSHOT:-}" ] || "$CAPSA_TOP/tests/leakcheck.sh" compare "$LEAK_SNAPSHOT" "$TEST_ID_PREFIX"
}

# For tests of the capsa CLI: a private store ($STORE) and a cgroup parent named after the test. Call from
# setup() after capsa_setup_tmp.
capsa_cli_setup() {
	STORE="$TEST_TMP/store"
	export CAPSA_CGROUP_PARENT="$TEST_ID_PREFIX"
}

# capsa against the test's store; bounded: a hang is a failure, not a stuck suite.
c() {
	timeout 120 "$CAPSA" --root "$STORE" "$@"
}

# Force-removes the containers a test left, then their cgroup parent. Call from teardown() before
# capsa_teardown_tmp.
capsa_cli_cleanup() {
	if [ -d "${STORE:-/nonexistent}/containers" ]; then
		c ps -aq --no-trunc 2>/dev/null | xargs -r -P 8 -n 1 timeout 120 "$CAPSA" --root "$STORE" rm -f \
			>/dev/null 2>&1 || true
	fi
	local d
	for d in /sys/fs/cgroup/*/"$CAPSA_CGROUP_PARENT" /sys/fs/cgroup/"$CAPSA_CGROUP_PARENT"; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null || true
	done
}

# test_subnet_octet A: an X for a test network 10.A.X.0/24 of its own: from the temp dir's name (tests
# running at once rarely collide), moved on past any the host already routes or addresses (a bridge
# someone else left), whose route would take the test's traffic.
test_subnet_octet() {
	local x i
	x=$(($(echo "$TEST_TMP" | cksum | cut -d' ' -f1) % 250 + 2))
	for i in $(seq 1 250); do
		if [ -z "$(ip -4 route show "10.$1.$x.0/24")" ] && [ -z "$(ip -4 addr show to "10.$1.$x.0/24")" ]; then
			echo "$x"
			return 0
		fi
		x=$(((x - 1) % 250 + 2))
	done
	return 1
}

# A unique container id for this test.
cid() {
	echo "${TEST_ID_PREFIX}-${1:-c}"
}

# Makes a busybox rootfs at $1 (from Debian's busybox-static).
make_busybox_rootfs() {
	local root=$1
	mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,root,usr/bin,var}
	cp "$BUSYBOX" "$root/bin/busybox"
	local applet
	for applet in $("$BUSYBOX" --list); do
		[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
	done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
	echo 'nobody:x:65534:65534:nobody:/:/bin/false' >>"$root/etc/passwd"
	echo 'root:x:0:' >"$root/etc/group"
	echo 'nogroup:x:65534:' >>"$root/etc/group"
	chmod 1777 "$root/tmp"
}

# Makes an OCI bundle at $1 with a busybox rootfs and the default spec,
# then sets process.args to the remaining arguments (if any).
make_bundle() {
	local bundle=$1
	shift
	mkdir -p "$bundle"
	make_busybox_rootfs "$bundle/rootfs"
	(cd "$bundle" && "$RUNTIME" spec)
	if [ $# -gt 0 ]; then
		set_args "$bundle" "$@"
	fi
	# Tests never need a terminal unless they ask for one.
	config_edit "$bundle" '.process.terminal = false'
}

# Applies a jq filter to $1/config.json.
config_edit() {
	local bundle=$1 filter=$2
	jq "$filter" "$bundle/config.json" >"$bundle/config.json.new"
	mv "$bundle/config.json.new" "$bundle/config.json"
}

set_args() {
	local bundle=$1
	shift
	local args
	args=$(printf '%s\n' "$@" | jq -R . | jq -s .)
	config_edit "$bundle" ".process.args = $args"
}

rt() {
	"$RUNTIME" --root "$RUNTIME_ROOT" "$@"
}

# Waits (bounded) until a command succeeds.
wait_for() {
	local i
	for i in $(seq 1 100); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# Every hierarchy in /proc/PID/cgroup (read from the host) names one and the same cgroup, not the
# root: the process is in its cgroup in all of them (v1 controllers, name=systemd, the v2 tree).
assert_one_cgroup() {
	local paths
	paths=$(cut -d: -f3- "/proc/$1/cgroup" | sort -u)
	echo "cgroups of $1:" $paths
	[ -n "$paths" ] && [ "$(printf '%s\n' "$paths" | wc -l)" -eq 1 ] && [ "$paths" != / ]
}

# True once the monitor PID is the small capsa-monitor program: a container that runs is handed to it
# after its first 100 ms (engine/monitor.c, HANDOFF_NS); a created one waits in it at once.
small_monitor() {
	[[ "$(readlink "/proc/$1/exe")" == */capsa-monitor ]]
}

# Fails when anything under $TEST_TMP is still mounted.
assert_no_mounts() {
	if grep -q " $TEST_TMP" /proc/self/mountinfo; then
		grep " $TEST_TMP" /proc/self/mountinfo >&2
		return 1
	fi
}

# The hash vm/guest/hello.elf (do=initrd) prints of its initrd: h = h * 31 + byte, in 32 bits.
initrd_hash() {
	python3 -c 'import sys
h = 0
for b in open(sys.argv[1], "rb").read():
    h = (h * 31 + b) & 0xffffffff
print("%x" % h)' "$1"
}
