#!/bin/bash
# Runs cgroup tests on a pure cgroup v2 kernel: boots Debian's User-mode Linux (linux.uml) as an
# ordinary process with the host's root mounted read-only through hostfs, lets tests/vm/init-v2.sh
# mount a cgroup2 hierarchy and run bats against the built tree, and prints the guest's TAP output.
# Exit status: the guest's bats status; 77 when linux.uml is missing; 1 when the guest did not report.
#
#   tests/vm/run-v2.sh [BATS_FILE...]      (default: tests/integration/cgroups.bats)
# Environment: CAPSA_UML (default /usr/bin/linux.uml), CAPSA_UML_MEM (default 512M),
#              CAPSA_UML_TIMEOUT seconds (default 170), CAPSA_UML_KEEP=1 keeps the results dir.
set -uo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
UML=${CAPSA_UML:-/usr/bin/linux.uml}
MEM=${CAPSA_UML_MEM:-512M}
TIMEOUT=${CAPSA_UML_TIMEOUT:-170}

if [ ! -x "$UML" ]; then
	echo "run-v2: skip: $UML is not installed (apt-get install user-mode-linux, or make deps)" >&2
	exit 77
fi
if [ ! -x "$TOP/build/tests/helpers/cgtool" ]; then
	echo "run-v2: build the tree first (make test-helpers): build/tests/helpers/cgtool is missing" >&2
	exit 1
fi

files=()
for f in "${@:-tests/integration/cgroups.bats}"; do
	case $f in
	/*) f=${f#"$TOP"/} ;;
	esac
	if [ ! -f "$TOP/$f" ] || [[ $f == *,* || $f == *' '* ]]; then
		echo "run-v2: $f: no such bats file below $TOP (or it has a comma or space)" >&2
		exit 1
	fi
	files+=("$f")
done
list=$(IFS=,; echo "${files[*]}")

# Scratch on the host: results (the only host directory the guest can write) and UML's own files.
RES=$(mktemp -d /tmp/capsa-test-uml-XXXXXX)
cleanup() {
	if [ "${CAPSA_UML_KEEP:-0}" = 1 ]; then
		echo "run-v2: results kept in $RES" >&2
	else
		rm -rf "$RES"
	fi
}
trap cleanup EXIT
mkdir "$RES/uml"

# UML backs guest memory with a file in TMPDIR (else /dev/shm): keep it on tmpfs, per run.
export TMPDIR=/dev/shm
[ -w /dev/shm ] || export TMPDIR=$RES/uml

start=$(date +%s.%N)
# stdin is not a terminal: the console goes to a log file, the kernel keeps quiet.
timeout --kill-after=10 "$TIMEOUT" "$UML" \
	mem="$MEM" root=/dev/root rootfstype=hostfs rootflags=/ ro \
	init="$TOP/tests/vm/init-v2.sh" quiet \
	umid="capsa-test-$$" uml_dir="$RES/uml" \
	con=null con0=null,fd:1 \
	CAPSA_TOP="$TOP" CAPSA_RESULTS="$RES" CAPSA_BATS="$list" \
	</dev/null >"$RES/console.log" 2>&1
uml_rc=$?
end=$(date +%s.%N)
secs=$(echo "$end - $start" | bc 2>/dev/null || awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')

[ -f "$RES/guest.log" ] && sed 's/^/# /' "$RES/guest.log"
if [ -f "$RES/tap.txt" ]; then
	cat "$RES/tap.txt"
fi
printf '# run-v2: UML run took %.1f s (linux.uml exit %d)\n' "$secs" "$uml_rc"
if [ ! -f "$RES/status" ]; then
	echo "run-v2: the guest did not report a status (timeout ${TIMEOUT}s?); console log:" >&2
	tail -40 "$RES/console.log" >&2
	exit 1
fi
exit "$(cat "$RES/status")"
