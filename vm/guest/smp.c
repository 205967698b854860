/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Several vCPUs: the boot CPU wakes the others with INIT and SIPI through its local APIC; each comes up
 * through real, protected and long mode (smp_tramp.S), says hello under a lock and halts. cpus=N is the
 * number of vCPUs the VMM was given. The boot CPU exits once all of them have checked in.
 */
#include "lib.h"

#define LAPIC 0xfee00000ul
#define TRAMP 0x10000

extern char tramp_start[], tramp_end[];
volatile uint32_t ap_next;
uint8_t ap_stacks[16 * 16384] __attribute__((aligned(16)));
static volatile uint32_t ap_up, lock;

static void take(void)
{
	while (__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE))
		__asm__ volatile("pause");
}

static void give(void)
{
	__atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
}

void ap_main(uint32_t index)
{
	uint32_t apic_id = mmio_read32(LAPIC + 0x20) >> 24;
	take();
	printf("ap %u up, apic id %u\n", index, apic_id);
	give();
	__atomic_add_fetch(&ap_up, 1, __ATOMIC_SEQ_CST);
}

static void ipi(uint32_t low)
{
	mmio_write32(LAPIC + 0x310, 0);
	mmio_write32(LAPIC + 0x300, low);
	while (mmio_read32(LAPIC + 0x300) & (1u << 12)) /* delivery pending */
		__asm__ volatile("pause");
}

void guest_start(const char *cmdline)
{
	uint32_t cpus = (uint32_t)cmdline_u64(cmdline, "cpus", 1);
	if (cpus < 1 || cpus > 16) {
		printf("cpus=%u: 1..16\n", cpus);
		exit(1);
	}
	memcpy((void *)TRAMP, tramp_start, (size_t)(tramp_end - tramp_start));
	mmio_write32(LAPIC + 0xf0, 0x1ff); /* software-enable the local APIC */
	take();
	printf("bsp: apic id %u, waking %u other vCPUs\n", mmio_read32(LAPIC + 0x20) >> 24, cpus - 1);
	give();
	if (cpus > 1) {
		ipi(0xc4500);		      /* INIT, to all but self */
		ipi(0xc4600 | (TRAMP >> 12)); /* SIPI */
		ipi(0xc4600 | (TRAMP >> 12)); /* the second SIPI of the protocol (ignored if started) */
	}
	while (ap_up < cpus - 1)
		__asm__ volatile("pause");
	take();
	printf("all %u vCPUs up\n", cpus);
	give();
	exit(0);
}
