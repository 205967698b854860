/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Snapshots (one unpacked layer per diff_id, unpacked in parallel), flattening them into one tree,
 * and the rootfs of a container: overlayfs over the snapshots, or a flattened copy when overlay
 * cannot be used.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#ifndef OVERLAYFS_SUPER_MAGIC
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#endif

/* ---- snapshots ---- */

struct unpack_job {
	struct capsa_image_store *s;
	struct capsa_image_layer **layers;
	size_t n;
	atomic_size_t next;
	int64_t *sizes;
	struct capsa_error **errs;
};

static int unpack_one(struct capsa_image_store *s, const struct capsa_image_layer *L, int64_t *size,
		      struct capsa_error **err)
{
	_cleanup_free_ char *tmp = store_tmp_name("snap");
	_cleanup_free_ char *fs = xasprintf("%s/fs", tmp);
	_cleanup_free_ char *dst = xasprintf("snapshots/%s", digest_hex(L->diff_id));
	_cleanup_free_ char *sizefile = xasprintf("%s/size", tmp), *sz = NULL;
	if (mkdirat(s->rootfd, tmp, 0700) < 0 || mkdirat(s->rootfd, fs, 0755) < 0)
		return capsa_error_errno(err, "create %s/%s", s->root, fs);
	int ret = -1;
	_cleanup_close_ int blobfd = blob_open(s, L->digest, NULL, err);
	_cleanup_close_ int dirfd = openat(s->rootfd, fs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (blobfd < 0)
		goto out;
	if (dirfd < 0) {
		capsa_error_errno(err, "open %s", fs);
		goto out;
	}
	if (capsa_image_unpack_layer(blobfd, L->size, dirfd, L->diff_id, NULL, size, err) < 0)
		goto out;
	sz = xasprintf("%lld\n", (long long)*size);
	if (capsa_write_file_atomic_at(s->rootfd, sizefile, sz, strlen(sz), 0600, err) < 0)
		goto out;
	if (syncfs(dirfd) < 0) {
		capsa_error_errno(err, "sync snapshot");
		goto out;
	}
	if (renameat(s->rootfd, tmp, s->rootfd, dst) < 0 && errno != EEXIST && errno != ENOTEMPTY) {
		capsa_error_errno(err, "rename snapshot into place");
		goto out;
	}
	ret = 0;
out:
	/* Whatever happened, nothing partial stays (after a successful rename this finds nothing). */
	capsa_rm_rf_at(s->rootfd, tmp);
	if (ret < 0)
		capsa_error_prefix(err, "layer %s", L->digest);
	return ret;
}

static void *unpack_worker(void *arg)
{
	struct unpack_job *j = arg;
	for (;;) {
		size_t i = atomic_fetch_add(&j->next, 1);
		if (i >= j->n)
			break;
		if (unpack_one(j->s, j->layers[i], &j->sizes[i], &j->errs[i]) < 0)
			atomic_store(&j->next, j->n); /* stop handing out work */
	}
	return NULL;
}

int capsa_image_unpack(struct capsa_image_store *s, const struct capsa_image *cimg, int jobs,
		       struct capsa_error **err)
{
	/* The image belongs to the store, which records the sizes learnt while unpacking. */
	struct capsa_image *img = (struct capsa_image *)cimg;
	struct unpack_job j = {.s = s};
	j.layers = xcalloc(img->n_layers + 1, sizeof(*j.layers));
	for (size_t i = 0; i < img->n_layers; i++) {
		struct capsa_image_layer *L = &img->layers[i];
		bool dup = false;
		for (size_t k = 0; k < j.n; k++)
			dup |= !strcmp(j.layers[k]->diff_id, L->diff_id);
		if (!dup && !snapshot_exists(s, L->diff_id))
			j.layers[j.n++] = L;
	}
	for (size_t i = 0; i < img->n_layers; i++) {
		struct capsa_image_layer *L = &img->layers[i];
		_cleanup_free_ char *p = xasprintf("snapshots/%s/size", digest_hex(L->diff_id));
		_cleanup_free_ char *text = NULL;
		int64_t v;
		if (L->diff_size == 0 && capsa_read_file_at(s->rootfd, p, 64, &text, NULL, NULL) == 0) {
			text[strcspn(text, "\n")] = '\0';
			if (capsa_parse_i64(text, &v) == 0)
				L->diff_size = v;
		}
	}
	if (j.n == 0) {
		free(j.layers);
		int64_t total = 0;
		for (size_t i = 0; i < img->n_layers; i++)
			total += img->layers[i].diff_size;
		img->size = total;
		return 0;
	}
	if (!s->write) {
		free(j.layers);
		return capsa_error_set(err, 0, "image %s needs unpacking: store opened read-only", img->id);
	}
	j.sizes = xcalloc(j.n, sizeof(*j.sizes));
	j.errs = xcalloc(j.n, sizeof(*j.errs));
	if (jobs <= 0)
		jobs = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (jobs < 1)
		jobs = 1;
	if ((size_t)jobs > j.n)
		jobs = (int)j.n;
	pthread_t *th = xcalloc((size_t)jobs, sizeof(*th));
	int started = 0;
	for (int i = 1; i < jobs; i++)
		if (pthread_create(&th[i], NULL, unpack_worker, &j) == 0)
			started = i;
		else
			break;
	unpack_worker(&j);
	for (int i = 1; i <= started; i++)
		pthread_join(th[i], NULL);
	free(th);
	int ret = 0;
	for (size_t i = 0; i < j.n; i++) {
		if (j.errs[i]) {
			if (ret == 0 && err && *err == NULL)
				*err = TAKE_PTR(j.errs[i]);
			capsa_error_free(j.errs[i]);
			ret = -1;
			continue;
		}
		for (size_t l = 0; l < img->n_layers; l++)
			if (!strcmp(img->layers[l].diff_id, j.layers[i]->diff_id))
				img->layers[l].diff_size = j.sizes[i];
		for (size_t k = 0; k < s->n_images; k++)
			for (size_t l = 0; l < s->images[k].n_layers; l++)
				if (!strcmp(s->images[k].layers[l].diff_id, j.layers[i]->diff_id) &&
				    j.sizes[i]) {
					s->images[k].layers[l].diff_size = j.sizes[i];
					s->dirty = true;
				}
	}
	for (size_t k = 0; k < s->n_images; k++) {
		int64_t total = 0;
		for (size_t l = 0; l < s->images[k].n_layers; l++)
			total += s->images[k].layers[l].diff_size;
		if (total != s->images[k].size) {
			s->images[k].size = total;
			s->dirty = true;
		}
	}
	int64_t total = 0;
	for (size_t l = 0; l < img->n_layers; l++)
		total += img->layers[l].diff_size;
	img->size = total;
	free(j.layers);
	free(j.sizes);
	free(j.errs);
	if (s->dirty && store_save(s, ret < 0 ? NULL : err) < 0)
		return -1;
	return ret;
}

/* ---- flattening ---- */

static int copy_xattrs(int src, int dst, const char *name, struct capsa_error **err)
{
	char list[8192], val[65536];
	ssize_t n = flistxattr(src, list, sizeof(list));
	if (n < 0)
		return errno == ENOTSUP ? 0 : capsa_error_errno(err, "%s: list xattrs", name);
	for (char *k = list; k < list + n; k += strlen(k) + 1) {
		if (capsa_str_has_prefix(k, "trusted.overlay."))
			continue;
		ssize_t vl = fgetxattr(src, k, val, sizeof(val));
		if (vl < 0 || fsetxattr(dst, k, val, (size_t)vl, 0) < 0)
			capsa_warn("%s: copy xattr %s: %s", name, k, strerror(errno));
	}
	return 0;
}

struct inode_map {
	dev_t dev;
	ino_t ino;
	int dirfd;
	char *name;
};

struct flatten {
	struct inode_map *links;
	size_t n_links;
};

static int merge_dir(struct flatten *f, int src, int dst, const char *path, struct capsa_error **err);

static int copy_entry(struct flatten *f, int src, int dst, const char *name, const struct stat *st,
		      const char *path, struct capsa_error **err)
{
	struct timespec ts[2] = {st->st_atim, st->st_mtim};
	if (S_ISREG(st->st_mode) && st->st_nlink > 1) {
		for (size_t i = 0; i < f->n_links; i++) {
			struct inode_map *m = &f->links[i];
			if (m->dev == st->st_dev && m->ino == st->st_ino &&
			    linkat(m->dirfd, m->name, dst, name, 0) == 0)
				return 0;
		}
	}
	if (S_ISREG(st->st_mode)) {
		_cleanup_close_ int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_close_ int out =
			openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (in < 0 || out < 0)
			return capsa_error_errno(err, "%s: copy", path);
		for (off_t left = st->st_size; left > 0;) {
			ssize_t r = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return capsa_error_errno(err, "%s: copy data", path);
			left -= r;
		}
		if (fchown(out, st->st_uid, st->st_gid) < 0 || fchmod(out, st->st_mode & 07777) < 0)
			return capsa_error_errno(err, "%s: set owner and mode", path);
		if (copy_xattrs(in, out, path, err) < 0)
			return -1;
		if (futimens(out, ts) < 0)
			return capsa_error_errno(err, "%s: set times", path);
		if (st->st_nlink > 1) {
			f->links = xreallocarray(f->links, f->n_links + 1, sizeof(*f->links));
			f->links[f->n_links++] = (struct inode_map){
				st->st_dev, st->st_ino, fcntl(dst, F_DUPFD_CLOEXEC, 3), xstrdup(name)};
		}
		return 0;
	}
	if (S_ISLNK(st->st_mode)) {
		char target[4097];
		ssize_t n = readlinkat(src, name, target, sizeof(target) - 1);
		if (n < 0)
			return capsa_error_errno(err, "%s: readlink", path);
		target[n] = '\0';
		if (symlinkat(target, dst, name) < 0)
			return capsa_error_errno(err, "%s: symlink", path);
	} else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) || S_ISFIFO(st->st_mode)) {
		if (mknodat(dst, name, (st->st_mode & S_IFMT) | 0600, st->st_rdev) < 0)
			return capsa_error_errno(err, "%s: mknod", path);
		if (fchmodat(dst, name, st->st_mode & 07777, 0) < 0)
			return capsa_error_errno(err, "%s: chmod", path);
	} else {
		return 0; /* sockets */
	}
	if (fchownat(dst, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    utimensat(dst, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return capsa_error_errno(err, "%s: set owner and times", path);
	return 0;
}

static int merge_dir(struct flatten *f, int src, int dst, const char *path, struct capsa_error **err)
{
	int sfd = openat(src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0)
		return capsa_error_errno(err, "%s: open", path);
	_cleanup_closedir_ DIR *d = fdopendir(sfd);
	if (d == NULL) {
		close(sfd);
		return capsa_error_errno(err, "%s: open", path);
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		_cleanup_free_ char *sub = xasprintf("%s/%s", path, name);
		struct stat st, dt;
		if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return capsa_error_errno(err, "%s: stat", sub);
		bool have = fstatat(dst, name, &dt, AT_SYMLINK_NOFOLLOW) == 0;
		/* A 0/0 character device is an overlay whiteout: the name is deleted. */
		if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
			if (have && capsa_rm_rf_at(dst, name) < 0)
				return capsa_error_errno(err, "%s: apply whiteout", sub);
			continue;
		}
		if (have && !(S_ISDIR(st.st_mode) && S_ISDIR(dt.st_mode))) {
			if (capsa_rm_rf_at(dst, name) < 0)
				return capsa_error_errno(err, "%s: replace", sub);
			have = false;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (copy_entry(f, src, dst, name, &st, sub, err) < 0)
				return -1;
			continue;
		}
		_cleanup_close_ int s2 = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s2 < 0)
			return capsa_error_errno(err, "%s: open", sub);
		char v[4];
		bool is_opaque = fgetxattr(s2, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
		if (have && is_opaque) {
			if (capsa_rm_rf_at(dst, name) < 0)
				return capsa_error_errno(err, "%s: apply opaque directory", sub);
			have = false;
		}
		if (!have && mkdirat(dst, name, 0700) < 0)
			return capsa_error_errno(err, "%s: mkdir", sub);
		_cleanup_close_ int d2 = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (d2 < 0)
			return capsa_error_errno(err, "%s: open", sub);
		if (fchown(d2, st.st_uid, st.st_gid) < 0 || fchmod(d2, st.st_mode & 07777) < 0)
			return capsa_error_errno(err, "%s: set owner and mode", sub);
		if (copy_xattrs(s2, d2, sub, err) < 0 || merge_dir(f, s2, d2, sub, err) < 0)
			return -1;
		struct timespec ts[2] = {st.st_atim, st.st_mtim};
		if (futimens(d2, ts) < 0)
			return capsa_error_errno(err, "%s: set times", sub);
	}
	return 0;
}

int capsa_image_flatten(const int *layerfds, size_t n, int dstfd, struct capsa_error **err)
{
	int ret = 0;
	for (size_t i = 0; i < n && ret == 0; i++) {
		/* Hard links never span layers, so the inode map is per layer. */
		struct flatten f = {0};
		ret = merge_dir(&f, layerfds[i], dstfd, "", err);
		for (size_t k = 0; k < f.n_links; k++) {
			close(f.links[k].dirfd);
			free(f.links[k].name);
		}
		free(f.links);
		if (ret == 0) {
			struct stat st;
			if (fstat(layerfds[i], &st) == 0 && (fchown(dstfd, st.st_uid, st.st_gid) < 0 ||
							     fchmod(dstfd, st.st_mode & 07777) < 0))
				ret = capsa_error_errno(err, "set owner and mode of the root");
		}
	}
	return ret;
}

/* ---- container rootfs ---- */

static int check_cid(const char *cid, struct capsa_error **err)
{
	size_t n = cid ? strlen(cid) : 0;
	if (n == 0 || n > 128)
		return capsa_error_set(err, 0, "invalid container id \"%s\": 1 to 128 characters",
				       cid ? cid : "");
	for (size_t i = 0; i < n; i++) {
		char c = cid[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  (i > 0 && (c == '_' || c == '.' || c == '-'));
		if (!ok)
			return capsa_error_set(
				err, 0, "invalid container id \"%s\": use [A-Za-z0-9][A-Za-z0-9_.-]*", cid);
	}
	return 0;
}

void capsa_image_rootfs_free(struct capsa_image_rootfs *r)
{
	if (r == NULL)
		return;
	free(r->path);
	free(r->dir);
	free(r->fallback_reason);
	free(r);
}

/* lowers: top layer first. On failure *reason says what the kernel said. */
static int mount_overlay(char **lowers, size_t n, const char *upper, const char *work, const char *target,
			 char **reason)
{
	int fsfd = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fsfd >= 0) {
		int r = 0;
		for (size_t i = 0; i < n && r == 0; i++)
			r = fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir+", lowers[i], 0);
		if (r == 0)
			r = fsconfig(fsfd, FSCONFIG_SET_STRING, "upperdir", upper, 0);
		if (r == 0)
			r = fsconfig(fsfd, FSCONFIG_SET_STRING, "workdir", work, 0);
		if (r == 0)
			r = fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0);
		int mfd = r == 0 ? fsmount(fsfd, FSMOUNT_CLOEXEC, 0) : -1;
		if (mfd >= 0) {
			/* target is our own directory under the 0700 store root; nothing else can swap it. */
			r = move_mount(mfd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH);
			int saved = errno;
			close(mfd);
			errno = saved;
		} else {
			r = -1;
		}
		if (r == 0) {
			close(fsfd);
			return 0;
		}
		int saved = errno;
		char msg[512];
		ssize_t k = read(fsfd, msg, sizeof(msg) - 1);
		close(fsfd);
		*reason = k > 0 ? xasprintf("overlay: %.*s", (int)k, msg)
				: xasprintf("overlay: %s", strerror(saved));
		if (saved != EINVAL)
			return -1;
		free(*reason);
		*reason = NULL;
		/* Kernels before 6.8 have no "lowerdir+": try the classic option string. */
	}
	_cleanup_free_ char *opts = xstrdup("lowerdir=");
	for (size_t i = 0; i < n; i++) {
		char *o = xasprintf("%s%s%s", opts, i ? ":" : "", lowers[i]);
		free(opts);
		opts = o;
	}
	char *o = xasprintf("%s,upperdir=%s,workdir=%s", opts, upper, work);
	free(opts);
	opts = o;
	if (mount("overlay", target, "overlay", 0, opts) == 0)
		return 0;
	free(*reason);
	*reason = xasprintf("overlay: %s", strerror(errno));
	return -1;
}

static int do_mount(struct capsa_image_store *s, const char *cid, char **diff_ids, size_t n, char **reason,
		    struct capsa_error **err)
{
	_cleanup_free_ char *dir = xasprintf("%s/rootfs/%s", s->root, cid);
	_cleanup_free_ char *upper = xasprintf("%s/upper", dir), *work = xasprintf("%s/work", dir),
			    *target = xasprintf("%s/rootfs", dir);
	char **lowers = xcalloc(n + 1, sizeof(char *));
	size_t nl = 0;
	/* Top layer first; a diff_id that repeats keeps its topmost place only (overlay refuses duplicates).
	 */
	for (size_t i = n; i-- > 0;) {
		_cleanup_free_ char *p = xasprintf("%s/snapshots/%s/fs", s->root, digest_hex(diff_ids[i]));
		if (!capsa_strv_contains(lowers, p))
			lowers[nl++] = TAKE_PTR(p);
	}
	if (nl == 0) {
		/* overlayfs needs a lower layer: an image without layers gets an empty one. */
		lowers[nl++] = xasprintf("%s/empty", dir);
		if (mkdir(lowers[0], 0755) < 0 && errno != EEXIST) {
			capsa_strv_free(lowers);
			return capsa_error_errno(err, "mkdir %s", lowers[0]);
		}
	}
	int r = mount_overlay(lowers, nl, upper, work, target, reason);
	capsa_strv_free(lowers);
	if (r < 0)
		return capsa_error_set(err, 0, "%s", *reason ? *reason : "overlay mount failed");
	return 0;
}

static int open_snapshots(struct capsa_image_store *s, const struct capsa_image *img, int *fds,
			  struct capsa_error **err)
{
	for (size_t i = 0; i < img->n_layers; i++) {
		_cleanup_free_ char *p = xasprintf("snapshots/%s/fs", digest_hex(img->layers[i].diff_id));
		fds[i] = openat(s->rootfd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fds[i] < 0)
			return capsa_error_errno(err, "open snapshot %s", img->layers[i].diff_id);
	}
	return 0;
}

int capsa_image_rootfs_prepare(struct capsa_image_store *s, const char *ref, const char *cid,
			       const struct capsa_rootfs_opts *o, struct capsa_image_rootfs **out,
			       struct capsa_error **err)
{
	const struct capsa_image *img;
	if (check_cid(cid, err) < 0 || capsa_image_lookup(s, ref, &img, err) < 0)
		return -1;
	if (!s->write)
		return capsa_error_set(err, 0, "rootfs: store opened read-only");
	if (capsa_image_unpack(s, img, 0, err) < 0)
		return capsa_error_prefix(err, "unpack %s", ref);
	_cleanup_free_ char *rel = xasprintf("rootfs/%s", cid);
	if (mkdirat(s->rootfd, rel, 0700) < 0) {
		if (errno == EEXIST)
			return capsa_error_set(err, 0, "rootfs for container %s already exists", cid);
		return capsa_error_errno(err, "create %s/%s", s->root, rel);
	}
	struct capsa_image_rootfs *r = xzalloc(sizeof(*r));
	r->dir = xasprintf("%s/%s", s->root, rel);
	r->path = xasprintf("%s/rootfs", r->dir);
	_cleanup_free_ char *layers = xstrdup("");
	char **ids = xcalloc(img->n_layers + 1, sizeof(char *));
	for (size_t i = 0; i < img->n_layers; i++) {
		char *l = xasprintf("%s%s\n", layers, img->layers[i].diff_id);
		free(layers);
		layers = l;
		ids[i] = xstrdup(img->layers[i].diff_id);
	}
	_cleanup_close_ int dfd = openat(s->rootfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_free_ char *idline = xasprintf("%s\n", img->id);
	if (dfd < 0 || capsa_write_file_atomic_at(dfd, "image", idline, strlen(idline), 0600, err) < 0 ||
	    capsa_write_file_atomic_at(dfd, "layers", layers, strlen(layers), 0600, err) < 0 ||
	    mkdirat(dfd, "rootfs", 0755) < 0) {
		capsa_error_errno(err, "prepare %s", r->dir);
		goto fail;
	}
	if (o && o->no_overlay) {
		r->fallback_reason = xstrdup("overlay disabled by the caller");
	} else if (mkdirat(dfd, "upper", 0755) < 0 || mkdirat(dfd, "work", 0700) < 0) {
		capsa_error_errno(err, "prepare %s", r->dir);
		goto fail;
	} else {
		_cleanup_error_ struct capsa_error *merr = NULL;
		if (do_mount(s, cid, ids, img->n_layers, &r->fallback_reason, &merr) == 0) {
			r->overlay = true;
		} else if (r->fallback_reason == NULL) {
			r->fallback_reason = xstrdup(merr->msg);
		}
	}
	if (!r->overlay) {
		capsa_warn("rootfs %s: using a flattened copy: %s", cid, r->fallback_reason);
		capsa_rm_rf_at(dfd, "upper");
		capsa_rm_rf_at(dfd, "work");
		int *fds = xcalloc(img->n_layers + 1, sizeof(int));
		for (size_t i = 0; i < img->n_layers; i++)
			fds[i] = -1;
		_cleanup_close_ int rfd =
			openat(dfd, "rootfs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int fr = rfd < 0 ? capsa_error_errno(err, "open rootfs")
			 : open_snapshots(s, img, fds, err) < 0
				 ? -1
				 : capsa_image_flatten(fds, img->n_layers, rfd, err);
		for (size_t i = 0; i < img->n_layers; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		free(fds);
		if (fr < 0)
			goto fail;
	}
	const char *mode = r->overlay ? "overlay\n" : "flat\n";
	if (capsa_write_file_atomic_at(dfd, "mode", mode, strlen(mode), 0600, err) < 0)
		goto fail;
	capsa_strv_free(ids);
	*out = r;
	return 0;
fail:
	if (r->overlay)
		umount2(r->path, MNT_DETACH);
	capsa_rm_rf_at(s->rootfd, rel);
	capsa_strv_free(ids);
	capsa_image_rootfs_free(r);
	return capsa_error_prefix(err, "rootfs for %s", cid);
}

static bool is_overlay_mounted(const char *path)
{
	struct statfs sf;
	return statfs(path, &sf) == 0 && (unsigned long)sf.f_type == OVERLAYFS_SUPER_MAGIC;
}

int capsa_image_rootfs_mount(struct capsa_image_store *s, const char *cid, struct capsa_image_rootfs **out,
			     struct capsa_error **err)
{
	if (check_cid(cid, err) < 0)
		return -1;
	_cleanup_free_ char *rel = xasprintf("rootfs/%s", cid);
	_cleanup_free_ char *mode = NULL, *layers = NULL, *p_mode = xasprintf("%s/mode", rel),
			    *p_layers = xasprintf("%s/layers", rel);
	if (capsa_read_file_at(s->rootfd, p_mode, 64, &mode, NULL, err) < 0 ||
	    capsa_read_file_at(s->rootfd, p_layers, 1 << 20, &layers, NULL, err) < 0)
		return capsa_error_prefix(err, "rootfs for %s", cid);
	struct capsa_image_rootfs *r = xzalloc(sizeof(*r));
	r->dir = xasprintf("%s/%s", s->root, rel);
	r->path = xasprintf("%s/rootfs", r->dir);
	r->overlay = capsa_str_has_prefix(mode, "overlay");
	if (r->overlay && !is_overlay_mounted(r->path)) {
		_cleanup_strv_ char **ids = xcalloc(1, sizeof(char *));
		size_t n = 0;
		for (char *save = NULL, *l = strtok_r(layers, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save), n++)
			capsa_strv_push(&ids, l);
		_cleanup_free_ char *reason = NULL;
		if (do_mount(s, cid, ids, n, &reason, err) < 0) {
			capsa_image_rootfs_free(r);
			return capsa_error_prefix(err, "rootfs for %s", cid);
		}
	}
	if (out)
		*out = r;
	else
		capsa_image_rootfs_free(r);
	return 0;
}

int capsa_image_rootfs_unmount(struct capsa_image_store *s, const char *cid, struct capsa_error **err)
{
	if (check_cid(cid, err) < 0)
		return -1;
	_cleanup_free_ char *path = xasprintf("%s/rootfs/%s/rootfs", s->root, cid);
	while (is_overlay_mounted(path)) {
		if (umount2(path, MNT_DETACH) < 0)
			return capsa_error_errno(err, "unmount %s", path);
	}
	return 0;
}

int capsa_image_rootfs_remove(struct capsa_image_store *s, const char *cid, struct capsa_error **err)
{
	if (capsa_image_rootfs_unmount(s, cid, err) < 0)
		return -1;
	_cleanup_free_ char *rel = xasprintf("rootfs/%s", cid);
	if (capsa_rm_rf_at(s->rootfd, rel) < 0)
		return capsa_error_errno(err, "remove %s/%s", s->root, rel);
	return 0;
}

/* ---- runtime config through the store ---- */

static char *read_in_layers(struct capsa_image_store *s, const struct capsa_image *img, const char *path)
{
	for (size_t i = img->n_layers; i-- > 0;) {
		_cleanup_free_ char *p = xasprintf("snapshots/%s/fs", digest_hex(img->layers[i].diff_id));
		_cleanup_close_ int root =
			openat(s->rootfd, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (root < 0)
			continue;
		_cleanup_close_ int fd = open_in_root(root, path, O_RDONLY | O_NOFOLLOW);
		if (fd < 0) {
			struct stat st;
			/* A whiteout in this layer means the file is gone from the image. */
			_cleanup_close_ int pfd = open_in_root(root, path, O_PATH | O_NOFOLLOW);
			if (pfd >= 0 && fstat(pfd, &st) == 0 && S_ISCHR(st.st_mode) &&
			    st.st_rdev == makedev(0, 0))
				return NULL;
			continue;
		}
		char *text = NULL;
		if (capsa_read_fd(fd, 4 << 20, &text, NULL, NULL) == 0)
			return text;
	}
	return NULL;
}

int capsa_image_runtime_config(struct capsa_image_store *s, const struct capsa_image *img, int rootfs_dirfd,
			       const struct capsa_image_overrides *o, struct capsa_image_runtime **out,
			       struct capsa_error **err)
{
	_cleanup_image_config_ struct capsa_image_config *c = NULL;
	if (capsa_image_get_config(s, img, &c, err) < 0)
		return -1;
	_cleanup_free_ char *passwd = NULL, *group = NULL;
	if (rootfs_dirfd >= 0) {
		_cleanup_close_ int pfd = open_in_root(rootfs_dirfd, "etc/passwd", O_RDONLY);
		_cleanup_close_ int gfd = open_in_root(rootfs_dirfd, "etc/group", O_RDONLY);
		if (pfd >= 0 && capsa_read_fd(pfd, 4 << 20, &passwd, NULL, err) < 0)
			return capsa_error_prefix(err, "/etc/passwd");
		if (gfd >= 0 && capsa_read_fd(gfd, 4 << 20, &group, NULL, err) < 0)
			return capsa_error_prefix(err, "/etc/group");
	} else {
		passwd = read_in_layers(s, img, "etc/passwd");
		group = read_in_layers(s, img, "etc/group");
	}
	if (capsa_image_config_to_runtime(c, o, passwd, group, out, err) < 0)
		return capsa_error_prefix(err, "image %.19s", img->id);
	return 0;
}
