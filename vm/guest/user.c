/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Ring 3: sets up a GDT with user segments and a TSS, syscall MSRs, then sysret into a user-mode loop that
 * comes back carrying its result. loops=N sets the iterations (default 50,000,000); via= picks the way back:
 * ud2 (default: a trap), int (int $0x3f through a DPL-3 gate) or syscall. On PVM hosts only the trap works:
 * syscall from a non-PVM guest's ring 3 arrives at LSTAR still at CPL 3, and int $n raises #UD.
 */
#include "lib.h"

#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_SFMASK 0xc0000084

void enter_user(void (*entry)(void), void *stack) __attribute__((noreturn));
void syscall_entry(void);

static uint64_t gdt[10] __attribute__((aligned(16)));
static uint8_t tss[104] __attribute__((aligned(16)));
static uint8_t user_stack[16384] __attribute__((aligned(16)));
static uint8_t rsp0_stack[16384] __attribute__((aligned(16)));
static volatile uint64_t loops;
static volatile int via; /* 0: ud2, 1: int $0x3f, 2: syscall */
extern char stack_top[];

static void user_main(void)
{
	/* xorshift: the compiler cannot fold it away, and it is pure user-mode work. */
	uint64_t x = 88172645463325252ull, n = loops;
	for (uint64_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	if (via == 1)
		__asm__ volatile("int $0x3f" : : "a"(x) : "memory");
	else if (via == 2)
		__asm__ volatile("syscall" : : "a"(x) : "rcx", "r11", "memory");
	else
		__asm__ volatile("ud2" : : "a"(x) : "memory");
	for (;;)
		;
}

void user_syscall(uint64_t value, uint64_t user_rip)
{
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	printf("back in ring %u from user rip %lx: %lu loops, result %lx\n", cs & 3, (unsigned long)user_rip,
	       (unsigned long)loops, (unsigned long)value);
	/* The reference value, computed here in kernel mode for small runs only (kernel mode may be slow). */
	if (loops <= 1000) {
		uint64_t x = 88172645463325252ull;
		for (uint64_t i = 0; i < loops; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
		}
		if (x != value) {
			printf("user result is wrong: want %lx\n", (unsigned long)x);
			exit(2);
		}
		printf("user result checked\n");
	}
	exit(0);
}

void guest_start(const char *cmdline)
{
	loops = cmdline_u64(cmdline, "loops", 50000000);
	char how[16] = "";
	cmdline_get(cmdline, "via", how, sizeof(how));
	via = memcmp(how, "int", 4) == 0 ? 1 : memcmp(how, "syscall", 8) == 0 ? 2 : 0;
	user_trap = user_syscall;
	idt_init();
	gdt[0] = 0;
	gdt[1] = 0x00cf9b000000ffffull; /* 0x08 kernel code32 (unused) */
	gdt[2] = 0x00af9b000000ffffull; /* 0x10 kernel code64 */
	gdt[3] = 0x00cf93000000ffffull; /* 0x18 kernel data */
	gdt[4] = 0x00cffb000000ffffull; /* 0x20 user code32 (sysret's base) */
	gdt[5] = 0x00cff3000000ffffull; /* 0x28 user data */
	gdt[6] = 0x00affb000000ffffull; /* 0x30 user code64 */
	uint64_t t = (uint64_t)tss;
	uint64_t rsp0 = (uint64_t)(rsp0_stack + sizeof(rsp0_stack));
	memcpy(tss + 4, &rsp0, 8);
	gdt[7] = (sizeof(tss) - 1) | ((t & 0xffffff) << 16) | (0x89ull << 40) | (((t >> 24) & 0xff) << 56);
	gdt[8] = t >> 32;
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) p = {sizeof(gdt) - 1, (uint64_t)gdt};
	__asm__ volatile("lgdt %0\n\t"
			 "mov $0x18, %%ax\n\t"
			 "mov %%ax, %%ds\n\t"
			 "mov %%ax, %%es\n\t"
			 "mov %%ax, %%ss\n\t"
			 "pushq $0x10\n\t"
			 "lea 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "mov $0x38, %%ax\n\t"
			 "ltr %%ax"
			 :
			 : "m"(p)
			 : "rax", "memory");
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | 1); /* SCE */
	wrmsr(MSR_STAR, (0x20ull << 48) | (0x10ull << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_SFMASK, 0x200); /* IF off on entry */
	printf("entering ring 3 for %lu loops\n", (unsigned long)loops);
	enter_user(user_main, user_stack + sizeof(user_stack));
}
