// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `capsa run --vm`: runs an image's process in a micro-VM instead of a container. The image is flattened
 * once into an ext4 file cached per image id (vm/<id>.ext4 under the store, temp + rename) holding
 * capsa-vminit; each run gets a scratch dir with the config disk (which also carries the exit status back)
 * and the copy-on-write file, so the cached image is never written. Backend here: User-mode Linux
 * (linux.uml), since this host's /dev/kvm (PVM) never brings a stock kernel to user space.
 */
#define _GNU_SOURCE
#include "engine/internal.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "image/image.h"
#include "vm/vm.h"
#include "vm/vmconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *helper_path(const char *name)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return xstrdup(name);
	exe[n] = '\0';
	return xasprintf("%s/%s", dirname(exe), name);
}

/* Runs argv with stdout/stderr to /dev/null (stderr kept in errbuf for the message); its exit status. */
static int run_tool(char *const *argv, struct capsa_error **err)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return capsa_error_errno(err, "fork");
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		dup2(nul, 0);
		dup2(nul, 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return capsa_error_errno(err, "waitpid %s", argv[0]);
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

/* vm/<image id>.ext4: made once per image (flattened rootfs + /capsa-vminit), atomically. */
static int ensure_ext4(struct capsa_image_store *s, const struct capsa_image *img, const char *ref,
		       char **out, struct capsa_error **err)
{
	const char *hex = strchr(img->id, ':') ? strchr(img->id, ':') + 1 : img->id;
	const char *root = capsa_image_store_root(s);
	_cleanup_free_ char *dir = xasprintf("%s/vm", root);
	_cleanup_free_ char *path = xasprintf("%s/%s.ext4", dir, hex);

	if (access(path, R_OK) == 0) {
		*out = TAKE_PTR(path);
		return 0;
	}
	if (capsa_mkdir_p(dir, 0700, err) < 0)
		return -1;
	unsigned char r[8];
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return capsa_error_errno(err, "getrandom");
	_cleanup_free_ char *cid = xasprintf("capsa-vm-%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2],
					     r[3], r[4], r[5], r[6], r[7]);
	struct capsa_image_rootfs *rf = NULL;
	struct capsa_rootfs_opts ro = {0};
	if (capsa_image_rootfs_prepare(s, ref, cid, &ro, &rf, err) < 0)
		return capsa_error_prefix(err, "flattening %s", ref);
	_cleanup_free_ char *tmp = xasprintf("%s/.%s.tmp", dir, cid);
	_cleanup_free_ char *init = helper_path("capsa-vminit");
	/* Room for the files, the journal and what the process writes (the COW file holds the writes). */
	_cleanup_free_ char *size = xasprintf("%lldM", (long long)(img->size / (1 << 20)) * 13 / 10 + 64);
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
	char *argv[] = {"mkfs.ext4", "-q", "-F", "-E", "root_owner=0:0", "-d", rf->path, tmp, size, NULL};
	rc = run_tool(argv, err);
	if (rc < 0) {
		capsa_error_prefix(err, "making the VM disk of %s", ref);
		unlink(tmp);
		goto out;
	}
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
			const struct capsa_run_opts *o, char *block, struct capsa_error **err)
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
	capsa_image_runtime_free(rt);
	return rc;
}

static volatile sig_atomic_t vm_pgid, vm_signal;

/* capsa itself is interrupted or terminated: the VM goes with it (the whole UML process group), never left.
 */
static void on_signal(int sig)
{
	vm_signal = sig;
	if (vm_pgid > 0)
		kill(-vm_pgid, SIGKILL);
}

static const char *uml_path(void)
{
	const char *p = getenv("CAPSA_UML");
	return p && *p ? p : "/usr/bin/linux.uml";
}

/* Runs linux.uml in its own process group; returns its wait status. Nothing of it survives the call. */
static int spawn_uml(const char *scratch, const char *disk, int64_t memory, int out_fd, int err_fd, int *st,
		     struct capsa_error **err)
{
	_cleanup_free_ char *mem = xasprintf("mem=%lldM", (long long)(memory > 0 ? memory >> 20 : 256));
	_cleanup_free_ char *ubda = xasprintf("ubda=%s/cow,%s", scratch, disk);
	_cleanup_free_ char *ubdb = xasprintf("ubdb=%s/config", scratch);
	_cleanup_free_ char *umldir = xasprintf("uml_dir=%s", scratch);
	_cleanup_free_ char *kern = xasprintf("%s/kernel.log", scratch);
	const char *uml = uml_path();
	char *argv[] = {(char *)uml,
			mem,
			ubda,
			ubdb,
			"root=/dev/ubda",
			"rw",
			"init=/capsa-vminit",
			"quiet",
			"umid=capsa",
			umldir,
			"con=null",
			"con0=null,fd:1",
			"con1=null,fd:3",
			"con2=null,fd:4",
			NULL};
	pid_t pid = fork();
	if (pid < 0)
		return capsa_error_errno(err, "fork");
	if (pid == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int k = open(kern, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
		/* fds 3 and 4 may be out_fd/err_fd themselves: move them above first. */
		int o = fcntl(out_fd, F_DUPFD_CLOEXEC, 10), e = fcntl(err_fd, F_DUPFD_CLOEXEC, 10);
		if (k < 0 || nul < 0 || o < 0 || e < 0 || dup2(nul, 0) < 0 || dup2(k, 1) < 0 ||
		    dup2(k, 2) < 0 || dup2(o, 3) < 0 || dup2(e, 4) < 0)
			_exit(125);
		capsa_cloexec_from(5);
		/* UML backs guest memory with a file in TMPDIR: the scratch dir, removed afterwards. */
		setenv("TMPDIR", scratch, 1);
		execv(uml, argv);
		_exit(127);
	}
	setpgid(pid, pid);
	vm_pgid = pid;
	struct sigaction sa = {.sa_handler = on_signal}, old[3];
	const int sigs[3] = {SIGINT, SIGTERM, SIGHUP};
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
	int rc = 0;
	while (waitpid(pid, st, 0) < 0)
		if (errno != EINTR) {
			rc = capsa_error_errno(err, "waitpid linux.uml");
			break;
		}
	kill(-pid, SIGKILL); /* UML's helper processes, if any are left */
	vm_pgid = 0;
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	return rc;
}

static char *last_line(const char *path)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	struct capsa_error *e = NULL;

	if (capsa_read_file_at(AT_FDCWD, path, 1 << 20, &data, &len, &e) < 0) {
		capsa_error_free(e);
		return xstrdup("no kernel output");
	}
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r' || data[len - 1] == ' '))
		data[--len] = '\0';
	char *nl = strrchr(data, '\n');
	return xstrdup(nl ? nl + 1 : data);
}

int capsa_engine_vm_run(struct capsa_engine *e, const struct capsa_run_opts *o, int out_fd, int err_fd,
			int *exit_code, struct capsa_error **err)
{
	_cleanup_free_ char *disk = NULL;
	_cleanup_free_ char *block = xzalloc(CAPSA_VMCFG_SIZE);

	*exit_code = 125;
	if (o->n_ports || o->publish_all)
		return capsa_error_set(err, EINVAL, "--vm: -p/-P: a micro-VM has no network in this version");
	if (o->tty || o->interactive)
		return capsa_error_set(err, EINVAL,
				       "--vm: -i/-t: a micro-VM's stdin is not connected in this version");
	if (o->hypervisor && strcmp(o->hypervisor, "uml") != 0) {
		if (strcmp(o->hypervisor, "kvm") != 0)
			return capsa_error_set(err, EINVAL, "--hypervisor %s: not kvm or uml", o->hypervisor);
		if (capsa_vm_check_linux_host(err) < 0)
			return capsa_error_prefix(err, "--hypervisor kvm");
		return capsa_error_set(
			err, ENOTSUP,
			"--hypervisor kvm: run --vm has no KVM backend yet (it needs a guest kernel "
			"from make vm-kernel); use --hypervisor uml");
	}
	if (access(uml_path(), X_OK) < 0)
		return capsa_error_set(
			err, errno,
			"--vm: %s: User-mode Linux is needed (/dev/kvm here is PVM, where a stock "
			"kernel never reaches user space); install user-mode-linux",
			uml_path());
	{
		_cleanup_image_store_ struct capsa_image_store *s = NULL;
		const struct capsa_image *img;
		if (capsa_image_store_open(e->root, true, &s, err) < 0 ||
		    capsa_image_lookup(s, o->image, &img, err) < 0)
			return -1;
		if (build_config(s, img, o, block, err) < 0 || ensure_ext4(s, img, o->image, &disk, err) < 0)
			return -1;
	}
	/* Scratch: config+status disk, COW file, UML's own dir and memory file; all removed below. */
	_cleanup_free_ char *tmpl = xasprintf("%s/vm-XXXXXX", e->run_root);
	if (capsa_mkdir_p(e->run_root, 0700, err) < 0)
		return -1;
	if (!mkdtemp(tmpl))
		return capsa_error_errno(err, "mkdtemp %s", tmpl);
	_cleanup_free_ char *cfg = xasprintf("%s/config", tmpl);
	_cleanup_free_ char *kern = xasprintf("%s/kernel.log", tmpl);
	int rc = -1, st = 0;
	_cleanup_free_ char *back = NULL; /* before the first goto: a jump may not skip a cleanup's init */
	size_t len = 0;
	if (capsa_write_file_atomic_at(AT_FDCWD, cfg, block, CAPSA_VMCFG_SIZE, 0600, err) < 0 ||
	    spawn_uml(tmpl, disk, o->memory, out_fd, err_fd, &st, err) < 0)
		goto out;
	if (capsa_read_file_at(AT_FDCWD, cfg, CAPSA_VMCFG_SIZE, &back, &len, err) < 0)
		goto out;
	int code;
	if (len < CAPSA_VMCFG_SIZE ||
	    capsa_vmcfg_status_parse(back + CAPSA_VMCFG_STATUS_OFF, 512, &code) < 0) {
		_cleanup_free_ char *why = last_line(kern);
		if (!vm_signal) {
			/* A panic ends linux.uml with SIGABRT: the guest never ran the process to its end. */
			capsa_error_set(err, 0,
					"--vm: the guest stopped without an exit status (%s %d; kernel: %s)",
					WIFSIGNALED(st) ? "linux.uml killed by signal" : "linux.uml exit",
					WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), why);
			goto out;
		}
		code = 128 + SIGKILL; /* killed from outside, like a container's init */
	}
	*exit_code = code;
	rc = 0;
out:
	capsa_rm_rf_at(AT_FDCWD, tmpl);
	return rc;
}
