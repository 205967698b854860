/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-console with one port: the guest process's stdio, apart from the kernel's messages on the UART (and,
 * as a second device with output only, its stderr).
 * Output leaves in whole buffers (one exit-free kick per batch, one writev per buffer) instead of an exit per
 * character. Input is read only while the guest has posted buffers to take it.
 */
#include "vm/internal.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_F_VERSION_1 (1ull << 32)
#define RXQ 0
#define TXQ 1

struct vcon {
	struct vm *vm;
	struct virtio_mmio *t;
	int in_fd, out_fd;
	bool watching, paused, eof;
	char pending[4096];
	size_t pending_len, pending_off;
	struct virtio_dev_ops ops;
	struct virtq_chain chain;
	struct iovec iov[VIRTQ_MAX_SIZE];
};

static void tx(struct vcon *c, struct virtio_mmio *t, struct virtq *q)
{
	const struct vm_mem *m = virtio_mmio_mem(t);
	struct capsa_error *err = NULL;
	bool used = false;
	for (;;) {
		int r = virtq_pop(q, m, &c->chain, &err);
		if (r == 0)
			break;
		if (r < 0) {
			virtio_mmio_fail(t, &err);
			return;
		}
		int n = 0;
		for (unsigned i = 0; i < c->chain.n; i++)
			if (!c->chain.iov[i].write)
				c->iov[n++] = (struct iovec){.iov_base = c->chain.iov[i].ptr,
							     .iov_len = c->chain.iov[i].len};
		size_t want = c->chain.out_len, done = 0;
		/* A closed or full output loses the guest's bytes, never blocks the VM's other devices
		 * forever. */
		while (c->out_fd >= 0 && done < want) {
			ssize_t w = writev(c->out_fd, c->iov, n);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				capsa_debug("vm: console output: %m");
				break;
			}
			done += w;
			if (done < want) {
				/* Rare short write: finish it byte-exact with a flat copy. */
				char buf[4096];
				while (done < want) {
					size_t k = virtq_chain_read(&c->chain, done, buf, sizeof(buf));
					if (capsa_write_all(c->out_fd, buf, k) < 0)
						break;
					done += k;
				}
				break;
			}
		}
		if (virtq_push(q, m, c->chain.head, 0, &err) < 0) {
			virtio_mmio_fail(t, &err);
			return;
		}
		used = true;
	}
	if (used && virtq_need_irq(q, m))
		virtio_mmio_interrupt(t);
}

static void set_paused(struct vcon *c, bool pause)
{
	if (!c->watching || c->paused == pause)
		return;
	if (vm_watch_pause(c->vm, c->in_fd, pause) == 0)
		c->paused = pause;
}

/* Moves pending input into the guest's receive buffers; reads more when all of it went in. */
static void rx(struct vcon *c, struct virtio_mmio *t, bool readable)
{
	struct virtq *q = virtio_mmio_queue(t, RXQ);
	const struct vm_mem *m = virtio_mmio_mem(t);
	struct capsa_error *err = NULL;
	bool used = false;
	for (;;) {
		if (c->pending_off == c->pending_len && !c->eof && (readable || !c->watching)) {
			ssize_t n = read(c->in_fd, c->pending, sizeof(c->pending));
			readable = false;
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
				c->eof = true;
			c->pending_off = 0;
			c->pending_len = n > 0 ? (size_t)n : 0;
		}
		if (c->pending_off == c->pending_len || !q)
			break;
		int r = virtq_pop(q, m, &c->chain, &err);
		if (r < 0) {
			virtio_mmio_fail(t, &err);
			return;
		}
		if (r == 0)
			break;
		size_t k = virtq_chain_write(&c->chain, 0, c->pending + c->pending_off,
					     c->pending_len - c->pending_off);
		c->pending_off += k;
		if (virtq_push(q, m, c->chain.head, (uint32_t)k, &err) < 0) {
			virtio_mmio_fail(t, &err);
			return;
		}
		used = true;
		if (!c->watching)
			break; /* a file: one buffer per kick keeps a large input from starving the vCPU */
	}
	/* Input we cannot place waits for the guest's next receive buffers instead of spinning epoll. */
	set_paused(c, c->eof || c->pending_off < c->pending_len);
	if (used && virtq_need_irq(q, m))
		virtio_mmio_interrupt(t);
}

static void vcon_notify(void *dev, struct virtio_mmio *t, unsigned qi)
{
	struct vcon *c = dev;
	struct virtq *q = virtio_mmio_queue(t, qi);
	if (qi == TXQ && q)
		tx(c, t, q);
	else if (qi == RXQ && c->in_fd >= 0)
		rx(c, t, false);
}

static void vcon_input(void *dev, int fd)
{
	struct vcon *c = dev;
	virtio_mmio_lock(c->t);
	rx(c, c->t, true);
	virtio_mmio_unlock(c->t);
}

static void vcon_destroy(void *state)
{
	struct vcon *c = state;
	virtio_mmio_destroy(c->t);
	free(c);
}

static int vcon_add(struct vm *vm, int in_fd, int out_fd, unsigned *virtio_index, void **state,
		    struct capsa_error **err)
{
	struct vcon *c = xzalloc(sizeof(*c));
	c->vm = vm;
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	c->ops = (struct virtio_dev_ops){
		.device_id = VIRTIO_ID_CONSOLE,
		.features = VIRTIO_F_VERSION_1,
		.nqueues = 2,
		.notify = vcon_notify,
	};
	if (virtio_mmio_create(vm, *virtio_index, &c->ops, c, &c->t, err) < 0) {
		vcon_destroy(c);
		return -1;
	}
	if (c->in_fd >= 0) {
		struct capsa_error *e = NULL;
		if (vm_watch_fd(vm, c->in_fd, vcon_input, c, &e) == 0) {
			c->watching = true;
		} else if (e->errnum == EPERM) {
			/* A regular file cannot be polled (and is always readable): read it when the guest
			 * asks. */
			capsa_error_clear(&e);
		} else {
			capsa_error_set(err, e->errnum, "console input: %s", e->msg);
			capsa_error_clear(&e);
			vcon_destroy(c);
			return -1;
		}
	}
	(*virtio_index)++;
	*state = c;
	return 0;
}

static int vcon_init(struct vm *vm, const struct capsa_vm_config *cfg, unsigned *virtio_index, void **state,
		     struct capsa_error **err)
{
	if (cfg->console_out_fd < 0)
		return 0;
	return vcon_add(vm, cfg->console_in_fd, cfg->console_out_fd, virtio_index, state, err);
}

/* The guest's stderr apart from its stdout, as a container's: a console with no input. */
static int vcon_err_init(struct vm *vm, const struct capsa_vm_config *cfg, unsigned *virtio_index,
			 void **state, struct capsa_error **err)
{
	if (cfg->console_err_fd <= 0)
		return 0;
	return vcon_add(vm, -1, cfg->console_err_fd, virtio_index, state, err);
}

const struct vm_device vm_dev_virtio_console = {
	.name = "virtio-console", .init = vcon_init, .destroy = vcon_destroy};

const struct vm_device vm_dev_virtio_console_err = {
	.name = "virtio-console (stderr)", .init = vcon_err_init, .destroy = vcon_destroy};
