/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * capsa-init: the PID 1 `capsa run --init` puts in front of the container's command (bind-mounted read-only
 * at /sbin/capsa-init). A process that finds itself PID 1 gets no default signal actions and inherits
 * every orphan of the namespace; most programs are not written for that. This one is: it runs the command
 * as its child in a process group of its own, forwards the signals it gets to that group, reaps every
 * zombie, and exits with the command's status (128+N when a signal N ended it).
 *
 * usage: capsa-init [--] COMMAND [ARG...]
 * Static, libc only: it must run in any image, whatever its libc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* What a terminal sends to the foreground group itself, or what only concerns this process. */
static bool not_forwarded(int sig)
{
	return sig == SIGCHLD || sig == SIGTTIN || sig == SIGTTOU || sig == SIGTSTP;
}

int main(int argc, char **argv)
{
	int first = 1;
	if (first < argc && strcmp(argv[first], "--") == 0)
		first++;
	if (first >= argc) {
		fprintf(stderr, "capsa-init: usage: capsa-init [--] COMMAND [ARG...]\n");
		return 125;
	}
	/* Everything is handled synchronously in sigwaitinfo below; the child gets the old mask back. */
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	/* Outside a pid namespace of its own (--pid host), orphans still come here. */
	if (getpid() != 1)
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	bool tty = isatty(STDIN_FILENO);
	pid_t child = fork();
	if (child < 0) {
		fprintf(stderr, "capsa-init: fork: %s\n", strerror(errno));
		return 125;
	}
	if (child == 0) {
		setpgid(0, 0);
		/* With a terminal, the command's group is its foreground: ^C reaches it directly. */
		if (tty) {
			signal(SIGTTOU, SIG_IGN);
			tcsetpgrp(STDIN_FILENO, getpgrp());
			signal(SIGTTOU, SIG_DFL);
		}
		sigprocmask(SIG_SETMASK, &old, NULL);
		execvp(argv[first], argv + first);
		int e = errno;
		fprintf(stderr, "capsa-init: exec %s: %s\n", argv[first], strerror(e));
		_exit(e == ENOENT ? 127 : 126);
	}
	/* Both sides set the group: the first signal forwarded must not find it missing. */
	setpgid(child, child);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);
		if (sig < 0)
			continue;
		if (!not_forwarded(sig)) {
			/* The group, then the child itself in case it left the group. */
			if (kill(-child, sig) < 0 && errno == ESRCH)
				kill(child, sig);
			continue;
		}
		if (sig != SIGCHLD)
			continue;
		int status;
		pid_t w;
		while ((w = waitpid(-1, &status, WNOHANG)) > 0) {
			if (w != child)
				continue;
			/* The command is done; as PID 1 our exit ends whatever it left behind. */
			if (WIFEXITED(status))
				return WEXITSTATUS(status);
			if (WIFSIGNALED(status))
				return 128 + WTERMSIG(status);
		}
	}
}
