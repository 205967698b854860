/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "cmd/capsa-runtime/cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] = "usage: capsa-runtime ps [-f|--format table|json] ID [PS ARGS...]\n"
			    "\n"
			    "List the processes of a container: with json, their pids; with table (the\n"
			    "default), the lines of ps(1) (run with PS ARGS, default -ef) for those pids.\n";

static bool has_pid(const pid_t *pids, size_t n, long pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

int cmd_ps(struct global *g, int argc, char **argv)
{
	if (want_help(argc, argv, usage))
		return 0;
	static const struct option opts[] = {{"format", required_argument, NULL, 'f'}, {0}};
	bool json = false;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
		if (c != 'f')
			return usage_error(usage, "unknown option %s", argv[optind - 1]);
		if (strcmp(optarg, "json") == 0)
			json = true;
		else if (strcmp(optarg, "table") != 0)
			return usage_error(usage, "--format: invalid value \"%s\": expected table or json",
					   optarg);
	}
	if (optind >= argc)
		return usage_error(usage, "missing container id");
	const char *id = argv[optind++];
	struct capsa_error *err = NULL;
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	if (capsa_container_pids(&g->rt, id, &pids, &n, &err) < 0)
		return fail(err);
	if (json) {
		if (optind != argc)
			return usage_error(usage, "ps arguments cannot be used with --format json");
		fputs("[", stdout);
		for (size_t i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		fputs("]\n", stdout);
		return 0;
	}
	/* Like runc: run ps(1) and keep the header and the lines whose PID column is ours. */
	_cleanup_free_ char *cmd = xstrdup("ps");
	if (optind == argc) {
		char *t = xasprintf("%s -ef", cmd);
		free(cmd);
		cmd = t;
	}
	for (int i = optind; i < argc; i++) {
		for (const char *p = argv[i]; *p; p++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-,=:_%",
				    *p))
				return usage_error(
					usage, "ps argument \"%s\" has characters ps does not take", argv[i]);
		char *t = xasprintf("%s %s", cmd, argv[i]);
		free(cmd);
		cmd = t;
	}
	FILE *f = popen(cmd, "re");
	if (f == NULL)
		return fail((capsa_error_errno(&err, "run ps"), err));
	char line[4096];
	int pid_col = -1;
	bool header = true;
	while (fgets(line, sizeof(line), f)) {
		if (header) {
			fputs(line, stdout);
			_cleanup_free_ char *copy = xstrdup(line);
			int col = 0;
			for (char *save, *tok = strtok_r(copy, " \t\n", &save); tok;
			     tok = strtok_r(NULL, " \t\n", &save), col++)
				if (strcmp(tok, "PID") == 0)
					pid_col = col;
			header = false;
			if (pid_col < 0) {
				pclose(f);
				return fail((capsa_error_set(&err, 0, "ps output has no PID column"), err));
			}
			continue;
		}
		_cleanup_free_ char *copy = xstrdup(line);
		char *save = NULL, *tok = strtok_r(copy, " \t\n", &save);
		for (int col = 0; tok && col < pid_col; col++)
			tok = strtok_r(NULL, " \t\n", &save);
		if (tok && has_pid(pids, n, strtol(tok, NULL, 10)))
			fputs(line, stdout);
	}
	int st = pclose(f);
	if (st != 0)
		return fail((capsa_error_set(&err, 0, "ps exited with status %d", st), err));
	return 0;
}
