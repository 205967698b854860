/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The runtime state: the spec's fields, and capsa's own bookkeeping in a "capsa"
 * object beside them, which other readers of state.json ignore.
 */
#include "oci-spec/json-internal.h"

#include <stdlib.h>

static const char *const statuses[] = {"creating", "created", "running", "stopped", "paused", NULL};

static int parse_private(struct jctx *c, struct json_object *v, const struct jpath *p, struct oci_state *s)
{
	if (oci_jobject(c, v, p) < 0)
		return -1;
	struct json_object *f = oci_jget(v, "initStartTime");
	if (f && oci_ju64(c, f, JP_KEY(p, "initStartTime"), UINT64_MAX, &s->init_start_time) < 0)
		return -1;
	if (oci_jf_string(c, v, p, "created", false, &s->created) < 0 ||
	    oci_jf_string(c, v, p, "rootfs", false, &s->rootfs) < 0 ||
	    oci_jf_string(c, v, p, "cgroupPath", false, &s->cgroup_path) < 0 ||
	    oci_jf_string(c, v, p, "owner", false, &s->owner) < 0)
		return -1;
	return 0;
}

static int parse_state(struct jctx *c, struct json_object *obj, struct oci_state *s)
{
	if (oci_jf_string(c, obj, NULL, "ociVersion", true, &s->oci_version) < 0 ||
	    oci_jf_string(c, obj, NULL, "id", true, &s->id) < 0 ||
	    oci_jf_enum(c, obj, NULL, "status", true, statuses, &s->status) < 0)
		return -1;
	struct json_object *f = oci_jget(obj, "pid");
	int64_t pid = 0;
	/* pid_t is a 32-bit int; the kernel's PID_MAX_LIMIT is far below INT32_MAX. */
	if (f && oci_ji64(c, f, JP_KEY(NULL, "pid"), 0, INT32_MAX, &pid) < 0)
		return -1;
	s->pid = (pid_t)pid;
	if (oci_jf_string(c, obj, NULL, "bundle", true, &s->bundle) < 0 ||
	    oci_jf_map(c, obj, NULL, "annotations", &s->annotations, &s->n_annotations) < 0)
		return -1;
	if ((f = oci_jget(obj, "capsa")) && parse_private(c, f, JP_KEY(NULL, "capsa"), s) < 0)
		return -1;
	return 0;
}

int capsa_oci_state_parse(const char *json, size_t len, const char *name, struct oci_state **out,
			  struct capsa_error **err)
{
	_cleanup_json_ struct json_object *obj = NULL;
	if (oci_json_parse_object(json, len, name, &obj, err) < 0)
		return -1;
	struct jctx c = {.name = name, .err = err};
	struct oci_state *s = xzalloc(sizeof(*s));
	if (parse_state(&c, obj, s) < 0) {
		capsa_oci_state_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

char *capsa_oci_state_to_json(const struct oci_state *s, bool private_fields)
{
	struct json_object *o = json_object_new_object();
	oci_jw_string(o, "ociVersion", s->oci_version ? s->oci_version : CAPSA_OCI_VERSION);
	oci_jw_string(o, "id", s->id ? s->id : "");
	oci_jw_string(o, "status", s->status ? s->status : "stopped");
	if (s->pid > 0)
		oci_jw_i64(o, "pid", s->pid);
	oci_jw_string(o, "bundle", s->bundle ? s->bundle : "");
	oci_jw_map(o, "annotations", s->annotations, s->n_annotations);
	if (private_fields) {
		struct json_object *p = oci_jw_child(o, "capsa", json_object_new_object());
		if (s->init_start_time)
			oci_jw_u64(p, "initStartTime", s->init_start_time);
		oci_jw_string(p, "created", s->created);
		oci_jw_string(p, "rootfs", s->rootfs);
		oci_jw_string(p, "cgroupPath", s->cgroup_path);
		oci_jw_string(p, "owner", s->owner);
	}
	return oci_json_dump(o);
}

void capsa_oci_state_free(struct oci_state *s)
{
	if (s == NULL)
		return;
	free(s->oci_version);
	free(s->id);
	free(s->status);
	free(s->bundle);
	oci_kv_free(s->annotations, s->n_annotations);
	free(s->created);
	free(s->rootfs);
	free(s->cgroup_path);
	free(s->owner);
	free(s);
}
