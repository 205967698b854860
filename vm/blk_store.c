/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-blk's backing store: whole transfers on a file, and a copy-on-write store that keeps the image
 * file unchanged. The guest's writes go to an unlinked sparse file of the same size; a bitmap, one bit
 * per 512-byte sector, says which sectors it holds. Sector granularity means a write never needs the old
 * contents (no read-modify-write), and the overlay dies with the VMM: nothing to clean up after a kill.
 */
#define _GNU_SOURCE
#include "vm/internal.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define SECTOR 512

struct vm_cow {
	int base_fd;	/* the image, read only; owned by the caller */
	int overlay_fd; /* unlinked, sparse, as long as the image */
	uint64_t sectors;
	uint64_t *written; /* one bit per sector */
	struct iovec scratch[VIRTQ_MAX_SIZE];
};

/* Copies the byte range [skip, skip+len) of iov into dst as iovecs; returns their count. */
static int iov_slice(const struct iovec *iov, int n, size_t skip, size_t len, struct iovec *dst)
{
	int m = 0;
	for (int i = 0; i < n && len; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		size_t take = iov[i].iov_len - skip;
		if (take > len)
			take = len;
		dst[m++] = (struct iovec){.iov_base = (uint8_t *)iov[i].iov_base + skip, .iov_len = take};
		len -= take;
		skip = 0;
	}
	return m;
}

int vm_blk_rw(int fd, bool write, struct iovec *iov, int n, uint64_t off, size_t len)
{
	size_t done = 0;
	while (done < len) {
		/* Short transfers happen (signals, big requests): move the iovecs on and go again. */
		ssize_t r = write ? pwritev(fd, iov, n, (off_t)(off + done))
				  : preadv(fd, iov, n, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			errno = EIO; /* the file shrank under us */
			return -1;
		}
		done += (size_t)r;
		int skip = 0;
		while (skip < n && (size_t)r >= iov[skip].iov_len)
			r -= (ssize_t)iov[skip++].iov_len;
		memmove(iov, iov + skip, (size_t)(n - skip) * sizeof(iov[0]));
		n -= skip;
		if (n > 0) {
			iov[0].iov_base = (uint8_t *)iov[0].iov_base + r;
			iov[0].iov_len -= (size_t)r;
		}
	}
	return 0;
}

int vm_cow_open(int base_fd, uint64_t sectors, const char *dir, struct vm_cow **out, struct capsa_error **err)
{
	if (sectors == 0 || sectors > (UINT64_MAX >> 10))
		return capsa_error_set(err, EINVAL, "copy-on-write: bad disk size of %" PRIu64 " sectors",
				       sectors);
	_cleanup_close_ int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return capsa_error_errno(err, "copy-on-write overlay in %s", dir);
	if (ftruncate(fd, (off_t)(sectors * SECTOR)) < 0)
		return capsa_error_errno(err, "size the copy-on-write overlay in %s", dir);
	struct vm_cow *c = xzalloc(sizeof(*c));
	c->base_fd = base_fd;
	c->overlay_fd = TAKE_FD(fd);
	c->sectors = sectors;
	c->written = xcalloc((sectors + 63) / 64, sizeof(uint64_t));
	*out = c;
	return 0;
}

void vm_cow_free(struct vm_cow *c)
{
	if (!c)
		return;
	close(c->overlay_fd);
	free(c->written);
	free(c);
}

static bool is_written(const struct vm_cow *c, uint64_t s)
{
	return c->written[s / 64] >> (s % 64) & 1;
}

int vm_cow_io(struct vm_cow *c, bool write, const struct iovec *iov, int n, uint64_t sector, size_t len)
{
	if (n < 0 || n > VIRTQ_MAX_SIZE || len % SECTOR || sector > c->sectors ||
	    len / SECTOR > c->sectors - sector) {
		errno = EINVAL;
		return -1;
	}
	uint64_t end = sector + len / SECTOR;
	if (write) {
		int m = iov_slice(iov, n, 0, len, c->scratch);
		if (vm_blk_rw(c->overlay_fd, true, c->scratch, m, sector * SECTOR, len) < 0)
			return -1;
		/* Marked only once the data is there: a failed write leaves the old sectors readable. */
		for (uint64_t s = sector; s < end; s++)
			c->written[s / 64] |= 1ull << (s % 64);
		return 0;
	}
	/* Runs of sectors from the same file, each in one transfer. */
	for (uint64_t s = sector; s < end;) {
		bool w = is_written(c, s);
		uint64_t e = s + 1;
		while (e < end && is_written(c, e) == w)
			e++;
		int m = iov_slice(iov, n, (size_t)(s - sector) * SECTOR, (size_t)(e - s) * SECTOR,
				  c->scratch);
		if (vm_blk_rw(w ? c->overlay_fd : c->base_fd, false, c->scratch, m, s * SECTOR,
			      (size_t)(e - s) * SECTOR) < 0)
			return -1;
		s = e;
	}
	return 0;
}

uint64_t vm_cow_written(const struct vm_cow *c)
{
	uint64_t n = 0;
	for (uint64_t i = 0; i < (c->sectors + 63) / 64; i++)
		n += (uint64_t)__builtin_popcountll(c->written[i]);
	return n;
}
