/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-net on a tap device (IFF_TAP | IFF_NO_PI, no vnet header): frames leave the guest without the
 * 12-byte virtio_net_hdr and come in with a zeroed one. No offloads, so the header carries nothing but
 * num_buffers = 1. Each wakeup of the tap fd moves every frame the guest has room for; a frame without a
 * receive buffer waits (the tap fd is unwatched meanwhile) until the guest posts more.
 */
#include "vm/internal.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define VIRTIO_ID_NET 1
#define VIRTIO_NET_F_MAC (1ull << 5)
#define VIRTIO_F_VERSION_1 (1ull << 32)
#define RXQ 0
#define TXQ 1
#define NET_HDR_LEN 12 /* struct virtio_net_hdr_v1: VERSION_1 always has num_buffers */
/* The largest frame either way: a 64 KiB IP packet plus Ethernet and VLAN headers. */
#define FRAME_MAX (65535 + 18)

struct vnet {
	struct vm *vm;
	struct virtio_mmio *t;
	int tap_fd;
	uint8_t mac[6];
	bool watching, paused;
	size_t pending_len;			/* a frame read from the tap and not yet placed */
	uint8_t frame[NET_HDR_LEN + FRAME_MAX]; /* rx: header + the pending frame */
	uint8_t tx_frame[FRAME_MAX];		/* apart: a transmit must not clobber a pending frame */
	struct virtio_dev_ops ops;
	struct virtq_chain chain;
};

static void vnet_config_read(void *dev, uint64_t offset, uint8_t *data, uint32_t len)
{
	struct vnet *n = dev;
	for (uint32_t i = 0; i < len; i++)
		data[i] = offset + i < sizeof(n->mac) ? n->mac[offset + i] : 0;
}

static void tx(struct vnet *n, struct virtio_mmio *t, struct virtq *q)
{
	const struct vm_mem *m = virtio_mmio_mem(t);
	struct capsa_error *err = NULL;
	bool used = false;
	for (;;) {
		int r = virtq_pop(q, m, &n->chain, &err);
		if (r == 0)
			break;
		if (r < 0) {
			virtio_mmio_fail(t, &err);
			return;
		}
		/* A chain too short for the header or too long for a frame is the guest's mistake: it is
		 * returned unsent, the queue goes on. */
		uint32_t len = n->chain.out_len;
		if (len > NET_HDR_LEN && len - NET_HDR_LEN <= FRAME_MAX) {
			uint8_t *f = n->tx_frame;
			size_t k = virtq_chain_read(&n->chain, NET_HDR_LEN, f, len - NET_HDR_LEN);
			/* A full tap queue drops the frame, as a cable would, rather than stalling the VM. */
			if (write(n->tap_fd, f, k) < 0 && errno != EAGAIN)
				capsa_debug("vm: net transmit: %m");
		} else {
			capsa_debug("vm: net: dropped a transmit chain of %u bytes", len);
		}
		if (virtq_push(q, m, n->chain.head, 0, &err) < 0) {
			virtio_mmio_fail(t, &err);
			return;
		}
		used = true;
	}
	if (used && virtq_need_irq(q, m))
		virtio_mmio_interrupt(t);
}

static void set_paused(struct vnet *n, bool pause)
{
	if (!n->watching || n->paused == pause)
		return;
	if (vm_watch_pause(n->vm, n->tap_fd, pause) == 0)
		n->paused = pause;
}

/* Moves frames from the tap into the guest's receive buffers until either runs out. */
static void rx(struct vnet *n, struct virtio_mmio *t)
{
	struct virtq *q = virtio_mmio_queue(t, RXQ);
	const struct vm_mem *m = virtio_mmio_mem(t);
	struct capsa_error *err = NULL;
	bool used = false;
	while (q) {
		if (n->pending_len == 0) {
			ssize_t r = read(n->tap_fd, n->frame + NET_HDR_LEN, FRAME_MAX);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			n->pending_len = (size_t)r;
		}
		int r = virtq_pop(q, m, &n->chain, &err);
		if (r < 0) {
			virtio_mmio_fail(t, &err);
			return;
		}
		if (r == 0)
			break;
		size_t total = NET_HDR_LEN + n->pending_len;
		uint32_t written = 0;
		if (n->chain.in_len >= total) {
			memset(n->frame, 0, NET_HDR_LEN);
			n->frame[10] = 1; /* num_buffers, little-endian u16 */
			written = (uint32_t)virtq_chain_write(&n->chain, 0, n->frame, total);
		} else {
			/* Without MRG_RXBUF a frame must fit one chain; a short one gets nothing. */
			capsa_debug("vm: net: dropped a %zu-byte frame for a %u-byte buffer", total,
				    n->chain.in_len);
		}
		n->pending_len = 0;
		if (virtq_push(q, m, n->chain.head, written, &err) < 0) {
			virtio_mmio_fail(t, &err);
			return;
		}
		used = true;
	}
	set_paused(n, n->pending_len > 0 || !q);
	if (used && virtq_need_irq(q, m))
		virtio_mmio_interrupt(t);
}

static void vnet_notify(void *dev, struct virtio_mmio *t, unsigned qi)
{
	struct vnet *n = dev;
	struct virtq *q = virtio_mmio_queue(t, qi);
	if (qi == TXQ && q)
		tx(n, t, q);
	else if (qi == RXQ)
		rx(n, t);
}

static void vnet_input(void *dev, int fd)
{
	struct vnet *n = dev;
	virtio_mmio_lock(n->t);
	rx(n, n->t);
	virtio_mmio_unlock(n->t);
}

static void vnet_reset(void *dev)
{
	struct vnet *n = dev;
	n->pending_len = 0;
}

static void vnet_destroy(void *state)
{
	struct vnet *n = state;
	virtio_mmio_destroy(n->t);
	free(n);
}

static int vnet_init(struct vm *vm, const struct capsa_vm_config *cfg, unsigned *virtio_index, void **state,
		     struct capsa_error **err)
{
	if (cfg->net_tap_fd <= 0)
		return 0;
	struct vnet *n = xzalloc(sizeof(*n));
	n->vm = vm;
	n->tap_fd = cfg->net_tap_fd;
	memcpy(n->mac, cfg->net_mac, sizeof(n->mac));
	if (!(n->mac[0] | n->mac[1] | n->mac[2] | n->mac[3] | n->mac[4] | n->mac[5])) {
		/* A locally administered unicast address, so an unset MAC is never all-zero. */
		static const uint8_t dflt[6] = {0x02, 0xca, 0x95, 0xa0, 0x00, 0x01};
		memcpy(n->mac, dflt, sizeof(dflt));
	}
	n->ops = (struct virtio_dev_ops){
		.device_id = VIRTIO_ID_NET,
		.features = VIRTIO_F_VERSION_1 | VIRTIO_NET_F_MAC,
		.nqueues = 2,
		.config_read = vnet_config_read,
		.notify = vnet_notify,
		.reset = vnet_reset,
	};
	if (virtio_mmio_create(vm, *virtio_index, &n->ops, n, &n->t, err) < 0) {
		vnet_destroy(n);
		return -1;
	}
	if (vm_watch_fd(vm, n->tap_fd, vnet_input, n, err) < 0) {
		capsa_error_prefix(err, "network tap");
		vnet_destroy(n);
		return -1;
	}
	n->watching = true;
	/* rx() reads until the tap is empty: a blocking read would stall the event loop. */
	int fl = fcntl(n->tap_fd, F_GETFL);
	if (fl < 0 || fcntl(n->tap_fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		capsa_error_errno(err, "network tap: make it non-blocking");
		vnet_destroy(n);
		return -1;
	}
	(*virtio_index)++;
	*state = n;
	return 0;
}

const struct vm_device vm_dev_virtio_net = {.name = "virtio-net", .init = vnet_init, .destroy = vnet_destroy};
