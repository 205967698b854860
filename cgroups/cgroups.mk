# cgroups: `make check-v2` runs the cgroup tests in a User-mode Linux guest with pure cgroup v2
# (tests/vm/run-v2.sh); it says why and succeeds when linux.uml is not installed.
.PHONY: check-v2
check-v2: $(BUILD)/tests/helpers/cgtool
	@./tests/vm/run-v2.sh; rc=$$?; \
	if [ $$rc -eq 77 ]; then echo "check-v2: skipped: linux.uml is not installed (make deps)"; exit 0; fi; \
	exit $$rc
