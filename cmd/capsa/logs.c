/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "containers.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct option opts[] = {{"follow", no_argument, NULL, 'f'},
				     {"tail", required_argument, NULL, 'n'},
				     {"timestamps", no_argument, NULL, 't'},
				     {"since", required_argument, NULL, 's'},
				     {"until", required_argument, NULL, 'u'},
				     {"help", no_argument, NULL, 'h'},
				     {0}};

static int run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	struct capsa_logs_opts o = {.tail = -1, .out_fd = 1, .err_fd = 2};
	int ch;
	while ((ch = cli_getopt(&capsa_cmd_logs, argc, argv, "fn:t", opts)) != -1) {
		switch (ch) {
		case 'h':
			return 0;
		case 'f':
			o.follow = true;
			break;
		case 't':
			o.timestamps = true;
			break;
		case 'n':
			if (strcmp(optarg, "all") == 0)
				o.tail = -1;
			else if (capsa_parse_i64(optarg, &o.tail) < 0 || o.tail < 0)
				return cli_usage_error(&capsa_cmd_logs, err, "invalid --tail '%s'", optarg);
			break;
		case 's':
			if (capsa_parse_timestamp(optarg, -1, &o.since_ns, err) < 0)
				return capsa_error_prefix(err, "--since");
			break;
		case 'u':
			if (capsa_parse_timestamp(optarg, -1, &o.until_ns, err) < 0)
				return capsa_error_prefix(err, "--until");
			break;
		default:
			return cli_usage_error(&capsa_cmd_logs, err, "unknown flag");
		}
	}
	if (argc - optind != 1)
		return cli_usage_error(&capsa_cmd_logs, err, "requires exactly 1 argument");
	fflush(stdout);
	_cleanup_engine_ struct capsa_engine *e = NULL;
	_cleanup_ctr_ struct capsa_ctr *c = NULL;
	if (capsa_engine_open(cli->root, &e, err) < 0 || capsa_engine_lookup(e, argv[optind], &c, err) < 0 ||
	    capsa_engine_logs(e, c, &o, err) < 0)
		return -1;
	return 0;
}

const struct capsa_cmd capsa_cmd_logs = {
	.name = "logs",
	.summary = "Show a container's output (json-file log)",
	.usage = "[-f] [--tail N] [-t] [--since T] [--until T] CONTAINER",
	.run = run,
};
