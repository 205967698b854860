/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "containers.h"
#include "common/cleanup.h"
#include "common/signal.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

static const struct option opts[] = {
	{"time", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'}, {0}};

static int run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	int timeout = -1;
	int ch;
	int64_t v;
	while ((ch = cli_getopt(&capsa_cmd_restart, argc, argv, "t:", opts)) != -1) {
		if (ch == 'h')
			return 0;
		if (ch != 't')
			return cli_usage_error(&capsa_cmd_restart, err, "unknown flag");
		if (capsa_parse_i64(optarg, &v) < 0 || v < -1 || v > 86400)
			return cli_usage_error(&capsa_cmd_restart, err, "invalid timeout '%s'", optarg);
		timeout = (int)v;
	}
	if (optind >= argc)
		return cli_usage_error(&capsa_cmd_restart, err, "requires at least 1 argument");
	_cleanup_engine_ struct capsa_engine *e = NULL;
	if (capsa_engine_open(cli->root, &e, err) < 0)
		return -1;
	int status = 0;
	for (int i = optind; i < argc; i++) {
		_cleanup_ctr_ struct capsa_ctr *c = NULL, *c2 = NULL;
		struct capsa_error *e2 = NULL;
		int code;
		bool detached;
		struct capsa_attach_opts a = {.in_fd = -1, .out_fd = 1, .err_fd = 2};
		if (capsa_engine_lookup(e, argv[i], &c, &e2) < 0 ||
		    capsa_engine_stop(e, c, timeout, &e2) < 0 ||
		    capsa_engine_lookup(e, argv[i], &c2, &e2) < 0 ||
		    capsa_engine_start(e, c2, &a, &code, &detached, &e2) < 0) {
			status = cli_fail("restart", e2, 1);
			capsa_error_free(e2);
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return status;
}

const struct capsa_cmd capsa_cmd_restart = {
	.name = "restart",
	.summary = "Stop and start containers again",
	.usage = "[-t SECONDS] CONTAINER [CONTAINER...]",
	.run = run,
};
