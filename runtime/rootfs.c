/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The container's root filesystem, built in its own mount namespace: make the
 * tree private, bind the rootfs, apply the config's mounts in order, populate
 * /dev, mask and protect paths, then pivot_root. Every target inside the rootfs
 * is resolved with capsa_open_in_root() and mounted onto through /proc/self/fd/N
 * after an fstat, so a symlink in the image cannot redirect a mount to the host
 * (the CVE-2021-30465 class).
 */
#define _GNU_SOURCE
#include "runtime/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

static const char *mount_hint(int e)
{
	switch (e) {
	case ENOSPC:
		return " (too many mounts in this namespace?)";
	case ENODEV:
		return " (the kernel does not know this filesystem type)";
	case EPERM:
		return " (not allowed here: a user namespace or a locked mount?)";
	default:
		return "";
	}
}

static int do_mount(const char *src, int target_fd, const char *dest, const char *type, unsigned long flags,
		    const char *data, struct capsa_error **err)
{
	char target[CAPSA_FD_PATH_MAX];
	capsa_fd_path(target_fd, target);
	if (mount(src, target, type, flags, data) < 0) {
		int e = errno;
		return capsa_error_set(err, e, "mount %s%s%s to %s%s", type ? type : "", type ? " " : "",
				       src ? src : "none", dest, mount_hint(e));
	}
	return 0;
}

/* Flags that a remount inside a user namespace must keep (the kernel locks them). */
static unsigned long locked_flags(const char *path_or_fdpath)
{
	struct statvfs sv;
	unsigned long f = 0;
	if (statvfs(path_or_fdpath, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_RDONLY)
		f |= MS_RDONLY;
	return f;
}

static int apply_bind(struct rootfs_ctx *r, const struct oci_mount *m, const struct mount_opts *mo,
		      struct capsa_error **err)
{
	const char *src = m->source;
	if (src == NULL)
		return capsa_error_set(err, EINVAL, "bind mount to %s has no source", m->destination);
	struct stat st;
	if (stat(src, &st) < 0)
		return capsa_error_errno(err, "bind mount source %s", src);
	_cleanup_close_ int target =
		mount_target_in_root(r->rootfs_fd, m->destination, S_ISDIR(st.st_mode), err);
	if (target < 0)
		return -1;
	if (do_mount(src, target, m->destination, NULL, MS_BIND | (mo->rbind ? MS_REC : 0), NULL, err) < 0)
		return -1;
	unsigned long extra = mo->flags & ~(MS_REMOUNT | MS_BIND | MS_REC);
	if (extra) {
		/* Reopen: the old fd names the directory under the new mount, not the mount itself. */
		_cleanup_close_ int mnt = capsa_open_in_root(r->rootfs_fd, m->destination, O_PATH, 0, err);
		if (mnt < 0)
			return -1;
		char p[CAPSA_FD_PATH_MAX];
		capsa_fd_path(mnt, p);
		unsigned long keep = r->userns ? (locked_flags(p) & ~MS_RDONLY) : 0;
		if (r->userns && !(mo->clear & MS_RDONLY) && (locked_flags(p) & MS_RDONLY))
			keep |= MS_RDONLY;
		if (do_mount(NULL, mnt, m->destination, NULL, MS_REMOUNT | MS_BIND | extra | keep, NULL,
			     err) < 0)
			return capsa_error_prefix(err, "remount");
	}
	return 0;
}

static int apply_mount(struct rootfs_ctx *r, const struct oci_mount *m, struct capsa_error **err)
{
	struct mount_opts mo;
	if (mount_opts_parse(m->options, m->n_options, &mo, err) < 0)
		return capsa_error_prefix(err, "mount %s", m->destination);
	const char *type = m->type;
	bool bind = mo.bind || (type && strcmp(type, "bind") == 0);
	int ret;
	if (bind) {
		ret = apply_bind(r, m, &mo, err);
	} else if (type && strcmp(type, "cgroup") == 0) {
		_cleanup_close_ int target = capsa_mkdir_in_root(r->rootfs_fd, m->destination, 0755, err);
		ret = target < 0 ? -1 : capsa_cgroup_mount(r->cgroup, target, mo.flags, err);
		if (ret < 0)
			capsa_error_prefix(err, "mount cgroup to %s", m->destination);
	} else {
		_cleanup_close_ int target = capsa_mkdir_in_root(r->rootfs_fd, m->destination, 0755, err);
		if (target < 0) {
			ret = -1;
		} else {
			ret = do_mount(m->source ? m->source : (type ? type : "none"), target, m->destination,
				       type, mo.flags & ~MS_REMOUNT, mo.data, err);
			if (ret < 0 && type && strcmp(type, "sysfs") == 0 && r->userns &&
			    (*err)->errnum == EPERM) {
				/* sysfs needs a network namespace of our own; in a user namespace without
				 * one, bind the host's /sys read-only like runc does for rootless containers.
				 */
				capsa_error_clear(err);
				ret = do_mount("/sys", target, m->destination, NULL, MS_BIND | MS_REC, NULL,
					       err);
			}
		}
	}
	if (ret == 0 && mo.propagation) {
		_cleanup_close_ int mnt = capsa_open_in_root(r->rootfs_fd, m->destination, O_PATH, 0, err);
		ret = mnt < 0 ? -1 : do_mount(NULL, mnt, m->destination, NULL, mo.propagation, NULL, err);
	}
	mount_opts_free(&mo);
	return ret;
}

struct default_dev {
	const char *name;
	unsigned major, minor;
};
static const struct default_dev default_devs[] = {
	{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

static int create_device(struct rootfs_ctx *r, const char *path, char type, unsigned major, unsigned minor,
			 mode_t perm, uid_t uid, gid_t gid, struct capsa_error **err)
{
	_cleanup_free_ char *parent = xstrdup(path), *base = NULL;
	char *slash = strrchr(parent, '/');
	if (slash == NULL || slash[1] == '\0')
		return capsa_error_set(err, EINVAL, "invalid device path %s", path);
	base = xstrdup(slash + 1);
	*slash = '\0';
	_cleanup_close_ int pfd = capsa_mkdir_in_root(r->rootfs_fd, parent[0] ? parent : "/", 0755, err);
	if (pfd < 0)
		return capsa_error_prefix(err, "device %s", path);
	char pp[CAPSA_FD_PATH_MAX];
	capsa_fd_path(pfd, pp);
	_cleanup_close_ int dfd = open(pp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return capsa_error_errno(err, "device %s: open parent", path);
	if (r->userns) {
		/* mknod is not allowed in a user namespace: bind the host's node instead. */
		_cleanup_close_ int f = openat(dfd, base, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (f < 0 && errno != EEXIST)
			return capsa_error_errno(err, "device %s: create mount target", path);
		_cleanup_close_ int target = capsa_open_in_root(r->rootfs_fd, path, O_PATH, 0, err);
		if (target < 0)
			return -1;
		return do_mount(path, target, path, NULL, MS_BIND, NULL, err);
	}
	mode_t kind = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
	if (mknodat(dfd, base, kind | (perm & 07777), makedev(major, minor)) < 0) {
		if (errno == EEXIST)
			return 0;
		return capsa_error_errno(err, "mknod %s", path);
	}
	/* mknod is subject to the umask; set the mode and owner the config asked for. */
	if (fchmodat(dfd, base, perm & 07777, 0) < 0 ||
	    fchownat(dfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return capsa_error_errno(err, "set mode and owner of %s", path);
	return 0;
}

static bool dev_is_bind_mounted(const struct oci_config *c)
{
	for (size_t i = 0; i < c->n_mounts; i++) {
		const struct oci_mount *m = &c->mounts[i];
		if (strcmp(m->destination, "/dev") != 0)
			continue;
		if (m->type && strcmp(m->type, "bind") == 0)
			return true;
		for (size_t j = 0; j < m->n_options; j++)
			if (strcmp(m->options[j], "bind") == 0 || strcmp(m->options[j], "rbind") == 0)
				return true;
	}
	return false;
}

static int setup_dev(struct rootfs_ctx *r, struct capsa_error **err)
{
	const struct oci_config *c = r->config;
	if (!dev_is_bind_mounted(c)) {
		for (size_t i = 0; i < ARRAY_SIZE(default_devs); i++) {
			_cleanup_free_ char *p = xasprintf("/dev/%s", default_devs[i].name);
			if (create_device(r, p, 'c', default_devs[i].major, default_devs[i].minor, 0666, 0, 0,
					  err) < 0)
				return -1;
		}
		_cleanup_close_ int dev = capsa_mkdir_in_root(r->rootfs_fd, "/dev", 0755, err);
		if (dev < 0)
			return -1;
		char dp[CAPSA_FD_PATH_MAX];
		capsa_fd_path(dev, dp);
		_cleanup_close_ int dfd = open(dp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			return capsa_error_errno(err, "open /dev in the container rootfs");
		static const char *const links[][2] = {
			{"/proc/self/fd", "fd"},
			{"/proc/self/fd/0", "stdin"},
			{"/proc/self/fd/1", "stdout"},
			{"/proc/self/fd/2", "stderr"},
		};
		for (size_t i = 0; i < ARRAY_SIZE(links); i++)
			if (symlinkat(links[i][0], dfd, links[i][1]) < 0 && errno != EEXIST)
				return capsa_error_errno(err, "symlink /dev/%s", links[i][1]);
		/* /dev/ptmx must be the container's own devpts instance, not the host's. */
		if (unlinkat(dfd, "ptmx", 0) < 0 && errno != ENOENT)
			return capsa_error_errno(err, "remove /dev/ptmx");
		if (symlinkat("pts/ptmx", dfd, "ptmx") < 0)
			return capsa_error_errno(err, "symlink /dev/ptmx");
	}
	const struct oci_linux *l = c->linux_;
	for (size_t i = 0; l && i < l->n_devices; i++) {
		const struct oci_device *d = &l->devices[i];
		mode_t mode = d->file_mode.set ? (mode_t)d->file_mode.value : 0666;
		if (create_device(r, d->path, d->type == 'u' ? 'c' : d->type, (unsigned)d->major,
				  (unsigned)d->minor, mode, d->uid.set ? (uid_t)d->uid.value : 0,
				  d->gid.set ? (gid_t)d->gid.value : 0, err) < 0)
			return -1;
	}
	return 0;
}

int rootfs_prepare(struct rootfs_ctx *r, struct capsa_error **err)
{
	const struct oci_config *c = r->config;
	const struct oci_linux *l = c->linux_;
	/* Nothing we mount may propagate back to the host: slave by default, like runc. */
	unsigned long prop = MS_SLAVE | MS_REC;
	if (l && l->rootfs_propagation) {
		unsigned long p = propagation_parse(l->rootfs_propagation);
		if (p == 0)
			return capsa_error_set(err, EINVAL, "linux.rootfsPropagation: unknown value %s",
					       l->rootfs_propagation);
		if (!(p & MS_SHARED))
			prop = p | MS_REC;
	}
	if (mount(NULL, "/", NULL, prop, NULL) < 0)
		return capsa_error_errno(err, "make / %s", (prop & MS_PRIVATE) ? "private" : "slave");
	/* pivot_root needs the new root to be a mount point. */
	if (mount(r->rootfs, r->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return capsa_error_errno(err, "bind mount rootfs %s", r->rootfs);
	r->rootfs_fd = open(r->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (r->rootfs_fd < 0)
		return capsa_error_errno(err, "open rootfs %s", r->rootfs);
	for (size_t i = 0; i < c->n_mounts; i++)
		if (apply_mount(r, &c->mounts[i], err) < 0)
			return -1;
	return setup_dev(r, err);
}

static int sysctl_key_allowed(const struct oci_config *c, const char *key, bool *ok)
{
	bool has_ipc = ns_find(c, OCI_NS_IPC) != NULL, has_net = ns_find(c, OCI_NS_NETWORK) != NULL;
	bool has_uts = ns_find(c, OCI_NS_UTS) != NULL;
	static const char *const ipc_keys[] = {"kernel.msgmax", "kernel.msgmnb",	 "kernel.msgmni",
					       "kernel.sem",	"kernel.shmall",	 "kernel.shmmax",
					       "kernel.shmmni", "kernel.shm_rmid_forced"};
	*ok = false;
	for (size_t i = 0; i < ARRAY_SIZE(ipc_keys); i++)
		if (strcmp(key, ipc_keys[i]) == 0) {
			*ok = has_ipc;
			return has_ipc ? 0 : OCI_NS_IPC;
		}
	if (capsa_str_has_prefix(key, "fs.mqueue.")) {
		*ok = has_ipc;
		return has_ipc ? 0 : OCI_NS_IPC;
	}
	if (capsa_str_has_prefix(key, "net.")) {
		*ok = has_net;
		return has_net ? 0 : OCI_NS_NETWORK;
	}
	if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0) {
		*ok = has_uts;
		return has_uts ? 0 : OCI_NS_UTS;
	}
	return -1;
}

int sysctl_validate(const struct oci_config *c, struct capsa_error **err)
{
	const struct oci_linux *l = c->linux_;
	for (size_t i = 0; l && i < l->n_sysctl; i++) {
		const char *key = l->sysctl[i].key;
		bool ok;
		int ns = sysctl_key_allowed(c, key, &ok);
		if (strstr(key, "..") || strchr(key, '/'))
			return capsa_error_set(err, EINVAL, "linux.sysctl: invalid key %s", key);
		if (ns < 0)
			return capsa_error_set(err, EPERM,
					       "linux.sysctl: %s is not namespaced and would change the host",
					       key);
		if (!ok)
			return capsa_error_set(
				err, EPERM,
				"linux.sysctl: %s requires a new %s namespace, which the config "
				"does not have",
				key, capsa_oci_ns_name((enum oci_ns_type)ns));
	}
	return 0;
}

static int apply_sysctl(struct rootfs_ctx *r, struct capsa_error **err)
{
	const struct oci_linux *l = r->config->linux_;
	for (size_t i = 0; l && i < l->n_sysctl; i++) {
		_cleanup_free_ char *path = xasprintf("/proc/sys/%s", l->sysctl[i].key);
		for (char *p = path + 10; *p; p++)
			if (*p == '.')
				*p = '/';
		_cleanup_close_ int fd = capsa_open_in_root(r->rootfs_fd, path, O_WRONLY, 0, err);
		if (fd < 0)
			return capsa_error_prefix(err, "sysctl %s (is /proc mounted?)", l->sysctl[i].key);
		const char *v = l->sysctl[i].value;
		if (capsa_write_all(fd, v, strlen(v)) < 0)
			return capsa_error_errno(err, "sysctl %s=%s", l->sysctl[i].key, v);
	}
	return 0;
}

static int mask_path(struct rootfs_ctx *r, const char *path, struct capsa_error **err)
{
	_cleanup_close_ int fd = capsa_open_in_root(r->rootfs_fd, path, O_PATH, 0, err);
	if (fd < 0) {
		if ((*err)->errnum == ENOENT) {
			capsa_error_clear(err);
			return 0;
		}
		return capsa_error_prefix(err, "masked path");
	}
	struct stat st;
	if (fstat(fd, &st) < 0)
		return capsa_error_errno(err, "masked path %s", path);
	/* Masked paths are covered, never deleted: the container sees an empty directory or /dev/null. */
	if (S_ISDIR(st.st_mode))
		return do_mount("tmpfs", fd, path, "tmpfs", MS_RDONLY, "size=0", err);
	return do_mount("/dev/null", fd, path, NULL, MS_BIND, NULL, err);
}

static int readonly_path(struct rootfs_ctx *r, const char *path, struct capsa_error **err)
{
	_cleanup_close_ int fd = capsa_open_in_root(r->rootfs_fd, path, O_PATH, 0, err);
	if (fd < 0) {
		if ((*err)->errnum == ENOENT) {
			capsa_error_clear(err);
			return 0;
		}
		return capsa_error_prefix(err, "read-only path");
	}
	char self[CAPSA_FD_PATH_MAX];
	capsa_fd_path(fd, self);
	if (do_mount(self, fd, path, NULL, MS_BIND | MS_REC, NULL, err) < 0)
		return -1;
	_cleanup_close_ int mnt = capsa_open_in_root(r->rootfs_fd, path, O_PATH, 0, err);
	if (mnt < 0)
		return -1;
	char p[CAPSA_FD_PATH_MAX];
	capsa_fd_path(mnt, p);
	unsigned long keep = locked_flags(p) & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
	return do_mount(NULL, mnt, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | keep, NULL, err);
}

int rootfs_finalize_paths(struct rootfs_ctx *r, struct capsa_error **err)
{
	const struct oci_linux *l = r->config->linux_;
	if (l == NULL)
		return 0;
	/* sysctl first: readonlyPaths usually covers /proc/sys. */
	if (apply_sysctl(r, err) < 0)
		return -1;
	for (size_t i = 0; i < l->n_readonly_paths; i++)
		if (readonly_path(r, l->readonly_paths[i], err) < 0)
			return -1;
	for (size_t i = 0; i < l->n_masked_paths; i++)
		if (mask_path(r, l->masked_paths[i], err) < 0)
			return -1;
	return 0;
}

int rootfs_pivot(struct rootfs_ctx *r, struct capsa_error **err)
{
	if (fchdir(r->rootfs_fd) < 0)
		return capsa_error_errno(err, "chdir to rootfs");
	if (r->no_pivot) {
		if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
			return capsa_error_errno(err, "move rootfs to /");
		if (chroot(".") < 0)
			return capsa_error_errno(err, "chroot");
	} else {
		/* pivot_root(".", ".") stacks the old root on top of the new one; detach it at once. */
		if (syscall(SYS_pivot_root, ".", ".") < 0)
			return capsa_error_errno(err, "pivot_root");
		if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
			return capsa_error_errno(err, "make the old root a slave");
		if (umount2(".", MNT_DETACH) < 0)
			return capsa_error_errno(err, "detach the old root");
	}
	if (chdir("/") < 0)
		return capsa_error_errno(err, "chdir /");
	const struct oci_linux *l = r->config->linux_;
	if (l && l->rootfs_propagation && (propagation_parse(l->rootfs_propagation) & MS_SHARED)) {
		if (mount(NULL, "/", NULL, MS_SHARED | MS_REC, NULL) < 0)
			return capsa_error_errno(err, "make / shared");
	}
	return 0;
}

int rootfs_readonly(struct rootfs_ctx *r, struct capsa_error **err)
{
	if (!r->config->root || !r->config->root->readonly)
		return 0;
	unsigned long keep = locked_flags("/") & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | keep, NULL) < 0)
		return capsa_error_errno(err, "remount / read-only");
	return 0;
}
