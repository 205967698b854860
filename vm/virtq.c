/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Split virtqueues (virtio 1.x, section 2.7). Everything here reads memory the guest controls and may change
 * at any moment: each index and length is read once, checked, and only then used; a rule broken by the guest
 * kills the queue (the device then reports DEVICE_NEEDS_RESET) and never the VMM.
 */
#include "vm/internal.h"
#include "common/cleanup.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
} __attribute__((packed));

static size_t desc_bytes(uint16_t num)
{
	return 16u * num;
}

static size_t avail_bytes(uint16_t num)
{
	return 4 + 2u * num + 2; /* flags, idx, ring, used_event */
}

static size_t used_bytes(uint16_t num)
{
	return 4 + 8u * num + 2; /* flags, idx, ring of {id, len}, avail_event */
}

int virtq_validate(const struct virtq *q, const struct vm_mem *m, struct capsa_error **err)
{
	if (q->num == 0 || q->num > VIRTQ_MAX_SIZE || (q->num & (q->num - 1)))
		return capsa_error_set(err, EINVAL, "queue size %u is not a power of two up to %u", q->num,
				       VIRTQ_MAX_SIZE);
	/* Alignment from the spec: 16 for descriptors, 2 for avail, 4 for used. */
	if ((q->desc & 15) || (q->avail & 1) || (q->used & 3))
		return capsa_error_set(err, EINVAL,
				       "misaligned queue areas (desc %#llx avail %#llx used %#llx)",
				       (unsigned long long)q->desc, (unsigned long long)q->avail,
				       (unsigned long long)q->used);
	if (!vm_mem_ptr(m, q->desc, desc_bytes(q->num)))
		return capsa_error_set(err, EFAULT, "descriptor table at %#llx is outside guest memory",
				       (unsigned long long)q->desc);
	if (!vm_mem_ptr(m, q->avail, avail_bytes(q->num)))
		return capsa_error_set(err, EFAULT, "available ring at %#llx is outside guest memory",
				       (unsigned long long)q->avail);
	if (!vm_mem_ptr(m, q->used, used_bytes(q->num)))
		return capsa_error_set(err, EFAULT, "used ring at %#llx is outside guest memory",
				       (unsigned long long)q->used);
	return 0;
}

static __attribute__((format(printf, 3, 4))) int broken(struct virtq *q, struct capsa_error **err,
							const char *fmt, ...)
{
	q->broken = true;
	va_list ap;
	va_start(ap, fmt);
	capsa_error_setv(err, EPROTO, fmt, ap);
	va_end(ap);
	return -1;
}

int virtq_pop(struct virtq *q, const struct vm_mem *m, struct virtq_chain *c, struct capsa_error **err)
{
	if (q->broken)
		return capsa_error_set(err, EPROTO, "queue is broken");
	if (!q->ready)
		return 0;
	/* The areas were checked when the queue became ready, but memory size does not change after, so the
	 * pointers stay valid. Check again anyway: it is cheap and keeps this function safe on its own. */
	uint8_t *avail = vm_mem_ptr(m, q->avail, avail_bytes(q->num));
	struct vring_desc *desc = vm_mem_ptr(m, q->desc, desc_bytes(q->num));
	if (!avail || !desc)
		return broken(q, err, "queue areas outside guest memory (%u/%u)", !avail, !desc);

	uint16_t avail_idx = __atomic_load_n((uint16_t *)(avail + 2), __ATOMIC_ACQUIRE);
	uint16_t pending = (uint16_t)(avail_idx - q->last_avail);
	if (pending == 0)
		return 0;
	if (pending > q->num)
		return broken(q, err, "available index moved by %u in a queue of %u", pending, q->num);

	uint16_t head;
	memcpy(&head, avail + 4 + 2u * (q->last_avail % q->num), sizeof(head));
	if (head >= q->num)
		return broken(q, err, "head descriptor %u out of range (queue of %u)", head, q->num);

	c->head = head;
	c->n = 0;
	c->in_len = c->out_len = 0;
	uint16_t i = head;
	for (;;) {
		struct vring_desc d;
		/* One copy: the guest may rewrite the descriptor while we look at it. */
		memcpy(&d, &desc[i], sizeof(d));
		if (c->n >= q->num)
			return broken(q, err,
				      "descriptor chain from %u is longer than the queue (%u): a loop?", head,
				      q->num);
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return broken(q, err, "indirect descriptor %u was not negotiated", i);
		bool w = d.flags & VIRTQ_DESC_F_WRITE;
		if (!w && c->in_len)
			return broken(q, err, "readable descriptor %u after a writable one (chain %u)", i,
				      head);
		uint8_t *p = vm_mem_ptr(m, d.addr, d.len);
		if (!p)
			return broken(q, err, "descriptor %u points outside guest memory (len %u)", i, d.len);
		uint32_t *total = w ? &c->in_len : &c->out_len;
		if (*total + d.len < *total)
			return broken(q, err, "descriptor %u: chain length overflows (len %u)", i, d.len);
		*total += d.len;
		c->iov[c->n++] = (struct virtq_iov){.ptr = p, .len = d.len, .write = w};
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		if (d.next >= q->num)
			return broken(q, err, "descriptor %u: next %u out of range", i, d.next);
		i = d.next;
	}
	q->last_avail++;
	return 1;
}

int virtq_push(struct virtq *q, const struct vm_mem *m, uint16_t head, uint32_t len, struct capsa_error **err)
{
	uint8_t *used = vm_mem_ptr(m, q->used, used_bytes(q->num));
	if (!used || q->num == 0) {
		q->broken = true;
		return capsa_error_set(err, EFAULT, "used ring outside guest memory");
	}
	uint32_t elem[2] = {head, len};
	memcpy(used + 4 + 8u * (q->used_idx % q->num), elem, sizeof(elem));
	q->used_idx++;
	/* The element must be visible before the index that publishes it. */
	__atomic_store_n((uint16_t *)(used + 2), q->used_idx, __ATOMIC_RELEASE);
	return 0;
}

bool virtq_need_irq(const struct virtq *q, const struct vm_mem *m)
{
	uint8_t *avail = vm_mem_ptr(m, q->avail, avail_bytes(q->num));
	if (!avail)
		return true;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	uint16_t flags = __atomic_load_n((uint16_t *)avail, __ATOMIC_RELAXED);
	return !(flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

static size_t chain_copy(const struct virtq_chain *c, bool write, size_t off, uint8_t *buf, size_t len)
{
	size_t done = 0;
	for (unsigned i = 0; i < c->n && done < len; i++) {
		const struct virtq_iov *v = &c->iov[i];
		if (v->write != write)
			continue;
		if (off >= v->len) {
			off -= v->len;
			continue;
		}
		size_t n = v->len - off;
		if (n > len - done)
			n = len - done;
		if (write)
			memcpy(v->ptr + off, buf + done, n);
		else
			memcpy(buf + done, v->ptr + off, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t virtq_chain_read(const struct virtq_chain *c, size_t off, void *buf, size_t len)
{
	return chain_copy(c, false, off, buf, len);
}

size_t virtq_chain_write(const struct virtq_chain *c, size_t off, const void *buf, size_t len)
{
	return chain_copy(c, true, off, (uint8_t *)buf, len);
}
