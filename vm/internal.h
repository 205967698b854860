/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside the VMM: the core's device bus, guest memory, boot layout, virtqueues and the device table. */
#ifndef CAPSA_VM_INTERNAL_H
#define CAPSA_VM_INTERNAL_H

#include "vm/vm.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Guest physical layout. */
#define VM_GDT_ADDR 0x500ULL
#define VM_ZERO_PAGE 0x7000ULL
#define VM_PML4 0x9000ULL
#define VM_PDPT 0xa000ULL
#define VM_PD 0xb000ULL /* four pages: 4 GiB of 2 MiB pages */
#define VM_CMDLINE 0x20000ULL
#define VM_CMDLINE_MAX 4096
#define VM_MPTABLE 0x9fc00ULL
#define VM_EBDA_START 0x9fc00ULL
#define VM_HIGH_START 0x100000ULL
#define VM_MMIO_GAP 0xc0000000ULL /* RAM stops below 3 GiB: MMIO, IOAPIC and LAPIC live above */
#define VM_MAX_MEM VM_MMIO_GAP
#define VM_BOOT_STACK 0x8ff0ULL
#define VM_MAX_VCPUS 64

/* Guest RAM as the device code sees it: one slot starting at guest physical 0. */
struct vm_mem {
	uint8_t *base;
	uint64_t size;
};

/* A host pointer for [gpa, gpa+len) or NULL when any byte of it is outside guest RAM. */
static inline void *vm_mem_ptr(const struct vm_mem *m, uint64_t gpa, uint64_t len)
{
	if (gpa > m->size || len > m->size - gpa)
		return NULL;
	return m->base + gpa;
}

/* ---- boot.c: pure builders (unit-tested) and kernel loaders ---- */

#define E820_RAM 1
#define E820_RESERVED 2

struct vm_e820 {
	uint64_t addr, size;
	uint32_t type;
};

/* Fills at most max entries for mem_size bytes of RAM; returns the count or -1 when mem_size is invalid. */
int vm_e820_build(uint64_t mem_size, struct vm_e820 *out, int max, struct capsa_error **err) CAPSA_WUR;

struct vm_boot_info {
	uint64_t cmdline_addr;
	uint32_t cmdline_size; /* without the NUL */
	uint64_t initrd_addr, initrd_size;
	uint64_t mem_size;
};

/*
 * Builds a Linux zero page (struct boot_params, 4 KiB) in zp. setup_hdr is the kernel's setup header as
 * read from the image (bytes from 0x1f1 on, hdr_len of them), or NULL for a guest program.
 */
int vm_boot_params_build(uint8_t *zp, const uint8_t *setup_hdr, size_t hdr_len,
			 const struct vm_boot_info *info, struct capsa_error **err) CAPSA_WUR;

/* What a loader found: where to start and how. */
enum vm_entry_mode {
	VM_ENTRY_LONG64, /* long mode, paging on, RSI = zero page */
	VM_ENTRY_PVH32,	 /* 32-bit protected mode, paging off, EBX = hvm_start_info */
};

struct vm_kernel {
	enum vm_entry_mode mode;
	uint64_t entry;
	bool is_linux;
	bool bzimage;
	uint8_t setup_hdr[0x290 - 0x1f1]; /* bzImage only */
	size_t setup_hdr_len;
	uint64_t load_end; /* first byte above the loaded image */
};

/* Parses an image (bzImage or ELF64) in buf and copies it into guest memory. */
int vm_kernel_load(const struct vm_mem *m, const uint8_t *buf, size_t len, struct vm_kernel *k,
		   struct capsa_error **err) CAPSA_WUR;
/* Only the probe: bzImage or ELF, Linux or not, no copying. */
int vm_kernel_probe(const uint8_t *buf, size_t len, struct vm_kernel *k, struct capsa_error **err) CAPSA_WUR;
/* Writes hvm_start_info and its memory map at addr for a PVH entry. */
int vm_pvh_info_build(const struct vm_mem *m, uint64_t addr, const struct vm_boot_info *info,
		      struct capsa_error **err) CAPSA_WUR;
/* Writes an Intel MP table (processors, ISA bus, IOAPIC, ISA interrupts) at addr. */
int vm_mptable_build(const struct vm_mem *m, uint64_t addr, unsigned vcpus,
		     struct capsa_error **err) CAPSA_WUR;

/* ---- core.c: the device bus ---- */

struct vm;
struct vm_vcpu;

enum vm_bus {
	VM_BUS_PIO,
	VM_BUS_MMIO,
};

/* A device access: offset from the start of the registered range; data is len bytes (1, 2, 4 or 8). */
typedef void (*vm_io_fn)(void *dev, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

/* Registers [base, base+len) on a bus; ranges must not overlap. */
int vm_register_io(struct vm *vm, enum vm_bus bus, uint64_t base, uint64_t len, vm_io_fn fn, void *dev,
		   struct capsa_error **err) CAPSA_WUR;
/* Ends the VM with this reason (first one wins), from any thread. */
void vm_request_end(struct vm *vm, enum capsa_vm_end end, int status, const char *detail_fmt, ...)
	__attribute__((format(printf, 4, 5)));
const struct vm_mem *vm_guest_mem(struct vm *vm);
int vm_fd(struct vm *vm);
/* Asks the event loop to watch fd (readable) and call fn on the I/O thread. */
typedef void (*vm_event_fn)(void *dev, int fd);
int vm_watch_fd(struct vm *vm, int fd, vm_event_fn fn, void *dev, struct capsa_error **err) CAPSA_WUR;
/* Stops or resumes watching fd (while a device has nowhere to put its input). */
int vm_watch_pause(struct vm *vm, int fd, bool pause);
/* Raises an edge on an IOAPIC pin (through an irqfd when KVM has one). */
void vm_irq_raise(struct vm *vm, unsigned gsi);
/* Attaches an ioeventfd to a 32-bit MMIO write of value at addr; returns the eventfd, or -1. */
int vm_ioeventfd(struct vm *vm, uint64_t addr, uint32_t value, struct capsa_error **err) CAPSA_WUR;

/* ---- x86.c: vCPU state ---- */
int vm_x86_setup_vcpu(int kvm_fd, int vcpu_fd, unsigned id, unsigned nr, const struct vm_kernel *k,
		      struct capsa_error **err) CAPSA_WUR;
/* Identity page tables for the first 4 GiB and the boot GDT. */
int vm_x86_setup_memory(const struct vm_mem *m, struct capsa_error **err) CAPSA_WUR;

/* ---- virtq.c: split virtqueues, hardened against the guest ---- */

#define VIRTQ_MAX_SIZE 256
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4

struct virtq {
	uint16_t num; /* 0 until the driver sets it; a power of two <= VIRTQ_MAX_SIZE */
	bool ready;
	bool broken; /* the guest broke the rules; the queue is dead until reset */
	uint64_t desc, avail, used;
	uint16_t last_avail;
	uint16_t used_idx;
};

struct virtq_iov {
	uint8_t *ptr;
	uint32_t len;
	bool write; /* device writes into it */
};

struct virtq_chain {
	uint16_t head;
	unsigned n;
	uint32_t in_len, out_len; /* total device-writable and device-readable bytes */
	struct virtq_iov iov[VIRTQ_MAX_SIZE];
};

/* Checks num and the three areas against guest memory when the driver makes the queue ready. */
int virtq_validate(const struct virtq *q, const struct vm_mem *m, struct capsa_error **err) CAPSA_WUR;
/* 1: a chain was taken; 0: nothing available; -1: the guest broke the rules (q->broken is set). */
int virtq_pop(struct virtq *q, const struct vm_mem *m, struct virtq_chain *c,
	      struct capsa_error **err) CAPSA_WUR;
/* Puts a used element and publishes it; -1 when the used ring is outside memory. */
int virtq_push(struct virtq *q, const struct vm_mem *m, uint16_t head, uint32_t len,
	       struct capsa_error **err) CAPSA_WUR;
/* Whether the driver wants an interrupt now (VIRTQ_AVAIL_F_NO_INTERRUPT). */
bool virtq_need_irq(const struct virtq *q, const struct vm_mem *m);
/* Copies up to len bytes out of / into the chain's readable / writable buffers; returns the count. */
size_t virtq_chain_read(const struct virtq_chain *c, size_t off, void *buf, size_t len);
size_t virtq_chain_write(const struct virtq_chain *c, size_t off, const void *buf, size_t len);

/* ---- blk_store.c: virtio-blk's backing store ---- */

struct iovec;
/* Reads or writes all len bytes at off through iov (n entries, consumed as it goes); -1 with errno. */
int vm_blk_rw(int fd, bool write, struct iovec *iov, int n, uint64_t off, size_t len);
/* Copy-on-write over base_fd: the guest's writes go to an unlinked sparse file made in dir. */
struct vm_cow;
int vm_cow_open(int base_fd, uint64_t sectors, const char *dir, struct vm_cow **out,
		struct capsa_error **err) CAPSA_WUR;
void vm_cow_free(struct vm_cow *c);
/* len bytes at sector (whole sectors, inside the disk, n <= VIRTQ_MAX_SIZE); -1 with errno. */
int vm_cow_io(struct vm_cow *c, bool write, const struct iovec *iov, int n, uint64_t sector, size_t len);
/* How many sectors the guest has written (held by the overlay). */
uint64_t vm_cow_written(const struct vm_cow *c);

/* ---- virtio_mmio.c: the transport, separate from the devices ---- */

struct virtio_mmio;

struct virtio_dev_ops {
	uint32_t device_id;
	uint64_t features;
	unsigned nqueues;
	/* Device config space (read-only to the driver here). */
	void (*config_read)(void *dev, uint64_t offset, uint8_t *data, uint32_t len);
	/* Queue q has new buffers; runs on the I/O thread (ioeventfd) or a vCPU thread. */
	void (*notify)(void *dev, struct virtio_mmio *t, unsigned q);
	void (*reset)(void *dev);
};

int virtio_mmio_create(struct vm *vm, unsigned index, const struct virtio_dev_ops *ops, void *dev,
		       struct virtio_mmio **out, struct capsa_error **err) CAPSA_WUR;
void virtio_mmio_destroy(struct virtio_mmio *t);
/* The queue while the device is live (DRIVER_OK and ready), else NULL. Call with the transport locked. */
struct virtq *virtio_mmio_queue(struct virtio_mmio *t, unsigned q);
const struct vm_mem *virtio_mmio_mem(struct virtio_mmio *t);
/* Signals "used buffers" to the driver. */
void virtio_mmio_interrupt(struct virtio_mmio *t);
/* Marks the device broken (DEVICE_NEEDS_RESET) after a guest error and logs why. */
void virtio_mmio_fail(struct virtio_mmio *t, struct capsa_error **err);
void virtio_mmio_lock(struct virtio_mmio *t);
void virtio_mmio_unlock(struct virtio_mmio *t);
/* "virtio_mmio.device=4K@0xd0000000:5" for the kernel command line. */
char *virtio_mmio_cmdline(unsigned index);

/* ---- devices ---- */

struct vm_device {
	const char *name;
	/* Creates the device if the config asks for it (*state stays NULL otherwise). */
	int (*init)(struct vm *vm, const struct capsa_vm_config *cfg, unsigned *virtio_index, void **state,
		    struct capsa_error **err);
	void (*destroy)(void *state);
};

extern const struct vm_device vm_dev_uart, vm_dev_i8042, vm_dev_sysport, vm_dev_virtio_blk,
	vm_dev_virtio_blk2, vm_dev_virtio_console, vm_dev_virtio_net, vm_dev_virtio_console_err;

#endif
