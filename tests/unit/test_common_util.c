/* SPDX-License-Identifier: GPL-2.0-or-later */
/* common/util.h and common/signal.h: number and signal parsing at their limits, files, strv, /proc/PID/stat.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "common/signal.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmp[] = "/tmp/capsa-test-util-XXXXXX";
static int tmp_fd = -1;

/*
 * Bugs found here and fixed in common/: each stays a test.
 */
/* A bug found and fixed: the test names it so a regression says what came back. */
static void regression(int cond, const char *bug, const char *what)
{
	ok(cond, "%s (was: %s)", what, bug);
}

static void test_parse_numbers(void)
{
	uint64_t u = 1;
	is_int(capsa_parse_u64("0", &u), 0, "u64 0");
	is_int(u, 0, "u64 0 value");
	ok(capsa_parse_u64("18446744073709551615", &u) == 0 && u == UINT64_MAX, "u64 max");
	is_int(capsa_parse_u64("18446744073709551616", &u), -1, "u64 max+1 overflows");
	is_int(capsa_parse_u64("-1", &u), -1, "u64 rejects a sign");
	is_int(capsa_parse_u64("+1", &u), -1, "u64 rejects a plus");
	is_int(capsa_parse_u64("", &u), -1, "u64 rejects empty");
	is_int(capsa_parse_u64(NULL, &u), -1, "u64 rejects NULL");
	is_int(capsa_parse_u64("12a", &u), -1, "u64 rejects trailing garbage");
	is_int(capsa_parse_u64("12 ", &u), -1, "u64 rejects a trailing space");
	is_int(capsa_parse_u64("0x10", &u), -1, "u64 is decimal only");
	u = 0;
	/* strtoull skips leading blanks, then accepts the sign the first-character check was meant to refuse.
	 */
	regression(capsa_parse_u64(" -1", &u) < 0,
		   "common/util.c capsa_parse_u64: leading blank then '-' wraps",
		   "u64 rejects \" -1\" (would be 18446744073709551615)");
	regression(capsa_parse_u64(" 1", &u) < 0, "common/util.c: leading blanks accepted",
		   "u64 rejects \" 1\"");

	int64_t i = 0;
	ok(capsa_parse_i64("-9223372036854775808", &i) == 0 && i == INT64_MIN, "i64 min");
	ok(capsa_parse_i64("9223372036854775807", &i) == 0 && i == INT64_MAX, "i64 max");
	is_int(capsa_parse_i64("9223372036854775808", &i), -1, "i64 max+1 overflows");
	is_int(capsa_parse_i64("-9223372036854775809", &i), -1, "i64 min-1 overflows");
	is_int(capsa_parse_i64("-", &i), -1, "i64 rejects a lone sign");
	is_int(capsa_parse_i64("1e3", &i), -1, "i64 rejects exponents");
}

static void test_signals(void)
{
	static const struct {
		const char *s;
		int want;
	} cases[] = {
		{"TERM", SIGTERM},
		{"SIGTERM", SIGTERM},
		{"sigterm", SIGTERM},
		{"15", SIGTERM},
		{"KILL", SIGKILL},
		{"9", SIGKILL},
		{"IOT", SIGABRT},
		{"64", 64},
		{"0", -1},
		{"65", -1},
		{"-9", -1},
		{"", -1},
		{"SIG", -1},
		{"SIGSIGTERM", -1},
		{"TERMX", -1},
		{"SIGRTMAX+1", -1},
		{"RTMIN+", -1},
		{"RTMIN-1", -1},
		{"RTMAX+1", -1},
		{"RTMIN+100", -1},
		{"RTMIN+-1", -1},
		{"RTMAX--2", -1},
		{"99999999999999999999", -1},
	};
	for (size_t k = 0; k < ARRAY_SIZE(cases); k++)
		is_int(capsa_signal_parse(cases[k].s), cases[k].want, "signal \"%s\"", cases[k].s);
	is_int(capsa_signal_parse(NULL), -1, "signal NULL");
	is_int(capsa_signal_parse("RTMIN"), SIGRTMIN, "RTMIN");
	is_int(capsa_signal_parse("rtmin+2"), SIGRTMIN + 2, "rtmin+2");
	is_int(capsa_signal_parse("SIGRTMAX-1"), SIGRTMAX - 1, "SIGRTMAX-1");
	is_int(capsa_signal_parse("RTMAX"), SIGRTMAX, "RTMAX");
	/* (int)n truncates: 2^32 + 2 becomes 2, and RTMIN+INT_MAX overflows int (undefined behaviour). */
	regression(capsa_signal_parse("RTMIN+4294967298") == -1,
		   "common/signal.c:48 truncates the offset to int before the range check",
		   "RTMIN+4294967298 is not RTMIN+2");
	regression(capsa_signal_parse("RTMAX-4294967297") == -1,
		   "common/signal.c:48 truncates the offset to int", "RTMAX-4294967297 is not RTMAX-1");

	int bad = 0;
	for (int sig = 1; sig < 32; sig++) {
		const char *name = capsa_signal_name(sig);
		if (name == NULL || capsa_signal_parse(name) != sig)
			bad++;
		_cleanup_free_ char *with = name ? xasprintf("SIG%s", name) : NULL;
		if (with && capsa_signal_parse(with) != sig)
			bad++;
	}
	is_int(bad, 0, "every standard signal (1-31) has a name that parses back, with and without SIG");
	ok(capsa_signal_name(0) == NULL && capsa_signal_name(SIGRTMIN) == NULL &&
		   capsa_signal_name(999) == NULL,
	   "no name for 0, real-time or unknown signals");
}

static void test_strv(void)
{
	_cleanup_strv_ char **v = NULL;
	is_int(capsa_strv_len(v), 0, "strv_len(NULL)");
	ok(!capsa_strv_contains(v, "a"), "strv_contains(NULL)");
	for (int k = 0; k < 100; k++) {
		char s[16];
		snprintf(s, sizeof(s), "s%d", k);
		capsa_strv_push(&v, s);
	}
	is_int(capsa_strv_len(v), 100, "100 pushes");
	ok(capsa_strv_contains(v, "s0") && capsa_strv_contains(v, "s99") && !capsa_strv_contains(v, "s100"),
	   "contains the first and last, not others");
	_cleanup_strv_ char **d = capsa_strv_dup(v, 3);
	ok(capsa_strv_len(d) == 3 && strcmp(d[2], "s2") == 0 && d[0] != v[0],
	   "dup copies the first n strings");
	ok(capsa_str_has_prefix("capsa-test", "capsa") && capsa_str_has_prefix("x", "") &&
		   !capsa_str_has_prefix("ca", "capsa"),
	   "has_prefix");

	struct timespec ts = {.tv_sec = 1700000000, .tv_nsec = 5};
	_cleanup_free_ char *t = capsa_time_rfc3339(&ts);
	is_str(t, "2023-11-14T22:13:20.000000005Z", "RFC 3339 with nanoseconds in UTC");
	struct timespec zero = {0, 999999999};
	_cleanup_free_ char *z = capsa_time_rfc3339(&zero);
	is_str(z, "1970-01-01T00:00:00.999999999Z", "the epoch");
}

static int write_n(const char *name, size_t n)
{
	_cleanup_free_ char *buf = xmalloc(n + 1);
	memset(buf, 'x', n);
	struct capsa_error *err = NULL;
	int r = capsa_write_file_atomic_at(tmp_fd, name, buf, n, 0600, &err);
	capsa_error_clear(&err);
	return r;
}

static void test_files(void)
{
	struct capsa_error *err = NULL;
	_cleanup_free_ char *data = NULL;
	size_t len = 99;

	is_int(write_n("empty", 0), 0, "write an empty file");
	ok(capsa_read_file_at(tmp_fd, "empty", 0, &data, &len, &err) == 0 && len == 0 && data[0] == '\0',
	   "read an empty file: length 0, NUL-terminated");
	free(TAKE_PTR(data));

	is_int(write_n("big", 5000), 0, "write 5000 bytes");
	is_int(capsa_read_file_at(tmp_fd, "big", 4096, &data, &len, &err), -1,
	       "5000 bytes with a 4096 limit");
	ok(err && err->errnum == EFBIG && strstr(err->msg, "big"), "EFBIG naming the file: %s",
	   err ? err->msg : "");
	capsa_error_clear(&err);
	ok(capsa_read_file_at(tmp_fd, "big", 5001, &data, &len, &err) == 0 && len == 5000,
	   "limit above the size");
	free(TAKE_PTR(data));
	capsa_error_clear(&err);
	/* The loop reaches n == cap == max before it has seen EOF, so a file of exactly max bytes is refused.
	 */
	regression(capsa_read_file_at(tmp_fd, "big", 5000, &data, &len, &err) == 0,
		   "common/util.c capsa_read_fd: EFBIG at exactly max bytes",
		   "a file of exactly the limit is read");
	free(TAKE_PTR(data));
	capsa_error_clear(&err);

	is_int(capsa_read_file_at(tmp_fd, "missing", 0, &data, &len, &err), -1, "missing file");
	ok(err && err->errnum == ENOENT && strstr(err->msg, "missing"), "ENOENT naming the file");
	capsa_error_clear(&err);

	/* The atomic writer replaces a symlink at the name rather than writing through it. */
	is_int(write_n("outside", 3), 0, "a target file");
	ok(symlinkat("outside", tmp_fd, "link") == 0, "a symlink to it");
	is_int(capsa_write_file_atomic_at(tmp_fd, "link", "new", 3, 0640, &err), 0,
	       "write atomically to link");
	struct stat st;
	ok(fstatat(tmp_fd, "link", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
		   (st.st_mode & 07777) == 0640,
	   "the symlink became a regular file with the mode asked");
	ok(capsa_read_file_at(tmp_fd, "outside", 0, &data, &len, &err) == 0 && strcmp(data, "xxx") == 0,
	   "the symlink's target is untouched");
	free(TAKE_PTR(data));

	/* The mode is the one asked for whatever the umask, also over an existing file of another mode. */
	mode_t old_mask = umask(077);
	is_int(capsa_write_file_atomic_at(tmp_fd, "shared", "x", 1, 0644, &err), 0,
	       "write 0644 under umask 077");
	ok(fstatat(tmp_fd, "shared", &st, 0) == 0 && (st.st_mode & 07777) == 0644,
	   "it is 0644, not 0600 (%o)", st.st_mode & 07777);
	is_int(capsa_write_file_atomic_at(tmp_fd, "big", "y", 1, 0755, &err), 0,
	       "replace a 0600 file with 0755");
	ok(fstatat(tmp_fd, "big", &st, 0) == 0 && (st.st_mode & 07777) == 0755, "it is 0755 (%o)",
	   st.st_mode & 07777);
	umask(022);
	is_int(capsa_write_file_atomic_at(tmp_fd, "private", "x", 1, 0600, &err), 0,
	       "write 0600 under umask 022");
	ok(fstatat(tmp_fd, "private", &st, 0) == 0 && (st.st_mode & 07777) == 0600, "it stays 0600 (%o)",
	   st.st_mode & 07777);
	umask(old_mask);

	ok(mkdirat(tmp_fd, "adir", 0700) == 0, "a directory");
	is_int(capsa_write_file_atomic_at(tmp_fd, "adir", "x", 1, 0600, &err), -1,
	       "atomic write onto a directory fails");
	ok(err && strstr(err->msg, "adir"), "the error names it: %s", err ? err->msg : "");
	capsa_error_clear(&err);
	_cleanup_free_ char *tmpname = xasprintf("adir.tmp.%d", (int)getpid());
	ok(faccessat(tmp_fd, tmpname, F_OK, AT_SYMLINK_NOFOLLOW) < 0, "no temp file left behind");

	is_int(capsa_write_existing_at(tmp_fd, "nope", "1", 1, &err), -1, "write_existing does not create");
	capsa_error_clear(&err);
	ok(symlinkat("outside", tmp_fd, "link2") == 0, "another symlink");
	is_int(capsa_write_existing_at(tmp_fd, "link2", "1", 1, &err), -1,
	       "write_existing refuses a symlink");
	ok(err && err->errnum == ELOOP, "ELOOP");
	capsa_error_clear(&err);

	_cleanup_free_ char *deep = xasprintf("%s/a/b//c/d/", tmp);
	is_int(capsa_mkdir_p(deep, 0755, &err), 0, "mkdir -p with a double slash and a trailing slash");
	is_int(capsa_mkdir_p(deep, 0755, &err), 0, "mkdir -p again is fine");
	_cleanup_free_ char *through = xasprintf("%s/empty/sub", tmp);
	is_int(capsa_mkdir_p(through, 0755, &err), -1, "mkdir -p through a file fails");
	ok(err && err->errnum == ENOTDIR && strstr(err->msg, "empty"), "ENOTDIR naming it: %s",
	   err ? err->msg : "");
	capsa_error_clear(&err);
	_cleanup_free_ char *onfile = xasprintf("%s/empty", tmp);
	is_int(capsa_mkdir_p(onfile, 0755, &err), -1, "mkdir -p of an existing file fails");
	capsa_error_clear(&err);

	/* rm -rf must not follow a symlink to a directory outside the tree. */
	ok(mkdirat(tmp_fd, "keep", 0700) == 0 && write_n("keep/precious", 1) == 0, "a directory to keep");
	ok(mkdirat(tmp_fd, "tree", 0700) == 0 && mkdirat(tmp_fd, "tree/ro", 0500) == 0, "a tree");
	_cleanup_free_ char *keep = xasprintf("%s/keep", tmp);
	ok(symlinkat(keep, tmp_fd, "tree/escape") == 0, "an absolute symlink to it inside the tree");
	is_int(capsa_rm_rf_at(tmp_fd, "tree"), 0, "rm -rf the tree");
	ok(faccessat(tmp_fd, "tree", F_OK, AT_SYMLINK_NOFOLLOW) < 0, "the tree is gone");
	ok(faccessat(tmp_fd, "keep/precious", F_OK, 0) == 0, "the symlink's target survives");
	is_int(capsa_rm_rf_at(tmp_fd, "tree"), 0, "rm -rf of a missing name succeeds");
}

static void test_io(void)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		ok(0, "pipe");
		return;
	}
	char out[3000], in[4000];
	for (size_t k = 0; k < sizeof(out); k++)
		out[k] = (char)k;
	is_int(capsa_write_all(p[1], out, sizeof(out)), sizeof(out), "write_all");
	close(p[1]);
	is_int(capsa_read_all(p[0], in, sizeof(in)), sizeof(out), "read_all stops at EOF with what it got");
	ok(memcmp(in, out, sizeof(out)) == 0, "same bytes");
	close(p[0]);
	is_int(capsa_write_all(-1, "x", 1), -1, "write_all on a bad fd fails");

	int fd = open("/dev/null", O_RDONLY);
	ok(capsa_cloexec_from(fd) == 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC), "cloexec_from marks fds");
	close(fd);
}

static void test_start_time(void)
{
	uint64_t self = capsa_proc_start_time(getpid());
	ok(self > 0, "start time of this process");
	is_int(capsa_proc_start_time(0x7ffffff0), 0, "0 for a process that does not exist");

	/* comm is not escaped in /proc/PID/stat: a hostile name with ") " and numbers must not shift fields.
	 */
	int go[2], done[2];
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(done, O_CLOEXEC) < 0) {
		ok(0, "pipe");
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		prctl(PR_SET_NAME, ") R 1 2 3 4 5");
		if (write(done[1], "x", 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	uint64_t before = capsa_proc_start_time(pid);
	ok(before >= self, "child's start time (%llu) is not before ours (%llu)", (unsigned long long)before,
	   (unsigned long long)self);
	char c;
	ok(write(go[1], "x", 1) == 1 && read(done[0], &c, 1) == 1, "child renamed itself");
	_cleanup_free_ char *comm = NULL;
	_cleanup_free_ char *comm_path = xasprintf("/proc/%d/comm", (int)pid);
	struct capsa_error *err = NULL;
	if (capsa_read_file_at(AT_FDCWD, comm_path, 0, &comm, NULL, &err) < 0)
		capsa_error_clear(&err);
	is_str(comm, ") R 1 2 3 4 5\n", "the hostile name is in place");
	is_int(capsa_proc_start_time(pid), before,
	       "the same start time read past a comm of \") R 1 2 3 4 5\"");
	close(go[1]);
	waitpid(pid, NULL, 0);
	close(go[0]);
	close(done[0]);
	close(done[1]);
}

/* Disk usage: blocks of every file under a directory, hard links split, symlinks not followed. */
static void test_disk_usage(void)
{
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s/du", tmp);
	ok(mkdir(dir, 0700) == 0, "du: a directory");
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	uint64_t empty = capsa_disk_usage_at(AT_FDCWD, dir);
	char buf[65536];
	memset(buf, 'x', sizeof(buf));
	int fd = openat(dfd, "a", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ok(fd >= 0 && write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf) && fsync(fd) == 0,
	   "du: 64 KiB file");
	close(fd);
	struct stat st;
	ok(fstatat(dfd, "a", &st, 0) == 0, "du: stat it");
	uint64_t file = (uint64_t)st.st_blocks * 512;
	ok(file >= sizeof(buf), "du: the file has its blocks");
	is_int((long long)capsa_disk_usage_at(dfd, "a"), (long long)file, "du: a file is its blocks");
	is_int((long long)capsa_disk_usage_at(AT_FDCWD, dir), (long long)(empty + file),
	       "du: a directory adds what it holds");
	ok(linkat(dfd, "a", dfd, "b", 0) == 0, "du: a hard link");
	is_int((long long)capsa_disk_usage_at(dfd, "a"), (long long)(file / 2),
	       "du: a hard link splits the blocks");
	is_int((long long)capsa_disk_usage_at(AT_FDCWD, dir), (long long)(empty + file),
	       "du: both names still count the file once");
	ok(symlinkat("/", dfd, "root") == 0, "du: a symlink to /");
	ok(capsa_disk_usage_at(AT_FDCWD, dir) < empty + file + 65536, "du: a symlink is not followed");
	is_int((long long)capsa_disk_usage_at(dfd, "missing"), 0, "du: a missing name is nothing");
	close(dfd);
}

/* The published FNV-1a 64-bit test vectors. */
static void test_fnv(void)
{
	ok(capsa_fnv1a64("", 0) == 0xcbf29ce484222325ULL, "fnv1a64 of nothing is the offset basis");
	ok(capsa_fnv1a64("a", 1) == 0xaf63dc4c8601ec8cULL, "fnv1a64(\"a\")");
	ok(capsa_fnv1a64("foobar", 6) == 0x85944171f73967e8ULL, "fnv1a64(\"foobar\")");
	ok(capsa_fnv1a64("a\0b", 3) != capsa_fnv1a64("a", 1), "bytes after a NUL count");
}

int main(void)
{
	if (!mkdtemp(tmp) || (tmp_fd = open(tmp, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		ok(0, "temp dir");
		return tap_done();
	}
	test_parse_numbers();
	test_signals();
	test_strv();
	test_files();
	test_io();
	test_start_time();
	test_disk_usage();
	test_fnv();
	close(tmp_fd);
	capsa_rm_rf_at(AT_FDCWD, tmp);
	return tap_done();
}
