/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One container's cgroup across the hierarchies: create, open, enter, destroy, and knob I/O. */
#define _GNU_SOURCE
#include "cgroups/internal.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cgroup_write(int dirfd, const char *file, const char *value, struct capsa_error **err)
{
	_cleanup_close_ int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return capsa_error_errno(err, "cgroup: open %s", file);
	/* One write: the kernel parses each write as a whole value. */
	ssize_t n;
	do
		n = write(fd, value, strlen(value));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return capsa_error_errno(err, "cgroup: write %s to %s", value, file);
	return 0;
}

int cgroup_writef(int dirfd, const char *file, struct capsa_error **err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *v = NULL;
	int r = vasprintf(&v, fmt, ap);
	va_end(ap);
	if (r < 0)
		abort();
	return cgroup_write(dirfd, file, v, err);
}

int cgroup_read(int dirfd, const char *file, char **out, struct capsa_error **err)
{
	_cleanup_close_ int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return capsa_error_errno(err, "cgroup: open %s", file);
	if (capsa_read_fd(fd, 1 << 20, out, NULL, err) < 0)
		return capsa_error_prefix(err, "cgroup: %s", file);
	return 0;
}

bool cgroup_file_exists(int dirfd, const char *file)
{
	return faccessat(dirfd, file, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

struct cg_dir *cgroup_v1_dir(struct capsa_cgroup *cg, const char *c)
{
	for (size_t i = 0; i < cg->n; i++)
		if (!cg->d[i].hier.v2 && cg->d[i].fd >= 0 && cgroup_hier_has(&cg->d[i].hier, c))
			return &cg->d[i];
	return NULL;
}

struct cg_dir *cgroup_v2_dir(struct capsa_cgroup *cg)
{
	if (cg->v2 < 0 || cg->d[cg->v2].fd < 0)
		return NULL;
	return &cg->d[cg->v2];
}

static bool word_in(const char *list, const char *w)
{
	size_t wl = strlen(w);
	for (const char *p = list; (p = strstr(p, w)) != NULL; p += wl) {
		bool start = p == list || p[-1] == ' ' || p[-1] == '\n';
		bool end = p[wl] == '\0' || p[wl] == ' ' || p[wl] == '\n';
		if (start && end)
			return true;
	}
	return false;
}

bool cgroup_v2_has_controller(struct cg_dir *d, const char *c)
{
	_cleanup_free_ char *text = NULL;
	if (d == NULL || cgroup_read(d->fd, "cgroup.controllers", &text, NULL) < 0)
		return false;
	return word_in(text, c);
}

/* The hierarchy whose cgroup.procs lists the container's processes. */
static struct cg_dir *primary_dir(struct capsa_cgroup *cg)
{
	struct cg_dir *d;
	if (cg->mode == CAPSA_CGROUP_UNIFIED)
		return cgroup_v2_dir(cg);
	if ((d = cgroup_v1_dir(cg, "pids")) || (d = cgroup_v1_dir(cg, "memory")) ||
	    (d = cgroup_v1_dir(cg, "freezer")))
		return d;
	for (size_t i = 0; i < cg->n; i++)
		if (cg->d[i].fd >= 0)
			return &cg->d[i];
	return NULL;
}

void capsa_cgroup_free(struct capsa_cgroup *cg)
{
	if (cg == NULL)
		return;
	for (size_t i = 0; i < cg->n; i++) {
		closep(&cg->d[i].fd);
		closep(&cg->d[i].join_fd);
		free(cg->d[i].dir);
	}
	free(cg->d);
	free(cg->path);
	free(cg);
}

static void cgroup_freep(struct capsa_cgroup **cg)
{
	capsa_cgroup_free(*cg);
}
#define _cleanup_cgroup_ __attribute__((cleanup(cgroup_freep)))

const char *capsa_cgroup_path(const struct capsa_cgroup *cg)
{
	return cg->path;
}

int capsa_cgroup_v2_fd(struct capsa_cgroup *cg)
{
	/* On hybrid hosts too: the child then joins the v1 hierarchies itself (capsa_cgroup_enter_self). */
	struct cg_dir *d = cgroup_v2_dir(cg);
	return d ? d->fd : -1;
}

const char *cgroup_below_root(const char *path, const char *root)
{
	if (strcmp(root, "/") == 0)
		return path;
	size_t rl = strlen(root);
	if (strncmp(path, root, rl) != 0 || (path[rl] != '/' && path[rl] != '\0'))
		return NULL;
	return path + rl;
}

static int cg_new(const char *path, struct capsa_cgroup **out, struct capsa_error **err)
{
	const struct cg_layout *l = cgroup_host_layout(err);
	if (l == NULL)
		return -1;
	_cleanup_cgroup_ struct capsa_cgroup *cg = xzalloc(sizeof(*cg));
	cg->path = xstrdup(path);
	cg->mode = l->mode;
	cg->v2 = -1;
	cg->d = xcalloc(l->n, sizeof(*cg->d));
	for (size_t i = 0; i < l->n; i++) {
		const char *rel = cgroup_below_root(path, l->h[i].root);
		if (rel == NULL) {
			capsa_debug("cgroup: %s is outside the mount %s (root %s)", path, l->h[i].mountpoint,
				    l->h[i].root);
			continue;
		}
		struct cg_dir *d = &cg->d[cg->n];
		d->hier = l->h[i];
		d->dir = xasprintf("%s%s", l->h[i].mountpoint, rel);
		d->fd = -1;
		d->join_fd = -1;
		if (d->hier.v2)
			cg->v2 = (int)cg->n;
		cg->n++;
	}
	if (cg->n == 0)
		return capsa_error_set(err, ENOENT, "cgroup: no mounted hierarchy can hold %s", path);
	*out = TAKE_PTR(cg);
	return 0;
}

/* v1 cpuset starts empty: copy cpus and mems down so tasks can join. */
static int cpuset_inherit(int parent, int child, struct capsa_error **err)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *cur = NULL, *up = NULL;
		if (cgroup_read(child, files[i], &cur, err) < 0)
			return -1;
		if (cur[strspn(cur, " \n")] != '\0')
			continue;
		if (cgroup_read(parent, files[i], &up, err) < 0 || cgroup_write(child, files[i], up, err) < 0)
			return -1;
	}
	return 0;
}

/* v2: a child only gets the controllers its parent enables in cgroup.subtree_control. */
static void enable_controllers(int dirfd)
{
	_cleanup_free_ char *avail = NULL, *enabled = NULL;
	if (cgroup_read(dirfd, "cgroup.controllers", &avail, NULL) < 0 ||
	    cgroup_read(dirfd, "cgroup.subtree_control", &enabled, NULL) < 0)
		return;
	char *save = NULL;
	for (char *c = strtok_r(avail, " \n", &save); c; c = strtok_r(NULL, " \n", &save)) {
		if (word_in(enabled, c))
			continue;
		_cleanup_error_ struct capsa_error *e = NULL;
		/* A parent with processes of its own cannot enable controllers (no internal processes). */
		if (cgroup_writef(dirfd, "cgroup.subtree_control", &e, "+%s", c) < 0)
			capsa_debug("cgroup: enable %s: %s", c, e->msg);
	}
}

/* mkdir -p below the mount point, one component at a time without following symlinks. */
static int make_dir(struct cg_dir *d, bool enable, char ***created, struct capsa_error **err)
{
	_cleanup_close_ int cur = open(d->hier.mountpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cur < 0)
		return capsa_error_errno(err, "cgroup: open %s", d->hier.mountpoint);
	const char *rel = d->dir + strlen(d->hier.mountpoint);
	_cleanup_free_ char *copy = xstrdup(rel);
	_cleanup_free_ char *sofar = xstrdup(d->hier.mountpoint);
	char *save = NULL;
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		char *n = xasprintf("%s/%s", sofar, c);
		free(sofar);
		sofar = n;
		if (enable)
			enable_controllers(cur);
		if (mkdirat(cur, c, 0755) == 0) {
			capsa_strv_push(created, sofar);
		} else if (errno != EEXIST) {
			return capsa_error_errno(err, "cgroup: mkdir %s", sofar);
		}
		int next = openat(cur, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			return capsa_error_errno(err, "cgroup: open %s", sofar);
		if (cgroup_hier_has(&d->hier, "cpuset") && cpuset_inherit(cur, next, err) < 0) {
			close(next);
			return capsa_error_prefix(err, "%s", sofar);
		}
		close(cur);
		cur = next;
	}
	d->fd = TAKE_FD(cur);
	return 0;
}

static bool has_procs(const char *dir)
{
	_cleanup_free_ char *file = xasprintf("%s/cgroup.procs", dir);
	_cleanup_free_ char *text = NULL;
	if (capsa_read_file_at(AT_FDCWD, file, 0, &text, NULL, NULL) < 0)
		return false;
	return text[0] != '\0';
}

static int rmdir_retry(const char *dir)
{
	/* A cgroup stays busy for a moment after its last task exits; one with live tasks stays busy. */
	for (int i = 0; i < 200; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -1;
		if (i >= 10 && has_procs(dir)) {
			errno = EBUSY;
			return -1;
		}
		usleep(10000);
	}
	errno = EBUSY;
	return -1;
}

int capsa_cgroup_create(const char *cgroups_path, const char *id, struct capsa_cgroup **out,
			struct capsa_error **err)
{
	_cleanup_free_ char *own = NULL, *path = NULL;
	if (cgroups_path && cgroups_path[0] && cgroups_path[0] != '/') {
		const struct cg_layout *l = cgroup_host_layout(err);
		if (l == NULL)
			return -1;
		_cleanup_free_ char *text = NULL;
		if (capsa_read_file_at(AT_FDCWD, "/proc/self/cgroup", 0, &text, NULL, err) < 0)
			return -1;
		/* Relative to the caller's cgroup in the v2 tree, else in its first v1 hierarchy. */
		bool v2 = l->mode != CAPSA_CGROUP_LEGACY;
		if (cgroup_parse_proc_cgroup(text, v2, v2 ? "" : l->h[0].controllers, &own, err) < 0)
			return -1;
	}
	if (cgroup_resolve_path(cgroups_path, id, own, &path, err) < 0)
		return -1;
	_cleanup_cgroup_ struct capsa_cgroup *cg = NULL;
	if (cg_new(path, &cg, err) < 0)
		return -1;
	_cleanup_strv_ char **created = NULL;
	for (size_t i = 0; i < cg->n; i++) {
		/* A hybrid host's v2 tree is only used for freeze and kill: leave its controllers alone. */
		bool enable = cg->d[i].hier.v2 && cg->mode == CAPSA_CGROUP_UNIFIED;
		if (make_dir(&cg->d[i], enable, &created, err) < 0) {
			/* Leave nothing behind: remove what this call made, deepest first. */
			for (size_t k = capsa_strv_len(created); k > 0; k--)
				if (rmdir_retry(created[k - 1]) < 0)
					capsa_warn("cgroup: rollback: rmdir %s: %s", created[k - 1],
						   strerror(errno));
			return capsa_error_prefix(err, "create cgroup %s", path);
		}
	}
	*out = TAKE_PTR(cg);
	return 0;
}

int capsa_cgroup_open(const char *resolved_path, struct capsa_cgroup **out, struct capsa_error **err)
{
	_cleanup_free_ char *path = NULL;
	if (resolved_path == NULL || resolved_path[0] != '/')
		return capsa_error_set(err, EINVAL, "cgroup: '%s' is not a resolved path",
				       resolved_path ? resolved_path : "");
	if (cgroup_resolve_path(resolved_path, NULL, NULL, &path, err) < 0)
		return -1;
	_cleanup_cgroup_ struct capsa_cgroup *cg = NULL;
	if (cg_new(path, &cg, err) < 0)
		return -1;
	size_t found = 0;
	for (size_t i = 0; i < cg->n; i++) {
		cg->d[i].fd = open(cg->d[i].dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cg->d[i].fd >= 0)
			found++;
		else if (errno != ENOENT)
			return capsa_error_errno(err, "cgroup: open %s", cg->d[i].dir);
	}
	if (found == 0)
		return capsa_error_set(err, ENOENT, "cgroup %s does not exist", path);
	*out = TAKE_PTR(cg);
	return 0;
}

int capsa_cgroup_enter(struct capsa_cgroup *cg, pid_t pid, struct capsa_error **err)
{
	for (size_t i = 0; i < cg->n; i++) {
		if (cg->d[i].fd < 0)
			continue;
		if (cgroup_writef(cg->d[i].fd, "cgroup.procs", err, "%d", (int)pid) < 0)
			return capsa_error_prefix(err, "enter %s", cg->d[i].dir);
	}
	return 0;
}

int capsa_cgroup_enter_self_prepare(struct capsa_cgroup *cg, struct capsa_error **err)
{
	for (size_t i = 0; i < cg->n; i++) {
		struct cg_dir *d = &cg->d[i];
		if (d->fd < 0 || d->join_fd >= 0)
			continue;
		const char *file = d->hier.v2 ? "cgroup.procs" : "tasks";
		d->join_fd = openat(d->fd, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
		if (d->join_fd < 0) {
			int e = errno;
			capsa_cgroup_enter_self_close(cg);
			return capsa_error_set(err, e, "cgroup: open %s/%s", d->dir, file);
		}
	}
	return 0;
}

int capsa_cgroup_enter_self(struct capsa_cgroup *cg, bool v2_too, struct capsa_error **err)
{
	int ret = 0;
	for (size_t i = 0; i < cg->n && ret == 0; i++) {
		struct cg_dir *d = &cg->d[i];
		if (d->join_fd < 0 || (d->hier.v2 && !v2_too))
			continue;
		/* "0" is the writer: in a v1 tasks file the calling thread, which for a single-threaded
		 * process is the process, and for it the kernel skips its global lock. */
		ssize_t n;
		do
			n = write(d->join_fd, "0", 1);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			ret = capsa_error_errno(err, "cgroup: enter %s", d->dir);
	}
	capsa_cgroup_enter_self_close(cg);
	return ret;
}

void capsa_cgroup_enter_self_close(struct capsa_cgroup *cg)
{
	for (size_t i = 0; i < cg->n; i++) {
		closep(&cg->d[i].join_fd);
		cg->d[i].join_fd = -1;
	}
}

int capsa_cgroup_apply(struct capsa_cgroup *cg, const struct oci_resources *res, struct capsa_error **err)
{
	if (res == NULL)
		return 0;
	int r = cg->mode == CAPSA_CGROUP_UNIFIED ? cgroup_v2_apply(cg, res, err)
						 : cgroup_v1_apply(cg, res, err);
	if (r < 0)
		return capsa_error_prefix(err, "apply resources to %s", cg->path);
	return 0;
}

static int read_pids_at(int dirfd, const char *name, pid_t **pids, size_t *n, struct capsa_error **err)
{
	_cleanup_free_ char *text = NULL;
	if (cgroup_read(dirfd, "cgroup.procs", &text, err) < 0)
		return capsa_error_prefix(err, "%s", name);
	char *save = NULL;
	for (char *t = strtok_r(text, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
		int64_t v;
		if (capsa_parse_i64(t, &v) < 0 || v <= 0)
			continue;
		*pids = xreallocarray(*pids, *n + 1, sizeof(**pids));
		(*pids)[(*n)++] = (pid_t)v;
	}
	/* Child cgroups the container made for itself hold its processes too. */
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return capsa_error_errno(err, "cgroup: open %s", name);
	_cleanup_closedir_ DIR *dir = fdopendir(fd);
	if (dir == NULL) {
		close(fd);
		return capsa_error_errno(err, "cgroup: opendir %s", name);
	}
	struct dirent *de;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		_cleanup_close_ int sub =
			openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue; /* removed meanwhile */
		_cleanup_free_ char *subname = xasprintf("%s/%s", name, de->d_name);
		if (read_pids_at(sub, subname, pids, n, err) < 0)
			return -1;
	}
	return 0;
}

int capsa_cgroup_pids(struct capsa_cgroup *cg, pid_t **pids, size_t *n, struct capsa_error **err)
{
	*pids = NULL;
	*n = 0;
	struct cg_dir *d = primary_dir(cg);
	if (d == NULL)
		return capsa_error_set(err, ENOENT, "cgroup %s does not exist", cg->path);
	if (read_pids_at(d->fd, d->dir, pids, n, err) < 0) {
		free(*pids);
		*pids = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

/* Removes the child cgroups the container made, then dir itself. */
static int remove_tree(const char *dir)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (d == NULL)
		return errno == ENOENT ? 0 : -1;
	struct dirent *de;
	int ret = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		_cleanup_free_ char *sub = xasprintf("%s/%s", dir, de->d_name);
		if (remove_tree(sub) < 0)
			ret = -1;
	}
	if (rmdir_retry(dir) < 0)
		ret = -1;
	return ret;
}

int capsa_cgroup_destroy(struct capsa_cgroup *cg, struct capsa_error **err)
{
	int ret = 0;
	for (size_t i = 0; i < cg->n; i++) {
		closep(&cg->d[i].fd);
		cg->d[i].fd = -1;
		if (remove_tree(cg->d[i].dir) < 0) {
			if (errno == EBUSY && has_procs(cg->d[i].dir))
				capsa_error_set(err, EBUSY, "cgroup: rmdir %s: processes are still in it",
						cg->d[i].dir);
			else
				capsa_error_errno(err, "cgroup: rmdir %s", cg->d[i].dir);
			ret = -1;
		}
	}
	return ret;
}
