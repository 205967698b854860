/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * linux.seccomp -> libseccomp filter -> BPF, then seccomp(2).
 *
 * libseccomp builds and compiles the filter at create time; we keep the BPF
 * program and install it ourselves with seccomp(2). That way the container
 * init does one syscall with no allocation just before exec, and every flag of
 * the runtime spec works whatever libseccomp version we link against
 * (WAIT_KILLABLE_RECV is newer than Debian 12's libseccomp 2.5.4).
 */
#define _GNU_SOURCE
#include "runtime/seccomp.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* The kernel clamps SECCOMP_RET_ERRNO data to MAX_ERRNO; SECCOMP_RET_DATA is 16 bits. */
#define ERRNO_MAX 4095
#define RET_DATA_MAX 0xffff
#define ARG_INDEX_MAX 5

struct capsa_seccomp {
	struct sock_fprog prog;
	unsigned int flags;
	bool notify;
};

static const struct {
	const char *name;
	unsigned int flag;
} flag_table[] = {
	{"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
	{"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
	{"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
	{"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

static const struct {
	const char *name;
	enum scmp_compare op;
} op_table[] = {
	{"SCMP_CMP_NE", SCMP_CMP_NE},
	{"SCMP_CMP_LT", SCMP_CMP_LT},
	{"SCMP_CMP_LE", SCMP_CMP_LE},
	{"SCMP_CMP_EQ", SCMP_CMP_EQ},
	{"SCMP_CMP_GE", SCMP_CMP_GE},
	{"SCMP_CMP_GT", SCMP_CMP_GT},
	{"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

/* The runtime-spec names; the libseccomp build may not support all of them (checked when added). */
static const struct {
	const char *name;
	uint32_t arch;
} arch_table[] = {
	{"SCMP_ARCH_X86", SCMP_ARCH_X86},
	{"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
	{"SCMP_ARCH_X32", SCMP_ARCH_X32},
	{"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
	{"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
	{"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
	{"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
	{"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
	{"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
	{"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
	{"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
	{"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
	{"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
	{"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
	{"SCMP_ARCH_S390", SCMP_ARCH_S390},
	{"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
	{"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
	{"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
#ifdef SCMP_ARCH_RISCV64
	{"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
#endif
#ifdef SCMP_ARCH_LOONGARCH64
	{"SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64},
#endif
#ifdef SCMP_ARCH_M68K
	{"SCMP_ARCH_M68K", SCMP_ARCH_M68K},
#endif
#ifdef SCMP_ARCH_SH
	{"SCMP_ARCH_SH", SCMP_ARCH_SH},
	{"SCMP_ARCH_SHEB", SCMP_ARCH_SHEB},
#endif
};

/*
 * Between loading the filter and exec, the init sends the notify fd to its
 * parent, closes it and calls execve: SCMP_ACT_NOTIFY on one of these would
 * block the init on a listener that has not received the fd yet.
 */
static const char *const notify_forbidden[] = {"sendmsg", "sendto", "write", "close", "execve", "execveat"};

/* What prepare() gathers while it adds rules. */
struct build {
	scmp_filter_ctx ctx;
	bool notify;
	size_t n_archs;
	uint32_t archs[ARRAY_SIZE(arch_table) + 1];
	/* The highest syscall number the profile names, per architecture (-1: none). */
	int max_nr[ARRAY_SIZE(arch_table) + 1];
};

static void scmp_ctx_freep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

static int action_parse(const char *name, const struct oci_opt_u64 *errno_ret, uint32_t *out,
			struct capsa_error **err)
{
	bool takes_errno = false;
	uint32_t act;

	if (!name)
		return capsa_error_set(err, 0, "missing action");
	if (strcmp(name, "SCMP_ACT_KILL") == 0)
		act = SCMP_ACT_KILL;
	else if (strcmp(name, "SCMP_ACT_KILL_THREAD") == 0)
		act = SCMP_ACT_KILL_THREAD;
	else if (strcmp(name, "SCMP_ACT_KILL_PROCESS") == 0)
		act = SCMP_ACT_KILL_PROCESS;
	else if (strcmp(name, "SCMP_ACT_TRAP") == 0)
		act = SCMP_ACT_TRAP;
	else if (strcmp(name, "SCMP_ACT_ALLOW") == 0)
		act = SCMP_ACT_ALLOW;
	else if (strcmp(name, "SCMP_ACT_LOG") == 0)
		act = SCMP_ACT_LOG;
	else if (strcmp(name, "SCMP_ACT_NOTIFY") == 0)
		act = SCMP_ACT_NOTIFY;
	else if (strcmp(name, "SCMP_ACT_ERRNO") == 0)
		takes_errno = true, act = SCMP_ACT_ERRNO(0);
	else if (strcmp(name, "SCMP_ACT_TRACE") == 0)
		takes_errno = true, act = SCMP_ACT_TRACE(0);
	else
		return capsa_error_set(err, 0, "unknown action \"%s\"", name);

	if (!takes_errno) {
		if (errno_ret && errno_ret->set)
			return capsa_error_set(err, 0, "errnoRet is not supported with action %s", name);
		*out = act;
		return 0;
	}
	uint64_t e = errno_ret && errno_ret->set ? errno_ret->value : EPERM;
	if (act == SCMP_ACT_ERRNO(0)) {
		/* ERRNO: the kernel would silently clamp larger values to MAX_ERRNO. */
		if (e > ERRNO_MAX)
			return capsa_error_set(err, 0, "errnoRet %llu out of range (0-%d)",
					       (unsigned long long)e, ERRNO_MAX);
		*out = SCMP_ACT_ERRNO((uint32_t)e);
	} else {
		if (e > RET_DATA_MAX)
			return capsa_error_set(err, 0, "errnoRet %llu out of range (0-%d)",
					       (unsigned long long)e, RET_DATA_MAX);
		*out = SCMP_ACT_TRACE((uint32_t)e);
	}
	return 0;
}

static int op_parse(const char *name, enum scmp_compare *out, struct capsa_error **err)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(op_table); i++) {
		if (strcmp(name, op_table[i].name) == 0) {
			*out = op_table[i].op;
			return 0;
		}
	}
	return capsa_error_set(err, 0, "unknown op \"%s\"", name ? name : "(missing)");
}

static int arch_add(struct build *b, const char *name, struct capsa_error **err)
{
	if (!name)
		return capsa_error_set(err, 0, "missing architecture name");
	for (size_t i = 0; i < ARRAY_SIZE(arch_table); i++) {
		if (strcmp(name, arch_table[i].name) != 0)
			continue;
		int r = seccomp_arch_add(b->ctx, arch_table[i].arch);
		if (r == -EEXIST)
			return 0;
		if (r == 0) {
			b->archs[b->n_archs] = arch_table[i].arch;
			b->max_nr[b->n_archs++] = -1;
			return 0;
		}
		return capsa_error_set(err, -r, "architecture %s not supported by libseccomp", name);
	}
	return capsa_error_set(err, 0, "unknown architecture \"%s\"", name);
}

static int flags_parse(const struct oci_seccomp *s, unsigned int *out, struct capsa_error **err)
{
	*out = 0;
	for (size_t i = 0; i < s->n_flags; i++) {
		size_t j;
		if (!s->flags[i])
			return capsa_error_set(err, 0, "flags[%zu]: missing flag name", i);
		for (j = 0; j < ARRAY_SIZE(flag_table); j++) {
			if (strcmp(s->flags[i], flag_table[j].name) == 0)
				break;
		}
		if (j == ARRAY_SIZE(flag_table))
			return capsa_error_set(err, 0, "flags[%zu]: unknown flag \"%s\"", i, s->flags[i]);
		*out |= flag_table[j].flag;
	}
	return 0;
}

/*
 * Asks the kernel whether it knows a flag combination without installing
 * anything: with a NULL program a known combination fails with EFAULT,
 * an unknown one with EINVAL.
 */
static bool kernel_supports_flags(unsigned int flags)
{
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, NULL) < 0 && errno == EFAULT;
}

static const char *flag_name(unsigned int flag)
{
	for (size_t j = 0; j < ARRAY_SIZE(flag_table); j++) {
		if (flag_table[j].flag == flag)
			return flag_table[j].name;
	}
	return "SECCOMP_FILTER_FLAG_NEW_LISTENER";
}

static int rule_add(scmp_filter_ctx ctx, const char *name, int nr, uint32_t act,
		    const struct scmp_arg_cmp *conds, unsigned int n, struct capsa_error **err)
{
	int r = seccomp_rule_add_array(ctx, act, nr, n, conds);
	if (r < 0)
		return capsa_error_set(err, -r, "adding a rule for %s", name);
	return 0;
}

static void note_max_nr(struct build *b, const char *name)
{
	for (size_t i = 0; i < b->n_archs; i++) {
		int nr = seccomp_syscall_resolve_name_arch(b->archs[i], name);
		if (nr > b->max_nr[i]) /* pseudo syscalls (absent on this arch) are negative */
			b->max_nr[i] = nr;
	}
}

static int syscall_add(struct build *b, const struct oci_seccomp_syscall *sc, uint32_t act,
		       const struct scmp_arg_cmp *conds, size_t n_conds, bool split, struct capsa_error **err)
{
	scmp_filter_ctx ctx = b->ctx;

	for (size_t i = 0; i < sc->n_names; i++) {
		const char *name = sc->names[i];
		if (!name || !*name)
			return capsa_error_set(err, 0, "names[%zu]: empty syscall name", i);
		int nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR) {
			/* As runc: a profile written for newer kernels or other arches must still load. */
			capsa_debug("seccomp: skipping unknown syscall %s", name);
			continue;
		}
		note_max_nr(b, name);
		if (n_conds == 0 || !split) {
			if (rule_add(ctx, name, nr, act, conds, n_conds, err) < 0)
				return -1;
			continue;
		}
		for (size_t j = 0; j < n_conds; j++) {
			if (rule_add(ctx, name, nr, act, &conds[j], 1, err) < 0)
				return -1;
		}
	}
	return 0;
}

static int syscall_translate(struct build *b, const struct oci_seccomp_syscall *sc, uint32_t def_act,
			     struct capsa_error **err)
{
	uint32_t act;
	struct scmp_arg_cmp conds[ARG_INDEX_MAX + 1];
	_cleanup_free_ struct scmp_arg_cmp *many = NULL;
	struct scmp_arg_cmp *c = conds;
	unsigned int per_index[ARG_INDEX_MAX + 1] = {0};
	bool split = false;

	if (sc->n_names == 0)
		return capsa_error_set(err, 0, "names: must have at least one syscall");
	if (action_parse(sc->action, &sc->errno_ret, &act, err) < 0)
		return -1;
	if (sc->n_args > ARRAY_SIZE(conds))
		c = many = xcalloc(sc->n_args, sizeof(*many));
	for (size_t i = 0; i < sc->n_args; i++) {
		const struct oci_seccomp_arg *a = &sc->args[i];
		enum scmp_compare op = _SCMP_CMP_MIN;
		if (a->index > ARG_INDEX_MAX)
			return capsa_error_set(err, 0, "args[%zu]: index %u out of range (0-%d)", i, a->index,
					       ARG_INDEX_MAX);
		if (op_parse(a->op, &op, err) < 0)
			return capsa_error_prefix(err, "args[%zu]", i);
		c[i] = (struct scmp_arg_cmp){
			.arg = a->index, .op = op, .datum_a = a->value, .datum_b = a->value_two};
		/*
		 * Conditions on distinct arguments are ANDed in one rule; several on the
		 * same argument become one rule each (ORed), which is how runc and
		 * docker profiles express "flags is one of these values".
		 */
		if (++per_index[a->index] > 1)
			split = true;
	}
	if (act == SCMP_ACT_NOTIFY) {
		for (size_t i = 0; i < sc->n_names; i++) {
			for (size_t j = 0; j < ARRAY_SIZE(notify_forbidden); j++) {
				if (sc->names[i] && strcmp(sc->names[i], notify_forbidden[j]) == 0)
					return capsa_error_set(
						err, 0,
						"SCMP_ACT_NOTIFY cannot be used for %s: the runtime "
						"calls it after loading the filter",
						sc->names[i]);
			}
		}
		b->notify = true;
	}
	if (act == def_act) {
		/* They still say the profile knows these syscalls (for the ENOSYS stub). */
		for (size_t i = 0; i < sc->n_names; i++) {
			if (sc->names[i] && seccomp_syscall_resolve_name(sc->names[i]) != __NR_SCMP_ERROR)
				note_max_nr(b, sc->names[i]);
		}
		/* libseccomp refuses such rules (EACCES); they change nothing. */
		capsa_debug("seccomp: skipping rule for %s: same action as the default", sc->names[0]);
		return 0;
	}
	return syscall_add(b, sc, act, c, sc->n_args, split, err);
}

/* Compiles the filter to BPF in memory (libseccomp 2.5 only exports to an fd). */
static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *prog, struct capsa_error **err)
{
	_cleanup_close_ int fd = memfd_create("capsa-seccomp-bpf", MFD_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	if (fd < 0)
		return capsa_error_errno(err, "memfd_create");
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return capsa_error_set(err, -r, "compiling the seccomp filter");
	if (lseek(fd, 0, SEEK_SET) < 0)
		return capsa_error_errno(err, "lseek");
	if (capsa_read_fd(fd, 0, &buf, &len, err) < 0)
		return -1;
	if (len == 0 || len % sizeof(struct sock_filter) != 0 ||
	    len / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return capsa_error_set(err, E2BIG, "compiled seccomp filter has a bad size (%zu bytes)", len);
	prog->len = (unsigned short)(len / sizeof(struct sock_filter));
	prog->filter = xmalloc(len);
	memcpy(prog->filter, buf, len);
	return 0;
}

/*
 * Syscalls newer than the profile must fail with ENOSYS, not with the default
 * action: libcs probe new syscalls (clone3, fchmodat2, ...) and fall back to
 * older ones only on ENOSYS, so an EPERM would break ordinary programs on a
 * newer libc. As runc does, any syscall number above the highest one the
 * profile names for that architecture gets ENOSYS, checked by a few
 * instructions put in front of libseccomp's program.
 */
static int add_enosys_stub(const struct build *b, struct sock_fprog *prog, struct capsa_error **err)
{
	struct sock_filter stub[4 * ARRAY_SIZE(b->archs) + 2];
	size_t n = 0, n_blocks = 0;
	size_t blocks[ARRAY_SIZE(b->archs)];

	for (size_t i = 0; i < b->n_archs; i++) {
		/* x32 shares AUDIT_ARCH_X86_64 and is told apart by a bit of nr: left to libseccomp's
		 * program. */
		if (b->max_nr[i] >= 0 && b->archs[i] != SCMP_ARCH_X32)
			blocks[n_blocks++] = i;
	}
	if (n_blocks == 0)
		return 0;
	/*
	 * Per architecture: if (arch == A) { if (nr & X32_BIT) goto orig; if (nr > max) return ENOSYS; goto
	 * orig; } The instruction after the stub is index `end`, "return ENOSYS" is end - 1.
	 */
	size_t end = 1;
	for (size_t k = 0; k < n_blocks; k++)
		end += b->archs[blocks[k]] == SCMP_ARCH_X86_64 ? 4 : 3;
	end += 1;
	stub[n++] =
		(struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	for (size_t k = 0; k < n_blocks; k++) {
		size_t i = blocks[k];
		bool x86_64 = b->archs[i] == SCMP_ARCH_X86_64;
		size_t block_len = x86_64 ? 4 : 3;
		/* jt/jf count from the next instruction. */
		stub[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, b->archs[i], 0,
						       (uint8_t)(block_len - 1));
		n++;
		stub[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
							 offsetof(struct seccomp_data, nr));
		if (x86_64) {
			stub[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x40000000U,
							       (uint8_t)(end - n - 1), 0);
			n++;
		}
		stub[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t)b->max_nr[i],
						       (uint8_t)(end - 1 - n - 1), (uint8_t)(end - n - 1));
		n++;
	}
	stub[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
						 SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));
	if (n != end || end > 255)
		return capsa_error_set(err, 0, "internal error building the ENOSYS stub (%zu/%zu)", n, end);
	if (prog->len + n > BPF_MAXINSNS)
		return capsa_error_set(err, E2BIG, "the filter is too large (%zu instructions)",
				       prog->len + n);

	struct sock_filter *all = xcalloc(prog->len + n, sizeof(*all));
	memcpy(all, stub, n * sizeof(*all));
	memcpy(all + n, prog->filter, prog->len * sizeof(*all));
	free(prog->filter);
	prog->filter = all;
	prog->len = (unsigned short)(prog->len + n);
	return 0;
}

static int prepare(const struct oci_seccomp *s, struct capsa_seccomp *f, struct capsa_error **err)
{
	__attribute__((cleanup(scmp_ctx_freep))) scmp_filter_ctx ctx = NULL;
	struct build b = {0};
	uint32_t def_act;
	int r;

	if (action_parse(s->default_action, &s->default_errno_ret, &def_act, err) < 0)
		return capsa_error_prefix(err, "defaultAction");
	if (def_act == SCMP_ACT_NOTIFY)
		/* Every syscall of the init after the load would wait for a listener that has no fd yet. */
		return capsa_error_set(err, 0, "defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
	if (s->listener_metadata && !s->listener_path)
		return capsa_error_set(err, 0, "listenerMetadata is set without listenerPath");
	if (s->listener_path && s->listener_path[0] != '/')
		return capsa_error_set(err, 0, "listenerPath %s: not an absolute path", s->listener_path);
	if (flags_parse(s, &f->flags, err) < 0)
		return -1;

	b.ctx = ctx = seccomp_init(def_act);
	if (!ctx)
		return capsa_error_set(err, 0, "seccomp_init failed for defaultAction %s", s->default_action);
	b.archs[0] = seccomp_arch_native();
	b.max_nr[0] = -1;
	b.n_archs = 1;
	/* We install the filter ourselves: no_new_privs is the caller's decision, not libseccomp's. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r < 0)
		return capsa_error_set(err, -r, "seccomp_attr_set NNP");
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r < 0)
		return capsa_error_set(err, -r, "seccomp_attr_set OPTIMIZE");
	for (size_t i = 0; i < s->n_architectures; i++) {
		if (arch_add(&b, s->architectures[i], err) < 0)
			return capsa_error_prefix(err, "architectures[%zu]", i);
	}
	for (size_t i = 0; i < s->n_syscalls; i++) {
		if (syscall_translate(&b, &s->syscalls[i], def_act, err) < 0)
			return capsa_error_prefix(err, "syscalls[%zu]", i);
	}
	f->notify = b.notify;
	if (f->notify && !s->listener_path)
		return capsa_error_set(err, 0, "SCMP_ACT_NOTIFY is used but listenerPath is not set");

	if (f->flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV && !f->notify) {
		/* The kernel refuses it without a listener, and it means nothing without one. */
		capsa_debug(
			"seccomp: ignoring SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: no SCMP_ACT_NOTIFY rule");
		f->flags &= ~(unsigned int)SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	}
	unsigned int all = capsa_seccomp_flags(f);
	if (all && !kernel_supports_flags(all)) {
		for (unsigned int bit = 1; bit; bit <<= 1) {
			unsigned int alone = bit == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
						     ? bit | SECCOMP_FILTER_FLAG_NEW_LISTENER
						     : bit;
			if ((all & bit) && !kernel_supports_flags(alone))
				return capsa_error_set(err, EOPNOTSUPP,
						       "flag %s is not supported by this kernel",
						       flag_name(bit));
		}
		return capsa_error_set(err, EOPNOTSUPP,
				       "seccomp flags 0x%x are not supported together by this kernel", all);
	}
	if (export_bpf(ctx, &f->prog, err) < 0)
		return -1;
	if (def_act != SCMP_ACT_ALLOW && def_act != SCMP_ACT_LOG)
		return add_enosys_stub(&b, &f->prog, err);
	return 0;
}

int capsa_seccomp_prepare(const struct oci_seccomp *s, struct capsa_seccomp **out, struct capsa_error **err)
{
	struct capsa_seccomp *f = xzalloc(sizeof(*f));

	if (prepare(s, f, err) < 0) {
		capsa_seccomp_free(f);
		return capsa_error_prefix(err, "seccomp");
	}
	capsa_debug("seccomp: %u BPF instructions, flags 0x%x%s", f->prog.len, capsa_seccomp_flags(f),
		    f->notify ? ", notify" : "");
	*out = f;
	return 0;
}

bool capsa_seccomp_has_notify(const struct capsa_seccomp *f)
{
	return f->notify;
}

unsigned int capsa_seccomp_flags(const struct capsa_seccomp *f)
{
	unsigned int flags = f->flags;
	if (f->notify) {
		flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
		/* TSYNC alone would return a thread id on failure, which collides with the listener fd. */
		if (flags & SECCOMP_FILTER_FLAG_TSYNC)
			flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
	}
	return flags;
}

size_t capsa_seccomp_bpf_len(const struct capsa_seccomp *f)
{
	return f->prog.len;
}

int capsa_seccomp_load(struct capsa_seccomp *f, int *notify_fd, struct capsa_error **err)
{
	unsigned int flags = capsa_seccomp_flags(f);
	long r;

	if (notify_fd)
		*notify_fd = -1;
	if (f->notify && !notify_fd)
		return capsa_error_set(err, EINVAL,
				       "seccomp: the filter has SCMP_ACT_NOTIFY rules but no fd is wanted");
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &f->prog);
	if (r < 0) {
		if (errno == EACCES && prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0)
			return capsa_error_errno(err, "seccomp: loading the filter needs no_new_privs or "
						      "CAP_SYS_ADMIN (load it before dropping capabilities)");
		if (errno == ESRCH)
			return capsa_error_errno(
				err, "seccomp: another thread has an incompatible filter (TSYNC)");
		return capsa_error_errno(err, "seccomp: loading the filter");
	}
	if (!f->notify && r > 0)
		/* TSYNC without ESRCH: r is the id of a thread that could not be synchronised. */
		return capsa_error_set(err, ESRCH, "seccomp: thread %ld could not be synchronised (TSYNC)",
				       r);
	if (f->notify)
		*notify_fd = (int)r; /* the kernel opens listener fds O_CLOEXEC */
	return 0;
}

/*
 * The compiled filter on disk, so `exec` reuses what `create` compiled instead
 * of rebuilding it (~5 ms for the default profile). Little-endian header:
 * magic, version, flags, notify, instruction count, FNV-1a of the instructions;
 * then the instructions. Reads are bounded and checked field by field.
 */
#define SAVED_MAGIC "CAPSASCB"
#define SAVED_VERSION 1

struct saved_header {
	char magic[8];
	uint32_t version;
	uint32_t flags;
	uint32_t notify;
	uint32_t len;
	uint64_t checksum;
};

char *capsa_seccomp_encode(const struct capsa_seccomp *f, size_t *len)
{
	size_t insns = (size_t)f->prog.len * sizeof(struct sock_filter);
	struct saved_header h = {.version = SAVED_VERSION,
				 .flags = f->flags,
				 .notify = f->notify,
				 .len = f->prog.len,
				 .checksum = capsa_fnv1a64(f->prog.filter, insns)};
	char *buf = xmalloc(sizeof(h) + insns);

	memcpy(h.magic, SAVED_MAGIC, sizeof(h.magic));
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), f->prog.filter, insns);
	*len = sizeof(h) + insns;
	return buf;
}

int capsa_seccomp_decode(const char *buf, size_t len, const char *name, struct capsa_seccomp **out,
			 struct capsa_error **err)
{
	struct saved_header h;

	if (len < sizeof(h))
		return capsa_error_set(err, 0, "seccomp: %s: truncated header (%zu bytes)", name, len);
	memcpy(&h, buf, sizeof(h));
	if (memcmp(h.magic, SAVED_MAGIC, sizeof(h.magic)) != 0)
		return capsa_error_set(err, 0, "seccomp: %s: not a compiled capsa filter", name);
	if (h.version != SAVED_VERSION)
		return capsa_error_set(err, 0, "seccomp: %s: version %u, expected %d", name, h.version,
				       SAVED_VERSION);
	if (h.len == 0 || h.len > BPF_MAXINSNS ||
	    len - sizeof(h) != (size_t)h.len * sizeof(struct sock_filter))
		return capsa_error_set(err, 0, "seccomp: %s: %u instructions do not match the file size %zu",
				       name, h.len, len);
	if (capsa_fnv1a64(buf + sizeof(h), len - sizeof(h)) != h.checksum)
		return capsa_error_set(err, 0, "seccomp: %s: checksum mismatch", name);
	if (h.notify > 1 || (h.flags & ~(unsigned int)(SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG |
						       SECCOMP_FILTER_FLAG_SPEC_ALLOW |
						       SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)))
		return capsa_error_set(err, 0, "seccomp: %s: unknown flags 0x%x", name, h.flags);

	struct capsa_seccomp *f = xzalloc(sizeof(*f));
	f->flags = h.flags;
	f->notify = h.notify;
	f->prog.len = (unsigned short)h.len;
	f->prog.filter = xmalloc(len - sizeof(h));
	memcpy(f->prog.filter, buf + sizeof(h), len - sizeof(h));
	*out = f;
	return 0;
}

int capsa_seccomp_save(const struct capsa_seccomp *f, int dirfd, const char *name, struct capsa_error **err)
{
	size_t len;
	_cleanup_free_ char *buf = capsa_seccomp_encode(f, &len);
	if (capsa_write_file_atomic_at(dirfd, name, buf, len, 0600, err) < 0)
		return capsa_error_prefix(err, "seccomp: save the compiled filter");
	return 0;
}

int capsa_seccomp_restore(int dirfd, const char *name, struct capsa_seccomp **out, struct capsa_error **err)
{
	const size_t max = sizeof(struct saved_header) + BPF_MAXINSNS * sizeof(struct sock_filter);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;

	if (capsa_read_file_at(dirfd, name, max, &buf, &len, err) < 0)
		return capsa_error_prefix(err, "seccomp: read the compiled filter");
	return capsa_seccomp_decode(buf, len, name, out, err);
}

void capsa_seccomp_free(struct capsa_seccomp *f)
{
	if (!f)
		return;
	free(f->prog.filter);
	free(f);
}

int capsa_seccomp_send_notify_fd(const char *listener_path, int notify_fd, const char *state_json,
				 const char *metadata, struct capsa_error **err)
{
	_cleanup_oci_state_ struct oci_state *st = NULL;

	if (!state_json)
		return capsa_error_set(err, 0, "seccomp: no container state to send");
	if (capsa_oci_state_parse(state_json, strlen(state_json), "state", &st, err) < 0)
		return capsa_error_prefix(err, "seccomp");
	if (st->pid <= 0)
		return capsa_error_set(err, 0, "seccomp: the container state has no pid");
	return capsa_seccomp_send_notify_fd_pid(listener_path, notify_fd, st->pid, state_json, metadata, err);
}

int capsa_seccomp_listener_connect(const char *listener_path, struct capsa_error **err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	_cleanup_close_ int sock = -1;

	if (!listener_path || strlen(listener_path) >= sizeof(addr.sun_path))
		return capsa_error_set(err, ENAMETOOLONG,
				       "seccomp: listenerPath %s: too long for a unix socket",
				       listener_path ? listener_path : "(null)");
	strcpy(addr.sun_path, listener_path);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return capsa_error_errno(err, "seccomp: socket");
	if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return capsa_error_errno(err, "seccomp: connect to listenerPath %s", listener_path);
	return TAKE_FD(sock);
}

int capsa_seccomp_send_notify_fd_sock(int sock, int notify_fd, pid_t pid, const char *state_json,
				      const char *metadata, struct capsa_error **err)
{
	_cleanup_free_ char *meta = NULL;
	_cleanup_free_ char *msg = NULL;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf = {0};
	size_t len, sent;
	ssize_t n;

	if (notify_fd < 0)
		return capsa_error_set(err, EBADF, "seccomp: no notify fd to send");
	if (!state_json)
		return capsa_error_set(err, 0, "seccomp: no container state to send");
	if (metadata) {
		_cleanup_free_ char *esc = capsa_json_escape(metadata);
		meta = xasprintf(",\"metadata\":\"%s\"", esc);
	}
	msg = xasprintf("{\"ociVersion\":\"%s\",\"fds\":[\"seccompFd\"],\"pid\":%d%s,\"state\":%s}",
			CAPSA_OCI_VERSION, (int)pid, meta ? meta : "", state_json);
	len = strlen(msg);

	/* The fd goes with the first bytes; the rest (if the socket buffer is short) follows without it. */
	struct iovec iov = {.iov_base = msg, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf.buf,
			    .msg_controllen = sizeof(cbuf.buf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &notify_fd, sizeof(int));
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return capsa_error_errno(err, "seccomp: sending the notify fd to the listener");
	sent = (size_t)n;
	while (sent < len) {
		do
			n = send(sock, msg + sent, len - sent, MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return capsa_error_errno(err, "seccomp: sending the container state to the listener");
		sent += (size_t)n;
	}
	return 0;
}

int capsa_seccomp_send_notify_fd_pid(const char *listener_path, int notify_fd, pid_t pid,
				     const char *state_json, const char *metadata, struct capsa_error **err)
{
	_cleanup_close_ int sock = -1;

	if (notify_fd < 0)
		return capsa_error_set(err, EBADF, "seccomp: no notify fd to send");
	sock = capsa_seccomp_listener_connect(listener_path, err);
	if (sock < 0)
		return -1;
	if (capsa_seccomp_send_notify_fd_sock(sock, notify_fd, pid, state_json, metadata, err) < 0)
		return capsa_error_prefix(err, "%s", listener_path);
	/* One state per connection, then closed (runtime spec). */
	return 0;
}
