/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The small monitor's pure helpers (engine/monitor/lib.c): its command line, and the JSON records it
 * writes by hand (json-file log lines, the fallback state record). libc only; unit-tested against the
 * engine's json-c readers.
 */
#ifndef CAPSA_MONITOR_MON_H
#define CAPSA_MONITOR_MON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define MON_MAX_CLIENTS 32
/* A log line holds at most this many bytes of output: longer writes are split. */
#define MON_LOG_CHUNK 16384
/* Enough for any log line of MON_LOG_CHUNK bytes (each byte escapes to at most 6). */
#define MON_LOG_LINE_MAX (MON_LOG_CHUNK * 6 + 128)

struct mon_args {
	const char *id, *root, *capsa, *log_name, *started_at;
	int dir_fd, out_fd, err_fd, in_fd, master_fd, listen_fd, log_fd;
	int capsa_fd; /* O_PATH of the capsa binary the monitor came from: survives its replacement */
	pid_t init;
	int64_t log_max_size, log_max_file;
	int64_t timeout_ns; /* what is left of --timeout */
	int64_t running_ns; /* how long the container has run already (under the full monitor) */
	int stop_timeout, stop_signal, restart_count;
	uint64_t monitor_start;
	bool created; /* created, not started: START runs `capsa-monitor-full __monitor-start` */
	struct {
		int fd;
		uint32_t flags;
	} clients[MON_MAX_CLIENTS];
	size_t n_clients;
};

/*
 * Parses KEY=VALUE arguments (argv[0] is the program). Unset fds are -1. On error returns -1 with a
 * message naming the argument and the reason in errbuf.
 */
int mon_args_parse(int argc, char **argv, struct mon_args *a, char *errbuf, size_t errlen);

/* "2026-11-28T15:51:07.123456789Z" into buf (at least 40 bytes); returns the length. */
size_t mon_rfc3339(char *buf, size_t cap, const struct timespec *ts);
/* Appends s[0..len) JSON-escaped to out (room for len * 6 bytes); returns the bytes written. */
size_t mon_json_escape(char *out, const char *s, size_t len);
/* One json-file log line ({"log","stream","time"} and a newline) into out (MON_LOG_LINE_MAX bytes, len at
 * most MON_LOG_CHUNK); returns its length. */
size_t mon_log_line(char *out, const char *stream, const char *data, size_t len, const struct timespec *ts);

struct mon_state {
	const char *status;
	pid_t pid, monitor_pid;
	uint64_t monitor_start;
	int exit_code, restart_count;
	const char *started_at, *finished_at, *error; /* NULL: left out */
	bool oom_killed, timed_out;
};
/* The container's state record as the engine writes it (state.json), into out; returns its length or
 * -1 when cap is too small. */
int mon_state_json(char *out, size_t cap, const struct mon_state *s);

#endif
