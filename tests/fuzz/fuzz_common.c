/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for common/'s parsers of user input: signal names and numbers (capsa-runtime kill,
 * --stop-signal, image StopSignal), decimal numbers, JSON escaping of log messages, path splitting.
 * Besides memory safety and UB it checks each against an independent oracle. Built by `make fuzz`.
 */
#include "common/log.h"
#include "common/path.h"
#include "common/signal.h"
#include "common/util.h"

#include <json-c/json.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(const char *what, const char *input)
{
	fprintf(stderr, "%s: \"%s\"\n", what, input);
	abort();
}

/* Strict decimal: digits only, no sign, no blanks; overflow detected digit by digit. */
static int oracle_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static void check_signal(const char *s)
{
	int sig = capsa_signal_parse(s);
	if (sig != -1 && (sig < 1 || sig >= NSIG))
		fail("signal out of range", s);
	if (sig > 0) {
		const char *name = capsa_signal_name(sig);
		if (name && capsa_signal_parse(name) != sig)
			fail("signal name does not parse back", s);
	}
}

static void check_numbers(const char *s)
{
	uint64_t got = 0, want = 0;
	int r = capsa_parse_u64(s, &got), w = oracle_u64(s, &want);
	if (r != w || (r == 0 && got != want))
		fail("capsa_parse_u64 disagrees with a strict decimal parser", s);
	int64_t i;
	if (capsa_parse_i64(s, &i) == 0 && i >= 0 && w == 0 && (uint64_t)i != want)
		fail("capsa_parse_i64 disagrees", s);
}

static void check_escape(const char *s)
{
	char *esc = capsa_json_escape(s);
	char *doc = xasprintf("\"%s\"", esc);
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = json_tokener_parse_ex(tok, doc, (int)strlen(doc));
	/* json-c validates UTF-8 only in strict mode, so any byte string must come back unchanged. */
	if (o == NULL || !json_object_is_type(o, json_type_string) ||
	    strcmp(json_object_get_string(o), s) != 0)
		fail("escaped string does not decode to itself", s);
	json_object_put(o);
	json_tokener_free(tok);
	free(doc);
	free(esc);
}

static void check_split(const char *s)
{
	char *parent = NULL, *base = NULL;
	capsa_split_path(s, &parent, &base);
	if (strchr(base, '/') && strcmp(s, "/") != 0)
		fail("split base has a slash", s);
	free(parent);
	free(base);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	check_signal(s);
	check_numbers(s);
	check_escape(s);
	check_split(s);
	free(s);
	return 0;
}
