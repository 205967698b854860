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
	int ch;
	while ((ch = cli_getopt(&capsa_cmd_top, argc, argv, "", NULL)) != -1) {
		if (ch == 'h')
			return 0;
		return cli_usage_error(&capsa_cmd_top, err, "unknown flag");
	}
	if (argc - optind != 1)
		return cli_usage_error(&capsa_cmd_top, err, "requires exactly 1 argument");
	_cleanup_engine_ struct capsa_engine *e = NULL;
	_cleanup_ctr_ struct capsa_ctr *c = NULL;
	_cleanup_free_ char *table = NULL;
	if (capsa_engine_open(cli->root, &e, err) < 0 || capsa_engine_lookup(e, argv[optind], &c, err) < 0 ||
	    capsa_engine_top(e, c, &table, err) < 0)
		return -1;
	fputs(table, stdout);
	return 0;
}

const struct capsa_cmd capsa_cmd_top = {
	.name = "top",
	.summary = "List the processes of a container",
	.usage = "CONTAINER",
	.run = run,
};
