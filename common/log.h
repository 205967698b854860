/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The logger: the one place besides cmd/ that writes diagnostics. Text lines by
 * default, or runc's JSON log lines ({"level":..,"msg":..,"time":..}) which
 * podman and containerd read from --log.
 */
#ifndef CAPSA_LOG_H
#define CAPSA_LOG_H

#include "error.h"

enum capsa_log_level {
	CAPSA_LOG_ERROR = 0,
	CAPSA_LOG_WARN,
	CAPSA_LOG_INFO,
	CAPSA_LOG_DEBUG,
};

enum capsa_log_format {
	CAPSA_LOG_TEXT = 0,
	CAPSA_LOG_JSON,
};

/* path NULL logs to stderr. */
int capsa_log_init(const char *path, enum capsa_log_format format, enum capsa_log_level level,
		   struct capsa_error **err) CAPSA_WUR;
void capsa_log_set_program(const char *name);
/* The fd logged to (for children that inherit it), -1 when stderr. */
int capsa_log_fd(void);
enum capsa_log_level capsa_log_level(void);
void capsa_log(enum capsa_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Escapes s as a JSON string body (no quotes) into a new string. */
char *capsa_json_escape(const char *s);

#define capsa_debug(...)                                                                                     \
	do {                                                                                                 \
		if (capsa_log_level() >= CAPSA_LOG_DEBUG)                                                    \
			capsa_log(CAPSA_LOG_DEBUG, __VA_ARGS__);                                             \
	} while (0)
#define capsa_info(...) capsa_log(CAPSA_LOG_INFO, __VA_ARGS__)
#define capsa_warn(...) capsa_log(CAPSA_LOG_WARN, __VA_ARGS__)
#define capsa_log_error(...) capsa_log(CAPSA_LOG_ERROR, __VA_ARGS__)

#endif
