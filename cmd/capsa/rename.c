/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "containers.h"
#include "common/cleanup.h"
#include "common/signal.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

static int run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	int ch;
	while ((ch = cli_getopt(&capsa_cmd_rename, argc, argv, "", NULL)) != -1) {
		if (ch == 'h')
			return 0;
		return cli_usage_error(&capsa_cmd_rename, err, "unknown flag");
	}
	if (argc - optind != 2)
		return cli_usage_error(&capsa_cmd_rename, err, "requires exactly 2 arguments");
	_cleanup_engine_ struct capsa_engine *e = NULL;
	_cleanup_ctr_ struct capsa_ctr *c = NULL;
	if (capsa_engine_open(cli->root, &e, err) < 0 || capsa_engine_lookup(e, argv[optind], &c, err) < 0 ||
	    capsa_engine_rename(e, c, argv[optind + 1], err) < 0)
		return -1;
	return 0;
}

const struct capsa_cmd capsa_cmd_rename = {
	.name = "rename",
	.summary = "Rename a container",
	.usage = "CONTAINER NEW_NAME",
	.run = run,
};
