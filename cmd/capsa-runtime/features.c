/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "cmd/capsa-runtime/cmd.h"

#include <stdio.h>

static const char usage[] =
	"usage: capsa-runtime features\n"
	"\n"
	"Print what this runtime supports, as the runtime-spec features document (JSON).\n";

int cmd_features(struct global *g, int argc, char **argv)
{
	if (want_help(argc, argv, usage))
		return 0;
	if (argc != 1)
		return usage_error(usage, "features takes no arguments");
	_cleanup_free_ char *json = capsa_oci_features_json();
	puts(json);
	return 0;
}
