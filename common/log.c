/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int log_fd = -1;
static enum capsa_log_format log_format = CAPSA_LOG_TEXT;
static enum capsa_log_level log_lvl = CAPSA_LOG_WARN;
static const char *program = "capsa";

int capsa_log_init(const char *path, enum capsa_log_format format, enum capsa_log_level level,
		   struct capsa_error **err)
{
	log_format = format;
	log_lvl = level;
	if (path && *path) {
		int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return capsa_error_errno(err, "open log file %s", path);
		if (log_fd >= 0)
			close(log_fd);
		log_fd = fd;
	}
	return 0;
}

void capsa_log_set_program(const char *name)
{
	program = name;
}

int capsa_log_fd(void)
{
	return log_fd;
}

enum capsa_log_level capsa_log_level(void)
{
	return log_lvl;
}

char *capsa_json_escape(const char *s)
{
	size_t cap = strlen(s) * 6 + 1, n = 0;
	char *out = xmalloc(cap);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			out[n++] = '\\';
			out[n++] = '"';
			break;
		case '\\':
			out[n++] = '\\';
			out[n++] = '\\';
			break;
		case '\n':
			out[n++] = '\\';
			out[n++] = 'n';
			break;
		case '\t':
			out[n++] = '\\';
			out[n++] = 't';
			break;
		case '\r':
			out[n++] = '\\';
			out[n++] = 'r';
			break;
		default:
			if (*p < 0x20)
				n += (size_t)sprintf(out + n, "\\u%04x", *p);
			else
				out[n++] = (char)*p;
		}
	}
	out[n] = '\0';
	return out;
}

static const char *level_names[] = {"error", "warning", "info", "debug"};

void capsa_log(enum capsa_log_level level, const char *fmt, ...)
{
	if (level > log_lvl)
		return;
	int saved = errno;
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg == NULL) {
		errno = saved;
		return;
	}
	int fd = log_fd >= 0 ? log_fd : STDERR_FILENO;
	_cleanup_free_ char *line = NULL;
	if (log_format == CAPSA_LOG_JSON) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		_cleanup_free_ char *t = capsa_time_rfc3339(&ts);
		_cleanup_free_ char *esc = capsa_json_escape(msg);
		line = xasprintf("{\"level\":\"%s\",\"msg\":\"%s\",\"time\":\"%s\"}\n", level_names[level],
				 esc, t);
	} else if (log_fd >= 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		_cleanup_free_ char *t = capsa_time_rfc3339(&ts);
		line = xasprintf("%s %s[%d]: %s: %s\n", t, program, (int)getpid(), level_names[level], msg);
	} else {
		line = xasprintf("%s: %s: %s\n", program, level_names[level], msg);
	}
	(void)capsa_write_all(fd, line, strlen(line));
	errno = saved;
}
