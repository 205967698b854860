/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroups: device rules — the decision, the BPF program built for v2, and the v1 lines. */
#include "cgroups/internal.h"
#include "tests/unit/tap.h"

#include <stdlib.h>

#define ANY                                                                                                  \
	{                                                                                                    \
		.set = false                                                                                 \
	}
#define N(v)                                                                                                 \
	{                                                                                                    \
		.set = true, .value = (v)                                                                    \
	}
#define R 2
#define W 4
#define M 1

static const struct oci_device_rule runc_like[] = {
	{.allow = false, .type = 'a', .major = ANY, .minor = ANY, .access = "rwm"},
	{.allow = true, .type = 'c', .major = N(1), .minor = N(3), .access = "rwm"},
	{.allow = true, .type = 'c', .major = N(1), .minor = N(5), .access = "rwm"},
	{.allow = true, .type = 'c', .major = ANY, .minor = ANY, .access = "m"},
	{.allow = true, .type = 'b', .major = ANY, .minor = ANY, .access = "m"},
	{.allow = true, .type = 'c', .major = N(136), .minor = ANY, .access = "rwm"},
	{.allow = false, .type = 'c', .major = N(1), .minor = N(3), .access = "w"},
};

static const struct oci_device_rule allow_all_but[] = {
	{.allow = true, .type = 0, .major = ANY, .minor = ANY, .access = NULL},
	{.allow = false, .type = 'c', .major = N(240), .minor = N(0), .access = NULL},
};

static const struct oci_device_rule per_bit[] = {
	{.allow = true, .type = 'c', .major = N(1), .minor = N(3), .access = "w"},
	{.allow = false, .type = 'c', .major = N(1), .minor = N(3), .access = "r"},
	{.allow = true, .type = 'c', .major = N(1), .minor = N(3), .access = "r"},
	{.allow = true, .type = 'c', .major = N(7), .minor = N(-1), .access = "rw"},
	{.allow = false, .type = 'a', .major = N(7), .minor = N(2), .access = "w"},
};

struct set {
	const char *name;
	const struct oci_device_rule *rules;
	size_t n;
};

static const struct set sets[] = {
	{"runc-like", runc_like, ARRAY_SIZE(runc_like)},
	{"allow-all-but", allow_all_but, ARRAY_SIZE(allow_all_but)},
	{"per-bit", per_bit, ARRAY_SIZE(per_bit)},
	{"empty", NULL, 0},
};

static const struct {
	int set;
	char type;
	uint32_t major, minor;
	unsigned access;
	int want;
} table[] = {
	{0, 'c', 1, 3, R, 1},	      /* /dev/null read */
	{0, 'c', 1, 3, M, 1},	      /* mknod /dev/null */
	{0, 'c', 1, 3, W, 0},	      /* the last rule takes write away */
	{0, 'c', 1, 3, R | W, 0},     /* O_RDWR needs both */
	{0, 'c', 1, 5, R | W | M, 1}, /* /dev/zero */
	{0, 'c', 240, 0, R, 0},	      /* made-up device */
	{0, 'c', 240, 0, M, 1},	      /* mknod of anything char is allowed */
	{0, 'c', 240, 0, R | M, 0},   /* but not together with read */
	{0, 'b', 8, 0, M, 1},	      {0, 'b', 8, 0, R, 0},
	{0, 'c', 136, 42, R | W, 1}, /* ptys: minor wildcard */
	{0, 'b', 136, 42, R, 0},     /* type matters */
	{1, 'c', 240, 0, R, 0},	      {1, 'c', 240, 0, M, 0},
	{1, 'c', 240, 1, R | W, 1},   {1, 'b', 240, 0, R | W | M, 1}, /* 'a' covers block too */
	{1, 'c', 1, 3, R | W, 1},     {2, 'c', 1, 3, R | W, 1},	      /* r from rule 3, w from rule 1 */
	{2, 'c', 1, 3, M, 0},	      {2, 'c', 7, 2, R, 1},
	{2, 'c', 7, 2, W, 0},				    /* the later 'a' deny of w */
	{2, 'c', 7, 9, W, 1},				    /* minor -1 is a wildcard */
	{2, 'b', 7, 2, R, 0},	      {3, 'c', 1, 3, R, 0}, /* no rules: everything denied */
	{3, 'b', 0, 0, M, 0},
};

static void decisions(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		const struct set *s = &sets[table[i].set];
		struct bpf_insn *insns = NULL;
		size_t n = 0;
		struct capsa_error *e = NULL;
		int d = cgroup_device_decide(s->rules, s->n, table[i].type, table[i].major, table[i].minor,
					     table[i].access);
		ok(d == table[i].want, "%s: %c %u:%u access %u -> %s", s->name, table[i].type, table[i].major,
		   table[i].minor, table[i].access, table[i].want ? "allow" : "deny");
		if (cgroup_device_build(s->rules, s->n, &insns, &n, &e) < 0) {
			ok(0, "build %s: %s", s->name, e->msg);
			capsa_error_free(e);
			continue;
		}
		int b = cgroup_device_run(insns, n, table[i].type, table[i].major, table[i].minor,
					  table[i].access, &e);
		is_int(b, table[i].want, "  the BPF program agrees");
		free(insns);
		capsa_error_free(e);
	}
}

/* The program and the C decision agree on every combination of a grid of requests. */
static void agreement(void)
{
	static const uint32_t majors[] = {0, 1, 5, 7, 8, 136, 240, UINT32_MAX};
	static const uint32_t minors[] = {0, 2, 3, 5, 9, UINT32_MAX};
	for (size_t s = 0; s < ARRAY_SIZE(sets); s++) {
		struct bpf_insn *insns = NULL;
		size_t n = 0, checked = 0, mismatches = 0;
		if (cgroup_device_build(sets[s].rules, sets[s].n, &insns, &n, NULL) < 0) {
			ok(0, "build %s", sets[s].name);
			continue;
		}
		for (int t = 0; t < 2; t++)
			for (size_t a = 0; a < ARRAY_SIZE(majors); a++)
				for (size_t b = 0; b < ARRAY_SIZE(minors); b++)
					for (unsigned acc = 1; acc <= 7; acc++) {
						char type = t ? 'b' : 'c';
						int want =
							cgroup_device_decide(sets[s].rules, sets[s].n, type,
									     majors[a], minors[b], acc);
						int got = cgroup_device_run(insns, n, type, majors[a],
									    minors[b], acc, NULL);
						checked++;
						mismatches += want != got;
					}
		ok(mismatches == 0, "%s: program and decision agree on %zu requests (%zu insns)",
		   sets[s].name, checked, n);
		free(insns);
	}
}

static void bad_rules(void)
{
	const struct oci_device_rule bad[] = {
		{.allow = true, .type = 'x', .major = ANY, .minor = ANY, .access = "r"},
		{.allow = true, .type = 'c', .major = ANY, .minor = ANY, .access = "rwx"},
		{.allow = true, .type = 'c', .major = N(-5), .minor = ANY, .access = "r"},
		{.allow = true, .type = 'c', .major = N(1), .minor = N(1LL << 33), .access = "r"},
	};
	const char *why[] = {"type 'x'", "access 'rwx'", "major -5", "minor 8589934592"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct oci_device_rule rules[2] = {runc_like[1], bad[i]};
		struct bpf_insn *insns = NULL;
		size_t n = 0;
		struct capsa_error *e = NULL;
		int r = cgroup_device_build(rules, 2, &insns, &n, &e);
		ok(r < 0 && insns == NULL && e && strstr(e->msg, why[i]) && strstr(e->msg, "devices[1]"),
		   "bad rule rejected: %s", e ? e->msg : "(none)");
		capsa_error_free(e);
	}
	unsigned acc;
	ok(cgroup_device_access("", &acc) == 0 && acc == 0, "empty access is no access");
	ok(cgroup_device_access(NULL, &acc) == 0 && acc == 7, "absent access is rwm");
}

static void bad_programs(void)
{
	struct capsa_error *e = NULL;
	struct bpf_insn unknown[] = {{.code = BPF_ALU64 | BPF_MUL | BPF_K}, {.code = BPF_JMP | BPF_EXIT}};
	ok(cgroup_device_run(unknown, 2, 'c', 1, 3, R, &e) < 0 && e && strstr(e->msg, "unknown opcode"),
	   "interpreter refuses opcodes it does not know");
	capsa_error_clear(&e);
	struct bpf_insn jump[] = {{.code = BPF_JMP32 | BPF_JEQ | BPF_K, .dst_reg = 0, .off = 5, .imm = 0},
				  {.code = BPF_JMP | BPF_EXIT}};
	ok(cgroup_device_run(jump, 2, 'c', 1, 3, R, &e) < 0 && e && strstr(e->msg, "bad jump"),
	   "interpreter refuses jumps out of the program");
	capsa_error_clear(&e);
	struct bpf_insn noexit[] = {{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 1}};
	ok(cgroup_device_run(noexit, 1, 'c', 1, 3, R, &e) < 0 && e, "a program must end in exit");
	capsa_error_clear(&e);
	struct bpf_insn load[] = {{.code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 2, .src_reg = 1, .off = 12},
				  {.code = BPF_JMP | BPF_EXIT}};
	ok(cgroup_device_run(load, 2, 'c', 1, 3, R, &e) < 0 && e, "loads past the context are refused");
	capsa_error_clear(&e);
}

static void v1_lines(void)
{
	char *l = cgroup_device_v1_line(&runc_like[1], 'c');
	is_str(l, "c 1:3 rwm", "v1 line for /dev/null");
	free(l);
	l = cgroup_device_v1_line(&runc_like[3], 'c');
	is_str(l, "c *:* m", "v1 line with wildcards");
	free(l);
	l = cgroup_device_v1_line(&allow_all_but[0], 'a');
	is_str(l, "a *:* rwm", "v1 line for everything");
	free(l);
	l = cgroup_device_v1_line(&per_bit[3], 'c');
	is_str(l, "c 7:* rw", "minor -1 is written as *");
	free(l);
}

int main(void)
{
	decisions();
	agreement();
	bad_rules();
	bad_programs();
	v1_lines();
	return tap_done();
}
