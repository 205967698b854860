/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "cmd/capsa-runtime/cmd.h"

#include <stdio.h>

static const char state_usage[] = "usage: capsa-runtime state ID\n"
				  "\n"
				  "Print the state of a container (runtime-spec JSON).\n";

int cmd_state(struct global *g, int argc, char **argv)
{
	const char *id;
	int r = one_id(argc, argv, state_usage, &id);
	if (r < 0)
		return r == -2 ? 0 : 1;
	struct capsa_error *err = NULL;
	struct oci_state *s = NULL;
	if (capsa_container_state(&g->rt, id, &s, &err) < 0)
		return fail(err);
	_cleanup_free_ char *json = capsa_oci_state_to_json(s, false);
	puts(json);
	capsa_oci_state_free(s);
	return 0;
}
