/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the image JSON parsers (manifest, index, config, docker-archive manifest via
 * the same helpers) and --change instructions. Build, e.g.:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_image_manifest.c \
 *         build/libcapsa.a $(pkg-config --libs json-c libarchive libcrypto) -lpthread
 */
#include "image/image.h"
#include "common/cleanup.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct capsa_error *err = NULL;
	const char *json = (const char *)data;

	(void)capsa_manifest_kind(json, size);

	struct capsa_image_manifest *m = NULL;
	if (capsa_image_manifest_parse(json, size, "fuzz", &m, &err) == 0)
		capsa_image_manifest_free(m);
	capsa_error_clear(&err);

	struct capsa_image_index *x = NULL;
	if (capsa_image_index_parse(json, size, "fuzz", &x, &err) == 0) {
		struct capsa_platform want;
		const struct capsa_descriptor *d;
		capsa_platform_host(&want);
		if (capsa_image_index_select(x, &want, &d, &err) < 0)
			capsa_error_clear(&err);
		capsa_platform_clear(&want);
		capsa_image_index_free(x);
	}
	capsa_error_clear(&err);

	struct capsa_image_config *c = NULL;
	if (capsa_image_config_parse(json, size, "fuzz", &c, &err) == 0) {
		char *again = capsa_image_config_to_json(c);
		struct capsa_image_config *c2 = NULL;
		/* What we write we must read back. */
		if (capsa_image_config_parse(again, strlen(again), "again", &c2, NULL) < 0)
			__builtin_trap();
		capsa_image_config_free(c2);
		free(again);
		struct capsa_image_runtime *r = NULL;
		if (capsa_image_config_to_runtime(c, NULL, "root:x:0:0::/:/bin/sh\n", "root:x:0:\n", &r,
						  &err) == 0)
			capsa_image_runtime_free(r);
		capsa_error_clear(&err);
		capsa_image_config_free(c);
	}
	capsa_error_clear(&err);

	/* The same bytes as a --change instruction on an empty config. */
	char *s = xstrndup(json, size);
	struct capsa_image_config *cc = xzalloc(sizeof(*cc));
	if (capsa_image_config_change(cc, s, &err) < 0)
		capsa_error_clear(&err);
	capsa_image_config_free(cc);
	free(s);
	return 0;
}
