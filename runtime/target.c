/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Mount targets inside the rootfs: a directory or an empty file, checked with fstat. */
#define _GNU_SOURCE
#include "runtime/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

int mount_target_in_root(int root_fd, const char *path, bool dir, struct capsa_error **err)
{
	if (dir)
		return capsa_mkdir_in_root(root_fd, path, 0755, err);
	int fd = capsa_open_in_root(root_fd, path, O_PATH, 0, err);
	if (fd < 0) {
		if ((*err)->errnum != ENOENT)
			return -1;
		capsa_error_clear(err);
		_cleanup_free_ char *parent = NULL, *base = NULL;
		capsa_split_path(path, &parent, &base);
		_cleanup_close_ int pfd = capsa_mkdir_in_root(root_fd, parent, 0755, err);
		if (pfd < 0)
			return -1;
		char pp[CAPSA_FD_PATH_MAX];
		capsa_fd_path(pfd, pp);
		/* An O_PATH parent cannot be used with openat(O_CREAT) directly: reopen it as a directory. */
		_cleanup_close_ int dfd = open(pp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			return capsa_error_errno(err, "open parent of %s", path);
		_cleanup_close_ int f = openat(dfd, base, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (f < 0 && errno != EEXIST)
			return capsa_error_errno(err, "create %s in the container rootfs", path);
		fd = capsa_open_in_root(root_fd, path, O_PATH, 0, err);
		if (fd < 0)
			return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return capsa_error_set(err, e, "stat %s", path);
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return capsa_error_set(err, EISDIR, "mount target %s is a directory but the source is not",
				       path);
	}
	return fd;
}
