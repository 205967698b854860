/* SPDX-License-Identifier: GPL-2.0-or-later */
/* capsa exec: run a command in a running container. */
#define _GNU_SOURCE
#include "containers.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <string.h>

static const struct option opts[] = {
	{"detach", no_argument, NULL, 'd'},
	{"interactive", no_argument, NULL, 'i'},
	{"tty", no_argument, NULL, 't'},
	{"env", required_argument, NULL, 'e'},
	{"user", required_argument, NULL, 'u'},
	{"workdir", required_argument, NULL, 'w'},
	{"privileged", no_argument, NULL, 'P'},
	{"help", no_argument, NULL, 'h'},
	{0},
};

static int run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	if (capsa_engine_seal_self(err) < 0)
		return cli_fail("exec", *err, 126);
	struct capsa_exec_request r = {0};
	_cleanup_strv_ char **env = NULL;
	int ch;
	while ((ch = cli_getopt(&capsa_cmd_exec, argc, argv, "dite:u:w:", opts)) != -1) {
		switch (ch) {
		case 'h':
			return 0;
		case 'd':
			r.detach = true;
			break;
		case 'i':
			r.interactive = true;
			break;
		case 't':
			r.tty = true;
			break;
		case 'e':
			if (capsa_parse_env_arg(optarg, &env, &r.n_env, err) < 0)
				return cli_fail("exec", *err, 125);
			break;
		case 'u':
			r.user = optarg;
			break;
		case 'w':
			r.workdir = optarg;
			break;
		case 'P':
			r.privileged = true;
			break;
		default:
			return cli_usage_error(&capsa_cmd_exec, err, "unknown flag");
		}
	}
	if (argc - optind < 2)
		return cli_usage_error(&capsa_cmd_exec, err, "requires at least 2 arguments");
	r.env = env;
	r.args = argv + optind + 1;
	r.n_args = (size_t)(argc - optind - 1);
	_cleanup_engine_ struct capsa_engine *e = NULL;
	_cleanup_ctr_ struct capsa_ctr *c = NULL;
	if (capsa_engine_open(cli->root, &e, err) < 0 || capsa_engine_lookup(e, argv[optind], &c, err) < 0)
		return cli_fail("exec", *err, 125);
	int code = 126;
	if (capsa_engine_exec(e, c, &r, &code, err) < 0)
		return cli_fail("exec", *err, code);
	return code;
}

const struct capsa_cmd capsa_cmd_exec = {
	.name = "exec",
	.summary = "Run a command in a running container",
	.usage =
		"[-d] [-i] [-t] [-e K=V] [-u USER[:GROUP]] [-w DIR] [--privileged] CONTAINER COMMAND [ARG...]",
	.run = run,
};
