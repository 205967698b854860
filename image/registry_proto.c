/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pure parts of the distribution protocol: registry hosts and URLs, what a manifest answer is, and a
 * registry's error answers as text. Kept apart from the HTTP client so unit tests and fuzzers reach them.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

const char capsa_registry_accept[] =
	CAPSA_MT_OCI_INDEX ", " CAPSA_MT_OCI_MANIFEST ", " CAPSA_MT_DOCKER_LIST ", " CAPSA_MT_DOCKER_MANIFEST;

#define MT_DOCKER_SCHEMA1 "application/vnd.docker.distribution.manifest.v1+json"
#define MT_DOCKER_SCHEMA1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"

const char *capsa_registry_host(const char *domain)
{
	return !strcmp(domain, "docker.io") ? "registry-1.docker.io" : domain;
}

bool capsa_registry_is_loopback(const char *domain)
{
	size_t n;
	if (domain[0] == '[') {
		const char *close = strchr(domain, ']');
		if (close == NULL)
			return false;
		n = (size_t)(close - domain) + 1;
		if (n != 5 || strncmp(domain, "[::1]", 5))
			return false;
	} else {
		n = strcspn(domain, ":");
		if (n == 9 && !strncmp(domain, "localhost", 9)) {
			/* fine */
		} else if (n >= 7 && !strncmp(domain, "127.", 4)) {
			/* Every dotted quad of 127.0.0.0/8: four numbers 0-255. */
			int parts = 0, val = -1;
			for (size_t i = 0; i <= n; i++) {
				char c = i < n ? domain[i] : '.';
				if (c == '.') {
					if (val < 0)
						return false;
					parts++;
					val = -1;
				} else if (isdigit((unsigned char)c)) {
					val = (val < 0 ? 0 : val * 10) + (c - '0');
					if (val > 255)
						return false;
				} else {
					return false;
				}
			}
			if (parts != 4)
				return false;
		} else {
			return false;
		}
	}
	if (domain[n] == '\0')
		return true;
	if (domain[n] != ':' || domain[n + 1] == '\0')
		return false;
	for (const char *p = domain + n + 1; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return true;
}

char *capsa_registry_url(const char *scheme, const char *domain, const char *path, const char *kind,
			 const char *reference)
{
	return xasprintf("%s://%s/v2/%s/%s/%s", scheme, capsa_registry_host(domain), path, kind, reference);
}

/* "application/vnd.oci.image.index.v1+json; charset=utf-8" -> the media type, lowercased. */
static char *bare_media_type(const char *ct)
{
	while (*ct == ' ' || *ct == '\t')
		ct++;
	size_t n = strcspn(ct, ";");
	while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	char *r = xstrndup(ct, n);
	for (char *c = r; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return r;
}

static enum capsa_registry_mt mt_of(const char *mt)
{
	if (!strcmp(mt, CAPSA_MT_OCI_MANIFEST) || !strcmp(mt, CAPSA_MT_DOCKER_MANIFEST))
		return CAPSA_REGISTRY_MT_IMAGE;
	if (!strcmp(mt, CAPSA_MT_OCI_INDEX) || !strcmp(mt, CAPSA_MT_DOCKER_LIST))
		return CAPSA_REGISTRY_MT_INDEX;
	if (!strcmp(mt, MT_DOCKER_SCHEMA1) || !strcmp(mt, MT_DOCKER_SCHEMA1_SIGNED))
		return CAPSA_REGISTRY_MT_SCHEMA1;
	return CAPSA_REGISTRY_MT_UNKNOWN;
}

static const char *mt_name(enum capsa_registry_mt t)
{
	switch (t) {
	case CAPSA_REGISTRY_MT_IMAGE:
		return "an image manifest";
	case CAPSA_REGISTRY_MT_INDEX:
		return "an index";
	case CAPSA_REGISTRY_MT_SCHEMA1:
		return "a schema 1 manifest";
	default:
		return "unknown";
	}
}

int capsa_registry_manifest_type(const char *content_type, const char *body, size_t len,
				 enum capsa_registry_mt *out, struct capsa_error **err)
{
	*out = CAPSA_REGISTRY_MT_UNKNOWN;
	_cleanup_free_ char *ct = content_type ? bare_media_type(content_type) : xstrdup("");
	enum capsa_registry_mt by_header = mt_of(ct);

	/* The body decides what it is; the header must not contradict it. */
	_cleanup_json_ json_object *o = NULL;
	_cleanup_error_ struct capsa_error *perr = NULL;
	if (jx_parse(body, len, "manifest", &o, &perr) < 0 || !json_object_is_type(o, json_type_object)) {
		if (by_header == CAPSA_REGISTRY_MT_SCHEMA1) {
			*out = by_header;
			return 0;
		}
		return capsa_error_set(err, 0, "manifest (Content-Type \"%s\"): not a JSON object", ct);
	}
	int64_t version = 0;
	_cleanup_free_ char *body_mt = NULL;
	if (jx_int64(o, "schemaVersion", "manifest", false, &version, err) < 0 ||
	    jx_string(o, "mediaType", "manifest", false, &body_mt, err) < 0)
		return -1;
	enum capsa_registry_mt by_body = CAPSA_REGISTRY_MT_UNKNOWN;
	if (version == 1) {
		by_body = CAPSA_REGISTRY_MT_SCHEMA1;
	} else if (body_mt) {
		by_body = mt_of(body_mt);
		if (by_body == CAPSA_REGISTRY_MT_UNKNOWN)
			return capsa_error_set(err, 0, "manifest: unsupported mediaType \"%s\"", body_mt);
	} else {
		enum capsa_manifest_kind k = capsa_manifest_kind(body, len);
		by_body = k == CAPSA_MANIFEST_IMAGE   ? CAPSA_REGISTRY_MT_IMAGE
			  : k == CAPSA_MANIFEST_INDEX ? CAPSA_REGISTRY_MT_INDEX
						      : CAPSA_REGISTRY_MT_UNKNOWN;
	}
	if (by_body == CAPSA_REGISTRY_MT_UNKNOWN && by_header == CAPSA_REGISTRY_MT_UNKNOWN)
		return capsa_error_set(
			err, 0, "manifest (Content-Type \"%s\"): neither an image manifest nor an index", ct);
	if (by_header != CAPSA_REGISTRY_MT_UNKNOWN && by_body != CAPSA_REGISTRY_MT_UNKNOWN &&
	    by_header != by_body)
		return capsa_error_set(err, 0, "manifest: Content-Type \"%s\" says %s but the body is %s", ct,
				       mt_name(by_header), mt_name(by_body));
	*out = by_body != CAPSA_REGISTRY_MT_UNKNOWN ? by_body : by_header;
	return 0;
}

/* "MANIFEST_UNKNOWN" -> "manifest unknown", as docker prints error codes. */
static char *code_words(const char *code)
{
	char *r = xstrdup(code);
	for (char *c = r; *c; c++)
		*c = *c == '_' ? ' ' : (char)tolower((unsigned char)*c);
	return r;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

char *capsa_registry_error_text(long status, const char *body, size_t len)
{
	_cleanup_json_ json_object *o = NULL;
	json_object *errors;
	_cleanup_free_ char *text = xstrdup("");
	if (body && len && jx_parse(body, len, "error", &o, NULL) == 0 &&
	    json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, "errors", &errors) &&
	    json_object_is_type(errors, json_type_array)) {
		size_t n = json_object_array_length(errors);
		for (size_t i = 0; i < n && i < 4; i++) {
			json_object *e = json_object_array_get_idx(errors, i), *code, *msg;
			if (!json_object_is_type(e, json_type_object))
				continue;
			const char *cs = json_object_object_get_ex(e, "code", &code) &&
							 json_object_is_type(code, json_type_string)
						 ? json_object_get_string(code)
						 : NULL;
			const char *ms = json_object_object_get_ex(e, "message", &msg) &&
							 json_object_is_type(msg, json_type_string)
						 ? json_object_get_string(msg)
						 : NULL;
			if ((cs && (strlen(cs) > 64 || !printable(cs))) || (ms && !printable(ms)))
				continue;
			_cleanup_free_ char *words = cs ? code_words(cs) : NULL;
			char *next = xasprintf("%s%s%s%s%.200s", text, *text ? "; " : "", words ? words : "",
					       words && ms ? ": " : "", ms ? ms : "");
			free(text);
			text = next;
		}
	}
	if (*text)
		return TAKE_PTR(text);
	switch (status) {
	case 401:
		return xstrdup("unauthorized (HTTP 401)");
	case 403:
		return xstrdup("denied (HTTP 403)");
	case 404:
		return xstrdup("not found (HTTP 404)");
	case 429:
		return xstrdup("too many requests (HTTP 429)");
	default:
		return xasprintf("HTTP status %ld", status);
	}
}
