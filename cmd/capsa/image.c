/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `capsa image ...`: inspect, history, prune, and the image commands again under their group name. */
#define _GNU_SOURCE
#include "cmd.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <string.h>
#include <unistd.h>

static int run_inspect(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {0}};
	const char *format = NULL;
	int c;
	while ((c = cli_getopt(&capsa_cmd_image_inspect, argc, argv, "f:", opts)) != -1) {
		if (c == 'h')
			return 0;
		if (c != 'f')
			return cli_usage_error(&capsa_cmd_image_inspect, err, "unknown option");
		format = optarg;
	}
	if (optind >= argc)
		return cli_usage_error(&capsa_cmd_image_inspect, err, "no image given");
	_cleanup_image_store_ struct capsa_image_store *s = NULL;
	if (cli_open_store(cli, false, &s, err) < 0)
		return -1;
	/* All lookups first, so a bad name prints nothing half-way. */
	_cleanup_strv_ char **docs = xcalloc(1, sizeof(char *));
	for (int i = optind; i < argc; i++) {
		const struct capsa_image *img;
		_cleanup_free_ char *json = NULL;
		if (capsa_image_lookup(s, argv[i], &img, err) < 0 ||
		    capsa_image_inspect_json(s, img, &json, err) < 0)
			return -1;
		capsa_strv_push(&docs, json);
	}
	if (format) {
		for (size_t i = 0; docs[i]; i++)
			if (cli_print_template(format, docs[i], err) < 0)
				return -1;
		return 0;
	}
	printf("[\n");
	for (size_t i = 0; docs[i]; i++)
		printf("%s%s\n", docs[i], docs[i + 1] ? "," : "");
	printf("]\n");
	return 0;
}

const struct capsa_cmd capsa_cmd_image_inspect = {
	.name = "inspect",
	.summary = "Show images' configuration, layers and history as JSON",
	.usage = "[-f FORMAT] IMAGE...",
	.help = "  -f, --format T  a Go template over each image's JSON, one line each ({{.Id}}, "
		"{{json .Config.Env}})\n",
	.run = run_inspect,
};

static int run_history(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	static const struct option opts[] = {
		{"no-trunc", no_argument, NULL, 'T'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	bool no_trunc = false, quiet = false;
	int c;
	while ((c = cli_getopt(&capsa_cmd_image_history, argc, argv, "q", opts)) != -1) {
		if (c == 'T')
			no_trunc = true;
		else if (c == 'q')
			quiet = true;
		else if (c == 'h')
			return 0;
		else
			return cli_usage_error(&capsa_cmd_image_history, err, "unknown option");
	}
	if (argc - optind != 1)
		return cli_usage_error(&capsa_cmd_image_history, err, "expected one image");
	_cleanup_image_store_ struct capsa_image_store *s = NULL;
	const struct capsa_image *img;
	struct capsa_image_history_entry *h = NULL;
	size_t n = 0;
	if (cli_open_store(cli, false, &s, err) < 0 || capsa_image_lookup(s, argv[optind], &img, err) < 0 ||
	    capsa_image_history(s, img, &h, &n, err) < 0)
		return -1;
	if (!quiet)
		printf("%-12s   %-24s   %-45s   %-8s   %s\n", "LAYER", "CREATED", "CREATED BY", "SIZE",
		       "COMMENT");
	for (size_t i = 0; i < n; i++) {
		const char *id = strchr(h[i].id, ':') ? strchr(h[i].id, ':') + 1 : h[i].id;
		if (quiet) {
			printf("%.*s\n", no_trunc ? 128 : 12, id);
			continue;
		}
		_cleanup_free_ char *age = cli_human_age(h[i].created), *size = cli_human_size(h[i].size);
		_cleanup_free_ char *by = xstrdup(h[i].created_by);
		if (!no_trunc && strlen(by) > 45)
			strcpy(by + 42, "...");
		printf("%-12.*s   %-24s   %-45s   %-8s   %s\n", no_trunc ? 128 : 12, id, age, by, size,
		       h[i].comment);
	}
	capsa_image_history_free(h, n);
	return 0;
}

const struct capsa_cmd capsa_cmd_image_history = {
	.name = "history",
	.summary = "Show how an image was built, newest layer first",
	.usage = "[--no-trunc] [-q] IMAGE",
	.run = run_history,
};

static int run_prune(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	static const struct option opts[] = {
		{"all", no_argument, NULL, 'a'},
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	bool all = false;
	int c;
	while ((c = cli_getopt(&capsa_cmd_image_prune, argc, argv, "af", opts)) != -1) {
		if (c == 'a')
			all = true;
		else if (c == 'f')
			continue; /* accepted for docker compatibility: prune never asks */
		else if (c == 'h')
			return 0;
		else
			return cli_usage_error(&capsa_cmd_image_prune, err, "unknown option");
	}
	if (optind < argc)
		return cli_usage_error(&capsa_cmd_image_prune, err, "no arguments expected");
	_cleanup_image_store_ struct capsa_image_store *s = NULL;
	_cleanup_strv_ char **report = NULL;
	uint64_t reclaimed = 0;
	if (cli_open_store(cli, true, &s, err) < 0 || capsa_image_prune(s, all, &report, &reclaimed, err) < 0)
		return -1;
	for (size_t i = 0; report && report[i]; i++)
		printf("%s\n", report[i]);
	_cleanup_free_ char *h = cli_human_size((int64_t)reclaimed);
	printf("Total reclaimed space: %s\n", h);
	return 0;
}

const struct capsa_cmd capsa_cmd_image_prune = {
	.name = "prune",
	.summary = "Remove untagged images (-a: every image no container uses) and unused blobs and layers",
	.usage = "[-a] [-f]",
	.run = run_prune,
};

/* `image mount`: the rootfs API seen from the command line, like `podman image mount`. */
static char *mount_id(const struct capsa_image *img)
{
	return xasprintf("mount-%.12s", strchr(img->id, ':') + 1);
}

static int run_mount(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	static const struct option opts[] = {
		{"copy", no_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct capsa_rootfs_opts o = {0};
	int c;
	while ((c = cli_getopt(&capsa_cmd_image_mount, argc, argv, "", opts)) != -1) {
		if (c == 'c')
			o.no_overlay = true;
		else if (c == 'h')
			return 0;
		else
			return cli_usage_error(&capsa_cmd_image_mount, err, "unknown option");
	}
	if (argc - optind != 1)
		return cli_usage_error(&capsa_cmd_image_mount, err, "expected one image");
	_cleanup_image_store_ struct capsa_image_store *s = NULL;
	const struct capsa_image *img;
	struct capsa_image_rootfs *r = NULL;
	if (cli_open_store(cli, true, &s, err) < 0 || capsa_image_lookup(s, argv[optind], &img, err) < 0)
		return -1;
	_cleanup_free_ char *id = mount_id(img);
	_cleanup_free_ char *dir = xasprintf("%s/rootfs/%s", capsa_image_store_root(s), id);
	if (access(dir, F_OK) == 0) {
		if (capsa_image_rootfs_mount(s, id, &r, err) < 0)
			return -1;
	} else if (capsa_image_rootfs_prepare(s, argv[optind], id, &o, &r, err) < 0) {
		return -1;
	}
	printf("%s\n", r->path);
	capsa_image_rootfs_free(r);
	return 0;
}

const struct capsa_cmd capsa_cmd_image_mount = {
	.name = "mount",
	.summary = "Mount an image's rootfs (overlayfs, or a flattened copy) and print where",
	.usage = "[--copy] IMAGE",
	.help = "      --copy          a flattened copy instead of overlayfs\n"
		"Changes made below the mount point are thrown away by `capsa image unmount`.\n",
	.run = run_mount,
};

static int run_unmount(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	int c;
	while ((c = cli_getopt(&capsa_cmd_image_unmount, argc, argv, "", NULL)) != -1) {
		if (c == 'h')
			return 0;
		return cli_usage_error(&capsa_cmd_image_unmount, err, "unknown option");
	}
	if (argc - optind != 1)
		return cli_usage_error(&capsa_cmd_image_unmount, err, "expected one image");
	_cleanup_image_store_ struct capsa_image_store *s = NULL;
	const struct capsa_image *img;
	if (cli_open_store(cli, true, &s, err) < 0 || capsa_image_lookup(s, argv[optind], &img, err) < 0)
		return -1;
	_cleanup_free_ char *id = mount_id(img);
	return capsa_image_rootfs_remove(s, id, err) < 0 ? -1 : 0;
}

const struct capsa_cmd capsa_cmd_image_unmount = {
	.name = "unmount",
	.summary = "Unmount and delete what `capsa image mount` made",
	.usage = "IMAGE",
	.run = run_unmount,
};

static const struct capsa_cmd cmd_ls = {.name = "ls", .summary = "List images (= capsa images)"};
static const struct capsa_cmd cmd_rm = {.name = "rm", .summary = "Remove images (= capsa rmi)"};

static const struct capsa_cmd *const image_commands[] = {
	&capsa_cmd_image_history,
	&capsa_cmd_import,
	&capsa_cmd_image_inspect,
	&capsa_cmd_load,
	&cmd_ls,
	&capsa_cmd_image_mount,
	&capsa_cmd_image_prune,
	&cmd_rm,
	&capsa_cmd_save,
	&capsa_cmd_tag,
	&capsa_cmd_image_unmount,
};

static int run_image(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		FILE *f = argc < 2 ? stderr : stdout;
		fprintf(f, "usage: capsa image COMMAND [ARGS...]\n\nCommands:\n");
		cli_list_commands(image_commands, ARRAY_SIZE(image_commands), f);
		if (argc < 2)
			return capsa_error_set(err, 0, "missing subcommand (usage: capsa image COMMAND)");
		return 0;
	}
	/* Aliases run the top-level command under the name the user typed. */
	if (!strcmp(argv[1], "ls") || !strcmp(argv[1], "rm")) {
		optind = 0;
		return (argv[1][0] == 'l' ? capsa_cmd_images : capsa_cmd_rmi)
			.run(cli, argc - 1, argv + 1, err);
	}
	return cli_dispatch(cli, image_commands, ARRAY_SIZE(image_commands), "image", argc - 1, argv + 1,
			    err);
}

const struct capsa_cmd capsa_cmd_image = {
	.name = "image",
	.summary = "Manage images: inspect, history, mount, unmount, prune, ls, rm, load, save, import, tag",
	.usage = "COMMAND [ARGS...]",
	.run = run_image,
};
