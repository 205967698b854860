/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "cmd/capsa-runtime/cmd.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: capsa-runtime spec [--rootless] [-b|--bundle DIR]\n"
	"\n"
	"Write a default config.json into the bundle directory (default: the current one).\n";

int cmd_spec(struct global *g, int argc, char **argv)
{
	if (want_help(argc, argv, usage))
		return 0;
	enum { OPT_ROOTLESS = 256 };
	static const struct option opts[] = {
		{"bundle", required_argument, NULL, 'b'}, {"rootless", no_argument, NULL, OPT_ROOTLESS}, {0}};
	const char *bundle = ".";
	bool rootless = false;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+b:", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			bundle = optarg;
			break;
		case OPT_ROOTLESS:
			rootless = true;
			break;
		default:
			return usage_error(usage, "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return usage_error(usage, "spec takes no arguments");
	struct capsa_error *err = NULL;
	_cleanup_close_ int dfd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return fail((capsa_error_errno(&err, "bundle %s", bundle), err));
	if (faccessat(dfd, "config.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return fail((capsa_error_set(&err, EEXIST, "%s/config.json exists; remove it first", bundle),
			     err));
	struct oci_config *cfg = capsa_oci_config_default(rootless);
	_cleanup_free_ char *json = capsa_oci_config_to_json(cfg);
	capsa_oci_config_free(cfg);
	if (capsa_write_file_atomic_at(dfd, "config.json", json, strlen(json), 0644, &err) < 0)
		return fail(err);
	return 0;
}
