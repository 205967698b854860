/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small seccomp agent for tests: listens on a unix socket (listenerPath),
 * receives one container process state with the notify fd (SCM_RIGHTS),
 * checks it and answers every notified syscall the same way, until the
 * filtered processes are gone.
 *
 *   seccomp_listener SOCKET errno:N|success|continue
 *
 * stdout, one line each: "ready" once listening, "state <json>" with what it
 * received, "notify <syscall> <path>" per notification, "done" at the end.
 * errno:N makes the syscall fail with N; success makes it return 0 without
 * running it; continue lets the kernel run it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json.h>
#include <limits.h>
#include <poll.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef SECCOMP_USER_NOTIF_FLAG_CONTINUE
#define SECCOMP_USER_NOTIF_FLAG_CONTINUE (1UL << 0)
#endif

enum mode { MODE_ERRNO, MODE_SUCCESS, MODE_CONTINUE };

static void die(const char *what)
{
	fprintf(stderr, "seccomp_listener: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void fail(const char *what)
{
	fprintf(stderr, "seccomp_listener: %s\n", what);
	exit(1);
}

/* Reads the whole message; the notify fd comes with the first bytes. */
static char *receive_state(int conn, int *notify_fd)
{
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap + 1);
	union {
		char b[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} cbuf;

	*notify_fd = -1;
	if (!buf)
		fail("out of memory");
	for (;;) {
		struct iovec iov = {.iov_base = buf + len, .iov_len = cap - len};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
		if (len == 0) {
			mh.msg_control = cbuf.b;
			mh.msg_controllen = sizeof(cbuf.b);
		}
		ssize_t n = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("recvmsg");
		if (n == 0)
			break;
		if (len == 0) {
			if (mh.msg_flags & MSG_CTRUNC)
				fail("control data truncated: more fds than expected");
			for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
				if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
					continue;
				if (c->cmsg_len != CMSG_LEN(sizeof(int)))
					fail("expected exactly one fd");
				memcpy(notify_fd, CMSG_DATA(c), sizeof(int));
			}
			if (*notify_fd < 0)
				fail("no fd with the first bytes of the state");
		}
		len += (size_t)n;
		if (len == cap)
			fail("state too large");
	}
	buf[len] = '\0';
	return buf;
}

/* The checks a seccomp agent relies on (runtime-spec "containerProcessState"). */
static char *check_state(const char *text)
{
	struct json_object *o = json_tokener_parse(text), *v, *st;
	if (!o || !json_object_is_type(o, json_type_object))
		fail("the state is not a JSON object");
	if (!json_object_object_get_ex(o, "ociVersion", &v) || !json_object_is_type(v, json_type_string))
		fail("ociVersion missing");
	if (!json_object_object_get_ex(o, "fds", &v) || !json_object_is_type(v, json_type_array) ||
	    json_object_array_length(v) != 1 ||
	    strcmp(json_object_get_string(json_object_array_get_idx(v, 0)), "seccompFd") != 0)
		fail("fds is not [\"seccompFd\"]");
	if (!json_object_object_get_ex(o, "pid", &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int(v) <= 0)
		fail("pid missing");
	if (!json_object_object_get_ex(o, "state", &st) || !json_object_is_type(st, json_type_object) ||
	    !json_object_object_get_ex(st, "id", &v) || !json_object_object_get_ex(st, "status", &v))
		fail("state is not a container state");
	/* One line, whatever the sender's formatting, so tests can pick it with sed. */
	char *flat = strdup(
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return flat;
}

/* The path argument of the notified syscall, read from the target's memory. */
static void read_path(pid_t pid, uint64_t addr, char *out, size_t size)
{
	char mem[64];
	snprintf(mem, sizeof(mem), "/proc/%d/mem", pid);
	int fd = open(mem, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : pread(fd, out, size - 1, (off_t)addr);
	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		snprintf(out, size, "?");
		return;
	}
	out[n] = '\0';
	out[strnlen(out, (size_t)n)] = '\0';
}

static void serve(int notify_fd, enum mode mode, int err_no)
{
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;

	if (seccomp_notify_alloc(&req, &resp) < 0)
		fail("seccomp_notify_alloc");
	for (;;) {
		struct pollfd p = {.fd = notify_fd, .events = POLLIN};
		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (!(p.revents & POLLIN))
			break; /* POLLHUP: every filtered process is gone */
		memset(req, 0, sizeof(*req));
		int r = seccomp_notify_receive(notify_fd, req);
		if (r == -ENOENT || r == -EINTR)
			continue; /* the target died or was interrupted meanwhile */
		if (r < 0) {
			errno = -r;
			die("seccomp_notify_receive");
		}
		char *name = seccomp_syscall_resolve_num_arch(req->data.arch, req->data.nr);
		char path[PATH_MAX] = "";
		int path_arg = name && strcmp(name, "mkdirat") == 0 ? 1 : 0;
		read_path(req->pid, req->data.args[path_arg], path, sizeof(path));
		/* The pid could have been reused while we read its memory: only trust it if the request is
		 * live. */
		if (seccomp_notify_id_valid(notify_fd, req->id) < 0)
			continue;
		printf("notify %s %s\n", name ? name : "?", path);
		fflush(stdout);
		free(name);

		memset(resp, 0, sizeof(*resp));
		resp->id = req->id;
		if (mode == MODE_ERRNO)
			resp->error = -err_no;
		else if (mode == MODE_CONTINUE)
			resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		r = seccomp_notify_respond(notify_fd, resp);
		if (r < 0 && r != -ENOENT) {
			errno = -r;
			die("seccomp_notify_respond");
		}
	}
	seccomp_notify_free(req, resp);
}

int main(int argc, char **argv)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	enum mode mode;
	int err_no = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: seccomp_listener SOCKET errno:N|success|continue\n");
		return 2;
	}
	if (strncmp(argv[2], "errno:", 6) == 0) {
		mode = MODE_ERRNO;
		err_no = atoi(argv[2] + 6);
		if (err_no <= 0 || err_no > 4095)
			fail("errno out of range");
	} else if (strcmp(argv[2], "success") == 0) {
		mode = MODE_SUCCESS;
	} else if (strcmp(argv[2], "continue") == 0) {
		mode = MODE_CONTINUE;
	} else {
		fail("unknown mode");
	}
	if (strlen(argv[1]) >= sizeof(addr.sun_path))
		fail("socket path too long");
	strcpy(addr.sun_path, argv[1]);

	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		die("socket");
	if (bind(s, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die("bind");
	if (listen(s, 1) < 0)
		die("listen");
	printf("ready\n");
	fflush(stdout);

	int conn = accept4(s, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		die("accept");
	int notify_fd;
	char *state = receive_state(conn, &notify_fd);
	close(conn);
	close(s);
	unlink(argv[1]);
	char *flat = check_state(state);
	printf("state %s\n", flat);
	fflush(stdout);
	free(flat);
	free(state);

	serve(notify_fd, mode, err_no);
	printf("done\n");
	return 0;
}
