// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * capsa-vminit: PID 1 of a capsa micro-VM (static). Mounts proc, sys and dev, reads the container's config
 * from the second disk, runs the process with its stdio on the console meant for it, writes the exit status
 * back to that disk and powers off. One path for both backends; only the device names differ:
 *   KVM: config /dev/vdb, stdout and stderr on /dev/hvc0 (virtio-console)
 *   UML: config /dev/ubdb, stdout on /dev/tty1 and stderr on /dev/tty2 (con1=/con2= host fds), so kernel
 *        messages on tty0 never mix with the container's output.
 * The root disk is the image's ext4 behind a copy-on-write layer (UML's COW file, or a scratch overlay
 * under KVM), so the image file itself is never written.
 */
#define _GNU_SOURCE
#include "vm/vmconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

extern char **environ;

static void say(const char *what, const char *why)
{
	/* The kernel console (tty0 under UML, the boot console under KVM): only seen when debugging. */
	dprintf(2, "capsa-vminit: %s: %s\n", what, why);
}

static void power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

static void mount_one(const char *src, const char *dir, const char *type)
{
	mkdir(dir, 0755);
	if (mount(src, dir, type, MS_NOSUID | MS_NOEXEC * (strcmp(type, "devtmpfs") != 0), NULL) < 0 &&
	    errno != EBUSY)
		say(dir, strerror(errno));
}

static int open_console(const char *path)
{
	int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	struct termios t;

	if (fd < 0)
		return -1;
	/* Byte-exact output: no \n -> \r\n translation, no echo of what the host sends. */
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	return fd;
}

static int read_config(const char *dev, struct capsa_vmcfg *c)
{
	static char buf[CAPSA_VMCFG_MAX];
	const char *why = NULL;
	int fd = open(dev, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0) {
		say(dev, strerror(errno));
		return -1;
	}
	while (got < sizeof(buf)) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (capsa_vmcfg_decode(buf, got, c, &why) < 0) {
		say(dev, why);
		return -1;
	}
	return 0;
}

static void write_status(const char *dev, int code)
{
	char rec[512];
	int fd = open(dev, O_WRONLY | O_CLOEXEC);

	if (fd < 0) {
		say(dev, strerror(errno));
		return;
	}
	capsa_vmcfg_status_format(code, rec);
	if (pwrite(fd, rec, sizeof(rec), CAPSA_VMCFG_STATUS_OFF) != (ssize_t)sizeof(rec) || fsync(fd) < 0)
		say(dev, strerror(errno));
	close(fd);
}

static void child(const struct capsa_vmcfg *c, int out, int errfd)
{
	int in = open("/dev/null", O_RDONLY);

	if (in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0)
		_exit(126);
	setsid();
	if (chdir(c->cwd) < 0) {
		dprintf(2, "capsa-vminit: working directory %s: %s\n", c->cwd, strerror(errno));
		_exit(126);
	}
	if (setgroups(0, NULL) < 0 || setgid(c->gid) < 0 || setuid(c->uid) < 0) {
		dprintf(2, "capsa-vminit: user %u:%u: %s\n", c->uid, c->gid, strerror(errno));
		_exit(126);
	}
	/* execvp searches the PATH of the environment it runs with: the container's. */
	environ = c->env;
	execvp(c->argv[0], c->argv);
	int e = errno;
	dprintf(2, "capsa-vminit: %s: %s\n", c->argv[0], strerror(e));
	_exit(e == ENOENT ? 127 : 126);
}

int main(void)
{
	struct capsa_vmcfg c;
	const char *cfgdev, *outdev, *errdev;
	int status = 0, code;

	mount_one("proc", "/proc", "proc");
	mount_one("sysfs", "/sys", "sysfs");
	mount_one("devtmpfs", "/dev", "devtmpfs");
	mkdir("/tmp", 01777);

	if (access("/dev/ubdb", F_OK) == 0) {
		cfgdev = "/dev/ubdb";
		outdev = "/dev/tty1";
		errdev = "/dev/tty2";
	} else {
		cfgdev = "/dev/vdb";
		outdev = errdev = "/dev/hvc0";
	}
	if (read_config(cfgdev, &c) < 0)
		power_off();
	if (c.hostname && sethostname(c.hostname, strlen(c.hostname)) < 0)
		say("hostname", strerror(errno));
	int out = open_console(outdev), errfd = open_console(errdev);
	if (out < 0 || errfd < 0) {
		say(outdev, strerror(errno));
		power_off();
	}

	pid_t pid = fork();
	if (pid < 0) {
		say("fork", strerror(errno));
		power_off();
	}
	if (pid == 0)
		child(&c, out, errfd);
	/* As PID 1, reap every orphan until the container's process itself exits. */
	for (;;) {
		pid_t w = wait(&status);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			power_off();
	}
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	tcdrain(out);
	tcdrain(errfd);
	write_status(cfgdev, code);
	power_off();
	return 0;
}
