/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The virtio-mmio transport (virtio 1.x, version 2 registers), separate from the devices behind it. Queue
 * notifications arrive through ioeventfds where KVM offers them, so a kick costs the guest no exit to user
 * space; the queue then runs on the VMM's I/O thread. Interrupts go out through an irqfd.
 */
#include "vm/internal.h"
#include "common/cleanup.h"
#include "common/log.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define VIRTIO_MMIO_MAGIC 0x74726976 /* "virt" */
#define VIRTIO_F_VERSION_1 (1ull << 32)
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_INT_USED 1
#define VIRTIO_INT_CONFIG 2
#define VIRTIO_MAX_QUEUES 4

enum {
	REG_MAGIC = 0x000,
	REG_VERSION = 0x004,
	REG_DEVICE_ID = 0x008,
	REG_VENDOR_ID = 0x00c,
	REG_DEVICE_FEATURES = 0x010,
	REG_DEVICE_FEATURES_SEL = 0x014,
	REG_DRIVER_FEATURES = 0x020,
	REG_DRIVER_FEATURES_SEL = 0x024,
	REG_QUEUE_SEL = 0x030,
	REG_QUEUE_NUM_MAX = 0x034,
	REG_QUEUE_NUM = 0x038,
	REG_QUEUE_READY = 0x044,
	REG_QUEUE_NOTIFY = 0x050,
	REG_INTERRUPT_STATUS = 0x060,
	REG_INTERRUPT_ACK = 0x064,
	REG_STATUS = 0x070,
	REG_QUEUE_DESC_LOW = 0x080,
	REG_QUEUE_DESC_HIGH = 0x084,
	REG_QUEUE_DRIVER_LOW = 0x090,
	REG_QUEUE_DRIVER_HIGH = 0x094,
	REG_QUEUE_DEVICE_LOW = 0x0a0,
	REG_QUEUE_DEVICE_HIGH = 0x0a4,
	REG_CONFIG_GENERATION = 0x0fc,
	REG_CONFIG = 0x100,
};

struct notify_watch {
	struct virtio_mmio *t;
	unsigned q;
	int fd;
};

struct virtio_mmio {
	struct vm *vm;
	const struct virtio_dev_ops *ops;
	void *dev;
	unsigned index;
	uint64_t base;
	unsigned gsi;
	pthread_mutex_t lock;
	uint32_t status, features_sel, driver_features_sel, queue_sel, int_status;
	uint64_t driver_features;
	struct virtq q[VIRTIO_MAX_QUEUES];
	struct notify_watch notify[VIRTIO_MAX_QUEUES];
};

void virtio_mmio_lock(struct virtio_mmio *t)
{
	pthread_mutex_lock(&t->lock);
}

void virtio_mmio_unlock(struct virtio_mmio *t)
{
	pthread_mutex_unlock(&t->lock);
}

const struct vm_mem *virtio_mmio_mem(struct virtio_mmio *t)
{
	return vm_guest_mem(t->vm);
}

struct virtq *virtio_mmio_queue(struct virtio_mmio *t, unsigned q)
{
	if (q >= t->ops->nqueues || !(t->status & VIRTIO_STATUS_DRIVER_OK) ||
	    (t->status & VIRTIO_STATUS_NEEDS_RESET))
		return NULL;
	struct virtq *vq = &t->q[q];
	return vq->ready && !vq->broken ? vq : NULL;
}

void virtio_mmio_interrupt(struct virtio_mmio *t)
{
	__atomic_or_fetch(&t->int_status, VIRTIO_INT_USED, __ATOMIC_SEQ_CST);
	vm_irq_raise(t->vm, t->gsi);
}

void virtio_mmio_fail(struct virtio_mmio *t, struct capsa_error **err)
{
	capsa_warn("vm: virtio device %u (id %u): %s; device needs a reset", t->index, t->ops->device_id,
		   err && *err ? (*err)->msg : "error");
	capsa_error_clear(err);
	t->status |= VIRTIO_STATUS_NEEDS_RESET;
	__atomic_or_fetch(&t->int_status, VIRTIO_INT_CONFIG, __ATOMIC_SEQ_CST);
	vm_irq_raise(t->vm, t->gsi);
}

static void reset(struct virtio_mmio *t)
{
	t->status = t->features_sel = t->driver_features_sel = t->queue_sel = 0;
	t->driver_features = 0;
	__atomic_store_n(&t->int_status, 0, __ATOMIC_SEQ_CST);
	memset(t->q, 0, sizeof(t->q));
	if (t->ops->reset)
		t->ops->reset(t->dev);
}

static void kick(struct virtio_mmio *t, unsigned q)
{
	if (q < t->ops->nqueues && virtio_mmio_queue(t, q))
		t->ops->notify(t->dev, t, q);
}

static void set_addr(uint64_t *a, uint32_t v, bool high)
{
	*a = high ? (*a & 0xffffffffull) | ((uint64_t)v << 32) : (*a & ~0xffffffffull) | v;
}

static void write_reg(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
	struct virtq *q = t->queue_sel < t->ops->nqueues ? &t->q[t->queue_sel] : NULL;
	switch (off) {
	case REG_DEVICE_FEATURES_SEL:
		t->features_sel = v;
		break;
	case REG_DRIVER_FEATURES_SEL:
		t->driver_features_sel = v;
		break;
	case REG_DRIVER_FEATURES:
		if (t->driver_features_sel < 2)
			set_addr(&t->driver_features, v, t->driver_features_sel == 1);
		break;
	case REG_QUEUE_SEL:
		t->queue_sel = v;
		break;
	case REG_QUEUE_NUM:
		if (q && !q->ready)
			q->num = (uint16_t)(v <= VIRTQ_MAX_SIZE ? v : 0);
		break;
	case REG_QUEUE_READY:
		if (!q)
			break;
		if (v == 1 && !q->ready) {
			struct capsa_error *err = NULL;
			if (virtq_validate(q, vm_guest_mem(t->vm), &err) < 0) {
				capsa_error_prefix(&err, "queue %u", t->queue_sel);
				virtio_mmio_fail(t, &err);
				break;
			}
			q->ready = true;
		} else if (v == 0) {
			q->ready = false;
		}
		break;
	case REG_QUEUE_NOTIFY:
		kick(t, v);
		break;
	case REG_INTERRUPT_ACK:
		__atomic_and_fetch(&t->int_status, ~v, __ATOMIC_SEQ_CST);
		break;
	case REG_STATUS:
		if (v == 0) {
			reset(t);
			break;
		}
		/* Only the feature bits we offered may be accepted, and a 1.x driver must accept VERSION_1.
		 */
		if ((v & VIRTIO_STATUS_FEATURES_OK) && !(t->status & VIRTIO_STATUS_FEATURES_OK) &&
		    ((t->driver_features & ~t->ops->features) || !(t->driver_features & VIRTIO_F_VERSION_1)))
			v &= ~VIRTIO_STATUS_FEATURES_OK;
		t->status = v | (t->status & VIRTIO_STATUS_NEEDS_RESET);
		break;
	case REG_QUEUE_DESC_LOW:
	case REG_QUEUE_DESC_HIGH:
		if (q && !q->ready)
			set_addr(&q->desc, v, off == REG_QUEUE_DESC_HIGH);
		break;
	case REG_QUEUE_DRIVER_LOW:
	case REG_QUEUE_DRIVER_HIGH:
		if (q && !q->ready)
			set_addr(&q->avail, v, off == REG_QUEUE_DRIVER_HIGH);
		break;
	case REG_QUEUE_DEVICE_LOW:
	case REG_QUEUE_DEVICE_HIGH:
		if (q && !q->ready)
			set_addr(&q->used, v, off == REG_QUEUE_DEVICE_HIGH);
		break;
	}
}

static uint32_t read_reg(struct virtio_mmio *t, uint64_t off)
{
	struct virtq *q = t->queue_sel < t->ops->nqueues ? &t->q[t->queue_sel] : NULL;
	switch (off) {
	case REG_MAGIC:
		return VIRTIO_MMIO_MAGIC;
	case REG_VERSION:
		return 2;
	case REG_DEVICE_ID:
		return t->ops->device_id;
	case REG_VENDOR_ID:
		return 0x41535043; /* "CPSA" */
	case REG_DEVICE_FEATURES:
		return t->features_sel < 2 ? (uint32_t)(t->ops->features >> (32 * t->features_sel)) : 0;
	case REG_QUEUE_NUM_MAX:
		return q ? VIRTQ_MAX_SIZE : 0;
	case REG_QUEUE_READY:
		return q ? q->ready : 0;
	case REG_INTERRUPT_STATUS:
		return __atomic_load_n(&t->int_status, __ATOMIC_SEQ_CST);
	case REG_STATUS:
		return t->status;
	case REG_CONFIG_GENERATION:
		return 0;
	}
	return 0;
}

static void mmio_io(void *dev, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct virtio_mmio *t = dev;
	pthread_mutex_lock(&t->lock);
	if (off >= REG_CONFIG) {
		if (is_write)
			; /* config space is read-only for the devices here */
		else if (t->ops->config_read)
			t->ops->config_read(t->dev, off - REG_CONFIG, data, len);
		else
			memset(data, 0, len);
	} else if (len != 4 || (off & 3)) {
		/* The spec allows only aligned 32-bit register accesses. */
		if (!is_write)
			memset(data, 0, len);
	} else if (is_write) {
		uint32_t v;
		memcpy(&v, data, 4);
		write_reg(t, off, v);
	} else {
		uint32_t v = read_reg(t, off);
		memcpy(data, &v, 4);
	}
	pthread_mutex_unlock(&t->lock);
}

static void notify_event(void *dev, int fd)
{
	struct notify_watch *w = dev;
	uint64_t n;
	if (read(fd, &n, sizeof(n)) < 0)
		return;
	virtio_mmio_lock(w->t);
	kick(w->t, w->q);
	virtio_mmio_unlock(w->t);
}

int virtio_mmio_create(struct vm *vm, unsigned index, const struct virtio_dev_ops *ops, void *dev,
		       struct virtio_mmio **out, struct capsa_error **err)
{
	if (ops->nqueues > VIRTIO_MAX_QUEUES)
		return capsa_error_set(err, EINVAL, "%u queues, at most %d", ops->nqueues, VIRTIO_MAX_QUEUES);
	struct virtio_mmio *t = xzalloc(sizeof(*t));
	t->vm = vm;
	t->ops = ops;
	t->dev = dev;
	t->index = index;
	t->base = CAPSA_VM_VIRTIO_BASE + 0x1000ull * index;
	t->gsi = CAPSA_VM_VIRTIO_IRQ + index;
	pthread_mutex_init(&t->lock, NULL);
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		t->notify[i].fd = -1;
	if (vm_register_io(vm, VM_BUS_MMIO, t->base, 0x1000, mmio_io, t, err) < 0) {
		virtio_mmio_destroy(t);
		return -1;
	}
	for (unsigned i = 0; i < ops->nqueues; i++) {
		struct capsa_error *e = NULL;
		int fd = vm_ioeventfd(vm, t->base + REG_QUEUE_NOTIFY, i, &e);
		if (fd < 0) {
			/* Without it the notify write exits to us and is handled on the vCPU thread: slower,
			 * same. */
			capsa_debug("vm: virtio %u queue %u: %s", index, i, e->msg);
			capsa_error_clear(&e);
			continue;
		}
		t->notify[i] = (struct notify_watch){.t = t, .q = i, .fd = fd};
		if (vm_watch_fd(vm, fd, notify_event, &t->notify[i], err) < 0) {
			virtio_mmio_destroy(t);
			return -1;
		}
	}
	*out = t;
	return 0;
}

void virtio_mmio_destroy(struct virtio_mmio *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		if (t->notify[i].fd >= 0)
			close(t->notify[i].fd);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

char *virtio_mmio_cmdline(unsigned index)
{
	return xasprintf("virtio_mmio.device=4K@%#llx:%u", CAPSA_VM_VIRTIO_BASE + 0x1000ull * index,
			 CAPSA_VM_VIRTIO_IRQ + index);
}
