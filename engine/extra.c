/* SPDX-License-Identifier: GPL-2.0-or-later */
/* top, stats, volumes, prune, disk usage, cp and export. */
#define _GNU_SOURCE
#include "engine/internal.h"
#include "cgroups/cgroups.h"
#include "common/cleanup.h"
#include "common/path.h"
#include "common/util.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

/* What a micro-VM container (run --vm) has no host-side view of: its processes and files are the guest's. */
static int refuse_vm(const struct capsa_ctr *c, const char *what, struct capsa_error **err)
{
	return capsa_error_set(err, 0, "container %.12s is a micro-VM: %s is not supported for it yet", c->id,
			       what);
}

static int open_cgroup(struct capsa_engine *e, const struct capsa_ctr *c, struct capsa_cgroup **cg,
		       struct capsa_error **err)
{
	if (c->status != CAPSA_CTR_RUNNING && c->status != CAPSA_CTR_PAUSED)
		return capsa_error_set(err, 0, "container %.12s is not running", c->id);
	/* A micro-VM: the cgroup of its host processes (linux.uml and its helpers). */
	if (c->vm)
		return engine_vm_cgroup_open(e, c, cg, err);
	_cleanup_oci_state_ struct oci_state *st = NULL;
	if (capsa_container_state(&e->rt, c->id, &st, err) < 0)
		return -1;
	if (st->cgroup_path == NULL)
		return capsa_error_set(err, ENOENT, "container %.12s has no cgroup", c->id);
	return capsa_cgroup_open(st->cgroup_path, cg, err);
}

int capsa_engine_top(struct capsa_engine *e, const struct capsa_ctr *c, char **table,
		     struct capsa_error **err)
{
	struct capsa_cgroup *cg = NULL;
	if (open_cgroup(e, c, &cg, err) < 0)
		return -1;
	pid_t *pids = NULL;
	size_t n = 0;
	int r = capsa_cgroup_pids(cg, &pids, &n, err);
	capsa_cgroup_free(cg);
	if (r < 0)
		return -1;
	size_t cap = 4096, len = 0;
	char *out = xmalloc(cap);
	len += (size_t)snprintf(out, cap, "%-8s %-8s %s\n", "PID", "PPID", "CMD");
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *cmdline = NULL, *stat = NULL;
		size_t cl = 0, sl = 0;
		_cleanup_free_ char *p1 = xasprintf("/proc/%d/cmdline", (int)pids[i]);
		_cleanup_free_ char *p2 = xasprintf("/proc/%d/stat", (int)pids[i]);
		struct capsa_error *e2 = NULL;
		if (capsa_read_file_at(AT_FDCWD, p1, 4096, &cmdline, &cl, &e2) < 0 ||
		    capsa_read_file_at(AT_FDCWD, p2, 4096, &stat, &sl, &e2) < 0) {
			capsa_error_free(e2);
			continue; /* exited meanwhile */
		}
		for (size_t k = 0; k + 1 < cl; k++)
			if (cmdline[k] == '\0')
				cmdline[k] = ' ';
		int ppid = 0;
		const char *rp = strrchr(stat, ')');
		if (rp)
			sscanf(rp + 1, " %*c %d", &ppid);
		_cleanup_free_ char *line = xasprintf("%-8d %-8d %s\n", (int)pids[i], ppid, cmdline);
		size_t ll = strlen(line);
		if (len + ll + 1 > cap) {
			cap = (len + ll + 1) * 2;
			out = xrealloc(out, cap);
		}
		memcpy(out + len, line, ll + 1);
		len += ll;
	}
	free(pids);
	*table = out;
	return 0;
}

int capsa_engine_stats(struct capsa_engine *e, const struct capsa_ctr *c, struct capsa_cgroup_stats *st,
		       struct capsa_error **err)
{
	struct capsa_cgroup *cg = NULL;
	if (open_cgroup(e, c, &cg, err) < 0)
		return -1;
	*st = (struct capsa_cgroup_stats){0};
	int r = capsa_cgroup_stats(cg, st, err);
	capsa_cgroup_free(cg);
	return r;
}

/* ---- volumes ------------------------------------------------------------------------------------- */

static bool volume_name_valid(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
		return false;
	for (const char *p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", *p))
			return false;
	return strlen(s) <= 255;
}

int capsa_engine_volume_create(struct capsa_engine *e, const char *name, char **path,
			       struct capsa_error **err)
{
	if (!volume_name_valid(name))
		return capsa_error_set(
			err, EINVAL, "invalid volume name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
			name);
	_cleanup_free_ char *dir = xasprintf("%s/volumes/%s/_data", e->root, name);
	if (capsa_mkdir_p(dir, 0755, err) < 0)
		return -1;
	if (path)
		*path = TAKE_PTR(dir);
	return 0;
}

int capsa_engine_volume_list(struct capsa_engine *e, char ***names, size_t *n, struct capsa_error **err)
{
	*names = NULL;
	*n = 0;
	_cleanup_free_ char *dir = xasprintf("%s/volumes", e->root);
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (d == NULL)
		return errno == ENOENT ? 0 : capsa_error_errno(err, "read %s", dir);
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && volume_name_valid(de->d_name)) {
			capsa_strv_push(names, de->d_name);
			(*n)++;
		}
	return 0;
}

/* The containers whose mounts use the volume. */
static char *volume_user(struct capsa_engine *e, const char *name)
{
	struct capsa_ctr **v = NULL;
	size_t n = 0;
	struct capsa_error *err = NULL;
	char *user = NULL;
	if (capsa_engine_list(e, &v, &n, &err) < 0) {
		capsa_error_free(err);
		return NULL;
	}
	for (size_t i = 0; i < n && !user; i++)
		for (size_t j = 0; j < v[i]->n_mounts && !user; j++)
			if (v[i]->mounts[j].kind == CAPSA_MOUNT_VOLUME && v[i]->mounts[j].source &&
			    strcmp(v[i]->mounts[j].source, name) == 0)
				user = xstrndup(v[i]->id, 12);
	capsa_ctr_list_free(v, n);
	return user;
}

int capsa_engine_volume_remove(struct capsa_engine *e, const char *name, bool force, struct capsa_error **err)
{
	if (!volume_name_valid(name))
		return capsa_error_set(err, EINVAL, "invalid volume name \"%s\"", name);
	_cleanup_free_ char *rel = xasprintf("volumes/%s", name);
	struct stat st;
	if (fstatat(e->root_fd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return capsa_error_set(err, ENOENT, "no such volume: %s", name);
	_cleanup_free_ char *user = force ? NULL : volume_user(e, name);
	if (user)
		return capsa_error_set(err, EBUSY, "remove %s: volume is in use by container %s", name, user);
	if (capsa_rm_rf_at(e->root_fd, rel) < 0)
		return capsa_error_errno(err, "remove volume %s", name);
	return 0;
}

int capsa_engine_volume_inspect(struct capsa_engine *e, const char *name, char **json,
				struct capsa_error **err)
{
	_cleanup_free_ char *rel = xasprintf("volumes/%s/_data", name);
	struct stat st;
	if (!volume_name_valid(name) || fstatat(e->root_fd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return capsa_error_set(err, ENOENT, "no such volume: %s", name);
	struct timespec ts = st.st_ctim;
	_cleanup_free_ char *created = capsa_time_rfc3339(&ts);
	*json = xasprintf(
		"{\"Name\":\"%s\",\"Driver\":\"local\",\"Mountpoint\":\"%s/%s\",\"CreatedAt\":\"%s\","
		"\"Scope\":\"local\"}",
		name, e->root, rel, created);
	return 0;
}

/* ---- prune and disk usage ------------------------------------------------------------------------ */

int capsa_engine_prune(struct capsa_engine *e, char ***removed, size_t *n, struct capsa_error **err)
{
	*removed = NULL;
	*n = 0;
	struct capsa_ctr **v = NULL;
	size_t nv = 0;
	if (capsa_engine_list(e, &v, &nv, err) < 0)
		return -1;
	for (size_t i = 0; i < nv; i++) {
		enum capsa_ctr_status s = v[i]->status;
		if (s != CAPSA_CTR_EXITED && s != CAPSA_CTR_DEAD &&
		    !(s == CAPSA_CTR_CREATED && !monitor_alive(v[i])))
			continue;
		struct capsa_error *e2 = NULL;
		if (capsa_engine_remove(e, v[i]->id, false, false, &e2) < 0) {
			capsa_error_free(e2);
			continue;
		}
		capsa_strv_push(removed, v[i]->id);
		(*n)++;
	}
	capsa_ctr_list_free(v, nv);
	return engine_sweep_half_made(e, removed, n, err);
}

int capsa_engine_df(struct capsa_engine *e, uint64_t *containers_bytes, uint64_t *volumes_bytes,
		    struct capsa_error **err)
{
	*containers_bytes = capsa_disk_usage_at(e->root_fd, "containers");
	/* A container's writable layer: rootfs/<id>/upper (or the flattened copy). */
	struct capsa_ctr **v = NULL;
	size_t n = 0;
	if (capsa_engine_list(e, &v, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *upper = xasprintf("rootfs/%s/upper", v[i]->id);
		*containers_bytes += capsa_disk_usage_at(e->root_fd, upper);
		/* A running micro-VM's writable layer is its COW file, in its scratch dir. */
		_cleanup_free_ char *scratch = engine_vm_scratch(e, v[i]->id);
		if (v[i]->vm)
			*containers_bytes += capsa_disk_usage_at(AT_FDCWD, scratch);
	}
	capsa_ctr_list_free(v, n);
	*volumes_bytes = capsa_disk_usage_at(e->root_fd, "volumes");
	return 0;
}

/* ---- cp ------------------------------------------------------------------------------------------ */

static int copy_fd(int in, int out, struct capsa_error **err)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return capsa_error_errno(err, "read");
		if (n == 0)
			return 0;
		if (capsa_write_all(out, buf, (size_t)n) != n)
			return capsa_error_errno(err, "write");
	}
}

/* Copies the tree at (sfd, sname) to (dfd, dname); neither side's symlinks are followed. */
int engine_copy_tree(int sfd, const char *sname, int dfd, const char *dname, struct capsa_error **err)
{
	struct stat st;
	if (fstatat(sfd, sname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return capsa_error_errno(err, "stat %s", sname);
	if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t l = readlinkat(sfd, sname, target, sizeof(target) - 1);
		if (l < 0)
			return capsa_error_errno(err, "readlink %s", sname);
		target[l] = '\0';
		if (symlinkat(target, dfd, dname) < 0)
			return capsa_error_errno(err, "symlink %s", dname);
		return 0;
	}
	if (S_ISREG(st.st_mode)) {
		_cleanup_close_ int in = openat(sfd, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_close_ int out =
			openat(dfd, dname, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
			       st.st_mode & 07777);
		if (in < 0 || out < 0)
			return capsa_error_errno(err, "copy %s", sname);
		return copy_fd(in, out, err);
	}
	if (!S_ISDIR(st.st_mode))
		return 0; /* devices, fifos and sockets are not copied */
	if (mkdirat(dfd, dname, st.st_mode & 07777) < 0 && errno != EEXIST)
		return capsa_error_errno(err, "mkdir %s", dname);
	_cleanup_close_ int sub_d = openat(dfd, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int sub_s = openat(sfd, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub_d < 0 || sub_s < 0) {
		if (sub_s >= 0)
			close(sub_s);
		return capsa_error_errno(err, "open %s", sname);
	}
	_cleanup_closedir_ DIR *d = fdopendir(sub_s);
	if (d == NULL) {
		close(sub_s);
		return capsa_error_errno(err, "read %s", sname);
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (engine_copy_tree(sub_s, de->d_name, sub_d, de->d_name, err) < 0)
			return -1;
	}
	return 0;
}

/* The parent directory of path inside the container (resolved in its root) and the last name. */
static int ctr_parent(int rootfd, const char *path, int *pfd, char **base, struct capsa_error **err)
{
	_cleanup_free_ char *parent = NULL;
	capsa_split_path(path, &parent, base);
	*pfd = capsa_open_in_root(rootfd, parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, err);
	if (*pfd < 0) {
		free(*base);
		return capsa_error_prefix(err, "container path %s", path);
	}
	return 0;
}

static int host_parent(const char *path, int *pfd, char **base, struct capsa_error **err)
{
	_cleanup_free_ char *parent = NULL;
	capsa_split_path(path, &parent, base);
	*pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*pfd < 0) {
		free(*base);
		return capsa_error_errno(err, "host path %s", path);
	}
	return 0;
}

int capsa_engine_cp(struct capsa_engine *e, const struct capsa_ctr *c, const char *ctr_path,
		    const char *host_path, bool to_container, struct capsa_error **err)
{
	(void)e;
	if (c->vm)
		return refuse_vm(c, "cp", err);
	_cleanup_close_ int rootfd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return capsa_error_errno(err, "open the root of %.12s", c->id);
	int cfd = -1, hfd = -1;
	_cleanup_free_ char *cbase = NULL, *hbase = NULL;
	if (ctr_parent(rootfd, ctr_path, &cfd, &cbase, err) < 0)
		return -1;
	if (host_parent(host_path, &hfd, &hbase, err) < 0) {
		close(cfd);
		return -1;
	}
	int sfd = to_container ? hfd : cfd, dfd = to_container ? cfd : hfd;
	const char *sname = to_container ? hbase : cbase, *dname = to_container ? cbase : hbase;
	/* Copying into an existing directory puts the source inside it, as cp does. */
	struct stat st;
	_cleanup_close_ int into = -1;
	if (fstatat(dfd, dname, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
		into = openat(dfd, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (into >= 0) {
			dfd = into;
			dname = sname;
		}
	}
	int r = engine_copy_tree(sfd, sname, dfd, dname, err);
	close(cfd);
	close(hfd);
	return r;
}

/* ---- export -------------------------------------------------------------------------------------- */

int capsa_engine_export(struct capsa_engine *e, const struct capsa_ctr *c, int out_fd,
			struct capsa_error **err)
{
	(void)e;
	if (capsa_archive_ready(err) < 0)
		return -1;
	if (c->vm)
		return refuse_vm(c, "export", err);
	struct archive *disk = archive_read_disk_new();
	struct archive *w = archive_write_new();
	int ret = -1;
	archive_read_disk_set_symlink_physical(disk);
	archive_read_disk_set_standard_lookup(disk);
	archive_write_set_format_pax_restricted(w);
	if (archive_write_open_fd(w, out_fd) != ARCHIVE_OK) {
		capsa_error_set(err, 0, "export: %s", archive_error_string(w));
		goto out;
	}
	if (archive_read_disk_open(disk, c->rootfs) != ARCHIVE_OK) {
		capsa_error_set(err, 0, "export: %s", archive_error_string(disk));
		goto out;
	}
	size_t rootlen = strlen(c->rootfs);
	for (;;) {
		struct archive_entry *ent = archive_entry_new();
		int r = archive_read_next_header2(disk, ent);
		if (r == ARCHIVE_EOF) {
			archive_entry_free(ent);
			break;
		}
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			capsa_error_set(err, 0, "export: %s", archive_error_string(disk));
			archive_entry_free(ent);
			goto out;
		}
		archive_read_disk_descend(disk);
		const char *path = archive_entry_pathname(ent);
		const char *rel = strlen(path) > rootlen ? path + rootlen + 1 : ".";
		archive_entry_set_pathname(ent, rel);
		if (archive_write_header(w, ent) != ARCHIVE_OK) {
			capsa_error_set(err, 0, "export %s: %s", rel, archive_error_string(w));
			archive_entry_free(ent);
			goto out;
		}
		if (archive_entry_filetype(ent) == AE_IFREG && archive_entry_size(ent) > 0) {
			_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			char buf[65536];
			ssize_t n;
			while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
				archive_write_data(w, buf, (size_t)n);
		}
		archive_entry_free(ent);
	}
	ret = archive_write_close(w) == ARCHIVE_OK
		      ? 0
		      : capsa_error_set(err, 0, "export: %s", archive_error_string(w));
out:
	archive_read_free(disk);
	archive_write_free(w);
	return ret;
}

/* ---- the sealed binary --------------------------------------------------------------------------- */

int capsa_engine_seal_self(struct capsa_error **err)
{
	if (capsa_exe_is_sealed())
		return 0;
	/* The whole command line again (the subcommand only sees its own part of argv). */
	_cleanup_free_ char *cmdline = NULL;
	size_t len = 0;
	if (capsa_read_file_at(AT_FDCWD, "/proc/self/cmdline", 1 << 20, &cmdline, &len, err) < 0)
		return -1;
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += cmdline[i] == '\0';
	_cleanup_free_ char **argv = xcalloc(n + 1, sizeof(char *));
	size_t k = 0;
	for (size_t i = 0; i < len && k < n; i += strlen(cmdline + i) + 1)
		argv[k++] = cmdline + i;
	return capsa_ensure_sealed_exe(argv, err);
}
