/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The user process's identity and limits, set in the init just before exec. */
#define _GNU_SOURCE
#include "runtime/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

int process_set_rlimits(const struct oci_process *p, struct capsa_error **err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		const struct oci_rlimit *r = &p->rlimits[i];
		int res = capsa_oci_rlimit_from_name(r->type);
		if (res < 0)
			return capsa_error_set(err, EINVAL, "process.rlimits: unknown type %s", r->type);
		struct rlimit rl = {.rlim_cur = r->soft, .rlim_max = r->hard};
		if (setrlimit(res, &rl) < 0) {
			int e = errno;
			return capsa_error_set(err, e, "setrlimit %s soft %llu hard %llu%s", r->type,
					       (unsigned long long)r->soft, (unsigned long long)r->hard,
					       e == EPERM ? " (above the hard limit this host allows?)" : "");
		}
	}
	return 0;
}

int process_set_oom_score_adj(const struct oci_process *p, struct capsa_error **err)
{
	if (!p->oom_score_adj.set)
		return 0;
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%lld", (long long)p->oom_score_adj.value);
	if (capsa_write_existing_at(AT_FDCWD, "/proc/self/oom_score_adj", buf, (size_t)n, err) < 0)
		return capsa_error_prefix(err, "process.oomScoreAdj");
	return 0;
}

int process_set_personality(const struct oci_linux *l, struct capsa_error **err)
{
	if (l == NULL || l->personality == NULL)
		return 0;
	unsigned long pers;
	const char *d = l->personality->domain;
	if (d == NULL || strcmp(d, "LINUX") == 0)
		pers = PER_LINUX;
	else if (strcmp(d, "LINUX32") == 0)
		pers = PER_LINUX32;
	else
		return capsa_error_set(err, EINVAL, "linux.personality.domain: unknown domain %s", d);
	if (personality(pers) < 0)
		return capsa_error_errno(err, "personality %s", d);
	return 0;
}

int process_set_io_priority(const struct oci_process *p, struct capsa_error **err)
{
	if (p->io_priority == NULL)
		return 0;
	int cls;
	const char *c = p->io_priority->class;
	if (strcmp(c, "IOPRIO_CLASS_RT") == 0)
		cls = 1;
	else if (strcmp(c, "IOPRIO_CLASS_BE") == 0)
		cls = 2;
	else if (strcmp(c, "IOPRIO_CLASS_IDLE") == 0)
		cls = 3;
	else
		return capsa_error_set(err, EINVAL, "process.ioPriority.class: unknown class %s", c);
	long prio = ((long)cls << 13) | (p->io_priority->priority & 0x1fff);
	/* IOPRIO_WHO_PROCESS = 1, 0 = this process */
	if (syscall(SYS_ioprio_set, 1, 0, prio) < 0)
		return capsa_error_errno(err, "ioprio_set");
	return 0;
}

int process_set_scheduler(const struct oci_process *p, struct capsa_error **err)
{
	const struct oci_scheduler *s = p->scheduler;
	if (s == NULL)
		return 0;
	static const struct {
		const char *name;
		int policy;
	} pol[] = {{"SCHED_OTHER", SCHED_OTHER}, {"SCHED_FIFO", SCHED_FIFO}, {"SCHED_RR", SCHED_RR},
		   {"SCHED_BATCH", SCHED_BATCH}, {"SCHED_ISO", 4},	     {"SCHED_IDLE", SCHED_IDLE},
		   {"SCHED_DEADLINE", 6}};
	int policy = -1;
	for (size_t i = 0; i < ARRAY_SIZE(pol); i++)
		if (s->policy && strcmp(s->policy, pol[i].name) == 0)
			policy = pol[i].policy;
	if (policy < 0)
		return capsa_error_set(err, EINVAL, "process.scheduler.policy: unknown policy %s",
				       s->policy ? s->policy : "(none)");
	if (policy == 6)
		return capsa_error_set(err, ENOTSUP, "process.scheduler: SCHED_DEADLINE is not supported");
	struct sched_param sp = {.sched_priority = s->priority.set ? (int)s->priority.value : 0};
	if (sched_setscheduler(0, policy, &sp) < 0)
		return capsa_error_errno(err, "sched_setscheduler %s", s->policy);
	if (s->nice.set && setpriority(PRIO_PROCESS, 0, (int)s->nice.value) < 0)
		return capsa_error_errno(err, "setpriority %lld", (long long)s->nice.value);
	return 0;
}

int process_set_user(const struct oci_process *p, bool userns, struct capsa_error **err)
{
	const struct oci_user *u = &p->user;
	/* setgroups is refused in a user namespace whose setgroups is "deny"; that is not an error there. */
	if (u->n_additional_gids > 0) {
		gid_t *g = xcalloc(u->n_additional_gids, sizeof(gid_t));
		for (size_t i = 0; i < u->n_additional_gids; i++)
			g[i] = u->additional_gids[i];
		int r = setgroups(u->n_additional_gids, g);
		int e = errno;
		free(g);
		if (r < 0)
			return capsa_error_set(err, e, "setgroups");
	} else if (setgroups(0, NULL) < 0 && !(userns && errno == EPERM)) {
		return capsa_error_errno(err, "setgroups");
	}
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return capsa_error_errno(err, "setgid %u", u->gid);
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return capsa_error_errno(err, "setuid %u", u->uid);
	/* As runc: the config's umask, else 022 whatever the caller's umask (a hardened host's 077 would
	 * otherwise make every file the process creates private to its owner). */
	umask(u->umask.set ? (mode_t)u->umask.value : 022);
	return 0;
}

static const char *env_get(const struct oci_process *p, const char *key)
{
	size_t kl = strlen(key);
	for (size_t i = 0; i < p->n_env; i++)
		if (strncmp(p->env[i], key, kl) == 0 && p->env[i][kl] == '=')
			return p->env[i] + kl + 1;
	return NULL;
}

static bool is_executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int process_find_executable(const struct oci_process *p, char **out, struct capsa_error **err)
{
	const char *arg0 = p->args[0];
	if (strchr(arg0, '/')) {
		struct stat st;
		if (stat(arg0, &st) < 0)
			return capsa_error_errno(err, "exec: \"%s\"", arg0);
		if (S_ISDIR(st.st_mode))
			return capsa_error_set(err, EISDIR, "exec: \"%s\"", arg0);
		*out = xstrdup(arg0);
		return 0;
	}
	const char *path = env_get(p, "PATH");
	if (path == NULL)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	_cleanup_free_ char *copy = xstrdup(path);
	char *save = NULL;
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *cand = xasprintf("%s/%s", *dir ? dir : ".", arg0);
		if (is_executable(cand)) {
			*out = TAKE_PTR(cand);
			return 0;
		}
	}
	return capsa_error_set(err, 0, "exec: \"%s\": executable file not found in $PATH", arg0);
}

void process_reset_signals(void)
{
	sigset_t none;
	sigemptyset(&none);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
}
