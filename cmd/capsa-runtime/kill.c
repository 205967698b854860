/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "cmd/capsa-runtime/cmd.h"

#include <signal.h>

static const char usage[] = "usage: capsa-runtime kill [-a|--all] ID [SIGNAL]\n"
			    "\n"
			    "Send SIGNAL (name like TERM or SIGTERM, or a number; default TERM) to the\n"
			    "container's init, or with --all to every process in its cgroup.\n";

int cmd_kill(struct global *g, int argc, char **argv)
{
	if (want_help(argc, argv, usage))
		return 0;
	static const struct option opts[] = {{"all", no_argument, NULL, 'a'}, {0}};
	bool all = false;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+a", opts, NULL)) != -1) {
		if (c != 'a')
			return usage_error(usage, "unknown option %s", argv[optind - 1]);
		all = true;
	}
	if (optind >= argc)
		return usage_error(usage, "missing container id");
	if (argc - optind > 2)
		return usage_error(usage, "too many arguments");
	const char *id = argv[optind];
	int sig = SIGTERM;
	if (argc - optind == 2) {
		sig = capsa_signal_parse(argv[optind + 1]);
		if (sig < 0)
			return usage_error(NULL, "kill: unknown signal \"%s\"", argv[optind + 1]);
	}
	struct capsa_error *err = NULL;
	if (capsa_container_kill(&g->rt, id, sig, all, &err) < 0)
		return fail(err);
	return 0;
}
