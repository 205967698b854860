/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The monitor's socket protocol: small typed frames, and the exit codes docker gives failed starts. */
#define _GNU_SOURCE
#include "engine/internal.h"
#include "common/util.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

int frame_send(int fd, enum frame_type t, const void *data, size_t len)
{
	struct frame_hdr h = {.type = (uint8_t)t, .len = (uint32_t)len};
	struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)data, len}};
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
	size_t total = sizeof(h) + len;
	ssize_t n;
	do {
		n = sendmsg(fd, &m, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((size_t)n == total)
		return 0;
	/* A short send on a stream socket: finish it the slow way. */
	char *buf = xmalloc(total);
	memcpy(buf, &h, sizeof(h));
	if (len)
		memcpy(buf + sizeof(h), data, len);
	int r = 0;
	for (size_t off = (size_t)n; off < total;) {
		ssize_t w = send(fd, buf + off, total - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = -1;
			break;
		}
		off += (size_t)w;
	}
	free(buf);
	return r;
}

int frame_recv(int fd, struct frame_hdr *h, char *buf)
{
	ssize_t n = capsa_read_all(fd, h, sizeof(*h));
	if (n == 0)
		return 0;
	if (n != (ssize_t)sizeof(*h) || h->len > FRAME_MAX)
		return -1;
	if (h->len && capsa_read_all(fd, buf, h->len) != (ssize_t)h->len)
		return -1;
	return 1;
}

int monitor_connect(int ctr_dirfd)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	/* Through the directory fd: a store root under /tmp makes paths longer than sun_path. */
	snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s", ctr_dirfd, ATTACH_SOCKET);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int exec_error_code(const struct capsa_error *e)
{
	if (e == NULL || e->msg == NULL || strstr(e->msg, "exec: \"") == NULL)
		return 125;
	if (strstr(e->msg, "not found") || e->errnum == ENOENT)
		return 127;
	return 126;
}
