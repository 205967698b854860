/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-blk through its virtqueue with interrupts: prints sector 0 of the disk, writes sector 1 (unless
 * ro=1, where the write must fail), reads it back and flushes. do=evil instead feeds the device hostile
 * descriptors and checks it refuses them (DEVICE_NEEDS_RESET) and works again after a reset; do=negotiate
 * breaks the transport's rules (features, queue setup) instead.
 */
#include "lib.h"

#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4

struct req {
	uint32_t type, reserved;
	uint64_t sector;
};

static struct vq queues[1];
static struct vdev dev;
static uint8_t sector[512], readback[512], first[512], two[2][512];
static struct req hdr;
static volatile uint8_t status;

static long request(uint32_t type, uint64_t sec, void *data, bool has_data)
{
	hdr = (struct req){.type = type, .sector = sec};
	status = 0xff;
	struct vbuf b[3] = {{&hdr, sizeof(hdr), false}};
	unsigned n = 1;
	if (has_data)
		b[n++] = (struct vbuf){data, 512, type == T_IN};
	b[n++] = (struct vbuf){(void *)&status, 1, true};
	vq_post(&dev, 0, b, n);
	if (vq_wait(&dev, 0) < 0)
		return -1;
	return status;
}

/* Posts a raw chain written by the caller into the descriptor table and waits for the verdict. */
static long post_raw(unsigned head, uint16_t avail_jump)
{
	struct vq *q = &queues[0];
	q->avail.ring[q->avail.idx % VQ_SIZE] = (uint16_t)head;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q->avail.idx += avail_jump;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	mmio_write32(dev.base + 0x50, 0);
	return vq_wait(&dev, 0);
}

static int evil(void)
{
	static const char *names[] = {"head out of range", "next out of range", "buffer outside RAM",
				      "descriptor loop",   "avail index jump",	"indirect descriptor"};
	for (unsigned t = 0; t < 6; t++) {
		if (virtio_open(2, &dev, queues, 1, true) < 0) {
			printf("evil: reopen failed\n");
			return 1;
		}
		struct vq *q = &queues[0];
		unsigned head = 0;
		uint16_t jump = 1;
		q->desc[0] =
			(struct vq_desc){.addr = (uintptr_t)&hdr, .len = sizeof(hdr), .flags = 1, .next = 1};
		q->desc[1] = (struct vq_desc){.addr = (uintptr_t)&status, .len = 1, .flags = 2};
		switch (t) {
		case 0:
			head = 200;
			break;
		case 1:
			q->desc[0].next = 9999;
			break;
		case 2:
			q->desc[1].addr = 0x7fff0000000ull;
			break;
		case 3:
			q->desc[1].flags = 1; /* 0 -> 1 -> 0 -> ... */
			q->desc[1].next = 0;
			break;
		case 4:
			jump = 40000;
			break;
		case 5:
			q->desc[0].flags = 4;
			break;
		}
		long r = post_raw(head, jump);
		uint32_t st = virtio_status(&dev);
		printf("evil %s: %s\n", names[t], r < 0 && (st & 0x40) ? "refused" : "ACCEPTED");
		if (!(r < 0 && (st & 0x40)))
			return 1;
	}
	/* The device is usable again after a reset. */
	if (virtio_open(2, &dev, queues, 1, true) < 0 || request(T_IN, 0, sector, true) != 0) {
		printf("evil: device did not recover\n");
		return 1;
	}
	printf("evil: device recovered after reset, irqs %u\n", dev.irqs);
	return 0;
}

/* The transport's side of the handshake: what a driver may not do. */
static int negotiate(void)
{
	uintptr_t b = 0;
	for (unsigned s = 0; s < VIRTIO_SLOTS && !b; s++)
		if (mmio_read32(VIRTIO_BASE + 0x1000ul * s + 8) == 2)
			b = VIRTIO_BASE + 0x1000ul * s;
	if (!b)
		return 1;
	int bad = 0;
	/* 1. A feature the device did not offer (INDIRECT_DESC, bit 28). */
	mmio_write32(b + 0x70, 0);
	mmio_write32(b + 0x70, 3);
	mmio_write32(b + 0x24, 0);
	mmio_write32(b + 0x20, 1u << 28);
	mmio_write32(b + 0x24, 1);
	mmio_write32(b + 0x20, 1);
	mmio_write32(b + 0x70, 3 | 8);
	bool ok = !(mmio_read32(b + 0x70) & 8);
	printf("unoffered feature: %s\n", ok ? "FEATURES_OK refused" : "ACCEPTED");
	bad += !ok;
	/* 2. A legacy driver (no VERSION_1). */
	mmio_write32(b + 0x70, 0);
	mmio_write32(b + 0x70, 3);
	mmio_write32(b + 0x24, 0);
	mmio_write32(b + 0x20, 0);
	mmio_write32(b + 0x24, 1);
	mmio_write32(b + 0x20, 0);
	mmio_write32(b + 0x70, 3 | 8);
	ok = !(mmio_read32(b + 0x70) & 8);
	printf("no VERSION_1: %s\n", ok ? "FEATURES_OK refused" : "ACCEPTED");
	bad += !ok;
	/* 3 and 4: a queue size that is not a power of two, a descriptor table outside RAM. */
	for (int t = 0; t < 2; t++) {
		mmio_write32(b + 0x70, 0);
		mmio_write32(b + 0x70, 3);
		mmio_write32(b + 0x24, 1);
		mmio_write32(b + 0x20, 1);
		mmio_write32(b + 0x70, 3 | 8);
		mmio_write32(b + 0x30, 0);
		mmio_write32(b + 0x38, t == 0 ? 3 : 8);
		mmio_write32(b + 0x80, t == 0 ? 0x300000 : 0xbff00000);
		mmio_write32(b + 0x90, 0x301000);
		mmio_write32(b + 0xa0, 0x302000);
		mmio_write32(b + 0x44, 1);
		ok = (mmio_read32(b + 0x70) & 0x40) && !mmio_read32(b + 0x44);
		printf("%s: %s\n", t == 0 ? "queue size 3" : "descriptors outside RAM",
		       ok ? "queue refused, DEVICE_NEEDS_RESET" : "ACCEPTED");
		bad += !ok;
	}
	/* 5. Reads of unknown registers and 8-bit accesses to registers answer 0, and nothing breaks. */
	ok = mmio_read32(b + 0x0f0) == 0 && *(volatile uint8_t *)(b + 0x70) == 0;
	printf("odd accesses: %s\n", ok ? "read as 0" : "WRONG");
	bad += !ok;
	return bad;
}

void guest_start(const char *cmdline)
{
	char what[16] = "";
	idt_init();
	cmdline_get(cmdline, "do", what, sizeof(what));
	if (memcmp(what, "evil", 5) == 0)
		exit(evil());
	if (memcmp(what, "negotiate", 10) == 0) {
		int bad = negotiate();
		if (!bad &&
		    (virtio_open(2, &dev, queues, 1, true) < 0 || request(T_IN, 0, sector, true) != 0))
			bad = 1;
		printf("negotiate: %s\n", bad ? "FAILED" : "device works after a reset");
		exit(bad);
	}
	bool ro = cmdline_u64(cmdline, "ro", 0);
	if (virtio_open(2, &dev, queues, 1, true) < 0) {
		printf("no virtio-blk device\n");
		exit(1);
	}
	if (request(T_IN, 0, sector, true) != 0) {
		printf("read of sector 0 failed\n");
		exit(1);
	}
	memcpy(first, sector, sizeof(first));
	sector[511] = 0;
	for (int i = 0; i < 511; i++)
		if (sector[i] == '\n')
			sector[i] = 0;
	printf("sector 0: %s\n", (char *)sector);

	memset(sector, 0, sizeof(sector));
	const char msg[] = "written by the capsa guest\n";
	memcpy(sector, msg, sizeof(msg) - 1);
	long st = request(T_OUT, 1, sector, true);
	if (ro) {
		printf("write to a read-only disk: status %ld\n", st);
		exit(st == 1 ? 0 : 1);
	}
	if (st != 0 || request(T_IN, 1, readback, true) != 0 || memcmp(readback, sector, 512) != 0) {
		printf("write/read back of sector 1 failed\n");
		exit(1);
	}
	/* Sectors 0 and 1 in one request, one buffer each: on a copy-on-write disk the first comes from the
	 * image and the second from the overlay. */
	hdr = (struct req){.type = T_IN, .sector = 0};
	status = 0xff;
	struct vbuf b2[4] = {{&hdr, sizeof(hdr), false},
			     {two[0], 512, true},
			     {two[1], 512, true},
			     {(void *)&status, 1, true}};
	vq_post(&dev, 0, b2, 4);
	if (vq_wait(&dev, 0) < 0 || status != 0 || memcmp(two[0], first, 512) != 0 ||
	    memcmp(two[1], sector, 512) != 0) {
		printf("read of sectors 0-1 in one request failed\n");
		exit(1);
	}
	if (request(T_FLUSH, 0, 0, false) != 0) {
		printf("flush failed\n");
		exit(1);
	}
	/* A read past the end must fail cleanly. */
	long past = request(T_IN, cmdline_u64(cmdline, "sectors", 1u << 30), readback, true);
	printf("sector 1 written and read back, sectors 0-1 read in one request; read past the end: status %ld; irqs %u\n",
	       past, dev.irqs);
	exit(dev.irqs > 0 && past == 1 ? 0 : 1);
}
