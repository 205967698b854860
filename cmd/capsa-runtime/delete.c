/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "cmd/capsa-runtime/cmd.h"

#include <errno.h>

static const char usage[] = "usage: capsa-runtime delete [-f|--force] ID\n"
			    "\n"
			    "Delete a stopped container: its cgroup, state and poststop hooks.\n"
			    "With --force, kill it first whatever its state; a missing container is\n"
			    "then not an error.\n";

int cmd_delete(struct global *g, int argc, char **argv)
{
	if (want_help(argc, argv, usage))
		return 0;
	static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, {0}};
	bool force = false;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+f", opts, NULL)) != -1) {
		if (c != 'f')
			return usage_error(usage, "unknown option %s", argv[optind - 1]);
		force = true;
	}
	if (optind != argc - 1)
		return usage_error(usage, optind >= argc ? "missing container id" : "too many arguments");
	struct capsa_error *err = NULL;
	if (capsa_container_delete(&g->rt, argv[optind], force, &err) < 0) {
		/* Like runc: --force on a container that is already gone succeeds. */
		if (force && err->errnum == ENOENT) {
			capsa_error_free(err);
			return 0;
		}
		return fail(err);
	}
	return 0;
}
