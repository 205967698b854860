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
	while ((ch = cli_getopt(&capsa_cmd_wait, argc, argv, "", NULL)) != -1) {
		if (ch == 'h')
			return 0;
		return cli_usage_error(&capsa_cmd_wait, err, "unknown flag");
	}
	if (optind >= argc)
		return cli_usage_error(&capsa_cmd_wait, err, "requires at least 1 argument");
	_cleanup_engine_ struct capsa_engine *e = NULL;
	if (capsa_engine_open(cli->root, &e, err) < 0)
		return -1;
	int status = 0;
	for (int i = optind; i < argc; i++) {
		_cleanup_ctr_ struct capsa_ctr *c = NULL;
		struct capsa_error *e2 = NULL;
		int code;
		if (capsa_engine_lookup(e, argv[i], &c, &e2) < 0 || capsa_engine_wait(e, c, &code, &e2) < 0) {
			status = cli_fail("wait", e2, 1);
			capsa_error_free(e2);
			continue;
		}
		printf("%d\n", code);
	}
	return status;
}

const struct capsa_cmd capsa_cmd_wait = {
	.name = "wait",
	.summary = "Wait until containers stop and print their exit codes",
	.usage = "CONTAINER [CONTAINER...]",
	.run = run,
};
