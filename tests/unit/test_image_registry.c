/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Registry protocol pieces: WWW-Authenticate, tokens, credentials, URLs, manifest types, platform choice. */
#define _GNU_SOURCE
#include "image/image.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "tests/unit/tap.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static struct capsa_auth_challenge *parse_ok(const char *h, size_t *n)
{
	struct capsa_auth_challenge *c = NULL;
	struct capsa_error *err = NULL;
	int r = capsa_www_authenticate_parse(h, &c, n, &err);
	if (!ok(r == 0, "parse: %s", h))
		printf("#   error: %s\n", err ? err->msg : "?");
	capsa_error_free(err);
	return c;
}

static void parse_bad(const char *h, const char *why)
{
	struct capsa_auth_challenge *c = NULL;
	size_t n = 0;
	struct capsa_error *err = NULL;
	int r = capsa_www_authenticate_parse(h, &c, &n, &err);
	ok(r == -1 && c == NULL && n == 0 && err && strstr(err->msg, why), "refuse \"%s\": %s", h, why);
	if (err && !strstr(err->msg, why))
		printf("#   got: %s\n", err->msg);
	capsa_error_free(err);
}

static void test_www_authenticate(void)
{
	size_t n;
	struct capsa_auth_challenge *c =
		parse_ok("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
			 "scope=\"repository:library/busybox:pull\"",
			 &n);
	is_int(n, 1, "one challenge");
	is_str(c[0].scheme, "Bearer", "scheme kept as sent");
	is_str(capsa_auth_param(&c[0], "realm"), "https://auth.docker.io/token", "realm");
	is_str(capsa_auth_param(&c[0], "SERVICE"), "registry.docker.io", "names compare case-insensitively");
	is_str(capsa_auth_param(&c[0], "scope"), "repository:library/busybox:pull", "scope");
	ok(capsa_auth_param(&c[0], "error") == NULL, "absent parameter is NULL");
	capsa_auth_challenges_free(c, n);

	c = parse_ok("Basic realm=\"Registry Realm\"", &n);
	is_int(n, 1, "basic: one challenge");
	is_str(capsa_auth_param(&c[0], "realm"), "Registry Realm", "spaces inside quotes");
	ok(capsa_auth_find(c, n, "basic") == &c[0], "find by scheme, any case");
	ok(capsa_auth_find(c, n, "Bearer") == NULL, "no bearer");
	capsa_auth_challenges_free(c, n);

	/* Commas and escapes inside quotes, several challenges, unquoted tokens, blanks around '='. */
	c = parse_ok("Basic realm=\"a, \\\"b\\\" \\\\ c\", Bearer Realm = \"https://x/t?a=1,2\" , "
		     "service=reg.example ,error=insufficient_scope",
		     &n);
	is_int(n, 2, "two challenges");
	is_str(capsa_auth_param(&c[0], "realm"), "a, \"b\" \\ c", "escapes undone, comma kept");
	is_str(c[1].scheme, "Bearer", "second scheme");
	is_str(capsa_auth_param(&c[1], "realm"), "https://x/t?a=1,2", "comma inside a quoted URL");
	is_str(capsa_auth_param(&c[1], "service"), "reg.example", "token value");
	is_str(capsa_auth_param(&c[1], "error"), "insufficient_scope", "last parameter");
	capsa_auth_challenges_free(c, n);

	/* A token68 and schemes without parameters. */
	c = parse_ok("Negotiate abc+/9==, Basic, NTLM", &n);
	is_int(n, 3, "three challenges");
	is_str(capsa_auth_param(&c[0], ""), "abc+/9==", "token68 with padding");
	is_str(c[1].scheme, "Basic", "bare scheme");
	is_int(c[1].n_params, 0, "no parameters");
	is_str(c[2].scheme, "NTLM", "last bare scheme");
	capsa_auth_challenges_free(c, n);

	c = parse_ok("Bearer realm=\"\"", &n);
	is_str(capsa_auth_param(&c[0], "realm"), "", "empty quoted value");
	capsa_auth_challenges_free(c, n);

	parse_bad("", "no challenge");
	parse_bad("  ,  ", "no challenge");
	parse_bad("Bearer realm=\"unterminated", "unterminated quoted string");
	parse_bad("Bearer realm=\"ends in backslash\\", "unterminated quoted string");
	parse_bad("Bearer realm=x, service=", "missing value");
	parse_bad("Bearer realm=, service=x", "expected an auth scheme");
	parse_bad("Bearer realm=x service=y", "expected ','");
	parse_bad("=x", "expected an auth scheme");
	parse_bad("Bearer realm=\"a\x01b\"", "control character");
	parse_bad("Bearer realm=\"x\" junk\"", "expected ','");
	parse_bad("Bearer @=1", "unexpected character");

	/* Bounded: many challenges, many parameters, a huge header. */
	_cleanup_free_ char *many = xstrdup("A");
	for (int i = 0; i < 20; i++) {
		char *next = xasprintf("%s, A", many);
		free(many);
		many = next;
	}
	parse_bad(many, "more than 16 challenges");
	_cleanup_free_ char *params = xstrdup("Bearer p0=1");
	for (int i = 1; i < 40; i++) {
		char *next = xasprintf("%s,p%d=1", params, i);
		free(params);
		params = next;
	}
	parse_bad(params, "more than 32 parameters");
	_cleanup_free_ char *huge = xmalloc(20000);
	memset(huge, 'a', 19999);
	huge[19999] = '\0';
	parse_bad(huge, "longer than");
}

static void test_token(void)
{
	char *t = NULL;
	struct capsa_error *err = NULL;
	ok(capsa_registry_token_parse("{\"token\":\"abc\",\"expires_in\":300}", 33, &t, &err) == 0 &&
		   !strcmp(t, "abc"),
	   "token");
	free(t);
	t = NULL;
	const char *at = "{\"access_token\":\"xyz\"}";
	ok(capsa_registry_token_parse(at, strlen(at), &t, &err) == 0 && !strcmp(t, "xyz"), "access_token");
	free(t);
	t = NULL;
	const char *both = "{\"token\":\"\",\"access_token\":\"q\"}";
	ok(capsa_registry_token_parse(both, strlen(both), &t, &err) == 0 && !strcmp(t, "q"),
	   "an empty token falls back to access_token");
	free(t);
	t = NULL;
	const char *bad[] = {"{}",	"[]", "{\"token\":5}", "{\"token\":\"a b\"}", "{\"token\":\"a\\nb\"}",
			     "not json"};
	const char *why[] = {"no token",
			     "expected an object",
			     "token",
			     "control character or space",
			     "control character or space",
			     "token answer"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int r = capsa_registry_token_parse(bad[i], strlen(bad[i]), &t, &err);
		ok(r == -1 && t == NULL && err && strstr(err->msg, why[i]), "refuse token answer %s", bad[i]);
		if (err && !strstr(err->msg, why[i]))
			printf("#   got: %s\n", err->msg);
		capsa_error_clear(&err);
	}
}

static void lookup(const char *json, const char *domain, int want, const char *user, const char *pass)
{
	char *u = NULL, *p = NULL;
	struct capsa_error *err = NULL;
	int r = capsa_registry_auth_lookup(json, strlen(json), domain, &u, &p, &err);
	if (!is_int(r, want, "auth lookup %s in %.60s", domain, json) && err)
		printf("#   error: %s\n", err->msg);
	if (want == 1) {
		is_str(u, user, "user");
		is_str(p, pass, "password");
	}
	free(u);
	free(p);
	capsa_error_free(err);
}

static void lookup_bad(const char *json, const char *why)
{
	char *u = NULL, *p = NULL;
	struct capsa_error *err = NULL;
	int r = capsa_registry_auth_lookup(json, strlen(json), "r.example", &u, &p, &err);
	ok(r == -1 && u == NULL && err && strstr(err->msg, why), "refuse auth file %.60s: %s", json, why);
	if (err && !strstr(err->msg, why))
		printf("#   got: %s\n", err->msg);
	free(u);
	free(p);
	capsa_error_free(err);
}

static void test_credentials(void)
{
	/* dXNlcjpwYTpzcw== is user:pa:ss (a colon in the password stays). */
	lookup("{\"auths\":{\"r.example\":{\"auth\":\"dXNlcjpwYTpzcw==\"}}}", "r.example", 1, "user",
	       "pa:ss");
	lookup("{\"auths\":{\"https://r.example/v2/\":{\"auth\":\"dXNlcjpwYTpzcw==\"}}}", "r.example", 1,
	       "user", "pa:ss");
	lookup("{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"YTpi\"}}}", "docker.io", 1, "a", "b");
	lookup("{\"auths\":{\"r.example:5000\":{\"username\":\"u\",\"password\":\"p\"}}}", "r.example:5000",
	       1, "u", "p");
	lookup("{\"auths\":{\"r.example\":{\"auth\":\"YTpi\"}}}", "r.example:5000", 0, NULL, NULL);
	lookup("{\"auths\":{\"r.example.evil\":{\"auth\":\"YTpi\"}}}", "r.example", 0, NULL, NULL);
	lookup("{\"credsStore\":\"desktop\"}", "r.example", 0, NULL, NULL);
	lookup("{\"auths\":{\"r.example\":{}}}", "r.example", 0, NULL, NULL);
	lookup_bad("{\"auths\":{\"r.example\":{\"auth\":\"not base64!\"}}}", "not base64");
	lookup_bad("{\"auths\":{\"r.example\":{\"auth\":\"bm9jb2xvbg==\"}}}", "not base64 of user:password");
	lookup_bad("{\"auths\":{\"r.example\":{\"auth\":\"OnB3\"}}}", "not base64 of user:password");
	lookup_bad("{\"auths\":{\"r.example\":{\"auth\":\"YQBiOmM=\"}}}", "NUL byte");
	lookup_bad("{\"auths\":{\"r.example\":\"x\"}}", "expected an object");
	lookup_bad("{\"auths\":[]}", "auths");
	lookup_bad("[", "auth file");

	/* Writing keeps the rest of the file and replaces every spelling of the registry. */
	char dir[] = "/tmp/capsa-test-authXXXXXX";
	ok(mkdtemp(dir) != NULL, "temp dir");
	_cleanup_free_ char *file = xasprintf("%s/sub/config.json", dir);
	struct capsa_error *err = NULL;
	ok(capsa_registry_auth_set(file, "r.example", "alice", "pw:1", &err) == 1, "login writes the file");
	char *u = NULL, *p = NULL;
	ok(capsa_registry_auth_get(file, "r.example", &u, &p, &err) == 1 && !strcmp(u, "alice") &&
		   !strcmp(p, "pw:1"),
	   "read back");
	free(u);
	free(p);
	ok(capsa_registry_auth_set(file, "docker.io", "bob", "x", &err) == 1, "a second registry");
	ok(capsa_registry_auth_set(file, "r.example", NULL, NULL, &err) == 1, "logout removes");
	ok(capsa_registry_auth_set(file, "r.example", NULL, NULL, &err) == 0, "logout again: nothing to do");
	ok(capsa_registry_auth_get(file, "r.example", &u, &p, &err) == 0 && u == NULL, "gone");
	ok(capsa_registry_auth_get(file, "docker.io", &u, &p, &err) == 1 && !strcmp(u, "bob"),
	   "the other stays");
	free(u);
	free(p);
	_cleanup_free_ char *missing = xasprintf("%s/none.json", dir);
	ok(capsa_registry_auth_get(missing, "r.example", &u, &p, &err) == 0,
	   "a missing file has no credentials");
	_cleanup_free_ char *cmd = xasprintf("rm -rf %s", dir);
	ok(system(cmd) == 0, "cleanup");
	capsa_error_free(err);

	setenv("REGISTRY_AUTH_FILE", "/x/auth.json", 1);
	_cleanup_free_ char *f1 = capsa_registry_auth_file();
	is_str(f1, "/x/auth.json", "$REGISTRY_AUTH_FILE first");
	unsetenv("REGISTRY_AUTH_FILE");
	setenv("DOCKER_CONFIG", "/d", 1);
	_cleanup_free_ char *f2 = capsa_registry_auth_file();
	is_str(f2, "/d/config.json", "then $DOCKER_CONFIG");
	unsetenv("DOCKER_CONFIG");
	setenv("HOME", "/home/h", 1);
	_cleanup_free_ char *f3 = capsa_registry_auth_file();
	is_str(f3, "/home/h/.docker/config.json", "then ~/.docker/config.json");
}

static void test_urls(void)
{
	_cleanup_free_ char *u1 =
		capsa_registry_url("https", "docker.io", "library/busybox", "manifests", "latest");
	is_str(u1, "https://registry-1.docker.io/v2/library/busybox/manifests/latest",
	       "docker.io's registry host");
	_cleanup_free_ char *u2 =
		capsa_registry_url("http", "127.0.0.1:5000", "a/b/c", "blobs", "sha256:0123456789abcdef");
	is_str(u2, "http://127.0.0.1:5000/v2/a/b/c/blobs/sha256:0123456789abcdef", "other hosts as they are");
	is_str(capsa_registry_host("quay.io"), "quay.io", "quay.io");

	const char *loop[] = {"localhost",	"localhost:5000", "127.0.0.1", "127.0.0.1:80",
			      "127.1.2.3:5000", "[::1]",	  "[::1]:5000"};
	for (size_t i = 0; i < ARRAY_SIZE(loop); i++)
		ok(capsa_registry_is_loopback(loop[i]), "loopback: %s", loop[i]);
	const char * not [] = {
		"localhost.evil.com", "127.0.0.1.evil.com", "127.0.0.256",   "127.0.0",	  "10.0.0.1", "[::2]",
		"localhost:",	      "localhost:50a",	    "127.0.0.1:5:6", "128.0.0.1", "127..0.1", "[::1"};
	for (size_t i = 0; i < ARRAY_SIZE(not ); i++)
		ok(!capsa_registry_is_loopback(not [i]), "not loopback: %s", not [i]);
	ok(strstr(capsa_registry_accept, CAPSA_MT_OCI_INDEX) &&
		   strstr(capsa_registry_accept, CAPSA_MT_OCI_MANIFEST) &&
		   strstr(capsa_registry_accept, CAPSA_MT_DOCKER_LIST) &&
		   strstr(capsa_registry_accept, CAPSA_MT_DOCKER_MANIFEST) &&
		   !strstr(capsa_registry_accept, "distribution.manifest.v1"),
	   "Accept: the four current types, not schema 1");
}

static void mt_ok(const char *ct, const char *body, enum capsa_registry_mt want, const char *what)
{
	enum capsa_registry_mt got;
	struct capsa_error *err = NULL;
	int r = capsa_registry_manifest_type(ct, body, strlen(body), &got, &err);
	if (!ok(r == 0 && got == want, "%s", what))
		printf("#   r=%d got=%d error=%s\n", r, (int)got, err ? err->msg : "");
	capsa_error_free(err);
}

static void mt_bad(const char *ct, const char *body, const char *why)
{
	enum capsa_registry_mt got;
	struct capsa_error *err = NULL;
	int r = capsa_registry_manifest_type(ct, body, strlen(body), &got, &err);
	ok(r == -1 && err && strstr(err->msg, why), "refuse %s / %.40s: %s", ct ? ct : "(none)", body, why);
	if (err && !strstr(err->msg, why))
		printf("#   got: %s\n", err->msg);
	capsa_error_free(err);
}

static void test_media_types(void)
{
	const char *oci_m = "{\"schemaVersion\":2,\"mediaType\":\"" CAPSA_MT_OCI_MANIFEST
			    "\",\"config\":{},\"layers\":[]}";
	const char *bare_m = "{\"schemaVersion\":2,\"config\":{},\"layers\":[]}";
	const char *bare_x = "{\"schemaVersion\":2,\"manifests\":[]}";
	const char *list =
		"{\"schemaVersion\":2,\"mediaType\":\"" CAPSA_MT_DOCKER_LIST "\",\"manifests\":[]}";
	const char *s1 = "{\"schemaVersion\":1,\"name\":\"x\",\"fsLayers\":[]}";
	mt_ok(CAPSA_MT_OCI_MANIFEST, oci_m, CAPSA_REGISTRY_MT_IMAGE, "OCI manifest");
	mt_ok("Application/VND.oci.image.manifest.v1+json; charset=utf-8", oci_m, CAPSA_REGISTRY_MT_IMAGE,
	      "Content-Type parameters and case ignored");
	mt_ok(CAPSA_MT_OCI_INDEX, bare_x, CAPSA_REGISTRY_MT_INDEX, "OCI index without mediaType in the body");
	mt_ok(CAPSA_MT_DOCKER_LIST, list, CAPSA_REGISTRY_MT_INDEX, "Docker manifest list");
	mt_ok(CAPSA_MT_DOCKER_MANIFEST, bare_m, CAPSA_REGISTRY_MT_IMAGE, "Docker manifest");
	mt_ok("application/json", bare_m, CAPSA_REGISTRY_MT_IMAGE, "generic Content-Type: the body's shape");
	mt_ok(NULL, bare_x, CAPSA_REGISTRY_MT_INDEX, "no Content-Type: the body's shape");
	mt_ok("application/vnd.docker.distribution.manifest.v1+prettyjws", s1, CAPSA_REGISTRY_MT_SCHEMA1,
	      "schema 1 (signed)");
	mt_ok("application/json", s1, CAPSA_REGISTRY_MT_SCHEMA1, "schema 1 by its schemaVersion");
	mt_ok("application/vnd.docker.distribution.manifest.v1+prettyjws", "not json {",
	      CAPSA_REGISTRY_MT_SCHEMA1, "schema 1 by header even when the JWS does not parse");
	mt_bad(CAPSA_MT_OCI_MANIFEST, list, "says an image manifest but the body is an index");
	mt_bad(CAPSA_MT_OCI_INDEX, oci_m, "says an index but the body is an image manifest");
	mt_bad("text/html", "<html>", "not a JSON object");
	mt_bad(CAPSA_MT_OCI_MANIFEST, "[1,2]", "not a JSON object");
	mt_bad("application/json", "{\"schemaVersion\":2}", "neither an image manifest nor an index");
	mt_bad(CAPSA_MT_OCI_MANIFEST, "{\"schemaVersion\":2,\"mediaType\":\"application/x-helm\"}",
	       "unsupported mediaType");
	mt_bad(CAPSA_MT_OCI_MANIFEST, "{\"schemaVersion\":\"2\",\"config\":{},\"layers\":[]}",
	       "schemaVersion");
}

static void test_error_text(void)
{
	const char *b =
		"{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\",\"detail\":{}}]}";
	_cleanup_free_ char *t1 = capsa_registry_error_text(404, b, strlen(b));
	is_str(t1, "manifest unknown: manifest unknown", "docker-like code words and message");
	const char *two = "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"},"
			  "{\"code\":\"DENIED\"}]}";
	_cleanup_free_ char *t2 = capsa_registry_error_text(401, two, strlen(two));
	is_str(t2, "unauthorized: authentication required; denied", "several errors");
	_cleanup_free_ char *t3 = capsa_registry_error_text(502, "<html>bad gateway</html>", 24);
	is_str(t3, "HTTP status 502", "not JSON: the status");
	_cleanup_free_ char *t4 = capsa_registry_error_text(404, NULL, 0);
	is_str(t4, "not found (HTTP 404)", "no body");
	const char *ctl = "{\"errors\":[{\"code\":\"X\",\"message\":\"a\\u001b[31mred\"}]}";
	_cleanup_free_ char *t5 = capsa_registry_error_text(400, ctl, strlen(ctl));
	is_str(t5, "HTTP status 400", "terminal escapes from a registry are not printed");
	const char *wrong = "{\"errors\":[{\"code\":5,\"message\":[]}, 7]}";
	_cleanup_free_ char *t6 = capsa_registry_error_text(401, wrong, strlen(wrong));
	is_str(t6, "unauthorized (HTTP 401)", "wrong types ignored");
}

static void test_platform_choice(void)
{
	const char *idx = "{\"schemaVersion\":2,\"mediaType\":\"" CAPSA_MT_OCI_INDEX "\",\"manifests\":["
			  "{\"mediaType\":\"" CAPSA_MT_OCI_MANIFEST "\",\"size\":10,\"digest\":\"sha256:"
			  "1111111111111111111111111111111111111111111111111111111111111111\","
			  "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}},"
			  "{\"mediaType\":\"" CAPSA_MT_OCI_MANIFEST "\",\"size\":10,\"digest\":\"sha256:"
			  "2222222222222222222222222222222222222222222222222222222222222222\","
			  "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}},"
			  "{\"mediaType\":\"" CAPSA_MT_OCI_MANIFEST "\",\"size\":10,\"digest\":\"sha256:"
			  "3333333333333333333333333333333333333333333333333333333333333333\","
			  "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}";
	struct capsa_image_index *x = NULL;
	struct capsa_error *err = NULL;
	ok(capsa_image_index_parse(idx, strlen(idx), "index", &x, &err) == 0, "index parses");
	const char *want[] = {"linux/amd64", "linux/arm64", "linux/arm64/v8", "linux/arm/v7"};
	const char *digit[] = {"3", "2", "2", "1"};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		struct capsa_platform p;
		const struct capsa_descriptor *d = NULL;
		ok(capsa_platform_parse(want[i], &p, &err) == 0 &&
			   capsa_image_index_select(x, &p, &d, &err) == 0 && d && d->digest[7] == digit[i][0],
		   "%s picks its entry", want[i]);
		capsa_platform_clear(&p);
	}
	struct capsa_platform p;
	const struct capsa_descriptor *d = NULL;
	ok(capsa_platform_parse("linux/s390x", &p, &err) == 0 &&
		   capsa_image_index_select(x, &p, &d, &err) == -1 &&
		   strstr(err->msg, "no image for platform linux/s390x") &&
		   strstr(err->msg, "linux/arm/v7, linux/arm64, linux/amd64"),
	   "a missing platform lists what the index has");
	capsa_platform_clear(&p);
	capsa_error_clear(&err);
	ok(capsa_platform_parse("linux/arm/v6", &p, &err) == 0 &&
		   capsa_image_index_select(x, &p, &d, &err) == -1,
	   "a variant must match");
	capsa_platform_clear(&p);
	capsa_error_clear(&err);
	capsa_platform_host(&p);
	ok(capsa_image_index_select(x, &p, &d, &err) == 0 && d->digest[7] == '3',
	   "the host (amd64) by default");
	capsa_platform_clear(&p);
	capsa_image_index_free(x);
}

int main(void)
{
	test_www_authenticate();
	test_token();
	test_credentials();
	test_urls();
	test_media_types();
	test_error_text();
	test_platform_choice();
	return tap_done();
}
