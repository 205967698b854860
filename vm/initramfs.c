// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A directory tree as a newc cpio for a micro-VM's initramfs (see vm/initramfs.h). libarchive is loaded at
 * the first archive written, through image/archive_dl.c as for the image code: capsa's other commands never
 * pay for its shared libraries.
 */
#define _GNU_SOURCE
#include "vm/initramfs.h"
#include "common/cleanup.h"
#include "image/image.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Hard links: (st_dev, st_ino) of a file seen with more than one name -> the inode number it got here. */
struct link_map {
	struct link {
		dev_t dev;
		ino_t ino;
		uint32_t num; /* 0: free slot */
	} * slots;
	size_t cap, used;
};

static size_t link_hash(dev_t dev, ino_t ino, size_t cap)
{
	uint64_t h = ((uint64_t)ino * 0x9e3779b97f4a7c15ULL) ^ (uint64_t)dev;
	return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

static struct link *link_slot(struct link_map *m, dev_t dev, ino_t ino)
{
	size_t i = link_hash(dev, ino, m->cap);
	while (m->slots[i].num && !(m->slots[i].dev == dev && m->slots[i].ino == ino))
		i = (i + 1) & (m->cap - 1);
	return &m->slots[i];
}

/* The number recorded for (dev, ino), else 0 after recording num for it. */
static uint32_t link_find_or_add(struct link_map *m, dev_t dev, ino_t ino, uint32_t num)
{
	if (2 * (m->used + 1) > m->cap) {
		struct link_map bigger = {.cap = m->cap ? 2 * m->cap : 256};
		bigger.slots = xcalloc(bigger.cap, sizeof(*bigger.slots));
		for (size_t i = 0; i < m->cap; i++)
			if (m->slots[i].num)
				*link_slot(&bigger, m->slots[i].dev, m->slots[i].ino) = m->slots[i];
		bigger.used = m->used;
		free(m->slots);
		*m = bigger;
	}
	struct link *l = link_slot(m, dev, ino);
	if (l->num)
		return l->num;
	*l = (struct link){.dev = dev, .ino = ino, .num = num};
	m->used++;
	return 0;
}

struct walker {
	struct archive *a;
	struct archive_entry *e;
	struct link_map links;
	uint32_t next_ino;
	struct capsa_initramfs_stats stats;
	char *buf; /* file contents in transit */
};

#define COPY_BUF (256 << 10)
/* Deeper trees are refused rather than walked with one open fd per level. */
#define MAX_DEPTH 256

static int la_fail(struct walker *w, const char *path, struct capsa_error **err)
{
	const char *why = archive_error_string(w->a);
	return capsa_error_set(err, 0, "%s: %s", path, why ? why : "libarchive failed");
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in the directory dfd (not . and ..), sorted; NULL-terminated. */
static char **list_dir(int dfd, const char *path, struct capsa_error **err)
{
	int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0) {
		capsa_error_errno(err, "%s", path);
		return NULL;
	}
	_cleanup_closedir_ DIR *d = fdopendir(fd);
	if (d == NULL) {
		capsa_error_errno(err, "%s", path);
		close(fd);
		return NULL;
	}
	rewinddir(d);
	char **names = xcalloc(1, sizeof(char *));
	size_t n = 0;
	struct dirent *de;
	for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		names = xreallocarray(names, n + 2, sizeof(char *));
		names[n++] = xstrdup(de->d_name);
		names[n] = NULL;
	}
	if (errno) {
		capsa_error_errno(err, "%s", path);
		capsa_strv_free(names);
		return NULL;
	}
	qsort(names, n, sizeof(char *), cmp_names);
	return names;
}

/* The header of path from st (its inode number num); size is what the body will hold. */
static int put_header(struct walker *w, const char *path, const struct stat *st, uint32_t num, int64_t size,
		      const char *symlink, struct capsa_error **err)
{
	struct archive_entry *e = w->e;
	archive_entry_clear(e);
	archive_entry_set_pathname(e, path);
	archive_entry_set_mode(e, st->st_mode);
	archive_entry_set_uid(e, st->st_uid);
	archive_entry_set_gid(e, st->st_gid);
	/* newc has 32 unsigned bits of seconds: what does not fit is clamped, not an error. */
	time_t mt = st->st_mtim.tv_sec < 0		? 0
		    : st->st_mtim.tv_sec > 0xffffffffLL ? 0xffffffffLL
							: st->st_mtim.tv_sec;
	archive_entry_set_mtime(e, mt, 0);
	archive_entry_set_ino64(e, num);
	archive_entry_set_nlink(e, S_ISDIR(st->st_mode) ? 2 : (unsigned)st->st_nlink);
	archive_entry_set_dev(e, 0);
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		archive_entry_set_rdev(e, st->st_rdev);
	if (symlink)
		archive_entry_set_symlink(e, symlink);
	archive_entry_set_size(e, size);
	if (archive_write_header(w->a, e) < ARCHIVE_WARN)
		return la_fail(w, path, err);
	w->stats.entries++;
	return 0;
}

/* A regular file: the data goes with its first name; a later name of the same inode is an empty member
 * with the same inode number, which the kernel's unpacker turns into a link (it opens that name without
 * truncating and writes nothing). One pass, nothing to reopen. */
static int put_file(struct walker *w, int dfd, const char *name, const char *path, struct capsa_error **err)
{
	/* O_NONBLOCK: a FIFO swapped in since the stat must not block the open. */
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return capsa_error_errno(err, "%s", path);
	if (!S_ISREG(st.st_mode))
		return capsa_error_set(err, EAGAIN, "%s: changed while being archived", path);
	uint32_t num = ++w->next_ino;
	if (st.st_nlink > 1) {
		uint32_t first = link_find_or_add(&w->links, st.st_dev, st.st_ino, num);
		if (first) {
			w->next_ino--;
			return put_header(w, path, &st, first, 0, NULL, err);
		}
	}
	if (put_header(w, path, &st, num, st.st_size, NULL, err) < 0)
		return -1;
	int64_t left = st.st_size;
	while (left > 0) {
		ssize_t n = read(fd, w->buf, left < COPY_BUF ? (size_t)left : COPY_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return capsa_error_errno(err, "%s", path);
		if (n == 0)
			return capsa_error_set(err, EAGAIN, "%s: shrank while being archived", path);
		if (archive_write_data(w->a, w->buf, (size_t)n) != n)
			return la_fail(w, path, err);
		left -= n;
	}
	w->stats.file_bytes += (uint64_t)st.st_size;
	return 0;
}

static int walk(struct walker *w, int dfd, char *path, size_t plen, int depth, struct capsa_error **err);

static int put_one(struct walker *w, int dfd, const char *name, char *path, size_t plen, int depth,
		   struct capsa_error **err)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return capsa_error_errno(err, "%s", path);
	if (S_ISREG(st.st_mode))
		return put_file(w, dfd, name, path, err);
	if (S_ISLNK(st.st_mode)) {
		/* The link's own text: whatever it points at (inside the tree or not) is never opened. */
		char target[PATH_MAX];
		ssize_t n = readlinkat(dfd, name, target, sizeof(target));
		if (n < 0)
			return capsa_error_errno(err, "%s", path);
		if ((size_t)n >= sizeof(target))
			return capsa_error_set(err, ENAMETOOLONG, "%s: symlink target too long", path);
		target[n] = '\0';
		return put_header(w, path, &st, ++w->next_ino, 0, target, err);
	}
	if (!S_ISDIR(st.st_mode))
		return put_header(w, path, &st, ++w->next_ino, 0, NULL, err); /* FIFO, socket, device */
	if (depth >= MAX_DEPTH)
		return capsa_error_set(err, ELOOP, "%s: more than %d directories deep", path, MAX_DEPTH);
	_cleanup_close_ int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat now;
	if (sub < 0 || fstat(sub, &now) < 0)
		return capsa_error_errno(err, "%s", path);
	if (now.st_dev != st.st_dev || now.st_ino != st.st_ino)
		return capsa_error_set(err, EAGAIN, "%s: changed while being archived", path);
	if (put_header(w, path, &now, ++w->next_ino, 0, NULL, err) < 0)
		return -1;
	return walk(w, sub, path, plen, depth + 1, err);
}

/* path[0..plen) is dfd's own name relative to the root ("" for the root); grown in place per entry. */
static int walk(struct walker *w, int dfd, char *path, size_t plen, int depth, struct capsa_error **err)
{
	_cleanup_strv_ char **names = list_dir(dfd, plen ? path : ".", err);
	if (names == NULL)
		return -1;
	for (char **n = names; *n; n++) {
		size_t len = strlen(*n);
		if (plen + 1 + len >= PATH_MAX) {
			path[plen] = '\0';
			return capsa_error_set(err, ENAMETOOLONG, "%s/%s: path too long", path, *n);
		}
		size_t at = plen;
		if (plen)
			path[at++] = '/';
		memcpy(path + at, *n, len + 1);
		if (put_one(w, dfd, *n, path, at + len, depth, err) < 0)
			return -1;
		path[plen] = '\0';
	}
	return 0;
}

int capsa_initramfs_write(int dirfd, int out, struct capsa_initramfs_stats *stats, struct capsa_error **err)
{
	struct stat st;
	if (dirfd < 0 || fstat(dirfd, &st) < 0)
		return capsa_error_set(err, dirfd < 0 ? EBADF : errno,
				       "initramfs: the tree's directory fd %d", dirfd);
	if (!S_ISDIR(st.st_mode))
		return capsa_error_set(err, ENOTDIR, "initramfs: the tree's directory fd %d", dirfd);
	if (out < 0 || fstat(out, &st) < 0)
		return capsa_error_set(err, out < 0 ? EBADF : errno, "initramfs: the output fd %d", out);
	if (capsa_archive_ready(err) < 0)
		return capsa_error_prefix(err, "initramfs");

	struct walker w = {0};
	w.a = archive_write_new();
	w.e = archive_entry_new();
	w.buf = xmalloc(COPY_BUF);
	_cleanup_free_ char *path = xzalloc(PATH_MAX);
	int rc = -1;
	/* Big blocks for fewer writes; no padding of the last one (the kernel wants none). */
	if (archive_write_set_format_cpio_newc(w.a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(w.a, 64 << 10) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(w.a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(w.a, out) != ARCHIVE_OK) {
		la_fail(&w, "initramfs", err);
		goto out;
	}
	if (walk(&w, dirfd, path, 0, 0, err) < 0) {
		capsa_error_prefix(err, "initramfs");
		goto out;
	}
	if (archive_write_close(w.a) != ARCHIVE_OK) {
		la_fail(&w, "initramfs", err);
		goto out;
	}
	if (stats)
		*stats = w.stats;
	rc = 0;
out:
	archive_entry_free(w.e);
	archive_write_free(w.a);
	free(w.links.slots);
	free(w.buf);
	return rc;
}

int capsa_vm_root_parse(const char *s, enum capsa_vm_root *out, struct capsa_error **err)
{
	if (s == NULL || !strcmp(s, "auto"))
		*out = CAPSA_VM_ROOT_AUTO;
	else if (!strcmp(s, "disk"))
		*out = CAPSA_VM_ROOT_DISK;
	else if (!strcmp(s, "initramfs"))
		*out = CAPSA_VM_ROOT_INITRAMFS;
	else
		return capsa_error_set(err, 0, "--vm-root %s: not disk, initramfs or auto", s);
	return 0;
}

const char *capsa_vm_root_name(enum capsa_vm_root r)
{
	switch (r) {
	case CAPSA_VM_ROOT_DISK:
		return "disk";
	case CAPSA_VM_ROOT_INITRAMFS:
		return "initramfs";
	default:
		return "auto";
	}
}

enum capsa_vm_root capsa_vm_root_choose(enum capsa_vm_root asked, uint64_t image_bytes, uint64_t memory)
{
	if (asked != CAPSA_VM_ROOT_AUTO)
		return asked;
	if (memory == 0)
		memory = 256ULL << 20;
	if (image_bytes <= CAPSA_VM_INITRAMFS_MAX && image_bytes <= memory / 8)
		return CAPSA_VM_ROOT_INITRAMFS;
	return CAPSA_VM_ROOT_DISK;
}
