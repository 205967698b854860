/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "containers.h"
#include "cgroups/cgroups.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

static int vol_create(struct capsa_engine *e, int argc, char **argv, struct capsa_error **err)
{
	if (argc != 1)
		return capsa_error_set(err, 0, "volume create: expected one NAME");
	if (capsa_engine_volume_create(e, argv[0], NULL, err) < 0)
		return -1;
	printf("%s\n", argv[0]);
	return 0;
}

static int vol_ls(struct capsa_engine *e, int argc, char **argv, struct capsa_error **err)
{
	bool quiet = argc > 0 && strcmp(argv[0], "-q") == 0;
	_cleanup_strv_ char **names = NULL;
	size_t n;
	if (capsa_engine_volume_list(e, &names, &n, err) < 0)
		return -1;
	if (!quiet)
		printf("%-10s %s\n", "DRIVER", "VOLUME NAME");
	for (size_t i = 0; i < n; i++)
		quiet ? printf("%s\n", names[i]) : printf("%-10s %s\n", "local", names[i]);
	return 0;
}

static int vol_rm(struct capsa_engine *e, int argc, char **argv, struct capsa_error **err)
{
	bool force = false;
	int status = 0;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--force") == 0) {
			force = true;
			continue;
		}
	}
	for (int i = 0; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		struct capsa_error *e2 = NULL;
		if (capsa_engine_volume_remove(e, argv[i], force, &e2) < 0) {
			status = cli_fail("volume rm", e2, 1);
			capsa_error_free(e2);
			continue;
		}
		printf("%s\n", argv[i]);
	}
	(void)err;
	return status;
}

static int vol_inspect(struct capsa_engine *e, int argc, char **argv, struct capsa_error **err)
{
	printf("[");
	for (int i = 0; i < argc; i++) {
		_cleanup_free_ char *j = NULL;
		if (capsa_engine_volume_inspect(e, argv[i], &j, err) < 0) {
			printf("]\n");
			return -1;
		}
		printf("%s%s", i ? "," : "", j);
	}
	printf("]\n");
	return 0;
}

static int run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		cli_usage(&capsa_cmd_volume, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : 0;
	}
	static const struct {
		const char *name;
		int (*fn)(struct capsa_engine *, int, char **, struct capsa_error **);
	} subs[] = {{"create", vol_create}, {"ls", vol_ls},	{"list", vol_ls},
		    {"rm", vol_rm},	    {"remove", vol_rm}, {"inspect", vol_inspect}};
	_cleanup_engine_ struct capsa_engine *e = NULL;
	if (capsa_engine_open(cli->root, &e, err) < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].fn(e, argc - 2, argv + 2, err);
	return cli_usage_error(&capsa_cmd_volume, err, "unknown volume command \"%s\"", argv[1]);
}

const struct capsa_cmd capsa_cmd_volume = {
	.name = "volume",
	.summary = "Manage named volumes",
	.usage = "create NAME | ls [-q] | rm [-f] NAME... | inspect NAME...",
	.run = run,
};
