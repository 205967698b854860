/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The `capsa-runtime features` document: what this runtime understands (runtime-spec features.md). */
#include "oci-spec/json-internal.h"

#include <ctype.h>
#include <seccomp.h>
#include <string.h>
#include <sys/capability.h>

#ifndef CAPSA_VERSION
#define CAPSA_VERSION "unknown"
#endif

static const char *const hooks[] = {
	"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop", NULL};

static const char *const mount_options[] = {
	"ro",	       "rw",	     "nosuid",	    "suid",	     "nodev",	   "dev",
	"noexec",      "exec",	     "sync",	    "async",	     "dirsync",	   "remount",
	"mand",	       "nomand",     "atime",	    "noatime",	     "diratime",   "nodiratime",
	"relatime",    "norelatime", "strictatime", "nostrictatime", "lazytime",   "nolazytime",
	"nosymfollow", "symfollow",  "bind",	    "rbind",	     "private",	   "rprivate",
	"shared",      "rshared",    "slave",	    "rslave",	     "unbindable", "runbindable",
	"tmpcopyup",   NULL};

static const char *const seccomp_actions[] = {"SCMP_ACT_ALLOW",	      "SCMP_ACT_ERRNO",
					      "SCMP_ACT_KILL",	      "SCMP_ACT_KILL_PROCESS",
					      "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
					      "SCMP_ACT_NOTIFY",      "SCMP_ACT_TRACE",
					      "SCMP_ACT_TRAP",	      NULL};
static const char *const seccomp_ops[] = {"SCMP_CMP_EQ", "SCMP_CMP_GE",	       "SCMP_CMP_GT", "SCMP_CMP_LE",
					  "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", NULL};
/* The spec's architecture names; only those the installed libseccomp resolves are announced. */
static const char *const seccomp_archs[] = {
	"SCMP_ARCH_AARCH64",  "SCMP_ARCH_ARM",	       "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",
	"SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",	"SCMP_ARCH_MIPSEL",
	"SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PARISC",	"SCMP_ARCH_PARISC64",
	"SCMP_ARCH_PPC",      "SCMP_ARCH_PPC64",       "SCMP_ARCH_PPC64LE",	"SCMP_ARCH_RISCV64",
	"SCMP_ARCH_S390",     "SCMP_ARCH_S390X",       "SCMP_ARCH_SH",		"SCMP_ARCH_SHEB",
	"SCMP_ARCH_X32",      "SCMP_ARCH_X86",	       "SCMP_ARCH_X86_64",	NULL};
static const char *const seccomp_flags[] = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
					    "SECCOMP_FILTER_FLAG_SPEC_ALLOW", NULL};

static struct json_object *array_of(const char *const *list)
{
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; list[i]; i++)
		json_object_array_add(a, json_object_new_string(list[i]));
	return a;
}

static struct json_object *capabilities(void)
{
	struct json_object *a = json_object_new_array();
	int max = cap_max_bits();
	for (int i = 0; i < max; i++) {
		char *name = cap_to_name(i);
		if (name == NULL)
			continue;
		/* libcap names capabilities it does not know by number: those are not announced. */
		if (strncmp(name, "cap_", 4) == 0) {
			_cleanup_free_ char *upper = xstrdup(name);
			for (char *s = upper; *s; s++)
				*s = (char)toupper((unsigned char)*s);
			json_object_array_add(a, json_object_new_string(upper));
		}
		cap_free(name);
	}
	return a;
}

static struct json_object *archs(void)
{
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; seccomp_archs[i]; i++) {
		_cleanup_free_ char *lower = xstrdup(seccomp_archs[i] + strlen("SCMP_ARCH_"));
		for (char *s = lower; *s; s++)
			*s = (char)tolower((unsigned char)*s);
		if (seccomp_arch_resolve_name(lower) != 0)
			json_object_array_add(a, json_object_new_string(seccomp_archs[i]));
	}
	return a;
}

static struct json_object *enabled(bool on)
{
	struct json_object *o = json_object_new_object();
	oci_jw_bool(o, "enabled", on);
	return o;
}

char *capsa_oci_features_json(void)
{
	struct json_object *o = json_object_new_object();
	oci_jw_string(o, "ociVersionMin", "1.0.0");
	oci_jw_string(o, "ociVersionMax", CAPSA_OCI_VERSION);
	oci_jw_child(o, "hooks", array_of(hooks));
	oci_jw_child(o, "mountOptions", array_of(mount_options));

	struct json_object *l = oci_jw_child(o, "linux", json_object_new_object());
	struct json_object *ns = oci_jw_child(l, "namespaces", json_object_new_array());
	for (int t = 0; t < OCI_NS_COUNT; t++)
		json_object_array_add(ns, json_object_new_string(capsa_oci_ns_name(t)));
	oci_jw_child(l, "capabilities", capabilities());

	struct json_object *cg = oci_jw_child(l, "cgroup", json_object_new_object());
	oci_jw_bool(cg, "v1", true);
	oci_jw_bool(cg, "v2", true);
	oci_jw_bool(cg, "systemd", false);
	oci_jw_bool(cg, "systemdUser", false);

	struct json_object *sc = oci_jw_child(l, "seccomp", json_object_new_object());
	oci_jw_bool(sc, "enabled", true);
	oci_jw_child(sc, "actions", array_of(seccomp_actions));
	oci_jw_child(sc, "operators", array_of(seccomp_ops));
	oci_jw_child(sc, "archs", archs());
	oci_jw_child(sc, "knownFlags", array_of(seccomp_flags));
	oci_jw_child(sc, "supportedFlags", array_of(seccomp_flags));

	oci_jw_child(l, "apparmor", enabled(false));
	oci_jw_child(l, "selinux", enabled(false));

	struct json_object *ann = oci_jw_child(o, "annotations", json_object_new_object());
	oci_jw_string(ann, "io.github.capsa.version", CAPSA_VERSION);
	return oci_json_dump(o);
}
