/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virtio-blk's backing store: whole transfers, and the copy-on-write disk over an image file. */
#define _GNU_SOURCE
#include "tap.h"
#include "vm/internal.h"
#include "common/cleanup.h"
#include "common/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define SECTORS 64
#define SZ (SECTORS * 512)

static char dir[] = "/tmp/capsa-test-cow-XXXXXX";
static uint8_t image[SZ], model[SZ];

static int make_image(void)
{
	for (size_t i = 0; i < SZ; i++)
		image[i] = (uint8_t)(i * 7 + i / 512);
	memcpy(model, image, SZ);
	_cleanup_free_ char *p = xasprintf("%s/image", dir);
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, image, SZ) != SZ)
		abort();
	close(fd);
	return open(p, O_RDONLY | O_CLOEXEC);
}

static bool image_unchanged(void)
{
	_cleanup_free_ char *p = xasprintf("%s/image", dir);
	_cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
	static uint8_t now[SZ];
	return fd >= 0 && read(fd, now, SZ) == SZ && memcmp(now, image, SZ) == 0;
}

/* Splits buf into pieces of the given sizes (0-terminated list), as a guest's descriptors would. */
static int split(uint8_t *buf, size_t len, const size_t *sizes, struct iovec *iov)
{
	int n = 0;
	size_t off = 0;
	for (; sizes[n] && off < len; n++) {
		size_t take = sizes[n] < len - off ? sizes[n] : len - off;
		iov[n] = (struct iovec){.iov_base = buf + off, .iov_len = take};
		off += take;
	}
	if (off < len)
		iov[n++] = (struct iovec){.iov_base = buf + off, .iov_len = len - off};
	return n;
}

static void test_rw(void)
{
	_cleanup_free_ char *p = xasprintf("%s/plain", dir);
	_cleanup_close_ int fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	static uint8_t data[3000], back[3000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i ^ 0x5a);
	struct iovec iov[8];
	static const size_t sizes[] = {1, 511, 700, 88, 0};
	int n = split(data, sizeof(data), sizes, iov);
	is_int(vm_blk_rw(fd, true, iov, n, 4096, sizeof(data)), 0, "a write through five uneven iovecs");
	n = split(back, sizeof(back), sizes, iov);
	is_int(vm_blk_rw(fd, false, iov, n, 4096, sizeof(back)), 0, "read back through the same split");
	ok(memcmp(data, back, sizeof(data)) == 0, "the bytes are the same");
	iov[0] = (struct iovec){.iov_base = back, .iov_len = 100};
	errno = 0;
	ok(vm_blk_rw(fd, false, iov, 1, 100000, 100) < 0 && errno == EIO,
	   "a read past the end of the file is EIO, not a loop");
	ok(vm_blk_rw(-1, false, iov, 1, 0, 100) < 0 && errno == EBADF, "an error of the file comes back");
}

static void test_cow(void)
{
	_cleanup_close_ int base = make_image();
	struct vm_cow *c = NULL;
	struct capsa_error *err = NULL;
	ok(vm_cow_open(base, SECTORS, dir, &c, &err) == 0, "opens over the image");
	is_int((int)vm_cow_written(c), 0, "nothing written yet");
	struct iovec iov[8];
	static uint8_t buf[SZ];

	/* Every sector reads as the image's before any write. */
	static const size_t whole[] = {SZ, 0};
	int n = split(buf, SZ, whole, iov);
	ok(vm_cow_io(c, false, iov, n, 0, SZ) == 0 && memcmp(buf, model, SZ) == 0, "reads the image");

	/* Writes scattered over the disk: one sector, a run across descriptors, the last sector. */
	static const struct {
		uint64_t sector;
		size_t len;
	} w[] = {{3, 512}, {10, 5 * 512}, {SECTORS - 1, 512}, {11, 512}, {0, 512}};
	static const size_t pieces[] = {100, 412, 512, 37, 0};
	for (size_t i = 0; i < ARRAY_SIZE(w); i++) {
		uint8_t data[5 * 512];
		memset(data, (int)(0xa0 + i), w[i].len);
		n = split(data, w[i].len, pieces, iov);
		ok(vm_cow_io(c, true, iov, n, w[i].sector, w[i].len) == 0, "write %zu sectors at %" PRIu64,
		   w[i].len / 512, w[i].sector);
		memcpy(model + w[i].sector * 512, data, w[i].len);
	}
	is_int((int)vm_cow_written(c), 1 + 5 + 1 + 1, "the overlay holds 8 sectors (one written twice)");
	ok(image_unchanged(), "the image file is unchanged");

	/* Reads that cross from image sectors to written ones and back, through uneven iovecs. */
	static const size_t odd[] = {300, 1000, 3, 2000, 0};
	for (uint64_t s = 0; s < SECTORS; s += 5) {
		size_t len = (SECTORS - s < 9 ? SECTORS - s : 9) * 512;
		memset(buf, 0, sizeof(buf));
		n = split(buf, len, odd, iov);
		if (!ok(vm_cow_io(c, false, iov, n, s, len) == 0 && memcmp(buf, model + s * 512, len) == 0,
			"sectors %" PRIu64 "..%" PRIu64 " read from image and overlay as written", s,
			s + len / 512 - 1))
			break;
	}
	n = split(buf, SZ, whole, iov);
	ok(vm_cow_io(c, false, iov, n, 0, SZ) == 0 && memcmp(buf, model, SZ) == 0, "the whole disk, at once");

	/* What a hostile guest could ask: refused with EINVAL, nothing written. */
	uint8_t one[512] = {0};
	iov[0] = (struct iovec){.iov_base = one, .iov_len = 512};
	errno = 0;
	ok(vm_cow_io(c, true, iov, 1, SECTORS, 512) < 0 && errno == EINVAL, "a write past the end");
	ok(vm_cow_io(c, false, iov, 1, UINT64_MAX, 512) < 0 && errno == EINVAL, "a sector that overflows");
	ok(vm_cow_io(c, true, iov, 1, 0, 100) < 0 && errno == EINVAL, "a length that is not whole sectors");
	ok(vm_cow_io(c, false, iov, VIRTQ_MAX_SIZE + 1, 0, 512) < 0 && errno == EINVAL, "too many iovecs");
	is_int((int)vm_cow_written(c), 8, "still 8 sectors in the overlay");
	ok(image_unchanged(), "the image file is still unchanged");

	/* The overlay is an unlinked file: the directory holds only what the test put there. */
	DIR *d = opendir(dir);
	struct dirent *de;
	int names = 0;
	while (d && (de = readdir(d)))
		names += de->d_name[0] != '.';
	if (d)
		closedir(d);
	is_int(names, 2, "the overlay has no name in its directory (image and plain only)");
	vm_cow_free(c);
	vm_cow_free(NULL);
}

static void test_bad_open(void)
{
	_cleanup_close_ int base = make_image();
	struct vm_cow *c = NULL;
	struct capsa_error *err = NULL;
	ok(vm_cow_open(base, SECTORS, "/tmp/capsa-test-cow-missing-dir", &c, &err) < 0 && c == NULL,
	   "a missing directory is refused");
	_cleanup_free_ char *t = capsa_error_text(err);
	ok(t && strstr(t, "copy-on-write overlay in /tmp/capsa-test-cow-missing-dir") &&
		   strstr(t, "No such file or directory"),
	   "naming the directory and the reason: %s", t ? t : "(none)");
	capsa_error_free(err);
	err = NULL;
	ok(vm_cow_open(base, 0, dir, &c, &err) < 0 && c == NULL, "a disk of no sectors is refused");
	capsa_error_free(err);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	test_rw();
	test_cow();
	test_bad_open();
	_cleanup_free_ char *rm = xasprintf("rm -rf %s", dir);
	if (system(rm) != 0)
		return 1;
	return tap_done();
}
