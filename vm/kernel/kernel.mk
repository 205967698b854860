# make vm-kernel: capsa's guest kernel (build/vm-kernel/vmlinux with a PVH entry, and bzImage) from
# Debian's linux-source with vm/kernel/capsa.config. Not part of make check: it takes minutes.
.PHONY: vm-kernel
vm-kernel:
	@JOBS=$(or $(VM_KERNEL_JOBS),2) vm/kernel/build.sh $(BUILD)/vm-kernel

# make install takes the guest kernel along when it was built; an installed capsa looks for it in
# PREFIX/lib/capsa (engine/vm_kvm.h).
.PHONY: install-vm-kernel
install: install-vm-kernel
install-vm-kernel:
	@if [ -f $(BUILD)/vm-kernel/vmlinux ]; then \
		install -d $(DESTDIR)$(PREFIX)/lib/capsa && \
		install -m 0644 $(BUILD)/vm-kernel/vmlinux $(DESTDIR)$(PREFIX)/lib/capsa/vmlinux; \
	fi
