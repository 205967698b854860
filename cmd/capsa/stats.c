/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "containers.h"
#include "cgroups/cgroups.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

static const struct option opts[] = {{"no-stream", no_argument, NULL, 'n'},
				     {"format", required_argument, NULL, 'f'},
				     {"all", no_argument, NULL, 'a'},
				     {"help", no_argument, NULL, 'h'},
				     {0}};

static int run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	bool json = false;
	int ch;
	while ((ch = cli_getopt(&capsa_cmd_stats, argc, argv, "a", opts)) != -1) {
		if (ch == 'h')
			return 0;
		if (ch == 'f') {
			if (strcmp(optarg, "json") && strcmp(optarg, "table"))
				return cli_usage_error(&capsa_cmd_stats, err, "--format json or table");
			json = strcmp(optarg, "json") == 0;
		} else if (ch != 'n' && ch != 'a') {
			return cli_usage_error(&capsa_cmd_stats, err, "unknown flag");
		}
	}
	/* One sample (docker's --no-stream); a live view is `watch capsa stats`. */
	_cleanup_engine_ struct capsa_engine *e = NULL;
	struct capsa_ctr **v = NULL;
	size_t n = 0;
	if (capsa_engine_open(cli->root, &e, err) < 0 || capsa_engine_list(e, &v, &n, err) < 0)
		return -1;
	if (!json)
		printf("%-12s   %-20s   %-12s   %-24s   %-22s   %s\n", "CONTAINER ID", "NAME", "CPU TIME",
		       "MEM USAGE / LIMIT", "BLOCK I/O", "PIDS");
	int status = 0;
	for (size_t i = 0; i < n; i++) {
		struct capsa_ctr *c = v[i];
		bool wanted = argc - optind == 0;
		for (int k = optind; k < argc && !wanted; k++)
			wanted = strcmp(argv[k], c->name) == 0 || capsa_str_has_prefix(c->id, argv[k]);
		if (!wanted || (c->status != CAPSA_CTR_RUNNING && c->status != CAPSA_CTR_PAUSED))
			continue;
		struct capsa_cgroup_stats st;
		struct capsa_error *e2 = NULL;
		if (capsa_engine_stats(e, c, &st, &e2) < 0) {
			status = cli_fail("stats", e2, 1);
			capsa_error_free(e2);
			continue;
		}
		if (json) {
			printf("{\"ID\":\"%.12s\",\"Name\":\"%s\",\"CPUNanos\":%llu,\"MemUsage\":%llu,\"MemLimit\":%llu,"
			       "\"BlockRead\":%llu,\"BlockWrite\":%llu,\"PIDs\":%llu}\n",
			       c->id, c->name, (unsigned long long)st.cpu_usage_ns,
			       (unsigned long long)st.mem_usage, (unsigned long long)st.mem_limit,
			       (unsigned long long)st.io_read_bytes, (unsigned long long)st.io_write_bytes,
			       (unsigned long long)st.pids_current);
			continue;
		}
		_cleanup_free_ char *mem = cli_human_size((int64_t)st.mem_usage);
		_cleanup_free_ char *lim = st.mem_limit && st.mem_limit < (1ULL << 62)
						   ? cli_human_size((int64_t)st.mem_limit)
						   : xstrdup("unlimited");
		_cleanup_free_ char *rd = cli_human_size((int64_t)st.io_read_bytes);
		_cleanup_free_ char *wr = cli_human_size((int64_t)st.io_write_bytes);
		_cleanup_free_ char *memcol = xasprintf("%s / %s", mem, lim);
		_cleanup_free_ char *iocol = xasprintf("%s / %s", rd, wr);
		printf("%.12s   %-20s   %-12.3f   %-24s   %-22s   %llu\n", c->id, c->name,
		       st.cpu_usage_ns / 1e9, memcol, iocol, (unsigned long long)st.pids_current);
	}
	capsa_ctr_list_free(v, n);
	return status;
}

const struct capsa_cmd capsa_cmd_stats = {
	.name = "stats",
	.summary = "Resource use of running containers (one sample)",
	.usage = "[--no-stream] [--format table|json] [CONTAINER...]",
	.run = run,
};
