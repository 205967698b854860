/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * x86 vCPU state at boot: CPUID passed through from KVM with the hypervisor leaf set, the MSRs a kernel
 * expects from firmware, the boot GDT and identity page tables, and the registers for the entry mode.
 */
#include "vm/internal.h"
#include "common/cleanup.h"
#include "common/log.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#define CR0_PE (1u << 0)
#define CR0_MP (1u << 1)
#define CR0_ET (1u << 4)
#define CR0_NE (1u << 5)
#define CR0_WP (1u << 16)
#define CR0_AM (1u << 18)
#define CR0_PG (1u << 31)
#define CR4_PAE (1u << 5)
#define CR4_OSFXSR (1u << 9)
#define CR4_OSXMMEXCPT (1u << 10)
#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)

#define PTE_P 1ull
#define PTE_RW 2ull
#define PTE_US 4ull
#define PTE_PS 0x80ull

#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_IA32_TSC 0x10

/* Boot GDT: 0x10 and 0x18 are the selectors the Linux 64-bit and PVH protocols name. */
#define GDT_CODE64 0x10
#define GDT_DATA 0x18
#define GDT_CODE32 0x08

int vm_x86_setup_memory(const struct vm_mem *m, struct capsa_error **err)
{
	uint64_t *gdt = vm_mem_ptr(m, VM_GDT_ADDR, 4 * 8);
	uint64_t *pml4 = vm_mem_ptr(m, VM_PML4, 4096);
	uint64_t *pdpt = vm_mem_ptr(m, VM_PDPT, 4096);
	uint64_t *pd = vm_mem_ptr(m, VM_PD, 4 * 4096);
	if (!gdt || !pml4 || !pdpt || !pd)
		return capsa_error_set(err, EFAULT, "guest RAM too small for the boot page tables");
	gdt[0] = 0;
	gdt[1] = 0x00cf9b000000ffffull; /* 32-bit code, flat */
	gdt[2] = 0x00af9b000000ffffull; /* 64-bit code */
	gdt[3] = 0x00cf93000000ffffull; /* data, flat */
	/*
	 * The first 4 GiB, identity-mapped with 2 MiB pages and user access allowed, so that a guest program
	 * can run ring-3 code without page tables of its own. Linux replaces these as its first step.
	 */
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = VM_PDPT | PTE_P | PTE_RW | PTE_US;
	for (int i = 0; i < 4; i++) {
		pdpt[i] = (VM_PD + 4096ull * i) | PTE_P | PTE_RW | PTE_US;
		for (int j = 0; j < 512; j++)
			pd[512 * i + j] = ((512ull * i + j) << 21) | PTE_P | PTE_RW | PTE_US | PTE_PS;
	}
	return 0;
}

static int setup_cpuid(int kvm_fd, int vcpu_fd, unsigned id, unsigned nr, struct capsa_error **err)
{
	unsigned max = 128;
	_cleanup_free_ struct kvm_cpuid2 *c = NULL;
	for (;;) {
		free(c);
		c = xzalloc(sizeof(*c) + max * sizeof(c->entries[0]));
		c->nent = max;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			break;
		if (errno != E2BIG || max >= 4096)
			return capsa_error_errno(err, "KVM_GET_SUPPORTED_CPUID");
		max *= 2;
	}
	bool have_hv = false;
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		switch (e->function) {
		case 1:
			e->ecx |= 1u << 31; /* running under a hypervisor */
			e->ebx = (e->ebx & 0x0000ffff) | (id << 24) | (nr << 16);
			break;
		case 0xb:
		case 0x1f:
			e->edx = id; /* x2APIC id */
			break;
		case 0x40000000:
			have_hv = true;
			break;
		}
	}
	/* Older kernels leave the KVM leaves out of the supported list; Linux finds kvmclock through them. */
	if (!have_hv && c->nent < max) {
		struct kvm_cpuid_entry2 *e = &c->entries[c->nent++];
		memset(e, 0, sizeof(*e));
		e->function = 0x40000000;
		e->eax = 0x40000001;
		memcpy(&e->ebx, "KVMK", 4);
		memcpy(&e->ecx, "VMKV", 4);
		memcpy(&e->edx, "M\0\0\0", 4);
	}
	if (ioctl(vcpu_fd, KVM_SET_CPUID2, c) < 0)
		return capsa_error_errno(err, "KVM_SET_CPUID2");
	return 0;
}

static int setup_msrs(int vcpu_fd, unsigned id, struct capsa_error **err)
{
	static const struct {
		uint32_t index;
		uint64_t data;
	} boot_msrs[] = {
		{MSR_IA32_SYSENTER_CS, 0},
		{MSR_IA32_SYSENTER_ESP, 0},
		{MSR_IA32_SYSENTER_EIP, 0},
		{MSR_STAR, 0},
		{MSR_CSTAR, 0},
		{MSR_KERNEL_GS_BASE, 0},
		{MSR_SYSCALL_MASK, 0},
		{MSR_LSTAR, 0},
		{MSR_IA32_TSC, 0},
		{MSR_IA32_MISC_ENABLE, 1},	     /* fast strings */
		{MSR_MTRR_DEF_TYPE, (1u << 11) | 6}, /* MTRRs on, write-back by default */
	};
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[ARRAY_SIZE(boot_msrs)];
	} msrs;
	memset(&msrs, 0, sizeof(msrs));
	msrs.h.nmsrs = ARRAY_SIZE(boot_msrs);
	for (size_t i = 0; i < ARRAY_SIZE(boot_msrs); i++) {
		msrs.e[i].index = boot_msrs[i].index;
		msrs.e[i].data = boot_msrs[i].data;
	}
	int n = ioctl(vcpu_fd, KVM_SET_MSRS, &msrs);
	if (n < 0)
		return capsa_error_errno(err, "KVM_SET_MSRS");
	/* KVM stops at the first MSR it refuses; say which, but boot on (PVM refuses some). */
	if ((size_t)n < ARRAY_SIZE(boot_msrs))
		capsa_debug("vm: vcpu %u: KVM took %d of %zu boot MSRs (stopped at %#x)", id, n,
			    ARRAY_SIZE(boot_msrs), boot_msrs[n].index);
	return 0;
}

static struct kvm_segment segment(uint16_t sel, bool code, bool l)
{
	return (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = sel,
		.type = code ? 11 : 3, /* execute/read accessed, read/write accessed */
		.present = 1,
		.s = 1,
		.db = l ? 0 : 1,
		.l = l,
		.g = 1,
	};
}

static int setup_lapic(int vcpu_fd, struct capsa_error **err)
{
	struct kvm_lapic_state l;
	if (ioctl(vcpu_fd, KVM_GET_LAPIC, &l) < 0)
		return capsa_error_errno(err, "KVM_GET_LAPIC");
	/* LVT LINT0 as ExtINT and LINT1 as NMI, as PC firmware leaves them. */
	uint32_t lint0, lint1;
	memcpy(&lint0, l.regs + 0x350, 4);
	memcpy(&lint1, l.regs + 0x360, 4);
	lint0 = (lint0 & ~0x700u & ~(1u << 16)) | (7u << 8);
	lint1 = (lint1 & ~0x700u & ~(1u << 16)) | (4u << 8);
	memcpy(l.regs + 0x350, &lint0, 4);
	memcpy(l.regs + 0x360, &lint1, 4);
	if (ioctl(vcpu_fd, KVM_SET_LAPIC, &l) < 0)
		return capsa_error_errno(err, "KVM_SET_LAPIC");
	return 0;
}

int vm_x86_setup_vcpu(int kvm_fd, int vcpu_fd, unsigned id, unsigned nr, const struct vm_kernel *k,
		      struct capsa_error **err)
{
	if (setup_cpuid(kvm_fd, vcpu_fd, id, nr, err) < 0 || setup_msrs(vcpu_fd, id, err) < 0 ||
	    setup_lapic(vcpu_fd, err) < 0)
		return -1;
	struct kvm_fpu fpu = {.fcw = 0x37f, .mxcsr = 0x1f80};
	if (ioctl(vcpu_fd, KVM_SET_FPU, &fpu) < 0)
		return capsa_error_errno(err, "KVM_SET_FPU");
	/* Application processors wait for INIT/SIPI from the boot CPU; the in-kernel LAPIC handles that. */
	if (id != 0)
		return 0;

	struct kvm_sregs s;
	if (ioctl(vcpu_fd, KVM_GET_SREGS, &s) < 0)
		return capsa_error_errno(err, "KVM_GET_SREGS");
	s.gdt.base = VM_GDT_ADDR;
	s.gdt.limit = 4 * 8 - 1;
	struct kvm_regs r = {.rflags = 2};
	if (k->mode == VM_ENTRY_LONG64) {
		s.cs = segment(GDT_CODE64, true, true);
		s.ds = s.es = s.fs = s.gs = s.ss = segment(GDT_DATA, false, false);
		s.cr3 = VM_PML4;
		s.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
		s.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG;
		s.efer = EFER_LME | EFER_LMA;
		r.rsi = VM_ZERO_PAGE;
		r.rsp = VM_BOOT_STACK;
	} else {
		/* PVH: flat 32-bit protected mode, paging off, EBX = hvm_start_info. */
		s.cs = segment(GDT_CODE32, true, false);
		s.ds = s.es = s.fs = s.gs = s.ss = segment(GDT_DATA, false, false);
		s.cr0 = CR0_PE | CR0_ET;
		s.cr4 = 0;
		s.efer = 0;
		r.rbx = VM_ZERO_PAGE;
	}
	s.tr = (struct kvm_segment){.limit = 0xffff, .type = 11, .present = 1};
	s.ldt = (struct kvm_segment){.limit = 0xffff, .type = 2, .present = 1};
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &s) < 0)
		return capsa_error_errno(err, "KVM_SET_SREGS");
	r.rip = k->entry;
	if (ioctl(vcpu_fd, KVM_SET_REGS, &r) < 0)
		return capsa_error_errno(err, "KVM_SET_REGS");
	return 0;
}
