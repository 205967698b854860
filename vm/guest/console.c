/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-console: writes a greeting through the transmit queue, reads one line from the receive queue and
 * echoes it back in capitals. lines=N echoes N lines (default 1).
 */
#include "lib.h"

static struct vq queues[2];
static struct vdev dev;
static char rx[64], tx[256];

static void send(const char *s, size_t n)
{
	memcpy(tx, s, n);
	struct vbuf b = {tx, (uint32_t)n, false};
	vq_post(&dev, 1, &b, 1);
	vq_wait(&dev, 1);
}

void guest_start(const char *cmdline)
{
	idt_init();
	if (virtio_open(3, &dev, queues, 2, true) < 0) {
		printf("no virtio-console device\n");
		exit(1);
	}
	printf("uart: console guest up\n");
	const char hi[] = "console: ready\n";
	send(hi, sizeof(hi) - 1);
	uint64_t lines = cmdline_u64(cmdline, "lines", 1);
	char line[200];
	size_t len = 0;
	while (lines) {
		struct vbuf b = {rx, sizeof(rx), true};
		vq_post(&dev, 0, &b, 1);
		long n = vq_wait(&dev, 0);
		if (n < 0) {
			printf("receive failed\n");
			exit(1);
		}
		for (long i = 0; i < n; i++) {
			char c = rx[i];
			if (c >= 'a' && c <= 'z')
				c -= 32;
			if (len < sizeof(line))
				line[len++] = c;
			if (c == '\n') {
				send(line, len);
				len = 0;
				lines--;
			}
		}
	}
	printf("uart: irqs %u\n", dev.irqs);
	exit(0);
}
