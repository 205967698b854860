/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "cmd/capsa-runtime/cmd.h"

#include <stdio.h>

static const char usage[] =
	"usage: capsa-runtime create [options] ID\n"
	"\n"
	"Create a container from the bundle; its process waits for 'start'.\n"
	"\n"
	"  -b, --bundle DIR         bundle directory (default: the current directory)\n"
	"  --console-socket PATH    unix socket that receives the pty master (process.terminal)\n"
	"  --pid-file FILE          write the container process's pid to FILE\n"
	"  --no-pivot               use MS_MOVE + chroot instead of pivot_root\n"
	"  --no-new-keyring         keep the caller's session keyring\n"
	"  --preserve-fds N         pass N extra fds (from fd 3) to the process\n";

int parse_create_flags(int argc, char **argv, const char *use, bool allow_detach, struct create_flags *f)
{
	enum { OPT_CONSOLE = 256, OPT_PIDFILE, OPT_NOPIVOT, OPT_NOKEYRING, OPT_PRESERVE, OPT_NOSUBREAPER };
	static const struct option opts[] = {
		{"bundle", required_argument, NULL, 'b'},
		{"console-socket", required_argument, NULL, OPT_CONSOLE},
		{"pid-file", required_argument, NULL, OPT_PIDFILE},
		{"no-pivot", no_argument, NULL, OPT_NOPIVOT},
		{"no-new-keyring", no_argument, NULL, OPT_NOKEYRING},
		{"preserve-fds", required_argument, NULL, OPT_PRESERVE},
		{"no-subreaper", no_argument, NULL, OPT_NOSUBREAPER},
		{"detach", no_argument, NULL, 'd'},
		{0},
	};
	*f = (struct create_flags){0};
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, allow_detach ? "+b:d" : "+b:", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			f->o.bundle = optarg;
			break;
		case OPT_CONSOLE:
			f->o.console_socket = optarg;
			break;
		case OPT_PIDFILE:
			f->o.pid_file = optarg;
			break;
		case OPT_NOPIVOT:
			f->o.no_pivot = true;
			break;
		case OPT_NOKEYRING:
			f->o.no_new_keyring = true;
			break;
		case OPT_PRESERVE:
			if (parse_nonneg("--preserve-fds", optarg, &f->o.preserve_fds))
				return -1;
			break;
		case OPT_NOSUBREAPER:
			break;
		case 'd':
			if (!allow_detach)
				goto bad;
			f->detach = true;
			break;
		default:
		bad:
			usage_error(use, "unknown option %s", argv[optind - 1]);
			return -1;
		}
	}
	if (optind != argc - 1) {
		usage_error(use, optind >= argc ? "missing container id" : "too many arguments");
		return -1;
	}
	f->o.id = argv[optind];
	return 0;
}

int cmd_create(struct global *g, int argc, char **argv)
{
	if (want_help(argc, argv, usage))
		return 0;
	struct create_flags f;
	if (parse_create_flags(argc, argv, usage, false, &f) < 0)
		return 1;
	struct capsa_error *err = NULL;
	if (capsa_container_create(&g->rt, &f.o, NULL, &err) < 0)
		return fail(err);
	return 0;
}
