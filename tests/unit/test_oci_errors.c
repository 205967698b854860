/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Every rejection names the document, the JSON path and the reason, exactly. */
#include "tap.h"
#include "oci-spec/oci-spec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define V "\"ociVersion\":\"1.0.0\""
/* A valid process object with one field added (or overriding, as JSON's last key wins in json-c). */
#define PROC(x) "{" V ",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"" x "}}"
#define LINUX(x) "{" V ",\"linux\":{" x "}}"
#define RES(x) LINUX("\"resources\":{" x "}")

static const struct {
	const char *doc;
	const char *msg;
} cases[] = {
	/* syntax, with line and column */
	{"{\n  \"ociVersion\": \"1.0.0\",\n  \"root\": ]\n}",
	 "config.json: invalid JSON at line 3, column 11: unexpected character"},
	{"", "config.json: invalid JSON at line 1, column 1: unexpected end of data"},
	{"{\"ociVersion\": \"1.0.0\"",
	 "config.json: invalid JSON at line 1, column 23: unexpected end of data"},
	{"{\"ociVersion\":\"1.0.0\",}",
	 "config.json: invalid JSON at line 1, column 23: unexpected character"},
	{"{\"ociVersion\":\"1.0.0\"} x",
	 "config.json: invalid JSON at line 1, column 24: unexpected character"},
	{"{\"ociVersion\":\"1.0.0\"}\n\n{}",
	 "config.json: invalid JSON at line 3, column 1: unexpected character"},
	/* json-c notices a leading zero at the character after the number */
	{"{\"a\":\n\t01}", "config.json: invalid JSON at line 2, column 4: number expected"},
	{"[]", "config.json: expected a JSON object at the top level"},
	{"\"config\"", "config.json: expected a JSON object at the top level"},
	/* huge numbers cannot silently saturate */
	{RES("\"memory\":{\"limit\":99999999999999999999}"),
	 "config.json: invalid JSON at line 1, column 63: integer out of range"},
	{RES("\"memory\":{\"limit\":-99999999999999999999}"),
	 "config.json: invalid JSON at line 1, column 63: integer out of range"},
	{RES("\"memory\":{\"limit\":18446744073709551615}"),
	 "config.json: linux.resources.memory.limit: expected a 64-bit signed integer"},
	{RES("\"memory\":{\"limit\":\"1G\"}"),
	 "config.json: linux.resources.memory.limit: expected an integer"},
	{RES("\"memory\":{\"limit\":1.5}"), "config.json: linux.resources.memory.limit: expected an integer"},
	{RES("\"memory\":{\"swappiness\":-1}"),
	 "config.json: linux.resources.memory.swappiness: expected a non-negative integer"},
	{RES("\"memory\":[]"), "config.json: linux.resources.memory: expected an object"},
	/* top level */
	{"{}", "config.json: ociVersion: missing required field"},
	{"{\"ociVersion\":1}", "config.json: ociVersion: expected a string"},
	{"{" V ",\"hostname\":\"a\\u0000b\"}", "config.json: hostname: NUL character in string"},
	{"{" V ",\"root\":{}}", "config.json: root.path: missing required field"},
	{"{" V ",\"root\":{\"path\":\"r\",\"readonly\":\"yes\"}}",
	 "config.json: root.readonly: expected a boolean"},
	{"{" V ",\"annotations\":{\"a.b\":1}}", "config.json: annotations[\"a.b\"]: expected a string"},
	{"{" V ",\"mounts\":[{\"destination\":\"/a\"},{\"destination\":\"/b\"},{\"destination\":3}]}",
	 "config.json: mounts[2].destination: expected a string"},
	{"{" V ",\"mounts\":[{\"destination\":\"/a\"},{\"type\":\"tmpfs\"}]}",
	 "config.json: mounts[1].destination: missing required field"},
	{"{" V ",\"mounts\":[{\"destination\":\"/a\",\"options\":[\"ro\",false]}]}",
	 "config.json: mounts[0].options[1]: expected a string"},
	{"{" V ",\"mounts\":[{\"destination\":\"/a\",\"uidMappings\":[{\"containerID\":0,\"hostID\":1}]}]}",
	 "config.json: mounts[0].uidMappings[0].size: missing required field"},
	{"{" V ",\"mounts\":{}}", "config.json: mounts: expected an array"},
	{"{" V ",\"mounts\":[{\"destination\":\"/a\"},null]}", "config.json: mounts[1]: expected an object"},
	{"{" V ",\"hooks\":{\"poststart\":[\"/bin/true\"]}}",
	 "config.json: hooks.poststart[0]: expected an object"},
	{"{" V ",\"hooks\":[]}", "config.json: hooks: expected an object"},
	{"{" V ",\"hooks\":{\"prestart\":[{\"path\":\"bin/hook\"}]}}",
	 "config.json: hooks.prestart[0].path: expected an absolute path"},
	{"{" V ",\"hooks\":{\"poststop\":[{\"path\":\"/bin/hook\",\"timeout\":0}]}}",
	 "config.json: hooks.poststop[0].timeout: expected an integer of at least 1"},
	{"{" V ",\"hooks\":{\"createRuntime\":[{}]}}",
	 "config.json: hooks.createRuntime[0].path: missing required field"},
	/* process */
	{"{" V ",\"process\":\"sh\"}", "config.json: process: expected an object"},
	{"{" V ",\"process\":{\"cwd\":\"/\"}}",
	 "config.json: process.args: expected a non-empty array of strings"},
	{PROC(",\"args\":[]"), "config.json: process.args: expected a non-empty array of strings"},
	{PROC(",\"args\":\"sh\""), "config.json: process.args: expected a non-empty array of strings"},
	{PROC(",\"args\":[\"sh\",7]"), "config.json: process.args[1]: expected a string"},
	{PROC(",\"env\":[\"A=1\",2]"), "config.json: process.env[1]: expected a string"},
	{PROC(",\"cwd\":\"tmp\""), "config.json: process.cwd: expected an absolute path"},
	{"{" V ",\"process\":{\"args\":[\"sh\"]}}", "config.json: process.cwd: missing required field"},
	{PROC(",\"user\":{\"uid\":-1}"),
	 "config.json: process.user.uid: expected an integer between 0 and 4294967295"},
	{PROC(",\"user\":{\"gid\":4294967296}"),
	 "config.json: process.user.gid: expected an integer between 0 and 4294967295"},
	{PROC(",\"user\":{\"additionalGids\":[1,-5]}"),
	 "config.json: process.user.additionalGids[1]: expected an integer between 0 and 4294967295"},
	{PROC(",\"consoleSize\":{\"height\":10}"),
	 "config.json: process.consoleSize.width: missing required field"},
	{PROC(",\"capabilities\":{\"bounding\":\"CAP_KILL\"}"),
	 "config.json: process.capabilities.bounding: expected an array of strings"},
	{PROC(",\"rlimits\":[{\"type\":\"RLIMIT_FOO\",\"soft\":1,\"hard\":1}]"),
	 "config.json: process.rlimits[0].type: unknown resource limit \"RLIMIT_FOO\""},
	{PROC(",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1,\"hard\":1},"
	      "{\"type\":\"RLIMIT_NOFILE\",\"soft\":2,\"hard\":2}]"),
	 "config.json: process.rlimits[1].type: duplicate resource limit RLIMIT_NOFILE"},
	{PROC(",\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"hard\":1}]"),
	 "config.json: process.rlimits[0].soft: missing required field"},
	{PROC(",\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"soft\":-1,\"hard\":1}]"),
	 "config.json: process.rlimits[0].soft: expected a non-negative integer"},
	{PROC(",\"oomScoreAdj\":1001"),
	 "config.json: process.oomScoreAdj: expected an integer between -1000 and 1000"},
	{PROC(",\"noNewPrivileges\":1"), "config.json: process.noNewPrivileges: expected a boolean"},
	{PROC(",\"ioPriority\":{\"class\":\"IOPRIO_CLASS_NONE\"}"),
	 "config.json: process.ioPriority.class: unknown value \"IOPRIO_CLASS_NONE\" (expected one of IOPRIO_CLASS_RT, "
	 "IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE)"},
	{PROC(",\"ioPriority\":{\"class\":\"IOPRIO_CLASS_BE\",\"priority\":8}"),
	 "config.json: process.ioPriority.priority: expected an integer between 0 and 7"},
	{PROC(",\"scheduler\":{\"nice\":1}"),
	 "config.json: process.scheduler.policy: missing required field"},
	{PROC(",\"scheduler\":{\"policy\":\"SCHED_FIFO\",\"flags\":[\"SCHED_FLAG_X\"]}"),
	 "config.json: process.scheduler.flags[0]: unknown value \"SCHED_FLAG_X\" (expected one of "
	 "SCHED_FLAG_RESET_ON_FORK, SCHED_FLAG_RECLAIM, SCHED_FLAG_DL_OVERRUN, SCHED_FLAG_KEEP_POLICY, "
	 "SCHED_FLAG_KEEP_PARAMS, SCHED_FLAG_UTIL_CLAMP_MIN, SCHED_FLAG_UTIL_CLAMP_MAX)"},
	{PROC(",\"execCPUAffinity\":{\"initial\":\"0-3;7\"}"),
	 "config.json: process.execCPUAffinity.initial: expected a CPU list such as \"0-3,6\""},
	/* linux */
	{"{" V ",\"linux\":[]}", "config.json: linux: expected an object"},
	{LINUX("\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pid\"}]"),
	 "config.json: linux.namespaces[1].type: duplicate namespace \"pid\""},
	{LINUX("\"namespaces\":[{\"type\":\"net\"}]"),
	 "config.json: linux.namespaces[0].type: unknown namespace type \"net\""},
	{LINUX("\"namespaces\":[{\"path\":\"/proc/1/ns/net\"}]"),
	 "config.json: linux.namespaces[0].type: missing required field"},
	{LINUX("\"namespaces\":[{\"type\":\"network\",\"path\":5}]"),
	 "config.json: linux.namespaces[0].path: expected a string"},
	{LINUX("\"namespaces\":[\"pid\"]"), "config.json: linux.namespaces[0]: expected an object"},
	{LINUX("\"uidMappings\":[{\"containerID\":0,\"hostID\":-1,\"size\":1}]"),
	 "config.json: linux.uidMappings[0].hostID: expected an integer between 0 and 4294967295"},
	{LINUX("\"timeOffsets\":{\"boottime\":{\"secs\":1,\"nanosecs\":1000000000}}"),
	 "config.json: linux.timeOffsets.boottime.nanosecs: expected an integer between 0 and 999999999"},
	{LINUX("\"devices\":[{\"path\":\"/dev/x\",\"type\":\"x\",\"major\":1,\"minor\":1}]"),
	 "config.json: linux.devices[0].type: expected one of c, b, u, p"},
	{LINUX("\"devices\":[{\"path\":\"/dev/x\",\"type\":\"c\",\"major\":1}]"),
	 "config.json: linux.devices[0].minor: missing required field"},
	{LINUX("\"devices\":[{\"path\":\"/dev/x\",\"type\":\"c\",\"major\":1,\"minor\":1,\"fileMode\":4096}]"),
	 "config.json: linux.devices[0].fileMode: expected an integer between 0 and 4095"},
	{LINUX("\"rootfsPropagation\":\"recursive\""),
	 "config.json: linux.rootfsPropagation: unknown value \"recursive\" (expected one of private, shared, slave, "
	 "unbindable, rprivate, rshared, rslave, runbindable)"},
	{LINUX("\"sysctl\":{\"net.ipv4.ip_forward\":1}"),
	 "config.json: linux.sysctl[\"net.ipv4.ip_forward\"]: expected a string"},
	{LINUX("\"maskedPaths\":[\"/proc/kcore\",null]"),
	 "config.json: linux.maskedPaths[1]: expected a string"},
	{LINUX("\"personality\":{\"domain\":\"LINUX64\"}"),
	 "config.json: linux.personality.domain: unknown value \"LINUX64\" (expected one of LINUX, LINUX32)"},
	{LINUX("\"netDevices\":{\"eth0\":{\"name\":23}}"),
	 "config.json: linux.netDevices.eth0.name: expected a string"},
	{LINUX("\"netDevices\":{\"eth0\":\"ceth0\"}"),
	 "config.json: linux.netDevices.eth0: expected an object"},
	{LINUX("\"seccomp\":{}"), "config.json: linux.seccomp.defaultAction: missing required field"},
	{LINUX("\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_Z80\"]}"),
	 "config.json: linux.seccomp.architectures[0]: unknown value \"SCMP_ARCH_Z80\" (expected one of SCMP_ARCH_X86, "
	 "SCMP_ARCH_X86_64, SCMP_ARCH_X32, SCMP_ARCH_ARM, SCMP_ARCH_AARCH64, SCMP_ARCH_LOONGARCH64, SCMP_ARCH_M68K, "
	 "SCMP_ARCH_MIPS, SCMP_ARCH_MIPS64, SCMP_ARCH_MIPS64N32, SCMP_ARCH_MIPSEL, SCMP_ARCH_MIPSEL64, "
	 "SCMP_ARCH_MIPSEL64N32, SCMP_ARCH_PPC, SCMP_ARCH_PPC64, SCMP_ARCH_PPC64LE, SCMP_ARCH_S390, SCMP_ARCH_S390X, "
	 "SCMP_ARCH_SH, SCMP_ARCH_SHEB, SCMP_ARCH_PARISC, SCMP_ARCH_PARISC64, SCMP_ARCH_RISCV64)"},
	{LINUX("\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[],\"action\":\"SCMP_ACT_"
	       "ERRNO\"}]}"),
	 "config.json: linux.seccomp.syscalls[0].names: expected a non-empty array of strings"},
	{LINUX("\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":"
	       "\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_XX\"}]}]}"),
	 "config.json: linux.seccomp.syscalls[0].args[0].op: unknown value \"SCMP_CMP_XX\" (expected one of "
	 "SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ)"},
	{LINUX("\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrnoRet\":4294967296}"),
	 "config.json: linux.seccomp.defaultErrnoRet: expected an integer between 0 and 4294967295"},
	/* linux.resources */
	{RES("\"devices\":[{\"access\":\"rwm\"}]"),
	 "config.json: linux.resources.devices[0].allow: missing required field"},
	{RES("\"devices\":[{\"allow\":true,\"access\":\"rwx\"}]"),
	 "config.json: linux.resources.devices[0].access: expected a combination of r, w and m"},
	{RES("\"devices\":[{\"allow\":true,\"type\":\"p\"}]"),
	 "config.json: linux.resources.devices[0].type: expected one of a, c, b"},
	{RES("\"hugepageLimits\":[{\"pageSize\":\"64kB\",\"limit\":1}]"),
	 "config.json: linux.resources.hugepageLimits[0].pageSize: invalid page size \"64kB\" (expected a form like "
	 "\"2MB\")"},
	{RES("\"hugepageLimits\":[{\"pageSize\":\"02MB\",\"limit\":1}]"),
	 "config.json: linux.resources.hugepageLimits[0].pageSize: invalid page size \"02MB\" (expected a form like "
	 "\"2MB\")"},
	{RES("\"hugepageLimits\":[{\"pageSize\":\"MB\",\"limit\":1}]"),
	 "config.json: linux.resources.hugepageLimits[0].pageSize: invalid page size \"MB\" (expected a form like "
	 "\"2MB\")"},
	{RES("\"hugepageLimits\":[{\"pageSize\":\"2MBB\",\"limit\":1}]"),
	 "config.json: linux.resources.hugepageLimits[0].pageSize: invalid page size \"2MBB\" (expected a form like "
	 "\"2MB\")"},
	{RES("\"hugepageLimits\":[{\"pageSize\":\"2MB\"}]"),
	 "config.json: linux.resources.hugepageLimits[0].limit: missing required field"},
	{RES("\"pids\":{}"), "config.json: linux.resources.pids.limit: missing required field"},
	{RES("\"cpu\":{\"shares\":-2}"),
	 "config.json: linux.resources.cpu.shares: expected a non-negative integer"},
	{RES("\"blockIO\":{\"weight\":65536}"),
	 "config.json: linux.resources.blockIO.weight: expected an integer between 0 and 65535"},
	{RES("\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":8,\"rate\":1}]}"),
	 "config.json: linux.resources.blockIO.throttleReadBpsDevice[0].minor: missing required field"},
	{RES("\"network\":{\"priorities\":[{\"name\":\"eth0\",\"priority\":-1}]}"),
	 "config.json: linux.resources.network.priorities[0].priority: expected an integer between 0 and 4294967295"},
	{RES("\"rdma\":{\"mlx5_1\":{\"hcaHandles\":\"not a uint32\"}}"),
	 "config.json: linux.resources.rdma.mlx5_1.hcaHandles: expected an integer"},
	{RES("\"rdma\":{\"mlx5_1\":{\"hcaObjects\":4294967296}}"),
	 "config.json: linux.resources.rdma.mlx5_1.hcaObjects: expected an integer between 0 and 4294967295"},
	{RES("\"unified\":{\"memory.max\":[]}"),
	 "config.json: linux.resources.unified[\"memory.max\"]: expected a string"},
};

static void test_config_errors(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct oci_config *c = NULL;
		struct capsa_error *err = NULL;
		int r = capsa_oci_config_parse(cases[i].doc, strlen(cases[i].doc), "config.json", &c, &err);
		ok(r == -1 && c == NULL && err != NULL, "case %zu is rejected", i);
		is_str(err ? err->msg : NULL, cases[i].msg, "case %zu: message", i);
		ok(err == NULL || err->errnum == 0, "case %zu: no errno", i);
		capsa_error_free(err);
		capsa_oci_config_free(c);
	}
}

static void test_embedded_nul(void)
{
	/* A NUL byte in the document itself, after a complete value or inside a string. */
	static const char after[] = "{\"ociVersion\":\"1.0.0\"}\0{}";
	static const char inside[] = "{\"ociVersion\":\"1.0\0.0\"}";
	struct oci_config *c = NULL;
	struct capsa_error *err = NULL;
	ok(capsa_oci_config_parse(after, sizeof(after) - 1, "config.json", &c, &err) < 0,
	   "NUL after the value");
	is_str(err ? err->msg : NULL,
	       "config.json: invalid JSON at line 1, column 23: unexpected data after the JSON value",
	       "NUL after the value: message");
	capsa_error_clear(&err);
	ok(capsa_oci_config_parse(inside, sizeof(inside) - 1, "config.json", &c, &err) < 0,
	   "NUL inside a string");
	ok(err && strstr(err->msg, "config.json: invalid JSON at line 1, column ") == err->msg,
	   "NUL inside: located");
	capsa_error_clear(&err);
}

static void test_deep_nesting(void)
{
	/* json-c's depth limit keeps hostile documents from exhausting the stack. */
	char doc[256] = "{\"ociVersion\":\"1.0.0\",\"x\":";
	size_t n = strlen(doc);
	for (int i = 0; i < 100; i++)
		doc[n++] = '[';
	doc[n] = '\0';
	struct oci_config *c = NULL;
	struct capsa_error *err = NULL;
	ok(capsa_oci_config_parse(doc, n, "config.json", &c, &err) < 0, "deep nesting is rejected");
	const char *m = err ? err->msg : "";
	ok(strncmp(m, "config.json: invalid JSON at line 1, column ", 44) == 0 &&
		   strstr(m, ": nesting too deep") == m + strlen(m) - strlen(": nesting too deep"),
	   "deep nesting: message (%s)", m);
	capsa_error_free(err);
}

static void test_process_errors(void)
{
	static const struct {
		const char *doc, *msg;
	} pcases[] = {
		{"{\"args\":[],\"cwd\":\"/\"}", "process.json: args: expected a non-empty array of strings"},
		{"{\"args\":[\"sh\"],\"cwd\":\"relative\"}", "process.json: cwd: expected an absolute path"},
		{"{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":-1}}",
		 "process.json: user.uid: expected an integer between 0 and 4294967295"},
		{"[1]", "process.json: expected a JSON object at the top level"},
	};
	for (size_t i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		struct oci_process *p = NULL;
		struct capsa_error *err = NULL;
		int r = capsa_oci_process_parse(pcases[i].doc, strlen(pcases[i].doc), "process.json", &p,
						&err);
		ok(r == -1 && p == NULL, "process case %zu is rejected", i);
		is_str(err ? err->msg : NULL, pcases[i].msg, "process case %zu: message", i);
		capsa_error_free(err);
		capsa_oci_process_free(p);
	}
}

static void test_missing_file(void)
{
	struct oci_config *c = NULL;
	struct capsa_error *err = NULL;
	ok(capsa_oci_config_parse_file("/nonexistent/capsa-test/config.json", &c, &err) < 0,
	   "missing file fails");
	ok(err && err->errnum == ENOENT && strstr(err->msg, "/nonexistent/capsa-test/config.json"),
	   "missing file: ENOENT and the path");
	capsa_error_free(err);
}

int main(void)
{
	test_config_errors();
	test_embedded_nul();
	test_deep_nesting();
	test_process_errors();
	test_missing_file();
	return tap_done();
}
