/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "cmd.h"
#include "common/cleanup.h"

#include <string.h>
#include <unistd.h>

static int run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *output = NULL;
	enum capsa_archive_format fmt = CAPSA_ARCHIVE_DOCKER;
	int c;
	while ((c = cli_getopt(&capsa_cmd_save, argc, argv, "o:", opts)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'f':
			if (capsa_archive_format_parse(optarg, &fmt, err) < 0)
				return -1;
			break;
		case 'h':
			return 0;
		default:
			return cli_usage_error(&capsa_cmd_save, err, "unknown option");
		}
	}
	if (optind >= argc)
		return cli_usage_error(&capsa_cmd_save, err, "no image given");
	if ((output == NULL || !strcmp(output, "-")) && isatty(STDOUT_FILENO))
		return cli_usage_error(&capsa_cmd_save, err,
				       "refusing to write an archive to a terminal: use -o FILE");
	_cleanup_image_store_ struct capsa_image_store *s = NULL;
	if (cli_open_store(cli, false, &s, err) < 0)
		return -1;
	return capsa_image_save(s, argv + optind, (size_t)(argc - optind), output, fmt, err) < 0 ? -1 : 0;
}

const struct capsa_cmd capsa_cmd_save = {
	.name = "save",
	.summary = "Save images to a docker-archive (default) or an oci-archive",
	.usage = "[-o FILE] [--format docker-archive|oci-archive] IMAGE...",
	.help = "  -o, --output FILE   write to FILE (atomically) instead of stdout\n"
		"      --format F      docker-archive (docker/podman load) or oci-archive (OCI layout in a tar)\n",
	.run = run,
};
