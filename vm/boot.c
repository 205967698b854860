/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Boot-time structures and kernel loaders: the e820 map, the Linux zero page
 * (Documentation/arch/x86/boot.rst), PVH's hvm_start_info, an Intel MP table, and loaders for bzImage and
 * ELF64 images. Images come from the user's disk, so every offset and size read from them is checked against
 * the file and against guest RAM.
 */
#include "vm/internal.h"
#include "common/cleanup.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

/* struct boot_params offsets. */
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES 0x1e8
#define BP_HDR 0x1f1
#define BP_BOOT_FLAG 0x1fe
#define BP_HEADER 0x202
#define BP_VERSION 0x206
#define BP_TYPE_OF_LOADER 0x210
#define BP_LOADFLAGS 0x211
#define BP_RAMDISK_IMAGE 0x218
#define BP_RAMDISK_SIZE 0x21c
#define BP_HEAP_END_PTR 0x224
#define BP_CMD_LINE_PTR 0x228
#define BP_INITRD_ADDR_MAX 0x22c
#define BP_XLOADFLAGS 0x236
#define BP_CMDLINE_SIZE 0x238
#define BP_PREF_ADDRESS 0x258
#define BP_INIT_SIZE 0x260
#define BP_HDR_END 0x290
#define BP_E820_TABLE 0x2d0
#define BP_E820_MAX 128

#define LOADFLAG_CAN_USE_HEAP 0x80
#define XLF_KERNEL_64 0x1

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define PVH_MAGIC 0x336ec578

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

int vm_e820_build(uint64_t mem_size, struct vm_e820 *out, int max, struct capsa_error **err)
{
	if (mem_size < 4 * VM_HIGH_START || mem_size > VM_MAX_MEM)
		return capsa_error_set(err, EINVAL, "guest memory of %llu bytes is outside 4 MiB..%llu MiB",
				       (unsigned long long)mem_size, (unsigned long long)(VM_MAX_MEM >> 20));
	if (mem_size & 0xfff)
		return capsa_error_set(err, EINVAL,
				       "guest memory of %llu bytes is not a whole number of pages",
				       (unsigned long long)mem_size);
	if (max < 3)
		return capsa_error_set(err, ENOSPC, "an e820 map needs 3 entries, room for %d", max);
	/* Low RAM stops at the EBDA, where the MP table lives; 640K-1M is the legacy hole. */
	out[0] = (struct vm_e820){.addr = 0, .size = VM_EBDA_START, .type = E820_RAM};
	out[1] = (struct vm_e820){
		.addr = VM_EBDA_START, .size = VM_HIGH_START - VM_EBDA_START, .type = E820_RESERVED};
	out[2] = (struct vm_e820){.addr = VM_HIGH_START, .size = mem_size - VM_HIGH_START, .type = E820_RAM};
	return 3;
}

int vm_boot_params_build(uint8_t *zp, const uint8_t *setup_hdr, size_t hdr_len,
			 const struct vm_boot_info *info, struct capsa_error **err)
{
	memset(zp, 0, 4096);
	if (setup_hdr) {
		if (hdr_len < BP_CMDLINE_SIZE + 4 - BP_HDR || hdr_len > BP_HDR_END - BP_HDR)
			return capsa_error_set(err, EINVAL, "setup header of %zu bytes is not a 2.06+ header",
					       hdr_len);
		memcpy(zp + BP_HDR, setup_hdr, hdr_len);
		if (memcmp(zp + BP_HEADER, "HdrS", 4) != 0)
			return capsa_error_set(err, EINVAL, "setup header has no HdrS signature");
		uint32_t max = get32(zp + BP_CMDLINE_SIZE);
		if (info->cmdline_size > max)
			return capsa_error_set(err, E2BIG,
					       "command line is %u bytes, the kernel takes at most %u",
					       info->cmdline_size, max);
		uint32_t initrd_max = get32(zp + BP_INITRD_ADDR_MAX);
		if (info->initrd_size && info->initrd_addr + info->initrd_size - 1 > initrd_max)
			return capsa_error_set(err, ERANGE,
					       "initrd at %#llx+%llu is above the kernel's limit %#x",
					       (unsigned long long)info->initrd_addr,
					       (unsigned long long)info->initrd_size, initrd_max);
		/* 0xff: a boot loader without an assigned id. */
		zp[BP_TYPE_OF_LOADER] = 0xff;
		zp[BP_LOADFLAGS] |= LOADFLAG_CAN_USE_HEAP;
		put16(zp + BP_HEAP_END_PTR, 0xfe00);
	}
	if (info->cmdline_size >= VM_CMDLINE_MAX)
		return capsa_error_set(err, E2BIG, "command line is %u bytes, at most %u", info->cmdline_size,
				       VM_CMDLINE_MAX - 1);
	put32(zp + BP_CMD_LINE_PTR, (uint32_t)info->cmdline_addr);
	put32(zp + BP_EXT_CMD_LINE_PTR, (uint32_t)(info->cmdline_addr >> 32));
	if (info->initrd_size) {
		if (info->initrd_addr < VM_HIGH_START ||
		    info->initrd_addr + info->initrd_size > info->mem_size ||
		    info->initrd_addr + info->initrd_size < info->initrd_addr)
			return capsa_error_set(err, ERANGE, "initrd at %#llx+%llu is outside guest RAM",
					       (unsigned long long)info->initrd_addr,
					       (unsigned long long)info->initrd_size);
		put32(zp + BP_RAMDISK_IMAGE, (uint32_t)info->initrd_addr);
		put32(zp + BP_RAMDISK_SIZE, (uint32_t)info->initrd_size);
		put32(zp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(info->initrd_addr >> 32));
		put32(zp + BP_EXT_RAMDISK_SIZE, (uint32_t)(info->initrd_size >> 32));
	}
	struct vm_e820 map[BP_E820_MAX];
	int n = vm_e820_build(info->mem_size, map, BP_E820_MAX, err);
	if (n < 0)
		return -1;
	zp[BP_E820_ENTRIES] = (uint8_t)n;
	for (int i = 0; i < n; i++) {
		uint8_t *e = zp + BP_E820_TABLE + 20 * i;
		put64(e, map[i].addr);
		put64(e + 8, map[i].size);
		put32(e + 16, map[i].type);
	}
	return 0;
}

/* ---- bzImage ---- */

static int bzimage_probe(const uint8_t *buf, size_t len, struct vm_kernel *k, struct capsa_error **err)
{
	if (len < 0x1000 || get16(buf + BP_BOOT_FLAG) != 0xaa55 || memcmp(buf + BP_HEADER, "HdrS", 4) != 0)
		return capsa_error_set(err, ENOEXEC, "not a bzImage (no boot flag or HdrS signature)");
	uint16_t version = get16(buf + BP_VERSION);
	if (version < 0x20c)
		return capsa_error_set(err, ENOEXEC,
				       "boot protocol %u.%02u is too old (2.12 or later needed)",
				       version >> 8, version & 0xff);
	if (!(get16(buf + BP_XLOADFLAGS) & XLF_KERNEL_64))
		return capsa_error_set(err, ENOEXEC, "the kernel has no 64-bit entry point (XLF_KERNEL_64)");
	size_t hdr_len = 0x202 + buf[0x201] - BP_HDR;
	if (hdr_len > sizeof(k->setup_hdr))
		hdr_len = sizeof(k->setup_hdr);
	memcpy(k->setup_hdr, buf + BP_HDR, hdr_len);
	k->setup_hdr_len = hdr_len;
	k->bzimage = true;
	k->is_linux = true;
	k->mode = VM_ENTRY_LONG64;
	uint64_t load = get64(buf + BP_PREF_ADDRESS);
	if (load < VM_HIGH_START)
		load = VM_HIGH_START;
	k->entry = load + 0x200;
	unsigned setup_sects = buf[BP_HDR] ? buf[BP_HDR] : 4;
	size_t off = (setup_sects + 1) * 512ul;
	if (off >= len)
		return capsa_error_set(err, ENOEXEC,
				       "bzImage of %zu bytes is shorter than its %u setup sectors", len,
				       setup_sects);
	uint64_t span = len - off;
	uint32_t init_size = get32(buf + BP_INIT_SIZE);
	if (init_size > span)
		span = init_size;
	k->load_end = load + span;
	return 0;
}

static int bzimage_load(const struct vm_mem *m, const uint8_t *buf, size_t len, struct vm_kernel *k,
			struct capsa_error **err)
{
	unsigned setup_sects = buf[BP_HDR] ? buf[BP_HDR] : 4;
	size_t off = (setup_sects + 1) * 512ul;
	uint64_t load = k->entry - 0x200;
	/* init_size covers the decompressor's work area too, so check all of it, not just the file. */
	uint8_t *dst = vm_mem_ptr(m, load, k->load_end - load);
	if (!dst)
		return capsa_error_set(err, ENOMEM, "the kernel needs %llu MiB at %#llx, more than guest RAM",
				       (unsigned long long)((k->load_end - load) >> 20),
				       (unsigned long long)load);
	memcpy(dst, buf + off, len - off);
	return 0;
}

/* ---- ELF ---- */

static int elf_notes(const uint8_t *p, size_t n, struct vm_kernel *k)
{
	size_t i = 0;
	while (n - i >= 12) {
		uint32_t namesz = get32(p + i), descsz = get32(p + i + 4), type = get32(p + i + 8);
		size_t name_off = i + 12;
		size_t desc_off = name_off + ((namesz + 3ul) & ~3ul);
		size_t next = desc_off + ((descsz + 3ul) & ~3ul);
		if (namesz > n || descsz > n || next > n || next <= i)
			return -1;
		const char *name = (const char *)p + name_off;
		if (namesz == 4 && memcmp(name, "Xen", 4) == 0 && type == XEN_ELFNOTE_PHYS32_ENTRY &&
		    (descsz == 4 || descsz == 8)) {
			k->mode = VM_ENTRY_PVH32;
			k->entry = descsz == 4 ? get32(p + desc_off) : get64(p + desc_off);
		}
		if (namesz == 6 && memcmp(name, "Linux", 6) == 0)
			k->is_linux = true;
		i = next;
	}
	return 0;
}

/* The program headers, copied out: the file gives no alignment guarantee for e_phoff. */
static int elf_phdrs(const uint8_t *buf, size_t len, Elf64_Phdr **out, unsigned *count,
		     struct capsa_error **err)
{
	Elf64_Ehdr eh;
	memcpy(&eh, buf, sizeof(eh));
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phoff > len ||
	    (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > len - eh.e_phoff)
		return capsa_error_set(err, ENOEXEC, "ELF program headers outside the file");
	*out = xcalloc(eh.e_phnum, sizeof(Elf64_Phdr));
	memcpy(*out, buf + eh.e_phoff, eh.e_phnum * sizeof(Elf64_Phdr));
	*count = eh.e_phnum;
	return 0;
}

static int elf_probe(const uint8_t *buf, size_t len, struct vm_kernel *k, struct capsa_error **err)
{
	Elf64_Ehdr ehdr;
	memcpy(&ehdr, buf, sizeof(ehdr));
	const Elf64_Ehdr *eh = &ehdr;
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64 || eh->e_type != ET_EXEC)
		return capsa_error_set(err, ENOEXEC, "not an x86-64 executable ELF");
	_cleanup_free_ Elf64_Phdr *ph = NULL;
	unsigned n = 0;
	if (elf_phdrs(buf, len, &ph, &n, err) < 0)
		return -1;
	k->mode = VM_ENTRY_LONG64;
	k->entry = eh->e_entry;
	k->load_end = 0;
	bool entry_found = false;
	for (unsigned i = 0; i < n; i++) {
		if (ph[i].p_type == PT_NOTE) {
			if (ph[i].p_offset > len || ph[i].p_filesz > len - ph[i].p_offset ||
			    elf_notes(buf + ph[i].p_offset, ph[i].p_filesz, k) < 0)
				return capsa_error_set(err, ENOEXEC, "malformed ELF note segment %u", i);
		}
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (ph[i].p_offset > len || ph[i].p_filesz > len - ph[i].p_offset ||
		    ph[i].p_filesz > ph[i].p_memsz)
			return capsa_error_set(err, ENOEXEC, "ELF segment %u lies outside the file", i);
		if (ph[i].p_paddr < VM_HIGH_START || ph[i].p_paddr + ph[i].p_memsz < ph[i].p_paddr)
			return capsa_error_set(err, ENOEXEC, "ELF segment %u at %#llx is below 1 MiB", i,
					       (unsigned long long)ph[i].p_paddr);
		if (ph[i].p_paddr + ph[i].p_memsz > k->load_end)
			k->load_end = ph[i].p_paddr + ph[i].p_memsz;
		/* vmlinux links at virtual addresses; its entry may be either kind. */
		if (!entry_found && eh->e_entry >= ph[i].p_vaddr &&
		    eh->e_entry - ph[i].p_vaddr < ph[i].p_memsz) {
			if (k->mode == VM_ENTRY_LONG64)
				k->entry = eh->e_entry - ph[i].p_vaddr + ph[i].p_paddr;
			entry_found = true;
		}
	}
	if (k->load_end == 0)
		return capsa_error_set(err, ENOEXEC, "ELF has no loadable segment");
	return 0;
}

static int elf_load(const struct vm_mem *m, const uint8_t *buf, size_t len, struct vm_kernel *k,
		    struct capsa_error **err)
{
	_cleanup_free_ Elf64_Phdr *ph = NULL;
	unsigned n = 0;
	if (elf_phdrs(buf, len, &ph, &n, err) < 0)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		uint8_t *dst = vm_mem_ptr(m, ph[i].p_paddr, ph[i].p_memsz);
		if (!dst)
			return capsa_error_set(
				err, ENOMEM, "ELF segment %u (%#llx+%llu) does not fit in guest RAM", i,
				(unsigned long long)ph[i].p_paddr, (unsigned long long)ph[i].p_memsz);
		memcpy(dst, buf + ph[i].p_offset, ph[i].p_filesz);
		memset(dst + ph[i].p_filesz, 0, ph[i].p_memsz - ph[i].p_filesz);
	}
	if (!vm_mem_ptr(m, k->entry, 1))
		return capsa_error_set(err, ENOEXEC, "entry point %#llx is outside guest RAM",
				       (unsigned long long)k->entry);
	return 0;
}

int vm_kernel_probe(const uint8_t *buf, size_t len, struct vm_kernel *k, struct capsa_error **err)
{
	memset(k, 0, sizeof(*k));
	if (len >= sizeof(Elf64_Ehdr) && memcmp(buf, ELFMAG, SELFMAG) == 0)
		return elf_probe(buf, len, k, err);
	if (len >= 0x1000 && memcmp(buf + BP_HEADER, "HdrS", 4) == 0)
		return bzimage_probe(buf, len, k, err);
	return capsa_error_set(err, ENOEXEC, "neither a bzImage nor an ELF64 image");
}

int vm_kernel_load(const struct vm_mem *m, const uint8_t *buf, size_t len, struct vm_kernel *k,
		   struct capsa_error **err)
{
	if (vm_kernel_probe(buf, len, k, err) < 0)
		return -1;
	return k->bzimage ? bzimage_load(m, buf, len, k, err) : elf_load(m, buf, len, k, err);
}

/* ---- PVH ---- */

int vm_pvh_info_build(const struct vm_mem *m, uint64_t addr, const struct vm_boot_info *info,
		      struct capsa_error **err)
{
	struct vm_e820 map[8];
	int n = vm_e820_build(info->mem_size, map, ARRAY_SIZE(map), err);
	if (n < 0)
		return -1;
	/* hvm_start_info (56 bytes), one module entry (32) and the memory map (24 per entry). */
	uint8_t *p = vm_mem_ptr(m, addr, 0x80 + 24ul * n);
	if (!p)
		return capsa_error_set(err, EFAULT, "PVH start info at %#llx is outside guest RAM",
				       (unsigned long long)addr);
	memset(p, 0, 0x80 + 24ul * n);
	put32(p, PVH_MAGIC);
	put32(p + 4, 1); /* version 1: has the memory map */
	if (info->initrd_size) {
		put32(p + 12, 1);
		put64(p + 16, addr + 0x40);
		put64(p + 0x40, info->initrd_addr);
		put64(p + 0x48, info->initrd_size);
	}
	put64(p + 24, info->cmdline_addr);
	put64(p + 40, addr + 0x80);
	put32(p + 48, (uint32_t)n);
	for (int i = 0; i < n; i++) {
		uint8_t *e = p + 0x80 + 24 * i;
		put64(e, map[i].addr);
		put64(e + 8, map[i].size);
		put32(e + 16, map[i].type);
	}
	return 0;
}

/* ---- Intel MultiProcessor Specification 1.4 table ---- */

static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += p[i];
	return (uint8_t)-s;
}

int vm_mptable_build(const struct vm_mem *m, uint64_t addr, unsigned vcpus, struct capsa_error **err)
{
	if (vcpus == 0 || vcpus > VM_MAX_VCPUS)
		return capsa_error_set(err, EINVAL, "%u vCPUs: 1..%d supported", vcpus, VM_MAX_VCPUS);
	const unsigned nirq = 16;
	size_t table_len = 44 + 20ul * vcpus + 8 /* bus */ + 8 /* ioapic */ + 8ul * nirq + 2 * 8 /* lints */;
	uint8_t *fp = vm_mem_ptr(m, addr, 16 + table_len);
	if (!fp)
		return capsa_error_set(err, EFAULT, "MP table at %#llx is outside guest RAM",
				       (unsigned long long)addr);
	memset(fp, 0, 16 + table_len);
	uint8_t *t = fp + 16, *e = t + 44;
	unsigned entries = 0;
	uint8_t ioapic_id = (uint8_t)vcpus;

	for (unsigned i = 0; i < vcpus; i++, entries++, e += 20) {
		e[0] = 0;			     /* processor */
		e[1] = (uint8_t)i;		     /* local APIC id */
		e[2] = 0x14;			     /* local APIC version */
		e[3] = 1 | (i == 0 ? 2 : 0);	     /* enabled, bootstrap */
		put32(e + 4, 0x600);		     /* family 6 */
		put32(e + 8, (1u << 0) | (1u << 9)); /* FPU, APIC */
	}
	e[0] = 1; /* bus 0: ISA */
	memcpy(e + 2, "ISA   ", 6);
	e += 8, entries++;
	e[0] = 2; /* the IOAPIC */
	e[1] = ioapic_id;
	e[2] = 0x11;
	e[3] = 1;
	put32(e + 4, 0xfec00000);
	e += 8, entries++;
	for (unsigned irq = 0; irq < nirq; irq++, e += 8, entries++) {
		e[0] = 3; /* I/O interrupt: ISA irq n on IOAPIC pin n, bus defaults for polarity/trigger */
		e[4] = 0;
		e[5] = (uint8_t)irq;
		e[6] = ioapic_id;
		e[7] = (uint8_t)irq;
	}
	e[0] = 4; /* local interrupts: ExtINT to LINT0, NMI to LINT1 of every CPU */
	e[1] = 3;
	e[6] = 0xff;
	e[7] = 0;
	e += 8, entries++;
	e[0] = 4;
	e[1] = 1;
	e[6] = 0xff;
	e[7] = 1;
	e += 8, entries++;

	memcpy(t, "PCMP", 4);
	put16(t + 4, (uint16_t)table_len);
	t[6] = 4;
	memcpy(t + 8, "CAPSA   ", 8);
	memcpy(t + 16, "CAPSA VM    ", 12);
	put16(t + 34, (uint16_t)entries);
	put32(t + 36, 0xfee00000);
	t[7] = checksum(t, table_len);

	memcpy(fp, "_MP_", 4);
	put32(fp + 4, (uint32_t)(addr + 16));
	fp[8] = 1;
	fp[9] = 4;
	fp[10] = checksum(fp, 16);
	return 0;
}
