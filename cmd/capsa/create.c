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
	struct capsa_run_opts o;
	bool detach;
	int r = cli_parse_run(&capsa_cmd_create, argc, argv, &o, &detach, err);
	if (r != 0) {
		cli_run_opts_clear(&o);
		if (r > 0)
			return 0;
		return strstr((*err)->msg, "(usage: ") ? -1 : cli_fail("create", *err, 125);
	}
	_cleanup_engine_ struct capsa_engine *e = NULL;
	_cleanup_ctr_ struct capsa_ctr *c = NULL;
	int code = 125;
	r = capsa_engine_open(cli->root, &e, err) < 0 || capsa_engine_create(e, &o, &c, &code, err) < 0 ? -1
													: 0;
	cli_run_opts_clear(&o);
	if (r < 0)
		return cli_fail("create", *err, code);
	printf("%s\n", c->id);
	return 0;
}

const struct capsa_cmd capsa_cmd_create = {
	.name = "create",
	.summary = "Create a container (its monitor waits for start)",
	.usage = "[OPTIONS] IMAGE [COMMAND] [ARG...] (the options of run)",
	.run = run,
};
