#!/usr/bin/env bats
# Load: LOAD_COUNT containers (200 for the README figure; 48 by default to keep the suite short) started 16
# at a time with a memory limit on a bridge network of the test's own, then removed 16 at a time. Every
# start must succeed, ids, names and addresses must be unique, and nothing may be left afterwards. The
# wall time and the peak RSS of capsa's own processes (the CLI, each monitor) are printed, not checked.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	export IMAGES_DIR
	IMAGES_DIR=$(mktemp -d /tmp/capsa-test-load-XXXXXX)
	make_busybox_rootfs "$IMAGES_DIR/rootfs"
}

teardown_file() {
	rm -rf "$IMAGES_DIR"
}

setup() {
	capsa_setup_tmp
	capsa_cli_setup
	c import "$IMAGES_DIR/rootfs" bb >/dev/null
	NET="$TEST_ID_PREFIX"
	X=$(test_subnet_octet 232)
	SUBNET="10.232.$X.0/24"
}

teardown() {
	capsa_cli_cleanup
	c network rm "$NET" >/dev/null 2>&1 || true
	capsa_teardown_tmp
}

@test "load: containers started 16 at a time with memory limits on a bridge network, then removed" {
	local n=${LOAD_COUNT:-48}
	[ "$n" -le 250 ] # one /24
	c network create --subnet "$SUBNET" "$NET" >/dev/null
	mkdir -p "$TEST_TMP/load"
	# Each start records its id and the peak RSS of capsa run (the CLI and what it waits for).
	start_one() {
		/usr/bin/time -f %M -o "$TEST_TMP/load/rss.$1" timeout 120 "$CAPSA" --root "$STORE" run -d \
			--name "$NET-$1" -m 64m --network "$NET" bb sleep 1000 >"$TEST_TMP/load/id.$1" \
			2>"$TEST_TMP/load/err.$1" || echo "start $1 failed: $(cat "$TEST_TMP/load/err.$1")"
	}
	export -f start_one
	export STORE NET TEST_TMP CAPSA
	local t0 t1 t2
	t0=$(date +%s.%N)
	fails=$(seq 1 "$n" | xargs -P 16 -I{} bash -c 'start_one {}')
	t1=$(date +%s.%N)
	[ -z "$fails" ] || {
		echo "$fails" >&2
		return 1
	}
	ids=$(cat "$TEST_TMP"/load/id.*)
	[ "$(echo "$ids" | grep -c .)" -eq "$n" ]
	[ "$(echo "$ids" | sort -u | wc -l)" -eq "$n" ]
	run c ps -q --no-trunc
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq "$n" ]
	c inspect $ids >"$TEST_TMP/inspect.json"
	[ "$(jq '[.[] | select(.State.Running)] | length' "$TEST_TMP/inspect.json")" -eq "$n" ]
	[ "$(jq -r '.[].Name' "$TEST_TMP/inspect.json" | sort -u | wc -l)" -eq "$n" ]
	[ "$(jq -r '.[].HostConfig.Memory' "$TEST_TMP/inspect.json" | sort -u)" = 67108864 ]
	ips=$(jq -r '.[].NetworkSettings.IPAddress' "$TEST_TMP/inspect.json")
	[ "$(echo "$ips" | grep -c '^10\.232\.')" -eq "$n" ]
	[ "$(echo "$ips" | sort -u | wc -l)" -eq "$n" ]
	# Peak RSS of the monitors (each container's only resident capsa process), from the kernel's high
	# water mark.
	mon_kb=$(for p in $(pgrep -f "capsa-monitor.*$STORE"); do
		sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$p/status"
	done | sort -n | tail -1)
	cli_kb=$(cat "$TEST_TMP"/load/rss.* | sort -n | tail -1)
	echo "$ids" | xargs -P 16 -n 1 timeout 120 "$CAPSA" --root "$STORE" rm -f >/dev/null
	t2=$(date +%s.%N)
	echo "# $n containers: started in $(echo "$t1 - $t0" | bc) s, removed in $(echo "$t2 - $t1" | bc) s;" \
		"peak RSS: capsa run ${cli_kb} kB, monitor ${mon_kb:-?} kB" >&3
	run c ps -aq
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$(ls -A "$STORE/containers" | grep -v '^lock$')" ]
	! grep -q " $STORE" /proc/self/mountinfo || false
	! find /sys/fs/cgroup -mindepth 2 -path "*/$CAPSA_CGROUP_PARENT/*" -type d 2>/dev/null | grep . >&2 || false
	! pgrep -f "$STORE" >&2 || false
	# No veth is left on the network's bridge.
	bridge=$(c network inspect "$NET" | jq -r '.[0].Options["com.docker.network.bridge.name"]')
	[ -n "$bridge" ]
	[ -z "$(ip -o link show master "$bridge")" ]
	c network rm "$NET" >/dev/null
}
