/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The small monitor's pure helpers: its arguments and the JSON it writes by hand (see mon.h). */
#define _GNU_SOURCE
#include "engine/monitor/mon.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *errbuf, size_t errlen, const char *arg, const char *why)
{
	snprintf(errbuf, errlen, "argument \"%s\": %s", arg, why);
	return -1;
}

/* Strict decimal: digits only (a leading '-' when negative is allowed), no blanks, no overflow. */
static int parse_i64(const char *s, bool allow_negative, int64_t min, int64_t max, int64_t *out)
{
	if (*s == '\0' || (*s == '-' && !allow_negative) || (*s != '-' && (*s < '0' || *s > '9')))
		return -1;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_fd(const char *s, int *fd)
{
	int64_t v;
	if (parse_i64(s, false, 0, INT32_MAX, &v) < 0)
		return -1;
	*fd = (int)v;
	return 0;
}

static bool valid_id(const char *s)
{
	if (*s == '\0' || strlen(s) > 128)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
			return false;
	return true;
}

int mon_args_parse(int argc, char **argv, struct mon_args *a, char *errbuf, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	a->dir_fd = a->out_fd = a->err_fd = a->in_fd = a->master_fd = a->listen_fd = a->log_fd = a->capsa_fd =
		-1;
	a->stop_signal = 15;
	a->stop_timeout = 10;
	static const struct {
		const char *key;
		size_t off;
	} fds[] = {
		{"dir", offsetof(struct mon_args, dir_fd)},
		{"out", offsetof(struct mon_args, out_fd)},
		{"err", offsetof(struct mon_args, err_fd)},
		{"in", offsetof(struct mon_args, in_fd)},
		{"master", offsetof(struct mon_args, master_fd)},
		{"listen", offsetof(struct mon_args, listen_fd)},
		{"log", offsetof(struct mon_args, log_fd)},
		{"capsa-fd", offsetof(struct mon_args, capsa_fd)},
	};
	for (int i = 1; i < argc; i++) {
		char *arg = argv[i];
		char *eq = strchr(arg, '=');
		if (eq == NULL)
			return fail(errbuf, errlen, arg, "not KEY=VALUE");
		size_t klen = (size_t)(eq - arg);
		const char *v = eq + 1;
#define KEY(k) (klen == strlen(k) && strncmp(arg, k, klen) == 0)
		bool done = false;
		for (size_t k = 0; k < sizeof(fds) / sizeof(fds[0]); k++) {
			if (KEY(fds[k].key)) {
				if (parse_fd(v, (int *)((char *)a + fds[k].off)) < 0)
					return fail(errbuf, errlen, arg, "not a file descriptor");
				done = true;
			}
		}
		if (done)
			continue;
		int64_t n;
		if (KEY("id")) {
			if (!valid_id(v))
				return fail(errbuf, errlen, arg, "not a container id");
			a->id = v;
		} else if (KEY("root") || KEY("capsa")) {
			if (v[0] != '/')
				return fail(errbuf, errlen, arg, "not an absolute path");
			*(KEY("root") ? &a->root : &a->capsa) = v;
		} else if (KEY("log-name")) {
			if (*v == '\0' || strchr(v, '/') || !strcmp(v, ".") || !strcmp(v, ".."))
				return fail(errbuf, errlen, arg, "not a file name");
			a->log_name = v;
		} else if (KEY("started-at")) {
			a->started_at = v;
		} else if (KEY("pid")) {
			if (parse_i64(v, false, 1, INT32_MAX, &n) < 0)
				return fail(errbuf, errlen, arg, "not a process id");
			a->init = (pid_t)n;
		} else if (KEY("log-max-size") || KEY("log-max-file") || KEY("timeout-ns") ||
			   KEY("running-ns")) {
			if (parse_i64(v, false, 0, INT64_MAX, &n) < 0)
				return fail(errbuf, errlen, arg, "not a non-negative number");
			*(KEY("log-max-size")	? &a->log_max_size
			  : KEY("log-max-file") ? &a->log_max_file
			  : KEY("timeout-ns")	? &a->timeout_ns
						: &a->running_ns) = n;
		} else if (KEY("stop-timeout")) {
			/* Negative: wait forever for the stop signal to work, as docker's -1. */
			if (parse_i64(v, true, -1, INT32_MAX, &n) < 0)
				return fail(errbuf, errlen, arg, "not a number of seconds");
			a->stop_timeout = (int)n;
		} else if (KEY("stop-signal")) {
			if (parse_i64(v, false, 1, 64, &n) < 0)
				return fail(errbuf, errlen, arg, "not a signal number");
			a->stop_signal = (int)n;
		} else if (KEY("created")) {
			if (strcmp(v, "0") && strcmp(v, "1"))
				return fail(errbuf, errlen, arg, "not 0 or 1");
			a->created = v[0] == '1';
		} else if (KEY("restart-count")) {
			if (parse_i64(v, false, 0, INT32_MAX, &n) < 0)
				return fail(errbuf, errlen, arg, "not a count");
			a->restart_count = (int)n;
		} else if (KEY("monitor-start")) {
			if (parse_i64(v, false, 0, INT64_MAX, &n) < 0)
				return fail(errbuf, errlen, arg, "not a start time");
			a->monitor_start = (uint64_t)n;
		} else if (KEY("client")) {
			/* FD:FLAGS, an attach connection accepted before the program took over. */
			char *colon = strchr(v, ':');
			char fdpart[16];
			int64_t flags;
			if (colon == NULL || (size_t)(colon - v) >= sizeof(fdpart))
				return fail(errbuf, errlen, arg, "not FD:FLAGS");
			memcpy(fdpart, v, (size_t)(colon - v));
			fdpart[colon - v] = '\0';
			if (a->n_clients == MON_MAX_CLIENTS)
				return fail(errbuf, errlen, arg, "too many clients");
			if (parse_fd(fdpart, &a->clients[a->n_clients].fd) < 0 ||
			    parse_i64(colon + 1, false, 0, UINT32_MAX, &flags) < 0)
				return fail(errbuf, errlen, arg, "not FD:FLAGS");
			a->clients[a->n_clients++].flags = (uint32_t)flags;
		} else {
			return fail(errbuf, errlen, arg, "unknown key");
		}
#undef KEY
	}
	static const char *const need[] = {"id", "root", "capsa", "pid", "dir", "listen"};
	const void *have[] = {a->id,
			      a->root,
			      a->capsa,
			      a->init ? "" : NULL,
			      a->dir_fd >= 0 ? "" : NULL,
			      a->listen_fd >= 0 ? "" : NULL};
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (have[i] == NULL)
			return fail(errbuf, errlen, need[i], "missing");
	if (a->log_fd >= 0 && a->log_name == NULL)
		return fail(errbuf, errlen, "log-name", "missing (a log fd needs its name for rotation)");
	if (a->out_fd < 0)
		return fail(errbuf, errlen, "out", "missing");
	return 0;
}

size_t mon_rfc3339(char *buf, size_t cap, const struct timespec *ts)
{
	struct tm tm;
	gmtime_r(&ts->tv_sec, &tm);
	int n = snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts->tv_nsec);
	return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

size_t mon_json_escape(char *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t k = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		char esc = ch == '"'	? '"'
			   : ch == '\\' ? '\\'
			   : ch == '\n' ? 'n'
			   : ch == '\r' ? 'r'
			   : ch == '\t' ? 't'
					: 0;
		if (esc) {
			out[k++] = '\\';
			out[k++] = esc;
		} else if (ch < 0x20 || ch == 0x7f) {
			memcpy(out + k, "\\u00", 4);
			out[k + 4] = hex[ch >> 4];
			out[k + 5] = hex[ch & 15];
			k += 6;
		} else {
			out[k++] = (char)ch;
		}
	}
	return k;
}

static size_t put(char *out, const char *s)
{
	size_t n = strlen(s);
	memcpy(out, s, n);
	return n;
}

size_t mon_log_line(char *out, const char *stream, const char *data, size_t len, const struct timespec *ts)
{
	size_t k = put(out, "{\"log\":\"");
	k += mon_json_escape(out + k, data, len);
	k += put(out + k, "\",\"stream\":\"");
	k += put(out + k, stream);
	k += put(out + k, "\",\"time\":\"");
	k += mon_rfc3339(out + k, 40, ts);
	k += put(out + k, "\"}\n");
	return k;
}

/* A JSON string member, or nothing when s is NULL (json-c leaves out what was never set). */
static int str_member(char *out, size_t cap, size_t *k, const char *key, const char *s)
{
	if (s == NULL)
		return 0;
	size_t need = strlen(key) + strlen(s) * 6 + 8;
	if (*k + need >= cap)
		return -1;
	*k += (size_t)snprintf(out + *k, cap - *k, ",\"%s\":\"", key);
	*k += mon_json_escape(out + *k, s, strlen(s));
	out[(*k)++] = '"';
	return 0;
}

int mon_state_json(char *out, size_t cap, const struct mon_state *s)
{
	int n = snprintf(out, cap,
			 "{\"status\":\"%s\",\"pid\":%d,\"monitorPid\":%d,\"monitorStart\":%" PRIu64
			 ",\"exitCode\":%d",
			 s->status, (int)s->pid, (int)s->monitor_pid, s->monitor_start, s->exit_code);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	size_t k = (size_t)n;
	if (str_member(out, cap, &k, "startedAt", s->started_at) < 0 ||
	    str_member(out, cap, &k, "finishedAt", s->finished_at) < 0)
		return -1;
	n = snprintf(out + k, cap - k, ",\"oomKilled\":%s,\"timedOut\":%s,\"restartCount\":%d",
		     s->oom_killed ? "true" : "false", s->timed_out ? "true" : "false", s->restart_count);
	if (n < 0 || (size_t)n >= cap - k)
		return -1;
	k += (size_t)n;
	if (str_member(out, cap, &k, "error", s->error) < 0 || k + 2 >= cap)
		return -1;
	out[k++] = '}';
	out[k] = '\0';
	return (int)k;
}
