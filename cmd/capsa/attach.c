/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "containers.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

static const struct option opts[] = {{"no-stdin", no_argument, NULL, 'N'},
				     {"detach-keys", required_argument, NULL, 'k'},
				     {"sig-proxy", required_argument, NULL, 's'},
				     {"help", no_argument, NULL, 'h'},
				     {0}};

static int run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	bool no_stdin = false;
	_cleanup_free_ char *keys = NULL;
	int ch;
	while ((ch = cli_getopt(&capsa_cmd_attach, argc, argv, "", opts)) != -1) {
		if (ch == 'h')
			return 0;
		if (ch == 'N')
			no_stdin = true;
		else if (ch == 'k') {
			free(keys);
			keys = NULL;
			if (capsa_parse_detach_keys(optarg, &keys, err) < 0)
				return -1;
		} else if (ch != 's')
			return cli_usage_error(&capsa_cmd_attach, err, "unknown flag");
	}
	if (argc - optind != 1)
		return cli_usage_error(&capsa_cmd_attach, err, "requires exactly 1 argument");
	_cleanup_engine_ struct capsa_engine *e = NULL;
	_cleanup_ctr_ struct capsa_ctr *c = NULL;
	if (capsa_engine_open(cli->root, &e, err) < 0 || capsa_engine_lookup(e, argv[optind], &c, err) < 0)
		return -1;
	struct capsa_attach_opts a = {.stdin_ = c->open_stdin && !no_stdin,
				      .stdout_ = true,
				      .stderr_ = true,
				      .tty = c->tty,
				      .detach_keys = keys,
				      .wait_exit = true,
				      .in_fd = 0,
				      .out_fd = 1,
				      .err_fd = 2};
	int code;
	bool detached;
	if (capsa_engine_attach(e, c, &a, &code, &detached, err) < 0)
		return -1;
	if (detached)
		fprintf(stderr, "\nread escape sequence\n");
	return detached ? 0 : code;
}

const struct capsa_cmd capsa_cmd_attach = {
	.name = "attach",
	.summary = "Attach the terminal to a running container (ctrl-p ctrl-q detaches)",
	.usage = "[--no-stdin] [--detach-keys KEYS] CONTAINER",
	.run = run,
};
