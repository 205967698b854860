/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The freestanding library of capsa's guest test programs: ports, UART, exit, interrupts, a virtio driver. */
#ifndef CAPSA_GUEST_LIB_H
#define CAPSA_GUEST_LIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXIT_PORT 0x501
#define PANIC_PORT 0x505
#define VIRTIO_BASE 0xd0000000ul
#define VIRTIO_IRQ 5
#define VIRTIO_SLOTS 8

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t mmio_read32(uintptr_t a)
{
	return *(volatile uint32_t *)a;
}

static inline void mmio_write32(uintptr_t a, uint32_t v)
{
	*(volatile uint32_t *)a = v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

void putchar(char c);
void puts(const char *s);
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vsnprintf_lite(char *buf, size_t n, const char *fmt, va_list ap);
__attribute__((noreturn)) void exit(int status);

/* "key=value" words on the command line. */
bool cmdline_get(const char *cmdline, const char *key, char *buf, size_t len);
uint64_t cmdline_u64(const char *cmdline, const char *key, uint64_t dflt);

/* Exceptions report and exit 100+vector; IRQ vectors call a handler. */
void idt_init(void);
/* "int $0x3f" from ring 3 lands in user_trap (when set) with the caller's RAX and RIP. */
#define USER_TRAP_VECTOR 0x3f
extern void (*user_trap)(uint64_t rax, uint64_t rip);
void irq_route(unsigned pin, unsigned vector, void (*handler)(void));
void lapic_eoi(void);

/* A minimal virtio-mmio driver: split queues of 8 descriptors. */
#define VQ_SIZE 8

struct vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vq {
	struct vq_desc desc[VQ_SIZE] __attribute__((aligned(16)));
	struct {
		uint16_t flags, idx, ring[VQ_SIZE], used_event;
	} avail __attribute__((aligned(2)));
	struct {
		uint16_t flags;
		volatile uint16_t idx;
		struct {
			uint32_t id, len;
		} ring[VQ_SIZE];
		uint16_t avail_event;
	} used __attribute__((aligned(4)));
	uint16_t last_used;
} __attribute__((aligned(4096)));

struct vdev {
	uintptr_t base;
	unsigned slot;
	unsigned nq;
	bool use_irq;
	volatile unsigned irqs;
	struct vq *q;
};

struct vbuf {
	void *addr;
	uint32_t len;
	bool write; /* device writes */
};

/* Finds the device with this id, negotiates VERSION_1 and sets up nq queues from qmem. 0 or -1. */
int virtio_open(uint32_t device_id, struct vdev *d, struct vq *qmem, unsigned nq, bool use_irq);
/* Posts one chain on queue q and kicks the device. */
void vq_post(struct vdev *d, unsigned q, const struct vbuf *bufs, unsigned n);
/* Waits for the next used element; returns its length, or -1 when the device failed. */
long vq_wait(struct vdev *d, unsigned q);
uint32_t virtio_status(struct vdev *d);

#endif
