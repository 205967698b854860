/* SPDX-License-Identifier: GPL-2.0-or-later */
/* OCI and Docker schema 2 manifests, indexes (manifest lists) and image configs: JSON to plain structs. */
#define _GNU_SOURCE
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/utsname.h>

/* ---- platforms ---- */

void capsa_platform_clear(struct capsa_platform *p)
{
	free(p->os);
	free(p->architecture);
	free(p->variant);
	free(p->os_version);
	memset(p, 0, sizeof(*p));
}

static const char *goarch(const char *machine)
{
	static const char *map[][2] = {
		{"x86_64", "amd64"}, {"aarch64", "arm64"},   {"i686", "386"},	 {"i386", "386"},
		{"armv7l", "arm"},   {"ppc64le", "ppc64le"}, {"s390x", "s390x"}, {"riscv64", "riscv64"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (!strcmp(map[i][0], machine))
			return map[i][1];
	return machine;
}

void capsa_platform_host(struct capsa_platform *out)
{
	struct utsname u;
	memset(out, 0, sizeof(*out));
	out->os = xstrdup("linux");
	out->architecture = xstrdup(uname(&u) == 0 ? goarch(u.machine) : "amd64");
}

int capsa_platform_parse(const char *s, struct capsa_platform *out, struct capsa_error **err)
{
	memset(out, 0, sizeof(*out));
	if (s == NULL || *s == '\0')
		return capsa_error_set(err, 0, "invalid platform: empty");
	_cleanup_free_ char *copy = xstrdup(s);
	char *parts[4] = {0};
	size_t n = 0;
	for (char *save = NULL, *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (n == 3)
			return capsa_error_set(err, 0, "invalid platform \"%s\": expected OS/ARCH[/VARIANT]",
					       s);
		parts[n++] = t;
	}
	if (n == 0 || strstr(s, "//") || s[strlen(s) - 1] == '/' || s[0] == '/')
		return capsa_error_set(err, 0, "invalid platform \"%s\": expected OS/ARCH[/VARIANT]", s);
	for (size_t i = 0; i < n; i++)
		for (const char *c = parts[i]; *c; c++)
			if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-' && *c != '.')
				return capsa_error_set(err, 0, "invalid platform \"%s\": bad character '%c'",
						       s, *c);
	if (n == 1) {
		out->os = xstrdup("linux");
		out->architecture = xstrdup(parts[0]);
	} else {
		out->os = xstrdup(parts[0]);
		out->architecture = xstrdup(parts[1]);
		if (n == 3)
			out->variant = xstrdup(parts[2]);
	}
	for (char *c = out->os; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	for (char *c = out->architecture; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return 0;
}

static const char *norm_variant(const char *arch, const char *variant)
{
	if ((variant == NULL || *variant == '\0') && !strcmp(arch, "arm64"))
		return "v8";
	return variant ? variant : "";
}

bool capsa_platform_match(const struct capsa_platform *want, const struct capsa_platform *have)
{
	if (have == NULL || have->os == NULL || have->architecture == NULL)
		return false;
	if (strcmp(want->os, have->os) || strcmp(want->architecture, have->architecture))
		return false;
	if (want->variant && *want->variant)
		return !strcmp(norm_variant(want->architecture, want->variant),
			       norm_variant(have->architecture, have->variant));
	return true;
}

/* ---- descriptors ---- */

void descriptor_clear(struct capsa_descriptor *d)
{
	free(d->media_type);
	free(d->digest);
	if (d->platform) {
		capsa_platform_clear(d->platform);
		free(d->platform);
	}
	kv_free(d->annotations, d->n_annotations);
	memset(d, 0, sizeof(*d));
}

int descriptor_parse(json_object *o, const char *path, struct capsa_descriptor *d, struct capsa_error **err)
{
	if (!json_object_is_type(o, json_type_object))
		return capsa_error_set(err, 0, "%s: expected an object", path);
	if (jx_string(o, "mediaType", path, false, &d->media_type, err) < 0 ||
	    jx_string(o, "digest", path, true, &d->digest, err) < 0 ||
	    jx_int64(o, "size", path, true, &d->size, err) < 0 ||
	    jx_kv(o, "annotations", path, &d->annotations, &d->n_annotations, err) < 0)
		return -1;
	if (capsa_digest_validate(d->digest, err) < 0)
		return capsa_error_prefix(err, "%s.digest", path);
	if (d->size < 0)
		return capsa_error_set(err, 0, "%s.size: must not be negative", path);
	json_object *p;
	if (jx_object(o, "platform", path, false, &p, err) < 0)
		return -1;
	if (p) {
		_cleanup_free_ char *pp = xasprintf("%s.platform", path);
		d->platform = xzalloc(sizeof(*d->platform));
		if (jx_string(p, "os", pp, true, &d->platform->os, err) < 0 ||
		    jx_string(p, "architecture", pp, true, &d->platform->architecture, err) < 0 ||
		    jx_string(p, "variant", pp, false, &d->platform->variant, err) < 0 ||
		    jx_string(p, "os.version", pp, false, &d->platform->os_version, err) < 0)
			return -1;
	}
	return 0;
}

json_object *descriptor_to_json(const struct capsa_descriptor *d)
{
	json_object *o = json_object_new_object();
	if (d->media_type)
		json_object_object_add(o, "mediaType", json_object_new_string(d->media_type));
	json_object_object_add(o, "digest", json_object_new_string(d->digest));
	json_object_object_add(o, "size", json_object_new_int64(d->size));
	if (d->platform) {
		json_object *p = json_object_new_object();
		json_object_object_add(p, "architecture", json_object_new_string(d->platform->architecture));
		json_object_object_add(p, "os", json_object_new_string(d->platform->os));
		if (d->platform->variant)
			json_object_object_add(p, "variant", json_object_new_string(d->platform->variant));
		json_object_object_add(o, "platform", p);
	}
	if (d->n_annotations) {
		json_object *a = json_object_new_object();
		for (size_t i = 0; i < d->n_annotations; i++)
			json_object_object_add(a, d->annotations[i].key,
					       json_object_new_string(d->annotations[i].value));
		json_object_object_add(o, "annotations", a);
	}
	return o;
}

/* ---- manifests and indexes ---- */

enum capsa_manifest_kind capsa_manifest_kind(const char *json, size_t len)
{
	_cleanup_json_ json_object *o = NULL;
	if (jx_parse(json, len, "manifest", &o, NULL) < 0 || !json_object_is_type(o, json_type_object))
		return CAPSA_MANIFEST_UNKNOWN;
	json_object *mt = NULL;
	if (json_object_object_get_ex(o, "mediaType", &mt) && json_object_is_type(mt, json_type_string)) {
		const char *s = json_object_get_string(mt);
		if (!strcmp(s, CAPSA_MT_OCI_INDEX) || !strcmp(s, CAPSA_MT_DOCKER_LIST))
			return CAPSA_MANIFEST_INDEX;
		if (!strcmp(s, CAPSA_MT_OCI_MANIFEST) || !strcmp(s, CAPSA_MT_DOCKER_MANIFEST))
			return CAPSA_MANIFEST_IMAGE;
	}
	if (json_object_object_get_ex(o, "manifests", NULL))
		return CAPSA_MANIFEST_INDEX;
	if (json_object_object_get_ex(o, "layers", NULL) && json_object_object_get_ex(o, "config", NULL))
		return CAPSA_MANIFEST_IMAGE;
	return CAPSA_MANIFEST_UNKNOWN;
}

void capsa_image_manifest_free(struct capsa_image_manifest *m)
{
	if (m == NULL)
		return;
	free(m->media_type);
	descriptor_clear(&m->config);
	for (size_t i = 0; i < m->n_layers; i++)
		descriptor_clear(&m->layers[i]);
	free(m->layers);
	free(m);
}

static int schema2(json_object *o, const char *name, int *out, struct capsa_error **err)
{
	int64_t v = 0;
	if (jx_int64(o, "schemaVersion", name, true, &v, err) < 0)
		return -1;
	if (v != 2)
		return capsa_error_set(err, 0, "%s.schemaVersion: unsupported version %lld (need 2)", name,
				       (long long)v);
	*out = 2;
	return 0;
}

static bool layer_type_ok(const char *mt)
{
	static const char *ok[] = {
		CAPSA_MT_OCI_LAYER,
		CAPSA_MT_OCI_LAYER_GZIP,
		CAPSA_MT_OCI_LAYER_ZSTD,
		CAPSA_MT_DOCKER_LAYER_GZIP,
		"application/vnd.oci.image.layer.nondistributable.v1.tar",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
		CAPSA_MT_DOCKER_LAYER_FOREIGN,
		"application/vnd.docker.image.rootfs.diff.tar",
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		if (!strcmp(mt, ok[i]))
			return true;
	return false;
}

int capsa_image_manifest_parse(const char *json, size_t len, const char *name,
			       struct capsa_image_manifest **out, struct capsa_error **err)
{
	_cleanup_json_ json_object *o = NULL;
	if (jx_parse(json, len, name, &o, err) < 0)
		return -1;
	struct capsa_image_manifest *m = xzalloc(sizeof(*m));
	json_object *cfg, *layers;
	_cleanup_free_ char *cp = xasprintf("%s.config", name);
	if (!json_object_is_type(o, json_type_object)) {
		capsa_error_set(err, 0, "%s: expected an object", name);
		goto fail;
	}
	if (schema2(o, name, &m->schema_version, err) < 0 ||
	    jx_string(o, "mediaType", name, false, &m->media_type, err) < 0 ||
	    jx_object(o, "config", name, true, &cfg, err) < 0 ||
	    jx_array(o, "layers", name, true, &layers, err) < 0)
		goto fail;
	if (m->media_type && strcmp(m->media_type, CAPSA_MT_OCI_MANIFEST) &&
	    strcmp(m->media_type, CAPSA_MT_DOCKER_MANIFEST)) {
		capsa_error_set(err, 0, "%s.mediaType: %s is not an image manifest", name, m->media_type);
		goto fail;
	}
	if (descriptor_parse(cfg, cp, &m->config, err) < 0)
		goto fail;
	m->n_layers = json_object_array_length(layers);
	m->layers = xcalloc(m->n_layers ? m->n_layers : 1, sizeof(*m->layers));
	for (size_t i = 0; i < m->n_layers; i++) {
		_cleanup_free_ char *lp = xasprintf("%s.layers[%zu]", name, i);
		struct capsa_descriptor *d = &m->layers[i];
		if (descriptor_parse(json_object_array_get_idx(layers, i), lp, d, err) < 0)
			goto fail;
		if (d->media_type == NULL)
			d->media_type = xstrdup(CAPSA_MT_OCI_LAYER_GZIP);
		if (!layer_type_ok(d->media_type)) {
			capsa_error_set(err, 0, "%s.mediaType: unsupported layer type %s", lp, d->media_type);
			goto fail;
		}
	}
	*out = m;
	return 0;
fail:
	capsa_image_manifest_free(m);
	return -1;
}

void capsa_image_index_free(struct capsa_image_index *x)
{
	if (x == NULL)
		return;
	free(x->media_type);
	for (size_t i = 0; i < x->n_manifests; i++)
		descriptor_clear(&x->manifests[i]);
	free(x->manifests);
	free(x);
}

int capsa_image_index_parse(const char *json, size_t len, const char *name, struct capsa_image_index **out,
			    struct capsa_error **err)
{
	_cleanup_json_ json_object *o = NULL;
	if (jx_parse(json, len, name, &o, err) < 0)
		return -1;
	struct capsa_image_index *x = xzalloc(sizeof(*x));
	json_object *ms;
	if (!json_object_is_type(o, json_type_object)) {
		capsa_error_set(err, 0, "%s: expected an object", name);
		goto fail;
	}
	if (schema2(o, name, &x->schema_version, err) < 0 ||
	    jx_string(o, "mediaType", name, false, &x->media_type, err) < 0 ||
	    jx_array(o, "manifests", name, true, &ms, err) < 0)
		goto fail;
	x->n_manifests = json_object_array_length(ms);
	x->manifests = xcalloc(x->n_manifests ? x->n_manifests : 1, sizeof(*x->manifests));
	for (size_t i = 0; i < x->n_manifests; i++) {
		_cleanup_free_ char *p = xasprintf("%s.manifests[%zu]", name, i);
		if (descriptor_parse(json_object_array_get_idx(ms, i), p, &x->manifests[i], err) < 0)
			goto fail;
	}
	*out = x;
	return 0;
fail:
	capsa_image_index_free(x);
	return -1;
}

int capsa_image_index_select(const struct capsa_image_index *x, const struct capsa_platform *want,
			     const struct capsa_descriptor **out, struct capsa_error **err)
{
	for (size_t i = 0; i < x->n_manifests; i++) {
		const struct capsa_descriptor *d = &x->manifests[i];
		if (d->platform && capsa_platform_match(want, d->platform)) {
			*out = d;
			return 0;
		}
	}
	/* An index without any platform information (a plain OCI layout) has one choice only. */
	if (x->n_manifests == 1 && x->manifests[0].platform == NULL) {
		*out = &x->manifests[0];
		return 0;
	}
	_cleanup_free_ char *have = xstrdup("");
	for (size_t i = 0; i < x->n_manifests; i++) {
		const struct capsa_platform *p = x->manifests[i].platform;
		char *n = xasprintf("%s%s%s/%s%s%s", have, *have ? ", " : "", p ? p->os : "?",
				    p ? p->architecture : "?", p && p->variant ? "/" : "",
				    p && p->variant ? p->variant : "");
		free(have);
		have = n;
	}
	return capsa_error_set(err, 0, "no image for platform %s/%s%s%s (the index has: %s)", want->os,
			       want->architecture, want->variant ? "/" : "",
			       want->variant ? want->variant : "", *have ? have : "nothing");
}

/* ---- image configs ---- */

void capsa_image_config_free(struct capsa_image_config *c)
{
	if (c == NULL)
		return;
	free(c->created);
	free(c->author);
	free(c->architecture);
	free(c->os);
	free(c->variant);
	free(c->user);
	strv_free_n(c->env, c->n_env);
	strv_free_n(c->entrypoint, c->n_entrypoint);
	strv_free_n(c->cmd, c->n_cmd);
	free(c->working_dir);
	strv_free_n(c->exposed_ports, c->n_exposed_ports);
	strv_free_n(c->volumes, c->n_volumes);
	kv_free(c->labels, c->n_labels);
	free(c->stop_signal);
	strv_free_n(c->shell, c->n_shell);
	if (c->healthcheck) {
		strv_free_n(c->healthcheck->test, c->healthcheck->n_test);
		free(c->healthcheck);
	}
	strv_free_n(c->diff_ids, c->n_diff_ids);
	for (size_t i = 0; i < c->n_history; i++) {
		free(c->history[i].created);
		free(c->history[i].created_by);
		free(c->history[i].author);
		free(c->history[i].comment);
	}
	free(c->history);
	free(c);
}

static int parse_container_config(json_object *cc, const char *p, struct capsa_image_config *c,
				  struct capsa_error **err)
{
	if (jx_string(cc, "User", p, false, &c->user, err) < 0 ||
	    jx_strv(cc, "Env", p, &c->env, &c->n_env, err) < 0 ||
	    jx_strv(cc, "Entrypoint", p, &c->entrypoint, &c->n_entrypoint, err) < 0 ||
	    jx_strv(cc, "Cmd", p, &c->cmd, &c->n_cmd, err) < 0 ||
	    jx_string(cc, "WorkingDir", p, false, &c->working_dir, err) < 0 ||
	    jx_keys(cc, "ExposedPorts", p, &c->exposed_ports, &c->n_exposed_ports, err) < 0 ||
	    jx_keys(cc, "Volumes", p, &c->volumes, &c->n_volumes, err) < 0 ||
	    jx_kv(cc, "Labels", p, &c->labels, &c->n_labels, err) < 0 ||
	    jx_string(cc, "StopSignal", p, false, &c->stop_signal, err) < 0 ||
	    jx_strv(cc, "Shell", p, &c->shell, &c->n_shell, err) < 0)
		return -1;
	json_object *hc;
	if (jx_object(cc, "Healthcheck", p, false, &hc, err) < 0)
		return -1;
	if (hc) {
		_cleanup_free_ char *hp = xasprintf("%s.Healthcheck", p);
		c->healthcheck = xzalloc(sizeof(*c->healthcheck));
		struct capsa_healthcheck *h = c->healthcheck;
		if (jx_strv(hc, "Test", hp, &h->test, &h->n_test, err) < 0 ||
		    jx_int64(hc, "Interval", hp, false, &h->interval, err) < 0 ||
		    jx_int64(hc, "Timeout", hp, false, &h->timeout, err) < 0 ||
		    jx_int64(hc, "StartPeriod", hp, false, &h->start_period, err) < 0 ||
		    jx_int64(hc, "StartInterval", hp, false, &h->start_interval, err) < 0 ||
		    jx_int64(hc, "Retries", hp, false, &h->retries, err) < 0)
			return -1;
	}
	return 0;
}

int capsa_image_config_parse(const char *json, size_t len, const char *name, struct capsa_image_config **out,
			     struct capsa_error **err)
{
	_cleanup_json_ json_object *o = NULL;
	if (jx_parse(json, len, name, &o, err) < 0)
		return -1;
	_cleanup_image_config_ struct capsa_image_config *c = xzalloc(sizeof(*c));
	if (!json_object_is_type(o, json_type_object))
		return capsa_error_set(err, 0, "%s: expected an object", name);
	if (jx_string(o, "created", name, false, &c->created, err) < 0 ||
	    jx_string(o, "author", name, false, &c->author, err) < 0 ||
	    jx_string(o, "architecture", name, true, &c->architecture, err) < 0 ||
	    jx_string(o, "os", name, true, &c->os, err) < 0 ||
	    jx_string(o, "variant", name, false, &c->variant, err) < 0)
		return -1;
	json_object *cc, *rootfs, *hist;
	_cleanup_free_ char *cp = xasprintf("%s.config", name);
	if (jx_object(o, "config", name, false, &cc, err) < 0)
		return -1;
	if (cc && parse_container_config(cc, cp, c, err) < 0)
		return -1;
	_cleanup_free_ char *rp = xasprintf("%s.rootfs", name);
	if (jx_object(o, "rootfs", name, true, &rootfs, err) < 0)
		return -1;
	_cleanup_free_ char *type = NULL;
	if (jx_string(rootfs, "type", rp, true, &type, err) < 0)
		return -1;
	if (strcmp(type, "layers"))
		return capsa_error_set(err, 0, "%s.type: expected \"layers\", got \"%s\"", rp, type);
	if (jx_strv(rootfs, "diff_ids", rp, &c->diff_ids, &c->n_diff_ids, err) < 0)
		return -1;
	if (c->diff_ids == NULL)
		return capsa_error_set(err, 0, "%s.diff_ids: missing", rp);
	for (size_t i = 0; i < c->n_diff_ids; i++)
		if (capsa_digest_validate(c->diff_ids[i], err) < 0)
			return capsa_error_prefix(err, "%s.diff_ids[%zu]", rp, i);
	if (jx_array(o, "history", name, false, &hist, err) < 0)
		return -1;
	if (hist) {
		c->n_history = json_object_array_length(hist);
		c->history = xcalloc(c->n_history ? c->n_history : 1, sizeof(*c->history));
		for (size_t i = 0; i < c->n_history; i++) {
			_cleanup_free_ char *hp = xasprintf("%s.history[%zu]", name, i);
			json_object *h = json_object_array_get_idx(hist, i);
			struct capsa_history *e = &c->history[i];
			if (!json_object_is_type(h, json_type_object))
				return capsa_error_set(err, 0, "%s: expected an object", hp);
			if (jx_string(h, "created", hp, false, &e->created, err) < 0 ||
			    jx_string(h, "created_by", hp, false, &e->created_by, err) < 0 ||
			    jx_string(h, "author", hp, false, &e->author, err) < 0 ||
			    jx_string(h, "comment", hp, false, &e->comment, err) < 0 ||
			    jx_bool(h, "empty_layer", hp, &e->empty_layer, err) < 0)
				return -1;
		}
	}
	*out = TAKE_PTR(c);
	return 0;
}

static json_object *keys_to_json(char *const *v, size_t n)
{
	json_object *o = json_object_new_object();
	for (size_t i = 0; i < n; i++)
		json_object_object_add(o, v[i], json_object_new_object());
	return o;
}

char *capsa_image_config_to_json(const struct capsa_image_config *c)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	if (c->created)
		json_object_object_add(o, "created", json_object_new_string(c->created));
	if (c->author)
		json_object_object_add(o, "author", json_object_new_string(c->author));
	json_object_object_add(o, "architecture",
			       json_object_new_string(c->architecture ? c->architecture : "amd64"));
	json_object_object_add(o, "os", json_object_new_string(c->os ? c->os : "linux"));
	if (c->variant)
		json_object_object_add(o, "variant", json_object_new_string(c->variant));
	json_object *cc = json_object_new_object();
	if (c->user)
		json_object_object_add(cc, "User", json_object_new_string(c->user));
	if (c->n_exposed_ports)
		json_object_object_add(cc, "ExposedPorts",
				       keys_to_json(c->exposed_ports, c->n_exposed_ports));
	if (c->env)
		json_object_object_add(cc, "Env", strv_to_json(c->env, c->n_env));
	if (c->entrypoint)
		json_object_object_add(cc, "Entrypoint", strv_to_json(c->entrypoint, c->n_entrypoint));
	if (c->cmd)
		json_object_object_add(cc, "Cmd", strv_to_json(c->cmd, c->n_cmd));
	if (c->n_volumes)
		json_object_object_add(cc, "Volumes", keys_to_json(c->volumes, c->n_volumes));
	if (c->working_dir)
		json_object_object_add(cc, "WorkingDir", json_object_new_string(c->working_dir));
	if (c->n_labels) {
		json_object *l = json_object_new_object();
		for (size_t i = 0; i < c->n_labels; i++)
			json_object_object_add(l, c->labels[i].key,
					       json_object_new_string(c->labels[i].value));
		json_object_object_add(cc, "Labels", l);
	}
	if (c->stop_signal)
		json_object_object_add(cc, "StopSignal", json_object_new_string(c->stop_signal));
	if (c->shell)
		json_object_object_add(cc, "Shell", strv_to_json(c->shell, c->n_shell));
	if (c->healthcheck) {
		const struct capsa_healthcheck *h = c->healthcheck;
		json_object *ho = json_object_new_object();
		json_object_object_add(ho, "Test", strv_to_json(h->test, h->n_test));
		json_object_object_add(ho, "Interval", json_object_new_int64(h->interval));
		json_object_object_add(ho, "Timeout", json_object_new_int64(h->timeout));
		json_object_object_add(ho, "StartPeriod", json_object_new_int64(h->start_period));
		json_object_object_add(ho, "Retries", json_object_new_int64(h->retries));
		json_object_object_add(cc, "Healthcheck", ho);
	}
	json_object_object_add(o, "config", cc);
	json_object *rootfs = json_object_new_object();
	json_object_object_add(rootfs, "type", json_object_new_string("layers"));
	json_object_object_add(rootfs, "diff_ids", strv_to_json(c->diff_ids, c->n_diff_ids));
	json_object_object_add(o, "rootfs", rootfs);
	if (c->n_history) {
		json_object *ha = json_object_new_array();
		for (size_t i = 0; i < c->n_history; i++) {
			const struct capsa_history *h = &c->history[i];
			json_object *e = json_object_new_object();
			if (h->created)
				json_object_object_add(e, "created", json_object_new_string(h->created));
			if (h->created_by)
				json_object_object_add(e, "created_by",
						       json_object_new_string(h->created_by));
			if (h->author)
				json_object_object_add(e, "author", json_object_new_string(h->author));
			if (h->comment)
				json_object_object_add(e, "comment", json_object_new_string(h->comment));
			if (h->empty_layer)
				json_object_object_add(e, "empty_layer", json_object_new_boolean(1));
			json_object_array_add(ha, e);
		}
		json_object_object_add(o, "history", ha);
	}
	return json_dump(o, false);
}
