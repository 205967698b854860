/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Digests: validation of "algo:hex" strings and streaming sha256/sha512 through OpenSSL's EVP. */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <string.h>

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
	const EVP_MD *md;
	if (algo == NULL || !strcmp(algo, "sha256"))
		md = EVP_sha256();
	else if (!strcmp(algo, "sha512"))
		md = EVP_sha512();
	else
		return capsa_error_set(err, 0, "unsupported digest algorithm %s", algo);
	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL || EVP_DigestInit_ex(h->ctx, md, NULL) != 1)
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
	EVP_DigestUpdate(h->ctx, data, len);
}

char *hasher_final(struct hasher *h)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_DigestFinal_ex(h->ctx, md, &n);
	char *out = xmalloc(strlen(h->algo) + 2 + 2 * n);
	char *p = out + sprintf(out, "%s:", h->algo);
	for (unsigned int i = 0; i < n; i++)
		p += sprintf(p, "%02x", md[i]);
	return out;
}

void hasher_free(struct hasher *h)
{
	if (h->ctx)
		EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

char *capsa_digest_sha256(const void *data, size_t len)
{
	struct hasher h = {0};
	if (hasher_init(&h, "sha256", NULL) < 0)
		abort();
	hasher_update(&h, data, len);
	char *d = hasher_final(&h);
	hasher_free(&h);
	return d;
}
