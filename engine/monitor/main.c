/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * capsa-monitor: the steady-state half of a container's monitor. The full capsa process (the monitor as
 * forked by the CLI) creates and starts the container, then executes this program in the same process:
 * the pid, the child (the container's init), the subreaper flag, the blocked signals and the fds named
 * on the command line carry over; the several MiB of libraries and parsed configs do not.
 *
 * It writes the json-file log (with rotation), serves attach/stop/kill on the attach socket, stops the
 * container on --timeout, and reaps. What needs the whole library (deleting the container from the
 * runtime, the OOM flag, the stats summary, the record, --rm, the restart policy) it hands to
 * `capsa __monitor-exit` run as its child, so that path stays the engine's one well-tested function.
 * libc only, no allocation on the steady path beyond the attach clients.
 */
#define _GNU_SOURCE
#include "engine/monitor/mon.h"
#include "engine/monitor/proto.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct client {
	int fd;
	uint32_t flags;
	struct client *next;
};

struct stream {
	int fd;
	const char *name;
	enum frame_type frame;
	size_t n_partial;
	char partial[MON_LOG_CHUNK];
};

static struct mon_args a;
static int epfd = -1, sfd = -1, timeout_tfd = -1, kill_tfd = -1, restart_tfd = -1;
static int in_fd = -1, log_fd = -1;
static int64_t log_size;
static bool running = true, stop_requested, timed_out;
/* Created, not started: the init waits for `start`. A start that failed decides the exit code. */
static bool created, start_failed;
static int start_code;
static struct timespec started_mono;
static struct client *clients;
static struct stream out_s = {.fd = -1, .name = "stdout", .frame = FRAME_STDOUT};
static struct stream err_s = {.fd = -1, .name = "stderr", .frame = FRAME_STDERR};
static char buf[FRAME_MAX];
static char line[MON_LOG_LINE_MAX];

static ssize_t write_all(int fd, const void *p, size_t n)
{
	size_t off = 0;
	while (off < n) {
		ssize_t w = write(fd, (const char *)p + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return (ssize_t)off;
}

static ssize_t read_all(int fd, void *p, size_t n)
{
	size_t off = 0;
	while (off < n) {
		ssize_t r = read(fd, (char *)p + off, n - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		off += (size_t)r;
	}
	return (ssize_t)off;
}

static int frame_send(int fd, enum frame_type t, const void *data, size_t len)
{
	struct frame_hdr h = {.type = (uint8_t)t, .len = (uint32_t)len};
	/* The attach sockets are blocking: a slow reader slows the container's output, as docker's. */
	struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)data, len}};
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
	size_t total = sizeof(h) + len, done = 0;
	while (done < total) {
		ssize_t n = sendmsg(fd, &m, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
		while (n > 0 && m.msg_iovlen > 0) {
			size_t take = (size_t)n < m.msg_iov->iov_len ? (size_t)n : m.msg_iov->iov_len;
			m.msg_iov->iov_base = (char *)m.msg_iov->iov_base + take;
			m.msg_iov->iov_len -= take;
			n -= (ssize_t)take;
			if (m.msg_iov->iov_len == 0) {
				m.msg_iov++;
				m.msg_iovlen--;
			}
		}
	}
	return 0;
}

static void watch(int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
	epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void arm(int tfd, int64_t ns)
{
	struct itimerspec its = {.it_value = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000}};
	timerfd_settime(tfd, 0, &its, NULL);
}

/* ---- log ----------------------------------------------------------------------------------------- */

static void log_rotate(void)
{
	char from[256], to[256];
	int64_t keep = a.log_max_file > 1 ? a.log_max_file : 1;
	for (int64_t i = keep - 1; i >= 1; i--) {
		if (i == 1)
			snprintf(from, sizeof(from), "%s", a.log_name);
		else
			snprintf(from, sizeof(from), "%s.%" PRId64, a.log_name, i - 1);
		snprintf(to, sizeof(to), "%s.%" PRId64, a.log_name, i);
		renameat(a.dir_fd, from, a.dir_fd, to);
	}
	if (keep == 1)
		unlinkat(a.dir_fd, a.log_name, 0);
	close(log_fd);
	log_fd = openat(a.dir_fd, a.log_name,
			O_WRONLY | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
	log_size = 0;
}

static void log_write(const char *stream, const char *data, size_t len)
{
	while (log_fd >= 0 && len > 0) {
		size_t take = len < MON_LOG_CHUNK ? len : MON_LOG_CHUNK;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		size_t n = mon_log_line(line, stream, data, take, &ts);
		if (a.log_max_size > 0 && log_size > 0 && log_size + (int64_t)n > a.log_max_size)
			log_rotate();
		if (log_fd >= 0 && write_all(log_fd, line, n) == (ssize_t)n)
			log_size += (int64_t)n;
		data += take;
		len -= take;
	}
}

/* Whole lines go to the log as they come; a partial line waits for its end (or a full buffer). */
static void log_data(struct stream *s, const char *data, size_t len, bool flush)
{
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) + 1 : len;
		if (s->n_partial + take > sizeof(s->partial)) {
			log_write(s->name, s->partial, s->n_partial);
			s->n_partial = 0;
			if (take > sizeof(s->partial)) {
				log_write(s->name, data, take);
				data += take;
				len -= take;
				continue;
			}
		}
		memcpy(s->partial + s->n_partial, data, take);
		s->n_partial += take;
		if (nl) {
			log_write(s->name, s->partial, s->n_partial);
			s->n_partial = 0;
		}
		data += take;
		len -= take;
	}
	if (flush && s->n_partial) {
		log_write(s->name, s->partial, s->n_partial);
		s->n_partial = 0;
	}
}

/* ---- clients ------------------------------------------------------------------------------------- */

static void client_add(int fd, uint32_t flags)
{
	struct client *cl = calloc(1, sizeof(*cl));
	if (cl == NULL) {
		close(fd);
		return;
	}
	cl->fd = fd;
	cl->flags = flags;
	cl->next = clients;
	clients = cl;
	watch(fd);
}

static void client_drop(struct client *cl)
{
	for (struct client **p = &clients; *p; p = &(*p)->next) {
		if (*p == cl) {
			*p = cl->next;
			break;
		}
	}
	epoll_ctl(epfd, EPOLL_CTL_DEL, cl->fd, NULL);
	close(cl->fd);
	free(cl);
}

static void broadcast(enum frame_type t, const char *data, size_t len)
{
	uint32_t want = t == FRAME_STDOUT ? HELLO_STDOUT : HELLO_STDERR;
	for (struct client *cl = clients, *next; cl; cl = next) {
		next = cl->next;
		if ((cl->flags & want) && frame_send(cl->fd, t, data, len) < 0)
			client_drop(cl);
	}
}

static void close_stdin(void)
{
	if (in_fd >= 0 && in_fd != a.master_fd)
		close(in_fd);
	in_fd = -1;
}

/* Reads what is there; at EOF (or EIO on a pty master whose last slave closed) the stream ends. */
static void pump(struct stream *s)
{
	for (;;) {
		ssize_t n = read(s->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			log_data(s, NULL, 0, true);
			epoll_ctl(epfd, EPOLL_CTL_DEL, s->fd, NULL);
			if (s->fd != a.master_fd)
				close(s->fd);
			s->fd = -1;
			return;
		}
		log_data(s, buf, (size_t)n, false);
		broadcast(s->frame, buf, (size_t)n);
		if ((size_t)n < sizeof(buf))
			return;
	}
}

/* ---- the container ------------------------------------------------------------------------------- */

static void send_signal(int sig)
{
	/* The init is our child and not reaped while running is set: its pid cannot be reused. */
	if (running)
		kill(a.init, sig);
}

static void stop(int timeout)
{
	stop_requested = true;
	if (!running)
		return;
	send_signal(a.stop_signal);
	/* A zero timeout still goes through the timer (0 would disarm it); negative waits forever. */
	if (timeout >= 0)
		arm(kill_tfd, timeout == 0 ? 1 : (int64_t)timeout * 1000000000LL);
}

static void reply_error(int fd, int code, const char *msg)
{
	char p[256];
	int32_t c = code;
	size_t len = strlen(msg) < sizeof(p) - 4 ? strlen(msg) : sizeof(p) - 4;
	memcpy(p, &c, 4);
	memcpy(p + 4, msg, len);
	frame_send(fd, FRAME_ERROR, p, len + 4);
}

static void exec_capsa(char **argv);

/*
 * `capsa start` of a created container: `capsa-monitor-full __monitor-start ID` as a child does what needs
 * the library (the runtime's start, poststart hooks, the record); its stderr is the error to pass on and
 * its exit status the exit-code class (125/126/127).
 */
static void start_container(struct client *cl)
{
	char *argv[] = {(char *)a.capsa, "--root", (char *)a.root, MONITOR_START_CMD, (char *)a.id, NULL};
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		reply_error(cl->fd, 125, "start: pipe failed");
		return;
	}
	/* The wall time counts from before the start: it holds the whole of the process's run. */
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dup2(p[1], 2);
		exec_capsa(argv);
		dprintf(2, "execute %s: %s", a.capsa, strerror(errno));
		_exit(125);
	}
	close(p[1]);
	char msg[512];
	size_t len = 0;
	for (ssize_t n; pid > 0 && len < sizeof(msg) - 1;) {
		n = read(p[0], msg + len, sizeof(msg) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(p[0]);
	msg[len] = '\0';
	while (len > 0 && msg[len - 1] == '\n')
		msg[--len] = '\0';
	int st = 0;
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	int code = pid < 0 ? 125 : WIFEXITED(st) ? WEXITSTATUS(st) : 125;
	if (code != 0) {
		start_failed = true;
		start_code = code == 126 || code == 127 ? code : 125;
		reply_error(cl->fd, start_code, len ? msg : "start failed");
		return;
	}
	created = false;
	/* A start refused before (a host port taken) does not decide the end of this one. */
	start_failed = false;
	started_mono = t0;
	if (a.timeout_ns > 0)
		arm(timeout_tfd, a.timeout_ns);
	int32_t ipid = a.init;
	frame_send(cl->fd, FRAME_STARTED, &ipid, 4);
}

static void handle_frame(struct client *cl, const struct frame_hdr *h, const char *data)
{
	int32_t v = 0;
	if (h->len >= 4)
		memcpy(&v, data, 4);
	switch (h->type) {
	case FRAME_HELLO:
		cl->flags = (uint32_t)v;
		break;
	case FRAME_STDIN:
		if (in_fd >= 0 && write_all(in_fd, data, h->len) < 0)
			close_stdin();
		break;
	case FRAME_STDIN_EOF:
		close_stdin();
		break;
	case FRAME_RESIZE:
		if (a.master_fd >= 0 && h->len >= 4) {
			uint16_t rc[2];
			memcpy(rc, data, 4);
			struct winsize ws = {.ws_row = rc[0], .ws_col = rc[1]};
			ioctl(a.master_fd, TIOCSWINSZ, &ws);
		}
		break;
	case FRAME_START:
		if (!created || !running) {
			reply_error(cl->fd, 125, "the container is already started");
			break;
		}
		start_container(cl);
		break;
	case FRAME_STOP:
		if (created) {
			/* Nothing runs yet (as the full monitor): only remembered, for the restart policy. */
			stop_requested = true;
			frame_send(cl->fd, FRAME_OK, NULL, 0);
			break;
		}
		stop(v < 0 ? a.stop_timeout : v);
		frame_send(cl->fd, FRAME_OK, NULL, 0);
		break;
	case FRAME_KILL:
		if (!running || created) {
			reply_error(cl->fd, 125, "the container is not running");
			break;
		}
		stop_requested = true;
		if (kill(a.init, v) < 0) {
			char msg[128];
			snprintf(msg, sizeof(msg), "kill %.12s (pid %d): %s", a.id, (int)a.init,
				 strerror(errno));
			reply_error(cl->fd, 125, msg);
			break;
		}
		frame_send(cl->fd, FRAME_OK, NULL, 0);
		break;
	default:
		break;
	}
}

static void client_readable(struct client *cl)
{
	struct frame_hdr h;
	ssize_t n = read_all(cl->fd, &h, sizeof(h));
	if (n == (ssize_t)sizeof(h) && h.len <= FRAME_MAX &&
	    (h.len == 0 || read_all(cl->fd, buf, h.len) == h.len)) {
		handle_frame(cl, &h, buf);
		return;
	}
	/* An attached stdin that goes away ends the container's stdin, as docker's StdinOnce. */
	if (cl->flags & HELLO_STDIN)
		close_stdin();
	client_drop(cl);
}

/* The capsa this monitor came from, even if a newer one was installed over it since; else by path. */
static void exec_capsa(char **argv)
{
	if (a.capsa_fd >= 0)
		syscall(SYS_execveat, a.capsa_fd, "", argv, environ, AT_EMPTY_PATH);
	execv(a.capsa, argv);
}

/* The fallback when `capsa __monitor-exit` could not record the end: the state, by hand. */
static void write_state(int code)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	char fin[40], json[1024], tmp[64];
	mon_rfc3339(fin, sizeof(fin), &now);
	struct mon_state s = {.status = "exited",
			      .monitor_pid = getpid(),
			      .monitor_start = a.monitor_start,
			      .exit_code = code,
			      .restart_count = a.restart_count,
			      .started_at = a.started_at,
			      .finished_at = fin,
			      .timed_out = timed_out,
			      .error = "the monitor could not run capsa to finish the container"};
	int n = mon_state_json(json, sizeof(json), &s);
	snprintf(tmp, sizeof(tmp), ".state.json.%d", (int)getpid());
	int fd = openat(a.dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (n < 0 || fd < 0 || write_all(fd, json, (size_t)n) != n) {
		if (fd >= 0)
			close(fd);
		unlinkat(a.dir_fd, tmp, 0);
		return;
	}
	close(fd);
	renameat(a.dir_fd, tmp, a.dir_fd, "state.json");
}

/*
 * A waiting `capsa run`/`attach` is a loaded capsa: it records the end itself when asked, which saves
 * starting one. Returns its result, or -2 when there is no such client or it failed or went away (the
 * recording is idempotent, so a client that comes back late and does it again does no harm).
 */
static int client_finish(int code, int64_t wall_ns)
{
	struct client *cl = clients;
	while (cl && !(cl->flags & HELLO_FINISH))
		cl = cl->next;
	if (cl == NULL)
		return -2;
	struct frame_finish f = {.exit_code = code,
				 .timed_out = timed_out,
				 .stop_requested = stop_requested,
				 .wall_ns = wall_ns};
	if (frame_send(cl->fd, FRAME_FINISH, &f, sizeof(f)) < 0)
		return -2;
	for (;;) {
		/* Bounded: a client stopped with ^Z must not hold the container's end for ever. */
		struct pollfd p = {.fd = cl->fd, .events = POLLIN};
		int r = poll(&p, 1, 30000);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -2;
		struct frame_hdr h;
		if (read_all(cl->fd, &h, sizeof(h)) != sizeof(h) || h.len > FRAME_MAX ||
		    (h.len && read_all(cl->fd, buf, h.len) != h.len))
			return -2;
		if (h.type != FRAME_FINISHED || h.len < 4)
			continue; /* stdin or a proxied signal, too late for the container */
		int32_t v;
		memcpy(&v, buf, 4);
		return v == 0 || v == MONITOR_EXIT_RESTART ? v : -2;
	}
}

/* Runs `capsa --root ROOT __monitor-exit ID CODE TIMED_OUT STOP_REQUESTED WALL_NS`; its exit status. */
static int run_exit(int code, int64_t wall_ns)
{
	char s_code[16], s_to[4], s_stop[4], s_wall[24];
	snprintf(s_code, sizeof(s_code), "%d", code);
	snprintf(s_to, sizeof(s_to), "%d", timed_out);
	snprintf(s_stop, sizeof(s_stop), "%d", stop_requested);
	snprintf(s_wall, sizeof(s_wall), "%" PRId64, wall_ns);
	char *argv[] = {(char *)a.capsa, "--root", (char *)a.root, MONITOR_EXIT_CMD, (char *)a.id,
			s_code,		 s_to,	   s_stop,	   s_wall,	     NULL};
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* Its complaints go where the monitor's own went: containers/<id>/monitor.log. */
		int lfd = openat(a.dir_fd, "monitor.log",
				 O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
		if (lfd >= 0)
			dup2(lfd, 2);
		exec_capsa(argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void send_exit(int code)
{
	char payload[5];
	int32_t c = code;
	memcpy(payload, &c, 4);
	payload[4] = timed_out;
	while (clients) {
		if (clients->flags & HELLO_WAIT)
			frame_send(clients->fd, FRAME_EXIT, payload, sizeof(payload));
		client_drop(clients);
	}
}

static void drain(struct stream *s)
{
	/* Non-blocking to the end of what is buffered: a process outside the init's pid namespace that
	 * still holds the pipe must not keep the monitor from recording the exit. */
	while (s->fd >= 0) {
		ssize_t n = read(s->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_data(s, NULL, 0, true);
			epoll_ctl(epfd, EPOLL_CTL_DEL, s->fd, NULL);
			if (s->fd != a.master_fd)
				close(s->fd);
			s->fd = -1;
			break;
		}
		log_data(s, buf, (size_t)n, false);
		broadcast(s->frame, buf, (size_t)n);
	}
}

/* The init is gone: record it through capsa, tell the waiters; true when the policy restarts it. */
static bool container_exited(int status)
{
	running = false;
	drain(&out_s);
	drain(&err_s);
	close_stdin();
	if (a.master_fd >= 0)
		close(a.master_fd);
	a.master_fd = -1;
	arm(timeout_tfd, 0);
	arm(kill_tfd, 0);
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
	int code = WIFEXITED(status)	 ? WEXITSTATUS(status)
		   : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
					 : 255;
	if (start_failed) {
		/* As the full monitor: the start's code, and no restart for a container that never ran. */
		code = start_code;
		stop_requested = true;
	}
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t wall =
		(now.tv_sec - started_mono.tv_sec) * 1000000000LL + (now.tv_nsec - started_mono.tv_nsec);
	int r = client_finish(code, wall);
	if (r == -2)
		r = run_exit(code, wall);
	if (r != 0 && r != MONITOR_EXIT_RESTART)
		write_state(code);
	send_exit(code);
	if (r != MONITOR_EXIT_RESTART)
		return false;
	int n = a.restart_count < 7 ? a.restart_count : 7;
	arm(restart_tfd, 100000000LL << n);
	return true;
}

/* The restart delay passed: the full monitor makes the container again, in this same process. */
static void restart(void)
{
	char *argv[] = {(char *)a.capsa, "--root", (char *)a.root, MONITOR_RESTART_CMD, (char *)a.id, NULL};
	int lfd =
		openat(a.dir_fd, "monitor.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (lfd >= 0)
		dup2(lfd, 2);
	exec_capsa(argv);
	dprintf(2, "capsa-monitor %.12s: restart: execute %s: %s\n", a.id, a.capsa, strerror(errno));
	write_state(125);
	_exit(1);
}

static bool timer_fired(int tfd)
{
	uint64_t n;
	return read(tfd, &n, sizeof(n)) == sizeof(n);
}

static void reap(void)
{
	int status;
	pid_t w;
	/* Orphans of the container come to us (subreaper): reap them all. */
	while ((w = waitpid(-1, &status, WNOHANG)) > 0) {
		if (w == a.init && running && !container_exited(status))
			exit(0);
	}
}

static void on_signal(void)
{
	struct signalfd_siginfo si;
	if (read(sfd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo != SIGCHLD) {
		/* SIGTERM to the monitor stops the container like `capsa stop`. */
		stop(a.stop_timeout);
		return;
	}
	reap();
}

static void loop(void)
{
	struct epoll_event evs[16];
	for (;;) {
		int n = epoll_wait(epfd, evs, 16, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			exit(1);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == sfd) {
				on_signal();
			} else if (fd == a.listen_fd) {
				int c = accept4(a.listen_fd, NULL, NULL, SOCK_CLOEXEC);
				if (c >= 0)
					client_add(c, 0);
			} else if (fd == out_s.fd) {
				pump(&out_s);
			} else if (fd == err_s.fd) {
				pump(&err_s);
			} else if (fd == timeout_tfd) {
				if (timer_fired(fd) && running) {
					timed_out = true;
					stop(a.stop_timeout);
				}
			} else if (fd == kill_tfd) {
				/* The init dies with SIGKILL from outside its namespace; what is left in the
				 * cgroup goes when capsa deletes the container. */
				if (timer_fired(fd))
					send_signal(SIGKILL);
			} else if (fd == restart_tfd) {
				if (timer_fired(fd))
					restart();
			} else {
				for (struct client *cl = clients; cl; cl = cl->next) {
					if (cl->fd == fd) {
						client_readable(cl);
						break;
					}
				}
			}
		}
	}
}

static void cloexec(int fd)
{
	if (fd >= 0)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
}

int main(int argc, char **argv)
{
	char err[256];
	if (mon_args_parse(argc, argv, &a, err, sizeof(err)) < 0) {
		dprintf(2, "capsa-monitor: %s\n", err);
		return 125;
	}
	/* Not a process a container may open through /proc (its exe is the host's binary). */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	prctl(PR_SET_NAME, "capsa-monitor", 0, 0, 0);
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	clock_gettime(CLOCK_MONOTONIC, &started_mono);
	/* The start was the full monitor's, a.running_ns ago: the wall time counts from there. */
	started_mono.tv_sec -= a.running_ns / 1000000000LL;
	started_mono.tv_nsec -= a.running_ns % 1000000000LL;
	if (started_mono.tv_nsec < 0) {
		started_mono.tv_nsec += 1000000000L;
		started_mono.tv_sec--;
	}
	/* Inherited without close-on-exec: none of them may leak into the capsa children. */
	int fds[] = {a.dir_fd, a.out_fd, a.err_fd, a.in_fd, a.master_fd, a.listen_fd, a.log_fd, a.capsa_fd};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		cloexec(fds[i]);
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	timeout_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	kill_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	restart_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (sfd < 0 || epfd < 0 || timeout_tfd < 0 || kill_tfd < 0 || restart_tfd < 0) {
		dprintf(2, "capsa-monitor: setup: %s\n", strerror(errno));
		return 125;
	}
	log_fd = a.log_fd;
	struct stat st;
	if (log_fd >= 0 && fstat(log_fd, &st) == 0)
		log_size = st.st_size;
	out_s.fd = a.out_fd;
	err_s.fd = a.err_fd;
	in_fd = a.in_fd >= 0 ? a.in_fd : -1;
	int watched[] = {sfd, a.listen_fd, timeout_tfd, kill_tfd, restart_tfd, out_s.fd, err_s.fd};
	for (size_t i = 0; i < sizeof(watched) / sizeof(watched[0]); i++)
		if (watched[i] >= 0)
			watch(watched[i]);
	for (size_t i = 0; i < a.n_clients; i++) {
		cloexec(a.clients[i].fd);
		client_add(a.clients[i].fd, a.clients[i].flags);
	}
	created = a.created;
	if (a.timeout_ns > 0 && !created)
		arm(timeout_tfd, a.timeout_ns);
	/* The init may have ended before the exec, its SIGCHLD read by the full monitor. */
	reap();
	loop();
	return 0;
}
