/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "cmd.h"
#include "common/cleanup.h"
#include "common/util.h"

static int run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	static const struct option opts[] = {
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	bool force = false;
	int c;
	while ((c = cli_getopt(&capsa_cmd_rmi, argc, argv, "f", opts)) != -1) {
		if (c == 'f')
			force = true;
		else if (c == 'h')
			return 0;
		else
			return cli_usage_error(&capsa_cmd_rmi, err, "unknown option");
	}
	if (optind >= argc)
		return cli_usage_error(&capsa_cmd_rmi, err, "no image given");
	_cleanup_image_store_ struct capsa_image_store *s = NULL;
	if (cli_open_store(cli, true, &s, err) < 0)
		return -1;
	for (int i = optind; i < argc; i++) {
		_cleanup_strv_ char **report = NULL;
		if (capsa_image_remove(s, argv[i], force, &report, err) < 0)
			return -1;
		for (size_t k = 0; report && report[k]; k++)
			printf("%s\n", report[k]);
	}
	return 0;
}

const struct capsa_cmd capsa_cmd_rmi = {
	.name = "rmi",
	.summary = "Remove images (untag a name, or delete an image by id)",
	.usage = "[-f] IMAGE...",
	.help = "  -f, --force         remove an image with several names, or one a container still uses\n"
		"                      (the container keeps its layers until it is removed)\n",
	.run = run,
};
