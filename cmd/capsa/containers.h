/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The container commands (engine/): their table entries and the helpers they share. */
#ifndef CAPSA_CLI_CONTAINERS_H
#define CAPSA_CLI_CONTAINERS_H

#include "cmd.h"
#include "engine/engine.h"

extern const struct capsa_cmd capsa_cmd_run, capsa_cmd_create, capsa_cmd_start, capsa_cmd_ps, capsa_cmd_logs,
	capsa_cmd_stop, capsa_cmd_kill, capsa_cmd_rm, capsa_cmd_wait, capsa_cmd_inspect, capsa_cmd_restart,
	capsa_cmd_pause, capsa_cmd_unpause, capsa_cmd_rename, capsa_cmd_attach, capsa_cmd_exec, capsa_cmd_top,
	capsa_cmd_stats, capsa_cmd_volume, capsa_cmd_container, capsa_cmd_system, capsa_cmd_info,
	capsa_cmd_version, capsa_cmd_cp, capsa_cmd_export;

/* Parses run/create flags into o (argv from optind on is IMAGE [CMD...]). Returns 0, or -1 with err. */
int cli_parse_run(const struct capsa_cmd *cmd, int argc, char **argv, struct capsa_run_opts *o, bool *detach,
		  struct capsa_error **err);
void cli_run_opts_clear(struct capsa_run_opts *o);
/* Prints "capsa: NAME: error" and gives the exit status for a failed container command. */
int cli_fail(const char *name, struct capsa_error *err, int code);

/*
 * For the commands that act on CONTAINER [CONTAINER...] (argv from optind on): looks each up and
 * calls act, which prints what the command prints for it; like docker, a failure is reported and
 * the next container is tried, and the status is 1 when any failed.
 */
typedef int (*cli_ctr_action)(struct capsa_engine *e, struct capsa_ctr *c, const char *ref, void *data,
			      struct capsa_error **err);
int cli_each_container(struct capsa_cli *cli, const struct capsa_cmd *cmd, int argc, char **argv,
		       cli_ctr_action act, void *data, struct capsa_error **err);

#endif
