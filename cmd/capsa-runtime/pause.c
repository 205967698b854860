/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "cmd/capsa-runtime/cmd.h"

static const char pause_usage[] = "usage: capsa-runtime pause ID\n"
				  "\n"
				  "Freeze every process of a running container.\n";
static const char resume_usage[] = "usage: capsa-runtime resume ID\n"
				   "\n"
				   "Thaw a paused container.\n";

static int pause_resume(struct global *g, int argc, char **argv, bool pause)
{
	const char *id;
	int r = one_id(argc, argv, pause ? pause_usage : resume_usage, &id);
	if (r < 0)
		return r == -2 ? 0 : 1;
	struct capsa_error *err = NULL;
	if (capsa_container_pause(&g->rt, id, pause, &err) < 0)
		return fail(err);
	return 0;
}

int cmd_pause(struct global *g, int argc, char **argv)
{
	return pause_resume(g, argc, argv, true);
}

int cmd_resume(struct global *g, int argc, char **argv)
{
	return pause_resume(g, argc, argv, false);
}
