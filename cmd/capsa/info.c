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
	while ((ch = cli_getopt(&capsa_cmd_info, argc, argv, "", NULL)) != -1) {
		if (ch == 'h')
			return 0;
		return cli_usage_error(&capsa_cmd_info, err, "unknown flag");
	}
	_cleanup_engine_ struct capsa_engine *e = NULL;
	struct capsa_ctr **v = NULL;
	size_t n = 0;
	if (capsa_engine_open(cli->root, &e, err) < 0 || capsa_engine_list(e, &v, &n, err) < 0)
		return -1;
	size_t running = 0, paused = 0, stopped = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i]->status == CAPSA_CTR_RUNNING)
			running++;
		else if (v[i]->status == CAPSA_CTR_PAUSED)
			paused++;
		else
			stopped++;
	}
	capsa_ctr_list_free(v, n);
	_cleanup_image_store_ struct capsa_image_store *s = NULL;
	size_t ni = 0;
	if (cli_open_store(cli, false, &s, err) < 0)
		return -1;
	capsa_image_store_images(s, &ni);
	static const char *const modes[] = {"v2 (unified)", "hybrid (v1 + v2)", "v1 (legacy)"};
	printf("Containers: %zu\n Running: %zu\n Paused: %zu\n Stopped: %zu\nImages: %zu\n", n, running,
	       paused, stopped, ni);
	printf("Server Version: %s\nStorage Driver: overlay\nLogging Driver: json-file\nCgroup Version: %s\n",
	       CAPSA_VERSION, modes[capsa_cgroup_mode()]);
	printf("Runtime: capsa (in-process)\nSecurity Options: seccomp (capsa default profile)\n");
	printf("Root Dir: %s\nRuntime State Dir: %s\n", capsa_engine_root(e), capsa_engine_run_root(e));
	return 0;
}

const struct capsa_cmd capsa_cmd_info = {
	.name = "info",
	.summary = "Show system-wide information",
	.usage = "",
	.run = run,
};
