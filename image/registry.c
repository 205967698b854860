/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `pull`: the client side of the OCI distribution spec over libcurl. Manifests are read into memory (bounded)
 * and checked against their digest; blobs stream into the store's temp files while hashed, and appear under
 * their digest only once size and digest match (blob_writer_commit). A failed blob is retried a bounded
 * number of times. Auth: a 401 answer's WWW-Authenticate challenge is answered once per request (a bearer
 * token from the realm, anonymous or with the credentials of the auth file, or basic credentials).
 */
#define _GNU_SOURCE
#include "internal.h"
#include "common/base64.h"

/* libcurl is loaded when a pull or login needs it, not linked: its dependencies (TLS, Kerberos, LDAP,
 * HTTP/2, ...) cost every other capsa command 3.4 ms of dynamic loading. No type-checking macros: the
 * calls below go through pointers. */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MANIFEST_MAX (4 << 20)
#define CONFIG_MAX (16 << 20)
#define ERROR_BODY_MAX (64 << 10)
#define HEADER_VALUE_MAX 16384
#define MAX_NESTING 4
#define DEFAULT_ATTEMPTS 3
#define PROGRESS_STEP (512 << 10)
#define PARALLEL_DOWNLOADS 3 /* docker's max-concurrent-downloads */

struct client {
	CURL *curl;
	const char *domain;
	const char *path;
	const char *scheme; /* "https" or "http" */
	bool insecure;
	bool may_downgrade; /* --tls-verify=false on a non-loopback host: https first, then http */
	char *auth;	    /* "Authorization: ..." */
	bool creds_loaded;
	char *user, *pass;
	const char *authfile;
	atomic_bool *stop; /* set when a parallel download failed: the others give up */
	char errbuf[CURL_ERROR_SIZE];
};

/* The libcurl functions capsa calls, from the library loaded at the first pull. */
#define CURL_FUNCS(X)                                                                                        \
	X(CURLcode, global_init, (long))                                                                     \
	X(CURL *, easy_init, (void))                                                                         \
	X(CURLcode, easy_setopt, (CURL *, CURLoption, ...))                                                  \
	X(CURLcode, easy_perform, (CURL *))                                                                  \
	X(CURLcode, easy_getinfo, (CURL *, CURLINFO, ...))                                                   \
	X(void, easy_reset, (CURL *))                                                                        \
	X(void, easy_cleanup, (CURL *))                                                                      \
	X(const char *, easy_strerror, (CURLcode))                                                           \
	X(char *, easy_escape, (CURL *, const char *, int))                                                  \
	X(void, free, (void *))                                                                              \
	X(struct curl_slist *, slist_append, (struct curl_slist *, const char *))                            \
	X(void, slist_free_all, (struct curl_slist *))
#define CURL_PTR(ret, name, args) ret(*name) args;
static struct {
	CURL_FUNCS(CURL_PTR)
} lc;
#undef CURL_PTR
#define curl_global_init lc.global_init
#define curl_easy_init lc.easy_init
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_easy_setopt lc.easy_setopt
#define curl_easy_perform lc.easy_perform
#define curl_easy_getinfo lc.easy_getinfo
#define curl_easy_reset lc.easy_reset
#define curl_easy_cleanup lc.easy_cleanup
#define curl_easy_escape lc.easy_escape
#define curl_free lc.free
#define curl_slist_append lc.slist_append
#define curl_slist_free_all lc.slist_free_all

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static char curl_load_error[256];
static void curl_init(void)
{
	curl_init_rc = CURLE_FAILED_INIT;
	/* Never unloaded: libcurl keeps global state (TLS) for the life of the process. */
	void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		snprintf(curl_load_error, sizeof(curl_load_error), "%s (install libcurl4)", dlerror());
		return;
	}
#define CURL_SYM(ret, name, args)                                                                            \
	if ((*(void **)&lc.name = dlsym(h, "curl_" #name)) == NULL) {                                        \
		snprintf(curl_load_error, sizeof(curl_load_error), "libcurl.so.4 has no curl_%s", #name);    \
		return;                                                                                      \
	}
	CURL_FUNCS(CURL_SYM)
#undef CURL_SYM
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (curl_init_rc != CURLE_OK)
		snprintf(curl_load_error, sizeof(curl_load_error), "%s", lc.easy_strerror(curl_init_rc));
}

/* Loads and initialises libcurl once per process. */
static int curl_ready(struct capsa_error **err)
{
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return capsa_error_set(err, 0, "libcurl: %s", curl_load_error);
	return 0;
}
#define curl_easy_strerror lc.easy_strerror

struct resp {
	CURL *curl;
	long status;
	char *content_type;
	char *www_auth;
	char *docker_digest;
	/* Body kept in memory (manifests, token answers, error answers). */
	char *body;
	size_t len, max;
	bool too_big;
	/* Or streamed into a blob (200 answers only). */
	struct blob_writer *w;
	int64_t expect_size;
	struct capsa_error *werr;
	const struct capsa_pull_opts *o;
	const char *digest;
	int64_t last_progress;
	atomic_bool *stop;
};

static void resp_reset(struct resp *r)
{
	free(r->content_type);
	free(r->www_auth);
	free(r->docker_digest);
	free(r->body);
	r->content_type = r->www_auth = r->docker_digest = r->body = NULL;
	r->len = 0;
	r->status = 0;
	r->too_big = false;
	capsa_error_clear(&r->werr);
}

/* Parallel downloads report through one lock: the callback never runs twice at once. */
static pthread_mutex_t event_lock = PTHREAD_MUTEX_INITIALIZER;

static void event(const struct capsa_pull_opts *o, enum capsa_pull_event_kind kind, const char *digest,
		  int64_t done, int64_t total, const char *msg)
{
	if (o && o->progress) {
		struct capsa_pull_event ev = {kind, digest, done, total, msg};
		pthread_mutex_lock(&event_lock);
		o->progress(o->progress_ctx, &ev);
		pthread_mutex_unlock(&event_lock);
	}
}

static char *header_value(const char *v, size_t n)
{
	while (n && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	return xstrndup(v, n > HEADER_VALUE_MAX ? HEADER_VALUE_MAX : n);
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *ud)
{
	struct resp *r = ud;
	size_t n = size * nitems;
	if (n >= 5 && !strncmp(buf, "HTTP/", 5)) {
		/* A new answer (after a redirect or 100 Continue): forget the previous one's headers. */
		free(r->content_type);
		free(r->www_auth);
		free(r->docker_digest);
		r->content_type = r->www_auth = r->docker_digest = NULL;
		return n;
	}
	const char *colon = memchr(buf, ':', n);
	if (colon == NULL)
		return n;
	size_t kn = (size_t)(colon - buf);
	const char *v = colon + 1;
	size_t vn = n - kn - 1;
	if (kn == 12 && !strncasecmp(buf, "Content-Type", 12)) {
		free(r->content_type);
		r->content_type = header_value(v, vn);
	} else if (kn == 16 && !strncasecmp(buf, "WWW-Authenticate", 16)) {
		/* Several headers are one list of challenges. */
		_cleanup_free_ char *val = header_value(v, vn);
		char *joined = r->www_auth ? xasprintf("%s, %s", r->www_auth, val) : xstrdup(val);
		free(r->www_auth);
		r->www_auth = joined;
	} else if (kn == 21 && !strncasecmp(buf, "Docker-Content-Digest", 21)) {
		free(r->docker_digest);
		r->docker_digest = header_value(v, vn);
	}
	return n;
}

static size_t on_body(char *buf, size_t size, size_t nmemb, void *ud)
{
	struct resp *r = ud;
	size_t n = size * nmemb;
	long code = 0;
	curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &code);
	if (r->w && code == 200) {
		if (r->stop && atomic_load(r->stop)) {
			capsa_error_set(&r->werr, ECANCELED, "cancelled: another download failed");
			return 0;
		}
		if (r->expect_size >= 0 && r->w->size + (int64_t)n > r->expect_size) {
			capsa_error_set(&r->werr, 0,
					"the registry sent more than the %lld bytes of the descriptor",
					(long long)r->expect_size);
			return 0;
		}
		if (blob_writer_write(r->w, buf, n, &r->werr) < 0)
			return 0;
		if (r->w->size - r->last_progress >= PROGRESS_STEP || r->w->size == r->expect_size) {
			r->last_progress = r->w->size;
			event(r->o, CAPSA_PULL_LAYER_PROGRESS, r->digest, r->w->size, r->expect_size, NULL);
		}
		return n;
	}
	size_t max = r->w ? ERROR_BODY_MAX : r->max;
	if (r->len + n > max) {
		r->too_big = true;
		return 0;
	}
	r->body = xrealloc(r->body, r->len + n + 1);
	memcpy(r->body + r->len, buf, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

static bool secure_url(const char *url)
{
	return capsa_str_has_prefix(url, "https://");
}

/* One GET, following redirects; no auth retry. With basic set, sends user:pass (token endpoints). */
static int http_get(struct client *c, const char *url, const char *accept, bool send_auth, bool basic,
		    struct resp *r, struct capsa_error **err)
{
	CURL *h = c->curl;
	curl_easy_reset(h);
	r->curl = h;
	struct curl_slist *hdrs = NULL;
	_cleanup_free_ char *acc = accept ? xasprintf("Accept: %s", accept) : NULL;
	if (acc)
		hdrs = curl_slist_append(hdrs, acc);
	if (send_auth && c->auth)
		hdrs = curl_slist_append(hdrs, c->auth);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "capsa/" CAPSA_VERSION);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	/* Redirects (to object stores) never step down from HTTPS unless the user allowed it. */
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR,
			 c->insecure || !strcmp(c->scheme, "http") ? "http,https" : "https");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	/* A registry that stops sending is given up on after a minute of (almost) nothing. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, c->insecure ? 0L : 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, c->insecure ? 0L : 2L);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	c->errbuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	if (basic && c->user) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, c->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, c->pass ? c->pass : "");
	}
	CURLcode rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hdrs);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	if (rc == CURLE_OK)
		return 0;
	if (r->werr) {
		*err = TAKE_PTR(r->werr);
		return -1;
	}
	if (r->too_big)
		return capsa_error_set(err, 0, "GET %s: answer larger than %zu bytes", url,
				       r->w ? (size_t)ERROR_BODY_MAX : r->max);
	bool tls_hint = rc == CURLE_SSL_CONNECT_ERROR && !c->insecure && secure_url(url);
	return capsa_error_set(err, 0, "GET %s: %s%s", url, c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc),
			       tls_hint ? " (a registry without TLS needs --tls-verify=false)" : "");
}

static int load_creds(struct client *c, struct capsa_error **err)
{
	if (c->creds_loaded)
		return 0;
	c->creds_loaded = true;
	if (capsa_registry_auth_get(c->authfile, c->domain, &c->user, &c->pass, err) < 0)
		return capsa_error_prefix(err, "credentials for %s", c->domain);
	return 0;
}

static char *auth_hint(struct client *c)
{
	_cleanup_free_ char *def = c->authfile ? NULL : capsa_registry_auth_file();
	if (c->user)
		return xasprintf("the credentials of user \"%s\" were refused", c->user);
	return xasprintf("no credentials for %s in %s; see capsa login", c->domain,
			 c->authfile ? c->authfile : def);
}

static char *url_escape(CURL *h, const char *s)
{
	char *e = curl_easy_escape(h, s, 0);
	char *r = xstrdup(e ? e : "");
	curl_free(e);
	return r;
}

static int bearer(struct client *c, const struct capsa_auth_challenge *ch, struct capsa_error **err)
{
	const char *realm = capsa_auth_param(ch, "realm");
	const char *service = capsa_auth_param(ch, "service");
	const char *scope = capsa_auth_param(ch, "scope");
	if (realm == NULL)
		return capsa_error_set(err, 0, "%s: Bearer challenge without a realm", c->domain);
	bool https = secure_url(realm);
	if (!https && !capsa_str_has_prefix(realm, "http://"))
		return capsa_error_set(err, 0, "%s: token realm \"%.200s\" is not an http(s) URL", c->domain,
				       realm);
	/* Credentials only travel encrypted, unless the registry itself is plain HTTP. */
	if (!https && strcmp(c->scheme, "http"))
		return capsa_error_set(err, 0,
				       "%s: refusing the plain-HTTP token realm %.200s of an HTTPS registry",
				       c->domain, realm);
	if (load_creds(c, err) < 0)
		return -1;
	/* A login checks the credentials on /v2/, which needs no scope. */
	_cleanup_free_ char *own_scope = c->path ? xasprintf("repository:%s:pull", c->path) : NULL;
	const char *want_scope = scope ? scope : own_scope;
	_cleanup_free_ char *esc_scope = want_scope ? url_escape(c->curl, want_scope) : NULL;
	_cleanup_free_ char *esc_service = service ? url_escape(c->curl, service) : NULL;
	_cleanup_free_ char *url = xasprintf("%s%c%s%s%s%s", realm, strchr(realm, '?') ? '&' : '?',
					     esc_scope ? "scope=" : "", esc_scope ? esc_scope : "",
					     esc_service ? (esc_scope ? "&service=" : "service=") : "",
					     esc_service ? esc_service : "");
	struct resp r = {.max = 1 << 20, .expect_size = -1};
	_cleanup_free_ char *token = NULL;
	int ret = -1;
	if (http_get(c, url, "application/json", false, true, &r, err) < 0) {
		capsa_error_prefix(err, "%s: token", c->domain);
		goto out;
	}
	if (r.status != 200) {
		_cleanup_free_ char *text = capsa_registry_error_text(r.status, r.body, r.len);
		_cleanup_free_ char *hint = auth_hint(c);
		capsa_error_set(err, 0, "%s: token request refused: %s (%s)", c->domain, text, hint);
		goto out;
	}
	if (capsa_registry_token_parse(r.body ? r.body : "", r.len, &token, err) < 0) {
		capsa_error_prefix(err, "%s", c->domain);
		goto out;
	}
	free(c->auth);
	c->auth = xasprintf("Authorization: Bearer %s", token);
	ret = 0;
out:
	resp_reset(&r);
	return ret;
}

static int authenticate(struct client *c, const char *www, struct capsa_error **err)
{
	struct capsa_auth_challenge *ch = NULL;
	size_t n = 0;
	if (www == NULL)
		return capsa_error_set(
			err, 0, "%s: unauthorized, and the answer names no way to authenticate", c->domain);
	if (capsa_www_authenticate_parse(www, &ch, &n, err) < 0)
		return capsa_error_prefix(err, "%s", c->domain);
	int ret = -1;
	const struct capsa_auth_challenge *b = capsa_auth_find(ch, n, "Bearer");
	if (b) {
		ret = bearer(c, b, err);
	} else if (capsa_auth_find(ch, n, "Basic")) {
		if (load_creds(c, err) < 0)
			goto out;
		if (c->user == NULL) {
			_cleanup_free_ char *hint = auth_hint(c);
			capsa_error_set(err, 0, "%s: authentication required: %s", c->domain, hint);
			goto out;
		}
		if (!strcmp(c->scheme, "http") && !capsa_registry_is_loopback(c->domain) && !c->insecure) {
			capsa_error_set(err, 0, "%s: refusing to send a password over plain HTTP", c->domain);
			goto out;
		}
		_cleanup_free_ char *plain = xasprintf("%s:%s", c->user, c->pass ? c->pass : "");
		_cleanup_free_ char *b64 = capsa_base64_encode(plain, strlen(plain));
		free(c->auth);
		c->auth = xasprintf("Authorization: Basic %s", b64);
		ret = 0;
	} else {
		capsa_error_set(err, 0, "%s: unsupported authentication scheme \"%s\"", c->domain,
				ch[0].scheme);
	}
out:
	capsa_auth_challenges_free(ch, n);
	return ret;
}

/* A GET to the registry: an https->http step down where allowed, and one answer to a 401. */
static int registry_get(struct client *c, char **url, const char *accept, struct resp *r,
			struct capsa_error **err)
{
	bool authed = false;
	for (;;) {
		if (r->w && r->w->size > 0)
			return capsa_error_set(err, 0, "GET %s: an answer after a partial body", *url);
		_cleanup_error_ struct capsa_error *e = NULL;
		if (http_get(c, *url, accept, true, false, r, &e) < 0) {
			/* --tls-verify=false: a registry that does not speak TLS is tried over HTTP, once. */
			if (c->may_downgrade && secure_url(*url) && r->status == 0) {
				char *plain = xasprintf("http://%s", *url + 8);
				free(*url);
				*url = plain;
				c->scheme = "http";
				c->may_downgrade = false;
				resp_reset(r);
				continue;
			}
			*err = TAKE_PTR(e);
			return -1;
		}
		c->may_downgrade = false;
		/* A second 401 after answering the challenge is the caller's to report. */
		if (r->status != 401 || authed)
			return 0;
		if (authenticate(c, r->www_auth, err) < 0)
			return -1;
		authed = true;
		resp_reset(r);
	}
}

static char *unauthorized_text(struct client *c, const struct resp *r)
{
	_cleanup_free_ char *text = capsa_registry_error_text(r->status, r->body, r->len);
	_cleanup_free_ char *hint = auth_hint(c);
	return xasprintf("%s (%s)", text, hint);
}

static char *digest_of(const char *algo_of, const char *data, size_t len)
{
	struct hasher h;
	if (hasher_init_for(&h, algo_of ? algo_of : "sha256:", NULL) < 0)
		return capsa_digest_sha256(data, len);
	hasher_update(&h, data, len);
	char *d = hasher_final(&h);
	hasher_free(&h);
	return d;
}

struct manifest_answer {
	char *body;
	size_t len;
	char *digest;
	enum capsa_registry_mt mt;
};

static void answer_clear(struct manifest_answer *a)
{
	free(a->body);
	free(a->digest);
	memset(a, 0, sizeof(*a));
}

/* GET /v2/<path>/manifests/<reference>; with expect set, the body must hash to it. */
static int get_manifest(struct client *c, const char *refname, const char *reference, const char *expect,
			struct manifest_answer *a, struct capsa_error **err)
{
	_cleanup_free_ char *url = capsa_registry_url(c->scheme, c->domain, c->path, "manifests", reference);
	struct resp r = {.max = MANIFEST_MAX, .expect_size = -1};
	int ret = -1;
	if (registry_get(c, &url, capsa_registry_accept, &r, err) < 0)
		goto out;
	if (r.status == 401) {
		_cleanup_free_ char *t = unauthorized_text(c, &r);
		capsa_error_set(err, 0, "pull access denied for %s: %s", refname, t);
		goto out;
	}
	if (r.status == 404) {
		_cleanup_free_ char *t = capsa_registry_error_text(r.status, r.body, r.len);
		capsa_error_set(err, 0, "manifest for %s not found: %s", refname, t);
		goto out;
	}
	if (r.status != 200) {
		_cleanup_free_ char *t = capsa_registry_error_text(r.status, r.body, r.len);
		capsa_error_set(err, 0, "manifest for %s: %s", refname, t);
		goto out;
	}
	char *got = digest_of(expect, r.body ? r.body : "", r.len);
	if (expect && strcmp(expect, got)) {
		capsa_error_set(err, 0,
				"manifest for %s: digest mismatch: asked for %s, the registry sent %s",
				refname, expect, got);
		free(got);
		goto out;
	}
	/* The registry's own digest header, when it uses our algorithm, must agree with the content. */
	if (r.docker_digest && capsa_digest_validate(r.docker_digest, NULL) == 0 &&
	    !strncmp(r.docker_digest, got, 7) && strcmp(r.docker_digest, got)) {
		capsa_error_set(err, 0,
				"manifest for %s: Docker-Content-Digest %s does not match the content (%s)",
				refname, r.docker_digest, got);
		free(got);
		goto out;
	}
	if (capsa_registry_manifest_type(r.content_type, r.body ? r.body : "", r.len, &a->mt, err) < 0) {
		free(got);
		capsa_error_prefix(err, "%s", refname);
		goto out;
	}
	a->digest = got;
	a->body = TAKE_PTR(r.body);
	a->len = r.len;
	ret = 0;
out:
	resp_reset(&r);
	return ret;
}

static bool retryable(long status)
{
	return status == 0 || status == 408 || status == 429 || status >= 500;
}

/* o_events: the options whose progress callback hears about this blob (NULL for the config, which docker
 * does not show either). */
static int get_blob(struct client *c, struct capsa_image_store *s, const struct capsa_descriptor *d,
		    const struct capsa_pull_opts *o, const struct capsa_pull_opts *o_events,
		    int64_t *downloaded, struct capsa_error **err)
{
	int attempts = o->attempts > 0 ? o->attempts : DEFAULT_ATTEMPTS;
	_cleanup_error_ struct capsa_error *last = NULL;
	for (int i = 1; i <= attempts; i++) {
		if (c->stop && atomic_load(c->stop))
			break;
		if (i > 1) {
			event(o_events, CAPSA_PULL_LAYER_RETRY, d->digest, i, attempts,
			      last ? last->msg : "");
			/* A short pause that grows: a registry restarting or overloaded gets a moment. */
			long ms = 200L * (i - 1);
			struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
			nanosleep(&ts, NULL);
		}
		capsa_error_clear(&last);
		_cleanup_free_ char *url =
			capsa_registry_url(c->scheme, c->domain, c->path, "blobs", d->digest);
		struct blob_writer w;
		if (blob_writer_begin(s, capsa_str_has_prefix(d->digest, "sha512:") ? "sha512" : "sha256", &w,
				      err) < 0)
			return -1;
		struct resp r = {
			.w = &w, .expect_size = d->size, .o = o_events, .digest = d->digest, .stop = c->stop};
		int rc = registry_get(c, &url, NULL, &r, &last);
		long status = r.status;
		if (rc == 0 && status != 200) {
			_cleanup_free_ char *t = status == 401
							 ? unauthorized_text(c, &r)
							 : capsa_registry_error_text(status, r.body, r.len);
			capsa_error_set(&last, 0, "%s", t);
			rc = -1;
		}
		resp_reset(&r);
		if (rc < 0) {
			blob_writer_abort(&w);
			if (status != 200 && !retryable(status))
				break;
			continue;
		}
		*downloaded += w.size;
		if (w.size < d->size) {
			capsa_error_set(&last, 0, "the transfer ended after %lld of %lld bytes",
					(long long)w.size, (long long)d->size);
			blob_writer_abort(&w);
			continue;
		}
		event(o_events, CAPSA_PULL_LAYER_VERIFYING, d->digest, w.size, d->size, NULL);
		if (blob_writer_commit(&w, d->digest, d->size, NULL, &last) < 0)
			continue;
		event(o_events, CAPSA_PULL_LAYER_DOWNLOADED, d->digest, d->size, d->size, NULL);
		return 0;
	}
	if (last == NULL)
		return capsa_error_set(err, ECANCELED, "blob %s: cancelled: another download failed",
				       d->digest);
	*err = TAKE_PTR(last);
	return capsa_error_prefix(err, "blob %s (%d attempt%s)", d->digest, attempts,
				  attempts > 1 ? "s" : "");
}

/* ---- parallel layer downloads ---- */

struct pool {
	struct client *c;
	struct capsa_image_store *s;
	const struct capsa_pull_opts *o;
	const struct capsa_descriptor **todo;
	size_t n, next;
	pthread_mutex_t lock;
	atomic_bool stop;
	struct capsa_error *err; /* the first failure */
	int64_t downloaded;
};

/* Each worker has a handle of its own and a copy of the session (token, credentials read-only). */
static void *pool_worker(void *arg)
{
	struct pool *p = arg;
	struct client c = *p->c;
	c.curl = curl_easy_init();
	c.auth = p->c->auth ? xstrdup(p->c->auth) : NULL;
	c.stop = &p->stop;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		size_t i = p->next < p->n && !atomic_load(&p->stop) ? p->next++ : p->n;
		pthread_mutex_unlock(&p->lock);
		if (i == p->n)
			break;
		struct capsa_error *e = NULL;
		int64_t got = 0;
		int r = c.curl ? get_blob(&c, p->s, p->todo[i], p->o, p->o, &got, &e)
			       : capsa_error_set(&e, ENOMEM, "libcurl: cannot create a handle");
		pthread_mutex_lock(&p->lock);
		p->downloaded += got;
		/* The first real failure is the one to report, not the cancellations it caused. */
		if (r < 0 && (p->err == NULL || (p->err->errnum == ECANCELED && e->errnum != ECANCELED))) {
			capsa_error_free(p->err);
			p->err = TAKE_PTR(e);
		}
		pthread_mutex_unlock(&p->lock);
		if (r < 0)
			atomic_store(&p->stop, true);
		capsa_error_free(e);
	}
	if (c.curl)
		curl_easy_cleanup(c.curl);
	free(c.auth);
	/* Credentials this worker loaded itself (the session had none yet) are its own. */
	if (c.user != p->c->user) {
		free(c.user);
		free(c.pass);
	}
	return NULL;
}

static int download_all(struct client *c, struct capsa_image_store *s, const struct capsa_pull_opts *o,
			const struct capsa_descriptor **todo, size_t n, int64_t *downloaded,
			struct capsa_error **err)
{
	struct pool p = {.c = c, .s = s, .o = o, .todo = todo, .n = n};
	pthread_mutex_init(&p.lock, NULL);
	atomic_init(&p.stop, false);
	size_t nt = n < PARALLEL_DOWNLOADS ? n : PARALLEL_DOWNLOADS;
	pthread_t tids[PARALLEL_DOWNLOADS];
	size_t started = 0;
	for (; started < nt; started++)
		if (pthread_create(&tids[started], NULL, pool_worker, &p) != 0)
			break;
	if (started == 0)
		pool_worker(&p); /* no thread to be had: this one does it all */
	for (size_t i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	pthread_mutex_destroy(&p.lock);
	*downloaded += p.downloaded;
	if (p.err) {
		*err = p.err;
		return -1;
	}
	return 0;
}

/* ---- pull ---- */

void capsa_pull_result_clear(struct capsa_pull_result *r)
{
	free(r->name);
	free(r->digest);
	free(r->id);
	memset(r, 0, sizeof(*r));
}

static bool config_media_type_ok(const char *mt)
{
	return mt == NULL || !strcmp(mt, CAPSA_MT_OCI_CONFIG) || !strcmp(mt, CAPSA_MT_DOCKER_CONFIG);
}

/* The store image whose manifest is digest, if complete; NULL otherwise. */
static const struct capsa_image *image_with_manifest(struct capsa_image_store *s, const char *digest)
{
	size_t n;
	const struct capsa_image *imgs = capsa_image_store_images(s, &n);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(imgs[i].manifest, digest))
			continue;
		bool complete = blob_exists(s, imgs[i].id) && blob_exists(s, imgs[i].manifest);
		for (size_t j = 0; complete && j < imgs[i].n_layers; j++)
			complete = blob_exists(s, imgs[i].layers[j].digest);
		if (complete)
			return &imgs[i];
	}
	return NULL;
}

static int pull(struct client *c, struct capsa_image_store *s, const struct capsa_image_ref *r,
		const struct capsa_platform *plat, const struct capsa_pull_opts *o,
		struct capsa_pull_result *out, struct capsa_error **err)
{
	_cleanup_free_ char *refname = capsa_image_ref_string(r);
	/* Everything the gotos below clean up is declared before the first of them. */
	struct manifest_answer a = {0};
	_cleanup_image_manifest_ struct capsa_image_manifest *m = NULL;
	_cleanup_free_ char *name = NULL;
	_cleanup_free_ bool *fetched = NULL;
	_cleanup_free_ const struct capsa_descriptor **todo = NULL;
	int ret = -1;
	if (get_manifest(c, refname, r->digest ? r->digest : r->tag, r->digest, &a, err) < 0)
		return -1;
	out->digest = xstrdup(a.digest);
	event(o, CAPSA_PULL_RESOLVED, a.digest, 0, 0, NULL);
	for (int depth = 0; a.mt == CAPSA_REGISTRY_MT_INDEX; depth++) {
		if (depth >= MAX_NESTING) {
			capsa_error_set(err, 0, "%s: indexes nested more than %d deep", refname, MAX_NESTING);
			goto out;
		}
		_cleanup_image_index_ struct capsa_image_index *x = NULL;
		const struct capsa_descriptor *pick;
		if (capsa_image_index_parse(a.body, a.len, a.digest, &x, err) < 0 ||
		    capsa_image_index_select(x, plat, &pick, err) < 0) {
			capsa_error_prefix(err, "%s", refname);
			goto out;
		}
		if (pick->size > MANIFEST_MAX) {
			capsa_error_set(err, 0, "%s: manifest %s is larger than %d bytes", refname,
					pick->digest, MANIFEST_MAX);
			goto out;
		}
		_cleanup_free_ char *d = xstrdup(pick->digest);
		answer_clear(&a);
		if (get_manifest(c, refname, d, d, &a, err) < 0)
			goto out;
	}
	if (a.mt == CAPSA_REGISTRY_MT_SCHEMA1) {
		capsa_error_set(
			err, 0,
			"%s: the registry serves a Docker schema 1 manifest, which is deprecated and not supported "
			"(push the image again with a current client)",
			refname);
		goto out;
	}
	if (a.mt != CAPSA_REGISTRY_MT_IMAGE) {
		capsa_error_set(err, 0, "%s: neither an image manifest nor an index", refname);
		goto out;
	}
	if (capsa_image_manifest_parse(a.body, a.len, a.digest, &m, err) < 0) {
		capsa_error_prefix(err, "%s", refname);
		goto out;
	}
	if (!config_media_type_ok(m->config.media_type)) {
		capsa_error_set(err, 0, "%s is not a container image (config media type %s)", refname,
				m->config.media_type);
		goto out;
	}
	if (m->config.size < 0 || m->config.size > CONFIG_MAX) {
		capsa_error_set(err, 0, "%s: config %s: size %lld out of range", refname, m->config.digest,
				(long long)m->config.size);
		goto out;
	}
	for (size_t i = 0; i < m->n_layers; i++)
		if (m->layers[i].size < 0) {
			capsa_error_set(err, 0, "%s: layer %s has a negative size", refname,
					m->layers[i].digest);
			goto out;
		}

	/* The name this pull gives: repo:tag (a digest-only pull leaves the image unnamed, like docker). */
	if (r->tag) {
		_cleanup_free_ char *repo = capsa_image_ref_repo(r);
		name = xasprintf("%s:%s", repo, r->tag);
	}
	out->name = xstrdup(name ? name : refname);

	const struct capsa_image *have = image_with_manifest(s, a.digest);
	if (have && (name == NULL || capsa_strv_contains(have->names, name))) {
		out->up_to_date = true;
		out->id = xstrdup(have->id);
		for (size_t i = 0; i < m->n_layers; i++)
			event(o, CAPSA_PULL_LAYER_EXISTS, m->layers[i].digest, 0, m->layers[i].size, NULL);
		ret = 0;
		goto out;
	}
	fetched = xcalloc(m->n_layers + 1, sizeof(bool));
	for (size_t i = 0; i < m->n_layers; i++) {
		bool exists = blob_exists(s, m->layers[i].digest);
		event(o, exists ? CAPSA_PULL_LAYER_EXISTS : CAPSA_PULL_LAYER_WAITING, m->layers[i].digest, 0,
		      m->layers[i].size, NULL);
	}
	if (!blob_exists(s, m->config.digest) &&
	    get_blob(c, s, &m->config, o, NULL, &out->downloaded, err) < 0) {
		capsa_error_prefix(err, "%s: config", refname);
		goto out;
	}
	todo = xcalloc(m->n_layers + 1, sizeof(*todo));
	size_t ntodo = 0;
	for (size_t i = 0; i < m->n_layers; i++) {
		if (blob_exists(s, m->layers[i].digest))
			continue;
		/* A layer listed twice is fetched once. */
		bool dup = false;
		for (size_t k = 0; k < ntodo && !dup; k++)
			dup = !strcmp(todo[k]->digest, m->layers[i].digest);
		if (!dup)
			todo[ntodo++] = &m->layers[i];
		fetched[i] = true;
	}
	if (download_all(c, s, o, todo, ntodo, &out->downloaded, err) < 0) {
		capsa_error_prefix(err, "%s: layer", refname);
		goto out;
	}
	struct capsa_image img;
	if (blob_write_mem(s, a.body, a.len, a.digest, NULL, err) < 0 ||
	    store_image_from_manifest(s, a.digest, &img, err) < 0) {
		capsa_error_prefix(err, "%s", refname);
		goto out;
	}
	/* Unpack before naming, so a layer that fails verification leaves no image behind. */
	if (capsa_image_unpack(s, &img, 0, err) < 0) {
		image_clear(&img);
		capsa_error_prefix(err, "%s", refname);
		goto out;
	}
	for (size_t i = 0; i < m->n_layers; i++)
		if (fetched[i])
			event(o, CAPSA_PULL_LAYER_EXTRACTED, m->layers[i].digest, m->layers[i].size,
			      m->layers[i].size, NULL);
	if (name) {
		capsa_strv_push(&img.names, name);
		img.n_names++;
	}
	out->id = xstrdup(img.id);
	store_add_image(s, &img);
	if (store_save(s, err) < 0)
		goto out;
	ret = 0;
out:
	answer_clear(&a);
	return ret;
}

int capsa_image_pull(struct capsa_image_store *s, const char *ref, const struct capsa_pull_opts *o,
		     struct capsa_pull_result *out, struct capsa_error **err)
{
	static const struct capsa_pull_opts defaults;
	if (o == NULL)
		o = &defaults;
	memset(out, 0, sizeof(*out));
	_cleanup_image_ref_ struct capsa_image_ref *r = NULL;
	if (capsa_image_ref_parse(ref, &r, err) < 0)
		return -1;
	struct capsa_platform plat;
	if (o->platform) {
		if (capsa_platform_parse(o->platform, &plat, err) < 0)
			return -1;
	} else {
		capsa_platform_host(&plat);
	}
	if (curl_ready(err) < 0) {
		capsa_platform_clear(&plat);
		return -1;
	}
	bool loopback = capsa_registry_is_loopback(r->domain);
	struct client c = {
		.curl = curl_easy_init(),
		.domain = r->domain,
		.path = r->path,
		/* Like docker's insecure registries for loopback: plain HTTP there, HTTPS elsewhere. */
		.scheme = loopback ? "http" : "https",
		.insecure = o->insecure,
		.may_downgrade = o->insecure && !loopback,
		.authfile = o->authfile,
	};
	int ret = -1;
	if (c.curl == NULL) {
		capsa_error_set(err, ENOMEM, "libcurl: cannot create a handle");
	} else {
		ret = pull(&c, s, r, &plat, o, out, err);
		curl_easy_cleanup(c.curl);
	}
	if (ret < 0)
		capsa_pull_result_clear(out);
	else
		event(o, CAPSA_PULL_DONE, out->digest, out->downloaded, 0,
		      out->up_to_date ? "Image is up to date" : "Downloaded newer image");
	free(c.auth);
	free(c.user);
	if (c.pass) {
		explicit_bzero(c.pass, strlen(c.pass));
		free(c.pass);
	}
	capsa_platform_clear(&plat);
	return ret;
}

/* ---- login ---- */

int capsa_registry_login(const char *domain, const char *user, const char *pass, bool insecure,
			 struct capsa_error **err)
{
	if (curl_ready(err) < 0)
		return -1;
	bool loopback = capsa_registry_is_loopback(domain);
	struct client c = {
		.curl = curl_easy_init(),
		.domain = domain,
		.scheme = loopback ? "http" : "https",
		.insecure = insecure,
		.may_downgrade = insecure && !loopback,
		.creds_loaded = true,
		.user = (char *)user,
		.pass = (char *)pass,
	};
	if (c.curl == NULL)
		return capsa_error_set(err, ENOMEM, "libcurl: cannot create a handle");
	_cleanup_free_ char *url = xasprintf("%s://%s/v2/", c.scheme, capsa_registry_host(domain));
	struct resp r = {.max = 1 << 20, .expect_size = -1};
	int ret = registry_get(&c, &url, "application/json", &r, err);
	if (ret == 0 && r.status != 200) {
		_cleanup_free_ char *t = capsa_registry_error_text(r.status, r.body, r.len);
		ret = capsa_error_set(err, 0, "%s: %s", domain, t);
	}
	if (ret < 0)
		capsa_error_prefix(err, "login as \"%s\"", user);
	resp_reset(&r);
	free(c.auth);
	curl_easy_cleanup(c.curl);
	return ret;
}
