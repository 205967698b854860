# capsa VMM: guest test programs (freestanding, built with the host gcc) and the vmrun test driver.
GUEST_DIR := $(BUILD)/vm/guest
GUEST_CFLAGS := -O2 -g -ffreestanding -fno-pie -fno-stack-protector -fno-asynchronous-unwind-tables \
	-mno-red-zone -mgeneral-regs-only -fno-builtin -Wall -Wextra -Wno-unused-parameter -std=gnu11
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=4096 \
	-Wl,-z,noexecstack -Wl,--no-warn-rwx-segments -T vm/guest/guest.ld
GUEST_PROGS := hello blk console user smp net
GUEST_ELFS := $(addprefix $(GUEST_DIR)/,$(addsuffix .elf,$(GUEST_PROGS))) $(GUEST_DIR)/hello-pvh.elf \
	$(GUEST_DIR)/hello.bzImage
GUEST_LIB := vm/guest/lib.c vm/guest/isr.S

$(GUEST_DIR)/%.elf: vm/guest/%.c vm/guest/start64.S $(GUEST_LIB) vm/guest/lib.h vm/guest/guest.ld
	@mkdir -p $(dir $@)
	@echo "  GUEST   $@"
	@gcc $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ vm/guest/start64.S $< $(GUEST_LIB)

$(GUEST_DIR)/user.elf: vm/guest/user.c vm/guest/ring3.S vm/guest/start64.S $(GUEST_LIB) vm/guest/lib.h vm/guest/guest.ld
	@mkdir -p $(dir $@)
	@echo "  GUEST   $@"
	@gcc $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ vm/guest/start64.S $< vm/guest/ring3.S $(GUEST_LIB)

$(GUEST_DIR)/smp.elf: vm/guest/smp.c vm/guest/smp_tramp.S vm/guest/start64.S $(GUEST_LIB) vm/guest/lib.h vm/guest/guest.ld
	@mkdir -p $(dir $@)
	@echo "  GUEST   $@"
	@gcc $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ vm/guest/start64.S $< vm/guest/smp_tramp.S $(GUEST_LIB)

$(GUEST_DIR)/hello-pvh.elf: vm/guest/hello.c vm/guest/startpvh.S $(GUEST_LIB) vm/guest/lib.h vm/guest/guest.ld
	@mkdir -p $(dir $@)
	@echo "  GUEST   $@"
	@gcc $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ vm/guest/startpvh.S $< $(GUEST_LIB)

# The same program as a bzImage (Linux 64-bit boot protocol), to test that loader without a kernel.
$(GUEST_DIR)/hello.bzImage: vm/guest/hello.c vm/guest/start64.S $(GUEST_LIB) vm/guest/lib.h vm/guest/guest-bz.ld \
		vm/guest/mkbzimage.py
	@mkdir -p $(dir $@)
	@echo "  GUEST   $@"
	@gcc $(GUEST_CFLAGS) $(subst guest.ld,guest-bz.ld,$(GUEST_LDFLAGS)) -o $(GUEST_DIR)/hello-bz.elf \
		vm/guest/start64.S $< $(GUEST_LIB)
	@python3 vm/guest/mkbzimage.py $(GUEST_DIR)/hello-bz.elf $@

.PHONY: vm-guests vm-test
vm-guests: $(GUEST_ELFS) $(BUILD)/tests/helpers/vmrun
all: vm-guests

vm-test: vm-guests $(BUILD)/tests/test_vm_boot $(BUILD)/tests/test_vm_virtq
	@prove -f $(BUILD)/tests/test_vm_boot $(BUILD)/tests/test_vm_virtq
	@bats tests/integration/vm.bats

# capsa-vminit: the guest's PID 1, static so it runs in any image.
$(BUILD)/capsa-vminit: vm/init/vminit.c vm/vmconfig.c vm/vmconfig.h
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) -O2 -Wall -Wextra -I. -static -o $@ vm/init/vminit.c vm/vmconfig.c
BINS += $(BUILD)/capsa-vminit

# capsa's guest kernel (make vm-kernel), kept in its own folder.
include vm/kernel/kernel.mk
