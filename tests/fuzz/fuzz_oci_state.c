/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for state.json: parse, write with and without the private fields, parse again.
 * Build like fuzz_oci_config.c:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -DCAPSA_VERSION='"fuzz"' \
 *         tests/fuzz/fuzz_oci_state.c oci-spec/[a-z]*.c common/[a-z]*.c \
 *         $(pkg-config --cflags --libs json-c libcap libseccomp) -o fuzz_oci_state
 */
#include "oci-spec/oci-spec.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct capsa_error *err = NULL;
	struct oci_state *s = NULL;
	if (capsa_oci_state_parse((const char *)data, size, "fuzz", &s, &err) == 0) {
		for (int priv = 0; priv <= 1; priv++) {
			char *out = capsa_oci_state_to_json(s, priv);
			struct oci_state *again = NULL;
			struct capsa_error *err2 = NULL;
			if (capsa_oci_state_parse(out, strlen(out), "round-trip", &again, &err2) < 0) {
				fprintf(stderr, "written state does not parse: %s\n%s", err2->msg, out);
				abort();
			}
			char *second = capsa_oci_state_to_json(again, priv);
			if (strcmp(out, second) != 0) {
				fprintf(stderr, "state round trip differs:\n%s----\n%s", out, second);
				abort();
			}
			free(second);
			free(out);
			capsa_oci_state_free(again);
		}
		capsa_oci_state_free(s);
	}
	capsa_error_clear(&err);
	return 0;
}
