/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "cmd.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	static const struct option opts[] = {
		{"input", required_argument, NULL, 'i'}, {"platform", required_argument, NULL, 'p'},
		{"jobs", required_argument, NULL, 'j'},	 {"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},	 {0},
	};
	struct capsa_image_load_opts o = {0};
	const char *input = NULL;
	bool quiet = false;
	int c;
	while ((c = cli_getopt(&capsa_cmd_load, argc, argv, "i:qj:", opts)) != -1) {
		switch (c) {
		case 'i':
			input = optarg;
			break;
		case 'p':
			o.platform = optarg;
			break;
		case 'j': {
			uint64_t j;
			if (capsa_parse_u64(optarg, &j) < 0 || j > 256)
				return cli_usage_error(&capsa_cmd_load, err, "bad --jobs \"%s\"", optarg);
			o.jobs = (int)j;
			break;
		}
		case 'q':
			quiet = true;
			break;
		case 'h':
			return 0;
		default:
			return cli_usage_error(&capsa_cmd_load, err, "unknown option");
		}
	}
	if (optind < argc) {
		if (input || optind + 1 < argc)
			return cli_usage_error(&capsa_cmd_load, err, "one input only");
		input = argv[optind];
	}
	if (input == NULL || !strcmp(input, "-")) {
		if (isatty(STDIN_FILENO))
			return cli_usage_error(&capsa_cmd_load, err,
					       "no input: give -i FILE or pipe an archive");
		input = "-";
	}
	_cleanup_image_store_ struct capsa_image_store *s = NULL;
	_cleanup_strv_ char **loaded = NULL;
	if (cli_open_store(cli, true, &s, err) < 0 || capsa_image_load(s, input, &o, &loaded, err) < 0)
		return -1;
	for (size_t i = 0; !quiet && loaded && loaded[i]; i++)
		printf("%s\n", loaded[i]);
	return 0;
}

const struct capsa_cmd capsa_cmd_load = {
	.name = "load",
	.summary =
		"Load images from a docker-archive or oci-archive (file or stdin) or an OCI layout directory",
	.usage = "[-i FILE|-] [--platform OS/ARCH[/VARIANT]] | oci:DIR[:TAG]",
	.help = "  -i, --input FILE    archive to read (default stdin); the format is detected from the content\n"
		"      --platform P    image to pick from a multi-platform index (default: this host's)\n"
		"  -j, --jobs N        layers unpacked in parallel (default: number of CPUs)\n"
		"  -q, --quiet         print nothing on success\n",
	.run = run,
};
