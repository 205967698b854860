/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Digests: validation of "algo:hex" strings and streaming sha256/sha512 through OpenSSL's EVP. libcrypto is
 * loaded at the first hash, not linked: it is a 4.5 MB library whose relocations every capsa process and
 * every monitor start would pay for, and most never hash anything.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>

static struct {
	const EVP_MD *(*sha256)(void);
	const EVP_MD *(*sha512)(void);
	EVP_MD_CTX *(*ctx_new)(void);
	void (*ctx_free)(EVP_MD_CTX *ctx);
	int (*init_ex)(EVP_MD_CTX *ctx, const EVP_MD *type, ENGINE *impl);
	int (*update)(EVP_MD_CTX *ctx, const void *d, size_t cnt);
	int (*final_ex)(EVP_MD_CTX *ctx, unsigned char *md, unsigned int *s);
} evp;
static pthread_once_t evp_once = PTHREAD_ONCE_INIT;
static char evp_error[256];

static void evp_load(void)
{
	void *h = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		snprintf(evp_error, sizeof(evp_error), "%s (install libssl3)", dlerror());
		return;
	}
	static const char *const names[] = {"EVP_sha256",	 "EVP_sha512",	      "EVP_MD_CTX_new",
					    "EVP_MD_CTX_free",	 "EVP_DigestInit_ex", "EVP_DigestUpdate",
					    "EVP_DigestFinal_ex"};
	void **slots[] = {(void **)&evp.sha256,	  (void **)&evp.sha512,	 (void **)&evp.ctx_new,
			  (void **)&evp.ctx_free, (void **)&evp.init_ex, (void **)&evp.update,
			  (void **)&evp.final_ex};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if ((*slots[i] = dlsym(h, names[i])) == NULL) {
			snprintf(evp_error, sizeof(evp_error), "libcrypto.so.3 has no %s", names[i]);
			evp.final_ex = NULL;
			return;
		}
}

int capsa_digest_validate(const char *digest, struct capsa_error **err)
{
	if (digest == NULL)
		return capsa_error_set(err, 0, "missing digest");
	size_t want;
	const char *hex;
	if (capsa_str_has_prefix(digest, "sha256:")) {
		want = 64;
		hex = digest + 7;
	} else if (capsa_str_has_prefix(digest, "sha512:")) {
		want = 128;
		hex = digest + 7;
	} else {
		return capsa_error_set(
			err, EINVAL, "invalid digest \"%.80s\": algorithm must be sha256 or sha512", digest);
	}
	size_t n = strlen(hex);
	if (n != want)
		return capsa_error_set(err, 0, "invalid digest \"%.80s\": expected %zu hex digits, got %zu",
				       digest, want, n);
	for (size_t i = 0; i < n; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return capsa_error_set(err, 0, "invalid digest \"%.80s\": not lowercase hex", digest);
	return 0;
}

const char *digest_hex(const char *digest)
{
	const char *c = strchr(digest, ':');
	return c ? c + 1 : digest;
}

int hasher_init(struct hasher *h, const char *algo, struct capsa_error **err)
{
	pthread_once(&evp_once, evp_load);
	if (evp.final_ex == NULL)
		return capsa_error_set(err, 0, "libcrypto: %s", evp_error);
	const EVP_MD *md;
	if (algo == NULL || !strcmp(algo, "sha256"))
		md = evp.sha256();
	else if (!strcmp(algo, "sha512"))
		md = evp.sha512();
	else
		return capsa_error_set(err, 0, "unsupported digest algorithm %s", algo);
	h->ctx = evp.ctx_new();
	if (h->ctx == NULL || evp.init_ex(h->ctx, md, NULL) != 1)
		return capsa_error_set(err, ENOMEM, "digest init");
	snprintf(h->algo, sizeof(h->algo), "%s", algo ? algo : "sha256");
	return 0;
}

int hasher_init_for(struct hasher *h, const char *digest, struct capsa_error **err)
{
	return hasher_init(h, capsa_str_has_prefix(digest, "sha512:") ? "sha512" : "sha256", err);
}

void hasher_update(struct hasher *h, const void *data, size_t len)
{
	evp.update(h->ctx, data, len);
}

char *hasher_final(struct hasher *h)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	evp.final_ex(h->ctx, md, &n);
	char *out = xmalloc(strlen(h->algo) + 2 + 2 * n);
	char *p = out + sprintf(out, "%s:", h->algo);
	for (unsigned int i = 0; i < n; i++)
		p += sprintf(p, "%02x", md[i]);
	return out;
}

void hasher_free(struct hasher *h)
{
	if (h->ctx)
		evp.ctx_free(h->ctx);
	h->ctx = NULL;
}

char *capsa_digest_sha256(const void *data, size_t len)
{
	struct hasher h = {0};
	struct capsa_error *err = NULL;
	if (hasher_init(&h, "sha256", &err) < 0) {
		fprintf(stderr, "capsa: %s\n", err->msg); /* as fatal as running out of memory */
		exit(125);
	}
	hasher_update(&h, data, len);
	char *d = hasher_final(&h);
	hasher_free(&h);
	return d;
}
