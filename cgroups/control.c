/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Freezing, killing every process, and OOM notification. */
#define _GNU_SOURCE
#include "cgroups/internal.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#define POLL_US 10000
#define FREEZE_TRIES 500 /* 5 s */
#define KILL_TRIES 1000	 /* 10 s */

/* v2 freeze where cgroup.freeze exists (also on hybrid hosts), else the v1 freezer. */
static struct cg_dir *v2_with(struct capsa_cgroup *cg, const char *file)
{
	struct cg_dir *d = cgroup_v2_dir(cg);
	return d && cgroup_file_exists(d->fd, file) ? d : NULL;
}

static int v2_frozen(struct cg_dir *d, struct capsa_error **err)
{
	_cleanup_free_ char *ev = NULL;
	uint64_t v;
	if (cgroup_read(d->fd, "cgroup.events", &ev, err) < 0)
		return -1;
	if (cgroup_parse_keyed(ev, "frozen", &v) < 0)
		return capsa_error_set(err, EINVAL, "cgroup: no 'frozen' in cgroup.events of %s", d->dir);
	return v ? 1 : 0;
}

static int v1_state(struct cg_dir *d, char *buf, size_t len, struct capsa_error **err)
{
	_cleanup_free_ char *s = NULL;
	if (cgroup_read(d->fd, "freezer.state", &s, err) < 0)
		return -1;
	s[strcspn(s, "\n")] = '\0';
	snprintf(buf, len, "%s", s);
	return 0;
}

int capsa_cgroup_freeze(struct capsa_cgroup *cg, bool frozen, struct capsa_error **err)
{
	struct cg_dir *d = v2_with(cg, "cgroup.freeze");
	if (d) {
		if (cgroup_write(d->fd, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
			return capsa_error_prefix(err, "%s", d->dir);
		/* The write only asks; cgroup.events says when every task has stopped. */
		for (int i = 0; i < FREEZE_TRIES; i++) {
			int r = v2_frozen(d, err);
			if (r < 0)
				return -1;
			if (r == frozen)
				return 0;
			usleep(POLL_US);
		}
		return capsa_error_set(err, ETIMEDOUT, "cgroup: %s did not %s", d->dir,
				       frozen ? "freeze" : "thaw");
	}
	d = cgroup_v1_dir(cg, "freezer");
	if (d == NULL)
		return capsa_error_set(err, ENOTSUP,
				       "cgroup: no freezer for %s (neither cgroup.freeze nor freezer v1)",
				       cg->path);
	const char *want = frozen ? "FROZEN" : "THAWED";
	for (int i = 0; i < FREEZE_TRIES; i++) {
		char state[32];
		/* Writing FROZEN again retries tasks that were busy in the kernel. */
		if (cgroup_write(d->fd, "freezer.state", want, err) < 0)
			return capsa_error_prefix(err, "%s", d->dir);
		if (v1_state(d, state, sizeof(state), err) < 0)
			return -1;
		if (strcmp(state, want) == 0)
			return 0;
		usleep(POLL_US);
	}
	return capsa_error_set(err, ETIMEDOUT, "cgroup: %s did not reach %s", d->dir, want);
}

int capsa_cgroup_is_frozen(struct capsa_cgroup *cg, struct capsa_error **err)
{
	struct cg_dir *d = v2_with(cg, "cgroup.freeze");
	if (d) {
		_cleanup_free_ char *v = NULL;
		if (cgroup_read(d->fd, "cgroup.freeze", &v, err) < 0)
			return -1;
		return v[0] == '1';
	}
	d = cgroup_v1_dir(cg, "freezer");
	if (d == NULL)
		return 0;
	char state[32];
	if (v1_state(d, state, sizeof(state), err) < 0)
		return -1;
	return strcmp(state, "THAWED") != 0;
}

static int signal_all(struct capsa_cgroup *cg, int sig, size_t *left, struct capsa_error **err)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n;
	if (capsa_cgroup_pids(cg, &pids, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (kill(pids[i], sig) < 0 && errno != ESRCH)
			capsa_debug("cgroup: kill %d: %s", (int)pids[i], strerror(errno));
	*left = n;
	return 0;
}

int capsa_cgroup_kill_all(struct capsa_cgroup *cg, int sig, struct capsa_error **err)
{
	struct cg_dir *kd = sig == SIGKILL ? v2_with(cg, "cgroup.kill") : NULL;
	size_t left = 0;
	if (kd) {
		if (cgroup_write(kd->fd, "cgroup.kill", "1", err) < 0)
			return capsa_error_prefix(err, "%s", kd->dir);
	} else {
		/* Frozen, the processes cannot fork new ones between listing and killing. */
		_cleanup_error_ struct capsa_error *ferr = NULL;
		bool frozen = capsa_cgroup_freeze(cg, true, &ferr) == 0;
		if (!frozen)
			capsa_debug("cgroup: kill without freezing: %s", ferr->msg);
		int r = signal_all(cg, sig, &left, err);
		if (frozen) {
			_cleanup_error_ struct capsa_error *terr = NULL;
			if (capsa_cgroup_freeze(cg, false, &terr) < 0 && r == 0) {
				*err = TAKE_PTR(terr);
				return -1;
			}
		}
		if (r < 0)
			return -1;
	}
	if (sig != SIGKILL)
		return 0;
	for (int i = 0; i < KILL_TRIES; i++) {
		/* Processes that joined outside cgroup.kill's reach (v1 only) are killed one by one. */
		if (signal_all(cg, i == 0 ? 0 : SIGKILL, &left, err) < 0)
			return -1;
		if (left == 0)
			return 0;
		usleep(POLL_US);
	}
	return capsa_error_set(err, ETIMEDOUT, "cgroup: %zu processes still in %s after SIGKILL", left,
			       cg->path);
}

int capsa_cgroup_oom_kills(struct capsa_cgroup *cg, uint64_t *count, struct capsa_error **err)
{
	struct cg_dir *d = cgroup_v1_dir(cg, "memory");
	const char *file = "memory.oom_control";
	if (d == NULL) {
		d = cgroup_v2_dir(cg);
		file = "memory.events";
	}
	if (d == NULL)
		return capsa_error_set(err, ENOTSUP, "cgroup: no memory controller for %s", cg->path);
	_cleanup_free_ char *text = NULL;
	if (cgroup_read(d->fd, file, &text, err) < 0)
		return capsa_error_prefix(err, "%s", d->dir);
	*count = 0;
	/* Kernels before 4.13 (v1) and 4.13 (v2) do not count kills: treat as none seen. */
	cgroup_parse_keyed(text, "oom_kill", count);
	return 0;
}

int capsa_cgroup_oom_fd(struct capsa_cgroup *cg, struct capsa_error **err)
{
	struct cg_dir *d = cgroup_v1_dir(cg, "memory");
	if (d) {
		_cleanup_close_ int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (efd < 0)
			return capsa_error_errno(err, "cgroup: eventfd");
		_cleanup_close_ int ofd = openat(d->fd, "memory.oom_control", O_RDONLY | O_CLOEXEC);
		if (ofd < 0)
			return capsa_error_errno(err, "cgroup: open %s/memory.oom_control", d->dir);
		if (cgroup_writef(d->fd, "cgroup.event_control", err, "%d %d", efd, ofd) < 0)
			return capsa_error_prefix(err, "%s", d->dir);
		return TAKE_FD(efd);
	}
	d = cgroup_v2_dir(cg);
	if (d == NULL || !cgroup_file_exists(d->fd, "memory.events"))
		return capsa_error_set(err, ENOTSUP, "cgroup: no memory controller for %s", cg->path);
	_cleanup_close_ int ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ifd < 0)
		return capsa_error_errno(err, "cgroup: inotify_init1");
	_cleanup_free_ char *file = xasprintf("%s/memory.events", d->dir);
	if (inotify_add_watch(ifd, file, IN_MODIFY) < 0)
		return capsa_error_errno(err, "cgroup: watch %s", file);
	return TAKE_FD(ifd);
}
