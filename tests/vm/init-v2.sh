#!/bin/sh
# PID 1 of the User-mode Linux guest started by run-v2.sh. The host's root is mounted read-only
# through hostfs; everything the tests write goes to tmpfs, except the results, which go to the
# one host directory run-v2.sh made for them (CAPSA_RESULTS, mounted through hostfs).
# The kernel hands unknown key=value boot parameters to init as environment variables:
# CAPSA_TOP (the source tree), CAPSA_RESULTS (host directory), CAPSA_BATS (comma-separated files).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp TERM=dumb LANG=C.UTF-8
# The guest is a clean kernel of its own; the per-test leak snapshot costs seconds here.
export CAPSA_LEAKCHECK=0

poweroff_now() {
	sync
	umount /tmp/results 2>/dev/null
	echo o >/proc/sysrq-trigger
	sleep 5
}

mount -t proc -o nosuid,nodev,noexec proc /proc
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
# The tree may live under /tmp or /run (CI clones anywhere): keep a bind of it before tmpfs hides
# those, and put it back at the same path afterwards.
mkdir -p /dev/capsa-top && mount --bind "$CAPSA_TOP" /dev/capsa-top
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run
if [ ! -d "$CAPSA_TOP/tests" ]; then
	mkdir -p "$CAPSA_TOP" && mount --bind /dev/capsa-top "$CAPSA_TOP"
fi
# devtmpfs lacks the /dev/fd links bash's process substitution (used by bats) needs.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mkdir -p /dev/shm
[ -d /dev/shm ] && mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mkdir /tmp/results
mount -t hostfs -o "$CAPSA_RESULTS" hostfs /tmp/results || {
	echo "init-v2: cannot mount the results directory $CAPSA_RESULTS" >&2
	poweroff_now
}
R=/tmp/results

{
	# A pure v2 hierarchy with the controllers the tests use enabled for the children of the root.
	mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate cgroup2 /sys/fs/cgroup &&
		echo "+cpu +io +memory +pids" >/sys/fs/cgroup/cgroup.subtree_control
	echo "guest: $(uname -r), cgroup2 controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
	echo "guest: enabled: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
} >"$R/guest.log" 2>&1

cd "$CAPSA_TOP" || poweroff_now
files=$(echo "${CAPSA_BATS:-tests/integration/cgroups.bats}" | tr ',' ' ')
start=$(date +%s)
# shellcheck disable=SC2086
bats --tap --timing $files >"$R/tap.txt" 2>&1
echo $? >"$R/status.tmp"
echo "guest: bats took $(($(date +%s) - start)) s" >>"$R/guest.log"
mv "$R/status.tmp" "$R/status"
poweroff_now
