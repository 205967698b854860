/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "cmd/capsa-runtime/cmd.h"

static const char usage[] =
	"usage: capsa-runtime run [options] ID\n"
	"\n"
	"Create and start a container. In the foreground, wait for it, forward signals,\n"
	"delete it and exit with its status (128+N after signal N).\n"
	"\n"
	"  -b, --bundle DIR         bundle directory (default: the current directory)\n"
	"  -d, --detach             return once the container runs\n"
	"  --console-socket PATH    unix socket that receives the pty master (process.terminal)\n"
	"  --pid-file FILE          write the container process's pid to FILE\n"
	"  --no-pivot               use MS_MOVE + chroot instead of pivot_root\n"
	"  --no-new-keyring         keep the caller's session keyring\n"
	"  --preserve-fds N         pass N extra fds (from fd 3) to the process\n";

int cmd_run(struct global *g, int argc, char **argv)
{
	if (want_help(argc, argv, usage))
		return 0;
	struct create_flags f;
	if (parse_create_flags(argc, argv, usage, true, &f) < 0)
		return 1;
	struct capsa_error *err = NULL;
	int code = 0;
	if (capsa_container_run(&g->rt, &f.o, f.detach, &code, &err) < 0)
		return fail(err);
	return code;
}
