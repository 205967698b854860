/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-blk backed by a file (or copy-on-write over one, blk_store.c). Requests run with preadv/pwritev
 * straight into guest memory; every sector range is checked against the file's size and every buffer
 * against guest RAM (virtq.c) before any I/O.
 */
#include "vm/internal.h"
#include "common/cleanup.h"
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define VIRTIO_ID_BLOCK 2
#define VIRTIO_BLK_F_RO (1ull << 5)
#define VIRTIO_BLK_F_FLUSH (1ull << 9)
#define VIRTIO_F_VERSION_1 (1ull << 32)

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#define SECTOR 512

struct blk {
	struct virtio_mmio *t;
	int fd;
	bool readonly;
	struct vm_cow *cow; /* NULL: writes go to the file */
	uint64_t sectors;
	struct virtio_dev_ops ops;
	struct virtq_chain chain; /* big: kept here, not on the stack */
	struct iovec iov[VIRTQ_MAX_SIZE];
};

struct blk_req {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* The chain's buffers of one direction as iovecs, skipping skip bytes and taking at most len. */
static int chain_iov(const struct virtq_chain *c, bool write, size_t skip, size_t len, struct iovec *iov)
{
	int n = 0;
	for (unsigned i = 0; i < c->n && len; i++) {
		const struct virtq_iov *v = &c->iov[i];
		if (v->write != write)
			continue;
		if (skip >= v->len) {
			skip -= v->len;
			continue;
		}
		size_t take = v->len - skip;
		if (take > len)
			take = len;
		iov[n++] = (struct iovec){.iov_base = v->ptr + skip, .iov_len = take};
		len -= take;
		skip = 0;
	}
	return n;
}

static uint8_t do_request(struct blk *b, const struct virtq_chain *c, uint32_t *written)
{
	struct blk_req req;
	*written = 1; /* the status byte */
	if (virtq_chain_read(c, 0, &req, sizeof(req)) != sizeof(req))
		return VIRTIO_BLK_S_IOERR;
	size_t data_in = c->in_len - 1; /* writable bytes before the status */
	size_t data_out = c->out_len - sizeof(req);
	switch (req.type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT: {
		bool in = req.type == VIRTIO_BLK_T_IN;
		size_t len = in ? data_in : data_out;
		if (in && data_out != 0)
			return VIRTIO_BLK_S_IOERR;
		if (!in && b->readonly)
			return VIRTIO_BLK_S_IOERR;
		if (len % SECTOR || req.sector > b->sectors || len / SECTOR > b->sectors - req.sector)
			return VIRTIO_BLK_S_IOERR;
		int n = chain_iov(c, in, in ? 0 : sizeof(req), len, b->iov);
		int r = b->cow ? vm_cow_io(b->cow, !in, b->iov, n, req.sector, len)
			       : vm_blk_rw(b->fd, !in, b->iov, n, req.sector * SECTOR, len);
		if (r < 0)
			return VIRTIO_BLK_S_IOERR;
		if (in)
			*written += len;
		return VIRTIO_BLK_S_OK;
	}
	case VIRTIO_BLK_T_FLUSH:
		/* The overlay of a copy-on-write disk is thrown away with the VM: nothing to make durable. */
		if (b->cow)
			return VIRTIO_BLK_S_OK;
		return fdatasync(b->fd) == 0 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
	case VIRTIO_BLK_T_GET_ID: {
		char id[20] = "capsa-vda";
		size_t n = data_in < sizeof(id) ? data_in : sizeof(id);
		*written += virtq_chain_write(c, 0, id, n);
		return VIRTIO_BLK_S_OK;
	}
	}
	return VIRTIO_BLK_S_UNSUPP;
}

static void blk_notify(void *dev, struct virtio_mmio *t, unsigned qi)
{
	struct blk *b = dev;
	struct virtq *q = virtio_mmio_queue(t, qi);
	const struct vm_mem *m = virtio_mmio_mem(t);
	bool used = false;
	struct capsa_error *err = NULL;
	while (q) {
		int r = virtq_pop(q, m, &b->chain, &err);
		if (r == 0)
			break;
		if (r < 0 || b->chain.in_len < 1 || b->chain.out_len < sizeof(struct blk_req)) {
			if (r > 0)
				capsa_error_set(&err, EPROTO, "request %u has no room for header or status",
						b->chain.head);
			virtio_mmio_fail(t, &err);
			return;
		}
		uint32_t written;
		uint8_t status = do_request(b, &b->chain, &written);
		virtq_chain_write(&b->chain, b->chain.in_len - 1, &status, 1);
		if (virtq_push(q, m, b->chain.head, written, &err) < 0) {
			virtio_mmio_fail(t, &err);
			return;
		}
		used = true;
	}
	if (used && virtq_need_irq(q, m))
		virtio_mmio_interrupt(t);
}

static void blk_config(void *dev, uint64_t off, uint8_t *data, uint32_t len)
{
	struct blk *b = dev;
	uint8_t cfg[8];
	memcpy(cfg, &b->sectors, 8);
	memset(data, 0, len);
	if (off < sizeof(cfg))
		memcpy(data, cfg + off, off + len <= sizeof(cfg) ? len : sizeof(cfg) - off);
}

static void blk_destroy(void *state)
{
	struct blk *b = state;
	virtio_mmio_destroy(b->t);
	vm_cow_free(b->cow);
	if (b->fd >= 0)
		close(b->fd);
	free(b);
}

static int blk_open(struct vm *vm, const char *path, bool readonly, const char *cow_dir,
		    unsigned *virtio_index, void **state, struct capsa_error **err)
{
	if (!path)
		return 0;
	struct blk *b = xzalloc(sizeof(*b));
	b->readonly = readonly && !cow_dir;
	b->fd = open(path, (b->readonly || cow_dir ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	struct stat st;
	if (b->fd < 0 || fstat(b->fd, &st) < 0) {
		capsa_error_errno(err, "disk %s", path);
		blk_destroy(b);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size % SECTOR) {
		capsa_error_set(err, EINVAL, "disk %s is not a regular file of whole 512-byte sectors", path);
		blk_destroy(b);
		return -1;
	}
	b->sectors = st.st_size / SECTOR;
	if (cow_dir && vm_cow_open(b->fd, b->sectors, cow_dir, &b->cow, err) < 0) {
		capsa_error_prefix(err, "disk %s", path);
		blk_destroy(b);
		return -1;
	}
	b->ops = (struct virtio_dev_ops){
		.device_id = VIRTIO_ID_BLOCK,
		.features = VIRTIO_F_VERSION_1 | VIRTIO_BLK_F_FLUSH | (b->readonly ? VIRTIO_BLK_F_RO : 0),
		.nqueues = 1,
		.config_read = blk_config,
		.notify = blk_notify,
	};
	if (virtio_mmio_create(vm, *virtio_index, &b->ops, b, &b->t, err) < 0) {
		blk_destroy(b);
		return -1;
	}
	(*virtio_index)++;
	*state = b;
	return 0;
}

static int blk_init(struct vm *vm, const struct capsa_vm_config *cfg, unsigned *virtio_index, void **state,
		    struct capsa_error **err)
{
	return blk_open(vm, cfg->disk, cfg->disk_readonly, cfg->disk_cow_dir, virtio_index, state, err);
}

static int blk2_init(struct vm *vm, const struct capsa_vm_config *cfg, unsigned *virtio_index, void **state,
		     struct capsa_error **err)
{
	return blk_open(vm, cfg->disk2, false, NULL, virtio_index, state, err);
}

const struct vm_device vm_dev_virtio_blk = {.name = "virtio-blk", .init = blk_init, .destroy = blk_destroy};
/* Registered right after the first: Linux names them vda and vdb in virtio-mmio order. */
const struct vm_device vm_dev_virtio_blk2 = {
	.name = "virtio-blk (2)", .init = blk2_init, .destroy = blk_destroy};
