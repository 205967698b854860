/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cgroups: one small interface over cgroup v2 and v1, the backend chosen once
 * at run time from the host's mode (unified, hybrid, legacy). In hybrid mode
 * (v1 controllers plus a v2 mount) resources go through v1 and, where the v2
 * mount offers them, cgroup.freeze and cgroup.kill are used.
 */
#ifndef CAPSA_CGROUPS_H
#define CAPSA_CGROUPS_H

#include "common/error.h"
#include "oci-spec/oci-spec.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum capsa_cgroup_mode {
	CAPSA_CGROUP_UNIFIED = 0, /* pure v2 */
	CAPSA_CGROUP_HYBRID,	  /* v1 controllers + v2 at /sys/fs/cgroup/unified */
	CAPSA_CGROUP_LEGACY,	  /* v1 only */
};

/* Detects the host's mode (cached). root is normally "/sys/fs/cgroup". */
enum capsa_cgroup_mode capsa_cgroup_mode(void);

struct capsa_cgroup; /* opaque: one container's cgroup across the hierarchies */

/*
 * Resolves cgroupsPath as the runtime spec says (absolute, or relative to the
 * caller's own cgroup; NULL or "" means the default "/capsa/<id>") and creates
 * the cgroup (in every v1 hierarchy that is mounted). `path_out`, when set,
 * receives the resolved path to store in the state.
 */
int capsa_cgroup_create(const char *cgroups_path, const char *id, struct capsa_cgroup **out,
			struct capsa_error **err) CAPSA_WUR;
/* Opens an existing cgroup by its resolved path (from the state file). */
int capsa_cgroup_open(const char *resolved_path, struct capsa_cgroup **out,
		      struct capsa_error **err) CAPSA_WUR;
const char *capsa_cgroup_path(const struct capsa_cgroup *cg);
void capsa_cgroup_free(struct capsa_cgroup *cg);
/*
 * Never in a process that will clone() with a raw system call (runtime/ create and exec): glibc then
 * believes the child has this thread too, and its set*id() waits for it for ever.
 * On v1 and hybrid hosts, makes the directories of cgroups_path (an absolute cgroupsPath; NULL: none) in
 * every hierarchy, on a detached thread (once per process), so they are made while the caller prepares
 * the container (cgroups/prime.c). The caller removes them if the container is not made after all.
 */
void capsa_cgroup_prime(const char *cgroups_path);
/* Returns once the directories capsa_cgroup_prime() makes are made (at once when none was started). */
void capsa_cgroup_prime_wait(void);
/* rmdir of cgroups_path in every hierarchy where it is empty: what a killed creator left. */
void capsa_cgroup_remove_empty(const char *cgroups_path);

/* Moves a process into the cgroup (every hierarchy). */
int capsa_cgroup_enter(struct capsa_cgroup *cg, pid_t pid, struct capsa_error **err) CAPSA_WUR;
/*
 * A single-threaded process moves itself into the cgroup. A thread that moves itself through a v1 tasks
 * file ("0") is the one case where the kernel skips its global cgroup_threadgroup_rwsem, whose first
 * writer after a quiet spell waits for an RCU grace period (8-20 ms measured on this host); this takes
 * about 20 us. The v2 tree has no such way: there the process is best born in its cgroup (clone3
 * CLONE_INTO_CGROUP, capsa_cgroup_v2_fd), else it writes "0" to cgroup.procs and may wait.
 *
 * _prepare opens the files, before the fork or clone and before any user namespace: the kernel checks a
 * move against the creds of the file's opener. _enter_self, in the child, writes them (the v2 one only
 * with v2_too) and closes them all; the parent calls _close after the clone. capsa_cgroup_free closes
 * them too.
 */
int capsa_cgroup_enter_self_prepare(struct capsa_cgroup *cg, struct capsa_error **err) CAPSA_WUR;
int capsa_cgroup_enter_self(struct capsa_cgroup *cg, bool v2_too, struct capsa_error **err) CAPSA_WUR;
void capsa_cgroup_enter_self_close(struct capsa_cgroup *cg);
/* An O_DIRECTORY fd of the v2 cgroup for clone3(CLONE_INTO_CGROUP) (unified, and a hybrid host's v2
 * tree), or -1 when not available. */
int capsa_cgroup_v2_fd(struct capsa_cgroup *cg);

/* Applies linux.resources; values the kernel refuses come back naming the file and value. */
int capsa_cgroup_apply(struct capsa_cgroup *cg, const struct oci_resources *res,
		       struct capsa_error **err) CAPSA_WUR;

int capsa_cgroup_freeze(struct capsa_cgroup *cg, bool frozen, struct capsa_error **err) CAPSA_WUR;
/* Returns 1 when frozen, 0 when not, -1 on error. */
int capsa_cgroup_is_frozen(struct capsa_cgroup *cg, struct capsa_error **err);
/* SIGKILLs every process in the cgroup (cgroup.kill, or freeze + kill + thaw) and waits until it is empty. */
int capsa_cgroup_kill_all(struct capsa_cgroup *cg, int sig, struct capsa_error **err) CAPSA_WUR;
/* The pids in the cgroup (recursively). */
int capsa_cgroup_pids(struct capsa_cgroup *cg, pid_t **pids, size_t *n, struct capsa_error **err) CAPSA_WUR;
/* Removes the cgroup directories (every hierarchy); a missing cgroup is not an error. */
int capsa_cgroup_destroy(struct capsa_cgroup *cg, struct capsa_error **err) CAPSA_WUR;

struct capsa_cgroup_stats {
	uint64_t cpu_usage_ns, cpu_user_ns, cpu_system_ns;
	uint64_t cpu_nr_periods, cpu_nr_throttled, cpu_throttled_ns;
	uint64_t mem_usage, mem_max_usage, mem_limit, mem_swap_usage, mem_swap_limit;
	uint64_t mem_cache, mem_rss;
	uint64_t oom_events, oom_kill_events;
	uint64_t pids_current, pids_limit;
	uint64_t io_read_bytes, io_write_bytes, io_read_ops, io_write_ops;
};
int capsa_cgroup_stats(struct capsa_cgroup *cg, struct capsa_cgroup_stats *st,
		       struct capsa_error **err) CAPSA_WUR;

/*
 * Mounts the container's view of cgroups at `target_fd` (an O_PATH fd of
 * /sys/fs/cgroup inside the rootfs, already resolved safely): cgroup2 on
 * unified hosts, a tmpfs with one bind per v1 controller otherwise. Runs in
 * the container's mount namespace before pivot_root.
 */
int capsa_cgroup_mount(struct capsa_cgroup *cg, int target_fd, unsigned long flags,
		       struct capsa_error **err) CAPSA_WUR;

/* --- Added by the cgroups area (append-only) --- */

/* A limit that is not set ("max" in v2, the v1 "unlimited" value). */
#define CAPSA_CGROUP_UNLIMITED UINT64_MAX

/*
 * capsa_cgroup_apply writes only the fields that are set, so `update` calls it
 * again with a partial oci_resources; a device list replaces the previous one.
 */

/* cpu.shares (2..262144) to cpu.weight (1..10000), as crun and runc convert; 0 stays 0 (unset). */
uint64_t capsa_cgroup_shares_to_weight(uint64_t shares);
/* blkio.weight (10..1000) to io.weight (1..10000), as crun converts; 0 stays 0 (unset). */
uint64_t capsa_cgroup_blkio_to_io_weight(uint64_t weight);
/*
 * The runtime spec's memory.swap (memory+swap) to v2 memory.swap.max (swap only):
 * swap - limit. -1 (unlimited) gives -1 ("max"). Fails when swap is set without a
 * memory limit or is below it.
 */
int capsa_cgroup_swap_to_v2(int64_t limit, bool limit_set, int64_t swap, int64_t *out,
			    struct capsa_error **err) CAPSA_WUR;
/* cpu.max text from quota/period: "50000 100000", "max 100000" (quota unset or < 0). buf >= 48 bytes. */
void capsa_cgroup_cpu_max(bool quota_set, int64_t quota, uint64_t period, char *buf, size_t len);

/* The number of OOM kills in the cgroup so far (v2 memory.events oom_kill, v1 memory.oom_control oom_kill).
 */
int capsa_cgroup_oom_kills(struct capsa_cgroup *cg, uint64_t *count, struct capsa_error **err) CAPSA_WUR;
/*
 * An fd that becomes readable when an OOM event may have happened (v2: inotify
 * on memory.events; v1: an eventfd registered on memory.oom_control). Read and
 * discard its data, then call capsa_cgroup_oom_kills. The caller closes it.
 */
int capsa_cgroup_oom_fd(struct capsa_cgroup *cg, struct capsa_error **err) CAPSA_WUR;

#endif
