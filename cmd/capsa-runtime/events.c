/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "cmd/capsa-runtime/cmd.h"
#include "cgroups/cgroups.h"
#include "common/util.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char usage[] = "usage: capsa-runtime events [--stats] [--interval DURATION] ID\n"
			    "\n"
			    "Print the container's events as JSON lines, as runc does: a stats event every\n"
			    "interval (default 5s) and an oom event when the kernel OOM-kills in it; with\n"
			    "--stats, one stats event and exit.\n";

static int print_event(const struct capsa_event *ev, void *data)
{
	_cleanup_free_ char *id = capsa_json_escape(ev->id);
	if (ev->type == CAPSA_EVENT_OOM) {
		printf("{\"type\":\"oom\",\"id\":\"%s\"}\n", id);
	} else {
		const struct capsa_cgroup_stats *s = ev->stats;
		printf("{\"type\":\"stats\",\"id\":\"%s\",\"data\":{"
		       "\"cpu\":{\"usage\":{\"total\":%" PRIu64 ",\"kernel\":%" PRIu64 ",\"user\":%" PRIu64
		       "},"
		       "\"throttling\":{\"periods\":%" PRIu64 ",\"throttledPeriods\":%" PRIu64
		       ",\"throttledTime\":%" PRIu64 "}},"
		       "\"memory\":{\"usage\":{\"limit\":%" PRIu64 ",\"usage\":%" PRIu64 ",\"max\":%" PRIu64
		       "},"
		       "\"swap\":{\"limit\":%" PRIu64 ",\"usage\":%" PRIu64 "},\"cache\":%" PRIu64
		       ",\"raw\":{\"rss\":%" PRIu64 "},\"oom_events\":%" PRIu64
		       ",\"oom_kill_events\":%" PRIu64 "},"
		       "\"pids\":{\"current\":%" PRIu64 ",\"limit\":%" PRIu64 "},"
		       "\"blkio\":{\"read_bytes\":%" PRIu64 ",\"write_bytes\":%" PRIu64
		       ",\"read_ops\":%" PRIu64 ",\"write_ops\":%" PRIu64 "}}}\n",
		       id, s->cpu_usage_ns, s->cpu_system_ns, s->cpu_user_ns, s->cpu_nr_periods,
		       s->cpu_nr_throttled, s->cpu_throttled_ns, s->mem_limit, s->mem_usage, s->mem_max_usage,
		       s->mem_swap_limit, s->mem_swap_usage, s->mem_cache, s->mem_rss, s->oom_events,
		       s->oom_kill_events, s->pids_current, s->pids_limit, s->io_read_bytes,
		       s->io_write_bytes, s->io_read_ops, s->io_write_ops);
	}
	fflush(stdout);
	return 0;
}

/* "5s", "500ms", "1m", or a bare number of seconds. */
static int parse_interval(const char *s, int *ms)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || v <= 0)
		return -1;
	double mul = strcmp(end, "ms") == 0		       ? 1
		     : (strcmp(end, "s") == 0 || *end == '\0') ? 1000
		     : strcmp(end, "m") == 0		       ? 60000
							       : -1;
	if (mul < 0 || v * mul < 1 || v * mul > 86400000)
		return -1;
	*ms = (int)(v * mul);
	return 0;
}

int cmd_events(struct global *g, int argc, char **argv)
{
	if (want_help(argc, argv, usage))
		return 0;
	enum { OPT_STATS = 256, OPT_INTERVAL };
	static const struct option opts[] = {{"stats", no_argument, NULL, OPT_STATS},
					     {"interval", required_argument, NULL, OPT_INTERVAL},
					     {0}};
	bool once = false;
	int interval = 5000;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == OPT_STATS)
			once = true;
		else if (c == OPT_INTERVAL && parse_interval(optarg, &interval) == 0)
			continue;
		else if (c == OPT_INTERVAL)
			return usage_error(NULL, "--interval: invalid duration \"%s\"", optarg);
		else
			return usage_error(usage, "unknown option %s", argv[optind - 1]);
	}
	if (optind != argc - 1)
		return usage_error(usage, optind >= argc ? "missing container id" : "too many arguments");
	struct capsa_error *err = NULL;
	if (capsa_container_events(&g->rt, argv[optind], interval, once, print_event, NULL, &err) < 0)
		return fail(err);
	return 0;
}
