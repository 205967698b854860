/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the commands: error and usage output, option values. */
#define _GNU_SOURCE
#include "cmd/capsa-runtime/cmd.h"
#include "common/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int fail(struct capsa_error *err)
{
	_cleanup_free_ char *text = capsa_error_text(err);
	/* The log (podman and containerd read it with --log-format json) and stderr both get it. */
	if (capsa_log_fd() >= 0)
		capsa_log(CAPSA_LOG_ERROR, "%s", text);
	fprintf(stderr, "capsa-runtime: %s\n", text);
	capsa_error_free(err);
	return 1;
}

int usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("capsa-runtime: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\n", stderr);
	va_end(ap);
	if (usage)
		fprintf(stderr, "%s", usage);
	return 1;
}

bool want_help(int argc, char **argv, const char *usage)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(usage, stdout);
			return true;
		}
	}
	return false;
}

int parse_nonneg(const char *opt, const char *value, int *out)
{
	int64_t v;
	if (capsa_parse_i64(value, &v) < 0 || v < 0 || v > 1 << 20)
		return usage_error(NULL, "%s: invalid value \"%s\": expected a non-negative integer", opt,
				   value);
	*out = (int)v;
	return 0;
}

/* The commands that take exactly one container id and no options. */
int one_id(int argc, char **argv, const char *use, const char **id)
{
	if (want_help(argc, argv, use))
		return -2;
	if (argc != 2 || argv[1][0] == '-')
		return usage_error(use,
				   argc < 2 ? "missing container id" : "expected exactly one container id"),
		       -1;
	*id = argv[1];
	return 0;
}
