/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config.json: the top level, root, mounts, hooks and annotations; process and linux live in their own files.
 */
#include "oci-spec/json-internal.h"
#include "common/util.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

static const char *const ns_names[OCI_NS_COUNT] = {
	[OCI_NS_PID] = "pid",	    [OCI_NS_NETWORK] = "network", [OCI_NS_MOUNT] = "mount",
	[OCI_NS_IPC] = "ipc",	    [OCI_NS_UTS] = "uts",	  [OCI_NS_USER] = "user",
	[OCI_NS_CGROUP] = "cgroup", [OCI_NS_TIME] = "time",
};

const char *capsa_oci_ns_name(enum oci_ns_type t)
{
	if ((unsigned)t >= OCI_NS_COUNT)
		return NULL;
	return ns_names[t];
}

int capsa_oci_ns_from_name(const char *name)
{
	for (int i = 0; i < OCI_NS_COUNT; i++) {
		if (name && strcmp(name, ns_names[i]) == 0)
			return i;
	}
	return -1;
}

static int parse_root(struct jctx *c, struct json_object *v, const struct jpath *p, struct oci_root **out)
{
	if (oci_jobject(c, v, p) < 0)
		return -1;
	struct oci_root *r = *out = xzalloc(sizeof(*r));
	if (oci_jf_string(c, v, p, "path", true, &r->path) < 0)
		return -1;
	return oci_jf_bool(c, v, p, "readonly", &r->readonly);
}

static int parse_mount(struct jctx *c, struct json_object *v, const struct jpath *p, struct oci_mount *m)
{
	if (oci_jf_string(c, v, p, "destination", true, &m->destination) < 0 ||
	    oci_jf_string(c, v, p, "source", false, &m->source) < 0 ||
	    oci_jf_string(c, v, p, "type", false, &m->type) < 0 ||
	    oci_jf_strv(c, v, p, "options", &m->options, &m->n_options) < 0 ||
	    oci_jf_idmaps(c, v, p, "uidMappings", &m->uid_mappings, &m->n_uid_mappings) < 0 ||
	    oci_jf_idmaps(c, v, p, "gidMappings", &m->gid_mappings, &m->n_gid_mappings) < 0)
		return -1;
	return 0;
}

static int parse_hook(struct jctx *c, struct json_object *v, const struct jpath *p, struct oci_hook *h)
{
	if (oci_jf_string(c, v, p, "path", true, &h->path) < 0)
		return -1;
	if (h->path[0] != '/')
		return oci_jerr(c, JP_KEY(p, "path"), "expected an absolute path");
	if (oci_jf_strv(c, v, p, "args", &h->args, &h->n_args) < 0 ||
	    oci_jf_strv(c, v, p, "env", &h->env, &h->n_env) < 0 ||
	    oci_jf_opt_i64(c, v, p, "timeout", 1, INT64_MAX, &h->timeout) < 0)
		return -1;
	return 0;
}

static void hook_free(struct oci_hook *h)
{
	free(h->path);
	oci_strv_free(h->args, h->n_args);
	oci_strv_free(h->env, h->n_env);
}

#define HOOK_KINDS(X)                                                                                        \
	X("prestart", prestart)                                                                              \
	X("createRuntime", create_runtime)                                                                   \
	X("createContainer", create_container)                                                               \
	X("startContainer", start_container)                                                                 \
	X("poststart", poststart)                                                                            \
	X("poststop", poststop)

static int parse_hooks(struct jctx *c, struct json_object *v, const struct jpath *p, struct oci_hooks *h)
{
	if (oci_jobject(c, v, p) < 0)
		return -1;
	struct json_object *list;
#define PARSE_KIND(key, field)                                                                               \
	list = oci_jget(v, key);                                                                             \
	if (list && OCI_PARSE_ARRAY(c, list, JP_KEY(p, key), h->field, h->n_##field, parse_hook) < 0)        \
		return -1;
	HOOK_KINDS(PARSE_KIND)
#undef PARSE_KIND
	return 0;
}

static void hooks_free(struct oci_hooks *h)
{
#define FREE_KIND(key, field)                                                                                \
	for (size_t i = 0; h->field && i < h->n_##field; i++)                                                \
		hook_free(&h->field[i]);                                                                     \
	free(h->field);
	HOOK_KINDS(FREE_KIND)
#undef FREE_KIND
}

static int parse_config(struct jctx *c, struct json_object *obj, struct oci_config *cfg)
{
	struct json_object *v;
	if (oci_jf_string(c, obj, NULL, "ociVersion", true, &cfg->oci_version) < 0)
		return -1;
	if ((v = oci_jget(obj, "process")) &&
	    oci_parse_process(c, v, JP_KEY(NULL, "process"), &cfg->process) < 0)
		return -1;
	if ((v = oci_jget(obj, "root")) && parse_root(c, v, JP_KEY(NULL, "root"), &cfg->root) < 0)
		return -1;
	if (oci_jf_string(c, obj, NULL, "hostname", false, &cfg->hostname) < 0 ||
	    oci_jf_string(c, obj, NULL, "domainname", false, &cfg->domainname) < 0)
		return -1;
	if ((v = oci_jget(obj, "mounts")) &&
	    OCI_PARSE_ARRAY(c, v, JP_KEY(NULL, "mounts"), cfg->mounts, cfg->n_mounts, parse_mount) < 0)
		return -1;
	if ((v = oci_jget(obj, "hooks")) && parse_hooks(c, v, JP_KEY(NULL, "hooks"), &cfg->hooks) < 0)
		return -1;
	if (oci_jf_map(c, obj, NULL, "annotations", &cfg->annotations, &cfg->n_annotations) < 0)
		return -1;
	if ((v = oci_jget(obj, "linux")) && oci_parse_linux(c, v, JP_KEY(NULL, "linux"), &cfg->linux_) < 0)
		return -1;
	return 0;
}

int capsa_oci_config_parse(const char *json, size_t len, const char *name, struct oci_config **out,
			   struct capsa_error **err)
{
	_cleanup_json_ struct json_object *obj = NULL;
	if (oci_json_parse_object(json, len, name, &obj, err) < 0)
		return -1;
	struct jctx c = {.name = name, .err = err};
	struct oci_config *cfg = xzalloc(sizeof(*cfg));
	if (parse_config(&c, obj, cfg) < 0) {
		capsa_oci_config_free(cfg);
		return -1;
	}
	*out = cfg;
	return 0;
}

int capsa_oci_config_parse_file(const char *path, struct oci_config **out, struct capsa_error **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	if (capsa_read_file_at(AT_FDCWD, path, 0, &buf, &len, err) < 0)
		return -1;
	return capsa_oci_config_parse(buf, len, path, out, err);
}

static void mount_free(struct oci_mount *m)
{
	free(m->destination);
	free(m->source);
	free(m->type);
	oci_strv_free(m->options, m->n_options);
	free(m->uid_mappings);
	free(m->gid_mappings);
}

void capsa_oci_config_free(struct oci_config *c)
{
	if (c == NULL)
		return;
	free(c->oci_version);
	capsa_oci_process_free(c->process);
	if (c->root) {
		free(c->root->path);
		free(c->root);
	}
	free(c->hostname);
	free(c->domainname);
	for (size_t i = 0; c->mounts && i < c->n_mounts; i++)
		mount_free(&c->mounts[i]);
	free(c->mounts);
	hooks_free(&c->hooks);
	oci_kv_free(c->annotations, c->n_annotations);
	oci_linux_free(c->linux_);
	free(c);
}

static void hooks_to_json(struct json_object *o, const struct oci_hooks *h)
{
	struct json_object *ho = NULL;
#define WRITE_KIND(key, field)                                                                               \
	if (h->field) {                                                                                      \
		if (ho == NULL)                                                                              \
			ho = oci_jw_child(o, "hooks", json_object_new_object());                             \
		struct json_object *a = oci_jw_child(ho, key, json_object_new_array());                      \
		for (size_t i = 0; i < h->n_##field; i++) {                                                  \
			const struct oci_hook *hk = &h->field[i];                                            \
			struct json_object *e = json_object_new_object();                                    \
			json_object_array_add(a, e);                                                         \
			oci_jw_string(e, "path", hk->path);                                                  \
			oci_jw_strv(e, "args", hk->args, hk->n_args);                                        \
			oci_jw_strv(e, "env", hk->env, hk->n_env);                                           \
			oci_jw_opt_i64(e, "timeout", hk->timeout);                                           \
		}                                                                                            \
	}
	HOOK_KINDS(WRITE_KIND)
#undef WRITE_KIND
}

char *capsa_oci_config_to_json(const struct oci_config *c)
{
	struct json_object *o = json_object_new_object();
	oci_jw_string(o, "ociVersion", c->oci_version ? c->oci_version : CAPSA_OCI_VERSION);
	if (c->process)
		oci_jw_child(o, "process", oci_process_to_json(c->process));
	if (c->root) {
		struct json_object *r = oci_jw_child(o, "root", json_object_new_object());
		oci_jw_string(r, "path", c->root->path);
		if (c->root->readonly)
			oci_jw_bool(r, "readonly", true);
	}
	oci_jw_string(o, "hostname", c->hostname);
	oci_jw_string(o, "domainname", c->domainname);
	if (c->mounts) {
		struct json_object *a = oci_jw_child(o, "mounts", json_object_new_array());
		for (size_t i = 0; i < c->n_mounts; i++) {
			const struct oci_mount *m = &c->mounts[i];
			struct json_object *e = json_object_new_object();
			json_object_array_add(a, e);
			oci_jw_string(e, "destination", m->destination);
			oci_jw_string(e, "type", m->type);
			oci_jw_string(e, "source", m->source);
			oci_jw_strv(e, "options", m->options, m->n_options);
			oci_jw_idmaps(e, "uidMappings", m->uid_mappings, m->n_uid_mappings);
			oci_jw_idmaps(e, "gidMappings", m->gid_mappings, m->n_gid_mappings);
		}
	}
	hooks_to_json(o, &c->hooks);
	oci_jw_map(o, "annotations", c->annotations, c->n_annotations);
	if (c->linux_)
		oci_jw_child(o, "linux", oci_linux_to_json(c->linux_));
	return oci_json_dump(o);
}
