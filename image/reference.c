/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Image references with docker's normalisation: `busybox` = `docker.io/library/busybox:latest`. */
#define _GNU_SOURCE
#include "image.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#define NAME_MAX_TOTAL 255

static bool is_alnum_lower(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* */
static int check_component(const char *c, size_t n, const char *whole, struct capsa_error **err)
{
	if (n == 0)
		return capsa_error_set(err, 0, "invalid reference \"%s\": empty path component", whole);
	for (size_t i = 0; i < n; i++) {
		if (c[i] >= 'A' && c[i] <= 'Z')
			return capsa_error_set(
				err, 0, "invalid reference \"%s\": repository name must be lowercase", whole);
	}
	size_t i = 0;
	for (;;) {
		size_t start = i;
		while (i < n && is_alnum_lower(c[i]))
			i++;
		if (i == start)
			goto bad;
		if (i == n)
			return 0;
		/* A separator: one '.', one or two '_', or any number of '-'. */
		if (c[i] == '.') {
			i++;
		} else if (c[i] == '_') {
			i++;
			if (i < n && c[i] == '_')
				i++;
		} else if (c[i] == '-') {
			while (i < n && c[i] == '-')
				i++;
		} else {
			goto bad;
		}
		if (i == n)
			goto bad;
	}
bad:
	return capsa_error_set(err, 0, "invalid reference \"%s\": bad repository component \"%.*s\"", whole,
			       (int)n, c);
}

static int check_domain(const char *d, size_t n, const char *whole, struct capsa_error **err)
{
	size_t i = 0;
	bool label_start = true;
	for (; i < n && d[i] != ':'; i++) {
		char ch = d[i];
		if (ch == '.') {
			if (label_start)
				goto bad;
			label_start = true;
			continue;
		}
		if (!isalnum((unsigned char)ch) && !(ch == '-' && !label_start))
			goto bad;
		label_start = false;
	}
	if (label_start)
		goto bad;
	if (i < n) {
		i++;
		if (i == n)
			goto bad;
		for (; i < n; i++)
			if (!isdigit((unsigned char)d[i]))
				goto bad;
	}
	return 0;
bad:
	return capsa_error_set(err, 0, "invalid reference \"%s\": bad registry host \"%.*s\"", whole, (int)n,
			       d);
}

static int check_tag(const char *t, const char *whole, struct capsa_error **err)
{
	size_t n = strlen(t);
	if (n == 0 || n > 128)
		return capsa_error_set(err, 0, "invalid reference \"%s\": tag must be 1 to 128 characters",
				       whole);
	for (size_t i = 0; i < n; i++) {
		char c = t[i];
		bool ok = isalnum((unsigned char)c) || c == '_' || (i > 0 && (c == '.' || c == '-'));
		if (!ok)
			return capsa_error_set(err, 0, "invalid reference \"%s\": bad tag \"%s\"", whole, t);
	}
	return 0;
}

void capsa_image_ref_free(struct capsa_image_ref *r)
{
	if (r == NULL)
		return;
	free(r->domain);
	free(r->path);
	free(r->tag);
	free(r->digest);
	free(r);
}

int capsa_image_ref_parse(const char *s, struct capsa_image_ref **out, struct capsa_error **err)
{
	if (s == NULL || *s == '\0')
		return capsa_error_set(err, 0, "invalid reference: empty");
	if (strlen(s) > 512)
		return capsa_error_set(err, 0, "invalid reference: longer than 512 characters");
	_cleanup_image_ref_ struct capsa_image_ref *r = xzalloc(sizeof(*r));
	_cleanup_free_ char *name = xstrdup(s);

	char *at = strchr(name, '@');
	if (at) {
		*at = '\0';
		if (capsa_digest_validate(at + 1, err) < 0)
			return capsa_error_prefix(err, "invalid reference \"%s\"", s);
		r->digest = xstrdup(at + 1);
	}
	char *slash = strrchr(name, '/');
	char *colon = strrchr(slash ? slash : name, ':');
	if (colon) {
		*colon = '\0';
		if (check_tag(colon + 1, s, err) < 0)
			return -1;
		r->tag = xstrdup(colon + 1);
	}
	if (*name == '\0')
		return capsa_error_set(err, 0, "invalid reference \"%s\": missing repository name", s);

	const char *path = name;
	char *first = strchr(name, '/');
	if (first) {
		size_t dn = (size_t)(first - name);
		bool is_domain = memchr(name, '.', dn) || memchr(name, ':', dn) ||
				 (dn == 9 && !strncmp(name, "localhost", 9));
		/* Uppercase makes it a host too: repository components are lowercase only. */
		for (size_t i = 0; i < dn && !is_domain; i++)
			if (isupper((unsigned char)name[i]))
				is_domain = true;
		if (is_domain) {
			if (check_domain(name, dn, s, err) < 0)
				return -1;
			r->domain = xstrndup(name, dn);
			path = first + 1;
		}
	}
	for (const char *c = path;;) {
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);
		if (check_component(c, n, s, err) < 0)
			return -1;
		if (!e)
			break;
		c = e + 1;
	}
	if (r->domain == NULL || !strcmp(r->domain, "index.docker.io")) {
		free(r->domain);
		r->domain = xstrdup("docker.io");
	}
	if (!strcmp(r->domain, "docker.io") && strchr(path, '/') == NULL)
		r->path = xasprintf("library/%s", path);
	else
		r->path = xstrdup(path);
	if (strlen(r->domain) + 1 + strlen(r->path) > NAME_MAX_TOTAL)
		return capsa_error_set(err, 0,
				       "invalid reference \"%s\": repository name longer than %d characters",
				       s, NAME_MAX_TOTAL);
	if (r->tag == NULL && r->digest == NULL)
		r->tag = xstrdup("latest");
	*out = TAKE_PTR(r);
	return 0;
}

char *capsa_image_ref_repo(const struct capsa_image_ref *r)
{
	return xasprintf("%s/%s", r->domain, r->path);
}

char *capsa_image_ref_string(const struct capsa_image_ref *r)
{
	return xasprintf("%s/%s%s%s%s%s", r->domain, r->path, r->tag ? ":" : "", r->tag ? r->tag : "",
			 r->digest ? "@" : "", r->digest ? r->digest : "");
}

int capsa_image_ref_normalize(const char *s, char **out, struct capsa_error **err)
{
	_cleanup_image_ref_ struct capsa_image_ref *r = NULL;
	if (capsa_image_ref_parse(s, &r, err) < 0)
		return -1;
	*out = capsa_image_ref_string(r);
	return 0;
}
