/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "cmd.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <string.h>

struct row {
	char *repo, *tag, *digest, *id, *created, *size;
};

static void split_name(const char *name, char **repo, char **tag)
{
	const char *c = strrchr(name, ':'), *sl = strrchr(name, '/');
	if (c && (!sl || c > sl)) {
		*repo = xstrndup(name, (size_t)(c - name));
		*tag = xstrdup(c + 1);
	} else {
		*repo = xstrdup(name);
		*tag = xstrdup("<none>");
	}
}

static int run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	static const struct option opts[] = {
		{"all", no_argument, NULL, 'a'},
		{"quiet", no_argument, NULL, 'q'},
		{"digests", no_argument, NULL, 'D'},
		{"no-trunc", no_argument, NULL, 'T'},
		{"format", required_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	bool all = false, quiet = false, digests = false, no_trunc = false, json = false;
	int c;
	while ((c = cli_getopt(&capsa_cmd_images, argc, argv, "aq", opts)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'D':
			digests = true;
			break;
		case 'T':
			no_trunc = true;
			break;
		case 'F':
			if (strcmp(optarg, "json"))
				return cli_usage_error(&capsa_cmd_images, err,
						       "--format: only \"json\" is supported");
			json = true;
			break;
		case 'h':
			return 0;
		default:
			return cli_usage_error(&capsa_cmd_images, err, "unknown option");
		}
	}
	if (argc - optind > 1)
		return cli_usage_error(&capsa_cmd_images, err, "at most one REPOSITORY[:TAG] filter");
	const char *filter = optind < argc ? argv[optind] : NULL;
	_cleanup_free_ char *nfilter = NULL;
	if (filter && strchr(filter, ':') && capsa_image_ref_normalize(filter, &nfilter, err) < 0)
		return -1;
	if (filter && !nfilter) {
		_cleanup_free_ char *probe = NULL;
		if (capsa_image_ref_normalize(filter, &probe, err) < 0)
			return -1;
		nfilter = xstrndup(probe, strrchr(probe, ':') - probe); /* repository only */
	}
	_cleanup_image_store_ struct capsa_image_store *s = NULL;
	if (cli_open_store(cli, false, &s, err) < 0)
		return -1;
	if (json) {
		_cleanup_free_ char *text = capsa_image_list_json(s, all);
		printf("%s\n", text);
		return 0;
	}
	size_t n;
	const struct capsa_image *imgs = capsa_image_store_images(s, &n);
	struct row *rows = NULL;
	size_t nr = 0;
	for (size_t i = 0; i < n; i++) {
		const struct capsa_image *img = &imgs[i];
		if (img->n_names == 0 && !all)
			continue;
		for (size_t k = 0; k < (img->n_names ? img->n_names : 1); k++) {
			struct row r = {0};
			if (img->n_names) {
				if (filter && strcmp(img->names[k], nfilter) &&
				    !(capsa_str_has_prefix(img->names[k], nfilter) &&
				      img->names[k][strlen(nfilter)] == ':'))
					continue;
				split_name(img->names[k], &r.repo, &r.tag);
			} else {
				if (filter)
					continue;
				r.repo = xstrdup("<none>");
				r.tag = xstrdup("<none>");
			}
			const char *hex = strchr(img->id, ':') + 1;
			r.id = no_trunc ? xstrdup(img->id) : xstrndup(hex, 12);
			r.digest = xstrdup(img->manifest);
			r.created = cli_human_age(img->created);
			r.size = cli_human_size(img->size);
			rows = xreallocarray(rows, nr + 1, sizeof(*rows));
			rows[nr++] = r;
		}
	}
	if (quiet) {
		_cleanup_strv_ char **seen = xcalloc(1, sizeof(char *));
		for (size_t i = 0; i < nr; i++)
			if (!capsa_strv_contains(seen, rows[i].id)) {
				printf("%s\n", rows[i].id);
				capsa_strv_push(&seen, rows[i].id);
			}
	} else {
		int wr = 10, wt = 3, wd = 6, wi = 8, wc = 7;
		for (size_t i = 0; i < nr; i++) {
			wr = (int)strlen(rows[i].repo) > wr ? (int)strlen(rows[i].repo) : wr;
			wt = (int)strlen(rows[i].tag) > wt ? (int)strlen(rows[i].tag) : wt;
			wd = (int)strlen(rows[i].digest) > wd ? (int)strlen(rows[i].digest) : wd;
			wi = (int)strlen(rows[i].id) > wi ? (int)strlen(rows[i].id) : wi;
			wc = (int)strlen(rows[i].created) > wc ? (int)strlen(rows[i].created) : wc;
		}
		printf("%-*s   %-*s   ", wr, "REPOSITORY", wt, "TAG");
		if (digests)
			printf("%-*s   ", wd, "DIGEST");
		printf("%-*s   %-*s   %s\n", wi, "IMAGE ID", wc, "CREATED", "SIZE");
		for (size_t i = 0; i < nr; i++) {
			printf("%-*s   %-*s   ", wr, rows[i].repo, wt, rows[i].tag);
			if (digests)
				printf("%-*s   ", wd, rows[i].digest);
			printf("%-*s   %-*s   %s\n", wi, rows[i].id, wc, rows[i].created, rows[i].size);
		}
	}
	for (size_t i = 0; i < nr; i++) {
		free(rows[i].repo);
		free(rows[i].tag);
		free(rows[i].digest);
		free(rows[i].id);
		free(rows[i].created);
		free(rows[i].size);
	}
	free(rows);
	return 0;
}

const struct capsa_cmd capsa_cmd_images = {
	.name = "images",
	.summary = "List images",
	.usage = "[-a] [-q] [--digests] [--no-trunc] [--format json] [REPOSITORY[:TAG]]",
	.help = "  -a, --all           also list untagged images\n"
		"  -q, --quiet         only image ids\n"
		"      --digests       show manifest digests\n"
		"      --no-trunc      full image ids\n"
		"      --format json   a JSON array instead of the table\n",
	.run = run,
};
