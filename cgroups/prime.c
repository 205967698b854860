/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The container's cgroup directories, made ahead on a thread of the CLI's own while it prepares the
 * container (about 0.4 ms for the ten hierarchies of a v1 or hybrid host), so the monitor finds them made
 * and clones the init at once. The container's record names the cgroup before any of this, so rm -f
 * removes what a capsa killed in between left.
 *
 * What this once also did, start the RCU grace period that the kernel's global cgroup_threadgroup_rwsem
 * makes the first cgroup.procs writer after a quiet spell wait for (8-20 ms here), is gone with its
 * cause: the init joins its v1 hierarchies itself through their tasks files, which skips that lock, and
 * is born in its v2 cgroup (capsa_cgroup_enter_self, runtime_clone_into). Such a write would now only
 * hold cgroup_mutex against those joins for the whole grace period.
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
#define PRIME_DIRS 16
static char prime_dirs[PRIME_DIRS][512];
static size_t n_prime_dirs;
static sem_t prime_dirs_made; /* posted by the thread once its directories are made */
static bool prime_started;

/* mkdir -p with system calls only. The components down to the mount point exist: EEXIST, a few
 * microseconds each. */
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
	for (size_t i = 0; i < n_prime_dirs; i++)
		make_cgroup_dir(prime_dirs[i]);
	sem_post(&prime_dirs_made);
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
	n_prime_dirs = 0;
	_cleanup_strv_ char **dirs = cgroup_prime_dirs(l, cgroups_path);
	for (size_t i = 0; dirs && dirs[i] && n_prime_dirs < PRIME_DIRS; i++)
		if (strlen(dirs[i]) < sizeof(prime_dirs[0]))
			memcpy(prime_dirs[n_prime_dirs++], dirs[i], strlen(dirs[i]) + 1);
	if (n_prime_dirs == 0)
		return;
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
		capsa_debug("cgroup: no thread to make the cgroup directories ahead");
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
