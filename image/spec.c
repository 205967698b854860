/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The image config seen from a container: `import --change` instructions, user and group names resolved
 * through the image's own /etc/passwd and /etc/group, and the runtime-spec process built from
 * Entrypoint/Cmd/Env/WorkingDir/User with the caller's overrides.
 */
#define _GNU_SOURCE
#include "internal.h"
#include "common/signal.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <string.h>

/* ---- --change ---- */

/* Splits on blanks, honouring double and single quotes and backslash escapes. */
static int split_words(const char *s, char ***out, size_t *n, struct capsa_error **err)
{
	char **v = NULL;
	size_t cnt = 0;
	const char *p = s;
	for (;;) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		size_t cap = strlen(p) + 1, k = 0;
		_cleanup_free_ char *w = xmalloc(cap);
		char q = 0;
		for (; *p && (q || !isspace((unsigned char)*p)); p++) {
			if (q) {
				if (*p == q)
					q = 0;
				else if (*p == '\\' && q == '"' && p[1])
					w[k++] = *++p;
				else
					w[k++] = *p;
			} else if (*p == '"' || *p == '\'') {
				q = *p;
			} else if (*p == '\\' && p[1]) {
				w[k++] = *++p;
			} else {
				w[k++] = *p;
			}
		}
		if (q) {
			strv_free_n(v, cnt);
			return capsa_error_set(err, 0, "unterminated quote in \"%s\"", s);
		}
		w[k] = '\0';
		v = xreallocarray(v, cnt + 2, sizeof(char *));
		v[cnt++] = TAKE_PTR(w);
		v[cnt] = NULL;
	}
	if (v == NULL)
		v = xcalloc(1, sizeof(char *));
	*out = v;
	*n = cnt;
	return 0;
}

/* CMD/ENTRYPOINT: a JSON array of strings (exec form) or a command line for /bin/sh -c (shell form). */
static int parse_command(const char *arg, char ***out, size_t *n, struct capsa_error **err)
{
	const char *p = arg;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '[') {
		_cleanup_json_ json_object *o = NULL;
		if (jx_parse(p, strlen(p), "exec form", &o, err) < 0)
			return -1;
		if (!json_object_is_type(o, json_type_array))
			return capsa_error_set(err, 0, "exec form: expected a JSON array of strings");
		size_t len = json_object_array_length(o);
		char **v = xcalloc(len + 1, sizeof(char *));
		for (size_t i = 0; i < len; i++) {
			json_object *e = json_object_array_get_idx(o, i);
			if (!json_object_is_type(e, json_type_string)) {
				strv_free_n(v, i);
				return capsa_error_set(err, 0, "exec form: [%zu]: expected a string", i);
			}
			v[i] = xstrdup(json_object_get_string(e));
		}
		*out = v;
		*n = len;
		return 0;
	}
	char **v = xcalloc(4, sizeof(char *));
	v[0] = xstrdup("/bin/sh");
	v[1] = xstrdup("-c");
	v[2] = xstrdup(p);
	*out = v;
	*n = 3;
	return 0;
}

static void env_set(char ***env, size_t *n, const char *key, const char *value)
{
	size_t kl = strlen(key);
	char *kv = xasprintf("%s=%s", key, value);
	for (size_t i = 0; i < *n; i++) {
		if (!strncmp((*env)[i], key, kl) && (*env)[i][kl] == '=') {
			free((*env)[i]);
			(*env)[i] = kv;
			return;
		}
	}
	*env = xreallocarray(*env, *n + 2, sizeof(char *));
	(*env)[(*n)++] = kv;
	(*env)[*n] = NULL;
}

static void env_unset(char ***env, size_t *n, const char *key)
{
	size_t kl = strlen(key);
	for (size_t i = 0; i < *n; i++) {
		if (!strncmp((*env)[i], key, kl) && ((*env)[i][kl] == '=' || (*env)[i][kl] == '\0')) {
			free((*env)[i]);
			memmove(&(*env)[i], &(*env)[i + 1], (*n - i) * sizeof(char *));
			(*n)--;
			return;
		}
	}
}

static void kv_set(struct capsa_kv **kv, size_t *n, const char *key, const char *value)
{
	for (size_t i = 0; i < *n; i++) {
		if (!strcmp((*kv)[i].key, key)) {
			free((*kv)[i].value);
			(*kv)[i].value = xstrdup(value);
			return;
		}
	}
	*kv = xreallocarray(*kv, *n + 1, sizeof(**kv));
	(*kv)[*n].key = xstrdup(key);
	(*kv)[*n].value = xstrdup(value);
	(*n)++;
}

static void set_add(char ***v, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i], s))
			return;
	*v = xreallocarray(*v, *n + 2, sizeof(char *));
	(*v)[(*n)++] = xstrdup(s);
	(*v)[*n] = NULL;
}

/* ENV and LABEL: "K=V K2=V2" or the legacy "K V with spaces". */
static int parse_pairs(const char *what, const char *arg, bool is_env, struct capsa_image_config *c,
		       struct capsa_error **err)
{
	_cleanup_strv_ char **w = NULL;
	size_t n = 0;
	if (split_words(arg, &w, &n, err) < 0)
		return capsa_error_prefix(err, "%s", what);
	if (n == 0)
		return capsa_error_set(err, 0, "%s: needs an argument", what);
	if (strchr(w[0], '=') == NULL) {
		if (n < 2)
			return capsa_error_set(err, 0, "%s %s: missing value", what, w[0]);
		const char *rest = arg + strspn(arg, " \t");
		rest += strcspn(rest, " \t");
		rest += strspn(rest, " \t");
		if (is_env)
			env_set(&c->env, &c->n_env, w[0], rest);
		else
			kv_set(&c->labels, &c->n_labels, w[0], rest);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		char *eq = strchr(w[i], '=');
		if (eq == NULL || eq == w[i])
			return capsa_error_set(err, 0, "%s: \"%s\" is not KEY=VALUE", what, w[i]);
		*eq = '\0';
		if (is_env)
			env_set(&c->env, &c->n_env, w[i], eq + 1);
		else
			kv_set(&c->labels, &c->n_labels, w[i], eq + 1);
	}
	return 0;
}

int capsa_image_config_change(struct capsa_image_config *c, const char *change, struct capsa_error **err)
{
	const char *p = change;
	while (isspace((unsigned char)*p))
		p++;
	size_t kl = strcspn(p, " \t");
	_cleanup_free_ char *kw = xstrndup(p, kl);
	for (char *k = kw; *k; k++)
		*k = (char)toupper((unsigned char)*k);
	const char *arg = p + kl;
	while (isspace((unsigned char)*arg))
		arg++;
	if (*arg == '\0')
		return capsa_error_set(err, 0, "change \"%s\": missing argument", change);

	if (!strcmp(kw, "CMD") || !strcmp(kw, "ENTRYPOINT")) {
		char **v;
		size_t n;
		if (parse_command(arg, &v, &n, err) < 0)
			return capsa_error_prefix(err, "change \"%s\"", change);
		if (kw[0] == 'C') {
			strv_free_n(c->cmd, c->n_cmd);
			c->cmd = v;
			c->n_cmd = n;
		} else {
			strv_free_n(c->entrypoint, c->n_entrypoint);
			c->entrypoint = v;
			c->n_entrypoint = n;
		}
		return 0;
	}
	if (!strcmp(kw, "ENV") || !strcmp(kw, "LABEL"))
		return parse_pairs(kw, arg, kw[0] == 'E', c, err) < 0
			       ? capsa_error_prefix(err, "change \"%s\"", change)
			       : 0;
	if (!strcmp(kw, "WORKDIR")) {
		char *w;
		if (arg[0] == '/')
			w = xstrdup(arg);
		else
			w = xasprintf("%s/%s", c->working_dir && *c->working_dir ? c->working_dir : "", arg);
		free(c->working_dir);
		c->working_dir = w;
		return 0;
	}
	if (!strcmp(kw, "USER")) {
		free(c->user);
		c->user = xstrdup(arg);
		return 0;
	}
	if (!strcmp(kw, "STOPSIGNAL")) {
		if (capsa_signal_parse(arg) < 0)
			return capsa_error_set(err, 0, "change \"%s\": unknown signal", change);
		free(c->stop_signal);
		c->stop_signal = xstrdup(arg);
		return 0;
	}
	if (!strcmp(kw, "EXPOSE") || !strcmp(kw, "VOLUME")) {
		_cleanup_strv_ char **w = NULL;
		size_t n = 0;
		if (kw[0] == 'V' && *arg == '[') {
			if (parse_command(arg, &w, &n, err) < 0)
				return capsa_error_prefix(err, "change \"%s\"", change);
		} else if (split_words(arg, &w, &n, err) < 0) {
			return capsa_error_prefix(err, "change \"%s\"", change);
		}
		for (size_t i = 0; i < n; i++) {
			if (kw[0] == 'V') {
				if (w[i][0] != '/')
					return capsa_error_set(err, 0,
							       "change \"%s\": volume %s is not absolute",
							       change, w[i]);
				set_add(&c->volumes, &c->n_volumes, w[i]);
				continue;
			}
			uint64_t port;
			_cleanup_free_ char *num = xstrndup(w[i], strcspn(w[i], "/"));
			const char *proto = strchr(w[i], '/');
			proto = proto ? proto + 1 : "tcp";
			if (capsa_parse_u64(num, &port) < 0 || port == 0 || port > 65535 ||
			    (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp")))
				return capsa_error_set(err, 0, "change \"%s\": bad port \"%s\"", change,
						       w[i]);
			_cleanup_free_ char *norm = xasprintf("%llu/%s", (unsigned long long)port, proto);
			set_add(&c->exposed_ports, &c->n_exposed_ports, norm);
		}
		return 0;
	}
	return capsa_error_set(
		err, EINVAL,
		"change \"%s\": unsupported instruction %s (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, "
		"STOPSIGNAL, USER, VOLUME, WORKDIR)",
		change, kw);
}

/* ---- users and groups ---- */

/* Finds the line of a passwd/group text whose field 0 (name) or field 2 (id) matches. Returns the
 * fields (split on ':') in a fresh strv, NULL when not found. */
static char **find_entry(const char *text, const char *name, int64_t id)
{
	if (text == NULL)
		return NULL;
	for (const char *line = text; *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		if (len && line[0] != '#') {
			_cleanup_free_ char *l = xstrndup(line, len);
			char **f = xcalloc(8, sizeof(char *));
			size_t nf = 0;
			char *p = l;
			while (nf < 7) {
				char *c = strchr(p, ':');
				f[nf++] = c ? xstrndup(p, (size_t)(c - p)) : xstrdup(p);
				if (!c)
					break;
				p = c + 1;
			}
			uint64_t v;
			bool match =
				nf >= 3 && ((name && !strcmp(f[0], name)) ||
					    (id >= 0 && capsa_parse_u64(f[2], &v) == 0 && v == (uint64_t)id));
			if (match)
				return f;
			capsa_strv_free(f);
		}
		if (!end)
			break;
		line = end + 1;
	}
	return NULL;
}

static bool numeric_id(const char *s, uint32_t *out)
{
	uint64_t v;
	if (capsa_parse_u64(s, &v) < 0 || v > UINT32_MAX - 1)
		return false;
	*out = (uint32_t)v;
	return true;
}

int capsa_image_resolve_user(const char *spec, const char *passwd, const char *group, struct oci_user *out,
			     struct capsa_error **err)
{
	memset(out, 0, sizeof(*out));
	_cleanup_free_ char *u = xstrdup(spec && *spec ? spec : "0");
	char *g = strchr(u, ':');
	if (g)
		*g++ = '\0';
	if (*u == '\0' || (g && *g == '\0'))
		return capsa_error_set(err, 0, "invalid user \"%s\"", spec);
	_cleanup_free_ char *uname = NULL;
	uint32_t id;
	if (numeric_id(u, &id)) {
		out->uid = id;
		_cleanup_strv_ char **pw = find_entry(passwd, NULL, id);
		if (pw) {
			uint32_t gid;
			if (numeric_id(pw[3] ? pw[3] : "", &gid))
				out->gid = gid;
			uname = xstrdup(pw[0]);
		}
	} else {
		_cleanup_strv_ char **pw = find_entry(passwd, u, -1);
		if (pw == NULL)
			return capsa_error_set(
				err, ENOENT, "unable to find user %s: no matching entries in passwd file", u);
		uint32_t uid, gid;
		if (!numeric_id(pw[2], &uid) || !pw[3] || !numeric_id(pw[3], &gid))
			return capsa_error_set(err, 0, "passwd entry for %s has bad ids", u);
		out->uid = uid;
		out->gid = gid;
		uname = xstrdup(u);
	}
	if (g) {
		if (numeric_id(g, &id)) {
			out->gid = id;
		} else {
			_cleanup_strv_ char **gr = find_entry(group, g, -1);
			if (gr == NULL)
				return capsa_error_set(
					err, ENOENT,
					"unable to find group %s: no matching entries in group file", g);
			if (!numeric_id(gr[2], &out->gid))
				return capsa_error_set(err, 0, "group entry for %s has a bad id", g);
		}
		return 0;
	}
	/* Supplementary groups: every group listing the user as a member (as login(1) would set). */
	if (uname == NULL || group == NULL)
		return 0;
	for (const char *line = group; *line;) {
		const char *end = strchr(line, '\n');
		_cleanup_free_ char *l = xstrndup(line, end ? (size_t)(end - line) : strlen(line));
		char *f[4] = {0};
		char *p = l;
		size_t nf = 0;
		while (nf < 4 && p) {
			f[nf++] = p;
			p = strchr(p, ':');
			if (p)
				*p++ = '\0';
		}
		uint32_t gid;
		if (nf == 4 && numeric_id(f[2], &gid) && gid != out->gid) {
			for (char *save = NULL, *m = strtok_r(f[3], ",", &save); m;
			     m = strtok_r(NULL, ",", &save)) {
				if (strcmp(m, uname))
					continue;
				out->additional_gids = xreallocarray(
					out->additional_gids, out->n_additional_gids + 1, sizeof(uint32_t));
				out->additional_gids[out->n_additional_gids++] = gid;
				break;
			}
		}
		if (!end)
			break;
		line = end + 1;
	}
	return 0;
}

/* ---- config to runtime ---- */

void capsa_image_runtime_free(struct capsa_image_runtime *r)
{
	if (r == NULL)
		return;
	strv_free_n(r->process.args, r->process.n_args);
	strv_free_n(r->process.env, r->process.n_env);
	free(r->process.cwd);
	free(r->process.user.additional_gids);
	strv_free_n(r->exposed_ports, r->n_exposed_ports);
	strv_free_n(r->volumes, r->n_volumes);
	kv_free(r->labels, r->n_labels);
	if (r->healthcheck) {
		strv_free_n(r->healthcheck->test, r->healthcheck->n_test);
		free(r->healthcheck);
	}
	free(r);
}

static void append(char ***v, size_t *n, char *const *add, size_t na)
{
	*v = xreallocarray(*v, *n + na + 1, sizeof(char *));
	for (size_t i = 0; i < na; i++)
		(*v)[(*n)++] = xstrdup(add[i]);
	(*v)[*n] = NULL;
}

int capsa_image_config_to_runtime(const struct capsa_image_config *c, const struct capsa_image_overrides *o,
				  const char *passwd, const char *group, struct capsa_image_runtime **out,
				  struct capsa_error **err)
{
	static const struct capsa_image_overrides none;
	if (o == NULL)
		o = &none;
	struct capsa_image_runtime *r = xzalloc(sizeof(*r));
	struct oci_process *p = &r->process;

	/* An overridden entrypoint drops the image's Cmd too, as docker run --entrypoint does. */
	char *const *ep = o->entrypoint ? o->entrypoint : c->entrypoint;
	size_t nep = o->entrypoint ? o->n_entrypoint : c->n_entrypoint;
	char *const *cmd = o->cmd ? o->cmd : (o->entrypoint ? NULL : c->cmd);
	size_t ncmd = o->cmd ? o->n_cmd : (o->entrypoint ? 0 : c->n_cmd);
	append(&p->args, &p->n_args, ep, nep);
	append(&p->args, &p->n_args, cmd, ncmd);
	if (p->n_args == 0) {
		capsa_image_runtime_free(r);
		return capsa_error_set(err, 0, "no command: the image has neither Entrypoint nor Cmd");
	}

	append(&p->env, &p->n_env, c->env, c->n_env);
	bool has_path = false;
	for (size_t i = 0; i < p->n_env; i++)
		has_path |= capsa_str_has_prefix(p->env[i], "PATH=");
	if (!has_path)
		env_set(&p->env, &p->n_env, "PATH",
			"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	for (size_t i = 0; i < o->n_env; i++) {
		char *eq = strchr(o->env[i], '=');
		if (eq == NULL) {
			env_unset(&p->env, &p->n_env, o->env[i]);
			continue;
		}
		_cleanup_free_ char *k = xstrndup(o->env[i], (size_t)(eq - o->env[i]));
		env_set(&p->env, &p->n_env, k, eq + 1);
	}

	const char *wd = o->workdir ? o->workdir : c->working_dir;
	p->cwd = xstrdup(wd && *wd ? wd : "/");
	if (p->cwd[0] != '/') {
		char *abs = xasprintf("/%s", p->cwd);
		free(p->cwd);
		p->cwd = abs;
	}

	const char *user = o->user ? o->user : c->user;
	if (capsa_image_resolve_user(user, passwd, group, &p->user, err) < 0) {
		capsa_image_runtime_free(r);
		return -1;
	}
	bool has_home = false;
	for (size_t i = 0; i < p->n_env; i++)
		has_home |= capsa_str_has_prefix(p->env[i], "HOME=");
	if (!has_home) {
		_cleanup_strv_ char **pw = find_entry(passwd, NULL, p->user.uid);
		env_set(&p->env, &p->n_env, "HOME", pw && pw[5] && *pw[5] ? pw[5] : "/");
	}

	append(&r->exposed_ports, &r->n_exposed_ports, c->exposed_ports, c->n_exposed_ports);
	append(&r->volumes, &r->n_volumes, c->volumes, c->n_volumes);
	r->stop_signal = SIGTERM;
	if (c->stop_signal) {
		r->stop_signal = capsa_signal_parse(c->stop_signal);
		if (r->stop_signal < 0) {
			capsa_image_runtime_free(r);
			return capsa_error_set(err, 0, "image config: unknown StopSignal %s", c->stop_signal);
		}
	}
	for (size_t i = 0; i < c->n_labels; i++)
		kv_set(&r->labels, &r->n_labels, c->labels[i].key, c->labels[i].value);
	if (c->healthcheck) {
		r->healthcheck = xzalloc(sizeof(*r->healthcheck));
		*r->healthcheck = *c->healthcheck;
		r->healthcheck->test = NULL;
		r->healthcheck->n_test = 0;
		append(&r->healthcheck->test, &r->healthcheck->n_test, c->healthcheck->test,
		       c->healthcheck->n_test);
	}
	*out = r;
	return 0;
}
