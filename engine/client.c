/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The CLI's side of the monitor: start, attach (terminal, stdin, signals), stop, kill, wait, pause. */
#define _GNU_SOURCE
#include "engine/internal.h"
#include "cgroups/cgroups.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <termios.h>

static bool active(const struct capsa_ctr *c)
{
	return c->status == CAPSA_CTR_RUNNING || c->status == CAPSA_CTR_PAUSED ||
	       c->status == CAPSA_CTR_RESTARTING;
}

/* *finishing is set (and no error) when the monitor no longer listens: it is recording the end or
 * has just exited (the caller read the record while it was still there). */
static int connect_ctr(struct capsa_engine *e, const struct capsa_ctr *c, bool *finishing,
		       struct capsa_error **err)
{
	_cleanup_close_ int dfd = ctr_dir_open(e, c->id, err);
	if (dfd < 0)
		return -1;
	int fd = monitor_connect(dfd);
	if (fd < 0) {
		int saved = errno;
		if (finishing && (saved == ECONNREFUSED || saved == ENOENT)) {
			*finishing = true;
			return -1;
		}
		errno = saved;
		return capsa_error_errno(err, "connect to the monitor of %.12s", c->id);
	}
	return fd;
}

/* Waits until the monitor process that c names has exited (pidfd, no polling loop). */
static void wait_monitor_gone(const struct capsa_ctr *c)
{
	_cleanup_close_ int pfd = (int)syscall(SYS_pidfd_open, c->monitor_pid, 0);
	/* The pid may have been reused before pidfd_open: the start time tells. */
	if (pfd < 0 || !monitor_alive(c))
		return;
	struct pollfd p = {.fd = pfd, .events = POLLIN};
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
}

/* The exit code when the monitor hung up without telling: what it recorded. */
static int recorded_exit(struct capsa_engine *e, const struct capsa_ctr *c, int *code,
			 struct capsa_error **err)
{
	_cleanup_ctr_ struct capsa_ctr *now = NULL;
	if (ctr_read(e, c->id, &now, err) < 0)
		return capsa_error_prefix(err, "the monitor of %.12s went away", c->id);
	if (now->status == CAPSA_CTR_RUNNING && monitor_alive(now)) {
		/* It hung up to record the end (or had stopped listening for that): the record follows. */
		wait_monitor_gone(now);
		capsa_ctr_free(now);
		now = NULL;
		if (ctr_read(e, c->id, &now, err) < 0)
			return capsa_error_prefix(err, "the monitor of %.12s went away", c->id);
	}
	if (now->status == CAPSA_CTR_RUNNING && !monitor_alive(now))
		return capsa_error_set(err, 0, "the monitor of %.12s died; the container is left running",
				       c->id);
	*code = now->exit_code;
	return 0;
}

struct session {
	struct capsa_engine *e;
	const char *id;
	int sock, in_fd, out_fd, err_fd;
	bool tty, stdin_open, detached, got_exit, finishing;
	int exit_code;
	const char *keys;
	size_t key_pos;
	char buf[FRAME_MAX + 1];
};

static void send_resize(struct session *s)
{
	struct winsize ws;
	if (ioctl(s->in_fd, TIOCGWINSZ, &ws) < 0 && ioctl(s->out_fd, TIOCGWINSZ, &ws) < 0)
		return;
	uint16_t rc[2] = {ws.ws_row, ws.ws_col};
	frame_send(s->sock, FRAME_RESIZE, rc, sizeof(rc));
}

/* Forwards stdin, watching for the detach sequence (ctrl-p ctrl-q by default) on a terminal. */
static void forward_stdin(struct session *s)
{
	char b[4096];
	ssize_t n = read(s->in_fd, b, sizeof(b));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		s->stdin_open = false;
		frame_send(s->sock, FRAME_STDIN_EOF, NULL, 0);
		return;
	}
	if (s->tty) {
		size_t klen = strlen(s->keys);
		for (ssize_t i = 0; i < n; i++) {
			if (b[i] == s->keys[s->key_pos]) {
				if (++s->key_pos == klen) {
					s->detached = true;
					return;
				}
			} else {
				s->key_pos = b[i] == s->keys[0] ? 1 : 0;
			}
		}
	}
	frame_send(s->sock, FRAME_STDIN, b, (size_t)n);
}

/* Reads one frame from the monitor; returns 0 when the session is over. */
static int monitor_frame(struct session *s, struct capsa_error **err, int *fail_code)
{
	struct frame_hdr h;
	int r = frame_recv(s->sock, &h, s->buf);
	if (r <= 0)
		return 0;
	int32_t v = 0;
	if (h.len >= 4)
		memcpy(&v, s->buf, 4);
	switch (h.type) {
	case FRAME_STDOUT:
		capsa_write_all(s->out_fd, s->buf, h.len);
		break;
	case FRAME_STDERR:
		capsa_write_all(s->err_fd, s->buf, h.len);
		break;
	case FRAME_EXIT:
		s->got_exit = true;
		/* --timeout fired: 124 (as timeout(1)), whatever the container made of its signal. */
		s->exit_code = h.len >= 5 && s->buf[4] ? 124 : v;
		return 0;
	case FRAME_FINISH: {
		/* The monitor hands us the recording: we are a loaded capsa already, it would start one. */
		struct frame_finish f;
		int32_t result = -1;
		if (h.len == sizeof(f)) {
			memcpy(&f, s->buf, sizeof(f));
			struct capsa_error *e = NULL;
			result = capsa_monitor_exit(s->e, s->id, f.exit_code, f.timed_out, f.stop_requested,
						    f.wall_ns, &e);
			if (result < 0) {
				_cleanup_free_ char *t = capsa_error_text(e);
				capsa_debug("record the end of %.12s: %s (the monitor does it)", s->id, t);
				capsa_error_free(e);
			}
		}
		frame_send(s->sock, FRAME_FINISHED, &result, 4);
		break;
	}
	case FRAME_ERROR:
		s->buf[h.len] = '\0';
		*fail_code = v;
		capsa_error_set(err, 0, "%s", s->buf + 4);
		return -1;
	default:
		break;
	}
	return 1;
}

static const int proxied[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

static int session_run(struct session *s, bool want_stdin, struct capsa_error **err, int *fail_code)
{
	sigset_t mask, old;
	sigemptyset(&mask);
	sigaddset(&mask, SIGWINCH);
	if (!s->tty)
		for (size_t i = 0; i < ARRAY_SIZE(proxied); i++)
			sigaddset(&mask, proxied[i]);
	sigprocmask(SIG_BLOCK, &mask, &old);
	_cleanup_close_ int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	struct termios saved;
	bool raw = false;
	if (s->tty && isatty(s->in_fd) && tcgetattr(s->in_fd, &saved) == 0) {
		struct termios t = saved;
		cfmakeraw(&t);
		raw = tcsetattr(s->in_fd, TCSANOW, &t) == 0;
	}
	if (s->tty)
		send_resize(s);
	s->stdin_open = want_stdin;
	int ret = 0;
	for (;;) {
		struct pollfd p[3] = {{.fd = s->sock, .events = POLLIN},
				      {.fd = s->stdin_open ? s->in_fd : -1, .events = POLLIN},
				      {.fd = sfd, .events = POLLIN}};
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			ret = capsa_error_errno(err, "poll");
			break;
		}
		if (p[0].revents) {
			int r = monitor_frame(s, err, fail_code);
			if (r < 0)
				ret = -1;
			if (r <= 0)
				break;
		}
		if (p[1].revents) {
			forward_stdin(s);
			if (s->detached)
				break;
		}
		if (p[2].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGWINCH) {
				if (s->tty)
					send_resize(s);
			} else {
				int32_t sig = (int32_t)si.ssi_signo;
				frame_send(s->sock, FRAME_KILL, &sig, 4);
			}
		}
	}
	if (raw)
		tcsetattr(s->in_fd, TCSANOW, &saved);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ret;
}

/* HELLO and (optionally) START; waits for START's answer. */
static int open_session(struct capsa_engine *e, struct capsa_ctr *c, const struct capsa_attach_opts *a,
			struct session *s, bool start, int *fail_code, struct capsa_error **err)
{
	s->sock = connect_ctr(e, c, a->wait_exit && !start ? &s->finishing : NULL, err);
	if (s->sock < 0)
		return s->finishing ? 0 : -1;
	uint32_t flags = (a->stdin_ ? HELLO_STDIN : 0) | (a->stdout_ ? HELLO_STDOUT : 0) |
			 (a->stderr_ ? HELLO_STDERR : 0) | (a->wait_exit ? HELLO_WAIT | HELLO_FINISH : 0);
	if (frame_send(s->sock, FRAME_HELLO, &flags, 4) < 0) {
		/* Connected while it still listened, dropped unaccepted as it stopped to record the end. */
		if (a->wait_exit && !start && (errno == EPIPE || errno == ECONNRESET)) {
			s->finishing = true;
			return 0;
		}
		return capsa_error_errno(err, "talk to the monitor");
	}
	/* Before start, so the first thing the process sees is the right size. */
	if (a->tty)
		send_resize(s);
	if (!start)
		return 0;
	if (frame_send(s->sock, FRAME_START, NULL, 0) < 0)
		return capsa_error_errno(err, "talk to the monitor");
	/* Output may arrive before the answer: it is passed through while waiting. */
	for (;;) {
		struct frame_hdr h;
		int r = frame_recv(s->sock, &h, s->buf);
		if (r <= 0)
			return capsa_error_set(err, 0, "the monitor of %.12s hung up during start", c->id);
		if (h.type == FRAME_STARTED)
			return 0;
		if (h.type == FRAME_ERROR && h.len >= 4) {
			int32_t v;
			memcpy(&v, s->buf, 4);
			s->buf[h.len] = '\0';
			*fail_code = v;
			return capsa_error_set(err, 0, "%s", s->buf + 4);
		}
		if (h.type == FRAME_STDOUT)
			capsa_write_all(s->out_fd, s->buf, h.len);
		else if (h.type == FRAME_STDERR)
			capsa_write_all(s->err_fd, s->buf, h.len);
	}
}

static int attach_common(struct capsa_engine *e, struct capsa_ctr *c, const struct capsa_attach_opts *a,
			 bool start, int *exit_code, bool *detached, struct capsa_error **err)
{
	struct session *s = xzalloc(sizeof(*s));
	*s = (struct session){.e = e,
			      .id = c->id,
			      .sock = -1,
			      .in_fd = a->in_fd,
			      .out_fd = a->out_fd,
			      .err_fd = a->err_fd,
			      .tty = a->tty,
			      .keys = a->detach_keys ? a->detach_keys : "\x10\x11"};
	int fail = 125;
	int ret = open_session(e, c, a, s, start, &fail, err);
	if (ret == 0 && s->finishing)
		wait_monitor_gone(c);
	else if (ret == 0 && (a->stdout_ || a->stderr_ || a->stdin_ || a->wait_exit))
		ret = session_run(s, a->stdin_, err, &fail);
	*exit_code = 0;
	if (ret < 0)
		*exit_code = fail;
	else if (s->detached)
		*detached = true;
	else if (s->got_exit)
		*exit_code = s->exit_code;
	else if (a->wait_exit)
		ret = recorded_exit(e, c, exit_code, err);
	if (s->sock >= 0)
		close(s->sock);
	free(s);
	return ret;
}

int capsa_engine_start(struct capsa_engine *e, struct capsa_ctr *c, const struct capsa_attach_opts *a,
		       int *exit_code, bool *detached, struct capsa_error **err)
{
	*exit_code = 125;
	*detached = false;
	if (active(c) && c->status != CAPSA_CTR_CREATED) {
		if (!a->stdout_ && !a->wait_exit) {
			*exit_code = 0;
			return 0; /* docker: starting a running container is not an error */
		}
		return attach_common(e, c, a, false, exit_code, detached, err);
	}
	/* A stopped container's old monitor may still be finishing: a new one takes over. */
	if ((c->status != CAPSA_CTR_CREATED || !monitor_alive(c)) &&
	    monitor_spawn(e, c, true, exit_code, err) < 0)
		return -1;
	return attach_common(e, c, a, true, exit_code, detached, err);
}

int capsa_engine_attach(struct capsa_engine *e, struct capsa_ctr *c, const struct capsa_attach_opts *a,
			int *exit_code, bool *detached, struct capsa_error **err)
{
	*detached = false;
	*exit_code = 125;
	if (c->status != CAPSA_CTR_RUNNING && c->status != CAPSA_CTR_PAUSED)
		return capsa_error_set(err, 0, "you cannot attach to a stopped container, start it first");
	if (!monitor_alive(c))
		return capsa_error_set(err, 0, "container %.12s has no monitor any more: cannot attach",
				       c->id);
	return attach_common(e, c, a, false, exit_code, detached, err);
}

/* Whether the runtime's state says the container's init has ended (or is gone with its state). */
static bool init_ended(struct capsa_engine *e, const struct capsa_ctr *c)
{
	_cleanup_oci_state_ struct oci_state *st = NULL;
	struct capsa_error *e2 = NULL;
	if (capsa_container_state(&e->rt, c->id, &st, &e2) < 0) {
		capsa_error_free(e2);
		return true;
	}
	return strcmp(st->status, "stopped") == 0;
}

static int simple_request(struct capsa_engine *e, struct capsa_ctr *c, enum frame_type t, int32_t v,
			  bool wait, struct capsa_error **err)
{
	bool finishing = false;
	_cleanup_close_ int fd = connect_ctr(e, c, &finishing, err);
	if (fd < 0 && finishing) {
		/* The container has ended and the monitor is recording it: a stop is done when that
		 * is; there is nothing left to signal. A container still running behind a monitor that
		 * does not answer is another matter: said as such, not waited for. */
		if (!init_ended(e, c))
			return capsa_error_set(err, ECONNREFUSED, "the monitor of %.12s does not answer",
					       c->id);
		if (!wait)
			return capsa_error_set(err, 0, "container %.12s is not running", c->id);
		wait_monitor_gone(c);
		return 0;
	}
	if (fd < 0)
		return -1;
	uint32_t flags = wait ? HELLO_WAIT : 0;
	if (frame_send(fd, FRAME_HELLO, &flags, 4) < 0 || frame_send(fd, t, &v, 4) < 0)
		return capsa_error_errno(err, "talk to the monitor of %.12s", c->id);
	char *buf = xmalloc(FRAME_MAX + 1);
	struct frame_hdr h;
	int ret = 0;
	for (;;) {
		int r = frame_recv(fd, &h, buf);
		if (r <= 0)
			break; /* the monitor is gone: the container ended */
		if (h.type == FRAME_ERROR && h.len >= 4) {
			buf[h.len] = '\0';
			ret = capsa_error_set(err, 0, "%s", buf + 4);
			break;
		}
		if (h.type == FRAME_EXIT || (h.type == FRAME_OK && !wait))
			break;
	}
	free(buf);
	return ret;
}

int capsa_engine_stop(struct capsa_engine *e, struct capsa_ctr *c, int timeout, struct capsa_error **err)
{
	if (!active(c))
		return 0;
	if (monitor_alive(c))
		return simple_request(e, c, FRAME_STOP, timeout, true, err);
	/* No monitor: the runtime alone. A grace period needs someone to wait; killing is what is left. */
	struct capsa_error *e2 = NULL;
	if (capsa_container_delete(&e->rt, c->id, true, &e2) < 0)
		capsa_error_free(e2);
	return 0;
}

int capsa_engine_kill(struct capsa_engine *e, struct capsa_ctr *c, int sig, struct capsa_error **err)
{
	if (c->status != CAPSA_CTR_RUNNING && c->status != CAPSA_CTR_PAUSED)
		return capsa_error_set(err, 0, "cannot kill container %s: container %.12s is not running",
				       c->name, c->id);
	/* A micro-VM's host process turns the stop signals into SIGTERM for the guest's processes. */
	if (c->vm && sig != SIGKILL && sig != SIGTERM && sig != SIGINT && sig != SIGQUIT && sig != SIGHUP)
		return capsa_error_set(
			err, 0,
			"cannot kill container %s with signal %d: a micro-VM takes SIGKILL, or "
			"SIGTERM, SIGINT, SIGQUIT and SIGHUP (its processes get SIGTERM)",
			c->name, sig);
	if (monitor_alive(c))
		return simple_request(e, c, FRAME_KILL, sig, false, err);
	return capsa_container_kill(&e->rt, c->id, sig, false, err);
}

int capsa_engine_wait(struct capsa_engine *e, struct capsa_ctr *c, int *exit_code, struct capsa_error **err)
{
	if ((active(c) || c->status == CAPSA_CTR_CREATED) && monitor_alive(c)) {
		struct capsa_attach_opts a = {.wait_exit = true, .in_fd = -1, .out_fd = 1, .err_fd = 2};
		bool detached;
		return attach_common(e, c, &a, false, exit_code, &detached, err);
	}
	*exit_code = c->status == CAPSA_CTR_DEAD ? 255 : c->exit_code;
	return 0;
}

int capsa_engine_pause(struct capsa_engine *e, struct capsa_ctr *c, bool pause, struct capsa_error **err)
{
	if (pause && c->status != CAPSA_CTR_RUNNING)
		return capsa_error_set(err, 0, "container %.12s is not running", c->id);
	if (!pause && c->status != CAPSA_CTR_PAUSED)
		return capsa_error_set(err, 0, "container %.12s is not paused", c->id);
	if (c->vm) {
		/* The whole VM (UML's processes, and so the guest) is in the container's cgroup: frozen as
		 * one. */
		struct capsa_cgroup *cg = NULL;
		if (engine_vm_cgroup_open(e, c, &cg, err) < 0)
			return -1;
		int r = capsa_cgroup_freeze(cg, pause, err);
		capsa_cgroup_free(cg);
		return r;
	}
	return capsa_container_pause(&e->rt, c->id, pause, err);
}
