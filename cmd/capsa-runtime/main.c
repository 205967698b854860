/* SPDX-License-Identifier: GPL-2.0-or-later */
/* capsa-runtime: an OCI runtime with runc's command line. */
#define _GNU_SOURCE
#include "cmd/capsa-runtime/cmd.h"

#include <errno.h>
#include <json-c/json_c_version.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>

static const struct command commands[] = {
	{"create", cmd_create, "create a container", true},
	{"start", cmd_start, "start the user process of a created container", false},
	{"run", cmd_run, "create and start a container", true},
	{"exec", cmd_exec, "run a new process in a running container", true},
	{"state", cmd_state, "print the state of a container", false},
	{"kill", cmd_kill, "send a signal to the container's init (or all its processes)", false},
	{"delete", cmd_delete, "delete a container and what it holds", false},
	{"list", cmd_list, "list containers", false},
	{"ps", cmd_ps, "list the processes of a container", false},
	{"update", cmd_update, "change the resource limits of a running container", false},
	{"events", cmd_events, "print stats and OOM events of a container (JSON lines)", false},
	{"pause", cmd_pause, "freeze every process of a container", false},
	{"resume", cmd_resume, "thaw a paused container", false},
	{"spec", cmd_spec, "write a default config.json", false},
	{"features", cmd_features, "print the features this runtime supports (JSON)", false},
};

static const char main_usage[] =
	"usage: capsa-runtime [global options] COMMAND [options] [ARGS]\n"
	"\n"
	"Global options:\n"
	"  --root DIR          state directory (default " CAPSA_RUNTIME_DEFAULT_ROOT ")\n"
	"  --log FILE          write log messages to FILE\n"
	"  --log-format FMT    text (default) or json\n"
	"  --debug             log debug messages\n"
	"  --systemd-cgroup    use the systemd cgroup driver (not supported yet)\n"
	"  -v, --version       print the version\n"
	"  -h, --help          print this help\n"
	"\n"
	"Commands:\n";

static void print_usage(FILE *f)
{
	fputs(main_usage, f);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\nRun 'capsa-runtime COMMAND --help' for a command's options.\n", f);
}

static void print_version(void)
{
	unsigned int maj = 0, min = 0, mic = 0;
	const struct scmp_version *v = seccomp_version();
	if (v) {
		maj = v->major;
		min = v->minor;
		mic = v->micro;
	}
	printf("capsa-runtime version %s\nspec: %s\njson-c: %s\nlibseccomp: %u.%u.%u\nlibcap: %d.%d\n",
	       CAPSA_VERSION, CAPSA_OCI_VERSION, json_c_version(), maj, min, mic, LIBCAP_MAJOR, LIBCAP_MINOR);
}

int main(int argc, char **argv)
{
	struct global g = {.rt = {.root = CAPSA_RUNTIME_DEFAULT_ROOT}};
	const char *log_format = "text";
	capsa_log_set_program("capsa-runtime");
	enum { OPT_ROOT = 256, OPT_LOG, OPT_LOG_FORMAT, OPT_DEBUG, OPT_SYSTEMD, OPT_CRIU, OPT_ROOTLESS };
	static const struct option opts[] = {
		{"root", required_argument, NULL, OPT_ROOT},
		{"log", required_argument, NULL, OPT_LOG},
		{"log-format", required_argument, NULL, OPT_LOG_FORMAT},
		{"debug", no_argument, NULL, OPT_DEBUG},
		{"systemd-cgroup", no_argument, NULL, OPT_SYSTEMD},
		{"criu", required_argument, NULL, OPT_CRIU},
		{"rootless", required_argument, NULL, OPT_ROOTLESS},
		{"version", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_ROOT:
			g.rt.root = optarg;
			break;
		case OPT_LOG:
			g.log_path = optarg;
			break;
		case OPT_LOG_FORMAT:
			log_format = optarg;
			break;
		case OPT_DEBUG:
			g.debug = true;
			break;
		case OPT_SYSTEMD:
			g.rt.systemd_cgroup = true;
			break;
		case OPT_CRIU:
		case OPT_ROOTLESS:
			break; /* accepted for runc compatibility */
		case 'v':
			print_version();
			return 0;
		case 'h':
			print_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "capsa-runtime: unknown global option %s\n", argv[optind - 1]);
			print_usage(stderr);
			return 1;
		}
	}
	if (strcmp(log_format, "json") == 0)
		g.json_log = true;
	else if (strcmp(log_format, "text") != 0)
		return usage_error(NULL, "--log-format: invalid value \"%s\": expected text or json",
				   log_format);
	struct capsa_error *err = NULL;
	if (capsa_log_init(g.log_path, g.json_log ? CAPSA_LOG_JSON : CAPSA_LOG_TEXT,
			   g.debug ? CAPSA_LOG_DEBUG : CAPSA_LOG_WARN, &err) < 0)
		return fail(err);
	if (optind >= argc) {
		print_usage(stderr);
		return 1;
	}
	const char *name = argv[optind];
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(commands[i].name, name) != 0)
			continue;
		if (g.rt.systemd_cgroup && strcmp(name, "spec") != 0 && strcmp(name, "features") != 0)
			return fail(
				(capsa_error_set(
					 &err, ENOTSUP,
					 "--systemd-cgroup: the systemd cgroup driver is not supported yet; "
					 "use cgroupfs paths"),
				 err));
		if (commands[i].sealed && capsa_ensure_sealed_exe(argv, &err) < 0)
			return fail(err);
		int idx = optind;
		optind = 0; /* glibc: a full reset for the command's own getopt */
		return commands[i].fn(&g, argc - idx, argv + idx);
	}
	fprintf(stderr, "capsa-runtime: unknown command \"%s\"\n", name);
	print_usage(stderr);
	return 1;
}
