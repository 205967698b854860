/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-net: reads its MAC from config space, sends an ARP request (who-has 192.0.2.1, from 192.0.2.15),
 * then echoes count=N frames of the local experimental ethertype 0x88b5 back to their sender (other frames,
 * such as the host's IPv6 chatter, are ignored). do=evil first posts transmit descriptors outside RAM and
 * checks the device refuses them (DEVICE_NEEDS_RESET) and works again after a reset.
 */
#include "lib.h"

#define HDR 12 /* virtio_net_hdr_v1 */
#define ETH_ECHO 0x88b5

static struct vq queues[2];
static struct vdev dev;
static uint8_t mac[6];
static uint8_t rxbuf[HDR + 2048], txbuf[HDR + 2048];

static long send(size_t len)
{
	memset(txbuf, 0, HDR);
	struct vbuf b = {txbuf, (uint32_t)(HDR + len), false};
	vq_post(&dev, 1, &b, 1);
	return vq_wait(&dev, 1);
}

static int open_dev(void)
{
	if (virtio_open(1, &dev, queues, 2, true) < 0)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = *(volatile uint8_t *)(dev.base + 0x100 + i);
	return 0;
}

static long send_arp(void)
{
	uint8_t *f = txbuf + HDR;
	static const uint8_t spa[4] = {192, 0, 2, 15}, tpa[4] = {192, 0, 2, 1};
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x08, f[13] = 0x06;
	static const uint8_t arp_hdr[8] = {0, 1, 8, 0, 6, 4, 0, 1}; /* Ethernet, IPv4, request */
	memcpy(f + 14, arp_hdr, 8);
	memcpy(f + 22, mac, 6);
	memcpy(f + 28, spa, 4);
	memset(f + 32, 0, 6);
	memcpy(f + 38, tpa, 4);
	return send(42);
}

static int evil(void)
{
	static const char *names[] = {"buffer outside RAM", "header-only chain"};
	for (unsigned t = 0; t < 2; t++) {
		if (open_dev() < 0) {
			printf("evil: reopen failed\n");
			return 1;
		}
		struct vbuf b = {(void *)0x7fff0000000ull, 64, false};
		if (t == 1)
			b = (struct vbuf){txbuf, HDR, false};
		vq_post(&dev, 1, &b, 1);
		long r = vq_wait(&dev, 1);
		uint32_t st = virtio_status(&dev);
		if (t == 0) {
			printf("evil %s: %s\n", names[t], r < 0 && (st & 0x40) ? "refused" : "ACCEPTED");
			if (!(r < 0 && (st & 0x40)))
				return 1;
		} else {
			/* Well-formed but empty: dropped, and the queue goes on. */
			printf("evil %s: %s\n", names[t],
			       r == 0 && !(st & 0x40) ? "dropped" : "BROKE THE DEVICE");
			if (!(r == 0 && !(st & 0x40)))
				return 1;
		}
	}
	return 0;
}

void guest_start(const char *cmdline)
{
	idt_init();
	char mode[16] = "";
	cmdline_get(cmdline, "do", mode, sizeof(mode));
	if (!memcmp(mode, "evil", 5) && evil() != 0)
		exit(1);
	if (open_dev() < 0) {
		printf("no virtio-net device\n");
		exit(1);
	}
	printf("net: mac %x:%x:%x:%x:%x:%x\n", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	struct vbuf rb = {rxbuf, sizeof(rxbuf), true};
	vq_post(&dev, 0, &rb, 1);
	if (send_arp() < 0) {
		printf("net: transmit failed\n");
		exit(1);
	}
	printf("net: arp sent\n");
	uint64_t count = cmdline_u64(cmdline, "count", 1), echoed = 0, ignored = 0;
	while (echoed < count) {
		long n = vq_wait(&dev, 0);
		if (n < HDR + 14) {
			printf("net: receive failed (%ld)\n", n);
			exit(1);
		}
		const uint8_t *f = rxbuf + HDR;
		if (f[12] == (ETH_ECHO >> 8) && f[13] == (ETH_ECHO & 0xff) && !memcmp(f, mac, 6)) {
			uint8_t *o = txbuf + HDR;
			size_t len = (size_t)n - HDR;
			memcpy(o, f + 6, 6);
			memcpy(o + 6, mac, 6);
			memcpy(o + 12, f + 12, len - 12);
			if (send(len) < 0) {
				printf("net: transmit failed\n");
				exit(1);
			}
			echoed++;
		} else {
			ignored++;
		}
		vq_post(&dev, 0, &rb, 1);
	}
	printf("net: echoed %u frames, ignored %u, irqs %u\n", (unsigned)echoed, (unsigned)ignored, dev.irqs);
	exit(0);
}
