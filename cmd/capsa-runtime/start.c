/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "cmd/capsa-runtime/cmd.h"

static const char usage[] = "usage: capsa-runtime start ID\n"
			    "\n"
			    "Start the user process of a created container.\n";

int cmd_start(struct global *g, int argc, char **argv)
{
	const char *id;
	int r = one_id(argc, argv, usage, &id);
	if (r < 0)
		return r == -2 ? 0 : 1;
	struct capsa_error *err = NULL;
	if (capsa_container_start(&g->rt, id, &err) < 0)
		return fail(err);
	return 0;
}
