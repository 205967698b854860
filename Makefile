# capsa — a container runtime. Plain GNU make with pkg-config.
# `make` builds build/capsa-runtime and build/capsa; `make check` installs deps, builds and runs every test.

CC ?= cc
PREFIX ?= /usr/local
BUILD ?= build
VERSION := 0.1.0

PKGS := json-c libcap libseccomp libnl-3.0 libnl-route-3.0
# libcurl is dlopen()ed by image/registry.c at the first pull, libarchive by image/archive_dl.c at the first
# archive read or written (headers only here; tests that build archives themselves link libarchive).
PKG_CFLAGS_CURL := $(shell pkg-config --cflags libcurl libarchive 2>/dev/null)
ARCHIVE_LIBS := $(shell pkg-config --libs libarchive 2>/dev/null)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Wformat=2 -Wshadow -Werror=implicit-function-declaration -Wno-unused-parameter
HARDEN := -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fPIE
CFLAGS ?= -O2 -g
override CFLAGS += -std=gnu11 $(WARN) $(HARDEN) -I. $(PKG_CFLAGS) $(PKG_CFLAGS_CURL) -DCAPSA_VERSION=\"$(VERSION)\" \
	-ffunction-sections -fdata-sections
LDFLAGS ?=
override LDFLAGS += -pie -Wl,-z,relro,-z,now -Wl,--as-needed -Wl,--gc-sections
# The libraries go in statically where their archives are installed (Debian's -dev packages ship them):
# every start of capsa, of a container's monitor and of capsa-runtime then skips loading and relocating
# five shared objects, about 0.3 ms each start measured (perf stat, `capsa version`). libc stays shared.
STATIC_LIBS := $(filter-out -lpthread,$(shell pkg-config --static --libs $(PKGS) 2>/dev/null))
HAVE_STATIC_LIBS := $(shell for l in $(patsubst -l%,%,$(STATIC_LIBS)); do \
	$(CC) -print-file-name=lib$$l.a | grep -q / || { echo no; break; }; done)
ifeq ($(HAVE_STATIC_LIBS):$(if $(STATIC_LIBS),y),:y)
LIBS := -Wl,-Bstatic $(STATIC_LIBS) -Wl,-Bdynamic -lpthread -lm
else
LIBS := $(PKG_LIBS) -lpthread -lm
endif

LIB_DIRS := common oci-spec runtime cgroups netns image vm engine
LIB_SRCS := $(sort $(wildcard $(addsuffix /*.c,$(LIB_DIRS))))
LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
LIBCAPSA := $(BUILD)/libcapsa.a

RUNTIME_SRCS := $(sort $(wildcard cmd/capsa-runtime/*.c))
RUNTIME_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(RUNTIME_SRCS))
CLI_SRCS := $(sort $(wildcard cmd/capsa/*.c))
CLI_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(CLI_SRCS))

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
TEST_HELPER_SRCS := $(sort $(wildcard tests/helpers/*.c))
TEST_HELPER_BINS := $(patsubst tests/helpers/%.c,$(BUILD)/tests/helpers/%,$(TEST_HELPER_SRCS))

BINS := $(BUILD)/capsa-runtime
ifneq ($(CLI_SRCS),)
BINS += $(BUILD)/capsa
endif

.PHONY: all deps check unit integration test-helpers install demo clean format format-check
# `all` is defined below the fragments, which may add programs of their own to BINS.
all:

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIBCAPSA): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@rm -f $@
	@echo "  AR      $@"
	@ar rcs $@ $^

$(BUILD)/capsa-runtime: $(RUNTIME_OBJS) $(LIBCAPSA)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(RUNTIME_OBJS) $(LIBCAPSA) $(LIBS)

$(BUILD)/capsa: $(CLI_OBJS) $(LIBCAPSA)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJS) $(LIBCAPSA) $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/tap.h $(LIBCAPSA)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBCAPSA) $(LIBS) $(ARCHIVE_LIBS)

$(BUILD)/tests/helpers/%: tests/helpers/%.c $(LIBCAPSA)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBCAPSA) $(LIBS) $(ARCHIVE_LIBS)

test-helpers: $(TEST_HELPER_BINS)

# Per-folder fragments add rules of their own (guest programs for the VM, test images).
-include $(sort $(wildcard */*.mk))
all: $(BINS)
-include $(LIB_OBJS:.o=.d) $(RUNTIME_OBJS:.o=.d) $(CLI_OBJS:.o=.d)

deps:
	@./tests/deps.sh

unit: $(UNIT_BINS)
	@prove -f $(UNIT_BINS)

integration: $(BINS) test-helpers
	@./tests/run-bats.sh

check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory format-check
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory integration
	@$(MAKE) --no-print-directory check-asan
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10

# As check: the build is a make of its own after deps, whose pkg-config calls see what deps installed.
demo: deps
	@$(MAKE) --no-print-directory all
	@./tests/demo.sh

install: $(BINS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	for m in $(wildcard man/*.1); do install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man1/; done
	for m in $(wildcard man/*.8); do install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man8/; done

FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FORMAT_FILES)

format-check:
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "format: ok"

clean:
	rm -rf $(BUILD)
