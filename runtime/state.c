/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The per-container state directory: <root>/<id>/{state.json,config.json,start.sock}. */
#define _GNU_SOURCE
#include "runtime/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

int capsa_container_id_validate(const char *id, struct capsa_error **err)
{
	if (id == NULL || *id == '\0')
		return capsa_error_set(err, EINVAL, "container id must not be empty");
	if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return capsa_error_set(err, EINVAL, "invalid container id %s", id);
	if (strlen(id) > 1024)
		return capsa_error_set(err, EINVAL, "container id is longer than 1024 characters");
	for (const char *p = id; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '+' || c == '-'))
			return capsa_error_set(
				err, EINVAL, "invalid container id %s: only [A-Za-z0-9_.+-] are allowed", id);
	}
	return 0;
}

static int open_root(const struct capsa_runtime *rt, bool create, struct capsa_error **err)
{
	int fd = open(rt->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (capsa_mkdir_p(rt->root, 0700, err) < 0)
			return capsa_error_prefix(err, "state root");
		fd = open(rt->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0)
		return capsa_error_errno(err, "open state root %s", rt->root);
	return fd;
}

static int lock_dir(int fd, const char *id, struct capsa_error **err)
{
	/* Every operation on a container holds this lock, so create/start/delete never interleave. */
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR)
			return capsa_error_errno(err, "lock container %s", id);
	}
	return 0;
}

int state_dir_create(const struct capsa_runtime *rt, const char *id, struct container_dir *d,
		     struct capsa_error **err)
{
	*d = (struct container_dir){.root_fd = -1, .dir_fd = -1};
	d->root_fd = open_root(rt, true, err);
	if (d->root_fd < 0)
		return -1;
	if (mkdirat(d->root_fd, id, 0700) < 0) {
		int e = errno;
		state_dir_close(d);
		if (e == EEXIST)
			return capsa_error_set(err, 0, "container with id %s already exists", id);
		return capsa_error_set(err, e, "create state directory %s/%s", rt->root, id);
	}
	d->dir_fd = openat(d->root_fd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d->dir_fd < 0 || lock_dir(d->dir_fd, id, err) < 0) {
		int e = errno;
		unlinkat(d->root_fd, id, AT_REMOVEDIR);
		state_dir_close(d);
		return capsa_error_set(err, e, "open state directory of %s", id);
	}
	d->id = xstrdup(id);
	return 0;
}

int state_dir_open(const struct capsa_runtime *rt, const char *id, struct container_dir *d,
		   struct capsa_error **err)
{
	*d = (struct container_dir){.root_fd = -1, .dir_fd = -1};
	if (capsa_container_id_validate(id, err) < 0)
		return -1;
	d->root_fd = open_root(rt, false, err);
	if (d->root_fd < 0) {
		if ((*err)->errnum == ENOENT) {
			capsa_error_clear(err);
			return capsa_error_set(err, ENOENT, "container %s does not exist", id);
		}
		return -1;
	}
	d->dir_fd = openat(d->root_fd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d->dir_fd < 0) {
		int e = errno;
		state_dir_close(d);
		if (e == ENOENT)
			return capsa_error_set(err, ENOENT, "container %s does not exist", id);
		return capsa_error_set(err, e, "open state directory of %s", id);
	}
	if (lock_dir(d->dir_fd, id, err) < 0) {
		state_dir_close(d);
		return -1;
	}
	/* Deleted while we waited for the lock? */
	struct stat st;
	if (fstat(d->dir_fd, &st) < 0 || st.st_nlink == 0) {
		state_dir_close(d);
		return capsa_error_set(err, ENOENT, "container %s does not exist", id);
	}
	d->id = xstrdup(id);
	return 0;
}

void state_dir_close(struct container_dir *d)
{
	if (d->dir_fd >= 0)
		close(d->dir_fd);
	if (d->root_fd >= 0)
		close(d->root_fd);
	free(d->id);
	*d = (struct container_dir){.root_fd = -1, .dir_fd = -1};
}

int state_dir_remove(struct container_dir *d, struct capsa_error **err)
{
	if (capsa_rm_rf_at(d->root_fd, d->id) < 0)
		return capsa_error_errno(err, "remove state directory of %s", d->id);
	return 0;
}

int state_write(struct container_dir *d, const struct oci_state *s, struct capsa_error **err)
{
	_cleanup_free_ char *json = capsa_oci_state_to_json(s, true);
	if (capsa_write_file_atomic_at(d->dir_fd, "state.json", json, strlen(json), 0600, err) < 0)
		return capsa_error_prefix(err, "save state of %s", d->id);
	return 0;
}

int state_read(struct container_dir *d, struct oci_state **out, struct capsa_error **err)
{
	_cleanup_free_ char *json = NULL;
	size_t len;
	if (capsa_read_file_at(d->dir_fd, "state.json", 1 << 20, &json, &len, err) < 0)
		return capsa_error_prefix(err, "read state of %s", d->id);
	if (capsa_oci_state_parse(json, len, "state.json", out, err) < 0)
		return capsa_error_prefix(err, "container %s", d->id);
	return 0;
}

bool process_alive(pid_t pid, uint64_t start_time)
{
	if (pid <= 0)
		return false;
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ')
		return false;
	char st = p[2];
	if (st == 'Z' || st == 'X' || st == 'x')
		return false;
	return start_time == 0 || capsa_proc_start_time(pid) == start_time;
}

void state_refresh_status(struct container_dir *d, struct oci_state *s)
{
	const char *status;
	if (s->pid <= 0) {
		/* No init yet: a create in progress, or one that was killed before it got that far. */
		status = strcmp(s->status, "creating") == 0 ? "creating" : "stopped";
	} else if (!process_alive(s->pid, s->init_start_time)) {
		status = "stopped";
	} else if (faccessat(d->dir_fd, START_SOCKET, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		status = "created";
	} else {
		status = "running";
		if (s->cgroup_path) {
			struct capsa_cgroup *cg = NULL;
			struct capsa_error *e = NULL;
			if (capsa_cgroup_open(s->cgroup_path, &cg, &e) == 0 &&
			    capsa_cgroup_is_frozen(cg, &e) == 1)
				status = "paused";
			capsa_error_free(e);
			capsa_cgroup_free(cg);
		}
	}
	if (strcmp(s->status, status) != 0) {
		free(s->status);
		s->status = xstrdup(status);
	}
}
