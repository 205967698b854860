/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The containers directory: opening, the lock, lookup by name or id prefix, listing, removal. */
#define _GNU_SOURCE
#include "engine/internal.h"
#include "cgroups/cgroups.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

void capsa_engine_process_setup(void)
{
	/* As dockerd: the store, the records, the containers' upper layers and the directories made in
	 * their roots get the modes capsa asks for, not what a hardened login's umask (027, 077) leaves of
	 * them, which would lock the container's non-root users out of their own root. */
	umask(022);
}

int capsa_engine_open(const char *root, struct capsa_engine **out, struct capsa_error **err)
{
	if (root == NULL)
		root = capsa_image_default_root();
	if (root[0] != '/')
		return capsa_error_set(err, EINVAL, "the store root %s must be an absolute path", root);
	if (capsa_mkdir_p(root, 0700, err) < 0)
		return -1;
	_cleanup_close_ int rfd = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (rfd < 0)
		return capsa_error_errno(err, "open %s", root);
	if (mkdirat(rfd, "containers", 0700) < 0 && errno != EEXIST)
		return capsa_error_errno(err, "mkdir %s/containers", root);
	int cfd = openat(rfd, "containers", O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (cfd < 0)
		return capsa_error_errno(err, "open %s/containers", root);
	struct capsa_engine *e = xzalloc(sizeof(*e));
	e->root = xstrdup(root);
	/* Tests and private stores keep their runtime state next to them, never in the host's /run. */
	e->run_root = strcmp(root, CAPSA_IMAGE_DEFAULT_ROOT) == 0 ? xstrdup("/run/capsa")
								  : xasprintf("%s/run", root);
	e->root_fd = TAKE_FD(rfd);
	e->containers_fd = cfd;
	e->rt.root = e->run_root;
	*out = e;
	return 0;
}

void capsa_engine_close(struct capsa_engine *e)
{
	if (e == NULL)
		return;
	free(e->root);
	free(e->run_root);
	if (e->root_fd >= 0)
		close(e->root_fd);
	if (e->containers_fd >= 0)
		close(e->containers_fd);
	free(e);
}

const char *capsa_engine_root(const struct capsa_engine *e)
{
	return e->root;
}

const char *capsa_engine_run_root(const struct capsa_engine *e)
{
	return e->run_root;
}

int engine_lock(struct capsa_engine *e, struct capsa_error **err)
{
	int fd = openat(e->containers_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return capsa_error_errno(err, "open %s/containers/lock", e->root);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int saved = errno;
			close(fd);
			return capsa_error_set(err, saved, "lock %s/containers", e->root);
		}
	}
	return fd;
}

int ctr_dir_open(struct capsa_engine *e, const char *id, struct capsa_error **err)
{
	int fd = openat(e->containers_fd, id, O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return capsa_error_errno(err, "container %s", id);
	return fd;
}

bool monitor_alive(const struct capsa_ctr *c)
{
	if (c->monitor_pid <= 0)
		return false;
	uint64_t st = capsa_proc_start_time(c->monitor_pid);
	return st != 0 && st == c->monitor_start;
}

/* What the record says, corrected by what is really there. */
static void refresh(struct capsa_engine *e, struct capsa_ctr *c)
{
	bool active = c->status == CAPSA_CTR_RUNNING || c->status == CAPSA_CTR_PAUSED ||
		      c->status == CAPSA_CTR_RESTARTING || c->status == CAPSA_CTR_CREATED;
	if (!active)
		return;
	bool alive = monitor_alive(c);
	_cleanup_oci_state_ struct oci_state *st = NULL;
	struct capsa_error *err = NULL;
	if (capsa_container_state(&e->rt, c->id, &st, &err) < 0) {
		capsa_error_free(err);
		st = NULL;
	}
	const char *rs = st ? st->status : NULL;
	if (c->vm && alive) {
		/* A micro-VM has no runtime state: paused is its cgroup's freezer. */
		struct capsa_cgroup *cg = NULL;
		struct capsa_error *e2 = NULL;
		if (engine_vm_cgroup_open(e, c, &cg, &e2) == 0) {
			int fr = capsa_cgroup_is_frozen(cg, &e2);
			if (fr >= 0)
				rs = fr ? "paused" : "running";
			capsa_cgroup_free(cg);
		}
		capsa_error_free(e2);
	}
	if (rs && strcmp(rs, "paused") == 0 && c->status == CAPSA_CTR_RUNNING) {
		c->status = CAPSA_CTR_PAUSED;
	} else if (rs && strcmp(rs, "running") == 0 && c->status == CAPSA_CTR_PAUSED) {
		c->status = CAPSA_CTR_RUNNING;
	}
	if (alive)
		return;
	/* The monitor is gone (killed): the runtime is the only witness left. */
	if (rs && (strcmp(rs, "running") == 0 || strcmp(rs, "paused") == 0)) {
		c->status = strcmp(rs, "paused") == 0 ? CAPSA_CTR_PAUSED : CAPSA_CTR_RUNNING;
		c->pid = st->pid;
		return;
	}
	if (c->status == CAPSA_CTR_CREATED && c->monitor_pid == 0 && c->started_at == NULL)
		return; /* never had a monitor: still being created, or created and left */
	c->status = CAPSA_CTR_DEAD;
	c->pid = 0;
}

static bool looks_like_id_prefix(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return false;
	for (const char *p = s; *p; p++)
		if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p))
			return false;
	return true;
}

/* Every container id in the directory (64 hex names). */
static int list_ids(struct capsa_engine *e, char ***ids, size_t *n, struct capsa_error **err)
{
	int fd = openat(e->containers_fd, ".", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return capsa_error_errno(err, "open %s/containers", e->root);
	_cleanup_closedir_ DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return capsa_error_errno(err, "read %s/containers", e->root);
	}
	*ids = NULL;
	*n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strlen(de->d_name) == 64 && looks_like_id_prefix(de->d_name)) {
			capsa_strv_push(ids, de->d_name);
			(*n)++;
		}
	}
	return 0;
}

int capsa_engine_lookup(struct capsa_engine *e, const char *ref, struct capsa_ctr **out,
			struct capsa_error **err)
{
	_cleanup_strv_ char **ids = NULL;
	size_t n;
	if (list_ids(e, &ids, &n, err) < 0)
		return -1;
	const char *name = ref[0] == '/' ? ref + 1 : ref;
	const char *match = NULL;
	int prefix_matches = 0;
	struct capsa_ctr *by_name = NULL;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(ids[i], ref) == 0) {
			match = ids[i];
			prefix_matches = 1;
			break;
		}
		struct capsa_ctr *c = NULL;
		struct capsa_error *e2 = NULL;
		if (ctr_read(e, ids[i], &c, &e2) < 0) {
			capsa_error_free(e2);
			continue;
		}
		if (by_name == NULL && strcmp(c->name, name) == 0) {
			by_name = c;
			continue;
		}
		capsa_ctr_free(c);
		if (looks_like_id_prefix(ref) && capsa_str_has_prefix(ids[i], ref)) {
			match = ids[i];
			prefix_matches++;
		}
	}
	if (by_name) {
		refresh(e, by_name);
		*out = by_name;
		return 0;
	}
	if (prefix_matches > 1)
		return capsa_error_set(err, 0,
				       "multiple containers found with prefix \"%s\": be more specific", ref);
	if (match == NULL)
		return capsa_error_say(err, ENOENT, "No such container: %s", ref);
	if (ctr_read(e, match, out, err) < 0)
		return -1;
	refresh(e, *out);
	return 0;
}

static int by_created_desc(const void *a, const void *b)
{
	const struct capsa_ctr *x = *(struct capsa_ctr *const *)a, *y = *(struct capsa_ctr *const *)b;
	return strcmp(y->created ? y->created : "", x->created ? x->created : "");
}

int capsa_engine_list(struct capsa_engine *e, struct capsa_ctr ***out, size_t *n, struct capsa_error **err)
{
	_cleanup_strv_ char **ids = NULL;
	size_t nids;
	if (list_ids(e, &ids, &nids, err) < 0)
		return -1;
	struct capsa_ctr **v = xcalloc(nids + 1, sizeof(*v));
	size_t k = 0;
	for (size_t i = 0; i < nids; i++) {
		struct capsa_error *e2 = NULL;
		if (ctr_read(e, ids[i], &v[k], &e2) < 0) {
			/* Removed meanwhile, or half made: not listed. */
			capsa_error_free(e2);
			continue;
		}
		refresh(e, v[k++]);
	}
	qsort(v, k, sizeof(*v), by_created_desc);
	*out = v;
	*n = k;
	return 0;
}

int ctr_destroy(struct capsa_engine *e, struct capsa_ctr *c, struct capsa_error **err)
{
	struct capsa_error *e2 = NULL;
	/* A monitor that is still there would restart or record the container: it goes first. */
	if (monitor_alive(c))
		kill(c->monitor_pid, SIGKILL);
	if (capsa_container_delete(&e->rt, c->id, true, &e2) < 0) {
		if (e2->errnum != ENOENT)
			capsa_debug("delete %s: %s", c->id, e2->msg);
		/* No runtime state: the cgroup's directories may still be there, made ahead by capsa's CLI
		 * (cgroups/prime.c) before the monitor got to create the container. */
		else if (c->cgroup_path)
			capsa_cgroup_remove_empty(c->cgroup_path);
		capsa_error_clear(&e2);
	}
	engine_vm_cleanup(e, c);
	/* After the runtime's delete: nothing runs in the namespace any more. */
	engine_network_teardown(e, c);
	_cleanup_image_store_ struct capsa_image_store *s = NULL;
	if (capsa_image_store_open(e->root, true, &s, err) < 0)
		return -1;
	_cleanup_free_ char *rootfs_dir = xasprintf("%s/rootfs/%s", e->root, c->id);
	if (access(rootfs_dir, F_OK) == 0 && capsa_image_rootfs_remove(s, c->id, err) < 0)
		return -1;
	if (capsa_rm_rf_at(e->containers_fd, c->id) < 0 && errno != ENOENT)
		return capsa_error_errno(err, "remove %s/containers/%s", e->root, c->id);
	return 0;
}

/* Kills every monitor program of container id: capsa-monitor carries "id=ID", capsa-monitor-full the id
 * as an argument. For a container whose record cannot say which process its monitor is. */
size_t engine_kill_by_cmdline(const char *prog, const char *a1, const char *a2)
{
	_cleanup_closedir_ DIR *d = opendir("/proc");
	size_t n = 0;
	if (d == NULL)
		return 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		_cleanup_free_ char *path = xasprintf("/proc/%s/cmdline", de->d_name);
		_cleanup_free_ char *cmd = NULL;
		size_t len = 0;
		/* A process that has exited (a zombie) reads empty: it holds nothing any more. */
		if (capsa_read_file_at(AT_FDCWD, path, 1 << 16, &cmd, &len, NULL) < 0 || len == 0)
			continue;
		const char *base = strrchr(cmd, '/') ? strrchr(cmd, '/') + 1 : cmd;
		if (prog && !capsa_str_has_prefix(base, prog))
			continue;
		for (size_t off = prog ? strlen(cmd) + 1 : 0; off < len; off += strlen(cmd + off) + 1) {
			if (strcmp(cmd + off, a1) == 0 || (a2 && strcmp(cmd + off, a2) == 0)) {
				int64_t pid;
				if (capsa_parse_i64(de->d_name, &pid) == 0 && pid > 1 && pid != getpid()) {
					kill((pid_t)pid, SIGKILL);
					n++;
				}
				break;
			}
		}
	}
	return n;
}

/*
 * Removes a container whose record is missing or unreadable (a capsa killed between making the directory
 * and its record, a corrupted file): everything capsa makes for a container is found from its id alone.
 */
static int destroy_by_id(struct capsa_engine *e, const char *id, struct capsa_error **err)
{
	_cleanup_ctr_ struct capsa_ctr *c = xzalloc(sizeof(*c));
	c->id = xstrdup(id);
	{
		/* Its monitor, named by the id (full monitor) or id=ID (small one). */
		_cleanup_free_ char *tagged = xasprintf("id=%s", id);
		engine_kill_by_cmdline("capsa-monitor", id, tagged);
	}
	return ctr_destroy(e, c, err);
}

/* The directory of a container that `ref` (a full id, or an id prefix matching one directory) names
 * although its record could not be read; NULL when there is none. */
static char *unreadable_match(struct capsa_engine *e, const char *ref)
{
	_cleanup_strv_ char **ids = NULL;
	size_t n = 0;
	if (list_ids(e, &ids, &n, NULL) < 0 || !looks_like_id_prefix(ref))
		return NULL;
	char *found = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!capsa_str_has_prefix(ids[i], ref))
			continue;
		if (found) {
			free(found);
			return NULL;
		}
		found = xstrdup(ids[i]);
	}
	return found;
}

int engine_sweep_half_made(struct capsa_engine *e, char ***removed, size_t *n, struct capsa_error **err)
{
	_cleanup_close_ int lock = engine_lock(e, err);
	if (lock < 0)
		return -1;
	/* Under the lock no create is between making a directory and its first record (create.c does both
	 * while holding it): a directory without a record is what a killed capsa left. */
	_cleanup_strv_ char **ids = NULL;
	size_t nids = 0;
	if (list_ids(e, &ids, &nids, err) < 0)
		return -1;
	for (size_t i = 0; i < nids; i++) {
		_cleanup_free_ char *rec = xasprintf("%s/container.json", ids[i]);
		if (faccessat(e->containers_fd, rec, F_OK, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
			continue;
		struct capsa_error *e2 = NULL;
		if (destroy_by_id(e, ids[i], &e2) < 0) {
			capsa_warn("%.12s: %s", ids[i], e2->msg);
			capsa_error_free(e2);
			continue;
		}
		capsa_strv_push(removed, ids[i]);
		(*n)++;
	}
	/* Runtime state of a container whose directory is gone (rm killed after removing it). */
	_cleanup_closedir_ DIR *d = opendir(e->run_root);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (strlen(de->d_name) != 64 || !looks_like_id_prefix(de->d_name) ||
		    faccessat(e->containers_fd, de->d_name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		struct capsa_error *e2 = NULL;
		if (capsa_container_delete(&e->rt, de->d_name, true, &e2) < 0) {
			capsa_warn("runtime state %.12s: %s", de->d_name, e2->msg);
			capsa_error_free(e2);
		}
	}
	return 0;
}

int capsa_engine_remove(struct capsa_engine *e, const char *ref, bool force, bool volumes,
			struct capsa_error **err)
{
	_cleanup_close_ int lock = engine_lock(e, err);
	if (lock < 0)
		return -1;
	_cleanup_ctr_ struct capsa_ctr *c = NULL;
	if (capsa_engine_lookup(e, ref, &c, err) < 0) {
		/* -f: a record that cannot be read does not keep the container's processes, mounts and
		 * cgroups alive; the id is enough to find them. */
		_cleanup_free_ char *id = force ? unreadable_match(e, ref) : NULL;
		if (id == NULL)
			return -1;
		capsa_warn("removing %.12s by its id: %s", id, (*err)->msg);
		capsa_error_clear(err);
		return destroy_by_id(e, id, err);
	}
	bool active = c->status == CAPSA_CTR_RUNNING || c->status == CAPSA_CTR_PAUSED ||
		      c->status == CAPSA_CTR_RESTARTING ||
		      (c->status == CAPSA_CTR_CREATED && monitor_alive(c));
	if (active && !force && c->status != CAPSA_CTR_CREATED)
		return capsa_error_set(
			err, 0,
			"cannot remove container %s: container is %s: stop the container before "
			"removing or force remove",
			ref, capsa_ctr_status_name(c->status));
	if (ctr_destroy(e, c, err) < 0)
		return -1;
	/* -v: the anonymous volumes, named after the container (see spec.c). */
	for (size_t i = 0; volumes && i < c->n_mounts; i++) {
		const char *v = c->mounts[i].source;
		if (c->mounts[i].kind != CAPSA_MOUNT_VOLUME || v == NULL || strlen(v) != 64 ||
		    strncmp(v, c->id, 52))
			continue;
		_cleanup_free_ char *rel = xasprintf("volumes/%s", v);
		if (capsa_rm_rf_at(e->root_fd, rel) < 0 && errno != ENOENT)
			return capsa_error_errno(err, "remove volume %s", v);
	}
	return 0;
}

int capsa_engine_rename(struct capsa_engine *e, struct capsa_ctr *c, const char *name,
			struct capsa_error **err)
{
	if (capsa_container_name_validate(name, err) < 0)
		return -1;
	if (name[0] == '/')
		name++;
	_cleanup_close_ int lock = engine_lock(e, err);
	if (lock < 0)
		return -1;
	if (strcmp(c->name, name) == 0)
		return capsa_error_set(err, 0, "renaming a container with the same name as its current name");
	_cleanup_ctr_ struct capsa_ctr *other = NULL;
	struct capsa_error *e2 = NULL;
	if (capsa_engine_lookup(e, name, &other, &e2) == 0 && strcmp(other->name, name) == 0)
		return capsa_error_say(err, EEXIST,
				       "the container name \"/%s\" is already in use by container %.12s",
				       name, other->id);
	capsa_error_free(e2);
	/* Re-read under the lock: the record may have changed since the caller looked it up. */
	_cleanup_ctr_ struct capsa_ctr *cur = NULL;
	if (ctr_read(e, c->id, &cur, err) < 0)
		return -1;
	free(cur->name);
	cur->name = xstrdup(name);
	if (ctr_write_record(e, cur, true, err) < 0)
		return -1;
	free(c->name);
	c->name = xstrdup(name);
	return 0;
}
