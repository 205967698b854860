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
 *
 * The write holds the kernel's cgroup_mutex for the whole grace period, and every cgroup mkdir takes
 * that mutex too: the thread first makes the container's cgroup directories (about 0.4 ms for ten v1
 * hierarchies), so the monitor finds them made, clones the init at once and the init sets up its
 * rootfs while the grace period runs (runtime/create.c moves it meanwhile). The container's record
 * names the cgroup before any of this, so rm -f removes what a capsa killed in between left.
 */
#define _GNU_SOURCE
#include "cgroups/internal.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
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

char **cgroup_prime_dirs(const struct cg_layout *l, const char *cgroups_path)
{
	if (l == NULL || l->mode == CAPSA_CGROUP_UNIFIED || cgroups_path == NULL || cgroups_path[0] != '/' ||
	    strstr(cgroups_path, "/..") || strchr(cgroups_path, '\n') || strstr(cgroups_path, "//") ||
	    cgroups_path[strlen(cgroups_path) - 1] == '/')
		return NULL;
	char **out = xcalloc(l->n + 1, sizeof(char *));
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++) {
		const char *rel = cgroup_below_root(cgroups_path, l->h[i].root);
		if (rel && *rel == '/')
			out[n++] = xasprintf("%s%s", l->h[i].mountpoint, rel);
	}
	return out;
}

/* Set before the thread starts, never freed: the thread must not touch malloc (below). */
static char prime_path[4096];
#define PRIME_DIRS 16
static char prime_dirs[PRIME_DIRS][512];
static size_t n_prime_dirs;
static sem_t prime_dirs_made; /* posted by the thread once its directories are made */
static bool prime_started;

/* mkdir -p with system calls only. The components down to the mount point exist: EEXIST, a few
 * microseconds against the grace period's milliseconds. */
static void make_cgroup_dir(char *dir)
{
	for (char *p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		(void)mkdir(dir, 0755);
		*p = c;
		if (c == '\0')
			break;
	}
}

/*
 * Only system calls, no lock of the C library, and it never returns: the runtime clone()s its init
 * without glibc's fork handlers, so a lock this thread held at that moment (malloc's, or the ones a
 * thread takes on its way out) would stay locked in the child for ever. Blocked in pause() it holds
 * none; the process's exit or exec ends it.
 */
static void *prime_thread(void *arg)
{
	(void)arg;
	/* First the container's cgroup directories: made while no one holds the kernel's cgroup_mutex,
	 * which the write below keeps for the whole grace period (the monitor's mkdirs would wait it out). */
	for (size_t i = 0; i < n_prime_dirs; i++)
		make_cgroup_dir(prime_dirs[i]);
	sem_post(&prime_dirs_made);
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

void capsa_cgroup_prime(const char *cgroups_path)
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
	n_prime_dirs = 0;
	_cleanup_strv_ char **dirs = cgroup_prime_dirs(l, cgroups_path);
	for (size_t i = 0; dirs && dirs[i] && n_prime_dirs < PRIME_DIRS; i++)
		if (strlen(dirs[i]) < sizeof(prime_dirs[0]))
			memcpy(prime_dirs[n_prime_dirs++], dirs[i], strlen(dirs[i]) + 1);
	pthread_attr_t a;
	pthread_t t;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&a, 64 * 1024);
	/* Every signal blocked in the thread: they stay the main thread's (signalfd, handlers). */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	sem_init(&prime_dirs_made, 0, 0);
	if (pthread_create(&t, &a, prime_thread, NULL) != 0)
		capsa_debug("cgroup: no thread to prime the grace period");
	else
		prime_started = true;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&a);
}

void capsa_cgroup_prime_wait(void)
{
	if (!prime_started)
		return;
	while (sem_wait(&prime_dirs_made) < 0 && errno == EINTR)
		;
	sem_post(&prime_dirs_made);
}

void capsa_cgroup_remove_empty(const char *cgroups_path)
{
	struct capsa_error *err = NULL;
	const struct cg_layout *l = cgroup_host_layout(&err);
	capsa_error_free(err);
	/* Exactly what the prime makes (nothing on a pure v2 host, where it makes none). */
	_cleanup_strv_ char **dirs = cgroup_prime_dirs(l, cgroups_path);
	for (size_t i = 0; dirs && dirs[i]; i++)
		/* Only an empty cgroup goes: one with a process is someone's, and rmdir refuses it anyway. */
		if (rmdir(dirs[i]) < 0 && errno != ENOENT)
			capsa_debug("cgroup: rmdir %s: %s", dirs[i], strerror(errno));
}
