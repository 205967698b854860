/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The VMM's boot structures: e820, the Linux zero page, kernel probing and loading, PVH info, MP table. */
#include "tap.h"
#include "vm/internal.h"
#include "common/cleanup.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static void wr16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void wr32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void wr64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void test_e820(void)
{
	struct vm_e820 map[8];
	struct capsa_error *err = NULL;
	int n = vm_e820_build(256 << 20, map, 8, &err);
	is_int(n, 3, "256 MiB: three entries");
	ok(map[0].addr == 0 && map[0].size == 0x9fc00 && map[0].type == E820_RAM, "low RAM up to the EBDA");
	ok(map[1].addr == 0x9fc00 && map[1].size == 0x100000 - 0x9fc00 && map[1].type == E820_RESERVED,
	   "640K-1M reserved");
	ok(map[2].addr == 0x100000 && map[2].size == (256 << 20) - 0x100000 && map[2].type == E820_RAM,
	   "high RAM to the end");
	ok(vm_e820_build(3 << 20, map, 8, &err) < 0 && err->errnum == EINVAL, "3 MiB is too small");
	capsa_error_clear(&err);
	ok(vm_e820_build(4ull << 30, map, 8, &err) < 0, "4 GiB crosses the MMIO hole: refused");
	capsa_error_clear(&err);
	ok(vm_e820_build((64 << 20) + 100, map, 8, &err) < 0 && strstr(err->msg, "pages"),
	   "partial page refused");
	capsa_error_clear(&err);
	ok(vm_e820_build(64 << 20, map, 2, &err) < 0 && err->errnum == ENOSPC, "no room for the map");
	capsa_error_clear(&err);
}

/* A synthetic setup header as a 2.15 bzImage carries it (bytes from 0x1f1). */
static void make_hdr(uint8_t *img, uint16_t version)
{
	img[0x1f1] = 4;		   /* setup_sects */
	wr16(img + 0x1fe, 0xaa55); /* boot_flag */
	img[0x200] = 0xeb;	   /* jump */
	img[0x201] = 0x6a;	   /* header ends at 0x26c */
	memcpy(img + 0x202, "HdrS", 4);
	wr16(img + 0x206, version);
	img[0x211] = 1;		       /* LOADED_HIGH */
	wr32(img + 0x22c, 0x7fffffff); /* initrd_addr_max */
	wr32(img + 0x230, 0x200000);   /* kernel_alignment */
	wr16(img + 0x236, 0x1 | 0x2);  /* XLF_KERNEL_64, CAN_BE_LOADED_ABOVE_4G */
	wr32(img + 0x238, 2047);       /* cmdline_size */
	wr64(img + 0x258, 0x1000000);  /* pref_address */
	wr32(img + 0x260, 0x800000);   /* init_size */
}

static void test_zero_page(void)
{
	uint8_t *zp = xzalloc(4096);
	struct capsa_error *err = NULL;
	struct vm_boot_info info = {.cmdline_addr = 0x20000, .cmdline_size = 11, .mem_size = 256 << 20};
	ok(vm_boot_params_build(zp, NULL, 0, &info, &err) == 0, "zero page for a guest program");
	is_int(rd32(zp + 0x228), 0x20000, "cmd_line_ptr");
	is_int(zp[0x1e8], 3, "e820_entries");
	ok(rd64(zp + 0x2d0 + 40) == 0x100000 && rd32(zp + 0x2d0 + 56) == E820_RAM,
	   "third e820 entry at 0x2d0+40");
	is_int(zp[0x210], 0, "no loader type without a kernel header");

	uint8_t *img = xzalloc(0x1000);
	make_hdr(img, 0x20f);
	size_t hlen = 0x26c - 0x1f1;
	info.initrd_addr = 0x8000000;
	info.initrd_size = 0x100000;
	info.cmdline_addr = 0x120000000ull; /* above 4 GiB, as far as the header goes */
	ok(vm_boot_params_build(zp, img + 0x1f1, hlen, &info, &err) == 0, "zero page for a bzImage: %s",
	   err ? err->msg : "ok");
	is_int(zp[0x210], 0xff, "type_of_loader 0xff");
	ok(zp[0x211] & 0x80, "CAN_USE_HEAP set");
	ok((zp[0x211] & 1), "kernel's LOADED_HIGH kept");
	is_int(rd32(zp + 0x218), 0x8000000, "ramdisk_image");
	is_int(rd32(zp + 0x21c), 0x100000, "ramdisk_size");
	ok(rd32(zp + 0x228) == 0x20000000 && rd32(zp + 0x0c8) == 1,
	   "cmd_line_ptr split with ext_cmd_line_ptr");
	ok(memcmp(zp + 0x202, "HdrS", 4) == 0 && rd32(zp + 0x238) == 2047, "header copied");

	info.cmdline_addr = 0x20000;
	info.cmdline_size = 3000;
	ok(vm_boot_params_build(zp, img + 0x1f1, hlen, &info, &err) < 0 && err->errnum == E2BIG,
	   "command line longer than cmdline_size refused: %s", err ? err->msg : "");
	capsa_error_clear(&err);
	info.cmdline_size = 10;
	wr32(img + 0x22c, 0x37ffffff);
	ok(vm_boot_params_build(zp, img + 0x1f1, hlen, &info, &err) == 0, "initrd below initrd_addr_max");
	info.initrd_addr = 0x38000000;
	info.mem_size = 2048ull << 20;
	ok(vm_boot_params_build(zp, img + 0x1f1, hlen, &info, &err) < 0 && err->errnum == ERANGE,
	   "initrd above initrd_addr_max refused");
	capsa_error_clear(&err);
	wr32(img + 0x22c, 0x7fffffff);
	info.mem_size = 256 << 20;
	info.initrd_addr = (256 << 20) - 0x1000;
	ok(vm_boot_params_build(zp, img + 0x1f1, hlen, &info, &err) < 0 &&
		   strstr(err->msg, "outside guest RAM"),
	   "initrd past the end of RAM refused");
	capsa_error_clear(&err);
	info.initrd_size = 0;
	ok(vm_boot_params_build(zp, img + 0x1f1, 8, &info, &err) < 0, "truncated setup header refused");
	capsa_error_clear(&err);
	memcpy(img + 0x202, "Hdr!", 4);
	ok(vm_boot_params_build(zp, img + 0x1f1, hlen, &info, &err) < 0 && strstr(err->msg, "HdrS"),
	   "header without HdrS refused");
	capsa_error_clear(&err);
	free(img);
	free(zp);
}

static void test_bzimage(void)
{
	size_t len = 0x3000;
	uint8_t *img = xzalloc(len);
	struct vm_kernel k;
	struct capsa_error *err = NULL;
	make_hdr(img, 0x20f);
	ok(vm_kernel_probe(img, len, &k, &err) == 0, "synthetic bzImage probes");
	ok(k.bzimage && k.is_linux && k.mode == VM_ENTRY_LONG64, "as a Linux bzImage with a 64-bit entry");
	is_int(k.entry, 0x1000200, "entry = pref_address + 0x200");
	is_int(k.load_end, 0x1000000 + 0x800000, "init_size decides the footprint");

	uint8_t *mem = xzalloc(32 << 20);
	struct vm_mem m = {.base = mem, .size = 32 << 20};
	memset(img + 5 * 512, 0xcc, len - 5 * 512);
	ok(vm_kernel_load(&m, img, len, &k, &err) == 0, "loads into 32 MiB");
	ok(mem[0x1000000] == 0xcc && mem[0x1000000 + len - 5 * 512 - 1] == 0xcc,
	   "protected-mode code at 16 MiB");
	struct vm_mem small = {.base = mem, .size = 20 << 20};
	ok(vm_kernel_load(&small, img, len, &k, &err) < 0 && err->errnum == ENOMEM,
	   "does not fit in 20 MiB: %s", err ? err->msg : "");
	capsa_error_clear(&err);
	free(mem);

	make_hdr(img, 0x20a);
	ok(vm_kernel_probe(img, len, &k, &err) < 0 && strstr(err->msg, "too old"), "protocol 2.10 refused");
	capsa_error_clear(&err);
	make_hdr(img, 0x20f);
	wr16(img + 0x236, 0);
	ok(vm_kernel_probe(img, len, &k, &err) < 0 && strstr(err->msg, "64-bit"), "no XLF_KERNEL_64 refused");
	capsa_error_clear(&err);
	make_hdr(img, 0x20f);
	img[0x1f1] = 200;
	ok(vm_kernel_probe(img, len, &k, &err) < 0 && strstr(err->msg, "setup sectors"),
	   "setup sectors beyond the file refused");
	capsa_error_clear(&err);
	ok(vm_kernel_probe(img, 100, &k, &err) < 0, "100-byte file refused");
	capsa_error_clear(&err);
	free(img);
}

/* A minimal ELF64: one PT_LOAD at paddr and optionally a note segment. */
static size_t make_elf(uint8_t *buf, uint64_t paddr, uint64_t vaddr, uint64_t entry, const char *note_name,
		       uint32_t note_type, uint32_t note_desc)
{
	memset(buf, 0, 0x400);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_entry = entry;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = note_name ? 2 : 1;
	Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof(*eh));
	ph[0] = (Elf64_Phdr){.p_type = PT_LOAD,
			     .p_offset = 0x200,
			     .p_vaddr = vaddr,
			     .p_paddr = paddr,
			     .p_filesz = 0x100,
			     .p_memsz = 0x1000};
	memset(buf + 0x200, 0x90, 0x100);
	if (note_name) {
		uint8_t *n = buf + 0x300;
		size_t namesz = strlen(note_name) + 1;
		wr32(n, (uint32_t)namesz);
		wr32(n + 4, 4);
		wr32(n + 8, note_type);
		memcpy(n + 12, note_name, namesz);
		wr32(n + 12 + ((namesz + 3) & ~3ul), note_desc);
		ph[1] = (Elf64_Phdr){
			.p_type = PT_NOTE, .p_offset = 0x300, .p_filesz = 12 + ((namesz + 3) & ~3ul) + 4};
	}
	return 0x400;
}

static void test_elf(void)
{
	uint8_t buf[0x400];
	struct vm_kernel k;
	struct capsa_error *err = NULL;
	size_t len = make_elf(buf, 0x200000, 0x200000, 0x200010, NULL, 0, 0);
	ok(vm_kernel_probe(buf, len, &k, &err) == 0 && k.mode == VM_ENTRY_LONG64 && !k.is_linux,
	   "plain ELF64: a guest program with a 64-bit entry");
	is_int(k.entry, 0x200010, "entry from e_entry");

	len = make_elf(buf, 0x1000000, 0xffffffff81000000ull, 0xffffffff81000040ull, "Linux", 6, 0);
	ok(vm_kernel_probe(buf, len, &k, &err) == 0 && k.is_linux, "a Linux note marks a vmlinux");
	is_int(k.entry, 0x1000040, "virtual entry translated to its physical address");

	len = make_elf(buf, 0x1000000, 0xffffffff81000000ull, 0xffffffff81000040ull, "Xen", 18, 0x1000080);
	ok(vm_kernel_probe(buf, len, &k, &err) == 0 && k.mode == VM_ENTRY_PVH32,
	   "Xen PHYS32_ENTRY note: PVH");
	is_int(k.entry, 0x1000080, "entry from the note");

	uint8_t *mem = xzalloc(8 << 20);
	struct vm_mem m = {.base = mem, .size = 8 << 20};
	memset(mem + 0x200000, 0xaa, 0x1000);
	len = make_elf(buf, 0x200000, 0x200000, 0x200000, NULL, 0, 0);
	ok(vm_kernel_load(&m, buf, len, &k, &err) == 0, "loads");
	ok(mem[0x200000] == 0x90 && mem[0x2000ff] == 0x90 && mem[0x200100] == 0 && mem[0x200fff] == 0,
	   "file bytes copied, the rest of the segment zeroed");

	len = make_elf(buf, 0x7ff800, 0x7ff800, 0x7ff800, NULL, 0, 0);
	ok(vm_kernel_load(&m, buf, len, &k, &err) < 0 && strstr(err->msg, "does not fit"),
	   "segment past RAM refused");
	capsa_error_clear(&err);
	len = make_elf(buf, 0x200000, 0x200000, 0x200000, NULL, 0, 0);
	((Elf64_Phdr *)(buf + sizeof(Elf64_Ehdr)))->p_filesz = 0x10000;
	ok(vm_kernel_probe(buf, len, &k, &err) < 0 && strstr(err->msg, "outside the file"),
	   "segment beyond the file refused");
	capsa_error_clear(&err);
	len = make_elf(buf, 0x7000, 0x7000, 0x7000, NULL, 0, 0);
	ok(vm_kernel_probe(buf, len, &k, &err) < 0 && strstr(err->msg, "below 1 MiB"),
	   "segment over the boot structures refused");
	capsa_error_clear(&err);
	len = make_elf(buf, 0x200000, 0x200000, 0x200000, NULL, 0, 0);
	((Elf64_Ehdr *)buf)->e_phoff = 0x3f0;
	ok(vm_kernel_probe(buf, len, &k, &err) < 0 && strstr(err->msg, "program headers"),
	   "program headers past the end refused");
	capsa_error_clear(&err);
	len = make_elf(buf, 0x200000, 0x200000, 0x200000, "Xen", 18, 0);
	wr32(buf + 0x300, 0x7fffffff); /* namesz */
	ok(vm_kernel_probe(buf, len, &k, &err) < 0 && strstr(err->msg, "note"), "oversized note refused");
	capsa_error_clear(&err);
	len = make_elf(buf, 0x200000, 0x200000, 0x200000, NULL, 0, 0);
	((Elf64_Ehdr *)buf)->e_machine = EM_386;
	ok(vm_kernel_probe(buf, len, &k, &err) < 0, "i386 ELF refused");
	capsa_error_clear(&err);
	memset(buf, 0, sizeof(buf));
	ok(vm_kernel_probe(buf, sizeof(buf), &k, &err) < 0 && strstr(err->msg, "neither"), "zeros refused");
	capsa_error_clear(&err);
	free(mem);
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s += *p++;
	return s;
}

static void test_pvh_mptable(void)
{
	uint8_t *mem = xzalloc(8 << 20);
	struct vm_mem m = {.base = mem, .size = 8 << 20};
	struct capsa_error *err = NULL;
	struct vm_boot_info info = {
		.cmdline_addr = 0x20000, .mem_size = 8 << 20, .initrd_addr = 0x600000, .initrd_size = 0x1000};
	ok(vm_pvh_info_build(&m, 0x7000, &info, &err) == 0, "PVH start info");
	uint8_t *p = mem + 0x7000;
	ok(rd32(p) == 0x336ec578 && rd32(p + 4) == 1, "magic and version 1");
	ok(rd32(p + 12) == 1 && rd64(mem + rd64(p + 16)) == 0x600000, "one module: the initrd");
	ok(rd64(p + 24) == 0x20000, "cmdline_paddr");
	ok(rd32(p + 48) == 3 && rd64(mem + rd64(p + 40) + 48) == 0x100000, "memory map of three entries");
	ok(vm_pvh_info_build(&m, (8 << 20) - 16, &info, &err) < 0, "start info past RAM refused");
	capsa_error_clear(&err);

	ok(vm_mptable_build(&m, 0x9fc00, 2, &err) == 0, "MP table for 2 vCPUs");
	uint8_t *fp = mem + 0x9fc00;
	ok(memcmp(fp, "_MP_", 4) == 0 && sum(fp, 16) == 0, "floating pointer with a valid checksum");
	uint8_t *t = mem + rd32(fp + 4);
	uint16_t tlen;
	memcpy(&tlen, t + 4, 2);
	ok(memcmp(t, "PCMP", 4) == 0 && sum(t, tlen) == 0, "configuration table with a valid checksum");
	uint16_t entries;
	memcpy(&entries, t + 34, 2);
	is_int(entries, 2 + 1 + 1 + 16 + 2, "2 CPUs, a bus, an IOAPIC, 16 interrupts, 2 local interrupts");
	ok(t[44] == 0 && t[44 + 3] == 3 && t[64] == 0 && t[64 + 3] == 1,
	   "CPU 0 is the enabled BSP, CPU 1 enabled");
	ok(vm_mptable_build(&m, 0x9fc00, 0, &err) < 0, "0 vCPUs refused");
	capsa_error_clear(&err);
	ok(vm_mptable_build(&m, 0x9fc00, VM_MAX_VCPUS + 1, &err) < 0, "too many vCPUs refused");
	capsa_error_clear(&err);
	free(mem);
}

int main(void)
{
	test_e820();
	test_zero_page();
	test_bzimage();
	test_elf();
	test_pvh_mptable();
	return tap_done();
}
