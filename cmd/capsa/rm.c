/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "containers.h"
#include "common/cleanup.h"
#include "common/signal.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
				     {"volumes", no_argument, NULL, 'v'},
				     {"help", no_argument, NULL, 'h'},
				     {0}};

static int run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	bool force = false, volumes = false;
	int ch;
	while ((ch = cli_getopt(&capsa_cmd_rm, argc, argv, "fv", opts)) != -1) {
		if (ch == 'h')
			return 0;
		if (ch == 'f')
			force = true;
		else if (ch == 'v')
			volumes = true;
		else
			return cli_usage_error(&capsa_cmd_rm, err, "unknown flag");
	}
	if (optind >= argc)
		return cli_usage_error(&capsa_cmd_rm, err, "requires at least 1 argument");
	_cleanup_engine_ struct capsa_engine *e = NULL;
	if (capsa_engine_open(cli->root, &e, err) < 0)
		return -1;
	int status = 0;
	for (int i = optind; i < argc; i++) {
		struct capsa_error *e2 = NULL;
		if (capsa_engine_remove(e, argv[i], force, volumes, &e2) < 0) {
			status = cli_fail("rm", e2, 1);
			capsa_error_free(e2);
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return status;
}

const struct capsa_cmd capsa_cmd_rm = {
	.name = "rm",
	.summary = "Remove containers",
	.usage = "[-f] [-v] CONTAINER [CONTAINER...]",
	.help = "  -f, --force    kill a running container first\n  -v, --volumes  remove its anonymous volumes\n",
	.run = run,
};
