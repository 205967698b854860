/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `create`: id and name (reserved under the lock), rootfs, bundle, record, then the monitor. */
#define _GNU_SOURCE
#include "engine/internal.h"
#include "cgroups/cgroups.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

static char *new_id(void)
{
	unsigned char b[32];
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		abort();
	char *s = xmalloc(65);
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(s + 2 * i, 3, "%02x", b[i]);
	return s;
}

static char *random_name(const unsigned char *r)
{
	static const char *const adj[] = {"brave", "calm",  "eager",  "fond",  "gentle", "happy",
					  "jolly", "keen",  "lucid",  "merry", "nifty",	 "proud",
					  "quiet", "sharp", "tender", "vivid"};
	static const char *const noun[] = {"ada",     "babbage", "curie",  "darwin",   "euler",	  "fermat",
					   "gauss",   "hopper",	 "knuth",  "lovelace", "noether", "pascal",
					   "ritchie", "shannon", "turing", "wozniak"};
	return xasprintf("%s_%s", adj[r[0] % ARRAY_SIZE(adj)], noun[r[1] % ARRAY_SIZE(noun)]);
}

static bool name_taken(struct capsa_engine *e, const char *name, char **owner)
{
	struct capsa_ctr **v = NULL;
	size_t n = 0;
	struct capsa_error *err = NULL;
	if (capsa_engine_list(e, &v, &n, &err) < 0) {
		capsa_error_free(err);
		return false;
	}
	bool taken = false;
	for (size_t i = 0; i < n && !taken; i++) {
		if (strcmp(v[i]->name, name) == 0) {
			taken = true;
			if (owner)
				*owner = xstrdup(v[i]->id);
		}
	}
	capsa_ctr_list_free(v, n);
	return taken;
}

/* Under the lock: the name is checked and the directory with the record made in one step. */
static int reserve(struct capsa_engine *e, struct capsa_ctr *c, const char *want, struct capsa_error **err)
{
	_cleanup_close_ int lock = engine_lock(e, err);
	if (lock < 0)
		return -1;
	if (want) {
		_cleanup_free_ char *owner = NULL;
		if (name_taken(e, want, &owner))
			return capsa_error_say(
				err, EEXIST,
				"the container name \"/%s\" is already in use by container \"%s\". You "
				"have to remove (or rename) that container to be able to reuse that name",
				want, owner);
		c->name = xstrdup(want);
	} else {
		for (int tries = 0; c->name == NULL; tries++) {
			unsigned char r[3];
			if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
				abort();
			char *n = random_name(r);
			if (tries > 8) {
				char *n2 = xasprintf("%s%u", n, r[2]);
				free(n);
				n = n2;
			}
			if (!name_taken(e, n, NULL))
				c->name = n;
			else
				free(n);
		}
	}
	if (mkdirat(e->containers_fd, c->id, 0700) < 0)
		return capsa_error_errno(err, "mkdir %s/containers/%s", e->root, c->id);
	if (ctr_write_record(e, c, false, err) < 0) {
		capsa_rm_rf_at(e->containers_fd, c->id);
		return -1;
	}
	return 0;
}

/* --pull: docker's policies (missing: only what the store lacks; always; never). */
static int pull_if_needed(struct capsa_image_store *s, const struct capsa_run_opts *o,
			  struct capsa_error **err)
{
	const char *policy = o->pull ? o->pull : "missing";
	const struct capsa_image *img;
	_cleanup_error_ struct capsa_error *lerr = NULL;
	bool have = capsa_image_lookup(s, o->image, &img, &lerr) == 0;
	if (!strcmp(policy, "never"))
		return have ? 0 : capsa_error_set(err, 0, "No such image: %s", o->image);
	if (have && strcmp(policy, "always"))
		return 0;
	if (!have && o->pull_progress) {
		struct capsa_pull_event ev = {.kind = CAPSA_PULL_MISSING, .msg = o->image};
		o->pull_progress(o->pull_progress_ctx, &ev);
	}
	struct capsa_pull_opts po = {
		.platform = o->platform, .progress = o->pull_progress, .progress_ctx = o->pull_progress_ctx};
	struct capsa_pull_result res;
	if (capsa_image_pull(s, o->image, &po, &res, err) < 0)
		return have ? -1
			    : capsa_error_prefix(err,
						 "Unable to find image '%s' locally, and pulling it failed",
						 o->image);
	capsa_pull_result_clear(&res);
	return 0;
}

static int prepare(struct capsa_engine *e, const struct capsa_run_opts *o, struct capsa_ctr *c,
		   struct capsa_error **err)
{
	_cleanup_image_store_ struct capsa_image_store *s = NULL;
	if (capsa_image_store_open(e->root, true, &s, err) < 0)
		return -1;
	const struct capsa_image *img;
	if (pull_if_needed(s, o, err) < 0)
		return -1;
	if (capsa_image_lookup(s, o->image, &img, err) < 0)
		return capsa_error_prefix(err, "Unable to find image '%s' locally after pulling it",
					  o->image);
	c->image_id = xstrdup(img->id);
	/* A micro-VM: a config disk and the image's ext4 instead of a rootfs and a bundle. */
	if (o->vm)
		return engine_vm_prepare(e, s, img, o, c, err);
	struct capsa_image_rootfs *r = NULL;
	struct capsa_rootfs_opts ro = {0};
	if (capsa_image_rootfs_prepare(s, o->image, c->id, &ro, &r, err) < 0)
		return -1;
	c->rootfs = xstrdup(r->path);
	capsa_image_rootfs_free(r);
	/* Before the config: it joins the namespace made here, and /etc/hosts names the address. */
	if (engine_network_setup(e, s, img, o, c, err) < 0)
		return -1;
	_cleanup_oci_config_ struct oci_config *cfg = NULL;
	if (spec_generate(e, s, img, o, c, &cfg, err) < 0)
		return -1;
	_cleanup_close_ int dfd = ctr_dir_open(e, c->id, err);
	if (dfd < 0)
		return -1;
	if (mkdirat(dfd, BUNDLE_DIR, 0700) < 0 && errno != EEXIST)
		return capsa_error_errno(err, "mkdir bundle");
	_cleanup_close_ int bfd = openat(dfd, BUNDLE_DIR, O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (bfd < 0)
		return capsa_error_errno(err, "open bundle");
	_cleanup_free_ char *json = capsa_oci_config_to_json(cfg);
	if (write_atomic_nosync(bfd, "config.json", json, strlen(json), 0600, err) < 0)
		return -1;
	return ctr_write_record(e, c, true, err);
}

static void close_fds_except(const int *keep, size_t n)
{
	/* keep is sorted ascending */
	unsigned int from = 3;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned)keep[i] < from)
			continue;
		if ((unsigned)keep[i] > from)
			close_range(from, (unsigned)keep[i] - 1, 0);
		from = (unsigned)keep[i] + 1;
	}
	close_range(from, ~0U, 0);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/*
 * Starts the monitor process for c and returns the socket to it in *sock. It waits for monitor_go before
 * it reads the container, so the sealed exec it starts with overlaps the caller's preparation.
 */
static int monitor_fork(struct capsa_engine *e, struct capsa_ctr *c, int *sock, struct capsa_error **err)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return capsa_error_errno(err, "socketpair");
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		close(sp[0]);
		close(sp[1]);
		return capsa_error_errno(err, "fork the monitor");
	}
	if (pid == 0) {
		/* Detached from the command's session and reparented: the monitor outlives `capsa`. In /, as
		 * a daemon: the caller's working directory (a mount the user wants to unmount, a directory
		 * removed later) is not held for the container's lifetime. Paths it is given are absolute. */
		setsid();
		if (chdir("/") < 0)
			_exit(1);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (fork() != 0)
			_exit(0);
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
		int keep[] = {sp[1], e->root_fd, e->containers_fd};
		qsort(keep, ARRAY_SIZE(keep), sizeof(int), cmp_int);
		close_fds_except(keep, ARRAY_SIZE(keep));
		/* The container's init will be a clone of the monitor: from a sealed binary only. */
		if (!capsa_exe_is_sealed())
			monitor_exec_create(e, c->id, sp[1]);
		/* Nothing of the container is touched before go: a failed create removes its directory. */
		int go = monitor_wait_go(sp[1]);
		if (go < 0)
			_exit(0);
		_cleanup_free_ char *logpath = xasprintf("%s/containers/%s/monitor.log", e->root, c->id);
		struct capsa_error *le = NULL;
		if (capsa_log_init(logpath, CAPSA_LOG_TEXT, capsa_log_level(), &le) < 0)
			capsa_error_free(le);
		capsa_monitor_main(e, c->id, sp[1], go == MONITOR_GO_START);
	}
	close(sp[1]);
	waitpid(pid, NULL, 0);
	*sock = sp[0];
	return 0;
}

/* The container is ready (record, rootfs, bundle): the monitor creates it; returns once it has. */
static int monitor_go(struct capsa_engine *e, struct capsa_ctr *c, int sock, bool start_follows,
		      int *exit_code, struct capsa_error **err)
{
	*exit_code = 125;
	_cleanup_close_ int fd = sock;
	char go = start_follows ? MONITOR_GO_START : MONITOR_GO_CREATE;
	/* MSG_NOSIGNAL: a monitor that failed to start has said why and hung up. */
	if (send(fd, &go, 1, MSG_NOSIGNAL) < 0 && errno != EPIPE)
		return capsa_error_errno(err, "talk to the monitor of %.12s", c->id);
	struct frame_hdr h;
	char *buf = xmalloc(FRAME_MAX + 1);
	int r = frame_recv(fd, &h, buf);
	int ret = 0;
	if (r <= 0) {
		ret = capsa_error_set(err, 0, "the monitor of %.12s exited before the container was created",
				      c->id);
	} else if (h.type == FRAME_ERROR && h.len >= 4) {
		int32_t code;
		memcpy(&code, buf, 4);
		buf[h.len] = '\0';
		*exit_code = code;
		ret = capsa_error_set(err, 0, "%s", buf + 4);
	} else if (h.type == FRAME_STARTED && h.len >= 4) {
		int32_t p;
		memcpy(&p, buf, 4);
		c->pid = p;
		*exit_code = 0;
		/* The monitor recorded itself: later requests in this command go to it. */
		struct capsa_ctr *now = NULL;
		struct capsa_error *e2 = NULL;
		if (ctr_read(e, c->id, &now, &e2) == 0) {
			c->monitor_pid = now->monitor_pid;
			c->monitor_start = now->monitor_start;
			c->status = now->status;
			capsa_ctr_free(now);
		} else {
			capsa_error_free(e2);
		}
	} else {
		ret = capsa_error_set(err, EPROTO, "unexpected reply from the monitor");
	}
	free(buf);
	return ret;
}

int monitor_spawn(struct capsa_engine *e, struct capsa_ctr *c, bool start_follows, int *exit_code,
		  struct capsa_error **err)
{
	int sock;
	*exit_code = 125;
	if (monitor_fork(e, c, &sock, err) < 0)
		return -1;
	return monitor_go(e, c, sock, start_follows, exit_code, err);
}

char *engine_cgroups_path(const struct capsa_run_opts *o, const char *id)
{
	const char *parent = o->cgroup_parent ? o->cgroup_parent : getenv("CAPSA_CGROUP_PARENT");
	if (parent == NULL || *parent == '\0')
		parent = "/capsa";
	return xasprintf("%s%s/%s", parent[0] == '/' ? "" : "/", parent, id);
}

static void cleanup_failed(struct capsa_engine *e, struct capsa_ctr *c)
{
	struct capsa_error *err = NULL;
	/* The prime's directories are all made before anything removes them. */
	capsa_cgroup_prime_wait();
	_cleanup_close_ int lock = engine_lock(e, &err);
	if (lock < 0 || ctr_destroy(e, c, &err) < 0) {
		_cleanup_free_ char *t = capsa_error_text(err);
		capsa_warn("clean up %.12s: %s", c->id, t);
		capsa_error_free(err);
	}
}

int capsa_engine_create(struct capsa_engine *e, const struct capsa_run_opts *o, struct capsa_ctr **out,
			int *exit_code, struct capsa_error **err)
{
	*exit_code = 125;
	if (o->name && capsa_container_name_validate(o->name, err) < 0)
		return -1;
	if (o->auto_remove && o->restart != CAPSA_RESTART_NO)
		return capsa_error_set(err, EINVAL, "conflicting options: --restart and --rm");
	const char *network =
		o->network && strcmp(o->network, "default") ? o->network : capsa_engine_default_network();
	if (o->vm && engine_vm_check(o, &network, err) < 0)
		return -1;
	if (strcmp(network, "none") && strcmp(network, "host") &&
	    capsa_network_name_validate(network, err) < 0)
		return -1;
	_cleanup_ctr_ struct capsa_ctr *c = xzalloc(sizeof(*c));
	c->id = new_id();
	c->cgroup_path = engine_cgroups_path(o, c->id);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	c->created = capsa_time_rfc3339(&now);
	c->image = xstrdup(o->image);
	c->hostname = o->hostname ? xstrdup(o->hostname) : xstrndup(c->id, 12);
	c->user = o->user ? xstrdup(o->user) : NULL;
	c->tty = o->tty;
	c->open_stdin = o->interactive;
	c->auto_remove = o->auto_remove;
	c->read_only = o->read_only;
	c->privileged = o->privileged;
	c->init = o->init;
	c->stop_signal = o->stop_signal;
	c->stop_timeout = o->stop_timeout >= 0 ? o->stop_timeout : 10;
	c->restart = o->restart;
	c->restart_max = o->restart_max;
	c->network = xstrdup(network);
	c->memory = o->memory;
	c->memory_swap = o->memory_swap;
	c->nano_cpus = o->nano_cpus;
	c->cpu_shares = o->cpu_shares;
	c->pids_limit = o->pids_limit;
	c->cpuset_cpus = o->cpuset_cpus ? xstrdup(o->cpuset_cpus) : NULL;
	c->timeout_ns = o->timeout_ns;
	c->stats_file = o->stats_file ? xstrdup(o->stats_file) : NULL;
	c->log_driver = xstrdup(o->log_driver ? o->log_driver : "json-file");
	c->log_max_size = o->log_max_size;
	c->log_max_file = o->log_max_file;
	if (o->cmd && o->n_cmd) {
		c->cmd = capsa_strv_dup(o->cmd, o->n_cmd);
		c->n_cmd = o->n_cmd;
	}
	if (o->entrypoint) {
		c->entrypoint = xcalloc(2, sizeof(char *));
		if (*o->entrypoint)
			c->entrypoint[c->n_entrypoint++] = xstrdup(o->entrypoint);
	}
	c->labels = xcalloc(o->n_labels + 1, sizeof(*c->labels));
	for (size_t i = 0; i < o->n_labels; i++)
		c->labels[c->n_labels++] =
			(struct capsa_kv){xstrdup(o->labels[i].key), xstrdup(o->labels[i].value)};
	if (reserve(e, c, o->name, err) < 0)
		return -1;
	/* The cgroup's directories, made while the monitor starts. After reserve: the record names the
	 * cgroup, so rm -f finds directories a killed capsa left. Only here, in the CLI: a process that
	 * clone()s an init with a raw system call must not have a second thread (the init's setresuid would
	 * wait for glibc's other thread for ever). */
	capsa_cgroup_prime(c->cgroup_path);
	/* The monitor starts (a sealed exec) while the rootfs and the config are prepared. */
	int msock = -1;
	if (monitor_fork(e, c, &msock, err) < 0 || prepare(e, o, c, err) < 0 ||
	    monitor_go(e, c, TAKE_FD(msock), o->start_follows, exit_code, err) < 0) {
		if (msock >= 0)
			close(msock);
		cleanup_failed(e, c);
		return -1;
	}
	*out = TAKE_PTR(c);
	return 0;
}
