/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The container's /sys/fs/cgroup. Everything goes through the new mount API on
 * file descriptors: the target is the caller's O_PATH fd and every directory we
 * mount onto is one we just made in our own tmpfs, so no path is resolved
 * through the container's rootfs and no symlink in it can redirect a mount.
 */
#define _GNU_SOURCE
#include "cgroups/internal.h"
#include "common/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t attrs_of(unsigned long flags)
{
	/* Nothing in a cgroup fs is meant to run or be a device: always nosuid, nodev, noexec. */
	uint64_t a = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	if (flags & MS_RDONLY)
		a |= MOUNT_ATTR_RDONLY;
	return a;
}

static int new_fs(const char *type, uint64_t attrs, const char *mode, struct capsa_error **err)
{
	_cleanup_close_ int fs = fsopen(type, FSOPEN_CLOEXEC);
	if (fs < 0)
		return capsa_error_errno(err, "cgroup: fsopen %s", type);
	if (mode && fsconfig(fs, FSCONFIG_SET_STRING, "mode", mode, 0) < 0)
		return capsa_error_errno(err, "cgroup: %s: set mode", type);
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return capsa_error_errno(err, "cgroup: create a %s superblock", type);
	int m = fsmount(fs, FSMOUNT_CLOEXEC, (unsigned)attrs);
	if (m < 0)
		return capsa_error_errno(err, "cgroup: fsmount %s", type);
	return m;
}

/* A detached bind of one of the container's cgroup directories. */
static int clone_dir(struct cg_dir *d, uint64_t attrs, struct capsa_error **err)
{
	/* By path, not d->fd: the fd was opened before the container's mount namespace existed, and
	 * open_tree(OPEN_TREE_CLONE) only clones mounts of the caller's own namespace (EINVAL otherwise). */
	_cleanup_close_ int t = open_tree(AT_FDCWD, d->dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (t < 0)
		return capsa_error_errno(err, "cgroup: open_tree %s", d->dir);
	struct mount_attr ma = {.attr_set = attrs};
	if (mount_setattr(t, "", AT_EMPTY_PATH, &ma, sizeof(ma)) < 0)
		return capsa_error_errno(err, "cgroup: set mount attributes of %s", d->dir);
	return TAKE_FD(t);
}

static int attach(int from, int to, const char *what, struct capsa_error **err)
{
	if (move_mount(from, "", to, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return capsa_error_errno(err, "cgroup: mount %s", what);
	return 0;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* The host's aliases ("cpu" -> "cpu,cpuacct") for the hierarchies we mounted. */
static void copy_symlinks(int mfd, struct capsa_cgroup *cg)
{
	_cleanup_closedir_ DIR *host = opendir(CGROUP_ROOT);
	if (host == NULL)
		return;
	struct dirent *de;
	while ((de = readdir(host)) != NULL) {
		if (de->d_type != DT_LNK)
			continue;
		char target[256];
		ssize_t n = readlinkat(dirfd(host), de->d_name, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		for (size_t i = 0; i < cg->n; i++) {
			if (cg->d[i].fd < 0 || strcmp(base_name(cg->d[i].hier.mountpoint), target) != 0)
				continue;
			if (symlinkat(target, mfd, de->d_name) < 0 && errno != EEXIST)
				capsa_debug("cgroup: symlink %s: %s", de->d_name, strerror(errno));
			break;
		}
	}
}

int capsa_cgroup_mount(struct capsa_cgroup *cg, int target_fd, unsigned long flags, struct capsa_error **err)
{
	struct stat st;
	if (fstat(target_fd, &st) < 0)
		return capsa_error_errno(err, "cgroup: stat the mount target");
	if (!S_ISDIR(st.st_mode))
		return capsa_error_set(err, ENOTDIR, "cgroup: the mount target is not a directory");
	uint64_t attrs = attrs_of(flags);

	if (cg->mode == CAPSA_CGROUP_UNIFIED) {
		/* In a cgroup namespace a fresh cgroup2 shows the container's own subtree as its root. */
		_cleanup_error_ struct capsa_error *e = NULL;
		_cleanup_close_ int m = new_fs("cgroup2", attrs, NULL, &e);
		if (m < 0) {
			/* A user namespace may not create it: bind the container's own directory. */
			struct cg_dir *d = cgroup_v2_dir(cg);
			capsa_debug("%s; binding the cgroup instead", e->msg);
			if (d == NULL)
				return capsa_error_set(err, ENOENT, "cgroup %s does not exist", cg->path);
			m = clone_dir(d, attrs, err);
			if (m < 0)
				return -1;
		}
		return attach(m, target_fd, "cgroup2", err);
	}

	/* The tmpfs is writable while we fill it, read-only afterwards if asked. */
	_cleanup_close_ int mfd = new_fs("tmpfs", attrs & ~(uint64_t)MOUNT_ATTR_RDONLY, "0755", err);
	if (mfd < 0 || attach(mfd, target_fd, "tmpfs for cgroups", err) < 0)
		return -1;
	for (size_t i = 0; i < cg->n; i++) {
		struct cg_dir *d = &cg->d[i];
		if (d->fd < 0)
			continue;
		const char *name = base_name(d->hier.mountpoint);
		if (mkdirat(mfd, name, 0755) < 0 && errno != EEXIST)
			return capsa_error_errno(err, "cgroup: mkdir %s", name);
		_cleanup_close_ int sub = openat(mfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			return capsa_error_errno(err, "cgroup: open %s", name);
		_cleanup_close_ int t = clone_dir(d, attrs, err);
		if (t < 0 || attach(t, sub, name, err) < 0)
			return -1;
	}
	copy_symlinks(mfd, cg);
	if (attrs & MOUNT_ATTR_RDONLY) {
		struct mount_attr ma = {.attr_set = MOUNT_ATTR_RDONLY};
		if (mount_setattr(mfd, "", AT_EMPTY_PATH, &ma, sizeof(ma)) < 0)
			return capsa_error_errno(err, "cgroup: make the cgroup tmpfs read-only");
	}
	return 0;
}
