/* SPDX-License-Identifier: GPL-2.0-or-later */
/* start, state, kill, delete, list, pause/resume: each under the container's lock. */
#define _GNU_SOURCE
#include "runtime/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

void opened_free(struct opened *o)
{
	capsa_oci_state_free(o->state);
	state_dir_close(&o->dir);
}

int open_container(const struct capsa_runtime *rt, const char *id, struct opened *o, struct capsa_error **err)
{
	*o = (struct opened){.dir = {.root_fd = -1, .dir_fd = -1}};
	if (state_dir_open(rt, id, &o->dir, err) < 0)
		return -1;
	if (state_read(&o->dir, &o->state, err) < 0) {
		state_dir_close(&o->dir);
		return -1;
	}
	state_refresh_status(&o->dir, o->state);
	return 0;
}

struct oci_config *saved_config(struct container_dir *d)
{
	_cleanup_free_ char *json = NULL;
	size_t len;
	struct capsa_error *e = NULL;
	struct oci_config *c = NULL;
	if (capsa_read_file_at(d->dir_fd, CONFIG_COPY, 0, &json, &len, &e) < 0 ||
	    capsa_oci_config_parse(json, len, CONFIG_COPY, &c, &e) < 0) {
		_cleanup_free_ char *t = capsa_error_text(e);
		capsa_warn("container %s: %s", d->id, t);
		capsa_error_free(e);
		return NULL;
	}
	return c;
}

int capsa_container_start(const struct capsa_runtime *rt, const char *id, struct capsa_error **err)
{
	struct opened o;
	if (open_container(rt, id, &o, err) < 0)
		return -1;
	int ret = -1;
	_cleanup_close_ int sock = -1;
	_cleanup_free_ char *reply = NULL;
	_cleanup_oci_config_ struct oci_config *cfg = NULL;
	if (strcmp(o.state->status, "created") != 0) {
		capsa_error_set(err, 0, "cannot start container %s: it is %s, not created", id,
				o.state->status);
		goto out;
	}
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s", o.dir.dir_fd, START_SOCKET);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		capsa_error_errno(err, "start %s: connect to the container init", id);
		goto out;
	}
	/* From here the container counts as started, whatever happens to us. */
	unlinkat(o.dir.dir_fd, START_SOCKET, 0);
	if (capsa_write_all(sock, "s", 1) != 1) {
		capsa_error_errno(err, "start %s", id);
		goto out;
	}
	size_t len = 0;
	if (capsa_read_fd(sock, 8192, &reply, &len, err) < 0) {
		capsa_error_prefix(err, "start %s", id);
		goto out;
	}
	if (len > 0) {
		capsa_error_set(err, 0, "start %s: %s", id, reply);
		goto out;
	}
	free(o.state->status);
	o.state->status = xstrdup("running");
	if (state_write(&o.dir, o.state, err) < 0)
		goto out;
	ret = 0;
	cfg = saved_config(&o.dir);
	if (cfg && cfg->hooks.n_poststart) {
		/* The spec: a failing poststart hook is logged, the lifecycle continues. */
		struct capsa_error *e = NULL;
		_cleanup_free_ char *st = state_json_for_hooks(o.state);
		if (hooks_run(cfg->hooks.poststart, cfg->hooks.n_poststart, "poststart", st, &e) < 0) {
			_cleanup_free_ char *t = capsa_error_text(e);
			capsa_warn("%s: %s", id, t);
			capsa_error_free(e);
		}
	}
out:
	opened_free(&o);
	return ret;
}

int capsa_container_state(const struct capsa_runtime *rt, const char *id, struct oci_state **out,
			  struct capsa_error **err)
{
	struct opened o;
	if (open_container(rt, id, &o, err) < 0)
		return -1;
	if (strcmp(o.state->status, "stopped") == 0)
		o.state->pid = 0;
	*out = TAKE_PTR(o.state);
	opened_free(&o);
	return 0;
}

struct capsa_cgroup *open_cgroup(const struct oci_state *s)
{
	struct capsa_cgroup *cg = NULL;
	struct capsa_error *e = NULL;
	if (s->cgroup_path && capsa_cgroup_open(s->cgroup_path, &cg, &e) < 0) {
		capsa_debug("open cgroup %s: %s", s->cgroup_path, e->msg);
		capsa_error_free(e);
		return NULL;
	}
	return cg;
}

int capsa_container_kill(const struct capsa_runtime *rt, const char *id, int sig, bool all,
			 struct capsa_error **err)
{
	struct opened o;
	if (open_container(rt, id, &o, err) < 0)
		return -1;
	int ret = 0;
	if (strcmp(o.state->status, "stopped") == 0 || strcmp(o.state->status, "creating") == 0) {
		ret = capsa_error_set(err, ESRCH, "kill %s: container is %s", id, o.state->status);
	} else if (all) {
		struct capsa_cgroup *cg = open_cgroup(o.state);
		if (cg == NULL) {
			ret = capsa_error_set(err, ENOENT, "kill --all %s: the container has no cgroup", id);
		} else {
			pid_t *pids = NULL;
			size_t n = 0;
			ret = capsa_cgroup_pids(cg, &pids, &n, err);
			for (size_t i = 0; ret == 0 && i < n; i++)
				if (kill(pids[i], sig) < 0 && errno != ESRCH)
					ret = capsa_error_errno(err, "kill %d", (int)pids[i]);
			free(pids);
			capsa_cgroup_free(cg);
		}
	} else if (kill(o.state->pid, sig) < 0) {
		ret = capsa_error_errno(err, "kill %s (pid %d)", id, (int)o.state->pid);
	}
	opened_free(&o);
	return ret;
}

static void wait_gone(const struct oci_state *s)
{
	/* SIGKILL is already sent; the kernel needs a moment to tear the process down. */
	for (int i = 0; i < 1000 && process_alive(s->pid, s->init_start_time); i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

/*
 * A delete killed while removing the state directory leaves it without state.json (the processes and the
 * cgroup went before it). Nothing else can be found from it: with --force, finish removing it.
 */
static int delete_without_state(const struct capsa_runtime *rt, const char *id, struct capsa_error **err)
{
	struct container_dir d = {.root_fd = -1, .dir_fd = -1};
	if (state_dir_open(rt, id, &d, err) < 0)
		return -1;
	int r = 0;
	if (faccessat(d.dir_fd, "state.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
		r = capsa_error_set(err, EEXIST, "container %s: state.json appeared while deleting it", id);
	else
		r = state_dir_remove(&d, err);
	state_dir_close(&d);
	return r;
}

int capsa_container_delete(const struct capsa_runtime *rt, const char *id, bool force,
			   struct capsa_error **err)
{
	struct opened o;
	if (open_container(rt, id, &o, err) < 0) {
		if (!force || err == NULL || *err == NULL || (*err)->errnum != ENOENT)
			return -1;
		/* ENOENT for the directory itself comes back from state_dir_open again. */
		capsa_error_clear(err);
		return delete_without_state(rt, id, err);
	}
	const char *st = o.state->status;
	if (strcmp(st, "stopped") != 0 && !force) {
		capsa_error_set(err, 0, "cannot delete container %s that is not stopped: %s", id, st);
		opened_free(&o);
		return -1;
	}
	struct capsa_cgroup *cg = open_cgroup(o.state);
	if (strcmp(st, "stopped") != 0) {
		if (cg) {
			struct capsa_error *e = NULL;
			/* A paused container must be thawed for the kill to complete. */
			if (capsa_cgroup_kill_all(cg, SIGKILL, &e) < 0) {
				capsa_warn("%s: %s", id, e->msg);
				capsa_error_free(e);
			}
		}
		if (o.state->pid > 0)
			kill(o.state->pid, SIGKILL);
		wait_gone(o.state);
	}
	_cleanup_oci_config_ struct oci_config *cfg = saved_config(&o.dir);
	container_destroy(&o.dir, o.state, cg);
	capsa_cgroup_free(cg);
	if (cfg && cfg->hooks.n_poststop) {
		struct capsa_error *e = NULL;
		free(o.state->status);
		o.state->status = xstrdup("stopped");
		_cleanup_free_ char *sj = state_json_for_hooks(o.state);
		if (hooks_run(cfg->hooks.poststop, cfg->hooks.n_poststop, "poststop", sj, &e) < 0) {
			_cleanup_free_ char *t = capsa_error_text(e);
			capsa_warn("%s: %s", id, t);
			capsa_error_free(e);
		}
	}
	opened_free(&o);
	return 0;
}

static int cmp_state(const void *a, const void *b)
{
	const struct oci_state *x = *(struct oci_state *const *)a, *y = *(struct oci_state *const *)b;
	return strcmp(x->id, y->id);
}

int capsa_container_list(const struct capsa_runtime *rt, struct oci_state ***out, size_t *n,
			 struct capsa_error **err)
{
	*out = NULL;
	*n = 0;
	_cleanup_closedir_ DIR *d = opendir(rt->root);
	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		return capsa_error_errno(err, "open state root %s", rt->root);
	}
	struct dirent *de;
	size_t cap = 0;
	struct oci_state **v = NULL;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		struct capsa_error *e = NULL;
		struct oci_state *s = NULL;
		if (capsa_container_state(rt, de->d_name, &s, &e) < 0) {
			capsa_debug("list: %s", e->msg);
			capsa_error_free(e);
			continue;
		}
		if (*n == cap)
			v = xreallocarray(v, cap = cap ? cap * 2 : 8, sizeof(*v));
		v[(*n)++] = s;
	}
	if (*n)
		qsort(v, *n, sizeof(*v), cmp_state);
	*out = v;
	return 0;
}

int capsa_container_pause(const struct capsa_runtime *rt, const char *id, bool pause,
			  struct capsa_error **err)
{
	struct opened o;
	if (open_container(rt, id, &o, err) < 0)
		return -1;
	int ret = 0;
	const char *want = pause ? "running" : "paused";
	if (strcmp(o.state->status, want) != 0) {
		ret = capsa_error_set(err, 0, "cannot %s container %s: it is %s", pause ? "pause" : "resume",
				      id, o.state->status);
	} else {
		struct capsa_cgroup *cg = open_cgroup(o.state);
		if (cg == NULL)
			ret = capsa_error_set(err, ENOENT, "container %s has no cgroup", id);
		else
			ret = capsa_cgroup_freeze(cg, pause, err);
		capsa_cgroup_free(cg);
	}
	opened_free(&o);
	return ret;
}
