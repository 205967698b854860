/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * capsa_cgroup_enter_self(): a single-threaded child moves itself into its cgroup in every hierarchy
 * (v1 tasks files, the v2 cgroup.procs unless it was born there) through the files the parent opened
 * with capsa_cgroup_enter_self_prepare(); the kernel checks the opener's creds, so a child that has
 * dropped root still moves, while one that opens the files itself cannot. Needs root and a cgroup
 * mount (this host's v1 hierarchies and its v2 tree, or a pure v2 host); otherwise it is skipped.
 * The cgroup is /capsa-test-enter-self-PID, removed at the end.
 */
#define _GNU_SOURCE
#include "cgroups/cgroups.h"
#include "common/error.h"
#include "common/util.h"
#include "runtime/internal.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* 0 when every line of /proc/self/cgroup names path, 1 when one does not, 2 when unreadable. */
static int all_in(const char *path)
{
	char *buf = NULL;
	struct capsa_error *err = NULL;
	if (capsa_read_file_at(AT_FDCWD, "/proc/self/cgroup", 1 << 16, &buf, NULL, &err) < 0) {
		capsa_error_free(err);
		return 2;
	}
	int lines = 0;
	for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *p = strchr(l, ':');
		p = p ? strchr(p + 1, ':') : NULL;
		if (p == NULL || strcmp(p + 1, path) != 0) {
			free(buf);
			return 1;
		}
		lines++;
	}
	free(buf);
	return lines ? 0 : 2;
}

static int wait_code(pid_t pid)
{
	int st = 0;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* In a forked child: optionally drop root first, then join; the exit code says where it ended up
 * (0 all in path, 1 not, 2 unreadable, 3 the join failed). */
static pid_t child(struct capsa_cgroup *cg, bool v2_too, bool drop_root, const char *path)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	if (drop_root && (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0))
		_exit(4);
	struct capsa_error *err = NULL;
	if (capsa_cgroup_enter_self(cg, v2_too, &err) < 0)
		_exit(3);
	_exit(all_in(path));
}

int main(void)
{
	if (geteuid() != 0) {
		printf("# skipped: needs root\n");
		return tap_done();
	}
	char path[128], id[64];
	snprintf(id, sizeof(id), "capsa-test-enter-self-%d", (int)getpid());
	snprintf(path, sizeof(path), "/%s", id);
	struct capsa_cgroup *cg = NULL;
	struct capsa_error *err = NULL;
	if (capsa_cgroup_create(path, id, &cg, &err) < 0) {
		printf("# skipped: cgroup %s: %s\n", path, err ? err->msg : "?");
		capsa_error_free(err);
		return tap_done();
	}

	/* Without prepare there is nothing to write: the child stays where it was. */
	pid_t pid = child(cg, true, false, path);
	is_int(wait_code(pid), 1, "no files prepared: nothing is joined");

	ok(capsa_cgroup_enter_self_prepare(cg, &err) == 0, "prepare opens the files");
	pid = child(cg, true, false, path);
	capsa_cgroup_enter_self_close(cg);
	is_int(wait_code(pid), 0, "the child joins %s in every hierarchy", path);

	/* Born in the v2 cgroup, as the runtime clones its init: the rest by tasks files. */
	ok(capsa_cgroup_enter_self_prepare(cg, &err) == 0, "prepared again");
	bool born = false;
	pid = runtime_clone_into(SIGCHLD, capsa_cgroup_v2_fd(cg), &born);
	if (pid == 0) {
		if (capsa_cgroup_enter_self(cg, !born, &err) < 0)
			_exit(3);
		_exit(all_in(path));
	}
	capsa_cgroup_enter_self_close(cg);
	is_int(wait_code(pid), 0, "born in the v2 cgroup (%s), the v1 hierarchies joined by itself",
	       born ? "yes" : "no v2 tree");

	/* The opener's creds count: a child that dropped root still moves through the parent's files ... */
	ok(capsa_cgroup_enter_self_prepare(cg, &err) == 0, "prepared once more");
	pid = child(cg, true, true, path);
	capsa_cgroup_enter_self_close(cg);
	is_int(wait_code(pid), 0, "a child that dropped root joins through files root opened");
	/* ... and could not open them itself. */
	pid = fork();
	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
			_exit(4);
		_exit(capsa_cgroup_enter_self_prepare(cg, &err) < 0 && err && err->errnum == EACCES ? 0 : 1);
	}
	is_int(wait_code(pid), 0, "an unprivileged opener is refused (EACCES)");

	/* A hierarchy's directory removed behind its back: prepare names the file and the reason, and
	 * keeps none of the files it had opened. */
	char pids[512];
	snprintf(pids, sizeof(pids), "/sys/fs/cgroup/pids%s", path);
	if (capsa_cgroup_mode() != CAPSA_CGROUP_UNIFIED && rmdir(pids) == 0) {
		int before = open("/dev/null", O_RDONLY | O_CLOEXEC);
		close(before);
		int r = capsa_cgroup_enter_self_prepare(cg, &err);
		ok(r < 0 && err && err->errnum == ENOENT && strstr(err->msg, "pids") &&
			   strstr(err->msg, "/tasks"),
		   "a removed directory is named: %s", err ? err->msg : "(no error)");
		capsa_error_free(err);
		err = NULL;
		int after = open("/dev/null", O_RDONLY | O_CLOEXEC);
		close(after);
		is_int(after, before, "no file is left open");
	} else {
		printf("# skipped the removed-directory case: no v1 pids hierarchy\n");
	}
	ok(capsa_cgroup_destroy(cg, &err) == 0, "the test cgroup is removed (a missing part is no error)");
	capsa_cgroup_free(cg);
	capsa_error_free(err);
	return tap_done();
}
