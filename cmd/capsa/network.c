/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `capsa network create|ls|rm|inspect|prune` and `capsa port CONTAINER [PORT[/PROTO]]`. */
#define _GNU_SOURCE
#include "containers.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

static int net_create(struct capsa_engine *e, int argc, char **argv, struct capsa_error **err)
{
	static const struct option opts[] = {
		{"subnet", required_argument, NULL, 's'},
		{"gateway", required_argument, NULL, 'g'},
		{"bridge-name", required_argument, NULL, 'b'},
		{"driver", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct capsa_network_opts o = {0};
	int c;
	optind = 0;
	/* Like docker, NAME may come before the flags: getopt stops at it, so it is taken and parsing goes
	 * on. */
	for (;;) {
		c = cli_getopt(&capsa_cmd_network, argc, argv, "d:", opts);
		if (c == -1) {
			if (optind >= argc)
				break;
			if (o.name)
				return cli_usage_error(&capsa_cmd_network, err,
						       "network create: expected one NAME");
			o.name = argv[optind++];
			continue;
		}
		switch (c) {
		case 's':
			o.subnet = optarg;
			break;
		case 'g':
			o.gateway = optarg;
			break;
		case 'b':
			o.bridge = optarg;
			break;
		case 'd':
			if (strcmp(optarg, "bridge"))
				return capsa_error_set(err, 0,
						       "network create: driver %s is not supported (bridge)",
						       optarg);
			break;
		case 'h':
			return 0;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (o.name == NULL)
		return cli_usage_error(&capsa_cmd_network, err, "network create: expected one NAME");
	_cleanup_free_ char *id = NULL;
	if (capsa_engine_network_create(e, &o, &id, err) < 0)
		return capsa_error_prefix(err, "network create");
	printf("%s\n", id);
	return 0;
}

static int net_ls(struct capsa_engine *e, int argc, char **argv, struct capsa_error **err)
{
	bool quiet = argc > 1 && (!strcmp(argv[1], "-q") || !strcmp(argv[1], "--quiet"));
	struct capsa_network_info *v = NULL;
	size_t n;
	if (capsa_engine_network_list(e, &v, &n, err) < 0)
		return -1;
	if (!quiet)
		printf("%-14s %-40s %-8s %s\n", "NETWORK ID", "NAME", "DRIVER", "SCOPE");
	for (size_t i = 0; i < n; i++)
		quiet ? printf("%.12s\n", v[i].id)
		      : printf("%-14.12s %-40s %-8s %s\n", v[i].id, v[i].name, v[i].driver, "local");
	capsa_network_info_free(v, n);
	return 0;
}

static int net_rm(struct capsa_engine *e, int argc, char **argv, struct capsa_error **err)
{
	if (argc < 2)
		return cli_usage_error(&capsa_cmd_network, err, "network rm: expected NAME...");
	int status = 0;
	for (int i = 1; i < argc; i++) {
		struct capsa_error *e2 = NULL;
		if (capsa_engine_network_remove(e, argv[i], &e2) < 0) {
			status = cli_fail("network rm", e2, 1);
			capsa_error_free(e2);
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return status;
}

static int net_inspect(struct capsa_engine *e, int argc, char **argv, struct capsa_error **err)
{
	if (argc < 2)
		return cli_usage_error(&capsa_cmd_network, err, "network inspect: expected NAME...");
	_cleanup_free_ char *out = xstrdup("[");
	int status = 0;
	for (int i = 1; i < argc; i++) {
		_cleanup_free_ char *j = NULL;
		struct capsa_error *e2 = NULL;
		if (capsa_engine_network_inspect(e, argv[i], &j, &e2) < 0) {
			status = cli_fail("network inspect", e2, 1);
			capsa_error_free(e2);
			continue;
		}
		char *more = xasprintf("%s%s%s", out, strcmp(out, "[") ? "," : "", j);
		free(out);
		out = more;
	}
	printf("%s]\n", out);
	return status;
}

static int net_prune(struct capsa_engine *e, int argc, char **argv, struct capsa_error **err)
{
	_cleanup_strv_ char **removed = NULL;
	size_t n;
	if (capsa_engine_network_prune(e, &removed, &n, err) < 0)
		return -1;
	if (n)
		printf("Deleted Networks:\n");
	for (size_t i = 0; i < n; i++)
		printf("%s\n", removed[i]);
	return 0;
}

static int run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		cli_usage(&capsa_cmd_network, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : 0;
	}
	static const struct {
		const char *name;
		int (*fn)(struct capsa_engine *, int, char **, struct capsa_error **);
	} subs[] = {{"create", net_create}, {"ls", net_ls},	      {"list", net_ls},	   {"rm", net_rm},
		    {"remove", net_rm},	    {"inspect", net_inspect}, {"prune", net_prune}};
	_cleanup_engine_ struct capsa_engine *e = NULL;
	if (capsa_engine_open(cli->root, &e, err) < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].fn(e, argc - 1, argv + 1, err);
	return cli_usage_error(&capsa_cmd_network, err, "unknown network command \"%s\"", argv[1]);
}

const struct capsa_cmd capsa_cmd_network = {
	.name = "network",
	.summary = "Manage bridge networks",
	.usage = "create [--subnet CIDR] [--gateway IP] [--bridge-name NAME] NAME | ls [-q] | rm NAME... | "
		 "inspect NAME... | prune [-f]",
	.run = run,
};

static int port_run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	if (argc < 2 || argc > 3)
		return cli_usage_error(&capsa_cmd_port, err, "expected CONTAINER [PORT[/PROTO]]");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		cli_usage(&capsa_cmd_port, stdout);
		return 0;
	}
	struct capsa_port_map want = {0};
	if (argc == 3 && capsa_port_exposed_parse(argv[2], &want, err) < 0)
		return -1;
	_cleanup_engine_ struct capsa_engine *e = NULL;
	_cleanup_ctr_ struct capsa_ctr *c = NULL;
	if (capsa_engine_open(cli->root, &e, err) < 0 || capsa_engine_lookup(e, argv[1], &c, err) < 0)
		return -1;
	_cleanup_free_ struct capsa_port_map *m = NULL;
	size_t n;
	if (capsa_engine_port_list(e, c, &m, &n, err) < 0)
		return -1;
	bool found = false;
	for (size_t i = 0; i < n; i++) {
		if (argc == 3 && (m[i].ctr_port != want.ctr_port || strcmp(m[i].proto, want.proto)))
			continue;
		found = true;
		const char *ip = m[i].host_ip[0] ? m[i].host_ip : "0.0.0.0";
		if (argc == 3)
			printf("%s:%u\n", ip, m[i].host_port);
		else
			printf("%u/%s -> %s:%u\n", m[i].ctr_port, m[i].proto, ip, m[i].host_port);
	}
	if (argc == 3 && !found)
		return capsa_error_set(err, 0, "no public port '%s' published for %s", argv[2], argv[1]);
	return 0;
}

const struct capsa_cmd capsa_cmd_port = {
	.name = "port",
	.summary = "List a container's published ports",
	.usage = "CONTAINER [PORT[/PROTO]]",
	.run = port_run,
};
