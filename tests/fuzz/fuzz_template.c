/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for `inspect --format` templates (common/template.c) and strict base64 (common/base64.c,
 * which decodes the "auth" of docker auth files). The input's first line is a template rendered over a
 * fixed inspect-like document; the whole input also goes through the base64 decoder. Built by `make fuzz`.
 */
#include "common/base64.h"
#include "common/cleanup.h"
#include "common/template.h"

#include <json-c/json.h>
#include <stdint.h>
#include <string.h>

static json_object *doc;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (doc == NULL)
		doc = json_tokener_parse(
			"{\"Id\":\"abc\",\"State\":{\"Status\":\"running\",\"Pid\":42,\"Paused\":false,\"X\":null},"
			"\"Config\":{\"Env\":[\"A=1\",\"B=2\"],\"Labels\":{\"k\":\"v\",\"e\":\"\"},\"Cmd\":[]},"
			"\"NetworkSettings\":{\"Ports\":{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"}]}},"
			"\"Num\":1.5,\"Big\":9007199254740993}");
	const char *nl = memchr(data, '\n', size);
	char *tmpl = xstrndup((const char *)data, nl ? (size_t)(nl - (const char *)data) : size);
	char *out = NULL;
	struct capsa_error *err = NULL;
	int r = capsa_template_render(tmpl, doc, &out, &err);
	/* Rendered, or refused with a reason: never both, never neither. */
	if ((r == 0) != (out != NULL) || (r < 0) != (err != NULL))
		__builtin_trap();
	/* Text without "{{" comes back as it is. */
	if (r == 0 && strstr(tmpl, "{{") == NULL && strcmp(out, tmpl) != 0)
		__builtin_trap();
	free(out);
	capsa_error_free(err);
	free(tmpl);

	unsigned char *raw = NULL;
	size_t n = 0;
	if (capsa_base64_decode((const char *)data, size, &raw, &n) == 0) {
		/* What decodes encodes back to the same text (the decoder is strict: one spelling each). */
		char *again = capsa_base64_encode(raw, n);
		if (strlen(again) != size || memcmp(again, data, size) != 0)
			__builtin_trap();
		free(again);
		free(raw);
	} else if (raw != NULL) {
		__builtin_trap();
	}
	return 0;
}
