/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The process object of config.json, also parsed alone for `exec --process`. */
#include "oci-spec/json-internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{"RLIMIT_AS", RLIMIT_AS},
	{"RLIMIT_CORE", RLIMIT_CORE},
	{"RLIMIT_CPU", RLIMIT_CPU},
	{"RLIMIT_DATA", RLIMIT_DATA},
	{"RLIMIT_FSIZE", RLIMIT_FSIZE},
	{"RLIMIT_LOCKS", RLIMIT_LOCKS},
	{"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
	{"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
	{"RLIMIT_NICE", RLIMIT_NICE},
	{"RLIMIT_NOFILE", RLIMIT_NOFILE},
	{"RLIMIT_NPROC", RLIMIT_NPROC},
	{"RLIMIT_RSS", RLIMIT_RSS},
	{"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
	{"RLIMIT_RTTIME", RLIMIT_RTTIME},
	{"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
	{"RLIMIT_STACK", RLIMIT_STACK},
};

int capsa_oci_rlimit_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(rlimit_names) / sizeof(rlimit_names[0]); i++)
		if (strcmp(name, rlimit_names[i].name) == 0)
			return rlimit_names[i].resource;
	return -1;
}

static const char *const ioprio_classes[] = {"IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE", NULL};
static const char *const sched_policies[] = {"SCHED_OTHER", "SCHED_FIFO", "SCHED_RR",	    "SCHED_BATCH",
					     "SCHED_ISO",   "SCHED_IDLE", "SCHED_DEADLINE", NULL};
static const char *const sched_flags[] = {"SCHED_FLAG_RESET_ON_FORK",  "SCHED_FLAG_RECLAIM",
					  "SCHED_FLAG_DL_OVERRUN",     "SCHED_FLAG_KEEP_POLICY",
					  "SCHED_FLAG_KEEP_PARAMS",    "SCHED_FLAG_UTIL_CLAMP_MIN",
					  "SCHED_FLAG_UTIL_CLAMP_MAX", NULL};

static int parse_console_size(struct jctx *c, struct json_object *v, const struct jpath *p,
			      struct oci_process *pr)
{
	if (oci_jobject(c, v, p) < 0)
		return -1;
	struct json_object *h = oci_jget(v, "height"), *w = oci_jget(v, "width");
	if (h == NULL)
		return oci_jmissing(c, p, "height");
	if (w == NULL)
		return oci_jmissing(c, p, "width");
	if (oci_ju32(c, h, JP_KEY(p, "height"), &pr->console_height) < 0 ||
	    oci_ju32(c, w, JP_KEY(p, "width"), &pr->console_width) < 0)
		return -1;
	pr->has_console_size = true;
	return 0;
}

static int parse_user(struct jctx *c, struct json_object *v, const struct jpath *p, struct oci_user *u)
{
	if (oci_jobject(c, v, p) < 0)
		return -1;
	struct json_object *f;
	if ((f = oci_jget(v, "uid")) && oci_ju32(c, f, JP_KEY(p, "uid"), &u->uid) < 0)
		return -1;
	if ((f = oci_jget(v, "gid")) && oci_ju32(c, f, JP_KEY(p, "gid"), &u->gid) < 0)
		return -1;
	if (oci_jf_opt_u64(c, v, p, "umask", UINT32_MAX, &u->umask) < 0)
		return -1;
	if ((f = oci_jget(v, "additionalGids"))) {
		const struct jpath *ap = JP_KEY(p, "additionalGids");
		size_t n = 0;
		if (oci_jarray(c, f, ap, &n) < 0)
			return -1;
		u->additional_gids = xcalloc(n ? n : 1, sizeof(uint32_t));
		u->n_additional_gids = n;
		for (size_t i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(f, i);
			if (e == NULL)
				return oci_jerr(c, JP_IDX(ap, i), "expected an integer");
			if (oci_ju32(c, e, JP_IDX(ap, i), &u->additional_gids[i]) < 0)
				return -1;
		}
	}
	return oci_jf_string(c, v, p, "username", false, &u->username);
}

static int parse_capabilities(struct jctx *c, struct json_object *v, const struct jpath *p,
			      struct oci_capabilities **out)
{
	if (oci_jobject(c, v, p) < 0)
		return -1;
	struct oci_capabilities *caps = *out = xzalloc(sizeof(*caps));
	if (oci_jf_strv(c, v, p, "bounding", &caps->bounding, &caps->n_bounding) < 0 ||
	    oci_jf_strv(c, v, p, "effective", &caps->effective, &caps->n_effective) < 0 ||
	    oci_jf_strv(c, v, p, "inheritable", &caps->inheritable, &caps->n_inheritable) < 0 ||
	    oci_jf_strv(c, v, p, "permitted", &caps->permitted, &caps->n_permitted) < 0 ||
	    oci_jf_strv(c, v, p, "ambient", &caps->ambient, &caps->n_ambient) < 0)
		return -1;
	return 0;
}

static int parse_rlimit(struct jctx *c, struct json_object *v, const struct jpath *p, struct oci_rlimit *rl)
{
	if (v == NULL || oci_jobject(c, v, p) < 0)
		return v ? -1 : oci_jerr(c, p, "expected an object");
	if (oci_jf_string(c, v, p, "type", true, &rl->type) < 0)
		return -1;
	rl->resource = -1;
	for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++) {
		if (strcmp(rl->type, rlimit_names[i].name) == 0)
			rl->resource = rlimit_names[i].resource;
	}
	if (rl->resource < 0) {
		_cleanup_free_ char *esc = capsa_json_escape(rl->type);
		return oci_jerr(c, JP_KEY(p, "type"), "unknown resource limit \"%s\"", esc);
	}
	struct json_object *soft = oci_jget(v, "soft"), *hard = oci_jget(v, "hard");
	if (soft == NULL)
		return oci_jmissing(c, p, "soft");
	if (hard == NULL)
		return oci_jmissing(c, p, "hard");
	if (oci_ju64(c, soft, JP_KEY(p, "soft"), UINT64_MAX, &rl->soft) < 0 ||
	    oci_ju64(c, hard, JP_KEY(p, "hard"), UINT64_MAX, &rl->hard) < 0)
		return -1;
	return 0;
}

static int parse_rlimits(struct jctx *c, struct json_object *v, const struct jpath *p, struct oci_process *pr)
{
	size_t n = 0;
	if (oci_jarray(c, v, p, &n) < 0)
		return -1;
	pr->rlimits = xcalloc(n ? n : 1, sizeof(*pr->rlimits));
	pr->n_rlimits = n;
	for (size_t i = 0; i < n; i++) {
		if (parse_rlimit(c, json_object_array_get_idx(v, i), JP_IDX(p, i), &pr->rlimits[i]) < 0)
			return -1;
		/* setrlimit would apply only the last one: a duplicate is a mistake in the config. */
		for (size_t j = 0; j < i; j++) {
			if (pr->rlimits[j].resource == pr->rlimits[i].resource)
				return oci_jerr(c, JP_KEY(JP_IDX(p, i), "type"),
						"duplicate resource limit %s", pr->rlimits[i].type);
		}
	}
	return 0;
}

static int parse_io_priority(struct jctx *c, struct json_object *v, const struct jpath *p,
			     struct oci_io_priority **out)
{
	if (oci_jobject(c, v, p) < 0)
		return -1;
	struct oci_io_priority *io = *out = xzalloc(sizeof(*io));
	if (oci_jf_enum(c, v, p, "class", true, ioprio_classes, &io->class) < 0)
		return -1;
	struct json_object *f = oci_jget(v, "priority");
	/* The kernel knows eight levels per class (IOPRIO_NR_LEVELS). */
	if (f && oci_ji64(c, f, JP_KEY(p, "priority"), 0, 7, &io->priority) < 0)
		return -1;
	return 0;
}

static int parse_scheduler(struct jctx *c, struct json_object *v, const struct jpath *p,
			   struct oci_scheduler **out)
{
	if (oci_jobject(c, v, p) < 0)
		return -1;
	struct oci_scheduler *s = *out = xzalloc(sizeof(*s));
	if (oci_jf_enum(c, v, p, "policy", true, sched_policies, &s->policy) < 0 ||
	    oci_jf_opt_i64(c, v, p, "nice", INT32_MIN, INT32_MAX, &s->nice) < 0 ||
	    oci_jf_opt_i64(c, v, p, "priority", INT32_MIN, INT32_MAX, &s->priority) < 0 ||
	    oci_jf_opt_u64(c, v, p, "runtime", UINT64_MAX, &s->runtime) < 0 ||
	    oci_jf_opt_u64(c, v, p, "deadline", UINT64_MAX, &s->deadline) < 0 ||
	    oci_jf_opt_u64(c, v, p, "period", UINT64_MAX, &s->period) < 0)
		return -1;
	struct json_object *f = oci_jget(v, "flags");
	if (f && oci_jenumv(c, f, JP_KEY(p, "flags"), sched_flags, &s->flags, &s->n_flags) < 0)
		return -1;
	return 0;
}

static int parse_cpu_list(struct jctx *c, struct json_object *v, const struct jpath *p, const char *key,
			  char **out)
{
	if (oci_jf_string(c, v, p, key, false, out) < 0)
		return -1;
	if (*out && strspn(*out, "0123456789, -") != strlen(*out))
		return oci_jerr(c, JP_KEY(p, key), "expected a CPU list such as \"0-3,6\"");
	return 0;
}

static int parse_process(struct jctx *c, struct json_object *v, const struct jpath *p, struct oci_process *pr)
{
	struct json_object *f;
	if (oci_jf_bool(c, v, p, "terminal", &pr->terminal) < 0)
		return -1;
	if ((f = oci_jget(v, "consoleSize")) && parse_console_size(c, f, JP_KEY(p, "consoleSize"), pr) < 0)
		return -1;
	if ((f = oci_jget(v, "user")) && parse_user(c, f, JP_KEY(p, "user"), &pr->user) < 0)
		return -1;

	f = oci_jget(v, "args");
	if (f == NULL || !json_object_is_type(f, json_type_array) || json_object_array_length(f) == 0)
		return oci_jerr(c, JP_KEY(p, "args"), "expected a non-empty array of strings");
	if (oci_jstrv(c, f, JP_KEY(p, "args"), &pr->args, &pr->n_args) < 0)
		return -1;
	if (oci_jf_strv(c, v, p, "env", &pr->env, &pr->n_env) < 0)
		return -1;
	if (oci_jf_string(c, v, p, "cwd", true, &pr->cwd) < 0)
		return -1;
	if (pr->cwd[0] != '/')
		return oci_jerr(c, JP_KEY(p, "cwd"), "expected an absolute path");

	if ((f = oci_jget(v, "capabilities")) &&
	    parse_capabilities(c, f, JP_KEY(p, "capabilities"), &pr->capabilities) < 0)
		return -1;
	if ((f = oci_jget(v, "rlimits")) && parse_rlimits(c, f, JP_KEY(p, "rlimits"), pr) < 0)
		return -1;
	if (oci_jf_bool(c, v, p, "noNewPrivileges", &pr->no_new_privileges) < 0 ||
	    oci_jf_string(c, v, p, "apparmorProfile", false, &pr->apparmor_profile) < 0 ||
	    oci_jf_opt_i64(c, v, p, "oomScoreAdj", -1000, 1000, &pr->oom_score_adj) < 0 ||
	    oci_jf_string(c, v, p, "selinuxLabel", false, &pr->selinux_label) < 0)
		return -1;
	if ((f = oci_jget(v, "ioPriority")) &&
	    parse_io_priority(c, f, JP_KEY(p, "ioPriority"), &pr->io_priority) < 0)
		return -1;
	if ((f = oci_jget(v, "scheduler")) &&
	    parse_scheduler(c, f, JP_KEY(p, "scheduler"), &pr->scheduler) < 0)
		return -1;
	if ((f = oci_jget(v, "execCPUAffinity"))) {
		const struct jpath *ap = JP_KEY(p, "execCPUAffinity");
		if (oci_jobject(c, f, ap) < 0 ||
		    parse_cpu_list(c, f, ap, "initial", &pr->exec_cpu_affinity_initial) < 0 ||
		    parse_cpu_list(c, f, ap, "final", &pr->exec_cpu_affinity_final) < 0)
			return -1;
	}
	return 0;
}

int oci_parse_process(struct jctx *c, struct json_object *v, const struct jpath *p, struct oci_process **out)
{
	if (oci_jobject(c, v, p) < 0)
		return -1;
	struct oci_process *pr = xzalloc(sizeof(*pr));
	if (parse_process(c, v, p, pr) < 0) {
		capsa_oci_process_free(pr);
		return -1;
	}
	*out = pr;
	return 0;
}

int capsa_oci_process_parse(const char *json, size_t len, const char *name, struct oci_process **out,
			    struct capsa_error **err)
{
	_cleanup_json_ struct json_object *obj = NULL;
	if (oci_json_parse_object(json, len, name, &obj, err) < 0)
		return -1;
	struct jctx c = {.name = name, .err = err};
	return oci_parse_process(&c, obj, NULL, out);
}

void capsa_oci_process_free(struct oci_process *p)
{
	if (p == NULL)
		return;
	free(p->user.additional_gids);
	free(p->user.username);
	oci_strv_free(p->args, p->n_args);
	oci_strv_free(p->env, p->n_env);
	free(p->cwd);
	if (p->capabilities) {
		struct oci_capabilities *caps = p->capabilities;
		oci_strv_free(caps->bounding, caps->n_bounding);
		oci_strv_free(caps->effective, caps->n_effective);
		oci_strv_free(caps->inheritable, caps->n_inheritable);
		oci_strv_free(caps->permitted, caps->n_permitted);
		oci_strv_free(caps->ambient, caps->n_ambient);
		free(caps);
	}
	for (size_t i = 0; p->rlimits && i < p->n_rlimits; i++)
		free(p->rlimits[i].type);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
	if (p->io_priority) {
		free(p->io_priority->class);
		free(p->io_priority);
	}
	if (p->scheduler) {
		free(p->scheduler->policy);
		oci_strv_free(p->scheduler->flags, p->scheduler->n_flags);
		free(p->scheduler);
	}
	free(p->exec_cpu_affinity_initial);
	free(p->exec_cpu_affinity_final);
	free(p);
}

struct json_object *oci_process_to_json(const struct oci_process *p)
{
	struct json_object *o = json_object_new_object();
	if (p->terminal)
		oci_jw_bool(o, "terminal", true);
	if (p->has_console_size) {
		struct json_object *cs = oci_jw_child(o, "consoleSize", json_object_new_object());
		oci_jw_u64(cs, "height", p->console_height);
		oci_jw_u64(cs, "width", p->console_width);
	}
	struct json_object *u = oci_jw_child(o, "user", json_object_new_object());
	oci_jw_u64(u, "uid", p->user.uid);
	oci_jw_u64(u, "gid", p->user.gid);
	oci_jw_opt_u64(u, "umask", p->user.umask);
	if (p->user.additional_gids) {
		struct json_object *a = oci_jw_child(u, "additionalGids", json_object_new_array());
		for (size_t i = 0; i < p->user.n_additional_gids; i++)
			json_object_array_add(a, oci_jw_new_u64(p->user.additional_gids[i]));
	}
	oci_jw_string(u, "username", p->user.username);
	oci_jw_strv(o, "args", p->args, p->n_args);
	oci_jw_strv(o, "env", p->env, p->n_env);
	oci_jw_string(o, "cwd", p->cwd);
	if (p->capabilities) {
		const struct oci_capabilities *caps = p->capabilities;
		struct json_object *co = oci_jw_child(o, "capabilities", json_object_new_object());
		oci_jw_strv(co, "bounding", caps->bounding, caps->n_bounding);
		oci_jw_strv(co, "effective", caps->effective, caps->n_effective);
		oci_jw_strv(co, "inheritable", caps->inheritable, caps->n_inheritable);
		oci_jw_strv(co, "permitted", caps->permitted, caps->n_permitted);
		oci_jw_strv(co, "ambient", caps->ambient, caps->n_ambient);
	}
	if (p->rlimits) {
		struct json_object *a = oci_jw_child(o, "rlimits", json_object_new_array());
		for (size_t i = 0; i < p->n_rlimits; i++) {
			struct json_object *e = json_object_new_object();
			json_object_array_add(a, e);
			oci_jw_string(e, "type", p->rlimits[i].type);
			oci_jw_u64(e, "hard", p->rlimits[i].hard);
			oci_jw_u64(e, "soft", p->rlimits[i].soft);
		}
	}
	if (p->no_new_privileges)
		oci_jw_bool(o, "noNewPrivileges", true);
	oci_jw_string(o, "apparmorProfile", p->apparmor_profile);
	oci_jw_opt_i64(o, "oomScoreAdj", p->oom_score_adj);
	oci_jw_string(o, "selinuxLabel", p->selinux_label);
	if (p->io_priority) {
		struct json_object *io = oci_jw_child(o, "ioPriority", json_object_new_object());
		oci_jw_string(io, "class", p->io_priority->class);
		oci_jw_i64(io, "priority", p->io_priority->priority);
	}
	if (p->scheduler) {
		const struct oci_scheduler *s = p->scheduler;
		struct json_object *so = oci_jw_child(o, "scheduler", json_object_new_object());
		oci_jw_string(so, "policy", s->policy);
		oci_jw_opt_i64(so, "nice", s->nice);
		oci_jw_opt_i64(so, "priority", s->priority);
		oci_jw_strv(so, "flags", s->flags, s->n_flags);
		oci_jw_opt_u64(so, "runtime", s->runtime);
		oci_jw_opt_u64(so, "deadline", s->deadline);
		oci_jw_opt_u64(so, "period", s->period);
	}
	if (p->exec_cpu_affinity_initial || p->exec_cpu_affinity_final) {
		struct json_object *a = oci_jw_child(o, "execCPUAffinity", json_object_new_object());
		oci_jw_string(a, "initial", p->exec_cpu_affinity_initial);
		oci_jw_string(a, "final", p->exec_cpu_affinity_final);
	}
	return o;
}
