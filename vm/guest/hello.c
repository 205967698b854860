/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The basic guest: prints to the UART and ends the way its command line asks.
 *   exit=N       exit status N through the exit port (default 0)
 *   do=triple    load an empty IDT and fault: a triple fault
 *   do=panic     report a panic through pvpanic
 *   do=reset     reset through the i8042
 *   do=hang      cli; hlt forever (for the host-side stop and timeout)
 *   do=exception take a #UD through our own IDT (exit 106)
 *   do=initrd    print the initrd's size, a hash of its bytes and its first line
 *   do=cpuid     print what CPUID says (leaf 1 ECX, the hypervisor leaf's signature)
 *   kloop=N      run N loop iterations in kernel mode first and say so
 */
#include "lib.h"

/* The initrd as the boot protocol describes it: zero page fields, or PVH's first module. */
static void show_initrd(const uint8_t *boot, int pvh)
{
	uint64_t addr, size;
	uint32_t lo, hi;
	if (pvh) {
		uint32_t nr;
		memcpy(&nr, boot + 12, 4);
		if (nr == 0) {
			printf("initrd: none\n");
			return;
		}
		uint64_t list;
		memcpy(&list, boot + 16, 8);
		memcpy(&addr, (const void *)list, 8);
		memcpy(&size, (const void *)(list + 8), 8);
	} else {
		memcpy(&lo, boot + 0x218, 4);
		memcpy(&hi, boot + 0x0c0, 4);
		addr = ((uint64_t)hi << 32) | lo;
		memcpy(&lo, boot + 0x21c, 4);
		memcpy(&hi, boot + 0x0c4, 4);
		size = ((uint64_t)hi << 32) | lo;
	}
	if (size == 0) {
		printf("initrd: none\n");
		return;
	}
	const uint8_t *p = (const uint8_t *)addr;
	uint32_t sum = 0;
	for (uint64_t i = 0; i < size; i++)
		sum = sum * 31 + p[i];
	char first[64];
	size_t n = 0;
	while (n < size && n + 1 < sizeof(first) && p[n] != '\n') {
		first[n] = (char)p[n];
		n++;
	}
	first[n] = 0;
	printf("initrd: %lu bytes, page-aligned %u, hash %x, first line: %s\n", (unsigned long)size,
	       (addr & 0xfff) == 0, sum, first);
}

void guest_start(const char *cmdline, const uint8_t *boot, int pvh)
{
	char what[32] = "";
	printf("hello from the capsa guest\n");
	printf("cmdline: %s\n", cmdline ? cmdline : "");
	uint64_t kloop = cmdline_u64(cmdline, "kloop", 0);
	if (kloop) {
		uint64_t x = 1;
		for (uint64_t i = 0; i < kloop; i++)
			__asm__ volatile("" : "+r"(x));
		printf("kernel loop: %lu iterations\n", (unsigned long)kloop);
	}
	cmdline_get(cmdline, "do", what, sizeof(what));
	if (memcmp(what, "triple", 7) == 0) {
		struct {
			uint16_t limit;
			uint64_t base;
		} __attribute__((packed)) empty = {0, 0};
		__asm__ volatile("lidt %0; ud2" : : "m"(empty));
	} else if (memcmp(what, "panic", 6) == 0) {
		outb(PANIC_PORT, 1);
	} else if (memcmp(what, "reset", 6) == 0) {
		outb(0x64, 0xfe);
	} else if (memcmp(what, "hang", 5) == 0) {
		for (;;)
			__asm__ volatile("cli; hlt");
	} else if (memcmp(what, "initrd", 7) == 0) {
		show_initrd(boot, pvh);
	} else if (memcmp(what, "cpuid", 6) == 0) {
		uint32_t a, b, c, d;
		__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
		printf("cpuid 1: ecx %x hypervisor %u xsave %u cx16 %u apic id %u\n", c, c >> 31,
		       (c >> 26) & 1, (c >> 13) & 1, b >> 24);
		char sig[13];
		__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000000), "c"(0));
		memcpy(sig, &b, 4);
		memcpy(sig + 4, &c, 4);
		memcpy(sig + 8, &d, 4);
		sig[12] = 0;
		printf("cpuid 0x40000000: max %x signature %s\n", a, sig);
	} else if (memcmp(what, "exception", 10) == 0) {
		idt_init();
		__asm__ volatile("ud2");
	}
	exit((int)cmdline_u64(cmdline, "exit", 0));
}
