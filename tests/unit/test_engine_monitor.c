/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * engine/monitor/: the small monitor's hand-written JSON is byte for byte what the engine writes and reads
 * back with json-c (log lines, the state record); its command line refuses what it cannot use.
 */
#define _GNU_SOURCE
#include "common/cleanup.h"
#include "common/util.h"
#include "engine/internal.h"
#include "engine/monitor/lib.c"
#include "tests/unit/tap.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static char line[MON_LOG_LINE_MAX];

static void log_line_same_as_engine(const char *what, const char *data, size_t len)
{
	struct timespec ts = {.tv_sec = 1764345067, .tv_nsec = 5};
	size_t n = mon_log_line(line, "stderr", data, len, &ts);
	_cleanup_free_ char *want = capsa_log_line("stderr", data, len, &ts);
	ok(n == strlen(want) && memcmp(line, want, n) == 0, "log line for %s: same bytes as capsa_log_line",
	   what);
	line[n] = '\0';
	char *stream = NULL, *log = NULL;
	size_t log_len = 0;
	int64_t t = 0;
	struct capsa_error *err = NULL;
	line[n - 1] = '\0'; /* the newline */
	int r = capsa_log_line_parse(line, &stream, &log, &log_len, &t, &err);
	ok(r == 0 && log_len == len && memcmp(log, data, len) == 0 && strcmp(stream, "stderr") == 0 &&
		   t == 1764345067000000005LL,
	   "log line for %s: parses back to the same data, stream and time", what);
	free(stream);
	free(log);
	capsa_error_free(err);
}

static void log_lines(void)
{
	log_line_same_as_engine("plain text", "hello\n", 6);
	log_line_same_as_engine("quotes and backslashes", "a\"b\\c\n", 6);
	log_line_same_as_engine("control bytes and NUL", "\x01\x1f\x7f\0\t\r\n", 7);
	log_line_same_as_engine("UTF-8", "h\xc3\xa9llo \xe2\x82\xac", 11);
	static char big[MON_LOG_CHUNK];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i % 256);
	log_line_same_as_engine("a full chunk of every byte value", big, sizeof(big));
	char ts[40];
	struct timespec t0 = {0, 0};
	is_str((mon_rfc3339(ts, sizeof(ts), &t0), ts), "1970-01-01T00:00:00.000000000Z",
	       "rfc3339 of the epoch");
}

static void state_record(void)
{
	struct mon_state s = {.status = "exited",
			      .pid = 0,
			      .monitor_pid = 4242,
			      .monitor_start = 987654321,
			      .exit_code = 137,
			      .restart_count = 3,
			      .started_at = "2026-11-28T15:57:41.179626927Z",
			      .finished_at = "2026-11-28T15:57:42.213211896Z",
			      .error = "bad \"thing\"\n\\",
			      .timed_out = true};
	char json[1024];
	int n = mon_state_json(json, sizeof(json), &s);
	ok(n > 0 && (size_t)n == strlen(json), "state record written");
	struct capsa_ctr c = {0};
	struct capsa_error *err = NULL;
	ok(ctr_state_parse(json, &c, &err) == 0, "the engine reads the state record");
	is_int(c.status, CAPSA_CTR_EXITED, "status");
	is_int(c.monitor_pid, 4242, "monitorPid");
	is_int(c.monitor_start, 987654321, "monitorStart");
	is_int(c.exit_code, 137, "exitCode");
	is_int(c.restart_count, 3, "restartCount");
	ok(c.timed_out && !c.oom_killed, "timedOut and oomKilled");
	is_str(c.started_at, s.started_at, "startedAt");
	is_str(c.finished_at, s.finished_at, "finishedAt");
	is_str(c.error, s.error, "error, escaped and back");
	/* The same bytes as the engine's own writer for the same state. */
	_cleanup_free_ char *want = ctr_state_json(&c);
	is_str(json, want, "same bytes as ctr_state_json");
	free(c.started_at);
	free(c.finished_at);
	free(c.error);
	capsa_error_free(err);
	s.error = NULL;
	s.started_at = NULL;
	n = mon_state_json(json, sizeof(json), &s);
	ok(n > 0 && strstr(json, "startedAt") == NULL && strstr(json, "error") == NULL,
	   "unset strings are left out");
	is_int(mon_state_json(json, 40, &s), -1, "too small a buffer is refused, not overrun");
}

/* The command lines parse() split: the parsed strings point into them, so they live until args() ends. */
static char *copies[64];
static size_t n_copies;

static int parse(const char *line_args, struct mon_args *a, char *err, size_t errlen)
{
	char *copy = xstrdup(line_args);
	if (n_copies < ARRAY_SIZE(copies))
		copies[n_copies++] = copy;
	char *argv[64] = {"capsa-monitor"};
	int argc = 1;
	for (char *save = NULL, *t = strtok_r(copy, " ", &save); t && argc < 63;
	     t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	int r = mon_args_parse(argc, argv, a, err, errlen);
	/* the parsed strings point into copy: keep it for the caller's checks */
	return r;
}

#define GOOD "id=abc123 root=/var/lib/capsa capsa=/usr/bin/capsa pid=42 dir=3 listen=4 out=5"

static void args(void)
{
	struct mon_args a;
	char err[256];
	ok(parse(GOOD
		 " err=6 in=7 log=8 log-name=abc-json.log log-max-size=1000 log-max-file=3 timeout-ns=5 "
		 "stop-timeout=-1 stop-signal=9 restart-count=2 monitor-start=77 started-at=2026 client=9:10 "
		 "client=11:8 capsa-fd=12 running-ns=250000000",
		 &a, err, sizeof(err)) == 0,
	   "a full command line parses");
	is_str(a.id, "abc123", "id");
	is_int(a.init, 42, "pid");
	is_int(a.dir_fd, 3, "dir");
	is_int(a.err_fd, 6, "err");
	is_int(a.master_fd, -1, "an fd not given is -1");
	is_int(a.capsa_fd, 12, "capsa-fd");
	is_int(a.log_max_size, 1000, "log-max-size");
	is_int(a.timeout_ns, 5, "timeout-ns");
	is_int(a.running_ns, 250000000, "running-ns: how long the full monitor ran the container");
	is_int(a.stop_timeout, -1, "stop-timeout -1 (wait forever)");
	is_int(a.stop_signal, 9, "stop-signal");
	is_int(a.n_clients, 2, "two clients");
	ok(a.clients[0].fd == 9 && a.clients[0].flags == 10 && a.clients[1].fd == 11 &&
		   a.clients[1].flags == 8,
	   "clients' fds and flags");
	ok(parse(GOOD, &a, err, sizeof(err)) == 0 && a.stop_signal == 15 && a.stop_timeout == 10 &&
		   !a.created && a.running_ns == 0,
	   "defaults: SIGTERM, 10 s, started, just now");
	ok(parse(GOOD " created=1", &a, err, sizeof(err)) == 0 && a.created, "created=1: waits for start");
	ok(parse(GOOD " created=0", &a, err, sizeof(err)) == 0 && !a.created, "created=0");

	static const struct {
		const char *line, *want;
	} bad[] = {
		{"root=/r capsa=/c pid=1 dir=3 listen=4 out=5", "argument \"id\": missing"},
		{GOOD " pid=0", "argument \"pid=0\": not a process id"},
		{GOOD " dir=-3", "argument \"dir=-3\": not a file descriptor"},
		{GOOD " dir= 3", "argument \"dir=\": not a file descriptor"},
		{GOOD " out=5x", "argument \"out=5x\": not a file descriptor"},
		{GOOD " id=../x", "argument \"id=../x\": not a container id"},
		{GOOD " root=relative", "argument \"root=relative\": not an absolute path"},
		{GOOD " log-name=a/b", "argument \"log-name=a/b\": not a file name"},
		{GOOD " log=8", "argument \"log-name\": missing (a log fd needs its name for rotation)"},
		{GOOD " stop-signal=65", "argument \"stop-signal=65\": not a signal number"},
		{GOOD " timeout-ns=-1", "argument \"timeout-ns=-1\": not a non-negative number"},
		{GOOD " running-ns=-5", "argument \"running-ns=-5\": not a non-negative number"},
		{GOOD " running-ns=1e9", "argument \"running-ns=1e9\": not a non-negative number"},
		{GOOD " log-max-size=99999999999999999999",
		 "argument \"log-max-size=99999999999999999999\": not a "
		 "non-negative number"},
		{GOOD " client=9", "argument \"client=9\": not FD:FLAGS"},
		{GOOD " client=9:-1", "argument \"client=9:-1\": not FD:FLAGS"},
		{GOOD " created=yes", "argument \"created=yes\": not 0 or 1"},
		{GOOD " created=", "argument \"created=\": not 0 or 1"},
		{GOOD " bogus=1", "argument \"bogus=1\": unknown key"},
		{GOOD " novalue", "argument \"novalue\": not KEY=VALUE"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		int r = parse(bad[i].line, &a, err, sizeof(err));
		ok(r == -1 && strcmp(err, bad[i].want) == 0, "refused: %s", bad[i].want);
		if (r != -1 || strcmp(err, bad[i].want) != 0)
			printf("#   got: %d '%s'\n", r, err);
	}
	char many[4096] = GOOD;
	for (int i = 0; i <= MON_MAX_CLIENTS; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), " client=%d:0", 20 + i);
	ok(parse(many, &a, err, sizeof(err)) == -1 && strstr(err, "too many clients"),
	   "more clients than it holds");
	while (n_copies)
		free(copies[--n_copies]);
}

/* The helper lookup: a program next to the running executable, nothing for a name that is not there. */
static void helper_path(void)
{
	_cleanup_free_ char *self = realpath("/proc/self/exe", NULL);
	_cleanup_free_ char *found = engine_helper_path("test_engine_monitor");
	is_str(found, self, "a program next to the executable is found by name");
	_cleanup_free_ char *none = engine_helper_path("capsa-test-no-such-helper");
	ok(none == NULL, "a missing helper is NULL");
	ok(sizeof(struct frame_finish) == 16, "the finish frame is 16 bytes on every ABI capsa builds for");
}

int main(void)
{
	helper_path();
	log_lines();
	state_record();
	args();
	return tap_done();
}
