/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Typed json-c getters whose errors name the document, the JSON path and the reason. */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <string.h>

int jx_parse(const char *json, size_t len, const char *name, json_object **out, struct capsa_error **err)
{
	if (len > INT32_MAX)
		return capsa_error_set(err, 0, "%s: document too large", name);
	json_tokener *tok = json_tokener_new_ex(64);
	if (tok == NULL)
		return capsa_error_set(err, ENOMEM, "%s: json parser", name);
	/* Standard JSON only: json-c's lenient mode takes trailing commas and single quotes. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	json_object *o = json_tokener_parse_ex(tok, json, (int)len);
	enum json_tokener_error je = json_tokener_get_error(tok);
	size_t off = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (o == NULL || je != json_tokener_success || off != len) {
		/* Trailing whitespace after a complete document is fine. */
		if (o && je == json_tokener_success) {
			size_t i = off;
			while (i < len && strchr(" \t\r\n", json[i]))
				i++;
			if (i == len) {
				*out = o;
				return 0;
			}
		}
		if (o)
			json_object_put(o);
		size_t line = 1, col = 1;
		for (size_t i = 0; i < off && i < len; i++) {
			if (json[i] == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		const char *why = je == json_tokener_success || je == json_tokener_continue
					  ? "unexpected end or trailing data"
					  : json_tokener_error_desc(je);
		return capsa_error_set(err, 0, "%s: invalid JSON at line %zu column %zu: %s", name, line, col,
				       why);
	}
	*out = o;
	return 0;
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return v; /* NULL for JSON null too */
}

static int typed(json_object *o, const char *key, const char *path, bool required, json_type t,
		 const char *what, json_object **out, struct capsa_error **err)
{
	json_object *v = get(o, key);
	*out = NULL;
	if (v == NULL) {
		if (required)
			return capsa_error_set(err, 0, "%s%s%s: missing", path, *path ? "." : "", key);
		return 0;
	}
	if (!json_object_is_type(v, t))
		return capsa_error_set(err, 0, "%s%s%s: expected %s", path, *path ? "." : "", key, what);
	*out = v;
	return 0;
}

int jx_object(json_object *o, const char *key, const char *path, bool required, json_object **out,
	      struct capsa_error **err)
{
	return typed(o, key, path, required, json_type_object, "an object", out, err);
}

int jx_array(json_object *o, const char *key, const char *path, bool required, json_object **out,
	     struct capsa_error **err)
{
	return typed(o, key, path, required, json_type_array, "an array", out, err);
}

int jx_string(json_object *o, const char *key, const char *path, bool required, char **out,
	      struct capsa_error **err)
{
	json_object *v;
	if (typed(o, key, path, required, json_type_string, "a string", &v, err) < 0)
		return -1;
	free(*out);
	*out = v ? xstrdup(json_object_get_string(v)) : NULL;
	return 0;
}

int jx_int64(json_object *o, const char *key, const char *path, bool required, int64_t *out,
	     struct capsa_error **err)
{
	json_object *v;
	if (typed(o, key, path, required, json_type_int, "an integer", &v, err) < 0)
		return -1;
	if (v) {
		errno = 0;
		int64_t x = json_object_get_int64(v);
		if (errno == ERANGE)
			return capsa_error_set(err, 0, "%s%s%s: integer out of range", path, *path ? "." : "",
					       key);
		*out = x;
	}
	return 0;
}

int jx_bool(json_object *o, const char *key, const char *path, bool *out, struct capsa_error **err)
{
	json_object *v;
	if (typed(o, key, path, false, json_type_boolean, "a boolean", &v, err) < 0)
		return -1;
	if (v)
		*out = json_object_get_boolean(v);
	return 0;
}

int jx_strv(json_object *o, const char *key, const char *path, char ***out, size_t *n,
	    struct capsa_error **err)
{
	json_object *a;
	if (typed(o, key, path, false, json_type_array, "an array of strings", &a, err) < 0)
		return -1;
	*out = NULL;
	*n = 0;
	if (a == NULL)
		return 0;
	size_t len = json_object_array_length(a);
	char **v = xcalloc(len + 1, sizeof(char *));
	for (size_t i = 0; i < len; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		if (!json_object_is_type(e, json_type_string)) {
			strv_free_n(v, i);
			return capsa_error_set(err, 0, "%s%s%s[%zu]: expected a string", path,
					       *path ? "." : "", key, i);
		}
		v[i] = xstrdup(json_object_get_string(e));
	}
	*out = v;
	*n = len;
	return 0;
}

int jx_kv(json_object *o, const char *key, const char *path, struct capsa_kv **out, size_t *n,
	  struct capsa_error **err)
{
	json_object *obj;
	if (typed(o, key, path, false, json_type_object, "an object of strings", &obj, err) < 0)
		return -1;
	*out = NULL;
	*n = 0;
	if (obj == NULL)
		return 0;
	size_t len = (size_t)json_object_object_length(obj), i = 0;
	struct capsa_kv *kv = xcalloc(len ? len : 1, sizeof(*kv));
	json_object_object_foreach(obj, k, v)
	{
		if (!json_object_is_type(v, json_type_string)) {
			kv_free(kv, i);
			return capsa_error_set(err, 0, "%s%s%s.%s: expected a string", path, *path ? "." : "",
					       key, k);
		}
		kv[i].key = xstrdup(k);
		kv[i].value = xstrdup(json_object_get_string(v));
		i++;
	}
	*out = kv;
	*n = i;
	return 0;
}

int jx_keys(json_object *o, const char *key, const char *path, char ***out, size_t *n,
	    struct capsa_error **err)
{
	json_object *obj;
	if (typed(o, key, path, false, json_type_object, "an object", &obj, err) < 0)
		return -1;
	*out = NULL;
	*n = 0;
	if (obj == NULL)
		return 0;
	size_t len = (size_t)json_object_object_length(obj), i = 0;
	char **v = xcalloc(len + 1, sizeof(char *));
	json_object_object_foreach(obj, k, val)
	{
		(void)val;
		v[i++] = xstrdup(k);
	}
	*out = v;
	*n = i;
	return 0;
}

void kv_free(struct capsa_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

void strv_free_n(char **v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

json_object *strv_to_json(char *const *v, size_t n)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

char *json_dump(json_object *o, bool pretty)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
		    (pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN);
	return xstrdup(json_object_to_json_string_ext(o, flags));
}
