/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * exec: a new process in a running container. The runtime joins the
 * container's pid (and time) namespace for its children only, forks, puts
 * the child into the container's cgroup, and the child joins the other
 * namespaces in one setns() on a pidfd, which is atomic and immune to pid
 * reuse. Then the same steps as the init: terminal, limits, identity,
 * capabilities, no_new_privs, seccomp, exec. Failures come back over the
 * sync socket; its close-on-exec EOF means the exec succeeded.
 */
#define _GNU_SOURCE
#include "runtime/internal.h"
#include "runtime/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

struct exec_ctx {
	const struct capsa_exec_opts *o;
	struct oci_config *config;   /* the container's, as saved at create */
	struct oci_process *process; /* what runs */
	struct capsa_seccomp *seccomp;
	int pidfd;
	int child_ns_flags; /* joined by the child */
	int sync_parent, sync_child;
	int console_fd;
	int console_peer;	   /* our end when we proxy the terminal ourselves */
	struct container_dir *dir; /* locked: the child drops its copy at once */
	int cgroup_fd;		   /* the container's v2 cgroup, where the child is born; else -1 */
	struct capsa_cgroup *cg;   /* the container's cgroup, which the child joins itself; or NULL */
	bool born;		   /* the child was born in its v2 cgroup (set in the child too) */
};

static int env_set(char ***env, size_t *n, const char *kv, struct capsa_error **err)
{
	const char *eq = strchr(kv, '=');
	if (eq == NULL || eq == kv)
		return capsa_error_set(err, EINVAL, "--env %s: expected KEY=VALUE", kv);
	size_t kl = (size_t)(eq - kv) + 1;
	for (size_t i = 0; i < *n; i++) {
		if (strncmp((*env)[i], kv, kl) == 0) {
			free((*env)[i]);
			(*env)[i] = xstrdup(kv);
			return 0;
		}
	}
	capsa_strv_push(env, kv);
	(*n)++;
	return 0;
}

static void add_cap(char ***set, size_t *n, const char *cap)
{
	if (capsa_strv_contains(*set, cap))
		return;
	capsa_strv_push(set, cap);
	(*n)++;
}

static int parse_user(const char *s, struct oci_user *u, struct capsa_error **err)
{
	_cleanup_free_ char *copy = xstrdup(s);
	char *colon = strchr(copy, ':');
	if (colon)
		*colon++ = '\0';
	uint64_t uid, gid;
	if (capsa_parse_u64(copy, &uid) < 0 || uid > UINT32_MAX - 1 ||
	    (colon && (capsa_parse_u64(colon, &gid) < 0 || gid > UINT32_MAX - 1)))
		return capsa_error_set(err, EINVAL, "--user %s: expected UID[:GID] as numbers", s);
	u->uid = (uint32_t)uid;
	if (colon)
		u->gid = (uint32_t)gid;
	return 0;
}

/* The process to run: the --process file, or the container's process with the command-line overrides. */
static int build_process(struct exec_ctx *x, struct capsa_error **err)
{
	const struct capsa_exec_opts *o = x->o;
	if (o->process_file) {
		_cleanup_free_ char *json = NULL;
		size_t len;
		if (capsa_read_file_at(AT_FDCWD, o->process_file, 1 << 20, &json, &len, err) < 0)
			return capsa_error_prefix(err, "--process");
		return capsa_oci_process_parse(json, len, o->process_file, &x->process, err);
	}
	if (o->n_args == 0)
		return capsa_error_set(err, EINVAL, "exec: no command given");
	if (x->config->process == NULL)
		return capsa_error_set(err, EINVAL, "the container's config has no process");
	struct oci_process *p = TAKE_PTR(x->config->process);
	x->process = p;
	capsa_strv_free(p->args);
	p->args = capsa_strv_dup(o->args, o->n_args);
	p->n_args = o->n_args;
	for (size_t i = 0; i < o->n_env; i++)
		if (env_set(&p->env, &p->n_env, o->env[i], err) < 0)
			return -1;
	if (o->tty >= 0)
		p->terminal = o->tty;
	p->has_console_size = false;
	if (o->user && parse_user(o->user, &p->user, err) < 0)
		return -1;
	if (o->n_additional_gids) {
		free(p->user.additional_gids);
		p->user.additional_gids = xcalloc(o->n_additional_gids, sizeof(uint32_t));
		memcpy(p->user.additional_gids, o->additional_gids, o->n_additional_gids * sizeof(uint32_t));
		p->user.n_additional_gids = o->n_additional_gids;
	}
	if (o->cwd) {
		if (o->cwd[0] != '/')
			return capsa_error_set(err, EINVAL, "--cwd %s: must be an absolute path", o->cwd);
		free(p->cwd);
		p->cwd = xstrdup(o->cwd);
	}
	if (o->n_caps) {
		if (p->capabilities == NULL)
			p->capabilities = xzalloc(sizeof(*p->capabilities));
		struct oci_capabilities *c = p->capabilities;
		for (size_t i = 0; i < o->n_caps; i++) {
			add_cap(&c->bounding, &c->n_bounding, o->caps[i]);
			add_cap(&c->effective, &c->n_effective, o->caps[i]);
			add_cap(&c->permitted, &c->n_permitted, o->caps[i]);
			add_cap(&c->inheritable, &c->n_inheritable, o->caps[i]);
			add_cap(&c->ambient, &c->n_ambient, o->caps[i]);
		}
	}
	if (o->no_new_privs)
		p->no_new_privileges = true;
	if (o->apparmor) {
		free(p->apparmor_profile);
		p->apparmor_profile = xstrdup(o->apparmor);
	}
	if (o->process_label) {
		free(p->selinux_label);
		p->selinux_label = xstrdup(o->process_label);
	}
	return 0;
}

static int validate(struct exec_ctx *x, struct capsa_error **err)
{
	const struct oci_process *p = x->process;
	if (p->n_args == 0)
		return capsa_error_set(err, EINVAL, "process.args: must be a non-empty array");
	if (caps_validate(p->capabilities, err) < 0)
		return -1;
	if (p->apparmor_profile && *p->apparmor_profile && access("/sys/kernel/security/apparmor", F_OK) < 0)
		return capsa_error_set(err, ENOTSUP,
				       "AppArmor profile %s: AppArmor is not enabled on this host",
				       p->apparmor_profile);
	if (p->selinux_label && *p->selinux_label && access("/sys/fs/selinux/enforce", F_OK) < 0)
		return capsa_error_set(err, ENOTSUP, "SELinux label %s: SELinux is not enabled on this host",
				       p->selinux_label);
	if (p->terminal && x->o->console_socket == NULL && !x->o->has_console_fd && x->o->detach)
		return capsa_error_set(err, EINVAL, "a terminal needs --console-socket when detached");
	if (!p->terminal && (x->o->console_socket || x->o->has_console_fd))
		return capsa_error_set(err, EINVAL, "--console-socket given but the process has no terminal");
	return 0;
}

static int seccomp_apply(struct exec_ctx *x, struct capsa_error **err)
{
	int nfd = -1;
	if (capsa_seccomp_load(x->seccomp, &nfd, err) < 0)
		return -1;
	/* A notify listener gets the fd of the container's init only; an exec'd process shares its
	 * filter semantics but has no listener of its own (as runc). */
	if (nfd >= 0)
		close(nfd);
	return 0;
}

static int exec_child_setup(struct exec_ctx *x, char **exe, struct capsa_error **err)
{
	const struct oci_process *p = x->process;
	if (sync_recv(x->sync_child, SYNC_GO, NULL, err) < 0)
		return -1;
	/* With the host's view of cgroups, before any namespace: see capsa_cgroup_enter_self. */
	if (x->cg && capsa_cgroup_enter_self(x->cg, !x->born, err) < 0)
		return -1;
	if (x->child_ns_flags && setns(x->pidfd, x->child_ns_flags) < 0)
		return capsa_error_errno(err, "join the container's namespaces");
	if (x->child_ns_flags & CLONE_NEWUSER) {
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			return capsa_error_errno(err, "become root in the container's user namespace");
	}
	if (p->terminal) {
		if (setsid() < 0)
			return capsa_error_errno(err, "setsid");
		if (console_setup(x->console_fd, p, err) < 0)
			return -1;
		close(x->console_fd);
	}
	if (process_set_rlimits(p, err) < 0 || process_set_io_priority(p, err) < 0 ||
	    process_set_scheduler(p, err) < 0)
		return -1;
	if (x->seccomp && !p->no_new_privileges && seccomp_apply(x, err) < 0)
		return -1;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return capsa_error_errno(err, "keep capabilities");
	if (caps_apply_bounding(p->capabilities, err) < 0)
		return -1;
	const char *cwd = p->cwd ? p->cwd : "/";
	int cwd_err = chdir(cwd) < 0 ? errno : 0;
	if (process_set_user(p, (x->child_ns_flags & CLONE_NEWUSER) != 0, err) < 0)
		return -1;
	if (cwd_err && chdir(cwd) < 0)
		return capsa_error_errno(err, "chdir to cwd %s", cwd);
	char buf[4096];
	if (getcwd(buf, sizeof(buf)) == NULL || buf[0] != '/')
		return capsa_error_set(err, EPERM, "cwd %s is outside the container's root filesystem", cwd);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 || caps_apply(p->capabilities, err) < 0)
		return capsa_error_errno(err, "capabilities");
	if (process_find_executable(p, exe, err) < 0)
		return -1;
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return capsa_error_errno(err, "set no_new_privs");
	if (capsa_cloexec_from(3 + x->o->preserve_fds) < 0)
		return capsa_error_errno(err, "mark fds close-on-exec");
	if (x->seccomp && p->no_new_privileges && seccomp_apply(x, err) < 0)
		return -1;
	return 0;
}

static void __attribute__((noreturn)) exec_child(struct exec_ctx *x)
{
	struct capsa_error *err = NULL;
	_cleanup_free_ char *exe = NULL;
	close(x->sync_parent);
	/* The lock is shared with the parent through this copied fd: a child that freezes as it
	 * enters a paused container must not keep the container locked. */
	close(x->dir->dir_fd);
	close(x->dir->root_fd);
	process_reset_signals();
	if (exec_child_setup(x, &exe, &err) == 0) {
		execve(exe, x->process->args, x->process->env ? x->process->env : (char *[]){NULL});
		capsa_error_errno(&err, "exec: \"%s\"", x->process->args[0]);
	}
	sync_send_error(x->sync_child, err);
	_exit(127);
}

static void __attribute__((noreturn)) exec_intermediate(struct exec_ctx *x, int flags)
{
	struct capsa_error *err = NULL;
	if (setns(x->pidfd, flags) < 0) {
		capsa_error_errno(&err, "join the container's pid namespace");
		sync_send_error(x->sync_child, err);
		_exit(1);
	}
	pid_t pid = runtime_clone_into(CLONE_PARENT | SIGCHLD, x->cgroup_fd, &x->born);
	if (pid == 0)
		exec_child(x);
	if (pid < 0) {
		capsa_error_errno(&err, "fork into the container's pid namespace");
		sync_send_error(x->sync_child, err);
		_exit(1);
	}
	_exit(sync_send(x->sync_child, SYNC_INIT_PID, pid, &err) < 0 ? 1 : 0);
}

static void exec_ctx_free(struct exec_ctx *x)
{
	capsa_oci_config_free(x->config);
	capsa_oci_process_free(x->process);
	capsa_seccomp_free(x->seccomp);
	int fds[] = {x->pidfd, x->sync_parent, x->sync_child, x->console_fd, x->console_peer};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

int capsa_container_exec(const struct capsa_runtime *rt, const struct capsa_exec_opts *o, int *exit_code,
			 struct capsa_error **err)
{
	struct exec_ctx x = {.o = o,
			     .pidfd = -1,
			     .sync_parent = -1,
			     .sync_child = -1,
			     .console_fd = -1,
			     .console_peer = -1,
			     .cgroup_fd = -1};
	struct opened c;
	*exit_code = 0;
	if (o->preserve_fds < 0)
		return capsa_error_set(err, EINVAL, "--preserve-fds must not be negative");
	if (open_container(rt, o->id, &c, err) < 0)
		return -1;
	int ret = -1;
	pid_t child = -1;
	int master = -1;
	sigset_t mask, old;
	bool blocked = false;
	struct capsa_cgroup *cg = NULL;
	x.dir = &c.dir;
	const char *st = c.state->status;
	if (strcmp(st, "paused") == 0 && !o->ignore_paused) {
		capsa_error_set(err, 0, "cannot exec in a paused container (use --ignore-paused)");
		goto out;
	}
	if (strcmp(st, "running") != 0 && strcmp(st, "created") != 0 && strcmp(st, "paused") != 0) {
		capsa_error_set(err, 0, "cannot exec in a %s container", st);
		goto out;
	}
	x.config = saved_config(&c.dir);
	if (x.config == NULL) {
		capsa_error_set(err, 0, "the saved config of the container is unreadable");
		goto out;
	}
	if (build_process(&x, err) < 0 || validate(&x, err) < 0)
		goto out;
	if (x.config->linux_ && x.config->linux_->seccomp &&
	    capsa_seccomp_prepare_cached(x.config->linux_->seccomp, rt->root, &x.seccomp, err) < 0)
		goto out;
	x.pidfd = (int)syscall(SYS_pidfd_open, c.state->pid, 0);
	if (x.pidfd < 0) {
		capsa_error_errno(err, "open the container's init (pid %d)", (int)c.state->pid);
		goto out;
	}
	/* The pid could have been reused between the state check and pidfd_open: check again. */
	if (!process_alive(c.state->pid, c.state->init_start_time)) {
		capsa_error_set(err, ESRCH, "the container's process exited");
		goto out;
	}
	int parent_flags = 0;
	for (size_t i = 0; x.config->linux_ && i < x.config->linux_->n_namespaces; i++) {
		int f = ns_clone_flag(x.config->linux_->namespaces[i].type);
		if (f == CLONE_NEWPID || f == CLONE_NEWTIME)
			parent_flags |= f;
		else
			x.child_ns_flags |= f;
	}
	if (o->console_socket && (x.console_fd = console_socket_connect(o->console_socket, err)) < 0)
		goto out;
	if (o->has_console_fd && (x.console_fd = fcntl(o->console_fd, F_DUPFD_CLOEXEC, 3)) < 0) {
		capsa_error_errno(err, "console fd");
		goto out;
	}
	if (x.process->terminal && x.console_fd < 0) {
		/* In the foreground with nobody to hand the terminal to: we proxy it. */
		int sp[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
			capsa_error_errno(err, "socketpair");
			goto out;
		}
		x.console_peer = sp[0];
		x.console_fd = sp[1];
	}
	int sq[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sq) < 0) {
		capsa_error_errno(err, "socketpair");
		goto out;
	}
	x.sync_parent = sq[0];
	x.sync_child = sq[1];
	cg = open_cgroup(c.state);
	x.cgroup_fd = cg ? capsa_cgroup_v2_fd(cg) : -1;
	if (cg && capsa_cgroup_enter_self_prepare(cg, err) < 0)
		goto out;
	x.cg = cg;
	foreground_signals(&mask);
	if (!o->detach) {
		sigprocmask(SIG_BLOCK, &mask, &old);
		blocked = true;
	}
	/* Without an intermediate, the child is born in its v2 cgroup where it can be. */
	child = parent_flags ? fork() : runtime_clone_into(SIGCHLD, x.cgroup_fd, &x.born);
	if (child != 0 && cg)
		capsa_cgroup_enter_self_close(cg);
	if (child < 0) {
		capsa_error_errno(err, "fork");
		goto out;
	}
	if (child == 0) {
		if (parent_flags)
			exec_intermediate(&x, parent_flags);
		exec_child(&x);
	}
	if (parent_flags) {
		/* The intermediate joined the pid (and time) namespace, which only its children enter,
		 * and cloned our child with CLONE_PARENT; we stay outside, so our later forks do too. */
		int32_t pid;
		pid_t mid = child;
		int mst = 0;
		/* It sends the pid (or why not) and exits at once. Waited for first: one killed before it
		 * sent anything must end this exec, not leave it waiting on a socket its child may hold. */
		while (waitpid(mid, &mst, 0) < 0 && errno == EINTR)
			;
		struct pollfd pf = {.fd = x.sync_parent, .events = POLLIN};
		if (poll(&pf, 1, 0) != 1) {
			child = -1;
			capsa_error_set(err, 0, "join the container's namespaces: the helper process %s",
					WIFSIGNALED(mst) ? strsignal(WTERMSIG(mst))
							 : "exited without a word");
			goto out;
		}
		int r = sync_recv(x.sync_parent, SYNC_INIT_PID, &pid, err);
		child = r < 0 ? -1 : pid;
		if (r < 0)
			goto out;
	}
	close(x.sync_child);
	x.sync_child = -1;
	if (x.console_peer >= 0) {
		close(x.console_fd);
		x.console_fd = -1;
	}
	if (sync_send(x.sync_parent, SYNC_GO, 0, err) < 0)
		goto out;
	/* EOF: the exec happened (the socket is close-on-exec); a message: why it did not. In a
	 * paused container the child froze as it entered the cgroup: it goes on when resumed. */
	if (strcmp(c.state->status, "paused") != 0) {
		struct sync_msg m;
		ssize_t n;
		do {
			n = recv(x.sync_parent, &m, sizeof(m), 0);
		} while (n < 0 && errno == EINTR);
		if (n > 0 && sync_recv_decode(&m, (size_t)n, err) < 0)
			goto out;
	}
	if (x.console_peer >= 0 && recv_fd(x.console_peer, &master, err) < 0)
		goto out;
	if (o->pid_file) {
		char buf[32];
		int len = snprintf(buf, sizeof(buf), "%d", (int)child);
		if (capsa_write_file_atomic_at(AT_FDCWD, o->pid_file, buf, (size_t)len, 0644, err) < 0)
			goto out;
	}
	/* Done with the container's state: let others (more execs, delete) proceed while we wait. */
	opened_free(&c);
	c.state = NULL;
	ret = 0;
	if (!o->detach) {
		if (foreground_wait(child, master, &mask, exit_code) < 0)
			ret = capsa_error_errno(err, "wait for the exec'd process");
		child = -1;
	} else {
		child = -1;
	}
out:
	if (ret < 0 && child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	if (blocked)
		sigprocmask(SIG_SETMASK, &old, NULL);
	if (master >= 0)
		close(master);
	capsa_cgroup_free(cg);
	exec_ctx_free(&x);
	if (c.state)
		opened_free(&c);
	if (ret < 0)
		capsa_error_prefix(err, "exec in %s", o->id);
	return ret;
}
