/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "containers.h"
#include "common/cleanup.h"
#include "common/signal.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

static const struct option opts[] = {{"attach", no_argument, NULL, 'a'},
				     {"interactive", no_argument, NULL, 'i'},
				     {"help", no_argument, NULL, 'h'},
				     {0}};

static int run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	bool attach = false, interactive = false;
	int ch;
	while ((ch = cli_getopt(&capsa_cmd_start, argc, argv, "ai", opts)) != -1) {
		if (ch == 'h')
			return 0;
		if (ch == 'a')
			attach = true;
		else if (ch == 'i')
			interactive = true;
		else
			return cli_usage_error(&capsa_cmd_start, err, "unknown flag");
	}
	if (optind >= argc)
		return cli_usage_error(&capsa_cmd_start, err, "requires at least 1 argument");
	if ((attach || interactive) && argc - optind > 1)
		return cli_usage_error(&capsa_cmd_start, err,
				       "you cannot attach to several containers at once");
	_cleanup_engine_ struct capsa_engine *e = NULL;
	if (capsa_engine_open(cli->root, &e, err) < 0)
		return -1;
	int status = 0;
	for (int i = optind; i < argc; i++) {
		_cleanup_ctr_ struct capsa_ctr *c = NULL;
		int code = 125;
		bool detached = false;
		struct capsa_attach_opts a = {.stdin_ = interactive && attach,
					      .stdout_ = attach,
					      .stderr_ = attach,
					      .tty = false,
					      .wait_exit = attach,
					      .in_fd = 0,
					      .out_fd = 1,
					      .err_fd = 2};
		struct capsa_error *e2 = NULL;
		if (capsa_engine_lookup(e, argv[i], &c, &e2) < 0 ||
		    (a.tty = c->tty && attach, capsa_engine_start(e, c, &a, &code, &detached, &e2) < 0)) {
			status = cli_fail("start", e2, code ? code : 1);
			capsa_error_free(e2);
			continue;
		}
		if (attach)
			return code;
		printf("%s\n", argv[i]);
	}
	return status;
}

const struct capsa_cmd capsa_cmd_start = {
	.name = "start",
	.summary = "Start one or more created or stopped containers",
	.usage = "[-a] [-i] CONTAINER [CONTAINER...]",
	.help = "  -a, --attach       attach stdout/stderr and exit with the container's status\n"
		"  -i, --interactive  attach stdin too\n",
	.run = run,
};
