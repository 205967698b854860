/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "containers.h"
#include "cgroups/cgroups.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

static int run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	int ch;
	while ((ch = cli_getopt(&capsa_cmd_cp, argc, argv, "aL", NULL)) != -1) {
		if (ch == 'h')
			return 0;
		if (ch != 'a')
			return cli_usage_error(&capsa_cmd_cp, err, "unknown flag (-L is not supported)");
	}
	if (argc - optind != 2)
		return cli_usage_error(&capsa_cmd_cp, err, "requires exactly 2 arguments");
	const char *src = argv[optind], *dst = argv[optind + 1];
	const char *sc = strchr(src, ':'), *dc = strchr(dst, ':');
	if ((sc && dc) || (!sc && !dc))
		return cli_usage_error(&capsa_cmd_cp, err,
				       "one side must be CONTAINER:PATH and the other a host path");
	const char *spec = sc ? src : dst;
	const char *colon = sc ? sc : dc;
	_cleanup_free_ char *name = xstrndup(spec, (size_t)(colon - spec));
	const char *cpath = colon + 1;
	if (*cpath == '\0')
		return cli_usage_error(&capsa_cmd_cp, err, "empty container path");
	_cleanup_engine_ struct capsa_engine *e = NULL;
	_cleanup_ctr_ struct capsa_ctr *c = NULL;
	if (capsa_engine_open(cli->root, &e, err) < 0 || capsa_engine_lookup(e, name, &c, err) < 0 ||
	    capsa_engine_cp(e, c, cpath, sc ? dst : src, dc != NULL, err) < 0)
		return -1;
	return 0;
}

const struct capsa_cmd capsa_cmd_cp = {
	.name = "cp",
	.summary = "Copy files between a container and the host",
	.usage = "CONTAINER:SRC_PATH DEST_PATH | SRC_PATH CONTAINER:DEST_PATH",
	.run = run,
};
