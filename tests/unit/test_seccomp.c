/* SPDX-License-Identifier: GPL-2.0-or-later */
/* seccomp translation: configs built in C -> the error (or the filter) capsa_seccomp_prepare gives. */
#define _GNU_SOURCE
#include "runtime/seccomp.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "tests/unit/tap.h"

#include <fcntl.h>
#include <unistd.h>

#include <linux/seccomp.h>
#include <string.h>

#define NAMES(...) ((char *[]){__VA_ARGS__, NULL})
#define N_NAMES(...) (sizeof((char *[]){__VA_ARGS__}) / sizeof(char *))
#define SYSCALL(act, ...)                                                                                    \
	{                                                                                                    \
		.names = NAMES(__VA_ARGS__), .n_names = N_NAMES(__VA_ARGS__), .action = (act)                \
	}

/* Runs prepare and returns the error text (NULL on success); *len gets the BPF length on success. */
static char *try_prepare(const struct oci_seccomp *s, size_t *len, unsigned int *flags)
{
	struct capsa_seccomp *f = (struct capsa_seccomp *)0x1; /* must stay untouched on error */
	struct capsa_error *err = NULL;

	if (capsa_seccomp_prepare(s, &f, &err) < 0) {
		char *t = capsa_error_text(err);
		capsa_error_free(err);
		if (f != (struct capsa_seccomp *)0x1)
			printf("# prepare wrote *out on error\n");
		return t ? t : xstrdup("(no message)");
	}
	if (len)
		*len = capsa_seccomp_bpf_len(f);
	if (flags)
		*flags = capsa_seccomp_flags(f);
	capsa_seccomp_free(f);
	return NULL;
}

static void expect_error(const struct oci_seccomp *s, const char *want, const char *what)
{
	_cleanup_free_ char *e = try_prepare(s, NULL, NULL);
	if (!ok(e && strstr(e, want), "%s: error mentions '%s'", what, want))
		printf("#   got: %s\n", e ? e : "(success)");
}

static void test_errors(void)
{
	struct oci_seccomp_arg bad_op = {.index = 0, .value = 1, .op = "SCMP_CMP_ALMOST"};
	struct oci_seccomp_arg bad_index = {.index = 6, .value = 1, .op = "SCMP_CMP_EQ"};
	struct oci_seccomp_syscall sc_bad_act[] = {SYSCALL("SCMP_ACT_MAYBE", "mkdir")};
	struct oci_seccomp_syscall sc_bad_op[] = {SYSCALL("SCMP_ACT_ERRNO", "getpid", "mkdir")};
	struct oci_seccomp_syscall sc_bad_index[] = {SYSCALL("SCMP_ACT_ERRNO", "mkdir")};
	struct oci_seccomp_syscall sc_errno_allow[] = {SYSCALL("SCMP_ACT_ALLOW", "mkdir")};
	struct oci_seccomp_syscall sc_errno_big[] = {SYSCALL("SCMP_ACT_ERRNO", "mkdir")};
	struct oci_seccomp_syscall sc_notify[] = {SYSCALL("SCMP_ACT_NOTIFY", "mkdir")};
	struct oci_seccomp_syscall sc_notify_write[] = {SYSCALL("SCMP_ACT_NOTIFY", "mkdir", "write")};
	struct oci_seccomp_syscall sc_no_names[] = {
		{.names = NAMES(NULL), .n_names = 0, .action = "SCMP_ACT_ERRNO"}};

	sc_bad_op[0].args = &bad_op;
	sc_bad_op[0].n_args = 1;
	sc_bad_index[0].args = &bad_index;
	sc_bad_index[0].n_args = 1;
	sc_errno_allow[0].errno_ret = (struct oci_opt_u64){true, 5};
	sc_errno_big[0].errno_ret = (struct oci_opt_u64){true, 4096};

	struct {
		struct oci_seccomp s;
		const char *want;
		const char *what;
	} cases[] = {
		{{.default_action = "SCMP_ACT_NOPE"},
		 "defaultAction: unknown action \"SCMP_ACT_NOPE\"",
		 "unknown default action"},
		{{.default_action = NULL}, "defaultAction: missing action", "missing default action"},
		{{.default_action = "SCMP_ACT_ALLOW", .syscalls = sc_bad_act, .n_syscalls = 1},
		 "syscalls[0]: unknown action \"SCMP_ACT_MAYBE\"",
		 "unknown syscall action"},
		{{.default_action = "SCMP_ACT_ALLOW", .syscalls = sc_bad_op, .n_syscalls = 1},
		 "syscalls[0]: args[0]: unknown op \"SCMP_CMP_ALMOST\"",
		 "unknown op"},
		{{.default_action = "SCMP_ACT_ALLOW", .syscalls = sc_bad_index, .n_syscalls = 1},
		 "syscalls[0]: args[0]: index 6 out of range (0-5)",
		 "arg index > 5"},
		{{.default_action = "SCMP_ACT_ALLOW",
		  .architectures = NAMES("SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"),
		  .n_architectures = 2},
		 "architectures[1]: unknown architecture \"SCMP_ARCH_VAX\"",
		 "unknown arch"},
		{{.default_action = "SCMP_ACT_ALLOW",
		  .flags = NAMES("SECCOMP_FILTER_FLAG_FAST"),
		  .n_flags = 1},
		 "flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_FAST\"",
		 "unknown flag"},
		{{.default_action = "SCMP_ACT_ALLOW", .default_errno_ret = {true, 1}},
		 "defaultAction: errnoRet is not supported with action SCMP_ACT_ALLOW",
		 "defaultErrnoRet with ALLOW"},
		{{.default_action = "SCMP_ACT_ERRNO", .syscalls = sc_errno_allow, .n_syscalls = 1},
		 "syscalls[0]: errnoRet is not supported with action SCMP_ACT_ALLOW",
		 "errnoRet with ALLOW"},
		{{.default_action = "SCMP_ACT_ALLOW", .syscalls = sc_errno_big, .n_syscalls = 1},
		 "syscalls[0]: errnoRet 4096 out of range",
		 "errnoRet beyond MAX_ERRNO"},
		{{.default_action = "SCMP_ACT_ALLOW", .syscalls = sc_notify, .n_syscalls = 1},
		 "SCMP_ACT_NOTIFY is used but listenerPath is not set",
		 "notify without listenerPath"},
		{{.default_action = "SCMP_ACT_ALLOW",
		  .syscalls = sc_notify_write,
		  .n_syscalls = 1,
		  .listener_path = "/run/x.sock"},
		 "syscalls[0]: SCMP_ACT_NOTIFY cannot be used for write",
		 "notify on write"},
		{{.default_action = "SCMP_ACT_NOTIFY", .listener_path = "/run/x.sock"},
		 "SCMP_ACT_NOTIFY cannot be the default action",
		 "notify as default"},
		{{.default_action = "SCMP_ACT_ALLOW", .listener_metadata = "m"},
		 "listenerMetadata is set without listenerPath",
		 "metadata without path"},
		{{.default_action = "SCMP_ACT_ALLOW",
		  .syscalls = sc_notify,
		  .n_syscalls = 1,
		  .listener_path = "relative.sock"},
		 "listenerPath relative.sock: not an absolute path",
		 "relative listenerPath"},
		{{.default_action = "SCMP_ACT_ALLOW", .syscalls = sc_no_names, .n_syscalls = 1},
		 "syscalls[0]: names: must have at least one syscall",
		 "empty names"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		expect_error(&cases[i].s, cases[i].want, cases[i].what);

	/* Every message carries the "seccomp: " prefix the runtime shows to the user. */
	_cleanup_free_ char *e = try_prepare(&cases[0].s, NULL, NULL);
	ok(e && strncmp(e, "seccomp: ", 9) == 0, "errors start with 'seccomp: ' (%s)", e ? e : "");
}

static void test_translation(void)
{
	struct oci_seccomp_syscall deny_mkdir[] = {SYSCALL("SCMP_ACT_ERRNO", "mkdir")};
	struct oci_seccomp_syscall deny_mkdir_unknown[] = {
		SYSCALL("SCMP_ACT_ERRNO", "mkdir", "capsa_no_such_syscall", "another_made_up_one")};
	struct oci_seccomp_syscall deny_only_unknown[] = {SYSCALL("SCMP_ACT_ERRNO", "capsa_no_such_syscall")};
	struct oci_seccomp_syscall allow_mkdir[] = {SYSCALL("SCMP_ACT_ALLOW", "mkdir")};
	struct oci_seccomp_syscall notify_mkdir[] = {SYSCALL("SCMP_ACT_NOTIFY", "mkdir")};
	struct oci_seccomp empty = {.default_action = "SCMP_ACT_ALLOW"};
	struct oci_seccomp s;
	size_t base = 0, len = 0, len2 = 0;
	unsigned int flags = 0;
	char *e;

	e = try_prepare(&empty, &base, NULL);
	ok(!e && base > 0, "an allow-all filter compiles (%zu instructions)", base);
	free(e);

	s = (struct oci_seccomp){.default_action = "SCMP_ACT_ALLOW", .syscalls = deny_mkdir, .n_syscalls = 1};
	e = try_prepare(&s, &len, NULL);
	ok(!e && len > base, "a mkdir rule adds instructions (%zu > %zu)", len, base);
	free(e);

	s.syscalls = deny_mkdir_unknown;
	e = try_prepare(&s, &len2, NULL);
	ok(!e, "unknown syscall names are skipped, not an error");
	is_int(len2, len, "skipping unknown names gives the same filter as without them");
	free(e);

	/* The skip is logged at debug level, naming the syscall. */
	{
		char logpath[] = "/tmp/capsa-test-seccomp-log-XXXXXX";
		int lfd = mkstemp(logpath);
		struct capsa_error *lerr = NULL;
		char *logged = NULL;
		size_t llen = 0;
		if (lfd >= 0 && capsa_log_init(logpath, CAPSA_LOG_TEXT, CAPSA_LOG_DEBUG, &lerr) == 0) {
			free(try_prepare(&s, NULL, NULL));
			if (capsa_log_init(NULL, CAPSA_LOG_TEXT, CAPSA_LOG_WARN, &lerr) < 0)
				capsa_error_clear(&lerr);
			if (capsa_read_file_at(AT_FDCWD, logpath, 0, &logged, &llen, &lerr) < 0)
				capsa_error_clear(&lerr);
		}
		ok(logged && strstr(logged, "skipping unknown syscall capsa_no_such_syscall"),
		   "the skipped name is logged at debug level");
		free(logged);
		if (lfd >= 0) {
			close(lfd);
			unlink(logpath);
		}
	}

	s.syscalls = deny_only_unknown;
	e = try_prepare(&s, &len2, NULL);
	ok(!e && len2 == base, "a rule with only unknown names adds nothing");
	free(e);

	s = (struct oci_seccomp){
		.default_action = "SCMP_ACT_ALLOW", .syscalls = allow_mkdir, .n_syscalls = 1};
	e = try_prepare(&s, &len2, NULL);
	ok(!e && len2 == base, "a rule with the default action is dropped");
	free(e);

	s = (struct oci_seccomp){.default_action = "SCMP_ACT_ALLOW",
				 .architectures = NAMES("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"),
				 .n_architectures = 3,
				 .syscalls = deny_mkdir,
				 .n_syscalls = 1};
	e = try_prepare(&s, &len2, NULL);
	ok(!e && len2 > len, "more architectures, more instructions (%zu > %zu)", len2, len);
	free(e);

	s = (struct oci_seccomp){.default_action = "SCMP_ACT_ERRNO", .default_errno_ret = {true, 38}};
	e = try_prepare(&s, NULL, NULL);
	ok(!e, "defaultErrnoRet with SCMP_ACT_ERRNO");
	free(e);
	s.default_action = "SCMP_ACT_TRACE";
	s.default_errno_ret.value = 5000;
	e = try_prepare(&s, NULL, NULL);
	ok(!e, "SCMP_ACT_TRACE takes 16-bit data");
	free(e);

	const char *actions[] = {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
				 "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",	   "SCMP_ACT_TRACE",
				 "SCMP_ACT_LOG"};
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
		deny_mkdir[0].action = (char *)actions[i];
		s = (struct oci_seccomp){
			.default_action = "SCMP_ACT_ALLOW", .syscalls = deny_mkdir, .n_syscalls = 1};
		e = try_prepare(&s, NULL, NULL);
		ok(!e, "action %s translates", actions[i]);
		free(e);
	}

	const char *ops[] = {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",	"SCMP_CMP_EQ",
			     "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"};
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		struct oci_seccomp_arg args[] = {
			{.index = 0, .value = 8, .value_two = 8, .op = (char *)ops[i]},
			{.index = 5, .value = 1, .op = (char *)ops[i]}};
		struct oci_seccomp_syscall sc[] = {SYSCALL("SCMP_ACT_ERRNO", "personality")};
		sc[0].args = args;
		sc[0].n_args = 2;
		s = (struct oci_seccomp){.default_action = "SCMP_ACT_ALLOW", .syscalls = sc, .n_syscalls = 1};
		e = try_prepare(&s, NULL, NULL);
		ok(!e, "op %s translates", ops[i]);
		free(e);
	}

	/* Flags. */
	s = (struct oci_seccomp){.default_action = "SCMP_ACT_ALLOW",
				 .flags = NAMES("SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
						"SECCOMP_FILTER_FLAG_SPEC_ALLOW"),
				 .n_flags = 3};
	e = try_prepare(&s, NULL, &flags);
	ok(!e, "TSYNC, LOG and SPEC_ALLOW are accepted (%s)", e ? e : "");
	is_int(flags, SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW,
	       "the flags are passed to seccomp(2)");
	free(e);

	s = (struct oci_seccomp){.default_action = "SCMP_ACT_ALLOW",
				 .flags = NAMES("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"),
				 .n_flags = 1};
	e = try_prepare(&s, NULL, &flags);
	ok(!e && flags == 0, "WAIT_KILLABLE_RECV is dropped without notify rules");
	free(e);

	s = (struct oci_seccomp){
		.default_action = "SCMP_ACT_ALLOW",
		.flags = NAMES("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", "SECCOMP_FILTER_FLAG_TSYNC"),
		.n_flags = 2,
		.listener_path = "/run/capsa-test.sock",
		.syscalls = notify_mkdir,
		.n_syscalls = 1};
	e = try_prepare(&s, NULL, &flags);
	ok(!e, "notify with WAIT_KILLABLE_RECV and TSYNC (%s)", e ? e : "");
	is_int(flags,
	       SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV | SECCOMP_FILTER_FLAG_TSYNC |
		       SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC_ESRCH,
	       "notify adds NEW_LISTENER, and TSYNC_ESRCH next to TSYNC");
	free(e);
}

int main(void)
{
	test_errors();
	test_translation();
	return tap_done();
}
