/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The container's two files: the record (container.json, fixed at create) and its state (state.json). */
#define _GNU_SOURCE
#include "engine/internal.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <string.h>

static inline void json_putp(json_object **o)
{
	if (*o)
		json_object_put(*o);
}
#define _cleanup_json_ __attribute__((cleanup(json_putp)))

void capsa_ctr_free(struct capsa_ctr *c)
{
	if (c == NULL)
		return;
	free(c->id);
	free(c->name);
	free(c->created);
	free(c->image);
	free(c->image_id);
	capsa_strv_free(c->args);
	capsa_strv_free(c->env);
	free(c->cwd);
	free(c->user);
	free(c->hostname);
	capsa_strv_free(c->entrypoint);
	capsa_strv_free(c->cmd);
	free(c->network);
	free(c->cpuset_cpus);
	free(c->stats_file);
	free(c->cgroup_path);
	free(c->log_driver);
	free(c->rootfs);
	free(c->vm);
	free(c->vm_root);
	for (size_t i = 0; i < c->n_labels; i++) {
		free(c->labels[i].key);
		free(c->labels[i].value);
	}
	free(c->labels);
	for (size_t i = 0; i < c->n_mounts; i++)
		capsa_mount_spec_clear(&c->mounts[i]);
	free(c->mounts);
	free(c->started_at);
	free(c->finished_at);
	free(c->error);
	free(c);
}

void capsa_ctr_list_free(struct capsa_ctr **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		capsa_ctr_free(v[i]);
	free(v);
}

const char *capsa_ctr_status_name(enum capsa_ctr_status s)
{
	static const char *const names[] = {"created", "running", "paused",  "restarting",
					    "exited",  "dead",	  "removing"};
	return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "unknown";
}

static int status_from_name(const char *s)
{
	for (int i = CAPSA_CTR_CREATED; i <= CAPSA_CTR_REMOVING; i++)
		if (strcmp(s, capsa_ctr_status_name(i)) == 0)
			return i;
	return -1;
}

static void put_str(json_object *o, const char *k, const char *v)
{
	if (v)
		json_object_object_add(o, k, json_object_new_string(v));
}

static void put_strv(json_object *o, const char *k, char *const *v, size_t n)
{
	if (v == NULL)
		return;
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	json_object_object_add(o, k, a);
}

static void put_i64(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void put_bool(json_object *o, const char *k, bool v)
{
	json_object_object_add(o, k, json_object_new_boolean(v));
}

char *ctr_record_json(const struct capsa_ctr *c)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	put_str(o, "id", c->id);
	put_str(o, "name", c->name);
	put_str(o, "created", c->created);
	put_str(o, "image", c->image);
	put_str(o, "imageId", c->image_id);
	put_strv(o, "args", c->args, c->n_args);
	put_strv(o, "env", c->env, c->n_env);
	put_str(o, "cwd", c->cwd);
	put_str(o, "user", c->user);
	put_str(o, "hostname", c->hostname);
	put_strv(o, "entrypoint", c->entrypoint, c->n_entrypoint);
	put_strv(o, "cmd", c->cmd, c->n_cmd);
	put_bool(o, "tty", c->tty);
	put_bool(o, "openStdin", c->open_stdin);
	put_bool(o, "autoRemove", c->auto_remove);
	put_bool(o, "readOnly", c->read_only);
	put_bool(o, "privileged", c->privileged);
	put_bool(o, "init", c->init);
	put_i64(o, "stopSignal", c->stop_signal);
	put_i64(o, "stopTimeout", c->stop_timeout);
	put_str(o, "restart", capsa_restart_name(c->restart));
	put_i64(o, "restartMax", c->restart_max);
	put_str(o, "network", c->network);
	put_i64(o, "memory", c->memory);
	put_i64(o, "memorySwap", c->memory_swap);
	put_i64(o, "nanoCpus", c->nano_cpus);
	put_i64(o, "cpuShares", c->cpu_shares);
	put_i64(o, "pidsLimit", c->pids_limit);
	put_str(o, "cpusetCpus", c->cpuset_cpus);
	put_i64(o, "timeoutNs", c->timeout_ns);
	put_str(o, "statsFile", c->stats_file);
	put_str(o, "cgroupPath", c->cgroup_path);
	put_str(o, "logDriver", c->log_driver);
	put_i64(o, "logMaxSize", c->log_max_size);
	put_i64(o, "logMaxFile", c->log_max_file);
	put_str(o, "rootfs", c->rootfs);
	put_str(o, "vm", c->vm);
	put_str(o, "vmRoot", c->vm_root);
	json_object *labels = json_object_new_object();
	for (size_t i = 0; i < c->n_labels; i++)
		json_object_object_add(labels, c->labels[i].key, json_object_new_string(c->labels[i].value));
	json_object_object_add(o, "labels", labels);
	json_object *mounts = json_object_new_array();
	for (size_t i = 0; i < c->n_mounts; i++) {
		const struct capsa_mount_spec *m = &c->mounts[i];
		json_object *j = json_object_new_object();
		put_i64(j, "kind", m->kind);
		put_str(j, "source", m->source);
		put_str(j, "destination", m->destination);
		put_bool(j, "readonly", m->readonly);
		put_str(j, "propagation", m->propagation);
		put_i64(j, "tmpfsSize", m->tmpfs_size);
		put_i64(j, "tmpfsMode", m->tmpfs_mode);
		put_str(j, "tmpfsOptions", m->tmpfs_options);
		json_object_array_add(mounts, j);
	}
	json_object_object_add(o, "mounts", mounts);
	return xstrdup(
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

char *ctr_state_json(const struct capsa_ctr *c)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	put_str(o, "status", capsa_ctr_status_name(c->status));
	put_i64(o, "pid", c->pid);
	put_i64(o, "monitorPid", c->monitor_pid);
	put_i64(o, "monitorStart", (int64_t)c->monitor_start);
	put_i64(o, "exitCode", c->exit_code);
	put_str(o, "startedAt", c->started_at);
	put_str(o, "finishedAt", c->finished_at);
	put_bool(o, "oomKilled", c->oom_killed);
	put_bool(o, "timedOut", c->timed_out);
	put_i64(o, "restartCount", c->restart_count);
	put_str(o, "error", c->error);
	return xstrdup(
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static json_object *get(json_object *o, const char *k, json_type t)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(o, k, &v) || v == NULL || !json_object_is_type(v, t))
		return NULL;
	return v;
}

static char *get_str(json_object *o, const char *k)
{
	json_object *v = get(o, k, json_type_string);
	return v ? xstrdup(json_object_get_string(v)) : NULL;
}

static int64_t get_i64(json_object *o, const char *k)
{
	json_object *v = get(o, k, json_type_int);
	return v ? json_object_get_int64(v) : 0;
}

static bool get_bool(json_object *o, const char *k)
{
	json_object *v = get(o, k, json_type_boolean);
	return v ? json_object_get_boolean(v) : false;
}

static char **get_strv(json_object *o, const char *k, size_t *n)
{
	json_object *a = get(o, k, json_type_array);
	*n = 0;
	if (a == NULL)
		return NULL;
	size_t len = json_object_array_length(a);
	char **v = xcalloc(len + 1, sizeof(char *));
	for (size_t i = 0; i < len; i++) {
		json_object *s = json_object_array_get_idx(a, i);
		if (s && json_object_is_type(s, json_type_string))
			v[(*n)++] = xstrdup(json_object_get_string(s));
	}
	return v;
}

static int parse(const char *json, const char *name, json_object **out, struct capsa_error **err)
{
	enum json_tokener_error je;
	json_object *o = json_tokener_parse_verbose(json, &je);
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		if (o)
			json_object_put(o);
		return capsa_error_set(err, EINVAL, "%s: invalid JSON", name);
	}
	*out = o;
	return 0;
}

int ctr_record_parse(const char *json, struct capsa_ctr *c, struct capsa_error **err)
{
	_cleanup_json_ json_object *o = NULL;
	if (parse(json, RECORD_FILE, &o, err) < 0)
		return -1;
	c->id = get_str(o, "id");
	c->name = get_str(o, "name");
	if (c->id == NULL || c->name == NULL)
		return capsa_error_set(err, EINVAL, "%s: id and name are required", RECORD_FILE);
	c->created = get_str(o, "created");
	c->image = get_str(o, "image");
	c->image_id = get_str(o, "imageId");
	c->args = get_strv(o, "args", &c->n_args);
	c->env = get_strv(o, "env", &c->n_env);
	c->cwd = get_str(o, "cwd");
	c->user = get_str(o, "user");
	c->hostname = get_str(o, "hostname");
	c->entrypoint = get_strv(o, "entrypoint", &c->n_entrypoint);
	c->cmd = get_strv(o, "cmd", &c->n_cmd);
	c->tty = get_bool(o, "tty");
	c->open_stdin = get_bool(o, "openStdin");
	c->auto_remove = get_bool(o, "autoRemove");
	c->read_only = get_bool(o, "readOnly");
	c->privileged = get_bool(o, "privileged");
	c->init = get_bool(o, "init");
	c->stop_signal = (int)get_i64(o, "stopSignal");
	c->stop_timeout = (int)get_i64(o, "stopTimeout");
	_cleanup_free_ char *restart = get_str(o, "restart");
	struct capsa_error *e = NULL;
	if (restart && capsa_parse_restart(restart, &c->restart, &c->restart_max, &e) < 0)
		capsa_error_free(e);
	c->restart_max = (int)get_i64(o, "restartMax");
	c->network = get_str(o, "network");
	c->memory = get_i64(o, "memory");
	c->memory_swap = get_i64(o, "memorySwap");
	c->nano_cpus = get_i64(o, "nanoCpus");
	c->cpu_shares = get_i64(o, "cpuShares");
	c->pids_limit = get_i64(o, "pidsLimit");
	c->cpuset_cpus = get_str(o, "cpusetCpus");
	c->timeout_ns = get_i64(o, "timeoutNs");
	c->stats_file = get_str(o, "statsFile");
	c->cgroup_path = get_str(o, "cgroupPath");
	c->log_driver = get_str(o, "logDriver");
	c->log_max_size = get_i64(o, "logMaxSize");
	c->log_max_file = (int)get_i64(o, "logMaxFile");
	c->rootfs = get_str(o, "rootfs");
	c->vm = get_str(o, "vm");
	c->vm_root = get_str(o, "vmRoot");
	json_object *labels = get(o, "labels", json_type_object);
	if (labels) {
		c->labels = xcalloc((size_t)json_object_object_length(labels) + 1, sizeof(*c->labels));
		json_object_object_foreach(labels, k, v)
		{
			if (!json_object_is_type(v, json_type_string))
				continue;
			c->labels[c->n_labels].key = xstrdup(k);
			c->labels[c->n_labels++].value = xstrdup(json_object_get_string(v));
		}
	}
	json_object *mounts = get(o, "mounts", json_type_array);
	size_t nm = mounts ? json_object_array_length(mounts) : 0;
	c->mounts = xcalloc(nm + 1, sizeof(*c->mounts));
	for (size_t i = 0; i < nm; i++) {
		json_object *j = json_object_array_get_idx(mounts, i);
		if (j == NULL || !json_object_is_type(j, json_type_object))
			continue;
		struct capsa_mount_spec *m = &c->mounts[c->n_mounts++];
		m->kind = (enum capsa_mount_kind)get_i64(j, "kind");
		m->source = get_str(j, "source");
		m->destination = get_str(j, "destination");
		m->readonly = get_bool(j, "readonly");
		m->propagation = get_str(j, "propagation");
		m->tmpfs_size = get_i64(j, "tmpfsSize");
		m->tmpfs_mode = get_i64(j, "tmpfsMode");
		m->tmpfs_options = get_str(j, "tmpfsOptions");
	}
	return 0;
}

int ctr_state_parse(const char *json, struct capsa_ctr *c, struct capsa_error **err)
{
	_cleanup_json_ json_object *o = NULL;
	if (parse(json, STATE_FILE, &o, err) < 0)
		return -1;
	_cleanup_free_ char *status = get_str(o, "status");
	int st = status ? status_from_name(status) : -1;
	if (st < 0)
		return capsa_error_set(err, EINVAL, "%s: bad status", STATE_FILE);
	c->status = (enum capsa_ctr_status)st;
	c->pid = (pid_t)get_i64(o, "pid");
	c->monitor_pid = (pid_t)get_i64(o, "monitorPid");
	c->monitor_start = (uint64_t)get_i64(o, "monitorStart");
	c->exit_code = (int)get_i64(o, "exitCode");
	free(c->started_at);
	c->started_at = get_str(o, "startedAt");
	free(c->finished_at);
	c->finished_at = get_str(o, "finishedAt");
	c->oom_killed = get_bool(o, "oomKilled");
	c->timed_out = get_bool(o, "timedOut");
	c->restart_count = (int)get_i64(o, "restartCount");
	free(c->error);
	c->error = get_str(o, "error");
	return 0;
}

int write_atomic_nosync(int dirfd, const char *name, const char *data, size_t len, mode_t mode,
			struct capsa_error **err)
{
	char tmp[256];
	snprintf(tmp, sizeof(tmp), ".%s.tmp.%d", name, (int)getpid());
	_cleanup_close_ int fd =
		openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return capsa_error_errno(err, "create %s", tmp);
	if (capsa_write_all(fd, data, len) != (ssize_t)len || renameat(dirfd, tmp, dirfd, name) < 0) {
		int saved = errno;
		unlinkat(dirfd, tmp, 0);
		return capsa_error_set(err, saved, "write %s", name);
	}
	return 0;
}

int ctr_write_record(struct capsa_engine *e, const struct capsa_ctr *c, bool durable,
		     struct capsa_error **err)
{
	_cleanup_close_ int dfd = ctr_dir_open(e, c->id, err);
	if (dfd < 0)
		return -1;
	_cleanup_free_ char *json = ctr_record_json(c);
	if (!durable)
		return write_atomic_nosync(dfd, RECORD_FILE, json, strlen(json), 0600, err);
	return capsa_write_file_atomic_at(dfd, RECORD_FILE, json, strlen(json), 0600, err);
}

int ctr_write_state(int dirfd, const struct capsa_ctr *c, struct capsa_error **err)
{
	/* Atomic (rename) but not fsynced: written several times per container life, and after a power
	 * loss the runtime state it describes is gone anyway; the lookup corrects it from what is left. */
	_cleanup_free_ char *json = ctr_state_json(c);
	return write_atomic_nosync(dirfd, STATE_FILE, json, strlen(json), 0600, err);
}

int ctr_read(struct capsa_engine *e, const char *id, struct capsa_ctr **out, struct capsa_error **err)
{
	_cleanup_close_ int dfd = ctr_dir_open(e, id, err);
	if (dfd < 0)
		return -1;
	_cleanup_free_ char *rec = NULL, *st = NULL;
	size_t len;
	if (capsa_read_file_at(dfd, RECORD_FILE, 1 << 22, &rec, &len, err) < 0)
		return capsa_error_prefix(err, "container %s", id);
	struct capsa_ctr *c = xzalloc(sizeof(*c));
	if (ctr_record_parse(rec, c, err) < 0) {
		capsa_ctr_free(c);
		return capsa_error_prefix(err, "container %s", id);
	}
	struct capsa_error *e2 = NULL;
	if (capsa_read_file_at(dfd, STATE_FILE, 1 << 20, &st, &len, &e2) < 0) {
		/* Between the record and the monitor's first write: being created. */
		capsa_error_free(e2);
		c->status = CAPSA_CTR_CREATED;
	} else if (ctr_state_parse(st, c, err) < 0) {
		capsa_ctr_free(c);
		return capsa_error_prefix(err, "container %s", id);
	}
	*out = c;
	return 0;
}

char *ctr_log_name(const char *id)
{
	return xasprintf("%s-json.log", id);
}
