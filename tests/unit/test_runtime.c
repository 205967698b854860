/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for runtime/ logic that needs no container: ids, signals, mount options, sysctl, caps. */
#define _GNU_SOURCE
#include "runtime/internal.h"
#include "tests/unit/tap.h"

#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>

static void test_ids(void)
{
	static const char *good[] = {"a", "c1", "A-b_c.d+e", "0123456789abcdef"};
	static const char *bad[] = {"", ".", "..", "a/b", "a b", "x$y", "é", "a\n"};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		struct capsa_error *e = NULL;
		ok(capsa_container_id_validate(good[i], &e) == 0, "id \"%s\" is valid", good[i]);
		capsa_error_free(e);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct capsa_error *e = NULL;
		ok(capsa_container_id_validate(bad[i], &e) < 0 && e && strstr(e->msg, "container id"),
		   "id \"%s\" is rejected with a message", bad[i]);
		capsa_error_free(e);
	}
	char long_id[1100];
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	struct capsa_error *e = NULL;
	ok(capsa_container_id_validate(long_id, &e) < 0, "an id over 1024 characters is rejected");
	capsa_error_free(e);
}

static void test_signals(void)
{
	is_int(capsa_signal_parse("TERM"), SIGTERM, "TERM");
	is_int(capsa_signal_parse("SIGKILL"), SIGKILL, "SIGKILL");
	is_int(capsa_signal_parse("sigusr1"), SIGUSR1, "lower case sigusr1");
	is_int(capsa_signal_parse("9"), 9, "a number");
	is_int(capsa_signal_parse("RTMIN+2"), SIGRTMIN + 2, "RTMIN+2");
	is_int(capsa_signal_parse("SIGRTMAX-1"), SIGRTMAX - 1, "SIGRTMAX-1");
	is_int(capsa_signal_parse("0"), -1, "0 is not a signal");
	is_int(capsa_signal_parse("65"), -1, "65 is out of range");
	is_int(capsa_signal_parse("-9"), -1, "negative numbers are rejected");
	is_int(capsa_signal_parse("NOPE"), -1, "unknown names are rejected");
	is_int(capsa_signal_parse(""), -1, "empty is rejected");
	is_int(capsa_signal_parse("RTMIN+99"), -1, "RTMIN+99 is out of range");
	is_str(capsa_signal_name(SIGHUP), "HUP", "name of SIGHUP");
}

static void test_mount_opts(void)
{
	char *o1[] = {"nosuid", "noexec", "nodev", "ro", "mode=755", "size=65536k", NULL};
	struct mount_opts mo;
	struct capsa_error *e = NULL;
	ok(mount_opts_parse(o1, 6, &mo, &e) == 0, "tmpfs options parse");
	is_int(mo.flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, "flags");
	is_str(mo.data, "mode=755,size=65536k", "data keeps unknown options in order");
	mount_opts_free(&mo);

	char *o2[] = {"rbind", "ro", "rw", "rslave", NULL};
	ok(mount_opts_parse(o2, 4, &mo, &e) == 0, "bind options parse");
	ok(mo.bind && mo.rbind, "rbind sets bind and rbind");
	is_int(mo.flags & MS_RDONLY, 0, "a later rw clears ro");
	ok(mo.clear & MS_RDONLY, "rw is remembered as explicitly cleared");
	is_int(mo.propagation, MS_SLAVE | MS_REC, "rslave propagation");
	ok(mo.data == NULL, "no data");
	mount_opts_free(&mo);

	char *o3[] = {"a,b", NULL};
	ok(mount_opts_parse(o3, 1, &mo, &e) < 0 && strstr(e->msg, "comma"),
	   "an option with a comma is refused");
	capsa_error_clear(&e);
	char *o4[] = {"idmap", NULL};
	ok(mount_opts_parse(o4, 1, &mo, &e) < 0 && strstr(e->msg, "idmap"), "idmap is refused clearly");
	capsa_error_clear(&e);

	is_int(propagation_parse("private"), MS_PRIVATE, "private");
	is_int(propagation_parse("runbindable"), MS_UNBINDABLE | MS_REC, "runbindable");
	is_int(propagation_parse("bogus"), 0, "unknown propagation");
}

static struct oci_config *config_with(const char *linux_json)
{
	char *json = xasprintf("{\"ociVersion\": \"1.2.0\", \"linux\": %s}", linux_json);
	struct oci_config *c = NULL;
	struct capsa_error *e = NULL;
	if (capsa_oci_config_parse(json, strlen(json), "config.json", &c, &e) < 0) {
		printf("# parse failed: %s\n", e->msg);
		capsa_error_free(e);
	}
	free(json);
	return c;
}

static void test_sysctl(void)
{
	struct {
		const char *linux_json;
		const char *error; /* NULL: valid */
	} cases[] = {
		{"{\"namespaces\": [{\"type\": \"ipc\"}], \"sysctl\": {\"kernel.shmmax\": \"1\"}}", NULL},
		{"{\"namespaces\": [{\"type\": \"ipc\"}], \"sysctl\": {\"fs.mqueue.msg_max\": \"10\"}}",
		 NULL},
		{"{\"namespaces\": [{\"type\": \"network\"}], \"sysctl\": {\"net.ipv4.ip_forward\": \"1\"}}",
		 NULL},
		{"{\"namespaces\": [{\"type\": \"uts\"}], \"sysctl\": {\"kernel.domainname\": \"x\"}}", NULL},
		{"{\"namespaces\": [], \"sysctl\": {\"net.ipv4.ip_forward\": \"1\"}}",
		 "linux.sysctl: net.ipv4.ip_forward requires a new network namespace, which the config does not have"},
		{"{\"namespaces\": [{\"type\": \"ipc\"}], \"sysctl\": {\"kernel.panic\": \"1\"}}",
		 "linux.sysctl: kernel.panic is not namespaced and would change the host"},
		{"{\"namespaces\": [{\"type\": \"network\"}], \"sysctl\": {\"net.ipv4/../../x\": \"1\"}}",
		 "linux.sysctl: invalid key net.ipv4/../../x"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct oci_config *c = config_with(cases[i].linux_json);
		struct capsa_error *e = NULL;
		int r = c ? sysctl_validate(c, &e) : -2;
		if (cases[i].error == NULL)
			ok(r == 0, "sysctl case %zu is valid", i);
		else
			is_str(e ? e->msg : NULL, cases[i].error, "sysctl case %zu: message", i);
		capsa_error_free(e);
		capsa_oci_config_free(c);
	}
}

static void test_caps_and_rlimits(void)
{
	char *good[] = {"CAP_CHOWN", "CAP_SYS_ADMIN", NULL};
	char *bad[] = {"CAP_CHOWN", "CAP_FLY", NULL};
	char *noprefix[] = {"chown", NULL};
	struct oci_capabilities c = {.bounding = good, .n_bounding = 2};
	struct capsa_error *e = NULL;
	ok(caps_validate(&c, &e) == 0, "known capabilities validate");
	c.effective = bad;
	c.n_effective = 2;
	ok(caps_validate(&c, &e) < 0, "an unknown capability fails");
	is_str(e ? e->msg : NULL, "process.capabilities.effective: unknown capability CAP_FLY",
	       "message names it");
	capsa_error_clear(&e);
	c.effective = noprefix;
	c.n_effective = 1;
	ok(caps_validate(&c, &e) < 0, "a name without CAP_ is refused as the spec requires");
	capsa_error_clear(&e);
	ok(caps_validate(NULL, &e) == 0, "no capabilities object is valid");

	ok(capsa_cap_known("CAP_SYS_ADMIN") && !capsa_cap_known("cap_sys_admin") &&
		   !capsa_cap_known("CAP_FLY"),
	   "capsa_cap_known needs CAP_ and a real name");
	ok(capsa_cap_count() >= 38, "libcap knows at least 38 capabilities (%d)", capsa_cap_count());
	is_str(capsa_cap_name(0), "CAP_CHOWN", "capability 0 is CAP_CHOWN");
	is_str(capsa_cap_name(21), "CAP_SYS_ADMIN", "capability 21 is CAP_SYS_ADMIN");
	ok(capsa_cap_name(-1) == NULL && capsa_cap_name(capsa_cap_count()) == NULL, "out of range is NULL");
	is_int(capsa_oci_rlimit_from_name("RLIMIT_NOFILE"), RLIMIT_NOFILE, "RLIMIT_NOFILE");
	is_int(capsa_oci_rlimit_from_name("RLIMIT_RTTIME"), RLIMIT_RTTIME, "RLIMIT_RTTIME");
	is_int(capsa_oci_rlimit_from_name("NOFILE"), -1, "a name without RLIMIT_ is unknown");
}

int main(void)
{
	test_ids();
	test_signals();
	test_mount_opts();
	test_sysctl();
	test_caps_and_rlimits();
	return tap_done();
}
