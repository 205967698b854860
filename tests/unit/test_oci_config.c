/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.json parsing and writing: the runtime-spec's own good and bad examples,
 * a config using every field capsa knows, the default configs, and round trips
 * that check both that nothing is lost (JSON equality with the input) and that
 * writing is stable (to_json(parse(to_json(x))) == to_json(x)).
 */
#define _GNU_SOURCE
#include "tap.h"
#include "shared-oci.h"
#include "oci-spec/oci-spec.h"
#include "common/util.h"

#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *read_all(const char *path, size_t *len)
{
	char *buf = NULL;
	struct capsa_error *err = NULL;
	if (capsa_read_file_at(AT_FDCWD, path, 0, &buf, len, &err) < 0) {
		capsa_error_free(err);
		return NULL;
	}
	return buf;
}

static void json_del_path(struct json_object *o, const char *const *keys)
{
	for (; o && keys[1]; keys++)
		o = json_object_object_get(o, keys[0]);
	if (o)
		json_object_object_del(o, keys[0]);
}

/* Checks JSON equality (object key order ignored), showing both on failure. */
static void is_json_equal(const char *got, struct json_object *want, const char *what)
{
	struct json_object *g = json_tokener_parse(got);
	int eq = g && json_object_equal(g, want);
	if (!ok(eq, "%s: written JSON equals the input", what)) {
		printf("# got:\n%s# expected:\n%s\n", got,
		       json_object_to_json_string_ext(want, JSON_C_TO_STRING_PRETTY |
								    JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	json_object_put(g);
}

/* parse(to_json(c)) writes exactly the same text again. */
static void is_stable(const struct oci_config *c, const char *what)
{
	char *first = capsa_oci_config_to_json(c);
	struct oci_config *again = NULL;
	struct capsa_error *err = NULL;
	int r = capsa_oci_config_parse(first, strlen(first), "round-trip", &again, &err);
	if (!ok(r == 0, "%s: written config parses again", what)) {
		printf("# %s\n", err ? err->msg : "?");
		capsa_error_free(err);
		free(first);
		return;
	}
	char *second = capsa_oci_config_to_json(again);
	is_str(second, first, "%s: parse(to_json(parse(x))) writes the same document", what);
	free(first);
	free(second);
	capsa_oci_config_free(again);
}

/* Fields of the examples that capsa does not keep, so the written JSON lacks them. */
static const char *const spec_example_dropped[][6] = {
	/* not a resources field of the spec (oomScoreAdj belongs to process) */
	{"linux", "resources", "oomScoreAdj", NULL},
	/* false is the default and the struct has no presence flag for it */
	{"linux", "resources", "memory", "checkBeforeUpdate", NULL},
};

static void test_good_examples(const char *shared)
{
	char *dir = xasprintf("%s/runtime-spec/test/config/good", shared);
	DIR *d = opendir(dir);
	if (!ok(d != NULL, "open %s", dir)) {
		free(dir);
		return;
	}
	struct dirent *de;
	char *names[64];
	size_t n = 0;
	while ((de = readdir(d)) && n < ARRAY_SIZE(names)) {
		if (strstr(de->d_name, ".json"))
			names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(char *), (int (*)(const void *, const void *))strcmp);
	for (size_t i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		if (capsa_str_has_prefix(names[i], "freebsd-") || capsa_str_has_prefix(names[i], "zos-")) {
			ok(1, "# SKIP %s targets another OS", names[i]);
			free(path);
			free(names[i]);
			continue;
		}
		struct oci_config *c = NULL;
		struct capsa_error *err = NULL;
		int r = capsa_oci_config_parse_file(path, &c, &err);
		if (!ok(r == 0, "good/%s parses", names[i]))
			printf("# %s\n", err ? err->msg : "?");
		capsa_error_free(err);
		if (r == 0) {
			size_t len;
			char *text = read_all(path, &len);
			struct json_object *want = json_tokener_parse(text);
			for (size_t k = 0; k < ARRAY_SIZE(spec_example_dropped); k++)
				json_del_path(want, spec_example_dropped[k]);
			char *got = capsa_oci_config_to_json(c);
			is_json_equal(got, want, names[i]);
			is_stable(c, names[i]);
			free(got);
			json_object_put(want);
			free(text);
			capsa_oci_config_free(c);
		}
		free(path);
		free(names[i]);
	}
	free(dir);
}

static void test_bad_examples(const char *shared)
{
	static const struct {
		const char *file, *msg;
	} bad[] = {
		{"invalid-json.json",
		 "invalid-json.json: invalid JSON at line 1, column 2: quoted object property name "
		 "expected"},
		{"linux-hugepage.json",
		 "linux-hugepage.json: linux.resources.hugepageLimits[0].pageSize: invalid page "
		 "size \"64kB\" (expected a form like \"2MB\")"},
		{"linux-netdevice.json",
		 "linux-netdevice.json: linux.netDevices.eth0.name: expected a string"},
		{"linux-rdma.json",
		 "linux-rdma.json: linux.resources.rdma.mlx5_1.hcaHandles: expected an integer"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *path = xasprintf("%s/runtime-spec/test/config/bad/%s", shared, bad[i].file);
		size_t len;
		char *text = read_all(path, &len);
		struct oci_config *c = NULL;
		struct capsa_error *err = NULL;
		int r = text ? capsa_oci_config_parse(text, len, bad[i].file, &c, &err) : 0;
		ok(text && r < 0 && c == NULL, "bad/%s is rejected", bad[i].file);
		is_str(err ? err->msg : NULL, bad[i].msg, "bad/%s: message names the path and the reason",
		       bad[i].file);
		capsa_error_free(err);
		capsa_oci_config_free(c);
		free(text);
		free(path);
	}
	/* Its fault is in the freebsd object, which capsa (Linux only) ignores like any unknown field. */
	ok(1,
	   "# SKIP bad/freebsd-vnet-disable.json: only the freebsd object is wrong, and capsa parses Linux fields");
}

static void test_spec_example_values(const char *shared)
{
	char *path = xasprintf("%s/runtime-spec/test/config/good/spec-example.json", shared);
	struct oci_config *c = NULL;
	struct capsa_error *err = NULL;
	int r = capsa_oci_config_parse_file(path, &c, &err);
	free(path);
	capsa_error_free(err);
	if (!ok(r == 0, "spec-example.json parses for value checks"))
		return;
	is_str(c->oci_version, "0.5.0-dev", "ociVersion");
	ok(c->process->terminal, "process.terminal");
	is_int(c->process->user.uid, 1, "user.uid");
	is_int(c->process->user.n_additional_gids, 2, "two additionalGids");
	is_int(c->process->user.additional_gids[1], 6, "additionalGids[1]");
	is_int(c->process->n_args, 1, "one arg");
	ok(c->process->args[1] == NULL, "args is NULL-terminated");
	ok(c->process->env[2] == NULL, "env is NULL-terminated");
	is_int(c->process->capabilities->n_effective, 2, "two effective capabilities");
	is_int(c->process->rlimits[0].resource, RLIMIT_CORE, "rlimit RLIMIT_CORE resolved");
	is_int(c->process->rlimits[1].resource, RLIMIT_NOFILE, "rlimit RLIMIT_NOFILE resolved");
	is_int(c->n_mounts, 7, "seven mounts");
	is_str(c->mounts[2].options[5], "gid=5", "devpts options");
	is_int(c->hooks.n_prestart, 2, "two prestart hooks");
	is_int(c->hooks.poststart[0].timeout.value, 5, "poststart timeout");
	is_int(c->linux_->n_namespaces, 8, "eight namespaces");
	is_int(c->linux_->namespaces[1].type, OCI_NS_NETWORK, "namespace type resolved");
	is_int(c->linux_->time_monotonic.secs, 172800, "monotonic offset");
	is_int(c->linux_->devices[1].type, 'b', "device type");
	is_int(c->linux_->devices[0].file_mode.value, 438, "device fileMode");
	is_int(c->linux_->resources->memory->kernel.value, -1, "memory.kernel -1");
	ok(c->linux_->resources->memory->has_disable_oom_killer, "disableOOMKiller present");
	is_int(c->linux_->resources->hugepage_limits[0].limit, 9223372036854772000LL, "big hugepage limit");
	is_int(c->linux_->resources->devices[0].type, 'a', "device rule without type means all");
	ok(!c->linux_->resources->devices[0].major.set, "device rule without major is a wildcard");
	is_int(c->linux_->resources->net_class_id.value, 1048577, "network classID");
	is_int(c->linux_->resources->blkio->n_weight_device, 2, "blkio weightDevice");
	is_str(c->linux_->seccomp->syscalls[0].names[1], "chmod", "seccomp syscall names");
	is_str(c->linux_->rootfs_propagation, "slave", "rootfsPropagation");
	is_int(c->n_annotations, 2, "annotations");
	capsa_oci_config_free(c);
}

static const char full_config[] =
	"{\"ociVersion\":\"1.2.0\","
	"\"process\":{\"terminal\":true,\"consoleSize\":{\"height\":25,\"width\":80},"
	"\"user\":{\"uid\":1000,\"gid\":1000,\"umask\":18,\"additionalGids\":[5,6,4294967295],\"username\":\"u\"},"
	"\"args\":[\"/bin/sh\",\"-c\",\"echo hi\"],\"env\":[\"PATH=/bin\",\"A=b c\"],\"cwd\":\"/work\","
	"\"capabilities\":{\"bounding\":[\"CAP_KILL\"],\"effective\":[],\"inheritable\":[\"CAP_CHOWN\"],"
	"\"permitted\":[\"CAP_KILL\",\"CAP_CHOWN\"],\"ambient\":[\"CAP_CHOWN\"]},"
	"\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":4096,\"soft\":1024},"
	"{\"type\":\"RLIMIT_CORE\",\"hard\":18446744073709551615,\"soft\":0}],"
	"\"noNewPrivileges\":true,\"apparmorProfile\":\"unconfined\",\"oomScoreAdj\":-500,"
	"\"selinuxLabel\":\"system_u:system_r:container_t:s0\","
	"\"ioPriority\":{\"class\":\"IOPRIO_CLASS_BE\",\"priority\":4},"
	"\"scheduler\":{\"policy\":\"SCHED_DEADLINE\",\"nice\":-5,\"priority\":0,"
	"\"flags\":[\"SCHED_FLAG_RESET_ON_FORK\"],\"runtime\":10000000,\"deadline\":20000000,\"period\":30000000},"
	"\"execCPUAffinity\":{\"initial\":\"0-1\",\"final\":\"2,3\"}},"
	"\"root\":{\"path\":\"/var/lib/rootfs\",\"readonly\":true},"
	"\"hostname\":\"h\",\"domainname\":\"example.org\","
	"\"mounts\":[{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"/srv/data\",\"options\":[\"rbind\",\"ro\"],"
	"\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
	"\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]},{\"destination\":\"/tmp\"}],"
	"\"hooks\":{\"prestart\":[{\"path\":\"/bin/true\"}],"
	"\"createRuntime\":[{\"path\":\"/usr/bin/hook\",\"args\":[\"hook\",\"create\"],\"env\":[\"X=1\"],\"timeout\":10}],"
	"\"createContainer\":[],\"startContainer\":[{\"path\":\"/bin/start\"}],\"poststart\":[{\"path\":\"/bin/post\"}],"
	"\"poststop\":[{\"path\":\"/bin/stop\",\"timeout\":1}]},"
	"\"annotations\":{\"org.example/key\":\"v\",\"empty\":\"\"},"
	"\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\",\"path\":\"/var/run/netns/x\"},"
	"{\"type\":\"mount\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"user\"},{\"type\":\"cgroup\"},"
	"{\"type\":\"time\"}],"
	"\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":1}],"
	"\"gidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":1}],"
	"\"timeOffsets\":{\"monotonic\":{\"secs\":-10,\"nanosecs\":5},\"boottime\":{\"secs\":86400,\"nanosecs\":0}},"
	"\"devices\":[{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,\"minor\":229,\"fileMode\":438,\"uid\":0,"
	"\"gid\":0},{\"path\":\"/dev/fifo\",\"type\":\"p\"}],"
	"\"cgroupsPath\":\"/capsa/c1\","
	"\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
	"{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rw\"},{\"allow\":true,\"type\":\"b\","
	"\"major\":8}],"
	"\"memory\":{\"limit\":1073741824,\"reservation\":536870912,\"swap\":-1,\"kernel\":0,\"kernelTCP\":0,"
	"\"swappiness\":60,\"disableOOMKiller\":true,\"useHierarchy\":false,\"checkBeforeUpdate\":true},"
	"\"cpu\":{\"shares\":512,\"quota\":-1,\"burst\":0,\"period\":100000,\"realtimeRuntime\":0,"
	"\"realtimePeriod\":1000000,\"cpus\":\"0-1\",\"mems\":\"0\",\"idle\":1},"
	"\"pids\":{\"limit\":-1},"
	"\"blockIO\":{\"weight\":500,\"leafWeight\":300,\"weightDevice\":[{\"major\":8,\"minor\":0,\"weight\":100}],"
	"\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":1048576}],"
	"\"throttleWriteBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":2}],"
	"\"throttleReadIOPSDevice\":[{\"major\":8,\"minor\":0,\"rate\":3}],"
	"\"throttleWriteIOPSDevice\":[{\"major\":8,\"minor\":16,\"rate\":4}]},"
	"\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":0},{\"pageSize\":\"1GB\",\"limit\":1073741824}],"
	"\"network\":{\"classID\":4294967295,\"priorities\":[{\"name\":\"eth0\",\"priority\":7}]},"
	"\"rdma\":{\"mlx5_1\":{\"hcaHandles\":3,\"hcaObjects\":10000},\"rxe\":{}},"
	"\"unified\":{\"memory.high\":\"max\",\"io.weight\":\"default 100\"}},"
	"\"rootfsPropagation\":\"slave\","
	"\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,"
	"\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\"],\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],"
	"\"listenerPath\":\"/run/seccomp.sock\",\"listenerMetadata\":\"meta\","
	"\"syscalls\":[{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"},"
	"{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38,"
	"\"args\":[{\"index\":0,\"value\":4294967295,\"op\":\"SCMP_CMP_EQ\"},"
	"{\"index\":1,\"value\":8,\"valueTwo\":8,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]},"
	"\"sysctl\":{\"net.ipv4.ip_forward\":\"1\"},\"maskedPaths\":[\"/proc/kcore\"],\"readonlyPaths\":[],"
	"\"mountLabel\":\"system_u:object_r:container_file_t:s0\","
	"\"personality\":{\"domain\":\"LINUX32\",\"flags\":[]},"
	"\"netDevices\":{\"eth1\":{\"name\":\"ceth1\"},\"eth2\":{}}}}";

/* Validates a document against a runtime-spec schema with python3-jsonschema; -1 when it is not installed. */
static int schema_validate(const char *shared, const char *schema, const char *doc)
{
	if (system("/usr/bin/python3 -c 'import jsonschema' >/dev/null 2>&1") != 0)
		return -1;
	char tmpl[] = "/tmp/capsa-test-oci-XXXXXX";
	int fd = mkstemp(tmpl);
	if (fd < 0)
		return -1;
	ssize_t w = capsa_write_all(fd, doc, strlen(doc));
	close(fd);
	/* Output goes to stderr so it cannot disturb the TAP stream. */
	char *cmd = xasprintf(
		"/usr/bin/python3 -c 'import json, sys, jsonschema\n"
		"d = sys.argv[1]\n"
		"s = json.load(open(d + \"/\" + sys.argv[2]))\n"
		"r = jsonschema.RefResolver(\"file://\" + d + \"/\", s)\n"
		"try:\n"
		"    jsonschema.Draft4Validator(s, resolver=r).validate(json.load(open(sys.argv[3])))\n"
		"except Exception as e:\n"
		"    sys.exit(str(e)[:3000])' "
		"'%s/runtime-spec' '%s' '%s' 1>&2",
		shared, schema, tmpl);
	int st = w < 0 ? -1 : system(cmd);
	unlink(tmpl);
	free(cmd);
	return st == 0 ? 0 : 1;
}

static void test_full_config(const char *shared)
{
	struct oci_config *c = NULL;
	struct capsa_error *err = NULL;
	int r = capsa_oci_config_parse(full_config, strlen(full_config), "full.json", &c, &err);
	if (!ok(r == 0, "a config with every field parses")) {
		printf("# %s\n", err ? err->msg : "?");
		capsa_error_free(err);
		return;
	}
	struct json_object *want = json_tokener_parse(full_config);
	char *got = capsa_oci_config_to_json(c);
	is_json_equal(got, want, "full config");
	is_stable(c, "full config");
	if (shared) {
		int v = schema_validate(shared, "config-schema.json", got);
		if (v < 0)
			ok(1, "# SKIP python3-jsonschema is not installed");
		else
			ok(v == 0, "written full config validates against config-schema.json");
	}
	json_object_put(want);
	free(got);

	const struct oci_process *p = c->process;
	ok(p->has_console_size && p->console_width == 80, "consoleSize");
	is_int(p->user.additional_gids[2], 4294967295u, "uint32 max gid");
	ok(p->user.umask.set && p->user.umask.value == 18, "umask");
	ok(p->capabilities->effective != NULL && p->capabilities->n_effective == 0,
	   "empty set stays present");
	ok(p->rlimits[1].hard == UINT64_MAX, "RLIMIT_CORE hard is UINT64_MAX");
	is_int(p->oom_score_adj.value, -500, "oomScoreAdj");
	is_int(p->io_priority->priority, 4, "ioPriority.priority");
	is_str(p->scheduler->flags[0], "SCHED_FLAG_RESET_ON_FORK", "scheduler flags");
	is_str(p->exec_cpu_affinity_final, "2,3", "execCPUAffinity.final");
	is_int(c->mounts[0].uid_mappings[0].host_id, 100000, "mount uidMappings");
	ok(c->hooks.create_container != NULL && c->hooks.n_create_container == 0,
	   "empty hook list stays present");
	is_int(c->hooks.create_runtime[0].timeout.value, 10, "hook timeout");
	const struct oci_linux *l = c->linux_;
	is_str(l->namespaces[1].path, "/var/run/netns/x", "namespace path");
	ok(l->time_monotonic.set && l->time_monotonic.secs == -10 && l->time_monotonic.nanosecs == 5,
	   "timeOffsets");
	ok(!l->devices[1].file_mode.set, "fifo without fileMode");
	ok(!l->resources->devices[2].minor.set && l->resources->devices[2].major.value == 8,
	   "device rule wildcard");
	ok(l->resources->memory->check_before_update, "checkBeforeUpdate");
	is_int(l->resources->pids_limit.value, -1, "pids.limit");
	is_int(l->resources->blkio->throttle_write_iops[0].minor, 16, "throttleWriteIOPSDevice");
	is_str(l->resources->rdma[1].device, "rxe", "rdma device name");
	ok(!l->resources->rdma[1].hca_handles.set, "rdma without hcaHandles");
	is_str(l->resources->unified[1].value, "default 100", "unified");
	is_str(l->seccomp->syscalls[1].args[1].op, "SCMP_CMP_MASKED_EQ", "seccomp op");
	is_int(l->seccomp->syscalls[1].errno_ret.value, 38, "seccomp errnoRet");
	is_str(l->personality->domain, "LINUX32", "personality");
	is_str(l->net_devices[0].name, "ceth1", "netDevices name");
	ok(l->net_devices[1].name == NULL, "netDevices without name");
	capsa_oci_config_free(c);
}

static void test_null_and_unknown(void)
{
	static const char doc[] =
		"{\"ociVersion\":\"1.0.0\",\"hostname\":null,\"x-unknown\":{\"a\":[1,2]},"
		"\"process\":{\"args\":[\"true\"],\"cwd\":\"/\",\"commandLine\":\"ignored\","
		"\"user\":{\"uid\":null}},\"linux\":{\"intelRdt\":{\"closID\":\"x\"},"
		"\"rootfsPropagation\":\"rprivate\"}}";
	struct oci_config *c = NULL;
	struct capsa_error *err = NULL;
	int r = capsa_oci_config_parse(doc, sizeof(doc) - 1, "config.json", &c, &err);
	if (!ok(r == 0, "null values and unknown fields are accepted"))
		printf("# %s\n", err ? err->msg : "?");
	capsa_error_free(err);
	if (r == 0) {
		ok(c->hostname == NULL, "null hostname is absent");
		ok(c->root == NULL, "absent root stays NULL");
		is_str(c->linux_->rootfs_propagation, "rprivate", "recursive propagation accepted");
		is_stable(c, "null/unknown config");
	}
	capsa_oci_config_free(c);
}

static void test_defaults(const char *shared)
{
	for (int rootless = 0; rootless <= 1; rootless++) {
		const char *what = rootless ? "rootless default" : "default";
		struct oci_config *c = capsa_oci_config_default(rootless);
		is_str(c->oci_version, "1.2.0", "%s: ociVersion", what);
		is_str(c->process->args[0], "sh", "%s: runs sh", what);
		ok(c->process->args[1] == NULL, "%s: args NULL-terminated", what);
		ok(c->process->capabilities->ambient == NULL && c->process->capabilities->inheritable == NULL,
		   "%s: no ambient or inheritable capabilities", what);
		is_int(c->process->rlimits[0].resource, RLIMIT_NOFILE, "%s: RLIMIT_NOFILE", what);
		is_str(c->hostname, "capsa", "%s: hostname", what);
		is_int(c->n_mounts, rootless ? 6 : 7, "%s: mounts", what);
		is_int(c->linux_->n_masked_paths, 11, "%s: masked paths", what);
		is_int(c->linux_->n_readonly_paths, 5, "%s: readonly paths", what);
		bool has[OCI_NS_COUNT] = {false};
		for (size_t i = 0; i < c->linux_->n_namespaces; i++)
			has[c->linux_->namespaces[i].type] = true;
		ok(has[OCI_NS_PID] && has[OCI_NS_IPC] && has[OCI_NS_UTS] && has[OCI_NS_MOUNT],
		   "%s: base namespaces", what);
		if (rootless) {
			ok(has[OCI_NS_USER] && !has[OCI_NS_NETWORK] && !has[OCI_NS_CGROUP],
			   "rootless: user namespace, no network or cgroup namespace");
			ok(c->linux_->n_uid_mappings == 1 &&
				   c->linux_->uid_mappings[0].host_id == geteuid() &&
				   c->linux_->uid_mappings[0].container_id == 0 &&
				   c->linux_->uid_mappings[0].size == 1,
			   "rootless: euid mapped to 0");
			ok(c->linux_->gid_mappings[0].host_id == getegid(), "rootless: egid mapped to 0");
			ok(c->linux_->resources == NULL, "rootless: no resources");
			is_str(c->mounts[5].options[0], "rbind", "rootless: /sys is a bind mount");
			is_int(c->mounts[2].n_options, 5, "rootless: devpts without gid=5");
		} else {
			ok(has[OCI_NS_NETWORK] && has[OCI_NS_CGROUP] && !has[OCI_NS_USER],
			   "default: namespaces");
			ok(c->linux_->resources->n_devices == 1 && !c->linux_->resources->devices[0].allow,
			   "default: deny all devices");
			is_str(c->mounts[6].destination, "/sys/fs/cgroup", "default: cgroup mount");
		}
		is_stable(c, what);
		char *json = capsa_oci_config_to_json(c);
		if (shared) {
			int v = schema_validate(shared, "config-schema.json", json);
			if (v < 0)
				ok(1, "# SKIP python3-jsonschema is not installed");
			else
				ok(v == 0, "%s validates against config-schema.json", what);
		}
		free(json);
		capsa_oci_config_free(c);
	}
}

static void test_features(const char *shared)
{
	char *doc = capsa_oci_features_json();
	struct json_object *f = json_tokener_parse(doc);
	ok(f != NULL, "features document is JSON");
	struct json_object *v, *l = NULL;
	ok(json_object_object_get_ex(f, "ociVersionMin", &v) &&
		   strcmp(json_object_get_string(v), "1.0.0") == 0,
	   "features: ociVersionMin");
	ok(json_object_object_get_ex(f, "ociVersionMax", &v) &&
		   strcmp(json_object_get_string(v), "1.2.0") == 0,
	   "features: ociVersionMax");
	ok(json_object_object_get_ex(f, "hooks", &v) && json_object_array_length(v) == 6,
	   "features: six hooks");
	ok(json_object_object_get_ex(f, "linux", &l), "features: linux");
	ok(l && json_object_object_get_ex(l, "namespaces", &v) && json_object_array_length(v) == 8,
	   "features: eight namespaces");
	size_t ncaps = 0;
	bool has_sys_admin = false;
	if (l && json_object_object_get_ex(l, "capabilities", &v)) {
		ncaps = json_object_array_length(v);
		for (size_t i = 0; i < ncaps; i++)
			has_sys_admin |= strcmp(json_object_get_string(json_object_array_get_idx(v, i)),
						"CAP_SYS_ADMIN") == 0;
	}
	ok(ncaps >= 38 && has_sys_admin, "features: %zu capabilities including CAP_SYS_ADMIN", ncaps);
	if (shared) {
		int r = schema_validate(shared, "features-schema.json", doc);
		if (r < 0)
			ok(1, "# SKIP python3-jsonschema is not installed");
		else
			ok(r == 0, "features validates against features-schema.json");
	}
	json_object_put(f);
	free(doc);
}

static void test_ns_names(void)
{
	for (int t = 0; t < OCI_NS_COUNT; t++)
		is_int(capsa_oci_ns_from_name(capsa_oci_ns_name(t)), t, "namespace %s round trips",
		       capsa_oci_ns_name(t));
	is_int(capsa_oci_ns_from_name("net"), -1, "\"net\" is not a namespace type");
	ok(capsa_oci_ns_name(OCI_NS_COUNT) == NULL, "out-of-range type has no name");
	is_str(capsa_oci_ns_name(OCI_NS_NETWORK), "network", "network");
}

static void test_process(void)
{
	static const char doc[] =
		"{\"terminal\":false,\"args\":[\"/bin/ls\",\"-l\"],\"cwd\":\"/tmp\",\"env\":[\"A=1\"],"
		"\"user\":{\"uid\":5,\"gid\":6}}";
	struct oci_process *p = NULL;
	struct capsa_error *err = NULL;
	int r = capsa_oci_process_parse(doc, sizeof(doc) - 1, "process.json", &p, &err);
	ok(r == 0, "process.json parses");
	capsa_error_free(err);
	if (r == 0) {
		is_int(p->n_args, 2, "process args");
		ok(p->args[2] == NULL, "process args NULL-terminated");
		is_int(p->user.gid, 6, "process gid");
	}
	capsa_oci_process_free(p);
}

int main(void)
{
	char *shared = find_shared();
	if (shared == NULL) {
		ok(1, "# SKIP runtime-spec examples not found (<repo>/../shared/oci or $CAPSA_SHARED_OCI)");
	} else {
		test_good_examples(shared);
		test_bad_examples(shared);
		test_spec_example_values(shared);
	}
	test_full_config(shared);
	test_null_and_unknown();
	test_defaults(shared);
	test_features(shared);
	test_ns_names();
	test_process();
	free(shared);
	return tap_done();
}
