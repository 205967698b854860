/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The basic guest: prints to the UART and ends the way its command line asks.
 *   exit=N       exit status N through the exit port (default 0)
 *   do=triple    load an empty IDT and fault: a triple fault
 *   do=panic     report a panic through pvpanic
 *   do=reset     reset through the i8042
 *   do=hang      cli; hlt forever (for the host-side stop and timeout)
 *   do=exception take a #UD through our own IDT (exit 106)
 *   do=cpuid     print what CPUID says (leaf 1 ECX, the hypervisor leaf's signature)
 *   kloop=N      run N loop iterations in kernel mode first and say so
 */
#include "lib.h"

void guest_start(const char *cmdline)
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
