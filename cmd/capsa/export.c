/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "containers.h"
#include "cgroups/cgroups.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <unistd.h>

static const struct option opts[] = {
	{"output", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'}, {0}};

static int run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	const char *output = NULL;
	int ch;
	while ((ch = cli_getopt(&capsa_cmd_export, argc, argv, "o:", opts)) != -1) {
		if (ch == 'h')
			return 0;
		if (ch != 'o')
			return cli_usage_error(&capsa_cmd_export, err, "unknown flag");
		output = optarg;
	}
	if (argc - optind != 1)
		return cli_usage_error(&capsa_cmd_export, err, "requires exactly 1 argument");
	if (output == NULL && isatty(STDOUT_FILENO))
		return capsa_error_set(
			err, 0, "refusing to write a tar stream to a terminal: use -o FILE or redirect");
	_cleanup_engine_ struct capsa_engine *e = NULL;
	_cleanup_ctr_ struct capsa_ctr *c = NULL;
	if (capsa_engine_open(cli->root, &e, err) < 0 || capsa_engine_lookup(e, argv[optind], &c, err) < 0)
		return -1;
	_cleanup_close_ int fd = output ? open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
	if (output && fd < 0)
		return capsa_error_errno(err, "open %s", output);
	fflush(stdout);
	return capsa_engine_export(e, c, output ? fd : STDOUT_FILENO, err) < 0 ? -1 : 0;
}

const struct capsa_cmd capsa_cmd_export = {
	.name = "export",
	.summary = "Write a container's filesystem as a tar archive",
	.usage = "[-o FILE] CONTAINER",
	.run = run,
};
