/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Paths inside a container's rootfs. The rootfs comes from an image, so any
 * component may be a symlink planted to point at the host: every lookup goes
 * through openat2(RESOLVE_IN_ROOT), which resolves ".." and absolute symlinks
 * against the rootfs fd, and refuses magic links. Without openat2 (kernels
 * before 5.6) we walk component by component with O_NOFOLLOW and refuse
 * symlinks and "..".
 */
#define _GNU_SOURCE
#include "common/path.h"
#include "common/cleanup.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static bool no_openat2;

void capsa_fd_path(int fd, char buf[CAPSA_FD_PATH_MAX])
{
	snprintf(buf, CAPSA_FD_PATH_MAX, "/proc/self/fd/%d", fd);
}

static int walk_nofollow(int root_fd, const char *path, int flags, mode_t mode)
{
	_cleanup_free_ char *copy = xstrdup(path);
	_cleanup_close_ int cur = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
	if (cur < 0)
		return -1;
	char *save = NULL;
	char *comp = strtok_r(copy, "/", &save);
	if (comp == NULL) /* "" or "/": the root itself, opened with the flags asked for */
		return openat(root_fd, ".", flags | O_CLOEXEC, mode);
	while (comp) {
		char *next = strtok_r(NULL, "/", &save);
		if (strcmp(comp, "..") == 0) {
			errno = EXDEV;
			return -1;
		}
		if (strcmp(comp, ".") == 0 && next != NULL) {
			comp = next;
			continue;
		}
		int fd;
		if (next == NULL)
			fd = openat(cur, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
		else
			fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -1;
		close(cur);
		cur = fd;
		comp = next;
	}
	return TAKE_FD(cur);
}

int capsa_open_in_root(int root_fd, const char *path, int flags, mode_t mode, struct capsa_error **err)
{
	const char *rel = path;
	while (*rel == '/')
		rel++;
	if (*rel == '\0')
		rel = ".";
	if (!no_openat2) {
		struct open_how how = {
			.flags = (uint64_t)(flags | O_CLOEXEC),
			.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
			.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		};
		int fd;
		do {
			fd = (int)syscall(SYS_openat2, root_fd, rel, &how, sizeof(how));
		} while (fd < 0 && errno == EAGAIN);
		if (fd >= 0)
			return fd;
		if (errno != ENOSYS)
			return capsa_error_errno(err, "open %s in the container rootfs", path);
		no_openat2 = true;
	}
	int fd = walk_nofollow(root_fd, rel, flags, mode);
	if (fd < 0)
		return capsa_error_errno(err, "open %s in the container rootfs", path);
	return fd;
}

int capsa_path_absolute(const char *path, char *buf, size_t size, struct capsa_error **err)
{
	if (path[0] == '\0')
		return capsa_error_set(err, EINVAL, "empty path");
	if (path[0] == '/') {
		if (strlen(path) >= size)
			return capsa_error_set(err, ENAMETOOLONG, "%s", path);
		strcpy(buf, path);
		return 0;
	}
	char cwd[PATH_MAX];
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return capsa_error_errno(err, "%s: the working directory", path);
	/* "./x" and "x" alike; the root directory adds no second slash. */
	const char *rel = path[0] == '.' && path[1] == '/' ? path + 2 : path;
	if ((size_t)snprintf(buf, size, "%s/%s", strcmp(cwd, "/") ? cwd : "", rel) >= size)
		return capsa_error_set(err, ENAMETOOLONG, "%s", path);
	return 0;
}

/* Splits "a/b/c" into parent "a/b" and base "c" (both newly allocated). */
void capsa_split_path(const char *path, char **parent, char **base)
{
	_cleanup_free_ char *p = xstrdup(path);
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	char *slash = strrchr(p, '/');
	if (slash == NULL) {
		*parent = xstrdup("/");
		*base = xstrdup(p);
	} else {
		*base = xstrdup(slash + 1);
		*slash = '\0';
		*parent = xstrdup(p[0] ? p : "/");
	}
}

static int mkdir_in_root_depth(int root_fd, const char *path, mode_t mode, int depth,
			       struct capsa_error **err)
{
	int fd = capsa_open_in_root(root_fd, path, O_PATH | O_DIRECTORY, 0, err);
	if (fd >= 0 || (*err)->errnum != ENOENT)
		return fd;
	capsa_error_clear(err);
	if (depth > 40)
		return capsa_error_set(err, ELOOP, "mkdir %s in the container rootfs", path);
	_cleanup_free_ char *parent = NULL, *base = NULL;
	capsa_split_path(path, &parent, &base);
	if (strcmp(base, "..") == 0 || strcmp(base, ".") == 0 || *base == '\0')
		return capsa_error_set(err, EINVAL, "invalid path %s", path);
	_cleanup_close_ int pfd = mkdir_in_root_depth(root_fd, parent, mode, depth + 1, err);
	if (pfd < 0)
		return -1;
	/* mkdirat never follows the last component; the parent fd was resolved inside the root. */
	if (mkdirat(pfd, base, mode) < 0) {
		if (errno != EEXIST)
			return capsa_error_errno(err, "mkdir %s in the container rootfs", path);
		/* A dangling symlink: create what it points to, resolved inside the root like the kernel
		 * would resolve it with the rootfs as "/". */
		char target[4096];
		ssize_t n = readlinkat(pfd, base, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			_cleanup_free_ char *next =
				target[0] == '/' ? xstrdup(target) : xasprintf("%s/%s", parent, target);
			_cleanup_close_ int t = mkdir_in_root_depth(root_fd, next, mode, depth + 1, err);
			if (t < 0)
				return -1;
		}
	}
	return capsa_open_in_root(root_fd, path, O_PATH | O_DIRECTORY, 0, err);
}

int capsa_mkdir_in_root(int root_fd, const char *path, mode_t mode, struct capsa_error **err)
{
	return mkdir_in_root_depth(root_fd, path, mode, 0, err);
}
