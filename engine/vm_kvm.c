// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The KVM backend of `capsa run --vm` (see engine/vm_kvm.h): the same ext4 image and config disk as the UML
 * backend, booted by capsa's own VMM in the VM's host process.
 */
#define _GNU_SOURCE
#include "engine/vm_kvm.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "engine/engine.h"
#include "netns/tap.h"
#include "vm/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

char *engine_vm_kvm_cmdline(bool quiet)
{
	return engine_vm_kvm_cmdline_root(quiet, false);
}

char *engine_vm_kvm_cmdline_root(bool quiet, bool initramfs)
{
	/*
	 * ttyS0 (the UART) carries kernel messages only; the process has hvc0. The root is writable: the
	 * VMM makes the image's disk (shared by every VM of that image) copy-on-write, as UML's COW file
	 * does for the other backend, so the file itself never changes. panic=-1 turns a panic into an
	 * immediate reboot, which the VMM reports, instead of a guest that spins for ever. No PCI, ACPI or
	 * i8042 is built in, so nothing is probed.
	 */
	/* An initramfs is unpacked into the rootfs, a tmpfs when no root= names a device; its init is
	 * rdinit=. */
	return xasprintf("console=ttyS0 %s panic=-1 reboot=t tsc=reliable%s",
			 initramfs ? "rdinit=/capsa-vminit"
				   : "root=/dev/vda rw rootfstype=ext4 init=/capsa-vminit",
			 quiet ? " quiet loglevel=4" : "");
}

static int kernel_usable(const char *path, struct capsa_error **err)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return capsa_error_errno(err, "%s", path);
	if (!S_ISREG(st.st_mode))
		return capsa_error_set(err, EINVAL, "%s: not a regular file", path);
	if (access(path, R_OK) < 0)
		return capsa_error_errno(err, "%s", path);
	return 0;
}

int engine_vm_kvm_kernel(const char *opt, const char *exe_dir, char **out, struct capsa_error **err)
{
	if (opt) {
		if (*opt == '\0')
			return capsa_error_set(err, EINVAL, "--kernel: empty path");
		if (kernel_usable(opt, err) < 0)
			return capsa_error_prefix(err, "--kernel");
		*out = xstrdup(opt);
		return 0;
	}
	_cleanup_free_ char *built = xasprintf("%s/%s", exe_dir, ENGINE_VM_KVM_KERNEL_BUILD);
	_cleanup_free_ char *installed = xasprintf("%s/%s", exe_dir, ENGINE_VM_KVM_KERNEL_INSTALLED);
	const char *cands[] = {built, installed};
	for (size_t i = 0; i < ARRAY_SIZE(cands); i++) {
		struct capsa_error *e = NULL;
		if (kernel_usable(cands[i], &e) == 0) {
			*out = xstrdup(cands[i]);
			return 0;
		}
		capsa_error_free(e);
	}
	return capsa_error_set(
		err, ENOENT,
		"no guest kernel: neither %s nor %s exists (build it with make vm-kernel, or give "
		"--kernel PATH)",
		built, installed);
}

bool engine_vm_kvm_allow_pvm(void)
{
	const char *v = getenv("CAPSA_VM_ALLOW_PVM");
	return v && strcmp(v, "1") == 0;
}

static char *exe_dir(void)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return xstrdup(".");
	exe[n] = '\0';
	return xstrdup(dirname(exe));
}

int engine_vm_kvm_choose(const struct capsa_run_opts *o, char **kernel, struct capsa_error **err)
{
	*kernel = NULL;
	bool forced = o->hypervisor && strcmp(o->hypervisor, "kvm") == 0;
	if (o->hypervisor && !forced)
		return 0; /* uml, checked by the caller */
	if (!forced && o->kernel == NULL) {
		/* Plain --vm: KVM only where it can run Linux and a kernel is there; UML otherwise. */
		struct capsa_error *e = NULL;
		int r = capsa_vm_check_linux_host(&e);
		capsa_error_free(e);
		if (r < 0)
			return 0;
	} else if (!engine_vm_kvm_allow_pvm() && capsa_vm_check_linux_host(err) < 0) {
		return capsa_error_prefix(err, forced ? "--hypervisor kvm" : "--kernel");
	} else if (access("/dev/kvm", R_OK | W_OK) < 0) {
		return capsa_error_errno(err, "%s: /dev/kvm", forced ? "--hypervisor kvm" : "--kernel");
	}
	_cleanup_free_ char *dir = exe_dir();
	struct capsa_error *e = NULL;
	if (engine_vm_kvm_kernel(o->kernel, dir, kernel, &e) < 0) {
		if (!forced && o->kernel == NULL) {
			capsa_error_free(e);
			return 0;
		}
		*err = e;
		return capsa_error_prefix(err, "--vm");
	}
	return 1;
}

unsigned engine_vm_kvm_vcpus(int64_t nano_cpus)
{
	if (nano_cpus <= 0)
		return 1;
	int64_t n = (nano_cpus + 999999999) / 1000000000;
	return n > 64 ? 64 : (unsigned)n;
}

void engine_vm_kvm_mac(const char *id, uint8_t mac[6])
{
	uint64_t h = capsa_fnv1a64(id, strlen(id));
	mac[0] = 0x02; /* locally administered, unicast */
	mac[1] = 0xca;
	mac[2] = 0x95;
	mac[3] = (uint8_t)(h >> 16);
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
}

/* The VM's tap on its network (made by engine/vm_net.c, persistent), opened as the VMM's packet queue; -1
 * when the VM has no network. */
static int open_tap(const char *id)
{
	char tap[CAPSA_TAP_NAME_MAX + 1];
	if (capsa_tap_name_build(id, tap, sizeof(tap), NULL) < 0 || !capsa_tap_is_tap(tap))
		return -1;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI};
	memcpy(ifr.ifr_name, tap, strlen(tap) + 1);
	if (fd >= 0 && ioctl(fd, TUNSETIFF, &ifr) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* CAPSA_VM_KERNEL_LOG=FILE (a developer switch): the guest's kernel messages are kept there, since the
 * scratch dir with kernel.log goes with the VM. */
static void keep_kernel_log(const char *log)
{
	const char *to = getenv("CAPSA_VM_KERNEL_LOG");
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	struct capsa_error *e = NULL;
	if (to && *to &&
	    (capsa_read_file_at(AT_FDCWD, log, 4 << 20, &data, &len, &e) < 0 ||
	     capsa_write_file_atomic_at(AT_FDCWD, to, data, len, 0600, &e) < 0))
		capsa_error_free(e);
}

void engine_vm_kvm_exec(const char *scratch, const char *kernel, const char *disk, bool initramfs,
			int64_t memory, unsigned vcpus, int out_fd, int err_fd, int in_fd, int stop_fd)
{
	/* The VMM's vCPU kicks are SIGRTMIN+3: nothing the host process blocked may stay blocked. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_NAME, "capsa-vmm", 0, 0, 0);
	_cleanup_free_ char *log = xasprintf("%s/kernel.log", scratch);
	_cleanup_free_ char *cfgdisk = xasprintf("%s/config", scratch);
	/* Whoever keeps the kernel's messages wants all of them (the boot's exits count only otherwise). */
	const char *keep = getenv("CAPSA_VM_KERNEL_LOG");
	_cleanup_free_ char *cmdline = engine_vm_kvm_cmdline_root(!(keep && *keep), initramfs);
	/* scratch is run_root/vm-<first 12 of the id>, as the UML backend finds its tap. */
	const char *id = strrchr(scratch, '/') ? strrchr(scratch, '/') + 4 : "";
	int tap = open_tap(id);
	int klog = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	struct capsa_vm_config cfg = {
		.mem_mib = memory > 0 ? (uint64_t)memory >> 20 : 256,
		.vcpus = vcpus,
		.kernel = kernel,
		.cmdline = cmdline,
		.initrd = initramfs ? disk : NULL,
		.disk = initramfs ? NULL : disk,
		.disk_cow_dir = scratch, /* the overlay: unlinked at once, in the VM's tmpfs scratch dir */
		.disk2 = cfgdisk,
		.serial_out_fd = klog,
		.console_in_fd = in_fd,
		.console_out_fd = out_fd,
		.console_err_fd = err_fd,
		.stop_fd = stop_fd,
		.allow_pvm_linux = engine_vm_kvm_allow_pvm(),
		.net_tap_fd = tap,
	};
	engine_vm_kvm_mac(id, cfg.net_mac);
	struct capsa_vm_result res = {0};
	struct capsa_error *err = NULL;
	if (capsa_vm_run(&cfg, &res, &err) < 0) {
		if (klog >= 0)
			dprintf(klog, "capsa-vmm: the VM could not start: %s\n", err->msg);
		keep_kernel_log(log);
		_exit(125);
	}
	/* The last line of the log: what the caller reports when the guest left no exit status. */
	if (klog >= 0)
		dprintf(klog, "\ncapsa-vmm: the guest ended: %s%s%s%s (%llu exits)\n",
			capsa_vm_end_name(res.end), res.detail ? " (" : "", res.detail ? res.detail : "",
			res.detail ? ")" : "", (unsigned long long)res.exits.total);
	keep_kernel_log(log);
	switch (res.end) {
	case CAPSA_VM_END_EXIT:
	case CAPSA_VM_END_HALT:
		/* vminit wrote the status to the config disk before powering off; the caller reads it. */
		_exit(0);
	case CAPSA_VM_END_STOPPED:
		signal(SIGKILL, SIG_DFL);
		kill(getpid(), SIGKILL);
		_exit(137);
	default:
		_exit(125);
	}
}
