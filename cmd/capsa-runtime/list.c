/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "cmd/capsa-runtime/cmd.h"

#include <stdio.h>
#include <string.h>

static const char usage[] = "usage: capsa-runtime list [-q|--quiet] [-f|--format table|json]\n"
			    "\n"
			    "List the containers under the state root.\n";

int cmd_list(struct global *g, int argc, char **argv)
{
	if (want_help(argc, argv, usage))
		return 0;
	static const struct option opts[] = {
		{"quiet", no_argument, NULL, 'q'}, {"format", required_argument, NULL, 'f'}, {0}};
	bool quiet = false, json = false;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+qf:", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			quiet = true;
			break;
		case 'f':
			if (strcmp(optarg, "json") == 0)
				json = true;
			else if (strcmp(optarg, "table") != 0)
				return usage_error(usage,
						   "--format: invalid value \"%s\": expected table or json",
						   optarg);
			break;
		default:
			return usage_error(usage, "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return usage_error(usage, "list takes no arguments");
	struct capsa_error *err = NULL;
	struct oci_state **v = NULL;
	size_t n = 0;
	if (capsa_container_list(&g->rt, &v, &n, &err) < 0)
		return fail(err);
	if (json) {
		fputs("[", stdout);
		for (size_t i = 0; i < n; i++) {
			_cleanup_free_ char *id = capsa_json_escape(v[i]->id);
			_cleanup_free_ char *bundle = capsa_json_escape(v[i]->bundle ? v[i]->bundle : "");
			_cleanup_free_ char *rootfs = capsa_json_escape(v[i]->rootfs ? v[i]->rootfs : "");
			printf("%s{\"ociVersion\":\"%s\",\"id\":\"%s\",\"pid\":%d,\"status\":\"%s\",\"bundle\":\"%s\","
			       "\"rootfs\":\"%s\",\"created\":\"%s\",\"owner\":\"%s\"}",
			       i ? "," : "", v[i]->oci_version, id, (int)v[i]->pid, v[i]->status, bundle,
			       rootfs, v[i]->created ? v[i]->created : "", v[i]->owner ? v[i]->owner : "");
		}
		fputs("]\n", stdout);
	} else if (quiet) {
		for (size_t i = 0; i < n; i++)
			puts(v[i]->id);
	} else {
		printf("%-20s %-8s %-10s %-40s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
		for (size_t i = 0; i < n; i++)
			printf("%-20s %-8d %-10s %-40s %s\n", v[i]->id, (int)v[i]->pid, v[i]->status,
			       v[i]->bundle ? v[i]->bundle : "", v[i]->created ? v[i]->created : "");
	}
	for (size_t i = 0; i < n; i++)
		capsa_oci_state_free(v[i]);
	free(v);
	return 0;
}
