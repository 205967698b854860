/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Layer extraction, the security-critical part of image/. A layer is untrusted input, so:
 *  - member names are cleaned first: absolute names and ".." components are rejected, never rewritten;
 *  - every parent directory is resolved with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS |
 *    RESOLVE_NO_SYMLINKS) relative to the snapshot's fd: a symlink planted by an earlier member can
 *    neither lead outside nor redirect a later write;
 *  - every member is created with an *at() call on that parent fd and a single-component name, with
 *    O_EXCL/O_NOFOLLOW, after removing what was there (tar semantics), so nothing is followed;
 *  - hard links point only at members already inside the snapshot (resolved the same way);
 *  - entry count, path length, total size and expansion ratio are capped (decompression bombs);
 *  - the diff_id is the sha256 of the whole uncompressed stream, checked at the end.
 * Layers are stored in overlayfs form: whiteouts become 0/0 character devices and opaque
 * directories get trusted.overlay.opaque=y.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define MAX_PATH_LEN 4096
#define MAX_NAME_LEN 255
#define BLOCK (1 << 20)

int capsa_image_clean_path(const char *name, char **out, struct capsa_error **err)
{
	if (name == NULL || *name == '\0')
		return capsa_error_set(err, 0, "member with an empty name");
	size_t len = strlen(name);
	if (len > MAX_PATH_LEN)
		return capsa_error_set(err, 0, "member name longer than %d bytes", MAX_PATH_LEN);
	if (name[0] == '/')
		return capsa_error_set(err, 0, "%.200s: absolute path in a layer", name);
	_cleanup_free_ char *res = xmalloc(len + 1);
	size_t n = 0;
	for (const char *p = name; *p;) {
		const char *e = strchr(p, '/');
		size_t cl = e ? (size_t)(e - p) : strlen(p);
		if (cl == 2 && p[0] == '.' && p[1] == '.')
			return capsa_error_set(err, 0, "%.200s: path with a \"..\" component", name);
		if (cl > MAX_NAME_LEN)
			return capsa_error_set(err, 0, "%.200s: component longer than %d bytes", name,
					       MAX_NAME_LEN);
		if (cl && !(cl == 1 && p[0] == '.')) {
			if (n)
				res[n++] = '/';
			memcpy(res + n, p, cl);
			n += cl;
		}
		if (!e)
			break;
		p = e + 1;
	}
	res[n] = '\0';
	*out = TAKE_PTR(res);
	return 0;
}

enum capsa_whiteout capsa_image_whiteout(const char *base, const char **target)
{
	if (!capsa_str_has_prefix(base, ".wh."))
		return CAPSA_WHITEOUT_NONE;
	if (!strcmp(base, ".wh..wh..opq"))
		return CAPSA_WHITEOUT_OPAQUE;
	if (capsa_str_has_prefix(base, ".wh..wh."))
		return CAPSA_WHITEOUT_META;
	if (target)
		*target = base + 4;
	return CAPSA_WHITEOUT_FILE;
}

int open_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	return (int)syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof(how));
}

struct dirtime {
	char *path;
	struct timespec ts[2];
};

struct unpack {
	int rootfd;
	struct capsa_unpack_limits lim;
	char *cache_path;
	int cache_fd;
	struct dirtime *dirs;
	size_t n_dirs;
	uint64_t entries;
	/* stream state */
	int blobfd;
	char *block;
	struct archive *raw;
	struct hasher h;
	uint64_t in_bytes, out_bytes;
	bool raw_eof;
	struct capsa_error *stream_err;
};

static void cache_drop(struct unpack *u)
{
	if (u->cache_fd >= 0)
		close(u->cache_fd);
	u->cache_fd = -1;
	free(u->cache_path);
	u->cache_path = NULL;
}

/* A directory of the layer being written: resolved in the root and through no symlink at all. A layer
 * is a diff, so a parent that is a symlink can only come from this same layer, and writing through it
 * is refused rather than followed (docker would follow it inside the root; refusing is stricter). */
static int open_dir_nofollow(int rootfd, const char *path)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS,
	};
	return (int)syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof(how));
}

static int dir_error(const char *path, struct capsa_error **err)
{
	if (errno == ELOOP)
		return capsa_error_set(
			err, 0, "%s is a symlink (or goes through one): refusing to write through it", path);
	if (errno == ENOTDIR)
		return capsa_error_set(err, 0, "%s is not a directory", path);
	return capsa_error_errno(err, "%s: open directory", path);
}

/* Opens (creating missing directories, 0755 root-owned as tar does) the parent of a member. */
static int open_parent(struct unpack *u, const char *parent, struct capsa_error **err)
{
	if (u->cache_path && !strcmp(u->cache_path, parent))
		return u->cache_fd;
	cache_drop(u);
	int fd = open_dir_nofollow(u->rootfd, parent);
	if (fd < 0 && errno == ENOENT) {
		/* Walk prefix by prefix; each mkdirat() creates one component under an fd resolved as above.
		 */
		_cleanup_free_ char *p = xstrdup(parent);
		_cleanup_close_ int cur = open_dir_nofollow(u->rootfd, "");
		for (char *c = p;;) {
			char *slash = strchr(c, '/');
			if (slash)
				*slash = '\0';
			int next = open_dir_nofollow(u->rootfd, p);
			if (next < 0 && errno == ENOENT) {
				if (mkdirat(cur, c, 0755) < 0 && errno != EEXIST)
					return capsa_error_errno(err, "%s: create directory", p);
				next = open_dir_nofollow(u->rootfd, p);
			}
			if (next < 0)
				return dir_error(p, err);
			close(cur);
			cur = next;
			if (!slash)
				break;
			*slash = '/';
			c = slash + 1;
		}
		fd = TAKE_FD(cur);
	}
	if (fd < 0)
		return dir_error(parent, err);
	u->cache_path = xstrdup(parent);
	u->cache_fd = fd;
	return fd;
}

/* Removes what is at base so a new member can take its place; a directory stays for a directory. */
static int make_room(struct unpack *u, int pfd, const char *base, bool keep_dir, bool *kept,
		     struct capsa_error **err)
{
	struct stat st;
	*kept = false;
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return capsa_error_errno(err, "stat %s", base);
	}
	if (S_ISDIR(st.st_mode)) {
		if (keep_dir) {
			*kept = true;
			return 0;
		}
		/* pfd is the cached parent: removing a child of it leaves the cache valid. */
		if (capsa_rm_rf_at(pfd, base) < 0)
			return capsa_error_errno(err, "replace directory %s", base);
		return 0;
	}
	if (unlinkat(pfd, base, 0) < 0)
		return capsa_error_errno(err, "replace %s", base);
	return 0;
}

static int map_id(const struct capsa_unpack_limits *lim, int64_t id, const char *what, uint32_t *out,
		  struct capsa_error **err)
{
	if (id < 0 || id > UINT32_MAX - 1)
		return capsa_error_set(err, 0, "%s %lld out of range", what, (long long)id);
	if (lim->id_range) {
		if ((uint64_t)id >= lim->id_range)
			return capsa_error_set(err, 0, "%s %lld outside the id mapping (range %u)", what,
					       (long long)id, lim->id_range);
		id += strcmp(what, "uid") ? lim->gid_shift : lim->uid_shift;
	}
	*out = (uint32_t)id;
	return 0;
}

/* overlayfs' own xattrs would let a layer forge whiteouts, redirects or metacopy files. */
static bool xattr_forbidden(const char *name)
{
	return capsa_str_has_prefix(name, "trusted.overlay.") || capsa_str_has_prefix(name, "user.overlay.");
}

static int apply_xattrs(struct archive_entry *e, int fd, const char *path, struct capsa_error **err)
{
	const char *name;
	const void *value;
	size_t size;
	if (archive_entry_xattr_reset(e) == 0)
		return 0;
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		if (xattr_forbidden(name)) {
			capsa_debug("%s: dropping xattr %s", path, name);
			continue;
		}
		if (fsetxattr(fd, name, value, size, 0) < 0) {
			/* A lost file capability changes what the program may do: that one must not fail
			 * quietly. */
			if (!strcmp(name, "security.capability"))
				return capsa_error_errno(err, "%s: set xattr %s", path, name);
			capsa_warn("%s: cannot set xattr %s: %s", path, name, strerror(errno));
		}
	}
	return 0;
}

static int write_data(struct archive *a, int fd, int64_t size, const char *path, struct capsa_error **err)
{
	const void *buf;
	size_t len;
	la_int64_t off, pos = 0;
	for (;;) {
		int r = archive_read_data_block(a, &buf, &len, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return capsa_error_set(err, EIO, "%s: %s", path, archive_error_string(a));
		if (off != pos && lseek(fd, off, SEEK_SET) < 0)
			return capsa_error_errno(err, "%s: seek", path);
		if (capsa_write_all(fd, buf, len) < 0)
			return capsa_error_errno(err, "%s: write", path);
		pos = off + (la_int64_t)len;
	}
	if (pos < size && ftruncate(fd, size) < 0)
		return capsa_error_errno(err, "%s: truncate", path);
	return 0;
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
	ts[0].tv_sec = archive_entry_atime_is_set(e) ? archive_entry_atime(e) : archive_entry_mtime(e);
	ts[0].tv_nsec =
		archive_entry_atime_is_set(e) ? archive_entry_atime_nsec(e) : archive_entry_mtime_nsec(e);
	ts[1].tv_sec = archive_entry_mtime(e);
	ts[1].tv_nsec = archive_entry_mtime_nsec(e);
}

static int apply_meta_fd(struct archive_entry *e, int fd, uint32_t uid, uint32_t gid, const char *path,
			 bool times, struct capsa_error **err)
{
	/* chown clears setuid bits and file capabilities, so it comes first. */
	if (fchown(fd, uid, gid) < 0)
		return capsa_error_errno(err, "%s: chown %u:%u", path, uid, gid);
	if (fchmod(fd, archive_entry_perm(e) & 07777) < 0)
		return capsa_error_errno(err, "%s: chmod", path);
	if (apply_xattrs(e, fd, path, err) < 0)
		return -1;
	if (times) {
		struct timespec ts[2];
		entry_times(e, ts);
		if (futimens(fd, ts) < 0)
			return capsa_error_errno(err, "%s: set times", path);
	}
	return 0;
}

static int whiteout(struct unpack *u, int pfd, const char *path, const char *target, struct capsa_error **err)
{
	if (*target == '\0' || !strcmp(target, ".") || !strcmp(target, "..") || strchr(target, '/'))
		return capsa_error_set(err, 0, "%s: bad whiteout name", path);
	/* A whiteout hides lower layers only: a member of this layer with that name stays. */
	if (fstatat(pfd, target, &(struct stat){0}, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (mknodat(pfd, target, S_IFCHR | 0, makedev(0, 0)) < 0)
		return capsa_error_errno(err, "%s: create whiteout", path);
	return 0;
}

static int opaque(int pfd, const char *path, struct capsa_error **err)
{
	/* pfd is O_PATH; xattrs need a real fd on the same (already resolved) directory. */
	_cleanup_close_ int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return capsa_error_errno(err, "%s: open directory", path);
	if (fsetxattr(dfd, "trusted.overlay.opaque", "y", 1, 0) < 0)
		return capsa_error_errno(err, "%s: mark directory opaque", path);
	return 0;
}

static int hardlink(struct unpack *u, struct archive_entry *e, int pfd, const char *base, const char *path,
		    struct capsa_error **err)
{
	_cleanup_free_ char *target = NULL;
	if (capsa_image_clean_path(archive_entry_hardlink(e), &target, err) < 0)
		return capsa_error_prefix(err, "%s: hard link target", path);
	if (*target == '\0')
		return capsa_error_set(err, 0, "%s: hard link to the root directory", path);
	if (!strcmp(target, path))
		return 0;
	char *slash = strrchr(target, '/');
	const char *tbase = slash ? slash + 1 : target;
	if (slash)
		*slash = '\0';
	_cleanup_close_ int tfd = open_dir_nofollow(u->rootfd, slash ? target : "");
	if (tfd < 0) {
		dir_error(slash ? target : "/", err);
		return capsa_error_prefix(err, "%s: hard link target %s", path, archive_entry_hardlink(e));
	}
	struct stat st;
	if (fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return capsa_error_errno(err, "%s: hard link target %s is not inside the layer", path,
					 archive_entry_hardlink(e));
	if (S_ISDIR(st.st_mode))
		return capsa_error_set(err, 0, "%s: hard link to directory %s", path,
				       archive_entry_hardlink(e));
	bool kept;
	if (make_room(u, pfd, base, false, &kept, err) < 0)
		return -1;
	/* Flags 0: a symlink target is linked itself, never followed. */
	if (linkat(tfd, tbase, pfd, base, 0) < 0)
		return capsa_error_errno(err, "%s: hard link to %s", path, archive_entry_hardlink(e));
	return 0;
}

static int apply_entry(struct unpack *u, struct archive *a, struct archive_entry *e, struct capsa_error **err)
{
	const char *raw = archive_entry_pathname(e);
	_cleanup_free_ char *path = NULL;
	if (raw == NULL)
		return capsa_error_set(err, 0, "member with an unreadable name");
	if (capsa_image_clean_path(raw, &path, err) < 0)
		return -1;
	if (++u->entries > u->lim.max_entries)
		return capsa_error_set(err, 0, "more than %llu members",
				       (unsigned long long)u->lim.max_entries);

	uint32_t uid, gid;
	if (map_id(&u->lim, archive_entry_uid(e), "uid", &uid, err) < 0 ||
	    map_id(&u->lim, archive_entry_gid(e), "gid", &gid, err) < 0)
		return capsa_error_prefix(err, "%s", path);
	mode_t type = archive_entry_filetype(e);
	bool is_link = archive_entry_hardlink(e) != NULL;

	if (*path == '\0') {
		if (type != AE_IFDIR)
			return capsa_error_set(err, 0, "%s: the root must be a directory", raw);
		_cleanup_close_ int fd = open_in_root(u->rootfd, "", O_RDONLY | O_DIRECTORY);
		if (fd < 0)
			return capsa_error_errno(err, "open layer root");
		return apply_meta_fd(e, fd, uid, gid, "/", true, err);
	}

	char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	_cleanup_free_ char *parent = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup("");
	int pfd = open_parent(u, parent, err);
	if (pfd < 0)
		return capsa_error_prefix(err, "%s", path);

	const char *target = NULL;
	switch (capsa_image_whiteout(base, &target)) {
	case CAPSA_WHITEOUT_FILE:
		return whiteout(u, pfd, path, target, err);
	case CAPSA_WHITEOUT_OPAQUE:
		return opaque(pfd, path, err);
	case CAPSA_WHITEOUT_META:
		return 0;
	case CAPSA_WHITEOUT_NONE:
		break;
	}
	if (is_link)
		return hardlink(u, e, pfd, base, path, err);

	bool kept;
	if (make_room(u, pfd, base, type == AE_IFDIR, &kept, err) < 0)
		return capsa_error_prefix(err, "%s", path);
	struct timespec ts[2];
	entry_times(e, ts);
	switch (type) {
	case AE_IFREG: {
		_cleanup_close_ int fd =
			openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return capsa_error_errno(err, "%s: create", path);
		if (write_data(a, fd, archive_entry_size(e), path, err) < 0)
			return -1;
		return apply_meta_fd(e, fd, uid, gid, path, true, err);
	}
	case AE_IFDIR: {
		if (!kept && mkdirat(pfd, base, 0700) < 0)
			return capsa_error_errno(err, "%s: mkdir", path);
		_cleanup_close_ int fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return capsa_error_errno(err, "%s: open directory", path);
		if (apply_meta_fd(e, fd, uid, gid, path, false, err) < 0)
			return -1;
		/* Members created inside change the mtime: directories get theirs at the end. */
		u->dirs = xreallocarray(u->dirs, u->n_dirs + 1, sizeof(*u->dirs));
		u->dirs[u->n_dirs].path = TAKE_PTR(path);
		memcpy(u->dirs[u->n_dirs].ts, ts, sizeof(ts));
		u->n_dirs++;
		return 0;
	}
	case AE_IFLNK: {
		const char *to = archive_entry_symlink(e);
		if (to == NULL || *to == '\0')
			return capsa_error_set(err, 0, "%s: symlink without a target", path);
		/* The target is stored as is: it is only ever resolved inside the container's root. */
		if (symlinkat(to, pfd, base) < 0)
			return capsa_error_errno(err, "%s: symlink", path);
		if (fchownat(pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			return capsa_error_errno(err, "%s: chown", path);
		if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
			return capsa_error_errno(err, "%s: set times", path);
		return 0;
	}
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO: {
		/* Device nodes are created inside the snapshot only; the store root is 0700 and the runtime
		 * decides what a container may open (device cgroup, nodev mounts). */
		mode_t m = (type == AE_IFCHR ? S_IFCHR : type == AE_IFBLK ? S_IFBLK : S_IFIFO) | 0600;
		dev_t dev = type == AE_IFIFO
				    ? 0
				    : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
		if (mknodat(pfd, base, m, dev) < 0) {
			if (errno == EPERM && type != AE_IFIFO) {
				capsa_warn("%s: cannot create device node (no CAP_MKNOD), skipped", path);
				return 0;
			}
			return capsa_error_errno(err, "%s: mknod", path);
		}
		if (fchownat(pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    fchmodat(pfd, base, archive_entry_perm(e) & 07777, 0) < 0)
			return capsa_error_errno(err, "%s: set owner and mode", path);
		if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
			return capsa_error_errno(err, "%s: set times", path);
		return 0;
	}
	case AE_IFSOCK:
		capsa_debug("%s: socket member skipped", path);
		return 0;
	default:
		return capsa_error_set(err, 0, "%s: unsupported member type 0%o", path, (unsigned)type);
	}
}

/* ---- the stream: blob fd -> decompression (raw format) -> hash -> tar reader ---- */

static la_ssize_t blob_read_cb(struct archive *a, void *data, const void **buf)
{
	struct unpack *u = data;
	for (;;) {
		ssize_t r = read(u->blobfd, u->block, BLOCK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			archive_set_error(a, errno, "read layer blob");
			return -1;
		}
		u->in_bytes += (uint64_t)r;
		*buf = u->block;
		return r;
	}
}

static la_ssize_t tar_read_cb(struct archive *a, void *data, const void **buf)
{
	struct unpack *u = data;
	if (u->raw_eof)
		return 0;
	size_t len;
	la_int64_t off;
	int r = archive_read_data_block(u->raw, buf, &len, &off);
	if (r == ARCHIVE_EOF) {
		u->raw_eof = true;
		return 0;
	}
	if (r < ARCHIVE_WARN) {
		archive_set_error(a, EIO, "decompress: %s", archive_error_string(u->raw));
		return -1;
	}
	hasher_update(&u->h, *buf, len);
	u->out_bytes += len;
	if (u->out_bytes > u->lim.max_bytes) {
		capsa_error_set(&u->stream_err, 0, "layer expands to more than %llu bytes",
				(unsigned long long)u->lim.max_bytes);
		archive_set_error(a, EFBIG, "size limit");
		return -1;
	}
	if (u->out_bytes > (32u << 20) && u->out_bytes / (u->in_bytes ? u->in_bytes : 1) > u->lim.max_ratio) {
		capsa_error_set(
			&u->stream_err, 0,
			"layer expands more than %llu times (%llu bytes from %llu): refusing a decompression bomb",
			(unsigned long long)u->lim.max_ratio, (unsigned long long)u->out_bytes,
			(unsigned long long)u->in_bytes);
		archive_set_error(a, EFBIG, "expansion limit");
		return -1;
	}
	return (la_ssize_t)len;
}

static int finish_dirs(struct unpack *u, struct capsa_error **err)
{
	/* Deepest first is not needed: setting a directory's times does not touch its parent's. */
	for (size_t i = u->n_dirs; i-- > 0;) {
		_cleanup_close_ int fd =
			open_in_root(u->rootfd, u->dirs[i].path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
		if (fd < 0)
			continue; /* replaced by a later member */
		if (futimens(fd, u->dirs[i].ts) < 0)
			return capsa_error_errno(err, "%s: set times", u->dirs[i].path);
	}
	return 0;
}

int capsa_image_unpack_layer(int blobfd, int64_t blob_size, int dirfd, const char *diff_id,
			     const struct capsa_unpack_limits *lim, int64_t *diff_size,
			     struct capsa_error **err)
{
	if (capsa_archive_ready(err) < 0)
		return -1;
	struct unpack u = {.rootfd = dirfd, .cache_fd = -1, .blobfd = blobfd};
	char *got = NULL;
	if (lim)
		u.lim = *lim;
	if (!u.lim.max_entries)
		u.lim.max_entries = 1000000;
	if (!u.lim.max_bytes)
		u.lim.max_bytes = 64ULL << 30;
	if (!u.lim.max_ratio)
		u.lim.max_ratio = 200;
	(void)blob_size;
	if (diff_id && capsa_digest_validate(diff_id, err) < 0)
		return -1;
	struct stat bst;
	if (fstat(blobfd, &bst) == 0 && S_ISREG(bst.st_mode) && bst.st_size == 0) {
		/* A zero-byte blob is an empty layer; libarchive has no format for "nothing". */
		_cleanup_free_ char *empty = capsa_digest_sha256("", 0);
		if (diff_id && strcmp(diff_id, empty))
			return capsa_error_set(
				err, 0, "diff_id mismatch: the image config says %s, the layer content is %s",
				diff_id, empty);
		if (diff_size)
			*diff_size = 0;
		return 0;
	}
	if (hasher_init_for(&u.h, diff_id ? diff_id : "sha256:", err) < 0)
		return -1;
	int ret = -1;
	struct archive *tar = NULL;
	u.block = xmalloc(BLOCK);
	u.raw = archive_read_new();
	tar = archive_read_new();
	if (u.raw == NULL || tar == NULL) {
		capsa_error_set(err, ENOMEM, "libarchive");
		goto out;
	}
	archive_read_support_filter_gzip(u.raw);
	archive_read_support_filter_zstd(u.raw);
	archive_read_support_filter_xz(u.raw);
	archive_read_support_filter_bzip2(u.raw);
	archive_read_support_format_raw(u.raw);
	archive_read_support_format_tar(tar);
	if (archive_read_open(u.raw, &u, NULL, blob_read_cb, NULL) != ARCHIVE_OK) {
		capsa_error_set(err, EIO, "open layer: %s", archive_error_string(u.raw));
		goto out;
	}
	struct archive_entry *rawe;
	if (archive_read_next_header(u.raw, &rawe) != ARCHIVE_OK) {
		capsa_error_set(err, EIO, "open layer: %s", archive_error_string(u.raw));
		goto out;
	}
	if (archive_read_open(tar, &u, NULL, tar_read_cb, NULL) != ARCHIVE_OK) {
		if (u.stream_err) {
			*err = TAKE_PTR(u.stream_err);
			goto out;
		}
		/* An empty stream is a valid, empty layer. */
		if (!(u.raw_eof && u.out_bytes == 0)) {
			capsa_error_set(err, EIO, "not a tar archive: %s", archive_error_string(tar));
			goto out;
		}
	} else {
		for (;;) {
			struct archive_entry *e;
			int r = archive_read_next_header(tar, &e);
			if (r == ARCHIVE_EOF)
				break;
			if (r < ARCHIVE_WARN) {
				if (u.stream_err)
					*err = TAKE_PTR(u.stream_err);
				else
					capsa_error_set(err, EIO, "read tar: %s", archive_error_string(tar));
				goto out;
			}
			if (apply_entry(&u, tar, e, err) < 0) {
				if (u.stream_err) {
					capsa_error_clear(err);
					*err = TAKE_PTR(u.stream_err);
				}
				goto out;
			}
		}
	}
	/* The diff_id covers the whole stream, including padding after the end-of-archive blocks. */
	while (!u.raw_eof) {
		const void *buf;
		if (tar_read_cb(tar, &u, &buf) < 0) {
			if (u.stream_err)
				*err = TAKE_PTR(u.stream_err);
			else
				capsa_error_set(err, EIO, "decompress: %s", archive_error_string(u.raw));
			goto out;
		}
	}
	got = hasher_final(&u.h);
	if (diff_id && strcmp(got, diff_id)) {
		capsa_error_set(err, 0, "diff_id mismatch: the image config says %s, the layer content is %s",
				diff_id, got);
		goto out;
	}
	if (finish_dirs(&u, err) < 0)
		goto out;
	if (diff_size)
		*diff_size = (int64_t)u.out_bytes;
	ret = 0;
out:
	free(got);
	free(u.block);
	capsa_error_free(u.stream_err);
	if (tar)
		archive_read_free(tar);
	if (u.raw)
		archive_read_free(u.raw);
	hasher_free(&u.h);
	cache_drop(&u);
	for (size_t i = 0; i < u.n_dirs; i++)
		free(u.dirs[i].path);
	free(u.dirs);
	return ret;
}
