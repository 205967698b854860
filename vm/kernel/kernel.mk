# make vm-kernel: capsa's guest kernel (build/vm-kernel/vmlinux with a PVH entry, and bzImage) from
# Debian's linux-source with vm/kernel/capsa.config. Not part of make check: it takes minutes.
.PHONY: vm-kernel
vm-kernel:
	@JOBS=$(or $(VM_KERNEL_JOBS),2) vm/kernel/build.sh $(BUILD)/vm-kernel
