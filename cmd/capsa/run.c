/* SPDX-License-Identifier: GPL-2.0-or-later */
/* capsa run: create + start + attach, with docker's flags and exit codes. Also the flag parser of create. */
#define _GNU_SOURCE
#include "containers.h"
#include "common/cleanup.h"
#include "common/path.h"
#include "common/signal.h"
#include "common/util.h"
#include "vm/initramfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

enum {
	OPT_RM = 1000,
	OPT_NAME,
	OPT_ENTRYPOINT,
	OPT_READ_ONLY,
	OPT_HOSTNAME,
	OPT_PIDS,
	OPT_CPUS,
	OPT_NETWORK,
	OPT_ENV_FILE,
	OPT_MOUNT,
	OPT_TMPFS,
	OPT_MEMSWAP,
	OPT_CPU_SHARES,
	OPT_CPUSET,
	OPT_CAP_ADD,
	OPT_CAP_DROP,
	OPT_PRIVILEGED,
	OPT_SECURITY,
	OPT_INIT,
	OPT_ULIMIT,
	OPT_SYSCTL,
	OPT_DEVICE,
	OPT_RESTART,
	OPT_STOP_SIGNAL,
	OPT_STOP_TIMEOUT,
	OPT_LABEL,
	OPT_LOG_DRIVER,
	OPT_LOG_OPT,
	OPT_PULL,
	OPT_PLATFORM,
	OPT_TIMEOUT,
	OPT_STATS_FILE,
	OPT_CGROUP_PARENT,
	OPT_PUBLISH,
	OPT_DETACH_KEYS,
	OPT_VM,
	OPT_HYPERVISOR,
	OPT_KERNEL,
	OPT_VM_ROOT,
};

static const struct option run_opts[] = {
	{"detach", no_argument, NULL, 'd'},
	{"interactive", no_argument, NULL, 'i'},
	{"tty", no_argument, NULL, 't'},
	{"rm", no_argument, NULL, OPT_RM},
	{"name", required_argument, NULL, OPT_NAME},
	{"env", required_argument, NULL, 'e'},
	{"env-file", required_argument, NULL, OPT_ENV_FILE},
	{"volume", required_argument, NULL, 'v'},
	{"mount", required_argument, NULL, OPT_MOUNT},
	{"tmpfs", required_argument, NULL, OPT_TMPFS},
	{"publish", required_argument, NULL, 'p'},
	{"publish-all", no_argument, NULL, 'P'},
	{"network", required_argument, NULL, OPT_NETWORK},
	{"net", required_argument, NULL, OPT_NETWORK},
	{"memory", required_argument, NULL, 'm'},
	{"memory-swap", required_argument, NULL, OPT_MEMSWAP},
	{"cpus", required_argument, NULL, OPT_CPUS},
	{"cpu-shares", required_argument, NULL, OPT_CPU_SHARES},
	{"cpuset-cpus", required_argument, NULL, OPT_CPUSET},
	{"pids-limit", required_argument, NULL, OPT_PIDS},
	{"user", required_argument, NULL, 'u'},
	{"workdir", required_argument, NULL, 'w'},
	{"entrypoint", required_argument, NULL, OPT_ENTRYPOINT},
	{"read-only", no_argument, NULL, OPT_READ_ONLY},
	{"cap-add", required_argument, NULL, OPT_CAP_ADD},
	{"cap-drop", required_argument, NULL, OPT_CAP_DROP},
	{"privileged", no_argument, NULL, OPT_PRIVILEGED},
	{"security-opt", required_argument, NULL, OPT_SECURITY},
	{"hostname", required_argument, NULL, OPT_HOSTNAME},
	{"init", no_argument, NULL, OPT_INIT},
	{"ulimit", required_argument, NULL, OPT_ULIMIT},
	{"sysctl", required_argument, NULL, OPT_SYSCTL},
	{"device", required_argument, NULL, OPT_DEVICE},
	{"restart", required_argument, NULL, OPT_RESTART},
	{"stop-signal", required_argument, NULL, OPT_STOP_SIGNAL},
	{"stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
	{"label", required_argument, NULL, 'l'},
	{"log-driver", required_argument, NULL, OPT_LOG_DRIVER},
	{"log-opt", required_argument, NULL, OPT_LOG_OPT},
	{"pull", required_argument, NULL, OPT_PULL},
	{"platform", required_argument, NULL, OPT_PLATFORM},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"stats-file", required_argument, NULL, OPT_STATS_FILE},
	{"cgroup-parent", required_argument, NULL, OPT_CGROUP_PARENT},
	{"detach-keys", required_argument, NULL, OPT_DETACH_KEYS},
	{"vm", no_argument, NULL, OPT_VM},
	{"hypervisor", required_argument, NULL, OPT_HYPERVISOR},
	{"kernel", required_argument, NULL, OPT_KERNEL},
	{"vm-root", required_argument, NULL, OPT_VM_ROOT},
	{"help", no_argument, NULL, 'h'},
	{0},
};

static const char run_help[] =
	"  -d, --detach             run in the background and print the container id\n"
	"  -i, --interactive        keep stdin open      -t, --tty  allocate a terminal\n"
	"      --rm                 remove the container when it exits\n"
	"      --name NAME          -e, --env K=V        --env-file FILE\n"
	"  -v, --volume SRC:DST[:ro] --mount type=bind|volume|tmpfs,...   --tmpfs PATH[:OPTS]\n"
	"  -p, --publish [IP:][HOSTPORT:]CTRPORT[/tcp|udp]  -P, --publish-all  --network NAME|none|host\n"
	"                           -m, --memory SIZE    --memory-swap SIZE  --cpus N  --cpu-shares N\n"
	"      --cpuset-cpus LIST   --pids-limit N       -u, --user USER[:GROUP]  -w, --workdir DIR\n"
	"      --entrypoint CMD     --read-only          --cap-add CAP  --cap-drop CAP  --privileged\n"
	"      --security-opt seccomp=FILE|unconfined, no-new-privileges   --hostname NAME\n"
	"      --ulimit NAME=SOFT[:HARD]  --sysctl K=V    --device HOST[:CTR]\n"
	"      --restart no|on-failure[:N]|always|unless-stopped  --stop-signal SIG  --stop-timeout N\n"
	"  -l, --label K=V          --log-driver json-file|none  --log-opt max-size=S,max-file=N\n"
	"      --timeout DURATION   stop the container after DURATION (exit status 124 when it fired)\n"
	"      --stats-file FILE    write a JSON summary (wall time, CPU, peak memory, I/O, exit) at exit\n"
	"      --cgroup-parent PATH --detach-keys KEYS   --init (a small init as PID 1: signals, reaping)\n"
	"      --pull missing|always|never  --platform OS/ARCH[/VARIANT]  (images from a registry)\n"
	"      --vm                 a container whose process runs in a micro-VM (User-mode Linux here)\n"
	"      --hypervisor kvm|uml force a micro-VM backend (implies --vm)\n"
	"      --kernel PATH        the KVM backend's guest kernel (default: make vm-kernel's vmlinux)\n"
	"      --vm-root disk|initramfs|auto  the VM's root: the image's ext4 disk or an initramfs in guest\n"
	"                           RAM (auto: initramfs for images up to 16 MiB and 1/8 of --memory)\n";

static void kv_push(struct capsa_kv **v, size_t *n, const char *s)
{
	const char *eq = strchr(s, '=');
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[*n].key = eq ? xstrndup(s, (size_t)(eq - s)) : xstrdup(s);
	(*v)[*n].value = xstrdup(eq ? eq + 1 : "");
	(*n)++;
}

void cli_run_opts_clear(struct capsa_run_opts *o)
{
	capsa_strv_free(o->env);
	capsa_strv_free(o->cap_add);
	capsa_strv_free(o->cap_drop);
	capsa_strv_free(o->devices);
	for (size_t i = 0; i < o->n_mounts; i++)
		capsa_mount_spec_clear(&o->mounts[i]);
	free(o->mounts);
	for (size_t i = 0; i < o->n_ulimits; i++)
		free(o->ulimits[i].type);
	free(o->ulimits);
	free(o->ports);
	for (size_t i = 0; i < o->n_sysctls; i++) {
		free(o->sysctls[i].key);
		free(o->sysctls[i].value);
	}
	free(o->sysctls);
	for (size_t i = 0; i < o->n_labels; i++) {
		free(o->labels[i].key);
		free(o->labels[i].value);
	}
	free(o->labels);
	free(o->detach_keys);
}

static int add_mount(struct capsa_run_opts *o,
		     int (*parse)(const char *, struct capsa_mount_spec *, struct capsa_error **),
		     const char *s, struct capsa_error **err)
{
	struct capsa_mount_spec m;
	if (parse(s, &m, err) < 0)
		return -1;
	o->mounts = xreallocarray(o->mounts, o->n_mounts + 1, sizeof(*o->mounts));
	o->mounts[o->n_mounts++] = m;
	return 0;
}

static int log_opt(struct capsa_run_opts *o, const char *s, struct capsa_error **err)
{
	if (capsa_str_has_prefix(s, "max-size="))
		return capsa_parse_memory(s + 9, &o->log_max_size, err) < 0
			       ? capsa_error_prefix(err, "--log-opt")
			       : 0;
	if (capsa_str_has_prefix(s, "max-file=")) {
		int64_t v;
		if (capsa_parse_i64(s + 9, &v) < 0 || v < 1 || v > 100)
			return capsa_error_set(err, EINVAL, "--log-opt %s: max-file must be 1..100", s);
		o->log_max_file = (int)v;
		return 0;
	}
	return capsa_error_set(err, EINVAL, "unknown log opt '%s' for json-file log driver", s);
}

static int security_opt(struct capsa_run_opts *o, const char *s, struct capsa_error **err)
{
	if (strcmp(s, "no-new-privileges") == 0 || strcmp(s, "no-new-privileges=true") == 0 ||
	    strcmp(s, "no-new-privileges:true") == 0)
		o->no_new_privileges = true;
	else if (strcmp(s, "no-new-privileges=false") == 0 || strcmp(s, "no-new-privileges:false") == 0)
		o->no_new_privileges = false;
	else if (capsa_str_has_prefix(s, "seccomp=") || capsa_str_has_prefix(s, "seccomp:"))
		o->seccomp = s + 8;
	else
		return capsa_error_set(err, EINVAL, "invalid --security-opt: \"%s\"", s);
	return 0;
}

int cli_parse_run(const struct capsa_cmd *cmd, int argc, char **argv, struct capsa_run_opts *o, bool *detach,
		  struct capsa_error **err)
{
	*o = (struct capsa_run_opts){.stop_timeout = -1, .log_max_file = 1};
	*detach = false;
	int c;
	int64_t v;
	while ((c = cli_getopt(cmd, argc, argv, "dite:v:p:Pm:u:w:l:", run_opts)) != -1) {
		switch (c) {
		case 'h':
			return 1;
		case 'd':
			*detach = true;
			break;
		case 'i':
			o->interactive = true;
			break;
		case 't':
			o->tty = true;
			break;
		case OPT_RM:
			o->auto_remove = true;
			break;
		case OPT_NAME:
			o->name = optarg;
			break;
		case 'e':
			if (capsa_parse_env_arg(optarg, &o->env, &o->n_env, err) < 0)
				return -1;
			break;
		case OPT_ENV_FILE: {
			_cleanup_free_ char *text = NULL;
			size_t len;
			if (capsa_read_file_at(AT_FDCWD, optarg, 1 << 20, &text, &len, err) < 0)
				return capsa_error_prefix(err, "--env-file");
			if (capsa_parse_env_file(text, optarg, &o->env, &o->n_env, err) < 0)
				return -1;
			break;
		}
		case 'v':
			if (add_mount(o, capsa_parse_volume, optarg, err) < 0)
				return -1;
			break;
		case OPT_MOUNT:
			if (add_mount(o, capsa_parse_mount, optarg, err) < 0)
				return -1;
			break;
		case OPT_TMPFS:
			if (add_mount(o, capsa_parse_tmpfs, optarg, err) < 0)
				return -1;
			break;
		case 'p':
			if (capsa_port_spec_parse(optarg, &o->ports, &o->n_ports, err) < 0)
				return -1;
			break;
		case 'P':
			o->publish_all = true;
			break;
		case OPT_NETWORK:
			o->network = optarg;
			break;
		case 'm':
			if (capsa_parse_memory(optarg, &o->memory, err) < 0)
				return capsa_error_prefix(err, "--memory");
			if (o->memory < 6 * 1024 * 1024)
				return capsa_error_set(err, EINVAL, "--memory %s: the minimum allowed is 6MB",
						       optarg);
			break;
		case OPT_MEMSWAP:
			o->memory_swap_set = true;
			if (strcmp(optarg, "-1") == 0)
				o->memory_swap = -1;
			else if (capsa_parse_memory(optarg, &o->memory_swap, err) < 0)
				return capsa_error_prefix(err, "--memory-swap");
			break;
		case OPT_CPUS:
			if (capsa_parse_cpus(optarg, &o->nano_cpus, err) < 0)
				return -1;
			break;
		case OPT_CPU_SHARES:
			if (capsa_parse_i64(optarg, &v) < 0 || v < 0)
				return capsa_error_set(err, EINVAL, "invalid --cpu-shares: '%s'", optarg);
			o->cpu_shares = v;
			break;
		case OPT_CPUSET:
			o->cpuset_cpus = optarg;
			break;
		case OPT_PIDS:
			if (capsa_parse_i64(optarg, &v) < 0 || v < -1)
				return capsa_error_set(err, EINVAL, "invalid --pids-limit: '%s'", optarg);
			o->pids_limit = v;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'w':
			if (optarg[0] != '/')
				return capsa_error_set(
					err, EINVAL,
					"the working directory '%s' is invalid, it needs to be "
					"an absolute path",
					optarg);
			o->workdir = optarg;
			break;
		case OPT_ENTRYPOINT:
			o->entrypoint = optarg;
			break;
		case OPT_READ_ONLY:
			o->read_only = true;
			break;
		case OPT_CAP_ADD:
			capsa_strv_push(&o->cap_add, optarg);
			o->n_cap_add++;
			break;
		case OPT_CAP_DROP:
			capsa_strv_push(&o->cap_drop, optarg);
			o->n_cap_drop++;
			break;
		case OPT_PRIVILEGED:
			o->privileged = true;
			break;
		case OPT_SECURITY:
			if (security_opt(o, optarg, err) < 0)
				return -1;
			break;
		case OPT_HOSTNAME:
			o->hostname = optarg;
			break;
		case OPT_INIT:
			o->init = true;
			break;
		case OPT_ULIMIT: {
			struct oci_rlimit rl;
			if (capsa_parse_ulimit(optarg, &rl, err) < 0)
				return -1;
			o->ulimits = xreallocarray(o->ulimits, o->n_ulimits + 1, sizeof(*o->ulimits));
			o->ulimits[o->n_ulimits++] = rl;
			break;
		}
		case OPT_SYSCTL:
			if (!strchr(optarg, '='))
				return capsa_error_set(err, EINVAL, "invalid --sysctl '%s' (K=V)", optarg);
			kv_push(&o->sysctls, &o->n_sysctls, optarg);
			break;
		case OPT_DEVICE:
			capsa_strv_push(&o->devices, optarg);
			o->n_devices++;
			break;
		case OPT_RESTART:
			if (capsa_parse_restart(optarg, &o->restart, &o->restart_max, err) < 0)
				return -1;
			break;
		case OPT_STOP_SIGNAL:
			if ((o->stop_signal = capsa_signal_parse(optarg)) <= 0)
				return capsa_error_set(err, EINVAL, "invalid --stop-signal: '%s'", optarg);
			break;
		case OPT_STOP_TIMEOUT:
			if (capsa_parse_i64(optarg, &v) < 0 || v < -1 || v > 86400)
				return capsa_error_set(err, EINVAL, "invalid --stop-timeout: '%s'", optarg);
			o->stop_timeout = (int)v;
			break;
		case 'l':
			kv_push(&o->labels, &o->n_labels, optarg);
			break;
		case OPT_LOG_DRIVER:
			if (strcmp(optarg, "json-file") && strcmp(optarg, "none"))
				return capsa_error_set(
					err, EINVAL, "unknown log driver \"%s\" (json-file or none)", optarg);
			o->log_driver = optarg;
			break;
		case OPT_LOG_OPT:
			if (log_opt(o, optarg, err) < 0)
				return -1;
			break;
		case OPT_PULL:
			if (strcmp(optarg, "never") && strcmp(optarg, "missing") && strcmp(optarg, "always"))
				return capsa_error_set(
					err, 0, "invalid --pull \"%s\": expected missing, always or never",
					optarg);
			o->pull = optarg;
			break;
		case OPT_PLATFORM: {
			/* Used when the image is pulled; an image already stored has one platform only. */
			struct capsa_platform plat;
			if (capsa_platform_parse(optarg, &plat, err) < 0)
				return capsa_error_prefix(err, "--platform");
			capsa_platform_clear(&plat);
			o->platform = optarg;
			break;
		}
		case OPT_TIMEOUT:
			if (capsa_parse_duration(optarg, &o->timeout_ns, err) < 0)
				return capsa_error_prefix(err, "--timeout");
			if (o->timeout_ns <= 0)
				return capsa_error_set(err, EINVAL, "--timeout %s: must be positive", optarg);
			break;
		case OPT_STATS_FILE:
			o->stats_file = optarg;
			break;
		case OPT_CGROUP_PARENT:
			o->cgroup_parent = optarg;
			break;
		case OPT_VM:
			o->vm = true;
			break;
		case OPT_HYPERVISOR:
			o->vm = true;
			o->hypervisor = optarg;
			break;
		case OPT_KERNEL:
			o->vm = true;
			o->kernel = optarg;
			break;
		case OPT_VM_ROOT: {
			enum capsa_vm_root r;
			if (capsa_vm_root_parse(optarg, &r, err) < 0)
				return -1;
			o->vm = true;
			o->vm_root = optarg;
			break;
		}
		case OPT_DETACH_KEYS: {
			char *keys = NULL;
			if (capsa_parse_detach_keys(optarg, &keys, err) < 0)
				return -1;
			free(o->detach_keys);
			o->detach_keys = keys;
			break;
		}
		default:
			return cli_usage_error(cmd, err, "unknown flag");
		}
	}
	if (optind >= argc)
		return cli_usage_error(cmd, err, "requires at least 1 argument (the image)");
	o->image = argv[optind];
	/* A pull by run/create reports its progress on stderr, like docker's. */
	static struct cli_pull_printer printer;
	cli_pull_printer_clear(&printer);
	cli_pull_printer_init(&printer, stderr, false, o->image);
	o->pull_progress = cli_pull_progress;
	o->pull_progress_ctx = &printer;
	if (optind + 1 < argc) {
		o->cmd = argv + optind + 1;
		o->n_cmd = (size_t)(argc - optind - 1);
	}
	/* Files the monitor opens later, from its own working directory (and a start from another). */
	static char stats_abs[PATH_MAX], kernel_abs[PATH_MAX];
	if (o->stats_file) {
		if (capsa_path_absolute(o->stats_file, stats_abs, sizeof(stats_abs), err) < 0)
			return capsa_error_prefix(err, "--stats-file");
		o->stats_file = stats_abs;
	}
	if (o->kernel && o->kernel[0]) {
		if (capsa_path_absolute(o->kernel, kernel_abs, sizeof(kernel_abs), err) < 0)
			return capsa_error_prefix(err, "--kernel");
		o->kernel = kernel_abs;
	}
	return 0;
}

int cli_fail(const char *name, struct capsa_error *err, int code)
{
	_cleanup_free_ char *t = capsa_error_text(err);
	fprintf(stderr, "capsa: %s: %s\n", name, t);
	return code;
}

int cli_each_container(struct capsa_cli *cli, const struct capsa_cmd *cmd, int argc, char **argv,
		       cli_ctr_action act, void *data, struct capsa_error **err)
{
	if (optind >= argc)
		return cli_usage_error(cmd, err, "requires at least 1 argument");
	_cleanup_engine_ struct capsa_engine *e = NULL;
	if (capsa_engine_open(cli->root, &e, err) < 0)
		return -1;
	int status = 0;
	for (int i = optind; i < argc; i++) {
		_cleanup_ctr_ struct capsa_ctr *c = NULL;
		struct capsa_error *e2 = NULL;
		if (capsa_engine_lookup(e, argv[i], &c, &e2) < 0 || act(e, c, argv[i], data, &e2) < 0) {
			status = cli_fail(cmd->name, e2, 1);
			capsa_error_free(e2);
		}
	}
	return status;
}

static int run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	/* Not sealed itself: the monitor it forks executes a sealed copy of capsa-monitor-full. */
	struct capsa_run_opts o;
	bool detach;
	int r = cli_parse_run(&capsa_cmd_run, argc, argv, &o, &detach, err);
	if (r != 0) {
		cli_run_opts_clear(&o);
		if (r > 0)
			return 0;
		if (strstr((*err)->msg, "(usage: "))
			return -1;
		return cli_fail("run", *err, 125);
	}
	_cleanup_engine_ struct capsa_engine *e = NULL;
	_cleanup_ctr_ struct capsa_ctr *c = NULL;
	int code = 125;
	o.start_follows = true;
	if (capsa_engine_open(cli->root, &e, err) < 0 || capsa_engine_create(e, &o, &c, &code, err) < 0) {
		cli_run_opts_clear(&o);
		return cli_fail("run", *err, code);
	}
	struct capsa_attach_opts a = {.stdin_ = c->open_stdin && !detach,
				      .stdout_ = !detach,
				      .stderr_ = !detach,
				      .tty = c->tty && !detach,
				      .detach_keys = o.detach_keys,
				      .wait_exit = !detach,
				      .in_fd = 0,
				      .out_fd = 1,
				      .err_fd = 2};
	bool detached = false;
	int r2 = capsa_engine_start(e, c, &a, &code, &detached, err);
	cli_run_opts_clear(&o);
	if (r2 < 0)
		return cli_fail("run", *err, code);
	if (detach) {
		printf("%s\n", c->id);
		return 0;
	}
	if (detached) {
		fprintf(stderr, "\nread escape sequence\n");
		return 0;
	}
	return code;
}

const struct capsa_cmd capsa_cmd_run = {
	.name = "run",
	.summary = "Create and start a container from an image",
	.usage = "[OPTIONS] IMAGE [COMMAND] [ARG...]",
	.help = run_help,
	.run = run,
};
