# libFuzzer targets. `make fuzz FUZZ_SECONDS=N` builds every tests/fuzz/fuzz_*.c with clang's
# -fsanitize=fuzzer,address,undefined against the library compiled with the same instrumentation (in
# $(FUZZ_BUILD), by a recursive make), then runs each target for N seconds on its seed corpus
# (tests/fuzz/run.sh: per-target table, crash inputs copied to tests/fuzz/crashes/, fails on any).
FUZZ_BUILD ?= build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_CFLAGS ?= -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
# The parsers live in every library folder; narrow this (FUZZ_LIB_DIRS='common oci-spec image') to fuzz
# while a folder the targets do not use fails to build with clang.
FUZZ_LIB_DIRS ?= $(LIB_DIRS)

# Only meaningful in the recursive make, where BUILD is $(FUZZ_BUILD) and CFLAGS are instrumented.
$(BUILD)/fuzzers/%: tests/fuzz/%.c $(LIBCAPSA)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< $(LIBCAPSA) $(LIBS) $(ARCHIVE_LIBS)

.PHONY: fuzz-build fuzz
fuzz-build:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC='$(FUZZ_CC)' CFLAGS='$(FUZZ_CFLAGS)' \
		LIB_DIRS='$(FUZZ_LIB_DIRS)' LDFLAGS='-fsanitize=address,undefined' \
		$(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/fuzzers/%,$(FUZZ_SRCS))

fuzz: fuzz-build
	@FUZZ_BUILD=$(FUZZ_BUILD) ./tests/fuzz/run.sh $(FUZZ_SECONDS)
