/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "lib.h"

#define UART 0x3f8

void *memset(void *d, int c, size_t n)
{
	uint8_t *p = d;
	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *p = a, *q = b;
	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

void putchar(char c)
{
	/* The VMM's UART is always ready; checking LSR would cost an exit per character for nothing. */
	outb(UART, (uint8_t)c);
}

void puts(const char *s)
{
	while (*s)
		putchar(*s++);
}

static void emit(char **o, char *end, char c)
{
	if (*o < end)
		*(*o)++ = c;
}

static void emit_num(char **o, char *end, uint64_t v, unsigned base, bool neg)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		emit(o, end, '-');
	while (n)
		emit(o, end, tmp[--n]);
}

void vsnprintf_lite(char *buf, size_t len, const char *fmt, va_list ap)
{
	char *o = buf, *end = buf + len - 1;
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			emit(&o, end, *fmt);
			continue;
		}
		bool l = false;
		if (*++fmt == 'l') {
			l = true;
			fmt++;
		}
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			while (s && *s)
				emit(&o, end, *s++);
			break;
		}
		case 'c':
			emit(&o, end, (char)va_arg(ap, int));
			break;
		case 'd': {
			int64_t v = l ? va_arg(ap, long) : va_arg(ap, int);
			emit_num(&o, end, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, v < 0);
			break;
		}
		case 'u':
			emit_num(&o, end, l ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 10, false);
			break;
		case 'x':
			emit_num(&o, end, l ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 16, false);
			break;
		default:
			emit(&o, end, *fmt);
		}
	}
	*o = 0;
}

void printf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf_lite(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	puts(buf);
}

void exit(int status)
{
	outl(EXIT_PORT, (uint32_t)status);
	for (;;)
		__asm__ volatile("cli; hlt");
}

bool cmdline_get(const char *c, const char *key, char *buf, size_t len)
{
	size_t kl = strlen(key);
	while (c && *c) {
		while (*c == ' ')
			c++;
		if (memcmp(c, key, kl) == 0 && c[kl] == '=') {
			c += kl + 1;
			size_t n = 0;
			while (c[n] && c[n] != ' ' && n + 1 < len) {
				buf[n] = c[n];
				n++;
			}
			buf[n] = 0;
			return true;
		}
		while (*c && *c != ' ')
			c++;
	}
	return false;
}

uint64_t cmdline_u64(const char *c, const char *key, uint64_t dflt)
{
	char buf[24];
	if (!cmdline_get(c, key, buf, sizeof(buf)))
		return dflt;
	uint64_t v = 0;
	for (char *p = buf; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (uint64_t)(*p - '0');
	return v;
}

/* ---- interrupts ---- */

struct idt_entry {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, zero;
} __attribute__((packed));

static struct idt_entry idt[64] __attribute__((aligned(16)));
static void (*irq_handlers[64])(void);
extern char isr_stubs[];

#define LAPIC 0xfee00000ul
#define IOAPIC 0xfec00000ul

void idt_init(void)
{
	for (int i = 0; i < 64; i++) {
		uint64_t a = (uint64_t)(isr_stubs + 16 * i);
		/* Only the user trap vector may be raised from ring 3 (DPL 3). */
		uint8_t type = i == USER_TRAP_VECTOR ? 0xee : 0x8e;
		idt[i] = (struct idt_entry){.off0 = (uint16_t)a,
					    .sel = 0x10,
					    .type = type,
					    .off1 = (uint16_t)(a >> 16),
					    .off2 = (uint32_t)(a >> 32)};
	}
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) p = {sizeof(idt) - 1, (uint64_t)idt};
	__asm__ volatile("lidt %0" : : "m"(p));
}

void (*user_trap)(uint64_t rax, uint64_t rip);

void isr_dispatch(uint64_t vec, uint64_t *frame)
{
	/* From ring 3, "int $0x3f" and ud2 (#UD, no error code) are the user program's ways back in. */
	if (user_trap && (vec == USER_TRAP_VECTOR || vec == 6) && (frame[1] & 3) == 3)
		user_trap(frame[-2], frame[0]); /* RAX was pushed two slots below the frame */
	if (vec < 32) {
		/* Vectors 8, 10-14 and 17 push an error code before RIP. */
		bool code = vec == 8 || (vec >= 10 && vec <= 14) || vec == 17;
		uint64_t *f = frame + (code ? 1 : 0);
		printf("guest: exception %u at rip %lx cs %lx rflags %lx error %lx\n", (unsigned)vec, f[0],
		       f[1], f[2], code ? frame[0] : 0);
		exit(100 + (int)vec);
	}
	if (irq_handlers[vec])
		irq_handlers[vec]();
	lapic_eoi();
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
	mmio_write32(IOAPIC, reg);
	mmio_write32(IOAPIC + 0x10, v);
}

void irq_route(unsigned pin, unsigned vector, void (*handler)(void))
{
	irq_handlers[vector] = handler;
	/* Mask the 8259s: the same pin also reaches them, and through LINT0 (ExtINT) their vector 0+n. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	/* Software-enable the local APIC (spurious vector 0xff) and accept every priority. */
	mmio_write32(LAPIC + 0xf0, 0x1ff);
	mmio_write32(LAPIC + 0x80, 0);
	/* Fixed delivery to APIC 0, edge, active high, unmasked. */
	ioapic_write(0x11 + 2 * pin, 0);
	ioapic_write(0x10 + 2 * pin, vector);
}

void lapic_eoi(void)
{
	mmio_write32(LAPIC + 0xb0, 0);
}

/* ---- virtio-mmio ---- */

#define R_MAGIC 0x000
#define R_VERSION 0x004
#define R_DEVICE_ID 0x008
#define R_DEVICE_FEATURES 0x010
#define R_DEVICE_FEATURES_SEL 0x014
#define R_DRIVER_FEATURES 0x020
#define R_DRIVER_FEATURES_SEL 0x024
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM 0x038
#define R_QUEUE_READY 0x044
#define R_QUEUE_NOTIFY 0x050
#define R_INTERRUPT_STATUS 0x060
#define R_INTERRUPT_ACK 0x064
#define R_STATUS 0x070
#define R_QUEUE_DESC 0x080
#define R_QUEUE_DRIVER 0x090
#define R_QUEUE_DEVICE 0x0a0

static struct vdev *irq_dev[VIRTIO_SLOTS];

static void virtio_irq(unsigned slot)
{
	struct vdev *d = irq_dev[slot];
	uint32_t st = mmio_read32(d->base + R_INTERRUPT_STATUS);
	mmio_write32(d->base + R_INTERRUPT_ACK, st);
	d->irqs++;
}

#define IRQ_FN(n)                                                                                            \
	static void virtio_irq##n(void)                                                                      \
	{                                                                                                    \
		virtio_irq(n);                                                                               \
	}
IRQ_FN(0)
IRQ_FN(1)
IRQ_FN(2)
IRQ_FN(3)
static void (*const irq_fns[])(void) = {virtio_irq0, virtio_irq1, virtio_irq2, virtio_irq3};

uint32_t virtio_status(struct vdev *d)
{
	return mmio_read32(d->base + R_STATUS);
}

int virtio_open(uint32_t device_id, struct vdev *d, struct vq *qmem, unsigned nq, bool use_irq)
{
	memset(d, 0, sizeof(*d));
	for (unsigned s = 0; s < VIRTIO_SLOTS; s++) {
		uintptr_t b = VIRTIO_BASE + 0x1000ul * s;
		if (mmio_read32(b + R_MAGIC) != 0x74726976 || mmio_read32(b + R_VERSION) != 2 ||
		    mmio_read32(b + R_DEVICE_ID) != device_id)
			continue;
		d->base = b;
		d->slot = s;
		break;
	}
	if (!d->base)
		return -1;
	d->nq = nq;
	d->q = qmem;
	mmio_write32(d->base + R_STATUS, 0);
	mmio_write32(d->base + R_STATUS, 1 | 2); /* ACKNOWLEDGE, DRIVER */
	mmio_write32(d->base + R_DEVICE_FEATURES_SEL, 1);
	if (!(mmio_read32(d->base + R_DEVICE_FEATURES) & 1))
		return -1;
	mmio_write32(d->base + R_DRIVER_FEATURES_SEL, 0);
	mmio_write32(d->base + R_DRIVER_FEATURES, 0);
	mmio_write32(d->base + R_DRIVER_FEATURES_SEL, 1);
	mmio_write32(d->base + R_DRIVER_FEATURES, 1); /* VERSION_1 */
	mmio_write32(d->base + R_STATUS, 1 | 2 | 8);
	if (!(mmio_read32(d->base + R_STATUS) & 8))
		return -1;
	for (unsigned i = 0; i < nq; i++) {
		struct vq *q = &qmem[i];
		memset(q, 0, sizeof(*q));
		mmio_write32(d->base + R_QUEUE_SEL, i);
		if (mmio_read32(d->base + R_QUEUE_NUM_MAX) < VQ_SIZE)
			return -1;
		mmio_write32(d->base + R_QUEUE_NUM, VQ_SIZE);
		mmio_write32(d->base + R_QUEUE_DESC, (uint32_t)(uintptr_t)q->desc);
		mmio_write32(d->base + R_QUEUE_DESC + 4, 0);
		mmio_write32(d->base + R_QUEUE_DRIVER, (uint32_t)(uintptr_t)&q->avail);
		mmio_write32(d->base + R_QUEUE_DRIVER + 4, 0);
		mmio_write32(d->base + R_QUEUE_DEVICE, (uint32_t)(uintptr_t)&q->used);
		mmio_write32(d->base + R_QUEUE_DEVICE + 4, 0);
		mmio_write32(d->base + R_QUEUE_READY, 1);
	}
	d->use_irq = use_irq;
	if (use_irq) {
		irq_dev[d->slot] = d;
		irq_route(VIRTIO_IRQ + d->slot, 0x30 + d->slot, irq_fns[d->slot]);
		__asm__ volatile("sti");
	} else {
		for (unsigned i = 0; i < nq; i++)
			qmem[i].avail.flags = 1; /* VIRTQ_AVAIL_F_NO_INTERRUPT */
	}
	mmio_write32(d->base + R_STATUS, 1 | 2 | 8 | 4); /* DRIVER_OK */
	return 0;
}

void vq_post(struct vdev *d, unsigned qi, const struct vbuf *bufs, unsigned n)
{
	struct vq *q = &d->q[qi];
	/* One chain in flight per queue is all the tests need: it always starts at descriptor 0. */
	for (unsigned i = 0; i < n; i++) {
		q->desc[i] =
			(struct vq_desc){.addr = (uint64_t)(uintptr_t)bufs[i].addr,
					 .len = bufs[i].len,
					 .flags = (uint16_t)((i + 1 < n ? 1 : 0) | (bufs[i].write ? 2 : 0)),
					 .next = (uint16_t)(i + 1)};
	}
	q->avail.ring[q->avail.idx % VQ_SIZE] = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q->avail.idx++;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	mmio_write32(d->base + R_QUEUE_NOTIFY, qi);
}

long vq_wait(struct vdev *d, unsigned qi)
{
	struct vq *q = &d->q[qi];
	for (;;) {
		if (d->use_irq)
			__asm__ volatile("cli");
		if (q->used.idx != q->last_used) {
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			long len = q->used.ring[q->last_used % VQ_SIZE].len;
			q->last_used++;
			if (d->use_irq)
				__asm__ volatile("sti");
			return len;
		}
		if (d->use_irq) {
			if (virtio_status(d) & 0x40) {
				__asm__ volatile("sti");
				return -1;
			}
			/* sti;hlt is atomic against the interrupt: it cannot slip in between the check and
			 * the wait. */
			__asm__ volatile("sti; hlt");
		} else {
			/* Polling: look at the status register (an exit) only now and then. */
			static unsigned spins;
			if (++spins % 65536 == 0 && (virtio_status(d) & 0x40))
				return -1;
			__asm__ volatile("pause");
		}
	}
}
