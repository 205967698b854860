/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "containers.h"
#include "cgroups/cgroups.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

static int run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	if (argc < 2 || strcmp(argv[1], "prune") != 0) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			cli_usage(&capsa_cmd_container, stdout);
			return 0;
		}
		return cli_usage_error(&capsa_cmd_container, err, "expected \"prune\"");
	}
	_cleanup_engine_ struct capsa_engine *e = NULL;
	_cleanup_strv_ char **removed = NULL;
	size_t n;
	if (capsa_engine_open(cli->root, &e, err) < 0 || capsa_engine_prune(e, &removed, &n, err) < 0)
		return -1;
	if (n)
		printf("Deleted Containers:\n");
	for (size_t i = 0; i < n; i++)
		printf("%s\n", removed[i]);
	return 0;
}

const struct capsa_cmd capsa_cmd_container = {
	.name = "container",
	.summary = "Container housekeeping (prune: remove every stopped container)",
	.usage = "prune [-f]",
	.run = run,
};
