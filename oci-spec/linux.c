/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The linux object of config.json, except linux.resources (resources.c). */
#include "oci-spec/json-internal.h"

#include <stdlib.h>
#include <string.h>

static const char *const propagations[] = {"private", "shared", "slave",       "unbindable", "rprivate",
					   "rshared", "rslave", "runbindable", NULL};
static const char *const seccomp_actions[] = {"SCMP_ACT_KILL",	      "SCMP_ACT_KILL_PROCESS",
					      "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
					      "SCMP_ACT_ERRNO",	      "SCMP_ACT_TRACE",
					      "SCMP_ACT_ALLOW",	      "SCMP_ACT_LOG",
					      "SCMP_ACT_NOTIFY",      NULL};
static const char *const seccomp_ops[] = {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",	      "SCMP_CMP_EQ",
					  "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL};
static const char *const seccomp_archs[] = {
	"SCMP_ARCH_X86",	 "SCMP_ARCH_X86_64",	  "SCMP_ARCH_X32",     "SCMP_ARCH_ARM",
	"SCMP_ARCH_AARCH64",	 "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",    "SCMP_ARCH_MIPS",
	"SCMP_ARCH_MIPS64",	 "SCMP_ARCH_MIPS64N32",	  "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64",
	"SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",	  "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",
	"SCMP_ARCH_S390",	 "SCMP_ARCH_S390X",	  "SCMP_ARCH_SH",      "SCMP_ARCH_SHEB",
	"SCMP_ARCH_PARISC",	 "SCMP_ARCH_PARISC64",	  "SCMP_ARCH_RISCV64", NULL};
static const char *const seccomp_flags[] = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
					    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
					    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL};
static const char *const personality_domains[] = {"LINUX", "LINUX32", NULL};

/* Parses an array of objects with one element parser; elements are zeroed first so a partial array frees. */
static int parse_namespace(struct jctx *c, struct json_object *v, const struct jpath *p,
			   struct oci_namespace *ns)
{
	_cleanup_free_ char *type = NULL;
	if (oci_jf_string(c, v, p, "type", true, &type) < 0)
		return -1;
	int t = capsa_oci_ns_from_name(type);
	if (t < 0) {
		_cleanup_free_ char *esc = capsa_json_escape(type);
		return oci_jerr(c, JP_KEY(p, "type"), "unknown namespace type \"%s\"", esc);
	}
	ns->type = t;
	return oci_jf_string(c, v, p, "path", false, &ns->path);
}

static int parse_namespaces(struct jctx *c, struct json_object *v, const struct jpath *p, struct oci_linux *l)
{
	if (OCI_PARSE_ARRAY(c, v, p, l->namespaces, l->n_namespaces, parse_namespace) < 0)
		return -1;
	bool seen[OCI_NS_COUNT] = {false};
	for (size_t i = 0; i < l->n_namespaces; i++) {
		enum oci_ns_type t = l->namespaces[i].type;
		if (seen[t])
			return oci_jerr(c, JP_KEY(JP_IDX(p, i), "type"), "duplicate namespace \"%s\"",
					capsa_oci_ns_name(t));
		seen[t] = true;
	}
	return 0;
}

static int parse_time_offset(struct jctx *c, struct json_object *v, const struct jpath *p,
			     struct oci_time_offset *t)
{
	if (oci_jobject(c, v, p) < 0)
		return -1;
	struct json_object *f;
	int64_t ns = 0;
	if ((f = oci_jget(v, "secs")) &&
	    oci_ji64(c, f, JP_KEY(p, "secs"), INT64_MIN, INT64_MAX, &t->secs) < 0)
		return -1;
	/* The kernel refuses a nanosecond part of a whole second or more. */
	if ((f = oci_jget(v, "nanosecs")) && oci_ji64(c, f, JP_KEY(p, "nanosecs"), 0, 999999999, &ns) < 0)
		return -1;
	t->nanosecs = (uint32_t)ns;
	t->set = true;
	return 0;
}

static int parse_device(struct jctx *c, struct json_object *v, const struct jpath *p, struct oci_device *d)
{
	_cleanup_free_ char *type = NULL;
	if (oci_jf_string(c, v, p, "path", true, &d->path) < 0 ||
	    oci_jf_string(c, v, p, "type", true, &type) < 0)
		return -1;
	if (strlen(type) != 1 || strchr("cbup", type[0]) == NULL)
		return oci_jerr(c, JP_KEY(p, "type"), "expected one of c, b, u, p");
	d->type = type[0];
	struct oci_opt_i64 major = {0}, minor = {0};
	if (oci_jf_opt_i64(c, v, p, "major", INT64_MIN, INT64_MAX, &major) < 0 ||
	    oci_jf_opt_i64(c, v, p, "minor", INT64_MIN, INT64_MAX, &minor) < 0)
		return -1;
	/* A FIFO has no device number; every other node needs both. */
	if (d->type != 'p' && !major.set)
		return oci_jmissing(c, p, "major");
	if (d->type != 'p' && !minor.set)
		return oci_jmissing(c, p, "minor");
	d->major = major.value;
	d->minor = minor.value;
	if (oci_jf_opt_u64(c, v, p, "fileMode", 07777, &d->file_mode) < 0 ||
	    oci_jf_opt_u64(c, v, p, "uid", UINT32_MAX, &d->uid) < 0 ||
	    oci_jf_opt_u64(c, v, p, "gid", UINT32_MAX, &d->gid) < 0)
		return -1;
	return 0;
}

static int parse_syscall_arg(struct jctx *c, struct json_object *v, const struct jpath *p,
			     struct oci_seccomp_arg *a)
{
	struct json_object *f;
	if ((f = oci_jget(v, "index")) == NULL)
		return oci_jmissing(c, p, "index");
	if (oci_ju32(c, f, JP_KEY(p, "index"), &a->index) < 0)
		return -1;
	if ((f = oci_jget(v, "value")) == NULL)
		return oci_jmissing(c, p, "value");
	if (oci_ju64(c, f, JP_KEY(p, "value"), UINT64_MAX, &a->value) < 0)
		return -1;
	if ((f = oci_jget(v, "valueTwo")) &&
	    oci_ju64(c, f, JP_KEY(p, "valueTwo"), UINT64_MAX, &a->value_two) < 0)
		return -1;
	return oci_jf_enum(c, v, p, "op", true, seccomp_ops, &a->op);
}

static int parse_syscall(struct jctx *c, struct json_object *v, const struct jpath *p,
			 struct oci_seccomp_syscall *s)
{
	struct json_object *f = oci_jget(v, "names");
	if (f == NULL || !json_object_is_type(f, json_type_array) || json_object_array_length(f) == 0)
		return oci_jerr(c, JP_KEY(p, "names"), "expected a non-empty array of strings");
	if (oci_jstrv(c, f, JP_KEY(p, "names"), &s->names, &s->n_names) < 0 ||
	    oci_jf_enum(c, v, p, "action", true, seccomp_actions, &s->action) < 0 ||
	    oci_jf_opt_u64(c, v, p, "errnoRet", UINT32_MAX, &s->errno_ret) < 0)
		return -1;
	if ((f = oci_jget(v, "args")) &&
	    OCI_PARSE_ARRAY(c, f, JP_KEY(p, "args"), s->args, s->n_args, parse_syscall_arg) < 0)
		return -1;
	return 0;
}

static int parse_seccomp(struct jctx *c, struct json_object *v, const struct jpath *p,
			 struct oci_seccomp **out)
{
	if (oci_jobject(c, v, p) < 0)
		return -1;
	struct oci_seccomp *s = *out = xzalloc(sizeof(*s));
	struct json_object *f;
	if (oci_jf_enum(c, v, p, "defaultAction", true, seccomp_actions, &s->default_action) < 0 ||
	    oci_jf_opt_u64(c, v, p, "defaultErrnoRet", UINT32_MAX, &s->default_errno_ret) < 0)
		return -1;
	if ((f = oci_jget(v, "architectures")) && oci_jenumv(c, f, JP_KEY(p, "architectures"), seccomp_archs,
							     &s->architectures, &s->n_architectures) < 0)
		return -1;
	if ((f = oci_jget(v, "flags")) &&
	    oci_jenumv(c, f, JP_KEY(p, "flags"), seccomp_flags, &s->flags, &s->n_flags) < 0)
		return -1;
	if (oci_jf_string(c, v, p, "listenerPath", false, &s->listener_path) < 0 ||
	    oci_jf_string(c, v, p, "listenerMetadata", false, &s->listener_metadata) < 0)
		return -1;
	if ((f = oci_jget(v, "syscalls")) &&
	    OCI_PARSE_ARRAY(c, f, JP_KEY(p, "syscalls"), s->syscalls, s->n_syscalls, parse_syscall) < 0)
		return -1;
	return 0;
}

static int parse_personality(struct jctx *c, struct json_object *v, const struct jpath *p,
			     struct oci_personality **out)
{
	if (oci_jobject(c, v, p) < 0)
		return -1;
	struct oci_personality *pe = *out = xzalloc(sizeof(*pe));
	if (oci_jf_enum(c, v, p, "domain", true, personality_domains, &pe->domain) < 0 ||
	    oci_jf_strv(c, v, p, "flags", &pe->flags, &pe->n_flags) < 0)
		return -1;
	return 0;
}

static int parse_net_devices(struct jctx *c, struct json_object *v, const struct jpath *p,
			     struct oci_linux *l)
{
	if (oci_jobject(c, v, p) < 0)
		return -1;
	size_t n = json_object_object_length(v), i = 0;
	l->net_devices = xcalloc(n ? n : 1, sizeof(*l->net_devices));
	l->n_net_devices = n;
	json_object_object_foreach(v, key, val)
	{
		struct oci_net_device *d = &l->net_devices[i++];
		const struct jpath *dp = JP_KEY(p, key);
		d->host_name = xstrdup(key);
		if (val == NULL || oci_jobject(c, val, dp) < 0)
			return val ? -1 : oci_jerr(c, dp, "expected an object");
		if (oci_jf_string(c, val, dp, "name", false, &d->name) < 0)
			return -1;
	}
	return 0;
}

static int parse_linux(struct jctx *c, struct json_object *v, const struct jpath *p, struct oci_linux *l)
{
	struct json_object *f;
	if ((f = oci_jget(v, "namespaces")) && parse_namespaces(c, f, JP_KEY(p, "namespaces"), l) < 0)
		return -1;
	if (oci_jf_idmaps(c, v, p, "uidMappings", &l->uid_mappings, &l->n_uid_mappings) < 0 ||
	    oci_jf_idmaps(c, v, p, "gidMappings", &l->gid_mappings, &l->n_gid_mappings) < 0)
		return -1;
	if ((f = oci_jget(v, "timeOffsets"))) {
		const struct jpath *tp = JP_KEY(p, "timeOffsets");
		struct json_object *t;
		if (oci_jobject(c, f, tp) < 0)
			return -1;
		if ((t = oci_jget(f, "monotonic")) &&
		    parse_time_offset(c, t, JP_KEY(tp, "monotonic"), &l->time_monotonic) < 0)
			return -1;
		if ((t = oci_jget(f, "boottime")) &&
		    parse_time_offset(c, t, JP_KEY(tp, "boottime"), &l->time_boottime) < 0)
			return -1;
	}
	if ((f = oci_jget(v, "devices")) &&
	    OCI_PARSE_ARRAY(c, f, JP_KEY(p, "devices"), l->devices, l->n_devices, parse_device) < 0)
		return -1;
	if (oci_jf_string(c, v, p, "cgroupsPath", false, &l->cgroups_path) < 0)
		return -1;
	if ((f = oci_jget(v, "resources")) &&
	    oci_parse_resources(c, f, JP_KEY(p, "resources"), &l->resources) < 0)
		return -1;
	if (oci_jf_enum(c, v, p, "rootfsPropagation", false, propagations, &l->rootfs_propagation) < 0)
		return -1;
	if ((f = oci_jget(v, "seccomp")) && parse_seccomp(c, f, JP_KEY(p, "seccomp"), &l->seccomp) < 0)
		return -1;
	if (oci_jf_map(c, v, p, "sysctl", &l->sysctl, &l->n_sysctl) < 0 ||
	    oci_jf_strv(c, v, p, "maskedPaths", &l->masked_paths, &l->n_masked_paths) < 0 ||
	    oci_jf_strv(c, v, p, "readonlyPaths", &l->readonly_paths, &l->n_readonly_paths) < 0 ||
	    oci_jf_string(c, v, p, "mountLabel", false, &l->mount_label) < 0)
		return -1;
	if ((f = oci_jget(v, "personality")) &&
	    parse_personality(c, f, JP_KEY(p, "personality"), &l->personality) < 0)
		return -1;
	if ((f = oci_jget(v, "netDevices")) && parse_net_devices(c, f, JP_KEY(p, "netDevices"), l) < 0)
		return -1;
	return 0;
}

int oci_parse_linux(struct jctx *c, struct json_object *v, const struct jpath *p, struct oci_linux **out)
{
	if (oci_jobject(c, v, p) < 0)
		return -1;
	struct oci_linux *l = *out = xzalloc(sizeof(*l));
	return parse_linux(c, v, p, l);
}

static void seccomp_free(struct oci_seccomp *s)
{
	if (s == NULL)
		return;
	free(s->default_action);
	oci_strv_free(s->architectures, s->n_architectures);
	oci_strv_free(s->flags, s->n_flags);
	free(s->listener_path);
	free(s->listener_metadata);
	for (size_t i = 0; s->syscalls && i < s->n_syscalls; i++) {
		struct oci_seccomp_syscall *sc = &s->syscalls[i];
		oci_strv_free(sc->names, sc->n_names);
		free(sc->action);
		for (size_t j = 0; sc->args && j < sc->n_args; j++)
			free(sc->args[j].op);
		free(sc->args);
	}
	free(s->syscalls);
	free(s);
}

void oci_linux_free(struct oci_linux *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; l->namespaces && i < l->n_namespaces; i++)
		free(l->namespaces[i].path);
	free(l->namespaces);
	free(l->uid_mappings);
	free(l->gid_mappings);
	for (size_t i = 0; l->devices && i < l->n_devices; i++)
		free(l->devices[i].path);
	free(l->devices);
	free(l->cgroups_path);
	oci_resources_free(l->resources);
	free(l->rootfs_propagation);
	seccomp_free(l->seccomp);
	oci_kv_free(l->sysctl, l->n_sysctl);
	oci_strv_free(l->masked_paths, l->n_masked_paths);
	oci_strv_free(l->readonly_paths, l->n_readonly_paths);
	free(l->mount_label);
	if (l->personality) {
		free(l->personality->domain);
		oci_strv_free(l->personality->flags, l->personality->n_flags);
		free(l->personality);
	}
	for (size_t i = 0; l->net_devices && i < l->n_net_devices; i++) {
		free(l->net_devices[i].host_name);
		free(l->net_devices[i].name);
	}
	free(l->net_devices);
	free(l);
}

static void time_offset_to_json(struct json_object *o, const char *key, const struct oci_time_offset *t)
{
	if (!t->set)
		return;
	struct json_object *e = oci_jw_child(o, key, json_object_new_object());
	oci_jw_i64(e, "secs", t->secs);
	oci_jw_u64(e, "nanosecs", t->nanosecs);
}

static struct json_object *seccomp_to_json(const struct oci_seccomp *s)
{
	struct json_object *o = json_object_new_object();
	oci_jw_string(o, "defaultAction", s->default_action);
	oci_jw_opt_u64(o, "defaultErrnoRet", s->default_errno_ret);
	oci_jw_strv(o, "architectures", s->architectures, s->n_architectures);
	oci_jw_strv(o, "flags", s->flags, s->n_flags);
	oci_jw_string(o, "listenerPath", s->listener_path);
	oci_jw_string(o, "listenerMetadata", s->listener_metadata);
	if (s->syscalls) {
		struct json_object *a = oci_jw_child(o, "syscalls", json_object_new_array());
		for (size_t i = 0; i < s->n_syscalls; i++) {
			const struct oci_seccomp_syscall *sc = &s->syscalls[i];
			struct json_object *e = json_object_new_object();
			json_object_array_add(a, e);
			oci_jw_strv(e, "names", sc->names, sc->n_names);
			oci_jw_string(e, "action", sc->action);
			oci_jw_opt_u64(e, "errnoRet", sc->errno_ret);
			if (sc->args == NULL)
				continue;
			struct json_object *args = oci_jw_child(e, "args", json_object_new_array());
			for (size_t j = 0; j < sc->n_args; j++) {
				struct json_object *ae = json_object_new_object();
				json_object_array_add(args, ae);
				oci_jw_u64(ae, "index", sc->args[j].index);
				oci_jw_u64(ae, "value", sc->args[j].value);
				if (sc->args[j].value_two)
					oci_jw_u64(ae, "valueTwo", sc->args[j].value_two);
				oci_jw_string(ae, "op", sc->args[j].op);
			}
		}
	}
	return o;
}

struct json_object *oci_linux_to_json(const struct oci_linux *l)
{
	struct json_object *o = json_object_new_object();
	if (l->namespaces) {
		struct json_object *a = oci_jw_child(o, "namespaces", json_object_new_array());
		for (size_t i = 0; i < l->n_namespaces; i++) {
			struct json_object *e = json_object_new_object();
			json_object_array_add(a, e);
			oci_jw_string(e, "type", capsa_oci_ns_name(l->namespaces[i].type));
			oci_jw_string(e, "path", l->namespaces[i].path);
		}
	}
	oci_jw_idmaps(o, "uidMappings", l->uid_mappings, l->n_uid_mappings);
	oci_jw_idmaps(o, "gidMappings", l->gid_mappings, l->n_gid_mappings);
	if (l->time_monotonic.set || l->time_boottime.set) {
		struct json_object *t = oci_jw_child(o, "timeOffsets", json_object_new_object());
		time_offset_to_json(t, "monotonic", &l->time_monotonic);
		time_offset_to_json(t, "boottime", &l->time_boottime);
	}
	if (l->devices) {
		struct json_object *a = oci_jw_child(o, "devices", json_object_new_array());
		for (size_t i = 0; i < l->n_devices; i++) {
			const struct oci_device *d = &l->devices[i];
			struct json_object *e = json_object_new_object();
			json_object_array_add(a, e);
			char type[2] = {d->type, '\0'};
			oci_jw_string(e, "path", d->path);
			oci_jw_string(e, "type", type);
			if (d->type != 'p' || d->major || d->minor) {
				oci_jw_i64(e, "major", d->major);
				oci_jw_i64(e, "minor", d->minor);
			}
			oci_jw_opt_u64(e, "fileMode", d->file_mode);
			oci_jw_opt_u64(e, "uid", d->uid);
			oci_jw_opt_u64(e, "gid", d->gid);
		}
	}
	oci_jw_string(o, "cgroupsPath", l->cgroups_path);
	if (l->resources)
		oci_jw_child(o, "resources", oci_resources_to_json(l->resources));
	oci_jw_string(o, "rootfsPropagation", l->rootfs_propagation);
	if (l->seccomp)
		oci_jw_child(o, "seccomp", seccomp_to_json(l->seccomp));
	oci_jw_map(o, "sysctl", l->sysctl, l->n_sysctl);
	oci_jw_strv(o, "maskedPaths", l->masked_paths, l->n_masked_paths);
	oci_jw_strv(o, "readonlyPaths", l->readonly_paths, l->n_readonly_paths);
	oci_jw_string(o, "mountLabel", l->mount_label);
	if (l->personality) {
		struct json_object *pe = oci_jw_child(o, "personality", json_object_new_object());
		oci_jw_string(pe, "domain", l->personality->domain);
		oci_jw_strv(pe, "flags", l->personality->flags, l->personality->n_flags);
	}
	if (l->net_devices) {
		struct json_object *nd = oci_jw_child(o, "netDevices", json_object_new_object());
		for (size_t i = 0; i < l->n_net_devices; i++) {
			struct json_object *e =
				oci_jw_child(nd, l->net_devices[i].host_name, json_object_new_object());
			oci_jw_string(e, "name", l->net_devices[i].name);
		}
	}
	return o;
}
