# seccomp: the default profile is embedded with .incbin (runtime/seccomp-default.c), which -MMD cannot see.
$(BUILD)/obj/runtime/seccomp-default.o: runtime/seccomp-default.json

# The notify test drives the listener helper.
$(BUILD)/tests/test_seccomp_notify: $(BUILD)/tests/helpers/seccomp_listener
