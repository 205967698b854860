/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * capsa's default seccomp profile: it parses, it is what the JSON file says,
 * and loaded in a forked child it blocks the dangerous syscalls while
 * ordinary programs (busybox) run.
 */
#define _GNU_SOURCE
#include "runtime/seccomp.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "tests/unit/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILD_SETUP_FAILED 250
#define NOT_RUN 1000

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif

static struct capsa_seccomp *filter;

/* The syscalls tried, with harmless arguments: invalid ones wherever the unfiltered call could change the
 * host. */
enum probe {
	P_KEYCTL,
	P_ADD_KEY,
	P_REQUEST_KEY,
	P_BPF,
	P_PERF_EVENT_OPEN,
	P_USERFAULTFD,
	P_KEXEC_LOAD,
	P_KEXEC_FILE_LOAD,
	P_INIT_MODULE,
	P_FINIT_MODULE,
	P_DELETE_MODULE,
	P_MOUNT,
	P_UMOUNT2,
	P_PIVOT_ROOT,
	P_SETNS,
	P_UNSHARE_USER,
	P_UNSHARE_NS,
	P_CLONE_USER,
	P_OPEN_BY_HANDLE_AT,
	P_IO_URING_SETUP,
	P_REBOOT,
	P_SETTIMEOFDAY,
	P_PERSONALITY_RIE,
	P_CLONE3,
	P_UNKNOWN_NEW,
	/* allowed */
	P_UNSHARE_FS,
	P_PERSONALITY_LINUX32,
	P_PERSONALITY_QUERY,
	P_FORK,
	P_PTRACE_TRACEME,
	P_SOCKET,
	P_GETPID,
	P_COUNT,
};

static long probe_call(enum probe p)
{
	switch (p) {
	case P_KEYCTL:
		return syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0);
	case P_ADD_KEY:
		return syscall(SYS_add_key, "capsa-test-none", "d", "x", 1, -2);
	case P_REQUEST_KEY:
		return syscall(SYS_request_key, "capsa-test-none", "d", NULL, 0);
	case P_BPF:
		return syscall(SYS_bpf, -1, NULL, 0);
	case P_PERF_EVENT_OPEN:
		return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
	case P_USERFAULTFD:
		return syscall(SYS_userfaultfd, O_CLOEXEC);
	case P_KEXEC_LOAD:
		return syscall(SYS_kexec_load, 0, 0, NULL, 0xdead0000UL);
	case P_KEXEC_FILE_LOAD:
		return syscall(SYS_kexec_file_load, -1, -1, 0, NULL, 0xdead0000UL);
	case P_INIT_MODULE:
		return syscall(SYS_init_module, NULL, 0, "");
	case P_FINIT_MODULE:
		return syscall(SYS_finit_module, -1, "", 0);
	case P_DELETE_MODULE:
		return syscall(SYS_delete_module, "capsa_test_none", 0);
	case P_MOUNT:
		return syscall(SYS_mount, "none", "/capsa-test-nonexistent", "tmpfs", 0, NULL);
	case P_UMOUNT2:
		return syscall(SYS_umount2, "/capsa-test-nonexistent", 0);
	case P_PIVOT_ROOT:
		return syscall(SYS_pivot_root, "/capsa-test-nonexistent", "/capsa-test-nonexistent");
	case P_SETNS:
		return syscall(SYS_setns, -1, 0);
	case P_UNSHARE_USER:
		return syscall(SYS_unshare, CLONE_NEWUSER);
	case P_UNSHARE_NS:
		return syscall(SYS_unshare, CLONE_NEWNS);
	case P_CLONE_USER: {
		long r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, NULL, NULL, 0);
		if (r == 0)
			_exit(0);
		if (r > 0)
			waitpid((pid_t)r, NULL, 0);
		return r;
	}
	case P_OPEN_BY_HANDLE_AT:
		return syscall(SYS_open_by_handle_at, -1, NULL, 0);
	case P_IO_URING_SETUP:
		return syscall(SYS_io_uring_setup, 0, NULL);
	case P_REBOOT:
		return syscall(SYS_reboot, 0, 0, 0, NULL); /* bad magic: EINVAL when not filtered */
	case P_SETTIMEOFDAY:
		return syscall(SYS_settimeofday, NULL, NULL);
	case P_PERSONALITY_RIE:
		return syscall(SYS_personality, READ_IMPLIES_EXEC);
	case P_CLONE3:
		return syscall(SYS_clone3, NULL, 0);
	case P_UNKNOWN_NEW:
		return syscall(600, 0, 0, 0, 0, 0, 0);
	case P_UNSHARE_FS:
		return syscall(SYS_unshare, CLONE_FS | CLONE_FILES);
	case P_PERSONALITY_LINUX32:
		return syscall(SYS_personality, PER_LINUX32);
	case P_PERSONALITY_QUERY:
		return syscall(SYS_personality, 0xffffffffUL);
	case P_FORK: {
		int st;
		pid_t pid = fork();
		if (pid == 0)
			_exit(7);
		if (pid < 0 || waitpid(pid, &st, 0) < 0)
			return -1;
		return WIFEXITED(st) && WEXITSTATUS(st) == 7 ? 0 : (errno = EPROTO, -1);
	}
	case P_PTRACE_TRACEME:
		return syscall(SYS_ptrace, PTRACE_TRACEME, 0, NULL, NULL);
	case P_SOCKET: {
		long r = syscall(SYS_socket, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (r >= 0)
			close((int)r);
		return r;
	}
	case P_GETPID:
		return syscall(SYS_getpid);
	case P_COUNT:
		break;
	}
	errno = EINVAL;
	return -1;
}

/* errno of the probe in a forked child (0 = success), with or without the default profile. */
static int probe(enum probe p, bool filtered)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct capsa_error *err = NULL;
		if (filtered && (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
				 capsa_seccomp_load(filter, NULL, &err) < 0))
			_exit(CHILD_SETUP_FAILED);
		long r = probe_call(p);
		_exit(r >= 0 ? 0 : errno < CHILD_SETUP_FAILED ? errno : 249);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) < CHILD_SETUP_FAILED)
		return WEXITSTATUS(st);
	printf("#   probe %d: child status 0x%x\n", p, st);
	return -1;
}

static void test_blocked(void)
{
	static const struct {
		enum probe p;
		const char *what;
		int want;
	} cases[] = {
		{P_KEYCTL, "keyctl", EPERM},
		{P_ADD_KEY, "add_key", EPERM},
		{P_REQUEST_KEY, "request_key", EPERM},
		{P_BPF, "bpf", EPERM},
		{P_PERF_EVENT_OPEN, "perf_event_open", EPERM},
		{P_USERFAULTFD, "userfaultfd", EPERM},
		{P_KEXEC_LOAD, "kexec_load", EPERM},
		{P_KEXEC_FILE_LOAD, "kexec_file_load", EPERM},
		{P_INIT_MODULE, "init_module", EPERM},
		{P_FINIT_MODULE, "finit_module", EPERM},
		{P_DELETE_MODULE, "delete_module", EPERM},
		{P_MOUNT, "mount", EPERM},
		{P_UMOUNT2, "umount2", EPERM},
		{P_PIVOT_ROOT, "pivot_root", EPERM},
		{P_SETNS, "setns", EPERM},
		{P_UNSHARE_USER, "unshare(CLONE_NEWUSER)", EPERM},
		{P_UNSHARE_NS, "unshare(CLONE_NEWNS)", EPERM},
		{P_CLONE_USER, "clone(CLONE_NEWUSER)", EPERM},
		{P_OPEN_BY_HANDLE_AT, "open_by_handle_at", EPERM},
		{P_IO_URING_SETUP, "io_uring_setup", EPERM},
		{P_REBOOT, "reboot", EPERM},
		{P_SETTIMEOFDAY, "settimeofday", EPERM},
		{P_PERSONALITY_RIE, "personality(READ_IMPLIES_EXEC)", EPERM},
		{P_CLONE3, "clone3 (ENOSYS so libc falls back to clone)", ENOSYS},
		{P_UNKNOWN_NEW, "syscall 600, newer than the profile", ENOSYS},
		{P_UNSHARE_FS, "unshare(CLONE_FS|CLONE_FILES)", 0},
		{P_PERSONALITY_LINUX32, "personality(PER_LINUX32)", 0},
		{P_PERSONALITY_QUERY, "personality(0xffffffff)", 0},
		{P_FORK, "fork and wait", 0},
		{P_PTRACE_TRACEME, "ptrace(PTRACE_TRACEME)", 0},
		{P_SOCKET, "socket(AF_INET)", 0},
		{P_GETPID, "getpid", 0},
	};
	_Static_assert(ARRAY_SIZE(cases) == P_COUNT, "every probe has a case");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		is_int(probe(cases[i].p, true), cases[i].want, "default profile: %s -> %s", cases[i].what,
		       cases[i].want ? strerror(cases[i].want) : "allowed");

	/* The filter is what blocks them: as root without it they succeed. */
	is_int(probe(P_KEYCTL, false), 0, "without the profile keyctl works here");
	is_int(probe(P_UNSHARE_USER, false), 0, "without the profile unshare(CLONE_NEWUSER) works here");
	ok(probe(P_CLONE3, false) != ENOSYS, "without the profile clone3 is known to the kernel");
}

#if defined(__x86_64__)
/* A 32-bit x86 syscall from this 64-bit process: the kernel reports AUDIT_ARCH_I386 to seccomp. */
static long int80(long nr, long a, long b, long c)
{
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return r;
}

/* -errno (or the result) of an i386 syscall in a filtered child, folded into an exit status. */
static int i386_probe(long nr, long a)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct capsa_error *err = NULL;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || capsa_seccomp_load(filter, NULL, &err) < 0)
			_exit(CHILD_SETUP_FAILED);
		long r = int80(nr, a, 0, 0);
		_exit(r >= 0 ? 0 : -r < CHILD_SETUP_FAILED ? (int)-r : 249);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_i386(void)
{
	/* i386 numbers: getpid 20, keyctl 288, unshare 310. */
	if (int80(20, 0, 0, 0) != getpid()) {
		ok(1, "# SKIP no 32-bit x86 emulation in this kernel");
		return;
	}
	is_int(i386_probe(20, 0), 0, "i386 getpid is allowed (SCMP_ARCH_X86 is in the profile)");
	is_int(i386_probe(288, 0), EPERM, "i386 keyctl is blocked");
	is_int(i386_probe(310, CLONE_NEWUSER), EPERM, "i386 unshare(CLONE_NEWUSER) is blocked");
	is_int(i386_probe(700, 0), ENOSYS, "i386 syscall 700 (newer than the profile) gets ENOSYS");
}
#else
static void test_i386(void)
{
}
#endif

/* Runs busybox under the profile: a shell pipeline of ordinary tools must succeed. */
static int busybox(const char *script)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct capsa_error *err = NULL;
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null < 0 || dup2(null, STDOUT_FILENO) < 0)
			_exit(CHILD_SETUP_FAILED);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || capsa_seccomp_load(filter, NULL, &err) < 0)
			_exit(CHILD_SETUP_FAILED);
		execl("/bin/busybox", "sh", "-c", script, (char *)NULL);
		_exit(CHILD_SETUP_FAILED + 1);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void test_busybox(void)
{
	if (access("/bin/busybox", X_OK) < 0) {
		ok(0, "/bin/busybox is missing (tests/deps/core.txt installs busybox-static)");
		return;
	}
	is_int(busybox("grep -q '^Seccomp:.*2' /proc/self/status && grep -q '^NoNewPrivs:.*1' /proc/self/status"),
	       0, "busybox runs under the filter (Seccomp: 2 in /proc/self/status)");
	is_int(busybox("set -e; d=$(mktemp -d /tmp/capsa-test-bb-XXXXXX); cd $d; echo hello > f; "
		       "cat f | sed s/h/H/ | grep -q Hello; ln -s f l; cp l g; chmod 600 g; mv g h; ls -la > /dev/null; "
		       "tar cf t.tar f h; mkdir x; tar xf t.tar -C x; wc -c x/f | grep -q 6; "
		       "ps > /dev/null; date > /dev/null; id -u > /dev/null; sleep 0; uname -a > /dev/null; "
		       "find . -name f | grep -q f; (echo sub) | cat > /dev/null; cd /; rm -rf $d"),
	       0, "busybox's ordinary tools work under the default profile");
	ok(busybox("unshare -U true 2>/dev/null") != 0, "busybox unshare -U fails under the default profile");
	ok(busybox("unshare -m true 2>/dev/null") != 0, "busybox unshare -m fails under the default profile");
	is_int(busybox("unshare -U true 2>/dev/null; true"), 0, "(and the shell survives the refusal)");
}

static void test_profile_data(void)
{
	_cleanup_free_ char *src = realpath(__FILE__, NULL);
	_cleanup_free_ char *file = NULL, *data = NULL;
	struct capsa_error *err = NULL;
	size_t len = 0;

	/* tests/unit/this file -> top of the tree, wherever the build directory is */
	file = xasprintf("%s/../../runtime/seccomp-default.json", src ? dirname(src) : "tests/unit");
	if (capsa_read_file_at(AT_FDCWD, file, 0, &data, &len, &err) < 0) {
		ok(0, "read %s", file);
		capsa_error_clear(&err);
	} else {
		is_str(capsa_seccomp_default_profile_json(), data,
		       "the embedded profile is runtime/seccomp-default.json");
	}

	struct oci_seccomp *s = NULL;
	ok(capsa_seccomp_default_profile(&s, &err) == 0, "the default profile parses%s%s", err ? ": " : "",
	   err ? err->msg : "");
	if (!s)
		exit(tap_done());
	is_str(s->default_action, "SCMP_ACT_ERRNO", "defaultAction is SCMP_ACT_ERRNO");
	ok(s->default_errno_ret.set && s->default_errno_ret.value == EPERM, "with EPERM");
	static const char *const never_allowed[] = {"kexec_load",	 "kexec_file_load", "init_module",
						    "finit_module",	 "delete_module",   "keyctl",
						    "add_key",		 "request_key",	    "bpf",
						    "perf_event_open",	 "userfaultfd",	    "mount",
						    "umount2",		 "pivot_root",	    "setns",
						    "open_by_handle_at", "io_uring_setup",  "reboot"};
	int found = 0;
	for (size_t i = 0; i < s->n_syscalls; i++)
		for (size_t j = 0; j < s->syscalls[i].n_names; j++)
			for (size_t k = 0; k < ARRAY_SIZE(never_allowed); k++)
				if (strcmp(s->syscalls[i].names[j], never_allowed[k]) == 0) {
					printf("#   %s listed in syscalls[%zu]\n", never_allowed[k], i);
					found++;
				}
	is_int(found, 0, "no rule names a dangerous syscall");

	ok(capsa_seccomp_prepare(s, &filter, &err) == 0, "the default profile translates%s%s",
	   err ? ": " : "", err ? err->msg : "");
	if (filter)
		printf("# default profile: %zu BPF instructions\n", capsa_seccomp_bpf_len(filter));
	capsa_seccomp_profile_free(s);
	capsa_error_clear(&err);
}

static void test_add_caps(void)
{
	struct oci_seccomp *s = NULL;
	struct capsa_seccomp *admin = NULL, *saved = filter;
	struct capsa_error *err = NULL;

	if (capsa_seccomp_default_profile(&s, &err) < 0) {
		ok(0, "parse the default profile again");
		return;
	}
	size_t before = s->n_syscalls;
	ok(capsa_seccomp_profile_add_caps(s, (char *[]){"CAP_SYS_ADMIN", "CAP_SYS_NOPE"}, 2, &err) < 0 &&
		   err && strstr(err->msg, "unknown capability \"CAP_SYS_NOPE\""),
	   "an unknown capability is refused");
	is_int(s->n_syscalls, before, "and the profile is unchanged");
	capsa_error_clear(&err);
	ok(capsa_seccomp_profile_add_caps(s, (char *[]){"CAP_SYS_ADMIN", "CAP_SYS_TIME", "CAP_NET_RAW"}, 3,
					  &err) == 0,
	   "CAP_SYS_ADMIN, CAP_SYS_TIME and CAP_NET_RAW are accepted");
	ok(s->n_syscalls > before, "rules were added (%zu -> %zu)", before, s->n_syscalls);
	if (capsa_seccomp_prepare(s, &admin, &err) < 0) {
		ok(0, "the extended profile translates: %s", err->msg);
		capsa_seccomp_profile_free(s);
		return;
	}
	filter = admin;
	is_int(probe(P_UNSHARE_USER, true), 0, "with CAP_SYS_ADMIN: unshare(CLONE_NEWUSER) is allowed");
	is_int(probe(P_UNSHARE_NS, true), 0, "with CAP_SYS_ADMIN: unshare(CLONE_NEWNS) is allowed");
	is_int(probe(P_MOUNT, true), ENOENT,
	       "with CAP_SYS_ADMIN: mount reaches the kernel (ENOENT, not EPERM)");
	is_int(probe(P_SETTIMEOFDAY, true), 0, "with CAP_SYS_TIME: settimeofday is allowed");
	is_int(probe(P_KEYCTL, true), EPERM, "keyctl stays blocked");
	is_int(probe(P_KEXEC_LOAD, true), EPERM, "kexec_load stays blocked");
	filter = saved;
	capsa_seccomp_free(admin);
	capsa_seccomp_profile_free(s);
}

int main(void)
{
	test_profile_data();
	if (!filter)
		return tap_done();
	test_blocked();
	test_i386();
	test_busybox();
	test_add_caps();
	capsa_seccomp_free(filter);
	return tap_done();
}
