/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "containers.h"
#include "common/cleanup.h"
#include "common/signal.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

static const struct option opts[] = {
	{"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {0}};

static int run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	int ch;
	const char *format = NULL;
	while ((ch = cli_getopt(&capsa_cmd_inspect, argc, argv, "f:", opts)) != -1) {
		if (ch == 'h')
			return 0;
		if (ch == 'f')
			format = optarg;
		else
			return cli_usage_error(&capsa_cmd_inspect, err, "unknown flag");
	}
	if (optind >= argc)
		return cli_usage_error(&capsa_cmd_inspect, err, "requires at least 1 argument");
	_cleanup_engine_ struct capsa_engine *e = NULL;
	if (capsa_engine_open(cli->root, &e, err) < 0)
		return -1;
	int status = 0;
	if (!format)
		printf("[");
	bool first = true;
	for (int i = optind; i < argc; i++) {
		_cleanup_ctr_ struct capsa_ctr *c = NULL;
		struct capsa_error *e2 = NULL;
		if (capsa_engine_lookup(e, argv[i], &c, &e2) < 0) {
			status = cli_fail("inspect", e2, 1);
			capsa_error_free(e2);
			continue;
		}
		_cleanup_free_ char *j = capsa_engine_inspect_json(e, c);
		if (format) {
			/* docker's -f: the template over each container's object, one line each. */
			if (cli_print_template(format, j, &e2) < 0) {
				status = cli_fail("inspect", e2, 1);
				capsa_error_free(e2);
				break;
			}
			continue;
		}
		printf("%s\n%s", first ? "" : ",", j);
		first = false;
	}
	if (!format)
		printf("\n]\n");
	return status;
}

const struct capsa_cmd capsa_cmd_inspect = {
	.name = "inspect",
	.summary = "Show containers' configuration and state as JSON (or through a template)",
	.usage = "[-f FORMAT] CONTAINER [CONTAINER...]",
	.help = "  -f, --format T  a Go template over each container's JSON, one line each:\n"
		"                  {{.State.Pid}} {{json .Config}} {{index .Config.Labels \"k\"}} {{.Name | upper}}\n",
	.run = run,
};
