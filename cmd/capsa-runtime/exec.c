/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "cmd/capsa-runtime/cmd.h"
#include "common/util.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
	"usage: capsa-runtime exec [options] ID [COMMAND [ARGS...]]\n"
	"\n"
	"Run a new process in a running container, with its namespaces, cgroup, capabilities,\n"
	"limits and seccomp filter. In the foreground, exit with the process's status.\n"
	"\n"
	"  -p, --process FILE       the process as a runtime-spec process object (JSON)\n"
	"  -t, --tty                allocate a terminal\n"
	"  --console-socket PATH    unix socket that receives the pty master\n"
	"  -d, --detach             do not wait for the process\n"
	"  --pid-file FILE          write the process's pid to FILE\n"
	"  -e, --env K=V            set an environment variable (repeatable)\n"
	"  -u, --user UID[:GID]     run as this user\n"
	"  -g, --additional-gids G  an additional group (repeatable)\n"
	"  --cwd DIR                working directory in the container\n"
	"  -c, --cap CAP            add a capability to every set (repeatable)\n"
	"  --no-new-privs           set no_new_privs\n"
	"  --apparmor PROFILE       AppArmor profile\n"
	"  --process-label LABEL    SELinux label\n"
	"  --preserve-fds N         pass N extra fds (from fd 3) to the process\n"
	"  --ignore-paused          allow exec into a paused container\n";

int cmd_exec(struct global *g, int argc, char **argv)
{
	if (want_help(argc, argv, usage))
		return 0;
	enum {
		OPT_CONSOLE = 256,
		OPT_PIDFILE,
		OPT_CWD,
		OPT_NNP,
		OPT_APPARMOR,
		OPT_LABEL,
		OPT_PRESERVE,
		OPT_IGNORE
	};
	static const struct option opts[] = {
		{"process", required_argument, NULL, 'p'},
		{"tty", no_argument, NULL, 't'},
		{"console-socket", required_argument, NULL, OPT_CONSOLE},
		{"detach", no_argument, NULL, 'd'},
		{"pid-file", required_argument, NULL, OPT_PIDFILE},
		{"env", required_argument, NULL, 'e'},
		{"user", required_argument, NULL, 'u'},
		{"additional-gids", required_argument, NULL, 'g'},
		{"cwd", required_argument, NULL, OPT_CWD},
		{"cap", required_argument, NULL, 'c'},
		{"no-new-privs", no_argument, NULL, OPT_NNP},
		{"apparmor", required_argument, NULL, OPT_APPARMOR},
		{"process-label", required_argument, NULL, OPT_LABEL},
		{"preserve-fds", required_argument, NULL, OPT_PRESERVE},
		{"ignore-paused", no_argument, NULL, OPT_IGNORE},
		{0},
	};
	struct capsa_exec_opts o = {.tty = -1};
	_cleanup_strv_ char **env = NULL, **caps = NULL;
	_cleanup_free_ uint32_t *gids = NULL;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+p:tde:u:g:c:", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o.process_file = optarg;
			break;
		case 't':
			o.tty = 1;
			break;
		case OPT_CONSOLE:
			o.console_socket = optarg;
			break;
		case 'd':
			o.detach = true;
			break;
		case OPT_PIDFILE:
			o.pid_file = optarg;
			break;
		case 'e':
			capsa_strv_push(&env, optarg);
			o.n_env++;
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'g': {
			uint64_t v;
			if (capsa_parse_u64(optarg, &v) < 0 || v > UINT32_MAX - 1)
				return usage_error(NULL, "--additional-gids: invalid group id \"%s\"",
						   optarg);
			gids = xreallocarray(gids, o.n_additional_gids + 1, sizeof(uint32_t));
			gids[o.n_additional_gids++] = (uint32_t)v;
			break;
		}
		case OPT_CWD:
			o.cwd = optarg;
			break;
		case 'c':
			capsa_strv_push(&caps, optarg);
			o.n_caps++;
			break;
		case OPT_NNP:
			o.no_new_privs = true;
			break;
		case OPT_APPARMOR:
			o.apparmor = optarg;
			break;
		case OPT_LABEL:
			o.process_label = optarg;
			break;
		case OPT_PRESERVE:
			if (parse_nonneg("--preserve-fds", optarg, &o.preserve_fds))
				return 1;
			break;
		case OPT_IGNORE:
			o.ignore_paused = true;
			break;
		default:
			return usage_error(usage, "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error(usage, "missing container id");
	o.id = argv[optind++];
	o.args = argv + optind;
	o.n_args = (size_t)(argc - optind);
	if (o.process_file && o.n_args)
		return usage_error(usage, "give either --process or a command, not both");
	if (!o.process_file && o.n_args == 0)
		return usage_error(usage, "missing the command to run");
	o.env = env;
	o.caps = caps;
	o.additional_gids = gids;
	struct capsa_error *err = NULL;
	int code = 0;
	if (capsa_container_exec(&g->rt, &o, &code, &err) < 0)
		return fail(err);
	return code;
}
