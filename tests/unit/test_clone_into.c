/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * runtime_clone_into(): a child born in a v2 cgroup (clone3 CLONE_INTO_CGROUP) sees itself there
 * from its first instruction; without a cgroup fd, a plain clone stays in the caller's cgroup; a fd that
 * is not a cgroup is refused by the kernel, not silently ignored. Needs a writable cgroup2 mount (pure v2
 * or a hybrid host's /sys/fs/cgroup/unified) and root; otherwise the checks that need it are skipped.
 */
#define _GNU_SOURCE
#include "runtime/internal.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* The child's own "0::" line compared with want: exit 0 when equal, 1 when not, 2 when unreadable. */
static int __attribute__((noreturn)) child_check(const char *want)
{
	char buf[4096];
	int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		_exit(2);
	buf[n] = '\0';
	char *line = strstr(buf, "0::");
	if (line == NULL)
		_exit(2);
	line += 3;
	line[strcspn(line, "\n")] = '\0';
	_exit(strcmp(line, want) == 0 ? 0 : 1);
}

static int wait_code(pid_t pid)
{
	int st = 0;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static const char *cgroup2_mount(void)
{
	static const char *const cands[] = {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"};
	for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
		struct statfs sf;
		if (statfs(cands[i], &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
			return cands[i];
	}
	return NULL;
}

/* Our own v2 path ("0::/x/y"), relative to the mount's root (no cgroup namespace here). */
static char *own_v2_path(void)
{
	char buf[4096];
	int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	char *line = strstr(buf, "0::");
	if (line == NULL)
		return NULL;
	line += 3;
	line[strcspn(line, "\n")] = '\0';
	return strdup(line);
}

int main(void)
{
	bool born = true;
	/* No cgroup: a plain clone, in the caller's cgroup. */
	char *own = own_v2_path();
	pid_t pid = runtime_clone_into(SIGCHLD, -1, &born);
	if (pid == 0)
		child_check(own ? own : "");
	ok(pid > 0, "a plain clone without a cgroup fd");
	ok(!born, "not reported as born in a cgroup");
	is_int(wait_code(pid), own ? 0 : 2, "the child stays in the caller's cgroup");

	const char *mnt = cgroup2_mount();
	if (geteuid() != 0 || mnt == NULL || own == NULL) {
		printf("# skipped: needs root and a cgroup2 mount\n");
		free(own);
		return tap_done();
	}
	char rel[128], dir[4200];
	snprintf(rel, sizeof(rel), "%s%scapsa-test-clone-into-%d", strcmp(own, "/") ? own : "", "/",
		 (int)getpid());
	snprintf(dir, sizeof(dir), "%s%s", mnt, rel);
	if (mkdir(dir, 0755) < 0) {
		printf("# skipped: mkdir %s: %s\n", dir, strerror(errno));
		free(own);
		return tap_done();
	}
	int cfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ok(cfd >= 0, "opened the test cgroup %s", dir);

	pid = runtime_clone_into(SIGCHLD, cfd, &born);
	if (pid == 0)
		child_check(rel);
	ok(pid > 0, "clone into the cgroup");
	ok(born, "reported as born in its cgroup");
	is_int(wait_code(pid), 0, "the child sees itself in %s from the start", rel);

	/* New namespaces and the cgroup together, as the runtime clones an init. */
	pid = runtime_clone_into(SIGCHLD | CLONE_NEWUTS | CLONE_NEWIPC, cfd, &born);
	if (pid == 0)
		child_check(rel);
	ok(pid > 0 && born, "with new namespaces too");
	is_int(wait_code(pid), 0, "that child is in the cgroup as well");

	/* A directory that is not a cgroup: the kernel refuses; nothing is cloned. */
	int tmp = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	errno = 0;
	pid = runtime_clone_into(SIGCHLD, tmp, &born);
	if (pid == 0)
		_exit(0);
	ok(pid < 0 && errno == EBADF, "a fd that is not a cgroup is refused (errno %d)", errno);
	if (pid > 0)
		wait_code(pid);
	close(tmp);

	close(cfd);
	ok(rmdir(dir) == 0, "the test cgroup is removed (it is empty)");
	free(own);
	return tap_done();
}
