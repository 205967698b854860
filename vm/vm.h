/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * capsa's own KVM virtual machine monitor: one process per VM, guest memory by mmap, one thread per vCPU,
 * an 8250 UART, an i8042 reset stub, an exit port, a pvpanic port and virtio-mmio block, console and net
 * devices.
 *
 * Kernels: a bzImage (64-bit boot protocol), an ELF vmlinux through its PVH note, or any other ELF64
 * (capsa's guest test programs), which is started in 64-bit long mode with the first 4 GiB identity-mapped,
 * RSI pointing at a zero page that holds the e820 map and the command line.
 */
#ifndef CAPSA_VM_H
#define CAPSA_VM_H

#include "common/error.h"

#include <stdbool.h>
#include <stdint.h>

/* The I/O port a guest writes its exit status to (a 32-bit or 8-bit OUT). */
#define CAPSA_VM_EXIT_PORT 0x501
/* pvpanic: a write of bit 0 means the guest panicked. */
#define CAPSA_VM_PANIC_PORT 0x505
/* virtio-mmio devices sit at this address, one 4 KiB window each, on IRQ CAPSA_VM_VIRTIO_IRQ + index. */
#define CAPSA_VM_VIRTIO_BASE 0xd0000000ULL
#define CAPSA_VM_VIRTIO_IRQ 5

struct capsa_vm_config {
	uint64_t mem_mib;    /* 0: 256 */
	unsigned vcpus;	     /* 0: 1 */
	const char *kernel;  /* bzImage, vmlinux (PVH) or a 64-bit ELF guest program */
	const char *initrd;  /* NULL: none */
	const char *cmdline; /* NULL: empty */
	const char *disk;    /* virtio-blk backing file, NULL: no disk */
	bool disk_readonly;
	/* Non-NULL: the disk is copy-on-write. The guest sees it writable, the file is opened read-only and
	 * stays unchanged; the writes go to an unlinked file made in this directory and die with the VM. */
	const char *disk_cow_dir;
	const char *disk2;  /* a second virtio-blk (Linux's vdb), read-write: capsa's config/status disk */
	int serial_out_fd;  /* UART output (kernel messages); -1: discarded */
	int console_in_fd;  /* virtio-console input (guest's stdin); -1: no input */
	int console_out_fd; /* virtio-console output (guest's stdout); -1: no console device */
	int console_err_fd; /* > 0: a second virtio-console, output only (Linux's hvc1: the guest's stderr) */
	int stop_fd;	    /* readable (eventfd, pipe): stop the VM from the host side; -1: none */
	uint64_t timeout_ms;  /* 0: none; the VM is stopped when it runs longer */
	bool allow_pvm_linux; /* boot a Linux kernel even on a PVM host (for a PVM guest kernel) */
	bool no_eventfds; /* no ioeventfd/irqfd: each kick exits, each interrupt is two ioctls (to measure) */
	int net_tap_fd;	  /* > 0: a tap (IFF_TAP|IFF_NO_PI) behind a virtio-net device (made non-blocking) */
	uint8_t net_mac[6]; /* the guest's MAC; all zero: 02:ca:95:a0:00:01 */
};

enum capsa_vm_end {
	CAPSA_VM_END_EXIT = 0,	   /* the guest wrote its status to the exit port */
	CAPSA_VM_END_RESET,	   /* the guest asked for a reset (i8042 or reset control) */
	CAPSA_VM_END_PANIC,	   /* the guest reported a panic (pvpanic) */
	CAPSA_VM_END_TRIPLE_FAULT, /* KVM_EXIT_SHUTDOWN */
	CAPSA_VM_END_STOPPED,	   /* stop_fd became readable */
	CAPSA_VM_END_TIMEOUT,
	CAPSA_VM_END_HALT,  /* every vCPU halted with interrupts off: the guest can never run again */
	CAPSA_VM_END_ERROR, /* the VMM could not go on (unhandled exit, emulation failure) */
};

struct capsa_vm_exits {
	uint64_t total, io, mmio, hlt, shutdown, intr, other;
};

struct capsa_vm_result {
	enum capsa_vm_end end;
	int status;   /* the guest's exit status when end == CAPSA_VM_END_EXIT */
	char *detail; /* what went wrong, for the ends that are errors; owned by the result */
	struct capsa_vm_exits exits;
	uint64_t run_ns;   /* from the first KVM_RUN to the end */
	uint64_t setup_ns; /* from capsa_vm_run() to the first KVM_RUN */
};

/*
 * Builds the VM, runs it until it ends and tears everything down. Returns -1 only when the VM could not be
 * built (bad kernel, no /dev/kvm, PVM host for a Linux guest); how the guest ended is in *res. Runs the
 * vCPUs on threads of their own and the device event loop on the calling thread; installs a no-op handler
 * for SIGRTMIN+3, the signal that kicks a vCPU thread out of KVM_RUN. Several VMs may run at once.
 */
int capsa_vm_run(const struct capsa_vm_config *cfg, struct capsa_vm_result *res,
		 struct capsa_error **err) CAPSA_WUR;
void capsa_vm_result_free(struct capsa_vm_result *res);
/* "exit status 3", "triple fault", "guest panic", ... */
const char *capsa_vm_end_name(enum capsa_vm_end end);
/* Turns an ended VM into the CLI's answer: 0 and *status for a guest exit, -1 and an error otherwise. */
int capsa_vm_result_status(const struct capsa_vm_result *res, int *status,
			   struct capsa_error **err) CAPSA_WUR;

/* Whether this host's /dev/kvm is PVM software virtualisation (kvm_pvm loaded, no vmx/svm). */
bool capsa_vm_host_is_pvm(void);
/* 0 when this host can boot a Linux guest under KVM; -1 with the reason otherwise. */
int capsa_vm_check_linux_host(struct capsa_error **err) CAPSA_WUR;

#endif
