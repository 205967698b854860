/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine/: the parsers of `capsa run` flag values, json-file log lines and records, with bad input. */
#define _GNU_SOURCE
#include "common/cleanup.h"
#include "common/util.h"
#include "engine/engine.h"
#include "tests/unit/tap.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static void memory(void)
{
	static const struct {
		const char *in;
		int64_t want;
	} good[] = {
		{"1024", 1024},
		{"10b", 10},
		{"1k", 1024},
		{"512m", 512LL << 20},
		{"512M", 512LL << 20},
		{"1g", 1LL << 30},
		{"1.5g", 3LL << 29},
		{"2GB", 2LL << 30},
		{"1GiB", 1LL << 30},
		{"1t", 1LL << 40},
		{"0", 0},
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		struct capsa_error *err = NULL;
		int64_t v = -1;
		int r = capsa_parse_memory(good[i].in, &v, &err);
		ok(r == 0 && v == good[i].want, "memory %s = %lld (got %lld)", good[i].in,
		   (long long)good[i].want, (long long)v);
		capsa_error_free(err);
	}
	static const char *const bad[] = {"", "m", "-1", "12q", "1.g", "1gg", "1 g", "99999999999p", "0x10"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct capsa_error *err = NULL;
		int64_t v;
		int r = capsa_parse_memory(bad[i], &v, &err);
		ok(r < 0 && err && strstr(err->msg, "invalid size"), "memory \"%s\" refused: %s", bad[i],
		   err ? err->msg : "(no error)");
		capsa_error_free(err);
	}
}

static void durations(void)
{
	static const struct {
		const char *in;
		int64_t want;
	} good[] = {
		{"10", 10000000000LL},	     {"10s", 10000000000LL},
		{"1m30s", 90000000000LL},    {"250ms", 250000000LL},
		{"2h", 7200000000000LL},     {"1.5s", 1500000000LL},
		{"100us", 100000LL},	     {"7ns", 7},
		{"1h1m1s", 3661000000000LL},
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		struct capsa_error *err = NULL;
		int64_t v = -1;
		int r = capsa_parse_duration(good[i].in, &v, &err);
		ok(r == 0 && v == good[i].want, "duration %s = %lld ns (got %lld)", good[i].in,
		   (long long)good[i].want, (long long)v);
		capsa_error_free(err);
	}
	static const char *const bad[] = {"", "s", "10x", "10parsecs", "-5s", "1s2", "1..5s", "ms10"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct capsa_error *err = NULL;
		int64_t v;
		int r = capsa_parse_duration(bad[i], &v, &err);
		ok(r < 0 && err && strstr(err->msg, "invalid duration"), "duration \"%s\" refused", bad[i]);
		capsa_error_free(err);
	}
}

static void timestamps(void)
{
	/* A fixed zone 5:30 east of UTC, as a POSIX TZ rule (no tzdata needed): local times move by it. */
	setenv("TZ", "CAPSA-5:30", 1);
	tzset();
	const int64_t S = 1000000000LL, now = 1795910400LL * S; /* 2026-11-29T00:00:00Z */
	const int64_t t8 = now + 8 * 3600 * S;			/* 2026-11-29T08:00:00Z */
	static const struct {
		const char *in;
		int64_t want;
	} good[] = {
		{"10m", now - 600 * S},
		{"1h30m", now - 5400 * S},
		{"250ms", now - 250000000LL},
		{"1732867290", 1732867290LL * S},
		{"1732867290.5", 1732867290LL * S + 500000000LL},
		{"0", 0},
		{"2026-11-29T08:00:00Z", t8},
		{"2026-11-29t08:00:00z", t8},
		{"2026-11-29T08:00:00.25Z", t8 + 250000000LL},
		{"2026-11-29T08:00:00.123456789123Z", t8 + 123456789LL},
		{"2026-11-29T13:30:00+05:30", t8},
		{"2026-11-29T03:00:00-05:00", t8},
		{"2026-11-29T03:00:00-0500", t8},
		{"2026-11-29T13:30:00", t8},
		{"2026-11-29T13:30", t8},
		{"2026-11-29T13", t8 - 1800 * S},
		{"2026-11-29", now - 19800 * S},
		{"2026-11-29Z", now},
		{"2024-02-29T00:00:00Z", 1709164800LL * S},
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		struct capsa_error *err = NULL;
		int64_t v = -1;
		int r = capsa_parse_timestamp(good[i].in, now, &v, &err);
		ok(r == 0 && v == good[i].want, "time %s = %lld (got %lld%s%s)", good[i].in,
		   (long long)good[i].want, (long long)v, err ? ": " : "", err ? err->msg : "");
		capsa_error_free(err);
	}
	static const char *const bad[] = {"",
					  "yesterday",
					  "10x",
					  "12abc",
					  "1.2.3",
					  "-5m",
					  "2026-13-01",
					  "2026-11-31",
					  "2025-02-29",
					  "2026-11-29T25:00:00Z",
					  "2026-11-29T08:60Z",
					  "2026-11-29T08:00:00+5",
					  "2026-11-29T08:00:00+05:30x",
					  "2026-11-29X",
					  "2026-11-29T08:00:00.Z",
					  "26-11-29",
					  "9999-12-31T00:00:00Z",
					  "1600-01-01"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct capsa_error *err = NULL;
		int64_t v;
		int r = capsa_parse_timestamp(bad[i], now, &v, &err);
		ok(r < 0 && err && err->errnum == EINVAL && strstr(err->msg, "invalid time"),
		   "time \"%s\" refused: %s", bad[i], err ? err->msg : "");
		capsa_error_free(err);
	}
	unsetenv("TZ");
	tzset();
}

static void cpus(void)
{
	struct capsa_error *err = NULL;
	int64_t v;
	ok(capsa_parse_cpus("1.5", &v, &err) == 0 && v == 1500000000LL, "cpus 1.5");
	ok(capsa_parse_cpus("0.001", &v, &err) == 0 && v == 1000000LL, "cpus 0.001");
	static const char *const bad[] = {"", "abc", "0", "-1", "1.5x", "0.0001"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		capsa_error_clear(&err);
		ok(capsa_parse_cpus(bad[i], &v, &err) < 0 && err, "cpus \"%s\" refused", bad[i]);
	}
	capsa_error_free(err);
}

static void env(void)
{
	setenv("CAPSA_TEST_FROM_HOST", "hostval", 1);
	unsetenv("CAPSA_TEST_UNSET");
	char **e = NULL;
	size_t n = 0;
	struct capsa_error *err = NULL;
	const char *text =
		"# comment\n\nA=1\r\nB=two words=x\n  CAPSA_TEST_FROM_HOST\nCAPSA_TEST_UNSET\nC=\n";
	ok(capsa_parse_env_file(text, "f", &e, &n, &err) == 0, "env file parses");
	is_int(n, 4, "four variables (an unset bare name is dropped)");
	is_str(e[0], "A=1", "CRLF stripped");
	is_str(e[1], "B=two words=x", "value keeps = and spaces");
	is_str(e[2], "CAPSA_TEST_FROM_HOST=hostval", "bare name taken from the environment");
	is_str(e[3], "C=", "empty value");
	capsa_strv_free(e);
	e = NULL;
	n = 0;
	ok(capsa_parse_env_file("A=1\n=oops\n", "bad.env", &e, &n, &err) < 0 &&
		   strstr(err->msg, "bad.env: line 2"),
	   "empty name refused with file and line: %s", err ? err->msg : "");
	capsa_error_clear(&err);
	capsa_strv_free(e);
	e = NULL;
	n = 0;
	ok(capsa_parse_env_file("BAD NAME=1\n", "x", &e, &n, &err) < 0, "blank in a name refused");
	capsa_error_clear(&err);
	ok(capsa_parse_env_arg("K=V", &e, &n, &err) == 0 && n == 1 && strcmp(e[0], "K=V") == 0, "-e K=V");
	ok(capsa_parse_env_arg("=V", &e, &n, &err) < 0, "-e =V refused");
	capsa_error_free(err);
	capsa_strv_free(e);
}

static void mounts(void)
{
	struct capsa_mount_spec m;
	struct capsa_error *err = NULL;
	ok(capsa_parse_volume("/host:/ctr:ro", &m, &err) == 0 && m.kind == CAPSA_MOUNT_BIND && m.readonly &&
		   strcmp(m.source, "/host") == 0 && strcmp(m.destination, "/ctr") == 0,
	   "-v /host:/ctr:ro");
	capsa_mount_spec_clear(&m);
	ok(capsa_parse_volume("data:/v", &m, &err) == 0 && m.kind == CAPSA_MOUNT_VOLUME && !m.readonly &&
		   strcmp(m.source, "data") == 0,
	   "-v data:/v is a named volume");
	capsa_mount_spec_clear(&m);
	ok(capsa_parse_volume("/anon", &m, &err) == 0 && m.kind == CAPSA_MOUNT_VOLUME && m.source == NULL,
	   "-v /anon is an anonymous volume");
	capsa_mount_spec_clear(&m);
	ok(capsa_parse_volume("/h:/c:rshared,ro", &m, &err) == 0 && m.readonly &&
		   strcmp(m.propagation, "rshared") == 0,
	   "propagation and ro together");
	capsa_mount_spec_clear(&m);
	static const char *const bad_v[] = {"",	      ":",	  "/h:",	":/c",	"/h:c",	  "rel/p:/c",
					    "./x:/c", "/h:/c:xx", "/h:/c:ro:x", "/h:/", "b@d:/c", "/h::/c"};
	for (size_t i = 0; i < ARRAY_SIZE(bad_v); i++) {
		capsa_error_clear(&err);
		ok(capsa_parse_volume(bad_v[i], &m, &err) < 0 && err &&
			   strstr(err->msg, "invalid volume specification"),
		   "-v \"%s\" refused: %s", bad_v[i], err ? err->msg : "");
	}
	capsa_error_clear(&err);
	ok(capsa_parse_mount("type=bind,source=/a,target=/b,readonly", &m, &err) == 0 &&
		   m.kind == CAPSA_MOUNT_BIND && m.readonly,
	   "--mount bind readonly");
	capsa_mount_spec_clear(&m);
	ok(capsa_parse_mount("type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1770", &m, &err) == 0 &&
		   m.kind == CAPSA_MOUNT_TMPFS && m.tmpfs_size == 1 << 20 && m.tmpfs_mode == 01770,
	   "--mount tmpfs with size and mode");
	capsa_mount_spec_clear(&m);
	ok(capsa_parse_mount("target=/v,src=vol", &m, &err) == 0 && m.kind == CAPSA_MOUNT_VOLUME,
	   "volume by default");
	capsa_mount_spec_clear(&m);
	static const char *const bad_m[] = {"type=nfs,target=/x",
					    "type=bind,target=/x",
					    "type=bind,source=rel,target=/x",
					    "type=tmpfs,source=/a,target=/x",
					    "type=bind,source=/a",
					    "target=/x,readonly=maybe",
					    "type=tmpfs,target=/x,tmpfs-mode=9",
					    "type=tmpfs,target=/x,tmpfs-size=lots",
					    "target=/x,bogus=1",
					    "target=x"};
	for (size_t i = 0; i < ARRAY_SIZE(bad_m); i++) {
		capsa_error_clear(&err);
		ok(capsa_parse_mount(bad_m[i], &m, &err) < 0 && err && strstr(err->msg, "invalid mount spec"),
		   "--mount \"%s\" refused: %s", bad_m[i], err ? err->msg : "");
	}
	capsa_error_clear(&err);
	ok(capsa_parse_tmpfs("/run:size=1m,noexec", &m, &err) == 0 &&
		   strcmp(m.tmpfs_options, "size=1m,noexec") == 0,
	   "--tmpfs with options");
	capsa_mount_spec_clear(&m);
	ok(capsa_parse_tmpfs("run", &m, &err) < 0, "--tmpfs relative refused");
	capsa_error_clear(&err);
	ok(capsa_parse_tmpfs("/run:size=1m;rm -rf", &m, &err) < 0, "--tmpfs odd options refused");
	capsa_error_free(err);
}

static void restart_and_ulimit(void)
{
	enum capsa_restart p;
	int max;
	struct capsa_error *err = NULL;
	ok(capsa_parse_restart("on-failure:5", &p, &max, &err) == 0 && p == CAPSA_RESTART_ON_FAILURE &&
		   max == 5,
	   "on-failure:5");
	ok(capsa_parse_restart("always", &p, &max, &err) == 0 && p == CAPSA_RESTART_ALWAYS, "always");
	ok(capsa_parse_restart("unless-stopped", &p, &max, &err) == 0 && p == CAPSA_RESTART_UNLESS_STOPPED,
	   "unless-stopped");
	ok(capsa_parse_restart("no", &p, &max, &err) == 0 && p == CAPSA_RESTART_NO, "no");
	static const char *const bad[] = {"sometimes", "on-failure:", "on-failure:-1", "on-failure:x",
					  "always:3"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		capsa_error_clear(&err);
		ok(capsa_parse_restart(bad[i], &p, &max, &err) < 0, "restart \"%s\" refused", bad[i]);
	}
	capsa_error_clear(&err);
	struct oci_rlimit rl;
	ok(capsa_parse_ulimit("nofile=1024:2048", &rl, &err) == 0 && rl.resource == RLIMIT_NOFILE &&
		   rl.soft == 1024 && rl.hard == 2048 && strcmp(rl.type, "RLIMIT_NOFILE") == 0,
	   "ulimit nofile=1024:2048");
	free(rl.type);
	static const char *const bad_u[] = {"nofile", "nofiles=1", "nofile=2048:1024", "nofile=x",
					    "nproc=-5"};
	for (size_t i = 0; i < ARRAY_SIZE(bad_u); i++) {
		capsa_error_clear(&err);
		ok(capsa_parse_ulimit(bad_u[i], &rl, &err) < 0, "ulimit \"%s\" refused", bad_u[i]);
	}
	capsa_error_clear(&err);
	ok(capsa_container_name_validate("web-1.a_b", &err) == 0, "name web-1.a_b");
	ok(capsa_container_name_validate("/web", &err) == 0, "name with a leading slash");
	static const char *const bad_n[] = {"", "-x", "a b", "a/b", "x!"};
	for (size_t i = 0; i < ARRAY_SIZE(bad_n); i++) {
		capsa_error_clear(&err);
		ok(capsa_container_name_validate(bad_n[i], &err) < 0, "name \"%s\" refused", bad_n[i]);
	}
	capsa_error_free(err);
}

static void log_lines(void)
{
	struct timespec ts = {.tv_sec = 1700000000, .tv_nsec = 123456789};
	const char data[] = "a\"b\\c\x01\0z\n";
	_cleanup_free_ char *line = capsa_log_line("stderr", data, sizeof(data) - 1, &ts);
	is_str(line,
	       "{\"log\":\"a\\\"b\\\\c\\u0001\\u0000z\\n\",\"stream\":\"stderr\",\"time\":\"2023-11-14T22:13:20.123456789Z\"}\n",
	       "log line escapes quotes, backslashes, control bytes and NUL");
	char *stream = NULL, *log = NULL;
	size_t len = 0;
	int64_t t = 0;
	struct capsa_error *err = NULL;
	ok(capsa_log_line_parse(line, &stream, &log, &len, &t, &err) == 0, "log line parses back");
	ok(len == sizeof(data) - 1 && memcmp(log, data, len) == 0, "log data round-trips (with the NUL)");
	is_str(stream, "stderr", "stream");
	is_int(t, 1700000000123456789LL, "time in ns");
	free(stream);
	free(log);
	static const char *const bad[] = {"", "{}", "{\"log\":1,\"stream\":\"stdout\",\"time\":\"x\"}",
					  "not json", "{\"log\":\"x\",\"stream\":\"stdout\"}"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		capsa_error_clear(&err);
		ok(capsa_log_line_parse(bad[i], &stream, &log, &len, &t, &err) < 0,
		   "bad log line %zu refused", i);
	}
	capsa_error_free(err);
}

static void detach_keys(void)
{
	char *k = NULL;
	struct capsa_error *err = NULL;
	ok(capsa_parse_detach_keys("ctrl-p,ctrl-q", &k, &err) == 0 && strcmp(k, "\x10\x11") == 0,
	   "ctrl-p,ctrl-q");
	free(k);
	ok(capsa_parse_detach_keys("a,ctrl-[", &k, &err) == 0 && strcmp(k, "a\x1b") == 0, "a,ctrl-[");
	free(k);
	static const char *const bad[] = {"", ",", "ctrl-", "ctrl-1", "shift-a", "ab", "ctrl-@"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		capsa_error_clear(&err);
		ok(capsa_parse_detach_keys(bad[i], &k, &err) < 0 && err, "detach keys \"%s\" refused",
		   bad[i]);
	}
	capsa_error_free(err);
}

int main(void)
{
	detach_keys();
	memory();
	durations();
	timestamps();
	cpus();
	env();
	mounts();
	restart_and_ulimit();
	log_lines();
	return tap_done();
}
