/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Device rules: the v2 way is a BPF_PROG_TYPE_CGROUP_DEVICE program. The
 * builder below emits raw instructions; the same decision is written in C
 * (cgroup_device_decide) and a tiny interpreter runs the emitted program so the
 * unit tests can check one against the other on a table of devices.
 *
 * Semantics (runtime spec): rules are read in order and a later rule overrides
 * an earlier one; what no rule allows is denied. A request asks for several
 * access bits at once (open O_RDWR asks r and w), so the decision is per bit:
 * walking the rules backwards, a deny that covers a still-undecided bit denies,
 * an allow decides the bits it covers, and the request passes once every bit is
 * decided by an allow.
 */
#define _GNU_SOURCE
#include "cgroups/internal.h"
#include "common/log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int cgroup_device_access(const char *s, unsigned *out)
{
	unsigned acc = 0;
	if (s == NULL) {
		*out = CG_DEV_MKNOD | CG_DEV_READ | CG_DEV_WRITE;
		return 0;
	}
	for (; *s; s++) {
		switch (*s) {
		case 'r':
			acc |= CG_DEV_READ;
			break;
		case 'w':
			acc |= CG_DEV_WRITE;
			break;
		case 'm':
			acc |= CG_DEV_MKNOD;
			break;
		default:
			return -1;
		}
	}
	*out = acc;
	return 0;
}

static char rule_type(const struct oci_device_rule *r)
{
	return r->type ? r->type : 'a';
}

/* Unset and -1 both mean "any" (runc writes -1 for a wildcard). */
static bool wildcard(const struct oci_opt_i64 *v)
{
	return !v->set || v->value == -1;
}

int cgroup_device_check(const struct oci_device_rule *r, struct capsa_error **err)
{
	char t = rule_type(r);
	unsigned acc;
	if (t != 'a' && t != 'b' && t != 'c')
		return capsa_error_set(err, 0, "device rule: type '%c' is not one of a, b, c", t);
	if (!wildcard(&r->major) && (r->major.value < 0 || r->major.value > UINT32_MAX))
		return capsa_error_set(err, 0, "device rule: major %" PRId64 " is out of range",
				       r->major.value);
	if (!wildcard(&r->minor) && (r->minor.value < 0 || r->minor.value > UINT32_MAX))
		return capsa_error_set(err, 0, "device rule: minor %" PRId64 " is out of range",
				       r->minor.value);
	if (cgroup_device_access(r->access, &acc) < 0)
		return capsa_error_set(err, 0, "device rule: access '%s' is not a subset of rwm", r->access);
	return 0;
}

static bool rule_matches(const struct oci_device_rule *r, char type, uint32_t major, uint32_t minor)
{
	char t = rule_type(r);
	if (t != 'a' && t != type)
		return false;
	if (!wildcard(&r->major) && (uint64_t)r->major.value != major)
		return false;
	if (!wildcard(&r->minor) && (uint64_t)r->minor.value != minor)
		return false;
	return true;
}

int cgroup_device_decide(const struct oci_device_rule *rules, size_t n, char type, uint32_t major,
			 uint32_t minor, unsigned access)
{
	unsigned left = access;
	for (size_t i = n; i > 0; i--) {
		const struct oci_device_rule *r = &rules[i - 1];
		unsigned acc;
		if (!rule_matches(r, type, major, minor) || cgroup_device_access(r->access, &acc) < 0)
			continue;
		if (!r->allow) {
			if (left & acc)
				return 0;
		} else {
			left &= ~acc;
			if (left == 0)
				return 1;
		}
	}
	return 0;
}

char *cgroup_device_v1_line(const struct oci_device_rule *r, char type)
{
	char maj[24] = "*", min[24] = "*";
	if (!wildcard(&r->major))
		snprintf(maj, sizeof(maj), "%" PRId64, r->major.value);
	if (!wildcard(&r->minor))
		snprintf(min, sizeof(min), "%" PRId64, r->minor.value);
	return xasprintf("%c %s:%s %s", type, maj, min, r->access ? r->access : "rwm");
}

/* Instruction encoders: the subset the builder emits and the interpreter runs. */
#define INSN(c, d, s, o, i)                                                                                  \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(dst, src, off) INSN(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define MOV32_REG(dst, src) INSN(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_IMM(dst, imm) INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define AND32_IMM(dst, imm) INSN(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm)
#define RSH32_IMM(dst, imm) INSN(BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm)
#define JNE32_IMM(dst, imm, off) INSN(BPF_JMP32 | BPF_JNE | BPF_K, dst, 0, off, imm)
#define JEQ32_IMM(dst, imm, off) INSN(BPF_JMP32 | BPF_JEQ | BPF_K, dst, 0, off, imm)
#define EXIT_INSN() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

struct prog {
	struct bpf_insn *v;
	size_t n;
};

static size_t emit(struct prog *p, struct bpf_insn i)
{
	p->v = xreallocarray(p->v, p->n + 1, sizeof(*p->v));
	p->v[p->n] = i;
	return p->n++;
}

int cgroup_device_build(const struct oci_device_rule *rules, size_t n, struct bpf_insn **insns,
			size_t *n_insns, struct capsa_error **err)
{
	for (size_t i = 0; i < n; i++)
		if (cgroup_device_check(&rules[i], err) < 0)
			return capsa_error_prefix(err, "linux.resources.devices[%zu]", i);
	struct prog p = {0};
	/* struct bpf_cgroup_dev_ctx { u32 access_type (access << 16 | type); u32 major; u32 minor; } */
	emit(&p, LDX_W(BPF_REG_2, BPF_REG_1, 0));
	emit(&p, MOV32_REG(BPF_REG_3, BPF_REG_2));
	emit(&p, AND32_IMM(BPF_REG_2, 0xffff));
	emit(&p, RSH32_IMM(BPF_REG_3, 16));
	emit(&p, LDX_W(BPF_REG_4, BPF_REG_1, 4));
	emit(&p, LDX_W(BPF_REG_5, BPF_REG_1, 8));
	for (size_t i = n; i > 0; i--) {
		const struct oci_device_rule *r = &rules[i - 1];
		size_t jumps[4], nj = 0;
		unsigned acc;
		if (cgroup_device_access(r->access, &acc) < 0)
			abort(); /* checked above */
		char t = rule_type(r);
		if (t != 'a')
			jumps[nj++] =
				emit(&p, JNE32_IMM(BPF_REG_2,
						   t == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0));
		if (!wildcard(&r->major))
			jumps[nj++] = emit(&p, JNE32_IMM(BPF_REG_4, (int32_t)(uint32_t)r->major.value, 0));
		if (!wildcard(&r->minor))
			jumps[nj++] = emit(&p, JNE32_IMM(BPF_REG_5, (int32_t)(uint32_t)r->minor.value, 0));
		if (!r->allow) {
			emit(&p, MOV32_REG(BPF_REG_6, BPF_REG_3));
			emit(&p, AND32_IMM(BPF_REG_6, (int32_t)acc));
			jumps[nj++] = emit(&p, JEQ32_IMM(BPF_REG_6, 0, 0));
			emit(&p, MOV64_IMM(BPF_REG_0, 0));
		} else {
			emit(&p, AND32_IMM(BPF_REG_3, (int32_t)(~acc & 7u)));
			jumps[nj++] = emit(&p, JNE32_IMM(BPF_REG_3, 0, 0));
			emit(&p, MOV64_IMM(BPF_REG_0, 1));
		}
		emit(&p, EXIT_INSN());
		/* Every "does not match" jump goes to the next (earlier) rule. */
		for (size_t j = 0; j < nj; j++)
			p.v[jumps[j]].off = (int16_t)(p.n - jumps[j] - 1);
		if (p.n > 30000) {
			free(p.v);
			return capsa_error_set(err, E2BIG, "linux.resources.devices: too many rules (%zu)",
					       n);
		}
	}
	emit(&p, MOV64_IMM(BPF_REG_0, 0));
	emit(&p, EXIT_INSN());
	*insns = p.v;
	*n_insns = p.n;
	return 0;
}

int cgroup_device_run(const struct bpf_insn *insns, size_t n, char type, uint32_t major, uint32_t minor,
		      unsigned access, struct capsa_error **err)
{
	uint32_t ctx[3] = {(access << 16) | (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR), major,
			   minor};
	uint64_t r[11] = {0};
	for (size_t pc = 0; pc < n; pc++) {
		const struct bpf_insn *i = &insns[pc];
		uint32_t dst32 = (uint32_t)r[i->dst_reg];
		bool jump = false;
		if (i->dst_reg > 10 || i->src_reg > 10)
			return capsa_error_set(err, EINVAL, "bpf: bad register at %zu", pc);
		switch (i->code) {
		case BPF_LDX | BPF_MEM | BPF_W:
			if (i->src_reg != BPF_REG_1 || i->off < 0 || i->off > 8 || i->off % 4)
				return capsa_error_set(err, EINVAL, "bpf: load outside the context at %zu",
						       pc);
			r[i->dst_reg] = ctx[i->off / 4];
			break;
		case BPF_ALU | BPF_MOV | BPF_X:
			r[i->dst_reg] = (uint32_t)r[i->src_reg];
			break;
		case BPF_ALU64 | BPF_MOV | BPF_K:
			r[i->dst_reg] = (uint64_t)(int64_t)i->imm;
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			r[i->dst_reg] = dst32 & (uint32_t)i->imm;
			break;
		case BPF_ALU | BPF_RSH | BPF_K:
			r[i->dst_reg] = dst32 >> (i->imm & 31);
			break;
		case BPF_JMP32 | BPF_JNE | BPF_K:
			jump = dst32 != (uint32_t)i->imm;
			break;
		case BPF_JMP32 | BPF_JEQ | BPF_K:
			jump = dst32 == (uint32_t)i->imm;
			break;
		case BPF_JMP | BPF_EXIT:
			return (int)r[BPF_REG_0];
		default:
			return capsa_error_set(err, EINVAL, "bpf: unknown opcode 0x%02x at %zu", i->code, pc);
		}
		if (jump) {
			if (i->off < 0 || pc + 1 + (size_t)i->off > n)
				return capsa_error_set(err, EINVAL, "bpf: bad jump at %zu", pc);
			pc += (size_t)i->off;
		}
	}
	return capsa_error_set(err, EINVAL, "bpf: program ends without exit");
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

int cgroup_device_attach(int dirfd, const struct oci_device_rule *rules, size_t n, struct capsa_error **err)
{
	_cleanup_free_ struct bpf_insn *insns = NULL;
	size_t n_insns;
	if (cgroup_device_build(rules, n, &insns, &n_insns, err) < 0)
		return -1;

	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = (uint32_t)n_insns;
	attr.license = (uintptr_t) "GPL";
	_cleanup_close_ int prog = sys_bpf(BPF_PROG_LOAD, &attr);
	if (prog < 0) {
		int e = errno;
		/* Again with the verifier's log, only to explain the failure (a log can fail a big load). */
		const size_t log_size = 65536;
		_cleanup_free_ char *log = xzalloc(log_size);
		attr.log_buf = (uintptr_t)log;
		attr.log_size = (uint32_t)log_size;
		attr.log_level = 1;
		_cleanup_close_ int again = sys_bpf(BPF_PROG_LOAD, &attr);
		log[log_size - 1] = '\0';
		capsa_debug("bpf verifier log: %s", log);
		return capsa_error_set(
			err, e, "cgroup: load the device filter (BPF_PROG_LOAD, %zu instructions)", n_insns);
	}

	/* The programs attached before (an earlier apply) go once the new one is in place. */
	uint32_t old[64];
	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)dirfd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	attr.query.prog_ids = (uintptr_t)old;
	attr.query.prog_cnt = ARRAY_SIZE(old);
	uint32_t n_old = 0;
	if (sys_bpf(BPF_PROG_QUERY, &attr) == 0)
		n_old = attr.query.prog_cnt;
	else
		capsa_debug("cgroup: BPF_PROG_QUERY: %s", strerror(errno));

	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)dirfd;
	attr.attach_bpf_fd = (uint32_t)prog;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
		return capsa_error_errno(err, "cgroup: attach the device filter (BPF_PROG_ATTACH)");

	for (uint32_t i = 0; i < n_old && i < ARRAY_SIZE(old); i++) {
		memset(&attr, 0, sizeof(attr));
		attr.prog_id = old[i];
		_cleanup_close_ int ofd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
		if (ofd < 0) {
			capsa_warn("cgroup: old device filter %u: %s", old[i], strerror(errno));
			continue;
		}
		memset(&attr, 0, sizeof(attr));
		attr.target_fd = (uint32_t)dirfd;
		attr.attach_bpf_fd = (uint32_t)ofd;
		attr.attach_type = BPF_CGROUP_DEVICE;
		if (sys_bpf(BPF_PROG_DETACH, &attr) < 0)
			capsa_warn("cgroup: detach old device filter %u: %s", old[i], strerror(errno));
	}
	return 0;
}
