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
	while ((ch = cli_getopt(&capsa_cmd_version, argc, argv, "", NULL)) != -1) {
		if (ch == 'h')
			return 0;
		return cli_usage_error(&capsa_cmd_version, err, "unknown flag");
	}
	(void)cli;
	printf("Client:\n Version:    %s\n OS/Arch:    linux/%s\n\nEngine:\n Version:    %s\n Runtime:    capsa "
	       "(in-process, OCI %s)\n",
	       CAPSA_VERSION,
#if defined(__x86_64__)
	       "amd64",
#elif defined(__aarch64__)
	       "arm64",
#else
	       "unknown",
#endif
	       CAPSA_VERSION, CAPSA_OCI_VERSION);
	return 0;
}

const struct capsa_cmd capsa_cmd_version = {
	.name = "version",
	.summary = "Show the version",
	.usage = "",
	.run = run,
};
