/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * common/path.h against hostile trees, as an image could ship them: absolute symlinks to /etc, ../ chains,
 * symlink loops, dangling symlinks, a file where a directory is expected. Every lookup must stay inside the
 * root; every create must land inside it; nothing may be written to the host.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "common/path.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static char base[] = "/tmp/capsa-test-path-XXXXXX";
static int root = -1; /* base/root: the tree under test; base/outside is a sibling that must stay empty */
static char *unique;  /* a name no host directory has, to prove nothing was created there */
/*
 * Without openat2 (kernels before 5.6, and valgrind, which does not know the syscall) path.c walks with
 * O_NOFOLLOW and refuses every symlink and "..": the same trees must then fail, never resolve outside.
 */
static bool fallback;
#define WALK (fallback ? " (O_NOFOLLOW walk: refused)" : "")

static void mk(const char *path, const char *content)
{
	struct capsa_error *err = NULL;
	if (capsa_write_file_atomic_at(root, path, content, strlen(content), 0644, &err) < 0) {
		printf("# setup %s: %s\n", path, err->msg);
		capsa_error_clear(&err);
	}
}

static void ln(const char *target, const char *name)
{
	if (symlinkat(target, root, name) < 0)
		printf("# setup symlink %s: %m\n", name);
}

/* Reads path through capsa_open_in_root; NULL with *errnum set on failure. */
static char *read_in_root(const char *path, int *errnum)
{
	struct capsa_error *err = NULL;
	_cleanup_close_ int fd = capsa_open_in_root(root, path, O_RDONLY, 0, &err);
	if (fd < 0) {
		*errnum = err->errnum;
		if (!strstr(err->msg, path))
			printf("# error does not name %s: %s\n", path, err->msg);
		capsa_error_clear(&err);
		return NULL;
	}
	char *data = NULL;
	if (capsa_read_fd(fd, 0, &data, NULL, &err) < 0) {
		*errnum = err->errnum;
		capsa_error_clear(&err);
		return NULL;
	}
	*errnum = 0;
	return data;
}

/* The fd's real path must be below base/root. */
static bool inside(int fd)
{
	char link[CAPSA_FD_PATH_MAX], real[PATH_MAX];
	capsa_fd_path(fd, link);
	ssize_t n = readlink(link, real, sizeof(real) - 1);
	if (n < 0)
		return false;
	real[n] = '\0';
	_cleanup_free_ char *prefix = xasprintf("%s/root", base);
	return capsa_str_has_prefix(real, prefix) &&
	       (real[strlen(prefix)] == '/' || real[strlen(prefix)] == 0);
}

static void setup(void)
{
	if (!mkdtemp(base)) {
		ok(0, "mkdtemp");
		exit(tap_done());
	}
	_cleanup_free_ char *r = xasprintf("%s/root", base), *o = xasprintf("%s/outside", base);
	mkdir(r, 0755);
	mkdir(o, 0755);
	root = open(r, O_PATH | O_DIRECTORY | O_CLOEXEC);
	unique = xasprintf("capsa-test-%d-%s", (int)getpid(), strrchr(base, '-') + 1);

	mkdirat(root, "etc", 0755);
	mk("etc/passwd", "inside\n");
	mk("file", "a file\n");
	mkdirat(root, "a", 0755);
	mkdirat(root, "a/b", 0755);
	ln("/etc", "etc_link");			     /* absolute, to the host's /etc if followed naively */
	ln("../../../../../../../../etc", "a/b/up"); /* a ../ chain climbing far above the root */
	ln("../outside", "sibling");		     /* relative, just one level above the root */
	ln("loop2", "loop1");			     /* a loop */
	ln("loop1", "loop2");
	ln("self", "self");			  /* a link to itself */
	ln("/nonexistent-capsa/x", "dangle_abs"); /* dangling, absolute */
	ln("../../../nowhere/y", "a/dangle_rel"); /* dangling, climbing */
	ln("file", "file_link");		  /* a link to a file used as a directory */
	ln("/proc/self/root/etc", "magic");	  /* through /proc of the root, which has no /proc */
	char name[16], target[16];
	for (int k = 0; k < 50; k++) { /* a chain longer than the kernel's 40 */
		snprintf(name, sizeof(name), "c%d", k);
		snprintf(target, sizeof(target), "c%d", k + 1);
		ln(target, name);
	}
	mkdirat(root, "c50", 0755);
}

static void test_open(void)
{
	int e = 0;
	static const char *to_inside[] = {
		"/etc/passwd",	  "etc/passwd",		 "etc_link/passwd",	     "/etc_link/passwd",
		"a/b/up/passwd",  "../../../etc/passwd", "/../../etc/../etc/passwd", "a/../../etc/passwd",
		"./etc/./passwd", "//etc//passwd",
	};
	for (size_t k = 0; k < ARRAY_SIZE(to_inside); k++) {
		_cleanup_free_ char *d = read_in_root(to_inside[k], &e);
		bool plain = !strstr(to_inside[k], "link") && !strstr(to_inside[k], "up") &&
			     !strstr(to_inside[k], "..");
		if (fallback && !plain)
			ok(d == NULL && e != 0, "%s%s", to_inside[k], WALK);
		else
			is_str(d, "inside\n", "%s resolves to the root's /etc/passwd", to_inside[k]);
	}

	_cleanup_free_ char *sib = read_in_root("sibling", &e);
	ok(sib == NULL && (fallback || e == ENOENT),
	   "../outside from the root is the root itself + outside: ENOENT (%d)", e);
	_cleanup_free_ char *mag = read_in_root("magic/passwd", &e);
	ok(mag == NULL, "/proc/self/root inside a root without /proc does not reach the host (errno %d)", e);

	_cleanup_free_ char *l = read_in_root("loop1", &e);
	ok(l == NULL && e == ELOOP, "a symlink loop is ELOOP (%d)", e);
	_cleanup_free_ char *s = read_in_root("self/x", &e);
	ok(s == NULL && (fallback || e == ELOOP), "a self link is ELOOP (%d)", e);
	_cleanup_free_ char *c = read_in_root("c0", &e);
	ok(c == NULL && e == ELOOP, "a chain of 50 links is ELOOP (%d)", e);
	_cleanup_free_ char *d1 = read_in_root("dangle_abs", &e);
	ok(d1 == NULL && (fallback || e == ENOENT), "a dangling absolute link is ENOENT (%d)", e);
	_cleanup_free_ char *d2 = read_in_root("a/dangle_rel", &e);
	ok(d2 == NULL && (fallback || e == ENOENT), "a dangling climbing link is ENOENT (%d)", e);
	_cleanup_free_ char *f1 = read_in_root("file/x", &e);
	ok(f1 == NULL && e == ENOTDIR, "a file used as a directory is ENOTDIR (%d)", e);
	_cleanup_free_ char *f2 = read_in_root("file_link/x", &e);
	ok(f2 == NULL && e == ENOTDIR, "a link to a file used as a directory is ENOTDIR (%d)", e);
	_cleanup_free_ char *empty = read_in_root("", &e);
	ok(empty == NULL && e == EISDIR, "the empty path is the root, opened with the flags asked (%d)", e);

	struct capsa_error *err = NULL;
	_cleanup_close_ int dir = capsa_open_in_root(root, "/", O_PATH | O_DIRECTORY, 0, &err);
	ok(dir >= 0 && inside(dir), "/ is the root");
	_cleanup_close_ int up = capsa_open_in_root(root, "a/b/up", O_PATH | O_DIRECTORY, 0, &err);
	ok(fallback ? up < 0 : up >= 0 && inside(up), "a/b/up is the root's /etc%s", WALK);
	_cleanup_close_ int nf = capsa_open_in_root(root, "etc_link", O_PATH | O_NOFOLLOW, 0, &err);
	struct stat st;
	ok(nf >= 0 && fstat(nf, &st) == 0 && S_ISLNK(st.st_mode), "O_NOFOLLOW opens the last link itself");
	capsa_error_clear(&err);

	_cleanup_close_ int created =
		capsa_open_in_root(root, "etc_link/new", O_WRONLY | O_CREAT | O_EXCL, 0600, &err);
	ok(fallback ? created < 0
		    : created >= 0 && inside(created) && faccessat(root, "etc/new", F_OK, 0) == 0,
	   "O_CREAT through etc_link creates in the root's /etc%s", WALK);
	capsa_error_clear(&err);
	_cleanup_close_ int viadangle =
		capsa_open_in_root(root, "dangle_abs", O_WRONLY | O_CREAT, 0600, &err);
	ok(viadangle < 0 || inside(viadangle), "O_CREAT through a dangling link never leaves the root");
	ok(access("/nonexistent-capsa", F_OK) < 0, "nothing created on the host");
	capsa_error_clear(&err);
}

static void test_mkdir(void)
{
	struct capsa_error *err = NULL;
	_cleanup_free_ char *p1 = xasprintf("etc_link/%s/sub", unique);
	_cleanup_close_ int d1 = capsa_mkdir_in_root(root, p1, 0755, &err);
	_cleanup_free_ char *host = xasprintf("/etc/%s", unique), *in = xasprintf("etc/%s/sub", unique);
	ok(fallback ? d1 < 0 : d1 >= 0 && inside(d1), "mkdir through an absolute link to /etc%s", WALK);
	ok(access(host, F_OK) < 0, "nothing created in the host's /etc");
	ok(fallback || faccessat(root, in, F_OK, 0) == 0, "created in the root's /etc");
	capsa_error_clear(&err);

	_cleanup_free_ char *p2 = xasprintf("../../../%s", unique);
	_cleanup_close_ int d2 = capsa_mkdir_in_root(root, p2, 0755, &err);
	_cleanup_free_ char *above = xasprintf("%s/%s", base, unique);
	ok(fallback ? d2 < 0 : d2 >= 0 && inside(d2) && faccessat(root, unique, F_OK, 0) == 0,
	   "../ chain: created at the root%s", WALK);
	ok(access(above, F_OK) < 0, "nothing created above the root");
	capsa_error_clear(&err);

	_cleanup_close_ int d3 = capsa_mkdir_in_root(root, "a/b/up/deep/er", 0755, &err);
	ok(fallback ? d3 < 0 : d3 >= 0 && inside(d3) && faccessat(root, "etc/deep/er", F_OK, 0) == 0,
	   "through a climbing link%s", WALK);
	capsa_error_clear(&err);

	/* A dangling link is created where it points, as the kernel would resolve it with the root as "/". */
	_cleanup_close_ int d4 = capsa_mkdir_in_root(root, "dangle_abs", 0755, &err);
	ok(fallback ? d4 < 0 : d4 >= 0 && inside(d4) && faccessat(root, "nonexistent-capsa/x", F_OK, 0) == 0,
	   "a dangling absolute link: its target made inside the root%s", WALK);
	ok(access("/nonexistent-capsa", F_OK) < 0, "and not on the host");
	capsa_error_clear(&err);
	_cleanup_close_ int d5 = capsa_mkdir_in_root(root, "a/dangle_rel", 0755, &err);
	ok(fallback ? d5 < 0 : d5 >= 0 && inside(d5) && faccessat(root, "nowhere/y", F_OK, 0) == 0,
	   "a dangling climbing link: clamped at the root%s", WALK);
	capsa_error_clear(&err);

	is_int(capsa_mkdir_in_root(root, "file/sub", 0755, &err), -1, "mkdir below a file fails");
	ok(err && err->errnum == ENOTDIR && strstr(err->msg, "file"), "ENOTDIR naming the path: %s",
	   err ? err->msg : "");
	capsa_error_clear(&err);
	is_int(capsa_mkdir_in_root(root, "file", 0755, &err), -1, "mkdir of an existing file fails");
	ok(err != NULL, "with an error: %s", err ? err->msg : "");
	capsa_error_clear(&err);
	is_int(capsa_mkdir_in_root(root, "loop1/x", 0755, &err), -1, "mkdir through a loop fails");
	ok(err && (fallback || err->errnum == ELOOP), "ELOOP: %s", err ? err->msg : "");
	capsa_error_clear(&err);
	is_int(capsa_mkdir_in_root(root, "loop1", 0755, &err), -1, "mkdir of a looping link fails");
	capsa_error_clear(&err);
	is_int(capsa_mkdir_in_root(root, "c0", 0755, &err), -1, "mkdir of a 50-link chain fails");
	capsa_error_clear(&err);
	is_int(capsa_mkdir_in_root(root, "new/..", 0755, &err), -1, "mkdir of new/.. is refused");
	capsa_error_clear(&err);

	_cleanup_free_ char *outside = xasprintf("%s/outside", base);
	_cleanup_closedir_ DIR *od = opendir(outside);
	int entries = 0;
	for (struct dirent *de; od && (de = readdir(od));)
		entries += de->d_name[0] != '.';
	is_int(entries, 0, "the sibling directory outside the root is still empty");
}

static void test_split(void)
{
	static const struct {
		const char *in, *parent, *base;
	} cases[] = {
		{"a/b/c", "a/b", "c"}, {"x", "/", "x"},	   {"/x", "/", "x"},
		{"a/b/", "a", "b"},    {"/a//", "/", "a"}, {"../x", "..", "x"},
	};
	for (size_t k = 0; k < ARRAY_SIZE(cases); k++) {
		_cleanup_free_ char *p = NULL, *b = NULL;
		capsa_split_path(cases[k].in, &p, &b);
		ok(strcmp(p, cases[k].parent) == 0 && strcmp(b, cases[k].base) == 0,
		   "split %s -> %s + %s (got %s + %s)", cases[k].in, cases[k].parent, cases[k].base, p, b);
	}
	char buf[CAPSA_FD_PATH_MAX];
	capsa_fd_path(INT_MAX, buf);
	is_str(buf, "/proc/self/fd/2147483647", "fd path of the largest fd fits");
}

static void test_absolute(void)
{
	char buf[64], cwd[PATH_MAX];
	struct capsa_error *err = NULL;
	int saved = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	ok(saved >= 0 && chdir("/tmp") == 0 && getcwd(cwd, sizeof(cwd)), "in /tmp");
	ok(capsa_path_absolute("/a/b", buf, sizeof(buf), &err) == 0 && strcmp(buf, "/a/b") == 0,
	   "an absolute path stays: %s", buf);
	char want[PATH_MAX + 16];
	snprintf(want, sizeof(want), "%s/s.json", cwd);
	ok(capsa_path_absolute("s.json", buf, sizeof(buf), &err) == 0 && strcmp(buf, want) == 0,
	   "a relative path is joined to the working directory: %s", buf);
	snprintf(want, sizeof(want), "%s/k/vmlinux", cwd);
	ok(capsa_path_absolute("./k/vmlinux", buf, sizeof(buf), &err) == 0 && strcmp(buf, want) == 0,
	   "./ is dropped: %s", buf);
	snprintf(want, sizeof(want), "%s/../x", cwd);
	ok(capsa_path_absolute("../x", buf, sizeof(buf), &err) == 0 && strcmp(buf, want) == 0,
	   ".. is kept, not resolved: %s", buf);
	ok(chdir("/") == 0, "in /");
	ok(capsa_path_absolute("x", buf, sizeof(buf), &err) == 0 && strcmp(buf, "/x") == 0,
	   "no double slash from /: %s", buf);
	is_int(capsa_path_absolute("", buf, sizeof(buf), &err), -1, "an empty path is refused");
	ok(err && err->errnum == EINVAL && strstr(err->msg, "empty path"), "EINVAL: %s", err ? err->msg : "");
	capsa_error_clear(&err);
	char longp[100];
	memset(longp, 'l', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	is_int(capsa_path_absolute(longp, buf, sizeof(buf), &err), -1, "a result over the buffer is refused");
	ok(err && err->errnum == ENAMETOOLONG, "ENAMETOOLONG");
	capsa_error_clear(&err);
	longp[0] = '/';
	is_int(capsa_path_absolute(longp, buf, sizeof(buf), &err), -1, "an absolute path over it too");
	capsa_error_clear(&err);
	ok(fchdir(saved) == 0, "back");
	close(saved);
}

int main(void)
{
	struct open_how how = {.flags = O_PATH};
	fallback = syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how)) < 0 && errno == ENOSYS;
	if (fallback)
		printf("# no openat2 here: testing the O_NOFOLLOW walk\n");
	setup();
	test_open();
	test_mkdir();
	test_split();
	test_absolute();
	close(root);
	capsa_rm_rf_at(AT_FDCWD, base);
	free(unique);
	return tap_done();
}
