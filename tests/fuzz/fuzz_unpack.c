/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the layer unpacker (image/unpack.c): the input is a layer blob (tar, maybe
 * compressed) unpacked into a fresh directory. After every input the directory around it must be exactly
 * as it was: no new entry, the "outside" directory still empty, the sentinel file with the same content,
 * mode, owner and link count (a hard link to it from inside would raise the count). The sandbox has a
 * fixed path so that absolute symlinks in the seeds (/tmp/capsa-test-fuzz-unpack/outside/...) point at
 * it and the fuzzer can mutate them. Run one instance at a time.
 */
#define _GNU_SOURCE
#include "common/cleanup.h"
#include "common/util.h"
#include "image/image.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SANDBOX "/tmp/capsa-test-fuzz-unpack"
static const char sentinel_text[] = "capsa fuzz sentinel\n";
static int sandbox = -1;
static struct stat sentinel_st;

static void die(const char *what)
{
	fprintf(stderr, "fuzz_unpack: %s: %s\n", what, strerror(errno));
	abort();
}

static void escape(const char *what)
{
	fprintf(stderr, "fuzz_unpack: ESCAPE: %s\n", what);
	abort();
}

static void cleanup(void)
{
	(void)capsa_rm_rf_at(AT_FDCWD, SANDBOX);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	(void)capsa_rm_rf_at(AT_FDCWD, SANDBOX);
	if (mkdir(SANDBOX, 0700) < 0)
		die(SANDBOX);
	sandbox = open(SANDBOX, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sandbox < 0 || mkdirat(sandbox, "outside", 0755) < 0)
		die("outside");
	int fd = openat(sandbox, "sentinel", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0 || capsa_write_all(fd, sentinel_text, strlen(sentinel_text)) < 0 || close(fd) < 0)
		die("sentinel");
	if (fstatat(sandbox, "sentinel", &sentinel_st, AT_SYMLINK_NOFOLLOW) < 0)
		die("sentinel");
	atexit(cleanup);
	return 0;
}

static void check_sandbox(void)
{
	int fd = openat(sandbox, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (d == NULL)
		die("reopen sandbox");
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name;
		if (strcmp(n, ".") && strcmp(n, "..") && strcmp(n, "outside") && strcmp(n, "sentinel") &&
		    strcmp(n, "root"))
			escape(n);
	}
	closedir(d);

	int ofd = openat(sandbox, "outside", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ofd < 0)
		escape("outside is no longer a directory");
	d = fdopendir(ofd);
	if (d == NULL)
		die("outside");
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			escape("a file appeared in outside/");
	closedir(d);

	struct stat st;
	if (fstatat(sandbox, "sentinel", &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_ino != sentinel_st.st_ino ||
	    st.st_mode != sentinel_st.st_mode || st.st_uid != sentinel_st.st_uid ||
	    st.st_gid != sentinel_st.st_gid || st.st_nlink != 1 || st.st_size != sentinel_st.st_size ||
	    st.st_mtim.tv_sec != sentinel_st.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != sentinel_st.st_mtim.tv_nsec)
		escape("the sentinel changed (mode, owner, links, size or mtime)");
	char buf[64];
	int sfd = openat(sandbox, "sentinel", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n = sfd < 0 ? -1 : capsa_read_all(sfd, buf, sizeof(buf));
	if (sfd >= 0)
		close(sfd);
	if (n != (ssize_t)strlen(sentinel_text) || memcmp(buf, sentinel_text, (size_t)n) != 0)
		escape("the sentinel's content changed");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int blob = memfd_create("fuzz-layer", MFD_CLOEXEC);
	if (blob < 0 || capsa_write_all(blob, data, size) < 0 || lseek(blob, 0, SEEK_SET) < 0)
		die("memfd");
	if (mkdirat(sandbox, "root", 0755) < 0)
		die("mkdir root");
	int root = openat(sandbox, "root", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (root < 0)
		die("open root");

	/* Small limits: a bomb must be refused, not fill /tmp. */
	struct capsa_unpack_limits lim = {.max_entries = 4096, .max_bytes = 8 << 20, .max_ratio = 200};
	struct capsa_error *err = NULL;
	int64_t diff_size = -1;
	if (capsa_image_unpack_layer(blob, (int64_t)size, root, NULL, &lim, &diff_size, &err) == 0) {
		if (diff_size < 0 || (uint64_t)diff_size > lim.max_bytes + (1 << 20))
			escape("accepted a layer over the size limit");
	} else if (err == NULL || err->msg == NULL || err->msg[0] == '\0') {
		escape("refused a layer without saying why");
	}
	capsa_error_clear(&err);
	close(root);
	close(blob);

	check_sandbox();
	if (capsa_rm_rf_at(sandbox, "root") < 0)
		die("remove root");
	return 0;
}
