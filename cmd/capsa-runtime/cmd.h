/* SPDX-License-Identifier: GPL-2.0-or-later */
/* capsa-runtime's command table and shared helpers. Only cmd/ prints. */
#ifndef CAPSA_RUNTIME_CMD_H
#define CAPSA_RUNTIME_CMD_H

#include "common/cleanup.h"
#include "common/error.h"
#include "common/log.h"
#include "runtime/runtime.h"

#include <getopt.h>
#include <stdbool.h>

struct global {
	struct capsa_runtime rt;
	const char *log_path;
	bool json_log;
	bool debug;
};

struct command {
	const char *name;
	int (*fn)(struct global *g, int argc, char **argv);
	const char *summary;
	bool sealed; /* enters a container: runs from a sealed copy of the binary */
};

/* Prints "capsa-runtime: <message>" (and logs it) and frees the error. Returns exit status 1. */
int fail(struct capsa_error *err);
/* Prints a usage error with the command's usage line. Returns 1. */
int usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* True when argv asks for help; prints the usage to stdout. */
bool want_help(int argc, char **argv, const char *usage);
/* Parses a non-negative integer option value; exits with a usage error otherwise. */
int parse_nonneg(const char *opt, const char *value, int *out);
/* For commands that take exactly one id: 0 ok, -1 usage error (printed), -2 help printed. */
int one_id(int argc, char **argv, const char *usage, const char **id);

int cmd_create(struct global *g, int argc, char **argv);
int cmd_start(struct global *g, int argc, char **argv);
int cmd_run(struct global *g, int argc, char **argv);
int cmd_exec(struct global *g, int argc, char **argv);
int cmd_state(struct global *g, int argc, char **argv);
int cmd_kill(struct global *g, int argc, char **argv);
int cmd_delete(struct global *g, int argc, char **argv);
int cmd_list(struct global *g, int argc, char **argv);
int cmd_spec(struct global *g, int argc, char **argv);
int cmd_features(struct global *g, int argc, char **argv);
int cmd_pause(struct global *g, int argc, char **argv);
int cmd_ps(struct global *g, int argc, char **argv);
int cmd_update(struct global *g, int argc, char **argv);
int cmd_events(struct global *g, int argc, char **argv);
int cmd_resume(struct global *g, int argc, char **argv);

/* create and run share their flags. */
struct create_flags {
	struct capsa_create_opts o;
	bool detach;
};
int parse_create_flags(int argc, char **argv, const char *usage, bool allow_detach, struct create_flags *f);

#endif
