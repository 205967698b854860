/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for what a registry sends back: WWW-Authenticate headers, token answers, error bodies and
 * manifest Content-Types, plus docker auth files. Seeds in tests/fuzz/corpus/fuzz_www_authenticate/.
 */
#include "image/image.h"
#include "common/cleanup.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

static void check_challenges(const char *s)
{
	struct capsa_auth_challenge *c = NULL;
	size_t n = 0;
	struct capsa_error *err = NULL;
	if (capsa_www_authenticate_parse(s, &c, &n, &err) < 0) {
		/* A refusal always says why and hands nothing out. */
		if (err == NULL || err->msg == NULL || c != NULL || n != 0)
			__builtin_trap();
		capsa_error_free(err);
		return;
	}
	if (n == 0 || n > 16)
		__builtin_trap();
	for (size_t i = 0; i < n; i++) {
		if (c[i].scheme == NULL || c[i].scheme[0] == '\0' || c[i].n_params > 32)
			__builtin_trap();
		for (size_t k = 0; k < c[i].n_params; k++) {
			const char *key = c[i].params[k].key;
			for (const char *p = key; *p; p++)
				if (isupper((unsigned char)*p))
					__builtin_trap(); /* names are lowercased */
			if (c[i].params[k].value == NULL)
				__builtin_trap();
		}
		if (capsa_auth_find(c, n, c[i].scheme) == NULL)
			__builtin_trap();
		(void)capsa_auth_param(&c[i], "realm");
	}
	capsa_auth_challenges_free(c, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	size_t len = strlen(s);
	check_challenges(s);

	struct capsa_error *err = NULL;
	char *token = NULL;
	if (capsa_registry_token_parse(s, len, &token, &err) == 0) {
		for (const char *p = token; *p; p++)
			if ((unsigned char)*p <= 0x20)
				__builtin_trap();
		free(token);
	}
	capsa_error_clear(&err);

	char *text = capsa_registry_error_text(400, s, len);
	for (const char *p = text; *p; p++)
		if ((unsigned char)*p < 0x20)
			__builtin_trap(); /* nothing a terminal would interpret reaches the user */
	free(text);

	/* The first line is a Content-Type, the rest the body. */
	const char *nl = strchr(s, '\n');
	char *ct = nl ? xstrndup(s, (size_t)(nl - s)) : NULL;
	const char *body = nl ? nl + 1 : s;
	enum capsa_registry_mt mt;
	if (capsa_registry_manifest_type(ct, body, strlen(body), &mt, &err) == 0 &&
	    mt == CAPSA_REGISTRY_MT_UNKNOWN)
		__builtin_trap();
	capsa_error_clear(&err);
	free(ct);

	char *user = NULL, *pass = NULL;
	int r = capsa_registry_auth_lookup(s, len, "r.example", &user, &pass, &err);
	if (r == 1 && (user == NULL || pass == NULL || user[0] == '\0'))
		__builtin_trap();
	free(user);
	free(pass);
	capsa_error_clear(&err);

	(void)capsa_registry_is_loopback(s);
	free(s);
	return 0;
}
