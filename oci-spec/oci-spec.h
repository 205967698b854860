/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * OCI runtime-spec (1.2, Linux) and state types as plain C structs. oci-spec/
 * is the only code that touches json-c: it parses and validates JSON into these
 * structs once and writes them back out. Wrong input is rejected with the JSON
 * path and the reason ("config.json: process.args: expected a non-empty array of
 * strings"); invalid JSON reports line and column.
 *
 * Conventions: arrays are a pointer plus a count (n_*); string arrays are also
 * NULL-terminated so they can be passed to execve. Optional scalars use the
 * oci_opt_* wrappers; optional objects are NULL pointers when absent.
 */
#ifndef CAPSA_OCI_SPEC_H
#define CAPSA_OCI_SPEC_H

#include "common/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CAPSA_OCI_VERSION "1.2.0"

struct oci_opt_i64 {
	bool set;
	int64_t value;
};
struct oci_opt_u64 {
	bool set;
	uint64_t value;
};

struct oci_kv {
	char *key;
	char *value;
};

struct oci_user {
	uint32_t uid;
	uint32_t gid;
	struct oci_opt_u64 umask;
	uint32_t *additional_gids;
	size_t n_additional_gids;
	char *username; /* windows only, kept for round trips */
};

struct oci_rlimit {
	char *type;   /* "RLIMIT_NOFILE"; validated against the known names */
	int resource; /* RLIMIT_* value */
	uint64_t hard;
	uint64_t soft;
};

/* Each set is NULL when absent from the config (which means empty). */
struct oci_capabilities {
	char **bounding;
	size_t n_bounding;
	char **effective;
	size_t n_effective;
	char **inheritable;
	size_t n_inheritable;
	char **permitted;
	size_t n_permitted;
	char **ambient;
	size_t n_ambient;
};

struct oci_io_priority {
	char *class; /* IOPRIO_CLASS_RT | IOPRIO_CLASS_BE | IOPRIO_CLASS_IDLE */
	int64_t priority;
};

struct oci_scheduler {
	char *policy; /* SCHED_OTHER ... */
	struct oci_opt_i64 nice;
	struct oci_opt_i64 priority;
	char **flags;
	size_t n_flags;
	struct oci_opt_u64 runtime, deadline, period;
};

struct oci_process {
	bool terminal;
	bool has_console_size;
	uint32_t console_height;
	uint32_t console_width;
	struct oci_user user;
	char **args; /* non-empty */
	size_t n_args;
	char **env;
	size_t n_env;
	char *cwd; /* absolute */
	struct oci_capabilities *capabilities;
	struct oci_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	char *apparmor_profile;
	struct oci_opt_i64 oom_score_adj;
	char *selinux_label;
	struct oci_io_priority *io_priority;
	struct oci_scheduler *scheduler;
	char *exec_cpu_affinity_initial; /* execCPUAffinity.initial */
	char *exec_cpu_affinity_final;
};

struct oci_root {
	char *path;
	bool readonly;
};

struct oci_id_mapping {
	uint32_t container_id;
	uint32_t host_id;
	uint32_t size;
};

struct oci_mount {
	char *destination;
	char *source;
	char *type;
	char **options;
	size_t n_options;
	struct oci_id_mapping *uid_mappings; /* idmapped mounts */
	size_t n_uid_mappings;
	struct oci_id_mapping *gid_mappings;
	size_t n_gid_mappings;
};

struct oci_hook {
	char *path; /* absolute */
	char **args;
	size_t n_args;
	char **env;
	size_t n_env;
	struct oci_opt_i64 timeout; /* seconds, > 0 */
};

struct oci_hooks {
	struct oci_hook *prestart;
	size_t n_prestart;
	struct oci_hook *create_runtime;
	size_t n_create_runtime;
	struct oci_hook *create_container;
	size_t n_create_container;
	struct oci_hook *start_container;
	size_t n_start_container;
	struct oci_hook *poststart;
	size_t n_poststart;
	struct oci_hook *poststop;
	size_t n_poststop;
};

enum oci_ns_type {
	OCI_NS_PID = 0,
	OCI_NS_NETWORK,
	OCI_NS_MOUNT,
	OCI_NS_IPC,
	OCI_NS_UTS,
	OCI_NS_USER,
	OCI_NS_CGROUP,
	OCI_NS_TIME,
	OCI_NS_COUNT,
};

struct oci_namespace {
	enum oci_ns_type type;
	char *path; /* NULL: create a new one */
};

struct oci_device {
	char *path;
	char type; /* 'c', 'b', 'u' or 'p' */
	int64_t major;
	int64_t minor;
	struct oci_opt_u64 file_mode;
	struct oci_opt_u64 uid;
	struct oci_opt_u64 gid;
};

/* linux.resources.devices entries (cgroup device rules). */
struct oci_device_rule {
	bool allow;
	char type;		  /* 'a', 'c' or 'b'; 'a' when absent */
	struct oci_opt_i64 major; /* unset = wildcard */
	struct oci_opt_i64 minor;
	char *access; /* subset of "rwm"; NULL = "rwm" */
};

struct oci_memory {
	struct oci_opt_i64 limit;
	struct oci_opt_i64 reservation;
	struct oci_opt_i64 swap;
	struct oci_opt_i64 kernel;
	struct oci_opt_i64 kernel_tcp;
	struct oci_opt_u64 swappiness;
	bool disable_oom_killer;
	bool has_disable_oom_killer;
	bool use_hierarchy;
	bool has_use_hierarchy;
	bool check_before_update;
};

struct oci_cpu {
	struct oci_opt_u64 shares;
	struct oci_opt_i64 quota;
	struct oci_opt_u64 burst;
	struct oci_opt_u64 period;
	struct oci_opt_i64 realtime_runtime;
	struct oci_opt_u64 realtime_period;
	char *cpus;
	char *mems;
	struct oci_opt_i64 idle;
};

struct oci_weight_device {
	int64_t major, minor;
	struct oci_opt_u64 weight;
	struct oci_opt_u64 leaf_weight;
};

struct oci_throttle_device {
	int64_t major, minor;
	uint64_t rate;
};

struct oci_blkio {
	struct oci_opt_u64 weight;
	struct oci_opt_u64 leaf_weight;
	struct oci_weight_device *weight_device;
	size_t n_weight_device;
	struct oci_throttle_device *throttle_read_bps;
	size_t n_throttle_read_bps;
	struct oci_throttle_device *throttle_write_bps;
	size_t n_throttle_write_bps;
	struct oci_throttle_device *throttle_read_iops;
	size_t n_throttle_read_iops;
	struct oci_throttle_device *throttle_write_iops;
	size_t n_throttle_write_iops;
};

struct oci_hugepage_limit {
	char *page_size; /* "2MB", validated ^[1-9][0-9]*[KMG]B$ */
	uint64_t limit;
};

struct oci_net_priority {
	char *name;
	uint32_t priority;
};

struct oci_rdma {
	char *device;
	struct oci_opt_u64 hca_handles;
	struct oci_opt_u64 hca_objects;
};

struct oci_resources {
	struct oci_device_rule *devices;
	size_t n_devices;
	struct oci_memory *memory;
	struct oci_cpu *cpu;
	struct oci_opt_i64 pids_limit;
	struct oci_blkio *blkio;
	struct oci_hugepage_limit *hugepage_limits;
	size_t n_hugepage_limits;
	struct oci_opt_u64 net_class_id;
	struct oci_net_priority *net_priorities;
	size_t n_net_priorities;
	struct oci_rdma *rdma;
	size_t n_rdma;
	struct oci_kv *unified;
	size_t n_unified;
};

enum oci_seccomp_op {
	OCI_SCMP_CMP_NE = 1,
	OCI_SCMP_CMP_LT,
	OCI_SCMP_CMP_LE,
	OCI_SCMP_CMP_EQ,
	OCI_SCMP_CMP_GE,
	OCI_SCMP_CMP_GT,
	OCI_SCMP_CMP_MASKED_EQ,
};

struct oci_seccomp_arg {
	uint32_t index;
	uint64_t value;
	uint64_t value_two;
	char *op; /* validated: SCMP_CMP_NE ... SCMP_CMP_MASKED_EQ */
};

struct oci_seccomp_syscall {
	char **names;
	size_t n_names;
	char *action; /* validated: SCMP_ACT_* */
	struct oci_opt_u64 errno_ret;
	struct oci_seccomp_arg *args;
	size_t n_args;
};

struct oci_seccomp {
	char *default_action;
	struct oci_opt_u64 default_errno_ret;
	char **architectures;
	size_t n_architectures;
	char **flags;
	size_t n_flags;
	char *listener_path;
	char *listener_metadata;
	struct oci_seccomp_syscall *syscalls;
	size_t n_syscalls;
};

struct oci_time_offset {
	bool set;
	int64_t secs;
	uint32_t nanosecs;
};

struct oci_personality {
	char *domain; /* LINUX | LINUX32 */
	char **flags;
	size_t n_flags;
};

struct oci_net_device {
	char *host_name; /* key in linux.netDevices */
	char *name;
};

struct oci_linux {
	struct oci_namespace *namespaces;
	size_t n_namespaces;
	struct oci_id_mapping *uid_mappings;
	size_t n_uid_mappings;
	struct oci_id_mapping *gid_mappings;
	size_t n_gid_mappings;
	struct oci_time_offset time_monotonic;
	struct oci_time_offset time_boottime;
	struct oci_device *devices;
	size_t n_devices;
	char *cgroups_path;
	struct oci_resources *resources;
	char *rootfs_propagation; /* shared|slave|private|unbindable|rshared|... */
	struct oci_seccomp *seccomp;
	struct oci_kv *sysctl;
	size_t n_sysctl;
	char **masked_paths;
	size_t n_masked_paths;
	char **readonly_paths;
	size_t n_readonly_paths;
	char *mount_label;
	struct oci_personality *personality;
	struct oci_net_device *net_devices;
	size_t n_net_devices;
};

struct oci_config {
	char *oci_version;
	struct oci_process *process; /* NULL when absent (create requires it) */
	struct oci_root *root;
	char *hostname;
	char *domainname;
	struct oci_mount *mounts;
	size_t n_mounts;
	struct oci_hooks hooks;
	struct oci_kv *annotations;
	size_t n_annotations;
	struct oci_linux *linux_; /* "linux" is a predefined macro in GNU C */
};

/* Parsing. `name` is used as the prefix of error messages ("config.json"). */
int capsa_oci_config_parse(const char *json, size_t len, const char *name, struct oci_config **out,
			   struct capsa_error **err) CAPSA_WUR;
int capsa_oci_config_parse_file(const char *path, struct oci_config **out,
				struct capsa_error **err) CAPSA_WUR;
void capsa_oci_config_free(struct oci_config *c);
/* Serialises a config (for `spec` and for configs generated by the capsa CLI). Caller frees. */
char *capsa_oci_config_to_json(const struct oci_config *c);

/* A process object alone (exec --process FILE). */
int capsa_oci_process_parse(const char *json, size_t len, const char *name, struct oci_process **out,
			    struct capsa_error **err) CAPSA_WUR;
void capsa_oci_process_free(struct oci_process *p);

/* A linux.resources object alone (`update --resources FILE`, `-r -`), written back for `update` records. */
int capsa_oci_resources_parse(const char *json, size_t len, const char *name, struct oci_resources **out,
			      struct capsa_error **err) CAPSA_WUR;
void capsa_oci_resources_free(struct oci_resources *r);
char *capsa_oci_resources_to_json(const struct oci_resources *r);

/*
 * The config `capsa-runtime spec` writes, like `runc spec`: sh in a terminal, the usual /proc /dev /sys
 * mounts, a small capability set. rootless adds a user namespace mapping the caller's euid/egid to 0 and
 * leaves out what an unprivileged user cannot set up (network and cgroup namespaces, sysfs, resources).
 */
struct oci_config *capsa_oci_config_default(bool rootless);

/* The `capsa-runtime features` document (runtime-spec features.md, Linux). Caller frees. */
char *capsa_oci_features_json(void);

/* "RLIMIT_NOFILE" -> RLIMIT_NOFILE; -1 when unknown. */
int capsa_oci_rlimit_from_name(const char *name);
const char *capsa_oci_ns_name(enum oci_ns_type t); /* "pid", "network", ... */
int capsa_oci_ns_from_name(const char *name);	   /* -1 if unknown */

/* The runtime state (state.json), with capsa's private fields alongside the spec's. */
struct oci_state {
	char *oci_version;
	char *id;
	char *status; /* creating | created | running | stopped (+ paused for runc compatibility) */
	pid_t pid;    /* 0 when there is no process */
	char *bundle;
	struct oci_kv *annotations;
	size_t n_annotations;
	/* capsa private ("capsa" object in state.json, ignored by other readers) */
	uint64_t init_start_time; /* /proc/PID/stat starttime of pid, guards against pid reuse */
	char *created;		  /* RFC 3339 */
	char *rootfs;		  /* absolute path of the rootfs */
	char *cgroup_path;	  /* resolved cgroup path relative to the hierarchy root */
	char *owner;
};

int capsa_oci_state_parse(const char *json, size_t len, const char *name, struct oci_state **out,
			  struct capsa_error **err) CAPSA_WUR;
/* With private=false, only the fields of the spec (for `state` output). Caller frees. */
char *capsa_oci_state_to_json(const struct oci_state *s, bool private_fields);
void capsa_oci_state_free(struct oci_state *s);

static inline void capsa_oci_config_freep(struct oci_config **c)
{
	capsa_oci_config_free(*c);
}
static inline void capsa_oci_state_freep(struct oci_state **s)
{
	capsa_oci_state_free(*s);
}
static inline void capsa_oci_process_freep(struct oci_process **p)
{
	capsa_oci_process_free(*p);
}
#define _cleanup_oci_config_ __attribute__((cleanup(capsa_oci_config_freep)))
#define _cleanup_oci_state_ __attribute__((cleanup(capsa_oci_state_freep)))
#define _cleanup_oci_process_ __attribute__((cleanup(capsa_oci_process_freep)))

#endif
