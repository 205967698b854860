/* SPDX-License-Identifier: GPL-2.0-or-later */
/* common/error.h chains and common/log.h: JSON escaping checked against json-c, log lines as podman reads
 * them. */
#define _GNU_SOURCE
#include "tap.h"
#include "common/error.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail_with(struct capsa_error **err, int errnum, const char *what)
{
	return capsa_error_set(err, errnum, "%s", what);
}

static int middle(struct capsa_error **err)
{
	if (fail_with(err, ENOENT, "open /etc/missing") < 0)
		return capsa_error_prefix(err, "mount %s", "/proc");
	return 0;
}

static void test_chain(void)
{
	struct capsa_error *err = NULL;
	is_int(middle(&err), -1, "a failing call returns -1");
	if (capsa_error_prefix(&err, "create %s", "c1") != -1)
		ok(0, "prefix returns -1");
	ok(err != NULL, "the error is set");
	is_int(err->errnum, ENOENT, "errnum travels up unchanged");
	is_str(err->msg, "create c1: mount /proc: open /etc/missing", "context is prepended at each level");
	_cleanup_free_ char *text = capsa_error_text(err);
	is_str(text, "create c1: mount /proc: open /etc/missing: No such file or directory",
	       "text ends with strerror");

	/* The first error wins: cleanup failing later must not hide the cause. */
	is_int(capsa_error_set(&err, EPERM, "cleanup failed"), -1, "a second set still returns -1");
	is_int(err->errnum, ENOENT, "a second set keeps the first errnum");
	ok(strstr(err->msg, "cleanup") == NULL, "a second set keeps the first message");
	capsa_error_clear(&err);
	ok(err == NULL, "clear empties the pointer");
	capsa_error_clear(&err);
	capsa_error_clear(NULL);
	ok(1, "clearing an empty error or NULL is harmless");
}

static void test_said(void)
{
	/* A message that words its reason keeps errnum for callers and prints without strerror. */
	struct capsa_error *err = NULL;
	is_int(capsa_error_say(&err, ENOENT, "No such container: %s", "web"), -1, "say returns -1");
	ok(err && err->errnum == ENOENT && err->said, "errnum kept, marked said");
	capsa_error_prefix(&err, "stop");
	_cleanup_free_ char *text = capsa_error_text(err);
	is_str(text, "stop: No such container: web", "no strerror after it, through a prefix too");
	/* the first error wins: a later say neither replaces it nor marks it */
	struct capsa_error *first = NULL;
	capsa_error_set(&first, EIO, "read x");
	capsa_error_say(&first, ENOENT, "No such container: y");
	_cleanup_free_ char *t2 = capsa_error_text(first);
	is_str(t2, "read x: Input/output error", "an earlier error is kept as it was");
	is_int(capsa_error_say(NULL, EINVAL, "nowhere"), -1, "say with no place to put it still returns -1");
	capsa_error_free(err);
	capsa_error_free(first);
}

static void test_edges(void)
{
	is_int(capsa_error_set(NULL, EIO, "nobody listens"), -1, "set with no out-parameter returns -1");
	struct capsa_error *err = NULL;
	is_int(capsa_error_prefix(&err, "x"), -1, "prefix with no error returns -1");
	ok(err == NULL, "prefix with no error does not invent one");
	is_int(capsa_error_prefix(NULL, "x"), -1, "prefix with no out-parameter returns -1");

	_cleanup_free_ char *unknown = capsa_error_text(NULL);
	is_str(unknown, "unknown error", "text of no error");

	capsa_error_set(&err, 0, "bad value %s for %s", "%s%n", "memory");
	_cleanup_free_ char *t0 = capsa_error_text(err);
	is_str(t0, "bad value %s%n for memory",
	       "errnum 0: the message alone; conversions in arguments stay text");
	capsa_error_clear(&err);

	errno = EACCES;
	capsa_error_errno(&err, "open %s", "x");
	is_int(err->errnum, EACCES, "capsa_error_errno takes errno");
	capsa_error_clear(&err);

	_cleanup_free_ char *big = xmalloc(100001);
	memset(big, 'a', 100000);
	big[100000] = '\0';
	capsa_error_set(&err, 0, "%s", big);
	for (int i = 0; i < 100; i++)
		capsa_error_prefix(&err, "level %d", i);
	ok(strlen(err->msg) > 100000 && capsa_str_has_prefix(err->msg, "level 99: level 98: "),
	   "a long message with 100 prefixes keeps them all in order");
	capsa_error_clear(&err);

	{
		_cleanup_error_ struct capsa_error *scoped = NULL;
		capsa_error_set(&scoped, EINVAL, "freed at the end of the scope");
	}
	ok(1, "_cleanup_error_ frees at scope exit (valgrind checks)");
}

/* Parses "\"" body "\"" with json-c and returns the decoded string (or NULL). */
static char *json_decode(const char *body)
{
	_cleanup_free_ char *doc = xasprintf("\"%s\"", body);
	struct json_object *o = json_tokener_parse(doc);
	if (o == NULL || !json_object_is_type(o, json_type_string)) {
		json_object_put(o);
		return NULL;
	}
	char *s = xstrdup(json_object_get_string(o));
	json_object_put(o);
	return s;
}

static void test_json_escape(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{"", ""},
		{"plain", "plain"},
		{"say \"hi\"", "say \\\"hi\\\""},
		{"C:\\dir", "C:\\\\dir"},
		{"a\nb\tc\rd", "a\\nb\\tc\\rd"},
		{"\x01\x1f", "\\u0001\\u001f"},
		{"\b\f", "\\u0008\\u000c"},
		{"del \x7f stays", "del \x7f stays"},
		{"caf\xc3\xa9 \xe2\x9c\x93", "caf\xc3\xa9 \xe2\x9c\x93"},
		{"</script>", "</script>"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *got = capsa_json_escape(cases[i].in);
		is_str(got, cases[i].want, "escape case %zu", i);
	}

	/* Every byte value, alone and as the worst case (all control characters, 6 bytes each). */
	int bad = 0;
	char all[256];
	for (int c = 1; c < 256; c++) {
		char s[2] = {(char)c, '\0'};
		all[c - 1] = (char)c;
		_cleanup_free_ char *esc = capsa_json_escape(s);
		_cleanup_free_ char *back = c < 0x80 ? json_decode(esc) : NULL;
		if (c < 0x80 && (back == NULL || strcmp(back, s) != 0))
			bad++;
	}
	is_int(bad, 0, "each ASCII byte escapes to JSON that decodes back to it");
	all[255] = '\0';
	_cleanup_free_ char *ascii = xstrndup(all, 127);
	_cleanup_free_ char *esc = capsa_json_escape(ascii);
	_cleanup_free_ char *back = json_decode(esc);
	is_str(back, ascii, "all ASCII at once round-trips");

	char ctl[33];
	for (int i = 0; i < 32; i++)
		ctl[i] = (char)(i % 2 ? 0x01 : 0x1f);
	ctl[32] = '\0';
	_cleanup_free_ char *cesc = capsa_json_escape(ctl);
	is_int(strlen(cesc), 32 * 6, "control characters take 6 bytes each (the allocation's worst case)");
}

static void test_log_file(void)
{
	char dir[] = "/tmp/capsa-test-log-XXXXXX";
	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	struct capsa_error *err = NULL;
	_cleanup_free_ char *missing = xasprintf("%s/no/such/dir/log", dir);
	is_int(capsa_log_init(missing, CAPSA_LOG_JSON, CAPSA_LOG_INFO, &err), -1,
	       "a log in a missing dir fails");
	ok(err && strstr(err->msg, missing) && err->errnum == ENOENT, "the error names the log file: %s",
	   err ? err->msg : "");
	capsa_error_clear(&err);

	_cleanup_free_ char *path = xasprintf("%s/log.json", dir);
	is_int(capsa_log_init(path, CAPSA_LOG_JSON, CAPSA_LOG_INFO, &err), 0, "JSON log to a file");
	ok(capsa_log_fd() >= 0, "the log fd is exposed for children");
	ok(fcntl(capsa_log_fd(), F_GETFD) & FD_CLOEXEC, "the log fd is close-on-exec");
	const char *hostile = "quote \" backslash \\ newline\nbell \a end";
	errno = EXDEV;
	capsa_warn("%s", hostile);
	is_int(errno, EXDEV, "logging keeps errno");
	capsa_debug("not written at info level");
	capsa_info("second");

	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	if (capsa_read_file_at(AT_FDCWD, path, 0, &data, &len, &err) < 0) {
		ok(0, "read the log: %s", err->msg);
		capsa_error_clear(&err);
	} else {
		int lines = 0, good = 0;
		char *save = NULL;
		for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			lines++;
			struct json_object *o = json_tokener_parse(l), *lv, *msg, *tm;
			if (o && json_object_object_get_ex(o, "level", &lv) &&
			    json_object_object_get_ex(o, "msg", &msg) &&
			    json_object_object_get_ex(o, "time", &tm)) {
				const char *t = json_object_get_string(tm);
				bool rfc = strlen(t) == 30 && t[4] == '-' && t[10] == 'T' && t[29] == 'Z';
				if (lines == 1 && !strcmp(json_object_get_string(lv), "warning") &&
				    !strcmp(json_object_get_string(msg), hostile) && rfc)
					good++;
				if (lines == 2 && !strcmp(json_object_get_string(lv), "info") &&
				    !strcmp(json_object_get_string(msg), "second") && rfc)
					good++;
			}
			json_object_put(o);
		}
		is_int(lines, 2, "one line per message, debug filtered out");
		is_int(good, 2,
		       "each line is a JSON object with level, the exact message and an RFC 3339 time");
	}

	_cleanup_free_ char *tpath = xasprintf("%s/log.txt", dir);
	capsa_log_set_program("capsa-test");
	is_int(capsa_log_init(tpath, CAPSA_LOG_TEXT, CAPSA_LOG_WARN, &err), 0, "text log to a file");
	capsa_log_error("boom %d", 42);
	capsa_info("filtered");
	_cleanup_free_ char *text = NULL;
	if (capsa_read_file_at(AT_FDCWD, tpath, 0, &text, NULL, &err) < 0) {
		capsa_error_clear(&err);
		ok(0, "read the text log");
	} else {
		_cleanup_free_ char *want = xasprintf(" capsa-test[%d]: error: boom 42\n", (int)getpid());
		ok(strstr(text, want) != NULL && strchr(text, '\n') == text + strlen(text) - 1,
		   "text line: time program[pid]: level: message");
	}
	capsa_log_set_program("capsa");
	capsa_rm_rf_at(AT_FDCWD, dir);
}

int main(void)
{
	test_chain();
	test_said();
	test_edges();
	test_json_escape();
	test_log_file();
	return tap_done();
}
