/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test helper: a --console-socket receiver. Listens on PATH, receives the pty
 * master over SCM_RIGHTS, prints the terminal name to stderr, optionally
 * writes INPUT to the terminal, then copies the terminal's output to stdout
 * until the container closes it.
 * usage: console_recv PATH [INPUT]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: console_recv PATH [INPUT]\n");
		return 2;
	}
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", argv[1]);
	int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(argv[1]);
	if (ls < 0 || bind(ls, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(ls, 1) < 0) {
		perror("console_recv: listen");
		return 1;
	}
	/* Tell the test we are ready by creating PATH.ready. */
	char ready[4200];
	snprintf(ready, sizeof(ready), "%s.ready", argv[1]);
	FILE *f = fopen(ready, "w");
	if (f)
		fclose(f);
	int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0) {
		perror("console_recv: accept");
		return 1;
	}
	char name[256] = {0}, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = name, .iov_len = sizeof(name) - 1};
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	if (recvmsg(c, &msg, 0) < 0) {
		perror("console_recv: recvmsg");
		return 1;
	}
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	if (cm == NULL || cm->cmsg_type != SCM_RIGHTS) {
		fprintf(stderr, "console_recv: no fd received\n");
		return 1;
	}
	int master;
	memcpy(&master, CMSG_DATA(cm), sizeof(int));
	fprintf(stderr, "console_recv: got terminal %s\n", name);
	if (argc > 2 && write(master, argv[2], strlen(argv[2])) < 0)
		perror("console_recv: write");
	char buf[4096];
	for (;;) {
		ssize_t n = read(master, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) /* EIO once the last slave fd is closed */
			break;
		fwrite(buf, 1, (size_t)n, stdout);
		fflush(stdout);
	}
	return 0;
}
