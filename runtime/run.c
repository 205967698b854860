/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `run`: create + start, then stay with the container like a shell stays with
 * a child: forward signals, proxy the terminal when there is one, reap the
 * init (we are its subreaper), delete the container and return its status.
 */
#define _GNU_SOURCE
#include "runtime/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>

static const int forwarded[] = {SIGHUP,	 SIGINT,   SIGQUIT, SIGTERM, SIGUSR1,
				SIGUSR2, SIGWINCH, SIGCONT, SIGTSTP};

static int status_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

static void copy_some(int from, int to, bool *open)
{
	char buf[8192];
	ssize_t n = read(from, buf, sizeof(buf));
	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			*open = false;
		return;
	}
	if (capsa_write_all(to, buf, (size_t)n) < 0)
		*open = false;
}

static int wait_loop(pid_t init, int sfd, int master, int *exit_code)
{
	bool in_open = master >= 0, out_open = master >= 0;
	for (;;) {
		struct pollfd p[3] = {{.fd = sfd, .events = POLLIN},
				      {.fd = in_open ? STDIN_FILENO : -1, .events = POLLIN},
				      {.fd = out_open ? master : -1, .events = POLLIN}};
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (p[2].revents & (POLLIN | POLLHUP | POLLERR))
			copy_some(master, STDOUT_FILENO, &out_open);
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
			copy_some(STDIN_FILENO, master, &in_open);
		if (!(p[0].revents & POLLIN))
			continue;
		struct signalfd_siginfo si;
		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo != SIGCHLD) {
			if (si.ssi_signo == SIGWINCH && master >= 0) {
				struct winsize ws;
				if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
					ioctl(master, TIOCSWINSZ, &ws);
			} else {
				kill(init, (int)si.ssi_signo);
			}
			continue;
		}
		/* Reap everything that was reparented to us; stop when the init is gone. */
		int status;
		pid_t w;
		while ((w = waitpid(-1, &status, WNOHANG)) > 0) {
			if (w == init) {
				while (out_open)
					copy_some(master, STDOUT_FILENO, &out_open);
				*exit_code = status_code(status);
				return 0;
			}
		}
	}
}

void foreground_signals(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGCHLD);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaddset(mask, forwarded[i]);
}

int foreground_wait(pid_t pid, int master, const sigset_t *mask, int *exit_code)
{
	struct termios saved;
	bool raw = false;
	if (master >= 0 && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
		struct termios t = saved;
		cfmakeraw(&t);
		raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
		struct winsize ws;
		if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
			ioctl(master, TIOCSWINSZ, &ws);
	}
	int ret = 0;
	int sfd = signalfd(-1, mask, SFD_CLOEXEC);
	if (sfd < 0 || wait_loop(pid, sfd, master, exit_code) < 0)
		ret = -1;
	int saved_errno = errno;
	if (raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	if (sfd >= 0)
		close(sfd);
	errno = saved_errno;
	return ret;
}

int capsa_container_run(const struct capsa_runtime *rt, const struct capsa_create_opts *o, bool detach,
			int *exit_code, struct capsa_error **err)
{
	struct create_ctx c;
	create_ctx_init(&c, rt, o);
	c.subreaper = !detach;
	/* A terminal with nobody to hand it to: create makes a socketpair and we proxy the pty. */
	c.proxy_terminal = !detach && o->console_socket == NULL && !o->has_console_fd;
	sigset_t mask, old;
	foreground_signals(&mask);
	if (!detach)
		sigprocmask(SIG_BLOCK, &mask, &old);
	int ret = container_create(&c, err);
	pid_t init = c.init_pid;
	int master = -1;
	if (ret == 0 && c.console_peer >= 0) {
		ret = recv_fd(c.console_peer, &master, err);
		if (ret < 0)
			capsa_error_prefix(err, "run %s: receive the terminal", o->id);
	}
	create_ctx_free(&c);
	if (ret == 0)
		ret = capsa_container_start(rt, o->id, err);
	if (ret < 0 || detach) {
		if (ret < 0 && init > 0) {
			struct capsa_error *e = NULL;
			if (capsa_container_delete(rt, o->id, true, &e) < 0)
				capsa_error_free(e);
			waitpid(init, NULL, 0);
		}
		if (!detach)
			sigprocmask(SIG_SETMASK, &old, NULL);
		if (master >= 0)
			close(master);
		*exit_code = 0;
		return ret;
	}

	if (foreground_wait(init, master, &mask, exit_code) < 0)
		ret = capsa_error_errno(err, "run %s: wait for the container", o->id);
	if (master >= 0)
		close(master);
	sigprocmask(SIG_SETMASK, &old, NULL);
	struct capsa_error *e = NULL;
	if (capsa_container_delete(rt, o->id, true, &e) < 0) {
		if (ret == 0 && e->errnum != ENOENT) { /* ENOENT: someone deleted it already */
			*err = e;
			ret = capsa_error_prefix(err, "run %s: delete", o->id);
		} else {
			capsa_error_free(e);
		}
	}
	return ret;
}
