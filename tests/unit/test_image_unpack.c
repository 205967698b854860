/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Path sanitising and whiteout names (pure), then capsa_image_unpack_layer on layers written here with
 * libarchive into a private directory under /tmp/capsa-test-*: overlay-form whiteouts, links, modes,
 * ownership with an id mapping, the entry/expansion caps and the diff_id check.
 */
#define _GNU_SOURCE
#include "image/image.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "tests/unit/tap.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

static void clean_ok(const char *in, const char *want)
{
	_cleanup_free_ char *out = NULL;
	int r = capsa_image_clean_path(in, &out, NULL);
	ok(r == 0 && out && !strcmp(out, want), "clean \"%s\" -> \"%s\"", in, want);
}

static void clean_bad(const char *in, const char *why)
{
	_cleanup_free_ char *out = NULL;
	struct capsa_error *err = NULL;
	int r = capsa_image_clean_path(in, &out, &err);
	ok(r == -1 && err && strstr(err->msg, why), "reject \"%.40s\": %s", in ? in : "(null)", why);
	capsa_error_free(err);
}

/* ---- building layers ---- */

struct layer {
	struct archive *a;
	char *path;
	int gzip;
};

static void layer_begin(struct layer *l, const char *dir, const char *name, int gzip)
{
	l->path = xasprintf("%s/%s", dir, name);
	l->a = archive_write_new();
	l->gzip = gzip;
	archive_write_set_format_pax_restricted(l->a);
	if (gzip)
		archive_write_add_filter_gzip(l->a);
	archive_write_open_filename(l->a, l->path);
}

static void add(struct layer *l, const char *name, mode_t type, mode_t perm, const char *data,
		const char *link, int64_t uid, int64_t gid)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_uid(e, uid);
	archive_entry_set_gid(e, gid);
	archive_entry_set_mtime(e, 1000000000, 0);
	if (type == AE_IFLNK)
		archive_entry_set_symlink(e, link);
	else if (link)
		archive_entry_set_hardlink(e, link);
	size_t n = data ? strlen(data) : 0;
	archive_entry_set_size(e, type == AE_IFREG && !link ? (int64_t)n : 0);
	archive_write_header(l->a, e);
	if (n && type == AE_IFREG && !link)
		archive_write_data(l->a, data, n);
	archive_entry_free(e);
}

static void add_xattr_file(struct layer *l, const char *name, const char *key, const char *val, size_t len)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0755);
	archive_entry_set_size(e, 0);
	archive_entry_xattr_add_entry(e, key, val, len);
	archive_write_header(l->a, e);
	archive_entry_free(e);
}

/* Closes the layer and returns the sha256 of its uncompressed stream. */
static char *layer_end(struct layer *l)
{
	archive_write_close(l->a);
	archive_write_free(l->a);
	struct archive *r = archive_read_new();
	archive_read_support_filter_all(r);
	archive_read_support_format_raw(r);
	struct archive_entry *e;
	archive_read_open_filename(r, l->path, 65536);
	archive_read_next_header(r, &e);
	_cleanup_free_ char *buf = xmalloc(1 << 20);
	size_t total = 0, cap = 1 << 20;
	char *all = xmalloc(cap);
	for (;;) {
		la_ssize_t n = archive_read_data(r, buf, 1 << 20);
		if (n <= 0)
			break;
		if (total + (size_t)n > cap) {
			cap = (total + (size_t)n) * 2;
			all = xrealloc(all, cap);
		}
		memcpy(all + total, buf, (size_t)n);
		total += (size_t)n;
	}
	archive_read_free(r);
	char *d = capsa_digest_sha256(all, total);
	free(all);
	return d;
}

static int unpack(struct layer *l, const char *diff_id, const char *into,
		  const struct capsa_unpack_limits *lim, struct capsa_error **err)
{
	mkdir(into, 0755);
	_cleanup_close_ int fd = open(l->path, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int dfd = open(into, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int64_t size = 0;
	return capsa_image_unpack_layer(fd, 0, dfd, diff_id, lim, &size, err);
}

static mode_t mode_of(const char *dir, const char *p)
{
	_cleanup_free_ char *f = xasprintf("%s/%s", dir, p);
	struct stat st;
	return lstat(f, &st) == 0 ? st.st_mode : 0;
}

static struct stat stat_of(const char *dir, const char *p)
{
	_cleanup_free_ char *f = xasprintf("%s/%s", dir, p);
	struct stat st = {0};
	lstat(f, &st);
	return st;
}

int main(void)
{
	clean_ok("./a/b", "a/b");
	clean_ok("a//b/./c/", "a/b/c");
	clean_ok("./", "");
	clean_ok(".", "");
	clean_ok("a/..b/c..", "a/..b/c..");
	clean_ok(".wh..wh..opq", ".wh..wh..opq");
	clean_bad("/etc/passwd", "absolute path");
	clean_bad("../x", "\"..\" component");
	clean_bad("a/../../x", "\"..\" component");
	clean_bad("a/..", "\"..\" component");
	clean_bad("", "empty name");
	clean_bad(NULL, "empty name");
	_cleanup_free_ char *longc = xmalloc(300);
	memset(longc, 'a', 299);
	longc[299] = '\0';
	clean_bad(longc, "component longer than 255");
	_cleanup_free_ char *longp = xmalloc(5000);
	for (int i = 0; i < 4999; i++)
		longp[i] = i % 2 ? '/' : 'a';
	longp[4999] = '\0';
	clean_bad(longp, "longer than 4096");

	const char *t = NULL;
	is_int(capsa_image_whiteout(".wh.foo", &t), CAPSA_WHITEOUT_FILE, ".wh.foo is a whiteout");
	is_str(t, "foo", "of foo");
	is_int(capsa_image_whiteout(".wh..wh..opq", &t), CAPSA_WHITEOUT_OPAQUE, "opaque marker");
	is_int(capsa_image_whiteout(".wh..wh.plnk", &t), CAPSA_WHITEOUT_META, "aufs metadata");
	is_int(capsa_image_whiteout("wh.foo", &t), CAPSA_WHITEOUT_NONE, "not a whiteout");
	is_int(capsa_image_whiteout(".whx", &t), CAPSA_WHITEOUT_NONE, "not a whiteout either");

	if (geteuid() != 0) {
		printf("# skipping the unpack tests: they need root (chown, mknod, trusted xattrs)\n");
		return tap_done();
	}
	char tmpl[] = "/tmp/capsa-test-unpack-XXXXXX";
	const char *dir = mkdtemp(tmpl);
	if (!ok(dir != NULL, "temp dir"))
		return tap_done();

	/* A layer with everything in it. */
	struct layer l;
	layer_begin(&l, dir, "full.tar.gz", 1);
	add(&l, "./", AE_IFDIR, 0755, NULL, NULL, 0, 0);
	add(&l, "etc/", AE_IFDIR, 0755, NULL, NULL, 0, 0);
	add(&l, "etc/passwd", AE_IFREG, 0644, "root:x:0:0::/:/bin/sh\n", NULL, 0, 0);
	add(&l, "etc/hard", AE_IFREG, 0644, NULL, "etc/passwd", 0, 0);
	add(&l, "bin/su", AE_IFREG, 04755, "#!/bin/sh\n", NULL, 0, 0); /* parent bin/ created implicitly */
	add(&l, "tmp", AE_IFDIR, 01777, NULL, NULL, 0, 0);
	add(&l, "home/u/file", AE_IFREG, 0600, "mine", NULL, 1000, 1000);
	add(&l, "link", AE_IFLNK, 0777, NULL, "/etc/passwd", 0, 0);
	add(&l, ".wh.gone", AE_IFREG, 0644, NULL, NULL, 0, 0);
	add(&l, "opq/", AE_IFDIR, 0755, NULL, NULL, 0, 0);
	add(&l, "opq/.wh..wh..opq", AE_IFREG, 0644, NULL, NULL, 0, 0);
	add(&l, "opq/keep", AE_IFREG, 0644, "k", NULL, 0, 0);
	add(&l, "opq/.wh.keep", AE_IFREG, 0644, NULL, NULL, 0, 0); /* same layer: keep stays */
	add(&l, "fifo", AE_IFIFO, 0600, NULL, NULL, 0, 0);
	add(&l, "replace", AE_IFDIR, 0755, NULL, NULL, 0, 0);
	add(&l, "replace/x", AE_IFREG, 0644, "x", NULL, 0, 0);
	add(&l, "replace", AE_IFREG, 0644, "now a file", NULL, 0, 0);
	add_xattr_file(&l, "cap", "security.capability",
		       "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
		       20);
	add_xattr_file(&l, "ovl", "trusted.overlay.redirect", "/etc", 4);
	_cleanup_free_ char *diff = layer_end(&l);
	_cleanup_free_ char *out = xasprintf("%s/full", dir);
	struct capsa_error *err = NULL;
	if (!ok(unpack(&l, diff, out, NULL, &err) == 0, "full layer unpacks"))
		printf("#   %s\n", err->msg);
	capsa_error_clear(&err);
	ok(S_ISREG(mode_of(out, "etc/passwd")), "regular file");
	ok(stat_of(out, "etc/hard").st_ino == stat_of(out, "etc/passwd").st_ino,
	   "hard link shares the inode");
	is_int(mode_of(out, "bin/su") & 07777, 04755, "setuid kept after chown");
	is_int(mode_of(out, "tmp") & 07777, 01777, "sticky dir");
	is_int(stat_of(out, "home/u/file").st_uid, 1000, "owner uid");
	is_int(stat_of(out, "etc/passwd").st_mtime, 1000000000, "mtime");
	is_int(stat_of(out, "tmp").st_mtime, 1000000000, "directory mtime set after its children");
	ok(S_ISLNK(mode_of(out, "link")), "symlink stored as is");
	struct stat wst = stat_of(out, "gone");
	ok(S_ISCHR(wst.st_mode) && wst.st_rdev == makedev(0, 0), "whiteout became a 0/0 char device");
	ok(S_ISREG(mode_of(out, "opq/keep")), "a whiteout does not hide a file of its own layer");
	_cleanup_free_ char *opq = xasprintf("%s/opq", out);
	char v[4] = {0};
	ok(getxattr(opq, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y', "opaque dir xattr");
	ok(S_ISFIFO(mode_of(out, "fifo")), "fifo");
	ok(S_ISREG(mode_of(out, "replace")), "a later member replaces a directory");
	_cleanup_free_ char *capf = xasprintf("%s/cap", out), *ovlf = xasprintf("%s/ovl", out);
	ok(getxattr(capf, "security.capability", NULL, 0) == 20, "security.capability xattr");
	ok(getxattr(ovlf, "trusted.overlay.redirect", NULL, 0) < 0,
	   "overlay xattrs from a layer are dropped");

	/* diff_id mismatch */
	_cleanup_free_ char *out2 = xasprintf("%s/mismatch", dir);
	const char *wrong = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
	ok(unpack(&l, wrong, out2, NULL, &err) == -1 && strstr(err->msg, wrong) && strstr(err->msg, diff),
	   "diff_id mismatch names both digests");
	capsa_error_clear(&err);

	/* id mapping */
	struct capsa_unpack_limits map = {.uid_shift = 100000, .gid_shift = 200000, .id_range = 65536};
	_cleanup_free_ char *out3 = xasprintf("%s/mapped", dir);
	ok(unpack(&l, diff, out3, &map, &err) == 0, "unpack with an id mapping");
	capsa_error_clear(&err);
	ok(stat_of(out3, "home/u/file").st_uid == 101000 && stat_of(out3, "home/u/file").st_gid == 201000,
	   "ids shifted");
	is_int(mode_of(out3, "bin/su") & 07777, 04755, "setuid kept with a mapping");
	struct layer big;
	layer_begin(&big, dir, "bigid.tar", 0);
	add(&big, "f", AE_IFREG, 0644, "x", NULL, 70000, 0);
	_cleanup_free_ char *bigdiff = layer_end(&big);
	_cleanup_free_ char *out4 = xasprintf("%s/bigid", dir);
	ok(unpack(&big, bigdiff, out4, &map, &err) == -1 &&
		   strstr(err->msg, "uid 70000 outside the id mapping"),
	   "an id outside the mapping is refused");
	capsa_error_clear(&err);

	/* caps */
	struct layer many;
	layer_begin(&many, dir, "many.tar", 0);
	for (int i = 0; i < 20; i++) {
		char n[16];
		snprintf(n, sizeof(n), "f%d", i);
		add(&many, n, AE_IFREG, 0644, "x", NULL, 0, 0);
	}
	_cleanup_free_ char *manydiff = layer_end(&many);
	struct capsa_unpack_limits few = {.max_entries = 10};
	_cleanup_free_ char *out5 = xasprintf("%s/many", dir);
	ok(unpack(&many, manydiff, out5, &few, &err) == -1 && strstr(err->msg, "more than 10 members"),
	   "entry cap");
	capsa_error_clear(&err);
	struct capsa_unpack_limits small = {.max_bytes = 4096};
	_cleanup_free_ char *out6 = xasprintf("%s/small", dir);
	ok(unpack(&many, manydiff, out6, &small, &err) == -1 &&
		   strstr(err->msg, "expands to more than 4096 bytes"),
	   "size cap");
	capsa_error_clear(&err);

	/* empty layers: an empty stream and a bare end-of-archive */
	struct layer empty;
	layer_begin(&empty, dir, "empty.tar", 0);
	_cleanup_free_ char *ediff = layer_end(&empty);
	_cleanup_free_ char *out7 = xasprintf("%s/empty", dir);
	ok(unpack(&empty, ediff, out7, NULL, &err) == 0, "an empty tar is an empty layer");
	capsa_error_clear(&err);
	struct layer zero = {.path = xasprintf("%s/zero", dir)};
	close(open(zero.path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	_cleanup_free_ char *zdiff = capsa_digest_sha256("", 0);
	_cleanup_free_ char *out8 = xasprintf("%s/zero-out", dir);
	if (!ok(unpack(&zero, zdiff, out8, NULL, &err) == 0, "a zero-byte blob is an empty layer"))
		printf("#   %s\n", err->msg);
	capsa_error_clear(&err);
	free(zero.path);

	/* not a tar */
	struct layer junk = {.path = xasprintf("%s/junk", dir)};
	ok(capsa_write_file_atomic_at(AT_FDCWD, junk.path, "hello world, not a tar", 22, 0644, NULL) == 0,
	   "junk file");
	_cleanup_free_ char *out9 = xasprintf("%s/junk-out", dir);
	ok(unpack(&junk, NULL, out9, NULL, &err) == -1 && err, "junk is refused");
	capsa_error_clear(&err);
	free(junk.path);

	free(l.path);
	free(big.path);
	free(many.path);
	free(empty.path);
	capsa_rm_rf_at(AT_FDCWD, dir);
	return tap_done();
}
