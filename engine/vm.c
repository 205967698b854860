// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `capsa run --vm`: a container whose process runs in a micro-VM. The image is flattened once into an ext4
 * file cached per image id (vm/<id>.ext4 under the store, temp + rename) holding capsa-vminit, or with
 * --vm-root initramfs (or auto, for a small image) into a newc cpio (vm/<id>.cpio) the guest kernel
 * unpacks into its tmpfs; the config
 * disk is kept with the record, and each start gets a scratch dir (run/vm-<id>) with a copy of it (which
 * carries the exit status back) and the copy-on-write file, so the cached image is never written. The
 * monitor holds the VM's host process as the container's process, so logs, attach, stop, kill, wait, --rm
 * and restarts are the container's. Backend here: User-mode Linux (linux.uml), since this host's /dev/kvm
 * (PVM) never brings a stock kernel to user space.
 */
#define _GNU_SOURCE
#include "engine/internal.h"
#include "engine/vm_kvm.h"
#include "cgroups/cgroups.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/path.h"
#include "common/util.h"
#include "image/image.h"
#include "vm/initramfs.h"
#include "vm/vm.h"
#include "vm/vmconfig.h"
#include "vm/vmstdio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <termios.h>
#include <unistd.h>

static char *helper_path(const char *name)
{
	/* engine_helper_path sees through a sealed binary (the monitor, which remakes a pruned root). */
	char *p = engine_helper_path(name);
	if (p)
		return p;
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return xstrdup(name);
	exe[n] = '\0';
	return xasprintf("%s/%s", dirname(exe), name);
}

/*
 * Runs argv with stdin/stdout on /dev/null (its stderr is the user's, for the tool's own words); its exit
 * status. The tool is looked for in PATH and then in /usr/sbin and /sbin, which a root shell from plain
 * `su` leaves out of PATH on Debian; not finding it is said as such, not as a status 127.
 */
static int run_tool(char *const *argv, struct capsa_error **err)
{
	int ep[2];
	if (pipe2(ep, O_CLOEXEC) < 0)
		return capsa_error_errno(err, "pipe");
	pid_t pid = fork();
	int st;

	if (pid < 0) {
		close(ep[0]);
		close(ep[1]);
		return capsa_error_errno(err, "fork");
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		dup2(nul, 0);
		dup2(nul, 1);
		execvp(argv[0], argv);
		int e = errno;
		static const char *const sbin[] = {"/usr/sbin/", "/sbin/"};
		for (size_t i = 0; e == ENOENT && i < ARRAY_SIZE(sbin); i++) {
			char path[256];
			snprintf(path, sizeof(path), "%s%s", sbin[i], argv[0]);
			execv(path, argv);
			if (errno != ENOENT)
				e = errno;
		}
		(void)!write(ep[1], &e, sizeof(e));
		_exit(127);
	}
	close(ep[1]);
	int e = 0;
	ssize_t n;
	do {
		n = read(ep[0], &e, sizeof(e));
	} while (n < 0 && errno == EINTR);
	close(ep[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return capsa_error_errno(err, "waitpid %s", argv[0]);
	if (n == (ssize_t)sizeof(e))
		return capsa_error_set(err, e, "%s: %s", argv[0],
				       e == ENOENT ? "not found in PATH, /usr/sbin or /sbin" : strerror(e));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return capsa_error_set(err, 0, "%s failed (status %d)", argv[0],
				       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
}

static int copy_file(const char *src, int dirfd, const char *name, struct capsa_error **err)
{
	_cleanup_free_ char *data = NULL;
	size_t len;

	if (capsa_read_file_at(AT_FDCWD, src, 16 << 20, &data, &len, err) < 0)
		return capsa_error_prefix(err, "the guest init %s", src);
	return capsa_write_file_atomic_at(dirfd, name, data, len, 0755, err);
}

/* Which capsa-vminit a disk holds, kept on the disk file itself (an xattr, so nothing is left beside it):
 * its size and modification time. */
#define VMINIT_XATTR "user.capsa.vminit"

static char *vminit_stamp(const char *init)
{
	struct stat st;
	if (stat(init, &st) < 0)
		return NULL;
	return xasprintf("%lld:%lld.%09ld", (long long)st.st_size, (long long)st.st_mtim.tv_sec,
			 st.st_mtim.tv_nsec);
}

/* A disk is reused unless it holds another capsa-vminit than the one next to capsa (say, from before an
 * upgrade: an old init would run the process without the stdin or terminal the config asks for). A file
 * system without user xattrs keeps every disk. */
static bool disk_current(const char *path, const char *stamp)
{
	char have[128];
	ssize_t n = getxattr(path, VMINIT_XATTR, have, sizeof(have));
	if (stamp == NULL || (n < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP)))
		return true;
	return n >= 0 && (size_t)n == strlen(stamp) && memcmp(have, stamp, (size_t)n) == 0;
}

/* The flattened image as a newc cpio (vm/initramfs.c), written to path. */
static int write_cpio(const char *rootfs, const char *path, struct capsa_error **err)
{
	_cleanup_close_ int dfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return capsa_error_errno(err, "%s", rootfs);
	_cleanup_close_ int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return capsa_error_errno(err, "%s", path);
	struct capsa_initramfs_stats st;
	if (capsa_initramfs_write(dfd, out, &st, err) < 0)
		return -1;
	capsa_debug("initramfs %s: %llu members, %llu bytes of files", path, (unsigned long long)st.entries,
		    (unsigned long long)st.file_bytes);
	return 0;
}

/* The cached root file of an image: its ext4 disk or its initramfs. */
static const char *root_suffix(bool initramfs)
{
	return initramfs ? "cpio" : "ext4";
}

/*
 * vm/<image id>.ext4 or .cpio: made once per image (flattened rootfs + /capsa-vminit) and again when
 * capsa-vminit changed, atomically, under the image store's exclusive lock. An uncompressed cpio: UML
 * reads the file from the host's page cache in one go, and a gzip'd one only adds the guest's inflate to
 * every boot (bench/vm.sh measures both).
 */
static int ensure_root(struct capsa_image_store *s, const struct capsa_image *img, const char *ref,
		       bool initramfs, char **out, struct capsa_error **err)
{
	const char *hex = strchr(img->id, ':') ? strchr(img->id, ':') + 1 : img->id;
	const char *root = capsa_image_store_root(s);
	_cleanup_free_ char *dir = xasprintf("%s/vm", root);
	_cleanup_free_ char *path = xasprintf("%s/%s.%s", dir, hex, root_suffix(initramfs));
	_cleanup_free_ char *init = helper_path("capsa-vminit");
	_cleanup_free_ char *stamp = vminit_stamp(init);

	if (access(path, R_OK) == 0 && disk_current(path, stamp)) {
		*out = TAKE_PTR(path);
		return 0;
	}
	if (capsa_mkdir_p(dir, 0700, err) < 0)
		return -1;
	/* The caller holds the store's exclusive lock: no one else makes this file now, so names fixed per
	 * image are safe, and what a killed run left under them is garbage, removed first. */
	_cleanup_free_ char *cid = xasprintf("capsa-vm-%.16s", hex);
	_cleanup_free_ char *tmp = xasprintf("%s/.%s%s.tmp", dir, cid, initramfs ? ".cpio" : "");
	struct capsa_error *e1 = NULL;
	if (capsa_image_rootfs_remove(s, cid, &e1) < 0)
		capsa_error_free(e1);
	unlink(tmp);
	struct capsa_image_rootfs *rf = NULL;
	struct capsa_rootfs_opts ro = {0};
	if (capsa_image_rootfs_prepare(s, ref, cid, &ro, &rf, err) < 0)
		return capsa_error_prefix(err, "flattening %s", ref);
	int rc = -1;
	int rfd = open(rf->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0) {
		capsa_error_errno(err, "%s", rf->path);
		goto out;
	}
	rc = copy_file(init, rfd, "capsa-vminit", err);
	close(rfd);
	if (rc < 0)
		goto out;
	if (initramfs) {
		rc = write_cpio(rf->path, tmp, err);
	} else {
		/* Room for the files, the journal and what the process writes (the COW file holds them). */
		_cleanup_free_ char *size =
			xasprintf("%lldM", (long long)(img->size / (1 << 20)) * 13 / 10 + 64);
		char *argv[] = {"mkfs.ext4", "-q",     "-F", "-E", "root_owner=0:0",
				"-d",	     rf->path, tmp,  size, NULL};
		rc = run_tool(argv, err);
	}
	if (rc < 0) {
		capsa_error_prefix(err, "making the VM %s of %s", initramfs ? "initramfs" : "disk", ref);
		unlink(tmp);
		goto out;
	}
	/* Without the stamp (no user xattrs here) the file is simply kept, as before. */
	if (stamp)
		setxattr(tmp, VMINIT_XATTR, stamp, strlen(stamp), 0);
	if (rename(tmp, path) < 0) {
		rc = capsa_error_errno(err, "rename %s", path);
		unlink(tmp);
		goto out;
	}
	*out = TAKE_PTR(path);
out:;
	struct capsa_error *e2 = NULL;
	if (capsa_image_rootfs_remove(s, cid, &e2) < 0)
		capsa_error_free(e2);
	capsa_image_rootfs_free(rf);
	return rc;
}

static int build_config(struct capsa_image_store *s, const struct capsa_image *img,
			const struct capsa_run_opts *o, char *block, struct capsa_ctr *rec,
			struct capsa_error **err)
{
	struct capsa_image_overrides ov = {.cmd = o->cmd,
					   .n_cmd = o->n_cmd,
					   .env = o->env,
					   .n_env = o->n_env,
					   .user = o->user,
					   .workdir = o->workdir};
	char *ep[1] = {(char *)o->entrypoint};
	if (o->entrypoint) {
		ov.entrypoint = ep;
		ov.n_entrypoint = o->entrypoint[0] ? 1 : 0;
	}
	struct capsa_image_runtime *rt = NULL;
	if (capsa_image_runtime_config(s, img, -1, &ov, &rt, err) < 0)
		return -1;
	struct oci_process *p = &rt->process;
	size_t argc = 0, n_env = 0;
	while (p->args && p->args[argc])
		argc++;
	while (p->env && p->env[n_env])
		n_env++;
	struct capsa_vmcfg c = {.argv = p->args,
				.argc = argc,
				.env = p->env,
				.n_env = n_env,
				.cwd = p->cwd,
				.uid = p->user.uid,
				.gid = p->user.gid,
				.hostname = (char *)o->hostname,
				.tty = o->tty};
	const char *why = NULL;
	int rc = capsa_vmcfg_encode(&c, block, &why);
	if (rc < 0)
		capsa_error_set(err, EINVAL, "the VM config: %s", why);
	if (rc == 0 && rec) {
		rec->args = capsa_strv_dup(p->args, argc);
		rec->n_args = argc;
		rec->env = capsa_strv_dup(p->env, n_env);
		rec->n_env = n_env;
		rec->cwd = xstrdup(p->cwd ? p->cwd : "/");
	}
	capsa_image_runtime_free(rt);
	return rc;
}

/* UML's own files go to uml_dir/UML_UMID (the mconsole socket among them). uml_dir is the scratch dir as
 * UML's working directory ("."): the socket's path must fit sun_path (108 bytes), which an absolute path
 * under a long --root does not, and a stop would then find no mconsole and kill the VM. */
#define UML_UMID "capsa"

static const char *uml_path(void)
{
	const char *p = getenv("CAPSA_UML");
	return p && *p ? p : "/usr/bin/linux.uml";
}

/*
 * In the forked child: linux.uml with guest memory `memory`, the image's disk behind a COW file and the
 * config disk from scratch, kernel messages to scratch/kernel.log, con1/con2 on out_fd/err_fd and con3's
 * input (the encoded stdin) on in_fd. With a tty, con1 is the pty's slave both ways (in_fd) and con2 writes
 * to it too: UML makes the slave raw and forwards its window size to the guest's tty1. Its own process
 * group (UML's helpers join it, so they can all be killed at once), dying with its parent.
 */
static void __attribute__((noreturn)) exec_uml(const char *scratch, const char *disk, int root_fd,
					       int64_t memory, int out_fd, int err_fd, int in_fd, bool tty)
{
	char *mem = xasprintf("mem=%lldM", (long long)(memory > 0 ? memory >> 20 : 256));
	char *ubda = xasprintf("ubda=%s/cow,%s", scratch, disk);
	char *ubdb = xasprintf("ubdb=%s/config", scratch);
	/* An initramfs: UML reads the file into guest memory at boot and the kernel unpacks it into its
	 * rootfs, made a tmpfs by rootfstype= (UML itself adds root=98:0, which would make it a ramfs). The
	 * config disk stays in ubdb's slot, ubda is left out. */
	bool initramfs = root_fd >= 0;
	char *root[] = {ubda, "root=/dev/ubda", "rw", "init=/capsa-vminit"};
	if (initramfs) {
		root[0] = "initrd=/proc/self/fd/6"; /* root_fd, moved there below */
		root[1] = "rootfstype=tmpfs";
		root[2] = "rdinit=/capsa-vminit";
		root[3] = "rw";
	}
	char *kern = xasprintf("%s/kernel.log", scratch);
	const char *uml = uml_path();
	/* scratch is run_root/vm-<first 12 of the id>; NULL (no network) ends argv there. */
	char *eth0 = engine_vm_net_uml_arg(strrchr(scratch, '/') + 4);
	char *argv[] = {(char *)uml,
			mem,
			root[0],
			ubdb,
			root[1],
			root[2],
			root[3],
			"quiet",
			"umid=" UML_UMID,
			"uml_dir=.",
			"con=null",
			"con0=null,fd:1",
			tty ? "con1=fd:5" : "con1=null,fd:3",
			"con2=null,fd:4",
			tty ? "con3=null" : "con3=fd:5,null",
			eth0,
			NULL};
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	int k = open(kern, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* fds 3 to 5 may be out_fd/err_fd/in_fd themselves: move them above first. */
	int o = fcntl(out_fd, F_DUPFD_CLOEXEC, 10), e = fcntl(err_fd, F_DUPFD_CLOEXEC, 10);
	int i = fcntl(in_fd, F_DUPFD_CLOEXEC, 10);
	int r = initramfs ? fcntl(root_fd, F_DUPFD_CLOEXEC, 10) : -1;
	if (k < 0 || nul < 0 || o < 0 || e < 0 || i < 0 || dup2(nul, 0) < 0 || dup2(k, 1) < 0 ||
	    dup2(k, 2) < 0 || dup2(o, 3) < 0 || dup2(e, 4) < 0 || dup2(i, 5) < 0 ||
	    (initramfs && (r < 0 || dup2(r, 6) < 0)))
		_exit(125);
	capsa_cloexec_from(initramfs ? 7 : 6);
	if (chdir(scratch) < 0)
		_exit(125);
	/* UML backs guest memory with a file in TMPDIR: the scratch dir, removed afterwards. */
	setenv("TMPDIR", scratch, 1);
	execv(uml, argv);
	_exit(127);
}

/* The kernel's reason for stopping: its panic line, else its last line. */
static char *last_line(const char *path)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	struct capsa_error *e = NULL;

	if (capsa_read_file_at(AT_FDCWD, path, 1 << 20, &data, &len, &e) < 0) {
		capsa_error_free(e);
		return xstrdup("no kernel output");
	}
	/* A panic's own line says more than the stack dump that follows it. */
	char *panic = strstr(data, "Kernel panic");
	if (panic)
		return xstrndup(panic, strcspn(panic, "\r\n"));
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r' || data[len - 1] == ' '))
		data[--len] = '\0';
	char *nl = strrchr(data, '\n');
	return xstrdup(nl ? nl + 1 : data);
}

int engine_vm_check(const struct capsa_run_opts *o, const char **network, struct capsa_error **err)
{
	/* The one place a VM's network is decided: the one asked for or the default, as a container's
	 * (engine/vm_net.c puts the VM on it, with its published ports). */
	if (!strcmp(*network, "host"))
		return capsa_error_set(err, EINVAL, "--vm: --network host: a micro-VM has its own kernel");
	int ss = o->stop_signal;
	if (ss && ss != SIGTERM && ss != SIGINT && ss != SIGQUIT && ss != SIGHUP && ss != SIGKILL)
		return capsa_error_set(
			err, 0,
			"--vm: --stop-signal %d: a micro-VM stops with SIGTERM, SIGINT, SIGQUIT, "
			"SIGHUP (its processes get SIGTERM) or SIGKILL",
			ss);
	if (o->hypervisor && strcmp(o->hypervisor, "uml") != 0 && strcmp(o->hypervisor, "kvm") != 0)
		return capsa_error_set(err, EINVAL, "--hypervisor %s: not kvm or uml", o->hypervisor);
	if (o->kernel && o->hypervisor && strcmp(o->hypervisor, "uml") == 0)
		return capsa_error_set(err, EINVAL, "--kernel %s: only for --hypervisor kvm", o->kernel);
	enum capsa_vm_root root;
	if (capsa_vm_root_parse(o->vm_root, &root, err) < 0)
		return -1;
	/* The KVM backend (engine/vm_kvm.c) where it can run, else UML. */
	_cleanup_free_ char *kernel = NULL;
	int kvm = engine_vm_kvm_choose(o, &kernel, err);
	if (kvm != 0)
		return kvm < 0 ? -1 : 0;
	if (access(uml_path(), X_OK) < 0)
		return capsa_error_set(
			err, errno,
			"--vm: %s: User-mode Linux is needed (/dev/kvm here is PVM, where a stock "
			"kernel never reaches user space); install user-mode-linux",
			uml_path());
	return 0;
}

/* ---- a micro-VM as a container: the monitor holds the VM's host process as the container's process ---- */

#define VM_CONFIG_FILE "vm.config"
#define VM_ERROR_FILE "error"
#define VM_KERNEL_FILE "vm.kernel" /* the KVM backend's guest kernel; absent for UML */
#define VM_CGROUP_FILE "vm.cgroup"
/* What the VM's host process gets when its monitor dies (a signal no one sends to a VM). */
#define VM_ORPHANED (SIGRTMIN + 3)

/* Per container, in the runtime dir (tmpfs: UML's memory file goes there). 12 hex digits keep UML's
 * mconsole socket path short enough for sun_path under any reasonable root. */
char *engine_vm_scratch(struct capsa_engine *e, const char *id)
{
	return xasprintf("%s/vm-%.12s", e->run_root, id);
}

/* Without --vm-root: the disk. Booting busybox through UML, an initramfs saves nothing measurable (the
 * kernel's own start dominates, bench/vm.sh), and the disk is what every VM got before --vm-root. */
#define ENGINE_VM_ROOT_DEFAULT CAPSA_VM_ROOT_DISK

static bool ctr_initramfs(const struct capsa_ctr *c)
{
	return c->vm_root && strcmp(c->vm_root, "initramfs") == 0;
}

/* The cached file the VM boots from: the image's ext4 disk or its initramfs. */
static char *vm_disk(struct capsa_engine *e, const struct capsa_ctr *c)
{
	const char *hex =
		c->image_id && strchr(c->image_id, ':') ? strchr(c->image_id, ':') + 1 : c->image_id;
	return xasprintf("%s/vm/%s.%s", e->root, hex ? hex : "", root_suffix(ctr_initramfs(c)));
}

int engine_vm_prepare(struct capsa_engine *e, struct capsa_image_store *s, const struct capsa_image *img,
		      const struct capsa_run_opts *o, struct capsa_ctr *c, struct capsa_error **err)
{
	_cleanup_free_ char *block = xzalloc(CAPSA_VMCFG_SIZE);
	_cleanup_free_ char *disk = NULL;
	_cleanup_free_ char *kernel = NULL;
	enum capsa_vm_root asked = ENGINE_VM_ROOT_DEFAULT;
	int kvm = engine_vm_kvm_choose(o, &kernel, err);
	if (kvm < 0 || (o->vm_root && capsa_vm_root_parse(o->vm_root, &asked, err) < 0))
		return -1;
	/* auto: the rule picks by the image's size and the guest's memory. capsa's KVM guest kernel (make
	 * vm-kernel) is built without initrd support, so auto keeps the disk there. */
	enum capsa_vm_root r = kvm && asked == CAPSA_VM_ROOT_AUTO
				       ? CAPSA_VM_ROOT_DISK
				       : capsa_vm_root_choose(asked, img->size > 0 ? (uint64_t)img->size : 0,
							      o->memory > 0 ? (uint64_t)o->memory : 0);
	bool initramfs = r == CAPSA_VM_ROOT_INITRAMFS;
	if (build_config(s, img, o, block, c, err) < 0 ||
	    ensure_root(s, img, o->image, initramfs, &disk, err) < 0 ||
	    engine_vm_net_setup(e, s, img, o, c, block, err) < 0)
		return -1;
	_cleanup_close_ int dfd = ctr_dir_open(e, c->id, err);
	if (dfd < 0 || write_atomic_nosync(dfd, VM_CONFIG_FILE, block, CAPSA_VMCFG_SIZE, 0600, err) < 0)
		return -1;
	/* rootfs/<id>/image is how the image store knows an image is in use (rmi refuses it, prune keeps it
	 * and its disk); removed with the container like any container's rootfs dir. */
	_cleanup_free_ char *use = xasprintf("%s/rootfs/%s", e->root, c->id);
	_cleanup_free_ char *use_file = xasprintf("%s/image", use);
	if (capsa_mkdir_p(use, 0700, err) < 0 ||
	    capsa_write_file_atomic_at(AT_FDCWD, use_file, img->id, strlen(img->id), 0600, err) < 0)
		return -1;
	/* The VM's host processes get a cgroup as a container's process does (same parent): CPU limits,
	 * accounting for stats, and one place to kill them all. */
	_cleanup_free_ char *cg = c->cgroup_path ? xstrdup(c->cgroup_path) : engine_cgroups_path(o, c->id);
	if (write_atomic_nosync(dfd, VM_CGROUP_FILE, cg, strlen(cg), 0600, err) < 0)
		return -1;
	if (kvm && write_atomic_nosync(dfd, VM_KERNEL_FILE, kernel, strlen(kernel), 0600, err) < 0)
		return -1;
	c->vm = xstrdup(kvm ? "kvm" : "uml");
	free(c->vm_root);
	c->vm_root = xstrdup(capsa_vm_root_name(r));
	return ctr_write_record(e, c, true, err);
}

ssize_t engine_vm_mconsole_request(const char *cmd, void *buf, size_t cap)
{
	struct {
		uint32_t magic, version, len;
		char data[512];
	} req = {.magic = 0xcafebabe, .version = 2};
	size_t n = strlen(cmd);
	/* UML refuses a request whose data fills the buffer: it NUL-terminates in place. */
	if (n >= sizeof(req.data) || cap < sizeof(req))
		return -1;
	memcpy(req.data, cmd, n);
	req.len = (uint32_t)n;
	memcpy(buf, &req, sizeof(req));
	return (ssize_t)sizeof(req);
}

/* Asks the guest kernel, through UML's management console, for a SysRq: 'e' sends SIGTERM to every process
 * but init, which then reports the process's status and powers off. -1 when the console is not up. */
static int mconsole_sysrq(const char *scratch, char key)
{
	char cmd[16], req[600];
	snprintf(cmd, sizeof(cmd), "sysrq %c", key);
	ssize_t len = engine_vm_mconsole_request(cmd, req, sizeof(req));
	/* The socket through the scratch dir's fd: a short path whatever the root's length. */
	_cleanup_close_ int dfd = open(scratch, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct sockaddr_un to = {.sun_family = AF_UNIX};
	if (len < 0 || dfd < 0)
		return -1;
	char dir[CAPSA_FD_PATH_MAX];
	capsa_fd_path(dfd, dir);
	snprintf(to.sun_path, sizeof(to.sun_path), "%s/%s/mconsole", dir, UML_UMID);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	sa_family_t fam = AF_UNIX;
	/* Autobind (an abstract address): UML replies to the sender, and nothing is left on disk. */
	if (fd < 0 || bind(fd, (struct sockaddr *)&fam, sizeof(fam)) < 0)
		return -1;
	return sendto(fd, req, (size_t)len, 0, (struct sockaddr *)&to, sizeof(to)) < 0 ? -1 : 0;
}

int engine_vm_exit_code(const char *disk, size_t len, int wait_status, bool killed)
{
	int code;
	if (disk && len >= CAPSA_VMCFG_SIZE &&
	    capsa_vmcfg_status_parse(disk + CAPSA_VMCFG_STATUS_OFF, 512, &code) == 0)
		return code;
	/* Killed from outside (capsa kill, a stop before the guest could be asked, kill -9 of linux.uml): as
	 * a container's process killed by SIGKILL. Anything else without a status is the guest failing. */
	if (killed || (WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGKILL))
		return 128 + SIGKILL;
	return -1;
}

/*
 * Stdin for the guest (vm/vmstdio.h), in a child of the VM's host process: what comes from in, encoded,
 * then the end. It stays until killed (by its parent's death at the latest), holding the console's input
 * open: UML hangs the guest's console up at EOF, dropping what the guest has not read yet.
 */
static void __attribute__((noreturn)) stdin_relay(int in, int to)
{
	static uint8_t buf[4096], enc[2 * sizeof(buf)];

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		/* A guest gone (EPIPE: SIGPIPE is blocked here) has no use for the rest. */
		if (capsa_write_all(to, enc, capsa_vmstdio_encode(buf, (size_t)n, enc)) < 0)
			_exit(0);
	}
	size_t k = capsa_vmstdio_end(enc);
	if (capsa_write_all(to, enc, k) < 0)
		_exit(0);
	close(in);
	for (;;)
		pause();
}

/*
 * The console input the guest reads its stdin from: the pty's slave with a tty; else a pipe carrying the
 * encoded stdin from fd in (a relay child, *relay) or, without -i (in < 0), just the end, its write side
 * kept open here. -1 on failure.
 */
static int console_input(bool tty, int slave, int in, pid_t *relay)
{
	*relay = -1;
	if (tty)
		return slave;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	if (in < 0) {
		uint8_t end[2];
		size_t k = capsa_vmstdio_end(end);
		return capsa_write_all(p[1], end, k) < 0 ? -1 : p[0];
	}
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(p[0]);
		stdin_relay(in, p[1]);
	}
	close(p[1]);
	close(in);
	*relay = pid;
	return p[0];
}

/*
 * The VM's host process, forked by the monitor: what the monitor reaps, signals and records as the
 * container's process. fd 3/4 are the process's stdout/stderr pipes (both the pty's slave with a tty), fd 6
 * its stdin pipe (with -i and no tty), start_fd the monitor's go. It exits
 * with the guest process's status (from the status disk), 137 when the VM was killed, and 125 with the
 * reason on stderr (hence the log) when the guest stopped without a status (a panic).
 */
static void __attribute__((noreturn))
vm_host(const char *scratch, const char *disk, int root_fd, const char *kernel, unsigned vcpus,
	int64_t memory, int start_fd, bool tty, int in)
{
	prctl(PR_SET_NAME, "capsa-vm", 0, 0, 0);
	/* Every signal is taken here, none is fatal: the VM's helper processes (UML's, in its process group)
	 * must be killed on every way out, which a process killed by a signal cannot do. */
	sigset_t set;
	sigfillset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	/* A VM nobody holds any more (its monitor killed) has no reader and no one to record it: it goes. */
	prctl(PR_SET_PDEATHSIG, VM_ORPHANED);
	char b;
	ssize_t n;
	do {
		n = read(start_fd, &b, 1);
	} while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(125); /* the monitor gave up before the start */
	close(start_fd);
	/* The KVM backend's VMM stops when this pipe becomes readable. */
	int stop[2] = {-1, -1};
	if (kernel && pipe2(stop, O_CLOEXEC) < 0) {
		dprintf(4, "capsa: --vm: pipe: %s\n", strerror(errno));
		_exit(125);
	}
	pid_t relay;
	int con_in = console_input(tty, 3, in, &relay);
	if (con_in < 0) {
		dprintf(4, "capsa: --vm: stdin: %s\n", strerror(errno));
		_exit(125);
	}
	pid_t pid = fork();
	if (pid < 0) {
		dprintf(4, "capsa: --vm: fork: %s\n", strerror(errno));
		_exit(125);
	}
	if (pid == 0 && kernel)
		engine_vm_kvm_exec(scratch, kernel,
				   root_fd >= 0 ? xasprintf("/proc/self/fd/%d", root_fd) : disk, root_fd >= 0,
				   memory, vcpus, 3, tty ? -1 : 4, con_in, stop[0]);
	if (pid == 0)
		exec_uml(scratch, disk, root_fd, memory, 3, 4, con_in, tty);
	setpgid(pid, pid);
	int st = 0;
	bool killed = false;
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);
		if (sig < 0)
			continue;
		if (sig == SIGCHLD) {
			if (waitpid(pid, &st, WNOHANG) == pid)
				break;
			continue;
		}
		/* The stop signals: the guest's processes get SIGTERM. Before the guest's console is up there
		 * is no one to ask: the VM is killed, as it is when its monitor died. Others are not for the
		 * VM (capsa kill refuses them). */
		bool term = sig == SIGTERM || sig == SIGINT || sig == SIGQUIT || sig == SIGHUP;
		bool asked =
			term && (kernel ? write(stop[1], "s", 1) == 1 : mconsole_sysrq(scratch, 'e') == 0);
		if (sig == VM_ORPHANED || (term && !asked)) {
			kill(-pid, SIGKILL);
			killed = true;
		}
	}
	kill(-pid, SIGKILL); /* UML's helper processes, if any are left */
	if (relay > 0)
		kill(relay, SIGKILL);
	_cleanup_free_ char *cfg = xasprintf("%s/config", scratch);
	_cleanup_free_ char *back = NULL;
	size_t len = 0;
	struct capsa_error *e = NULL;
	if (capsa_read_file_at(AT_FDCWD, cfg, CAPSA_VMCFG_SIZE, &back, &len, &e) < 0)
		capsa_error_clear(&e);
	int code = engine_vm_exit_code(back, len, st, killed);
	if (code >= 0)
		_exit(code);
	_cleanup_free_ char *kern = xasprintf("%s/kernel.log", scratch);
	_cleanup_free_ char *why = last_line(kern);
	_cleanup_free_ char *msg =
		xasprintf("--vm: the guest stopped without an exit status (%s %s %d; kernel: %s)",
			  kernel ? "capsa-vmm" : "linux.uml", WIFSIGNALED(st) ? "killed by signal" : "exit",
			  WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), why);
	dprintf(4, "capsa: %s\n", msg);
	_cleanup_free_ char *note = xasprintf("%s/%s", scratch, VM_ERROR_FILE);
	if (capsa_write_file_atomic_at(AT_FDCWD, note, msg, strlen(msg), 0600, &e) < 0)
		capsa_error_free(e);
	_exit(125);
}

/* SIGKILL to every process whose command line has the argument arg (linux.uml and its helpers carry
 * ubdb=<scratch>/config): they are found even when the monitor and the host process are gone. Returns how
 * many it found. */
/* Until none is left: `rm -f` returns once the VM is gone, not merely signalled (bounded: 5 s). */
static void kill_by_arg(const char *arg)
{
	for (int i = 0; i < 500 && engine_kill_by_cmdline(NULL, arg, NULL) > 0; i++)
		usleep(10000);
}

static int vm_cgroup(struct capsa_engine *e, const struct capsa_ctr *c, bool create,
		     struct capsa_cgroup **out, struct capsa_error **err)
{
	_cleanup_close_ int dfd = ctr_dir_open(e, c->id, err);
	_cleanup_free_ char *path = NULL;
	if (dfd < 0 || capsa_read_file_at(dfd, VM_CGROUP_FILE, 4096, &path, NULL, err) < 0)
		return -1;
	if (!create)
		return capsa_cgroup_open(path, out, err);
	if (capsa_cgroup_create(path, c->id, out, err) < 0)
		return -1;
	/* --cpus and the shares apply to the whole VM. Its memory is the guest's mem=, not a cgroup limit:
	 * UML's memory file (tmpfs) is charged here, and a limit at mem= would kill the VM at boot. */
	struct oci_cpu cpu = {0};
	if (c->nano_cpus > 0) {
		cpu.period = (struct oci_opt_u64){true, 100000};
		cpu.quota = (struct oci_opt_i64){true, c->nano_cpus / 10000};
	}
	if (c->cpu_shares > 0)
		cpu.shares = (struct oci_opt_u64){true, (uint64_t)c->cpu_shares};
	cpu.cpus = c->cpuset_cpus;
	struct oci_resources res = {.cpu = &cpu};
	if (capsa_cgroup_apply(*out, &res, err) < 0) {
		struct capsa_error *e2 = NULL;
		if (capsa_cgroup_destroy(*out, &e2) < 0)
			capsa_error_free(e2);
		capsa_cgroup_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

int engine_vm_cgroup_open(struct capsa_engine *e, const struct capsa_ctr *c, struct capsa_cgroup **out,
			  struct capsa_error **err)
{
	return vm_cgroup(e, c, false, out, err);
}

void engine_vm_cleanup(struct capsa_engine *e, struct capsa_ctr *c)
{
	_cleanup_free_ char *scratch = engine_vm_scratch(e, c->id);
	/* Called for every container removed (a record that cannot be read does not say it was a VM): a
	 * container that is no VM and has no scratch dir costs one stat. */
	if (c->vm == NULL && access(scratch, F_OK) < 0)
		return;
	struct capsa_cgroup *cg = NULL;
	struct capsa_error *e2 = NULL;
	if (vm_cgroup(e, c, false, &cg, &e2) == 0) {
		if (capsa_cgroup_kill_all(cg, SIGKILL, &e2) < 0 || capsa_cgroup_destroy(cg, &e2) < 0)
			capsa_warn("vm %.12s: cgroup: %s", c->id, e2->msg);
		capsa_cgroup_free(cg);
	}
	capsa_error_free(e2);
	/* Without a cgroup (or a process moved out of it): found by their command line. */
	_cleanup_free_ char *arg = xasprintf("ubdb=%s/config", scratch);
	kill_by_arg(arg);
	_cleanup_free_ char *note_path = xasprintf("%s/%s", scratch, VM_ERROR_FILE);
	_cleanup_free_ char *note = NULL;
	size_t len = 0;
	if (capsa_read_file_at(AT_FDCWD, note_path, 4096, &note, &len, NULL) == 0) {
		free(c->error);
		c->error = TAKE_PTR(note);
	}
	capsa_rm_rf_at(AT_FDCWD, scratch);
}

/* The VM's stdio: the monitor's ends in io, the host process's in kid (out, err, in; -1 for none). */
static int stdio_make(const struct capsa_ctr *c, struct engine_vm_stdio *io, int kid[3],
		      struct capsa_error **err)
{
	int out[2] = {-1, -1}, errp[2] = {-1, -1}, in[2] = {-1, -1};
	*io = (struct engine_vm_stdio){.out = -1, .err = -1, .in = -1, .master = -1};
	kid[0] = kid[1] = kid[2] = -1;
	if (c->tty) {
		char name[64];
		_cleanup_close_ int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, sizeof(name)) != 0)
			return capsa_error_errno(err, "the VM's terminal");
		/* No one's controlling terminal yet: UML's window-size helper makes it its own. */
		int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (slave < 0)
			return capsa_error_errno(err, "the VM's terminal %s", name);
		/* The guest's own terminal does the echo and line editing; the host side only carries bytes
		 * (UML makes it raw itself, the KVM backend's VMM does not). */
		struct termios t;
		if (tcgetattr(slave, &t) == 0) {
			cfmakeraw(&t);
			tcsetattr(slave, TCSANOW, &t);
		}
		fcntl(m, F_SETFL, O_NONBLOCK | O_RDWR);
		io->master = io->out = TAKE_FD(m);
		io->in = c->open_stdin ? io->master : -1;
		kid[0] = slave;
		kid[1] = slave;
		return 0;
	}
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
	    (c->open_stdin && pipe2(in, O_CLOEXEC) < 0)) {
		int e = errno;
		int fds[] = {out[0], out[1], errp[0], errp[1], in[0], in[1]};
		for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
			if (fds[i] >= 0)
				close(fds[i]);
		return capsa_error_set(err, e, "pipe: %s", strerror(e));
	}
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(errp[0], F_SETFL, O_NONBLOCK);
	*io = (struct engine_vm_stdio){.out = out[0], .err = errp[0], .in = in[1], .master = -1};
	kid[0] = out[1];
	kid[1] = errp[1];
	kid[2] = in[0];
	return 0;
}

static void stdio_close(struct engine_vm_stdio *io, int kid[3])
{
	int fds[] = {io->out,
		     io->err,
		     io->in == io->master ? -1 : io->in,
		     io->master == io->out ? -1 : io->master,
		     kid[0],
		     kid[1] == kid[0] ? -1 : kid[1],
		     kid[2]};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	*io = (struct engine_vm_stdio){.out = -1, .err = -1, .in = -1, .master = -1};
}

/*
 * The cached root file of a container's image made again when it is gone (removed by hand, or by an image
 * prune of a capsa from before prune kept the .cpio files): the record names the image and the root.
 */
static int remake_root(struct capsa_engine *e, const struct capsa_ctr *c, struct capsa_error **err)
{
	_cleanup_image_store_ struct capsa_image_store *s = NULL;
	const struct capsa_image *img;
	_cleanup_free_ char *path = NULL;
	if (c->image_id == NULL)
		return capsa_error_set(err, ENOENT, "no image recorded");
	if (capsa_image_store_open(e->root, true, &s, err) < 0 ||
	    capsa_image_lookup(s, c->image_id, &img, err) < 0)
		return -1;
	return ensure_root(s, img, c->image_id, ctr_initramfs(c), &path, err);
}

int engine_vm_spawn(struct capsa_engine *e, struct capsa_ctr *c, bool ports, struct engine_vm_stdio *io,
		    pid_t *pid, int *start_fd, struct capsa_error **err)
{
	_cleanup_free_ char *scratch = engine_vm_scratch(e, c->id);
	_cleanup_free_ char *disk = vm_disk(e, c);
	const char *kind = ctr_initramfs(c) ? "initramfs" : "disk";
	if (access(disk, R_OK) < 0) {
		if (errno != ENOENT)
			return capsa_error_errno(err, "the VM's %s %s", kind, disk);
		if (remake_root(e, c, err) < 0)
			return capsa_error_prefix(err, "the VM's %s %s", kind, disk);
	}
	/* The VM is forked now and started later (the monitor's go): it boots the initramfs it holds open
	 * here, whatever happens to the cached file's name meanwhile. */
	_cleanup_close_ int root_fd = ctr_initramfs(c) ? open(disk, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
	if (ctr_initramfs(c) && root_fd < 0)
		return capsa_error_errno(err, "the VM's initramfs %s", disk);
	/* What a killed monitor or the previous run left: a restart gets a fresh COW file and status. */
	engine_vm_cleanup(e, c);
	free(c->error);
	c->error = NULL;
	/* As a container's start: what a reboot took (tap, ports' rules) is made again from the record. */
	if (engine_network_ensure(e, c, ports, err) < 0)
		return -1;
	_cleanup_free_ char *block = NULL;
	size_t len = 0;
	_cleanup_close_ int dfd = ctr_dir_open(e, c->id, err);
	if (dfd < 0 || capsa_read_file_at(dfd, VM_CONFIG_FILE, CAPSA_VMCFG_SIZE, &block, &len, err) < 0)
		return -1;
	_cleanup_free_ char *kernel = NULL;
	if (c->vm && strcmp(c->vm, "kvm") == 0 &&
	    capsa_read_file_at(dfd, VM_KERNEL_FILE, 4096, &kernel, NULL, err) < 0)
		return -1;
	if (len != CAPSA_VMCFG_SIZE)
		return capsa_error_set(err, EINVAL, "%s: %zu bytes, not %d", VM_CONFIG_FILE, len,
				       CAPSA_VMCFG_SIZE);
	if (capsa_mkdir_p(e->run_root, 0700, err) < 0)
		return -1;
	if (mkdir(scratch, 0700) < 0)
		return capsa_error_errno(err, "mkdir %s", scratch);
	_cleanup_free_ char *cfg = xasprintf("%s/config", scratch);
	int sp[2], kid[3];
	if (capsa_write_file_atomic_at(AT_FDCWD, cfg, block, len, 0600, err) < 0 ||
	    stdio_make(c, io, kid, err) < 0) {
		capsa_rm_rf_at(AT_FDCWD, scratch);
		return -1;
	}
	if (pipe2(sp, O_CLOEXEC) < 0) {
		capsa_error_errno(err, "pipe");
		stdio_close(io, kid);
		capsa_rm_rf_at(AT_FDCWD, scratch);
		return -1;
	}
	struct capsa_cgroup *cg = NULL;
	pid_t p = vm_cgroup(e, c, true, &cg, err) < 0 ? -2 : fork();
	if (p < 0) {
		if (p == -1)
			capsa_error_errno(err, "fork the VM");
		close(sp[0]);
		close(sp[1]);
		stdio_close(io, kid);
		capsa_rm_rf_at(AT_FDCWD, scratch);
		engine_vm_cleanup(e, c);
		capsa_cgroup_free(cg);
		return -1;
	}
	if (p == 0) {
		/* Only the streams and the go survive into the VM's host process (3 to 5, 6 for -i, 7 for an
		 * initramfs). */
		int o = fcntl(kid[0], F_DUPFD_CLOEXEC, 10), er = fcntl(kid[1], F_DUPFD_CLOEXEC, 10);
		int s = fcntl(sp[0], F_DUPFD_CLOEXEC, 10);
		int in = kid[2] >= 0 ? fcntl(kid[2], F_DUPFD_CLOEXEC, 10) : -1;
		int r = root_fd >= 0 ? fcntl(root_fd, F_DUPFD_CLOEXEC, 10) : -1;
		if (o < 0 || er < 0 || s < 0 || dup2(o, 3) < 0 || dup2(er, 4) < 0 || dup2(s, 5) < 0 ||
		    (kid[2] >= 0 && (in < 0 || dup2(in, 6) < 0)))
			_exit(125);
		/* The initramfs, when the root is one, at 7. */
		if (root_fd >= 0 && (r < 0 || dup2(r, 7) < 0))
			_exit(125);
		if (kid[2] < 0)
			close(6);
		close_range(root_fd >= 0 ? 8 : kid[2] >= 0 ? 7 : 6, ~0U, 0);
		vm_host(scratch, disk, root_fd >= 0 ? 7 : -1, kernel, engine_vm_kvm_vcpus(c->nano_cpus),
			c->memory, 5, c->tty, kid[2] >= 0 ? 6 : -1);
	}
	close(sp[0]);
	/* The monitor keeps its own ends only: the pty's EIO and the pipes' EOF come when the VM is gone. */
	for (int i = 0; i < 3; i++)
		if (kid[i] >= 0 && (i == 0 || kid[i] != kid[0]))
			close(kid[i]);
	kid[0] = kid[1] = kid[2] = -1;
	/* Before the go: the VM's processes are all born in the cgroup. */
	int rc = capsa_cgroup_enter(cg, p, err);
	capsa_cgroup_free(cg);
	if (rc < 0) {
		close(sp[1]);
		kill(p, SIGKILL);
		waitpid(p, NULL, 0);
		stdio_close(io, kid);
		engine_vm_cleanup(e, c);
		return capsa_error_prefix(err, "the VM of %.12s", c->id);
	}
	*start_fd = sp[1];
	*pid = p;
	return 0;
}
