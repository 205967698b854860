/* SPDX-License-Identifier: GPL-2.0-or-later */
/* OCI hooks: each gets the container state on stdin, its own args and env, and an optional timeout. */
#define _GNU_SOURCE
#include "runtime/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static char *read_capture(int fd)
{
	char *out = NULL;
	struct capsa_error *e = NULL;
	lseek(fd, 0, SEEK_SET);
	if (capsa_read_fd(fd, 4096, &out, NULL, &e) < 0) {
		capsa_error_free(e);
		return xstrdup("");
	}
	size_t n = strlen(out);
	while (n && (out[n - 1] == '\n' || out[n - 1] == ' '))
		out[--n] = '\0';
	return out;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int run_hook(const struct oci_hook *h, const char *state_json, struct capsa_error **err)
{
	int in[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return capsa_error_errno(err, "pipe");
	_cleanup_close_ int in_r = in[0], in_w = in[1];
	_cleanup_close_ int out = memfd_create("hook-stdout", MFD_CLOEXEC);
	_cleanup_close_ int errf = memfd_create("hook-stderr", MFD_CLOEXEC);
	if (out < 0 || errf < 0)
		return capsa_error_errno(err, "memfd_create");
	char *const default_argv[] = {h->path, NULL};
	char *const empty_env[] = {NULL};
	pid_t pid = fork();
	if (pid < 0)
		return capsa_error_errno(err, "fork");
	if (pid == 0) {
		if (dup2(in_r, 0) < 0 || dup2(out, 1) < 0 || dup2(errf, 2) < 0)
			_exit(127);
		/* A hook gets the state on stdin and nothing else of ours (nor of our caller). */
		capsa_cloexec_from(3);
		sigset_t all;
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		execve(h->path, h->n_args ? h->args : default_argv, h->n_env ? h->env : empty_env);
		dprintf(2, "exec %s: %s", h->path, strerror(errno));
		_exit(127);
	}
	close(TAKE_FD(in_r));
	/* A hook may ignore stdin; a full pipe or EPIPE must not block or kill us. */
	fcntl(in_w, F_SETFL, O_NONBLOCK);
	(void)!write(in_w, state_json, strlen(state_json));
	close(TAKE_FD(in_w));

	int status = 0;
	int64_t deadline = h->timeout.set ? now_ms() + h->timeout.value * 1000 : -1;
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	for (;;) {
		if (pidfd >= 0) {
			struct pollfd p = {.fd = pidfd, .events = POLLIN};
			int wait_ms = deadline < 0 ? -1 : (int)(deadline - now_ms());
			if (deadline >= 0 && wait_ms < 0)
				wait_ms = 0;
			int r = poll(&p, 1, wait_ms);
			if (r == 0) {
				kill(pid, SIGKILL);
				waitpid(pid, NULL, 0);
				return capsa_error_set(err, ETIMEDOUT, "hook %s timed out after %llds",
						       h->path, (long long)h->timeout.value);
			}
			if (r < 0 && errno == EINTR)
				continue;
		}
		pid_t w = waitpid(pid, &status, 0);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return capsa_error_errno(err, "wait for hook %s", h->path);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	_cleanup_free_ char *stderr_text = read_capture(errf);
	_cleanup_free_ char *stdout_text = read_capture(out);
	const char *text = *stderr_text ? stderr_text : stdout_text;
	if (WIFSIGNALED(status))
		return capsa_error_set(err, 0, "hook %s killed by signal %d%s%s", h->path, WTERMSIG(status),
				       *text ? ": " : "", text);
	return capsa_error_set(err, 0, "hook %s exited with status %d%s%s", h->path, WEXITSTATUS(status),
			       *text ? ": " : "", text);
}

int hooks_run(const struct oci_hook *hooks, size_t n, const char *kind, const char *state_json,
	      struct capsa_error **err)
{
	for (size_t i = 0; i < n; i++) {
		capsa_debug("running %s hook %s", kind, hooks[i].path);
		if (run_hook(&hooks[i], state_json, err) < 0)
			return capsa_error_prefix(err, "%s hook", kind);
	}
	return 0;
}
