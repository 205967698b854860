/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The monitor: one process per running container, outliving the `capsa` command that made it (like
 * conmon). It creates the container in the runtime with its stdio on pipes (or a pty), writes the
 * json-file log, serves attach/start/stop/kill on containers/<id>/attach, reaps the init (it is the
 * subreaper), records how the container ended, and runs --rm and restart policies. Everything is one
 * epoll loop over fds: signalfd for SIGCHLD, timerfds for --timeout and the stop grace period.
 */
#define _GNU_SOURCE
#include "engine/internal.h"
#include "engine/monitor/mon.h"
#include "cgroups/cgroups.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

struct client {
	int fd;
	uint32_t flags;
	struct client *next;
};

struct stream {
	int fd; /* read end (or the pty master for stdout) */
	const char *name;
	enum frame_type frame;
	char partial[16384];
	size_t n_partial;
};

/*
 * How long this process keeps a container it started before the small program takes over. One that
 * ends within it is finished here: neither the small program's exec nor its hand-back of the end to
 * `capsa __monitor-exit` or the attached CLI (about 1 ms of a 12 ms `run --rm IMAGE true`, measured
 * with bench/run.sh). One that runs on gets the monitor of under 1 MiB a moment later.
 */
#define HANDOFF_NS (100 * 1000000LL)

struct monitor {
	struct capsa_engine *e;
	struct capsa_ctr *c;
	int dirfd, epfd, sfd, listen_fd, log_fd;
	int64_t log_size;
	struct stream out, err;
	int in_fd;  /* where stdin goes: the pipe's write end or the pty master */
	int master; /* the pty master, -1 without a tty */
	int timeout_tfd, kill_tfd, restart_tfd;
	int handoff_tfd; /* fires when the small program is to take over a running container */
	int vm_start;	 /* a micro-VM's go (engine/vm.c), -1 otherwise */
	pid_t init;
	bool running, stop_requested, start_failed;
	bool ports_pending; /* made by a create: its start takes the host ports (spawn_container) */
	int start_code;
	struct timespec started_mono;
	struct capsa_cgroup *cg;
	struct client *clients;
	char buf[FRAME_MAX];
};

static void warn_error(struct capsa_error **e, const char *what)
{
	_cleanup_free_ char *t = capsa_error_text(*e);
	capsa_warn("monitor %.12s: %s: %s", "", what, t);
	capsa_error_clear(e);
}

/* A monitor with nothing open yet (every fd -1), for the engine e. */
static void monitor_init(struct monitor *m, struct capsa_engine *e)
{
	*m = (struct monitor){.e = e,
			      .dirfd = -1,
			      .log_fd = -1,
			      .in_fd = -1,
			      .master = -1,
			      .listen_fd = -1,
			      .vm_start = -1,
			      .timeout_tfd = -1,
			      .kill_tfd = -1,
			      .restart_tfd = -1,
			      .handoff_tfd = -1};
	m->out = (struct stream){.fd = -1, .name = "stdout", .frame = FRAME_STDOUT};
	m->err = (struct stream){.fd = -1, .name = "stderr", .frame = FRAME_STDERR};
}

static void save_state(struct monitor *m)
{
	struct capsa_error *e = NULL;
	/* Before anyone can see it exited: a stopped container holds no host port, as in docker. */
	if (m->c->status == CAPSA_CTR_EXITED)
		engine_network_release_ports(m->e, m->c);
	if (ctr_write_state(m->dirfd, m->c, &e) < 0)
		warn_error(&e, "write the state");
}

static char *now_rfc3339(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return capsa_time_rfc3339(&ts);
}

/* ---- log ----------------------------------------------------------------------------------------- */

static void log_rotate(struct monitor *m)
{
	_cleanup_free_ char *name = ctr_log_name(m->c->id);
	int keep = m->c->log_max_file > 1 ? m->c->log_max_file : 1;
	for (int i = keep - 1; i >= 1; i--) {
		_cleanup_free_ char *from = i == 1 ? xstrdup(name) : xasprintf("%s.%d", name, i - 1);
		_cleanup_free_ char *to = xasprintf("%s.%d", name, i);
		renameat(m->dirfd, from, m->dirfd, to);
	}
	if (keep == 1)
		unlinkat(m->dirfd, name, 0);
	close(m->log_fd);
	m->log_fd = openat(m->dirfd, name, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
			   0640);
	m->log_size = 0;
}

static void log_write(struct monitor *m, const char *stream, const char *data, size_t len)
{
	if (m->log_fd < 0)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	_cleanup_free_ char *line = capsa_log_line(stream, data, len, &ts);
	size_t n = strlen(line);
	if (m->c->log_max_size > 0 && m->log_size > 0 && m->log_size + (int64_t)n > m->c->log_max_size)
		log_rotate(m);
	if (m->log_fd >= 0 && capsa_write_all(m->log_fd, line, n) == (ssize_t)n)
		m->log_size += (int64_t)n;
}

/* Whole lines go to the log as they come; a partial line waits for its end (or a full buffer). */
static void log_data(struct monitor *m, struct stream *s, const char *data, size_t len, bool flush)
{
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) + 1 : len;
		if (s->n_partial + take > sizeof(s->partial)) {
			log_write(m, s->name, s->partial, s->n_partial);
			s->n_partial = 0;
			if (take > sizeof(s->partial)) {
				log_write(m, s->name, data, take);
				data += take;
				len -= take;
				continue;
			}
		}
		memcpy(s->partial + s->n_partial, data, take);
		s->n_partial += take;
		if (nl) {
			log_write(m, s->name, s->partial, s->n_partial);
			s->n_partial = 0;
		}
		data += take;
		len -= take;
	}
	if (flush && s->n_partial) {
		log_write(m, s->name, s->partial, s->n_partial);
		s->n_partial = 0;
	}
}

/* ---- clients ------------------------------------------------------------------------------------- */

static void client_drop(struct monitor *m, struct client *cl)
{
	for (struct client **p = &m->clients; *p; p = &(*p)->next) {
		if (*p == cl) {
			*p = cl->next;
			break;
		}
	}
	epoll_ctl(m->epfd, EPOLL_CTL_DEL, cl->fd, NULL);
	close(cl->fd);
	free(cl);
}

static void broadcast(struct monitor *m, enum frame_type t, const char *data, size_t len)
{
	uint32_t want = t == FRAME_STDOUT ? HELLO_STDOUT : HELLO_STDERR;
	for (struct client *cl = m->clients, *next; cl; cl = next) {
		next = cl->next;
		if ((cl->flags & want) && frame_send(cl->fd, t, data, len) < 0)
			client_drop(m, cl);
	}
}

static void pump(struct monitor *m, struct stream *s)
{
	for (;;) {
		ssize_t n = read(s->fd, m->buf, sizeof(m->buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* EOF, or EIO on a pty master whose last slave closed. */
			if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
				log_data(m, s, NULL, 0, true);
				epoll_ctl(m->epfd, EPOLL_CTL_DEL, s->fd, NULL);
				if (s->fd != m->master)
					close(s->fd);
				s->fd = -1;
			}
			return;
		}
		log_data(m, s, m->buf, (size_t)n, false);
		broadcast(m, s->frame, m->buf, (size_t)n);
		if ((size_t)n < sizeof(m->buf))
			return;
	}
}

/* ---- the container ------------------------------------------------------------------------------- */

static int recv_fd(int sock, int *fd)
{
	char b[256];
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = b, .iov_len = sizeof(b)};
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	ssize_t r;
	do {
		r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	} while (r < 0 && errno == EINTR);
	struct cmsghdr *c = r > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
	if (c == NULL || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	memcpy(fd, CMSG_DATA(c), sizeof(int));
	return 0;
}

static void watch(struct monitor *m, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
	epoll_ctl(m->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* A micro-VM: its host process is the container's process, with its stdio (pipes, or a pty with -t) as a
 * container's. */
static int spawn_vm(struct monitor *m, bool ports, struct capsa_error **err)
{
	struct engine_vm_stdio io;
	if (engine_vm_spawn(m->e, m->c, ports, &io, &m->init, &m->vm_start, err) < 0)
		return -1;
	m->ports_pending = !ports;
	m->out.fd = io.out;
	m->err.fd = io.err;
	m->in_fd = io.in;
	m->master = io.master;
	watch(m, m->out.fd);
	if (m->err.fd >= 0)
		watch(m, m->err.fd);
	m->c->pid = m->init;
	m->start_failed = false;
	return 0;
}

/* The container's process gets sig: through the runtime, or straight to a micro-VM's host process (our
 * child, not reaped while running: its pid cannot be reused). */
static int signal_init(struct monitor *m, int sig, bool all, struct capsa_error **err)
{
	if (m->c->vm == NULL)
		return capsa_container_kill(&m->e->rt, m->c->id, sig, all, err);
	if (m->init > 0 && kill(m->init, sig) < 0)
		return capsa_error_errno(err, "kill the VM of %.12s", m->c->id);
	return 0;
}

/* Creates the container in the runtime with fresh stdio. With ports, the host ports too: a start follows
 * (a run, a start of a stopped container, a restart); a `create` leaves them to its start. */
static int spawn_container(struct monitor *m, bool ports, struct capsa_error **err)
{
	if (m->c->vm)
		return spawn_vm(m, ports, err);
	/* Declared first: the gotos to out below must not jump over its initialisation. */
	_cleanup_oci_state_ struct oci_state *st = NULL;
	struct capsa_ctr *c = m->c;
	_cleanup_free_ char *bundle = xasprintf("%s/containers/%s/%s", m->e->root, c->id, BUNDLE_DIR);
	struct capsa_create_opts o = {.id = c->id, .bundle = bundle};
	int in[2] = {-1, -1}, out[2] = {-1, -1}, errp[2] = {-1, -1}, sp[2] = {-1, -1};
	int ret = -1;
	/* Left over by a monitor that was killed: the runtime must forget it before it is made again. */
	struct capsa_error *e2 = NULL;
	if (capsa_container_delete(&m->e->rt, c->id, true, &e2) < 0)
		capsa_error_free(e2);
	if (engine_network_ensure(m->e, c, ports, err) < 0)
		return -1;
	m->ports_pending = !ports;
	if (c->tty) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
			return capsa_error_errno(err, "socketpair");
		o.has_console_fd = true;
		o.console_fd = sp[1];
	} else {
		if ((c->open_stdin && pipe2(in, O_CLOEXEC) < 0) || pipe2(out, O_CLOEXEC) < 0 ||
		    pipe2(errp, O_CLOEXEC) < 0) {
			capsa_error_errno(err, "pipe");
			goto out;
		}
		/* The init is a clone of this process: it gets whatever 0, 1 and 2 are now. */
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		dup2(c->open_stdin ? in[0] : null, 0);
		dup2(out[1], 1);
		dup2(errp[1], 2);
		close(null);
	}
	ret = capsa_container_create(&m->e->rt, &o, &m->init, err);
	if (!c->tty) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		close(null);
	}
	if (ret < 0)
		goto out;
	if (c->tty) {
		close(sp[1]);
		sp[1] = -1;
		if (recv_fd(sp[0], &m->master) < 0) {
			ret = capsa_error_set(err, EPROTO, "receive the terminal");
			goto out;
		}
		fcntl(m->master, F_SETFL, O_NONBLOCK | O_RDWR);
		m->out.fd = m->master;
		m->in_fd = c->open_stdin ? m->master : -1;
		m->err.fd = -1;
	} else {
		m->out.fd = TAKE_FD(out[0]);
		m->err.fd = TAKE_FD(errp[0]);
		fcntl(m->out.fd, F_SETFL, O_NONBLOCK);
		fcntl(m->err.fd, F_SETFL, O_NONBLOCK);
		m->in_fd = c->open_stdin ? TAKE_FD(in[1]) : -1;
	}
	watch(m, m->out.fd);
	if (m->err.fd >= 0)
		watch(m, m->err.fd);
	capsa_cgroup_free(m->cg);
	m->cg = NULL;
	if (capsa_container_state(&m->e->rt, c->id, &st, &e2) < 0 ||
	    (st->cgroup_path && capsa_cgroup_open(st->cgroup_path, &m->cg, &e2) < 0))
		capsa_error_free(e2);
	c->pid = m->init;
	m->start_failed = false;
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (errp[i] >= 0)
			close(errp[i]);
		if (sp[i] >= 0)
			close(sp[i]);
	}
	return ret;
}

static void arm(int tfd, int64_t ns)
{
	struct itimerspec its = {.it_value = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000}};
	if (ns > 0 && its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
		its.it_value.tv_nsec = 1;
	timerfd_settime(tfd, 0, &its, NULL);
}

static int start_container(struct monitor *m, struct capsa_error **err)
{
	/* The wall time counts from before the start: it holds the whole of the process's run. */
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* A created container's host ports, as docker takes them: at the start. One taken by someone else
	 * fails the start and leaves the container created, to be started again later. */
	if (m->ports_pending && engine_network_ensure(m->e, m->c, true, err) < 0) {
		m->start_code = 125;
		free(m->c->error);
		m->c->error = capsa_error_text(*err);
		return -1;
	}
	if (m->c->vm && (m->vm_start < 0 || write(m->vm_start, "g", 1) != 1)) {
		capsa_error_errno(err, "start the VM of %.12s", m->c->id);
		m->start_failed = true;
		m->start_code = 125;
		free(m->c->error);
		m->c->error = capsa_error_text(*err);
		return -1;
	}
	if (m->c->vm) {
		close(m->vm_start);
		m->vm_start = -1;
	} else if (capsa_container_start(&m->e->rt, m->c->id, err) < 0) {
		m->start_failed = true;
		m->start_code = exec_error_code(*err);
		free(m->c->error);
		m->c->error = capsa_error_text(*err);
		return -1;
	}
	m->ports_pending = false;
	m->running = true;
	m->c->status = CAPSA_CTR_RUNNING;
	/* What a refused start said is over, as docker's State.Error. */
	free(m->c->error);
	m->c->error = NULL;
	free(m->c->started_at);
	m->c->started_at = now_rfc3339();
	free(m->c->finished_at);
	m->c->finished_at = NULL;
	m->c->exit_code = 0;
	m->started_mono = t0;
	save_state(m);
	if (m->c->timeout_ns > 0)
		arm(m->timeout_tfd, m->c->timeout_ns);
	return 0;
}

static void stop_container(struct monitor *m, int timeout)
{
	m->stop_requested = true;
	if (!m->running)
		return;
	struct capsa_error *e = NULL;
	if (signal_init(m, m->c->stop_signal ? m->c->stop_signal : SIGTERM, false, &e) < 0)
		capsa_error_free(e);
	/* A zero timeout still goes through the timer (0 would disarm it). */
	arm(m->kill_tfd, timeout <= 0 ? 1 : (int64_t)timeout * 1000000000LL);
}

/*
 * The pids controller's high-water mark (pids.peak, v1 and v2 alike on kernels since 6.1): -1 where the
 * kernel has none. Sampling pids.current instead would be polling, which the monitor never does.
 */
static int64_t peak_pids(const char *cgroup_path)
{
	if (cgroup_path == NULL)
		return -1;
	static const char *const roots[] = {"/sys/fs/cgroup/pids", "/sys/fs/cgroup"};
	for (size_t i = 0; i < ARRAY_SIZE(roots); i++) {
		_cleanup_free_ char *path = xasprintf("%s/%s/pids.peak", roots[i], cgroup_path);
		_cleanup_free_ char *text = NULL;
		size_t len = 0;
		uint64_t v;
		struct capsa_error *e = NULL;
		if (capsa_read_file_at(AT_FDCWD, path, 64, &text, &len, &e) < 0) {
			capsa_error_free(e);
			continue;
		}
		text[strcspn(text, "\n")] = '\0';
		if (capsa_parse_u64(text, &v) == 0 && v <= INT64_MAX)
			return (int64_t)v;
	}
	return -1;
}

static void write_stats_file(struct monitor *m, const struct capsa_cgroup_stats *st, bool have, int64_t peak,
			     int64_t wall_ns)
{
	double wall = (double)wall_ns / 1e9;
	_cleanup_free_ char *peak_s = peak >= 0 ? xasprintf("%lld", (long long)peak) : xstrdup("null");
	_cleanup_free_ char *json = NULL;
	if (have)
		json = xasprintf("{\"id\":\"%s\",\"exit_code\":%d,\"oom_killed\":%s,\"timed_out\":%s,"
				 "\"wall_time_s\":%.6f,\"cpu_user_s\":%.6f,\"cpu_system_s\":%.6f,"
				 "\"peak_memory_bytes\":%llu,\"peak_pids\":%s,\"pids_current\":%llu,"
				 "\"read_bytes\":%llu,\"write_bytes\":%llu}\n",
				 m->c->id, m->c->exit_code, m->c->oom_killed ? "true" : "false",
				 m->c->timed_out ? "true" : "false", wall, st->cpu_user_ns / 1e9,
				 st->cpu_system_ns / 1e9, (unsigned long long)st->mem_max_usage, peak_s,
				 (unsigned long long)st->pids_current, (unsigned long long)st->io_read_bytes,
				 (unsigned long long)st->io_write_bytes);
	else
		json = xasprintf("{\"id\":\"%s\",\"exit_code\":%d,\"oom_killed\":%s,\"timed_out\":%s,"
				 "\"wall_time_s\":%.6f}\n",
				 m->c->id, m->c->exit_code, m->c->oom_killed ? "true" : "false",
				 m->c->timed_out ? "true" : "false", wall);
	struct capsa_error *e = NULL;
	if (capsa_write_file_atomic_at(AT_FDCWD, m->c->stats_file, json, strlen(json), 0644, &e) < 0)
		warn_error(&e, "write the stats file");
}

static bool should_restart(struct monitor *m)
{
	struct capsa_ctr *c = m->c;
	if (m->stop_requested || m->start_failed)
		return false;
	switch (c->restart) {
	case CAPSA_RESTART_ALWAYS:
	case CAPSA_RESTART_UNLESS_STOPPED:
		return true;
	case CAPSA_RESTART_ON_FAILURE:
		return c->exit_code != 0 && (c->restart_max == 0 || c->restart_count < c->restart_max);
	default:
		return false;
	}
}

static void send_exit(struct monitor *m)
{
	char payload[5];
	int32_t code = m->c->exit_code;
	memcpy(payload, &code, 4);
	payload[4] = m->c->timed_out;
	for (struct client *cl = m->clients, *next; cl; cl = next) {
		next = cl->next;
		if (cl->flags & HELLO_WAIT)
			frame_send(cl->fd, FRAME_EXIT, payload, sizeof(payload));
		client_drop(m, cl);
	}
}

static void remove_container(struct monitor *m)
{
	struct capsa_error *e = NULL;
	_cleanup_close_ int lock = engine_lock(m->e, &e);
	if (lock < 0) {
		warn_error(&e, "lock");
		return;
	}
	/* ctr_destroy kills a live monitor first: that would be us. */
	m->c->monitor_pid = 0;
	if (ctr_destroy(m->e, m->c, &e) < 0)
		warn_error(&e, "remove");
}

/*
 * Records how the container ended (exit code and timed_out already in m->c): the OOM flag and statistics
 * from its cgroup, the runtime's state deleted, the stats summary, then restart, remove or leave. Returns
 * true when the restart policy wants it again (its state says restarting).
 */
static bool finish(struct monitor *m, int64_t wall_ns)
{
	struct capsa_ctr *c = m->c;
	struct capsa_cgroup_stats st = {0};
	bool have = false;
	struct capsa_error *e = NULL;
	int64_t peak = -1;
	if (c->vm && m->cg == NULL && engine_vm_cgroup_open(m->e, c, &m->cg, &e) < 0)
		capsa_error_clear(&e);
	if (!c->vm && (m->cg == NULL || c->stats_file)) {
		_cleanup_oci_state_ struct oci_state *os = NULL;
		if (capsa_container_state(&m->e->rt, c->id, &os, &e) < 0) {
			capsa_error_clear(&e);
		} else {
			if (m->cg == NULL && os->cgroup_path &&
			    capsa_cgroup_open(os->cgroup_path, &m->cg, &e) < 0)
				capsa_error_clear(&e);
			if (c->stats_file)
				peak = peak_pids(os->cgroup_path);
		}
	}
	if (m->cg) {
		uint64_t kills = 0;
		if (capsa_cgroup_oom_kills(m->cg, &kills, &e) < 0)
			capsa_error_clear(&e);
		c->oom_killed = kills > 0;
		/* The full statistics only when someone asked for the summary. */
		have = c->stats_file && capsa_cgroup_stats(m->cg, &st, &e) == 0;
		capsa_error_clear(&e);
	}
	if (c->vm)
		engine_vm_cleanup(m->e, c);
	else if (capsa_container_delete(&m->e->rt, c->id, true, &e) < 0)
		capsa_error_clear(&e);
	c->pid = 0;
	free(c->finished_at);
	c->finished_at = now_rfc3339();
	c->status = CAPSA_CTR_EXITED;
	if (c->stats_file)
		write_stats_file(m, &st, have, peak, wall_ns);
	if (should_restart(m)) {
		c->status = CAPSA_CTR_RESTARTING;
		save_state(m);
		return true;
	}
	save_state(m);
	if (c->auto_remove)
		remove_container(m);
	return false;
}

/* The init is gone: collect everything, then restart, remove or leave. Returns true to keep running. */
static bool container_exited(struct monitor *m, int status)
{
	struct capsa_ctr *c = m->c;
	while (m->out.fd >= 0)
		pump(m, &m->out);
	while (m->err.fd >= 0)
		pump(m, &m->err);
	if (m->master >= 0) {
		close(m->master);
		m->master = -1;
	}
	if (m->in_fd >= 0) {
		close(m->in_fd);
		m->in_fd = -1;
	}
	m->running = false;
	arm(m->timeout_tfd, 0);
	arm(m->kill_tfd, 0);
	if (m->start_failed)
		c->exit_code = m->start_code;
	else if (WIFEXITED(status))
		c->exit_code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		c->exit_code = 128 + WTERMSIG(status);
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t wall = (now.tv_sec - m->started_mono.tv_sec) * 1000000000LL +
		       (now.tv_nsec - m->started_mono.tv_nsec);
	bool again = finish(m, wall);
	send_exit(m);
	if (again) {
		int64_t delay = 100000000LL << (c->restart_count < 7 ? c->restart_count : 7);
		arm(m->restart_tfd, delay);
	}
	return again;
}

/* ---- the small monitor --------------------------------------------------------------------------- */

char *engine_helper_path(const char *name)
{
	/* Sealed, /proc/self/exe is a memfd: the command line still names the binary it was made from. */
	_cleanup_free_ char *exe = NULL;
	if (!capsa_exe_is_sealed()) {
		exe = realpath("/proc/self/exe", NULL);
	} else {
		_cleanup_free_ char *cmdline = NULL;
		size_t len = 0;
		struct capsa_error *e = NULL;
		if (capsa_read_file_at(AT_FDCWD, "/proc/self/cmdline", 1 << 16, &cmdline, &len, &e) < 0) {
			capsa_error_free(e);
			return NULL;
		}
		if (len == 0)
			return NULL;
		if (strchr(cmdline, '/')) {
			exe = realpath(cmdline, NULL);
		} else {
			const char *path = getenv("PATH");
			_cleanup_free_ char *dup = xstrdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
			char *save = NULL;
			for (char *d = strtok_r(dup, ":", &save); d && exe == NULL;
			     d = strtok_r(NULL, ":", &save)) {
				_cleanup_free_ char *cand = xasprintf("%s/%s", d, cmdline);
				if (access(cand, X_OK) == 0)
					exe = realpath(cand, NULL);
			}
		}
	}
	if (exe == NULL)
		return NULL;
	char *slash = strrchr(exe, '/');
	if (slash == NULL)
		return NULL;
	*slash = '\0';
	char *p = xasprintf("%s/%s", exe, name);
	if (access(p, X_OK) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

/* What runs the monitor's library half: capsa-monitor-full when installed (it starts in a third of capsa's
 * time), else capsa itself; both take `--root ROOT __monitor-* ...`. */
static char *monitor_full_path(void)
{
	char *p = engine_helper_path(MONITOR_FULL_PROGRAM);
	return p ? p : engine_helper_path("capsa");
}

static char *arg(const char *k, long long v)
{
	return xasprintf("%s=%lld", k, v);
}

/*
 * The container runs: the rest of the monitor's life is the small program's, in this same process (it
 * keeps the pid, the init as its child, the subreaper flag and the blocked signals). Returns only when
 * the program cannot be executed; the full monitor then carries on.
 */
static void become_small(struct monitor *m, bool created)
{
	struct capsa_ctr *c = m->c;
	/* How long the container has run: its --timeout goes on from there, and its wall time too. */
	int64_t ran = 0;
	if (!created) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		ran = (now.tv_sec - m->started_mono.tv_sec) * 1000000000LL +
		      (now.tv_nsec - m->started_mono.tv_nsec);
		if (ran < 0)
			ran = 0;
	}
	int64_t timeout = c->timeout_ns;
	if (timeout > 0)
		timeout = timeout > ran ? timeout - ran : 1;
	_cleanup_free_ char *prog = engine_helper_path(MONITOR_PROGRAM);
	_cleanup_free_ char *capsa = monitor_full_path();
	if (prog == NULL || capsa == NULL) {
		capsa_warn("monitor %.12s: no %s next to capsa: the full monitor stays", c->id,
			   MONITOR_PROGRAM);
		return;
	}
	char *argv[64 + MON_MAX_CLIENTS] = {0};
	size_t n = 0;
	argv[n++] = xstrdup(MONITOR_PROGRAM);
	argv[n++] = xasprintf("id=%s", c->id);
	argv[n++] = xasprintf("root=%s", m->e->root);
	argv[n++] = xasprintf("capsa=%s", capsa);
	argv[n++] = arg("pid", m->init);
	argv[n++] = arg("dir", m->dirfd);
	argv[n++] = arg("listen", m->listen_fd);
	argv[n++] = arg("out", m->out.fd);
	if (m->err.fd >= 0)
		argv[n++] = arg("err", m->err.fd);
	if (m->in_fd >= 0)
		argv[n++] = arg("in", m->in_fd);
	if (m->master >= 0)
		argv[n++] = arg("master", m->master);
	if (m->log_fd >= 0) {
		argv[n++] = arg("log", m->log_fd);
		_cleanup_free_ char *name = ctr_log_name(c->id);
		argv[n++] = xasprintf("log-name=%s", name);
	}
	argv[n++] = arg("log-max-size", c->log_max_size);
	argv[n++] = arg("log-max-file", c->log_max_file);
	argv[n++] = arg("timeout-ns", timeout);
	argv[n++] = arg("running-ns", ran);
	argv[n++] = arg("stop-timeout", c->stop_timeout);
	argv[n++] = arg("stop-signal", c->stop_signal ? c->stop_signal : SIGTERM);
	argv[n++] = arg("restart-count", c->restart_count);
	argv[n++] = arg("created", created);
	argv[n++] = arg("monitor-start", (long long)c->monitor_start);
	if (c->started_at)
		argv[n++] = xasprintf("started-at=%s", c->started_at);
	/* Held open: a capsa installed over this one while the container runs still finishes it as it was. */
	_cleanup_close_ int capsa_fd = open(capsa, O_PATH | O_CLOEXEC);
	if (capsa_fd >= 0)
		argv[n++] = arg("capsa-fd", capsa_fd);
	int pass[8 + MON_MAX_CLIENTS];
	size_t np = 0;
	int fds[] = {m->dirfd, m->listen_fd, m->out.fd, m->err.fd, m->in_fd, m->master, m->log_fd, capsa_fd};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			pass[np++] = fds[i];
	size_t nc = 0;
	for (struct client *cl = m->clients; cl && nc < MON_MAX_CLIENTS; cl = cl->next, nc++) {
		argv[n++] = xasprintf("client=%d:%u", cl->fd, cl->flags);
		pass[np++] = cl->fd;
	}
	/* A line the container has not ended yet is logged as it is: the small program starts afresh. */
	log_data(m, &m->out, NULL, 0, true);
	log_data(m, &m->err, NULL, 0, true);
	for (size_t i = 0; i < np; i++)
		fcntl(pass[i], F_SETFD, 0);
	execv(prog, argv);
	int saved = errno;
	for (size_t i = 0; i < np; i++)
		fcntl(pass[i], F_SETFD, FD_CLOEXEC);
	capsa_warn("monitor %.12s: execute %s: %s", c->id, prog, strerror(saved));
	for (size_t i = 0; i < n; i++)
		free(argv[i]);
}

/* ---- requests ------------------------------------------------------------------------------------ */

static void reply_error(int fd, int code, const char *msg)
{
	size_t len = strlen(msg);
	if (len > FRAME_MAX - 4)
		len = FRAME_MAX - 4;
	char *p = xmalloc(len + 4);
	int32_t c = code;
	memcpy(p, &c, 4);
	memcpy(p + 4, msg, len);
	frame_send(fd, FRAME_ERROR, p, len + 4);
	free(p);
}

/* Executes path from a sealed memfd copy, as capsa_ensure_sealed_exe does for the running binary. Returns
 * only on failure. */
static void exec_sealed(const char *path, char **argv)
{
	_cleanup_close_ int src = open(path, O_RDONLY | O_CLOEXEC);
	struct capsa_error *err = NULL;
	_cleanup_close_ int mfd = src < 0 ? -1 : capsa_sealed_copy(src, MONITOR_FULL_PROGRAM, &err);
	if (mfd < 0) {
		/* The caller reports errno. */
		int e = err ? err->errnum : errno;
		capsa_error_free(err);
		errno = e ? e : EIO;
		return;
	}
	fexecve(mfd, argv, environ);
}

int monitor_wait_go(int sync_fd)
{
	char b;
	ssize_t n;
	do {
		n = read(sync_fd, &b, 1);
	} while (n < 0 && errno == EINTR);
	return n == 1 && (b == MONITOR_GO_CREATE || b == MONITOR_GO_START) ? b : -1;
}

void monitor_exec_create(struct capsa_engine *e, const char *id, int sync_fd)
{
	_cleanup_free_ char *prog = monitor_full_path();
	_cleanup_free_ char *fd = xasprintf("%d", sync_fd);
	char *argv[] = {prog, "--root", e->root, MONITOR_CREATE_CMD, (char *)id, fd, NULL};
	if (prog != NULL) {
		fcntl(sync_fd, F_SETFD, 0);
		exec_sealed(prog, argv);
	}
	_cleanup_free_ char *msg = xasprintf("start the monitor of %.12s: execute a sealed %s: %s", id,
					     prog ? prog : "capsa", prog ? strerror(errno) : "not found");
	reply_error(sync_fd, 125, msg);
	_exit(1);
}

static void handle_frame(struct monitor *m, struct client *cl, const struct frame_hdr *h, const char *data)
{
	int32_t v = 0;
	if (h->len >= 4)
		memcpy(&v, data, 4);
	switch (h->type) {
	case FRAME_HELLO:
		cl->flags = (uint32_t)v;
		break;
	case FRAME_STDIN:
		if (m->in_fd >= 0 && capsa_write_all(m->in_fd, data, h->len) < 0 && m->in_fd != m->master) {
			close(m->in_fd);
			m->in_fd = -1;
		}
		break;
	case FRAME_STDIN_EOF:
		if (m->in_fd >= 0 && m->in_fd != m->master) {
			close(m->in_fd);
			m->in_fd = -1;
		}
		break;
	case FRAME_RESIZE:
		if (m->master >= 0 && h->len >= 4) {
			uint16_t rc[2];
			memcpy(rc, data, 4);
			struct winsize ws = {.ws_row = rc[0], .ws_col = rc[1]};
			ioctl(m->master, TIOCSWINSZ, &ws);
		}
		break;
	case FRAME_START: {
		if (m->running || m->c->status != CAPSA_CTR_CREATED) {
			reply_error(cl->fd, 125, "the container is already started");
			break;
		}
		struct capsa_error *e = NULL;
		if (start_container(m, &e) < 0) {
			_cleanup_free_ char *t = capsa_error_text(e);
			reply_error(cl->fd, m->start_code, t);
			capsa_error_free(e);
			break;
		}
		int32_t pid = m->init;
		frame_send(cl->fd, FRAME_STARTED, &pid, 4);
		arm(m->handoff_tfd, HANDOFF_NS);
		break;
	}
	case FRAME_STOP:
		stop_container(m, v < 0 ? m->c->stop_timeout : v);
		frame_send(cl->fd, FRAME_OK, NULL, 0);
		break;
	case FRAME_KILL: {
		struct capsa_error *e = NULL;
		if (!m->running) {
			reply_error(cl->fd, 125, "the container is not running");
			break;
		}
		m->stop_requested = true;
		if (signal_init(m, v, false, &e) < 0) {
			_cleanup_free_ char *t = capsa_error_text(e);
			reply_error(cl->fd, 125, t);
			capsa_error_free(e);
			break;
		}
		frame_send(cl->fd, FRAME_OK, NULL, 0);
		break;
	}
	default:
		break;
	}
}

static void client_readable(struct monitor *m, struct client *cl)
{
	struct frame_hdr h;
	int r = frame_recv(cl->fd, &h, m->buf);
	if (r <= 0) {
		/* An attached stdin that goes away ends the container's stdin, as docker's StdinOnce. */
		if ((cl->flags & HELLO_STDIN) && m->in_fd >= 0 && m->in_fd != m->master) {
			close(m->in_fd);
			m->in_fd = -1;
		}
		client_drop(m, cl);
		return;
	}
	handle_frame(m, cl, &h, m->buf);
}

static void accept_client(struct monitor *m)
{
	int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	struct client *cl = xzalloc(sizeof(*cl));
	cl->fd = fd;
	cl->next = m->clients;
	m->clients = cl;
	watch(m, fd);
}

static int timer_fired(int tfd)
{
	uint64_t n;
	return read(tfd, &n, sizeof(n)) == sizeof(n);
}

static void loop(struct monitor *m)
{
	struct epoll_event evs[16];
	for (;;) {
		int n = epoll_wait(m->epfd, evs, ARRAY_SIZE(evs), -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == m->sfd) {
				struct signalfd_siginfo si;
				if (read(m->sfd, &si, sizeof(si)) != sizeof(si))
					continue;
				if (si.ssi_signo != SIGCHLD) {
					/* SIGTERM to the monitor stops the container like `capsa stop`. */
					stop_container(m, m->c->stop_timeout);
					continue;
				}
				int status;
				pid_t w;
				while ((w = waitpid(-1, &status, WNOHANG)) > 0) {
					if (w == m->init && m->init > 0) {
						m->init = 0;
						if (!container_exited(m, status))
							return;
					}
				}
			} else if (fd == m->listen_fd) {
				accept_client(m);
			} else if (fd == m->out.fd) {
				pump(m, &m->out);
			} else if (fd == m->err.fd) {
				pump(m, &m->err);
			} else if (fd == m->timeout_tfd) {
				if (timer_fired(fd) && m->running) {
					m->c->timed_out = true;
					stop_container(m, m->c->stop_timeout);
				}
			} else if (fd == m->kill_tfd) {
				struct capsa_error *e = NULL;
				if (timer_fired(fd) && m->running && signal_init(m, SIGKILL, true, &e) < 0)
					capsa_error_free(e);
			} else if (fd == m->restart_tfd) {
				if (!timer_fired(fd))
					continue;
				struct capsa_error *e = NULL;
				m->c->restart_count++;
				if (spawn_container(m, true, &e) < 0 || start_container(m, &e) < 0) {
					warn_error(&e, "restart");
					m->c->status = CAPSA_CTR_EXITED;
					save_state(m);
					return;
				}
				arm(m->handoff_tfd, HANDOFF_NS);
			} else if (fd == m->handoff_tfd) {
				/* Not while a stop is under way: its timer is this process's. */
				if (timer_fired(fd) && m->running && !m->stop_requested)
					become_small(m, false);
			} else {
				for (struct client *cl = m->clients; cl; cl = cl->next) {
					if (cl->fd == fd) {
						client_readable(m, cl);
						break;
					}
				}
			}
		}
	}
}

static int listen_attach(struct monitor *m, struct capsa_error **err)
{
	unlinkat(m->dirfd, ATTACH_SOCKET, 0);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s", m->dirfd, ATTACH_SOCKET);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return capsa_error_errno(err, "socket");
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 16) < 0) {
		int e = errno;
		close(fd);
		return capsa_error_set(err, e, "attach socket");
	}
	return fd;
}

static int setup(struct monitor *m, const char *id, struct capsa_error **err)
{
	m->dirfd = ctr_dir_open(m->e, id, err);
	if (m->dirfd < 0 || ctr_read(m->e, id, &m->c, err) < 0)
		return -1;
	m->c->monitor_pid = getpid();
	m->c->monitor_start = capsa_proc_start_time(getpid());
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	m->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	m->epfd = epoll_create1(EPOLL_CLOEXEC);
	m->timeout_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	m->kill_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	m->restart_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	m->handoff_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (m->sfd < 0 || m->epfd < 0 || m->timeout_tfd < 0 || m->kill_tfd < 0 || m->restart_tfd < 0 ||
	    m->handoff_tfd < 0)
		return capsa_error_errno(err, "monitor setup");
	if ((m->listen_fd = listen_attach(m, err)) < 0)
		return -1;
	if (m->c->log_driver == NULL || strcmp(m->c->log_driver, "none") != 0) {
		_cleanup_free_ char *name = ctr_log_name(id);
		m->log_fd =
			openat(m->dirfd, name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
		if (m->log_fd < 0)
			return capsa_error_errno(err, "open the log %s", name);
		struct stat st;
		if (fstat(m->log_fd, &st) == 0)
			m->log_size = st.st_size;
	}
	int fds[] = {m->sfd, m->listen_fd, m->timeout_tfd, m->kill_tfd, m->restart_tfd, m->handoff_tfd};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		watch(m, fds[i]);
	return 0;
}

void capsa_monitor_main(struct capsa_engine *e, const char *id, int sync_fd, bool start_follows)
{
	struct monitor m;
	monitor_init(&m, e);
	struct capsa_error *err = NULL;
	capsa_log_set_program("capsa-monitor");
	prctl(PR_SET_NAME, "capsa-monitor", 0, 0, 0);
	/* Processes of the container that outlive their parents come to us, not to the host's init. */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (setup(&m, id, &err) < 0 || spawn_container(&m, start_follows, &err) < 0) {
		_cleanup_free_ char *t = capsa_error_text(err);
		reply_error(sync_fd, exec_error_code(err), t);
		if (m.c) {
			m.c->status = CAPSA_CTR_EXITED;
			m.c->exit_code = exec_error_code(err);
			free(m.c->error);
			m.c->error = xstrdup(t);
			m.c->monitor_pid = 0;
			if (m.dirfd >= 0)
				save_state(&m);
		}
		_exit(1);
	}
	m.c->status = CAPSA_CTR_CREATED;
	save_state(&m);
	int32_t pid = m.init;
	frame_send(sync_fd, FRAME_STARTED, &pid, 4);
	close(sync_fd);
	/* Created, waiting for `start` (which may be much later): the small program waits instead, and runs
	 * `__monitor-start` when asked. A micro-VM's start is a pipe this process holds: it stays. So does
	 * the monitor of a run, whose start comes at once: this process starts it, then hands over once
	 * the container has run for HANDOFF_NS (an exec of the full program fewer). */
	if (!m.c->vm && !start_follows)
		become_small(&m, true);
	/* The heap came with the fork of the CLI (parsed image configs, the seccomp profile): give it back.
	 */
	malloc_trim(0);
	loop(&m);
	_exit(0);
}

int capsa_monitor_exit(struct capsa_engine *e, const char *id, int exit_code, bool timed_out,
		       bool stop_requested, int64_t wall_ns, struct capsa_error **err)
{
	struct monitor m;
	monitor_init(&m, e);
	_cleanup_close_ int dirfd = ctr_dir_open(e, id, err);
	if (dirfd < 0 || ctr_read(e, id, &m.c, err) < 0)
		return -1;
	m.dirfd = dirfd;
	m.c->exit_code = exit_code;
	m.c->timed_out = timed_out;
	m.stop_requested = stop_requested;
	bool again = finish(&m, wall_ns);
	capsa_cgroup_free(m.cg);
	capsa_ctr_free(m.c);
	return again ? MONITOR_EXIT_RESTART : 0;
}

void capsa_monitor_restart_main(struct capsa_engine *e, const char *id)
{
	struct monitor m;
	monitor_init(&m, e);
	struct capsa_error *err = NULL;
	capsa_log_set_program("capsa-monitor");
	prctl(PR_SET_NAME, "capsa-monitor", 0, 0, 0);
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (setup(&m, id, &err) < 0) {
		warn_error(&err, "restart");
		_exit(1);
	}
	m.c->restart_count++;
	if (spawn_container(&m, true, &err) < 0 || start_container(&m, &err) < 0) {
		warn_error(&err, "restart");
		m.c->status = CAPSA_CTR_EXITED;
		save_state(&m);
		_exit(1);
	}
	arm(m.handoff_tfd, HANDOFF_NS);
	malloc_trim(0);
	loop(&m);
	_exit(0);
}

/* `__monitor-start ID`, run by the small monitor of a created container: the start as the full monitor
 * does it (runtime start, poststart hooks, the record); the error on stderr, its class as the status. */
static int monitor_start_cmd(struct capsa_engine *e, const char *id)
{
	struct monitor m;
	monitor_init(&m, e);
	struct capsa_error *err = NULL;
	_cleanup_close_ int dirfd = ctr_dir_open(e, id, &err);
	int code = 0;
	if (dirfd < 0 || ctr_read(e, id, &m.c, &err) < 0) {
		code = 125;
	} else {
		m.dirfd = dirfd;
		m.init = m.c->pid;
		/* The small monitor waits only for created containers: made without their ports. */
		m.ports_pending = true;
		if (start_container(&m, &err) < 0) {
			code = m.start_code;
			save_state(&m); /* State.Error */
		}
	}
	if (code) {
		_cleanup_free_ char *t = capsa_error_text(err);
		fprintf(stderr, "%s\n", t);
	}
	capsa_error_free(err);
	capsa_cgroup_free(m.cg);
	capsa_ctr_free(m.c);
	return code;
}

int capsa_monitor_command(const char *root, int argc, char **argv)
{
	_cleanup_error_ struct capsa_error *err = NULL;
	_cleanup_engine_ struct capsa_engine *e = NULL;
	bool exit_cmd = strcmp(argv[0], MONITOR_EXIT_CMD) == 0;
	bool create_cmd = strcmp(argv[0], MONITOR_CREATE_CMD) == 0;
	int64_t v[4];
	if (argc != (exit_cmd ? 6 : create_cmd ? 3 : 2)) {
		capsa_log_error("%s: wrong arguments (run by the monitor, not by people)", argv[0]);
		return 125;
	}
	for (int i = 0; exit_cmd && i < 4; i++) {
		if (capsa_parse_i64(argv[2 + i], &v[i]) < 0) {
			capsa_log_error("%s: \"%s\" is not a number", argv[0], argv[2 + i]);
			return 125;
		}
	}
	if (capsa_engine_open(root, &e, &err) < 0)
		goto fail;
	if (strcmp(argv[0], MONITOR_START_CMD) == 0)
		return monitor_start_cmd(e, argv[1]);
	if (create_cmd) {
		int sync_fd;
		if (capsa_parse_i64(argv[2], &v[0]) < 0 || v[0] < 3 || v[0] > INT32_MAX ||
		    fcntl(sync_fd = (int)v[0], F_SETFD, FD_CLOEXEC) < 0) {
			capsa_log_error("%s: \"%s\" is not an open file descriptor", argv[0], argv[2]);
			return 125;
		}
		/* The init is a clone of this process: never the writable host binary (CVE-2019-5736). */
		if (capsa_engine_seal_self(&err) < 0)
			goto fail;
		/* The create was given up before the container was ready: nothing to do. */
		int go = monitor_wait_go(sync_fd);
		if (go < 0)
			return 0;
		_cleanup_free_ char *logpath = xasprintf("%s/containers/%s/monitor.log", e->root, argv[1]);
		if (capsa_log_init(logpath, CAPSA_LOG_TEXT, capsa_log_level(), &err) < 0)
			capsa_error_clear(&err);
		capsa_monitor_main(e, argv[1], sync_fd, go == MONITOR_GO_START);
	}
	if (!exit_cmd) {
		/* The init is a clone of this process: never the writable host binary (CVE-2019-5736). */
		if (capsa_engine_seal_self(&err) < 0)
			goto fail;
		capsa_monitor_restart_main(e, argv[1]);
	}
	int r = capsa_monitor_exit(e, argv[1], (int)v[0], v[1] != 0, v[2] != 0, v[3], &err);
	if (r >= 0)
		return r;
fail:;
	_cleanup_free_ char *t = capsa_error_text(err);
	capsa_log_error("%s %s: %s", argv[0], argc > 1 ? argv[1] : "", t);
	return 1;
}

bool capsa_monitor_is_command(const char *name)
{
	return strcmp(name, MONITOR_EXIT_CMD) == 0 || strcmp(name, MONITOR_RESTART_CMD) == 0 ||
	       strcmp(name, MONITOR_CREATE_CMD) == 0 || strcmp(name, MONITOR_START_CMD) == 0;
}
