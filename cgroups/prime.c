/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Moving a process into a cgroup by a write to cgroup.procs takes the kernel's global
 * cgroup_threadgroup_rwsem for writing, and the first writer after a quiet spell waits for an RCU grace
 * period first (rcu_sync; 8-20 ms measured on this host, and every runtime pays it: crun, runc). Writers
 * that come within about a grace period after it do not wait. On a pure cgroup v2 host capsa's init is
 * born in its cgroup (clone3 CLONE_INTO_CGROUP) and nothing waits; on v1 and hybrid hosts the init is
 * moved by such a write.
 *
 * capsa_cgroup_prime() starts that wait at once, in capsa's CLI, on a thread of its own, by moving the caller
 * into the cgroup it is already in: nothing changes for the process, but the grace period runs while the
 * caller prepares the container, and the init's move, a few milliseconds later, finds the lock warm. It is
 * the same latency the kernel's "favordynmods" mount option removes for everyone, at the price of
 * slower forks, which a runtime has no business choosing for the host.
 */
#define _GNU_SOURCE
#include "cgroups/internal.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

char *cgroup_prime_target(const struct cg_layout *l, const char *proc_cgroup)
{
	if (l == NULL || l->mode == CAPSA_CGROUP_UNIFIED || proc_cgroup == NULL)
		return NULL;
	for (size_t i = 0; i < l->n; i++) {
		const struct cg_hier *h = &l->h[i];
		_cleanup_free_ char *own = NULL;
		struct capsa_error *err = NULL;
		if (cgroup_parse_proc_cgroup(proc_cgroup, h->v2, h->v2 ? "" : h->controllers, &own, &err) <
		    0) {
			capsa_error_free(err);
			continue;
		}
		const char *rel = cgroup_below_root(own, h->root);
		if (rel == NULL || strstr(rel, "/..") || strstr(rel, "\n"))
			continue;
		return xasprintf("%s%s%scgroup.procs", h->mountpoint, rel,
				 rel[strlen(rel) - 1] == '/' ? "" : "/");
	}
	return NULL;
}

/* Set before the thread starts, never freed: the thread must not touch malloc (below). */
static char prime_path[4096];

/*
 * Only system calls, no lock of the C library, and it never returns: the runtime clone()s its init
 * without glibc's fork handlers, so a lock this thread held at that moment (malloc's, or the ones a
 * thread takes on its way out) would stay locked in the child for ever. Blocked in pause() it holds
 * none; the process's exit or exec ends it.
 */
static void *prime_thread(void *arg)
{
	(void)arg;
	int fd = open(prime_path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	/* "0" is the writer itself (its whole thread group), moved to where it already is. Failing is fine:
	 * this only saves time. */
	if (fd >= 0) {
		ssize_t r = write(fd, "0", 1);
		(void)r;
		close(fd);
	}
	for (;;)
		pause();
	return NULL;
}

void capsa_cgroup_prime(void)
{
	/* Once per process (by pid: a forked child is another process). */
	static pid_t primed;
	if (primed == getpid())
		return;
	primed = getpid();
	struct capsa_error *err = NULL;
	const struct cg_layout *l = cgroup_host_layout(&err);
	if (l == NULL) {
		capsa_error_free(err);
		return;
	}
	_cleanup_free_ char *text = NULL;
	if (l->mode == CAPSA_CGROUP_UNIFIED ||
	    capsa_read_file_at(AT_FDCWD, "/proc/self/cgroup", 0, &text, NULL, &err) < 0) {
		capsa_error_free(err);
		return;
	}
	_cleanup_free_ char *path = cgroup_prime_target(l, text);
	if (path == NULL || strlen(path) >= sizeof(prime_path))
		return;
	memcpy(prime_path, path, strlen(path) + 1);
	pthread_attr_t a;
	pthread_t t;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&a, 64 * 1024);
	/* Every signal blocked in the thread: they stay the main thread's (signalfd, handlers). */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&t, &a, prime_thread, NULL) != 0)
		capsa_debug("cgroup: no thread to prime the grace period");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&a);
}
