/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for image references, digests, platforms, tar member names and user specs. Build, e.g.:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_image_ref.c \
 *         build/libcapsa.a $(pkg-config --libs json-c libarchive libcrypto) -lpthread
 */
#include "image/image.h"
#include "common/cleanup.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	struct capsa_error *err = NULL;

	char *norm = NULL;
	if (capsa_image_ref_normalize(s, &norm, &err) == 0) {
		/* Normalising is idempotent. */
		char *again = NULL;
		if (capsa_image_ref_normalize(norm, &again, NULL) < 0 || strcmp(norm, again))
			__builtin_trap();
		free(again);
		free(norm);
	}
	capsa_error_clear(&err);

	if (capsa_digest_validate(s, NULL) == 0 && strlen(s) < 71)
		__builtin_trap(); /* the shortest valid digest is sha256: plus 64 digits */

	struct capsa_platform p;
	if (capsa_platform_parse(s, &p, NULL) == 0)
		capsa_platform_clear(&p);

	char *clean = NULL;
	if (capsa_image_clean_path(s, &clean, &err) == 0) {
		/* A cleaned path never climbs or starts at the root. */
		if (clean[0] == '/' || !strcmp(clean, "..") || !strncmp(clean, "../", 3) ||
		    strstr(clean, "/../") ||
		    (strlen(clean) >= 3 && !strcmp(clean + strlen(clean) - 3, "/..")))
			__builtin_trap();
		const char *base = strrchr(clean, '/') ? strrchr(clean, '/') + 1 : clean;
		const char *target = NULL;
		(void)capsa_image_whiteout(base, &target);
		free(clean);
	}
	capsa_error_clear(&err);

	struct oci_user u;
	if (capsa_image_resolve_user(s, "root:x:0:0::/:/bin/sh\nu:x:1:2::/:/bin/sh\n", "g:x:3:u\n", &u,
				     &err) == 0)
		free(u.additional_gids);
	capsa_error_clear(&err);
	free(s);
	return 0;
}
