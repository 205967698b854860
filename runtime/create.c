/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `create`, the runtime's side: validate everything we can before any process
 * exists, make the state dir and cgroup, clone the init, answer its requests
 * (user maps, cgroup, hooks), and record the state. On any failure the init,
 * the cgroup and the state dir are removed again.
 */
#define _GNU_SOURCE
#include "runtime/internal.h"
#include "runtime/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

void create_ctx_init(struct create_ctx *c, const struct capsa_runtime *rt, const struct capsa_create_opts *o)
{
	*c = (struct create_ctx){.rt = rt,
				 .opts = o,
				 .sync_parent = -1,
				 .sync_child = -1,
				 .console_fd = -1,
				 .console_peer = -1,
				 .start_listen_fd = -1,
				 .seccomp_listener = -1,
				 .dir = {.root_fd = -1, .dir_fd = -1}};
}

void create_ctx_free(struct create_ctx *c)
{
	capsa_oci_config_free(c->config);
	capsa_oci_state_free(c->state);
	capsa_cgroup_free(c->cgroup);
	free(c->bundle);
	free(c->rootfs);
	if (c->sync_parent >= 0)
		close(c->sync_parent);
	if (c->sync_child >= 0)
		close(c->sync_child);
	if (c->console_fd >= 0)
		close(c->console_fd);
	if (c->start_listen_fd >= 0)
		close(c->start_listen_fd);
	if (c->console_peer >= 0)
		close(c->console_peer);
	if (c->seccomp_listener >= 0)
		close(c->seccomp_listener);
	capsa_seccomp_free(c->seccomp);
	state_dir_close(&c->dir);
}

static int validate_config(struct create_ctx *c, struct capsa_error **err)
{
	const struct oci_config *cfg = c->config;
	if (cfg->process == NULL)
		return capsa_error_set(err, EINVAL, "config.json: process: required to create a container");
	if (cfg->root == NULL || cfg->root->path == NULL)
		return capsa_error_set(err, EINVAL, "config.json: root.path: required");
	if (ns_find(cfg, OCI_NS_MOUNT) == NULL)
		return capsa_error_set(err, EINVAL,
				       "config.json: linux.namespaces: a mount namespace is required");
	const struct oci_namespace *mnt = ns_find(cfg, OCI_NS_MOUNT);
	if (mnt->path)
		return capsa_error_set(
			err, EINVAL,
			"config.json: linux.namespaces: joining an existing mount namespace is not "
			"supported (the rootfs is set up in a new one)");
	if (caps_validate(cfg->process->capabilities, err) < 0 || sysctl_validate(cfg, err) < 0)
		return capsa_error_prefix(err, "config.json");
	if ((cfg->hostname && *cfg->hostname) && ns_find(cfg, OCI_NS_UTS) == NULL)
		return capsa_error_set(
			err, EINVAL, "config.json: hostname: setting the hostname needs a new uts namespace");
	if (cfg->process->terminal && c->opts->console_socket == NULL && !c->opts->has_console_fd &&
	    !c->proxy_terminal)
		return capsa_error_set(
			err, EINVAL,
			"process.terminal is true: a --console-socket is needed to receive the "
			"terminal (or run in the foreground)");
	if (!cfg->process->terminal && (c->opts->console_socket || c->opts->has_console_fd))
		return capsa_error_set(err, EINVAL, "--console-socket given but process.terminal is false");
	if (cfg->process->apparmor_profile && *cfg->process->apparmor_profile &&
	    access("/sys/kernel/security/apparmor", F_OK) < 0)
		return capsa_error_set(
			err, ENOTSUP,
			"config.json: process.apparmorProfile %s: AppArmor is not enabled on this host",
			cfg->process->apparmor_profile);
	if ((cfg->process->selinux_label && *cfg->process->selinux_label) ||
	    (cfg->linux_ && cfg->linux_->mount_label && *cfg->linux_->mount_label)) {
		if (access("/sys/fs/selinux/enforce", F_OK) < 0)
			return capsa_error_set(
				err, ENOTSUP,
				"config.json: SELinux labels are set but SELinux is not enabled on "
				"this host");
	}
	const struct oci_namespace *user = ns_find(cfg, OCI_NS_USER);
	if (user && user->path == NULL && (!cfg->linux_->n_uid_mappings || !cfg->linux_->n_gid_mappings))
		return capsa_error_set(
			err, EINVAL,
			"config.json: linux.uidMappings and gidMappings are required with a new user "
			"namespace");
	return 0;
}

static void plan_namespaces(struct create_ctx *c)
{
	const struct oci_linux *l = c->config->linux_;
	int flags = 0;
	bool any_path = false;
	for (size_t i = 0; l && i < l->n_namespaces; i++) {
		const struct oci_namespace *ns = &l->namespaces[i];
		if (ns->path) {
			any_path = true;
			continue;
		}
		/* The cgroup namespace is unshared by the init once it is inside its cgroup. */
		if (ns->type == OCI_NS_CGROUP)
			continue;
		flags |= ns_clone_flag(ns->type);
	}
	c->userns_new = (flags & CLONE_NEWUSER) != 0;
	/* clone() cannot make a time namespace, and joining by path must happen before the pid ns. */
	c->two_step = any_path || (flags & CLONE_NEWTIME);
	c->clone_flags = flags;
}

static int load_bundle(struct create_ctx *c, struct capsa_error **err)
{
	const char *bundle = c->opts->bundle ? c->opts->bundle : ".";
	char buf[PATH_MAX];
	if (realpath(bundle, buf) == NULL)
		return capsa_error_errno(err, "bundle %s", bundle);
	c->bundle = xstrdup(buf);
	_cleanup_free_ char *cfgpath = xasprintf("%s/config.json", c->bundle);
	if (capsa_oci_config_parse_file(cfgpath, &c->config, err) < 0)
		return -1;
	if (validate_config(c, err) < 0)
		return -1;
	const char *root = c->config->root->path;
	_cleanup_free_ char *rootfs = root[0] == '/' ? xstrdup(root) : xasprintf("%s/%s", c->bundle, root);
	if (realpath(rootfs, buf) == NULL)
		return capsa_error_errno(err, "config.json: root.path %s", rootfs);
	struct stat st;
	if (stat(buf, &st) < 0 || !S_ISDIR(st.st_mode))
		return capsa_error_set(err, ENOTDIR, "config.json: root.path %s: not a directory", buf);
	c->rootfs = xstrdup(buf);
	plan_namespaces(c);
	return 0;
}

/* Made here, as the runtime's user, and inherited by the init, which may be an unprivileged user
 * namespace root that cannot write the state dir. */
static int listen_start_socket(struct create_ctx *c, struct capsa_error **err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	/* Through the state dir fd: the root's path may be longer than sun_path allows. */
	snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s", c->dir.dir_fd, START_SOCKET);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return capsa_error_errno(err, "socket");
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 1) < 0) {
		int e = errno;
		close(fd);
		return capsa_error_set(err, e, "start socket");
	}
	return fd;
}

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* The kernel's struct clone_args up to .cgroup (CLONE_ARGS_SIZE_VER2, Linux 5.7). */
struct clone_args_v2 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
		set_tid_size, cgroup;
};

/*
 * fork semantics (no new stack): the child returns here on a copy of our memory. It is born in its v2
 * cgroup (clone3 CLONE_INTO_CGROUP, as crun does; on a hybrid host the v2 tree's): a move by cgroup.procs
 * would take the kernel's global cgroup_threadgroup_rwsem for writing, which after a quiet spell first
 * waits for an RCU grace period (8-20 ms). Kernels before 5.7 do not know the flag: the child then
 * moves itself there too (capsa_cgroup_enter_self).
 */
pid_t runtime_clone_into(unsigned long flags, int cgroup_fd, bool *born_in_cgroup)
{
	*born_in_cgroup = false;
	if (cgroup_fd >= 0) {
		struct clone_args_v2 a = {.flags = (flags & ~0xffUL) | CLONE_INTO_CGROUP,
					  .exit_signal = flags & 0xff,
					  .cgroup = (uint64_t)cgroup_fd};
		pid_t pid = (pid_t)syscall(SYS_clone3, &a, sizeof(a));
		if (pid >= 0) {
			*born_in_cgroup = true;
			return pid;
		}
		if (errno != ENOSYS && errno != E2BIG && errno != EINVAL)
			return -1;
	}
	return (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
}

static int spawn_init(struct create_ctx *c, struct capsa_error **err)
{
	c->start_listen_fd = listen_start_socket(c, err);
	if (c->start_listen_fd < 0)
		return -1;
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return capsa_error_errno(err, "socketpair");
	c->sync_parent = sp[0];
	c->sync_child = sp[1];
	unsigned long flags = SIGCHLD | (c->two_step ? 0 : (unsigned long)c->clone_flags);
	/* The init joins its cgroup itself (runtime/init.c), through files opened here with our creds. */
	if (capsa_cgroup_enter_self_prepare(c->cgroup, err) < 0)
		return -1;
	pid_t pid = runtime_clone_into(flags, capsa_cgroup_v2_fd(c->cgroup), &c->born_in_cgroup);
	int e = errno;
	if (pid != 0)
		capsa_cgroup_enter_self_close(c->cgroup);
	if (pid < 0)
		return capsa_error_set(err, e, "clone the container init%s",
				       e == EINVAL || e == EPERM ? " (namespaces not supported?)" : "");
	if (pid == 0)
		container_init(c);
	c->child_pid = pid;
	close(c->start_listen_fd);
	c->start_listen_fd = -1;
	close(c->sync_child);
	c->sync_child = -1;
	return 0;
}

/*
 * The device rules the container gets: the config's (usually "deny all"
 * first), then the nodes every container needs and the ones linux.devices
 * creates, like runc does. mknod itself ('m') is allowed for any node: a node
 * without a read/write rule is useless.
 */
static int apply_resources(struct create_ctx *c, struct capsa_error **err)
{
	const struct oci_linux *l = c->config->linux_;
	struct oci_resources res = *l->resources;
	if (res.n_devices == 0)
		return capsa_cgroup_apply(c->cgroup, &res, err);
	static const struct {
		char type;
		int64_t major, minor; /* -1: any */
		const char *access;
	} defaults[] = {
		{'c', -1, -1, "m"}, {'b', -1, -1, "m"}, {'c', 1, 3, "rwm"},    {'c', 1, 5, "rwm"},
		{'c', 1, 7, "rwm"}, {'c', 1, 8, "rwm"}, {'c', 1, 9, "rwm"},    {'c', 5, 0, "rwm"},
		{'c', 5, 1, "rwm"}, {'c', 5, 2, "rwm"}, {'c', 136, -1, "rwm"},
	};
	size_t n = l->resources->n_devices + ARRAY_SIZE(defaults) + l->n_devices;
	_cleanup_free_ struct oci_device_rule *rules = xcalloc(n, sizeof(*rules));
	size_t k = 0;
	for (size_t i = 0; i < l->resources->n_devices; i++)
		rules[k++] = l->resources->devices[i];
	for (size_t i = 0; i < ARRAY_SIZE(defaults); i++, k++) {
		rules[k] = (struct oci_device_rule){
			.allow = true, .type = defaults[i].type, .access = (char *)defaults[i].access};
		rules[k].major = (struct oci_opt_i64){defaults[i].major >= 0, defaults[i].major};
		rules[k].minor = (struct oci_opt_i64){defaults[i].minor >= 0, defaults[i].minor};
	}
	for (size_t i = 0; i < l->n_devices; i++, k++) {
		const struct oci_device *d = &l->devices[i];
		rules[k] = (struct oci_device_rule){
			.allow = true, .type = d->type == 'b' ? 'b' : 'c', .access = (char *)"rwm"};
		rules[k].major = (struct oci_opt_i64){true, d->major};
		rules[k].minor = (struct oci_opt_i64){true, d->minor};
	}
	res.devices = rules;
	res.n_devices = k;
	return capsa_cgroup_apply(c->cgroup, &res, err);
}

/* A step failed while the init may have failed on its own (and gone, which made the step fail): its
 * reason, when it sent one, says more than ours. Always -1. */
static int child_error(int fd, struct capsa_error **err)
{
	struct sync_msg m;
	ssize_t n;
	do {
		n = recv(fd, &m, sizeof(m), MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	struct capsa_error *theirs = NULL;
	if (n > 0 && sync_recv_decode(&m, (size_t)n, &theirs) < 0) {
		capsa_error_free(*err);
		*err = theirs;
	}
	return -1;
}

static int answer_init(struct create_ctx *c, struct capsa_error **err)
{
	int fd = c->sync_parent;
	const struct oci_config *cfg = c->config;
	if (c->userns_new) {
		int32_t who;
		if (sync_recv(fd, SYNC_USERMAP_REQ, &who, err) < 0)
			return -1;
		if (write_id_maps(c->child_pid, cfg->linux_, err) < 0 ||
		    sync_send(fd, SYNC_USERMAP_ACK, 0, err) < 0)
			return -1;
	}
	if (c->two_step) {
		int32_t pid;
		if (sync_recv(fd, SYNC_INIT_PID, &pid, err) < 0)
			return -1;
		c->init_pid = pid;
		waitpid(c->child_pid, NULL, 0);
		c->child_pid = 0;
	} else {
		c->init_pid = c->child_pid;
	}
	/* Recorded with the final state: until then a crash is cleaned up through the cgroup. */
	c->state->pid = c->init_pid;
	c->state->init_start_time = capsa_proc_start_time(c->init_pid);
	/*
	 * The init goes on at once and sets up its rootfs while we apply the limits; it joins its cgroup
	 * itself once they are on (SYNC_CGROUP), so it is never in its cgroup without them (a device rule
	 * written half-way would refuse its mknod), and before its cgroup namespace, any hook and the exec.
	 */
	if (sync_send(fd, SYNC_GO, c->init_pid, err) < 0)
		return child_error(fd, err);
	if (cfg->linux_ && cfg->linux_->resources && apply_resources(c, err) < 0)
		return -1;
	if (sync_send(fd, SYNC_CGROUP, 0, err) < 0)
		return child_error(fd, err);
	if (cfg->hooks.n_prestart || cfg->hooks.n_create_runtime) {
		if (sync_recv(fd, SYNC_HOOKS_REQ, NULL, err) < 0)
			return -1;
		_cleanup_free_ char *st = state_json_for_hooks(c->state);
		if (hooks_run(cfg->hooks.prestart, cfg->hooks.n_prestart, "prestart", st, err) < 0 ||
		    hooks_run(cfg->hooks.create_runtime, cfg->hooks.n_create_runtime, "createRuntime", st,
			      err) < 0)
			return -1;
		if (sync_send(fd, SYNC_HOOKS_ACK, 0, err) < 0)
			return -1;
	}
	if (sync_recv(fd, SYNC_READY, NULL, err) < 0)
		return -1;
	return 0;
}

char *state_json_for_hooks(const struct oci_state *s)
{
	return capsa_oci_state_to_json(s, false);
}

static int write_pid_file(const char *path, pid_t pid, struct capsa_error **err)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
	if (capsa_write_file_atomic_at(AT_FDCWD, path, buf, (size_t)n, 0644, err) < 0)
		return capsa_error_prefix(err, "pid file");
	return 0;
}

void container_destroy(struct container_dir *d, struct oci_state *s, struct capsa_cgroup *cg)
{
	struct capsa_error *e = NULL;
	if (s && s->pid > 0 && process_alive(s->pid, s->init_start_time))
		kill(s->pid, SIGKILL);
	if (cg) {
		/* Killing needs a freeze on v1; skip it when nothing is left (the common case). */
		pid_t *pids = NULL;
		size_t n = 1;
		if (capsa_cgroup_pids(cg, &pids, &n, &e) < 0)
			capsa_error_clear(&e);
		free(pids);
		if ((n > 0 && capsa_cgroup_kill_all(cg, SIGKILL, &e) < 0) ||
		    capsa_cgroup_destroy(cg, &e) < 0) {
			_cleanup_free_ char *t = capsa_error_text(e);
			capsa_warn("%s: %s", d->id, t);
			capsa_error_clear(&e);
		}
	}
	if (state_dir_remove(d, &e) < 0) {
		_cleanup_free_ char *t = capsa_error_text(e);
		capsa_warn("%s", t);
		capsa_error_free(e);
	}
}

int container_create(struct create_ctx *c, struct capsa_error **err)
{
	const struct capsa_create_opts *o = c->opts;
	if (capsa_container_id_validate(o->id, err) < 0)
		return -1;
	if (o->preserve_fds < 0)
		return capsa_error_set(err, EINVAL, "--preserve-fds must not be negative");
	if (load_bundle(c, err) < 0)
		return -1;
	if (o->console_socket && (c->console_fd = console_socket_connect(o->console_socket, err)) < 0)
		return -1;
	if (o->has_console_fd && (c->console_fd = fcntl(o->console_fd, F_DUPFD_CLOEXEC, 3)) < 0)
		return capsa_error_errno(err, "console fd");
	if (c->proxy_terminal && c->config->process->terminal) {
		int sp[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
			return capsa_error_errno(err, "socketpair");
		c->console_peer = sp[0];
		c->console_fd = sp[1];
	}
	const struct oci_seccomp *sc = c->config->linux_ ? c->config->linux_->seccomp : NULL;
	if (sc) {
		if (capsa_seccomp_prepare_cached(sc, c->rt->root, &c->seccomp, err) < 0)
			return capsa_error_prefix(err, "create %s: config.json: linux.seccomp", o->id);
		if (capsa_seccomp_has_notify(c->seccomp) &&
		    (c->seccomp_listener = capsa_seccomp_listener_connect(sc->listener_path, err)) < 0)
			return capsa_error_prefix(err, "create %s", o->id);
	}
	if (state_dir_create(c->rt, o->id, &c->dir, err) < 0)
		return -1;

	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	c->state = xzalloc(sizeof(*c->state));
	c->state->oci_version = xstrdup(CAPSA_OCI_VERSION);
	c->state->id = xstrdup(o->id);
	c->state->status = xstrdup("creating");
	c->state->bundle = xstrdup(c->bundle);
	c->state->rootfs = xstrdup(c->rootfs);
	c->state->created = capsa_time_rfc3339(&now);
	c->state->annotations = xcalloc(c->config->n_annotations + 1, sizeof(struct oci_kv));
	for (size_t i = 0; i < c->config->n_annotations; i++) {
		c->state->annotations[i].key = xstrdup(c->config->annotations[i].key);
		c->state->annotations[i].value = xstrdup(c->config->annotations[i].value);
	}
	c->state->n_annotations = c->config->n_annotations;

	/* Keep the config: delete needs its poststop hooks even if the bundle is gone. */
	_cleanup_free_ char *cfgjson = capsa_oci_config_to_json(c->config);
	int ret = capsa_write_file_atomic_at(c->dir.dir_fd, CONFIG_COPY, cfgjson, strlen(cfgjson), 0600, err);
	if (ret == 0)
		ret = capsa_cgroup_create(c->config->linux_ ? c->config->linux_->cgroups_path : NULL, o->id,
					  &c->cgroup, err);
	if (ret == 0) {
		c->state->cgroup_path = xstrdup(capsa_cgroup_path(c->cgroup));
		ret = state_write(&c->dir, c->state, err);
	}
	if (ret == 0 && c->subreaper)
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (ret == 0)
		ret = spawn_init(c, err);
	if (ret == 0)
		ret = answer_init(c, err);
	if (ret == 0) {
		free(c->state->status);
		c->state->status = xstrdup("created");
		ret = state_write(&c->dir, c->state, err);
	}
	if (ret == 0 && o->pid_file)
		ret = write_pid_file(o->pid_file, c->init_pid, err);
	if (ret < 0) {
		if (c->child_pid > 0) {
			kill(c->child_pid, SIGKILL);
			waitpid(c->child_pid, NULL, 0);
		}
		container_destroy(&c->dir, c->state, c->cgroup);
		if (c->init_pid > 0 && c->subreaper)
			waitpid(c->init_pid, NULL, 0);
		return capsa_error_prefix(err, "create %s", o->id);
	}
	return 0;
}

int capsa_container_create(const struct capsa_runtime *rt, const struct capsa_create_opts *o, pid_t *pid,
			   struct capsa_error **err)
{
	struct create_ctx c;
	create_ctx_init(&c, rt, o);
	int r = container_create(&c, err);
	if (r == 0 && pid)
		*pid = c.init_pid;
	create_ctx_free(&c);
	return r;
}
