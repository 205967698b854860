/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The KVM backend of `capsa run --vm`: capsa's own VMM (vm/) boots the guest kernel from `make vm-kernel`
 * with the image's ext4 disk copy-on-write as vda (or its initramfs as the initrd), the config/status disk
 * as vdb (vda without a root disk), the process's stdout and
 * stderr on virtio-console hvc0 (vminit's choice) and kernel messages on the UART into kernel.log.
 */
#ifndef CAPSA_ENGINE_VM_KVM_H
#define CAPSA_ENGINE_VM_KVM_H

#include "common/error.h"

#include <stdbool.h>
#include <stdint.h>

struct capsa_run_opts;

/* Where the guest kernel is looked for when --kernel is not given, relative to capsa's own directory:
 * the build tree's build/vm-kernel/vmlinux, then PREFIX/lib/capsa/vmlinux of an installed capsa. */
#define ENGINE_VM_KVM_KERNEL_BUILD "vm-kernel/vmlinux"
#define ENGINE_VM_KVM_KERNEL_INSTALLED "../lib/capsa/vmlinux"

/* The guest kernel's command line (the VMM appends one virtio_mmio.device= per device). quiet: no kernel
 * messages below warnings, which also spares the UART's exits. */
char *engine_vm_kvm_cmdline(bool quiet);
/* The same for a root in an initramfs: rdinit= and a tmpfs rootfs instead of root=/dev/vda. The kernel must
 * be built with CONFIG_BLK_DEV_INITRD (make vm-kernel's is not yet). */
char *engine_vm_kvm_cmdline_root(bool quiet, bool initramfs);

/* The kernel to boot: `opt` (--kernel) when given, else the first of the two default places under
 * exe_dir. -1 with an error naming the path(s) and the reason when there is none. */
int engine_vm_kvm_kernel(const char *opt, const char *exe_dir, char **out,
			 struct capsa_error **err) CAPSA_WUR;

/* CAPSA_VM_ALLOW_PVM=1: a developer switch to boot the KVM backend on a PVM host anyway (the guest kernel
 * runs until its first system call; enough to test the wiring up to there). */
bool engine_vm_kvm_allow_pvm(void);

/*
 * Picks the backend for o: 1 for KVM (with the kernel's path in *kernel), 0 for User-mode Linux, -1 with
 * the reason. --hypervisor kvm on a host whose KVM cannot run Linux fails with that reason; plain --vm uses
 * KVM only where it can run Linux and a kernel is there, else UML.
 */
int engine_vm_kvm_choose(const struct capsa_run_opts *o, char **kernel, struct capsa_error **err) CAPSA_WUR;

/* The guest's MAC on its network: 02:ca:95 and three bytes of a hash of the container's id, so VMs on one
 * bridge differ. */
void engine_vm_kvm_mac(const char *id, uint8_t mac[6]);

/* vCPUs for --cpus (nano CPUs, 0: unset): whole CPUs rounded up, 1..64. */
unsigned engine_vm_kvm_vcpus(int64_t nano_cpus);

/*
 * In the VM's forked host process: runs the VMM until the guest ends and exits. disk is the image's ext4
 * (vda, copy-on-write), or with initramfs its cpio, loaded as the initrd (the config disk is then vda). hvc0
 * writes to out_fd and
 * reads in_fd (the encoded stdin of vm/vmstdio.h, or a pty's slave with a tty); hvc1, when err_fd > 0,
 * writes to err_fd (the process's stderr). Exit status: 0 when the
 * guest powered off or wrote its exit port (the process's status is on the config disk), killed by SIGKILL
 * when stop_fd became readable (as a killed container), 125 when the VM failed (the reason is appended to
 * scratch/kernel.log, where the caller finds it).
 */
void __attribute__((noreturn))
engine_vm_kvm_exec(const char *scratch, const char *kernel, const char *disk, bool initramfs, int64_t memory,
		   unsigned vcpus, int out_fd, int err_fd, int in_fd, int stop_fd);

#endif
