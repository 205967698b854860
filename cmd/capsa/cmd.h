/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The capsa CLI's command table. A subcommand is one file defining a `const struct capsa_cmd` plus one
 * line in main.c's table. Commands return an exit status, or -1 with *err set (main prints it).
 */
#ifndef CAPSA_CLI_CMD_H
#define CAPSA_CLI_CMD_H

#include "common/error.h"
#include "image/image.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

struct capsa_cli {
	const char *root;    /* --root or $CAPSA_ROOT or the default */
	const char *program; /* "capsa" */
};

struct capsa_cmd {
	const char *name;
	const char *summary;
	const char *usage; /* the part after "capsa NAME " */
	const char *help;  /* option lines, or NULL */
	int (*run)(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err);
};

/* Exit status for a wrong command line (after printing the usage). */
#define CLI_EXIT_USAGE 125

/* Prints "usage: capsa NAME USAGE" and the help lines to f. */
void cli_usage(const struct capsa_cmd *c, FILE *f);
/* Sets a usage error: "NAME: msg (see capsa NAME --help)". Returns -1. */
/* Prints the Go template format rendered over one JSON document, and a newline. */
int cli_print_template(const char *format, const char *json, struct capsa_error **err);
int cli_usage_error(const struct capsa_cmd *c, struct capsa_error **err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* getopt_long for a subcommand (argv[0] is the subcommand); handles -h/--help itself:
 * returns the option, -1 at the end, '?' after printing usage for an unknown option, 'h' for help. */
int cli_getopt(const struct capsa_cmd *c, int argc, char **argv, const char *shortopts,
	       const struct option *longopts);
int cli_open_store(struct capsa_cli *cli, bool write, struct capsa_image_store **s, struct capsa_error **err);
/* Runs a subcommand from a table (used by `capsa` itself and by `capsa image`). */
int cli_dispatch(struct capsa_cli *cli, const struct capsa_cmd *const *table, size_t n, const char *group,
		 int argc, char **argv, struct capsa_error **err);
void cli_list_commands(const struct capsa_cmd *const *table, size_t n, FILE *f);
/* Human sizes ("4.26MB", decimal like docker) and ages ("3 days ago"). */
char *cli_human_size(int64_t bytes);
char *cli_human_age(const char *rfc3339);

/* Docker-like pull progress on f (bars only on a terminal, nothing when quiet); for pull and run --pull. */
struct cli_pull_printer {
	FILE *f;
	bool tty, quiet, bar;
	char *path, *what, *name; /* "library/busybox", the tag or digest, "busybox:latest" */
};
void cli_pull_printer_init(struct cli_pull_printer *p, FILE *f, bool quiet, const char *ref);
void cli_pull_printer_clear(struct cli_pull_printer *p);
void cli_pull_progress(void *ctx, const struct capsa_pull_event *ev);

extern const struct capsa_cmd capsa_cmd_pull, capsa_cmd_login, capsa_cmd_logout;
/* network.c */
extern const struct capsa_cmd capsa_cmd_network, capsa_cmd_port;
extern const struct capsa_cmd capsa_cmd_compare;
extern const struct capsa_cmd capsa_cmd_load, capsa_cmd_save, capsa_cmd_import, capsa_cmd_images,
	capsa_cmd_tag, capsa_cmd_rmi, capsa_cmd_image;
extern const struct capsa_cmd capsa_cmd_image_inspect, capsa_cmd_image_history, capsa_cmd_image_prune,
	capsa_cmd_image_mount, capsa_cmd_image_unmount;

#endif
