/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Typed, path-aware reading of json-c values, and the writing helpers. */
#define _GNU_SOURCE
#include "oci-spec/json-internal.h"
#include "common/log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool plain_key(const char *k)
{
	if (*k == '\0')
		return false;
	for (; *k; k++) {
		char ch = *k;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

static void jpath_append(const struct jpath *p, FILE *f)
{
	if (p == NULL)
		return;
	jpath_append(p->parent, f);
	if (p->key == NULL) {
		fprintf(f, "[%zu]", p->index);
		return;
	}
	if (!plain_key(p->key)) {
		_cleanup_free_ char *esc = capsa_json_escape(p->key);
		fprintf(f, "[\"%s\"]", esc);
		return;
	}
	fprintf(f, "%s%s", p->parent ? "." : "", p->key);
}

char *oci_jpath_str(const struct jpath *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL) {
		fputs("capsa: out of memory\n", stderr);
		abort();
	}
	jpath_append(p, f);
	if (fclose(f) != 0 || buf == NULL) {
		fputs("capsa: out of memory\n", stderr);
		abort();
	}
	return buf;
}

int oci_jerr(struct jctx *c, const struct jpath *p, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0) {
		fputs("capsa: out of memory\n", stderr);
		abort();
	}
	if (p == NULL)
		return capsa_error_set(c->err, 0, "%s: %s", c->name, msg);
	_cleanup_free_ char *path = oci_jpath_str(p);
	return capsa_error_set(c->err, 0, "%s: %s: %s", c->name, path, msg);
}

int oci_jmissing(struct jctx *c, const struct jpath *p, const char *key)
{
	return oci_jerr(c, JP_KEY(p, key), "missing required field");
}

/* 1-based line and column of byte offset off. */
static void line_col(const char *s, size_t off, size_t *line, size_t *col)
{
	size_t l = 1, start = 0;
	for (size_t i = 0; i < off; i++) {
		if (s[i] == '\n') {
			l++;
			start = i + 1;
		}
	}
	*line = l;
	*col = off - start + 1;
}

static int syntax_error(const char *json, size_t off, const char *name, const char *what,
			struct capsa_error **err)
{
	size_t line, col;
	line_col(json, off, &line, &col);
	return capsa_error_set(err, 0, "%s: invalid JSON at line %zu, column %zu: %s", name, line, col, what);
}

/*
 * json-c saturates integers that overflow 64 bits instead of failing, which would turn a typo
 * into a huge limit. The text has already been accepted as JSON, so a simple scan that skips
 * strings finds every number literal reliably.
 */
static int check_integer_ranges(const char *json, size_t end, const char *name, struct capsa_error **err)
{
	bool in_string = false;
	for (size_t i = 0; i < end; i++) {
		char ch = json[i];
		if (in_string) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_string = false;
			continue;
		}
		if (ch == '"') {
			in_string = true;
			continue;
		}
		if (ch != '-' && !(ch >= '0' && ch <= '9'))
			continue;
		size_t j = i;
		bool integer = true;
		while (j < end && strchr("-+.eE0123456789", json[j]) != NULL && json[j] != '\0') {
			if (json[j] == '.' || json[j] == 'e' || json[j] == 'E')
				integer = false;
			j++;
		}
		if (integer) {
			char tmp[64];
			size_t n = j - i;
			if (n >= sizeof(tmp))
				return syntax_error(json, i, name, "integer out of range", err);
			memcpy(tmp, json + i, n);
			tmp[n] = '\0';
			errno = 0;
			if (tmp[0] == '-')
				(void)strtoll(tmp, NULL, 10);
			else
				(void)strtoull(tmp, NULL, 10);
			if (errno == ERANGE)
				return syntax_error(json, i, name, "integer out of range", err);
		}
		i = j - 1;
	}
	return 0;
}

int oci_json_parse_object(const char *json, size_t len, const char *name, struct json_object **out,
			  struct capsa_error **err)
{
	/* json-c takes an int length. */
	if (len > INT32_MAX)
		return capsa_error_set(err, EFBIG, "%s: document too large", name);
	struct json_tokener *tok = json_tokener_new();
	if (tok == NULL) {
		fputs("capsa: out of memory\n", stderr);
		abort();
	}
	/* Strict: standard JSON only (no trailing commas, comments or leading zeros). */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	struct json_object *o = json_tokener_parse_ex(tok, json, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (o == NULL) {
		if (jerr == json_tokener_continue || jerr == json_tokener_success)
			return syntax_error(json, len, name, "unexpected end of data", err);
		return syntax_error(json, end, name, json_tokener_error_desc(jerr), err);
	}
	for (size_t i = end; i < len; i++) {
		if (!strchr(" \t\r\n", json[i]) || json[i] == '\0') {
			json_object_put(o);
			return syntax_error(json, i, name, "unexpected data after the JSON value", err);
		}
	}
	if (check_integer_ranges(json, end, name, err) < 0) {
		json_object_put(o);
		return -1;
	}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return capsa_error_set(err, 0, "%s: expected a JSON object at the top level", name);
	}
	*out = o;
	return 0;
}

struct json_object *oci_jget(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;
	if (!json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v; /* NULL for a JSON null */
}

int oci_jobject(struct jctx *c, struct json_object *v, const struct jpath *p)
{
	if (!json_object_is_type(v, json_type_object))
		return oci_jerr(c, p, "expected an object");
	return 0;
}

int oci_jarray(struct jctx *c, struct json_object *v, const struct jpath *p, size_t *n)
{
	if (!json_object_is_type(v, json_type_array))
		return oci_jerr(c, p, "expected an array");
	*n = json_object_array_length(v);
	return 0;
}

int oci_jstring(struct jctx *c, struct json_object *v, const struct jpath *p, char **out)
{
	if (!json_object_is_type(v, json_type_string))
		return oci_jerr(c, p, "expected a string");
	const char *s = json_object_get_string(v);
	/* An escaped \u0000 would silently cut a path short in C. */
	if ((size_t)json_object_get_string_len(v) != strlen(s))
		return oci_jerr(c, p, "NUL character in string");
	free(*out);
	*out = xstrdup(s);
	return 0;
}

int oci_jbool(struct jctx *c, struct json_object *v, const struct jpath *p, bool *out)
{
	if (!json_object_is_type(v, json_type_boolean))
		return oci_jerr(c, p, "expected a boolean");
	*out = json_object_get_boolean(v);
	return 0;
}

int oci_ji64(struct jctx *c, struct json_object *v, const struct jpath *p, int64_t min, int64_t max,
	     int64_t *out)
{
	if (!json_object_is_type(v, json_type_int))
		return oci_jerr(c, p, "expected an integer");
	int64_t x = json_object_get_int64(v);
	/* json-c clamps values above INT64_MAX (kept as uint64) to INT64_MAX. */
	bool above = x == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX;
	if (above || x < min || x > max) {
		if (min == INT64_MIN && max == INT64_MAX)
			return oci_jerr(c, p, "expected a 64-bit signed integer");
		if (max == INT64_MAX)
			return oci_jerr(c, p, "expected an integer of at least %" PRId64, min);
		return oci_jerr(c, p, "expected an integer between %" PRId64 " and %" PRId64, min, max);
	}
	*out = x;
	return 0;
}

int oci_ju64(struct jctx *c, struct json_object *v, const struct jpath *p, uint64_t max, uint64_t *out)
{
	if (!json_object_is_type(v, json_type_int))
		return oci_jerr(c, p, "expected an integer");
	uint64_t x = json_object_get_uint64(v);
	if (json_object_get_int64(v) < 0 || x > max) {
		if (max == UINT64_MAX)
			return oci_jerr(c, p, "expected a non-negative integer");
		return oci_jerr(c, p, "expected an integer between 0 and %" PRIu64, max);
	}
	*out = x;
	return 0;
}

int oci_ju32(struct jctx *c, struct json_object *v, const struct jpath *p, uint32_t *out)
{
	uint64_t x;
	if (oci_ju64(c, v, p, UINT32_MAX, &x) < 0)
		return -1;
	*out = (uint32_t)x;
	return 0;
}

void oci_strv_free(char **v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void oci_kv_free(struct oci_kv *kv, size_t n)
{
	if (kv == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

int oci_jstrv(struct jctx *c, struct json_object *v, const struct jpath *p, char ***out, size_t *n)
{
	if (!json_object_is_type(v, json_type_array))
		return oci_jerr(c, p, "expected an array of strings");
	oci_strv_free(*out, *n);
	size_t len = json_object_array_length(v);
	*out = xcalloc(len + 1, sizeof(char *));
	*n = len;
	for (size_t i = 0; i < len; i++) {
		if (oci_jstring(c, json_object_array_get_idx(v, i), JP_IDX(p, i), &(*out)[i]) < 0)
			return -1;
	}
	return 0;
}

int oci_jmap(struct jctx *c, struct json_object *v, const struct jpath *p, struct oci_kv **out, size_t *n)
{
	if (!json_object_is_type(v, json_type_object))
		return oci_jerr(c, p, "expected an object");
	oci_kv_free(*out, *n);
	*n = json_object_object_length(v);
	*out = xcalloc(*n ? *n : 1, sizeof(**out));
	size_t i = 0;
	json_object_object_foreach(v, key, val)
	{
		(*out)[i].key = xstrdup(key);
		if (val == NULL)
			return oci_jerr(c, JP_KEY(p, key), "expected a string");
		if (oci_jstring(c, val, JP_KEY(p, key), &(*out)[i].value) < 0)
			return -1;
		i++;
	}
	return 0;
}

int oci_jenum(struct jctx *c, struct json_object *v, const struct jpath *p, const char *const *allowed,
	      char **out)
{
	_cleanup_free_ char *s = NULL;
	if (oci_jstring(c, v, p, &s) < 0)
		return -1;
	for (size_t i = 0; allowed[i]; i++) {
		if (strcmp(s, allowed[i]) == 0) {
			free(*out);
			*out = TAKE_PTR(s);
			return 0;
		}
	}
	_cleanup_free_ char *list = xstrdup(allowed[0]);
	for (size_t i = 1; allowed[i]; i++) {
		char *next = xasprintf("%s, %s", list, allowed[i]);
		free(list);
		list = next;
	}
	_cleanup_free_ char *esc = capsa_json_escape(s);
	return oci_jerr(c, p, "unknown value \"%s\" (expected one of %s)", esc, list);
}

int oci_jenumv(struct jctx *c, struct json_object *v, const struct jpath *p, const char *const *allowed,
	       char ***out, size_t *n)
{
	size_t len = 0;
	if (oci_jarray(c, v, p, &len) < 0)
		return -1;
	oci_strv_free(*out, *n);
	*out = xcalloc(len + 1, sizeof(char *));
	*n = len;
	for (size_t i = 0; i < len; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		if (e == NULL)
			return oci_jerr(c, JP_IDX(p, i), "expected a string");
		if (oci_jenum(c, e, JP_IDX(p, i), allowed, &(*out)[i]) < 0)
			return -1;
	}
	return 0;
}

int oci_jidmaps(struct jctx *c, struct json_object *v, const struct jpath *p, struct oci_id_mapping **out,
		size_t *n)
{
	size_t len = 0;
	if (oci_jarray(c, v, p, &len) < 0)
		return -1;
	free(*out);
	*out = xcalloc(len ? len : 1, sizeof(**out));
	*n = len;
	for (size_t i = 0; i < len; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		const struct jpath *ep = JP_IDX(p, i);
		static const char *const keys[] = {"containerID", "hostID", "size"};
		uint32_t *dst[] = {&(*out)[i].container_id, &(*out)[i].host_id, &(*out)[i].size};
		if (e == NULL || oci_jobject(c, e, ep) < 0)
			return e ? -1 : oci_jerr(c, ep, "expected an object");
		for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
			struct json_object *f = oci_jget(e, keys[k]);
			if (f == NULL)
				return oci_jmissing(c, ep, keys[k]);
			if (oci_ju32(c, f, JP_KEY(ep, keys[k]), dst[k]) < 0)
				return -1;
		}
	}
	return 0;
}

int oci_jf_string(struct jctx *c, struct json_object *obj, const struct jpath *p, const char *key,
		  bool required, char **out)
{
	struct json_object *v = oci_jget(obj, key);
	if (v == NULL)
		return required ? oci_jmissing(c, p, key) : 0;
	return oci_jstring(c, v, JP_KEY(p, key), out);
}

int oci_jf_bool(struct jctx *c, struct json_object *obj, const struct jpath *p, const char *key, bool *out)
{
	struct json_object *v = oci_jget(obj, key);
	if (v == NULL)
		return 0;
	return oci_jbool(c, v, JP_KEY(p, key), out);
}

int oci_jf_opt_i64(struct jctx *c, struct json_object *obj, const struct jpath *p, const char *key,
		   int64_t min, int64_t max, struct oci_opt_i64 *out)
{
	struct json_object *v = oci_jget(obj, key);
	if (v == NULL)
		return 0;
	if (oci_ji64(c, v, JP_KEY(p, key), min, max, &out->value) < 0)
		return -1;
	out->set = true;
	return 0;
}

int oci_jf_opt_u64(struct jctx *c, struct json_object *obj, const struct jpath *p, const char *key,
		   uint64_t max, struct oci_opt_u64 *out)
{
	struct json_object *v = oci_jget(obj, key);
	if (v == NULL)
		return 0;
	if (oci_ju64(c, v, JP_KEY(p, key), max, &out->value) < 0)
		return -1;
	out->set = true;
	return 0;
}

int oci_jf_strv(struct jctx *c, struct json_object *obj, const struct jpath *p, const char *key, char ***out,
		size_t *n)
{
	struct json_object *v = oci_jget(obj, key);
	if (v == NULL)
		return 0;
	return oci_jstrv(c, v, JP_KEY(p, key), out, n);
}

int oci_jf_map(struct jctx *c, struct json_object *obj, const struct jpath *p, const char *key,
	       struct oci_kv **out, size_t *n)
{
	struct json_object *v = oci_jget(obj, key);
	if (v == NULL)
		return 0;
	return oci_jmap(c, v, JP_KEY(p, key), out, n);
}

int oci_jf_enum(struct jctx *c, struct json_object *obj, const struct jpath *p, const char *key,
		bool required, const char *const *allowed, char **out)
{
	struct json_object *v = oci_jget(obj, key);
	if (v == NULL)
		return required ? oci_jmissing(c, p, key) : 0;
	return oci_jenum(c, v, JP_KEY(p, key), allowed, out);
}

int oci_jf_idmaps(struct jctx *c, struct json_object *obj, const struct jpath *p, const char *key,
		  struct oci_id_mapping **out, size_t *n)
{
	struct json_object *v = oci_jget(obj, key);
	if (v == NULL)
		return 0;
	return oci_jidmaps(c, v, JP_KEY(p, key), out, n);
}

static struct json_object *checked(struct json_object *o)
{
	if (o == NULL) {
		fputs("capsa: out of memory\n", stderr);
		abort();
	}
	return o;
}

struct json_object *oci_jw_child(struct json_object *o, const char *key, struct json_object *child)
{
	json_object_object_add(o, key, checked(child));
	return child;
}

void oci_jw_string(struct json_object *o, const char *key, const char *s)
{
	if (s)
		oci_jw_child(o, key, json_object_new_string(s));
}

void oci_jw_bool(struct json_object *o, const char *key, bool b)
{
	oci_jw_child(o, key, json_object_new_boolean(b));
}

void oci_jw_i64(struct json_object *o, const char *key, int64_t v)
{
	oci_jw_child(o, key, json_object_new_int64(v));
}

struct json_object *oci_jw_new_u64(uint64_t v)
{
	if (v <= (uint64_t)INT64_MAX)
		return checked(json_object_new_int64((int64_t)v));
	return checked(json_object_new_uint64(v));
}

void oci_jw_u64(struct json_object *o, const char *key, uint64_t v)
{
	oci_jw_child(o, key, oci_jw_new_u64(v));
}

void oci_jw_opt_i64(struct json_object *o, const char *key, struct oci_opt_i64 v)
{
	if (v.set)
		oci_jw_i64(o, key, v.value);
}

void oci_jw_opt_u64(struct json_object *o, const char *key, struct oci_opt_u64 v)
{
	if (v.set)
		oci_jw_u64(o, key, v.value);
}

struct json_object *oci_jw_strv_array(char *const *v, size_t n)
{
	struct json_object *a = checked(json_object_new_array_ext((int)n));
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, checked(json_object_new_string(v[i] ? v[i] : "")));
	return a;
}

void oci_jw_strv(struct json_object *o, const char *key, char *const *v, size_t n)
{
	if (v)
		oci_jw_child(o, key, oci_jw_strv_array(v, n));
}

void oci_jw_map(struct json_object *o, const char *key, const struct oci_kv *kv, size_t n)
{
	if (kv == NULL)
		return;
	struct json_object *m = oci_jw_child(o, key, json_object_new_object());
	for (size_t i = 0; i < n; i++)
		oci_jw_string(m, kv[i].key, kv[i].value ? kv[i].value : "");
}

void oci_jw_idmaps(struct json_object *o, const char *key, const struct oci_id_mapping *m, size_t n)
{
	if (m == NULL)
		return;
	struct json_object *a = oci_jw_child(o, key, json_object_new_array());
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = checked(json_object_new_object());
		oci_jw_u64(e, "containerID", m[i].container_id);
		oci_jw_u64(e, "hostID", m[i].host_id);
		oci_jw_u64(e, "size", m[i].size);
		json_object_array_add(a, e);
	}
}

char *oci_json_dump(struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
								  JSON_C_TO_STRING_NOSLASHESCAPE);
	char *r = xasprintf("%s\n", s ? s : "{}");
	json_object_put(o);
	return r;
}
