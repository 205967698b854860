/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ps, update and events: what the runtime reads and changes in a running container's cgroup. */
#define _GNU_SOURCE
#include "runtime/internal.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int with_cgroup(const struct capsa_runtime *rt, const char *id, bool need_alive, struct opened *o,
		       struct capsa_cgroup **cg, struct capsa_error **err)
{
	if (open_container(rt, id, o, err) < 0)
		return -1;
	if (need_alive && strcmp(o->state->status, "stopped") == 0) {
		opened_free(o);
		return capsa_error_set(err, 0, "container %s is not running", id);
	}
	*cg = open_cgroup(o->state);
	if (*cg == NULL) {
		opened_free(o);
		return capsa_error_set(err, ENOENT, "container %s has no cgroup", id);
	}
	return 0;
}

int capsa_container_pids(const struct capsa_runtime *rt, const char *id, pid_t **pids, size_t *n,
			 struct capsa_error **err)
{
	struct opened o;
	struct capsa_cgroup *cg;
	if (with_cgroup(rt, id, false, &o, &cg, err) < 0)
		return -1;
	int r = capsa_cgroup_pids(cg, pids, n, err);
	capsa_cgroup_free(cg);
	opened_free(&o);
	return r;
}

int capsa_container_update(const struct capsa_runtime *rt, const char *id, const struct oci_resources *res,
			   struct capsa_error **err)
{
	struct opened o;
	struct capsa_cgroup *cg;
	if (with_cgroup(rt, id, true, &o, &cg, err) < 0)
		return -1;
	int r = capsa_cgroup_apply(cg, res, err);
	capsa_cgroup_free(cg);
	opened_free(&o);
	if (r < 0)
		return capsa_error_prefix(err, "update %s", id);
	return 0;
}

int capsa_container_events(const struct capsa_runtime *rt, const char *id, int interval_ms, bool once,
			   int (*cb)(const struct capsa_event *ev, void *data), void *data,
			   struct capsa_error **err)
{
	struct opened o;
	struct capsa_cgroup *cg;
	if (with_cgroup(rt, id, true, &o, &cg, err) < 0)
		return -1;
	pid_t pid = o.state->pid;
	uint64_t start = o.state->init_start_time;
	/* Do not hold the container's lock while we watch it. */
	opened_free(&o);
	int ret = 0;
	struct capsa_error *e = NULL;
	int oomfd = once ? -1 : capsa_cgroup_oom_fd(cg, &e);
	if (oomfd < 0 && e) {
		capsa_debug("events %s: no OOM notification: %s", id, e->msg);
		capsa_error_clear(&e);
	}
	uint64_t ooms = 0;
	if (capsa_cgroup_oom_kills(cg, &ooms, &e) < 0)
		capsa_error_clear(&e);
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		int64_t wait_ms = (next.tv_sec - now.tv_sec) * 1000 + (next.tv_nsec - now.tv_nsec) / 1000000;
		if (wait_ms <= 0) {
			struct capsa_cgroup_stats st;
			if (capsa_cgroup_stats(cg, &st, err) < 0) {
				ret = -1;
				break;
			}
			struct capsa_event ev = {.type = CAPSA_EVENT_STATS, .id = id, .stats = &st};
			if (cb(&ev, data) != 0 || once)
				break;
			next.tv_sec += interval_ms / 1000;
			next.tv_nsec += (long)(interval_ms % 1000) * 1000000;
			if (next.tv_nsec >= 1000000000) {
				next.tv_sec++;
				next.tv_nsec -= 1000000000;
			}
			if (!process_alive(pid, start))
				break;
			continue;
		}
		/* Wake for OOM notifications, and at least once a second to notice the container's end
		 * (and an OOM kill the notification did not report: the counter is the truth). */
		struct pollfd p = {.fd = oomfd, .events = POLLIN};
		int r = poll(&p, oomfd >= 0 ? 1 : 0, wait_ms > 1000 ? 1000 : (int)wait_ms);
		if (r > 0 && (p.revents & POLLIN)) {
			char buf[4096];
			(void)!read(oomfd, buf, sizeof(buf));
		}
		uint64_t now_ooms = ooms;
		if (capsa_cgroup_oom_kills(cg, &now_ooms, &e) < 0)
			capsa_error_clear(&e);
		if (now_ooms > ooms) {
			ooms = now_ooms;
			struct capsa_event ev = {.type = CAPSA_EVENT_OOM, .id = id};
			if (cb(&ev, data) != 0)
				break;
		}
		if (!process_alive(pid, start))
			break;
	}
	if (oomfd >= 0)
		close(oomfd);
	capsa_cgroup_free(cg);
	return ret;
}
