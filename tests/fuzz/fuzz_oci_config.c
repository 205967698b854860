/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for config.json and process.json parsing and writing. Besides memory safety it
 * checks the writer: whatever parses must be written as a document that parses again and is written
 * identically. Build with the parser instrumented, e.g.:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -DCAPSA_VERSION='"fuzz"' \
 *         tests/fuzz/fuzz_oci_config.c oci-spec/[a-z]*.c common/[a-z]*.c \
 *         $(pkg-config --cflags --libs json-c libcap libseccomp) -o fuzz_oci_config
 *   ./fuzz_oci_config tests/fuzz/corpus/oci_config
 */
#include "oci-spec/oci-spec.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct capsa_error *err = NULL;
	const char *json = (const char *)data;

	struct oci_config *c = NULL;
	if (capsa_oci_config_parse(json, size, "fuzz", &c, &err) == 0) {
		char *first = capsa_oci_config_to_json(c);
		struct oci_config *again = NULL;
		struct capsa_error *err2 = NULL;
		if (capsa_oci_config_parse(first, strlen(first), "round-trip", &again, &err2) < 0) {
			fprintf(stderr, "written config does not parse: %s\n%s", err2->msg, first);
			abort();
		}
		char *second = capsa_oci_config_to_json(again);
		if (strcmp(first, second) != 0) {
			fprintf(stderr, "round trip differs:\n%s----\n%s", first, second);
			abort();
		}
		free(second);
		free(first);
		capsa_oci_config_free(again);
		capsa_oci_config_free(c);
	}
	capsa_error_clear(&err);

	struct oci_process *p = NULL;
	if (capsa_oci_process_parse(json, size, "fuzz", &p, &err) == 0)
		capsa_oci_process_free(p);
	capsa_error_clear(&err);
	return 0;
}
