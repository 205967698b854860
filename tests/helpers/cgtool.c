/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cgtool: drives cgroups/ directly for the integration tests.
 *   cgtool mode
 *   cgtool create PATH [ID]           (PATH "" = default /capsa/ID; prints the resolved path)
 *   cgtool apply PATH [--memory N] [--memory-swap N] [--memory-reservation N] [--pids N]
 *                     [--cpu-shares N] [--cpu-quota Q] [--cpu-period P] [--cpuset-cpus S] [--cpuset-mems S]
 *                     [--blkio-weight N] [--blkio-read-bps MAJ:MIN:RATE] [--device-allow T:MAJ:MIN[:ACC]]
 * [--device-deny ...]
 *                     [--unified KEY=VALUE] [--config config.json] [--resources resources.json]
 *   cgtool run PATH -- CMD...         (fork, enter the cgroup, exec; exits with CMD's status)
 *   cgtool oom-watch PATH -- CMD...   (like run, then waits for the OOM fd and prints "oom_kills N")
 *   cgtool mount PATH DIR -- CMD...   (new mount namespace, the cgroup view mounted on DIR, exec CMD)
 *   cgtool bpf-devices PATH [--device-allow ...] [--device-deny ...]
 *                                     (attaches the v2 device filter even on a hybrid host)
 *   cgtool stats|freeze|thaw|frozen|kill|pids|oom|destroy PATH
 */
#define _GNU_SOURCE
#include "cgroups/cgroups.h"
#include "cgroups/internal.h"
#include "common/util.h"
#include "oci-spec/oci-spec.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

static int fail(struct capsa_error *e)
{
	_cleanup_free_ char *t = capsa_error_text(e);
	fprintf(stderr, "cgtool: %s\n", t);
	capsa_error_free(e);
	return 1;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: cgtool mode|create|apply|run|oom-watch|mount|stats|freeze|thaw|frozen|kill|pids|oom|"
		"destroy PATH ...\n");
	return 2;
}

static int64_t num(const char *opt, const char *s)
{
	int64_t v;
	if (capsa_parse_i64(s, &v) < 0) {
		fprintf(stderr, "cgtool: %s: '%s' is not a number\n", opt, s);
		exit(2);
	}
	return v;
}

static struct oci_opt_i64 opt_i(const char *opt, const char *s)
{
	return (struct oci_opt_i64){.set = true, .value = num(opt, s)};
}

static struct oci_opt_u64 opt_u(const char *opt, const char *s)
{
	int64_t v = num(opt, s);
	return (struct oci_opt_u64){.set = true, .value = (uint64_t)v};
}

/* "c:240:0:rwm", "a", "c:*:*:m" */
static void parse_rule(const char *s, bool allow, struct oci_device_rule *r)
{
	_cleanup_free_ char *copy = xstrdup(s);
	char *save = NULL;
	char *f[4] = {0};
	f[0] = strtok_r(copy, ":", &save);
	for (int i = 1; i < 4; i++)
		f[i] = strtok_r(NULL, ":", &save);
	memset(r, 0, sizeof(*r));
	r->allow = allow;
	r->type = f[0] ? f[0][0] : 'a';
	if (f[1] && strcmp(f[1], "*") != 0)
		r->major = opt_i("major", f[1]);
	if (f[2] && strcmp(f[2], "*") != 0)
		r->minor = opt_i("minor", f[2]);
	r->access = f[3] ? xstrdup(f[3]) : NULL;
}

static int cmd_apply(struct capsa_cgroup *cg, int argc, char **argv)
{
	struct oci_memory mem = {0};
	struct oci_cpu cpu = {0};
	struct oci_blkio blkio = {0};
	struct oci_resources res = {0};
	_cleanup_oci_config_ struct oci_config *cfg = NULL;
	struct capsa_error *err = NULL;
	bool has_mem = false, has_cpu = false;
	for (int i = 0; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL)
			return usage();
		i++;
		if (strcmp(o, "--memory") == 0)
			mem.limit = opt_i(o, v), has_mem = true;
		else if (strcmp(o, "--memory-swap") == 0)
			mem.swap = opt_i(o, v), has_mem = true;
		else if (strcmp(o, "--memory-reservation") == 0)
			mem.reservation = opt_i(o, v), has_mem = true;
		else if (strcmp(o, "--pids") == 0)
			res.pids_limit = opt_i(o, v);
		else if (strcmp(o, "--cpu-shares") == 0)
			cpu.shares = opt_u(o, v), has_cpu = true;
		else if (strcmp(o, "--cpu-quota") == 0)
			cpu.quota = opt_i(o, v), has_cpu = true;
		else if (strcmp(o, "--cpu-period") == 0)
			cpu.period = opt_u(o, v), has_cpu = true;
		else if (strcmp(o, "--cpuset-cpus") == 0)
			cpu.cpus = (char *)v, has_cpu = true;
		else if (strcmp(o, "--cpuset-mems") == 0)
			cpu.mems = (char *)v, has_cpu = true;
		else if (strcmp(o, "--blkio-weight") == 0)
			blkio.weight = opt_u(o, v), res.blkio = &blkio;
		else if (strcmp(o, "--blkio-read-bps") == 0) {
			/* MAJ:MIN:RATE */
			static struct oci_throttle_device t;
			if (sscanf(v, "%" SCNd64 ":%" SCNd64 ":%" SCNu64, &t.major, &t.minor, &t.rate) != 3)
				return usage();
			blkio.throttle_read_bps = &t;
			blkio.n_throttle_read_bps = 1;
			res.blkio = &blkio;
		} else if (strcmp(o, "--device-allow") == 0 || strcmp(o, "--device-deny") == 0) {
			res.devices = xreallocarray(res.devices, res.n_devices + 1, sizeof(*res.devices));
			parse_rule(v, strcmp(o, "--device-allow") == 0, &res.devices[res.n_devices++]);
		} else if (strcmp(o, "--unified") == 0) {
			const char *eq = strchr(v, '=');
			if (eq == NULL)
				return usage();
			res.unified = xreallocarray(res.unified, res.n_unified + 1, sizeof(*res.unified));
			res.unified[res.n_unified++] = (struct oci_kv){.key = xstrndup(v, (size_t)(eq - v)),
								       .value = xstrdup(eq + 1)};
		} else if (strcmp(o, "--config") == 0) {
			if (capsa_oci_config_parse_file(v, &cfg, &err) < 0)
				return fail(err);
		} else if (strcmp(o, "--resources") == 0) {
			/* A bare linux.resources object (as `update -r` takes), parsed inside a minimal
			 * config. */
			_cleanup_free_ char *text = NULL, *json = NULL;
			if (capsa_read_file_at(AT_FDCWD, v, 0, &text, NULL, &err) < 0)
				return fail(err);
			json = xasprintf("{\"ociVersion\": \"1.2.0\", \"linux\": {\"resources\": %s}}", text);
			if (capsa_oci_config_parse(json, strlen(json), v, &cfg, &err) < 0)
				return fail(err);
		} else {
			fprintf(stderr, "cgtool: unknown option %s\n", o);
			return 2;
		}
	}
	if (has_mem)
		res.memory = &mem;
	if (has_cpu)
		res.cpu = &cpu;
	const struct oci_resources *r = &res;
	if (cfg) {
		if (cfg->linux_ == NULL || cfg->linux_->resources == NULL) {
			fprintf(stderr, "cgtool: the config has no linux.resources\n");
			return 2;
		}
		r = cfg->linux_->resources;
	}
	int ret = capsa_cgroup_apply(cg, r, &err) < 0 ? fail(err) : 0;
	for (size_t i = 0; i < res.n_devices; i++)
		free(res.devices[i].access);
	free(res.devices);
	for (size_t i = 0; i < res.n_unified; i++) {
		free(res.unified[i].key);
		free(res.unified[i].value);
	}
	free(res.unified);
	return ret;
}

static int cmd_bpf_devices(struct capsa_cgroup *cg, int argc, char **argv)
{
	struct capsa_error *err = NULL;
	struct oci_device_rule *rules = NULL;
	size_t n = 0;
	struct cg_dir *d = cgroup_v2_dir(cg);
	if (d == NULL) {
		fprintf(stderr, "cgtool: no cgroup v2 directory for %s\n", capsa_cgroup_path(cg));
		return 1;
	}
	for (int i = 0; i + 1 < argc; i += 2) {
		bool allow = strcmp(argv[i], "--device-allow") == 0;
		if (!allow && strcmp(argv[i], "--device-deny") != 0)
			return usage();
		rules = xreallocarray(rules, n + 1, sizeof(*rules));
		parse_rule(argv[i + 1], allow, &rules[n++]);
	}
	int ret = cgroup_device_attach(d->fd, rules, n, &err) < 0 ? fail(err) : 0;
	for (size_t i = 0; i < n; i++)
		free(rules[i].access);
	free(rules);
	return ret;
}

/* Forks a child that joins the cgroup and execs argv; returns its wait status. */
static int run_in(struct capsa_cgroup *cg, char **argv, int *status)
{
	pid_t pid = fork();
	if (pid < 0) {
		perror("cgtool: fork");
		return -1;
	}
	if (pid == 0) {
		struct capsa_error *err = NULL;
		if (capsa_cgroup_enter(cg, getpid(), &err) < 0)
			_exit(fail(err) + 126);
		execvp(argv[0], argv);
		fprintf(stderr, "cgtool: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

static int exit_code(int status)
{
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "cgtool: killed by signal %d\n", WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}

static char **after_dashes(int argc, char **argv, int from)
{
	for (int i = from; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			return i + 1 < argc ? &argv[i + 1] : NULL;
	return NULL;
}

static int cmd_mount(struct capsa_cgroup *cg, const char *dir, char **cmd)
{
	struct capsa_error *err = NULL;
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		perror("cgtool: private mount namespace");
		return 1;
	}
	int fd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "cgtool: open %s: %s\n", dir, strerror(errno));
		return 1;
	}
	const char *ro = getenv("CGTOOL_MOUNT_RO");
	if (capsa_cgroup_mount(cg, fd, ro && *ro == '1' ? MS_RDONLY : 0, &err) < 0)
		return fail(err);
	close(fd);
	execvp(cmd[0], cmd);
	fprintf(stderr, "cgtool: exec %s: %s\n", cmd[0], strerror(errno));
	return 127;
}

static void print_stats(const struct capsa_cgroup_stats *s)
{
#define P(f) printf(#f " %" PRIu64 "\n", s->f)
	P(cpu_usage_ns);
	P(cpu_user_ns);
	P(cpu_system_ns);
	P(cpu_nr_periods);
	P(cpu_nr_throttled);
	P(cpu_throttled_ns);
	P(mem_usage);
	P(mem_max_usage);
	P(mem_limit);
	P(mem_swap_usage);
	P(mem_swap_limit);
	P(mem_cache);
	P(mem_rss);
	P(oom_events);
	P(oom_kill_events);
	P(pids_current);
	P(pids_limit);
	P(io_read_bytes);
	P(io_write_bytes);
	P(io_read_ops);
	P(io_write_ops);
#undef P
}

int main(int argc, char **argv)
{
	struct capsa_error *err = NULL;
	if (argc < 2)
		return usage();
	const char *cmd = argv[1];
	if (strcmp(cmd, "mode") == 0) {
		static const char *const names[] = {"unified", "hybrid", "legacy"};
		printf("%s\n", names[capsa_cgroup_mode()]);
		return 0;
	}
	if (argc < 3)
		return usage();
	struct capsa_cgroup *cg = NULL;
	if (strcmp(cmd, "create") == 0) {
		if (capsa_cgroup_create(argv[2], argc > 3 ? argv[3] : NULL, &cg, &err) < 0)
			return fail(err);
		printf("%s\n", capsa_cgroup_path(cg));
		capsa_cgroup_free(cg);
		return 0;
	}
	if (capsa_cgroup_open(argv[2], &cg, &err) < 0)
		return fail(err);
	int ret = 0;
	if (strcmp(cmd, "apply") == 0) {
		ret = cmd_apply(cg, argc - 3, argv + 3);
	} else if (strcmp(cmd, "run") == 0 || strcmp(cmd, "oom-watch") == 0) {
		char **c = after_dashes(argc, argv, 3);
		int status, ofd = -1;
		if (c == NULL)
			return usage();
		if (strcmp(cmd, "oom-watch") == 0 && (ofd = capsa_cgroup_oom_fd(cg, &err)) < 0)
			return fail(err);
		if (run_in(cg, c, &status) < 0)
			return 1;
		ret = exit_code(status);
		if (ofd >= 0) {
			/* Bounded: the event is signalled before the killed process is reaped. */
			struct pollfd p = {.fd = ofd, .events = POLLIN};
			int r = poll(&p, 1, 10000);
			uint64_t n = 0;
			if (capsa_cgroup_oom_kills(cg, &n, &err) < 0)
				return fail(err);
			printf("oom_fd %s\noom_kills %" PRIu64 "\n", r == 1 ? "readable" : "silent", n);
			close(ofd);
		}
	} else if (strcmp(cmd, "mount") == 0) {
		char **c = after_dashes(argc, argv, 4);
		if (argc < 5 || c == NULL)
			return usage();
		ret = cmd_mount(cg, argv[3], c);
	} else if (strcmp(cmd, "bpf-devices") == 0) {
		ret = cmd_bpf_devices(cg, argc - 3, argv + 3);
	} else if (strcmp(cmd, "stats") == 0) {
		struct capsa_cgroup_stats st;
		if (capsa_cgroup_stats(cg, &st, &err) < 0)
			return fail(err);
		print_stats(&st);
	} else if (strcmp(cmd, "freeze") == 0 || strcmp(cmd, "thaw") == 0) {
		if (capsa_cgroup_freeze(cg, strcmp(cmd, "freeze") == 0, &err) < 0)
			ret = fail(err);
	} else if (strcmp(cmd, "frozen") == 0) {
		int r = capsa_cgroup_is_frozen(cg, &err);
		if (r < 0)
			return fail(err);
		printf("%s\n", r ? "frozen" : "thawed");
	} else if (strcmp(cmd, "kill") == 0) {
		if (capsa_cgroup_kill_all(cg, SIGKILL, &err) < 0)
			ret = fail(err);
	} else if (strcmp(cmd, "pids") == 0) {
		pid_t *pids;
		size_t n;
		if (capsa_cgroup_pids(cg, &pids, &n, &err) < 0)
			return fail(err);
		for (size_t i = 0; i < n; i++)
			printf("%d\n", (int)pids[i]);
		free(pids);
	} else if (strcmp(cmd, "oom") == 0) {
		uint64_t n;
		if (capsa_cgroup_oom_kills(cg, &n, &err) < 0)
			return fail(err);
		printf("%" PRIu64 "\n", n);
	} else if (strcmp(cmd, "destroy") == 0) {
		if (capsa_cgroup_destroy(cg, &err) < 0)
			ret = fail(err);
	} else {
		ret = usage();
	}
	capsa_cgroup_free(cg);
	return ret;
}
