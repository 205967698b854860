/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Registry authentication: the WWW-Authenticate parser (RFC 7235 challenges, untrusted input from any
 * registry), token answers, and credentials in docker's config.json.
 */
#define _GNU_SOURCE
#include "internal.h"
#include "common/base64.h"
#include "common/path.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define HEADER_MAX 16384
#define CHALLENGES_MAX 16
#define PARAMS_MAX 32
#define AUTHFILE_MAX (4 << 20)

/* ---- WWW-Authenticate ---- */

/* tchar of RFC 7230. */
static bool is_tchar(char c)
{
	return isalnum((unsigned char)c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_token68(char c)
{
	return isalnum((unsigned char)c) || (c && strchr("-._~+/", c));
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static void challenge_clear(struct capsa_auth_challenge *c)
{
	free(c->scheme);
	kv_free(c->params, c->n_params);
}

void capsa_auth_challenges_free(struct capsa_auth_challenge *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++)
		challenge_clear(&c[i]);
	free(c);
}

static void add_param(struct capsa_auth_challenge *c, char *key, char *value)
{
	c->params = xreallocarray(c->params, c->n_params + 1, sizeof(*c->params));
	c->params[c->n_params++] = (struct capsa_kv){.key = key, .value = value};
}

/* A quoted-string starting at *pp (on the quote); unescapes into a new string. */
static int quoted(const char **pp, char **out, struct capsa_error **err)
{
	const char *p = *pp + 1;
	size_t cap = strlen(p) + 1, n = 0;
	_cleanup_free_ char *v = xmalloc(cap);
	for (;;) {
		char c = *p++;
		if (c == '\0')
			return capsa_error_set(err, 0, "unterminated quoted string");
		if (c == '"')
			break;
		if (c == '\\') {
			c = *p++;
			if (c == '\0')
				return capsa_error_set(err, 0, "unterminated quoted string");
		}
		if ((unsigned char)c < 0x20 && c != '\t')
			return capsa_error_set(err, 0, "control character in a quoted string");
		v[n++] = c;
	}
	v[n] = '\0';
	*pp = p;
	*out = TAKE_PTR(v);
	return 0;
}

static char *lower_dup(const char *s, size_t n)
{
	char *r = xstrndup(s, n);
	for (char *c = r; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return r;
}

/* Parses the token68 or auth-params after a scheme. Stops before the next challenge's scheme: a token that
 * is not followed by '='. */
static int parse_params(const char **pp, struct capsa_auth_challenge *c, struct capsa_error **err)
{
	const char *p = *pp;
	/* A token68 ("Basic dXNlcjpwYXNz", "Negotiate abc==") only follows the scheme's space, never a comma.
	 */
	if (*p == ' ' || *p == '\t') {
		const char *t = skip_ws(p), *e = t;
		while (is_token68(*e))
			e++;
		const char *q = e;
		while (*q == '=')
			q++;
		const char *rest = skip_ws(q);
		if (e > t && (*rest == '\0' || *rest == ',')) {
			add_param(c, xstrdup(""), xstrndup(t, (size_t)(q - t)));
			*pp = rest;
			return 0;
		}
	}
	for (;;) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		const char *name = p;
		while (is_tchar(*p))
			p++;
		size_t nlen = (size_t)(p - name);
		if (nlen == 0)
			return capsa_error_set(err, 0, "unexpected character '%c' in the parameters of %s",
					       *p, c->scheme);
		const char *after = skip_ws(p);
		if (*after != '=') {
			p = name; /* the next challenge */
			break;
		}
		p = skip_ws(after + 1);
		char *value = NULL;
		if (*p == '"') {
			if (quoted(&p, &value, err) < 0)
				return capsa_error_prefix(err, "%s parameter %.*s", c->scheme, (int)nlen,
							  name);
		} else {
			const char *v = p;
			while (is_tchar(*p))
				p++;
			if (p == v)
				return capsa_error_set(err, 0, "%s parameter %.*s: missing value", c->scheme,
						       (int)nlen, name);
			value = xstrndup(v, (size_t)(p - v));
		}
		if (c->n_params >= PARAMS_MAX) {
			free(value);
			return capsa_error_set(err, 0, "%s: more than %d parameters", c->scheme, PARAMS_MAX);
		}
		add_param(c, lower_dup(name, nlen), value);
		p = skip_ws(p);
		if (*p != ',' && *p != '\0')
			return capsa_error_set(err, 0, "%s parameter %.*s: expected ',' after the value",
					       c->scheme, (int)nlen, name);
	}
	*pp = p;
	return 0;
}

int capsa_www_authenticate_parse(const char *header, struct capsa_auth_challenge **out, size_t *n,
				 struct capsa_error **err)
{
	*out = NULL;
	*n = 0;
	if (header == NULL)
		return capsa_error_set(err, 0, "WWW-Authenticate: missing");
	if (strlen(header) > HEADER_MAX)
		return capsa_error_set(err, 0, "WWW-Authenticate: longer than %d bytes", HEADER_MAX);
	struct capsa_auth_challenge *list = NULL;
	size_t count = 0;
	const char *p = header;
	for (;;) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		const char *s = p;
		while (is_tchar(*p))
			p++;
		if (p == s || (*p != ' ' && *p != '\t' && *p != ',' && *p != '\0')) {
			capsa_error_set(err, 0, "WWW-Authenticate: expected an auth scheme at \"%.20s\"", s);
			goto fail;
		}
		if (count >= CHALLENGES_MAX) {
			capsa_error_set(err, 0, "WWW-Authenticate: more than %d challenges", CHALLENGES_MAX);
			goto fail;
		}
		list = xreallocarray(list, count + 1, sizeof(*list));
		list[count] = (struct capsa_auth_challenge){.scheme = xstrndup(s, (size_t)(p - s))};
		count++;
		if (parse_params(&p, &list[count - 1], err) < 0) {
			capsa_error_prefix(err, "WWW-Authenticate");
			goto fail;
		}
	}
	if (count == 0)
		return capsa_error_set(err, 0, "WWW-Authenticate: no challenge");
	*out = list;
	*n = count;
	return 0;
fail:
	capsa_auth_challenges_free(list, count);
	return -1;
}

const char *capsa_auth_param(const struct capsa_auth_challenge *c, const char *name)
{
	for (size_t i = 0; c && i < c->n_params; i++)
		if (!strcasecmp(c->params[i].key, name))
			return c->params[i].value;
	return NULL;
}

const struct capsa_auth_challenge *capsa_auth_find(const struct capsa_auth_challenge *c, size_t n,
						   const char *scheme)
{
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(c[i].scheme, scheme))
			return &c[i];
	return NULL;
}

/* ---- token answers ---- */

int capsa_registry_token_parse(const char *json, size_t len, char **token, struct capsa_error **err)
{
	_cleanup_json_ json_object *o = NULL;
	if (jx_parse(json, len, "token answer", &o, err) < 0)
		return -1;
	if (!json_object_is_type(o, json_type_object))
		return capsa_error_set(err, 0, "token answer: expected an object");
	_cleanup_free_ char *t = NULL, *at = NULL;
	if (jx_string(o, "token", "token answer", false, &t, err) < 0 ||
	    jx_string(o, "access_token", "token answer", false, &at, err) < 0)
		return -1;
	char *use = t && *t ? t : at;
	if (use == NULL || *use == '\0')
		return capsa_error_set(err, 0, "token answer: no token");
	for (const char *c = use; *c; c++)
		if ((unsigned char)*c <= 0x20 || *c == 0x7f)
			return capsa_error_set(err, 0,
					       "token answer: the token has a control character or space");
	*token = xstrdup(use);
	return 0;
}

/* ---- credentials ---- */

/* docker keeps Docker Hub's credentials under its old index URL. */
static bool auth_key_matches(const char *key, const char *domain)
{
	const char *k = key;
	if (capsa_str_has_prefix(k, "https://"))
		k += 8;
	else if (capsa_str_has_prefix(k, "http://"))
		k += 7;
	size_t n = strcspn(k, "/");
	if (!strcmp(domain, "docker.io"))
		return (n == 9 && !strncmp(k, "docker.io", 9)) ||
		       (n == 15 && !strncmp(k, "index.docker.io", 15)) ||
		       (n == 20 && !strncmp(k, "registry-1.docker.io", 20));
	return strlen(domain) == n && !strncmp(k, domain, n);
}

static int decode_auth(const char *b64, char **user, char **pass, struct capsa_error **err)
{
	size_t len = strlen(b64);
	if (len == 0 || len % 4 || len > 8192)
		return capsa_error_set(err, 0, "\"auth\" is not base64 of user:password");
	_cleanup_free_ unsigned char *raw = NULL;
	size_t n;
	if (capsa_base64_decode(b64, len, &raw, &n) < 0)
		return capsa_error_set(err, 0, "\"auth\" is not base64 of user:password");
	if (memchr(raw, '\0', n))
		return capsa_error_set(err, 0, "\"auth\" decodes to text with a NUL byte");
	char *colon = strchr((char *)raw, ':');
	if (colon == NULL || colon == (char *)raw)
		return capsa_error_set(err, 0, "\"auth\" is not base64 of user:password");
	*user = xstrndup((char *)raw, (size_t)(colon - (char *)raw));
	*pass = xstrdup(colon + 1);
	return 0;
}

int capsa_registry_auth_lookup(const char *json, size_t len, const char *domain, char **user, char **pass,
			       struct capsa_error **err)
{
	*user = *pass = NULL;
	_cleanup_json_ json_object *o = NULL;
	json_object *auths;
	if (jx_parse(json, len, "auth file", &o, err) < 0)
		return -1;
	if (!json_object_is_type(o, json_type_object))
		return capsa_error_set(err, 0, "auth file: expected an object");
	if (jx_object(o, "auths", "auth file", false, &auths, err) < 0)
		return -1;
	if (auths == NULL)
		return 0;
	json_object_object_foreach(auths, key, val)
	{
		if (!auth_key_matches(key, domain))
			continue;
		_cleanup_free_ char *p = xasprintf("auth file: auths.%s", key);
		_cleanup_free_ char *auth = NULL, *u = NULL, *pw = NULL;
		if (!json_object_is_type(val, json_type_object))
			return capsa_error_set(err, 0, "%s: expected an object", p);
		if (jx_string(val, "auth", p, false, &auth, err) < 0 ||
		    jx_string(val, "username", p, false, &u, err) < 0 ||
		    jx_string(val, "password", p, false, &pw, err) < 0)
			return -1;
		if (auth && *auth) {
			if (decode_auth(auth, user, pass, err) < 0)
				return capsa_error_prefix(err, "%s", p);
			return 1;
		}
		if (u && pw) {
			*user = TAKE_PTR(u);
			*pass = TAKE_PTR(pw);
			return 1;
		}
	}
	return 0;
}

char *capsa_registry_auth_file(void)
{
	const char *f = getenv("REGISTRY_AUTH_FILE");
	if (f && *f)
		return xstrdup(f);
	const char *dc = getenv("DOCKER_CONFIG");
	if (dc && *dc)
		return xasprintf("%s/config.json", dc);
	const char *home = getenv("HOME");
	return xasprintf("%s/.docker/config.json", home && *home ? home : "/root");
}

int capsa_registry_auth_get(const char *authfile, const char *domain, char **user, char **pass,
			    struct capsa_error **err)
{
	_cleanup_free_ char *def = authfile ? NULL : capsa_registry_auth_file();
	const char *path = authfile ? authfile : def;
	_cleanup_free_ char *json = NULL;
	size_t len;
	*user = *pass = NULL;
	_cleanup_error_ struct capsa_error *rerr = NULL;
	if (capsa_read_file_at(AT_FDCWD, path, AUTHFILE_MAX, &json, &len, &rerr) < 0) {
		if (rerr->errnum == ENOENT)
			return 0;
		*err = TAKE_PTR(rerr);
		return capsa_error_prefix(err, "read %s", path);
	}
	int r = capsa_registry_auth_lookup(json, len, domain, user, pass, err);
	if (r < 0)
		return capsa_error_prefix(err, "%s", path);
	return r;
}

static char *encode_auth(const char *user, const char *pass)
{
	_cleanup_free_ char *plain = xasprintf("%s:%s", user, pass);
	return capsa_base64_encode(plain, strlen(plain));
}

int capsa_registry_auth_set(const char *authfile, const char *domain, const char *user, const char *pass,
			    struct capsa_error **err)
{
	_cleanup_free_ char *def = authfile ? NULL : capsa_registry_auth_file();
	const char *path = authfile ? authfile : def;
	_cleanup_free_ char *json = NULL;
	size_t len;
	_cleanup_json_ json_object *o = NULL;
	_cleanup_error_ struct capsa_error *rerr = NULL;
	if (capsa_read_file_at(AT_FDCWD, path, AUTHFILE_MAX, &json, &len, &rerr) == 0) {
		if (jx_parse(json, len, path, &o, err) < 0)
			return -1;
		if (!json_object_is_type(o, json_type_object))
			return capsa_error_set(err, 0, "%s: expected an object", path);
	} else if (rerr->errnum == ENOENT) {
		o = json_object_new_object();
	} else {
		*err = TAKE_PTR(rerr);
		return capsa_error_prefix(err, "read %s", path);
	}
	json_object *auths = NULL;
	if (!json_object_object_get_ex(o, "auths", &auths) || !json_object_is_type(auths, json_type_object)) {
		auths = json_object_new_object();
		json_object_object_add(o, "auths", auths);
	}
	/* Drop every spelling of this registry, then write the one docker uses. */
	bool had = false;
	for (bool again = true; again;) {
		again = false;
		json_object_object_foreach(auths, key, val)
		{
			(void)val;
			if (auth_key_matches(key, domain)) {
				json_object_object_del(auths, key);
				had = again = true;
				break;
			}
		}
	}
	if (user) {
		json_object *e = json_object_new_object();
		_cleanup_free_ char *b64 = encode_auth(user, pass ? pass : "");
		json_object_object_add(e, "auth", json_object_new_string(b64));
		json_object_object_add(
			auths, !strcmp(domain, "docker.io") ? "https://index.docker.io/v1/" : domain, e);
	} else if (!had) {
		return 0;
	}
	_cleanup_free_ char *parent = NULL, *base = NULL;
	capsa_split_path(path, &parent, &base);
	if (capsa_mkdir_p(parent, 0700, err) < 0)
		return -1;
	_cleanup_free_ char *text = json_dump(o, true);
	if (capsa_write_file_atomic_at(AT_FDCWD, path, text, strlen(text), 0600, err) < 0)
		return capsa_error_prefix(err, "write %s", path);
	return 1;
}
