// SPDX-License-Identifier: GPL-2.0-or-later
#define _GNU_SOURCE
#include "common/template.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf {
	char *s;
	size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Go's fmt %v of a decoded JSON value: what `docker inspect -f` prints. */
static void print_go(struct buf *b, json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		puts_(b, "<nil>");
		break;
	case json_type_string:
		put(b, json_object_get_string(v), (size_t)json_object_get_string_len(v));
		break;
	case json_type_array: {
		puts_(b, "[");
		size_t n = json_object_array_length(v);
		for (size_t i = 0; i < n; i++) {
			if (i)
				puts_(b, " ");
			print_go(b, json_object_array_get_idx(v, i));
		}
		puts_(b, "]");
		break;
	}
	case json_type_object: {
		size_t n = (size_t)json_object_object_length(v), i = 0;
		_cleanup_free_ const char **keys = xcalloc(n + 1, sizeof(*keys));
		json_object_object_foreach(v, k, val)
		{
			(void)val;
			keys[i++] = k;
		}
		qsort(keys, n, sizeof(*keys), cmp_keys);
		puts_(b, "map[");
		for (i = 0; i < n; i++) {
			json_object *x = NULL;
			json_object_object_get_ex(v, keys[i], &x);
			if (i)
				puts_(b, " ");
			puts_(b, keys[i]);
			puts_(b, ":");
			print_go(b, x);
		}
		puts_(b, "]");
		break;
	}
	default: /* numbers and booleans: json-c prints them as Go does (integers without a fraction) */
		puts_(b, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		break;
	}
}

/* One token of an action: a path (".A.B"), a quoted string, an integer, a name or "|". */
struct tok {
	enum { T_END, T_PATH, T_STR, T_INT, T_NAME, T_PIPE } kind;
	char *text;
	long num;
};

static int next_tok(const char **pp, struct tok *t, struct capsa_error **err)
{
	const char *p = *pp;
	while (*p == ' ' || *p == '\t')
		p++;
	t->text = NULL;
	if (*p == '\0') {
		t->kind = T_END;
	} else if (*p == '|') {
		t->kind = T_PIPE;
		p++;
	} else if (*p == '(' || *p == ')') {
		return capsa_error_set(err, ENOTSUP,
				       "parentheses are not supported (index takes several keys: "
				       "index .A \"k\" 0 \"F\")");
	} else if (*p == '"') {
		const char *q = ++p;
		while (*q && *q != '"')
			q += (q[0] == '\\' && q[1]) ? 2 : 1;
		if (*q != '"')
			return capsa_error_set(err, EINVAL, "unterminated quoted string");
		t->kind = T_STR;
		t->text = xstrndup(p, (size_t)(q - p));
		p = q + 1;
	} else if (*p == '-' || isdigit((unsigned char)*p)) {
		char *end;
		errno = 0;
		t->num = strtol(p, &end, 10);
		if (errno || (*end && *end != ' ' && *end != '|'))
			return capsa_error_set(err, EINVAL, "bad number \"%s\"", p);
		t->kind = T_INT;
		p = end;
	} else {
		const char *q = p;
		while (*q && *q != ' ' && *q != '\t' && *q != '|')
			q++;
		t->kind = *p == '.' ? T_PATH : T_NAME;
		t->text = xstrndup(p, (size_t)(q - p));
		if (t->kind == T_NAME)
			for (const char *c = t->text; *c; c++)
				if (!isalnum((unsigned char)*c) && *c != '_')
					return capsa_error_set(err, EINVAL, "unexpected \"%s\"", t->text);
		p = q;
	}
	*pp = p;
	return 0;
}

/* A field path: "." is the root; a missing key or a step into a non-object yields NULL ("<no value>"). */
static int eval_path(json_object *root, const char *path, json_object **out, bool *missing,
		     struct capsa_error **err)
{
	json_object *v = root;
	*missing = false;
	if (strcmp(path, ".") == 0) {
		*out = v;
		return 0;
	}
	_cleanup_free_ char *copy = xstrdup(path + 1);
	char *save = NULL;
	for (char *f = strtok_r(copy, ".", &save); f; f = strtok_r(NULL, ".", &save)) {
		if (json_object_get_type(v) != json_type_object) {
			if (v == NULL || json_object_get_type(v) == json_type_null) {
				*missing = true;
				*out = NULL;
				return 0;
			}
			return capsa_error_set(err, EINVAL, "can't evaluate field %s in a %s", f,
					       json_type_to_name(json_object_get_type(v)));
		}
		if (!json_object_object_get_ex(v, f, &v)) {
			*missing = true;
			*out = NULL;
			return 0;
		}
	}
	if (path[strlen(path) - 1] == '.')
		return capsa_error_set(err, EINVAL, "bad field path \"%s\"", path);
	*out = v;
	return 0;
}

struct val {
	json_object *j; /* borrowed, or owned when own */
	bool missing, own;
	char *str; /* a function's text result, when set */
};

static void val_clear(struct val *v)
{
	if (v->own)
		json_object_put(v->j);
	free(v->str);
	*v = (struct val){0};
}

static void val_text(struct buf *b, const struct val *v)
{
	if (v->str)
		puts_(b, v->str);
	else if (v->missing)
		puts_(b, "<no value>");
	else
		print_go(b, v->j);
}

static int apply_index(struct val *v, const struct tok *k, struct capsa_error **err)
{
	if (v->missing || v->j == NULL)
		return capsa_error_set(err, EINVAL, "index of a missing value");
	json_type t = json_object_get_type(v->j);
	if (k->kind == T_STR && t == json_type_object) {
		json_object *x;
		if (json_object_object_get_ex(v->j, k->text, &x))
			v->j = x;
		else
			v->missing = true;
		return 0;
	}
	if (k->kind == T_INT && t == json_type_array) {
		if (k->num < 0 || (size_t)k->num >= json_object_array_length(v->j))
			return capsa_error_set(err, ERANGE, "index out of range: %ld", k->num);
		v->j = json_object_array_get_idx(v->j, (size_t)k->num);
		return 0;
	}
	return capsa_error_set(err, EINVAL, "can't index a %s with %s", json_type_to_name(t),
			       k->kind == T_STR ? "a string" : "a number");
}

/* A function applied to the value so far (the last argument of a pipeline stage). */
static int apply_fn(const char *name, struct val *v, struct capsa_error **err)
{
	struct buf b = {0};
	if (strcmp(name, "json") == 0) {
		puts_(&b, v->missing
				  ? "null"
				  : json_object_to_json_string_ext(
					    v->j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else if (strcmp(name, "upper") == 0 || strcmp(name, "lower") == 0) {
		val_text(&b, v);
		for (size_t i = 0; i < b.len; i++)
			b.s[i] = (char)(name[0] == 'u' ? toupper((unsigned char)b.s[i])
						       : tolower((unsigned char)b.s[i]));
	} else {
		return capsa_error_set(err, EINVAL, "function \"%s\" not defined", name);
	}
	val_clear(v);
	v->str = b.s ? b.s : xstrdup("");
	return 0;
}

static void toks_free(struct tok *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(t[i].text);
	free(t);
}

/* One stage of a pipeline, t[0..n): a path, or a function and its arguments; piped is the value from the
 * stage before (Go passes it as the last argument). */
static int eval_stage(const struct tok *t, size_t n, json_object *root, bool piped, struct val *v,
		      struct capsa_error **err)
{
	if (n == 0)
		return capsa_error_set(err, EINVAL, "missing value for command");
	if (t[0].kind == T_PATH) {
		if (n > 1 || piped)
			return capsa_error_set(err, EINVAL, "%s: a field cannot take arguments", t[0].text);
		return eval_path(root, t[0].text, &v->j, &v->missing, err);
	}
	if (t[0].kind != T_NAME)
		return capsa_error_set(err, EINVAL, "a constant is not supported here");
	const char *fn = t[0].text;
	size_t first = 1;
	if (n > 1 && t[1].kind == T_PATH) {
		if (piped)
			return capsa_error_set(err, EINVAL, "%s: a value is given twice", fn);
		val_clear(v);
		if (eval_path(root, t[1].text, &v->j, &v->missing, err) < 0)
			return -1;
		piped = true;
		first = 2;
	}
	if (!piped)
		return capsa_error_set(err, EINVAL, "%s: missing argument", fn);
	if (strcmp(fn, "index") == 0) {
		for (size_t i = first; i < n; i++)
			if (apply_index(v, &t[i], err) < 0)
				return -1;
		return 0;
	}
	if (n > first)
		return capsa_error_set(err, EINVAL, "wrong number of args for %s", fn);
	return apply_fn(fn, v, err);
}

/* A pipeline: stages separated by "|". */
static int eval_action(const char *action, json_object *root, struct buf *out, struct capsa_error **err)
{
	struct tok *t = NULL;
	size_t n = 0;
	struct val v = {0};
	int ret = -1;
	for (const char *p = action;;) {
		struct tok x;
		if (next_tok(&p, &x, err) < 0) {
			free(x.text);
			goto out;
		}
		if (x.kind == T_END)
			break;
		t = xreallocarray(t, n + 1, sizeof(*t));
		t[n++] = x;
	}
	if (n == 0) {
		capsa_error_set(err, EINVAL, "missing value for command");
		goto out;
	}
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && t[i].kind != T_PIPE)
			continue;
		if (eval_stage(t + start, i - start, root, start > 0, &v, err) < 0)
			goto out;
		start = i + 1;
	}
	val_text(out, &v);
	ret = 0;
out:
	toks_free(t, n);
	val_clear(&v);
	return ret;
}

int capsa_template_render(const char *tmpl, json_object *root, char **out, struct capsa_error **err)
{
	struct buf b = {0};
	puts_(&b, "");
	for (const char *p = tmpl; *p;) {
		const char *open = strstr(p, "{{");
		if (open == NULL) {
			puts_(&b, p);
			break;
		}
		put(&b, p, (size_t)(open - p));
		const char *close = strstr(open + 2, "}}");
		if (close == NULL) {
			free(b.s);
			return capsa_error_set(err, EINVAL, "template: unclosed action");
		}
		_cleanup_free_ char *action = xstrndup(open + 2, (size_t)(close - open - 2));
		for (const char *kw = "range\0if\0with\0end\0else\0define\0template\0block\0"; *kw;
		     kw += strlen(kw) + 1) {
			const char *a = action + strspn(action, " \t");
			size_t l = strlen(kw);
			if (strncmp(a, kw, l) == 0 && (a[l] == ' ' || a[l] == '\0')) {
				free(b.s);
				return capsa_error_set(err, ENOTSUP, "template: {{%s}} is not supported", kw);
			}
		}
		if (eval_action(action, root, &b, err) < 0) {
			free(b.s);
			return capsa_error_prefix(err, "template: {{%s}}", action);
		}
		p = close + 2;
	}
	*out = b.s;
	return 0;
}
