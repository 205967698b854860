/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The store API as the CLI's run command will use it, on a private store under /tmp/capsa-test-*: import a
 * directory, look it up, build the runtime config (users resolved through the image's /etc/passwd, from
 * the snapshots and from a mounted rootfs), prepare an overlay and a flattened rootfs, remount, remove,
 * and the in-use rule of rmi.
 */
#define _GNU_SOURCE
#include "image/image.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "tests/unit/tap.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>

static void write_file(const char *dir, const char *name, const char *text)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "we");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static bool is_overlay(const char *path)
{
	struct statfs sf;
	return statfs(path, &sf) == 0 && (unsigned long)sf.f_type == 0x794c7630;
}

int main(void)
{
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root (overlay mounts, chown)\n");
		return 0;
	}
	char tmpl[] = "/tmp/capsa-test-store-XXXXXX";
	const char *dir = mkdtemp(tmpl);
	_cleanup_free_ char *root = xasprintf("%s/store", dir), *src = xasprintf("%s/src", dir),
			    *etc = xasprintf("%s/src/etc", dir);
	mkdir(src, 0755);
	mkdir(etc, 0755);
	write_file(etc, "passwd", "root:x:0:0:root:/root:/bin/sh\nweb:x:33:33:www:/var/www:/bin/false\n");
	write_file(etc, "group", "root:x:0:\nwww-data:x:33:\nlogs:x:4:web\n");
	write_file(src, "hello", "hi\n");

	struct capsa_image_store *s = NULL;
	struct capsa_error *err = NULL;
	if (!ok(capsa_image_store_open(root, true, &s, &err) == 0, "open a new store"))
		return tap_done();
	struct stat st;
	ok(stat(root, &st) == 0 && (st.st_mode & 07777) == 0700, "store root is 0700");

	char *changes[] = {"USER web",	       "CMD [\"/hello\"]",   "ENV X=1",
			   "WORKDIR /var/www", "STOPSIGNAL SIGUSR1", NULL};
	_cleanup_free_ char *id = NULL;
	if (!ok(capsa_image_import(s, src, "test/web:1", changes, 5, &id, &err) == 0, "import a directory"))
		printf("#   %s\n", err->msg);
	capsa_error_clear(&err);
	const struct capsa_image *img = NULL;
	ok(capsa_image_lookup(s, "test/web:1", &img, NULL) == 0 && !strcmp(img->id, id), "lookup by name");
	ok(capsa_image_lookup(s, id + 7, &img, NULL) == 0, "lookup by hex id");
	_cleanup_free_ char *prefix = xstrndup(id + 7, 6);
	ok(capsa_image_lookup(s, prefix, &img, NULL) == 0, "lookup by id prefix");
	ok(capsa_image_lookup(s, "test/web:2", &img, &err) == -1 &&
		   strstr(err->msg, "no such image: test/web:2"),
	   "unknown tag");
	capsa_error_clear(&err);

	/* Runtime config through the snapshots. */
	ok(capsa_image_lookup(s, "test/web:1", &img, NULL) == 0, "lookup again");
	struct capsa_image_runtime *rt = NULL;
	if (ok(capsa_image_runtime_config(s, img, -1, NULL, &rt, &err) == 0,
	       "runtime config from snapshots")) {
		ok(rt->process.user.uid == 33 && rt->process.user.gid == 33 &&
			   rt->process.user.n_additional_gids == 1 &&
			   rt->process.user.additional_gids[0] == 4,
		   "user web resolved with its groups");
		is_str(rt->process.args[0], "/hello", "args");
		is_str(rt->process.cwd, "/var/www", "cwd");
		is_int(rt->stop_signal, 10, "stop signal SIGUSR1");
	} else {
		printf("#   %s\n", err->msg);
	}
	capsa_error_clear(&err);
	capsa_image_runtime_free(rt);
	rt = NULL;

	/* An overlay rootfs. */
	struct capsa_image_rootfs *r = NULL;
	if (ok(capsa_image_rootfs_prepare(s, "test/web:1", "capsa-test-c1", NULL, &r, &err) == 0,
	       "prepare overlay")) {
		ok(r->overlay && is_overlay(r->path), "it is an overlay mount");
		_cleanup_free_ char *hello = xasprintf("%s/hello", r->path);
		ok(access(hello, R_OK) == 0, "image content visible");
		write_file(r->path, "new", "container write\n");
		img = NULL;
		ok(capsa_image_lookup(s, "test/web:1", &img, NULL) == 0, "lookup");
		_cleanup_close_ int rfd = open(r->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ok(capsa_image_runtime_config(s, img, rfd, NULL, &rt, &err) == 0 &&
			   rt->process.user.uid == 33,
		   "runtime config through the mounted rootfs");
		capsa_error_clear(&err);
		capsa_image_runtime_free(rt);
		rt = NULL;
		char **report = NULL;
		ok(capsa_image_remove(s, "test/web:1", false, &report, &err) == -1 &&
			   strstr(err->msg, "in use"),
		   "rmi refuses while the rootfs exists");
		capsa_error_clear(&err);
		ok(capsa_image_rootfs_prepare(s, "test/web:1", "capsa-test-c1", NULL, &r, &err) == -1 &&
			   strstr(err->msg, "already exists"),
		   "a second prepare with the same id is refused");
		capsa_error_clear(&err);
		ok(capsa_image_rootfs_unmount(s, "capsa-test-c1", NULL) == 0 && !is_overlay(r->path),
		   "unmount");
		struct capsa_image_rootfs *again = NULL;
		ok(capsa_image_rootfs_mount(s, "capsa-test-c1", &again, NULL) == 0 && is_overlay(again->path),
		   "mount again after unmount");
		_cleanup_free_ char *newf = xasprintf("%s/new", r->path);
		ok(access(newf, R_OK) == 0, "the container's write survived the remount");
		capsa_image_rootfs_free(again);
		ok(capsa_image_rootfs_remove(s, "capsa-test-c1", NULL) == 0 && access(r->dir, F_OK) < 0,
		   "remove");
	} else {
		printf("#   %s\n", err->msg);
	}
	capsa_error_clear(&err);
	capsa_image_rootfs_free(r);
	r = NULL;

	/* A flattened rootfs. */
	struct capsa_rootfs_opts flat = {.no_overlay = true};
	if (ok(capsa_image_rootfs_prepare(s, "test/web:1", "capsa-test-c2", &flat, &r, &err) == 0,
	       "prepare flat")) {
		ok(!r->overlay && !is_overlay(r->path) && r->fallback_reason,
		   "a plain directory, with a reason");
		_cleanup_free_ char *pw = xasprintf("%s/etc/passwd", r->path);
		ok(access(pw, R_OK) == 0, "content copied");
		ok(capsa_image_rootfs_remove(s, "capsa-test-c2", NULL) == 0, "remove flat");
	}
	capsa_error_clear(&err);
	capsa_image_rootfs_free(r);
	r = NULL;
	ok(capsa_image_rootfs_prepare(s, "test/web:1", "../evil", NULL, &r, &err) == -1 &&
		   strstr(err->msg, "invalid container id"),
	   "a container id with a slash is refused");
	capsa_error_clear(&err);

	/* Now rmi works and collects everything. */
	char **report = NULL;
	ok(capsa_image_remove(s, "test/web:1", false, &report, &err) == 0, "rmi");
	capsa_strv_free(report);
	size_t n;
	capsa_image_store_images(s, &n);
	is_int(n, 0, "no images left");
	_cleanup_free_ char *snaps = xasprintf("%s/snapshots", root);
	_cleanup_closedir_ DIR *d = opendir(snaps);
	int entries = 0;
	for (struct dirent *de; d && (de = readdir(d));)
		entries += de->d_name[0] != '.';
	is_int(entries, 0, "no snapshots left");
	capsa_image_store_close(s);

	/* A second opener sees what the first wrote; a read-only store refuses to unpack. */
	ok(capsa_image_store_open(root, false, &s, NULL) == 0, "open read-only");
	capsa_image_store_close(s);
	capsa_rm_rf_at(AT_FDCWD, dir);
	return tap_done();
}
