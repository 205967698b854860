/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The container's terminal: a pty made inside the container, its master sent over --console-socket. */
#define _GNU_SOURCE
#include "runtime/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>

int console_socket_connect(const char *path, struct capsa_error **err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(addr.sun_path))
		return capsa_error_set(err, ENAMETOOLONG, "console socket path %s", path);
	strcpy(addr.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return capsa_error_errno(err, "socket");
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int e = errno;
		close(fd);
		return capsa_error_set(err, e, "connect to console socket %s", path);
	}
	return fd;
}

int send_fd(int sock, int fd, const char *name, struct capsa_error **err)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	memset(cbuf, 0, sizeof(cbuf));
	struct iovec iov = {.iov_base = (void *)name, .iov_len = strlen(name)};
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	while (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0) {
		if (errno != EINTR)
			return capsa_error_errno(err, "send fd over socket");
	}
	return 0;
}

int recv_fd(int sock, int *fd, struct capsa_error **err)
{
	char buf[256];
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	ssize_t r;
	do {
		r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return capsa_error_errno(err, "receive fd");
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (c == NULL || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int)))
		return capsa_error_set(err, EPROTO, "no fd received");
	memcpy(fd, CMSG_DATA(c), sizeof(int));
	return 0;
}

int console_setup(int console_sock, const struct oci_process *p, struct capsa_error **err)
{
	/* /dev/ptmx is our symlink to the container's own devpts instance. */
	_cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return capsa_error_errno(err, "open /dev/ptmx (is /dev/pts mounted with newinstance?)");
	if (unlockpt(master) < 0)
		return capsa_error_errno(err, "unlockpt");
	_cleanup_close_ int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return capsa_error_errno(err, "open the pty peer");
	if (p->has_console_size) {
		struct winsize ws = {.ws_row = (unsigned short)p->console_height,
				     .ws_col = (unsigned short)p->console_width};
		if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
			return capsa_error_errno(err, "set console size");
	}
	char name[64] = "/dev/console";
	if (ptsname_r(master, name, sizeof(name)) != 0)
		snprintf(name, sizeof(name), "/dev/console");
	if (send_fd(console_sock, master, name, err) < 0)
		return capsa_error_prefix(err, "console socket");
	/* Programs expect /dev/console to be the terminal, as runc arranges. After pivot_root every
	 * path resolves inside the container, and /dev is its own. */
	int cfd = open("/dev/console", O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (cfd >= 0) {
		close(cfd);
		if (mount(name, "/dev/console", NULL, MS_BIND, NULL) < 0)
			return capsa_error_errno(err, "bind %s to /dev/console", name);
	}
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return capsa_error_errno(err, "make the pty the controlling terminal");
	for (int i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			return capsa_error_errno(err, "dup2 pty");
	return 0;
}
