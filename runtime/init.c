/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The container's init, from clone to exec. Every failure travels back to the
 * runtime over the sync socket, so the user sees the real reason. Order
 * matters and follows the runtime spec: namespaces, cgroup (done by the
 * parent), mounts, createRuntime/createContainer hooks, masked paths,
 * pivot_root, console, limits, identity and capabilities, then wait for
 * `start`, startContainer hooks, exec.
 */
#define _GNU_SOURCE
#include "runtime/internal.h"
#include "runtime/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

extern char **environ;

static int become_init(struct create_ctx *c, struct capsa_error **err)
{
	int fd = c->sync_child;
	if (!c->two_step) {
		if (c->userns_new) {
			if (sync_send(fd, SYNC_USERMAP_REQ, getpid(), err) < 0 ||
			    sync_recv(fd, SYNC_USERMAP_ACK, NULL, err) < 0)
				return -1;
		}
		return 0;
	}
	int joined;
	if (ns_join_paths(c->config, &joined, err) < 0)
		return -1;
	int flags = c->clone_flags;
	if (flags && unshare(flags) < 0)
		return capsa_error_errno(err, "unshare namespaces");
	if (c->userns_new) {
		if (sync_send(fd, SYNC_USERMAP_REQ, getpid(), err) < 0 ||
		    sync_recv(fd, SYNC_USERMAP_ACK, NULL, err) < 0)
			return -1;
	}
	if ((flags & CLONE_NEWTIME) && write_time_offsets(c->config->linux_, err) < 0)
		return -1;
	/* New or joined pid and time namespaces apply to children only: the init is our child. */
	pid_t pid = fork();
	if (pid < 0)
		return capsa_error_errno(err, "fork the container init");
	if (pid > 0) {
		struct capsa_error *e = NULL;
		if (sync_send(fd, SYNC_INIT_PID, pid, &e) < 0) {
			kill(pid, SIGKILL);
			_exit(1);
		}
		_exit(0);
	}
	return 0;
}

static int set_hostname(const struct oci_config *c, struct capsa_error **err)
{
	if (c->hostname && *c->hostname && sethostname(c->hostname, strlen(c->hostname)) < 0)
		return capsa_error_errno(err, "sethostname %s", c->hostname);
	if (c->domainname && *c->domainname && setdomainname(c->domainname, strlen(c->domainname)) < 0)
		return capsa_error_errno(err, "setdomainname %s", c->domainname);
	return 0;
}

static char *hook_state(struct create_ctx *c, pid_t host_pid, const char *status)
{
	struct oci_state s = *c->state;
	s.pid = host_pid;
	s.status = (char *)status;
	return capsa_oci_state_to_json(&s, false);
}

static bool needs_runtime_hooks(const struct oci_config *cfg)
{
	return cfg->hooks.n_prestart || cfg->hooks.n_create_runtime;
}

/*
 * Loads the filter and hands the notify fd to the listener. With no_new_privs
 * this is the last step before exec; without it the kernel wants
 * CAP_SYS_ADMIN, so it happens before the capabilities are dropped.
 */
static int seccomp_apply(struct create_ctx *c, struct capsa_error **err)
{
	int nfd = -1;
	if (capsa_seccomp_load(c->seccomp, &nfd, err) < 0)
		return -1;
	if (nfd >= 0) {
		_cleanup_free_ char *st = hook_state(c, c->init_pid, "creating");
		int r = capsa_seccomp_send_notify_fd_sock(c->seccomp_listener, nfd, c->init_pid, st,
							  c->config->linux_->seccomp->listener_metadata, err);
		close(nfd);
		close(c->seccomp_listener);
		c->seccomp_listener = -1;
		if (r < 0)
			return -1;
	}
	return 0;
}

static int set_identity(struct create_ctx *c, struct capsa_error **err)
{
	const struct oci_process *p = c->config->process;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return capsa_error_errno(err, "keep capabilities");
	if (caps_apply_bounding(p->capabilities, err) < 0)
		return -1;
	/* cwd is set only now, after pivot_root, so no host directory can leak in as the cwd
	 * (CVE-2024-21626); first as root, then again as the user if root could not. */
	const char *cwd = p->cwd ? p->cwd : "/";
	int cwd_err = chdir(cwd) < 0 ? errno : 0;
	if (process_set_user(p, c->userns_new || ns_find(c->config, OCI_NS_USER), err) < 0)
		return -1;
	if (cwd_err && chdir(cwd) < 0)
		return capsa_error_errno(err, "chdir to cwd %s", cwd);
	/* A cwd like /proc/self/fd/N could name a directory outside the root; getcwd says so with ENOENT. */
	char buf[4096];
	if (getcwd(buf, sizeof(buf)) == NULL || buf[0] != '/')
		return capsa_error_set(err, EPERM, "cwd %s is outside the container's root filesystem", cwd);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return capsa_error_errno(err, "reset keep capabilities");
	if (caps_apply(p->capabilities, err) < 0)
		return -1;
	return 0;
}

/*
 * Waits until the parent has applied the limits (it does so while we set up the rootfs), joins the
 * cgroup, then makes the cgroup namespace, whose root is thereby the container's cgroup. Once; before
 * anything that must happen inside the cgroup: a cgroup2 mount, hooks, and in any case before the
 * process runs.
 */
static int cgroup_joined(struct create_ctx *c, struct capsa_error **err)
{
	if (c->cgroup_joined)
		return 0;
	if (sync_recv(c->sync_child, SYNC_CGROUP, NULL, err) < 0)
		return -1;
	c->cgroup_joined = true;
	/* The v1 hierarchies (and v2 when clone3 could not put us there) by a thread's own move: it
	 * never waits for the kernel's grace period as a move of another process does. */
	if (capsa_cgroup_enter_self(c->cgroup, !c->born_in_cgroup, err) < 0)
		return -1;
	const struct oci_namespace *cgns = ns_find(c->config, OCI_NS_CGROUP);
	if (cgns && cgns->path == NULL && unshare(CLONE_NEWCGROUP) < 0)
		return capsa_error_errno(err, "unshare cgroup namespace");
	return 0;
}

static int init_main(struct create_ctx *c, int *listen_fd, char **exe, struct capsa_error **err)
{
	const struct oci_config *cfg = c->config;
	const struct oci_process *p = cfg->process;
	int fd = c->sync_child;
	if (!c->two_step)
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (become_init(c, err) < 0)
		return -1;
	int32_t host_pid;
	if (sync_recv(fd, SYNC_GO, &host_pid, err) < 0)
		return -1;
	c->init_pid = host_pid;
	if (c->userns_new || (c->two_step && ns_find(cfg, OCI_NS_USER))) {
		/* Become root of the user namespace so the setup below has its capabilities. */
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			return capsa_error_errno(err, "become root in the user namespace (is 0 mapped?)");
	}
	/* A cgroup2 mount shows the mounter's cgroup namespace: on a unified host the cgroup comes first
	 * (there the init is normally born in it and only waits for the limits). v1 mounts are binds. */
	if (capsa_cgroup_mode() == CAPSA_CGROUP_UNIFIED && cgroup_joined(c, err) < 0)
		return -1;
	if (setsid() < 0)
		return capsa_error_errno(err, "setsid");
	if (ns_find(cfg, OCI_NS_UTS) && set_hostname(cfg, err) < 0)
		return -1;

	struct rootfs_ctx r = {.config = cfg,
			       .rootfs = c->rootfs,
			       .rootfs_fd = -1,
			       .userns = ns_find(cfg, OCI_NS_USER) != NULL,
			       .no_pivot = c->opts->no_pivot,
			       .cgroup = c->cgroup};
	if (rootfs_prepare(&r, err) < 0)
		return capsa_error_prefix(err, "rootfs");
	/* Hooks see the container in its cgroup. */
	if ((needs_runtime_hooks(cfg) || cfg->hooks.n_create_container) && cgroup_joined(c, err) < 0)
		return -1;
	if (needs_runtime_hooks(cfg)) {
		if (sync_send(fd, SYNC_HOOKS_REQ, 0, err) < 0 || sync_recv(fd, SYNC_HOOKS_ACK, NULL, err) < 0)
			return -1;
	}
	if (cfg->hooks.n_create_container) {
		_cleanup_free_ char *st = hook_state(c, host_pid, "creating");
		if (hooks_run(cfg->hooks.create_container, cfg->hooks.n_create_container, "createContainer",
			      st, err) < 0)
			return -1;
	}
	if (p->cwd && strcmp(p->cwd, "/") != 0) {
		/* Like runc and docker: a missing working directory is created (inside the rootfs). */
		int cwd_fd = capsa_mkdir_in_root(r.rootfs_fd, p->cwd, 0755, err);
		if (cwd_fd < 0)
			return capsa_error_prefix(err, "cwd");
		close(cwd_fd);
	}
	if (rootfs_finalize_paths(&r, err) < 0)
		return capsa_error_prefix(err, "rootfs");
	*listen_fd = c->start_listen_fd;
	close(c->dir.dir_fd);
	c->dir.dir_fd = -1;
	if (rootfs_pivot(&r, err) < 0 || rootfs_readonly(&r, err) < 0)
		return capsa_error_prefix(err, "rootfs");
	close(r.rootfs_fd);
	if (cgroup_joined(c, err) < 0)
		return -1;
	if (p->terminal) {
		if (console_setup(c->console_fd, p, err) < 0)
			return -1;
		close(c->console_fd);
	}
	if (process_set_rlimits(p, err) < 0 || process_set_oom_score_adj(p, err) < 0 ||
	    process_set_personality(cfg->linux_, err) < 0 || process_set_io_priority(p, err) < 0 ||
	    process_set_scheduler(p, err) < 0)
		return -1;
	if (!c->opts->no_new_keyring) {
		/* A fresh session keyring, so the container cannot see the host's keys.
		 * KEYCTL_JOIN_SESSION_KEYRING = 1; ENOSYS/EACCES: keyrings unavailable here. */
		_cleanup_free_ char *name = xasprintf("_ses.%s", c->state->id);
		if (syscall(SYS_keyctl, 1, name, 0, 0, 0) < 0 && errno != ENOSYS && errno != EACCES &&
		    errno != EPERM)
			return capsa_error_errno(err, "join a new session keyring");
	}
	if (c->seccomp && !p->no_new_privileges && seccomp_apply(c, err) < 0)
		return -1;
	if (set_identity(c, err) < 0)
		return -1;
	if (process_find_executable(p, exe, err) < 0)
		return -1;
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return capsa_error_errno(err, "set no_new_privs");
	/* No host fd may reach the container: everything past stdio and --preserve-fds closes on exec. */
	if (capsa_cloexec_from(3 + c->opts->preserve_fds) < 0)
		return capsa_error_errno(err, "mark fds close-on-exec");
	return 0;
}

void container_init(struct create_ctx *c)
{
	struct capsa_error *err = NULL;
	int fd = c->sync_child;
	int listen_fd = -1;
	_cleanup_free_ char *exe = NULL;
	const struct oci_config *cfg = c->config;
	close(c->sync_parent);
	process_reset_signals();
	if (init_main(c, &listen_fd, &exe, &err) < 0) {
		sync_send_error(fd, err);
		_exit(1);
	}
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	if (sync_send(fd, SYNC_READY, 0, &err) < 0)
		_exit(1);
	close(fd);

	/* Wait for `start`. Its connection tells it how the exec went: EOF on success (close-on-exec). */
	int conn;
	for (;;) {
		conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (conn >= 0)
			break;
		if (errno != EINTR)
			_exit(1);
	}
	close(listen_fd);
	char cmd;
	ssize_t n;
	do {
		n = read(conn, &cmd, 1);
	} while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(1);
	if (cfg->hooks.n_start_container) {
		pid_t host_pid = c->init_pid;
		_cleanup_free_ char *st = hook_state(c, host_pid, "running");
		if (hooks_run(cfg->hooks.start_container, cfg->hooks.n_start_container, "startContainer", st,
			      &err) < 0)
			goto fail;
	}
	if (c->seccomp && cfg->process->no_new_privileges && seccomp_apply(c, &err) < 0)
		goto fail;
	execve(exe, cfg->process->args, cfg->process->env ? cfg->process->env : (char *[]){NULL});
	capsa_error_errno(&err, "exec: \"%s\"", cfg->process->args[0]);
fail:;
	_cleanup_free_ char *text = capsa_error_text(err);
	(void)capsa_write_all(conn, text, strlen(text));
	_exit(127);
}
