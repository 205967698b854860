#!/bin/bash
# Host resources a test may leave behind, for bats teardowns and suite-wide checks.
#
#   leakcheck.sh snapshot FILE            record the current state in FILE
#   leakcheck.sh compare FILE [REGEX]     print what exists now and not in FILE ("leaked: KIND VALUE");
#                                         exit 1 if anything; REGEX limits the check to matching lines
#   leakcheck.sh list [REGEX]             print current resources matching REGEX (default: capsa)
#
# Recorded, one "KIND VALUE" line each: mounts of this mount namespace (point, root, type, source), cgroup
# directories whose path contains "capsa" in every v1 hierarchy and the unified one, network links, nft
# tables, named netns (/run/netns), entries of /run/capsa* (two levels), /tmp/capsa-test-* and processes
# whose command line mentions capsa-test (but not this script, its forks or its ancestors, which may be
# the test itself).
#
# Other tests may run on the machine at the same time: give REGEX (the test's id prefix and temp dir)
# to ignore their resources. A difference must persist for about 2 s, since the kernel finishes some
# teardown (lazy unmounts, netns and cgroup release after the last process is reaped) asynchronously.
set -uo pipefail
export LC_ALL=C

ancestors() {
	local p=$$
	while [ -n "$p" ] && [ "$p" -gt 1 ]; do
		echo "$p"
		p=$(awk '/^PPid:/ {print $2}' "/proc/$p/status" 2>/dev/null)
	done
}

# True when pid $1 descends from this script (its pipelines, subshells and greps name the regex too).
ours() {
	local p=$1
	while [ -n "$p" ] && [ "$p" -gt 1 ]; do
		[ "$p" = $$ ] && return 0
		p=$(awk '/^PPid:/ {print $2}' "/proc/$p/status" 2>/dev/null)
	done
	return 1
}

state() {
	# mountinfo: 5th field is the mount point, 4th the root inside the fs, after " - " type and source.
	awk '{ for (i = 7; $i != "-"; i++); print "mount", $5, $4, $(i + 1), $(i + 2) }' /proc/self/mountinfo
	find /sys/fs/cgroup -mindepth 1 -type d -path '*capsa*' 2>/dev/null | sed 's/^/cgroup /'
	ip -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print "link", $2 }'
	if command -v nft >/dev/null; then
		nft list tables 2>/dev/null | sed 's/^table /nft /'
	fi
	find /run/netns -mindepth 1 -maxdepth 1 2>/dev/null | sed 's/^/netns /'
	find /run -mindepth 1 -maxdepth 3 -path '/run/capsa*' 2>/dev/null | sed 's/^/run /'
	find /tmp -mindepth 1 -maxdepth 1 -name 'capsa-test-*' 2>/dev/null | sed 's/^/tmp /'
	local skip p args
	skip=" $(ancestors | tr '\n' ' ') "
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		case "$skip" in *" $p "*) continue ;; esac
		args=$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline") || continue
		case "$args" in
		*leakcheck.sh\ *) ;; # other tests' checks
		*capsa-test*) ours "$p" || echo "proc $p ${args% }" ;;
		esac
	done
}

snapshot() {
	state | sort >"$1"
}

# Lines present now and not in the snapshot (duplicates count: a second mount on a point is a leak).
diff_now() {
	local snap=$1 re=$2
	comm -13 "$snap" <(state | sort) | grep -E -- "$re" || true
}

usage() {
	sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

cmd=${1:-}
case "$cmd" in
snapshot)
	[ $# -eq 2 ] || usage
	snapshot "$2"
	;;
compare)
	[ $# -ge 2 ] && [ $# -le 3 ] || usage
	if [ ! -r "$2" ]; then
		echo "leakcheck: no snapshot $2" >&2
		exit 2
	fi
	re=${3:-.}
	for _ in $(seq 1 10); do
		leaks=$(diff_now "$2" "$re")
		[ -z "$leaks" ] && exit 0
		sleep 0.2
	done
	echo "$leaks" | sed 's/^/leaked: /' >&2
	exit 1
	;;
list)
	state | sort | grep -E -- "${2:-capsa}" | grep -v '^link \|^nft ' || true
	state | sort | grep -E '^(link|nft) ' | grep -E -- "${2:-capsa}" || true
	;;
*)
	usage
	;;
esac
