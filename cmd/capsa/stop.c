/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "containers.h"
#include "common/cleanup.h"
#include "common/signal.h"
#include "common/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct option opts[] = {{"time", required_argument, NULL, 't'},
				     {"timeout", required_argument, NULL, 't'},
				     {"help", no_argument, NULL, 'h'},
				     {0}};

static int act(struct capsa_engine *e, struct capsa_ctr *c, const char *ref, void *data,
	       struct capsa_error **err)
{
	if (capsa_engine_stop(e, c, *(int *)data, err) < 0)
		return -1;
	printf("%s\n", ref);
	return 0;
}

static int run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	int timeout = -1;
	int ch;
	int64_t v;
	while ((ch = cli_getopt(&capsa_cmd_stop, argc, argv, "t:", opts)) != -1) {
		if (ch == 'h')
			return 0;
		if (ch != 't')
			return cli_usage_error(&capsa_cmd_stop, err, "unknown flag");
		if (capsa_parse_i64(optarg, &v) < 0 || v < -1 || v > 86400)
			return cli_usage_error(&capsa_cmd_stop, err, "invalid timeout '%s'", optarg);
		timeout = (int)v;
	}
	return cli_each_container(cli, &capsa_cmd_stop, argc, argv, act, &timeout, err);
}

const struct capsa_cmd capsa_cmd_stop = {
	.name = "stop",
	.summary = "Stop containers: the stop signal, then SIGKILL after the timeout",
	.usage = "[-t SECONDS] CONTAINER [CONTAINER...]",
	.help = "  -t, --time N   seconds to wait before SIGKILL (default: the container's, 10)\n",
	.run = run,
};
