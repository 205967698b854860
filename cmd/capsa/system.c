/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "containers.h"
#include "cgroups/cgroups.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

static int run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	if (argc < 2 || (strcmp(argv[1], "df") && strcmp(argv[1], "prune")))
		return cli_usage_error(&capsa_cmd_system, err, "expected \"df\" or \"prune\"");
	_cleanup_engine_ struct capsa_engine *e = NULL;
	if (capsa_engine_open(cli->root, &e, err) < 0)
		return -1;
	if (strcmp(argv[1], "prune") == 0) {
		_cleanup_strv_ char **removed = NULL;
		size_t n;
		if (capsa_engine_prune(e, &removed, &n, err) < 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			printf("Deleted container: %s\n", removed[i]);
		_cleanup_image_store_ struct capsa_image_store *s = NULL;
		_cleanup_strv_ char **report = NULL;
		uint64_t reclaimed = 0;
		if (cli_open_store(cli, true, &s, err) < 0 ||
		    capsa_image_prune(s, false, &report, &reclaimed, err) < 0)
			return -1;
		for (size_t i = 0; report && report[i]; i++)
			printf("%s\n", report[i]);
		_cleanup_free_ char *h = cli_human_size((int64_t)reclaimed);
		printf("Total reclaimed space: %s\n", h);
		return 0;
	}
	uint64_t cb, vb;
	struct capsa_ctr **v = NULL;
	size_t nc = 0;
	_cleanup_strv_ char **vols = NULL;
	size_t nv = 0;
	if (capsa_engine_df(e, &cb, &vb, err) < 0 || capsa_engine_list(e, &v, &nc, err) < 0 ||
	    capsa_engine_volume_list(e, &vols, &nv, err) < 0)
		return -1;
	size_t active = 0;
	for (size_t i = 0; i < nc; i++)
		active += v[i]->status == CAPSA_CTR_RUNNING || v[i]->status == CAPSA_CTR_PAUSED;
	capsa_ctr_list_free(v, nc);
	_cleanup_image_store_ struct capsa_image_store *s = NULL;
	if (cli_open_store(cli, false, &s, err) < 0)
		return -1;
	size_t ni;
	const struct capsa_image *imgs = capsa_image_store_images(s, &ni);
	int64_t isize = 0;
	for (size_t i = 0; i < ni; i++)
		isize += imgs[i].size;
	/* The micro-VM disks made from images (run --vm): image data, counted with the images. */
	_cleanup_free_ char *vmdir = xasprintf("%s/vm", capsa_image_store_root(s));
	isize += (int64_t)capsa_disk_usage_at(AT_FDCWD, vmdir);
	_cleanup_free_ char *hi = cli_human_size(isize), *hc = cli_human_size((int64_t)cb),
			    *hv = cli_human_size((int64_t)vb);
	printf("%-14s %-8s %-8s %s\n", "TYPE", "TOTAL", "ACTIVE", "SIZE");
	printf("%-14s %-8zu %-8s %s\n", "Images", ni, "-", hi);
	printf("%-14s %-8zu %-8zu %s\n", "Containers", nc, active, hc);
	printf("%-14s %-8zu %-8s %s\n", "Local Volumes", nv, "-", hv);
	return 0;
}

const struct capsa_cmd capsa_cmd_system = {
	.name = "system",
	.summary = "Disk usage (df) and cleanup (prune: stopped containers, untagged images)",
	.usage = "df | prune",
	.run = run,
};
