/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Messages between the runtime and the container's init before exec. */
#define _GNU_SOURCE
#include "runtime/internal.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

static const char *sync_names[] = {
	[SYNC_USERMAP_REQ] = "usermap request",
	[SYNC_USERMAP_ACK] = "usermap ack",
	[SYNC_INIT_PID] = "init pid",
	[SYNC_GO] = "go",
	[SYNC_HOOKS_REQ] = "hooks request",
	[SYNC_HOOKS_ACK] = "hooks ack",
	[SYNC_READY] = "ready",
	[SYNC_ERROR] = "error",
	[SYNC_CGROUP] = "cgroup joined",
};

int sync_send(int fd, enum sync_type type, int32_t pid, struct capsa_error **err)
{
	struct sync_msg m = {.type = type, .pid = pid};
	for (;;) {
		/* Only the header matters for everything but errors: send it short. */
		ssize_t r = send(fd, &m, offsetof(struct sync_msg, msg), MSG_NOSIGNAL);
		if (r >= 0)
			return 0;
		if (errno != EINTR)
			return capsa_error_errno(err, "send %s to the container process", sync_names[type]);
	}
}

void sync_send_error(int fd, const struct capsa_error *e)
{
	struct sync_msg m = {.type = SYNC_ERROR, .errnum = e ? e->errnum : 0};
	snprintf(m.msg, sizeof(m.msg), "%s", e && e->msg ? e->msg : "unknown error");
	size_t len = offsetof(struct sync_msg, msg) + strlen(m.msg) + 1;
	while (send(fd, &m, len, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

int sync_recv_decode(struct sync_msg *m, size_t len, struct capsa_error **err)
{
	if (len < offsetof(struct sync_msg, msg))
		return capsa_error_set(err, EPROTO, "short message from the container process");
	if (m->type == SYNC_ERROR) {
		if (len < sizeof(*m))
			((char *)m)[len] = '\0';
		m->msg[sizeof(m->msg) - 1] = '\0';
		return capsa_error_set(err, m->errnum, "%s", m->msg);
	}
	return 0;
}

int sync_recv(int fd, enum sync_type want, int32_t *pid, struct capsa_error **err)
{
	struct sync_msg m;
	ssize_t r;
	do {
		r = recv(fd, &m, sizeof(m), 0);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return capsa_error_errno(err, "waiting for %s", sync_names[want]);
	if (r == 0)
		return capsa_error_set(err, 0, "container init exited before %s", sync_names[want]);
	if (sync_recv_decode(&m, (size_t)r, err) < 0)
		return -1;
	if (m.type != (int32_t)want)
		return capsa_error_set(err, EPROTO, "expected %s from the container process, got message %d",
				       sync_names[want], m.type);
	if (pid)
		*pid = m.pid;
	return 0;
}
