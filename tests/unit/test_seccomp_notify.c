/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SCMP_ACT_NOTIFY end to end without a container: a forked child loads a
 * filter notifying mkdir, sends the fd and its state to the listener helper
 * (build/tests/helpers/seccomp_listener) with capsa_seccomp_send_notify_fd_pid,
 * and calls mkdir; the helper answers.
 */
#define _GNU_SOURCE
#include "runtime/seccomp.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "tests/unit/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NAMES(...) ((char *[]){__VA_ARGS__, NULL})
#define CHILD_FAILED 250

static char tmpdir[] = "/tmp/capsa-test-seccomp-notify-XXXXXX";
static char helper[PATH_MAX];

struct listener {
	pid_t pid;
	FILE *out;
};

static int listener_start(const char *sock, const char *mode, struct listener *l)
{
	int p[2];
	char line[64];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	fflush(stdout);
	l->pid = fork();
	if (l->pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		execl(helper, helper, sock, mode, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	l->out = fdopen(p[0], "r");
	/* Blocks until the helper listens: no sleeping, no polling of the socket path. */
	if (!fgets(line, sizeof(line), l->out) || strcmp(line, "ready\n") != 0)
		return -1;
	return 0;
}

/* Everything the helper printed after "ready", until it exits. */
static char *listener_finish(struct listener *l, bool kill_it)
{
	char *all = xstrdup(""), line[8192];
	if (kill_it)
		kill(l->pid, SIGKILL);
	while (fgets(line, sizeof(line), l->out)) {
		char *n = xasprintf("%s# %s", all, line);
		free(all);
		all = n;
	}
	fclose(l->out);
	waitpid(l->pid, NULL, 0);
	return all;
}

/* The child: load, hand the fd over, mkdir; exit status = errno of mkdir (0 on success). */
static void child(struct capsa_seccomp *f, const char *sock, const char *dir, bool pid_from_state)
{
	struct capsa_error *err = NULL;
	int nfd = -1;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || capsa_seccomp_load(f, &nfd, &err) < 0 || nfd < 0)
		_exit(CHILD_FAILED);
	_cleanup_free_ char *state = xasprintf("{\"ociVersion\":\"1.2.0\",\"id\":\"capsa-test-notify\","
					       "\"status\":\"creating\",\"pid\":%d,\"bundle\":\"/tmp\"}",
					       getpid());
	int r = pid_from_state ? capsa_seccomp_send_notify_fd(sock, nfd, state, "capsa-test \"meta\"", &err)
			       : capsa_seccomp_send_notify_fd_pid(sock, nfd, getpid(), state,
								  "capsa-test \"meta\"", &err);
	if (r < 0)
		_exit(CHILD_FAILED + 1);
	close(nfd);
	long m = syscall(SYS_mkdir, dir, 0755);
	_exit(m < 0 ? errno : 0);
}

struct outcome {
	pid_t pid;
	int status;
	char *output;
};

static struct outcome run(const char *mode, const char *dir, char **flags, size_t n_flags)
{
	struct oci_seccomp_syscall rule[] = {
		{.names = NAMES("mkdir", "mkdirat"), .n_names = 2, .action = "SCMP_ACT_NOTIFY"}};
	_cleanup_free_ char *sock = xasprintf("%s/listener.sock", tmpdir);
	struct oci_seccomp s = {.default_action = "SCMP_ACT_ALLOW",
				.listener_path = sock,
				.listener_metadata = "capsa-test \"meta\"",
				.syscalls = rule,
				.n_syscalls = 1,
				.flags = flags,
				.n_flags = n_flags};
	struct capsa_seccomp *f = NULL;
	struct capsa_error *err = NULL;
	struct listener l;
	struct outcome o = {.status = -1};

	if (capsa_seccomp_prepare(&s, &f, &err) < 0) {
		printf("Bail out! prepare: %s\n", capsa_error_text(err));
		exit(1);
	}
	if (!ok(capsa_seccomp_has_notify(f), "%s: the filter has notify rules", mode))
		return o;
	if (listener_start(sock, mode, &l) < 0) {
		printf("Bail out! cannot start %s\n", helper);
		exit(1);
	}
	o.pid = fork();
	if (o.pid == 0)
		child(f, sock, dir, strcmp(mode, "success") == 0);
	waitpid(o.pid, &o.status, 0);
	/* If the child never connected the helper would wait forever in accept(). */
	bool stuck = !WIFEXITED(o.status) || WEXITSTATUS(o.status) >= CHILD_FAILED;
	o.output = listener_finish(&l, stuck);
	printf("%s", o.output);
	capsa_seccomp_free(f);
	return o;
}

static void test_modes(void)
{
	_cleanup_free_ char *dir = xasprintf("%s/made", tmpdir);
	_cleanup_free_ char *notify_line = xasprintf("# notify mkdir %s\n", dir);
	struct outcome o;

	o = run("errno:66", dir, NULL, 0);
	ok(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 66,
	   "errno mode: mkdir fails with the agent's errno 66");
	ok(o.output && strstr(o.output, notify_line), "the agent saw mkdir and its path");
	ok(o.output && strstr(o.output, "\"fds\":[\"seccompFd\"]"), "the state names the fd seccompFd");
	ok(o.output && strstr(o.output, "\"metadata\":\"capsa-test \\\"meta\\\"\""),
	   "listenerMetadata is passed, JSON-escaped");
	ok(o.output && strstr(o.output, "\"state\":{\"ociVersion\":\"1.2.0\",\"id\":\"capsa-test-notify\""),
	   "the container state is embedded");
	ok(o.output && strstr(o.output, "# done\n"), "the agent ends when the process is gone");
	ok(access(dir, F_OK) < 0, "nothing was created");
	free(o.output);

	o = run("success", dir, NULL, 0);
	ok(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0, "success mode: mkdir returns 0");
	_cleanup_free_ char *pid_field = xasprintf("\"fds\":[\"seccompFd\"],\"pid\":%d,", (int)o.pid);
	ok(o.output && strstr(o.output, pid_field),
	   "capsa_seccomp_send_notify_fd takes the pid from the state");
	ok(access(dir, F_OK) < 0, "but the agent did not run it: no directory");
	free(o.output);

	o = run("continue", dir, NULL, 0);
	ok(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0, "continue mode: mkdir returns 0");
	ok(access(dir, F_OK) == 0, "and the kernel really made the directory");
	rmdir(dir);
	free(o.output);

	o = run("errno:5", dir, NAMES("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", "SECCOMP_FILTER_FLAG_TSYNC"),
		2);
	ok(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 5,
	   "with WAIT_KILLABLE_RECV and TSYNC the agent answers too");
	free(o.output);
}

static void test_send_errors(void)
{
	struct capsa_error *err = NULL;
	_cleanup_free_ char *missing = xasprintf("%s/nobody.sock", tmpdir);
	_cleanup_free_ char *text = NULL;

	ok(capsa_seccomp_send_notify_fd_pid(missing, 0, 1, "{}", NULL, &err) < 0,
	   "sending to a missing socket fails");
	text = err ? capsa_error_text(err) : NULL;
	ok(text && strstr(text, missing) && strstr(text, "No such file"), "and names the path (%s)",
	   text ? text : "");
	capsa_error_clear(&err);

	_cleanup_free_ char *longpath = xasprintf("/%0200d", 0);
	ok(capsa_seccomp_send_notify_fd_pid(longpath, 0, 1, "{}", NULL, &err) < 0 && err &&
		   strstr(err->msg, "too long"),
	   "a path longer than sun_path is refused");
	capsa_error_clear(&err);
}

int main(void)
{
	_cleanup_free_ char *exe = realpath("/proc/self/exe", NULL);
	if (!exe || !mkdtemp(tmpdir)) {
		printf("Bail out! setup: %m\n");
		return 1;
	}
	snprintf(helper, sizeof(helper), "%s/helpers/seccomp_listener", dirname(exe));
	if (access(helper, X_OK) < 0) {
		printf("Bail out! %s is missing (make test-helpers)\n", helper);
		return 1;
	}
	test_modes();
	test_send_errors();
	capsa_rm_rf_at(AT_FDCWD, tmpdir);
	return tap_done();
}
