# engine/: the small programs capsa runs next to itself (found in the directory of its executable).
# capsa-monitor: the steady-state monitor a container's full monitor executes once the container runs.
# Static: no dynamic loader or shared libc mapped in, which is most of a small process's RSS. With musl
# (musl-tools) a monitor is about 0.2 MB resident, with glibc's static libc about 0.8 MB.
MONITOR_SRCS := engine/monitor/main.c engine/monitor/lib.c
SMALL_CC := $(or $(shell command -v musl-gcc 2>/dev/null),$(CC))
SMALL_CFLAGS := -std=gnu11 -Os -g $(WARN) -D_FORTIFY_SOURCE=2 -fstack-protector-strong -I. \
	-ffunction-sections -fdata-sections
SMALL_LDFLAGS := -static -Wl,--gc-sections -Wl,-z,relro,-z,now

$(BUILD)/capsa-monitor: $(MONITOR_SRCS) engine/monitor/mon.h engine/monitor/proto.h engine/engine.mk
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(SMALL_CC) $(SMALL_CFLAGS) $(SMALL_LDFLAGS) -o $@ $(MONITOR_SRCS)

BINS += $(BUILD)/capsa-monitor

# capsa-init: the PID 1 of `capsa run --init`, bind-mounted into containers: static, whatever their libc.
$(BUILD)/capsa-init: engine/init/capsa-init.c engine/engine.mk
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(SMALL_CC) $(SMALL_CFLAGS) $(SMALL_LDFLAGS) -o $@ engine/init/capsa-init.c

BINS += $(BUILD)/capsa-init

# capsa-monitor-full: the monitor's library half (create, record the end, restart) as a program linking
# only what that needs (--as-needed drops libcurl's stack): a third of capsa's start time.
$(BUILD)/capsa-monitor-full: $(BUILD)/obj/engine/monitor/full.o $(LIBCAPSA)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBCAPSA) $(LIBS)

BINS += $(BUILD)/capsa-monitor-full
