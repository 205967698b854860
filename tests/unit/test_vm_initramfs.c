// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The micro-VM initramfs writer (vm/initramfs.c): a real tree under /tmp is written as a newc cpio, read
 * back with libarchive and compared member by member with lstat() of the tree (names, modes, owners,
 * mtimes, sizes, contents, symlink targets, hard links, device numbers); a symlink leading out of the tree
 * is kept as a link and never followed; the same tree gives the same bytes; bad fds are refused naming
 * them. Then --vm-root's parser and the size rule at its edges.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "engine/vm_kvm.h"
#include "vm/initramfs.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static char top[64];  /* /tmp/capsa-test-initramfs-XXXXXX */
static char tree[96]; /* top/tree: what is archived; top/ holds what must stay outside */

static void put(const char *rel, const void *data, size_t len, mode_t mode)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", tree, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || capsa_write_all(fd, data, len) < 0 || fchmod(fd, mode) < 0) {
		perror(p);
		exit(99);
	}
	close(fd);
}

static void must(int r, const char *what)
{
	if (r < 0) {
		perror(what);
		exit(99);
	}
}

/* Two buffers in turn: at() may be both arguments of link(). */
static char *at(const char *rel)
{
	static char p[2][256];
	static int k;
	k ^= 1;
	snprintf(p[k], sizeof(p[k]), "%s/%s", tree, rel);
	return p[k];
}

static uint8_t big[300 << 10]; /* more than the writer's copy buffer */

static void make_tree(void)
{
	snprintf(top, sizeof(top), "/tmp/capsa-test-initramfs-XXXXXX");
	if (mkdtemp(top) == NULL) {
		perror("mkdtemp");
		exit(99);
	}
	snprintf(tree, sizeof(tree), "%s/tree", top);
	must(mkdir(tree, 0755), "tree");
	must(mkdir(at("a"), 0750), "a");
	must(mkdir(at("a/b"), 0700), "a/b");
	must(mkdir(at("empty"), 0755), "empty");
	put("a/file", "hello initramfs\n", 16, 0640);
	must(chown(at("a/file"), 1234, 5678), "chown");
	struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};
	must(utimensat(AT_FDCWD, at("a/file"), ts, AT_SYMLINK_NOFOLLOW), "utimensat");
	must(link(at("a/file"), at("a/b/hard")), "link");
	put("empty-file", "", 0, 0644);
	put("suid", "#!/bin/sh\n", 10, 04755);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 131 + i / 7);
	put("big", big, sizeof(big), 0600);
	/* Its other name is outside the tree: the only name inside carries the data. */
	put("lonely", "linked from outside\n", 20, 0644);
	char outside[128];
	snprintf(outside, sizeof(outside), "%s/outside-link", top);
	must(link(at("lonely"), outside), "link outside");
	must(symlink("../../../etc/passwd", at("a/escape")), "symlink escape");
	must(symlink("/etc", at("etc-link")), "symlink dir");
	must(symlink("a/file", at("rel-link")), "symlink rel");
	must(mkfifo(at("fifo"), 0620), "mkfifo");
	must(mknod(at("null"), S_IFCHR | 0666, makedev(1, 3)), "mknod c");
	must(mknod(at("loop"), S_IFBLK | 0660, makedev(7, 42)), "mknod b");
}

struct member {
	char name[256];
	mode_t mode;
	int64_t uid, gid, size, ino;
	unsigned nlink;
	time_t mtime;
	dev_t rdev;
	char symlink[256];
	uint8_t *data;
};

static struct member members[64];
static size_t n_members;

/* Writes the tree into a memfd and reads it back; the archive's bytes in *bytes (malloc'd). */
static int archive_tree(char **bytes, size_t *len, struct capsa_initramfs_stats *st)
{
	int dfd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int out = memfd_create("cpio", MFD_CLOEXEC);
	struct capsa_error *err = NULL;
	int rc = capsa_initramfs_write(dfd, out, st, &err);
	close(dfd);
	if (rc < 0) {
		printf("# %s\n", err->msg);
		capsa_error_free(err);
		close(out);
		return -1;
	}
	lseek(out, 0, SEEK_SET);
	rc = capsa_read_fd(out, 0, bytes, len, &err);
	close(out);
	capsa_error_free(err);
	return rc;
}

static int read_back(const char *bytes, size_t len)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	archive_read_support_format_cpio(a);
	if (archive_read_open_memory(a, bytes, len) != ARCHIVE_OK)
		return -1;
	n_members = 0;
	while (archive_read_next_header(a, &e) == ARCHIVE_OK && n_members < ARRAY_SIZE(members)) {
		struct member *m = &members[n_members++];
		snprintf(m->name, sizeof(m->name), "%s", archive_entry_pathname(e));
		m->mode = archive_entry_mode(e);
		m->uid = archive_entry_uid(e);
		m->gid = archive_entry_gid(e);
		m->size = archive_entry_size(e);
		m->ino = archive_entry_ino64(e);
		m->nlink = archive_entry_nlink(e);
		m->mtime = archive_entry_mtime(e);
		m->rdev = archive_entry_rdev(e);
		snprintf(m->symlink, sizeof(m->symlink), "%s",
			 archive_entry_symlink(e) ? archive_entry_symlink(e) : "");
		m->data = xmalloc((size_t)m->size + 1);
		if (S_ISREG(m->mode) && m->size > 0 &&
		    archive_read_data(a, m->data, (size_t)m->size) != m->size)
			return -1;
	}
	archive_read_free(a);
	return 0;
}

static struct member *find(const char *name)
{
	for (size_t i = 0; i < n_members; i++)
		if (!strcmp(members[i].name, name))
			return &members[i];
	return NULL;
}

static void compare_tree(void)
{
	static const char *names[] = {"a",	"a/b",	 "a/b/hard",   "a/escape", "a/file",
				      "big",	"empty", "empty-file", "etc-link", "fifo",
				      "lonely", "loop",	 "null",       "rel-link", "suid"};
	is_int(n_members, ARRAY_SIZE(names), "every name of the tree is a member, the root itself is not");
	bool sorted = true;
	for (size_t i = 1; i < n_members; i++)
		if (strcmp(members[i - 1].name, members[i].name) > 0 &&
		    strncmp(members[i].name, members[i - 1].name, strlen(members[i - 1].name)) != 0)
			sorted = false;
	ok(sorted, "members come in sorted order, a directory before what it holds");
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct member *m = find(names[i]);
		struct stat st;
		if (!ok(m != NULL, "%s is a member", names[i]))
			continue;
		must(lstat(at(names[i]), &st), names[i]);
		bool same = m->mode == st.st_mode && m->uid == st.st_uid && m->gid == st.st_gid &&
			    m->mtime == st.st_mtim.tv_sec;
		if (!ok(same, "%s: mode, owner and mtime kept", names[i]))
			printf("#   mode %o/%o uid %lld/%u gid %lld/%u mtime %lld/%lld\n", m->mode,
			       st.st_mode, (long long)m->uid, st.st_uid, (long long)m->gid, st.st_gid,
			       (long long)m->mtime, (long long)st.st_mtim.tv_sec);
	}
	struct member *f = find("a/file"), *h = find("a/b/hard");
	if (f && h) {
		/* a/b/hard comes first: a directory's members are written before its next name. */
		ok(h < f && h->size == 16 && memcmp(h->data, "hello initramfs\n", 16) == 0,
		   "a file's content is kept, with the first of its names (a/b/hard)");
		is_int(f->uid * 10000 + f->gid, 1234 * 10000 + 5678, "its owner is kept (1234:5678)");
		ok(f->ino == h->ino && f->nlink == 2 && h->nlink == 2, "a hard link shares the inode number");
		ok(f->size == 0, "the later name is empty (the kernel links it to the first)");
	}
	struct member *b = find("big");
	ok(b && b->size == (int64_t)sizeof(big) && memcmp(b->data, big, sizeof(big)) == 0,
	   "a file larger than the copy buffer comes back byte for byte");
	struct member *l = find("lonely");
	ok(l && l->size == 20 && memcmp(l->data, "linked from outside\n", 20) == 0,
	   "a file whose other name is outside the tree carries its data");
	struct member *esc = find("a/escape"), *dl = find("etc-link"), *rl = find("rel-link");
	ok(esc && S_ISLNK(esc->mode) && !strcmp(esc->symlink, "../../../etc/passwd"),
	   "a symlink leading out of the tree is stored as a symlink with its text");
	ok(dl && S_ISLNK(dl->mode) && !strcmp(dl->symlink, "/etc") && find("etc-link/passwd") == NULL,
	   "a symlink to a host directory is not walked into");
	ok(rl && S_ISLNK(rl->mode) && !strcmp(rl->symlink, "a/file"), "a relative symlink is kept");
	struct member *fi = find("fifo"), *nu = find("null"), *lo = find("loop");
	ok(fi && S_ISFIFO(fi->mode) && fi->size == 0, "a FIFO is a FIFO member");
	ok(nu && S_ISCHR(nu->mode) && major(nu->rdev) == 1 && minor(nu->rdev) == 3,
	   "a char device keeps 1:3");
	ok(lo && S_ISBLK(lo->mode) && major(lo->rdev) == 7 && minor(lo->rdev) == 42,
	   "a block device keeps 7:42");
	struct member *em = find("empty"), *ef = find("empty-file"), *su = find("suid");
	ok(em && S_ISDIR(em->mode), "an empty directory is a member");
	ok(ef && S_ISREG(ef->mode) && ef->size == 0, "an empty file is a member");
	ok(su && (su->mode & 07777) == 04755, "a setuid bit is kept");
	bool inos = true;
	for (size_t i = 0; i < n_members; i++)
		for (size_t j = i + 1; j < n_members; j++)
			if (members[i].ino == members[j].ino &&
			    !(members[i].ino == f->ino && members[j].ino == f->ino))
				inos = false;
	ok(inos, "every other member has its own inode number");
}

static void bad_input(void)
{
	struct capsa_error *err = NULL;
	int rc;
	int out = memfd_create("cpio", MFD_CLOEXEC);
	rc = capsa_initramfs_write(-1, out, NULL, &err);
	ok(rc < 0 && err && err->errnum == EBADF && strstr(err->msg, "directory fd -1"),
	   "a bad directory fd is refused naming it (%s)", err ? err->msg : "accepted");
	capsa_error_clear(&err);
	int f = open(at("a/file"), O_RDONLY | O_CLOEXEC);
	rc = capsa_initramfs_write(f, out, NULL, &err);
	ok(rc < 0 && err && err->errnum == ENOTDIR, "a file's fd as the tree is refused (%s)",
	   err ? err->msg : "accepted");
	capsa_error_clear(&err);
	int d = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rc = capsa_initramfs_write(d, 12345, NULL, &err);
	ok(rc < 0 && err && err->errnum == EBADF && strstr(err->msg, "output fd 12345"),
	   "a bad output fd is refused naming it (%s)", err ? err->msg : "accepted");
	capsa_error_clear(&err);
	/* A read-only output: libarchive's failure comes back as an error, not a crash. */
	int ro = open(at("a/file"), O_RDONLY | O_CLOEXEC);
	rc = capsa_initramfs_write(d, ro, NULL, &err);
	ok(rc < 0 && err, "an output that cannot be written fails (%s)", err ? err->msg : "accepted");
	capsa_error_clear(&err);
	close(ro);
	close(f);
	close(d);
	close(out);
}

/* A tree deeper than the walker goes is refused naming where, not walked with an fd per level. */
static void too_deep(void)
{
	char deep[128];
	snprintf(deep, sizeof(deep), "%s/deep", top);
	must(mkdir(deep, 0755), "deep");
	int d = open(deep, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int i = 0; i < 300; i++) {
		must(mkdirat(d, "d", 0755), "mkdirat");
		int sub = openat(d, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		must(sub, "openat");
		close(d);
		d = sub;
	}
	close(d);
	d = open(deep, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int out = memfd_create("cpio", MFD_CLOEXEC);
	struct capsa_error *err = NULL;
	int rc = capsa_initramfs_write(d, out, NULL, &err);
	ok(rc < 0 && err && err->errnum == ELOOP && strstr(err->msg, "initramfs: d/d/d/") &&
		   strstr(err->msg, "more than 256 directories deep"),
	   "a tree 300 directories deep is refused naming the path (%.60s...)", err ? err->msg : "accepted");
	capsa_error_free(err);
	close(out);
	close(d);
}

static void root_rule(void)
{
	enum capsa_vm_root r = CAPSA_VM_ROOT_DISK;
	struct capsa_error *err = NULL;
	ok(capsa_vm_root_parse("initramfs", &r, &err) == 0 && r == CAPSA_VM_ROOT_INITRAMFS,
	   "parse initramfs");
	ok(capsa_vm_root_parse("disk", &r, &err) == 0 && r == CAPSA_VM_ROOT_DISK, "parse disk");
	ok(capsa_vm_root_parse("auto", &r, &err) == 0 && r == CAPSA_VM_ROOT_AUTO, "parse auto");
	ok(capsa_vm_root_parse(NULL, &r, &err) == 0 && r == CAPSA_VM_ROOT_AUTO, "no flag is auto");
	const char *bad[] = {"", "Disk", "ramfs", "disk ", "initramfs,disk"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char want[64];
		snprintf(want, sizeof(want), "--vm-root %s: not disk, initramfs or auto", bad[i]);
		ok(capsa_vm_root_parse(bad[i], &r, &err) < 0 && err && !strcmp(err->msg, want),
		   "refuses '%s' naming it (%s)", bad[i], err ? err->msg : "accepted");
		capsa_error_clear(&err);
	}
	is_str(capsa_vm_root_name(CAPSA_VM_ROOT_INITRAMFS), "initramfs", "name of initramfs");
	is_str(capsa_vm_root_name(CAPSA_VM_ROOT_DISK), "disk", "name of disk");

	const uint64_t M = 1 << 20;
	enum capsa_vm_root A = CAPSA_VM_ROOT_AUTO, I = CAPSA_VM_ROOT_INITRAMFS, D = CAPSA_VM_ROOT_DISK;
	is_int(capsa_vm_root_choose(A, 4 * M, 0), I, "auto: a 4 MiB image in the default 256 MiB: initramfs");
	is_int(capsa_vm_root_choose(A, 16 * M, 0), I, "auto: 16 MiB, the size limit itself: initramfs");
	is_int(capsa_vm_root_choose(A, 16 * M + 1, 0), D, "auto: one byte over the size limit: disk");
	is_int(capsa_vm_root_choose(A, 12 * M, 96 * M), I,
	       "auto: 12 MiB = 96/8, 1/8 of -m 96m itself: initramfs");
	is_int(capsa_vm_root_choose(A, 12 * M + 1, 96 * M), D, "auto: one byte over 1/8 of -m 96m: disk");
	is_int(capsa_vm_root_choose(A, 16 * M, 64 * M), D, "auto: 16 MiB in -m 64m (over 1/8): disk");
	is_int(capsa_vm_root_choose(A, 8 * M, 64 * M), I, "auto: 8 MiB in -m 64m (1/8): initramfs");
	is_int(capsa_vm_root_choose(A, CAPSA_VM_INITRAMFS_MAX, 4096 * M), I,
	       "auto: the size limit itself with plenty of memory: initramfs");
	is_int(capsa_vm_root_choose(A, CAPSA_VM_INITRAMFS_MAX + 1, 4096 * M), D,
	       "auto: one byte over the size limit, whatever the memory: disk");
	is_int(capsa_vm_root_choose(A, 0, 0), I, "auto: an empty image: initramfs");
	is_int(capsa_vm_root_choose(A, UINT64_MAX, UINT64_MAX), D,
	       "auto: absurd sizes do not overflow: disk");
	is_int(capsa_vm_root_choose(D, 1, 0), D, "--vm-root disk is kept for a tiny image");
	is_int(capsa_vm_root_choose(I, 900 * M, 0), I, "--vm-root initramfs is kept for a large image");
}

/* The KVM backend's command line for each root: rdinit= and no root device for the initramfs. */
static void kvm_cmdline(void)
{
	_cleanup_free_ char *ird = engine_vm_kvm_cmdline_root(true, true);
	_cleanup_free_ char *disk = engine_vm_kvm_cmdline_root(true, false);
	_cleanup_free_ char *old = engine_vm_kvm_cmdline(true);
	ok(strstr(ird, " rdinit=/capsa-vminit ") && !strstr(ird, "root=") && !strstr(ird, " init="),
	   "initramfs: rdinit=, no root= and no init= (%s)", ird);
	ok(strstr(disk, "root=/dev/vda rw rootfstype=ext4 init=/capsa-vminit") && !strstr(disk, "rdinit"),
	   "disk: root=/dev/vda and init= (%s)", disk);
	is_str(old, disk, "the disk's line is the one engine_vm_kvm_cmdline always gave");
}

int main(void)
{
	make_tree();
	char *b1 = NULL, *b2 = NULL;
	size_t l1 = 0, l2 = 0;
	struct capsa_initramfs_stats st = {0};
	if (ok(archive_tree(&b1, &l1, &st) == 0, "the tree is written as a cpio (%zu bytes)", l1)) {
		ok(l1 > 6 && memcmp(b1, "070701", 6) == 0, "it is newc (magic 070701)");
		ok(l1 >= 10 && memmem(b1, l1, "TRAILER!!!", 10) != NULL, "it ends with the trailer");
		is_int(st.entries, 15, "stats: 15 members");
		is_int(st.file_bytes, 16 + 10 + sizeof(big) + 20,
		       "stats: the regular files' bytes, links once");
		ok(read_back(b1, l1) == 0, "libarchive reads it back");
		compare_tree();
		ok(archive_tree(&b2, &l2, NULL) == 0 && l1 == l2 && memcmp(b1, b2, l1) == 0,
		   "the same tree gives the same bytes");
	}
	bad_input();
	too_deep();
	root_rule();
	kvm_cmdline();
	free(b1);
	free(b2);
	capsa_rm_rf_at(AT_FDCWD, top);
	return tap_done();
}
