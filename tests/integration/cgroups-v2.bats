#!/usr/bin/env bats
# The cgroup tests again on a pure cgroup v2 kernel: tests/vm/run-v2.sh boots User-mode Linux with
# a cgroup2 hierarchy and runs tests/integration/cgroups.bats inside it (this host is hybrid).

load helpers

@test "cgroups-v2: cgroups.bats passes in a User-mode Linux guest with pure cgroup v2" {
	[ -x /usr/bin/linux.uml ] || skip "linux.uml is missing: install user-mode-linux (make deps) to test pure cgroup v2"
	[ -x "$TEST_HELPERS/cgtool" ] || skip "cgtool not built (make test-helpers)"
	# The harness refuses to nest: a guest must not boot another guest.
	[ -z "${CAPSA_RESULTS:-}" ] || skip "already inside the UML guest"
	run "$CAPSA_TOP/tests/vm/run-v2.sh"
	echo "$output"
	[ "$status" -ne 77 ] || skip "run-v2.sh skipped: $output"
	[ "$status" -eq 0 ]
	# The guest really ran the suite, and on cgroup v2.
	[[ "$output" == *"cgroup2 controllers: "*memory*pids* ]]
	[[ "$output" =~ ok\ [0-9]+\ cgroups:\ device\ rules ]]
	! [[ "$output" =~ (^|$'\n')not\ ok ]] || false
}
