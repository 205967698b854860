/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "containers.h"
#include "common/cleanup.h"
#include "common/signal.h"
#include "common/util.h"

#include <stdlib.h>
#include <signal.h>
#include <string.h>

static const struct option opts[] = {
	{"signal", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'}, {0}};

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
	if (optind >= argc)
		return cli_usage_error(&capsa_cmd_kill, err, "requires at least 1 argument");
	_cleanup_engine_ struct capsa_engine *e = NULL;
	if (capsa_engine_open(cli->root, &e, err) < 0)
		return -1;
	int status = 0;
	for (int i = optind; i < argc; i++) {
		_cleanup_ctr_ struct capsa_ctr *c = NULL;
		struct capsa_error *e2 = NULL;
		if (capsa_engine_lookup(e, argv[i], &c, &e2) < 0 || capsa_engine_kill(e, c, sig, &e2) < 0) {
			status = cli_fail("kill", e2, 1);
			capsa_error_free(e2);
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return status;
}

const struct capsa_cmd capsa_cmd_kill = {
	.name = "kill",
	.summary = "Send a signal (default SIGKILL) to running containers",
	.usage = "[-s SIGNAL] CONTAINER [CONTAINER...]",
	.run = run,
};
