/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "cmd.h"
#include "common/cleanup.h"

static int run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	int c;
	while ((c = cli_getopt(&capsa_cmd_tag, argc, argv, "", NULL)) != -1) {
		if (c == 'h')
			return 0;
		return cli_usage_error(&capsa_cmd_tag, err, "unknown option");
	}
	if (argc - optind != 2)
		return cli_usage_error(&capsa_cmd_tag, err, "expected SOURCE and TARGET");
	_cleanup_image_store_ struct capsa_image_store *s = NULL;
	if (cli_open_store(cli, true, &s, err) < 0)
		return -1;
	return capsa_image_tag(s, argv[optind], argv[optind + 1], err) < 0 ? -1 : 0;
}

const struct capsa_cmd capsa_cmd_tag = {
	.name = "tag",
	.summary = "Give an image another name",
	.usage = "SOURCE_IMAGE TARGET_IMAGE[:TAG]",
	.run = run,
};
