/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * seccomp filters really loaded: each case forks, the child sets
 * no_new_privs, loads a filter built from a struct and reports what the
 * filtered syscall did through its exit status (errno, or 0 for success).
 */
#define _GNU_SOURCE
#include "runtime/seccomp.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "tests/unit/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/capability.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NAMES(...) ((char *[]){__VA_ARGS__, NULL})
#define N_NAMES(...) (sizeof((char *[]){__VA_ARGS__}) / sizeof(char *))
#define SYSCALL(act, ...)                                                                                    \
	{                                                                                                    \
		.names = NAMES(__VA_ARGS__), .n_names = N_NAMES(__VA_ARGS__), .action = (act)                \
	}

/* Exit codes the child uses for its own failures, distinct from any errno a case expects. */
#define CHILD_SETUP_FAILED 250
#define CHILD_LOAD_FAILED 251

static char tmpdir[] = "/tmp/capsa-test-seccomp-XXXXXX";

static struct capsa_seccomp *prepare_or_die(const struct oci_seccomp *s)
{
	struct capsa_seccomp *f = NULL;
	struct capsa_error *err = NULL;
	if (capsa_seccomp_prepare(s, &f, &err) < 0) {
		char *t = capsa_error_text(err);
		printf("Bail out! prepare: %s\n", t);
		exit(1);
	}
	return f;
}

/* 0 when the raw syscall result r succeeded, else its errno (capped so it fits an exit code). */
static int result(long r)
{
	if (r >= 0)
		return 0;
	return errno < 250 ? errno : 249;
}

/* Runs fn in a child under the filter; returns the wait status. */
static int run_filtered(struct capsa_seccomp *f, int (*fn)(long), long arg)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		printf("Bail out! fork: %m\n");
		exit(1);
	}
	if (pid == 0) {
		struct capsa_error *err = NULL;
		int nfd;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(CHILD_SETUP_FAILED);
		if (capsa_seccomp_load(f, &nfd, &err) < 0)
			_exit(CHILD_LOAD_FAILED);
		_exit(fn(arg));
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

/* The errno the child reported, or -1 (with a diagnostic) when it died or failed otherwise. */
static int child_errno(int st)
{
	if (WIFEXITED(st) && WEXITSTATUS(st) < CHILD_SETUP_FAILED)
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		printf("#   child killed by signal %d\n", WTERMSIG(st));
	else
		printf("#   child exit status %d\n", WEXITSTATUS(st));
	return -1;
}

static int do_mkdir(long arg)
{
	char path[64];
	snprintf(path, sizeof(path), "%s/d%ld", tmpdir, arg);
	return result(syscall(SYS_mkdir, path, 0755));
}

static int do_mkdirat(long arg)
{
	char path[64];
	snprintf(path, sizeof(path), "%s/d%ld", tmpdir, arg);
	return result(syscall(SYS_mkdirat, AT_FDCWD, path, 0755));
}

static int do_personality(long persona)
{
	return result(syscall(SYS_personality, (unsigned long)persona));
}

static int do_getppid(long want)
{
	long r = syscall(SYS_getppid);
	if (r >= 0)
		return r == want ? 0 : 200;
	return result(r);
}

static int do_raw(long nr)
{
	return result(syscall(nr, 0, 0, 0, 0, 0, 0));
}

static int do_lseek(long which)
{
	static const int whence[] = {SEEK_SET, SEEK_CUR};
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 201;
	return result(syscall(SYS_lseek, fd, which & 1 ? 5L : 123L, whence[(which >> 1) & 1]));
}

static void test_errno_ret(void)
{
	struct oci_seccomp_syscall deny[] = {SYSCALL("SCMP_ACT_ERRNO", "mkdir", "mkdirat")};
	deny[0].errno_ret = (struct oci_opt_u64){true, 42};
	struct oci_seccomp s = {.default_action = "SCMP_ACT_ALLOW", .syscalls = deny, .n_syscalls = 1};
	_cleanup_seccomp_ struct capsa_seccomp *f = prepare_or_die(&s);
	char path[64];

	is_int(child_errno(run_filtered(f, do_mkdir, 1)), 42, "mkdir denied with errnoRet 42");
	is_int(child_errno(run_filtered(f, do_mkdirat, 2)), 42, "mkdirat denied with errnoRet 42");
	snprintf(path, sizeof(path), "%s/d1", tmpdir);
	ok(access(path, F_OK) < 0 && errno == ENOENT, "the denied mkdir created nothing");

	struct capsa_seccomp *none = NULL;
	struct oci_seccomp allow = {.default_action = "SCMP_ACT_ALLOW"};
	struct capsa_error *err = NULL;
	if (capsa_seccomp_prepare(&allow, &none, &err) == 0) {
		is_int(child_errno(run_filtered(none, do_mkdir, 3)), 0, "without the rule mkdir works");
		capsa_seccomp_free(none);
	}
	snprintf(path, sizeof(path), "%s/d3", tmpdir);
	ok(rmdir(path) == 0, "and really created the directory");

	/* No errnoRet: EPERM, as the runtime spec says. */
	deny[0].errno_ret.set = false;
	_cleanup_seccomp_ struct capsa_seccomp *f2 = prepare_or_die(&s);
	is_int(child_errno(run_filtered(f2, do_mkdir, 4)), EPERM,
	       "SCMP_ACT_ERRNO without errnoRet gives EPERM");
}

static void test_args(void)
{
	/* Deny personality only for PER_LINUX32 (8). */
	struct oci_seccomp_arg eq8 = {.index = 0, .value = PER_LINUX32, .op = "SCMP_CMP_EQ"};
	struct oci_seccomp_syscall deny[] = {SYSCALL("SCMP_ACT_ERRNO", "personality")};
	deny[0].errno_ret = (struct oci_opt_u64){true, 77};
	deny[0].args = &eq8;
	deny[0].n_args = 1;
	struct oci_seccomp s = {.default_action = "SCMP_ACT_ALLOW", .syscalls = deny, .n_syscalls = 1};
	_cleanup_seccomp_ struct capsa_seccomp *f = prepare_or_die(&s);

	is_int(child_errno(run_filtered(f, do_personality, PER_LINUX32)), 77,
	       "personality(PER_LINUX32) denied");
	is_int(child_errno(run_filtered(f, do_personality, 0xffffffffL)), 0, "personality(query) allowed");
	is_int(child_errno(run_filtered(f, do_personality, PER_LINUX)), 0, "personality(PER_LINUX) allowed");

	/* Two conditions on the same argument: either matches. */
	struct oci_seccomp_arg two[] = {{.index = 0, .value = PER_LINUX32, .op = "SCMP_CMP_EQ"},
					{.index = 0, .value = PER_LINUX32 | UNAME26, .op = "SCMP_CMP_EQ"}};
	deny[0].args = two;
	deny[0].n_args = 2;
	_cleanup_seccomp_ struct capsa_seccomp *f2 = prepare_or_die(&s);
	is_int(child_errno(run_filtered(f2, do_personality, PER_LINUX32)), 77,
	       "same index, first value denied");
	is_int(child_errno(run_filtered(f2, do_personality, PER_LINUX32 | UNAME26)), 77,
	       "same index, second value denied");
	is_int(child_errno(run_filtered(f2, do_personality, UNAME26)), 0, "same index, other value allowed");

	/* MASKED_EQ: value is the mask, valueTwo the datum. */
	struct oci_seccomp_arg masked = {.index = 0,
					 .value = READ_IMPLIES_EXEC,
					 .value_two = READ_IMPLIES_EXEC,
					 .op = "SCMP_CMP_MASKED_EQ"};
	deny[0].args = &masked;
	deny[0].n_args = 1;
	_cleanup_seccomp_ struct capsa_seccomp *f3 = prepare_or_die(&s);
	is_int(child_errno(run_filtered(f3, do_personality, READ_IMPLIES_EXEC)), 77,
	       "MASKED_EQ: bit set denied");
	is_int(child_errno(run_filtered(f3, do_personality, READ_IMPLIES_EXEC | PER_LINUX32)), 77,
	       "MASKED_EQ: bit set with others denied");
	is_int(child_errno(run_filtered(f3, do_personality, PER_LINUX32)), 0, "MASKED_EQ: bit clear allowed");

	/* Conditions on different arguments: all must match (lseek(fd, 123, SEEK_SET) only). */
	struct oci_seccomp_arg both[] = {{.index = 1, .value = 123, .op = "SCMP_CMP_EQ"},
					 {.index = 2, .value = SEEK_SET, .op = "SCMP_CMP_EQ"}};
	struct oci_seccomp_syscall deny_lseek[] = {SYSCALL("SCMP_ACT_ERRNO", "lseek")};
	deny_lseek[0].errno_ret = (struct oci_opt_u64){true, 78};
	deny_lseek[0].args = both;
	deny_lseek[0].n_args = 2;
	struct oci_seccomp s2 = {.default_action = "SCMP_ACT_ALLOW", .syscalls = deny_lseek, .n_syscalls = 1};
	_cleanup_seccomp_ struct capsa_seccomp *f4 = prepare_or_die(&s2);
	is_int(child_errno(run_filtered(f4, do_lseek, 0)), 78, "lseek(fd, 123, SEEK_SET) denied");
	is_int(child_errno(run_filtered(f4, do_lseek, 1)), 0, "lseek(fd, 5, SEEK_SET) allowed");
	is_int(child_errno(run_filtered(f4, do_lseek, 2)), 0, "lseek(fd, 123, SEEK_CUR) allowed");
}

static void test_kill_actions(void)
{
	const char *acts[] = {"SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL",
			      "SCMP_ACT_TRAP"};
	for (size_t i = 0; i < ARRAY_SIZE(acts); i++) {
		struct oci_seccomp_syscall rule[] = {SYSCALL((char *)acts[i], "getppid")};
		struct oci_seccomp s = {
			.default_action = "SCMP_ACT_ALLOW", .syscalls = rule, .n_syscalls = 1};
		_cleanup_seccomp_ struct capsa_seccomp *f = prepare_or_die(&s);
		int st = run_filtered(f, do_getppid, getpid());
		ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "%s: the child dies of SIGSYS (status 0x%x)",
		   acts[i], st);
	}

	struct oci_seccomp_syscall log[] = {SYSCALL("SCMP_ACT_LOG", "getppid")};
	struct oci_seccomp s = {.default_action = "SCMP_ACT_ALLOW", .syscalls = log, .n_syscalls = 1};
	_cleanup_seccomp_ struct capsa_seccomp *f = prepare_or_die(&s);
	is_int(child_errno(run_filtered(f, do_getppid, getpid())), 0, "SCMP_ACT_LOG lets the syscall run");
}

static void *thread_getppid(void *p)
{
	(void)p;
	syscall(SYS_getppid);
	return NULL;
}

/* The filtered syscall happens in a second thread; the main thread then exits 0 if it is still alive. */
static int getppid_in_thread(long unused)
{
	pthread_t th;
	if (pthread_create(&th, NULL, thread_getppid, NULL) != 0)
		return 220;
	pthread_join(th, NULL);
	return 0;
}

static void test_thread_vs_process(void)
{
	struct oci_seccomp_syscall rule[] = {SYSCALL("SCMP_ACT_KILL_THREAD", "getppid")};
	struct oci_seccomp s = {.default_action = "SCMP_ACT_ALLOW", .syscalls = rule, .n_syscalls = 1};
	_cleanup_seccomp_ struct capsa_seccomp *f = prepare_or_die(&s);
	int st = run_filtered(f, getppid_in_thread, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "KILL_THREAD kills only the calling thread (status 0x%x)",
	   st);

	rule[0].action = "SCMP_ACT_KILL_PROCESS";
	_cleanup_seccomp_ struct capsa_seccomp *f2 = prepare_or_die(&s);
	st = run_filtered(f2, getppid_in_thread, 0);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "KILL_PROCESS kills the whole process (status 0x%x)",
	   st);

	struct oci_seccomp_syscall trace[] = {SYSCALL("SCMP_ACT_TRACE", "mkdir", "mkdirat")};
	struct oci_seccomp t = {.default_action = "SCMP_ACT_ALLOW", .syscalls = trace, .n_syscalls = 1};
	_cleanup_seccomp_ struct capsa_seccomp *f3 = prepare_or_die(&t);
	/* With no tracer attached the kernel fails a traced syscall with ENOSYS. */
	is_int(child_errno(run_filtered(f3, do_mkdir, 7)), ENOSYS, "SCMP_ACT_TRACE without a tracer: ENOSYS");
}

static void test_default_action(void)
{
	/* Besides exiting, what a sanitizer runtime may do on its way out (make check-asan). */
	struct oci_seccomp_syscall allow[] = {SYSCALL("SCMP_ACT_ALLOW", "exit_group", "exit", "write", "mmap",
						      "munmap", "madvise", "rt_sigprocmask", "sigaltstack",
						      "getpid", "gettid", "futex", "sched_yield")};
	struct oci_seccomp s = {.default_action = "SCMP_ACT_ERRNO",
				.default_errno_ret = {true, 99},
				.syscalls = allow,
				.n_syscalls = 1};
	_cleanup_seccomp_ struct capsa_seccomp *f = prepare_or_die(&s);
	is_int(child_errno(run_filtered(f, do_getppid, getppid())), 99,
	       "defaultAction ERRNO with defaultErrnoRet 99");
	is_int(child_errno(run_filtered(f, do_mkdir, 5)), 99, "applies to every syscall not listed");
	/* exit_group (231) is the highest the profile names: anything above is "unknown" to it. */
	is_int(child_errno(run_filtered(f, do_raw, SYS_openat)), ENOSYS,
	       "a syscall above the profile's highest gets ENOSYS");
	is_int(child_errno(run_filtered(f, do_raw, 1000)), ENOSYS, "so does a number no kernel has");

	s.default_action = "SCMP_ACT_ALLOW";
	s.default_errno_ret.set = false;
	struct oci_seccomp_syscall deny[] = {SYSCALL("SCMP_ACT_ERRNO", "mkdir")};
	s.syscalls = deny;
	_cleanup_seccomp_ struct capsa_seccomp *f2 = prepare_or_die(&s);
	is_int(child_errno(run_filtered(f2, do_raw, 1000)), ENOSYS,
	       "with an allow default, the kernel's own ENOSYS");
	is_int(child_errno(run_filtered(f2, do_raw, SYS_getppid)), 0, "and higher syscalls are not touched");
}

struct thread_arg {
	int go_fd;
	int result;
};

static void *thread_mkdir(void *p)
{
	struct thread_arg *t = p;
	char c;
	/* Waits until the main thread has loaded the filter. */
	if (read(t->go_fd, &c, 1) != 1)
		t->result = 202;
	else
		t->result = do_mkdir(100 + (long)c);
	return NULL;
}

static int run_two_threads(struct capsa_seccomp *f, long tag)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		/* The filter must be loaded while the thread exists: start it first, in the child. */
		int p[2];
		struct thread_arg t = {0};
		pthread_t th;
		struct capsa_error *err = NULL;
		if (pipe2(p, O_CLOEXEC) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(CHILD_SETUP_FAILED);
		t.go_fd = p[0];
		if (pthread_create(&th, NULL, thread_mkdir, &t) != 0)
			_exit(CHILD_SETUP_FAILED);
		if (capsa_seccomp_load(f, NULL, &err) < 0)
			_exit(CHILD_LOAD_FAILED);
		char c = (char)tag;
		if (write(p[1], &c, 1) != 1)
			_exit(CHILD_SETUP_FAILED);
		pthread_join(th, NULL);
		_exit(t.result);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	return st;
}

static void test_tsync(void)
{
	struct oci_seccomp_syscall deny[] = {SYSCALL("SCMP_ACT_ERRNO", "mkdir", "mkdirat")};
	deny[0].errno_ret = (struct oci_opt_u64){true, 42};
	struct oci_seccomp s = {.default_action = "SCMP_ACT_ALLOW", .syscalls = deny, .n_syscalls = 1};
	_cleanup_seccomp_ struct capsa_seccomp *f = prepare_or_die(&s);
	char path[64];

	is_int(child_errno(run_two_threads(f, 1)), 0, "without TSYNC another thread is not filtered");
	snprintf(path, sizeof(path), "%s/d101", tmpdir);
	rmdir(path);

	s.flags = NAMES("SECCOMP_FILTER_FLAG_TSYNC");
	s.n_flags = 1;
	_cleanup_seccomp_ struct capsa_seccomp *f2 = prepare_or_die(&s);
	is_int(child_errno(run_two_threads(f2, 2)), 42, "with TSYNC the other thread is filtered too");
}

static int load_without_nnp(long unused)
{
	struct oci_seccomp s = {.default_action = "SCMP_ACT_ALLOW"};
	struct capsa_seccomp *f = prepare_or_die(&s);
	struct capsa_error *err = NULL;
	cap_value_t admin = CAP_SYS_ADMIN;
	cap_t caps = cap_get_proc();

	if (!caps || cap_set_flag(caps, CAP_EFFECTIVE, 1, &admin, CAP_CLEAR) < 0 || cap_set_proc(caps) < 0)
		return 210;
	if (capsa_seccomp_load(f, NULL, &err) == 0)
		return 211;
	char *t = capsa_error_text(err);
	printf("#   %s\n", t);
	fflush(stdout);
	return strstr(t, "no_new_privs") ? 0 : 212;
}

static void test_no_nnp(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(load_without_nnp(0));
	int st = 0;
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "without no_new_privs nor CAP_SYS_ADMIN the load fails with a hint (status 0x%x)", st);
}

static char *restore_error(int dirfd, const char *name)
{
	struct capsa_seccomp *f = NULL;
	struct capsa_error *err = NULL;
	if (capsa_seccomp_restore(dirfd, name, &f, &err) == 0) {
		capsa_seccomp_free(f);
		return NULL;
	}
	char *t = capsa_error_text(err);
	capsa_error_free(err);
	return t;
}

/* Rewrites the saved file with one change: a byte flipped at off, or cut to len. */
static void tamper(int dirfd, const char *from, const char *to, long off, long cut)
{
	char *buf = NULL;
	size_t len = 0;
	struct capsa_error *err = NULL;
	if (capsa_read_file_at(dirfd, from, 0, &buf, &len, &err) < 0)
		return;
	if (off >= 0 && (size_t)off < len)
		buf[off] ^= 0x40;
	if (cut >= 0 && (size_t)cut < len)
		len = (size_t)cut;
	if (capsa_write_file_atomic_at(dirfd, to, buf, len, 0600, &err) < 0)
		capsa_error_free(err);
	free(buf);
}

static void test_save_restore(void)
{
	struct oci_seccomp_syscall deny[] = {SYSCALL("SCMP_ACT_ERRNO", "mkdir", "mkdirat")};
	deny[0].errno_ret = (struct oci_opt_u64){true, 42};
	struct oci_seccomp s = {.default_action = "SCMP_ACT_ALLOW",
				.flags = NAMES("SECCOMP_FILTER_FLAG_LOG"),
				.n_flags = 1,
				.syscalls = deny,
				.n_syscalls = 1};
	_cleanup_seccomp_ struct capsa_seccomp *f = prepare_or_die(&s);
	_cleanup_seccomp_ struct capsa_seccomp *back = NULL;
	struct capsa_error *err = NULL;
	_cleanup_close_ int dirfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	ok(capsa_seccomp_save(f, dirfd, "seccomp.bpf", &err) == 0, "the compiled filter is saved");
	ok(capsa_seccomp_restore(dirfd, "seccomp.bpf", &back, &err) == 0, "and restored");
	if (!back)
		return;
	is_int(capsa_seccomp_bpf_len(back), capsa_seccomp_bpf_len(f), "same number of instructions");
	is_int(capsa_seccomp_flags(back), capsa_seccomp_flags(f), "same flags");
	is_int(child_errno(run_filtered(back, do_mkdir, 6)), 42, "the restored filter denies mkdir with 42");

	static const struct {
		long off, cut;
		const char *want;
		const char *what;
	} bad[] = {
		{0, -1, "not a compiled capsa filter", "bad magic"},
		{8, -1, "version", "bad version"},
		{36, -1, "checksum mismatch", "a flipped instruction byte"},
		{-1, 20, "truncated header", "a truncated header"},
		{-1, 36, "do not match the file size", "missing instructions"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		tamper(dirfd, "seccomp.bpf", "bad.bpf", bad[i].off, bad[i].cut);
		_cleanup_free_ char *e = restore_error(dirfd, "bad.bpf");
		if (!ok(e && strstr(e, bad[i].want) && strstr(e, "bad.bpf"), "restore refuses %s",
			bad[i].what))
			printf("#   got: %s\n", e ? e : "(success)");
	}
	_cleanup_free_ char *e = restore_error(dirfd, "missing.bpf");
	ok(e && strstr(e, "missing.bpf"), "a missing file is an error naming it (%s)", e ? e : "");
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		printf("Bail out! mkdtemp: %m\n");
		return 1;
	}
	test_errno_ret();
	test_args();
	test_kill_actions();
	test_thread_vs_process();
	test_default_action();
	test_tsync();
	test_no_nnp();
	test_save_restore();
	capsa_rm_rf_at(AT_FDCWD, tmpdir);
	return tap_done();
}
