/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * engine/: docker-level containers on top of the runtime and the image store.
 * Records, names and ids, the OCI config generated from an image and the
 * command line, and the monitor: one small process per container that holds
 * its stdio, writes its json-file log, reaps it, records how it ended, runs
 * --rm and restart policies and serves attach on a unix socket.
 *
 * Layout under the store root (default /var/lib/capsa):
 *   containers/lock                 flock, held to reserve names and to remove containers
 *   containers/<id>/container.json  the record (written by the CLI, atomically)
 *   containers/<id>/state.json      the status (written by the monitor, atomically)
 *   containers/<id>/bundle/         the OCI bundle (config.json; the rootfs is the image store's)
 *   containers/<id>/<id>-json.log   the log, one JSON object per line
 *   containers/<id>/attach          the monitor's socket
 *   volumes/<name>/_data            named volumes
 * Runtime state is under /run/capsa (or <root>/run when the root is not the default).
 */
#ifndef CAPSA_ENGINE_H
#define CAPSA_ENGINE_H

#include "common/error.h"
#include "image/image.h"
#include "netns/netns.h"
#include "oci-spec/oci-spec.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- flag parsers (pure, unit-tested) ------------------------------------------------------------- */

/* "512m", "1g", "1024", "1.5G", "100k", "10b": bytes (binary units, like docker). */
int capsa_parse_memory(const char *s, int64_t *out, struct capsa_error **err) CAPSA_WUR;
/* Go-style durations: "10s", "1m30s", "250ms", "2h", "1.5s"; a bare number is seconds. Nanoseconds. */
int capsa_parse_duration(const char *s, int64_t *ns, struct capsa_error **err) CAPSA_WUR;
/* A point in time as docker's --since/--until take it: a duration back from now_ns ("10m", "1h30m"), a
 * Unix time ("1732867290[.5]"), or RFC 3339 ("2024-05-01[T10[:00[:00[.5]]]][Z|+02:00]", local time
 * without a zone). now_ns < 0: the clock's. Nanoseconds since the epoch. */
int capsa_parse_timestamp(const char *s, int64_t now_ns, int64_t *ns, struct capsa_error **err) CAPSA_WUR;
/* "1.5" CPUs as nano-CPUs (1.5e9). */
int capsa_parse_cpus(const char *s, int64_t *nano, struct capsa_error **err) CAPSA_WUR;
/* An --env-file's text: "K=V" lines, "K" alone takes the value from environ (dropped when unset),
 * '#' comments and blank lines skipped. Appends to *env (NULL-terminated). */
int capsa_parse_env_file(const char *text, const char *name, char ***env, size_t *n,
			 struct capsa_error **err) CAPSA_WUR;
/* "K=V" or "K" (taken from environ). */
int capsa_parse_env_arg(const char *s, char ***env, size_t *n, struct capsa_error **err) CAPSA_WUR;

enum capsa_mount_kind {
	CAPSA_MOUNT_BIND = 0,
	CAPSA_MOUNT_VOLUME,
	CAPSA_MOUNT_TMPFS,
};

struct capsa_mount_spec {
	enum capsa_mount_kind kind;
	char *source; /* host path (bind), volume name (volume; NULL: anonymous), NULL (tmpfs) */
	char *destination;
	bool readonly;
	char *propagation; /* "rprivate" unless given */
	int64_t tmpfs_size;
	int64_t tmpfs_mode;  /* -1 unset */
	char *tmpfs_options; /* extra options from --tmpfs PATH:OPTS */
};
/* -v HOST:CTR[:ro|rw|z|Z|...], -v NAME:CTR, -v CTR (anonymous volume). */
int capsa_parse_volume(const char *s, struct capsa_mount_spec *out, struct capsa_error **err) CAPSA_WUR;
/* --mount type=bind|volume|tmpfs,source=..,target=..,readonly,bind-propagation=..,tmpfs-size=..,tmpfs-mode=..
 */
int capsa_parse_mount(const char *s, struct capsa_mount_spec *out, struct capsa_error **err) CAPSA_WUR;
/* --tmpfs PATH[:OPTS] */
int capsa_parse_tmpfs(const char *s, struct capsa_mount_spec *out, struct capsa_error **err) CAPSA_WUR;
void capsa_mount_spec_clear(struct capsa_mount_spec *m);

enum capsa_restart {
	CAPSA_RESTART_NO = 0,
	CAPSA_RESTART_ON_FAILURE,
	CAPSA_RESTART_ALWAYS,
	CAPSA_RESTART_UNLESS_STOPPED,
};
/* "no", "on-failure[:N]", "always", "unless-stopped". */
int capsa_parse_restart(const char *s, enum capsa_restart *policy, int *max_retries,
			struct capsa_error **err) CAPSA_WUR;
const char *capsa_restart_name(enum capsa_restart r);
/* --ulimit nofile=1024[:2048] as an rlimit. */
int capsa_parse_ulimit(const char *s, struct oci_rlimit *out, struct capsa_error **err) CAPSA_WUR;
/* --detach-keys "ctrl-p,ctrl-q" or "a,ctrl-x": the byte sequence. */
int capsa_parse_detach_keys(const char *s, char **out, struct capsa_error **err) CAPSA_WUR;
/* A container name: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128 characters (a leading '/' is dropped). */
int capsa_container_name_validate(const char *name, struct capsa_error **err) CAPSA_WUR;

/* ---- records ------------------------------------------------------------------------------------ */

enum capsa_ctr_status {
	CAPSA_CTR_CREATED = 0,
	CAPSA_CTR_RUNNING,
	CAPSA_CTR_PAUSED,
	CAPSA_CTR_RESTARTING,
	CAPSA_CTR_EXITED,
	CAPSA_CTR_DEAD,
	CAPSA_CTR_REMOVING,
};
const char *capsa_ctr_status_name(enum capsa_ctr_status s);

/* Everything `run` and `create` accept (the CLI fills it; engine turns it into a config). */
struct capsa_run_opts {
	/* run, not create: the start comes at once, so the monitor stays the full program until it has
	 * started the container, instead of handing over to the small one and having it run the start. */
	bool start_follows;
	const char *image;
	const char *name;
	char **cmd; /* NULL: the image's */
	size_t n_cmd;
	const char *entrypoint; /* NULL: the image's; "" clears it */
	char **env;
	size_t n_env;
	const char *user;
	const char *workdir;
	const char *hostname;
	bool tty, interactive, auto_remove, read_only, privileged, no_new_privileges, init;
	bool vm;		/* --vm: run in a micro-VM (engine/vm.c) */
	const char *hypervisor; /* --hypervisor kvm|uml (implies --vm); NULL: the one this host can run */
	const char *kernel;	/* --kernel: the KVM backend's guest kernel; NULL: make vm-kernel's */
	const char *vm_root;	/* --vm-root disk|initramfs|auto (implies --vm); NULL: disk */
	const char *network;	/* a network's name, "none" or "host"; NULL: capsa_engine_default_network() */
	struct capsa_port_map *ports; /* -p, parsed by capsa_port_spec_parse */
	size_t n_ports;
	bool publish_all; /* -P: the image's ExposedPorts on ephemeral host ports */
	int64_t memory, memory_swap, cpu_shares, pids_limit, nano_cpus; /* 0 = unset (swap -1 = unlimited) */
	bool memory_swap_set;
	const char *cpuset_cpus;
	char **cap_add;
	size_t n_cap_add;
	char **cap_drop;
	size_t n_cap_drop;
	const char *seccomp; /* NULL: default profile, "unconfined", or a file */
	struct capsa_mount_spec *mounts;
	size_t n_mounts;
	struct oci_rlimit *ulimits;
	size_t n_ulimits;
	struct capsa_kv *sysctls;
	size_t n_sysctls;
	struct capsa_kv *labels;
	size_t n_labels;
	char **devices; /* host paths, "PATH[:CTRPATH[:rwm]]" */
	size_t n_devices;
	enum capsa_restart restart;
	int restart_max;
	int stop_signal;	/* 0: the image's */
	int stop_timeout;	/* seconds, -1: default 10 */
	const char *log_driver; /* "json-file" (default) or "none" */
	int64_t log_max_size;	/* bytes, 0: no rotation */
	int log_max_file;
	int64_t timeout_ns; /* --timeout, 0: none */
	const char *stats_file;
	const char *cgroup_parent; /* default $CAPSA_CGROUP_PARENT or /capsa */
	char *detach_keys;	   /* for the attached run; NULL: ctrl-p ctrl-q */
	const char *pull;	   /* --pull: "missing" (default), "always" or "never" */
	const char *platform;	   /* --platform, for a pull */
	void (*pull_progress)(void *ctx, const struct capsa_pull_event *ev); /* NULL: a silent pull */
	void *pull_progress_ctx;
};

struct capsa_ctr {
	/* container.json */
	char *id;
	char *name;
	char *created;
	char *image; /* as given */
	char *image_id;
	char **args; /* the process: path is args[0] */
	size_t n_args;
	char **env;
	size_t n_env;
	char *cwd;
	char *user;
	char *hostname;
	char **entrypoint;
	size_t n_entrypoint;
	char **cmd;
	size_t n_cmd;
	bool tty, open_stdin, auto_remove, read_only, privileged;
	bool init; /* --init: capsa-init is its PID 1 */
	int stop_signal;
	int stop_timeout;
	enum capsa_restart restart;
	int restart_max;
	char *network;
	int64_t memory, memory_swap, nano_cpus, cpu_shares, pids_limit;
	char *cpuset_cpus;
	int64_t timeout_ns;
	char *stats_file;
	char *cgroup_path; /* its cgroupsPath; on v1 its dirs may exist before its runtime state */
	char *log_driver;
	int64_t log_max_size;
	int log_max_file;
	char *rootfs;
	char *vm;      /* a micro-VM's backend ("uml"); NULL for a container */
	char *vm_root; /* a micro-VM's root: "disk" (the image's ext4) or "initramfs"; NULL: disk */
	struct capsa_kv *labels;
	size_t n_labels;
	struct capsa_mount_spec *mounts; /* resolved: sources are host paths for bind and volume */
	size_t n_mounts;
	/* state.json */
	enum capsa_ctr_status status;
	pid_t pid;
	pid_t monitor_pid;
	uint64_t monitor_start; /* guards against pid reuse */
	int exit_code;
	char *started_at;
	char *finished_at;
	bool oom_killed;
	bool timed_out;
	int restart_count;
	char *error;
};

void capsa_ctr_free(struct capsa_ctr *c);
static inline void capsa_ctr_freep(struct capsa_ctr **c)
{
	capsa_ctr_free(*c);
}
#define _cleanup_ctr_ __attribute__((cleanup(capsa_ctr_freep)))
void capsa_ctr_list_free(struct capsa_ctr **v, size_t n);

/* `ps --filter`s (engine/filter.c): status=, name= (a regular expression), id= (a prefix), type=vm|
 * container, exited=CODE, label=KEY[=VALUE]. Values of one key are alternatives, keys all hold, labels all
 * hold, as docker's. *f is made at the first add; NULL matches everything. */
struct capsa_ctr_filter;
int capsa_ctr_filter_add(struct capsa_ctr_filter **f, const char *spec, struct capsa_error **err) CAPSA_WUR;
bool capsa_ctr_filter_match(const struct capsa_ctr_filter *f, const struct capsa_ctr *c);
/* A status= or exited= filter shows stopped containers without -a. */
bool capsa_ctr_filter_wants_all(const struct capsa_ctr_filter *f);
void capsa_ctr_filter_free(struct capsa_ctr_filter *f);
static inline void capsa_ctr_filter_freep(struct capsa_ctr_filter **f)
{
	capsa_ctr_filter_free(*f);
}
#define _cleanup_ctr_filter_ __attribute__((cleanup(capsa_ctr_filter_freep)))

/* ---- the engine ----------------------------------------------------------------------------------- */

struct capsa_engine;

/* Once, first thing in the capsa program: the process umask is 022 (the monitors inherit it). */
void capsa_engine_process_setup(void);
int capsa_engine_open(const char *root, struct capsa_engine **out, struct capsa_error **err) CAPSA_WUR;
void capsa_engine_close(struct capsa_engine *e);
static inline void capsa_engine_closep(struct capsa_engine **e)
{
	if (*e)
		capsa_engine_close(*e);
}
#define _cleanup_engine_ __attribute__((cleanup(capsa_engine_closep)))
const char *capsa_engine_root(const struct capsa_engine *e);
const char *capsa_engine_run_root(const struct capsa_engine *e);

/* Finds a container by name, full id or unique id prefix; the status is checked against the monitor
 * and the runtime (a dead monitor shows as "dead" unless the runtime still runs the container). */
int capsa_engine_lookup(struct capsa_engine *e, const char *ref, struct capsa_ctr **out,
			struct capsa_error **err) CAPSA_WUR;
/* Every container, newest first. */
int capsa_engine_list(struct capsa_engine *e, struct capsa_ctr ***out, size_t *n,
		      struct capsa_error **err) CAPSA_WUR;

/* Makes the container (record, rootfs, bundle) and its monitor, which creates it in the runtime and
 * waits for start. Exit-code classification of failures: *exit_code gets 125, 126 or 127. */
/* With o->vm the container's process is a micro-VM (engine/vm.c): same record, monitor and commands. */
int capsa_engine_create(struct capsa_engine *e, const struct capsa_run_opts *o, struct capsa_ctr **out,
			int *exit_code, struct capsa_error **err) CAPSA_WUR;

struct capsa_attach_opts {
	bool stdin_, stdout_, stderr_;
	bool tty;		 /* put the local terminal in raw mode and forward resizes */
	bool start;		 /* ask the monitor to start the container once attached */
	bool wait_exit;		 /* stay until the container exits and return its status */
	const char *detach_keys; /* NULL: ctrl-p,ctrl-q */
	int in_fd, out_fd, err_fd;
};
/*
 * Starts a container (spawning a monitor when it has none) with the streams attached. Returns the
 * container's exit status in *exit_code when wait_exit (125/126/127 for a failed start, per docker),
 * -1 and err when capsa fails. *detached is set when the user detached with the detach keys.
 */
int capsa_engine_start(struct capsa_engine *e, struct capsa_ctr *c, const struct capsa_attach_opts *a,
		       int *exit_code, bool *detached, struct capsa_error **err) CAPSA_WUR;
/* Attaches to a running container. */
int capsa_engine_attach(struct capsa_engine *e, struct capsa_ctr *c, const struct capsa_attach_opts *a,
			int *exit_code, bool *detached, struct capsa_error **err) CAPSA_WUR;
/* Stop signal, then SIGKILL after timeout seconds (-1: the container's own); returns once it exited. */
int capsa_engine_stop(struct capsa_engine *e, struct capsa_ctr *c, int timeout,
		      struct capsa_error **err) CAPSA_WUR;
int capsa_engine_kill(struct capsa_engine *e, struct capsa_ctr *c, int sig,
		      struct capsa_error **err) CAPSA_WUR;
/* Waits until the container is not running; its exit code. */
int capsa_engine_wait(struct capsa_engine *e, struct capsa_ctr *c, int *exit_code,
		      struct capsa_error **err) CAPSA_WUR;
/* Removes a stopped container (force: kill it first). volumes: also its anonymous volumes. */
int capsa_engine_remove(struct capsa_engine *e, const char *ref, bool force, bool volumes,
			struct capsa_error **err) CAPSA_WUR;
int capsa_engine_pause(struct capsa_engine *e, struct capsa_ctr *c, bool pause,
		       struct capsa_error **err) CAPSA_WUR;
int capsa_engine_rename(struct capsa_engine *e, struct capsa_ctr *c, const char *name,
			struct capsa_error **err) CAPSA_WUR;
/* `inspect` JSON (one object with docker's main fields). Caller frees. */
char *capsa_engine_inspect_json(struct capsa_engine *e, const struct capsa_ctr *c);

struct capsa_logs_opts {
	bool follow, timestamps;
	int64_t tail;		    /* -1: all */
	int64_t since_ns, until_ns; /* 0: unset; unix time in ns */
	int out_fd, err_fd;
};
int capsa_engine_logs(struct capsa_engine *e, struct capsa_ctr *c, const struct capsa_logs_opts *o,
		      struct capsa_error **err) CAPSA_WUR;
/* One json-file log line for data (exposed for tests). Caller frees. */
char *capsa_log_line(const char *stream, const char *data, size_t len, const struct timespec *ts);
/* Parses one json-file log line; *log is newly allocated. */
int capsa_log_line_parse(const char *line, char **stream, char **log, size_t *log_len, int64_t *time_ns,
			 struct capsa_error **err) CAPSA_WUR;

struct capsa_exec_request {
	char **args;
	size_t n_args;
	char **env;
	size_t n_env;
	const char *user; /* names resolved through the container's /etc/passwd */
	const char *workdir;
	bool tty, interactive, detach, privileged;
};
/* Runs a process in a running container (foreground: its status in *exit_code; 126/127 when it could not
 * start). */
int capsa_engine_exec(struct capsa_engine *e, struct capsa_ctr *c, const struct capsa_exec_request *r,
		      int *exit_code, struct capsa_error **err) CAPSA_WUR;

/* ---- networks (network.c) ------------------------------------------------------------------------- */

/* $CAPSA_DEFAULT_NETWORK (set by the global --default-network too) or "bridge". */
const char *capsa_engine_default_network(void);
struct capsa_network_opts {
	const char *name;
	const char *subnet;  /* NULL: the first free 10.89.X.0/24 */
	const char *gateway; /* NULL: the subnet's first address */
	const char *bridge;  /* NULL: "br-" and 12 hex digits of the id */
};
int capsa_engine_network_create(struct capsa_engine *e, const struct capsa_network_opts *o, char **id,
				struct capsa_error **err) CAPSA_WUR;
/* Refuses the built-in networks and a network with containers on it. */
int capsa_engine_network_remove(struct capsa_engine *e, const char *name, struct capsa_error **err) CAPSA_WUR;
/* Removes every user network with no container; *removed lists their names. */
int capsa_engine_network_prune(struct capsa_engine *e, char ***removed, size_t *n,
			       struct capsa_error **err) CAPSA_WUR;
struct capsa_network_info {
	char *name, *id, *driver;
};
int capsa_engine_network_list(struct capsa_engine *e, struct capsa_network_info **out, size_t *n,
			      struct capsa_error **err) CAPSA_WUR;
void capsa_network_info_free(struct capsa_network_info *v, size_t n);
int capsa_engine_network_inspect(struct capsa_engine *e, const char *name, char **json,
				 struct capsa_error **err) CAPSA_WUR;
/* The container's published ports (host ports resolved). */
int capsa_engine_port_list(struct capsa_engine *e, const struct capsa_ctr *c, struct capsa_port_map **out,
			   size_t *n, struct capsa_error **err) CAPSA_WUR;

/* ---- the rest: top, stats, volumes, prune, df, cp, export (extra.c) ------------------------------- */

struct capsa_cgroup_stats;
/* "PID PPID CMD" lines of the container's processes. Caller frees. */
int capsa_engine_top(struct capsa_engine *e, const struct capsa_ctr *c, char **table,
		     struct capsa_error **err) CAPSA_WUR;
int capsa_engine_stats(struct capsa_engine *e, const struct capsa_ctr *c, struct capsa_cgroup_stats *st,
		       struct capsa_error **err) CAPSA_WUR;
int capsa_engine_volume_create(struct capsa_engine *e, const char *name, char **path,
			       struct capsa_error **err) CAPSA_WUR;
int capsa_engine_volume_list(struct capsa_engine *e, char ***names, size_t *n,
			     struct capsa_error **err) CAPSA_WUR;
/* Refuses a volume a container uses unless force. */
int capsa_engine_volume_remove(struct capsa_engine *e, const char *name, bool force,
			       struct capsa_error **err) CAPSA_WUR;
int capsa_engine_volume_inspect(struct capsa_engine *e, const char *name, char **json,
				struct capsa_error **err) CAPSA_WUR;
/* Removes stopped containers; *removed lists their ids. */
int capsa_engine_prune(struct capsa_engine *e, char ***removed, size_t *n,
		       struct capsa_error **err) CAPSA_WUR;
int capsa_engine_df(struct capsa_engine *e, uint64_t *containers_bytes, uint64_t *volumes_bytes,
		    struct capsa_error **err) CAPSA_WUR;
/* Copies between the host and the container's root; the container path is resolved inside its root
 * (RESOLVE_IN_ROOT), symlinks are copied as links, never followed. */
int capsa_engine_cp(struct capsa_engine *e, const struct capsa_ctr *c, const char *ctr_path,
		    const char *host_path, bool to_container, struct capsa_error **err) CAPSA_WUR;
/* The container's filesystem as a tar stream. */
int capsa_engine_export(struct capsa_engine *e, const struct capsa_ctr *c, int out_fd,
			struct capsa_error **err) CAPSA_WUR;

/*
 * Re-executes capsa from a sealed memfd copy (unless it already runs from one) before anything that puts
 * a process into a container: the container's init is a clone of the monitor, and exec joins the
 * container, so /proc/PID/exe must never be the writable host binary (CVE-2019-5736).
 */
int capsa_engine_seal_self(struct capsa_error **err) CAPSA_WUR;

/* The monitor's entry point (called in the forked monitor process; never returns). */
void capsa_monitor_main(struct capsa_engine *e, const char *id, int sync_fd, bool start_follows)
	__attribute__((noreturn));
/*
 * What the small monitor program (capsa-monitor) runs capsa for: `capsa __monitor-exit ID CODE TIMED_OUT
 * STOP_REQUESTED WALL_NS` records the end (runtime state deleted, OOM flag, stats file, --rm; exits 3
 * when the restart policy wants the container again) and `capsa __monitor-restart ID` makes it again in
 * the monitor's own process. argv[0] is the command; returns the exit status.
 */
bool capsa_monitor_is_command(const char *name);
int capsa_monitor_command(const char *root, int argc, char **argv);
int capsa_monitor_exit(struct capsa_engine *e, const char *id, int exit_code, bool timed_out,
		       bool stop_requested, int64_t wall_ns, struct capsa_error **err) CAPSA_WUR;
void capsa_monitor_restart_main(struct capsa_engine *e, const char *id) __attribute__((noreturn));

#endif
