/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "containers.h"
#include "common/cleanup.h"
#include "common/signal.h"
#include "common/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>

static const struct option opts[] = {
	{"signal", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'}, {0}};

static int act(struct capsa_engine *e, struct capsa_ctr *c, const char *ref, void *data,
	       struct capsa_error **err)
{
	if (capsa_engine_kill(e, c, *(int *)data, err) < 0)
		return -1;
	printf("%s\n", ref);
	return 0;
}

static int run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	int sig = SIGKILL;
	int ch;
	while ((ch = cli_getopt(&capsa_cmd_kill, argc, argv, "s:", opts)) != -1) {
		if (ch == 'h')
			return 0;
		if (ch != 's')
			return cli_usage_error(&capsa_cmd_kill, err, "unknown flag");
		if ((sig = capsa_signal_parse(optarg)) <= 0)
			return capsa_error_set(err, 0, "invalid signal: %s", optarg);
	}
	return cli_each_container(cli, &capsa_cmd_kill, argc, argv, act, &sig, err);
}

const struct capsa_cmd capsa_cmd_kill = {
	.name = "kill",
	.summary = "Send a signal (default SIGKILL) to running containers",
	.usage = "[-s SIGNAL] CONTAINER [CONTAINER...]",
	.run = run,
};
