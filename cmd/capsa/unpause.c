/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "containers.h"
#include "common/cleanup.h"
#include "common/signal.h"
#include "common/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int act(struct capsa_engine *e, struct capsa_ctr *c, const char *ref, void *data,
	       struct capsa_error **err)
{
	if (capsa_engine_pause(e, c, false, err) < 0)
		return -1;
	printf("%s\n", ref);
	return 0;
}

static int run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	int ch;
	while ((ch = cli_getopt(&capsa_cmd_unpause, argc, argv, "", NULL)) != -1) {
		if (ch == 'h')
			return 0;
		return cli_usage_error(&capsa_cmd_unpause, err, "unknown flag");
	}
	return cli_each_container(cli, &capsa_cmd_unpause, argc, argv, act, NULL, err);
}

const struct capsa_cmd capsa_cmd_unpause = {
	.name = "unpause",
	.summary = "Thaw paused containers",
	.usage = "CONTAINER [CONTAINER...]",
	.run = run,
};
