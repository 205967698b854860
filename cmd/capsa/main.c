/* SPDX-License-Identifier: GPL-2.0-or-later */
/* capsa: the Docker-like CLI. Global options, the command table and the helpers every command shares. */
#define _GNU_SOURCE
#include "cmd.h"
#include "common/template.h"
#include "containers.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <stdarg.h>
#include <json-c/json.h>
#include <string.h>
#include <time.h>

/* One line per subcommand; the later container commands (run, exec, ps, ...) go here too. */
static const struct capsa_cmd *const commands[] = {
	&capsa_cmd_image,   &capsa_cmd_images,	  &capsa_cmd_import,  &capsa_cmd_load,	 &capsa_cmd_rmi,
	&capsa_cmd_save,    &capsa_cmd_tag,	  &capsa_cmd_run,     &capsa_cmd_create, &capsa_cmd_start,
	&capsa_cmd_ps,	    &capsa_cmd_logs,	  &capsa_cmd_stop,    &capsa_cmd_kill,	 &capsa_cmd_rm,
	&capsa_cmd_wait,    &capsa_cmd_inspect,	  &capsa_cmd_restart, &capsa_cmd_pause,	 &capsa_cmd_unpause,
	&capsa_cmd_rename,  &capsa_cmd_attach,	  &capsa_cmd_exec,    &capsa_cmd_top,	 &capsa_cmd_stats,
	&capsa_cmd_volume,  &capsa_cmd_container, &capsa_cmd_system,  &capsa_cmd_info,	 &capsa_cmd_version,
	&capsa_cmd_cp,	    &capsa_cmd_export,	  &capsa_cmd_pull,    &capsa_cmd_login,	 &capsa_cmd_logout,
	&capsa_cmd_network, &capsa_cmd_port,	  &capsa_cmd_compare,
};

void cli_usage(const struct capsa_cmd *c, FILE *f)
{
	fprintf(f, "usage: capsa %s %s\n", c->name, c->usage);
	if (c->summary)
		fprintf(f, "\n%s\n", c->summary);
	if (c->help)
		fprintf(f, "\n%s", c->help);
}

int cli_usage_error(const struct capsa_cmd *c, struct capsa_error **err, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	capsa_error_set(err, 0, "%s (usage: capsa %s %s)", msg, c->name, c->usage);
	(*err)->errnum = 0;
	return -1;
}

int cli_getopt(const struct capsa_cmd *c, int argc, char **argv, const char *shortopts,
	       const struct option *longopts)
{
	static const struct option help_only[] = {{"help", no_argument, NULL, 'h'}, {0}};
	_cleanup_free_ char *so = xasprintf("+%sh", shortopts ? shortopts : "");
	/* Every long option table passed here ends with a {"help",...,'h'} entry or is help_only. */
	int r = getopt_long(argc, argv, so, longopts ? longopts : help_only, NULL);
	if (r == 'h')
		cli_usage(c, stdout);
	return r;
}

int cli_open_store(struct capsa_cli *cli, bool write, struct capsa_image_store **s, struct capsa_error **err)
{
	return capsa_image_store_open(cli->root, write, s, err);
}

void cli_list_commands(const struct capsa_cmd *const *table, size_t n, FILE *f)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  %-10s %s\n", table[i]->name, table[i]->summary);
}

int cli_dispatch(struct capsa_cli *cli, const struct capsa_cmd *const *table, size_t n, const char *group,
		 int argc, char **argv, struct capsa_error **err)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(table[i]->name, argv[0]))
			continue;
		optind = 0; /* glibc: a full reset, so each command parses its own argv from the start */
		int r = table[i]->run(cli, argc, argv, err);
		if (r < 0)
			capsa_error_prefix(err, "%s", argv[0]);
		return r;
	}
	return capsa_error_set(err, 0, "unknown command \"%s%s%s\" (see capsa %s--help)", group ? group : "",
			       group ? " " : "", argv[0], group ? "image " : "");
}

int cli_print_template(const char *format, const char *json, struct capsa_error **err)
{
	json_object *o = json_tokener_parse(json);
	_cleanup_free_ char *text = NULL;
	int r = capsa_template_render(format, o, &text, err);
	json_object_put(o);
	if (r < 0)
		return capsa_error_prefix(err, "--format");
	printf("%s\n", text);
	return 0;
}

char *cli_human_size(int64_t bytes)
{
	static const char *units[] = {"B", "kB", "MB", "GB", "TB"};
	double v = (double)bytes;
	size_t u = 0;
	while (v >= 1000 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1000;
		u++;
	}
	if (u == 0)
		return xasprintf("%lldB", (long long)bytes);
	return xasprintf("%.3g%s", v, units[u]);
}

char *cli_human_age(const char *rfc3339)
{
	struct tm tm = {0};
	if (rfc3339 == NULL || strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		return xstrdup("N/A");
	time_t t = timegm(&tm);
	double d = difftime(time(NULL), t);
	static const struct {
		double secs;
		const char *unit;
	} steps[] = {{365 * 86400.0, "year"}, {30 * 86400.0, "month"}, {7 * 86400.0, "week"},
		     {86400, "day"},	      {3600, "hour"},	       {60, "minute"}};
	if (d < 60)
		return xstrdup(d < 2 ? "Less than a second ago" : "Less than a minute ago");
	for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
		if (d >= steps[i].secs) {
			long n = (long)(d / steps[i].secs);
			return xasprintf("%ld %s%s ago", n, steps[i].unit, n == 1 ? "" : "s");
		}
	}
	return xstrdup("N/A");
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: capsa [--root DIR] [--log-level LEVEL] COMMAND [ARGS...]\n\n"
		"A container engine. Global options:\n"
		"  --root DIR         image and container store (default $CAPSA_ROOT or " CAPSA_IMAGE_DEFAULT_ROOT
		")\n"
		"  --log-level LEVEL  error, warn, info or debug (default warn)\n"
		"  --debug            same as --log-level debug\n"
		"  --default-network NAME  network for run/create without --network (default\n"
		"                     $CAPSA_DEFAULT_NETWORK or bridge)\n"
		"  -v, --version      print the version\n\nCommands:\n");
	cli_list_commands(commands, ARRAY_SIZE(commands), f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 'r'},
		{"log-level", required_argument, NULL, 'l'},
		{"debug", no_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'v'},
		{"default-network", required_argument, NULL, 'N'},
		{0},
	};
	struct capsa_cli cli = {.program = "capsa"};
	enum capsa_log_level level = CAPSA_LOG_WARN;
	int c;
	capsa_log_set_program("capsa");
	capsa_engine_process_setup();
	while ((c = getopt_long(argc, argv, "+hv", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			cli.root = optarg;
			break;
		case 'l':
			if (!strcmp(optarg, "error"))
				level = CAPSA_LOG_ERROR;
			else if (!strcmp(optarg, "warn") || !strcmp(optarg, "warning"))
				level = CAPSA_LOG_WARN;
			else if (!strcmp(optarg, "info"))
				level = CAPSA_LOG_INFO;
			else if (!strcmp(optarg, "debug"))
				level = CAPSA_LOG_DEBUG;
			else {
				fprintf(stderr, "capsa: unknown log level \"%s\"\n", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'd':
			level = CAPSA_LOG_DEBUG;
			break;
		case 'N':
			/* The environment carries it to the engine (and to the monitor's re-executions). */
			setenv("CAPSA_DEFAULT_NETWORK", optarg, 1);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'v':
			printf("capsa version %s\n", CAPSA_VERSION);
			return 0;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	_cleanup_error_ struct capsa_error *err = NULL;
	if (capsa_log_init(NULL, CAPSA_LOG_TEXT, level, &err) < 0) {
		fprintf(stderr, "capsa: %s\n", err->msg);
		return 1;
	}
	if (cli.root == NULL)
		cli.root = capsa_image_default_root();
	if (optind >= argc) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;
	/* Hidden: what a container's monitor runs capsa for. */
	if (capsa_monitor_is_command(argv[0]))
		return capsa_monitor_command(cli.root, argc, argv);
	int r = cli_dispatch(&cli, commands, ARRAY_SIZE(commands), NULL, argc, argv, &err);
	if (r < 0) {
		_cleanup_free_ char *text = capsa_error_text(err);
		fprintf(stderr, "capsa: %s\n", text);
		return err && err->errnum == 0 && strstr(err->msg, "(usage: ") ? CLI_EXIT_USAGE : 1;
	}
	return r;
}
