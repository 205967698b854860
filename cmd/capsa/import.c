/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "cmd.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <string.h>

static int run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	static const struct option opts[] = {
		{"change", required_argument, NULL, 'c'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	_cleanup_strv_ char **changes = xcalloc(1, sizeof(char *));
	size_t n_changes = 0;
	bool quiet = false;
	int c;
	while ((c = cli_getopt(&capsa_cmd_import, argc, argv, "c:q", opts)) != -1) {
		switch (c) {
		case 'c':
			capsa_strv_push(&changes, optarg);
			n_changes++;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			return 0;
		default:
			return cli_usage_error(&capsa_cmd_import, err, "unknown option");
		}
	}
	if (optind >= argc || argc - optind > 2)
		return cli_usage_error(&capsa_cmd_import, err,
				       "expected FILE|DIR|- and an optional NAME[:TAG]");
	const char *src = argv[optind], *name = argc - optind == 2 ? argv[optind + 1] : NULL;
	_cleanup_image_store_ struct capsa_image_store *s = NULL;
	_cleanup_free_ char *id = NULL;
	if (cli_open_store(cli, true, &s, err) < 0 ||
	    capsa_image_import(s, src, name, changes, n_changes, &id, err) < 0)
		return -1;
	if (!quiet)
		printf("%s\n", id);
	return 0;
}

const struct capsa_cmd capsa_cmd_import = {
	.name = "import",
	.summary = "Make a one-layer image from a rootfs tarball (any compression, - for stdin) or directory",
	.usage = "[-c INSTRUCTION]... FILE|DIR|- [NAME[:TAG]]",
	.help = "  -c, --change I      apply a Dockerfile instruction: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL,\n"
		"                      STOPSIGNAL, USER, VOLUME, WORKDIR (e.g. --change 'CMD [\"sh\"]')\n"
		"  -q, --quiet         print nothing\n",
	.run = run,
};
