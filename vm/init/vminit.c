// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * capsa-vminit: PID 1 of a capsa micro-VM (static). Mounts proc, sys and dev, reads the container's config
 * from the second disk, runs the process with its stdio on the console meant for it, writes the exit status
 * back to that disk and powers off. One path for both backends; only the device names differ:
 *   KVM: config /dev/vdb (vda without a root disk), stdout on /dev/hvc0 (virtio-console), stdin from its
 *        input side, stderr on /dev/hvc1 (a second virtio-console) where the VMM made one, else on hvc0 too
 *   UML: config /dev/ubdb, stdout on /dev/tty1 and stderr on /dev/tty2 (con1=/con2= host fds), so kernel
 *        messages on tty0 never mix with the container's output; stdin from /dev/tty3
 * Stdin arrives encoded (vm/vmstdio.h) and a relay turns it into a pipe that ends when the host's ends.
 * With -t the process gets the stdout console (its host side the monitor's pty) as its terminal instead.
 * The root is either the image's ext4 disk behind a copy-on-write layer (UML's COW file, or a scratch
 * overlay under KVM), or an initramfs (--vm-root initramfs, vm/initramfs.h): the kernel unpacks the
 * image's cpio into its own tmpfs and runs this init as rdinit=. Either way the image's cached file is
 * never written. The config disk is found by its magic, not by its name: UML keeps it in the fixed slot
 * ubdb in both modes (ubda is simply absent with an initramfs), while KVM names virtio disks in order, so
 * it is vdb behind a root disk and vda without one.
 */
#define _GNU_SOURCE
#include "vm/vmconfig.h"
#include "vm/vmstdio.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
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

/*
 * The config disk: the first of UML's ubdb (a fixed slot in both root modes), KVM's vdb (after the root
 * disk) or vda (with an initramfs there is no root disk, so the config disk is the only one) that starts
 * with the block's magic. An ext4 root disk starts with 1 KiB of zeros, so it is never taken for it.
 */
static const char *find_config(void)
{
	static const char *const devs[] = {"/dev/ubdb", "/dev/vdb", "/dev/vda"};
	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		char magic[sizeof(CAPSA_VMCFG_MAGIC) - 1];
		int fd = open(devs[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = pread(fd, magic, sizeof(magic), 0);
		close(fd);
		if (n == (ssize_t)sizeof(magic) && memcmp(magic, CAPSA_VMCFG_MAGIC, sizeof(magic)) == 0)
			return devs[i];
	}
	return NULL;
}

/*
 * UML watches its consoles' host fds with edge-triggered epoll and only looks at them on a SIGIO. Input
 * that was already waiting in the host pipe when the guest opened the console raises none, so it would sit
 * there until some other I/O brings a SIGIO: with the ext4 root the disk's traffic always did, with an
 * initramfs nothing may (a process that reads its stdin first then waits for ever). One uncached read of
 * the config disk completes through UML's I/O thread with a SIGIO, and UML then sees every ready fd.
 */
static void uml_poll_inputs(const char *cfgdev)
{
	static char sector[4096] __attribute__((aligned(4096)));
	int fd = open(cfgdev, O_RDONLY | O_DIRECT | O_CLOEXEC);

	if (fd < 0)
		return;
	if (pread(fd, sector, sizeof(sector), 0) < 0)
		say(cfgdev, strerror(errno));
	close(fd);
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

/* A console in the line discipline's default (cooked) mode, for a process that gets it as its terminal. */
static void tty_sane(int fd)
{
	struct termios t;

	if (tcgetattr(fd, &t) < 0)
		return;
	t.c_iflag = ICRNL | IXON | IMAXBEL | IUTF8;
	t.c_oflag = OPOST | ONLCR;
	t.c_cflag = (t.c_cflag & ~(tcflag_t)(CSIZE | PARENB)) | CS8 | CREAD;
	t.c_lflag = ISIG | ICANON | IEXTEN | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE;
	tcsetattr(fd, TCSANOW, &t);
}

/* The relay (a child of PID 1): the console's stream decoded into the process's stdin pipe, closed at the
 * end the host sent (see vm/vmstdio.h). */
static void __attribute__((noreturn)) stdin_relay(int con, int to)
{
	static uint8_t buf[4096], plain[4096];
	struct capsa_vmstdio_dec d = {0};

	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		ssize_t n = read(con, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);
		size_t k;
		int r = capsa_vmstdio_decode(&d, buf, (size_t)n, plain, &k);
		for (size_t off = 0; off < k;) {
			ssize_t w = write(to, plain + off, k - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				_exit(0); /* the process closed its stdin */
			off += (size_t)w;
		}
		if (r != 0)
			_exit(0);
	}
}

/*
 * The process's stdin, opened by PID 1 so that the relay is its child, not the process's: with a tty the
 * terminal itself (ttydev, cooked), else a pipe fed from the stdin console (UML's tty3, KVM's hvc0 whose
 * output is the process's). -1 with errno set.
 */
static int stdin_open(const struct capsa_vmcfg *c, const char *ttydev)
{
	if (c->tty) {
		int fd = open(ttydev, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (fd >= 0)
			tty_sane(fd);
		return fd;
	}
	const char *dev = strncmp(ttydev, "/dev/tty", 8) == 0 ? "/dev/tty3" : ttydev;
	int con = open_console(dev), p[2];
	if (con < 0)
		return -1;
	if (pipe2(p, O_CLOEXEC) < 0) {
		close(con);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		stdin_relay(con, p[1]);
	}
	int e = errno;
	close(con);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		errno = e;
		return -1;
	}
	return p[0];
}

static void child(const struct capsa_vmcfg *c, int in, int out, int errfd)
{
	setsid();
	/* With -t the terminal is the session's, as a container's; stdout and stderr go to it too. */
	if (c->tty && ioctl(in, TIOCSCTTY, 0) < 0)
		_exit(126);
	if (dup2(in, 0) < 0 || dup2(c->tty ? in : out, 1) < 0 || dup2(c->tty ? in : errfd, 2) < 0)
		_exit(126);
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

static void set_sin(struct sockaddr *sa, uint32_t host_order)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(host_order);
}

static int if_up(int s, const char *name)
{
	struct ifreq r = {0};
	snprintf(r.ifr_name, sizeof(r.ifr_name), "%s", name);
	if (ioctl(s, SIOCGIFFLAGS, &r) < 0)
		return -1;
	r.ifr_flags |= IFF_UP | IFF_RUNNING;
	return ioctl(s, SIOCSIFFLAGS, &r);
}

/*
 * lo up always; with a network record, eth0 (UML's tuntap or virtio-net) gets the address, is set up and
 * becomes the default route. Plain ioctls: the init stays static and free of netlink libraries.
 * Returns NULL or what failed (errno set).
 */
static const char *net_setup(const struct capsa_vmcfg *c)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return "socket";
	if (if_up(s, "lo") < 0)
		say("lo", strerror(errno));
	if (!c->net) {
		close(s);
		return NULL;
	}
	struct ifreq r = {0};
	snprintf(r.ifr_name, sizeof(r.ifr_name), "eth0");
	set_sin(&r.ifr_addr, c->net_addr);
	if (ioctl(s, SIOCSIFADDR, &r) < 0)
		return "eth0 address";
	set_sin(&r.ifr_netmask, ~0u << (32 - c->net_prefix));
	if (ioctl(s, SIOCSIFNETMASK, &r) < 0)
		return "eth0 netmask";
	if (if_up(s, "eth0") < 0)
		return "eth0 up";
	struct rtentry rt = {0};
	set_sin(&rt.rt_dst, 0);
	set_sin(&rt.rt_genmask, 0);
	set_sin(&rt.rt_gateway, c->net_gw);
	rt.rt_flags = RTF_UP | RTF_GATEWAY;
	rt.rt_dev = "eth0";
	if (ioctl(s, SIOCADDRT, &rt) < 0 && errno != EEXIST)
		return "default route";
	close(s);
	return NULL;
}

/*
 * Replaces /etc/<name> with text through a new file renamed over it, so that a link in the image (say to a
 * resolver's file under /run) is replaced, not followed. All of it is the guest's own root disk, nothing
 * of the host's. -1 with errno set.
 */
static int put_etc(int etc, const char *name, const char *text)
{
	char tmp[64];
	size_t len = strlen(text), off = 0;

	snprintf(tmp, sizeof(tmp), ".capsa-%s.tmp", name);
	unlinkat(etc, tmp, 0);
	int fd = openat(etc, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	int e = off < len ? (errno ? errno : EIO) : 0;
	if (!e && fchmod(fd, 0644) < 0)
		e = errno;
	close(fd);
	if (!e && renameat(etc, tmp, etc, name) < 0)
		e = errno;
	if (e) {
		unlinkat(etc, tmp, 0);
		errno = e;
		return -1;
	}
	return 0;
}

/* /etc/hostname, /etc/hosts and /etc/resolv.conf as a container on the same network has them (the
 * records the host made); NULL or the file that failed (errno set). */
static const char *etc_setup(const struct capsa_vmcfg *c)
{
	if (!c->hostname && !c->etc_hosts && !c->etc_resolv)
		return NULL;
	if (mkdir("/etc", 0755) < 0 && errno != EEXIST)
		return "/etc";
	int etc = open("/etc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (etc < 0)
		return "/etc";
	const char *failed = NULL;
	if (c->hostname) {
		char line[80];
		snprintf(line, sizeof(line), "%s\n", c->hostname);
		if (put_etc(etc, "hostname", line) < 0)
			failed = "/etc/hostname";
	}
	if (!failed && c->etc_hosts && put_etc(etc, "hosts", c->etc_hosts) < 0)
		failed = "/etc/hosts";
	if (!failed && c->etc_resolv && put_etc(etc, "resolv.conf", c->etc_resolv) < 0)
		failed = "/etc/resolv.conf";
	int e = errno;
	close(etc);
	errno = e;
	return failed;
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

	cfgdev = find_config();
	if (cfgdev == NULL) {
		say("config disk", "none of /dev/ubdb, /dev/vdb, /dev/vda starts with " CAPSA_VMCFG_MAGIC);
		power_off();
	}
	if (strncmp(cfgdev, "/dev/ubd", 8) == 0) {
		outdev = "/dev/tty1";
		errdev = "/dev/tty2";
	} else {
		outdev = "/dev/hvc0";
		/* The VMM's second console when stderr has its own (not with -t). */
		errdev = access("/dev/hvc1", F_OK) == 0 ? "/dev/hvc1" : outdev;
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
	/* What waited on the consoles' host side is taken now, while they are raw (as disk traffic makes
	 * it happen with an ext4 root), not echoed once a terminal is made cooked for -t. */
	bool uml = strncmp(cfgdev, "/dev/ubd", 8) == 0;
	if (uml)
		uml_poll_inputs(cfgdev);

	const char *failed = net_setup(&c);
	if (failed) {
		/* A VM asked for a network runs with it or not at all; the reason goes to its stderr. */
		dprintf(errfd, "capsa-vminit: network: %s: %s\n", failed, strerror(errno));
		tcdrain(errfd);
		write_status(cfgdev, 125);
		power_off();
	}
	if ((failed = etc_setup(&c)) != NULL) {
		/* As a container whose /etc files cannot be made: it does not run. */
		dprintf(errfd, "capsa-vminit: %s: %s\n", failed, strerror(errno));
		tcdrain(errfd);
		write_status(cfgdev, 125);
		power_off();
	}

	int in = stdin_open(&c, outdev);
	if (in >= 0 && uml && !c.tty)
		uml_poll_inputs(cfgdev); /* the stdin console (tty3) was opened just now */
	if (in < 0) {
		dprintf(errfd, "capsa-vminit: stdin: %s\n", strerror(errno));
		tcdrain(errfd);
		write_status(cfgdev, 125);
		power_off();
	}
	pid_t pid = fork();
	if (pid < 0) {
		say("fork", strerror(errno));
		power_off();
	}
	if (pid == 0)
		child(&c, in, out, errfd);
	close(in);
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
