/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "cmd/capsa-runtime/cmd.h"
#include "common/util.h"
#include "engine/engine.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
	"usage: capsa-runtime update [options] ID\n"
	"\n"
	"Change the resource limits of a running container.\n"
	"\n"
	"  -r, --resources FILE      linux.resources as JSON (- for standard input)\n"
	"  --memory SIZE             memory limit (bytes, or with k, m, g)\n"
	"  --memory-swap SIZE        memory + swap limit (-1: unlimited)\n"
	"  --memory-reservation SIZE soft limit\n"
	"  --cpu-shares N            relative CPU weight\n"
	"  --cpu-quota N             CPU time per period in microseconds (-1: unlimited)\n"
	"  --cpu-period N            CPU period in microseconds\n"
	"  --cpuset-cpus LIST        CPUs, e.g. 0-1\n"
	"  --cpuset-mems LIST        memory nodes\n"
	"  --pids-limit N            maximum number of processes (-1: unlimited)\n"
	"  --blkio-weight N          block I/O weight (10-1000)\n";

static int size_value(const char *opt, const char *v, int64_t *out)
{
	struct capsa_error *err = NULL;
	if (strcmp(v, "-1") == 0) {
		*out = -1;
		return 0;
	}
	if (capsa_parse_memory(v, out, &err) < 0) {
		usage_error(NULL, "%s: invalid size \"%s\"", opt, v);
		capsa_error_free(err);
		return -1;
	}
	return 0;
}

static int int_value(const char *opt, const char *v, int64_t min, int64_t max, int64_t *out)
{
	if (capsa_parse_i64(v, out) < 0 || *out < min || *out > max)
		return usage_error(NULL, "%s: invalid value \"%s\"", opt, v), -1;
	return 0;
}

int cmd_update(struct global *g, int argc, char **argv)
{
	if (want_help(argc, argv, usage))
		return 0;
	enum { MEM = 256, SWAP, RES, SHARES, QUOTA, PERIOD, CPUS, MEMS, PIDS, BLKIO };
	static const struct option opts[] = {
		{"resources", required_argument, NULL, 'r'},
		{"memory", required_argument, NULL, MEM},
		{"memory-swap", required_argument, NULL, SWAP},
		{"memory-reservation", required_argument, NULL, RES},
		{"cpu-shares", required_argument, NULL, SHARES},
		{"cpu-quota", required_argument, NULL, QUOTA},
		{"cpu-period", required_argument, NULL, PERIOD},
		{"cpuset-cpus", required_argument, NULL, CPUS},
		{"cpuset-mems", required_argument, NULL, MEMS},
		{"pids-limit", required_argument, NULL, PIDS},
		{"blkio-weight", required_argument, NULL, BLKIO},
		{0},
	};
	struct oci_memory mem = {0};
	struct oci_cpu cpu = {0};
	struct oci_blkio blkio = {0};
	struct oci_resources flags = {0};
	const char *file = NULL;
	bool have_mem = false, have_cpu = false, have_blkio = false;
	int64_t v;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+r:", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			file = optarg;
			break;
		case MEM:
		case SWAP:
		case RES:
			if (size_value(c == MEM	   ? "--memory"
				       : c == SWAP ? "--memory-swap"
						   : "--memory-reservation",
				       optarg, &v) < 0)
				return 1;
			*(c == MEM    ? &mem.limit
			  : c == SWAP ? &mem.swap
				      : &mem.reservation) = (struct oci_opt_i64){true, v};
			have_mem = true;
			break;
		case SHARES:
			if (int_value("--cpu-shares", optarg, 2, 262144, &v) < 0)
				return 1;
			cpu.shares = (struct oci_opt_u64){true, (uint64_t)v};
			have_cpu = true;
			break;
		case QUOTA:
			if (int_value("--cpu-quota", optarg, -1, INT64_MAX, &v) < 0)
				return 1;
			cpu.quota = (struct oci_opt_i64){true, v};
			have_cpu = true;
			break;
		case PERIOD:
			if (int_value("--cpu-period", optarg, 1000, 1000000, &v) < 0)
				return 1;
			cpu.period = (struct oci_opt_u64){true, (uint64_t)v};
			have_cpu = true;
			break;
		case CPUS:
			cpu.cpus = optarg;
			have_cpu = true;
			break;
		case MEMS:
			cpu.mems = optarg;
			have_cpu = true;
			break;
		case PIDS:
			if (int_value("--pids-limit", optarg, -1, INT64_MAX, &v) < 0)
				return 1;
			flags.pids_limit = (struct oci_opt_i64){true, v};
			break;
		case BLKIO:
			if (int_value("--blkio-weight", optarg, 10, 1000, &v) < 0)
				return 1;
			blkio.weight = (struct oci_opt_u64){true, (uint64_t)v};
			have_blkio = true;
			break;
		default:
			return usage_error(usage, "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return usage_error(usage, optind >= argc ? "missing container id" : "too many arguments");
	const char *id = argv[optind];
	struct capsa_error *err = NULL;
	struct oci_resources *res = &flags;
	_cleanup_free_ char *json = NULL;
	struct oci_resources *parsed = NULL;
	if (file) {
		size_t len;
		int r = strcmp(file, "-") == 0
				? capsa_read_fd(0, 1 << 20, &json, &len, &err)
				: capsa_read_file_at(AT_FDCWD, file, 1 << 20, &json, &len, &err);
		if (r < 0 || capsa_oci_resources_parse(json, len, strcmp(file, "-") ? file : "stdin", &parsed,
						       &err) < 0)
			return fail(err);
		res = parsed;
	} else {
		if (have_mem)
			flags.memory = &mem;
		if (have_cpu)
			flags.cpu = &cpu;
		if (have_blkio)
			flags.blkio = &blkio;
		if (!have_mem && !have_cpu && !have_blkio && !flags.pids_limit.set)
			return usage_error(usage, "nothing to update");
	}
	int r = capsa_container_update(&g->rt, id, res, &err);
	capsa_oci_resources_free(parsed);
	if (r < 0)
		return fail(err);
	return 0;
}
